"""MULTI/EXEC/WATCH in-process: the queue, watches on a fake clock (expiry
after WATCH, active expiry), no leaks, CLIENT LIST fields, the cost switch,
and clients blocked on keys a transaction pushes to."""

from __future__ import annotations

import asyncio

from cacheserver.connection import Client
from helpers import Clock, Harness, encode

QUEUED = b"+QUEUED\r\n"
NIL_ARRAY = b"*-1\r\n"


def exec_(h: Harness, c: Client | None = None, *cmds: tuple[str, ...]) -> bytes:
    """MULTI, the commands, EXEC: EXEC's reply."""
    assert h.run("MULTI", client=c) == b"+OK\r\n"
    for cmd in cmds:
        assert h.run(*cmd, client=c) == QUEUED
    return h.run("EXEC", client=c)


def watching(h: Harness) -> int:
    return len(h.server.watches)


def test_queue_runs_at_exec(h: Harness) -> None:
    other = h.connect()
    assert h.run("MULTI") == b"+OK\r\n"
    assert h.run("SET", "k", "v") == QUEUED
    assert h.run("GET", "k", client=other) == b"$-1\r\n"  # nothing ran yet
    assert h.run("INCR", "k") == QUEUED
    assert h.run("EXEC") == (
        b"*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n"
    )
    assert h.run("GET", "k", client=other) == b"$1\r\nv\r\n"


def test_pipeline_in_one_read(h: Harness) -> None:
    data = encode("MULTI") + encode("INCR", "n") + encode("INCR", "n") + encode("EXEC") + encode("GET", "n")
    assert h.feed(data) == b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:2\r\n$1\r\n2\r\n"


def test_refused_commands_flag(h: Harness) -> None:
    for bad in (("NOPE",), ("GET",), ("CLIENT", "NOPE"), ("SHUTDOWN",)):
        assert h.run("MULTI") == b"+OK\r\n"
        assert h.run("SET", "k", "v") == QUEUED
        assert h.run(*bad).startswith(b"-ERR ")
        assert h.run("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert h.run("EXISTS", "k") == b":0\r\n"
    # a transaction that will not run queues nothing
    h.run("MULTI")
    h.run("NOPE")
    h.run("SET", "k", "v")
    assert h.client.tx is not None and h.client.tx.queue == []
    h.run("DISCARD")


def test_client_list_fields(h: Harness) -> None:
    def fields() -> tuple[str, str]:
        line = h.run("CLIENT", "INFO").decode()
        parts = dict(p.split("=", 1) for p in line.split("\r\n")[1].split() if "=" in p)
        return parts["flags"], parts["multi"]

    assert fields() == ("N", "-1")
    h.run("MULTI")
    h.run("SET", "a", "1")
    h.run("CLIENT", "INFO")
    inside = h.run("EXEC")
    assert b" flags=x " in inside and b" multi=2 " in inside and b" cmd=exec " in inside
    other = h.connect()
    h.run("WATCH", "a")
    h.run("SET", "a", "2", client=other)
    assert fields() == ("d", "-1")  # a broken watch
    h.run("UNWATCH")
    assert fields() == ("N", "-1")


def test_watch_expiry_after_watch(h: Harness, clock: Clock) -> None:
    h.run("SET", "k", "v", "PX", "100")
    h.run("WATCH", "k")
    clock.t += 100  # expired, not yet deleted: EXEC fails (redis isWatchedKeyExpired)
    assert exec_(h, None, ("PING",)) == NIL_ARRAY
    assert watching(h) == 0


def test_watch_expired_then_deleted(h: Harness, clock: Clock) -> None:
    h.server.active_expire = False
    h.run("SET", "k", "v", "PX", "100")
    clock.t += 100
    h.run("WATCH", "k")  # already expired: counts as missing
    assert h.run("EXISTS", "k", client=h.connect()) == b":0\r\n"  # deletes it
    assert exec_(h, None, ("PING",)) == b"*1\r\n+PONG\r\n"
    # deleted by the active cycle: no change either
    h.run("SET", "k", "v", "PX", "100")
    clock.t += 100
    h.run("WATCH", "k")
    assert h.server.keyspace.expire_cycle(clock.t, 1.0) == 1
    assert exec_(h, None, ("PING",)) == b"*1\r\n+PONG\r\n"
    # a live key the active cycle expires: a change
    h.run("SET", "k", "v", "PX", "100")
    h.run("WATCH", "k")
    clock.t += 100
    h.server.keyspace.expire_cycle(clock.t, 1.0)
    assert exec_(h, None, ("PING",)) == NIL_ARRAY


def test_watch_hash_field_expiry(h: Harness, clock: Clock) -> None:
    h.run("HSET", "h", "a", "1", "b", "2")
    h.run("HPEXPIRE", "h", "100", "FIELDS", "1", "a")
    h.run("WATCH", "h")
    clock.t += 100
    h.server.keyspace.expire_cycle(clock.t, 1.0)
    assert exec_(h, None, ("HLEN", "h")) == NIL_ARRAY


def test_no_leaks(h: Harness) -> None:
    ks = h.server.keyspace
    assert not ks.hooked and ks.flush_hooks == []
    # EXEC, DISCARD, UNWATCH, RESET, a broken watch, QUIT, a lost connection
    h.run("WATCH", "a", "b")
    assert ks.hooked and watching(h) == 2
    h.run("MULTI")
    h.run("EXEC")
    h.run("WATCH", "a")
    h.run("MULTI")
    h.run("DISCARD")
    h.run("WATCH", "a")
    h.run("UNWATCH")
    h.run("WATCH", "a")
    h.run("RESET")
    h.run("WATCH", "a")
    h.run("SET", "a", "1")
    tx = h.client.tx
    assert tx is not None and tx.dirty_cas and watching(h) == 0  # dirty until EXEC or UNWATCH
    h.run("UNWATCH")
    assert not tx.dirty_cas and not tx.watched and tx.queue is None
    assert not ks.hooked and ks.flush_hooks == [] and watching(h) == 0
    clients = [h.connect() for _ in range(200)]
    for i, c in enumerate(clients):
        h.run("WATCH", f"k{i % 7}", "shared", client=c)
        h.run("MULTI", client=c)
        h.run("SET", "x", "1", client=c)
    assert watching(h) == 400
    for c in clients[:100]:
        c.close()
    for c in clients[100:]:
        c.connection_lost(None)
    assert watching(h) == 0 and h.server.watches.keys == {}
    assert not ks.hooked and ks.flush_hooks == []
    q = h.connect()
    assert h.feed(encode("WATCH", "a") + encode("MULTI") + encode("QUIT"), q) == b"+OK\r\n" * 3
    assert watching(h) == 0


def test_hooks_of_others_survive(h: Harness) -> None:
    """A watch that goes while the keyspace calls its hooks skips no other hook."""
    seen: list[bytes] = []
    h.run("WATCH", "k")
    h.server.keyspace.add_modified_hook(lambda db, key: seen.append(key))
    h.run("SET", "k", "v", client=h.connect())
    assert seen == [b"k"]


def test_exec_serves_blocked_clients_after_the_transaction() -> None:
    async def main() -> None:
        h = Harness()
        waiter = h.connect()
        assert h.feed(encode("BLPOP", "l", "0"), waiter) == b""
        # the waiter is served after the whole EXEC: LLEN inside sees the push
        assert exec_(h, None, ("RPUSH", "l", "a", "b"), ("LLEN", "l")) == b"*2\r\n:2\r\n:2\r\n"
        await asyncio.sleep(0)
        out = waiter.transport.out  # type: ignore[union-attr]
        assert bytes(out).endswith(b"*2\r\n$1\r\nl\r\n$1\r\na\r\n")
        assert h.run("LRANGE", "l", "0", "-1") == b"*1\r\n$1\r\nb\r\n"
        # a push popped again in the same transaction serves nobody
        assert h.feed(encode("BLPOP", "m", "0"), waiter) == b""
        assert exec_(h, None, ("RPUSH", "m", "a"), ("LPOP", "m")) == b"*2\r\n:1\r\n$1\r\na\r\n"
        assert len(h.server.blocking) == 1
        h.run("RPUSH", "m", "z")
        await asyncio.sleep(0)
        assert bytes(out).endswith(b"*2\r\n$1\r\nm\r\n$1\r\nz\r\n")

    asyncio.run(main())


def test_commands_in_exec_are_counted(h: Harness) -> None:
    rows = h.server.table.rows
    exec_(h, None, ("SET", "k", "v"), ("SET", "k", "w"), ("INCR", "k"))
    assert rows[b"set"].calls == 2 and rows[b"incr"].failed_calls == 1
    assert rows[b"exec"].calls == 1 and rows[b"exec"].failed_calls == 0
    h.run("MULTI")
    h.run("SET")
    h.run("EXEC")
    assert rows[b"set"].rejected_calls == 1 and rows[b"exec"].failed_calls == 1
