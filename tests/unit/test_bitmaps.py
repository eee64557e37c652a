"""In-process tests of the bitmap family (cacheserver/commands/bitmaps.py):
the bit helpers against a plain Python model, the memory books and the
change signals of every write."""

from __future__ import annotations

import random

import pytest

from cacheserver.commands.bitmaps import _first_bit, _get_field, _popcount, _set_field
from helpers import Harness, memory_problems


def bits_of(p: bytes) -> str:
    return "".join(f"{b:08b}" for b in p)


def test_popcount_and_first_bit_against_a_model() -> None:
    rnd = random.Random(3)
    for _ in range(2000):
        p = bytes(rnd.choice([0, 255, rnd.randrange(256)]) for _ in range(rnd.randrange(1, 12)))
        s = bits_of(p)
        lo = rnd.randrange(len(s))
        hi = rnd.randrange(lo, len(s))
        assert _popcount(p, lo, hi) == s[lo : hi + 1].count("1")
        for bit in "01":
            i = s.find(bit, lo, hi + 1)
            assert _first_bit(p, lo, hi, int(bit)) == i, (p, lo, hi, bit)


def test_fields_against_a_model() -> None:
    rnd = random.Random(5)
    for _ in range(2000):
        p = bytearray(rnd.randrange(256) for _ in range(rnd.randrange(1, 12)))
        bits = rnd.randrange(1, 65)
        offset = rnd.randrange(len(p) * 8 + 16)
        s = bits_of(p).ljust(offset + bits, "0")
        unsigned = int(s[offset : offset + bits], 2)
        signed = unsigned - (1 << bits) if s[offset] == "1" else unsigned
        assert _get_field(p, offset, bits, False) == unsigned
        assert _get_field(p, offset, bits, True) == signed
        if offset + bits <= len(p) * 8:
            value = rnd.getrandbits(bits)
            _set_field(p, offset, bits, value)
            t = bits_of(p)
            assert t[offset : offset + bits] == f"{value:0{bits}b}"
            assert t[:offset] == s[:offset] and t[offset + bits :] == s[offset + bits : len(t)]


@pytest.mark.parametrize(
    "commands",
    [
        [("SETBIT", "k", "100", "1")],
        [("SET", "k", "abc"), ("SETBIT", "k", "1000", "1"), ("SETBIT", "k", "3", "0")],
        [("SETBIT", "k", "7", "1"), ("APPEND", "k", "xyz"), ("SETBIT", "k", "200", "1")],
        [("BITFIELD", "k", "SET", "u8", "#40", "200", "INCRBY", "i5", "3", "7")],
        [("SET", "k", "abc"), ("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "1000", "9")],
        [("SET", "a", "x" * 50), ("BITOP", "NOT", "k", "a"), ("BITOP", "AND", "k", "a", "z")],
        [("SETBIT", "k", "10", "1"), ("BITOP", "OR", "k", "nokey")],
    ],
)
def test_the_memory_books_follow_every_write(h: Harness, commands: list[tuple[str, ...]]) -> None:
    for cmd in commands:
        assert not h.run(*cmd).startswith(b"-"), cmd
        assert memory_problems(h.server) == [], cmd


def test_writes_signal_changes_and_no_ops_do_not(h: Harness) -> None:
    changed: list[bytes] = []
    h.server.keyspace.add_modified_hook(lambda db, key: changed.append(key))
    h.run("SETBIT", "k", "3", "1")
    h.run("SETBIT", "k", "3", "1")  # already set
    h.run("BITFIELD", "k", "GET", "u8", "0")
    h.run("BITFIELD", "k", "SET", "u4", "0", "1")  # the same bits: 0001
    h.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u4", "0", "100")
    h.run("BITFIELD_RO", "k", "GET", "u8", "0")
    assert changed == [b"k"]
    h.run("SETBIT", "k", "3", "0")
    h.run("BITFIELD", "k", "INCRBY", "u4", "0", "1")
    assert changed == [b"k"] * 3


def test_setbit_past_proto_max_bulk_len_is_refused(h: Harness) -> None:
    h.run("CONFIG", "SET", "proto-max-bulk-len", "1mb")
    err = b"-ERR bit offset is not an integer or out of range\r\n"
    assert h.run("SETBIT", "k", str(8 * 1024 * 1024), "1") == err
    assert h.run("BITFIELD", "k", "SET", "u8", "#1048576", "1") == err
    assert h.run("SETBIT", "k", str(8 * 1024 * 1024 - 1), "1") == b":0\r\n"
    assert h.run("STRLEN", "k") == b":1048576\r\n"
    assert memory_problems(h.server) == []
