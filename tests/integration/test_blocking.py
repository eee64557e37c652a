"""Blocking list pops with several real clients: redis-py sync clients on
threads and redis.asyncio clients, on a server running uvloop and one on the
plain asyncio loop.

A test knows a client is blocked by polling INFO ``blocked_clients`` (bounded);
everything else waits for replies, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpers import RawClient, ServerThread, encode, wait_for

REPLY_WAIT = 5.0  # seconds a test waits for a reply before failing


def connect(st: ServerThread, protocol: int = 2) -> redis.Redis:
    # no retries: a killed waiter must see its connection end, not reconnect
    return redis.Redis(
        host=st.host,
        port=st.port,
        protocol=protocol,
        socket_timeout=30,
        retry=Retry(NoBackoff(), 0),
    )


@pytest.fixture
def admin(loop_server: ServerThread) -> Iterator[redis.Redis]:
    client = connect(loop_server)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=6) as ex:
        yield ex


class Clients:
    """Waiter clients made during a test, closed after it."""

    def __init__(self, st: ServerThread) -> None:
        self.st = st
        self.made: list[redis.Redis] = []

    def __call__(self, protocol: int = 2) -> redis.Redis:
        c = connect(self.st, protocol)
        self.made.append(c)
        return c


@pytest.fixture
def clients(loop_server: ServerThread) -> Iterator[Clients]:
    made = Clients(loop_server)
    yield made
    for c in made.made:
        c.close()


def blocked(admin: redis.Redis) -> int:
    return int(admin.info("clients")["blocked_clients"])


def wait_blocked(admin: redis.Redis, n: int) -> None:
    """Bounded polling until the server reports ``n`` blocked clients."""
    wait_for(lambda: blocked(admin) == n, REPLY_WAIT, f"{n} blocked clients", every=0.002)


def block(
    pool: ThreadPoolExecutor, admin: redis.Redis, call: Callable[[], Any], now_blocked: int
) -> Future[Any]:
    """Run ``call`` on a thread and return once the server counts it blocked."""
    fut = pool.submit(call)
    wait_blocked(admin, now_blocked)
    return fut


# -- timeouts ------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_fractional_timeouts(admin: redis.Redis, clients: Clients, protocol: int) -> None:
    c = clients(protocol)
    assert c.blpop(["a", "b"], timeout=0.05) is None
    assert c.brpop(["a"], timeout=0.01) is None
    assert c.blmove("a", "b", 0.02, "LEFT", "RIGHT") is None
    assert c.brpoplpush("a", "b", 0.01) is None
    assert c.blmpop(0.03, 2, "a", "b", direction="LEFT") is None
    assert c.execute_command("BLPOP", "a", "0.0001") is None
    assert blocked(admin) == 0
    assert admin.exists("a", "b") == 0


def test_timeout_errors(admin: redis.Redis) -> None:
    for bad, msg in (
        ("x", "timeout is not a float or out of range"),
        ("-1", "timeout is negative"),
        ("inf", "timeout is negative"),
    ):
        with pytest.raises(redis.ResponseError, match=msg):
            admin.execute_command("BLPOP", "k", bad)
    assert blocked(admin) == 0


def test_timeout_then_served_later(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    c = clients()
    assert c.blpop(["k"], timeout=0.02) is None
    fut = block(pool, admin, lambda: c.blpop(["k"], timeout=0), 1)
    assert admin.rpush("k", "late") == 1
    assert fut.result(REPLY_WAIT) == (b"k", b"late")
    assert admin.llen("k") == 0


# -- serving ---------------------------------------------------------------------------


def test_fifo_among_three_waiters(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    waiters = [clients() for _ in range(3)]
    futs = []
    for i, c in enumerate(waiters):
        futs.append(block(pool, admin, lambda c=c: c.blpop(["q"], timeout=0), i + 1))
    assert admin.rpush("q", "first", "second", "third") == 3  # the length before serving
    assert [f.result(REPLY_WAIT) for f in futs] == [
        (b"q", b"first"),
        (b"q", b"second"),
        (b"q", b"third"),
    ]
    assert admin.exists("q") == 0
    wait_blocked(admin, 0)


def test_fifo_across_pushes(admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor) -> None:
    waiters = [clients() for _ in range(3)]
    futs = []
    for i, c in enumerate(waiters):
        futs.append(block(pool, admin, lambda c=c: c.brpop(["q"], timeout=0), i + 1))
    for i in range(3):
        admin.lpush("q", f"job{i}")
        assert futs[i].result(REPLY_WAIT) == (b"q", f"job{i}".encode())
    assert admin.llen("q") == 0


def test_one_push_serves_two_waiters(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    a, b = clients(), clients()
    fa = block(pool, admin, lambda: a.blpop(["k"], timeout=0), 1)
    fb = block(pool, admin, lambda: b.blpop(["k"], timeout=0), 2)
    assert admin.lpush("k", "x", "y", "z") == 3
    assert fa.result(REPLY_WAIT) == (b"k", b"z")
    assert fb.result(REPLY_WAIT) == (b"k", b"y")
    assert admin.lrange("k", 0, -1) == [b"x"]


def test_pushes_serve_waiters_on_two_keys(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    a, b, c = clients(), clients(), clients(3)
    fa = block(pool, admin, lambda: a.blpop(["k1"], timeout=0), 1)
    fb = block(pool, admin, lambda: b.blpop(["k2"], timeout=0), 2)
    fc = block(pool, admin, lambda: c.blpop(["k1", "k2"], timeout=0), 3)
    pipe = admin.pipeline(transaction=False)
    pipe.rpush("k1", "x")
    pipe.rpush("k2", "y", "z")
    assert pipe.execute() == [1, 2]
    assert fa.result(REPLY_WAIT) == (b"k1", b"x")
    assert fb.result(REPLY_WAIT) == (b"k2", b"y")
    assert fc.result(REPLY_WAIT) == [b"k2", b"z"]  # RESP3: a plain array
    wait_blocked(admin, 0)
    assert admin.exists("k1", "k2") == 0


def test_blmpop_served_with_count(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    c = clients()
    fut = block(pool, admin, lambda: c.blmpop(0, 2, "a", "b", direction="RIGHT", count=3), 1)
    admin.rpush("b", "1", "2", "3", "4")
    assert fut.result(REPLY_WAIT) == [b"b", [b"4", b"3", b"2"]]
    assert admin.lrange("b", 0, -1) == [b"1"]


def test_blmove_chain(admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor) -> None:
    a, b, c = clients(), clients(), clients()
    fa = block(pool, admin, lambda: a.blmove("s1", "s2", 0, "RIGHT", "LEFT"), 1)
    fb = block(pool, admin, lambda: b.brpoplpush("s2", "s3", 0), 2)
    fc = block(pool, admin, lambda: c.blpop(["s3"], timeout=0), 3)
    admin.rpush("s1", "x", "y")
    assert fa.result(REPLY_WAIT) == b"y"
    assert fb.result(REPLY_WAIT) == b"y"
    assert fc.result(REPLY_WAIT) == (b"s3", b"y")
    assert admin.lrange("s1", 0, -1) == [b"x"]
    assert admin.exists("s2", "s3") == 0
    wait_blocked(admin, 0)


def test_blmove_into_a_list_others_wait_on_keeps_order(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    a, b = clients(), clients()
    fb = block(pool, admin, lambda: b.blpop(["dst"], timeout=0), 1)
    fa = block(pool, admin, lambda: a.blmove("src", "dst", 0, "LEFT", "RIGHT"), 2)
    admin.rpush("src", "1", "2")
    assert fa.result(REPLY_WAIT) == b"1"
    assert fb.result(REPLY_WAIT) == (b"dst", b"1")
    assert admin.lrange("src", 0, -1) == [b"2"]
    assert admin.exists("dst") == 0


def test_pipeline_behind_blocked_command(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    c = clients()

    def run() -> list[Any]:
        pipe = c.pipeline(transaction=False)
        pipe.blpop(["p"], timeout=0)
        pipe.llen("p")
        pipe.echo("after")
        return pipe.execute()

    fut = block(pool, admin, run, 1)
    admin.rpush("p", "a", "b")
    assert fut.result(REPLY_WAIT) == [(b"p", b"a"), 1, b"after"]


# -- disconnects and kills -----------------------------------------------------------------


def test_disconnected_waiter_leaves_the_element(
    admin: redis.Redis, loop_server: ServerThread
) -> None:
    raw = RawClient(loop_server.host, loop_server.port)
    raw.send(encode("BLPOP", "k", "0"))
    wait_blocked(admin, 1)
    raw.sock.shutdown(socket.SHUT_RDWR)
    raw.close()
    wait_blocked(admin, 0)
    assert admin.lpush("k", "kept") == 1
    assert admin.llen("k") == 1
    assert admin.lrange("k", 0, -1) == [b"kept"]


def test_client_kill_of_a_waiter(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    c = clients()
    cid = c.client_id()
    fut = block(pool, admin, lambda: c.blpop(["k"], timeout=0), 1)
    assert b"cmd=blpop" in admin.execute_command("CLIENT", "LIST", "ID", cid)
    assert admin.client_kill_filter(_id=cid) == 1
    with pytest.raises(redis.ConnectionError):
        fut.result(REPLY_WAIT)
    wait_blocked(admin, 0)
    assert admin.rpush("k", "kept") == 1
    assert admin.lrange("k", 0, -1) == [b"kept"]


def test_killed_waiter_among_others(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    a, b, c = clients(), clients(), clients()
    fa = block(pool, admin, lambda: a.blpop(["k"], timeout=0), 1)
    bid = b.client_id()
    fb = block(pool, admin, lambda: b.blpop(["k"], timeout=0), 2)
    fc = block(pool, admin, lambda: c.blpop(["k"], timeout=0), 3)
    admin.client_kill_filter(_id=bid)
    with pytest.raises(redis.ConnectionError):
        fb.result(REPLY_WAIT)
    wait_blocked(admin, 2)
    admin.rpush("k", "1", "2", "3")
    assert fa.result(REPLY_WAIT) == (b"k", b"1")
    assert fc.result(REPLY_WAIT) == (b"k", b"2")
    assert admin.lrange("k", 0, -1) == [b"3"]


def test_blocked_clients_up_and_down(
    admin: redis.Redis, clients: Clients, pool: ThreadPoolExecutor
) -> None:
    assert blocked(admin) == 0
    a, b = clients(), clients()
    fa = block(pool, admin, lambda: a.blpop(["x"], timeout=0), 1)
    fb = block(pool, admin, lambda: b.blmpop(0, 1, "y", direction="LEFT"), 2)
    admin.rpush("x", "1")
    assert fa.result(REPLY_WAIT) == (b"x", b"1")
    wait_blocked(admin, 1)
    admin.rpush("y", "2")
    assert fb.result(REPLY_WAIT) == [b"y", [b"2"]]
    wait_blocked(admin, 0)


# -- redis.asyncio ---------------------------------------------------------------------------


def aconnect(st: ServerThread, protocol: int = 2) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(
        host=st.host,
        port=st.port,
        protocol=protocol,
        socket_timeout=30,
        retry=redis.asyncio.retry.Retry(NoBackoff(), 0),
    )


async def await_blocked(admin: redis.asyncio.Redis, n: int) -> None:
    deadline = time.monotonic() + REPLY_WAIT
    while int((await admin.info("clients"))["blocked_clients"]) != n:
        assert time.monotonic() < deadline, f"expected {n} blocked clients"
        await asyncio.sleep(0.002)


def test_asyncio_waiters(loop_server: ServerThread, admin: redis.Redis) -> None:
    async def main() -> None:
        boss = aconnect(loop_server)
        waiters = [aconnect(loop_server, 3 if i % 2 else 2) for i in range(4)]
        try:
            tasks = []
            for i, w in enumerate(waiters):
                tasks.append(asyncio.ensure_future(w.brpop(["jobs"], timeout=0)))
                await await_blocked(boss, i + 1)
            assert await boss.lpush("jobs", "a", "b", "c", "d") == 4
            got = await asyncio.wait_for(asyncio.gather(*tasks), REPLY_WAIT)
            assert [tuple(g) for g in got] == [
                (b"jobs", b"a"),
                (b"jobs", b"b"),
                (b"jobs", b"c"),
                (b"jobs", b"d"),
            ]
            assert await boss.exists("jobs") == 0
        finally:
            for w in waiters:
                await w.aclose()
            await boss.aclose()

    asyncio.run(main())


def test_asyncio_cancelled_waiter(loop_server: ServerThread, admin: redis.Redis) -> None:
    async def main() -> None:
        boss = aconnect(loop_server)
        w = aconnect(loop_server)
        try:
            task = asyncio.ensure_future(w.blpop(["k"], timeout=0))
            await await_blocked(boss, 1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await w.aclose()  # the cancelled read leaves a connection to drop
            await await_blocked(boss, 0)
            assert await boss.rpush("k", "kept") == 1
            assert await boss.lrange("k", 0, -1) == [b"kept"]
        finally:
            await w.aclose()
            await boss.aclose()

    asyncio.run(main())


def test_client_unblock_and_flags(server: ServerThread) -> None:
    waiter = RawClient(server.host, server.port)
    admin = RawClient(server.host, server.port)
    try:
        wid = int(waiter.call("CLIENT", "ID")[1:-2])
        waiter.send(encode("BLPOP", "unblock-me", "0"))
        for _ in range(200):  # bounded wait until the server counts it blocked
            if b"blocked_clients:1" in admin.call("INFO", "clients"):
                break
            time.sleep(0.01)
        listing = admin.call("CLIENT", "LIST", "ID", str(wid))
        assert b" flags=b " in listing
        assert admin.call("CLIENT", "UNBLOCK", str(wid), "TIMEOUT") == b":1\r\n"
        assert waiter.reply() == b"*-1\r\n"
        assert admin.call("CLIENT", "UNBLOCK", str(wid)) == b":0\r\n"
        waiter.send(encode("BLPOP", "unblock-me", "0"))
        for _ in range(200):
            if b"blocked_clients:1" in admin.call("INFO", "clients"):
                break
            time.sleep(0.01)
        assert admin.call("CLIENT", "UNBLOCK", str(wid), "ERROR") == b":1\r\n"
        assert waiter.reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert admin.call("CLIENT", "UNBLOCK", str(wid), "BAD") == (
            b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
        )
        assert waiter.call("PING") == b"+PONG\r\n"
    finally:
        waiter.close()
        admin.close()


def test_rename_serves_a_waiter(server: ServerThread) -> None:
    waiter = RawClient(server.host, server.port)
    admin = RawClient(server.host, server.port)
    try:
        admin.call("DEL", "target", "source")
        waiter.send(encode("BLPOP", "target", "0"))
        for _ in range(200):
            if b"blocked_clients:1" in admin.call("INFO", "clients"):
                break
            time.sleep(0.01)
        assert admin.call("RPUSH", "source", "a", "b") == b":2\r\n"
        assert admin.call("RENAME", "source", "target") == b"+OK\r\n"
        assert waiter.reply() == b"*2\r\n$6\r\ntarget\r\n$1\r\na\r\n"
        assert admin.call("LRANGE", "target", "0", "-1") == b"*1\r\n$1\r\nb\r\n"
    finally:
        waiter.close()
        admin.close()


def test_swapdb_serves_a_waiter(server: ServerThread) -> None:
    waiter = RawClient(server.host, server.port)
    admin = RawClient(server.host, server.port)
    try:
        admin.call("FLUSHALL")
        waiter.send(encode("BLPOP", "swapped", "0"))
        for _ in range(200):
            if b"blocked_clients:1" in admin.call("INFO", "clients"):
                break
            time.sleep(0.01)
        assert admin.call("SELECT", "1") == b"+OK\r\n"
        assert admin.call("RPUSH", "swapped", "x") == b":1\r\n"
        assert admin.call("SWAPDB", "0", "1") == b"+OK\r\n"
        assert waiter.reply() == b"*2\r\n$7\r\nswapped\r\n$1\r\nx\r\n"
    finally:
        waiter.close()
        admin.close()
