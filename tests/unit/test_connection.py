"""In-process tests of the connection walk and connection commands."""

from __future__ import annotations

from helpers import Harness, encode


def test_ping_echo(h: Harness) -> None:
    assert h.run("PING") == b"+PONG\r\n"
    assert h.run("PING", "hi") == b"$2\r\nhi\r\n"
    assert h.run("ECHO", b"a\r\nb") == b"$4\r\na\r\nb\r\n"
    assert h.run("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_pipeline_is_one_write_in_order(h: Harness) -> None:
    out = h.feed(encode("SET", "k", "v") + encode("GET", "k") + b"PING\r\n" + encode("GET", "nope"))
    assert out == b"+OK\r\n$1\r\nv\r\n+PONG\r\n$-1\r\n"


def test_unknown_command_and_arity(h: Harness) -> None:
    assert h.run("NOPE", "a", "b") == (
        b"-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n"
    )
    assert h.run("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert h.run("get", "k", "x") == b"-ERR wrong number of arguments for 'get' command\r\n"


def test_protocol_error_closes_after_reply(h: Harness) -> None:
    out = h.feed(encode("PING") + b"*1\r\n$x\r\n" + encode("PING"))
    assert out == b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert h.transport.closed


def test_hello_switches_protocol(h: Harness) -> None:
    out = h.run("HELLO", "3")
    assert out.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
    assert h.run("GET", "missing") == b"_\r\n"
    assert h.run("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert h.run("HELLO", "2").startswith(b"*14\r\n")
    assert h.run("GET", "missing") == b"$-1\r\n"


def test_quit_closes(h: Harness) -> None:
    assert h.feed(encode("QUIT") + encode("PING")) == b"+OK\r\n"
    assert h.transport.closed


def test_select(h: Harness) -> None:
    assert h.run("SET", "k", "0") == b"+OK\r\n"
    assert h.run("SELECT", "1") == b"+OK\r\n"
    assert h.run("GET", "k") == b"$-1\r\n"
    assert h.run("SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert h.run("SELECT", "x") == b"-ERR value is not an integer or out of range\r\n"


def test_select_out_of_int_range(h: Harness) -> None:
    assert h.run("SELECT", "99999999999") == (
        b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    )
    assert h.run("SELECT", "-1") == b"-ERR DB index is out of range\r\n"
