"""Bad input over real sockets: each case gets Redis's reply (or close), and
afterwards another client's data is intact and the server still answers PING."""

from __future__ import annotations

import gc
import logging
import random
import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest
import redis

from cacheserver.config import Config
from helpers import RawClient, ServerThread, encode, read_reply

KEPT = {
    b"kept:plain": b"value",
    b"kept:binary\r\n\x00": b"\x00\r\n*1\r\n$4\r\nPING\r\n\xff",
    b"kept:empty": b"",
    b"kept:counter": b"41",
}


@pytest.fixture
def healthy(server: ServerThread) -> Iterator[Callable[[], None]]:
    """Stores keys with another client; calling it checks they and the server are fine."""
    keeper = redis.Redis(host=server.host, port=server.port, protocol=2, socket_timeout=10)
    keeper.flushall()
    keeper.mset(KEPT)

    def check() -> None:
        assert keeper.ping() is True
        assert keeper.mget(list(KEPT)) == list(KEPT.values())
        assert keeper.incr(b"kept:counter") == 42
        assert keeper.decr(b"kept:counter") == 41
        fresh = RawClient(server.host, server.port)
        try:
            assert fresh.call("PING") == b"+PONG\r\n"
        finally:
            fresh.close()

    yield check
    keeper.close()


@pytest.fixture
def raw(server: ServerThread) -> Iterator[RawClient]:
    c = RawClient(server.host, server.port)
    yield c
    c.close()


def read_until_closed(c: RawClient) -> list[bytes]:
    """Every reply sent before the server closed the connection."""
    assert c.closed(timeout=10)
    replies, pos = [], 0
    while pos < len(c.buf):
        end = read_reply(c.buf, pos)
        assert end is not None, f"truncated reply: {c.buf[pos : pos + 80]!r}"
        replies.append(c.buf[pos:end])
        pos = end
    return replies


# -- garbage and framing -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_garbage_bytes(raw: RawClient, healthy: Callable[[], None], seed: int) -> None:
    rng = random.Random(seed)
    garbage = rng.randbytes(8192) + bytes(
        rng.choice(b"*$:+-\r\n0123456789 \"'") for _ in range(4096)
    )
    raw.send(garbage)
    raw.sock.shutdown(socket.SHUT_WR)  # then the server closes at end of input
    replies = read_until_closed(raw)
    # Garbage is never a command that succeeds: error replies only, and a
    # protocol error, if any, is the last thing sent.
    assert all(r.startswith(b"-ERR ") for r in replies), replies[:5]
    for r in replies[:-1]:
        assert not r.startswith(b"-ERR Protocol error")
    healthy()


def test_unknown_command(raw: RawClient, healthy: Callable[[], None]) -> None:
    # As C's "%.*s": an argument stops at a NUL; CR and LF become spaces.
    assert raw.call("NOSUCHCOMMAND", "a", b"\x00\r\n", b"x\r\ny") == (
        b"-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' '' 'x  y' \r\n"
    )
    raw.send(b"nosuch inline\r\n")
    assert raw.reply() == (
        b"-ERR unknown command 'nosuch', with args beginning with: 'inline' \r\n"
    )
    assert raw.call("PING") == b"+PONG\r\n"
    healthy()


def test_wrong_arity(raw: RawClient, healthy: Callable[[], None]) -> None:
    assert raw.call("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.call("SET", "k") == b"-ERR wrong number of arguments for 'set' command\r\n"
    assert raw.call("ECHO", "a", "b") == b"-ERR wrong number of arguments for 'echo' command\r\n"
    assert raw.call("CLIENT", "GETNAME", "x") == (
        b"-ERR wrong number of arguments for 'client|getname' command\r\n"
    )
    assert raw.call("GET", "kept:plain") == b"$5\r\nvalue\r\n"
    healthy()


def test_non_integer_arguments(raw: RawClient, healthy: Callable[[], None]) -> None:
    not_int = b"-ERR value is not an integer or out of range\r\n"
    assert raw.call("SELECT", "abc") == not_int
    assert raw.call("SELECT", "1.5") == not_int
    assert raw.call("INCRBY", "kept:counter", "abc") == not_int
    assert raw.call("INCRBY", "kept:counter", "99999999999999999999") == not_int
    assert raw.call("SET", "k", "v", "EX", "ten") == not_int
    assert raw.call("SET", "k", "v", "PX", " 1") == not_int
    assert raw.call("INCR", "kept:plain") == not_int
    assert raw.call("EXISTS", "k") == b":0\r\n"  # none of the failed SETs wrote
    healthy()


def test_set_with_negative_expire(raw: RawClient, healthy: Callable[[], None]) -> None:
    assert raw.call("SET", "k", "v", "EX", "-1") == b"-ERR invalid expire time in 'set' command\r\n"
    assert raw.call("SET", "k", "v", "PX", "0") == b"-ERR invalid expire time in 'set' command\r\n"
    assert raw.call("SET", "k", "v", "EX", "1", "PX", "1") == b"-ERR syntax error\r\n"
    assert raw.call("GET", "k") == b"$-1\r\n"
    healthy()


def test_incr_overflow(raw: RawClient, healthy: Callable[[], None]) -> None:
    overflow = b"-ERR increment or decrement would overflow\r\n"
    assert raw.call("SET", "n", str(2**63 - 1)) == b"+OK\r\n"
    assert raw.call("INCR", "n") == overflow
    assert raw.call("INCRBY", "n", "1") == overflow
    assert raw.call("SET", "n", str(-(2**63))) == b"+OK\r\n"
    assert raw.call("DECR", "n") == overflow
    assert raw.call("GET", "n") == b"$20\r\n-9223372036854775808\r\n"  # unchanged
    healthy()


def test_bulk_length_2_pow_40(raw: RawClient, healthy: Callable[[], None]) -> None:
    raw.send(encode("SET", "k", "v") + b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1099511627776\r\n")
    assert raw.reply() == b"+OK\r\n"
    assert raw.reply() == b"-ERR Protocol error: invalid bulk length\r\n"
    assert raw.closed()
    healthy()


def test_multibulk_count_2_pow_31(raw: RawClient, healthy: Callable[[], None]) -> None:
    raw.send(b"*2147483648\r\n")
    assert raw.reply() == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert raw.closed()
    healthy()


def test_protocol_error_mid_pipeline(
    server: ServerThread, raw: RawClient, healthy: Callable[[], None]
) -> None:
    raw.send(encode("SET", "a", "1") + b"*1\r\n:5\r\n" + encode("SET", "b", "2"))
    assert read_until_closed(raw) == [
        b"+OK\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    ]
    with redis.Redis(host=server.host, port=server.port) as c:
        assert c.get("a") == b"1" and c.get("b") is None  # nothing after the error ran
    healthy()


# -- vanishing clients ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "half",
    [
        b"*3\r\n$3\r\nSET\r\n$5\r\nhalf1\r\n$5\r\nva",
        b"*3\r\n$3\r\nSET\r\n$5\r\nhalf1\r\n$5000000\r\n" + b"x" * 1_000_000,
        b"*3\r\n$3\r\nSET\r\n$5\r",
        b"SET half1 value",
        b"*3\r\n",
    ],
    ids=["mid-bulk", "mid-big-bulk", "mid-header", "inline", "after-count"],
)
def test_client_vanishes_mid_request(
    server: ServerThread, healthy: Callable[[], None], half: bytes
) -> None:
    c = RawClient(server.host, server.port)
    c.send(encode("SET", "before", "1") + half)
    assert c.reply() == b"+OK\r\n"
    c.close()
    healthy()
    with redis.Redis(host=server.host, port=server.port) as check:
        assert check.get("before") == b"1"
        assert check.exists("half1") == 0


def test_client_resets_mid_request(server: ServerThread, healthy: Callable[[], None]) -> None:
    c = RawClient(server.host, server.port)
    c.send(encode("PING") + b"*3\r\n$3\r\nSET\r\n$5\r\nreset\r\n$100\r\nabc")
    assert c.reply() == b"+PONG\r\n"  # accepted and reading
    # SO_LINGER 0: close sends RST instead of FIN.
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    healthy()


def test_client_resets_before_the_server_accepts(caplog: pytest.LogCaptureFixture) -> None:
    st = ServerThread().start()
    try:
        # Hold the event loop so that the connection waits in the listen queue.
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            held.set()
            release.wait(10)

        st.call_soon(hold)
        assert held.wait(10)
        s = socket.create_connection((st.host, st.port))
        s.sendall(b"*1\r\n$4\r\nPI")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        release.set()
        # A later client's round trip: the reset connection was taken before it.
        later = RawClient(st.host, st.port)
        try:
            assert later.call("PING") == b"+PONG\r\n"
        finally:
            later.close()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        leaked = close_leaked_transports(st)
    finally:
        st.stop()
    assert errors == []
    assert leaked == 0


def close_leaked_transports(st: ServerThread) -> int:
    """Close, in the server's loop, transports of connections the server never took in.

    Left open they keep uvloop from closing its loop and warn when collected,
    in whatever test runs then.
    """
    assert st.server is not None
    taken = set(map(id, st.server.clients.values()))
    leaked = [
        t
        for t in gc.get_objects()
        if type(t).__name__ == "TCPTransport"
        and not t.is_closing()
        and getattr(t.get_protocol(), "server", None) is st.server
        and id(t.get_protocol()) not in taken
    ]
    done = threading.Event()

    def close_all() -> None:
        for t in leaked:
            t.close()
        done.set()

    st.call_soon(close_all)
    assert done.wait(10)
    return len(leaked)


def test_client_vanishes_during_a_big_reply(
    server: ServerThread, healthy: Callable[[], None]
) -> None:
    with redis.Redis(host=server.host, port=server.port) as setup:
        setup.set("huge", b"z" * (8 * 1024 * 1024))
    c = RawClient(server.host, server.port)
    c.send(encode("GET", "huge") * 4)
    c.sock.recv(1024)  # the reply has started
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    healthy()


# -- limits set in the config ----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_bulk_server() -> Iterator[ServerThread]:
    config = Config()
    config.values["proto-max-bulk-len"] = 1024 * 1024
    st = ServerThread(config).start()
    yield st
    st.stop()


def test_value_over_lowered_proto_max_bulk_len(small_bulk_server: ServerThread) -> None:
    st = small_bulk_server
    with redis.Redis(host=st.host, port=st.port, protocol=2) as keeper:
        keeper.set("kept", "v")
        limit = 1024 * 1024
        assert keeper.set("at-limit", b"a" * limit) is True
        assert keeper.strlen("at-limit") == limit
        c = RawClient(st.host, st.port)
        try:
            c.send(b"*3\r\n$3\r\nSET\r\n$4\r\nover\r\n$%d\r\n" % (limit + 1))
            assert c.reply() == b"-ERR Protocol error: invalid bulk length\r\n"
            assert c.closed()
        finally:
            c.close()
        # The same value whole in one write takes the same way.
        c = RawClient(st.host, st.port)
        try:
            c.send(b"*3\r\n$3\r\nSET\r\n$4\r\nover\r\n$%d\r\n" % (limit + 1) + b"b" * 1000)
            assert c.reply() == b"-ERR Protocol error: invalid bulk length\r\n"
            assert c.closed()
        finally:
            c.close()
        too_long = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
        c = RawClient(st.host, st.port)
        try:
            assert c.call("APPEND", "at-limit", "x") == too_long
            assert c.call("SETRANGE", "at-limit", str(limit), "x") == too_long
        finally:
            c.close()
        assert keeper.exists("over") == 0
        assert keeper.get("kept") == b"v"
        assert keeper.strlen("at-limit") == limit
        assert keeper.ping() is True


def test_more_clients_than_maxclients() -> None:
    config = Config()
    config.values["maxclients"] = 3
    st = ServerThread(config).start()
    clients: list[RawClient] = []
    try:
        for i in range(3):
            c = RawClient(st.host, st.port)
            clients.append(c)
            assert c.call("SET", f"k{i}", f"v{i}") == b"+OK\r\n"
        extra = RawClient(st.host, st.port)
        clients.append(extra)
        assert extra.reply() == b"-ERR max number of clients reached\r\n"
        assert extra.closed()
        # The connected clients and their data are untouched.
        for i, c in enumerate(clients[:3]):
            assert c.call("GET", f"k{i}") == b"$2\r\nv%d\r\n" % i
            assert c.call("PING") == b"+PONG\r\n"
        assert b"rejected_connections:1\r\n" in clients[0].call("INFO", "stats")
        # Once one leaves (killed: gone at once), a new client is accepted.
        cid = clients[2].call("CLIENT", "ID")[1:-2]
        assert clients[0].call("CLIENT", "KILL", "ID", cid) == b":1\r\n"
        again = RawClient(st.host, st.port)
        clients.append(again)
        assert again.call("GET", "k0") == b"$2\r\nv0\r\n"
    finally:
        for c in clients:
            c.close()
        st.stop()
