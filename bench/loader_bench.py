#!/usr/bin/env python3
"""Read-through loaders, measured: cacheserver's loaders against cache-aside in the app.

Starts a throwaway PostgreSQL cluster (initdb + pg_ctl in a temporary
directory, as the ``postgres`` user when run as root), cacheserver with a
loaders file, and redis-server, then measures:

1. hot: ``GET`` of a loaded loader key against ``GET`` of a plain key holding
   the same bytes, on cacheserver (redis-benchmark, -c 50, -P 1 and -P 16):
   req/s and the server's CPU microseconds per request;
2. cold: distinct cold keys read by 50 concurrent workers, through the loader
   (redis-py asyncio against cacheserver) and with cache-aside in the app
   (redis-py asyncio against redis-server plus one asyncpg connection per
   worker: GET, on a miss SELECT, then SET EX): misses per second and the
   database connections each side used;
3. stampede: 1,000 clients GET one expired key at once: database queries
   issued and latency percentiles, through the loader (without and with
   ``stale_for``) and with app-side cache-aside (an asyncpg pool of 10).

    .venv/bin/python bench/loader_bench.py            # about a minute
    .venv/bin/python bench/loader_bench.py --quick    # fewer requests

Needs cacheserver's dependencies (asyncpg, redis), PostgreSQL server binaries
(Debian ``postgresql``), redis-server and redis-benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import asyncpg
import redis
import redis.asyncio as aioredis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, cpu_seconds, free_ports
from redis_bench import parse_csv, wait_ready

ROWS = 100_000


# -- PostgreSQL -------------------------------------------------------------------


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Postgres:
    def __init__(self, port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
        if not found:
            raise SystemExit("PostgreSQL server binaries not found (Debian package postgresql)")
        self.bindir = os.path.dirname(found[-1])
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="loader-bench-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        subprocess.run(
            _as_postgres([f"{self.bindir}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL,
        )
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(
                f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "shared_preload_libraries = 'pg_stat_statements'\nfsync = off\nmax_connections = 200\n"
            )
        subprocess.run(
            _as_postgres([f"{self.bindir}/pg_ctl", "-D", self.data, "-l", f"{self.dir}/log", "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres", database="postgres")


SCHEMA = f"""
CREATE EXTENSION pg_stat_statements;
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL);
INSERT INTO products SELECT g, 'product ' || g, g * 1.5 FROM generate_series(1, {ROWS}) g;
ANALYZE products;
"""

# One query per use, each with its own column order: pg_stat_statements counts
# queries by their structure (aliases and constants do not make two differ).
QUERIES = {
    "product": "SELECT id, name, price FROM products WHERE id = $1",
    "hot": "SELECT id, price, name FROM products WHERE id = $1",
    "storm": "SELECT name, id, price FROM products WHERE id = $1",
    "stale": "SELECT name, price, id FROM products WHERE id = $1",
    "app": "SELECT price, id, name FROM products WHERE id = $1",
    "app_storm": "SELECT price, name, id FROM products WHERE id = $1",
}


def loaders_file(pg: Postgres, max_connections: int) -> str:
    def loader(name: str, ttl: str, extra: str = "") -> str:
        return (
            f'[[loader]]\nname = "{name}"\nkey = "{name}:{{id:int}}"\n'
            f'query = "{QUERIES[name]}"\nttl = "{ttl}"\n{extra}\n'
        )

    return (
        f'[database]\ndsn = "postgresql://postgres@127.0.0.1:{pg.port}/postgres"\nsslmode = "disable"\n'
        f'max_connections = {max_connections}\napplication_name = "cs-bench"\nborrow_timeout = "10s"\n\n'
        + loader("product", "1h")
        + loader("hot", "1h")
        + loader("storm", "1s")
        + loader("stale", "1s", 'stale_for = "1h"')
    )


# -- measurements -------------------------------------------------------------------


def redis_benchmark(port: int, pid: int, command: list[str], n: int, pipeline: int) -> tuple[float, float]:
    """(req/s, server CPU us per request) of one redis-benchmark run."""
    before = cpu_seconds(pid)
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(n), "-P", str(pipeline), "--csv", *command],
        check=True, capture_output=True, text=True,
    ).stdout
    cpu = cpu_seconds(pid) - before
    return parse_csv(out)[0].rps, cpu / n * 1e6


def hot(cs_port: int, cs_pid: int, rounds: int, n: int) -> list[list[str]]:
    r = redis.Redis(port=cs_port)
    value = r.get("hot:1")
    assert value is not None and value.startswith(b'{"id":1'), value
    r.set("plain:1", value, ex=3600)  # with a TTL too: both GETs take the same path
    rows = []
    for p in (1, 16):
        loader_rps, loader_cpu, plain_rps, plain_cpu = [], [], [], []
        for i in range(rounds):
            order = [("hot:1", loader_rps, loader_cpu), ("plain:1", plain_rps, plain_cpu)]
            for key, rps_list, cpu_list in order if i % 2 == 0 else order[::-1]:
                rps, cpu = redis_benchmark(cs_port, cs_pid, ["GET", key], n * (4 if p > 1 else 1), p)
                rps_list.append(rps)
                cpu_list.append(cpu)
        lr, pr = statistics.median(loader_rps), statistics.median(plain_rps)
        lc, pc = statistics.median(loader_cpu), statistics.median(plain_cpu)
        rows.append([f"GET loader key vs plain key, -P {p}", f"{lr:,.0f}", f"{pr:,.0f}", f"{lr / pr:.2f}x",
                     f"{lc:.1f} / {pc:.1f}"])
    return rows


async def cold_loader(cs_port: int, ids: list[int], workers: int) -> float:
    r = aioredis.Redis(port=cs_port, max_connections=workers)
    chunks = [ids[i::workers] for i in range(workers)]

    async def work(chunk: list[int]) -> None:
        for i in chunk:
            v = await r.get(f"product:{i}")
            assert v is not None

    t0 = time.perf_counter()
    await asyncio.gather(*(work(c) for c in chunks))
    elapsed = time.perf_counter() - t0
    await r.aclose()
    return len(ids) / elapsed


async def cold_app(pg: Postgres, redis_port: int, ids: list[int], workers: int) -> float:
    r = aioredis.Redis(port=redis_port, max_connections=workers)
    conns = [await pg.connect() for _ in range(workers)]  # one per worker, as each app worker holds one
    query = QUERIES["app"]
    chunks = [ids[i::workers] for i in range(workers)]

    async def work(conn: asyncpg.Connection, chunk: list[int]) -> None:
        for i in chunk:
            key = f"product:{i}"
            v = await r.get(key)
            if v is None:
                row = await conn.fetchrow(query, i)
                v = json.dumps({"id": row["id"], "name": row["name"], "price": str(row["price"])})
                await r.set(key, v, ex=3600)

    t0 = time.perf_counter()
    await asyncio.gather(*(work(c, ch) for c, ch in zip(conns, chunks, strict=True)))
    elapsed = time.perf_counter() - t0
    for c in conns:
        await c.close()
    await r.aclose()
    return len(ids) / elapsed


async def calls(pg: Postgres, name: str) -> int:
    """Executions of QUERIES[name] (pg_stat_statements)."""
    c = await pg.connect()
    try:
        return int(await c.fetchval(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query = $1", QUERIES[name]))
    finally:
        await c.close()


async def raw_stampede(port: int, key: str, clients: int) -> list[float]:
    """``clients`` connections send GET key at once; the latency of each reply (ms)."""
    conns = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(clients)))
    req = f"*2\r\n$3\r\nGET\r\n${len(key)}\r\n{key}\r\n".encode()

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
        t0 = time.perf_counter()
        writer.write(req)
        line = await reader.readline()
        assert line.startswith(b"$") and line != b"$-1\r\n", line
        await reader.readexactly(int(line[1:]) + 2)
        t = (time.perf_counter() - t0) * 1000
        writer.close()
        return t

    return list(await asyncio.gather(*(one(rd, wr) for rd, wr in conns)))


async def app_stampede(pg: Postgres, redis_port: int, key: str, clients: int) -> list[float]:
    r = aioredis.Redis(port=redis_port, max_connections=clients)
    pool = await asyncpg.create_pool(host="127.0.0.1", port=pg.port, user="postgres", database="postgres",
                                     min_size=10, max_size=10)
    await asyncio.gather(*(r.ping() for _ in range(clients)))  # open the connections first
    query = QUERIES["app_storm"]

    async def one() -> float:
        t0 = time.perf_counter()
        v = await r.get(key)
        if v is None:
            row = await pool.fetchrow(query, 1)
            v = json.dumps({"id": row["id"], "name": row["name"], "price": str(row["price"])})
            await r.set(key, v, ex=3600)
        return (time.perf_counter() - t0) * 1000

    out = list(await asyncio.gather(*(one() for _ in range(clients))))
    await pool.close()
    await r.aclose()
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def wait_expired(r: redis.Redis, key: str) -> None:
    deadline = time.monotonic() + 10
    while r.ttl(key) != -2:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{key} did not expire")
        time.sleep(0.02)


# -- main ---------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    ap.add_argument("--max-connections", type=int, default=10, help="the loaders' pool size")
    ap.add_argument("--workers", type=int, default=50, help="concurrent workers for the cold test")
    ap.add_argument("--cold", type=int, default=20_000, help="cold keys read by each side")
    opts = ap.parse_args()
    n = 20_000 if opts.quick else 100_000
    rounds = 1 if opts.quick else 3
    cold_n = min(opts.cold, 5_000) if opts.quick else opts.cold
    pg_port, cs_port, rs_port = free_ports(3)
    pg = Postgres(pg_port)
    procs: list[subprocess.Popen[bytes]] = []
    tmp = tempfile.mkdtemp(prefix="loader-bench-")
    try:
        async def setup() -> None:
            c = await pg.connect()
            await c.execute(SCHEMA)
            await c.close()

        asyncio.run(setup())
        path = os.path.join(tmp, "loaders.toml")
        with open(path, "w") as f:
            f.write(loaders_file(pg, opts.max_connections))
        cs = subprocess.Popen(
            [sys.executable, "-m", "cacheserver", "--port", str(cs_port), "--loglevel", "warning",
             "--loaders", path, "--maxclients", "5000"],
            cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO),
        )
        procs.append(cs)
        rs = subprocess.Popen(
            ["redis-server", "--port", str(rs_port), "--save", "", "--appendonly", "no", "--maxclients", "5000"],
            stdout=subprocess.DEVNULL,
        )
        procs.append(rs)
        wait_ready(cs_port, cs)
        wait_ready(rs_port, rs)
        csr = redis.Redis(port=cs_port)

        print(f"# loader_bench {_dt.date.today()}: {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, "
              f"load {os.getloadavg()[0]:.2f}\n")

        hot_rows = hot(cs_port, cs.pid, rounds, n)
        print("| hot | loader key req/s | plain key req/s | ratio | server CPU us/req (loader / plain) |")
        print("|---|---|---|---|---|")
        for row in hot_rows:
            print("| " + " | ".join(row) + " |")

        ids = list(range(1, cold_n + 1))
        asyncio.run(cold_app(pg, rs_port, ids[:200], 10))  # warm the database's cache
        asyncio.run(cold_loader(cs_port, list(range(cold_n + 1, cold_n + 201)), 10))
        csr.flushall()
        redis.Redis(port=rs_port).flushall()
        loader_rate = asyncio.run(cold_loader(cs_port, ids, opts.workers))
        info = csr.info("loaders")
        queries = info["loader_product"]["queries"]
        app_rate = asyncio.run(cold_app(pg, rs_port, ids, opts.workers))
        print(f"\n| cold misses ({cold_n:,} keys, {opts.workers} workers) | misses/s | database connections | queries |")
        print("|---|---|---|---|")
        print(f"| cacheserver read-through | {loader_rate:,.0f} | {info['pool_peak']} (pool max {info['pool_max']}) | {queries:,} |")
        print(f"| app cache-aside (redis-py + asyncpg, redis-server) | {app_rate:,.0f} | {opts.workers} (one per worker) | {cold_n:,} |")

        print("\n| stampede: 1,000 clients, one expired key | queries | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|")
        for key, label in (("storm:1", "cacheserver read-through"), ("stale:1", "cacheserver, stale_for")):
            name = key.split(":")[0]
            assert csr.get(key) is not None
            wait_expired(csr, key)
            before = asyncio.run(calls(pg, name))
            lat = asyncio.run(raw_stampede(cs_port, key, 1000))
            time.sleep(0.2)  # a stale refresh finishes behind the replies
            q = asyncio.run(calls(pg, name)) - before
            print(f"| {label} | {q} | {pct(lat, 0.5):.1f} | {pct(lat, 0.99):.1f} | {max(lat):.1f} |")
        before = asyncio.run(calls(pg, "app_storm"))
        lat = asyncio.run(app_stampede(pg, rs_port, "storm:1", 1000))
        q = asyncio.run(calls(pg, "app_storm")) - before
        print(f"| app cache-aside (asyncpg pool of 10) | {q} | {pct(lat, 0.5):.1f} | {pct(lat, 0.99):.1f} | {max(lat):.1f} |")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
