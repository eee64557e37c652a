"""Freeing big values in bounded steps (redis ``lazyfree.c``).

Dropping the last reference to a collection of a million elements frees a
million objects at once: a stall of a tenth of a second or more.  A value
dropped lazily (UNLINK, FLUSHALL ASYNC, eviction, expiry or overwrite with
the matching ``lazyfree-lazy-*`` setting) that has more than
``LAZYFREE_THRESHOLD`` elements, or any dropped value with more than
``HUGE`` elements, goes to this queue instead; the queue empties it a slice
at a time (``drain``, at most ``SLICE`` seconds of work each), from a
callback the event loop runs between its reads, so other clients are served
between slices.  Python frees an object when its last reference goes, so
freeing a slice means removing that many elements from the container.

The bytes a queued value was accounted for leave ``Keyspace.used`` when it
is queued (the keyspace no longer holds it) and are reported as pending
until the queue is empty (INFO ``lazyfree_pending_objects``, and in
``used_memory``).  A flushed database that shares the keyspace with others
is queued whole, and its keys leave ``Keyspace.used`` as they are freed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from itertools import repeat, starmap
from typing import TYPE_CHECKING, Any

from cacheserver.store.memory import STR_OVERHEAD, key_cost, value_cost

if TYPE_CHECKING:
    from cacheserver.store.keyspace import Keyspace

__all__ = ["HUGE", "LAZYFREE_THRESHOLD", "FreeQueue"]

# redis LAZYFREE_THRESHOLD: a lazy drop of more elements than this is deferred
LAZYFREE_THRESHOLD = 64
# any drop of a value with more elements than this is deferred, lazy or not:
# freeing it at once would stall every client for milliseconds
HUGE = 8192
# elements freed between clock readings, and the work one slice may take
CHUNK = 1024
SLICE = 0.001

_consume: Callable[[Any], None] = deque(maxlen=0).extend  # runs an iterator to its end, in C


def _free_some(obj: Any, n: int) -> int:
    """Free about ``n`` objects from a container being freed; how many elements
    it lost."""
    k = min(n, len(obj))
    if isinstance(obj, dict):
        _consume(starmap(obj.popitem, repeat((), k)))
    elif isinstance(obj, list):
        last = obj[-1] if obj else None
        if isinstance(last, list):  # a sorted list's sublists: a few at a time
            k = min(len(obj), max(1, n // max(1, len(last))))
        del obj[len(obj) - k :]
    else:  # set, deque
        _consume(starmap(obj.pop, repeat((), k)))
    return k


class _Job:
    """One queued value, or a flushed database's tables: containers emptied
    last first, and the bytes still pending."""

    __slots__ = ("cost", "counted", "data", "parts")

    def __init__(self, parts: list[Any], cost: int, data: Any, counted: bool) -> None:
        self.parts = parts
        self.cost = cost
        self.data = data  # a flushed database's key dict (its values may be big)
        self.counted = counted  # its keys are still in Keyspace.used


class FreeQueue:
    """Values waiting to be freed, and the counters INFO shows."""

    __slots__ = ("counted", "jobs", "ks", "lazyfreed_objects", "pending_bytes", "schedule", "steps")

    def __init__(self, ks: Keyspace) -> None:
        self.ks = ks
        self.jobs: deque[_Job] = deque()
        self.pending_bytes = 0  # bytes of queued values, out of Keyspace.used
        self.counted = 0  # queued databases whose keys are still in Keyspace.used
        self.lazyfreed_objects = 0  # values (and databases) freed through the queue
        self.steps = 0  # slices run since start
        # set by the server: asks the event loop to call ``drain`` soon
        self.schedule: Callable[[], None] | None = None

    def __len__(self) -> int:
        return len(self.jobs)

    def release(self, value: Any, lazy: bool) -> bool:
        """``value`` has just left the keyspace (and ``Keyspace.used``): queue
        it if it is big enough to stall the loop; True if queued."""
        cls = value.__class__
        if cls is bytes or cls is bytearray:
            return False
        if len(value) <= (LAZYFREE_THRESHOLD if lazy else HUGE):
            return False
        parts: list[Any] = [value]
        sl = getattr(value, "sl", None)
        if sl is not None:  # a sorted set: its sorted list's sublists go first
            parts.append(sl._lists)
        if getattr(value, "ttl", None) is not None:
            value.ttl = None  # field TTLs: the active cycle has nothing to do here now
        self._push(_Job(parts, value.mem, None, False))
        return True

    def release_tables(
        self, tables: list[Any], data: dict[Any, Any], cost: int, counted: bool
    ) -> None:
        """Queue a flushed database's tables (freed last first) and its key
        dict ``data``.  When ``counted`` its keys are still in
        ``Keyspace.used`` and leave it as they are freed; else ``cost``
        bytes already left it."""
        self.counted += counted
        self._push(_Job([*tables, data], 0 if counted else cost, data, counted))

    def _push(self, job: _Job) -> None:
        self.jobs.append(job)
        self.pending_bytes += job.cost
        if len(self.jobs) == 1 and self.schedule is not None:
            self.schedule()

    def drain(self, budget: float = SLICE) -> bool:
        """Free for about ``budget`` seconds; True while work is left."""
        jobs = self.jobs
        if not jobs:
            return False
        self.steps += 1
        clock = time.perf_counter
        deadline = clock() + budget
        while jobs:
            job = jobs[0]
            parts = job.parts
            while parts:
                obj = parts[-1]
                if obj is job.data:
                    self._free_keys(job)
                else:
                    _free_some(obj, CHUNK)
                if not obj:
                    parts.pop()
                if clock() > deadline:
                    return True
            jobs.popleft()
            self.pending_bytes -= job.cost
            self.counted -= job.counted
            self.lazyfreed_objects += 1
        return False

    def _free_keys(self, job: _Job) -> None:
        """Free a chunk of a flushed database's keys (taking them out of
        ``Keyspace.used`` when ``counted``); a big value among them gets a job
        of its own."""
        data, counted = job.data, job.counted
        pop = data.popitem
        freed = 0
        for _ in range(min(CHUNK, len(data))):
            key, value = pop()
            cls = value.__class__
            if cls is bytes:
                if counted:
                    freed += len(key) + len(value) + 2 * STR_OVERHEAD
                continue
            if counted:
                freed += key_cost(key) + value_cost(value)
                if cls is not bytearray and len(value) > LAZYFREE_THRESHOLD:
                    self.release(value, True)
            elif cls is not bytearray and len(value) > LAZYFREE_THRESHOLD:
                # its bytes move from this job's pending share to its own job
                job.cost -= value.mem
                self.pending_bytes -= value.mem
                self.release(value, True)
        self.ks.used -= freed

    def drain_all(self) -> None:
        """Free everything queued now (tests, shutdown)."""
        while self.drain(3600.0):
            pass
