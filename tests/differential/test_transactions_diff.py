"""Differential tests of MULTI, EXEC, DISCARD, WATCH and UNWATCH: replies and
error texts byte-identical to redis-server 7.0.15, including WATCH broken
by another client, by expiry and by FLUSHDB, FLUSHALL and SWAPDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Pair, Pairs
from helpers import RedisServerProcess, ServerThread

Cmd = tuple[Any, ...]
# client 0 runs an empty transaction: EXEC's reply (nil or empty) says whether a watch broke
EMPTY_TX: tuple[tuple[int, Cmd], ...] = ((0, ("MULTI",)), (0, ("EXEC",)))


@pytest.fixture
def other(d: Pair, new_pair: Pairs) -> Pair:
    """A second client on each server."""
    return new_pair()


def steps(clients: list[Pair], *seq: tuple[int, Cmd]) -> None:
    """Commands from several clients, in order; each reply must match."""
    for who, cmd in seq:
        clients[who].check(*cmd)


def test_outside_multi(dp: Pair) -> None:
    dp.check_all(
        ("EXEC",),
        ("DISCARD",),
        ("UNWATCH",),
        ("WATCH",),
        ("UNWATCH", "x"),
        ("MULTI", "x"),
        ("DISCARD", "x"),
        ("EXEC", "x"),  # a refused EXEC is an EXECABORT even outside MULTI
        ("EXEC",),
    )


def test_queue_and_exec(dp: Pair) -> None:
    dp.check_all(
        ("MULTI",),
        ("SET", "k", "v"),
        ("GET", "k"),
        ("GET", "nope"),
        ("HGETALL", "nope"),
        ("INCR", "k"),  # an error inside EXEC is an element
        ("LPUSH", "k", "a"),
        ("SMEMBERS", "nope"),
        ("ZADD", "z", "1.5", "m"),
        ("ZSCORE", "z", "m"),
        ("ECHO", "e"),
        ("EXEC",),
        ("MULTI",),
        ("EXEC",),  # an empty transaction
        ("MULTI",),
        ("PING",),
        ("DISCARD",),
        ("GET", "k"),
    )


def test_pipelined(d: Pair) -> None:
    d.batch(
        ("MULTI",),
        ("INCR", "n"),
        ("INCRBY", "n", "5"),
        ("SET", "s", "x"),
        ("APPEND", "s", "y"),
        ("EXEC",),
        ("MULTI",),
        ("SET", "k"),
        ("SET", "k", "v"),
        ("EXEC",),
        ("EXISTS", "k"),
        ("MULTI",),
        ("MULTI",),
        ("WATCH", "k"),
        ("SET", "k", "v"),
        ("EXEC",),
        ("GET", "k"),
    )


def test_queue_errors(dp: Pair) -> None:
    dp.check_all(
        # unknown commands, wrong arity, unknown subcommands, NO_MULTI: EXECABORT
        ("MULTI",),
        ("NOPE", "x"),
        ("SET", "k", "v"),
        ("EXEC",),
        ("EXISTS", "k"),
        ("MULTI",),
        ("GET",),
        ("EXEC",),
        ("MULTI",),
        ("CLIENT", "NOPE"),
        ("EXEC",),
        ("MULTI",),
        ("CLIENT", "GETNAME", "x"),
        ("EXEC",),
        ("MULTI",),
        ("SHUTDOWN",),
        ("EXEC",),
        ("MULTI",),
        ("DISCARD", "x"),
        ("EXEC",),
        ("MULTI",),
        ("MULTI", "x"),
        ("EXEC",),
        # a refused EXEC discards the transaction
        ("MULTI",),
        ("SET", "k", "v"),
        ("EXEC", "x"),
        ("EXEC",),
        ("EXISTS", "k"),
        # nested MULTI and WATCH inside MULTI are errors that do not abort
        ("MULTI",),
        ("MULTI",),
        ("WATCH", "k"),
        ("SET", "k", "v"),
        ("EXEC",),
        ("GET", "k"),
    )


def test_blocking_inside_multi(dp: Pair) -> None:
    dp.check_all(
        ("MULTI",),
        ("BLPOP", "l", "0"),
        ("BRPOP", "l", "m", "0"),
        ("BLMOVE", "l", "d", "LEFT", "RIGHT", "0"),
        ("BRPOPLPUSH", "l", "d", "0"),
        ("BLMPOP", "0", "1", "l", "LEFT"),
        ("BZPOPMIN", "z", "0"),
        ("BZPOPMAX", "z", "0"),
        ("BZMPOP", "0", "1", "z", "MIN"),
        ("RPUSH", "l", "a", "b"),
        ("BLPOP", "l", "0"),
        ("BLMOVE", "l", "d", "LEFT", "RIGHT", "0"),
        ("EXEC",),
        ("LRANGE", "d", "0", "-1"),
    )


def test_reset_and_unwatch_inside(d: Pair, other: Pair) -> None:
    steps(
        [d, other],
        (0, ("WATCH", "k")),
        (0, ("MULTI",)),
        (0, ("UNWATCH",)),  # queued: the watch still holds until EXEC
        (1, ("SET", "k", "1")),
        (0, ("EXEC",)),
        (0, ("MULTI",)),
        (0, ("SET", "k", "2")),
        (0, ("RESET",)),
        (0, ("EXEC",)),
        (0, ("GET", "k")),
        (0, ("WATCH", "k")),
        (0, ("RESET",)),
        (1, ("SET", "k", "3")),
        *EMPTY_TX,
    )


def test_watch(dp: Pair, other: Pair) -> None:
    c = [dp, other]
    steps(
        c,
        # a change from another client
        (0, ("WATCH", "k")),
        (1, ("SET", "k", "1")),
        (0, ("MULTI",)),
        (0, ("INCR", "k")),
        (0, ("EXEC",)),
        (0, ("GET", "k")),
        # no change: EXEC runs
        (0, ("WATCH", "k", "j")),
        (1, ("GET", "k")),
        (1, ("SET", "other", "1")),
        (0, ("MULTI",)),
        (0, ("INCR", "k")),
        (0, ("EXEC",)),
        # the watching client's own change counts too
        (0, ("WATCH", "k")),
        (0, ("SET", "k", "5")),
        *EMPTY_TX,
        # UNWATCH and DISCARD forget the watches
        (0, ("WATCH", "k")),
        (1, ("SET", "k", "6")),
        (0, ("UNWATCH",)),
        *EMPTY_TX,
        (0, ("WATCH", "k")),
        (0, ("MULTI",)),
        (0, ("DISCARD",)),
        (1, ("SET", "k", "7")),
        *EMPTY_TX,
        # a watch already broken stays broken; WATCH again does not repair it
        (0, ("WATCH", "k")),
        (1, ("DEL", "k")),
        (0, ("WATCH", "j")),
        *EMPTY_TX,
        # deleting a missing watched key, and writes that change nothing
        (0, ("WATCH", "missing", "s")),
        (1, ("DEL", "missing")),
        (1, ("SADD", "s", "a")),
        *EMPTY_TX,
        (0, ("WATCH", "s")),
        (1, ("SADD", "s", "a")),
        (1, ("SREM", "s", "nope")),
        (1, ("EXPIRE", "s", "100")),
        *EMPTY_TX,
        # a key watched in another database is another key
        (0, ("SELECT", "1")),
        (0, ("WATCH", "k")),
        (0, ("SELECT", "0")),
        (1, ("SET", "k", "8")),
        *EMPTY_TX,
        (1, ("SELECT", "1")),
        (0, ("WATCH", "k")),
        (1, ("SET", "k", "8")),
        *EMPTY_TX,
        (1, ("SELECT", "0")),
    )


def test_watch_every_kind_of_write(d: Pair, other: Pair) -> None:
    writes: list[Cmd] = [
        ("APPEND", "k", "x"),
        ("INCRBYFLOAT", "k", "1"),
        ("EXPIRE", "k", "100"),
        ("PERSIST", "k"),
        ("RENAME", "k", "k2"),
        ("LPUSH", "l", "a"),
        ("RPOP", "l"),
        ("SADD", "s", "a"),
        ("HSET", "h", "f", "v"),
        ("ZADD", "z", "1", "m"),
        ("MOVE", "k", "2"),
        ("COPY", "src", "k"),
    ]
    for cmd in writes:
        d.check("FLUSHALL")
        d.check("SET", "k", "1")
        d.check("SET", "src", "1")
        key = cmd[1]
        if cmd[0] in ("RPOP",):
            d.check("RPUSH", key, "x", "y")
        steps([d, other], (0, ("WATCH", key)), (1, cmd), *EMPTY_TX)


def test_watch_and_flush(d: Pair, other: Pair) -> None:
    steps(
        [d, other],
        # FLUSHALL breaks only watches of keys that existed
        (0, ("WATCH", "missing")),
        (1, ("FLUSHALL",)),
        *EMPTY_TX,
        (1, ("SET", "k", "1")),
        (0, ("WATCH", "k")),
        (1, ("FLUSHALL",)),
        *EMPTY_TX,
        (1, ("SET", "k", "1")),
        (0, ("WATCH", "k")),
        (1, ("FLUSHDB",)),
        *EMPTY_TX,
        # FLUSHDB of another database
        (1, ("SET", "k", "1")),
        (0, ("WATCH", "k")),
        (1, ("SELECT", "1")),
        (1, ("FLUSHDB",)),
        (1, ("SELECT", "0")),
        *EMPTY_TX,
        # SWAPDB: a key in either database
        (1, ("FLUSHALL",)),
        (1, ("SELECT", "1")),
        (1, ("SET", "s", "1")),
        (1, ("SELECT", "0")),
        (0, ("WATCH", "s")),
        (1, ("SWAPDB", "0", "1")),
        *EMPTY_TX,
        (0, ("WATCH", "s")),
        (1, ("SWAPDB", "0", "1")),
        *EMPTY_TX,
        (1, ("FLUSHALL",)),
        (0, ("WATCH", "s")),
        (1, ("SWAPDB", "0", "1")),
        (1, ("SWAPDB", "0", "0")),
        *EMPTY_TX,
    )


@pytest.fixture
def no_active_expire(
    d: Pair, server: ServerThread, real_redis: RedisServerProcess
) -> Iterator[None]:
    """Expired keys stay until a command touches them, on both servers."""
    assert server.server is not None
    server.server.active_expire = False
    assert d.real.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
    yield
    server.server.active_expire = True
    d.real.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_watch_expired_key(d: Pair, other: Pair, no_active_expire: None) -> None:
    steps(
        [d, other],
        # EXAT in the past: a key stored already expired (Redis 7.0's SET)
        (1, ("SET", "k", "v", "EXAT", "1")),
        (0, ("WATCH", "k")),
        (1, ("GET", "k")),  # deletes it: no change for a key already expired
        *EMPTY_TX,
        (1, ("SET", "k", "v", "EXAT", "1")),
        (0, ("WATCH", "k")),
        *EMPTY_TX,  # still there, still expired: no change
        (1, ("SET", "k", "v", "EXAT", "1")),
        (0, ("WATCH", "k")),
        (1, ("SET", "k", "w")),  # the expired key goes, then a new one comes
        *EMPTY_TX,
        # an expired key brought by SWAPDB
        (1, ("FLUSHALL",)),
        (1, ("SELECT", "1")),
        (1, ("SET", "x", "v", "EXAT", "1")),
        (1, ("SELECT", "0")),
        (0, ("WATCH", "x")),
        (1, ("SWAPDB", "0", "1")),
        *EMPTY_TX,
        (0, ("WATCH", "x")),
        (1, ("SWAPDB", "0", "1")),
        *EMPTY_TX,
        (1, ("FLUSHALL",)),
    )


def test_commandstats_and_errorstats(d: Pair) -> None:
    def stats(c: Any) -> list[bytes]:
        text = c.call("INFO", "commandstats").split(b"\r\n", 1)[1]
        text += c.call("INFO", "errorstats").split(b"\r\n", 1)[1]
        wanted = (b"cmdstat_multi:", b"cmdstat_exec:", b"cmdstat_set:", b"cmdstat_incr:",
                  b"cmdstat_get:", b"cmdstat_discard:", b"errorstat_")
        lines = [x for x in text.split(b"\r\n") if x.startswith(wanted)]
        # usec and usec_per_call differ; the counts must not
        return sorted(b",".join(p for p in x.split(b",") if not p.startswith(b"usec")) for x in lines)

    d.check("CONFIG", "RESETSTAT")
    d.batch(
        ("MULTI",),
        ("SET", "k", "v"),
        ("INCR", "k"),
        ("EXEC",),
        ("MULTI",),
        ("SET",),
        ("GET", "k"),
        ("EXEC",),
        ("MULTI",),
        ("DISCARD",),
        ("EXEC", "x"),
    )
    assert stats(d.ours) == stats(d.real)


def test_tracking_inside_exec(d: Pair, other: Pair) -> None:
    """Keys read by commands EXEC runs are tracked, as any read."""
    d.resp3()
    try:
        d.check("CLIENT", "TRACKING", "ON")
        d.check_all(("MULTI",), ("GET", "k"), ("MGET", "a", "b"), ("SET", "w", "1"), ("EXEC",))
        other.check("SET", "k", "1")
        other.check("SET", "b", "1")
        other.check("SET", "w", "2")
        # the invalidations arrive before the reply to the next command
        ours, real = d.both("PING")
        assert ours == real and ours.startswith(b">2\r\n$10\r\ninvalidate\r\n")
        for _ in range(2):
            assert d.ours.reply() == d.real.reply()
    finally:
        d.both("CLIENT", "TRACKING", "OFF")
