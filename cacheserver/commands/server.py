"""Server commands: INFO CONFIG COMMAND TIME SHUTDOWN DEBUG (redis ``server.c``,
``config.c``, ``debug.c``).

Everything COMMAND reports (arity, flags, key positions, ACL categories,
docs) is derived from the table rows and the handlers' docstrings; nothing
here is written out per command.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import resource
import sys
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cacheserver import REDIS_VERSION, __version__, monitor
from cacheserver.commands import keyspecs
from cacheserver.commands.table import (
    ACL_CATEGORIES,
    ADMIN,
    ALLOW_BUSY,
    FAST,
    FLAG_NAMES,
    LOADING,
    MOVABLE_KEYS,
    NO_MULTI,
    NOSCRIPT,
    STALE,
    Command,
)
from cacheserver.commands.tips import TIPS
from cacheserver.config import ConfigError, UnknownSetting, format_double
from cacheserver.errors import NOT_INTEGER, SYNTAX, CommandError, unknown_subcommand
from cacheserver.glob import compile_glob
from cacheserver.latency import percentile
from protocol.resp import (
    OK,
    ZERO,
    array,
    boolean,
    bulk,
    integer,
    map_reply,
    set_reply,
    simple,
    string2ll,
    verbatim,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client, Pending
    from cacheserver.server import Server

log = logging.getLogger("cacheserver")


def help_reply(lines: Sequence[bytes]) -> bytes:
    """A HELP reply: an array of status lines, as redis ``addReplyHelp``."""
    return array([simple(line) for line in lines])


# -- process facts -------------------------------------------------------------

try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE = 4096

_EXECUTABLE = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else sys.executable


def peak_rss() -> int:
    """Peak resident set size in bytes (``getrusage``; kilobytes on Linux)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def rss() -> int:
    """Current resident set size in bytes (``/proc/self/statm``, else the peak)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return peak_rss()


def total_system_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * _PAGE
    except (AttributeError, ValueError, OSError):
        return 0


def bytes_to_human(n: int) -> str:
    """``1.23M`` as redis ``bytesToHuman`` (binary units, two decimals)."""
    if n < 1024:
        return f"{n}B"
    for i, unit in enumerate("KMGTP", 1):
        if n < 1024 ** (i + 1):
            return f"{n / 1024**i:.2f}{unit}"
    return f"{n}B"


class _InfoState:
    """Per-server INFO state: the replication id and the rate sampler."""

    __slots__ = ("rates", "replid", "sample")

    def __init__(self) -> None:
        self.replid = os.urandom(20).hex()
        self.sample: tuple[float, int, int, int] | None = None
        self.rates = (0.0, 0.0, 0.0)  # ops/s, input kB/s, output kB/s


_STATE: weakref.WeakKeyDictionary[Server, _InfoState] = weakref.WeakKeyDictionary()


def _state(srv: Server) -> _InfoState:
    st = _STATE.get(srv)
    if st is None:
        st = _STATE[srv] = _InfoState()
    return st


def _rates(srv: Server) -> tuple[float, float, float]:
    """instantaneous_* values: rates over the time since the previous sample.

    Redis samples in its cron every 100 ms; here a sample is taken when INFO
    asks (at most every 100 ms), so the rate covers the span between two INFO
    calls.  The first call reports zero.
    """
    st = _state(srv)
    s = srv.stats
    now = time.monotonic()
    cur = (now, srv.total_commands_processed(), s.total_net_input_bytes, s.total_net_output_bytes)
    prev = st.sample
    if prev is None:
        st.sample = cur
    elif now - prev[0] >= 0.1:
        dt = now - prev[0]
        st.rates = (
            max(0, cur[1] - prev[1]) / dt,
            max(0, cur[2] - prev[2]) / dt / 1024,
            max(0, cur[3] - prev[3]) / dt / 1024,
        )
        st.sample = cur
    return st.rates


def _counter(obj: object, name: str) -> int:
    """A counter another module may add later (evictions, pub/sub); 0 until then."""
    v = getattr(obj, name, 0)
    return int(v) if isinstance(v, int | float) else 0


# -- INFO ----------------------------------------------------------------------

SECTIONS = (
    ("server", "Server"),
    ("clients", "Clients"),
    ("memory", "Memory"),
    ("persistence", "Persistence"),
    ("stats", "Stats"),
    ("replication", "Replication"),
    ("cpu", "CPU"),
    ("modules", "Modules"),
    ("commandstats", "Commandstats"),
    ("errorstats", "Errorstats"),
    ("latencystats", "Latencystats"),
    ("cluster", "Cluster"),
    ("keyspace", "Keyspace"),
    ("loaders", "Loaders"),  # only when --loaders is set
)
ALL_SECTIONS = frozenset(name for name, _ in SECTIONS)
DEFAULT_SECTIONS = ALL_SECTIONS - {"commandstats", "latencystats"}


def info_sections(args: Sequence[bytes]) -> set[str]:
    """The sections INFO's arguments name (redis ``genInfoSectionDict``)."""
    if not args:
        return set(DEFAULT_SECTIONS)
    wanted: set[str] = set()
    for a in args:
        name = a.decode("latin-1").lower()
        if name == "default":
            wanted |= DEFAULT_SECTIONS
        elif name in ("all", "everything"):
            wanted |= ALL_SECTIONS
        elif name in ALL_SECTIONS:
            wanted.add(name)
    return wanted


def _sec_server(c: Client) -> list[str]:
    srv = c.server
    now = time.time()
    uptime = int(now - srv.start_time)
    u = os.uname()
    return [
        f"redis_version:{REDIS_VERSION}",
        f"cacheserver_version:{__version__}",
        "redis_mode:standalone",
        f"os:{u.sysname} {u.release} {u.machine}",
        f"arch_bits:{64 if sys.maxsize > 2**32 else 32}",
        "monotonic_clock:POSIX clock_gettime",
        f"multiplexing_api:{srv.loop_name}",
        f"python_version:{sys.version.split()[0]}",
        f"process_id:{os.getpid()}",
        "process_supervised:no",
        f"run_id:{srv.run_id}",
        f"tcp_port:{srv.ports.get('redis', srv.config['port'])}",
        f"memcached_port:{srv.ports.get('memcached', srv.config['memcached-port'])}",
        f"tls_port:{srv.config['tls-port']}",
        f"tls_memcached_port:{srv.config['tls-memcached-port']}",
        f"server_time_usec:{time.time_ns() // 1000}",
        f"uptime_in_seconds:{uptime}",
        f"uptime_in_days:{uptime // 86400}",
        f"hz:{srv.config['hz']}",
        f"configured_hz:{srv.config['hz']}",
        f"lru_clock:{srv.keyspace.lru_clock & 0xFFFFFF}",
        f"executable:{_EXECUTABLE}",
        f"config_file:{srv.config.file}",
        "io_threads_active:0",
    ]


def _sec_clients(c: Client) -> list[str]:
    srv = c.server
    clients = list(srv.clients.values())
    max_in = max((x.reader.buffered() for x in clients), default=0)
    max_out = 0
    for x in clients:
        try:
            if x.transport is not None:
                max_out = max(max_out, x.transport.get_write_buffer_size())
        except (NotImplementedError, AttributeError):
            pass
    return [
        f"connected_clients:{len(clients)}",
        "cluster_connections:0",
        f"maxclients:{srv.config['maxclients']}",
        f"memcached_connected_clients:{len(srv.memcached.conns)}",
        f"memcached_maxconns:{srv.memcached.maxconns}",
        f"client_recent_max_input_buffer:{max_in}",
        f"client_recent_max_output_buffer:{max_out}",
        # a client waiting for a reply (a read-through load) is blocked, as
        # redis CLIENT_BLOCKED, and so is one CLIENT PAUSE holds
        f"blocked_clients:{len(srv.blocking) + len(srv.pause)}",
        f"tracking_clients:{srv.tracking.clients}",
        "clients_in_timeout_table:0",
    ]


def _sec_memory(c: Client) -> list[str]:
    from cacheserver.commands.memory import info_memory  # (it imports this module)

    return info_memory(c.server)


def _sec_persistence(c: Client) -> list[str]:
    # cacheserver keeps no snapshots and no append-only file: these say so in
    # Redis's words (nothing in progress, nothing saved since start).
    srv = c.server
    return [
        "loading:0",
        "async_loading:0",
        f"rdb_changes_since_last_save:{srv.keyspace.dirty}",
        "rdb_bgsave_in_progress:0",
        f"rdb_last_save_time:{int(srv.start_time)}",
        "rdb_last_bgsave_status:ok",
        "rdb_last_bgsave_time_sec:-1",
        "rdb_current_bgsave_time_sec:-1",
        "rdb_saves:0",
        "aof_enabled:0",
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1",
        "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_rewrites:0",
        "aof_last_write_status:ok",
        "module_fork_in_progress:0",
    ]


def _sec_stats(c: Client) -> list[str]:
    srv = c.server
    s = srv.stats
    ks = srv.keyspace.stats
    ev = srv.memory.evictor
    ops, kin, kout = _rates(srv)
    return [
        f"total_connections_received:{s.total_connections_received}",
        f"total_commands_processed:{srv.total_commands_processed()}",
        f"instantaneous_ops_per_sec:{int(ops)}",
        f"total_net_input_bytes:{s.total_net_input_bytes}",
        f"total_net_output_bytes:{s.total_net_output_bytes}",
        "total_net_repl_input_bytes:0",
        "total_net_repl_output_bytes:0",
        f"instantaneous_input_kbps:{kin:.2f}",
        f"instantaneous_output_kbps:{kout:.2f}",
        "instantaneous_input_repl_kbps:0.00",
        "instantaneous_output_repl_kbps:0.00",
        f"rejected_connections:{s.rejected_connections}",
        "sync_full:0",
        "sync_partial_ok:0",
        "sync_partial_err:0",
        f"expired_keys:{ks.expired_keys}",
        f"expired_time_cap_reached_count:{ks.expired_time_cap_reached_count}",
        f"evicted_keys:{ks.evicted_keys}",
        f"evicted_clients:{_counter(s, 'evicted_clients')}",
        f"total_eviction_exceeded_time:{int(ev.total_exceeded_ms + ev.current_exceeded_ms())}",
        f"current_eviction_exceeded_time:{int(ev.current_exceeded_ms())}",
        f"keyspace_hits:{ks.keyspace_hits}",
        f"keyspace_misses:{ks.keyspace_misses}",
        f"pubsub_channels:{len(srv.pubsub.channels)}",
        f"pubsub_patterns:{len(srv.pubsub.patterns)}",
        f"pubsubshard_channels:{len(srv.pubsub.shard)}",
        "latest_fork_usec:0",
        "total_forks:0",
        "migrate_cached_sockets:0",
        "slave_expires_tracked_keys:0",
        f"tracking_total_keys:{len(srv.tracking.table)}",
        f"tracking_total_items:{srv.tracking.items}",
        f"tracking_total_prefixes:{len(srv.tracking.prefixes)}",
        "unexpected_error_replies:0",
        f"total_error_replies:{s.total_error_replies}",
        "dump_payload_sanitizations:0",
        # not in Redis 7.0 (later versions have it): clients closed by client-output-buffer-limit
        f"client_output_buffer_limit_disconnections:{s.client_output_buffer_limit_disconnections}",
        # not in Redis 7.0 either (7.2 has them, last): ACL denials by kind
        f"acl_access_denied_auth:{s.acl_access_denied_auth}",
        f"acl_access_denied_cmd:{s.acl_access_denied_cmd}",
        f"acl_access_denied_key:{s.acl_access_denied_key}",
        f"acl_access_denied_channel:{s.acl_access_denied_channel}",
    ]


def _sec_replication(c: Client) -> list[str]:
    return [
        "role:master",
        "connected_slaves:0",
        "master_failover_state:no-failover",
        f"master_replid:{_state(c.server).replid}",
        "master_replid2:0000000000000000000000000000000000000000",
        "master_repl_offset:0",
        "second_repl_offset:-1",
        "repl_backlog_active:0",
        "repl_backlog_first_byte_offset:0",
        "repl_backlog_histlen:0",
    ]


def _sec_cpu(c: Client) -> list[str]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    # INFO runs on the event-loop thread: RUSAGE_THREAD is the main thread's
    who = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
    main = resource.getrusage(who)
    return [
        f"used_cpu_sys:{me.ru_stime:.6f}",
        f"used_cpu_user:{me.ru_utime:.6f}",
        f"used_cpu_sys_children:{kids.ru_stime:.6f}",
        f"used_cpu_user_children:{kids.ru_utime:.6f}",
        f"used_cpu_sys_main_thread:{main.ru_stime:.6f}",
        f"used_cpu_user_main_thread:{main.ru_utime:.6f}",
    ]


def _sec_modules(c: Client) -> list[str]:
    return []


def _cmdstat_lines(rows: Sequence[Command], out: list[str]) -> None:
    for row in rows:
        calls = row.calls
        if calls or row.failed_calls or row.rejected_calls:
            usec = row.nsec // 1000
            per_call = usec / calls if calls else 0.0
            out.append(
                f"cmdstat_{row.fullname.decode('latin-1')}:calls={calls},usec={usec},"
                f"usec_per_call={per_call:.2f},rejected_calls={row.rejected_calls},"
                f"failed_calls={row.failed_calls}"
            )
        if row.subcommands:
            _cmdstat_lines(list(row.subcommands.values()), out)


def _sec_commandstats(c: Client) -> list[str]:
    out: list[str] = []
    _cmdstat_lines(list(c.server.table.rows.values()), out)
    return out


def _sec_errorstats(c: Client) -> list[str]:
    # sorted like redis's rax of error codes
    return [
        f"errorstat_{code.decode('latin-1')}:count={n}"
        for code, n in sorted(c.server.stats.errorstats.items())
    ]


def _sec_latencystats(c: Client) -> list[str]:
    """``latency_percentiles_usec_<cmd>:p50=...,p99=...`` per command run,
    with latency-tracking-info-percentiles (empty when latency-tracking is no).

    Redis keeps an HDR histogram with 1% precision; here each row keeps
    counts per power of two of nanoseconds (``row.hist``), and a percentile
    is placed by linear interpolation inside its bucket.  The true value is
    always within that bucket, so the figure is never off by more than a
    factor of two, and much less when the calls of a bucket spread evenly
    across it.  Durations are measured in nanoseconds (Redis: whole
    microseconds), so sub-microsecond commands show fractions, as Redis's
    p50=0.001 for a command under one microsecond.
    """
    cfg = c.server.config
    if not cfg["latency-tracking"]:
        return []
    pcts = cfg["latency-tracking-info-percentiles"]
    labels = [f"p{format_double(p)}" for p in pcts]
    out: list[str] = []
    for row in c.server.table.all_rows():
        hist = row.hist
        if any(hist):
            values = ",".join(
                f"{label}={percentile(hist, p):.3f}" for label, p in zip(labels, pcts, strict=True)
            )
            out.append(f"latency_percentiles_usec_{row.fullname.decode('latin-1')}:{values}")
    return out


def _sec_cluster(c: Client) -> list[str]:
    return ["cluster_enabled:0"]


def _sec_keyspace(c: Client) -> list[str]:
    out: list[str] = []
    now = c.server.clock()
    for db in c.server.keyspace.dbs:
        keys, expires = len(db.data), len(db.expires)
        if keys or expires:
            out.append(f"db{db.id}:keys={keys},expires={expires},avg_ttl={db.avg_ttl(now)}")
    return out


def _sec_loaders(c: Client) -> list[str]:
    loaders = c.server.loaders
    return [] if loaders is None else loaders.info_lines()


_GENERATORS = {
    "server": _sec_server,
    "clients": _sec_clients,
    "memory": _sec_memory,
    "persistence": _sec_persistence,
    "stats": _sec_stats,
    "replication": _sec_replication,
    "cpu": _sec_cpu,
    "modules": _sec_modules,
    "commandstats": _sec_commandstats,
    "errorstats": _sec_errorstats,
    "latencystats": _sec_latencystats,
    "cluster": _sec_cluster,
    "keyspace": _sec_keyspace,
    "loaders": _sec_loaders,
}


def info_text(c: Client, wanted: set[str]) -> str:
    """``# Title\\r\\nfield:value\\r\\n...`` per section, sections separated by ``\\r\\n``."""
    parts: list[str] = []
    for name, title in SECTIONS:
        if name in wanted and (name != "loaders" or c.server.loaders is not None):
            lines = _GENERATORS[name](c)
            parts.append(f"# {title}\r\n" + "".join(line + "\r\n" for line in lines))
    return "\r\n".join(parts)


def info(c: Client, argv: list[bytes]) -> bytes:
    """INFO [section ...] -> verbatim string of ``field:value`` lines

    Sections: server clients memory persistence stats replication cpu modules
    commandstats errorstats latencystats cluster keyspace loaders, or default, all,
    everything.  Unknown sections are ignored.
    Complexity: O(1), or O(N) for commandstats and keyspace.
    """
    text = info_text(c, info_sections(argv[1:]))
    return verbatim(text.encode("utf-8", "surrogateescape"), c.resp3)


# -- CONFIG --------------------------------------------------------------------


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _raw(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def config_container(c: Client, argv: list[bytes]) -> bytes:
    """CONFIG <GET|SET|RESETSTAT|REWRITE|HELP> [arg ...] -> depends on the subcommand

    A container for server configuration commands.
    """
    raise unknown_subcommand(argv)


def config_get(c: Client, argv: list[bytes]) -> bytes:
    """CONFIG GET parameter [parameter ...] -> map of name to value

    Complexity: O(N) when N is the number of configuration parameters provided
    """
    pairs = c.server.config.get_patterns(argv[2:])
    return map_reply([(bulk(k), bulk(v)) for k, v in pairs], c.resp3)


def config_set(c: Client, argv: list[bytes]) -> bytes:
    """CONFIG SET parameter value [parameter value ...] -> +OK

    All or nothing: one bad name or value and nothing changes.
    Complexity: O(N) when N is the number of configuration parameters provided
    """
    if len(argv) % 2:
        raise CommandError(SYNTAX)
    pairs = [(_text(argv[i]), _text(argv[i + 1])) for i in range(2, len(argv), 2)]
    try:
        c.server.config.set_many(pairs)
    except UnknownSetting as e:
        raise CommandError(
            b"ERR Unknown option or number of arguments for CONFIG SET - '%s'" % _raw(e.name)
        ) from None
    except ConfigError as e:
        raise CommandError(
            b"ERR CONFIG SET failed (possibly related to argument '%s') - %s"
            % (_raw(e.name), _raw(e.reason))
        ) from None
    return OK


def reset_stats(srv: Server) -> None:
    """Zero INFO's counters (redis ``resetServerStats`` and ``resetCommandTableStats``)."""
    srv.stats.reset()
    srv.keyspace.stats.reset()
    if srv.keyspace.prefix_stats is not None:
        srv.keyspace.prefix_stats.reset()
    srv.memory.reset_stats()
    for row in srv.table.all_rows():
        row.nsec = 0
        row.hist[:] = [0] * len(row.hist)
        row.rejected_calls = 0
        row.failed_calls = 0
    _state(srv).sample = None
    _state(srv).rates = (0.0, 0.0, 0.0)


def config_resetstat(c: Client, argv: list[bytes]) -> bytes:
    """CONFIG RESETSTAT -> +OK

    Zeroes the server, keyspace, per-command and error counters INFO shows.
    Complexity: O(1)
    """
    reset_stats(c.server)
    return OK


def config_rewrite(c: Client, argv: list[bytes]) -> bytes:
    """CONFIG REWRITE -> +OK

    Rewrites the config file the server started with to hold the current values.
    Complexity: O(1)
    """
    cfg = c.server.config
    if not cfg.file:
        raise CommandError(b"ERR The server is running without a config file")
    try:
        cfg.rewrite()
    except OSError as e:
        log.warning("CONFIG REWRITE failed: %s", e)
        raise CommandError(b"ERR Rewriting config file: %s" % _raw(e.strerror or str(e))) from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


CONFIG_HELP = (
    b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"GET <pattern>",
    b"    Return parameters matching the glob-like <pattern> and their values.",
    b"SET <directive> <value>",
    b"    Set the configuration <directive> to <value>.",
    b"RESETSTAT",
    b"    Reset statistics reported by the INFO command.",
    b"REWRITE",
    b"    Rewrite the configuration file.",
    b"HELP",
    b"    Prints this help.",
)


def config_help(c: Client, argv: list[bytes]) -> bytes:
    """CONFIG HELP -> array of lines

    Complexity: O(1)
    """
    return help_reply(CONFIG_HELP)


# -- COMMAND: introspection from the rows --------------------------------------

# Redis's documentation groups where the rows' group names differ.
_DOC_GROUPS = {
    "keyspace": "generic",
    "sortedset": "sorted-set",
    "transaction": "transactions",
    "": "generic",
}


# COMMAND DOCS' doc_flags, and for the deprecated commands the release that
# deprecated them and what replaces them, as Redis 7.0 declares them
_DOC_FLAGS = {b"debug": (b"syscmd",)}
_DEPRECATED = {
    b"brpoplpush": (b"6.2.0", b"`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    b"cluster|slaves": (b"5.0.0", b"`CLUSTER REPLICAS`"),
    b"cluster|slots": (b"7.0.0", b"`CLUSTER SHARDS`"),
    b"getset": (b"6.2.0", b"`SET` with the `!GET` argument"),
    b"hmset": (b"4.0.0", b"`HSET` with multiple field-value pairs"),
    b"rpoplpush": (b"6.2.0", b"`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    b"substr": (b"2.0.0", b"`GETRANGE`"),
    b"zrangebylex": (b"6.2.0", b"`ZRANGE` with the `BYLEX` argument"),
    b"zrangebyscore": (b"6.2.0", b"`ZRANGE` with the `BYSCORE` argument"),
    b"zrevrange": (b"6.2.0", b"`ZRANGE` with the `REV` argument"),
    b"zrevrangebylex": (b"6.2.0", b"`ZRANGE` with the `REV` and `BYLEX` arguments"),
    b"zrevrangebyscore": (b"6.2.0", b"`ZRANGE` with the `REV` and `BYSCORE` arguments"),
}


def lookup_fullname(c: Client, name: bytes) -> Command | None:
    """A row by ``name`` or ``container|sub`` (redis ``lookupCommandBySds``)."""
    parts = name.split(b"|")
    if len(parts) > 2:
        return None
    row = c.server.table.lookup(parts[0])
    if row is None or len(parts) == 1:
        return row
    return row.subcommands.get(parts[1].lower())


def _has_keys(row: Command) -> bool:
    return row.getkeys is not None or row.first > 0


def _movable(row: Command) -> bool:
    return bool(row.flags & MOVABLE_KEYS) or row.getkeys is not None


def acl_categories(row: Command) -> list[str]:
    """The row's ACL categories in Redis's order (the ``ACLCommandCategories`` table)."""
    cats = set(row.acl_categories())
    return [c for c in ACL_CATEGORIES if c in cats]


def _key_spec(row: Command, spec: keyspecs.KeySpec, resp3: bool) -> bytes:
    """One key spec map (redis ``addReplyCommandKeySpecs``)."""
    if spec.unknown:
        begin = find = map_reply(
            [(bulk(b"type"), bulk(b"unknown")), (bulk(b"spec"), map_reply([], resp3))], resp3
        )
    else:
        begin = map_reply(
            [
                (bulk(b"type"), bulk(b"index")),
                (bulk(b"spec"), map_reply([(bulk(b"index"), integer(spec.index))], resp3)),
            ],
            resp3,
        )
        if spec.keynum:
            kind = b"keynum"
            fields = [
                (bulk(b"keynumidx"), integer(spec.keynumidx)),
                (bulk(b"firstkey"), integer(spec.firstkey)),
                (bulk(b"keystep"), integer(spec.keystep)),
            ]
        else:
            kind = b"range"
            fields = [
                (bulk(b"lastkey"), integer(spec.lastkey)),
                (bulk(b"keystep"), integer(spec.keystep)),
                (bulk(b"limit"), integer(0)),
            ]
        find = map_reply(
            [(bulk(b"type"), bulk(kind)), (bulk(b"spec"), map_reply(fields, resp3))], resp3
        )
    flags = set_reply([simple(f) for f in spec.flags], resp3)
    pairs = [(bulk(b"flags"), flags), (bulk(b"begin_search"), begin), (bulk(b"find_keys"), find)]
    notes = spec.notes or keyspecs.KEY_SPEC_NOTES.get(row.fullname)
    if notes is not None:
        pairs.insert(0, (bulk(b"notes"), bulk(notes)))
    return map_reply(pairs, resp3)


def command_info_reply(row: Command, resp3: bool) -> bytes:
    """One COMMAND INFO entry: name, arity, flags, first, last, step, ACL
    categories, tips, key specs, subcommands (redis ``addReplyCommandInfo``)."""
    movable = _movable(row)
    flags = [
        simple(name)
        for flag, name in FLAG_NAMES
        if row.flags & flag or (flag is MOVABLE_KEYS and movable)
    ]
    cats = [simple(b"@" + c.encode()) for c in acl_categories(row)]
    if row.subcommands:
        subs = array([command_info_reply(s, resp3) for s in row.subcommands.values()])
    else:
        subs = set_reply([], resp3)
    return array(
        [
            bulk(row.fullname),
            integer(row.arity),
            set_reply(flags, resp3),
            integer(row.first),
            integer(row.last),
            integer(row.step),
            set_reply(cats, resp3),
            set_reply([bulk(t) for t in TIPS.get(row.fullname, ())], resp3),
            set_reply([_key_spec(row, k, resp3) for k in keyspecs.specs_of(row)], resp3),
            subs,
        ]
    )


# -- COMMAND DOCS: arguments from the wire-syntax line ------------------------


@dataclass
class Arg:
    """One argument of COMMAND DOCS (redis ``redisCommandArg``)."""

    name: str
    type: str
    token: str | None = None
    flags: set[str] = field(default_factory=set)
    args: list[Arg] = field(default_factory=list)
    bare: bool = False  # a lone word of the syntax line, not a group

    def key(self) -> tuple[str, str | None, tuple[object, ...]]:
        return (self.name, self.token, tuple(a.key() for a in self.args))


@dataclass
class _Group:
    alts: list[list[object]]
    optional: bool


_ELLIPSIS = "..."
_TOKEN_RX = re.compile(r"\.\.\.|[\[\]<>|]|[^\s\[\]<>|]+")
_PURE_TOKEN = re.compile(r"[A-Z][A-Z0-9_-]*")
_INT_NAMES = frozenset(
    "count index start end stop offset seconds milliseconds timeout numkeys port db "
    "increment decrement limit len cursor protover client-id id microseconds numreplicas "
    "ttl index1 index2 destination-db delta number rank bit numerator denominator "
    "microsec delay size s ms".split()
)
_KEY_NAMES = frozenset("key source destination newkey destkey srckey dst src sourcekey".split())
_FLAG_ORDER = ("optional", "multiple", "multiple_token")


def _arg_type(name: str) -> str:
    if name in _KEY_NAMES or re.fullmatch(r"key\d+", name) or name.endswith("-key"):
        return "key"
    if "pattern" in name:
        return "pattern"
    if name.startswith("unix-time") or name in ("timestamp", "ts"):
        return "unix-time"
    if name in _INT_NAMES:
        return "integer"
    if name in ("score", "float"):
        return "double"
    return "string"


def _tokenize(syntax: str) -> list[str]:
    out: list[str] = []
    for t in _TOKEN_RX.findall(syntax):
        if len(t) > 3 and t.endswith(_ELLIPSIS):
            out += [t[:-3], _ELLIPSIS]
        else:
            out.append(t)
    return out


def _parse(toks: list[str], i: int, nested: bool) -> tuple[list[list[object]], int]:
    """Alternatives (lists of words, groups and ``...``) up to a closing bracket."""
    alts: list[list[object]] = [[]]
    while i < len(toks):
        t = toks[i]
        if t in ("]", ">"):
            if nested:
                return alts, i
            i += 1  # a stray closer at the top level
        elif t == "|":
            alts.append([])
            i += 1
        elif t in ("[", "<"):
            inner, i = _parse(toks, i + 1, True)
            if i < len(toks):
                i += 1  # the closer
            alts[-1].append(_Group(inner, t == "["))
        else:
            alts[-1].append(t)
            i += 1
    return alts, i


def _word(w: str) -> Arg:
    if _PURE_TOKEN.fullmatch(w):
        return Arg(w.lower(), "pure-token", token=w, bare=True)
    name = w.lower()
    return Arg(name, _arg_type(name), bare=True)


def _plain(a: Arg) -> bool:
    """A lone lowercase word: no token, no sub-arguments."""
    return a.bare and a.type != "pure-token" and a.token is None and not a.args


def _one(args: list[Arg]) -> Arg | None:
    if not args:
        return None
    if len(args) == 1:
        return args[0]
    return Arg("-".join(a.name for a in args), "block", args=args)


def _oneof_name(choices: list[Arg]) -> str:
    return "-".join(x.token.lower() if x.token else x.name for x in choices)


def _group_arg(g: _Group) -> Arg | None:
    alts = [_seq(seq) for seq in g.alts]
    alts = [a for a in alts if a]
    if not alts:
        return None
    if len(alts) == 1:
        arg = _one(alts[0])
    else:
        first = alts[0]
        rest_plain = all(len(a) == 1 and _plain(a[0]) for a in alts[1:])
        if (
            len(first) == 1
            and first[0].token is not None
            and first[0].type not in ("pure-token", "oneof", "block")
            and rest_plain
        ):
            # the idiom "TYPE normal|master|replica": a token choosing among words
            words = [first[0].name] + [a[0].name for a in alts[1:]]
            arg = Arg(
                first[0].name,
                "oneof",
                token=first[0].token,
                args=[Arg(w, "pure-token", token=w.upper()) for w in words],
            )
        else:
            choices = [x for x in (_one(a) for a in alts) if x is not None]
            if all(_plain(x) for x in choices):
                choices = [Arg(x.name, "pure-token", token=x.name.upper()) for x in choices]
            arg = Arg(_oneof_name(choices), "oneof", args=choices)
    if arg is None:
        return None
    arg.bare = False
    if g.optional:
        arg.flags.add("optional")
    return arg


def _seq(items: list[object]) -> list[Arg]:
    """A sequence of syntax items as arguments: a bare TOKEN gives its name to
    the argument after it; ``x [x ...]`` marks ``x`` multiple."""
    out: list[Arg] = []
    for item in items:
        if item == _ELLIPSIS:
            if out:
                out[-1].flags.add("multiple")
            continue
        if isinstance(item, _Group):
            if _repeats(out, item):
                continue
            arg = _group_arg(item)
            if arg is None:
                continue
        else:
            arg = _word(str(item))
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.bare
            and prev.type == "pure-token"
            and arg.token is None
            and arg.type != "pure-token"
            and "optional" not in arg.flags
        ):
            arg.token = prev.token
            arg.bare = False
            out[-1] = arg
            continue
        out.append(arg)
    return out


def _repeats(out: list[Arg], g: _Group) -> bool:
    """``[x ...]`` / ``[a b ...]`` after the same items: mark them multiple."""
    if not g.optional or len(g.alts) != 1:
        return False
    seq = g.alts[0]
    if not seq or seq[-1] != _ELLIPSIS:
        return False
    rep = _seq(seq[:-1])
    k = len(rep)
    if not k or len(out) < k:
        return False
    if [a.key() for a in out[-k:]] != [a.key() for a in rep]:
        return False
    if k == 1:
        target = out[-1]
    else:
        target = Arg("-".join(a.name for a in out[-k:]), "block", args=out[-k:])
        out[-k:] = [target]
    target.flags.add("multiple")
    if target.token is not None:
        target.flags.add("multiple_token")
    target.bare = False
    return True


@dataclass(frozen=True)
class Doc:
    summary: str
    complexity: str
    args: tuple[Arg, ...]


def _doc_lines(row: Command) -> list[str]:
    text = (row.handler.__doc__ if row.handler is not None else None) or ""
    return [line.strip() for line in text.strip().splitlines()]


@functools.lru_cache(maxsize=4096)
def _parse_doc(text: str, names: tuple[str, ...]) -> Doc:
    lines = [line.strip() for line in text.strip().splitlines()]
    first: list[str] = []
    for line in lines:
        if not line:
            break
        first.append(line)
    summary = " ".join(first)
    complexity = ""
    for line in lines:
        if line.lower().startswith("complexity:"):
            complexity = line.split(":", 1)[1].strip()
    syntax = summary.split(" -> ", 1)[0]
    alts, _ = _parse(_tokenize(syntax), 0, False)
    forms: list[list[Arg]] = []
    for seq in alts:
        j = 0
        # drop the command's own name ("CLIENT KILL ...") from each form
        while j < len(seq) and j < len(names) and str(seq[j]).lower() == names[j]:
            j += 1
        forms.append(_seq(seq[j:]))
    if len(forms) == 1:
        args = forms[0]
    else:
        choices = [x for x in (_one(f) for f in forms) if x is not None]
        args = [Arg(_oneof_name(choices), "oneof", args=choices)] if choices else []
    return Doc(summary, complexity, tuple(args))


def command_doc(row: Command) -> Doc:
    """Summary, complexity and arguments of a row, from its handler's docstring."""
    names = (row.parent.name, row.name) if row.parent is not None else (row.name,)
    text = "\n".join(_doc_lines(row))
    try:
        return _parse_doc(text, tuple(n.decode("latin-1").lower() for n in names))
    except RecursionError:
        return Doc(text.split("\n", 1)[0], "", ())


# arguments whose key spec is not the n-th key argument's: SORT's BY and GET
# patterns name the keys of its second spec, its STORE destination the third
_DOC_KEY_SPECS = {
    b"sort": {"key": 0, "pattern": 1, "destination": 2},
    b"sort_ro": {"key": 0, "pattern": 1},
}


def _arg_reply(a: Arg, row: Command, resp3: bool, keys: list[int]) -> bytes:
    """One argument map; ``keys`` counts the key arguments so far and ends
    with the number of key specs: the n-th key argument names the n-th spec,
    the later ones the last (ZUNIONSTORE's destination 0, its keys 1)."""
    kind = a.type
    if kind == "key" and not _has_keys(row):
        kind = "string"
    pairs = [(bulk(b"name"), bulk(a.name.encode())), (bulk(b"type"), bulk(kind.encode()))]
    named = _DOC_KEY_SPECS.get(row.fullname)
    if named is not None and a.name in named:
        pairs.append((bulk(b"key_spec_index"), integer(named[a.name])))
    elif kind == "key":
        pairs.append((bulk(b"key_spec_index"), integer(max(0, min(keys[0], keys[1] - 1)))))
        keys[0] += 1
    if a.token is not None:
        pairs.append((bulk(b"token"), bulk(a.token.encode())))
    if a.flags:
        flags = [simple(f.encode()) for f in _FLAG_ORDER if f in a.flags]
        pairs.append((bulk(b"flags"), set_reply(flags, resp3)))
    if a.args:
        args = [_arg_reply(x, row, resp3, keys) for x in a.args]
        pairs.append((bulk(b"arguments"), array(args)))
    return map_reply(pairs, resp3)


def command_docs_reply(row: Command, resp3: bool) -> bytes:
    """One COMMAND DOCS map (redis ``addReplyCommandDocs``)."""
    doc = command_doc(row)
    summary = doc.summary
    if row.subcommands and not summary:
        summary = f"A container for {row.name.decode('latin-1').upper()} commands"
    pairs = [
        (bulk(b"summary"), bulk(summary.encode("utf-8", "replace"))),
        (bulk(b"since"), bulk(row.since.encode())),
        (bulk(b"group"), bulk(_DOC_GROUPS.get(row.group, row.group).encode())),
    ]
    if doc.complexity:
        pairs.append((bulk(b"complexity"), bulk(doc.complexity.encode("utf-8", "replace"))))
    deprecated = _DEPRECATED.get(row.fullname)
    flags = (b"deprecated",) if deprecated else _DOC_FLAGS.get(row.fullname)
    if flags:
        pairs.append((bulk(b"doc_flags"), set_reply([simple(f) for f in flags], resp3)))
    if deprecated:
        pairs.append((bulk(b"deprecated_since"), bulk(deprecated[0])))
        pairs.append((bulk(b"replaced_by"), bulk(deprecated[1])))
    if doc.args and not row.subcommands:
        keys = [0, len(keyspecs.specs_of(row))]
        args = [_arg_reply(a, row, resp3, keys) for a in doc.args]
        pairs.append((bulk(b"arguments"), array(args)))
    if row.subcommands:
        subs = [(bulk(s.fullname), command_docs_reply(s, resp3)) for s in row.subcommands.values()]
        pairs.append((bulk(b"subcommands"), map_reply(subs, resp3)))
    return map_reply(pairs, resp3)


# -- COMMAND handlers ----------------------------------------------------------


def command_(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND -> array of every command's details (as COMMAND INFO)

    Complexity: O(N) where N is the total number of commands
    """
    if len(argv) > 1:
        raise unknown_subcommand(argv)
    rows = c.server.table.rows.values()
    return array([command_info_reply(r, c.resp3) for r in rows])


def command_count(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND COUNT -> integer

    Complexity: O(1)
    """
    return integer(len(c.server.table.rows))


def command_info(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND INFO [command-name ...] -> array of details | nil per name

    Complexity: O(N) where N is the number of commands to look up
    """
    if len(argv) == 2:
        return command_(c, argv[:1])
    out = []
    for name in argv[2:]:
        row = lookup_fullname(c, name)
        out.append(c.nil if row is None else command_info_reply(row, c.resp3))
    return array(out)


def command_docs(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND DOCS [command-name ...] -> map of name to docs

    Complexity: O(N) where N is the number of commands to look up
    """
    if len(argv) == 2:
        rows = list(c.server.table.rows.values())
    else:
        found = (lookup_fullname(c, n) for n in argv[2:])
        rows = [r for r in found if r is not None]
    return map_reply([(bulk(r.fullname), command_docs_reply(r, c.resp3)) for r in rows], c.resp3)


def command_list(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>] -> array of names

    Complexity: O(N) where N is the total number of commands
    """
    rows = c.server.table.all_rows()
    if len(argv) == 5 and argv[2].lower() == b"filterby":
        kind, arg = argv[3].lower(), argv[4]
        if kind == b"module":
            rows = []  # no modules
        elif kind == b"aclcat":
            cat = arg.decode("latin-1").lower()
            rows = [r for r in rows if cat in r.acl_categories()]
        elif kind == b"pattern":
            match = compile_glob(arg, True)
            rows = [r for r in rows if match(r.fullname)]
        else:
            raise CommandError(SYNTAX)
    elif len(argv) != 2:
        raise CommandError(SYNTAX)
    return array([bulk(r.fullname) for r in rows])


def _keys_of(c: Client, argv: list[bytes]) -> tuple[Command, list[tuple[int, keyspecs.Flags]]]:
    """The command GETKEYS names and the (position, flags) of its keys in
    ``argv[2:]`` (redis ``getKeysSubcommandImpl``)."""
    args = argv[2:]
    row = c.server.table.lookup(args[0])
    if row is not None and row.subcommands and len(args) > 1:
        row = row.subcommands.get(args[1].lower())
    if row is None:
        raise CommandError(b"ERR Invalid command specified")
    if not _has_keys(row) or keyspecs.not_key(row.fullname):
        raise CommandError(b"ERR The command has no key arguments")
    n = len(args)
    if not row.fits(n):
        raise CommandError(b"ERR Invalid number of arguments specified for command")
    if row.fullname in keyspecs.NUMKEYS:
        keys = keyspecs.numkeys_keys_and_flags(row.fullname, args)
    elif row.getkeys is None and keyspecs.spec_keys(keyspecs.specs_of(row), args) is None:
        keys = []  # a spec that cannot apply (PFMERGE's sources, with none given)
    else:
        try:
            positions = row.key_positions(args)
        except (CommandError, IndexError, ValueError):
            # a key finder refuses arguments it cannot make sense of
            positions = []
        keys = [
            (p, keyspecs.of_key(row.fullname, i, args) or keyspecs.flags_of(row))
            for i, p in enumerate(positions)
            if 0 <= p < n
        ]
    if not keys:
        raise CommandError(b"ERR Invalid arguments specified for command")
    return row, keys


def command_getkeys(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND GETKEYS command [arg ...] -> array of keys

    Complexity: O(N) where N is the number of arguments to the command
    """
    _, keys = _keys_of(c, argv)
    return array([bulk(argv[2 + p]) for p, _ in keys])


def command_getkeysandflags(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND GETKEYSANDFLAGS command [arg ...] -> array of [key, flags]

    Complexity: O(N) where N is the number of arguments to the command
    """
    _, keys = _keys_of(c, argv)
    resp3 = c.resp3
    return array(
        [
            array([bulk(argv[2 + p]), set_reply([simple(f) for f in flags], resp3)])
            for p, flags in keys
        ]
    )


COMMAND_HELP = (
    b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"(no subcommand)",
    b"    Return details about all Redis commands.",
    b"COUNT",
    b"    Return the total number of commands in this Redis server.",
    b"LIST",
    b"    Return a list of all commands in this Redis server.",
    b"INFO [<command-name> ...]",
    b"    Return details about multiple Redis commands.",
    b"    If no command names are given, documentation details for all",
    b"    commands are returned.",
    b"DOCS [<command-name> ...]",
    b"    Return documentation details about multiple Redis commands.",
    b"    If no command names are given, documentation details for all",
    b"    commands are returned.",
    b"GETKEYS <full-command>",
    b"    Return the keys from a full Redis command.",
    b"GETKEYSANDFLAGS <full-command>",
    b"    Return the keys and the access flags from a full Redis command.",
    b"HELP",
    b"    Prints this help.",
)


def command_help(c: Client, argv: list[bytes]) -> bytes:
    """COMMAND HELP -> array of lines

    Complexity: O(1)
    """
    return help_reply(COMMAND_HELP)


# -- TIME, SHUTDOWN ------------------------------------------------------------


def time_(c: Client, argv: list[bytes]) -> bytes:
    """TIME -> array of unix seconds and microseconds (as bulk strings)

    Complexity: O(1)
    """
    sec, usec = divmod(time.time_ns() // 1000, 1_000_000)
    return b"*2\r\n" + bulk(b"%d" % sec) + bulk(b"%d" % usec)


_SHUTDOWN_FLAGS = frozenset((b"nosave", b"save", b"now", b"force"))


def shutdown(c: Client, argv: list[bytes]) -> bytes:
    """SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] -> no reply: the server stops

    There is nothing to save, so SAVE and NOSAVE stop alike; clients are
    closed and the process exits with status 0.
    Complexity: O(N) when saving, where N is the total number of keys
    """
    flags: set[bytes] = set()
    abort = False
    for a in argv[1:]:
        opt = a.lower()
        if opt in _SHUTDOWN_FLAGS:
            flags.add(opt)
        elif opt == b"abort":
            abort = True
        else:
            raise CommandError(SYNTAX)
    if (abort and flags) or (b"nosave" in flags and b"save" in flags):
        raise CommandError(SYNTAX)
    if abort:
        # a shutdown here never waits (no replicas), so none is ever in progress
        raise CommandError(b"ERR No shutdown in progress.")
    log.warning("User requested shutdown...")
    c.server.request_stop()
    # as redis exit(0): no reply, and nothing after SHUTDOWN in the pipeline runs
    c.close_after_reply = True
    return b""


# -- DEBUG ---------------------------------------------------------------------

DEBUG_DENIED = (
    b'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
    b"you can run it from a local connection, otherwise you need to set this option in the "
    b"configuration file, and then restart the server."
)

_ATOF = re.compile(
    rb"[ \t\n\v\f\r]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)",
    re.IGNORECASE,
)


def atof(arg: bytes) -> float:
    """C ``atof``: the longest numeric prefix, 0.0 when there is none."""
    m = _ATOF.match(arg)
    return float(m.group(0)) if m else 0.0


def atoi(arg: bytes) -> int:
    """C ``atoi``: leading spaces, a sign, digits; 0 when there are none."""
    m = re.match(rb"[ \t\n\v\f\r]*([+-]?\d+)", arg)
    return int(m.group(1)) if m else 0


def debug_allowed(c: Client) -> bool:
    """``enable-debug-command``: yes, or local for loopback and Unix-socket clients."""
    mode = c.server.config["enable-debug-command"]
    return bool(mode == "yes" or (mode == "local" and c.local))


_PROTOCOL_TYPES = (
    b"ERR Wrong protocol type name. Please use one of the following: "
    b"string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
)


def _debug_protocol(c: Client, kind: bytes) -> bytes:
    """DEBUG PROTOCOL: a sample of each reply type (redis ``debugCommand``)."""
    r3 = c.resp3
    if kind == b"string":
        return bulk(b"Hello World")
    if kind == b"integer":
        return integer(12345)
    if kind == b"double":
        return b",3.141\r\n" if r3 else bulk(b"3.141")
    if kind == b"bignum":
        digits = b"1234567999999999999999999999999999999"
        return b"(" + digits + b"\r\n" if r3 else bulk(digits)
    if kind == b"null":
        return c.nil
    if kind == b"array":
        return array([integer(i) for i in range(3)])
    if kind == b"set":
        return set_reply([integer(i) for i in range(3)], r3)
    if kind == b"map":
        return map_reply([(integer(i), boolean(i == 1, r3)) for i in range(3)], r3)
    if kind == b"attrib":
        real = bulk(b"Some real reply following the attribute")
        if not r3:
            return real
        attr = b"|1\r\n" + bulk(b"key-popularity") + array([bulk(b"key:123"), integer(90)])
        return attr + real
    if kind == b"push":
        if not r3:
            raise CommandError(b"ERR RESP2 is not supported by this command")
        push = b">2\r\n" + bulk(b"server-cpu-usage") + integer(42)
        return push + bulk(b"Some real reply following the push reply")
    if kind == b"verbatim":
        return verbatim(b"This is a verbatim\nstring", r3)
    if kind == b"true":
        return boolean(True, r3)
    if kind == b"false":
        return boolean(False, r3)
    raise CommandError(_PROTOCOL_TYPES)


def _debug_help(srv: Server) -> list[bytes]:
    lines = [
        b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"ERROR <string>",
        b"    Return a Redis protocol error with <string> as message. Useful for clients",
        b"    unit tests to simulate Redis errors.",
        b"LOG <message>",
        b"    Write <message> to the server log.",
        b"PROTOCOL <type>",
        b"    Reply with a test value of the specified type. <type> can be: string,",
        b"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        b"    true, false.",
    ]
    lines += [
        b"SET-ACTIVE-EXPIRE <0|1>",
        b"    Setting it to 0 disables expiring keys in background when they are not",
        b"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        b"    default.",
        b"SLEEP <seconds>",
        b"    Stop the server for <seconds>. Decimals allowed.",
        b"HELP",
        b"    Prints this help.",
    ]
    return lines


def debug(c: Client, argv: list[bytes]) -> bytes:
    """DEBUG <SLEEP seconds | SET-ACTIVE-EXPIRE <0|1> | ERROR message | LOG message | PROTOCOL type | HELP> -> depends on the subcommand

    Allowed only as ``enable-debug-command`` says (no, yes, local).
    """
    if not debug_allowed(c):
        raise CommandError(DEBUG_DENIED)
    sub = argv[1].lower()
    n = len(argv)
    if sub == b"help" and n == 2:
        return help_reply(_debug_help(c.server))
    if sub == b"sleep" and n == 3:
        # blocks the whole server, as Redis: that is what it is for
        secs = atof(argv[2])
        if secs > 0 and math.isfinite(secs):
            try:
                time.sleep(secs)
            except (OverflowError, ValueError):
                pass
        return OK
    if sub == b"set-active-expire" and n == 3:
        c.server.active_expire = atoi(argv[2]) != 0
        return OK
    if sub == b"error" and n == 3:
        raise CommandError(argv[2])
    if sub == b"log" and n == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    if sub == b"protocol" and n == 3:
        return _debug_protocol(c, argv[2].lower())
    raise CommandError(
        b"ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
        % argv[1][:128]
    )


_SRV = "server"


def monitor_(c: Client, argv: list[bytes]) -> bytes:
    """MONITOR -> +OK, then a status line for every command any client runs

    Complexity: O(1)
    """
    if c.in_multi:  # (EXEC runs it: a client that needs a reply per command)
        raise CommandError(b"ERR MONITOR isn't allowed for DENY BLOCKING client")
    if monitor.MODE in c.modes:
        return b""  # already monitoring: no reply, as Redis
    monitor.start(c)
    return OK


ROLE_MASTER = b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"
# the longest WAIT timeout taken as a timeout (a century); longer is forever
_WAIT_MAX_MS = 100 * 365 * 86400 * 1000


def lastsave(c: Client, argv: list[bytes]) -> bytes:
    """LASTSAVE -> integer (unix time of the last save: the start, as nothing is ever saved)

    Complexity: O(1)
    """
    return integer(int(c.server.start_time))


def role(c: Client, argv: list[bytes]) -> bytes:
    """ROLE -> array (master, its replication offset, its replicas: none)

    Complexity: O(1)
    """
    return ROLE_MASTER


def _no_key(db: object, key: bytes) -> None:
    return None


def wait(c: Client, argv: list[bytes]) -> bytes | Pending:
    """WAIT numreplicas timeout -> integer (the replicas that acknowledged the writes: 0)

    cacheserver has no replicas: WAIT 0 answers at once, a WAIT for replicas
    after its timeout in milliseconds (0 = never, until CLIENT UNBLOCK).

    Complexity: O(1)
    """
    numreplicas = string2ll(argv[1])
    if numreplicas is None:
        raise CommandError(NOT_INTEGER)
    ms = string2ll(argv[2])
    if ms is None:
        raise CommandError(b"ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError(b"ERR timeout is negative")
    if numreplicas <= 0 or c.in_multi:  # (in EXEC: no blocking, as Redis)
        return ZERO
    timeout = ms / 1000 if ms <= _WAIT_MAX_MS else 0.0
    return c.server.blocking.block(c, [], timeout, _no_key, ZERO)


def make_commands() -> list[Command]:
    # Flags, arities and categories as Redis 7.0's command table.
    adm = ADMIN | NOSCRIPT | LOADING | STALE
    ls = LOADING | STALE
    conn = ("connection",)
    return [
        Command(b"INFO", info, -1, ls, group=_SRV, categories=("dangerous",)),
        Command(b"MONITOR", monitor_, 1, adm, group=_SRV),
        Command(b"LASTSAVE", lastsave, 1, ls | FAST, group=_SRV, categories=("admin", "dangerous")),
        Command(
            b"ROLE",
            role,
            1,
            NOSCRIPT | LOADING | STALE | FAST,
            group=_SRV,
            categories=("admin", "dangerous"),
            since="2.8.12",
        ),
        Command(b"WAIT", wait, 3, NOSCRIPT, categories=conn, since="3.0.0"),
        Command(
            b"CONFIG",
            config_container,
            -2,
            0,
            group=_SRV,
            since="2.0.0",
            subcommands=(
                Command(b"GET", config_get, -3, adm, since="2.0.0"),
                Command(b"SET", config_set, -4, adm, since="2.0.0"),
                Command(b"RESETSTAT", config_resetstat, 2, adm, since="2.0.0"),
                Command(b"REWRITE", config_rewrite, 2, adm, since="2.8.0"),
                Command(b"HELP", config_help, 2, ls, since="5.0.0"),
            ),
        ),
        Command(
            b"COMMAND",
            command_,
            -1,
            ls,
            group=_SRV,
            categories=conn,
            since="2.8.13",
            subcommands=(
                Command(b"COUNT", command_count, 2, ls, categories=conn, since="2.8.13"),
                Command(b"INFO", command_info, -2, ls, categories=conn, since="2.8.13"),
                Command(b"DOCS", command_docs, -2, ls, categories=conn, since="7.0.0"),
                Command(b"LIST", command_list, -2, ls, categories=conn, since="7.0.0"),
                Command(b"GETKEYS", command_getkeys, -4, ls, categories=conn, since="2.8.13"),
                Command(
                    b"GETKEYSANDFLAGS",
                    command_getkeysandflags,
                    -4,
                    ls,
                    categories=conn,
                    since="7.0.0",
                ),
                Command(b"HELP", command_help, 2, ls, categories=conn, since="5.0.0"),
            ),
        ),
        Command(b"TIME", time_, 1, ls | FAST, group=_SRV, since="2.6.0"),
        Command(b"SHUTDOWN", shutdown, -1, adm | NO_MULTI | ALLOW_BUSY, group=_SRV),
        Command(b"DEBUG", debug, -2, adm, group=_SRV),
    ]


__all__ = [
    "bytes_to_human",
    "command_doc",
    "command_info_reply",
    "info_sections",
    "info_text",
    "make_commands",
    "reset_stats",
]
