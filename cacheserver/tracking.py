"""Client-side caching: key tracking and invalidation (redis ``tracking.c``).

``CLIENT TRACKING ON`` makes the server remember the keys a connection reads
(the keys of its read-only commands); a later change to such a key sends the
connection an ``invalidate`` message and forgets the key for it.  In BCAST
mode nothing is remembered: every change to a key under one of the
connection's prefixes is sent, gathered per prefix and loop iteration.

Messages go as RESP3 pushes ``>2 invalidate [key]``, or, with ``REDIRECT id``,
to another connection: as a push when that one speaks RESP3, else as a
``__redis__:invalidate`` pub/sub message when it is in subscriber mode.  A
flush invalidates everything with a null in place of the key list.

Keys are tracked by name across databases, as Redis does.  The table is
bounded by ``tracking-table-max-keys``: over it, random keys are invalidated
as if they had changed.  A change made by the connection itself is announced
after that command's reply (redis ``tracking_pending_keys``).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from cacheserver.commands.table import PUBSUB, READONLY, Command
from cacheserver.pubsub import deliver
from protocol.resp import bulk, bulk_array

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database

__all__ = ["TrackState", "Tracking"]

_INVALIDATE_PUSH = b">2\r\n$10\r\ninvalidate\r\n"
_INVALIDATE_MESSAGE = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
# redis shared.null[resp]: the "every key" payload of a flush
_NULL = {False: b"$-1\r\n", True: b"_\r\n"}

# Marks the keyspace's ready list so the connection's walk calls
# Server.after_command, which sends the self-invalidations after the reply.
TRACKING_MARK: tuple[None, bytes] = (None, b"")


class TrackState:
    """One connection's tracking options (redis CLIENT_TRACKING_* flags)."""

    __slots__ = ("bcast", "broken", "caching", "noloop", "optin", "optout", "prefixes", "redirect")

    def __init__(self) -> None:
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False  # CLIENT CACHING given for the next command
        self.broken = False  # the redirect target is gone
        self.redirect = 0
        self.prefixes: list[bytes] = []


class Bcast:
    """A BCAST prefix: its clients, and the keys changed this loop iteration
    (each with the client that changed it last, for NOLOOP)."""

    __slots__ = ("clients", "keys")

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}
        self.keys: dict[bytes, Client | None] = {}


class Tracking:
    """The server's tracking table, BCAST prefixes and pending messages."""

    __slots__ = (
        "bcast_pending",
        "clients",
        "flush_done",
        "hooked",
        "items",
        "pending",
        "prefixes",
        "server",
        "table",
    )

    def __init__(self, server: Server) -> None:
        self.server = server
        self.table: dict[bytes, set[int]] = {}  # key -> ids of clients that read it
        self.items = 0  # ids over all keys (INFO tracking_total_items)
        self.prefixes: dict[bytes, Bcast] = {}
        self.clients = 0  # connections with tracking on
        self.pending: list[tuple[Client, bytes | None]] = []  # self-invalidations
        self.bcast_pending = False
        self.flush_done = False  # a flush was announced and nothing tracked since
        self.hooked = False

    # -- turning it on and off ----------------------------------------------------

    def enable(
        self,
        c: Client,
        redirect: int,
        bcast: bool,
        optin: bool,
        optout: bool,
        noloop: bool,
        prefixes: list[bytes],
    ) -> None:
        """redis ``enableTracking``: options replace the previous ones, prefixes add up."""
        st = c.track
        if st is None:
            st = c.track = TrackState()
            self.clients += 1
            c.set_mode("tracking", _remember)
            self._hook(True)
        st.broken = False
        st.redirect = redirect
        st.bcast, st.optin, st.optout, st.noloop = bcast, optin, optout, noloop
        if bcast:
            for prefix in prefixes or [b""]:
                state = self.prefixes.get(prefix)
                if state is None:
                    state = self.prefixes[prefix] = Bcast()
                if c.id not in state.clients:
                    state.clients[c.id] = c
                    st.prefixes.append(prefix)

    def disable(self, c: Client) -> None:
        """redis ``disableTracking``; the ids left in the table are dropped lazily."""
        st = c.track
        if st is None:
            return
        for prefix in st.prefixes:
            state = self.prefixes.get(prefix)
            if state is not None:
                state.clients.pop(c.id, None)
                if not state.clients:
                    del self.prefixes[prefix]
        c.track = None
        c.set_mode("tracking", None)
        self.clients -= 1
        if not self.clients:
            self.table.clear()
            self.items = 0
            self.pending.clear()
            self._hook(False)

    def _hook(self, on: bool) -> None:
        ks = self.server.keyspace
        if on and not self.hooked:
            ks.add_modified_hook(self.invalidate)
            ks.add_flush_hook(self.flushed)
        elif not on and self.hooked:
            ks.remove_modified_hook(self.invalidate)
            ks.remove_flush_hook(self.flushed)
        self.hooked = on

    # -- remembering reads ----------------------------------------------------------

    def remember(self, c: Client, row: Command, argv: list[bytes]) -> None:
        """redis ``trackingRememberKeys`` for a read-only command of ``c``."""
        self.flush_done = False
        table = self.table
        for i in row.key_positions(argv):
            key = argv[i]
            ids = table.get(key)
            if ids is None:
                ids = table[key] = set()
            if c.id not in ids:
                ids.add(c.id)
                self.items += 1
        limit = self.server.config["tracking-table-max-keys"]
        if limit and len(table) > limit:
            self.limit_keys(limit)

    def forget(self, key: bytes, client_ids: set[int]) -> set[int]:
        """Take the given clients off ``key`` without telling them (a load's
        fill is their own read); returns the ids that were there."""
        ids = self.table.get(key)
        if not ids:
            return set()
        gone = ids & client_ids
        if gone:
            ids -= gone
            self.items -= len(gone)
            if not ids:
                del self.table[key]
        return gone

    def limit_keys(self, limit: int) -> None:
        """Invalidate random keys until the table is back within ``limit``
        (redis ``trackingLimitUsedSlots``)."""
        table = self.table
        over = len(table) - limit
        if over <= 0:
            return
        for key in random.sample(list(table), over):
            self.invalidate(None, key, bcast=False)

    # -- invalidating ---------------------------------------------------------------

    def invalidate(self, db: Database | None, key: bytes, bcast: bool = True) -> None:
        """A key changed (the keyspace's modified hook): tell who read it."""
        srv = self.server
        current = srv.current_client
        if bcast and self.prefixes:
            for prefix, state in self.prefixes.items():
                if key.startswith(prefix):
                    state.keys[key] = current
                    if not self.bcast_pending:
                        self.bcast_pending = True
                        srv.schedule_flush()
        ids = self.table.pop(key, None)
        if ids is None:
            return
        self.items -= len(ids)
        clients = srv.clients
        for cid in ids:
            target = clients.get(cid)
            if target is None or target.track is None or target.track.bcast:
                continue
            if target is current:
                if target.track.noloop:
                    continue
                # after the reply of the command that made the change
                self.pending.append((target, key))
                srv.keyspace.ready.append(TRACKING_MARK)
            else:
                self.send(target, b"*1\r\n" + bulk(key))

    def flushed(self, db: Database, replaced_with: Database | None = None) -> None:
        """FLUSHDB/FLUSHALL (the keyspace's flush hook): every tracking client
        hears "all keys" once (redis ``trackingInvalidateKeysOnFlush``).

        FLUSHALL signals each database: the first announces, the others find
        it done (until the command ends or a key is remembered again: a
        client has nothing cached from before an announced flush).  SWAPDB
        tells tracking clients nothing, as Redis."""
        if replaced_with is not None or self.flush_done:
            return
        srv = self.server
        self.flush_done = True
        srv.keyspace.ready.append(TRACKING_MARK)
        current = srv.current_client
        for target in list(srv.clients.values()):
            if target.track is None:
                continue
            if target is current:
                self.pending.append((target, None))
            else:
                self.send(target, None)
        self.table.clear()
        self.items = 0

    def send(self, c: Client, keys: bytes | None, out: list[bytes] | None = None) -> None:
        """redis ``sendTrackingMessage``: ``keys`` is an encoded array of keys,
        or None for a flush (a null in the tracking client's protocol).  What
        goes to the running client joins its replies in ``out``."""
        st = c.track
        if st is None:
            return
        payload = _NULL[c.resp3] if keys is None else keys
        target = c
        redirected = False
        if st.redirect:
            redir = self.server.clients.get(st.redirect)
            if redir is None or redir.closed:
                st.broken = True
                if c.resp3:
                    msg = b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % st.redirect
                    self._out(c, msg, out)
                return
            target = redir
            redirected = True
        if target.resp3:
            self._out(target, _INVALIDATE_PUSH + payload, out)
        elif redirected and target.in_pubsub():
            self._out(target, _INVALIDATE_MESSAGE + payload, out)
        # else: RESP2 without redirection has no way to carry it

    def _out(self, target: Client, data: bytes, out: list[bytes] | None) -> None:
        if out is not None and target is self.server.current_client:
            out.append(data)
        else:  # the same path and output limits as pub/sub messages
            deliver(target, data)

    def flush_pending(self, out: list[bytes]) -> None:
        """The running client's own invalidations, after its reply in ``out``."""
        self.flush_done = False
        pending, self.pending = self.pending, []
        for target, key in pending:
            self.send(target, None if key is None else b"*1\r\n" + bulk(key), out)

    def broadcast(self) -> None:
        """Send the keys changed under each BCAST prefix since the last call
        (redis ``trackingBroadcastInvalidationMessages``, in beforeSleep)."""
        self.bcast_pending = False
        # prefixes and keys in byte order, as Redis walks its radix trees
        for _, state in sorted(self.prefixes.items()):
            keys = state.keys
            if not keys:
                continue
            state.keys = {}
            common = _key_array(keys, None)
            for c in list(state.clients.values()):
                st = c.track
                if st is None:
                    continue
                if st.noloop:
                    own = _key_array(keys, c)
                    if own is not None:
                        self.send(c, own)
                else:
                    self.send(c, common)

    # -- CLIENT TRACKINGINFO ----------------------------------------------------------

    def info_flags(self, c: Client) -> list[bytes]:
        st = c.track
        if st is None:
            return [b"off"]
        flags = [b"on"]
        if st.bcast:
            flags.append(b"bcast")
        if st.optin:
            flags.append(b"optin")
            if st.caching:
                flags.append(b"caching-yes")
        if st.optout:
            flags.append(b"optout")
            if st.caching:
                flags.append(b"caching-no")
        if st.noloop:
            flags.append(b"noloop")
        if st.broken:
            flags.append(b"broken_redirect")
        return flags


def _key_array(keys: dict[bytes, Client | None], skip: Client | None) -> bytes | None:
    """An encoded array of the changed keys, less those ``skip`` changed last."""
    names = sorted(k for k, who in keys.items() if skip is None or who is not skip)
    if not names:
        return None
    return bulk_array(names)


def _remember(c: Client, row: Command, argv: list[bytes]) -> None:
    """The tracking intercept: before each command of a tracking connection,
    remember the keys of a read-only one (unless OPTIN/OPTOUT say otherwise),
    and let CLIENT CACHING apply to the next command only."""
    st = c.track
    if st is None:
        return None
    caching = st.caching
    parent = row.parent
    # redis resetClient: CLIENT CACHING applies to the next command, or to the
    # whole of a transaction (EXEC clears it); any CLIENT subcommand keeps it
    if not c.in_multi and row.name != b"multi" and (parent is None or parent.name != b"client"):
        st.caching = False
    if st.bcast or not row.flags & READONLY or row.flags & PUBSUB:
        return None
    if (st.optin and not caching) or (st.optout and caching):
        return None
    c.server.tracking.remember(c, row, argv)
    return None
