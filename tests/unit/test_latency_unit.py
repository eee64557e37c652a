"""The slow log, the latency monitor and the histogram arithmetic, in process."""

from __future__ import annotations

import time
from typing import Any

import hiredis
import pytest

from cacheserver.commands.table import FAST, NO_AUTH, Command
from cacheserver.config import Config
from cacheserver.latency import REDACTIONS, LatencyMonitor, cdf, percentile
from helpers import Harness, encode


def parse(raw: bytes) -> Any:
    r = hiredis.Reader()
    r.feed(raw)
    return r.gets()


def _auth(c: Any, argv: list[bytes]) -> bytes:
    return b"+OK\r\n"


def test_redaction_applies_to_a_row_registered_by_name() -> None:
    """A row named AUTH (the ACL family's, here a stand-in) gets Redis's
    redaction from the table: every argument, unless there are too many."""
    h = Harness(Config(slowlog_log_slower_than=0))
    row = Command(b"AUTH", _auth, -2, NO_AUTH | FAST, redact=REDACTIONS[b"auth"])
    table = h.server.table
    table.rows[b"auth"] = table.by_name[b"auth"] = table.by_name[b"AUTH"] = row
    h.run("SLOWLOG", "RESET")
    h.run("AUTH", "secret")
    h.run("AUTH", "user", "secret")
    h.run("AUTH", "a", "b", "c")
    entries = parse(h.run("SLOWLOG", "GET", "3"))
    assert [e[3] for e in entries] == [
        [b"AUTH", b"a", b"b", b"c"],
        [b"AUTH", b"(redacted)", b"(redacted)"],
        [b"AUTH", b"(redacted)"],
    ]


def test_rows_take_redaction_by_name() -> None:
    h = Harness()
    table = h.server.table
    assert table.rows[b"hello"].redact is REDACTIONS[b"hello"]
    assert table.rows[b"config"].subcommands[b"set"].redact is REDACTIONS[b"config|set"]
    assert table.rows[b"get"].redact is None


def test_threshold_follows_the_settings() -> None:
    h = Harness()
    srv = h.server
    assert srv.slow_ns == 10_000 * 1000 - 1
    h.run("CONFIG", "SET", "latency-monitor-threshold", "5")
    assert srv.slow_ns == 5_000_000 - 1  # the smaller one
    h.run("CONFIG", "SET", "slowlog-log-slower-than", "-1", "latency-monitor-threshold", "0")
    assert srv.slow_ns > 2**61  # both off: no command reaches it
    assert srv.memory.evictor.latency is None
    h.run("CONFIG", "SET", "slowlog-log-slower-than", "0")
    assert srv.slow_ns == -1
    h.run("SLOWLOG", "RESET")
    h.run("GET", "x")
    # SLOWLOG RESET and GET; the LEN is logged after it answers
    assert parse(h.run("SLOWLOG", "LEN")) == 2


def test_monitor_keeps_one_sample_per_second_and_the_max() -> None:
    m = LatencyMonitor(threshold=10)
    m.sample("command", 5)  # under the threshold
    assert m.events == {}
    m.add("command", 20, now=100)
    m.add("command", 15, now=100)  # same second: the larger stays
    m.add("command", 30, now=100)
    m.add("command", 12, now=101)
    ts = m.events["command"]
    assert [list(s) for s in ts.samples] == [[100, 30], [101, 12]]
    assert ts.max == 30
    for t in range(200, 400):
        m.add("command", 11, now=t)
    assert len(ts.samples) == 160 and ts.samples[-1] == [399, 11]
    assert ts.max == 30
    m.add("expire-cycle", 10, now=1)
    assert m.reset([b"COMMAND", b"nosuch"]) == 1
    assert list(m.events) == ["expire-cycle"]
    assert m.reset() == 1


def _hist(**buckets: int) -> list[int]:
    h = [0] * 65
    for k, v in buckets.items():
        h[int(k[1:])] = v
    return h


def test_cdf_levels_as_redis_labels_them() -> None:
    # 3 calls under 512 ns, 1 in [1024, 2048), 2 in [65536, 131072) ns
    h = _hist(b9=3, b11=1, b17=2)
    assert cdf(h) == [(1, 3), (2, 4), (132, 6)]
    assert cdf([0] * 65) == []
    # beyond Redis's 1 s cap: counted at the last level
    assert cdf(_hist(b40=1)) == [(1082130, 1)]


def test_percentile_interpolates_within_the_bucket() -> None:
    h = _hist(b11=4)  # four calls in [1024, 2048) ns
    assert percentile(h, 50) == (1024 + 1024 * 2 / 4) / 1000
    assert percentile(h, 100) == 2.048
    assert percentile(h, 0) == 1.280  # the first rank: at least one call
    h = _hist(b1=99, b21=1)  # one slow call in a hundred
    assert percentile(h, 50) < 0.002
    assert 1048.576 <= percentile(h, 99.9) <= 2097.152
    assert percentile([0] * 65, 50) == 0.0


def test_eviction_reports_its_cycle_and_deletions() -> None:
    h = Harness(Config(maxmemory_policy="allkeys-random"))
    seen: list[str] = []
    for i in range(200):
        h.run("SET", f"k{i}", "v" * 100)
    h.run("CONFIG", "SET", "latency-monitor-threshold", "1")
    ev = h.server.memory.evictor
    assert ev.latency is not None
    ev.latency = lambda event, ns: seen.append(event)
    h.run("CONFIG", "SET", "maxmemory", "1")
    h.run("SET", "x", "y")
    assert "eviction-cycle" in seen and "eviction-del" in seen


def test_expire_cycle_is_timed_when_the_monitor_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(Config(latency_monitor_threshold=1))
    seen: list[str] = []
    monkeypatch.setattr(LatencyMonitor, "sample_ns", lambda self, event, ns: seen.append(event))
    h.server.cron()
    assert seen == ["expire-cycle"]


def test_each_expired_key_deletion_is_timed_when_the_monitor_is_on() -> None:
    # redis deleteExpiredKeyAndPropagate samples "expire-del", lazily and actively
    h = Harness()
    ks = h.server.keyspace
    assert ks.latency is None  # off: no clock readings
    h.run("CONFIG", "SET", "latency-monitor-threshold", "1")
    assert ks.latency is not None
    seen: list[str] = []
    ks.latency = lambda event, ns: seen.append(event)
    h.run("SET", "lazy", "v", "PX", "1")
    h.run("SET", "active", "v", "PX", "1")
    db = ks.dbs[0]
    later = h.server.clock() + 10
    assert db.get(b"lazy", later) is None  # lazy expiry on access
    assert seen == ["expire-del"]
    assert db.expire_due(later, float("inf")) == 1  # the active cycle
    assert seen == ["expire-del", "expire-del"]
    h.run("CONFIG", "SET", "latency-monitor-threshold", "0")
    assert ks.latency is None


# -- how the walk times calls ---------------------------------------------------


class StepClock:
    """A ``perf_counter_ns`` that moves ``step`` ns at each reading."""

    def __init__(self, step: int) -> None:
        self.t = 0
        self.step = step

    def __call__(self) -> int:
        self.t += self.step
        return self.t


def test_a_pipelined_run_counts_every_call() -> None:
    h = Harness()
    h.feed(encode("GET", "a") * 5 + encode("SET", "a", "1") + encode("GET", "a") * 2 + encode("PING"))
    rows = h.server.table.rows
    assert (rows[b"get"].calls, rows[b"set"].calls, rows[b"ping"].calls) == (7, 1, 1)
    reply = parse(h.run("LATENCY", "HISTOGRAM", "get"))
    assert reply[0] == b"get" and reply[1][1] == 7


def test_a_run_of_a_fast_command_is_timed_once_and_its_time_shared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One clock reading ends the run of three GETs: each gets a third of it."""
    h = Harness()
    monkeypatch.setattr(time, "perf_counter_ns", StepClock(3000))
    h.feed(encode("GET", "a") * 3)
    monkeypatch.undo()
    get = h.server.table.rows[b"get"]
    assert get.nsec == 3000
    assert get.hist[(1000).bit_length()] == 3 and get.calls == 3


def test_a_run_ends_where_another_command_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    """GET, MSET, GET: MSET (not brief) is timed alone; each GET is a run of its own."""
    h = Harness()
    monkeypatch.setattr(time, "perf_counter_ns", StepClock(1000))
    h.feed(encode("GET", "a") + encode("MSET", "a", "1") + encode("GET", "a"))
    monkeypatch.undo()
    rows = h.server.table.rows
    assert (rows[b"get"].nsec, rows[b"get"].calls) == (2000, 2)
    assert (rows[b"mset"].nsec, rows[b"mset"].calls) == (1000, 1)


def test_a_slow_run_enters_the_slow_log_as_its_last_call(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness()  # the slow log's default 10 ms: FAST calls in a run share their time
    monkeypatch.setattr(time, "perf_counter_ns", StepClock(60_000_000))
    h.feed(encode("GET", "a") + encode("GET", "b") + encode("GET", "c"))
    monkeypatch.undo()
    entries = parse(h.run("SLOWLOG", "GET"))
    assert [(e[2], e[3]) for e in entries] == [(20_000, [b"GET", b"c"])]


def test_under_a_lower_threshold_each_call_is_timed_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(Config(slowlog_log_slower_than=1000))
    monkeypatch.setattr(time, "perf_counter_ns", StepClock(2_000_000))
    h.feed(encode("GET", "a") + encode("GET", "b"))
    monkeypatch.undo()
    entries = parse(h.run("SLOWLOG", "GET"))
    assert [(e[2], e[3]) for e in entries] == [(2000, [b"GET", b"b"]), (2000, [b"GET", b"a"])]


def test_which_calls_are_timed_alone_follows_the_thresholds_and_monitors() -> None:
    h = Harness()
    rows = h.server.table.rows
    assert not rows[b"get"].alone and not rows[b"publish"].alone
    assert rows[b"mset"].alone and rows[b"keys"].alone  # not brief: always alone
    # SET is not FAST (COMMAND INFO says so, as Redis) but brief: an old value
    # it drops is freed in bounded steps
    assert not rows[b"set"].alone and rows[b"set"].brief
    assert b"fast" not in parse(h.run("COMMAND", "INFO", "set"))[0][2]
    h.run("CONFIG", "SET", "latency-monitor-threshold", "5")
    assert rows[b"get"].alone
    h.run("CONFIG", "SET", "latency-monitor-threshold", "0")
    assert not rows[b"get"].alone
    watcher = h.connect()
    h.run("MONITOR", client=watcher)
    assert rows[b"get"].alone
    watcher.connection_lost(None)
    assert not rows[b"get"].alone


def test_a_refused_command_adds_no_time_to_the_next_call_timed_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness()
    monkeypatch.setattr(time, "perf_counter_ns", StepClock(1000))
    h.feed(encode("NOSUCH") + encode("MSET", "a", "1"))
    monkeypatch.undo()
    assert h.server.table.rows[b"mset"].nsec == 1000
