"""Differential tests of MONITOR against redis-server 7.0.15: the lines a
monitoring client gets (time and client address aside, checked for their
form), which commands are shown, and what a monitoring client may still do."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from conftest import BIN, Pair
from helpers import RedisServerProcess, ServerThread, encode

LINE = re.compile(rb"\+(\d+)\.(\d{6}) \[(\d+) (127\.0\.0\.1:\d+)\] (.*)\r\n")


def normal(raw: bytes) -> list[bytes]:
    """The lines with the time and the address replaced by T and ADDR."""
    out = []
    for line in raw.split(b"\r\n")[:-1]:
        m = LINE.fullmatch(line + b"\r\n")
        assert m is not None, line
        out.append(b"+T [%s ADDR] %s" % (m.group(3), m.group(5)))
    return out


@pytest.fixture
def mon(server: ServerThread, real_redis: RedisServerProcess) -> Iterator[Pair]:
    """A pair of monitoring connections."""
    m = Pair(server.port, real_redis.port, server.host)
    assert m.check("MONITOR") == b"+OK\r\n"
    yield m
    m.close()


def stream(m: Pair, d: Pair) -> tuple[bytes, bytes]:
    """What each monitor got, up to the line of an ECHO sent through ``d``."""
    d.check("ECHO", "--end--")
    out = []
    for c in (m.ours, m.real):
        buf = b""
        while not buf.endswith(b'"ECHO" "--end--"\r\n'):
            buf += c.sock.recv(1 << 16)
        out.append(buf)
    return out[0], out[1]


def test_commands_as_monitors_see_them(d: Pair, mon: Pair) -> None:
    d.batch(
        ("SET", "k", "v"),
        ("get", "k"),
        ("SET", "k", b'a b"\\\n\r\t\x07\x08\x00\xff\x7f'),
        ("SET", BIN, ""),
        ("AUTH", "default", "secret"),
    )
    d.both("HELLO", "2", "AUTH", "default", "secret")  # (the replies differ in version and id)
    d.batch(
        ("CONFIG", "GET", "maxmemory"),
        ("SELECT", "2"),
        ("SET", "x", "1"),
        ("SELECT", "0"),
        ("NOPE",),
        ("GET",),
        ("LPUSH", "k", "x"),
        ("MULTI",),
        ("SET", "a", "1"),
        ("INCR", "a"),
        ("EXEC",),
        ("CLIENT", "SETNAME", "n"),
    )
    for cmd in (("CLIENT", "LIST"), ("SLOWLOG", "GET"), ("MEMORY", "USAGE", "k")):
        d.both(*cmd)  # (replies that differ; what matters is the monitors' lines)
    d.batch(
        ("CLIENT", "GETNAME"),
        ("PING",),
        ("BLPOP", "nolist", "0.01"),
        ("OBJECT", "ENCODING", "k"),
        ("INFO", "keyspace"),
    )
    ours, real = map(normal, stream(mon, d))
    assert ours == real
    assert b'+T [0 ADDR] "SET" "k" "v"' in ours


def test_what_a_monitoring_client_may_do(d: Pair, mon: Pair) -> None:
    """Commands that touch no key still run (and are shown, after their
    reply); the rest are refused; MONITOR again gets no reply; RESET ends it."""
    data = b"".join(
        encode(*cmd)
        for cmd in (
            ("PING",),
            ("GET", "k"),
            ("SET", "k", "v"),
            ("PUBLISH", "ch", "m"),
            ("CLIENT", "GETNAME"),
            ("MONITOR",),
        )
    )
    mon.ours.send(data)
    mon.real.send(data)
    got = [
        re.sub(rb"\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", rb"+T [\1 ADDR]", buf)
        for buf in stream(mon, d)
    ]
    assert got[0] == got[1]
    assert got[0].startswith(b'+PONG\r\n+T [0 ADDR] "PING"\r\n-ERR Replica can')
    assert mon.check("RESET") == b"+RESET\r\n"
    d.check("SET", "after", "reset")
    assert mon.check("PING") == b"+PONG\r\n"  # and nothing else came


def test_monitor_in_multi_and_client_list(d: Pair) -> None:
    d.batch(("MULTI",), ("MONITOR",), ("EXEC",))
    ours, real = d.both("CLIENT", "INFO")
    assert b" flags=N " in ours and b" flags=N " in real
    d.check("MONITOR")
    for c in (d.ours, d.real):
        c.send(b"*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n")
        info = c.reply()
        assert b" flags=O " in info, info
        assert c.reply().endswith(b'"CLIENT" "INFO"\r\n')  # its own command, shown to it
    d.check("RESET")
