"""Read-through over the memcached protocol: a get, gets or mg miss on a loader
key loads it (Loaders.fetch), the requests behind it wait, a failure is
memcached's SERVER_ERROR."""

from __future__ import annotations

import re

import pytest
from pymemcache.client.base import Client as McClient

from helpers import McRawClient
from pgutil import CacheServers, Cluster, client

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
name = "mch"
key = "mch:{{id:int}}"
query = "SELECT name FROM products WHERE id = $1"
format = "hash"
ttl = "1h"
"""


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
