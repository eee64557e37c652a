"""SORT and SORT_RO (redis ``sort.c``): the elements of a list, set or sorted
set, ordered as numbers (C ``strtod``) or as strings, by themselves or by
the keys (``weight_*``) or hash fields (``data_*->field``) a pattern names,
with LIMIT, GET patterns and, for SORT, STORE into a list.

Equal numbers are ordered by the elements' bytes, as Redis does, so the
result is fully determined except where Redis's own is not: ALPHA with BY
between equal (or missing) weights, and a set left unsorted (``BY nosort``).
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from cacheserver.commands.hashes import Hash, live_field
from cacheserver.commands.lists import List
from cacheserver.commands.sets import Set
from cacheserver.commands.table import DENYOOM, READONLY, WRITE, Command
from cacheserver.commands.zsets import parse_score
from cacheserver.errors import NOT_INTEGER, SYNTAX, CommandError, WrongType
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_LIST
from cacheserver.store.zset import ZSet
from protocol.resp import array_header, bulk, integer, string2ll

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.store.keyspace import Database

NOT_DOUBLE = b"ERR One or more scores can't be converted into double"
BY_DENIED = b"ERR BY option of SORT denied due to insufficient ACL permissions."
GET_DENIED = b"ERR GET option of SORT denied due to insufficient ACL permissions."

_C_SPACE = b" \t\n\x0b\x0c\r"
_INF = float("inf")


def _c_string(b: bytes) -> bytes:
    """``b`` as C sees it: up to its first NUL."""
    nul = b.find(0)
    return b if nul < 0 else b[:nul]


def by_pattern(db: Database, now: int, pattern: bytes, element: bytes) -> bytes | None:
    """The value ``pattern`` names for ``element`` (redis ``lookupKeyByPattern``):
    ``#`` is the element itself; otherwise the first ``*`` becomes the
    element, and the string at that key, or with ``->field`` the field of the
    hash there, is the value; None when missing, of another type, or when the
    pattern has no ``*``."""
    head = _c_string(pattern)
    if head == b"#":
        return element
    star = head.find(b"*")
    if star < 0:
        return None
    arrow = head.find(b"->", star + 1)
    field = None
    end = len(pattern)
    if arrow >= 0 and arrow + 2 < len(head):
        field, end = pattern[arrow + 2 :], arrow
    key = pattern[:star] + element + pattern[star + 1 : end]
    value = db.get(key, now)
    if value is None:
        return None
    if field is not None:
        return live_field(db, key, value, field, now) if value.__class__ is Hash else None
    if value.__class__ is bytes:
        return value
    return bytes(value) if value.__class__ is bytearray else None


def _weight(b: bytes) -> float | None:
    """``b`` as SORT reads a number: C ``strtod`` over the whole C string
    (leading white space allowed; an empty string is 0); None for anything
    else, a NaN, or a value out of a double's range."""
    s = _c_string(b)
    return parse_score(s.lstrip(_C_SPACE)) if s else 0.0


def _full_key_access(c: Client) -> bool:
    """Whether the user may read and write any key (redis
    ``ACLUserCheckKeyPerm(user, "*", ...)``): BY and GET patterns need it."""
    from cacheserver.acl import ALL  # (acl imports the command table)

    u = c.user
    return u.unrestricted or any(s.check_key(b"*", ALL) for s in u.selectors)


def _long(arg: bytes) -> int:
    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    return n


def _sort(c: Client, argv: list[bytes], readonly: bool) -> bytes:
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    by: bytes | None = None
    store: bytes | None = None
    gets: list[bytes] = []
    full_access: bool | None = None
    j, n = 2, len(argv)
    while j < n:
        left = n - j - 1
        opt = argv[j].lower()
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start, limit_count = _long(argv[j + 1]), _long(argv[j + 2])
            j += 2
        elif opt == b"store" and left >= 1 and not readonly:
            store = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            by = argv[j + 1]
            if b"*" not in _c_string(by):
                dontsort = True  # a constant pattern: no sorting
            else:
                if full_access is None:
                    full_access = _full_key_access(c)
                if not full_access:
                    raise CommandError(BY_DENIED)
            j += 1
        elif opt == b"get" and left >= 1:
            if full_access is None:
                full_access = _full_key_access(c)
            if not full_access:
                raise CommandError(GET_DENIED)
            gets.append(argv[j + 1])
            j += 1
        else:
            raise CommandError(SYNTAX)
        j += 1

    db, now = c.db, c.now
    value: Any = db.get(argv[1], now)
    if value is None:
        value = List()
    elif value.__class__ is not List and value.__class__ is not Set and value.__class__ is not ZSet:
        raise WrongType()
    if dontsort and value.__class__ is Set and store is not None:
        # a stored result must not depend on the set's order: sort as strings
        dontsort, alpha, by = False, True, None

    size = len(value)
    start = min(max(limit_start, 0), size)
    limit_count = min(max(limit_count, -1), size)
    end = size - 1 if limit_count < 0 else start + limit_count - 1
    if start >= size:
        start, end = size - 1, size - 2
    if end >= size:
        end = size - 1

    vector: list[bytes]
    if dontsort and value.__class__ is not Set:
        # the native order (DESC from the end), only the range LIMIT keeps
        if end >= start:
            if value.__class__ is List:
                vector = list(islice(reversed(value) if desc else value, start, end + 1))
            elif desc:
                vector = [m for _, m in reversed(value.span(size - 1 - end, size - start))]
            else:
                vector = [m for _, m in value.span(start, end + 1)]
            start, end = 0, end - start
        else:
            vector = []
    else:
        vector = list(value)

    failed = False
    if not dontsort:
        if alpha and by is None:
            vector.sort(reverse=desc)
        elif alpha and by is not None:
            # a missing weight sorts first; equal weights in no defined order
            weights = [by_pattern(db, now, by, e) for e in vector]
            order = sorted(
                range(len(vector)),
                key=lambda i: (0, b"") if weights[i] is None else (1, weights[i]),
                reverse=desc,
            )
            vector = [vector[i] for i in order]
        else:
            # a missing weight counts as 0, as an empty string does
            ws = vector if by is None else [by_pattern(db, now, by, e) or b"" for e in vector]
            scores: list[float | None] = []
            if all(map(bytes.isdigit, ws)):  # strtod's result, at C speed
                scores = list(map(float, ws))
            if not scores or _INF in scores:  # (a number past a double's range fails)
                scores = list(map(_weight, ws))
            failed = None in scores
            if not failed:
                # by score, equal scores by the elements' bytes (DESC: both
                # reversed): two stable sorts of the indexes, each comparing
                # one type at C speed
                n = len(vector)
                by_score = cast("list[float]", scores).__getitem__
                if len(set(scores)) == n:
                    order = sorted(range(n), key=by_score, reverse=desc)
                else:
                    order = sorted(range(n), key=vector.__getitem__, reverse=desc)
                    order.sort(key=by_score, reverse=desc)
                vector = list(map(vector.__getitem__, order))

    picked = vector[start : end + 1] if end >= start else []
    if failed:
        raise CommandError(NOT_DOUBLE)
    if store is None:
        out = [array_header(len(picked) * len(gets) if gets else len(picked))]
        for e in picked:
            if not gets:
                out.append(bulk(e))
            for pattern in gets:
                v = by_pattern(db, now, pattern, e)
                out.append(c.nil if v is None else bulk(v))
        return b"".join(out)
    if gets:
        items = [by_pattern(db, now, p, e) or b"" for e in picked for p in gets]
    else:
        items = picked
    if items:
        db.lookup(store, now)  # an expired destination expires first (redis setKey)
        db.upsert(store, List(items))
        db.changed(store, NOTIFY_LIST, b"sortstore")
    elif store in db.data:
        db.drop(store, db.ks.lazy_server_del)
        db.changed(store, NOTIFY_GENERIC, b"del")
    return integer(len(items))


def sort(c: Client, argv: list[bytes]) -> bytes:
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination] -> array of bulk | integer (STORE)

    Complexity: O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).
    """
    return _sort(c, argv, False)


def sort_ro(c: Client, argv: list[bytes]) -> bytes:
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] -> array of bulk

    Complexity: O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).
    """
    return _sort(c, argv, True)


_SKIP = {b"limit": 2, b"get": 1, b"by": 1}


def sort_keys(argv: list[bytes]) -> list[int]:
    """SORT's keys: the sorted key, and the last STORE's destination (redis
    ``sortGetKeys``, which skips LIMIT's, GET's and BY's arguments)."""
    keys = [1]
    store = 0
    i, n = 2, len(argv)
    while i < n:
        opt = argv[i].lower()
        skip = _SKIP.get(opt)
        if skip is not None:
            i += skip
        elif opt == b"store" and i + 1 < n:
            store = i + 1
        i += 1
    if store:
        keys.append(store)
    return keys


def sort_ro_keys(argv: list[bytes]) -> list[int]:
    """SORT_RO's one key (redis ``sortROGetKeys``)."""
    return [1]


_SORT_CATEGORIES = ("set", "sortedset", "list", "dangerous")


def make_commands() -> list[Command]:
    return [
        Command(
            b"SORT",
            sort,
            -2,
            WRITE | DENYOOM,
            1,
            1,
            1,
            group="generic",
            categories=_SORT_CATEGORIES,
            getkeys=sort_keys,
        ),
        Command(
            b"SORT_RO",
            sort_ro,
            -2,
            READONLY,
            1,
            1,
            1,
            group="generic",
            categories=_SORT_CATEGORIES,
            getkeys=sort_ro_keys,
            since="7.0.0",
        ),
    ]
