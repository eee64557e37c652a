"""Raw framing against the real redis-server 7.0.15: identical reply bytes, and
the connection closed after a protocol error by both servers, kept open otherwise."""

from __future__ import annotations

import pytest

from conftest import Pair, Pairs
from helpers import RawClient, encode


@pytest.fixture
def fresh(new_pair: Pairs) -> Pair:
    """A new pair of connections, for tests that get them closed."""
    return new_pair()


def still_open(c: RawClient) -> bool:
    c.send(encode("PING"))
    return c.reply() == b"+PONG\r\n"


def same(d: Pair, data: bytes, replies: int = 1) -> bytes:
    """Send ``data`` to both; identical replies, both connections still usable."""
    ours, real = d.raw(data, replies)
    assert ours == real, f"{data[:80]!r}: ours {ours!r} != redis {real!r}"
    assert still_open(d.ours) and still_open(d.real)
    return ours


def closes_with(d: Pair, data: bytes, replies: int = 1) -> bytes:
    """Send ``data`` to both; identical replies, then both close the connection."""
    ours, real = d.raw(data, replies)
    assert ours == real, f"{data[:80]!r}: ours {ours!r} != redis {real!r}"
    assert d.ours.closed(), "cacheserver kept the connection open"
    assert d.real.closed(), "redis-server kept the connection open"
    return ours


# -- inline commands ---------------------------------------------------------------------

INLINE = [
    b"PING\r\n",
    b"PING\n",
    b"ping hello\r\n",
    b"  ECHO   spaced  \r\n",
    b'ECHO "two words"\r\n',
    b'ECHO "\\x41\\x4a\\x00\\xff"\r\n',
    b'ECHO "\\n\\r\\t\\b\\a\\"\\\\\\q"\r\n',
    b'ECHO "\\xZZ"\r\n',
    b"ECHO 'it\\'s' \r\n",
    b"ECHO 'no \\n escapes'\r\n",
    b'ECHO a"b c"\r\n',
    b"ECHO a\x0bb\r\n",
    b"ECHO ''\r\n",
    b'ECHO ""\r\n',
    b'SET k "v\\r\\nw"\r\nGET k\r\n',
    b"SET k 1\r\nINCR k\r\nGET k\r\n",
]


@pytest.mark.parametrize("data", INLINE, ids=range(len(INLINE)))
def test_inline_commands(d: Pair, data: bytes) -> None:
    same(d, data, replies=max(1, data.count(b"\n")))


def test_blank_lines_and_empty_requests_are_skipped(d: Pair) -> None:
    data = b"\r\n\n   \r\n\t\n*0\r\n*-1\r\n*-7\r\nPING\r\n"
    assert same(d, data) == b"+PONG\r\n"


def test_inline_and_multibulk_mixed_in_one_write(d: Pair) -> None:
    data = (
        encode("SET", "a", "1")
        + b"GET a\r\n"
        + encode("ECHO", b"x\r\ny")
        + b'ECHO "z"\n'
        + encode("GET", "a")
    )
    same(d, data, replies=5)


def test_binary_arguments(d: Pair) -> None:
    value = b"\x00\r\n$5\r\n*1\r\n\xff\x00\r"
    same(d, encode("SET", b"k\x00\r\n", value) + encode("GET", b"k\x00\r\n"), replies=2)
    same(d, encode("SET", "", "") + encode("GET", "") + encode("EXISTS", ""), replies=3)


def test_unchecked_line_ends(d: Pair) -> None:
    # Redis skips the byte after each '\r' and the two after a payload, unchecked.
    same(d, b"*1\rX$4\r\nPINGxy*2\r\n$4\r\nECHO\r\n$1\r\nab\r\n", replies=2)


@pytest.mark.parametrize("head", [b"~", b">", b"|", b"=", b"(", b"+", b":", b"%", b"#"])
def test_type_byte_after_an_unchecked_payload_end(fresh: Pair, head: bytes) -> None:
    # The two bytes skipped after "PING" are not "\r\n", so a RESP3 type byte
    # starts the next request: Redis runs "~1" as an inline command.
    data = b"*1\r\n$4\r\nPINGxx" + head + b"1\r\n$4\r\nPING\r\n" + encode("PING")
    same(fresh, data, replies=5)


def test_big_payloads_then_more_requests(fresh: Pair) -> None:
    # a payload the exact parser gathers read by read, then what follows it:
    # an inline command, two unchecked bytes and a '~' line, a pipeline
    big = bytes(range(256)) * 400
    head = encode("SET", "k", big)[: -len(big) - 2]
    data = (
        head + big + b"\r\nPING\r\nGET nope\r\n"
        + head + big + b"XY~1\r\n$4\r\nPING\r\n"
        + encode("STRLEN", "k") + encode("GET", "k")
    )
    same(fresh, data, replies=9)


# -- unknown commands and arity -------------------------------------------------------------

UNKNOWN = [
    ("NOPE",),
    ("NOPE", "a", "b"),
    ("nope", "x" * 200),
    ("NOPE", *(["abcdefghij"] * 20)),
    ("x" * 300,),
    ("",),
    ("NOPE", b"a\r\nb", b"c\x00d"),
    ("GET\x00", "k"),
]


@pytest.mark.parametrize("args", UNKNOWN, ids=range(len(UNKNOWN)))
def test_unknown_commands(d: Pair, args: tuple[str | bytes, ...]) -> None:
    same(d, encode(*args))


def test_unknown_inline_commands(d: Pair) -> None:
    same(d, b"NOPE a b\r\n")
    same(d, b"$4\r\n")
    same(d, b"~1 x\r\n")


ARITY = [
    ("GET",),
    ("GET", "a", "b"),
    ("SET", "k"),
    ("ECHO",),
    ("ECHO", "a", "b"),
    ("PING", "a", "b"),
    ("SELECT",),
    ("EXISTS",),
    ("DEL",),
    ("CLIENT",),
    ("CLIENT", "SETNAME"),
    ("CLIENT", "GETNAME", "x"),
    ("CLIENT", "NOSUCH"),
    ("HELLO", "3", "AUTH", "default"),
    ("FLUSHALL", "ASYNC", "x"),
]


@pytest.mark.parametrize("args", ARITY, ids=range(len(ARITY)))
def test_wrong_arity(d: Pair, args: tuple[str, ...]) -> None:
    same(d, encode(*args))


def test_arity_errors_inline(d: Pair) -> None:
    same(d, b"GET\r\n")
    same(d, b"set k\r\n")


# -- protocol errors: reply, then close ---------------------------------------------------

PROTOCOL_ERRORS = [
    b"*x\r\n",
    b"*+1\r\n$4\r\nPING\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"*-0\r\n",
    b"*\r\n",
    b"*1\r\n$x\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\n$+4\r\nPING\r\n",
    b"*1\r\n$04\r\nPING\r\n",
    b"*1\r\n:1\r\n",
    b"*2\r\n:1\r\n",
    b"*1\r\n+PING\r\n",
    b"*1\r\n=8\r\ntxt:PING\r\n",
    b"*2\r\n$4\r\nECHO\r\n(12\r\n",
    b"*2\r\n$4\r\nECHO\r\n-ERR x\r\n",
    b"*2\r\n*1\r\n$4\r\nPING\r\n",
    b"*3\r\n$4\r\nECHO\r\n*1\r\n",
    b"*2\r\n$4\r\nECHO\r\nhello\r\n",
    b"*1\r\n\xff\r\n",
    b"*1\r\n\n\r\n",
    b"*1\r\n\r\n",
    b'ECHO "abc\r\n',
    b"ECHO 'abc\r\n",
    b'ECHO "a"b\r\n',
    b'ECHO "abc\\"\r\n',
]


@pytest.mark.parametrize("data", PROTOCOL_ERRORS, ids=range(len(PROTOCOL_ERRORS)))
def test_protocol_errors_close(fresh: Pair, data: bytes) -> None:
    assert closes_with(fresh, data).startswith(b"-ERR Protocol error: ")


def test_error_after_good_requests(fresh: Pair) -> None:
    good = b"".join(encode("SET", f"key:{i}", "v" * (i % 50)) for i in range(100))
    out = closes_with(fresh, good + b"PING\r\n" + b"*2\r\n$4\r\nECHO\r\n:1\r\n", replies=102)
    assert out.endswith(b"+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n")


def test_bulk_length_2_pow_40(fresh: Pair) -> None:
    out = closes_with(fresh, b"*2\r\n$3\r\nGET\r\n$1099511627776\r\n")
    assert out == b"-ERR Protocol error: invalid bulk length\r\n"


def test_multibulk_count_2_pow_31(fresh: Pair) -> None:
    out = closes_with(fresh, b"*2147483648\r\n")
    assert out == b"-ERR Protocol error: invalid multibulk length\r\n"


def test_multibulk_count_int_max_is_accepted(fresh: Pair) -> None:
    # 2**31-1 arguments are announced; the first one is then judged.
    out = closes_with(fresh, b"*2147483647\r\n:1\r\n")
    assert out == b"-ERR Protocol error: expected '$', got ':'\r\n"


def test_too_big_inline_request(fresh: Pair) -> None:
    out = closes_with(fresh, b"x" * 70000)
    assert out == b"-ERR Protocol error: too big inline request\r\n"


def test_too_big_mbulk_count_string(fresh: Pair) -> None:
    out = closes_with(fresh, b"*" + b"1" * 70000)
    assert out == b"-ERR Protocol error: too big mbulk count string\r\n"


def test_too_big_bulk_count_string(fresh: Pair) -> None:
    out = closes_with(fresh, b"*1\r\n$" + b"1" * 70000)
    assert out == b"-ERR Protocol error: too big bulk count string\r\n"


def test_nul_before_the_line_end(fresh: Pair) -> None:
    # Redis looks for line ends with strchr: a NUL hides the newline, so the
    # line is never run; the buffer then grows past the inline limit.
    out = closes_with(fresh, b"PI\x00NG\r\n" + b"x" * 70000)
    assert out == b"-ERR Protocol error: too big inline request\r\n"


def test_nul_before_the_count_line_end(fresh: Pair) -> None:
    out = closes_with(fresh, b"*1\r\n$\x004\r\nPING\r\n" + b"x" * 70000)
    assert out == b"-ERR Protocol error: too big bulk count string\r\n"


def test_pipelined_replies_before_the_error_are_sent(fresh: Pair) -> None:
    data = encode("SET", "k", "v") + b"GET k\r\n" + b"*1\r\n$-5\r\n" + encode("GET", "k")
    out = closes_with(fresh, data, replies=3)
    assert out == b"+OK\r\n$1\r\nv\r\n-ERR Protocol error: invalid bulk length\r\n"


def test_quit(fresh: Pair) -> None:
    assert closes_with(fresh, encode("QUIT") + encode("PING")) == b"+OK\r\n"


def test_quit_inline(fresh: Pair) -> None:
    assert closes_with(fresh, b"QUIT\r\nPING\r\n") == b"+OK\r\n"
