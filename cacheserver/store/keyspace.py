"""The keyspace: databases of ``dict[bytes, value]`` plus an ``expires`` dict.

As redis ``db->dict`` and ``db->expires``: no wrapper object per key.  A string
is ``bytes``; collection types come from their own modules.  Times are unix
milliseconds; the caller passes one ``now`` per batch of commands.

Expiry is lazy (every lookup checks the key's deadline) and active: each
database keeps a heap of ``(deadline, key)`` that the expiry cycle pops, so
keys that are never touched again still leave memory.  A heap entry is live
only while ``expires[key]`` still equals its deadline; stale entries are
dropped when popped, and the heap is rebuilt when they pile up.

Memory: ``Keyspace.used`` is the running estimate of what the keys and values
take (``store/memory.py``); every write here keeps it, and collections
mutated in place refresh their share through ``changed``.

Access: ``Database.access`` maps each key to a mark of its last access, as
the 24 bits redis keeps in every object header: under an LRU policy (and
noeviction) the LRU clock in seconds since ``LRU_EPOCH``, under an LFU policy the last decrement
time and the logarithmic counter (``store/eviction.py``, where the dict is
an ``LfuAccess`` that turns each store into the counter update).  The low bit
of every mark says whether the key was read since it was written
(memcached's ITEM_FETCHED: ``evicted_unfetched``, ``expired_unfetched``):
reads store ``Keyspace.read_mark``, writes ``Keyspace.write_mark``.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from itertools import islice, repeat
from operator import and_, is_
from typing import TYPE_CHECKING, Any

from cacheserver.errors import WrongType
from cacheserver.store.lazyfree import FreeQueue
from cacheserver.store.lfu import Lfu, LfuAccess
from cacheserver.store.memory import (
    STR_OVERHEAD,
    FieldNames,
    collection_size,
    key_cost,
    value_cost,
)

if TYPE_CHECKING:
    from cacheserver.store.prefixes import PrefixStats

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
    """Keyspace counters shown by INFO stats (names as Redis; the ``_unfetched``
    ones as memcached's ``stats``)."""

    __slots__ = (
        "evicted_keys",
        "evicted_unfetched",
        "expired_keys",
        "expired_time_cap_reached_count",
        "expired_unfetched",
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
        self.evicted_keys = 0
        self.evicted_unfetched = 0  # evicted without a read since written
        self.expired_unfetched = 0  # expired without a read since written


_consume: Callable[[Any], None] = deque(maxlen=0).extend  # runs an iterator out, in C

# Keyspace.budget without maxmemory
NO_LIMIT = 1 << 62
# LRU marks count seconds from here (2023-11-14), so that until 2040 a mark,
# shifted for the fetched bit, stays under 2**30: one digit of a CPython int,
# which list.sort compares at C speed (eviction sorts thousands a second)
LRU_EPOCH = 1_700_000_000

# a bytes object's cost beside its length (store/memory.py), for one and two objects
_STR = STR_OVERHEAD
_STR2 = 2 * STR_OVERHEAD

# classes of the events whose key holds a collection changed in place
_SIZED = NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET


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
        "keys",
        "keys_dead",
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
        # key -> mark of the last access (see the module docstring); the
        # mark's int object is shared by every key touched in the same second
        # (under LRU).  An LFU policy makes it an eviction.LfuAccess.
        self.access: dict[bytes, int] = ks.new_access()
        # every key, for eviction's uniform samples (allkeys policies while
        # maxmemory is set; else None): appended on insert, deleted keys left
        # behind and dropped when drawn (store/eviction.py)
        self.keys: list[bytes] | None = None
        self.keys_dead = 0  # its slots blanked by eviction
        self.scans = ScanCursors()
        # key -> queue of blocked-client waiters (cacheserver.blocking)
        self.blocked: dict[bytes, Any] = {}
        # per-field expiry of collections (hash field TTL): an object with
        # expire_due(db, now, deadline) -> int, set by the family that needs it
        self.field_expiry: Any = None

    def __len__(self) -> int:
        return len(self.data)

    # -- lookups --------------------------------------------------------------

    def _expire_if_due(self, key: bytes, now: int, write: bool = False) -> bool:
        """``key`` is past its TTL: deleted, and True.  While CLIENT PAUSE
        keeps the dataset still it reads as missing and stays (redis 7.0
        ``expireIfNeeded``), unless a ``write`` is about to replace it."""
        when = self.expires.get(key)
        if when is not None and when <= now:
            if write or not self.ks.paused:
                self._expired(key)
            return True
        return False

    def _expired(self, key: bytes) -> None:
        stats = self.stats
        stats.expired_keys += 1
        if not self.access.get(key, 1) & 1:
            stats.expired_unfetched += 1
        ks = self.ks
        lat = ks.latency
        if lat is None:
            self.drop(key, ks.lazy_expire)
        else:  # redis deleteExpiredKeyAndPropagate
            t0 = time.perf_counter_ns()
            self.drop(key, ks.lazy_expire)
            lat("expire-del", time.perf_counter_ns() - t0)
        if ks.hooked:
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
        self.access[key] = self.ks.read_mark
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
        self.access[key] = self.ks.read_mark
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
        if self.expires and key in self.expires and self._expire_if_due(key, now, True):
            return None
        self.access[key] = self.ks.write_mark
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

    def changed(self, key: bytes, cls: int, event: bytes, value: Value = None) -> None:
        """A write changed ``key`` (redis ``signalModifiedKey`` then
        ``notifyKeyspaceEvent(cls, event, key)``): WATCH, CLIENT TRACKING, the
        memcached CAS and keyspace notifications hear of it.

        Every write command calls it once per changed key with Redis's event
        name.  A collection changed in place has its memory estimate
        refreshed here, so a command that changes a list, set, hash or sorted
        set calls it always (passing the collection as ``value`` saves a
        lookup when it is certainly still at ``key``); other hot handlers
        test ``db.ks.hooked`` first to skip the call when nobody listens."""
        ks = self.ks
        if cls & _SIZED:
            if value is None:
                value = self.data.get(key)
            if value is not None:
                # the line through the last full estimate (store/memory.py)
                n = len(value)
                sn = value.sn
                if n < sn << 1 and n << 1 > sn and ks.dirty & 31:
                    new = value.base + n * value.per
                else:
                    new = collection_size(value)
                ks.used += new - value.mem
                value.mem = new
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
        """Store ``value``; drop any TTL unless ``keepttl`` (redis setKey).

        The memory total moves by the difference of the old and new value,
        the old one read from the same dict slot just before."""
        data = self.data
        old = data.get(key)
        data[key] = value
        ks = self.ks
        self.access[key] = ks.write_mark
        if old is None:
            ks.used += len(key) + _STR + value_cost(value)
            if self.keys is not None:
                self.keys.append(key)
        elif old.__class__ is bytes and value.__class__ is bytes:
            ks.used += len(value) - len(old)
        else:
            self._replaced(old, value)
        if not keepttl and self.expires and key in self.expires:
            del self.expires[key]
        ks.dirty += 1

    def set_str(self, key: bytes, value: bytes) -> None:
        """``set`` of a bytes value, without a TTL (SET's path, MSET)."""
        data = self.data
        old = data.get(key)
        data[key] = value
        ks = self.ks
        self.access[key] = ks.write_mark
        if old.__class__ is bytes:
            ks.used += len(value) - len(old)
        elif old is None:
            ks.used += len(key) + len(value) + _STR2
            if self.keys is not None:
                self.keys.append(key)
        else:
            self._replaced(old, value)
        if self.expires and key in self.expires:
            del self.expires[key]
        ks.dirty += 1

    def _replaced(self, old: Value, value: Value) -> None:
        """Account for ``old`` replaced by ``value`` (not both strings); a big
        old collection is freed in steps (``lazyfree-lazy-server-del``)."""
        ks = self.ks
        if old is value:
            return
        ks.used += value_cost(value) - value_cost(old)
        if old.__class__ is not bytes and old.__class__ is not bytearray:
            ks.lazyfree.release(old, ks.lazy_server_del)

    def replace(self, key: bytes, value: Value, old: Value) -> None:
        """Swap the value ``old`` of a key just looked up for writing for
        ``value`` (its TTL and access mark stay): INCR's store, one dict
        write instead of two."""
        self.data[key] = value
        ks = self.ks
        if old.__class__ is bytes and value.__class__ is bytes:
            ks.used += len(value) - len(old)
        else:
            self._replaced(old, value)
        ks.dirty += 1

    def unshare_str(self, key: bytes, value: Str) -> bytearray:
        """The string ``value`` just looked up at ``key``, as a bytearray
        stored there for a command to change in place (redis
        ``dbUnshareStringValue``): a bytes value is replaced by its copy, TTL
        and access mark kept, no write counted (the command's own
        ``touch_write`` counts it, with any growth after this)."""
        if value.__class__ is bytearray:
            return value
        buf = bytearray(value)
        self.data[key] = buf
        self.ks.used += value_cost(buf) - value_cost(value)
        return buf

    def touch_write(self, key: bytes, grown: int) -> None:
        """A string was changed in place (APPEND, SETRANGE on a raw string),
        its buffer now ``grown`` bytes longer: count the write."""
        self.access[key] = self.ks.write_mark
        ks = self.ks
        ks.used += grown
        ks.dirty += 1

    def add(self, key: bytes, value: Value) -> None:
        """Store a new key known to be absent (no TTL to drop).  A new key may
        serve blocked clients (a list arriving by RENAME, MOVE, COPY), and is
        a ``new`` keyspace event, as redis dbAdd."""
        ks = self.ks
        if ks.notify_flags & NOTIFY_NEW:
            self.notify(key, NOTIFY_NEW, b"new")
        self.data[key] = value
        self.access[key] = ks.write_mark
        ks.used += len(key) + _STR + value_cost(value)
        if self.keys is not None:
            self.keys.append(key)
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
        """Remove ``key``; its value is the caller's (freed when dropped:
        ``drop`` frees a big one in steps).  False when absent."""
        value = self.data.pop(key, None)
        if value is None:
            return False
        self.access.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)
        ks = self.ks
        if value.__class__ is bytes:
            ks.used -= len(key) + len(value) + _STR2
        else:
            ks.used -= len(key) + _STR + value_cost(value)
        ks.dirty += 1
        return True

    def drop(self, key: bytes, lazy: bool) -> bool:
        """Delete ``key`` and free its value: in steps, after this command,
        when it is a collection of more than 64 elements and ``lazy`` (UNLINK,
        and DEL, expiry, eviction under their lazyfree settings), or of more
        than lazyfree.HUGE elements whatever ``lazy`` says."""
        value = self.data.get(key)
        if value is None or not self.delete(key):
            return False
        if value.__class__ is not bytes and value.__class__ is not bytearray:
            self.ks.lazyfree.release(value, lazy)
        return True

    def evict(self, keys: list[bytes], lazy: bool) -> int:
        """Delete ``keys`` (present, distinct) for eviction, each signalled
        ``evicted`` (WATCH, tracking and notifications hear it); the number
        of them not read since written.  A batch at C speed: eviction deletes
        as many keys as writes add."""
        data, access = self.data, self.access
        values = list(map(data.pop, keys))
        marks = list(map(access.pop, keys, repeat(1)))
        if self.expires:
            _consume(map(self.expires.pop, keys, repeat(None)))
        ks = self.ks
        n = len(keys)
        if all(map(is_, map(type, values), repeat(bytes))):
            ks.used -= sum(map(len, keys)) + sum(map(len, values)) + _STR2 * n
        else:
            release = ks.lazyfree.release
            for key, value in zip(keys, values, strict=True):
                ks.used -= len(key) + _STR + value_cost(value)
                if value.__class__ is not bytes and value.__class__ is not bytearray:
                    release(value, lazy)
        ks.dirty += n
        if ks.hooked:
            for key in keys:
                self.changed(key, NOTIFY_EVICTED, b"evicted")
        unfetched: int = n - sum(map(and_, marks, repeat(1)))
        return unfetched

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

    def flush(self, lazy: bool = False) -> int:
        """Empty the database; the number of keys it held.  ``lazy``: the old
        tables are freed in steps after this command (FLUSHDB ASYNC)."""
        ks = self.ks
        data = self.data
        n = len(data)
        tables = self._take_tables()
        ks.dirty += n
        # the only keys in the keyspace: their total leaves at once
        alone = not ks.lazyfree.counted and all(db is self or not db.data for db in ks.dbs)
        if lazy and n:
            if alone:
                ks.lazyfree.release_tables(tables[:-1], data, ks.used, False)
                ks.used = 0
            else:  # the keys leave the total as they are freed
                ks.lazyfree.release_tables(tables[:-1], data, 0, True)
        elif alone:
            ks.used = 0
        else:
            ks.used -= sum(key_cost(k) + value_cost(v) for k, v in data.items())
        return n

    def _take_tables(self) -> list[Any]:
        """Replace the tables with empty ones; the old ones, the key dict last."""
        tables: list[Any] = [self.expires, self.heap, self.access]
        if self.keys is not None:
            tables.append(self.keys)
            self.keys = []
        tables.append(self.data)
        self.data = {}
        self.expires = {}
        self.heap = []
        self.access = self.ks.new_access()
        self.scans = ScanCursors()
        return tables

    def swap_contents(self, other: Database) -> None:
        for name in ("data", "expires", "heap", "access", "scans", "keys"):
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
        if self.ks.paused:  # CLIENT PAUSE: nothing is deleted; an expired key
            # when there is nothing else (later Redis; 7.0 loops for ever)
            live = [k for k in data if k not in expires or expires[k] > now]
            return random.choice(live) if live else key
        for key in dead:
            self._expired(key)
        if not data:
            return None
        return next(islice(iter(data), random.randrange(len(data)), None))

    def expire_due(self, now: int, deadline: float) -> int:
        """Delete keys whose deadline passed, until ``deadline`` (perf_counter)."""
        heap, expires = self.heap, self.expires
        pop, expired, clock = heapq.heappop, self._expired, time.perf_counter
        done = 0
        while heap and heap[0][0] <= now:
            when, key = pop(heap)
            if expires.get(key) == when:
                expired(key)
                done += 1
                if not done & 63 and clock() > deadline:
                    self.stats.expired_time_cap_reached_count += 1
                    break
        return done

    def avg_ttl(self, now: int) -> int:
        """Mean remaining TTL in ms over a sample of keys with a TTL (INFO keyspace)."""
        if not self.expires:
            return 0
        sample = list(islice(self.expires.values(), 128))
        return max(0, sum(w - now for w in sample) // len(sample))


class Keyspace:
    """All databases, the LRU clock, the memory total and the counters they share."""

    __slots__ = (
        "budget",
        "clock",
        "dbs",
        "dirty",
        "fields",
        "flush_hooks",
        "hooked",
        "latency",
        "lazy_expire",
        "lazy_server_del",
        "lazyfree",
        "lfu",
        "limited",
        "modified_hooks",
        "notify_flags",
        "on_event",
        "paused",
        "prefix_stats",
        "read_mark",
        "ready",
        "stats",
        "used",
        "write_mark",
    )

    def __init__(self, databases: int = 16) -> None:
        self.stats = Stats()
        self.clock = 0
        self.read_mark = self.write_mark = 0
        self.lru_clock = int(time.time())
        # LFU settings and clock while an LFU policy is on, else None
        self.lfu: Lfu | None = None
        self.dirty = 0  # writes since start (rdb_changes_since_last_save)
        self.fields = FieldNames()  # hash field names shared between hashes
        # bytes the keys and values take, estimated (store/memory.py)
        self.used = 0
        # maxmemory is set, and what ``used`` may reach before eviction:
        # maxmemory less the tables and buffers measured apart (both kept by
        # the server's memory manager; the budget is out of reach without)
        self.limited = False
        self.budget = NO_LIMIT
        self.lazyfree = FreeQueue(self)
        # lazyfree-lazy-expire and lazyfree-lazy-server-del
        self.lazy_expire = False
        self.lazy_server_del = False
        # (event, ns) of each expired key's deletion ("expire-del") while the
        # latency monitor is on, else None (set by the server)
        self.latency: Callable[[str, int], None] | None = None
        # Listeners for Database.changed/notify/flushed.  ``hooked`` is true
        # while any listens, so a write nobody hears costs one attribute test;
        # change the lists and flags through the methods below.
        self.modified_hooks: list[ModifiedHook] = []
        self.flush_hooks: list[FlushHook] = []
        self.notify_flags = 0  # NOTIFY_* bits of notify-keyspace-events
        self.on_event: EventHook | None = None
        self.hooked = False
        # hits and misses per metrics-key-prefixes (store/prefixes.py), None when off
        self.prefix_stats: PrefixStats | None = None
        # CLIENT PAUSE is on: keys past their TTL stay until it ends (lazy and
        # active expiry), and eviction waits (cacheserver.pause)
        self.paused = False
        # (db, key) pairs signalled ready for blocked clients, in order
        # (a None database marks work for after the command that is not a key:
        # tracking's own messages; see Server.after_command)
        self.ready: list[tuple[Database | None, bytes]] = []
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

    @property
    def lru_clock(self) -> int:
        """The LRU clock: unix seconds (Redis's has 24 bits and the same resolution)."""
        return self.clock

    @lru_clock.setter
    def lru_clock(self, now: int) -> None:
        self.clock = now
        # access marks of this second (module docstring): bit 0 set for reads
        # (never negative, even on a clock set before the epoch: eviction
        # scores a gone key -1, below every mark)
        self.write_mark = max(0, now - LRU_EPOCH) << 1
        self.read_mark = self.write_mark | 1

    def tick(self) -> None:
        """Advance the shared LRU clock (seconds) and the access marks."""
        now = int(time.time())
        if now != self.clock:
            self.lru_clock = now
        if self.lfu is not None:
            self.lfu.tick()

    def new_access(self) -> dict[bytes, int]:
        """An empty access dict for the current policy."""
        return {} if self.lfu is None else LfuAccess(self.lfu)

    def set_lfu(self, lfu: Lfu | None) -> None:
        """Switch access marks between LRU (None) and LFU.  The marks keep
        their bits, read the other way, as in Redis ("when switching between
        policies at runtime LRU and LFU data will take some time to adjust")."""
        if (lfu is None) == (self.lfu is None):
            if lfu is not None and self.lfu is not None:
                self.lfu.log_factor, self.lfu.decay_time = lfu.log_factor, lfu.decay_time
            return
        self.lfu = lfu
        for db in self.dbs:
            old = db.access
            db.access = self.new_access()
            dict.update(db.access, old)

    def idle_ms(self, mark: int) -> int:
        """Milliseconds since an LRU mark (redis ``estimateObjectIdleTime``, 1 s resolution)."""
        return max(0, self.clock - LRU_EPOCH - (mark >> 1)) * 1000

    def flush_all(self, lazy: bool = False) -> int:
        """Empty every database (FLUSHALL); the number of keys they held.
        ``lazy``: the old tables are freed in steps after this command."""
        n = 0
        cost = self.used
        self.used = 0
        for db in self.dbs:
            n += len(db.data)
            tables = db._take_tables()
            if lazy and len(tables[-1]):
                # the whole total goes with the first job, so pending bytes stay right
                self.lazyfree.release_tables(tables[:-1], tables[-1], cost, False)
                cost = 0
        self.fields.clear()
        self.dirty += n
        return n

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
