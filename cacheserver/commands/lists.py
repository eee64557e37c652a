"""List commands (redis ``t_list.c``), blocking pops included.

A list is a ``List``: a ``collections.deque`` of ``bytes``, so pushes and pops
at both ends are O(1) and indexing is O(n/64) block hops in C.  Empty lists
are deleted, as Redis does.  Long walks (LRANGE, LPOS, LREM, LTRIM) run in C
through ``islice``/``compress``/``index`` rather than Python loops.

Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) that find nothing
hand the client to ``cacheserver.blocking`` with a ``serve`` closure; every
command that may make a list appear (a push, LMOVE's destination) calls
``db.signal_ready``, and the walk serves the waiters after that command.  As
in Redis the push completes first and the waiter then pops, so an element
taken by a waiter never stays in the list.

Lookups follow Redis's read/write split: LLEN, LRANGE, LINDEX and LPOS read
(counted as keyspace hits and misses), the others look up for writing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from itertools import chain, compress, count, islice
from typing import TYPE_CHECKING

from cacheserver.commands.keyspecs import numkeys_keys
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
    NO_SUCH_KEY,
    NOT_INTEGER,
    SYNTAX,
    WRONGTYPE,
    CommandError,
    WrongType,
    wrong_arity,
)
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_LIST
from cacheserver.store.memory import mean_cost
from protocol.resp import (
    EMPTY_ARRAY,
    INTEGERS,
    NEG_ONE,
    NIL3,
    NIL_ARRAY2,
    OK,
    ZERO,
    array_header,
    bulk,
    bulk_array,
    integer,
    string2ll,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client, Pending
    from cacheserver.store.keyspace import Database

LLONG_MIN = -(2**63)

INDEX_RANGE = b"ERR index out of range"
MUST_BE_POSITIVE = b"ERR value is out of range, must be positive"
RANK_ZERO = (
    b"ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    b"or use negative to start from the end of the list"
)
COUNT_NEGATIVE = b"ERR COUNT can't be negative"
MAXLEN_NEGATIVE = b"ERR MAXLEN can't be negative"
NUMKEYS = b"ERR numkeys should be greater than 0"
COUNT_POSITIVE = b"ERR count should be greater than 0"


class List(deque[bytes]):
    """A list value: a deque of element bytes."""

    __slots__ = ("base", "mem", "per", "sn")

    TYPE = b"list"
    # Redis 7.0 reports quicklist for every list (list-max-listpack-size -2)
    ENCODING = b"quicklist"

    def __init__(self, items: Iterable[bytes] = ()) -> None:
        super().__init__(items)
        # memory estimate (store/memory.py): bytes accounted; its base, bytes per element and the length at the last full estimate
        self.mem = -1
        self.base = 0
        self.per = 0
        self.sn = 0

    def copy(self) -> List:
        """An independent list with the same elements (elements are immutable)."""
        return List(self)

    def mem_sample(self, k: int) -> float:
        """Mean bytes of one element, over up to ``k`` of them from both ends (0: all)."""
        n = len(self)
        if k <= 0 or n <= k:
            return mean_cost(self)
        half = k >> 1
        return mean_cost(chain(islice(self, half), islice(reversed(self), k - half)))

    def mem_side(self) -> int:
        return 0


# -- helpers ----------------------------------------------------------------


def _int(arg: bytes) -> int:
    """A C long as redis ``getLongFromObjectOrReply``."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    return n


def _ranged(arg: bytes, low: int, msg: bytes) -> int:
    """An integer >= ``low`` (redis ``getRangeLongFromObjectOrReply`` with a
    message: the same text for junk and for a value out of range)."""
    n = string2ll(arg)
    if n is None or n < low:
        raise CommandError(msg)
    return n


def _where(arg: bytes) -> bool:
    """LEFT -> True, RIGHT -> False (redis ``getListPositionFromObjectOrReply``)."""
    w = c_option(arg)
    if w == b"left":
        return True
    if w == b"right":
        return False
    raise CommandError(SYNTAX)


def parse_timeout(arg: bytes) -> float:
    """The blocking timeout argument in seconds (0 = forever)."""
    # imported here: cacheserver.blocking imports the connection, which
    # imports the command families
    from cacheserver.blocking import parse_timeout as parse

    return parse(arg)


def _nil_array(c: Client) -> bytes:
    return NIL3 if c.resp3 else NIL_ARRAY2


def _span(n: int, start: int, end: int) -> tuple[int, int] | None:
    """Clamp LRANGE/LTRIM indexes to ``[start, end]`` inside a list of ``n``;
    None when the range is empty (redis ``addListRangeReply``)."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    if end >= n:
        end = n - 1
    return start, end


def _items(lst: List, start: int, end: int) -> list[bytes]:
    """Elements ``start..end`` (valid, inclusive), walking from the nearer end."""
    n = len(lst)
    if start == 0 and end == n - 1:
        return list(lst)
    if start <= n - 1 - end:
        return list(islice(lst, start, end + 1))
    out = list(islice(reversed(lst), n - 1 - end, n - start))
    out.reverse()
    return out


def _pop_many(lst: List, left: bool, n: int) -> list[bytes]:
    """Pop ``n`` (<= len) elements in pop order."""
    if n == len(lst):
        out = list(lst) if left else list(reversed(lst))
        lst.clear()
        return out
    if n * 4 < len(lst):  # a few: pop them one by one
        pop = lst.popleft if left else lst.pop
        return [pop() for _ in range(n)]
    # many: copy both parts in C rather than loop in Python
    size = len(lst)
    if left:
        out = list(islice(lst, n))
        rest = list(islice(lst, n, None))
    else:
        out = list(islice(reversed(lst), n))
        rest = list(islice(lst, size - n))
    lst.clear()
    lst.extend(rest)
    return out


def _pushed(db: Database, key: bytes, lst: List | None, value: bytes, left: bool) -> None:
    """Push one element onto ``lst`` (a List at ``key``, or None: create it)."""
    if lst is None:
        lst = List()
        db.add(key, lst)
    if left:
        lst.appendleft(value)
    else:
        lst.append(value)
    db.signal_ready(key)
    db.changed(key, NOTIFY_LIST, b"lpush" if left else b"rpush")


def _popped(db: Database, key: bytes, lst: List, left: bool) -> None:
    """Bookkeeping after a pop: an empty list is deleted; the pop event,
    then ``del``."""
    if not lst:
        db.delete(key)
        db.changed(key, NOTIFY_LIST, b"lpop" if left else b"rpop")
        db.notify(key, NOTIFY_GENERIC, b"del")
    else:
        db.ks.dirty += 1
        # the list passed: its estimate is refreshed without a lookup
        db.changed(key, NOTIFY_LIST, b"lpop" if left else b"rpop", lst)


def _moved(
    db: Database,
    src: bytes,
    slst: List,
    left_from: bool,
    dst: bytes,
    dlst: List | None,
    left_to: bool,
) -> bytes:
    """Pop from ``slst`` and push onto ``dst`` (LMOVE, a served BLMOVE): the
    push's event first, then the pop's, then ``del`` when the source emptied
    (redis ``lmoveGenericCommand``)."""
    value = slst.popleft() if left_from else slst.pop()
    _pushed(db, dst, dlst, value, left_to)
    if not slst:
        db.delete(src)
    db.ks.dirty += 1
    db.changed(src, NOTIFY_LIST, b"lpop" if left_from else b"rpop")
    if not slst:
        db.notify(src, NOTIFY_GENERIC, b"del")
    return bulk(value)


def _key_value(key: bytes, value: bytes) -> bytes:
    """``[key, value]``: the BLPOP/BRPOP reply."""
    return b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value)


def _key_values(db: Database, key: bytes, lst: List, left: bool, n: int) -> bytes:
    """Pop up to ``n`` and reply ``[key, [elements]]`` (LMPOP, BLMPOP)."""
    items = _pop_many(lst, left, min(n, len(lst)))
    _popped(db, key, lst, left)
    return b"*2\r\n" + bulk(key) + bulk_array(items)


# -- push -------------------------------------------------------------------


def _push(c: Client, argv: list[bytes], left: bool, only_existing: bool) -> bytes:
    db = c.db
    key = argv[1]
    lst = db.lookup(key, c.now)  # lookup_typed, inlined: the benchmarked path
    if lst is None:
        if only_existing:
            return ZERO
        lst = List()
        db.add(key, lst)
    elif lst.__class__ is not List:
        raise WrongType()
    if len(argv) == 3:
        if left:
            lst.appendleft(argv[2])
        else:
            lst.append(argv[2])
    elif left:
        lst.extendleft(argv[2:])
    else:
        lst.extend(argv[2:])
    db.ks.dirty += len(argv) - 2
    if db.blocked:
        db.signal_ready(key)
    db.changed(key, NOTIFY_LIST, b"lpush" if left else b"rpush", lst)
    n = len(lst)
    return INTEGERS[n] if n < 1024 else b":%d\r\n" % n  # integer(), inlined


def lpush(c: Client, argv: list[bytes]) -> bytes:
    """LPUSH key element [element ...] -> integer (length after the push)

    Complexity: O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
    """
    return _push(c, argv, True, False)


def rpush(c: Client, argv: list[bytes]) -> bytes:
    """RPUSH key element [element ...] -> integer (length after the push)

    Complexity: O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
    """
    return _push(c, argv, False, False)


def lpushx(c: Client, argv: list[bytes]) -> bytes:
    """LPUSHX key element [element ...] -> integer (length after the push, 0 if no list)

    Complexity: O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
    """
    return _push(c, argv, True, True)


def rpushx(c: Client, argv: list[bytes]) -> bytes:
    """RPUSHX key element [element ...] -> integer (length after the push, 0 if no list)

    Complexity: O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
    """
    return _push(c, argv, False, True)


# -- pop --------------------------------------------------------------------


def _pop(c: Client, argv: list[bytes], left: bool) -> bytes:
    n = len(argv)
    if n > 3:
        raise wrong_arity(b"lpop" if left else b"rpop")
    cnt = _ranged(argv[2], 0, MUST_BE_POSITIVE) if n == 3 else -1
    db = c.db
    key = argv[1]
    lst = db.lookup(key, c.now)  # lookup_typed, inlined: the benchmarked path
    if lst is None:
        return c.nil if cnt < 0 else _nil_array(c)
    if lst.__class__ is not List:
        raise WrongType()
    if cnt < 0:
        value = lst.popleft() if left else lst.pop()
        _popped(db, key, lst, left)
        return bulk(value)
    if cnt == 0:
        return EMPTY_ARRAY
    items = _pop_many(lst, left, min(cnt, len(lst)))
    _popped(db, key, lst, left)
    return bulk_array(items)


def lpop(c: Client, argv: list[bytes]) -> bytes:
    """LPOP key [count] -> bulk | nil (no count); array | nil array (with count)

    Complexity: O(N) where N is the number of elements returned
    """
    return _pop(c, argv, True)


def rpop(c: Client, argv: list[bytes]) -> bytes:
    """RPOP key [count] -> bulk | nil (no count); array | nil array (with count)

    Complexity: O(N) where N is the number of elements returned
    """
    return _pop(c, argv, False)


# -- read -------------------------------------------------------------------


def llen(c: Client, argv: list[bytes]) -> bytes:
    """LLEN key -> integer

    Complexity: O(1)
    """
    lst = c.db.get_typed(argv[1], c.now, List)
    return ZERO if lst is None else integer(len(lst))


def lrange(c: Client, argv: list[bytes]) -> bytes:
    """LRANGE key start stop -> array of bulk

    Complexity: O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.
    """
    start = _int(argv[2])
    end = _int(argv[3])
    lst = c.db.get_typed(argv[1], c.now, List)
    if lst is None:
        return EMPTY_ARRAY
    span = _span(len(lst), start, end)
    if span is None:
        return EMPTY_ARRAY
    start, end = span
    return bulk_array(_items(lst, start, end))


def lindex(c: Client, argv: list[bytes]) -> bytes:
    """LINDEX key index -> bulk | nil

    Complexity: O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).
    """
    lst = c.db.get_typed(argv[1], c.now, List)
    if lst is None:
        return c.nil
    i = _int(argv[2])
    n = len(lst)
    if -n <= i < n:
        return bulk(lst[i])
    return c.nil


def lpos(c: Client, argv: list[bytes]) -> bytes:
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] -> integer | nil
    (no COUNT); array of integer (with COUNT)

    Complexity: O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.
    """
    rank, cnt, maxlen = 1, -1, 0
    j, n = 3, len(argv)
    while j < n:
        opt = c_option(argv[j])
        if j + 1 >= n:
            raise CommandError(SYNTAX)
        j += 1
        if opt == b"rank":
            rank = _int(argv[j])
            if rank == 0:
                raise CommandError(RANK_ZERO)
        elif opt == b"count":
            cnt = _ranged(argv[j], 0, COUNT_NEGATIVE)
        elif opt == b"maxlen":
            maxlen = _ranged(argv[j], 0, MAXLEN_NEGATIVE)
        else:
            raise CommandError(SYNTAX)
        j += 1
    lst = c.db.get_typed(argv[1], c.now, List)
    if lst is None:
        return c.nil if cnt < 0 else EMPTY_ARRAY
    size = len(lst)
    forward = rank > 0
    # Redis negates a negative rank in a C long: LLONG_MIN stays negative, so
    # every match qualifies and COUNT never stops the walk (its break test wraps).
    if rank == LLONG_MIN:
        skip = 0
        if cnt > 0:
            cnt = 0
    else:
        skip = (rank if forward else -rank) - 1
    if skip >= size:
        return c.nil if cnt < 0 else EMPTY_ARRAY
    window = islice(lst if forward else reversed(lst), maxlen or None)
    hits = compress(count(), map(argv[2].__eq__, window))
    if cnt < 0:
        found = next(islice(hits, skip, None), None)
        if found is None:
            return c.nil
        return integer(found if forward else size - 1 - found)
    taken = list(islice(hits, skip, skip + min(cnt, size) if cnt else None))
    if forward:
        return b"".join([array_header(len(taken)), *map(integer, taken)])
    return b"".join([array_header(len(taken)), *(integer(size - 1 - i) for i in taken)])


# -- modify in place --------------------------------------------------------


def lset(c: Client, argv: list[bytes]) -> bytes:
    """LSET key index element -> +OK

    Complexity: O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).
    """
    lst = c.db.lookup_typed(argv[1], c.now, List)
    if lst is None:
        raise CommandError(NO_SUCH_KEY)
    i = _int(argv[2])
    n = len(lst)
    if not -n <= i < n:
        raise CommandError(INDEX_RANGE)
    lst[i] = argv[3]
    c.db.ks.dirty += 1
    c.db.changed(argv[1], NOTIFY_LIST, b"lset")
    return OK


def linsert(c: Client, argv: list[bytes]) -> bytes:
    """LINSERT key <BEFORE | AFTER> pivot element -> integer (length, -1 no pivot, 0 no key)

    Complexity: O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).
    """
    where = c_option(argv[2])
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise CommandError(SYNTAX)
    lst = c.db.lookup_typed(argv[1], c.now, List)
    if lst is None:
        return ZERO
    try:
        i = lst.index(argv[3])
    except ValueError:
        return NEG_ONE
    lst.insert(i + 1 if after else i, argv[4])
    c.db.ks.dirty += 1
    c.db.changed(argv[1], NOTIFY_LIST, b"linsert")
    return integer(len(lst))


def lrem(c: Client, argv: list[bytes]) -> bytes:
    """LREM key count element -> integer (removed)

    Complexity: O(N+M) where N is the length of the list and M is the number of elements removed.
    """
    todo = _int(argv[2])
    db = c.db
    key = argv[1]
    lst = db.lookup_typed(key, c.now, List)
    if lst is None:
        return ZERO
    ele = argv[3]
    size = len(lst)
    if todo >= 0:
        hits = compress(count(), map(ele.__eq__, lst))
        where = list(islice(hits, min(todo, size) or None))
    else:
        hits = compress(count(), map(ele.__eq__, reversed(lst)))
        where = [size - 1 - i for i in islice(hits, min(-todo, size))]
        where.reverse()
    removed = len(where)
    if not removed:
        return ZERO
    if removed == size:
        db.delete(key)
        db.changed(key, NOTIFY_LIST, b"lrem")
        db.notify(key, NOTIFY_GENERIC, b"del")
        return integer(removed)
    if removed <= 16:
        for i in reversed(where):  # from the back, so earlier indexes stay valid
            del lst[i]
    else:
        drop = set(where)
        kept = [v for i, v in enumerate(lst) if i not in drop]
        lst.clear()
        lst.extend(kept)
    db.ks.dirty += removed
    db.changed(key, NOTIFY_LIST, b"lrem")
    return integer(removed)


def ltrim(c: Client, argv: list[bytes]) -> bytes:
    """LTRIM key start stop -> +OK

    Complexity: O(N) where N is the number of elements to be removed by the operation.
    """
    start = _int(argv[2])
    end = _int(argv[3])
    db = c.db
    key = argv[1]
    lst = db.lookup_typed(key, c.now, List)
    if lst is None:
        return OK
    n = len(lst)
    span = _span(n, start, end)
    # Redis signals LTRIM whenever the list exists, even when nothing is cut
    if span is None:
        db.delete(key)
        db.changed(key, NOTIFY_LIST, b"ltrim")
        db.notify(key, NOTIFY_GENERIC, b"del")
        return OK
    start, end = span
    cut = n - (end - start + 1)
    if not cut:
        db.changed(key, NOTIFY_LIST, b"ltrim")
        return OK
    if cut <= 64:
        for _ in range(start):
            lst.popleft()
        for _ in range(n - 1 - end):
            lst.pop()
    else:
        kept = _items(lst, start, end)
        lst.clear()
        lst.extend(kept)
    db.ks.dirty += cut
    db.changed(key, NOTIFY_LIST, b"ltrim")
    return OK


# -- move -------------------------------------------------------------------


def _move(c: Client, src: bytes, dst: bytes, left_from: bool, left_to: bool) -> bytes:
    """LMOVE's body (redis ``lmoveGenericCommand``); the source is checked first."""
    db, now = c.db, c.now
    slst = db.lookup_typed(src, now, List)
    if slst is None:
        return c.nil
    dlst = db.lookup_typed(dst, now, List)  # the same object when src == dst
    return _moved(db, src, slst, left_from, dst, dlst, left_to)


def lmove(c: Client, argv: list[bytes]) -> bytes:
    """LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> -> bulk | nil

    Complexity: O(1)
    """
    left_from = _where(argv[3])
    left_to = _where(argv[4])
    return _move(c, argv[1], argv[2], left_from, left_to)


def rpoplpush(c: Client, argv: list[bytes]) -> bytes:
    """RPOPLPUSH source destination -> bulk | nil

    Complexity: O(1)
    """
    return _move(c, argv[1], argv[2], False, True)


def _mpop_args(argv: list[bytes], at: int) -> tuple[list[bytes], bool, int]:
    """``numkeys key [key ...] LEFT|RIGHT [COUNT count]`` from ``argv[at]``, as
    redis ``lmpopGenericCommand``: (keys, left, count)."""
    numkeys = _ranged(argv[at], 1, NUMKEYS)
    where_at = at + numkeys + 1
    n = len(argv)
    if where_at >= n:
        raise CommandError(SYNTAX)
    left = _where(argv[where_at])
    cnt = -1
    j = where_at + 1
    while j < n:
        if cnt == -1 and c_option(argv[j]) == b"count" and j + 1 < n:
            j += 1
            cnt = _ranged(argv[j], 1, COUNT_POSITIVE)
        else:
            raise CommandError(SYNTAX)
        j += 1
    return argv[at + 1 : where_at], left, 1 if cnt == -1 else cnt


def lmpop(c: Client, argv: list[bytes]) -> bytes:
    """LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count] -> [key, [element ...]] | nil array

    Complexity: O(N+M) where N is the number of provided keys and M is the number of elements returned.
    """
    keys, left, cnt = _mpop_args(argv, 1)
    db, now = c.db, c.now
    for key in keys:
        lst = db.lookup_typed(key, now, List)
        if lst:
            return _key_values(db, key, lst, left, cnt)
    return _nil_array(c)


# -- blocking ---------------------------------------------------------------


def _in_multi(c: Client) -> bool:
    # a blocking command queued in MULTI runs as if it timed out at once
    return c.in_multi


def _block(
    c: Client, keys: list[bytes], timeout: float, serve: Callable[[Database, bytes], bytes | None]
) -> Pending:
    return c.server.blocking.block(c, keys, timeout, serve, _nil_array(c))


def _live_list(c: Client, db: Database, key: bytes) -> List | None:
    """The non-empty list at ``key`` when a waiter is offered it, else None."""
    value = db.lookup(key, c.server.clock())
    if value is None or value.__class__ is not List or not value:
        return None
    return value


def _bpop(c: Client, argv: list[bytes], left: bool) -> bytes | Pending:
    timeout = parse_timeout(argv[-1])
    db, now = c.db, c.now
    keys = argv[1:-1]
    for key in keys:
        lst = db.lookup_typed(key, now, List)
        if lst:
            value = lst.popleft() if left else lst.pop()
            _popped(db, key, lst, left)
            return _key_value(key, value)
    if _in_multi(c):
        return _nil_array(c)

    def serve(db: Database, key: bytes) -> bytes | None:
        lst = _live_list(c, db, key)
        if lst is None:
            return None
        value = lst.popleft() if left else lst.pop()
        _popped(db, key, lst, left)
        return _key_value(key, value)

    return _block(c, keys, timeout, serve)


def blpop(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BLPOP key [key ...] timeout -> [key, element] | nil array (timeout)

    Complexity: O(N) where N is the number of provided keys.
    """
    return _bpop(c, argv, True)


def brpop(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BRPOP key [key ...] timeout -> [key, element] | nil array (timeout)

    Complexity: O(N) where N is the number of provided keys.
    """
    return _bpop(c, argv, False)


def _bmove(
    c: Client, src: bytes, dst: bytes, left_from: bool, left_to: bool, timeout: float
) -> bytes | Pending:
    db = c.db
    if db.lookup_typed(src, c.now, List) is not None:
        return _move(c, src, dst, left_from, left_to)
    if _in_multi(c):
        return c.nil

    def serve(db: Database, key: bytes) -> bytes | None:
        slst = _live_list(c, db, key)
        if slst is None:
            return None
        dlst = db.lookup(dst, c.server.clock())
        if dlst is not None and dlst.__class__ is not List:
            # Redis checks the destination before popping: the waiter gets
            # the error and the element stays for the next one
            return c.server.error_reply(WRONGTYPE)
        return _moved(db, key, slst, left_from, dst, dlst, left_to)

    return _block(c, [src], timeout, serve)


def blmove(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout -> bulk | nil array (timeout)

    Complexity: O(1)
    """
    left_from = _where(argv[3])
    left_to = _where(argv[4])
    timeout = parse_timeout(argv[5])
    return _bmove(c, argv[1], argv[2], left_from, left_to, timeout)


def brpoplpush(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BRPOPLPUSH source destination timeout -> bulk | nil array (timeout)

    Complexity: O(1)
    """
    timeout = parse_timeout(argv[3])
    return _bmove(c, argv[1], argv[2], False, True, timeout)


def blmpop(c: Client, argv: list[bytes]) -> bytes | Pending:
    """BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count] -> [key, [element ...]]
    | nil array (timeout)

    Complexity: O(N+M) where N is the number of provided keys and M is the number of elements returned.
    """
    keys, left, cnt = _mpop_args(argv, 2)
    timeout = parse_timeout(argv[1])  # after the other arguments, as Redis
    db, now = c.db, c.now
    for key in keys:
        lst = db.lookup_typed(key, now, List)
        if lst:
            return _key_values(db, key, lst, left, cnt)
    if _in_multi(c):
        return _nil_array(c)

    def serve(db: Database, key: bytes) -> bytes | None:
        lst = _live_list(c, db, key)
        if lst is None:
            return None
        return _key_values(db, key, lst, left, cnt)

    return _block(c, keys, timeout, serve)


_LIST = "list"


def make_commands() -> list[Command]:
    w, r = WRITE, READONLY
    blk = WRITE | NOSCRIPT | BLOCKING
    return [
        Command(b"LPUSH", lpush, -3, w | DENYOOM | FAST, 1, 1, 1, group=_LIST),
        Command(b"RPUSH", rpush, -3, w | DENYOOM | FAST, 1, 1, 1, group=_LIST),
        Command(b"LPUSHX", lpushx, -3, w | DENYOOM | FAST, 1, 1, 1, group=_LIST, since="2.2.0"),
        Command(b"RPUSHX", rpushx, -3, w | DENYOOM | FAST, 1, 1, 1, group=_LIST, since="2.2.0"),
        Command(b"LPOP", lpop, -2, w | FAST, 1, 1, 1, group=_LIST),
        Command(b"RPOP", rpop, -2, w | FAST, 1, 1, 1, group=_LIST),
        Command(b"LLEN", llen, 2, r | FAST, 1, 1, 1, group=_LIST),
        Command(b"LRANGE", lrange, 4, r, 1, 1, 1, group=_LIST),
        Command(b"LINDEX", lindex, 3, r, 1, 1, 1, group=_LIST),
        Command(b"LSET", lset, 4, w | DENYOOM, 1, 1, 1, group=_LIST),
        Command(b"LINSERT", linsert, 5, w | DENYOOM, 1, 1, 1, group=_LIST, since="2.2.0"),
        Command(b"LREM", lrem, 4, w, 1, 1, 1, group=_LIST),
        Command(b"LTRIM", ltrim, 4, w, 1, 1, 1, group=_LIST),
        Command(b"LPOS", lpos, -3, r, 1, 1, 1, group=_LIST, since="6.0.6"),
        Command(b"LMOVE", lmove, 5, w | DENYOOM, 1, 2, 1, group=_LIST, since="6.2.0"),
        Command(b"RPOPLPUSH", rpoplpush, 3, w | DENYOOM, 1, 2, 1, group=_LIST, since="1.2.0"),
        Command(
            b"LMPOP",
            lmpop,
            -4,
            w | MOVABLE_KEYS,
            group=_LIST,
            getkeys=numkeys_keys(b"LMPOP"),
            since="7.0.0",
        ),
        Command(b"BLPOP", blpop, -3, blk, 1, -2, 1, group=_LIST, since="2.0.0"),
        Command(b"BRPOP", brpop, -3, blk, 1, -2, 1, group=_LIST, since="2.0.0"),
        Command(b"BLMOVE", blmove, 6, blk | DENYOOM, 1, 2, 1, group=_LIST, since="6.2.0"),
        Command(b"BRPOPLPUSH", brpoplpush, 4, blk | DENYOOM, 1, 2, 1, group=_LIST, since="2.2.0"),
        Command(
            b"BLMPOP",
            blmpop,
            -5,
            WRITE | BLOCKING | MOVABLE_KEYS,
            group=_LIST,
            getkeys=numkeys_keys(b"BLMPOP"),
            since="7.0.0",
        ),
    ]
