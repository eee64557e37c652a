"""Fixtures for the loader tests: real PostgreSQL clusters and cacheservers using them."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from pgutil import ADMIN, SCHEMA, CacheServers, Certs, Cluster


@pytest.fixture(scope="session")
def certs() -> Iterator[Certs]:
    c = Certs()
    yield c
    c.destroy()


@pytest.fixture(scope="session")
def pg(certs: Certs) -> Iterator[Cluster]:
    """The main cluster (never stopped by a test)."""
    cluster = Cluster("main", certs)
    cluster.execute(SCHEMA)
    yield cluster
    cluster.reset()
    cluster.destroy()


@pytest.fixture(scope="session")
def _pg2(certs: Certs) -> Iterator[Cluster]:
    cluster = Cluster("second", certs)
    cluster.execute(SCHEMA)
    # the second cluster's rows say where they come from
    cluster.execute("UPDATE products SET name = 'second ' || id")
    yield cluster
    cluster.reset()
    cluster.destroy()


@pytest.fixture
def pg2(_pg2: Cluster) -> Iterator[Cluster]:
    """The second cluster, for failover and outages: running and writable at the
    start of each test, whatever the previous test did to it."""
    _pg2.ensure_running()
    _pg2.execute("ALTER SYSTEM RESET default_transaction_read_only")
    _pg2.execute("SELECT pg_reload_conf()")
    yield _pg2
    _pg2.ensure_running()


@pytest.fixture
def servers() -> Iterator[CacheServers]:
    with tempfile.TemporaryDirectory(prefix="cs-loaders-") as d:
        s = CacheServers(d)
        yield s
        s.stop_all()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ADMIN.close()
