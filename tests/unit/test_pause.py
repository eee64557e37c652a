"""CLIENT PAUSE, UNPAUSE and REPLY in process: a fake clock, requests run
inside an event loop (the pause has a timer), held clients read from their
MockTransport.  The wire behaviour is pinned against redis-server in
tests/differential/test_client_pause_diff.py; these tests cover the state
behind it and the cases Redis 7.0 gets wrong (it asserts, panics or loops)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cacheserver.config import Config
from cacheserver.connection import Client
from cacheserver.pause import ALL, OFF, WRITE_ONLY
from helpers import T0, Clock, Harness, InLoop, encode, take_output

OK = b"+OK\r\n"


class Loop(InLoop):
    """Feeds requests inside an event loop and lets its callbacks run."""

    def feed(self, c: Client, data: bytes) -> None:
        super().feed(c, data)
        self.settle()

    def run(self, *args: bytes | str | int, client: Client | None = None) -> bytes:
        c = client or self.h.client
        out(c)
        self.send(c, *args)
        return out(c)

    def call(self, fn: Callable[[], object]) -> None:
        """``fn()`` inside the loop (a timer's callback, say), then its callbacks."""

        async def go() -> None:
            fn()

        self.loop.run_until_complete(go())
        self.settle()

    def close(self) -> None:
        self.call(self.h.server.pause.unpause)
        super().close()


@pytest.fixture
def lp(h: Harness) -> Iterator[Loop]:
    loop = Loop(h)
    yield loop
    loop.close()


out = take_output


def held(h: Harness) -> int:
    return len(h.server.pause)


# -- PAUSE / UNPAUSE ---------------------------------------------------------------


def test_merge_keeps_the_stricter_mode_and_the_later_end(
    h: Harness, clock: Clock, lp: Loop
) -> None:
    p = h.server.pause
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    assert (p.kind, p.end) == (WRITE_ONLY, T0 + 10000)
    assert lp.run("CLIENT", "PAUSE", 10, "WRITE") == OK  # an earlier end: kept
    assert (p.kind, p.end) == (WRITE_ONLY, T0 + 10000)
    assert lp.run("CLIENT", "PAUSE", 20000, "WRITE") == OK
    assert (p.kind, p.end) == (WRITE_ONLY, T0 + 20000)
    # ALL wins over WRITE, and a timeout far past LLONG_MAX - now wraps into
    # the past (C's signed overflow): the end stays, the mode still goes up
    assert lp.run("CLIENT", "PAUSE", 2**63 - 1) == OK
    assert (p.kind, p.end) == (ALL, T0 + 20000)


def test_pause_that_ends_at_once(h: Harness, clock: Clock, lp: Loop) -> None:
    p = h.server.pause
    for args in (
        ("CLIENT", "PAUSE", 0),
        ("CLIENT", "PAUSE", 0, "ALL"),
        ("CLIENT", "PAUSE", 2**63 - 1),
    ):
        assert lp.run(*args) == OK
        assert p.kind == OFF and p.timer is None
        assert lp.run("SET", "k", "v") == OK
    assert lp.run("CLIENT", "PAUSE", 2**63 - 1 - T0) == OK  # the largest end that does not wrap
    assert (p.kind, p.end) == (ALL, 2**63 - 1)


def test_write_pause_holds_writes_and_keeps_order(h: Harness, lp: Loop) -> None:
    other = h.connect()
    lp.run("SET", "k", "v0")
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    lp.feed(
        other, encode("GET", "k") + encode("SET", "k", "v1") + encode("GET", "k") + encode("PING")
    )
    assert out(other) == b"$2\r\nv0\r\n"
    assert held(h) == 1 and other.held == [b"SET", b"k", b"v1"]
    assert "flags=b " in other.info_line() and "cmd=set " in other.info_line()
    assert b"blocked_clients:1\r\n" in lp.run("INFO", "clients")
    lp.feed(other, encode("GET", "k"))  # more requests wait behind the held one
    assert out(other) == b""
    assert lp.run("CLIENT", "UNPAUSE") == OK
    assert out(other) == OK + b"$2\r\nv1\r\n+PONG\r\n$2\r\nv1\r\n"
    assert held(h) == 0 and other.held is None and not other.waiting


def test_all_pause_holds_everything_but_refusals(h: Harness, lp: Loop) -> None:
    other = h.connect()
    assert lp.run("CLIENT", "PAUSE", 10000, "ALL") == OK
    # refused before the pause is looked at: answered at once
    assert lp.run("NOPE", client=other).startswith(b"-ERR unknown command 'NOPE'")
    assert lp.run("GET", client=other) == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert lp.run("PING", client=other) == b""
    assert lp.run("CLIENT", "UNPAUSE") == b""  # held too: only the timeout ends ALL
    assert held(h) == 2
    lp.call(h.server.pause.unpause)
    assert out(other) == b"+PONG\r\n"
    assert out(h.client) == OK


def test_timeout_ends_the_pause_and_resumes_in_order(h: Harness, clock: Clock, lp: Loop) -> None:
    p = h.server.pause
    clients = [h.connect() for _ in range(3)]
    assert lp.run("CLIENT", "PAUSE", 50, "WRITE") == OK
    for i, c in enumerate(clients):
        lp.send(c, "APPEND", "k", str(i))
    assert list(p.held) == [c.id for c in clients]
    lp.call(p._timed_out)  # the loop's timer ran ahead of the server's clock: still on
    assert p.kind == WRITE_ONLY and p.timer is not None
    clock.t += 51
    lp.call(p._timed_out)
    assert p.kind == OFF and held(h) == 0
    assert [out(c) for c in clients] == [b":1\r\n", b":2\r\n", b":3\r\n"]
    assert lp.run("GET", "k") == b"$3\r\n012\r\n"


def test_exec_with_writes_is_held(h: Harness, lp: Loop) -> None:
    other = h.connect()
    for args in (("MULTI",), ("GET", "k")):
        lp.send(other, *args)
    assert out(other) == OK + b"+QUEUED\r\n"
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    assert lp.run("EXEC", client=other) == b"*1\r\n$-1\r\n"  # reads only: runs
    lp.send(other, "MULTI")
    lp.send(other, "PUBLISH", "ch", "m")  # held while queueing already
    assert out(other) == OK
    assert held(h) == 1
    assert lp.run("CLIENT", "UNPAUSE") == OK
    assert out(other) == b"+QUEUED\r\n"
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    lp.send(other, "EXEC")
    assert out(other) == b"" and held(h) == 1
    assert lp.run("CLIENT", "UNPAUSE") == OK
    assert out(other) == b"*1\r\n:0\r\n"


def test_pause_in_exec_starts_when_it_ends(h: Harness, clock: Clock, lp: Loop) -> None:
    """Redis 7.0 asserts here (a write after CLIENT PAUSE in the same EXEC
    finds the expired key it did not delete): the transaction runs as usual."""
    ks = h.server.keyspace
    lp.run("SET", "e", "1", "PX", 10)
    lp.run("RPUSH", "l", "a")
    lp.run("PEXPIRE", "l", 10)
    clock.t += 20
    used = ks.used
    for args in (
        ("MULTI",),
        ("CLIENT", "PAUSE", 10000, "WRITE"),
        ("SET", "e", "v2"),
        ("RPUSH", "l", "b"),
        ("TTL", "e"),
    ):
        lp.run(*args)
    assert lp.run("EXEC") == b"*4\r\n+OK\r\n+OK\r\n:1\r\n:-1\r\n"
    assert ks.paused and h.server.pause.kind == WRITE_ONLY
    assert lp.run("LRANGE", "l", 0, -1) == b"*1\r\n$1\r\nb\r\n"
    # the expired values went before the new ones came: "1" became "v2", a
    # one-element list another
    assert ks.used == used + 1
    assert lp.run("SET", "x", "1") == b""  # the pause holds this client's writes now
    lp.call(h.server.pause.unpause)
    assert out(h.client) == OK


def test_unblock_and_kill_of_a_held_client(h: Harness, lp: Loop) -> None:
    """Redis 7.0 panics on CLIENT UNBLOCK of a paused client; here it is not
    blocked in a command: 0."""
    other = h.connect()
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    lp.send(other, "SET", "k", "v")
    assert lp.run("CLIENT", "UNBLOCK", other.id) == b":0\r\n"
    assert lp.run("CLIENT", "UNBLOCK", other.id, "ERROR") == b":0\r\n"
    assert held(h) == 1
    assert lp.run("CLIENT", "KILL", "ID", other.id) == b":1\r\n"
    assert held(h) == 0
    assert lp.run("CLIENT", "UNPAUSE") == OK
    assert lp.run("EXISTS", "k") == b":0\r\n"


def test_clients_connecting_during_a_pause_are_paused(h: Harness, lp: Loop) -> None:
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    late = h.connect()
    assert lp.run("SET", "k", "v", client=late) == b""
    assert lp.run("CLIENT", "UNPAUSE") == OK
    assert out(late) == OK
    assert lp.run("SET", "k", "w", client=late) == OK  # the pause's hook is gone


def test_held_client_with_full_output_runs_when_it_drains(h: Harness, lp: Loop) -> None:
    other = h.connect()
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    lp.feed(other, encode("SET", "k", "v") + encode("GET", "k"))
    other.pause_writing()
    assert lp.run("CLIENT", "UNPAUSE") == OK
    assert out(other) == b"" and other.held is not None
    other.resume_writing()
    assert out(other) == OK + b"$1\r\nv\r\n"


def test_acl_and_subscriber_refusals_come_first(h: Harness, lp: Loop) -> None:
    sub = h.connect()
    lp.send(sub, "SUBSCRIBE", "ch")
    out(sub)
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    assert lp.run("SET", "k", "v", client=sub).startswith(b"-ERR Can't execute 'set'")
    assert lp.run("ACL", "SETUSER", "ro", "on", "nopass", "+get", "~*") == OK
    ro = h.connect()
    assert lp.run("AUTH", "ro", "x", client=ro) == OK
    assert lp.run("SET", "k", "v", client=ro).startswith(b"-NOPERM")
    assert lp.run("GET", "k", client=ro) == b"$-1\r\n"
    assert held(h) == 0


# -- the dataset stays still ---------------------------------------------------------


def test_expired_keys_stay_while_paused(h: Harness, clock: Clock, lp: Loop) -> None:
    ks = h.server.keyspace
    lp.run("SET", "e", "1", "PX", 10)
    lp.run("SET", "f", "1")
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    clock.t += 20
    assert lp.run("GET", "e") == b"$-1\r\n"
    assert lp.run("EXISTS", "e") == b":0\r\n"
    assert lp.run("TTL", "e") == b":-2\r\n"
    assert lp.run("KEYS", "*") == b"*1\r\n$1\r\nf\r\n"
    assert lp.run("RANDOMKEY") == b"$1\r\nf\r\n"
    lp.call(h.server.cron)  # the active expiry cycle waits too
    assert lp.run("DBSIZE") == b":2\r\n"
    assert ks.stats.expired_keys == 0
    assert lp.run("CLIENT", "UNPAUSE") == OK
    lp.settle()
    assert lp.run("GET", "e") == b"$-1\r\n"
    assert ks.stats.expired_keys == 1


def test_randomkey_when_every_key_expired(h: Harness, clock: Clock, lp: Loop) -> None:
    """Redis 7.0 loops for ever; later Redis answers a key that may have expired."""
    lp.run("SET", "e1", "1", "PX", 10)
    lp.run("SET", "e2", "1", "PX", 10)
    assert lp.run("CLIENT", "PAUSE", 10000, "WRITE") == OK
    clock.t += 20
    assert lp.run("RANDOMKEY") in (b"$2\r\ne1\r\n", b"$2\r\ne2\r\n")
    assert lp.run("DBSIZE") == b":2\r\n"


def test_no_eviction_and_no_oom_while_paused() -> None:
    cfg = Config()
    cfg.values["maxmemory-policy"] = "allkeys-random"
    h = Harness(cfg)
    lp = Loop(h)
    try:
        for i in range(200):
            lp.run("SET", f"k{i}", "x" * 100)
        ks = h.server.keyspace
        lp.run("CLIENT", "PAUSE", 10000, "WRITE")
        lp.run("CONFIG", "SET", "maxmemory", "1")
        assert ks.used > ks.budget
        assert lp.run("GET", "k1") == b"$100\r\n" + b"x" * 100 + b"\r\n"
        assert lp.run("DBSIZE") == b":200\r\n"
        assert ks.stats.evicted_keys == 0
        assert lp.run("CLIENT", "UNPAUSE") == OK
        lp.run("GET", "k1")
        assert ks.stats.evicted_keys > 0
    finally:
        lp.close()


# -- CLIENT REPLY --------------------------------------------------------------------


def test_reply_off_and_on(h: Harness, lp: Loop) -> None:
    c = h.client
    lp.feed(
        c,
        encode("CLIENT", "REPLY", "OFF")
        + encode("SET", "k", "v")
        + encode("NOPE")
        + encode("CLIENT", "REPLY", "SKIP")  # nothing while OFF
        + encode("CLIENT", "REPLY", "ON")
        + encode("GET", "k"),
    )
    assert out(c) == OK + b"$1\r\nv\r\n"
    assert c.quiet == 0


def test_reply_skip_holds_back_one_reply(h: Harness, lp: Loop) -> None:
    c = h.client
    lp.feed(
        c,
        encode("CLIENT", "REPLY", "SKIP")
        + encode("CLIENT", "REPLY", "SKIP")  # skipped itself; skips the next
        + encode("PING", "a")
        + encode("PING", "b"),
    )
    assert out(c) == b"$1\r\nb\r\n"


def test_reply_of_a_reply_kept_in_chunks(
    h: Harness, lp: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = h.client
    row = h.server.table.lookup(b"echo")
    assert row is not None
    monkeypatch.setattr(row, "handler", lambda c, argv: [b"$2\r\n", argv[1], b"\r\n"])
    assert lp.run("ECHO", "ab") == b"$2\r\nab\r\n"
    lp.feed(c, encode("CLIENT", "REPLY", "SKIP") + encode("ECHO", "cd") + encode("PING"))
    assert out(c) == b"+PONG\r\n"
    lp.feed(c, encode("CLIENT", "REPLY", "OFF") + encode("ECHO", "ef"))
    lp.feed(c, encode("CLIENT", "REPLY", "ON") + encode("ECHO", "gh"))
    assert out(c) == OK + b"$2\r\ngh\r\n"


def test_reply_of_a_blocked_command(h: Harness, lp: Loop) -> None:
    c = h.client
    other = h.connect()
    lp.feed(c, encode("CLIENT", "REPLY", "SKIP") + encode("BLPOP", "q", 0) + encode("PING"))
    assert out(c) == b""
    lp.send(other, "RPUSH", "q", "x")
    lp.settle()
    assert out(c) == b"+PONG\r\n"  # the BLPOP reply was the skipped one
    lp.feed(c, encode("CLIENT", "REPLY", "OFF") + encode("BLPOP", "q", 0))
    lp.send(other, "RPUSH", "q", "y")
    lp.feed(c, encode("CLIENT", "REPLY", "ON") + encode("LLEN", "q"))
    assert out(c) == OK + b":0\r\n"


def test_reply_skip_of_a_held_command(h: Harness, lp: Loop) -> None:
    c = h.client
    pauser = h.connect()
    lp.send(pauser, "CLIENT", "PAUSE", 10000, "WRITE")
    lp.feed(c, encode("CLIENT", "REPLY", "SKIP") + encode("SET", "k", "v") + encode("GET", "k"))
    assert out(c) == b""
    lp.send(pauser, "CLIENT", "UNPAUSE")
    assert out(c) == b"$1\r\nv\r\n"


def test_reply_in_a_transaction(h: Harness, lp: Loop) -> None:
    """Redis 7.0 lets CLIENT REPLY cut EXEC's array short; here it is an
    element (+OK) and rules from the EXEC reply on."""
    c = h.client
    lp.feed(
        c,
        encode("MULTI")
        + encode("CLIENT", "REPLY", "SKIP")
        + encode("PING", "x")
        + encode("EXEC")
        + encode("PING", "y")
        + encode("PING", "z"),
    )
    assert out(c) == OK + b"+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\nx\r\n$1\r\nz\r\n"
    lp.feed(c, encode("MULTI") + encode("CLIENT", "REPLY", "OFF") + encode("EXEC") + encode("PING"))
    assert out(c) == OK + b"+QUEUED\r\n"
    lp.feed(c, encode("MULTI") + encode("CLIENT", "REPLY", "ON") + encode("EXEC"))
    assert out(c) == b"*1\r\n+OK\r\n"


def test_reply_reset_and_protocol_error(h: Harness, lp: Loop) -> None:
    c = h.client
    lp.feed(c, encode("CLIENT", "REPLY", "OFF") + encode("RESET") + encode("PING"))
    assert out(c) == b"+RESET\r\n+PONG\r\n"
    lp.feed(c, encode("CLIENT", "REPLY", "OFF") + b"*1\r\n$x\r\n")
    assert out(c) == b""
    assert c.closed
