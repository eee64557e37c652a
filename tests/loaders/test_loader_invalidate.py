"""Invalidation: the shipped trigger SQL, NOTIFY to dropped entries (change
signals fired), negative entries ended by INSERT, an invalidation during a load,
a dropped LISTEN connection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from helpers import RawClient, encode
from pgutil import CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg

SQL = os.path.join(os.path.dirname(__file__), "..", "..", "cacheserver", "loaders", "invalidate.sql")


@pytest.fixture(scope="module")
def items(pg: Cluster) -> Iterator[Cluster]:
    with open(SQL) as f:
        pg.execute(f.read())
    pg.execute(
        """
        DROP TABLE IF EXISTS inv_items;
        CREATE TABLE inv_items (item_id int PRIMARY KEY, org text NOT NULL, name text NOT NULL);
        INSERT INTO inv_items SELECT g, 'acme', 'item ' || g FROM generate_series(1, 100) g;
        CREATE TRIGGER inv_items_cs AFTER INSERT OR UPDATE OR DELETE ON inv_items
            FOR EACH ROW EXECUTE FUNCTION cacheserver_notify('items_changed', 'id=item_id');
        CREATE TRIGGER inv_items_cs_org AFTER INSERT OR UPDATE OR DELETE ON inv_items
            FOR EACH ROW EXECUTE FUNCTION cacheserver_notify('org_items_changed', 'org', 'id=item_id');
        CREATE TRIGGER inv_items_cs_all AFTER TRUNCATE ON inv_items
            FOR EACH STATEMENT EXECUTE FUNCTION cacheserver_notify_all('items_changed');
        """
    )
    yield pg


CONFIG = """
[database]
dsn = "postgresql://postgres@127.0.0.1:{port}/postgres"
sslmode = "disable"
health_check_interval = "200ms"

[[loader]]
name = "item"
key = "item:{{id:int}}"
query = "SELECT name FROM inv_items WHERE item_id = $1"
format = "value"
ttl = "1h"
negative_ttl = "1h"
invalidate_channel = "items_changed"

[[loader]]
name = "islow"
key = "islow:{{id:int}}"
query = "SELECT name FROM inv_items, slow(0.4) WHERE item_id = $1"
format = "value"
ttl = "1h"
invalidate_channel = "items_changed"

[[loader]]
name = "orgitem"
key = "org:{{org}}:item:{{id:int}}"
query = "SELECT name, org FROM inv_items WHERE org = $1 AND item_id = $2"
format = "hash"
ttl = "1h"
invalidate_channel = "org_items_changed"
"""


@pytest.fixture
def st(items: Cluster, servers: CacheServers) -> Any:
    items.execute("UPDATE inv_items SET name = 'item ' || item_id, org = 'acme'")
    s = servers.start(CONFIG.format(port=items.port))
    r = client(s)
    wait_for(lambda: loader_stats(r, "listen")["listen_connected"] == "1", what="LISTEN")
    changed: list[bytes] = []
    s.call_soon(s.server.keyspace.add_modified_hook, lambda db, key: changed.append(key))
    s.changed = changed
    return s


def gone(r: Any, key: str) -> bool:
    return bool(r.ttl(key) == -2)  # TTL does not load


def test_update_insert_delete(st: Any, items: Cluster) -> None:
    r = client(st)
    assert r.get("item:1") == b"item 1"
    items.execute("UPDATE inv_items SET name = 'changed' WHERE item_id = 1")
    wait_for(lambda: gone(r, "item:1"), what="item:1 dropped")
    assert b"item:1" in st.changed  # deleted through the keyspace: change signals fired
    assert r.get("item:1") == b"changed"
    # zero rows are remembered; an INSERT ends that
    assert r.get("item:500") is None
    assert r.get("item:500") is None
    assert loader_stats(r, "item")["negative_hits"] == "1"
    items.execute("INSERT INTO inv_items VALUES (500, 'acme', 'new')")
    wait_for(lambda: loader_stats(r, "item")["negative_entries"] == "0", what="the negative entry dropped")
    assert r.get("item:500") == b"new"
    items.execute("DELETE FROM inv_items WHERE item_id = 500")
    wait_for(lambda: gone(r, "item:500"), what="item:500 dropped")
    assert r.get("item:500") is None


def test_multi_capture_keys_and_changed_key_columns(st: Any, items: Cluster) -> None:
    r = client(st)
    assert r.hgetall("org:acme:item:5") == {b"name": b"item 5", b"org": b"acme"}
    assert r.hgetall("org:other:item:5") == {}
    items.execute("UPDATE inv_items SET org = 'other' WHERE item_id = 5")
    # both the old key and the new one hear of it
    wait_for(lambda: gone(r, "org:acme:item:5"), what="the old key dropped")
    assert r.hgetall("org:acme:item:5") == {}
    assert r.hgetall("org:other:item:5") == {b"name": b"item 5", b"org": b"other"}


def test_many_rows_plain_payloads_and_truncate_all(st: Any, items: Cluster) -> None:
    r = client(st)
    keys = [f"item:{i}" for i in range(10, 20)]
    assert r.mget(keys) == [f"item {i}".encode() for i in range(10, 20)]
    items.execute("UPDATE inv_items SET name = name || '!' WHERE item_id BETWEEN 10 AND 14")
    wait_for(lambda: all(gone(r, k) for k in keys[:5]), what="five keys dropped")
    assert r.exists(*keys[5:]) == 5
    items.execute("SELECT pg_notify('items_changed', '17')")  # a bare value names the only capture
    wait_for(lambda: gone(r, "item:17"), what="item:17 dropped")
    items.execute("SELECT pg_notify('items_changed', '*')")
    wait_for(lambda: all(gone(r, k) for k in keys), what="every item dropped")


def test_invalidation_during_a_load_is_not_stored(st: Any, items: Cluster) -> None:
    r = client(st)
    c = RawClient(st.host, st.port)
    c.send(encode("GET", "islow:7"))
    wait_for(lambda: loader_stats(r, "islow")["in_flight"] == "1")
    items.execute("UPDATE inv_items SET name = 'during' WHERE item_id = 7")
    # the first query read the old row; it is not stored, the load runs again
    assert c.reply() == b"$6\r\nduring\r\n"
    assert r.get("islow:7") == b"during"
    assert int(loader_stats(r, "islow")["loads"]) == 2
    c.close()


def test_dropped_listen_connection(st: Any, items: Cluster) -> None:
    r = client(st)
    assert r.get("item:30") == b"item 30"
    items.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cacheserver-listen'")
    wait_for(lambda: loader_stats(r, "listen")["listen_reconnects"] == "1", what="the LISTEN reconnect")
    # notifications may have been missed meanwhile: the channel's entries are dropped
    wait_for(lambda: gone(r, "item:30"), what="entries dropped on reconnect")
    assert r.get("item:31") == b"item 31"
    items.execute("UPDATE inv_items SET name = 'after' WHERE item_id = 31")
    wait_for(lambda: gone(r, "item:31"), what="notifications after the reconnect")
    assert r.get("item:31") == b"after"


def push(c: RawClient) -> bytes:
    return c.reply()


def test_client_tracking_hears_loads_and_invalidations(st: Any, items: Cluster) -> None:
    """A load is the reading client's own read (no push to it) and it stays
    tracked; a NOTIFY reaches it; so does the end of a negative entry."""
    c = RawClient(st.host, st.port)
    c.call("HELLO", "3")
    assert c.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
    assert c.call("GET", "item:40") == b"$7\r\nitem 40\r\n"
    # still tracked after the fill: its own DEL is announced to it after the reply
    assert c.call("DEL", "item:40") == b":1\r\n"
    assert push(c) == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\nitem:40\r\n"
    assert c.call("GET", "item:40") == b"$7\r\nitem 40\r\n"
    items.execute("UPDATE inv_items SET name = 'forty' WHERE item_id = 40")
    assert push(c) == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\nitem:40\r\n"
    # a cached nil (zero rows, remembered) hears of the row that appears
    assert c.call("GET", "item:700") == b"_\r\n"
    items.execute("INSERT INTO inv_items VALUES (700, 'acme', 'new')")
    assert push(c) == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$8\r\nitem:700\r\n"
    assert c.call("GET", "item:700") == b"$3\r\nnew\r\n"
    # another tracking client that read it hears of a later load over it
    other = RawClient(st.host, st.port)
    other.call("HELLO", "3")
    other.call("CLIENT", "TRACKING", "on")
    assert other.call("GET", "item:700") == b"$3\r\nnew\r\n"
    assert c.call("LOADER", "INVALIDATE", "item:700") == b":1\r\n"
    assert push(other) == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$8\r\nitem:700\r\n"
    c.close()
    other.close()
    items.execute("DELETE FROM inv_items WHERE item_id = 700")


def test_exec_does_not_load(st: Any) -> None:
    r = client(st)
    pipe = r.pipeline(transaction=True)
    pipe.get("item:41")
    pipe.exists("item:41")
    assert pipe.execute() == [None, 0]
    assert loader_stats(r, "item")["misses"] == "0"
    assert r.get("item:41") == b"item 41"


def test_a_load_after_watch_is_a_change(st: Any) -> None:
    c = RawClient(st.host, st.port)
    assert c.call("WATCH", "item:42") == b"+OK\r\n"
    assert c.call("GET", "item:42") == b"$7\r\nitem 42\r\n"
    c.call("MULTI")
    c.call("PING")
    assert c.call("EXEC") == b"*-1\r\n"
    assert c.call("WATCH", "item:42") == b"+OK\r\n"
    assert c.call("GET", "item:42") == b"$7\r\nitem 42\r\n"  # a hit now
    c.call("MULTI")
    c.call("PING")
    assert c.call("EXEC") == b"*1\r\n+PONG\r\n"
    c.close()
