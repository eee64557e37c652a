"""TLS on both protocols: real clients (redis-py, redis-cli, pymemcache) with
and without client certificates, bad clients, run-time context changes."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from pymemcache.client.base import Client as McClient
from pymemcache.exceptions import MemcacheUnexpectedCloseError

from cacheserver.config import Config
from helpers import (
    BlockingSocket,
    Certs,
    RawClient,
    ServerThread,
    free_port,
    need_binary,
    wait_for,
)


@pytest.fixture(scope="module")
def tls_server(certs: Certs) -> Iterator[ServerThread]:
    cfg = Config()
    cfg.values.update(certs.server_args())
    cfg.values["tls-port"] = free_port()
    cfg.values["tls-memcached-port"] = free_port()
    st = ServerThread(cfg).start()
    yield st
    st.stop()


@pytest.fixture
def tls_port(tls_server: ServerThread) -> int:
    port: int = tls_server.config["tls-port"]
    return port


@pytest.fixture
def admin(tls_server: ServerThread) -> Iterator[RawClient]:
    """A plain-port connection; puts tls-auth-clients back to yes afterwards."""
    c = RawClient(tls_server.host, tls_server.port)
    yield c
    c.call("CONFIG", "SET", "tls-auth-clients", "yes")
    c.close()


def tls_redis(port: int, certs: Certs, cert: str | None = "client", ca: str = "ca") -> redis.Redis:
    kw = {}
    if cert is not None:
        kw = {"ssl_certfile": certs.path(cert, "crt"), "ssl_keyfile": certs.path(cert, "key")}
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        ssl=True,
        ssl_ca_certs=certs.path(ca, "crt"),
        socket_timeout=10,
        **kw,  # type: ignore[arg-type]
    )


def handshake_fails(port: int, ctx: ssl.SSLContext) -> bool:
    """True when the server ends the connection in or right after the
    handshake (under TLS 1.3 a refused client certificate shows on the first read)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = s.recv(100)
    except (ssl.SSLError, ConnectionError):
        return True
    finally:
        raw.close()
    if reply == b"":
        return True
    assert reply == b"+PONG\r\n"
    return False


def test_redis_py_with_client_certificate(tls_port: int, certs: Certs) -> None:
    r = tls_redis(tls_port, certs)
    assert r.ping()
    r.set("tls:k", "v")
    assert r.get("tls:k") == b"v"
    pipe = r.pipeline()
    for _ in range(100):
        pipe.incr("tls:n")
    assert pipe.execute()[-1] == 100
    r.close()


def test_large_values_both_ways(tls_port: int, certs: Certs) -> None:
    r = tls_redis(tls_port, certs)
    big = bytes(range(256)) * 8192  # 2 MB: many TLS records
    r.set("tls:big", big)
    assert r.get("tls:big") == big
    r.close()


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_clients_at_once_on_either_loop(loop: str, certs: Certs) -> None:
    # Every TLS connection reads through one shared buffer: input of several
    # clients at once, pipelined and in many records, must stay apart.
    cfg = Config()
    cfg.values.update(certs.server_args())
    cfg.values["tls-port"] = free_port()
    st = ServerThread(cfg, loop=loop).start()
    try:

        def work(n: int) -> list[bytes | None]:
            r = tls_redis(cfg["tls-port"], certs)
            pipe = r.pipeline(transaction=False)
            for i in range(300):
                pipe.set(f"c{n}:{i}", bytes([n]) * (i * 211 % 40_000))
            for i in range(300):
                pipe.get(f"c{n}:{i}")
            replies: list[bytes | None] = pipe.execute()[300:]
            r.close()
            return replies

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(work, range(4)))
        for n, replies in enumerate(results):
            assert replies == [bytes([n]) * (i * 211 % 40_000) for i in range(300)]
    finally:
        st.stop()


def test_client_certificate_required(tls_port: int, certs: Certs) -> None:
    assert handshake_fails(tls_port, certs.client_context(None))
    assert handshake_fails(tls_port, certs.client_context("stranger"))
    assert handshake_fails(tls_port, certs.client_context("expired"))
    with pytest.raises(redis.ConnectionError):
        tls_redis(tls_port, certs, cert=None).ping()
    # the server goes on serving
    assert not handshake_fails(tls_port, certs.client_context())


def test_plain_text_client_on_the_tls_port(tls_server: ServerThread, tls_port: int, certs: Certs) -> None:
    s = BlockingSocket("127.0.0.1", tls_port)
    s.send(b"*1\r\n$4\r\nPING\r\n")
    assert s.closed(5)
    assert b"PONG" not in s.buf
    s.close()
    plain = RawClient(tls_server.host, tls_server.port)
    assert plain.call("PING") == b"+PONG\r\n"
    plain.close()


def test_silent_client_is_cut_at_the_handshake_timeout(
    tls_server: ServerThread, tls_port: int, admin: RawClient
) -> None:
    assert admin.call("CONFIG", "SET", "tls-handshake-timeout", "1") == b"+OK\r\n"
    try:
        # the listeners are renewed: wait until a new connection gets the short timeout
        def cut() -> bool:
            s = BlockingSocket("127.0.0.1", tls_port)
            try:
                return s.closed(3)
            finally:
                s.close()

        wait_for(cut, timeout=15, what="a silent TLS client cut off")
    finally:
        admin.call("CONFIG", "SET", "tls-handshake-timeout", "10")


def test_auth_clients_optional_and_no(tls_port: int, certs: Certs, admin: RawClient) -> None:
    assert admin.call("CONFIG", "SET", "tls-auth-clients", "optional") == b"+OK\r\n"
    wait_for(lambda: not handshake_fails(tls_port, certs.client_context(None)), what="optional")
    # optional: a certificate that is sent is still checked
    assert handshake_fails(tls_port, certs.client_context("stranger"))
    assert not handshake_fails(tls_port, certs.client_context())
    assert admin.call("CONFIG", "SET", "tls-auth-clients", "no") == b"+OK\r\n"
    wait_for(lambda: not handshake_fails(tls_port, certs.client_context("stranger")), what="no")
    assert not handshake_fails(tls_port, certs.client_context(None))
    assert admin.call("CONFIG", "GET", "tls-auth-clients") == b"*2\r\n$16\r\ntls-auth-clients\r\n$2\r\nno\r\n"


def test_config_set_bad_file_is_refused(tls_port: int, certs: Certs, admin: RawClient) -> None:
    assert admin.call("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - "
        b"Unable to update TLS configuration. Check server logs.\r\n"
    )
    assert admin.call("CONFIG", "GET", "tls-cert-file")[-len(b"server.crt\r\n") :] == b"server.crt\r\n"
    for name, value in (("tls-ciphers", "BOGUS"), ("tls-protocols", "TLSv9"), ("tls-ciphersuites", "X")):
        reply = admin.call("CONFIG", "SET", name, value)
        assert reply.endswith(b"Unable to update TLS configuration. Check server logs.\r\n"), reply
    assert admin.call("CONFIG", "SET", "tls-auth-clients", "maybe") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - "
        b"argument(s) must be one of the following: no, yes, optional\r\n"
    )
    assert not handshake_fails(tls_port, certs.client_context())


def test_config_set_new_certificate_applies_to_new_connections(
    tls_port: int, certs: Certs, admin: RawClient
) -> None:
    old = tls_redis(tls_port, certs)
    assert old.ping()
    reply = admin.call(
        "CONFIG", "SET",
        "tls-cert-file", certs.path("server2", "crt"),
        "tls-key-file", certs.path("server2", "key"),
    )
    assert reply == b"+OK\r\n"
    try:
        wait_for(
            lambda: not handshake_fails(tls_port, certs.client_context(ca="other")),
            what="the new server certificate",
        )
        assert old.ping()  # an open connection keeps its context
    finally:
        admin.call(
            "CONFIG", "SET",
            "tls-cert-file", certs.path("server", "crt"),
            "tls-key-file", certs.path("server", "key"),
        )
        wait_for(lambda: not handshake_fails(tls_port, certs.client_context()), what="back")
        old.close()


def test_info_and_client_list(tls_server: ServerThread, tls_port: int, certs: Certs) -> None:
    r = tls_redis(tls_port, certs)
    info = r.info("server")
    assert info["tls_port"] == tls_port
    assert info["tcp_port"] == tls_server.port
    me = r.client_list()
    assert any(c["laddr"].endswith(f":{tls_port}") and c["cmd"] == "client|list" for c in me)
    r.close()


def test_redis_cli_tls(tls_port: int, certs: Certs) -> None:
    cli = need_binary("redis-cli")
    base = [cli, "-p", str(tls_port), "--tls", "--cacert", certs.path("ca", "crt")]
    out = subprocess.run(
        [*base, "--cert", certs.path("client", "crt"), "--key", certs.path("client", "key"), "PING"],
        capture_output=True, timeout=20,
    )
    assert out.stdout == b"PONG\n", out
    out = subprocess.run([*base, "PING"], capture_output=True, timeout=20)
    assert b"PONG" not in out.stdout


def test_memcached_over_tls(tls_server: ServerThread, certs: Certs) -> None:
    port = tls_server.config["tls-memcached-port"]
    mc = McClient(("127.0.0.1", port), tls_context=certs.client_context(), timeout=10)
    mc.set("tls:mc", b"hello")
    assert mc.get("tls:mc") == b"hello"
    assert mc.version().startswith(b"1.6")
    mc.close()
    bad = McClient(("127.0.0.1", port), tls_context=certs.client_context(None), timeout=10)
    with pytest.raises((ssl.SSLError, OSError, MemcacheUnexpectedCloseError)):
        bad.get("tls:mc")
    bad.close()


def test_bad_startup_configuration_is_refused(certs: Certs) -> None:
    out = subprocess.run(
        [
            sys.executable, "-m", "cacheserver",
            "--port", str(free_port()), "--memcached-port", "0",
            "--tls-port", str(free_port()),
            "--tls-cert-file", "/nonexistent.crt",
            "--tls-key-file", certs.path("server", "key"),
            "--tls-auth-clients", "no",
        ],
        capture_output=True,
        timeout=30,
    )
    assert out.returncode == 1
    assert b"Failed to load certificate: /nonexistent.crt" in out.stderr
