"""The keyspace: databases of ``dict[bytes, value]`` plus an ``expires`` dict.

As redis ``db->dict`` and ``db->expires``: no wrapper object per key.  A string
is ``bytes``; collection types come from their own modules.  Times are unix
milliseconds; the caller passes one ``now`` per batch of commands.

Expiry is lazy (every lookup checks the key's deadline) and active: each
database keeps a heap of ``(deadline, key)`` that the expiry cycle pops, so
keys that are never touched again still leave memory.  A heap entry is live
only while ``expires[key]`` still equals its deadline; stale entries are
dropped when popped, and the heap is rebuilt when they pile up.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from itertools import islice
from typing import Any

from cacheserver.errors import WrongType

__all__ = ["Database", "Keyspace", "ScanCursors", "type_name"]

# Keyspace event classes, as redis server.h NOTIFY_* (the letters of
# notify-keyspace-events): every write names the class of its event.
NOTIFY_KEYSPACE = 1 << 0  # K
NOTIFY_KEYEVENT = 1 << 1  # E
NOTIFY_GENERIC = 1 << 2  # g
NOTIFY_STRING = 1 << 3  # $
NOTIFY_LIST = 1 << 4  # l
NOTIFY_SET = 1 << 5  # s
NOTIFY_HASH = 1 << 6  # h
NOTIFY_ZSET = 1 << 7  # z
NOTIFY_EXPIRED = 1 << 8  # x
NOTIFY_EVICTED = 1 << 9  # e
NOTIFY_STREAM = 1 << 10  # t
NOTIFY_KEY_MISS = 1 << 11  # m
NOTIFY_LOADED = 1 << 12  # (modules only)
NOTIFY_MODULE = 1 << 13  # d
NOTIFY_NEW = 1 << 14  # n

ModifiedHook = Callable[["Database", bytes], None]
# (database about to be emptied, database whose contents replace it: SWAPDB's other one)
FlushHook = Callable[["Database", "Database | None"], None]
EventHook = Callable[["Database", int, bytes, bytes], None]

Value = Any
# A string value: bytes, or a bytearray once APPEND or SETRANGE changed it in
# place (Redis's "raw" encoding); appends then cost the appended bytes only.
Str = bytes | bytearray


def type_name(value: Value) -> bytes:
    """The TYPE reply for a stored value."""
    if value.__class__ is bytes or value.__class__ is bytearray:
        return b"string"
    name: bytes | None = getattr(value, "TYPE", None)
    if name is not None:
        return name
    raise TypeError(f"unknown value type {type(value)!r}")


class Stats:
    """Keyspace counters shown by INFO stats (names as Redis)."""

    __slots__ = (
        "expired_keys",
        "expired_time_cap_reached_count",
        "keyspace_hits",
        "keyspace_misses",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.expired_keys = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.expired_time_cap_reached_count = 0


class Database:
    """One numbered database (SELECT n)."""

    __slots__ = (
        "access",
        "blocked",
        "data",
        "expires",
        "field_expiry",
        "heap",
        "id",
        "ks",
        "scans",
        "stats",
    )

    def __init__(self, ks: Keyspace, index: int) -> None:
        self.id = index
        self.ks = ks
        self.stats = ks.stats  # one hop less on every counted lookup
        self.data: dict[bytes, Value] = {}
        self.expires: dict[bytes, int] = {}
        self.heap: list[tuple[int, bytes]] = []
        # key -> LRU clock (seconds) of the last access; the clock int object
        # is shared by every key touched in the same second.
        self.access: dict[bytes, int] = {}
        self.scans = ScanCursors()
        # key -> queue of blocked-client waiters (cacheserver.blocking)
        self.blocked: dict[bytes, Any] = {}
        # per-field expiry of collections (hash field TTL): an object with
        # expire_due(db, now, deadline) -> int, set by the family that needs it
        self.field_expiry: Any = None

    def __len__(self) -> int:
        return len(self.data)

    # -- lookups --------------------------------------------------------------

    def _expire_if_due(self, key: bytes, now: int) -> bool:
        when = self.expires.get(key)
        if when is not None and when <= now:
            self._expired(key)
            return True
        return False

    def _expired(self, key: bytes) -> None:
        self.stats.expired_keys += 1
        self.delete(key)
        if self.ks.hooked:
            self.changed(key, NOTIFY_EXPIRED, b"expired")

    def get(self, key: bytes, now: int) -> Value | None:
        """Read lookup: lazy expiry, LRU touch, hit/miss counted."""
        value = self.data.get(key)
        if value is None or (
            self.expires and key in self.expires and self._expire_if_due(key, now)
        ):
            self._miss(key)
            return None
        self.stats.keyspace_hits += 1
        self.access[key] = self.ks.lru_clock
        return value

    def get_str(self, key: bytes, now: int) -> Str | None:
        """A string value for reading; WRONGTYPE for other types (``get`` inlined: GET's path)."""
        value = self.data.get(key)
        if value is None or (
            self.expires and key in self.expires and self._expire_if_due(key, now)
        ):
            self._miss(key)
            return None
        self.stats.keyspace_hits += 1
        self.access[key] = self.ks.lru_clock
        if value.__class__ is not bytes and value.__class__ is not bytearray:
            raise WrongType()
        return value

    def _miss(self, key: bytes) -> None:
        """A read lookup found nothing: count it, and the ``keymiss`` event
        (redis ``lookupKey`` without LOOKUP_WRITE)."""
        self.stats.keyspace_misses += 1
        if self.ks.notify_flags & NOTIFY_KEY_MISS:
            self.notify(key, NOTIFY_KEY_MISS, b"keymiss")

    def lookup(self, key: bytes, now: int) -> Value | None:
        """Lookup for writing: lazy expiry and LRU touch, no hit/miss count."""
        value = self.data.get(key)
        if value is None:
            return None
        if self.expires and key in self.expires and self._expire_if_due(key, now):
            return None
        self.access[key] = self.ks.lru_clock
        return value

    def get_typed(self, key: bytes, now: int, cls: type) -> Any:
        """Read lookup of a ``cls`` value (hits/misses counted); WRONGTYPE for another type."""
        value = self.get(key, now)
        if value is not None and value.__class__ is not cls:
            raise WrongType()
        return value

    def lookup_typed(self, key: bytes, now: int, cls: type) -> Any:
        """Write lookup of a ``cls`` value; WRONGTYPE for another type."""
        value = self.lookup(key, now)
        if value is not None and value.__class__ is not cls:
            raise WrongType()
        return value

    def signal_ready(self, key: bytes) -> None:
        """``key`` may now serve blocked clients (a push, a ZADD): queue it for
        the walk, which serves waiters after the current command."""
        if self.blocked and key in self.blocked:
            self.ks.ready.append((self, key))

    def lookup_str(self, key: bytes, now: int) -> Str | None:
        value = self.lookup(key, now)
        if value is not None and value.__class__ is not bytes and value.__class__ is not bytearray:
            raise WrongType()
        return value

    def get_notouch(self, key: bytes, now: int) -> Value | None:
        """Read lookup without the LRU touch: lazy expiry, hit/miss counted
        (redis ``LOOKUP_NOTOUCH``: TYPE, TTL, EXISTS, OBJECT, SCAN TYPE)."""
        value = self.data.get(key)
        if value is None or (
            self.expires and key in self.expires and self._expire_if_due(key, now)
        ):
            self._miss(key)
            return None
        self.stats.keyspace_hits += 1
        return value

    def peek(self, key: bytes, now: int) -> Value | None:
        """Lookup that neither touches LRU nor counts (TYPE, TTL, OBJECT)."""
        value = self.data.get(key)
        if value is None:
            return None
        if self.expires and key in self.expires and self._expire_if_due(key, now):
            return None
        return value

    def exists(self, key: bytes, now: int) -> bool:
        return self.peek(key, now) is not None

    # -- change signals -------------------------------------------------------

    def changed(self, key: bytes, cls: int, event: bytes) -> None:
        """A write changed ``key`` (redis ``signalModifiedKey`` then
        ``notifyKeyspaceEvent(cls, event, key)``): WATCH, CLIENT TRACKING, the
        memcached CAS and keyspace notifications hear of it.

        Every write command calls it once per changed key with Redis's event
        name; hot handlers test ``db.ks.hooked`` first to skip the call when
        nobody listens."""
        ks = self.ks
        if not ks.hooked:
            return
        for hook in ks.modified_hooks:
            hook(self, key)
        if ks.notify_flags & cls and ks.on_event is not None:
            ks.on_event(self, cls, event, key)

    def notify(self, key: bytes, cls: int, event: bytes) -> None:
        """A keyspace event without a modification (``notifyKeyspaceEvent``
        alone: a ``new`` key, a ``keymiss``, a second event of one write)."""
        ks = self.ks
        if ks.notify_flags & cls and ks.on_event is not None:
            ks.on_event(self, cls, event, key)

    def flushed(self, replaced_with: Database | None = None) -> None:
        """Every key of this database is about to change at once (FLUSHDB,
        FLUSHALL, SWAPDB: redis ``signalFlushedDb``).  Called while the keys
        are still here; for SWAPDB ``replaced_with`` is the database whose
        keys take their place (redis ``touchAllWatchedKeysInDb``)."""
        for hook in self.ks.flush_hooks:
            hook(self, replaced_with)

    # -- writes ---------------------------------------------------------------

    def set(self, key: bytes, value: Value, keepttl: bool = False) -> None:
        """Store ``value``; drop any TTL unless ``keepttl`` (redis setKey)."""
        self.data[key] = value
        self.access[key] = self.ks.lru_clock
        if not keepttl and self.expires and key in self.expires:
            del self.expires[key]
        self.ks.dirty += 1

    def replace(self, key: bytes, value: Value) -> None:
        """Swap the value of a key just looked up for writing (its TTL and LRU
        touch stay): INCR's store, one dict write instead of two."""
        self.data[key] = value
        self.ks.dirty += 1

    def touch_write(self, key: bytes) -> None:
        """A value was changed in place (APPEND to a raw string): count the write."""
        self.access[key] = self.ks.lru_clock
        self.ks.dirty += 1

    def add(self, key: bytes, value: Value) -> None:
        """Store a new key known to be absent (no TTL to drop).  A new key may
        serve blocked clients (a list arriving by RENAME, MOVE, COPY), and is
        a ``new`` keyspace event, as redis dbAdd."""
        ks = self.ks
        if ks.notify_flags & NOTIFY_NEW:
            self.notify(key, NOTIFY_NEW, b"new")
        self.data[key] = value
        self.access[key] = ks.lru_clock
        ks.dirty += 1
        if self.blocked and key in self.blocked:
            ks.ready.append((self, key))

    def upsert(self, key: bytes, value: Value, keepttl: bool = False) -> None:
        """``set`` for a key that may be absent (looked up for writing just
        before): a ``new`` keyspace event first when it is, as redis setKey."""
        if self.ks.notify_flags & NOTIFY_NEW and key not in self.data:
            self.notify(key, NOTIFY_NEW, b"new")
        self.set(key, value, keepttl)

    def delete(self, key: bytes) -> bool:
        if self.data.pop(key, None) is None:
            return False
        self.access.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)
        self.ks.dirty += 1
        return True

    def set_expire(self, key: bytes, when: int) -> None:
        """Deadline in unix ms for an existing key."""
        self.expires[key] = when
        heapq.heappush(self.heap, (when, key))
        if len(self.heap) > 2 * len(self.expires) + 1024:
            self.heap = [(w, k) for k, w in self.expires.items()]
            heapq.heapify(self.heap)

    def get_expire(self, key: bytes) -> int | None:
        return self.expires.get(key)

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    def flush(self) -> int:
        n = len(self.data)
        self.data = {}
        self.expires = {}
        self.heap = []
        self.access = {}
        self.scans = ScanCursors()
        self.ks.dirty += n
        return n

    def swap_contents(self, other: Database) -> None:
        for name in ("data", "expires", "heap", "access", "scans"):
            a, b = getattr(self, name), getattr(other, name)
            setattr(self, name, b)
            setattr(other, name, a)
        # clients blocked in either database may now find their keys (redis
        # scanDatabaseForReadyKeys after SWAPDB)
        for db in (self, other):
            for key in db.blocked:
                if key in db.data:
                    db.ks.ready.append((db, key))

    # -- sampling, active expiry ---------------------------------------------

    def random_key(self, now: int) -> bytes | None:
        """A random live key; expired draws are deleted (redis ``dbRandomKey``).

        A draw is an O(n) walk in C over the dict's order.  After 100 expired
        draws one pass deletes every expired key and picks among the rest, so
        a database of mostly expired keys costs O(n) once, not O(n) per key.
        """
        data = self.data
        for _ in range(100):
            n = len(data)
            if not n:
                return None
            key = next(islice(iter(data), random.randrange(n), None))
            if not self._expire_if_due(key, now):
                return key
        expires = self.expires
        dead = [k for k, w in expires.items() if w <= now]
        for key in dead:
            self._expired(key)
        if not data:
            return None
        return next(islice(iter(data), random.randrange(len(data)), None))

    def expire_due(self, now: int, deadline: float) -> int:
        """Delete keys whose deadline passed, until ``deadline`` (perf_counter)."""
        heap, expires = self.heap, self.expires
        pop, delete, clock = heapq.heappop, self.delete, time.perf_counter
        ks = self.ks
        done = 0
        while heap and heap[0][0] <= now:
            when, key = pop(heap)
            if expires.get(key) == when:
                delete(key)
                if ks.hooked:
                    self.changed(key, NOTIFY_EXPIRED, b"expired")
                done += 1
                if not done & 63 and clock() > deadline:
                    ks.stats.expired_time_cap_reached_count += 1
                    break
        ks.stats.expired_keys += done
        return done

    def avg_ttl(self, now: int) -> int:
        """Mean remaining TTL in ms over a sample of keys with a TTL (INFO keyspace)."""
        if not self.expires:
            return 0
        sample = list(islice(self.expires.values(), 128))
        return max(0, sum(w - now for w in sample) // len(sample))


class Keyspace:
    """All databases, the LRU clock and the counters they share."""

    __slots__ = (
        "dbs",
        "dirty",
        "flush_hooks",
        "hooked",
        "lru_clock",
        "modified_hooks",
        "notify_flags",
        "on_event",
        "ready",
        "stats",
    )

    def __init__(self, databases: int = 16) -> None:
        self.stats = Stats()
        self.lru_clock = int(time.time())
        self.dirty = 0  # writes since start (rdb_changes_since_last_save)
        # Listeners for Database.changed/notify/flushed.  ``hooked`` is true
        # while any listens, so a write nobody hears costs one attribute test;
        # change the lists and flags through the methods below.
        self.modified_hooks: list[ModifiedHook] = []
        self.flush_hooks: list[FlushHook] = []
        self.notify_flags = 0  # NOTIFY_* bits of notify-keyspace-events
        self.on_event: EventHook | None = None
        self.hooked = False
        # (db, key) pairs signalled ready for blocked clients, in order
        self.ready: list[tuple[Database, bytes]] = []
        self.dbs = [Database(self, i) for i in range(databases)]

    # The hook lists are replaced, never changed in place: a hook may remove
    # itself (or another) while Database.changed is walking the list.

    def add_modified_hook(self, hook: ModifiedHook) -> None:
        if hook not in self.modified_hooks:
            self.modified_hooks = [*self.modified_hooks, hook]
        self._rehook()

    def remove_modified_hook(self, hook: ModifiedHook) -> None:
        self.modified_hooks = [h for h in self.modified_hooks if h != hook]
        self._rehook()

    def add_flush_hook(self, hook: FlushHook) -> None:
        if hook not in self.flush_hooks:
            self.flush_hooks = [*self.flush_hooks, hook]

    def remove_flush_hook(self, hook: FlushHook) -> None:
        self.flush_hooks = [h for h in self.flush_hooks if h != hook]

    def set_notify(self, flags: int, on_event: EventHook | None) -> None:
        """Keyspace notifications: the NOTIFY_* classes to publish, and how."""
        self.notify_flags = flags if on_event is not None else 0
        self.on_event = on_event
        self._rehook()

    def _rehook(self) -> None:
        self.hooked = bool(self.modified_hooks) or bool(self.notify_flags)

    def tick(self) -> None:
        """Advance the shared LRU clock (seconds)."""
        self.lru_clock = int(time.time())

    def expire_cycle(self, now: int, budget: float) -> int:
        """Active expiry over every database for at most ``budget`` seconds."""
        deadline = time.perf_counter() + budget
        done = 0
        for db in self.dbs:
            if db.heap:
                done += db.expire_due(now, deadline)
            if db.field_expiry is not None:
                done += db.field_expiry.expire_due(db, now, deadline)
            if time.perf_counter() > deadline:
                break
        return done


class ScanCursors:
    """Cursors for SCAN-style iteration over a changing collection.

    A scan that starts at cursor 0 takes a snapshot of the collection's
    members (a list of references) and names it by a slot; the cursor encodes
    ``position << 12 | slot``.  Members present for the whole scan are
    returned (the caller drops the ones gone since), as Redis guarantees.
    At most ``limit`` snapshots are kept; an unknown cursor restarts from a
    fresh snapshot at the same position.
    """

    __slots__ = ("limit", "next_slot", "snaps")

    SLOT_BITS = 12

    def __init__(self, limit: int = 16) -> None:
        self.snaps: OrderedDict[int, list[Any]] = OrderedDict()
        self.next_slot = 1
        self.limit = limit

    def scan(self, members: Collection[Any], cursor: int, count: int) -> tuple[int, list[Any]]:
        """Next batch of up to ``count`` candidates and the cursor after it."""
        mask = (1 << self.SLOT_BITS) - 1
        pos, slot = cursor >> self.SLOT_BITS, cursor & mask
        if cursor == 0 and len(members) <= count:
            return 0, list(members)
        snap = self.snaps.get(slot) if slot else None
        if snap is None:
            snap = list(members)
            if cursor == 0 or not slot:
                slot = self.next_slot
                self.next_slot = self.next_slot % mask + 1
            self.snaps[slot] = snap
            while len(self.snaps) > self.limit:
                self.snaps.popitem(last=False)
        else:
            self.snaps.move_to_end(slot)
        batch = snap[pos : pos + count]
        pos += count
        if pos >= len(snap):
            self.snaps.pop(slot, None)
            return 0, batch
        return pos << self.SLOT_BITS | slot, batch
