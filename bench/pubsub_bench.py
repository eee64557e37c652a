#!/usr/bin/env python3
"""PUBLISH fan-out, cacheserver next to redis-server: messages delivered per second.

For each subscriber count (1, 10, 100 by default) and each server, a separate
process opens that many raw connections, SUBSCRIBEs each to one channel and
counts the messages arriving (asyncio, uvloop when installed); then
``redis-benchmark`` PUBLISHes to the channel, pipelined.  Deliveries per second
are measured at the subscribers, from the first message to the last; the
server's CPU time per delivered message comes from /proc around the run.

    python3 bench/pubsub_bench.py                       # 1, 10, 100 subscribers
    python3 bench/pubsub_bench.py --markdown            # the table for bench/README.md
    python3 bench/pubsub_bench.py --subscribers 1,1000 --deliveries 1000000

Each run delivers about ``--deliveries`` messages (PUBLISH count = deliveries /
subscribers).  Both servers run with ``client-output-buffer-limit pubsub 0 0 0``
so that a subscriber process that falls behind is measured, not disconnected.
Needs redis-server and redis-benchmark; uses redis_bench.py's and common.py's helpers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
from common import cpu_seconds, free_ports
from redis_bench import Conn, Server, cacheserver, machine_info, redis_server

CHANNEL = b"bench"
MARKER = b"$7\r\nmessage\r\n"  # one per delivered message


# -- the subscriber process -------------------------------------------------------


class Counter(asyncio.Protocol):
    """One subscribed connection: counts message markers, across chunk edges."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.tail = b""
        self.subscribed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL))  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        buf = self.tail + data
        if not self.subscribed:
            if b"subscribe" not in buf:
                self.tail = buf
                return
            self.subscribed = True
            self.stats.subscribed += 1
            cut = buf.index(b"subscribe")
            buf = buf[cut + 9 :]
        n = buf.count(MARKER)
        # a marker cut by the chunk edge is counted with the next chunk
        self.tail = buf[-(len(MARKER) - 1) :]
        if n:
            s = self.stats
            now = time.perf_counter()
            if not s.count:
                s.first = now
            s.count += n
            s.last = now
            if s.count >= s.expected and s.done is not None and not s.done.done():
                s.done.set_result(None)


class Stats:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.subscribed = 0
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done: asyncio.Future[None] | None = None


async def subscribe_and_count(port: int, n: int, expected: int, idle: float) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats(expected)
    stats.done = loop.create_future()
    transports = []
    for _ in range(n):
        t, _p = await loop.create_connection(lambda: Counter(stats), "127.0.0.1", port)
        transports.append(t)
    while stats.subscribed < n:
        await asyncio.sleep(0.005)
    print("ready", flush=True)
    # done when every message arrived, or after `idle` seconds without one
    seen = -1
    while not stats.done.done() and seen != stats.count:
        seen = stats.count
        try:
            await asyncio.wait_for(asyncio.shield(stats.done), idle)
        except TimeoutError:
            pass
    print(f"done {stats.count} {stats.first:.6f} {stats.last:.6f}", flush=True)
    for t in transports:
        t.close()


def subscriber_main(argv: Sequence[str]) -> int:
    port, n, expected = (int(x) for x in argv[:3])
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(subscribe_and_count(port, n, expected, idle=5.0))
    return 0


# -- the driver -----------------------------------------------------------------------


@dataclass
class Run:
    server: str
    subscribers: int
    publishes: int
    delivered: int
    seconds: float  # first to last message, at the subscribers
    publish_rps: float | None  # redis-benchmark's figure
    cpu_us: float  # server CPU per delivered message

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0


def run_one(opts: argparse.Namespace, server: Server, n: int) -> Run:
    # redis-benchmark sends whole pipelines: a multiple of -c x -P is sent exactly
    step = opts.clients * opts.pipeline
    publishes = max(1, round(opts.deliveries / n / step)) * step
    expected = publishes * n
    sub = subprocess.Popen(
        [
            opts.python,
            os.path.abspath(__file__),
            "--subscriber-process",
            str(server.port),
            str(n),
            str(expected),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sub.stdout is not None
        line = sub.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"subscriber process for {server.label}: {line!r}")
        payload = "x" * opts.size
        cmd = [
            opts.redis_benchmark,
            "-h", "127.0.0.1",
            "-p", str(server.port),
            "-c", str(opts.clients),
            "-n", str(publishes),
            "-P", str(opts.pipeline),
            "--csv",
            "PUBLISH", CHANNEL.decode(), payload,
        ]  # fmt: skip
        cpu0 = cpu_seconds(server.pid)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        result = sub.stdout.readline().split()
        cpu1 = cpu_seconds(server.pid)
    finally:
        sub.wait(30)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)}: {done.stderr.strip() or done.stdout.strip()}")
    if len(result) != 4 or result[0] != "done":
        raise RuntimeError(f"subscriber process for {server.label}: {result!r}")
    count, first, last = int(result[1]), float(result[2]), float(result[3])
    if count < expected:
        print(
            f"warning: {server.label} with {n} subscribers delivered {count} of {expected}",
            file=sys.stderr,
        )
    rps = None
    rows = [r for r in done.stdout.splitlines() if r.startswith('"PUBLISH')]
    if rows:
        try:
            rps = float(rows[0].split(",")[1].strip('"'))
        except (IndexError, ValueError):
            rps = None
    return Run(
        server.label, n, publishes, count, last - first, rps, (cpu1 - cpu0) * 1e6 / max(count, 1)
    )


def median_run(runs: list[Run]) -> Run:
    """The run with the median delivery rate."""
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def render(runs: list[Run], opts: argparse.Namespace, info: dict[str, str], markdown: bool) -> str:
    lines = [*common.info_lines(info, markdown), ""] if markdown else []
    header = [
        "subscribers", "PUBLISH", "msgs/s ours", "msgs/s redis", "ratio",
        "PUBLISH/s ours", "PUBLISH/s redis", "cpu us/msg ours", "cpu us/msg redis",
    ]  # fmt: skip
    rows = []
    for n in opts.subscribers:
        ours = median_run([r for r in runs if r.server == "ours" and r.subscribers == n])
        real = median_run([r for r in runs if r.server == "redis" and r.subscribers == n])
        rows.append(
            [
                str(n),
                str(ours.publishes),
                f"{ours.rate:.0f}",
                f"{real.rate:.0f}",
                f"{ours.rate / real.rate:.2f}" if real.rate else "-",
                "-" if ours.publish_rps is None else f"{ours.publish_rps:.0f}",
                "-" if real.publish_rps is None else f"{real.publish_rps:.0f}",
                f"{ours.cpu_us:.2f}",
                f"{real.cpu_us:.2f}",
            ]
        )
    lines += common.table(header, rows, markdown)
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--subscribers", default="1,10,100", help="subscriber counts (default: %(default)s)"
    )
    p.add_argument(
        "--deliveries",
        type=int,
        default=1_000_000,
        help="messages delivered per run (default: %(default)s)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs per server and count; medians shown (default: 1)",
    )
    p.add_argument("--size", type=int, default=64, help="message bytes (default: %(default)s)")
    p.add_argument(
        "--clients", type=int, default=10, help="redis-benchmark -c (default: %(default)s)"
    )
    p.add_argument(
        "--pipeline", type=int, default=16, help="redis-benchmark -P (default: %(default)s)"
    )
    p.add_argument(
        "--markdown", action="store_true", help="print a markdown table with the machine line"
    )
    p.add_argument(
        "--python", default=sys.executable, help="interpreter for cacheserver and the subscribers"
    )
    p.add_argument("--event-loop", default="uvloop", choices=("uvloop", "asyncio"))
    p.add_argument("--redis-server", default="redis-server", metavar="PATH")
    p.add_argument("--redis-benchmark", default="redis-benchmark", metavar="PATH")
    opts = p.parse_args(argv)
    opts.subscribers = [int(x) for x in opts.subscribers.split(",") if x]
    # machine_info reads these
    opts.datasize, opts.keyspace = opts.size, 0
    return opts


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["--subscriber-process"]:
        return subscriber_main(args[1:])
    opts = parse_args(args)
    ours_port, redis_port = free_ports(2)
    servers = [
        cacheserver(opts, ours_port, "--client-output-buffer-limit", "pubsub", "0", "0", "0"),
        redis_server(opts, redis_port, "--client-output-buffer-limit", "pubsub 0 0 0"),
    ]
    info = machine_info(opts)
    info["parameters"] = (
        f"{opts.deliveries} deliveries per run, {opts.size}-byte messages, "
        f"redis-benchmark -c {opts.clients} -P {opts.pipeline}, "
        + ("one run" if opts.rounds == 1 else f"median of {opts.rounds} runs")
        + " per server and count"
    )
    runs: list[Run] = []
    try:
        for s in servers:
            s.start()
            conn = Conn(s.port)
            try:
                assert conn.call([b"PUBLISH", CHANNEL, b"check"]) == 0
            finally:
                conn.close()
        for r in range(opts.rounds):
            for i, n in enumerate(opts.subscribers):
                order = servers if (i + r) % 2 == 0 else servers[::-1]
                for s in order:
                    runs.append(run_one(opts, s, n))
    finally:
        for s in servers:
            s.stop()
    print(render(runs, opts, info, opts.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
