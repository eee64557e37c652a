"""The LISTEN connection: invalidations pushed by PostgreSQL.

One dedicated connection, outside the pool, LISTENs on every loader's
``invalidate_channel``.  It is checked every ``health_check_interval`` (a
``SELECT 1``), follows the pool's failovers, and reconnects with exponential
backoff (0.1 s doubling to 5 s) when it drops.  Each time it (re)connects, the
entries of the loaders on its channels are dropped: notifications sent while
it was away are lost, so those entries can no longer be trusted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from cacheserver.loaders.pool import ConnectFailed, Pool, reason

if TYPE_CHECKING:
    from cacheserver.loaders.base import Loaders

log = logging.getLogger("cacheserver")

BACKOFF_MIN = 0.1
BACKOFF_MAX = 5.0


class Listener:
    __slots__ = (
        "channels",
        "closed",
        "conn",
        "connected",
        "last_error",
        "loaders",
        "moved",
        "notifications",
        "pool",
        "reconnects",
        "task",
        "wake",
    )

    def __init__(self, loaders: Loaders, pool: Pool, channels: list[str]) -> None:
        self.loaders = loaders
        self.pool = pool
        self.channels = channels
        self.conn: Any = None
        self.connected = False
        self.closed = False
        self.moved = False
        self.reconnects = 0
        self.notifications = 0
        self.last_error = ""
        self.task: asyncio.Task[None] | None = None
        self.wake: asyncio.Event | None = None

    def start(self) -> None:
        self.wake = asyncio.Event()
        self.pool.on_failover.append(self._failover)
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        self.closed = True
        if self._failover in self.pool.on_failover:
            self.pool.on_failover.remove(self._failover)
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass
        await self._drop()

    def _failover(self) -> None:
        self.moved = True
        if self.wake is not None:
            self.wake.set()

    def _lost(self, conn: Any) -> None:
        if self.wake is not None:
            self.wake.set()

    def _notify(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        self.notifications += 1
        try:
            self.loaders.notified(channel, payload)
        except Exception:
            log.exception("loaders: error handling a notification on %r", channel)

    async def _drop(self) -> None:
        conn, self.conn = self.conn, None
        self.connected = False
        if conn is not None:
            conn.terminate()

    async def _run(self) -> None:
        while not self.closed:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception:  # never leave the cache without invalidations for good
                log.exception("loaders: error in the LISTEN connection; starting it again")
                await self._drop()
                await asyncio.sleep(BACKOFF_MAX)

    async def _listen(self) -> None:
        backoff = BACKOFF_MIN
        spec = self.pool.spec
        first = True
        assert self.wake is not None
        while not self.closed:
            self.moved = False
            self.wake.clear()
            try:
                conn, _ = await self.pool.connect(
                    application_name=f"{spec.application_name}-listen", timeouts=False
                )
                self.conn = conn
                conn.add_termination_listener(self._lost)
                for ch in self.channels:
                    await conn.add_listener(ch, self._notify)
            except (ConnectFailed, Exception) as e:
                self.last_error = reason(e)
                await self._drop()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            self.connected = True
            self.last_error = ""
            backoff = BACKOFF_MIN
            if not first:
                self.reconnects += 1
                log.warning(
                    "loaders: LISTEN connection back; dropping entries of %s",
                    ", ".join(self.channels),
                )
            first = False
            mine = [L for ch in self.channels for L in self.loaders.by_channel.get(ch, [])]
            await self.loaders.drop_all(mine)
            while not self.closed:
                try:
                    await asyncio.wait_for(self.wake.wait(), spec.health_check_interval)
                except TimeoutError:
                    pass
                if self.closed or self.moved or conn.is_closed():
                    break
                self.wake.clear()
                try:
                    await conn.fetchval("SELECT 1", timeout=spec.query_timeout)
                except Exception as e:
                    self.last_error = reason(e)
                    break
            if not self.closed:
                log.warning(
                    "loaders: LISTEN connection lost (%s); reconnecting",
                    self.last_error or "closed",
                )
            await self._drop()
