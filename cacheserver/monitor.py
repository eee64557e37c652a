"""MONITOR (redis ``monitorCommand``, ``replicationFeedMonitors``).

A client that sends MONITOR gets, from then on, a status line for every
command any client runs on the Redis port::

    +1700000000.123456 [0 127.0.0.1:50312] "SET" "k" "v"

the time, the database after the command, the client's address, and the
arguments quoted as ``sdscatrepr`` quotes them (secrets "(redacted)" as in
the slow log).  Admin commands (CONFIG, DEBUG, CLIENT LIST...) are not
shown, nor commands refused before running; the commands EXEC runs are
shown as they run, before EXEC itself.  The monitoring client may still
send commands that touch no key (PING, INFO, RESET, QUIT); the rest get
Redis's "Replica can't interact with the keyspace".

The walk pays nothing while nobody monitors: while someone does, the slow
command threshold (``Server.slow_ns``) is -1, so every command reaches
``Client.slow``, which feeds the monitors.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cacheserver.commands.table import ADMIN, MAY_REPLICATE, READONLY, SKIP_MONITOR, WRITE
from cacheserver.pubsub import deliver

if TYPE_CHECKING:
    from cacheserver.commands.table import Command
    from cacheserver.connection import Client

__all__ = ["REPLICA_KEYSPACE", "feed", "gate", "quote"]

REPLICA_KEYSPACE = b"ERR Replica can't interact with the keyspace"
MODE = "monitor"

_UNSHOWN = ADMIN | SKIP_MONITOR
_KEYSPACE = READONLY | WRITE | MAY_REPLICATE

# bytes sdscatrepr writes as they are: printable ASCII but the quote and backslash
_PLAIN = bytes(b for b in range(0x20, 0x7F) if b not in b'"\\')
_ESCAPES = {
    ord("\\"): b"\\\\",
    ord('"'): b'\\"',
    10: b"\\n",
    13: b"\\r",
    9: b"\\t",
    7: b"\\a",
    8: b"\\b",
}
_QUOTED = [_ESCAPES.get(b) or (bytes([b]) if b in _PLAIN else b"\\x%02x" % b) for b in range(256)]


def quote(arg: bytes) -> bytes:
    """``arg`` in double quotes, escaped as redis ``sdscatrepr``."""
    if not arg.translate(None, _PLAIN):  # nothing to escape: the common case
        return b'"' + arg + b'"'
    return b'"' + b"".join(map(_QUOTED.__getitem__, arg)) + b'"'


def feed(c: Client, row: Command, argv: list[bytes]) -> None:
    """Show ``argv``, just run by ``c``, to every monitoring client."""
    if row.flags & _UNSHOWN:
        return
    srv = c.server
    if row.redact is not None:
        argv = row.redact(argv)
    sec, ns = divmod(time.time_ns(), 1_000_000_000)
    if c.kind == "unix":
        addr = b"unix:" + srv.config["unixsocket"].encode()
    else:
        addr = c.addr.encode()
    line = b"+%d.%06d [%d %s] %s\r\n" % (
        sec,
        ns // 1000,
        c.db.id,
        addr,
        b" ".join(map(quote, argv)),
    )
    for m in srv.monitors:
        deliver(m, line)


def gate(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """The monitoring client's intercept: commands that read or write keys
    are refused (redis ``processCommand``, for replicas and monitors); the
    rest go on to the client's other mode, if any."""
    if row.flags & _KEYSPACE:
        return c.rejected(row, REPLICA_KEYSPACE)
    nxt = c.next_intercept(MODE)
    return None if nxt is None else nxt(c, row, argv)


def start(c: Client) -> None:
    """``c`` monitors from now on."""
    srv = c.server
    srv.monitors.append(c)
    c.set_mode(MODE, gate)
    srv.set_slow_threshold()


def stop(c: Client) -> None:
    """``c`` monitors no more (RESET, or it went away)."""
    srv = c.server
    if c in srv.monitors:
        srv.monitors.remove(c)
        c.set_mode(MODE, None)
        srv.set_slow_threshold()
