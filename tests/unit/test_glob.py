"""cacheserver.glob against redis ``stringmatchlen``: a line-by-line port of the C
code (signed chars, reads past the end see the NUL terminator) and the real
server's KEYS."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from cacheserver.glob import compile_glob, compile_matcher, compile_regex, glob_match, match_long
from helpers import RawClient, RedisServerProcess


def _ch(buf: bytes, i: int) -> int:
    """``buf[i]`` as a signed C char; 0 (the NUL terminator) past the end."""
    if i >= len(buf):
        return 0
    b = buf[i]
    return b - 256 if b > 127 else b


def _tolower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def ref_match(p: bytes, s: bytes, nocase: bool = False) -> bool:
    """A port of redis 7.0 ``stringmatchlen_impl`` (util.c)."""
    skip_longer = False

    def impl(pi: int, plen: int, si: int, slen: int) -> bool:
        nonlocal skip_longer
        while plen and slen:
            pc = _ch(p, pi)
            if pc == 0x2A:  # '*'
                while plen and _ch(p, pi + 1) == 0x2A:
                    pi += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if impl(pi + 1, plen - 1, si, slen):
                        return True
                    if skip_longer:
                        return False
                    si += 1
                    slen -= 1
                skip_longer = True
                return False
            elif pc == 0x3F:  # '?'
                si += 1
                slen -= 1
            elif pc == 0x5B:  # '['
                pi += 1
                plen -= 1
                neg = _ch(p, pi) == 0x5E
                if neg:
                    pi += 1
                    plen -= 1
                match = False
                while True:
                    if _ch(p, pi) == 0x5C and plen >= 2:
                        pi += 1
                        plen -= 1
                        if _ch(p, pi) == _ch(s, si):
                            match = True
                    elif _ch(p, pi) == 0x5D:
                        break
                    elif plen == 0:
                        pi -= 1
                        plen += 1
                        break
                    elif plen >= 3 and _ch(p, pi + 1) == 0x2D:
                        start, end, c = _ch(p, pi), _ch(p, pi + 2), _ch(s, si)
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, c = _tolower(start), _tolower(end), _tolower(c)
                        pi += 2
                        plen -= 2
                        if start <= c <= end:
                            match = True
                    elif nocase:
                        if _tolower(_ch(p, pi)) == _tolower(_ch(s, si)):
                            match = True
                    elif _ch(p, pi) == _ch(s, si):
                        match = True
                    pi += 1
                    plen -= 1
                if neg:
                    match = not match
                if not match:
                    return False
                si += 1
                slen -= 1
            else:
                if pc == 0x5C and plen >= 2:  # '\\'
                    pi += 1
                    plen -= 1
                a, b = _ch(p, pi), _ch(s, si)
                if nocase:
                    a, b = _tolower(a), _tolower(b)
                if a != b:
                    return False
                si += 1
                slen -= 1
            pi += 1
            plen -= 1
            if slen == 0:
                while _ch(p, pi) == 0x2A:
                    pi += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return impl(0, len(p), 0, len(s))


TRICKY_PATTERNS = [
    b"*",
    b"**",
    b"?",
    b"??",
    b"*?",
    b"[a-c]",
    b"[^a]",
    b"[c-a]",
    b"\\*",
    b"[",
    b"[abc",
    b"a\\",
    b"\\",
    b"",
    b"[]",
    b"[^]",
    b"[^",
    b"[]a]",
    b"[a-]",
    b"[-a]",
    b"[a-\\]]",
    b"[\\]",
    b"[\\",
    b"[\\-x]",
    b"[\\^a]",
    b"a*",
    b"*a",
    b"*a*",
    b"a*b*c",
    b"*b*c*",
    b"h?llo",
    b"h[ae]llo",
    b"h[^e]llo",
    b"h*llo",
    b"h\\?llo",
    b"[\x00-\xff]",
    b"[\x01-\x7f]",
    b"[\x80-\xff]",
    b"[\xff-\x80]",
    b"[\x7f-\x80]",
    b"\x00*",
    b"*\r\n*",
    b"[A-z]",
    b"[Z-a]",
    b"*[",
    b"a[",
    b"a[^",
    b"\\a\\b",
]

SUBJECTS = [
    b"",
    b"a",
    b"b",
    b"c",
    b"d",
    b"ab",
    b"abc",
    b"aXbYc",
    b"ba",
    b"*",
    b"?",
    b"[",
    b"]",
    b"^",
    b"-",
    b"\\",
    b"a\\",
    b"hello",
    b"hallo",
    b"hxllo",
    b"hllo",
    b"heeeello",
    b"h?llo",
    b"\x00",
    b"\x00x",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xfe",
    b"k\r\nv",
    b"A",
    b"Z",
    b"_",
    b"`",
    b"B",
]


@pytest.mark.parametrize("pattern", TRICKY_PATTERNS)
def test_tricky_patterns_match_the_c_code(pattern: bytes) -> None:
    for nocase in (False, True):
        f = compile_glob(pattern, nocase)
        for s in SUBJECTS:
            want = ref_match(pattern, s, nocase)
            assert f(s) is want, (pattern, s, nocase)
            assert glob_match(pattern, s, nocase) is want


def test_documented_quirks() -> None:
    assert not glob_match(b"*", b"")  # KEYS * lists the empty key only by skipping the matcher
    assert glob_match(b"", b"")
    assert glob_match(b"[\x00-\xff]", b"\xff") and glob_match(b"[\x00-\xff]", b"\x00")
    assert not glob_match(b"[\x00-\xff]", b"a")  # signed chars: the range is -1..0
    assert glob_match(b"[c-a]", b"b")
    assert glob_match(b"[^", b"x")
    assert not glob_match(b"[", b"x")
    assert glob_match(b"[abc", b"c")
    assert glob_match(b"[a-]", b"]") and glob_match(b"[a-]", b"_")
    assert glob_match(b"a\\", b"a\\")
    assert glob_match(b"\\*", b"*") and not glob_match(b"\\*", b"x")
    assert glob_match(b"HeLLo", b"hello", nocase=True)
    # an escaped byte inside a class compares exactly even with nocase
    assert not glob_match(b"[\\A]", b"a", nocase=True)
    assert glob_match(b"[A]", b"a", nocase=True)
    # nocase ranges compare lowercased ends: [A-z] loses '[' .. '`'
    assert glob_match(b"[A-z]", b"[") and not glob_match(b"[A-z]", b"[", nocase=True)


def random_cases(
    seed: int, n: int, pattern_len: int, subject_len: int
) -> Iterator[tuple[bytes, bool, list[bytes]]]:
    """``n`` random patterns over the bytes that mean something to a glob (shorter
    than ``pattern_len``), each with a random nocase and 12 random subjects."""
    rng = random.Random(seed)
    for _ in range(n):
        p = bytes(rng.choice(b"ab*?[]^-\\\xff\x00A") for _ in range(rng.randrange(pattern_len)))
        nocase = rng.random() < 0.3
        subjects = [
            bytes(rng.choice(b"ab]-^\\\xffA*") for _ in range(rng.randrange(subject_len)))
            for _ in range(12)
        ]
        yield p, nocase, subjects


def test_random_patterns_match_the_c_code() -> None:
    for p, nocase, subjects in random_cases(1234, 3000, 7, 6):
        f = compile_glob(p, nocase)
        for s in subjects:
            assert f(s) is ref_match(p, s, nocase), (p, s, nocase)


def test_many_stars_stay_linear() -> None:
    # a backtracking matcher takes n**k steps here; ours must return at once
    pattern = b"*a" * 12 + b"*b"
    subject = b"a" * 3000
    assert not glob_match(pattern, subject)
    assert glob_match(pattern, subject + b"b")
    assert compile_regex(pattern).fullmatch(b"a" * 11 + b"b") is None
    assert compile_regex(pattern).fullmatch(b"a" * 12 + b"b") is not None


def test_against_real_keys(real_redis: RedisServerProcess) -> None:
    """The real server's KEYS over binary keys, pattern by pattern."""
    c = RawClient("127.0.0.1", real_redis.port)
    try:
        c.call("SELECT", "9")
        c.call("FLUSHDB")
        for s in SUBJECTS:
            assert c.call("SET", s, "v") == b"+OK\r\n"
        for pattern in TRICKY_PATTERNS:
            reply = c.call("KEYS", pattern)
            got = sorted(_parse_bulk_array(reply))
            if pattern == b"*":  # KEYS * skips the matcher
                want = sorted(SUBJECTS)
            else:
                want = sorted(s for s in SUBJECTS if glob_match(pattern, s))
            assert got == want, pattern
        c.call("FLUSHDB")
    finally:
        c.close()


def _parse_bulk_array(reply: bytes) -> list[bytes]:
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] == b"*"
    out = []
    for _ in range(int(head[1:])):
        hdr, _, rest = rest.partition(b"\r\n")
        n = int(hdr[1:])
        out.append(rest[:n])
        rest = rest[n + 2 :]
    return out


def test_long_pattern_walk_matches_the_c_code() -> None:
    """``match_long`` (the matcher of patterns too long to compile) against
    the port of the C code, on the same random patterns and subjects."""
    for p, nocase, subjects in random_cases(4321, 4000, 9, 8):
        for s in subjects:
            assert match_long(p, s, nocase) is ref_match(p, s, nocase), (p, s, nocase)
    for pattern in TRICKY_PATTERNS:
        for s in SUBJECTS:
            for nocase in (False, True):
                assert match_long(pattern, s, nocase) is ref_match(pattern, s, nocase)


def test_megabyte_patterns_answer_at_once() -> None:
    big = 1 << 20
    cases = [
        (b"a" * big, b"a" * 10, False),
        (b"a" * big, b"a" * big, True),
        (b"*" * big, b"anything", True),
        (b"a*" * (big // 2), b"a" * 100, False),
        (b"[ab]" * (big // 4), b"ab", False),
        (b"*" + b"x" * big + b"*", b"x" * 1000, False),
        (b"h*o" + b"*" * big, b"hello", True),
    ]
    for pattern, subject, want in cases:
        f = compile_matcher(pattern)
        assert f(subject) is want
    assert compile_matcher(b"h*o")(b"hello")
