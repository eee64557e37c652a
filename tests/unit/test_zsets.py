"""In-process tests of the sorted set commands (replies checked byte for byte)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

import pytest

from cacheserver.commands import zsets
from cacheserver.commands.zsets import parse_score
from cacheserver.connection import Client
from cacheserver.errors import CommandError
from cacheserver.store.zset import ZSet
from helpers import Harness, encode

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"


def arr(*items: bytes) -> bytes:
    """A RESP array of bulk strings."""
    return b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%s\r\n" % (len(i), i) for i in items)


def hello3(h: Harness, client: Client | None = None) -> None:
    assert h.run("HELLO", "3", client=client).startswith(b"%7")


def zset_of(h: Harness, key: bytes) -> ZSet:
    z = h.server.keyspace.dbs[0].data[key]
    assert z.__class__ is ZSet
    return z  # type: ignore[no-any-return]


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"1", 1.0), (b"-1", -1.0), (b"1.5", 1.5), (b".5", 0.5), (b"5.", 5.0), (b"+3", 3.0),
        (b"1e3", 1000.0), (b"1E-3", 0.001), (b"0x10", 16.0), (b"0X1p-2", 0.25), (b"-0x.8", -0.5),
        (b"inf", math.inf), (b"+Inf", math.inf), (b"-infinity", -math.inf),
        (b"1e-310", 1e-310), (b"5e-324", 5e-324), (b"0e999", 0.0), (b"1" * 299, float(b"1" * 299)),
    ],
)
def test_parse_score_accepts(text: bytes, value: float) -> None:
    assert parse_score(text) == value


@pytest.mark.parametrize(
    "text",
    [b"", b" 1", b"1 ", b"nan", b"-nan", b"NaN", b"1e400", b"-1e400", b"1e-400", b"0x1p-1100",
     b"0x1p2000", b"1_0", b"1e", b"0x", b"--1", b"1\x00", b"abc", b"infinit", b"inf inity",
     b"9" * 400, b"\t1", b"1.2.3"],
)
def test_parse_score_refuses(text: bytes) -> None:
    assert parse_score(text) is None


def test_range_ends_are_parsed_as_strtod_does() -> None:
    end = zsets._range_end
    assert end(b"") == (0.0, False)
    assert end(b"(") == (0.0, True)
    assert end(b" \t1") == (1.0, False)
    assert end(b"1\x00junk") == (1.0, False)
    assert end(b"(1e400") == (math.inf, True)
    assert end(b"1e-400") == (0.0, False)
    assert end(b" ") is None and end(b"1 ") is None and end(b"nan") is None
    assert end(b"((1") is None and end(b"[1") is None


def test_lex_ends() -> None:
    end = zsets._lex_end
    assert end(b"-") == (zsets.LEX_MIN, b"") and end(b"+\x00x") == (zsets.LEX_MAX, b"")
    assert end(b"[a\x00b") == (zsets.LEX_INCL, b"a\x00b") and end(b"(") == (zsets.LEX_EXCL, b"")
    assert end(b"") is None and end(b"a") is None and end(b"+a") is None


@pytest.mark.parametrize(
    ("arg", "seconds"),
    [
        (b"0", 0.0), (b"-0", 0.0), (b"-0.0001", 0.0), (b"1", 1.0), (b"0.5", 0.5),
        (b"0.0001", 0.001), (b"1e-30", 0.001), (b"0.0015", 0.002), (b"0x10", 16.0),
        (b"9223372036854775.807", 0.0),  # Redis's deadline wraps: it never fires
    ],
)
def test_blocking_timeouts(h: Harness, arg: bytes, seconds: float) -> None:
    assert zsets._timeout(h.client, arg) == seconds


@pytest.mark.parametrize(
    ("arg", "error"),
    [
        (b"-1", b"ERR timeout is negative"), (b"-0.01", b"ERR timeout is negative"),
        (b"inf", b"ERR timeout is negative"), (b"-inf", b"ERR timeout is negative"),
        (b"1e20", b"ERR timeout is negative"),
        (b"9223372036854775.808", b"ERR timeout is negative"),
        (b"abc", b"ERR timeout is not a float or out of range"),
        (b" 1", b"ERR timeout is not a float or out of range"),
        (b"nan", b"ERR timeout is not a float or out of range"),
        (b"1_0", b"ERR timeout is not a float or out of range"),
        (b"", b"ERR timeout is not a float or out of range"),
    ],
)
def test_blocking_timeout_errors(h: Harness, arg: bytes, error: bytes) -> None:
    with pytest.raises(CommandError) as e:
        zsets._timeout(h.client, arg)
    assert e.value.msg == error


# -- ZADD, ZINCRBY, ZSCORE -------------------------------------------------------------------------


def test_zadd_and_reads(h: Harness) -> None:
    assert h.run("ZADD", "k", "1", "a", "2", "b", "1.1", "c") == b":3\r\n"
    assert h.run("ZADD", "k", "3", "a", "4", "d") == b":1\r\n"
    assert h.run("ZSCORE", "k", "c") == b"$18\r\n1.1000000000000001\r\n"
    assert h.run("ZSCORE", "k", "nope") == b"$-1\r\n"
    assert h.run("ZCARD", "k") == b":4\r\n"
    assert h.run("ZRANGE", "k", "0", "-1") == arr(b"c", b"b", b"a", b"d")
    assert h.run("ZMSCORE", "k", "a", "x") == b"*2\r\n$1\r\n3\r\n$-1\r\n"
    assert h.run("TYPE", "k") == b"+zset\r\n"
    assert h.run("OBJECT", "ENCODING", "k") == b"$8\r\nlistpack\r\n"
    hello3(h)
    assert h.run("ZSCORE", "k", "c") == b",1.1000000000000001\r\n"
    assert h.run("ZSCORE", "k", "nope") == b"_\r\n"
    assert h.run("ZMSCORE", "nokey", "a") == b"*1\r\n_\r\n"


def test_zadd_options(h: Harness) -> None:
    h.run("ZADD", "k", "1", "a", "2", "b")
    assert h.run("ZADD", "k", "NX", "5", "a", "3", "c") == b":1\r\n"
    assert h.run("ZADD", "k", "XX", "CH", "5", "a", "9", "new") == b":1\r\n"
    assert h.run("ZADD", "k", "GT", "CH", "1", "a", "7", "b") == b":1\r\n"
    assert h.run("ZADD", "k", "LT", "CH", "9", "a", "0", "b") == b":1\r\n"
    assert h.run("ZRANGE", "k", "0", "-1", "WITHSCORES") == arr(
        b"b", b"0", b"c", b"3", b"a", b"5"
    )
    assert h.run("ZADD", "k", "INCR", "2.5", "a") == b"$3\r\n7.5\r\n"
    assert h.run("ZADD", "k", "INCR", "NX", "1", "a") == b"$-1\r\n"
    assert h.run("ZADD", "k", "INCR", "GT", "-1", "a") == b"$-1\r\n"
    assert h.run("ZADD", "nokey", "XX", "1", "a") == b":0\r\n"
    assert h.run("EXISTS", "nokey") == b":0\r\n"


def test_zadd_errors(h: Harness) -> None:
    assert h.run("ZADD", "k", "XX", "NX", "1", "a") == (
        b"-ERR XX and NX options at the same time are not compatible\r\n"
    )
    assert h.run("ZADD", "k", "GT", "LT", "1", "a") == (
        b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
    )
    assert h.run("ZADD", "k", "INCR", "1", "a", "2", "b") == (
        b"-ERR INCR option supports a single increment-element pair\r\n"
    )
    assert h.run("ZADD", "k", "1", "a", "2") == SYNTAX
    assert h.run("ZADD", "k", "1", "a", "x", "b") == NOT_FLOAT
    assert h.run("EXISTS", "k") == b":0\r\n"  # all or nothing
    assert h.run("ZADD", "k", "1") == b"-ERR wrong number of arguments for 'zadd' command\r\n"
    h.run("ZADD", "k", "inf", "a")
    assert h.run("ZINCRBY", "k", "-inf", "a") == b"-ERR resulting score is not a number (NaN)\r\n"
    assert h.run("ZSCORE", "k", "a") == b"$3\r\ninf\r\n"
    h.run("SET", "s", "x")
    assert h.run("ZADD", "s", "1", "a") == WRONGTYPE
    assert h.run("ZADD", "s", "x", "a") == NOT_FLOAT  # the scores are checked first


def test_zincrby_overflow_and_negative_zero(h: Harness) -> None:
    assert h.run("ZINCRBY", "k", "1e308", "a") == b"$6\r\n1e+308\r\n"
    assert h.run("ZINCRBY", "k", "1e308", "a") == b"$3\r\ninf\r\n"
    assert h.run("ZINCRBY", "k", "0.1", "b") == b"$19\r\n0.10000000000000001\r\n"
    assert h.run("ZINCRBY", "k", "0.2", "b") == b"$19\r\n0.30000000000000004\r\n"
    # a listpack keeps -0 as 0, but the reply shows the computed score
    assert h.run("ZINCRBY", "k", "-0", "z") == b"$2\r\n-0\r\n"
    assert h.run("ZSCORE", "k", "z") == b"$1\r\n0\r\n"
    assert math.copysign(1, zset_of(h, b"k")[b"z"]) == 1
    h.run("ZADD", "k", "1", "x" * 65)
    assert h.run("ZADD", "k", "-0", "y") == b":1\r\n"
    assert h.run("ZSCORE", "k", "y") == b"$2\r\n-0\r\n"


# -- ranks and ranges ------------------------------------------------------------------------------


def test_zrank_withscore(h: Harness) -> None:
    """WITHSCORE is Redis 7.2's."""
    h.run("ZADD", "k", "1", "a", "2.5", "b")
    assert h.run("ZRANK", "k", "b") == b":1\r\n"
    assert h.run("ZREVRANK", "k", "b") == b":0\r\n"
    assert h.run("ZRANK", "k", "b", "WITHSCORE") == b"*2\r\n:1\r\n$3\r\n2.5\r\n"
    assert h.run("ZREVRANK", "k", "a", "withscore") == b"*2\r\n:1\r\n$1\r\n1\r\n"
    assert h.run("ZRANK", "k", "nope", "WITHSCORE") == b"*-1\r\n"
    assert h.run("ZRANK", "nokey", "a", "WITHSCORE") == b"*-1\r\n"
    assert h.run("ZRANK", "nokey", "a") == b"$-1\r\n"
    assert h.run("ZRANK", "k", "a", "WITHSCORES") == SYNTAX
    assert h.run("ZRANK", "k", "a", "WITHSCORE", "x") == (
        b"-ERR wrong number of arguments for 'zrank' command\r\n"
    )
    hello3(h)
    assert h.run("ZRANK", "k", "b", "WITHSCORE") == b"*2\r\n:1\r\n,2.5\r\n"
    assert h.run("ZRANK", "k", "nope", "WITHSCORE") == b"_\r\n"


def test_ranges(h: Harness) -> None:
    h.run("ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d")
    assert h.run("ZRANGE", "k", "1", "2", "WITHSCORES") == arr(b"b", b"2", b"c", b"3")
    assert h.run("ZRANGE", "k", "-2", "100", "REV") == arr(b"b", b"a")
    assert h.run("ZREVRANGE", "k", "0", "0") == arr(b"d")
    assert h.run("ZRANGEBYSCORE", "k", "(1", "3") == arr(b"b", b"c")
    assert h.run("ZRANGEBYSCORE", "k", "-inf", "+inf", "LIMIT", "1", "2") == arr(b"b", b"c")
    assert h.run("ZRANGEBYSCORE", "k", "-inf", "+inf", "LIMIT", "-1", "2") == b"*0\r\n"
    assert h.run("ZRANGEBYSCORE", "k", "-inf", "+inf", "LIMIT", "3", "-1") == arr(b"d")
    assert h.run("ZREVRANGEBYSCORE", "k", "3", "(1", "WITHSCORES") == arr(b"c", b"3", b"b", b"2")
    assert h.run("ZRANGE", "k", "(4", "2", "BYSCORE", "REV", "LIMIT", "1", "1") == arr(b"b")
    assert h.run("ZCOUNT", "k", "(1", "(4") == b":2\r\n"
    assert h.run("ZCOUNT", "k", "x", "1") == b"-ERR min or max is not a float\r\n"
    assert h.run("ZRANGE", "k", "0", "-1", "LIMIT", "0", "1") == (
        b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
    )
    assert h.run("ZRANGE", "k", "-", "+", "BYLEX", "WITHSCORES") == (
        b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
    )
    assert h.run("ZRANGE", "k", "0", "1", "REV", "REV") == SYNTAX
    assert h.run("ZRANGE", "k", "a", "1") == NOT_INT
    hello3(h)
    assert h.run("ZRANGE", "k", "0", "1", "WITHSCORES") == (
        b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    )
    assert h.run("ZRANGE", "k", "5", "6", "WITHSCORES") == b"*0\r\n"


def test_lex(h: Harness) -> None:
    h.run("ZADD", "k", "0", "a", "0", "b", "0", "c", "0", "d")
    assert h.run("ZRANGEBYLEX", "k", "(a", "[c") == arr(b"b", b"c")
    assert h.run("ZREVRANGEBYLEX", "k", "+", "(b", "LIMIT", "1", "5") == arr(b"c")
    assert h.run("ZLEXCOUNT", "k", "-", "+") == b":4\r\n"
    assert h.run("ZLEXCOUNT", "k", "a", "+") == b"-ERR min or max not valid string range item\r\n"
    assert h.run("ZREMRANGEBYLEX", "k", "[b", "[c") == b":2\r\n"
    assert h.run("ZRANGE", "k", "0", "-1") == arr(b"a", b"d")


def test_zrangestore(h: Harness) -> None:
    h.run("ZADD", "k", "1", "a", "2", "b", "3", "c")
    h.run("SET", "d", "x", "EX", "100")
    assert h.run("ZRANGESTORE", "d", "k", "(1", "+inf", "BYSCORE") == b":2\r\n"
    assert h.run("TTL", "d") == b":-1\r\n"
    assert h.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == arr(b"b", b"2", b"c", b"3")
    assert h.run("ZRANGESTORE", "d", "k", "5", "6") == b":0\r\n"
    assert h.run("EXISTS", "d") == b":0\r\n"
    assert h.run("ZRANGESTORE", "d", "k", "0", "-1", "WITHSCORES") == SYNTAX


# -- removal and pops --------------------------------------------------------------------------------


def test_removal_deletes_an_emptied_key(h: Harness) -> None:
    h.run("ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d")
    assert h.run("ZREM", "k", "a", "a", "x") == b":1\r\n"
    assert h.run("ZREMRANGEBYRANK", "k", "-1", "-1") == b":1\r\n"
    assert h.run("ZREMRANGEBYSCORE", "k", "(2", "+inf") == b":1\r\n"
    assert h.run("ZREMRANGEBYSCORE", "k", "x", "1") == b"-ERR min or max is not a float\r\n"
    assert h.run("ZREM", "k", "b") == b":1\r\n"
    assert h.run("EXISTS", "k") == b":0\r\n"
    assert h.run("ZREM", "k", "b") == b":0\r\n"


def test_pops(h: Harness) -> None:
    h.run("ZADD", "k", "1", "a", "2", "b", "3", "c")
    assert h.run("ZPOPMIN", "k") == arr(b"a", b"1")
    assert h.run("ZPOPMAX", "k", "5") == arr(b"c", b"3", b"b", b"2")
    assert h.run("EXISTS", "k") == b":0\r\n"
    assert h.run("ZPOPMIN", "k") == b"*0\r\n"
    assert h.run("ZPOPMIN", "k", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert h.run("ZPOPMIN", "k", "x") == b"-ERR value is out of range, must be positive\r\n"
    h.run("ZADD", "k", "1", "a", "2", "b")
    assert h.run("ZMPOP", "2", "nokey", "k", "MAX", "COUNT", "1") == (
        b"*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    )
    assert h.run("ZMPOP", "1", "nokey", "MIN") == b"*-1\r\n"
    assert h.run("ZMPOP", "0", "k", "MIN") == b"-ERR numkeys should be greater than 0\r\n"
    assert h.run("ZMPOP", "1", "k", "MIN", "COUNT", "0") == (
        b"-ERR count should be greater than 0\r\n"
    )
    hello3(h)
    h.run("ZADD", "k", "2", "b")
    assert h.run("ZPOPMIN", "k") == b"*2\r\n$1\r\na\r\n,1\r\n"
    assert h.run("ZPOPMIN", "k", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    assert h.run("ZMPOP", "1", "k", "MIN") == b"_\r\n"


# -- ZRANDMEMBER -----------------------------------------------------------------------------------


def test_zrandmember(h: Harness) -> None:
    assert h.run("ZRANDMEMBER", "k") == b"$-1\r\n"
    assert h.run("ZRANDMEMBER", "k", "3") == b"*0\r\n"
    h.run("ZADD", "k", "1", "a", "2", "b", "3", "c")
    assert h.run("ZRANDMEMBER", "k") in (arr(b"a")[4:], arr(b"b")[4:], arr(b"c")[4:])
    assert h.run("ZRANDMEMBER", "k", "5", "WITHSCORES") == arr(b"c", b"3", b"b", b"2", b"a", b"1")
    out = h.run("ZRANDMEMBER", "k", "2")
    assert out.startswith(b"*2\r\n") and len(set(out.split(b"\r\n")[2::2])) == 2
    out = h.run("ZRANDMEMBER", "k", "-10", "WITHSCORES")
    assert out.startswith(b"*20\r\n")
    assert h.run("ZRANDMEMBER", "k", "-1000001") == (
        b"-ERR count is too large: a reply holds at most 1000000 elements and 268435456 bytes\r\n"
    )
    assert h.run("ZRANDMEMBER", "k", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n"
    )
    assert h.run("ZRANDMEMBER", "k", "-4611686018427387904", "WITHSCORES") == (
        b"-ERR value is out of range\r\n"
    )
    assert h.run("ZRANDMEMBER", "k", "1", "WITHSCORE") == SYNTAX
    hello3(h)
    assert h.run("ZRANDMEMBER", "k", "1", "WITHSCORES").startswith(b"*1\r\n*2\r\n$1\r\n")


def test_zrandmember_on_a_big_set_draws_members(h: Harness) -> None:
    h.run("ZADD", "k", *[x for i in range(300) for x in (str(i), f"m{i}")])
    for count in ("10", "150", "299", "-50", "-2000"):
        out = h.run("ZRANDMEMBER", "k", count)
        members = out.split(b"\r\n")[2::2]
        assert len(members) == abs(int(count))
        assert all(m.startswith(b"m") and 0 <= int(m[1:]) < 300 for m in members)
        if int(count) > 0:
            assert len(set(members)) == len(members)


# -- ZUNION, ZINTER, ZDIFF --------------------------------------------------------------------------


def test_set_algebra(h: Harness) -> None:
    h.run("ZADD", "a", "1", "x", "2", "y", "inf", "i")
    h.run("ZADD", "b", "10", "y", "20", "z", "-inf", "i")
    assert h.run("ZUNION", "2", "a", "b", "WITHSCORES") == arr(
        b"i", b"0", b"x", b"1", b"y", b"12", b"z", b"20"
    )
    assert h.run("ZINTER", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX") == arr(
        b"y", b"i"
    )
    assert h.run("ZDIFF", "2", "a", "b", "WITHSCORES") == arr(b"x", b"1")
    assert h.run("ZINTERCARD", "2", "a", "b", "LIMIT", "1") == b":1\r\n"
    assert h.run("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "0", "1") == b":4\r\n"
    # 0 * inf is NaN: Redis counts it as 0
    assert h.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == arr(
        b"i", b"-inf", b"x", b"0", b"y", b"10", b"z", b"20"
    )
    assert h.run("ZINTERSTORE", "d", "2", "a", "nokey") == b":0\r\n"
    assert h.run("EXISTS", "d") == b":0\r\n"
    assert h.run("ZUNION", "0", "a") == (
        b"-ERR at least 1 input key is needed for 'zunion' command\r\n"
    )
    assert h.run("ZUNION", "3", "a", "b") == SYNTAX
    assert h.run("ZUNION", "1", "a", "WEIGHTS", "x") == b"-ERR weight value is not a float\r\n"
    h.run("SET", "s", "x")
    assert h.run("ZUNION", "2", "a", "s") == WRONGTYPE


def test_sets_are_inputs_with_score_one(h: Harness) -> None:
    h.run("SADD", "s", "x", "q")
    h.run("ZADD", "z", "5", "x", "6", "y")
    assert h.run("ZUNION", "2", "s", "z", "WITHSCORES") == arr(b"q", b"1", b"x", b"6", b"y", b"6")
    assert h.run("ZINTER", "2", "z", "s", "WITHSCORES") == arr(b"x", b"6")
    assert h.run("ZDIFF", "2", "s", "z", "WITHSCORES") == arr(b"q", b"1")


# -- ZSCAN ---------------------------------------------------------------------------------------


def test_zscan_listpack_in_one_reply(h: Harness) -> None:
    h.run("ZADD", "k", "2", "b", "1", "a", "1.5", "ab")
    assert h.run("ZSCAN", "k", "0", "COUNT", "1") == (
        b"*2\r\n$1\r\n0\r\n" + arr(b"a", b"1", b"ab", b"1.5", b"b", b"2")
    )
    assert h.run("ZSCAN", "k", "0", "MATCH", "a*") == (
        b"*2\r\n$1\r\n0\r\n" + arr(b"a", b"1", b"ab", b"1.5")
    )
    assert h.run("ZSCAN", "nokey", "0", "BAD") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert h.run("ZSCAN", "k", "0", "BAD") == SYNTAX
    assert h.run("ZSCAN", "k", "x") == b"-ERR invalid cursor\r\n"


def _scan_all(h: Harness, key: str, between: Callable[[], None] | None = None) -> dict[bytes, bytes]:
    seen: dict[bytes, bytes] = {}
    cursor = b"0"
    for _ in range(1000):
        out = h.run("ZSCAN", key, cursor, "COUNT", "20")
        parts = out.split(b"\r\n")
        cursor = parts[2]
        flat = parts[5::2][: int(parts[3][1:])]
        seen.update(zip(flat[::2], flat[1::2], strict=True))
        if between is not None:
            between()
        if cursor == b"0":
            return seen
    raise AssertionError("ZSCAN did not end")


def test_zscan_skiplist_iterates_everything_once(h: Harness) -> None:
    h.run("ZADD", "k", *[x for i in range(500) for x in (f"{i}.5", f"m{i}")])
    seen = _scan_all(h, "k")
    assert seen == {b"m%d" % i: b"%d.5" % i for i in range(500)}
    # members removed during the scan are not returned; those there all along are
    removed: list[bytes] = []

    def remove_some() -> None:
        if len(removed) < 100:
            m = b"m%d" % (len(removed) * 5)
            removed.append(m)
            h.run("ZREM", "k", m)

    seen = _scan_all(h, "k", remove_some)
    assert all(b"m%d" % i in seen for i in range(500) if b"m%d" % i not in removed)


# -- keyspace ------------------------------------------------------------------------------------


def test_copy_rename_move_del(h: Harness) -> None:
    h.run("ZADD", "k", "1", "a", "2", "x" * 70)
    assert h.run("COPY", "k", "c") == b":1\r\n"
    h.run("ZADD", "c", "3", "b")
    assert h.run("ZCARD", "k") == b":2\r\n" and h.run("ZCARD", "c") == b":3\r\n"
    assert h.run("OBJECT", "ENCODING", "c") == b"$8\r\nskiplist\r\n"
    assert h.run("RENAME", "c", "r") == b"+OK\r\n"
    assert h.run("MOVE", "r", "1") == b":1\r\n"
    assert h.run("DEL", "k") == b":1\r\n"
    assert h.run("SCAN", "0", "TYPE", "zset") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_reads_count_keyspace_hits_and_misses(h: Harness) -> None:
    stats = h.server.keyspace.stats
    h.run("ZADD", "k", "1", "a")
    hits, misses = stats.keyspace_hits, stats.keyspace_misses
    h.run("ZSCORE", "k", "a")
    h.run("ZRANGE", "nokey", "0", "-1")
    assert (stats.keyspace_hits, stats.keyspace_misses) == (hits + 1, misses + 1)


# -- blocking pops -------------------------------------------------------------------------------


def _run(coro_fn: Callable[[], object]) -> None:
    asyncio.run(coro_fn())  # type: ignore[arg-type]


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def test_bzpopmin_waits_and_is_served_by_zadd() -> None:
    async def main() -> None:
        h = Harness()
        other = h.connect()
        assert h.run("BZPOPMIN", "k", "0") == b""  # waiting
        assert len(h.server.blocking) == 1
        assert h.run("ZADD", "k", "2", "b", "1", "a", client=other) == b":2\r\n"
        await _settle()
        assert h.transport.out.endswith(b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n")
        assert len(h.server.blocking) == 0
        assert h.run("ZRANGE", "k", "0", "-1") == arr(b"b")

    _run(main)


def test_waiters_are_served_in_order_and_in_their_protocol() -> None:
    async def main() -> None:
        h = Harness()
        a, b, c = h.connect(), h.connect(), h.connect()
        hello3(h, b)
        h.run("BZPOPMAX", "k", "0", client=a)
        h.run("BZMPOP", "0", "1", "k", "MIN", "COUNT", "2", client=b)
        out_a, out_b = len(a.transport.out), len(b.transport.out)  # type: ignore[union-attr]
        h.run("ZADD", "k", "1", "x", "2", "y", "3", "z", client=c)
        await _settle()
        assert a.transport.out[out_a:] == b"*3\r\n$1\r\nk\r\n$1\r\nz\r\n$1\r\n3\r\n"  # type: ignore[union-attr]
        assert b.transport.out[out_b:] == (  # type: ignore[union-attr]
            b"*2\r\n$1\r\nk\r\n*2\r\n*2\r\n$1\r\nx\r\n,1\r\n*2\r\n$1\r\ny\r\n,2\r\n"
        )
        assert h.run("EXISTS", "k", client=c) == b":0\r\n"

    _run(main)


@pytest.mark.parametrize(
    "store",
    [
        ("ZUNIONSTORE", "k", "1", "src"),
        ("ZINTERSTORE", "k", "1", "src"),
        ("ZDIFFSTORE", "k", "1", "src"),
        ("ZRANGESTORE", "k", "src", "0", "-1"),
        ("ZINCRBY", "k", "1", "m"),
        ("ZADD", "k", "INCR", "1", "m"),
    ],
)
def test_stores_and_increments_serve_waiters(store: tuple[str, ...]) -> None:
    async def main() -> None:
        h = Harness()
        other = h.connect()
        h.run("ZADD", "src", "1", "m", client=other)
        h.run("BZPOPMIN", "nokey", "k", "0")
        h.run(*store, client=other)
        await _settle()
        assert h.transport.out.endswith(b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n")
        assert h.run("EXISTS", "k", client=other) == b":0\r\n"

    _run(main)


def test_blocking_timeout_and_disconnect() -> None:
    async def main() -> None:
        h = Harness()
        other = h.connect()
        assert h.run("BZPOPMIN", "k", "0.01") == b""
        waiter = h.server.blocking.by_client[h.client.id]
        await asyncio.wait_for(asyncio.shield(waiter.future), 5)
        await _settle()
        assert h.transport.out.endswith(b"*-1\r\n")
        h.run("BZMPOP", "0", "1", "k", "MIN", client=other)
        assert len(h.server.blocking) == 1
        other.connection_lost(None)
        assert len(h.server.blocking) == 0 and not h.server.keyspace.dbs[0].blocked
        h.run("ZADD", "k", "1", "a")
        assert h.run("ZCARD", "k") == b":1\r\n"

    _run(main)


def in_multi(h: Harness, *args: str) -> bytes:
    """The reply of one command run by EXEC."""
    assert h.run("MULTI") == b"+OK\r\n"
    assert h.run(*args) == b"+QUEUED\r\n"
    reply = h.run("EXEC")
    assert reply.startswith(b"*1\r\n")
    return reply[4:]


def test_blocking_pop_inside_multi_does_not_wait(h: Harness) -> None:
    assert in_multi(h, "BZPOPMIN", "k", "0") == b"*-1\r\n"
    assert in_multi(h, "BZMPOP", "0", "1", "k", "MAX") == b"*-1\r\n"
    hello3(h)
    assert in_multi(h, "BZPOPMAX", "k", "0") == b"_\r\n"
    assert len(h.server.blocking) == 0
    h.run("ZADD", "k", "1", "a")
    assert in_multi(h, "BZPOPMIN", "k", "0") == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n,1\r\n"


def test_commands_after_a_waiting_pop_are_held() -> None:
    async def main() -> None:
        h = Harness()
        other = h.connect()
        assert h.feed(encode("BZPOPMIN", "k", "0") + encode("ZCARD", "k")) == b""
        h.run("ZADD", "k", "1", "a", "2", "b", client=other)
        await _settle()
        assert h.transport.out.endswith(b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n:1\r\n")

    _run(main)
