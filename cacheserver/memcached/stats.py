"""``stats`` and its subcommands, with memcached 1.6's field names.

Counters memcached keeps per command live in ``McStats``; item counts and
sizes are read from the memcached database when asked.  Fields about
machinery cacheserver does not have (slab rebalancing, the LRU crawler,
extstore) keep memcached's names with the values of an idle memcached, so
tools that read them find them.
"""

from __future__ import annotations

import os
import resource
import time
from typing import TYPE_CHECKING

from cacheserver.memcached.items import item_size

if TYPE_CHECKING:
    from cacheserver.memcached.connection import McConnection

SAMPLE_LIMIT = 100_000  # above this many items, "bytes" is estimated from a sample


class McStats:
    """memcached's per-command counters (``struct thread_stats``)."""

    __slots__ = (
        "auth_cmds",
        "auth_errors",
        "bytes_read",
        "bytes_written",
        "cas_badval",
        "cas_hits",
        "cas_misses",
        "cmd_flush",
        "cmd_get",
        "cmd_meta",
        "cmd_set",
        "cmd_touch",
        "decr_hits",
        "decr_misses",
        "delete_hits",
        "delete_misses",
        "get_expired",
        "get_flushed",
        "get_hits",
        "get_misses",
        "incr_hits",
        "incr_misses",
        "rejected_connections",
        "store_no_memory",
        "store_too_large",
        "total_connections",
        "total_items",
        "touch_hits",
        "touch_misses",
    )

    auth_cmds: int
    auth_errors: int
    bytes_read: int
    bytes_written: int
    cas_badval: int
    cas_hits: int
    cas_misses: int
    cmd_flush: int
    cmd_get: int
    cmd_meta: int
    cmd_set: int
    cmd_touch: int
    decr_hits: int
    decr_misses: int
    delete_hits: int
    delete_misses: int
    get_expired: int
    get_flushed: int
    get_hits: int
    get_misses: int
    incr_hits: int
    incr_misses: int
    rejected_connections: int
    store_no_memory: int
    store_too_large: int
    total_connections: int
    total_items: int
    touch_hits: int
    touch_misses: int

    def __init__(self) -> None:
        self.reset()
        self.total_items = 0

    def reset(self) -> None:
        """``stats reset`` (memcached keeps total_items and the connections)."""
        for name in self.__slots__:
            if name != "total_items":
                setattr(self, name, 0)


def _lines(pairs: list[tuple[str, object]]) -> bytes:
    return "".join(f"STAT {k} {v}\r\n" for k, v in pairs).encode() + b"END\r\n"


def stats(c: McConnection, parts: list[bytes]) -> bytes:
    """stats [settings|items|slabs|sizes|conns|detail ...|reset] -> STAT <name> <value> ... END"""
    if len(parts) == 1:
        return _general(c)
    sub = parts[1]
    if sub == b"reset":
        c.stats.reset()
        return b"RESET\r\n"
    if sub == b"settings":
        return _settings(c)
    if sub == b"items":
        return _items(c)
    if sub == b"slabs":
        return _slabs(c)
    if sub == b"sizes":
        return b"STAT sizes_status disabled\r\nEND\r\n"
    if sub == b"conns":
        return _conns(c)
    if sub == b"detail":
        arg = parts[2] if len(parts) > 2 else b""
        if arg in (b"on", b"off"):
            return b"OK\r\n"
        if arg == b"dump":
            return b"END\r\n"
        return b"CLIENT_ERROR usage: stats detail on|off|dump\r\n"
    if sub == b"extstore":
        return b"END\r\n"
    return b"ERROR\r\n"


def _item_bytes(c: McConnection) -> tuple[int, int]:
    """(curr_items, bytes) of the memcached database; above SAMPLE_LIMIT
    items the bytes are estimated from the first SAMPLE_LIMIT."""
    items = c.items
    flags_of = items.flags_of
    count = total = 0
    for key, value in items.iter_items(c.now):
        count += 1
        if count <= SAMPLE_LIMIT:
            total += item_size(len(key), flags_of(key), len(value))
    if count > SAMPLE_LIMIT:
        total = total * count // SAMPLE_LIMIT
    return count, total


def _general(c: McConnection) -> bytes:
    svc = c.svc
    s = c.stats
    now = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    curr_items, nbytes = _item_bytes(c)
    ks_stats = c.server.keyspace.stats
    uptime = int(now - svc.started_ms / 1000) - 60
    pairs: list[tuple[str, object]] = [
        ("pid", os.getpid()),
        ("uptime", uptime),
        ("time", int(now)),
        ("version", "1.6.18"),
        ("libevent", svc.server.loop_name),
        ("pointer_size", 64),
        ("rusage_user", f"{usage.ru_utime:.6f}"),
        ("rusage_system", f"{usage.ru_stime:.6f}"),
        ("max_connections", svc.maxconns),
        ("curr_connections", len(svc.conns)),
        ("total_connections", s.total_connections),
        ("rejected_connections", s.rejected_connections),
        ("connection_structures", len(svc.conns)),
        ("response_obj_oom", 0),
        ("response_obj_count", 1),
        ("response_obj_bytes", 65536),
        ("read_buf_count", 8),
        ("read_buf_bytes", 131072),
        ("read_buf_bytes_free", 49152),
        ("read_buf_oom", 0),
        ("reserved_fds", 20),
        ("cmd_get", s.cmd_get),
        ("cmd_set", s.cmd_set),
        ("cmd_flush", s.cmd_flush),
        ("cmd_touch", s.cmd_touch),
        ("cmd_meta", s.cmd_meta),
        ("get_hits", s.get_hits),
        ("get_misses", s.get_misses),
        ("get_expired", s.get_expired),
        ("get_flushed", s.get_flushed),
        ("delete_misses", s.delete_misses),
        ("delete_hits", s.delete_hits),
        ("incr_misses", s.incr_misses),
        ("incr_hits", s.incr_hits),
        ("decr_misses", s.decr_misses),
        ("decr_hits", s.decr_hits),
        ("cas_misses", s.cas_misses),
        ("cas_hits", s.cas_hits),
        ("cas_badval", s.cas_badval),
        ("touch_hits", s.touch_hits),
        ("touch_misses", s.touch_misses),
        ("store_too_large", s.store_too_large),
        ("store_no_memory", s.store_no_memory),
        ("auth_cmds", s.auth_cmds),
        ("auth_errors", s.auth_errors),
        ("bytes_read", s.bytes_read),
        ("bytes_written", s.bytes_written),
        ("limit_maxbytes", int(svc.server.config.values.get("maxmemory", 0) or 0)),
        ("accepting_conns", 1),
        ("listen_disabled_num", 0),
        ("time_in_listen_disabled_us", 0),
        ("threads", 1),
        ("conn_yields", 0),
        ("hash_power_level", 16),
        ("hash_bytes", 524288),
        ("hash_is_expanding", 0),
        ("slab_reassign_rescues", 0),
        ("slab_reassign_chunk_rescues", 0),
        ("slab_reassign_evictions_nomem", 0),
        ("slab_reassign_inline_reclaim", 0),
        ("slab_reassign_busy_items", 0),
        ("slab_reassign_busy_deletes", 0),
        ("slab_reassign_running", 0),
        ("slabs_moved", 0),
        ("lru_crawler_running", 0),
        ("lru_crawler_starts", 0),
        ("lru_maintainer_juggles", 0),
        ("malloc_fails", 0),
        ("log_worker_dropped", 0),
        ("log_worker_written", 0),
        ("log_watcher_skipped", 0),
        ("log_watcher_sent", 0),
        ("log_watchers", 0),
        ("unexpected_napi_ids", 0),
        ("round_robin_fallback", 0),
        ("bytes", nbytes),
        ("curr_items", curr_items),
        ("total_items", s.total_items),
        ("slab_global_page_pool", 0),
        ("expired_unfetched", ks_stats.expired_unfetched),
        ("evicted_unfetched", ks_stats.evicted_unfetched),
        ("evicted_active", 0),
        ("evictions", ks_stats.evicted_keys),
        ("reclaimed", 0),
        ("crawler_reclaimed", 0),
        ("crawler_items_checked", 0),
        ("lrutail_reflocked", 0),
        ("moves_to_cold", 0),
        ("moves_to_warm", 0),
        ("moves_within_lru", 0),
        ("direct_reclaims", 0),
        ("lru_bumps_dropped", 0),
    ]
    return _lines(pairs)


def _settings(c: McConnection) -> bytes:
    svc = c.svc
    cfg = svc.server.config
    bind = " ".join(cfg["memcached-bind"]) or "NULL"
    pairs: list[tuple[str, object]] = [
        ("maxbytes", int(cfg.values.get("maxmemory", 0) or 0)),
        ("maxconns", svc.maxconns),
        ("tcpport", svc.port),
        ("udpport", 0),
        ("inter", bind),
        ("verbosity", 0),
        ("oldest", 0),
        ("evictions", "on"),
        ("domain_socket", cfg["memcached-unixsocket"] or "NULL"),
        ("umask", f"{cfg['memcached-unixsocketperm']:o}"),
        ("shutdown_command", "no"),
        ("growth_factor", "1.25"),
        ("chunk_size", 48),
        ("num_threads", 1),
        ("num_threads_per_udp", 1),
        ("stat_key_prefix", ":"),
        ("detail_enabled", "no"),
        ("reqs_per_event", 20),
        ("cas_enabled", "yes"),
        ("tcp_backlog", cfg["tcp-backlog"]),
        ("binding_protocol", "ascii"),
        ("auth_enabled_sasl", "no"),
        ("auth_enabled_ascii", cfg["memcached-auth-file"] or "no"),
        ("item_size_max", svc.item_size_max),
        ("maxconns_fast", "yes"),
        ("hashpower_init", 0),
        ("slab_reassign", "no"),
        ("slab_automove", 0),
        ("slab_chunk_max", svc.sizes.chunk_max),
        ("lru_crawler", "no"),
        ("tail_repair_time", 0),
        ("flush_enabled", "yes"),
        ("dump_enabled", "no"),
        ("hash_algorithm", "siphash"),
        ("lru_maintainer_thread", "no"),
        ("lru_segmented", "no"),
        ("idle_timeout", svc.idle_timeout),
        ("track_sizes", "no"),
        ("inline_ascii_response", "no"),
        ("ssl_enabled", "no"),
        ("memory_file", "(null)"),
        ("database", svc.db.id),
    ]
    return _lines(pairs)


def _classes(c: McConnection) -> dict[int, list[int]]:
    """Per slab class: [items, requested bytes, youngest age], from the items."""
    sizes = c.svc.sizes
    flags_of = c.items.flags_of
    out: dict[int, list[int]] = {}
    for key, value in c.items.iter_items(c.now):
        size = item_size(len(key), flags_of(key), len(value))
        row = out.setdefault(sizes.class_of(size), [0, 0])
        row[0] += 1
        row[1] += size
    return out


def _items(c: McConnection) -> bytes:
    pairs: list[tuple[str, object]] = []
    for cls, (count, requested) in sorted(_classes(c).items()):
        p = f"items:{cls}:"
        pairs += [
            (p + "number", count),
            (p + "number_hot", 0),
            (p + "number_warm", 0),
            (p + "number_cold", count),
            (p + "age_hot", 0),
            (p + "age_warm", 0),
            (p + "age", 0),
            (p + "mem_requested", requested),
            (p + "evicted", 0),
            (p + "evicted_nonzero", 0),
            (p + "evicted_time", 0),
            (p + "outofmemory", 0),
            (p + "tailrepairs", 0),
            (p + "reclaimed", 0),
            (p + "expired_unfetched", 0),
            (p + "evicted_unfetched", 0),
            (p + "evicted_active", 0),
            (p + "crawler_reclaimed", 0),
            (p + "crawler_items_checked", 0),
            (p + "lrutail_reflocked", 0),
            (p + "moves_to_cold", 0),
            (p + "moves_to_warm", 0),
            (p + "moves_within_lru", 0),
            (p + "direct_reclaims", 0),
            (p + "hits_to_hot", 0),
            (p + "hits_to_warm", 0),
            (p + "hits_to_cold", 0),
            (p + "hits_to_temp", 0),
        ]
    return _lines(pairs)


def _slabs(c: McConnection) -> bytes:
    sizes = c.svc.sizes
    page = 1024 * 1024
    pairs: list[tuple[str, object]] = []
    classes = _classes(c)
    malloced = 0
    for cls, (count, _) in sorted(classes.items()):
        chunk = sizes.sizes[cls]
        per_page = max(1, page // chunk)
        pages = max(1, -(-count // per_page))
        malloced += pages * page
        p = f"{cls}:"
        pairs += [
            (p + "chunk_size", chunk),
            (p + "chunks_per_page", per_page),
            (p + "total_pages", pages),
            (p + "total_chunks", pages * per_page),
            (p + "used_chunks", count),
            (p + "free_chunks", pages * per_page - count),
            (p + "free_chunks_end", 0),
            (p + "get_hits", 0),
            (p + "cmd_set", 0),
            (p + "delete_hits", 0),
            (p + "incr_hits", 0),
            (p + "decr_hits", 0),
            (p + "cas_hits", 0),
            (p + "cas_badval", 0),
            (p + "touch_hits", 0),
        ]
    pairs += [("active_slabs", len(classes)), ("total_malloced", malloced)]
    return _lines(pairs)


def _conns(c: McConnection) -> bytes:
    now = c.now
    pairs: list[tuple[str, object]] = []
    for conn in sorted(c.svc.conns.values(), key=lambda x: x.fd):
        fd = conn.fd if conn.fd >= 0 else conn.id
        pairs += [
            (f"{fd}:addr", conn.addr),
            (f"{fd}:listen_addr", conn.laddr),
            (f"{fd}:state", "conn_parse_cmd" if conn is c else "conn_waiting"),
            (f"{fd}:secs_since_last_cmd", max(0, (now - conn.last_interaction) // 1000)),
        ]
    return _lines(pairs)
