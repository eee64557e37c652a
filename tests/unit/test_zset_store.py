"""The ZSet value: dict and sorted list in step, encodings, spans, and O(log n) operations."""

from __future__ import annotations

import bisect
import math
import random

import pytest

from cacheserver.store.zset import (
    LEX_EXCL,
    LEX_INCL,
    LEX_MAX,
    LEX_MIN,
    LEX_REVERSE,
    MAX_LISTPACK_ENTRIES,
    MAX_LISTPACK_VALUE,
    LexBound,
    RankedList,
    ZSet,
    lex_empty,
)
from helpers import Harness

INF = math.inf


def check(z: ZSet) -> None:
    """The dict and the sorted list hold the same pairs, in Redis's order."""
    pairs = list(z.sl)
    assert len(pairs) == len(z)
    assert pairs == sorted((s, m) for m, s in z.items())
    for s, m in pairs:
        assert z[m] == s
    if not z.big:
        assert len(z) <= MAX_LISTPACK_ENTRIES
        assert all(len(m) <= MAX_LISTPACK_VALUE for m in z)
        assert all(math.copysign(1, s) > 0 for s in z.values() if s == 0)


def make(*pairs: tuple[float, bytes]) -> ZSet:
    z = ZSet()
    for s, m in pairs:
        z.insert(m, s)
    return z


def test_insert_rescore_discard_rank() -> None:
    z = make((2.0, b"b"), (1.0, b"a"), (2.0, b"a2"), (-INF, b"lo"), (INF, b"hi"))
    check(z)
    assert [m for _, m in z.sl] == [b"lo", b"a", b"a2", b"b", b"hi"]
    assert z.rank(b"a2") == 2 and z.rank(b"hi") == 4 and z.rank(b"nope") is None
    z.rescore(b"lo", -INF, 5.0)
    check(z)
    assert z.rank(b"lo") == 3
    assert z.discard(b"a") and not z.discard(b"a")
    check(z)
    assert z.at(0) == (2.0, b"a2") and z.at(-1) == (INF, b"hi")
    assert z.TYPE == b"zset"


def test_ties_by_member_bytes() -> None:
    members = [b"b", b"a", b"", b"\x00", b"\xff", b"A", b"aa", b"a\x00"]
    z = make(*((1.0, m) for m in members))
    assert [m for _, m in z.sl] == sorted(members)
    check(z)


def test_random_operations_against_a_model() -> None:
    rng = random.Random(7)
    z = ZSet()
    model: dict[bytes, float] = {}
    scores = [0.0, 1.0, -1.0, 1.5, INF, -INF, 2.0, 1e-300]
    for _ in range(3000):
        m = b"m%d" % rng.randrange(60)
        op = rng.random()
        if op < 0.5:
            s = rng.choice(scores)
            if m in model:
                if s != model[m]:
                    z.rescore(m, model[m], s)
                    model[m] = s
            else:
                z.insert(m, s)
                model[m] = s
        elif op < 0.8:
            assert z.discard(m) == (model.pop(m, None) is not None)
        else:
            want = sorted((s, k) for k, s in model.items())
            assert z.rank(m) == (want.index((model[m], m)) if m in model else None)
    check(z)
    assert dict(z) == model


def test_listpack_limits_and_conversion_is_one_way() -> None:
    z = make(*((float(i), b"m%d" % i) for i in range(MAX_LISTPACK_ENTRIES)))
    assert z.ENCODING == b"listpack"
    z.insert(b"one-more", 0.5)
    assert z.ENCODING == b"skiplist" and z.big
    for i in range(MAX_LISTPACK_ENTRIES):
        z.discard(b"m%d" % i)
    assert len(z) == 1 and z.ENCODING == b"skiplist"
    v = make((1.0, b"x" * MAX_LISTPACK_VALUE))
    assert v.ENCODING == b"listpack"
    v.insert(b"y" * (MAX_LISTPACK_VALUE + 1), 2.0)
    assert v.ENCODING == b"skiplist"
    check(z)
    check(v)


def test_negative_zero_is_zero_in_a_listpack_only() -> None:
    z = make((-0.0, b"a"))
    assert math.copysign(1, z[b"a"]) == 1 and math.copysign(1, z.at(0)[0]) == 1
    z.rescore(b"a", 0.0, 1.0)
    z.rescore(b"a", 1.0, -0.0)
    assert math.copysign(1, z[b"a"]) == 1
    z.insert(b"x" * 65, -0.0)  # converts first: this one keeps its sign
    assert z.big and math.copysign(1, z[b"x" * 65]) == -1
    z.insert(b"b", -0.0)
    assert math.copysign(1, z[b"b"]) == -1
    assert [m for _, m in z.sl] == [b"a", b"b", b"x" * 65]  # -0 and 0 tie by member
    check(z)


def test_from_pairs_encoding_from_the_result() -> None:
    small = ZSet.from_pairs([(-0.0, b"a"), (2.0, b"b"), (1.0, b"c")])
    assert small.ENCODING == b"listpack" and [m for _, m in small.sl] == [b"a", b"c", b"b"]
    assert math.copysign(1, small[b"a"]) == 1
    check(small)
    long = ZSet.from_pairs([(-0.0, b"a"), (1.0, b"x" * 65)])
    assert long.ENCODING == b"skiplist" and math.copysign(1, long[b"a"]) == -1
    many = ZSet.from_pairs([(float(i), b"%d" % i) for i in range(MAX_LISTPACK_ENTRIES + 1)])
    assert many.ENCODING == b"skiplist"
    check(many)


def test_from_inserts_converts_where_redis_would() -> None:
    # inserted in this order: "a" goes into the listpack (its -0 becomes 0),
    # the long member converts, "b" then keeps its sign
    z = ZSet.from_inserts([(-0.0, b"a"), (1.0, b"x" * 65), (-0.0, b"b")])
    assert z.big
    assert math.copysign(1, z[b"a"]) == 1 and math.copysign(1, z[b"b"]) == -1
    check(z)
    fits = ZSet.from_inserts([(float(i), b"%d" % i) for i in range(MAX_LISTPACK_ENTRIES)])
    assert fits.ENCODING == b"listpack"
    over = ZSet.from_inserts([(float(i), b"%d" % i) for i in range(MAX_LISTPACK_ENTRIES + 1)])
    assert over.ENCODING == b"skiplist"
    assert ZSet.from_inserts([]).ENCODING == b"listpack"


def test_copy_is_deep_and_keeps_the_encoding() -> None:
    z = make((1.0, b"a"), (2.0, b"x" * 65))
    c = z.copy()
    assert c.__class__ is ZSet and c == z and c.big
    c.insert(b"b", 3.0)
    c.discard(b"a")
    assert b"a" in z and b"b" not in z and len(z.sl) == 2
    check(z)
    check(c)


SCORES = [-INF, -2.0, -1.0, -0.0, 0.0, 1e-300, 1.0, 1.0, 1.5, 2.0, 1e308, INF]


def test_score_span_matches_a_filter() -> None:
    z = make(*((s, b"m%d" % i) for i, s in enumerate(SCORES)))
    pairs = list(z.sl)
    ends = [-INF, -2.0, -1.5, -0.0, 0.0, 1e-300, 1.0, 1.2, 2.0, 1e308, INF]
    for mn in ends:
        for mx in ends:
            for minex in (False, True):
                for maxex in (False, True):
                    lo, hi = z.score_span(mn, minex, mx, maxex)
                    got = pairs[lo:hi] if hi > lo else []
                    want = [
                        (s, m)
                        for s, m in pairs
                        if (s > mn if minex else s >= mn) and (s < mx if maxex else s <= mx)
                    ]
                    assert got == want, (mn, minex, mx, maxex)


def _lex_filter(members: list[bytes], mn: LexBound, mx: LexBound) -> list[bytes]:
    def gte(m: bytes) -> bool:
        k, v = mn
        return {LEX_MIN: True, LEX_MAX: False, LEX_INCL: m >= v, LEX_EXCL: m > v}[k]

    def lte(m: bytes) -> bool:
        k, v = mx
        return {LEX_MIN: False, LEX_MAX: True, LEX_INCL: m <= v, LEX_EXCL: m < v}[k]

    return [m for m in members if gte(m) and lte(m)]


BOUNDS: list[LexBound] = [
    (LEX_MIN, b""), (LEX_MAX, b""), (LEX_INCL, b""), (LEX_EXCL, b""), (LEX_INCL, b"a"),
    (LEX_EXCL, b"a"), (LEX_INCL, b"b\x00"), (LEX_EXCL, b"c"), (LEX_INCL, b"zz"), (LEX_EXCL, b"\xff"),
]


def test_lex_span_with_equal_scores_matches_a_filter() -> None:
    members = [b"", b"\x00", b"a", b"aa", b"b", b"b\x00", b"c", b"\xff"]
    for big in (False, True):
        z = make(*((7.0, m) for m in members))
        if big:
            z.insert(b"x" * 65, 7.0)
        ordered = [m for _, m in z.sl]
        for mn in BOUNDS:
            for mx in BOUNDS:
                lo, hi = z.lex_span(mn, mx)
                got = ordered[lo:hi] if hi > lo else []
                assert got == _lex_filter(ordered, mn, mx), (mn, mx)


def test_lex_span_mixed_scores_walks_like_a_listpack() -> None:
    z = make((1.0, b"b"), (2.0, b"a"), (3.0, b"d"), (0.0, b"c"))  # order: c b a d
    incl = LEX_INCL
    assert z.lex_span((incl, b"b"), (incl, b"c")) == (0, 3)  # c, b, a: stops at d
    lo, hi = z.lex_span((incl, b"b"), (incl, b"c"), LEX_REVERSE)  # from d: a <= c but a < b
    assert lo >= hi
    assert z.lex_span((LEX_EXCL, b"c"), (LEX_MAX, b"")) == (3, 4)
    assert z.lex_span((incl, b"a"), (LEX_MAX, b""), LEX_REVERSE) == (0, 4)


def test_lex_empty() -> None:
    mn, mx, i, e = (LEX_MIN, b""), (LEX_MAX, b""), LEX_INCL, LEX_EXCL
    assert lex_empty(mn, mn) and lex_empty(mx, mx) and lex_empty(mx, mn)
    assert not lex_empty(mn, mx)
    assert not lex_empty((i, b"a"), (i, b"a"))
    assert lex_empty((e, b"a"), (i, b"a")) and lex_empty((i, b"a"), (e, b"a"))
    assert lex_empty((i, b"b"), (i, b"a")) and not lex_empty((i, b"a"), (i, b"b"))
    assert lex_empty((i, b"a"), mn) and lex_empty(mx, (i, b"a"))


def test_spans_pops_and_deletes() -> None:
    z = make(*((float(i), b"m%02d" % i) for i in range(10)))
    assert z.span(2, 4) == [(2.0, b"m02"), (3.0, b"m03")] and z.span(5, 5) == []
    assert z.pop_span(2, False) == [(0.0, b"m00"), (1.0, b"m01")]
    assert z.pop_span(3, True) == [(9.0, b"m09"), (8.0, b"m08"), (7.0, b"m07")]
    assert z.delete_span(1, 3) == 2 and z.delete_span(3, 3) == 0
    assert [m for _, m in z.sl] == [b"m02", b"m05", b"m06"]
    assert z.pop_span(100, False) == [(2.0, b"m02"), (5.0, b"m05"), (6.0, b"m06")]
    assert not z and not z.sl
    check(z)


# -- cost of single operations on a big set --------------------------------------------------

COMPARES = 0


class Counted(bytes):
    """A member whose every comparison is counted (equal scores compare members)."""

    __hash__ = bytes.__hash__

    def _count(self) -> None:
        global COMPARES
        COMPARES += 1

    def __lt__(self, other: object) -> bool:
        self._count()
        return bytes.__lt__(self, other)  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        self._count()
        return bytes.__le__(self, other)  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        self._count()
        return bytes.__gt__(self, other)  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        self._count()
        return bytes.__ge__(self, other)  # type: ignore[operator]

    def __eq__(self, other: object) -> bool:
        self._count()
        return bytes.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._count()
        return bytes.__ne__(self, other)


def _compares_per_operation(n: int) -> list[int]:
    """Member comparisons made by each single operation (on the value, then
    through the commands) on a set of ``n`` members that all have the same
    score, so that every step of a search compares members."""
    global COMPARES
    z = ZSet.from_pairs([(0.0, Counted(b"m%07d" % i)) for i in range(0, 2 * n, 2)])
    h = Harness()
    h.server.keyspace.dbs[0].add(b"big", z)
    odd = b"m%07d" % (n | 1)
    counts = []
    for op in (
        lambda: z.insert(odd, 0.0),  # a new member in the middle
        lambda: z.rank(odd),
        lambda: z.rescore(b"m%07d" % 4, 0.0, 1.0),
        lambda: z.lex_span((LEX_INCL, b"m%07d" % (n // 2)), (LEX_EXCL, b"m%07d" % n)),
        lambda: z.span(n // 2, n // 2 + 10),
        lambda: z.discard(odd),
        lambda: z.pop_span(1, True),
        lambda: h.run("ZADD", "big", "0", odd),
        lambda: h.run("ZRANK", "big", odd),
        lambda: h.run("ZSCORE", "big", odd),
        lambda: h.run("ZREM", "big", odd),
        lambda: h.run("ZADD", "big", "INCR", "0", odd),
        lambda: h.run("ZRANGE", "big", "0", "9", "WITHSCORES"),
        lambda: h.run("ZRANGEBYLEX", "big", "[m0000100", "+", "LIMIT", "0", "5"),
        lambda: h.run("ZPOPMIN", "big"),
    ):
        COMPARES = 0
        op()
        counts.append(COMPARES)
    assert len(z) == n - 1
    return counts


def test_single_operations_on_a_million_members_are_logarithmic() -> None:
    """Each operation makes a few dozen comparisons at 1,000 members and not
    many more at 1,000,000: it never walks or copies the whole set."""
    small = _compares_per_operation(1000)
    big = _compares_per_operation(1_000_000)
    for s, b in zip(small, big, strict=True):
        assert b <= 2 * s + 40, (small, big)
        assert b < 200, (small, big)


def test_ranked_list_positions_match_a_plain_list() -> None:
    """RankedList's positions (from its running totals or, between writes,
    from SortedList's tree) and its moves against a sorted Python list, over
    random writes and reads with many small sublists."""
    rnd = random.Random(7)
    for load in (4, 16):
        sl = RankedList()
        sl._reset(load)
        ref: list[int] = []
        for step in range(4000):
            op = rnd.random()
            if op < 0.35 or not ref:
                v = rnd.randrange(500)
                sl.add(v)
                ref.append(v)
                ref.sort()
            elif op < 0.45:
                v = rnd.choice(ref)
                sl.remove(v)
                ref.remove(v)
            elif op < 0.5:
                i = rnd.randrange(-len(ref), len(ref))
                assert sl.pop(i) == ref.pop(i)
            elif op < 0.6:  # a small change (often in place) or a jump
                old = rnd.choice(ref)
                new = old + rnd.choice((-2, -1, 1, 2, rnd.randrange(-500, 500)))
                sl.move(old, new)
                ref.remove(old)
                ref.append(new)
                ref.sort()
            elif op < 0.52:
                a, b = sorted(rnd.randrange(len(ref) + 1) for _ in range(2))
                del sl[a:b]
                del ref[a:b]
            elif op < 0.53:
                more = [rnd.randrange(500) for _ in range(rnd.randrange(50))]
                sl.update(more)
                ref = sorted(ref + more)
            else:  # reads: bursts of them let the totals be built
                for _ in range(rnd.randrange(1, 40)):
                    v = rnd.randrange(-5, 505)
                    assert sl.bisect_left(v) == bisect.bisect_left(ref, v)
                    assert sl.bisect_right(v) == bisect.bisect_right(ref, v)
                    i = rnd.randrange(-len(ref), len(ref))
                    assert sl[i] == ref[i]
                    a, b = sorted(rnd.randrange(-len(ref) - 2, len(ref) + 2) for _ in range(2))
                    assert sl[a:b] == ref[a:b]
            assert len(sl) == len(ref)
            if step % 500 == 0:
                assert list(sl) == ref
                sl._check()
        for bad in (len(ref), -len(ref) - 1):
            with pytest.raises(IndexError):
                sl[bad]
        sl.clear()
        assert sl.bisect_left(3) == 0 and list(sl) == []
