"""Settings: one table read by the command line, the config file, CONFIG GET/SET and INFO.

Like Redis's ``standardConfig`` table in ``config.c``: each row has a name
(Redis's own where Redis has the setting), a kind, a default, limits, whether
``CONFIG SET`` may change it at run time, and a line of help.  Memory values
take Redis's units (``100mb``, ``1gb``, ``512k``); booleans are ``yes``/``no``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from protocol.resp import split_inline

__all__ = ["Setting", "SETTINGS", "Config", "ConfigError", "parse_args", "parse_memory"]


class ConfigError(Exception):
    """A bad value: ``reason`` is Redis's text, ``name`` the setting it concerns."""

    def __init__(self, reason: str, name: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.name = name

    def __str__(self) -> str:
        return self.reason


_MEM = re.compile(r"^(\d+)(b|k|kb|m|mb|g|gb)?$", re.IGNORECASE)
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
    """``100mb`` -> 104857600, as redis ``memtoull`` (k = 1000, kb = 1024)."""
    m = _MEM.match(text.strip())
    if m is None:
        raise ConfigError("argument must be a memory value")
    return int(m.group(1)) * _UNITS[(m.group(2) or "").lower()]


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # int | memory | bool | enum | string | list
    default: Any
    help: str
    mutable: bool = True
    lo: int = 0
    hi: int = 2**63 - 1
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    # settings that exist for tools that read them (redis-benchmark reads save
    # and appendonly); their values are fixed
    fixed: bool = False

    def parse(self, text: str) -> Any:
        """Value from its text form, or ConfigError with Redis's reason."""
        k = self.kind
        if k == "int":
            try:
                v = int(text)
            except ValueError:
                raise ConfigError("argument couldn't be parsed into an integer") from None
            return self._check_range(v)
        if k == "memory":
            return self._check_range(parse_memory(text))
        if k == "bool":
            t = text.lower()
            if t not in ("yes", "no"):
                raise ConfigError("argument must be 'yes' or 'no'")
            return t == "yes"
        if k == "enum":
            t = text.lower()
            if t not in self.choices:
                raise ConfigError(
                    "argument(s) must be one of the following: " + ", ".join(self.choices)
                )
            return t
        if k == "list":
            args = split_inline(text.encode())
            if args is None:
                raise ConfigError("unbalanced quotes")
            return [a.decode() for a in args]
        return text

    def _check_range(self, v: int) -> int:
        if not self.lo <= v <= self.hi:
            raise ConfigError(f"argument must be between {self.lo} and {self.hi} inclusive")
        return v

    def render(self, value: Any) -> str:
        """The text CONFIG GET shows."""
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "list":
            return " ".join(value)
        return str(value)


U32 = 2**32 - 1
I32 = 2**31 - 1
MB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    # -- network
    Setting("bind", "list", ["127.0.0.1"], "addresses the Redis listener binds to", mutable=False),
    Setting("port", "int", 6379, "Redis protocol TCP port; 0 turns TCP off", mutable=False, hi=65535),
    Setting("unixsocket", "string", "", "path of a Unix socket for the Redis protocol", mutable=False),
    Setting("unixsocketperm", "int", 0, "octal permissions of the Unix socket (e.g. 700)", mutable=False, hi=0o777),
    Setting("tcp-backlog", "int", 511, "listen() backlog", mutable=False, hi=I32),
    Setting("tcp-keepalive", "int", 300, "seconds between TCP keepalive probes; 0 = off", hi=I32),
    Setting("timeout", "int", 0, "close a client idle this many seconds; 0 = never", hi=I32),
    Setting("maxclients", "int", 10000, "most clients connected at once", lo=1, hi=U32),
    # -- limits
    Setting(
        "proto-max-bulk-len", "memory", 512 * MB, "largest bulk string a request may carry", lo=MB
    ),
    Setting(
        "client-query-buffer-limit",
        "memory",
        1024 * MB,
        "most unparsed request bytes held per client",
        lo=MB,
    ),
    # -- keyspace
    Setting("databases", "int", 16, "number of databases (SELECT 0..n-1)", mutable=False, lo=1, hi=I32),
    Setting("hz", "int", 10, "background cycles (active expiry, client timeouts) per second", lo=1, hi=500),
    Setting(
        "active-expire-effort",
        "int",
        1,
        "1-10: share of each cycle spent expiring keys (10 = most)",
        lo=1,
        hi=10,
    ),
    # -- process
    Setting(
        "loglevel",
        "enum",
        "notice",
        "debug, verbose, notice or warning",
        choices=("debug", "verbose", "notice", "warning", "nothing"),
    ),
    Setting("logfile", "string", "", "log file; empty = stderr", mutable=False),
    Setting(
        "enable-debug-command",
        "enum",
        "no",
        "allow DEBUG: no, yes, or local (loopback clients only)",
        mutable=False,
        choices=("no", "yes", "local"),
    ),
    Setting("event-loop", "enum", "uvloop", "uvloop, or asyncio", mutable=False, choices=("uvloop", "asyncio")),
    # -- fixed, for tools that read them
    Setting("save", "string", "", "snapshots: cacheserver keeps no files (always empty)", fixed=True),
    Setting("appendonly", "bool", False, "append-only file: always no", fixed=True),
)

BY_NAME: dict[str, Setting] = {}
for _s in SETTINGS:
    BY_NAME[_s.name] = _s
    for _a in _s.aliases:
        BY_NAME[_a] = _s


class Config:
    """Current values, with observers called on change (``on(name, fn)``)."""

    def __init__(self, **values: Any) -> None:
        self.values: dict[str, Any] = {s.name: _copy(s.default) for s in SETTINGS}
        self.file: str = ""
        self._observers: dict[str, list[Callable[[Any], None]]] = {}
        for k, v in values.items():
            self.values[k.replace("_", "-")] = v

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def on(self, name: str, fn: Callable[[Any], None]) -> None:
        self._observers.setdefault(name, []).append(fn)

    def set_many(self, pairs: Sequence[tuple[str, str]], runtime: bool = True) -> None:
        """Validate every pair, then apply all (CONFIG SET is all-or-nothing)."""
        parsed: list[tuple[Setting, Any]] = []
        seen: set[str] = set()
        for name, text in pairs:
            s = BY_NAME.get(name.lower())
            if s is None:
                raise KeyError(name)
            if s.name in seen:
                raise ConfigError("duplicate parameter", s.name)
            seen.add(s.name)
            if runtime and (not s.mutable or s.fixed):
                raise ConfigError("can't set immutable config", s.name)
            try:
                parsed.append((s, s.parse(text)))
            except ConfigError as e:
                raise ConfigError(str(e), s.name) from None
        for s, v in parsed:
            self.values[s.name] = v
        for s, v in parsed:
            for fn in self._observers.get(s.name, ()):
                fn(v)

    def get_matching(self, match: Callable[[bytes], bool]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for s in SETTINGS:
            for name in (s.name, *s.aliases):
                if match(name.encode()):
                    out.append((name, s.render(self.values[s.name])))
        return out

    def load_file(self, path: str) -> None:
        """Read a redis.conf-style file: ``name value...`` per line, ``#`` comments."""
        self.file = path
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for lineno, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            args = split_inline(line.encode())
            if not args:
                _fatal(path, lineno, raw, "unbalanced quotes in configuration line")
                continue
            name = args[0].decode().lower()
            s = BY_NAME.get(name)
            if s is None:
                _fatal(path, lineno, raw, "Bad directive or wrong number of arguments")
                continue
            if s.fixed:
                continue
            values = [a.decode() for a in args[1:]]
            text = " ".join(values) if s.kind == "list" else (values[0] if len(values) == 1 else None)
            if text is None:
                _fatal(path, lineno, raw, "wrong number of arguments")
                continue
            try:
                self.values[s.name] = s.parse(text)
            except ConfigError as e:
                _fatal(path, lineno, raw, str(e))


def _copy(v: Any) -> Any:
    return list(v) if isinstance(v, list) else v


def _fatal(path: str, lineno: int, line: str, reason: str) -> None:
    raise SystemExit(
        f"\n*** FATAL CONFIG FILE ERROR ***\n"
        f"Reading the configuration file {path}, at line {lineno}\n>>> '{line.strip()}'\n{reason}"
    )


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """``cacheserver [config-file] [--name value ...]``, flags named as the settings."""
    p = argparse.ArgumentParser(
        prog="cacheserver",
        description="A Redis- and memcached-compatible cache server. Every option is also "
        "a config-file directive and, where marked, CONFIG SET-able at run time.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config_file", nargs="?", help="a redis.conf-style file of 'name value' lines")
    for s in SETTINGS:
        if s.fixed:
            continue
        extra = "" if s.mutable else " [restart to change]"
        default = s.render(s.default) if s.kind != "memory" else str(s.default)
        p.add_argument(
            f"--{s.name}",
            dest=s.name,
            metavar="VALUE" if s.kind != "list" else "ADDR",
            nargs="+" if s.kind == "list" else None,
            help=f"{s.help} (default: {default!r}){extra}",
        )
    ns = p.parse_args(argv)
    cfg = Config()
    if ns.config_file:
        cfg.load_file(ns.config_file)
    for s in SETTINGS:
        v = getattr(ns, s.name, None) if not s.fixed else None
        if v is None:
            continue
        text = " ".join(v) if isinstance(v, list) else v
        try:
            cfg.values[s.name] = s.parse(text)
        except ConfigError as e:
            print(f"cacheserver: --{s.name} {text}: {e}", file=sys.stderr)
            raise SystemExit(2) from None
    return cfg
