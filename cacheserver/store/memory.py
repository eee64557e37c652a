"""What keys and values cost in memory: estimates kept up to date in O(1) per write.

The keyspace keeps one running total, ``Keyspace.used``: for every key the
key's bytes object, its value, and for a key with a TTL its deadline entry.
The hash tables themselves (``data``, ``expires``, the LRU/LFU table, the
expiry heap, the eviction sample) are measured apart, exactly, with
``sys.getsizeof`` (``table_bytes``), since a table's size jumps at resizes
and depends on its history, not on the keys it holds now.

A bytes object of length n is counted as ``n + STR_OVERHEAD`` bytes: a
33-byte header plus the data, rounded up to pymalloc's 16-byte size classes
(larger blocks come from malloc with about the same rounding), which adds 7.5
bytes on average.  The exact rounding would cost a few more bytecodes on
every SET for a difference that averages out; with a constant, a string
write adjusts the total by the difference of the old and new lengths, the
old value read from the same dict slot.

A collection (hash, set, sorted set, list) is mutated in place by its
commands, which then call ``Database.changed``; that refreshes the
collection's estimate and adjusts the total by the difference.  A full
estimate (``collection_size``) is ``sys.getsizeof`` of the container (its
table, exact) plus the element count times the mean cost of one element
(its bytes objects and any per-element structure) from a sample of up to
``SAMPLES`` elements, plus side structures.  It is kept as ``base + n *
per``: what does not grow with the length, and bytes per element, table
share included.  A refresh in between is that line at the new length (a
few bytecodes, no call); the full estimate is taken again when the length
has doubled or halved since, and on about one write in 32 (so values that
grow in place are seen too): O(1) amortized per write, exact for small
collections.  Each collection class has the slots ``mem`` (bytes accounted
now), ``base``, ``per`` and ``sn`` (the length at the last full estimate),
and the methods ``mem_sample(k)`` (mean element cost over up to k
elements; 0 = all) and ``mem_side()`` (side structures: a random-draw
index, field TTLs).

The constants were measured against the resident set size of a fresh
process (``bench/memory_bench.py --calibrate``).
"""

from __future__ import annotations

import sys
from itertools import chain, islice
from typing import Any

__all__ = [
    "SAMPLES",
    "STR_OVERHEAD",
    "FieldNames",
    "collection_size",
    "dict_sample",
    "draws_cost",
    "key_cost",
    "mean_cost",
    "pairs_cost",
    "str_cost",
    "value_cost",
    "value_usage",
]

# elements sampled for a collection's mean element cost
SAMPLES = 8
# A bytes object beside its data: its header (33) and the mean rounding (7)
STR_OVERHEAD = 40
# A bytearray (APPEND, SETRANGE): a 56-byte object in a 64-byte block, plus its
# buffer (allocated size) and the buffer's mean rounding.
BYTEARRAY_OVERHEAD = 72

_getsizeof = sys.getsizeof


def str_cost(n: int) -> int:
    """Bytes a bytes object of length ``n`` occupies."""
    return n + STR_OVERHEAD


def key_cost(key: bytes) -> int:
    """The key's own bytes object (its table entries are measured apart)."""
    return len(key) + STR_OVERHEAD


def value_cost(value: Any) -> int:
    """What a value costs now: a string's object, a collection's current
    estimate (taken and stored on it when it has none yet)."""
    cls = value.__class__
    if cls is bytes:
        return len(value) + STR_OVERHEAD
    if cls is bytearray:
        return int(value.__alloc__()) + BYTEARRAY_OVERHEAD
    mem: int = value.mem
    if mem < 0:  # never accounted: a new collection
        mem = value.mem = collection_size(value)
    return mem


_EMPTY: dict[type, int] = {}


def collection_size(v: Any) -> int:
    """A full estimate of a collection (O(SAMPLES)); sets ``base``, ``per``
    and ``sn`` for the refreshes in between (in ``Database.changed``: the
    line through this estimate, until the length doubles or halves, or on
    about one write in 32)."""
    n = len(v)
    cls = v.__class__
    empty = _EMPTY.get(cls)
    if empty is None:
        empty = _EMPTY[cls] = _getsizeof(cls())
    size = _getsizeof(v)
    side: int = v.mem_side()
    if n:
        # the container's growth and the sampled element cost, per element
        v.per = round((size - empty) / n + v.mem_sample(SAMPLES))
    else:
        v.per = 0
    v.base = empty + side
    v.sn = n
    total: int = v.base + n * v.per
    return total


def value_usage(value: Any, samples: int) -> int:
    """MEMORY USAGE's estimate of a value: ``samples`` elements of a
    collection are looked at (0: all), nothing is cached."""
    cls = value.__class__
    if cls is bytes or cls is bytearray:
        return value_cost(value)
    n = len(value)
    avg = value.mem_sample(samples) if n else 0.0
    side: int = value.mem_side()
    return int(_getsizeof(value) + n * avg) + side


def mean_cost(items: Any) -> float:
    """Mean ``str_cost`` of an iterable of bytes objects (0.0 when empty)."""
    sizes = list(map(len, items))
    return sum(sizes) / len(sizes) + STR_OVERHEAD if sizes else 0.0


def dict_sample(d: Any, k: int) -> Any:
    """Up to ``k`` items of a dict (all when ``k`` is 0): half from each end,
    where holes left by deletions are fewest to skip."""
    n = len(d)
    if k <= 0 or n <= k:
        return d.items()
    half = k >> 1
    return chain(islice(d.items(), half), islice(reversed(d.items()), k - half))


def pairs_cost(items: Any, names: FieldNames | None = None) -> float:
    """Mean ``str_cost`` of field plus value over (field, value) pairs; a
    field name held by ``names`` costs nothing here (``FieldNames.cost``
    counts it once)."""
    total = 0
    count = 0
    get = (names or _NO_NAMES).get
    for f, v in items:
        total += len(v) + STR_OVERHEAD
        if get(f) is not f:
            total += len(f) + STR_OVERHEAD
        count += 1
    return total / count if count else 0.0


class FieldNames(dict[bytes, bytes]):
    """Hash field names of one keyspace, one object each for every small hash
    that uses it: hashes shaped like records (user:1, user:2... with the same
    fields) would otherwise hold a copy of each name per hash, 40 bytes and
    more each.  Only a hash's first 512 fields (hash-max-listpack-entries'
    default) share their names: past that a hash is a map whose fields are
    its own.  Bounded: names of up to ``SHARED_LEN`` bytes, ``SHARED_MAX`` of
    them; past that a new name is stored as it came.  Emptied by FLUSHALL."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0  # the names' str_cost, summed

    def share(self, f: bytes) -> bytes:
        """The shared object for the name ``f`` (``f`` itself, made shared if
        there is room, or left alone)."""
        s = self.get(f)
        if s is not None:
            return s
        if len(f) <= SHARED_LEN and len(self) < SHARED_MAX and f.__class__ is bytes:
            self[f] = f
            self.size += len(f) + STR_OVERHEAD
        return f

    def cost(self) -> int:
        """The table and its names."""
        return _getsizeof(self) + self.size

    def clear(self) -> None:
        super().clear()
        self.size = 0


SHARED_LEN = 64
SHARED_MAX = 65_536
_NO_NAMES: dict[bytes, bytes] = {}


def draws_cost(arr: list[bytes] | None, grave: Any) -> int:
    """A random-draw index (store/sampling.py): its list, and its tombstones."""
    if arr is None:
        return 0
    return _getsizeof(arr) + (_getsizeof(grave) if grave else 0)
