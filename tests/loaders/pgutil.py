"""Throwaway PostgreSQL clusters for the loader tests, and a cacheserver to point at them.

A cluster is ``initdb`` + ``pg_ctl`` in a temporary directory (as the
``postgres`` user when the tests run as root), with pg_stat_statements
loaded (the tests count queries on the database side), TLS on (a CA and a
server certificate made with openssl) and a pg_hba.conf that trusts local
connections except for the ``rot`` role, which must give its password.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
import pytest
import redis

from cacheserver.config import Config
from helpers import IN_CI, ServerThread, free_port
from helpers import wait_for as wait_for  # the loader tests import it from here

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pg_bindir() -> str:
    """Directory of initdb/pg_ctl: Debian's newest, else PATH; in CI a missing
    PostgreSQL fails the test instead of skipping it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    path = shutil.which("pg_ctl")
    if path:
        return os.path.dirname(path)
    msg = "PostgreSQL (initdb, pg_ctl: Debian package postgresql) is not installed"
    if IN_CI:
        pytest.fail(msg + " but CI requires it")
    pytest.skip(msg)


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _chown(path: str) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class Admin:
    """Synchronous SQL for the tests: asyncpg connections on a loop in a thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


ADMIN = Admin()


class Cluster:
    """One PostgreSQL cluster on a free port."""

    def __init__(self, name: str, certs: Certs) -> None:
        self.bindir = pg_bindir()
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"cs-pg-{name}-")
        os.chmod(self.dir, 0o755)
        _chown(self.dir)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.conn: asyncpg.Connection | None = None
        subprocess.run(
            _as_postgres([f"{self.bindir}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        key = os.path.join(self.data, "server.key")
        crt = os.path.join(self.data, "server.crt")
        shutil.copy(certs.server_key, key)
        shutil.copy(certs.server_crt, crt)
        for f in (key, crt):
            _chown(f)
            os.chmod(f, 0o600)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\n"
                "shared_preload_libraries = 'pg_stat_statements'\n"
                "pg_stat_statements.track = all\n"
                "fsync = off\nfull_page_writes = off\n"
                "max_connections = 200\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "password_encryption = 'scram-sha-256'\n"
            )
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write(
                "local all all trust\n"
                "host all rot 127.0.0.1/32 scram-sha-256\n"
                "host all all 127.0.0.1/32 trust\n"
            )
        self.start()

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([f"{self.bindir}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.pg_ctl("-w", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self.reset()
        self.pg_ctl("-w", "-m", mode, "stop")
        self.running = False

    def ensure_running(self) -> None:
        if not self.running:
            self.start()

    def destroy(self) -> None:
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- SQL --------------------------------------------------------------------

    def reset(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.terminate()

    async def _conn(self) -> asyncpg.Connection:
        if self.conn is None or self.conn.is_closed():
            self.conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres", database="postgres", ssl=False)
        return self.conn

    def _call(self, fn: Callable[[asyncpg.Connection], Coroutine[Any, Any, Any]]) -> Any:
        async def go() -> Any:
            try:
                return await fn(await self._conn())
            except (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.AdminShutdownError, OSError):
                self.conn = None
                return await fn(await self._conn())

        return ADMIN.run(go())

    def execute(self, sql: str, *args: Any) -> Any:
        return self._call(lambda c: c.execute(sql, *args))

    def fetchval(self, sql: str, *args: Any) -> Any:
        return self._call(lambda c: c.fetchval(sql, *args))

    def fetch(self, sql: str, *args: Any) -> Any:
        return self._call(lambda c: c.fetch(sql, *args))

    def calls(self, marker: str) -> int:
        """Statements executed whose text contains ``marker`` (pg_stat_statements).

        pg_stat_statements keeps one entry per query structure, with the text
        first seen: aliases and constants do not tell two queries apart, so
        each counted query needs a structure of its own (its column list)."""
        return int(
            self.fetchval(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%' || $1 || '%' "
                "AND query NOT LIKE '%pg_stat_statements%'",
                marker,
            )
        )

    def connections(self, application_name: str = "cacheserver") -> int:
        return int(
            self.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application_name)
        )


class Certs:
    """A CA and a server certificate for 127.0.0.1/localhost, made with openssl."""

    def __init__(self) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            if IN_CI:
                pytest.fail("openssl is required in CI")
            pytest.skip("openssl not installed")
        self.dir = tempfile.mkdtemp(prefix="cs-certs-")
        d = self.dir
        self.ca_key = f"{d}/ca.key"
        self.ca_crt = f"{d}/ca.crt"
        self.server_key = f"{d}/server.key"
        self.server_crt = f"{d}/server.crt"
        self.other_ca = f"{d}/other-ca.crt"

        def run(*args: str) -> None:
            subprocess.run([openssl, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=cacheserver test CA",
            "-keyout", self.ca_key, "-out", self.ca_crt)
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=unrelated CA",
            "-keyout", f"{d}/other-ca.key", "-out", self.other_ca)
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", self.server_key, "-out", f"{d}/server.csr")
        with open(f"{d}/ext.cnf", "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        run("x509", "-req", "-in", f"{d}/server.csr", "-CA", self.ca_crt, "-CAkey", self.ca_key,
            "-CAcreateserial", "-days", "2", "-extfile", f"{d}/ext.cnf", "-out", self.server_crt)

    def destroy(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
DROP TABLE IF EXISTS products;
CREATE TABLE products (
    id int PRIMARY KEY,
    name text NOT NULL,
    price numeric(10, 2),
    tags text[],
    attrs jsonb,
    photo bytea,
    created timestamptz,
    note text
);
INSERT INTO products (id, name, price, tags, attrs, photo, created, note)
SELECT g, 'product ' || g, g * 1.5, ARRAY['t' || g], jsonb_build_object('n', g), '\\x00ff'::bytea,
       '2024-05-01 12:00:00+00', NULL
FROM generate_series(1, 10000) g;
CREATE OR REPLACE FUNCTION slow(seconds float8) RETURNS int LANGUAGE sql VOLATILE AS
  'SELECT 1 FROM pg_sleep(seconds)';
DROP ROLE IF EXISTS rot;
CREATE ROLE rot LOGIN PASSWORD 'first-secret';
GRANT SELECT ON products TO rot;
"""


class CacheServers:
    """cacheserver instances started with a loaders file; all stopped at teardown."""

    def __init__(self, tmpdir: str) -> None:
        self.tmpdir = tmpdir
        self.started: list[ServerThread] = []
        self.n = 0

    def write(self, text: str) -> str:
        self.n += 1
        path = os.path.join(self.tmpdir, f"loaders-{self.n}.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, text: str, **settings: Any) -> ServerThread:
        cfg = Config()
        cfg.values["loaders"] = self.write(text)
        cfg.values.update(settings)
        st = ServerThread(cfg).start()
        self.started.append(st)
        return st

    def stop_all(self) -> None:
        for st in self.started:
            st.stop()
        self.started.clear()


def client(st: ServerThread, **kw: Any) -> redis.Redis:
    return redis.Redis(host=st.host, port=st.port, socket_timeout=15, **kw)


def loader_stats(r: redis.Redis, name: str) -> dict[str, str]:
    """One loader's (or "pool"/"listen") counters from LOADER STATS."""
    raw = r.execute_command("LOADER", "STATS")
    pairs = dict(zip(raw[::2], raw[1::2], strict=True)) if isinstance(raw, list) else raw
    inner = pairs[name.encode()]
    if isinstance(inner, list):
        inner = dict(zip(inner[::2], inner[1::2], strict=True))
    return {k.decode(): v.decode() for k, v in inner.items()}
