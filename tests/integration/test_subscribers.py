"""Pub/sub over real sockets: redis-py PubSub (sync and asyncio, RESP2 and
RESP3) on uvloop and on the plain asyncio loop, 10,000 subscribers opened
and dropped, a subscriber that never reads, a 1 MB pattern, and keyspace
notifications for expiry.

Tests wait for messages and poll state with a short deadline; none sleeps a
fixed time."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any

import pytest
import redis
import redis.asyncio

from helpers import RawClient, ServerThread, encode, read_reply, wait_for

WAIT = 5.0  # seconds a test waits for an event before failing


def connect(st: ServerThread, protocol: int = 2) -> redis.Redis:
    return redis.Redis(host=st.host, port=st.port, protocol=protocol, socket_timeout=10)


def next_message(p: Any) -> dict[str, Any]:
    msg = wait_for(lambda: p.get_message(timeout=0.2), WAIT)
    assert isinstance(msg, dict)
    return msg


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pubsub_sync(loop_server: ServerThread, protocol: int) -> None:
    r = connect(loop_server, protocol)
    pub = connect(loop_server)
    p = r.pubsub()
    try:
        p.subscribe("news", "sport")
        p.psubscribe("n*")
        p.ssubscribe("shard")
        kinds = [next_message(p) for _ in range(3)]
        assert [(m["type"], m["channel"], m["data"]) for m in kinds] == [
            ("subscribe", b"news", 1),
            ("subscribe", b"sport", 2),
            ("psubscribe", b"n*", 3),
        ]
        assert p.get_sharded_message(timeout=WAIT) == {
            "type": "ssubscribe",
            "pattern": None,
            "channel": b"shard",
            "data": 1,
        }
        assert pub.pubsub_numsub("news", "nope") == [(b"news", 1), (b"nope", 0)]
        assert pub.pubsub_numpat() == 1
        assert sorted(pub.pubsub_channels()) >= [b"news", b"sport"]
        assert pub.publish("news", "hello") == 2
        assert next_message(p) == {
            "type": "message",
            "pattern": None,
            "channel": b"news",
            "data": b"hello",
        }
        assert next_message(p) == {
            "type": "pmessage",
            "pattern": b"n*",
            "channel": b"news",
            "data": b"hello",
        }
        assert pub.spublish("shard", "s") == 1
        assert p.get_sharded_message(timeout=WAIT)["data"] == b"s"  # type: ignore[index]
        p.ping("hi")  # answered as a message in RESP2 subscriber mode
        pong = next_message(p)
        assert pong["type"] == "pong" and pong["data"] in (b"hi", "hi")
        p.unsubscribe()
        p.punsubscribe()
        p.sunsubscribe()
        wait_for(
            lambda: (
                pub.pubsub_numsub("news", "sport") == [(b"news", 0), (b"sport", 0)]
                and pub.pubsub_numpat() == 0
            ),
            WAIT,
        )
    finally:
        p.close()
        r.close()
        pub.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pubsub_asyncio(loop_server: ServerThread, protocol: int) -> None:
    async def main() -> None:
        r = redis.asyncio.Redis(host=loop_server.host, port=loop_server.port, protocol=protocol)
        pub = redis.asyncio.Redis(host=loop_server.host, port=loop_server.port)
        p = r.pubsub(ignore_subscribe_messages=True)
        try:
            await p.subscribe("ch")
            await p.psubscribe("c?")
            got: list[tuple[str, bytes]] = []

            async def reader() -> None:
                async for msg in p.listen():
                    if msg["type"] in ("message", "pmessage"):
                        got.append((msg["type"], msg["data"]))
                        if len(got) == 20:
                            return

            task = asyncio.ensure_future(reader())
            # publish only once both subscriptions are in place
            deadline = time.monotonic() + WAIT
            while await pub.pubsub_numpat() != 1 or (await pub.pubsub_numsub("ch"))[0][1] != 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            for i in range(10):
                assert await pub.publish("ch", b"m%d" % i) == 2
            await asyncio.wait_for(task, WAIT)
            # per subscription, messages keep the publishing order
            assert [d for t, d in got if t == "message"] == [b"m%d" % i for i in range(10)]
            assert [d for t, d in got if t == "pmessage"] == [b"m%d" % i for i in range(10)]
            await p.unsubscribe()
            await p.punsubscribe()
        finally:
            await p.aclose()
            await r.aclose()
            await pub.aclose()

    asyncio.run(main())


def test_resp3_client_runs_commands_while_subscribed(loop_server: ServerThread) -> None:
    c = RawClient(loop_server.host, loop_server.port)
    try:
        assert c.call("HELLO", "3").startswith(b"%7")
        assert c.call("SUBSCRIBE", "self") == b">3\r\n$9\r\nsubscribe\r\n$4\r\nself\r\n:1\r\n"
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        # the message to itself comes first, then the PUBLISH reply
        c.send(encode("PUBLISH", "self", "m"))
        assert c.reply() == b">3\r\n$7\r\nmessage\r\n$4\r\nself\r\n$1\r\nm\r\n"
        assert c.reply() == b":1\r\n"
        assert c.call("RESET") == b"+RESET\r\n"
    finally:
        c.close()


def _open_batch(st: ServerThread, n: int, start: int) -> list[socket.socket]:
    """``n`` raw clients, each subscribed to a channel, a pattern and a shard
    channel; returns once every confirmation arrived."""
    socks = []
    for i in range(start, start + n):
        s = socket.create_connection((st.host, st.port), timeout=10)
        s.sendall(
            encode("SUBSCRIBE", b"c%d" % (i % 50), b"mine%d" % i)
            + encode("PSUBSCRIBE", b"p%d*" % (i % 7))
            + encode("SSUBSCRIBE", b"s%d" % (i % 3))
        )
        socks.append(s)
    for s in socks:
        buf = b""
        replies = 0
        while replies < 4:
            chunk = s.recv(65536)
            assert chunk, "closed"
            buf += chunk
            while (end := read_reply(buf)) is not None:
                buf = buf[end:]
                replies += 1
    return socks


def test_10000_subscribers_leave_nothing_behind(server: ServerThread) -> None:
    admin = RawClient(server.host, server.port)
    try:
        channels = [b"c%d" % i for i in range(50)]
        before = (
            admin.call("PUBSUB", "NUMSUB", *channels),
            admin.call("PUBSUB", "NUMPAT"),
            admin.call("PUBSUB", "SHARDNUMSUB", b"s0", b"s1", b"s2"),
            admin.call("PUBSUB", "CHANNELS"),
        )
        batch = 500
        for start in range(0, 10_000, batch):
            socks = _open_batch(server, batch, start)
            if start == 0:
                assert admin.call("PUBLISH", "c0", "x") == b":%d\r\n" % (batch // 50)
            for s in socks:
                s.close()

        def back() -> bool:
            now = (
                admin.call("PUBSUB", "NUMSUB", *channels),
                admin.call("PUBSUB", "NUMPAT"),
                admin.call("PUBSUB", "SHARDNUMSUB", b"s0", b"s1", b"s2"),
                admin.call("PUBSUB", "CHANNELS"),
            )
            return now == before

        wait_for(back, 20)
        if server.server is not None:  # in-process: the registries themselves are empty
            ps = server.server.pubsub
            assert not ps.channels and not ps.patterns and not ps.shard
            assert all(c.subs is None for c in list(server.server.clients.values()))
    finally:
        admin.close()


def test_slow_subscriber_is_cut_off(server: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    """A subscriber that never reads is closed once its pending output passes
    the pubsub hard limit; the publisher keeps its replies, a subscriber that
    reads gets every message, and other clients carry on."""
    admin = connect(server)
    old = admin.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    admin.config_set("client-output-buffer-limit", "pubsub 256kb 128kb 60")
    slow = socket.socket()
    # a small receive window, so the kernel holds little of what it is sent
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect((server.host, server.port))
    slow.sendall(encode("SUBSCRIBE", "firehose"))
    good = RawClient(server.host, server.port)
    received = [0]
    stop = threading.Event()
    try:
        assert good.call("SUBSCRIBE", "firehose").endswith(b":1\r\n")

        def drain() -> None:  # the subscriber that keeps up
            while not stop.is_set():
                try:
                    received[0] += good.reply().count(b"firehose")
                except (OSError, ConnectionError):
                    return

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        wait_for(lambda: admin.pubsub_numsub("firehose") == [(b"firehose", 2)], WAIT)
        # each round is one small pipeline, well under the limit, so the
        # subscriber that reads never has much queued
        payload = b"x" * 16384
        pub = connect(server)
        sent = 0
        replies: list[int] = []
        before = admin.info("stats").get("client_output_buffer_limit_disconnections", 0)
        with caplog.at_level(logging.WARNING, logger="cacheserver"):
            while admin.pubsub_numsub("firehose") != [(b"firehose", 1)]:
                assert sent < 4000, "the slow subscriber was never cut off"
                pipe = pub.pipeline(transaction=False)
                for _ in range(4):
                    pipe.publish("firehose", payload)
                replies += pipe.execute()
                sent += 4
        assert set(replies) <= {1, 2}
        assert admin.info("stats")["client_output_buffer_limit_disconnections"] == before + 1
        if server.server is not None:
            assert (
                "scheduled to be closed ASAP for overcoming of output buffer limits." in caplog.text
            )
        # the slow one was closed: what it gets is some data, then the end
        slow.settimeout(WAIT)
        try:
            while slow.recv(1 << 20):
                pass
        except ConnectionResetError:
            pass
        wait_for(lambda: received[0] == sent, WAIT)
        assert admin.set("still", "fine") and admin.get("still") == b"fine"
        assert pub.publish("firehose", "last") == 1
        pub.close()
    finally:
        stop.set()
        admin.config_set("client-output-buffer-limit", old)
        slow.close()
        good.close()
        admin.close()


def test_megabyte_pattern(server: ServerThread) -> None:
    c = RawClient(server.host, server.port)
    pub = RawClient(server.host, server.port)
    try:
        big = b"a" * (1 << 20)
        t0 = time.monotonic()
        assert c.call("PSUBSCRIBE", big, b"*" + big) == (
            b"*3\r\n$10\r\npsubscribe\r\n$1048576\r\n" + big + b"\r\n:1\r\n"
        )
        assert c.reply() == b"*3\r\n$10\r\npsubscribe\r\n$1048577\r\n*" + big + b"\r\n:2\r\n"
        assert pub.call("PUBLISH", "short", "m") == b":0\r\n"
        assert pub.call("PUBLISH", big, "m") == b":2\r\n"
        assert pub.call("PUBSUB", "NUMPAT") == b":2\r\n"
        assert time.monotonic() - t0 < WAIT  # answered, not stuck compiling
        assert c.reply().startswith(b"*4\r\n$8\r\npmessage\r\n$1048576\r\n")
        assert c.reply().startswith(b"*4\r\n$8\r\npmessage\r\n$1048577\r\n")
        assert c.call("PUNSUBSCRIBE", big).endswith(b":1\r\n")
        assert c.call("RESET") == b"+RESET\r\n"
        assert pub.call("PUBSUB", "NUMPAT") == b":0\r\n"
    finally:
        c.close()
        pub.close()


def test_expiry_notifications(server: ServerThread) -> None:
    admin = connect(server)
    admin.flushall()
    admin.config_set("notify-keyspace-events", "Ex")
    p = connect(server, 3).pubsub(ignore_subscribe_messages=True)
    try:
        p.psubscribe("__keyevent@*__:expired")
        wait_for(lambda: admin.pubsub_numpat() == 1, WAIT)
        admin.set("gone", "v", px=30)  # nobody reads it again: the expiry cycle finds it
        msg = wait_for(lambda: p.get_message(timeout=0.2), WAIT)
        assert msg == {
            "type": "pmessage",
            "pattern": b"__keyevent@*__:expired",
            "channel": b"__keyevent@0__:expired",
            "data": b"gone",
        }
        db5 = redis.Redis(host=server.host, port=server.port, db=5)
        db5.set("k5", "v", px=30)
        msg = wait_for(lambda: p.get_message(timeout=0.2), WAIT)
        assert msg["channel"] == b"__keyevent@5__:expired" and msg["data"] == b"k5"
        db5.close()
    finally:
        admin.config_set("notify-keyspace-events", "")
        p.close()
        admin.close()
