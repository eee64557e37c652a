"""Differential tests of the list family: identical reply bytes to redis-server 7.0.15.

Blocking commands are compared where the outcome is deterministic: errors and
immediate replies, timeouts, and a waiter on each server served by the same
push (its reply bytes compared).
"""

from __future__ import annotations

import random
import time

import pytest

from conftest import BIN, LLMAX, LLMIN, Pair, Pairs, wait_blocked
from helpers import encode

Cmd = tuple[bytes | str | int, ...]


def chunked(d: Pair, commands: list[Cmd], size: int = 400) -> None:
    for i in range(0, len(commands), size):
        d.batch(*commands[i : i + size])


# -- push, pop, length ----------------------------------------------------------


def test_push_pop(dp: Pair) -> None:
    dp.batch(
        ("LPUSH", "l", "a", "b", "c"),
        ("RPUSH", "l", "x", "y"),
        ("LRANGE", "l", "0", "-1"),
        ("LLEN", "l"),
        ("LPOP", "l"),
        ("RPOP", "l"),
        ("LPOP", "l", "2"),
        ("RPOP", "l", "1"),
        ("LPOP", "l", "0"),
        ("LRANGE", "l", "0", "-1"),
        ("RPOP", "l", "100"),
        ("EXISTS", "l"),
        ("LPOP", "l"),
        ("LPOP", "l", "0"),
        ("LPOP", "l", "3"),
        ("RPOP", "l", LLMAX),
        ("LLEN", "l"),
        ("LPUSHX", "l", "a"),
        ("RPUSHX", "l", "a", "b"),
        ("EXISTS", "l"),
        ("RPUSH", "l", BIN, "", "1", "-0", "1.5"),
        ("LPUSHX", "l", "p", "q"),
        ("RPUSHX", "l", "r"),
        ("LRANGE", "l", "0", "-1"),
        ("RPOP", "l", "3"),
        ("LPOP", "l", "3"),
        ("LPOP", "l", "-1"),
        ("LPOP", "l", "abc"),
        ("LPOP", "l", LLMIN),
        ("LPOP", "l", "1", "2"),
        ("RPOP", "l", "1", "2", "3"),
        ("LPOP", "l", " 1"),
        ("LPOP", "l", "+1"),
        ("LPOP", "l", "01"),
        ("LPOP", "nokey", "-1"),
        ("RPOP", "l", "9223372036854775808"),
        ("LLEN", "l"),
        ("LLEN", "nokey"),
        ("TYPE", "l"),
        ("OBJECT", "ENCODING", "l"),
    )


def test_nil_shapes_resp3(d: Pair) -> None:
    d.resp3()
    d.batch(
        ("LPOP", "nokey"),
        ("RPOP", "nokey"),
        ("LPOP", "nokey", "1"),
        ("RPOP", "nokey", "0"),
        ("RPUSH", "l", "a", "b"),
        ("LPOP", "l", "0"),
        ("LPOP", "l", "5"),
        ("LINDEX", "l", "0"),
        ("LINDEX", "nokey", "0"),
        ("RPUSH", "l", "a", "b"),
        ("LINDEX", "l", "7"),
        ("LPOS", "l", "z"),
        ("LPOS", "nokey", "z"),
        ("LPOS", "l", "z", "COUNT", "0"),
        ("LMOVE", "nokey", "l", "LEFT", "LEFT"),
        ("RPOPLPUSH", "nokey", "l"),
        ("LMPOP", "1", "nokey", "LEFT"),
        ("LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "9"),
        ("BLPOP", "nokey", "0.01"),
        ("BRPOP", "nokey", "nokey2", "0.01"),
        ("BLMOVE", "nokey", "l", "LEFT", "RIGHT", "0.01"),
        ("BRPOPLPUSH", "nokey", "l", "0.01"),
        ("BLMPOP", "0.01", "1", "nokey", "LEFT"),
        ("LRANGE", "nokey", "0", "-1"),
        ("LLEN", "nokey"),
    )


def test_binary_and_large_values(dp: Pair) -> None:
    big = b"v" * 100_000
    dp.batch(
        ("RPUSH", "l", BIN, b"\x00", b"\r\n", big, b"*1\r\n$1\r\nx\r\n"),
        ("LRANGE", "l", "0", "-1"),
        ("LPOS", "l", b"\r\n"),
        ("LPOS", "l", BIN),
        ("LINDEX", "l", "3"),
        ("LREM", "l", "0", b"\x00"),
        ("LINSERT", "l", "BEFORE", BIN, big),
        ("LSET", "l", "-1", b"\r"),
        ("LRANGE", "l", "0", "-1"),
        ("RPUSH", b"k\r\n\x00", "x"),
        ("LMPOP", "1", b"k\r\n\x00", "LEFT"),
        ("BLPOP", b"k\r\n", b"k\r\n\x00", "l", "0"),
    )


# -- ranges and indexes ---------------------------------------------------------


def test_lrange_grid(d: Pair) -> None:
    d.check("RPUSH", "l", *[f"e{i}" for i in range(7)])
    d.check("RPUSH", "one", "x")
    idx = [*range(-9, 10), LLMIN, LLMAX, "9999999999", "-9999999999", "-9223372036854775807"]
    cmds: list[Cmd] = []
    for key in ("l", "one", "nokey"):
        for start in idx:
            for end in idx:
                cmds.append(("LRANGE", key, start, end))
    chunked(d, cmds)


def test_lrange_errors(d: Pair) -> None:
    d.check("SET", "s", "x")
    d.batch(
        ("RPUSH", "l", "a"),
        ("LRANGE", "l", "x", "1"),
        ("LRANGE", "l", "0", "1.5"),
        ("LRANGE", "l", "9223372036854775808", "1"),
        ("LRANGE", "s", "0", "1"),
        ("LRANGE", "s", "a", "1"),  # the indexes are parsed before the lookup
        ("LRANGE", "nokey", "a", "1"),
        ("LRANGE", "l", "0"),
        ("LRANGE", "l", "0", "1", "2"),
    )


def test_lindex_lset(dp: Pair) -> None:
    dp.check("RPUSH", "l", *[f"e{i}" for i in range(5)])
    cmds: list[Cmd] = []
    for i in [*range(-7, 8), LLMIN, LLMAX]:
        cmds.append(("LINDEX", "l", i))
        cmds.append(("LSET", "l", i, f"set{i}"))
    cmds += [
        ("LRANGE", "l", "0", "-1"),
        ("LINDEX", "l", "x"),
        ("LINDEX", "nokey", "x"),  # missing key: nil before the index is parsed
        ("LSET", "nokey", "0", "v"),
        ("LSET", "nokey", "x", "v"),
        ("LSET", "l", "x", "v"),
        ("LSET", "l", "1.0", "v"),
        ("SET", "s", "x"),
        ("LINDEX", "s", "0"),
        ("LINDEX", "s", "x"),
        ("LSET", "s", "0", "v"),
        ("LSET", "s", "x", "v"),
        ("LSET", "l", "0", BIN),
        ("LINDEX", "l", "0"),
    ]
    dp.batch(*cmds)


def test_linsert(dp: Pair) -> None:
    dp.batch(
        ("LINSERT", "nokey", "BEFORE", "a", "x"),
        ("LINSERT", "nokey", "MIDDLE", "a", "x"),
        ("RPUSH", "l", "a", "b", "a", "c"),
        ("LINSERT", "l", "BEFORE", "a", "x"),
        ("LINSERT", "l", "after", "a", "y"),
        ("LINSERT", "l", "After", "c", "z"),
        ("LINSERT", "l", "BEFORE", "nope", "q"),
        ("LINSERT", "l", "sideways", "a", "q"),
        ("LINSERT", "l", b"after\x00junk", "a", "w"),
        ("LINSERT", "l", b"afte", "a", "w"),
        ("LRANGE", "l", "0", "-1"),
        ("SET", "s", "v"),
        ("LINSERT", "s", "BEFORE", "a", "x"),
        ("LINSERT", "s", "UP", "a", "x"),
        ("LINSERT", "l", "BEFORE", "a"),
    )


def test_lrem(dp: Pair) -> None:
    base = ["a", "b", "a", "c", "a", "a", "d", "a"]
    cmds: list[Cmd] = []
    for n in ["0", "1", "2", "-1", "-2", "-3", "100", "-100", LLMIN, LLMAX]:
        cmds += [
            ("DEL", "l"),
            ("RPUSH", "l", *base),
            ("LREM", "l", n, "a"),
            ("LRANGE", "l", "0", "-1"),
            ("LREM", "l", n, "zz"),
        ]
    many = ["x", "y"] * 40
    cmds += [
        ("DEL", "l"),
        ("RPUSH", "l", *many),
        ("LREM", "l", "30", "x"),
        ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "-25", "y"),
        ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "0", "x"),
        ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "0", "y"),
        ("EXISTS", "l"),
        ("LREM", "nokey", "0", "a"),
        ("LREM", "nokey", "x", "a"),
        ("LREM", "l", "1.5", "a"),
        ("SET", "s", "v"),
        ("LREM", "s", "0", "a"),
        ("LREM", "s", "x", "a"),
    ]
    dp.batch(*cmds)


def test_ltrim_grid(d: Pair) -> None:
    idx = [*range(-8, 9), LLMIN, LLMAX, "9999999999"]
    cmds: list[Cmd] = []
    for start in idx:
        for end in idx:
            cmds += [
                ("DEL", "l"),
                ("RPUSH", "l", "a", "b", "c", "d", "e", "f"),
                ("LTRIM", "l", start, end),
                ("LRANGE", "l", "0", "-1"),
            ]
    chunked(d, cmds)


def test_ltrim_large_and_errors(d: Pair) -> None:
    d.batch(
        ("RPUSH", "l", *[str(i) for i in range(300)]),
        ("LTRIM", "l", "100", "-101"),
        ("LRANGE", "l", "0", "-1"),
        ("LTRIM", "l", "1", "-2"),
        ("LLEN", "l"),
        ("LTRIM", "l", "5", "2"),
        ("EXISTS", "l"),
        ("LTRIM", "nokey", "0", "1"),
        ("LTRIM", "nokey", "x", "1"),
        ("LTRIM", "l", "0", "y"),
        ("SET", "s", "v"),
        ("LTRIM", "s", "0", "1"),
    )


# -- LPOS -------------------------------------------------------------------------


def test_lpos_grid(d: Pair) -> None:
    d.check("RPUSH", "l", "a", "b", "c", "a", "b", "a", "d", "a")
    ranks = [None, "1", "2", "3", "4", "5", "-1", "-2", "-4", "-5", LLMAX, "-9223372036854775807", LLMIN]
    counts = [None, "0", "1", "2", "3", "10", LLMAX]
    maxlens = [None, "0", "1", "3", "6", "100", LLMAX]
    cmds: list[Cmd] = []
    for ele in ("a", "b", "z"):
        for rank in ranks:
            for cnt in counts:
                for maxlen in maxlens:
                    args: list[str] = ["LPOS", "l", ele]
                    if rank is not None:
                        args += ["RANK", rank]
                    if cnt is not None:
                        args += ["COUNT", cnt]
                    if maxlen is not None:
                        args += ["MAXLEN", maxlen]
                    cmds.append(tuple(args))
    chunked(d, cmds)


def test_lpos_errors(dp: Pair) -> None:
    dp.check("RPUSH", "l", "a", "b", "a")
    dp.check("SET", "s", "v")
    dp.batch(
        ("LPOS", "l", "a", "RANK", "0"),
        ("LPOS", "nokey", "a", "RANK", "0"),
        ("LPOS", "l", "a", "RANK", "x"),
        ("LPOS", "l", "a", "RANK", "9223372036854775808"),
        ("LPOS", "l", "a", "COUNT", "-1"),
        ("LPOS", "l", "a", "COUNT", "x"),
        ("LPOS", "l", "a", "MAXLEN", "-1"),
        ("LPOS", "l", "a", "MAXLEN", "x"),
        ("LPOS", "l", "a", "RANK"),
        ("LPOS", "l", "a", "COUNT"),
        ("LPOS", "l", "a", "FOO", "1"),
        ("LPOS", "l", "a", "RANK", "1", "COUNT"),
        ("LPOS", "l", "a", "RANK", "0", "COUNT"),
        ("LPOS", "l", "a", "rank", "-1", "count", "0", "maxlen", "0"),
        ("LPOS", "l", "a", b"RANK\x00x", "2"),
        ("LPOS", "l", "a", "COUNT", "1", "COUNT", "2"),
        ("LPOS", "s", "a"),
        ("LPOS", "s", "a", "RANK", "0"),
        ("LPOS", "s", "a", "COUNT", "1"),
        ("LPOS", "nokey", "a", "COUNT", "1"),
        ("LPOS", "nokey", "a", "MAXLEN", "1"),
        ("LPOS", "l"),
    )


# -- move ---------------------------------------------------------------------------


def test_lmove_directions(dp: Pair) -> None:
    cmds: list[Cmd] = []
    for wf in ("LEFT", "RIGHT"):
        for wt in ("LEFT", "RIGHT"):
            cmds += [
                ("DEL", "src", "dst"),
                ("RPUSH", "src", "1", "2", "3"),
                ("RPUSH", "dst", "a", "b"),
                ("LMOVE", "src", "dst", wf, wt),
                ("LMOVE", "src", "new", wf, wt),
                ("LMOVE", "src", "src", wf, wt),
                ("LRANGE", "src", "0", "-1"),
                ("LRANGE", "dst", "0", "-1"),
                ("LRANGE", "new", "0", "-1"),
                ("LMOVE", "src", "dst", wf.lower(), wt.lower()),
                ("EXISTS", "src"),
                ("LMOVE", "src", "dst", wf, wt),
                ("DEL", "new"),
            ]
    cmds += [
        ("RPUSH", "one", "x"),
        ("LMOVE", "one", "one", "LEFT", "RIGHT"),
        ("LRANGE", "one", "0", "-1"),
        ("RPOPLPUSH", "one", "one"),
        ("RPUSH", "src", "1", "2", "3"),
        ("RPOPLPUSH", "src", "dst"),
        ("RPOPLPUSH", "src", "dst"),
        ("RPOPLPUSH", "src", "dst"),
        ("RPOPLPUSH", "src", "dst"),
        ("LRANGE", "dst", "0", "-1"),
        ("EXISTS", "src"),
    ]
    dp.batch(*cmds)


def test_lmove_errors(dp: Pair) -> None:
    dp.batch(
        ("SET", "s", "v"),
        ("RPUSH", "l", "a", "b"),
        ("LMOVE", "l", "s", "LEFT", "LEFT"),
        ("LRANGE", "l", "0", "-1"),
        ("LMOVE", "s", "l", "LEFT", "LEFT"),
        ("LMOVE", "nokey", "s", "LEFT", "LEFT"),  # a missing source is checked first
        ("LMOVE", "l", "x", "UP", "LEFT"),
        ("LMOVE", "l", "x", "LEFT", "DOWN"),
        ("LMOVE", "nokey", "x", "UP", "LEFT"),
        ("LMOVE", "s", "x", "LEFT", "DOWN"),
        ("LMOVE", "l", "x", b"left\x00x", "RIGHT"),
        ("LMOVE", "l", "x", "LEF", "RIGHT"),
        ("RPOPLPUSH", "l", "s"),
        ("RPOPLPUSH", "s", "l"),
        ("RPOPLPUSH", "nokey", "s"),
        ("LRANGE", "l", "0", "-1"),
        ("LRANGE", "x", "0", "-1"),
        ("LMOVE", "l", "x", "LEFT"),
        ("RPOPLPUSH", "l"),
    )


# -- LMPOP ---------------------------------------------------------------------------


def test_lmpop(dp: Pair) -> None:
    dp.batch(
        ("RPUSH", "a", "1", "2", "3", "4"),
        ("RPUSH", "b", "x", "y"),
        ("LMPOP", "2", "nokey", "a", "LEFT"),
        ("LMPOP", "2", "nokey", "a", "RIGHT"),
        ("LMPOP", "2", "a", "b", "LEFT", "COUNT", "10"),
        ("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "1"),
        ("LMPOP", "3", "a", "b", "b", "right", "count", "5"),
        ("LMPOP", "1", "b", "LEFT"),
        ("EXISTS", "a", "b"),
        ("RPUSH", "c", "1", "2", "3"),
        ("LMPOP", "1", "c", "RIGHT", "COUNT", LLMAX),
        ("LMPOP", "1", "c", "LEFT", "COUNT", "1"),
    )


def test_lmpop_errors(dp: Pair) -> None:
    dp.check("SET", "s", "v")
    dp.check("RPUSH", "l", "a")
    dp.batch(
        ("LMPOP", "0", "l", "LEFT"),
        ("LMPOP", "-1", "l", "LEFT"),
        ("LMPOP", "x", "l", "LEFT"),
        ("LMPOP", LLMAX, "l", "LEFT"),
        ("LMPOP", "9223372036854775808", "l", "LEFT"),
        ("LMPOP", "2", "l", "LEFT"),
        ("LMPOP", "5", "l", "LEFT"),
        ("LMPOP", "1", "l", "UP"),
        ("LMPOP", "1", "l", "LEFT", "COUNT"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "0"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "-1"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "x"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"),
        ("LMPOP", "1", "l", "LEFT", "FOO"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "x"),
        ("LMPOP", "1", "s", "LEFT"),
        ("LMPOP", "2", "s", "l", "LEFT"),
        ("LMPOP", "2", "l", "s", "LEFT"),  # the first list is served before s is seen
        ("LMPOP", "2", "nokey", "s", "LEFT"),
        ("LMPOP", "1", "s", "UP"),
        ("LMPOP", "1", "l"),
        ("LMPOP", "1"),
    )


# -- blocking: errors and immediate replies ---------------------------------------------

TIMEOUT_ERRORS = [
    "abc", "", " 1", "1 ", "1e", "nan", "-nan", "1_0", "0x", "1e5000", "1e-5000", "-1e-5000",
    "inf", "-inf", "infinity", "-1", "-0.0015", "-0.0010001", "1e300", "-1e300",
    "9223372036854775.808", "9223372036854775807", "9223372036854776", "-9223372036854776",
    b"1\x00", b"\x00",
]


def test_blocking_timeout_errors(dp: Pair) -> None:
    cmds: list[Cmd] = []
    for t in TIMEOUT_ERRORS:
        cmds += [
            ("BLPOP", "nokey", t),
            ("BRPOP", "nokey", "nokey2", t),
            ("BLMOVE", "nokey", "dst", "LEFT", "RIGHT", t),
            ("BRPOPLPUSH", "nokey", "dst", t),
            ("BLMPOP", t, "1", "nokey", "LEFT"),
        ]
    chunked(dp, cmds, 100)


def test_tiny_timeouts_expire(d: Pair) -> None:
    """Fractions of a millisecond round up to 1 ms: a wait, not forever.
    (Redis notices timeouts on its 100 ms cron, so each costs up to that.)"""
    d.batch(*[("BLPOP", "nokey", t) for t in ("0.0001", "1e-400", "0x1p-20", "+.0005")])


def test_blocking_immediate(dp: Pair) -> None:
    dp.batch(
        ("RPUSH", "a", "1", "2", "3"),
        ("RPUSH", "b", "x"),
        ("BLPOP", "nokey", "a", "b", "0"),
        ("BRPOP", "nokey", "a", "b", "0"),
        ("BRPOP", "a", "1"),
        ("BLPOP", "a", "b", "0"),
        ("EXISTS", "a", "b"),
        ("RPUSH", "a", "1", "2", "3"),
        ("BLMOVE", "a", "b", "RIGHT", "LEFT", "0"),
        ("BRPOPLPUSH", "a", "b", "0"),
        ("BLMPOP", "0", "2", "nokey", "a", "LEFT", "COUNT", "5"),
        ("RPUSH", "a", "1", "2", "3"),
        ("BLMPOP", "0", "1", "a", "RIGHT"),
        ("BLMPOP", "0", "1", "a", "RIGHT", "COUNT", "2"),
        ("LRANGE", "b", "0", "-1"),
        ("BLMOVE", "b", "b", "LEFT", "RIGHT", "0"),
        ("LRANGE", "b", "0", "-1"),
    )


def test_blocking_errors(dp: Pair) -> None:
    dp.check("SET", "s", "v")
    dp.check("RPUSH", "l", "a", "b")
    dp.batch(
        ("BLPOP", "s", "0"),
        ("BLPOP", "nokey", "s", "0"),
        ("BLPOP", "l", "s", "0"),  # served from l before s is looked at
        ("BRPOP", "s", "x"),  # the timeout is parsed first
        ("BLPOP", "s", "-1"),
        ("BLMOVE", "s", "l", "LEFT", "LEFT", "0"),
        ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"),
        ("BLMOVE", "l", "x", "UP", "LEFT", "x"),
        ("BLMOVE", "l", "x", "LEFT", "UP", "x"),
        ("BLMOVE", "l", "x", "LEFT", "LEFT", "x"),
        ("BLMOVE", "s", "x", "LEFT", "LEFT", "-1"),
        ("BRPOPLPUSH", "s", "l", "0"),
        ("BRPOPLPUSH", "l", "s", "0"),
        ("BRPOPLPUSH", "s", "l", "x"),
        ("LRANGE", "l", "0", "-1"),
        ("BLMPOP", "0", "1", "s", "LEFT"),
        ("BLMPOP", "x", "0", "s", "LEFT"),  # the timeout before numkeys
        ("BLMPOP", "0", "0", "l", "LEFT"),
        ("BLMPOP", "0", "-1", "l", "LEFT"),
        ("BLMPOP", "0", "x", "l", "LEFT"),
        ("BLMPOP", "0", "2", "l", "LEFT"),
        ("BLMPOP", "0", "1", "l", "UP"),
        ("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "0"),
        ("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "x"),
        ("BLMPOP", "0", "1", "l", "LEFT", "COUNT"),
        ("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"),
        ("BLMPOP", "0", "1", "l", "LEFT", "BAR"),
        ("BLMPOP", "-1", "1", "l", "LEFT"),
        ("BLMPOP", "0", "1", "l"),
        ("BLPOP", "l"),
        ("BLMOVE", "l", "x", "LEFT", "LEFT"),
        ("BRPOPLPUSH", "l", "x"),
    )


def test_wrongtype_everywhere(dp: Pair) -> None:
    dp.check("SET", "s", "v")
    dp.batch(
        ("LPUSH", "s", "a"),
        ("RPUSH", "s", "a"),
        ("LPUSHX", "s", "a"),
        ("RPUSHX", "s", "a"),
        ("LPOP", "s"),
        ("RPOP", "s"),
        ("LPOP", "s", "0"),
        ("RPOP", "s", "2"),
        ("LPOP", "s", "-2"),
        ("LLEN", "s"),
        ("LRANGE", "s", "0", "-1"),
        ("LINDEX", "s", "0"),
        ("LSET", "s", "0", "a"),
        ("LINSERT", "s", "BEFORE", "a", "b"),
        ("LREM", "s", "0", "a"),
        ("LTRIM", "s", "0", "1"),
        ("LPOS", "s", "a"),
        ("LMOVE", "s", "d", "LEFT", "LEFT"),
        ("RPOPLPUSH", "s", "d"),
        ("LMPOP", "1", "s", "LEFT"),
        ("BLPOP", "s", "0"),
        ("BRPOP", "s", "0"),
        ("BLMOVE", "s", "d", "LEFT", "LEFT", "0"),
        ("BRPOPLPUSH", "s", "d", "0"),
        ("BLMPOP", "0", "1", "s", "LEFT"),
        ("GET", "s"),
        ("RPUSH", "l", "a"),
        ("GET", "l"),
        ("INCR", "l"),
        ("APPEND", "l", "x"),
        ("STRLEN", "l"),
        ("TYPE", "l"),
    )


def test_arity(d: Pair) -> None:
    d.batch(
        ("LPUSH", "k"),
        ("RPUSH",),
        ("LPUSHX", "k"),
        ("RPUSHX", "k"),
        ("LPOP",),
        ("RPOP",),
        ("LLEN",),
        ("LLEN", "a", "b"),
        ("LRANGE", "k", "0"),
        ("LINDEX", "k"),
        ("LSET", "k", "0"),
        ("LINSERT", "k", "BEFORE", "a"),
        ("LREM", "k", "0"),
        ("LTRIM", "k", "0"),
        ("LPOS", "k"),
        ("LMOVE", "a", "b", "LEFT"),
        ("RPOPLPUSH", "a"),
        ("LMPOP", "1", "a"),
        ("BLPOP", "a"),
        ("BRPOP", "a"),
        ("BLMOVE", "a", "b", "LEFT", "LEFT"),
        ("BRPOPLPUSH", "a", "b"),
        ("BLMPOP", "0", "1", "a"),
        ("lpush", "k"),
        ("LPush", "k"),
    )


# -- keyspace interplay ---------------------------------------------------------------


def test_keyspace_commands_on_lists(d: Pair) -> None:
    d.batch(
        ("RPUSH", "l", "a", "b", "c"),
        ("TYPE", "l"),
        ("OBJECT", "ENCODING", "l"),
        ("RPUSH", "big", *[str(i) * 20 for i in range(300)]),
        ("OBJECT", "ENCODING", "big"),
        ("COPY", "l", "c"),
        ("RPUSH", "c", "d"),
        ("LRANGE", "l", "0", "-1"),
        ("LRANGE", "c", "0", "-1"),
        ("RENAME", "c", "r"),
        ("LRANGE", "r", "0", "-1"),
        ("MOVE", "r", "1"),
        ("EXISTS", "r"),
        ("SELECT", "1"),
        ("LRANGE", "r", "0", "-1"),
        ("SELECT", "0"),
        ("DEL", "l", "big"),
        ("EXISTS", "l"),
        ("RPUSH", "e", "x"),
        ("EXPIRE", "e", "100"),
        ("RPUSH", "e", "y"),
        ("TTL", "e"),
        ("LPOP", "e", "2"),
        ("TTL", "e"),
        ("RPUSH", "e", "z"),
        ("TTL", "e"),
        ("DBSIZE",),
    )


def test_expired_list(d: Pair) -> None:
    d.batch(
        ("RPUSH", "l", "a", "b"),
        ("PEXPIRE", "l", "1"),
    )
    deadline = time.monotonic() + 5
    while d.ours.call("PTTL", "l") != b":-2\r\n" or d.real.call("PTTL", "l") != b":-2\r\n":
        assert time.monotonic() < deadline
        time.sleep(0.002)
    d.batch(
        ("LLEN", "l"),
        ("LRANGE", "l", "0", "-1"),
        ("RPUSHX", "l", "x"),
        ("RPUSH", "l", "c"),
        ("LRANGE", "l", "0", "-1"),
    )


def stat_lines(info: bytes) -> list[bytes]:
    return [x for x in info.split(b"\r\n") if x.startswith((b"keyspace_hits:", b"keyspace_misses:"))]


def test_keyspace_hits_and_misses(d: Pair) -> None:
    """Reads count hits and misses, writes do not (Redis's read/write lookups)."""
    d.batch(
        ("CONFIG", "RESETSTAT"),
        ("RPUSH", "l", "a", "b", "c"),
        ("LLEN", "l"),
        ("LLEN", "nokey"),
        ("LRANGE", "l", "0", "-1"),
        ("LRANGE", "nokey", "0", "-1"),
        ("LINDEX", "l", "0"),
        ("LINDEX", "nokey", "0"),
        ("LPOS", "l", "a"),
        ("LPOS", "nokey", "a"),
        ("LPOP", "l"),
        ("LPOP", "nokey"),
        ("LSET", "l", "0", "x"),
        ("LINSERT", "l", "BEFORE", "x", "y"),
        ("LREM", "l", "0", "zz"),
        ("LTRIM", "l", "0", "-1"),
        ("LMOVE", "l", "m", "LEFT", "LEFT"),
        ("LMPOP", "2", "nokey", "l", "LEFT"),
        ("BLPOP", "nokey", "l", "0"),
        ("RPUSHX", "l", "x"),
        ("LPUSHX", "nokey", "x"),
        ("RPOPLPUSH", "m", "l"),
        ("BLMOVE", "l", "m", "LEFT", "LEFT", "0"),
        ("BLMPOP", "0", "1", "m", "LEFT"),
    )
    ours, real = d.both("INFO", "stats")
    assert stat_lines(ours) == stat_lines(real)
    assert len(stat_lines(ours)) == 2


def test_command_metadata(d: Pair) -> None:
    names = [
        "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset",
        "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop",
        "blmove", "brpoplpush", "blmpop",
    ]
    for name in names:
        ours, real = d.both("COMMAND", "INFO", name)
        # name, arity, flags, first, last, step and ACL categories (before the tips)
        cut_ours = ours.split(b"*0\r\n*", 1)[0] if b"*0\r\n*" in ours else ours
        cut_real = real.split(b"*0\r\n*", 1)[0] if b"*0\r\n*" in real else real
        assert _head(ours) == _head(real), (name, cut_ours, cut_real)


def _head(reply: bytes) -> bytes:
    """The COMMAND INFO entry up to its ACL categories (the 7th field)."""
    from helpers import read_reply

    pos = reply.index(b"\r\n", reply.index(b"\r\n") + 2) + 2  # after "*1" and "*10"
    for _ in range(7):
        end = read_reply(reply, pos)
        assert end is not None
        pos = end
    return reply[:pos].split(b"\r\n", 2)[2]


GETKEYS = [
    ("lpush", "k", "v"),
    ("blpop", "a", "b", "0"),
    ("brpop", "a", "0"),
    ("lmove", "a", "b", "left", "right"),
    ("blmove", "a", "b", "left", "right", "0"),
    ("rpoplpush", "a", "b"),
    ("brpoplpush", "a", "b", "0"),
    ("lmpop", "2", "a", "b", "left"),
    ("lmpop", "1", "a", "left", "count", "2"),
    ("blmpop", "0", "2", "a", "b", "left"),
    ("blmpop", "0", "1", "a", "right", "count", "3"),
]


@pytest.mark.parametrize("args", GETKEYS, ids=repr)
def test_command_getkeys(d: Pair, args: Cmd) -> None:
    d.check("COMMAND", "GETKEYS", *args)


# -- random sequences ---------------------------------------------------------------


def test_random_sequences(dp: Pair) -> None:
    rnd = random.Random(20240603)
    keys = ["a", "b", "c"]
    vals = ["x", "y", "z", "", BIN, "1", "10"]

    def idx() -> str:
        return str(rnd.choice([rnd.randint(-8, 8), rnd.randint(-100, 100), 2**63 - 1, -(2**63)]))

    def where() -> str:
        return rnd.choice(["LEFT", "RIGHT", "left"])

    def cmd() -> Cmd:
        k = rnd.choice(keys)
        v = rnd.choice(vals)
        op = rnd.randrange(22)
        if op < 3:
            return (rnd.choice(["LPUSH", "RPUSH"]), k, *rnd.sample(vals, rnd.randint(1, 4)))
        if op == 3:
            return (rnd.choice(["LPUSHX", "RPUSHX"]), k, v)
        if op == 4:
            return (rnd.choice(["LPOP", "RPOP"]), k)
        if op == 5:
            return (rnd.choice(["LPOP", "RPOP"]), k, str(rnd.randint(0, 5)))
        if op == 6:
            return ("LRANGE", k, idx(), idx())
        if op == 7:
            return ("LINDEX", k, idx())
        if op == 8:
            return ("LSET", k, idx(), v)
        if op == 9:
            return ("LINSERT", k, rnd.choice(["BEFORE", "AFTER"]), v, rnd.choice(vals))
        if op == 10:
            return ("LREM", k, str(rnd.randint(-3, 3)), v)
        if op == 11:
            return ("LTRIM", k, idx(), idx())
        if op == 12:
            opts: list[str] = []
            if rnd.random() < 0.5:
                opts += ["RANK", str(rnd.choice([1, 2, -1, -2, 3]))]
            if rnd.random() < 0.5:
                opts += ["COUNT", str(rnd.randint(0, 3))]
            if rnd.random() < 0.3:
                opts += ["MAXLEN", str(rnd.randint(0, 5))]
            return ("LPOS", k, v, *opts)
        if op == 13:
            return ("LMOVE", k, rnd.choice(keys), where(), where())
        if op == 14:
            return ("RPOPLPUSH", k, rnd.choice(keys))
        if op == 15:
            n = rnd.randint(1, 3)
            extra = ["COUNT", str(rnd.randint(1, 4))] if rnd.random() < 0.5 else []
            return ("LMPOP", str(n), *rnd.sample(keys, n), where(), *extra)
        if op == 16:
            return ("BLPOP", *rnd.sample(keys, 2), "0")
        if op == 17:
            return ("BLMOVE", k, rnd.choice(keys), where(), where(), "0.001")
        if op == 18:
            return ("LLEN", k)
        if op == 19:
            return ("SET", k, v) if rnd.random() < 0.2 else ("DEL", k)
        if op == 20:
            return ("BLMPOP", "0.001", "2", *rnd.sample(keys, 2), where())
        return ("LRANGE", k, "0", "-1")

    # blocking forms would wait on an empty list: their non-blocking twins
    # run instead (test_blocking_immediate covers the blocking forms)
    cmds: list[Cmd] = []
    for c in (cmd() for _ in range(1500)):
        name = str(c[0])
        if name == "BLPOP":
            cmds.append(("LMPOP", "2", c[1], c[2], "LEFT"))
        elif name == "BLMOVE":
            cmds.append(("LMOVE", *c[1:5]))
        elif name == "BLMPOP":
            cmds.append(("LMPOP", *c[2:]))
        else:
            cmds.append(c)
    chunked(dp, cmds, 300)
    for k in keys:
        dp.check("LRANGE", k, "0", "-1")


# -- blocking: waiters served by a push ------------------------------------------------------


@pytest.fixture
def waiters(new_pair: Pairs) -> list[Pair]:
    """Three extra connections to each server, for clients that block."""
    return [new_pair() for _ in range(3)]


def test_blpop_served_by_push(d: Pair, waiters: list[Pair]) -> None:
    w = waiters[0]
    w.send("BLPOP", "k1", "k2", "0")
    wait_blocked(d, 1)
    d.check("LPUSH", "k2", "a", "b", "c")
    assert w.reply() == b"*2\r\n$2\r\nk2\r\n$1\r\nc\r\n"
    wait_blocked(d, 0)
    d.batch(("LRANGE", "k2", "0", "-1"), ("LLEN", "k1"))


def test_push_serves_several_waiters_in_order(d: Pair, waiters: list[Pair]) -> None:
    a, b, c = waiters
    a.send("BRPOP", "q", "0")
    wait_blocked(d, 1)
    b.send("BLPOP", "q", "0")
    wait_blocked(d, 2)
    c.send("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5")
    wait_blocked(d, 3)
    d.check("RPUSH", "q", "1", "2", "3", "4", "5")
    a.reply()
    b.reply()
    c.reply()
    d.batch(("LLEN", "q"), ("EXISTS", "q"))
    wait_blocked(d, 0)


def test_single_push_served_then_gone(d: Pair, waiters: list[Pair]) -> None:
    w = waiters[0]
    w.send("BLPOP", "k", "0")
    wait_blocked(d, 1)
    d.check("LPUSH", "k", "only")
    w.reply()
    d.batch(("LLEN", "k"), ("EXISTS", "k"))


def test_blmove_chain(d: Pair, waiters: list[Pair]) -> None:
    a, b, c = waiters
    a.send("BLMOVE", "s1", "s2", "RIGHT", "LEFT", "0")
    wait_blocked(d, 1)
    b.send("BRPOPLPUSH", "s2", "s3", "0")
    wait_blocked(d, 2)
    c.send("BLPOP", "s3", "0")
    wait_blocked(d, 3)
    d.check("RPUSH", "s1", "x", "y")
    a.reply()
    b.reply()
    c.reply()
    d.batch(("LRANGE", "s1", "0", "-1"), ("EXISTS", "s2", "s3"))


def test_blmove_wrongtype_destination(d: Pair, waiters: list[Pair]) -> None:
    a, b, _ = waiters
    d.check("SET", "dst", "string")
    a.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
    wait_blocked(d, 1)
    b.send("BLPOP", "src", "0")
    wait_blocked(d, 2)
    d.check("RPUSH", "src", "e1", "e2")
    a.reply()  # the WRONGTYPE error, nothing popped for it
    b.reply()
    d.batch(("LRANGE", "src", "0", "-1"), ("GET", "dst"))


def test_waiter_on_other_type_skipped(d: Pair, waiters: list[Pair]) -> None:
    """A key that appears as another type does not serve a list waiter."""
    a, _, _ = waiters
    a.send("BLPOP", "k", "0")
    wait_blocked(d, 1)
    d.check("SET", "k", "v")
    d.check("DEL", "k")
    d.check("RPUSH", "k", "x")
    a.reply()


def test_resp3_waiter_and_timeout(d: Pair, waiters: list[Pair]) -> None:
    a, b, _ = waiters
    for w in (a, b):
        w.send("HELLO", "3")
        ours, real = w.ours.reply(), w.real.reply()
        assert ours[:2] == real[:2] == b"%7"
    a.send("BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2")
    wait_blocked(d, 1)
    d.check("RPUSH", "y", "1", "2", "3")
    a.reply()
    b.send("BLPOP", "x", "0.02")
    b.reply()
    b.send("BLMOVE", "x", "y", "LEFT", "LEFT", "0.01")
    b.reply()
    b.send("BLMPOP", "0.01", "1", "x", "LEFT")
    b.reply()


def test_timeouts_resp2(d: Pair, waiters: list[Pair]) -> None:
    a = waiters[0]
    for cmd in (
        ("BLPOP", "x", "0.01"),
        ("BRPOP", "x", "y", "0.02"),
        ("BLMOVE", "x", "y", "LEFT", "RIGHT", "0.01"),
        ("BRPOPLPUSH", "x", "y", "0.01"),
        ("BLMPOP", "0.01", "2", "x", "y", "LEFT", "COUNT", "3"),
        ("BLPOP", "x", "0.0001"),
        ("BLPOP", "x", "1e-400"),
    ):
        a.send(*cmd)
        a.reply()


@pytest.mark.parametrize("timeout", ["0", "-0", "-0.001", "-0.0009999", "-1e-400", "0x10", "1e3"])
def test_timeouts_that_wait(d: Pair, waiters: list[Pair], timeout: str) -> None:
    """Zero, tiny negative values that round up to -0, and long waits all block."""
    a = waiters[0]
    a.send("BLPOP", "x", timeout)
    wait_blocked(d, 1)
    d.check("RPUSH", "x", "v")
    a.reply()


def test_pipeline_after_blocking(d: Pair, waiters: list[Pair]) -> None:
    """Requests pipelined behind a blocked command wait for it, in order."""
    a = waiters[0]
    data = encode("BLPOP", "p", "0") + encode("LLEN", "p") + encode("ECHO", "after")
    a.ours.send(data)
    a.real.send(data)
    wait_blocked(d, 1)
    d.check("RPUSH", "p", "1", "2")
    a.reply()
    a.reply()
    a.reply()
