"""Differential tests of the sorted set commands: byte-identical to redis-server 7.0.

Everything here is deterministic in Redis except ZSCAN over a skiplist (dict
order: compared as the set of pairs one full iteration returns) and
ZRANDMEMBER's draws (checked for size and membership).  ZRANK/ZREVRANK
WITHSCORE is Redis 7.2 and is covered by the unit tests instead.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator

import pytest

from conftest import BIN, LLMAX, LLMIN, Pair, Pairs, wait_blocked
from helpers import RawClient, encode, read_reply

SCORES = [
    b"1", b"-1", b"0", b"-0", b"+0", b"1.1", b"0.1", b"0.2", b"0.30000000000000004",
    b"1e308", b"-1e308", b"1.7976931348623157e308", b"1e-310", b"5e-324", b"2.5e-324",
    b"0x10", b"0X1p-3", b"-0x1.8p1", b"inf", b"+inf", b"-inf", b"Infinity", b"-INF",
    b"00012", b"+1", b".5", b"5.", b"1E3", b"123456789012345678901234567890",
    b"3.141592653589793238462643383279", b"9007199254740993", b"1e22", b"1e23",
    # rejected
    b"nan", b"-nan", b"NaN", b" 1", b"1 ", b"", b"1e400", b"-1e400", b"1e-400", b"0x1p-1080",
    b"1_0", b"1e", b"0x", b"--1", b"1\x00", b"abc", b"1.2.3", b"0x1p", b"inf1", b"infinit",
]


def flat(pairs: Iterable[tuple[bytes | str | int, ...]]) -> list[bytes | str | int]:
    """(score, member) pairs as one flat argument list."""
    return [x for p in pairs for x in p]


def both_protocols(d: Pair, *commands: tuple[bytes | str | int, ...]) -> None:
    """The commands (with their setup) in RESP2, then again in RESP3."""
    d.batch(("FLUSHALL",), *commands)
    d.resp3()
    d.batch(("FLUSHALL",), *commands)


def items(reply: bytes) -> list[bytes]:
    """The top-level elements of an array reply, each as raw RESP."""
    eol = reply.index(b"\r\n")
    n = int(reply[1:eol])
    pos = eol + 2
    out = []
    for _ in range(max(n, 0)):
        end = read_reply(reply, pos)
        assert end is not None
        out.append(reply[pos:end])
        pos = end
    return out


# -- ZADD, ZINCRBY, ZSCORE: scores and options ------------------------------------


def test_zadd_scores(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = []
    for i, s in enumerate(SCORES):
        cmds += [("ZADD", "k", s, b"m%d" % i), ("ZSCORE", "k", b"m%d" % i)]
        cmds += [("ZADD", "big", s, b"m%d" % i), ("ZINCRBY", "inc", s, "m")]
    cmds += [("ZRANGE", "k", 0, -1, "WITHSCORES"), ("ZRANGE", "inc", 0, -1, "WITHSCORES")]
    both_protocols(d, ("ZADD", "big", 1, "x" * 65), *cmds, ("ZRANGE", "big", 0, -1, "WITHSCORES"))


def test_zadd_options(d: Pair) -> None:
    both_protocols(
        d,
        ("ZADD", "k", 1, "a", 2, "b"),
        ("ZADD", "k", "NX", 5, "a", 3, "c"),
        ("ZADD", "k", "XX", 5, "a", 4, "d"),
        ("ZADD", "k", "XX", "CH", 6, "a", 4, "d"),
        ("ZADD", "k", "CH", 6, "a", 7, "b", 8, "e"),
        ("ZADD", "k", "GT", 1, "a", 9, "b"),
        ("ZADD", "k", "GT", "CH", 1, "a", 10, "b", 1, "f"),
        ("ZADD", "k", "LT", "CH", 100, "a", 0, "b", 1, "g"),
        ("ZADD", "k", "XX", "GT", 200, "a", 1, "h"),
        ("ZADD", "k", "XX", "LT", "CH", -1, "a", 1, "h"),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZADD", "k", "INCR", 1.5, "a"),
        ("ZADD", "k", "INCR", "NX", 1, "a"),
        ("ZADD", "k", "INCR", "NX", 1, "new"),
        ("ZADD", "k", "INCR", "XX", 1, "nope"),
        ("ZADD", "k", "INCR", "GT", -1, "a"),
        ("ZADD", "k", "INCR", "LT", -1, "a"),
        ("ZADD", "k", "INCR", "GT", "CH", 1, "a"),
        ("ZADD", "nokey", "XX", 1, "a"),
        ("ZADD", "nokey", "XX", "INCR", 1, "a"),
        ("EXISTS", "nokey"),
        ("ZADD", "k", "nx\x00junk", 1, "z1"),
        ("ZADD", "k", "Ch", "iNcR", 1, "z1"),
        ("ZADD", "k", 1, "dup", 2, "dup", 3, "dup"),
        ("ZADD", "k", "CH", 1, "dup", 2, "dup"),
        ("ZSCORE", "k", "dup"),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZCARD", "k"),
    )


def test_zadd_errors(d: Pair) -> None:
    d.batch(
        ("ZADD", "k", 1, "a"),
        ("ZADD", "k", "XX", "NX", 1, "a"),
        ("ZADD", "k", "NX", "XX", "GT", 1, "a"),
        ("ZADD", "k", "GT", "LT", 1, "a"),
        ("ZADD", "k", "NX", "GT", 1, "a"),
        ("ZADD", "k", "NX", "LT", 1, "a"),
        ("ZADD", "k", "INCR", 1, "a", 2, "b"),
        ("ZADD", "k", "INCR", "XX", "NX", 1, "a", 2, "b"),
        ("ZADD", "k", 1, "a", 2),
        ("ZADD", "k", "NX", 1),
        ("ZADD", "k", "NX", "NX", "NX"),
        ("ZADD", "k", "x", "a"),
        ("ZADD", "k", 1, "b", "x", "a"),
        ("ZADD", "k", "XX", "NX", "x", "a"),
        ("ZADD", "k", 1, "a", "nan", "b"),
        ("ZCARD", "k"),
        ("ZADD", "k"),
        ("ZADD", "k", 1),
        ("ZADD", "k", "INCR"),
        ("ZINCRBY", "k", 1),
        ("ZINCRBY", "k", "x", "a"),
        ("ZINCRBY", "k", "nx", "a"),
        ("ZINCRBY", "k", "incr", "a"),
        ("ZINCRBY", "k", "", "a"),
        ("ZINCRBY", "k", 1, "a", "b"),
    )


def test_zincrby_edges(d: Pair) -> None:
    both_protocols(
        d,
        ("ZINCRBY", "k", "1e308", "a"),
        ("ZINCRBY", "k", "1e308", "a"),  # overflows to inf
        ("ZINCRBY", "k", "1e308", "a"),
        ("ZINCRBY", "k", "-inf", "a"),  # inf + -inf
        ("ZADD", "k", "INCR", "-inf", "a"),
        ("ZSCORE", "k", "a"),
        ("ZINCRBY", "k", "0.1", "b"),
        ("ZINCRBY", "k", "0.2", "b"),
        ("ZINCRBY", "k", "-0.30000000000000004", "b"),
        ("ZINCRBY", "k", "-0", "c"),
        ("ZINCRBY", "k", "0", "c"),
        ("ZSCORE", "k", "c"),
        ("ZINCRBY", "k", "-inf", "d"),
        ("ZINCRBY", "k", "inf", "d"),
        ("ZINCRBY", "k", "-1", "d"),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZADD", "k", "-1e308", "e"),
        ("ZINCRBY", "k", "-1e308", "e"),
        ("ZSCORE", "k", "e"),
        ("ZINCRBY", "k", "5e-324", "f"),
        ("ZINCRBY", "k", "5e-324", "f"),
        ("ZSCORE", "k", "f"),
    )


def test_negative_zero(d: Pair) -> None:
    """A listpack keeps -0 as 0, a skiplist keeps the sign; replies of computed
    scores show it (ZINCRBY, ZUNION)."""
    long = "x" * 70
    both_protocols(
        d,
        ("ZADD", "lp", "-0", "a", "0", "b", "-0.0", "c"),
        ("ZRANGE", "lp", 0, -1, "WITHSCORES"),
        ("ZADD", "sk", "-0", "a", 1, long),
        ("ZADD", "sk", "-0", "b", "0", "c"),
        ("ZINCRBY", "sk", "-0", "d"),
        ("ZADD", "sk", "INCR", "-0", "e"),
        ("ZRANGE", "sk", 0, -1, "WITHSCORES"),
        ("ZSCORE", "sk", "b"),
        ("ZMSCORE", "sk", "a", "b", "c", "d", "e"),
        ("ZUNION", 1, "lp", "WEIGHTS", -1, "WITHSCORES"),
        ("ZUNION", 1, "sk", "WEIGHTS", -1, "WITHSCORES"),
        ("ZINTER", 2, "sk", "lp", "WEIGHTS", -1, 1, "WITHSCORES"),
        ("ZUNIONSTORE", "u", 1, "sk", "WEIGHTS", -1),
        ("ZRANGE", "u", 0, -1, "WITHSCORES"),
        ("ZUNIONSTORE", "u2", 2, "sk", "lp", "WEIGHTS", -1, -1, "AGGREGATE", "MIN"),
        ("ZRANGE", "u2", 0, -1, "WITHSCORES"),
        ("OBJECT", "ENCODING", "u2"),
        ("ZRANGESTORE", "r", "sk", 0, -1),
        ("ZRANGE", "r", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "r2", "sk", 0, -1, "REV"),
        ("ZRANGE", "r2", 0, -1, "WITHSCORES"),
        ("ZRANGEBYSCORE", "sk", "0", "0", "WITHSCORES"),
        ("ZRANGEBYSCORE", "sk", "-0", "(0", "WITHSCORES"),
        ("ZRANGEBYSCORE", "sk", "(-0", "+inf"),
        ("ZCOUNT", "sk", "-0", "-0"),
        ("ZPOPMIN", "sk", 3),
    )


# -- reads ------------------------------------------------------------------------


def test_reads(d: Pair) -> None:
    both_protocols(
        d,
        ("ZADD", "k", 1, "a", 2, "b", 3, "c", "1.5", BIN, "-inf", "", "inf", "z"),
        ("ZSCORE", "k", BIN),
        ("ZSCORE", "k", ""),
        ("ZSCORE", "k", "nope"),
        ("ZSCORE", "nokey", "a"),
        ("ZMSCORE", "k", "a", "nope", BIN, "z", ""),
        ("ZMSCORE", "nokey", "a", "b"),
        ("ZCARD", "k"),
        ("ZCARD", "nokey"),
        ("ZRANK", "k", "a"),
        ("ZRANK", "k", ""),
        ("ZRANK", "k", "z"),
        ("ZRANK", "k", "nope"),
        ("ZRANK", "nokey", "a"),
        ("ZREVRANK", "k", "a"),
        ("ZREVRANK", "k", "z"),
        ("ZREVRANK", "k", "nope"),
        ("ZREVRANK", "nokey", "a"),
        ("ZRANK", "k", "a", "b", "c"),
        ("ZSCORE", "k"),
        ("ZMSCORE", "k"),
        ("ZCARD", "k", "x"),
    )


def test_ties_order_by_member_bytes(d: Pair) -> None:
    members = [b"b", b"a", b"", b"\x00", b"\xff", b"A", b"aa", b"a\x00", b"B", b"10", b"9"]
    args: list[bytes | str | int] = ["ZADD", "k"]
    for m in members:
        args += [1, m]
    both_protocols(
        d,
        tuple(args),
        ("ZADD", "k", 0, "zz", 2, "00"),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZREVRANGE", "k", 0, -1),
        ("ZRANK", "k", "a\x00"),
        ("ZRANGEBYLEX", "k", "-", "+"),
    )


# -- ranges -------------------------------------------------------------------------


def _fill(n: int = 10) -> tuple[bytes | str | int, ...]:
    args: list[bytes | str | int] = ["ZADD", "k"]
    for i in range(n):
        args += [i, chr(ord("a") + i)]
    return tuple(args)


RANK_RANGES = [
    (0, -1), (0, 0), (-1, -1), (2, 5), (5, 2), (-3, -1), (-100, 2), (-100, -50), (3, 100),
    (10, 20), (9, 9), (0, -11), (0, -10), (LLMIN, LLMAX), (LLMAX, LLMIN), (-1, 0),
]


def test_zrange_by_rank(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = [_fill()]
    for a, b in RANK_RANGES:
        cmds += [
            ("ZRANGE", "k", a, b),
            ("ZRANGE", "k", a, b, "WITHSCORES"),
            ("ZRANGE", "k", a, b, "REV"),
            ("ZREVRANGE", "k", a, b, "WITHSCORES"),
            ("ZRANGE", "nokey", a, b),
        ]
    both_protocols(d, *cmds)


SCORE_RANGES = [
    ("-inf", "+inf"), ("+inf", "-inf"), ("0", "9"), ("(0", "(9"), ("2", "2"), ("(2", "2"),
    ("2", "(2"), ("(2", "(3"), ("-inf", "(-inf"), ("(inf", "inf"), ("inf", "inf"),
    ("", "3"), ("(", "3"), (" 1", "3"), ("\t1", " 3"), ("1\x00xyz", "3\x00"), ("1e400", "inf"),
    ("-1e400", "(1e-400"), ("0x2", "0X4"), ("5", "1"), ("1.5", "4.5"), ("(1.5", "(4.5"),
    ("-inf", "-inf"), ("(-inf", "+inf"), ("+Infinity", "-INF"),
]
BAD_SCORE_RANGES = [("a", "1"), ("1", "b"), ("nan", "1"), ("(nan", "1"), ("1 ", "2"), ("((1", "2"),
                    (" ", "1"), ("1", "[2"), ("-nan", "inf")]


def test_zrange_by_score(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = [_fill(), ("ZADD", "k", "-inf", "ninf", "inf", "pinf")]
    for a, b in SCORE_RANGES + BAD_SCORE_RANGES:
        cmds += [
            ("ZRANGEBYSCORE", "k", a, b),
            ("ZRANGEBYSCORE", "k", a, b, "WITHSCORES"),
            ("ZREVRANGEBYSCORE", "k", b, a, "WITHSCORES"),
            ("ZRANGE", "k", a, b, "BYSCORE"),
            ("ZRANGE", "k", b, a, "BYSCORE", "REV"),
            ("ZCOUNT", "k", a, b),
            ("ZCOUNT", "nokey", a, b),
            ("ZRANGEBYSCORE", "nokey", a, b),
        ]
    both_protocols(d, *cmds)


LIMITS = [(0, 1), (0, 0), (0, -1), (2, 3), (1, -5), (-1, 2), (-1, -1), (9, 5), (10, 1), (11, 1),
          (100, 1), (0, 100), (3, LLMAX), (LLMAX, 1)]


def test_limits(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = [
        _fill(),
        ("ZADD", "l", *flat((0, c) for c in "abcdefghij")),
    ]
    for off, cnt in LIMITS:
        cmds += [
            ("ZRANGEBYSCORE", "k", "-inf", "+inf", "LIMIT", off, cnt),
            ("ZRANGEBYSCORE", "k", "(2", "7", "WITHSCORES", "LIMIT", off, cnt),
            ("ZREVRANGEBYSCORE", "k", "7", "(2", "LIMIT", off, cnt, "WITHSCORES"),
            ("ZRANGE", "k", "(2", "7", "BYSCORE", "LIMIT", off, cnt),
            ("ZRANGE", "k", "7", "(2", "BYSCORE", "REV", "LIMIT", off, cnt),
            ("ZRANGEBYLEX", "l", "[b", "(i", "LIMIT", off, cnt),
            ("ZREVRANGEBYLEX", "l", "(i", "[b", "LIMIT", off, cnt),
            ("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", off, cnt),
            ("ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", off, cnt),
        ]
    both_protocols(d, *cmds)


def test_zrange_syntax(d: Pair) -> None:
    d.batch(
        _fill(),
        ("ZRANGE", "k", 0, -1, "LIMIT", 0, 1),
        ("ZRANGE", "k", 0, -1, "LIMIT", 0, -1),  # "no limit" passes even by rank
        ("ZRANGE", "k", 0, -1, "REV", "LIMIT", 0, 1),
        ("ZRANGE", "k", "-", "+", "BYLEX", "WITHSCORES"),
        ("ZRANGE", "k", "[a", "[c", "BYLEX", "BYSCORE"),
        ("ZRANGE", "k", 0, 1, "BYSCORE", "BYSCORE"),
        ("ZRANGE", "k", 0, 1, "REV", "REV"),
        ("ZRANGE", "k", 0, 1, "WITHSCORES", "WITHSCORES"),
        ("ZRANGE", "k", 0, 1, "LIMIT"),
        ("ZRANGE", "k", 0, 1, "BYSCORE", "LIMIT", 1),
        ("ZRANGE", "k", 0, 1, "BYSCORE", "LIMIT", "x", 1),
        ("ZRANGE", "k", 0, 1, "BYSCORE", "LIMIT", 1, "x"),
        ("ZRANGE", "k", 0, 1, "BYSCORE", "LIMIT", 1, 2, 3),
        ("ZRANGE", "k", 0, 1, "FOO"),
        ("ZRANGE", "k", "a", 1),
        ("ZRANGE", "k", 0, "1.5"),
        ("ZRANGE", "k", "9223372036854775808", 1),
        ("ZRANGE", "k", "a", "b", "BYSCORE"),
        ("ZRANGE", "k", "a", "b", "BYLEX"),
        ("ZRANGE", "k", 0, 1, "byscore\x00x", "rev\x00", "withscores\x00"),
        ("ZRANGE", "nokey", "a", 1),
        ("ZRANGE", "nokey", 0, 1, "BYLEX"),
        ("ZRANGE", "k", 0),
        ("ZREVRANGE", "k", 0, 1, "REV"),
        ("ZREVRANGE", "k", 0, 1, "BYSCORE"),
        ("ZREVRANGE", "k", 0, 1, "LIMIT", 0, 1),
        ("ZRANGEBYSCORE", "k", 0, 1, "BYLEX"),
        ("ZRANGEBYSCORE", "k", 0, 1, "REV"),
        ("ZRANGEBYSCORE", "k", 0, 1, "LIMIT", 0),
        ("ZRANGEBYLEX", "k", "-", "+", "WITHSCORES"),
        ("ZRANGEBYLEX", "k", "-", "+", "BYSCORE"),
        ("ZREVRANGEBYLEX", "k", "+", "-", "LIMIT", 0, 2, "WITHSCORES"),
        ("ZRANGESTORE", "d", "k", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "d", "k", 0, -1, "LIMIT", 0, 1),
        ("ZRANGESTORE", "d", "k", 0),
        ("EXISTS", "d"),
    )


LEX_RANGES = [
    ("-", "+"), ("+", "-"), ("-", "-"), ("+", "+"), ("[a", "[c"), ("(a", "(c"), ("[b", "[b"),
    ("(b", "[b"), ("[b", "(b"), ("[c", "[a"), ("[", "+"), ("(", "+"), ("-", "["), ("-", "(a"),
    ("[aa", "(ab"), ("[\x00", "[\xff"), ("+\x00x", "+"), ("-\x00", "+"), ("[a\x00", "+"),
    ("[B", "[b"), ("(d", "+"), ("[zz", "+"), ("-", "[0"),
]
BAD_LEX = [("a", "+"), ("-", "b"), ("", "+"), ("-", ""), ("+a", "+"), ("-", "-a"), ("{a", "+")]


def test_lex_ranges(d: Pair) -> None:
    members = ["a", "b", "c", "d", "aa", "ab", "", "\x00", "\xff", "B", "a\x00"]
    cmds: list[tuple[bytes | str | int, ...]] = [("ZADD", "k", *flat((0, m) for m in members))]
    for a, b in LEX_RANGES + BAD_LEX:
        cmds += [
            ("ZRANGEBYLEX", "k", a, b),
            ("ZREVRANGEBYLEX", "k", b, a),
            ("ZRANGE", "k", a, b, "BYLEX"),
            ("ZRANGE", "k", b, a, "BYLEX", "REV"),
            ("ZLEXCOUNT", "k", a, b),
            ("ZLEXCOUNT", "nokey", a, b),
            ("ZRANGEBYLEX", "nokey", a, b),
        ]
    both_protocols(d, *cmds)


def test_lex_ranges_mixed_scores_listpack(d: Pair) -> None:
    """Unspecified by Redis's docs, but a listpack's walk is deterministic."""
    cmds: list[tuple[bytes | str | int, ...]] = [("ZADD", "k", 1, "b", 2, "a", 3, "d", 0, "c", 5, "e")]
    for a, b in [("-", "+"), ("[a", "+"), ("[b", "[c"), ("[c", "[b"), ("(a", "[d"), ("[e", "+"),
                 ("-", "[a"), ("[d", "[e"), ("[a", "[a")]:
        cmds += [
            ("ZRANGEBYLEX", "k", a, b),
            ("ZREVRANGEBYLEX", "k", b, a),
            ("ZLEXCOUNT", "k", a, b),
        ]
    for a, b in [("[b", "[c"), ("[d", "+"), ("-", "[a")]:
        cmds += [("ZREMRANGEBYLEX", "k", a, b), ("ZRANGE", "k", 0, -1, "WITHSCORES"),
                 ("ZADD", "k", 1, "b", 2, "a", 3, "d", 0, "c", 5, "e")]
    d.batch(*cmds)


def test_lex_ranges_mixed_scores_skiplist(d: Pair) -> None:
    """A skiplist (a member over 64 bytes) of two members with mixed scores,
    where Redis's answer does not depend on its random levels: a range or a
    count is first checked against both ends of the set; ZREMRANGEBYLEX is
    not, and where only the first member is >= min, whether its descent
    lands on it depends on the levels (so the last set has no removals)."""
    long_a, long_x = "a" * 70, "x" * 70
    cmds: list[tuple[bytes | str | int, ...]] = []
    sets = [(("-inf", long_x), (1, "member1")), ((1, long_a), (2, "b")), ((1, "m"), (2, long_a))]
    for removals, pairs in zip((True, True, False), sets, strict=True):
        fill = ("ZADD", "k", *[v for pair in pairs for v in pair])
        cmds += [("DEL", "k"), fill, ("OBJECT", "ENCODING", "k")]
        for a, b in [("(a", "(member3"), ("-", "+"), ("[b", "+"), ("-", "[c"), ("[m", "[m"),
                     ("(a", "[n"), ("[y", "+"), ("-", "(a")]:
            cmds += [("ZRANGEBYLEX", "k", a, b), ("ZREVRANGEBYLEX", "k", b, a), ("ZLEXCOUNT", "k", a, b)]
            if removals:
                cmds += [("ZREMRANGEBYLEX", "k", a, b), ("ZRANGE", "k", 0, -1, "WITHSCORES"), fill]
    d.batch(*cmds)


def test_zrangestore(d: Pair) -> None:
    both_protocols(
        d,
        _fill(),
        ("SET", "str", "x"),
        ("ZRANGESTORE", "d", "k", 0, 2),
        ("ZRANGE", "d", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "d", "k", 2, 5, "REV"),
        ("ZRANGE", "d", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "d", "k", "(2", "+inf", "BYSCORE", "LIMIT", 1, 3),
        ("ZRANGE", "d", 0, -1, "WITHSCORES"),
        ("ZRANGESTORE", "d", "k", "[c", "-", "BYLEX", "REV"),
        ("ZRANGE", "d", 0, -1, "WITHSCORES"),
        ("EXPIRE", "d", 100),
        ("ZRANGESTORE", "d", "k", 0, 0),
        ("TTL", "d"),
        ("ZRANGESTORE", "d", "k", 5, 2),
        ("EXISTS", "d"),
        ("ZRANGESTORE", "str", "k", 0, 1),
        ("TYPE", "str"),
        ("ZRANGESTORE", "d", "nokey", 0, -1),
        ("ZRANGESTORE", "d", "str", 0, -1),
        ("SET", "str", "x"),
        ("ZRANGESTORE", "str", "nokey", 0, -1),
        ("EXISTS", "str"),
        ("ZRANGESTORE", "k", "k", 0, 3),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("OBJECT", "ENCODING", "k"),
    )


# -- removal --------------------------------------------------------------------------


def test_removal(d: Pair) -> None:
    both_protocols(
        d,
        _fill(),
        ("ZREM", "k", "a", "a", "nope", "b"),
        ("ZREM", "nokey", "a"),
        ("ZREMRANGEBYRANK", "k", 0, 0),
        ("ZREMRANGEBYRANK", "k", -2, -1),
        ("ZREMRANGEBYRANK", "k", 5, 2),
        ("ZREMRANGEBYRANK", "k", 100, 200),
        ("ZREMRANGEBYRANK", "k", "x", 1),
        ("ZREMRANGEBYRANK", "nokey", 0, -1),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZREMRANGEBYSCORE", "k", "(3", "4"),
        ("ZREMRANGEBYSCORE", "k", "x", "4"),
        ("ZREMRANGEBYSCORE", "k", "5", "1"),
        ("ZREMRANGEBYSCORE", "nokey", "-inf", "inf"),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZADD", "l", 0, "a", 0, "b", 0, "c", 0, "d"),
        ("ZREMRANGEBYLEX", "l", "(a", "[c"),
        ("ZREMRANGEBYLEX", "l", "a", "[c"),
        ("ZREMRANGEBYLEX", "l", "+", "-"),
        ("ZRANGE", "l", 0, -1),
        ("ZREMRANGEBYLEX", "l", "-", "+"),
        ("EXISTS", "l"),
        ("ZREMRANGEBYRANK", "k", 0, -1),
        ("EXISTS", "k"),
        ("ZADD", "k", 1, "a"),
        ("ZREM", "k", "a"),
        ("EXISTS", "k"),
        ("ZADD", "k", 1, "a", 2, "b"),
        ("ZREMRANGEBYSCORE", "k", "-inf", "inf"),
        ("EXISTS", "k"),
        ("ZREM", "k"),
    )


# -- pops --------------------------------------------------------------------------------


def test_pops(d: Pair) -> None:
    both_protocols(
        d,
        _fill(),
        ("ZPOPMIN", "k"),
        ("ZPOPMAX", "k"),
        ("ZPOPMIN", "k", 2),
        ("ZPOPMAX", "k", 1),
        ("ZPOPMIN", "k", 0),
        ("ZPOPMIN", "k", -1),
        ("ZPOPMIN", "k", "x"),
        ("ZPOPMIN", "k", 1, 2),
        ("ZPOPMIN", "nokey"),
        ("ZPOPMIN", "nokey", 3),
        ("ZPOPMIN", "nokey", 0),
        ("ZPOPMAX", "k", 100),
        ("EXISTS", "k"),
        _fill(),
        ("ZMPOP", 1, "k", "MIN"),
        ("ZMPOP", 2, "nokey", "k", "MAX", "COUNT", 3),
        ("ZMPOP", 1, "nokey", "MIN"),
        ("ZMPOP", 1, "k", "min", "count", 100),
        ("EXISTS", "k"),
        ("ZMPOP", 0, "k", "MIN"),
        ("ZMPOP", -1, "k", "MIN"),
        ("ZMPOP", "x", "k", "MIN"),
        ("ZMPOP", 1, "k", "FOO"),
        ("ZMPOP", 2, "k", "MIN"),
        ("ZMPOP", 1, "k", "MIN", "COUNT"),
        ("ZMPOP", 1, "k", "MIN", "COUNT", 0),
        ("ZMPOP", 1, "k", "MIN", "COUNT", -1),
        ("ZMPOP", 1, "k", "MIN", "COUNT", "x"),
        ("ZMPOP", 1, "k", "MIN", "COUNT", 1, "COUNT", 1),
        ("ZMPOP", 1, "k", "MIN", "FOO"),
        ("ZMPOP", 1, "k", "min\x00x"),
        ("ZMPOP", LLMAX, "k", "MIN"),
    )


def test_blocking_pops_without_waiting(d: Pair) -> None:
    both_protocols(
        d,
        ("ZADD", "k", 1, "a", 2, "b", 3, "c"),
        ("BZPOPMIN", "nokey", "k", 0),
        ("BZPOPMAX", "k", "1.5"),
        ("BZMPOP", 0, 2, "nokey", "k", "MIN", "COUNT", 5),
        ("EXISTS", "k"),
        ("BZPOPMIN", "nokey", "0.01"),
        ("BZPOPMAX", "nokey", "0.01"),
        ("BZMPOP", "0.01", 1, "nokey", "MAX"),
    )


TIMEOUTS = ["-1", "-0.5", "abc", "", " 1", "1 ", "nan", "inf", "-inf", "1e20", "1e400",
            "9223372036854775.808", "9223372036854776", "0x", "1_0", "1e-400"]


def test_blocking_errors(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = [("SET", "str", "x"), ("ZADD", "k", 1, "a")]
    for t in TIMEOUTS:
        cmds += [("BZPOPMIN", "nokey", t), ("BZMPOP", t, 1, "nokey", "MIN")]
    cmds += [
        ("BZPOPMIN", "str", 0),
        ("BZPOPMIN", "nokey", "str", 0),
        ("BZPOPMAX", "str", "x"),
        ("BZMPOP", 0, 1, "str", "MIN"),
        ("BZMPOP", "x", 0, "k", "MIN"),
        ("BZMPOP", "x", 1, "k", "FOO"),
        ("BZMPOP", 0, 2, "k", "MIN"),
        ("BZMPOP", 0, 1, "k", "MIN", "COUNT", 0),
        ("BZPOPMIN", "k"),
        ("BZMPOP", 0, 1, "k"),
    ]
    d.batch(*cmds)


# -- ZRANDMEMBER -----------------------------------------------------------------------------


def test_zrandmember_deterministic(d: Pair) -> None:
    both_protocols(
        d,
        _fill(5),
        ("ZRANDMEMBER", "nokey"),
        ("ZRANDMEMBER", "nokey", 5),
        ("ZRANDMEMBER", "nokey", -5, "WITHSCORES"),
        ("ZRANDMEMBER", "k", 0),
        ("ZRANDMEMBER", "k", 5),
        ("ZRANDMEMBER", "k", 100, "WITHSCORES"),
        ("ZRANDMEMBER", "k", "x"),
        ("ZRANDMEMBER", "k", LLMIN),
        ("ZRANDMEMBER", "k", "-4611686018427387904", "WITHSCORES"),
        ("ZRANDMEMBER", "k", "4611686018427387904", "WITHSCORES"),
        ("ZRANDMEMBER", "k", 1, "WITHSCORE"),
        ("ZRANDMEMBER", "k", 1, "WITHSCORES", "x"),
        ("ZRANDMEMBER", "k", "x", "WITHSCORES"),
        ("ZRANDMEMBER", "nokey", "x"),
        ("ZRANDMEMBER", "nokey", 1, "foo"),
    )


def bulks(reply: bytes) -> list[bytes]:
    """Every bulk string and RESP3 double in a reply, in order."""
    out = []
    for m in re.finditer(rb"\$(\d+)\r\n|,([^\r]*)\r\n", reply):
        if m.group(1) is not None:
            n = int(m.group(1))
            out.append(reply[m.end() : m.end() + n])
        else:
            out.append(m.group(2))
    return out


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("size", [5, 200])
def test_zrandmember_draws(d: Pair, proto: int, size: int) -> None:
    if proto == 3:
        d.resp3()
    d.check("ZADD", "k", *flat((i, f"m{i}") for i in range(size)))
    scores = {b"m%d" % i: b"%d" % i for i in range(size)}
    for count in [1, 3, -7, size - 1, size // 2, size * 2, -size * 2]:
        for withscores in (False, True):
            cmd: tuple[bytes | str | int, ...] = ("ZRANDMEMBER", "k", count)
            if withscores:
                cmd += ("WITHSCORES",)
            ours, real = d.both(*cmd)
            assert len(items(ours)) == len(items(real)), (cmd, ours, real)
            if withscores and proto == 3:
                assert all(x.startswith(b"*2\r\n$") for x in items(ours)), ours
            got = bulks(ours)
            members = got[::2] if withscores else got
            if withscores:
                assert all(scores[m] == s for m, s in zip(got[::2], got[1::2], strict=True))
            assert all(m in scores for m in members), ours
            assert len(members) == (min(count, size) if count > 0 else -count), (cmd, ours)
            if count > 0:
                assert len(set(members)) == len(members), ours
    ours, real = d.both("ZRANDMEMBER", "k")
    assert ours[:1] == real[:1] == b"$"
    assert bulks(ours)[0] in scores


# -- ZUNION, ZINTER, ZDIFF ----------------------------------------------------------------------


def test_set_algebra(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = [
        ("ZADD", "a", 1, "x", 2, "y", 3, "z", "inf", "i", "-inf", "n"),
        ("ZADD", "b", 10, "y", 20, "z", 30, "w", "-inf", "i", "inf", "n"),
        ("ZADD", "c", "1.1", "z", "0.1", "y"),
        ("SADD", "s", "x", "y", "q"),
        ("SADD", "ints", 1, 2, 3),
        ("ZADD", "nums", 5, 1, 7, 3),
        ("SET", "str", "v"),
    ]
    for op in ("ZUNION", "ZINTER"):
        for keys in (["a"], ["a", "b"], ["a", "b", "c"], ["b", "a"], ["a", "nokey"], ["nokey"],
                     ["a", "s"], ["s", "ints"], ["ints", "nums"], ["a", "a"], ["s"]):
            n = len(keys)
            cmds += [
                (op, n, *keys),
                (op, n, *keys, "WITHSCORES"),
                (op, n, *keys, "WEIGHTS", *([2] * n), "WITHSCORES"),
                (op, n, *keys, "WEIGHTS", *(["-1.5"] * n), "AGGREGATE", "MIN", "WITHSCORES"),
                (op, n, *keys, "WEIGHTS", *([0] * n), "WITHSCORES"),
                (op, n, *keys, "AGGREGATE", "MAX", "WITHSCORES"),
                (op, n, *keys, "AGGREGATE", "min", "WEIGHTS", *(["inf"] * n), "WITHSCORES"),
                (op, n, *keys, "WEIGHTS", *(["0.1"] * n), "AGGREGATE", "SUM", "WITHSCORES"),
                (op + "STORE", "dst", n, *keys, "WEIGHTS", *([3] * n)),
                ("ZRANGE", "dst", 0, -1, "WITHSCORES"),
                ("OBJECT", "ENCODING", "dst"),
            ]
    for keys in (["a"], ["a", "b"], ["b", "a"], ["a", "s"], ["s", "a"], ["a", "a"], ["nokey", "a"],
                 ["a", "nokey"], ["ints", "nums"]):
        n = len(keys)
        cmds += [
            ("ZDIFF", n, *keys),
            ("ZDIFF", n, *keys, "WITHSCORES"),
            ("ZDIFFSTORE", "dst", n, *keys),
            ("ZRANGE", "dst", 0, -1, "WITHSCORES"),
            ("ZINTERCARD", n, *keys),
            ("ZINTERCARD", n, *keys, "LIMIT", 1),
            ("ZINTERCARD", n, *keys, "LIMIT", 0),
        ]
    both_protocols(d, *cmds)


def test_set_algebra_errors(d: Pair) -> None:
    d.batch(
        ("ZADD", "a", 1, "x"),
        ("SET", "str", "v"),
        ("ZUNION", 0, "a"),
        ("ZINTER", -1, "a"),
        ("ZDIFF", "x", "a"),
        ("ZUNIONSTORE", "d", 0, "a"),
        ("ZINTERSTORE", "d", 0, "a"),
        ("ZDIFFSTORE", "d", 0, "a"),
        ("ZINTERCARD", 0, "a"),
        ("ZUNION", 2, "a"),
        ("ZUNION", 1, "a", "WEIGHTS"),
        ("ZUNION", 2, "a", "b", "WEIGHTS", 1),
        ("ZUNION", 1, "a", "WEIGHTS", "x"),
        ("ZUNION", 1, "a", "WEIGHTS", "nan"),
        ("ZUNION", 1, "a", "WEIGHTS", 1, 2),
        ("ZUNION", 1, "a", "AGGREGATE"),
        ("ZUNION", 1, "a", "AGGREGATE", "AVG"),
        ("ZUNION", 1, "a", "AGGREGATE", "sum\x00x"),
        ("ZUNION", 1, "a", "FOO"),
        ("ZUNION", 1, "a", "LIMIT", 1),
        ("ZUNIONSTORE", "d", 1, "a", "WITHSCORES"),
        ("ZDIFF", 1, "a", "WEIGHTS", 1),
        ("ZDIFF", 1, "a", "AGGREGATE", "SUM"),
        ("ZINTERCARD", 1, "a", "WITHSCORES"),
        ("ZINTERCARD", 1, "a", "WEIGHTS", 1),
        ("ZINTERCARD", 1, "a", "LIMIT"),
        ("ZINTERCARD", 1, "a", "LIMIT", -1),
        ("ZINTERCARD", 1, "a", "LIMIT", "x"),
        ("ZINTERCARD", 2, "a"),
        ("ZUNION", 2, "a", "str"),
        ("ZUNION", 2, "str", "a", "FOO"),  # the keys are looked up before the options
        ("ZINTER", 2, "nokey", "str"),
        ("ZDIFF", 2, "a", "str"),
        ("ZINTERCARD", 2, "str", "a", "LIMIT", -1),
        ("ZUNIONSTORE", "d", 1, "str"),
        ("ZUNIONSTORE", "d", 1, "nokey"),
        ("SET", "d", "x"),
        ("ZUNIONSTORE", "d", 1, "nokey"),
        ("EXISTS", "d"),
        ("SET", "d", "x"),
        ("EXPIRE", "d", 100),
        ("ZUNIONSTORE", "d", 1, "a"),
        ("TTL", "d"),
        ("TYPE", "d"),
        ("ZUNION", 1),
        ("ZUNIONSTORE", "d", 1),
    )


# -- encodings -------------------------------------------------------------------------------------


def test_encodings(d: Pair) -> None:
    many = flat((i, f"m{i}") for i in range(128))
    d.batch(
        ("ZADD", "k", *many),
        ("OBJECT", "ENCODING", "k"),
        ("ZADD", "k", 1, "m1"),
        ("OBJECT", "ENCODING", "k"),
        ("ZADD", "k", 1, "one-more"),
        ("OBJECT", "ENCODING", "k"),
        ("ZREMRANGEBYRANK", "k", 0, -3),
        ("OBJECT", "ENCODING", "k"),
        ("ZADD", "v", 1, "x" * 64),
        ("OBJECT", "ENCODING", "v"),
        ("ZADD", "v", 1, "y" * 65),
        ("OBJECT", "ENCODING", "v"),
        ("ZADD", "w", 1, "y" * 65),
        ("OBJECT", "ENCODING", "w"),
        ("ZINCRBY", "w2", 1, "y" * 65),
        ("OBJECT", "ENCODING", "w2"),
        ("ZADD", "dups", *flat((1, "same") for _ in range(200))),
        ("OBJECT", "ENCODING", "dups"),
        ("ZUNIONSTORE", "u", 1, "k"),
        ("OBJECT", "ENCODING", "u"),
        ("ZUNIONSTORE", "u", 1, "v", "WEIGHTS", 2),
        ("OBJECT", "ENCODING", "u"),
        ("ZRANGESTORE", "r", "k", 0, 0),
        ("OBJECT", "ENCODING", "r"),
        ("ZRANGESTORE", "r", "v", 0, -1),
        ("OBJECT", "ENCODING", "r"),
        ("ZADD", "big", *flat((i, f"m{i}") for i in range(300))),
        ("ZRANGESTORE", "r", "big", 0, 127),
        ("OBJECT", "ENCODING", "r"),
        ("ZRANGESTORE", "r", "big", 0, 128),
        ("OBJECT", "ENCODING", "r"),
        ("ZINTERSTORE", "i", 2, "big", "k"),
        ("OBJECT", "ENCODING", "i"),
        ("ZDIFFSTORE", "df", 2, "big", "k"),
        ("OBJECT", "ENCODING", "df"),
        ("ZCARD", "df"),
        ("COPY", "v", "vc"),
        ("OBJECT", "ENCODING", "vc"),
        ("ZRANGE", "vc", 0, -1, "WITHSCORES"),
        ("COPY", "k", "kc"),
        ("OBJECT", "ENCODING", "kc"),
        ("TYPE", "kc"),
        ("OBJECT", "ENCODING", "nokey"),
    )


def test_keyspace_commands_on_zsets(d: Pair) -> None:
    d.batch(
        ("ZADD", "k", 1, "a", 2, "b"),
        ("TYPE", "k"),
        ("RENAME", "k", "k2"),
        ("ZRANGE", "k2", 0, -1, "WITHSCORES"),
        ("COPY", "k2", "k3"),
        ("ZADD", "k3", 3, "c"),
        ("ZCARD", "k2"),
        ("ZCARD", "k3"),
        ("MOVE", "k3", 1),
        ("SELECT", 1),
        ("ZRANGE", "k3", 0, -1),
        ("SELECT", 0),
        ("DEL", "k2", "k3"),
        ("EXISTS", "k2"),
        ("ZADD", "t", 1, "a"),
        ("SCAN", 0, "TYPE", "zset"),
        ("PEXPIRE", "t", 1),
    )
    time.sleep(0.01)
    d.batch(("ZCARD", "t"), ("EXISTS", "t"), ("ZADD", "t", "XX", 1, "a"), ("EXISTS", "t"))


def test_wrongtype(d: Pair) -> None:
    cmds: list[tuple[bytes | str | int, ...]] = [("SET", "s", "x")]
    for cmd in [
        ("ZADD", "s", 1, "a"), ("ZADD", "s", "XX", 1, "a"), ("ZINCRBY", "s", 1, "a"),
        ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"), ("ZCARD", "s"), ("ZCOUNT", "s", 0, 1),
        ("ZLEXCOUNT", "s", "-", "+"), ("ZRANGE", "s", 0, 1), ("ZREVRANGE", "s", 0, 1),
        ("ZRANGEBYSCORE", "s", 0, 1), ("ZREVRANGEBYSCORE", "s", 1, 0), ("ZRANGEBYLEX", "s", "-", "+"),
        ("ZREVRANGEBYLEX", "s", "+", "-"), ("ZRANK", "s", "a"), ("ZREVRANK", "s", "a"),
        ("ZREM", "s", "a"), ("ZREMRANGEBYRANK", "s", 0, 1), ("ZREMRANGEBYSCORE", "s", 0, 1),
        ("ZREMRANGEBYLEX", "s", "-", "+"), ("ZPOPMIN", "s"), ("ZPOPMAX", "s", 2),
        ("ZPOPMIN", "s", 0), ("ZMPOP", 1, "s", "MIN"), ("ZRANDMEMBER", "s"),
        ("ZRANDMEMBER", "s", 0), ("ZRANDMEMBER", "s", -1, "WITHSCORES"), ("ZSCAN", "s", 0),
        ("ZSCAN", "s", 0, "FOO"), ("ZRANGESTORE", "d", "s", 0, 1), ("ZUNION", 1, "s"),
        ("ZINTER", 1, "s"), ("ZDIFF", 1, "s"), ("ZINTERCARD", 1, "s"), ("ZUNIONSTORE", "d", 1, "s"),
        ("BZPOPMIN", "s", 0), ("BZMPOP", 0, 1, "s", "MAX"),
        # argument errors come first where Redis checks them first
        ("ZCOUNT", "s", "x", 1), ("ZRANGE", "s", "x", 1), ("ZPOPMIN", "s", -1),
        ("ZRANDMEMBER", "s", "x"), ("ZSCAN", "s", "x"), ("ZREMRANGEBYLEX", "s", "x", "+"),
        ("ZADD", "s", "x", "a"), ("ZMPOP", 0, "s", "MIN"), ("BZPOPMIN", "s", -1),
    ]:
        cmds.append(cmd)
    cmds.append(("GET", "s"))
    d.batch(*cmds)


def test_arity(d: Pair) -> None:
    d.batch(
        ("ZADD", "k", 1), ("ZINCRBY", "k", 1), ("ZSCORE", "k"), ("ZMSCORE", "k"), ("ZCARD",),
        ("ZCOUNT", "k", 1), ("ZLEXCOUNT", "k", 1), ("ZRANGE", "k", 1), ("ZRANGESTORE", "d", "k", 1),
        ("ZREVRANGE", "k", 0), ("ZRANGEBYSCORE", "k", 0), ("ZREVRANGEBYSCORE", "k", 0),
        ("ZRANGEBYLEX", "k", "-"), ("ZREVRANGEBYLEX", "k", "+"), ("ZRANK", "k"),
        ("ZREVRANK", "k"), ("ZRANK", "k", "a", "WITHSCORE", "x"), ("ZREM", "k"),
        ("ZREMRANGEBYRANK", "k", 0), ("ZREMRANGEBYSCORE", "k", 0), ("ZREMRANGEBYLEX", "k", "-"),
        ("ZPOPMIN",), ("ZPOPMAX",), ("ZMPOP", 1, "k"), ("BZPOPMIN", "k"), ("BZPOPMAX", "k"),
        ("BZMPOP", 0, 1, "k"), ("ZRANDMEMBER",), ("ZUNION", 1), ("ZINTER", 1), ("ZDIFF", 1),
        ("ZINTERCARD", 1), ("ZUNIONSTORE", "d", 1), ("ZINTERSTORE", "d", 1), ("ZDIFFSTORE", "d", 1),
        ("ZSCAN", "k"),
    )


# -- ZSCAN ---------------------------------------------------------------------------------------


def test_zscan_listpack(d: Pair) -> None:
    both_protocols(
        d,
        ("ZADD", "k", 1, "a", "1.5", "b", "-inf", "c", 3, BIN, 2, "ab"),
        ("ZSCAN", "k", 0),
        ("ZSCAN", "k", 0, "COUNT", 1),
        ("ZSCAN", "k", 123),
        ("ZSCAN", "k", 0, "MATCH", "a*"),
        ("ZSCAN", "k", 0, "MATCH", "*", "COUNT", 2),
        ("ZSCAN", "k", 0, "MATCH", "zz"),
        ("ZSCAN", "k", 0, "COUNT", 0),
        ("ZSCAN", "k", 0, "COUNT", "x"),
        ("ZSCAN", "k", 0, "COUNT"),
        ("ZSCAN", "k", 0, "TYPE", "zset"),
        ("ZSCAN", "k", "x"),
        ("ZSCAN", "k", "-1"),
        ("ZSCAN", "k", "18446744073709551616"),
        ("ZSCAN", "k", "0\x00x"),
        ("ZSCAN", "k", "\x00"),
        ("ZSCAN", "k", " 0"),
        ("ZSCAN", "k", "+0"),
        ("ZSCAN", "k", 0, "COUNT", "5\x00"),
        ("ZSCAN", "k", 0, "MATCH", "a\x00b"),
        ("ZSCAN", "k", 0, "match\x00x", "a*", "count\x00", 3),
        ("ZSCAN", "nokey", 0),
        ("ZSCAN", "nokey", 0, "FOO"),
        ("ZSCAN", "nokey", "x"),
    )


def scan_all(c: RawClient, key: str, *opts: str | int) -> list[tuple[bytes, bytes]]:
    cursor = b"0"
    out: list[tuple[bytes, bytes]] = []
    for _ in range(10000):
        reply = c.call("ZSCAN", key, cursor, *opts)
        head, body = items(reply)
        cursor = head.split(b"\r\n")[1]
        flat = [x.split(b"\r\n")[1] for x in items(body)]
        out += list(zip(flat[::2], flat[1::2], strict=True))
        if cursor == b"0":
            return sorted(out)
    raise AssertionError("ZSCAN did not end")


def test_zscan_skiplist(d: Pair) -> None:
    args: list[bytes | str | int] = ["ZADD", "k"]
    for i in range(500):
        args += [f"{i}.5", f"member:{i}"]
    d.check(*args)
    for opts in [(), ("COUNT", 7), ("MATCH", "member:1*"), ("MATCH", "member:1*", "COUNT", 1000)]:
        assert scan_all(d.ours, "k", *opts) == scan_all(d.real, "k", *opts)


# -- COMMAND metadata ---------------------------------------------------------------------------


def test_command_info_metadata(d: Pair) -> None:
    names = [
        "zadd", "zincrby", "zrem", "zremrangebyscore", "zremrangebyrank", "zremrangebylex",
        "zunionstore", "zinterstore", "zdiffstore", "zunion", "zinter", "zintercard", "zdiff",
        "zrange", "zrangestore", "zrangebyscore", "zrevrangebyscore", "zrangebylex",
        "zrevrangebylex", "zcount", "zlexcount", "zrevrange", "zcard", "zscore", "zmscore",
        "zscan", "zpopmin", "zpopmax", "zmpop", "bzpopmin", "bzpopmax", "bzmpop", "zrandmember",
    ]
    for name in names:
        ours, real = d.both("COMMAND", "INFO", name)
        # name, arity, flags, first, last, step, ACL categories
        assert items(items(ours)[0])[:7] == items(items(real)[0])[:7], name


GETKEYS = [
    ("zunionstore", "d", 2, "a", "b", "WEIGHTS", 1, 2),
    ("zinterstore", "d", 1, "a"),
    ("zdiffstore", "d", 1, "a"),
    ("zunion", 2, "a", "b"),
    ("zunion", 3, "a", "b"),
    ("zunion", 0, "a"),
    ("zunion", "x", "a"),
    ("zinter", 1, "a", "WITHSCORES"),
    ("zdiff", 2, "a", "b"),
    ("zintercard", 2, "a", "b", "LIMIT", 1),
    ("zmpop", 2, "a", "b", "MIN"),
    ("zmpop", 3, "a", "b", "MIN"),
    ("bzmpop", 0, 2, "a", "b", "MIN"),
    ("bzpopmin", "a", "b", 0),
    ("zrangestore", "d", "s", 0, 1),
    ("zadd", "k", 1, "a"),
]


@pytest.mark.parametrize("args", GETKEYS, ids=repr)
def test_command_getkeys(d: Pair, args: tuple[bytes | str | int, ...]) -> None:
    d.check("COMMAND", "GETKEYS", *args)


# -- blocking pops with several clients ---------------------------------------------------------


@pytest.fixture
def clients(d: Pair, new_pair: Pairs) -> Iterator[Pairs]:
    """Makes more connection pairs to both servers (closed after the test)."""
    yield new_pair
    new_pair.close()
    wait_blocked(d, 0)


def test_blocked_client_served_by_zadd(d: Pair, clients: Callable[[], Pair]) -> None:
    a = clients()
    a.send("BZPOPMIN", "nokey", "k", 0)
    wait_blocked(d, 1)
    d.check("ZADD", "k", 2, "b", 1, "a")
    assert a.reply() == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    d.check("ZRANGE", "k", 0, -1, "WITHSCORES")
    wait_blocked(d, 0)


def test_waiters_first_come_first_served(d: Pair, clients: Callable[[], Pair]) -> None:
    a, b, c = clients(), clients(), clients()
    a.send("BZPOPMAX", "k", 0)
    wait_blocked(d, 1)
    b.send("BZPOPMIN", "k", 0)
    wait_blocked(d, 2)
    c.resp3()
    c.send("BZMPOP", 0, 1, "k", "MIN", "COUNT", 2)
    wait_blocked(d, 3)
    d.check("ZADD", "k", 1, "a", 2, "b")  # serves a (max) and b (min)
    assert a.reply() == b"*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert b.reply() == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    d.check("EXISTS", "k")
    wait_blocked(d, 1)
    d.check("ZADD", "k", 3, "c", 4, "d", 5, "e")
    c.reply()
    d.check("ZRANGE", "k", 0, -1, "WITHSCORES")


def test_blocked_on_several_keys_and_store_destinations(d: Pair, clients: Callable[[], Pair]) -> None:
    a, b = clients(), clients()
    a.resp3()
    a.send("BZPOPMIN", "k1", "k2", 0)
    b.send("BZMPOP", 0, 2, "k3", "k4", "MAX")
    wait_blocked(d, 2)
    d.check("ZADD", "src", 1, "x", 2, "y")
    d.check("ZUNIONSTORE", "k2", 1, "src", "WEIGHTS", "0.5")
    a.reply()
    d.check("ZRANGESTORE", "k4", "src", 0, -1)
    b.reply()
    d.check("ZRANGE", "k2", 0, -1, "WITHSCORES")
    d.check("ZRANGE", "k4", 0, -1, "WITHSCORES")


def test_store_over_another_type_does_not_serve(d: Pair, clients: Callable[[], Pair]) -> None:
    """Redis 7.0 signals waiters when a key is created, not when a STORE
    replaces a value of another type."""
    a = clients()
    a.send("BZPOPMIN", "k", "0.2")
    wait_blocked(d, 1)
    d.check("SET", "k", "x")
    d.check("ZADD", "src", 1, "a")
    d.check("ZUNIONSTORE", "k", 1, "src")
    assert a.reply() == b"*-1\r\n"
    d.check("ZRANGE", "k", 0, -1)


def test_key_of_another_type_keeps_waiting(d: Pair, clients: Callable[[], Pair]) -> None:
    a = clients()
    a.send("BZPOPMIN", "k", 0)
    wait_blocked(d, 1)
    d.check("SET", "k", "x")
    d.check("DEL", "k")
    wait_blocked(d, 1)
    d.check("ZINCRBY", "k", "1.5", "m")
    assert a.reply() == b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$3\r\n1.5\r\n"


def test_blocking_timeouts(d: Pair, clients: Callable[[], Pair]) -> None:
    a, b = clients(), clients()
    b.resp3()
    a.send("BZPOPMIN", "k", "0.02")
    b.send("BZMPOP", "0.02", 1, "k", "MIN")
    assert a.reply() == b"*-1\r\n"
    assert b.reply() == b"_\r\n"
    a.send("BZPOPMAX", "k", "0.0001")  # rounded up to a millisecond, not 0 (forever)
    assert a.reply() == b"*-1\r\n"
    wait_blocked(d, 0)
    d.check("ZADD", "k", 1, "a")
    d.check("ZCARD", "k")


def test_disconnected_waiter_is_forgotten(d: Pair, clients: Callable[[], Pair]) -> None:
    a, b = clients(), clients()
    a.send("BZPOPMIN", "k", 0)
    wait_blocked(d, 1)
    b.send("BZPOPMIN", "k", 0)
    wait_blocked(d, 2)
    a.close()
    wait_blocked(d, 1)
    d.check("ZADD", "k", 1, "a", 2, "b")
    assert b.reply() == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    b.close()
    wait_blocked(d, 0)
    d.check("ZADD", "k", 3, "c")
    d.check("ZRANGE", "k", 0, -1, "WITHSCORES")


def test_requests_after_a_blocking_pop_wait(d: Pair, clients: Callable[[], Pair]) -> None:
    a = clients()
    a.ours.send(encode("BZPOPMIN", "k", 0) + encode("ZCARD", "k") + encode("PING"))
    a.real.send(encode("BZPOPMIN", "k", 0) + encode("ZCARD", "k") + encode("PING"))
    wait_blocked(d, 1)
    d.check("ZADD", "k", 1, "a", 2, "b")
    a.reply()
    assert a.reply() == b":1\r\n"
    assert a.reply() == b"+PONG\r\n"


# -- big sets and random command sequences ---------------------------------------------------------


def test_big_set_ranges(d: Pair) -> None:
    """A skiplist-encoded set with repeated scores: ranks, score and lex ranges."""
    cmds: list[tuple[bytes | str | int, ...]] = [
        ("ZADD", "k", *flat((i // 3, f"m{i:03d}") for i in range(300))),
        ("ZADD", "k", "-0", "zero", "-inf", "lo", "inf", "hi", "1.5", "x" * 80),
        ("ZADD", "lex", *flat((0, f"w{i:03d}") for i in range(300))),
        ("OBJECT", "ENCODING", "k"),
        ("OBJECT", "ENCODING", "lex"),
    ]
    for a, b in [(0, 9), (-10, -1), (100, 120), (290, 400), (-400, 5)]:
        cmds += [("ZRANGE", "k", a, b, "WITHSCORES"), ("ZRANGE", "k", a, b, "REV")]
    for a, b in [("5", "7"), ("(5", "(7"), ("-inf", "0"), ("(99", "+inf"), ("0", "0")]:
        cmds += [
            ("ZRANGEBYSCORE", "k", a, b, "WITHSCORES", "LIMIT", 1, 4),
            ("ZREVRANGEBYSCORE", "k", b, a, "LIMIT", 2, 5),
            ("ZCOUNT", "k", a, b),
        ]
    for a, b in [("[w010", "(w020"), ("(w298", "+"), ("-", "[w000"), ("[w1", "[w2")]:
        cmds += [
            ("ZRANGEBYLEX", "lex", a, b, "LIMIT", 0, 5),
            ("ZREVRANGEBYLEX", "lex", b, a, "LIMIT", 1, 3),
            ("ZLEXCOUNT", "lex", a, b),
        ]
    for m in ["m000", "m150", "m299", "zero", "lo", "hi", "nope"]:
        cmds += [("ZRANK", "k", m), ("ZREVRANK", "k", m), ("ZSCORE", "k", m)]
    cmds += [
        ("ZREMRANGEBYRANK", "k", 10, 200),
        ("ZREMRANGEBYSCORE", "k", "(80", "90"),
        ("ZREMRANGEBYLEX", "lex", "[w100", "[w250"),
        ("ZPOPMIN", "k", 3),
        ("ZPOPMAX", "k", 2),
        ("ZCARD", "k"),
        ("ZCARD", "lex"),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
        ("ZRANGE", "lex", 0, -1),
        ("ZUNIONSTORE", "u", 2, "k", "lex", "WEIGHTS", 2, 1),
        ("ZRANGE", "u", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "i", 2, "k", "k", "AGGREGATE", "MAX"),
        ("ZRANGE", "i", 100, 110, "WITHSCORES"),
        ("ZREMRANGEBYRANK", "k", 0, -1),
        ("EXISTS", "k"),
    ]
    both_protocols(d, *cmds)


_RAND_SCORES = ["0", "-0", "1", "-1", "1.1", "0.1", "0.2", "2.5", "inf", "-inf", "1e308", "7", "3"]
_RAND_RANGES = ["-inf", "+inf", "(0", "0", "1", "(1.1", "2.5", "(inf", "-1", "(-inf", "7", "(3"]
_RAND_LEX = ["-", "+", "[a", "(a", "[c", "(d", "[m5", "(m", "[", "[zz"]


def _random_command(rng: random.Random) -> tuple[bytes | str | int, ...]:
    keys = ["k1", "k2", "k3"]
    key = rng.choice(keys)

    def member() -> str:
        if rng.random() < 0.03:
            return "long" + "x" * 70
        return rng.choice("abcdefgh") + (str(rng.randrange(40)) if rng.random() < 0.6 else "")

    def score() -> str:
        return rng.choice(_RAND_SCORES)

    def lim() -> tuple[bytes | str | int, ...]:
        return ("LIMIT", rng.randrange(-1, 6), rng.randrange(-1, 8)) if rng.random() < 0.4 else ()

    ws: tuple[str, ...] = ("WITHSCORES",) if rng.random() < 0.5 else ()
    r = rng.randrange(30)
    if r < 6:
        opts = rng.sample(["NX", "XX", "GT", "LT", "CH"], rng.randrange(3)) if rng.random() < 0.3 else []
        n = rng.choice([1, 1, 2, 5, 40, 70])
        return ("ZADD", key, *opts, *flat((score(), member()) for _ in range(n)))
    if r == 6:
        return ("ZINCRBY", key, score(), member())
    if r == 7:
        return ("ZADD", key, "INCR", *rng.sample(["NX", "XX", "GT", "LT"], rng.randrange(2)),
                score(), member())
    if r == 8:
        return ("ZREM", key, member(), member())
    if r == 9:
        a, b = rng.randrange(-12, 12), rng.randrange(-12, 12)
        return ("ZRANGE", key, a, b, *(("REV",) if rng.random() < 0.5 else ()), *ws)
    if r == 10:
        return ("ZRANGEBYSCORE", key, rng.choice(_RAND_RANGES), rng.choice(_RAND_RANGES), *ws, *lim())
    if r == 11:
        return ("ZREVRANGEBYSCORE", key, rng.choice(_RAND_RANGES), rng.choice(_RAND_RANGES), *lim(), *ws)
    if r == 12:
        return ("ZCOUNT", key, rng.choice(_RAND_RANGES), rng.choice(_RAND_RANGES))
    if r == 13:
        return (rng.choice(["ZRANK", "ZREVRANK", "ZSCORE"]), key, member())
    if r == 14:
        return ("ZMSCORE", key, member(), member(), member())
    if r == 15:
        return ("ZREMRANGEBYRANK", key, rng.randrange(-8, 8), rng.randrange(-8, 8))
    if r == 16:
        return ("ZREMRANGEBYSCORE", key, rng.choice(_RAND_RANGES), rng.choice(_RAND_RANGES))
    if r == 17:
        cmd = rng.choice(["ZPOPMIN", "ZPOPMAX"])
        return (cmd, key) if rng.random() < 0.3 else (cmd, key, rng.randrange(4))
    if r == 18:
        return ("ZMPOP", 2, key, rng.choice(keys), rng.choice(["MIN", "MAX"]), "COUNT", rng.randrange(1, 4))
    if r == 19:
        op = rng.choice(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
        srcs = rng.sample([*keys, "nokey"], rng.randrange(1, 4))
        extra: tuple[bytes | str | int, ...] = ()
        if op != "ZDIFFSTORE" and rng.random() < 0.5:
            extra = ("WEIGHTS", *(rng.choice(["1", "2", "-1", "0", "0.5", "inf"]) for _ in srcs))
        if op != "ZDIFFSTORE" and rng.random() < 0.5:
            extra += ("AGGREGATE", rng.choice(["SUM", "MIN", "MAX"]))
        return (op, rng.choice(keys), len(srcs), *srcs, *extra)
    if r == 20:
        op = rng.choice(["ZUNION", "ZINTER", "ZDIFF"])
        srcs = rng.sample(keys, rng.randrange(1, 4))
        return (op, len(srcs), *srcs, *ws)
    if r == 21:
        return ("ZINTERCARD", 2, key, rng.choice(keys), "LIMIT", rng.randrange(3))
    if r == 22:
        return ("ZRANGESTORE", rng.choice(keys), key, rng.randrange(-5, 5), rng.randrange(-5, 5))
    if r == 23:
        return ("ZRANGESTORE", rng.choice(keys), key, rng.choice(_RAND_RANGES),
                rng.choice(_RAND_RANGES), "BYSCORE", *(("REV",) if rng.random() < 0.5 else ()), *lim())
    if r == 24:
        return ("OBJECT", "ENCODING", key)
    if r == 25:
        return ("ZCARD", key)
    # lex commands on a set whose scores are all equal
    m = rng.choice(["a", "b", "c", "d", "m1", "m5", "m", "zz", ""]) + rng.choice(["", "x"])
    if r == 26:
        return ("ZADD", "lex", 0, m, 0, m + "2")
    if r == 27:
        return ("ZREM", "lex", m)
    a, b = rng.choice(_RAND_LEX), rng.choice(_RAND_LEX)
    if r == 28:
        return (rng.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), "lex", a, b, *lim())
    return (rng.choice(["ZLEXCOUNT", "ZREMRANGEBYLEX"]), "lex", a, b)


@pytest.mark.parametrize("seed", range(6))
def test_random_sequences(d: Pair, seed: int) -> None:
    rng = random.Random(seed)
    if seed % 2:
        d.resp3()
    for _ in range(8):
        d.batch(*(_random_command(rng) for _ in range(60)))
    for key in ("k1", "k2", "k3", "lex"):
        d.check("ZRANGE", key, 0, -1, "WITHSCORES")


def test_nul_bytes_in_arguments(d: Pair) -> None:
    """Redis matches option words as C strings (up to a NUL) but reads numbers
    over their whole length."""
    both_protocols(
        d,
        ("ZADD", "k", 1, "a", 2, "b"),
        ("ZADD", "k", "xx\x00y", "ch\x00", 3, "a"),
        ("ZADD", "k", "1\x00", "c"),
        ("ZINCRBY", "k", "1\x00", "a"),
        ("ZRANDMEMBER", "k", 5, "withscores\x00x"),
        ("ZRANDMEMBER", "k", "5\x00"),
        ("ZRANGE", "k", "0\x00", 1),
        ("ZRANGE", "k", 0, 1, "withscores\x00"),
        ("ZRANGEBYSCORE", "k", "-inf", "+inf", "limit\x00", 0, 1),
        ("ZRANGEBYSCORE", "k", "-inf", "+inf", "LIMIT", "0\x00", 1),
        ("ZUNION", 1, "k", "WEIGHTS", "1\x00"),
        ("ZUNION", 1, "k", "weights\x00", 2, "aggregate\x00", "max\x00", "withscores\x00"),
        ("ZUNION", "1\x00", "k"),
        ("ZINTERCARD", 1, "k", "limit\x00", 1),
        ("ZINTERCARD", 1, "k", "LIMIT", "1\x00"),
        ("ZMPOP", 1, "k", "max", "count\x00", 1),
        ("ZMPOP", 1, "k", "max", "COUNT", "1\x00"),
        ("ZPOPMIN", "k", "1\x00"),
        ("BZPOPMIN", "k", "1\x00"),
        ("BZMPOP", "0\x00", 1, "k", "MIN"),
        ("ZREMRANGEBYRANK", "k", "0\x00", 0),
        ("ZRANGE", "k", 0, -1, "WITHSCORES"),
    )
