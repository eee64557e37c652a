"""The database side: the connection bound under a storm of cold misses, borrow
and query timeouts, stale values and clear errors while PostgreSQL is down,
recovery when it comes back."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
import redis

from helpers import RawClient, encode
from pgutil import CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg


def db_table(pg: Cluster, **keys: Any) -> str:
    lines = [f'dsn = "postgresql://postgres@127.0.0.1:{pg.port}/postgres"', 'sslmode = "disable"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    return "[database]\n" + "\n".join(lines) + "\n"


def loader(name: str, query: str, **keys: Any) -> str:
    body = {"name": name, "key": f"{name}:{{id:int}}", "query": query, "ttl": "1h", **keys}
    return "[[loader]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in body.items())


def test_pool_bound_under_5000_concurrent_cold_misses(pg: Cluster, servers: CacheServers) -> None:
    """5,000 clients each GET a different cold key at once: every reply right,
    never more than max_connections database connections."""
    st = servers.start(
        db_table(pg, max_connections=5, min_connections=0, application_name="cs-bound", borrow_timeout="10s")
        + loader("bound", "SELECT name, id AS q_bound FROM products WHERE id = $1", format="value"),
        maxclients=20000,
    )
    n = 5000
    seen: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            seen.append(pg.connections("cs-bound"))

    sampler = threading.Thread(target=sample)
    sampler.start()

    async def storm() -> list[bytes]:
        conns = await asyncio.gather(*(asyncio.open_connection(st.host, st.port) for _ in range(n)))
        for i, (_, writer) in enumerate(conns, 1):
            writer.write(encode("GET", f"bound:{i}"))

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
            line = await reader.readline()
            body = await reader.readexactly(int(line[1:]) + 2) if line.startswith(b"$") else b""
            writer.close()
            return line + body

        return await asyncio.gather(*(answer(rd, wr) for rd, wr in conns))

    try:
        replies = asyncio.run(storm())
    finally:
        done.set()
        sampler.join()
    for i, reply in enumerate(replies, 1):
        assert reply == b"$%d\r\nproduct %d\r\n" % (len(f"product {i}"), i)
    assert max(seen) <= 5
    r = client(st)
    pool = loader_stats(r, "pool")
    assert int(pool["pool_peak"]) <= 5
    assert int(loader_stats(r, "bound")["loads"]) == n
    # misses queued behind busy connections went out together (how many
    # share a query depends on timing: a loaded machine gives fewer per query)
    assert 0 < pg.calls("q_bound") < n / 2


def test_borrow_timeout_gives_a_clear_error(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(
        db_table(pg, max_connections=1, min_connections=0, borrow_timeout="300ms", query_timeout="5s")
        + loader("hold", "SELECT name FROM products, slow(1.5) WHERE id = $1", format="value")
        + loader("quick", "SELECT name FROM products WHERE id = $1", format="value")
    )
    holder = RawClient(st.host, st.port)
    holder.send(encode("GET", "hold:1"))
    r = client(st)
    wait_for(lambda: loader_stats(r, "hold")["in_flight"] == "1" and loader_stats(r, "pool")["pool_in_use"] == "1")
    with pytest.raises(redis.ResponseError) as info:
        r.get("quick:1")
    assert str(info.value).startswith("loader 'quick' unavailable: no database connection free within 0.3s")
    assert loader_stats(r, "pool")["pool_borrow_timeouts"] == "1"
    assert r.ping()  # the connection stays
    assert holder.reply() == b"$9\r\nproduct 1\r\n"
    assert r.get("quick:1") == b"product 1"  # and loads again once a connection is free
    holder.close()


def test_query_timeout_gives_a_clear_error(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(
        db_table(pg, query_timeout="300ms") + loader("sleepy", "SELECT name FROM products, slow(2) WHERE id = $1")
    )
    r = client(st)
    with pytest.raises(redis.ResponseError) as info:
        r.get("sleepy:1")
    msg = str(info.value)
    assert msg.startswith("loader 'sleepy' unavailable: ")
    assert "timeout" in msg or "timed out" in msg
    assert loader_stats(r, "sleepy")["errors"] == "1"


def test_connections_recycled(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(
        db_table(pg, min_connections=0, idle_timeout="300ms", max_lifetime="1h", health_check_interval="100ms",
                 application_name="cs-recycle")
        + loader("rc", "SELECT name FROM products WHERE id = $1", format="value")
    )
    r = client(st)
    assert r.get("rc:1") == b"product 1"
    assert pg.connections("cs-recycle") == 1
    wait_for(lambda: loader_stats(r, "pool")["pool_size"] == "0", what="the idle connection closed")
    assert loader_stats(r, "pool")["pool_recycled"] == "1"
    wait_for(lambda: pg.connections("cs-recycle") == 0, what="the backend gone")
    st2 = servers.start(
        db_table(pg, min_connections=1, max_lifetime="300ms", health_check_interval="100ms",
                 application_name="cs-lifetime")
        + loader("rc", "SELECT name FROM products WHERE id = $1", format="value")
    )
    r2 = client(st2)
    assert r2.get("rc:2") == b"product 2"
    # too old: closed and replaced, keeping min_connections open
    wait_for(lambda: int(loader_stats(r2, "pool")["pool_recycled"]) >= 1, what="the old connection recycled")
    wait_for(lambda: loader_stats(r2, "pool")["pool_size"] == "1", what="a fresh connection")
    assert r2.get("rc:3") == b"product 3"


def test_database_down_stale_errors_and_recovery(pg2: Cluster, servers: CacheServers) -> None:
    """PostgreSQL stopped: an expired value with stale_for is served at once, a
    load in flight and a key never loaded get clear errors; after a restart
    loads work again without restarting cacheserver."""
    st = servers.start(
        db_table(pg2, borrow_timeout="1s", query_timeout="2s", health_check_interval="200ms")
        + loader("item", "SELECT id, name FROM products WHERE id = $1", ttl="1s", stale_for="1m")
        + loader("crawl", "SELECT name FROM products, slow(1) WHERE id = $1", format="value")
    )
    r = client(st)
    first = r.get("item:1")
    assert json.loads(first) == {"id": 1, "name": "second 1"}
    wait_for(lambda: r.ttl("item:1") == -2, what="item:1 to expire")
    # a load in flight when the database stops
    mid = RawClient(st.host, st.port)
    mid.send(encode("GET", "crawl:3"))
    wait_for(lambda: loader_stats(r, "crawl")["in_flight"] == "1")
    pg2.stop("immediate")
    assert mid.reply().startswith(b"-ERR loader 'crawl' unavailable: ")
    assert mid.call("PING") == b"+PONG\r\n"  # no cache client is dropped
    # stale: served at once, while the refresh fails behind it
    assert r.get("item:1") == first
    assert int(loader_stats(r, "item")["stale_serves"]) >= 1
    # never loaded: a clear error naming the loader
    with pytest.raises(redis.ResponseError) as info:
        r.get("item:2")
    assert str(info.value).startswith("loader 'item' unavailable: ")
    assert "refused" in str(info.value) or "connect" in str(info.value)
    pg2.start()
    pg2.execute("UPDATE products SET name = 'renamed 1' WHERE id = 1")
    assert json.loads(r.get("item:2")) == {"id": 2, "name": "second 2"}
    # the stale copy gives way to a fresh load once the database answers
    wait_for(lambda: json.loads(r.get("item:1"))["name"] == "renamed 1", what="a fresh item:1")
    assert mid.call("GET", "crawl:3") == b"$8\r\nsecond 3\r\n"
    mid.close()
    pg2.execute("UPDATE products SET name = 'second 1' WHERE id = 1")


def test_a_query_postgresql_refuses_is_reported_at_start(
    pg: Cluster, servers: CacheServers, caplog: pytest.LogCaptureFixture
) -> None:
    st = servers.start(
        db_table(pg, application_name="cs-check")
        + loader("good", "SELECT name FROM products WHERE id = $1", format="value")
        + loader("typo", "SELECT nme FROM products WHERE id = $1", format="value")
    )
    r = client(st)

    def errors() -> dict[str, bytes]:
        out = {}
        for entry in r.execute_command("LOADER", "LIST"):
            d = entry if isinstance(entry, dict) else dict(zip(entry[::2], entry[1::2], strict=True))
            out[d[b"name"].decode()] = d[b"query_error"]
        return out

    found = wait_for(lambda: errors()["typo"], what="the refused query reported")
    assert b'column "nme" does not exist' in found
    assert errors()["good"] == b""
    assert any("PostgreSQL refuses its query" in m for m in caplog.messages)
    assert r.get("good:1") == b"product 1"


def test_a_retry_after_every_backend_ended_gets_a_fresh_connection(
    pg: Cluster, servers: CacheServers
) -> None:
    """PostgreSQL ended every connection (a restart does): the load that
    meets the first dead one retries on a new one, not on another idle
    connection that died the same way."""
    st = servers.start(
        db_table(pg, min_connections=3, application_name="cs-ended")
        + loader("ended", "SELECT name FROM products WHERE id = $1", format="value")
    )
    r = client(st)
    assert r.get("ended:1") == b"product 1"
    wait_for(lambda: pg.connections("cs-ended") == 3, what="three connections open")
    pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cs-ended'")
    assert r.get("ended:2") == b"product 2"  # (retried, unless the pool saw them end first)
