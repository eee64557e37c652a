#!/usr/bin/env python3
"""What ACL costs: redis-benchmark GET/SET as the default user and as a user
restricted to ``~key:* +@all``, on cacheserver and on the real redis-server.

Each server gets the user ``bench`` (``ACL SETUSER bench on >bench ~key:*
+@all``); redis-benchmark's random keys (``-r``) are ``key:<12 digits>``, so
every request is allowed and goes through the key-pattern check.  Before the
runs each command is checked as that user (redis-benchmark counts error
replies as requests), and after each run the server's error count must not
have moved.  The servers and the modes run in alternation for ``--rounds``
rounds; the table shows medians of requests per second and of the server's
CPU time per request (utime+stime from /proc/PID/stat around each run), the
ratio ACL on / off per server, and ours / redis-server with ACL on.

    python3 bench/acl_bench.py                        # -P 1 and 16, 3 rounds
    python3 bench/acl_bench.py --pipelines 16 --rounds 1 --requests 200000

Uses redis_bench.py's servers and common.py; standard library only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import free_ports, info_lines, machine, stop_all, table
from redis_bench import Conn, Server, cacheserver, redis_server, run_redis_benchmark

USER, PASSWORD = b"bench", b"bench"
MODES = ("default", "acl")


def setup(port: int, data: bytes) -> None:
    """Create the user, then check GET and SET succeed as it."""
    conn = Conn(port)
    try:
        conn.call([b"ACL", b"SETUSER", USER, b"reset", b"on", b">" + PASSWORD, b"~key:*", b"+@all"])
        assert conn.call([b"AUTH", USER, PASSWORD]) == b"OK"
        assert conn.call([b"SET", b"key:000000000001", data]) == b"OK"
        assert conn.call([b"GET", b"key:000000000001"]) == data
        try:
            conn.call([b"GET", b"other"])
        except Exception:
            pass
        else:
            raise RuntimeError(f"port {port}: the user may read keys outside ~key:*")
    finally:
        conn.close()


def run(
    opts: argparse.Namespace, server: Server, test: str, mode: str, pipeline: int
) -> tuple[float, float]:
    """One redis-benchmark run: (requests/s, server CPU us per request)."""
    requests = opts.requests * (4 if pipeline > 1 else 1)
    auth = ["--user", USER.decode(), "-a", PASSWORD.decode()] if mode == "acl" else []
    sample = run_redis_benchmark(opts, server, pipeline, requests, "-t", test, *auth)
    if sample.errors:
        raise RuntimeError(f"{server.label} {test} {mode}: {sample.errors} error replies")
    return sample.rps, sample.cpu_us


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--pipelines", default="1,16", help="redis-benchmark -P values (default 1,16)")
    p.add_argument("--tests", default="get,set")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=100000, help="per -P 1 run; x4 when pipelined")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--datasize", type=int, default=64)
    p.add_argument("--keyspace", type=int, default=100000)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--event-loop", default="uvloop", choices=("uvloop", "asyncio"))
    p.add_argument("--redis-server", default="redis-server")
    p.add_argument("--redis-benchmark", default="redis-benchmark")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    pipelines = [int(x) for x in opts.pipelines.split(",")]
    tests = opts.tests.split(",")
    data = b"x" * opts.datasize
    ours_port, redis_port = free_ports(2)
    servers = [cacheserver(opts, ours_port), redis_server(opts, redis_port)]
    samples: dict[tuple[str, int, str, str], list[tuple[float, float]]] = {}
    try:
        for server in servers:
            server.start()
            setup(server.port, data)
        for rnd in range(opts.rounds):
            order = servers if rnd % 2 == 0 else servers[::-1]
            modes = MODES if rnd % 2 == 0 else MODES[::-1]
            for pipeline in pipelines:
                for test in tests:
                    for server in order:
                        for mode in modes:
                            sample = run(opts, server, test, mode, pipeline)
                            key = (test, pipeline, server.label, mode)
                            samples.setdefault(key, []).append(sample)
                            print(
                                f"round {rnd + 1}/{opts.rounds} {test} -P {pipeline} "
                                f"{server.label} {mode}: {sample[0]:.0f} req/s, "
                                f"{sample[1]:.2f} us/req",
                                file=sys.stderr,
                            )
    finally:
        stop_all(servers)

    def med(test: str, pipeline: int, label: str, mode: str, i: int) -> float:
        return statistics.median(s[i] for s in samples[(test, pipeline, label, mode)])

    info = machine()
    info["python"] = f"{opts.python} ({sys.version.split()[0]}), event loop {opts.event_loop}"
    info["run"] = (
        f"-c {opts.clients} -d {opts.datasize} -r {opts.keyspace}, "
        f"median of {opts.rounds} rounds; acl = user '~key:* +@all'"
    )
    print("\n".join(info_lines(info, opts.markdown)))
    print()
    header = (
        "test", "P",
        "ours req/s", "ours acl req/s", "ours acl/off",
        "redis req/s", "redis acl req/s", "redis acl/off",
        "ours/redis (acl)",
        "ours us/req", "ours acl us/req", "redis us/req", "redis acl us/req",
    )  # fmt: skip
    rows = []
    for pipeline in pipelines:
        for test in tests:
            o, oa = med(test, pipeline, "ours", "default", 0), med(test, pipeline, "ours", "acl", 0)
            r, ra = (
                med(test, pipeline, "redis", "default", 0),
                med(test, pipeline, "redis", "acl", 0),
            )
            oc, oac = (
                med(test, pipeline, "ours", "default", 1),
                med(test, pipeline, "ours", "acl", 1),
            )
            rc, rac = (
                med(test, pipeline, "redis", "default", 1),
                med(test, pipeline, "redis", "acl", 1),
            )
            rows.append(
                [test.upper(), str(pipeline),
                 f"{o:.0f}", f"{oa:.0f}", f"{oa / o:.2f}",
                 f"{r:.0f}", f"{ra:.0f}", f"{ra / r:.2f}",
                 f"{oa / ra:.2f}",
                 f"{oc:.2f}", f"{oac:.2f}", f"{rc:.2f}", f"{rac:.2f}"]
            )  # fmt: skip
    print("\n".join(table(header, rows, markdown=opts.markdown, left=1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
