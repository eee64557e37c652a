"""MEMORY and the memory section of INFO (redis ``object.c`` memoryCommand,
``server.c`` genRedisInfoString).

The figures are the estimates of ``store/memory.py`` and the exact sizes of
the tables (``cacheserver/memory.py``); ``used_memory_rss`` is the process's
resident set, which also holds the interpreter itself (some tens of MB) and
memory the allocator keeps after a peak.  There is no jemalloc, so the
allocator-level fields of Redis's report are left out, and MALLOC-STATS says
so as Redis does without jemalloc.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from cacheserver.commands.connection import help_reply
from cacheserver.commands.server import bytes_to_human, rss, total_system_memory
from cacheserver.commands.table import LOADING, READONLY, STALE, Command
from cacheserver.errors import NOT_INTEGER, SYNTAX, CommandError
from cacheserver.store.memory import key_cost, value_usage
from protocol.resp import OK, bulk, double, integer, map_reply, string2ll, verbatim

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database

_getsizeof = sys.getsizeof


def _db_overhead(db: Database) -> tuple[int, int]:
    """(main, expires): the key and access tables of a database, and its expiry tables."""
    main = _getsizeof(db.data) + _getsizeof(db.access)
    if db.keys is not None:
        main += _getsizeof(db.keys)
    expires = _getsizeof(db.expires) + _getsizeof(db.heap) + len(db.heap) * 96
    return main, expires


class Overhead:
    """The figures MEMORY STATS and INFO memory report (redis ``getMemoryOverheadData``)."""

    __slots__ = (
        "clients",
        "dataset",
        "dataset_perc",
        "dbs",
        "keys",
        "overhead",
        "peak",
        "rss",
        "startup",
        "total",
    )

    def __init__(self, srv: Server) -> None:
        mem = srv.memory
        ks = srv.keyspace
        self.total = mem.measure()
        self.startup = mem.startup
        self.peak = max(mem.peak, self.total)
        self.clients = mem.clients
        self.dbs = [(db.id, *_db_overhead(db)) for db in ks.dbs if db.data]
        self.overhead = mem.startup + mem.clients + sum(m + e for _, m, e in self.dbs)
        self.overhead = min(self.overhead, self.total)
        self.dataset = self.total - self.overhead
        net = self.total - self.startup
        self.dataset_perc = self.dataset * 100 / net if net > 0 else 0.0
        self.keys = sum(len(db.data) for db in ks.dbs)
        self.rss = rss()


def info_memory(srv: Server) -> list[str]:
    """The lines of INFO memory, in Redis 7.0's order."""
    o = Overhead(srv)
    mem = srv.memory
    total = total_system_memory()
    maxmemory = mem.maxmemory
    frag = o.rss / o.total if o.total else 0.0
    return [
        f"used_memory:{o.total}",
        f"used_memory_human:{bytes_to_human(o.total)}",
        f"used_memory_rss:{o.rss}",
        f"used_memory_rss_human:{bytes_to_human(o.rss)}",
        f"used_memory_peak:{o.peak}",
        f"used_memory_peak_human:{bytes_to_human(o.peak)}",
        f"used_memory_peak_perc:{o.total * 100 / o.peak if o.peak else 0:.2f}%",
        f"used_memory_overhead:{o.overhead}",
        f"used_memory_startup:{o.startup}",
        f"used_memory_dataset:{o.dataset}",
        f"used_memory_dataset_perc:{o.dataset_perc:.2f}%",
        f"total_system_memory:{total}",
        f"total_system_memory_human:{bytes_to_human(total)}",
        # no scripting: these stay zero
        "used_memory_lua:0",
        "used_memory_vm_eval:0",
        "used_memory_lua_human:0B",
        "used_memory_scripts_eval:0",
        "number_of_cached_scripts:0",
        "number_of_functions:0",
        "number_of_libraries:0",
        "used_memory_vm_functions:0",
        "used_memory_vm_total:0",
        "used_memory_vm_total_human:0B",
        "used_memory_functions:0",
        "used_memory_scripts:0",
        "used_memory_scripts_human:0B",
        f"maxmemory:{maxmemory}",
        f"maxmemory_human:{bytes_to_human(maxmemory)}",
        f"maxmemory_policy:{mem.policy}",
        f"mem_fragmentation_ratio:{frag:.2f}",
        f"mem_fragmentation_bytes:{o.rss - o.total}",
        f"mem_not_counted_for_evict:{mem.not_counted()}",
        "mem_replication_backlog:0",
        "mem_total_replication_buffers:0",
        "mem_clients_slaves:0",
        f"mem_clients_normal:{o.clients}",
        "mem_cluster_links:0",
        "mem_aof_buffer:0",
        "mem_allocator:pymalloc",
        "active_defrag_running:0",
        f"lazyfree_pending_objects:{len(srv.keyspace.lazyfree)}",
        f"lazyfreed_objects:{srv.keyspace.lazyfree.lazyfreed_objects}",
        # slices the lazy-free queue has run (each at most about a millisecond)
        f"lazyfree_steps:{srv.keyspace.lazyfree.steps}",
    ]


# -- MEMORY --------------------------------------------------------------------


def memory_usage(c: Client, argv: list[bytes]) -> bytes:
    """MEMORY USAGE key [SAMPLES count] -> integer (bytes) | nil

    The key, its value and its share of the tables; a collection is
    estimated from ``count`` of its elements (default 5, 0 = all).
    Complexity: O(N) where N is the number of samples.
    """
    samples = 5
    j = 3
    n = len(argv)
    while j < n:
        if argv[j].lower() == b"samples" and j + 1 < n:
            v = string2ll(argv[j + 1])
            if v is None:
                raise CommandError(NOT_INTEGER)
            if v < 0:
                raise CommandError(SYNTAX)
            samples = v
            j += 2
        else:
            raise CommandError(SYNTAX)
    db = c.db
    key = argv[2]
    # redis looks the key up without expiring it (dictFind)
    value = db.data.get(key)
    if value is None:
        return c.nil
    keys = len(db.data)
    main, expires = _db_overhead(db)
    usage = key_cost(key) + value_usage(value, samples) + main // keys
    if key in db.expires:
        usage += expires // max(1, len(db.expires))
    return integer(usage)


def memory_stats(c: Client, argv: list[bytes]) -> bytes:
    """MEMORY STATS -> map of memory figures

    Complexity: O(1)
    """
    o = Overhead(c.server)
    r3 = c.resp3
    total = o.total
    pairs: list[tuple[bytes, bytes]] = [
        (bulk(b"peak.allocated"), integer(o.peak)),
        (bulk(b"total.allocated"), integer(total)),
        (bulk(b"startup.allocated"), integer(o.startup)),
        (bulk(b"replication.backlog"), integer(0)),
        (bulk(b"clients.slaves"), integer(0)),
        (bulk(b"clients.normal"), integer(o.clients)),
        (bulk(b"cluster.links"), integer(0)),
        (bulk(b"aof.buffer"), integer(0)),
        (bulk(b"lua.caches"), integer(0)),
        (bulk(b"functions.caches"), integer(0)),
    ]
    for dbid, main, expires in o.dbs:
        inner = map_reply(
            [
                (bulk(b"overhead.hashtable.main"), integer(main)),
                (bulk(b"overhead.hashtable.expires"), integer(expires)),
            ],
            r3,
        )
        pairs.append((bulk(b"db.%d" % dbid), inner))
    net = total - o.startup
    pairs += [
        (bulk(b"overhead.total"), integer(o.overhead)),
        (bulk(b"keys.count"), integer(o.keys)),
        (bulk(b"keys.bytes-per-key"), integer(net // o.keys if o.keys else 0)),
        (bulk(b"dataset.bytes"), integer(o.dataset)),
        (bulk(b"dataset.percentage"), double(o.dataset_perc, r3)),
        (bulk(b"peak.percentage"), double(total * 100 / o.peak if o.peak else 0.0, r3)),
        (bulk(b"fragmentation"), double(o.rss / total if total else 0.0, r3)),
        (bulk(b"fragmentation.bytes"), integer(o.rss - total)),
    ]
    return map_reply(pairs, r3)


_MB = 1024 * 1024


def doctor_report(srv: Server) -> str:
    """MEMORY DOCTOR's text: what stands out, in a few lines."""
    o = Overhead(srv)
    mem = srv.memory
    ks = srv.keyspace
    human = bytes_to_human
    head = (
        f"Estimated data {human(o.dataset)} in {o.keys} keys, tables and buffers "
        f"{human(o.overhead)}, process RSS {human(o.rss)}.\n"
    )
    if o.total < 5 * _MB:
        return head + "Too little data for a report: the interpreter alone is most of the RSS.\n"
    issues = []
    if mem.maxmemory and o.total - mem.not_counted() > mem.maxmemory:
        if mem.policy == "noeviction":
            issues.append(
                "Used memory is over maxmemory under noeviction: commands that add data "
                "get -OOM until keys are deleted, maxmemory is raised or a policy is set."
            )
        else:
            issues.append("Used memory is over maxmemory: eviction is catching up.")
    if o.peak > o.total * 3 // 2:
        issues.append(
            f"Peak memory {human(o.peak)} is over 150% of the current use: the process "
            "keeps much of what it took at the peak; MEMORY PURGE may give some back."
        )
    if o.rss > o.total * 2 and o.rss - o.total > 64 * _MB:
        issues.append(
            f"RSS is {o.rss / o.total:.1f} times the estimate: memory kept after a peak "
            "or deletions, or objects the estimate does not see."
        )
    clients = len(srv.clients)
    if clients and o.clients // clients > 200 * 1024:
        issues.append(
            "Client buffers average over 200 KB per client: slow readers or very large "
            "pipelines (CLIENT LIST shows which)."
        )
    if len(ks.lazyfree):
        issues.append(
            f"{len(ks.lazyfree)} big values are being freed in the background "
            f"({human(ks.lazyfree.pending_bytes)})."
        )
    if not issues:
        return head + "No memory issues found.\n"
    return head + "".join(f" * {line}\n" for line in issues)


def memory_doctor(c: Client, argv: list[bytes]) -> bytes:
    """MEMORY DOCTOR -> verbatim string (a short report on memory use)

    Complexity: O(1)
    """
    return verbatim(doctor_report(c.server).encode(), c.resp3)


def memory_malloc_stats(c: Client, argv: list[bytes]) -> bytes:
    """MEMORY MALLOC-STATS -> bulk (allocator statistics)

    Complexity: O(1)
    """
    # what redis answers when it was built without jemalloc
    return bulk(b"Stats not supported for the current allocator")


def memory_purge(c: Client, argv: list[bytes]) -> bytes:
    """MEMORY PURGE -> +OK

    Collects cyclic garbage and returns free heap pages to the system.
    Complexity: O(N) where N is the number of objects the collector visits
    """
    c.server.memory.purge()
    return OK


MEMORY_HELP = (
    b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return memory problems reports.",
    b"MALLOC-STATS",
    b"    Return internal statistics report from the memory allocator.",
    b"PURGE",
    b"    Attempt to purge dirty pages for reclamation by the allocator.",
    b"STATS",
    b"    Return information about the memory usage of the server.",
    b"USAGE <key> [SAMPLES <count>]",
    b"    Return memory in bytes used by <key> and its value. Nested values are",
    b"    sampled up to <count> times (default: 5, 0 means sample all).",
    b"HELP",
    b"    Prints this help.",
)


def memory_help(c: Client, argv: list[bytes]) -> bytes:
    """MEMORY HELP -> array of lines

    Complexity: O(1)
    """
    return help_reply(list(MEMORY_HELP))


_SRV = "server"


def make_commands() -> list[Command]:
    # Arity, flags and key positions as Redis 7.0's command table.
    return [
        Command(
            b"MEMORY",
            None,
            -2,
            0,
            group=_SRV,
            since="4.0.0",
            subcommands=(
                Command(b"DOCTOR", memory_doctor, 2, 0, since="4.0.0"),
                Command(b"PURGE", memory_purge, 2, 0, since="4.0.0"),
                Command(b"STATS", memory_stats, 2, 0, since="4.0.0"),
                Command(b"HELP", memory_help, 2, LOADING | STALE, since="4.0.0"),
                Command(b"MALLOC-STATS", memory_malloc_stats, 2, 0, since="4.0.0"),
                Command(b"USAGE", memory_usage, -3, READONLY, 2, 2, 1, since="4.0.0"),
            ),
        ),
    ]


__all__ = ["doctor_report", "info_memory", "make_commands"]
