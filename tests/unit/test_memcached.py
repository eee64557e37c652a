"""The memcached side in-process: the parser over split reads, number and key
parsing, the per-item side state and its hooks, events, delayed flush_all,
the one-keyspace rules and the meta extensions."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from cacheserver.config import Config
from cacheserver.memcached.items import SizeClasses, item_size
from cacheserver.memcached.tokens import b64decode_key, strtol32, strtoul32, strtoull
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_STRING
from helpers import Clock, McHarness, MockTransport, iter_splits

PIPELINE = (
    b"set a 5 0 6\r\nx\r\ny\r\n\r\n"
    b"get a\r\n"
    b"gets a b\r\n"
    b"ms b 3 T0 F2 k\r\nabc\r\n"
    b"mg b v f k s\r\n"
    b"set c 0 0 1\r\nxyz\r\n"  # a bad data chunk; the CRLF after it is an empty line
    b"incr a 1\r\n"
    b"delete b\r\n"
    b"mn\r\n"
)


def fresh_reply(data: bytes) -> bytes:
    return McHarness().feed(data)


def test_pipeline_split_at_every_byte() -> None:
    whole = fresh_reply(PIPELINE)
    assert whole.startswith(b"STORED\r\nVALUE a 5 6\r\nx\r\ny\r\n\r\nEND\r\n")
    assert whole.endswith(b"MN\r\n")
    for head, tail in iter_splits(PIPELINE):
        h = McHarness()
        assert h.feed(head) + h.feed(tail) == whole, (head, tail)


def test_one_byte_at_a_time() -> None:
    whole = fresh_reply(PIPELINE)
    h = McHarness()
    out = b"".join(h.feed(PIPELINE[i : i + 1]) for i in range(len(PIPELINE)))
    assert out == whole


def test_swallow_spans_reads() -> None:
    h = McHarness()
    h.svc.item_size_max = 1024
    assert h.feed(b"set k 0 0 2000\r\n" + b"x" * 500) == b"SERVER_ERROR object too large for cache\r\n"
    assert h.feed(b"x" * 1000) == b""
    assert h.feed(b"x" * 500 + b"\r\nget k\r\n") == b"END\r\n"


def test_long_line_closes_unless_get() -> None:
    h = McHarness()
    h.feed(b"x" * 2049)
    assert h.client.closed
    h = McHarness()
    h.feed(b"get " + b"k " * 2000)
    assert not h.client.closed
    assert h.feed(b"\r\n") == b"END\r\n"


def test_numbers_as_memcached_reads_them() -> None:
    assert strtol32(b"5") == 5 and strtol32(b"+5") == 5 and strtol32(b"-5") == -5
    assert strtol32(b"2147483648") == -(2**31)  # stored into an int32_t
    assert strtol32(b"4294967297") == 1
    assert strtol32(b"9223372036854775808") is None  # beyond long: ERANGE
    assert strtol32(b"\t7") == 7 and strtol32(b"7\r") == 7
    for bad in (b"", b"x", b"1x", b"+", b"-", b" "):
        assert strtol32(bad) is None, bad
    assert strtoull(b"18446744073709551615") == 2**64 - 1
    assert strtoull(b"18446744073709551616") is None
    assert strtoull(b"-1") is None and strtoull(b"-0") == 0
    assert strtoull(b"-18446744073709551615") == 1  # wraps below 2**63: accepted
    assert strtoul32(b"4294967296") == 0 and strtoul32(b"4294967295") == 2**32 - 1


def test_base64_keys_as_memcached_decodes_them() -> None:
    assert b64decode_key(b"Zm9v") == b"foo"
    assert b64decode_key(b"Zm9vYg==") == b"foob"
    assert b64decode_key(b"Zg==Zg==") == b"f"  # stops after padding
    assert b64decode_key(b"Zm9v\x01") == b"foo"  # other bytes are skipped
    for bad in (b"Zm9vYg", b"Zm9vY", b"A===", b"====", b"", b"-_-_"):
        assert b64decode_key(bad) is None, bad


def test_size_classes() -> None:
    s = SizeClasses(1024 * 1024)
    assert s.sizes[1:8] == [96, 120, 152, 192, 240, 304, 384]
    assert s.sizes[-1] == 524288 and len(s.sizes) == 40
    assert s.class_of(item_size(3, 0, 2)) == 1
    assert item_size(3, 0, 2) == 64 and item_size(1, 5, 1) == 65


# -- one keyspace ------------------------------------------------------------------


def test_items_are_redis_strings() -> None:
    h = McHarness()
    assert h.feed(b"set k 3 100 2\r\nhi\r\n") == b"STORED\r\n"
    assert h.run("GET", "k") == b"$2\r\nhi\r\n"
    assert h.run("TTL", "k") == b":100\r\n"
    assert h.run("SET", "r", "from-redis") == b"+OK\r\n"
    assert h.feed(b"get r\r\n") == b"VALUE r 0 10\r\nfrom-redis\r\nEND\r\n"
    assert h.run("PEXPIRE", "r", "2500") == b":1\r\n"
    assert h.feed(b"mg r t\r\n") in (b"HD t2\r\n", b"HD t3\r\n")
    assert h.run("APPEND", "r", "!") == b":11\r\n"  # a bytearray value
    assert h.feed(b"get r\r\n") == b"VALUE r 0 11\r\nfrom-redis!\r\nEND\r\n"


def test_redis_write_resets_flags_and_cas() -> None:
    h = McHarness()
    ks = h.server.keyspace
    h.feed(b"set k 7 0 1\r\nx\r\n")
    assert ks.hooked  # flags held: Redis writes must be heard
    before = h.feed(b"gets k\r\n")
    assert before.startswith(b"VALUE k 7 1 ")
    h.run("SET", "k", "y")
    after = h.feed(b"gets k\r\n")
    assert after.startswith(b"VALUE k 0 1 ")
    assert after.split(b"\r\n")[0].split()[-1] != before.split(b"\r\n")[0].split()[-1]
    h.run("DEL", "k")
    assert h.svc.items.counts() == {"flags": 0, "cas": 0, "marks": 0, "fetched": 0, "binary": 0}
    assert not ks.hooked  # nothing held: Redis-only workloads pay nothing


def test_memcached_only_default_state_costs_nothing() -> None:
    h = McHarness()
    h.feed(b"set a 0 0 1\r\nx\r\nget a\r\nincr a 1\r\nappend a 0 0 1\r\n1\r\ndelete a\r\n")
    h.feed(b"ms b 1 T10\r\nx\r\nmg b v t s\r\ntouch b 5\r\n")
    assert not h.server.keyspace.hooked and h.server.keyspace.flush_hooks == []
    assert not h.svc.items.hooked


def test_side_state_dropped_on_delete_expiry_and_flush() -> None:
    h = McHarness()
    clock = Clock(h, 1_000_000_000_000)
    h.feed(b"set a 1 1 1\r\nx\r\nset b 2 0 1\r\nx\r\ngets b\r\nset c 3 0 1\r\nx\r\n")
    assert h.svc.items.counts()["flags"] == 3
    clock.t += 2000
    h.server.keyspace.expire_cycle(clock.t, 1.0)  # a's expiry reaches the hook
    assert "a" not in str(h.svc.items.flags)
    h.run("UNLINK", "c")
    assert set(h.svc.items.flags) == {b"b"}
    h.run("FLUSHALL")
    assert h.svc.items.counts() == {"flags": 0, "cas": 0, "marks": 0, "fetched": 0, "binary": 0}
    assert not h.server.keyspace.hooked


def test_other_types_read_as_misses() -> None:
    h = McHarness()
    h.run("HSET", "h", "f", "v")
    assert h.feed(b"get h\r\nmg h v\r\n") == b"END\r\nEN\r\n"
    assert h.feed(b"delete h\r\nincr h 1\r\ntouch h 1\r\n") == b"NOT_FOUND\r\n" * 3
    assert h.feed(b"replace h 0 0 1\r\nx\r\nappend h 0 0 1\r\nx\r\n") == b"NOT_STORED\r\n" * 2
    assert h.feed(b"add h 0 0 1\r\nx\r\n") == b"NOT_STORED\r\n"  # the key exists
    assert h.feed(b"mg h N30 v\r\n") == b"EN\r\n"  # no vivify over it
    assert h.feed(b"ma h N0 J1\r\n") == b"NS\r\n"
    assert h.run("TYPE", "h") == b"+hash\r\n"
    assert h.feed(b"set h 0 0 1\r\nx\r\n") == b"STORED\r\n"  # set replaces, as SET
    assert h.run("TYPE", "h") == b"+string\r\n"


def test_memcached_db_setting() -> None:
    h = McHarness(Config(**{"memcached-db": 3}))
    h.feed(b"set k 0 0 1\r\nx\r\n")
    assert h.run("EXISTS", "k") == b":0\r\n"
    h.run("SELECT", "3")
    assert h.run("GET", "k") == b"$1\r\nx\r\n"


# -- change signals ------------------------------------------------------------------


def record_events(h: McHarness) -> list[tuple[int, bytes, bytes]]:
    events: list[tuple[int, bytes, bytes]] = []
    h.server.keyspace.set_notify(-1, lambda db, cls, event, key: events.append((cls, event, key)))
    return events


def test_writes_signal_redis_events() -> None:
    h = McHarness()
    events = record_events(h)
    h.feed(b"set k 0 10 1\r\n1\r\n")
    assert (NOTIFY_STRING, b"set", b"k") in events and (NOTIFY_GENERIC, b"expire", b"k") in events
    events.clear()
    h.feed(b"incr k 5\r\ndecr k 1\r\nappend k 0 0 1\r\n0\r\ntouch k 0\r\ntouch k 50\r\ndelete k\r\n")
    names = [(e[1], e[2]) for e in events if e[1] != b"new"]
    assert names == [
        (b"incrby", b"k"),
        (b"decrby", b"k"),
        (b"append", b"k"),
        (b"persist", b"k"),
        (b"expire", b"k"),
        (b"del", b"k"),
    ]


def test_watch_hooks_see_memcached_writes() -> None:
    h = McHarness()
    seen: list[bytes] = []
    h.server.keyspace.add_modified_hook(lambda db, key: seen.append(key))
    h.feed(b"set a 0 0 1\r\nx\r\nms b 1\r\ny\r\nmd b\r\nget a\r\n")
    assert seen == [b"a", b"b", b"b"]


# -- flush_all ---------------------------------------------------------------------


def test_delayed_flush_all() -> None:
    h = McHarness()
    clock = Clock(h, 1_000_000_000_000)
    h.run("HSET", "h", "f", "v")
    assert h.feed(b"set k 0 0 1\r\nx\r\nflush_all 3\r\nget k\r\n").endswith(b"VALUE k 0 1\r\nx\r\nEND\r\n")
    clock.t += 1900
    assert h.feed(b"get k\r\n") == b"VALUE k 0 1\r\nx\r\nEND\r\n"
    clock.t += 200  # the fence is a second before the time named, as memcached's
    assert h.feed(b"get k\r\n") == b"END\r\n"
    assert h.run("EXISTS", "h") == b":0\r\n"  # the whole memcached database
    h.feed(b"set k 0 0 1\r\nx\r\nflush_all 100\r\nflush_all 0\r\n")
    assert h.feed(b"get k\r\n") == b"END\r\n"
    assert h.svc.flush_at == 0
    h.feed(b"set k 0 0 1\r\nx\r\nflush_all 10\r\n")
    clock.t += 60_000
    h.svc.cron(clock.t)  # the background cycle runs a due flush too
    assert h.run("EXISTS", "k") == b":0\r\n"


# -- connections -------------------------------------------------------------------


def test_maxconns() -> None:
    h = McHarness(Config(**{"memcached-maxconns": 1}))
    t = MockTransport()
    extra = h.conn_cls(h.svc)
    extra.connection_made(t)
    assert t.out == b"ERROR Too many open connections\r\n" and t.closed
    assert h.svc.stats.rejected_connections == 1


def test_idle_timeout() -> None:
    h = McHarness(Config(**{"memcached-idle-timeout": 5}))
    clock = Clock(h, h.server.clock())
    busy = h.connect()
    h.feed(b"version\r\n", busy)
    clock.t += 4000
    h.feed(b"version\r\n", busy)
    clock.t += 2000
    h.svc.cron(clock.t)
    assert not busy.closed
    assert h.client.closed


def test_config_get_cluster() -> None:
    h = McHarness()
    h.svc.port = 11211
    h.svc.cluster_hostname = "node-1.example"
    h.client.local_ip = "10.0.0.5"
    reply = h.feed(b"config get cluster\r\n")
    body = b"1\nnode-1.example|10.0.0.5|11211\n"
    assert reply == b"CONFIG cluster 0 %d\r\n%s\r\nEND\r\n" % (len(body), body)
    assert h.feed(b"config get nope\r\nconfig\r\n") == b"ERROR\r\nERROR\r\n"


def test_info_and_config_show_the_settings() -> None:
    h = McHarness()
    info = h.run("INFO", "server", "clients").decode()
    assert re.search(r"memcached_port:\d+\r\n", info)
    assert "memcached_connected_clients:1\r\n" in info
    config = h.run("CONFIG", "GET", "memcached-*")
    for name in (b"memcached-port", b"memcached-max-item-size", b"memcached-maxconns"):
        assert name in config
    assert h.run("CONFIG", "SET", "memcached-max-item-size", "2048") == b"+OK\r\n"
    assert h.feed(b"set k 0 0 2000\r\n" + b"x" * 2000 + b"\r\n") == b"SERVER_ERROR object too large for cache\r\n"


# -- meta extensions (memcached 1.6.21+) ------------------------------------------


def cas_of(reply: bytes) -> int:
    m = re.search(rb" c(\d+)", reply)
    assert m, reply
    return int(m.group(1))


def test_explicit_cas_flag() -> None:
    h = McHarness()
    assert h.feed(b"ms k 1 E999 c\r\nx\r\n") == b"HD c999\r\n"
    assert h.feed(b"mg k c\r\n") == b"HD c999\r\n"
    assert h.feed(b"ms k 1 C999 E5000 c\r\ny\r\n") == b"HD c5000\r\n"
    assert h.feed(b"md k I E6000\r\nmg k c\r\n") == b"HD\r\nHD c6000 X W\r\n"
    h.feed(b"set n 0 0 1\r\n1\r\n")
    assert h.feed(b"ma n E77 c v\r\n") == b"VA 1 c77\r\n2\r\n"
    assert h.feed(b"mg new N0 E42 c\r\n") == b"HD c42 W\r\n"


def test_meta_delete_keeps_the_item_without_value() -> None:
    h = McHarness()
    h.feed(b"ms k 5 F3 T100\r\nhello\r\n")
    cas = cas_of(h.feed(b"mg k c\r\n"))
    assert h.feed(b"md k x\r\n") == b"HD\r\n"
    assert h.feed(b"mg k v f t c\r\n") == b"VA 0 f0 t-1 c%d\r\n\r\n" % cas
    assert h.feed(b"md k x F4 T50 q\r\nmg k f t\r\n") == b"HD f4 t50\r\n"
    assert h.feed(b"md nope x\r\n") == b"NF\r\n"


def test_stale_set_keeps_ttl_and_marks() -> None:
    h = McHarness()
    h.feed(b"ms k 2 T100\r\nv1\r\n")
    old = cas_of(h.feed(b"mg k c\r\n"))
    h.feed(b"md k I\r\n")
    assert h.feed(b"ms k 2 I C%d T5\r\nv2\r\n" % old) == b"HD\r\n"
    assert h.feed(b"mg k v t\r\n") == b"VA 2 t100 X W\r\nv2\r\n"


def test_internal_error_is_a_server_error(monkeypatch: Any) -> None:
    h = McHarness()
    from cacheserver.memcached import ops

    def boom(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ops, "find", boom)
    assert h.feed(b"get k\r\nversion\r\n") == b"SERVER_ERROR internal error\r\nVERSION 1.6.18\r\n"


def test_out_of_memory_storing(monkeypatch: Any) -> None:
    h = McHarness()
    from cacheserver.errors import OutOfMemory
    from cacheserver.memcached import ops

    def full(*args: Any) -> None:
        raise OutOfMemory()

    monkeypatch.setattr(ops, "put", full)
    assert h.feed(b"set k 0 0 1\r\nx\r\nget k\r\n") == (
        b"SERVER_ERROR out of memory storing object\r\nEND\r\n"
    )
    assert h.svc.stats.store_no_memory == 1


@pytest.mark.parametrize("value", [b"", b"x" * 100, b"a\r\nb"])
def test_values_round_trip(value: bytes) -> None:
    h = McHarness()
    h.feed(b"set k 0 0 %d\r\n%s\r\n" % (len(value), value))
    assert h.feed(b"get k\r\n") == b"VALUE k 0 %d\r\n%s\r\nEND\r\n" % (len(value), value)


# -- read-through loads ---------------------------------------------------------------


class FakeLoaders:
    """Loaders.fetch's contract for keys ``load:*``: a future per miss, filled
    (stored in the database first) by the test."""

    class Unavailable(Exception):
        def __init__(self, reason: str) -> None:
            super().__init__(reason)
            self.reason = reason

    def __init__(self, h: McHarness, loop: asyncio.AbstractEventLoop) -> None:
        self.h, self.loop = h, loop
        self.no_load = False
        self.futures: dict[bytes, asyncio.Future[bytes | None]] = {}
        self.now: dict[bytes, bytes] = {}  # keys a fetch fills at once

    def fetch(self, key: bytes, db_index: int = 0) -> Any:
        assert not self.no_load
        if key in self.now:
            self.h.server.keyspace.dbs[db_index].set(key, self.now[key])
            return self.now[key]
        if not key.startswith(b"load:"):
            return None
        fut = self.futures.get(key)
        if fut is None:
            fut = self.futures[key] = self.loop.create_future()
        return fut

    def fill(self, key: bytes, value: bytes | None) -> None:
        if value is not None:
            self.h.server.keyspace.dbs[0].set(key, value)
        self.futures.pop(key).set_result(value)
        self.settle()

    def fail(self, key: bytes, why: str) -> None:
        self.futures.pop(key).set_exception(self.Unavailable(why))
        self.settle()

    def settle(self) -> None:
        for _ in range(3):  # the done callbacks, then gather's
            self.loop.run_until_complete(asyncio.sleep(0))


@pytest.fixture
def loading() -> Any:
    loop = asyncio.new_event_loop()
    h = McHarness()
    fake = FakeLoaders(h, loop)
    h.server.loaders = fake  # type: ignore[assignment]
    yield h, fake
    loop.close()


def test_get_waits_for_a_load_and_keeps_order(loading: Any) -> None:
    h, fake = loading
    assert h.feed(b"set a 0 0 1\r\nx\r\nget load:1\r\nget a\r\n") == b"STORED\r\n"
    assert h.feed(b"version\r\n") == b""  # held behind the load
    fake.fill(b"load:1", b"v1")
    assert h.transport.out.endswith(
        b"STORED\r\nVALUE load:1 0 2\r\nv1\r\nEND\r\nVALUE a 0 1\r\nx\r\nEND\r\nVERSION 1.6.18\r\n"
    )
    assert h.feed(b"get load:1\r\n") == b"VALUE load:1 0 2\r\nv1\r\nEND\r\n"  # now cached
    assert h.svc.stats.get_hits == 3 and h.svc.stats.get_misses == 0


def test_multi_get_gets_and_mg_load(loading: Any) -> None:
    h, fake = loading
    h.feed(b"set a 0 0 1\r\nx\r\n")
    h.transport.out.clear()
    h.feed(b"get load:1 a load:2 nope\r\n")
    fake.fill(b"load:1", b"one")
    assert h.transport.out == b""  # both loads first
    fake.fill(b"load:2", None)  # no row
    assert h.transport.out == b"VALUE load:1 0 3\r\none\r\nVALUE a 0 1\r\nx\r\nEND\r\n"
    h.transport.out.clear()
    h.feed(b"gets load:3\r\nmg load:4 v t\r\nmg load:5 v\r\nmn\r\n")
    fake.fill(b"load:3", b"3")
    assert re.fullmatch(rb"VALUE load:3 0 1 \d+\r\n3\r\nEND\r\n", h.transport.out)
    fake.fill(b"load:4", b"4")
    fake.fill(b"load:5", None)
    assert h.transport.out.endswith(b"END\r\nVA 1 t-1\r\n4\r\nEN\r\nMN\r\n")
    fake.now[b"fresh"] = b"f"  # filled at once: no wait
    assert h.feed(b"get fresh\r\n") == b"VALUE fresh 0 1\r\nf\r\nEND\r\n"


def test_a_failed_load_is_a_server_error(loading: Any) -> None:
    h, fake = loading
    h.feed(b"get load:1\r\nget nope\r\n")
    fake.fail(b"load:1", "loader 'x' unavailable: connection refused")
    assert h.transport.out == (
        b"SERVER_ERROR loader 'x' unavailable: connection refused\r\nEND\r\n"
    )


def test_gat_and_writes_do_not_load(loading: Any) -> None:
    h, fake = loading
    assert h.feed(b"gat 10 load:1\r\ntouch load:1 10\r\nincr load:1 1\r\n") == (
        b"END\r\nNOT_FOUND\r\nNOT_FOUND\r\n"
    )
    assert fake.futures == {}


def test_client_gone_while_loading(loading: Any) -> None:
    h, fake = loading
    h.feed(b"get load:1\r\nget load:1\r\n")
    h.client.connection_lost(None)
    fake.fill(b"load:1", b"v")  # no crash, nothing written
    assert h.transport.out == b""


def test_maxmemory_refuses_or_evicts_memcached_stores() -> None:
    """Under noeviction over maxmemory a store is refused with memcached's
    text and nothing is stored; under an eviction policy it evicts room and
    ``stats`` counts the evictions."""
    h = McHarness()
    for i in range(100):
        assert h.feed(b"set k%d 0 0 100\r\n%s\r\n" % (i, b"x" * 100)) == b"STORED\r\n"
    h.run("CONFIG", "SET", "maxmemory", "1")
    assert h.feed(b"set new 0 0 1\r\nx\r\n") == b"SERVER_ERROR out of memory storing object\r\n"
    assert h.feed(b"get new\r\n") == b"END\r\n"
    assert h.feed(b"get k1\r\n").startswith(b"VALUE k1 0 100\r\n")  # reads go on
    assert h.feed(b"delete k1\r\n") == b"DELETED\r\n"  # and deletes
    h.run("CONFIG", "SET", "maxmemory", "0")
    info = h.run("INFO", "memory").decode()
    used = int(info.split("used_memory:")[1].split("\r\n")[0])
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    h.run("CONFIG", "SET", "maxmemory", str(used - 4000))  # room for all but a few items
    assert h.feed(b"set new 0 0 1\r\nx\r\n") == b"STORED\r\n"
    stats = dict(
        line.split(" ")[1:3] for line in h.feed(b"stats\r\n").decode().split("\r\n") if line.startswith("STAT ")
    )
    assert int(stats["evictions"]) > 0
    # the items were written and never read (but k1, deleted): evicted unfetched
    assert 0 < int(stats["evicted_unfetched"]) <= int(stats["evictions"])
    assert int(stats["expired_unfetched"]) == 0


def test_memcached_reads_mark_access_as_redis_reads_do() -> None:
    """A memcached read stores the keyspace's read mark: OBJECT IDLETIME stays
    small, ``mg l`` counts seconds since the read, the key counts as fetched
    (not evicted_unfetched), and LRU keeps the keys read over memcached."""
    h = McHarness()
    ks = h.server.keyspace
    for i in range(40):
        assert h.feed(b"set k%d 0 0 100\r\n%s\r\n" % (i, b"x" * 100)) == b"STORED\r\n"
    ks.lru_clock += 100  # everything idle for 100 s
    for i in range(20):  # half of them read again, over both kinds of get
        cmd = b"get k%d\r\n" % i if i % 2 else b"mg k%d v\r\n" % i
        assert h.feed(cmd).startswith((b"VALUE", b"VA"))
    assert h.run("OBJECT", "IDLETIME", "k1") == b":0\r\n"
    assert h.run("OBJECT", "IDLETIME", "k2") == b":0\r\n"
    assert h.run("OBJECT", "IDLETIME", "k30") == b":100\r\n"
    ks.lru_clock += 5
    assert h.feed(b"mg k3 l\r\n") == b"HD l5\r\n"
    assert h.feed(b"mg k33 l\r\n") == b"HD l105\r\n"
    info = h.run("INFO", "memory").decode()
    used = int(info.split("used_memory:")[1].split("\r\n")[0])
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "maxmemory-samples", "10")
    h.run("CONFIG", "SET", "maxmemory", str(used - 1200))  # room for all but a few items
    assert h.feed(b"set new 0 0 1\r\nx\r\n") == b"STORED\r\n"
    data = h.server.keyspace.dbs[0].data
    assert all(b"k%d" % i in data for i in range(20))  # the read ones stay
    assert ks.stats.evicted_keys > 0
    assert ks.stats.evicted_unfetched == ks.stats.evicted_keys  # only unread ones went


# -- big data blocks ---------------------------------------------------------------


def test_big_data_block_read_by_read() -> None:
    # A block of 64 KiB or more is joined once from the reads that bring it;
    # its CRLF and the next requests may come in any of them.
    value = bytes(range(256)) * 300  # 76,800 bytes
    head = b"set big 3 0 %d\r\n" % len(value)
    nxt = b"get big\r\nmn\r\n"
    want = b"STORED\r\nVALUE big 3 %d\r\n%s\r\nEND\r\nMN\r\n" % (len(value), value)
    cuts = [
        [head + value[:100], value[100:], b"\r", b"\n" + nxt],
        [head, value[:40_000], value[40_000:] + b"\r\n" + nxt[:4], nxt[4:]],
        [head + value[:-1], value[-1:] + b"\r\n" + nxt],
        [head + value[:70_000], value[70_000:], b"\r\n", nxt],
        [head + value + b"\r\n" + nxt],
    ]
    for chunks in cuts:
        h = McHarness()
        out = b"".join(h.feed(chunk) for chunk in chunks)
        assert out == want, chunks[0][:40]


def test_big_data_block_without_its_crlf() -> None:
    value = b"v" * 70_000
    h = McHarness()
    out = h.feed(b"set big 0 0 %d\r\n" % len(value) + value[:1000])
    out += h.feed(value[1000:] + b"XY" + b"get big\r\n")
    assert out == b"CLIENT_ERROR bad data chunk\r\nEND\r\n"
