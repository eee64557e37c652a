"""Item operations shared by the classic and the meta commands: lookup,
store (memcached ``do_store_item``), delta (``do_add_delta``), touch and
delete, over the Redis keyspace.

A key holding a Redis hash, list, set or sorted set is not an item: reads,
deletes, touches, incr/decr and the conditional stores see a miss; ``set``
replaces it (as Redis SET would) and ``add`` does not (as SET NX would not).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cacheserver.memcached.items import (
    EV_APPEND,
    EV_DECR,
    EV_DEL,
    EV_EXPIRE,
    EV_INCR,
    EV_PERSIST,
    EV_SET,
    REALTIME_MAXDELTA,
    STALE,
    TOKEN_SENT,
    item_size,
)
from cacheserver.memcached.tokens import strtoull

if TYPE_CHECKING:
    from cacheserver.memcached.connection import McConnection

# store commands (memcached NREAD_*)
SET, ADD, REPLACE, APPEND, PREPEND, CAS = range(6)

# store results (memcached enum store_item_type)
STORED, EXISTS, NOT_FOUND, NOT_STORED = range(4)

# delta results (enum delta_result_type)
DELTA_OK, NON_NUMERIC, DELTA_NOT_FOUND, DELTA_CAS_MISMATCH = range(4)

MASK64 = (1 << 64) - 1


def deadline_of(c: McConnection, exptime: int) -> int:
    """Unix ms at which an item with memcached exptime ``exptime`` expires;
    0 for never (memcached ``realtime``).

    Up to 30 days is relative, beyond is a unix time.  A negative one, or a
    unix time at or before the server started, is memcached's "1 second after
    start": already past."""
    if exptime == 0:
        return 0
    if exptime < 0:
        return c.svc.started_ms + 1000
    if exptime > REALTIME_MAXDELTA:
        when = exptime * 1000
        return when if when > c.svc.started_ms else c.svc.started_ms + 1000
    return c.now + exptime * 1000


def ttl_of(c: McConnection, key: bytes) -> int:
    """Seconds left as memcached reports them (meta ``t``): -1 for none."""
    when = c.db.expires.get(key) if c.db.expires else None
    if when is None:
        return -1
    return ttl_left(c, when)


def ttl_left(c: McConnection, when: int) -> int:
    # rounded up, so an item just stored with T100 says 100; a deadline
    # already past wraps as memcached's unsigned arithmetic does
    return (-((c.now - when) // 1000)) & 0xFFFFFFFF


def find(c: McConnection, key: bytes, touch: bool = True) -> Any:
    """The live item value of ``key`` (bytes or bytearray), or None.

    Lazy expiry as every lookup; ``touch`` records the access for LRU and
    the meta ``l`` flag.  Non-string values are misses."""
    db = c.db
    value = db.data.get(key)
    if value is None:
        return None
    if db.expires and key in db.expires and db._expire_if_due(key, c.now):
        c.stats.get_expired += 1
        return None
    cls = value.__class__
    if cls is bytes or cls is bytearray:
        if touch:
            db.access[key] = db.ks.read_mark
        return value
    return None


def read(c: McConnection, key: bytes, touch: bool = True) -> Any:
    """``find`` for the retrieval commands (get, gets, gat, gats, mg): the
    lookup is also counted under the key prefixes of metrics-key-prefixes,
    as the Redis side's reads are."""
    value = find(c, key, touch)
    ps = c.db.ks.prefix_stats
    if ps is not None:
        ps.count(key, value is not None)
    return value


def _emit(c: McConnection, key: bytes, event: tuple[int, bytes]) -> None:
    if c.db.ks.hooked:
        c.items.changed(key, event[0], event[1])


def put(
    c: McConnection,
    key: bytes,
    value: bytes,
    flags: int,
    deadline: int,
    event: tuple[int, bytes] = EV_SET,
    binary: bool = False,
) -> None:
    """Write a new item: value, expiry, flags; signal it; default side state."""
    db = c.db
    if deadline and deadline <= c.now:
        remove(c, key)  # stored already expired: nothing can read it
        return
    if db.ks.hooked:
        db.upsert(key, value)  # a 'new' event first for a new key
        if deadline:
            db.set_expire(key, deadline)
        c.items.changed(key, event[0], event[1])
        if deadline:
            db.notify(key, EV_EXPIRE[0], EV_EXPIRE[1])
    else:
        db.set(key, value)
        if deadline:
            db.set_expire(key, deadline)
    items = c.items
    if items.hooked or flags or binary:
        items.stored(key, flags, binary)
    c.stats.total_items += 1


def remove(c: McConnection, key: bytes) -> bool:
    """Delete ``key`` (whatever it holds); signal a ``del`` if it existed."""
    if not c.db.delete(key):
        c.items.forget(key)
        return False
    _emit(c, key, EV_DEL)
    c.items.forget(key)
    return True


def store(
    c: McConnection,
    comm: int,
    key: bytes,
    flags: int,
    deadline: int,
    req_cas: int,
    value: bytes,
    binary: bool = False,
    allow_stale: bool = False,
) -> int:
    """memcached ``do_store_item``: one of STORED, EXISTS, NOT_FOUND, NOT_STORED.

    ``req_cas`` non-zero is compared with the item's CAS for CAS, APPEND and
    PREPEND; with ``allow_stale`` (meta set I) an older CAS still stores,
    marking the item stale and keeping its TTL."""
    db = c.db
    stats = c.stats
    old = db.data.get(key)
    if old is not None:
        if db.expires and key in db.expires and db._expire_if_due(key, c.now, True):
            old = None
        elif old.__class__ is not bytes and old.__class__ is not bytearray:
            if comm == ADD:
                return NOT_STORED  # the key exists, as SET NX sees it
            old = None  # not an item: set replaces it, the rest miss
    items = c.items
    if old is None:
        if comm == SET or comm == ADD:
            put(c, key, value, flags, deadline, EV_SET, binary)
            return STORED
        if comm == CAS:
            stats.cas_misses += 1
            return NOT_FOUND
        return NOT_STORED
    cas_ok = True
    stale = False
    if req_cas:
        old_cas = items.get_cas(key)
        if req_cas != old_cas:
            cas_ok = False
            stale = allow_stale and req_cas < old_cas
    if comm == ADD:
        # add bumps the existing item (memcached do_item_update), fetched or not as it was
        db.access[key] = db.ks.write_mark | (db.access.get(key, 0) & 1)
        return NOT_STORED
    if comm == CAS:
        if not req_cas or (not cas_ok and not stale):
            stats.cas_badval += 1
            return EXISTS
        stats.cas_hits += 1
        if stale:
            # keeps the TTL; stale, and a win already handed out stays so
            marks = STALE | (items.marks.get(key, 0) & TOKEN_SENT if items.marks else 0)
            when = db.expires.get(key, 0) if db.expires else 0
            put(c, key, value, flags, when, EV_SET, binary)
            items.set_marks(key, marks)
            return STORED
        put(c, key, value, flags, deadline, EV_SET, binary)
        return STORED
    if comm == APPEND or comm == PREPEND:
        if not cas_ok:
            return EXISTS
        if len(old) + len(value) + _overhead(key, items.flags_of(key)) > c.svc.item_size_max:
            return NOT_STORED  # memcached cannot allocate the joined item
        joined = bytes(old) + value if comm == APPEND else value + bytes(old)
        old_flags = items.flags_of(key)
        db.set(key, joined, keepttl=True)
        _emit(c, key, EV_APPEND if comm == APPEND else EV_SET)
        items.stored(key, old_flags, key in items.binary if items.binary else False)
        stats.total_items += 1
        return STORED
    # SET, REPLACE
    put(c, key, value, flags, deadline, EV_SET, binary)
    return STORED


def _overhead(key: bytes, flags: int) -> int:
    return item_size(len(key), flags, 0)


def value_number(value: Any) -> int | None:
    """An item value as ``strtoull`` reads it (memcached ``do_add_delta``):
    the data is followed by CRLF and C stops at a NUL."""
    if value.__class__ is bytes and value.isdigit():
        v = int(value)
        return v if v <= MASK64 else None
    data = bytes(value)
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    return strtoull(data)


def delta(
    c: McConnection, key: bytes, incr: bool, amount: int, req_cas: int = 0
) -> tuple[int, bytes]:
    """memcached ``do_add_delta``: (result, new value as decimal digits)."""
    db = c.db
    old = find(c, key, touch=False)
    if old is None:
        return DELTA_NOT_FOUND, b""
    # empty, or a value memcached keeps chunked, is not a number
    if not old or len(old) + 2 > c.svc.sizes.chunk_max:
        return NON_NUMERIC, b""
    items = c.items
    if req_cas and items.get_cas(key) != req_cas:
        return DELTA_CAS_MISMATCH, b""
    v = value_number(old)
    if v is None:
        return NON_NUMERIC, b""
    stats = c.stats
    if incr:
        v = (v + amount) & MASK64
        stats.incr_hits += 1
    else:
        v = v - amount if amount < v else 0
        stats.decr_hits += 1
    res = b"%d" % v
    if len(res) <= len(old):
        # in place, space padded as memcached does: the item (flags, marks)
        # stays, with a new CAS
        new = res + b" " * (len(old) - len(res)) if len(res) < len(old) else res
        db.set(key, new, keepttl=True)
        _emit(c, key, EV_INCR if incr else EV_DECR)
        items.drop_cas(key)
    else:
        # a new, longer item: flags and TTL carried over, marks not
        flags = items.flags_of(key)
        db.set(key, res, keepttl=True)
        _emit(c, key, EV_INCR if incr else EV_DECR)
        if items.hooked or flags:
            items.stored(key, flags)
    return DELTA_OK, res


# -- read-through loads -----------------------------------------------------------


class Waiting:
    """A reply that waits for read-through loads (cacheserver.loaders): the
    connection holds the requests after it, and once ``future`` is done runs
    the command again with loading off, so it answers from what was filled."""

    __slots__ = ("future", "handler", "parts")

    def __init__(
        self, future: asyncio.Future[list[Any]], handler: Callable[..., Any], parts: list[bytes]
    ) -> None:
        self.future = future
        self.handler = handler
        self.parts = parts


def load_missed(
    c: McConnection, handler: Callable[..., Any], parts: list[bytes], keys: Iterable[bytes]
) -> Any:
    """A get/gets/mg missed ``keys``: None to answer the misses as usual, a
    ``Waiting`` while loaders fill some, or the reply of the command run again
    when a loader filled one at once (``Loaders.fetch``)."""
    loaders = c.server.loaders
    if loaders is None or loaders.no_load:
        return None
    futures: list[asyncio.Future[bytes | None]] = []
    filled = False
    index = c.db.id
    for key in keys:
        r = loaders.fetch(key, index)
        if r is None:
            continue
        if isinstance(r, bytes):
            filled = True
        else:
            futures.append(r)
    if futures:
        # every outcome kept: a failed load is the reply, not a lost exception
        return Waiting(asyncio.gather(*futures, return_exceptions=True), handler, parts)
    if filled:
        return rerun(c, handler, parts)
    return None


def rerun(c: McConnection, handler: Callable[..., Any], parts: list[bytes]) -> Any:
    """Run a command again with loading off (its keys are filled, or not)."""
    loaders = c.server.loaders
    assert loaders is not None
    loaders.no_load = True
    try:
        return handler(c, parts)
    finally:
        loaders.no_load = False


def touch(c: McConnection, key: bytes, deadline: int) -> None:
    """Give the existing item ``key`` a new expiry (0: none); flags and CAS stay."""
    db = c.db
    if deadline and deadline <= c.now:
        remove(c, key)
        return
    if deadline:
        db.set_expire(key, deadline)
        _emit(c, key, EV_EXPIRE)
    elif db.persist(key):
        _emit(c, key, EV_PERSIST)
