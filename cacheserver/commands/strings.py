"""String commands (redis ``t_string.c``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.table import DENYOOM, FAST, READONLY, WRITE, Command
from cacheserver.errors import INVALID_EXPIRE, NOT_INTEGER, SYNTAX, CommandError
from protocol.resp import OK, bulk, string2ll

if TYPE_CHECKING:
    from cacheserver.connection import Client

LLONG_MAX = 2**63 - 1

# SET/GETEX option bits
_NX, _XX, _GET, _KEEPTTL, _EX, _PX, _EXAT, _PXAT, _PERSIST = (1 << i for i in range(9))
_EXPIRE_OPTS = {b"ex": _EX, b"px": _PX, b"exat": _EXAT, b"pxat": _PXAT}


def expire_at(c: Client, arg: bytes, unit_ms: bool, relative: bool, cmd: bytes) -> int:
    """Absolute deadline (unix ms) from an EX/PX/EXAT/PXAT argument, as redis
    ``getExpireMillisecondsOrReply``."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    if n <= 0 or (not unit_ms and n > LLONG_MAX // 1000):
        raise CommandError(INVALID_EXPIRE % cmd)
    if not unit_ms:
        n *= 1000
    if relative:
        n += c.now
    if n > LLONG_MAX:
        raise CommandError(INVALID_EXPIRE % cmd)
    return n


def parse_set_options(c: Client, argv: list[bytes], start: int, cmd: bytes) -> tuple[int, int | None]:
    """Parse ``[NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL|PERSIST]`` (redis
    ``parseExtendedStringArgumentsOrReply``); returns (flags, deadline or None)."""
    flags = 0
    expire_arg = b""
    is_set = cmd == b"set"
    j = start
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        nxt = j + 1 < n
        if opt == b"nx" and is_set and not flags & _XX:
            flags |= _NX
        elif opt == b"xx" and is_set and not flags & _NX:
            flags |= _XX
        elif opt == b"get" and is_set:
            flags |= _GET
        elif opt == b"keepttl" and is_set and not flags & (_PERSIST | _EX | _PX | _EXAT | _PXAT):
            flags |= _KEEPTTL
        elif opt == b"persist" and not is_set and not flags & (_KEEPTTL | _EX | _PX | _EXAT | _PXAT):
            flags |= _PERSIST
        elif (
            opt in _EXPIRE_OPTS
            and nxt
            and not flags & (_KEEPTTL | _PERSIST | _EX | _PX | _EXAT | _PXAT)
        ):
            flags |= _EXPIRE_OPTS[opt]
            j += 1
            expire_arg = argv[j]
        else:
            raise CommandError(SYNTAX)
        j += 1
    when = None
    if flags & (_EX | _PX | _EXAT | _PXAT):
        when = expire_at(c, expire_arg, bool(flags & (_PX | _PXAT)), bool(flags & (_EX | _PX)), cmd)
    return flags, when


def get(c: Client, argv: list[bytes]) -> bytes:
    """GET key -> bulk | nil"""
    value = c.db.get_str(argv[1], c.now)
    return c.nil if value is None else bulk(value)


def set_(c: Client, argv: list[bytes]) -> bytes:
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL] -> +OK | nil | bulk"""
    db = c.db
    key = argv[1]
    if len(argv) == 3:  # the common case: no options
        db.set(key, argv[2])
        return OK
    flags, when = parse_set_options(c, argv, 3, b"set")
    reply = OK
    if flags & _GET:
        old = db.get_str(key, c.now)
        reply = c.nil if old is None else bulk(old)
    if flags & (_NX | _XX):
        found = db.lookup(key, c.now) is not None
        if (flags & _NX and found) or (flags & _XX and not found):
            return reply if flags & _GET else c.nil
    db.set(key, argv[2], keepttl=bool(flags & _KEEPTTL))
    if when is not None:
        db.set_expire(key, when)
    return reply


_STR = "string"


def make_commands() -> list[Command]:
    return [
        Command(b"GET", get, 2, READONLY | FAST, 1, 1, 1, group=_STR),
        Command(b"SET", set_, -3, WRITE | DENYOOM, 1, 1, 1, group=_STR),
    ]
