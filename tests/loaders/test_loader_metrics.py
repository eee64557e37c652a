"""/readyz and the loader metrics with a real PostgreSQL: ready while the
database answers, 503 with the reason while it is down, ready again after."""

from __future__ import annotations

import http.client

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cacheserver.config import Config
from helpers import ServerThread, free_port, wait_for
from pgutil import CacheServers, Cluster, client

pytestmark = pytest.mark.pg


def loaders_file(port: int, **db: str | int) -> str:
    extra = "".join(
        f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n" for k, v in db.items()
    )
    return f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{port}/postgres"
sslmode = "disable"
connect_timeout = "1s"
{extra}
[[loader]]
name = "prod"
key = "prod:{{id:int}}"
query = "SELECT name FROM products WHERE id = $1"
format = "value"
ttl = "1h"
"""


def start(servers: CacheServers, text: str) -> ServerThread:
    return servers.start(text, **{"metrics-port": free_port()})


def get(st: ServerThread, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(st.host, st.config["metrics-port"], timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def scrape(st: ServerThread) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, body = get(st, "/metrics")
    assert status == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(body.decode())
        for s in fam.samples
    }


def test_ready_follows_the_database(pg2: Cluster, servers: CacheServers) -> None:
    st = start(servers, loaders_file(pg2.port, health_check_interval="100ms", min_connections=1))
    assert wait_for(lambda: get(st, "/readyz")[0] == 200, what="ready")
    r = client(st)
    before = scrape(st)
    assert r.get("prod:7") == b"second 7"
    after = scrape(st)
    prod = frozenset({("loader", "prod")})
    assert (
        after[("cacheserver_loader_loads_total", prod)]
        - before[("cacheserver_loader_loads_total", prod)]
        == 1
    )
    assert after[("cacheserver_loader_query_duration_seconds_count", prod)] == 1
    assert after[("cacheserver_loader_pool_up", frozenset())] == 1
    pg2.stop("immediate")
    down = wait_for(lambda: (s := get(st, "/readyz"))[0] == 503 and s, what="not ready")
    assert down[1].startswith(b"database unreachable: "), down
    assert get(st, "/healthz") == (200, b"ok\n")  # alive all the same
    m = scrape(st)
    assert m[("cacheserver_loader_pool_up", frozenset())] == 0
    assert m[("cacheserver_loader_pool_health_failures_total", frozenset())] >= 1
    pg2.start()
    wait_for(lambda: get(st, "/readyz") == (200, b"ready\n"), what="ready again")


def test_a_recent_success_spares_the_query(pg: Cluster, servers: CacheServers) -> None:
    """With no connection kept open, the first probe borrows one and queries;
    the next relies on that success."""
    st = start(servers, loaders_file(pg.port, health_check_interval="60s", min_connections=0))
    borrows = ("cacheserver_loader_pool_borrows_total", frozenset())
    assert scrape(st)[borrows] == 0
    assert get(st, "/readyz") == (200, b"ready\n")
    assert scrape(st)[borrows] == 1
    assert get(st, "/readyz") == (200, b"ready\n")
    assert scrape(st)[borrows] == 1


def test_database_never_reachable(servers: CacheServers) -> None:
    st = start(servers, loaders_file(free_port(), min_connections=0))
    status, body = get(st, "/readyz")
    assert status == 503 and body.startswith(b"database unreachable: "), body
    assert get(st, "/healthz")[0] == 200
    m = scrape(st)
    assert m[("cacheserver_loader_pool_up", frozenset())] == 0
    assert m[("cacheserver_loader_pool_connect_errors_total", frozenset())] >= 1
    # without loaders the same server would be ready: the database is the reason
    plain = ServerThread(Config(**{"metrics-port": free_port()})).start()
    try:
        assert get(plain, "/readyz") == (200, b"ready\n")
    finally:
        plain.stop()
