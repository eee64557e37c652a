"""Fixtures shared by every test directory."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
import redis

sys.path.insert(0, os.path.dirname(__file__))

from helpers import (
    Certs,
    Clock,
    Harness,
    McHarness,
    MemcachedProcess,
    RedisServerProcess,
    ServerThread,
)


@pytest.fixture
def h() -> Harness:
    """An in-process server and client (no sockets)."""
    return Harness()


@pytest.fixture
def clock(h: Harness) -> Clock:
    """A fake clock for ``h``, at T0."""
    return Clock(h)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    """One cacheserver per test module (uvloop, ephemeral port).

    With CACHESERVER_TEST_ADDR=host:port the tests target that running server.
    """
    addr = os.environ.get("CACHESERVER_TEST_ADDR")
    if addr:
        host, port = addr.rsplit(":", 1)
        st = ServerThread()
        st.host, st.port = host, int(port)
        yield st
        return
    st = ServerThread().start()
    yield st
    st.stop()


@pytest.fixture(scope="module", params=["uvloop", "asyncio"])
def loop_server(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    """The module's uvloop server, then one on the plain asyncio event loop."""
    if request.param == "uvloop":
        yield request.getfixturevalue("server")
        return
    if os.environ.get("CACHESERVER_TEST_ADDR"):
        pytest.skip("a running server has its own event loop")
    st = ServerThread(loop="asyncio").start()
    yield st
    st.stop()


@pytest.fixture
def r(server: ServerThread) -> Iterator[redis.Redis]:
    """A redis-py client on a flushed server."""
    client = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def real_redis() -> Iterator[RedisServerProcess]:
    """The real redis-server (required in CI)."""
    proc = RedisServerProcess()
    yield proc
    proc.stop()


@pytest.fixture
def mh() -> McHarness:
    """An in-process server with one memcached connection (no sockets)."""
    return McHarness()


@pytest.fixture(scope="session")
def real_memcached() -> Iterator[MemcachedProcess]:
    """The real memcached 1.6 (required in CI)."""
    proc = MemcachedProcess()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """Test certificates (CA, server, client, another CA's client, expired)."""
    return Certs(str(tmp_path_factory.mktemp("certs")))
