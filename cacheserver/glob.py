"""Glob patterns exactly as redis ``stringmatchlen`` (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE).

``*`` any run, ``?`` one byte, ``[abc]``/``[a-z]``/``[^a]`` classes, ``\\x`` a
literal ``x``.  The quirks of the C code are kept: bytes compare as signed
``char`` in ranges (``[\\x00-\\xff]`` holds only those two bytes), a reversed
range is swapped, an unterminated class ends at the pattern's end (``[^``
matches any byte), ``[a-]`` is the range ``a``..``]``, a trailing ``\\`` is a
literal, and a non-empty pattern never matches the empty string (not even
``*``).  With ``nocase`` literals and ranges compare through ``tolower`` but an
escaped byte inside a class still compares exactly.

A pattern is compiled once to an equivalent regular expression.  Every piece
between stars matches a fixed number of bytes, so committing to the earliest
match of each middle piece (an atomic lazy group) loses no match and keeps
matching linear in the subject, as redis's ``skipLongerMatches`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["compile_glob", "compile_matcher", "compile_regex", "glob_match", "match_long"]

_ALL = frozenset(range(256))
_STAR = b""  # token marking a '*' (every other token is a non-empty regex)


def _signed(b: int) -> int:
    # x86 ``char`` is signed: bytes 0x80-0xff compare below 0x00 in ranges
    return b - 256 if b > 127 else b


def _lower(c: int) -> int:
    # C-locale tolower on a (possibly negative) char value
    return c + 32 if 65 <= c <= 90 else c


def _byte_class(members: set[int] | frozenset[int]) -> bytes:
    """A regex matching exactly one byte out of ``members``."""
    if not members:
        return b"(?!)"
    if len(members) == 256:
        return b"."
    if len(members) == 1:
        (m,) = members
        return b"\\x%02x" % m
    out = [b"["]
    run: list[int] = []
    for m in sorted(members):
        if run and m == run[-1] + 1:
            run.append(m)
            continue
        if run:
            out.append(_run(run))
        run = [m]
    out.append(_run(run))
    out.append(b"]")
    return b"".join(out)


def _run(run: list[int]) -> bytes:
    if len(run) == 1:
        return b"\\x%02x" % run[0]
    return b"\\x%02x-\\x%02x" % (run[0], run[-1])


def _literal(c: int, nocase: bool) -> bytes:
    if nocase and (65 <= c <= 90 or 97 <= c <= 122):
        return _byte_class({c | 0x20, c & ~0x20})
    return b"\\x%02x" % c


def _class(pattern: bytes, i: int, nocase: bool) -> tuple[bytes, int]:
    """Translate the class opening at ``pattern[i] == '['``; returns (regex, index after it)."""
    n = len(pattern)
    i += 1
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    members: set[int] = set()
    while True:
        if i < n and pattern[i] == 0x5C and n - i >= 2:  # '\\x': exact, even with nocase
            i += 1
            members.add(pattern[i])
        elif i >= n:  # unterminated: the class ends with the pattern
            break
        elif pattern[i] == 0x5D:  # ']'
            i += 1
            break
        elif n - i >= 3 and pattern[i + 1] == 0x2D:  # 'a-z'
            lo, hi = _signed(pattern[i]), _signed(pattern[i + 2])
            if lo > hi:
                lo, hi = hi, lo
            if nocase:
                lo, hi = _lower(lo), _lower(hi)
                members.update(b for b in range(256) if lo <= _lower(_signed(b)) <= hi)
            else:
                members.update(b for b in range(256) if lo <= _signed(b) <= hi)
            i += 2
        elif nocase:
            c = _lower(_signed(pattern[i]))
            members.update(b for b in range(256) if _lower(_signed(b)) == c)
        else:
            members.add(pattern[i])
        if i < n:
            i += 1
    return _byte_class(_ALL - members if negate else members), i


def _tokens(pattern: bytes, nocase: bool) -> list[bytes]:
    """One regex per byte-consuming element, ``_STAR`` for each run of stars."""
    out: list[bytes] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x2A:  # '*'
            if not out or out[-1] != _STAR:
                out.append(_STAR)
            i += 1
        elif c == 0x3F:  # '?'
            out.append(b".")
            i += 1
        elif c == 0x5B:  # '['
            rx, i = _class(pattern, i, nocase)
            out.append(rx)
        else:
            if c == 0x5C and n - i >= 2:  # '\\' escapes the next byte
                i += 1
                c = pattern[i]
            out.append(_literal(c, nocase))
            i += 1
    return out


def _translate(pattern: bytes, nocase: bool) -> bytes:
    pieces: list[list[bytes]] = [[]]
    for tok in _tokens(pattern, nocase):
        if tok == _STAR:
            pieces.append([])
        else:
            pieces[-1].append(tok)
    if len(pieces) == 1:
        return b"".join(pieces[0])
    head, *middle, tail = (b"".join(p) for p in pieces)
    # stringmatchlen never matches an empty subject against a non-empty pattern
    out = [b"(?=.)", head]
    out.extend(b"(?>.*?" + m + b")" for m in middle if m)
    out.append(b".*")
    out.append(tail)
    return b"".join(out)


@lru_cache(maxsize=1024)
def compile_regex(pattern: bytes, nocase: bool = False) -> re.Pattern[bytes]:
    """A compiled regex whose ``fullmatch`` is ``stringmatchlen`` (for hot loops)."""
    return re.compile(_translate(pattern, nocase), re.DOTALL)


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate ``f(subject) -> bool`` for ``pattern``."""
    fullmatch = compile_regex(pattern, nocase).fullmatch

    def match(s: bytes) -> bool:
        return fullmatch(s) is not None

    return match


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return compile_regex(pattern, nocase).fullmatch(subject) is not None


# Longer patterns are matched by walking the pattern bytes instead: compiling
# a regex costs microseconds per pattern byte (seconds for a 1 MB PSUBSCRIBE
# pattern), while the walk stops as soon as the subject is used up.
REGEX_MAX_PATTERN = 1024


def _class_match(pattern: bytes, i: int, ch: int, nocase: bool) -> tuple[bool, int]:
    """Does the class opening at ``pattern[i] == '['`` take byte ``ch``?  Returns
    (matched, index after the class), parsed as stringmatchlen does."""
    n = len(pattern)
    i += 1
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    sc = _signed(ch)
    found = False
    while True:
        if i < n - 1 and pattern[i] == 0x5C:  # '\\x': exact, even with nocase
            i += 1
            if pattern[i] == ch:
                found = True
        elif i >= n:  # unterminated: the class ends with the pattern
            break
        elif pattern[i] == 0x5D:  # ']'
            i += 1
            break
        elif n - i >= 3 and pattern[i + 1] == 0x2D:  # 'a-z'
            lo, hi = _signed(pattern[i]), _signed(pattern[i + 2])
            if lo > hi:
                lo, hi = hi, lo
            c = sc
            if nocase:
                lo, hi, c = _lower(lo), _lower(hi), _lower(c)
            if lo <= c <= hi:
                found = True
            i += 2
        else:
            # a stretch of single members, up to a byte that may start
            # something else (a '\\', a ']', a byte before a '-'), at once
            stop = _CLASS_STOP.search(pattern, i + 1)
            if stop is None:
                j = n
            else:
                j = stop.start()
                if pattern[j] == 0x2D:  # '-': the byte before it may start a range
                    j = max(j - 1, i + 1)
            if nocase:
                if bytes((ch,)).lower() in pattern[i:j].lower():
                    found = True
            elif ch in pattern[i:j]:
                found = True
            i = j
            continue
        if i < n:
            i += 1
    return found is not negate, i


_SPECIAL = re.compile(rb"[*?\[\\]")
_CLASS_STOP = re.compile(rb"[\\\]-]")


def match_long(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """``stringmatchlen`` by walking the pattern: no compile step.

    Every element but ``*`` takes one byte, so on a mismatch going back to
    the last star and letting it take one byte more loses no match (the
    earlier stars need not take more: redis's ``skipLongerMatches``).  A run
    of plain bytes is compared at once (``startswith``).  The cost is bounded
    by the subject's length times the span since the last star, whatever the
    pattern's length.
    """
    if not subject:
        return not pattern
    n, m = len(pattern), len(subject)
    # with nocase, plain bytes compare lowercased (C tolower: ASCII only)
    folded = subject.lower() if nocase else subject
    runs: dict[int, tuple[int, bytes]] = {}  # start -> (end, bytes) of a plain run
    p = s = 0
    star_p = -1  # pattern index just after the last run of stars
    star_s = 0  # where the subject resumes after what that star took
    while True:
        if s == m:
            # the subject is used up: a match if only stars are left
            if pattern.count(b"*", p) == n - p:
                return True
        elif p < n:
            c = pattern[p]
            if c == 0x2A:  # '*'
                while p < n and pattern[p] == 0x2A:
                    p += 1
                if p == n:
                    return True
                star_p, star_s = p, s
                continue
            if c == 0x3F:  # '?'
                p, s = p + 1, s + 1
                continue
            if c == 0x5B:  # '['
                ok, nxt = _class_match(pattern, p, subject[s], nocase)
                if ok:
                    p, s = nxt, s + 1
                    continue
            elif c == 0x5C:  # '\\' escapes the next byte (a trailing one is itself)
                if p < n - 1:
                    p += 1
                    c = pattern[p]
                ch = subject[s]
                if c == ch or (nocase and _lower(_signed(c)) == _lower(_signed(ch))):
                    p, s = p + 1, s + 1
                    continue
            else:
                run = runs.get(p)
                if run is None:
                    found = _SPECIAL.search(pattern, p)
                    end = found.start() if found else n
                    text = pattern[p:end]
                    run = runs[p] = (end, text.lower() if nocase else text)
                if folded.startswith(run[1], s):
                    s += run[0] - p
                    p = run[0]
                    continue
        # a mismatch: the last star takes one byte more, if any is left
        star_s += 1
        if star_p < 0 or star_s >= m:
            return False
        p, s = star_p, star_s


def compile_matcher(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate for ``pattern`` of any length: a compiled regex for the
    usual short pattern, the walk of ``match_long`` for a long one."""
    if len(pattern) <= REGEX_MAX_PATTERN:
        return compile_glob(pattern, nocase)

    def match(s: bytes) -> bool:
        return match_long(pattern, s, nocase)

    return match
