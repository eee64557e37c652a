"""CLIENT PAUSE and CLIENT UNPAUSE, as Redis 7.0 (networking.c ``pauseClients``,
``unpauseClients``, ``blockPostponeClient`` and processCommand's check).

While a pause is on, every client has the ``pause`` intercept
(``Client.set_mode``): a command it must not run yet (any command under ALL;
under WRITE a write, a command that replicates such as PUBLISH, or an EXEC
whose queue holds one) is held: the intercept records it, the client stops
(``Client.waiting``, as for a blocking command) and the walk ends its batch
(``Held``).  The requests behind it stay in the client's buffer, so its
replies keep their order.  Errors Redis gives before its pause check (unknown
command, arity, NOAUTH, ACL, subscriber mode, NO_MULTI) are still answered at
once.  A client costs nothing while held: no task, no timer; the pause has
one timer for its end.

When the pause ends (its timeout or CLIENT UNPAUSE) the held clients run
their held command again, from the top of the walk, in the order they were
held, in one loop callback after the command that ended it.

A second CLIENT PAUSE keeps the stricter mode and the later end (Redis 7.0
``pauseClients``: ``max`` of both).  A pause also keeps the dataset still:
keys past their TTL read as missing but are not deleted, the active expiry
cycle and eviction wait (``Keyspace.paused``; Redis 7.0 ``expireIfNeeded``,
``activeExpireCycle``, ``isSafeToPerformEvictions``).  A CLIENT PAUSE run by
EXEC takes effect on the dataset when the transaction ends, so the
transaction's later writes see expired keys deleted (Redis 7.0 asserts
there).

Memcached connections are not paused: CLIENT PAUSE is a Redis protocol command.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, NoReturn

from cacheserver.commands.table import MAY_REPLICATE, NO_MULTI, WRITE
from cacheserver.connection import Held

if TYPE_CHECKING:
    from cacheserver.commands.table import Command
    from cacheserver.connection import Client
    from cacheserver.server import Server

# pause kinds, in Redis's order (pause_type): a later pause keeps the larger
OFF = 0
WRITE_ONLY = 1
ALL = 2

# the intercept's name (connection.PAUSE)
MODE = "pause"

# int's own & on the IntFlag: the enum's __and__ costs a microsecond
_flag_and = int.__and__
_HELD_BY_WRITE = int(WRITE | MAY_REPLICATE)
_NO_MULTI = int(NO_MULTI)


def _wrap64(n: int) -> int:
    """``n`` as a C ``long long`` sum wraps: a timeout near LLONG_MAX ends in the past."""
    return ((n + (1 << 63)) & ((1 << 64) - 1)) - (1 << 63)


class Pause:
    """The server's pause: its kind and end, and the clients it holds."""

    __slots__ = ("deferred", "end", "held", "kind", "server", "timer")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.kind = OFF
        self.end = 0  # unix ms; the pause lasts while the clock is not past it
        self.timer: asyncio.TimerHandle | None = None
        # held clients by id, in the order they were held (each keeps its
        # request in Client.held)
        self.held: dict[int, Client] = {}
        # a pause started inside EXEC: the dataset stops when EXEC ends
        self.deferred = False

    def __len__(self) -> int:
        """The number of held clients (INFO ``blocked_clients`` counts them)."""
        return len(self.held)

    def pause(self, c: Client, timeout_ms: int, kind: int) -> None:
        """CLIENT PAUSE from ``c``: ``timeout_ms`` (>= 0) from now, ``kind``
        WRITE_ONLY or ALL, merged with a pause in force (the stricter kind,
        the later end)."""
        srv = self.server
        end = _wrap64(timeout_ms + srv.clock()) if timeout_ms > 0 else 0
        if self.kind != OFF:
            kind = max(kind, self.kind)
            end = max(end, self.end)
        if end < c.now:  # over already (a timeout of 0, or wrapped past)
            self.unpause()
            return
        started = self.kind == OFF
        self.kind, self.end = kind, end
        if started:
            for client in srv.clients.values():
                client.set_mode(MODE, gate)
            if c.in_multi:  # run by EXEC: the rest of the transaction runs as usual
                self.deferred = True
            else:
                srv.keyspace.paused = True
        self._schedule()

    def settle(self) -> None:
        """EXEC ended: a pause it started now stops the dataset too."""
        self.deferred = False
        if self.kind != OFF:
            self.server.keyspace.paused = True

    def _schedule(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        srv = self.server
        loop = srv._loop or asyncio.get_running_loop()
        # over once the clock is past ``end`` (redis: end < mstime)
        delay = max(0, self.end + 1 - srv.clock()) / 1000
        self.timer = loop.call_later(delay, self._timed_out)

    def _timed_out(self) -> None:
        self.timer = None
        if self.end >= self.server.clock():  # the loop's clock ran ahead of ours
            self._schedule()
            return
        self.unpause()

    def unpause(self) -> None:
        """CLIENT UNPAUSE, or the end of the timeout: the held clients run
        their commands again, in the order they were held, after the command
        running now (redis ``unblockPostponedClients``)."""
        if self.kind == OFF:
            return
        srv = self.server
        self.kind = OFF
        self.end = 0
        self.deferred = False
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        srv.keyspace.paused = False
        for client in srv.clients.values():
            client.set_mode(MODE, None)
        if self.held:
            held = list(self.held.values())
            self.held.clear()
            loop = srv._loop or asyncio.get_running_loop()
            loop.call_soon(_resume, held)

    def stop(self) -> None:
        """The server stops: no timer; held clients close with the others."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def hold(self, c: Client, argv: list[bytes]) -> NoReturn:
        """Hold ``c`` at ``argv`` until the pause ends; ends the walk's batch."""
        c.held = argv
        c.waiting = True
        self.held[c.id] = c
        raise Held

    def drop(self, c: Client) -> None:
        """``c`` is gone: it is held no longer."""
        self.held.pop(c.id, None)


def _resume(held: list[Client]) -> None:
    for c in held:
        if not c.closed:
            c.run_held()


def gate(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """The ``pause`` intercept: hold what the pause holds, else the next
    mode's intercept (MULTI queueing, subscriber mode, tracking)."""
    p = c.server.pause
    if p.kind == ALL or _flag_and(row.flags, _HELD_BY_WRITE) or _writing_exec(c, row):
        # what Redis refuses before it looks at the pause
        subscriber = c.modes.get("pubsub")
        if subscriber is not None:
            refused = subscriber(c, row, argv)
            if refused is not None:
                return refused
        if c.in_multi and _flag_and(row.flags, _NO_MULTI):
            from cacheserver.commands.transactions import NOT_IN_MULTI

            return c.rejected(row, NOT_IN_MULTI)
        p.hold(c, argv)
    nxt = c.after_pause
    return None if nxt is None else nxt(c, row, argv)


def _writing_exec(c: Client, row: Command) -> bool:
    """``row`` is an EXEC whose queue holds a write (redis ``mstate.cmd_flags``)."""
    if row.name != b"exec" or row.parent is not None:
        return False
    tx = c.tx
    if tx is None or not tx.queue:
        return False
    return any(_flag_and(r.flags, _HELD_BY_WRITE) for r, _ in tx.queue)
