"""maxmemory over real sockets: the policies with seeded workloads, -OOM,
eviction heard by CLIENT TRACKING, big values freed in steps while other
clients are served, and a write storm ten times maxmemory."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from helpers import CacheserverProcess, RawClient, ServerThread, encode, info_field

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture
def mr(server: ServerThread, r: redis.Redis) -> Iterator[redis.Redis]:
    """A flushed server whose memory settings are put back afterwards."""
    if server.server is not None:
        random.seed(1127)  # the server's draws, when it runs in this process
    yield r
    r.config_set("maxmemory", 0)
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory-eviction-tenacity", 10)
    r.flushall()


def fill(client: redis.Redis, prefix: str, n: int, size: int = 64, **kw: int) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{prefix}{i}", b"v" * size, **kw)
    pipe.execute()


def touch(client: redis.Redis, prefix: str, n: int, times: int) -> None:
    pipe = client.pipeline(transaction=False)
    for _ in range(times):
        for i in range(n):
            pipe.get(f"{prefix}{i}")
    pipe.execute()


def present(client: redis.Redis, prefix: str, n: int) -> int:
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.exists(f"{prefix}{i}")
    return sum(pipe.execute())


def shrink_by(client: redis.Redis, nbytes: int) -> None:
    """Lower maxmemory to ``nbytes`` under what is used now, and let eviction run."""
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory-eviction-tenacity", 100)  # finish within the next command
    client.config_set("maxmemory", used - nbytes)
    client.ping()


def wait_idle(client: redis.Redis, key: str, seconds: int) -> None:
    """Poll OBJECT IDLETIME (the LRU clock ticks once a second) until it reads ``seconds``."""
    deadline = time.monotonic() + seconds + 5
    while client.object("idletime", key) < seconds:
        assert time.monotonic() < deadline
        time.sleep(0.05)


# -- -OOM ---------------------------------------------------------------------------


def test_noeviction_answers_oom(mr: redis.Redis) -> None:
    evicted = mr.info("stats")["evicted_keys"]
    fill(mr, "k", 500)
    shrink_by(mr, 2000)
    with pytest.raises(redis.exceptions.OutOfMemoryError, match="used memory > 'maxmemory'"):
        mr.set("another", "v" * 1000)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        mr.rpush("list", "a")
    assert mr.get("k1") == b"v" * 64  # reads go on
    assert mr.delete(*[f"k{i}" for i in range(100)]) == 100  # and deletes
    assert mr.set("another", "v" * 1000)  # room again
    assert mr.info("stats")["evicted_keys"] == evicted


def test_pipelined_writes_past_the_limit(mr: redis.Redis, server: ServerThread) -> None:
    raw = RawClient(server.host, server.port)
    try:
        raw.call("CONFIG", "SET", "maxmemory", "300kb")
        raw.send(b"".join(encode("SET", f"p{i}", "x" * 200) for i in range(3000)))
        replies = [raw.reply() for _ in range(3000)]
        assert replies[0] == b"+OK\r\n"
        assert replies[-1] == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        # once refused, refused until something is freed
        first = replies.index(replies[-1])
        assert set(replies[first:]) == {replies[-1]}
    finally:
        raw.close()


# -- policies -------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_lru_and_lfu_on_one_workload(mr: redis.Redis, policy: str) -> None:
    """Keys read often two seconds ago against keys written once just now:
    LRU evicts the former, LFU the latter."""
    mr.config_set("maxmemory-policy", policy)
    fill(mr, "often", 300)
    touch(mr, "often", 300, 10)
    if policy == "allkeys-lru":
        wait_idle(mr, "often0", 2)
    else:
        time.sleep(0)  # LFU counts hits, not seconds
    fill(mr, "once", 300)
    evicted = mr.info("stats")["evicted_keys"]
    shrink_by(mr, 150 * 150)
    often, once = present(mr, "often", 300), present(mr, "once", 300)
    assert mr.info("stats")["evicted_keys"] - evicted > 50
    if policy == "allkeys-lru":
        assert often < 300 and once == 300
    else:
        assert often == 300 and once < 300


def test_volatile_ttl_takes_the_nearest_deadline(mr: redis.Redis) -> None:
    mr.config_set("maxmemory-policy", "volatile-ttl")
    fill(mr, "keep", 200)
    fill(mr, "soon", 200, ex=1000)
    fill(mr, "late", 200, ex=100_000)
    shrink_by(mr, 100 * 150)
    assert present(mr, "keep", 200) == 200
    assert present(mr, "late", 200) == 200
    assert present(mr, "soon", 200) < 200


def test_volatile_lru_spares_keys_without_ttl(mr: redis.Redis) -> None:
    mr.config_set("maxmemory-policy", "volatile-lru")
    fill(mr, "keep", 200)
    fill(mr, "vol", 100, px=1_000_000)
    shrink_by(mr, 50 * 150)
    assert present(mr, "keep", 200) == 200
    assert present(mr, "vol", 100) < 100
    mr.config_set("maxmemory", 1)  # less than any key holds
    mr.ping()
    assert present(mr, "vol", 100) == 0
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        mr.set("x", "y")
    assert present(mr, "keep", 200) == 200


# -- eviction is a change -------------------------------------------------------------


def test_tracking_hears_evictions(mr: redis.Redis, server: ServerThread) -> None:
    evicted = mr.info("stats")["evicted_keys"]
    c = RawClient(server.host, server.port)
    try:
        assert c.call("HELLO", "3").startswith(b"%")
        assert c.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
        mr.set("tracked", "v")
        assert c.call("GET", "tracked") == b"$1\r\nv\r\n"
        mr.config_set("maxmemory-policy", "allkeys-random")
        mr.config_set("maxmemory", 1)
        mr.ping()  # the check before PING evicts the only key
        push = c.reply()
        assert push == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\ntracked\r\n"
    finally:
        c.close()
    assert mr.info("stats")["evicted_keys"] == evicted + 1


# -- big values freed in steps -----------------------------------------------------------


def _probe(host: str, port: int, stop: threading.Event, worst: list[float]) -> None:
    """PING in a loop from another client; keep the slowest reply."""
    c = RawClient(host, port)
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            assert c.call("PING") == b"+PONG\r\n"
            worst[0] = max(worst[0], time.perf_counter() - t0)
    finally:
        c.close()


@pytest.fixture(scope="module")
def own() -> Iterator[CacheserverProcess]:
    """A server in a process of its own: a PING probe from this process then
    measures its loop, not this process's GIL."""
    proc = CacheserverProcess()
    yield proc
    proc.stop()


def test_unlink_of_a_big_sorted_set_is_freed_in_steps(own: CacheserverProcess) -> None:
    n = 300_000
    r = redis.Redis(port=own.port, socket_timeout=30)
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 2000):
        pipe.zadd("bigz", {f"member:{j}": j for j in range(i, i + 2000)})
    pipe.execute()
    assert r.zcard("bigz") == n
    before = r.info("memory")
    stop, worst = threading.Event(), [0.0]
    probe = threading.Thread(target=_probe, args=("127.0.0.1", own.port, stop, worst))
    probe.start()
    try:
        time.sleep(0.05)
        assert r.unlink("bigz") == 1
        deadline = time.monotonic() + 30
        while r.info("memory")["lazyfree_pending_objects"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        stop.set()
        probe.join()
        r.close()
    after = r.info("memory")
    assert after["lazyfreed_objects"] == before["lazyfreed_objects"] + 1
    steps = after["lazyfree_steps"] - before["lazyfree_steps"]
    assert steps > 10  # 600,000 objects in slices of about a millisecond
    print(f"\nUNLINK of {n:,} members: {steps} slices; slowest PING meanwhile {worst[0] * 1000:.1f} ms")


def test_flushall_async(mr: redis.Redis) -> None:
    fill(mr, "k", 20_000)
    before = mr.info("memory")["lazyfreed_objects"]
    assert mr.flushall(asynchronous=True)
    assert mr.dbsize() == 0
    deadline = time.monotonic() + 30
    while mr.info("memory")["lazyfree_pending_objects"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert mr.info("memory")["lazyfreed_objects"] == before + 1


# -- a write storm ten times maxmemory ------------------------------------------------------


def test_write_storm_stays_bounded() -> None:
    limit = 8 * 1024 * 1024
    proc = CacheserverProcess("--maxmemory", str(limit), "--maxmemory-policy", "allkeys-lru")
    c = RawClient("127.0.0.1", proc.port)
    try:
        rss0 = proc.rss()
        value = b"x" * 1000
        written = 0
        worst = 0
        i = 0
        while written < 10 * limit:
            batch = b"".join(encode("SET", b"storm:%d" % (i + j), value) for j in range(2000))
            c.send(batch)
            for _ in range(2000):
                assert c.reply() == b"+OK\r\n"
            i += 2000
            written += 2000 * (1000 + 16)
            used = int(info_field(c, "memory", "used_memory"))
            worst = max(worst, used)
            assert used <= limit
        growth = proc.rss() - rss0
        evicted = int(info_field(c, "stats", "evicted_keys"))
        assert evicted > i // 2
        # the keys held stay near maxmemory; without a limit the process would
        # have grown by several times 10 * maxmemory
        assert growth < 4 * limit, growth
        print(f"\nstorm: {i:,} keys, {evicted:,} evicted, used_memory peak {worst:,}, RSS growth {growth:,}")
    finally:
        c.close()
        proc.stop()
