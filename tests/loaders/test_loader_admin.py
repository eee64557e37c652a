"""LOADER RELOAD and SIGHUP (a bad file keeps the current loaders), LOADER
without loaders, and the INFO loaders section."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
import redis

from helpers import Harness, free_port
from pgutil import ROOT, CacheServers, Cluster, client, loader_stats, wait_for

pytestmark = pytest.mark.pg


def config(pg: Cluster, ttl: str = "1h", app: str = "cs-admin", extra: str = "") -> str:
    return f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{pg.port}/postgres"
sslmode = "disable"
application_name = "{app}"

[[loader]]
name = "p"
key = "p:{{id:int}}"
query = "SELECT name FROM products WHERE id = $1"
format = "value"
ttl = "{ttl}"
negative_ttl = "1h"
{extra}"""


EXTRA = """
[[loader]]
name = "q"
key = "q:{id:int}"
query = "SELECT price FROM products WHERE id = $1"
format = "value"
ttl = "5m"
"""


def listed(r: redis.Redis) -> dict[str, dict[bytes, bytes]]:
    out = {}
    for entry in r.execute_command("LOADER", "LIST"):
        d = entry if isinstance(entry, dict) else dict(zip(entry[::2], entry[1::2], strict=True))
        out[d[b"name"].decode()] = d
    return out


def test_reload_command(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(config(pg))
    path = st.config["loaders"]
    r = client(st)
    assert r.get("p:1") == b"product 1"
    assert r.get("p:999999") is None  # a negative entry
    with open(path, "w") as f:
        f.write(config(pg, ttl="2h", extra=EXTRA))
    assert r.execute_command("LOADER", "RELOAD") == b"OK"
    loaders = listed(r)
    assert set(loaders) == {"p", "q"}
    assert loaders["p"][b"ttl"] == b"2h"
    assert r.get("q:2") == b"3.00"
    # same key, query and format: its state stays
    assert loader_stats(r, "p")["negative_entries"] == "1"
    assert r.get("p:3") == b"product 3"
    assert r.ttl("p:3") > 3600  # the new TTL
    # a bad file: the current loaders stay, the error names file and line
    with open(path, "w") as f:
        f.write(config(pg, ttl="soon"))
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command("LOADER", "RELOAD")
    assert str(info.value).startswith(f"loaders not reloaded: {path}:12: loader 'p': ttl: 'soon' is not a duration")
    assert set(listed(r)) == {"p", "q"}
    info_section = r.info("loaders")
    assert info_section["loaders_reloads"] == 1
    assert info_section["loaders_reload_errors"] == 1


def test_reload_with_a_new_database_table(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(config(pg, app="cs-before"))
    r = client(st)
    assert r.get("p:4") == b"product 4"
    with open(st.config["loaders"], "w") as f:
        f.write(config(pg, app="cs-after"))
    r.execute_command("LOADER", "RELOAD")
    assert r.get("p:5") == b"product 5"
    assert pg.connections("cs-after") >= 1
    wait_for(lambda: pg.connections("cs-before") == 0, what="the old pool closed")


def test_sighup_reloads(pg: Cluster, tmp_path: Any) -> None:
    path = os.path.join(str(tmp_path), "loaders.toml")
    with open(path, "w") as f:
        f.write(config(pg))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "cacheserver", "--port", str(port),
            "--memcached-port", "0",  # not the shared default 11211
            "--loaders", path,
        ],
        env=dict(os.environ, PYTHONPATH=ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        r = redis.Redis(port=port, socket_timeout=10)
        deadline = time.monotonic() + 15
        while True:
            try:
                r.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        assert r.get("p:6") == b"product 6"
        with open(path, "w") as f:
            f.write(config(pg, extra=EXTRA))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "q" in listed(r), what="the reload")
        with open(path, "w") as f:
            f.write("not toml [")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: r.info("loaders")["loaders_reload_errors"] == 1, what="the failed reload")
        assert set(listed(r)) == {"p", "q"}
        assert r.get("q:7") == b"10.50"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "loaders not reloaded" in err.decode()


def test_without_loaders() -> None:
    h = Harness()
    assert h.run("LOADER", "LIST") == b"*0\r\n"
    assert h.run("LOADER", "STATS") == b"*0\r\n"
    assert h.run("LOADER", "RELOAD") == b"-ERR no loaders configured (start the server with --loaders FILE)\r\n"
    assert h.run("LOADER", "INVALIDATE", "k").startswith(b"-ERR no loaders configured")
    assert h.run("LOADER", "HELP").startswith(b"*11\r\n+LOADER <subcommand>")
    assert b"# Loaders" not in h.run("INFO", "everything")
    assert h.run("CONFIG", "GET", "loaders") == b"*2\r\n$7\r\nloaders\r\n$0\r\n\r\n"
    assert h.run("GET", "product:1") == b"$-1\r\n"


def test_info_section(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(config(pg))
    r = client(st)
    r.get("p:8")
    r.get("p:999998")
    r.get("p:999998")
    assert "loaders" in r.info()  # in the default sections once configured
    info = r.info("loaders")
    p = info["loader_p"]
    for field in ("loads", "hits", "misses", "negative_hits", "coalesced", "stale_serves", "errors",
                  "load_avg_ms", "load_p99_ms"):
        assert field in p
    assert (p["loads"], p["misses"], p["negative_hits"]) == (2, 3, 1)
    for field in ("pool_size", "pool_in_use", "pool_waiting", "pool_borrow_timeouts", "pool_failovers", "pool_max"):
        assert field in info
    assert info["pool_current_host"] == f"127.0.0.1:{pg.port}"
