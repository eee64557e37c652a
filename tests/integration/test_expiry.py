"""Active expiry: keys nobody touches again still leave, through the background cycle."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from helpers import ServerThread


def _set_with_ttl(client: redis.Redis, n: int, prefix: bytes, px: int = 1000) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(prefix + b"%d" % i, b"v", px=px)
    assert all(pipe.execute())


def _wait_dbsize(client: redis.Redis, want: int, within: float) -> int:
    """Poll DBSIZE (it touches no key) until it reads ``want`` or time is up."""
    deadline = time.monotonic() + within
    size = client.dbsize()
    while size != want and time.monotonic() < deadline:
        time.sleep(0.02)
        size = client.dbsize()
    return size


def _expired_keys(st: ServerThread) -> int | None:
    return st.server.keyspace.stats.expired_keys if st.server is not None else None


def test_100k_keys_expire_untouched(server: ServerThread, r: redis.Redis) -> None:
    n = 100_000
    r.set(b"sentinel", b"stays")  # no TTL: must survive the cycle
    other = redis.Redis(host=server.host, port=server.port, db=3, socket_timeout=10)
    try:
        _set_with_ttl(other, 100, b"db3:")  # every database is swept
        before = _expired_keys(server)
        _set_with_ttl(r, n, b"exp:")
        assert _wait_dbsize(r, 1, within=20) == 1
        assert _wait_dbsize(other, 0, within=5) == 0
        assert r.get(b"sentinel") == b"stays"
        after = _expired_keys(server)
        if before is not None and after is not None:  # in-process server: the cycle did it
            assert after - before == n + 100
    finally:
        other.close()


@pytest.fixture(scope="module")
def asyncio_server() -> Iterator[ServerThread]:
    st = ServerThread(loop="asyncio").start()
    yield st
    st.stop()


def test_expiry_under_the_asyncio_loop(asyncio_server: ServerThread) -> None:
    client = redis.Redis(host=asyncio_server.host, port=asyncio_server.port, socket_timeout=10)
    try:
        client.flushall()
        _set_with_ttl(client, 5_000, b"k", px=200)
        assert _wait_dbsize(client, 0, within=10) == 0
    finally:
        client.close()


def test_ttl_and_persist_through_a_client(r: redis.Redis) -> None:
    r.set("k", "v", px=300)
    r.set("keep", "v", px=300)
    assert r.persist("keep") is True
    assert 0 < r.pttl("k") <= 300
    assert _wait_dbsize(r, 1, within=5) == 1
    assert r.get("k") is None
    assert r.get("keep") == b"v"
    assert r.ttl("keep") == -1
