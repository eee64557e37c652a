"""Differential fixtures: the same raw requests to cacheserver and the real redis-server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import hiredis
import pytest

from helpers import (
    McRawClient,
    MemcachedProcess,
    RawClient,
    RedisServerProcess,
    ServerThread,
    encode,
)

BIN = b"a\r\nb\x00c\r\n$3\r\n"  # CR LF, NUL and RESP-looking bytes in a value
LLMAX = "9223372036854775807"
LLMIN = "-9223372036854775808"


def parse(raw: bytes) -> Any:
    """One raw RESP reply, decoded by hiredis."""
    r = hiredis.Reader()
    r.feed(raw)
    return r.gets()


def pairs(flat: list[Any]) -> dict[Any, Any]:
    """A flat RESP2 map (key, value, key, value ...) as a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


class Pair:
    """Two raw connections, ours and the real redis-server's."""

    def __init__(self, ours_port: int, real_port: int, ours_host: str = "127.0.0.1") -> None:
        self.ours = RawClient(ours_host, ours_port)
        self.real = RawClient("127.0.0.1", real_port)

    def both(self, *args: bytes | str | int) -> tuple[bytes, bytes]:
        """Send one command to both; return (ours, real) raw replies."""
        return self.ours.call(*args), self.real.call(*args)

    def parsed(self, *args: bytes | str | int) -> tuple[Any, Any]:
        """Send one command to both; return (ours, real) replies decoded."""
        ours, real = self.both(*args)
        return parse(ours), parse(real)

    def raw(self, data: bytes, replies: int = 1) -> tuple[bytes, bytes]:
        """Send raw bytes to both; read ``replies`` replies from each."""
        self.ours.send(data)
        self.real.send(data)
        return (
            b"".join(self.ours.reply() for _ in range(replies)),
            b"".join(self.real.reply() for _ in range(replies)),
        )

    def check(self, *args: bytes | str | int) -> bytes:
        """Send one command to both and require identical reply bytes."""
        ours, real = self.both(*args)
        assert ours == real, f"{args!r}: ours {ours!r} != redis {real!r}"
        return ours

    def batch(self, *commands: tuple[bytes | str | int, ...]) -> None:
        """Send many commands in one write to each server; every reply must match."""
        data = b"".join(encode(*cmd) for cmd in commands)
        ours, real = self.raw(data, replies=len(commands))
        if ours != real:  # find the first command that differs, for the message
            for cmd in commands:
                self.check(*cmd)
        assert ours == real

    def send(self, *args: bytes | str | int) -> None:
        """Send one command to both without reading (a client that blocks)."""
        data = encode(*args)
        self.ours.send(data)
        self.real.send(data)

    def reply(self) -> bytes:
        """The next reply of each, identical bytes required; that reply."""
        ours, real = self.ours.reply(), self.real.reply()
        assert ours == real, f"ours {ours!r} != redis {real!r}"
        return ours

    def resp3(self) -> None:
        """Switch both connections to RESP3 (the HELLO replies differ in ``id``)."""
        ours, real = self.both("HELLO", "3")
        assert ours[:3] == real[:3] == b"%7\r"

    def check_all(self, *commands: tuple[bytes | str | int, ...]) -> None:
        for cmd in commands:
            self.check(*cmd)

    def reset(self) -> None:
        for c in (self.ours, self.real):
            c.send(encode("HELLO", "2") + encode("SELECT", "0") + encode("FLUSHALL"))
            c.reply(), c.reply(), c.reply()

    def close(self) -> None:
        self.ours.close()
        self.real.close()


def blocked_clients(client: RawClient) -> int:
    """INFO's blocked_clients of one server."""
    info = client.call("INFO", "clients")
    for line in info.split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":")[1])
    raise AssertionError(info)


def wait_blocked(d: Pair, n: int) -> None:
    """Bounded polling until both servers report ``n`` blocked clients."""
    deadline = time.monotonic() + 5
    while blocked_clients(d.ours) != n or blocked_clients(d.real) != n:
        assert time.monotonic() < deadline, f"never {n} blocked clients"
        time.sleep(0.002)


@pytest.fixture(scope="module")
def pair_conns(server: ServerThread, real_redis: RedisServerProcess) -> Iterator[Pair]:
    p = Pair(server.port, real_redis.port, server.host)
    yield p
    p.close()


@pytest.fixture
def d(pair_conns: Pair) -> Pair:
    """A Pair with both servers flushed, database 0, RESP2."""
    pair_conns.reset()
    return pair_conns


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def dp(d: Pair, request: pytest.FixtureRequest) -> Pair:
    """The pair ``d`` in RESP2, then in RESP3."""
    if request.param == 3:
        d.resp3()
    return d


class Pairs:
    """Makes more connection pairs to both servers (``pairs()``); ``close()`` closes them."""

    def __init__(self, ours_port: int, real_port: int, ours_host: str) -> None:
        self.ports = ours_port, real_port
        self.host = ours_host
        self.made: list[Pair] = []

    def __call__(self) -> Pair:
        p = Pair(*self.ports, self.host)
        self.made.append(p)
        return p

    def close(self) -> None:
        for p in self.made:
            p.close()
        self.made.clear()


@pytest.fixture
def new_pair(server: ServerThread, real_redis: RedisServerProcess) -> Iterator[Pairs]:
    """Fresh connection pairs (for connections a test subscribes, blocks or gets
    closed), on flushed servers; closed after the test."""
    pairs = Pairs(server.port, real_redis.port, server.host)
    pairs().both("FLUSHALL")
    yield pairs
    pairs.close()


# -- memcached -------------------------------------------------------------------

_CAS_PATTERNS = (
    (re.compile(rb"^(VALUE \S+ \d+ \d+) \d+\r$", re.M), rb"\1 <cas>\r"),
    (re.compile(rb"^((?:HD|VA|EX|NS|NF|EN)\b[^\r\n]*?) c\d+", re.M), rb"\1 c<cas>"),
    (re.compile(rb" cas=\d+ "), rb" cas=<cas> "),
)


def mask_cas(reply: bytes) -> bytes:
    """A reply with its CAS uniques replaced (they differ by nature)."""
    for pattern, repl in _CAS_PATTERNS:
        reply = pattern.sub(repl, reply)
    return reply


class McPair:
    """Two raw memcached connections, ours and the real memcached's."""

    def __init__(self, ours_port: int, real_port: int, ours_host: str = "127.0.0.1") -> None:
        self.ours_port, self.real_port, self.host = ours_port, real_port, ours_host
        self.ours = McRawClient(ours_host, ours_port)
        self.real = McRawClient("127.0.0.1", real_port)

    def both(self, data: bytes) -> tuple[bytes, bytes]:
        """Send ``data`` (then ``mn``) to both; the replies before ``MN``."""
        return self.ours.call(data), self.real.call(data)

    def check(self, data: bytes, cas: bool = False) -> bytes:
        """Identical reply bytes (CAS uniques masked with ``cas``)."""
        ours, real = self.both(data)
        if cas:
            ours, real = mask_cas(ours), mask_cas(real)
        assert ours == real, f"{data[:300]!r}:\n ours {ours[:600]!r}\n real {real[:600]!r}"
        return ours

    def check_each(self, *requests: bytes, cas: bool = False) -> None:
        """Each request alone (a failure names the one that differs)."""
        for data in requests:
            self.check(data, cas)

    def fresh(self) -> McPair:
        """A second pair of connections to the same two servers."""
        return McPair(self.ours_port, self.real_port, self.host)

    def reset(self) -> None:
        for c in (self.ours, self.real):
            c.buf = b""
            assert c.call(b"flush_all\r\n") == b"OK\r\n"

    def close(self) -> None:
        self.ours.close()
        self.real.close()


@pytest.fixture(scope="module")
def mc_conns(server: ServerThread, real_memcached: MemcachedProcess) -> Iterator[McPair]:
    p = McPair(server.mc_port, real_memcached.port, server.host)
    yield p
    p.close()


@pytest.fixture
def mc(mc_conns: McPair) -> McPair:
    """A McPair with both servers flushed."""
    mc_conns.reset()
    return mc_conns
