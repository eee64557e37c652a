"""Settings: one table read by the command line, the config file, CONFIG GET/SET and INFO.

Like Redis's ``standardConfig`` table in ``config.c``: each row has a name
(Redis's own where Redis has the setting), a kind, a default, limits, whether
``CONFIG SET`` may change it at run time, and a line of help.  Values are
parsed as Redis parses them: integers strictly (``string2ll``: no sign ``+``,
no spaces, no leading zeros), memory values with Redis's units (``100mb``,
``1gb``, ``512k``; ``k`` is 1000, ``kb`` 1024), booleans ``yes``/``no`` in any
case, enums case-insensitively.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cacheserver.glob import compile_glob
from cacheserver.notify import BAD_EVENTS, events_from_text, events_to_text
from cacheserver.store.eviction import POLICIES
from protocol.resp import split_inline, string2ll

__all__ = [
    "BY_NAME",
    "OBUF_CLASSES",
    "SETTINGS",
    "Config",
    "ConfigError",
    "Setting",
    "UnknownSetting",
    "parse_args",
    "parse_memory",
]

LLONG_MAX = 2**63 - 1


class ConfigError(Exception):
    """A bad value: ``reason`` is Redis's text, ``name`` the setting it concerns."""

    def __init__(self, reason: str, name: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.name = name

    def __str__(self) -> str:
        return self.reason


class UnknownSetting(ConfigError, KeyError):
    """CONFIG SET of a name the table does not have (``name`` as the client wrote it)."""

    def __init__(self, name: str) -> None:
        super().__init__("unknown option", name)

    def __str__(self) -> str:
        return self.reason


_MEM = re.compile(r"(\d+)(b|k|kb|m|mb|g|gb)?\Z", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1024,
    "m": 1000**2,
    "mb": 1024**2,
    "g": 1000**3,
    "gb": 1024**3,
}


def parse_memory(text: str) -> int:
    """``100mb`` -> 104857600, as redis ``memtoull`` (k = 1000, kb = 1024).

    No sign, no spaces, no fractions.  The result may exceed 64 bits; the
    setting's range check then reports it, as Redis does for saturated values.
    """
    m = _MEM.match(text)
    if m is None:
        raise ConfigError("argument must be a memory value")
    return int(m.group(1)) * _UNITS[m.group(2).lower() if m.group(2) else ""]


def _memory_text(n: int) -> str:
    """A byte count in the largest exact unit, as redis ``rewriteConfigBytesOption``."""
    for unit, size in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def _quote(text: str) -> str:
    """A config-file value: bare when safe, else double-quoted as redis ``sdscatrepr``."""
    if text and not re.search(r"[\s\"'\\#]", text) and text.isprintable():
        return text
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append("\\x%02x" % (ord(ch) & 0xFF))
    out.append('"')
    return "".join(out)


# client-output-buffer-limit: (hard, soft, soft seconds) per class, in this order
OBUF_CLASSES = ("normal", "replica", "pubsub")
_OBUF_CLASS = {"normal": 0, "slave": 1, "replica": 1, "pubsub": 2}
_OBUF_SYNTAX = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
ObufLimits = tuple[tuple[int, int, int], ...]

_C_DIGITS = re.compile(r"[0-9]*")
_C_STRTOLL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
ULLONG = 2**64


def _memtoull(text: str) -> int | None:
    """A byte count as redis 7.0 ``memtoull``: digits and an optional unit
    (no digits read as 0, a value past 64 bits saturates before the unit
    multiplies and wraps); None for anything else."""
    digits = _C_DIGITS.match(text).group()  # type: ignore[union-attr]
    unit = text[len(digits) :].lower()
    if text.startswith("-") or unit not in _UNITS:
        return None
    value = min(int(digits), ULLONG - 1) if digits else 0
    return value * _UNITS[unit] % ULLONG


def _soft_seconds(text: str) -> int | None:
    """The soft-limit seconds as Redis reads them: ``strtoll`` stored in a C
    int (so 4294967297 is 1), None when text follows the number."""
    m = _C_STRTOLL.match(text)
    if m is None:
        # strtoll converts nothing: 0, and the end pointer stays at the start
        return 0 if text == "" else None
    if m.end() != len(text):
        return None
    v = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    v = max(-(2**63), min(v, 2**63 - 1))
    v &= 0xFFFFFFFF
    return v - 2**32 if v >= 2**31 else v


def parse_obuf_limits(text: str, current: ObufLimits) -> ObufLimits:
    """``<class> <hard> <soft> <seconds> ...`` applied over ``current``, all or
    nothing (redis ``setConfigClientOutputBufferLimitOption``).  The value is
    split on single spaces, as CONFIG SET splits it."""
    args = text.split(" ") if text else []
    if len(args) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    out = list(current)
    for j in range(0, len(args), 4):
        name = args[j]
        cls = _OBUF_CLASS.get(name.lower()) if name.isascii() else None
        if cls is None:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = _memtoull(args[j + 1]), _memtoull(args[j + 2])
        secs = _soft_seconds(args[j + 3])
        if hard is None or soft is None or secs is None or secs < 0:
            raise ConfigError(_OBUF_SYNTAX)
        out[cls] = (hard, soft, secs)
    return tuple(out)


def render_obuf_limits(value: ObufLimits) -> str:
    """As CONFIG GET shows it: ``normal 0 0 0 slave 268435456 67108864 60 ...``."""
    names = ("normal", "slave", "pubsub")
    return " ".join(f"{n} {h} {s} {t}" for n, (h, s, t) in zip(names, value, strict=True))


_STRTOD = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    r"|inf|infinity)\Z",
    re.IGNORECASE,
)


def _string2d(text: str) -> float | None:
    """A double as redis ``string2d``: all of ``text`` one strtod number, no
    leading space, no NaN, no overflow or underflow to zero."""
    if _STRTOD.match(text) is None:
        return None
    body = text.lstrip("+-")
    try:
        v = float.fromhex(text) if body[:2].lower() == "0x" else float(text)
    except OverflowError:
        return None
    if v in (float("inf"), float("-inf")) and "inf" not in body.lower():
        return None  # overflowed (ERANGE)
    if v == 0.0 and re.search(r"[1-9a-fA-F]", body.split("e")[0].split("E")[0].split("p")[0]):
        return None  # underflowed to zero (ERANGE)
    return v


def parse_percentiles(text: str) -> tuple[float, ...]:
    """latency-tracking-info-percentiles: numbers 0..100, or "" for none (redis
    ``setConfigLatencyTrackingInfoPercentilesOutputOption``)."""
    args = split_inline(text.encode("utf-8", "surrogateescape"))
    if args is None:
        raise ConfigError("Unbalanced quotes in configuration line")
    if args == [b""]:
        return ()
    out: list[float] = []
    for a in args:
        v = _string2d(a.decode("utf-8", "surrogateescape"))
        if v is None:
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
        if not 0.0 <= v <= 100.0:
            raise ConfigError(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
            )
        out.append(v)
    return tuple(out)


def format_double(v: float) -> str:
    """``%f`` without trailing zeros or point (redis ``trimDoubleString``)."""
    text = f"{v:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # int | octal | memory | bool | enum | string | list | events | obuf | percentiles
    default: Any
    help: str
    mutable: bool = True
    lo: int = 0
    hi: int = LLONG_MAX
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    # Settings that exist for tools that read them (redis-benchmark reads
    # save and appendonly): only their default value is accepted.
    fixed: bool = False
    # Why only the default is accepted (the error reason for other values).
    fixed_reason: str = ""
    # Values inside [lo, hi] but outside clamp are silently brought to the
    # nearest bound, as redis does for hz (CONFIG_MIN_HZ..CONFIG_MAX_HZ).
    clamp: tuple[int, int] | None = None

    def parse(self, text: str, current: Any = None) -> Any:
        """Value from its text form, or ConfigError with Redis's reason.

        ``current`` is the value it replaces: client-output-buffer-limit
        changes only the classes the text names."""
        k = self.kind
        if k == "int":
            v = string2ll(text.encode("utf-8", "surrogateescape"))
            if v is None:
                raise ConfigError("argument couldn't be parsed into an integer")
            value: Any = self._check_range(v)
        elif k == "octal":
            if not re.fullmatch(r"[0-7]+", text):
                raise ConfigError("argument couldn't be parsed into an integer")
            value = self._check_range(int(text, 8))
        elif k == "memory":
            value = self._check_range(parse_memory(text))
        elif k == "bool":
            t = text.lower()
            if t not in ("yes", "no"):
                raise ConfigError("argument must be 'yes' or 'no'")
            value = t == "yes"
        elif k == "enum":
            t = text.lower()
            if t not in self.choices:
                raise ConfigError(
                    "argument(s) must be one of the following: " + ", ".join(self.choices)
                )
            value = t
        elif k == "list":
            args = split_inline(text.encode("utf-8", "surrogateescape"))
            if args is None:
                raise ConfigError("Unbalanced quotes in configuration line")
            value = [a.decode("utf-8", "surrogateescape") for a in args]
        elif k == "events":
            value = events_from_text(text)
            if value is None:
                raise ConfigError(BAD_EVENTS)
        elif k == "obuf":
            value = parse_obuf_limits(text, self.default if current is None else current)
        elif k == "percentiles":
            value = parse_percentiles(text)
        else:
            value = text
        if self.fixed and value != self.default:
            raise ConfigError(self.fixed_reason or "only the default value is supported")
        return value

    def _check_range(self, v: int) -> int:
        if not self.lo <= v <= self.hi:
            raise ConfigError(f"argument must be between {self.lo} and {self.hi} inclusive")
        if self.clamp is not None:
            v = min(max(v, self.clamp[0]), self.clamp[1])
        return v

    def render(self, value: Any) -> str:
        """The text CONFIG GET shows."""
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "list":
            return " ".join(value)
        if self.kind == "octal":
            return f"{value:o}"
        if self.kind == "events":
            return events_to_text(value)
        if self.kind == "obuf":
            return render_obuf_limits(value)
        if self.kind == "percentiles":
            return " ".join(map(format_double, value))
        return str(value)

    def file_text(self, value: Any) -> str:
        """The value as a config-file line writes it (CONFIG REWRITE)."""
        if self.kind == "memory":
            return _memory_text(value)
        if self.kind == "percentiles":
            return self.render(value) or '""'
        if self.kind == "list":
            return " ".join(_quote(v) for v in value) if value else '""'
        if self.kind == "obuf":
            return " ".join(
                f"{n} {_memory_text(h)} {_memory_text(s)} {t}"
                for n, (h, s, t) in zip(OBUF_CLASSES, value, strict=True)
            )
        return _quote(self.render(value))

    def value_help(self) -> str:
        """What values the setting takes, for ``--help``."""
        k = self.kind
        if k == "int":
            return f"integer {self.lo}..{self.hi}"
        if k == "octal":
            return f"octal {self.lo:o}..{self.hi:o}"
        if k == "memory":
            return f"bytes {self.lo}..{self.hi}; units k kb m mb g gb"
        if k == "bool":
            return "yes|no"
        if k == "enum":
            return "|".join(self.choices)
        if k == "list":
            return "one or more values"
        if k == "events":
            return "letters: K keyspace, E keyevent, then the classes g $ l s h z x e t m n d, A = g$lshzxetd"
        if k == "obuf":
            return "one or more 'class hard soft seconds' groups; classes normal, replica, pubsub; sizes take units"
        if k == "percentiles":
            return 'numbers 0..100 separated by spaces; "" for none'

        return "text"


U32 = 2**32 - 1
I32 = 2**31 - 1
MB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    # -- network
    Setting("bind", "list", ["127.0.0.1"], "addresses the Redis listener binds to", mutable=False),
    Setting(
        "port", "int", 6379, "Redis protocol TCP port; 0 turns TCP off", mutable=False, hi=65535
    ),
    Setting(
        "unixsocket", "string", "", "path of a Unix socket for the Redis protocol", mutable=False
    ),
    Setting(
        "unixsocketperm",
        "octal",
        0,
        "permissions of the Unix socket, in octal (e.g. 700); 0 keeps the umask's",
        mutable=False,
        hi=0o777,
    ),
    Setting("tcp-backlog", "int", 511, "listen() backlog", mutable=False, hi=I32),
    Setting("tcp-keepalive", "int", 300, "seconds between TCP keepalive probes; 0 = off", hi=I32),
    Setting("timeout", "int", 0, "close a client idle this many seconds; 0 = never", hi=I32),
    Setting("maxclients", "int", 10000, "most clients connected at once", lo=1, hi=U32),
    Setting(
        "protected-mode",
        "bool",
        True,
        "while the default user has no password, refuse clients that are not on the "
        "loopback interface or a Unix socket, with Redis's -DENIED explanation",
    ),
    Setting(
        "disabled-commands",
        "list",
        [],
        "commands answered as unknown commands (e.g. flushall config debug shutdown; "
        "'container|sub' disables one subcommand); see also the config-file directive "
        "rename-command NAME NEWNAME",
        mutable=False,
    ),
    # -- TLS (names and texts as redis 7.0's tls-* settings)
    Setting(
        "tls-port",
        "int",
        0,
        "Redis protocol over TLS on this TCP port, on the bind addresses; 0 = off",
        mutable=False,
        hi=65535,
    ),
    Setting(
        "tls-memcached-port",
        "int",
        0,
        "memcached protocol over TLS on this TCP port, on the memcached-bind addresses; 0 = off",
        mutable=False,
        hi=65535,
    ),
    Setting("tls-cert-file", "string", "", "the server's certificate (PEM, chain allowed)"),
    Setting("tls-key-file", "string", "", "the server's private key (PEM)"),
    Setting("tls-key-file-pass", "string", "", "passphrase of an encrypted tls-key-file"),
    Setting(
        "tls-ca-cert-file",
        "string",
        "",
        "CA certificates (PEM) client certificates are checked against",
    ),
    Setting(
        "tls-ca-cert-dir",
        "string",
        "",
        "a directory of CA certificates (hashed names, as c_rehash makes)",
    ),
    Setting(
        "tls-auth-clients",
        "enum",
        "yes",
        "client certificates: yes = required, optional = checked when sent, no = not asked",
        choices=("no", "yes", "optional"),
    ),
    Setting(
        "tls-protocols",
        "string",
        "",
        "TLS versions accepted, of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; empty = TLSv1.2 and "
        "TLSv1.3.  Python's ssl takes a range: the versions between those named are "
        "accepted too",
    ),
    Setting(
        "tls-ciphers",
        "string",
        "",
        "OpenSSL cipher list for TLSv1.2 and older; empty = OpenSSL's default",
    ),
    Setting(
        "tls-ciphersuites",
        "string",
        "",
        "TLSv1.3 cipher suites: names are checked, but Python's ssl cannot restrict "
        "them, so OpenSSL's default suites stay in use",
    ),
    Setting(
        "tls-prefer-server-ciphers",
        "bool",
        False,
        "choose the cipher by the server's order instead of the client's",
    ),
    Setting(
        "tls-session-caching",
        "bool",
        True,
        "allow TLS session resumption; no turns session tickets off",
    ),
    Setting(
        "tls-session-cache-size",
        "int",
        20480,
        "sessions cached for resumption; shown for compatibility: Python's ssl keeps "
        "OpenSSL's default (20480)",
        hi=I32,
    ),
    Setting(
        "tls-session-cache-timeout",
        "int",
        300,
        "seconds a cached session stays resumable; shown for compatibility: Python's "
        "ssl keeps OpenSSL's default (300)",
        hi=I32,
    ),
    Setting("tls-dh-params-file", "string", "", "DH parameters (PEM) for DHE ciphers"),
    Setting(
        "tls-handshake-timeout",
        "int",
        10,
        "seconds a TLS client has to complete its handshake before it is disconnected; 0 = "
        "asyncio's default (60)",
        hi=I32,
    ),
    # -- memcached protocol (names as memcached's options, prefixed)
    Setting(
        "memcached-port",
        "int",
        11211,
        "memcached protocol TCP port (memcached -p); 0 turns it off",
        mutable=False,
        hi=65535,
    ),
    Setting(
        "memcached-bind",
        "list",
        ["127.0.0.1"],
        "addresses the memcached listener binds to (memcached -l)",
        mutable=False,
    ),
    Setting(
        "memcached-unixsocket",
        "string",
        "",
        "path of a Unix socket for the memcached protocol (memcached -s)",
        mutable=False,
    ),
    Setting(
        "memcached-unixsocketperm",
        "octal",
        0o700,
        "permissions of the memcached Unix socket, in octal (memcached -a); 0 keeps the umask's",
        mutable=False,
        hi=0o777,
    ),
    Setting(
        "memcached-maxconns",
        "int",
        1024,
        "most memcached connections at once (memcached -c); more are refused",
        lo=1,
        hi=U32,
    ),
    Setting(
        "memcached-idle-timeout",
        "int",
        0,
        "close a memcached connection idle this many seconds (memcached -o idle_timeout); 0 = never",
        hi=I32,
    ),
    Setting(
        "memcached-max-item-size",
        "memory",
        MB,
        "largest memcached item, key and overhead included (memcached -I)",
        lo=1024,
        hi=1024 * MB,
    ),
    Setting(
        "memcached-auth-file",
        "string",
        "",
        "memcached -Y: a file of user:password lines; a connection must first send "
        "'set <key> <flags> <exptime> <bytes>' with 'user password' as the value",
        mutable=False,
    ),
    Setting(
        "memcached-db",
        "int",
        0,
        "the database memcached items live in",
        mutable=False,
        hi=I32,
    ),
    # -- metrics and health (HTTP)
    Setting(
        "metrics-port",
        "int",
        0,
        "HTTP port of /metrics (Prometheus), /healthz and /readyz; 0 turns it off",
        mutable=False,
        hi=65535,
    ),
    Setting(
        "metrics-bind",
        "list",
        ["127.0.0.1"],
        "addresses the metrics listener binds to",
        mutable=False,
    ),
    Setting(
        "metrics-key-prefixes",
        "list",
        [],
        "key prefixes whose keyspace hits and misses /metrics counts apart "
        '(e.g. "user: product:"); empty = none, at no cost',
    ),
    # -- limits
    Setting(
        "proto-max-bulk-len",
        "memory",
        512 * MB,
        "largest bulk string a request may carry",
        lo=MB,
    ),
    Setting(
        "client-query-buffer-limit",
        "memory",
        1024 * MB,
        "most unparsed request bytes held per client",
        lo=MB,
    ),
    Setting(
        "client-output-buffer-limit",
        "obuf",
        ((0, 0, 0), (256 * MB, 64 * MB, 60), (32 * MB, 8 * MB, 60)),
        "close a client whose unsent replies reach the hard limit, or stay over the soft "
        "limit longer than its seconds (0 = no limit), per class: normal, replica, pubsub "
        "(subscribed clients)",
    ),
    # Redis builds a reply of any size for SRANDMEMBER/HRANDFIELD/ZRANDMEMBER
    # with a negative count (a huge count exhausts its memory); these bound it.
    Setting(
        "random-reply-max-elements",
        "int",
        1_000_000,
        "most elements in a SRANDMEMBER/HRANDFIELD/ZRANDMEMBER reply (negative counts)",
        lo=1,
    ),
    Setting(
        "random-reply-max-bytes",
        "memory",
        256 * MB,
        "most bytes (estimated) in a SRANDMEMBER/HRANDFIELD/ZRANDMEMBER reply",
        lo=1024,
    ),
    # -- keyspace
    Setting(
        "databases", "int", 16, "number of databases (SELECT 0..n-1)", mutable=False, lo=1, hi=I32
    ),
    Setting(
        "hz",
        "int",
        10,
        "background cycles (active expiry, client timeouts) per second; kept within 1..500",
        hi=I32,
        clamp=(1, 500),
    ),
    Setting(
        "active-expire-effort",
        "int",
        1,
        "1-10: share of each cycle spent expiring keys (10 = most)",
        lo=1,
        hi=10,
    ),
    Setting(
        "tracking-table-max-keys",
        "int",
        1_000_000,
        "most keys remembered for CLIENT TRACKING; 0 = no limit",
        hi=I32,
    ),
    Setting(
        "notify-keyspace-events",
        "events",
        0,
        "keyspace notifications to publish; empty = none",
    ),
    # -- memory (store/memory.py, store/eviction.py, store/lazyfree.py)
    Setting(
        "maxmemory",
        "memory",
        0,
        "bytes the keys and values may take before eviction (or -OOM errors); 0 = no limit",
    ),
    Setting(
        "maxmemory-policy",
        "enum",
        "noeviction",
        "what to evict at maxmemory: keys with a TTL (volatile-*) or any (allkeys-*), "
        "by LRU, LFU, random choice or nearest expiry; noeviction refuses writes instead",
        choices=POLICIES,
    ),
    Setting(
        "maxmemory-samples",
        "int",
        5,
        "keys drawn per database for each eviction (more: closer to true LRU/LFU, slower)",
        lo=1,
        hi=I32,
    ),
    Setting(
        "maxmemory-eviction-tenacity",
        "int",
        10,
        "0-100: how long one command may spend evicting before the rest goes to the background",
        hi=100,
    ),
    Setting(
        "hll-sparse-max-bytes",
        "memory",
        3000,
        "largest sparse HyperLogLog (header included) before it turns dense",
    ),
    Setting("lfu-log-factor", "int", 10, "how slowly LFU counters grow", hi=I32),
    Setting(
        "lfu-decay-time", "int", 1, "minutes for an LFU counter to decay by one; 0 = never", hi=I32
    ),
    Setting("lazyfree-lazy-eviction", "bool", False, "free evicted big values in the background"),
    Setting("lazyfree-lazy-expire", "bool", False, "free expired big values in the background"),
    Setting(
        "lazyfree-lazy-server-del",
        "bool",
        False,
        "free big values replaced or deleted by the server (RENAME, SET over a key) in the background",
    ),
    Setting(
        "lazyfree-lazy-user-del", "bool", False, "DEL frees big values in the background, as UNLINK"
    ),
    Setting(
        "lazyfree-lazy-user-flush",
        "bool",
        False,
        "FLUSHDB and FLUSHALL without SYNC or ASYNC free in the background",
    ),
    # -- slow commands and latency (cacheserver/latency.py)
    Setting(
        "slowlog-log-slower-than",
        "int",
        10000,
        "log commands that take at least this many microseconds in SLOWLOG; "
        "0 logs every command, -1 none",
        lo=-1,
    ),
    Setting("slowlog-max-len", "int", 128, "most entries SLOWLOG keeps (the oldest go)"),
    Setting(
        "latency-monitor-threshold",
        "int",
        0,
        "record LATENCY events (commands, expiry and eviction cycles) of at least "
        "this many milliseconds; 0 = off",
    ),
    Setting(
        "latency-tracking",
        "bool",
        True,
        "show per-command latency percentiles in INFO latencystats and LATENCY HISTOGRAM",
    ),
    Setting(
        "latency-tracking-info-percentiles",
        "percentiles",
        (50.0, 99.0, 99.9),
        "the percentiles INFO latencystats shows",
    ),
    # -- security (redis acl.c)
    Setting(
        "requirepass",
        "string",
        "",
        "password of the default user (AUTH password); empty = none (the default user is nopass)",
    ),
    Setting(
        "aclfile",
        "string",
        "",
        "file of 'user name rules...' lines holding the users (ACL LOAD, ACL SAVE); "
        "not together with user lines in the config file",
        mutable=False,
    ),
    Setting("acllog-max-len", "int", 128, "most entries ACL LOG keeps", hi=LLONG_MAX),
    Setting(
        "acl-pubsub-default",
        "enum",
        "resetchannels",
        "the channels a new user (or selector) may use: none, or all",
        choices=("allchannels", "resetchannels"),
    ),
    # -- process
    Setting(
        "loglevel",
        "enum",
        "notice",
        "how much to log",
        choices=("debug", "verbose", "notice", "warning"),
    ),
    Setting("logfile", "string", "", "log file; empty = stderr", mutable=False),
    Setting(
        "enable-debug-command",
        "enum",
        "no",
        "allow DEBUG: no, yes, or local (loopback and Unix-socket clients only)",
        mutable=False,
        choices=("no", "yes", "local"),
    ),
    Setting(
        "event-loop",
        "enum",
        "uvloop",
        "uvloop, or asyncio",
        mutable=False,
        choices=("uvloop", "asyncio"),
    ),
    # -- read-through
    Setting(
        "loaders",
        "string",
        "",
        "read-through loaders: a TOML file of [database] and [[loader]] tables "
        "(LOADER RELOAD or SIGHUP reads it again)",
        mutable=False,
    ),
    # -- fixed, for tools that read them
    Setting(
        "save",
        "string",
        "",
        "snapshots: cacheserver keeps none, so only an empty value is accepted",
        fixed=True,
        fixed_reason="cacheserver keeps no snapshots; only an empty save is accepted",
    ),
    Setting(
        "appendonly",
        "bool",
        False,
        "append-only file: cacheserver keeps none, so only no is accepted",
        fixed=True,
        fixed_reason="cacheserver keeps no append-only file; only 'no' is accepted",
    ),
)

BY_NAME: dict[str, Setting] = {}
for _s in SETTINGS:
    BY_NAME[_s.name] = _s
    for _a in _s.aliases:
        BY_NAME[_a] = _s

REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE"


class Config:
    """Current values, with observers called on change (``on(name, fn)``).

    An observer may raise ConfigError to refuse a value it cannot apply; the
    whole CONFIG SET is then rolled back, as redis ``configSetCommand`` does.
    """

    def __init__(self, **values: Any) -> None:
        self.values: dict[str, Any] = {s.name: _copy(s.default) for s in SETTINGS}
        self.file: str = ""
        # ``user name rules...`` lines of the config file (name first), for the ACL
        self.users: list[list[bytes]] = []
        # rename-command directives, in file order: (name, new name or "")
        self.renames: list[tuple[str, str]] = []
        self._observers: dict[str, list[Callable[[Any], None]]] = {}
        for k, v in values.items():
            self.values[k.replace("_", "-")] = v

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def on(self, name: str, fn: Callable[[Any], None]) -> None:
        self._observers.setdefault(name, []).append(fn)

    def set_many(self, pairs: Sequence[tuple[str, str]], runtime: bool = True) -> None:
        """Validate every pair, then apply all (CONFIG SET is all-or-nothing).

        Checks run in Redis's order: first every name (unknown ->
        UnknownSetting, immutable, duplicate; ``name`` as written), then
        every value (``name`` the setting's own), then the observers.
        """
        found: list[tuple[Setting, str]] = []
        seen: set[str] = set()
        for name, text in pairs:
            s = BY_NAME.get(name.lower())
            if s is None:
                raise UnknownSetting(name)
            if runtime and not s.mutable:
                raise ConfigError("can't set immutable config", name)
            if s.name in seen:
                raise ConfigError("duplicate parameter", name)
            seen.add(s.name)
            found.append((s, text))
        parsed: list[tuple[Setting, Any]] = []
        for s, text in found:
            try:
                parsed.append((s, s.parse(text, self.values[s.name])))
            except ConfigError as e:
                raise ConfigError(e.reason, s.name) from None
        old = {s.name: self.values[s.name] for s, _ in parsed}
        for s, v in parsed:
            self.values[s.name] = v
        applied: list[Setting] = []
        try:
            for s, v in parsed:
                applied.append(s)
                for fn in self._observers.get(s.name, ()):
                    fn(v)
        except ConfigError as e:
            for s in applied:
                self.values[s.name] = old[s.name]
                for fn in self._observers.get(s.name, ()):
                    try:
                        fn(old[s.name])
                    except ConfigError:
                        pass
            raise ConfigError(e.reason, e.name or applied[-1].name) from None

    def get_matching(self, match: Callable[[bytes], bool]) -> list[tuple[str, str]]:
        """(name, text) of every setting whose name (or alias) ``match`` accepts."""
        out: list[tuple[str, str]] = []
        for s in SETTINGS:
            for name in (s.name, *s.aliases):
                if match(name.encode()):
                    out.append((name, s.render(self.values[s.name])))
        return out

    def get_patterns(self, patterns: Sequence[bytes]) -> list[tuple[bytes, bytes]]:
        """CONFIG GET: each setting once, as redis ``configGetCommand``.

        A name without glob characters is looked up directly and answered
        under the name as written; a pattern matches names and aliases,
        case-insensitively.
        """
        out: list[tuple[bytes, bytes]] = []
        taken: set[str] = set()
        for pat in patterns:
            if not any(ch in pat for ch in b"[*?"):
                s = BY_NAME.get(pat.decode("latin-1").lower())
                if s is not None and s.name not in taken:
                    taken.add(s.name)
                    out.append((pat, s.render(self.values[s.name]).encode()))
                continue
            match = compile_glob(pat, True)
            for s in SETTINGS:
                for name in (s.name, *s.aliases):
                    if s.name not in taken and match(name.encode()):
                        taken.add(s.name)
                        out.append((name.encode(), s.render(self.values[s.name]).encode()))
        return out

    # -- the config file ---------------------------------------------------------

    def load_file(self, path: str) -> None:
        """Read a redis.conf-style file: ``name value...`` per line, ``#`` comments.

        Any error is fatal (SystemExit) with the file, the line and the reason,
        as redis ``loadServerConfigFromString``.
        """
        self.file = os.path.abspath(path)
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            raise SystemExit(
                f"\n*** FATAL CONFIG FILE ERROR ***\nCan't open the configuration file {path}: "
                f"{e.strerror}"
            ) from None
        self.load_text(text, path)

    def load_text(self, text: str, path: str = "<config>") -> None:
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip(" \t\r\n")
            if not line or line.startswith("#"):
                continue
            args = split_inline(line.encode("utf-8", "surrogateescape"))
            if args is None:
                _fatal(path, lineno, raw, "Unbalanced quotes in configuration line")
                continue
            if not args:
                continue
            name = args[0].decode("utf-8", "surrogateescape").lower()
            if name == "user" and len(args) >= 2:
                if any(u[0] == args[1] for u in self.users):
                    _fatal(
                        path,
                        lineno,
                        raw,
                        f"Error in user declaration '{args[1].decode(errors='replace')}': "
                        "Duplicate user found. A user can only be defined once in config files",
                    )
                self.users.append(args[1:])
                continue
            if name == "rename-command" and len(args) == 3:
                # not a setting (no CONFIG GET/SET): the server applies it to
                # its command table (redis loadServerConfigFromString)
                old, new = (a.decode("utf-8", "surrogateescape") for a in args[1:])
                self.renames.append((old, new))
                continue
            s = BY_NAME.get(name)
            if s is None:
                _fatal(path, lineno, raw, "Bad directive or wrong number of arguments")
                continue
            values = [a.decode("utf-8", "surrogateescape") for a in args[1:]]
            if s.kind in ("list", "obuf", "percentiles") or s.name == "save":
                # bind takes several addresses; save takes pairs (only "" is accepted)
                text_value = " ".join(values)
                if s.kind == "list" and not values:
                    _fatal(path, lineno, raw, "wrong number of arguments")
                    continue
            elif len(values) == 1:
                text_value = values[0]
            else:
                _fatal(path, lineno, raw, "wrong number of arguments")
                continue
            try:
                self.values[s.name] = s.parse(text_value, self.values[s.name])
            except ConfigError as e:
                _fatal(path, lineno, raw, e.reason)

    def rewrite(self) -> None:
        """CONFIG REWRITE: update the config file in place (redis ``rewriteConfig``).

        Lines of known settings are replaced by the current value (later
        duplicates dropped); comments and other lines stay; settings changed
        from their default but absent from the file are appended after a
        signature line.  Raises OSError when the file cannot be written.
        """
        path = self.file
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        out: list[str | None] = []
        done: set[str] = set()
        has_tail = False
        for raw in lines:
            if raw.strip() == REWRITE_SIGNATURE:
                has_tail = True
            stripped = raw.strip(" \t\r\n")
            args = None if stripped.startswith("#") else split_inline(stripped.encode())
            s = BY_NAME.get(args[0].decode(errors="replace").lower()) if args else None
            if s is None or s.fixed:
                out.append(raw)
                continue
            if s.name in done:
                out.append(None)  # an orphaned duplicate
                continue
            done.add(s.name)
            out.append(f"{s.name} {s.file_text(self.values[s.name])}")
        extra = [
            f"{s.name} {s.file_text(self.values[s.name])}"
            for s in SETTINGS
            if not s.fixed and s.name not in done and self.values[s.name] != s.default
        ]
        if extra and not has_tail:
            out.append(REWRITE_SIGNATURE)
        out.extend(extra)
        text = "".join(line + "\n" for line in out if line is not None)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".cacheserver-rewrite-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            except FileNotFoundError:
                os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _copy(v: Any) -> Any:
    return list(v) if isinstance(v, list) else v


def _fatal(path: str, lineno: int, line: str, reason: str) -> None:
    raise SystemExit(
        f"\n*** FATAL CONFIG FILE ERROR ***\n"
        f"Reading the configuration file {path}, at line {lineno}\n>>> '{line.strip()}'\n{reason}"
    )


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """``cacheserver [config-file] [--name value ...]``, flags named as the settings.

    The file is read first and the flags applied after it, so a flag wins over
    the same directive in the file (as redis-server's command line).
    """
    p = argparse.ArgumentParser(
        prog="cacheserver",
        usage="cacheserver [config-file] [--option value ...]",
        description="A Redis- and memcached-compatible cache server.\n\n"
        "Every option below is also a directive of the config file (a redis.conf-style\n"
        "file of 'name value' lines; '#' starts a comment; quote values with spaces),\n"
        "and can be read with CONFIG GET.  Options not marked [restart to change] can\n"
        "also be changed at run time with CONFIG SET.  Options given on the command\n"
        "line override the same directives in the config file.",
        epilog="examples:\n"
        "  cacheserver --port 7000 --maxclients 500\n"
        "  cacheserver /etc/cacheserver.conf --loglevel verbose\n"
        "  cacheserver --bind 127.0.0.1 ::1 --unixsocket /run/cacheserver.sock",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config_file", nargs="?", help="a redis.conf-style file of 'name value' lines")
    for s in SETTINGS:
        extra = "" if s.mutable or s.fixed else " [restart to change]"
        default = (
            s.file_text(s.default) if s.kind in ("memory", "list", "obuf") else s.render(s.default)
        )
        p.add_argument(
            f"--{s.name}",
            dest=s.name,
            metavar="ADDR" if s.kind == "list" else "VALUE",
            nargs="+" if s.kind in ("list", "obuf", "percentiles") else None,
            help=f"{s.help}. Takes {s.value_help()}; default {default or chr(34) * 2}.{extra}",
        )
    p.add_argument(
        "--rename-command",
        dest="rename_command",
        nargs=2,
        action="append",
        metavar=("NAME", "NEWNAME"),
        help="give a command another name; an empty NEWNAME removes it (may be repeated; "
        "also a config-file directive). Not a setting: CONFIG GET does not show it.",
    )
    ns = p.parse_args(argv)
    cfg = Config()
    if ns.config_file:
        cfg.load_file(ns.config_file)
    for old, new in ns.rename_command or ():
        cfg.renames.append((old, new))
    for s in SETTINGS:
        v = getattr(ns, s.name, None)
        if v is None:
            continue
        text = " ".join(v) if isinstance(v, list) else v
        try:
            cfg.values[s.name] = s.parse(text, cfg.values[s.name])
        except ConfigError as e:
            print(f"cacheserver: --{s.name} {text!r}: {e}", file=sys.stderr)
            raise SystemExit(2) from None
    return cfg
