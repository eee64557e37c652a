"""Eviction under maxmemory (redis ``evict.c``).

``Evictor.perform`` runs before a command while ``Keyspace.used`` is over
its budget (maxmemory less the tables and buffers measured apart), as redis
``performEvictions``: it deletes keys chosen by ``maxmemory-policy`` until
the total is back under, or a time limit set by
``maxmemory-eviction-tenacity`` runs out (the rest continues from the event
loop, a slice per iteration).

The LRU, LFU and TTL policies keep Redis's eviction pool: ``maxmemory-samples``
keys drawn from every database per key to evict go into a pool sorted by
score, where lower is a better candidate (the access mark, oldest first; the
decayed LFU counter; the deadline), and the best of the pool go; the next
16 stay in the pool for the next round.  The random policies evict random
keys, the databases in turn.

The allkeys policies draw evenly spaced slots, from a random start, of
``Database.keys``, a list of every key kept while eviction is configured (new
keys are appended, an evicted key's slot is blanked at once, other deleted
keys stay behind until the list is rebuilt, when an eighth of it is dead);
the volatile policies draw random entries of the expiry heap, checked
against ``expires``.

Python pays per bytecode, so the loop works in batches: one round draws for
and evicts up to ``BATCH`` keys with C-level maps over lists, and a call
evicts a few dozen keys' worth past the budget (at most 1/512 of maxmemory),
so that writes arriving at the limit run it once per few dozen writes.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from itertools import compress, repeat
from operator import eq, is_, itemgetter, mod
from typing import TYPE_CHECKING, Any

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
# most keys one round of the loop evicts
BATCH = 32
# the score of a drawn slot whose key is gone (blank, or deleted since): it
# sorts before every live key's whatever the policy, and is counted off the
# front (a small int: list.sort compares one-digit ints at C speed)
DEAD = -1

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

_consume: Callable[[Any], None] = deque(maxlen=0).extend  # runs an iterator out, in C
_DEAD = repeat(DEAD)
_when = itemgetter(0)  # a heap entry's deadline; a candidate's score
_key = itemgetter(1)
_cand_db = itemgetter(1)  # a candidate's database, key and slot
_cand_key = itemgetter(2)
_cand_slot = itemgetter(3)

# (score, db index, key, slot in Database.keys or -1): lower scores go first
Candidate = tuple[int, int, bytes, int]


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
        "latency",
        "lazy",
        "limit_us",
        "maxmemory",
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
        self.maxmemory = 0
        self.pool: list[Candidate] = []  # ascending: the best candidates first
        self.next_db = 0
        # when used memory went over the limit (monotonic s), and the time over it so far
        self.exceeded_since = 0.0
        self.total_exceeded_ms = 0.0
        # set by the server: continue evicting from the event loop soon
        self.schedule: Callable[[], None] | None = None
        # set by the server while the latency monitor is on: (event, ns) of
        # each eviction loop and each batch deleted (eviction-cycle, eviction-del)
        self.latency: Callable[[str, int], None] | None = None

    def set_policy(self, policy: str) -> None:
        """Switch policy (the pool's scores mean something else now: empty it)."""
        self.allkeys = policy.startswith("allkeys")
        self.kind = "none" if policy == "noeviction" else policy.split("-", 1)[1]
        self.pool.clear()

    def current_exceeded_ms(self) -> float:
        if not self.exceeded_since:
            return 0.0
        return (time.monotonic() - self.exceeded_since) * 1000

    def back_under(self) -> None:
        """Used memory is within the limit again (the cron checks: under
        noeviction nothing else would notice)."""
        if self.exceeded_since:
            self.total_exceeded_ms += (time.monotonic() - self.exceeded_since) * 1000
            self.exceeded_since = 0.0

    # -- the loop --------------------------------------------------------------

    def perform(self, limit_us: float | None = None) -> int:
        """As _perform(), timed for the latency monitor when it is on.  Nothing
        is evicted while CLIENT PAUSE keeps the dataset still, and nothing is
        refused for memory then (redis 7.0 ``isSafeToPerformEvictions``)."""
        if self.ks.paused:
            return EVICT_OK
        lat = self.latency
        if lat is None or self.ks.used <= self.ks.budget:
            return self._perform(limit_us)
        t0 = time.perf_counter_ns()
        try:
            return self._perform(limit_us)
        finally:
            lat("eviction-cycle", time.perf_counter_ns() - t0)

    def _perform(self, limit_us: float | None = None) -> int:
        """Evict until ``Keyspace.used`` is within budget: EVICT_OK, EVICT_RUNNING
        (the time limit, maxmemory-eviction-tenacity's unless ``limit_us``,
        ran out; the rest continues in the background) or EVICT_FAIL (over
        the limit with nothing left to evict)."""
        ks = self.ks
        if ks.used <= ks.budget:
            self.back_under()
            return EVICT_OK
        if not self.exceeded_since:
            self.exceeded_since = time.monotonic()
        if self.kind == "none":
            return EVICT_FAIL
        clock = time.perf_counter
        deadline = clock() + (self.limit_us if limit_us is None else limit_us) / 1e6
        allkeys = self.allkeys
        dbs = [db for db in ks.dbs if (db.data if allkeys else db.expires)]
        keys = sum(len(db.data) for db in dbs)
        per_key = ks.used // keys if keys else 1
        target = ks.budget - min(per_key * BATCH, self.maxmemory >> 9)
        choose = self._choose_random if self.kind == "random" else self._choose_best
        while ks.used > target:
            need = min((ks.used - target) // per_key + 1, BATCH)
            victims = choose(dbs, need)
            if not victims:
                if ks.used <= ks.budget:
                    break  # past the budget, not all the way to the target
                return EVICT_FAIL
            self._evict(victims)
            dbs = [db for db in dbs if (db.data if allkeys else db.expires)]
            if ks.used > ks.budget:
                if not dbs:
                    return EVICT_FAIL  # nothing left to evict
                if clock() > deadline:
                    if self.schedule is not None:
                        self.schedule()
                    return EVICT_RUNNING
        self.back_under()
        return EVICT_OK

    def _evict(self, victims: list[tuple[Database, list[bytes], list[int]]]) -> None:
        """Delete the chosen keys (distinct, present) of each database, and
        blank their slots in ``Database.keys``."""
        stats = self.ks.stats
        lat = self.latency
        for db, keys, slots in victims:
            if lat is None:
                stats.evicted_unfetched += db.evict(keys, self.lazy)
            else:
                t0 = time.perf_counter_ns()
                stats.evicted_unfetched += db.evict(keys, self.lazy)
                lat("eviction-del", time.perf_counter_ns() - t0)
            stats.evicted_keys += len(keys)
            arr = db.keys
            if arr is not None and slots and slots[0] >= 0:
                # Blank an evicted key's slot now (None is never a key): a key
                # evicted and soon written again (a cache refilled on a miss)
                # would otherwise be drawn twice as often.  A slot that moved
                # meanwhile (the list was rebuilt) is left alone.
                if max(slots) < len(arr):
                    mine = list(compress(slots, map(is_, map(arr.__getitem__, slots), keys)))
                else:
                    n = len(arr)
                    mine = [s for s, k in zip(slots, keys, strict=True) if s < n and arr[s] is k]
                blank: Any = repeat(None)
                _consume(map(arr.__setitem__, mine, blank))
                db.keys_dead += len(mine)

    # -- choosing keys -----------------------------------------------------------

    def _choose_best(
        self, dbs: list[Database], n: int
    ) -> list[tuple[Database, list[bytes], list[int]]]:
        """Up to ``n`` of the best candidates that still exist: ``maxmemory-samples``
        draws per key wanted from every database, with what the pool kept from
        the last round, taken from the best score up, each key once; the next
        16 stay in the pool (redis ``evictionPoolPopulate`` and its ``while
        (bestkey == NULL)`` loop, ``n`` keys at a time)."""
        all_dbs = self.ks.dbs
        allkeys = self.allkeys
        if allkeys and len(dbs) == 1:
            return self._choose_best_one(dbs[0], n)
        chosen: dict[int, tuple[list[bytes], list[int]]] = {}
        taken: set[tuple[int, bytes]] = set()
        found = 0
        for _ in range(4):
            # candidates as four parallel lists: no tuple per draw
            if self.pool:
                scores, dbids, keys, slots = (list(x) for x in zip(*self.pool, strict=True))
            else:
                scores, dbids, keys, slots = [], [], [], []
            for db in dbs:
                self._populate(db, self.samples * (n - found), scores, dbids, keys, slots)
            # by score alone (ties keep their order), at C speed
            order = sorted(range(len(scores)), key=scores.__getitem__)
            rest = 0
            for rest, i in enumerate(order, 1):  # noqa: B007 (used after the loop)
                dbid, key = dbids[i], keys[i]
                if (dbid, key) in taken:
                    continue
                taken.add((dbid, key))
                db = all_dbs[dbid]
                if key in (db.data if allkeys else db.expires):
                    ks_, ss_ = chosen.setdefault(dbid, ([], []))
                    ks_.append(key)
                    ss_.append(slots[i])
                    found += 1
                    if found >= n:
                        break
            # the next best stay for the next round, as redis's pool
            self.pool = [
                (scores[i], dbids[i], keys[i], slots[i])
                for i in order[rest : rest + EVPOOL_SIZE]
                if scores[i] != DEAD
            ]
            if found >= n or not any(db.data if allkeys else db.expires for db in dbs):
                break
        return [(all_dbs[dbid], ks_, ss_) for dbid, (ks_, ss_) in chosen.items()]

    def _choose_best_one(
        self, db: Database, n: int
    ) -> list[tuple[Database, list[bytes], list[int]]]:
        """``_choose_best`` for one database under an allkeys policy (the
        common case), with no Python loop over the draws: the pool's keys and
        the draws are scored together by one read of the access dict (a pool
        key accessed since it was kept scores what it is now; one gone scores
        DEAD), and after the DEAD ones the ``n`` lowest scores are the
        victims."""
        dbid = db.id
        drawn, where = self._draw(db, self.samples * n)
        pool = self.pool
        if pool and not all(map(eq, map(_cand_db, pool), repeat(dbid))):
            pool = [c for c in pool if c[1] == dbid]  # left by the many-database loop
        keys = list(map(_cand_key, pool))
        keys += drawn
        slots = list(map(_cand_slot, pool))
        slots += where
        marks = list(map(db.access.get, keys, _DEAD))
        scores = marks if self.kind == "lru" else self._lfu_scores(marks)
        order = sorted(range(len(scores)), key=scores.__getitem__)
        dead = scores.count(DEAD)
        best = order[dead : dead + n]
        rest = order[dead + n : dead + n + EVPOOL_SIZE]
        self.pool = list(
            zip(
                map(scores.__getitem__, rest),
                repeat(dbid, len(rest)),
                map(keys.__getitem__, rest),
                map(slots.__getitem__, rest),
                strict=True,
            )
        )
        # a key held by the pool and drawn again goes once
        picked = dict(zip(map(keys.__getitem__, best), map(slots.__getitem__, best), strict=True))
        if not picked:
            return []
        return [(db, list(picked), list(picked.values()))]

    def _populate(
        self,
        db: Database,
        k: int,
        scores: list[int],
        dbids: list[int],
        keys: list[bytes],
        slots: list[int],
    ) -> None:
        """Add about ``k`` draws of ``db`` to the candidates, scored:
        lower goes first (the access mark, oldest first; the decayed LFU
        counter; the deadline)."""
        kind = self.kind
        if self.allkeys:
            drawn, where = self._draw(db, k)
            marks = list(map(db.access.get, drawn, _DEAD))
            # LRU: the mark itself, oldest first
            scores.extend(marks if kind == "lru" else self._lfu_scores(marks))
            dbids.extend(repeat(db.id, len(drawn)))
            keys.extend(drawn)
            slots.extend(where)
            return
        heap, expires = db.heap, db.expires
        n = len(heap)
        if not n:
            return
        # random entries, not a run: a heap's neighbours have near deadlines
        entries = list(map(heap.__getitem__, map(mod, _randoms(k), repeat(n))))
        whens = list(map(_when, entries))
        drawn = list(map(_key, entries))
        live = list(map(eq, map(expires.get, drawn), whens))
        if not any(live):
            # the run was all stale entries (the heap holds at most twice as
            # many as live ones, plus 1024): few keys, so a walk is cheap
            key, when = random.choice(list(expires.items()))
            drawn, whens, live = [key], [when], [True]
        if not all(live):
            drawn = list(compress(drawn, live))
            whens = list(compress(whens, live))
        if kind == "ttl":  # the sooner the better
            scores.extend(whens)
        else:
            marks = list(map(db.access.get, drawn, repeat(0)))
            scores.extend(marks if kind == "lru" else self._lfu_scores(marks))
        dbids.extend(repeat(db.id, len(drawn)))
        keys.extend(drawn)
        slots.extend(repeat(-1, len(drawn)))

    def _lfu_scores(self, marks: list[int]) -> list[int]:
        """The decayed counters of ``marks`` (a DEAD draw stays DEAD)."""
        lfu = self.ks.lfu
        if lfu is None:
            return [0 if mark != DEAD else DEAD for mark in marks]
        return [counter_of(lfu, mark) if mark != DEAD else DEAD for mark in marks]

    def _draw(self, db: Database, k: int) -> tuple[list[bytes], range]:
        """The keys of about ``k`` slots of ``Database.keys`` (from ``k`` to
        ``2k``), and those slots: every ``len // k``-th slot from a random
        start, so that one slice of the list takes them all at C speed, with
        no int made per draw.  Over rounds every slot is drawn as often, and
        each round's draws are spread evenly over the list (which is in
        insertion order: over keys of every age), where Redis draws
        neighbouring buckets of its hash table.  A slot may be blank, or hold
        a key deleted since: its access-dict read says DEAD.  The list is
        rebuilt first when an eighth of it is dead (a copy at C speed: about
        15 ms for a million keys, once per 125,000 evictions)."""
        data = db.data
        arr = db.keys
        if arr is None or not arr or len(arr) > len(data) + (len(data) >> 3) + 1024:
            arr = db.keys = list(data)
            db.keys_dead = 0
        n = len(arr)
        stride = n // k or 1
        start = int(random.random() * stride)
        return arr[start::stride], range(start, n, stride)

    def _choose_random(
        self, dbs: list[Database], n: int
    ) -> list[tuple[Database, list[bytes], list[int]]]:
        """``n`` random keys of the next database that has some (redis: the
        random policies visit the databases in turn)."""
        if not dbs:
            return []
        self.next_db = (self.next_db + 1) % len(dbs)
        db = dbs[self.next_db]
        if self.allkeys:
            data = db.data
            arr = db.keys
            if arr is None or not arr or len(arr) > len(data) + (len(data) >> 3) + 1024:
                arr = db.keys = list(data)
                db.keys_dead = 0
            slots = list(map(mod, _randoms(n), repeat(len(arr))))
            picked = dict(zip(map(arr.__getitem__, slots), slots, strict=True))  # each key once
            live = [(k, s) for k, s in picked.items() if k is not None and k in data]
            if not live:
                db.keys = list(data)
                return self._choose_random(dbs, n) if data else []
            return [(db, [k for k, _ in live], [s for _, s in live])]
        heap, expires = db.heap, db.expires
        keys: dict[bytes, None] = {}
        for _ in range(n):
            when, key = heap[int(random.random() * len(heap))] if heap else (None, b"")
            if when is None or expires.get(key) != when:
                key = random.choice(list(expires))
            keys[key] = None
        return [(db, list(keys), [-1] * len(keys))]


def _randoms(k: int) -> memoryview:
    """``k`` random 32-bit numbers, made in one call."""
    return memoryview(random.getrandbits(32 * k).to_bytes(4 * k, "little")).cast("I")
