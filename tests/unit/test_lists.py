"""Unit tests of the list family, in process (``h`` harness).

Blocking commands need a running event loop: ``Loop`` runs requests inside
one and lets the replies of served or timed-out waiters arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from cacheserver.blocking import parse_timeout
from cacheserver.commands.lists import List
from cacheserver.connection import Client
from cacheserver.errors import CommandError
from helpers import Harness, InLoop, encode, take_output

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NIL = b"$-1\r\n"
NIL_ARRAY = b"*-1\r\n"
EMPTY = b"*0\r\n"
OK = b"+OK\r\n"
LLMAX = 2**63 - 1
LLMIN = -(2**63)


def bulks(*items: bytes | str) -> bytes:
    out = [b"*%d\r\n" % len(items)]
    for it in items:
        b = it.encode() if isinstance(it, str) else it
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def ints(*items: int) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(b":%d\r\n" % i for i in items)


def elements(h: Harness, key: str = "l") -> bytes:
    return h.run("LRANGE", key, 0, -1)


# -- the value type --------------------------------------------------------------


def test_list_value_type(h: Harness) -> None:
    assert h.run("RPUSH", "l", "a", "b") == b":2\r\n"
    value = h.server.keyspace.dbs[0].data[b"l"]
    assert value.__class__ is List
    assert h.run("TYPE", "l") == b"+list\r\n"
    assert h.run("OBJECT", "ENCODING", "l") == b"$9\r\nquicklist\r\n"
    dup = value.copy()
    assert dup.__class__ is List and dup == value and dup is not value
    dup.append(b"c")
    assert len(value) == 2
    assert not hasattr(value, "__dict__")  # no per-list dict


def test_copy_rename_move_del(h: Harness) -> None:
    h.run("RPUSH", "l", "a", "b")
    assert h.run("COPY", "l", "c") == b":1\r\n"
    h.run("RPUSH", "c", "x")
    assert elements(h) == bulks("a", "b")
    assert elements(h, "c") == bulks("a", "b", "x")
    assert h.run("RENAME", "c", "r") == OK
    assert h.run("MOVE", "r", "1") == b":1\r\n"
    h.run("SELECT", "1")
    assert elements(h, "r") == bulks("a", "b", "x")
    h.run("SELECT", "0")
    assert h.run("DEL", "l") == b":1\r\n"
    assert h.run("EXISTS", "l") == b":0\r\n"


# -- push / pop ----------------------------------------------------------------------


def test_push_orders(h: Harness) -> None:
    assert h.run("LPUSH", "l", "a", "b", "c") == b":3\r\n"
    assert h.run("RPUSH", "l", "x", "y") == b":5\r\n"
    assert elements(h) == bulks("c", "b", "a", "x", "y")
    assert h.run("LPUSH", "l", "z") == b":6\r\n"
    assert h.run("RPUSH", "l", "") == b":7\r\n"
    assert h.run("LINDEX", "l", 0) == b"$1\r\nz\r\n"
    assert h.run("LINDEX", "l", -1) == b"$0\r\n\r\n"


def test_pushx(h: Harness) -> None:
    assert h.run("LPUSHX", "l", "a") == b":0\r\n"
    assert h.run("RPUSHX", "l", "a", "b") == b":0\r\n"
    assert h.run("EXISTS", "l") == b":0\r\n"
    h.run("RPUSH", "l", "m")
    assert h.run("LPUSHX", "l", "a", "b") == b":3\r\n"
    assert h.run("RPUSHX", "l", "y", "z") == b":5\r\n"
    assert elements(h) == bulks("b", "a", "m", "y", "z")


def test_pop_single_and_count(h: Harness) -> None:
    h.run("RPUSH", "l", "1", "2", "3", "4", "5")
    assert h.run("LPOP", "l") == b"$1\r\n1\r\n"
    assert h.run("RPOP", "l") == b"$1\r\n5\r\n"
    assert h.run("LPOP", "l", 2) == bulks("2", "3")
    assert h.run("LPOP", "l", 0) == EMPTY
    assert h.run("RPOP", "l", 10) == bulks("4")
    assert h.run("EXISTS", "l") == b":0\r\n"
    h.run("RPUSH", "l", "a", "b", "c")
    assert h.run("RPOP", "l", 2) == bulks("c", "b")
    assert h.run("RPOP", "l", LLMAX) == bulks("a")


def test_pop_missing_key_shapes(h: Harness) -> None:
    assert h.run("LPOP", "l") == NIL
    assert h.run("RPOP", "l", 1) == NIL_ARRAY
    assert h.run("LPOP", "l", 0) == NIL_ARRAY
    h.run("HELLO", "3")
    assert h.run("LPOP", "l") == b"_\r\n"
    assert h.run("RPOP", "l", 3) == b"_\r\n"
    h.run("RPUSH", "l", "a")
    assert h.run("LPOP", "l", 0) == EMPTY


def test_pop_count_errors(h: Harness) -> None:
    h.run("RPUSH", "l", "a")
    positive = b"-ERR value is out of range, must be positive\r\n"
    for bad in ("-1", "x", str(LLMIN), "1.5", " 1", "9223372036854775808"):
        assert h.run("LPOP", "l", bad) == positive
        assert h.run("RPOP", "nokey", bad) == positive
    assert h.run("LPOP", "l", 1, 2) == b"-ERR wrong number of arguments for 'lpop' command\r\n"
    assert h.run("RPOP", "l", 1, 2) == b"-ERR wrong number of arguments for 'rpop' command\r\n"
    assert elements(h) == bulks("a")


def test_llen(h: Harness) -> None:
    assert h.run("LLEN", "l") == b":0\r\n"
    h.run("RPUSH", "l", *range(1500))
    assert h.run("LLEN", "l") == b":1500\r\n"


def test_binary_elements(h: Harness) -> None:
    weird = b"a\r\nb\x00c\r\n$3\r\n"
    h.run("RPUSH", "l", weird, b"\x00", b"")
    assert elements(h) == bulks(weird, b"\x00", b"")
    assert h.run("LPOS", "l", b"\x00") == b":1\r\n"
    assert h.run("LREM", "l", 0, weird) == b":1\r\n"


# -- ranges and indexes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "want"),
    [
        (0, -1, "abcde"),
        (1, 3, "bcd"),
        (-2, -1, "de"),
        (-100, 1, "ab"),
        (3, 100, "de"),
        (4, 4, "e"),
        (5, 10, ""),
        (3, 1, ""),
        (-1, -2, ""),
        (0, LLMAX, "abcde"),
        (LLMIN, LLMAX, "abcde"),
        (LLMIN, LLMIN, ""),
        (LLMAX, LLMAX, ""),
        (0, 9999999999, "abcde"),
        (-9999999999, 0, "a"),
    ],
)
def test_lrange(h: Harness, start: int, end: int, want: str) -> None:
    h.run("RPUSH", "l", *"abcde")
    assert h.run("LRANGE", "l", start, end) == bulks(*want)


def test_lrange_errors(h: Harness) -> None:
    assert h.run("LRANGE", "nokey", 0, -1) == EMPTY
    h.run("SET", "s", "v")
    assert h.run("LRANGE", "s", 0, -1) == WRONGTYPE
    assert h.run("LRANGE", "s", "x", -1) == NOT_INT  # indexes first
    assert h.run("LRANGE", "nokey", 0, "9223372036854775808") == NOT_INT


def test_lindex(h: Harness) -> None:
    h.run("RPUSH", "l", *"abc")
    assert [h.run("LINDEX", "l", i) for i in (0, 2, -1, -3)] == [
        b"$1\r\na\r\n",
        b"$1\r\nc\r\n",
        b"$1\r\nc\r\n",
        b"$1\r\na\r\n",
    ]
    for i in (3, -4, LLMAX, LLMIN):
        assert h.run("LINDEX", "l", i) == NIL
    assert h.run("LINDEX", "l", "x") == NOT_INT
    assert h.run("LINDEX", "nokey", "x") == NIL  # the key is looked up first
    h.run("SET", "s", "v")
    assert h.run("LINDEX", "s", 0) == WRONGTYPE


def test_lset(h: Harness) -> None:
    assert h.run("LSET", "nokey", 0, "v") == b"-ERR no such key\r\n"
    assert h.run("LSET", "nokey", "x", "v") == b"-ERR no such key\r\n"
    h.run("RPUSH", "l", *"abc")
    assert h.run("LSET", "l", 1, "B") == OK
    assert h.run("LSET", "l", -1, "C") == OK
    assert h.run("LSET", "l", -3, "A") == OK
    assert elements(h) == bulks("A", "B", "C")
    for i in (3, -4, LLMAX, LLMIN):
        assert h.run("LSET", "l", i, "v") == b"-ERR index out of range\r\n"
    assert h.run("LSET", "l", "1x", "v") == NOT_INT
    h.run("SET", "s", "v")
    assert h.run("LSET", "s", 0, "v") == WRONGTYPE


def test_linsert(h: Harness) -> None:
    assert h.run("LINSERT", "l", "BEFORE", "a", "x") == b":0\r\n"
    assert h.run("EXISTS", "l") == b":0\r\n"
    h.run("RPUSH", "l", "a", "b", "a")
    assert h.run("LINSERT", "l", "BEFORE", "a", "x") == b":4\r\n"
    assert h.run("LINSERT", "l", "after", "a", "y") == b":5\r\n"
    assert h.run("LINSERT", "l", "AFTER", "nope", "z") == b":-1\r\n"
    assert elements(h) == bulks("x", "a", "y", "b", "a")
    assert h.run("LINSERT", "l", "AFTER", "a", "w").startswith(b":6")
    assert h.run("LINSERT", "l", "MIDDLE", "a", "x") == SYNTAX
    assert h.run("LINSERT", "nokey", "MIDDLE", "a", "x") == SYNTAX  # syntax first
    assert h.run("LINSERT", "l", b"after\x00junk", "b", "q") == b":7\r\n"
    h.run("SET", "s", "v")
    assert h.run("LINSERT", "s", "BEFORE", "a", "x") == WRONGTYPE


@pytest.mark.parametrize(
    ("count", "removed", "left"),
    [
        (0, 4, "bcd"),
        (1, 1, "bacaad"),
        (2, 2, "bcaad"),
        (-1, 1, "abacad"),
        (-2, 2, "abacd"),
        (100, 4, "bcd"),
        (-100, 4, "bcd"),
        (LLMAX, 4, "bcd"),
        (LLMIN, 4, "bcd"),
    ],
)
def test_lrem(h: Harness, count: int, removed: int, left: str) -> None:
    h.run("RPUSH", "l", *"abacaad")
    assert h.run("LREM", "l", count, "a") == b":%d\r\n" % removed
    assert elements(h) == bulks(*left)


def test_lrem_many_and_all(h: Harness) -> None:
    h.run("RPUSH", "l", *(["x", "y"] * 50))
    assert h.run("LREM", "l", 30, "x") == b":30\r\n"
    assert h.run("LREM", "l", -20, "y") == b":20\r\n"
    assert elements(h) == bulks(*(["y"] * 30 + ["x"] * 20))
    assert h.run("LREM", "l", 0, "nothing") == b":0\r\n"
    assert h.run("LREM", "l", 0, "x") == b":20\r\n"
    assert h.run("LREM", "l", 0, "y") == b":30\r\n"
    assert h.run("EXISTS", "l") == b":0\r\n"
    assert h.run("LREM", "l", 0, "y") == b":0\r\n"
    assert h.run("LREM", "l", "x", "y") == NOT_INT
    h.run("SET", "s", "v")
    assert h.run("LREM", "s", 0, "y") == WRONGTYPE


@pytest.mark.parametrize(
    ("start", "end", "left"),
    [
        (0, -1, "abcdef"),
        (1, -2, "bcde"),
        (2, 2, "c"),
        (-2, 100, "ef"),
        (4, 2, ""),
        (6, 10, ""),
        (LLMIN, LLMAX, "abcdef"),
        (0, LLMIN, ""),
    ],
)
def test_ltrim(h: Harness, start: int, end: int, left: str) -> None:
    h.run("RPUSH", "l", *"abcdef")
    assert h.run("LTRIM", "l", start, end) == OK
    assert elements(h) == bulks(*left)
    assert h.run("EXISTS", "l") == (b":1\r\n" if left else b":0\r\n")


def test_ltrim_large_cut_and_errors(h: Harness) -> None:
    h.run("RPUSH", "l", *range(500))
    assert h.run("LTRIM", "l", 100, -101) == OK
    assert h.run("LLEN", "l") == b":300\r\n"
    assert h.run("LINDEX", "l", 0) == b"$3\r\n100\r\n"
    assert h.run("LINDEX", "l", -1) == b"$3\r\n399\r\n"
    assert h.run("LTRIM", "nokey", 0, 1) == OK
    assert h.run("LTRIM", "l", "x", 1) == NOT_INT
    h.run("SET", "s", "v")
    assert h.run("LTRIM", "s", 0, 1) == WRONGTYPE


# -- LPOS --------------------------------------------------------------------------------


def test_lpos(h: Harness) -> None:
    h.run("RPUSH", "l", *"abcabcaa")  # a at 0 3 6 7
    assert h.run("LPOS", "l", "a") == b":0\r\n"
    assert h.run("LPOS", "l", "a", "RANK", 2) == b":3\r\n"
    assert h.run("LPOS", "l", "a", "RANK", -1) == b":7\r\n"
    assert h.run("LPOS", "l", "a", "RANK", -3) == b":3\r\n"
    assert h.run("LPOS", "l", "a", "RANK", 5) == NIL
    assert h.run("LPOS", "l", "a", "COUNT", 0) == ints(0, 3, 6, 7)
    assert h.run("LPOS", "l", "a", "COUNT", 2) == ints(0, 3)
    assert h.run("LPOS", "l", "a", "RANK", -2, "COUNT", 2) == ints(6, 3)
    assert h.run("LPOS", "l", "a", "COUNT", 0, "MAXLEN", 4) == ints(0, 3)
    assert h.run("LPOS", "l", "a", "RANK", -1, "COUNT", 0, "MAXLEN", 2) == ints(7, 6)
    assert h.run("LPOS", "l", "z") == NIL
    assert h.run("LPOS", "l", "z", "COUNT", 1) == EMPTY
    assert h.run("LPOS", "nokey", "a") == NIL
    assert h.run("LPOS", "nokey", "a", "COUNT", 1) == EMPTY
    assert h.run("LPOS", "l", "a", "RANK", LLMAX) == NIL
    assert h.run("LPOS", "l", "a", "RANK", LLMAX, "COUNT", LLMAX) == EMPTY
    # Redis negates RANK in a C long: LLONG_MIN stays negative, every match counts
    assert h.run("LPOS", "l", "a", "RANK", LLMIN) == b":7\r\n"
    assert h.run("LPOS", "l", "a", "RANK", LLMIN, "COUNT", 1) == ints(7, 6, 3, 0)
    assert h.run("LPOS", "l", "a", "rank", 1, "rank", 2) == b":3\r\n"  # the last one wins


def test_lpos_errors(h: Harness) -> None:
    h.run("RPUSH", "l", "a")
    rank0 = (
        b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        b"or use negative to start from the end of the list\r\n"
    )
    assert h.run("LPOS", "l", "a", "RANK", 0) == rank0
    assert h.run("LPOS", "nokey", "a", "RANK", 0) == rank0
    assert h.run("LPOS", "l", "a", "RANK", "x") == NOT_INT
    assert h.run("LPOS", "l", "a", "COUNT", -1) == b"-ERR COUNT can't be negative\r\n"
    assert h.run("LPOS", "l", "a", "COUNT", "x") == b"-ERR COUNT can't be negative\r\n"
    assert h.run("LPOS", "l", "a", "MAXLEN", -1) == b"-ERR MAXLEN can't be negative\r\n"
    assert h.run("LPOS", "l", "a", "RANK") == SYNTAX
    assert h.run("LPOS", "l", "a", "BOGUS", 1) == SYNTAX
    h.run("SET", "s", "v")
    assert h.run("LPOS", "s", "a") == WRONGTYPE
    assert h.run("LPOS", "s", "a", "RANK", 0) == rank0  # options before the type


# -- moves ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wf", "wt", "moved", "src", "dst"),
    [
        ("LEFT", "LEFT", "1", "23", "1ab"),
        ("LEFT", "RIGHT", "1", "23", "ab1"),
        ("RIGHT", "LEFT", "3", "12", "3ab"),
        ("RIGHT", "RIGHT", "3", "12", "ab3"),
    ],
)
def test_lmove(h: Harness, wf: str, wt: str, moved: str, src: str, dst: str) -> None:
    h.run("RPUSH", "s", *"123")
    h.run("RPUSH", "d", *"ab")
    assert h.run("LMOVE", "s", "d", wf, wt.lower()) == b"$1\r\n" + moved.encode() + b"\r\n"
    assert elements(h, "s") == bulks(*src)
    assert elements(h, "d") == bulks(*dst)


def test_lmove_same_key_new_key_and_errors(h: Harness) -> None:
    h.run("RPUSH", "s", "x")
    assert h.run("LMOVE", "s", "s", "LEFT", "RIGHT") == b"$1\r\nx\r\n"
    assert elements(h, "s") == bulks("x")
    assert h.run("RPOPLPUSH", "s", "n") == b"$1\r\nx\r\n"
    assert h.run("EXISTS", "s") == b":0\r\n"
    assert elements(h, "n") == bulks("x")
    assert h.run("LMOVE", "s", "n", "LEFT", "LEFT") == NIL
    assert h.run("RPOPLPUSH", "s", "n") == NIL
    h.run("SET", "str", "v")
    assert h.run("LMOVE", "n", "str", "LEFT", "LEFT") == WRONGTYPE
    assert elements(h, "n") == bulks("x")  # nothing popped
    assert h.run("LMOVE", "str", "n", "LEFT", "LEFT") == WRONGTYPE
    assert h.run("LMOVE", "nokey", "str", "LEFT", "LEFT") == NIL  # source first
    assert h.run("LMOVE", "n", "x", "UP", "LEFT") == SYNTAX
    assert h.run("LMOVE", "n", "x", "LEFT", "DOWN") == SYNTAX
    assert h.run("RPOPLPUSH", "n", "str") == WRONGTYPE


def test_rpoplpush_rotates(h: Harness) -> None:
    h.run("RPUSH", "l", *"abc")
    assert h.run("RPOPLPUSH", "l", "l") == b"$1\r\nc\r\n"
    assert elements(h) == bulks("c", "a", "b")


def test_lmpop(h: Harness) -> None:
    h.run("RPUSH", "a", *"1234")
    h.run("RPUSH", "b", *"xy")
    assert h.run("LMPOP", 2, "nokey", "a", "LEFT") == b"*2\r\n$1\r\na\r\n" + bulks("1")
    assert h.run("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 2) == b"*2\r\n$1\r\na\r\n" + bulks("4", "3")
    assert h.run("LMPOP", 2, "a", "b", "left", "count", 10) == b"*2\r\n$1\r\na\r\n" + bulks("2")
    assert h.run("EXISTS", "a") == b":0\r\n"
    assert h.run("LMPOP", 1, "b", "LEFT", "COUNT", LLMAX) == b"*2\r\n$1\r\nb\r\n" + bulks("x", "y")
    assert h.run("LMPOP", 2, "a", "b", "LEFT") == NIL_ARRAY
    h.run("HELLO", "3")
    assert h.run("LMPOP", 1, "a", "LEFT") == b"_\r\n"


def test_lmpop_errors(h: Harness) -> None:
    h.run("RPUSH", "l", "a")
    h.run("SET", "s", "v")
    numkeys = b"-ERR numkeys should be greater than 0\r\n"
    count = b"-ERR count should be greater than 0\r\n"
    assert h.run("LMPOP", 0, "l", "LEFT") == numkeys
    assert h.run("LMPOP", -1, "l", "LEFT") == numkeys
    assert h.run("LMPOP", "x", "l", "LEFT") == numkeys
    assert h.run("LMPOP", LLMAX, "l", "LEFT") == SYNTAX
    assert h.run("LMPOP", 2, "l", "LEFT") == SYNTAX
    assert h.run("LMPOP", 1, "l", "UP") == SYNTAX
    assert h.run("LMPOP", 1, "l", "LEFT", "COUNT") == SYNTAX
    assert h.run("LMPOP", 1, "l", "LEFT", "COUNT", 0) == count
    assert h.run("LMPOP", 1, "l", "LEFT", "COUNT", "x") == count
    assert h.run("LMPOP", 1, "l", "LEFT", "COUNT", 1, "COUNT", 1) == SYNTAX
    assert h.run("LMPOP", 1, "s", "LEFT") == WRONGTYPE
    assert h.run("LMPOP", 2, "nokey", "s", "LEFT") == WRONGTYPE
    assert h.run("LMPOP", 2, "l", "s", "LEFT") == b"*2\r\n$1\r\nl\r\n" + bulks("a")


def test_wrongtype_on_every_command(h: Harness) -> None:
    h.run("SET", "s", "v")
    for cmd in (
        ("LPUSH", "s", "a"),
        ("RPUSH", "s", "a"),
        ("LPUSHX", "s", "a"),
        ("RPUSHX", "s", "a"),
        ("LPOP", "s"),
        ("RPOP", "s", "1"),
        ("LLEN", "s"),
        ("LRANGE", "s", 0, 1),
        ("LINDEX", "s", 0),
        ("LSET", "s", 0, "a"),
        ("LINSERT", "s", "BEFORE", "a", "b"),
        ("LREM", "s", 0, "a"),
        ("LTRIM", "s", 0, 1),
        ("LPOS", "s", "a"),
        ("LMOVE", "s", "d", "LEFT", "LEFT"),
        ("RPOPLPUSH", "s", "d"),
        ("LMPOP", 1, "s", "LEFT"),
        ("BLPOP", "s", 0),
        ("BRPOP", "s", 0),
        ("BLMOVE", "s", "d", "LEFT", "LEFT", 0),
        ("BRPOPLPUSH", "s", "d", 0),
        ("BLMPOP", 0, 1, "s", "LEFT"),
    ):
        assert h.run(*cmd) == WRONGTYPE, cmd
    h.run("RPUSH", "l", "x")
    assert h.run("GET", "l") == WRONGTYPE
    assert h.run("GET", "s") == b"$1\r\nv\r\n"


def test_command_rows(h: Harness) -> None:
    table = h.server.table
    assert table.lookup(b"lmpop").key_positions([b"lmpop", b"2", b"a", b"b", b"left"]) == [2, 3]
    assert table.lookup(b"blmpop").key_positions(
        [b"blmpop", b"0", b"1", b"a", b"left", b"count", b"2"]
    ) == [3]
    assert table.lookup(b"blpop").key_positions([b"blpop", b"a", b"b", b"0"]) == [1, 2]
    assert table.lookup(b"blmove").key_positions([b"blmove", b"a", b"b", b"l", b"r", b"0"]) == [1, 2]
    # a bad numkeys names no keys (the command itself answers the error)
    assert table.lookup(b"lmpop").key_positions([b"lmpop", b"0", b"a", b"left"]) == []
    assert table.lookup(b"lmpop").key_positions([b"lmpop", b"3", b"a", b"left"]) == []
    # numkeys counts what follows, the direction too, as Redis's key spec
    assert table.lookup(b"lmpop").key_positions([b"lmpop", b"2", b"a", b"left"]) == [2, 3]
    assert h.run("COMMAND", "GETKEYS", "lmpop", "2", "a", "b", "left") == bulks("a", "b")


# -- large lists ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def million() -> List:
    return List(b"%d" % i for i in range(1_000_000))


def big(h: Harness, lst: List) -> None:
    """Install a 1,000,000-element list as ``big`` without a million-argument request."""
    h.server.keyspace.dbs[0].add(b"big", lst.copy())


def test_million_element_list(h: Harness, million: List) -> None:
    big(h, million)
    assert h.run("LLEN", "big") == b":1000000\r\n"
    assert h.run("LINDEX", "big", 500_000) == b"$6\r\n500000\r\n"
    assert h.run("LINDEX", "big", -500_001) == b"$6\r\n499999\r\n"
    assert h.run("LSET", "big", 499_999, "mid") == OK
    assert h.run("LINDEX", "big", 499_999) == b"$3\r\nmid\r\n"
    assert h.run("LRANGE", "big", 999_998, 9999999999) == bulks("999998", "999999")
    assert h.run("LRANGE", "big", -9999999999, 1) == bulks("0", "1")
    assert h.run("LRANGE", "big", -3, LLMAX) == bulks("999997", "999998", "999999")
    assert h.run("LRANGE", "big", 999_999, LLMIN) == EMPTY
    assert h.run("LPOS", "big", "999999", "RANK", -1) == b":999999\r\n"
    assert h.run("LPOS", "big", "999999", "MAXLEN", 10) == NIL
    assert h.run("LPOS", "big", "mid") == b":499999\r\n"
    assert h.run("LREM", "big", 1, "0") == b":1\r\n"
    assert h.run("LREM", "big", -1, "999999") == b":1\r\n"
    assert h.run("LINSERT", "big", "BEFORE", "1", "first") == b":999999\r\n"
    assert h.run("LPOP", "big", 2) == bulks("first", "1")
    assert h.run("RPOP", "big", LLMAX)[:10] == b"*999997\r\n$"
    assert h.run("EXISTS", "big") == b":0\r\n"


def test_million_element_trim(h: Harness, million: List) -> None:
    big(h, million)
    assert h.run("LTRIM", "big", 1, -2) == OK
    assert h.run("LLEN", "big") == b":999998\r\n"
    assert h.run("LTRIM", "big", 499_000, 499_001) == OK
    assert elements(h, "big") == bulks("499001", "499002")


# -- timeouts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "seconds"),
    [
        (b"0", 0.0),
        (b"-0", 0.0),
        (b"1", 1.0),
        (b"0.5", 0.5),
        (b"0.0001", 0.001),  # rounded up to a whole millisecond
        (b"1e-400", 0.001),
        (b"-0.0001", 0.0),  # rounds up to -0: forever
        (b"-0.001", 0.0),
        (b"0x10", 16.0),
        (b"1e3", 1000.0),
        (b"+.5", 0.5),
    ],
)
def test_parse_timeout(arg: bytes, seconds: float) -> None:
    assert parse_timeout(arg) == seconds


@pytest.mark.parametrize(
    ("arg", "msg"),
    [
        (b"x", b"ERR timeout is not a float or out of range"),
        (b"", b"ERR timeout is not a float or out of range"),
        (b" 1", b"ERR timeout is not a float or out of range"),
        (b"1 ", b"ERR timeout is not a float or out of range"),
        (b"nan", b"ERR timeout is not a float or out of range"),
        (b"1\x00", b"ERR timeout is not a float or out of range"),
        (b"1e5000", b"ERR timeout is not a float or out of range"),
        (b"-1", b"ERR timeout is negative"),
        (b"-0.0015", b"ERR timeout is negative"),
        (b"inf", b"ERR timeout is negative"),  # LLONG_MIN after the C conversion
        (b"-inf", b"ERR timeout is negative"),
        (b"1e300", b"ERR timeout is negative"),
        (b"9223372036854775.808", b"ERR timeout is negative"),
    ],
)
def test_parse_timeout_errors(arg: bytes, msg: bytes) -> None:
    with pytest.raises(CommandError) as e:
        parse_timeout(arg)
    assert e.value.msg == msg


# -- blocking ------------------------------------------------------------------------------


class Loop(InLoop):
    """Runs harness requests inside an event loop, so commands may block."""

    def run(self, *args: bytes | str | int, client: Client | None = None) -> bytes:
        async def go() -> bytes:
            return self.h.run(*args, client=client)

        return self.loop.run_until_complete(go())

    def wait(self, c: Client) -> None:
        """Until ``c``'s blocking command ends (served or timed out)."""
        w = self.h.server.blocking.by_client.get(c.id)
        if w is not None:
            self.loop.run_until_complete(asyncio.wait_for(asyncio.shield(w.future), 5))
        self.settle()


@pytest.fixture
def lp(h: Harness) -> Iterator[Loop]:
    loop = Loop(h)
    yield loop
    loop.close()


out = take_output


def blocked(h: Harness) -> int:
    return len(h.server.blocking)


def test_blpop_immediate(h: Harness, lp: Loop) -> None:
    lp.run("RPUSH", "b", "1", "2")
    assert lp.run("BLPOP", "a", "b", 0) == bulks("b", "1")
    assert lp.run("BRPOP", "a", "b", 0) == bulks("b", "2")
    assert lp.run("EXISTS", "b") == b":0\r\n"
    assert blocked(h) == 0


def test_blpop_served_by_lpush(h: Harness, lp: Loop) -> None:
    waiter = h.connect()
    lp.send(waiter, "BLPOP", "k", 0)
    assert out(waiter) == b""
    assert blocked(h) == 1
    assert h.server.keyspace.dbs[0].blocked[b"k"]
    assert lp.run("LPUSH", "k", "v") == b":1\r\n"  # the length after the push
    lp.settle()
    assert out(waiter) == bulks("k", "v")
    assert lp.run("LLEN", "k") == b":0\r\n"  # the waiter took it
    assert blocked(h) == 0
    assert not h.server.keyspace.dbs[0].blocked


def test_one_push_serves_two_waiters_in_order(h: Harness, lp: Loop) -> None:
    w1, w2 = h.connect(), h.connect()
    lp.send(w1, "BLPOP", "k", 0)
    lp.send(w2, "BLPOP", "k", 0)
    assert lp.run("LPUSH", "k", "a", "b", "c") == b":3\r\n"
    lp.settle()
    assert out(w1) == bulks("k", "c")
    assert out(w2) == bulks("k", "b")
    assert lp.run("LRANGE", "k", 0, -1) == bulks("a")


def test_fifo_three_waiters(h: Harness, lp: Loop) -> None:
    ws = [h.connect() for _ in range(3)]
    for w in ws:
        lp.send(w, "BRPOP", "q", 0)
    for i in range(3):
        lp.run("LPUSH", "q", f"job{i}")
        lp.settle()
    assert [out(w) for w in ws] == [bulks("q", f"job{i}") for i in range(3)]


def test_waiter_on_several_keys(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.send(w, "BLPOP", "k1", "k2", "k1", 0)
    assert len(h.server.keyspace.dbs[0].blocked) == 2
    lp.run("RPUSH", "k2", "x")
    lp.settle()
    assert out(w) == bulks("k2", "x")
    assert not h.server.keyspace.dbs[0].blocked


def test_blocked_in_another_db(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.send(w, "SELECT", 3)
    assert out(w) == OK
    lp.send(w, "BLPOP", "k", 0)
    lp.run("RPUSH", "k", "db0")
    lp.settle()
    assert out(w) == b""
    lp.run("SELECT", 3)
    lp.run("RPUSH", "k", "db3")
    lp.settle()
    assert out(w) == bulks("k", "db3")
    assert lp.run("LRANGE", "k", 0, -1) == EMPTY


def test_timeout_replies(h: Harness, lp: Loop) -> None:
    w = h.connect()
    for cmd in (
        ("BLPOP", "k", "0.01"),
        ("BRPOP", "k", "k2", "0.001"),
        ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.01"),
        ("BRPOPLPUSH", "k", "d", "0.01"),
        ("BLMPOP", "0.01", "1", "k", "LEFT"),
    ):
        lp.send(w, *cmd)
        lp.wait(w)
        assert out(w) == NIL_ARRAY, cmd
    lp.send(w, "HELLO", "3")
    out(w)
    lp.send(w, "BLMOVE", "k", "d", "LEFT", "RIGHT", "0.01")
    lp.wait(w)
    assert out(w) == b"_\r\n"
    assert blocked(h) == 0
    assert not h.server.keyspace.dbs[0].blocked


def test_pipeline_behind_a_blocked_command(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.loop.run_until_complete(_feed(w, encode("BLPOP", "k", 0) + encode("LLEN", "k") + encode("PING")))
    assert out(w) == b""
    lp.run("RPUSH", "k", "a", "b")
    lp.settle()
    assert out(w) == bulks("k", "a") + b":1\r\n+PONG\r\n"


async def _feed(c: Client, data: bytes) -> None:
    c.data_received(data)


def test_blmove_served_and_chained(h: Harness, lp: Loop) -> None:
    a, b, c = h.connect(), h.connect(), h.connect()
    lp.send(a, "BLMOVE", "s1", "s2", "LEFT", "RIGHT", 0)
    lp.send(b, "BRPOPLPUSH", "s2", "s3", 0)
    lp.send(c, "BLMPOP", 0, 1, "s3", "LEFT", "COUNT", 3)
    assert blocked(h) == 3
    lp.run("RPUSH", "s1", "x", "y")
    lp.settle()
    assert out(a) == b"$1\r\nx\r\n"
    assert out(b) == b"$1\r\nx\r\n"
    assert out(c) == b"*2\r\n$2\r\ns3\r\n" + bulks("x")
    assert lp.run("LRANGE", "s1", 0, -1) == bulks("y")
    assert lp.run("EXISTS", "s2", "s3") == b":0\r\n"
    assert blocked(h) == 0


def test_blmove_same_key(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.send(w, "BLMOVE", "k", "k", "RIGHT", "LEFT", 0)
    lp.run("RPUSH", "k", "a", "b")
    lp.settle()
    assert out(w) == b"$1\r\nb\r\n"
    assert lp.run("LRANGE", "k", 0, -1) == bulks("b", "a")


def test_blmove_wrongtype_destination_when_served(h: Harness, lp: Loop) -> None:
    a, b = h.connect(), h.connect()
    lp.run("SET", "d", "str")
    lp.send(a, "BLMOVE", "s", "d", "LEFT", "LEFT", 0)
    lp.send(b, "BLPOP", "s", 0)
    lp.run("RPUSH", "s", "1", "2")
    lp.settle()
    assert out(a) == WRONGTYPE
    assert out(b) == bulks("s", "1")
    assert lp.run("LRANGE", "s", 0, -1) == bulks("2")


def test_waiter_skipped_when_key_is_another_type(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.send(w, "BLPOP", "k", 0)
    lp.run("SET", "k", "v")
    lp.run("DEL", "k")
    lp.run("RPUSH", "k", "x")
    lp.settle()
    assert out(w) == bulks("k", "x")


def test_disconnected_waiter_is_forgotten(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.send(w, "BLPOP", "k", 0)
    assert blocked(h) == 1
    w.connection_lost(None)
    assert blocked(h) == 0
    assert not h.server.keyspace.dbs[0].blocked
    assert lp.run("RPUSH", "k", "v") == b":1\r\n"
    lp.settle()
    assert lp.run("LLEN", "k") == b":1\r\n"  # the element stays in the list


def test_client_kill_of_a_waiter(h: Harness, lp: Loop) -> None:
    w = h.connect()
    lp.send(w, "BLPOP", "k", 0)
    assert lp.run("CLIENT", "KILL", "ID", w.id) == b":1\r\n"
    assert w.closed
    assert blocked(h) == 0
    lp.run("RPUSH", "k", "v")
    lp.settle()
    assert lp.run("LRANGE", "k", 0, -1) == bulks("v")


def test_blocked_clients_in_info(h: Harness, lp: Loop) -> None:
    w1, w2 = h.connect(), h.connect()
    lp.send(w1, "BLPOP", "a", 0)
    lp.send(w2, "BLMPOP", 0, 2, "a", "b", "RIGHT")
    assert b"blocked_clients:2\r\n" in lp.run("INFO", "clients")
    lp.run("RPUSH", "b", "1")
    lp.settle()
    assert b"blocked_clients:1\r\n" in lp.run("INFO", "clients")
    lp.run("RPUSH", "a", "1")
    lp.settle()
    assert b"blocked_clients:0\r\n" in lp.run("INFO", "clients")
    assert out(w1) == bulks("a", "1")
    assert out(w2) == b"*2\r\n$1\r\nb\r\n" + bulks("1")


def test_in_multi_acts_as_timeout(h: Harness, lp: Loop) -> None:
    assert lp.run("MULTI") == b"+OK\r\n"
    for cmd in (
        ("BLPOP", "k", 0),
        ("BLMPOP", 0, 1, "k", "LEFT"),
        ("BLMOVE", "k", "d", "LEFT", "LEFT", 0),
        ("BRPOPLPUSH", "k", "d", 0),
        ("RPUSH", "k", "v"),
        ("BLPOP", "k", 0),
    ):
        assert lp.run(*cmd) == b"+QUEUED\r\n"
    # BLMOVE and BRPOPLPUSH answer a null bulk, as Redis
    assert lp.run("EXEC") == (
        b"*6\r\n" + NIL_ARRAY + NIL_ARRAY + NIL + NIL + b":1\r\n" + bulks("k", "v")
    )
    assert blocked(h) == 0


def test_served_waiter_leaves_no_queue(h: Harness, lp: Loop) -> None:
    ws = [h.connect() for _ in range(5)]
    for w in ws:
        lp.send(w, "BLPOP", "k", "x", 0)
    lp.run("RPUSH", "k", *"12345")
    lp.settle()
    assert [out(w) for w in ws] == [bulks("k", str(i)) for i in range(1, 6)]
    assert not h.server.keyspace.dbs[0].blocked
    assert lp.run("EXISTS", "k") == b":0\r\n"
