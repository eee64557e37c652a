"""The loaders file: a TOML file of one ``[database]`` table and ``[[loader]]`` tables.

Parsed with ``tomllib`` and checked before anything runs: every problem is
reported with the file, the line and what is wrong (unknown keys, a bad DSN,
a key pattern naming a capture twice, a query whose ``$n`` parameters do not
match the pattern's captures, a TTL of "soon" ...).  The result is a frozen
``LoadersSpec``; nothing here touches the network.
"""

from __future__ import annotations

import math
import re
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = [
    "DatabaseSpec",
    "KeyPattern",
    "LoaderConfigError",
    "LoaderSpec",
    "LoadersSpec",
    "parse_duration",
    "parse_file",
    "parse_text",
    "query_parameters",
]

FORMATS = ("json", "hash", "value")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SESSION_ATTRS = ("any", "read-write", "primary")
CAPTURE_TYPES = ("int", "str", "uuid")
INT64 = 2**63


class LoaderConfigError(Exception):
    """One or more problems in a loaders file; ``str()`` lists them, one a line,
    each as ``path:line: problem``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- durations ------------------------------------------------------------------

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> int:
    """Milliseconds from ``"500ms"``, ``"30s"``, ``"5m"``, ``"1h30m"``, ``"1d"``,
    or an integer number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative")
        return value * 1000
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration")
    text = value.strip()
    if text == "0":
        return 0
    pos = 0
    total = 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_MS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(
            f"{value!r} is not a duration (a number and a unit: 500ms, 30s, 5m, 1h, 1d)"
        )
    return round(total)


def _format_ms(ms: int) -> str:
    """A duration as the shortest exact text (``90000`` -> ``1m30s``)."""
    if ms == 0:
        return "0"
    out = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNIT_MS[unit]
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)


# -- key patterns -----------------------------------------------------------------


@dataclass(frozen=True)
class Capture:
    name: str
    kind: str  # int | str | uuid


_INT = rb"-?(?:0|[1-9][0-9]*)"
_UUID = rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class KeyPattern:
    """``product:{id:int}``: literal text and typed captures.

    Each capture becomes one query parameter, ``$1`` for the first capture,
    ``$2`` for the second, and so on.  A key fits only in its canonical form:
    ``int`` is a decimal in int64 range without sign ``+`` or leading zeros,
    ``uuid`` the lowercase 8-4-4-4-12 form, ``str`` one or more bytes of
    valid UTF-8 without NUL (a ``str`` capture followed by literal text stops
    at the first byte of that text).  So two spellings never name one row,
    and a key that does not fit is a plain miss, never a query.
    """

    __slots__ = ("captures", "literals", "prefix", "regex", "text")

    def __init__(self, text: str) -> None:
        """Parse ``text``; ValueError with the problem."""
        self.text = text
        literals: list[str] = []
        captures: list[Capture] = []
        lit: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch in "{}" and text.startswith(ch * 2, i):  # {{ and }} are literal braces
                lit.append(ch)
                i += 2
                continue
            if ch == "}":
                raise ValueError("unbalanced } (write }} for a literal brace)")
            if ch != "{":
                lit.append(ch)
                i += 1
                continue
            close = text.find("}", i)
            if close < 0 or "{" in text[i + 1 : close]:
                raise ValueError("unbalanced { (write {{ for a literal brace)")
            inner = text[i + 1 : close]
            i = close + 1
            name, _, kind = inner.partition(":")
            name = name.strip()
            kind = kind.strip() or "str"
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"capture {{{inner}}} needs a name (letters, digits, _)")
            if kind not in CAPTURE_TYPES:
                raise ValueError(
                    f"capture {{{inner}}}: unknown type {kind!r} (one of {', '.join(CAPTURE_TYPES)})"
                )
            if any(c.name == name for c in captures):
                raise ValueError(f"capture {{{name}}} appears twice")
            if captures and not lit:
                raise ValueError(
                    f"captures {{{captures[-1].name}}} and {{{name}}} need text between them"
                )
            literals.append("".join(lit))
            lit = []
            captures.append(Capture(name, kind))
        literals.append("".join(lit))
        if not "".join(literals) and not captures:
            raise ValueError("empty key pattern")
        self.literals = tuple(lit.encode() for lit in literals)
        self.captures = tuple(captures)
        self.prefix = self.literals[0]
        parts = [re.escape(self.literals[0])]
        for i, cap in enumerate(captures):
            nxt = self.literals[i + 1]
            if cap.kind == "int":
                parts.append(b"(" + _INT + b")")
            elif cap.kind == "uuid":
                parts.append(b"(" + _UUID + b")")
            elif nxt:
                parts.append(b"([^" + re.escape(nxt[:1]) + b"\\x00]+)")
            else:
                parts.append(b"([^\\x00]+)")
            parts.append(re.escape(nxt))
        self.regex = re.compile(b"".join(parts), re.DOTALL)

    def match(self, key: bytes) -> tuple[Any, ...] | None:
        """The typed parameters a key carries, or None when it does not fit."""
        m = self.regex.fullmatch(key)
        if m is None:
            return None
        out: list[Any] = []
        for cap, raw in zip(self.captures, m.groups(), strict=True):
            if cap.kind == "int":
                n = int(raw)
                if not -INT64 <= n < INT64:
                    return None
                out.append(n)
            elif cap.kind == "uuid":
                out.append(uuid.UUID(raw.decode()))
            else:
                try:
                    out.append(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    return None
        return tuple(out)

    def format(self, values: dict[str, Any]) -> bytes | None:
        """The key for named values (an invalidation payload), or None when a
        capture is missing or a value does not fit its type."""
        out = [self.literals[0]]
        for i, cap in enumerate(self.captures):
            if cap.name not in values:
                return None
            text = _capture_text(cap.kind, values[cap.name])
            if text is None:
                return None
            out.append(text)
            out.append(self.literals[i + 1])
        key = b"".join(out)
        return key if self.match(key) is not None else None


def _capture_text(kind: str, value: Any) -> bytes | None:
    if isinstance(value, bool) or value is None:
        return None
    if kind == "int":
        if isinstance(value, str) and re.fullmatch(_INT.decode(), value):
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).encode() if isinstance(value, int) else None
    if kind == "uuid":
        try:
            return str(uuid.UUID(str(value))).encode()
        except ValueError:
            return None
    if isinstance(value, (dict, list)):
        return None
    return str(value).encode("utf-8")


# -- queries --------------------------------------------------------------------

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PARAM = re.compile(r"\$(\d+)")


def _scan(query: str) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, text) of ``$n`` parameters and ``;`` outside quoted
    text and comments (PostgreSQL's lexer rules for '...', E'...', "...",
    $tag$...$tag$, -- and nested /* */); ValueError when one is unterminated."""
    out: list[tuple[str, int, int, str]] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch == "'" or (
            ch in "eE"
            and query.startswith("'", i + 1)
            and (i == 0 or not (query[i - 1].isalnum() or query[i - 1] == "_"))
        ):
            backslash = ch != "'"
            j = i + (2 if backslash else 1)
            while True:
                if j >= n:
                    raise ValueError("unterminated quoted string")
                c = query[j]
                if backslash and c == "\\":
                    j += 2
                elif c == "'":
                    if query.startswith("'", j + 1):
                        j += 2
                    else:
                        break
                else:
                    j += 1
            i = j + 1
        elif ch == '"':
            j = query.find('"', i + 1)
            while j >= 0 and query.startswith('"', j + 1):
                j = query.find('"', j + 2)
            if j < 0:
                raise ValueError("unterminated quoted identifier")
            i = j + 1
        elif ch == "$":
            m = _PARAM.match(query, i)
            if m is not None:
                out.append(("param", i, m.end(), m.group(0)))
                i = m.end()
                continue
            d = _DOLLAR_TAG.match(query, i)
            if d is not None and (i == 0 or not (query[i - 1].isalnum() or query[i - 1] == "_")):
                close = query.find(d.group(0), d.end())
                if close < 0:
                    raise ValueError("unterminated dollar-quoted string")
                i = close + len(d.group(0))
            else:
                i += 1
        elif query.startswith("--", i):
            j = query.find("\n", i)
            i = n if j < 0 else j + 1
        elif query.startswith("/*", i):
            depth, j = 1, i + 2
            while depth and j < n:
                if query.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif query.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise ValueError("unterminated /* comment")
            i = j
        elif ch == ";":
            out.append(("semi", i, i + 1, ";"))
            i += 1
        else:
            i += 1
    return out


def query_parameters(query: str) -> tuple[str, list[int]]:
    """The query without a trailing ``;`` and the ``$n`` numbers it uses;
    ValueError for several statements or unterminated quotes."""
    tokens = _scan(query)
    body = query.rstrip()
    semis = [t for t in tokens if t[0] == "semi"]
    for _, start, _, _ in semis:
        if query[start + 1 :].strip():
            raise ValueError("the query must be a single statement")
    if semis:
        body = query[: semis[0][1]].rstrip()
    if not body.strip():
        raise ValueError("the query is empty")
    return body, sorted({int(t[3][1:]) for t in tokens if t[0] == "param"})


def substitute_parameters(query: str, names: Callable[[int], str]) -> str:
    """``query`` with each ``$n`` outside quotes replaced by ``names(n)``."""
    out: list[str] = []
    pos = 0
    for kind, start, end, text in _scan(query):
        if kind == "param":
            out.append(query[pos:start])
            out.append(names(int(text[1:])))
            pos = end
    out.append(query[pos:])
    return "".join(out)


# -- the spec ---------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseSpec:
    hosts: tuple[tuple[str, int], ...]
    user: str | None
    dbname: str | None
    target_session_attrs: str = "any"
    password_file: str | None = None
    password_env: str | None = None
    min_connections: int = 1
    max_connections: int = 10
    borrow_timeout: float = 2.0
    query_timeout: float = 5.0
    connect_timeout: float = 2.0
    idle_timeout: float = 300.0
    max_lifetime: float = 3600.0
    health_check_interval: float = 10.0
    max_batch: int = 500
    sslmode: str = "prefer"
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None
    application_name: str = "cacheserver"

    def display_dsn(self) -> str:
        """The DSN without secrets (there are none in it: passwords are refused)."""
        hosts = ",".join(_host_text(h, p) for h, p in self.hosts)
        user = f"{self.user}@" if self.user else ""
        db = f"/{self.dbname}" if self.dbname else ""
        q = (
            ""
            if self.target_session_attrs == "any"
            else f"?target_session_attrs={self.target_session_attrs}"
        )
        return f"postgresql://{user}{hosts}{db}{q}"


def _host_text(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class LoaderSpec:
    name: str
    pattern: KeyPattern
    query: str
    format: str
    ttl_ms: int
    jitter_ms: int  # a fixed spread, or 0
    jitter_ratio: float  # a share of the TTL, or 0
    negative_ttl_ms: int
    stale_for_ms: int
    invalidate_channel: str | None
    db: int
    line: int = 0

    def signature(self) -> tuple[Any, ...]:
        """What decides the values it stores (a reload keeps state when equal)."""
        return (self.pattern.text, self.query, self.format, self.db)

    def describe(self) -> list[tuple[str, str]]:
        jitter = (
            f"{self.jitter_ratio * 100:g}%" if self.jitter_ratio else _format_ms(self.jitter_ms)
        )
        return [
            ("name", self.name),
            ("key", self.pattern.text),
            ("query", self.query),
            ("format", self.format),
            ("ttl", _format_ms(self.ttl_ms)),
            ("jitter", jitter),
            ("negative_ttl", _format_ms(self.negative_ttl_ms)),
            ("stale_for", _format_ms(self.stale_for_ms)),
            ("invalidate_channel", self.invalidate_channel or ""),
            ("db", str(self.db)),
        ]


@dataclass(frozen=True)
class LoadersSpec:
    path: str
    database: DatabaseSpec
    loaders: tuple[LoaderSpec, ...] = field(default_factory=tuple)


# -- locating lines -------------------------------------------------------------------

_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")
_KEYLINE = re.compile(r"\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)\s*=")


class _Lines:
    """Line numbers of tables and keys in the file (tomllib keeps none)."""

    def __init__(self, text: str) -> None:
        self.tables: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        table, index = "", 0
        in_multi: str | None = None
        for lineno, line in enumerate(text.splitlines(), 1):
            if in_multi is not None:
                if line.count(in_multi) % 2 == 1:
                    in_multi = None
                continue
            h = _HEADER.match(line)
            if h is not None:
                table = h.group(2).strip().strip("\"'")
                if h.group(1) == "[[":
                    index = counts.get(table, -1) + 1
                    counts[table] = index
                else:
                    index = 0
                self.tables.setdefault((table, index), lineno)
                continue
            k = _KEYLINE.match(line)
            if k is not None:
                self.keys.setdefault((table, index, k.group(1).strip("\"'")), lineno)
                rest = line[k.end() :]
                for q in ('"""', "'''"):
                    if rest.count(q) % 2 == 1:
                        in_multi = q
                        break

    def of(self, table: str, index: int, key: str | None = None) -> int:
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        return self.tables.get((table, index), 1)


# -- parsing ---------------------------------------------------------------------------

_DB_KEYS = {
    "dsn",
    "password_file",
    "password_env",
    "min_connections",
    "max_connections",
    "borrow_timeout",
    "query_timeout",
    "connect_timeout",
    "idle_timeout",
    "max_lifetime",
    "health_check_interval",
    "max_batch",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "target_session_attrs",
}
_LOADER_KEYS = {
    "name",
    "key",
    "query",
    "format",
    "ttl",
    "jitter",
    "negative_ttl",
    "stale_for",
    "invalidate_channel",
    "db",
}
_DSN_PARAMS = {
    "target_session_attrs",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "connect_timeout",
}


class _Problems:
    def __init__(self, path: str, lines: _Lines) -> None:
        self.path = path
        self.lines = lines
        self.items: list[tuple[int, str]] = []

    def add(self, table: str, index: int, key: str | None, msg: str) -> None:
        self.items.append((self.lines.of(table, index, key), msg))

    def raise_if_any(self) -> None:
        if self.items:
            self.items.sort(key=lambda t: t[0])
            raise LoaderConfigError([f"{self.path}:{line}: {msg}" for line, msg in self.items])


def parse_file(path: str) -> LoadersSpec:
    """Read and check a loaders file; LoaderConfigError names file, line and problem."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise LoaderConfigError([f"{path}: cannot read the loaders file: {e.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LoaderConfigError([f"{path}: not UTF-8 ({e.reason} at byte {e.start})"]) from None
    return parse_text(text, path)


def parse_text(text: str, path: str = "<loaders>") -> LoadersSpec:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        where = f"{path}:{m.group(1)}" if m else path
        raise LoaderConfigError([f"{where}: TOML syntax: {e}"]) from None
    lines = _Lines(text)
    p = _Problems(path, lines)
    for key in doc:
        if key not in ("database", "loader"):
            p.add(
                key, 0, None, f"unknown table or key {key!r} (expected [database] and [[loader]])"
            )
    db_table = doc.get("database")
    database: DatabaseSpec | None = None
    if not isinstance(db_table, dict):
        p.add("", 0, None, "missing [database] table")
    else:
        database = _database(db_table, p)
    raw_loaders = doc.get("loader", [])
    if not isinstance(raw_loaders, list):
        p.add("loader", 0, None, "loader must be an array of tables: write [[loader]]")
        raw_loaders = []
    loaders: list[LoaderSpec] = []
    names: set[str] = set()
    patterns: set[str] = set()
    for i, t in enumerate(raw_loaders):
        if isinstance(t, dict):
            lname, lkey = t.get("name"), t.get("key")
            if isinstance(lname, str):
                if lname in names:
                    p.add("loader", i, "name", f"loader name {lname!r} is used twice")
                names.add(lname)
            if isinstance(lkey, str):
                if lkey in patterns:
                    p.add("loader", i, "key", f"key pattern {lkey!r} is used by two loaders")
                patterns.add(lkey)
        spec = _loader(t, i, p)
        if spec is not None:
            loaders.append(spec)
    p.raise_if_any()
    assert database is not None
    return LoadersSpec(path, database, tuple(loaders))


def _duration(
    t: dict[str, Any], key: str, default: int, p: _Problems, table: str, i: int, where: str
) -> int:
    if key not in t:
        return default
    try:
        return parse_duration(t[key])
    except ValueError as e:
        p.add(table, i, key, f"{where}{key}: {e}")
        return default


def _database(t: dict[str, Any], p: _Problems) -> DatabaseSpec | None:
    ok = True
    for key in t:
        if key not in _DB_KEYS:
            p.add("database", 0, key, f"[database]: unknown key {key!r}")
            ok = False
    dsn = t.get("dsn")
    if not isinstance(dsn, str):
        p.add(
            "database", 0, "dsn", "[database]: dsn is required (postgresql://user@host:port/dbname)"
        )
        return None
    try:
        hosts, user, dbname, params = parse_dsn(dsn)
    except ValueError as e:
        p.add("database", 0, "dsn", f"[database]: bad dsn: {e}")
        return None
    values: dict[str, Any] = {}
    line_of: dict[str, str] = {}  # a value from the dsn is reported on the dsn's line
    for key, value in params.items():
        if key in t:
            p.add("database", 0, key, f"[database]: {key} is given both in the dsn and as a key")
            ok = False
        values[key] = value
        line_of[key] = "dsn"
    for key in (
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "application_name",
        "target_session_attrs",
        "password_file",
        "password_env",
    ):
        if key in t:
            if not isinstance(t[key], str) or not t[key]:
                p.add("database", 0, key, f"[database]: {key} must be a non-empty string")
                ok = False
                continue
            values[key] = t[key]
    if "password_file" in values and "password_env" in values:
        p.add(
            "database",
            0,
            "password_env",
            "[database]: give password_file or password_env, not both",
        )
        ok = False
    sslmode = values.get("sslmode", "prefer")
    if sslmode not in SSLMODES:
        p.add(
            "database",
            0,
            line_of.get("sslmode", "sslmode"),
            f"[database]: sslmode must be one of {', '.join(SSLMODES)}",
        )
        ok = False
    tsa = values.get("target_session_attrs", "any")
    if tsa not in SESSION_ATTRS:
        p.add(
            "database",
            0,
            line_of.get("target_session_attrs", "target_session_attrs"),
            f"[database]: target_session_attrs must be one of {', '.join(SESSION_ATTRS)}",
        )
        ok = False
    ints: dict[str, int] = {}
    for key, default, lo in (
        ("min_connections", 1, 0),
        ("max_connections", 10, 1),
        ("max_batch", 500, 1),
    ):
        v = t.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            p.add("database", 0, key, f"[database]: {key} must be an integer >= {lo}")
            ok = False
            v = default
        ints[key] = v
    if ints["min_connections"] > ints["max_connections"]:
        p.add(
            "database",
            0,
            "min_connections",
            "[database]: min_connections is more than max_connections",
        )
        ok = False
    ms: dict[str, int] = {}
    for key, default in (
        ("borrow_timeout", 2000),
        ("query_timeout", 5000),
        ("idle_timeout", 300_000),
        ("max_lifetime", 3_600_000),
        ("health_check_interval", 10_000),
    ):
        before = len(p.items)
        ms[key] = _duration(t, key, default, p, "database", 0, "[database]: ")
        if len(p.items) > before:
            ok = False
        elif ms[key] == 0 and key in ("borrow_timeout", "query_timeout", "health_check_interval"):
            p.add("database", 0, key, f"[database]: {key} must be more than 0")
            ok = False
    connect_ms = ms["borrow_timeout"]
    if "connect_timeout" in values:
        try:
            text = values["connect_timeout"]
            connect_ms = parse_duration(int(text) if text.isdigit() else text)  # libpq: seconds
        except ValueError as e:
            p.add("database", 0, "dsn", f"[database]: connect_timeout: {e}")
            ok = False
    if "connect_timeout" in t:
        connect_ms = _duration(t, "connect_timeout", connect_ms, p, "database", 0, "[database]: ")
    if not ok:
        return None
    return DatabaseSpec(
        hosts=hosts,
        user=user,
        dbname=dbname,
        target_session_attrs=tsa,
        password_file=values.get("password_file"),
        password_env=values.get("password_env"),
        min_connections=ints["min_connections"],
        max_connections=ints["max_connections"],
        max_batch=ints["max_batch"],
        borrow_timeout=ms["borrow_timeout"] / 1000,
        query_timeout=ms["query_timeout"] / 1000,
        connect_timeout=max(connect_ms, 1) / 1000,
        idle_timeout=ms["idle_timeout"] / 1000,
        max_lifetime=ms["max_lifetime"] / 1000,
        health_check_interval=ms["health_check_interval"] / 1000,
        sslmode=sslmode,
        sslrootcert=values.get("sslrootcert"),
        sslcert=values.get("sslcert"),
        sslkey=values.get("sslkey"),
        application_name=values.get("application_name", "cacheserver"),
    )


def parse_dsn(
    dsn: str,
) -> tuple[tuple[tuple[str, int], ...], str | None, str | None, dict[str, str]]:
    """``postgresql://user@h1:5432,h2:5433/db?param=value``: hosts, user, database, params.

    A password in the DSN is refused: it belongs in password_file or
    password_env, so the DSN can be shown and logged."""
    m = re.fullmatch(r"(postgres(?:ql)?)://([^/?#]*)(?:/([^?#]*))?(?:\?([^#]*))?", dsn)
    if m is None:
        raise ValueError(
            "expected postgresql://[user@]host[:port][,host[:port]...][/dbname][?param=value...]"
        )
    netloc = m.group(2)
    user: str | None = None
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        if ":" in userinfo:
            raise ValueError("no password in the dsn: use password_file or password_env")
        user = unquote(userinfo) or None
    hosts: list[tuple[str, int]] = []
    if not netloc:
        raise ValueError("no host")
    for part in netloc.split(","):
        hm = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d*))?|([^:\[\]]+)(?::(\d*))?", part)
        if hm is None:
            raise ValueError(f"bad host {part!r}")
        host = hm.group(1) or unquote(hm.group(3) or "")
        port_text = hm.group(2) if hm.group(1) else hm.group(4)
        if not host:
            raise ValueError(f"bad host {part!r}")
        port = 5432
        if port_text:
            port = int(port_text)
            if not 0 < port < 65536:
                raise ValueError(f"bad port {port_text!r}")
        elif port_text == "":
            raise ValueError(f"bad host {part!r}: empty port")
        hosts.append((host, port))
    dbname = unquote(m.group(3)) if m.group(3) else None
    params: dict[str, str] = {}
    if m.group(4):
        for key, value in parse_qsl(m.group(4), keep_blank_values=True, strict_parsing=False):
            if key == "password":
                raise ValueError("no password in the dsn: use password_file or password_env")
            if key not in _DSN_PARAMS:
                raise ValueError(
                    f"unknown parameter {key!r} (known: {', '.join(sorted(_DSN_PARAMS))})"
                )
            params[key] = value
    return tuple(hosts), user, dbname, params


def _loader(t: Any, i: int, p: _Problems) -> LoaderSpec | None:
    if not isinstance(t, dict):
        p.add("loader", i, None, "each loader must be a table ([[loader]])")
        return None
    name = t.get("name")
    where = f"loader {name!r}: " if isinstance(name, str) else f"loader #{i + 1}: "
    start = len(p.items)
    ok = True
    for key in t:
        if key not in _LOADER_KEYS:
            p.add("loader", i, key, f"{where}unknown key {key!r}")
            ok = False
    for key in ("name", "key", "query"):
        if not isinstance(t.get(key), str) or not t[key].strip():
            p.add("loader", i, key if key in t else None, f"{where}{key} is required (a string)")
            ok = False
    if not ok:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name or ""):
        p.add(
            "loader", i, "name", f"{where}the name may hold letters, digits, '_', '-' and '.' only"
        )
        ok = False
    pattern: KeyPattern | None = None
    try:
        pattern = KeyPattern(t["key"])
    except ValueError as e:
        p.add("loader", i, "key", f"{where}key pattern {t['key']!r}: {e}")
        ok = False
    query = t["query"]
    try:
        query, used = query_parameters(query)
    except ValueError as e:
        p.add("loader", i, "query", f"{where}query: {e}")
        return None
    if pattern is not None:
        n = len(pattern.captures)
        expected = list(range(1, n + 1))
        if used != expected:
            have = ", ".join(f"${k}" for k in used) or "no parameters"
            want = ", ".join(f"${k}" for k in expected) or "no parameters"
            p.add(
                "loader",
                i,
                "query",
                f"{where}the key pattern {pattern.text!r} captures {n} value{'s' if n != 1 else ''} "
                f"({want}) but the query uses {have}",
            )
            ok = False
    fmt = t.get("format", "json")
    if fmt not in FORMATS:
        p.add("loader", i, "format", f"{where}format must be one of {', '.join(FORMATS)}")
        ok = False
    if "ttl" not in t:
        p.add("loader", i, None, f'{where}ttl is required (e.g. ttl = "1h")')
        ok = False
    before = len(p.items)
    ttl = _duration(t, "ttl", 0, p, "loader", i, where)
    if len(p.items) == before and "ttl" in t and ttl < 1000:
        p.add("loader", i, "ttl", f"{where}ttl must be at least 1s")
    jitter_ms, jitter_ratio = 0, 0.0
    if "jitter" in t:
        j = t["jitter"]
        if isinstance(j, str) and j.strip().endswith("%"):
            try:
                jitter_ratio = float(j.strip()[:-1]) / 100
                if not 0 <= jitter_ratio <= 1 or math.isnan(jitter_ratio):
                    raise ValueError
            except ValueError:
                p.add(
                    "loader",
                    i,
                    "jitter",
                    f"{where}jitter: {j!r} is not a percentage from 0% to 100%",
                )
        else:
            jitter_ms = _duration(t, "jitter", 0, p, "loader", i, where)
    negative = _duration(t, "negative_ttl", 0, p, "loader", i, where)
    stale = _duration(t, "stale_for", 0, p, "loader", i, where)
    channel = t.get("invalidate_channel")
    if channel is not None and (not isinstance(channel, str) or not channel or len(channel) > 63):
        p.add(
            "loader",
            i,
            "invalidate_channel",
            f"{where}invalidate_channel must be a channel name (1 to 63 characters)",
        )
        ok = False
    db = t.get("db", 0)
    if isinstance(db, bool) or not isinstance(db, int) or db < 0:
        p.add("loader", i, "db", f"{where}db must be a database index >= 0")
        ok = False
    if not ok or pattern is None or not isinstance(name, str) or len(p.items) > start:
        return None
    return LoaderSpec(
        name=name,
        pattern=pattern,
        query=query,
        format=fmt,
        ttl_ms=ttl,
        jitter_ms=jitter_ms,
        jitter_ratio=jitter_ratio,
        negative_ttl_ms=negative,
        stale_for_ms=stale,
        invalidate_channel=channel,
        db=db,
        line=p.lines.of("loader", i),
    )
