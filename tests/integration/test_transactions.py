"""Transactions with real clients: redis-py pipelines (transaction=True) in
RESP2 and RESP3, sync and asyncio, WATCH races between two clients
(WatchError), blocking pops inside MULTI, and a push inside MULTI/EXEC that
serves a client blocked in BLPOP.

A test knows a client is blocked by polling INFO ``blocked_clients``
(bounded); everything else waits for replies, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import redis.asyncio

from helpers import ServerThread


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def rp(server: ServerThread, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    client = redis.Redis(
        host=server.host, port=server.port, protocol=request.param, socket_timeout=10
    )
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def other(server: ServerThread) -> Iterator[redis.Redis]:
    client = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
    yield client
    client.close()


def wait_blocked(r: redis.Redis, n: int) -> None:
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] != n:
        assert time.monotonic() < deadline, "no client blocked"
        time.sleep(0.005)


def test_pipeline_transaction(rp: redis.Redis) -> None:
    with rp.pipeline(transaction=True) as p:
        p.set("k", "1")
        p.incr("k")
        p.incrby("k", 5)
        p.get("k")
        p.lpush("l", "a", "b")
        p.lrange("l", 0, -1)
        p.hset("h", mapping={"f": "v"})
        p.hgetall("h")
        p.zadd("z", {"m": 1.5})
        p.zscore("z", "m")
        assert p.execute() == [True, 2, 7, b"7", 2, [b"b", b"a"], 1, {b"f": b"v"}, 1, 1.5]


def test_pipeline_error_inside(rp: redis.Redis) -> None:
    with rp.pipeline(transaction=True) as p:
        p.set("s", "x")
        p.incr("s")
        p.get("s")
        results = p.execute(raise_on_error=False)
    assert results[0] is True and results[2] == b"x"
    assert isinstance(results[1], redis.ResponseError)
    with rp.pipeline(transaction=True) as p:
        p.incr("s")
        with pytest.raises(redis.ResponseError, match="not an integer"):
            p.execute()


def test_pipeline_execabort(rp: redis.Redis) -> None:
    with rp.pipeline(transaction=True) as p:
        p.set("k", "v")
        p.execute_command("NOPE")
        with pytest.raises(redis.ResponseError) as e:
            p.execute()
    # redis-py raises the queueing error that made EXEC abort
    assert str(e.value).startswith("Command # 2 (NOPE) of pipeline caused error: unknown command 'NOPE'")
    assert rp.exists("k") == 0


def test_watch_race(rp: redis.Redis, other: redis.Redis) -> None:
    rp.set("counter", 0)
    with rp.pipeline(transaction=True) as p:
        p.watch("counter")
        value = int(p.get("counter") or 0)
        other.incr("counter")  # another client wins the race
        p.multi()
        p.set("counter", value + 1)
        with pytest.raises(redis.WatchError):
            p.execute()
    assert rp.get("counter") == b"1"
    # the usual retry loop then succeeds
    def incr(p: redis.client.Pipeline) -> None:
        value = int(p.get("counter") or 0)
        p.multi()
        p.set("counter", value + 1)

    rp.transaction(incr, "counter")
    assert rp.get("counter") == b"2"


def test_watch_races_many_clients(server: ServerThread) -> None:
    """Clients that increment with WATCH retries never lose an increment."""
    def worker(n: int) -> int:
        c = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
        retries = 0
        for _ in range(n):
            while True:
                try:
                    with c.pipeline(transaction=True) as p:
                        p.watch("shared")
                        value = int(p.get("shared") or 0)
                        p.multi()
                        p.set("shared", value + 1)
                        p.execute()
                        break
                except redis.WatchError:
                    retries += 1
        c.close()
        return retries

    r = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
    r.delete("shared")
    with ThreadPoolExecutor(max_workers=4) as ex:
        list(ex.map(worker, [50] * 4))
    assert r.get("shared") == b"200"
    assert server.server is not None and len(server.server.watches) == 0
    r.close()


def test_watch_expiry(rp: redis.Redis) -> None:
    rp.set("k", "v", px=30)
    with rp.pipeline(transaction=True) as p:
        p.watch("k")
        deadline = time.monotonic() + 5
        while rp.pttl("k") > 0:  # reading it after its deadline deletes it
            assert time.monotonic() < deadline
            time.sleep(0.005)
        p.multi()
        p.set("other", "1")
        with pytest.raises(redis.WatchError):
            p.execute()


def test_blocking_pops_inside_multi(rp: redis.Redis) -> None:
    with rp.pipeline(transaction=True) as p:
        p.blpop(["empty"], timeout=0)
        p.brpoplpush("empty", "dst", timeout=0)
        p.bzpopmin(["zempty"], timeout=0)
        p.rpush("l", "a")
        p.blpop(["l"], timeout=0)
        results = p.execute()
    assert results[:4] == [None, None, None, 1] and list(results[4]) == [b"l", b"a"]
    assert rp.info("clients")["blocked_clients"] == 0


def test_push_in_exec_serves_blocked_client(server: ServerThread, rp: redis.Redis) -> None:
    waiter = redis.Redis(host=server.host, port=server.port, socket_timeout=10)
    with ThreadPoolExecutor(max_workers=1) as ex:
        fut = ex.submit(waiter.blpop, ["q"], 0)
        wait_blocked(rp, 1)
        with rp.pipeline(transaction=True) as p:
            p.rpush("q", "job1", "job2")
            p.llen("q")  # the waiter is served only after the EXEC
            assert p.execute() == [2, 2]
        assert list(fut.result(timeout=5)) == [b"q", b"job1"]
    assert rp.lrange("q", 0, -1) == [b"job2"]
    waiter.close()


def test_asyncio_pipeline(server: ServerThread) -> None:
    async def main() -> None:
        for protocol in (2, 3):
            r = redis.asyncio.Redis(host=server.host, port=server.port, protocol=protocol)
            await r.delete("a")
            async with r.pipeline(transaction=True) as p:
                p.incr("a")
                p.incr("a")
                p.get("a")
                assert await p.execute() == [1, 2, b"2"]
            await r.aclose()

    asyncio.run(main())
