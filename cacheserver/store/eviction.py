"""Eviction under maxmemory (redis ``evict.c``).

``Evictor.perform`` runs before a command while ``Keyspace.used`` is over
its budget (maxmemory less the tables and buffers measured apart), as redis
``performEvictions``: it deletes keys chosen by ``maxmemory-policy`` until
the total is back under, or a time limit set by
``maxmemory-eviction-tenacity`` runs out (the rest continues from the event
loop, a slice per iteration).

The LRU, LFU and TTL policies keep Redis's eviction pool: ``maxmemory-samples``
keys drawn at random from every database go into a pool of the 16 best
candidates seen so far, sorted by score (idle milliseconds; 255 less the
decayed LFU counter; how soon the key expires), and the best one in the pool
is evicted.  The random policies evict one random key per database in turn.

Draws are uniform: the allkeys policies draw from ``Database.keys``, a list
of every key kept while eviction is configured (new keys are appended;
deleted ones stay behind until a draw lands on them, and the list is rebuilt
when they outnumber the live ones); the volatile policies draw from the
expiry heap, whose entries are validated against ``expires``.
"""

from __future__ import annotations

import random
import time
from bisect import insort
from collections.abc import Callable
from typing import TYPE_CHECKING

from cacheserver.store.keyspace import NOTIFY_EVICTED
from cacheserver.store.lfu import counter_of

if TYPE_CHECKING:
    from cacheserver.store.keyspace import Database, Keyspace

__all__ = [
    "EVICT_FAIL",
    "EVICT_OK",
    "EVICT_RUNNING",
    "POLICIES",
    "Evictor",
    "time_limit_us",
]

EVICT_OK = 0
EVICT_RUNNING = 1
EVICT_FAIL = 2

EVPOOL_SIZE = 16

# maxmemory-policy names in Redis's order (its enum table, and the error text)
POLICIES = (
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
)

_LLONG_MAX = 2**63 - 1


def time_limit_us(tenacity: int) -> float:
    """maxmemory-eviction-tenacity as a time limit per call (redis ``evictionTimeLimitUs``)."""
    if tenacity <= 10:
        return 50.0 * tenacity  # 0..500 us
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)  # about 2 minutes at 99
    return float("inf")


class Evictor:
    """The policy, its pool, and the eviction loop."""

    __slots__ = (
        "allkeys",
        "exceeded_since",
        "kind",
        "ks",
        "lazy",
        "limit_us",
        "next_db",
        "pool",
        "samples",
        "schedule",
        "total_exceeded_ms",
    )

    def __init__(self, ks: Keyspace) -> None:
        self.ks = ks
        self.kind = "none"  # lru | lfu | ttl | random | none (noeviction)
        self.allkeys = False
        self.samples = 5
        self.limit_us = time_limit_us(10)
        self.lazy = False  # lazyfree-lazy-eviction
        # (score, db index, key, slot in Database.keys or -1), ascending: the
        # best candidate last
        self.pool: list[tuple[int, int, bytes, int]] = []
        self.next_db = 0
        # when used memory went over the limit (monotonic s), and the time over it so far
        self.exceeded_since = 0.0
        self.total_exceeded_ms = 0.0
        # set by the server: continue evicting from the event loop soon
        self.schedule: Callable[[], None] | None = None

    def set_policy(self, policy: str) -> None:
        """Switch policy (the pool's scores mean something else now: empty it)."""
        self.allkeys = policy.startswith("allkeys")
        self.kind = "none" if policy == "noeviction" else policy.split("-", 1)[1]
        self.pool.clear()

    def current_exceeded_ms(self) -> float:
        if not self.exceeded_since:
            return 0.0
        return (time.monotonic() - self.exceeded_since) * 1000

    # -- the loop --------------------------------------------------------------

    def perform(self, limit_us: float | None = None) -> int:
        """Evict until ``Keyspace.used`` is within budget: EVICT_OK, EVICT_RUNNING
        (the time limit, maxmemory-eviction-tenacity's unless ``limit_us``,
        ran out; the rest continues in the background) or EVICT_FAIL (over
        the limit with nothing left to evict)."""
        ks = self.ks
        if ks.used <= ks.budget:
            self._back_under()
            return EVICT_OK
        if not self.exceeded_since:
            self.exceeded_since = time.monotonic()
        if self.kind == "none":
            return EVICT_FAIL
        clock = time.perf_counter
        deadline = clock() + (self.limit_us if limit_us is None else limit_us) / 1e6
        pick = self._pick_random if self.kind == "random" else self._pick_best
        stats = ks.stats
        lazy = self.lazy
        freed = 0
        while ks.used > ks.budget:
            found = pick()
            if found is None:
                return EVICT_FAIL
            db, key, slot = found
            if not db.access.get(key, 1) & 1:
                stats.evicted_unfetched += 1
            db.drop(key, lazy)
            stats.evicted_keys += 1
            if ks.hooked:
                db.changed(key, NOTIFY_EVICTED, b"evicted")
            if slot >= 0:
                # drop its slot now: a key evicted and soon written again
                # (a cache refilled on a miss) would otherwise be drawn twice
                # as often until a draw landed on the stale slot
                arr = db.keys
                if arr is not None and slot < len(arr) and arr[slot] is key:
                    last = arr.pop()
                    if slot < len(arr):
                        arr[slot] = last
            freed += 1
            if not freed & 15 and clock() > deadline:
                if self.schedule is not None:
                    self.schedule()
                return EVICT_RUNNING
        self._back_under()
        return EVICT_OK

    def back_under(self) -> None:
        """Used memory is within the limit again (the cron checks too: under
        noeviction nothing else notices)."""
        self._back_under()

    def _back_under(self) -> None:
        if self.exceeded_since:
            self.total_exceeded_ms += (time.monotonic() - self.exceeded_since) * 1000
            self.exceeded_since = 0.0

    # -- choosing keys -----------------------------------------------------------

    def _pick_best(self) -> tuple[Database, bytes, int] | None:
        """The best candidate of the pool that still exists, refilling the pool
        from every database first (redis: the ``while (bestkey == NULL)`` loop)."""
        dbs = self.ks.dbs
        pool = self.pool
        allkeys = self.allkeys
        while True:
            total = 0
            for db in dbs:
                if allkeys:
                    n = len(db.data)
                    if n:
                        self._populate(db, n)
                elif db.expires:
                    n = len(db.expires)
                    self._populate(db, n)
                else:
                    n = 0
                total += n
            if not total:
                return None
            while pool:
                _, dbid, key, slot = pool.pop()
                db = dbs[dbid]
                if key in (db.data if allkeys else db.expires):
                    return db, key, slot
            # every entry was a ghost: draw again

    def _populate(self, db: Database, n: int) -> None:
        """Draw ``maxmemory-samples`` keys of ``db`` into the pool (redis
        ``evictionPoolPopulate``)."""
        pool = self.pool
        kind = self.kind
        dbid = db.id
        for key, when, slot in self._draw(db, self.samples):
            if kind == "lru":
                mark = db.access.get(key)
                score = 0 if mark is None else self.ks.idle_ms(mark)
            elif kind == "lfu":
                mark = db.access.get(key)
                lfu = self.ks.lfu
                score = 255 if mark is None or lfu is None else 255 - counter_of(lfu, mark)
            else:  # ttl: the sooner the better
                score = _LLONG_MAX - when
            if len(pool) >= EVPOOL_SIZE:
                if score <= pool[0][0]:
                    continue  # no better than the worst candidate held
                del pool[0]
            insort(pool, (score, dbid, key, slot))

    def _draw(self, db: Database, k: int) -> list[tuple[bytes, int, int]]:
        """Up to ``k`` random live keys of ``db`` as (key, deadline for the
        volatile policies, slot in ``Database.keys`` for the allkeys ones),
        as redis ``dictGetSomeKeys``; at least one when the database has any."""
        out: list[tuple[bytes, int, int]] = []
        rnd = random.random
        if self.allkeys:
            data = db.data
            arr = db.keys
            if arr is None or len(arr) > 2 * len(data) + 1024:
                arr = db.keys = list(data)  # deleted keys outnumber the live: rebuild
            while len(out) < k and data:
                if not arr:
                    arr = db.keys = list(data)
                i = int(rnd() * len(arr))
                key = arr[i]
                if key in data:
                    out.append((key, 0, i))
                else:  # a deleted key: drop its slot (each is dropped once)
                    last = arr.pop()
                    if i < len(arr):
                        arr[i] = last
            return out
        heap, expires = db.heap, db.expires
        tries = 0
        while len(out) < k and heap and tries < 4 * k:
            tries += 1
            when, key = heap[int(rnd() * len(heap))]
            if expires.get(key) == when:
                out.append((key, when, -1))
        if not out and expires:
            # the heap is mostly stale entries (it holds at most twice as
            # many as live ones, plus 1024): few keys, so a walk is cheap
            key, when = random.choice(list(expires.items()))
            out.append((key, when, -1))
        return out

    def _pick_random(self) -> tuple[Database, bytes, int] | None:
        """One random key of the next database that has one (redis: the
        random policies visit the databases in turn)."""
        dbs = self.ks.dbs
        n = len(dbs)
        for _ in range(n):
            self.next_db = (self.next_db + 1) % n
            db = dbs[self.next_db]
            if not (db.data if self.allkeys else db.expires):
                continue
            drawn = self._draw(db, 1)
            if drawn:
                return db, drawn[0][0], drawn[0][2]
        return None
