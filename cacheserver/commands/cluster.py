"""CLUSTER, READONLY, READWRITE and ASKING as a Redis 7.0 server with
``cluster-enabled no`` answers them: every one is refused with "This instance
has cluster support disabled", so that a cluster-aware client probing the
server (CLUSTER SLOTS, CLUSTER SHARDS...) learns it talks to a standalone
server, as it would from Redis.  The rows carry Redis's arities, flags and
categories, for COMMAND and ACL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.table import (
    ADMIN,
    FAST,
    LOADING,
    NO_ASYNC_LOADING,
    NOSCRIPT,
    STALE,
    Command,
    Handler,
)
from cacheserver.errors import CommandError, unknown_subcommand

if TYPE_CHECKING:
    from cacheserver.connection import Client

DISABLED = b"ERR This instance has cluster support disabled"
_CLUSTER = "cluster"  # COMMAND DOCS' group (no ACL category of that name)


def cluster_container(c: Client, argv: list[bytes]) -> bytes:
    """CLUSTER <subcommand> [arg ...] -> an error: cluster support is disabled"""
    raise unknown_subcommand(argv)


def _disabled(name: str) -> Handler:
    """The handler of one of these commands (its docstring, COMMAND DOCS's
    summary, names it)."""

    def disabled(c: Client, argv: list[bytes]) -> bytes:
        raise CommandError(DISABLED)

    disabled.__doc__ = f"{name} -> -ERR (cluster support is disabled)"
    return disabled


_ADM = ADMIN | STALE | NO_ASYNC_LOADING
_ADMIN_CATS = ("admin", "dangerous")
# name, arity, flags, since (Redis lists them in its table's hash order, which
# changes from one process to the next)
_SUBCOMMANDS = (
    (b"ADDSLOTS", -3, _ADM, "3.0.0"),
    (b"ADDSLOTSRANGE", -4, _ADM, "7.0.0"),
    (b"BUMPEPOCH", 2, _ADM, "3.0.0"),
    (b"COUNT-FAILURE-REPORTS", 3, ADMIN | STALE, "3.0.0"),
    (b"COUNTKEYSINSLOT", 3, STALE, "3.0.0"),
    (b"DELSLOTS", -3, _ADM, "3.0.0"),
    (b"DELSLOTSRANGE", -4, _ADM, "7.0.0"),
    (b"FAILOVER", -2, _ADM, "3.0.0"),
    (b"FLUSHSLOTS", 2, _ADM, "3.0.0"),
    (b"FORGET", 3, _ADM, "3.0.0"),
    (b"GETKEYSINSLOT", 4, STALE, "3.0.0"),
    (b"HELP", 2, LOADING | STALE, "5.0.0"),
    (b"INFO", 2, STALE, "3.0.0"),
    (b"KEYSLOT", 3, STALE, "3.0.0"),
    (b"LINKS", 2, STALE, "7.0.0"),
    (b"MEET", -4, _ADM, "4.0.0"),
    (b"MYID", 2, STALE, "3.0.0"),
    (b"NODES", 2, STALE, "3.0.0"),
    (b"REPLICAS", 3, ADMIN | STALE, "5.0.0"),
    (b"REPLICATE", 3, _ADM, "3.0.0"),
    (b"RESET", -2, ADMIN | NOSCRIPT | STALE, "3.0.0"),
    (b"SAVECONFIG", 2, _ADM, "3.0.0"),
    (b"SET-CONFIG-EPOCH", 3, _ADM, "3.0.0"),
    (b"SETSLOT", -4, _ADM, "3.0.0"),
    (b"SHARDS", 2, STALE, "7.0.0"),
    (b"SLAVES", 3, ADMIN | STALE, "3.0.0"),
    (b"SLOTS", 2, STALE, "3.0.0"),
)


def make_commands() -> list[Command]:
    conn = ("connection",)
    subs = tuple(
        Command(name, _disabled(f"CLUSTER {name.decode()}"), arity, flags, since=since)
        for name, arity, flags, since in _SUBCOMMANDS
    )
    rows = [
        Command(
            b"CLUSTER", cluster_container, -2, 0, group=_CLUSTER, since="3.0.0", subcommands=subs
        )
    ]
    for name, flags in (
        (b"READONLY", LOADING | STALE | FAST),
        (b"READWRITE", LOADING | STALE | FAST),
        (b"ASKING", FAST),
    ):
        handler = _disabled(name.decode())
        rows.append(
            Command(name, handler, 1, flags, group=_CLUSTER, categories=conn, since="3.0.0")
        )
    return rows
