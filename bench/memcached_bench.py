#!/usr/bin/env python3
"""Side-by-side memaslap: cacheserver's memcached listener against the real memcached.

Starts cacheserver (``python -m cacheserver --memcached-port P``) and memcached
on free ports, checks that a set and a get of the benchmark's value size work
on both, then runs memaslap (libmemcached-tools, installed as ``memcaslap`` on
Debian) against each server in alternation: set, get, and a multi-get of 16
keys, for each value size, at 50 connections.  Prints the medians of the
rounds: requests/s in steady state, average latency, and the server's CPU
time per operation (utime+stime from /proc/PID/stat around each run; steadier
than req/s when memaslap and the server share the CPUs).

    python3 bench/memcached_bench.py                        # set get mget16 x 64 1024 B, 1 round
    python3 bench/memcached_bench.py --rounds 3 --seconds 6 --markdown
    python3 bench/memcached_bench.py --tests get --sizes 64 --python .venv/bin/python

How memaslap is driven: ``-T <threads> -c <connections> -X <size> -t <s>s
-w 1k -S 1s -F <config>`` (``-d 16`` for the multi-get), where the config
file gives the set/get proportions.  A get test first stores the keys it
will read (``-w`` keys per connection); memaslap's per-second table counts
gets and sets apart, and req/s is the median of its seconds after the first,
so the preload does not count.  A multi-get request of 16 keys counts once.
Standard library only, so it runs with any Python 3.11+.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
from common import cpu_seconds, fmt, free_ports, median_of, ratio, run_text


@dataclass(frozen=True)
class Test:
    name: str
    kind: str  # "set" or "get": which of memaslap's tables to read
    division: int = 1  # keys per get request (memaslap -d)


TESTS = {
    "set": Test("set", "set"),
    "get": Test("get", "get"),
    "mget16": Test("mget16", "get", 16),
}

# -- memaslap's output -------------------------------------------------------------


@dataclass
class MemaslapRun:
    periods: list[float]  # ops/s of each reported second, in the test's table
    avg_us: float | None  # the table's last Global average latency
    misses: int  # the table's Global Get_miss
    total_ops: int  # every operation, preload included ("Run time" line)

    @property
    def steady_rps(self) -> float | None:
        """Median of the seconds after the first (which holds a get test's preload)."""
        rest = self.periods[1:] or self.periods
        return statistics.median(rest) if rest else None


_ROW = re.compile(
    r"^(Period|Global)\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+(\d+)\s+\d+\s+\d+\s+(\d+)", re.M
)


def parse_memaslap(text: str, kind: str) -> MemaslapRun:
    """The per-second rates of the ``Get``/``Set Statistics`` table (kind
    ``get``/``set``), its last Global latency and misses, and the total ops."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    title = "Get Statistics" if kind == "get" else "Set Statistics"
    periods: list[float] = []
    avg: float | None = None
    misses = 0
    for block in text.split(title + "\n")[1:]:
        # a table runs until the next blank line
        table = block.split("\n\n", 1)[0]
        for m in _ROW.finditer(table):
            if m.group(1) == "Period":
                periods.append(float(m.group(4)))
            else:
                misses = int(m.group(5))
                avg = float(m.group(6))
    total = re.search(r"Run time: [\d.]+s Ops: (\d+)", text)
    return MemaslapRun(periods, avg, misses, int(total.group(1)) if total else 0)


# -- servers -----------------------------------------------------------------------


def mc_call(port: int, data: bytes, end: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        while not buf.endswith(end):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        return buf


class Server(common.Server):
    """A memcached-protocol server: ready when it answers ``version``."""

    def ready(self) -> bool:
        try:
            return mc_call(self.port, b"version\r\n", b"\r\n", 1.0).startswith(b"VERSION")
        except OSError:
            return False


def check(server: Server, size: int) -> str | None:
    """None when a set and a get of a ``size``-byte value work, else the reply."""
    value = b"v" * size
    want = b"STORED\r\nVALUE bench:check 0 %d\r\n%s\r\nEND\r\n" % (size, value)
    reply = mc_call(
        server.port,
        b"set bench:check 0 0 %d\r\n%s\r\nget bench:check\r\n" % (size, value),
        b"END\r\n",
    )
    return None if reply == want else repr(reply[:200])


# -- measuring ---------------------------------------------------------------------


@dataclass
class Sample:
    rps: float | None
    avg_us: float | None
    cpu_us: float | None  # server CPU per operation, preload included
    misses: int


@dataclass
class Result:
    test: str
    size: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def median(self, server: str, attr: str) -> float | None:
        return median_of(self.samples.get(server, []), attr)


def run_memaslap(opts: argparse.Namespace, server: Server, test: Test, size: int) -> Sample:
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "memaslap.cfg")
        set_prop, get_prop = (1.0, 0.0) if test.kind == "set" else (0.0, 1.0)
        with open(cfg, "w") as f:
            f.write(f"key\n16 16 1\nvalue\n{size} {size} 1\ncmd\n0 {set_prop}\n1 {get_prop}\n")
        argv = [
            opts.memaslap, "-s", f"127.0.0.1:{server.port}", "-T", str(opts.threads),
            "-c", str(opts.connections), "-X", str(size), "-t", f"{opts.seconds}s",
            "-w", "1k", "-S", "1s", "-F", cfg,
        ]  # fmt: skip
        if test.division > 1:
            argv += ["-d", str(test.division)]
        before = cpu_seconds(server.pid)
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        cpu = cpu_seconds(server.pid) - before
    run = parse_memaslap(done.stdout, test.kind)
    cpu_us = cpu / run.total_ops * 1e6 if run.total_ops else None
    return Sample(run.steady_rps, run.avg_us, cpu_us, run.misses)


# -- report ------------------------------------------------------------------------


def _first_line(argv: Sequence[str]) -> str:
    return (run_text(argv).splitlines() or [""])[0]


def machine_info(opts: argparse.Namespace) -> dict[str, str]:
    pyver = _first_line([opts.python, "-c", "import platform; print(platform.python_version())"])
    return {
        **common.machine(),
        "python": f"{pyver} ({opts.python}), {opts.event_loop}",
        "memcached": _first_line([opts.memcached, "-V"]) + (f" ({opts.memcached_args})" if opts.memcached_args else ""),
        "memaslap": _first_line([opts.memaslap, "-V"]),
        "parameters": (
            f"{opts.connections} connections, {opts.threads} memaslap threads, "
            f"{opts.seconds} s per run, median of {opts.rounds} rounds"
        ),
    }


HEADER = (
    "test", "value", "req/s ours", "req/s memcached", "ratio",
    "avg us ours", "avg us memcached", "cpu us/op ours", "cpu us/op memcached", "cpu ratio",
)  # fmt: skip


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        m = r.median
        row = [
            r.test,
            f"{r.size} B",
            fmt(m("ours", "rps"), ".0f"),
            fmt(m("memcached", "rps"), ".0f"),
            ratio(m("ours", "rps"), m("memcached", "rps")),
            fmt(m("ours", "avg_us"), ".0f"),
            fmt(m("memcached", "avg_us"), ".0f"),
            fmt(m("ours", "cpu_us"), ".2f"),
            fmt(m("memcached", "cpu_us"), ".2f"),
            ratio(m("ours", "cpu_us"), m("memcached", "cpu_us")),
        ]
        for server in ("ours", "memcached"):
            missed = sum(s.misses for s in r.samples.get(server, []))
            if missed:
                row[0] += f" ({server}: {missed} get misses!)"
        rows.append(row)
    return rows


def render(info: dict[str, str], results: Sequence[Result], markdown: bool) -> str:
    out = [*common.info_lines(info, markdown), ""]
    out += common.table(HEADER, table_rows(results), markdown, left=2)
    if markdown:
        out += ["", "ratio = ours / memcached; req/s counts a 16-key multi-get once."]
    else:
        out.append("(ratio = ours / memcached)")
    return "\n".join(out)


# -- main --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default=sys.executable, help="interpreter that runs cacheserver")
    p.add_argument("--event-loop", default="uvloop", choices=("uvloop", "asyncio"))
    p.add_argument("--memcached", default="memcached")
    p.add_argument("--memaslap", default=shutil.which("memcaslap") or shutil.which("memaslap") or "memaslap")
    p.add_argument("--tests", default="set,get,mget16", help="of " + ",".join(TESTS))
    p.add_argument("--sizes", default="64,1024", help="value sizes in bytes")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--threads", type=int, default=2, help="memaslap threads")
    p.add_argument("--seconds", type=int, default=4, help="length of each run")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--json", help="write every sample to this file")
    p.add_argument("--cacheserver-args", default="", help="extra cacheserver flags")
    p.add_argument("--memcached-args", default="", help="extra memcached flags (e.g. '-t 1')")
    opts = p.parse_args(argv)
    opts.tests = [TESTS[t.strip()] for t in opts.tests.split(",") if t.strip()]
    opts.sizes = [int(s) for s in opts.sizes.split(",") if s.strip()]
    return opts


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    for tool in (opts.memcached, opts.memaslap):
        if shutil.which(tool) is None:
            print(f"{tool} not found (Debian: memcached, libmemcached-tools)", file=sys.stderr)
            return 2
    redis_port, ours_port, real_port = free_ports(3)
    real_argv = [opts.memcached, "-p", str(real_port), "-U", "0", "-l", "127.0.0.1", "-m", "1024"]
    if os.geteuid() == 0:
        real_argv += ["-u", "root"]  # memcached refuses root without -u
    real_argv += shlex.split(opts.memcached_args)
    servers = [
        Server(
            "ours",
            [
                opts.python, "-m", "cacheserver", "--port", str(redis_port),
                "--memcached-port", str(ours_port), "--loglevel", "warning",
                "--event-loop", opts.event_loop, *shlex.split(opts.cacheserver_args),
            ],
            ours_port,
        ),
        Server("memcached", real_argv, real_port),
    ]  # fmt: skip
    info = machine_info(opts)
    results: list[Result] = []
    try:
        for s in servers:
            s.start()
        for size in opts.sizes:
            for s in servers:
                bad = check(s, size)
                if bad is not None:
                    print(f"{s.label}: set/get of {size} bytes failed: {bad}", file=sys.stderr)
                    return 1
        for test in opts.tests:
            for size in opts.sizes:
                result = Result(test.name, size)
                for rnd in range(opts.rounds):
                    order = servers if rnd % 2 == 0 else servers[::-1]
                    for s in order:
                        sample = run_memaslap(opts, s, test, size)
                        result.samples.setdefault(s.label, []).append(sample)
                        print(
                            f"round {rnd + 1} {test.name} {size} B {s.label}: "
                            f"{fmt(sample.rps, '.0f')} req/s, {fmt(sample.cpu_us, '.2f')} cpu us/op",
                            file=sys.stderr,
                        )
                results.append(result)
    finally:
        for s in servers:
            s.stop()
    print(render(info, results, opts.markdown))
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"info": info, "results": [asdict(r) for r in results]}, f, indent=1)
    missed = any(s.misses for r in results for ss in r.samples.values() for s in ss)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
