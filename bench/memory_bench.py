#!/usr/bin/env python3
"""Memory and eviction, cacheserver next to redis-server.

Three parts, each on fresh servers started here (cacheserver from this
checkout, ``redis-server --save '' --appendonly no``):

1. ``memory``: bytes per key.  Load a shape with a pipelining loader and
   report the growth of RSS and of INFO used_memory per key (per member for
   the sorted set): 1,000,000 strings of 16-byte keys and 64-byte values;
   100,000 hashes of 10 fields; one sorted set of 1,000,000 members.
2. ``hitratio``: a cache-aside workload (GET; on a miss, SET) with keys drawn
   from Zipf(0.99) over ``--hit-keys`` keys, maxmemory at 10% of the working
   set (each server's own used_memory growth for the whole set, so both hold
   about the same share of keys), under allkeys-lru and allkeys-lfu.  The
   request sequence is the same for both servers (seeded); the first fifth
   warms the cache and is not counted.
3. ``evictset``: redis-benchmark SET throughput while eviction is active
   (servers filled with the whole ``-r`` key space first; maxmemory holds
   about half of it, allkeys-lru) against no maxmemory, alternating, median
   of ``--rounds``.
4. ``encodings``: 10,000 hashes of 10 fields held as dicts, with shared
   field names, or packed in one blob each (as a listpack): bytes and
   HGET/HSET time, in this process.

    python3 bench/memory_bench.py                    # all three, then a Markdown summary
    python3 bench/memory_bench.py --parts memory --keys 200000
    python3 bench/memory_bench.py --parts hitratio --hit-keys 100000 --requests 1000000

Standard library only (the interpreter given with ``--python`` runs
cacheserver and needs its dependencies).  Linux only (/proc).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from redis_bench import (
    REPO,
    Conn,
    Server,
    cpu_seconds,
    encode,
    free_ports,
    parse_csv,
)

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm", "rb") as f:
        return int(f.read().split()[1]) * PAGE


def info(port: int, section: str) -> dict[str, str]:
    conn = Conn(port)
    try:
        text = conn.call([b"INFO", section.encode()])
    finally:
        conn.close()
    assert isinstance(text, bytes)
    out = {}
    for line in text.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def start(kind: str, opts: argparse.Namespace, *extra: str) -> Server:
    (port,) = free_ports(1)
    if kind == "cacheserver":
        argv = [opts.python, "-m", "cacheserver", "--port", str(port), "--memcached-port", "0"]
        argv += ["--loglevel", "warning"]
    else:
        argv = [opts.redis_server, "--port", str(port), "--save", "", "--appendonly", "no"]
    server = Server(kind, [*argv, *extra], port)
    server.start()
    return server


# -- a pipelining loader ----------------------------------------------------------


class Loader:
    """Sends encoded requests in batches on one connection and counts the
    replies: a reply is read only as far as its kind and length say."""

    def __init__(self, port: int) -> None:
        self.conn = Conn(port, timeout=120)
        self.file = self.conn.file

    def close(self) -> None:
        self.conn.close()

    def send(self, batch: Sequence[bytes]) -> list[bytes | None]:
        """Send ``batch`` (encoded requests); the bulk reply of each (None
        for nil and for non-bulk replies).  Error replies raise."""
        self.conn.sock.sendall(b"".join(batch))
        out: list[bytes | None] = []
        readline, read = self.file.readline, self.file.read
        for _ in batch:
            line = readline()
            kind = line[:1]
            if kind == b"$":
                n = int(line[1:-2])
                out.append(None if n < 0 else read(n + 2)[:-2])
            elif kind == b"-":
                raise RuntimeError(line.decode(errors="replace").strip())
            elif kind == b"*":
                raise RuntimeError("array replies are not expected here")
            else:
                out.append(None)
        return out

    def load(self, requests: Iterator[bytes], batch: int = 1000) -> int:
        n = 0
        while True:
            chunk = list(itertools.islice(requests, batch))
            if not chunk:
                return n
            self.send(chunk)
            n += len(chunk)


# -- 1. memory per key ------------------------------------------------------------


def shapes(keys: int) -> dict[str, tuple[int, Callable[[], Iterator[bytes]]]]:
    """name -> (count of keys or members, request generator)."""
    value = b"v" * 64

    def strings() -> Iterator[bytes]:
        for i in range(keys):
            yield encode([b"SET", b"key:%012d" % i, value])

    def hashes() -> Iterator[bytes]:
        pairs = [x for j in range(10) for x in (b"field:%d" % j, b"value:%010d" % j)]
        for i in range(keys // 10):
            yield encode([b"HSET", b"hash:%011d" % i, *pairs])

    def zset() -> Iterator[bytes]:
        for i in range(0, keys, 1000):
            args = [b"ZADD", b"zset"]
            for j in range(i, min(i + 1000, keys)):
                args += [b"%d" % j, b"member:%012d" % j]
            yield encode(args)

    return {
        f"{keys:,} strings (16-byte keys, 64-byte values)": (keys, strings),
        f"{keys // 10:,} hashes of 10 fields": (keys // 10, hashes),
        f"one sorted set of {keys:,} members": (keys, zset),
    }


def part_memory(opts: argparse.Namespace) -> list[str]:
    lines = [
        "| shape | server | RSS growth | RSS per key | used_memory growth | used_memory per key | RSS ratio ours / redis |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, (count, gen) in shapes(opts.keys).items():
        per_key: dict[str, float] = {}
        rows = []
        for kind in ("redis-server", "cacheserver"):
            server = start(kind, opts)
            try:
                conn = Loader(server.port)
                conn.send([encode([b"SET", b"warm", b"up"])])
                time.sleep(0.3)
                rss0, used0 = rss(server.pid), int(info(server.port, "memory")["used_memory"])
                t0 = time.perf_counter()
                conn.load(gen())
                dt = time.perf_counter() - t0
                time.sleep(0.3)
                rss1, used1 = rss(server.pid), int(info(server.port, "memory")["used_memory"])
                conn.close()
            finally:
                server.stop()
            per_key[kind] = (rss1 - rss0) / count
            rows.append((kind, rss1 - rss0, (rss1 - rss0) / count, used1 - used0, (used1 - used0) / count))
            print(f"  {name}, {kind}: loaded in {dt:.1f} s", file=sys.stderr, flush=True)
        for kind, drss, rk, dused, uk in rows:
            ratio = f"{per_key['cacheserver'] / per_key['redis-server']:.2f}" if kind == "cacheserver" else ""
            lines.append(
                f"| {name} | {kind} | {drss / 2**20:.1f} MiB | {rk:.0f} | {dused / 2**20:.1f} MiB | {uk:.0f} | {ratio} |"
            )
    return lines


# -- 2. hit ratio under Zipf ---------------------------------------------------------


def zipf_sequence(n_keys: int, n: int, s: float, seed: int) -> list[int]:
    """``n`` key indexes drawn from Zipf(s) over ``n_keys`` keys; the ranks
    are shuffled over the key names so hot keys are not neighbours."""
    rnd = random.Random(seed)
    cum = list(itertools.accumulate(1.0 / (k**s) for k in range(1, n_keys + 1)))
    total = cum[-1]
    perm = list(range(n_keys))
    rnd.shuffle(perm)
    pick = bisect.bisect_left
    rand = rnd.random
    return [perm[pick(cum, rand() * total)] for _ in range(n)]


def part_hitratio(opts: argparse.Namespace) -> list[str]:
    keys, size = opts.hit_keys, opts.hit_size
    seq = zipf_sequence(keys, opts.requests, 0.99, seed=1127)
    warm = len(seq) // 5
    value = b"v" * size
    names = [b"key:%012d" % i for i in range(keys)]
    gets = [encode([b"GET", k]) for k in names]
    sets = [encode([b"SET", k, value]) for k in names]
    lines = [
        f"Zipf(0.99) over {keys:,} keys of {size} bytes, {len(seq):,} requests (GET, then SET on a miss), "
        f"the first {warm:,} not counted; maxmemory at 10% of each server's used_memory for all keys.",
        "",
        "| policy | server | maxmemory | keys held at the end | hit ratio | evicted keys | time |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    ratios: dict[tuple[str, str], float] = {}
    for policy in ("allkeys-lru", "allkeys-lfu"):
        for kind in ("redis-server", "cacheserver"):
            # the whole working set, to size maxmemory from this server's own figures
            server = start(kind, opts)
            try:
                base = int(info(server.port, "memory")["used_memory"])
                conn = Loader(server.port)
                conn.load(iter(sets))
                full = int(info(server.port, "memory")["used_memory"])
                conn.close()
            finally:
                server.stop()
            limit = base + (full - base) // 10
            server = start(kind, opts, "--maxmemory", str(limit), "--maxmemory-policy", policy)
            try:
                conn = Loader(server.port)
                hits = lookups = 0
                t0 = time.perf_counter()
                batch = opts.hit_batch
                for start_i in range(0, len(seq), batch):
                    idx = seq[start_i : start_i + batch]
                    replies = conn.send([gets[i] for i in idx])
                    misses = [i for i, v in zip(idx, replies, strict=True) if v is None]
                    if start_i >= warm:
                        lookups += len(idx)
                        hits += len(idx) - len(misses)
                    if misses:
                        conn.send([sets[i] for i in misses])
                dt = time.perf_counter() - t0
                evicted = int(info(server.port, "stats")["evicted_keys"])
                held = int(info(server.port, "keyspace").get("db0", "keys=0").split(",")[0][5:])
                conn.close()
            finally:
                server.stop()
            ratio = hits / lookups
            ratios[policy, kind] = ratio
            lines.append(
                f"| {policy} | {kind} | {limit / 2**20:.1f} MiB | {held:,} | {ratio * 100:.2f}% | {evicted:,} | {dt:.1f} s |"
            )
            print(f"  {policy} {kind}: {ratio * 100:.2f}% in {dt:.1f} s", file=sys.stderr, flush=True)
    lines.append("")
    for policy in ("allkeys-lru", "allkeys-lfu"):
        diff = (ratios[policy, "cacheserver"] - ratios[policy, "redis-server"]) * 100
        lines.append(f"- {policy}: cacheserver - redis-server = {diff:+.2f} points")
    return lines


# -- 3. SET throughput with eviction active ---------------------------------------------


def _bench_set(opts: argparse.Namespace, server: Server, pipeline: int) -> tuple[float, float]:
    """(req/s, server CPU us per request) of one redis-benchmark SET run."""
    n = opts.set_requests * (4 if pipeline > 1 else 1)
    cmd = [
        opts.redis_benchmark, "-p", str(server.port), "-c", "50", "-n", str(n), "-d", "64",
        "-r", str(opts.set_keyspace), "-P", str(pipeline), "--csv", "-t", "set",
    ]  # fmt: skip
    cpu0 = cpu_seconds(server.pid)
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    cpu = cpu_seconds(server.pid) - cpu0
    rows = parse_csv(done.stdout)
    return rows[0].rps, cpu / n * 1e6


def part_evictset(opts: argparse.Namespace) -> list[str]:
    lines = [
        f"redis-benchmark -t set -c 50 -d 64 -r {opts.set_keyspace:,} against two servers filled with "
        f"the whole key space first: one without a limit (every SET overwrites), one with maxmemory "
        "at half of what the whole key space takes and allkeys-lru (about half the SETs bring a key "
        f"back and evict one); median of {opts.rounds} rounds, the two servers alternating.",
        "",
        "| server | P | req/s no limit | req/s evicting | ratio | cpu us/req no limit | cpu us/req evicting | evicted keys |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    value = b"x" * 64

    def fill(server: Server) -> None:
        conn = Loader(server.port)
        conn.load(encode([b"SET", b"key:%012d" % i, value]) for i in range(opts.set_keyspace))
        conn.close()

    for kind in ("cacheserver", "redis-server"):
        free = start(kind, opts)
        evict: Server | None = None
        try:
            base = int(info(free.port, "memory")["used_memory"])
            fill(free)
            full = int(info(free.port, "memory")["used_memory"])
            limit = base + (full - base) // 2
            evict = start(kind, opts, "--maxmemory", str(limit), "--maxmemory-policy", "allkeys-lru")
            fill(evict)
            for pipeline in opts.set_pipelines:
                samples: dict[str, list[tuple[float, float]]] = {"free": [], "evict": []}
                before = int(info(evict.port, "stats")["evicted_keys"])
                for _ in range(opts.rounds):
                    samples["free"].append(_bench_set(opts, free, pipeline))
                    samples["evict"].append(_bench_set(opts, evict, pipeline))
                evicted = int(info(evict.port, "stats")["evicted_keys"]) - before
                med = {
                    m: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
                    for m, v in samples.items()
                }
                lines.append(
                    f"| {kind} | {pipeline} | {med['free'][0]:.0f} | {med['evict'][0]:.0f} | "
                    f"{med['evict'][0] / med['free'][0]:.2f} | {med['free'][1]:.2f} | "
                    f"{med['evict'][1]:.2f} | {evicted:,} |"
                )
                print(f"  {lines[-1]}", file=sys.stderr, flush=True)
        finally:
            free.stop()
            if evict is not None:
                evict.stop()
    return lines


# -- 4. a compact encoding for small hashes? -----------------------------------------


def _pack(pairs: list[tuple[bytes, bytes]]) -> bytes:
    """A listpack-like blob: each field and value with a one-byte length."""
    return b"".join(bytes((len(f),)) + f + bytes((len(v),)) + v for f, v in pairs)


def _blob_get(blob: bytes, field: bytes) -> bytes | None:
    """HGET on a blob: a walk over the entries (what a listpack lookup is)."""
    i, n = 0, len(blob)
    while i < n:
        fl = blob[i]
        f = blob[i + 1 : i + 1 + fl]
        i += 1 + fl
        vl = blob[i]
        if f == field:
            return blob[i + 1 : i + 1 + vl]
        i += 1 + vl
    return None


def _blob_set(blob: bytes, field: bytes, value: bytes) -> bytes:
    """HSET on a blob: the blob rebuilt around the new value."""
    i, n = 0, len(blob)
    while i < n:
        fl = blob[i]
        f = blob[i + 1 : i + 1 + fl]
        j = i + 1 + fl
        vl = blob[j]
        if f == field:
            return blob[:j] + bytes((len(value),)) + value + blob[j + 1 + vl :]
        i = j + 1 + vl
    return blob + bytes((len(field),)) + field + bytes((len(value),)) + value


def part_encodings(opts: argparse.Namespace) -> list[str]:
    """Memory and speed of 10,000 hashes of 10 fields held three ways, in this
    process: as now (a dict of bytes), with field names shared between hashes
    (interned), and packed in one bytes blob per hash as Redis's listpack."""
    import tracemalloc

    sys.path.insert(0, REPO)
    from cacheserver.commands.hashes import Hash

    n = 10_000
    rows = [[(b"field:%d" % j, b"value:%010d" % (i * 10 + j)) for j in range(10)] for i in range(n)]
    interned: dict[bytes, bytes] = {}

    def build(kind: str) -> list[Any]:
        out: list[Any] = []
        for pairs in rows:
            if kind == "blob":
                out.append(_pack(pairs))
                continue
            h = Hash()
            for f, v in pairs:
                f = bytes(bytearray(f))  # fresh objects, as each request brings
                if kind == "interned":
                    f = interned.setdefault(f, f)
                h[f] = bytes(bytearray(v))
            out.append(h)
        return out

    lines = [
        f"{n:,} hashes of 10 fields (7-byte fields, 16-byte values), built in this process; bytes "
        "from tracemalloc; HGET and HSET of an existing field timed with timeit (ns, median of 5).",
        "",
        "| representation | bytes per hash | HGET ns | HSET ns |",
        "|---|---:|---:|---:|",
    ]
    rnd = random.Random(5)
    probes = [(rnd.randrange(n), b"field:%d" % rnd.randrange(10)) for _ in range(1000)]
    for kind in ("dict", "interned", "blob"):
        interned.clear()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        held = build(kind)
        size = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        _time_lookups(kind, held, probes)  # warm up
        tg, tp = _time_lookups(kind, held, probes)
        lines.append(f"| {kind} | {size / n:.0f} | {tg:.0f} | {tp:.0f} |")
    return lines


def _time_lookups(kind: str, held: list[Any], probes: list[tuple[int, bytes]]) -> tuple[float, float]:
    """(HGET ns, HSET ns) over ``probes``, median of 5 timeit runs."""
    import timeit

    new = b"v" * 16
    if kind == "blob":

        def get() -> None:
            for i, f in probes:
                _blob_get(held[i], f)

        def put() -> None:
            for i, f in probes:
                _blob_set(held[i], f, new)

    else:

        def get() -> None:
            for i, f in probes:
                held[i].get(f)

        def put() -> None:
            for i, f in probes:
                held[i][f] = new

    per = 20 * len(probes)
    tg = statistics.median(timeit.repeat(get, number=20, repeat=5)) / per * 1e9
    tp = statistics.median(timeit.repeat(put, number=20, repeat=5)) / per * 1e9
    return tg, tp


# -- main --------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="memory,hitratio,evictset")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--redis-server", default="redis-server")
    p.add_argument("--redis-benchmark", default="redis-benchmark")
    p.add_argument("--keys", type=int, default=1_000_000, help="memory: strings and zset members")
    p.add_argument("--hit-keys", type=int, default=200_000)
    p.add_argument("--hit-size", type=int, default=100)
    p.add_argument("--requests", type=int, default=2_000_000, help="hitratio: requests in all")
    p.add_argument("--hit-batch", type=int, default=50, help="hitratio: GETs per pipelined batch")
    p.add_argument("--set-keyspace", type=int, default=1_000_000)
    p.add_argument("--set-requests", type=int, default=100_000, help="evictset: at -P 1 (x4 when pipelined)")
    p.add_argument("--set-pipelines", type=lambda s: [int(x) for x in s.split(",")], default=[1, 16])
    p.add_argument("--rounds", type=int, default=3)
    opts = p.parse_args()
    out = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- nproc: {os.cpu_count()}; loadavg: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- cacheserver: {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True, text=True).stdout.strip()}",
        f"- python: {subprocess.run([opts.python, '-VV'], capture_output=True, text=True).stdout.strip()}",
        f"- redis-server: {subprocess.run([opts.redis_server, '--version'], capture_output=True, text=True).stdout.strip()}",
        "",
    ]
    parts = {
        "memory": part_memory,
        "hitratio": part_hitratio,
        "evictset": part_evictset,
        "encodings": part_encodings,
    }
    for name in opts.parts.split(","):
        print(f"{name}...", file=sys.stderr, flush=True)
        out += [f"### {name}", "", *parts[name](opts), ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
