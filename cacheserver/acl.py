"""Users and permissions as Redis 7.0 ``acl.c``.

A user has flags (on/off, nopass, sanitize-payload), SHA-256 hex password
hashes, and selectors: the root selector (the rules written outside
parentheses) and any ``(...)`` selectors after it.  A selector allows a set
of commands (by full name, ``config|get``; the reserved "future commands" bit
is set only by ``+@all``), keys by glob pattern with read and/or write
access, and Pub/Sub channels by glob pattern.  A command runs when any
selector allows the command, every key it names and every channel.

Enforcement costs nothing for a client whose user may do everything (the
``default`` user as shipped): ``Client.user`` is consulted only through the
``acl`` gate, an intercept installed on the clients that need it (a
restricted user, or not authenticated while the default user wants a
password).  A restricted user pays a set lookup per command and a glob
match per key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cacheserver.commands.keyspecs import KEY_SPEC_FLAGS, NUMKEYS, numkeys_keys_and_flags
from cacheserver.commands.table import ACL_CATEGORIES, NO_AUTH, READONLY, Command
from cacheserver.commands.table import WRITE as WRITE_FLAG
from cacheserver.errors import CommandError
from cacheserver.glob import compile_matcher

if TYPE_CHECKING:
    from cacheserver.connection import Client, Intercept
    from cacheserver.server import Server

log = logging.getLogger("cacheserver")

# key permissions (redis ACL_READ_PERMISSION / ACL_WRITE_PERMISSION)
READ = 1
WRITE = 2
ALL = READ | WRITE

# check results, in Redis's order of relevance (ACL_DENIED_*)
OK = 0
DENIED_CMD = 1
DENIED_KEY = 2
DENIED_AUTH = 3
DENIED_CHANNEL = 4

NOAUTH = b"NOAUTH Authentication required."
WRONGPASS = b"WRONGPASS invalid username-password pair or user is disabled."
DENIED_TEXT = {
    DENIED_KEY: b"NOPERM this user has no permissions to access one of the keys used as arguments",
    DENIED_CHANNEL: b"NOPERM this user has no permissions to access one of the channels used "
    b"as arguments",
}
EXEC_DENIED = {
    DENIED_CMD: b"no permission to execute the command or subcommand",
    DENIED_KEY: b"no permission to touch the specified keys",
    DENIED_CHANNEL: b"no permission to access one of the channels used as arguments",
}
REASONS = {
    DENIED_CMD: b"command",
    DENIED_KEY: b"key",
    DENIED_CHANNEL: b"channel",
    DENIED_AUTH: b"auth",
}

# user flags, in the order ACL LIST and GETUSER show them
USER_FLAGS = ("on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload")
# rules that set one of two exclusive flags: rule -> (flag set, flag cleared)
EXCLUSIVE_FLAGS: dict[bytes, tuple[str, str]] = {
    b"on": ("on", "off"),
    b"off": ("off", "on"),
    b"sanitize-payload": ("sanitize-payload", "skip-sanitize-payload"),
    b"skip-sanitize-payload": ("skip-sanitize-payload", "sanitize-payload"),
}

ACL_LOG_GROUPING_MS = 60000  # similar denials within a minute share one entry
# failed AUTH: at most this many warnings per window, then a summary
AUTH_LOG_BURST = 10
AUTH_LOG_WINDOW_MS = 60000


class SetUserError(Exception):
    """A rule ACL SETUSER refuses; ``reason`` is Redis's text (``ACLSetUserStringError``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


E_SYNTAX = "Syntax error"
E_UNKNOWN = "Unknown command or category name in ACL"
E_KEYS_ALL = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns"
)
E_CHANNELS_ALL = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels"
)
E_NO_PASSWORD = "The password you are trying to remove from the user does not exist"
E_BAD_HASH = (
    "The password hash must be exactly 64 characters and contain only lowercase "
    "hexadecimal characters"
)
E_SUB_FIRSTARG = "Allowing first-arg of a subcommand is not supported"


def hash_password(password: bytes) -> bytes:
    """SHA-256 hex of a password, as redis ``ACLHashPassword``."""
    return hashlib.sha256(password).hexdigest().encode()


def _valid_hash(h: bytes) -> bool:
    return len(h) == 64 and all(48 <= ch <= 57 or 97 <= ch <= 102 for ch in h)


def _rule_hash(op: bytes) -> bytes:
    """The hash a password rule names: ``>pass``/``<pass`` hashed, ``#hash``/``!hash``
    as given (SetUserError when malformed)."""
    if op[:1] in (b">", b"<"):
        return hash_password(op[1:])
    h = op[1:]
    if not _valid_hash(h):
        raise SetUserError(E_BAD_HASH)
    return h


def has_spaces(s: bytes) -> bool:
    """Whitespace or NUL, refused in user names and patterns (redis ``ACLStringHasSpaces``)."""
    return any(ch in b" \t\n\v\f\r\0" for ch in s)


# -- key and channel access of the commands ----------------------------------

# Per command (full name): the access its first key needs, and the access of
# the others, from Redis 7.0's key specs (``keyspecs``: access = read,
# insert/delete/update = write, as redis ``ACLSelectorCheckKey``; a key
# neither read nor written, as EXISTS's, needs neither).  Commands without
# specs need read for READONLY commands, read and write for WRITE commands.
_R, _W, _RW = READ, WRITE, ALL


def _access(flags: tuple[bytes, ...]) -> int:
    need = READ if b"access" in flags else 0
    if b"insert" in flags or b"delete" in flags or b"update" in flags:
        need |= WRITE
    return need


KEY_ACCESS: dict[bytes, tuple[int, int]] = {
    name: (_access(specs[0]), _access(specs[-1]))
    for name, specs in KEY_SPEC_FLAGS.items()
    if specs[0] != (b"not_key",)
}
# the hash-field TTL family came after Redis 7.0: its specs, as 7.4 declares them
for _name in (b"hexpire", b"hpexpire", b"hexpireat", b"hpexpireat", b"hpersist", b"hsetex"):
    KEY_ACCESS[_name] = (_W, _W)
for _name in (b"hgetex", b"hgetdel"):
    KEY_ACCESS[_name] = (_RW, _RW)

# shard channels sit where keys would (for cluster slots) but are no keys
# (their key specs are NOT_KEY): channel rules cover them
NOT_KEYS = frozenset(name for name, specs in KEY_SPEC_FLAGS.items() if specs[0] == (b"not_key",))


def _set_key_access(argv: list[bytes]) -> int:
    # SET reads its key only with GET (redis setGetKeys: OW update, or RW access update)
    for a in argv[3:]:
        if a.lower() == b"get":
            return ALL
    return WRITE


# commands naming channels: (first argument, how many; 0 = all the rest), literal match
CHANNEL_ARGS: dict[bytes, tuple[int, bool]] = {
    b"publish": (1, False),
    b"spublish": (1, False),
    b"subscribe": (0, False),
    b"ssubscribe": (0, False),
    b"psubscribe": (0, True),
}


# -- selectors and users -----------------------------------------------------


class KeyPattern:
    __slots__ = ("flags", "match", "pattern", "prefix")

    def __init__(self, pattern: bytes, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags
        self.match = compile_matcher(pattern)
        # ``literal*``: a startswith test does the glob's work
        head = pattern[:-1]
        plain = pattern.endswith(b"*") and not any(ch in head for ch in b"*?[\\")
        self.prefix: bytes | None = head if plain else None

    def text(self) -> bytes:
        if self.flags == ALL:
            return b"~" + self.pattern
        return (b"%R~" if self.flags == READ else b"%W~") + self.pattern


class Selector:
    """Commands, keys and channels allowed together (redis ``aclSelector``)."""

    __slots__ = (
        "allchannels",
        "allcommands",
        "allkeys",
        "allowed",
        "channel_matchers",
        "channels",
        "firstargs",
        "future",
        "patterns",
        "root",
    )

    def __init__(self, root: bool, allchannels: bool) -> None:
        self.root = root
        self.allkeys = False
        self.allchannels = allchannels
        self.allcommands = False
        self.future = False  # the reserved bit: set by +@all only
        self.allowed: set[bytes] = set()  # full names
        self.firstargs: dict[bytes, list[bytes]] = {}
        self.patterns: list[KeyPattern] = []
        self.channels: list[bytes] = []
        self.channel_matchers: list[tuple[bytes, object]] = []

    def copy(self) -> Selector:
        s = Selector(self.root, self.allchannels)
        s.allkeys = self.allkeys
        s.allcommands = self.allcommands
        s.future = self.future
        s.allowed = set(self.allowed)
        s.firstargs = {k: list(v) for k, v in self.firstargs.items()}
        s.patterns = [KeyPattern(p.pattern, p.flags) for p in self.patterns]
        s.channels = list(self.channels)
        return s

    def check_key(self, key: bytes, need: int) -> bool:
        if self.allkeys:
            return True
        for p in self.patterns:
            if p.flags & need == need and p.match(key):
                return True
        return False

    def check_channel(self, channel: bytes, literal: bool) -> bool:
        if self.allchannels:
            return True
        for p in self.channels:
            if (p == channel) if literal else _glob(p, channel):
                return True
        return False


_MATCHERS: dict[bytes, object] = {}


def _glob(pattern: bytes, subject: bytes) -> bool:
    m = _MATCHERS.get(pattern)
    if m is None:
        if len(_MATCHERS) > 4096:
            _MATCHERS.clear()
        m = _MATCHERS[pattern] = compile_matcher(pattern)
    return bool(m(subject))  # type: ignore[operator]


class User:
    """One ACL user (redis ``user``)."""

    __slots__ = ("compiled", "flags", "name", "passwords", "selectors", "unrestricted")

    def __init__(self, name: bytes, allchannels: bool = False) -> None:
        self.name = name
        # per command, what the gate must test (see compile_check), built on first use
        self.compiled: dict[Command, object] = {}
        self.flags: set[str] = {"off"}
        self.passwords: list[bytes] = []
        self.selectors: list[Selector] = [Selector(True, allchannels)]
        # every command, key and channel allowed: no check per command
        self.unrestricted = False

    @property
    def enabled(self) -> bool:
        return "on" in self.flags

    @property
    def nopass(self) -> bool:
        return "nopass" in self.flags

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    def copy_from(self, other: User) -> None:
        self.flags = set(other.flags)
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]
        self.update()

    def update(self) -> None:
        """The rules changed: recompute what the gate reads."""
        self.compiled = {}
        self.unrestricted = any(
            s.allcommands and s.allkeys and s.allchannels for s in self.selectors
        )

    def gate(
        self, c: Client, row: Command, argv: list[bytes], _tuple: type = tuple
    ) -> bytes | None:
        """The ``acl`` intercept of this user's clients: NOPERM for what it may
        not do (redis ``processCommand``), else the next mode's intercept.
        The check is reduced once per command (``compile_check``)."""
        verdict = self.compiled.get(row)
        if verdict is not True:
            if verdict is None:
                verdict = self.compiled[row] = compile_check(self, row)
            if verdict.__class__ is _tuple:
                ok = argv[1].startswith(verdict)  # type: ignore[arg-type]
            elif verdict is False:
                ok = False
            elif verdict is True:
                ok = True
            else:
                ok = verdict(argv)  # type: ignore[operator]
            if not ok:
                refused = refuse(c, row, argv)
                if refused is not None:
                    return refused
        nxt = c.after_gate
        return None if nxt is None else nxt(c, row, argv)

    def check_password(self, password: bytes) -> bool:
        """``password`` opens this user (redis ``ACLCheckUserCredentials``)."""
        if not self.enabled:
            return False
        if self.nopass:
            return True
        hashed = hash_password(password)
        ok = False
        for p in self.passwords:
            ok |= hmac.compare_digest(hashed, p)
        return ok


class Acl:
    """Every user, the ACL log, and the command universe rules refer to."""

    def __init__(self, server: Server) -> None:
        self.server = server
        table = server.table
        self.rows: list[Command] = list(table.rows.values())  # top level, table order
        self.by_fullname: dict[bytes, Command] = {r.fullname: r for r in table.all_rows()}
        self.categories: dict[bytes, frozenset[str]] = {
            r.fullname: frozenset(r.acl_categories()) for r in table.all_rows()
        }
        self.users: dict[bytes, User] = {}
        self.default = self.new_default()
        self.users[b"default"] = self.default
        # new connections must AUTH first (redis authRequired, its user part)
        self.need_auth = False
        self.log: deque[LogEntry] = deque()
        self.auth_log_window = 0
        self.auth_log_count = 0
        self.auth_log_dropped = 0

    # -- the command universe -------------------------------------------------

    @property
    def pubsub_default(self) -> bool:
        """New selectors start with all channels (acl-pubsub-default allchannels)."""
        return bool(self.server.config["acl-pubsub-default"] == "allchannels")

    def lookup(self, name: bytes) -> Command | None:
        """A row by ``cmd`` or ``cmd|sub``, strictly (redis ``ACLLookupCommand``)."""
        parts = name.lower().split(b"|")
        if len(parts) > 2:
            return None
        base = self.server.table.rows.get(parts[0])
        if base is None or len(parts) == 1:
            return base
        if not base.subcommands:
            return None
        return base.subcommands.get(parts[1])

    def _change(self, s: Selector, row: Command, allow: bool) -> None:
        """Allow or deny a command, and all its subcommands (``ACLChangeSelectorPerm``)."""
        names = [row.fullname, *(sub.fullname for sub in row.subcommands.values())]
        s.firstargs.pop(row.fullname, None)
        if allow:
            s.allowed.update(names)
        else:
            s.allowed.difference_update(names)
            s.allcommands = False

    def _category(self, s: Selector, rows: Iterable[Command], cat: str, allow: bool) -> None:
        cats = self.categories
        for row in rows:
            if cat in cats[row.fullname]:
                self._change(s, row, allow)
            if row.subcommands:
                self._category(s, row.subcommands.values(), cat, allow)

    def _count(self, allowed: set[bytes], cat: str) -> tuple[int, int]:
        on = off = 0
        for name, cats in self.categories.items():
            if cat in cats:
                if name in allowed:
                    on += 1
                else:
                    off += 1
        return on, off

    # -- rules ------------------------------------------------------------------

    def new_default(self) -> User:
        u = User(b"default")
        for op in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            self.apply(u, op)
        u.update()
        return u

    def apply(self, u: User, op: bytes) -> None:
        """One rule of ACL SETUSER (redis ``ACLSetUser``); SetUserError if refused."""
        if not op:
            return
        low = op.lower()
        flags = u.flags
        exclusive = EXCLUSIVE_FLAGS.get(low)
        if exclusive is not None:
            flags.discard(exclusive[1])
            flags.add(exclusive[0])
        elif low == b"nopass":
            flags.add("nopass")
            u.passwords.clear()
        elif low == b"resetpass":
            flags.discard("nopass")
            u.passwords.clear()
        elif op[:1] in (b">", b"#"):
            h = _rule_hash(op)
            if h not in u.passwords:
                u.passwords.append(h)
            flags.discard("nopass")
        elif op[:1] in (b"<", b"!"):
            h = _rule_hash(op)
            if h not in u.passwords:
                raise SetUserError(E_NO_PASSWORD)
            u.passwords.remove(h)
        elif op[:1] == b"(" and op[-1:] == b")":
            s = Selector(False, self.pubsub_default)
            for part in _split_args(op[1:-1]):
                self.apply_selector(s, part)
            u.selectors.append(s)
        elif low == b"clearselectors":
            del u.selectors[1:]
        elif low == b"reset":
            for step in (b"resetpass", b"resetkeys", b"resetchannels"):
                self.apply(u, step)
            if self.pubsub_default:
                self.apply(u, b"allchannels")
            for step in (b"off", b"sanitize-payload", b"clearselectors", b"-@all"):
                self.apply(u, step)
        else:
            self.apply_selector(u.root, op)

    def apply_selector(self, s: Selector, op: bytes) -> None:
        """One key, channel or command rule (redis ``ACLSetSelector``)."""
        low = op.lower()
        if low in (b"allkeys", b"~*"):
            s.allkeys = True
            s.patterns.clear()
        elif low == b"resetkeys":
            s.allkeys = False
            s.patterns.clear()
        elif low in (b"allchannels", b"&*"):
            s.allchannels = True
            s.channels.clear()
        elif low == b"resetchannels":
            s.allchannels = False
            s.channels.clear()
        elif low in (b"allcommands", b"+@all"):
            s.allowed = set(self.categories)
            s.allcommands = s.future = True
            s.firstargs.clear()
        elif low in (b"nocommands", b"-@all"):
            s.allowed = set()
            s.allcommands = s.future = False
            s.firstargs.clear()
        elif op[:1] in (b"~", b"%"):
            if s.allkeys:
                raise SetUserError(E_KEYS_ALL)
            offset = 1
            if op[:1] == b"%":
                flags = 0
                while offset < len(op):
                    ch = op[offset : offset + 1].upper()
                    if ch == b"R" and not flags & READ:
                        flags |= READ
                    elif ch == b"W" and not flags & WRITE:
                        flags |= WRITE
                    elif ch == b"~":
                        offset += 1
                        break
                    else:
                        raise SetUserError(E_SYNTAX)
                    offset += 1
                if not flags:
                    raise SetUserError(E_SYNTAX)
            else:
                flags = ALL
            pattern = op[offset:]
            if has_spaces(pattern):
                raise SetUserError(E_SYNTAX)
            for p in s.patterns:
                if p.pattern == pattern:
                    p.flags |= flags
                    break
            else:
                s.patterns.append(KeyPattern(pattern, flags))
            s.allkeys = False
        elif op[:1] == b"&":
            if s.allchannels:
                raise SetUserError(E_CHANNELS_ALL)
            pattern = op[1:]
            if has_spaces(pattern):
                raise SetUserError(E_SYNTAX)
            if pattern not in s.channels:
                s.channels.append(pattern)
            s.allchannels = False
        elif op[:1] == b"+" and op[1:2] != b"@":
            if b"|" not in op:
                row = self.lookup(op[1:])
                if row is None:
                    raise SetUserError(E_UNKNOWN)
                self._change(s, row, True)
                return
            name, _, first = op[1:].rpartition(b"|")
            row = self.lookup(name)
            if row is None:
                raise SetUserError(E_UNKNOWN)
            if row.parent is not None:
                raise SetUserError(E_SUB_FIRSTARG)
            if not first:
                raise SetUserError(E_SYNTAX)
            if row.subcommands:
                sub = self.lookup(op[1:])
                if sub is None:
                    raise SetUserError(E_UNKNOWN)
                self._change(s, sub, True)
            else:
                log.warning(
                    "Deprecation warning: Allowing a first arg of an otherwise blocked command "
                    "is a misuse of ACL and may get disabled in the future (offender: +%s)",
                    op[1:].decode(errors="replace"),
                )
                allowed = s.firstargs.setdefault(row.fullname, [])
                if first.lower() not in (a.lower() for a in allowed):
                    allowed.append(first)
        elif op[:1] == b"-" and op[1:2] != b"@":
            row = self.lookup(op[1:])
            if row is None:
                raise SetUserError(E_UNKNOWN)
            self._change(s, row, False)
        elif op[:2] in (b"+@", b"-@"):
            cat = op[2:].lower().decode("latin-1")
            if cat not in ACL_CATEGORIES:
                raise SetUserError(E_UNKNOWN)
            self._category(s, self.rows, cat, op[:1] == b"+")
        else:
            raise SetUserError(E_SYNTAX)

    def set_user(self, name: bytes, ops: list[bytes]) -> User:
        """ACL SETUSER: every rule applies, or none (a staged copy); returns the user."""
        existing = self.users.get(name)
        staged = User(name, self.pubsub_default)
        if existing is not None:
            staged.copy_from(existing)
        for op in ops:
            try:
                self.apply(staged, op)
            except SetUserError as e:
                raise CommandError(
                    b"ERR Error in ACL SETUSER modifier '%s': %s" % (op, e.reason.encode())
                ) from None
        if existing is not None:
            self.kill_pubsub_if_needed(staged, existing)
            existing.copy_from(staged)
            u = existing
        else:
            staged.update()
            u = self.users[name] = staged
        self.refresh_clients(u)
        return u

    def delete_users(self, names: list[bytes]) -> int:
        """ACL DELUSER: their clients are disconnected (``ACLFreeUserAndKillClients``)."""
        deleted = 0
        for name in names:
            u = self.users.pop(name, None)
            if u is None:
                continue
            deleted += 1
            self.kill_clients_of(u)
        return deleted

    def kill_clients_of(self, u: User) -> None:
        srv = self.server
        for c in list(srv.clients.values()):
            if c.user is u:
                c.user = self.default
                c.authenticated = False
                if c is srv.current_client:
                    c.close_after_reply = True
                else:
                    c.close()

    def kill_pubsub_if_needed(self, new: User, original: User) -> None:
        """Subscribers of ``original`` whose channels ``new`` no longer allows are
        disconnected (redis ``ACLKillPubsubClientsIfNeeded``)."""
        if any(s.allchannels for s in new.selectors):
            return
        upcoming = [p for s in new.selectors for p in s.channels]
        if all(p in upcoming for s in original.selectors for p in s.channels):
            return
        for c in list(self.server.clients.values()):
            subs = c.subs
            if c.user is not original or subs is None:
                continue
            kill = any(p not in upcoming for p in subs.patterns) or any(
                not any(_glob(p, ch) for p in upcoming) for ch in (*subs.channels, *subs.shard)
            )
            if kill:
                c.close()

    # -- clients ------------------------------------------------------------------

    def auth_required(self) -> bool:
        """New connections must AUTH first (redis ``authRequired``, its user part)."""
        d = self.default
        self.need_auth = need = not d.nopass or not d.enabled
        return need

    def new_client(self, c: Client) -> None:
        """A connection starts as the default user (redis ``clientSetDefaultAuth``)."""
        c.user = d = self.default
        c.authenticated = d.nopass and d.enabled
        self.set_gate(c)

    def set_gate(self, c: Client) -> None:
        """Install the check ``c`` needs: NOAUTH until it authenticates (when
        the default user wants a password), its user's gate when the user is
        restricted, none otherwise."""
        c.acl_user = None
        if not c.authenticated and self.auth_required():
            hook: Intercept | None = noauth_gate
        elif not c.user.unrestricted:
            hook = c.user.gate
            c.acl_user = c.user  # the walk's own test of what needs no check
        else:
            hook = None
        if hook is not None or "acl" in c.modes:
            c.set_mode("acl", hook)

    def refresh_clients(self, u: User) -> None:
        """Rules of ``u`` changed: the clients it concerns get or lose the gate
        (all of them when it is the default user, whose password decides
        whether AUTH is required)."""
        if u is self.default:
            self.auth_required()
        for c in self.server.clients.values():
            if c.user is u or u is self.default:
                self.set_gate(c)

    def authenticate(self, c: Client, name: bytes, password: bytes, command: bytes) -> bool:
        """AUTH / HELLO AUTH (``command``, as the client wrote it): switch ``c``
        to the user, or count and log the failure."""
        u = self.users.get(name)
        if u is not None and u.check_password(password):
            c.user = u
            c.authenticated = True
            self.set_gate(c)
            return True
        self.denied(c, DENIED_AUTH, None, 0, [command], username=name)
        self.warn_auth(c, name)
        return False

    def warn_auth(self, c: Client, name: bytes) -> None:
        """A failed AUTH, logged without the password; a storm of them is
        summed up rather than logged one by one."""
        now = self.server.clock()
        if now - self.auth_log_window >= AUTH_LOG_WINDOW_MS:
            if self.auth_log_dropped:
                log.warning(
                    "%d more failed authentication attempts were not logged",
                    self.auth_log_dropped,
                )
            self.auth_log_window = now
            self.auth_log_count = self.auth_log_dropped = 0
        self.auth_log_count += 1
        if self.auth_log_count <= AUTH_LOG_BURST:
            log.warning(
                "failed authentication of user '%s' from %s",
                name.decode(errors="replace"),
                c.addr,
            )
        else:
            self.auth_log_dropped += 1

    # -- checks -------------------------------------------------------------------

    def check(self, u: User, row: Command, argv: list[bytes]) -> tuple[int, int]:
        """(result, argument index) of ``u`` running ``argv`` (redis
        ``ACLCheckAllUserCommandPerm``): OK, or the most relevant denial."""
        relevant, last = DENIED_CMD, 0
        keys: list[tuple[int, int]] | None = None
        for s in u.selectors:
            res, idx = OK, 0
            if (
                not s.allcommands
                and not int(row.flags) & _NO_AUTH
                and row.fullname not in s.allowed
            ):
                allowed = s.firstargs.get(row.fullname)
                pos = 2 if row.parent is not None else 1
                if (
                    allowed is None
                    or len(argv) <= pos
                    or not any(a.lower() == argv[pos].lower() for a in allowed)
                ):
                    res = DENIED_CMD
            if res == OK and not s.allkeys:
                if keys is None:
                    keys = key_access(row, argv)
                for pos, need in keys:
                    if not s.check_key(argv[pos], need):
                        res, idx = DENIED_KEY, pos
                        break
            if res == OK and not s.allchannels:
                spec = CHANNEL_ARGS.get(row.fullname)
                if spec is not None:
                    count, literal = spec
                    end = len(argv) if count == 0 else min(len(argv), 1 + count)
                    for pos in range(1, end):
                        if not s.check_channel(argv[pos], literal):
                            res, idx = DENIED_CHANNEL, pos
                            break
            if res == OK:
                return OK, 0
            if res > relevant or (res == relevant and idx > last):
                relevant, last = res, idx
        return relevant, last

    def denied(
        self,
        c: Client,
        reason: int,
        row: Command | None,
        pos: int = 0,
        argv: list[bytes] | None = None,
        username: bytes | None = None,
        context: bytes | None = None,
    ) -> None:
        """Count a denial and enter it in the ACL log (redis ``addACLLogEntry``)."""
        stats = self.server.stats
        if reason == DENIED_AUTH:
            stats.acl_access_denied_auth += 1
        elif reason == DENIED_CMD:
            stats.acl_access_denied_cmd += 1
        elif reason == DENIED_KEY:
            stats.acl_access_denied_key += 1
        else:
            stats.acl_access_denied_channel += 1
        if reason == DENIED_CMD and row is not None:
            obj = row.fullname
        elif reason == DENIED_AUTH and argv:
            obj = argv[0]
        elif argv is not None:
            obj = argv[pos]
        else:
            obj = b""
        if context is None:
            context = b"multi" if c.in_multi else b"toplevel"
        name = username if username is not None else c.user.name
        now = int(time.time() * 1000)
        entries = self.log
        for i, e in enumerate(entries):
            if i >= 10:
                break
            if (
                e.reason == reason
                and e.context == context
                and abs(e.ctime - now) <= ACL_LOG_GROUPING_MS
                and e.object == obj
                and e.username == name
            ):
                del entries[i]
                entries.appendleft(e)
                e.count += 1
                e.ctime = now
                e.cinfo = c.info_line().encode()
                return
        entries.appendleft(LogEntry(reason, context, obj, name, now, c.info_line().encode()))
        limit = self.server.config["acllog-max-len"]
        while len(entries) > limit:
            entries.pop()

    # -- describing ---------------------------------------------------------------

    def describe_commands(self, s: Selector) -> bytes:
        """The command rules of a selector, as redis 7.0 rebuilds them
        (``ACLDescribeSelectorCommandRules``): +@all or -@all, the categories
        that fit best, then single commands."""
        additive = not s.future
        rules = [b"-@all" if additive else b"+@all"]
        fake: set[bytes] = set() if additive else set(self.categories)
        temp = set(s.allowed)
        applied: set[str] = set()
        while True:
            best = ""
            mindiff, maxsame = 1 << 62, 0
            for cat in ACL_CATEGORIES:
                if cat in applied:
                    continue
                on, off = self._count(temp, cat)
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = cat, diff, same
            if not best:
                break
            fs = Selector(False, False)
            fs.allowed = fake
            self._category(fs, self.rows, best, additive)
            ts = Selector(False, False)
            ts.allowed = temp
            self._category(ts, self.rows, best, not additive)
            rules.append((b"+@" if additive else b"-@") + best.encode())
            applied.add(best)
        fs = Selector(False, False)
        fs.allowed = fake
        self._single_commands(s, fs, self.rows, rules)
        return b" ".join(rules)

    def _single_commands(
        self, s: Selector, fake: Selector, rows: Iterable[Command], rules: list[bytes]
    ) -> None:
        for row in rows:
            user_bit = row.fullname in s.allowed
            if user_bit != (row.fullname in fake.allowed):
                rules.append((b"+" if user_bit else b"-") + row.fullname)
                self._change(fake, row, user_bit)
            if row.subcommands:
                self._single_commands(s, fake, row.subcommands.values(), rules)
            if not user_bit:
                for first in s.firstargs.get(row.fullname, ()):
                    rules.append(b"+" + row.fullname + b"|" + first)

    def describe_selector(self, s: Selector) -> bytes:
        parts: list[bytes] = []
        if s.allkeys:
            parts.append(b"~*")
        else:
            parts.extend(p.text() for p in s.patterns)
        if s.allchannels:
            parts.append(b"&*")
        else:
            parts.append(b"resetchannels")
            parts.extend(b"&" + p for p in s.channels)
        parts.append(self.describe_commands(s))
        return b" ".join(parts)

    def describe_user(self, u: User) -> bytes:
        """A user as ACL LIST and the ACL file write it (``ACLDescribeUser``)."""
        parts = [f.encode() for f in USER_FLAGS if f in u.flags]
        parts.extend(b"#" + p for p in u.passwords)
        parts.append(self.describe_selector(u.root))
        text = b" ".join(parts)
        for s in u.selectors[1:]:
            text += b" (" + self.describe_selector(s) + b")"
        return text

    def sorted_users(self) -> list[User]:
        return [self.users[k] for k in sorted(self.users)]

    # -- the ACL file ---------------------------------------------------------------

    def load_lines(self, lines: list[bytes], filename: str) -> dict[bytes, User] | str:
        """Users from ``user name rules...`` lines, or Redis's error text
        (``ACLLoadFromFile``): any error loads nothing."""
        users: dict[bytes, User] = {}
        errors = ""
        for i, raw in enumerate(lines):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            lineno = i + 1
            argv = [a for a in line.split(b" ") if a]
            if not argv:
                continue
            if argv[0] != b"user" or len(argv) < 2:
                errors += (
                    f"{filename}:{lineno} should start with user keyword followed by the username. "
                )
                continue
            name = argv[1]
            if has_spaces(name):
                errors += f"'{filename}:{lineno}: username '{name.decode(errors='replace')}' contains invalid characters. "
                continue
            if name in users:
                errors += f"WARNING: Duplicate user '{name.decode(errors='replace')}' found on line {lineno}. "
                continue
            u = users[name] = User(name, self.pubsub_default)
            merged = merge_selectors(argv[2:])
            if merged is None:
                errors += f"{filename}:{lineno}: Unmatched parenthesis in selector definition."
                continue
            for op in merged:
                try:
                    self.apply(u, op.strip(b"\t\r\n"))
                except SetUserError as e:
                    errors += f"{filename}:{lineno}: {e.reason}. "
            u.update()
        if errors:
            return errors + (
                "WARNING: ACL errors detected, no change to the previously active ACL rules "
                "was performed"
            )
        return users

    def install(self, users: dict[bytes, User]) -> None:
        """Replace every user by ``users``; the default user object stays (its
        rules are copied), clients of users that are gone are disconnected."""
        new_default = users.pop(b"default", None) or self.new_default()
        old = self.users
        self.default.copy_from(new_default)
        self.users = {b"default": self.default, **users}
        for name, u in old.items():
            if name != b"default":
                self.kill_clients_of(u)
        self.auth_required()
        for c in self.server.clients.values():
            self.set_gate(c)

    def load_file(self, path: str) -> str | None:
        """ACL LOAD: None, or the error text."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return f"Error loading ACLs, opening file '{path}': {e.strerror}"
        result = self.load_lines(data.split(b"\n"), path)
        if isinstance(result, str):
            return result
        self.install(result)
        return None

    def save_file(self, path: str) -> bool:
        """ACL SAVE: every user in the file's format, replaced atomically."""
        text = b"".join(
            b"user " + u.name + b" " + self.describe_user(u) + b"\n" for u in self.sorted_users()
        )
        tmp = f"{path}.tmp-{os.getpid()}-{int(time.time() * 1000)}"
        try:
            with open(tmp, "wb") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError as e:
            log.warning("Writing ACL file for ACL SAVE: %s", e.strerror)
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        return True

    def load_config_users(self, lines: list[list[bytes]]) -> None:
        """``user ...`` directives of the config file (``ACLLoadConfiguredUsers``);
        ValueError with the reason on a bad rule."""
        for argv in lines:
            name = argv[0]
            if has_spaces(name):
                raise ValueError("Spaces not allowed in ACL usernames")
            u = self.users.get(name)
            if u is None:
                u = self.users[name] = User(name, self.pubsub_default)
            else:
                self.apply(u, b"reset")
            merged = merge_selectors(argv[1:])
            if merged is None:
                raise ValueError("Unmatched parenthesis in acl selector")
            for op in merged:
                try:
                    self.apply(u, op)
                except SetUserError as e:
                    raise ValueError(
                        f"Error loading ACL rule '{op.decode(errors='replace')}' for the user "
                        f"named '{name.decode(errors='replace')}': {e.reason}"
                    ) from None
            u.update()
        self.auth_required()


class LogEntry:
    """One ACL LOG entry (redis ``ACLLogEntry``)."""

    __slots__ = ("cinfo", "context", "count", "ctime", "object", "reason", "username")

    def __init__(
        self, reason: int, context: bytes, obj: bytes, username: bytes, ctime: int, cinfo: bytes
    ) -> None:
        self.count = 1
        self.reason = reason
        self.context = context
        self.object = obj
        self.username = username
        self.ctime = ctime
        self.cinfo = cinfo


def merge_selectors(args: list[bytes]) -> list[bytes] | None:
    """Join a ``(...)`` selector spread over several arguments into one
    (``ACLMergeSelectorArguments``); None when a parenthesis is left open."""
    out: list[bytes] = []
    current: bytes | None = None
    for op in args:
        if current is None and op[:1] == b"(" and op[-1:] != b")":
            current = op
            continue
        if current is not None:
            current += b" " + op
            if op[-1:] == b")":
                out.append(current)
                current = None
            continue
        out.append(op)
    return None if current is not None else out


def unmatched_selector(args: list[bytes]) -> bytes:
    """The argument opening the selector left unclosed."""
    start = b""
    for op in args:
        if not start and op[:1] == b"(" and op[-1:] != b")":
            start = op
        elif start and op[-1:] == b")":
            start = b""
    return start


def _split_args(text: bytes) -> list[bytes]:
    from protocol.resp import split_inline

    return split_inline(text) or []


def key_access(row: Command, argv: list[bytes]) -> list[tuple[int, int]]:
    """(position, access needed) of every key ``argv`` names."""
    if row.fullname in NOT_KEYS:
        return []
    if row.fullname in NUMKEYS:
        # each key with its spec's access; none for the keys Redis's fallback
        # finder names when a numkeys reads only with atoi ("2abc")
        return [(p, _access(f)) for p, f in numkeys_keys_and_flags(row.fullname, argv)]
    positions = row.key_positions(argv)
    if not positions:
        return []
    spec = KEY_ACCESS.get(row.fullname)
    if row.fullname == b"set":
        need = _set_key_access(argv)
        return [(p, need) for p in positions]
    if spec is None:
        f = int(row.flags)
        if f & _WRITE:
            first = rest = ALL
        elif f & _READONLY:
            first = rest = READ
        else:
            first = rest = 0
    else:
        first, rest = spec
    n = len(argv)
    return [(p, first if i == 0 else rest) for i, p in enumerate(positions) if 0 <= p < n]


# compile_check's verdicts besides a tuple of key prefixes or a function
ALLOW = True  # nothing to test: the command runs
SLOW = False  # the general check decides (denials, several selectors, channels...)
# (User.gate tests them as the literals True and False: no global lookups)


def compile_check(u: User, row: Command) -> object:
    """What the gate tests for ``u`` running ``row``, reduced once per command:
    ALLOW, a tuple of prefixes the one key (argv[1]) must start with, a
    function of argv that is true when allowed, or SLOW."""
    if len(u.selectors) != 1:
        return SLOW
    s = u.selectors[0]
    name = row.fullname
    if not (s.allcommands or int(row.flags) & _NO_AUTH or name in s.allowed):
        return SLOW
    if name in CHANNEL_ARGS and not s.allchannels:
        return SLOW
    if s.allkeys or name in NOT_KEYS or (row.getkeys is None and row.first <= 0):
        return ALLOW
    if row.getkeys is not None or row.first != 1 or row.last != 1:
        return lambda argv: all(s.check_key(argv[p], need) for p, need in key_access(row, argv))
    if name == b"set":  # the access depends on GET
        write, both = _one_key(s, WRITE), _one_key(s, ALL)
        if write == both and write.__class__ is tuple:
            return write  # the same patterns either way (~ patterns, no %W~)

        def check_set(argv: list[bytes]) -> bool:
            v = both if len(argv) > 3 and _set_key_access(argv) == ALL else write
            return argv[1].startswith(v) if v.__class__ is tuple else v(argv)  # type: ignore

        return check_set
    return _one_key(s, key_access(row, [b"", b""])[0][1])


def _one_key(s: Selector, need: int) -> object:
    """The test of a command's one key (argv[1]) needing ``need``: a tuple of
    prefixes when every usable pattern is ``literal*``, else a function."""
    usable = [p for p in s.patterns if p.flags & need == need]
    if all(p.prefix is not None for p in usable):
        return tuple(p.prefix for p in usable)
    matchers = [p.match for p in usable]
    return lambda argv: any(m(argv[1]) for m in matchers)


_NO_AUTH = int(NO_AUTH)
_WRITE = int(WRITE_FLAG)
_READONLY = int(READONLY)


def noauth_gate(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """The ``acl`` intercept until the client authenticates: only the NO_AUTH
    commands (AUTH, HELLO, QUIT, RESET) run, others get -NOAUTH."""
    if not int(row.flags) & _NO_AUTH:
        return c.rejected(row, NOAUTH)
    nxt = c.after_gate
    return None if nxt is None else nxt(c, row, argv)


def refuse(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """The full check (every selector, first args, channels): the NOPERM
    reply, counted and logged, or None when the command may run."""
    acl = c.server.acl
    res, pos = acl.check(c.user, row, argv)
    if res == OK:
        return None
    acl.denied(c, res, row, pos, argv)
    if res == DENIED_CMD:
        msg = b"NOPERM this user has no permissions to run the '%s' command" % row.fullname
    else:
        msg = DENIED_TEXT[res]
    return c.rejected(row, msg)


def exec_check(c: Client, row: Command, argv: list[bytes]) -> bytes | None:
    """EXEC checks each queued command again: the rules may have changed since
    it was queued (redis ``execCommand``).  The error reply, or None."""
    u = c.user
    if u.unrestricted:
        return None
    acl = c.server.acl
    res, pos = acl.check(u, row, argv)
    if res == OK:
        return None
    acl.denied(c, res, row, pos, argv, context=b"multi")
    return c.server.error_reply(
        b"NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
        b"EXEC call. This command is no longer allowed for the following reason: "
        + EXEC_DENIED[res]
    )
