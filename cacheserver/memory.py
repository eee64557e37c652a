"""maxmemory: the server's side of memory accounting, eviction and lazy freeing.

``Memory`` applies the settings (maxmemory, maxmemory-policy and the rest)
to the keyspace and the evictor, keeps the eviction budget, answers the
connection's over-the-limit check, and reports (INFO memory, MEMORY STATS,
MEMORY DOCTOR).

What counts against maxmemory (``used_memory`` less what is not counted for
eviction) is the estimate of the keys and values (``Keyspace.used``) plus
the hash tables and client buffers, measured exactly but only on each
background cycle, hz times a second, and on INFO and MEMORY; between two
cycles the per-command check compares the running estimate against
``Keyspace.budget``, maxmemory less the last measure of the rest.  Values
waiting in the lazy-free queue are in ``used_memory`` but not counted for
eviction (``mem_not_counted_for_evict``), as they are already on their way
out.

For other protocols and modes:

- ``must_refuse_oom(c, row)``: the ``-OOM`` reply a command must get now, or
  None; the MULTI intercept calls it first.  Inside MULTI, Redis refuses
  every command at queue time except EXEC, DISCARD, QUIT and RESET, and the
  transaction is flagged (``Client.rejected``); EXEC itself is refused, and
  the transaction discarded, when a queued command is DENYOOM.
- ``make_room(server)``: for the memcached listener before it stores an
  item: evicts if needed; False means answer ``SERVER_ERROR out of memory
  storing object``.  Its ``evictions``, ``evicted_unfetched`` and
  ``expired_unfetched`` counters are the keyspace's ``Stats``.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cacheserver.commands.table import DENYOOM, Command
from cacheserver.errors import OutOfMemory
from cacheserver.store.eviction import EVICT_FAIL, EVICT_RUNNING, Evictor, time_limit_us
from cacheserver.store.keyspace import NO_LIMIT
from cacheserver.store.lfu import Lfu

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Keyspace

__all__ = ["OOM", "Memory", "make_room", "must_refuse_oom", "table_bytes"]

log = logging.getLogger("cacheserver")

OOM = OutOfMemory().msg

_getsizeof = sys.getsizeof
# redis: a MULTI client's command is refused when out of memory, unless it is one of these
_MULTI_ALLOWED = frozenset((b"exec", b"discard", b"quit", b"reset"))


def table_bytes(ks: Keyspace) -> int:
    """The keyspace's tables, exactly: the key, expiry and access dicts, the
    expiry heap with its tuples and deadline ints, the eviction sample; and
    the hash field names shared between hashes."""
    total = ks.fields.cost()
    for db in ks.dbs:
        heap = db.heap
        total += (
            _getsizeof(db.data)
            + _getsizeof(db.expires)
            + _getsizeof(db.access)
            + _getsizeof(heap)
            + len(heap) * 96  # a (deadline, key) tuple (64) and its int (32)
        )
        if db.keys is not None:
            total += _getsizeof(db.keys)
    return total


def _load_malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, which hands freed heap pages back (MEMORY PURGE)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


class Memory:
    """maxmemory and the reports on memory, for one server."""

    __slots__ = (
        "clients",
        "evict_scheduled",
        "evictor",
        "free_scheduled",
        "ks",
        "maxmemory",
        "peak",
        "policy",
        "srv",
        "startup",
        "tables",
    )

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        ks = self.ks = srv.keyspace
        self.evictor = Evictor(ks)
        self.evictor.schedule = self._schedule_evict
        ks.lazyfree.schedule = self._schedule_free
        self.maxmemory = 0
        self.policy = ""
        self.tables = table_bytes(ks)
        self.clients = 0
        self.startup = self.tables
        self.peak = self.startup
        self.evict_scheduled = False
        self.free_scheduled = False
        cfg = srv.config
        for name in (
            "maxmemory",
            "maxmemory-policy",
            "maxmemory-samples",
            "maxmemory-eviction-tenacity",
            "lfu-log-factor",
            "lfu-decay-time",
            "lazyfree-lazy-eviction",
            "lazyfree-lazy-expire",
            "lazyfree-lazy-server-del",
        ):
            cfg.on(name, self._apply)
        self._apply(None)

    # -- settings --------------------------------------------------------------

    def _apply(self, _: object) -> None:
        """Bring the keyspace and the evictor in line with the settings."""
        cfg = self.srv.config
        ks = self.ks
        ev = self.evictor
        policy: str = cfg["maxmemory-policy"]
        if policy != self.policy:
            self.policy = policy
            ev.set_policy(policy)
        ev.samples = cfg["maxmemory-samples"]
        ev.limit_us = time_limit_us(cfg["maxmemory-eviction-tenacity"])
        ev.lazy = cfg["lazyfree-lazy-eviction"]
        ks.lazy_expire = cfg["lazyfree-lazy-expire"]
        ks.lazy_server_del = cfg["lazyfree-lazy-server-del"]
        if policy.endswith("-lfu"):
            ks.set_lfu(Lfu(cfg["lfu-log-factor"], cfg["lfu-decay-time"]))
        else:
            ks.set_lfu(None)
        old = self.maxmemory
        self.maxmemory = cfg["maxmemory"]
        self.srv.maxmemory = ev.maxmemory = self.maxmemory
        ks.limited = bool(self.maxmemory)
        # allkeys policies draw from a list of every key while a limit is set
        sample = bool(self.maxmemory) and ev.allkeys and ev.kind != "none"
        for db in ks.dbs:
            if sample and db.keys is None:
                db.keys = list(db.data)
            elif not sample:
                db.keys = None
        self.refresh()
        if self.maxmemory and self.maxmemory != old and ks.used > ks.budget:
            log.warning(
                "WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the "
                "current memory usage (%d). This will result in key eviction and/or the "
                "inability to accept new write commands depending on the maxmemory-policy.",
                self.maxmemory,
                self.used_memory(),
            )
            self._schedule_evict()

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: the peak, the time over the limit, lazy-free counts."""
        self.evictor.total_exceeded_ms = 0.0
        self.ks.lazyfree.lazyfreed_objects = 0
        self.peak = self.used_memory()

    # -- measures --------------------------------------------------------------

    def refresh(self) -> None:
        """Measure the tables and client buffers again and set the budget."""
        self.tables = table_bytes(self.ks)
        self.clients = self.client_bytes()
        if self.maxmemory:
            self.ks.budget = self.maxmemory - self.tables - self.clients
        else:
            self.ks.budget = NO_LIMIT
        used = self.used_memory()
        if used > self.peak:
            self.peak = used

    def measure(self) -> int:
        """used_memory now: measure, and if that finds the limit passed since
        the last measure, evict first (to the end), as the check before a
        command would have with the exact figure."""
        self.refresh()
        ks = self.ks
        if self.maxmemory and ks.used > ks.budget:
            self.evictor.perform(float("inf"))
        return self.used_memory()

    def client_bytes(self) -> int:
        """Unparsed requests and unsent replies of every client."""
        total = 0
        for c in self.srv.clients.values():
            total += c.reader.buffered()
            t = c.transport
            if t is not None:
                try:
                    total += t.get_write_buffer_size()
                except (NotImplementedError, AttributeError):
                    pass
            if c.deferred:
                total += sum(map(len, c.deferred))
        return total

    def used_memory(self) -> int:
        """INFO used_memory: keys and values, tables, client buffers, values being freed."""
        return self.ks.used + self.tables + self.clients + self.ks.lazyfree.pending_bytes

    def not_counted(self) -> int:
        """mem_not_counted_for_evict: values in the lazy-free queue."""
        return self.ks.lazyfree.pending_bytes

    # -- the limit ---------------------------------------------------------------

    def over_limit(self, c: Client, row: Command) -> bytes | None:
        """The connection's check before a command while over the budget:
        evict, then the -OOM reply (redis ``rejectCommand``: counted as a
        rejected call) for a command that adds data if still over."""
        if self.evictor.perform() == EVICT_FAIL and _denyoom(c, row):
            return c.rejected(row, OOM)
        return None

    def must_refuse_oom(self, c: Client, row: Command, denyoom: bool | None = None) -> bytes | None:
        """See ``must_refuse_oom`` in the module docstring."""
        if not self.maxmemory or self.ks.used <= self.ks.budget:
            return None
        if self.evictor.perform() != EVICT_FAIL:
            return None
        if c.in_multi and (row.parent or row).name not in _MULTI_ALLOWED:
            return c.rejected(row, OOM)  # flags the transaction
        if denyoom is None:
            denyoom = _denyoom(c, row)
        return c.rejected(row, OOM) if denyoom else None

    def make_room(self) -> bool:
        """Evict as needed before storing; False when nothing more can go."""
        if not self.maxmemory or self.ks.used <= self.ks.budget:
            return True
        return self.evictor.perform() != EVICT_FAIL

    # -- background work -----------------------------------------------------------

    def cron(self) -> None:
        """Each background cycle: measure, go on evicting, go on freeing."""
        self.refresh()
        ks = self.ks
        if self.maxmemory and ks.used > ks.budget:
            if not self.evict_scheduled:
                self.evictor.perform()
        else:
            self.evictor.back_under()
        if ks.lazyfree.jobs and not self.free_scheduled:
            ks.lazyfree.drain()

    def _loop(self) -> asyncio.AbstractEventLoop | None:
        if not self.srv.defer_writes:  # no running server (an in-process harness)
            return None
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def _schedule_evict(self) -> None:
        loop = self._loop()
        if loop is not None and not self.evict_scheduled:
            self.evict_scheduled = True
            loop.call_soon(self._evict_step)

    def _evict_step(self) -> None:
        """A slice of eviction between the loop's reads (redis ``evictionTimeProc``)."""
        self.evict_scheduled = False
        if self.maxmemory and self.evictor.perform() == EVICT_RUNNING:
            self._schedule_evict()

    def _schedule_free(self) -> None:
        loop = self._loop()
        if loop is not None and not self.free_scheduled:
            self.free_scheduled = True
            loop.call_soon(self._free_step)

    def _free_step(self) -> None:
        """A slice of lazy freeing between the loop's reads."""
        self.free_scheduled = False
        if self.ks.lazyfree.drain():
            self._schedule_free()

    # -- MEMORY PURGE ----------------------------------------------------------------

    def purge(self) -> None:
        """Collect cyclic garbage and hand free heap pages back to the system."""
        gc.collect()
        if _MALLOC_TRIM is not None:
            _MALLOC_TRIM(0)


_MALLOC_TRIM = _load_malloc_trim()


def _denyoom(c: Client, row: Command) -> bool:
    """Would ``row`` add data: a DENYOOM command, or EXEC of a transaction
    that queued one (redis ``is_denyoom_command``)."""
    if row.flags & DENYOOM:
        return True
    tx = c.tx
    if row.name == b"exec" and row.parent is None and tx is not None and tx.queue:
        return any(r.flags & DENYOOM for r, _ in tx.queue)
    return False


def must_refuse_oom(c: Client, row: Command, denyoom: bool | None = None) -> bytes | None:
    """The ``-OOM`` reply ``row`` must get now (counted as a rejected call),
    or None.  For the MULTI intercept, called at queue time; see the module
    docstring."""
    return c.server.memory.must_refuse_oom(c, row, denyoom)


def make_room(server: Server) -> bool:
    """For the memcached listener before a store: False means answer
    ``SERVER_ERROR out of memory storing object``."""
    return server.memory.make_room()
