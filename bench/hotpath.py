#!/usr/bin/env python3
"""Instructions per request of the in-process hot path, counted by callgrind.

Runs pre-encoded pipelined batches (``--pipeline`` requests each) through one
in-process connection (no sockets, no loop), as ``Client.data_received`` sees
them from the network, under ``valgrind --tool=callgrind`` at two request
counts; the difference of the totals divided by the difference of the counts
is the cost of one request, setup and interpreter start cancelled out.

    python3 bench/hotpath.py --tests set,get                 # 100,000 keys, -P 16 (also incr, setnew, publish, multi, hset, sadd, lpush, lpop, zadd, zrank, zincrby)
    python3 bench/hotpath.py --tests set --config maxmemory=50mb --config maxmemory-policy=allkeys-lru
    python3 bench/hotpath.py --tests get --acl '~key:* +@all'  # as a restricted user
    python3 bench/hotpath.py --run set 20000                 # one run, no valgrind

The keys are ``key:NNNNNNNNNNNN`` drawn uniformly from ``--keys`` (as
redis-benchmark ``-r``) with a fixed seed; values are ``--size`` bytes.  GET
reads a key space filled before the counted part.  The count is repeatable
to a fraction of a percent; it does not see cache misses.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _encode(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


_COLLECTION_TESTS = {
    "hset": (b"HSET", b"myhash"),
    "sadd": (b"SADD", b"myset"),
    "lpush": (b"LPUSH", b"mylist"),
    "zadd": (b"ZADD", b"myzset"),
}


def run(
    test: str,
    requests: int,
    total: int,
    keys: int,
    size: int,
    pipeline: int,
    config: list[str],
    acl: str = "",
    subs: int = 1,
) -> float:
    """Fill, build ``total`` requests of ``test``, feed the first ``requests``
    of them in pipelined batches (building costs the same in both runs);
    returns the wall-clock nanoseconds per fed request."""
    sys.path.insert(0, REPO)
    from cacheserver.config import Config
    from cacheserver.connection import Client
    from cacheserver.server import Server

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def writelines(self, chunks: list[bytes]) -> None:
            pass

        def get_extra_info(self, name: str, default: object = None) -> object:
            return default

        def get_write_buffer_size(self) -> int:
            return 0  # everything written was sent

        def close(self) -> None:
            pass

    class Loop:
        """call_soon for Server.defer_write: run by the feed loop after each batch."""

        def __init__(self) -> None:
            self.ready: list[Any] = []

        def call_soon(self, cb: Any) -> None:
            self.ready.append(cb)

    cfg = Config()
    pairs = [tuple(item.split("=", 1)) for item in config]
    cfg.set_many(pairs, runtime=False)  # type: ignore[arg-type]
    srv = Server(cfg)
    c = Client(srv)
    c.connection_made(Transport())  # type: ignore[arg-type]
    rnd = random.Random(1)
    value = b"x" * size
    names = [b"key:%012d" % i for i in range(keys)]
    fill = [_encode(b"SET", k, value) for k in names]
    for i in range(0, len(fill), 1000):
        c.data_received(b"".join(fill[i : i + 1000]))
    if acl:  # the requests run as a user with these rules
        c.data_received(_encode(b"ACL", b"SETUSER", b"bench", b"on", b"nopass", *acl.encode().split()))
        c.data_received(_encode(b"AUTH", b"bench", b"any"))
    if test == "publish":  # to --subscribers in-process clients of one channel
        subscribers = []
        for _ in range(subs):
            sub = Client(srv)
            sub.connection_made(Transport())  # type: ignore[arg-type]
            sub.data_received(_encode(b"SUBSCRIBE", b"bench"))
            subscribers.append(sub)
        # replies to subscribers go out after each batch, as at the end of a
        # loop iteration (Server.defer_write / flush_writes)
        srv.defer_writes = True
        srv._loop = Loop()  # type: ignore[assignment]
        reqs = [_encode(b"PUBLISH", b"bench", value)] * total
    elif test == "set":
        reqs = [_encode(b"SET", names[rnd.randrange(keys)], value) for _ in range(total)]
    elif test == "get":
        reqs = [_encode(b"GET", names[rnd.randrange(keys)]) for _ in range(total)]
    elif test == "incr":  # counters of their own (redis-benchmark's counter:__rand_int__)
        reqs = [_encode(b"INCR", b"counter:%012d" % rnd.randrange(keys)) for _ in range(total)]
    elif test == "setnew":  # distinct keys never seen before (eviction's workload)
        reqs = [_encode(b"SET", b"new:%012d" % i, value) for i in range(total)]
    elif test == "multi":  # a request is a transaction, as bench/multi_bench.py sends it
        reqs = []
        for _ in range(total):
            n = rnd.randrange(keys)
            reqs.append(
                _encode(b"MULTI")
                + _encode(b"SET", b"key:%012d" % n, value)
                + _encode(b"INCR", b"counter:%012d" % n)
                + _encode(b"EXEC")
            )
    elif test in _COLLECTION_TESTS:  # one collection, random members (redis-benchmark's)
        cmd, key = _COLLECTION_TESTS[test]
        reqs = []
        for _ in range(total):
            member = b"element:%012d" % rnd.randrange(keys)
            if cmd == b"ZADD":  # a random score too, as redis-benchmark -r sends
                args = [b"%012d" % rnd.randrange(keys), member]
            else:
                args = [value] if cmd == b"LPUSH" else [member]
            if cmd == b"HSET":
                args.append(value)
            reqs.append(_encode(cmd, key, *args))
    elif test in ("zrank", "zincrby"):  # a sorted set of every member of the key space
        fill = [_encode(b"ZADD", b"zrank", b"%012d" % i, b"m%012d" % i) for i in range(keys)]
        for i in range(0, len(fill), 1000):
            c.data_received(b"".join(fill[i : i + 1000]))
        if test == "zrank":  # bench ZRANK
            reqs = [_encode(b"ZRANK", b"zrank", b"m%012d" % rnd.randrange(keys)) for _ in range(total)]
        else:  # a leaderboard's small increments
            reqs = [
                _encode(b"ZINCRBY", b"zrank", b"1", b"m%012d" % rnd.randrange(keys))
                for _ in range(total)
            ]
    elif test == "lpop":  # a list long enough for every pop (redis-benchmark LPOP)
        fill = [_encode(b"RPUSH", b"mylist", *[value] * 100) for _ in range(total // 100 + 1)]
        for f in fill:
            c.data_received(f)
        reqs = [_encode(b"LPOP", b"mylist")] * total
    else:
        raise SystemExit(f"unknown test {test!r}")
    batches = [b"".join(reqs[i : i + pipeline]) for i in range(0, requests, pipeline)]
    feed = c.data_received
    loop = srv._loop
    t0 = time.perf_counter()
    if isinstance(loop, Loop):
        for b in batches:
            feed(b)
            ready, loop.ready = loop.ready, []
            for cb in ready:
                cb()
    else:
        for b in batches:
            feed(b)
    return (time.perf_counter() - t0) / requests * 1e9


# cachegrind's summary lines: instructions, data reads and writes, misses
_CG_FIELDS = {
    "I   refs": "Ir",
    "D   refs": "Dr",
    "D1  misses": "D1mr",
    "LLd misses": "DLmr",
}


def count(test: str, requests: int, total: int, args: argparse.Namespace) -> dict[str, int]:
    """Instructions (and with --cache, data references and cache misses) that
    valgrind counts for one run of ``requests`` requests."""
    if args.cache:
        # this machine's L1d (32 KiB, 8-way) and L3 (32 MiB, 16-way) as cachegrind's two levels
        tool = ["--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null"]
        tool += ["--D1=32768,8,64", "--LL=33554432,16,64"]
    else:
        tool = ["--tool=callgrind", "--callgrind-out-file=/dev/null"]
    cmd = [
        "valgrind",
        *tool,
        args.python,
        os.path.abspath(__file__),
        "--run",
        test,
        str(requests),
        "--total",
        str(total),
        "--keys",
        str(args.keys),
        "--size",
        str(args.size),
        "--pipeline",
        str(args.pipeline),
    ]
    for item in args.config:
        cmd += ["--config", item]
    if args.acl:
        cmd += ["--acl", args.acl]
    cmd += ["--subscribers", str(args.subscribers)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out: dict[str, int] = {}
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if m is not None:
        out["Ir"] = int(m.group(1))
    for label, name in _CG_FIELDS.items():
        m = re.search(re.escape(label) + r":\s+([\d,]+)", proc.stderr)
        if m is not None:
            out[name] = int(m.group(1).replace(",", ""))
    if "Ir" not in out:
        raise SystemExit(proc.stderr)
    return out


def wall(test: str, requests: int, args: argparse.Namespace) -> float:
    """Wall-clock ns/request of one fresh process."""
    cmd = [args.python, os.path.abspath(__file__), "--run", test, str(requests)]
    cmd += ["--keys", str(args.keys), "--size", str(args.size), "--pipeline", str(args.pipeline)]
    for item in args.config:
        cmd += ["--config", item]
    if args.acl:
        cmd += ["--acl", args.acl]
    cmd += ["--subscribers", str(args.subscribers)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tests", default="set,get")
    p.add_argument("--keys", type=int, default=100_000)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--pipeline", type=int, default=16)
    p.add_argument("--requests", default="10000,30000", help="the two request counts")
    p.add_argument("--config", action="append", default=[], help="name=value, repeatable")
    p.add_argument("--acl", default="", help="run as a user with these ACL rules, e.g. '~key:* +@all'")
    p.add_argument("--subscribers", type=int, default=1, help="publish: clients subscribed to its channel")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--total", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--cache", action="store_true", help="cachegrind: also count cache misses")
    p.add_argument(
        "--time",
        type=int,
        metavar="ROUNDS",
        help="no valgrind: wall-clock ns/request of the larger count, median of ROUNDS fresh processes",
    )
    p.add_argument("--run", nargs=2, metavar=("TEST", "N"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.run:
        n = int(args.run[1])
        ns = run(
            args.run[0],
            n,
            max(n, args.total),
            args.keys,
            args.size,
            args.pipeline,
            args.config,
            args.acl,
            args.subscribers,
        )
        print(f"{ns:.0f}")
        return
    lo, hi = (int(x) for x in args.requests.split(","))
    if args.time:
        for test in args.tests.split(","):
            samples = [wall(test, hi, args) for _ in range(args.time)]
            print(
                f"{test}: {statistics.median(samples):.0f} ns/request "
                f"(min {min(samples):.0f}, max {max(samples):.0f})",
                flush=True,
            )
        return
    for test in args.tests.split(","):
        a, b = count(test, lo, hi, args), count(test, hi, hi, args)
        per = {k: (b[k] - a[k]) / (hi - lo) for k in b}
        text = f"{test}: {per['Ir']:.0f} instructions/request"
        if args.cache:
            text += (
                f", {per['Dr']:.0f} data refs, {per['D1mr']:.1f} L1d misses,"
                f" {per['DLmr']:.2f} LL misses"
            )
        print(text, flush=True)


if __name__ == "__main__":
    main()
