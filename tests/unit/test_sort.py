"""In-process tests of SORT and SORT_RO (cacheserver/commands/sort.py)."""

from __future__ import annotations

from cacheserver.commands.sort import sort_keys
from helpers import Harness, memory_problems

NOT_DOUBLE = b"-ERR One or more scores can't be converted into double\r\n"


def test_numbers_out_of_a_doubles_range_are_refused(h: Harness) -> None:
    for value in ("1e400", "-1e400", "1e-400"):
        h.run("DEL", "l")
        h.run("RPUSH", "l", "1", value)
        assert h.run("SORT", "l") == NOT_DOUBLE
        assert h.run("SORT", "l", "STORE", "dst") == NOT_DOUBLE
    assert h.run("EXISTS", "dst") == b":0\r\n"  # nothing stored on an error
    h.run("RPUSH", "ok", "2", "1")
    assert h.run("SORT", "ok") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"


def test_store_keeps_the_books_and_signals(h: Harness) -> None:
    changed: list[bytes] = []
    h.server.keyspace.add_modified_hook(lambda db, key: changed.append(key))
    h.run("RPUSH", "l", *[str(i) for i in range(100)])
    h.run("HSET", "h_5", "f", "x" * 100)
    assert h.run("SORT", "l", "DESC", "GET", "#", "GET", "h_*->f", "STORE", "dst") == b":200\r\n"
    assert memory_problems(h.server) == []
    assert h.run("SORT", "nokey", "STORE", "dst") == b":0\r\n"
    assert h.run("EXISTS", "dst") == b":0\r\n"
    assert memory_problems(h.server) == []
    assert changed.count(b"dst") == 2
    h.run("SORT", "l")  # a plain SORT writes nothing
    assert changed.count(b"dst") == 2


def test_sort_keys_finds_the_last_store() -> None:
    argv = [b"SORT", b"k", b"LIMIT", b"store", b"1", b"BY", b"store", b"GET", b"x"]
    assert sort_keys(argv) == [1]
    assert sort_keys([*argv, b"STORE", b"a", b"store", b"b"]) == [1, 12]
    assert sort_keys([b"SORT", b"k", b"STORE"]) == [1]
