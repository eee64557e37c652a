"""A Redis-protocol client connection: the hot path.

``data_received`` feeds the reader and runs every complete request
synchronously (redis ``processInputBuffer``); the replies are queued and every
client with replies gets one write after all the reads of that loop iteration
(redis ``beforeSleep`` / ``handleClientsWithPendingWrites``), so the clients'
wakeups do not interleave with the server's reads.  Only a handler that must wait (a
read-through load, a blocking pop) returns ``Pending``: the connection flushes
what it has, stops reading, awaits, sends that reply, then goes on with the
requests already buffered, so replies stay in request order.  A request
CLIENT PAUSE holds (``Held``) waits the same way, to run again when the pause
ends.  CLIENT REPLY OFF or SKIP changes where the walk appends replies, once
per batch and where it changes (``ReplySwitch``): pushes still go out.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from cacheserver import monitor
from cacheserver.commands.table import (
    FAST,
    QUIET_OFF,
    QUIET_SKIP,
    QUIET_SKIP_NEXT,
    Command,
    ReplySwitch,
)
from cacheserver.errors import CommandError, unknown_command, unknown_subcommand, wrong_arity
from cacheserver.latency import NEVER, record_slow
from cacheserver.net import send
from protocol.resp import NIL2, NIL3, ProtocolError, RespReader

_NO_ARGV: list[bytes] = []

if TYPE_CHECKING:
    from cacheserver.acl import User
    from cacheserver.commands.transactions import Transaction
    from cacheserver.pubsub import Subscriptions
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database
    from cacheserver.tracking import TrackState

log = logging.getLogger("cacheserver")

INTERNAL_ERROR = b"-ERR internal error\r\n"
# redis 7.0 networking.c, byte for byte (protected mode names redis's own remedies)
PROTECTED_MODE_DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and "
    b"no password is set for the default user. In this mode connections are only accepted "
    b"from the loopback interface. If you want to connect from external computers to Redis "
    b"you may adopt one of the following solutions: 1) Just disable protected mode sending "
    b"the command 'CONFIG SET protected-mode no' from the loopback interface by connecting "
    b"to Redis from the same host the server is running, however MAKE SURE Redis is not "
    b"publicly accessible from internet if you do so. Use CONFIG REWRITE to make this "
    b"change permanent. 2) Alternatively you can just disable the protected mode by editing "
    b"the Redis configuration file, and setting the protected mode option to 'no', and then "
    b"restarting the server. 3) If you started the server manually just for testing, "
    b"restart it with the '--protected-mode no' option. 4) Setup a an authentication "
    b"password for the default user. NOTE: You only need to do one of the above things in "
    b"order for the server to start accepting connections from the outside.\r\n"
)

Intercept = Callable[["Client", Command, list[bytes]], "bytes | None"]
# Modes with a command intercept, first wins (Client.set_mode).
MODE_ORDER = (monitor.MODE, "multi", "pubsub", "tracking")
# The mode that checks permissions (cacheserver.acl.gate): it runs before
# the first of the others, and hands on to it (Client.after_gate).
GATE = "acl"
# redis PROTO_REPLY_CHUNK_BYTES: a client's static reply buffer, whose bytes
# the output limits do not count
REPLY_BUFFER = 16 * 1024
# CLIENT PAUSE's mode (cacheserver.pause.gate): after the gate, before the
# others (Redis checks the pause after ACLs, before queueing in MULTI), and
# hands on to the first of them (Client.after_pause).
PAUSE = "pause"


# where a reply dropped goes: a C call that keeps nothing
_sink: Callable[[bytes], None] = deque[bytes](maxlen=0).append


class Held(Exception):
    """Raised by the pause intercept: the request waits in ``Client.held``
    and the walk ends its batch (cacheserver.pause)."""


class Pending:
    """Returned by a handler whose reply comes later: a future (or awaitable)
    that yields the reply bytes."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: asyncio.Future[bytes] | Awaitable[bytes]) -> None:
        self.awaitable = awaitable


class Client(asyncio.Protocol):
    """One connection speaking RESP2 or RESP3 (switched by HELLO)."""

    __slots__ = (
        "acl_user",
        "addr",
        "after_gate",
        "after_pause",
        "authenticated",
        "blocked_call",
        "close_after_reply",
        "closed",
        "created",
        "db",
        "deferred",
        "fd",
        "held",
        "id",
        "in_multi",
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
        "obuf_limit_at",
        "obuf_soft_since",
        "out",
        "quiet",
        "reader",
        "resp3",
        "server",
        "stats",
        "subs",
        "track",
        "transport",
        "tx",
        "unblock_ns",
        "unjoined",
        "user",
        "waiting",
        "write_paused",
    )

    def __init__(self, server: Server, kind: str = "tcp") -> None:
        self.server = server
        self.stats = server.stats
        self.deferred: list[bytes] | None = None  # replies waiting for Server.flush_writes
        self.unjoined = False  # a reply in parts is among the output: write it unjoined
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
        # the command whose reply is pending and its time so far, logged to
        # the slow log when answered; the time serving it took (blocking.py;
        # -1 when it timed out or was unblocked: not logged)
        self.blocked_call: tuple[Command, list[bytes], int] | None = None
        self.unblock_ns = 0
        self.write_paused = False
        self.local = True
        self.kind = kind
        # Set while the connection is in a mode that changes how commands run
        # (MULTI queueing, RESP2 subscriber mode, tracking): called with each
        # command that passed the arity check, it returns the reply to send
        # instead of running the handler, or None to run it as usual.
        self.intercept: Intercept | None = None
        self.modes: dict[str, Intercept] = {}  # see set_mode
        self.after_gate: Intercept | None = None  # the intercept the acl gate hands on to
        self.after_pause: Intercept | None = None  # the one the pause intercept hands on to
        # the request CLIENT PAUSE holds (it runs when the pause ends)
        self.held: list[bytes] | None = None
        self.quiet = 0  # CLIENT REPLY OFF / SKIP (QUIET_* bits); 0 = every reply sent
        # the restricted user whose gate is on, for the walk's inline test of
        # the commands and keys it may use (User.compiled); None otherwise
        self.acl_user: User | None = None
        self.track: TrackState | None = None  # CLIENT TRACKING options when on
        # MULTI: set from MULTI to the end of EXEC or DISCARD (redis
        # CLIENT_MULTI); blocking commands read it and do not wait
        self.in_multi = False
        self.tx: Transaction | None = None  # MULTI queue and WATCHed keys, from the first use
        # the reply list of the batch being run, while it runs: a push to
        # this client meanwhile (pubsub.deliver) goes there, in reply order
        self.out: list[bytes] | None = None
        self.subs: Subscriptions | None = None  # set while subscribed (CLIENT_PUBSUB)
        # client-output-buffer-limit: the smallest limit of the client's
        # class (0 = none), checked when output is written (write, flush);
        # when the soft limit was first exceeded (unix seconds, 0 = not over it)
        self.obuf_limit_at: int = server.obuf_limit_at[0]
        self.obuf_soft_since = 0
        # the ACL user and whether it authenticated (redis c->user,
        # c->authenticated); a client that must be checked gets the acl gate
        self.user: User = server.acl.default
        self.authenticated = True
        server.acl.new_client(self)

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
        if len(srv.clients) >= srv.config["maxclients"]:
            srv.stats.rejected_connections += 1
            self.transport.write(b"-ERR max number of clients reached\r\n")  # type: ignore[union-attr]
            transport.close()
            self.closed = True
            return
        if srv.protected_mode and not self.local and srv.default_user_nopass():
            # redis clientAcceptHandler: refused, with the explanation
            srv.stats.rejected_connections += 1
            self.transport.write(PROTECTED_MODE_DENIED)  # type: ignore[union-attr]
            transport.close()
            self.closed = True
            return
        # (a refused connection is counted in rejected_connections only, as redis)
        srv.stats.total_connections_received += 1
        self.id = srv.new_client_id()
        srv.clients[self.id] = self
        if srv.pause.kind:  # a client arriving during CLIENT PAUSE is paused too
            from cacheserver.pause import gate

            self.set_mode(PAUSE, gate)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.release()

    def release(self) -> None:
        """The client is gone: it leaves every list that holds it (clients,
        waiters, trackers, watchers, subscribers, monitors)."""
        srv = self.server
        srv.clients.pop(self.id, None)
        if self.waiting:
            srv.blocking.cancel(self)
            srv.pause.drop(self)
        if self.track is not None:
            srv.tracking.disable(self)
        if self.tx is not None:
            self.tx.discard()
        if self.subs is not None:
            srv.pubsub.drop(self)
        if monitor.MODE in self.modes:
            monitor.stop(self)

    def pause_writing(self) -> None:
        # The peer is not reading: stop reading its requests until it drains.
        self.write_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.transport is not None and not self.waiting and not self.closed:
            self.transport.resume_reading()
            if self.held is not None:  # a pause ended while the peer was not reading
                self.run_held()
            else:
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
        reader = self.reader
        take = reader.take
        rows = srv.table.by_name
        out: list[bytes] = []
        append = out.append
        if self.quiet:  # CLIENT REPLY OFF or SKIP
            append = self.reply_target(out)
        self.out = out
        perf = time.perf_counter_ns
        self.now = self.last_interaction = srv.clock()
        srv.current_client = self
        ks = srv.keyspace
        ready = ks.ready
        slow_ns = srv.slow_ns  # SLOWLOG / LATENCY threshold
        # A run of calls of one brief command (Command.brief: FAST, one Redis
        # says cannot take long, or SET) is timed as a whole, its time shared
        # by its calls: a clock reading per run, not per call (in a pipeline
        # of GETs, 11% of the work).  Any other command, or any command while
        # the slow log, the latency monitor or a MONITOR wants each call's own
        # time, is timed alone (Command.alone).  A request refused or answered
        # before it ran (queued in MULTI) has no time of its own; inside a
        # run, its little time goes to the run, whose clock it does not restart.
        run: Command = None  # type: ignore[assignment]  # the command of the run being timed
        run_n = 0  # its calls so far (0 while each call is timed alone)
        last = _NO_ARGV  # its last call
        t0 = perf()
        try:
            while True:
                # every complete request buffered, parsed in one call; those
                # left when the walk stops early are put back (below)
                reqs = take()
                if not reqs:
                    break
                single = len(reqs) == 1  # no run to share time with
                it = iter(reqs)
                for argv in it:
                    row = rows.get(argv[0])
                    if row is None:
                        row = rows.get(argv[0].lower())
                    n = len(argv)
                    if row is None or (row.arity != n and n < row.least):
                        append(self.reject(row, argv))
                        if not run_n:  # a refused command's time is nobody's
                            t0 = perf()
                        continue
                    if row.subcommands and n > 1:
                        sub = row.subcommands.get(argv[1].lower())
                        if sub is None or (sub.arity != n and n < sub.least):
                            append(self.reject_sub(row, sub, argv))
                            if not run_n:
                                t0 = perf()
                            continue
                        row = sub
                    if row is not run:
                        if run_n:
                            t0 = self.timed(run, run_n, t0, last, slow_ns)
                            run_n = 0
                        run = row
                        each = row.alone or single
                        self.last_cmd = row.fullname
                    if self.intercept is not None:  # (a restricted user's gate is one)
                        u = self.acl_user
                        if (
                            u is not None
                            and self.after_gate is None
                            and (
                                (v := u.compiled.get(row)) is True
                                or (v.__class__ is tuple and argv[1].startswith(v))
                            )
                        ):
                            pass  # allowed, as the gate would say (User.gate), without the call
                        else:
                            early = self.intercept(self, row, argv)
                            if early is not None:
                                append(early)
                                if not run_n:
                                    t0 = perf()
                                continue
                    # over maxmemory: evict first, refuse a DENYOOM command if still over
                    if ks.limited and ks.used > ks.budget:
                        early = srv.memory.over_limit(self, row)
                        if early is not None:
                            append(early)
                            if not run_n:
                                t0 = perf()
                            continue
                    try:
                        reply = row.handler(self, argv)  # type: ignore[misc]
                    except Exception as e:
                        reply = self.failed(row, e)
                    if each:  # (inline: most commands are timed alone)
                        t1 = perf()
                        ns = t1 - t0
                        t0 = t1
                        row.nsec += ns
                        row.hist[ns.bit_length()] += 1
                    else:
                        run_n += 1
                        last = argv
                    if reply.__class__ is bytes:
                        append(reply)
                    elif reply.__class__ is Pending:
                        if not each:  # the run ends with a call that waits: its time now
                            t1 = self.timed(row, run_n, t0, argv, NEVER)
                            ns = (t1 - t0) // run_n
                            run_n = 0
                        if ns > slow_ns:
                            self.slow(row, argv, ns, reply)
                        self.blocked_call = (row, argv, ns)
                        if out:
                            self.write(out)
                            out = self.out = []
                        self.wait_for(reply)
                        if ready:
                            srv.after_command(out)
                        break
                    elif reply.__class__ is ReplySwitch:
                        append = self.switched(out, reply)
                    elif self.quiet:  # a list of chunks, not sent: one (empty) reply
                        append(b"")
                    else:  # a list of chunks (a large reply kept unjoined)
                        out.extend(reply)
                        self.unjoined = True
                    # after the reply: a monitoring client sees its own command
                    # after the command's reply, as from Redis (monitor.py)
                    if each and ns > slow_ns:
                        self.slow(row, argv, ns, reply)
                    if ready:  # keys that blocked clients wait on became ready, or
                        # tracking messages for this client wait for the reply
                        srv.after_command(out)
                    if self.close_after_reply:
                        break
                else:  # the batch ran out: take the next, if there may be one
                    if reader.more:
                        continue
                    break
                # the walk stopped early (a blocked request, a close): the
                # requests after this one wait in the reader
                rest = list(it)
                if rest:
                    reader.unread(rest)
                break
        except ProtocolError as e:
            log.debug("protocol error from client %s: %s", self.addr, e.msg)
            srv.stats.count_error(b"ERR")
            append(e.reply)
            self.close_after_reply = True
        except Held:
            # CLIENT PAUSE holds the request (Pause.hold); the rest waits behind it
            rest = list(it)
            if rest:
                reader.unread(rest)
        if run_n:  # the last run
            self.timed(run, run_n, t0, last, slow_ns)
        if ready:  # left by a command that answered through the intercept
            srv.after_command(out)
        srv.current_client = None
        self.out = None
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

    def reply_target(self, out: list[bytes]) -> Callable[[bytes], None]:
        """Where the walk appends replies under CLIENT REPLY: ``out``, nowhere
        (OFF), or nowhere for the next reply and ``out`` after it (SKIP).
        Pushes go to ``out`` (``Client.out``) whatever this says."""
        quiet = self.quiet
        if not quiet:
            return out.append
        if quiet & QUIET_OFF:
            return _sink
        keep = out.append

        def skip_one(reply: bytes) -> None:
            if self.quiet & QUIET_SKIP:
                self.quiet &= ~QUIET_SKIP
                return
            keep(reply)

        return skip_one

    def switched(self, out: list[bytes], switch: ReplySwitch) -> Callable[[bytes], None]:
        """A command changed ``quiet``: its own reply under the new rule (ON's
        +OK is sent, RESET's too unless skipped), then a SKIP it asked for
        starts with the next command (redis ``resetClient``)."""
        append = self.reply_target(out)
        if switch.reply:
            append(switch.reply)
        if self.quiet & QUIET_SKIP_NEXT:
            self.quiet = (self.quiet & ~QUIET_SKIP_NEXT) | QUIET_SKIP
            append = self.reply_target(out)
        return append

    def run_held(self) -> None:
        """The pause that held this client ended: run the held request, then
        the ones behind it (the request may be held again)."""
        self.waiting = False
        argv = self.held
        if argv is None or self.closed or self.write_paused:
            return  # (resume_writing runs it)
        self.held = None
        self.reader.unread([argv])
        self.process()

    def reject(self, row: Command | None, argv: list[bytes]) -> bytes:
        if row is None:
            return self.rejected(None, unknown_command(argv).msg)
        return self.rejected(row, wrong_arity(row.fullname).msg)

    def reject_sub(self, row: Command, sub: Command | None, argv: list[bytes]) -> bytes:
        if sub is None:
            return self.rejected(row, unknown_subcommand(argv).msg)
        return self.rejected(sub, wrong_arity(sub.fullname).msg)

    def rejected(self, row: Command | None, msg: bytes) -> bytes:
        """The reply to a command refused before it ran (unknown, wrong arity,
        not allowed in a mode): it flags a MULTI in progress, and a refused EXEC
        discards the transaction (redis ``rejectCommand``)."""
        tx = self.tx
        if row is not None:
            row.rejected_calls += 1
            if row.name == b"exec" and row.parent is None:
                if tx is not None:
                    tx.discard()
                if msg.startswith(b"ERR "):  # Redis's format has no code here
                    msg = msg[4:]
                return self.server.error_reply(
                    b"EXECABORT Transaction discarded because of: " + msg
                )
        if tx is not None:
            tx.flag()
        return self.server.error_reply(msg)

    def failed(self, row: Command, exc: Exception) -> bytes:
        """The reply of a command whose handler raised: its error reply
        (errorstats counted), or an internal error, logged."""
        row.failed_calls += 1
        if isinstance(exc, CommandError):
            return self.server.error_reply(exc.msg)
        log.error("internal error running %r", row.fullname, exc_info=exc)
        self.server.stats.count_error(b"ERR")
        return INTERNAL_ERROR

    def timed(
        self,
        row: Command,
        n: int,
        t0: int,
        argv: list[bytes],
        slow_ns: int,
    ) -> int:
        """Count ``n`` calls of ``row`` that ran from ``t0`` to now, each
        taking an equal share; one over ``slow_ns`` goes to the slow log as
        ``argv``, the run's last call.  Returns the time read."""
        t1 = time.perf_counter_ns()
        ns = t1 - t0
        row.nsec += ns
        if n != 1:
            ns //= n
        row.hist[ns.bit_length()] += n
        if ns > slow_ns:
            self.slow(row, argv, ns, b"")
        return t1

    def call(self, row: Command, argv: list[bytes]) -> Any:
        """Run one command outside the walk (the commands EXEC runs): errors
        become its reply, its call and time are counted, as the walk does."""
        t0 = time.perf_counter_ns()
        try:
            reply = row.handler(self, argv)  # type: ignore[misc]
        except Exception as e:
            reply = self.failed(row, e)
        ns = time.perf_counter_ns() - t0
        row.nsec += ns
        row.hist[ns.bit_length()] += 1
        if ns > self.server.slow_ns:
            self.slow(row, argv, ns, reply)
        return reply

    def slow(self, row: Command, argv: list[bytes], ns: int, reply: Any) -> None:
        """A command took longer than ``Server.slow_ns``: its latency sample
        and slow log entry.  A command that blocked samples its latency now
        and enters the slow log when answered (redis ``call``, then
        ``updateStatsOnUnblock``).  While someone monitors, every command
        comes here (``Server.slow_ns`` is -1), to be shown to them."""
        if self.server.monitors:
            monitor.feed(self, row, argv)
        if reply.__class__ is Pending:
            self.server.latency.sample(
                "fast-command" if row.flags & FAST else "command", ns // 1_000_000
            )
            return
        record_slow(self, row, argv, ns)

    def unblocked(self, call: tuple[Command, list[bytes], int]) -> None:
        """The pending reply came: log the command that waited, its time
        being the first run's and the serving's, not the wait."""
        row, argv, ns = call
        serve_ns, self.unblock_ns = self.unblock_ns, 0
        if serve_ns < 0:  # timed out or CLIENT UNBLOCK: Redis 7.0 logs nothing
            return
        srv = self.server
        total = ns + serve_ns
        if total > srv.slow_ns:
            srv.slowlog.push(self, row, argv, total // 1000)
            srv.latency.sample("command-unblocking", serve_ns // 1_000_000)

    def write(self, chunks: list[bytes]) -> None:
        n = send(self, chunks)
        if n is None:
            return
        self.stats.total_net_output_bytes += n
        if self.obuf_limit_at:
            # what the transport could not send yet is this client's output buffer
            size = self.output_buffer_size()
            if size >= self.obuf_limit_at or self.obuf_soft_since:
                self.check_output_limit(size)

    def flush(self) -> None:
        """Send the replies deferred to the end of this loop iteration.

        Under an output limit they are measured first, with what the
        transport still holds: a client over its limit is closed with none
        of it written (redis checks at each reply it queues and frees the
        client before writing; pushes are queued here without a check, so a
        message published to many subscribers costs one append each).  As
        in redis, the first 16 KB (its static reply buffer) do not count."""
        chunks = self.deferred
        if chunks is not None:
            self.deferred = None
            limit = self.obuf_limit_at
            if limit:
                used = self.output_buffer_size() + sum(map(len, chunks)) - REPLY_BUFFER
                if used >= limit or self.obuf_soft_since:
                    self.check_output_limit(used)
                    if self.closed:
                        return
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
        call = self.blocked_call
        if call is not None:
            self.blocked_call = None
            if not fut.cancelled():  # (not when the client went away)
                self.unblocked(call)
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
        quiet = self.quiet
        if not quiet:
            self.write([reply])
        elif not quiet & QUIET_OFF:  # SKIP: this was the skipped command
            self.quiet = quiet & ~QUIET_SKIP
        if not self.write_paused:
            self.process()

    def close(self) -> None:
        """Close after the replies already written are sent."""
        if self.transport is not None and not self.closed:
            self.closed = True
            self.release()
            self.transport.close()

    # -- output buffer limits (redis checkClientOutputBufferLimits) -----------

    def output_buffer_size(self) -> int:
        """Bytes written to the transport and not yet sent."""
        t = self.transport
        if t is None:
            return 0
        try:
            return int(t.get_write_buffer_size())
        except (NotImplementedError, AttributeError):
            return 0

    def set_output_class(self) -> None:
        """Take the output limits of the client's class (after it changed, or the setting)."""
        self.obuf_limit_at = self.server.obuf_limit_at[0 if self.subs is None else 2]
        self.obuf_soft_since = 0

    def pending_output(self) -> int:
        """Bytes queued for this client and not sent: the transport's buffer
        and what waits for the end of this loop iteration."""
        return self.output_buffer_size() + sum(map(len, self.deferred or ()))

    def check_output_limit(self, used: int) -> None:
        """Close the client if ``used`` bytes of pending output reach its class's
        hard limit, or stay over the soft limit longer than its seconds."""
        hard, soft, seconds = self.server.obuf_limits[0 if self.subs is None else 2]
        over = bool(hard) and used >= hard
        if soft and used >= soft:
            now = self.server.clock() // 1000
            if not self.obuf_soft_since:
                self.obuf_soft_since = now  # first seen over it: the clock starts
            elif now - self.obuf_soft_since > seconds:
                over = True
        else:
            self.obuf_soft_since = 0
        if over and not self.closed:
            self.close_for_output_limit()

    def close_for_output_limit(self) -> None:
        """Drop the client and what it has not read, now: its output is not
        sent (redis ``freeClientAsync``).  Its subscriptions go when the
        transport reports the loss, after the publisher's loop is done."""
        log.warning(
            "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
            self.info_line(),
        )
        self.server.stats.client_output_buffer_limit_disconnections += 1
        self.closed = True
        self.deferred = None
        self.server.clients.pop(self.id, None)
        if self.waiting:
            self.server.blocking.cancel(self)
            self.server.pause.drop(self)
        if self.transport is not None:
            self.transport.abort()

    # -- helpers for handlers -------------------------------------------------

    def set_mode(self, name: str, hook: Intercept | None) -> None:
        """Enter (``hook``) or leave (None) a mode that intercepts commands.

        One intercept runs per command, the first of ``MODE_ORDER`` that is
        on: MULTI queues before subscriber mode restricts, and so on.  The
        pause intercept, when on, runs before that one and calls it
        (``after_pause``); the acl gate, when on, runs first of all and calls
        the next (``after_gate``)."""
        modes = self.modes
        if hook is None:
            modes.pop(name, None)
        else:
            modes[name] = hook
        self.intercept = self.after_gate = self.after_pause = None
        if not modes:
            return
        for mode in MODE_ORDER:
            found = modes.get(mode)
            if found is not None:
                self.intercept = found
                break
        pause = modes.get(PAUSE)
        if pause is not None:
            self.after_pause = self.intercept
            self.intercept = pause
        gate = modes.get(GATE)
        if gate is not None:
            self.after_gate = self.intercept
            self.intercept = gate

    def next_intercept(self, mode: str) -> Intercept | None:
        """The intercept of the first mode on after ``mode`` in ``MODE_ORDER``
        (for an intercept that lets a command through to the next one)."""
        modes = self.modes
        for name in MODE_ORDER[MODE_ORDER.index(mode) + 1 :]:
            hook = modes.get(name)
            if hook is not None:
                return hook
        return None

    def client_type(self) -> bytes:
        """The class CLIENT LIST/KILL TYPE and the output limits use: pubsub
        while subscribed, else normal (redis ``getClientType``)."""
        return b"pubsub" if self.subs is not None else b"normal"

    def flag_letters(self) -> str:
        """CLIENT LIST ``flags=``, in redis ``getClientInfoString`` order."""
        flags = "O" if monitor.MODE in self.modes else ""
        if self.subs is not None:
            flags += "P"
        if self.in_multi:
            flags += "x"
        if self.held is not None or self.id in self.server.blocking.by_client:
            flags += "b"
        st = self.track
        if st is not None:
            flags += "t"
            if st.broken:
                flags += "R"
            if st.bcast:
                flags += "B"
        tx = self.tx
        if tx is not None and tx.dirty_cas:
            flags += "d"
        return flags or "N"

    def in_pubsub(self) -> bool:
        """In subscriber mode (subscribed to a channel or pattern)."""
        return self.subs is not None

    def set_protocol(self, resp3: bool) -> None:
        self.resp3 = resp3
        self.nil = NIL3 if resp3 else NIL2

    def info_line(self) -> str:
        """One CLIENT LIST line (fields as Redis 7)."""
        now = time.time()
        idle = (self.server.clock() - self.last_interaction) // 1000
        qbuf = self.reader.buffered()
        subs = self.subs
        nsub = (len(subs.channels), len(subs.patterns), len(subs.shard)) if subs else (0, 0, 0)
        omem = self.pending_output()
        tx = self.tx
        multi = -1 if tx is None or tx.queue is None else len(tx.queue)
        return (
            f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
            f"name={self.name.decode(errors='replace')} age={int(now - self.created)} idle={idle} "
            f"flags={self.flag_letters()} db={self.db.id} sub={nsub[0]} psub={nsub[1]} ssub={nsub[2]} multi={multi} qbuf={qbuf} qbuf-free=0 "
            f"argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem={omem} tot-mem=0 "
            f"events=r cmd={self.last_cmd.decode(errors='replace')} "
            f"user={self.user.name.decode(errors='replace')} "
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
