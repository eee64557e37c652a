"""Differential tests of the bitmap family (SETBIT, GETBIT, BITCOUNT, BITPOS,
BITOP, BITFIELD, BITFIELD_RO): identical reply bytes to redis-server 7.0.15."""

from __future__ import annotations

import random

from conftest import BIN, LLMAX, LLMIN, Pair


def test_setbit_getbit(d: Pair) -> None:
    d.batch(
        ("SETBIT", "b", "7", "1"),
        ("GET", "b"),
        ("SETBIT", "b", "7", "1"),
        ("SETBIT", "b", "7", "0"),
        ("SETBIT", "b", "100", "1"),
        ("STRLEN", "b"),
        ("GET", "b"),
        ("GETBIT", "b", "100"),
        ("GETBIT", "b", "99"),
        ("GETBIT", "b", "1000000"),
        ("GETBIT", "nokey", "0"),
        ("SETBIT", "s", "0", "1"),
        ("APPEND", "s", "xyz"),
        ("GET", "s"),
        ("SET", "n", "12345"),
        ("SETBIT", "n", "3", "1"),
        ("GET", "n"),
        ("GETBIT", "n", "2"),
        ("SETBIT", BIN, "9", "1"),
        ("GET", BIN),
        ("SETBIT", "", "0", "1"),
        ("GET", ""),
    )


def test_setbit_getbit_errors(d: Pair) -> None:
    d.check("RPUSH", "list", "x")
    d.batch(
        ("SETBIT", "b", "-1", "1"),
        ("SETBIT", "b", "x", "1"),
        ("SETBIT", "b", "1.5", "1"),
        ("SETBIT", "b", "4294967296", "1"),
        ("SETBIT", "b", "4294967295", "2"),
        ("SETBIT", "b", "0", "2"),
        ("SETBIT", "b", "0", "-1"),
        ("SETBIT", "b", "0", "x"),
        ("SETBIT", "b", "0", ""),
        ("SETBIT", "b", LLMAX, "1"),
        ("SETBIT", "list", "0", "1"),
        ("SETBIT", "list", "-1", "1"),
        ("GETBIT", "list", "0"),
        ("GETBIT", "b", "-1"),
        ("GETBIT", "b", "x"),
        ("GETBIT", "b", "4294967296"),
        ("GETBIT", "b", "4294967295"),
        ("SETBIT", "b", "0"),
        ("GETBIT", "b"),
        ("GETBIT", "b", "0", "1"),
        ("EXISTS", "b"),
    )


def test_setbit_keeps_the_ttl(d: Pair) -> None:
    d.batch(
        ("SET", "t", "a", "EX", "100"),
        ("SETBIT", "t", "20", "1"),
        ("TTL", "t"),
        ("GET", "t"),
    )


def test_bitcount(d: Pair) -> None:
    d.check("SET", "s", "foobar")
    d.check("SET", "e", "")
    d.check("RPUSH", "list", "x")
    cases = [
        ("BITCOUNT", "s"),
        ("BITCOUNT", "s", "0", "0"),
        ("BITCOUNT", "s", "1", "1"),
        ("BITCOUNT", "s", "1", "-1"),
        ("BITCOUNT", "s", "-2", "-1"),
        ("BITCOUNT", "s", "-1", "-2"),
        ("BITCOUNT", "s", "-100", "100"),
        ("BITCOUNT", "s", "100", "200"),
        ("BITCOUNT", "s", "3", "1"),
        ("BITCOUNT", "s", "5", "30", "BIT"),
        ("BITCOUNT", "s", "5", "30", "bit"),
        ("BITCOUNT", "s", "0", "-1", "BYTE"),
        ("BITCOUNT", "s", "-5", "-1", "BIT"),
        ("BITCOUNT", "s", "1", "6", "BIT"),
        ("BITCOUNT", "s", "7", "7", "BIT"),
        ("BITCOUNT", "s", "9", "9", "BIT"),
        ("BITCOUNT", "s", "0", "1000", "BIT"),
        ("BITCOUNT", "s", "-1", "-2", "foo"),
        ("BITCOUNT", "s", "0", "1", "foo"),
        ("BITCOUNT", "s", "0"),
        ("BITCOUNT", "s", "0", "1", "BIT", "x"),
        ("BITCOUNT", "s", "x", "1"),
        ("BITCOUNT", "s", "1", "x"),
        ("BITCOUNT", "s", LLMIN, LLMAX),
        ("BITCOUNT", "s", LLMIN, LLMAX, "BIT"),
        ("BITCOUNT", "e"),
        ("BITCOUNT", "e", "0", "-1"),
        ("BITCOUNT", "nokey"),
        ("BITCOUNT", "nokey", "0"),
        ("BITCOUNT", "nokey", "x", "y"),
        ("BITCOUNT", "list"),
        ("BITCOUNT", "list", "x"),
        ("BITCOUNT", "list", "0", "1"),
    ]
    d.batch(*cases)


def test_bitpos(d: Pair) -> None:
    d.check("SET", "s", b"\xff\xf0\x00")
    d.check("SET", "ones", b"\xff\xff\xff")
    d.check("SET", "zeros", b"\x00\x00\x00")
    d.check("SET", "e", "")
    d.check("RPUSH", "list", "x")
    cases: list[tuple[str, ...]] = []
    for key in ("s", "ones", "zeros", "e"):
        for bit in ("0", "1"):
            cases += [
                ("BITPOS", key, bit),
                ("BITPOS", key, bit, "0"),
                ("BITPOS", key, bit, "1"),
                ("BITPOS", key, bit, "2"),
                ("BITPOS", key, bit, "-1"),
                ("BITPOS", key, bit, "5"),
                ("BITPOS", key, bit, "0", "-1"),
                ("BITPOS", key, bit, "1", "1"),
                ("BITPOS", key, bit, "2", "-1"),
                ("BITPOS", key, bit, "2", "1"),
                ("BITPOS", key, bit, "0", "0", "BYTE"),
                ("BITPOS", key, bit, "7", "15", "BIT"),
                ("BITPOS", key, bit, "3", "5", "BIT"),
                ("BITPOS", key, bit, "12", "12", "BIT"),
                ("BITPOS", key, bit, "9", "22", "BIT"),
                ("BITPOS", key, bit, "0", "23", "BIT"),
                ("BITPOS", key, bit, "-3", "-1", "BIT"),
                ("BITPOS", key, bit, "16", "16", "BIT"),
                ("BITPOS", key, bit, "8", "15", "BIT"),
                ("BITPOS", key, bit, "100", "200", "BIT"),
                ("BITPOS", key, bit, LLMIN, LLMAX),
            ]
    cases += [
        ("BITPOS", "s", "2"),
        ("BITPOS", "s", "-1"),
        ("BITPOS", "s", "x"),
        ("BITPOS", "nokey", "2"),
        ("BITPOS", "nokey", "0"),
        ("BITPOS", "nokey", "1"),
        ("BITPOS", "nokey", "1", "x"),
        ("BITPOS", "list", "1"),
        ("BITPOS", "list", "2"),
        ("BITPOS", "s", "1", "x"),
        ("BITPOS", "s", "1", "0", "x"),
        ("BITPOS", "s", "1", "0", "1", "foo"),
        ("BITPOS", "s", "1", "x", "1", "foo"),
        ("BITPOS", "s", "1", "0", "1", "BIT", "x"),
    ]
    d.batch(*cases)


def test_bitpos_random(d: Pair) -> None:
    rnd = random.Random(7)
    for _ in range(20):
        value = bytes(rnd.choice([0, 255, rnd.randrange(256)]) for _ in range(rnd.randrange(1, 9)))
        d.check("SET", "r", value)
        cases = []
        for _ in range(20):
            bit = str(rnd.randrange(2))
            unit = rnd.choice(["BIT", "BYTE"])
            span = len(value) * (8 if unit == "BIT" else 1)
            a, b = rnd.randrange(-span - 2, span + 2), rnd.randrange(-span - 2, span + 2)
            cases += [("BITPOS", "r", bit, str(a), str(b), unit), ("BITPOS", "r", bit, str(a))]
            cases.append(("BITCOUNT", "r", str(a), str(b), unit))
        d.batch(*cases)


def test_bitop(d: Pair) -> None:
    d.check("SET", "a", b"\x0f\xf0\xaa")
    d.check("SET", "b", b"\xff")
    d.check("SET", "c", BIN)
    d.check("RPUSH", "list", "x")
    d.check("SET", "ttl", "v", "EX", "100")
    cases: list[tuple[str, ...]] = []
    for op in ("AND", "OR", "XOR", "and", "Or"):
        cases += [
            ("BITOP", op, "dst", "a", "b"),
            ("GET", "dst"),
            ("BITOP", op, "dst", "a", "b", "c", "nokey"),
            ("GET", "dst"),
            ("BITOP", op, "dst", "a"),
            ("GET", "dst"),
        ]
    cases += [
        ("BITOP", "NOT", "dst", "a"),
        ("GET", "dst"),
        ("BITOP", "not", "dst", "c"),
        ("GET", "dst"),
        ("BITOP", "NOT", "dst", "a", "b"),
        ("BITOP", "NOT", "dst", "nokey"),
        ("EXISTS", "dst"),
        ("SET", "dst", "x"),
        ("BITOP", "AND", "dst", "nokey", "nokey2"),
        ("EXISTS", "dst"),
        ("BITOP", "AND", "ttl", "a"),
        ("TTL", "ttl"),
        ("GET", "ttl"),
        ("BITOP", "NAND", "dst", "a"),
        ("BITOP", "AND", "dst", "a", "list"),
        ("BITOP", "AND", "list", "a"),
        ("TYPE", "list"),
        ("BITOP", "AND", "dst"),
        ("BITOP", "AND", "a", "a", "b"),
        ("GET", "a"),
        ("BITOP", "OR", "e", "nokey", "b"),
        ("GET", "e"),
    ]
    d.batch(*cases)


def test_bitfield(d: Pair) -> None:
    d.batch(
        ("BITFIELD", "f", "SET", "u8", "0", "255", "GET", "u8", "0"),
        ("GET", "f"),
        ("BITFIELD", "f", "GET", "i8", "0", "GET", "u4", "0", "GET", "i4", "4", "GET", "u1", "7"),
        ("BITFIELD", "f", "SET", "i8", "#1", "-100", "GET", "i8", "#1", "GET", "u8", "8"),
        ("BITFIELD", "f", "INCRBY", "u2", "100", "1", "GET", "u2", "100"),
        ("STRLEN", "f"),
        ("BITFIELD", "f", "INCRBY", "u2", "100", "4", "INCRBY", "u2", "100", "-7"),
        (
            "BITFIELD",
            "f",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "u2",
            "100",
            "10",
            "INCRBY",
            "u2",
            "100",
            "-10",
        ),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "10", "GET", "u2", "100"),
        ("BITFIELD", "f", "overflow", "wrap", "incrby", "i5", "20", "100", "get", "i5", "20"),
        (
            "BITFIELD",
            "f",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i5",
            "20",
            "100",
            "INCRBY",
            "i5",
            "20",
            "-100",
        ),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "i5", "20", "100", "SET", "i5", "20", "-16"),
        ("BITFIELD", "f", "OVERFLOW", "SAT", "SET", "u5", "20", "-1", "SET", "i5", "20", "-17"),
        ("BITFIELD", "f", "OVERFLOW", "WRAP", "SET", "u5", "20", "-1", "SET", "i5", "20", "17"),
        ("BITFIELD", "f", "SET", "i64", "0", LLMIN, "GET", "i64", "0", "GET", "u63", "1"),
        ("BITFIELD", "f", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "1"),
        (
            "BITFIELD",
            "f",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i64",
            "0",
            LLMIN,
            "INCRBY",
            "i64",
            "0",
            "-1",
        ),
        ("BITFIELD", "f", "SET", "i64", "0", LLMAX, "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "1"),
        ("BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i64", "0", LLMAX),
        ("BITFIELD", "f", "SET", "u63", "3", LLMAX, "INCRBY", "u63", "3", "1", "GET", "u63", "3"),
        ("BITFIELD", "f", "GET", "u8", "1000", "GET", "i16", "#100"),
        ("GET", "f"),
        ("BITFIELD", "f"),
        ("BITFIELD", "f", "OVERFLOW", "SAT"),
        ("BITFIELD", "nokey", "GET", "u8", "0"),
        ("EXISTS", "nokey"),
        ("BITFIELD", "nokey", "OVERFLOW", "FAIL", "SET", "u2", "0", "9"),
        ("EXISTS", "nokey"),
        ("GET", "nokey"),
        ("BITFIELD", "nokey2"),
        ("EXISTS", "nokey2"),
    )


def test_bitfield_errors(d: Pair) -> None:
    d.check("RPUSH", "list", "x")
    d.check("SET", "f", "abc")
    d.batch(
        ("BITFIELD", "f", "GET", "u64", "0"),
        ("BITFIELD", "f", "GET", "i65", "0"),
        ("BITFIELD", "f", "GET", "i0", "0"),
        ("BITFIELD", "f", "GET", "U8", "0"),
        ("BITFIELD", "f", "GET", "x8", "0"),
        ("BITFIELD", "f", "GET", "u", "0"),
        ("BITFIELD", "f", "GET", "u8x", "0"),
        ("BITFIELD", "f", "GET", "u-8", "0"),
        ("BITFIELD", "f", "GET", "u8", "-1"),
        ("BITFIELD", "f", "GET", "u8", "x"),
        ("BITFIELD", "f", "GET", "u8", "#-1"),
        ("BITFIELD", "f", "GET", "u8", "#x"),
        ("BITFIELD", "f", "GET", "u8", "4294967296"),
        ("BITFIELD", "f", "GET", "u8", "#536870912"),
        ("BITFIELD", "f", "GET", "u8"),
        ("BITFIELD", "f", "SET", "u8", "0"),
        ("BITFIELD", "f", "SET", "u8", "0", "x"),
        ("BITFIELD", "f", "INCRBY", "u8", "0", "1.5"),
        ("BITFIELD", "f", "OVERFLOW"),
        ("BITFIELD", "f", "OVERFLOW", "MAYBE", "GET", "u8", "0"),
        ("BITFIELD", "f", "FOO", "u8", "0"),
        ("BITFIELD", "f", "GET", "u8", "0", "SET", "u8", "0"),
        ("BITFIELD", "f", "SET", "u8", "0", "65", "GET", "u8", "x"),
        ("GET", "f"),
        ("BITFIELD", "list", "GET", "u8", "0"),
        ("BITFIELD", "list", "SET", "u8", "0", "1"),
        ("BITFIELD", "list"),
        ("BITFIELD_RO", "f", "GET", "u8", "0", "GET", "i4", "#1"),
        ("BITFIELD_RO", "f", "SET", "u8", "0", "1"),
        ("BITFIELD_RO", "f", "INCRBY", "u8", "0", "1"),
        ("BITFIELD_RO", "f", "OVERFLOW", "SAT", "GET", "u8", "0"),
        ("BITFIELD_RO", "f"),
        ("BITFIELD_RO", "list", "GET", "u8", "0"),
        ("BITFIELD_RO", "nokey", "GET", "u8", "0"),
        ("GET", "f"),
    )


def test_bitfield_random(d: Pair) -> None:
    rnd = random.Random(11)
    d.check("SET", "r", bytes(rnd.randrange(256) for _ in range(16)))
    for _ in range(30):
        cmd: list[str] = ["BITFIELD", "r"]
        for _ in range(rnd.randrange(1, 6)):
            sign = rnd.choice("iu")
            bits = rnd.randrange(1, 65 if sign == "i" else 64)
            offset = str(rnd.randrange(0, 140))
            op = rnd.choice(["GET", "SET", "INCRBY", "OVERFLOW"])
            if op == "OVERFLOW":
                cmd += [op, rnd.choice(["WRAP", "SAT", "FAIL"])]
            elif op == "GET":
                cmd += [op, f"{sign}{bits}", offset]
            else:
                value = rnd.choice(
                    [rnd.randrange(-(1 << 63), 1 << 63), rnd.randrange(-300, 300), (1 << bits) - 1]
                )
                cmd += [op, f"{sign}{bits}", offset, str(value)]
        d.check(*cmd)
        d.check("GET", "r")


def test_bitmaps_resp3(d: Pair) -> None:
    d.resp3()
    d.batch(
        ("SETBIT", "b", "3", "1"),
        ("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u1", "3", "1", "GET", "u4", "0"),
        ("BITFIELD_RO", "b", "GET", "u4", "0"),
        ("BITCOUNT", "b"),
        ("BITPOS", "b", "1"),
    )
