"""Memory bookkeeping: every write keeps ``Keyspace.used`` equal to the sum of
its keys' costs, and every collection changed in place refreshes its estimate."""

from __future__ import annotations

import pytest

from cacheserver.store.memory import (
    SAMPLES,
    SHARED_LEN,
    STR_OVERHEAD,
    collection_size,
    key_cost,
    pairs_cost,
    str_cost,
    value_usage,
)
from helpers import Harness, memory_problems

NOW = 1_700_000_000_000

# Every write command of every family, on small and on larger values; the
# bookkeeping is checked after each one.
SCRIPT: list[tuple[str | int, ...]] = [
    # strings
    ("SET", "s", "v" * 10),
    ("SET", "s", "w" * 100),
    ("SET", "s", "x", "XX", "GET"),
    ("SETNX", "s2", "1"),
    ("SETEX", "s3", 100, "abc"),
    ("PSETEX", "s4", 100000, "abcdef"),
    ("MSET", "m1", "a", "m2", "b" * 70),
    ("MSETNX", "m3", "c", "m4", "d"),
    ("GETSET", "m1", "zz" * 40),
    ("APPEND", "s2", "tail"),
    ("APPEND", "s2", "more" * 50),
    ("SETRANGE", "s2", 500, "x"),
    ("SETRANGE", "r", 3, "abc"),
    ("SETRANGE", "s", 2, "yy"),
    ("INCR", "n"),
    ("INCRBY", "n", 1000000),
    ("DECR", "n"),
    ("DECRBY", "n", 5),
    ("INCRBYFLOAT", "f", "1.5"),
    ("INCR", "s2"),  # an error: not an integer
    ("GETEX", "s3", "PERSIST"),
    ("GETEX", "s4", "PXAT", 1),
    ("GETDEL", "m2"),
    # hashes
    ("HSET", "h", "f1", "v1"),
    ("HSET", "h", "f2", "v2", "f3", "v3" * 40),
    ("HSET", "h", "f1", "longer value"),
    ("HMSET", "h", "f4", "x", "f5", "y"),
    ("HSETNX", "h", "f6", "z"),
    ("HINCRBY", "h", "c", 3),
    ("HINCRBYFLOAT", "h", "d", "2.5"),
    ("HDEL", "h", "f2", "f3"),
    ("HEXPIRE", "h", 100, "FIELDS", 1, "f4"),
    ("HPEXPIRE", "h", 1, "FIELDS", 1, "f5"),
    ("HPERSIST", "h", "FIELDS", 1, "f4"),
    ("HGETDEL", "h", "FIELDS", 1, "f6"),
    ("HGETEX", "h", "EX", 100, "FIELDS", 1, "c"),
    ("HSETEX", "h", "EX", 100, "FIELDS", 1, "e", "1"),
    ("HEXPIREAT", "h", 1, "FIELDS", 1, "e"),
    ("HPEXPIREAT", "h", 1, "FIELDS", 1, "d"),
    ("HGETALL", "h"),
    # lists
    ("RPUSH", "l", "a", "b", "c", "d" * 100),
    ("LPUSH", "l", "z"),
    ("LPUSHX", "l", "y"),
    ("RPUSHX", "l", "x"),
    ("LSET", "l", 0, "new head"),
    ("LINSERT", "l", "BEFORE", "a", "ins"),
    ("LREM", "l", 1, "b"),
    ("LTRIM", "l", 1, -2),
    ("LPOP", "l"),
    ("RPOP", "l", 1),
    ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    ("RPOPLPUSH", "l", "l2"),
    ("LMPOP", 1, "l2", "LEFT", "COUNT", 1),
    ("RPUSH", "l2", "p", "q", "r", "s"),
    ("BLPOP", "l2", 0),
    ("BRPOP", "l", 0),
    ("BLMOVE", "l2", "l", "LEFT", "LEFT", 0),
    ("BRPOPLPUSH", "l2", "l", 0),
    ("BLMPOP", 0, 1, "l", "RIGHT"),
    # sets
    ("SADD", "st", "a", "b", "c"),
    ("SADD", "st", "d" * 80),
    ("SADD", "st2", "1", "2", "3"),
    ("SREM", "st", "a"),
    ("SPOP", "st"),
    ("SPOP", "st2", 2),
    ("SADD", "st", "mv"),
    ("SMOVE", "st", "st2", "mv"),
    ("SADD", "st", "p", "q", "r"),
    ("SINTERSTORE", "st3", "st", "st2"),
    ("SUNIONSTORE", "st3", "st", "st2"),
    ("SDIFFSTORE", "st", "st", "st2"),
    ("SRANDMEMBER", "st", -5),
    # sorted sets
    ("ZADD", "z", 1, "a"),
    ("ZADD", "z", 2, "b", 3, "c" * 90, 4, "d"),
    ("ZADD", "z", 5, "a"),
    ("ZINCRBY", "z", 2, "b"),
    ("ZREM", "z", "d"),
    ("ZPOPMIN", "z"),
    ("ZPOPMAX", "z", 1),
    ("ZADD", "z", 1, "e", 2, "f", 3, "g", 4, "h"),
    ("ZREMRANGEBYRANK", "z", 0, 0),
    ("ZREMRANGEBYSCORE", "z", 2, 2),
    ("ZREMRANGEBYLEX", "z", "-", "[f"),
    ("ZADD", "z2", 1, "x", 2, "y"),
    ("ZUNIONSTORE", "z3", 2, "z", "z2"),
    ("ZINTERSTORE", "z3", 2, "z", "z2"),
    ("ZDIFFSTORE", "z4", 2, "z", "z2"),
    ("ZRANGESTORE", "z5", "z2", 0, -1),
    ("ZMPOP", 1, "z2", "MIN"),
    ("BZPOPMIN", "z2", 0),
    ("BZPOPMAX", "z", 0),
    ("BZMPOP", 0, 1, "z5", "MAX"),
    # keys
    ("COPY", "h", "h2"),
    ("COPY", "z", "h2", "REPLACE"),
    ("RENAME", "h2", "h3"),
    ("RENAMENX", "h3", "h4"),
    ("RENAME", "s", "h4"),
    ("MOVE", "h4", 1),
    ("EXPIRE", "z", 100),
    ("PEXPIRE", "z", 100000),
    ("EXPIREAT", "n", 1),
    ("PEXPIREAT", "f", 1),
    ("PERSIST", "z"),
    ("SWAPDB", 0, 1),
    ("SWAPDB", 0, 1),
    ("DEL", "st3", "nokey"),
    ("UNLINK", "z3"),
    ("FLUSHDB",),
    ("SET", "again", "1"),
    ("FLUSHALL", "ASYNC"),
]


@pytest.fixture
def t(h: Harness) -> Harness:
    h.server.clock = lambda: NOW
    return h


def test_every_write_keeps_the_books(t: Harness) -> None:
    for cmd in SCRIPT:
        t.run(*cmd)
        assert memory_problems(t.server) == [], cmd
    t.server.keyspace.lazyfree.drain_all()
    assert t.server.keyspace.used == 0


def test_books_hold_for_bigger_collections(t: Harness) -> None:
    for i in range(300):
        t.run("HSET", "h", f"field:{i}", "v" * (i % 70))
        t.run("SADD", "s", f"m{i}" * (1 + i % 5))
        t.run("ZADD", "z", i, f"member:{i}")
        t.run("RPUSH", "l", "e" * (i % 90))
    t.run("HDEL", "h", *[f"field:{i}" for i in range(0, 300, 3)])
    t.run("SPOP", "s", 50)
    t.run("ZREMRANGEBYRANK", "z", 0, 99)
    t.run("LTRIM", "l", 10, -10)
    assert memory_problems(t.server) == []
    t.run("DEL", "h", "s", "z", "l")
    assert t.server.keyspace.used == 0


def test_string_costs() -> None:
    # a 33-byte header plus the data, rounded to 16 bytes: 7 more on average
    assert str_cost(0) == 40
    assert str_cost(64) == 104
    assert key_cost(b"k" * 16) == 56


def test_used_follows_strings(t: Harness) -> None:
    ks = t.server.keyspace
    t.run("SET", "k" * 16, "v" * 64)
    assert ks.used == str_cost(16) + str_cost(64)
    t.run("SET", "k" * 16, "v" * 200)
    assert ks.used == str_cost(16) + str_cost(200)
    t.run("DEL", "k" * 16)
    assert ks.used == 0


def test_collection_estimate_is_exact_when_small(t: Harness) -> None:
    t.run("HSET", "h", "a", "1", "bb", "2" * 50)
    h = t.server.keyspace.dbs[0].data[b"h"]
    exact = value_usage(h, 0)
    # (the estimate keeps whole bytes per element: a mean of x.5 rounds)
    assert abs(h.mem - exact) * 2 <= len(h) and h.mem == collection_size(h)
    assert len(h) <= SAMPLES



def test_hash_field_names_are_shared_between_hashes(t: Harness) -> None:
    long_field = b"f" * (SHARED_LEN + 1)
    for key in (b"user:1", b"user:2"):
        t.run("HSET", key, "name", "x", "email", "y")
        t.run("HSETNX", key, "age", "1")
        t.run("HINCRBY", key, "visits", "1")
        t.run("HSET", key, long_field, "z")
    ks = t.server.keyspace
    data = ks.dbs[0].data
    a, b = data[b"user:1"], data[b"user:2"]
    for name in (b"name", b"email", b"age", b"visits"):
        (fa,) = [f for f in a if f == name]
        (fb,) = [f for f in b if f == name]
        assert fa is fb
        # a shared name costs a hash nothing beyond its entry (the table is
        # counted once, with the keyspace's tables); an equal name that is
        # another object costs its bytes
        assert pairs_cost([(fa, b"x")], ks.fields) == 1 + STR_OVERHEAD
        other = bytes(bytearray(fa))
        assert pairs_cost([(other, b"x")], ks.fields) == 1 + len(fa) + 2 * STR_OVERHEAD
    (la,) = [f for f in a if f == long_field]
    (lb,) = [f for f in b if f == long_field]
    assert la is not lb  # too long to share
    assert ks.fields.cost() >= 4 * STR_OVERHEAD
    # a hash's first 512 fields share their names; past that it is a map
    for key in (b"map:1", b"map:2"):
        t.run("HSET", key, *[x for i in range(500) for x in (b"k%d" % i, b"v")])
        for i in range(500, 515):
            t.run("HSET", key, b"k%d" % i, "v")
        t.run("HSET", key, "k515", "v", "k516", "v")
    first = {f: f for f in data[b"map:1"]}
    assert [f for f in data[b"map:2"] if first[f] is f] == [b"k%d" % i for i in range(512)]
    # COPY keeps the names shared; FLUSHALL empties the table
    t.run("COPY", "user:1", "user:3")
    shared = next(f for f in a if f == b"name")
    assert next(f for f in data[b"user:3"] if f == b"name") is shared
    t.run("FLUSHALL")
    assert len(ks.fields) == 0 and ks.fields.size == 0
