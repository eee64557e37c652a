"""The memcached side of a Server: its listeners, connections, counters, the
item side state and the delayed ``flush_all``."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from typing import TYPE_CHECKING

from cacheserver.config import ConfigError
from cacheserver.memcached.connection import McConnection
from cacheserver.memcached.items import REALTIME_MAXDELTA, Items, SizeClasses
from cacheserver.memcached.stats import McStats
from cacheserver.net import listen_tcp

if TYPE_CHECKING:
    from cacheserver.server import Server

log = logging.getLogger("cacheserver")

# memcached dates its clock 62 seconds before its start (process_started =
# time(0) - ITEM_UPDATE_INTERVAL - 2); "already expired" exptimes land there
CLOCK_OFFSET_MS = 62_000


class Memcached:
    """Listeners and state of the memcached protocol for one Server."""

    def __init__(self, server: Server) -> None:
        self.server = server
        cfg = server.config
        index = cfg["memcached-db"]
        dbs = server.keyspace.dbs
        # a bad index is reported by start(); until then database 0 stands in
        self.db = dbs[index] if index < len(dbs) else dbs[0]
        self.items = Items(self.db)
        self.stats = McStats()
        self.conns: dict[int, McConnection] = {}
        self.listeners: list[asyncio.AbstractServer] = []
        self.port = 0
        self.started_ms = int(time.time() * 1000) - CLOCK_OFFSET_MS
        self.flush_at = 0  # unix ms of a delayed flush_all, 0 if none
        self.cluster_hostname = ""  # config get cluster: gethostname() when empty
        self._next_id = 0
        self.item_size_max: int = cfg["memcached-max-item-size"]
        self.sizes = SizeClasses(self.item_size_max)
        self.maxconns: int = cfg["memcached-maxconns"]
        self.idle_timeout: int = cfg["memcached-idle-timeout"]
        # memcached-auth-file: user -> password, None when auth is off (start() loads it)
        self.auth: dict[bytes, bytes] | None = None
        cfg.on("memcached-max-item-size", self._set_item_size)
        cfg.on("memcached-maxconns", self._set_maxconns)
        cfg.on("memcached-idle-timeout", self._set_idle_timeout)

    def _set_item_size(self, value: int) -> None:
        self.item_size_max = value
        self.sizes = SizeClasses(value)

    def _set_maxconns(self, value: int) -> None:
        self.maxconns = value

    def _set_idle_timeout(self, value: int) -> None:
        self.idle_timeout = value

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Open the TCP listeners (``memcached-port``, 0 = off) and the Unix socket."""
        srv = self.server
        cfg = srv.config
        if cfg["memcached-db"] >= len(srv.keyspace.dbs):
            raise ConfigError(
                f"memcached-db {cfg['memcached-db']} is not below databases "
                f"{len(srv.keyspace.dbs)}",
                "memcached-db",
            )
        if cfg["memcached-auth-file"]:
            self.auth = load_auth_file(cfg["memcached-auth-file"])
        loop = asyncio.get_running_loop()
        port = cfg["memcached-port"]
        if port or srv.ephemeral:
            listeners, port = await listen_tcp(
                cfg["memcached-bind"], port, lambda: McConnection(self), cfg["tcp-backlog"]
            )
            self.listeners += listeners
            self.port = port
            srv.ports["memcached"] = port
        tls_port = cfg["tls-memcached-port"]
        if tls_port:  # (Server.start loaded the context)
            from cacheserver.tls import TlsMcConnection  # (it imports this package)

            await srv.tls.listen(cfg["memcached-bind"], tls_port, lambda: TlsMcConnection(self))
            srv.ports["tls-memcached"] = tls_port
        path = cfg["memcached-unixsocket"]
        if path:
            if os.path.exists(path):
                os.unlink(path)
            listener = await loop.create_unix_server(lambda: McConnection(self, "unix"), path)
            if cfg["memcached-unixsocketperm"]:
                os.chmod(path, cfg["memcached-unixsocketperm"])
            self.listeners.append(listener)

    def check_auth(self, user: bytes, password: bytes) -> bool:
        """memcached ``authfile_check``: the pair is one of the file's."""
        auth = self.auth
        if auth is None:
            return False
        expected = auth.get(user)
        # compare in constant time, as memcached's safe_memcmp
        return expected is not None and hmac.compare_digest(expected, password)

    def close_listeners(self) -> None:
        for listener in self.listeners:
            listener.close()

    async def stop(self) -> None:
        """Close every connection and listener (after close_listeners)."""
        for c in list(self.conns.values()):
            c.close()
        for listener in self.listeners:
            await listener.wait_closed()
        self.listeners.clear()
        path = self.server.config["memcached-unixsocket"]
        if path and os.path.exists(path):
            os.unlink(path)
        self.items.close()

    def cron(self, now: int) -> None:
        """Once a second: idle connections, a due delayed flush."""
        if self.flush_at and now >= self.flush_at:
            self.run_flush()
        timeout = self.idle_timeout
        if timeout:
            for c in list(self.conns.values()):
                # (not one waiting for a read-through load)
                if not c.waiting and now - c.last_interaction > timeout * 1000:
                    log.debug("closing idle memcached client %s", c.addr)
                    c.close()

    # -- flush_all -------------------------------------------------------------

    def flush_all(self, c: McConnection, exptime: int) -> None:
        """``flush_all [exptime]``: now, or when exptime comes (relative up to
        30 days, else a unix time); a later flush_all replaces a pending one.

        memcached invalidates the items last written up to one second before
        that time (its fence is ``realtime(exptime) - 1``, and it counts whole
        seconds), so ``flush_all 1`` is immediate and ``flush_all 5`` takes
        effect 4 seconds later; cacheserver empties the database then."""
        self.flush_at = 0
        if exptime <= 0:
            self.run_flush()
            return
        if exptime > REALTIME_MAXDELTA and exptime * 1000 <= self.started_ms:
            return  # memcached: a time before its start disables the flush
        when = exptime * 1000 if exptime > REALTIME_MAXDELTA else c.now + exptime * 1000
        when -= 1000
        if when <= c.now:
            self.run_flush()
        else:
            self.flush_at = when

    def run_flush(self) -> None:
        """Empty the memcached database (as FLUSHDB: the flush signal first)."""
        self.flush_at = 0
        db = self.db
        db.flushed()
        db.flush()


def load_auth_file(path: str) -> dict[bytes, bytes]:
    """memcached -Y: ``user:password`` lines (the password ends at the line's
    end; a blank line is skipped).  ConfigError for an unreadable file or a
    line without ``:``, as memcached refuses to start on a malformed file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError(
            f"Could not load authfile {path}: {e.strerror}", "memcached-auth-file"
        ) from None
    users: dict[bytes, bytes] = {}
    for n, line in enumerate(data.split(b"\n"), 1):
        line = line.split(b"\0", 1)[0].rstrip(b"\r")
        if not line:
            continue
        user, sep, password = line.partition(b":")
        if not sep:
            raise ConfigError(
                f"authfile {path} line {n} is malformed: want user:password",
                "memcached-auth-file",
            )
        users.setdefault(user, password)
    return users
