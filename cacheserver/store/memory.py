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
collection's estimate and adjusts the total by the difference.  The estimate
is ``sys.getsizeof`` of the container (its table, exact, O(1)) plus the
element count times the mean cost of one element (the element's bytes
objects and any per-element structure).  The mean comes from a sample of up
to ``SAMPLES`` elements, taken again when the length has doubled or halved
since the last sample and otherwise at random one refresh in
``1/RESAMPLE``: O(1) amortized per write, exact for small collections.
Each collection class has the slots ``mem`` (bytes accounted now), ``avg``
(the sampled mean) and ``sn`` (the length at the last sample), and the
methods ``mem_sample(k)`` (mean element cost over up to k elements; 0 = all)
and ``mem_side()`` (side structures: a random-draw index, field TTLs).

The constants were measured against the resident set size of a fresh
process (``bench/memory_bench.py --calibrate``).
"""

from __future__ import annotations

import random
import sys
from itertools import chain, islice
from typing import Any

__all__ = [
    "RESAMPLE",
    "SAMPLES",
    "STR_OVERHEAD",
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
# chance that a refresh samples again although the length has not doubled or halved
RESAMPLE = 1 / 16
# A bytes object beside its data: its header (33) and the mean rounding (7)
STR_OVERHEAD = 40
# A bytearray (APPEND, SETRANGE): a 56-byte object in a 64-byte block, plus its
# buffer (allocated size) and the buffer's mean rounding.
BYTEARRAY_OVERHEAD = 72

_getsizeof = sys.getsizeof
_random = random.random


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


def collection_size(v: Any) -> int:
    """The estimate of a collection, sampling again when due (O(1) amortized)."""
    n = len(v)
    sn = v.sn
    if n >= sn << 1 or n << 1 <= sn or _random() < RESAMPLE:
        v.avg = v.mem_sample(SAMPLES) if n else 0.0
        v.sn = n
    side: int = v.mem_side()
    return int(_getsizeof(v) + n * v.avg) + side


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


def pairs_cost(items: Any) -> float:
    """Mean ``str_cost`` of field plus value over (field, value) pairs."""
    total = 0
    count = 0
    for f, v in items:
        total += len(f) + len(v)
        count += 1
    return total / count + 2 * STR_OVERHEAD if count else 0.0


def draws_cost(arr: list[bytes] | None, grave: Any) -> int:
    """A random-draw index (store/sampling.py): its list, and its tombstones."""
    if arr is None:
        return 0
    return _getsizeof(arr) + (_getsizeof(grave) if grave else 0)
