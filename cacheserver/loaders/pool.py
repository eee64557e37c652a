"""The database side: one bounded pool of asyncpg connections for every loader.

- At most ``max_connections`` connections exist at once (open or opening).
- Borrowers wait in one FIFO queue; a borrow that waits ``borrow_timeout``
  fails with ``BorrowTimeout``.  When no connection can be opened at all (the
  database is down) the waiting borrowers fail at once with the reason.
- Connections run with ``statement_timeout`` = ``query_timeout``; callers also
  pass ``timeout=`` to asyncpg, so a dead host cannot hold a borrower.
- A health cycle every ``health_check_interval`` closes connections idle longer
  than ``idle_timeout`` (down to ``min_connections``) or older than
  ``max_lifetime``, pings the others (``SHOW transaction_read_only`` when the
  DSN asks for ``target_session_attrs=read-write``), and opens connections up
  to ``min_connections``.
- Failover: hosts are tried in the DSN's order, starting at the current one.
  A host that refuses, times out or (with read-write/primary) is read-only is
  skipped; the first good one becomes current, and connections to any other
  host are closed as they come back.  There is no fail-back: the pool stays on
  the new host until it fails in turn.
- Secrets: the password comes from ``password_file`` or ``password_env``, is
  read again when authentication fails (rotation), and is never logged or shown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg

from cacheserver.loaders.encode import Json
from cacheserver.loaders.spec import DatabaseSpec

log = logging.getLogger("cacheserver")

__all__ = [
    "BorrowTimeout",
    "ConnectFailed",
    "Pool",
    "PooledConn",
    "Secret",
    "is_connection_error",
    "reason",
]


class ConnectFailed(Exception):
    """No connection could be opened; ``reason`` says why (no secrets in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BorrowTimeout(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Errors after which a connection cannot be trusted again.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
)


def is_connection_error(e: BaseException) -> bool:
    return isinstance(e, _CONNECTION_ERRORS)


def reason(e: BaseException) -> str:
    """One line saying what went wrong (never a password: asyncpg's messages hold none)."""
    if isinstance(e, (ConnectFailed, BorrowTimeout)):
        text = e.reason
    elif isinstance(e, asyncio.TimeoutError):
        text = "timed out"
    elif isinstance(e, OSError) and e.strerror:
        text = e.strerror
    else:
        text = str(e) or type(e).__name__
    return " ".join(text.split())


class Secret:
    """The database password, from a file or an environment variable."""

    __slots__ = ("env", "file", "value")

    def __init__(self, file: str | None, env: str | None) -> None:
        self.file = file
        self.env = env
        self.value: str | None = None

    def __repr__(self) -> str:
        return "<Secret>"

    def get(self) -> str | None:
        if self.value is None and (self.file or self.env):
            self.value = self._read()
        return self.value

    def reread(self) -> bool:
        """Read again (after an authentication failure); True when it changed."""
        if not (self.file or self.env):
            return False
        old = self.value
        self.value = self._read()
        return self.value != old

    def _read(self) -> str:
        if self.file:
            try:
                with open(self.file, encoding="utf-8") as f:
                    return f.read().rstrip("\r\n")
            except OSError as e:
                raise ConnectFailed(
                    f"cannot read password_file {self.file}: {e.strerror}"
                ) from None
        assert self.env
        value = os.environ.get(self.env)
        if value is None:
            raise ConnectFailed(f"password_env {self.env} is not set")
        return value


def ssl_argument(spec: DatabaseSpec) -> ssl.SSLContext | str | bool:
    """asyncpg's ``ssl=`` for an sslmode, as libpq reads it.  Loads the
    certificate files now: OSError or ssl.SSLError when they are bad."""
    mode = spec.sslmode
    if mode == "disable":
        return False
    if mode in ("allow", "prefer") and not spec.sslrootcert:
        return mode
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if spec.sslrootcert:
        ctx.load_verify_locations(cafile=spec.sslrootcert)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = mode == "verify-full"
    elif mode in ("verify-ca", "verify-full"):  # no sslrootcert: the system's trusted CAs
        ctx.load_default_certs()
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = mode == "verify-full"
    else:  # require without a root certificate: encrypted, not verified (libpq)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if spec.sslcert:
        ctx.load_cert_chain(spec.sslcert, spec.sslkey)
    return ctx


class PooledConn:
    __slots__ = ("checked", "conn", "created", "host", "last_used")

    def __init__(self, conn: asyncpg.Connection, host: int) -> None:
        self.conn = conn
        self.host = host
        self.created = self.last_used = self.checked = time.monotonic()


class TaskOwner:
    """Background tasks kept (``tasks``) until they end, cancelled together at close."""

    tasks: set[asyncio.Task[Any]]

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def cancel_tasks(self) -> None:
        """Cancel every task but the caller's own and wait for them to end."""
        tasks = [t for t in self.tasks if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class Pool(TaskOwner):
    """A FIFO, bounded, failover-aware pool of asyncpg connections."""

    def __init__(self, spec: DatabaseSpec) -> None:
        self.spec = spec
        self.hosts = list(spec.hosts)
        self.current = 0
        self.secret = Secret(spec.password_file, spec.password_env)
        self.ssl = ssl_argument(spec)
        self.idle: deque[PooledConn] = deque()
        self.waiters: deque[asyncio.Future[PooledConn]] = deque()
        self.size = 0  # connections open or opening: never above max_connections
        self.opening = 0
        self.in_use = 0
        self.closed = False
        self.available = True  # the last connect attempt succeeded (for logging changes)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.conns: set[asyncpg.Connection] = set()  # every open connection of the pool
        self.health_task: asyncio.Task[None] | None = None
        self.on_failover: list[Callable[[], None]] = []
        # counters for INFO
        self.peak = 0
        self.borrows = 0
        self.borrow_timeouts = 0
        self.failovers = 0
        self.connects = 0
        self.connect_errors = 0
        self.health_checks = 0
        self.health_failures = 0
        self.recycled = 0
        self.last_error = ""
        # time.monotonic() of the last sign the database works (a connect, a
        # health check passed, a connection returned unbroken): /readyz
        # trusts it instead of querying on every probe
        self.last_ok = float("-inf")

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        self.health_task = asyncio.get_running_loop().create_task(self._health())
        self._fill()

    def _stop_lending(self) -> None:
        """Closed to borrowers: the health checks stop, waiting borrowers fail."""
        self.closed = True
        if self.health_task is not None:
            self.health_task.cancel()
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_exception(ConnectFailed("the pool is closed"))

    def retire(self) -> None:
        """Stop lending (a reload replaced this pool): waiting borrowers fail
        and move on, idle connections close now, lent ones when returned."""
        self._stop_lending()
        while self.idle:
            self._discard(self.idle.pop())

    async def close(self) -> None:
        self._stop_lending()
        idle, self.idle = list(self.idle), deque()
        for pc in idle:
            self.size -= 1
            await _close(pc.conn)
        for conn in list(self.conns):  # lent out: their borrowers are being cancelled
            conn.terminate()
        await self.cancel_tasks()

    # -- borrowing -------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        return sum(1 for f in self.waiters if not f.done())

    def host_text(self, index: int | None = None) -> str:
        host, port = self.hosts[self.current if index is None else index]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    async def acquire(self, timeout: float) -> PooledConn:
        """A connection within ``timeout`` seconds, first come first served;
        BorrowTimeout or ConnectFailed otherwise."""
        if self.closed:
            raise ConnectFailed("the pool is closed")
        now = time.monotonic()
        spec = self.spec
        while self.waiters and self.waiters[0].done():
            self.waiters.popleft()  # borrowers that gave up
        while self.idle and not self.waiters:
            pc = self.idle.pop()  # the most recent: the others may age out
            if (
                pc.host != self.current
                or now - pc.created > spec.max_lifetime
                or pc.conn.is_closed()
            ):
                self._discard(pc)
                continue
            return self._lend(pc)
        fut: asyncio.Future[PooledConn] = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        self._grow()
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            self.borrow_timeouts += 1
            raise BorrowTimeout(
                f"no database connection free within {timeout:g}s "
                f"({self.in_use} of {spec.max_connections} busy)"
            ) from None
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.release(fut.result())
            raise
        finally:
            if not fut.done():
                fut.cancel()

    def _lend(self, pc: PooledConn) -> PooledConn:
        self.in_use += 1
        self.borrows += 1
        return pc

    def release(self, pc: PooledConn, discard: bool = False) -> None:
        """Return a borrowed connection; ``discard`` when it saw a connection error."""
        self.in_use -= 1
        now = time.monotonic()
        if (
            discard
            or self.closed
            or pc.host != self.current
            or pc.conn.is_closed()
            or now - pc.created > self.spec.max_lifetime
        ):
            self._discard(pc)
            self._grow()
            return
        pc.last_used = self.last_ok = now
        self._handoff(pc)

    def _handoff(self, pc: PooledConn) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(self._lend(pc))
                return
        self.idle.append(pc)

    def drop_idle(self) -> None:
        """A connection just broke: the idle ones may have broken with it (a
        server restart ends them all, and they only notice when used), so
        close them rather than lend one to the retry."""
        while self.idle:
            self._discard(self.idle.pop())
        self._fill()

    def _discard(self, pc: PooledConn) -> None:
        self.size -= 1
        self.conns.discard(pc.conn)
        self.spawn(_close(pc.conn))

    def _grow(self) -> None:
        """Open connections for waiters no opening connection will serve."""
        spec = self.spec
        while self.opening < self.waiting and self.size < spec.max_connections and not self.closed:
            self._open_one()

    def _fill(self) -> None:
        while self.size < self.spec.min_connections and not self.closed:
            self._open_one()

    def _open_one(self) -> None:
        self.size += 1
        self.opening += 1
        self.peak = max(self.peak, self.size)
        self.spawn(self._open())

    async def _open(self) -> None:
        try:
            conn, host = await self.connect()
        except ConnectFailed as e:
            self.size -= 1
            self.opening -= 1
            if self.size == 0:
                # nothing open that could come back: the waiters fail now, not at their timeout
                while self.waiters:
                    fut = self.waiters.popleft()
                    if not fut.done():
                        fut.set_exception(ConnectFailed(e.reason))
            return
        except BaseException:
            self.size -= 1
            self.opening -= 1
            raise
        self.opening -= 1
        if self.closed:
            self.size -= 1
            await _close(conn)
            return
        self.conns.add(conn)
        self._handoff(PooledConn(conn, host))

    # -- connecting and failover -------------------------------------------------------

    async def connect(
        self, application_name: str | None = None, timeouts: bool = True
    ) -> tuple[asyncpg.Connection, int]:
        """A connection to the first usable host, starting at the current one."""
        errors: list[str] = []
        n = len(self.hosts)
        start = self.current
        for step in range(n):
            index = (start + step) % n
            try:
                conn = await self._connect_host(index, application_name, timeouts)
            except ConnectFailed as e:
                errors.append(f"{self.host_text(index)}: {e.reason}" if n > 1 else e.reason)
                continue
            if index != self.current:
                self._failover(index)
            if not self.available:
                self.available = True
                log.warning("loaders: database %s is reachable again", self.host_text(index))
            self.last_ok = time.monotonic()
            return conn, index
        self.connect_errors += 1
        text = "; ".join(errors)
        self.last_error = text
        if self.available:
            self.available = False
            log.warning("loaders: cannot connect to the database: %s", text)
        raise ConnectFailed(text if n == 1 else f"no usable database host ({text})")

    async def _connect_host(
        self, index: int, application_name: str | None, timeouts: bool
    ) -> asyncpg.Connection:
        spec = self.spec
        host, port = self.hosts[index]
        settings = {"application_name": application_name or spec.application_name}
        if timeouts:
            settings["statement_timeout"] = str(max(1, int(spec.query_timeout * 1000)))
        password = self.secret.get()
        for attempt in (0, 1):
            try:
                conn = await asyncpg.connect(
                    host=host,
                    port=port,
                    user=spec.user,
                    database=spec.dbname,
                    password=password,
                    ssl=self.ssl,
                    timeout=spec.connect_timeout,
                    server_settings=settings,
                )
            except (
                asyncpg.exceptions.InvalidPasswordError,
                asyncpg.exceptions.InvalidAuthorizationSpecificationError,
            ) as e:
                # the secret may have been rotated: read it again, try once more
                if attempt == 0 and self.secret.reread():
                    password = self.secret.get()
                    log.warning("loaders: authentication failed; trying the password read again")
                    continue
                raise ConnectFailed(f"authentication failed: {reason(e)}") from None
            except TimeoutError:
                raise ConnectFailed(f"connect timed out after {spec.connect_timeout:g}s") from None
            except (OSError, ssl.SSLError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                raise ConnectFailed(reason(e)) from None
            break
        self.connects += 1
        try:
            if spec.target_session_attrs != "any" and not await self._writable(conn):
                await _close(conn)
                raise ConnectFailed("read-only")
            for name in ("json", "jsonb"):
                await conn.set_type_codec(name, schema="pg_catalog", encoder=str, decoder=Json)
        except ConnectFailed:
            raise
        except Exception as e:
            await _close(conn)
            raise ConnectFailed(reason(e)) from None
        return conn

    async def _writable(self, conn: asyncpg.Connection) -> bool:
        """target_session_attrs: read-write checks transaction_read_only (libpq's
        test), primary checks that the server is not a standby."""
        if self.spec.target_session_attrs == "primary":
            return not await conn.fetchval(
                "SELECT pg_is_in_recovery()", timeout=self.spec.query_timeout
            )
        value = await conn.fetchval("SHOW transaction_read_only", timeout=self.spec.query_timeout)
        return bool(value == "off")

    def _failover(self, index: int) -> None:
        old = self.host_text()
        self.current = index
        self.failovers += 1
        log.warning("loaders: database failover from %s to %s", old, self.host_text())
        for pc in list(self.idle):
            if pc.host != index:
                self.idle.remove(pc)
                self._discard(pc)
        for fn in self.on_failover:
            fn()

    def host_unusable(self, index: int, why: str) -> None:
        """The host's connections failed a health check (down, or read-only):
        close the idle ones; the next connect moves on to the next host."""
        log.warning("loaders: database %s is not usable: %s", self.host_text(index), why)
        for pc in list(self.idle):
            if pc.host == index:
                self.idle.remove(pc)
                self._discard(pc)
        if index == self.current and len(self.hosts) > 1:
            self.current = (index + 1) % len(self.hosts)
            # connections to the old host now retire; the next open counts the failover
            self.failovers += 1
            log.warning("loaders: database failover to %s", self.host_text())
            for fn in self.on_failover:
                fn()

    async def probe(self, timeout: float) -> None:
        """Borrow a connection and run ``SELECT 1`` (/readyz, when nothing
        has shown the database working lately); raises on failure."""
        pc = await self.acquire(timeout)
        try:
            await pc.conn.fetchval("SELECT 1", timeout=self.spec.query_timeout)
        except BaseException:
            self.release(pc, discard=True)  # a timed-out or cancelled query may leave it unusable
            raise
        self.release(pc)

    # -- the health cycle ------------------------------------------------------------------

    async def _health(self) -> None:
        spec = self.spec
        while not self.closed:
            await asyncio.sleep(spec.health_check_interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("loaders: error in the pool's health check")

    async def check(self) -> None:
        """One health cycle: recycle, ping, refill."""
        spec = self.spec
        now = time.monotonic()
        for pc in list(self.idle):
            too_old = now - pc.created > spec.max_lifetime
            idle_long = now - pc.last_used > spec.idle_timeout and self.size > spec.min_connections
            if too_old or idle_long or pc.host != self.current:
                self.idle.remove(pc)
                self._discard(pc)
                self.recycled += 1
        for pc in [pc for pc in self.idle if now - pc.checked >= spec.health_check_interval]:
            if pc not in self.idle:
                continue  # lent out meanwhile: in use, so alive
            self.idle.remove(pc)
            self.health_checks += 1
            pc.checked = time.monotonic()
            try:
                ok = await self._ping(pc.conn)
                why = "read-only"
            except Exception as e:
                ok, why = False, reason(e)
            if ok:
                self.last_ok = time.monotonic()
                self._handoff(pc)
                continue
            self.health_failures += 1
            self._discard(pc)
            self.host_unusable(pc.host, why)
        self._fill()
        self._grow()

    async def _ping(self, conn: asyncpg.Connection) -> bool:
        if self.spec.target_session_attrs != "any":
            return await self._writable(conn)
        await conn.fetchval("SELECT 1", timeout=self.spec.query_timeout)
        return True


async def _close(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 1.0)
    except Exception:
        conn.terminate()
