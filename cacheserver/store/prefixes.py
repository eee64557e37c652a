"""Keyspace hits and misses per key prefix (``metrics-key-prefixes``).

Without prefixes the databases are plain ``Database`` objects and nothing is
counted: the read path is exactly what it was.  With prefixes every database
becomes a ``CountingDatabase`` (same slots, so its class can be switched in
place), whose read lookups run the plain ones and then count the key under
each configured prefix it starts with.  Counted are the lookups that count
``keyspace_hits`` / ``keyspace_misses``, so the prefixes split those totals,
and the memcached listener's retrievals (``memcached/ops.read``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.errors import WrongType
from cacheserver.store.keyspace import Database, Str, Value

if TYPE_CHECKING:
    from cacheserver.store.keyspace import Keyspace

__all__ = ["CountingDatabase", "PrefixStats", "set_prefixes"]


class PrefixStats:
    """Hits and misses per prefix; a key counts under every prefix it starts with."""

    __slots__ = ("any", "hits", "lengths", "misses", "prefixes")

    def __init__(self, prefixes: list[bytes]) -> None:
        self.prefixes = list(dict.fromkeys(prefixes))
        self.any = tuple(self.prefixes)  # one C-level startswith for keys of no prefix
        self.lengths = sorted({len(p) for p in self.prefixes})
        self.hits = dict.fromkeys(self.prefixes, 0)
        self.misses = dict.fromkeys(self.prefixes, 0)

    def count(self, key: bytes, hit: bool) -> None:
        if not key.startswith(self.any):
            return
        counts = self.hits if hit else self.misses
        for n in self.lengths:
            p = key[:n]
            if p in counts:
                counts[p] += 1

    def reset(self) -> None:
        """CONFIG RESETSTAT."""
        for p in self.prefixes:
            self.hits[p] = self.misses[p] = 0


class CountingDatabase(Database):
    """A Database whose counted read lookups also count per prefix."""

    __slots__ = ()

    def get(self, key: bytes, now: int) -> Value | None:
        value = Database.get(self, key, now)
        self.ks.prefix_stats.count(key, value is not None)  # type: ignore[union-attr]
        return value

    def get_str(self, key: bytes, now: int) -> Str | None:
        try:
            value = Database.get_str(self, key, now)
        except WrongType:  # counted as a hit, as keyspace_hits
            self.ks.prefix_stats.count(key, True)  # type: ignore[union-attr]
            raise
        self.ks.prefix_stats.count(key, value is not None)  # type: ignore[union-attr]
        return value

    def get_notouch(self, key: bytes, now: int) -> Value | None:
        value = Database.get_notouch(self, key, now)
        self.ks.prefix_stats.count(key, value is not None)  # type: ignore[union-attr]
        return value


def set_prefixes(ks: Keyspace, prefixes: list[bytes]) -> None:
    """Count per ``prefixes`` from now on (counts of prefixes kept stay), or
    stop counting when the list is empty."""
    if not prefixes:
        ks.prefix_stats = None
        for db in ks.dbs:
            db.__class__ = Database
        return
    old = ks.prefix_stats
    stats = PrefixStats(prefixes)
    if old is not None:
        for p in stats.prefixes:
            stats.hits[p] = old.hits.get(p, 0)
            stats.misses[p] = old.misses.get(p, 0)
    ks.prefix_stats = stats
    for db in ks.dbs:
        db.__class__ = CountingDatabase
