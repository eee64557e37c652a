"""CLIENT PAUSE, UNPAUSE and REPLY through redis-py (``client_pause``,
``client_unpause``, ``client_reply``), sync clients on threads and
redis.asyncio clients, on a server running uvloop and one on the plain
asyncio loop.

A test knows a client is held by polling INFO ``blocked_clients`` (bounded);
everything else waits for replies; the only timeouts are the pauses' own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpers import ServerThread, wait_for

REPLY_WAIT = 5.0  # seconds a test waits for a reply before failing


def connect(st: ServerThread) -> redis.Redis:
    return redis.Redis(host=st.host, port=st.port, socket_timeout=30)


@pytest.fixture
def admin(loop_server: ServerThread) -> Iterator[redis.Redis]:
    client = connect(loop_server)
    client.flushall()
    yield client
    client.client_unpause()
    client.close()


@pytest.fixture
def other(loop_server: ServerThread) -> Iterator[redis.Redis]:
    client = connect(loop_server)
    yield client
    client.close()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as ex:
        yield ex


def wait_held(admin: redis.Redis, n: int) -> None:
    wait_for(
        lambda: int(admin.info("clients")["blocked_clients"]) == n,
        what=f"{n} held clients",
        every=0.002,
    )


def test_write_pause_holds_writes_until_unpause(
    admin: redis.Redis, other: redis.Redis, pool: ThreadPoolExecutor
) -> None:
    admin.set("k", "v0")
    assert admin.client_pause(10000, all=False) is True
    assert other.get("k") == b"v0"  # reads go on
    pending = pool.submit(other.set, "k", "v1")
    wait_held(admin, 1)
    assert not pending.done()
    assert admin.get("k") == b"v0"
    assert admin.client_unpause() == b"OK"  # (redis-py passes it through)
    assert pending.result(REPLY_WAIT) is True
    assert admin.get("k") == b"v1"
    assert int(admin.info("clients")["blocked_clients"]) == 0


def test_write_pause_holds_a_pipeline_in_order(
    admin: redis.Redis, other: redis.Redis, pool: ThreadPoolExecutor
) -> None:
    admin.client_pause(10000, all=False)

    def pipeline() -> list[object]:
        pipe = other.pipeline(transaction=False)
        pipe.get("n").incr("n").get("n").publish("ch", "m").incrby("n", 5)
        return pipe.execute()

    pending = pool.submit(pipeline)
    wait_held(admin, 1)
    admin.client_unpause()
    assert pending.result(REPLY_WAIT) == [None, 1, b"1", 0, 6]


def test_write_pause_holds_a_transaction_with_writes(
    admin: redis.Redis, other: redis.Redis, pool: ThreadPoolExecutor
) -> None:
    admin.client_pause(10000, all=False)
    pipe = other.pipeline(transaction=True)
    pipe.get("a").get("b")
    assert pipe.execute() == [None, None]  # reads only: not held

    def writes() -> list[object]:
        pipe = other.pipeline(transaction=True)
        pipe.set("a", 1).get("a")
        return pipe.execute()

    pending = pool.submit(writes)
    wait_held(admin, 1)
    admin.client_unpause()
    assert pending.result(REPLY_WAIT) == [True, b"1"]


def test_all_pause_ends_by_itself(admin: redis.Redis, other: redis.Redis) -> None:
    assert admin.client_pause(30) is True  # ALL
    t0 = time.monotonic()
    assert other.ping() is True
    assert time.monotonic() - t0 >= 0.025
    assert admin.ping() is True


def test_held_clients_resume_in_order(loop_server: ServerThread, admin: redis.Redis) -> None:
    async def go() -> list[int]:
        clients = [
            redis.asyncio.Redis(host=loop_server.host, port=loop_server.port) for _ in range(4)
        ]
        try:
            tasks = []
            for i, c in enumerate(clients):
                tasks.append(asyncio.ensure_future(c.rpush("order", i)))
                await asyncio.to_thread(wait_held, admin, i + 1)
            admin.client_unpause()
            return list(await asyncio.wait_for(asyncio.gather(*tasks), REPLY_WAIT))
        finally:
            for c in clients:
                await c.aclose()

    admin.client_pause(10000, all=False)
    assert asyncio.run(go()) == [1, 2, 3, 4]
    assert admin.lrange("order", 0, -1) == [b"0", b"1", b"2", b"3"]


def test_a_second_pause_keeps_the_later_end(admin: redis.Redis, other: redis.Redis) -> None:
    admin.client_pause(10000, all=False)
    admin.client_pause(1, all=False)
    time.sleep(0.02)  # the 1 ms pause would be over by now; the first one still holds writes
    with ThreadPoolExecutor(max_workers=1) as ex:
        pending = ex.submit(other.set, "k", "v")
        wait_held(admin, 1)
        admin.client_unpause()
        assert pending.result(REPLY_WAIT) is True


def test_client_reply(admin: redis.Redis) -> None:
    conn = admin.connection_pool.get_connection()
    try:
        conn.send_command("CLIENT", "REPLY", "OFF")
        conn.send_command("SET", "k", "v")
        conn.send_command("INCR", "k")  # its error is not sent either
        conn.send_command("CLIENT", "REPLY", "ON")
        assert conn.read_response() == b"OK"
        conn.send_command("CLIENT", "REPLY", "SKIP")
        conn.send_command("GET", "k")
        conn.send_command("STRLEN", "k")
        assert conn.read_response() == 1
    finally:
        admin.connection_pool.release(conn)
    assert admin.client_reply("ON") == b"OK"
    with pytest.raises(redis.DataError):
        admin.client_reply("NOPE")  # type: ignore[arg-type]
    assert admin.get("k") == b"v"


def test_client_reply_off_times_out_in_redis_py(loop_server: ServerThread) -> None:
    """redis-py's own advice: OFF and SKIP need a timeout, as nothing comes
    back; the next connection answers as usual."""
    r = redis.Redis(
        host=loop_server.host,
        port=loop_server.port,
        socket_timeout=0.05,
        retry=Retry(NoBackoff(), 0),  # (a retry would send OFF again)
    )
    try:
        with pytest.raises(redis.TimeoutError):
            r.client_reply("OFF")
        assert r.set("k", "v") is True  # (a new connection)
        assert r.get("k") == b"v"
    finally:
        r.close()
