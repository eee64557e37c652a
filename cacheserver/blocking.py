"""Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN ...), as redis ``blocked.c``.

A blocking handler that finds nothing to serve calls ``block(...)`` and
returns the ``Pending`` it gets.  The waiter is queued on each of its keys,
first come first served.  A command that makes a key able to serve (a push,
a ZADD) calls ``db.signal_ready(key)``; after that command the walk calls
``serve_ready()``, which offers the key to its waiters in order: each
waiter's ``serve(db, key)`` either takes what it needs and returns its reply,
or returns None (nothing for it: try the next key or keep waiting).

No task per waiter: a waiter is a future, an optional timer handle and its
place in the per-key queues.  A client that disconnects is removed at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from cacheserver.connection import Pending

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database

Serve = Callable[["Database", bytes], "bytes | None"]

__all__ = ["Blocking", "Waiter", "parse_timeout"]


class Waiter:
    """One blocked client: the keys it waits on and how to serve it."""

    __slots__ = ("client", "db", "future", "keys", "serve", "timeout_reply", "timer")

    def __init__(
        self,
        client: Client,
        db: Database,
        keys: list[bytes],
        serve: Serve,
        timeout_reply: bytes,
        future: asyncio.Future[bytes],
    ) -> None:
        self.client = client
        self.db = db
        self.keys = keys
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.future = future
        self.timer: asyncio.TimerHandle | None = None


class Blocking:
    """The server's blocked clients, by database and key."""

    __slots__ = ("by_client", "server")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.by_client: dict[int, Waiter] = {}

    def __len__(self) -> int:
        return len(self.by_client)

    def block(
        self,
        c: Client,
        keys: list[bytes],
        timeout: float,
        serve: Serve,
        timeout_reply: bytes,
    ) -> Pending:
        """Queue ``c`` on ``keys`` of its database; ``timeout`` seconds, 0 = forever."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        db = c.db
        w = Waiter(c, db, list(dict.fromkeys(keys)), serve, timeout_reply, future)
        for key in w.keys:
            queue = db.blocked.get(key)
            if queue is None:
                queue = db.blocked[key] = deque()
            queue.append(w)
        if timeout > 0:
            w.timer = loop.call_later(timeout, self._timed_out, w)
        self.by_client[c.id] = w
        return Pending(future)

    def _timed_out(self, w: Waiter) -> None:
        w.timer = None
        w.client.unblock_ns = -1  # not served: Redis 7.0 logs no slow log entry
        self._finish(w, w.timeout_reply)

    def _remove(self, w: Waiter) -> None:
        self.by_client.pop(w.client.id, None)
        blocked = w.db.blocked
        for key in w.keys:
            queue = blocked.get(key)
            if queue is not None:
                try:
                    queue.remove(w)
                except ValueError:
                    pass
                if not queue:
                    del blocked[key]
        if w.timer is not None:
            w.timer.cancel()
            w.timer = None

    def _finish(self, w: Waiter, reply: bytes) -> None:
        self._remove(w)
        if not w.future.done():
            w.future.set_result(reply)

    def cancel(self, c: Client) -> None:
        """``c`` disconnected or was killed: forget it without serving it."""
        w = self.by_client.get(c.id)
        if w is not None:
            self._remove(w)
            w.future.cancel()

    def unblock(self, c: Client, reply: bytes) -> bool:
        """End ``c``'s wait with ``reply`` (CLIENT UNBLOCK); False if it was not blocked."""
        w = self.by_client.get(c.id)
        if w is None:
            return False
        c.unblock_ns = -1  # as a timeout
        self._finish(w, reply)
        return True

    def serve_ready(self) -> None:
        """Offer every key signalled ready to its waiters, in arrival order.

        A waiter that cannot take from the key (blocked for another type, as
        BZPOPMIN on a key that became a list) is skipped and keeps waiting, as
        redis ``serveClientsBlockedOnListKey``; the walk stops once the key
        is gone (emptied by the waiters served)."""
        ready = self.server.keyspace.ready
        while ready:
            db, key = ready.pop(0)
            if db is None:  # tracking.TRACKING_MARK: not a key
                continue
            queue = db.blocked.get(key)
            i = 0
            while queue is not None and i < len(queue):
                w = queue[i]
                if w.client.closed:
                    self._remove(w)
                    continue
                t0 = time.perf_counter_ns()
                reply = w.serve(db, key)
                if reply is None:
                    if key not in db.data:
                        break
                    i += 1
                    continue
                # the slow log counts the serving in the command's time
                w.client.unblock_ns = time.perf_counter_ns() - t0
                self._finish(w, reply)  # removes w from this queue


def parse_timeout(arg: bytes) -> float:
    """A blocking timeout in seconds (fractions allowed; 0 = forever), as redis 7.0
    ``getTimeoutFromObjectOrReply``; raises CommandError.

    Redis parses a long double, multiplies it by 1000 in long double and
    rounds up to whole milliseconds (``ceill``): ``0.0001`` waits 1 ms, while
    ``-0.0005`` becomes ``-0``, which means forever.  A product outside a C
    long long converts to LLONG_MIN, so ``inf`` and ``1e300`` are "negative".
    """
    from cacheserver.commands.strings import parse_long_double
    from cacheserver.errors import CommandError

    value = parse_long_double(arg)
    if value is None:
        raise CommandError(b"ERR timeout is not a float or out of range")
    n, q = value
    # the exact product, rounded to a 64-bit significand (ties to even)
    p = abs(n) * 1000
    extra = p.bit_length() - 64
    if extra > 0:
        m, rest = p >> extra, p & ((1 << extra) - 1)
        half = 1 << (extra - 1)
        if rest > half or (rest == half and m & 1):
            m += 1
        p, q = m, q + extra
    if q > 64:
        ms = -(2**63)  # far beyond any long long
    elif q >= 0:
        ms = p << q
    elif n >= 0:
        ms = -((-p) >> -q)  # ceil
    else:
        ms = p >> -q  # floor of the magnitude: ceil of the negative value
    if n < 0:
        ms = -ms
    if not -(2**63) <= ms < 2**63:
        ms = -(2**63)
    if ms < 0:
        raise CommandError(b"ERR timeout is negative")
    return ms / 1000
