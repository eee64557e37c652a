"""Differential tests of the hash family: identical reply bytes to redis-server 7.0.15.

Small hashes are listpacks in Redis, whose order is insertion order, as ours:
their replies (HGETALL, HKEYS, HSCAN, HRANDFIELD of the whole hash) are
compared byte for byte.  Hashtable-encoded hashes have no defined order:
those replies are compared sorted.  Random draws are compared by shape and
membership.  The field-TTL commands (Redis 7.4+) do not exist in 7.0 and are
tested in tests/unit/test_hashes.py.

Never send HRANDFIELD a large negative count that Redis accepts: it builds
the whole reply in memory (-9223372036854775807 brings the server down).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from conftest import BIN, LLMAX, LLMIN, Pair, parse


def pairs_of(flat: list[Any]) -> list[tuple[Any, Any]]:
    return sorted(zip(flat[::2], flat[1::2], strict=True))


def fill(d: Pair, key: str, n: int, value: bytes = b"v") -> None:
    """A hash of ``n`` fields on both servers (a hashtable past 512)."""
    args: list[bytes] = []
    for i in range(n):
        args += [b"f%d" % i, value + b"%d" % i]
    for i in range(0, len(args), 200):
        d.check("HSET", key, *args[i : i + 200])


# -- every command, small hashes, byte for byte --------------------------------------


def test_basic_commands(d: Pair) -> None:
    d.batch(
        ("HSET", "k", "a", "1", "b", "2"),
        ("HSET", "k", "a", "3", "c", "4", "c", "5"),
        ("HGET", "k", "a"),
        ("HGET", "k", "nope"),
        ("HGET", "nokey", "a"),
        ("HMSET", "k", "d", "6", "e", "7"),
        ("HSETNX", "k", "a", "x"),
        ("HSETNX", "k", "f", "8"),
        ("HSETNX", "new", "f", "8"),
        ("HMGET", "k", "a", "nope", "e", "a"),
        ("HMGET", "nokey", "a", "b"),
        ("HLEN", "k"),
        ("HLEN", "nokey"),
        ("HSTRLEN", "k", "a"),
        ("HSTRLEN", "k", "nope"),
        ("HSTRLEN", "nokey", "a"),
        ("HEXISTS", "k", "a"),
        ("HEXISTS", "k", "nope"),
        ("HEXISTS", "nokey", "a"),
        ("HKEYS", "k"),
        ("HVALS", "k"),
        ("HGETALL", "k"),
        ("HKEYS", "nokey"),
        ("HVALS", "nokey"),
        ("HGETALL", "nokey"),
        ("HDEL", "k", "a", "nope", "a"),
        ("HDEL", "k", "b", "c", "d"),
        ("HGETALL", "k"),
        ("HDEL", "k", "e", "f", "g"),
        ("EXISTS", "k"),
        ("HDEL", "k", "e"),
        ("HDEL", "nokey", "e"),
        ("TYPE", "new"),
        ("OBJECT", "ENCODING", "new"),
    )


def test_order_after_updates_and_deletes(d: Pair) -> None:
    d.batch(
        ("HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4"),
        ("HSET", "k", "b", "22"),  # in place
        ("HDEL", "k", "a"),
        ("HSET", "k", "a", "11"),  # at the end now
        ("HINCRBY", "k", "c", "5"),
        ("HINCRBYFLOAT", "k", "d", "0.5"),
        ("HSETNX", "k", "e", "5"),
        ("HGETALL", "k"),
        ("HKEYS", "k"),
        ("HVALS", "k"),
        ("HSCAN", "k", "0"),
        ("HRANDFIELD", "k", "5"),
        ("HRANDFIELD", "k", "100", "WITHVALUES"),
    )


@pytest.mark.parametrize("proto", ["2", "3"])
def test_binary_and_empty_fields_and_values(d: Pair, proto: str) -> None:
    if proto == "3":
        d.resp3()
    fields = [b"", BIN, b"\x00", b"\xff\xfe", b" ", b"-1", b"1.5", b"9223372036854775808", b"007"]
    for i, f in enumerate(fields):
        d.check("HSET", BIN, f, fields[-1 - i])
        d.check("HSET", b"", f, b"")
    d.batch(
        ("HGETALL", BIN),
        ("HGETALL", b""),
        ("HKEYS", BIN),
        ("HVALS", BIN),
        ("HMGET", BIN, *fields, b"nope"),
        *[("HGET", BIN, f) for f in fields],
        *[("HSTRLEN", BIN, f) for f in fields],
        *[("HEXISTS", b"", f) for f in fields],
        ("HSCAN", BIN, "0"),
        ("HSCAN", BIN, "0", "MATCH", "\\x*"),
        ("HSCAN", b"", "0", "MATCH", "*"),
        ("HSCAN", b"", "0", "MATCH", ""),
        ("HRANDFIELD", BIN, "100"),
        ("HRANDFIELD", BIN, "100", "WITHVALUES"),
        ("HLEN", BIN),
        ("HDEL", BIN, *fields[:4]),
        ("HGETALL", BIN),
        ("OBJECT", "ENCODING", BIN),
    )


def test_resp3_replies(d: Pair) -> None:
    d.check("HSET", "k", "a", "1", "b", "2")
    d.check("HSET", "one", "x", "y")
    d.resp3()
    d.batch(
        ("HGETALL", "k"),
        ("HGETALL", "nokey"),
        ("HGET", "k", "nope"),
        ("HGET", "nokey", "a"),
        ("HMGET", "k", "a", "nope"),
        ("HMGET", "nokey", "a"),
        ("HKEYS", "k"),
        ("HVALS", "nokey"),
        ("HRANDFIELD", "nokey"),
        ("HRANDFIELD", "nokey", "3"),
        ("HRANDFIELD", "nokey", "3", "WITHVALUES"),
        ("HRANDFIELD", "k", "0", "WITHVALUES"),
        ("HRANDFIELD", "k", "2", "WITHVALUES"),
        ("HRANDFIELD", "k", "9", "WITHVALUES"),
        ("HRANDFIELD", "one"),
        ("HRANDFIELD", "one", "1", "WITHVALUES"),
        ("HRANDFIELD", "one", "-3", "WITHVALUES"),
        ("HRANDFIELD", "one", "-3"),
        ("HSCAN", "k", "0"),
        ("HSCAN", "nokey", "0"),
        ("HINCRBYFLOAT", "k", "f", "1.25"),
        ("HINCRBY", "k", "i", "-3"),
    )


# -- errors -----------------------------------------------------------------------------------


def test_arity_errors(d: Pair) -> None:
    d.batch(
        ("HSET", "k"),
        ("HSET", "k", "a"),
        ("HSET", "k", "a", "1", "b"),
        ("HMSET", "k", "a"),
        ("HMSET", "k", "a", "1", "b"),
        ("EXISTS", "k"),
        ("HSETNX", "k", "a"),
        ("HSETNX", "k", "a", "1", "2"),
        ("HGET", "k"),
        ("HGET", "k", "a", "b"),
        ("HMGET", "k"),
        ("HDEL", "k"),
        ("HLEN",),
        ("HLEN", "k", "x"),
        ("HSTRLEN", "k"),
        ("HEXISTS", "k"),
        ("HKEYS", "k", "x"),
        ("HVALS",),
        ("HGETALL", "k", "x"),
        ("HINCRBY", "k", "a"),
        ("HINCRBYFLOAT", "k", "a"),
        ("HRANDFIELD",),
        ("HSCAN", "k"),
        ("hset", "k"),
        ("HsEt", "k", "a"),
    )


WRONGTYPE = [
    ("HSET", "s", "a", "1"),
    ("HMSET", "s", "a", "1"),
    ("HSETNX", "s", "a", "1"),
    ("HGET", "s", "a"),
    ("HMGET", "s", "a"),
    ("HDEL", "s", "a"),
    ("HLEN", "s"),
    ("HSTRLEN", "s", "a"),
    ("HEXISTS", "s", "a"),
    ("HKEYS", "s"),
    ("HVALS", "s"),
    ("HGETALL", "s"),
    ("HINCRBY", "s", "a", "1"),
    ("HINCRBYFLOAT", "s", "a", "1"),
    ("HRANDFIELD", "s"),
    ("HRANDFIELD", "s", "2"),
    ("HRANDFIELD", "s", "2", "WITHVALUES"),
    ("HSCAN", "s", "0"),
    ("HSCAN", "s", "0", "COUNT", "0"),
    # arguments checked before the type
    ("HINCRBY", "s", "a", "x"),
    ("HINCRBYFLOAT", "s", "a", "x"),
    ("HINCRBYFLOAT", "s", "a", "inf"),
    ("HRANDFIELD", "s", "x"),
    ("HRANDFIELD", "s", "1", "x"),
    ("HRANDFIELD", "s", LLMIN),
    ("HSCAN", "s", "x"),
    # a string command on a hash
    ("GET", "k"),
    ("APPEND", "k", "x"),
    ("INCR", "k"),
]


def test_wrongtype(d: Pair) -> None:
    d.check("SET", "s", "v")
    d.check("HSET", "k", "a", "1")
    d.batch(*WRONGTYPE, ("GET", "s"), ("HGETALL", "k"))


def test_hincrby(d: Pair) -> None:
    d.batch(
        ("HINCRBY", "k", "n", "5"),
        ("HINCRBY", "k", "n", "-7"),
        ("HINCRBY", "k", "n", "0"),
        ("HSET", "k", "max", LLMAX, "min", LLMIN, "s", "x", "sp", " 1", "e", "", "z", "007"),
        ("HSET", "k", "f", "1.0", "plus", "+1", "neg0", "-0"),
        ("HINCRBY", "k", "max", "1"),
        ("HINCRBY", "k", "max", "0"),
        ("HINCRBY", "k", "max", "-1"),
        ("HINCRBY", "k", "min", "-1"),
        ("HINCRBY", "k", "min", LLMAX),
        ("HINCRBY", "k", "n", LLMIN),
        ("HINCRBY", "k", "n2", LLMIN),
        ("HINCRBY", "k", "s", "1"),
        ("HINCRBY", "k", "sp", "1"),
        ("HINCRBY", "k", "e", "1"),
        ("HINCRBY", "k", "z", "1"),
        ("HINCRBY", "k", "f", "1"),
        ("HINCRBY", "k", "plus", "1"),
        ("HINCRBY", "k", "neg0", "1"),
        ("HINCRBY", "k", "n", "1.5"),
        ("HINCRBY", "k", "n", "99999999999999999999"),
        ("HINCRBY", "k", "n", ""),
        ("HINCRBY", "k", "n", "+1"),
        ("HINCRBY", "k", "n", " 1"),
        ("HGETALL", "k"),
        ("OBJECT", "ENCODING", "k"),
    )


HINCRBYFLOAT_ARGS = [
    "1.5", "-0.25", "10", "1e3", "1E-3", "0x10", "-0x1p-3", ".5", "5.", "1e308", "-1e308",
    "3.0e3", "0.1", "0.2", "1.7976931348623157e308", "4.9e-324", "1e-4950", "1e4950",
    "inf", "-inf", "+inf", "Infinity", "nan", "NaN", "", " 1", "1 ", "x", "1e", "--1", "+1.5",
    "0", "-0", "00012", "1_000",
]  # fmt: skip


def test_hincrbyfloat(d: Pair) -> None:
    for arg in HINCRBYFLOAT_ARGS:
        d.check("HINCRBYFLOAT", "k", "f", arg)
        d.check("HINCRBYFLOAT", "k", arg or "empty", arg)
    d.check("HSET", "k", "s", "abc", "inf", "inf", "big", "1e4932", "i", "17", "sp", " 2")
    d.batch(
        ("HINCRBYFLOAT", "k", "s", "1"),
        ("HINCRBYFLOAT", "k", "inf", "1"),
        ("HINCRBYFLOAT", "k", "big", "1e4932"),
        ("HINCRBYFLOAT", "k", "big", "-1e4932"),
        ("HINCRBYFLOAT", "k", "i", "0.5"),
        ("HINCRBYFLOAT", "k", "sp", "1"),
        ("HGET", "k", "f"),
        ("HLEN", "k"),
        ("OBJECT", "ENCODING", "k"),
    )
    ours, real = d.parsed("HGETALL", "k")  # long values made it a hashtable: any order
    assert pairs_of(ours) == pairs_of(real)


def test_hincrbyfloat_random_sums(d: Pair) -> None:
    rng = random.Random(20261127)
    cmds: list[tuple[str, ...]] = []
    for i in range(300):
        x = rng.choice(
            [
                f"{rng.uniform(-1000, 1000):.{rng.randint(0, 17)}f}",
                f"{rng.uniform(-1, 1):.6e}",
                str(rng.randint(-(10**6), 10**6)),
                f"{rng.uniform(-1e20, 1e20):.3e}",
            ]
        )
        cmds.append(("HINCRBYFLOAT", "k", f"f{i % 7}", x))
    d.batch(*cmds)
    ours, real = d.parsed("HGETALL", "k")
    assert pairs_of(ours) == pairs_of(real)


# -- encodings ------------------------------------------------------------------------------


def test_encoding_thresholds(d: Pair) -> None:
    # redis-server without a config file: hash-max-listpack-entries 512
    d.batch(*[("HSET", "k", b"f%d" % i, "v") for i in range(512)])
    d.batch(
        ("OBJECT", "ENCODING", "k"),
        ("HSET", "k", "f0", "w"),
        ("OBJECT", "ENCODING", "k"),
        ("HSET", "k", "f512", "v"),
        ("OBJECT", "ENCODING", "k"),
        ("HDEL", "k", *[b"f%d" % i for i in range(1, 513)]),
        ("OBJECT", "ENCODING", "k"),  # never back to a listpack
        ("HSET", "v64", "x" * 64, "y" * 64),
        ("OBJECT", "ENCODING", "v64"),
        ("HSET", "v65", "f", "y" * 65),
        ("OBJECT", "ENCODING", "v65"),
        ("HSET", "f65", "x" * 65, "v"),
        ("OBJECT", "ENCODING", "f65"),
        ("HSET", "arg", "f", "y" * 65, "f", "short"),  # every argument counts
        ("OBJECT", "ENCODING", "arg"),
        ("HGETALL", "arg"),
        ("HMSET", "hm", "f", "y" * 100),
        ("OBJECT", "ENCODING", "hm"),
        ("HSET", "nx", "a", "1"),
        ("HSETNX", "nx", "a", "y" * 65),  # exists: nothing set, no conversion
        ("OBJECT", "ENCODING", "nx"),
        ("HSETNX", "nx", "b", "y" * 65),
        ("OBJECT", "ENCODING", "nx"),
        ("HSET", "fl", "a", "1"),
        ("HINCRBYFLOAT", "fl", "a", "1e100"),  # a long result converts too
        ("OBJECT", "ENCODING", "fl"),
        ("HSET", "in", "a", "1"),
        ("HINCRBY", "in", "a", LLMAX[:-1]),
        ("OBJECT", "ENCODING", "in"),
        ("HSET", "dup", *["same", "v"] * 600),  # 600 pairs, one field: still a listpack
        ("OBJECT", "ENCODING", "dup"),
        ("HLEN", "dup"),
    )


# -- hashtable-encoded hashes: unordered replies ------------------------------------------------


def test_big_hash(d: Pair) -> None:
    fill(d, "k", 700)
    d.batch(
        ("HLEN", "k"),
        ("OBJECT", "ENCODING", "k"),
        ("HGET", "k", "f699"),
        ("HMGET", "k", "f0", "f250", "nope"),
        ("HSTRLEN", "k", "f123"),
        ("HDEL", "k", *[b"f%d" % i for i in range(0, 700, 3)]),
        ("HLEN", "k"),
        ("HEXISTS", "k", "f3"),
        ("HINCRBY", "k", "counter", "10"),
    )
    for cmd in ("HGETALL", "HKEYS", "HVALS"):
        ours, real = d.parsed(cmd, "k")
        if cmd == "HGETALL":
            assert pairs_of(ours) == pairs_of(real)
        else:
            assert sorted(ours) == sorted(real)
    d.resp3()
    ours, real = d.parsed("HGETALL", "k")
    assert ours == real  # hiredis makes both maps: dict equality ignores order


def scan_all(d: Pair, side: str, key: str, *opts: str) -> tuple[list[bytes], int]:
    client = d.ours if side == "ours" else d.real
    items: list[bytes] = []
    cursor = b"0"
    calls = 0
    for _ in range(100_000):
        reply = parse(client.call("HSCAN", key, cursor, *opts))
        calls += 1
        cursor, batch_items = reply
        items += batch_items
        if cursor == b"0":
            return items, calls
    raise AssertionError("HSCAN did not finish")


def test_hscan_small_hash_byte_for_byte(d: Pair) -> None:
    d.check("HSET", "k", "a", "1", "b", "2", "ab", "3", "", "e", BIN, BIN)
    d.batch(
        ("HSCAN", "k", "0"),
        ("HSCAN", "k", "7"),  # a listpack comes whole whatever the cursor
        ("HSCAN", "k", "0", "COUNT", "1"),
        ("HSCAN", "k", "0", "MATCH", "a*"),
        ("HSCAN", "k", "0", "MATCH", "*"),
        ("HSCAN", "k", "0", "MATCH", "?"),
        ("HSCAN", "k", "0", "match", "[ab]", "count", "2"),
        ("HSCAN", "k", "0", "COUNT", "1", "COUNT", "5"),
        ("HSCAN", "k", "0", "MATCH", "a*", "MATCH", "b"),
        ("HSCAN", "k", "-1"),
        ("HSCAN", "k", "18446744073709551615"),
        ("HSCAN", "k", "18446744073709551616"),
        ("HSCAN", "k", ""),
        ("HSCAN", "k", "+1"),
        ("HSCAN", "k", " 1"),
        ("HSCAN", "k", "1.5"),
        ("HSCAN", "k", "x"),
        ("HSCAN", "k", "0", "COUNT", "0"),
        ("HSCAN", "k", "0", "COUNT", "-1"),
        ("HSCAN", "k", "0", "COUNT", "x"),
        ("HSCAN", "k", "0", "COUNT", "99999999999999999999"),
        ("HSCAN", "k", "0", "COUNT"),
        ("HSCAN", "k", "0", "MATCH"),
        ("HSCAN", "k", "0", "MATCH", "a", "extra"),
        ("HSCAN", "k", "0", "TYPE", "hash"),
        ("HSCAN", "k", "0", "NOPE", "x"),
        ("HSCAN", "nokey", "0"),
        ("HSCAN", "nokey", "0", "COUNT", "0"),  # options come after the lookup
        ("HSCAN", "nokey", "x"),
    )


@pytest.mark.parametrize("opts", [(), ("COUNT", "7"), ("COUNT", "5000"), ("MATCH", "f1*")])
def test_hscan_big_hash_full_iteration(d: Pair, opts: tuple[str, ...]) -> None:
    fill(d, "k", 700)
    ours, ours_calls = scan_all(d, "ours", "k", *opts)
    real, real_calls = scan_all(d, "real", "k", *opts)
    assert pairs_of(ours) == pairs_of(real)
    assert len(ours) == len(set(pairs_of(ours))) * 2  # no duplicates while unchanged
    if opts == ("COUNT", "5000"):
        assert ours_calls == real_calls == 1


# -- HRANDFIELD ------------------------------------------------------------------------------------


def test_hrandfield_deterministic_cases(d: Pair) -> None:
    d.check("HSET", "k", "a", "1", "b", "2", "c", "3")
    d.check("HSET", "one", "x", "y")
    d.batch(
        ("HRANDFIELD", "nokey"),
        ("HRANDFIELD", "nokey", "5"),
        ("HRANDFIELD", "nokey", "-5", "WITHVALUES"),
        ("HRANDFIELD", "k", "0"),
        ("HRANDFIELD", "k", "-0"),
        ("HRANDFIELD", "k", "0", "WITHVALUES"),
        ("HRANDFIELD", "k", "3"),
        ("HRANDFIELD", "k", "4", "WITHVALUES"),
        ("HRANDFIELD", "k", LLMAX),
        ("HRANDFIELD", "k", "4611686018427387903", "WITHVALUES"),
        ("HRANDFIELD", "one"),
        ("HRANDFIELD", "one", "1"),
        ("HRANDFIELD", "one", "-1"),
        ("HRANDFIELD", "one", "-7"),
        ("HRANDFIELD", "one", "-7", "WITHVALUES"),
        ("HRANDFIELD", "one", "-7", "withvalues"),
        # errors
        ("HRANDFIELD", "k", LLMIN),
        ("HRANDFIELD", "nokey", LLMIN),
        ("HRANDFIELD", "k", "-9223372036854775809"),
        ("HRANDFIELD", "k", "9223372036854775808"),
        ("HRANDFIELD", "k", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "k", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "k", LLMIN, "WITHVALUES"),
        ("HRANDFIELD", "k", "1", "WITHVALUE"),
        ("HRANDFIELD", "k", "1", "WITHVALUES", "x"),
        ("HRANDFIELD", "k", "1.5"),
        ("HRANDFIELD", "k", "x"),
        ("HRANDFIELD", "k", ""),
        ("HRANDFIELD", "k", " 1"),
        ("HRANDFIELD", "nokey", "x"),
        ("HRANDFIELD", "nokey", "1", "x"),
    )
    d.resp3()
    d.batch(
        ("HRANDFIELD", "k", "3", "WITHVALUES"),
        ("HRANDFIELD", "one", "-4", "WITHVALUES"),
        ("HRANDFIELD", "one", "1", "WITHVALUES"),
        ("HRANDFIELD", "k", LLMIN),
    )


@pytest.mark.parametrize("size", [5, 100, 700])
@pytest.mark.parametrize("proto", ["2", "3"])
def test_hrandfield_draws(d: Pair, size: int, proto: str) -> None:
    fill(d, "k", size)
    if proto == "3":
        d.resp3()
    members = {b"f%d" % i: b"v%d" % i for i in range(size)}
    for count in (1, 2, size // 3, size - 1, -1, -3, -size, -3 * size):
        for with_values in (False, True):
            args: list[str] = ["HRANDFIELD", "k", str(count)]
            if with_values:
                args.append("WITHVALUES")
            ours, real = d.parsed(*args)
            k = abs(count)
            for reply in (ours, real):
                if with_values and proto == "2":
                    got = list(zip(reply[::2], reply[1::2], strict=True))
                elif with_values:
                    got = [tuple(p) for p in reply]
                else:
                    got = [(f, members.get(f)) for f in reply]
                assert len(got) == k, (args, reply)
                assert all(members.get(f) == v for f, v in got), args
                if count > 0:
                    assert len({f for f, _ in got}) == k, args  # distinct
    # a single draw without count
    for _ in range(5):
        ours, real = d.parsed("HRANDFIELD", "k")
        assert ours in members and real in members


# -- other key commands on hashes ----------------------------------------------------------------------


def test_hashes_through_key_commands(d: Pair) -> None:
    d.check("HSET", "h", "a", "1", "b", BIN)
    fill(d, "big", 600)
    d.batch(
        ("TYPE", "h"),
        ("TYPE", "big"),
        ("EXISTS", "h", "big", "nope"),
        ("RENAME", "h", "h2"),
        ("HGETALL", "h2"),
        ("COPY", "h2", "h3"),
        ("HSET", "h3", "c", "3"),
        ("HGETALL", "h2"),
        ("HGETALL", "h3"),
        ("OBJECT", "ENCODING", "h3"),
        ("COPY", "big", "big2"),
        ("OBJECT", "ENCODING", "big2"),
        ("HLEN", "big2"),
        ("MOVE", "h3", "1"),
        ("EXISTS", "h3"),
        ("SELECT", "1"),
        ("HGETALL", "h3"),
        ("SELECT", "0"),
        ("EXPIRE", "h2", "100"),
        ("HSET", "h2", "z", "26"),
        ("TTL", "h2"),
        ("SET", "h2", "now a string"),
        ("TYPE", "h2"),
        ("DEL", "big", "big2"),
        ("HLEN", "big"),
    )
    ours, real = d.parsed("SCAN", "0", "TYPE", "hash", "COUNT", "1000")
    assert sorted(ours[1]) == sorted(real[1])


def test_command_info_metadata(d: Pair) -> None:
    names = [
        "hset", "hsetnx", "hget", "hmget", "hmset", "hgetall", "hdel", "hexists", "hlen",
        "hkeys", "hvals", "hincrby", "hincrbyfloat", "hstrlen", "hrandfield", "hscan",
    ]  # fmt: skip
    for name in names:
        ours, real = d.parsed("COMMAND", "INFO", name)
        # name, arity, flags, first, last, step, ACL categories
        assert ours[0][:7] == real[0][:7], name
        ours_docs, real_docs = d.parsed("COMMAND", "DOCS", name)
        o = dict(zip(ours_docs[1][::2], ours_docs[1][1::2], strict=True))
        r = dict(zip(real_docs[1][::2], real_docs[1][1::2], strict=True))
        assert (o[b"since"], o[b"group"]) == (r[b"since"], r[b"group"]), name
    for args in (("HSET", "k", "f", "v"), ("HGETALL", "k"), ("HSCAN", "k", "0")):
        d.check("COMMAND", "GETKEYS", *args)


def test_nul_bytes_in_options_and_numbers(d: Pair) -> None:
    # Redis compares option words as C strings (up to a NUL) but parses numbers whole
    d.check("HSET", "k", "a", "1", "b", "2", "c", b"1.5\x00", "d", b"5\x00")
    d.batch(
        ("HSCAN", "k", "0", b"COUNT\x00x", "5"),
        ("HSCAN", "k", "0", b"MATCH\x00", "a"),
        ("HSCAN", "k", "0", b"\x00", "a"),
        ("HRANDFIELD", "k", "4", b"WITHVALUES\x00j"),
        ("HRANDFIELD", "k", "2", b"\x00"),
        ("HRANDFIELD", "k", b"2\x00"),
        ("HINCRBY", "k", "a", b"1\x00"),
        ("HINCRBYFLOAT", "k", "a", b"1\x00"),
        ("HINCRBYFLOAT", "k", "c", "1"),
        ("HINCRBY", "k", "d", "1"),
        ("HSCAN", "k", b"0\x00"),
        ("HSCAN", "k", b"5\x00x"),
        ("HSCAN", "k", b"\x005"),
        ("HSCAN", "k", b"99999999999999999999\x00"),
    )
