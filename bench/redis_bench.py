#!/usr/bin/env python3
"""Side-by-side redis-benchmark: cacheserver against the real redis-server.

Starts both servers on free ports and checks that every benchmarked command
gets a non-error reply from both: a failing command would otherwise be measured
as fast errors, or abort the run (redis-benchmark 7.0 exits at the first error
reply).  Tests that fail the check are skipped, with the reason.  Then runs
redis-benchmark against each server in alternation for several rounds and
prints the medians: req/s, p50/p99 latency and the server's CPU time per
request (utime+stime from /proc/PID/stat around each run; steadier than req/s
when the benchmark client shares the CPUs with the server).

    python3 bench/redis_bench.py                      # SET GET INCR MSET at -P 1 and -P 16
    python3 bench/redis_bench.py --tests set,get --pipelines 16 --rounds 5 --markdown

Adding a test: add a ``Bench`` row to ``BENCHES`` (see the examples there).
Standard library only, so it runs with any Python 3.11+.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
from common import REPO as REPO  # other scripts import these from here
from common import (
    cpu_seconds,
    fmt,
    free_ports,
    median_of,
    ratio,
    run_text,
    stop_all,
    wait_until,
)

# -- what is benchmarked --------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """One benchmarked command.

    ``args`` are the redis-benchmark arguments that select the test: either a
    built-in test (``-t set``) or a custom command line (``ZRANK myzset
    element:__rand_int__``).  ``checks`` are request templates sent once to each
    server before any run; an error reply to any of them skips the test.
    ``setup`` requests are sent to both servers before the first run (to fill a
    key that a read-only test reads), and ``setup_each`` once for every number
    of the key space (``-r``).  In templates, ``{data}`` stands for the
    benchmark's value and ``__rand_int__`` for a number written as
    redis-benchmark writes it.  ``scale`` multiplies the request count, so a
    command that does much more per request (MSET of 10 keys) runs about as long
    as the others.
    """

    name: str
    args: tuple[str, ...]
    checks: tuple[str, ...]
    setup: tuple[str, ...] = ()
    setup_each: str = ""
    scale: float = 1.0


def _builtin(name: str, *checks: str, scale: float = 1.0) -> Bench:
    return Bench(name, ("-t", name.lower()), checks, scale=scale)


def _custom(
    name: str, command: str, setup: tuple[str, ...] = (), setup_each: str = "", scale: float = 1.0
) -> Bench:
    return Bench(name, tuple(command.split()), (command,), setup, setup_each, scale)


# The request each built-in test sends is the one in redis-benchmark.c
# (benchmark() calls in main()); the checks repeat it.
BENCHES: dict[str, Bench] = {
    b.name.lower(): b
    for b in (
        _builtin("SET", "SET key:__rand_int__ {data}"),
        _builtin("GET", "GET key:__rand_int__"),
        _builtin("INCR", "INCR counter:__rand_int__"),
        _builtin("MSET", "MSET" + " key:__rand_int__ {data}" * 10, scale=0.2),
        # Ready for the next families (enable them with --tests once supported):
        _builtin("LPUSH", "LPUSH mylist {data}"),
        _builtin("LPOP", "LPOP mylist"),
        _builtin("SADD", "SADD myset element:__rand_int__"),
        _builtin("HSET", "HSET myhash element:__rand_int__ {data}"),
        _builtin("ZADD", "ZADD myzset 0 element:__rand_int__"),
        # redis-benchmark's LRANGE_100 and LRANGE_600, on a list of 600 values
        # (its own -t lrange_* runs an LPUSH test first, a second result row)
        _custom(
            "LRANGE_100",
            "LRANGE lrange 0 99",
            setup=("RPUSH lrange" + " {data}" * 600,),
            scale=0.25,
        ),
        _custom(
            "LRANGE_600",
            "LRANGE lrange 0 599",
            setup=("RPUSH lrange" + " {data}" * 600,),
            scale=0.05,
        ),
        # ten of the keys SET wrote (run it after SET)
        _custom("MGET", "MGET" + " key:__rand_int__" * 10, scale=0.2),
        _custom(
            "HGETALL",
            "HGETALL hgetall",  # 100 fields of 64 bytes
            setup=tuple(f"HSET hgetall f{i} {'v' * 64}" for i in range(100)),
            scale=0.25,
        ),
        _custom(
            "ZRANGE",
            "ZRANGE zrange 0 99 WITHSCORES",  # the first 100 of 1,000
            setup=tuple(f"ZADD zrange {i} m{i}" for i in range(1000)),
        ),
        _custom(
            "ZRANK",
            "ZRANK zrank m__rand_int__",
            setup_each="ZADD zrank __rand_int__ m__rand_int__",
        ),
        # a leaderboard: small increments of random members of a 100,000-member set
        _custom(
            "ZINCRBY",
            "ZINCRBY zincrby 1 m__rand_int__",
            setup_each="ZADD zincrby __rand_int__ m__rand_int__",
        ),
        # bitmaps: a bit of one of the key space's small bitmaps (the random
        # number cannot be an offset: redis-benchmark pads it with zeros,
        # which Redis refuses there), a population count over 1,000 bytes,
        # and a u8 counter
        _custom("SETBIT", "SETBIT bits:__rand_int__ 9 1"),
        _custom("GETBIT", "GETBIT bits:__rand_int__ 9", setup_each="SETBIT bits:__rand_int__ 9 1"),
        _custom("BITCOUNT", "BITCOUNT bitcount", setup=("SETBIT bitcount 7999 1",)),
        _custom("BITFIELD", "BITFIELD counters:__rand_int__ INCRBY u8 #3 1"),
        # one HyperLogLog (dense once it has a few thousand elements)
        _custom("PFADD", "PFADD hll e:__rand_int__"),
        # the 10 smallest of 100 numbers
        _custom(
            "SORT",
            "SORT sortlist LIMIT 0 10",
            setup=("RPUSH sortlist " + " ".join(str((i * 37) % 100) for i in range(100)),),
        ),
        # ZADD into a sorted set already holding every member of the key space:
        # run with --keyspace 1000 and --keyspace 1000000 to see how ZADD scales
        _custom(
            "ZADDFULL",
            "ZADD zfull __rand_int__ m__rand_int__",
            setup_each="ZADD zfull __rand_int__ m__rand_int__",
        ),
    )
}
DEFAULT_TESTS = ("set", "get", "incr", "mset")

# -- redis-benchmark output -----------------------------------------------------


@dataclass
class CsvRow:
    """One line of ``redis-benchmark --csv`` (latencies in milliseconds)."""

    test: str
    rps: float
    avg_ms: float | None = None
    min_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None


_CSV_COLUMNS = {
    "avg_latency_ms": "avg_ms",
    "min_latency_ms": "min_ms",
    "p50_latency_ms": "p50_ms",
    "p95_latency_ms": "p95_ms",
    "p99_latency_ms": "p99_ms",
    "max_latency_ms": "max_ms",
}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # "-nan" from an empty run


def parse_csv(text: str) -> list[CsvRow]:
    """Rows of ``redis-benchmark --csv`` output.

    Redis 7 prints a header (test, rps, avg/min/p50/p95/p99/max latency in ms);
    Redis 6 and older print no header and only ``"TEST","rps"``.  Lines that are
    not CSV rows (warnings, progress) are ignored; a row whose rps is not a
    number raises ValueError.
    """
    header: list[str] | None = None
    rows: list[CsvRow] = []
    lines = [line for line in text.splitlines() if line.startswith('"')]
    for fields in csv.reader(io.StringIO("\n".join(lines))):
        if not fields:
            continue
        if fields[0] == "test" and len(fields) > 1 and fields[1] == "rps":
            header = fields
            continue
        rps = _number(fields[1]) if len(fields) > 1 else None
        if rps is None:
            raise ValueError(f"bad redis-benchmark CSV row: {fields!r}")
        row = CsvRow(fields[0], rps)
        if header is not None:
            for column, value in zip(header[2:], fields[2:], strict=False):
                attr = _CSV_COLUMNS.get(column)
                if attr is not None:
                    setattr(row, attr, _number(value))
        rows.append(row)
    return rows


# -- talking to a server --------------------------------------------------------


def expand(template: str, data: bytes, rand: int = 0) -> list[bytes]:
    """A request template's arguments, with ``{data}`` and ``__rand_int__`` filled in.

    redis-benchmark replaces ``__rand_int__`` with a 12-digit zero-padded number.
    """
    argv = []
    for word in template.split():
        if word == "{data}":
            argv.append(data)
        else:
            argv.append(word.replace("__rand_int__", f"{rand:012d}").encode())
    return argv


def encode(argv: Sequence[bytes]) -> bytes:
    out = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class RespError(Exception):
    """An error reply (``-ERR ...``)."""


class Conn:
    """A minimal blocking RESP2 client: enough for checks, setup and INFO."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def call(self, argv: Sequence[bytes]) -> object:
        """Send one request; its reply (RespError raised)."""
        self.sock.sendall(encode(argv))
        return self._read()

    def pipeline(self, requests: Sequence[Sequence[bytes]]) -> list[object]:
        """Send requests in one write; their replies, error replies as RespError objects."""
        self.sock.sendall(b"".join(encode(argv) for argv in requests))
        replies: list[object] = []
        for _ in requests:
            try:
                replies.append(self._read())
            except RespError as e:
                replies.append(e)
        return replies

    def _read(self) -> object:
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self.file.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ValueError(f"unexpected reply line {line!r}")


def pongs(port: int) -> bool:
    """True when the server on ``port`` answers PING."""
    try:
        conn = Conn(port, timeout=1.0)
        try:
            return conn.call([b"PING"]) == b"PONG"
        finally:
            conn.close()
    except (OSError, RespError):
        return False


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Block until the server answers PING."""
    wait_until(proc, lambda: pongs(port), f"server on port {port}", timeout)


def error_count(port: int) -> int | None:
    """total_error_replies from INFO stats, or None where INFO lacks it."""
    try:
        conn = Conn(port)
        try:
            reply = conn.call([b"INFO", b"stats"])
        finally:
            conn.close()
    except (OSError, RespError, ConnectionError, ValueError):
        return None
    if not isinstance(reply, bytes):
        return None
    for line in reply.splitlines():
        if line.startswith(b"total_error_replies:"):
            return int(line.split(b":", 1)[1])
    return None


@dataclass
class Server(common.Server):
    """A RESP server: ready when it answers PING."""

    # error replies every redis-benchmark run gets besides the test's own: its
    # CONFIG GET save / appendonly at start, where the server lacks CONFIG
    baseline_errors: int = 0

    def ready(self) -> bool:
        return pongs(self.port)


def cacheserver(opts: argparse.Namespace, port: int, *extra: str) -> Server:
    """cacheserver on ``port`` (its memcached listener on any free port)."""
    argv = [
        opts.python, "-m", "cacheserver",
        "--port", str(port),
        "--memcached-port", "0",
        "--loglevel", "warning",
        "--event-loop", opts.event_loop,
        *extra,
    ]  # fmt: skip
    return Server("ours", argv, port)


def redis_server(opts: argparse.Namespace, port: int, *extra: str) -> Server:
    """The real redis-server on ``port``, without persistence."""
    argv = [
        opts.redis_server,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--loglevel", "warning",
        *extra,
    ]  # fmt: skip
    return Server("redis", argv, port)


# -- measuring ------------------------------------------------------------------


@dataclass
class Sample:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    cpu_us: float  # server CPU time per request, microseconds
    errors: int | None  # error replies the server sent during the run


@dataclass
class Result:
    bench: str
    pipeline: int
    requests: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def median(self, server: str, attr: str) -> float | None:
        return median_of(self.samples.get(server, []), attr)

    def errors(self, server: str) -> int | None:
        counts = [s.errors for s in self.samples.get(server, [])]
        return None if any(c is None for c in counts) else sum(c for c in counts if c)


def run_redis_benchmark(
    opts: argparse.Namespace,
    server: Server,
    pipeline: int,
    requests: int,
    *args: str,
    port: int | None = None,
) -> Sample:
    """One redis-benchmark run of ``args`` against ``server`` (at ``port``, by
    default its own) with the run options of ``opts``: its Sample, the server's
    CPU time and error replies read around it.  Raises RuntimeError when
    redis-benchmark fails or prints other than one result row."""
    cmd = [
        opts.redis_benchmark,
        "-h", "127.0.0.1",
        "-p", str(server.port if port is None else port),
        "-c", str(opts.clients),
        "-n", str(requests),
        "-d", str(opts.datasize),
        "-r", str(opts.keyspace),
        "-P", str(pipeline),
        "--csv",
        *args,
    ]  # fmt: skip
    errors_before = error_count(server.port)
    cpu_before = cpu_seconds(server.pid)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu_after = cpu_seconds(server.pid)
    errors_after = error_count(server.port)
    rows = parse_csv(done.stdout)
    if done.returncode != 0 or len(rows) != 1:
        output = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        raise RuntimeError(
            f"{shlex.join(cmd)} exited {done.returncode} with {len(rows)} rows: {output[-1]}"
        )
    row = rows[0]
    errors = None
    if errors_before is not None and errors_after is not None:
        errors = errors_after - errors_before - server.baseline_errors
    return Sample(
        rps=row.rps,
        p50_ms=row.p50_ms,
        p99_ms=row.p99_ms,
        cpu_us=(cpu_after - cpu_before) / requests * 1e6,
        errors=errors,
    )


def _requests(bench: Bench, data: bytes, keyspace: int) -> Iterator[list[bytes]]:
    for template in bench.checks + bench.setup:
        yield expand(template, data)
    if bench.setup_each:
        for i in range(keyspace):
            yield expand(bench.setup_each, data, i)


def check(
    benches: Iterable[Bench], servers: Sequence[Server], data: bytes, keyspace: int
) -> dict[str, str]:
    """Send each bench's checks and setup once to every server; {bench: why it fails}."""
    failed: dict[str, str] = {}
    for server in servers:
        conn = Conn(server.port, timeout=60.0)
        try:
            probe = [[b"CONFIG", b"GET", b"save"], [b"CONFIG", b"GET", b"appendonly"]]
            replies = conn.pipeline(probe)
            server.baseline_errors = sum(isinstance(r, RespError) for r in replies)
            for bench in benches:
                requests = _requests(bench, data, keyspace)
                while bench.name not in failed and (
                    batch := list(itertools.islice(requests, 1000))
                ):
                    for argv, reply in zip(batch, conn.pipeline(batch), strict=True):
                        if isinstance(reply, RespError) and bench.name not in failed:
                            shown = b" ".join(a[:20] for a in argv[:4]).decode(errors="replace")
                            why = str(reply).strip()
                            why = why if len(why) <= 80 else why[:77] + "..."
                            failed[bench.name] = f"{server.label}: {shown} -> -{why}"
        finally:
            conn.close()
    return failed


# -- reporting ------------------------------------------------------------------


def machine_info(opts: argparse.Namespace) -> dict[str, str]:
    probe = (
        "import sys, platform\n"
        "try:\n import uvloop; uv = uvloop.__version__\n"
        "except ImportError:\n uv = 'not installed'\n"
        "print(platform.python_implementation(), platform.python_version(), uv)\n"
    )
    impl, pyver, uvloop_version = (run_text([opts.python, "-c", probe]).split() + ["?"] * 3)[:3]
    loop = opts.event_loop
    if loop == "uvloop":
        loop = f"uvloop {uvloop_version}"
    return {
        **common.machine(),
        "python": f"{impl} {pyver} ({opts.python})",
        "event_loop": loop,
        "redis_server": run_text([opts.redis_server, "--version"]),
        "redis_benchmark": run_text([opts.redis_benchmark, "--version"]),
        "parameters": (
            f"-c {opts.clients} -d {opts.datasize} -r {opts.keyspace}, "
            f"median of {opts.rounds} rounds"
        ),
    }


HEADER = (
    "test", "P", "requests",
    "req/s ours", "req/s redis", "ratio",
    "p50 ours", "p50 redis", "p99 ours", "p99 redis",
    "cpu us/req ours", "cpu us/req redis", "cpu ratio",
)  # fmt: skip


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        m = r.median
        row = [
            r.bench,
            str(r.pipeline),
            str(r.requests),
            fmt(m("ours", "rps"), ".0f"),
            fmt(m("redis", "rps"), ".0f"),
            ratio(m("ours", "rps"), m("redis", "rps")),
            fmt(m("ours", "p50_ms"), ".3f"),
            fmt(m("redis", "p50_ms"), ".3f"),
            fmt(m("ours", "p99_ms"), ".3f"),
            fmt(m("redis", "p99_ms"), ".3f"),
            fmt(m("ours", "cpu_us"), ".2f"),
            fmt(m("redis", "cpu_us"), ".2f"),
            ratio(m("ours", "cpu_us"), m("redis", "cpu_us")),
        ]
        for server in ("ours", "redis"):
            errors = r.errors(server)
            if errors:
                row[0] += f" ({server}: {errors} error replies!)"
        rows.append(row)
    return rows


def render(
    info: dict[str, str], results: Sequence[Result], skipped: dict[str, str], markdown: bool
) -> str:
    out = [*common.info_lines(info, markdown), ""]
    out += common.table(HEADER, table_rows(results), markdown, left=1)
    if markdown:
        out.append("")
        out.append("Latencies in ms; ratio = ours / redis.")
        out.extend(f"- skipped {name}: {why}" for name, why in skipped.items())
    else:
        out.append("(latencies in ms; ratio = ours / redis)")
        out.extend(f"skipped {name}: {why}" for name, why in skipped.items())
    return "\n".join(out)


# -- main -----------------------------------------------------------------------


def _csv_words(text: str) -> list[str]:
    return [x.strip().lower() for x in text.split(",") if x.strip()]


def _csv_ints(text: str) -> list[int]:
    return [int(x) for x in _csv_words(text)]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument(
        "--tests",
        type=_csv_words,
        default=",".join(DEFAULT_TESTS),
        metavar="T,T",
        help=f"tests to run, from: {', '.join(BENCHES)} (default: %(default)s)",
    )
    p.add_argument(
        "--pipelines",
        type=_csv_ints,
        default="1,16",
        metavar="P,P",
        help="redis-benchmark -P values (default: %(default)s)",
    )
    p.add_argument(
        "--requests",
        type=int,
        default=100000,
        metavar="N",
        help="requests per run at -P 1, times the test's scale (0.2 for MSET) "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--pipelined-requests",
        type=int,
        metavar="N",
        help="requests per run at -P > 1, times the test's scale (default: 4 x --requests, "
        "so that the run lasts long enough for the CPU-time reading)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs per server and test; the table shows medians (default: %(default)s)",
    )
    p.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (default: 50)")
    p.add_argument("--datasize", type=int, default=64, help="redis-benchmark -d (default: 64)")
    p.add_argument(
        "--keyspace", type=int, default=100000, help="redis-benchmark -r (default: 100000)"
    )
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.add_argument("--json", metavar="PATH", help="also write every sample as JSON")
    p.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs cacheserver (default: this one)",
    )
    p.add_argument(
        "--event-loop",
        default="uvloop",
        choices=("uvloop", "asyncio"),
        help="cacheserver --event-loop (default: uvloop)",
    )
    p.add_argument(
        "--cacheserver-args", default="", metavar="ARGS", help="more cacheserver arguments"
    )
    p.add_argument("--redis-server", default="redis-server", metavar="PATH")
    p.add_argument("--redis-benchmark", default="redis-benchmark", metavar="PATH")
    opts = p.parse_args(argv)
    unknown = [t for t in opts.tests if t not in BENCHES]
    if unknown:
        p.error(f"unknown test(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    if opts.pipelined_requests is None:
        opts.pipelined_requests = 4 * opts.requests
    if opts.rounds < 1 or opts.requests < 1 or any(x < 1 for x in opts.pipelines):
        p.error("--rounds, --requests and --pipelines must be positive")
    return opts


def run_requests(opts: argparse.Namespace, bench: Bench, pipeline: int) -> int:
    base: int = opts.requests if pipeline == 1 else opts.pipelined_requests
    return max(1, round(base * bench.scale))


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    benches = [BENCHES[t] for t in opts.tests]
    data = b"x" * opts.datasize  # the checks' value: only its size matters
    ours_port, redis_port = free_ports(2)
    servers = [
        cacheserver(opts, ours_port, *shlex.split(opts.cacheserver_args)),
        redis_server(opts, redis_port),
    ]
    info = machine_info(opts)
    try:
        for server in servers:
            try:
                server.start()
            except (OSError, RuntimeError) as e:
                print(f"{server.label}: {e}", file=sys.stderr)
                return 2
        skipped = check(benches, servers, data, opts.keyspace)
        for name, why in skipped.items():
            print(f"skipping {name}: {why}", file=sys.stderr)
        benches = [b for b in benches if b.name not in skipped]
        runs = [
            (b, Result(b.name, p, run_requests(opts, b, p)))
            for b in benches
            for p in opts.pipelines
        ]
        for rnd in range(opts.rounds):
            # alternate which server goes first, so neither always runs on a warmer machine
            order = servers if rnd % 2 == 0 else servers[::-1]
            for bench, result in runs:
                for server in order:
                    if bench.name in skipped:
                        break
                    try:
                        sample = run_redis_benchmark(
                            opts, server, result.pipeline, result.requests, *bench.args
                        )
                    except RuntimeError as e:
                        # redis-benchmark exits on some error replies to custom commands
                        skipped[bench.name] = f"{server.label}: {e}"
                        print(f"dropping {bench.name}: {e}", file=sys.stderr)
                        break
                    result.samples.setdefault(server.label, []).append(sample)
                    print(
                        f"round {rnd + 1}/{opts.rounds} {result.bench} -P {result.pipeline} "
                        f"{server.label}: {sample.rps:.0f} req/s, {sample.cpu_us:.2f} us/req",
                        file=sys.stderr,
                    )
    finally:
        stop_all(servers)
    results = [r for b, r in runs if b.name not in skipped]
    print(render(info, results, skipped, opts.markdown))
    if opts.json:
        os.makedirs(os.path.dirname(os.path.abspath(opts.json)), exist_ok=True)
        with open(opts.json, "w") as f:
            json.dump(
                {
                    "info": info,
                    "skipped": skipped,
                    "results": [asdict(r) for r in results],
                },
                f,
                indent=1,
            )
    return 1 if any(r.errors(s) for r in results for s in ("ours", "redis")) else 0


if __name__ == "__main__":
    sys.exit(main())
