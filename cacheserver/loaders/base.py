"""Read-through loaders: a miss on a loader key runs its query and fills the cache.

The read handlers (GET, MGET, HGET, HMGET, HGETALL, EXISTS) call
``Loaders.load`` / ``load_many`` on a miss (one attribute test when no
loaders are configured; a hit costs nothing).  A miss goes through:

1. the key patterns: a key that fits no loader, or whose captures do not
   fit their types, is a plain miss;
2. the negative cache (a side dict, never a key): zero rows answer nil for
   ``negative_ttl``;
3. the stale copy (``stale_for``): a value that expired on its own TTL is put
   back at once, for at most a second at a time, while one refresh runs;
4. the flights: concurrent misses on one key share one load (single-flight),
   whichever client or protocol asked;
5. a new flight, queued on its loader.  One worker task per loader waits for
   a pool connection; when it gets one it takes every flight queued by then
   (up to ``max_batch``) and runs one query: the loader's own query for one
   key, or one batched query for several (the query as a LATERAL subquery over
   ``unnest`` of the parameter arrays), so an MGET of 100 cold keys, or 100
   clients missing at once, cost one query.

The waiting client's handler returned ``Pending(future)``: its connection
holds the requests behind it.  When the flight ends, the value is stored
(TTL plus jitter) and the command is run again, with loading off, so the
client gets exactly the reply it would have had if the value had been there.

Invalidation (NOTIFY, LOADER INVALIDATE) deletes the entry through the
keyspace (change signals fire) and marks a flight in progress for that key:
its row is not stored, the query runs again (at most three times).  A fill is
also dropped when the key was written while the load ran (the client's write
wins).  Writes (SET, DEL, HSET ...) act on the cache only, as cache-aside
code would: DEL removes the cached value, so the next read loads it again.
A fill is a write too: WATCH, CLIENT TRACKING and keyspace notifications see
``set`` (``hset``) and ``expire``.  Inside EXEC a cold loader key is a plain
miss: a transaction cannot wait for the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cacheserver.connection import Pending
from cacheserver.errors import CommandError
from cacheserver.loaders.encode import encode_hash, encode_json, encode_value
from cacheserver.loaders.pool import (
    BorrowTimeout,
    ConnectFailed,
    Pool,
    PooledConn,
    TaskOwner,
    is_connection_error,
    reason,
    ssl_argument,
)
from cacheserver.loaders.spec import (
    LoaderConfigError,
    LoaderSpec,
    LoadersSpec,
    parse_file,
    substitute_parameters,
)
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_STRING

if TYPE_CHECKING:
    import asyncpg

    from cacheserver.connection import Client
    from cacheserver.loaders.listen import Listener
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database
    from cacheserver.store.memory import FieldNames

log = logging.getLogger("cacheserver")

__all__ = ["Flight", "Loader", "LoaderUnavailable", "Loaders"]

STALE_RETRY_MS = 1000  # a stale value is put back for at most this long per refresh attempt
MAX_ATTEMPTS = 3  # loads of one flight when invalidations keep arriving
LATENCY_SAMPLES = 1024
SWEEP_INTERVAL = 1.0


class LoaderUnavailable(CommandError):
    """A load that failed: ``-ERR loader 'name' unavailable: <reason>``;
    ``reason`` alone for memcached's ``SERVER_ERROR``."""

    def __init__(self, name: str, why: str) -> None:
        why = " ".join(why.split())
        super().__init__(f"ERR loader '{name}' unavailable: {why}".encode("utf-8", "replace"))
        self.reason = f"loader '{name}' unavailable: {why}"


class _Ready:
    """_begin's answer when a stale value was put back: the key is there now."""


READY = _Ready()


class Wait:
    """One client request waiting on one or more flights."""

    __slots__ = ("argv", "client", "error", "future", "remaining")

    def __init__(
        self, client: Client, argv: list[bytes], future: asyncio.Future[bytes], n: int
    ) -> None:
        self.client = client
        self.argv = argv
        self.future = future
        self.remaining = n
        self.error: LoaderUnavailable | None = None


class Flight:
    """One key being loaded; every miss on it while it runs waits on it."""

    __slots__ = (
        "attempts",
        "background",
        "base",
        "db",
        "done",
        "error",
        "key",
        "listeners",
        "params",
        "queued_at",
        "tainted",
        "value",
        "waits",
    )

    def __init__(self, db: Database, key: bytes, params: tuple[Any, ...], background: bool) -> None:
        self.db = db
        self.key = key
        self.params = params
        self.background = background  # a stale refresh: nobody waits unless they join
        self.base: Any = db.data.get(key)  # a fill stores only over what was there at the start
        self.queued_at = time.monotonic()
        self.tainted = False  # invalidated while in flight: load again, store nothing
        self.attempts = 0
        self.waits: list[Wait] = []
        self.listeners: list[Any] = []  # callables (Flight) -> None
        self.done = False
        self.value: bytes | list[tuple[bytes, bytes]] | None = None
        self.error: LoaderUnavailable | None = None


class Loader:
    """One ``[[loader]]``: its spec, side structures and counters."""

    __slots__ = (
        "acquiring",
        "batch_sql",
        "coalesced",
        "errors",
        "flights",
        "invalidations",
        "lat_max",
        "lat_n",
        "lat_sum",
        "latencies",
        "loads",
        "misses",
        "negative",
        "negative_hits",
        "negatives",
        "prefix",
        "queries",
        "query_error",
        "queue",
        "retries",
        "spec",
        "stale",
        "stale_serves",
    )

    def __init__(self, spec: LoaderSpec) -> None:
        self.spec = spec
        self.prefix = spec.pattern.prefix
        self.flights: dict[bytes, Flight] = {}
        self.queue: deque[Flight] = deque()
        self.acquiring = False  # a worker is waiting for a connection for this loader
        self.batch_sql: str | None = None
        # PostgreSQL's refusal of the query when it was prepared at start or
        # reload ("" when it prepared, or was not tried: the database was down)
        self.query_error = ""
        # key -> unix ms until which zero rows are remembered (insertion ~ deadline order)
        self.negative: dict[bytes, int] = {}
        # key -> (value, fresh until, stale until), unix ms
        self.stale: dict[bytes, tuple[Any, int, int]] = {}
        self.reset_stats()

    def reset_stats(self) -> None:
        self.misses = 0
        self.loads = 0
        self.queries = 0
        self.negative_hits = 0
        self.negatives = 0
        self.coalesced = 0
        self.stale_serves = 0
        self.errors = 0
        self.retries = 0
        self.invalidations = 0
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.lat_sum = 0.0
        self.lat_n = 0
        self.lat_max = 0.0

    def ttl_ms(self) -> int:
        """The TTL of one fill: ``ttl`` plus a random share of ``jitter``."""
        s = self.spec
        spread = int(s.ttl_ms * s.jitter_ratio) if s.jitter_ratio else s.jitter_ms
        return s.ttl_ms + (random.randint(0, spread) if spread else 0)

    def record_latency(self, seconds: float) -> None:
        self.latencies.append(seconds)
        self.lat_sum += seconds
        self.lat_n += 1
        if seconds > self.lat_max:
            self.lat_max = seconds

    def stats(self) -> list[tuple[str, str]]:
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
        avg = self.lat_sum / self.lat_n if self.lat_n else 0.0
        return [
            ("loads", str(self.loads)),
            ("queries", str(self.queries)),
            # hits on cached values are counted in keyspace_hits only: counting
            # them per loader would cost every GET; these are the misses
            # answered without a query of their own
            ("hits", str(self.negative_hits + self.coalesced + self.stale_serves)),
            ("misses", str(self.misses)),
            ("negative_hits", str(self.negative_hits)),
            ("negatives_stored", str(self.negatives)),
            ("coalesced", str(self.coalesced)),
            ("stale_serves", str(self.stale_serves)),
            ("errors", str(self.errors)),
            ("retries", str(self.retries)),
            ("invalidations", str(self.invalidations)),
            ("in_flight", str(len(self.flights))),
            ("queued", str(len(self.queue))),
            ("negative_entries", str(len(self.negative))),
            ("stale_entries", str(len(self.stale))),
            ("load_avg_ms", f"{avg * 1000:.3f}"),
            ("load_p99_ms", f"{p99 * 1000:.3f}"),
            ("load_max_ms", f"{self.lat_max * 1000:.3f}"),
        ]


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Loaders(TaskOwner):
    """Every loader of one loaders file, the pool and the LISTEN connection."""

    def __init__(self, server: Server, spec: LoadersSpec) -> None:
        self.server = server
        self.spec = spec
        self.path = spec.path
        self.pool = Pool(spec.database)
        self.loaders: list[Loader] = [Loader(s) for s in spec.loaders]
        self.by_name = {L.spec.name: L for L in self.loaders}
        self.by_channel: dict[str, list[Loader]] = {}
        self._index_channels()
        # while true a miss is a plain miss: set while a waiting command runs
        # again after its load, and by callers that cannot wait (EXEC)
        self.no_load = False
        self.listener: Listener | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.sweeper: asyncio.TimerHandle | None = None
        self.closing = False
        self.reloads = 0
        self.reload_errors = 0
        self.last_reload_error = ""

    @classmethod
    def open(cls, server: Server, path: str) -> Loaders:
        """Parse and check ``path``; LoaderConfigError names file, line and problem."""
        return cls(server, load_spec(path))

    def _index_channels(self) -> None:
        self.by_channel = {}
        for L in self.loaders:
            ch = L.spec.invalidate_channel
            if ch:
                self.by_channel.setdefault(ch, []).append(L)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start the pool, the LISTEN connection and the sweep; never waits for
        the database (a database down at start is an error on first load)."""
        self.pool.start()
        self._start_listener()
        self.spawn(self._check_queries(self.loaders))
        self.sweeper = asyncio.get_running_loop().call_later(SWEEP_INTERVAL, self._sweep)
        # FLUSHDB, FLUSHALL and SWAPDB signal Database.flushed(): costs nothing otherwise
        self.server.keyspace.add_flush_hook(self.flushed)

    async def _check_queries(self, loaders: list[Loader]) -> None:
        """Prepare ``loaders``' queries on one connection, so that a query
        PostgreSQL refuses (a typo, a missing table or column) is logged at
        start or reload and shown by LOADER LIST, not first met at a miss.  A
        database that does not answer within the connect and borrow timeouts
        leaves the check to the first loads, and so does a pool that keeps
        no connection open (min_connections 0): the check opens none."""
        db = self.spec.database
        pool = self.pool
        if not db.min_connections:
            return
        try:
            pc = await pool.acquire(db.connect_timeout + db.borrow_timeout)
        except (BorrowTimeout, ConnectFailed):
            return
        broken = False
        try:
            for L in loaders:
                try:
                    # PREPARE / DEALLOCATE in SQL: an asyncpg statement object
                    # left to the garbage collector closes itself later, in
                    # the middle of whatever the connection does next
                    await pc.conn.execute(
                        f"PREPARE cs_query_check AS {L.spec.query}", timeout=db.query_timeout
                    )
                    await pc.conn.execute("DEALLOCATE cs_query_check", timeout=db.query_timeout)
                except Exception as e:
                    if is_connection_error(e) or isinstance(e, asyncio.TimeoutError):
                        broken = True
                        return
                    L.query_error = reason(e)
                    log.error(
                        "loader %r: PostgreSQL refuses its query: %s", L.spec.name, L.query_error
                    )
                else:
                    L.query_error = ""
        finally:
            pool.release(pc, discard=broken or pc.conn.is_closed())

    def _start_listener(self) -> None:
        from cacheserver.loaders.listen import Listener

        if self.by_channel:
            self.listener = Listener(self, self.pool, sorted(self.by_channel))
            self.listener.start()

    async def close(self) -> None:
        self.closing = True
        self.server.keyspace.remove_flush_hook(self.flushed)
        if self.sweeper is not None:
            self.sweeper.cancel()
        if self.listener is not None:
            await self.listener.close()
        for L in self.loaders:
            self._fail(L, list(L.queue), "the server is shutting down")
            L.queue.clear()
        await self.pool.close()
        await self.cancel_tasks()

    # -- matching ------------------------------------------------------------------------

    def match(self, db_index: int, key: bytes) -> tuple[Loader, tuple[Any, ...]] | None:
        """The loader whose pattern ``key`` fits (first in file order) and the
        typed parameters, or None."""
        for L in self.loaders:
            if key.startswith(L.prefix) and L.spec.db == db_index:
                params = L.spec.pattern.match(key)
                if params is not None:
                    return L, params
        return None

    # -- the miss path ---------------------------------------------------------------------

    def _begin(self, db: Database, key: bytes, now: int) -> Flight | _Ready | None:
        """A miss on ``key``: None (a plain miss), READY (a stale value was put
        back) or the flight to wait on."""
        found = self.match(db.id, key)
        if found is None:
            return None
        L, params = found
        L.misses += 1
        neg = L.negative.get(key)
        if neg is not None:
            if neg > now:
                L.negative_hits += 1
                return None
            del L.negative[key]
        flight = L.flights.get(key)
        if L.stale:
            st = L.stale.get(key)
            if st is not None:
                value, fresh_until, stale_until = st
                if fresh_until <= now < stale_until:
                    # expired on its own TTL: serve it now, refresh behind it
                    _put(db, key, value, min(stale_until, now + STALE_RETRY_MS))
                    L.stale_serves += 1
                    if flight is None:
                        self._start(L, db, key, params, background=True)
                    return READY
                # gone before its TTL (DEL, eviction) or past stale_for: load anew
                del L.stale[key]
        if flight is not None:
            L.coalesced += 1
            return flight
        return self._start(L, db, key, params)

    def _start(
        self, L: Loader, db: Database, key: bytes, params: tuple[Any, ...], background: bool = False
    ) -> Flight:
        f = Flight(db, key, params, background)
        L.flights[key] = f
        L.queue.append(f)
        self._kick(L)
        return f

    def load(self, c: Client, argv: list[bytes], key: bytes) -> Any:
        """A read handler missed ``key``: None to answer the miss as usual, or
        the reply (a Pending while the load runs)."""
        if self.no_load or c.in_multi:  # EXEC cannot wait: a plain miss inside it
            return None
        r = self._begin(c.db, key, c.now)
        if r is None:
            return None
        if r is READY:
            return self._rerun(c, argv)
        assert isinstance(r, Flight)
        return self._wait(c, argv, (r,))

    def load_many(self, c: Client, argv: list[bytes], keys: Iterable[bytes]) -> Any:
        """``load`` for a command that missed several keys (MGET, EXISTS): the
        keys of one loader missed together go to the database as one query."""
        if self.no_load or c.in_multi:
            return None
        db, now = c.db, c.now
        flights: dict[int, Flight] = {}
        ready = False
        for key in dict.fromkeys(keys):
            r = self._begin(db, key, now)
            if r is READY:
                ready = True
            elif r is not None:
                assert isinstance(r, Flight)
                flights[id(r)] = r
        if flights:
            return self._wait(c, argv, flights.values())
        if ready:
            return self._rerun(c, argv)
        return None

    def fetch(self, key: bytes, db_index: int = 0) -> bytes | asyncio.Future[bytes | None] | None:
        """The memcached side's entry point, for a get/gets/mg miss on ``key``.

        Returns None (a plain miss: no loader, a negative entry, a key that
        does not fit), the value bytes (a stale value served while it
        refreshes, or a value filled since the caller looked), or a future
        that resolves to the value bytes, or to None for zero rows, or fails
        with LoaderUnavailable (``e.reason`` for ``SERVER_ERROR``).  A value is stored in database ``db_index`` as a
        Redis string before the future resolves.  Loaders of format ``hash``
        have no memcached form: their keys answer a miss."""
        if self.no_load:
            return None
        db = self.server.keyspace.dbs[db_index]
        found = self.match(db.id, key)
        if found is None or found[0].spec.format == "hash":
            return None
        now = self.server.clock()
        present = db.peek(key, now)
        if present is not None:  # filled since the caller looked
            return bytes(present) if isinstance(present, (bytes, bytearray)) else None
        r = self._begin(db, key, now)
        if r is None:
            return None
        if r is READY:
            value = db.data.get(key)
            return bytes(value) if isinstance(value, (bytes, bytearray)) else None
        assert isinstance(r, Flight)
        fut: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        r.listeners.append(lambda f: _resolve_fetch(fut, f))
        return fut

    def _wait(self, c: Client, argv: list[bytes], flights: Iterable[Flight]) -> Pending:
        fs = list(flights)
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        w = Wait(c, argv, fut, len(fs))
        for f in fs:
            f.waits.append(w)
        return Pending(fut)

    def _rerun(self, c: Client, argv: list[bytes]) -> Any:
        """Run the command again now that its keys are filled (loading off)."""
        row = self.server.table.lookup(argv[0])
        assert row is not None and row.handler is not None
        self.no_load = True
        try:
            return row.handler(c, argv)
        finally:
            self.no_load = False

    def _replay(self, w: Wait) -> None:
        fut = w.future
        if fut.done():
            return
        c = w.client
        if c.closed:
            fut.cancel()
            return
        if w.error is not None:
            fut.set_exception(w.error)
            return
        c.now = self.server.clock()
        try:
            reply = self._rerun(c, w.argv)
        except CommandError as e:
            fut.set_exception(e)
            return
        except Exception as e:
            log.exception("internal error answering a loaded key")
            fut.set_exception(e)
            return
        if reply.__class__ is Pending:  # cannot happen with loading off; keep the chain anyway
            inner = reply.awaitable
            assert isinstance(inner, asyncio.Future)
            inner.add_done_callback(lambda f: _chain(fut, f))
        elif reply.__class__ is bytes:
            fut.set_result(reply)
        else:
            fut.set_result(b"".join(reply))

    # -- workers: from queued flights to queries ----------------------------------------------

    def _kick(self, L: Loader) -> None:
        if not L.acquiring and L.queue and not self.closing:
            L.acquiring = True
            self.spawn(self._work(L))

    async def _work(self, L: Loader) -> None:
        """Wait for a connection for ``L``'s queue, then run one batch."""
        batch: list[Flight] = []
        try:
            got = await self._borrow(L)
            if got is None:
                return
            pool, pc = got
            n = min(len(L.queue), self.spec.database.max_batch)
            batch = [L.queue.popleft() for _ in range(n)]
            self._kick(L)  # the rest waits for the next connection
            if not batch:
                pool.release(pc)
                return
            await self._execute(L, pool, pc, batch)
        except Exception:
            # a bug must not leave flights that every later miss would wait on
            log.exception("loader %r: internal error running a load", L.spec.name)
            self._fail(L, [f for f in batch if not f.done], "internal error")

    async def _borrow(self, L: Loader) -> tuple[Pool, PooledConn] | None:
        """A connection for the oldest queued flight; flights that cannot get
        one in time fail here."""
        try:
            while L.queue:
                pool = self.pool  # a reload may have replaced it
                db = self.spec.database
                remaining = db.borrow_timeout - (time.monotonic() - L.queue[0].queued_at)
                try:
                    if remaining <= 0:
                        raise BorrowTimeout("")
                    return pool, await pool.acquire(remaining)
                except BorrowTimeout:
                    self._expire_queue(
                        L,
                        f"no database connection free within {db.borrow_timeout:g}s "
                        f"({pool.in_use} of {db.max_connections} busy)",
                    )
                except ConnectFailed as e:
                    if pool.closed and pool is not self.pool:
                        continue  # retired by a reload: wait on the new pool
                    failed = list(L.queue)
                    L.queue.clear()
                    self._fail(L, failed, e.reason)
            return None
        finally:
            L.acquiring = False

    def _expire_queue(self, L: Loader, why: str) -> None:
        """Fail the queued flights that waited ``borrow_timeout`` (at least the oldest)."""
        cutoff = time.monotonic() - self.spec.database.borrow_timeout + 0.05
        expired = [L.queue.popleft()]
        while L.queue and L.queue[0].queued_at <= cutoff:
            expired.append(L.queue.popleft())
        self._fail(L, expired, why)

    async def _execute(self, L: Loader, pool: Pool, pc: PooledConn, batch: list[Flight]) -> None:
        """Run the batch's query; on a connection error, once more on a fresh
        connection (the pool may have failed over meanwhile)."""
        dbspec = self.spec.database
        # every flight gets its answer within borrow_timeout + query_timeout
        deadline = batch[0].queued_at + dbspec.borrow_timeout + dbspec.query_timeout
        t0 = time.monotonic()
        retried = False
        while True:
            timeout = min(dbspec.query_timeout, deadline - time.monotonic())
            try:
                if timeout <= 0:
                    raise TimeoutError
                rows = await self._query(L, pc.conn, batch, timeout)
            except Exception as e:
                conn_error = is_connection_error(e) or pc.conn.is_closed()
                pool.release(pc, discard=conn_error)
                if isinstance(e, asyncio.TimeoutError):
                    self._fail(L, batch, f"query timed out after {max(timeout, 0):.3g}s")
                    return
                if not conn_error or retried or self.closing:
                    self._fail(L, batch, reason(e))
                    return
                retried = True
                L.retries += 1
                pool.drop_idle()
                pool = self.pool  # the current one, after a reload
                try:
                    pc = await pool.acquire(
                        max(0.001, min(dbspec.borrow_timeout, deadline - time.monotonic()))
                    )
                except (BorrowTimeout, ConnectFailed) as e2:
                    self._fail(L, batch, reason(e2))
                    return
                continue
            pool.release(pc)
            break
        L.queries += 1
        L.record_latency(time.monotonic() - t0)
        self._complete(L, batch, rows)

    async def _query(
        self, L: Loader, conn: asyncpg.Connection, batch: list[Flight], timeout: float
    ) -> list[tuple[list[str], list[Any]] | None]:
        """The first row of each flight's key, as (column names, values)."""
        query = L.spec.query
        if len(batch) == 1:
            row = await conn.fetchrow(query, *batch[0].params, timeout=timeout)
            return [None if row is None else (list(row.keys()), list(row.values()))]
        sql = L.batch_sql
        if sql is None:
            sql = await self._batch_sql(L, conn, timeout)
        if not sql:  # array parameters cannot be unnested: one query per key
            out: list[tuple[list[str], list[Any]] | None] = []
            for f in batch:
                row = await conn.fetchrow(query, *f.params, timeout=timeout)
                out.append(None if row is None else (list(row.keys()), list(row.values())))
            return out
        arrays = [[f.params[i] for f in batch] for i in range(len(batch[0].params))]
        records = await conn.fetch(sql, *arrays, timeout=timeout)
        rows: list[tuple[list[str], list[Any]] | None] = [None] * len(batch)
        names: list[str] | None = None
        for r in records:
            i = r[0] - 1
            if rows[i] is None:
                if names is None:
                    names = list(r.keys())[1:]
                rows[i] = (names, list(r.values())[1:])
        return rows

    async def _batch_sql(self, L: Loader, conn: asyncpg.Connection, timeout: float) -> str:
        """The loader's query for many keys at once: a LATERAL subquery over
        ``unnest`` of one array per parameter, typed as PostgreSQL types the
        single query's parameters, rows tagged with the key's position."""
        stmt = await conn.prepare(L.spec.query, timeout=timeout)
        params = stmt.get_parameters()
        if any(t.kind == "array" for t in params):
            L.batch_sql = ""
            return ""
        n = len(params)
        arrays = ", ".join(
            f"${i}::{_qi(t.schema)}.{_qi(t.name)}[]" for i, t in enumerate(params, 1)
        )
        cols = ", ".join(f"p{i}" for i in range(1, n + 1))
        inner = substitute_parameters(L.spec.query, lambda i: f"cs_keys.p{i}")
        L.batch_sql = (
            f"SELECT cs_keys.cs_ord, cs_rows.* FROM unnest({arrays}) WITH ORDINALITY "
            f"AS cs_keys({cols}, cs_ord) CROSS JOIN LATERAL ({inner}) AS cs_rows"
        )
        return L.batch_sql

    def _complete(
        self, L: Loader, batch: list[Flight], rows: list[tuple[list[str], list[Any]] | None]
    ) -> None:
        now = self.server.clock()
        again = False
        fmt = L.spec.format
        for f, row in zip(batch, rows, strict=True):
            L.loads += 1
            if f.tainted:  # invalidated while the query ran: this row may predate the change
                f.tainted = False
                f.attempts += 1
                if f.attempts < MAX_ATTEMPTS and not self.closing:
                    f.base = f.db.data.get(f.key)
                    f.queued_at = time.monotonic()
                    L.queue.append(f)
                    again = True
                else:
                    self._fail(L, [f], "the key kept changing while it loaded")
                continue
            try:
                value = _encode(fmt, row)
            except Exception as e:
                log.exception("loader %r: cannot encode a row", L.spec.name)
                self._fail(L, [f], f"cannot encode the row: {reason(e)}")
                continue
            self._store(L, f, value, now)
            self._finish(L, f, value, None)
        if again:
            self._kick(L)

    def _store(
        self, L: Loader, f: Flight, value: bytes | list[tuple[bytes, bytes]] | None, now: int
    ) -> None:
        db, key = f.db, f.key
        current = db.data.get(key)
        if current is not f.base:
            return  # written while the load ran: the client's write wins
        spec = L.spec
        if value is None:
            if spec.negative_ttl_ms:
                L.negative.pop(key, None)
                L.negative[key] = now + spec.negative_ttl_ms
            L.negatives += 1
            L.stale.pop(key, None)
            if current is not None and db.delete(key):  # a stale copy put back for a row now gone
                db.changed(key, NOTIFY_GENERIC, b"del")
            return
        stored: Any = value if isinstance(value, bytes) else _make_hash(value, db.ks.fields)
        ttl = L.ttl_ms()
        readers = self._untrack_waiters(f)
        _put(db, key, stored, now + ttl)
        for w in readers:  # they read what was just stored: keep tracking it for them
            row = self.server.table.lookup(w.argv[0])
            if row is not None and w.client.track is not None:
                self.server.tracking.remember(w.client, row, w.argv)
        if spec.stale_for_ms:
            L.stale.pop(key, None)
            L.stale[key] = (stored, now + ttl, now + ttl + spec.stale_for_ms)

    def _untrack_waiters(self, f: Flight) -> list[Wait]:
        """The flight's waiting clients that CLIENT TRACKING remembers for its
        key, taken out of the tracking table: the fill is their own read, so
        it must not invalidate them (they are put back after the fill)."""
        if not f.waits or not f.db.ks.hooked:
            return []
        gone = self.server.tracking.forget(f.key, {w.client.id for w in f.waits})
        return [w for w in f.waits if w.client.id in gone]

    def _finish(self, L: Loader, f: Flight, value: Any, error: LoaderUnavailable | None) -> None:
        if L.flights.get(f.key) is f:
            del L.flights[f.key]
        f.done = True
        f.value = value
        f.error = error
        for w in f.waits:
            w.remaining -= 1
            if error is not None and w.error is None:
                w.error = error
            if w.remaining == 0:
                self._replay(w)
        for fn in f.listeners:
            fn(f)

    def _fail(self, L: Loader, flights: list[Flight], why: str) -> None:
        error = LoaderUnavailable(L.spec.name, why)
        for f in flights:
            L.errors += 1
            if f.background and not f.waits:
                log.debug("loader %r: refresh of %r failed: %s", L.spec.name, f.key, why)
            self._finish(L, f, None, error)

    # -- invalidation ---------------------------------------------------------------------------

    def invalidate(self, db: Database, key: bytes) -> bool:
        """Drop ``key``'s cached value, negative entry and stale copy, and
        make a load in flight for it load again.  True when ``key`` is a
        loader key and something was dropped."""
        found = self.match(db.id, key)
        if found is None:
            return False
        L = found[0]
        dropped = False
        if db.delete(key):
            db.changed(key, NOTIFY_GENERIC, b"del")
            dropped = True
        if L.negative.pop(key, None) is not None:
            _absent_changed(db, key)  # whoever cached the nil hears of it
            dropped = True
        if L.stale.pop(key, None) is not None:
            dropped = True
        f = L.flights.get(key)
        if f is not None:
            f.tainted = True
            dropped = True
        if dropped:
            L.invalidations += 1
        return dropped

    def notified(self, channel: str, payload: str) -> int:
        """A NOTIFY on an invalidation channel: the payload names the changed
        key's captures (see README); returns the number of keys dropped."""
        loaders = self.by_channel.get(channel)
        if not loaders:
            return 0
        if payload.strip() == "*":
            self.spawn(self.drop_all(loaders))
            return 0
        try:
            data: Any = json.loads(payload)
        except ValueError:
            data = payload
        items = data if isinstance(data, list) else [data]
        dbs = self.server.keyspace.dbs
        n = 0
        for item in items:
            for L in loaders:
                caps = L.spec.pattern.captures
                if isinstance(item, dict):
                    key = L.spec.pattern.format(item)
                elif len(caps) == 1:
                    key = L.spec.pattern.format({caps[0].name: item})
                else:
                    key = None
                if key is None:
                    log.debug("loader %r: notification %r names no key", L.spec.name, payload[:200])
                    continue
                if L.spec.db < len(dbs) and self.invalidate(dbs[L.spec.db], key):
                    n += 1
        return n

    def flushed(self, db: Database, replaced_with: Database | None = None) -> None:
        """Every key of ``db`` went at once (FLUSHDB, FLUSHALL, SWAPDB): its
        loaders forget negative entries and stale copies, and loads in flight
        are not stored over the flush (they run again)."""
        for L in self.loaders:
            if L.spec.db == db.id:
                L.negative.clear()
                L.stale.clear()
                for f in L.flights.values():
                    f.tainted = True

    async def drop_all(self, loaders: list[Loader]) -> int:
        """Drop every entry of ``loaders`` (notifications may have been missed):
        side structures now, keys by a walk of the keyspace in slices."""
        dbs = self.server.keyspace.dbs
        for L in loaders:
            if L.spec.db < len(dbs):
                for key in L.negative:
                    _absent_changed(dbs[L.spec.db], key)
            L.negative.clear()
            L.stale.clear()
            for f in L.flights.values():
                f.tainted = True
        n = 0
        for index in sorted({L.spec.db for L in loaders}):
            if index >= len(dbs):
                continue
            db = dbs[index]
            mine = [L for L in loaders if L.spec.db == index]
            keys = list(db.data)
            for i, key in enumerate(keys):
                if i and not i % 10000:
                    await asyncio.sleep(0)
                for L in mine:
                    if key.startswith(L.prefix) and L.spec.pattern.regex.fullmatch(key):
                        if db.delete(key):
                            db.changed(key, NOTIFY_GENERIC, b"del")
                            n += 1
                        break
        return n

    # -- the side structures' sweep -----------------------------------------------------------------

    def _sweep(self) -> None:
        """Forget expired negative entries and stale copies (oldest first, a bounded number)."""
        try:
            now = self.server.clock()
            dbs = self.server.keyspace.dbs
            for L in self.loaders:
                negative = L.negative
                budget = 10000
                while negative and budget:
                    key = next(iter(negative))
                    if negative[key] > now:
                        break
                    del negative[key]
                    if L.spec.db < len(dbs):  # a cached nil may be stale now
                        _absent_changed(dbs[L.spec.db], key)
                    budget -= 1
                stale = L.stale
                budget = 10000
                while stale and budget:
                    key = next(iter(stale))
                    if stale[key][2] > now:
                        break
                    del stale[key]
                    budget -= 1
        finally:
            if not self.closing:
                self.sweeper = asyncio.get_running_loop().call_later(SWEEP_INTERVAL, self._sweep)

    # -- reload -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the loaders file again; LoaderConfigError keeps the current config.

        Loaders whose key, query, format and db are unchanged keep their
        negative entries, stale copies, loads in flight and counters; a changed
        [database] table gets a new pool (the old one closes as its loads end)."""
        try:
            spec = load_spec(self.path)
        except LoaderConfigError as e:
            self.reload_errors += 1
            self.last_reload_error = "; ".join(e.problems)
            raise
        old = {L.spec.name: L for L in self.loaders}
        loaders: list[Loader] = []
        fresh: list[Loader] = []
        for s in spec.loaders:
            L = old.get(s.name)
            if L is not None and L.spec.signature() == s.signature():
                L.spec = s
                loaders.append(L)
            else:
                fresh.append(Loader(s))
                loaders.append(fresh[-1])
        db_changed = spec.database != self.spec.database
        channels_before = sorted(self.by_channel)
        self.spec = spec
        self.loaders = loaders
        self.by_name = {L.spec.name: L for L in loaders}
        self._index_channels()
        if db_changed:
            old_pool = self.pool
            self.pool = Pool(spec.database)
            self.pool.start()
            for L in loaders:
                L.batch_sql = None
            old_pool.retire()
        if db_changed or sorted(self.by_channel) != channels_before:
            if self.listener is not None:
                self.spawn(self.listener.close())
                self.listener = None
            self._start_listener()
        self.reloads += 1
        self.last_reload_error = ""
        log.warning("loaders: reloaded %s (%d loaders)", self.path, len(loaders))
        # new queries, or all of them on a new database
        self.spawn(self._check_queries(loaders if db_changed else fresh))

    # -- introspection ------------------------------------------------------------------------

    def info_lines(self) -> list[str]:
        lines = [
            f"loaders_file:{self.path}",
            f"loaders:{len(self.loaders)}",
            f"loaders_reloads:{self.reloads}",
            f"loaders_reload_errors:{self.reload_errors}",
        ]
        for L in self.loaders:
            lines.append(f"loader_{L.spec.name}:" + ",".join(f"{k}={v}" for k, v in L.stats()))
        lines.extend(f"{k}:{v}" for k, v in self.pool_stats())
        lines.extend(f"{k}:{v}" for k, v in self.listen_stats())
        return lines

    def pool_stats(self) -> list[tuple[str, str]]:
        p = self.pool
        return [
            ("pool_dsn", self.spec.database.display_dsn()),
            ("pool_current_host", p.host_text()),
            ("pool_size", str(p.size)),
            ("pool_idle", str(len(p.idle))),
            ("pool_in_use", str(p.in_use)),
            ("pool_waiting", str(p.waiting)),
            ("pool_queued_loads", str(sum(len(L.queue) for L in self.loaders))),
            ("pool_min", str(p.spec.min_connections)),
            ("pool_max", str(p.spec.max_connections)),
            ("pool_peak", str(p.peak)),
            ("pool_borrows", str(p.borrows)),
            ("pool_borrow_timeouts", str(p.borrow_timeouts)),
            ("pool_failovers", str(p.failovers)),
            ("pool_connects", str(p.connects)),
            ("pool_connect_errors", str(p.connect_errors)),
            ("pool_health_checks", str(p.health_checks)),
            ("pool_health_failures", str(p.health_failures)),
            ("pool_recycled", str(p.recycled)),
            ("pool_last_error", p.last_error),
        ]

    def listen_stats(self) -> list[tuple[str, str]]:
        li = self.listener
        if li is None:
            return [("listen_channels", "")]
        return [
            ("listen_channels", ",".join(li.channels)),
            ("listen_connected", "1" if li.connected else "0"),
            ("listen_reconnects", str(li.reconnects)),
            ("listen_notifications", str(li.notifications)),
            ("listen_last_error", li.last_error),
        ]


def load_spec(path: str) -> LoadersSpec:
    """parse_file plus the checks that need the file system (certificates)."""
    spec = parse_file(path)
    try:
        ssl_argument(spec.database)
    except (OSError, ValueError) as e:
        raise LoaderConfigError(
            [f"{path}: [database]: cannot load the TLS files: {reason(e)}"]
        ) from None
    return spec


def _encode(
    fmt: str, row: tuple[list[str], list[Any]] | None
) -> bytes | list[tuple[bytes, bytes]] | None:
    if row is None:
        return None
    names, values = row
    if fmt == "json":
        return encode_json(names, values)
    if fmt == "hash":
        pairs = encode_hash(names, values)
        return pairs or None
    return encode_value(values)


def _put(db: Database, key: bytes, value: Any, when: int) -> None:
    """Store a loaded (or stale) value until ``when``: a write like any other
    for WATCH, CLIENT TRACKING and keyspace notifications (``set``, or
    ``hset`` for a hash, then ``expire``)."""
    if not db.ks.hooked:
        db.set(key, value)
        db.set_expire(key, when)
        return
    db.upsert(key, value)
    db.set_expire(key, when)
    if isinstance(value, (bytes, bytearray)):
        db.changed(key, NOTIFY_STRING, b"set")
    else:
        db.changed(key, NOTIFY_HASH, b"hset")
    db.notify(key, NOTIFY_GENERIC, b"expire")


def _absent_changed(db: Database, key: bytes) -> None:
    """A key that is not there changed meaning (its negative entry went): the
    modified hooks (WATCH, CLIENT TRACKING) hear of it, with no keyspace
    event, as there was no key to delete."""
    ks = db.ks
    if ks.hooked:
        for hook in ks.modified_hooks:
            hook(db, key)


def _make_hash(pairs: list[tuple[bytes, bytes]], names: FieldNames) -> Any:
    from cacheserver.commands.hashes import Hash

    h = Hash(names)
    items: list[bytes] = []
    for field, value in pairs:
        h.store(field, value)
        items.append(field)
        items.append(value)
    h.note_big(*items)
    return h


def _resolve_fetch(fut: asyncio.Future[bytes | None], f: Flight) -> None:
    if fut.done():
        return
    if f.error is not None:
        fut.set_exception(f.error)
    else:
        fut.set_result(f.value if isinstance(f.value, bytes) else None)


def _chain(fut: asyncio.Future[bytes], inner: asyncio.Future[bytes]) -> None:
    if fut.done():
        return
    if inner.cancelled():
        fut.cancel()
    elif inner.exception() is not None:
        fut.set_exception(inner.exception())  # type: ignore[arg-type]
    else:
        fut.set_result(inner.result())
