"""Random command sequences on cacheserver and redis-server, replies compared.

A hypothesis state machine draws commands over a few keys, fields and values,
sends each to both servers and requires the same reply, after sorting the
replies whose order Redis leaves unspecified (fakeredis ``test_hypothesis``).
Commands cacheserver does not have yet are left out (asked with COMMAND INFO).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from conftest import Pair
from helpers import encode

KEYS = st.sampled_from([b"k1", b"k2", b"k3", b"", b"k\r\n"])
FIELDS = st.sampled_from([b"f1", b"f2", b"f3", b"1", b"-2"])
VALUES = st.sampled_from([b"v", b"", b"0", b"1", b"-7", b"3.5", b"9223372036854775807", b"a\x00b"])
INTS = st.sampled_from([b"0", b"1", b"-1", b"2", b"-3", b"10", b"x", b"9223372036854775807"])
FLOATS = st.sampled_from([b"0", b"1.5", b"-2", b"inf", b"-inf", b"1e3", b"x", b"(1", b"+inf"])
RANGES = st.sampled_from([b"0", b"1", b"-1", b"-2", b"2", b"100", b"-100"])

Cmd = tuple[bytes, ...]
# name -> (strategy of the whole argv, reply needs sorting)
CATALOGUE: dict[bytes, tuple[st.SearchStrategy[Cmd], bool]] = {}


def command(name: bytes, *args: st.SearchStrategy[bytes], unordered: bool = False) -> None:
    CATALOGUE[name] = (st.tuples(st.just(name), *args), unordered)


def variadic(name: bytes, head: list[st.SearchStrategy[bytes]], each: st.SearchStrategy[Any],
             unordered: bool = False) -> None:
    def build(parts: tuple[Any, ...]) -> Cmd:
        fixed, rest = parts
        flat: list[bytes] = [name, *fixed]
        for r in rest:
            flat.extend(r if isinstance(r, tuple) else (r,))
        return tuple(flat)

    CATALOGUE[name] = (st.tuples(st.tuples(*head), st.lists(each, min_size=1, max_size=3)).map(build), unordered)


# strings
command(b"GET", KEYS)
command(b"SET", KEYS, VALUES)
command(b"APPEND", KEYS, VALUES)
command(b"INCR", KEYS)
command(b"INCRBY", KEYS, INTS)
command(b"STRLEN", KEYS)
command(b"GETRANGE", KEYS, RANGES, RANGES)
command(b"SETRANGE", KEYS, st.sampled_from([b"0", b"2", b"-1"]), VALUES)
command(b"GETDEL", KEYS)
variadic(b"MGET", [], KEYS)
# keys
variadic(b"DEL", [], KEYS)
variadic(b"EXISTS", [], KEYS)
command(b"TYPE", KEYS)
command(b"RENAME", KEYS, KEYS)
command(b"COPY", KEYS, KEYS)
command(b"PERSIST", KEYS)
command(b"EXPIRE", KEYS, st.sampled_from([b"100", b"-1", b"0", b"x"]))
command(b"OBJECT", st.just(b"ENCODING"), KEYS)
command(b"KEYS", st.sampled_from([b"*", b"k?", b"k[12]"]), unordered=True)
command(b"DBSIZE")
# hashes
variadic(b"HSET", [KEYS], st.tuples(FIELDS, VALUES))
command(b"HGET", KEYS, FIELDS)
variadic(b"HDEL", [KEYS], FIELDS)
command(b"HGETALL", KEYS, unordered=True)
command(b"HINCRBY", KEYS, FIELDS, INTS)
command(b"HLEN", KEYS)
command(b"HEXISTS", KEYS, FIELDS)
command(b"HKEYS", KEYS, unordered=True)
# lists
variadic(b"LPUSH", [KEYS], VALUES)
variadic(b"RPUSH", [KEYS], VALUES)
command(b"LPOP", KEYS)
command(b"RPOP", KEYS, st.sampled_from([b"0", b"1", b"2", b"-1"]))
command(b"LRANGE", KEYS, RANGES, RANGES)
command(b"LINDEX", KEYS, RANGES)
command(b"LLEN", KEYS)
command(b"LREM", KEYS, RANGES, VALUES)
command(b"LTRIM", KEYS, RANGES, RANGES)
command(b"LMOVE", KEYS, KEYS, st.sampled_from([b"LEFT", b"RIGHT"]), st.sampled_from([b"LEFT", b"RIGHT"]))
# sets
variadic(b"SADD", [KEYS], VALUES)
variadic(b"SREM", [KEYS], VALUES)
command(b"SMEMBERS", KEYS, unordered=True)
command(b"SCARD", KEYS)
command(b"SISMEMBER", KEYS, VALUES)
variadic(b"SINTER", [KEYS], KEYS, unordered=True)
variadic(b"SUNIONSTORE", [KEYS], KEYS)
# sorted sets
variadic(b"ZADD", [KEYS], st.tuples(FLOATS, VALUES))
command(b"ZSCORE", KEYS, VALUES)
command(b"ZRANGE", KEYS, RANGES, RANGES, st.sampled_from([b"WITHSCORES", b"REV"]))
command(b"ZRANGEBYSCORE", KEYS, FLOATS, FLOATS)
command(b"ZRANK", KEYS, VALUES)
command(b"ZINCRBY", KEYS, FLOATS, VALUES)
variadic(b"ZREM", [KEYS], VALUES)
command(b"ZCARD", KEYS)
command(b"ZPOPMIN", KEYS)


def parse(buf: bytes, pos: int = 0) -> tuple[Any, int]:
    """A RESP2 reply as Python values (arrays as lists)."""
    t = buf[pos : pos + 1]
    eol = buf.index(b"\r\n", pos)
    line = buf[pos + 1 : eol]
    pos = eol + 2
    if t == b"$":
        n = int(line)
        if n < 0:
            return None, pos
        return buf[pos : pos + n], pos + n + 2
    if t == b"*":
        n = int(line)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    return (t, line), pos


def sort_key(x: Any) -> Any:
    return repr(x)


class Differential(RuleBasedStateMachine):
    pair: Pair
    supported: set[bytes]

    @initialize()
    def flush(self) -> None:
        self.pair.reset()

    def compare(self, argv: Cmd, unordered: bool) -> None:
        ours, real = self.pair.both(*argv)
        if unordered and ours.startswith(b"*") and real.startswith(b"*"):
            o, r = parse(ours)[0], parse(real)[0]
            if argv[0] == b"HGETALL" and isinstance(o, list) and isinstance(r, list):
                o = sorted(zip(o[::2], o[1::2], strict=True))
                r = sorted(zip(r[::2], r[1::2], strict=True))
            else:
                o, r = sorted(o, key=sort_key), sorted(r, key=sort_key)
            assert o == r, f"{argv!r}: ours {ours!r} != redis {real!r}"
        else:
            assert ours == real, f"{argv!r}: ours {ours!r} != redis {real!r}"

    @rule(data=st.data())
    def run_command(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.supported)))
        strategy, unordered = CATALOGUE[name]
        self.compare(data.draw(strategy), unordered)


def supported_commands(pair: Pair) -> set[bytes]:
    have = set()
    for name in CATALOGUE:
        pair.ours.send(encode("COMMAND", "INFO", name))
        if pair.ours.reply() != b"*1\r\n$-1\r\n":
            have.add(name)
    return have


@pytest.fixture
def machine(d: Pair) -> Callable[[], None]:
    supported = supported_commands(d)

    def run() -> None:
        Differential.pair = d
        Differential.supported = supported
        test = Differential.TestCase()
        test.settings = settings(
            # deeper runs: CACHESERVER_STATE_MACHINE_EXAMPLES=2000
            max_examples=int(os.environ.get("CACHESERVER_STATE_MACHINE_EXAMPLES", "60")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        test.runTest()

    return run


def test_random_command_sequences(machine: Callable[[], None]) -> None:
    machine()
