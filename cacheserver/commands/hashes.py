"""Hash commands (redis ``t_hash.c``): Redis 7.0, plus per-field TTL as Redis
7.4 (HEXPIRE ... HPERSIST) and 8.0 (HGETEX, HSETEX, HGETDEL).

A hash value is a ``Hash``: a ``dict`` of field -> value plus a few slots,
each None unless the hash needs it.  Fields keep insertion order, as a Redis
listpack does, so small hashes reply in Redis's order byte for byte.

Encoding: Redis 7.0 keeps a hash as a ``listpack`` while it has at most
``hash-max-listpack-entries`` fields and no field or value (nor any argument
of the write that adds them) longer than ``hash-max-listpack-value`` (64), and
turns it into a ``hashtable`` for good on the first write that breaks a rule.
The entries limit is redis-server's built-in default, 512 (the sample
redis.conf sets 128).  ``Hash.big`` records that one-way switch; a listpack
hash with field TTLs reports ``listpackex`` (Redis 7.4).  HSCAN returns a listpack hash
whole in one reply, whatever the cursor, as Redis does.

Field TTL: a hash with at least one field deadline carries a ``FieldTtl``
(``Hash.ttl``): field -> deadline (unix ms) and a heap of (deadline, field)
validated lazily, so the next deadline is O(1) to read.  Every command that
looks a hash up first drops its due fields (and deletes the key when none is
left).  Fields nobody reads again leave through the background cycle: the
keyspace-wide ``FieldExpiry`` keeps a heap with one entry per hash, keyed by
the hash's earliest deadline and holding a weak reference to the hash, so a
deleted hash costs nothing.  The hash remembers where it lives (database and
key); RENAME, MOVE, COPY and SWAPDB move it without telling anyone, so when
the cycle finds the hash no longer at its address it searches the keyspace
for it, a bounded slice per cycle, and any hash command on the hash teaches
it its new address at once.

Random fields (HRANDFIELD) come through ``RandomDraws`` (``store/sampling.py``),
as SRANDMEMBER's members: O(1) expected per draw.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import time
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from cacheserver.commands.keys import parse_cursor, parse_scan_options
from cacheserver.commands.sets import random_reply_limits, random_reply_too_big
from cacheserver.commands.strings import (
    NAN_OR_INF,
    add_long_double,
    c_option,
    format_long_double,
    parse_long_double,
)
from cacheserver.commands.table import DENYOOM, FAST, READONLY, WRITE, Command
from cacheserver.errors import (
    NOT_FLOAT,
    NOT_INTEGER,
    OVERFLOW,
    RAND_RANGE,
    SYNTAX,
    CommandError,
    WrongType,
    wrong_arity,
)
from cacheserver.glob import compile_matcher
from cacheserver.store.keyspace import (
    NOTIFY_GENERIC,
    NOTIFY_HASH,
    Database,
    Keyspace,
    ScanCursors,
)
from cacheserver.store.memory import FieldNames, dict_sample, draws_cost, pairs_cost
from cacheserver.store.sampling import RandomDraws
from protocol.resp import (
    EMPTY_ARRAY,
    EMPTY_SCAN,
    LLONG_MAX,
    LLONG_MIN,
    OK,
    ONE,
    ZERO,
    array_header,
    bulk,
    bulk_array,
    bulk_strings,
    integer,
    string2ll,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client


_getsizeof = sys.getsizeof

# hash-max-listpack-entries and hash-max-listpack-value as redis-server has them
# without a config file (config.c defaults; the sample redis.conf says 128 entries)
MAX_LISTPACK_ENTRIES = 512
MAX_LISTPACK_VALUE = 64
# Redis 7.4 caps field deadlines at 2**46 - 1 ms (HFE_MAX_ABS_TIME_MSEC)
MAX_FIELD_DEADLINE = 0xFFFFFFFFFFFF >> 2
# the active cycle expires at most this many fields of one hash between clock checks
_FIELDS_PER_STEP = 256
# keys looked at between clock checks while searching for moved hashes
_SEARCH_STEP = 2048

EMPTY_MAP3 = b"%0\r\n"
PAIR3 = b"*2\r\n"

NOT_HASH_INT = b"ERR hash value is not an integer"
NOT_HASH_FLOAT = b"ERR hash value is not a float"
NAN_INCR = b"ERR value is NaN or Infinity"
RANGE = b"ERR value is out of range"
# field-TTL texts, verbatim from Redis 7.4 / 8.0 (``numFields`` spelling included)
NO_FIELDS = b"ERR Mandatory argument FIELDS is missing or not at the right position"
NUMFIELDS_EXPIRE = b"ERR Parameter `numFields` should be greater than 0"
NUMFIELDS_POSITIVE = b"ERR Number of fields must be a positive integer"
NUMFIELDS_MISMATCH = b"ERR The `numfields` parameter must match the number of arguments"
NEGATIVE_EXPIRE = b"ERR invalid expire time, must be >= 0"
INVALID_EXPIRE = b"ERR invalid expire time in '%s' command"
HSETEX_NUMFIELDS = b"ERR invalid number of fields"
HSETEX_MISSING_EXPIRE = b"ERR missing expire time"
HSETEX_ONE_CONDITION = b"ERR Only one of FXX or FNX arguments can be specified"
HSETEX_ONE_EXPIRY = b"ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified"

# per-field replies of the TTL commands
_NO_FIELD, _NOT_MET, _SET, _DELETED, _NO_TTL = -2, 0, 1, 2, -1
_CODES = {code: integer(code) for code in (_NO_FIELD, _NOT_MET, _SET, _DELETED, _NO_TTL)}
_NX, _XX, _GT, _LT = 1, 2, 4, 8
_CONDITIONS = {b"nx": _NX, b"xx": _XX, b"gt": _GT, b"lt": _LT}


# -- the value ------------------------------------------------------------------


class Hash(RandomDraws, dict[bytes, bytes]):
    """A hash value: field -> value, and slots that stay None unless used."""

    __slots__ = (
        "__weakref__",
        "arr",
        "base",
        "big",
        "grave",
        "mem",
        "names",
        "per",
        "scans",
        "sn",
        "ttl",
    )

    TYPE = b"hash"

    def __init__(self, names: FieldNames | None = None) -> None:
        super().__init__()
        # the keyspace's shared field names (store/memory.py), None: none shared
        self.names = names
        self.big = False  # a hashtable in Redis's terms (never goes back)
        self.ttl: FieldTtl | None = None
        self.arr: list[bytes] | None = None
        self.grave: set[bytes] | None = None
        self.scans: ScanCursors | None = None
        # memory estimate (store/memory.py): bytes accounted; its base, bytes per element and the length at the last full estimate
        self.mem = -1
        self.base = 0
        self.per = 0
        self.sn = 0

    def mem_sample(self, k: int) -> float:
        """Mean bytes of one field and its value, over up to ``k`` of them (0: all)."""
        return pairs_cost(dict_sample(self, k), self.names)

    def mem_side(self) -> int:
        """Bytes of the random-draw index and of the field TTLs."""
        side = draws_cost(self.arr, self.grave)
        t = self.ttl
        if t is not None:
            # per deadline: its dict entry, int and heap tuple
            side += 400 + len(t.when) * 150 + _getsizeof(t.heap)
        return side

    @property
    def ENCODING(self) -> bytes:
        if self.big:
            return b"hashtable"
        return b"listpack" if self.ttl is None else b"listpackex"

    def copy(self) -> Hash:
        """A deep copy (COPY): fields, encoding and field deadlines."""
        new = Hash(self.names)
        dict.update(new, self)
        new.big = self.big
        t = self.ttl
        if t is not None:
            t2 = new.ttl = FieldTtl(new, None, None, t.index)
            t2.when = dict(t.when)
            t2.heap = list(t.heap)
            # where COPY stores it is unknown here: the index looks for it
            t.index.lost_hash(t2)
        return new

    def note_big(self, *items: bytes) -> None:
        """Switch to hashtable if an item is too long or there are too many fields."""
        if not self.big and (
            len(self) > MAX_LISTPACK_ENTRIES or any(len(x) > MAX_LISTPACK_VALUE for x in items)
        ):
            self.big = True

    # -- writes that keep the side structures in step ------------------------------

    def store(self, field: bytes, value: bytes, keep_ttl: bool = False) -> int:
        """Set one field; 1 if it is new.  Overwriting drops the field's TTL
        unless ``keep_ttl`` (HSET does, HINCRBY does not)."""
        if field in self:
            if not keep_ttl and self.ttl is not None:
                self.ttl.forget(self, field)
            self[field] = value
            return 0
        names = self.names
        if names is not None and len(self) < MAX_LISTPACK_ENTRIES:  # a record, not a big map
            field = names.share(field)
        self[field] = value
        self._note_added(field)
        return 1

    def remove(self, field: bytes) -> None:
        """Delete a field known to be present (and its TTL)."""
        del self[field]
        if self.ttl is not None:
            self.ttl.forget(self, field)
        self._note_removed(field)

    # -- random fields (RandomDraws) ---------------------------------------------

    def random_field(self) -> bytes:
        return self.random_one()


class FieldTtl:
    """The field deadlines of one hash, and where the hash was last seen."""

    __slots__ = ("db", "heap", "index", "key", "ref", "sched", "when")

    def __init__(self, h: Hash, db: Database | None, key: bytes | None, index: FieldExpiry) -> None:
        self.when: dict[bytes, int] = {}  # field -> deadline, unix ms
        self.heap: list[tuple[int, bytes]] = []  # (deadline, field); stale entries skipped
        self.db = db
        self.key = key
        self.index = index
        self.sched: int | None = None  # the deadline of this hash's live index entry
        self.ref = weakref.ref(h, index.on_dead)

    def forget(self, h: Hash, field: bytes) -> None:
        """Drop a field's deadline (its heap entry goes stale)."""
        if self.when.pop(field, None) is not None and not self.when:
            h.ttl = None

    def next_deadline(self) -> int:
        """The earliest live deadline (``when`` is not empty)."""
        heap, when = self.heap, self.when
        while when.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0]


def _set_deadline(db: Database, key: bytes, h: Hash, field: bytes, when: int) -> None:
    """Give a present field a deadline in the future."""
    t = h.ttl
    if t is None:
        t = h.ttl = FieldTtl(h, db, key, _index(db))
    t.when[field] = when
    heap = t.heap
    heapq.heappush(heap, (when, field))
    if len(heap) > 2 * len(t.when) + 32:  # stale entries piled up
        heap[:] = [(w, f) for f, w in t.when.items()]
        heapq.heapify(heap)
    if t.sched is None or when < t.sched:
        t.index.schedule(t, when)


def _expire_fields(h: Hash, t: FieldTtl, now: int, limit: int) -> int:
    """Delete up to ``limit`` fields whose deadline is ``now`` or earlier."""
    heap, when = t.heap, t.when
    pop = heapq.heappop
    n = 0
    while heap and heap[0][0] <= now and n < limit:
        d, f = pop(heap)
        if when.get(f) == d:
            h.remove(f)  # drops ``when[f]``, and h.ttl once none is left
            n += 1
    return n


def _purge(db: Database, key: bytes, h: Hash, t: FieldTtl, now: int) -> bool:
    """Before any command uses a hash with field TTLs (``t = h.ttl``): record
    where it lives (it may have been renamed, moved or copied here) and drop
    its due fields.  True when no field is left: the key is deleted."""
    if t.db is not db or t.key != key:
        t.db, t.key = db, key
        if t.sched is None:  # the index lost track of it: register it again
            t.index.schedule(t, t.next_deadline())
    if t.next_deadline() > now:
        return False
    _expire_fields(h, t, now, sys.maxsize)
    if not h:
        db.delete(key)
    _fields_expired(db, key, h)
    return not h


def _fields_expired(db: Database, key: bytes, h: Hash) -> None:
    """Signal fields of ``h`` deleted by their TTL: ``hexpired`` once, then
    ``del`` if the hash went with them (redis 7.4 ``hashTypeExpire``)."""
    db.changed(key, NOTIFY_HASH, b"hexpired")
    if not h:
        db.notify(key, NOTIFY_GENERIC, b"del")


class FieldExpiry:
    """Active expiry of hash fields, one per keyspace (``Database.field_expiry``
    of every database points here).

    ``heap`` holds (deadline, seq, weakref to hash); an entry is live while the
    hash is alive and its ``FieldTtl.sched`` and ``ref`` still match.  A hash
    found away from its recorded address goes to ``lost`` and a search over the
    keyspace, a slice per cycle, finds where it went."""

    __slots__ = ("dead", "heap", "ks", "last", "live", "lost", "search", "seq")

    def __init__(self, ks: Keyspace) -> None:
        self.ks = ks
        self.heap: list[tuple[int, int, weakref.ref[Hash]]] = []
        self.seq = itertools.count()
        self.live = 0  # heap size after the last rebuild
        self.dead = 0  # hashes with TTLs freed since (their entries are garbage)
        self.last = -1.0  # the cycle deadline already served (one call per cycle)
        # id(hash) -> (weakref, failed passes) for hashes whose address is stale
        self.lost: dict[int, tuple[weakref.ref[Hash], int]] = {}
        # the search in progress: [data dict, keys snapshot, position] per database
        self.search: list[list[Any]] | None = None

    def schedule(self, t: FieldTtl, when: int) -> None:
        t.sched = when
        heap = self.heap
        heapq.heappush(heap, (when, next(self.seq), t.ref))
        if len(heap) > 2 * self.live + 1024:
            self._rebuild()

    def on_dead(self, ref: weakref.ref[Hash]) -> None:
        self.dead += 1

    def lost_hash(self, t: FieldTtl) -> None:
        h = t.ref()
        if h is not None:
            self.lost[id(h)] = (t.ref, 0)

    def _rebuild(self) -> None:
        """Drop stale and dead entries (in place: a running cycle holds the list)."""
        heap = self.heap
        keep = []
        for entry in heap:
            h = entry[2]()
            if (
                h is not None
                and (t := h.ttl) is not None
                and t.sched == entry[0]
                and t.ref is entry[2]
            ):
                keep.append(entry)
        heap[:] = keep
        heapq.heapify(heap)
        self.live = len(heap)
        self.dead = 0

    def expire_due(self, db: Database, now: int, deadline: float) -> int:
        """Expire due fields of every database until ``deadline`` (perf_counter);
        the number of fields expired.  Called once per database per cycle: the
        first call does the work for all."""
        if deadline == self.last:
            return 0
        self.last = deadline
        if self.dead > 1024 and 2 * self.dead > len(self.heap):
            self._rebuild()  # hashes freed (FLUSHALL, DEL): drop their entries at once
        heap = self.heap
        pop = heapq.heappop
        clock = time.perf_counter
        done = 0
        steps = 0
        while heap and heap[0][0] <= now:
            steps += 1
            if not steps & 255 and clock() > deadline:
                break  # a long run of stale entries also yields to the budget
            when, _, ref = pop(heap)
            h = ref()
            if h is None:
                continue
            t = h.ttl
            if t is None or t.sched != when or t.ref is not ref:
                continue  # stale entry
            t.sched = None
            hdb, key = t.db, t.key
            if hdb is None or key is None or not _holds(hdb, key, h):
                self.lost[id(h)] = (ref, 0)  # renamed, moved, copied or swapped away
                continue
            expired = _expire_fields(h, t, now, _FIELDS_PER_STEP)
            done += expired
            if not h:
                hdb.delete(key)
            if expired:
                _fields_expired(hdb, key, h)
            if h and h.ttl is t:
                self.schedule(t, t.next_deadline())
            if clock() > deadline:
                break
        if self.lost:  # at least one slice per cycle, so the search always moves on
            self._find_lost(deadline)
        return done

    def _find_lost(self, deadline: float) -> None:
        """Look through the keyspace for hashes whose address went stale."""
        lost = self.lost
        if self.search is None:
            for i, (ref, _) in list(lost.items()):
                h = ref()
                if h is None or h.ttl is None or h.ttl.sched is not None:
                    del lost[i]  # gone, or found by a command meanwhile
            if not lost:
                return
            self.search = [[db.data, list(db.data), 0] for db in self.ks.dbs if db.data]
        clock = time.perf_counter
        dbs = self.ks.dbs
        search = self.search
        while search and lost:
            state = search[-1]
            data, keys, pos = state
            owner = next((db for db in dbs if db.data is data), None)
            if owner is None:  # flushed meanwhile: nothing of it is left to find
                search.pop()
                continue
            end = min(pos + _SEARCH_STEP, len(keys))
            get = data.get
            for i in range(pos, end):
                key = keys[i]
                v = get(key)
                if v.__class__ is Hash and v.ttl is not None and id(v) in lost:
                    self._found(v, owner, key)
            state[2] = end
            if end >= len(keys):
                search.pop()
            if clock() > deadline:
                break
        if not search or not lost:
            self.search = None
            # not found in a whole pass: try once more, then give up (a command
            # on the hash still finds it, as every lookup records the address)
            for i, (ref, fails) in list(lost.items()):
                if fails >= 1 or ref() is None:
                    del lost[i]
                else:
                    lost[i] = (ref, fails + 1)

    def _found(self, h: Hash, db: Database, key: bytes) -> None:
        ref, _ = self.lost.pop(id(h))
        t = h.ttl
        if ref() is not h or t is None:
            return
        t.db, t.key = db, key
        if t.sched is None:
            self.schedule(t, t.next_deadline())


def _holds(db: Database, key: bytes, h: Hash) -> bool:
    return db.data.get(key) is h


def _index(db: Database) -> FieldExpiry:
    """The keyspace's field-expiry index, installed on first use."""
    fx = db.field_expiry
    if fx is None:
        fx = FieldExpiry(db.ks)
        for d in db.ks.dbs:
            d.field_expiry = fx
    return cast(FieldExpiry, fx)


# -- lookups --------------------------------------------------------------------


def _read(c: Client, key: bytes) -> Hash | None:
    """Read lookup (a keyspace hit or miss); WRONGTYPE for another type."""
    db = c.db
    h: Hash | None = db.get_typed(key, c.now, Hash)
    if h is not None and (t := h.ttl) is not None and _purge(db, key, h, t, c.now):
        return None
    return h


def live_field(db: Database, key: bytes, h: Hash, field: bytes, now: int) -> bytes | None:
    """The value of ``field`` in ``h``, the hash at ``key`` just looked up,
    its due fields dropped first (SORT's ``BY``/``GET`` ``key->field``)."""
    if (t := h.ttl) is not None and _purge(db, key, h, t, now):
        return None
    return h.get(field)


def _load(c: Client, argv: list[bytes]) -> Any:
    """A read missed ``argv[1]``: its loader's reply (or Pending), None for a plain miss."""
    loaders = c.server.loaders
    return None if loaders is None else loaders.load(c, argv, argv[1])


def _write(c: Client, key: bytes) -> Hash | None:
    """Write lookup; WRONGTYPE for another type."""
    db = c.db
    h: Hash | None = db.lookup_typed(key, c.now, Hash)
    if h is not None and (t := h.ttl) is not None and _purge(db, key, h, t, c.now):
        return None
    return h


def _write_or_create(c: Client, key: bytes) -> Hash:
    h = _write(c, key)
    if h is None:
        h = Hash(c.db.ks.fields)
        c.db.add(key, h)
    return h


# -- argument parsing -------------------------------------------------------------


def _count_arg(arg: bytes, lo: int, hi: int, msg: bytes) -> int:
    """redis ``getRangeLongFromObjectOrReply`` with a message: ``msg`` for
    anything that is not an integer in [lo, hi]."""
    n = string2ll(arg)
    if n is None or not lo <= n <= hi:
        raise CommandError(msg)
    return n


def _fields_arg(argv: list[bytes], at: int, msg: bytes) -> int:
    """``FIELDS numfields field ...`` from ``argv[at]``: the index of the first field."""
    if c_option(argv[at]) != b"fields":
        raise CommandError(NO_FIELDS)
    if at + 1 >= len(argv):  # only a numfields-less call that Redis's arity lets through
        raise CommandError(NUMFIELDS_MISMATCH)
    n = _count_arg(argv[at + 1], 1, LLONG_MAX, msg)
    if n != len(argv) - at - 2:
        raise CommandError(NUMFIELDS_MISMATCH)
    return at + 2


def _expire_time(c: Client, arg: bytes, seconds: bool, relative: bool, name: bytes) -> int:
    """A field deadline in unix ms (redis ``parseExpireTime`` for hash fields)."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    if n < 0:
        raise CommandError(NEGATIVE_EXPIRE)
    if seconds:
        if n > MAX_FIELD_DEADLINE // 1000:
            raise CommandError(INVALID_EXPIRE % name)
        n *= 1000
    base = c.now if relative else 0
    if n > MAX_FIELD_DEADLINE - base:
        raise CommandError(INVALID_EXPIRE % name)
    return n + base


# -- replies ----------------------------------------------------------------------


def _pairs(c: Client, h: Hash) -> bytes:
    """Every field and value: a RESP3 map, or a flat RESP2 array (HGETALL)."""
    n = len(h)
    head = b"%%%d\r\n" % n if c.resp3 else array_header(2 * n)
    return head + bulk_strings(list(itertools.chain.from_iterable(h.items())))


# -- handlers: Redis 7.0 ------------------------------------------------------------


def hset(c: Client, argv: list[bytes]) -> bytes:
    """HSET key field value [field value ...] -> integer (fields added)

    Complexity: O(1) for each field/value pair added, so O(N) to add N field/value pairs.
    """
    n = len(argv)
    if n & 1:
        raise wrong_arity(b"hset")
    db, key = c.db, argv[1]
    h = db.lookup(key, c.now)  # _write_or_create, inlined: the benchmarked path
    if h is None:
        h = Hash(db.ks.fields)
        db.add(key, h)
    elif h.__class__ is not Hash:
        raise WrongType()
    elif (t := h.ttl) is not None and _purge(db, key, h, t, c.now):
        h = Hash(db.ks.fields)
        db.add(key, h)
    if n == 4:  # the common case: one pair
        field, value = argv[2], argv[3]
        if h.ttl is None and h.arr is None:
            size = len(h)
            names = h.names  # Hash.store's shared name, inline
            if names is not None and size < MAX_LISTPACK_ENTRIES:
                field = names.share(field)
            h[field] = value
            added = len(h) - size
        else:
            added = h.store(field, value)
        if not h.big:
            h.note_big(field, value)
        db.ks.dirty += 1
        db.changed(key, NOTIFY_HASH, b"hset", h)
        return ONE if added else ZERO
    added = _store_pairs(h, argv, 2)
    db.ks.dirty += (n - 2) // 2
    db.changed(key, NOTIFY_HASH, b"hset", h)
    return integer(added)


def _store_pairs(h: Hash, argv: list[bytes], start: int) -> int:
    """Set field/value pairs from ``argv[start:]``; the number of new fields."""
    if not h.big and any(len(argv[i]) > MAX_LISTPACK_VALUE for i in range(start, len(argv))):
        h.big = True  # redis hashTypeTryConversion looks at every argument first
    if h.ttl is None and h.arr is None:
        size = len(h)
        names = h.names
        fields: Iterable[bytes] = argv[start::2]
        if names is not None and size < MAX_LISTPACK_ENTRIES:
            fields = map(names.share, fields)
        h.update(zip(fields, argv[start + 1 :: 2], strict=True))
        added = len(h) - size
    else:
        store = h.store
        added = 0
        for i in range(start, len(argv), 2):
            added += store(argv[i], argv[i + 1])
    if not h.big and len(h) > MAX_LISTPACK_ENTRIES:
        h.big = True
    return added


def hmset(c: Client, argv: list[bytes]) -> bytes:
    """HMSET key field value [field value ...] -> +OK

    Complexity: O(N) where N is the number of fields being set.
    """
    n = len(argv)
    if n & 1:
        raise wrong_arity(b"hmset")
    h = _write_or_create(c, argv[1])
    _store_pairs(h, argv, 2)
    c.db.ks.dirty += (n - 2) // 2
    c.db.changed(argv[1], NOTIFY_HASH, b"hset")
    return OK


def hsetnx(c: Client, argv: list[bytes]) -> bytes:
    """HSETNX key field value -> integer (1 set, 0 the field exists)

    Complexity: O(1)
    """
    h = _write_or_create(c, argv[1])
    field, value = argv[2], argv[3]
    if field in h:
        return ZERO
    h.store(field, value)
    h.note_big(field, value)
    c.db.ks.dirty += 1
    c.db.changed(argv[1], NOTIFY_HASH, b"hset")
    return ONE


def hget(c: Client, argv: list[bytes]) -> bytes:
    """HGET key field -> bulk | nil

    Complexity: O(1)
    """
    db = c.db
    key = argv[1]
    h = db.get_typed(key, c.now, Hash)
    if h is None or ((t := h.ttl) is not None and _purge(db, key, h, t, c.now)):
        return _load(c, argv) or c.nil
    value = h.get(argv[2])
    return c.nil if value is None else bulk(value)


def hmget(c: Client, argv: list[bytes]) -> bytes:
    """HMGET key field [field ...] -> array of bulk | nil

    Complexity: O(N) where N is the number of fields being requested.
    """
    h = _read(c, argv[1])
    nil = c.nil
    out = [array_header(len(argv) - 2)]
    append = out.append
    if h is None:
        if (reply := _load(c, argv)) is not None:
            return reply  # type: ignore[no-any-return]
        out.extend([nil] * (len(argv) - 2))
    else:
        get = h.get
        for i in range(2, len(argv)):
            value = get(argv[i])
            append(nil if value is None else bulk(value))
    return b"".join(out)


def hdel(c: Client, argv: list[bytes]) -> bytes:
    """HDEL key field [field ...] -> integer (fields removed)

    Complexity: O(N) where N is the number of fields to be removed.
    """
    key = argv[1]
    h = _write(c, key)
    if h is None:
        return ZERO
    db = c.db
    n = 0
    for i in range(2, len(argv)):
        field = argv[i]
        if field in h:
            h.remove(field)
            n += 1
            if not h:
                db.delete(key)
                break
    if n:
        db.ks.dirty += n
        db.changed(key, NOTIFY_HASH, b"hdel")
        if not h:
            db.notify(key, NOTIFY_GENERIC, b"del")
    return integer(n)


def hlen(c: Client, argv: list[bytes]) -> bytes:
    """HLEN key -> integer (number of fields)

    Complexity: O(1)
    """
    h = _read(c, argv[1])
    return ZERO if h is None else integer(len(h))


def hstrlen(c: Client, argv: list[bytes]) -> bytes:
    """HSTRLEN key field -> integer (length of the value, 0 when missing)

    Complexity: O(1)
    """
    h = _read(c, argv[1])
    if h is None:
        return ZERO
    value = h.get(argv[2])
    return ZERO if value is None else integer(len(value))


def hexists(c: Client, argv: list[bytes]) -> bytes:
    """HEXISTS key field -> integer (1 the field exists, 0 not)

    Complexity: O(1)
    """
    h = _read(c, argv[1])
    return ONE if h is not None and argv[2] in h else ZERO


def hgetall(c: Client, argv: list[bytes]) -> bytes:
    """HGETALL key -> map of field to value (a flat array in RESP2)

    Complexity: O(N) where N is the size of the hash.
    """
    h = _read(c, argv[1])
    if h is None:
        return _load(c, argv) or (EMPTY_MAP3 if c.resp3 else EMPTY_ARRAY)
    return _pairs(c, h)


def hkeys(c: Client, argv: list[bytes]) -> bytes:
    """HKEYS key -> array of fields

    Complexity: O(N) where N is the size of the hash.
    """
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_ARRAY
    return bulk_array(list(h))


def hvals(c: Client, argv: list[bytes]) -> bytes:
    """HVALS key -> array of values

    Complexity: O(N) where N is the size of the hash.
    """
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_ARRAY
    return bulk_array(list(h.values()))


def hincrby(c: Client, argv: list[bytes]) -> bytes:
    """HINCRBY key field increment -> integer (the new value)

    Complexity: O(1)
    """
    by = string2ll(argv[3])
    if by is None:
        raise CommandError(NOT_INTEGER)
    h = _write_or_create(c, argv[1])
    field = argv[2]
    old = h.get(field)
    if old is None:
        value = 0
    else:
        parsed = string2ll(old)
        if parsed is None:
            raise CommandError(NOT_HASH_INT)
        value = parsed
    value += by
    if not LLONG_MIN <= value <= LLONG_MAX:
        raise CommandError(OVERFLOW)
    new = b"%d" % value
    h.store(field, new, keep_ttl=True)  # the field keeps its TTL (Redis 7.4)
    h.note_big(field)
    c.db.ks.dirty += 1
    c.db.changed(argv[1], NOTIFY_HASH, b"hincrby")
    return integer(value)


def hincrbyfloat(c: Client, argv: list[bytes]) -> bytes:
    """HINCRBYFLOAT key field increment -> bulk (the new value)

    Complexity: O(1)
    """
    by = parse_long_double(argv[3])
    if by is None:
        raise CommandError(NOT_FLOAT)
    if add_long_double(by, (0, 0)) is None:  # an infinity (NaN does not parse)
        raise CommandError(NAN_INCR)
    h = _write_or_create(c, argv[1])
    field = argv[2]
    old = h.get(field)
    if old is None:
        value = (0, 0)
    else:
        parsed = parse_long_double(old)
        if parsed is None:
            raise CommandError(NOT_HASH_FLOAT)
        value = parsed
    total = add_long_double(value, by)
    if total is None:
        raise CommandError(NAN_OR_INF)
    new = format_long_double(total)
    h.store(field, new, keep_ttl=True)
    h.note_big(field, new)  # a long result turns a listpack into a hashtable
    c.db.ks.dirty += 1
    c.db.changed(argv[1], NOTIFY_HASH, b"hincrbyfloat")
    return bulk(new)


def hrandfield(c: Client, argv: list[bytes]) -> bytes:
    """HRANDFIELD key [count [WITHVALUES]] -> bulk | nil | array

    Complexity: O(N) where N is the number of fields returned
    """
    if len(argv) >= 3:
        count = string2ll(argv[2])
        if count is None:
            raise CommandError(NOT_INTEGER)
        if count == LLONG_MIN:  # Redis takes -LONG_MAX..LONG_MAX so that -count fits
            raise CommandError(RAND_RANGE)
        if len(argv) > 4 or (len(argv) == 4 and c_option(argv[3]) != b"withvalues"):
            raise CommandError(SYNTAX)
        withvalues = len(argv) == 4
        if withvalues and not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise CommandError(RANGE)  # the RESP2 reply length 2 * count must fit
        return _hrandfield_count(c, argv[1], count, withvalues)
    h = _read(c, argv[1])
    if h is None:
        return c.nil
    return bulk(h.random_field())


def _hrandfield_count(c: Client, key: bytes, count: int, withvalues: bool) -> bytes:
    h = _read(c, key)
    if h is None or count == 0:
        return EMPTY_ARRAY
    size = len(h)
    flat = withvalues and not c.resp3
    if count < 0 or count == 1:  # draws with repeats, in random order
        k = -count if count < 0 else 1
        limits = random_reply_limits(c)
        if k > limits[0] or k * _mean_reply_size(h, withvalues) > limits[1]:
            raise random_reply_too_big(limits)
        drawn = h.choices(k)
        head = array_header(2 * k if flat else k)
        if k >= 4 * size:  # each field is encoded once, then referenced
            enc = {f: _element(c, h, f, withvalues) for f in h}
            return head + b"".join(map(enc.__getitem__, drawn))
        return head + b"".join([_element(c, h, f, withvalues) for f in drawn])
    fields: Iterable[bytes]
    if count >= size:  # the whole hash, in its order
        fields, k = h, size
    else:
        fields, k = h.sample(count), count
    head = array_header(2 * k if flat else k)
    return head + b"".join([_element(c, h, f, withvalues) for f in fields])


def _element(c: Client, h: Hash, field: bytes, withvalues: bool) -> bytes:
    """One HRANDFIELD element: the field, or field and value (a pair in RESP3)."""
    if not withvalues:
        return bulk(field)
    if c.resp3:
        return PAIR3 + bulk(field) + bulk(h[field])
    return bulk(field) + bulk(h[field])


def _mean_reply_size(h: Hash, withvalues: bool) -> float:
    """Bytes a drawn element takes in the reply, from a few random draws."""
    draws = [h.random_field() for _ in range(min(len(h), 8))]
    total = sum(len(f) + (len(h[f]) + 8 if withvalues else 0) for f in draws)
    return total / len(draws) + 8  # "$<len>\r\n...\r\n"


def hscan(c: Client, argv: list[bytes]) -> bytes:
    """HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES] -> [cursor, [field value ...]]

    Complexity: O(1) for every call. O(N) for a complete iteration.
    """
    cursor = parse_cursor(argv[2])
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_SCAN
    opts = parse_scan_options(argv, 3, allow_novalues=True)
    count, pattern, novalues = opts.count, opts.pattern, opts.novalues
    batch: Iterable[bytes]
    if not h.big:
        # Redis returns a whole listpack in one reply, in order, whatever the cursor
        nxt, batch = 0, h
    else:
        scans = h.scans
        if scans is None:
            scans = h.scans = ScanCursors()
        nxt, snap = scans.scan(h, cursor, count)
        batch = [f for f in snap if f in h]  # fields removed since the snapshot
    if pattern is not None:
        batch = filter(compile_matcher(pattern), batch)
    out: list[bytes] = []
    append = out.append
    if novalues:
        for f in batch:
            append(bulk(f))
    else:
        for f in batch:
            append(bulk(f))
            append(bulk(h[f]))
    return b"".join((b"*2\r\n", bulk(b"%d" % nxt), array_header(len(out)), *out))


# -- handlers: field TTL (Redis 7.4) ---------------------------------------------------


def _hexpire(c: Client, argv: list[bytes], seconds: bool, relative: bool, name: bytes) -> bytes:
    """The HEXPIRE family (redis ``hexpireGenericCommand``)."""
    key = argv[1]
    h = _write(c, key)
    when = _expire_time(c, argv[2], seconds, relative, name)
    cond = _CONDITIONS.get(c_option(argv[3]), 0)
    first = _fields_arg(argv, 4 if cond else 3, NUMFIELDS_EXPIRE)
    nfields = len(argv) - first
    if h is None:
        return array_header(nfields) + _CODES[_NO_FIELD] * nfields
    db, now = c.db, c.now
    out = [array_header(nfields)]
    append = out.append
    changed = deleted = 0
    for i in range(first, len(argv)):
        field = argv[i]
        if field not in h:
            append(_CODES[_NO_FIELD])
            continue
        t = h.ttl
        cur = None if t is None else t.when.get(field)
        if cond:
            # a field without TTL counts as an infinite one: XX and GT fail, LT passes
            if cur is None:
                if cond & (_XX | _GT):
                    append(_CODES[_NOT_MET])
                    continue
            elif cond == _NX or (cond == _GT and cur >= when) or (cond == _LT and cur <= when):
                append(_CODES[_NOT_MET])
                continue
        changed += 1
        if when <= now:  # a deadline already past deletes the field
            h.remove(field)
            deleted += 1
            append(_CODES[_DELETED])
        else:
            _set_deadline(db, key, h, field, when)
            append(_CODES[_SET])
    if not h:
        db.delete(key)
    db.ks.dirty += changed
    if changed:
        # one event for the command: hdel when a past deadline deleted a field
        db.changed(key, NOTIFY_HASH, b"hdel" if deleted else b"hexpire")
        if not h:
            db.notify(key, NOTIFY_GENERIC, b"del")
    return b"".join(out)


def hexpire(c: Client, argv: list[bytes]) -> bytes:
    """HEXPIRE key seconds [NX|XX|GT|LT] FIELDS numfields field [field ...] -> array of integer (-2 no field, 0 condition not met, 1 set, 2 deleted)

    Complexity: O(N) where N is the number of specified fields
    """
    return _hexpire(c, argv, True, True, b"hexpire")


def hpexpire(c: Client, argv: list[bytes]) -> bytes:
    """HPEXPIRE key milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...] -> array of integer (-2 no field, 0 condition not met, 1 set, 2 deleted)

    Complexity: O(N) where N is the number of specified fields
    """
    return _hexpire(c, argv, False, True, b"hpexpire")


def hexpireat(c: Client, argv: list[bytes]) -> bytes:
    """HEXPIREAT key unix-time-seconds [NX|XX|GT|LT] FIELDS numfields field [field ...] -> array of integer (-2 no field, 0 condition not met, 1 set, 2 deleted)

    Complexity: O(N) where N is the number of specified fields
    """
    return _hexpire(c, argv, True, False, b"hexpireat")


def hpexpireat(c: Client, argv: list[bytes]) -> bytes:
    """HPEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...] -> array of integer (-2 no field, 0 condition not met, 1 set, 2 deleted)

    Complexity: O(N) where N is the number of specified fields
    """
    return _hexpire(c, argv, False, False, b"hpexpireat")


def _httl(c: Client, argv: list[bytes], ms: bool, relative: bool) -> bytes:
    """The HTTL family (redis ``httlGenericCommand``): -2 no field, -1 no TTL."""
    h = _read(c, argv[1])
    first = _fields_arg(argv, 2, NUMFIELDS_POSITIVE)
    nfields = len(argv) - first
    if h is None:
        return array_header(nfields) + _CODES[_NO_FIELD] * nfields
    base = c.now if relative else 0
    when = h.ttl.when if h.ttl is not None else {}
    out = [array_header(nfields)]
    append = out.append
    for i in range(first, len(argv)):
        field = argv[i]
        if field not in h:
            append(_CODES[_NO_FIELD])
            continue
        w = when.get(field)
        if w is None:
            append(_CODES[_NO_TTL])
        elif ms:
            append(integer(w - base))
        else:  # seconds round up, unlike TTL's
            append(integer((w + 999 - base) // 1000))
    return b"".join(out)


def httl(c: Client, argv: list[bytes]) -> bytes:
    """HTTL key FIELDS numfields field [field ...] -> array of integer (seconds left, rounded up; -1 no TTL, -2 no field)

    Complexity: O(N) where N is the number of specified fields
    """
    return _httl(c, argv, False, True)


def hpttl(c: Client, argv: list[bytes]) -> bytes:
    """HPTTL key FIELDS numfields field [field ...] -> array of integer (milliseconds left; -1 no TTL, -2 no field)

    Complexity: O(N) where N is the number of specified fields
    """
    return _httl(c, argv, True, True)


def hexpiretime(c: Client, argv: list[bytes]) -> bytes:
    """HEXPIRETIME key FIELDS numfields field [field ...] -> array of integer (unix seconds, rounded up; -1 no TTL, -2 no field)

    Complexity: O(N) where N is the number of specified fields
    """
    return _httl(c, argv, False, False)


def hpexpiretime(c: Client, argv: list[bytes]) -> bytes:
    """HPEXPIRETIME key FIELDS numfields field [field ...] -> array of integer (unix milliseconds; -1 no TTL, -2 no field)

    Complexity: O(N) where N is the number of specified fields
    """
    return _httl(c, argv, True, False)


def hpersist(c: Client, argv: list[bytes]) -> bytes:
    """HPERSIST key FIELDS numfields field [field ...] -> array of integer (1 TTL removed, -1 no TTL, -2 no field)

    Complexity: O(N) where N is the number of specified fields
    """
    h = _write(c, argv[1])
    first = _fields_arg(argv, 2, NUMFIELDS_POSITIVE)
    nfields = len(argv) - first
    if h is None:
        return array_header(nfields) + _CODES[_NO_FIELD] * nfields
    out = [array_header(nfields)]
    append = out.append
    changed = False
    for i in range(first, len(argv)):
        field = argv[i]
        if field not in h:
            append(_CODES[_NO_FIELD])
            continue
        t = h.ttl
        if t is None or field not in t.when:
            append(_CODES[_NO_TTL])
            continue
        t.forget(h, field)
        changed = True
        append(_CODES[_SET])
    if changed:
        c.db.ks.dirty += 1
        c.db.changed(argv[1], NOTIFY_HASH, b"hpersist")
    return b"".join(out)


# -- handlers: Redis 8.0 ----------------------------------------------------------------

_HGETEX_UNITS = {
    b"ex": (True, True),
    b"px": (False, True),
    b"exat": (True, False),
    b"pxat": (False, False),
}


def hgetex(c: Client, argv: list[bytes]) -> bytes:
    """HGETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST] FIELDS numfields field [field ...] -> array of bulk | nil

    Complexity: O(N) where N is the number of specified fields
    """
    key = argv[1]
    h = _write(c, key)
    opt = c_option(argv[2])
    unit = _HGETEX_UNITS.get(opt)
    persist = opt == b"persist"
    when = 0
    at = 2
    if unit is not None:
        when = _expire_time(c, argv[3], unit[0], unit[1], b"hgetex")
        at = 4
    elif persist:
        at = 3
    if at >= len(argv):  # HGETEX k EX 10 FIELDS: nothing where numfields goes
        raise wrong_arity(b"hgetex")
    first = _fields_arg(argv, at, NUMFIELDS_POSITIVE)
    nfields = len(argv) - first
    nil = c.nil
    if h is None:
        return array_header(nfields) + nil * nfields
    db, now = c.db, c.now
    out = [array_header(nfields)]
    append = out.append
    updated = deleted = 0
    for i in range(first, len(argv)):
        field = argv[i]
        value = h.get(field)
        if value is None:
            append(nil)
            continue
        append(bulk(value))
        if persist:
            t = h.ttl
            if t is not None and field in t.when:
                t.forget(h, field)
                updated += 1
        elif unit is not None:
            if when <= now:
                h.remove(field)
                deleted += 1
            else:
                _set_deadline(db, key, h, field, when)
                updated += 1
    if not h:
        db.delete(key)
    db.ks.dirty += updated + deleted
    if updated:
        db.changed(key, NOTIFY_HASH, b"hpersist" if persist else b"hexpire")
    elif deleted:
        db.changed(key, NOTIFY_HASH, b"hdel")
    if not h:
        db.notify(key, NOTIFY_GENERIC, b"del")
    return b"".join(out)


_FNX, _FXX, _KEEPTTL = 1, 2, 4
_HSETEX_UNITS = {
    b"ex": (True, True),
    b"px": (False, True),
    b"exat": (True, False),
    b"pxat": (False, False),
}


def hsetex(c: Client, argv: list[bytes]) -> bytes:
    """HSETEX key [FNX|FXX] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL] FIELDS numfields field value [field value ...] -> integer (1 all set, 0 none set)

    Complexity: O(N) where N is the number of fields being set.
    """
    flags = 0
    when: int | None = None
    expiry = False
    first = -1
    n = len(argv)
    i = 2
    while i < n:  # redis hsetexParseArgs: the arguments before any lookup
        opt = c_option(argv[i])
        unit = _HSETEX_UNITS.get(opt)
        if opt == b"fields":
            if i >= n - 3:
                raise wrong_arity(b"hsetex")
            count = _count_arg(argv[i + 1], 1, 2**31 - 1, HSETEX_NUMFIELDS)
            remaining = n - i - 2
            if remaining % 2 or count != remaining // 2:
                raise wrong_arity(b"hsetex")
            first = i + 2
            break
        if unit is not None or opt == b"keepttl":
            if expiry:
                raise CommandError(HSETEX_ONE_EXPIRY)
            expiry = True
            if unit is None:
                flags |= _KEEPTTL
            else:
                if i >= n - 1:
                    raise CommandError(HSETEX_MISSING_EXPIRE)
                i += 1
                when = _expire_time(c, argv[i], unit[0], unit[1], b"hsetex")
        elif opt in (b"fnx", b"fxx"):
            if flags & (_FNX | _FXX):
                raise CommandError(HSETEX_ONE_CONDITION)
            flags |= _FNX if opt == b"fnx" else _FXX
        else:
            # "%s" of a C string: it ends at a NUL byte
            raise CommandError(b"ERR unknown argument: " + argv[i].split(b"\0", 1)[0])
        i += 1
    if first < 0:  # unreachable with Redis's arity; kept so that no input can slip by
        raise wrong_arity(b"hsetex")
    key = argv[1]
    h = _write(c, key)
    if flags & (_FNX | _FXX):
        fields = argv[first::2]
        if flags & _FXX:
            ok = h is not None and all(f in h for f in fields)
        else:
            ok = h is None or not any(f in h for f in fields)
        if not ok:
            return ZERO
    db = c.db
    if h is None:
        h = Hash(db.ks.fields)
        db.add(key, h)
    keep = expiry  # an expiry set below, or KEEPTTL: the old TTL is not dropped here
    _store_values(h, argv, first, keep)
    updated = deleted = 0
    if when is not None:
        now = c.now
        for j in range(first, n, 2):
            field = argv[j]
            if field not in h:
                continue  # a repeated field already deleted by a past deadline
            if when <= now:
                h.remove(field)
                deleted += 1
            else:
                _set_deadline(db, key, h, field, when)
                updated += 1
    if not h:
        db.delete(key)
    db.ks.dirty += (n - first) // 2
    db.changed(key, NOTIFY_HASH, b"hset")
    if deleted or updated:
        db.notify(key, NOTIFY_HASH, b"hdel" if deleted else b"hexpire")
    if not h:
        db.notify(key, NOTIFY_GENERIC, b"del")
    return ONE


def _store_values(h: Hash, argv: list[bytes], start: int, keep_ttl: bool) -> None:
    if not h.big and any(len(argv[i]) > MAX_LISTPACK_VALUE for i in range(start, len(argv))):
        h.big = True
    store = h.store
    for i in range(start, len(argv), 2):
        store(argv[i], argv[i + 1], keep_ttl)
    if not h.big and len(h) > MAX_LISTPACK_ENTRIES:
        h.big = True


def hgetdel(c: Client, argv: list[bytes]) -> bytes:
    """HGETDEL key FIELDS numfields field [field ...] -> array of bulk | nil

    Complexity: O(N) where N is the number of specified fields
    """
    key = argv[1]
    h = _write(c, key)
    first = _fields_arg(argv, 2, NUMFIELDS_POSITIVE)
    nfields = len(argv) - first
    nil = c.nil
    if h is None:
        return array_header(nfields) + nil * nfields
    out = [array_header(nfields)]
    append = out.append
    deleted = 0
    for i in range(first, len(argv)):
        field = argv[i]
        value = h.get(field)
        if value is None:
            append(nil)
        else:
            append(bulk(value))
            h.remove(field)
            deleted += 1
    db = c.db
    if not h:
        db.delete(key)
    if deleted:
        db.ks.dirty += deleted
        db.changed(key, NOTIFY_HASH, b"hdel")
        if not h:
            db.notify(key, NOTIFY_GENERIC, b"del")
    return b"".join(out)


# -- the table --------------------------------------------------------------------

_HASH = "hash"


def make_commands() -> list[Command]:
    # Arity, flags and key positions as Redis 7.0's command table (7.4 and 8.0
    # for the field-TTL commands).
    ro, w = READONLY, WRITE
    return [
        Command(b"HSET", hset, -4, w | DENYOOM | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HSETNX", hsetnx, 4, w | DENYOOM | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HGET", hget, 3, ro | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HMGET", hmget, -3, ro | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HMSET", hmset, -4, w | DENYOOM | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HGETALL", hgetall, 2, ro, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HDEL", hdel, -3, w | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HEXISTS", hexists, 3, ro | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HLEN", hlen, 2, ro | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HKEYS", hkeys, 2, ro, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HVALS", hvals, 2, ro, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(b"HINCRBY", hincrby, 4, w | DENYOOM | FAST, 1, 1, 1, group=_HASH, since="2.0.0"),
        Command(
            b"HINCRBYFLOAT",
            hincrbyfloat,
            4,
            w | DENYOOM | FAST,
            1,
            1,
            1,
            group=_HASH,
            since="2.6.0",
        ),
        Command(b"HSTRLEN", hstrlen, 3, ro | FAST, 1, 1, 1, group=_HASH, since="3.2.0"),
        Command(b"HRANDFIELD", hrandfield, -2, ro, 1, 1, 1, group=_HASH, since="6.2.0"),
        Command(b"HSCAN", hscan, -3, ro, 1, 1, 1, group=_HASH, since="2.8.0"),
        Command(b"HEXPIRE", hexpire, -6, w | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HPEXPIRE", hpexpire, -6, w | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HEXPIREAT", hexpireat, -6, w | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HPEXPIREAT", hpexpireat, -6, w | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HTTL", httl, -5, ro | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HPTTL", hpttl, -5, ro | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HEXPIRETIME", hexpiretime, -5, ro | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HPEXPIRETIME", hpexpiretime, -5, ro | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HPERSIST", hpersist, -5, w | FAST, 1, 1, 1, group=_HASH, since="7.4.0"),
        Command(b"HGETEX", hgetex, -5, w | FAST, 1, 1, 1, group=_HASH, since="8.0.0"),
        Command(b"HSETEX", hsetex, -6, w | DENYOOM | FAST, 1, 1, 1, group=_HASH, since="8.0.0"),
        Command(b"HGETDEL", hgetdel, -5, w | FAST, 1, 1, 1, group=_HASH, since="8.0.0"),
    ]
