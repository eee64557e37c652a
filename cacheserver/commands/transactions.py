"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (redis ``multi.c``, as 7.0).

MULTI puts the client in the ``multi`` mode (``Client.set_mode``): from then
on the walk hands every command that passed the arity check to ``_queue``,
which queues it and replies ``+QUEUED``, except the commands that act on the
transaction itself (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET), which run at
once.  A command refused while queueing (unknown, wrong arity, ``NO_MULTI``)
flags the transaction (``Client.rejected``), and EXEC then answers
EXECABORT.  EXEC runs the queue as one batch of the walk: nothing else runs
in between, and clients blocked on keys the transaction pushed to are served
after the whole EXEC, as Redis does.

WATCH records keys in ``Watches``, the server's registry (redis
``db->watched_keys``).  Only while some client watches does the registry
listen to the keyspace (``Keyspace.add_modified_hook`` and a flush hook), so
a server without watchers pays nothing per write.  Any change to a watched
key (a write from any client, expiry, FLUSHDB, FLUSHALL, SWAPDB) makes the
watcher's next EXEC fail with a nil reply.  A key that had already expired
when it was watched counts as missing: its deletion changes nothing, as
Redis 7.0's ``watchedKey.expired`` says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver import acl
from cacheserver.commands.table import (
    ALLOW_BUSY,
    FAST,
    LOADING,
    NO_MULTI,
    NOSCRIPT,
    SKIP_SLOWLOG,
    STALE,
    Command,
    ReplySwitch,
)
from cacheserver.errors import CommandError
from cacheserver.memory import must_refuse_oom
from protocol.resp import NIL3, NIL_ARRAY2, OK, QUEUED, array_header

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.server import Server
    from cacheserver.store.keyspace import Database

EXECABORT = b"EXECABORT Transaction discarded because of previous errors."
NOT_IN_MULTI = b"ERR Command not allowed inside a transaction"

# commands that act on the transaction: run at once inside MULTI, never queued
# (redis processCommand)
_DIRECT = frozenset((b"exec", b"discard", b"multi", b"watch", b"quit", b"reset"))
# int's own & on the IntFlag: the enum's __and__ costs a microsecond per command
_flag_and = int.__and__
_NO_MULTI = int(NO_MULTI)


class WatchedKey:
    """One key one client watches (redis ``watchedKey``)."""

    __slots__ = ("db", "expired", "key", "tx")

    def __init__(self, tx: Transaction, db: Database, key: bytes, expired: bool) -> None:
        self.tx = tx
        self.db = db
        self.key = key
        # the key had already expired when watched: its deletion is no change
        self.expired = expired


class Transaction:
    """A client's MULTI state and watched keys (redis ``multiState``,
    ``watched_keys`` and the ``DIRTY_*`` flags): ``Client.tx`` from the
    client's first MULTI or WATCH on."""

    __slots__ = ("client", "dirty_cas", "dirty_exec", "queue", "watched", "watches")

    def __init__(self, client: Client, watches: Watches) -> None:
        self.client = client
        self.watches = watches
        self.queue: list[tuple[Command, list[bytes]]] | None = None  # None: not in MULTI
        self.dirty_exec = False  # a command was refused while queueing
        self.dirty_cas = False  # a watched key changed
        self.watched: dict[tuple[Database, bytes], WatchedKey] = {}

    def flag(self) -> None:
        """A command was refused inside MULTI: EXEC will abort (redis ``flagTransaction``)."""
        if self.queue is not None:
            self.dirty_exec = True

    def discard(self) -> None:
        """Leave MULTI, forget the queue and every watch (redis
        ``discardTransaction``).  The object stays on the client for its next
        MULTI or WATCH."""
        if self.queue is not None:
            self.queue = None
            c = self.client
            c.in_multi = False
            c.set_mode("multi", None)
        self.dirty_exec = self.dirty_cas = False
        if self.watched:
            self.watches.unwatch_all(self)


class Watches:
    """Every watched key of the server, by database (redis ``db->watched_keys``)."""

    __slots__ = ("hooked", "keys", "server")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.keys: dict[Database, dict[bytes, list[WatchedKey]]] = {}
        self.hooked = False

    def __len__(self) -> int:
        """The number of (client, key) watches."""
        return sum(len(w) for per_db in self.keys.values() for w in per_db.values())

    def watch(self, tx: Transaction, db: Database, key: bytes) -> None:
        """``tx`` watches ``key`` of ``db`` (redis ``watchForKey``)."""
        if (db, key) in tx.watched:
            return
        wk = WatchedKey(tx, db, key, self._expired(db, key))
        tx.watched[db, key] = wk
        self.keys.setdefault(db, {}).setdefault(key, []).append(wk)
        if not self.hooked:
            ks = self.server.keyspace
            ks.add_modified_hook(self.on_modified)
            ks.add_flush_hook(self.on_flushed)
            self.hooked = True

    def unwatch_all(self, tx: Transaction) -> None:
        """Forget every key ``tx`` watches (redis ``unwatchAllKeys``)."""
        keys = self.keys
        for (db, key), wk in tx.watched.items():
            per_db = keys[db]
            clients = per_db[key]
            clients.remove(wk)
            if not clients:
                del per_db[key]
                if not per_db:
                    del keys[db]
        tx.watched = {}
        if not keys and self.hooked:
            # nobody watches: writes stop calling us (Keyspace.hooked)
            ks = self.server.keyspace
            ks.remove_modified_hook(self.on_modified)
            ks.remove_flush_hook(self.on_flushed)
            self.hooked = False

    def _expired(self, db: Database, key: bytes) -> bool:
        """The key is past its deadline, deleted or not (redis ``keyIsExpired``)."""
        when = db.expires.get(key)
        return when is not None and when <= self.server.clock()

    def any_expired(self, tx: Transaction) -> bool:
        """A watched key expired since it was watched (redis ``isWatchedKeyExpired``)."""
        return any(not wk.expired and self._expired(wk.db, wk.key) for wk in tx.watched.values())

    def _dirty(self, tx: Transaction) -> None:
        tx.dirty_cas = True
        # no point in watching any longer (redis touchWatchedKey)
        self.unwatch_all(tx)

    def on_modified(self, db: Database, key: bytes) -> None:
        """A write changed ``key``: its watchers' EXEC fails (redis ``touchWatchedKey``)."""
        per_db = self.keys.get(db)
        if per_db is None:
            return
        clients = per_db.get(key)
        if clients is None:
            return
        for wk in list(clients):
            if wk.expired:
                # watched while already expired: its deletion is no change, and
                # from then on it is a missing key like any other
                if key not in db.data:
                    wk.expired = False
                # (a write always deletes an expired key before changing it, so
                # an expired key still present is not written here)
                continue
            self._dirty(wk.tx)

    def on_flushed(self, db: Database, replaced_with: Database | None) -> None:
        """Every key of ``db`` is about to go (FLUSHDB, FLUSHALL) or to be
        replaced by ``replaced_with``'s (SWAPDB): watchers of a key that exists
        in either fail (redis ``touchAllWatchedKeysInDb``)."""
        per_db = self.keys.get(db)
        if not per_db:
            return
        dirty: list[Transaction] = []
        for key, clients in per_db.items():
            in_emptied = key in db.data
            in_other = replaced_with is not None and key in replaced_with.data
            if not (in_emptied or in_other):
                continue
            for wk in clients:
                if wk.expired:
                    if not in_other:
                        wk.expired = False  # the expired key is deleted: no change
                        continue
                    assert replaced_with is not None
                    if self._expired(replaced_with, key):
                        continue  # expired before, expired after
                elif not in_emptied:
                    assert replaced_with is not None
                    if self._expired(replaced_with, key):
                        wk.expired = True  # a missing key replaced by an expired one
                        continue
                dirty.append(wk.tx)
        for tx in dirty:
            if tx.watched:
                self._dirty(tx)


def _tx(c: Client) -> Transaction:
    tx = c.tx
    if tx is None:
        tx = c.tx = Transaction(c, c.server.watches)
    return tx


def _queue(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """The ``multi`` mode's intercept: queue the command, or let it run."""
    ks = c.server.keyspace
    if ks.limited and ks.used > ks.budget:
        # over maxmemory: refused before anything else (redis processCommand)
        refused = must_refuse_oom(c, row)
        if refused is not None:
            return refused
    if row.name in _DIRECT and row.parent is None:
        return None
    if _flag_and(row.flags, _NO_MULTI):
        return c.rejected(row, NOT_IN_MULTI)
    tx = c.tx
    assert tx is not None and tx.queue is not None
    # a transaction that will not run keeps nothing (redis queueMultiCommand)
    if not (tx.dirty_exec or tx.dirty_cas):
        tx.queue.append((row, argv))
    return QUEUED


# -- handlers -------------------------------------------------------------------


def multi(c: Client, argv: list[bytes]) -> bytes:
    """MULTI -> +OK (commands are queued until EXEC)

    Complexity: O(1)
    """
    if c.in_multi:
        raise CommandError(b"ERR MULTI calls can not be nested")
    tx = _tx(c)
    tx.queue = []
    c.in_multi = True
    c.set_mode("multi", _queue)
    return OK


def exec_(c: Client, argv: list[bytes]) -> bytes | ReplySwitch:
    """EXEC -> array of the queued commands' replies | nil (a watched key changed)

    Complexity: Depends on commands in the transaction
    """
    tx = c.tx
    if tx is None or tx.queue is None:
        raise CommandError(b"ERR EXEC without MULTI")
    if tx.watched and tx.watches.any_expired(tx):
        tx.dirty_cas = True
    if tx.dirty_exec:
        tx.discard()
        raise CommandError(EXECABORT)
    if tx.dirty_cas:
        tx.discard()
        return NIL3 if c.resp3 else NIL_ARRAY2
    queue = tx.queue
    if tx.watched:
        tx.watches.unwatch_all(tx)  # the transaction's own writes touch no watch
    # c.in_multi stays set while the queue runs: blocking commands do not wait
    out = [array_header(len(queue))]
    call = c.call
    # the intercepts of other modes did not see the queued commands; tracking's
    # remembers the keys a command reads, and Redis does that for EXEC's too
    remember = c.modes.get("tracking")
    # pushes the client sends itself meanwhile (RESP3 pub/sub) go between
    # the replies, where Redis's reply buffer puts them
    batch_out, c.out = c.out, out
    # a restricted user's commands are checked again: its rules may have changed
    recheck = not c.user.unrestricted
    switched = False
    try:
        for row, args in queue:
            if recheck:
                denied = acl.exec_check(c, row, args)
                if denied is not None:
                    out.append(denied)
                    continue
            if remember is not None:
                remember(c, row, args)
            reply = call(row, args)
            if reply.__class__ is bytes:
                out.append(reply)
            elif reply.__class__ is list:  # a large reply kept in chunks
                out.extend(reply)
                c.unjoined = True
            elif reply.__class__ is ReplySwitch:
                # CLIENT REPLY: it rules from the EXEC reply on, which it
                # stays an element of (Redis lets it cut the array short)
                out.append(reply.reply or OK)
                switched = True
            else:  # a reply that would wait: blocking commands check c.in_multi
                c.server.blocking.cancel(c)
                out.append(c.server.error_reply(b"ERR internal error"))
    finally:
        c.out = batch_out
    tx.discard()
    if c.track is not None:  # CLIENT CACHING covered the transaction, and ends with it
        c.track.caching = False
    pause = c.server.pause
    if pause.deferred:  # a CLIENT PAUSE in the transaction: the dataset stops now
        pause.settle()
    if switched:
        return ReplySwitch(b"".join(out))
    return b"".join(out)


def discard(c: Client, argv: list[bytes]) -> bytes:
    """DISCARD -> +OK (the queue and every watch are dropped)

    Complexity: O(N), when N is the number of queued commands
    """
    tx = c.tx
    if tx is None or tx.queue is None:
        raise CommandError(b"ERR DISCARD without MULTI")
    tx.discard()
    return OK


def watch(c: Client, argv: list[bytes]) -> bytes:
    """WATCH key [key ...] -> +OK

    Complexity: O(1) for every key.
    """
    if c.in_multi:
        raise CommandError(b"ERR WATCH inside MULTI is not allowed")
    tx = _tx(c)
    if tx.dirty_cas:  # already doomed: nothing to watch for
        return OK
    db = c.db
    add = tx.watches.watch
    for i in range(1, len(argv)):
        add(tx, db, argv[i])
    return OK


def unwatch(c: Client, argv: list[bytes]) -> bytes:
    """UNWATCH -> +OK

    Complexity: O(1)
    """
    tx = c.tx
    if tx is not None:
        if tx.watched:
            tx.watches.unwatch_all(tx)
        tx.dirty_cas = False
    return OK


_TX = "transaction"


def make_commands() -> list[Command]:
    # Flags as Redis 7.0's command table.
    f = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY
    return [
        Command(b"MULTI", multi, 1, f, group=_TX, since="1.2.0"),
        Command(
            b"EXEC", exec_, 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, group=_TX, since="1.2.0"
        ),
        Command(b"DISCARD", discard, 1, f, group=_TX, since="2.0.0"),
        Command(b"WATCH", watch, -2, f, 1, -1, 1, group=_TX, since="2.2.0"),
        Command(b"UNWATCH", unwatch, 1, f, group=_TX, since="2.2.0"),
    ]
