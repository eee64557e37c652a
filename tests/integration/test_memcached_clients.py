"""pymemcache against cacheserver's memcached listener (one server per module),
its HashClient over two servers, and one keyspace shared with redis-py."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis
from pymemcache.client.base import Client as McClient
from pymemcache.client.hash import HashClient
from pymemcache.exceptions import (
    MemcacheClientError,
    MemcacheIllegalInputError,
    MemcacheServerError,
)

from cacheserver.config import Config
from cacheserver.server import Server
from helpers import McRawClient, RawClient, ServerThread, free_port


@pytest.fixture
def m(server: ServerThread) -> Iterator[McClient]:
    """A pymemcache client on a flushed server."""
    client = McClient((server.host, server.mc_port), timeout=10, connect_timeout=10)
    client.flush_all()
    yield client
    client.close()


def test_basic_commands(m: McClient) -> None:
    assert m.set("k", b"v")
    assert m.get("k") == b"v"
    assert m.get("missing") is None
    assert m.add("k", b"x", noreply=False) is False
    assert m.add("k2", b"x", noreply=False) is True
    assert m.replace("nope", b"x", noreply=False) is False
    assert m.replace("k2", b"y", noreply=False) is True
    assert m.append("k2", b"z", noreply=False) and m.prepend("k2", b"a", noreply=False)
    assert m.get("k2") == b"ayz"
    assert m.get_many(["k", "k2", "nope"]) == {"k": b"v", "k2": b"ayz"}
    assert m.set_many({"a": b"1", "b": b"2"}) == []
    assert m.incr("a", 5) == 6
    assert m.decr("a", 10) == 0
    assert m.incr("missing", 1) is None
    assert m.delete("a", noreply=False) is True
    assert m.delete("a", noreply=False) is False
    assert m.delete_many(["b", "k"]) is True
    assert m.get_many(["a", "b", "k"]) == {}
    assert m.touch("k2", 100, noreply=False) is True
    assert m.touch("nope", 100, noreply=False) is False
    assert m.version() == b"1.6.18"


def raw(m: McClient, data: bytes) -> bytes:
    c = McRawClient(*m.server)
    try:
        return c.call(data)
    finally:
        c.close()


def test_flags_and_cas(m: McClient) -> None:
    m.set("k", b"v", flags=12345)
    assert m.get("k", default=None) == b"v"
    assert raw(m, b"get k\r\n") == b"VALUE k 12345 1\r\nv\r\nEND\r\n"
    value, cas = m.gets("k")
    assert value == b"v"
    assert m.cas("k", b"w", cas, noreply=False) is True
    assert m.cas("k", b"x", cas, noreply=False) is False
    assert m.cas("nope", b"x", cas, noreply=False) is None
    assert m.gets("k")[1] != cas


def test_ttl_and_gat(m: McClient) -> None:
    m.set("k", b"v", expire=100)
    assert raw(m, b"gat 0 k\r\nmg k t\r\n") == b"VALUE k 0 1\r\nv\r\nEND\r\nHD t-1\r\n"
    m.set("gone", b"v", expire=-1)
    assert m.get("gone") is None


def test_stats(m: McClient) -> None:
    m.set("k", b"v")
    m.get("k")
    stats = m.stats()
    assert stats[b"version"] == b"1.6.18"
    assert stats[b"cmd_get"] >= 1 and stats[b"curr_items"] >= 1
    assert m.stats("settings")[b"item_size_max"] == 1024 * 1024
    assert m.stats("slabs")[b"active_slabs"] >= 1


def test_big_values_and_limits(m: McClient) -> None:
    big = os.urandom(1000 * 1000)
    assert m.set("big", big, noreply=False)
    assert m.get("big") == big
    with pytest.raises(MemcacheClientError):
        m.set("k" * 251, b"v", noreply=False)
    with pytest.raises(MemcacheIllegalInputError):
        m.set("with space", b"v", noreply=False)  # the client refuses it first
    with pytest.raises(MemcacheServerError, match="object too large for cache"):
        m.set("too-big", b"x" * (2 * 1024 * 1024), noreply=False)


def test_noreply_pipeline(m: McClient) -> None:
    for i in range(200):
        m.set(f"n{i}", str(i).encode())  # noreply by default
    assert m.get_many([f"n{i}" for i in range(200)]) == {f"n{i}": str(i).encode() for i in range(200)}


def test_raw_meta_over_a_socket(server: ServerThread) -> None:
    c = McRawClient(server.host, server.mc_port)
    try:
        assert c.call(b"ms meta 3 T60 F7\r\nabc\r\n") == b"HD\r\n"
        assert c.call(b"mg meta v f t k O42\r\n") == b"VA 3 f7 t60 kmeta O42\r\nabc\r\n"
        # the anti-stampede dance: one refiller among many readers
        assert c.call(b"md meta I\r\n") == b"HD\r\n"
        assert c.call(b"mg meta v\r\n") == b"VA 3 X W\r\nabc\r\n"
        assert c.call(b"mg meta v\r\n") == b"VA 3 Z X\r\nabc\r\n"
        assert c.call(b"ms meta 3\r\nnew\r\n") == b"HD\r\n"
        assert c.call(b"mg meta v\r\n") == b"VA 3\r\nnew\r\n"
    finally:
        c.close()


# -- one keyspace with the Redis side --------------------------------------------


@pytest.fixture
def r_and_m(server: ServerThread, m: McClient) -> Iterator[tuple[redis.Redis, McClient]]:
    r = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
    r.flushall()
    yield r, m
    r.close()


def test_redis_set_then_memcached_gets(r_and_m: tuple[redis.Redis, McClient]) -> None:
    r, m = r_and_m
    r.set("shared", "from redis")
    value, cas = m.gets("shared")
    assert value == b"from redis"
    assert m.cas("shared", b"from memcached", cas, noreply=False)
    assert r.get("shared") == b"from memcached"


def test_memcached_ttl_seen_by_redis(r_and_m: tuple[redis.Redis, McClient]) -> None:
    r, m = r_and_m
    m.set("t", b"v", expire=100, noreply=False)  # stored before Redis reads it
    assert 99 <= r.ttl("t") <= 100
    m.touch("t", 0, noreply=False)
    assert r.ttl("t") == -1
    r.expire("t", 50)
    c = McRawClient(*m.server)
    try:
        assert c.call(b"mg t t\r\n") in (b"HD t50\r\n", b"HD t49\r\n")
    finally:
        c.close()


def test_cas_changes_after_redis_write(r_and_m: tuple[redis.Redis, McClient]) -> None:
    r, m = r_and_m
    m.set("c", b"1", flags=3)
    _, cas = m.gets("c")
    r.incr("c")
    value, new_cas = m.gets("c")
    assert value == b"2" and new_cas != cas
    assert m.cas("c", b"9", cas, noreply=False) is False
    # the Redis write also made it a new item: flags back to 0
    assert raw(m, b"get c\r\n") == b"VALUE c 0 1\r\n2\r\nEND\r\n"


def test_memcached_set_over_a_redis_hash(r_and_m: tuple[redis.Redis, McClient]) -> None:
    r, m = r_and_m
    r.hset("h", "f", "v")
    assert m.get("h") is None
    assert m.add("h", b"x", noreply=False) is False
    assert r.type("h") == b"hash"
    assert m.set("h", b"x", noreply=False)
    assert r.type("h") == b"string" and r.get("h") == b"x"


def test_watch_aborts_on_memcached_write(r_and_m: tuple[redis.Redis, McClient]) -> None:
    r, m = r_and_m
    r.set("w", "1")
    with r.pipeline() as p:
        p.watch("w")
        m.set("w", b"2", noreply=False)
        p.multi()
        p.set("w", "3")
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r.get("w") == b"2"


def test_keyspace_notifications_of_memcached_writes(r_and_m: tuple[redis.Redis, McClient]) -> None:
    r, m = r_and_m
    r.config_set("notify-keyspace-events", "KEA")
    ps = r.pubsub()
    try:
        ps.psubscribe("__keyevent@0__:*")
        assert ps.get_message(timeout=5)["type"] == "psubscribe"
        m.set("n", b"1", expire=100, noreply=False)
        m.incr("n", 2)
        m.delete("n", noreply=False)
        seen = []
        deadline = time.monotonic() + 5
        while len(seen) < 4 and time.monotonic() < deadline:
            msg = ps.get_message(timeout=1)
            if msg and msg["type"] == "pmessage":
                seen.append((msg["channel"].split(b":", 1)[1], msg["data"]))
        assert seen == [
            (b"set", b"n"),
            (b"expire", b"n"),
            (b"incrby", b"n"),
            (b"del", b"n"),
        ]
    finally:
        r.config_set("notify-keyspace-events", "")
        ps.close()


def test_tracking_hears_memcached_writes(server: ServerThread, m: McClient) -> None:
    r = RawClient(server.host, server.port)
    try:
        assert r.call("HELLO", "3").startswith(b"%")
        assert r.call("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
        m.set("t", b"1", noreply=False)
        assert r.call("GET", "t") == b"$1\r\n1\r\n"
        m.set("t", b"2", noreply=False)
        assert r.reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nt\r\n"
        for _ in range(2):  # each flush_all is announced, as each FLUSHALL
            m.flush_all(noreply=False)
            assert r.reply() == b">2\r\n$10\r\ninvalidate\r\n_\r\n"
    finally:
        r.close()


# -- two servers -------------------------------------------------------------------


def test_hash_client_over_two_servers(server: ServerThread) -> None:
    second = ServerThread().start()
    try:
        servers = [(server.host, server.mc_port), (second.host, second.mc_port)]
        hc = HashClient(servers, timeout=10, connect_timeout=10)
        hc.flush_all()
        data = {f"key{i}": str(i).encode() for i in range(200)}
        hc.set_many(data)
        assert hc.get_many(list(data)) == data
        counts = []
        for host, port in servers:
            single = McClient((host, port), timeout=10)
            counts.append(int(single.stats()[b"curr_items"]))
            single.close()
        assert sum(counts) == 200 and all(counts)  # spread over both
        hc.delete_many(list(data))
        assert hc.get_many(list(data)) == {}
        hc.close()
    finally:
        second.stop()


# -- listeners -----------------------------------------------------------------------


def _serve_briefly(config: Config, check: object) -> None:
    async def main() -> None:
        srv = Server(config)
        await srv.start()
        try:
            await asyncio.get_running_loop().run_in_executor(None, check, srv)  # type: ignore[arg-type]
        finally:
            await srv.stop()

    asyncio.run(main())


def test_port_zero_turns_the_listener_off() -> None:
    port = free_port()

    def check(srv: Server) -> None:
        assert "memcached" not in srv.ports
        assert srv.memcached.listeners == []
        info = redis.Redis(port=port).info("server")
        assert info["memcached_port"] == 0

    _serve_briefly(Config(port=port, **{"memcached-port": 0}), check)


def test_own_port_and_unix_socket() -> None:
    port, mc_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mc.sock")

        def check(srv: Server) -> None:
            tcp = McClient(("127.0.0.1", mc_port), timeout=5)
            assert tcp.set("k", b"v", noreply=False)
            tcp.close()
            assert oct(os.stat(path).st_mode & 0o777) == "0o700"
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(path)
            s.sendall(b"get k\r\n")
            deadline = time.monotonic() + 5
            buf = b""
            while not buf.endswith(b"END\r\n") and time.monotonic() < deadline:
                buf += s.recv(1024)
            s.close()
            assert buf == b"VALUE k 0 1\r\nv\r\nEND\r\n"

        cfg = Config(
            port=port, **{"memcached-port": mc_port, "memcached-unixsocket": path}
        )
        _serve_briefly(cfg, check)
        assert not os.path.exists(path)
