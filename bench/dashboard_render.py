#!/usr/bin/env python3
"""Render docs/dashboard.png from the Grafana dashboard's own queries, run by a real Prometheus.

Grafana is not needed: this starts cacheserver (metrics on, key prefixes,
a small maxmemory so evictions show, read-through loaders on a throwaway
PostgreSQL), a real Prometheus (Debian package ``prometheus``) in a temporary
directory scraping it every second, and about 90 seconds of load:
redis-benchmark bursts beside a memtier-like mixed workload (Zipf-distributed
keys under several prefixes, 1 write to 4 reads, TTLs that expire, pipelines),
memcached gets and sets, pub/sub subscribers, loader reads and a trickle of
error replies.  Then every target of every panel of
``deploy/grafana/cacheserver.json`` is evaluated through Prometheus's HTTP API
(``/api/v1/query_range``, with ``$instance`` as ``.*`` and ``$__rate_interval``
as 10s) and the results are drawn with matplotlib in the dashboard's grid.

Not a dependency of cacheserver: run it from a throwaway virtualenv.

    python3 -m venv /tmp/plot && /tmp/plot/bin/pip install matplotlib redis pymemcache
    /tmp/plot/bin/python bench/dashboard_render.py             # about two minutes
    /tmp/plot/bin/python bench/dashboard_render.py --no-pg     # loader panels left empty

cacheserver runs under ``--python`` (default: the repo's ``.venv/bin/python``).
Needs ``prometheus``, ``redis-benchmark`` and, for the loader panels,
PostgreSQL's server binaries (``/usr/lib/postgresql/*/bin``) and ``psql``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, free_ports

DASHBOARD = os.path.join(REPO, "deploy", "grafana", "cacheserver.json")
OUT = os.path.join(REPO, "docs", "dashboard.png")
RATE_INTERVAL = "10s"
PREFIXES = "user: product: session: key:"


# -- processes ------------------------------------------------------------------------


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not answer {url} in {timeout:g}s")


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Postgres:
    """A throwaway cluster with a products table, for the loader panels."""

    def __init__(self, port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise SystemExit("PostgreSQL server binaries not found (or pass --no-pg)")
        self.bindir = os.path.dirname(found[-1])
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="dash-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(
            _as_postgres(
                [
                    f"{self.bindir}/initdb",
                    "-D",
                    self.data,
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                ]
            ),
            check=True,
            **quiet,  # type: ignore[arg-type]
        )
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(
                f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
            )
        subprocess.run(
            _as_postgres(
                [f"{self.bindir}/pg_ctl", "-D", self.data, "-l", f"{self.dir}/log", "-w", "start"]
            ),
            check=True,
            **quiet,  # type: ignore[arg-type]
        )
        sql = (
            "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);"
            "INSERT INTO products SELECT g, 'product ' || g FROM generate_series(1, 5000) g;"
        )
        psql = shutil.which("psql") or f"{self.bindir}/psql"
        subprocess.run(
            _as_postgres(
                [psql, "-h", self.dir, "-p", str(port), "-U", "postgres", "-q", "-c", sql]
            ),
            check=True,
            **quiet,  # type: ignore[arg-type]
        )

    def loaders_file(self, path: str) -> None:
        with open(path, "w") as f:
            f.write(
                f'[database]\ndsn = "postgresql://postgres@127.0.0.1:{self.port}/postgres"\n'
                'sslmode = "disable"\nmax_connections = 4\nmin_connections = 1\n\n'
                '[[loader]]\nname = "products"\nkey = "prod:{id:int}"\n'
                'query = "SELECT name FROM products WHERE id = $1"\nformat = "value"\n'
                'ttl = "8s"\nnegative_ttl = "5s"\n'
            )

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


# -- load -------------------------------------------------------------------------------


def zipf_keys(n: int, s: float = 1.1) -> Callable[[], int]:
    """A sampler of 1..n with P(k) ~ 1/k**s (popular keys hit, the tail misses)."""
    weights = [1 / k**s for k in range(1, n + 1)]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    import bisect

    return lambda: min(n, bisect.bisect_left(cum, random.random()) + 1)


class Load:
    """Background workers until ``stop`` is set; each keeps to a modest rate."""

    def __init__(self, port: int, mc_port: int, loaders: bool) -> None:
        self.port = port
        self.mc_port = mc_port
        self.loaders = loaders
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        targets: list[Callable[[], None]] = [
            self.mixed,
            self.mixed,
            self.memcached,
            self.pubsub,
            self.errors,
        ]
        if self.loaders:
            targets.append(self.loader_reads)
        for fn in targets:
            t = threading.Thread(target=self._guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as e:  # a dying worker must not end the picture
            print(f"load worker {fn.__name__}: {e!r}", file=sys.stderr)

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)

    def mixed(self) -> None:
        """memtier-like: pipelines of 20, 1 write to 4 reads, Zipf keys per prefix."""
        import redis

        r = redis.Redis(port=self.port)
        users, products, sessions = zipf_keys(20_000), zipf_keys(5_000, 0.9), zipf_keys(2_000)
        value = b"v" * 100
        while not self.stop.is_set():
            p = r.pipeline(transaction=False)
            for _ in range(20):
                x = random.random()
                if x < 0.45:
                    p.get(f"user:{users()}")
                elif x < 0.60:
                    p.set(f"user:{users()}", value, ex=random.randint(5, 60))
                elif x < 0.75:
                    p.get(f"product:{products()}")
                elif x < 0.80:
                    p.hset(f"product:{products()}:stock", "count", random.randint(1, 999))
                elif x < 0.88:
                    p.get(f"session:{sessions()}")
                elif x < 0.93:
                    p.set(f"session:{sessions()}", value, px=random.randint(500, 3000))
                else:
                    p.incr(f"counter:{random.randint(1, 50)}")
            try:
                p.execute(raise_on_error=False)
            except redis.ResponseError:
                pass
            time.sleep(0.004)

    def memcached(self) -> None:
        from pymemcache.client.base import Client

        mc = Client(("127.0.0.1", self.mc_port))
        keys = zipf_keys(3_000)
        while not self.stop.is_set():
            for _ in range(20):
                k = f"mc:{keys()}"
                if random.random() < 0.2:
                    mc.set(k, b"x" * 64, expire=30)
                else:
                    mc.get(k)
            time.sleep(0.01)

    def pubsub(self) -> None:
        import redis

        subs = []
        for i in range(3):
            p = redis.Redis(port=self.port).pubsub()
            p.subscribe(f"news:{i}", "alerts")
            if i == 0:
                p.psubscribe("events.*")
            subs.append(p)
        pub = redis.Redis(port=self.port)
        while not self.stop.is_set():
            pub.publish(random.choice(["alerts", "news:1", "events.click"]), "m")
            for p in subs:
                while p.get_message(timeout=0) is not None:
                    pass
            time.sleep(0.05)
        for p in subs:
            p.close()

    def errors(self) -> None:
        import redis

        r = redis.Redis(port=self.port)
        r.hset("a-hash", "f", "v")
        while not self.stop.is_set():
            for call in (lambda: r.get("a-hash"), lambda: r.execute_command("NOSUCHCMD")):
                try:
                    call()
                except redis.ResponseError:
                    pass
            time.sleep(random.uniform(0.05, 0.4))

    def loader_reads(self) -> None:
        import redis

        r = redis.Redis(port=self.port, socket_timeout=10)
        ids = zipf_keys(6_000, 0.8)  # ids past 5000 are not in the table: negative hits
        while not self.stop.is_set():
            p = r.pipeline(transaction=False)
            for _ in range(10):
                p.get(f"prod:{ids()}")
            p.execute(raise_on_error=False)
            time.sleep(0.02)


def redis_benchmark(port: int, *args: str) -> None:
    subprocess.run(
        ["redis-benchmark", "-p", str(port), "-q", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_load(port: int, mc_port: int, loaders: bool, seconds: float) -> tuple[float, float]:
    """The load, in phases; returns (start, end) unix times of the window to draw."""
    load = Load(port, mc_port, loaders)
    t0 = time.time()
    load.start()

    def at(offset: float) -> None:
        delay = t0 + offset - time.time()
        if delay > 0:
            time.sleep(delay)

    at(seconds * 0.15)
    redis_benchmark(
        port, "-t", "set,get", "-n", "60000", "-r", "50000", "-c", "20", "-P", "8", "-d", "64"
    )
    at(seconds * 0.40)
    redis_benchmark(
        port, "-t", "incr,lpush,lpop,sadd,hset", "-n", "20000", "-r", "1000", "-c", "10", "-P", "4"
    )
    at(seconds * 0.60)
    # fill past maxmemory: allkeys-lru evicts
    redis_benchmark(
        port, "-t", "set", "-n", "40000", "-r", "1000000", "-c", "10", "-P", "8", "-d", "1500"
    )
    at(seconds)
    end = time.time()  # before the workers leave: the last values are under load
    load.join()
    return t0, end


# -- Prometheus -----------------------------------------------------------------------------


def query_range(
    base: str, expr: str, start: float, end: float, step: float
) -> list[dict[str, Any]]:
    expr = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$instance", ".*")
    qs = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{base}/api/v1/query_range?{qs}", timeout=30) as resp:
        data = json.load(resp)
    if data.get("status") != "success":
        raise RuntimeError(f"{expr}: {data}")
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


# -- drawing ---------------------------------------------------------------------------------

BG, PANEL, TEXT, GRID = "#111217", "#181b1f", "#ccccdc", "#2c3235"
COLORS = [
    "#73bf69",
    "#f2cc0c",
    "#8ab8ff",
    "#ff780a",
    "#f2495c",
    "#5794f2",
    "#b877d9",
    "#fade2a",
    "#96d98d",
    "#ffb357",
    "#ca95e5",
    "#ff7383",
]


def human(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if unit == "percentunit":
        return f"{value * 100:.1f}%"
    if unit == "s":
        for div, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= div or suffix == "µs":
                return f"{value / div:.3g} {suffix}"
    if unit in ("bytes", "Bps"):
        tail = "/s" if unit == "Bps" else ""
        for div, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if abs(value) >= div:
                return f"{value / div:.3g} {suffix}{tail}"
        return f"{value:.0f} B{tail}"
    tail = {"ops": " ops/s", "cps": " /s"}.get(unit, "")
    if unit == "s" or abs(value) < 1000:
        return f"{value:.3g}{tail}"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            return f"{value / div:.3g}{suffix}{tail}"
    return f"{value:.0f}{tail}"


def legend_of(fmt: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt) or "value"


def render(dash: dict[str, Any], base: str, start: float, end: float, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    step = max(1.0, (end - start) / 150)
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dash["panels"])
    width = 16.0
    unit_w = width / 24
    unit_h = 0.24  # a grid row, inches (Grafana: 30 px rows, ~80 px columns)
    header = 0.55
    height = rows * unit_h + header
    fig = plt.figure(figsize=(width, height), facecolor=BG)
    fig.text(
        0.01,
        1 - 0.22 / height,
        f"{dash['title']}   ·   {_dt.datetime.fromtimestamp(start):%H:%M:%S} to "
        f"{_dt.datetime.fromtimestamp(end):%H:%M:%S}",
        color=TEXT,
        fontsize=13,
        weight="bold",
        va="center",
    )
    fig.text(
        0.99,
        1 - 0.22 / height,
        "each panel: its PromQL from deploy/grafana/cacheserver.json, run by Prometheus",
        color="#8e8e8e",
        fontsize=8,
        ha="right",
        va="center",
    )
    pad = 0.04  # inches between panels
    for p in dash["panels"]:
        g = p["gridPos"]
        left = (g["x"] * unit_w + pad) / width
        top = 1 - (header + g["y"] * unit_h + pad) / height
        w = (g["w"] * unit_w - 2 * pad) / width
        h = (g["h"] * unit_h - 2 * pad) / height
        if p["type"] == "row":
            fig.text(
                left, top - h / 2, p["title"], color=TEXT, fontsize=10, weight="bold", va="center"
            )
            continue
        unit = p["fieldConfig"]["defaults"].get("unit", "short")
        frame = fig.add_axes((left, top - h, w, h))
        frame.set_facecolor(PANEL)
        frame.set_xticks([])
        frame.set_yticks([])
        for s in frame.spines.values():
            s.set_color(GRID)
        frame.text(
            0.01,
            0.985,
            p["title"],
            transform=frame.transAxes,
            color=TEXT,
            fontsize=8.5,
            weight="bold",
            va="top",
        )
        series = []
        for t in p["targets"]:
            for res in query_range(base, t["expr"], start, end, step):
                xs = [_dt.datetime.fromtimestamp(float(ts)) for ts, _ in res["values"]]
                ys = [float(v) for _, v in res["values"]]
                series.append((legend_of(t.get("legendFormat", ""), res["metric"]), xs, ys))
        title_h = 0.30 / (g["h"] * unit_h)
        if p["type"] == "stat":
            last = math.nan
            for _, _, ys in series:
                vals = [v for v in ys if not math.isnan(v)]
                if vals:
                    last = vals[-1] if math.isnan(last) else last + vals[-1]
            ax = fig.add_axes((left, top - h, w, h * 0.45))
            ax.set_facecolor((0, 0, 0, 0))
            ax.axis("off")
            if series:
                _, xs, ys = series[0]
                ax.fill_between(
                    xs,
                    [0 if math.isnan(v) else v for v in ys],
                    color=COLORS[0],
                    alpha=0.18,
                    linewidth=0,
                )
            frame.text(
                0.5,
                0.5,
                human(last, unit),
                transform=frame.transAxes,
                color=COLORS[0],
                fontsize=19,
                weight="bold",
                ha="center",
                va="center",
            )
            continue
        legend_rows = min(3, math.ceil(len(series) / 4)) if series else 0
        legend_h = legend_rows * 0.13 / (g["h"] * unit_h)
        ax = fig.add_axes(
            (
                left + 0.045 * w + 0.25 / width,
                top - h + h * (legend_h + 0.1),
                w * 0.95 - 0.3 / width,
                h * (1 - title_h - legend_h - 0.12),
            )
        )
        ax.set_facecolor(PANEL)
        # as Grafana with many series: the ten largest
        series.sort(key=lambda s: -max((v for v in s[2] if not math.isnan(v)), default=0))
        shown = series[:10]
        for i, (label, xs, ys) in enumerate(shown):
            color = COLORS[i % len(COLORS)]
            ax.plot(xs, ys, color=color, linewidth=1.1, label=label)
            have = [not math.isnan(v) for v in ys]
            ax.fill_between(
                xs,
                [v if ok else 0 for v, ok in zip(ys, have, strict=True)],
                where=have,
                color=color,
                alpha=0.06,
                linewidth=0,
            )
        if not shown:
            ax.text(
                0.5,
                0.5,
                "No data",
                transform=ax.transAxes,
                color="#8e8e8e",
                ha="center",
                va="center",
            )
        ax.tick_params(colors="#8e8e8e", labelsize=6.5, length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.grid(color=GRID, linewidth=0.5)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, u=unit: human(v, u)))
        ax.set_xlim(_dt.datetime.fromtimestamp(start), _dt.datetime.fromtimestamp(end))
        lo = p["fieldConfig"]["defaults"].get("min")
        hi = p["fieldConfig"]["defaults"].get("max")
        if lo is not None or hi is not None:
            ax.set_ylim(lo, hi)
        elif shown:
            ax.set_ylim(bottom=0)
        if shown:
            ax.legend(
                loc="upper left",
                bbox_to_anchor=(-0.04, -0.12),
                ncol=4,
                frameon=False,
                fontsize=6.5,
                labelcolor=TEXT,
                handlelength=1.2,
                columnspacing=1.2,
                borderaxespad=0,
            )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.savefig(out, dpi=100, facecolor=BG)
    plt.close(fig)
    # a palette image: a fraction of the bytes, no visible change on flat colours
    from PIL import Image

    with Image.open(out) as im:
        im.convert("RGB").quantize(colors=96, dither=Image.Dither.NONE).save(out, optimize=True)


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--python",
        default=os.path.join(REPO, ".venv", "bin", "python"),
        help="the interpreter that runs cacheserver (with its dependencies)",
    )
    ap.add_argument("--seconds", type=float, default=90, help="length of the load")
    ap.add_argument("--no-pg", action="store_true", help="no PostgreSQL: no loaders")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    for tool in ("prometheus", "redis-benchmark"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found")
    with open(DASHBOARD) as f:
        dash = json.load(f)
    tmp = tempfile.mkdtemp(prefix="dash-render-")
    port, mc_port, metrics_port, prom_port, pg_port = free_ports(5)
    procs: list[subprocess.Popen[bytes]] = []
    pg = None
    try:
        cs_args = [
            args.python,
            "-m",
            "cacheserver",
            "--port",
            str(port),
            "--memcached-port",
            str(mc_port),
            "--metrics-port",
            str(metrics_port),
            "--metrics-key-prefixes",
            *PREFIXES.split(),
            "--maxmemory",
            "48mb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--loglevel",
            "warning",
        ]
        if not args.no_pg:
            pg = Postgres(pg_port)
            path = os.path.join(tmp, "loaders.toml")
            pg.loaders_file(path)
            cs_args += ["--loaders", path]
        cs = subprocess.Popen(cs_args, cwd=REPO)
        procs.append(cs)
        wait_http(f"http://127.0.0.1:{metrics_port}/readyz", cs, "cacheserver")
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: cacheserver\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{metrics_port}']\n"
            )
        prom = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={tmp}/prometheus.yml",
                f"--storage.tsdb.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(prom)
        base = f"http://127.0.0.1:{prom_port}"
        wait_http(f"{base}/-/ready", prom, "prometheus")
        time.sleep(3)  # a few scrapes of the idle server first
        start, end = run_load(port, mc_port, pg is not None, args.seconds)
        time.sleep(2)  # the last scrapes
        render(dash, base, start - 3, end, args.out)
        print(f"{args.out}: {os.path.getsize(args.out) // 1024} KiB")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
