"""Differential tests of CLIENT PAUSE, CLIENT UNPAUSE and CLIENT REPLY:
replies byte-identical to redis-server 7.0.15.

A held client is known by polling INFO ``blocked_clients`` (bounded: Redis
counts paused clients there); replies are awaited, never slept for.  The
real redis-server serves the whole session, so a pause here is WRITE (ended
by CLIENT UNPAUSE, in a finalizer too) or ALL for tens of milliseconds
(Redis lifts a pause in its cron, up to 1/hz after the timeout).
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import LLMAX, Pair, Pairs, blocked_clients, parse, wait_blocked
from helpers import RawClient, encode

Cmd = tuple[Any, ...]
OK = b"+OK\r\n"
END = ("ECHO", "end")  # the last request of a sequence: no reply may be left after it
END_REPLY = b"$3\r\nend\r\n"


@pytest.fixture
def worker(d: Pair, new_pair: Pairs) -> Iterator[Pair]:
    """A second client on each server; both servers unpaused afterwards."""
    w = new_pair()
    yield w
    unpause(d)


def unpause(d: Pair) -> None:
    for c in (d.ours, d.real):
        c.send(encode("CLIENT", "UNPAUSE"))
    d.reply()


def answered(pauser: RawClient, worker: RawClient) -> bytes | None:
    """After ``worker`` sent a request: its reply, or None once the server
    reports it held (bounded polling on both sides, no fixed wait)."""
    deadline = time.monotonic() + 5
    while True:
        ready, _, _ = select.select([worker.sock], [], [], 0.002)
        if ready or worker.buf:
            return worker.reply()
        if blocked_clients(pauser) == 1:
            return None
        assert time.monotonic() < deadline, "neither answered nor held"


def run_paused(d: Pair, w: Pair, cmd: Cmd) -> bool:
    """``cmd`` from ``w`` under the WRITE pause ``d`` set: True if both servers
    hold it (then the pause is lifted, the reply read and the pause set
    again), False if both answer; the replies must match either way."""
    w.send(*cmd)
    ours, real = answered(d.ours, w.ours), answered(d.real, w.real)
    assert (ours is None) == (real is None), f"{cmd!r}: ours {ours!r}, redis {real!r}"
    if ours is not None:
        assert ours == real, f"{cmd!r}: ours {ours!r} != redis {real!r}"
        return False
    unpause(d)
    w.reply()
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    return True


# -- arguments -------------------------------------------------------------------------


def test_argument_errors_and_pauses_that_end_at_once(d: Pair) -> None:
    d.check_all(
        ("CLIENT", "PAUSE"),
        ("CLIENT", "PAUSE", "x"),
        ("CLIENT", "PAUSE", "-1"),
        ("CLIENT", "PAUSE", "1.5"),
        ("CLIENT", "PAUSE", " 1"),
        ("CLIENT", "PAUSE", "100", "foo"),
        ("CLIENT", "PAUSE", "-1", "foo"),  # the mode is checked first
        ("CLIENT", "PAUSE", "x", "none"),
        ("CLIENT", "PAUSE", "100", "write", "x"),
        ("ClIeNt", "PaUsE", "100", "ALL", "x"),
        ("CLIENT", "PAUSE", "99999999999999999999"),
        ("CLIENT", "UNPAUSE", "x"),
        ("CLIENT", "UNPAUSE"),  # not paused: nothing to do
        ("CLIENT", "REPLY"),
        ("CLIENT", "REPLY", "x"),
        ("CLIENT", "REPLY", "on", "x"),
        # a timeout of 0, or one so large that now + timeout wraps, ends at once
        ("CLIENT", "PAUSE", "0"),
        ("SET", "k", "v"),
        ("CLIENT", "PAUSE", "0", "ALL"),
        ("GET", "k"),
        ("CLIENT", "PAUSE", LLMAX),
        ("CLIENT", "PAUSE", LLMAX, "write"),
        ("SET", "k", "w"),
        ("CLIENT", "REPLY", "on"),
        ("CLIENT", "REPLY", "ON"),
    )


def test_help_and_command_metadata(d: Pair) -> None:
    for name in ("client|pause", "client|unpause", "client|reply"):
        d.check("COMMAND", "INFO", name)
        ours, real = d.parsed("COMMAND", "DOCS", name)
        for field in (b"since", b"group", b"complexity"):
            assert ours[1][ours[1].index(field) + 1] == real[1][real[1].index(field) + 1]
    d.check("CLIENT", "HELP", "x")


# -- CLIENT PAUSE WRITE ------------------------------------------------------------------


def test_write_pause_lets_reads_through_and_holds_writes(d: Pair, worker: Pair) -> None:
    d.check("SET", "k", "v0")
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    # pipelined: the GET is answered, the SET holds itself and what follows it
    worker.ours.send(encode("GET", "k") + encode("SET", "k", "v1") + encode("GET", "k"))
    worker.real.send(encode("GET", "k") + encode("SET", "k", "v1") + encode("GET", "k"))
    worker.reply()
    wait_blocked(d, 1)
    worker.send("PING")  # later requests wait behind the held one
    d.check("GET", "k")  # the pausing client reads on
    # CLIENT LIST: a held client is blocked, at the held command
    assert field_of(d.ours, worker.ours) == field_of(d.real, worker.real) == (b"b", b"set")
    unpause(d)
    for _ in range(3):
        worker.reply()
    assert blocked_clients(d.ours) == blocked_clients(d.real) == 0
    d.check("GET", "k")


def field_of(admin: RawClient, c: RawClient) -> tuple[bytes, bytes]:
    """``flags`` and ``cmd`` of ``c``'s connection in ``admin``'s CLIENT LIST."""
    text = parse(admin.call("CLIENT", "LIST"))
    addr = b"addr=" + addr_of(c).encode() + b" "
    for line in text.split(b"\n"):
        if addr in line:
            f = dict(kv.split(b"=", 1) for kv in line.split(b" ") if b"=" in kv)
            return f[b"flags"], f[b"cmd"]
    raise AssertionError(text)


def addr_of(c: RawClient) -> str:
    host, port = c.sock.getsockname()[:2]
    return f"{host}:{port}"


READS: list[Cmd] = [
    ("GET", "k"),
    ("MGET", "k", "nope"),
    ("EXISTS", "k"),
    ("TTL", "k"),
    ("TYPE", "l"),
    ("STRLEN", "k"),
    ("GETRANGE", "k", 0, 1),
    ("KEYS", "k"),
    ("DBSIZE",),
    ("LRANGE", "l", 0, -1),
    ("LLEN", "l"),
    ("HGETALL", "h"),
    ("SMEMBERS", "s"),
    ("ZRANGE", "z", 0, -1, "WITHSCORES"),
    ("SRANDMEMBER", "s"),
    ("PING",),
    ("ECHO", "x"),
    ("SELECT", 0),
    ("CONFIG", "GET", "maxmemory"),
    ("PUBSUB", "NUMSUB", "ch"),
    ("WATCH", "k"),
    ("UNWATCH",),
    ("CLIENT", "GETNAME"),
    ("CLIENT", "PAUSE", 10000, "WRITE"),
    ("BLPOP", "l", 0),  # BLPOP is a write: held (see WRITES)
    ("GETBIT", "k", 3),
    ("BITCOUNT", "k"),
    ("SORT_RO", "l", "ALPHA"),
    ("BITFIELD_RO", "k", "GET", "u8", 0),
]
WRITES: list[Cmd] = [
    ("SET", "k", "v"),
    ("APPEND", "k", "w"),
    ("DEL", "nope"),
    ("EXPIRE", "k", 100),
    ("PERSIST", "k"),
    ("GETEX", "k"),
    ("GETDEL", "nope"),
    ("INCR", "n"),
    ("LPUSH", "l", "c"),
    ("RPOP", "l"),
    ("HSET", "h", "g", "w"),
    ("SADD", "s", "n"),
    ("ZADD", "z", 2, "n"),
    ("COPY", "k", "k2"),
    ("PUBLISH", "ch", "m"),  # not a write, but replicated: held
    ("SPUBLISH", "ch", "m"),
    ("SETBIT", "k", 3, 1),
    ("SORT", "l", "ALPHA"),  # a write command, even without STORE
    ("PFADD", "p", "x"),
    ("PFCOUNT", "p"),  # it may write the cached count back: held
    ("FLUSHDB",),
]


def test_what_a_write_pause_holds(d: Pair, worker: Pair) -> None:
    d.batch(
        ("SET", "k", "v"),
        ("RPUSH", "l", "a", "b"),
        ("HSET", "h", "f", "v"),
        ("SADD", "s", "m"),
        ("ZADD", "z", 1, "m"),
        ("SET", "n", 1),
        ("CLIENT", "PAUSE", 10000, "WRITE"),
    )
    held = [cmd for cmd in READS + WRITES if run_paused(d, worker, cmd)]
    assert held == [("BLPOP", "l", 0), *WRITES]


def test_write_pause_and_transactions(d: Pair, worker: Pair) -> None:
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    for cmd in [("MULTI",), ("GET", "k"), ("EXEC",), ("MULTI",), ("GET", "k")]:
        assert not run_paused(d, worker, cmd)
    assert run_paused(d, worker, ("SET", "k", "v"))  # held while queueing already
    assert run_paused(d, worker, ("EXEC",))  # a transaction with a write
    for cmd in [("MULTI",), ("SET", "k", "w"), ("NOPE",)]:  # queued, then refused
        run_paused(d, worker, cmd)
    assert run_paused(d, worker, ("EXEC",))  # held, then EXECABORT
    for cmd in [("MULTI",), ("CLIENT", "PAUSE", 1), ("DISCARD",), ("EXEC",)]:
        assert not run_paused(d, worker, cmd)


def test_pause_in_a_transaction_starts_after_it(d: Pair, worker: Pair) -> None:
    d.batch(
        ("MULTI",),
        ("SET", "a", 1),
        ("CLIENT", "PAUSE", 10000, "WRITE"),
        ("SET", "b", 2),
        ("EXEC",),
    )
    worker.send("SET", "c", 3)
    wait_blocked(d, 1)
    d.check("MGET", "a", "b", "c")
    unpause(d)
    worker.reply()
    d.check("MGET", "a", "b", "c")


def test_refusals_are_answered_during_a_pause(d: Pair, worker: Pair, new_pair: Pairs) -> None:
    sub = new_pair()
    sub.check("SUBSCRIBE", "ch")
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    worker.check_all(("SET", "k"), ("NOPE", "x"), ("CLIENT", "PAUSE"), ("CLIENT", "NOPE"))
    sub.check("SET", "k", "v")  # subscriber mode refuses before the pause holds
    assert blocked_clients(d.ours) == blocked_clients(d.real) == 0


def test_clients_resume_in_the_order_they_were_held(d: Pair, worker: Pair, new_pair: Pairs) -> None:
    clients = [worker, new_pair(), new_pair()]
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    for i, w in enumerate(clients):
        data = encode("APPEND", "k", str(i)) + encode("GET", "k")
        w.ours.send(data)
        w.real.send(data)
        wait_blocked(d, i + 1)
    unpause(d)
    for w in clients:
        w.reply()
        w.reply()
    d.check("GET", "k")


def test_a_killed_client_is_held_no_longer(d: Pair, worker: Pair) -> None:
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    worker.send("SET", "k", "v")
    wait_blocked(d, 1)
    ours = d.ours.call("CLIENT", "KILL", addr_of(worker.ours))
    real = d.real.call("CLIENT", "KILL", addr_of(worker.real))
    assert ours == real == OK
    assert worker.ours.closed() and worker.real.closed()
    assert blocked_clients(d.ours) == blocked_clients(d.real) == 0
    unpause(d)
    d.check("EXISTS", "k")


def test_expired_keys_stay_while_paused(d: Pair, worker: Pair) -> None:
    d.check("CONFIG", "RESETSTAT")
    # one batch: the TTL cannot pass before the pause starts
    d.batch(("SET", "f", "1"), ("SET", "e", "1", "PX", 1), ("CLIENT", "PAUSE", 10000, "WRITE"))
    for c in (d.ours, d.real):
        while c.call("PTTL", "e") != b":-2\r\n":  # the deadline passes (about 1 ms)
            pass
    assert stat(d.ours, b"expired_keys") == stat(d.real, b"expired_keys") == b"0"
    d.check("CONFIG", "RESETSTAT")
    d.check_all(
        ("GET", "e"),
        ("EXISTS", "e"),
        ("TTL", "e"),
        ("TYPE", "e"),
        ("KEYS", "*"),
        ("SCAN", 0),
        ("RANDOMKEY",),  # (with only expired keys left, Redis 7.0 would loop for ever)
        ("DBSIZE",),  # still there
    )
    assert stat(d.ours, b"expired_keys") == stat(d.real, b"expired_keys") == b"0"
    assert stat(d.ours, b"keyspace_misses") == stat(d.real, b"keyspace_misses")
    unpause(d)
    d.check_all(("GET", "e"), ("DBSIZE",))
    assert stat(d.ours, b"expired_keys") == stat(d.real, b"expired_keys") == b"1"


def stat(c: RawClient, name: bytes) -> bytes:
    for line in parse(c.call("INFO", "stats")).split(b"\r\n"):
        if line.startswith(name + b":"):
            return bytes(line.split(b":", 1)[1])
    raise AssertionError(name)


# -- CLIENT PAUSE ALL --------------------------------------------------------------------


def test_all_pause_with_a_short_timeout(d: Pair, worker: Pair) -> None:
    for side in ("ours", "real"):
        pauser, w = getattr(d, side), getattr(worker, side)
        assert pauser.call("CLIENT", "PAUSE", 30, "ALL") == OK
        t0 = time.monotonic()
        assert w.call("PING") == b"+PONG\r\n"  # held until the pause ends
        assert time.monotonic() - t0 >= 0.025, side


def test_all_pause_pipelined_on_one_connection(d: Pair) -> None:
    # everything after the PAUSE waits for its end, then runs in order
    d.batch(
        ("CLIENT", "PAUSE", 20, "ALL"),
        ("PING",),
        ("NOPE",),
        ("GET",),
        ("SET", "k", "v"),
        ("GET", "k"),
        # the next pause waits behind the first (WRITE, ended below)
        ("CLIENT", "PAUSE", 10000, "WRITE"),
        ("GET", "k"),
        ("CLIENT", "UNPAUSE"),
    )


def test_all_pause_holds_unpause_and_transactions(d: Pair, worker: Pair) -> None:
    worker.check("MULTI")
    d.check("CLIENT", "PAUSE", 30, "ALL")
    for c in (d, worker):
        c.ours.send(encode("CLIENT", "UNPAUSE"))  # held like anything else
        c.real.send(encode("CLIENT", "UNPAUSE"))
    worker.send("GET", "k")
    worker.send("EXEC")
    d.reply()
    for _ in range(3):
        worker.reply()


# -- CLIENT REPLY ------------------------------------------------------------------------

REPLY_SEQUENCES: list[list[Cmd]] = [
    # OFF: nothing until ON, which answers; SKIP does nothing meanwhile
    [
        ("CLIENT", "REPLY", "OFF"),
        ("SET", "k", "v"),
        ("GET", "k"),
        ("NOPE",),
        ("GET",),
        ("CLIENT", "REPLY", "SKIP"),
        ("CLIENT", "REPLY", "BAD"),
        ("CLIENT", "REPLY"),
        ("CLIENT", "REPLY", "ON"),
        ("GET", "k"),
    ],
    # SKIP: the next reply only, errors too; a SKIP skipped asks again
    [
        ("CLIENT", "REPLY", "SKIP"),
        ("SET", "k", "v2"),
        ("GET", "k"),
        ("CLIENT", "REPLY", "SKIP"),
        ("NOPE",),
        ("PING",),
        ("CLIENT", "REPLY", "SKIP"),
        ("CLIENT", "REPLY", "SKIP"),
        ("PING", "a"),
        ("PING", "b"),
        ("CLIENT", "REPLY", "SKIP"),
        ("CLIENT", "REPLY", "BAD"),
        ("PING", "c"),
    ],
    # ON answers even when it is the command skipped; OFF after SKIP
    [("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"), ("PING", "x")],
    [
        ("CLIENT", "REPLY", "SKIP"),
        ("CLIENT", "REPLY", "OFF"),
        ("PING", "x"),
        ("CLIENT", "REPLY", "ON"),
        ("PING", "y"),
    ],
    # RESET turns OFF off, and is skipped like any command
    [("CLIENT", "REPLY", "OFF"), ("RESET",), ("PING", "y")],
    [("CLIENT", "REPLY", "SKIP"), ("RESET",), ("PING", "y")],
    # MULTI skipped, its queued command answered
    [("CLIENT", "REPLY", "SKIP"), ("MULTI",), ("PING", "q"), ("EXEC",)],
    # subscription replies are pushes: sent whatever CLIENT REPLY says
    [
        ("CLIENT", "REPLY", "OFF"),
        ("UNSUBSCRIBE",),
        ("PUNSUBSCRIBE", "x"),
        ("SSUBSCRIBE", "s"),
        ("SUNSUBSCRIBE",),
        ("CLIENT", "REPLY", "ON"),
    ],
    [
        ("CLIENT", "REPLY", "SKIP"),
        ("SUBSCRIBE", "c1", "c2"),
        ("PING",),
        ("CLIENT", "REPLY", "OFF"),  # refused in subscriber mode
        ("PING",),
        ("UNSUBSCRIBE", "c1", "c2"),  # (named: Redis lists them in hash order)
    ],
    # a blocked command's reply, skipped when it comes
    [("CLIENT", "REPLY", "SKIP"), ("BLPOP", "nokey", "0.01"), ("PING", "after")],
]
REPLY_IDS = [
    "off-then-on",
    "skip",
    "skip-on",
    "skip-off",
    "off-reset",
    "skip-reset",
    "skip-multi",
    "off-subscriptions",
    "skip-subscribe",
    "skip-blpop",
]


def until_end(c: RawClient) -> bytes:
    """Every reply up to the END marker's."""
    replies: list[bytes] = []
    while not replies or replies[-1] != END_REPLY:
        replies.append(c.reply())
    return b"".join(replies)


@pytest.mark.parametrize("seq", REPLY_SEQUENCES, ids=REPLY_IDS)
def test_reply_sequences_pipelined(new_pair: Pairs, seq: list[Cmd]) -> None:
    p = new_pair()
    data = b"".join(encode(*cmd) for cmd in seq) + encode(*END)
    p.ours.send(data)
    p.real.send(data)
    ours, real = until_end(p.ours), until_end(p.real)
    assert ours == real


@pytest.mark.parametrize("seq", REPLY_SEQUENCES, ids=REPLY_IDS)
def test_reply_sequences_in_order_under_pause(d: Pair, worker: Pair, seq: list[Cmd]) -> None:
    """The same sequences sent during a WRITE pause: a held command keeps
    the CLIENT REPLY state it was sent under."""
    d.check("CLIENT", "PAUSE", 10000, "WRITE")
    data = b"".join(encode(*cmd) for cmd in seq) + encode(*END)
    worker.ours.send(data)
    worker.real.send(data)
    if any(cmd[0] in ("SET", "BLPOP") for cmd in seq):
        wait_blocked(d, 1)
    unpause(d)
    ours, real = until_end(worker.ours), until_end(worker.real)
    assert ours == real


def test_reply_inline_requests(new_pair: Pairs) -> None:
    p = new_pair()
    ours, real = p.raw(b"client reply skip\r\nping\r\nping x\r\n")
    assert ours == real == b"$1\r\nx\r\n"


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_messages_are_sent_while_replies_are_off(new_pair: Pairs, resp3: bool) -> None:
    """Pub/sub messages still come (Redis 7.0's CLIENT_PUSHING)."""
    sub, pub = new_pair(), new_pair()
    if resp3:
        sub.resp3()
    sub.check("SUBSCRIBE", "ch")
    if resp3:  # (a RESP2 subscriber may not send CLIENT)
        sub.send("CLIENT", "REPLY", "OFF")
        pub.check("PUBLISH", "ch", "m1")
        sub.reply()  # the message, not a reply to OFF
        sub.send("PING")  # not answered
        sub.send("CLIENT", "REPLY", "ON")
        assert sub.reply() == OK
    else:
        sub.check("CLIENT", "REPLY", "OFF")  # refused in subscriber mode
    pub.check("PUBLISH", "ch", "m2")
    sub.reply()


def test_invalidations_are_sent_while_replies_are_off(new_pair: Pairs) -> None:
    p, writer = new_pair(), new_pair()
    p.resp3()
    p.check("CLIENT", "TRACKING", "ON")
    p.check("GET", "tk")
    p.send("CLIENT", "REPLY", "OFF")
    writer.check("SET", "tk", "1")
    p.reply()  # the invalidation push
    p.send("CLIENT", "REPLY", "ON")
    assert p.reply() == OK
    p.check("GET", "tk")
    p.send("CLIENT", "REPLY", "SKIP")
    p.send("SET", "tk", "2")  # its own write: the push comes, the +OK does not
    p.send("CLIENT", "REPLY", "ON")
    p.reply()
    assert p.reply() == OK
