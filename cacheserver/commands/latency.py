"""SLOWLOG and LATENCY (redis ``slowlog.c``, ``latency.c``, ``sparkline.c``).

The state lives in ``cacheserver/latency.py`` (``Server.slowlog``,
``Server.latency``); the per-command histograms on the rows.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cacheserver.commands.server import help_reply, lookup_fullname
from cacheserver.commands.table import ADMIN, LOADING, NOSCRIPT, STALE, Command
from cacheserver.errors import CommandError
from cacheserver.latency import TimeSeries, cdf
from protocol.resp import OK, array, array_header, bulk, integer, map_reply, string2ll, verbatim

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server


def _syntax(argv: list[bytes]) -> CommandError:
    # redis addReplySubcommandSyntaxError
    sub = argv[1][:128].split(b"\0", 1)[0].replace(b"\r", b" ").replace(b"\n", b" ")
    return CommandError(
        b"ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
        % (sub, argv[0].upper())
    )


# -- SLOWLOG -----------------------------------------------------------------------

SLOWLOG_HELP = (
    b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"GET [<count>]",
    b"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    b"    Entries are made of:",
    b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
    b"    client name",
    b"LEN",
    b"    Return the length of the slowlog.",
    b"RESET",
    b"    Reset the slowlog.",
    b"HELP",
    b"    Prints this help.",
)


def slowlog_container(c: Client, argv: list[bytes]) -> bytes:
    """SLOWLOG <GET|LEN|RESET|HELP> [arg] -> depends on the subcommand

    A container for slow log commands.
    """
    raise _syntax(argv)


def slowlog_get(c: Client, argv: list[bytes]) -> bytes:
    """SLOWLOG GET [count] -> array of [id, unix time, µs, argv, addr, name]

    The newest entries first; 10 by default, -1 for all.
    Complexity: O(N) where N is the number of entries returned
    """
    log = c.server.slowlog.entries
    count = 10
    if len(argv) > 3:
        raise _syntax(argv)
    if len(argv) == 3:
        n = string2ll(argv[2])
        if n is None or n < -1:
            raise CommandError(b"ERR count should be greater than or equal to -1")
        count = len(log) if n == -1 else n
    out: list[bytes] = []
    for i, (eid, when, us, args, addr, name) in enumerate(log):
        if i >= count:
            break
        out.append(
            b"*6\r\n"
            + integer(eid)
            + integer(when)
            + integer(us)
            + array([bulk(a) for a in args])
            + bulk(addr)
            + bulk(name)
        )
    return array(out)


def slowlog_len(c: Client, argv: list[bytes]) -> bytes:
    """SLOWLOG LEN -> integer

    Complexity: O(1)
    """
    return integer(len(c.server.slowlog.entries))


def slowlog_reset(c: Client, argv: list[bytes]) -> bytes:
    """SLOWLOG RESET -> +OK

    Complexity: O(N) where N is the number of entries in the slowlog
    """
    c.server.slowlog.entries.clear()
    return OK


def slowlog_help(c: Client, argv: list[bytes]) -> bytes:
    """SLOWLOG HELP -> array of lines

    Complexity: O(1)
    """
    return help_reply(SLOWLOG_HELP)


# -- LATENCY -------------------------------------------------------------------------

LATENCY_HELP = (
    b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return a human readable latency analysis report.",
    b"GRAPH <event>",
    b"    Return an ASCII latency graph for the <event> class.",
    b"HISTORY <event>",
    b"    Return time-latency samples for the <event> class.",
    b"LATEST",
    b"    Return the latest latency samples for all events.",
    b"RESET [<event> ...]",
    b"    Reset latency data of one or more <event> classes.",
    b"    (default: reset all data for all event classes)",
    b"HISTOGRAM [COMMAND ...]",
    b"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    b"    If no commands are specified then all histograms are replied.",
    b"HELP",
    b"    Prints this help.",
)


def latency_container(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY <DOCTOR|GRAPH|HISTORY|LATEST|RESET|HISTOGRAM|HELP> [arg ...] -> depends on the subcommand

    A container for latency diagnostics commands.
    """
    raise _syntax(argv)


def _event(c: Client, name: bytes) -> tuple[str, TimeSeries] | None:
    # event names are compared exactly (a dict of C strings: up to a NUL)
    key = name.split(b"\0", 1)[0].decode("latin-1")
    ts = c.server.latency.events.get(key)
    return None if ts is None else (key, ts)


def latency_latest(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY LATEST -> array of [event, unix time, latest ms, all-time max ms]

    Complexity: O(1)
    """
    out = []
    for event, ts in c.server.latency.events.items():
        when, ms = ts.samples[-1] if ts.samples else (0, 0)
        out.append(
            b"*4\r\n"
            + bulk(event.encode("latin-1"))
            + integer(when)
            + integer(ms)
            + integer(ts.max)
        )
    return array(out)


def latency_history(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY HISTORY event -> array of [unix time, ms], oldest first

    Complexity: O(1)
    """
    found = _event(c, argv[2])
    if found is None:
        return array_header(0)
    return array([b"*2\r\n" + integer(t) + integer(ms) for t, ms in found[1].samples])


def latency_reset(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY RESET [event ...] -> integer: how many events were reset

    Complexity: O(1)
    """
    return integer(c.server.latency.reset(argv[2:]))


def _ago(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 3600 * 24:
        return f"{seconds // 3600}h"
    return f"{seconds // (3600 * 24)}d"


_CHARSET_FILL = "_o#"
_LABEL_MARGIN_TOP = 1


def sparkline(values: list[int], labels: list[str], columns: int = 80, rows: int = 4) -> str:
    """An ASCII graph, filled, ``rows`` high, labels written downwards under
    their columns; wider sequences wrap every ``columns`` samples (redis
    ``sparklineRender`` with SPARKLINE_FILL)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    relmax = float(hi - lo) or 1.0
    steps = len(_CHARSET_FILL) * rows
    parts: list[str] = []
    for start in range(0, len(values), columns):
        if start:
            parts.append("\n")
        vals = values[start : start + columns]
        labs = labels[start : start + columns]
        has_labels = any(labs)
        row = 0
        while True:
            chars = [" "] * len(vals)
            more = False
            for j, v in enumerate(vals):
                # C: (int)(relval*steps) / relmax, truncated into an int
                step = int(int((v - lo) * steps) / relmax)
                step = min(max(step, 0), steps - 1)
                if row < rows:
                    idx = step - (rows - row - 1) * len(_CHARSET_FILL)
                    more = True
                    if 0 <= idx < len(_CHARSET_FILL):
                        chars[j] = _CHARSET_FILL[idx]
                    elif idx >= len(_CHARSET_FILL):
                        chars[j] = "|"
                else:
                    if has_labels and row - rows < _LABEL_MARGIN_TOP:
                        more = True
                        break
                    k = row - rows - _LABEL_MARGIN_TOP
                    if len(labs[j]) > k:
                        more = True
                        chars[j] = labs[j][k]
            if not more:
                break
            row += 1
            parts.append("".join(chars) + "\n")
    return "".join(parts)


def latency_graph(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY GRAPH event -> verbatim text: an ASCII graph of the event's samples

    Complexity: O(1)
    """
    found = _event(c, argv[2])
    if found is None:
        raise CommandError(b"ERR No samples available for event '%s'" % argv[2])
    event, ts = found
    now = int(time.time())
    values = [ms for _, ms in ts.samples]
    labels = [_ago(now - t) for t, _ in ts.samples]
    lo, hi = (min(values), max(values)) if values else (0, 0)
    text = (
        f"{event} - high {hi} ms, low {lo} ms (all time high {ts.max} ms)\n"
        + "-" * 80
        + "\n"
        + sparkline(values, labels)
    )
    return verbatim(text.encode("latin-1"), c.resp3)


def _thp_in_use() -> bool:
    """Anonymous huge pages in this process (redis ``THPGetAnonHugePagesSize``)."""
    for path in ("/proc/self/smaps_rollup", "/proc/self/smaps"):
        try:
            with open(path, "rb") as f:
                total = 0
                for line in f:
                    if line.startswith(b"AnonHugePages:"):
                        total += int(line.split()[1])
                return total > 0
        except (OSError, ValueError, IndexError):
            continue
    return False


_ADVICE = {
    "slowlog_enabled": "- There are latency issues with potentially slow commands you are using. "
    "Try to enable the Slow Log Redis feature using the command 'CONFIG SET "
    "slowlog-log-slower-than {us}'. If the Slow log is disabled Redis is not able to log slow "
    "commands execution for you.\n",
    "slowlog_tuning": "- Your current Slow Log configuration only logs events that are slower "
    "than your configured latency monitor threshold. Please use 'CONFIG SET "
    "slowlog-log-slower-than {us}'.\n",
    "slowlog_inspect": "- Check your Slow Log to understand what are the commands you are "
    "running which are too slow to execute. Please check https://redis.io/commands/slowlog "
    "for more information.\n",
    "scheduler": "- The system is slow to execute Redis code paths not containing system calls. "
    "This usually means the system does not provide Redis CPU time to run for long periods. "
    "You should try to:\n"
    "  1) Lower the system load.\n"
    "  2) Use a computer / VM just for Redis if you are running other software in the same "
    "system.\n"
    '  3) Check if you have a "noisy neighbour" problem.\n'
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your "
    "system.\n"
    "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if "
    "you are using Jemalloc. However this may create fragmentation problems.\n",
    "hz": "- In order to make the Redis keys expiring process more incremental, try to set the "
    "'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
    "large_objects": "- Deleting, expiring or evicting (because of maxmemory policy) large "
    "objects is a blocking operation. If you have very large objects that are often deleted, "
    "expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
    "mass_eviction": "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or "
    "allocation of large objects via sets or sorted sets intersections, STORE option of SORT, "
    "Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure "
    "forcing the server to block trying to evict keys. \n",
    "disable_thp": "- I detected a non zero amount of anonymous huge pages used by your process. "
    "This creates very serious latency events in different conditions, especially when Redis "
    "is persisting on disk. To disable THP support use the command 'echo never > "
    "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local "
    "so that the command will be executed again after a reboot. Note that even if you have "
    "already disabled THP, you still need to restart the Redis process to get rid of the huge "
    "pages already created.\n",
}


def latency_report(srv: Server) -> str:
    """LATENCY DOCTOR's text (redis ``createLatencyReport``), for the events
    this server has: commands, expiry and eviction."""
    mon = srv.latency
    if not mon.events and not mon.threshold:
        return (
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
            'instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in '
            "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
            "look at https://redis.io/topics/latency-monitor.\n"
        )
    report: list[str] = []
    advise: set[str] = set()
    advices = 0
    now = int(time.time())
    slower_than = srv.slowlog.slower_than
    for num, (event, ts) in enumerate(mon.events.items(), 1):
        if num == 1:
            report.append(
                "Dave, I have observed latency spikes in this Redis instance. "
                "You don't mind talking about it, do you Dave?\n\n"
            )
        values = [ms for _, ms in ts.samples]
        n = len(values)
        avg = sum(values) // n if n else 0
        mad = sum(abs(avg - v) for v in values) // n if n else 0
        period = 0
        if n:
            period = max(1, now - min(t for t, _ in ts.samples))
        report.append(
            f"{num}. {event}: {n} latency spikes (average {avg}ms, mean deviation {mad}ms, "
            f"period {period / n if n else float('nan'):.2f} sec). "
            f"Worst all time event {ts.max}ms."
        )
        low = event.lower()
        if low == "command":
            if slower_than < 0 or srv.slowlog.max_len == 0:
                advise.add("slowlog_enabled")
                advices += 1
            elif slower_than // 1000 > mon.threshold:
                advise.add("slowlog_tuning")
                advices += 1
            advise |= {"slowlog_inspect", "large_objects"}
            advices += 2
        elif low == "fast-command":
            advise.add("scheduler")
            advices += 1
        elif low == "expire-cycle":
            advise |= {"hz", "large_objects"}
            advices += 2
        elif low == "eviction-del":
            advise.add("large_objects")
            advices += 1
        elif low == "eviction-cycle":
            advise.add("mass_eviction")
            advices += 1
        report.append("\n")
    if _thp_in_use():
        advise.add("disable_thp")
        advices += 1
    events = len(mon.events)
    if events == 0 and advices == 0:
        report.append(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, "
            "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
            "stress pill, and think things over.\n"
        )
    elif events > 0 and advices == 0:
        report.append(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. "
            "Please use the Redis community to get some help, providing this report in your "
            "help request.\n"
        )
    else:
        report.append("\nI have a few advices for you:\n\n")
        us = mon.threshold * 1000
        for key in (
            "slowlog_enabled",
            "slowlog_tuning",
            "slowlog_inspect",
            "scheduler",
            "hz",
            "large_objects",
            "mass_eviction",
            "disable_thp",
        ):
            if key in advise and (key != "hz" or srv.config["hz"] < 100):
                report.append(_ADVICE[key].format(us=us))
    return "".join(report)


def latency_doctor(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY DOCTOR -> verbatim text: an analysis of the latency events

    Complexity: O(1)
    """
    return verbatim(latency_report(c.server).encode(), c.resp3)


def _cdf_reply(row: Command, resp3: bool) -> bytes:
    points = cdf(row.hist)
    buckets = map_reply([(integer(us), integer(n)) for us, n in points], resp3)
    return bulk(row.fullname) + map_reply(
        [
            (bulk(b"calls"), integer(sum(row.hist))),
            (bulk(b"histogram_usec"), buckets),
        ],
        resp3,
    )


def latency_histogram(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY HISTOGRAM [command ...] -> map of command to {calls, histogram_usec}

    histogram_usec maps µs to the calls that took at most that long
    (cumulative), at powers of two; unknown commands and commands not run
    are left out, a container lists its subcommands.
    Complexity: O(N) where N is the number of commands with latency information being retrieved
    """
    parts: list[bytes] = []
    if c.server.config["latency-tracking"]:
        if len(argv) == 2:
            rows = [r for r in c.server.table.all_rows()]
        else:
            rows = []
            for name in argv[2:]:
                row = lookup_fullname(c, name)
                if row is not None:
                    rows.append(row)
                    rows.extend(row.subcommands.values())
        parts = [_cdf_reply(r, c.resp3) for r in rows if any(r.hist)]
    n = len(parts)
    head = b"%%%d\r\n" % n if c.resp3 else array_header(2 * n)
    return head + b"".join(parts)


def latency_help(c: Client, argv: list[bytes]) -> bytes:
    """LATENCY HELP -> array of lines

    Complexity: O(1)
    """
    return help_reply(LATENCY_HELP)


_SRV = "server"


def make_commands() -> list[Command]:
    # Flags and arities as Redis 7.0's command table.
    sl = ADMIN | LOADING | STALE
    lat = ADMIN | NOSCRIPT | LOADING | STALE
    ls = LOADING | STALE
    return [
        Command(
            b"SLOWLOG",
            slowlog_container,
            -2,
            0,
            group=_SRV,
            since="2.2.12",
            subcommands=(
                Command(b"GET", slowlog_get, -2, sl, since="2.2.12"),
                Command(b"LEN", slowlog_len, 2, sl, since="2.2.12"),
                Command(b"RESET", slowlog_reset, 2, sl, since="2.2.12"),
                Command(b"HELP", slowlog_help, 2, ls, since="6.2.0"),
            ),
        ),
        Command(
            b"LATENCY",
            latency_container,
            -2,
            0,
            group=_SRV,
            since="2.8.13",
            subcommands=(
                Command(b"DOCTOR", latency_doctor, 2, lat, since="2.8.13"),
                Command(b"GRAPH", latency_graph, 3, lat, since="2.8.13"),
                Command(b"HISTORY", latency_history, 3, lat, since="2.8.13"),
                Command(b"LATEST", latency_latest, 2, lat, since="2.8.13"),
                Command(b"RESET", latency_reset, -2, lat, since="2.8.13"),
                Command(b"HISTOGRAM", latency_histogram, -2, lat, since="7.0.0"),
                Command(b"HELP", latency_help, 2, ls, since="2.8.13"),
            ),
        ),
    ]
