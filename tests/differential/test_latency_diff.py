"""SLOWLOG, LATENCY and their settings against the real redis-server 7.0.15:
identical bytes where the reply is deterministic; for slow log entries and
histograms (times, ids and addresses differ) the argument lists, client
names and shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cacheserver.config import Config
from conftest import Pair, pairs, parse, wait_blocked
from helpers import ServerThread


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    st = ServerThread(Config(enable_debug_command="yes")).start()
    yield st
    st.stop()


@pytest.fixture
def quiet(d: Pair) -> Iterator[Pair]:
    """The pair with the slow log off and empty, the latency monitor off and
    empty; the defaults back afterwards."""
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "-1", "latency-monitor-threshold", "0")
    d.check("SLOWLOG", "RESET")
    d.both("LATENCY", "RESET")
    yield d
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")
    d.both("CONFIG", "SET", "latency-tracking", "yes")
    d.both("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")


def test_help_and_empty_state(quiet: Pair) -> None:
    d = quiet
    d.check_all(
        ("SLOWLOG", "HELP"),
        ("slowlog", "help"),
        ("LATENCY", "HELP"),
        ("SLOWLOG", "LEN"),
        ("SLOWLOG", "GET"),
        ("SLOWLOG", "GET", "-1"),
        ("SLOWLOG", "GET", "0"),
        ("SLOWLOG", "RESET"),
        ("LATENCY", "LATEST"),
        ("LATENCY", "HISTORY", "command"),
        ("LATENCY", "RESET"),
        ("LATENCY", "RESET", "command", "nosuch"),
        ("LATENCY", "HISTOGRAM", "nosuch"),
        ("LATENCY", "HISTOGRAM", "nosuch", "get|x"),
    )


@pytest.mark.parametrize("resp", [2, 3])
def test_doctor_with_the_monitor_off(quiet: Pair, resp: int) -> None:
    if resp == 3:
        quiet.resp3()
    quiet.check("LATENCY", "DOCTOR")


ERRORS = [
    ("SLOWLOG",),
    ("SLOWLOG", "FOO"),
    ("SLOWLOG", "GET", "abc"),
    ("SLOWLOG", "GET", "-2"),
    ("SLOWLOG", "GET", "1.5"),
    ("SLOWLOG", "GET", "99999999999999999999"),
    ("SLOWLOG", "GET", "1", "2"),
    ("SLOWLOG", "gEt", "1", "2"),
    ("SLOWLOG", "LEN", "x"),
    ("SLOWLOG", "RESET", "x"),
    ("SLOWLOG", "HELP", "x"),
    ("LATENCY",),
    ("LATENCY", "FOO"),
    ("LATENCY", "GRAPH"),
    ("LATENCY", "GRAPH", "nosuch"),
    ("LATENCY", "GRAPH", "command", "x"),
    ("LATENCY", "HISTORY"),
    ("LATENCY", "LATEST", "x"),
    ("LATENCY", "DOCTOR", "x"),
    ("LATENCY", "HELP", "x"),
]


@pytest.mark.parametrize("args", ERRORS, ids=" ".join)
def test_argument_errors(quiet: Pair, args: tuple[str, ...]) -> None:
    quiet.check(*args)


SETTINGS = [
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "latency-tracking",
    "latency-tracking-info-percentiles",
]


def test_config_get(quiet: Pair) -> None:
    d = quiet
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    for name in SETTINGS:
        d.check("CONFIG", "GET", name)
    for pattern in ("latency-tracking*", "slowlog-*"):  # (Redis's order is its dict's)
        ours, real = d.parsed("CONFIG", "GET", pattern)
        assert pairs(ours) == pairs(real)


CONFIG_SETS = [
    ("slowlog-log-slower-than", "-2"),
    ("slowlog-log-slower-than", "abc"),
    ("slowlog-max-len", "-1"),
    ("latency-monitor-threshold", "-1"),
    ("latency-tracking", "maybe"),
    ("latency-tracking-info-percentiles", "50 abc"),
    ("latency-tracking-info-percentiles", "50 101"),
    ("latency-tracking-info-percentiles", "-1"),
    ("latency-tracking-info-percentiles", "nan"),
    ("latency-tracking-info-percentiles", "1e-400"),
    ("latency-tracking-info-percentiles", "1e1 0x10 99.99999 0"),
    ("latency-tracking-info-percentiles", ""),
    ("latency-tracking-info-percentiles", "50"),
    ("slowlog-max-len", "0"),
    ("slowlog-max-len", "5"),
    ("latency-tracking", "no"),
]


@pytest.mark.parametrize("pair", CONFIG_SETS, ids="=".join)
def test_config_set(quiet: Pair, pair: tuple[str, str]) -> None:
    quiet.check("CONFIG", "SET", *pair)
    quiet.check("CONFIG", "GET", pair[0])


def _entries(d: Pair) -> tuple[list[Any], list[Any]]:
    """Each server's slow log as (argv, client name) pairs, newest first."""
    ours, real = d.parsed("SLOWLOG", "GET", "-1")
    for entries in (ours, real):
        for e in entries:
            assert len(e) == 6 and all(isinstance(x, int) for x in e[:3])
    return [(e[3], e[5]) for e in ours], [(e[3], e[5]) for e in real]


def test_slowlog_arguments_as_redis(quiet: Pair) -> None:
    """Long argument lists and strings cut, secrets redacted, the client
    name as it is after the command."""
    d = quiet
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    d.both("SLOWLOG", "RESET")
    d.both("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n1")
    d.both("HELLO", "4", "AUTH", "a", "b")
    d.both("HELLO", "2", "AUTH", "a", "b", "bogus", "AUTH", "c", "d")
    d.both("HELLO", "2", "setname")
    d.both("HELLO", "x", "AUTH", "a", "b")
    d.both("CONFIG", "SET", "masterauth", "secret", "maxmemory", "0")
    d.both("CONFIG", "SET", "maxmemory", "0", "masterauth")
    d.both("CLIENT", "SETNAME", "myname")
    d.both("SET", "k", "x" * 200)
    d.both("SET", "k", "y" * 128)
    d.both("RPUSH", "l", *map(str, range(40)))
    d.both("RPUSH", "l", *map(str, range(32)))
    d.both("RPUSH", "l", *map(str, range(31)))
    ours, real = _entries(d)
    assert ours == real


def test_slowlog_max_len_and_ids(quiet: Pair) -> None:
    d = quiet
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3")
    d.both("SLOWLOG", "RESET")
    for i in range(5):
        d.both("SET", f"k{i}", "v")
    d.check("SLOWLOG", "LEN")
    ours, real = _entries(d)
    assert ours == real
    assert [a for a, _ in ours][-1] == [b"SET", b"k3", b"v"]  # (SLOWLOG LEN came last)
    d.both("CONFIG", "SET", "slowlog-max-len", "1")
    d.check("SLOWLOG", "LEN")
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    d.check("SLOWLOG", "RESET")
    d.check("SLOWLOG", "LEN")


def test_exec_logs_its_commands_not_itself(quiet: Pair) -> None:
    d = quiet
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    d.both("SLOWLOG", "RESET")
    d.check("MULTI")
    d.check("SET", "a", "1")
    d.check("INCR", "a")
    d.check("EXEC")
    ours, real = _entries(d)
    assert ours == real


@pytest.mark.parametrize("resp", [2, 3])
def test_latency_histogram_shape(quiet: Pair, resp: int) -> None:
    d = quiet
    if resp == 3:
        d.resp3()
    d.both("CONFIG", "RESETSTAT")
    for _ in range(3):
        d.both("SET", "a", "1")
    d.both("CONFIG", "GET", "maxmemory")
    ours, real = d.parsed("LATENCY", "HISTOGRAM", "set", "config", "get")
    if resp == 2:
        ours = pairs(ours)
        real = pairs(real)
    assert sorted(ours) == sorted(real) == [b"config|get", b"config|resetstat", b"set"]
    labels = {(2**n + 2 ** (n - 7) - 1) // 1000 for n in range(10, 31)}
    for name, calls in ((b"set", 3), (b"config|get", 1)):
        for reply in (ours[name], real[name]):
            if resp == 2:
                reply = pairs(reply)
            assert reply[b"calls"] == calls
            hist = reply[b"histogram_usec"]
            if resp == 2:
                hist = pairs(hist)
            assert set(hist) <= labels
            counts = [hist[k] for k in sorted(hist)]
            assert counts == sorted(counts) and counts[-1] == calls
    d.both("CONFIG", "SET", "latency-tracking", "no")
    d.both("CONFIG", "RESETSTAT")
    d.check("LATENCY", "HISTOGRAM")
    d.check("INFO", "latencystats")


def test_latencystats_fields(quiet: Pair) -> None:
    d = quiet
    d.both("CONFIG", "RESETSTAT")
    d.both("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.9 0x10 100")
    d.both("GET", "a")
    for raw in d.both("INFO", "latencystats"):
        lines = parse(raw).split(b"\r\n")
        assert lines[0] == b"# Latencystats"
        get = [ln for ln in lines if ln.startswith(b"latency_percentiles_usec_get:")]
        assert len(get) == 1
        fields = get[0].split(b":", 1)[1].split(b",")
        assert [f.split(b"=")[0] for f in fields] == [b"p50", b"p99.9", b"p16", b"p100"]
        for f in fields:
            whole, frac = f.split(b"=")[1].split(b".")
            assert whole.isdigit() and len(frac) == 3


def test_blocked_command_logged_when_answered(quiet: Pair, new_pair: Any) -> None:
    """BLPOP enters the log when served (after the push that served it), not
    when it times out (Redis 7.0)."""
    d = quiet
    d.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    waiter = new_pair()
    d.both("SLOWLOG", "RESET")
    waiter.send("BLPOP", "bl", "0")
    wait_blocked(d, 1)
    d.check("RPUSH", "bl", "x")
    assert waiter.reply() == b"*2\r\n$2\r\nbl\r\n$1\r\nx\r\n"
    waiter.check("BLPOP", "bl", "0.01")
    ours, real = _entries(d)
    assert ours == real
    assert [a for a, _ in ours][:2] == [
        [b"BLPOP", b"bl", b"0"],
        [b"RPUSH", b"bl", b"x"],
    ]
