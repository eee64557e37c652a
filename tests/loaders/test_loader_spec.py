"""The loaders file: parsing, checks with file and line, key patterns, durations (no database)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from cacheserver.loaders.spec import (
    KeyPattern,
    LoaderConfigError,
    parse_duration,
    parse_file,
    parse_text,
    query_parameters,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ISSUE_EXAMPLE = """\
[database]
dsn = "postgresql://app@db1:5432,db2:5432/shop?target_session_attrs=read-write"
password_file = "/run/secrets/db_password"   # or password_env = "DB_PASSWORD"
min_connections = 1
max_connections = 10
borrow_timeout = "2s"
query_timeout = "5s"
sslmode = "verify-full"

[[loader]]
name = "product"
key = "product:{id:int}"
query = "SELECT id, name, price FROM products WHERE id = $1"
format = "json"            # json object | hash (one field per column) | value (first column)
ttl = "1h"
jitter = "10%"
negative_ttl = "30s"
stale_for = "5m"           # may serve stale while refreshing, or while the database is down
invalidate_channel = "products_changed"
"""

DB = '[database]\ndsn = "postgresql://app@localhost/shop"\n'


def problems(text: str) -> list[str]:
    with pytest.raises(LoaderConfigError) as info:
        parse_text(text, "shop.toml")
    return info.value.problems


def test_the_issue_example() -> None:
    spec = parse_text(ISSUE_EXAMPLE, "shop.toml")
    db = spec.database
    assert db.hosts == (("db1", 5432), ("db2", 5432))
    assert db.user == "app" and db.dbname == "shop"
    assert db.target_session_attrs == "read-write"
    assert db.password_file == "/run/secrets/db_password"
    assert (db.borrow_timeout, db.query_timeout, db.max_connections) == (2.0, 5.0, 10)
    assert db.display_dsn() == "postgresql://app@db1:5432,db2:5432/shop?target_session_attrs=read-write"
    (L,) = spec.loaders
    assert (L.name, L.format, L.ttl_ms, L.jitter_ratio) == ("product", "json", 3_600_000, 0.1)
    assert (L.negative_ttl_ms, L.stale_for_ms, L.invalidate_channel) == (30_000, 300_000, "products_changed")
    assert L.line == 10


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (DB + "colour = 1\n", 3, "unknown key 'colour'"),
        (DB + "[[loader]]\nname = 'a'\nkey = 'a:{id}'\nquery = 'SELECT $1'\nttl = '1h'\nfrmat = 'json'\n", 8, "loader 'a': unknown key 'frmat'"),
        (DB + "[cache]\nsize = 1\n", 3, "unknown table or key 'cache'"),
        ('[database]\n\ndsn = "mysql://x"\n', 3, "bad dsn"),
        ('[database]\ndsn = "postgresql://app:hunter2@db/shop"\n', 2, "no password in the dsn"),
        ('[database]\ndsn = "postgresql://db:99999/shop"\n', 2, "bad port"),
        ('[database]\ndsn = "postgresql://db/shop?sslmod=require"\n', 2, "unknown parameter 'sslmod'"),
        ('[database]\ndsn = "postgresql://db/shop?target_session_attrs=sometimes"\n', 2, "target_session_attrs must be"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id:int}:{id}'\nquery = 'SELECT $1, $2'\nttl = '1h'\n", 5, "capture {id} appears twice"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id:int}'\nquery = 'SELECT * FROM t WHERE a = $1 AND b = $2'\nttl = '1h'\n", 6, "captures 1 value ($1) but the query uses $1, $2"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{a}:{b}'\nquery = 'SELECT $1'\nttl = '1h'\n", 6, "captures 2 values ($1, $2) but the query uses $1"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id:int}'\nquery = 'SELECT 1'\nttl = 'soon'\n", 7, "ttl: 'soon' is not a duration"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id:int}'\nquery = 'SELECT $1'\nttl = '1h'\njitter = '150%'\n", 8, "not a percentage"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id:float}'\nquery = 'SELECT $1'\nttl = '1h'\n", 5, "unknown type 'float'"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id}'\nquery = 'SELECT $1; DROP TABLE t'\nttl = '1h'\n", 6, "single statement"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id}'\nquery = 'SELECT $1'\nttl = '100ms'\n", 7, "at least 1s"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id}'\nquery = 'SELECT $1'\n", 3, "ttl is required"),
        (DB + "[[loader]]\nname = 'p'\nkey = 'p:{id}'\nquery = 'SELECT $1'\nttl = '1h'\nformat = 'xml'\n", 8, "format must be one of json, hash, value"),
        (DB + "max_connections = 0\n", 3, "max_connections must be an integer >= 1"),
        (DB + "borrow_timeout = 'whenever'\n", 3, "borrow_timeout: 'whenever' is not a duration"),
        (DB + "password_file = 'a'\npassword_env = 'B'\n", 4, "not both"),
        ("[[loader]]\nname = 'p'\n", 1, "missing [database] table"),
        (DB + "[[loader]\nname = 'p'\n", 3, "TOML syntax"),
    ],
)
def test_problems_name_file_line_and_problem(text: str, line: int, needle: str) -> None:
    found = problems(text)
    assert any(p.startswith(f"shop.toml:{line}: ") and needle in p for p in found), found


def test_every_problem_is_reported_in_line_order() -> None:
    found = problems(
        DB
        + "[[loader]]\nname = 'a'\nkey = 'a:{id}'\nquery = 'SELECT $1'\nttl = 'soon'\n"
        + "[[loader]]\nname = 'a'\nkey = 'b:{x}:{x}'\nquery = 'SELECT $1'\nttl = '1h'\n"
    )
    assert [p.split(":")[1] for p in found] == ["7", "9", "10"]
    assert "used twice" in found[1]


def test_parse_file_errors(tmp_path: object) -> None:
    with pytest.raises(LoaderConfigError, match="cannot read the loaders file"):
        parse_file("/nonexistent/loaders.toml")


def test_durations() -> None:
    assert parse_duration("2s") == 2000
    assert parse_duration("5m") == 300_000
    assert parse_duration("1h") == 3_600_000
    assert parse_duration("1h30m") == 5_400_000
    assert parse_duration("500ms") == 500
    assert parse_duration("1.5s") == 1500
    assert parse_duration("1d") == 86_400_000
    assert parse_duration(60) == 60_000
    assert parse_duration("0") == 0
    for bad in ("soon", "", "5", "-1s", "5 m", "1s2", "s", True, 1.5, -3):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_key_patterns() -> None:
    p = KeyPattern("product:{id:int}")
    assert p.match(b"product:42") == (42,)
    assert p.match(b"product:-7") == (-7,)
    assert p.match(b"product:0") == (0,)
    for bad in (b"product:abc", b"product:042", b"product:+1", b"product:", b"product:1 ",
                b"product:9223372036854775808", b"x:1", b"product:1\n"):
        assert p.match(bad) is None, bad
    assert p.match(b"product:9223372036854775807") == (2**63 - 1,)
    u = KeyPattern("user:{org}:{id:uuid}")
    uid = "123e4567-e89b-12d3-a456-426614174000"
    assert u.match(f"user:acme:{uid}".encode()) == ("acme", uuid.UUID(uid))
    assert u.match(f"user:acme:{uid.upper()}".encode()) is None  # canonical lowercase only
    assert u.match(f"user:a:b:{uid}".encode()) is None  # a str capture stops at the next literal
    assert u.match(b"user:\xff:" + uid.encode()) is None  # not UTF-8
    assert u.match(b"user:a\x00b:" + uid.encode()) is None
    s = KeyPattern("page:{path}")
    assert s.match("page:a:b/ü".encode()) == ("a:b/ü",)
    assert KeyPattern("{{x}}:{id:int}").match(b"{x}:5") == (5,)
    assert KeyPattern("config:global").match(b"config:global") == ()


def test_key_pattern_format() -> None:
    p = KeyPattern("product:{id:int}")
    assert p.format({"id": 42}) == b"product:42"
    assert p.format({"id": "42"}) == b"product:42"
    assert p.format({"id": "042"}) is None
    assert p.format({"id": True}) is None
    assert p.format({"other": 1}) is None
    u = KeyPattern("u:{org}:{id:uuid}")
    uid = "123E4567-E89B-12D3-A456-426614174000"
    assert u.format({"org": "acme", "id": uid}) == b"u:acme:" + uid.lower().encode()
    assert u.format({"org": "a:b", "id": uid}) is None  # would not read back as the same key


def test_query_parameters() -> None:
    assert query_parameters("SELECT $1 ; ") == ("SELECT $1", [1])
    q = "SELECT '$2', \"$3\", $$ $4 $$, $t$ $5 $t$, E'\\'$6' -- $7\n /* /* $8 */ */ FROM t WHERE a = $1"
    assert query_parameters(q)[1] == [1]
    for bad in ("SELECT 'abc", "SELECT $$ x", "SELECT 1 /* x", "SELECT 1; SELECT 2", "  ;"):
        with pytest.raises(ValueError):
            query_parameters(bad)


def test_cli_bad_loaders_file_stops_startup(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "bad.toml")
    with open(path, "w") as f:
        f.write(DB + "[[loader]]\nname = 'p'\nkey = 'p:{id:int}'\nquery = 'SELECT $1'\nttl = 'soon'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "cacheserver", "--port", "0", "--loaders", path],
        capture_output=True,
        timeout=30,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    assert proc.returncode == 1
    assert f"{path}:7: loader 'p': ttl: 'soon' is not a duration" in proc.stderr.decode()
