"""Generic key commands (redis ``db.c``, ``expire.c``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.table import FAST, READONLY, WRITE, Command
from cacheserver.errors import SYNTAX, CommandError
from protocol.resp import OK, integer

if TYPE_CHECKING:
    from cacheserver.connection import Client


def del_(c: Client, argv: list[bytes]) -> bytes:
    """DEL key [key ...] -> integer (keys removed)"""
    db, now = c.db, c.now
    n = 0
    for key in argv[1:]:
        if db.peek(key, now) is not None and db.delete(key):
            n += 1
    return integer(n)


def exists(c: Client, argv: list[bytes]) -> bytes:
    """EXISTS key [key ...] -> integer (keys that exist, counted with repeats)"""
    db, now = c.db, c.now
    return integer(sum(1 for key in argv[1:] if db.exists(key, now)))


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() not in (b"async", b"sync")):
        raise CommandError(SYNTAX)


def flushdb(c: Client, argv: list[bytes]) -> bytes:
    """FLUSHDB [ASYNC|SYNC] -> +OK"""
    _flush_mode(argv)
    c.db.flush()
    return OK


def flushall(c: Client, argv: list[bytes]) -> bytes:
    """FLUSHALL [ASYNC|SYNC] -> +OK"""
    _flush_mode(argv)
    for db in c.server.keyspace.dbs:
        db.flush()
    return OK


_KS = "keyspace"


def make_commands() -> list[Command]:
    return [
        Command(b"DEL", del_, -2, WRITE, 1, -1, 1, group=_KS),
        Command(b"FLUSHDB", flushdb, -1, WRITE, group=_KS),
        Command(b"FLUSHALL", flushall, -1, WRITE, group=_KS),
        Command(b"EXISTS", exists, -2, READONLY | FAST, 1, -1, 1, group=_KS, since="1.0.0"),
    ]
