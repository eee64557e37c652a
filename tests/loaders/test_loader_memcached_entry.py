"""Loaders.fetch: the entry point a memcached get/gets/mg miss calls (value,
None, or a future), sharing single-flight with the Redis side."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cacheserver.loaders.base import LoaderUnavailable
from helpers import RawClient, encode
from pgutil import CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg


def config(port: int) -> str:
    return f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{port}/postgres"
sslmode = "disable"
borrow_timeout = "500ms"

[[loader]]
name = "mc"
key = "mc:{{id:int}}"
query = "SELECT name FROM products AS q_mc, slow(0.3) WHERE id = $1"
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
