"""The command table: one declarative row per command.

Flags follow redis ``server.h`` (``CMD_WRITE``, ``CMD_READONLY`` ...):

- WRITE: may modify the keyspace.
- READONLY: reads keys only.
- DENYOOM: may grow memory; refused with ``-OOM`` over maxmemory.
- ADMIN: administrative (``@admin @dangerous``).
- PUBSUB: pub/sub related.
- NOSCRIPT: not allowed from scripts.
- BLOCKING: may block the client.
- LOADING: allowed while loading.
- STALE: allowed on a stale replica.
- FAST: O(1) or O(log N); never blocks for long (``@fast``, else ``@slow``).
- NO_AUTH: allowed before AUTH.
- NO_MULTI: not allowed inside MULTI.
- MOVABLE_KEYS: key positions depend on the arguments (``getkeys`` tells).
- ALLOW_BUSY, SKIP_SLOWLOG, SKIP_MONITOR, NO_ASYNC_LOADING: as Redis (shown by COMMAND INFO).
- MAY_REPLICATE: not a write, yet propagated (PUBLISH): CLIENT PAUSE WRITE
  holds it as it holds writes.  COMMAND INFO does not show it, as Redis hides it.

Arity counts the command name; a negative arity means "at least -arity"
(redis ``commandCheckArity``).  ``first``, ``last``, ``step`` give key
positions (``last`` -1 = the last argument), as in Redis's legacy key spec.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cacheserver.connection import Client


class Flag(enum.IntFlag):
    WRITE = 1 << 0
    READONLY = 1 << 1
    DENYOOM = 1 << 2
    ADMIN = 1 << 3
    PUBSUB = 1 << 4
    NOSCRIPT = 1 << 5
    BLOCKING = 1 << 6
    LOADING = 1 << 7
    STALE = 1 << 8
    SKIP_MONITOR = 1 << 9
    SKIP_SLOWLOG = 1 << 10
    FAST = 1 << 11
    NO_AUTH = 1 << 12
    NO_MULTI = 1 << 13
    MOVABLE_KEYS = 1 << 14
    ALLOW_BUSY = 1 << 15
    MAY_REPLICATE = 1 << 16
    NO_ASYNC_LOADING = 1 << 17


WRITE = Flag.WRITE
READONLY = Flag.READONLY
DENYOOM = Flag.DENYOOM
ADMIN = Flag.ADMIN
PUBSUB = Flag.PUBSUB
NOSCRIPT = Flag.NOSCRIPT
BLOCKING = Flag.BLOCKING
LOADING = Flag.LOADING
STALE = Flag.STALE
SKIP_MONITOR = Flag.SKIP_MONITOR
SKIP_SLOWLOG = Flag.SKIP_SLOWLOG
FAST = Flag.FAST
NO_AUTH = Flag.NO_AUTH
NO_MULTI = Flag.NO_MULTI
MOVABLE_KEYS = Flag.MOVABLE_KEYS
ALLOW_BUSY = Flag.ALLOW_BUSY
MAY_REPLICATE = Flag.MAY_REPLICATE
NO_ASYNC_LOADING = Flag.NO_ASYNC_LOADING

# Names as COMMAND INFO prints them, in redis's order (MAY_REPLICATE is hidden).
FLAG_NAMES: tuple[tuple[Flag, bytes], ...] = (
    (WRITE, b"write"),
    (READONLY, b"readonly"),
    (DENYOOM, b"denyoom"),
    (ADMIN, b"admin"),
    (PUBSUB, b"pubsub"),
    (NOSCRIPT, b"noscript"),
    (BLOCKING, b"blocking"),
    (LOADING, b"loading"),
    (STALE, b"stale"),
    (SKIP_MONITOR, b"skip_monitor"),
    (SKIP_SLOWLOG, b"skip_slowlog"),
    (FAST, b"fast"),
    (NO_AUTH, b"no_auth"),
    (NO_ASYNC_LOADING, b"no_async_loading"),
    (NO_MULTI, b"no_multi"),
    (MOVABLE_KEYS, b"movablekeys"),
    (ALLOW_BUSY, b"allow_busy"),
)

# ns.bit_length() of a command's time: 64 covers any int64 nanoseconds
HIST_BUCKETS = 65

Handler = Callable[["Client", list[bytes]], Any]


# Client.quiet (CLIENT REPLY): OFF drops every reply until ON; SKIP drops the
# next command's; SKIP_NEXT is CLIENT REPLY SKIP's own mark, which becomes
# SKIP once that command's (empty) reply is through (redis CLIENT_REPLY_*)
QUIET_OFF = 1
QUIET_SKIP = 2
QUIET_SKIP_NEXT = 4


class ReplySwitch:
    """A handler's result when it changed what happens to the client's
    replies (CLIENT REPLY, RESET, an EXEC that ran CLIENT REPLY): the walk
    picks its reply target again, then appends ``reply`` under the new rule
    (``Client.switched``)."""

    __slots__ = ("reply",)

    def __init__(self, reply: bytes) -> None:
        self.reply = reply

GetKeys = Callable[[list[bytes]], list[int]]

# Commands as brief as a FAST one here, though Redis leaves them out of @fast
# because they may free a big old value at once: here a dropped value of more
# than lazyfree.HUGE elements is always freed in steps, so an overwrite frees
# a bounded amount (well under the 10 ms under which calls are timed in runs).
BRIEF = frozenset({b"set", b"setex", b"psetex"})


class Command:
    """One row: a command or a subcommand (``CONFIG|GET``) and its counters."""

    __slots__ = (
        "alone",
        "arity",
        "brief",
        "categories",
        "failed_calls",
        "first",
        "flags",
        "fullname",
        "getkeys",
        "group",
        "handler",
        "hist",
        "last",
        "least",
        "name",
        "nsec",
        "parent",
        "redact",
        "rejected_calls",
        "since",
        "step",
        "subcommands",
    )

    def __init__(
        self,
        name: bytes,
        handler: Handler | None,
        arity: int,
        flags: Flag | int,
        first: int = 0,
        last: int = 0,
        step: int = 0,
        *,
        group: str = "",
        categories: tuple[str, ...] = (),
        getkeys: GetKeys | None = None,
        since: str = "1.0.0",
        subcommands: tuple[Command, ...] = (),
        redact: Callable[[list[bytes]], list[bytes]] | None = None,
    ) -> None:
        self.name = name.lower()
        self.handler = handler
        self.arity = arity
        # the walk's arity test is ``n != arity and n < least``: a variable
        # arity (-N) passes any N or more arguments, a fixed one only its own
        self.least = -arity if arity < 0 else 1 << 62
        self.flags = Flag(flags)
        self.first = first
        self.last = last
        self.step = step
        self.group = group
        self.categories = categories
        self.getkeys = getkeys
        self.since = since
        # the argv as the slow log shows it, secrets replaced by "(redacted)"
        # (redis redactClientCommandArgument); None: shown as sent
        self.redact = redact
        self.subcommands: dict[bytes, Command] = {}
        self.parent: Command | None = None
        self.fullname = self.name
        for sub in subcommands:
            sub.parent = self
            sub.fullname = self.name + b"|" + sub.name
            sub.group = sub.group or group
            self.subcommands[sub.name] = sub
        # time spent, and its histogram: hist[i] counts the calls that took
        # [2**(i-1), 2**i) nanoseconds (i = ns.bit_length(); 0 for 0 ns),
        # read by LATENCY HISTOGRAM, INFO latencystats and /metrics; the
        # histogram is the call count too (one increment less per command)
        self.nsec = 0
        self.hist = [0] * HIST_BUCKETS
        # whether each call is timed alone; if not (a brief command while
        # no threshold wants each call's time), a run of calls in a pipeline
        # is timed as one (Client.process, Server.set_slow_threshold)
        self.brief = bool(self.flags & FAST) or self.name in BRIEF
        self.alone = not self.brief
        self.rejected_calls = 0
        self.failed_calls = 0

    def fits(self, n: int) -> bool:
        """Whether ``n`` arguments (the name counted) suit the arity."""
        return self.arity == n or n >= self.least

    @property
    def calls(self) -> int:
        """Calls that ran (refused ones are ``rejected_calls``)."""
        return sum(self.hist)

    @property
    def doc(self) -> str:
        """First docstring line of the handler: the wire syntax."""
        text = (self.handler.__doc__ if self.handler else "") or ""
        return text.strip().splitlines()[0] if text.strip() else ""

    def acl_categories(self) -> list[str]:
        """ACL categories as redis derives them (``setImplicitACLCategories``)."""
        cats: list[str] = []
        f = self.flags
        if f & WRITE:
            cats.append("write")
        if f & READONLY and "scripting" not in self.categories:
            cats.append("read")
        if f & ADMIN:
            cats += ["admin", "dangerous"]
        if f & PUBSUB:
            cats.append("pubsub")
        if f & FAST:
            cats.append("fast")
        if f & BLOCKING:
            cats.append("blocking")
        if not f & FAST:
            cats.append("slow")
        # a container (CLIENT, CONFIG) carries no group category of its own;
        # @pubsub comes from the PUBSUB flag only (PUBSUB HELP has neither)
        group = "" if self.subcommands or self.group == "pubsub" else self.group
        for c in (group, *self.categories):
            if c and c not in cats and c in ACL_CATEGORIES:
                cats.append(c)
        return sorted(cats, key=ACL_CATEGORIES.index)

    def key_positions(self, argv: list[bytes]) -> list[int]:
        """Indexes of the key arguments in ``argv`` (redis ``getKeysFromCommand``)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first <= 0:
            return []
        last = self.last if self.last >= 0 else len(argv) + self.last
        return list(range(self.first, min(last, len(argv) - 1) + 1, self.step or 1))


ACL_CATEGORIES = (
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
)


class Table:
    """Name -> row lookup, case-insensitive; built once from the families."""

    __slots__ = ("by_name", "rows")

    def __init__(self, rows: list[Command]) -> None:
        self.rows: dict[bytes, Command] = {}
        # exact-case lookups first (GET, get); anything else goes through lower()
        self.by_name: dict[bytes, Command] = {}
        for row in rows:
            if row.name in self.rows:
                raise ValueError(f"duplicate command {row.name!r}")
            self.rows[row.name] = row
            self.by_name[row.name] = row
            self.by_name[row.name.upper()] = row

    def lookup(self, name: bytes) -> Command | None:
        row = self.by_name.get(name)
        if row is None:
            row = self.by_name.get(name.lower())
        return row

    def all_rows(self) -> list[Command]:
        """Every row and subcommand row, for stats."""
        out: list[Command] = []
        for row in self.rows.values():
            out.append(row)
            out.extend(row.subcommands.values())
        return out

    def rename(self, old: bytes, new: bytes) -> None:
        """``rename-command old new``: the command answers to ``new`` only (an
        empty ``new`` removes it).  The row keeps its own name, counters and
        COMMAND INFO entry, as redis moves the dict entry, not the command.
        ValueError with redis's config-file text."""
        row = self.lookup(old)
        if row is None:
            raise ValueError("No such command in rename-command")
        self._drop(row)
        if new:
            key = new.lower()
            if key in self.rows:
                raise ValueError("Target command name already exists")
            self.rows[key] = row
            self.by_name[key] = row
            self.by_name[key.upper()] = row

    def disable(self, name: bytes) -> None:
        """``disabled-commands``: ``name`` (or ``container|sub``) answers as an
        unknown command (subcommand).  ValueError for a name not in the table."""
        parent, _, sub = name.lower().partition(b"|")
        row = self.lookup(parent)
        if row is None or (sub and sub not in row.subcommands):
            raise ValueError(
                f"No such command in disabled-commands: {name.decode(errors='replace')}"
            )
        if sub:
            del row.subcommands[sub]
        else:
            self._drop(row)

    def _drop(self, row: Command) -> None:
        for key in [k for k, r in self.rows.items() if r is row]:
            del self.rows[key]
        for key in [k for k, r in self.by_name.items() if r is row]:
            del self.by_name[key]
