"""Generic key commands (redis ``db.c``, ``expire.c``, ``object.c``).

Lookups follow Redis's flavours: ``db.get`` (read: counts a hit or miss and
touches the LRU clock), ``db.get_notouch`` (read without the touch: TYPE, TTL,
EXISTS, OBJECT), ``db.lookup`` (write: neither counts), ``db.peek`` (no
count, no touch).  Every one of them deletes an expired key first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cacheserver.commands.connection import help_reply
from cacheserver.commands.strings import c_option
from cacheserver.commands.table import DENYOOM, FAST, LOADING, READONLY, STALE, WRITE, Command
from cacheserver.errors import DB_INDEX, NO_SUCH_KEY, NOT_INTEGER, SYNTAX, CommandError
from cacheserver.glob import compile_matcher
from cacheserver.store.keyspace import NOTIFY_GENERIC, Database, type_name
from cacheserver.store.lfu import LFU_INIT_VAL, counter_of
from protocol.resp import (
    LLONG_MAX,
    NEG_ONE,
    NEG_TWO,
    OK,
    ONE,
    ZERO,
    bulk,
    bulk_array,
    integer,
    simple,
    string2ll,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
ULONG_MAX = 2**64 - 1

SAME_OBJECT = b"ERR source and destination objects are the same"
INT_RANGE = b"ERR value is out of range, value must between -2147483648 and 2147483647"
INVALID_CURSOR = b"ERR invalid cursor"
NONE = b"+none\r\n"


def _int_arg(arg: bytes, msg: bytes | None = None) -> int:
    """A C ``int`` argument (redis ``getIntFromObjectOrReply``)."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(msg or NOT_INTEGER)
    if not INT_MIN <= n <= INT_MAX:
        raise CommandError(msg or INT_RANGE)
    return n


def _db_arg(c: Client, arg: bytes) -> Database:
    """The database a MOVE/COPY names; Redis's errors for bad indexes."""
    n = _int_arg(arg)
    dbs = c.server.keyspace.dbs
    if not 0 <= n < len(dbs):
        raise CommandError(DB_INDEX)
    return dbs[n]


# -- existence, type, deletion ------------------------------------------------


def _del(c: Client, argv: list[bytes], lazy: bool) -> bytes:
    db, now = c.db, c.now
    data = db.data
    n = 0
    for i in range(1, len(argv)):
        key = argv[i]
        # an expired key counts as expired, not as removed (redis delGenericCommand)
        if key in data and db.peek(key, now) is not None:
            db.drop(key, lazy)
            db.changed(key, NOTIFY_GENERIC, b"del")
            n += 1
    return integer(n)


def del_(c: Client, argv: list[bytes]) -> bytes:
    """DEL key [key ...] -> integer (keys removed)

    A big value is freed in steps after the reply under lazyfree-lazy-user-del.
    """
    return _del(c, argv, c.server.config["lazyfree-lazy-user-del"])


def unlink(c: Client, argv: list[bytes]) -> bytes:
    """UNLINK key [key ...] -> integer (keys removed)

    As DEL, but a value of more than 64 elements is freed in steps after the
    reply, so the command is O(1) per key whatever the values.
    """
    return _del(c, argv, True)


def exists(c: Client, argv: list[bytes]) -> bytes:
    """EXISTS key [key ...] -> integer (keys that exist, counted with repeats)

    Cold loader keys are loaded first."""
    get, now = c.db.get_notouch, c.now
    n = 0
    missed: list[bytes] | None = None
    for i in range(1, len(argv)):
        if get(argv[i], now) is not None:
            n += 1
        elif c.server.loaders is not None:
            missed = missed or []
            missed.append(argv[i])
    if missed and (reply := c.server.loaders.load_many(c, argv, missed)) is not None:  # type: ignore[union-attr]
        return reply  # type: ignore[no-any-return]
    return integer(n)


def touch(c: Client, argv: list[bytes]) -> bytes:
    """TOUCH key [key ...] -> integer (keys that exist; their access time is updated)"""
    get, now = c.db.get, c.now
    n = 0
    for i in range(1, len(argv)):
        if get(argv[i], now) is not None:
            n += 1
    return integer(n)


_TYPE_REPLY: dict[bytes, bytes] = {}


def type_(c: Client, argv: list[bytes]) -> bytes:
    """TYPE key -> +string | +list | +set | +zset | +hash | +stream | +none"""
    value = c.db.get_notouch(argv[1], c.now)
    if value is None:
        return NONE
    name = type_name(value)
    reply = _TYPE_REPLY.get(name)
    if reply is None:
        reply = _TYPE_REPLY[name] = simple(name)
    return reply


# -- rename, copy, move, swap -------------------------------------------------


def _rename(c: Client, argv: list[bytes], nx: bool) -> bytes:
    db, now = c.db, c.now
    src, dst = argv[1], argv[2]
    value = db.lookup(src, now)
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    if src == dst:
        return ZERO if nx else OK
    if db.lookup(dst, now) is not None:
        if nx:
            return ZERO
        db.drop(dst, db.ks.lazy_server_del)
    when = db.expires.get(src)
    db.delete(src)
    db.add(dst, value)
    if when is not None:
        db.set_expire(dst, when)
    db.changed(src, NOTIFY_GENERIC, b"rename_from")
    db.changed(dst, NOTIFY_GENERIC, b"rename_to")
    return ONE if nx else OK


def rename(c: Client, argv: list[bytes]) -> bytes:
    """RENAME key newkey -> +OK"""
    return _rename(c, argv, False)


def renamenx(c: Client, argv: list[bytes]) -> bytes:
    """RENAMENX key newkey -> integer (1 renamed, 0 newkey exists)"""
    return _rename(c, argv, True)


def copy(c: Client, argv: list[bytes]) -> bytes:
    """COPY source destination [DB destination-db] [REPLACE] -> integer (1 copied, 0 not)"""
    src_db = dst_db = c.db
    replace = False
    i, n = 3, len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < n:
            i += 1
            dst_db = _db_arg(c, argv[i])
        else:
            raise CommandError(SYNTAX)
        i += 1
    src, dst = argv[1], argv[2]
    if src_db is dst_db and src == dst:
        raise CommandError(SAME_OBJECT)
    now = c.now
    value = src_db.get(src, now)
    if value is None:
        return ZERO
    when = src_db.expires.get(src)
    if dst_db.lookup(dst, now) is not None:
        if not replace:
            return ZERO
        dst_db.drop(dst, dst_db.ks.lazy_server_del)
    dst_db.add(dst, value if value.__class__ is bytes else value.copy())
    if when is not None:
        dst_db.set_expire(dst, when)
    dst_db.changed(dst, NOTIFY_GENERIC, b"copy_to")
    return ONE


def move(c: Client, argv: list[bytes]) -> bytes:
    """MOVE key db -> integer (1 moved, 0 missing here or present there)"""
    src_db = c.db
    dst_db = _db_arg(c, argv[2])
    if dst_db is src_db:
        raise CommandError(SAME_OBJECT)
    key, now = argv[1], c.now
    value = src_db.lookup(key, now)
    if value is None or dst_db.lookup(key, now) is not None:
        return ZERO
    when = src_db.expires.get(key)
    src_db.delete(key)
    dst_db.add(key, value)
    if when is not None:
        dst_db.set_expire(key, when)
    src_db.changed(key, NOTIFY_GENERIC, b"move_from")
    dst_db.changed(key, NOTIFY_GENERIC, b"move_to")
    return ONE


def swapdb(c: Client, argv: list[bytes]) -> bytes:
    """SWAPDB index1 index2 -> +OK"""
    a = _int_arg(argv[1], b"ERR invalid first DB index")
    b = _int_arg(argv[2], b"ERR invalid second DB index")
    ks = c.server.keyspace
    dbs = ks.dbs
    if not (0 <= a < len(dbs) and 0 <= b < len(dbs)):
        raise CommandError(DB_INDEX)
    if a != b:
        # watchers of either database hear of it while both still hold their keys
        dbs[a].flushed(dbs[b])
        dbs[b].flushed(dbs[a])
        dbs[a].swap_contents(dbs[b])
    ks.dirty += 1
    return OK


# -- iteration ----------------------------------------------------------------


def _live(db: Database, keys: list[bytes], now: int) -> list[bytes]:
    """``keys`` without the expired ones (not deleted: KEYS only reads)."""
    expires = db.expires
    if not expires:
        return keys
    get = expires.get
    return [k for k in keys if (w := get(k)) is None or w > now]


def keys(c: Client, argv: list[bytes]) -> bytes:
    """KEYS pattern -> array of keys"""
    db, pattern = c.db, argv[1]
    if pattern == b"*":  # redis skips the matcher here: the empty key is listed too
        found = list(db.data)
    else:
        found = list(filter(compile_matcher(pattern), db.data))
    return bulk_array(_live(db, found, c.now))


_CURSOR = re.compile(rb"[+-]?[0-9]+\Z")


def parse_cursor(arg: bytes) -> int:
    """A SCAN cursor as redis ``parseScanCursorOrReply`` (``strtoul`` on a C
    string: read up to a NUL byte, a sign is allowed, ``-1`` wraps, ``""`` is 0,
    no leading space, no overflow)."""
    arg = arg.split(b"\0", 1)[0]
    if not arg:
        return 0
    if _CURSOR.match(arg) is None:
        raise CommandError(INVALID_CURSOR)
    n = int(arg)
    if abs(n) > ULONG_MAX:
        raise CommandError(INVALID_CURSOR)
    return n & ULONG_MAX


class ScanOptions:
    """``[MATCH pattern] [COUNT count] [TYPE type] [NOVALUES]`` as redis
    ``scanGenericCommand`` parses them; ``pattern`` None means no filter."""

    __slots__ = ("count", "novalues", "pattern", "type")

    def __init__(self) -> None:
        self.count = 10
        self.pattern: bytes | None = None
        self.type: bytes | None = None
        self.novalues = False


def parse_scan_options(
    argv: list[bytes], i: int, *, allow_type: bool = False, allow_novalues: bool = False
) -> ScanOptions:
    """Options of SCAN (``allow_type``), HSCAN (``allow_novalues``, Redis 7.4),
    SSCAN and ZSCAN, from ``argv[i]`` on; option words compared as C strings."""
    opts = ScanOptions()
    n = len(argv)
    while i < n:
        opt = c_option(argv[i])
        if opt == b"novalues" and allow_novalues:
            opts.novalues = True
            i += 1
            continue
        if i + 1 >= n:
            raise CommandError(SYNTAX)
        arg = argv[i + 1]
        if opt == b"count":
            v = string2ll(arg)
            if v is None:
                raise CommandError(NOT_INTEGER)
            if v < 1:
                raise CommandError(SYNTAX)
            opts.count = v
        elif opt == b"match":
            opts.pattern = None if arg == b"*" else arg  # "*" is no filter at all
        elif opt == b"type" and allow_type:
            opts.type = arg.lower()
        else:
            raise CommandError(SYNTAX)
        i += 2
    return opts


def scan(c: Client, argv: list[bytes]) -> bytes:
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] -> [cursor, [key ...]]"""
    cursor = parse_cursor(argv[1])
    opts = parse_scan_options(argv, 2, allow_type=True)
    count, pattern, typ = opts.count, opts.pattern, opts.type
    db, now = c.db, c.now
    data = db.data
    nxt, batch = db.scans.scan(data, cursor, count)
    match = compile_matcher(pattern) if pattern is not None else None
    out: list[bytes] = []
    for key in batch:
        if key not in data:  # deleted since the snapshot
            continue
        if match is not None and not match(key):
            continue
        if typ is not None:
            # redis looks the value up to learn its type: a counted read
            value = db.get_notouch(key, now)
            if value is None or type_name(value) != typ:
                continue
        elif db.peek(key, now) is None:  # expired: deleted now, never returned
            continue
        out.append(key)
    return b"*2\r\n" + bulk(b"%d" % nxt) + bulk_array(out)


def randomkey(c: Client, argv: list[bytes]) -> bytes:
    """RANDOMKEY -> bulk | nil"""
    key = c.db.random_key(c.now)
    return c.nil if key is None else bulk(key)


def dbsize(c: Client, argv: list[bytes]) -> bytes:
    """DBSIZE -> integer (keys in the database, expired ones not yet deleted included)"""
    return integer(len(c.db.data))


def _flush_mode(c: Client, argv: list[bytes]) -> bool:
    """``[ASYNC|SYNC]`` (redis ``getFlushCommandFlags``); True for ASYNC, and
    without either as lazyfree-lazy-user-flush says."""
    if len(argv) == 1:
        return bool(c.server.config["lazyfree-lazy-user-flush"])
    if len(argv) == 2:
        mode = argv[1].lower()
        if mode == b"sync":
            return False
        if mode == b"async":
            return True
    raise CommandError(SYNTAX)


def flushdb(c: Client, argv: list[bytes]) -> bytes:
    """FLUSHDB [ASYNC|SYNC] -> +OK

    ASYNC frees the old contents in steps after the reply.
    """
    lazy = _flush_mode(c, argv)
    c.db.flushed()  # while the keys are still there, as redis signalFlushedDb
    c.db.flush(lazy)
    return OK


def flushall(c: Client, argv: list[bytes]) -> bytes:
    """FLUSHALL [ASYNC|SYNC] -> +OK

    ASYNC frees the old contents in steps after the reply.
    """
    lazy = _flush_mode(c, argv)
    ks = c.server.keyspace
    for db in ks.dbs:
        db.flushed()
    ks.flush_all(lazy)
    return OK


# -- expiry -------------------------------------------------------------------

_E_NX, _E_XX, _E_GT, _E_LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": _E_NX, b"xx": _E_XX, b"gt": _E_GT, b"lt": _E_LT}
# C division truncates toward zero
_SEC_MAX, _SEC_MIN = LLONG_MAX // 1000, -(2**63 // 1000)


def _expire_flags(argv: list[bytes]) -> int:
    """``[NX|XX|GT|LT]`` (redis ``parseExtendedExpireArgumentsOrReply``)."""
    flags = 0
    for i in range(3, len(argv)):
        f = _EXPIRE_FLAGS.get(argv[i].lower())
        if f is None:
            # "%s" of a C string: it ends at a NUL byte
            raise CommandError(b"ERR Unsupported option " + argv[i].split(b"\0", 1)[0])
        flags |= f
    if flags & _E_NX and flags & (_E_XX | _E_GT | _E_LT):
        raise CommandError(b"ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & _E_GT and flags & _E_LT:
        raise CommandError(b"ERR GT and LT options at the same time are not compatible")
    return flags


def _expire(c: Client, argv: list[bytes], seconds: bool, relative: bool, name: bytes) -> bytes:
    """The EXPIRE family (redis ``expireGenericCommand``)."""
    flags = _expire_flags(argv) if len(argv) > 3 else 0
    when = string2ll(argv[2])
    if when is None:
        raise CommandError(NOT_INTEGER)
    if seconds:
        if when > _SEC_MAX or when < _SEC_MIN:
            raise CommandError(b"ERR invalid expire time in '%s' command" % name)
        when *= 1000
    now = c.now
    if relative:
        if when > LLONG_MAX - now:
            raise CommandError(b"ERR invalid expire time in '%s' command" % name)
        when += now
    db, key = c.db, argv[1]
    if db.lookup(key, now) is None:
        return ZERO
    if flags:
        current = db.expires.get(key)
        if flags & _E_NX and current is not None:
            return ZERO
        if flags & _E_XX and current is None:
            return ZERO
        # no TTL counts as an infinite one: GT always fails, LT always passes
        if flags & _E_GT and (current is None or when <= current):
            return ZERO
        if flags & _E_LT and current is not None and when >= current:
            return ZERO
    if when <= now:  # a deadline in the past deletes the key (replicated as DEL)
        db.drop(key, db.ks.lazy_expire)
        db.changed(key, NOTIFY_GENERIC, b"del")
    else:
        db.set_expire(key, when)
        db.ks.dirty += 1
        db.changed(key, NOTIFY_GENERIC, b"expire")
    return ONE


def expire(c: Client, argv: list[bytes]) -> bytes:
    """EXPIRE key seconds [NX|XX|GT|LT] -> integer (1 set, 0 not)"""
    return _expire(c, argv, True, True, b"expire")


def pexpire(c: Client, argv: list[bytes]) -> bytes:
    """PEXPIRE key milliseconds [NX|XX|GT|LT] -> integer (1 set, 0 not)"""
    return _expire(c, argv, False, True, b"pexpire")


def expireat(c: Client, argv: list[bytes]) -> bytes:
    """EXPIREAT key unix-time-seconds [NX|XX|GT|LT] -> integer (1 set, 0 not)"""
    return _expire(c, argv, True, False, b"expireat")


def pexpireat(c: Client, argv: list[bytes]) -> bytes:
    """PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] -> integer (1 set, 0 not)"""
    return _expire(c, argv, False, False, b"pexpireat")


def _ttl(c: Client, key: bytes, ms: bool, absolute: bool) -> bytes:
    """The TTL family (redis ``ttlGenericCommand``): -2 no key, -1 no deadline."""
    db, now = c.db, c.now
    if db.get_notouch(key, now) is None:
        return NEG_TWO
    when = db.expires.get(key)
    if when is None:
        return NEG_ONE
    ttl = when if absolute else max(when - now, 0)
    return integer(ttl if ms else (ttl + 500) // 1000)


def ttl(c: Client, argv: list[bytes]) -> bytes:
    """TTL key -> integer (seconds left, rounded; -1 no expiry, -2 no key)"""
    return _ttl(c, argv[1], False, False)


def pttl(c: Client, argv: list[bytes]) -> bytes:
    """PTTL key -> integer (milliseconds left; -1 no expiry, -2 no key)"""
    return _ttl(c, argv[1], True, False)


def expiretime(c: Client, argv: list[bytes]) -> bytes:
    """EXPIRETIME key -> integer (unix seconds, rounded; -1 no expiry, -2 no key)"""
    return _ttl(c, argv[1], False, True)


def pexpiretime(c: Client, argv: list[bytes]) -> bytes:
    """PEXPIRETIME key -> integer (unix milliseconds; -1 no expiry, -2 no key)"""
    return _ttl(c, argv[1], True, True)


def persist(c: Client, argv: list[bytes]) -> bytes:
    """PERSIST key -> integer (1 deadline removed, 0 no key or no deadline)"""
    db = c.db
    key = argv[1]
    if db.lookup(key, c.now) is None or not db.persist(key):
        return ZERO
    db.ks.dirty += 1
    db.changed(key, NOTIFY_GENERIC, b"persist")
    return ONE


# -- OBJECT -------------------------------------------------------------------

OBJ_SHARED_INTEGERS = 10000
OBJ_SHARED_REFCOUNT = 2**31 - 1
# encodings Redis reports for a type whose class does not say (its default for big values)
_DEFAULT_ENCODING = {
    b"list": b"quicklist",
    b"set": b"hashtable",
    b"zset": b"skiplist",
    b"hash": b"hashtable",
    b"stream": b"stream",
}


def _lfu_policy(c: Client) -> bool:
    return c.db.ks.lfu is not None


def _shared_integers(c: Client) -> bool:
    # redis stops sharing small integers when maxmemory evicts by LRU or LFU
    values = c.server.config.values
    policy = values.get("maxmemory-policy", "noeviction")
    lru_lfu = isinstance(policy, str) and policy.endswith(("-lru", "-lfu"))
    return not (values.get("maxmemory", 0) and lru_lfu)


def string_encoding(value: bytes) -> bytes:
    """The encoding Redis gives a string stored by SET (redis ``tryObjectEncoding``)."""
    if len(value) <= 20 and string2ll(value) is not None:
        return b"int"
    return b"embstr" if len(value) <= 44 else b"raw"


def _object_value(c: Client, argv: list[bytes]) -> Any:
    # redis objectCommandLookup: a read that counts but does not touch
    return c.db.get_notouch(argv[2], c.now)


def object_encoding(c: Client, argv: list[bytes]) -> bytes:
    """OBJECT ENCODING key -> bulk | nil"""
    value = _object_value(c, argv)
    if value is None:
        return c.nil
    if value.__class__ is bytes:
        return bulk(string_encoding(value))
    if value.__class__ is bytearray:  # changed in place by APPEND/SETRANGE
        return bulk(b"raw")
    enc: bytes | None = getattr(value, "ENCODING", None)
    return bulk(enc or _DEFAULT_ENCODING.get(type_name(value), b"raw"))


def object_refcount(c: Client, argv: list[bytes]) -> bytes:
    """OBJECT REFCOUNT key -> integer | nil"""
    value = _object_value(c, argv)
    if value is None:
        return c.nil
    # SET stores 0..9999 as one shared object per value; its refcount is pinned
    if (
        value.__class__ is bytes
        and len(value) <= 20
        and (n := string2ll(value)) is not None
        and 0 <= n < OBJ_SHARED_INTEGERS
        and _shared_integers(c)
    ):
        return integer(OBJ_SHARED_REFCOUNT)
    return ONE


def object_idletime(c: Client, argv: list[bytes]) -> bytes:
    """OBJECT IDLETIME key -> integer (seconds since the last access) | nil"""
    value = _object_value(c, argv)
    if value is None:
        return c.nil
    if _lfu_policy(c):
        raise CommandError(
            b"ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
            b"when switching between policies at runtime LRU and LFU data will take some time "
            b"to adjust."
        )
    ks = c.db.ks
    mark = c.db.access.get(argv[2], ks.read_mark)
    return integer(ks.idle_ms(mark) // 1000)


def object_freq(c: Client, argv: list[bytes]) -> bytes:
    """OBJECT FREQ key -> integer (logarithmic access frequency) | nil"""
    value = _object_value(c, argv)
    if value is None:
        return c.nil
    if not _lfu_policy(c):
        raise CommandError(
            b"ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            b"note that when switching between policies at runtime LRU and LFU data will take "
            b"some time to adjust."
        )
    ks = c.db.ks
    mark = c.db.access.get(argv[2])
    if mark is None or ks.lfu is None:  # (the policy switched just now)
        return integer(LFU_INIT_VAL)
    return integer(counter_of(ks.lfu, mark))


OBJECT_HELP = [
    b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"ENCODING <key>",
    b"    Return the kind of internal representation used in order to store the value",
    b"    associated with a <key>.",
    b"FREQ <key>",
    b"    Return the access frequency index of the <key>. The returned integer is",
    b"    proportional to the logarithm of the recent access frequency of the key.",
    b"IDLETIME <key>",
    b"    Return the idle time of the <key>, that is the approximated number of",
    b"    seconds elapsed since the last access to the key.",
    b"REFCOUNT <key>",
    b"    Return the number of references of the value associated with the specified",
    b"    <key>.",
    b"HELP",
    b"    Prints this help.",
]


def object_help(c: Client, argv: list[bytes]) -> bytes:
    """OBJECT HELP -> array of lines"""
    return help_reply(OBJECT_HELP)


# -- the table ----------------------------------------------------------------

_KS = "keyspace"
_DANGER = ("dangerous",)
# COMMAND DOCS files these under "server", their ACL category is still @keyspace
_SRV = "server"
_KS_DANGER = (_KS, "dangerous")


def make_commands() -> list[Command]:
    # Arity, flags and key positions as Redis 7.0's command table.
    ro = READONLY
    return [
        Command(b"DEL", del_, -2, WRITE, 1, -1, 1, group=_KS),
        Command(b"UNLINK", unlink, -2, WRITE | FAST, 1, -1, 1, group=_KS, since="4.0.0"),
        Command(b"EXISTS", exists, -2, ro | FAST, 1, -1, 1, group=_KS),
        Command(b"TOUCH", touch, -2, ro | FAST, 1, -1, 1, group=_KS, since="3.2.1"),
        Command(b"TYPE", type_, 2, ro | FAST, 1, 1, 1, group=_KS),
        Command(b"RENAME", rename, 3, WRITE, 1, 2, 1, group=_KS),
        Command(b"RENAMENX", renamenx, 3, WRITE | FAST, 1, 2, 1, group=_KS),
        Command(b"COPY", copy, -3, WRITE | DENYOOM, 1, 2, 1, group=_KS, since="6.2.0"),
        Command(b"MOVE", move, 3, WRITE | FAST, 1, 1, 1, group=_KS),
        Command(
            b"SWAPDB", swapdb, 3, WRITE | FAST, group=_SRV, categories=_KS_DANGER, since="4.0.0"
        ),
        Command(b"KEYS", keys, 2, ro, group=_KS, categories=_DANGER),
        Command(b"SCAN", scan, -2, ro, group=_KS, since="2.8.0"),
        Command(b"RANDOMKEY", randomkey, 1, ro, group=_KS),
        Command(b"DBSIZE", dbsize, 1, ro | FAST, group=_SRV, categories=(_KS,)),
        Command(b"FLUSHDB", flushdb, -1, WRITE, group=_SRV, categories=_KS_DANGER),
        Command(b"FLUSHALL", flushall, -1, WRITE, group=_SRV, categories=_KS_DANGER),
        Command(b"EXPIRE", expire, -3, WRITE | FAST, 1, 1, 1, group=_KS),
        Command(b"PEXPIRE", pexpire, -3, WRITE | FAST, 1, 1, 1, group=_KS, since="2.6.0"),
        Command(b"EXPIREAT", expireat, -3, WRITE | FAST, 1, 1, 1, group=_KS, since="1.2.0"),
        Command(b"PEXPIREAT", pexpireat, -3, WRITE | FAST, 1, 1, 1, group=_KS, since="2.6.0"),
        Command(b"TTL", ttl, 2, ro | FAST, 1, 1, 1, group=_KS),
        Command(b"PTTL", pttl, 2, ro | FAST, 1, 1, 1, group=_KS, since="2.6.0"),
        Command(b"EXPIRETIME", expiretime, 2, ro | FAST, 1, 1, 1, group=_KS, since="7.0.0"),
        Command(b"PEXPIRETIME", pexpiretime, 2, ro | FAST, 1, 1, 1, group=_KS, since="7.0.0"),
        Command(b"PERSIST", persist, 2, WRITE | FAST, 1, 1, 1, group=_KS, since="2.2.0"),
        Command(
            b"OBJECT",
            None,
            -2,
            0,
            since="2.2.3",
            subcommands=(
                Command(b"ENCODING", object_encoding, 3, ro, 2, 2, 1, group=_KS, since="2.2.3"),
                Command(b"FREQ", object_freq, 3, ro, 2, 2, 1, group=_KS, since="4.0.0"),
                Command(b"IDLETIME", object_idletime, 3, ro, 2, 2, 1, group=_KS, since="2.2.3"),
                Command(b"REFCOUNT", object_refcount, 3, ro, 2, 2, 1, group=_KS, since="2.2.3"),
                Command(b"HELP", object_help, 2, LOADING | STALE, group=_KS, since="6.2.0"),
            ),
        ),
    ]
