"""Tests of the hash family: in-process (``h`` fixture, fake clock) for every
command, the encodings, random fields, HSCAN and per-field TTL (lazy and active
expiry, RENAME/MOVE/COPY/SWAPDB); then redis-py against a server on a socket."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import hiredis
import pytest
import redis

from cacheserver.commands.hashes import FieldExpiry, Hash
from cacheserver.store.keyspace import Database
from helpers import T0, Clock, Harness, ServerThread, encode

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NO_FIELDS = b"-ERR Mandatory argument FIELDS is missing or not at the right position\r\n"
NUMFIELDS_EXPIRE = b"-ERR Parameter `numFields` should be greater than 0\r\n"
NUMFIELDS = b"-ERR Number of fields must be a positive integer\r\n"
MISMATCH = b"-ERR The `numfields` parameter must match the number of arguments\r\n"
NEGATIVE = b"-ERR invalid expire time, must be >= 0\r\n"
BIN = b"f\r\n\x00$1\r\n"


def parse(raw: bytes) -> Any:
    r = hiredis.Reader()
    r.feed(raw)
    return r.gets()


def call(h: Harness, *args: bytes | str | int) -> Any:
    return parse(h.run(*args))


def db(h: Harness, i: int = 0) -> Database:
    return h.server.keyspace.dbs[i]


def value(h: Harness, key: bytes, i: int = 0) -> Hash:
    v = db(h, i).data[key]
    assert isinstance(v, Hash)
    return v


def ints(*codes: int) -> bytes:
    return b"*%d\r\n" % len(codes) + b"".join(b":%d\r\n" % n for n in codes)


def resp3(h: Harness) -> None:
    assert h.run("HELLO", "3").startswith(b"%7")


# -- the basic commands -----------------------------------------------------------


def test_hset_hget_and_friends(h: Harness) -> None:
    assert h.run("HSET", "k", "a", "1", "b", "2") == b":2\r\n"
    assert h.run("HSET", "k", "a", "3", "c", "4", "c", "5") == b":1\r\n"  # a repeat counts once
    assert h.run("HGET", "k", "a") == b"$1\r\n3\r\n"
    assert h.run("HGET", "k", "c") == b"$1\r\n5\r\n"
    assert h.run("HGET", "k", "x") == b"$-1\r\n"
    assert h.run("HGET", "nokey", "x") == b"$-1\r\n"
    assert h.run("HMSET", "k", "d", "6") == b"+OK\r\n"
    assert h.run("HSETNX", "k", "a", "x") == b":0\r\n"
    assert h.run("HSETNX", "k", "e", "7") == b":1\r\n"
    assert h.run("HSETNX", "new", "f", "v") == b":1\r\n"
    assert h.run("HMGET", "k", "a", "x", "e") == b"*3\r\n$1\r\n3\r\n$-1\r\n$1\r\n7\r\n"
    assert h.run("HMGET", "nokey", "a", "b") == b"*2\r\n$-1\r\n$-1\r\n"
    assert h.run("HLEN", "k") == b":5\r\n"
    assert h.run("HLEN", "nokey") == b":0\r\n"
    assert h.run("HSTRLEN", "k", "a") == b":1\r\n"
    assert h.run("HSTRLEN", "k", "x") == b":0\r\n"
    assert h.run("HSTRLEN", "nokey", "x") == b":0\r\n"
    assert h.run("HEXISTS", "k", "a") == b":1\r\n"
    assert h.run("HEXISTS", "k", "x") == b":0\r\n"
    assert h.run("HEXISTS", "nokey", "x") == b":0\r\n"
    assert call(h, "HKEYS", "k") == [b"a", b"b", b"c", b"d", b"e"]  # insertion order
    assert call(h, "HVALS", "k") == [b"3", b"2", b"5", b"6", b"7"]
    assert call(h, "HGETALL", "k") == [b"a", b"3", b"b", b"2", b"c", b"5", b"d", b"6", b"e", b"7"]
    assert h.run("HKEYS", "nokey") == b"*0\r\n"
    assert h.run("HVALS", "nokey") == b"*0\r\n"
    assert h.run("HGETALL", "nokey") == b"*0\r\n"
    assert h.run("TYPE", "k") == b"+hash\r\n"


def test_binary_and_empty_fields(h: Harness) -> None:
    assert h.run("HSET", BIN, BIN, b"\xff" * 3, "", b"\x00") == b":2\r\n"
    assert h.run("HGET", BIN, BIN) == b"$3\r\n\xff\xff\xff\r\n"
    assert h.run("HGET", BIN, "") == b"$1\r\n\x00\r\n"
    assert h.run("HSTRLEN", BIN, "") == b":1\r\n"
    assert call(h, "HGETALL", BIN) == [BIN, b"\xff" * 3, b"", b"\x00"]
    assert h.run("HSET", "", "", "") == b":1\r\n"
    assert h.run("HGET", "", "") == b"$0\r\n\r\n"
    assert h.run("HEXISTS", "", "") == b":1\r\n"


def test_resp3_replies(h: Harness) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    resp3(h)
    assert h.run("HGETALL", "k") == b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert h.run("HGETALL", "nokey") == b"%0\r\n"
    assert h.run("HGET", "k", "x") == b"_\r\n"
    assert h.run("HMGET", "k", "x", "a") == b"*2\r\n_\r\n$1\r\n1\r\n"
    assert h.run("HMGET", "nokey", "x") == b"*1\r\n_\r\n"
    assert h.run("HRANDFIELD", "nokey") == b"_\r\n"
    assert h.run("HKEYS", "k") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


def test_hdel_deletes_the_emptied_key(h: Harness) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    assert h.run("HDEL", "k", "a", "zz", "a") == b":1\r\n"
    assert h.run("HDEL", "k", "b", "b") == b":1\r\n"
    assert h.run("EXISTS", "k") == b":0\r\n"
    assert h.run("HDEL", "k", "b") == b":0\r\n"
    assert h.run("HDEL", "nokey", "b") == b":0\r\n"


def test_arity_and_odd_pairs(h: Harness) -> None:
    assert h.run("HSET", "k") == b"-ERR wrong number of arguments for 'hset' command\r\n"
    assert h.run("HSET", "k", "a") == b"-ERR wrong number of arguments for 'hset' command\r\n"
    assert h.run("HSET", "k", "a", "1", "b") == (
        b"-ERR wrong number of arguments for 'hset' command\r\n"
    )
    assert h.run("HMSET", "k", "a", "1", "b") == (
        b"-ERR wrong number of arguments for 'hmset' command\r\n"
    )
    assert h.run("EXISTS", "k") == b":0\r\n"
    for cmd in (("HGET", "k"), ("HSETNX", "k", "a"), ("HLEN",), ("HDEL", "k"), ("HSCAN", "k")):
        assert h.run(*cmd).startswith(b"-ERR wrong number of arguments"), cmd


WRONGTYPE_CALLS = [
    ("HSET", "s", "a", "1"),
    ("HMSET", "s", "a", "1"),
    ("HSETNX", "s", "a", "1"),
    ("HGET", "s", "a"),
    ("HMGET", "s", "a"),
    ("HDEL", "s", "a"),
    ("HLEN", "s"),
    ("HSTRLEN", "s", "a"),
    ("HEXISTS", "s", "a"),
    ("HKEYS", "s"),
    ("HVALS", "s"),
    ("HGETALL", "s"),
    ("HINCRBY", "s", "a", "1"),
    ("HINCRBYFLOAT", "s", "a", "1"),
    ("HRANDFIELD", "s"),
    ("HRANDFIELD", "s", "2"),
    ("HSCAN", "s", "0"),
    ("HEXPIRE", "s", "10", "FIELDS", "1", "a"),
    ("HPEXPIREAT", "s", "10", "NX", "FIELDS", "1", "a"),
    ("HTTL", "s", "FIELDS", "1", "a"),
    ("HPEXPIRETIME", "s", "FIELDS", "1", "a"),
    ("HPERSIST", "s", "FIELDS", "1", "a"),
    ("HGETEX", "s", "FIELDS", "1", "a"),
    ("HSETEX", "s", "FIELDS", "1", "a", "b"),
    ("HGETDEL", "s", "FIELDS", "1", "a"),
    # Redis checks the type before these arguments
    ("HEXPIRE", "s", "x", "FIELDS", "1", "a"),
    ("HTTL", "s", "NOPE", "1", "a"),
    ("HGETEX", "s", "EX", "x", "FIELDS", "1", "a"),
    ("HGETDEL", "s", "NOPE", "1", "a"),
]


@pytest.mark.parametrize("cmd", WRONGTYPE_CALLS, ids=repr)
def test_wrongtype(h: Harness, cmd: tuple[str, ...]) -> None:
    h.run("SET", "s", "v")
    assert h.run(*cmd) == WRONGTYPE
    assert h.run("GET", "s") == b"$1\r\nv\r\n"


def test_argument_errors_come_before_the_type_check(h: Harness) -> None:
    h.run("SET", "s", "v")
    assert h.run("HSET", "s", "a") == b"-ERR wrong number of arguments for 'hset' command\r\n"
    assert h.run("HINCRBY", "s", "a", "x") == NOT_INT
    assert h.run("HINCRBYFLOAT", "s", "a", "x") == b"-ERR value is not a valid float\r\n"
    assert h.run("HRANDFIELD", "s", "x") == NOT_INT
    assert h.run("HRANDFIELD", "s", "1", "x") == SYNTAX
    assert h.run("HSCAN", "s", "x") == b"-ERR invalid cursor\r\n"
    assert h.run("HSETEX", "s", "NOPE", "FIELDS", "1", "a", "b") == (
        b"-ERR unknown argument: NOPE\r\n"
    )


# -- encodings -----------------------------------------------------------------------


def encoding(h: Harness, key: str) -> bytes:
    return h.run("OBJECT", "ENCODING", key)


def test_listpack_until_a_rule_breaks_then_hashtable_for_good(h: Harness) -> None:
    h.run("HSET", "k", *[x for i in range(511) for x in (b"f%d" % i, b"v")])
    h.run("HSET", "k", "f511", "v")
    assert encoding(h, "k") == b"$8\r\nlistpack\r\n"
    h.run("HSET", "k", "f512", "v")
    assert encoding(h, "k") == b"$9\r\nhashtable\r\n"
    for i in range(500):
        h.run("HDEL", "k", b"f%d" % i)
    assert encoding(h, "k") == b"$9\r\nhashtable\r\n"  # never converted back


@pytest.mark.parametrize(
    "args",
    [
        ("HSET", "k", "f", "x" * 65),
        ("HSET", "k", "x" * 65, "v"),
        ("HSET", "k", "f", "x" * 65, "f", "short"),  # every argument counts, as Redis
        ("HMSET", "k", "f", "x" * 65),
        ("HSETNX", "k", "g", "x" * 65),
        ("HINCRBYFLOAT", "k", "n", "1e100"),  # a long result
        ("HSETEX", "k", "FIELDS", "1", "f", "x" * 65),
    ],
    ids=repr,
)
def test_long_items_make_a_hashtable(h: Harness, args: tuple[str, ...]) -> None:
    h.run("HSET", "k", "a", "1")
    assert encoding(h, "k") == b"$8\r\nlistpack\r\n"
    h.run(*args)
    assert encoding(h, "k") == b"$9\r\nhashtable\r\n"


def test_64_bytes_still_fit_a_listpack(h: Harness) -> None:
    h.run("HSET", "k", "x" * 64, "y" * 64)
    h.run("HSETNX", "k", "a", "x" * 65)
    h.run("HSETNX", "k", "a", "x" * 65)  # the field exists: nothing set, no conversion
    assert encoding(h, "k") == b"$9\r\nhashtable\r\n"
    h.run("HSET", "j", "x" * 64, "y" * 64)
    h.run("HSET", "j", "a", "1")
    h.run("HSETNX", "j", "a", "x" * 65)
    assert encoding(h, "j") == b"$8\r\nlistpack\r\n"


def test_field_ttl_reports_listpackex(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HEXPIRE", "k", "100", "FIELDS", "1", "a")
    assert encoding(h, "k") == b"$10\r\nlistpackex\r\n"
    h.run("HPERSIST", "k", "FIELDS", "1", "a")
    assert encoding(h, "k") == b"$8\r\nlistpack\r\n"
    h.run("HSET", "k", "c", "x" * 100)
    h.run("HEXPIRE", "k", "100", "FIELDS", "1", "a")
    assert encoding(h, "k") == b"$9\r\nhashtable\r\n"


# -- HINCRBY, HINCRBYFLOAT ---------------------------------------------------------------


def test_hincrby(h: Harness) -> None:
    assert h.run("HINCRBY", "k", "n", "5") == b":5\r\n"
    assert h.run("HINCRBY", "k", "n", "-7") == b":-2\r\n"
    assert h.run("HGET", "k", "n") == b"$2\r\n-2\r\n"
    h.run("HSET", "k", "max", "9223372036854775807", "s", "x", "sp", " 1", "e", "")
    assert h.run("HINCRBY", "k", "max", "1") == b"-ERR increment or decrement would overflow\r\n"
    assert h.run("HINCRBY", "k", "max", "0") == b":9223372036854775807\r\n"
    assert h.run("HINCRBY", "k", "n", "-9223372036854775808") == (
        b"-ERR increment or decrement would overflow\r\n"
    )
    for field in ("s", "sp", "e"):
        assert h.run("HINCRBY", "k", field, "1") == b"-ERR hash value is not an integer\r\n"
    assert h.run("HINCRBY", "k", "n", "1.5") == NOT_INT
    assert h.run("HINCRBY", "k", "n", "99999999999999999999") == NOT_INT


def test_hincrbyfloat(h: Harness) -> None:
    assert h.run("HINCRBYFLOAT", "k", "f", "10.5") == b"$4\r\n10.5\r\n"
    assert h.run("HINCRBYFLOAT", "k", "f", "0.1") == b"$4\r\n10.6\r\n"
    # long double arithmetic, as Redis: 10.6 is not exact
    assert h.run("HINCRBYFLOAT", "k", "f", "-5.0e3") == b"$23\r\n-4989.39999999999999991\r\n"
    assert h.run("HINCRBYFLOAT", "k", "g", "3.0e3") == b"$4\r\n3000\r\n"
    h.run("HSET", "k", "i", "17", "s", "abc", "inf", "inf")
    assert h.run("HINCRBYFLOAT", "k", "i", "0.5") == b"$4\r\n17.5\r\n"
    assert h.run("HINCRBYFLOAT", "k", "s", "1") == b"-ERR hash value is not a float\r\n"
    assert h.run("HINCRBYFLOAT", "k", "f", "inf") == b"-ERR value is NaN or Infinity\r\n"
    assert h.run("HINCRBYFLOAT", "k", "f", "-Infinity") == b"-ERR value is NaN or Infinity\r\n"
    assert h.run("HINCRBYFLOAT", "k", "f", "nan") == b"-ERR value is not a valid float\r\n"
    assert h.run("HINCRBYFLOAT", "k", "f", " 1") == b"-ERR value is not a valid float\r\n"
    assert h.run("HINCRBYFLOAT", "k", "f", "1e5000") == b"-ERR value is not a valid float\r\n"
    assert h.run("HINCRBYFLOAT", "k", "inf", "1") == (
        b"-ERR increment would produce NaN or Infinity\r\n"
    )
    h.run("HSET", "k", "big", "1e4932")
    assert h.run("HINCRBYFLOAT", "k", "big", "1e4932") == (
        b"-ERR increment would produce NaN or Infinity\r\n"
    )
    assert h.run("HGET", "k", "f") == b"$23\r\n-4989.39999999999999991\r\n"


# -- HRANDFIELD -----------------------------------------------------------------------------


def test_hrandfield_shapes(h: Harness) -> None:
    h.run("HSET", "k", "a", "1", "b", "2", "c", "3")
    assert call(h, "HRANDFIELD", "k") in (b"a", b"b", b"c")
    assert h.run("HRANDFIELD", "k", "0") == b"*0\r\n"
    assert h.run("HRANDFIELD", "k", "0", "WITHVALUES") == b"*0\r\n"
    assert h.run("HRANDFIELD", "nokey", "5") == b"*0\r\n"
    assert h.run("HRANDFIELD", "nokey") == b"$-1\r\n"
    # count >= size: the whole hash, in its order
    assert call(h, "HRANDFIELD", "k", "3") == [b"a", b"b", b"c"]
    assert call(h, "HRANDFIELD", "k", "99", "WITHVALUES") == [b"a", b"1", b"b", b"2", b"c", b"3"]
    two = call(h, "HRANDFIELD", "k", "2", "withvalues")
    assert len(two) == 4 and two[0] != two[2]  # distinct
    assert (
        dict(zip(two[::2], two[1::2], strict=True)).items()
        <= {b"a": b"1", b"b": b"2", b"c": b"3"}.items()
    )
    many = call(h, "HRANDFIELD", "k", "-50")
    assert len(many) == 50 and set(many) == {b"a", b"b", b"c"}  # repeats
    pairs = call(h, "HRANDFIELD", "k", "-5", "WITHVALUES")
    assert len(pairs) == 10
    resp3(h)
    nested = call(h, "HRANDFIELD", "k", "-4", "WITHVALUES")
    assert len(nested) == 4 and all(len(p) == 2 for p in nested)
    assert h.run("HRANDFIELD", "k", "1", "WITHVALUES").startswith(b"*1\r\n*2\r\n")
    assert call(h, "HRANDFIELD", "k", "5", "WITHVALUES") == [
        [b"a", b"1"],
        [b"b", b"2"],
        [b"c", b"3"],
    ]


def test_hrandfield_count_limits(h: Harness) -> None:
    h.run("HSET", "k", "a", "1")
    assert h.run("HRANDFIELD", "k", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n"
    )
    assert h.run("HRANDFIELD", "k", "4611686018427387904", "WITHVALUES") == (
        b"-ERR value is out of range\r\n"
    )
    assert h.run("HRANDFIELD", "k", "-4611686018427387904", "WITHVALUES") == (
        b"-ERR value is out of range\r\n"
    )
    assert h.run("HRANDFIELD", "k", "1", "WITHVALUES", "x") == SYNTAX
    assert h.run("HRANDFIELD", "k", "1", "WITHVALUE") == SYNTAX
    assert h.run("HRANDFIELD", "k", "1", b"WITHVALUES\x00junk").startswith(b"*2\r\n")
    # Redis would try to build these replies and run out of memory; here they are refused
    for count in ("-9223372036854775807", "-4611686018427387903", "-1000001"):
        assert h.run("HRANDFIELD", "k", count).startswith(b"-ERR count is too large"), count
    h.run("HSET", "big", "f", "x" * 10000)
    assert h.run("HRANDFIELD", "big", "-30000", "WITHVALUES").startswith(b"-ERR count is too large")
    assert h.run("HRANDFIELD", "big", "-30000").startswith(b"*30000\r\n")
    # a huge positive count is just the whole hash
    assert h.run("HRANDFIELD", "k", "9223372036854775807") == b"*1\r\n$1\r\na\r\n"


def test_hrandfield_large_hash_draws_are_uniform_and_live(h: Harness) -> None:
    random.seed(7)
    n = 3000
    h.run("HSET", "k", *[x for i in range(n) for x in (b"f%d" % i, b"v%d" % i)])
    got = call(h, "HRANDFIELD", "k", "100", "WITHVALUES")
    fields = got[::2]
    assert len(fields) == 100 == len(set(fields))
    assert all(v == b"v" + f[1:] for f, v in zip(fields, got[1::2], strict=True))
    hv = value(h, b"k")
    assert hv.arr is not None and len(hv.arr) == n  # built once, reused
    # writes keep the draw list in step: removed fields never come back
    h.run("HDEL", "k", *[b"f%d" % i for i in range(0, n, 2)])
    h.run("HSET", "k", "new", "x")
    h.run("HSET", "k", "f0", "again")  # removed then added back: one slot, live again
    live = {b"f%d" % i for i in range(1, n, 2)} | {b"new", b"f0"}
    drawn = call(h, "HRANDFIELD", "k", "-20000")
    assert set(drawn) <= live
    counts: dict[bytes, int] = {}
    for f in drawn:
        counts[f] = counts.get(f, 0) + 1
    assert len(counts) > 0.9 * len(live)
    assert max(counts.values()) < 40  # about 13 expected for each
    sample = call(h, "HRANDFIELD", "k", "500")
    assert len(set(sample)) == 500 and set(sample) <= live
    assert h.run("HRANDFIELD", "k") in {b"$%d\r\n%s\r\n" % (len(f), f) for f in live}


def test_hrandfield_sample_of_most_of_a_big_hash(h: Harness) -> None:
    n = 900
    h.run("HSET", "k", *[x for i in range(n) for x in (b"f%d" % i, b"v")])
    for count in (899, 450, 301, 299, 10):
        got = call(h, "HRANDFIELD", "k", str(count))
        assert len(got) == len(set(got)) == count


# -- HSCAN ---------------------------------------------------------------------------------------


def scan_all(h: Harness, key: str, *opts: str) -> list[bytes]:
    out: list[bytes] = []
    cursor = b"0"
    for _ in range(10_000):
        cursor, items = call(h, "HSCAN", key, cursor, *opts)
        out += items
        if cursor == b"0":
            return out
    raise AssertionError("HSCAN did not finish")


def test_hscan_small_hash_is_one_reply(h: Harness) -> None:
    h.run("HSET", "k", "a", "1", "b", "2", "ab", "3")
    assert h.run("HSCAN", "k", "0") == (
        b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$2\r\nab\r\n$1\r\n3\r\n"
    )
    assert call(h, "HSCAN", "k", "12345", "COUNT", "1") == [
        b"0",
        [b"a", b"1", b"b", b"2", b"ab", b"3"],
    ]
    assert call(h, "HSCAN", "k", "0", "MATCH", "a*") == [b"0", [b"a", b"1", b"ab", b"3"]]
    assert call(h, "HSCAN", "k", "0", "NOVALUES") == [b"0", [b"a", b"b", b"ab"]]
    assert call(h, "HSCAN", "k", "0", "match", "?", "novalues", "count", "5") == [
        b"0",
        [b"a", b"b"],
    ]
    assert h.run("HSCAN", "nokey", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    h.run("HSET", "e", "", "empty")
    assert call(h, "HSCAN", "e", "0", "MATCH", "*") == [b"0", [b"", b"empty"]]


def test_hscan_errors(h: Harness) -> None:
    h.run("HSET", "k", "a", "1")
    assert h.run("HSCAN", "k", "x") == b"-ERR invalid cursor\r\n"
    assert h.run("HSCAN", "k", "0", "COUNT", "0") == SYNTAX
    assert h.run("HSCAN", "k", "0", "COUNT", "x") == NOT_INT
    assert h.run("HSCAN", "k", "0", "MATCH") == SYNTAX
    assert h.run("HSCAN", "k", "0", "TYPE", "hash") == SYNTAX
    assert h.run("HSCAN", "k", "0", "NOPE", "1") == SYNTAX
    # options are parsed after the lookup: a missing key is an empty scan
    assert h.run("HSCAN", "nokey", "0", "COUNT", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_hscan_big_hash_iterates_with_a_cursor(h: Harness) -> None:
    n = 1000
    h.run("HSET", "k", *[x for i in range(n) for x in (b"f%d" % i, b"v%d" % i)])
    cursor, items = call(h, "HSCAN", "k", "0", "COUNT", "100")
    assert cursor != b"0" and len(items) == 200
    items = scan_all(h, "k", "COUNT", "37")
    assert len(items) == 2 * n
    assert dict(zip(items[::2], items[1::2], strict=True)) == {
        b"f%d" % i: b"v%d" % i for i in range(n)
    }
    assert sorted(scan_all(h, "k", "MATCH", "f1?", "NOVALUES")) == sorted(
        b"f1%d" % i for i in range(10)
    )


def test_hscan_skips_fields_removed_during_the_scan(h: Harness) -> None:
    n = 800
    h.run("HSET", "k", *[x for i in range(n) for x in (b"f%d" % i, b"v")])
    cursor, first = call(h, "HSCAN", "k", "0", "COUNT", "50", "NOVALUES")
    h.run("HDEL", "k", *[b"f%d" % i for i in range(n) if b"f%d" % i not in first][:100])
    rest: list[bytes] = []
    while cursor != b"0":
        cursor, items = call(h, "HSCAN", "k", cursor, "COUNT", "50", "NOVALUES")
        rest += items
    assert len(first) + len(rest) == n - 100
    assert not set(first) & set(rest)


# -- field TTL: HEXPIRE and friends ---------------------------------------------------------------


def test_hexpire_reply_codes(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2", "c", "3")
    assert h.run("HEXPIRE", "k", "10", "FIELDS", "3", "a", "b", "zz") == ints(1, 1, -2)
    assert h.run("HTTL", "k", "FIELDS", "4", "a", "b", "c", "zz") == ints(10, 10, -1, -2)
    assert h.run("HPTTL", "k", "FIELDS", "1", "a") == ints(10_000)
    assert h.run("HEXPIRETIME", "k", "FIELDS", "1", "a") == ints(T0 // 1000 + 10)
    assert h.run("HPEXPIRETIME", "k", "FIELDS", "2", "a", "c") == ints(T0 + 10_000, -1)
    # a deadline now or in the past deletes the field
    assert h.run("HPEXPIREAT", "k", str(T0), "FIELDS", "1", "b") == ints(2)
    assert h.run("HEXISTS", "k", "b") == b":0\r\n"
    assert h.run("HEXPIRE", "k", "0", "FIELDS", "2", "a", "c") == ints(2, 2)
    assert h.run("EXISTS", "k") == b":0\r\n"  # the last field went: so did the key
    # a missing key: every field is missing
    assert h.run("HEXPIRE", "k", "10", "FIELDS", "2", "a", "b") == ints(-2, -2)
    assert h.run("HTTL", "k", "FIELDS", "1", "a") == ints(-2)
    assert h.run("HPERSIST", "k", "FIELDS", "1", "a") == ints(-2)


def test_hexpire_units(h: Harness, clock: Clock) -> None:
    clock.t = T0 + 250
    h.run("HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4")
    assert h.run("HEXPIRE", "k", "3", "FIELDS", "1", "a") == ints(1)
    assert h.run("HPEXPIRE", "k", "1500", "FIELDS", "1", "b") == ints(1)
    assert h.run("HEXPIREAT", "k", str(T0 // 1000 + 100), "FIELDS", "1", "c") == ints(1)
    assert h.run("HPEXPIREAT", "k", str(T0 + 99_999), "FIELDS", "1", "d") == ints(1)
    assert h.run("HPEXPIRETIME", "k", "FIELDS", "4", "a", "b", "c", "d") == ints(
        T0 + 3250, T0 + 1750, T0 + 100_000, T0 + 99_999
    )
    # seconds round up (Redis's (when + 999 - base) / 1000)
    assert h.run("HTTL", "k", "FIELDS", "4", "a", "b", "c", "d") == ints(3, 2, 100, 100)
    assert h.run("HEXPIRETIME", "k", "FIELDS", "2", "b", "d") == ints(
        T0 // 1000 + 2, T0 // 1000 + 100
    )
    clock.t = T0 + 1749
    assert h.run("HPTTL", "k", "FIELDS", "1", "b") == ints(1)
    clock.t = T0 + 1750
    assert h.run("HPTTL", "k", "FIELDS", "1", "b") == ints(-2)


CONDITIONS = [
    # (current TTL in ms or None, option, new TTL in ms, reply)
    (None, "NX", 5000, 1),
    (1000, "NX", 5000, 0),
    (None, "XX", 5000, 0),
    (1000, "XX", 5000, 1),
    (None, "GT", 5000, 0),
    (1000, "GT", 5000, 1),
    (1000, "GT", 1000, 0),
    (5000, "GT", 1000, 0),
    (None, "LT", 5000, 1),
    (5000, "LT", 1000, 1),
    (1000, "LT", 1000, 0),
    (1000, "LT", 5000, 0),
    (1000, "nx", 5000, 0),
    (1000, "Gt", 5000, 1),
]


@pytest.mark.parametrize(("cur", "opt", "new", "want"), CONDITIONS)
def test_hexpire_conditions(
    h: Harness, clock: Clock, cur: int | None, opt: str, new: int, want: int
) -> None:
    h.run("HSET", "k", "f", "v")
    if cur is not None:
        h.run("HPEXPIRE", "k", str(cur), "FIELDS", "1", "f")
    assert h.run("HPEXPIRE", "k", str(new), opt, "FIELDS", "2", "f", "missing") == ints(want, -2)
    expect = new if want else (cur if cur is not None else -1)
    assert h.run("HPTTL", "k", "FIELDS", "1", "f") == ints(expect)


def test_hexpire_condition_then_deadline_in_the_past(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "f", "v", "g", "w")
    assert h.run("HPEXPIRE", "k", "0", "XX", "FIELDS", "1", "f") == ints(0)  # no TTL: XX fails
    assert h.run("HPEXPIRE", "k", "0", "LT", "FIELDS", "1", "f") == ints(2)
    assert h.run("HGETALL", "k") == b"*2\r\n$1\r\ng\r\n$1\r\nw\r\n"


HEXPIRE_ERRORS = [
    (("HEXPIRE", "k", "x", "FIELDS", "1", "f"), NOT_INT),
    (("HEXPIRE", "k", "1.5", "FIELDS", "1", "f"), NOT_INT),
    (("HEXPIRE", "k", "-1", "FIELDS", "1", "f"), NEGATIVE),
    (("HPEXPIREAT", "k", "-1", "FIELDS", "1", "f"), NEGATIVE),
    (
        ("HEXPIRE", "k", "70368744177", "FIELDS", "1", "f"),
        b"-ERR invalid expire time in 'hexpire' command\r\n",
    ),
    (
        ("HEXPIREAT", "k", "70368744178", "FIELDS", "1", "f"),
        b"-ERR invalid expire time in 'hexpireat' command\r\n",
    ),
    (
        ("HPEXPIREAT", "k", "70368744177664", "FIELDS", "1", "f"),
        b"-ERR invalid expire time in 'hpexpireat' command\r\n",
    ),
    (
        ("HPEXPIRE", "k", "70368744177663", "FIELDS", "1", "f"),
        b"-ERR invalid expire time in 'hpexpire' command\r\n",
    ),
    (
        ("HEXPIRE", "k", "9223372036854775807", "FIELDS", "1", "f"),
        b"-ERR invalid expire time in 'hexpire' command\r\n",
    ),
    (("HEXPIRE", "k", "10", "FIELDS", "0", "f"), NUMFIELDS_EXPIRE),
    (("HEXPIRE", "k", "10", "FIELDS", "-1", "f"), NUMFIELDS_EXPIRE),
    (("HEXPIRE", "k", "10", "FIELDS", "x", "f"), NUMFIELDS_EXPIRE),
    (("HEXPIRE", "k", "10", "FIELDS", "2", "f"), MISMATCH),
    (("HEXPIRE", "k", "10", "FIELDS", "1", "f", "g"), MISMATCH),
    (("HEXPIRE", "k", "10", "NX", "FIELDS", "1"), MISMATCH),
    (("HEXPIRE", "k", "10", "NOPE", "FIELDS", "1", "f"), NO_FIELDS),
    (("HEXPIRE", "k", "10", "NX", "XX", "FIELDS", "1", "f"), NO_FIELDS),
    (("HEXPIRE", "k", "10", "1", "f", "g"), NO_FIELDS),
    (("HEXPIRE", "k", "10", "FIELDS"), b"-ERR wrong number of arguments for 'hexpire' command\r\n"),
    (("HTTL", "k", "FIELDS", "0", "f"), NUMFIELDS),
    (("HTTL", "k", "FIELDS", "x", "f"), NUMFIELDS),
    (("HTTL", "k", "FIELDS", "2", "f"), MISMATCH),
    (("HTTL", "k", "FIELD", "1", "f"), NO_FIELDS),
    (("HPTTL", "k", "1", "f", "g"), NO_FIELDS),
    (
        ("HEXPIRETIME", "k", "FIELDS", "1"),
        b"-ERR wrong number of arguments for 'hexpiretime' command\r\n",
    ),
    (("HPERSIST", "k", "FIELDS", "-5", "f"), NUMFIELDS),
    (("HPERSIST", "k", "FIELDS", "1", "f", "g"), MISMATCH),
    (("HPERSIST", "k", "NOPE", "1", "f"), NO_FIELDS),
]


@pytest.mark.parametrize(("cmd", "want"), HEXPIRE_ERRORS, ids=repr)
def test_field_ttl_errors(h: Harness, clock: Clock, cmd: tuple[str, ...], want: bytes) -> None:
    h.run("HSET", "k", "f", "v")
    assert h.run(*cmd) == want
    assert h.run("HGETALL", "k") == b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    # a missing key gets the same argument errors
    assert h.run(cmd[0], "nokey", *cmd[2:]) == want


def test_the_largest_deadline(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "f", "v")
    assert h.run("HPEXPIREAT", "k", "70368744177663", "FIELDS", "1", "f") == ints(1)
    assert h.run("HPEXPIRETIME", "k", "FIELDS", "1", "f") == ints(70368744177663)
    assert h.run("HEXPIREAT", "k", "70368744177", "FIELDS", "1", "f") == ints(1)
    assert h.run("HPEXPIRE", "k", str(70368744177663 - T0), "FIELDS", "1", "f") == ints(1)


def test_hpersist(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HEXPIRE", "k", "10", "FIELDS", "1", "a")
    assert h.run("HPERSIST", "k", "FIELDS", "3", "a", "b", "zz") == ints(1, -1, -2)
    assert h.run("HPERSIST", "k", "FIELDS", "1", "a") == ints(-1)
    assert h.run("HTTL", "k", "FIELDS", "1", "a") == ints(-1)
    assert value(h, b"k").ttl is None
    clock.t += 20_000
    assert h.run("HGET", "k", "a") == b"$1\r\n1\r\n"


def test_overwrites_drop_a_field_ttl_and_updates_keep_it(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4", "n", "5", "x", "1.5")
    h.run("HEXPIRE", "k", "10", "FIELDS", "6", "a", "b", "c", "d", "n", "x")
    h.run("HSET", "k", "a", "new")
    h.run("HMSET", "k", "b", "new")
    h.run("HSETNX", "k", "c", "ignored")  # the field exists: untouched, TTL kept
    h.run("HINCRBY", "k", "n", "1")
    h.run("HINCRBYFLOAT", "k", "x", "1")
    assert h.run("HTTL", "k", "FIELDS", "6", "a", "b", "c", "d", "n", "x") == ints(
        -1, -1, 10, 10, 10, 10
    )
    h.run("HDEL", "k", "d")
    h.run("HSET", "k", "d", "back")  # removed and added again: no TTL left over
    assert h.run("HTTL", "k", "FIELDS", "1", "d") == ints(-1)


def test_expired_fields_vanish_from_every_read(h: Harness, clock: Clock) -> None:
    reads: list[tuple[tuple[str, ...], bytes]] = [
        (("HGET", "k", "gone"), b"$-1\r\n"),
        (("HMGET", "k", "gone", "keep"), b"*2\r\n$-1\r\n$1\r\nv\r\n"),
        (("HEXISTS", "k", "gone"), b":0\r\n"),
        (("HSTRLEN", "k", "gone"), b":0\r\n"),
        (("HLEN", "k"), b":1\r\n"),
        (("HKEYS", "k"), b"*1\r\n$4\r\nkeep\r\n"),
        (("HVALS", "k"), b"*1\r\n$1\r\nv\r\n"),
        (("HGETALL", "k"), b"*2\r\n$4\r\nkeep\r\n$1\r\nv\r\n"),
        (("HSCAN", "k", "0"), b"*2\r\n$1\r\n0\r\n*2\r\n$4\r\nkeep\r\n$1\r\nv\r\n"),
        (("HRANDFIELD", "k", "-3"), b"*3\r\n$4\r\nkeep\r\n$4\r\nkeep\r\n$4\r\nkeep\r\n"),
        (("HRANDFIELD", "k"), b"$4\r\nkeep\r\n"),
        (("HTTL", "k", "FIELDS", "2", "gone", "keep"), ints(-2, -1)),
        (("HPERSIST", "k", "FIELDS", "1", "gone"), ints(-2)),
        (("HEXPIRE", "k", "5", "FIELDS", "1", "gone"), ints(-2)),
        (("HDEL", "k", "gone"), b":0\r\n"),
        (("HSETNX", "k", "gone", "x"), b":1\r\n"),
        (("HSET", "k", "gone", "x"), b":1\r\n"),
        (("HINCRBY", "k", "gone", "3"), b":3\r\n"),
        (("HGETDEL", "k", "FIELDS", "1", "gone"), b"*1\r\n$-1\r\n"),
        (("HGETEX", "k", "FIELDS", "1", "gone"), b"*1\r\n$-1\r\n"),
    ]
    for cmd, want in reads:
        h.run("HSET", "k", "gone", "x", "keep", "v")
        h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "gone")
        clock.t += 10
        assert h.run(*cmd) == want, cmd
        h.run("DEL", "k")


def test_a_hash_whose_last_field_expires_is_deleted_on_access(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "5", "FIELDS", "2", "a", "b")
    clock.t += 5
    assert h.run("EXISTS", "k") == b":1\r\n"  # not touched yet: still there, as in Redis
    assert h.run("HLEN", "k") == b":0\r\n"
    assert h.run("EXISTS", "k") == b":0\r\n"
    h.run("HSET", "k", "a", "1")
    h.run("HPEXPIRE", "k", "5", "FIELDS", "1", "a")
    clock.t += 5
    assert h.run("HSET", "k", "b", "2") == b":1\r\n"  # a fresh hash
    assert h.run("HGETALL", "k") == b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert h.run("HINCRBYFLOAT", "k", "b", "1") == b"$1\r\n3\r\n"


def test_key_ttl_and_field_ttl_together(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("PEXPIRE", "k", "100")
    h.run("HPEXPIRE", "k", "50", "FIELDS", "1", "a")
    h.run("HSET", "k", "c", "3")  # writes to the hash keep the key's TTL
    assert h.run("PTTL", "k") == b":100\r\n"
    clock.t += 50
    assert h.run("HKEYS", "k") == b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n"
    clock.t += 50
    assert h.run("EXISTS", "k") == b":0\r\n"


# -- field TTL: the active cycle -------------------------------------------------------------


def cycle(h: Harness, now: int, budget: float = 1.0) -> int:
    return h.server.keyspace.expire_cycle(now, budget)


def test_active_expiry_without_touching(h: Harness, clock: Clock) -> None:
    for i in range(50):
        key = b"h%d" % i
        h.run("HSET", key, "a", "1", "b", "2", "keep", "3")
        h.run("HPEXPIRE", key, str(1 + i % 5), "FIELDS", "2", "a", "b")
    h.run("HSET", "all", "a", "1", "b", "2")
    h.run("HPEXPIRE", "all", "3", "FIELDS", "2", "a", "b")
    h.run("SELECT", "7")
    h.run("HSET", "other", "a", "1")
    h.run("HPEXPIRE", "other", "1", "FIELDS", "1", "a")
    h.run("SELECT", "0")
    assert cycle(h, T0 + 2) == 2 * 20 + 1
    assert cycle(h, T0 + 10) == 2 * 30 + 2
    assert all(len(value(h, b"h%d" % i)) == 1 for i in range(50))
    assert b"all" not in db(h).data
    assert not db(h, 7).data
    assert all(value(h, b"h%d" % i).ttl is None for i in range(50))
    assert cycle(h, T0 + 1000) == 0


def test_active_expiry_of_a_big_hash_stops_at_its_budget(h: Harness, clock: Clock) -> None:
    n = 2000
    h.run("HSET", "k", *[x for i in range(n) for x in (b"f%d" % i, b"v")])
    h.run("HPEXPIRE", "k", "1", "FIELDS", str(n), *[b"f%d" % i for i in range(n)])
    assert cycle(h, T0 + 1, 0.0) == 256  # one step of a hash, then the clock says stop
    assert len(value(h, b"k")) == n - 256
    assert cycle(h, T0 + 1) == n - 256
    assert b"k" not in db(h).data


def test_field_ttl_survives_rename_and_the_cycle_finds_it(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    h.run("HPEXPIRE", "k", "20", "FIELDS", "1", "b")
    h.run("RENAME", "k", "r")
    assert h.run("HPTTL", "r", "FIELDS", "2", "a", "b") == ints(10, 20)
    h.run("RENAME", "r", "k2")  # moved again, and nothing touches it now
    assert cycle(h, T0 + 10) == 0  # found away from home: searched for
    assert cycle(h, T0 + 10) == 1
    assert h.run("HGETALL", "k2") != b"*0\r\n"
    assert value(h, b"k2").ttl is not None
    assert cycle(h, T0 + 20) == 1
    assert h.run("EXISTS", "k2") == b":0\r\n"


def test_a_command_on_a_moved_hash_tells_the_index_its_new_name(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    h.run("RENAME", "k", "r")
    cycle(h, T0 + 5)  # nothing due yet: the index still thinks "k"
    assert h.run("HLEN", "r") == b":2\r\n"  # a lookup records the address
    fx = db(h).field_expiry
    assert isinstance(fx, FieldExpiry)
    assert cycle(h, T0 + 10) == 1  # found at once, no search
    assert not fx.lost and fx.search is None
    assert list(value(h, b"r")) == [b"b"]


def test_the_search_for_a_moved_hash_is_sliced_by_the_budget(h: Harness, clock: Clock) -> None:
    d = db(h)
    for i in range(20_000):
        d.add(b"s%d" % i, b"v")
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    h.run("RENAME", "k", "zz")
    fx = d.field_expiry
    assert isinstance(fx, FieldExpiry)
    cycle(h, T0 + 10, 0.0)  # finds it gone from "k"; one slice of the search
    assert fx.search is not None and fx.lost
    for _ in range(100):
        cycle(h, T0 + 10, 0.0)
        if b"a" not in value(h, b"zz"):
            break
    assert list(value(h, b"zz")) == [b"b"]
    assert not fx.lost and fx.search is None


def test_a_hash_held_outside_any_database_is_given_up(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    held = value(h, b"k")  # alive, but in no database once deleted
    h.run("DEL", "k")
    fx = db(h).field_expiry
    assert isinstance(fx, FieldExpiry)
    cycle(h, T0 + 10)  # lost, searched for in vain
    cycle(h, T0 + 10)  # a second pass, in vain: given up
    assert not fx.lost and fx.search is None
    assert cycle(h, T0 + 10) == 0
    assert list(held) == [b"a"]


def test_field_ttl_survives_move(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    assert h.run("MOVE", "k", "3") == b":1\r\n"
    cycle(h, T0 + 10)
    cycle(h, T0 + 10)
    assert list(value(h, b"k", 3)) == [b"b"]
    h.run("SELECT", "3")
    assert h.run("HTTL", "k", "FIELDS", "2", "a", "b") == ints(-2, -1)


def test_copy_copies_field_ttls(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    assert h.run("COPY", "k", "c") == b":1\r\n"
    assert h.run("COPY", "k", "d", "DB", "2") == b":1\r\n"
    assert h.run("HPTTL", "c", "FIELDS", "2", "a", "b") == ints(10, -1)
    h.run("HPERSIST", "k", "FIELDS", "1", "a")  # the copies are independent
    assert h.run("HPTTL", "c", "FIELDS", "1", "a") == ints(10)
    h.run("SELECT", "2")
    assert h.run("OBJECT", "ENCODING", "d") == b"$10\r\nlistpackex\r\n"
    h.run("SELECT", "0")
    cycle(h, T0 + 10)
    cycle(h, T0 + 10)
    assert list(value(h, b"k")) == [b"a", b"b"]
    assert list(value(h, b"c")) == [b"b"]
    assert list(value(h, b"d", 2)) == [b"b"]


def test_field_ttl_survives_swapdb(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2")
    h.run("HPEXPIRE", "k", "10", "FIELDS", "1", "a")
    h.run("SWAPDB", "0", "4")
    cycle(h, T0 + 10)
    cycle(h, T0 + 10)
    assert list(value(h, b"k", 4)) == [b"b"]


def test_a_hash_flushed_or_deleted_leaves_the_index(h: Harness, clock: Clock) -> None:
    for i in range(2000):
        h.run("HSET", b"k%d" % i, "a", "1")
        h.run("HPEXPIRE", b"k%d" % i, "1000000", "FIELDS", "1", "a")
    fx = db(h).field_expiry
    assert isinstance(fx, FieldExpiry)
    assert len(fx.heap) == 2000
    h.run("FLUSHALL")
    cycle(h, T0 + 1)
    assert fx.heap == []  # dead entries dropped without waiting for their deadlines


def test_stale_index_entries_are_bounded(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1")
    for i in range(5000):  # ever earlier deadlines: a new index entry each time
        h.run("HPEXPIRE", "k", str(100_000 - i), "FIELDS", "1", "a")
    fx = db(h).field_expiry
    assert isinstance(fx, FieldExpiry)
    assert len(fx.heap) <= 2 * 1 + 1024 + 1
    assert len(value(h, b"k").ttl.heap) <= 2 * 1 + 32 + 1  # type: ignore[union-attr]
    assert h.run("HPTTL", "k", "FIELDS", "1", "a") == ints(100_000 - 4999)


# -- HGETEX, HSETEX, HGETDEL (Redis 8.0) --------------------------------------------------------------


def test_hgetex(h: Harness, clock: Clock) -> None:
    h.run("HSET", "k", "a", "1", "b", "2", "c", "3")
    assert h.run("HGETEX", "k", "FIELDS", "2", "a", "zz") == b"*2\r\n$1\r\n1\r\n$-1\r\n"
    assert h.run("HGETEX", "k", "EX", "10", "FIELDS", "2", "a", "zz") == b"*2\r\n$1\r\n1\r\n$-1\r\n"
    assert h.run("HGETEX", "k", "PX", "500", "FIELDS", "1", "b") == b"*1\r\n$1\r\n2\r\n"
    assert h.run("HGETEX", "k", "EXAT", str(T0 // 1000 + 20), "FIELDS", "1", "c") == (
        b"*1\r\n$1\r\n3\r\n"
    )
    assert h.run("HPTTL", "k", "FIELDS", "3", "a", "b", "c") == ints(10_000, 500, 20_000)
    assert h.run("HGETEX", "k", "pxat", str(T0 + 7), "FIELDS", "1", "c") == b"*1\r\n$1\r\n3\r\n"
    assert h.run("HPTTL", "k", "FIELDS", "1", "c") == ints(7)
    assert h.run("HGETEX", "k", "PERSIST", "FIELDS", "2", "a", "b") == (
        b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    )
    assert h.run("HPTTL", "k", "FIELDS", "3", "a", "b", "c") == ints(-1, -1, 7)
    # a deadline already past returns the value and deletes the field
    assert h.run("HGETEX", "k", "EX", "0", "FIELDS", "2", "a", "a") == b"*2\r\n$1\r\n1\r\n$-1\r\n"
    assert h.run("HGETEX", "k", "PXAT", "1", "FIELDS", "2", "b", "c") == (
        b"*2\r\n$1\r\n2\r\n$1\r\n3\r\n"
    )
    assert h.run("EXISTS", "k") == b":0\r\n"
    assert h.run("HGETEX", "k", "EX", "10", "FIELDS", "2", "a", "b") == b"*2\r\n$-1\r\n$-1\r\n"
    resp3(h)
    assert h.run("HGETEX", "k", "FIELDS", "1", "a") == b"*1\r\n_\r\n"


HGETEX_ERRORS = [
    (("HGETEX", "k", "EX", "x", "FIELDS", "1", "a"), NOT_INT),
    (("HGETEX", "k", "EX", "-1", "FIELDS", "1", "a"), NEGATIVE),
    (
        ("HGETEX", "k", "EX", "70368744178", "FIELDS", "1", "a"),
        b"-ERR invalid expire time in 'hgetex' command\r\n",
    ),
    (
        ("HGETEX", "k", "PXAT", "70368744177664", "FIELDS", "1", "a"),
        b"-ERR invalid expire time in 'hgetex' command\r\n",
    ),
    (("HGETEX", "k", "EX", "10", "FIELDS", "2", "a"), MISMATCH),
    (("HGETEX", "k", "EX", "10", "FIELDS", "0", "a"), NUMFIELDS),
    (("HGETEX", "k", "EX", "10", "FIELDS"), MISMATCH),
    (
        ("HGETEX", "k", "PERSIST", "FIELDS"),
        b"-ERR wrong number of arguments for 'hgetex' command\r\n",
    ),
    (("HGETEX", "k", "EX", "10", "NOPE", "1", "a"), NO_FIELDS),
    (("HGETEX", "k", "NOPE", "FIELDS", "1", "a"), NO_FIELDS),
    (("HGETEX", "k", "PERSIST", "EX", "10", "FIELDS", "1", "a"), NO_FIELDS),
    (("HGETEX", "k", "FIELDS", "x", "a"), NUMFIELDS),
    (("HGETDEL", "k", "FIELDS", "0", "a"), NUMFIELDS),
    (("HGETDEL", "k", "FIELDS", "2", "a"), MISMATCH),
    (("HGETDEL", "k", "FIELD", "1", "a"), NO_FIELDS),
    (("HGETDEL", "k", "FIELDS", "1"), b"-ERR wrong number of arguments for 'hgetdel' command\r\n"),
]


@pytest.mark.parametrize(("cmd", "want"), HGETEX_ERRORS, ids=repr)
def test_hgetex_hgetdel_errors(h: Harness, clock: Clock, cmd: tuple[str, ...], want: bytes) -> None:
    h.run("HSET", "k", "a", "1")
    assert h.run(*cmd) == want
    assert h.run("HPTTL", "k", "FIELDS", "1", "a") == ints(-1)
    assert h.run(cmd[0], "nokey", *cmd[2:]) == want


def test_hgetdel(h: Harness) -> None:
    h.run("HSET", "k", "a", "1", "b", "2", "c", "3")
    assert (
        h.run("HGETDEL", "k", "FIELDS", "3", "a", "zz", "a") == b"*3\r\n$1\r\n1\r\n$-1\r\n$-1\r\n"
    )
    assert h.run("HGETALL", "k") == b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    assert h.run("HGETDEL", "k", "fields", "2", "b", "c") == b"*2\r\n$1\r\n2\r\n$1\r\n3\r\n"
    assert h.run("EXISTS", "k") == b":0\r\n"
    assert h.run("HGETDEL", "k", "FIELDS", "1", "a") == b"*1\r\n$-1\r\n"


def test_hsetex(h: Harness, clock: Clock) -> None:
    assert h.run("HSETEX", "k", "FIELDS", "2", "a", "1", "b", "2") == b":1\r\n"
    assert h.run("HGETALL", "k") == b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert h.run("HSETEX", "k", "EX", "10", "FIELDS", "1", "a", "x") == b":1\r\n"
    assert h.run("HSETEX", "k", "PX", "500", "FIELDS", "1", "b", "y") == b":1\r\n"
    assert h.run("HPTTL", "k", "FIELDS", "2", "a", "b") == ints(10_000, 500)
    assert h.run("HSETEX", "k", "KEEPTTL", "FIELDS", "1", "a", "z") == b":1\r\n"
    assert h.run("HPTTL", "k", "FIELDS", "1", "a") == ints(10_000)
    assert h.run("HSETEX", "k", "FIELDS", "1", "a", "w") == b":1\r\n"  # a plain set drops it
    assert h.run("HPTTL", "k", "FIELDS", "1", "a") == ints(-1)
    assert h.run("HSETEX", "k", "EXAT", str(T0 // 1000 + 30), "FIELDS", "1", "c", "3") == b":1\r\n"
    assert h.run("HSETEX", "k", "PXAT", str(T0 + 40), "FIELDS", "1", "d", "4") == b":1\r\n"
    assert h.run("HPEXPIRETIME", "k", "FIELDS", "2", "c", "d") == ints(T0 + 30_000, T0 + 40)
    # FNX: only when none exists; FXX: only when all exist
    assert h.run("HSETEX", "k", "FNX", "FIELDS", "2", "a", "1", "new", "2") == b":0\r\n"
    assert h.run("HSETEX", "k", "FNX", "FIELDS", "2", "n1", "1", "n2", "2") == b":1\r\n"
    assert h.run("HSETEX", "k", "FXX", "FIELDS", "2", "a", "1", "nope", "2") == b":0\r\n"
    assert h.run("HSETEX", "k", "FXX", "EX", "5", "FIELDS", "2", "a", "A", "b", "B") == b":1\r\n"
    assert h.run("HMGET", "k", "a", "b", "nope") == b"*3\r\n$1\r\nA\r\n$1\r\nB\r\n$-1\r\n"
    assert h.run("HTTL", "k", "FIELDS", "2", "a", "b") == ints(5, 5)
    assert h.run("HSETEX", "nokey", "FXX", "FIELDS", "1", "a", "1") == b":0\r\n"
    assert h.run("EXISTS", "nokey") == b":0\r\n"
    assert h.run("HSETEX", "nokey", "FNX", "FIELDS", "1", "a", "1") == b":1\r\n"
    # a deadline already past: set, then deleted at once (the reply is still 1)
    assert h.run("HSETEX", "gone", "EX", "0", "FIELDS", "2", "a", "1", "a", "2") == b":1\r\n"
    assert h.run("EXISTS", "gone") == b":0\r\n"
    assert h.run("HSETEX", "k", "PXAT", "1", "FIELDS", "1", "n1", "x") == b":1\r\n"
    assert h.run("HEXISTS", "k", "n1") == b":0\r\n"


HSETEX_ERRORS = [
    (
        ("HSETEX", "k", "FIELDS", "2", "a", "1"),
        b"-ERR wrong number of arguments for 'hsetex' command\r\n",
    ),
    (
        ("HSETEX", "k", "FIELDS", "1", "a", "1", "b"),
        b"-ERR wrong number of arguments for 'hsetex' command\r\n",
    ),
    (
        ("HSETEX", "k", "EX", "10", "FIELDS", "1", "a"),
        b"-ERR wrong number of arguments for 'hsetex' command\r\n",
    ),
    (("HSETEX", "k", "FIELDS", "0", "a", "1"), b"-ERR invalid number of fields\r\n"),
    (("HSETEX", "k", "FIELDS", "x", "a", "1"), b"-ERR invalid number of fields\r\n"),
    (("HSETEX", "k", "FIELDS", "2147483648", "a", "1"), b"-ERR invalid number of fields\r\n"),
    (
        ("HSETEX", "k", "EX", "1", "PX", "1", "FIELDS", "1", "a", "1"),
        b"-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n",
    ),
    (
        ("HSETEX", "k", "KEEPTTL", "EX", "1", "FIELDS", "1", "a", "1"),
        b"-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n",
    ),
    (
        ("HSETEX", "k", "FNX", "FXX", "FIELDS", "1", "a", "1"),
        b"-ERR Only one of FXX or FNX arguments can be specified\r\n",
    ),
    (
        ("HSETEX", "k", "FNX", "FNX", "FIELDS", "1", "a", "1"),
        b"-ERR Only one of FXX or FNX arguments can be specified\r\n",
    ),
    (("HSETEX", "k", "EX", "x", "FIELDS", "1", "a", "1"), NOT_INT),
    (("HSETEX", "k", "EX", "-5", "FIELDS", "1", "a", "1"), NEGATIVE),
    (
        ("HSETEX", "k", "PX", "70368744177664", "FIELDS", "1", "a", "1"),
        b"-ERR invalid expire time in 'hsetex' command\r\n",
    ),
    (("HSETEX", "k", "NOPE", "FIELDS", "1", "a", "1"), b"-ERR unknown argument: NOPE\r\n"),
    (("HSETEX", "k", b"BAD\x00tail", "FIELDS", "1", "a", "1"), b"-ERR unknown argument: BAD\r\n"),
    (("HSETEX", "k", "a", "1", "b", "2"), b"-ERR unknown argument: a\r\n"),
    (("HSETEX", "k", "FNX", "KEEPTTL", "1", "a"), b"-ERR unknown argument: 1\r\n"),
]


@pytest.mark.parametrize(("cmd", "want"), HSETEX_ERRORS, ids=repr)
def test_hsetex_errors(h: Harness, clock: Clock, cmd: tuple[str | bytes, ...], want: bytes) -> None:
    h.run("SET", "s", "v")  # argument errors come before the type check
    assert h.run(cmd[0], "s", *cmd[2:]) == want
    assert h.run(*cmd) == want
    assert h.run("EXISTS", "k") == b":0\r\n"


# -- the command table -------------------------------------------------------------------------------


HASH_COMMANDS = [
    "hset", "hsetnx", "hget", "hmget", "hmset", "hgetall", "hdel", "hexists", "hlen", "hkeys",
    "hvals", "hincrby", "hincrbyfloat", "hstrlen", "hrandfield", "hscan", "hexpire", "hpexpire",
    "hexpireat", "hpexpireat", "httl", "hpttl", "hexpiretime", "hpexpiretime", "hpersist",
    "hgetex", "hsetex", "hgetdel",
]  # fmt: skip


def test_command_info_and_docs(h: Harness) -> None:
    for name in HASH_COMMANDS:
        info = call(h, "COMMAND", "INFO", name)
        assert info[0][0] == name.encode()
        assert info[0][3:6] == [1, 1, 1]
        assert b"@hash" in info[0][6]
        docs = call(h, "COMMAND", "DOCS", name)
        assert docs[0] == name.encode()
        fields = dict(zip(docs[1][::2], docs[1][1::2], strict=True))
        assert fields[b"group"] == b"hash"
        assert fields[b"arguments"][0][1] == b"key"
    assert call(h, "COMMAND", "GETKEYS", "HEXPIRE", "k", "1", "FIELDS", "1", "f") == [b"k"]


def test_pipelined_mix(h: Harness) -> None:
    out = h.feed(
        encode("HSET", "k", "a", "1")
        + encode("HINCRBY", "k", "a", "2")
        + encode("HGET", "k", "a")
        + encode("HDEL", "k", "a")
        + encode("EXISTS", "k")
    )
    assert out == b":1\r\n:3\r\n$1\r\n3\r\n:1\r\n:0\r\n"


# -- integration: redis-py over a socket --------------------------------------------------------------


@pytest.fixture
def rc(server: ServerThread) -> Iterator[redis.Redis]:
    client = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


def _wait_dbsize(client: redis.Redis, want: int, within: float) -> int:
    """Poll DBSIZE (it touches no key) until it reads ``want`` or time is up."""
    deadline = time.monotonic() + within
    size = client.dbsize()
    while size != want and time.monotonic() < deadline:
        time.sleep(0.02)
        size = client.dbsize()
    return int(size)


def test_redis_py_hash_commands(rc: redis.Redis) -> None:
    assert rc.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert rc.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert rc.hincrbyfloat("h", "a", 0.5) == 1.5
    assert rc.hexpire("h", 100, "a", "nope") == [1, -2]
    assert rc.httl("h", "a", "b") == [100, -1]
    assert rc.hpexpire("h", 5000, "a", xx=True) == [1]
    assert rc.hpersist("h", "a") == [1]
    assert rc.hsetex("h", "c", "3", px=60_000) == 1
    assert 0 < rc.hpttl("h", "c")[0] <= 60_000
    assert rc.hgetex("h", "a", "c", persist=True) == [b"1.5", b"3"]
    assert rc.hgetdel("h", "a") == [b"1.5"]
    assert sorted(rc.hkeys("h")) == [b"b", b"c"]
    assert dict(rc.hscan_iter("h")) == {b"b": b"2", b"c": b"3"}
    pipe = rc.pipeline(transaction=False)
    pipe.hset("p", "x", "1").hexpire("p", 10, "x").httl("p", "x").hlen("p")
    assert pipe.execute() == [1, [1], [10], 1]


def test_10k_fields_with_a_ttl_leave_memory_untouched(
    server: ServerThread, rc: redis.Redis
) -> None:
    n = 10_000
    fields = [b"f%d" % i for i in range(n)]
    rc.hset("all", mapping=dict.fromkeys(fields, b"v"))
    rc.hset("half", mapping=dict.fromkeys(fields, b"v"))
    rc.hset("half", "keep", "forever")
    assert rc.hexpire("all", 1, *fields) == [1] * n
    assert rc.hexpire("half", 1, *fields) == [1] * n
    rc.rename("half", "renamed")  # the index must find it at its new name
    assert rc.dbsize() == 2
    # nothing touches the hashes from here on: only the background cycle works
    assert _wait_dbsize(rc, 1, within=15) == 1
    st = server.server
    if st is not None:  # in-process: look at the value without a command
        deadline = time.monotonic() + 15
        while len(st.keyspace.dbs[0].data[b"renamed"]) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        hv = st.keyspace.dbs[0].data[b"renamed"]
        assert list(hv) == [b"keep"] and hv.ttl is None
    assert rc.hgetall("renamed") == {b"keep": b"forever"}
