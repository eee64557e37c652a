"""/metrics, /healthz and /readyz over HTTP against a live server (one per module).

Each test scrapes, acts through real clients, scrapes again and checks that
the counters moved by exactly what it did."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from pymemcache.client.base import Client as McClient

import cacheserver.metrics
from cacheserver.config import Config
from helpers import ServerThread, free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def ms() -> Iterator[ServerThread]:
    cfg = Config(
        **{
            "metrics-port": free_port(),
            "metrics-key-prefixes": ["user:", "product:"],
        }
    )
    st = ServerThread(cfg).start()
    yield st
    st.stop()


@pytest.fixture
def r(ms: ServerThread) -> Iterator[redis.Redis]:
    client = redis.Redis(host=ms.host, port=ms.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


def http_get(
    st: ServerThread, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(st.host, st.config["metrics-port"], timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def raw_http(st: ServerThread, data: bytes) -> bytes:
    """Send ``data``, read until the server closes."""
    with socket.create_connection((st.host, st.config["metrics-port"]), timeout=10) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def scrape(st: ServerThread) -> Samples:
    status, headers, body = http_get(st, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    out: Samples = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def val(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return val(after, name, **labels) - val(before, name, **labels)


# -- commands ---------------------------------------------------------------------


def test_commands_by_result_and_histogram(ms: ServerThread, r: redis.Redis) -> None:
    r.set("n", "x")
    before = scrape(ms)
    for i in range(5):
        r.set(f"k{i}", i)
    with pytest.raises(redis.ResponseError):
        r.incr("n")  # INCRBY n 1: not an integer, so ran and failed
    with pytest.raises(redis.ResponseError):
        r.execute_command("SET", "only-key")  # wrong arity: rejected
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "NOPE")  # unknown subcommand: rejected on the container
    after = scrape(ms)
    total = "cacheserver_commands_total"
    assert delta(before, after, total, command="set", result="ok") == 5
    assert delta(before, after, total, command="set", result="rejected") == 1
    assert delta(before, after, total, command="incrby", result="failed") == 1
    assert delta(before, after, total, command="incrby", result="ok") == 0
    assert delta(before, after, total, command="config", result="rejected") == 1
    h = "cacheserver_command_duration_seconds"
    assert delta(before, after, h + "_count", command="set") == 5
    assert delta(before, after, h + "_count", command="incrby") == 1
    assert delta(before, after, h + "_bucket", command="set", le="+Inf") == 5
    assert delta(before, after, h + "_sum", command="set") > 0
    # cumulative buckets: never decreasing, the last one the count
    les = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in after.items()
        if name == h + "_bucket" and dict(labels)["command"] == "set"
    )
    assert len(les) == 25
    counts = [v for _, v in les]
    assert counts == sorted(counts)
    assert counts[-1] == val(after, h + "_count", command="set")
    assert les[0][0] == pytest.approx(1.024e-6) and les[-2][0] == pytest.approx(8.589934592)


def test_subcommands_and_uncalled_commands(ms: ServerThread, r: redis.Redis) -> None:
    r.config_get("maxmemory")
    after = scrape(ms)
    assert val(after, "cacheserver_commands_total", command="config|get", result="ok") >= 1
    # a command never called has no series
    assert (
        "cacheserver_command_duration_seconds_count",
        frozenset({("command", "zinterstore")}),
    ) not in after


# -- keyspace -----------------------------------------------------------------------


def test_keyspace_and_prefixes(ms: ServerThread, r: redis.Redis) -> None:
    r.mset({"user:1": "a", "product:1": "b", "other": "c"})
    r.lpush("user:list", "x")
    before = scrape(ms)
    r.get("user:1")
    r.get("user:2")
    r.get("product:1")
    r.mget("product:1", "product:2", "other", "nothing")
    with pytest.raises(redis.ResponseError):
        r.get("user:list")  # WRONGTYPE after the lookup: a hit, as keyspace_hits
    after = scrape(ms)
    assert delta(before, after, "cacheserver_keyspace_hits_total") == 5
    assert delta(before, after, "cacheserver_keyspace_misses_total") == 3
    assert delta(before, after, "cacheserver_prefix_hits_total", prefix="user:") == 2
    assert delta(before, after, "cacheserver_prefix_misses_total", prefix="user:") == 1
    assert delta(before, after, "cacheserver_prefix_hits_total", prefix="product:") == 2
    assert delta(before, after, "cacheserver_prefix_misses_total", prefix="product:") == 1
    assert delta(before, after, "cacheserver_errors_total", prefix="WRONGTYPE") == 1
    h = val(after, "cacheserver_prefix_hits_total", prefix="user:")
    m = val(after, "cacheserver_prefix_misses_total", prefix="user:")
    assert val(after, "cacheserver_prefix_hit_ratio", prefix="user:") == pytest.approx(h / (h + m))
    assert val(after, "cacheserver_keys", db="0") == 4


def test_memcached_reads_count_per_prefix(ms: ServerThread, r: redis.Redis) -> None:
    """get, multi-get, gets and mg over the memcached port split per prefix
    too (the lookups themselves; memcached's own counters stay apart)."""
    r.mset({"user:1": "a", "product:1": "b"})
    r.lpush("user:list", "x")
    mc = McClient((ms.host, ms.mc_port), timeout=10)
    try:
        before = scrape(ms)
        assert mc.get("user:1") == b"a"
        assert mc.get("user:2") is None
        assert mc.get_many(["product:1", "product:2", "user:list", "other"]) == {"product:1": b"b"}
        assert mc.gets("user:1")[0] == b"a"
        assert mc.raw_command(b"mg product:1 v", b"\r\n").startswith(b"VA 1")
        assert mc.raw_command(b"mg product:3 v", b"\r\n") == b"EN"
        after = scrape(ms)
    finally:
        mc.close()
    assert delta(before, after, "cacheserver_prefix_hits_total", prefix="user:") == 2
    assert delta(before, after, "cacheserver_prefix_misses_total", prefix="user:") == 2
    assert delta(before, after, "cacheserver_prefix_hits_total", prefix="product:") == 2
    assert delta(before, after, "cacheserver_prefix_misses_total", prefix="product:") == 2


def test_prefixes_change_at_run_time_and_reset(ms: ServerThread, r: redis.Redis) -> None:
    r.set("cart:1", "x")
    r.config_set("metrics-key-prefixes", "cart: user:")
    try:
        before = scrape(ms)
        r.get("cart:1")
        after = scrape(ms)
        assert delta(before, after, "cacheserver_prefix_hits_total", prefix="cart:") == 1
        assert ("cacheserver_prefix_hits_total", frozenset({("prefix", "product:")})) not in after
        r.config_resetstat()
        assert val(scrape(ms), "cacheserver_prefix_hits_total", prefix="cart:") == 0
        r.config_set("metrics-key-prefixes", "")
        assert not any(name.startswith("cacheserver_prefix_") for name, _ in scrape(ms))
    finally:
        r.config_set("metrics-key-prefixes", "user: product:")


def test_expired_keys_and_memory(ms: ServerThread, r: redis.Redis) -> None:
    before = scrape(ms)
    r.set("gone", "x", px=1)
    time.sleep(0.01)  # a TTL passing is time, not an event: let its millisecond go by
    assert r.get("gone") is None  # expired by this read, or by the active cycle before it
    r.config_set("maxmemory", "64mb")
    try:
        after = scrape(ms)
    finally:
        r.config_set("maxmemory", "0")
    assert delta(before, after, "cacheserver_expired_keys_total") == 1
    assert val(after, "cacheserver_memory_max_bytes") == 64 * 1024 * 1024
    used = val(after, "cacheserver_memory_used_bytes")
    assert 0 < used <= val(after, "cacheserver_memory_peak_bytes")
    assert val(after, "cacheserver_memory_rss_bytes") > 0
    assert val(after, "process_resident_memory_bytes") > 0
    assert ("cacheserver_evicted_keys_total", frozenset()) in after


# -- clients, network, pub/sub, memcached ---------------------------------------------------


def test_clients_network_and_pubsub(ms: ServerThread, r: redis.Redis) -> None:
    before = scrape(ms)
    other = redis.Redis(host=ms.host, port=ms.port, socket_timeout=10)
    p = other.pubsub()
    p.subscribe("ch1", "ch2")
    p.psubscribe("pat*")
    deadline = time.monotonic() + 5
    while r.pubsub_numpat() < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    r.set("big", "v" * 10_000)
    r.get("big")
    after = scrape(ms)
    assert delta(before, after, "cacheserver_connections_received_total", protocol="redis") >= 1
    assert val(after, "cacheserver_connected_clients", protocol="redis") >= 2
    assert val(after, "cacheserver_pubsub_clients") == 1
    assert val(after, "cacheserver_pubsub_channels", kind="channel") == 2
    assert val(after, "cacheserver_pubsub_patterns") == 1
    assert delta(before, after, "cacheserver_net_input_bytes_total", protocol="redis") > 10_000
    assert delta(before, after, "cacheserver_net_output_bytes_total", protocol="redis") > 10_000
    assert val(after, "cacheserver_max_clients", protocol="redis") == 10000
    p.close()
    other.close()


def test_memcached_counters(ms: ServerThread) -> None:
    mc = McClient((ms.host, ms.mc_port), timeout=10)
    before = scrape(ms)
    mc.set("mk", b"v")
    assert mc.get("mk") == b"v"
    assert mc.get("mk-missing") is None
    mc.delete("mk-missing")
    after = scrape(ms)
    mc.close()
    assert delta(before, after, "cacheserver_memcached_commands_total", command="set") == 1
    assert delta(before, after, "cacheserver_memcached_commands_total", command="get") == 2
    assert delta(before, after, "cacheserver_memcached_hits_total", command="get") == 1
    assert delta(before, after, "cacheserver_memcached_misses_total", command="get") == 1
    assert delta(before, after, "cacheserver_memcached_misses_total", command="delete") == 1
    assert delta(before, after, "cacheserver_connections_received_total", protocol="memcached") == 1
    assert delta(before, after, "cacheserver_net_input_bytes_total", protocol="memcached") > 0


def test_acl_denials_and_info(ms: ServerThread) -> None:
    after = scrape(ms)
    for reason in ("auth", "cmd", "key", "channel"):
        assert ("cacheserver_acl_denied_total", frozenset({("reason", reason)})) in after
    info = [k for k in after if k[0] == "cacheserver_info"]
    assert len(info) == 1 and ("version", cacheserver.__version__) in info[0][1]
    assert val(after, "cacheserver_uptime_seconds") >= 0
    assert not any(k[0].startswith("cacheserver_loader_") for k in after)  # no loaders here


# -- HTTP ---------------------------------------------------------------------------------


def test_openmetrics_when_asked(ms: ServerThread) -> None:
    status, headers, body = http_get(
        ms, "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert status == 200
    assert headers["content-type"].startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
    assert b"cacheserver_commands_total{" in body


def test_health_and_readiness(ms: ServerThread) -> None:
    assert http_get(ms, "/healthz")[::2] == (200, b"ok\n")
    assert http_get(ms, "/readyz")[::2] == (200, b"ready\n")
    status, headers, body = http_get(ms, "/healthz", method="HEAD")
    assert (status, body, headers["content-length"]) == (200, b"", "3")
    assert headers["connection"] == "close"
    assert http_get(ms, "/metrics?x=1")[0] == 200


def test_bad_requests(ms: ServerThread) -> None:
    assert http_get(ms, "/nope")[0] == 404
    assert http_get(ms, "/")[0] == 404
    status, headers, _ = http_get(ms, "/metrics", method="POST")
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    assert http_get(ms, "/healthz", method="DELETE")[0] == 405
    assert raw_http(ms, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_http(ms, b"GET /metrics HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # a request past the size bound, with or without its end
    huge = b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * cacheserver.metrics.MAX_REQUEST
    assert raw_http(ms, huge).startswith(b"HTTP/1.1 431 ")
    assert raw_http(ms, huge + b"\r\n\r\n").startswith(b"HTTP/1.1 431 ")
    # bare newlines are accepted
    assert raw_http(ms, b"GET /healthz HTTP/1.0\n\n").startswith(b"HTTP/1.1 200 OK\r\n")
    # the server still answers
    assert http_get(ms, "/healthz")[0] == 200


def test_read_timeout(ms: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cacheserver.metrics, "READ_TIMEOUT", 0.2)
    # half a request, then silence: 408 and closed
    assert raw_http(ms, b"GET /metrics HTTP/1.1\r\n").startswith(b"HTTP/1.1 408 ")


def test_metrics_off_by_default() -> None:
    from cacheserver.server import Server

    srv = Server(Config())
    assert srv.config["metrics-port"] == 0 and srv.metrics is None
    assert srv.keyspace.prefix_stats is None
    assert all(type(db).__name__ == "Database" for db in srv.keyspace.dbs)


def test_readiness_before_start_and_after_stop() -> None:
    from cacheserver.metrics import MetricsServer
    from cacheserver.server import Server

    srv = Server(Config())
    m = MetricsServer(srv)
    assert m.readiness() == "starting"
    srv.started = srv.serving = True
    assert m.readiness() is None
    srv.request_stop()
    assert m.readiness() == "shutting down"
