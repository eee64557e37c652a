#!/usr/bin/env python3
"""TLS side by side: cacheserver and redis-server, each with a TLS port and
the same certificates, driven by ``redis-benchmark --tls`` in one run.

Makes a CA, a server certificate for 127.0.0.1 and a client certificate with
openssl in a temporary directory; starts both servers with ``--tls-port``
(client certificates required, as Redis's default); then, in alternation for
several rounds, runs GET and SET at ``-P 1`` and ``-P 16`` over long-lived
connections (steady state), and GET with ``-k 0`` (a new connection, so a new
TLS handshake, for every request).  Prints the medians: req/s, p50/p99 and
the server's CPU time per request (utime+stime from /proc/PID/stat around
each run).  Error replies are counted through the plain port's INFO; a run
with any fails the script.

    python3 bench/tls_bench.py                 # 3 rounds, about 2 minutes on two cores
    python3 bench/tls_bench.py --rounds 5 --markdown

Standard library only; needs openssl, redis-server and redis-benchmark built
with TLS (Debian's are).
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
from common import fmt, free_ports, ratio, stop_all
from redis_bench import (
    Result,
    Sample,
    Server,
    cacheserver,
    machine_info,
    redis_server,
    run_redis_benchmark,
)


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]  # redis-benchmark arguments of the test
    pipeline: int
    requests: int
    keepalive: bool = True


def cases(opts: argparse.Namespace) -> list[Case]:
    n1, n16, nc = opts.requests, opts.requests * 3, opts.requests // 20
    return [
        Case("SET", ("-t", "set"), 1, n1),
        Case("GET", ("-t", "get"), 1, n1),
        Case("SET", ("-t", "set"), 16, n16),
        Case("GET", ("-t", "get"), 16, n16),
        Case("GET new conn", ("-t", "get"), 1, nc, keepalive=False),
    ]


def make_certs(directory: str) -> dict[str, str]:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    def key(name: str) -> None:
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-out", f"{name}.key")  # fmt: skip

    key("ca")
    run("req", "-x509", "-new", "-key", "ca.key", "-out", "ca.crt", "-days", "30",
        "-subj", "/CN=bench CA")  # fmt: skip
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ):
        key(name)
        run("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(directory, f"{name}.ext"), "w") as f:
            f.write(ext)
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "30",
            "-extfile", f"{name}.ext")  # fmt: skip
    return {n: os.path.join(directory, n) for n in (
        "ca.crt", "server.crt", "server.key", "client.crt", "client.key")}  # fmt: skip


def tls_pongs(port: int, certs: dict[str, str]) -> bool:
    ctx = ssl.create_default_context(cafile=certs["ca.crt"])
    ctx.load_cert_chain(certs["client.crt"], certs["client.key"])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(100) == b"+PONG\r\n"


def run_one(
    opts: argparse.Namespace, case: Case, server: Server, tls_port: int, certs: dict[str, str]
) -> Sample:
    return run_redis_benchmark(
        opts, server, case.pipeline, case.requests,
        "--tls", "--cacert", certs["ca.crt"], "--cert", certs["client.crt"],
        "--key", certs["client.key"],
        "-k", "1" if case.keepalive else "0",
        *case.args,
        port=tls_port,
    )  # fmt: skip


HEADER = (
    "test", "P", "requests", "req/s ours", "req/s redis", "ratio",
    "p50 ours", "p50 redis", "p99 ours", "p99 redis",
    "cpu us/req ours", "cpu us/req redis", "cpu ratio",
)  # fmt: skip


def render(info: dict[str, str], results: Sequence[Result], markdown: bool) -> str:
    rows = []
    for r in results:
        m = r.median
        row = [
            r.bench, str(r.pipeline), str(r.requests),
            fmt(m("ours", "rps"), ".0f"), fmt(m("redis", "rps"), ".0f"),
            ratio(m("ours", "rps"), m("redis", "rps")),
            fmt(m("ours", "p50_ms"), ".3f"), fmt(m("redis", "p50_ms"), ".3f"),
            fmt(m("ours", "p99_ms"), ".3f"), fmt(m("redis", "p99_ms"), ".3f"),
            fmt(m("ours", "cpu_us"), ".1f"), fmt(m("redis", "cpu_us"), ".1f"),
            ratio(m("ours", "cpu_us"), m("redis", "cpu_us")),
        ]  # fmt: skip
        for label in ("ours", "redis"):
            if r.errors(label):
                row[0] += f" ({label}: {r.errors(label)} error replies!)"
        rows.append(row)
    out = [*common.info_lines(info, markdown), ""]
    out += common.table(HEADER, rows, markdown, left=1)
    out.append("")
    out.append(
        "Latencies in ms; ratio = ours / redis; 'new conn': -k 0, a TLS handshake per request."
    )
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--python", default=sys.executable, help="interpreter that runs cacheserver")
    p.add_argument("--event-loop", default="uvloop", choices=("uvloop", "asyncio"))
    p.add_argument("--redis-server", default="redis-server")
    p.add_argument("--redis-benchmark", default="redis-benchmark")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--requests", type=int, default=100_000, help="per -P 1 run (x3 at -P 16, /20 new conn)"
    )
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--datasize", type=int, default=64)
    p.add_argument("--keyspace", type=int, default=100_000)
    p.add_argument("--markdown", action="store_true")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tls-bench-") as tmp:
        certs = make_certs(tmp)
        tls = ["--tls-cert-file", certs["server.crt"], "--tls-key-file", certs["server.key"],
               "--tls-ca-cert-file", certs["ca.crt"]]  # fmt: skip
        ours_port, ours_tls, redis_port, redis_tls = free_ports(4)
        servers = [
            (cacheserver(opts, ours_port, "--tls-port", str(ours_tls), *tls), ours_tls),
            (redis_server(opts, redis_port, "--tls-port", str(redis_tls), *tls), redis_tls),
        ]
        info = machine_info(opts)
        info["openssl"] = ssl.OPENSSL_VERSION
        results = [Result(c.name, c.pipeline, c.requests) for c in cases(opts)]
        try:
            for server, port in servers:
                server.start()
                if not tls_pongs(port, certs):
                    raise RuntimeError(f"{server.label}: no PONG over TLS")
            for rnd in range(opts.rounds):
                order = servers if rnd % 2 == 0 else servers[::-1]
                for case, result in zip(cases(opts), results, strict=True):
                    for server, port in order:
                        sample = run_one(opts, case, server, port, certs)
                        result.samples.setdefault(server.label, []).append(sample)
                        print(
                            f"round {rnd + 1}/{opts.rounds} {case.name} -P {case.pipeline} "
                            f"{server.label}: {sample.rps:.0f} req/s, {sample.cpu_us:.1f} us/req",
                            file=sys.stderr,
                        )
        finally:
            stop_all(s for s, _ in servers)
    print(render(info, results, opts.markdown))
    return 1 if any(r.errors(s) for r in results for s in ("ours", "redis")) else 0


if __name__ == "__main__":
    sys.exit(main())
