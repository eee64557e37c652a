"""Server-assisted client-side caching with redis-py's own cache (RESP3
``cache_config``) and with a RESP2 client whose invalidations are redirected
to a PubSub connection, against cacheserver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from redis.cache import CacheConfig

from helpers import ServerThread, wait_for


def _get_calls(r: redis.Redis) -> int:
    stats = r.info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


@pytest.fixture
def cached(server: ServerThread) -> Iterator[redis.Redis]:
    r = redis.Redis(host=server.host, port=server.port, protocol=3, cache_config=CacheConfig())
    r.flushall()
    yield r
    r.close()


@pytest.fixture
def writer(server: ServerThread) -> Iterator[redis.Redis]:
    w = redis.Redis(host=server.host, port=server.port)
    yield w
    w.close()


def test_redis_py_cache_serves_hits_locally(cached: redis.Redis, writer: redis.Redis) -> None:
    writer.set("product:1", "apple")
    assert cached.get("product:1") == b"apple"
    before = _get_calls(writer)
    for _ in range(20):
        assert cached.get("product:1") == b"apple"
    assert _get_calls(writer) == before  # all twenty answered from redis-py's cache


def test_redis_py_cache_invalidated_by_another_client(
    cached: redis.Redis, writer: redis.Redis
) -> None:
    writer.set("product:2", "old")
    assert cached.get("product:2") == b"old"
    writer.set("product:2", "new")
    # the invalidation push is on its way; redis-py reads it before it next
    # answers from the cache
    wait_for(lambda: cached.get("product:2") == b"new", 5, "the cached value invalidated")
    writer.delete("product:2")
    wait_for(lambda: cached.get("product:2") is None, 5, "the deleted key invalidated")


def test_redis_py_cache_flush_and_hash(cached: redis.Redis, writer: redis.Redis) -> None:
    writer.hset("cart:1", mapping={"a": "1", "b": "2"})
    assert cached.hgetall("cart:1") == {b"a": b"1", b"b": b"2"}
    writer.hset("cart:1", "c", "3")
    wait_for(lambda: cached.hgetall("cart:1") == {b"a": b"1", b"b": b"2", b"c": b"3"}, 5)
    writer.flushall()
    wait_for(lambda: cached.hgetall("cart:1") == {}, 5)


def test_tracking_table_limit(server: ServerThread) -> None:
    """Over tracking-table-max-keys, keys are forgotten with an invalidation."""
    r = redis.Redis(host=server.host, port=server.port, protocol=3)
    admin = redis.Redis(host=server.host, port=server.port)
    old = admin.config_get("tracking-table-max-keys")["tracking-table-max-keys"]
    try:
        admin.config_set("tracking-table-max-keys", 10)
        r.execute_command("CLIENT", "TRACKING", "ON")
        for i in range(50):
            r.get(f"limit:{i}")
        stats = admin.info("stats")
        assert stats["tracking_total_keys"] <= 10
        assert admin.info("clients")["tracking_clients"] == 1
    finally:
        admin.config_set("tracking-table-max-keys", old)
        r.close()
        admin.close()


def test_disconnect_leaves_no_tracking_state(server: ServerThread) -> None:
    admin = redis.Redis(host=server.host, port=server.port)
    base = admin.info("clients")["tracking_clients"]
    clients = [redis.Redis(host=server.host, port=server.port, protocol=3) for _ in range(20)]
    for i, c in enumerate(clients):
        c.execute_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", f"p{i}:")
    assert admin.info("clients")["tracking_clients"] == base + 20
    assert admin.info("stats")["tracking_total_prefixes"] >= 20
    for c in clients:
        c.close()
    wait_for(lambda: admin.info("clients")["tracking_clients"] == base, 5)
    assert admin.info("stats")["tracking_total_prefixes"] == 0
    admin.close()
