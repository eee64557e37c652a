"""Sorted set commands (redis ``t_zset.c``, as Redis 7.0; ZRANK WITHSCORE as 7.2).

A sorted set is a ``ZSet`` (``cacheserver.store.zset``): a dict of member ->
score and a sorted list of ``(score, member)``, so ranks, ranges and
removals are O(log n) or O(log n + m).  Every handler that meets another
type replies WRONGTYPE (``db.get_typed``/``lookup_typed``), except that
ZUNION, ZINTER, ZDIFF and their STORE forms also take sets (score 1).

Parsing follows Redis's order of checks, so that a command with several
faults gets Redis's error: option syntax first, then numbers, then the key
(ZADD, ZRANGE...), or the keys before the options (ZUNION and friends, whose
key lookups come first in Redis).  Scores are C doubles: ``strtod`` syntax
(decimal, hex, ``inf``), overflow and underflow to zero refused, as redis
``getDoubleFromObject``; range ends are parsed as ``zslParseRange`` does
(laxer: leading spaces, a C string's end at a NUL, overflow to ``inf``).
Replies print scores as Redis 7.0 (``%.17g``; a RESP3 double ``,``).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cacheserver.commands.keys import parse_cursor, parse_scan_options
from cacheserver.commands.keyspecs import numkeys_keys
from cacheserver.commands.sets import random_reply_limits, random_reply_too_big
from cacheserver.commands.strings import c_option
from cacheserver.commands.table import (
    BLOCKING,
    DENYOOM,
    FAST,
    MOVABLE_KEYS,
    NOSCRIPT,
    READONLY,
    WRITE,
    Command,
)
from cacheserver.errors import (
    NOT_FLOAT,
    NOT_INTEGER,
    RAND_RANGE,
    SYNTAX,
    CommandError,
    WrongType,
    wrong_arity,
)
from cacheserver.glob import compile_matcher
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_ZSET, ScanCursors
from cacheserver.store.zset import (
    LEX_COUNT,
    LEX_EXCL,
    LEX_FORWARD,
    LEX_INCL,
    LEX_MAX,
    LEX_MIN,
    LEX_REVERSE,
    LexBound,
    ZSet,
)
from protocol.resp import (
    EMPTY_ARRAY,
    EMPTY_SCAN,
    LLONG_MAX,
    NIL3,
    NIL_ARRAY2,
    ZERO,
    array_header,
    bulk,
    bulk_array,
    bulk_strings,
    double,
    encode_double,
    integer,
    string2ll,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client, Pending
    from cacheserver.store.keyspace import Database


NAN_SCORE = b"ERR resulting score is not a number (NaN)"
NOT_RANGE_FLOAT = b"ERR min or max is not a float"
NOT_LEX_RANGE = b"ERR min or max not valid string range item"
XX_AND_NX = b"ERR XX and NX options at the same time are not compatible"
GT_LT_NX = b"ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = b"ERR INCR option supports a single increment-element pair"
LIMIT_WITH_RANK = (
    b"ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)
WITHSCORES_WITH_LEX = b"ERR syntax error, WITHSCORES not supported in combination with BYLEX"
NOT_POSITIVE = b"ERR value is out of range, must be positive"
NUMKEYS = b"ERR numkeys should be greater than 0"
COUNT_POSITIVE = b"ERR count should be greater than 0"
WEIGHT_NOT_FLOAT = b"ERR weight value is not a float"
LIMIT_NEGATIVE = b"ERR LIMIT can't be negative"
RAND_WITHSCORES_RANGE = b"ERR value is out of range"


PAIR = b"*2\r\n"

# -- numbers ------------------------------------------------------------------

# glibc strtod's syntax; group 1 is the mantissa, nonzero when a zero result underflowed
_DEC = re.compile(rb"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX = re.compile(rb"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?\Z")
_INF_TEXT = re.compile(rb"[+-]?(?:inf|infinity)\Z", re.IGNORECASE)
_NONZERO_DIGIT = re.compile(rb"[1-9a-fA-F]")
_C_SPACE = b" \t\n\x0b\x0c\r"
_INF = math.inf


def _strtod(s: bytes) -> tuple[float, bool] | None:
    """glibc ``strtod`` over all of ``s`` (no leading spaces): (value, ERANGE),
    ERANGE meaning overflow to +-inf or underflow to zero; None when ``s`` is
    not one number (or is a NaN)."""
    m = _DEC.match(s)
    if m is not None:
        v = float(s)
        if v == _INF or v == -_INF:
            return v, True
        return v, v == 0.0 and _NONZERO_DIGIT.search(m.group(1)) is not None
    m = _HEX.match(s)
    if m is not None:
        try:
            v = float.fromhex(s.decode("ascii"))
        except OverflowError:
            return (-_INF if s[:1] == b"-" else _INF), True
        return v, v == 0.0 and _NONZERO_DIGIT.search(m.group(1)) is not None
    if _INF_TEXT.match(s) is not None:
        return (-_INF if s[:1] == b"-" else _INF), False
    return None


def parse_score(s: bytes) -> float | None:
    """A double argument as redis ``getDoubleFromObject``, or None where Redis
    replies "not a valid float" (spaces, junk, NaN, overflow, underflow to 0)."""
    if s.isdigit() and len(s) < 300:  # plain integers: the common case
        return float(s)
    r = _strtod(s)
    if r is None or r[1]:
        return None
    return r[0]


def _score(s: bytes) -> float:
    v = parse_score(s)
    if v is None:
        raise CommandError(NOT_FLOAT)
    return v


def _range_end(arg: bytes) -> tuple[float, bool] | None:
    """One end of a score range, as redis ``zslParseRange``: ``(`` makes it
    exclusive; the rest goes to ``strtod`` as a C string (it ends at a NUL),
    which skips leading spaces, reads "" as 0 and overflows to inf; NaN is
    refused."""
    ex = arg[:1] == b"("
    s = arg[1:] if ex else arg
    if b"\0" in s:
        s = s[: s.index(b"\0")]
    t = s.lstrip(_C_SPACE)
    if not t:
        # nothing converted: strtod's end pointer stays at the start
        return (0.0, ex) if not s else None
    if t.isdigit() and len(t) < 300:
        return float(t), ex
    r = _strtod(t)
    if r is None:
        return None
    return r[0], ex


def _score_range(amin: bytes, amax: bytes) -> tuple[float, bool, float, bool]:
    lo = _range_end(amin)
    hi = _range_end(amax)
    if lo is None or hi is None:
        raise CommandError(NOT_RANGE_FLOAT)
    return lo[0], lo[1], hi[0], hi[1]


def _lex_end(arg: bytes) -> LexBound | None:
    """One end of a lex range, as redis ``zslParseLexRangeItem``."""
    c0 = arg[:1]
    if c0 == b"[":
        return LEX_INCL, arg[1:]
    if c0 == b"(":
        return LEX_EXCL, arg[1:]
    if c0 == b"+" or c0 == b"-":
        if len(arg) > 1 and arg[1] != 0:  # "+" or "-" alone (a C string)
            return None
        return (LEX_MAX if c0 == b"+" else LEX_MIN), b""
    return None


def _lex_range(amin: bytes, amax: bytes) -> tuple[LexBound, LexBound]:
    lo = _lex_end(amin)
    hi = _lex_end(amax)
    if lo is None or hi is None:
        raise CommandError(NOT_LEX_RANGE)
    return lo, hi


def _long(arg: bytes, msg: bytes = NOT_INTEGER) -> int:
    n = string2ll(arg)
    if n is None:
        raise CommandError(msg)
    return n


def _timeout(c: Client, arg: bytes) -> float:
    """A blocking timeout in seconds, 0 for none (``blocking.parse_timeout``:
    Redis 7.0's rounding and errors).  A deadline past ``LLONG_MAX`` wraps in
    Redis and never fires; here any wait beyond a century is no timeout."""
    # imported here: cacheserver.blocking imports the connection, which
    # imports the command table, which imports this module
    from cacheserver.blocking import parse_timeout

    seconds = parse_timeout(arg)
    if seconds * 1000 > min(LLONG_MAX - c.now, 2**42):
        return 0.0
    return seconds


# -- replies ------------------------------------------------------------------


class _ScoreTexts(dict[float, bytes]):
    """Formatted scores by value: "%.17g" costs more than a dict lookup, and
    the scores of a range repeat.  ``texts[s]`` formats a score it lacks
    (``__missing__``), so a C-level map over a range's scores calls Python
    only for those.  0.0 is never kept: -0.0 is the same dict key but prints
    "-0".  Bounded: emptied at 65,536 entries."""

    __slots__ = ()

    def __missing__(self, s: float) -> bytes:
        text = b"%.17g" % s
        if s != 0.0:
            if len(self) >= 65536:
                self.clear()
            self[s] = text
        return text


_SCORES = _ScoreTexts()
# ``s`` as redis 7.0 prints a score (``%.17g``), through the cache
score_bytes: Callable[[float], bytes] = _SCORES.__getitem__


_member = itemgetter(1)  # of a (score, member) pair


def _pairs_reply(pairs: list[tuple[float, bytes]], withscores: bool, resp3: bool) -> bytes:
    """Members in order, with scores: flat in RESP2, ``[member, score]`` pairs
    in RESP3 (redis ``zrangeResultBeginClient``).  Scores print as
    ``encode_double`` does, through ``score_bytes``' cache (ZRANGE's hot path)."""
    n = len(pairs)
    if not n:
        return EMPTY_ARRAY
    if not withscores:
        return bulk_array(list(map(_member, pairs)))
    if resp3:
        fmt = score_bytes
        return array_header(n) + b"".join(
            [b"*2\r\n$%d\r\n%s\r\n,%s\r\n" % (len(m), m, fmt(s)) for s, m in pairs]
        )
    # member, score, member, score...: each score's text from the cache
    flat: list[Any] = list(chain.from_iterable(pairs))
    texts = list(map(score_bytes, flat[::2]))
    flat[::2] = flat[1::2]
    flat[1::2] = texts
    return array_header(2 * n) + bulk_strings(flat)


def _nil_array(c: Client) -> bytes:
    return NIL3 if c.resp3 else NIL_ARRAY2


# -- ZADD, ZINCRBY ------------------------------------------------------------

_NX, _XX, _GT, _LT, _CH, _INCR = (1 << i for i in range(6))
_ZADD_OPTS = {b"nx": _NX, b"xx": _XX, b"gt": _GT, b"lt": _LT, b"ch": _CH, b"incr": _INCR}


def _zadd(c: Client, argv: list[bytes], flags: int) -> bytes:
    """redis ``zaddGenericCommand``."""
    n = len(argv)
    i = 2
    opts = _ZADD_OPTS
    while i < n:
        f = opts.get(c_option(argv[i]))
        if f is None:
            break
        flags |= f
        i += 1
    pairs = n - i
    if pairs & 1 or not pairs:
        raise CommandError(SYNTAX)
    if flags & _NX and flags & _XX:
        raise CommandError(XX_AND_NX)
    if (flags & _NX and flags & (_GT | _LT)) or (flags & _GT and flags & _LT):
        raise CommandError(GT_LT_NX)
    incr = flags & _INCR
    if incr and pairs > 2:
        raise CommandError(INCR_PAIR)
    scores = [_score(argv[j]) for j in range(i, n, 2)]
    db = c.db
    key = argv[1]
    zs = db.lookup_typed(key, c.now, ZSet)
    if zs is None:
        if flags & _XX:
            return c.nil if incr else ZERO
        zs = ZSet()
        db.add(key, zs)
    nx, xx, gt, lt = flags & _NX, flags & _XX, flags & _GT, flags & _LT
    added = updated = processed = 0
    score = 0.0
    get = zs.get
    for k, score in enumerate(scores):
        member = argv[i + 1 + 2 * k]
        cur = get(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    raise CommandError(NAN_SCORE)
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            processed += 1
            if score != cur:
                zs.rescore(member, cur, score)
                updated += 1
        elif not xx:
            zs.insert(member, score)
            added += 1
            processed += 1
    if added:
        db.signal_ready(key)
    if added or updated:
        db.ks.dirty += added + updated
        db.changed(key, NOTIFY_ZSET, b"zincr" if incr else b"zadd")
    if incr:
        return double(score, c.resp3) if processed else c.nil
    return integer(added + updated if flags & _CH else added)


def zadd(c: Client, argv: list[bytes]) -> bytes:
    """ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] -> integer | bulk | nil

    Complexity: O(log(N)) for each item added, where N is the number of elements in the sorted set.
    """
    if len(argv) == 4:  # ZADD key score member: no options
        score = parse_score(argv[2])
        if score is not None:
            db = c.db
            key = argv[1]
            zs = db.lookup_typed(key, c.now, ZSet)
            member = argv[3]
            if zs is None:
                zs = ZSet()
                db.add(key, zs)
                zs.insert(member, score)
                db.signal_ready(key)
                db.changed(key, NOTIFY_ZSET, b"zadd", zs)
                return b":1\r\n"
            cur = zs.get(member)
            if cur is None:
                zs.insert(member, score)
                db.ks.dirty += 1
                db.changed(key, NOTIFY_ZSET, b"zadd", zs)
                return b":1\r\n"
            if score != cur:
                zs.rescore(member, cur, score)
                db.ks.dirty += 1
                db.changed(key, NOTIFY_ZSET, b"zadd", zs)
            return ZERO
    return _zadd(c, argv, 0)


def zincrby(c: Client, argv: list[bytes]) -> bytes:
    """ZINCRBY key increment member -> bulk (the new score)

    Complexity: O(log(N)) where N is the number of elements in the sorted set.
    """
    incr = parse_score(argv[2])
    if incr is not None:  # an existing member whose score changes: the common case
        db = c.db
        key = argv[1]
        zs = db.lookup_typed(key, c.now, ZSet)
        member = argv[3]
        if zs is not None and (cur := zs.get(member)) is not None:
            score = incr + cur
            if score != cur and score == score:  # (NaN: _zadd's error)
                zs.rescore(member, cur, score)
                db.ks.dirty += 1
                db.changed(key, NOTIFY_ZSET, b"zincr", zs)
                return double(score, c.resp3)
    return _zadd(c, argv, _INCR)


# -- single-member reads ------------------------------------------------------


def zscore(c: Client, argv: list[bytes]) -> bytes:
    """ZSCORE key member -> bulk (the score) | nil

    Complexity: O(1)
    """
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    if zs is None:
        return c.nil
    score = zs.get(argv[2])
    return c.nil if score is None else double(score, c.resp3)


def zmscore(c: Client, argv: list[bytes]) -> bytes:
    """ZMSCORE key member [member ...] -> array of bulk | nil

    Complexity: O(N) where N is the number of members being requested.
    """
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    nil, resp3 = c.nil, c.resp3
    get = zs.get if zs is not None else {}.get
    out = [array_header(len(argv) - 2)]
    for m in argv[2:]:
        s = get(m)
        out.append(nil if s is None else double(s, resp3))
    return b"".join(out)


def zcard(c: Client, argv: list[bytes]) -> bytes:
    """ZCARD key -> integer (0 for a missing key)

    Complexity: O(1)
    """
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    return ZERO if zs is None else integer(len(zs))


def _zrank(c: Client, argv: list[bytes], reverse: bool) -> bytes:
    """redis 7.2 ``zrankGenericCommand``."""
    n = len(argv)
    if n > 4:
        raise wrong_arity(argv[0])
    withscore = False
    if n == 4:
        if c_option(argv[3]) != b"withscore":
            raise CommandError(SYNTAX)
        withscore = True
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    missing = _nil_array(c) if withscore else c.nil
    if zs is None:
        return missing
    member = argv[2]
    score = zs.get(member)
    if score is None:
        return missing
    rank = zs.sl.bisect_left((score, member))
    if reverse:
        rank = len(zs) - 1 - rank
    if withscore:
        return PAIR + integer(rank) + double(score, c.resp3)
    return integer(rank)


def zrank(c: Client, argv: list[bytes]) -> bytes:
    """ZRANK key member [WITHSCORE] -> integer | [integer, score] | nil

    Complexity: O(log(N))
    """
    return _zrank(c, argv, False)


def zrevrank(c: Client, argv: list[bytes]) -> bytes:
    """ZREVRANK key member [WITHSCORE] -> integer | [integer, score] | nil

    Complexity: O(log(N))
    """
    return _zrank(c, argv, True)


# -- counts -------------------------------------------------------------------


def zcount(c: Client, argv: list[bytes]) -> bytes:
    """ZCOUNT key min max -> integer

    Complexity: O(log(N)) with N being the number of elements in the sorted set.
    """
    mn, minex, mx, maxex = _score_range(argv[2], argv[3])
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    if zs is None:
        return ZERO
    lo, hi = zs.score_span(mn, minex, mx, maxex)
    return integer(hi - lo) if hi > lo else ZERO


def zlexcount(c: Client, argv: list[bytes]) -> bytes:
    """ZLEXCOUNT key min max -> integer

    Complexity: O(log(N)) with N being the number of elements in the sorted set.
    """
    mn, mx = _lex_range(argv[2], argv[3])
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    if zs is None:
        return ZERO
    lo, hi = zs.lex_span(mn, mx, LEX_COUNT)
    return integer(hi - lo) if hi > lo else ZERO


# -- ranges -------------------------------------------------------------------

_AUTO, _RANK, _SCORE, _LEX = 0, 1, 2, 3


def _limited(
    zs: ZSet, lo: int, hi: int, offset: int, limit: int, reverse: bool
) -> list[tuple[float, bytes]]:
    """The pairs of span ``[lo, hi)`` after LIMIT offset count, in reply order.

    As Redis's walk: a negative offset skips everything, a negative count
    takes everything left."""
    if offset < 0 or limit == 0:
        return []
    avail = hi - lo - offset
    if avail <= 0:
        return []
    take = avail if limit < 0 else min(avail, limit)
    if reverse:
        out = zs.span(hi - offset - take, hi - offset)
        out.reverse()
        return out
    return zs.span(lo + offset, lo + offset + take)


def _rank_span(zs: ZSet, start: int, end: int, reverse: bool) -> list[tuple[float, bytes]]:
    """The pairs from rank ``start`` to ``end`` (inclusive, negative from the end)."""
    n = len(zs)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return []
    if end >= n:
        end = n - 1
    if reverse:
        out = zs.span(n - 1 - end, n - start)
        out.reverse()
        return out
    return zs.span(start, end + 1)


def _zrange(
    c: Client,
    argv: list[bytes],
    first: int,
    dst: bytes | None,
    rangetype: int,
    reverse: bool | None,
) -> bytes:
    """redis ``zrangeGenericCommand``: ``argv[first]`` is the source key, then
    min and max; ``dst`` names ZRANGESTORE's destination; ``rangetype`` and
    ``reverse`` are fixed by the command or _AUTO/None (chosen by options)."""
    key = argv[first]
    minidx, maxidx = first + 1, first + 2
    withscores = False
    offset, limit = 0, -1
    n = len(argv)
    j = first + 3
    while j < n:
        opt = c_option(argv[j])
        if dst is None and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and n - j - 1 >= 2:
            offset = _long(argv[j + 1])
            limit = _long(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype == _AUTO and opt == b"bylex":
            rangetype = _LEX
        elif rangetype == _AUTO and opt == b"byscore":
            rangetype = _SCORE
        else:
            raise CommandError(SYNTAX)
        j += 1
    reverse = bool(reverse)
    if rangetype == _AUTO:
        rangetype = _RANK
    if limit != -1 and rangetype == _RANK:
        raise CommandError(LIMIT_WITH_RANK)
    if withscores and rangetype == _LEX:
        raise CommandError(WITHSCORES_WITH_LEX)
    if reverse and rangetype != _RANK:  # the range is given as max, min
        minidx, maxidx = maxidx, minidx
    start = end = 0
    if rangetype == _RANK:
        start = _long(argv[minidx])
        end = _long(argv[maxidx])
    elif rangetype == _SCORE:
        srange = _score_range(argv[minidx], argv[maxidx])
    else:
        lrange = _lex_range(argv[minidx], argv[maxidx])
    zs = c.db.get_typed(key, c.now, ZSet)
    if zs is None:
        pairs: list[tuple[float, bytes]] = []
    elif rangetype == _RANK:
        pairs = _rank_span(zs, start, end, reverse)
    else:
        if rangetype == _SCORE:
            lo, hi = zs.score_span(*srange)
        else:
            lo, hi = zs.lex_span(lrange[0], lrange[1], LEX_REVERSE if reverse else LEX_FORWARD)
        pairs = _limited(zs, lo, hi, offset, limit, reverse)
    if dst is not None:
        return _store(c, dst, ZSet.from_inserts(pairs) if pairs else None, b"zrangestore")
    if not pairs:
        return EMPTY_ARRAY
    return _pairs_reply(pairs, withscores, c.resp3)


def _store(c: Client, dst: bytes, zs: ZSet | None, event: bytes) -> bytes:
    """Write a result set to ``dst`` (replacing any value and its TTL, as
    redis ``setKey``) and signal ``event``, or delete ``dst`` when the result
    is empty (``del`` if it existed)."""
    db = c.db
    if zs is None:
        if db.lookup(dst, c.now) is not None:
            db.drop(dst, db.ks.lazy_server_del)
            db.changed(dst, NOTIFY_GENERIC, b"del")
        return ZERO
    # Redis 7.0 signals blocked clients when the key is created (dbAdd), not
    # when it replaces a value (dbOverwrite: a waiter on a string key stays)
    if db.lookup(dst, c.now) is None:
        db.add(dst, zs)
    else:
        db.set(dst, zs)
    db.changed(dst, NOTIFY_ZSET, event)
    return integer(len(zs))


def zrange(c: Client, argv: list[bytes]) -> bytes:
    """ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] -> array

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.
    """
    return _zrange(c, argv, 1, None, _AUTO, None)


def zrangestore(c: Client, argv: list[bytes]) -> bytes:
    """ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] -> integer

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.
    """
    return _zrange(c, argv, 2, argv[1], _AUTO, None)


def zrevrange(c: Client, argv: list[bytes]) -> bytes:
    """ZREVRANGE key start stop [WITHSCORES] -> array

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.
    """
    return _zrange(c, argv, 1, None, _RANK, True)


def zrangebyscore(c: Client, argv: list[bytes]) -> bytes:
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] -> array

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.
    """
    return _zrange(c, argv, 1, None, _SCORE, False)


def zrevrangebyscore(c: Client, argv: list[bytes]) -> bytes:
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] -> array

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.
    """
    return _zrange(c, argv, 1, None, _SCORE, True)


def zrangebylex(c: Client, argv: list[bytes]) -> bytes:
    """ZRANGEBYLEX key min max [LIMIT offset count] -> array

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.
    """
    return _zrange(c, argv, 1, None, _LEX, False)


def zrevrangebylex(c: Client, argv: list[bytes]) -> bytes:
    """ZREVRANGEBYLEX key max min [LIMIT offset count] -> array

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.
    """
    return _zrange(c, argv, 1, None, _LEX, True)


# -- removal ------------------------------------------------------------------


def zrem(c: Client, argv: list[bytes]) -> bytes:
    """ZREM key member [member ...] -> integer (members removed)

    Complexity: O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.
    """
    db = c.db
    key = argv[1]
    zs = db.lookup_typed(key, c.now, ZSet)
    if zs is None:
        return ZERO
    discard = zs.discard
    removed = 0
    for m in argv[2:]:
        if discard(m):
            removed += 1
            if not zs:
                break
    if removed:
        if not zs:
            db.delete(key)
        else:
            db.ks.dirty += removed
        db.changed(key, NOTIFY_ZSET, b"zrem")
        if not zs:
            db.notify(key, NOTIFY_GENERIC, b"del")
    return integer(removed)


def _zremrange(c: Client, argv: list[bytes], rangetype: int) -> bytes:
    """redis ``zremrangeGenericCommand``: parse the range, then look the key up."""
    if rangetype == _RANK:
        start = _long(argv[2])
        end = _long(argv[3])
    elif rangetype == _SCORE:
        srange = _score_range(argv[2], argv[3])
    else:
        lrange = _lex_range(argv[2], argv[3])
    db = c.db
    key = argv[1]
    zs = db.lookup_typed(key, c.now, ZSet)
    if zs is None:
        return ZERO
    if rangetype == _RANK:
        n = len(zs)
        if start < 0:
            start += n
        if end < 0:
            end += n
        if start < 0:
            start = 0
        if start > end or start >= n:
            return ZERO
        lo, hi = start, min(end, n - 1) + 1
    elif rangetype == _SCORE:
        lo, hi = zs.score_span(*srange)
    else:
        lo, hi = zs.lex_span(*lrange)
    removed = zs.delete_span(lo, hi)
    if removed:
        if not zs:
            db.delete(key)
        else:
            db.ks.dirty += removed
        db.changed(key, NOTIFY_ZSET, _ZREMRANGE_EVENTS[rangetype])
        if not zs:
            db.notify(key, NOTIFY_GENERIC, b"del")
    return integer(removed)


_ZREMRANGE_EVENTS = {
    _RANK: b"zremrangebyrank",
    _SCORE: b"zremrangebyscore",
    _LEX: b"zremrangebylex",
}


def zremrangebyrank(c: Client, argv: list[bytes]) -> bytes:
    """ZREMRANGEBYRANK key start stop -> integer (members removed)

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.
    """
    return _zremrange(c, argv, _RANK)


def zremrangebyscore(c: Client, argv: list[bytes]) -> bytes:
    """ZREMRANGEBYSCORE key min max -> integer (members removed)

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.
    """
    return _zremrange(c, argv, _SCORE)


def zremrangebylex(c: Client, argv: list[bytes]) -> bytes:
    """ZREMRANGEBYLEX key min max -> integer (members removed)

    Complexity: O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.
    """
    return _zremrange(c, argv, _LEX)


# -- pops -----------------------------------------------------------------------


def _pop_reply(
    c: Client,
    db: Database,
    zs: ZSet,
    key: bytes,
    from_max: bool,
    count: int,
    emitkey: bool,
    nested: bool,
) -> bytes:
    """Pop up to ``count`` (>= 1) members of ``zs`` and build the reply for
    ``c`` in the shape redis ``genericZpopCommand`` gives it: flat
    ``[member, score, ...]``, nested ``[[member, score], ...]``, after the key
    for the blocking and multi-key forms."""
    pairs = zs.pop_span(count, from_max)
    if not zs:
        db.delete(key)
    else:
        db.ks.dirty += len(pairs)
    db.changed(key, NOTIFY_ZSET, b"zpopmax" if from_max else b"zpopmin")
    if not zs:
        db.notify(key, NOTIFY_GENERIC, b"del")
    resp3 = c.resp3
    k = len(pairs)
    if nested:
        head = (b"*2\r\n" + bulk(key) if emitkey else b"") + array_header(k)
        body = [PAIR + bulk(m) + double(s, resp3) for s, m in pairs]
    else:
        head = (b"*%d\r\n" % (2 * k + 1) + bulk(key)) if emitkey else array_header(2 * k)
        body = [bulk(m) + double(s, resp3) for s, m in pairs]
    return head + b"".join(body)


def _zpop(c: Client, argv: list[bytes], from_max: bool) -> bytes:
    """ZPOPMIN/ZPOPMAX key [count] (redis ``zpopMinMaxCommand``)."""
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    count = -1  # no count: a flat [member, score] in RESP3 too
    if len(argv) == 3:
        count = string2ll(argv[2])  # type: ignore[assignment]
        if count is None or count < 0:
            raise CommandError(NOT_POSITIVE)
    db = c.db
    key = argv[1]
    zs = db.lookup_typed(key, c.now, ZSet)
    if zs is None or count == 0:
        return EMPTY_ARRAY
    nested = c.resp3 and count != -1
    return _pop_reply(c, db, zs, key, from_max, 1 if count == -1 else count, False, nested)


def zpopmin(c: Client, argv: list[bytes]) -> bytes:
    """ZPOPMIN key [count] -> array ([member, score, ...]; RESP3 with count: [[member, score], ...])

    Complexity: O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.
    """
    return _zpop(c, argv, False)


def zpopmax(c: Client, argv: list[bytes]) -> bytes:
    """ZPOPMAX key [count] -> array ([member, score, ...]; RESP3 with count: [[member, score], ...])

    Complexity: O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.
    """
    return _zpop(c, argv, True)


def _mpop_args(argv: list[bytes], numkeys_idx: int) -> tuple[list[bytes], bool, int]:
    """``numkeys key [key ...] MIN|MAX [COUNT count]`` (redis ``zmpopGenericCommand``):
    the keys, whether MAX, and the count."""
    numkeys = string2ll(argv[numkeys_idx])
    if numkeys is None or numkeys < 1:
        raise CommandError(NUMKEYS)
    n = len(argv)
    where = numkeys_idx + numkeys + 1
    if where >= n:
        raise CommandError(SYNTAX)
    side = c_option(argv[where])
    if side != b"min" and side != b"max":
        raise CommandError(SYNTAX)
    count = -1
    j = where + 1
    while j < n:
        if count == -1 and c_option(argv[j]) == b"count" and j + 1 < n:
            j += 1
            v = string2ll(argv[j])
            if v is None or v < 1:
                raise CommandError(COUNT_POSITIVE)
            count = v
        else:
            raise CommandError(SYNTAX)
        j += 1
    return argv[numkeys_idx + 1 : where], side == b"max", 1 if count == -1 else count


def _first_zset(c: Client, keys: list[bytes]) -> tuple[bytes, ZSet] | None:
    """The first of ``keys`` that exists (WRONGTYPE if it is not a sorted set)."""
    db, now = c.db, c.now
    for key in keys:
        zs = db.lookup_typed(key, now, ZSet)
        if zs is not None:
            return key, zs
    return None


def zmpop(c: Client, argv: list[bytes]) -> bytes:
    """ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] -> [key, [[member, score], ...]] | nil

    Complexity: O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.
    """
    keys, from_max, count = _mpop_args(argv, 1)
    found = _first_zset(c, keys)
    if found is None:
        return _nil_array(c)
    return _pop_reply(c, c.db, found[1], found[0], from_max, count, True, True)


def _block(
    c: Client, keys: list[bytes], timeout: float, from_max: bool, count: int, nested: bool
) -> bytes | Pending:
    """Wait for one of ``keys`` to hold a sorted set, then pop as the blocking
    command would have (redis ``serveClientsBlockedOnSortedSetKey``)."""
    nil = _nil_array(c)
    if c.in_multi:  # inside MULTI a blocking pop cannot wait
        return nil

    def serve(db: Database, key: bytes) -> bytes | None:
        zs = db.lookup(key, c.server.clock())
        if zs is None or zs.__class__ is not ZSet or not zs:
            return None
        return _pop_reply(c, db, zs, key, from_max, count, True, nested)

    return c.server.blocking.block(c, keys, timeout, serve, nil)


def _bzpop(c: Client, argv: list[bytes], from_max: bool) -> bytes | Pending:
    timeout = _timeout(c, argv[-1])
    keys = argv[1:-1]
    found = _first_zset(c, keys)
    if found is not None:
        return _pop_reply(c, c.db, found[1], found[0], from_max, 1, True, False)
    return _block(c, keys, timeout, from_max, 1, False)


def bzpopmin(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BZPOPMIN key [key ...] timeout -> [key, member, score] | nil (timeout)

    Complexity: O(log(N)) with N being the number of elements in the sorted set.
    """
    return _bzpop(c, argv, False)


def bzpopmax(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BZPOPMAX key [key ...] timeout -> [key, member, score] | nil (timeout)

    Complexity: O(log(N)) with N being the number of elements in the sorted set.
    """
    return _bzpop(c, argv, True)


def bzmpop(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] -> [key, [[member, score], ...]] | nil

    Complexity: O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.
    """
    keys, from_max, count = _mpop_args(argv, 2)
    timeout = _timeout(c, argv[1])
    found = _first_zset(c, keys)
    if found is not None:
        return _pop_reply(c, c.db, found[1], found[0], from_max, count, True, True)
    return _block(c, keys, timeout, from_max, count, True)


# -- ZRANDMEMBER ----------------------------------------------------------------


def zrandmember(c: Client, argv: list[bytes]) -> bytes:
    """ZRANDMEMBER key [count [WITHSCORES]] -> bulk | nil | array

    Complexity: O(N) where N is the number of elements returned
    """
    n = len(argv)
    if n == 2:
        zs = c.db.get_typed(argv[1], c.now, ZSet)
        if zs is None:
            return c.nil
        return bulk(zs.at(random.randrange(len(zs)))[1])
    count = string2ll(argv[2])
    if count is None:
        raise CommandError(NOT_INTEGER)
    if count < -LLONG_MAX:
        raise CommandError(RAND_RANGE)
    withscores = False
    if n > 4 or (n == 4 and c_option(argv[3]) != b"withscores"):
        raise CommandError(SYNTAX)
    if n == 4:
        withscores = True
        if count < -(LLONG_MAX // 2) or count > LLONG_MAX // 2:  # C division truncates
            raise CommandError(RAND_WITHSCORES_RANGE)
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    if zs is None or count == 0:
        return EMPTY_ARRAY
    size = len(zs)
    if count < 0 or count == 1:
        # draws with repeats, in random order; Redis builds a reply of any size
        # (a huge count exhausts its memory), here the random-draw commands
        # share one bound
        count = -count if count < 0 else 1
        limits = random_reply_limits(c)
        if count > limits[0]:
            raise random_reply_too_big(limits)
        if count * 16 >= size:
            pairs = random.choices(zs.span(0, size), k=count)
        else:
            at, pick = zs.at, random.randrange
            pairs = [at(pick(size)) for _ in range(count)]
        if sum(len(m) for _, m in pairs) > limits[1]:
            raise random_reply_too_big(limits)
    elif count >= size:
        # the whole set, highest first: Redis's set iterator starts at the tail
        pairs = zs.span(0, size)
        pairs.reverse()
    elif count * 3 > size:
        every = zs.span(0, size)
        pairs = [every[i] for i in sorted(random.sample(range(size), count))]
    else:
        at = zs.at
        pairs = [at(i) for i in sorted(random.sample(range(size), count))]
    return _pairs_reply(pairs, withscores, c.resp3)


# -- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ------------------------

_UNION, _INTER, _DIFF = 0, 1, 2
_STORE_EVENTS = {_UNION: b"zunionstore", _INTER: b"zinterstore", _DIFF: b"zdiffstore"}
_SUM, _MIN, _MAX = 0, 1, 2
_AGGREGATES = {b"sum": _SUM, b"min": _MIN, b"max": _MAX}

Source = Any  # a ZSet, a set value (TYPE b"set"), or None for a missing key


def _members(src: Source) -> Iterable[tuple[bytes, float]]:
    """(member, score) of a source; a set's members score 1."""
    if src.__class__ is ZSet:
        return src.items()
    return ((m, 1.0) for m in src)


def _finder(src: Source) -> Callable[[bytes], float | None]:
    if src.__class__ is ZSet:
        return src.get

    def find(m: bytes) -> float | None:
        return 1.0 if m in src else None

    return find


def _aggregate(agg: int, target: float, value: float) -> float:
    """redis ``zunionInterAggregate``: a sum that is NaN (inf + -inf) is 0."""
    if agg == _SUM:
        target += value
        return 0.0 if target != target else target
    if agg == _MIN:
        return value if value < target else target
    return value if value > target else target


def _setop(c: Client, argv: list[bytes], nk: int, dst: bytes | None, op: int, card: bool) -> bytes:
    """redis ``zunionInterDiffGenericCommand``: ``argv[nk]`` is numkeys; ``dst``
    the STORE destination; ``card`` for ZINTERCARD."""
    setnum = string2ll(argv[nk])
    if setnum is None:
        raise CommandError(NOT_INTEGER)
    if setnum < 1:
        raise CommandError(b"ERR at least 1 input key is needed for '%s' command" % argv[0].lower())
    n = len(argv)
    if setnum > n - (nk + 1):
        raise CommandError(SYNTAX)
    db, now = c.db, c.now
    srcs: list[Source] = []
    for j in range(nk + 1, nk + 1 + setnum):
        v = db.get(argv[j], now)
        if v is not None and v.__class__ is not ZSet and getattr(v, "TYPE", None) != b"set":
            raise WrongType()
        srcs.append(v)
    weights = [1.0] * setnum
    agg = _SUM
    withscores = False
    limit = 0
    j = nk + 1 + setnum
    while j < n:
        remaining = n - j
        opt = c_option(argv[j])
        if op != _DIFF and not card and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            for i in range(setnum):
                w = parse_score(argv[j])
                if w is None:
                    raise CommandError(WEIGHT_NOT_FLOAT)
                weights[i] = w
                j += 1
        elif op != _DIFF and not card and remaining >= 2 and opt == b"aggregate":
            a = _AGGREGATES.get(c_option(argv[j + 1]))
            if a is None:
                raise CommandError(SYNTAX)
            agg = a
            j += 2
        elif dst is None and not card and opt == b"withscores":
            withscores = True
            j += 1
        elif card and remaining >= 2 and opt == b"limit":
            v = string2ll(argv[j + 1])
            if v is None or v < 0:
                raise CommandError(LIMIT_NEGATIVE)
            limit = v
            j += 2
        else:
            raise CommandError(SYNTAX)
    inputs = list(zip(srcs, weights, strict=True))
    if op != _DIFF:
        # smallest first, as Redis (a stable sort: glibc's qsort is a merge sort)
        inputs.sort(key=lambda p: 0 if p[0] is None else len(p[0]))
    result: dict[bytes, float] = {}
    if op == _INTER:
        src0, w0 = inputs[0]
        if src0:
            others = [(_finder(s), w) for s, w in inputs[1:]]
            found = 0
            for m, sc in _members(src0):
                score = w0 * sc
                if score != score:
                    score = 0.0
                for find, w in others:
                    v = find(m)
                    if v is None:
                        break
                    score = _aggregate(agg, score, v * w)
                else:
                    if card:
                        found += 1
                        if limit and found >= limit:
                            break
                    else:
                        result[m] = score
            if card:
                return integer(found)
        elif card:
            return ZERO
    elif op == _UNION:
        get = result.get
        for src, w in inputs:
            if not src:
                continue
            for m, sc in _members(src):
                score = w * sc
                if score != score:
                    score = 0.0
                cur = get(m)
                result[m] = score if cur is None else _aggregate(agg, cur, score)
    else:
        src0 = srcs[0]
        if src0:
            rest = [s for s in srcs[1:] if s]
            for m, sc in _members(src0):
                for o in rest:
                    if m in o:
                        break
                else:
                    result[m] = sc
    pairs = sorted([(s, m) for m, s in result.items()])
    if dst is not None:
        zs = ZSet.from_pairs(pairs) if pairs else None
        return _store(c, dst, zs, _STORE_EVENTS[op])
    return _pairs_reply(pairs, withscores, c.resp3)


def zunion(c: Client, argv: list[bytes]) -> bytes:
    """ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] -> array

    Complexity: O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.
    """
    return _setop(c, argv, 1, None, _UNION, False)


def zinter(c: Client, argv: list[bytes]) -> bytes:
    """ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] -> array

    Complexity: O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.
    """
    return _setop(c, argv, 1, None, _INTER, False)


def zdiff(c: Client, argv: list[bytes]) -> bytes:
    """ZDIFF numkeys key [key ...] [WITHSCORES] -> array

    Complexity: O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.
    """
    return _setop(c, argv, 1, None, _DIFF, False)


def zunionstore(c: Client, argv: list[bytes]) -> bytes:
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] -> integer

    Complexity: O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.
    """
    return _setop(c, argv, 2, argv[1], _UNION, False)


def zinterstore(c: Client, argv: list[bytes]) -> bytes:
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] -> integer

    Complexity: O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.
    """
    return _setop(c, argv, 2, argv[1], _INTER, False)


def zdiffstore(c: Client, argv: list[bytes]) -> bytes:
    """ZDIFFSTORE destination numkeys key [key ...] -> integer

    Complexity: O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.
    """
    return _setop(c, argv, 2, argv[1], _DIFF, False)


def zintercard(c: Client, argv: list[bytes]) -> bytes:
    """ZINTERCARD numkeys key [key ...] [LIMIT limit] -> integer

    Complexity: O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.
    """
    return _setop(c, argv, 1, None, _INTER, True)


# -- ZSCAN ----------------------------------------------------------------------


def zscan(c: Client, argv: list[bytes]) -> bytes:
    """ZSCAN key cursor [MATCH pattern] [COUNT count] -> [cursor, [member, score, ...]]

    Complexity: O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.
    """
    cursor = parse_cursor(argv[2])
    zs = c.db.get_typed(argv[1], c.now, ZSet)
    if zs is None:
        return EMPTY_SCAN
    opts = parse_scan_options(argv, 3)
    count, pattern = opts.count, opts.pattern
    if not zs.big:
        # Redis returns a whole listpack in one reply, in order, whatever the cursor
        nxt = 0
        pairs = [(m, s) for s, m in zs.sl]
    else:
        scans = zs.scans
        if scans is None:
            scans = zs.scans = ScanCursors()
        nxt, batch = scans.scan(zs, cursor, count)
        get = zs.get
        pairs = [(m, s) for m in batch if (s := get(m)) is not None]  # drop removed members
    if pattern is not None:
        match = compile_matcher(pattern)
        pairs = [(m, s) for m, s in pairs if match(m)]
    body = b"".join([bulk(m) + bulk(encode_double(s)) for m, s in pairs])
    return b"*2\r\n" + bulk(b"%d" % nxt) + array_header(2 * len(pairs)) + body


# -- the table ------------------------------------------------------------------


_Z = "sortedset"


def make_commands() -> list[Command]:
    # Arity, flags and key positions as Redis 7.0's command table (ZRANK and
    # ZREVRANK take 7.2's optional WITHSCORE, so their arity is -3).
    ro, w = READONLY, WRITE
    mk = MOVABLE_KEYS
    return [
        Command(b"ZADD", zadd, -4, w | DENYOOM | FAST, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZINCRBY", zincrby, 4, w | DENYOOM | FAST, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZREM", zrem, -3, w | FAST, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZREMRANGEBYSCORE", zremrangebyscore, 4, w, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZREMRANGEBYRANK", zremrangebyrank, 4, w, 1, 1, 1, group=_Z, since="2.0.0"),
        Command(b"ZREMRANGEBYLEX", zremrangebylex, 4, w, 1, 1, 1, group=_Z, since="2.8.9"),
        Command(
            b"ZUNIONSTORE",
            zunionstore,
            -4,
            w | DENYOOM | mk,
            1,
            1,
            1,
            group=_Z,
            getkeys=numkeys_keys(b"ZUNIONSTORE"),
            since="2.0.0",
        ),
        Command(
            b"ZINTERSTORE",
            zinterstore,
            -4,
            w | DENYOOM | mk,
            1,
            1,
            1,
            group=_Z,
            getkeys=numkeys_keys(b"ZINTERSTORE"),
            since="2.0.0",
        ),
        Command(
            b"ZDIFFSTORE",
            zdiffstore,
            -4,
            w | DENYOOM | mk,
            1,
            1,
            1,
            group=_Z,
            getkeys=numkeys_keys(b"ZDIFFSTORE"),
            since="6.2.0",
        ),
        Command(
            b"ZUNION", zunion, -3, ro | mk, group=_Z, getkeys=numkeys_keys(b"ZUNION"), since="6.2.0"
        ),
        Command(
            b"ZINTER", zinter, -3, ro | mk, group=_Z, getkeys=numkeys_keys(b"ZINTER"), since="6.2.0"
        ),
        Command(
            b"ZINTERCARD",
            zintercard,
            -3,
            ro | mk,
            group=_Z,
            getkeys=numkeys_keys(b"ZINTERCARD"),
            since="7.0.0",
        ),
        Command(
            b"ZDIFF", zdiff, -3, ro | mk, group=_Z, getkeys=numkeys_keys(b"ZDIFF"), since="6.2.0"
        ),
        Command(b"ZRANGE", zrange, -4, ro, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZRANGESTORE", zrangestore, -5, w | DENYOOM, 1, 2, 1, group=_Z, since="6.2.0"),
        Command(b"ZRANGEBYSCORE", zrangebyscore, -4, ro, 1, 1, 1, group=_Z, since="1.0.5"),
        Command(b"ZREVRANGEBYSCORE", zrevrangebyscore, -4, ro, 1, 1, 1, group=_Z, since="2.2.0"),
        Command(b"ZRANGEBYLEX", zrangebylex, -4, ro, 1, 1, 1, group=_Z, since="2.8.9"),
        Command(b"ZREVRANGEBYLEX", zrevrangebylex, -4, ro, 1, 1, 1, group=_Z, since="2.8.9"),
        Command(b"ZCOUNT", zcount, 4, ro | FAST, 1, 1, 1, group=_Z, since="2.0.0"),
        Command(b"ZLEXCOUNT", zlexcount, 4, ro | FAST, 1, 1, 1, group=_Z, since="2.8.9"),
        Command(b"ZREVRANGE", zrevrange, -4, ro, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZCARD", zcard, 2, ro | FAST, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZSCORE", zscore, 3, ro | FAST, 1, 1, 1, group=_Z, since="1.2.0"),
        Command(b"ZMSCORE", zmscore, -3, ro | FAST, 1, 1, 1, group=_Z, since="6.2.0"),
        Command(b"ZRANK", zrank, -3, ro | FAST, 1, 1, 1, group=_Z, since="2.0.0"),
        Command(b"ZREVRANK", zrevrank, -3, ro | FAST, 1, 1, 1, group=_Z, since="2.0.0"),
        Command(b"ZSCAN", zscan, -3, ro, 1, 1, 1, group=_Z, since="2.8.0"),
        Command(b"ZPOPMIN", zpopmin, -2, w | FAST, 1, 1, 1, group=_Z, since="5.0.0"),
        Command(b"ZPOPMAX", zpopmax, -2, w | FAST, 1, 1, 1, group=_Z, since="5.0.0"),
        Command(
            b"ZMPOP", zmpop, -4, w | mk, group=_Z, getkeys=numkeys_keys(b"ZMPOP"), since="7.0.0"
        ),
        Command(
            b"BZPOPMIN",
            bzpopmin,
            -3,
            w | NOSCRIPT | BLOCKING | FAST,
            1,
            -2,
            1,
            group=_Z,
            since="5.0.0",
        ),
        Command(
            b"BZPOPMAX",
            bzpopmax,
            -3,
            w | NOSCRIPT | BLOCKING | FAST,
            1,
            -2,
            1,
            group=_Z,
            since="5.0.0",
        ),
        Command(
            b"BZMPOP",
            bzmpop,
            -5,
            w | BLOCKING | mk,
            group=_Z,
            getkeys=numkeys_keys(b"BZMPOP"),
            since="7.0.0",
        ),
        Command(b"ZRANDMEMBER", zrandmember, -2, ro, 1, 1, 1, group=_Z, since="6.2.0"),
    ]
