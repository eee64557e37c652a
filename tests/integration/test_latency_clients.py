"""SLOWLOG, LATENCY and INFO latencystats through redis-py, RESP2 and RESP3."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from cacheserver.config import Config
from helpers import ServerThread

PROTOCOLS = [2, 3]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    st = ServerThread(Config(enable_debug_command="yes")).start()
    yield st
    st.stop()


@pytest.fixture(params=PROTOCOLS, ids=["resp2", "resp3"])
def r(server: ServerThread, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    c = redis.Redis(host=server.host, port=server.port, protocol=request.param, socket_timeout=10)  # type: ignore[arg-type]
    c.config_set("slowlog-log-slower-than", -1)
    c.config_set("latency-monitor-threshold", 0)
    c.slowlog_reset()
    c.execute_command("LATENCY", "RESET")
    yield c
    c.config_set("slowlog-log-slower-than", 10000)
    c.close()


def test_slowlog_get_parsed_by_redis_py(r: redis.Redis) -> None:
    r.client_setname("logger")
    r.config_set("slowlog-log-slower-than", 0)
    r.set("k", "x" * 300)
    r.rpush("l", *range(40))
    entries: Any = r.slowlog_get(2)
    assert len(entries) == 2
    newest = entries[0]
    assert newest["command"].startswith(b"RPUSH l 0 1 2")
    assert newest["command"].endswith(b"... (11 more arguments)")
    assert entries[1]["command"] == b"SET k " + b"x" * 128 + b"... (172 more bytes)"
    for e in entries:
        assert e["client_name"] == b"logger"
        assert e["client_address"].startswith(b"127.0.0.1:")
        assert isinstance(e["duration"], int) and e["duration"] >= 0
        assert abs(e["start_time"] - time.time()) < 60
    assert entries[0]["id"] == entries[1]["id"] + 1
    assert r.slowlog_len() >= 3  # and SLOWLOG GET
    r.config_set("slowlog-max-len", 2)
    assert r.slowlog_len() == 2
    r.config_set("slowlog-max-len", 128)


def test_skip_slowlog_and_threshold(r: redis.Redis) -> None:
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    with r.pipeline(transaction=True) as p:
        p.set("a", 1)
        p.incr("a")
        p.execute()
    commands = [e["command"] for e in r.slowlog_get(-1)]  # type: ignore[union-attr]
    # EXEC is skip_slowlog; the commands it ran are logged, MULTI too
    assert commands[:3] == [b"INCRBY a 1", b"SET a 1", b"MULTI"]
    r.config_set("slowlog-log-slower-than", 10_000_000)  # 10 s: nothing is that slow
    r.slowlog_reset()
    r.set("b", 1)
    assert r.slowlog_len() == 0


def test_latency_histogram(r: redis.Redis) -> None:
    r.config_resetstat()
    for i in range(20):
        r.set(f"h{i}", i)
    reply = r.execute_command("LATENCY", "HISTOGRAM", "set")
    if isinstance(reply, list):  # RESP2: flat pairs
        reply = dict(zip(reply[::2], reply[1::2], strict=True))
    ((name, body),) = reply.items()
    assert name == b"set"
    if isinstance(body, list):
        body = dict(zip(body[::2], body[1::2], strict=True))
    assert body[b"calls"] == 20
    hist = body[b"histogram_usec"]
    if isinstance(hist, list):
        hist = dict(zip(hist[::2], hist[1::2], strict=True))
    counts = [hist[k] for k in sorted(hist)]
    assert counts == sorted(counts) and counts[-1] == 20


def test_info_latencystats(r: redis.Redis) -> None:
    r.config_resetstat()
    r.get("x")
    info: Any = r.info("latencystats")  # redis-py parses the p=value lists
    values = info["latency_percentiles_usec_get"]
    assert list(values) == ["p50", "p99", "p99.9"]
    assert 0 < float(values["p50"]) <= float(values["p99"]) <= float(values["p99.9"])


def test_latency_monitor_events(r: redis.Redis) -> None:
    r.config_set("latency-monitor-threshold", 1)
    r.config_set("slowlog-log-slower-than", -1)
    r.execute_command("DEBUG", "SLEEP", "0.01")
    latest = r.execute_command("LATENCY", "LATEST")
    assert [e[0] for e in latest] == [b"command"]
    _, when, last, worst = latest[0]
    assert last >= 10 and worst >= last and abs(when - time.time()) < 60
    history = r.execute_command("LATENCY", "HISTORY", "command")
    assert len(history) == 1 and history[0][1] == last
    graph = r.execute_command("LATENCY", "GRAPH", "command")
    if not isinstance(graph, bytes):
        graph = str(graph).encode()
    assert graph.startswith(b"command - high %d ms, low %d ms" % (last, last))
    doctor = r.execute_command("LATENCY", "DOCTOR")
    if not isinstance(doctor, bytes):
        doctor = str(doctor).encode()
    assert b"1. command: 1 latency spikes" in doctor
    # the slow log is off: the doctor says to turn it on
    assert b"CONFIG SET slowlog-log-slower-than 1000" in doctor
    assert r.execute_command("LATENCY", "RESET", "command") == 1
    assert r.execute_command("LATENCY", "LATEST") == []
