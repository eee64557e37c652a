"""Read-through over the memcached protocol: a get, gets or mg miss on a loader
key loads it (Loaders.fetch: a value, None or a future, single-flight shared
with the Redis side), the requests behind it wait, a failure is memcached's
SERVER_ERROR."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from pymemcache.client.base import Client as McClient

from cacheserver.loaders.base import LoaderUnavailable
from helpers import McRawClient, RawClient, encode
from pgutil import CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg


def config(port: int) -> str:
    return f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{port}/postgres"
sslmode = "disable"
borrow_timeout = "500ms"

[[loader]]
name = "mcv"
key = "mcv:{{id:int}}"
query = "SELECT name FROM products WHERE id = $1"
format = "value"
ttl = "1h"

[[loader]]
name = "mc"
key = "mc:{{id:int}}"
query = "SELECT name FROM products AS q_mc, slow(0.3) WHERE id = $1"
format = "value"
ttl = "1h"

[[loader]]
name = "mcn"
key = "mcn:{{id:int}}"
query = "SELECT note FROM products WHERE id = $1"
format = "value"
ttl = "1h"

[[loader]]
name = "mch"
key = "mch:{{id:int}}"
query = "SELECT name FROM products WHERE id = $1"
format = "hash"
ttl = "1h"

[[loader]]
name = "mcj"
key = "mcj:{{id:int}}"
query = "SELECT id FROM products WHERE id = $1"
ttl = "1h"
"""


def fetch(st: Any, key: bytes) -> Any:
    """Call fetch on the server's loop as a memcached handler would, awaiting a future."""

    async def go() -> Any:
        got = st.server.loaders.fetch(key)
        if isinstance(got, asyncio.Future):
            try:
                return ("future", await got)
            except LoaderUnavailable as e:
                return ("error", e.reason)
        return ("now", got)

    return asyncio.run_coroutine_threadsafe(go(), st.loop).result(10)


def test_memcached_reads_load(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(config(pg.port))
    m = McClient((st.host, st.mc_port), timeout=15)
    try:
        assert m.get("mcv:1") == b"product 1"
        assert client(st).ttl("mcv:1") > 3500  # stored by the loader, its TTL
        assert m.get_many(["mcv:2", "mcv:3", "plain"]) == {
            "mcv:2": b"product 2",
            "mcv:3": b"product 3",
        }
        assert m.gets("mcv:4")[0] == b"product 4"
        assert m.get("mcv:0") is None  # no row
        assert m.get("mch:1") is None  # a hash loader has no memcached form
    finally:
        m.close()
    c = McRawClient(st.host, st.mc_port)
    try:
        # a pipeline keeps its order around the load
        reply = c.call(b"mg mcv:5 v t k\r\nversion\r\nmg mcv:0 v q\r\n")
        assert re.fullmatch(
            rb"VA 9 t(3600|3599) kmcv:5\r\nproduct 5\r\nVERSION 1.6.18\r\n", reply
        ), reply
    finally:
        c.close()


def test_big_loaded_value(pg: Cluster, servers: CacheServers) -> None:
    # a loaded value of 64 KiB or more is answered in parts, as a hit is
    pg.execute("INSERT INTO products (id, name, note) VALUES (900002, 'big', repeat('m', 150000))")
    st = servers.start(config(pg.port))
    m = McClient((st.host, st.mc_port), timeout=15)
    try:
        assert m.get("mcn:900002") == b"m" * 150_000
        assert m.get("mcn:900002") == b"m" * 150_000
        assert m.version()
    finally:
        m.close()
        pg.execute("DELETE FROM products WHERE id = 900002")


def test_memcached_load_failure(pg2: Cluster, servers: CacheServers) -> None:
    st = servers.start(config(pg2.port))
    pg2.stop("fast")
    c = McRawClient(st.host, st.mc_port)
    try:
        reply = c.call(b"get mcv:1\r\nget plain\r\n")
        assert reply.startswith(b"SERVER_ERROR loader 'mcv' unavailable: ")
        assert reply.endswith(b"\r\nEND\r\n") and reply.count(b"\r\n") == 2
    finally:
        c.close()


def test_fetch(pg: Cluster, servers: CacheServers) -> None:
    pg.execute("SELECT pg_stat_statements_reset()")
    st = servers.start(config(pg.port))
    assert fetch(st, b"mc:1") == ("future", b"product 1")
    assert fetch(st, b"mc:1") == ("now", b"product 1")  # filled: no second load
    r = client(st)
    assert r.get("mc:1") == b"product 1"  # stored as a Redis string, db 0
    assert fetch(st, b"mc:0") == ("future", None)  # zero rows
    assert fetch(st, b"mcj:2") == ("future", b'{"id":2}')
    assert fetch(st, b"mch:2") == ("now", None)  # hash loaders have no memcached form
    assert fetch(st, b"nothing:2") == ("now", None)
    assert fetch(st, b"mc:x") == ("now", None)


def test_single_flight_across_protocols(pg: Cluster, servers: CacheServers) -> None:
    pg.execute("SELECT pg_stat_statements_reset()")
    st = servers.start(config(pg.port))
    c = RawClient(st.host, st.port)
    c.send(encode("GET", "mc:5"))
    r = client(st)
    wait_for(lambda: loader_stats(r, "mc")["in_flight"] == "1")
    assert fetch(st, b"mc:5") == ("future", b"product 5")
    assert c.reply() == b"$9\r\nproduct 5\r\n"
    assert pg.calls("q_mc") == 1
    c.close()


def test_fetch_error(pg2: Cluster, servers: CacheServers) -> None:
    st = servers.start(config(pg2.port))
    pg2.stop("fast")
    kind, why = fetch(st, b"mc:1")
    assert kind == "error"
    assert why.startswith("loader 'mc' unavailable: ")
