#!/usr/bin/env python3
"""Side-by-side MULTI/SET/INCR/EXEC: cacheserver against the real redis-server.

redis-benchmark sends one command per request, so this script is the client:
each of ``--clients`` connections writes ``-P`` transactions at a time
(``MULTI``, ``SET key:<n> <data>``, ``INCR counter:<n>``, ``EXEC``, all in one
write) and reads until the last EXEC reply, until ``--transactions`` have run
in all.  Every reply is checked once before the runs (MULTI +OK, +QUEUED,
EXEC's array).  The servers run in alternation for ``--rounds`` rounds; the
table shows medians of transactions per second and of the server's CPU time
per transaction (utime+stime from /proc/PID/stat around each run).

    python3 bench/multi_bench.py                      # -P 1 and 16, 3 rounds
    python3 bench/multi_bench.py --pipelines 16 --rounds 1 --transactions 50000

Uses redis_bench.py's servers and common.py; standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import time
from collections.abc import Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import cpu_seconds, free_ports, stop_all, table
from redis_bench import cacheserver, encode, redis_server

EXEC_REPLY = b"*2\r\n"  # EXEC's reply header; no other reply here contains it


def transaction(key: bytes, data: bytes) -> bytes:
    return (
        encode([b"MULTI"])
        + encode([b"SET", b"key:" + key, data])
        + encode([b"INCR", b"counter:" + key])
        + encode([b"EXEC"])
    )


async def check(port: int, data: bytes) -> None:
    """One transaction; its replies must be exactly what Redis sends."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode([b"SET", b"counter:check", b"0"]) + transaction(b"check", data))
    want = b"+OK\r\n" * 2 + b"+QUEUED\r\n" * 2 + b"*2\r\n+OK\r\n:1\r\n"
    got = await reader.readexactly(len(want))
    writer.close()
    if got != want:
        raise RuntimeError(f"port {port}: unexpected replies {got!r}")


async def client(port: int, n: int, pipeline: int, rounds: int, data: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    batch = transaction(b"%d" % n, data) * pipeline
    for _ in range(rounds):
        writer.write(batch)
        seen = 0
        tail = b""
        while seen < pipeline:
            chunk = await reader.read(1 << 16)
            if not chunk:
                raise RuntimeError("connection closed")
            buf = tail + chunk
            seen += buf.count(EXEC_REPLY)
            tail = buf[-3:]  # a marker cut in two is counted once, with the next chunk
    writer.close()


async def run(port: int, clients: int, pipeline: int, total: int, data: bytes) -> float:
    per_client = max(1, total // (clients * pipeline))
    t0 = time.perf_counter()
    await asyncio.gather(*(client(port, i, pipeline, per_client, data) for i in range(clients)))
    return time.perf_counter() - t0


HEADER = ("P", "tx/s ours", "tx/s redis", "ratio", "cpu us/tx ours", "cpu us/tx redis", "cpu ratio")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--pipelines", default="1,16", help="transactions per write (default: 1,16)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--transactions", type=int, default=100000, help="per run (default: 100000)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--datasize", type=int, default=64)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--event-loop", default="uvloop", choices=("uvloop", "asyncio"))
    p.add_argument("--redis-server", default="redis-server")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    pipelines = [int(x) for x in opts.pipelines.split(",")]
    data = b"x" * opts.datasize
    ours_port, redis_port = free_ports(2)
    servers = [cacheserver(opts, ours_port), redis_server(opts, redis_port)]
    # (tx/s, cpu us/tx) samples by (pipeline, server)
    samples: dict[tuple[int, str], list[tuple[float, float]]] = {}
    try:
        for server in servers:
            server.start()
            asyncio.run(check(server.port, data))
        for rnd in range(opts.rounds):
            order = servers if rnd % 2 == 0 else servers[::-1]
            for pipeline in pipelines:
                for server in order:
                    per_client = max(1, opts.transactions // (opts.clients * pipeline))
                    done = per_client * opts.clients * pipeline
                    cpu0 = cpu_seconds(server.pid)
                    secs = asyncio.run(run(server.port, opts.clients, pipeline, done, data))
                    cpu = cpu_seconds(server.pid) - cpu0
                    sample = (done / secs, cpu / done * 1e6)
                    samples.setdefault((pipeline, server.label), []).append(sample)
                    print(
                        f"round {rnd + 1}/{opts.rounds} -P {pipeline} {server.label}: "
                        f"{sample[0]:.0f} tx/s, {sample[1]:.2f} us/tx",
                        file=sys.stderr,
                    )
    finally:
        stop_all(servers)
    print(f"MULTI/SET/INCR/EXEC, -c {opts.clients} -d {opts.datasize}, median of {opts.rounds}")
    print(f"python {shlex.quote(opts.python)}, event loop {opts.event_loop}, {os.cpu_count()} CPUs")
    rows = []
    for pipeline in pipelines:
        o = samples[(pipeline, "ours")]
        r = samples[(pipeline, "redis")]
        ot, oc = statistics.median(s[0] for s in o), statistics.median(s[1] for s in o)
        rt, rc = statistics.median(s[0] for s in r), statistics.median(s[1] for s in r)
        rows.append(
            [f"{pipeline}", f"{ot:.0f}", f"{rt:.0f}", f"{ot / rt:.2f}",
             f"{oc:.2f}", f"{rc:.2f}", f"{oc / rc:.2f}"]
        )  # fmt: skip
    print("\n".join(table(HEADER, rows, markdown=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
