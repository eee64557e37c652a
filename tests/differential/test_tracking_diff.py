"""CLIENT TRACKING against the real redis-server: option errors, invalidation
messages and their order relative to replies, in every mode.

Each test opens fresh connections (tracking state lives on the connection).
"Nothing else arrived" is checked by sending PING and comparing everything
read up to its reply: messages on a connection arrive in order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import RawClient, RedisServerProcess, ServerThread, encode


class Side:
    """One server's connections for a test: ``main`` plus any opened later."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conns: list[RawClient] = []

    def open(self) -> RawClient:
        c = RawClient(self.host, self.port)
        self.conns.append(c)
        return c

    def close(self) -> None:
        for c in self.conns:
            c.close()


class Two:
    """The same steps on cacheserver and redis-server; every read compared."""

    def __init__(self, server: ServerThread, real: RedisServerProcess) -> None:
        self.ours = Side(server.host, server.port)
        self.real = Side("127.0.0.1", real.port)
        self.conns: list[tuple[RawClient, RawClient]] = []

    def open(self, resp3: bool = False) -> int:
        """A new connection on each side; returns its index for ``cmd``."""
        pair = (self.ours.open(), self.real.open())
        self.conns.append(pair)
        i = len(self.conns) - 1
        if resp3:
            for c in pair:
                assert c.call("HELLO", "3").startswith(b"%7")
        return i

    def ids(self, i: int) -> tuple[bytes, bytes]:
        """CLIENT ID of connection ``i`` on each side (they differ)."""
        o, r = self.conns[i]
        return o.call("CLIENT", "ID")[1:-2], r.call("CLIENT", "ID")[1:-2]

    def cmd(self, i: int, *args: bytes | str | int, replies: int = 1) -> bytes:
        """Send one command on connection ``i``; read ``replies`` replies on each side."""
        o, r = self.conns[i]
        data = encode(*args)
        o.send(data)
        r.send(data)
        ours = b"".join(o.reply() for _ in range(replies))
        real = b"".join(r.reply() for _ in range(replies))
        assert ours == real, f"{args!r}: ours {ours!r} != redis {real!r}"
        return ours

    def cmd_each(self, i: int, ours: tuple[bytes | str | int, ...], real: tuple[bytes | str | int, ...]) -> bytes:
        """Different arguments on each side (client ids); same reply required."""
        o, r = self.conns[i]
        a, b = o.call(*ours), r.call(*real)
        assert a == b, f"{ours!r}: ours {a!r} != redis {b!r}"
        return a

    def drain(self, i: int, pong: bytes = b"+PONG\r\n") -> bytes:
        """Everything connection ``i`` received up to the reply of a PING."""
        got = []
        for c in self.conns[i]:
            c.send(encode("PING"))
            out = b""
            while not out.endswith(pong):
                out += c.reply()
            got.append(out)
        assert got[0] == got[1], f"ours {got[0]!r} != redis {got[1]!r}"
        return got[0]

    def expect(self, i: int, n: int = 1) -> bytes:
        """The next ``n`` messages on connection ``i`` (waits for them)."""
        got = [b"".join(c.reply() for _ in range(n)) for c in self.conns[i]]
        assert got[0] == got[1], f"ours {got[0]!r} != redis {got[1]!r}"
        return got[0]

    def close(self) -> None:
        self.ours.close()
        self.real.close()


@pytest.fixture
def t(server: ServerThread, real_redis: RedisServerProcess) -> Iterator[Two]:
    two = Two(server, real_redis)
    flush = two.open()
    two.cmd(flush, "FLUSHALL")
    yield two
    two.close()


SUB_PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # PING's reply in RESP2 subscriber mode


def test_option_errors(t: Two) -> None:
    a = t.open()
    for args in (
        ("CLIENT", "TRACKING"),
        ("CLIENT", "TRACKING", "MAYBE"),
        ("CLIENT", "TRACKING", "ON", "PREFIX", "a"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "OPTOUT"),
        ("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
        ("CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
        ("CLIENT", "TRACKING", "OFF", "REDIRECT", "999999"),
        ("CLIENT", "TRACKING", "ON", "REDIRECT", "x"),
        ("CLIENT", "TRACKING", "ON", "REDIRECT"),
        ("CLIENT", "TRACKING", "ON", "PREFIX"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "xy"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "xy", "PREFIX", "x"),
        ("CLIENT", "TRACKING", "ON", "FOO"),
        ("CLIENT", "CACHING", "YES"),
        ("CLIENT", "CACHING"),
        ("CLIENT", "GETREDIR"),
        ("CLIENT", "GETREDIR", "x"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKINGINFO", "x"),
        ("CLIENT", "TRACKING", "off"),
        ("CLIENT", "TRACKING", "on", "optin"),
        ("CLIENT", "CACHING", "NO"),
        ("CLIENT", "CACHING", "MAYBE"),
        ("CLIENT", "CACHING", "yes"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "ON", "OPTOUT"),
        ("CLIENT", "TRACKING", "ON", "BCAST"),
        ("CLIENT", "TRACKING", "ON", "NOLOOP"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "GETREDIR"),
        ("CLIENT", "TRACKING", "OFF"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a", "NOLOOP"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab"),
        ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c"),
        ("CLIENT", "TRACKING", "ON"),
        ("CLIENT", "TRACKINGINFO"),
        ("CLIENT", "TRACKING", "OFF"),
        ("CLIENT", "TRACKINGINFO"),
    ):
        t.cmd(a, *args)
    b = t.open(resp3=True)
    t.cmd(b, "CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP")
    t.cmd(b, "CLIENT", "CACHING", "YES")
    t.cmd(b, "CLIENT", "TRACKINGINFO")
    t.cmd(b, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p")


def test_resp3_own_write_after_reply(t: Two) -> None:
    a = t.open(resp3=True)
    t.cmd(a, "CLIENT", "TRACKING", "ON")
    t.cmd(a, "GET", "k")
    # the invalidation of a key the client itself changed follows the reply
    assert t.cmd(a, "SET", "k", "1", replies=2).endswith(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
    t.cmd(a, "SET", "k", "2")  # no longer tracked
    t.cmd(a, "MGET", "k", "j", "k")
    t.cmd(a, "MSET", "k", "3", "j", "4", replies=3)
    t.drain(a)
    # a pipeline: every message right after the reply of the command that caused it
    o, r = t.conns[a]
    data = encode("GET", "x") + encode("SET", "x", "1") + encode("GET", "x") + encode("DEL", "x") + encode("PING")
    o.send(data)
    r.send(data)
    assert b"".join(o.reply() for _ in range(7)) == b"".join(r.reply() for _ in range(7))
    t.drain(a)


def test_other_client_write_and_flush(t: Two) -> None:
    a = t.open(resp3=True)
    w = t.open()
    t.cmd(a, "CLIENT", "TRACKING", "ON")
    t.cmd(w, "SET", "k", "v")
    t.cmd(a, "GET", "k")
    t.cmd(a, "STRLEN", "k")
    t.cmd(a, "HGET", "h", "f")
    t.cmd(w, "APPEND", "k", "x")
    t.expect(a)
    t.cmd(w, "HSET", "h", "f", "1")
    t.expect(a)
    t.cmd(w, "SET", "k", "again")  # forgotten after one invalidation
    t.drain(a)
    # keys are tracked by name across databases
    t.cmd(a, "GET", "k")
    t.cmd(w, "SELECT", "3")
    t.cmd(w, "SET", "k", "in db 3")
    t.expect(a)
    # a flush invalidates everything with a null, once
    t.cmd(a, "GET", "k")
    t.cmd(w, "FLUSHALL")
    t.expect(a)
    t.cmd(w, "FLUSHDB")
    t.expect(a)
    t.drain(a)
    t.cmd(a, "FLUSHDB", replies=2)
    t.drain(a)


def test_expiry_invalidates(t: Two) -> None:
    a = t.open(resp3=True)
    t.cmd(a, "CLIENT", "TRACKING", "ON")
    t.cmd(a, "SET", "e", "1")
    t.cmd(a, "GET", "e")
    t.cmd(a, "PEXPIRE", "e", "300", replies=2)  # a change of its own: after the reply
    t.cmd(a, "GET", "e")
    # nobody touches it: the active cycle deletes it and the invalidation arrives
    t.expect(a)
    t.drain(a)


def test_optin_optout(t: Two) -> None:
    a = t.open(resp3=True)
    w = t.open()
    t.cmd(a, "CLIENT", "TRACKING", "ON", "OPTIN")
    t.cmd(a, "GET", "not-cached")
    t.cmd(a, "CLIENT", "CACHING", "YES")
    t.cmd(a, "CLIENT", "TRACKINGINFO")  # any CLIENT subcommand keeps CACHING
    t.cmd(a, "GET", "cached")
    t.cmd(a, "GET", "after")  # CACHING applied to one command only
    for key in ("not-cached", "cached", "after"):
        t.cmd(w, "SET", key, "1")
    t.expect(a)
    t.drain(a)
    t.cmd(a, "CLIENT", "TRACKING", "OFF")
    t.cmd(a, "CLIENT", "TRACKING", "ON", "OPTOUT")
    t.cmd(a, "GET", "x1")
    t.cmd(a, "CLIENT", "CACHING", "NO")
    t.cmd(a, "GET", "x2")
    t.cmd(a, "GET", "x3")
    for key in ("x1", "x2", "x3"):
        t.cmd(w, "SET", key, "1")
    t.expect(a, 2)
    t.drain(a)


def test_noloop(t: Two) -> None:
    a = t.open(resp3=True)
    w = t.open()
    t.cmd(a, "CLIENT", "TRACKING", "ON", "NOLOOP")
    t.cmd(a, "MGET", "k", "j")
    t.cmd(a, "SET", "k", "1")  # its own change: nothing
    t.drain(a)
    t.cmd(w, "SET", "j", "1")
    t.expect(a)
    t.drain(a)


def test_bcast_prefixes(t: Two) -> None:
    a = t.open(resp3=True)
    b = t.open(resp3=True)
    w = t.open()
    t.cmd(a, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cart:")
    t.cmd(b, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
    t.cmd(w, "SET", "user:1", "x")
    t.expect(a)
    t.expect(b)
    t.cmd(w, "MSET", "user:2", "x", "cart:9", "y", "other", "z")
    t.expect(a, 2)  # one message per prefix
    t.expect(b)
    t.cmd(b, "SET", "user:3", "own change")  # NOLOOP: b hears nothing of it
    t.expect(a)
    t.drain(a)
    t.drain(b)
    t.cmd(a, "CLIENT", "TRACKINGINFO")
    t.cmd(b, "CLIENT", "TRACKINGINFO")


def test_resp2_redirect_to_subscriber(t: Two) -> None:
    r = t.open()
    a = t.open()
    ro, rr = t.ids(r)
    t.cmd(r, "SUBSCRIBE", "__redis__:invalidate")
    t.cmd_each(a, ("CLIENT", "TRACKING", "ON", "REDIRECT", ro), ("CLIENT", "TRACKING", "ON", "REDIRECT", rr))
    t.cmd(a, "GET", "k")
    t.cmd(a, "SET", "k", "v")
    t.expect(r)
    t.cmd(a, "GET", "k")
    t.cmd(a, "FLUSHDB")
    t.expect(r)  # the null of a flush, in the tracking client's protocol (RESP2)
    t.drain(r, SUB_PONG)
    # the redirect target goes away: RESP2 has no way to say so
    o, rc = t.conns[r]
    o.close()
    rc.close()
    t.cmd(a, "GET", "k")
    t.cmd(a, "SET", "k", "2")
    info = t.ours.conns[-1].call("CLIENT", "TRACKINGINFO")
    assert b"broken_redirect" in info


def test_resp3_broken_redirect(t: Two) -> None:
    r = t.open()
    a = t.open(resp3=True)
    ro, rr = t.ids(r)
    t.cmd_each(a, ("CLIENT", "TRACKING", "ON", "REDIRECT", ro), ("CLIENT", "TRACKING", "ON", "REDIRECT", rr))
    t.cmd(a, "GET", "k")
    t.cmd(a, "SET", "k", "v")  # a RESP2 target not subscribed gets nothing
    t.drain(r)
    o, rc = t.conns[r]
    o.close()
    rc.close()
    t.cmd(a, "GET", "k")
    ours = t.ours.conns[-1]
    real = t.real.conns[-1]
    a_ours, a_real = ours.call("SET", "k", "2"), real.call("SET", "k", "2")
    assert a_ours == a_real == b"+OK\r\n"
    push_ours, push_real = ours.reply(), real.reply()
    assert push_ours.startswith(b">2\r\n$21\r\ntracking-redir-broken\r\n:")
    assert push_real.startswith(b">2\r\n$21\r\ntracking-redir-broken\r\n:")
    assert ours.call("CLIENT", "TRACKINGINFO") == real.call("CLIENT", "TRACKINGINFO").replace(
        rr, ro
    )


def test_client_list_flags(t: Two) -> None:
    a = t.open()
    t.cmd(a, "CLIENT", "TRACKING", "ON", "BCAST")
    o, r = t.conns[a]
    for c in (o, r):
        line = c.call("CLIENT", "INFO")
        assert b" flags=tB " in line
        assert b" redir=0 " in line
    t.cmd(a, "CLIENT", "TRACKING", "OFF")
    for c in (o, r):
        line = c.call("CLIENT", "INFO")
        assert b" flags=N " in line
        assert b" redir=-1 " in line


def test_optin_caching_covers_a_transaction(t: Two) -> None:
    a = t.open(resp3=True)
    w = t.open()
    t.cmd(a, "CLIENT", "TRACKING", "ON", "OPTIN")
    t.cmd(a, "CLIENT", "CACHING", "YES")
    t.cmd(a, "MULTI")
    t.cmd(a, "GET", "a")
    t.cmd(a, "GET", "b")
    t.cmd(a, "EXEC")
    t.cmd(a, "GET", "c")  # CACHING ended with the transaction
    for key in ("a", "b", "c"):
        t.cmd(w, "SET", key, "1")
    t.expect(a, 2)
    t.drain(a)
