"""Differential tests of the set commands: byte-identical to redis-server 7.0.

Where Redis's member order is unspecified (a hashtable set: SMEMBERS, SINTER,
SUNION, SDIFF, SSCAN) replies are compared as sorted multisets with the same
reply type and length; random replies (SPOP, SRANDMEMBER) are checked for
their size and constraints.  Sets Redis keeps as an intset come out in integer
order on both servers, so those replies are compared byte for byte, as are
counts, STORE results, errors and OBJECT ENCODING.
"""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import Pair
from helpers import encode

BINARY = [b"", b"a", b"a\r\nb", b"\x00", b"\x00\xff", b"\xff", b"*", b"?", b"[", b"\\", b" 1"]
INTS = [b"0", b"1", b"-1", b"42", b"9223372036854775807", b"-9223372036854775808"]
NOT_INTS = [
    b"-0",
    b"007",
    b"+1",
    b"1.0",
    b" 1",
    b"1 ",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"1e3",
    b"0x10",
]
FAR = 32503680000  # year 3000, unix seconds


def parse(reply: bytes) -> tuple[bytes, list[bytes]]:
    """(type byte, items) of a flat array/set reply of bulks or integers."""
    kind = reply[:1]
    assert kind in (b"*", b"~"), reply
    eol = reply.index(b"\r\n")
    pos = eol + 2
    items: list[bytes] = []
    for _ in range(int(reply[1:eol])):
        eol = reply.index(b"\r\n", pos)
        if reply[pos : pos + 1] == b"$":
            n = int(reply[pos + 1 : eol])
            items.append(reply[eol + 2 : eol + 2 + n])
            pos = eol + 4 + n
        else:
            items.append(reply[pos:eol])
            pos = eol + 2
    assert pos == len(reply), reply
    return kind, items


def check_sorted(d: Pair, *args: bytes | str | int) -> list[bytes]:
    """Same reply type and the same members, in any order."""
    ours, real = d.both(*args)
    if real[:1] not in (b"*", b"~"):
        assert ours == real, f"{args!r}: ours {ours!r} != redis {real!r}"
        return []
    ok, oi = parse(ours)
    rk, ri = parse(real)
    assert (ok, sorted(oi)) == (rk, sorted(ri)), f"{args!r}: ours {ours!r} != redis {real!r}"
    return ri


def sadd_both(d: Pair, key: str, members: list[bytes]) -> None:
    """SADD many members at once on both servers (one pipelined request)."""
    for i in range(0, len(members), 500):
        d.check("SADD", key, *members[i : i + 500])


def scan_all(client: object, key: bytes | str, *opts: bytes | str) -> tuple[list[bytes], int]:
    """Every member a full SSCAN returns, and how many calls it took."""
    seen: list[bytes] = []
    cursor = b"0"
    for calls in range(1, 100_000):
        reply = client.call("SSCAN", key, cursor, *opts)  # type: ignore[attr-defined]
        assert reply.startswith(b"*2\r\n$"), reply
        rest = reply[4:]
        hdr, _, rest = rest.partition(b"\r\n")
        n = int(hdr[1:])
        cursor = rest[:n]
        seen += parse(rest[n + 2 :])[1]
        if cursor == b"0":
            return seen, calls
    raise AssertionError("SSCAN did not finish")


# -- SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS ------------------------------


def test_sadd_srem_binary_members(d: Pair) -> None:
    d.check_all(
        ("SADD", "s", *BINARY),
        ("SADD", "s", *BINARY),
        ("SADD", "s", "a", "a", "new", "new"),
        ("SCARD", "s"),
        ("TYPE", "s"),
        ("OBJECT", "ENCODING", "s"),
        *[("SISMEMBER", "s", m) for m in BINARY],
        ("SISMEMBER", "s", "nope"),
        ("SISMEMBER", "nope", "a"),
        ("SMISMEMBER", "s", *BINARY, "nope", "a"),
        ("SMISMEMBER", "nope", "a", "b"),
        ("SREM", "s", "nope", "a", "a", b"", b"\x00"),
        ("SCARD", "s"),
        ("SREM", "nope", "a"),
        ("SCARD", "nope"),
    )
    check_sorted(d, "SMEMBERS", "s")
    check_sorted(d, "SMEMBERS", "nope")
    # removing the last member deletes the key
    d.check_all(
        ("SADD", "one", "x"),
        ("SREM", "one", "x", "y"),
        ("EXISTS", "one"),
        ("SADD", "two", "x", "y"),
        ("EXPIREAT", "two", FAR),
        ("SREM", "two", "x"),
        ("EXPIRETIME", "two"),
        ("SADD", "two", "z"),
        ("EXPIRETIME", "two"),
    )


def test_smembers_intset_order_is_exact(d: Pair) -> None:
    members = [b"%d" % n for n in (5, -3, 100, 0, 9223372036854775807, -9223372036854775808, 7)]
    d.check("SADD", "i", *members)
    d.check("SMEMBERS", "i")
    d.check("SRANDMEMBER", "i", "100")
    d.check("SSCAN", "i", "0")
    d.check("SSCAN", "i", "12345", "COUNT", "1")  # an intset comes whole whatever the cursor
    d.check("SUNION", "i", "nope")
    d.check("SDIFF", "i", "nope")
    d.check("SINTER", "i", "i")
    d.resp3()
    d.check("SMEMBERS", "i")
    d.check("SUNION", "i", "nope")
    d.check("SRANDMEMBER", "i", "100")
    d.check("SPOP", "i", "100")
    d.check("EXISTS", "i")


@pytest.mark.parametrize("member", INTS + NOT_INTS, ids=repr)
def test_object_encoding_of_one_member(d: Pair, member: bytes) -> None:
    d.check_all(
        ("SADD", "s", member),
        ("OBJECT", "ENCODING", "s"),
        ("SADD", "t", "1", member),
        ("OBJECT", "ENCODING", "t"),
        ("SMEMBERS", "s"),
    )


def test_object_encoding_thresholds(d: Pair) -> None:
    ints = [b"%d" % i for i in range(512)]
    sadd_both(d, "s", ints)
    d.check("OBJECT", "ENCODING", "s")
    d.check("SMEMBERS", "s")
    d.check("SADD", "s", "512")
    d.check("OBJECT", "ENCODING", "s")
    # a hashtable never goes back to an intset, even when it shrinks
    d.check("SREM", "s", *ints[:500])
    d.check("OBJECT", "ENCODING", "s")
    d.check("SADD", "m", "1", "2", "x")
    d.check("SREM", "m", "x")
    d.check("OBJECT", "ENCODING", "m")
    # one SADD over the limit
    d.check("SADD", "big", *[b"%d" % i for i in range(600)])
    d.check("OBJECT", "ENCODING", "big")
    d.check("SCARD", "big")
    # COPY keeps the encoding
    d.check("COPY", "m", "m2")
    d.check("OBJECT", "ENCODING", "m2")
    d.check("SADD", "small", "1")
    d.check("COPY", "small", "small2")
    d.check("OBJECT", "ENCODING", "small2")
    d.check("SMEMBERS", "small2")


def test_store_encodings(d: Pair) -> None:
    sadd_both(d, "a", [b"%d" % i for i in range(1, 601)])
    sadd_both(d, "b", [b"%d" % i for i in range(1, 201)])
    sadd_both(d, "c", [b"%d" % i for i in range(1001, 1011)])
    d.check_all(
        ("SADD", "h", "x", "1", "2"),
        ("SREM", "h", "x"),
        ("OBJECT", "ENCODING", "h"),
        # Redis's second SDIFF algorithm copies all of "a" first: a hashtable
        ("SDIFFSTORE", "d1", "a", "b", "c"),
        ("OBJECT", "ENCODING", "d1"),
        # its first algorithm adds only the result: an intset
        ("SDIFFSTORE", "d2", "a", "b"),
        ("OBJECT", "ENCODING", "d2"),
        ("SDIFFSTORE", "d3", "a", "c"),
        ("OBJECT", "ENCODING", "d3"),
        ("SUNIONSTORE", "u1", "h"),
        ("OBJECT", "ENCODING", "u1"),
        ("SMEMBERS", "u1"),
        ("SUNIONSTORE", "u2", "b", "c"),
        ("OBJECT", "ENCODING", "u2"),
        ("SUNIONSTORE", "u3", "a", "b"),
        ("OBJECT", "ENCODING", "u3"),
        ("SINTERSTORE", "i1", "h", "h"),
        ("OBJECT", "ENCODING", "i1"),
        ("SINTERSTORE", "i2", "a", "b"),
        ("OBJECT", "ENCODING", "i2"),
        ("SCARD", "i2"),
        ("SADD", "w", "x", "5", "6"),
        ("SDIFFSTORE", "d4", "w", "x"),
        ("OBJECT", "ENCODING", "d4"),
        ("SDIFFSTORE", "d5", "w", "w2"),
        ("SMOVE", "w", "fresh", "5"),
        ("OBJECT", "ENCODING", "fresh"),
        ("SMOVE", "w", "fresh2", "x"),
        ("OBJECT", "ENCODING", "fresh2"),
        ("OBJECT", "ENCODING", "w"),
    )
    for key in ("d1", "d2", "d3", "u2", "u3", "i2"):
        check_sorted(d, "SMEMBERS", key)


# -- SPOP SRANDMEMBER -----------------------------------------------------------


def test_spop(d: Pair) -> None:
    members = [b"m%d" % i for i in range(20)] + BINARY
    sadd_both(d, "s", members)
    pool = set(members)
    popped: list[bytes] = []
    for _ in range(3):
        ours, real = d.both("SPOP", "s")
        assert ours[:1] == real[:1] == b"$"
        popped.append(ours.split(b"\r\n", 1)[1][:-2])
    for count in (0, 1, 5):
        ours, real = d.both("SPOP", "s", count)
        (ok, oi), (rk, ri) = parse(ours), parse(real)
        assert ok == rk == b"*" and len(oi) == len(ri) == count
        assert len(set(oi)) == count
        popped += oi
    assert len(set(popped)) == len(popped) and set(popped) <= pool
    ours, real = d.both("SCARD", "s")
    assert ours == real == b":%d\r\n" % (len(pool) - len(popped))
    ours, real = d.both("SMEMBERS", "s")
    assert set(parse(ours)[1]) == pool - set(popped)
    # most of the set at once, then the rest
    n = len(pool) - len(popped)
    ours, real = d.both("SPOP", "s", n - 1)
    assert len(parse(ours)[1]) == len(parse(real)[1]) == n - 1
    ours, real = d.both("SPOP", "s", "100")
    assert ours[:4] == real[:4] == b"*1\r\n"
    d.check_all(
        ("EXISTS", "s"),
        ("SPOP", "s"),
        ("SPOP", "s", "3"),
        ("SPOP", "s", "0"),
        ("SADD", "one", "x"),
        ("SPOP", "one"),
        ("EXISTS", "one"),
        ("SADD", "one", "x"),
        ("SPOP", "one", "0"),
        ("SPOP", "one", "1"),
        ("EXISTS", "one"),
    )


def test_spop_most_of_the_set_reencodes(d: Pair) -> None:
    # a hashtable of integers left with a single integer becomes an intset again
    sadd_both(d, "big", [b"%d" % i for i in range(600)])
    d.check("OBJECT", "ENCODING", "big")
    ours, real = d.both("SPOP", "big", "599")
    assert len(parse(ours)[1]) == len(parse(real)[1]) == 599
    d.check("OBJECT", "ENCODING", "big")
    d.check("SCARD", "big")
    d.check_all(("SADD", "m", "1", "2", "3", "4", "5", "6", "7", "x"), ("SREM", "m", "x"))
    check_sorted(d, "SPOP", "m", "7")  # the whole set
    d.check_all(("SADD", "m", "1", "2", "3", "4", "5", "6", "7", "x"), ("SREM", "m", "x"))
    ours, real = d.both("SPOP", "m", "6")
    assert len(parse(ours)[1]) == len(parse(real)[1]) == 6
    d.check("OBJECT", "ENCODING", "m")
    # a few pops keep the encoding
    d.check_all(("SADD", "k", "1", "2", "3", "4", "5", "6", "7", "x"), ("SREM", "k", "x"))
    ours, real = d.both("SPOP", "k", "1")
    assert ours[:4] == real[:4] == b"*1\r\n"
    d.check("OBJECT", "ENCODING", "k")


def test_srandmember(d: Pair) -> None:
    members = [b"m%d" % i for i in range(30)] + BINARY
    sadd_both(d, "s", members)
    pool = set(members)
    for count in (1, 2, 10, 14, 20, 40, len(pool) - 1):
        ours, real = d.both("SRANDMEMBER", "s", count)
        (ok, oi), (rk, ri) = parse(ours), parse(real)
        assert ok == rk == b"*", count
        assert len(oi) == len(ri) == count and len(set(oi)) == count and set(oi) <= pool
    for count in (-1, -2, -40, -500):
        ours, real = d.both("SRANDMEMBER", "s", count)
        (ok, oi), (rk, ri) = parse(ours), parse(real)
        assert ok == rk == b"*" and len(oi) == len(ri) == -count and set(oi) <= pool
    for _ in range(5):
        ours, real = d.both("SRANDMEMBER", "s")
        assert ours[:1] == real[:1] == b"$"
        assert ours.split(b"\r\n", 1)[1][:-2] in pool
    check_sorted(d, "SRANDMEMBER", "s", len(pool))
    check_sorted(d, "SRANDMEMBER", "s", "9223372036854775807")
    d.check_all(
        ("SCARD", "s"),
        ("SRANDMEMBER", "s", "0"),
        ("SRANDMEMBER", "s", "-0"),
        ("SRANDMEMBER", "nope"),
        ("SRANDMEMBER", "nope", "5"),
        ("SRANDMEMBER", "nope", "-5"),
        ("SRANDMEMBER", "nope", "-9223372036854775807"),
        ("SRANDMEMBER", "s", "-9223372036854775808"),
        ("SRANDMEMBER", "nope", "-9223372036854775808"),
        ("SRANDMEMBER", "s", "9223372036854775808"),
        ("SRANDMEMBER", "s", "x"),
        ("SRANDMEMBER", "s", ""),
        ("SRANDMEMBER", "s", "1.5"),
        ("SRANDMEMBER", "s", "1", "2"),
        ("SRANDMEMBER", "s", "1", "WITHSCORES"),
    )


def test_random_replies_are_spread(d: Pair) -> None:
    """Every member turns up in repeated draws (a fixed pick would fail)."""
    members = [b"%d" % i for i in range(8)] + [b"x"]
    d.check("SADD", "s", *members)
    ours = d.ours.call("SRANDMEMBER", "s", "-900")
    counts = Counter(parse(ours)[1])
    assert set(counts) == set(members)
    assert min(counts.values()) > 40  # about 100 each
    seen = set()
    for _ in range(250):  # a member missed: odds about 1e-12
        seen.add(d.ours.call("SRANDMEMBER", "s"))
    assert len(seen) == len(members)


def test_spop_srandmember_errors(d: Pair) -> None:
    d.check_all(
        ("SET", "str", "x"),
        ("SADD", "s", "a", "b"),
        ("SPOP", "s", "-1"),
        ("SPOP", "s", "x"),
        ("SPOP", "s", ""),
        ("SPOP", "s", "9223372036854775808"),
        ("SPOP", "s", "1", "2"),
        ("SPOP", "nope", "-1"),
        ("SPOP", "str"),
        ("SPOP", "str", "0"),
        ("SPOP", "str", "-1"),
        ("SPOP", "str", "1", "2"),
        ("SRANDMEMBER", "str"),
        ("SRANDMEMBER", "str", "1"),
        ("SRANDMEMBER", "str", "x"),
        ("SRANDMEMBER", "str", "-9223372036854775808"),
        ("SPOP",),
        ("SRANDMEMBER",),
        ("SCARD", "s"),
    )


# -- SMOVE ----------------------------------------------------------------------


def test_smove(d: Pair) -> None:
    d.check_all(
        ("SET", "str", "x"),
        ("SADD", "a", "1", "2", b"\x00x"),
        ("SADD", "b", "2", "3"),
        ("SMOVE", "nope", "b", "1"),
        ("SMOVE", "nope", "str", "1"),
        ("SMOVE", "a", "str", "1"),
        ("SMOVE", "a", "str", "nope"),
        ("SMOVE", "str", "a", "1"),
        ("SMOVE", "a", "a", "1"),
        ("SMOVE", "a", "a", "zz"),
        ("SMOVE", "a", "b", "zz"),
        ("SMOVE", "a", "b", "1"),
        ("SMOVE", "a", "b", "2"),
        ("SMEMBERS", "b"),
        ("SMOVE", "a", "new", b"\x00x"),
        ("EXISTS", "a"),
        ("SMEMBERS", "new"),
        ("TYPE", "new"),
        ("SMOVE", "a", "b"),
        ("SMOVE", "a", "b", "c", "d"),
    )


# -- SINTER SUNION SDIFF and their STORE forms -------------------------------------


def _three_sets(d: Pair) -> None:
    d.check_all(
        ("SADD", "a", "1", "2", "3", "x", b"", b"a\r\nb", b"\x00"),
        ("SADD", "b", "2", "3", "4", "y", b"", b"\x00"),
        ("SADD", "c", "3", "x", "y", b"", b"\xff"),
        ("SET", "str", "v"),
    )


ALGEBRA = [
    ("a",),
    ("a", "b"),
    ("b", "a"),
    ("a", "b", "c"),
    ("a", "a"),
    ("a", "nope"),
    ("nope", "a"),
    ("nope",),
    ("nope", "nope2"),
    ("c", "b", "a", "c"),
]


@pytest.mark.parametrize("op", ["SINTER", "SUNION", "SDIFF"])
def test_algebra(d: Pair, op: str) -> None:
    _three_sets(d)
    for keys in ALGEBRA:
        check_sorted(d, op, *keys)
        d.check(op + "STORE", "dst", *keys)
        d.check("EXISTS", "dst")
        check_sorted(d, "SMEMBERS", "dst")
        d.check("SCARD", "dst")
        d.check("OBJECT", "ENCODING", "dst")
    d.resp3()
    for keys in ALGEBRA:
        check_sorted(d, op, *keys)


@pytest.mark.parametrize("op", ["SINTER", "SUNION", "SDIFF"])
def test_algebra_wrongtype_order(d: Pair, op: str) -> None:
    """Every source is looked up: a string after a missing key still errs."""
    _three_sets(d)
    for keys in (
        ("nope", "str"),
        ("str", "nope"),
        ("a", "str"),
        ("str", "a"),
        ("a", "nope", "str"),
        ("str",),
    ):
        d.check(op, *keys)
        d.check(op + "STORE", "dst", *keys)
    d.check("SINTERCARD", "2", "nope", "str")
    d.check("INFO", "keyspace")


def test_store_destination(d: Pair) -> None:
    _three_sets(d)
    d.check_all(
        # the destination's old value and TTL go, whatever its type
        ("SET", "dst", "old"),
        ("EXPIREAT", "dst", FAR),
        ("SINTERSTORE", "dst", "a", "b"),
        ("TYPE", "dst"),
        ("TTL", "dst"),
        # an empty result deletes the destination
        ("SINTERSTORE", "dst", "a", "nope"),
        ("EXISTS", "dst"),
        ("SET", "dst", "old"),
        ("SDIFFSTORE", "dst", "a", "a"),
        ("EXISTS", "dst"),
        ("SET", "dst", "old"),
        ("SUNIONSTORE", "dst", "nope"),
        ("EXISTS", "dst"),
        ("SET", "dst", "old"),
        ("SINTERSTORE", "dst", "a", "str"),
        ("GET", "dst"),
        # the destination may be a source
        ("SUNIONSTORE", "a", "a", "b"),
        ("SCARD", "a"),
        ("SDIFFSTORE", "b", "b", "c"),
        ("SCARD", "b"),
        ("SINTERSTORE", "c", "c", "a"),
        ("SCARD", "c"),
        ("SINTERSTORE", "dst"),
        ("SUNIONSTORE", "dst"),
        ("SDIFFSTORE", "dst"),
        ("SINTER",),
        ("SUNION",),
        ("SDIFF",),
    )
    for key in ("a", "b", "c"):
        check_sorted(d, "SMEMBERS", key)


def test_sintercard(d: Pair) -> None:
    _three_sets(d)
    sadd_both(d, "big1", [b"%d" % i for i in range(1000)])
    sadd_both(d, "big2", [b"%d" % i for i in range(500, 1500)])
    d.check_all(
        ("SINTERCARD", "1", "a"),
        ("SINTERCARD", "2", "a", "b"),
        ("SINTERCARD", "3", "a", "b", "c"),
        ("SINTERCARD", "2", "a", "a"),
        ("SINTERCARD", "2", "a", "nope"),
        ("SINTERCARD", "2", "big1", "big2"),
        ("SINTERCARD", "2", "big1", "big2", "LIMIT", "0"),
        ("SINTERCARD", "2", "big1", "big2", "LIMIT", "1"),
        ("SINTERCARD", "2", "big1", "big2", "LIMIT", "499"),
        ("SINTERCARD", "2", "big1", "big2", "limit", "500"),
        ("SINTERCARD", "2", "big1", "big2", "LIMIT", "501"),
        ("SINTERCARD", "2", "big1", "big2", "LIMIT", "9223372036854775807"),
        ("SINTERCARD", "2", "big1", "big2", "LIMIT", "3", "LIMIT", "7"),
        ("SINTERCARD", "1", "big1", "LIMIT", "10"),
        ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("SINTERCARD", "2", "big1", "big2", b"LIMIT\x00x", "2"),
        # errors, in Redis's order
        ("SINTERCARD", "0", "a"),
        ("SINTERCARD", "-1", "a"),
        ("SINTERCARD", "x", "a"),
        ("SINTERCARD", "", "a"),
        ("SINTERCARD", "99999999999999999999", "a"),
        ("SINTERCARD", "3", "a", "b"),
        ("SINTERCARD", "2", "a"),
        ("SINTERCARD", "1", "a", "LIMIT"),
        ("SINTERCARD", "1", "a", "LIMIT", "-1"),
        ("SINTERCARD", "1", "a", "LIMIT", "x"),
        ("SINTERCARD", "1", "a", "LIMIT", "1", "x"),
        ("SINTERCARD", "1", "a", "FOO", "1"),
        ("SINTERCARD", "1", "str"),
        ("SINTERCARD", "1", "str", "LIMIT", "-1"),
        ("SINTERCARD", "2", "nope", "str"),
        ("SINTERCARD", "1", "nope"),
        ("SINTERCARD", "1"),
        ("SINTERCARD",),
    )


# -- SSCAN ----------------------------------------------------------------------


def test_sscan_hashtable(d: Pair) -> None:
    members = [b"m%d" % i for i in range(300)] + BINARY
    sadd_both(d, "s", members)
    for opts in (
        (),
        ("COUNT", "7"),
        ("COUNT", "1000"),
        ("MATCH", "m1*"),
        ("MATCH", "*"),
        ("MATCH", "m?", "COUNT", "3"),
        ("MATCH", b"a\r\n*"),
    ):
        ours, _ = scan_all(d.ours, "s", *opts)
        real, _ = scan_all(d.real, "s", *opts)
        assert sorted(set(ours)) == sorted(set(real)), opts
        assert len(ours) == len(set(ours)) or opts  # no repeats without a rehash
    # a small hashtable set comes in one call, as in Redis
    d.check("SADD", "small", "a", "b", "c")
    for client in (d.ours, d.real):
        found, calls = scan_all(client, "small")
        assert sorted(found) == [b"a", b"b", b"c"] and calls == 1


def test_sscan_errors(d: Pair) -> None:
    d.check_all(
        ("SET", "str", "x"),
        ("SADD", "s", "a", "1"),
        ("SADD", "i", "1", "2"),
        ("SSCAN", "nope", "0"),
        ("SSCAN", "nope", "0", "FOO"),
        ("SSCAN", "nope", "x"),
        ("SSCAN", "str", "0"),
        ("SSCAN", "str", "x"),
        ("SSCAN", "str", "0", "FOO"),
        ("SSCAN", "s", "x"),
        ("SSCAN", "s", "-1", "COUNT", "0"),
        ("SSCAN", "s", "18446744073709551616"),
        ("SSCAN", "s", "0", "COUNT", "0"),
        ("SSCAN", "s", "0", "COUNT", "-1"),
        ("SSCAN", "s", "0", "COUNT", "x"),
        ("SSCAN", "s", "0", "COUNT"),
        ("SSCAN", "s", "0", "MATCH"),
        ("SSCAN", "s", "0", "TYPE", "string"),
        ("SSCAN", "s", "0", "NOVALUES"),
        ("SSCAN", "i", "0", "MATCH", "1"),
        ("SSCAN", "i", "0", "MATCH", "[0-9]", "COUNT", "1"),
        ("SSCAN", "i", b"", "count", "5"),
        # options compare as C strings: a NUL ends the word
        ("SSCAN", "i", "0", b"COUNT\x00junk", "5"),
        ("SSCAN", "i", "0", b"match\x00", "1"),
        ("SSCAN", "s"),
    )


# -- RESP3, arity, metadata ----------------------------------------------------------


def test_resp3_replies(d: Pair) -> None:
    d.check_all(("SADD", "i", "1", "2"), ("SADD", "s", "x"), ("SET", "str", "v"))
    d.resp3()
    d.check_all(
        ("SMEMBERS", "i"),
        ("SMEMBERS", "s"),
        ("SMEMBERS", "nope"),
        ("SPOP", "nope"),
        ("SPOP", "nope", "3"),
        ("SPOP", "i", "0"),
        ("SRANDMEMBER", "nope"),
        ("SRANDMEMBER", "nope", "3"),
        ("SRANDMEMBER", "nope", "-3"),
        ("SRANDMEMBER", "i", "0"),
        ("SRANDMEMBER", "i", "5"),
        ("SRANDMEMBER", "s", "-3"),
        ("SMISMEMBER", "i", "1", "3"),
        ("SMISMEMBER", "nope", "1"),
        ("SISMEMBER", "i", "1"),
        ("SINTER", "nope", "i"),
        ("SINTER", "i", "s"),
        ("SUNION", "nope"),
        ("SDIFF", "i", "nope"),
        ("SINTERCARD", "2", "i", "s"),
        ("SSCAN", "i", "0"),
        ("SSCAN", "nope", "0"),
        ("SSCAN", "str", "0"),
        ("SPOP", "i", "5"),
        ("OBJECT", "ENCODING", "s"),
    )


def test_arity(d: Pair) -> None:
    d.check_all(
        ("SADD", "s"),
        ("SREM", "s"),
        ("SMEMBERS",),
        ("SMEMBERS", "a", "b"),
        ("SISMEMBER", "s"),
        ("SISMEMBER", "s", "a", "b"),
        ("SMISMEMBER", "s"),
        ("SCARD",),
        ("SCARD", "a", "b"),
        ("SMOVE", "a", "b"),
        ("SSCAN", "s"),
        ("sadd", "s"),
    )


def test_wrongtype_everywhere(d: Pair) -> None:
    d.check_all(
        ("SET", "str", "v"),
        ("SADD", "str", "a"),
        ("SREM", "str", "a"),
        ("SMEMBERS", "str"),
        ("SISMEMBER", "str", "a"),
        ("SMISMEMBER", "str", "a"),
        ("SCARD", "str"),
        ("SPOP", "str"),
        ("SRANDMEMBER", "str"),
        ("SMOVE", "str", "x", "a"),
        ("SSCAN", "str", "0"),
        ("SADD", "s", "a"),
        ("GET", "s"),
        ("INCR", "s"),
        ("TYPE", "s"),
    )


SET_COMMANDS = (
    "sadd srem smembers sismember smismember scard spop srandmember smove sinter sintercard "
    "sinterstore sunion sunionstore sdiff sdiffstore sscan"
).split()


def test_command_info_metadata(d: Pair) -> None:
    """Name, arity, flags, key positions and ACL categories as Redis 7.0."""
    for name in SET_COMMANDS:
        ours, real = d.both("COMMAND", "INFO", name)
        # the first seven fields of the one entry: compare the encoded prefix
        # up to the tips array (which Redis fills and we leave empty)
        cut_o = ours.index(b"\r\n*", ours.index(b"+@"))
        cut_r = real.index(b"\r\n*", real.index(b"+@"))
        assert ours[:cut_o] == real[:cut_r], name


@pytest.mark.parametrize(
    "args",
    [
        ("sintercard", "2", "a", "b"),
        ("sintercard", "2", "a", "b", "LIMIT", "3"),
        ("sintercard", "1", "a"),
        ("sintercard", "5", "a", "b"),
        ("sintercard", "0", "a"),
        ("sintercard", "-1", "a"),
        ("sintercard", "x", "a"),
        ("smove", "a", "b", "m"),
        ("sinterstore", "d", "a", "b"),
        ("sunion", "a", "b", "c"),
        ("sadd", "k", "m1", "m2"),
        ("sscan", "k", "0"),
    ],
    ids=repr,
)
def test_command_getkeys(d: Pair, args: tuple[str, ...]) -> None:
    d.check("COMMAND", "GETKEYS", *args)


def test_pipeline(d: Pair) -> None:
    req = b"".join(
        encode(*cmd)
        for cmd in (
            ("SADD", "p", "1", "2", "3"),
            ("SISMEMBER", "p", "2"),
            ("SREM", "p", "2"),
            ("SMEMBERS", "p"),
            ("SCARD", "p"),
        )
    )
    ours, real = d.raw(req, 5)
    assert ours == real
