"""In-process tests of the HyperLogLog module (cacheserver/commands/hyperloglog.py)."""

from __future__ import annotations

import random

from cacheserver.commands.hyperloglog import (
    DENSE,
    DENSE_SIZE,
    REGISTERS,
    _dense_get,
    _to_dense,
    add,
    count,
    new_hll,
    registers,
    sparse_set,
)
from helpers import Harness, memory_problems


def test_a_count_over_32_turns_the_hll_dense() -> None:
    hll = new_hll()
    assert sparse_set(hll, 7, 3, 3000) == 1
    assert sparse_set(hll, 5, 40, 3000) == 1  # VAL holds 1-32 only
    assert hll[4] == DENSE and len(hll) == DENSE_SIZE
    assert (_dense_get(hll, 5), _dense_get(hll, 7), _dense_get(hll, REGISTERS - 1)) == (40, 3, 0)


def test_sparse_and_dense_hold_the_same_registers() -> None:
    rnd = random.Random(9)
    hll = new_hll()
    for _ in range(500):
        assert add(hll, b"%d" % rnd.getrandbits(40), 1 << 20) >= 0
    sparse = registers(hll)
    assert sparse is not None and hll[4] != DENSE
    dense = bytearray(hll)
    assert _to_dense(dense)
    assert registers(dense) == sparse
    assert count(sparse) == count(registers(dense) or b"")
    assert 450 <= count(sparse) <= 550


def test_the_memory_books_follow_every_write(h: Harness) -> None:
    h.run("PFADD", "a", *[f"x{i}" for i in range(100)])
    h.run("CONFIG", "SET", "hll-sparse-max-bytes", "50")
    h.run("PFADD", "a", "one more")  # turns dense
    h.run("PFCOUNT", "a")
    h.run("SET", "b", h.run("GET", "a")[h.run("GET", "a").index(b"\n") + 1 : -2])
    h.run("PFMERGE", "c", "a", "b")
    assert memory_problems(h.server) == []


def walk(hll: bytearray, index: int) -> tuple[int, int, int, int, int]:
    """redis hllSparseSet's opcode walk, written out."""
    p, first, prev = 16, 0, -1
    while True:
        op = hll[p]
        oplen = 2 if op & 0xC0 == 0x40 else 1
        if op & 0x80:
            span = (op & 3) + 1
        elif op & 0x40:
            span = (((op & 0x3F) << 8) | hll[p + 1]) + 1
        else:
            span = (op & 0x3F) + 1
        if index <= first + span - 1:
            return p, first, span, oplen, prev
        prev, p, first = p, p + oplen, first + span


def test_locate_finds_what_the_opcode_walk_finds() -> None:
    from cacheserver.commands.hyperloglog import _locate

    rnd = random.Random(4)
    hll = new_hll()
    step = 0
    while hll[4] != DENSE:
        if step % 8 == 0:
            for index in [0, REGISTERS - 1, *(rnd.randrange(REGISTERS) for _ in range(20))]:
                assert _locate(hll, index) == walk(hll, index)
        add(hll, b"%d" % rnd.getrandbits(40), 3000)
        step += 1
