"""The slow log and the latency monitor (redis ``slowlog.c`` and ``latency.c``),
and the latency percentiles read from the rows' histograms.

The walk pays one comparison per timed call or run of calls: ``ns >
slow_ns``, the threshold being the smaller of the slow log's and the latency
monitor's, in nanoseconds (``Server.slow_ns``, huge when both are off).  Only
a command over it calls ``Client.slow``, which sorts out what each of the two
wants.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cacheserver.commands.table import FAST, SKIP_SLOWLOG, Command

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server

__all__ = [
    "NEVER",
    "REDACTIONS",
    "LatencyMonitor",
    "SlowLog",
    "cdf",
    "percentile",
    "record_slow",
]

# the threshold when nothing wants slow commands: no int64 duration exceeds it
NEVER = 1 << 62
# Server.slow_ns under which each call is timed alone: that of the slow log's
# default 10 ms (a lower slow log or latency monitor threshold wants each time)
RUN_TIMING_NS = 10_000_000 - 1

# redis SLOWLOG_ENTRY_MAX_ARGC / SLOWLOG_ENTRY_MAX_STRING
MAX_ARGC = 32
MAX_STRING = 128
REDACTED = b"(redacted)"


class SlowLog:
    """The newest entries first, at most ``max_len`` (redis ``server.slowlog``)."""

    __slots__ = ("entries", "max_len", "next_id", "slower_than")

    def __init__(self, slower_than: int, max_len: int) -> None:
        self.entries: deque[tuple[int, int, int, list[bytes], bytes, bytes]] = deque()
        self.next_id = 0
        self.slower_than = slower_than  # microseconds; negative: off
        self.max_len = max_len

    def push(self, c: Client, row: Command, argv: list[bytes], us: int) -> None:
        """Log ``argv`` as run by ``c`` in ``us`` microseconds (redis
        ``slowlogPushCurrentCommand``): long argument lists and long strings
        are cut, secrets redacted; the entry takes the client's name as it
        is after the command (CLIENT SETNAME logs the new name)."""
        if row.flags & SKIP_SLOWLOG or self.slower_than < 0 or us < self.slower_than:
            return
        if row.redact is not None:
            argv = row.redact(argv)
        n = len(argv)
        kept = min(n, MAX_ARGC)
        args: list[bytes] = []
        for j in range(kept):
            if kept != n and j == kept - 1:
                args.append(b"... (%d more arguments)" % (n - kept + 1))
            elif len(argv[j]) > MAX_STRING:
                a = argv[j]
                args.append(a[:MAX_STRING] + b"... (%d more bytes)" % (len(a) - MAX_STRING))
            else:
                args.append(argv[j])
        entry = (self.next_id, int(time.time()), us, args, c.addr.encode(), c.name)
        self.next_id += 1
        self.entries.appendleft(entry)
        self.trim()

    def trim(self) -> None:
        while len(self.entries) > self.max_len:
            self.entries.pop()


# -- the latency monitor ---------------------------------------------------------

TS_LEN = 160  # redis LATENCY_TS_LEN: samples kept per event, one per second at most


class TimeSeries:
    """One event's samples: (unix second, ms) pairs, the newest last, and the
    all-time maximum (redis ``struct latencyTimeSeries``)."""

    __slots__ = ("max", "samples")

    def __init__(self) -> None:
        self.samples: deque[list[int]] = deque(maxlen=TS_LEN)
        self.max = 0


class LatencyMonitor:
    """Events by name, in the order first seen (redis ``server.latency_events``)."""

    __slots__ = ("events", "threshold")

    def __init__(self, threshold: int) -> None:
        self.events: dict[str, TimeSeries] = {}
        self.threshold = threshold  # milliseconds; 0: off

    def sample(self, event: str, ms: int) -> None:
        """Record ``ms`` if the monitor is on and it reaches the threshold
        (redis ``latencyAddSampleIfNeeded``)."""
        if self.threshold and ms >= self.threshold:
            self.add(event, ms)

    def sample_ns(self, event: str, ns: int) -> None:
        """As sample(), from nanoseconds (whole milliseconds, as Redis measures)."""
        if self.threshold and ns >= self.threshold * 1_000_000:
            self.add(event, ns // 1_000_000)

    def add(self, event: str, ms: int, now: int | None = None) -> None:
        """One sample per second per event: a second sample in the same
        second keeps the larger (redis ``latencyAddSample``)."""
        ts = self.events.get(event)
        if ts is None:
            ts = self.events[event] = TimeSeries()
        if ms > ts.max:
            ts.max = ms
        if now is None:
            now = int(time.time())
        samples = ts.samples
        if samples and samples[-1][0] == now:
            if ms > samples[-1][1]:
                samples[-1][1] = ms
            return
        samples.append([now, ms])

    def reset(self, names: Sequence[bytes] = ()) -> int:
        """Forget the named events (any case), or all; how many went."""
        if not names:
            n = len(self.events)
            self.events.clear()
            return n
        gone = 0
        for name in names:
            want = name.decode("latin-1").lower()
            for event in [e for e in self.events if e.lower() == want]:
                del self.events[event]
                gone += 1
        return gone

    def timer(self) -> Callable[[str, int], None] | None:
        """The callback background cycles time themselves with (event,
        nanoseconds), or None while the monitor is off (they then skip the
        clock readings)."""
        return self.sample_ns if self.threshold else None


def record_slow(c: Client, row: Command, argv: list[bytes], ns: int) -> None:
    """A command took ``ns``, over ``Server.slow_ns``: a latency sample
    (``command``, or ``fast-command`` for FAST rows) and a slow log entry, each
    when over its own threshold (redis ``call``)."""
    srv = c.server
    srv.latency.sample("fast-command" if row.flags & FAST else "command", ns // 1_000_000)
    srv.slowlog.push(c, row, argv, ns // 1000)


# -- redaction: the arguments Redis 7.0 replaces by "(redacted)" -----------------
# Each function mirrors where the Redis handler calls redactClientCommandArgument,
# so the log matches Redis's for good and bad calls alike.

Redact = Callable[[list[bytes]], list[bytes]]


def _redact_from(first: int) -> Redact:
    def redact(argv: list[bytes]) -> list[bytes]:
        return argv[:first] + [REDACTED] * (len(argv) - first)

    return redact


def _redact_auth(argv: list[bytes]) -> list[bytes]:
    """AUTH [username] password: every argument, unless there are too many."""
    if len(argv) > 3:
        return argv
    return argv[:1] + [REDACTED] * (len(argv) - 1)


def _redact_hello(argv: list[bytes]) -> list[bytes]:
    """HELLO protover AUTH username password ...: the two after each AUTH,
    scanning as HELLO does (a bad version or option stops it)."""
    from protocol.resp import string2ll

    if len(argv) < 2:
        return argv
    ver = string2ll(argv[1])
    if ver is None or ver not in (2, 3):
        return argv
    out = list(argv)
    j = 2
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"auth" and more >= 2:
            out[j + 1] = out[j + 2] = REDACTED
            j += 3
        elif opt == b"setname" and more >= 1:
            j += 2
        else:
            break
    return out


def _redact_migrate(argv: list[bytes]) -> list[bytes]:
    """MIGRATE ... AUTH password | AUTH2 username password ... KEYS ..."""
    out = list(argv)
    j = 6
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"auth":
            if not more:
                break
            out[j + 1] = REDACTED
            j += 2
        elif opt == b"auth2":
            if more < 2:
                break
            out[j + 1] = out[j + 2] = REDACTED
            j += 3
        elif opt == b"keys":
            break
        else:
            j += 1
    return out


# CONFIG SET values Redis flags SENSITIVE_CONFIG
SENSITIVE_SETTINGS = frozenset(
    (
        b"requirepass",
        b"masterauth",
        b"masteruser",
        b"tls-key-file-pass",
        b"tls-client-key-file-pass",
    )
)


def _redact_config_set(argv: list[bytes]) -> list[bytes]:
    """CONFIG SET name value ...: the values of sensitive settings."""
    if len(argv) < 4 or len(argv) % 2:
        return argv
    out = list(argv)
    for j in range(2, len(argv), 2):
        if argv[j].lower() in SENSITIVE_SETTINGS:
            out[j + 1] = REDACTED
    return out


# Applied by command name to the rows that exist (Table.all_rows fullnames);
# a row may also bring its own (Command(..., redact=...)).
REDACTIONS: dict[bytes, Redact] = {
    b"auth": _redact_auth,
    b"hello": _redact_hello,
    b"acl|setuser": _redact_from(2),
    b"migrate": _redact_migrate,
    b"config|set": _redact_config_set,
}


# -- histograms ------------------------------------------------------------------
# row.hist[i] counts the calls that took [2**(i-1), 2**i) nanoseconds.

# LATENCY HISTOGRAM reports at 1024 ns * 2**k, labelled as Redis's hdr
# histogram labels them (the top of the 1%-wide slot there, in whole µs);
# Redis clips durations to 1 s, so the last level takes everything longer.
_FIRST_LEVEL = 10
_LAST_LEVEL = 30


def _level_label(n: int) -> int:
    return ((1 << n) + (1 << (n - 7)) - 1) // 1000


def cdf(hist: Sequence[int]) -> list[tuple[int, int]]:
    """(µs, calls at or below it), cumulative, only where the count grows
    (redis ``fillCommandCDF``)."""
    out: list[tuple[int, int]] = []
    total = sum(hist)
    cum = sum(hist[: _FIRST_LEVEL + 1])
    prev = 0
    for n in range(_FIRST_LEVEL, _LAST_LEVEL + 1):
        if n > _FIRST_LEVEL:
            cum += hist[n]
        if n == _LAST_LEVEL:
            cum = total
        if cum > prev:
            out.append((_level_label(n), cum))
            prev = cum
        if cum >= total:
            break
    return out


def percentile(hist: Sequence[int], p: float) -> float:
    """The ``p``-th percentile in µs, interpolated linearly within its
    power-of-two bucket (0 when nothing was counted)."""
    total = sum(hist)
    if not total:
        return 0.0
    # the rank of hdr_value_at_percentile: round half up, at least 1
    rank = max(1, int(p / 100 * total + 0.5))
    cum = 0
    for i, n in enumerate(hist):
        if n and cum + n >= rank:
            lo = 0 if i == 0 else 1 << (i - 1)
            hi = 1 << i
            return (lo + (hi - lo) * (rank - cum) / n) / 1000
        cum += n
    return (1 << (len(hist) - 1)) / 1000


def slow_threshold(srv: Server) -> int:
    """``Server.slow_ns``: the least duration, in ns, that the slow log or
    the latency monitor wants to see, minus one (the walk tests ``>``); -1
    while a client monitors (every command is shown to it)."""
    if srv.monitors:
        return -1
    limits = [NEVER]
    us = srv.slowlog.slower_than
    if us >= 0:
        limits.append(us * 1000 - 1)
    ms = srv.latency.threshold
    if ms > 0:
        limits.append(ms * 1_000_000 - 1)
    return min(limits)
