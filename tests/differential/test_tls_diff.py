"""The same requests over TLS to cacheserver and to redis-server 7.0 with the
same certificates and TLS settings: identical replies, and the same refusals
of clients without a good certificate or without TLS."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest

from cacheserver.config import Config
from helpers import (
    BlockingSocket,
    Certs,
    RedisServerProcess,
    ServerThread,
    TlsRawClient,
    free_port,
)


@pytest.fixture(scope="module")
def servers(certs: Certs) -> Iterator[tuple[int, int]]:
    """(our TLS port, redis-server's TLS port), both requiring client certificates."""
    cfg = Config()
    cfg.values.update(certs.server_args())
    cfg.values["tls-port"] = free_port()
    ours = ServerThread(cfg).start()
    args = [f"--{k}" if i % 2 == 0 else v for k, v in certs.server_args().items() for i in (0, 1)]
    real_tls = free_port()
    real = RedisServerProcess("--tls-port", str(real_tls), *args)
    yield cfg["tls-port"], real_tls
    real.stop()
    ours.stop()


@pytest.fixture
def pair(servers: tuple[int, int], certs: Certs) -> Iterator[tuple[TlsRawClient, TlsRawClient]]:
    ctx = certs.client_context()
    a = TlsRawClient("127.0.0.1", servers[0], ctx)
    b = TlsRawClient("127.0.0.1", servers[1], ctx)
    for c in (a, b):
        assert c.call("FLUSHALL") == b"+OK\r\n"
    yield a, b
    a.close()
    b.close()


REQUESTS: tuple[tuple[str, ...], ...] = (
    ("PING",),
    ("PING", "hello"),
    ("SET", "k", "v"),
    ("GET", "k"),
    ("INCR", "n"),
    ("INCRBY", "n", "x"),
    ("GET",),
    ("NOSUCHCOMMAND", "a"),
    ("RPUSH", "l", "a", "b", "c"),
    ("LRANGE", "l", "0", "-1"),
    ("CONFIG", "GET", "tls-auth-clients"),
    ("CONFIG", "GET", "tls-protocols"),
    ("CONFIG", "GET", "tls-ciphers"),
    ("CONFIG", "GET", "tls-session-caching"),
    ("CONFIG", "GET", "tls-session-cache-size"),
    ("CONFIG", "GET", "tls-session-cache-timeout"),
    ("CONFIG", "GET", "tls-prefer-server-ciphers"),
    ("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt"),
    ("CONFIG", "SET", "tls-protocols", "TLSv9"),
    ("CONFIG", "SET", "tls-auth-clients", "maybe"),
    ("CONFIG", "SET", "tls-session-cache-size", "-1"),
)


def test_same_replies_over_tls(pair: tuple[TlsRawClient, TlsRawClient]) -> None:
    ours, real = pair
    for req in REQUESTS:
        assert ours.call(*req) == real.call(*req), req
    big = "x" * 300_000
    assert ours.call("SET", "big", big) == real.call("SET", "big", big)
    assert ours.call("GET", "big") == real.call("GET", "big")


def _outcome(port: int, ctx: ssl.SSLContext) -> bytes:
    """The reply to PING, or ``<refused>`` when the server ends the connection.

    redis-server sends the TLS alert before closing; the event loop's TLS
    layer closes without it, so the client sees an alert from one and an end
    of stream from the other: both are a refusal here."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(100) or b"<refused>"
    except (ssl.SSLError, ConnectionError):
        return b"<refused>"
    finally:
        raw.close()


@pytest.mark.parametrize("cert", [None, "stranger", "expired", "client"])
def test_same_handshake_outcome(servers: tuple[int, int], certs: Certs, cert: str | None) -> None:
    ctx = certs.client_context(cert)
    ours, real = (_outcome(port, ctx) for port in servers)
    assert ours == real
    assert (ours == b"+PONG\r\n") == (cert == "client")


def test_plain_text_client_is_dropped_by_both(servers: tuple[int, int]) -> None:
    for port in servers:
        s = BlockingSocket("127.0.0.1", port)
        s.send(b"*1\r\n$4\r\nPING\r\n")
        assert s.closed(5)
        assert s.buf == b"" or not s.buf.startswith(b"+")
        s.close()
