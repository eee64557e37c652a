"""Differential tests of PFADD, PFCOUNT and PFMERGE against redis-server
7.0.15: replies, and the HyperLogLog strings themselves (GET) byte for byte,
sparse and dense, through every way a sparse one grows."""

from __future__ import annotations

import random

from conftest import BIN, Pair


def test_pfadd_pfcount_and_the_stored_bytes(d: Pair) -> None:
    d.batch(
        ("PFADD", "h"),
        ("GET", "h"),
        ("PFCOUNT", "h"),
        ("GET", "h"),
        ("PFADD", "h", "a", "b", "c"),
        ("PFADD", "h", "a"),
        ("GET", "h"),
        ("PFCOUNT", "h"),
        ("GET", "h"),
        ("PFADD", "h", "", BIN, "x" * 1000),
        ("PFCOUNT", "h"),
        ("GET", "h"),
        ("PFCOUNT", "nokey"),
        ("EXISTS", "nokey"),
    )


def test_a_sparse_hll_grows_as_redis_grows_it(d: Pair) -> None:
    rnd = random.Random(5)
    for step in range(60):
        batch = [
            ("PFADD", "g", *(f"e{rnd.randrange(1 << 30)}" for _ in range(rnd.randrange(1, 40))))
        ]
        batch += [("GET", "g"), ("PFCOUNT", "g")]
        if step % 7 == 0:
            batch.append(("PFADD", "g", *(f"e{i}" for i in range(step))))  # repeats
        d.batch(*batch)


def test_dense_counts_and_promotion_by_value(d: Pair) -> None:
    d.check("CONFIG", "SET", "hll-sparse-max-bytes", "200")
    try:
        for n in (1, 10, 50, 100):
            d.check("PFADD", f"s{n}", *(f"m{i}" for i in range(n)))
            d.check("GET", f"s{n}")
        for start in range(0, 20000, 2500):
            d.check("PFADD", "big", *(f"k{i}" for i in range(start, start + 2500)))
            d.check("PFCOUNT", "big")
        d.check("GET", "big")
    finally:
        d.check("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    d.check("CONFIG", "GET", "hll-sparse-max-bytes")


def test_pfcount_of_many_and_pfmerge(d: Pair) -> None:
    d.check("PFADD", "a", *(f"x{i}" for i in range(300)))
    d.check("PFADD", "b", *(f"x{i}" for i in range(200, 900)))
    d.check("CONFIG", "SET", "hll-sparse-max-bytes", "10")
    d.check("PFADD", "dense", *(f"y{i}" for i in range(50)))
    d.check("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    d.batch(
        ("GET", "dense"),
        ("PFCOUNT", "a", "b"),
        ("PFCOUNT", "a", "b", "nokey"),
        ("PFCOUNT", "nokey", "nokey2"),
        ("PFCOUNT", "a", "dense"),
        ("GET", "a"),
        ("PFMERGE", "ab", "a", "b"),
        ("GET", "ab"),
        ("PFCOUNT", "ab"),
        ("PFMERGE", "a", "b"),
        ("GET", "a"),
        ("PFMERGE", "ad", "a", "dense"),
        ("GET", "ad"),
        ("PFCOUNT", "ad"),
        ("PFMERGE", "empty"),
        ("GET", "empty"),
        ("PFMERGE", "empty2", "nokey"),
        ("GET", "empty2"),
        ("SET", "ttl", "x", "EX", "100"),
        ("DEL", "ttl"),
        ("PFADD", "ttl", "a"),
        ("EXPIRE", "ttl", "100"),
        ("PFADD", "ttl", "zzz"),
        ("TTL", "ttl"),
    )


def test_errors(d: Pair) -> None:
    d.check("RPUSH", "list", "x")
    d.check("SET", "str", "not an hll")
    d.check("SET", "short", "HYLL")
    d.check("SET", "badenc", b"HYLL\x02" + bytes(11) + b"\x7f\xff")
    d.check("SET", "baddense", b"HYLL\x00" + bytes(11) + bytes(100))
    d.check("SET", "corrupt", b"HYLL\x01" + bytes(11) + b"\x7f\x00")  # covers 16129 registers
    d.batch(
        ("PFADD", "list", "a"),
        ("PFADD", "str", "a"),
        ("PFADD", "short", "a"),
        ("PFADD", "badenc", "a"),
        ("PFADD", "baddense", "a"),
        ("PFCOUNT", "list"),
        ("PFCOUNT", "str"),
        ("PFCOUNT", "corrupt"),
        ("PFCOUNT", "corrupt", "nokey"),
        ("PFMERGE", "dst", "str"),
        ("PFMERGE", "dst", "list"),
        ("PFMERGE", "dst", "corrupt"),
        ("PFMERGE", "str", "nokey"),
        ("EXISTS", "dst"),
        ("PFADD",),
        ("PFCOUNT",),
        ("PFMERGE",),
    )


def test_resp3(d: Pair) -> None:
    d.resp3()
    d.batch(("PFADD", "h", "a"), ("PFCOUNT", "h"), ("PFMERGE", "h2", "h"), ("GET", "h2"))
