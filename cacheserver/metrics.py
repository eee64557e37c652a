"""Prometheus metrics and health endpoints over HTTP (``metrics-port``).

A small HTTP/1.x listener on the server's own event loop answers
``GET /metrics`` (prometheus-client's text format, or OpenMetrics when the
scraper asks for it), ``/healthz`` (the loop runs) and ``/readyz`` (the
listeners are up and, with loaders, the database answers).  One request per
connection, then ``Connection: close``; requests are bounded in size and time.

``ServerCollector`` reads the server's plain counters at scrape time (the
command rows' calls and power-of-two time histograms, INFO's counters, the
memcached and loader counters): the command path keeps no metric objects,
so a server nobody scrapes pays nothing.  Scrapes run on the loop thread,
between batches of commands, so they see consistent state without locks.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from collections.abc import Iterator
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry

from cacheserver import REDIS_VERSION, __version__

if TYPE_CHECKING:
    from cacheserver.server import Server

log = logging.getLogger("cacheserver")

__all__ = ["MAX_REQUEST", "READ_TIMEOUT", "MetricsServer", "ServerCollector"]

# Request line and headers may take this many bytes; scrapers and probes
# send a few hundred.  Longer requests get 431 and the connection closes.
MAX_REQUEST = 8192
# Seconds a client has to send its whole request (a slow or silent client
# gets 408 and is closed, so it cannot hold a connection open).
READ_TIMEOUT = 5.0
# /readyz trusts the loader pool's last success for this long (or twice the
# pool's health-check interval, if longer) before it runs a query itself.
READY_FRESH = 10.0
# A failed readiness query is remembered this long: a burst of probes
# against a database that is down makes one connection attempt.
PROBE_FAILURE_TTL = 1.0

# Histogram buckets: a command row's hist[i] counts calls that took
# [2**(i-1), 2**i) ns, so the cumulative count up to i is the number of
# calls under 2**i ns.  Every power of two from 2**10 ns (~1 us) to 2**33 ns
# (~8.6 s) is a bucket boundary.
BUCKET_BITS = range(10, 34)
BUCKET_LE = [repr(2**i / 1e9) for i in BUCKET_BITS]  # 1.024e-06 ... 8.589934592


def _per_protocol(
    family: type[CounterMetricFamily | GaugeMetricFamily],
    name: str,
    doc: str,
    redis: float,
    memcached: float,
) -> Metric:
    """A family with one sample per listener, labelled ``protocol``."""
    m = family(name, doc, labels=["protocol"])
    m.add_metric(["redis"], redis)
    m.add_metric(["memcached"], memcached)
    return m


class ServerCollector(Collector):
    """Every cacheserver_* family, read from the live server at scrape time."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def collect(self) -> Iterator[Metric]:
        yield from self._server_info()
        yield from self._commands()
        yield from self._keyspace()
        yield from self._memory()
        yield from self._clients()
        yield from self._errors()
        yield from self._memcached()
        yield from self._loaders()

    # -- families ------------------------------------------------------------

    def _server_info(self) -> Iterator[Metric]:
        srv = self.server
        info = InfoMetricFamily("cacheserver", "Build and run-time facts (value 1).")
        info.add_metric(
            [],
            {
                "version": __version__,
                "redis_version": REDIS_VERSION,
                "python_version": sys.version.split()[0],
                "event_loop": srv.loop_name,
                "run_id": srv.run_id,
            },
        )
        yield info
        yield GaugeMetricFamily(
            "cacheserver_uptime_seconds",
            "Seconds since the server started.",
            value=time.time() - srv.start_time,
        )
        yield GaugeMetricFamily(
            "cacheserver_start_time_seconds",
            "Unix time the server started.",
            value=srv.start_time,
        )

    def _commands(self) -> Iterator[Metric]:
        total = CounterMetricFamily(
            "cacheserver_commands",
            "Redis-protocol commands by name and result: ok (ran), failed (ran "
            "and replied an error), rejected (refused before running: arity, "
            "unknown subcommand, a mode, OOM, ACL).",
            labels=["command", "result"],
        )
        hist = HistogramMetricFamily(
            "cacheserver_command_duration_seconds",
            "Time each command took to parse and run (power-of-two buckets).",
            labels=["command"],
        )
        for row in self.server.table.all_rows():
            calls, failed, rejected = row.calls, row.failed_calls, row.rejected_calls
            if not (calls or rejected):
                continue
            name = row.fullname.decode("latin-1")
            total.add_metric([name, "ok"], calls - failed)
            total.add_metric([name, "failed"], failed)
            total.add_metric([name, "rejected"], rejected)
            if calls:
                cum = list(accumulate(row.hist))
                buckets: list[tuple[str, float]] = [
                    (le, cum[i - 1]) for le, i in zip(BUCKET_LE, BUCKET_BITS, strict=True)
                ]
                buckets.append(("+Inf", cum[-1]))
                hist.add_metric([name], buckets, row.nsec / 1e9)
        yield total
        yield hist

    def _keyspace(self) -> Iterator[Metric]:
        srv = self.server
        ks = srv.keyspace
        st = ks.stats
        hits, misses = st.keyspace_hits, st.keyspace_misses
        yield CounterMetricFamily(
            "cacheserver_keyspace_hits", "Key lookups that found the key.", value=hits
        )
        yield CounterMetricFamily(
            "cacheserver_keyspace_misses", "Key lookups that did not find it.", value=misses
        )
        yield GaugeMetricFamily(
            "cacheserver_keyspace_hit_ratio",
            "Hits over lookups since start or CONFIG RESETSTAT (0 before any lookup).",
            value=hits / (hits + misses) if hits + misses else 0.0,
        )
        ps = ks.prefix_stats
        if ps is not None:
            ph = CounterMetricFamily(
                "cacheserver_prefix_hits",
                "Key lookups that found the key, by configured key prefix.",
                labels=["prefix"],
            )
            pm = CounterMetricFamily(
                "cacheserver_prefix_misses",
                "Key lookups that did not find it, by configured key prefix.",
                labels=["prefix"],
            )
            pr = GaugeMetricFamily(
                "cacheserver_prefix_hit_ratio",
                "Hits over lookups by configured key prefix, since start or CONFIG RESETSTAT.",
                labels=["prefix"],
            )
            for p in ps.prefixes:
                label = p.decode("utf-8", "replace")
                h, m = ps.hits[p], ps.misses[p]
                ph.add_metric([label], h)
                pm.add_metric([label], m)
                pr.add_metric([label], h / (h + m) if h + m else 0.0)
            yield ph
            yield pm
            yield pr
        yield CounterMetricFamily(
            "cacheserver_expired_keys",
            "Keys deleted because their TTL passed.",
            value=st.expired_keys,
        )
        yield CounterMetricFamily(
            "cacheserver_evicted_keys", "Keys evicted under maxmemory.", value=st.evicted_keys
        )
        keys = GaugeMetricFamily("cacheserver_keys", "Keys per database.", labels=["db"])
        expiring = GaugeMetricFamily(
            "cacheserver_keys_expiring", "Keys with a TTL per database.", labels=["db"]
        )
        for db in ks.dbs:
            if db.data or db.expires or db.id == 0:
                keys.add_metric([str(db.id)], len(db.data))
                expiring.add_metric([str(db.id)], len(db.expires))
        yield keys
        yield expiring

    def _memory(self) -> Iterator[Metric]:
        from cacheserver.commands.server import rss

        mem = self.server.memory
        mem.refresh()  # measures tables and client buffers; never evicts
        used = mem.used_memory()
        yield GaugeMetricFamily(
            "cacheserver_memory_used_bytes",
            "Memory used as INFO used_memory counts it (keys, values, tables, buffers).",
            value=used,
        )
        yield GaugeMetricFamily(
            "cacheserver_memory_peak_bytes", "Highest used memory seen.", value=max(mem.peak, used)
        )
        yield GaugeMetricFamily(
            "cacheserver_memory_max_bytes", "maxmemory (0 = no limit).", value=mem.maxmemory
        )
        yield GaugeMetricFamily(
            "cacheserver_memory_rss_bytes", "Resident set size of the process.", value=rss()
        )

    def _clients(self) -> Iterator[Metric]:
        srv = self.server
        s = srv.stats
        mc = srv.memcached
        ms = mc.stats
        yield _per_protocol(
            GaugeMetricFamily,
            "cacheserver_connected_clients",
            "Open client connections.",
            len(srv.clients),
            len(mc.conns),
        )
        yield _per_protocol(
            GaugeMetricFamily,
            "cacheserver_max_clients",
            "Most connections accepted at once (maxclients, memcached-maxconns).",
            srv.config["maxclients"],
            mc.maxconns,
        )
        yield _per_protocol(
            CounterMetricFamily,
            "cacheserver_connections_received",
            "Connections accepted, refused ones included.",
            s.total_connections_received,
            ms.total_connections,
        )
        yield _per_protocol(
            CounterMetricFamily,
            "cacheserver_rejected_connections",
            "Connections refused at the client limit.",
            s.rejected_connections,
            ms.rejected_connections,
        )
        yield GaugeMetricFamily(
            "cacheserver_blocked_clients",
            "Clients waiting: blocking commands, read-through loads, CLIENT PAUSE.",
            value=len(srv.blocking) + len(srv.pause),
        )
        yield GaugeMetricFamily(
            "cacheserver_tracking_clients",
            "Clients with CLIENT TRACKING on.",
            value=srv.tracking.clients,
        )
        yield GaugeMetricFamily(
            "cacheserver_pubsub_clients",
            "Clients subscribed to a channel or pattern.",
            value=sum(1 for c in srv.clients.values() if c.subs is not None),
        )
        yield CounterMetricFamily(
            "cacheserver_client_output_buffer_limit_disconnections",
            "Clients closed by client-output-buffer-limit.",
            value=s.client_output_buffer_limit_disconnections,
        )
        yield _per_protocol(
            CounterMetricFamily,
            "cacheserver_net_input_bytes",
            "Bytes read from clients.",
            s.total_net_input_bytes,
            ms.bytes_read,
        )
        yield _per_protocol(
            CounterMetricFamily,
            "cacheserver_net_output_bytes",
            "Bytes written to clients.",
            s.total_net_output_bytes,
            ms.bytes_written,
        )
        ps = srv.pubsub
        channels = GaugeMetricFamily(
            "cacheserver_pubsub_channels",
            "Channels with subscribers (kind: channel or shard).",
            labels=["kind"],
        )
        channels.add_metric(["channel"], len(ps.channels))
        channels.add_metric(["shard"], len(ps.shard))
        yield channels
        yield GaugeMetricFamily(
            "cacheserver_pubsub_patterns", "Patterns with subscribers.", value=len(ps.patterns)
        )

    def _errors(self) -> Iterator[Metric]:
        s = self.server.stats
        errors = CounterMetricFamily(
            "cacheserver_errors",
            "Error replies by their first word (INFO errorstats).",
            labels=["prefix"],
        )
        for code, n in sorted(s.errorstats.items()):
            errors.add_metric([code.decode("latin-1")], n)
        yield errors
        yield CounterMetricFamily(
            "cacheserver_error_replies", "Error replies sent.", value=s.total_error_replies
        )
        denied = CounterMetricFamily(
            "cacheserver_acl_denied",
            "AUTH failures and commands, keys and channels refused by ACL rules.",
            labels=["reason"],
        )
        for reason in ("auth", "cmd", "key", "channel"):
            denied.add_metric([reason], getattr(s, f"acl_access_denied_{reason}", 0))
        yield denied

    def _memcached(self) -> Iterator[Metric]:
        ms = self.server.memcached.stats
        cmds = CounterMetricFamily(
            "cacheserver_memcached_commands",
            "memcached commands by kind (stats cmd_get, cmd_set, ...; a get of n keys counts n).",
            labels=["command"],
        )
        for name in ("get", "set", "touch", "flush", "meta"):
            cmds.add_metric([name], getattr(ms, f"cmd_{name}"))
        yield cmds
        hits = CounterMetricFamily(
            "cacheserver_memcached_hits",
            "memcached commands that found their item (stats get_hits, ...).",
            labels=["command"],
        )
        misses = CounterMetricFamily(
            "cacheserver_memcached_misses",
            "memcached commands that did not (stats get_misses, ...).",
            labels=["command"],
        )
        for name in ("get", "delete", "incr", "decr", "cas", "touch"):
            hits.add_metric([name], getattr(ms, f"{name}_hits"))
            misses.add_metric([name], getattr(ms, f"{name}_misses"))
        yield hits
        yield misses
        other = (
            ("cas_badval", "cas commands refused for a changed CAS unique."),
            ("get_expired", "gets that found an expired item."),
            ("get_flushed", "gets that found an item flushed by flush_all."),
            ("store_too_large", "Stores refused: item larger than memcached-max-item-size."),
            ("store_no_memory", "Stores refused: out of memory."),
        )
        for name, doc in other:
            yield CounterMetricFamily(f"cacheserver_memcached_{name}", doc, value=getattr(ms, name))
        yield CounterMetricFamily(
            "cacheserver_memcached_items_stored",
            "Items stored (stats total_items).",
            value=ms.total_items,
        )

    def _loaders(self) -> Iterator[Metric]:
        loaders = self.server.loaders
        if loaders is None:
            return
        per: list[tuple[str, str, str, str]] = [
            # (metric, kind, loader attribute, help)
            ("loads", "counter", "loads", "Loads started for cache misses."),
            ("queries", "counter", "queries", "Database queries run (a batch is one)."),
            ("misses", "counter", "misses", "Cache misses that reached the loader."),
            (
                "negative_hits",
                "counter",
                "negative_hits",
                "Misses answered by a remembered empty result.",
            ),
            ("coalesced", "counter", "coalesced", "Misses that joined a load already running."),
            ("stale_serves", "counter", "stale_serves", "Misses answered with a stale value."),
            ("errors", "counter", "errors", "Loads that failed."),
            ("retries", "counter", "retries", "Queries retried on a new connection."),
            ("invalidations", "counter", "invalidations", "Keys dropped by invalidation notices."),
            ("in_flight", "gauge", "", "Loads running."),
            ("queued", "gauge", "", "Loads waiting for a connection."),
        ]
        fams: dict[str, Any] = {}
        for metric, kind, _, doc in per:
            cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            fams[metric] = cls(f"cacheserver_loader_{metric}", doc, labels=["loader"])
        dur = Metric(
            "cacheserver_loader_query_duration_seconds",
            "Time of the loader's database queries (quantile over the latest samples).",
            "summary",
        )
        for L in loaders.loaders:
            name = L.spec.name
            for metric, _kind, attr, _ in per:
                if attr:
                    value = getattr(L, attr)
                elif metric == "in_flight":
                    value = len(L.flights)
                else:
                    value = len(L.queue)
                fams[metric].add_metric([name], value)
            lat = sorted(L.latencies)
            labels = {"loader": name}
            if lat:
                for q in (0.5, 0.99):
                    dur.add_sample(
                        dur.name,
                        {**labels, "quantile": repr(q)},
                        lat[min(len(lat) - 1, int(len(lat) * q))],
                    )
            dur.add_sample(dur.name + "_sum", labels, L.lat_sum)
            dur.add_sample(dur.name + "_count", labels, L.lat_n)
        yield from fams.values()
        yield dur
        yield CounterMetricFamily(
            "cacheserver_loader_reloads", "Loader file reloads.", value=loaders.reloads
        )
        yield CounterMetricFamily(
            "cacheserver_loader_reload_errors",
            "Loader file reloads refused (bad file).",
            value=loaders.reload_errors,
        )
        p = loaders.pool
        gauges = (
            ("size", p.size, "Connections open or opening."),
            ("in_use", p.in_use, "Connections lent to loads."),
            ("idle", len(p.idle), "Connections idle in the pool."),
            ("waiting", p.waiting, "Loads waiting to borrow a connection."),
            ("min", p.spec.min_connections, "min_connections."),
            ("max", p.spec.max_connections, "max_connections."),
            ("peak", p.peak, "Most connections open at once."),
            ("up", int(p.available), "1 when the last connection attempt succeeded."),
        )
        for name, value, doc in gauges:
            yield GaugeMetricFamily(f"cacheserver_loader_pool_{name}", doc, value=value)
        counters = (
            ("borrows", p.borrows, "Connections lent."),
            ("borrow_timeouts", p.borrow_timeouts, "Borrows that timed out."),
            ("failovers", p.failovers, "Moves to another database host."),
            ("connects", p.connects, "Connections opened."),
            ("connect_errors", p.connect_errors, "Connection attempts that failed on every host."),
            ("health_checks", p.health_checks, "Idle connections pinged."),
            ("health_failures", p.health_failures, "Pings that failed."),
            ("recycled", p.recycled, "Connections closed for age or idleness."),
        )
        for name, value, doc in counters:
            yield CounterMetricFamily(f"cacheserver_loader_pool_{name}", doc, value=value)
        li = loaders.listener
        yield GaugeMetricFamily(
            "cacheserver_loader_listen_connected",
            "1 while the LISTEN connection for invalidations is up.",
            value=int(li is not None and li.connected),
        )
        yield CounterMetricFamily(
            "cacheserver_loader_listen_reconnects",
            "LISTEN connection reconnects.",
            value=0 if li is None else li.reconnects,
        )
        yield CounterMetricFamily(
            "cacheserver_loader_listen_notifications",
            "Invalidation notifications received.",
            value=0 if li is None else li.notifications,
        )


def make_registry(server: Server) -> CollectorRegistry:
    """The server's own registry: its collector, and the process, GC and
    platform collectors of prometheus-client (process_*, python_*)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServerCollector(server))
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


# -- the HTTP side -------------------------------------------------------------

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LINE = re.compile(rb"\r?\n")
TEXT = "text/plain; charset=utf-8"


class MetricsServer:
    """The HTTP listener(s) and the readiness state."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.registry = make_registry(server)
        self.listeners: list[asyncio.AbstractServer] = []
        self.conns: set[HttpConnection] = set()
        self.port = 0
        self.requests = 0
        self._probe: asyncio.Future[str | None] | None = None
        self._probe_failed_at = float("-inf")
        self._probe_failure = ""

    async def start(self) -> None:
        srv = self.server
        cfg = srv.config
        loop = asyncio.get_running_loop()
        port = cfg["metrics-port"]
        for host in cfg["metrics-bind"]:
            host = host.lstrip("-")
            host = "0.0.0.0" if host == "*" else ("::" if host == "::*" else host)
            listener = await loop.create_server(
                lambda: HttpConnection(self), host, port, reuse_address=True
            )
            self.listeners.append(listener)
            if port == 0:
                port = listener.sockets[0].getsockname()[1]
        self.port = port
        srv.ports["metrics"] = port

    async def stop(self) -> None:
        for listener in self.listeners:
            listener.close()
        for conn in list(self.conns):
            conn.close()
        for listener in self.listeners:
            await listener.wait_closed()
        self.listeners.clear()
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()

    # -- requests ----------------------------------------------------------------

    def metrics(self, accept: str) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type

    def readiness(self) -> str | asyncio.Future[str | None] | None:
        """None when ready, else why not; a future of either while the
        database is being asked."""
        srv = self.server
        if not srv.serving:
            return "shutting down" if srv.started else "starting"
        loaders = srv.loaders
        if loaders is None:
            return None
        pool = loaders.pool
        if pool.closed:
            return "database pool closed"
        now = time.monotonic()
        fresh = max(READY_FRESH, 2 * pool.spec.health_check_interval)
        if pool.available and now - pool.last_ok < fresh:
            return None
        if now - self._probe_failed_at < PROBE_FAILURE_TTL:
            return self._probe_failure
        if self._probe is None or self._probe.done():
            task = asyncio.get_running_loop().create_task(self._ask_database())
            srv.tasks.add(task)
            task.add_done_callback(srv.tasks.discard)
            self._probe = task
        return self._probe

    async def _ask_database(self) -> str | None:
        from cacheserver.loaders.pool import reason

        loaders = self.server.loaders
        if loaders is None:
            return None
        pool = loaders.pool
        try:
            await pool.probe(pool.spec.connect_timeout + 0.5)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            why = "database unreachable: " + reason(e)
            self._probe_failed_at = time.monotonic()
            self._probe_failure = why
            return why
        return None


class HttpConnection(asyncio.Protocol):
    """One HTTP request, one response, then close."""

    __slots__ = ("buf", "done", "metrics", "timer", "transport")

    def __init__(self, metrics: MetricsServer) -> None:
        self.metrics = metrics
        self.buf = bytearray()
        self.done = False
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.metrics.conns.add(self)
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(READ_TIMEOUT, self._timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self.done = True
        self.metrics.conns.discard(self)
        if self.timer is not None:
            self.timer.cancel()

    def data_received(self, data: bytes) -> None:
        if self.done:
            return  # a body, or bytes after the request: ignored
        self.buf += data
        m = _HEAD_END.search(self.buf)
        if m is None or m.start() > MAX_REQUEST:
            if len(self.buf) > MAX_REQUEST:
                self.respond(431, b"request too large\n")
            return
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        head = bytes(self.buf[: m.start()])
        self.buf = bytearray()
        try:
            self.handle(head)
        except Exception:
            log.exception("metrics: error answering a request")
            self.respond(500, b"internal error\n")

    def _timed_out(self) -> None:
        if not self.done:
            self.respond(408, b"request timeout\n")

    def handle(self, head: bytes) -> None:
        lines = _LINE.split(head)
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self.respond(400, b"bad request\n")
            return
        method, target = parts[0], parts[1]
        self.metrics.requests += 1
        head_only = method == b"HEAD"
        if method != b"GET" and not head_only:
            self.respond(405, b"method not allowed\n", extra=b"Allow: GET, HEAD\r\n")
            return
        path = target.split(b"?", 1)[0]
        if path == b"/metrics":
            accept = ""
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"accept":
                    accept = value.strip().decode("latin-1")
            body, ctype = self.metrics.metrics(accept)
            self.respond(200, body, ctype, head_only=head_only)
        elif path == b"/healthz":
            self.respond(200, b"ok\n", head_only=head_only)
        elif path == b"/readyz":
            ready = self.metrics.readiness()
            if isinstance(ready, asyncio.Future):
                ready.add_done_callback(lambda f: self._ready(f, head_only))
            else:
                self._send_ready(ready, head_only)
        else:
            self.respond(404, b"not found\n", head_only=head_only)

    def _ready(self, fut: asyncio.Future[str | None], head_only: bool) -> None:
        if fut.cancelled():
            self._send_ready("shutting down", head_only)
        elif fut.exception() is not None:
            self._send_ready("readiness check failed", head_only)
        else:
            self._send_ready(fut.result(), head_only)

    def _send_ready(self, why: str | None, head_only: bool) -> None:
        if why is None:
            self.respond(200, b"ready\n", head_only=head_only)
        else:
            self.respond(503, why.encode("utf-8", "replace") + b"\n", head_only=head_only)

    def respond(
        self,
        status: int,
        body: bytes,
        ctype: str = TEXT,
        extra: bytes = b"",
        head_only: bool = False,
    ) -> None:
        t = self.transport
        self.done = True
        if t is None or t.is_closing():
            return
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
            f"Content-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n"
        ).encode("latin-1")
        t.write(head + extra + b"\r\n" + (b"" if head_only else body))
        t.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
