"""Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
SSUBSCRIBE SUNSUBSCRIBE SPUBLISH PUBSUB (redis ``pubsub.c``).

A (un)subscribe command answers with one message per name, an array in
RESP2 and a push in RESP3.  A RESP2 client with any subscription is in
subscriber mode: only the commands Redis allows there run, the others get
Redis's error (``subscriber_mode``, the connection's "pubsub" intercept).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.connection import help_reply
from cacheserver.commands.table import (
    FAST,
    LOADING,
    MAY_REPLICATE,
    NOSCRIPT,
    PUBSUB,
    STALE,
    Command,
)
from cacheserver.errors import CommandError, unknown_subcommand
from protocol.resp import INTEGERS, bulk, bulk_array, integer

if TYPE_CHECKING:
    from cacheserver.connection import Client


# -- subscriber mode ----------------------------------------------------------------

# what RESP2 subscriber mode allows (redis processCommand)
_ALLOWED = frozenset(
    (
        b"subscribe",
        b"ssubscribe",
        b"unsubscribe",
        b"sunsubscribe",
        b"psubscribe",
        b"punsubscribe",
        b"ping",
        b"quit",
        b"reset",
    )
)


def subscriber_mode(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """The intercept of a subscribed client: in RESP2, refuse what subscriber
    mode does not allow; RESP3 is unrestricted."""
    if c.resp3:
        return None
    name = row.fullname
    if name not in _ALLOWED:
        return c.rejected(
            row,
            b"ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            b"RESET are allowed in this context" % name,
        )
    return None  # (PING answers as a message by itself)


def _entered(c: Client) -> None:
    c.set_mode("pubsub", subscriber_mode)


# -- (un)subscribing ---------------------------------------------------------------


def _kind(name: bytes) -> tuple[bytes, bytes]:
    """The RESP2 and RESP3 heads of a ``name`` message (``*3``/``>3`` and the kind)."""
    kind = bulk(name)
    return b"*3\r\n" + kind, b">3\r\n" + kind


_SUBSCRIBE = _kind(b"subscribe")
_UNSUBSCRIBE = _kind(b"unsubscribe")
_PSUBSCRIBE = _kind(b"psubscribe")
_PUNSUBSCRIBE = _kind(b"punsubscribe")
_SSUBSCRIBE = _kind(b"ssubscribe")
_SUNSUBSCRIBE = _kind(b"sunsubscribe")


def _subscribe(c: Client, argv: list[bytes], kind: int) -> bytes:
    """The (P|S)SUBSCRIBE reply; ``kind`` 0 channels, 1 shard channels, 2 patterns."""
    ps = c.server.pubsub
    head = (_SUBSCRIBE, _SSUBSCRIBE, _PSUBSCRIBE)[kind][c.resp3]
    if kind == 2:
        out = [head + bulk(p) + integer(ps.psubscribe(c, p)) for p in argv[1:]]
    else:
        shard = kind == 1
        out = [head + bulk(ch) + integer(ps.subscribe(c, ch, shard)) for ch in argv[1:]]
    _entered(c)
    return _confirm(c, b"".join(out))


def subscribe(c: Client, argv: list[bytes]) -> bytes:
    """SUBSCRIBE channel [channel ...] -> a subscribe message per channel"""
    return _subscribe(c, argv, 0)


def ssubscribe(c: Client, argv: list[bytes]) -> bytes:
    """SSUBSCRIBE shardchannel [shardchannel ...] -> an ssubscribe message per channel"""
    if c.in_multi:  # unlike SUBSCRIBE, no exception for transactions (redis 7.0)
        raise CommandError(b"ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    return _subscribe(c, argv, 1)


def psubscribe(c: Client, argv: list[bytes]) -> bytes:
    """PSUBSCRIBE pattern [pattern ...] -> a psubscribe message per pattern"""
    return _subscribe(c, argv, 2)


def _unsubscribe(c: Client, argv: list[bytes], kind: int) -> bytes:
    """The (P|S)UNSUBSCRIBE reply; ``kind`` 0 channels, 1 shard channels, 2 patterns."""
    ps = c.server.pubsub
    subs = c.subs
    head = (_UNSUBSCRIBE, _SUNSUBSCRIBE, _PUNSUBSCRIBE)[kind][c.resp3]
    if len(argv) > 1:
        names = argv[1:]
    elif subs is None:
        names = []
    else:
        names = list((subs.channels, subs.shard, subs.patterns)[kind])
    out = []
    for name in names:
        if kind == 2:
            count = ps.punsubscribe(c, name)
        else:
            count = ps.unsubscribe(c, name, kind == 1)
        out.append(head + bulk(name) + integer(count))
    if not out:
        # nothing to leave: one message with a null name and the current count
        count = 0 if subs is None else (len(subs.shard) if kind == 1 else subs.count())
        out.append(head + c.nil + integer(count))
    ps.leave_if_done(c)
    return _confirm(c, b"".join(out))


def _confirm(c: Client, reply: bytes) -> bytes:
    """A (un)subscribe reply, which Redis sends as a push: CLIENT REPLY OFF
    or SKIP does not hold it back (redis ``CLIENT_PUSHING``).  It joins the
    batch's output as pushes do, and the command answers nothing."""
    if c.quiet and c.out is not None and not c.in_multi:
        c.out.append(reply)
        return b""
    return reply


def unsubscribe(c: Client, argv: list[bytes]) -> bytes:
    """UNSUBSCRIBE [channel [channel ...]] -> an unsubscribe message per channel"""
    return _unsubscribe(c, argv, 0)


def sunsubscribe(c: Client, argv: list[bytes]) -> bytes:
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]] -> a sunsubscribe message per channel"""
    return _unsubscribe(c, argv, 1)


def punsubscribe(c: Client, argv: list[bytes]) -> bytes:
    """PUNSUBSCRIBE [pattern [pattern ...]] -> a punsubscribe message per pattern"""
    return _unsubscribe(c, argv, 2)


# -- publishing ----------------------------------------------------------------------


def publish(c: Client, argv: list[bytes]) -> bytes:
    """PUBLISH channel message -> integer (clients that received it)"""
    n = c.server.pubsub.publish(argv[1], argv[2])
    return INTEGERS[n] if n < 1024 else integer(n)  # integer()'s table, a call less


def spublish(c: Client, argv: list[bytes]) -> bytes:
    """SPUBLISH shardchannel message -> integer (clients that received it)"""
    return integer(c.server.pubsub.publish(argv[1], argv[2], True))


# -- PUBSUB ----------------------------------------------------------------------------


def _syntax(argv: list[bytes]) -> CommandError:
    # redis addReplySubcommandSyntaxError
    return CommandError(
        b"ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
        % (argv[1][:128], argv[0].upper())
    )


def _channels(c: Client, argv: list[bytes], shard: bool) -> bytes:
    if len(argv) > 3:
        raise _syntax(argv)
    return bulk_array(c.server.pubsub.channel_names(shard, argv[2] if len(argv) == 3 else None))


def pubsub_channels(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB CHANNELS [pattern] -> array of active channels"""
    return _channels(c, argv, False)


def pubsub_shardchannels(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB SHARDCHANNELS [pattern] -> array of active shard channels"""
    return _channels(c, argv, True)


def _numsub(c: Client, argv: list[bytes], shard: bool) -> bytes:
    count = c.server.pubsub.numsub
    parts = [b"*%d\r\n" % (2 * (len(argv) - 2))]
    for ch in argv[2:]:
        parts.append(bulk(ch))
        parts.append(integer(count(ch, shard)))
    return b"".join(parts)


def pubsub_numsub(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB NUMSUB [channel [channel ...]] -> array of channel, count pairs"""
    return _numsub(c, argv, False)


def pubsub_shardnumsub(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]] -> array of channel, count pairs"""
    return _numsub(c, argv, True)


def pubsub_numpat(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB NUMPAT -> integer (patterns with at least one subscriber)"""
    return integer(len(c.server.pubsub.patterns))


PUBSUB_HELP = [
    b"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CHANNELS [<pattern>]",
    b"    Return the currently active channels matching a <pattern> (default: '*').",
    b"NUMPAT",
    b"    Return number of subscriptions to patterns.",
    b"NUMSUB [<channel> ...]",
    b"    Return the number of subscribers for the specified channels, excluding",
    b"    pattern subscriptions(default: no channels).",
    b"SHARDCHANNELS [<pattern>]",
    b"    Return the currently active shard level channels matching a <pattern> (default: '*').",
    b"SHARDNUMSUB [<shardchannel> ...]",
    b"    Return the number of subscribers for the specified shard level channel(s)",
    b"HELP",
    b"    Prints this help.",
]


def pubsub_help(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB HELP -> array of lines"""
    return help_reply(PUBSUB_HELP)


def pubsub_container(c: Client, argv: list[bytes]) -> bytes:
    """PUBSUB <CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP> [arg ...]"""
    raise unknown_subcommand(argv)


_GROUP = "pubsub"


def make_commands() -> list[Command]:
    # Flags and key positions as Redis 7.0's command table (shard channels
    # sit where keys would, for cluster routing).
    sub = PUBSUB | NOSCRIPT | LOADING | STALE
    pub = PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE
    intro = PUBSUB | LOADING | STALE
    return [
        Command(b"SUBSCRIBE", subscribe, -2, sub, group=_GROUP, since="2.0.0"),
        Command(b"UNSUBSCRIBE", unsubscribe, -1, sub, group=_GROUP, since="2.0.0"),
        Command(b"PSUBSCRIBE", psubscribe, -2, sub, group=_GROUP, since="2.0.0"),
        Command(b"PUNSUBSCRIBE", punsubscribe, -1, sub, group=_GROUP, since="2.0.0"),
        Command(b"PUBLISH", publish, 3, pub, group=_GROUP, since="2.0.0"),
        Command(b"SSUBSCRIBE", ssubscribe, -2, sub, 1, -1, 1, group=_GROUP, since="7.0.0"),
        Command(b"SUNSUBSCRIBE", sunsubscribe, -1, sub, 1, -1, 1, group=_GROUP, since="7.0.0"),
        Command(b"SPUBLISH", spublish, 3, pub, 1, 1, 1, group=_GROUP, since="7.0.0"),
        Command(
            b"PUBSUB",
            pubsub_container,
            -2,
            0,
            group=_GROUP,
            since="2.8.0",
            subcommands=(
                Command(b"CHANNELS", pubsub_channels, -2, intro),
                Command(b"NUMSUB", pubsub_numsub, -2, intro),
                Command(b"NUMPAT", pubsub_numpat, 2, intro),
                Command(b"SHARDCHANNELS", pubsub_shardchannels, -2, intro, since="7.0.0"),
                Command(b"SHARDNUMSUB", pubsub_shardnumsub, -2, intro, since="7.0.0"),
                Command(b"HELP", pubsub_help, 2, LOADING | STALE),
            ),
        ),
    ]
