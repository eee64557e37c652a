"""Set commands (redis ``t_set.c``, as Redis 7.0).

A set value is a ``Set``: a ``set`` of ``bytes`` members plus a few slots.
Membership, SADD/SREM and the set algebra run on the builtin set in C.

Encoding: Redis 7.0 keeps a set as an ``intset`` while every member is an
integer ``string2ll`` accepts and it holds at most ``set-max-intset-entries``
(512) members, and turns it into a ``hashtable`` for good on the first member
that breaks either rule.  ``Set.ht`` records that one-way switch as SADD goes
(only new members are checked, and only while the flag is still off), so
OBJECT ENCODING is O(1).  Redis iterates an intset in ascending integer order:
replies that Redis builds by walking an intset (SMEMBERS, SSCAN, SUNION,
SDIFF...) are sorted the same way here, so they match Redis byte for byte.

Random members (SPOP, SRANDMEMBER) come through ``RandomDraws``
(``store/sampling.py``): O(1) expected per draw, +8 bytes a member once a
large set has been sampled.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING

from cacheserver.commands.keys import parse_cursor, parse_scan_options
from cacheserver.commands.keyspecs import numkeys_keys
from cacheserver.commands.strings import c_option
from cacheserver.commands.table import DENYOOM, FAST, MOVABLE_KEYS, READONLY, WRITE, Command
from cacheserver.errors import NOT_INTEGER, RAND_RANGE, SYNTAX, CommandError, WrongType
from cacheserver.glob import compile_matcher
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_SET, ScanCursors
from cacheserver.store.memory import draws_cost, mean_cost
from cacheserver.store.sampling import SMALL, RandomDraws, swap_remove
from protocol.resp import (
    EMPTY_ARRAY,
    EMPTY_SCAN,
    LLONG_MAX,
    LLONG_MIN,
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


# set-max-intset-entries, Redis's default (7.0 has no set listpack)
MAX_INTSET_ENTRIES = 512

NUMKEYS = b"ERR numkeys should be greater than 0"
TOO_MANY_KEYS = b"ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = b"ERR LIMIT can't be negative"
NOT_POSITIVE = b"ERR value is out of range, must be positive"


def random_reply_limits(c: Client) -> tuple[int, int]:
    """(elements, bytes) a random-draw reply may hold: the settings
    random-reply-max-elements and random-reply-max-bytes."""
    cfg = c.server.config
    return cfg["random-reply-max-elements"], cfg["random-reply-max-bytes"]


def random_reply_too_big(limits: tuple[int, int]) -> CommandError:
    return CommandError(
        b"ERR count is too large: a reply holds at most %d elements and %d bytes" % limits
    )


EMPTY_SET3 = b"~0\r\n"

_INT = re.compile(rb"(?:0|-?[1-9][0-9]{0,18})\Z")


def is_int(m: bytes) -> bool:
    """True when Redis would keep ``m`` in an intset (its ``string2ll`` accepts it)."""
    if _INT.match(m) is None:
        return False
    return len(m) < 19 or LLONG_MIN <= int(m) <= LLONG_MAX


def _intset_ok(members: Iterable[bytes], n: int) -> bool:
    """Would ``n`` members fit an intset?  Stops at the first non-integer."""
    return n <= MAX_INTSET_ENTRIES and all(map(is_int, members))


class Set(RandomDraws, set[bytes]):
    """A set value (TYPE ``set``); see the module docstring for the slots."""

    __slots__ = ("arr", "base", "grave", "ht", "mem", "per", "scans", "sn")

    TYPE = b"set"

    def __init__(self, members: Iterable[bytes] = (), ht: bool | None = None) -> None:
        super().__init__(members)
        self.arr: list[bytes] | None = None
        self.grave: set[bytes] | None = None
        self.scans: ScanCursors | None = None
        self.ht: bool = not _intset_ok(self, len(self)) if ht is None else ht
        # memory estimate (store/memory.py): bytes accounted; its base, bytes per element and the length at the last full estimate
        self.mem = -1
        self.base = 0
        self.per = 0
        self.sn = 0

    def mem_sample(self, k: int) -> float:
        """Mean bytes of one member, over up to ``k`` of them (0: all)."""
        return mean_cost(self if k <= 0 else islice(self, k))

    def mem_side(self) -> int:
        """Bytes of the random-draw index."""
        return draws_cost(self.arr, self.grave)

    @property
    def ENCODING(self) -> bytes:
        return b"hashtable" if self.ht else b"intset"

    def copy(self) -> Set:
        """A deep copy (COPY): members are immutable bytes."""
        return Set(self, self.ht)

    # -- writes that keep ``ht`` and ``arr`` in step --------------------------

    def add_all(self, members: Iterable[bytes]) -> int:
        """Add members; the number that were new."""
        n = len(self)
        if self.ht and self.arr is None:
            self.update(members)
            return len(self) - n
        add = self.add
        arr = self.arr
        for m in members:
            if m in self:
                continue
            add(m)
            if not self.ht and (len(self) > MAX_INTSET_ENTRIES or not is_int(m)):
                self.ht = True
            if arr is not None:
                self._note_added(m)
        return len(self) - n

    def remove_all(self, members: Iterable[bytes]) -> int:
        """Remove members; the number that were present."""
        n = len(self)
        arr = self.arr
        if arr is None:
            self.difference_update(members)
            return n - len(self)
        for m in members:
            if m in self:
                self.remove(m)
                self._note_removed(m)
        return n - len(self)

    def reset(self, members: Iterable[bytes]) -> None:
        """Replace every member; the encoding is chosen afresh, as for a new set."""
        self.clear()
        self.update(members)
        self.arr = self.grave = None
        self.ht = not _intset_ok(self, len(self))

    # -- random members (RandomDraws) -------------------------------------------

    def random_member(self) -> bytes:
        return self.random_one()

    def pop_random(self) -> bytes:
        if self.arr is None and len(self) <= SMALL:
            m = self.random_one()
            self.remove(m)
            return m
        arr, i, m = self._pick()
        swap_remove(arr, i)
        self.remove(m)
        return m


# -- replies ------------------------------------------------------------------


def _bulks(members: Iterable[bytes], intset: bool) -> bytes:
    """Members as bulk strings; in ascending integer order for an intset."""
    return bulk_strings(sorted(members, key=int) if intset else list(members))


def _set_reply(c: Client, members: Iterable[bytes], n: int, intset: bool) -> bytes:
    """A RESP3 set (RESP2 array) of ``n`` members."""
    head = b"~%d\r\n" % n if c.resp3 else array_header(n)
    return head + _bulks(members, intset)


def _result_reply(c: Client, result: set[bytes]) -> bytes:
    """The reply for a computed set: sorted when Redis would hold it as an intset."""
    n = len(result)
    return _set_reply(c, result, n, _intset_ok(result, n))


def _empty_set(c: Client) -> bytes:
    return EMPTY_SET3 if c.resp3 else EMPTY_ARRAY


# -- lookups ------------------------------------------------------------------


def _read_sets(c: Client, keys: list[bytes]) -> list[Set | None]:
    """Every source set (a read lookup each, as Redis); WRONGTYPE at the first
    key of another type, even after a missing one."""
    get, now = c.db.get_typed, c.now
    return [get(k, now, Set) for k in keys]


def _all_sets(c: Client, keys: list[bytes]) -> list[Set] | None:
    """The source sets of an intersection, or None when one is missing (the
    intersection is then empty; every key is still looked up and type-checked)."""
    sets = _read_sets(c, keys)
    present = [s for s in sets if s is not None]
    return present if len(present) == len(sets) else None


def _store(c: Client, dst: bytes, result: Set, event: bytes) -> bytes:
    """Replace ``dst`` with ``result`` (any old type, TTL dropped), or delete it
    when the result is empty; reply with the size.  Signals ``event`` for a
    stored result, ``del`` when an empty one deleted ``dst``."""
    db = c.db
    ks = db.ks
    dirty = ks.dirty
    existed = db.lookup(dst, c.now) is not None
    if result:
        if existed:
            db.set(dst, result)  # redis setKey: an overwrite, no new key
        else:
            db.add(dst, result)
        db.changed(dst, NOTIFY_SET, event)
    elif existed:
        db.drop(dst, ks.lazy_server_del)
        db.changed(dst, NOTIFY_GENERIC, b"del")
    ks.dirty = dirty + 1
    return integer(len(result))


# -- algebra ------------------------------------------------------------------


def _inter(sets: list[Set]) -> set[bytes]:
    """Intersection, smallest set first (C loops over the smaller side)."""
    sets = sorted(sets, key=len)
    first = sets[0]
    others = [s for s in sets[1:] if s is not first]
    if not others:
        return set(first)
    return first.intersection(*others)


def _union(sets: list[Set | None]) -> set[bytes]:
    return set().union(*[s for s in sets if s])


def _diff(first: Set, others: list[Set]) -> set[bytes]:
    """``first`` minus the others, in O(min(|first| * M, total size)) as Redis
    chooses between its two algorithms: a small set is removed from a private
    copy, a big one is tested against each remaining member."""
    cur: set[bytes] = first
    own = False
    for o in others:
        if not cur:
            break
        if 4 * len(o) < len(cur):
            if not own:
                cur, own = set(cur), True
            cur.difference_update(o)
        else:
            cur, own = cur.difference(o), True
    return cur if own else set(cur)


def _diff_forces_ht(sets: list[Set | None]) -> bool:
    """Whether SDIFFSTORE's result is a hashtable whatever it holds: Redis's
    second algorithm first copies the whole first set into the result, which
    converts if that set does not fit an intset."""
    first = sets[0]
    if first is None:
        return False
    live = [s for s in sets if s is not None]
    algo_one = len(first) * len(live) // 2
    algo_two = sum(map(len, live))
    if algo_one <= algo_two:
        return False
    return first.ht and not _intset_ok(first, len(first))


# -- handlers -----------------------------------------------------------------


def sadd(c: Client, argv: list[bytes]) -> bytes:
    """SADD key member [member ...] -> integer (members added)

    Complexity: O(1) for each member added.
    """
    db = c.db
    key = argv[1]
    ks = db.ks
    # db.lookup_typed inlined (SADD is a hot path): lazy expiry, LRU touch
    s = db.data.get(key)
    if s is not None and db.expires and key in db.expires:
        s = db.lookup(key, c.now)
    if s is not None:
        if s.__class__ is not Set:
            raise WrongType()
        db.access[key] = ks.write_mark
        if len(argv) == 3 and s.ht and s.arr is None:  # one member: no bookkeeping
            m = argv[2]
            if m in s:
                return ZERO
            s.add(m)
            ks.dirty += 1
            db.changed(key, NOTIFY_SET, b"sadd", s)
            return ONE
    dirty = ks.dirty
    if s is None:
        s = Set()
        db.add(key, s)
    added = s.add_all(islice(argv, 2, None))
    ks.dirty = dirty + added
    if added:
        db.changed(key, NOTIFY_SET, b"sadd", s)
    return integer(added)


def srem(c: Client, argv: list[bytes]) -> bytes:
    """SREM key member [member ...] -> integer (members removed)

    Complexity: O(N) where N is the number of members to remove.
    """
    db = c.db
    key = argv[1]
    s = db.lookup_typed(key, c.now, Set)
    if s is None:
        return ZERO
    ks = db.ks
    dirty = ks.dirty
    removed = s.remove_all(islice(argv, 2, None))
    if not s:
        db.delete(key)
    ks.dirty = dirty + removed
    if removed:
        db.changed(key, NOTIFY_SET, b"srem")
        if not s:
            db.notify(key, NOTIFY_GENERIC, b"del")
    return integer(removed)


def smembers(c: Client, argv: list[bytes]) -> bytes:
    """SMEMBERS key -> set of bulk

    Complexity: O(N) where N is the set cardinality.
    """
    s = c.db.get_typed(argv[1], c.now, Set)
    if s is None:
        return _empty_set(c)
    return _set_reply(c, s, len(s), not s.ht)


def sismember(c: Client, argv: list[bytes]) -> bytes:
    """SISMEMBER key member -> integer (1 member, 0 not)

    Complexity: O(1)
    """
    s = c.db.get_typed(argv[1], c.now, Set)
    return ONE if s is not None and argv[2] in s else ZERO


def smismember(c: Client, argv: list[bytes]) -> bytes:
    """SMISMEMBER key member [member ...] -> array of integer (1 member, 0 not)

    Complexity: O(N) where N is the number of members checked.
    """
    s = c.db.get_typed(argv[1], c.now, Set)
    members = argv[2:]
    head = array_header(len(members))
    if s is None:
        return head + ZERO * len(members)
    return head + b"".join([ONE if m in s else ZERO for m in members])


def scard(c: Client, argv: list[bytes]) -> bytes:
    """SCARD key -> integer (members in the set, 0 for a missing key)

    Complexity: O(1)
    """
    s = c.db.get_typed(argv[1], c.now, Set)
    return ZERO if s is None else integer(len(s))


def spop(c: Client, argv: list[bytes]) -> bytes:
    """SPOP key [count] -> bulk | nil | set of bulk

    Complexity: O(1) without count, otherwise O(N) where N is the count.
    """
    n = len(argv)
    if n == 3:
        return _spop_count(c, argv)
    if n > 3:
        raise CommandError(SYNTAX)
    db = c.db
    key = argv[1]
    s = db.lookup_typed(key, c.now, Set)
    if s is None:
        return c.nil
    ks = db.ks
    dirty = ks.dirty
    m = s.pop_random()
    if not s:
        db.delete(key)
    ks.dirty = dirty + 1
    db.changed(key, NOTIFY_SET, b"spop")
    if not s:
        db.notify(key, NOTIFY_GENERIC, b"del")
    return bulk(m)


def _spop_count(c: Client, argv: list[bytes]) -> bytes:
    count = string2ll(argv[2])
    if count is None or count < 0:
        raise CommandError(NOT_POSITIVE)
    db = c.db
    key = argv[1]
    s = db.lookup_typed(key, c.now, Set)
    if s is None or count == 0:
        return _empty_set(c)
    ks = db.ks
    dirty = ks.dirty
    size = len(s)
    if count >= size:  # the whole set, as SMEMBERS, and the key goes
        db.changed(key, NOTIFY_SET, b"spop")
        reply = _set_reply(c, s, size, not s.ht)
        db.delete(key)
        db.notify(key, NOTIFY_GENERIC, b"del")
    else:
        remaining = size - count
        if remaining * 5 > count:  # few to pop: pop them one by one
            pop = s.pop_random
            popped = [pop() for _ in range(count)]
            reply = _set_reply(c, popped, count, False)
        else:
            # Most of the set goes: draw the few that stay, reply with the
            # rest, and start the set afresh (Redis builds a new set here, so
            # the encoding is chosen again from what is left).
            keep = random.sample(list(s), remaining)
            intset = not s.ht
            s.difference_update(keep)
            reply = _set_reply(c, s, count, intset)
            s.reset(keep)
        db.changed(key, NOTIFY_SET, b"spop")
    ks.dirty = dirty + count + 1
    return reply


def srandmember(c: Client, argv: list[bytes]) -> bytes:
    """SRANDMEMBER key [count] -> bulk | nil | array of bulk

    Complexity: O(1) without count, otherwise O(N) where N is the absolute count.
    """
    n = len(argv)
    if n == 3:
        return _srandmember_count(c, argv)
    if n > 3:
        raise CommandError(SYNTAX)
    s = c.db.get_typed(argv[1], c.now, Set)
    if s is None:
        return c.nil
    return bulk(s.random_member())


def _srandmember_count(c: Client, argv: list[bytes]) -> bytes:
    count = string2ll(argv[2])
    if count is None:
        raise CommandError(NOT_INTEGER)
    if count == LLONG_MIN:  # Redis takes -LONG_MAX..LONG_MAX so that -count fits
        raise CommandError(RAND_RANGE)
    s = c.db.get_typed(argv[1], c.now, Set)
    if s is None or count == 0:
        return EMPTY_ARRAY
    size = len(s)
    if count < 0:  # repeats allowed: exactly -count draws
        k = -count
        limits = random_reply_limits(c)
        if k > limits[0] or k * _mean_reply_size(s) > limits[1]:
            raise random_reply_too_big(limits)
        drawn = s.choices(k)
        if k >= size:  # each member is encoded once, then referenced
            enc = {m: bulk(m) for m in s} if size <= k // 4 else None
            if enc is not None:
                return array_header(k) + b"".join(map(enc.__getitem__, drawn))
        return bulk_array(drawn)
    if count >= size:
        return array_header(size) + _bulks(s, not s.ht)
    return bulk_array(s.sample(count))


def _mean_reply_size(s: Set) -> float:
    """Bytes a drawn member takes in the reply, from a few random draws."""
    draws = [s.random_member() for _ in range(min(len(s), 8))]
    return sum(len(m) for m in draws) / len(draws) + 8  # "$<len>\r\n...\r\n"


def smove(c: Client, argv: list[bytes]) -> bytes:
    """SMOVE source destination member -> integer (1 moved, 0 not a member)

    Complexity: O(1)
    """
    db, now = c.db, c.now
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.lookup(src_key, now)
    dst = db.lookup(dst_key, now)
    if src is None:
        return ZERO
    if src.__class__ is not Set or (dst is not None and dst.__class__ is not Set):
        raise WrongType()
    if src is dst:
        return ONE if member in src else ZERO
    if not src.remove_all((member,)):
        return ZERO
    ks = db.ks
    dirty = ks.dirty
    db.changed(src_key, NOTIFY_SET, b"srem")
    if not src:
        db.delete(src_key)
        db.notify(src_key, NOTIFY_GENERIC, b"del")
    if dst is None:
        dst = Set()
        db.add(dst_key, dst)
    added = dst.add_all((member,))
    ks.dirty = dirty + 1 + added
    if added:
        db.changed(dst_key, NOTIFY_SET, b"sadd")
    return ONE


def sinter(c: Client, argv: list[bytes]) -> bytes:
    """SINTER key [key ...] -> set of bulk

    Complexity: O(N*M) worst case where N is the smallest set's size and M the number of sets.
    """
    sets = _all_sets(c, argv[1:])
    if sets is None:
        return _empty_set(c)
    return _result_reply(c, _inter(sets))


def sinterstore(c: Client, argv: list[bytes]) -> bytes:
    """SINTERSTORE destination key [key ...] -> integer (members stored)

    Complexity: O(N*M) worst case where N is the smallest set's size and M the number of sets.
    """
    sets = _all_sets(c, argv[2:])
    return _store(c, argv[1], Set() if sets is None else Set(_inter(sets)), b"sinterstore")


def sintercard(c: Client, argv: list[bytes]) -> bytes:
    """SINTERCARD numkeys key [key ...] [LIMIT limit] -> integer (size of the intersection)

    Complexity: O(N*M) worst case where N is the smallest set's size and M the number of sets.
    """
    numkeys = string2ll(argv[1])
    if numkeys is None or numkeys < 1:
        raise CommandError(NUMKEYS)
    n = len(argv)
    if numkeys > n - 2:
        raise CommandError(TOO_MANY_KEYS)
    limit = 0
    i = 2 + numkeys
    while i < n:
        if c_option(argv[i]) == b"limit" and i + 1 < n:
            i += 1
            v = string2ll(argv[i])
            if v is None or v < 0:
                raise CommandError(LIMIT_NEGATIVE)
            limit = v
        else:
            raise CommandError(SYNTAX)
        i += 1
    sets = _all_sets(c, argv[2 : 2 + numkeys])
    if sets is None:
        return ZERO
    if not limit:
        return integer(len(_inter(sets)))
    ordered = sorted(sets, key=len)
    first = ordered[0]
    found: Iterable[bytes] = iter(first)
    for s in ordered[1:]:
        if s is not first:
            found = filter(s.__contains__, found)
    # stop as soon as the limit is reached
    return integer(len(list(islice(found, limit))))


def sunion(c: Client, argv: list[bytes]) -> bytes:
    """SUNION key [key ...] -> set of bulk

    Complexity: O(N) where N is the total number of members in all given sets.
    """
    return _result_reply(c, _union(_read_sets(c, argv[1:])))


def sunionstore(c: Client, argv: list[bytes]) -> bytes:
    """SUNIONSTORE destination key [key ...] -> integer (members stored)

    Complexity: O(N) where N is the total number of members in all given sets.
    """
    return _store(c, argv[1], Set(_union(_read_sets(c, argv[2:]))), b"sunionstore")


def _sdiff(c: Client, keys: list[bytes]) -> tuple[set[bytes], list[Set | None]]:
    sets = _read_sets(c, keys)
    first = sets[0]
    if first is None:
        return set(), sets
    return _diff(first, [s for s in sets[1:] if s is not None]), sets


def sdiff(c: Client, argv: list[bytes]) -> bytes:
    """SDIFF key [key ...] -> set of bulk

    Complexity: O(N) where N is the total number of members in all given sets.
    """
    return _result_reply(c, _sdiff(c, argv[1:])[0])


def sdiffstore(c: Client, argv: list[bytes]) -> bytes:
    """SDIFFSTORE destination key [key ...] -> integer (members stored)

    Complexity: O(N) where N is the total number of members in all given sets.
    """
    result, sets = _sdiff(c, argv[2:])
    stored = Set(result, True) if result and _diff_forces_ht(sets) else Set(result)
    return _store(c, argv[1], stored, b"sdiffstore")


def sscan(c: Client, argv: list[bytes]) -> bytes:
    """SSCAN key cursor [MATCH pattern] [COUNT count] -> [cursor, [member ...]]

    Complexity: O(1) for every call, O(N) for a complete iteration.
    """
    cursor = parse_cursor(argv[2])
    s = c.db.get_typed(argv[1], c.now, Set)
    if s is None:
        return EMPTY_SCAN
    opts = parse_scan_options(argv, 3)
    count, pattern = opts.count, opts.pattern
    if not s.ht:
        # Redis returns a whole intset in one reply, in order, whatever the cursor
        nxt, batch = 0, sorted(s, key=int)
    else:
        scans = s.scans
        if scans is None:
            scans = s.scans = ScanCursors()
        nxt, batch = scans.scan(s, cursor, count)
        batch = [m for m in batch if m in s]  # members removed since the snapshot
    if pattern is not None:
        batch = list(filter(compile_matcher(pattern), batch))
    return b"*2\r\n" + bulk(b"%d" % nxt) + bulk_array(batch)


# -- the table ----------------------------------------------------------------

_SET = "set"


def make_commands() -> list[Command]:
    # Arity, flags and key positions as Redis 7.0's command table.
    ro, w = READONLY, WRITE
    return [
        Command(b"SADD", sadd, -3, w | DENYOOM | FAST, 1, 1, 1, group=_SET),
        Command(b"SREM", srem, -3, w | FAST, 1, 1, 1, group=_SET),
        Command(b"SMEMBERS", smembers, 2, ro, 1, 1, 1, group=_SET),
        Command(b"SISMEMBER", sismember, 3, ro | FAST, 1, 1, 1, group=_SET),
        Command(b"SMISMEMBER", smismember, -3, ro | FAST, 1, 1, 1, group=_SET, since="6.2.0"),
        Command(b"SCARD", scard, 2, ro | FAST, 1, 1, 1, group=_SET),
        Command(b"SPOP", spop, -2, w | FAST, 1, 1, 1, group=_SET),
        Command(b"SRANDMEMBER", srandmember, -2, ro, 1, 1, 1, group=_SET),
        Command(b"SMOVE", smove, 4, w | FAST, 1, 2, 1, group=_SET),
        Command(b"SINTER", sinter, -2, ro, 1, -1, 1, group=_SET),
        Command(
            b"SINTERCARD",
            sintercard,
            -3,
            ro | MOVABLE_KEYS,
            group=_SET,
            getkeys=numkeys_keys(b"SINTERCARD"),
            since="7.0.0",
        ),
        Command(b"SINTERSTORE", sinterstore, -3, w | DENYOOM, 1, -1, 1, group=_SET),
        Command(b"SUNION", sunion, -2, ro, 1, -1, 1, group=_SET),
        Command(b"SUNIONSTORE", sunionstore, -3, w | DENYOOM, 1, -1, 1, group=_SET),
        Command(b"SDIFF", sdiff, -2, ro, 1, -1, 1, group=_SET),
        Command(b"SDIFFSTORE", sdiffstore, -3, w | DENYOOM, 1, -1, 1, group=_SET),
        Command(b"SSCAN", sscan, -3, ro, 1, 1, 1, group=_SET, since="2.8.0"),
    ]
