"""The classic text commands (memcached ``proto_text.c``).

A handler gets the connection and the command line's tokens (split on
spaces as memcached's tokenizer does) and returns the reply bytes, None for
no reply (``noreply``), or, for a storage command whose line is valid, the
number of bytes of the data block to read (value plus CRLF); the
connection then calls the completion stored in ``c.pending`` with the value.

Token-count checks and error texts are memcached 1.6's: a wrong count is
``ERROR``, a bad number ``CLIENT_ERROR bad command line format`` (or the
command's own text), and ``noreply`` hides every reply of the command,
errors included.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from cacheserver.memcached import ops
from cacheserver.memcached.items import KEY_MAX, item_size
from cacheserver.memcached.ops import ADD, APPEND, CAS, PREPEND, REPLACE, SET
from cacheserver.memcached.tokens import strtol32, strtoul32, strtoull
from protocol.resp import BIG_BULK

if TYPE_CHECKING:
    from cacheserver.memcached.connection import McConnection

VERSION = b"1.6.18"  # the memcached whose protocol this speaks

ERROR = b"ERROR\r\n"
BAD_FORMAT = b"CLIENT_ERROR bad command line format\r\n"
BAD_CHUNK = b"CLIENT_ERROR bad data chunk\r\n"
BAD_EXPTIME = b"CLIENT_ERROR invalid exptime argument\r\n"
BAD_DELTA = b"CLIENT_ERROR invalid numeric delta argument\r\n"
NON_NUMERIC = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
DELETE_USAGE = b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
TOO_LARGE = b"SERVER_ERROR object too large for cache\r\n"
NO_MEMORY = b"SERVER_ERROR out of memory storing object\r\n"
END = b"END\r\n"
OK = b"OK\r\n"
DELETED = b"DELETED\r\n"
TOUCHED = b"TOUCHED\r\n"
NOT_FOUND = b"NOT_FOUND\r\n"
STORED = b"STORED\r\n"
STORE_REPLIES = (STORED, b"EXISTS\r\n", b"NOT_FOUND\r\n", b"NOT_STORED\r\n")
INT_MAX = 2**31 - 1


class DropBatch(bytes):
    """An error reply that also drops the replies not yet sent: a get with a
    too-long key releases every response memcached has queued since it last
    wrote (``conn_release_items``)."""


GET_BAD_KEY = DropBatch(b"CLIENT_ERROR bad command line format\r\n")


# -- retrieval -------------------------------------------------------------------


def get(c: McConnection, parts: list[bytes]) -> bytes | list[bytes] | None:
    """get <key>* -> VALUE <key> <flags> <bytes>\\r\\n<data>\\r\\n ... END"""
    if len(parts) == 2:  # the hot path: one key
        key = parts[1]
        if len(key) > KEY_MAX:
            return GET_BAD_KEY
        value = ops.find(c, key)
        if (ps := c.db.ks.prefix_stats) is not None:  # ops.read, inline: the hot path
            ps.count(key, value is not None)
        stats = c.stats
        stats.cmd_get += 1
        if value is None:
            if c.server.loaders is not None:  # read-through
                loaded = ops.load_missed(c, get, parts, (key,))
                if loaded is not None:
                    stats.cmd_get -= 1  # counted when it runs again
                    return loaded  # type: ignore[no-any-return]
            stats.get_misses += 1
            return END
        stats.get_hits += 1
        items = c.items
        if items.track_fetch:
            items.mark_fetched(key)
        flags = items.flags.get(key, 0) if items.flags else 0
        if len(value) < BIG_BULK or value.__class__ is not bytes:
            return b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, flags, len(value), value)
        # a big value is written in parts, not copied (protocol.resp.bulk_reply)
        return [b"VALUE %s %d %d\r\n" % (key, flags, len(value)), value, b"\r\nEND\r\n"]
    if len(parts) < 2:
        return ERROR
    # several keys: the lookup inlined (ops.find), counters summed at the end
    db = c.db
    data = db.data
    expires = db.expires
    access = db.access
    mark = db.ks.read_mark  # the access mark of a read (keyspace module docstring)
    items = c.items
    iflags = items.flags
    out: list[bytes] = []
    append = out.append
    hits = misses = 0
    missed: list[bytes] | None = [] if c.server.loaders is not None else None
    ps = db.ks.prefix_stats  # metrics-key-prefixes (ops.read)
    for i in range(1, len(parts)):
        key = parts[i]
        if len(key) > KEY_MAX:
            _count_gets(c, hits, misses)
            return GET_BAD_KEY
        value = data.get(key)
        if value is not None and expires and key in expires and db._expire_if_due(key, c.now):
            c.stats.get_expired += 1
            value = None
        if value is None or (value.__class__ is not bytes and value.__class__ is not bytearray):
            misses += 1
            if ps is not None:
                ps.count(key, False)
            if value is None and missed is not None:
                missed.append(key)
            continue
        if ps is not None:
            ps.count(key, True)
        access[key] = mark
        hits += 1
        if items.track_fetch:
            items.mark_fetched(key)
        append(
            b"VALUE %s %d %d\r\n%s\r\n"
            % (key, iflags.get(key, 0) if iflags else 0, len(value), value)
        )
    if missed:
        loaded = ops.load_missed(c, get, parts, missed)
        if loaded is not None:
            return loaded  # type: ignore[no-any-return]
    _count_gets(c, hits, misses)
    if not out:
        return END
    append(END)
    return b"".join(out)


def _count_gets(c: McConnection, hits: int, misses: int) -> None:
    stats = c.stats
    stats.cmd_get += hits + misses
    stats.get_hits += hits
    stats.get_misses += misses


def gets(c: McConnection, parts: list[bytes]) -> bytes | None:
    """gets <key>* -> VALUE <key> <flags> <bytes> <cas unique>\\r\\n<data>\\r\\n ... END"""
    if len(parts) < 2:
        return ERROR
    return _retrieve(c, parts, 1, True, None)


def gat(c: McConnection, parts: list[bytes]) -> bytes | None:
    """gat <exptime> <key>* -> as get, each hit's TTL replaced"""
    return _gat(c, parts, False)


def gats(c: McConnection, parts: list[bytes]) -> bytes | None:
    """gats <exptime> <key>* -> as gets, each hit's TTL replaced"""
    return _gat(c, parts, True)


def _gat(c: McConnection, parts: list[bytes], with_cas: bool) -> bytes | None:
    if len(parts) < 2:
        return ERROR
    exptime = strtol32(parts[1])
    if exptime is None:
        return BAD_EXPTIME
    return _retrieve(c, parts, 2, with_cas, ops.deadline_of(c, exptime))


def _retrieve(
    c: McConnection, parts: list[bytes], first: int, with_cas: bool, deadline: int | None
) -> bytes:
    """gets, gat, gats over their keys (memcached ``process_get_command``)."""
    out: list[bytes] = []
    items = c.items
    stats = c.stats
    find = ops.read
    # gets loads what it misses (cacheserver.loaders); gat and gats do not
    missed: list[bytes] | None = [] if deadline is None and c.server.loaders is not None else None
    for i in range(first, len(parts)):
        key = parts[i]
        if len(key) > KEY_MAX:
            return GET_BAD_KEY
        value = find(c, key)
        if deadline is None:
            stats.cmd_get += 1
        else:
            stats.cmd_touch += 1
        if value is None:
            if deadline is None:
                stats.get_misses += 1
                if missed is not None:
                    missed.append(key)
            else:
                stats.touch_misses += 1
            continue
        if deadline is None:
            stats.get_hits += 1
        else:
            stats.touch_hits += 1
        if items.track_fetch:
            items.mark_fetched(key)
        flags = items.flags.get(key, 0) if items.flags else 0
        if with_cas:
            head = b"VALUE %s %d %d %d\r\n" % (key, flags, len(value), items.get_cas(key))
        else:
            head = b"VALUE %s %d %d\r\n" % (key, flags, len(value))
        out.append(head + value + b"\r\n")
        if deadline is not None:
            ops.touch(c, key, deadline)
    if missed:
        loaded = ops.load_missed(c, gets, parts, missed)
        if loaded is not None:
            # counted when it runs again
            n = len(parts) - first
            stats.cmd_get -= n
            stats.get_misses -= len(missed)
            stats.get_hits -= n - len(missed)
            return loaded  # type: ignore[no-any-return]
    out.append(END)
    return b"".join(out)


# -- storage ---------------------------------------------------------------------


def set_(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """set <key> <flags> <exptime> <bytes> [noreply]\\r\\n<data>\\r\\n -> STORED"""
    if len(parts) == 5 and parts[2] == b"0" and parts[3] == b"0":
        # the hot path: no flags, no TTL, a reply
        key, v = parts[1], parts[4]
        if len(key) <= KEY_MAX and v.isdigit() and len(v) < 10:
            vlen = int(v)
            if item_size(len(key), 0, vlen) <= c.svc.item_size_max:
                c.pending = (_complete_plain_set, key)
                return vlen + 2
    return _update(c, parts, SET)


def _complete_plain_set(c: McConnection, pending: tuple[Any, ...], value: bytes | None) -> bytes:
    c.stats.cmd_set += 1
    if value is None:
        return BAD_CHUNK
    key = pending[1]
    db = c.db
    if db.expires and key in db.expires:
        db.lookup(key, c.now)  # a due key expires first, as Redis SET
    ops.put(c, key, value, 0, 0)
    return STORED


def add(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """add <key> <flags> <exptime> <bytes> [noreply] -> STORED | NOT_STORED (exists)"""
    return _update(c, parts, ADD)


def replace(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """replace <key> <flags> <exptime> <bytes> [noreply] -> STORED | NOT_STORED (missing)"""
    return _update(c, parts, REPLACE)


def append(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """append <key> <flags> <exptime> <bytes> [noreply] -> STORED | NOT_STORED"""
    return _update(c, parts, APPEND)


def prepend(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """prepend <key> <flags> <exptime> <bytes> [noreply] -> STORED | NOT_STORED"""
    return _update(c, parts, PREPEND)


def cas(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """cas <key> <flags> <exptime> <bytes> <cas unique> [noreply] -> STORED | EXISTS | NOT_FOUND"""
    if len(parts) != 6 and len(parts) != 7:
        return ERROR
    return _update(c, parts, CAS)


def _update(c: McConnection, parts: list[bytes], comm: int) -> bytes | int | None:
    """The line of a storage command (memcached ``process_update_command``)."""
    n = len(parts)
    if comm != CAS and n != 5 and n != 6:
        return ERROR
    noreply = parts[-1] == b"noreply"
    key = parts[1]
    if len(key) > KEY_MAX:
        return None if noreply else BAD_FORMAT
    f, e, v = parts[2], parts[3], parts[4]
    if f.isdigit() and e.isdigit() and v.isdigit() and len(f) < 10 and len(e) < 10 and len(v) < 10:
        flags, exptime, vlen = int(f), int(e), int(v)
    else:
        flags, exptime, vlen = strtoul32(f), strtol32(e), strtol32(v)  # type: ignore[assignment]
        if flags is None or exptime is None or vlen is None:
            return None if noreply else BAD_FORMAT
    deadline = ops.deadline_of(c, exptime) if exptime else 0
    req_cas = 0
    if comm == CAS:
        parsed = strtoull(parts[5])
        if parsed is None:
            return None if noreply else BAD_FORMAT
        req_cas = parsed
    if vlen < 0 or vlen > INT_MAX - 2:
        return None if noreply else BAD_FORMAT
    if item_size(len(key), flags, vlen) > c.svc.item_size_max:
        c.stats.store_too_large += 1
        c.swallow = vlen + 2
        if comm == SET and ops.find(c, key, touch=False) is not None:
            ops.remove(c, key)  # a failed set leaves no stale value behind
        return None if noreply else TOO_LARGE
    c.pending = (complete_update, comm, key, flags, deadline, req_cas, noreply)
    return vlen + 2


def complete_update(c: McConnection, pending: tuple[Any, ...], value: bytes | None) -> bytes | None:
    """The data block of a storage command arrived (``complete_nread_ascii``);
    None for a block not ending in CRLF."""
    _, comm, key, flags, deadline, req_cas, noreply = pending
    c.stats.cmd_set += 1
    if value is None:
        return None if noreply else BAD_CHUNK
    ret = ops.store(c, comm, key, flags, deadline, req_cas, value)
    return None if noreply else STORE_REPLIES[ret]


# -- other item commands ---------------------------------------------------------


def delete(c: McConnection, parts: list[bytes]) -> bytes | None:
    """delete <key> [0] [noreply] -> DELETED | NOT_FOUND"""
    n = len(parts)
    if n < 2 or n > 4:
        return ERROR
    noreply = False
    if n > 2:
        # a hold time of 0 is still accepted, from clients of long ago
        zero = parts[2] == b"0"
        noreply = parts[-1] == b"noreply"
        if not ((n == 3 and (zero or noreply)) or (n == 4 and zero and noreply)):
            return None if noreply else DELETE_USAGE
    key = parts[1]
    if len(key) > KEY_MAX:
        return None if noreply else BAD_FORMAT
    if ops.find(c, key, touch=False) is not None:
        ops.remove(c, key)
        c.stats.delete_hits += 1
        return None if noreply else DELETED
    c.stats.delete_misses += 1
    return None if noreply else NOT_FOUND


def incr(c: McConnection, parts: list[bytes]) -> bytes | None:
    """incr <key> <value> [noreply] -> the new value | NOT_FOUND"""
    return _arith(c, parts, True)


def decr(c: McConnection, parts: list[bytes]) -> bytes | None:
    """decr <key> <value> [noreply] -> the new value (not below 0) | NOT_FOUND"""
    return _arith(c, parts, False)


def _arith(c: McConnection, parts: list[bytes], incr: bool) -> bytes | None:
    if len(parts) != 3 and len(parts) != 4:
        return ERROR
    noreply = parts[-1] == b"noreply"
    key = parts[1]
    if len(key) > KEY_MAX:
        return None if noreply else BAD_FORMAT
    amount = strtoull(parts[2])
    if amount is None:
        return None if noreply else BAD_DELTA
    ret, value = ops.delta(c, key, incr, amount)
    if ret == ops.DELTA_OK:
        return None if noreply else value + b"\r\n"
    if ret == ops.NON_NUMERIC:
        return None if noreply else NON_NUMERIC
    if incr:
        c.stats.incr_misses += 1
    else:
        c.stats.decr_misses += 1
    return None if noreply else NOT_FOUND


def touch(c: McConnection, parts: list[bytes]) -> bytes | None:
    """touch <key> <exptime> [noreply] -> TOUCHED | NOT_FOUND"""
    if len(parts) != 3 and len(parts) != 4:
        return ERROR
    noreply = parts[-1] == b"noreply"
    key = parts[1]
    if len(key) > KEY_MAX:
        return None if noreply else BAD_FORMAT
    exptime = strtol32(parts[2])
    if exptime is None:
        return None if noreply else BAD_EXPTIME
    stats = c.stats
    stats.cmd_touch += 1
    if ops.find(c, key) is None:
        stats.touch_misses += 1
        return None if noreply else NOT_FOUND
    stats.touch_hits += 1
    ops.touch(c, key, ops.deadline_of(c, exptime))
    return None if noreply else TOUCHED


# -- server commands -------------------------------------------------------------


def flush_all(c: McConnection, parts: list[bytes]) -> bytes | None:
    """flush_all [delay] [noreply] -> OK (every item invalid now, or after delay seconds)"""
    n = len(parts)
    if n > 3:
        return ERROR
    noreply = parts[-1] == b"noreply"
    c.stats.cmd_flush += 1
    exptime = 0
    if n != (2 if noreply else 1):
        parsed = strtol32(parts[1])
        if parsed is None:
            return None if noreply else BAD_EXPTIME
        exptime = parsed
    c.svc.flush_all(c, exptime)
    return None if noreply else OK


def version(c: McConnection, parts: list[bytes]) -> bytes:
    """version -> VERSION 1.6.18"""
    return b"VERSION " + VERSION + b"\r\n"


def verbosity(c: McConnection, parts: list[bytes]) -> bytes | None:
    """verbosity <level> [noreply] -> OK (accepted; cacheserver's log level is loglevel)"""
    if len(parts) != 2 and len(parts) != 3:
        return ERROR
    noreply = parts[-1] == b"noreply"
    if strtoul32(parts[1]) is None:
        return None if noreply else BAD_FORMAT
    return None if noreply else OK


def quit_(c: McConnection, parts: list[bytes]) -> None:
    """quit -> (the connection closes after the replies before it)"""
    c.close_after = True


def shutdown(c: McConnection, parts: list[bytes]) -> bytes:
    """shutdown -> ERROR: shutdown not enabled (memcached without -A)"""
    return b"ERROR: shutdown not enabled\r\n"


def config(c: McConnection, parts: list[bytes]) -> bytes:
    """config get cluster -> ElastiCache auto-discovery: this node alone

    ``CONFIG cluster 0 <len>\\r\\n<version>\\n<host>|<ip>|<port>\\n\\r\\nEND\\r\\n``"""
    if len(parts) != 3 or parts[1] != b"get" or parts[2] != b"cluster":
        return ERROR
    ip = c.local_ip or "127.0.0.1"
    host = c.svc.cluster_hostname or socket.gethostname()
    body = b"%d\n%s|%s|%d\n" % (1, host.encode(), ip.encode(), c.svc.port)
    return b"CONFIG cluster 0 %d\r\n%s\r\nEND\r\n" % (len(body), body)


def mn(c: McConnection, parts: list[bytes]) -> bytes:
    """mn -> MN (meta no-op: ends a pipeline of quiet meta commands)"""
    return b"MN\r\n"
