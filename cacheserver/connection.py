"""A Redis-protocol client connection: the hot path.

``data_received`` feeds the reader and runs every complete request
synchronously (redis ``processInputBuffer``); the replies are queued and every
client with replies gets one write after all the reads of that loop iteration
(redis ``beforeSleep`` / ``handleClientsWithPendingWrites``), so the clients'
wakeups do not interleave with the server's reads.  Only a handler that must wait (a
read-through load, a blocking pop) returns ``Pending``: the connection flushes
what it has, stops reading, awaits, sends that reply, then goes on with the
requests already buffered, so replies stay in request order.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from cacheserver.commands.table import Command
from cacheserver.errors import CommandError, unknown_command, unknown_subcommand, wrong_arity
from protocol.resp import NIL2, NIL3, ProtocolError, RespReader

if TYPE_CHECKING:
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database
    from cacheserver.tracking import TrackState

log = logging.getLogger("cacheserver")

INTERNAL_ERROR = b"-ERR internal error\r\n"

Intercept = Callable[["Client", Command, list[bytes]], "bytes | None"]
# Modes with a command intercept, first wins (Client.set_mode).
MODE_ORDER = ("multi", "pubsub", "tracking")


class Pending:
    """Returned by a handler whose reply comes later: a future (or awaitable)
    that yields the reply bytes."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: asyncio.Future[bytes] | Awaitable[bytes]) -> None:
        self.awaitable = awaitable


class Client(asyncio.Protocol):
    """One connection speaking RESP2 or RESP3 (switched by HELLO)."""

    __slots__ = (
        "addr",
        "close_after_reply",
        "closed",
        "created",
        "db",
        "deferred",
        "fd",
        "id",
        "intercept",
        "kind",
        "laddr",
        "last_cmd",
        "last_interaction",
        "lib_name",
        "lib_ver",
        "local",
        "modes",
        "name",
        "nil",
        "now",
        "reader",
        "resp3",
        "server",
        "stats",
        "track",
        "transport",
        "waiting",
        "write_paused",
    )

    def __init__(self, server: Server, kind: str = "tcp") -> None:
        self.server = server
        self.stats = server.stats
        self.deferred: list[bytes] | None = None  # replies waiting for Server.flush_writes
        self.transport: asyncio.Transport | None = None
        self.reader = RespReader(
            max_bulk_len=server.config["proto-max-bulk-len"],
        )
        self.id = 0
        self.db: Database = server.keyspace.dbs[0]
        self.resp3 = False
        self.nil = NIL2
        self.now = 0
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.addr = "?:0"
        self.laddr = "?:0"
        self.fd = -1
        self.created = time.time()
        self.last_interaction = server.clock()  # unix ms of the last request
        self.last_cmd = b"NULL"
        self.close_after_reply = False
        self.closed = False
        self.waiting = False  # a Pending reply is outstanding
        self.write_paused = False
        self.local = True
        self.kind = kind
        # Set while the connection is in a mode that changes how commands run
        # (MULTI queueing, RESP2 subscriber mode, tracking): called with each
        # command that passed the arity check, it returns the reply to send
        # instead of running the handler, or None to run it as usual.
        self.intercept: Intercept | None = None
        self.modes: dict[str, Intercept] = {}  # see set_mode
        self.track: TrackState | None = None  # CLIENT TRACKING options when on

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        srv = self.server
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                peer = transport.get_extra_info("peername")
                here = transport.get_extra_info("sockname")
                self.addr = _fmt_addr(peer)
                self.laddr = _fmt_addr(here)
                # peername is None when the peer reset before the accept completed
                self.local = bool(peer) and (
                    peer[0] in ("127.0.0.1", "::1") or peer[0].startswith("127.")
                )
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    _set_keepalive(sock, srv.config["tcp-keepalive"])
                except OSError:
                    pass
            else:
                path = transport.get_extra_info("sockname") or ""
                self.addr = f"{path}:0"
                self.laddr = self.addr
        srv.stats.total_connections_received += 1
        if len(srv.clients) >= srv.config["maxclients"]:
            srv.stats.rejected_connections += 1
            self.transport.write(b"-ERR max number of clients reached\r\n")  # type: ignore[union-attr]
            transport.close()
            self.closed = True
            return
        self.id = srv.new_client_id()
        srv.clients[self.id] = self

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        srv = self.server
        srv.clients.pop(self.id, None)
        if self.waiting:
            srv.blocking.cancel(self)
        if self.track is not None:
            srv.tracking.disable(self)

    def pause_writing(self) -> None:
        # The peer is not reading: stop reading its requests until it drains.
        self.write_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.transport is not None and not self.waiting and not self.closed:
            self.transport.resume_reading()
            self.process()

    def data_received(self, data: bytes) -> None:
        self.stats.total_net_input_bytes += len(data)
        self.reader.feed(data)
        if self.waiting or self.write_paused:
            if self.reader.buffered() > self.server.query_buffer_limit:
                log.warning("closing client %s that reached max query buffer length", self.addr)
                self.close()
            return
        self.process()

    # -- the walk --------------------------------------------------------------

    def process(self) -> None:
        """Run every complete buffered request; their replies go out in one write."""
        srv = self.server
        gets = self.reader.gets
        rows = srv.table.by_name
        out: list[bytes] = []
        append = out.append
        perf = time.perf_counter
        self.now = self.last_interaction = srv.clock()
        srv.current_client = self
        ks = srv.keyspace
        ready = ks.ready
        t0 = perf()
        try:
            while True:
                argv = gets()
                if argv is False:
                    break
                row = rows.get(argv[0])
                if row is None:
                    row = rows.get(argv[0].lower())
                n = len(argv)
                if row is None or (row.arity != n and not 0 > row.arity >= -n):
                    append(self.reject(row, argv))
                    continue
                if row.subcommands and n > 1:
                    sub = row.subcommands.get(argv[1].lower())
                    if sub is None or (sub.arity != n and not 0 > sub.arity >= -n):
                        append(self.reject_sub(row, sub, argv))
                        continue
                    row = sub
                self.last_cmd = row.fullname
                if self.intercept is not None:
                    early = self.intercept(self, row, argv)
                    if early is not None:
                        append(early)
                        continue
                # over maxmemory: evict first, refuse a DENYOOM command if still over
                if ks.limited and ks.used > ks.budget:
                    early = srv.memory.over_limit(self, row)
                    if early is not None:
                        append(early)
                        continue
                try:
                    reply = row.handler(self, argv)  # type: ignore[misc]
                except CommandError as e:
                    row.failed_calls += 1
                    reply = srv.error_reply(e.msg)
                except Exception:
                    log.exception("internal error running %r", row.fullname)
                    row.failed_calls += 1
                    srv.stats.count_error(b"ERR")
                    reply = INTERNAL_ERROR
                # one clock reading per command: its time includes its parse
                t1 = perf()
                row.usec += (t1 - t0) * 1e6
                t0 = t1
                row.calls += 1
                if reply.__class__ is bytes:
                    append(reply)
                elif reply.__class__ is Pending:
                    if out:
                        self.write(out)
                        out = []
                    self.wait_for(reply)
                    if ready:
                        srv.after_command(out)
                    break
                else:  # a list of chunks (a large reply kept unjoined)
                    out.extend(reply)
                if ready:  # keys that blocked clients wait on became ready, or
                    # tracking messages for this client wait for the reply
                    srv.after_command(out)
                if self.close_after_reply:
                    break
        except ProtocolError as e:
            log.debug("protocol error from client %s: %s", self.addr, e.msg)
            srv.stats.count_error(b"ERR")
            out.append(e.reply)
            self.close_after_reply = True
        if ready:  # left by a command that answered through the intercept
            srv.after_command(out)
        srv.current_client = None
        if out and not self.closed:
            if srv.defer_writes and not self.close_after_reply:
                srv.defer_write(self, out)
            else:
                self.write(out)
        if self.close_after_reply:
            self.close()
        elif not self.reader.fast and self.reader.buffered() > srv.query_buffer_limit:
            # (in fast mode hiredis holds at most part of one request)
            log.warning("closing client %s that reached max query buffer length", self.addr)
            self.close()

    def reject(self, row: Command | None, argv: list[bytes]) -> bytes:
        if row is None:
            return self.server.error_reply(unknown_command(argv).msg)
        row.rejected_calls += 1
        return self.server.error_reply(wrong_arity(row.fullname).msg)

    def reject_sub(self, row: Command, sub: Command | None, argv: list[bytes]) -> bytes:
        if sub is None:
            row.rejected_calls += 1
            return self.server.error_reply(unknown_subcommand(argv).msg)
        sub.rejected_calls += 1
        return self.server.error_reply(wrong_arity(sub.fullname).msg)

    def write(self, chunks: list[bytes]) -> None:
        t = self.transport
        if t is None or self.closed:
            return
        if self.deferred is not None:  # keep order behind replies not yet sent
            chunks = self.deferred + chunks
            self.deferred = None
        self.stats.total_net_output_bytes += sum(map(len, chunks))
        if len(chunks) == 1:
            t.write(chunks[0])
        else:
            t.writelines(chunks)

    def flush(self) -> None:
        """Send the replies deferred to the end of this loop iteration."""
        chunks = self.deferred
        if chunks is not None:
            self.deferred = None
            self.write(chunks)

    def wait_for(self, pending: Pending) -> None:
        """Hold the requests after this one until ``pending`` yields its reply.

        Reading goes on (requests are buffered, a disconnect is seen at once);
        a future is awaited through a callback, not a task."""
        self.waiting = True
        fut = pending.awaitable
        if not isinstance(fut, asyncio.Future):
            fut = asyncio.ensure_future(fut)
            self.server.tasks.add(fut)
            fut.add_done_callback(self.server.tasks.discard)
        fut.add_done_callback(self._finish)

    def _finish(self, fut: asyncio.Future[bytes]) -> None:
        if fut.cancelled():
            reply = None
        else:
            exc = fut.exception()
            if exc is None:
                reply = fut.result()
            elif isinstance(exc, CommandError):
                reply = self.server.error_reply(exc.msg)
            else:
                log.error("internal error in a pending reply", exc_info=exc)
                reply = INTERNAL_ERROR
        self.waiting = False
        if self.closed or reply is None:
            return
        self.write([reply])
        if not self.write_paused:
            self.process()

    def close(self) -> None:
        """Close after the replies already written are sent."""
        if self.transport is not None and not self.closed:
            self.closed = True
            self.server.clients.pop(self.id, None)
            if self.waiting:
                self.server.blocking.cancel(self)
            if self.track is not None:
                self.server.tracking.disable(self)
            self.transport.close()

    # -- helpers for handlers -------------------------------------------------

    def set_mode(self, name: str, hook: Intercept | None) -> None:
        """Enter (``hook``) or leave (None) a mode that intercepts commands.

        One intercept runs per command, the first of ``MODE_ORDER`` that is
        on: MULTI queues before subscriber mode restricts, and so on."""
        if hook is None:
            self.modes.pop(name, None)
        else:
            self.modes[name] = hook
        self.intercept = None
        for mode in MODE_ORDER:
            found = self.modes.get(mode)
            if found is not None:
                self.intercept = found
                break

    def flag_letters(self) -> str:
        """CLIENT LIST ``flags=``, in redis ``getClientInfoString`` order."""
        flags = ""
        if self.id in self.server.blocking.by_client:
            flags += "b"
        st = self.track
        if st is not None:
            flags += "t"
            if st.broken:
                flags += "R"
            if st.bcast:
                flags += "B"
        return flags or "N"

    def in_pubsub(self) -> bool:
        """In subscriber mode (subscribed to a channel or pattern)."""
        return False

    def set_protocol(self, resp3: bool) -> None:
        self.resp3 = resp3
        self.nil = NIL3 if resp3 else NIL2

    def info_line(self) -> str:
        """One CLIENT LIST line (fields as Redis 7)."""
        now = time.time()
        idle = (self.server.clock() - self.last_interaction) // 1000
        qbuf = self.reader.buffered()
        return (
            f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
            f"name={self.name.decode(errors='replace')} age={int(now - self.created)} idle={idle} "
            f"flags={self.flag_letters()} db={self.db.id} sub=0 psub=0 ssub=0 multi=-1 qbuf={qbuf} qbuf-free=0 "
            f"argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 "
            f"events=r cmd={self.last_cmd.decode(errors='replace')} user=default "
            f"redir={-1 if self.track is None else self.track.redirect} "
            f"resp={3 if self.resp3 else 2} lib-name={self.lib_name.decode(errors='replace')} "
            f"lib-ver={self.lib_ver.decode(errors='replace')}"
        )


def _fmt_addr(addr: Any) -> str:
    if not addr:
        return "?:0"
    host, port = addr[0], addr[1]
    return f"{host}:{port}"


def _set_keepalive(sock: socket.socket, interval: int) -> None:
    if interval <= 0:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    # as redis anetKeepAlive: probes start after `interval`, then every interval/3
    if hasattr(socket, "TCP_KEEPIDLE"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, interval // 3))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
