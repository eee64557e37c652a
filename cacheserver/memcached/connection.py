"""A memcached text-protocol connection: the hot path.

As the Redis side (``cacheserver.connection``): ``data_received`` runs every
complete request of the batch synchronously and the replies go out in one
write per loop iteration.  A request is a line ending in ``\\n`` (a ``\\r``
before it is dropped), split on spaces as memcached's tokenizer does; a
storage command's line is followed by a data block of a length it names,
which may arrive in any number of reads.  After ``SERVER_ERROR object too
large`` the block is swallowed unread, as memcached's ``conn_swallow``.

Framing errors are memcached's: a data block not ending in CRLF is
``CLIENT_ERROR bad data chunk`` and the rest is read as commands; a line
without newline longer than 2048 bytes closes the connection unless it is a
``get``/``gets`` (a long multi-get).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from cacheserver.errors import OutOfMemory
from cacheserver.memcached import meta, ops, stats, text
from cacheserver.memcached.ops import Waiting
from cacheserver.memcached.tokens import strtoul32
from cacheserver.memory import make_room
from cacheserver.net import send
from protocol.resp import split_reads

if TYPE_CHECKING:
    from cacheserver.memcached.service import Memcached

log = logging.getLogger("cacheserver")

LINE_MAX = 2048  # memcached: no newline in this many bytes and not a get: close
INTERNAL_ERROR = b"SERVER_ERROR internal error\r\n"
TOO_MANY_CONNS = b"ERROR Too many open connections\r\n"
UNAUTHENTICATED = b"CLIENT_ERROR unauthenticated\r\n"

# name -> handler(c, parts) -> reply bytes | data block length | None
TABLE: dict[bytes, Any] = {
    b"get": text.get,
    b"bget": text.get,
    b"gets": text.gets,
    b"gat": text.gat,
    b"gats": text.gats,
    b"set": text.set_,
    b"add": text.add,
    b"replace": text.replace,
    b"append": text.append,
    b"prepend": text.prepend,
    b"cas": text.cas,
    b"delete": text.delete,
    b"incr": text.incr,
    b"decr": text.decr,
    b"touch": text.touch,
    b"flush_all": text.flush_all,
    b"version": text.version,
    b"verbosity": text.verbosity,
    b"quit": text.quit_,
    b"shutdown": text.shutdown,
    b"stats": stats.stats,
    b"config": text.config,
    b"mg": meta.mg,
    b"ms": meta.ms,
    b"md": meta.md,
    b"ma": meta.ma,
    b"me": meta.me,
    b"mn": text.mn,
}


class McConnection(asyncio.Protocol):
    """One memcached client connection."""

    __slots__ = (
        "addr",
        "auth_need",
        "block",
        "buf",
        "chunks",
        "close_after",
        "closed",
        "created",
        "db",
        "deferred",
        "fd",
        "have",
        "held",
        "id",
        "items",
        "kind",
        "laddr",
        "last_interaction",
        "local_ip",
        "need",
        "now",
        "pending",
        "server",
        "stats",
        "svc",
        "swallow",
        "transport",
        "unauth",
        "unjoined",
        "waiting",
        "write_paused",
    )

    def __init__(self, svc: Memcached, kind: str = "tcp") -> None:
        self.svc = svc
        self.server = svc.server
        self.stats = svc.stats
        self.db = svc.db
        self.items = svc.items
        self.kind = kind
        self.transport: asyncio.Transport | None = None
        self.deferred: list[bytes] | None = None  # replies waiting for Server.flush_writes
        self.unjoined = False  # (see Client.unjoined)
        self.buf = b""  # an incomplete line
        self.pending: tuple[Any, ...] | None = None  # a storage command awaiting its data
        self.need = 0  # bytes of that data block, CRLF included
        self.chunks: list[bytes] = []
        self.have = 0
        # the value of a data block completed by ``feed`` (None: no CRLF after it)
        self.block: bytes | None = None
        self.held: list[bytes] = []  # reads while the peer does not read its replies
        self.swallow = 0  # bytes still to discard
        self.close_after = False
        self.closed = False
        self.write_paused = False
        self.waiting = False  # a read-through load holds the requests after it
        self.now = 0
        self.id = 0
        self.fd = -1
        self.addr = "?:0"
        self.laddr = "?:0"
        self.local_ip = ""
        self.created = time.time()
        self.last_interaction = svc.server.clock()
        # memcached-auth-file: until the credentials come, every read goes
        # to auth_received (auth_need: bytes of the credentials block awaited)
        self.unauth = False
        self.auth_need = 0

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        svc = self.svc
        svc.stats.total_connections += 1
        if len(svc.conns) >= svc.maxconns:
            svc.stats.rejected_connections += 1
            transport.write(TOO_MANY_CONNS)  # type: ignore[attr-defined]
            transport.close()
            self.closed = True
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                peer = transport.get_extra_info("peername")
                here = transport.get_extra_info("sockname")
                if peer:
                    self.addr = f"tcp:{peer[0]}:{peer[1]}"
                if here:
                    self.laddr = f"tcp:{here[0]}:{here[1]}"
                    self.local_ip = here[0]
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            else:
                path = transport.get_extra_info("sockname") or ""
                self.addr = self.laddr = f"unix:{path}"
        self.id = svc.new_id()
        svc.conns[self.id] = self
        self.unauth = svc.auth is not None

    def connection_lost(self, exc: Exception | None) -> None:
        # a client gone mid-value leaves nothing stored
        self.closed = True
        self.pending = None
        self.svc.conns.pop(self.id, None)

    def pause_writing(self) -> None:
        # the peer does not read its replies: stop reading its requests
        self.write_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()
            self._feed_held()

    def _feed_held(self) -> None:
        while self.held and not (self.write_paused or self.waiting or self.closed):
            self.feed(self.held.pop(0))

    def data_received(self, data: bytes) -> None:
        self.stats.bytes_read += len(data)
        if self.unauth:
            self.auth_received(data)
        elif self.write_paused or self.waiting:
            self.held.append(data)
        elif self.swallow or self.pending is not None or self.buf:
            self.feed(data)
        else:  # the common case: whole requests, nothing left over
            self.process(data)

    def feed(self, data: bytes) -> None:
        """Take a read: swallow, complete a data block, or run the requests."""
        if self.swallow:
            n = self.swallow
            if len(data) <= n:
                self.swallow = n - len(data)
                return
            data = data[n:]
            self.swallow = 0
        if self.pending is not None:
            self.chunks.append(data)
            self.have += len(data)
            if self.have < self.need:
                return
            data = self._join_block()
            self.chunks = []
        elif self.buf:
            data = self.buf + data
            self.buf = b""
        self.process(data)

    # -- memcached-auth-file (memcached try_read_command_asciiauth) ------------

    def auth_received(self, data: bytes) -> None:
        """Before authentication only ``set <key> <flags> <exptime> <bytes>``
        carrying ``user password`` is read; anything else is answered
        ``CLIENT_ERROR unauthenticated`` and the connection stays.

        memcached answers only the last of the requests one read brings
        before authentication (each reply overwrites the one before in its
        response object); so does this."""
        svc = self.svc
        buf = self.buf + data
        self.buf = b""
        out: list[bytes] = []
        while self.unauth:
            need = self.auth_need
            if not need:
                if len(buf) < 2:  # memcached waits for two bytes at least
                    break
                nl = buf.find(b"\n")
                if nl < 0:
                    if len(buf) > LINE_MAX:  # junk: memcached closes without a word
                        self.close_after = True
                    break
                # the \r stays in the last token, as memcached's tokenizer leaves it
                tokens = _tokens(buf[:nl])
                buf = buf[nl + 1 :]
                size = _auth_size(tokens[4]) if len(tokens) >= 5 and tokens[0] == b"set" else None
                if size is None:
                    out = [UNAUTHENTICATED]
                    continue
                self.auth_need = need = size + 2
            if len(buf) < need:
                if len(buf) > svc.item_size_max + LINE_MAX:
                    self.close_after = True
                break
            block, buf = buf[:need], buf[need:]
            self.auth_need = 0
            if block[-2:] != b"\r\n":
                out = [b"CLIENT_ERROR bad command line termination\r\n"]
                continue
            creds = _tokens(block[:-2])
            if len(creds) < 2:
                out = [b"CLIENT_ERROR bad authentication token format\r\n"]
                continue
            self.stats.auth_cmds += 1
            if svc.check_auth(creds[0], creds[1]):
                self.unauth = False
                out = [text.STORED]
            else:
                self.stats.auth_errors += 1
                self.server.stats.memcached_auth_failures += 1
                log.info(
                    "memcached authentication failure for user %r from %s",
                    creds[0].decode("utf-8", "replace"),
                    self.addr,
                )
                out = [b"CLIENT_ERROR authentication failure\r\n"]
        if out:
            self.write(out)
        if self.close_after:
            self.close()
        elif self.unauth:
            self.buf = buf
        elif buf:  # requests right behind the credentials
            self.feed(buf)

    # -- the walk --------------------------------------------------------------

    def process(self, data: bytes) -> None:
        """Run every complete request in ``data``; keep the incomplete rest."""
        svc = self.svc
        srv = self.server
        self.now = self.last_interaction = now = srv.clock()
        if svc.flush_at and now >= svc.flush_at:
            svc.run_flush()
        out: list[bytes] = []
        append = out.append
        table = TABLE
        n = len(data)
        pos = 0
        if self.pending is not None:  # its block was completed by feed: data follows it
            self._store(self.block, append)
            self.block = None
        while pos < n:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            end = nl - 1 if nl - pos > 1 and data[nl - 1] == 13 else nl
            line = data[pos:end]
            pos = nl + 1
            parts = line.split(b" ")
            handler = table.get(parts[0])
            if handler is None or b"" in parts or b"\0" in line:
                parts = _tokens(line)
                handler = table.get(parts[0]) if parts else None
                if handler is None:
                    append(text.ERROR)
                    continue
            try:
                reply = handler(self, parts)
            except Exception:
                log.exception("internal error running memcached %r", parts[0])
                self.pending = None
                reply = INTERNAL_ERROR
            if reply is None:
                pass
            elif reply.__class__ is bytes:
                append(reply)
            elif reply.__class__ is Waiting:
                # a read-through load: what came before goes out now, what
                # comes after waits for its reply
                if out:
                    self.write(out)
                    out = []
                    append = out.append
                self.waiting = True
                if pos < n:
                    self.held.insert(0, data[pos:])
                    pos = n
                reply.future.add_done_callback(partial(self._loaded, reply))
                break
            elif reply.__class__ is int:  # a storage command: its data block follows
                if n - pos >= reply:
                    pos = self._complete(data, pos, reply, append)
                else:
                    self.need = reply
                    self.chunks = [data[pos:]]
                    self.have = n - pos
                    pos = n
                    break
            elif reply.__class__ is list:  # a big value's parts: written unjoined
                out.extend(reply)
                self.unjoined = True
            else:  # text.DropBatch
                _drop_unsent(out)
                append(reply)
            if self.swallow:
                skip = min(self.swallow, n - pos)
                pos += skip
                self.swallow -= skip
            if self.close_after:
                break
        if srv.keyspace.ready:
            # left by a change: tracking's flush announcement (blocked clients
            # wait on lists, which memcached does not write)
            srv.after_command([])
        if pos < n and self.pending is None and not self.close_after:
            rest = data[pos:]
            if len(rest) > LINE_MAX and not _long_get(rest, srv.query_buffer_limit):
                self.close_after = True
            else:
                self.buf = rest
        if out and not self.closed:
            if srv.defer_writes and not self.close_after:
                # Server.defer_write, inlined: one write per loop iteration
                if self.deferred is None:
                    self.deferred = out
                    srv.write_queue.append(self)
                    if not srv._flush_scheduled:
                        srv.schedule_flush()
                else:
                    self.deferred += out
            else:
                self.write(out)
        if self.close_after:
            self.close()

    def _loaded(self, waiting: Waiting, fut: asyncio.Future[list[Any]]) -> None:
        """The loads a get/gets/mg waited for are done: its reply, then the
        requests held meanwhile."""
        self.waiting = False
        if self.closed:
            return
        self.now = self.last_interaction = self.server.clock()
        try:
            failed = next((r for r in fut.result() if isinstance(r, BaseException)), None)
            if failed is None:
                reply = ops.rerun(self, waiting.handler, waiting.parts)
            elif isinstance(getattr(failed, "reason", None), str):
                # LoaderUnavailable (not imported: the loaders load on demand)
                reason: str = failed.reason  # type: ignore[attr-defined]
                reply = b"SERVER_ERROR %s\r\n" % reason.encode("utf-8", "replace")
            else:
                log.error("internal error in a memcached load", exc_info=failed)
                reply = INTERNAL_ERROR
        except Exception:
            log.exception("internal error answering a memcached load")
            reply = INTERNAL_ERROR
        if reply.__class__ is list:  # a big value's parts
            self.unjoined = True
            self.write(reply)
        elif reply is not None:
            self.write([reply])
        self._feed_held()

    def _join_block(self) -> bytes:
        """The data block that ``chunks`` completes: its value joined once
        (not the whole input joined, then the value copied out of it), kept in
        ``block`` (None: it did not end in CRLF); returns the input after it."""
        value, after = split_reads(self.chunks, self.have, self.need - 2)
        rest = b"".join(after)  # the block's CRLF, then the next requests
        self.block = value if rest[:2] == b"\r\n" else None
        return rest[2:]

    def _complete(self, data: bytes, pos: int, need: int, append: Any) -> int:
        """Hand the data block at ``pos`` to the waiting storage command."""
        end = pos + need
        self._store(data[pos : end - 2] if data[end - 2 : end] == b"\r\n" else None, append)
        return end

    def _store(self, value: bytes | None, append: Any) -> None:
        """Run the waiting storage command with its data block's value (None:
        the block did not end in CRLF)."""
        pending = self.pending
        assert pending is not None
        self.pending = None
        try:
            srv = self.server
            if value is not None and srv.memory.maxmemory and not make_room(srv):
                raise OutOfMemory()  # maxmemory reached and nothing to evict
            reply = pending[0](self, pending, value)
        except (MemoryError, OutOfMemory):
            # the store could not take it (maxmemory, or the process's own)
            self.stats.store_no_memory += 1
            reply = text.NO_MEMORY
        except Exception:
            log.exception("internal error storing a memcached item")
            reply = INTERNAL_ERROR
        if reply is not None:
            append(reply)

    def write(self, chunks: list[bytes]) -> None:
        n = send(self, chunks)
        if n is not None:
            self.stats.bytes_written += n

    def flush(self) -> None:
        """Send the replies deferred to the end of this loop iteration."""
        chunks = self.deferred
        if chunks is not None:
            self.deferred = None
            self.write(chunks)

    def close(self) -> None:
        """Close after the replies already written are sent."""
        if self.transport is not None and not self.closed:
            self.flush()
            self.closed = True
            self.svc.conns.pop(self.id, None)
            self.transport.close()


def _drop_unsent(out: list[bytes]) -> None:
    """Drop the replies memcached would not have sent yet: those after the
    last one that made it write (a get's END, mn's MN)."""
    for i in range(len(out) - 1, -1, -1):
        if out[i].endswith(b"END\r\n") or out[i] == b"MN\r\n":
            del out[i + 1 :]
            return
    out.clear()


def _tokens(line: bytes) -> list[bytes]:
    """memcached's tokenizer: the line ends at a NUL, tokens are split by
    spaces (only), empty ones dropped."""
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]
    return [p for p in line.split(b" ") if p]


def _auth_size(tok: bytes) -> int | None:
    """The credentials' length as memcached's ``safe_strtoul`` reads it: a
    token of only whitespace (the line's \\r) reads as 0."""
    size = strtoul32(tok)
    if size is None and tok[:1] in (b"\r", b"\t", b"\v", b"\f"):
        return 0 if tok.strip() == b"" else None
    return size


def _long_get(rest: bytes, limit: int) -> bool:
    """A line without newline past 2048 bytes may go on only as a multi-get
    (memcached ``try_read_command_ascii``), up to the query buffer limit."""
    if len(rest) > limit:
        return False
    stripped = rest.lstrip(b" ")
    if len(rest) - len(stripped) > 100:
        return False
    return stripped.startswith(b"get ") or stripped.startswith(b"gets ")
