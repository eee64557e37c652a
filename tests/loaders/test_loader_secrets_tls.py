"""TLS to PostgreSQL (a self-signed CA made by the fixture) and the password:
from a file or the environment, re-read on authentication failure, never shown."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
import redis

from cacheserver.loaders.base import load_spec
from cacheserver.loaders.spec import LoaderConfigError
from pgutil import CacheServers, Certs, Cluster, client, loader_stats

pytestmark = pytest.mark.pg

LOADER = """
[[loader]]
name = "p"
key = "p:{id:int}"
query = "SELECT name FROM products WHERE id = $1"
format = "value"
ttl = "1h"
"""


def tls_config(pg: Cluster, sslmode: str, rootcert: str | None, app: str) -> str:
    root = f'sslrootcert = "{rootcert}"\n' if rootcert else ""
    return (
        f'[database]\ndsn = "postgresql://postgres@127.0.0.1:{pg.port}/postgres"\n'
        f'sslmode = "{sslmode}"\n{root}application_name = "{app}"\nmin_connections = 0\n' + LOADER
    )


def ssl_in_use(pg: Cluster, app: str) -> list[bool]:
    rows = pg.fetch(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1", app
    )
    return [row["ssl"] for row in rows]


def test_tls_verify_full(pg: Cluster, certs: Certs, servers: CacheServers) -> None:
    st = servers.start(tls_config(pg, "verify-full", certs.ca_crt, "cs-tls"))
    assert client(st).get("p:1") == b"product 1"
    assert ssl_in_use(pg, "cs-tls") == [True]


def test_tls_require_and_disable(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(tls_config(pg, "require", None, "cs-tls-req"))
    assert client(st).get("p:2") == b"product 2"
    assert ssl_in_use(pg, "cs-tls-req") == [True]
    st = servers.start(tls_config(pg, "disable", None, "cs-tls-off"))
    assert client(st).get("p:3") == b"product 3"
    assert ssl_in_use(pg, "cs-tls-off") == [False]


def test_tls_unknown_ca_is_refused(pg: Cluster, certs: Certs, servers: CacheServers) -> None:
    st = servers.start(tls_config(pg, "verify-full", certs.other_ca, "cs-tls-bad"))
    with pytest.raises(redis.ResponseError) as info:
        client(st).get("p:1")
    assert str(info.value).startswith("loader 'p' unavailable: ")
    assert "certificate verify failed" in str(info.value)


def test_tls_files_checked_at_start(tmp_path: Any) -> None:
    path = os.path.join(str(tmp_path), "l.toml")
    with open(path, "w") as f:
        f.write('[database]\ndsn = "postgresql://db/x"\nsslmode = "verify-ca"\nsslrootcert = "/nonexistent.pem"\n')
    with pytest.raises(LoaderConfigError, match="cannot load the TLS files"):
        load_spec(path)


def secret_config(pg: Cluster, source: str) -> str:
    return (
        f'[database]\ndsn = "postgresql://rot@127.0.0.1:{pg.port}/postgres"\nsslmode = "disable"\n'
        f'application_name = "cs-rot"\n{source}\n' + LOADER
    )


def shown(r: redis.Redis) -> bytes:
    """Everything the server shows about itself."""
    parts = [
        r.execute_command("INFO", "everything"),
        repr(r.execute_command("LOADER", "LIST")).encode(),
        repr(r.execute_command("LOADER", "STATS")).encode(),
        repr(r.execute_command("CONFIG", "GET", "*")).encode(),
    ]
    return b"".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)


def test_password_file_rotation(
    pg: Cluster, servers: CacheServers, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cacheserver")
    pg.execute("ALTER ROLE rot PASSWORD 'first-secret'")
    secret = os.path.join(str(tmp_path), "pw")
    with open(secret, "w") as f:
        f.write("first-secret\n")
    st = servers.start(secret_config(pg, f'password_file = "{secret}"'))
    r = client(st)
    assert r.get("p:1") == b"product 1"
    # the password changes in the database and in the file; the old sessions end
    pg.execute("ALTER ROLE rot PASSWORD 'second-secret'")
    with open(secret, "w") as f:
        f.write("second-secret\n")
    pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'rot'")
    assert r.get("p:2") == b"product 2"  # re-read after the authentication failure
    # a wrong password: a clear error without it
    pg.execute("ALTER ROLE rot PASSWORD 'third-secret'")
    with open(secret, "w") as f:
        f.write("wrong-secret\n")
    pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'rot'")
    with pytest.raises(redis.ResponseError) as info:
        r.get("p:3")
    assert str(info.value).startswith("loader 'p' unavailable: authentication failed")
    text = shown(r) + str(info.value).encode() + caplog.text.encode()
    for pw in (b"first-secret", b"second-secret", b"third-secret", b"wrong-secret"):
        assert pw not in text
    assert loader_stats(r, "pool")["pool_dsn"] == f"postgresql://rot@127.0.0.1:{pg.port}/postgres"


def test_password_env(pg: Cluster, servers: CacheServers, monkeypatch: pytest.MonkeyPatch) -> None:
    pg.execute("ALTER ROLE rot PASSWORD 'env-secret'")
    monkeypatch.setenv("CS_TEST_DB_PASSWORD", "env-secret")
    st = servers.start(secret_config(pg, 'password_env = "CS_TEST_DB_PASSWORD"'))
    r = client(st)
    assert r.get("p:4") == b"product 4"
    assert b"env-secret" not in shown(r)
    monkeypatch.delenv("CS_TEST_DB_PASSWORD")
    pg.execute("ALTER ROLE rot PASSWORD 'another-secret'")
    pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'rot'")
    with pytest.raises(redis.ResponseError, match="password_env CS_TEST_DB_PASSWORD is not set"):
        r.get("p:5")
