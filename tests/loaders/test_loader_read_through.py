"""Read-through against a real PostgreSQL: formats, negative caching, TTL and
jitter, single-flight, MGET batching, write semantics, ordering."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import redis

from helpers import RawClient, encode
from pgutil import CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg


def loaders_toml(pg: Cluster, extra_db: str = "", **loaders: str) -> str:
    return f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{pg.port}/postgres"
sslmode = "disable"
max_connections = 4
borrow_timeout = "2s"
query_timeout = "3s"
{extra_db}
""" + "".join(loaders.values())


PRODUCT = """
[[loader]]
name = "product"
key = "product:{id:int}"
query = "SELECT id, name, price, tags, attrs, photo, created, note FROM products AS q_product WHERE id = $1"
format = "json"
ttl = "1h"
jitter = "10%"
negative_ttl = "30s"
"""

PHASH = """
[[loader]]
name = "phash"
key = "phash:{id:int}"
query = "SELECT name, price, note FROM products AS q_phash WHERE id = $1"
format = "hash"
ttl = "10m"
"""

PNAME = """
[[loader]]
name = "pname"
key = "pname:{id:int}"
query = "SELECT name AS q_pname FROM products WHERE id = $1"
format = "value"
ttl = "60s"
jitter = "5s"
"""

SLOW = """
[[loader]]
name = "slow"
key = "slow:{id:int}"
query = "SELECT name AS q_slow FROM products, slow(0.4) WHERE id = $1"
format = "value"
ttl = "1h"
"""


@pytest.fixture
def st(pg: Cluster, servers: CacheServers) -> Any:
    pg.execute("SELECT pg_stat_statements_reset()")
    return servers.start(loaders_toml(pg, product=PRODUCT, phash=PHASH, pname=PNAME, slow=SLOW))


def test_json_format(st: Any, pg: Cluster) -> None:
    r = client(st)
    raw = r.get("product:7")
    assert raw == (
        b'{"id":7,"name":"product 7","price":"10.50","tags":["t7"],"attrs":{"n":7},'
        b'"photo":"AP8=","created":"2024-05-01T12:00:00Z","note":null}'
    )
    assert json.loads(raw)["price"] == "10.50"
    # stored: the second read is a hit, no new query
    assert r.get("product:7") == raw
    assert pg.calls("q_product") == 1
    ttl = r.ttl("product:7")
    assert 3600 <= ttl <= 3960  # 1h plus up to 10% jitter


def test_big_row_is_answered_whole(st: Any, pg: Cluster) -> None:
    # a loaded value of 64 KiB or more is answered in parts, as a hit is
    pg.execute("INSERT INTO products (id, name, note) VALUES (900001, 'big', repeat('n', 200000))")
    try:
        r = client(st)
        raw = r.get("product:900001")
        assert raw is not None and json.loads(raw)["note"] == "n" * 200_000
        assert r.get("product:900001") == raw
        assert r.ping()
    finally:
        pg.execute("DELETE FROM products WHERE id = 900001")


def test_hash_format(st: Any, pg: Cluster) -> None:
    r = client(st)
    # NULL columns are left out of the hash
    assert r.hgetall("phash:3") == {b"name": b"product 3", b"price": b"4.50"}
    assert r.hget("phash:4", "name") == b"product 4"
    assert r.hmget("phash:5", "price", "nope", "name") == [b"7.50", None, b"product 5"]
    assert r.type("phash:5") == b"hash"
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("phash:6")  # loaded, then GET meets a hash, as it would have
    assert r.exists("phash:6") == 1
    assert pg.calls("q_phash") == 4


def test_hash_resp3(st: Any) -> None:
    c = RawClient(st.host, st.port)
    c.call("HELLO", "3")
    assert c.call("HGETALL", "phash:9") == (
        b"%2\r\n$4\r\nname\r\n$9\r\nproduct 9\r\n$5\r\nprice\r\n$5\r\n13.50\r\n"
    )
    assert c.call("GET", "product:0") == b"_\r\n"
    c.close()


def test_value_format_and_jitter(st: Any, pg: Cluster) -> None:
    r = client(st)
    assert r.get("pname:11") == b"product 11"
    ttls = set()
    for i in range(12, 40):
        assert r.get(f"pname:{i}") == f"product {i}".encode()
        ttl = r.pttl(f"pname:{i}")
        assert 59_000 <= ttl <= 65_000
        ttls.add(ttl // 100)
    assert len(ttls) > 1  # jitter spreads the deadlines


def test_negative_caching(st: Any, pg: Cluster) -> None:
    r = client(st)
    assert r.get("product:999999") is None
    assert r.get("product:999999") is None
    assert r.exists("product:999999") == 0
    assert pg.calls("q_product") == 1
    # never visible as a key
    assert r.ttl("product:999999") == -2
    assert r.keys("*999999*") == []
    s = loader_stats(r, "product")
    assert s["negative_hits"] == "2"
    assert s["negative_entries"] == "1"


def test_key_that_does_not_fit_is_a_plain_miss(st: Any, pg: Cluster) -> None:
    r = client(st)
    for key in ("product:abc", "product:007", "product:+7", "product:", "product:7:x",
                "product:99999999999999999999", "phash:1.5"):
        assert r.get(key) is None
    assert pg.calls("q_product") == 0
    assert pg.calls("q_phash") == 0
    assert loader_stats(r, "product")["misses"] == "0"


def test_ttl_and_type_do_not_load(st: Any, pg: Cluster) -> None:
    r = client(st)
    assert r.ttl("product:21") == -2
    assert r.pttl("product:21") == -2
    assert r.type("product:21") == b"none"
    assert pg.calls("q_product") == 0


def test_exists_and_mget(st: Any, pg: Cluster) -> None:
    r = client(st)
    r.set("plain", "v")
    assert r.exists("product:31", "product:32", "product:888888", "plain", "product:31") == 4
    assert pg.calls("q_product") == 1  # one batched query for the two cold keys
    keys = [f"product:{i}" for i in range(100, 200)] + ["plain", "product:777777", "pname:100"]
    values = r.mget(keys)
    assert [json.loads(v)["id"] for v in values[:100]] == list(range(100, 200))
    assert values[100:] == [b"v", None, b"product 100"]
    assert pg.calls("q_product") == 2  # 100 cold keys and a missing one: one query
    assert pg.calls("q_pname") == 1
    assert r.mget(keys) == values
    assert pg.calls("q_product") == 2


def test_single_flight_across_clients(st: Any, pg: Cluster) -> None:
    """1,000 concurrent GETs of one cold key (slow query): exactly one query."""
    n = 1000
    socks = [socket.create_connection((st.host, st.port)) for _ in range(n)]
    req = encode("GET", "slow:42")
    for s in socks:
        s.sendall(req)
    for s in socks:
        s.settimeout(10)
        buf = b""
        while not buf.endswith(b"\r\n") or buf.count(b"\r\n") < 2:
            buf += s.recv(100)
        assert buf == b"$10\r\nproduct 42\r\n"
        s.close()
    assert pg.calls("q_slow") == 1
    s = loader_stats(client(st), "slow")
    assert int(s["coalesced"]) >= 1
    assert s["loads"] == "1"


def test_other_clients_served_during_a_load_and_order_kept(st: Any) -> None:
    c = RawClient(st.host, st.port)
    # a pipeline: the slow load holds the replies behind it, in order
    c.send(encode("SET", "a", "1") + encode("GET", "slow:43") + encode("GET", "a") + encode("PING"))
    other = client(st)
    wait_for(lambda: loader_stats(other, "slow")["in_flight"] == "1", what="the load to start")
    assert other.ping()
    assert other.get("a") == b"1"
    # served while the load still runs
    assert loader_stats(other, "slow")["in_flight"] == "1"
    assert c.reply() == b"+OK\r\n"
    assert c.reply() == b"$10\r\nproduct 43\r\n"
    assert c.reply() == b"$1\r\n1\r\n"
    assert c.reply() == b"+PONG\r\n"
    c.close()


def test_writes_act_on_the_cache_only(st: Any, pg: Cluster) -> None:
    r = client(st)
    r.set("product:50", "mine")
    assert r.get("product:50") == b"mine"  # cache-aside: the cache holds what was SET
    assert pg.calls("q_product") == 0
    assert r.delete("product:50") == 1
    assert json.loads(r.get("product:50"))["id"] == 50  # DEL: the next read loads again
    assert pg.calls("q_product") == 1


def test_set_during_a_load_wins(st: Any, pg: Cluster) -> None:
    c = RawClient(st.host, st.port)
    c.send(encode("GET", "slow:44"))
    r = client(st)
    wait_for(lambda: loader_stats(r, "slow")["in_flight"] == "1", what="the load to start")
    r.set("slow:44", "written meanwhile")
    # the fill does not overwrite it; the waiting GET answers what is there now
    assert c.reply() == b"$17\r\nwritten meanwhile\r\n"
    assert r.get("slow:44") == b"written meanwhile"
    c.close()


def test_client_disconnecting_while_waiting(st: Any) -> None:
    c = RawClient(st.host, st.port)
    c.send(encode("GET", "slow:45"))
    c.close()
    r = client(st)
    wait_for(lambda: r.exists("slow:45") and r.ttl("slow:45") > 0, what="the load to finish")
    assert r.ping()


def test_flush_forgets_negative_entries(st: Any) -> None:
    r = client(st)
    assert r.get("product:999997") is None
    assert loader_stats(r, "product")["negative_entries"] == "1"
    db = st.server.keyspace.dbs[0]
    st.call_soon(db.flushed)  # what FLUSHDB, FLUSHALL and SWAPDB signal
    wait_for(lambda: loader_stats(r, "product")["negative_entries"] == "0", what="the flush")


def test_loader_list_and_info(st: Any) -> None:
    r = client(st)
    listed = r.execute_command("LOADER", "LIST")
    first = listed[0] if isinstance(listed[0], dict) else dict(zip(listed[0][::2], listed[0][1::2], strict=True))
    assert first[b"name"] == b"product"
    assert first[b"key"] == b"product:{id:int}"
    assert first[b"ttl"] == b"1h"
    assert first[b"jitter"] == b"10%"
    r.get("product:60")
    info = r.info("loaders")
    assert info["loaders"] == 4
    assert info["loader_product"]["loads"] == 1
    assert info["pool_max"] == 4
    assert "pool_borrow_timeouts" in info
    assert r.execute_command("LOADER", "INVALIDATE", "product:60", "nope") == 1
    assert r.ttl("product:60") == -2
    with pytest.raises(redis.ResponseError, match="unknown subcommand"):
        r.execute_command("LOADER", "NOPE")
