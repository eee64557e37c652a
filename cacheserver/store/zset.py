"""The sorted set value (redis ``t_zset.c``'s ``zset``): a dict plus a sorted list.

A ``ZSet`` is a ``dict`` of member -> score (ZSCORE and membership in O(1))
and a ``RankedList`` (a sortedcontainers ``SortedList`` that keeps running
totals for positions, and moves a rescored member in place when it can) of
``(score, member)`` tuples in Redis's order: by score, ties by member bytes
(``memcmp``, as ``sdscmp``).  The dict value and the tuple share one float
object.  Every positional question (rank, score or lex range, the n-th
element) is a bisect or an index into the sorted list, O(log n); taking m
elements from a position costs O(log n + m).

NaN never enters: the commands reject it before it gets here, so tuples
always compare.  ``-0.0`` and ``0.0`` compare equal, so they tie by member,
as in Redis's skiplist.

Encoding: Redis keeps a small sorted set in a listpack (at most
``zset-max-listpack-entries`` members, each at most ``zset-max-listpack-value``
bytes) and converts it to a skiplist for good on the first insert that breaks
either limit.  ``big`` records that one-way switch.  A listpack stores a score
as text, and ``-0`` comes back from it as ``0``: while ``big`` is off, a zero
score is stored as ``0.0``, so replies show the scores Redis shows.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from itertools import accumulate, chain, islice
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from cacheserver.store.keyspace import ScanCursors
from cacheserver.store.memory import mean_cost

__all__ = [
    "LEX_COUNT",
    "LEX_EXCL",
    "LEX_FORWARD",
    "LEX_INCL",
    "LEX_MAX",
    "LEX_MIN",
    "LEX_REVERSE",
    "MAX_LISTPACK_ENTRIES",
    "MAX_LISTPACK_VALUE",
    "LexBound",
    "RankedList",
    "ZSet",
]

# Redis's defaults for zset-max-listpack-entries and zset-max-listpack-value
MAX_LISTPACK_ENTRIES = 128
MAX_LISTPACK_VALUE = 64

# A lex range end (redis zlexrangespec): (LEX_MIN, b"") is "-", below every
# member; (LEX_MAX, b"") is "+", above every member; (LEX_INCL, v) is "[v";
# (LEX_EXCL, v) is "(v".
LexBound = tuple[int, bytes]
LEX_MIN = 0
LEX_MAX = 1
LEX_INCL = 2
LEX_EXCL = 3

# per member beside its bytes: a (score, member) tuple (64), its float (32),
# a pointer in the sorted list's sublists with their slack (9)
_MEMBER_EXTRA = 105
_SORTED_LIST_BASE = 600
_INF = math.inf
_next_up = math.nextafter


# how a lex range is read (ZSet.lex_span): forward (ZRANGEBYLEX and
# ZREMRANGEBYLEX), in reverse (ZREVRANGEBYLEX) or counted (ZLEXCOUNT)
LEX_FORWARD, LEX_REVERSE, LEX_COUNT = 1, -1, 0


def lex_gte_min(member: bytes, bound: LexBound) -> bool:
    """redis ``zslLexValueGteMin``."""
    kind, v = bound
    if kind == LEX_INCL:
        return member >= v
    if kind == LEX_EXCL:
        return member > v
    return kind == LEX_MIN


def lex_lte_max(member: bytes, bound: LexBound) -> bool:
    """redis ``zslLexValueLteMax``."""
    kind, v = bound
    if kind == LEX_INCL:
        return member <= v
    if kind == LEX_EXCL:
        return member < v
    return kind == LEX_MAX


def lex_empty(mn: LexBound, mx: LexBound) -> bool:
    """A range that holds nothing whatever the set, as the first test of redis
    ``zslIsInLexRange`` (``sdscmplex``: "-" and "+" equal only themselves)."""
    kmin, vmin = mn
    kmax, vmax = mx
    if kmin < LEX_INCL and kmin == kmax:
        return True  # "- -" or "+ +": equal ends, both exclusive
    if kmin == LEX_MIN or kmax == LEX_MAX:
        return False
    if kmin == LEX_MAX or kmax == LEX_MIN:
        return True
    if vmin != vmax:
        return vmin > vmax
    return kmin == LEX_EXCL or kmax == LEX_EXCL


def _zero(pairs: list[tuple[float, bytes]]) -> list[tuple[float, bytes]]:
    """``pairs`` with ``-0.0`` scores made ``0.0`` (what a listpack keeps)."""
    return [(0.0, m) if s == 0.0 else (s, m) for s, m in pairs]


class RankedList(SortedList):  # type: ignore[misc]
    """A ``SortedList`` whose positions (a rank from a bisect, the n-th
    element) come from the running totals of its sublists' lengths: one list
    read instead of ``SortedList``'s walk of its index tree, about 110
    bytecodes at 100,000 members (ZRANK, ZCOUNT, ZRANGE by index or score).

    The totals are made at C speed (``accumulate``) on a positional read
    after a write, but only once the reads since the last write are at least
    a sixteenth of the number of sublists: until then the read walks the
    tree, so that writes and reads in turn on a big set do not rebuild the
    totals for every read.  Every write drops them (``_expand`` and
    ``_delete`` are where each insert and delete ends; ``_clear`` and
    ``_update`` rebuild the whole)."""

    def __init__(self, iterable: Iterable[Any] | None = None) -> None:
        self._cum: list[int] | None = None  # before SortedList.__init__, which may _update
        self._stale = 0
        super().__init__(iterable)

    def _totals(self) -> list[int] | None:
        """The running totals (``cum[pos]``: elements before sublist ``pos``), or
        None while the tree should answer."""
        self._stale += 1
        if self._stale << 4 < len(self._lists):
            return None
        self._stale = 0
        cum = self._cum = list(accumulate(map(len, self._lists), initial=0))
        return cum

    def _loc(self, pos: int, idx: int) -> int:
        if not pos:
            return idx
        cum = self._cum
        if cum is None and (cum := self._totals()) is None:
            return SortedList._loc(self, pos, idx)  # type: ignore[no-any-return]
        return cum[pos] + idx

    def _pos(self, idx: int) -> tuple[int, int]:
        cum = self._cum
        if cum is None and (cum := self._totals()) is None:
            return SortedList._pos(self, idx)  # type: ignore[no-any-return]
        n = self._len
        if idx < 0:
            idx += n
            if idx < 0:
                raise IndexError("list index out of range")
        elif idx >= n:
            raise IndexError("list index out of range")
        pos = bisect_right(cum, idx) - 1
        return pos, idx - cum[pos]

    def move(self, old: Any, new: Any) -> None:
        """Replace ``old`` (present) by ``new``.  When ``new`` sorts into the
        same sublist (a score changed by a little: ZINCRBY on a leaderboard),
        in place: the sublist's length stays, and so do the positions' tree
        and totals.  Otherwise a delete and an add, without ``remove``'s
        second search."""
        _maxes = self._maxes
        _lists = self._lists
        pos = bisect_left(_maxes, old)
        lst = _lists[pos]
        idx = bisect_left(lst, old)
        if (not pos or new > _maxes[pos - 1]) and (
            pos + 1 == len(_lists) or new < _lists[pos + 1][0]
        ):
            del lst[idx]
            insort(lst, new)
            _maxes[pos] = lst[-1]
            return
        self._delete(pos, idx)
        self.add(new)

    def _expand(self, pos: int) -> None:
        self._cum = None
        self._stale = 0
        SortedList._expand(self, pos)

    def _delete(self, pos: int, idx: int) -> None:
        self._cum = None
        self._stale = 0
        SortedList._delete(self, pos, idx)

    def _clear(self) -> None:
        self._cum = None
        SortedList._clear(self)

    clear = _clear

    def _update(self, iterable: Iterable[Any]) -> None:
        self._cum = None
        SortedList._update(self, iterable)

    update = _update


class ZSet(dict[bytes, float]):
    """A sorted set value (TYPE ``zset``): member -> score, plus ``sl``."""

    __slots__ = ("base", "big", "mem", "per", "scans", "sl", "sn")

    TYPE = b"zset"

    def __init__(self) -> None:
        super().__init__()
        self.sl: Any = RankedList()
        self.big = False  # skiplist encoding (a one-way switch)
        self.scans: ScanCursors | None = None  # ZSCAN cursors, made on first use
        # memory estimate (store/memory.py): bytes accounted; its base, bytes per element and the length at the last full estimate
        self.mem = -1
        self.base = 0
        self.per = 0
        self.sn = 0

    def mem_sample(self, k: int) -> float:
        """Mean bytes of one member: its bytes, its (score, member) tuple and
        score float, its slot in the sorted list's sublists."""
        n = len(self)
        if k <= 0 or n <= k:
            members: Any = self
        else:
            half = k >> 1
            members = chain(islice(self, half), islice(reversed(self), k - half))
        return mean_cost(members) + _MEMBER_EXTRA

    def mem_side(self) -> int:
        """The sorted list's own object, attributes and index lists."""
        return _SORTED_LIST_BASE

    @property
    def ENCODING(self) -> bytes:
        return b"skiplist" if self.big else b"listpack"

    def copy(self) -> ZSet:
        """A deep copy (COPY): members and scores are immutable."""
        z = ZSet()
        dict.update(z, self)
        z.sl = self.sl.copy()
        z.big = self.big
        return z

    # -- building -------------------------------------------------------------

    @classmethod
    def from_pairs(cls, pairs: list[tuple[float, bytes]]) -> ZSet:
        """A set of ``pairs`` (distinct members, any order) in the encoding chosen
        from the result, as redis ``zsetConvertToListpackIfNeeded`` does for the
        ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE destinations."""
        z = cls()
        z.big = len(pairs) > MAX_LISTPACK_ENTRIES or any(
            len(m) > MAX_LISTPACK_VALUE for _, m in pairs
        )
        if not z.big:
            pairs = _zero(pairs)
        dict.update(z, ((m, s) for s, m in pairs))
        z.sl = RankedList(pairs)
        return z

    @classmethod
    def from_inserts(cls, pairs: Iterable[tuple[float, bytes]]) -> ZSet:
        """A set made by inserting ``pairs`` (distinct members) one at a time into
        a new listpack that converts where Redis's would (ZRANGESTORE)."""
        z = cls()
        items = list(pairs)
        cut = len(items)  # the inserts before this index go into the listpack
        for i, (_, m) in enumerate(items):
            if i >= MAX_LISTPACK_ENTRIES or len(m) > MAX_LISTPACK_VALUE:
                cut = i
                break
        items[:cut] = _zero(items[:cut])
        z.big = cut < len(items)
        dict.update(z, ((m, s) for s, m in items))
        z.sl = RankedList(items)
        return z

    # -- single members -------------------------------------------------------

    def insert(self, member: bytes, score: float) -> None:
        """Add a member known to be absent; a listpack that would outgrow its
        limits becomes a skiplist first (redis ``zsetAdd``)."""
        if not self.big:
            if len(self) >= MAX_LISTPACK_ENTRIES or len(member) > MAX_LISTPACK_VALUE:
                self.big = True
            elif score == 0.0:
                score = 0.0  # a listpack keeps no negative zero
        self[member] = score
        self.sl.add((score, member))

    def rescore(self, member: bytes, old: float, new: float) -> None:
        """Move a member from score ``old`` to ``new`` (``new != old``)."""
        if new == 0.0 and not self.big:
            new = 0.0
        self.sl.move((old, member), (new, member))
        self[member] = new

    def discard(self, member: bytes) -> bool:
        """Remove ``member``; False if it was absent."""
        score = self.pop(member, None)
        if score is None:
            return False
        self.sl.remove((score, member))
        return True

    def rank(self, member: bytes) -> int | None:
        """The 0-based rank in ascending order, or None when absent."""
        score = self.get(member)
        if score is None:
            return None
        return int(self.sl.bisect_left((score, member)))

    # -- positions ------------------------------------------------------------

    def score_span(self, mn: float, minex: bool, mx: float, maxex: bool) -> tuple[int, int]:
        """Indexes ``[lo, hi)`` of the scores in the range (redis ``zrangespec``);
        ``lo >= hi`` when it is empty."""
        sl = self.sl
        # (s,) sorts before every (s, member), so bisect_left((s,)) is the first
        # index with a score >= s; "> s" is ">= the least double above s".
        if minex:
            lo = len(sl) if mn == _INF else sl.bisect_left((_next_up(mn, _INF),))
        else:
            lo = sl.bisect_left((mn,))
        if maxex:
            hi = sl.bisect_left((mx,))
        else:
            hi = len(sl) if mx == _INF else sl.bisect_left((_next_up(mx, _INF),))
        return lo, hi

    def lex_span(self, mn: LexBound, mx: LexBound, how: int = LEX_FORWARD) -> tuple[int, int]:
        """Indexes ``[lo, hi)`` of the members in the lex range, found as the
        command ``how`` says (a range read forward or in reverse, or counted).

        Redis's lex ranges assume equal scores; then the span is two bisects.
        With mixed scores the answer is Redis's walk (``_lex_walk``).  (For a
        big set, ZREMRANGEBYLEX's descent is Redis's only one not told first
        whether the range meets the set: where the two differ, its answer
        depends on the skiplist's levels.)"""
        sl = self.sl
        if not sl or lex_empty(mn, mx):
            return 0, 0
        first = sl[0][0]
        if first == sl[-1][0]:
            return self._lex_bisect(first, mn, mx)
        if not self.big:  # (a small set's members copied: indexed in C)
            return _lex_walk([m for _, m in sl], mn, mx, how, False)
        return _lex_walk(_Members(sl), mn, mx, how, True)

    def _lex_bisect(self, score: float, mn: LexBound, mx: LexBound) -> tuple[int, int]:
        sl = self.sl
        kind, v = mn
        if kind == LEX_MIN:
            lo = 0
        elif kind == LEX_MAX:
            lo = len(sl)
        elif kind == LEX_INCL:
            lo = sl.bisect_left((score, v))
        else:
            lo = sl.bisect_right((score, v))
        kind, v = mx
        if kind == LEX_MAX:
            hi = len(sl)
        elif kind == LEX_MIN:
            hi = 0
        elif kind == LEX_INCL:
            hi = sl.bisect_right((score, v))
        else:
            hi = sl.bisect_left((score, v))
        return lo, hi

    def span(self, lo: int, hi: int) -> list[tuple[float, bytes]]:
        """The ``(score, member)`` pairs at indexes ``[lo, hi)``, ascending."""
        if lo >= hi:
            return []
        return self.sl[lo:hi]  # type: ignore[no-any-return]

    def delete_span(self, lo: int, hi: int) -> int:
        """Remove the members at indexes ``[lo, hi)``; how many were removed."""
        if lo >= hi:
            return 0
        sl = self.sl
        for _, m in sl[lo:hi]:
            del self[m]
        del sl[lo:hi]
        return hi - lo

    def pop_span(self, count: int, from_max: bool) -> list[tuple[float, bytes]]:
        """Remove and return up to ``count`` lowest pairs, lowest first (or the
        highest, highest first)."""
        sl = self.sl
        n = len(sl)
        count = min(count, n)
        if from_max:
            lo, hi = n - count, n
            out: list[tuple[float, bytes]] = sl[lo:hi]
            out.reverse()
        else:
            lo, hi = 0, count
            out = sl[lo:hi]
        for _, m in out:
            del self[m]
        del sl[lo:hi]
        return out

    def at(self, index: int) -> tuple[float, bytes]:
        """The pair at ``index`` in ascending order."""
        return self.sl[index]  # type: ignore[no-any-return]


class _Members:
    """The members of a sorted list of ``(score, member)``, by index (no copy)."""

    __slots__ = ("sl",)

    def __init__(self, sl: Any) -> None:
        self.sl = sl

    def __len__(self) -> int:
        return len(self.sl)

    def __getitem__(self, i: int) -> bytes:
        return self.sl[i][1]  # type: ignore[no-any-return]


def _lex_walk(
    members: list[bytes] | _Members, mn: LexBound, mx: LexBound, how: int, descend: bool
) -> tuple[int, int]:
    """Redis's lex range over members whose scores differ: the first member
    >= min, then on while <= max (from the last <= max, back while >= min,
    in reverse).  A listpack finds that end by a walk; a skiplist
    (``descend``) by a descent, which depends on its random levels (a binary
    search gives one like it), and ZLEXCOUNT finds both ends so and counts
    the ranks between them (redis ``zslFirstInLexRange``,
    ``zslLastInLexRange``, ``zlexcountCommand``)."""
    n = len(members)
    if not lex_gte_min(members[-1], mn) or not lex_lte_max(members[0], mx):
        return 0, 0  # redis zzlIsInLexRange, zslIsInLexRange
    if how == LEX_REVERSE:
        last = _last_lte_max(members, mx, descend)
        lo = last
        while lo >= 0 and lex_gte_min(members[lo], mn):
            lo -= 1
        return lo + 1, last + 1
    lo = _first_gte_min(members, mn, descend)
    if how == LEX_FORWARD or not descend:  # (a listpack counts by walking)
        hi = lo
        while hi < n and lex_lte_max(members[hi], mx):
            hi += 1
        return lo, hi
    if not lex_lte_max(members[lo], mx):
        return 0, 0
    last = _last_lte_max(members, mx, descend)
    if not lex_gte_min(members[last], mn):
        return lo, n  # no last member: the count runs to the end
    return lo, last + 1


def _first_gte_min(members: list[bytes] | _Members, mn: LexBound, descend: bool) -> int:
    """The first member >= min, walking or by a binary search (the last
    member is one: the search ends before the end)."""
    if not descend:
        i = 0
        while not lex_gte_min(members[i], mn):
            i += 1
        return i
    a, b = 0, len(members)
    while a < b:
        mid = (a + b) // 2
        if lex_gte_min(members[mid], mn):
            b = mid
        else:
            a = mid + 1
    return a


def _last_lte_max(members: list[bytes] | _Members, mx: LexBound, descend: bool) -> int:
    """The last member <= max, walking back or by a binary search (the first
    member is one)."""
    if not descend:
        i = len(members) - 1
        while not lex_lte_max(members[i], mx):
            i -= 1
        return i
    a, b = 0, len(members)
    while a < b:
        mid = (a + b) // 2
        if lex_lte_max(members[mid], mx):
            a = mid + 1
        else:
            b = mid
    return a - 1
