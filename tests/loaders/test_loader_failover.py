"""Failover across the DSN's hosts: a host that dies mid-load or turns read-only."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from helpers import RawClient, encode
from pgutil import CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg


def config(first: Cluster, second: Cluster, params: str = "", **db: Any) -> str:
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in db.items())
    return f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{first.port},127.0.0.1:{second.port}/postgres{params}"
sslmode = "disable"
{extra}
[[loader]]
name = "fo"
key = "fo:{{id:int}}"
query = "SELECT name FROM products WHERE id = $1"
format = "value"
ttl = "1h"

[[loader]]
name = "fslow"
key = "fslow:{{id:int}}"
query = "SELECT name FROM products, slow(0.5) WHERE id = $1"
format = "value"
ttl = "1h"
"""


def test_host_dies_mid_load(pg: Cluster, pg2: Cluster, servers: CacheServers) -> None:
    """The current host stops while one load runs and another waits for a
    connection: both are answered from the next host, no client is dropped."""
    st = servers.start(config(pg2, pg, max_connections=1, min_connections=0, borrow_timeout="3s"))
    r = client(st)
    assert r.get("fo:1") == b"second 1"
    running = RawClient(st.host, st.port)
    running.send(encode("GET", "fslow:2"))
    queued = RawClient(st.host, st.port)
    wait_for(lambda: loader_stats(r, "fslow")["in_flight"] == "1")
    queued.send(encode("GET", "fo:4"))
    wait_for(lambda: loader_stats(r, "fo")["queued"] == "1")
    pg2.stop("immediate")
    assert running.reply() == b"$9\r\nproduct 2\r\n"  # retried once, on the new host
    assert queued.reply() == b"$9\r\nproduct 4\r\n"
    assert r.get("fo:3") == b"product 3"
    assert r.get("fo:1") == b"second 1"  # what was cached stays cached
    pool = loader_stats(r, "pool")
    assert pool["pool_failovers"] == "1"
    assert pool["pool_current_host"] == f"127.0.0.1:{pg.port}"
    assert loader_stats(r, "fslow")["retries"] == "1"
    assert running.call("PING") == b"+PONG\r\n"
    running.close()
    queued.close()


def test_host_turns_read_only(pg: Cluster, pg2: Cluster, servers: CacheServers) -> None:
    st = servers.start(
        config(pg2, pg, "?target_session_attrs=read-write", health_check_interval="100ms", min_connections=1)
    )
    r = client(st)
    assert r.get("fo:1") == b"second 1", loader_stats(r, "pool")
    pg2.execute("ALTER SYSTEM SET default_transaction_read_only = on")
    pg2.execute("SELECT pg_reload_conf()")
    wait_for(lambda: loader_stats(r, "pool")["pool_failovers"] == "1", what="the failover")
    assert r.get("fo:2") == b"product 2"
    assert loader_stats(r, "pool")["pool_current_host"] == f"127.0.0.1:{pg.port}"


def test_read_only_host_skipped_at_connect(pg: Cluster, pg2: Cluster, servers: CacheServers) -> None:
    pg2.execute("ALTER SYSTEM SET default_transaction_read_only = on")
    pg2.execute("SELECT pg_reload_conf()")
    st = servers.start(config(pg2, pg, "?target_session_attrs=read-write", min_connections=0))
    assert client(st).get("fo:5") == b"product 5"


def test_every_host_down(pg2: Cluster, servers: CacheServers, _pg2: Cluster) -> None:
    st = servers.start(config(pg2, pg2, min_connections=0, borrow_timeout="1s"))
    pg2.stop("fast")
    r = client(st)
    with pytest.raises(redis.ResponseError) as info:
        r.get("fo:1")
    msg = str(info.value)
    assert msg.startswith("loader 'fo' unavailable: no usable database host (")
    assert msg.count(f"127.0.0.1:{pg2.port}:") == 2
