"""Pub/sub: who listens to what, and pushing messages to clients (redis ``pubsub.c``).

The server keeps one registry per kind (channels, patterns, shard channels):
name -> the clients subscribed, in subscription order (a dict used as an
ordered set, so removal is O(1)).  Each subscribed client keeps the names it
holds in ``Client.subs``, so a disconnect drops exactly its entries and a
name with no subscriber left is forgotten at once.

Publishing encodes a message once per protocol (the name's part of it was
encoded when the name got its first subscriber) and hands it to every
subscriber with ``deliver``: the bytes are appended to the client's pending
output (the replies the connection writes at the end of the loop iteration,
``Server.defer_write``), so PUBLISH is O(subscribers), never awaits and
creates no task.  ``deliver`` is also the way any server-initiated push
(keyspace notifications, tracking invalidations) reaches a client.

A subscriber that does not read cannot make the server hold its output
without bound: what is queued for it is measured before it is written
(``Client.flush``, at the end of each loop iteration) and, past the
``client-output-buffer-limit`` of its class, the client is dropped with
none of it sent (``Client.close_for_output_limit``); the publisher never
waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from cacheserver.glob import compile_matcher
from protocol.resp import BULK_HDR, CRLF, bulk

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server

__all__ = ["PubSub", "Subscriptions", "deliver"]


class Subscribers(dict["Client", None]):
    """The clients of one channel, pattern or shard channel in subscription
    order (a dict used as an ordered set), with ``head``: the start of every
    RESP2 message delivered through it, encoded once (``*3 $7 message
    $<len> <channel>``; a pattern's lacks the channel and message)."""

    __slots__ = ("head",)

    def __init__(self, head: bytes) -> None:
        super().__init__()
        self.head = head


class Subscriptions:
    """What one client is subscribed to (redis ``c->pubsub_channels``,
    ``c->pubsub_patterns``, ``c->pubsubshard_channels``)."""

    __slots__ = ("channels", "patterns", "shard")

    def __init__(self) -> None:
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard: dict[bytes, None] = {}

    def count(self) -> int:
        """Channels and patterns: the count (UN|P|PUN)SUBSCRIBE replies carry."""
        return len(self.channels) + len(self.patterns)

    def total(self) -> int:
        return len(self.channels) + len(self.patterns) + len(self.shard)


def deliver(c: Client, data: bytes) -> None:
    """Queue ``data`` (a complete encoded push or message) for ``c``.

    While ``c`` runs its own commands the data joins that batch's replies, in
    order (a RESP3 client publishing to itself gets the message before the
    PUBLISH reply, as from Redis); otherwise it joins the output written at
    the end of this loop iteration.  Never writes to the socket itself,
    never waits."""
    out = c.out
    if out is not None:
        out.append(data)
        return
    pending = c.deferred
    if pending is None:
        if c.closed:
            return
        srv = c.server
        if not srv.defer_writes:  # an in-process harness: no loop to defer to
            c.write([data])
            return
        srv.defer_write(c, [data])
    else:
        pending.append(data)


class PubSub:
    """The server's subscriptions (redis ``server.pubsub_channels``,
    ``server.pubsub_patterns``, ``server.pubsubshard_channels``)."""

    __slots__ = ("channels", "patterns", "server", "shard")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.channels: dict[bytes, Subscribers] = {}
        self.shard: dict[bytes, Subscribers] = {}
        # pattern -> (its matcher, subscribers): compiled once per pattern
        self.patterns: dict[bytes, tuple[Callable[[bytes], bool], Subscribers]] = {}

    # -- subscribing ------------------------------------------------------------

    def _subs(self, c: Client) -> Subscriptions:
        subs = c.subs
        if subs is None:
            subs = c.subs = Subscriptions()
            c.set_output_class()  # now in the pubsub class
        return subs

    def subscribe(self, c: Client, channel: bytes, shard: bool = False) -> int:
        """Add ``c`` to ``channel`` (a no-op if it is there); returns the
        client's count for the reply: channels and patterns, or shard channels."""
        subs = self._subs(c)
        mine = subs.shard if shard else subs.channels
        if channel not in mine:
            mine[channel] = None
            registry = self.shard if shard else self.channels
            clients = registry.get(channel)
            if clients is None:
                head = (_SMESSAGE if shard else _MESSAGE) + bulk(channel)
                clients = registry[channel] = Subscribers(head)
            clients[c] = None
        return len(subs.shard) if shard else subs.count()

    def unsubscribe(self, c: Client, channel: bytes, shard: bool = False) -> int:
        """Remove ``c`` from ``channel`` if it is there; returns the count as ``subscribe``."""
        subs = c.subs
        if subs is None:
            return 0
        mine = subs.shard if shard else subs.channels
        if channel in mine:
            del mine[channel]
            self._forget(self.shard if shard else self.channels, channel, c)
        return len(subs.shard) if shard else subs.count()

    def psubscribe(self, c: Client, pattern: bytes) -> int:
        subs = self._subs(c)
        if pattern not in subs.patterns:
            subs.patterns[pattern] = None
            entry = self.patterns.get(pattern)
            if entry is None:
                subscribers = Subscribers(_PMESSAGE + bulk(pattern))
                entry = self.patterns[pattern] = (compile_matcher(pattern), subscribers)
            entry[1][c] = None
        return subs.count()

    def punsubscribe(self, c: Client, pattern: bytes) -> int:
        subs = c.subs
        if subs is None:
            return 0
        if pattern in subs.patterns:
            del subs.patterns[pattern]
            entry = self.patterns.get(pattern)
            if entry is not None:
                entry[1].pop(c, None)
                if not entry[1]:
                    del self.patterns[pattern]
        return subs.count()

    @staticmethod
    def _forget(registry: dict[bytes, Subscribers], name: bytes, c: Client) -> None:
        clients = registry.get(name)
        if clients is not None:
            clients.pop(c, None)
            if not clients:  # nobody left: the name itself goes
                del registry[name]

    def leave_if_done(self, c: Client) -> None:
        """After an unsubscribe: a client with no subscription left is a
        normal client again (redis clears ``CLIENT_PUBSUB``)."""
        subs = c.subs
        if subs is not None and not subs.total():
            self._left(c)

    def _left(self, c: Client) -> None:
        c.subs = None
        c.set_mode("pubsub", None)
        c.set_output_class()

    def drop(self, c: Client) -> None:
        """Forget every subscription of ``c`` without replies (disconnect, RESET)."""
        subs = c.subs
        if subs is None:
            return
        for ch in subs.channels:
            self._forget(self.channels, ch, c)
        for ch in subs.shard:
            self._forget(self.shard, ch, c)
        for pat in subs.patterns:
            entry = self.patterns.get(pat)
            if entry is not None:
                entry[1].pop(c, None)
                if not entry[1]:
                    del self.patterns[pat]
        self._left(c)

    # -- publishing -------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes, shard: bool = False) -> int:
        """Send ``message`` to the subscribers of ``channel`` and, unless
        ``shard``, to every pattern matching it; returns the number of
        deliveries (a client matching by two patterns counts twice)."""
        size = len(message)  # bulk()'s header, inline: a call less per PUBLISH (4%)
        hdr = BULK_HDR[size] if size < _BULK_HDRS else b"$%d\r\n" % size
        clients = (self.shard if shard else self.channels).get(channel)
        n = self._send(clients, b"".join((clients.head, hdr, message, CRLF))) if clients else 0
        if self.patterns and not shard:
            for match, clients in self.patterns.values():
                if match(channel):
                    data = b"".join((clients.head, bulk(channel), hdr, message, CRLF))
                    n += self._send(clients, data)
        return n

    def _send(self, clients: Subscribers, resp2: bytes) -> int:
        """``deliver`` ``resp2`` (or its RESP3 push form) to each client,
        inlined for the usual case: another client than the one running, with
        output already queued in this loop iteration (the first message of an
        iteration goes through deliver)."""
        resp3 = b""  # made on first need: the same bytes after a '>' header
        running = self.server.current_client
        if running is not None and running in clients:
            for c in clients:
                if c.resp3 and not resp3:
                    resp3 = b">" + resp2[1:]
                deliver(c, resp3 if c.resp3 else resp2)
            return len(clients)
        for c in clients:
            pending = c.deferred
            if pending is None or c.resp3:
                if c.resp3 and not resp3:
                    resp3 = b">" + resp2[1:]
                deliver(c, resp3 if c.resp3 else resp2)
            else:
                pending.append(resp2)
        return len(clients)

    def channel_names(self, shard: bool, pattern: bytes | None) -> list[bytes]:
        """PUBSUB CHANNELS / SHARDCHANNELS: the active names matching ``pattern``."""
        names: Iterable[bytes] = self.shard if shard else self.channels
        if pattern is None:
            return list(names)
        return list(filter(compile_matcher(pattern), names))

    def numsub(self, channel: bytes, shard: bool = False) -> int:
        clients = (self.shard if shard else self.channels).get(channel)
        return len(clients) if clients else 0


_BULK_HDRS = len(BULK_HDR)

# RESP2 messages start so; the RESP3 push differs in its first byte only
_MESSAGE = b"*3\r\n$7\r\nmessage\r\n"
_SMESSAGE = b"*3\r\n$8\r\nsmessage\r\n"
_PMESSAGE = b"*4\r\n$8\r\npmessage\r\n"
