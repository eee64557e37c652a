"""Differential tests of the generic key commands: byte-identical to redis-server.

KEYS and SCAN replies are compared sorted (their order is unspecified); TTLs
are compared exactly where they are deterministic (EXPIREAT in the far future,
whole seconds just set) and with a tolerance elsewhere.
"""

from __future__ import annotations

import pytest

from conftest import Pair

BINARY_KEYS = [
    b"",
    b"a",
    b"ab",
    b"abc",
    b"b",
    b"k\r\nv",
    b"\x00",
    b"\x00\xff",
    b"\xff",
    b"*",
    b"?",
    b"[",
    b"\\",
]
FAR = 32503680000  # year 3000, unix seconds


def _array(reply: bytes) -> list[bytes]:
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] == b"*", reply
    out = []
    for _ in range(int(head[1:])):
        hdr, _, rest = rest.partition(b"\r\n")
        n = int(hdr[1:])
        out.append(rest[:n])
        rest = rest[n + 2 :]
    return out


def _scan_all(client: object, *opts: bytes | str) -> list[bytes]:
    """Every key a full SCAN returns (cursor to cursor), sorted, duplicates dropped."""
    seen: set[bytes] = set()
    cursor = b"0"
    for _ in range(100_000):
        reply = client.call("SCAN", cursor, *opts)  # type: ignore[attr-defined]
        assert reply.startswith(b"*2\r\n$"), reply
        rest = reply[4:]
        hdr, _, rest = rest.partition(b"\r\n")
        n = int(hdr[1:])
        cursor = rest[:n]
        seen.update(_array(rest[n + 2 :]))
        if cursor == b"0":
            return sorted(seen)
    raise AssertionError("SCAN did not finish")


def _int(reply: bytes) -> int:
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


def _both_int(d: Pair, *args: str | bytes | int) -> tuple[int, int]:
    ours, real = d.both(*args)
    return _int(ours), _int(real)


def _load(d: Pair, keys: list[bytes]) -> None:
    for k in keys:
        d.check("SET", k, b"v:" + k)


# -- DEL UNLINK EXISTS TOUCH TYPE ---------------------------------------------


def test_del_exists_touch_type(d: Pair) -> None:
    _load(d, BINARY_KEYS)
    d.check_all(
        ("EXISTS", *BINARY_KEYS),
        ("EXISTS", "a", "a", "nope"),
        ("TOUCH", "a", "a", "nope", b"\x00"),
        ("TYPE", "a"),
        ("TYPE", ""),
        ("TYPE", "nope"),
        ("DEL", "a", "a", "nope"),
        ("UNLINK", b"k\r\nv", b"", "nope"),
        ("EXISTS", "a", b"", b"k\r\nv"),
        ("DBSIZE",),
        ("DEL",),
        ("UNLINK",),
        ("EXISTS",),
        ("TOUCH",),
        ("TYPE",),
        ("TYPE", "a", "b"),
    )


# -- RENAME COPY MOVE SWAPDB ---------------------------------------------------


def test_rename(d: Pair) -> None:
    d.check_all(
        ("RENAME", "nope", "x"),
        ("RENAME", "nope", "nope"),
        ("RENAMENX", "nope", "x"),
        ("SET", "a", "1"),
        ("EXPIREAT", "a", FAR),
        ("RENAME", "a", "a"),
        ("RENAMENX", "a", "a"),
        ("RENAME", "a", b"\x00\r\n"),
        ("GET", b"\x00\r\n"),
        ("EXPIRETIME", b"\x00\r\n"),
        ("EXISTS", "a"),
        ("SET", "c", "3"),
        ("RENAMENX", b"\x00\r\n", "c"),
        ("RENAME", b"\x00\r\n", "c"),
        ("GET", "c"),
        ("PEXPIRETIME", "c"),
        ("RENAMENX", "c", "d"),
        ("GET", "d"),
        ("PEXPIRETIME", "d"),
        ("SET", "e", "5", "EX", "100"),
        ("SET", "f", "6"),
        ("RENAME", "f", "e"),
        ("TTL", "e"),
        ("RENAME", "a"),
        ("RENAME", "a", "b", "c"),
        ("RENAMENX", "a"),
    )


def test_copy(d: Pair) -> None:
    d.check_all(
        ("SET", "a", "1"),
        ("EXPIREAT", "a", FAR),
        ("COPY", "a", "a"),
        ("COPY", "a", "a", "DB", "0"),
        ("COPY", "nope", "nope"),
        ("COPY", "a", "b", "DB"),
        ("COPY", "a", "b", "FOO"),
        ("COPY", "a", "b", "REPLACE", "FOO"),
        ("COPY", "a", "b", "DB", "x"),
        ("COPY", "a", "b", "DB", "16"),
        ("COPY", "a", "b", "DB", "-1"),
        ("COPY", "a", "b", "DB", "99999999999"),
        ("COPY", "a", "b", "DB", "1.5"),
        ("COPY", "nope", "b"),
        ("COPY", "a", "b"),
        ("GET", "b"),
        ("EXPIRETIME", "b"),
        ("SET", "a", "2"),
        ("COPY", "a", "b"),
        ("COPY", "a", "b", "replace"),
        ("GET", "b"),
        ("TTL", "b"),
        ("COPY", "a", "a", "DB", "3"),
        ("COPY", "a", "a", "DB", "3"),
        ("COPY", "a", "a", "db", "3", "REPLACE", "DB", "4"),
        ("SELECT", "4"),
        ("GET", "a"),
        ("COPY", "a", "a", "DB", "4"),
        ("COPY", "a"),
    )


def test_move(d: Pair) -> None:
    d.check_all(
        ("SET", "a", "1"),
        ("EXPIREAT", "a", FAR),
        ("MOVE", "a", "0"),
        ("MOVE", "nope", "0"),
        ("MOVE", "a", "x"),
        ("MOVE", "a", "16"),
        ("MOVE", "a", "-1"),
        ("MOVE", "a", "4294967296"),
        ("MOVE", "a", ""),
        ("MOVE", "nope", "1"),
        ("SELECT", "1"),
        ("SET", "a", "other"),
        ("SELECT", "0"),
        ("MOVE", "a", "1"),
        ("SELECT", "1"),
        ("DEL", "a"),
        ("SELECT", "0"),
        ("MOVE", "a", "1"),
        ("EXISTS", "a"),
        ("SELECT", "1"),
        ("GET", "a"),
        ("EXPIRETIME", "a"),
        ("MOVE", "a"),
    )


def test_swapdb(d: Pair) -> None:
    d.check_all(
        ("SET", "a", "0"),
        ("EXPIREAT", "a", FAR),
        ("SELECT", "1"),
        ("SET", "b", "1"),
        ("SWAPDB", "0", "1"),
        ("GET", "a"),
        ("GET", "b"),
        ("EXPIRETIME", "a"),
        ("SELECT", "0"),
        ("GET", "b"),
        ("SWAPDB", "0", "0"),
        ("GET", "b"),
        ("SWAPDB", "x", "0"),
        ("SWAPDB", "0", "x"),
        ("SWAPDB", "x", "y"),
        ("SWAPDB", "0", "99999999999"),
        ("SWAPDB", "0", "16"),
        ("SWAPDB", "-1", "0"),
        ("SWAPDB", "0"),
    )


# -- KEYS SCAN RANDOMKEY DBSIZE FLUSH ------------------------------------------

PATTERNS = [
    b"*",
    b"**",
    b"?",
    b"*?",
    b"[a-c]",
    b"[^a]",
    b"[c-a]",
    b"\\*",
    b"[",
    b"[abc",
    b"a\\",
    b"",
    b"a*",
    b"*b*",
    b"[\x00-\xff]",
    b"*\r\n*",
    b"[^",
    b"[a-]",
    b"\x00*",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_keys(d: Pair, pattern: bytes) -> None:
    _load(d, BINARY_KEYS)
    ours, real = d.both("KEYS", pattern)
    assert sorted(_array(ours)) == sorted(_array(real)), pattern


def test_keys_errors_and_empty(d: Pair) -> None:
    d.check_all(("KEYS", "*"), ("KEYS",), ("KEYS", "a", "b"))


def test_scan_errors(d: Pair) -> None:
    d.check_all(
        ("SCAN", "x"),
        ("SCAN", " 0"),
        ("SCAN", "0 "),
        ("SCAN", "1.0"),
        ("SCAN", "18446744073709551616"),
        ("SCAN", "x", "COUNT", "0"),
        ("SCAN", "0", "COUNT", "0"),
        ("SCAN", "0", "COUNT", "-1"),
        ("SCAN", "0", "COUNT", "x"),
        ("SCAN", "0", "COUNT", "99999999999999999999"),
        ("SCAN", "0", "COUNT"),
        ("SCAN", "0", "MATCH"),
        ("SCAN", "0", "TYPE"),
        ("SCAN", "0", "FOO", "bar"),
        ("SCAN", "0", "MATCH", "*", "COUNT", "0"),
        ("SCAN",),
        # an empty database answers the same whatever the cursor
        ("SCAN", "0"),
        ("SCAN", ""),
        ("SCAN", "+0"),
        ("SCAN", "-0"),
        ("SCAN", "0", "count", "5", "match", "x", "type", "string"),
    )


@pytest.mark.parametrize(
    "opts",
    [
        (),
        ("COUNT", "1"),
        ("COUNT", "3"),
        ("COUNT", "1000"),
        ("MATCH", "a*"),
        ("MATCH", "*", "COUNT", "2"),
        ("MATCH", "[\x00-\xff]"),
        ("MATCH", "k*", "COUNT", "7"),
        ("TYPE", "string"),
        ("TYPE", "STRING", "MATCH", "?"),
        ("TYPE", "hash"),
        ("TYPE", "nosuchtype"),
    ],
)
def test_scan_full_iteration(d: Pair, opts: tuple[str, ...]) -> None:
    keys = BINARY_KEYS + [b"k%d" % i for i in range(120)]
    _load(d, keys)
    ours = _scan_all(d.ours, *opts)
    real = _scan_all(d.real, *opts)
    assert ours == real, opts


def test_randomkey_dbsize_flush(d: Pair) -> None:
    d.check_all(
        ("RANDOMKEY",),
        ("DBSIZE",),
        ("SET", b"\x00only\r\n", "v"),
        ("RANDOMKEY",),
        ("DBSIZE",),
        ("RANDOMKEY", "x"),
        ("DBSIZE", "x"),
        ("FLUSHDB", "now"),
        ("FLUSHDB", "SYNC", "ASYNC"),
        ("FLUSHDB", "async"),
        ("DBSIZE",),
        ("SET", "a", "1"),
        ("FLUSHDB", "SYNC"),
        ("DBSIZE",),
        ("SET", "a", "1"),
        ("SELECT", "3"),
        ("SET", "b", "1"),
        ("FLUSHALL", "x"),
        ("FLUSHALL", "ASYNC", "x"),
        ("FLUSHALL", "Sync"),
        ("DBSIZE",),
        ("SELECT", "0"),
        ("DBSIZE",),
        ("FLUSHALL", "ASYNC"),
        ("FLUSHALL",),
    )


def test_resp3_nil_replies(d: Pair) -> None:
    d.both("HELLO", "3")
    d.check_all(
        ("RANDOMKEY",),
        ("OBJECT", "ENCODING", "nope"),
        ("OBJECT", "REFCOUNT", "nope"),
        ("OBJECT", "IDLETIME", "nope"),
        ("OBJECT", "FREQ", "nope"),
        ("TYPE", "nope"),
        ("SCAN", "0"),
        ("SET", "k", "v"),
        ("OBJECT", "ENCODING", "k"),
        ("RANDOMKEY",),
        ("KEYS", "*"),
        ("SCAN", "0"),
        ("TTL", "k"),
    )


# -- EXPIRE family, TTL family, PERSIST ----------------------------------------


def test_expire_option_errors(d: Pair) -> None:
    d.check("SET", "k", "v")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        d.check_all(
            (cmd, "k", "10", "NX", "XX"),
            (cmd, "k", "10", "nx", "gt"),
            (cmd, "k", "10", "LT", "NX"),
            (cmd, "k", "10", "GT", "LT"),
            (cmd, "k", "10", "XX", "GT", "LT"),
            (cmd, "k", "10", "foo"),
            (cmd, "k", "10", "xx", "foo"),
            (cmd, "k", "x", "foo"),
            (cmd, "k", "10", b"a\r\nb\x00c"),
            (cmd, "k", "10", b"x\n"),  # CR and LF at the end of an error are dropped
            (cmd, "k", "10", b"\r\n"),
            (cmd, "k", "10", b"\ra\r"),
            (cmd, "k", "x"),
            (cmd, "k", ""),
            (cmd, "k", "1.5"),
            (cmd, "k", " 1"),
            (cmd, "k"),
            (cmd, "nope", "10"),
            (cmd, "nope", "x"),
        )


def test_expire_overflow(d: Pair) -> None:
    d.check("SET", "k", "v")
    d.check_all(
        ("EXPIRE", "k", "9223372036854776"),
        ("EXPIRE", "k", "9223372036854775"),
        ("EXPIRE", "k", "-9223372036854776"),
        ("EXPIRE", "k", "9223372036854775808"),
        ("PEXPIRE", "k", "9223372036854775807"),
        ("PEXPIRE", "k", "9223372036854775000"),
        ("EXPIREAT", "k", "9223372036854776"),
        ("EXPIREAT", "k", "-9223372036854776"),
        ("EXPIRE", "nope", "9223372036854776"),
        ("PEXPIREAT", "k", "9223372036854775807"),
        ("PEXPIRETIME", "k"),
        ("EXPIRETIME", "k"),
        ("PEXPIREAT", "k", "9223372036854775307"),
        ("EXPIRETIME", "k"),
        ("EXPIREAT", "k", "9223372036854775"),
        ("PEXPIRETIME", "k"),
        ("EXPIRETIME", "k"),
        ("PEXPIRE", "k", "-9223372036854775808"),
        ("EXISTS", "k"),
    )


def test_expire_conditions(d: Pair) -> None:
    d.check_all(
        ("SET", "k", "v"),
        ("EXPIREAT", "k", FAR, "XX"),
        ("EXPIREAT", "k", FAR, "GT"),
        ("EXPIREAT", "k", FAR, "LT"),
        ("EXPIRETIME", "k"),
        ("EXPIREAT", "k", FAR + 10, "NX"),
        ("PERSIST", "k"),
        ("EXPIREAT", "k", FAR, "nx"),
        ("EXPIREAT", "k", FAR - 1, "GT"),
        ("EXPIREAT", "k", FAR, "GT"),
        ("EXPIREAT", "k", FAR + 1, "gt"),
        ("EXPIREAT", "k", FAR + 1, "LT"),
        ("EXPIREAT", "k", FAR - 5, "LT", "XX"),
        ("PEXPIRETIME", "k"),
        ("PEXPIREAT", "k", FAR * 1000 + 7),
        ("PEXPIRETIME", "k"),
        ("EXPIRETIME", "k"),
        ("PEXPIREAT", "k", FAR * 1000 + 499),
        ("EXPIRETIME", "k"),
        ("PEXPIREAT", "k", FAR * 1000 + 500),
        ("EXPIRETIME", "k"),
        ("EXPIRE", "k", "100", "XX"),
        ("TTL", "k"),
        ("EXPIRE", "k", "-1", "GT"),
        ("EXPIRE", "k", "-1", "LT"),
        ("EXISTS", "k"),
    )


@pytest.mark.parametrize(
    "cmd",
    [
        ("EXPIRE", "k", "0"),
        ("EXPIRE", "k", "-5"),
        ("PEXPIRE", "k", "0"),
        ("PEXPIRE", "k", "-1"),
        ("EXPIREAT", "k", "1"),
        ("EXPIREAT", "k", "0"),
        ("PEXPIREAT", "k", "1"),
        ("PEXPIREAT", "k", "-100"),
    ],
)
def test_deadline_in_the_past_deletes(d: Pair, cmd: tuple[str, ...]) -> None:
    d.check_all(("SET", "k", "v"), cmd, ("EXISTS", "k"), ("TTL", "k"), cmd)


def test_ttl_family(d: Pair) -> None:
    d.check_all(
        ("TTL", "nope"),
        ("PTTL", "nope"),
        ("EXPIRETIME", "nope"),
        ("PEXPIRETIME", "nope"),
        ("SET", "k", "v"),
        ("TTL", "k"),
        ("PTTL", "k"),
        ("EXPIRETIME", "k"),
        ("PEXPIRETIME", "k"),
        ("EXPIRE", "k", "100"),
        ("TTL", "k"),  # 100 000 ms left, rounded: stable for half a second
        ("TTL",),
        ("PTTL", "a", "b"),
        ("EXPIRETIME",),
        ("PEXPIRETIME", "a", "b"),
    )
    ours, real = _both_int(d, "PTTL", "k")
    assert 99_000 < ours <= 100_000 and 99_000 < real <= 100_000
    d.check_all(("SET", "k", "v", "PX", "100000"), ("PERSIST", "k"), ("PTTL", "k"))


def test_persist(d: Pair) -> None:
    d.check_all(
        ("PERSIST", "nope"),
        ("SET", "k", "v"),
        ("PERSIST", "k"),
        ("EXPIRE", "k", "10"),
        ("PERSIST", "k"),
        ("PERSIST", "k"),
        ("TTL", "k"),
        ("PERSIST",),
        ("PERSIST", "a", "b"),
    )


# -- OBJECT ----------------------------------------------------------------------


def test_object_strings(d: Pair) -> None:
    values = [
        b"123", b"0", b"9999", b"10000", b"-1", b"-0", b"+1", b" 1", b"007", b"",
        b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
        b"12345678901234567890", b"a" * 44, b"a" * 45, b"\x00\r\n", b"1" * 21,
    ]  # fmt: skip
    for v in values:
        d.check_all(
            ("SET", "k", v),
            ("OBJECT", "ENCODING", "k"),
            ("OBJECT", "REFCOUNT", "k"),
            ("OBJECT", "FREQ", "k"),
        )


def test_object_errors_and_help(d: Pair) -> None:
    d.check_all(
        ("OBJECT", "ENCODING", "nope"),
        ("OBJECT", "REFCOUNT", "nope"),
        ("OBJECT", "IDLETIME", "nope"),
        ("OBJECT", "FREQ", "nope"),
        ("OBJECT", "ENCODING"),
        ("OBJECT", "encoding", "a", "b"),
        ("OBJECT", "IDLETIME"),
        ("OBJECT", "FREQ"),
        ("OBJECT", "REFCOUNT"),
        ("OBJECT", "foo"),
        ("OBJECT", "foo", "bar"),
        ("OBJECT",),
        ("OBJECT", "HELP"),
        ("OBJECT", "help"),
        ("OBJECT", "HELP", "x"),
    )


def test_object_idletime(d: Pair) -> None:
    d.check("SET", "k", "v")
    ours, real = _both_int(d, "OBJECT", "IDLETIME", "k")
    assert ours in (0, 1) and real in (0, 1)  # a second boundary may pass
