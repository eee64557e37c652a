"""Glob patterns exactly as redis ``stringmatchlen`` (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE).

``*`` any run, ``?`` one byte, ``[abc]``/``[a-z]``/``[^a]`` classes (reversed
ranges allowed, an unterminated class ends at the pattern's end), ``\\x`` a
literal ``x``.  A pattern is compiled once to an equivalent regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["compile_glob", "glob_match"]


def _translate(pattern: bytes, nocase: bool) -> bytes:
    out: list[bytes] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x2A:  # '*'
            while i + 1 < n and pattern[i + 1] == 0x2A:
                i += 1
            out.append(b".*")
        elif c == 0x3F:  # '?'
            out.append(b".")
        elif c == 0x5B:  # '['
            i += 1
            negate = i < n and pattern[i] == 0x5E
            if negate:
                i += 1
            members: set[int] = set()
            while True:
                if i < n and pattern[i] == 0x5C and n - i >= 2:
                    i += 1
                    members.add(pattern[i])
                elif i < n and pattern[i] == 0x5D:
                    break
                elif i >= n:
                    break
                elif n - i >= 3 and pattern[i + 1] == 0x2D:
                    lo, hi = pattern[i], pattern[i + 2]
                    if lo > hi:
                        lo, hi = hi, lo
                    members.update(range(lo, hi + 1))
                    i += 2
                else:
                    members.add(pattern[i])
                i += 1
            if nocase:
                members |= {bytes([m]).lower()[0] for m in members}
                members |= {bytes([m]).upper()[0] for m in members}
            if negate:
                members = set(range(256)) - members
            if not members:
                out.append(b"(?!)")
            else:
                out.append(b"[" + b"".join(b"\\x%02x" % m for m in sorted(members)) + b"]")
        else:
            if c == 0x5C and n - i >= 2:  # '\\' escapes the next byte
                i += 1
                c = pattern[i]
            out.append(re.escape(bytes([c])))
        i += 1
    return b"".join(out)


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate ``f(subject) -> bool`` for ``pattern``."""
    if pattern == b"*":
        return lambda s: True
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    rx = re.compile(_translate(pattern, nocase), flags)
    fullmatch = rx.fullmatch

    def match(s: bytes) -> bool:
        # stringmatchlen never matches an empty subject against a non-empty pattern
        if not s:
            return not pattern
        return fullmatch(s) is not None

    return match


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return compile_glob(pattern, nocase)(subject)
