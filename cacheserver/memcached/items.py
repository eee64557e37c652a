"""Memcached items over the Redis keyspace, and the per-item state memcached
keeps beside the value.

An item *is* a string value (``bytes``) in one database's ``data`` dict, its
expiry the ``expires`` entry: Redis GET sees it, a TTL set on one side is
seen on the other.  What memcached keeps per item and Redis does not (client
flags, the CAS unique, the stale and win marks of the meta protocol, the
"fetched" bit, a key stored in base64 form) lives in ``Items``, and only where
it is not the default: flags 0 and no CAS handed out cost nothing, so a
Redis-only workload never pays for it.

A write over the Redis protocol makes a new item: flags back to 0, a new CAS,
no marks.  ``Items`` hears of it through a keyspace modified hook, registered
with a flush hook, only while it holds any state (``Keyspace.hooked`` stays
false otherwise).  Memcached's own writes signal the change first
(``Items.changed``, which the hook ignores) and then set their state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_STRING

if TYPE_CHECKING:
    from cacheserver.store.keyspace import Database

__all__ = [
    "KEY_MAX",
    "REALTIME_MAXDELTA",
    "STALE",
    "TOKEN_SENT",
    "Items",
    "SizeClasses",
    "item_size",
]

KEY_MAX = 250  # memcached KEY_MAX_LENGTH
REALTIME_MAXDELTA = 60 * 60 * 24 * 30  # exptimes above this are unix times

# marks of the meta protocol (memcached ITEM_STALE, ITEM_TOKEN_SENT)
STALE = 1
TOKEN_SENT = 2

# memcached's item header and CAS field on a 64-bit build (sizeof(item), the
# uint64_t CAS): used for the sizes memcached reports (``me`` size=, slab
# classes, "object too large")
ITEM_HEADER = 48
CAS_SIZE = 8


def item_size(nkey: int, flags: int, nvalue: int) -> int:
    """Bytes memcached's item would take (``ITEM_ntotal``): header, key and
    its NUL, 4 bytes of flags when non-zero, value and CRLF, CAS."""
    return ITEM_HEADER + nkey + 1 + (4 if flags else 0) + nvalue + 2 + CAS_SIZE


class SizeClasses:
    """memcached's slab classes for the default growth factor 1.25 and 48-byte
    chunk minimum (``slabs_init``), so ``stats slabs``/``stats items`` and
    ``me`` name the class an item of that size would live in."""

    __slots__ = ("chunk_max", "sizes")

    def __init__(self, item_size_max: int, factor: float = 1.25, chunk_size: int = 48) -> None:
        # memcached's slab_chunk_max: half a 1 MB page, less for a smaller -I
        self.chunk_max = min(item_size_max // 2, 512 * 1024)
        sizes = [0]
        size = ITEM_HEADER + chunk_size
        while len(sizes) < 63 and size < self.chunk_max / factor:
            if size % 8:
                size += 8 - size % 8
            sizes.append(size)
            size = int(size * factor)
        sizes.append(self.chunk_max)
        self.sizes = sizes

    def class_of(self, ntotal: int) -> int:
        """The class id for an item of ``ntotal`` bytes (the largest class
        holds items chunked across several of its chunks)."""
        sizes = self.sizes
        lo, hi = 1, len(sizes) - 1
        if ntotal > sizes[hi]:
            return hi
        while lo < hi:
            mid = (lo + hi) // 2
            if sizes[mid] < ntotal:
                lo = mid + 1
            else:
                hi = mid
        return lo


class Items:
    """The non-default per-item state of the memcached database."""

    __slots__ = (
        "binary",
        "busy",
        "cas",
        "db",
        "fetched",
        "flags",
        "hooked",
        "ks",
        "marks",
        "next_cas",
        "track_fetch",
    )

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ks = db.ks
        self.flags: dict[bytes, int] = {}  # non-zero client flags
        self.cas: dict[bytes, int] = {}  # CAS uniques handed out
        self.marks: dict[bytes, int] = {}  # STALE | TOKEN_SENT
        # keys read since stored (memcached ITEM_FETCHED), kept once a client
        # asked for it (mg h, me): most workloads never do
        self.fetched: set[bytes] = set()
        self.track_fetch = False
        self.binary: set[bytes] = set()  # keys stored with the meta b flag
        self.next_cas = 0  # memcached get_cas_id(): one 64-bit counter
        self.hooked = False  # the modified hook is registered (any state held)
        self.busy: bytes | None = None  # the key memcached itself is changing

    def close(self) -> None:
        """Stop listening to the keyspace (server stop)."""
        if self.hooked:
            self.ks.remove_modified_hook(self._on_modified)
            self.ks.remove_flush_hook(self._on_flush)
            self.hooked = False

    # -- hooks -----------------------------------------------------------------

    def _rehook(self) -> None:
        # both hooks only while some state is held: Keyspace.hooked stays
        # false and the flush hooks empty for a Redis-only workload
        held = bool(self.flags or self.cas or self.marks or self.fetched or self.binary)
        if held != self.hooked:
            self.hooked = held
            if held:
                self.ks.add_modified_hook(self._on_modified)
                self.ks.add_flush_hook(self._on_flush)
            else:
                self.ks.remove_modified_hook(self._on_modified)
                self.ks.remove_flush_hook(self._on_flush)

    def _on_modified(self, db: Database, key: bytes) -> None:
        # a write, delete or expiry from anywhere but memcached's own commands
        if db is self.db and key != self.busy:
            self.forget(key)

    def _on_flush(self, db: Database, replaced_with: Database | None) -> None:
        # FLUSHDB, FLUSHALL, SWAPDB: every item of the database is new or gone
        if db is self.db or replaced_with is self.db:
            self.flags.clear()
            self.cas.clear()
            self.marks.clear()
            self.fetched.clear()
            self.binary.clear()
            if self.hooked:
                self._rehook()

    def changed(self, key: bytes, cls: int, event: bytes) -> None:
        """Signal memcached's own write of ``key`` (WATCH, tracking,
        notifications) without dropping the state it is about to set."""
        self.busy = key
        try:
            self.db.changed(key, cls, event)
        finally:
            self.busy = None

    # -- state -------------------------------------------------------------------

    def forget(self, key: bytes) -> None:
        """``key`` is a new item (or none): default state."""
        if not self.hooked:
            return
        self.flags.pop(key, None)
        self.cas.pop(key, None)
        self.marks.pop(key, None)
        self.fetched.discard(key)
        self.binary.discard(key)
        if not (self.flags or self.cas or self.marks or self.fetched or self.binary):
            self._rehook()

    def stored(self, key: bytes, flags: int, binary: bool = False) -> None:
        """State of a freshly stored item: flags, base64 key form."""
        if self.hooked:
            self.forget(key)
        if flags:
            self.flags[key] = flags
        if binary:
            self.binary.add(key)
        if (flags or binary) and not self.hooked:
            self._rehook()

    def get_cas(self, key: bytes) -> int:
        """The item's CAS unique, handed out on first request."""
        cas = self.cas.get(key)
        if cas is None:
            cas = self.new_cas(key)
        return cas

    def new_cas(self, key: bytes) -> int:
        """A fresh CAS unique for ``key`` (a modification that keeps the item)."""
        self.next_cas = cas = (self.next_cas + 1) & 0xFFFFFFFFFFFFFFFF or 1
        self.cas[key] = cas
        if not self.hooked:
            self._rehook()
        return cas

    def set_cas(self, key: bytes, cas: int) -> None:
        """A CAS unique the client chose (meta E)."""
        self.cas[key] = cas
        if not self.hooked:
            self._rehook()

    def drop_cas(self, key: bytes) -> None:
        """The item changed in place: its next CAS is a new one."""
        if self.cas:
            self.cas.pop(key, None)

    def set_marks(self, key: bytes, marks: int) -> None:
        if marks:
            self.marks[key] = marks
            if not self.hooked:
                self._rehook()
        elif self.marks:
            self.marks.pop(key, None)

    def mark_fetched(self, key: bytes) -> None:
        self.fetched.add(key)
        if not self.hooked:
            self._rehook()

    def flags_of(self, key: bytes) -> int:
        return self.flags.get(key, 0) if self.flags else 0

    def counts(self) -> dict[str, int]:
        """Entries held, for tests and debugging."""
        return {
            "flags": len(self.flags),
            "cas": len(self.cas),
            "marks": len(self.marks),
            "fetched": len(self.fetched),
            "binary": len(self.binary),
        }

    # -- iteration for stats ---------------------------------------------------

    def iter_items(self, now: int) -> Iterator[tuple[bytes, Any]]:
        """Live string items (key, value); expired ones are skipped, not deleted."""
        expires = self.db.expires
        for key, value in self.db.data.items():
            if value.__class__ is not bytes and value.__class__ is not bytearray:
                continue
            if expires:
                when = expires.get(key)
                if when is not None and when <= now:
                    continue
            yield key, value


# event names of memcached's writes, as the Redis command with the same
# effect names them (keyspace notifications)
EV_SET = (NOTIFY_STRING, b"set")
EV_APPEND = (NOTIFY_STRING, b"append")
EV_INCR = (NOTIFY_STRING, b"incrby")
EV_DECR = (NOTIFY_STRING, b"decrby")
EV_DEL = (NOTIFY_GENERIC, b"del")
EV_EXPIRE = (NOTIFY_GENERIC, b"expire")
EV_PERSIST = (NOTIFY_GENERIC, b"persist")
