"""LOADER LIST | STATS | RELOAD | INVALIDATE key [key ...] | HELP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.table import ADMIN, FAST, LOADING, NOSCRIPT, STALE, WRITE, Command
from cacheserver.errors import CommandError, unknown_subcommand
from protocol.resp import EMPTY_ARRAY, OK, array, bulk, integer, map_reply, simple

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.loaders.base import Loaders

NO_LOADERS = b"ERR no loaders configured (start the server with --loaders FILE)"

LOADER_HELP = (
    b"LOADER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"LIST",
    b"    Return each loader's definition.",
    b"STATS",
    b"    Return each loader's counters, the pool's and the LISTEN connection's.",
    b"RELOAD",
    b"    Read the loaders file again; a bad file keeps the current loaders.",
    b"INVALIDATE <key> [<key> ...]",
    b"    Drop the keys' cached values, negative entries and stale copies.",
    b"HELP",
    b"    Print this help.",
)


def _loaders(c: Client) -> Loaders:
    loaders: Loaders | None = c.server.loaders
    if loaders is None:
        raise CommandError(NO_LOADERS)
    return loaders


def _pairs(items: list[tuple[str, str]], resp3: bool) -> bytes:
    return map_reply([(bulk(k.encode()), bulk(v.encode())) for k, v in items], resp3)


def loader_container(c: Client, argv: list[bytes]) -> bytes:
    """LOADER <LIST|STATS|RELOAD|INVALIDATE|HELP> [arg ...] -> depends on the subcommand"""
    raise unknown_subcommand(argv)


def loader_list(c: Client, argv: list[bytes]) -> bytes:
    """LOADER LIST -> array of maps (name key query format ttl jitter negative_ttl stale_for invalidate_channel db query_error)"""
    loaders = c.server.loaders
    if loaders is None:
        return EMPTY_ARRAY
    return array(
        [
            _pairs([*L.spec.describe(), ("query_error", L.query_error)], c.resp3)
            for L in loaders.loaders
        ]
    )


def loader_stats(c: Client, argv: list[bytes]) -> bytes:
    """LOADER STATS -> map of loader name (and "pool", "listen") to a map of counters"""
    loaders = c.server.loaders
    if loaders is None:
        return map_reply([], c.resp3)
    out = [(bulk(L.spec.name.encode()), _pairs(L.stats(), c.resp3)) for L in loaders.loaders]
    out.append((bulk(b"pool"), _pairs(loaders.pool_stats(), c.resp3)))
    out.append((bulk(b"listen"), _pairs(loaders.listen_stats(), c.resp3)))
    return map_reply(out, c.resp3)


def loader_reload(c: Client, argv: list[bytes]) -> bytes:
    """LOADER RELOAD -> +OK | -ERR naming the file, line and problem (the current loaders stay)"""
    from cacheserver.loaders.spec import LoaderConfigError

    loaders = _loaders(c)
    try:
        loaders.reload()
    except LoaderConfigError as e:
        text = "; ".join(e.problems)
        raise CommandError(
            b"ERR loaders not reloaded: " + " ".join(text.split()).encode("utf-8", "replace")
        ) from None
    return OK


def loader_invalidate(c: Client, argv: list[bytes]) -> bytes:
    """LOADER INVALIDATE key [key ...] -> integer (loader keys that had something to drop)"""
    loaders = _loaders(c)
    n = 0
    for key in argv[2:]:
        if loaders.invalidate(c.db, key):
            n += 1
    return integer(n)


def loader_help(c: Client, argv: list[bytes]) -> bytes:
    """LOADER HELP -> array of lines"""
    return array([simple(line) for line in LOADER_HELP])


def make_commands() -> list[Command]:
    adm = ADMIN | NOSCRIPT | LOADING | STALE
    return [
        Command(
            b"LOADER",
            loader_container,
            -2,
            0,
            group="server",
            since="7.0.0",
            subcommands=(
                Command(b"LIST", loader_list, 2, adm),
                Command(b"STATS", loader_stats, 2, adm),
                Command(b"RELOAD", loader_reload, 2, adm),
                Command(b"INVALIDATE", loader_invalidate, -3, WRITE | FAST, 2, -1, 1),
                Command(b"HELP", loader_help, 2, LOADING | STALE),
            ),
        )
    ]
