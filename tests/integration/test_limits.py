"""Limits over real sockets, next to redis-server where it has the same
limit: the query buffer, the output buffer of a normal client, maxclients'
counters, TCP keepalive, and memcached's connection limit."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from cacheserver.config import Config
from helpers import (
    BlockingSocket,
    McRawClient,
    RawClient,
    RedisServerProcess,
    ServerThread,
    encode,
    info_field,
)


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ServerThread, RedisServerProcess]]:
    """Ours and redis-server, both with a 1mb query buffer limit and a 1mb
    hard output limit for normal clients."""
    cfg = Config()
    st = ServerThread(cfg).start()
    real = RedisServerProcess()
    for port in (st.port, real.port):
        c = RawClient("127.0.0.1", port)
        assert c.call("CONFIG", "SET", "client-query-buffer-limit", "1mb") == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0") == b"+OK\r\n"
        c.close()
    yield st, real
    real.stop()
    st.stop()


def ports(pair: tuple[ServerThread, RedisServerProcess]) -> list[int]:
    return [pair[0].port, pair[1].port]


def test_query_buffer_limit(pair: tuple[ServerThread, RedisServerProcess]) -> None:
    for port in ports(pair):
        c = BlockingSocket("127.0.0.1", port)
        try:
            # a 3 MB argument of which 1.5 MB arrive: past the 1 MB limit, unparsed
            c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n" + b"x" * 1_500_000)
        except ConnectionError:
            pass  # closed while still sending
        assert c.closed(10), port
        assert c.buf == b""
        c.close()
        other = RawClient("127.0.0.1", port)
        assert other.call("PING") == b"+PONG\r\n"
        other.close()


def test_output_buffer_limit_of_a_normal_client(
    pair: tuple[ServerThread, RedisServerProcess],
) -> None:
    total = 300 * (100_000 + 12)
    for port in ports(pair):
        setup = RawClient("127.0.0.1", port)
        setup.call("SET", "big", "v" * 100_000)
        greedy = BlockingSocket("127.0.0.1", port)
        # 30 MB of replies to a client that reads nothing yet: dropped at 1 MB
        greedy.send(encode("GET", "big") * 300)
        assert greedy.closed(10), port
        assert len(greedy.buf) < total
        greedy.close()
        assert setup.call("GET", "big") == b"$100000\r\n" + b"v" * 100_000 + b"\r\n"
        setup.close()
    ours = RawClient("127.0.0.1", pair[0].port)
    assert int(info_field(ours, "stats", "client_output_buffer_limit_disconnections")) >= 1
    ours.close()


def test_rejected_connections_are_not_received_connections() -> None:
    cfg = Config()
    cfg.values["maxclients"] = 1
    st = ServerThread(cfg).start()
    try:
        first = RawClient(st.host, st.port)
        for _ in range(3):
            extra = RawClient(st.host, st.port)
            assert extra.reply() == b"-ERR max number of clients reached\r\n"
            extra.close()
        # as redis-server: only accepted clients are received connections
        assert info_field(first, "stats", "total_connections_received") == "1"
        assert info_field(first, "stats", "rejected_connections") == "3"
        assert info_field(first, "clients", "maxclients") == "1"
        first.close()
    finally:
        st.stop()


def test_tcp_keepalive_on_accepted_sockets(server: ServerThread) -> None:
    c = RawClient(server.host, server.port)
    try:
        cid = int(c.call("CLIENT", "ID")[1:-2])
        assert server.server is not None
        client = server.server.clients[cid]
        assert client.transport is not None
        sock = client.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 300
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 100
    finally:
        c.close()


def test_memcached_maxconns() -> None:
    cfg = Config()
    cfg.values["memcached-maxconns"] = 2
    st = ServerThread(cfg).start()
    conns: list[McRawClient] = []
    try:
        for _ in range(2):
            c = McRawClient(st.host, st.mc_port)
            conns.append(c)
            assert c.call(b"version\r\n").startswith(b"VERSION")
        extra = McRawClient(st.host, st.mc_port)
        conns.append(extra)
        assert extra.closed()
        assert extra.buf == b"ERROR Too many open connections\r\n"
        stats = conns[0].call(b"stats\r\n")
        assert b"STAT max_connections 2\r\n" in stats
        assert b"STAT rejected_connections 1\r\n" in stats
        assert conns[1].call(b"set k 0 0 1\r\nx\r\n") == b"STORED\r\n"
        r = RawClient(st.host, st.port)
        assert info_field(r, "clients", "memcached_maxconns") == "2"
        assert r.call("CONFIG", "GET", "memcached-maxconns") == (
            b"*2\r\n$18\r\nmemcached-maxconns\r\n$1\r\n2\r\n"
        )
        r.close()
    finally:
        for c in conns:
            c.close()
        st.stop()
