"""memcached-auth-file in-process: the auth file's format, the counters on
the server's stats, and the hot path left alone once authenticated."""

from __future__ import annotations

from pathlib import Path

import pytest

from cacheserver.config import ConfigError
from cacheserver.memcached.service import load_auth_file
from helpers import McHarness


def authed_harness() -> McHarness:
    h = McHarness()
    h.svc.auth = {b"alice": b"secret", b"bob": b"p:w"}
    h.client = h.connect()  # a connection made with auth on
    return h


def test_file_format(tmp_path: Path) -> None:
    path = tmp_path / "auth"
    path.write_bytes(b"alice:secret\r\n\nbob:p:w\ncarol:\n")
    assert load_auth_file(str(path)) == {b"alice": b"secret", b"bob": b"p:w", b"carol": b""}
    path.write_bytes(b"alice:secret\nnocolon\n")
    with pytest.raises(ConfigError, match="malformed"):
        load_auth_file(str(path))
    with pytest.raises(ConfigError, match="Could not load authfile"):
        load_auth_file(str(tmp_path / "missing"))


def test_failures_counted_on_the_server() -> None:
    h = authed_harness()
    assert h.feed(b"set k 0 0 9\r\nalice bad\r\n") == b"CLIENT_ERROR authentication failure\r\n"
    assert h.server.stats.memcached_auth_failures == 1
    assert h.svc.stats.auth_errors == 1
    assert h.feed(b"set k 0 0 7\r\nbob p:w\r\n") == b"STORED\r\n"
    assert h.svc.stats.auth_cmds == 2
    assert h.client.unauth is False
    # then the ordinary walk: a real set, and the value is not the credentials
    assert h.feed(b"set k 0 0 1\r\nx\r\nget k\r\n") == b"STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n"


def test_requests_right_behind_the_credentials() -> None:
    h = authed_harness()
    out = h.feed(b"set a 0 0 12\r\nalice secret\r\nset k 0 0 2\r\nhi\r\nget k\r\n")
    assert out == b"STORED\r\nSTORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n"


def test_off_by_default() -> None:
    h = McHarness()
    assert h.client.unauth is False
    assert h.feed(b"version\r\n") == b"VERSION 1.6.18\r\n"
