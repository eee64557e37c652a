"""In-process tests of the string family (cacheserver/commands/strings.py)."""

from __future__ import annotations

import random

import pytest

from cacheserver.commands.strings import (
    _NX,
    _PERSIST,
    _PX,
    _XX,
    _lcs_rows,
    add_long_double,
    format_long_double,
    parse_long_double,
    parse_set_options,
)
from cacheserver.errors import CommandError
from helpers import FakeValue, Harness, encode

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
SYNTAX = b"-ERR syntax error\r\n"
TOO_BIG = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
NOW = 1_700_000_000_000


class FakeList(FakeValue):
    """A non-string value: every string command must refuse it."""

    TYPE = b"list"


@pytest.fixture
def t(h: Harness) -> Harness:
    """The harness with a fixed clock and a non-string key ``l``."""
    h.server.clock = lambda: NOW
    h.server.keyspace.dbs[0].data[b"l"] = FakeList()
    return h


def bulk(v: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(v), v)


def ttl_ms(h: Harness, key: bytes) -> int | None:
    when = h.server.keyspace.dbs[0].expires.get(key)
    return None if when is None else when - NOW


# -- GET / SET ------------------------------------------------------------------


def test_get_set_binary_and_empty(t: Harness) -> None:
    v = b"a\r\nb\x00c"
    assert t.run("SET", "k", v) == b"+OK\r\n"
    assert t.run("GET", "k") == bulk(v)
    assert t.run("SET", "", "") == b"+OK\r\n"
    assert t.run("GET", "") == b"$0\r\n\r\n"
    assert t.run("GET", "missing") == b"$-1\r\n"
    assert t.run("GET", "l") == WRONGTYPE


def test_set_nx_xx_get(t: Harness) -> None:
    assert t.run("SET", "k", "1", "NX") == b"+OK\r\n"
    assert t.run("SET", "k", "2", "NX") == b"$-1\r\n"
    assert t.run("SET", "k", "3", "XX", "GET") == bulk(b"1")
    assert t.run("SET", "k", "4", "NX", "GET") == bulk(b"3")  # old value, nothing set
    assert t.run("GET", "k") == bulk(b"3")
    assert t.run("SET", "new", "v", "XX") == b"$-1\r\n"
    assert t.run("SET", "new", "v", "XX", "GET") == b"$-1\r\n"
    assert t.run("GET", "new") == b"$-1\r\n"
    assert t.run("SET", "new", "v", "GET") == b"$-1\r\n"
    assert t.run("SET", "l", "v", "GET") == WRONGTYPE
    assert t.run("SET", "l", "v") == b"+OK\r\n"  # plain SET replaces any type


def test_set_expiry_options(t: Harness) -> None:
    assert t.run("SET", "k", "v", "EX", "10") == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 10_000
    assert t.run("SET", "k", "v", "PX", "1500") == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 1500
    assert t.run("SET", "k", "v", "EXAT", str(NOW // 1000 + 100)) == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 100_000
    assert t.run("SET", "k", "v", "PXAT", str(NOW + 5)) == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 5
    assert t.run("SET", "k", "v2", "KEEPTTL") == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 5
    assert t.run("SET", "k", "v3") == b"+OK\r\n"
    assert ttl_ms(t, b"k") is None
    # a repeated expire option is allowed: the last one wins
    assert t.run("SET", "k", "v", "EX", "1", "EX", "7") == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 7000


def test_set_expiry_errors(t: Harness) -> None:
    inv = b"-ERR invalid expire time in 'set' command\r\n"
    for args in (("EX", "0"), ("EX", "-1"), ("PX", "0"), ("EXAT", "0"), ("PXAT", "-1")):
        assert t.run("SET", "k", "v", *args) == inv
    assert t.run("SET", "k", "v", "EX", "9223372036854776") == inv  # seconds * 1000 overflows
    assert t.run("SET", "k", "v", "PX", "9223372036854775807") == inv  # now + ms overflows
    assert t.run("SET", "k", "v", "PXAT", "9223372036854775807") == b"+OK\r\n"
    assert t.run("SET", "k", "v", "EX", "x") == NOT_INT
    assert t.run("SET", "k", "v", "EX", "01") == NOT_INT
    # the expire value is checked before GET looks at the key
    assert t.run("SET", "l", "v", "GET", "EX", "0") == inv


@pytest.mark.parametrize(
    "opts",
    [
        ("NX", "XX"),
        ("XX", "NX"),
        ("EX", "1", "PX", "1"),
        ("PX", "1", "EXAT", "1"),
        ("EXAT", "1", "PXAT", "1"),
        ("EX", "1", "KEEPTTL"),
        ("KEEPTTL", "PX", "1"),
        ("PERSIST",),
        ("EX",),
        ("FOO",),
        ("NXX",),
    ],
)
def test_set_syntax_errors(t: Harness, opts: tuple[str, ...]) -> None:
    assert t.run("SET", "k", "v", *opts) == SYNTAX
    assert t.run("GET", "k") == b"$-1\r\n"


def test_set_options_as_c_strings(t: Harness) -> None:
    # Redis compares options with C string functions: a NUL ends the word
    assert t.run("SET", "k", "v", b"nx\x00junk") == b"+OK\r\n"
    assert t.run("SET", "k", "w", b"NX\x00") == b"$-1\r\n"
    assert t.run("SET", "k", "v", b"\x00") == SYNTAX


def test_parse_set_options() -> None:
    argv = [b"SET", b"k", b"v", b"nx", b"Px", b"100"]
    assert parse_set_options(argv, 3, True) == (_NX | _PX, b"100")
    assert parse_set_options([b"GETEX", b"k", b"persist"], 2, False) == (_PERSIST, None)
    assert parse_set_options([b"SET", b"k", b"v", b"XX", b"xx"], 3, True) == (_XX, None)
    for bad in ([b"GETEX", b"k", b"NX"], [b"GETEX", b"k", b"KEEPTTL"], [b"GETEX", b"k", b"GET"]):
        with pytest.raises(CommandError):
            parse_set_options(bad, 2, False)


def test_set_on_an_expired_key_counts_the_expiry(t: Harness) -> None:
    stats = t.server.keyspace.stats
    t.run("SET", "k", "v", "PX", "10")
    t.server.clock = lambda: NOW + 20
    before = stats.expired_keys
    assert t.run("SET", "k", "w") == b"+OK\r\n"
    assert stats.expired_keys == before + 1
    assert ttl_ms(t, b"k") is None


def test_expired_keys_read_as_missing(t: Harness) -> None:
    t.run("SET", "k", "v", "PX", "100")
    t.run("SET", "n", "5", "PX", "100")
    t.server.clock = lambda: NOW + 100
    assert t.run("GET", "k") == b"$-1\r\n"
    assert t.run("INCR", "n") == b":1\r\n"
    assert ttl_ms(t, b"n") is None


# -- SETNX / SETEX / PSETEX -------------------------------------------------------


def test_setnx(t: Harness) -> None:
    assert t.run("SETNX", "k", "v") == b":1\r\n"
    assert t.run("SETNX", "k", "w") == b":0\r\n"
    assert t.run("SETNX", "l", "w") == b":0\r\n"
    assert t.run("GET", "k") == bulk(b"v")


def test_setex_psetex(t: Harness) -> None:
    assert t.run("SETEX", "k", "10", "v") == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 10_000
    assert t.run("PSETEX", "k", "10", "w") == b"+OK\r\n"
    assert ttl_ms(t, b"k") == 10
    assert t.run("GET", "k") == bulk(b"w")
    assert t.run("SETEX", "k", "0", "v") == b"-ERR invalid expire time in 'setex' command\r\n"
    assert t.run("PSETEX", "k", "-5", "v") == b"-ERR invalid expire time in 'psetex' command\r\n"
    assert t.run("SETEX", "k", "x", "v") == NOT_INT
    assert t.run("SETEX", "l", "10", "v") == b"+OK\r\n"


# -- MGET / MSET / MSETNX -----------------------------------------------------------


def test_mget_mset(t: Harness) -> None:
    assert t.run("MSET", "a", "1", "b", "2") == b"+OK\r\n"
    assert t.run("MGET", "a", "l", "missing", "b") == b"*4\r\n$1\r\n1\r\n$-1\r\n$-1\r\n$1\r\n2\r\n"
    assert t.run("MSET", "a", "1", "b") == b"-ERR wrong number of arguments for 'mset' command\r\n"
    assert t.run("MSET", "a", "x", "a", "y") == b"+OK\r\n"
    assert t.run("GET", "a") == bulk(b"y")


def test_mset_drops_ttls(t: Harness) -> None:
    t.run("SET", "a", "1", "EX", "100")
    t.run("MSET", "a", "2")
    assert ttl_ms(t, b"a") is None


def test_msetnx(t: Harness) -> None:
    assert t.run("MSETNX", "a", "1", "b", "2") == b":1\r\n"
    assert t.run("MSETNX", "b", "3", "c", "4") == b":0\r\n"
    assert t.run("EXISTS", "c") == b":0\r\n"
    assert t.run("MSETNX", "l", "3") == b":0\r\n"
    assert t.run("MSETNX", "x", "1", "y") == (
        b"-ERR wrong number of arguments for 'msetnx' command\r\n"
    )


# -- GETSET / GETDEL / GETEX ----------------------------------------------------------


def test_getset(t: Harness) -> None:
    assert t.run("GETSET", "k", "1") == b"$-1\r\n"
    t.run("SET", "k", "2", "EX", "100")
    assert t.run("GETSET", "k", "3") == bulk(b"2")
    assert ttl_ms(t, b"k") is None
    assert t.run("GETSET", "l", "3") == WRONGTYPE


def test_getdel(t: Harness) -> None:
    t.run("SET", "k", "v")
    assert t.run("GETDEL", "k") == bulk(b"v")
    assert t.run("GETDEL", "k") == b"$-1\r\n"
    assert t.run("GETDEL", "l") == WRONGTYPE


def test_getex(t: Harness) -> None:
    assert t.run("GETEX", "missing", "EX", "bad") == b"$-1\r\n"
    assert t.run("GETEX", "missing", "FOO") == SYNTAX
    t.run("SET", "k", "v")
    assert t.run("GETEX", "k") == bulk(b"v")
    assert ttl_ms(t, b"k") is None
    assert t.run("GETEX", "k", "EX", "5") == bulk(b"v")
    assert ttl_ms(t, b"k") == 5000
    assert t.run("GETEX", "k", "PX", "5") == bulk(b"v")
    assert ttl_ms(t, b"k") == 5
    assert t.run("GETEX", "k", "EXAT", str(NOW // 1000 + 9)) == bulk(b"v")
    assert ttl_ms(t, b"k") == 9000
    assert t.run("GETEX", "k", "PERSIST") == bulk(b"v")
    assert ttl_ms(t, b"k") is None
    assert t.run("GETEX", "k", "EX", "0") == b"-ERR invalid expire time in 'getex' command\r\n"
    assert t.run("GETEX", "k", "EX", "x") == NOT_INT
    for opts in (("NX",), ("KEEPTTL",), ("GET",), ("EX", "1", "PERSIST"), ("EX",)):
        assert t.run("GETEX", "k", *opts) == SYNTAX
    assert t.run("GETEX", "l", "EX", "x") == WRONGTYPE
    # an absolute deadline already past deletes the key after replying
    assert t.run("GETEX", "k", "PXAT", str(NOW)) == bulk(b"v")
    assert t.run("EXISTS", "k") == b":0\r\n"


# -- counters ---------------------------------------------------------------------------


def test_incr_family(t: Harness) -> None:
    assert t.run("INCR", "n") == b":1\r\n"
    assert t.run("INCRBY", "n", "41") == b":42\r\n"
    assert t.run("DECR", "n") == b":41\r\n"
    assert t.run("DECRBY", "n", "-9") == b":50\r\n"
    assert t.run("GET", "n") == bulk(b"50")
    assert t.run("DECR", "fresh") == b":-1\r\n"


def test_incr_keeps_ttl(t: Harness) -> None:
    t.run("SET", "n", "1", "EX", "100")
    t.run("INCR", "n")
    assert ttl_ms(t, b"n") == 100_000


@pytest.mark.parametrize("value", [b"abc", b"", b" 1", b"1 ", b"01", b"+1", b"-0", b"1.0", b"1\x00",
                                   b"9223372036854775808", b"-9223372036854775809"])  # fmt: skip
def test_incr_rejects_non_integers(t: Harness, value: bytes) -> None:
    t.run("SET", "n", value)
    assert t.run("INCR", "n") == NOT_INT
    assert t.run("INCRBY", "m", value) == NOT_INT
    assert t.run("GET", "n") == bulk(value)


def test_incr_overflow(t: Harness) -> None:
    overflow = b"-ERR increment or decrement would overflow\r\n"
    t.run("SET", "n", "9223372036854775807")
    assert t.run("INCR", "n") == overflow
    assert t.run("DECRBY", "n", "-1") == overflow
    t.run("SET", "n", "-9223372036854775808")
    assert t.run("DECR", "n") == overflow
    assert t.run("INCRBY", "n", "9223372036854775807") == b":-1\r\n"
    assert t.run("DECRBY", "n", "-9223372036854775808") == b"-ERR decrement would overflow\r\n"
    assert t.run("INCRBY", "z", "-9223372036854775808") == b":-9223372036854775808\r\n"


def test_incr_wrongtype_and_argument_order(t: Harness) -> None:
    for cmd in (("INCR", "l"), ("DECR", "l"), ("INCRBY", "l", "1"), ("DECRBY", "l", "1")):
        assert t.run(*cmd) == WRONGTYPE
    assert t.run("INCRBY", "l", "x") == NOT_INT  # the argument is parsed first


# -- INCRBYFLOAT -----------------------------------------------------------------------

# (stored value or None, increment, reply) as redis-server 7.0.15 on x86-64 gives them
FLOAT_CASES = [
    (b"10.5", b"0.1", b"10.6"),
    (None, b"3.0e3", b"3000"),
    (b"3000", b"3.0e3", b"6000"),
    (None, b"5.0e3", b"5000"),
    (None, b"-1.1", b"-1.1"),
    (b"0.1", b"0.2", b"0.3"),
    (None, b"1e-20", b"0"),
    (None, b"-1e-20", b"0"),
    (None, b"3.814697265625e-06", b"0.00000381469726562"),  # tie at the 17th decimal
    (None, b"0x1p3", b"8"),
    (b"8", b"+.5", b"8.5"),
    (b"8.5", b"5.", b"13.5"),
    (None, b"0e99999999999", b"0"),
    (None, b"0x.8", b"0.5"),
    (b"12", b"-12", b"0"),
    (b"1e20", b"1e20", b"200000000000000000000"),
    (b"1.1e25", b"0.5", b"11000000000000000000000000"),  # 0.5 is lost in 64 bits
]  # fmt: skip


@pytest.mark.parametrize(("old", "incr", "reply"), FLOAT_CASES)
def test_incrbyfloat_values(t: Harness, old: bytes | None, incr: bytes, reply: bytes) -> None:
    if old is not None:
        t.run("SET", "f", old)
    assert t.run("INCRBYFLOAT", "f", incr) == bulk(reply)
    assert t.run("GET", "f") == bulk(reply)


def test_incrbyfloat_beyond_double_range(t: Harness) -> None:
    out = t.run("INCRBYFLOAT", "f", "1e400")
    assert out.startswith(b"$401\r\n10000000000000000000281880683947586514586453433629052038625910693")
    assert t.run("INCRBYFLOAT", "f", "-1e400") == bulk(b"0")


@pytest.mark.parametrize("incr", [b"nan", b"NaN(1)", b" 1", b"1 ", b"", b".", b"1e", b"0x", b"1.5\x00",
                                  b"abc", b"1,5", b"infinit", b"1e-5000", b"0x1p-16446",
                                  b"1.18973149535723176509e+4932", b"1." + b"0" * 5118])  # fmt: skip
def test_incrbyfloat_invalid(t: Harness, incr: bytes) -> None:
    assert t.run("INCRBYFLOAT", "f", incr) == NOT_FLOAT
    assert t.run("EXISTS", "f") == b":0\r\n"


def test_incrbyfloat_nan_or_infinity(t: Harness) -> None:
    err = b"-ERR increment would produce NaN or Infinity\r\n"
    assert t.run("INCRBYFLOAT", "f", "inf") == err
    assert t.run("INCRBYFLOAT", "f", "-Infinity") == err
    big = "1.18973149535723176502e+4932"  # the largest long double
    assert t.run("INCRBYFLOAT", "f", big).startswith(b"$4933\r\n11897314953572317650")
    assert t.run("INCRBYFLOAT", "f", big) == err
    t.run("SET", "g", "inf")
    assert t.run("INCRBYFLOAT", "g", "1") == err
    assert t.run("INCRBYFLOAT", "g", "x") == NOT_FLOAT


def test_incrbyfloat_stored_value_errors_and_type(t: Harness) -> None:
    t.run("SET", "f", "abc")
    assert t.run("INCRBYFLOAT", "f", "1") == NOT_FLOAT
    assert t.run("INCRBYFLOAT", "l", "x") == WRONGTYPE
    t.run("SET", "f", "1", "EX", "100")
    assert t.run("INCRBYFLOAT", "f", "1") == bulk(b"2")
    assert ttl_ms(t, b"f") == 100_000


def test_long_double_helpers() -> None:
    assert parse_long_double(b"1") == (1 << 63, -63)
    assert parse_long_double(b"-2") == (-(1 << 63), -62)
    assert parse_long_double(b"0") == (0, 0)
    assert parse_long_double(b"nan") is None
    one_tenth = parse_long_double(b"0.1")
    assert one_tenth is not None
    assert format_long_double(one_tenth) == b"0.1"
    total = add_long_double(one_tenth, one_tenth)
    assert total is not None and format_long_double(total) == b"0.2"
    inf = parse_long_double(b"inf")
    assert inf is not None and add_long_double(inf, one_tenth) is None
    # doubles that print exactly as Python prints them when 17 decimals suffice
    rnd = random.Random(3)
    for _ in range(200):
        x = round(rnd.uniform(-1e6, 1e6), rnd.randrange(0, 10))
        v = parse_long_double(repr(x).encode())
        assert v is not None
        assert float(format_long_double(v)) == x


# -- APPEND / STRLEN / ranges ------------------------------------------------------------


def test_append_strlen(t: Harness) -> None:
    assert t.run("APPEND", "k", "") == b":0\r\n"
    assert t.run("EXISTS", "k") == b":1\r\n"  # APPEND creates the key, even empty
    assert t.run("APPEND", "k", "ab\x00") == b":3\r\n"
    assert t.run("APPEND", "k", "\r\n") == b":5\r\n"
    assert t.run("STRLEN", "k") == b":5\r\n"
    assert t.run("GET", "k") == bulk(b"ab\x00\r\n")
    assert t.run("STRLEN", "missing") == b":0\r\n"
    assert t.run("APPEND", "l", "x") == WRONGTYPE
    assert t.run("STRLEN", "l") == WRONGTYPE


def test_append_limit_and_ttl(t: Harness) -> None:
    t.server.config.values["proto-max-bulk-len"] = 10
    t.run("SET", "k", "12345", "EX", "100")
    assert t.run("APPEND", "k", "67890") == b":10\r\n"
    assert t.run("APPEND", "k", "x") == TOO_BIG
    assert ttl_ms(t, b"k") == 100_000


GETRANGE_CASES = [
    ("0", "3", b"This"),
    ("-3", "-1", b"ing"),
    ("0", "-1", b"This is a string"),
    ("10", "100", b"string"),
    ("0", "-100", b"T"),  # 7.0: a negative end before the start clamps to 0
    ("-100", "-200", b""),  # both negative, start > end
    ("-1", "-5", b""),
    ("5", "3", b""),
    ("100", "200", b""),
    ("-100", "2", b"Thi"),
    ("-9223372036854775808", "9223372036854775807", b"This is a string"),
]


@pytest.mark.parametrize(("start", "end", "out"), GETRANGE_CASES)
def test_getrange(t: Harness, start: str, end: str, out: bytes) -> None:
    t.run("SET", "s", "This is a string")
    assert t.run("GETRANGE", "s", start, end) == bulk(out)
    assert t.run("SUBSTR", "s", start, end) == bulk(out)


def test_getrange_edges(t: Harness) -> None:
    assert t.run("GETRANGE", "missing", "0", "-1") == b"$0\r\n\r\n"
    t.run("SET", "e", "")
    assert t.run("GETRANGE", "e", "0", "-1") == b"$0\r\n\r\n"
    assert t.run("GETRANGE", "e", "0", "0") == b"$0\r\n\r\n"
    assert t.run("GETRANGE", "l", "0", "1") == WRONGTYPE
    assert t.run("GETRANGE", "l", "x", "1") == NOT_INT  # indexes are parsed first
    assert t.run("GETRANGE", "e", "0", "1.5") == NOT_INT


def test_setrange(t: Harness) -> None:
    assert t.run("SETRANGE", "k", "0", "hello") == b":5\r\n"
    assert t.run("SETRANGE", "k", "1", "EY") == b":5\r\n"
    assert t.run("GET", "k") == bulk(b"hEYlo")
    assert t.run("SETRANGE", "k", "7", "!") == b":8\r\n"
    assert t.run("GET", "k") == bulk(b"hEYlo\x00\x00!")
    assert t.run("SETRANGE", "k", "100", "") == b":8\r\n"
    assert t.run("SETRANGE", "new", "3", "") == b":0\r\n"
    assert t.run("EXISTS", "new") == b":0\r\n"
    assert t.run("SETRANGE", "new", "2", "x") == b":3\r\n"
    assert t.run("GET", "new") == bulk(b"\x00\x00x")
    assert t.run("SETRANGE", "k", "-1", "x") == b"-ERR offset is out of range\r\n"
    assert t.run("SETRANGE", "l", "-1", "x") == b"-ERR offset is out of range\r\n"
    assert t.run("SETRANGE", "l", "0", "") == WRONGTYPE
    assert t.run("SETRANGE", "k", "x", "y") == NOT_INT


def test_setrange_limit_and_ttl(t: Harness) -> None:
    t.server.config.values["proto-max-bulk-len"] = 10
    assert t.run("SETRANGE", "k", "9", "ab") == TOO_BIG
    assert t.run("SETRANGE", "k", "9223372036854775807", "a") == TOO_BIG
    assert t.run("SETRANGE", "k", "100", "") == b":0\r\n"
    assert t.run("SETRANGE", "k", "8", "ab") == b":10\r\n"
    t.run("EXPIRE", "k", "100")
    assert t.run("SETRANGE", "k", "0", "z") == b":10\r\n"
    assert ttl_ms(t, b"k") == 100_000


# -- LCS ---------------------------------------------------------------------------------


def naive_lcs_table(a: bytes, b: bytes) -> list[list[int]]:
    dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                dp[i][j] = dp[i - 1][j - 1] + 1
            else:
                dp[i][j] = max(dp[i - 1][j], dp[i][j - 1])
    return dp


def test_lcs_bit_rows_match_the_table() -> None:
    rnd = random.Random(1)
    for _ in range(200):
        alpha = rnd.choice([b"ab", b"acgt", b"01", bytes(range(256))])
        a = bytes(rnd.choice(alpha) for _ in range(rnd.randrange(25)))
        b = bytes(rnd.choice(alpha) for _ in range(rnd.randrange(25)))
        rows = _lcs_rows(a, b)
        dp = naive_lcs_table(a, b)
        for i in range(len(a) + 1):
            for j in range(len(b) + 1):
                assert j - (rows[i] & ((1 << j) - 1)).bit_count() == dp[i][j]


def test_lcs_replies(t: Harness) -> None:
    t.run("MSET", "a", "ohmytext", "b", "mynewtext")
    assert t.run("LCS", "a", "b") == bulk(b"mytext")
    assert t.run("LCS", "a", "b", "LEN") == b":6\r\n"
    idx = (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
        b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
        b"$3\r\nlen\r\n:6\r\n"
    )
    assert t.run("LCS", "a", "b", "IDX") == idx
    assert t.run("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"$3\r\nlen\r\n:6\r\n"
    )
    assert t.run("LCS", "a", "missing") == b"$0\r\n\r\n"
    assert t.run("LCS", "missing", "b", "LEN") == b":0\r\n"
    t.run("HELLO", "3")
    assert t.run("LCS", "a", "b", "IDX") == b"%2" + idx[2:]


def test_lcs_errors(t: Harness) -> None:
    t.run("MSET", "a", "x", "b", "y")
    assert t.run("LCS", "a", "b", "LEN", "IDX") == (
        b"-ERR If you want both the length and indexes, please just use IDX.\r\n"
    )
    assert t.run("LCS", "a", "b", "FOO") == SYNTAX
    assert t.run("LCS", "a", "b", "MINMATCHLEN") == SYNTAX
    assert t.run("LCS", "a", "b", "MINMATCHLEN", "x") == NOT_INT
    assert t.run("LCS", "a", "l") == b"-ERR The specified keys must contain string values\r\n"
    assert t.run("LCS", "l", "a", "FOO") == b"-ERR The specified keys must contain string values\r\n"
    t.server.config.values["proto-max-bulk-len"] = 100
    t.run("MSET", "a", "x" * 4, "b", "y" * 4)
    assert t.run("LCS", "a", "b", "LEN") == b":0\r\n"  # 5 * 5 * 4 = 100 bytes of table
    t.run("SET", "b", "y" * 5)
    assert t.run("LCS", "a", "b", "LEN") == (
        b"-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
    )


# -- RESP3, arity, counters ------------------------------------------------------------------


def test_resp3_nils(t: Harness) -> None:
    t.run("HELLO", "3")
    assert t.run("GET", "missing") == b"_\r\n"
    assert t.run("MGET", "missing", "l") == b"*2\r\n_\r\n_\r\n"
    assert t.run("SET", "k", "v", "XX") == b"_\r\n"
    assert t.run("SET", "k", "v", "GET") == b"_\r\n"
    assert t.run("GETSET", "n", "v") == b"_\r\n"
    assert t.run("GETDEL", "missing") == b"_\r\n"
    assert t.run("GETEX", "missing") == b"_\r\n"
    assert t.run("GETRANGE", "missing", "0", "1") == b"$0\r\n\r\n"


@pytest.mark.parametrize(
    ("name", "argc"),
    [("GET", 1), ("SET", 2), ("SETNX", 2), ("SETEX", 3), ("PSETEX", 5), ("MGET", 1), ("MSET", 2),
     ("MSETNX", 1), ("GETSET", 2), ("GETDEL", 3), ("GETEX", 1), ("INCR", 1), ("DECR", 3),
     ("INCRBY", 2), ("DECRBY", 2), ("INCRBYFLOAT", 4), ("APPEND", 2), ("STRLEN", 1),
     ("GETRANGE", 3), ("SETRANGE", 5), ("SUBSTR", 3), ("LCS", 2)],
)  # fmt: skip
def test_arity(t: Harness, name: str, argc: int) -> None:
    out = t.run(name, *["a"] * (argc - 1))
    assert out == b"-ERR wrong number of arguments for '%s' command\r\n" % name.lower().encode()


def test_table_rows(t: Harness) -> None:
    table = t.server.table
    mset = table.lookup(b"MSET")
    assert mset is not None and (mset.arity, mset.first, mset.last, mset.step) == (-3, 1, -1, 2)
    assert mset.key_positions([b"MSET", b"a", b"1", b"b", b"2"]) == [1, 3]
    lcs = table.lookup(b"lcs")
    assert lcs is not None and lcs.key_positions([b"LCS", b"a", b"b", b"LEN"]) == [1, 2]
    for name, cats in [
        # redis prints them in its category table's order (COMMAND INFO GET)
        (b"get", ["read", "string", "fast"]),
        (b"getrange", ["read", "string", "slow"]),
        (b"incrbyfloat", ["write", "string", "fast"]),
        (b"getex", ["write", "string", "fast"]),
    ]:
        row = table.lookup(name)
        assert row is not None and row.acl_categories() == cats
        assert row.doc.split()[0] == name.decode().upper()


def test_keyspace_hits_follow_redis(t: Harness) -> None:
    stats = t.server.keyspace.stats
    t.run("SET", "k", "1")
    hits, misses = stats.keyspace_hits, stats.keyspace_misses
    t.run("GET", "k")
    t.run("GET", "nope")
    t.run("MGET", "k", "nope")
    assert (stats.keyspace_hits - hits, stats.keyspace_misses - misses) == (2, 2)
    hits, misses = stats.keyspace_hits, stats.keyspace_misses
    t.run("INCR", "k")  # a write lookup: not counted
    t.run("APPEND", "nope2", "x")
    assert (stats.keyspace_hits, stats.keyspace_misses) == (hits, misses)


def test_pipeline_mix(t: Harness) -> None:
    out = t.feed(
        encode("SET", "a", "1")
        + encode("INCR", "a")
        + encode("APPEND", "a", "0")
        + encode("GETRANGE", "a", "0", "0")
        + encode("MGET", "a", "b")
    )
    assert out == b"+OK\r\n:2\r\n:2\r\n$1\r\n2\r\n*2\r\n$2\r\n20\r\n$-1\r\n"


def test_append_and_setrange_make_a_raw_string_changed_in_place(t: Harness) -> None:
    assert t.run("SET", "k", "ab") == b"+OK\r\n"
    assert t.run("OBJECT", "ENCODING", "k") == b"$6\r\nembstr\r\n"
    assert t.run("APPEND", "k", "cd") == b":4\r\n"
    assert t.run("OBJECT", "ENCODING", "k") == b"$3\r\nraw\r\n"
    value = t.server.keyspace.dbs[0].data[b"k"]
    for _ in range(1000):
        t.run("APPEND", "k", "x")
    assert t.server.keyspace.dbs[0].data[b"k"] is value  # the same object, grown in place
    assert t.run("STRLEN", "k") == b":1004\r\n"
    assert t.run("SETRANGE", "k", "1", "ZZ") == b":1004\r\n"
    assert t.run("GETRANGE", "k", "0", "4") == b"$5\r\naZZdx\r\n"
    assert t.run("SETRANGE", "new", "2", "v") == b":3\r\n"
    assert t.run("GET", "new") == b"$3\r\n\x00\x00v\r\n"
    assert t.run("OBJECT", "ENCODING", "new") == b"$3\r\nraw\r\n"
    assert t.run("COPY", "k", "k2") == b":1\r\n"
    t.run("APPEND", "k2", "!")
    assert t.run("STRLEN", "k") == b":1004\r\n" and t.run("STRLEN", "k2") == b":1005\r\n"
    assert t.run("INCR", "new") == b"-ERR value is not an integer or out of range\r\n"
    t.run("SET", "n", "1")
    t.run("APPEND", "n", "2")
    assert t.run("INCR", "n") == b":13\r\n"
    assert t.run("OBJECT", "ENCODING", "n") == b"$3\r\nint\r\n"
    assert t.run("INCRBYFLOAT", "k2", "1") == b"-ERR value is not a valid float\r\n"
