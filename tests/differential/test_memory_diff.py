"""MEMORY, maxmemory settings, OBJECT FREQ/IDLETIME and -OOM against the real
redis-server 7.0.15: the same bytes wherever the figures are not estimates,
the same reply shapes where they are."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Pair, Pairs
from helpers import read_reply


@pytest.fixture
def m(d: Pair) -> Iterator[Pair]:
    """The pair, with the memory settings put back afterwards."""
    yield d
    d.batch(
        ("CONFIG", "SET", "maxmemory", "0"),
        ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
        ("CONFIG", "SET", "maxmemory-samples", "5"),
        ("CONFIG", "SET", "lfu-log-factor", "10"),
        ("CONFIG", "SET", "lfu-decay-time", "1"),
    )


def _names(reply: bytes) -> list[bytes]:
    """The keys of a map sent as a flat RESP2 array (values may nest)."""
    eol = reply.index(b"\r\n")
    pos = eol + 2
    names = []
    for i in range(int(reply[1:eol])):
        end = read_reply(reply, pos)
        assert end is not None
        if not i % 2:
            head = reply.index(b"\r\n", pos)
            names.append(reply[head + 2 : end - 2])
        pos = end
    return names


def test_memory_usage_errors_and_shapes(m: Pair) -> None:
    m.batch(
        ("SET", "k", "v" * 100),
        ("HSET", "h", "f", "v", "g", "w"),
        ("MEMORY", "USAGE", "nokey"),
        ("MEMORY", "USAGE", "k", "SAMPLES"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "-1"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "x"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "99999999999999999999"),
        ("MEMORY", "USAGE", "k", "bar"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "1", "extra"),
        ("MEMORY", "USAGE", "nokey", "SAMPLES", "x"),  # options first, then the lookup
        ("MEMORY", "USAGE"),
        ("MEMORY",),
        ("MEMORY", "FOO"),
        ("MEMORY", "STATS", "x"),
        ("MEMORY", "DOCTOR", "x"),
        ("MEMORY", "PURGE", "x"),
        ("MEMORY", "MALLOC-STATS", "x"),
        ("MEMORY", "HELP", "x"),
        ("MEMORY", "HELP"),
        ("MEMORY", "PURGE"),
    )
    for args in (
        ("MEMORY", "USAGE", "k"),
        ("MEMORY", "USAGE", "k", "SAMPLES", "0"),
        ("MEMORY", "USAGE", "h", "samples", "5", "SAMPLES", "1"),
        ("MEMORY", "USAGE", "h"),
    ):
        ours, real = m.both(*args)
        assert ours[:1] == real[:1] == b":", args
        assert int(ours[1:-2]) > 100
    ours, real = m.both("MEMORY", "MALLOC-STATS")
    assert ours[:1] == real[:1] == b"$"
    ours, real = m.both("MEMORY", "DOCTOR")
    assert ours[:1] == real[:1] == b"$"
    m.resp3()
    m.check("MEMORY", "USAGE", "nokey")
    ours, real = m.both("MEMORY", "DOCTOR")
    assert ours[:1] == real[:1] == b"="  # verbatim text


def test_memory_stats_names(m: Pair) -> None:
    m.batch(("SET", "a", "1"), ("SELECT", "2"), ("SET", "b", "2"), ("SELECT", "0"))
    ours, real = m.both("MEMORY", "STATS")
    assert read_reply(ours) == len(ours) and ours[:1] == real[:1] == b"*"
    mine, theirs = _names(ours), _names(real)
    # the same names in the same order, less redis's allocator-level figures
    assert mine == [n for n in theirs if not n.startswith((b"allocator", b"rss-overhead"))]
    assert b"db.0" in mine and b"db.2" in mine and b"db.1" not in mine


def test_config_errors(m: Pair) -> None:
    m.batch(
        ("CONFIG", "SET", "maxmemory", "-1"),
        ("CONFIG", "SET", "maxmemory", "1.5gb"),
        ("CONFIG", "SET", "maxmemory", "10 mb"),
        ("CONFIG", "SET", "maxmemory", "abc"),
        ("CONFIG", "SET", "maxmemory-policy", "foo"),
        ("CONFIG", "SET", "maxmemory-policy", ""),
        ("CONFIG", "SET", "maxmemory-samples", "0"),
        ("CONFIG", "SET", "maxmemory-samples", "x"),
        ("CONFIG", "SET", "maxmemory-eviction-tenacity", "101"),
        ("CONFIG", "SET", "maxmemory-eviction-tenacity", "-1"),
        ("CONFIG", "SET", "lfu-log-factor", "-1"),
        ("CONFIG", "SET", "lfu-decay-time", "-1"),
        ("CONFIG", "SET", "lazyfree-lazy-eviction", "maybe"),
        ("CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "bad"),
        ("CONFIG", "GET", "maxmemory"),  # the failed pair changed nothing
        ("CONFIG", "SET", "maxmemory", "1gb"),
        ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "maxmemory", "100MB"),
        ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "maxmemory", "1k"),
        ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "maxmemory", "0"),
        ("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU"),
        ("CONFIG", "GET", "maxmemory-policy"),
        ("CONFIG", "SET", "maxmemory-samples", "64", "lfu-log-factor", "0"),
        ("CONFIG", "GET", "maxmemory-samples"),
        ("CONFIG", "GET", "lfu-log-factor"),
    )
    for name in (
        "maxmemory-eviction-tenacity",
        "lfu-decay-time",
        "lazyfree-lazy-eviction",
        "lazyfree-lazy-expire",
        "lazyfree-lazy-server-del",
        "lazyfree-lazy-user-del",
        "lazyfree-lazy-user-flush",
    ):
        m.check("CONFIG", "GET", name)


def test_object_freq_and_idletime_errors(m: Pair) -> None:
    m.batch(
        ("SET", "k", "v"),
        ("OBJECT", "FREQ", "k"),
        ("OBJECT", "FREQ", "nokey"),
        ("OBJECT", "IDLETIME", "nokey"),
        ("OBJECT", "IDLETIME", "k"),
        ("CONFIG", "SET", "maxmemory-policy", "volatile-lfu"),
        ("OBJECT", "IDLETIME", "k"),
        ("OBJECT", "IDLETIME", "nokey"),
        ("OBJECT", "FREQ", "nokey"),
        ("SET", "n", "v"),
        ("OBJECT", "FREQ", "n"),  # a new key starts at LFU_INIT_VAL
        ("GET", "n"),
        ("OBJECT", "FREQ", "n"),  # and its first hit always counts
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
        ("OBJECT", "IDLETIME", "n"),
        ("CONFIG", "SET", "maxmemory-policy", "volatile-ttl"),
        ("OBJECT", "FREQ", "n"),
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-random"),
        ("OBJECT", "FREQ", "n"),
        ("GET", "n"),
        ("OBJECT", "IDLETIME", "n"),
    )


@pytest.mark.parametrize("policy", ["noeviction", "allkeys-lru", "volatile-lfu", "allkeys-random"])
def test_oom_replies(m: Pair, policy: str) -> None:
    """With maxmemory at one byte nothing fits, whatever the policy: commands
    that add data are refused with Redis's text, reads and deletes go on."""
    m.batch(
        ("CONFIG", "RESETSTAT"),
        ("SET", "k", "v"),
        ("SET", "t", "v", "EX", "1000"),
        ("CONFIG", "SET", "maxmemory-policy", policy),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("SET", "x", "y"),
        ("INCR", "n"),
        ("LPUSH", "l", "a"),
        ("SADD", "s", "a"),
        ("HSET", "h", "f", "v"),
        ("ZADD", "z", "1", "a"),
        ("APPEND", "k", "more"),
        ("SETRANGE", "k", "0", "x"),
        ("MSET", "a", "1", "b", "2"),
        ("COPY", "k", "k2"),
        ("PING",),
        ("DBSIZE",),
        ("CONFIG", "SET", "maxmemory", "0"),
        ("SET", "x", "y"),
    )
    if policy == "noeviction":
        m.batch(
            ("CONFIG", "SET", "maxmemory", "1"),
            ("GET", "k"),
            ("EXISTS", "t"),
            ("EXPIRE", "k", "100"),
            ("DEL", "t"),
            ("UNLINK", "x"),
            ("GET", "t"),
        )
    m.check("INFO", "errorstats")


def test_oom_inside_multi(m: Pair, new_pair: Pairs) -> None:
    """Over maxmemory a MULTI client is refused every command but EXEC,
    DISCARD, QUIT and RESET (and EXEC then aborts); EXEC of a transaction that
    queued a write aborts with the OOM text; a read-only one runs."""
    c = new_pair()
    c.check("SET", "k", "v")
    c.check("MULTI")
    c.check("SET", "x", "y")
    m.check("CONFIG", "SET", "maxmemory", "1")
    c.check("EXEC")  # -EXECABORT Transaction discarded because of: OOM ...
    m.check("CONFIG", "SET", "maxmemory", "0")
    c.check("MULTI")
    c.check("GET", "k")
    m.check("CONFIG", "SET", "maxmemory", "1")
    c.check("EXEC")  # nothing in it adds data
    c.check("MULTI")
    for cmd in (("GET", "k"), ("PING",), ("MULTI",), ("WATCH", "k"), ("SET", "y", "z")):
        c.check(*cmd)  # -OOM, and the transaction is flagged
    c.check("EXEC")
    c.check("MULTI")
    c.check("DISCARD")
    m.check("CONFIG", "SET", "maxmemory", "0")
    c.check("GET", "y")
