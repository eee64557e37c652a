"""memcached-auth-file against a real ``memcached -Y``: the same bytes for
the credentials ``set``, wrong credentials, everything sent before
authentication, and the auth counters in ``stats``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing

import pytest

from cacheserver.config import Config
from helpers import McRawClient, MemcachedProcess, ServerThread

AUTH = b"alice:secret\nbob:pw2\n"
LOGIN = b"set k 0 0 12\r\nalice secret\r\n"
BAD_LOGIN = b"set k 0 0 9\r\nalice bad\r\n"


class AuthMemcached(MemcachedProcess):
    def _versions(self) -> bool:  # every command answers this until auth
        c = McRawClient("127.0.0.1", self.port)
        try:
            c.send(b"version\r\n")
            return c.read_until(b"\r\n") == b"CLIENT_ERROR unauthenticated\r\n"
        finally:
            c.close()


@pytest.fixture(scope="module")
def auth_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = os.path.join(tmp_path_factory.mktemp("mcauth"), "auth")
    with open(path, "wb") as f:
        f.write(AUTH)
    return path


@pytest.fixture(scope="module")
def ports(auth_file: str) -> Iterator[tuple[int, int]]:
    cfg = Config()
    cfg.values["memcached-auth-file"] = auth_file
    ours = ServerThread(cfg).start()
    real = AuthMemcached("-Y", auth_file)
    yield ours.mc_port, real.port
    real.stop()
    ours.stop()


def run_steps(c: McRawClient, steps: list[tuple[bytes, int]]) -> list[bytes]:
    """Send each chunk and read the reply lines it is said to bring (waiting
    for them keeps the next chunk a read of its own)."""
    out = []
    for chunk, lines in steps:
        c.send(chunk)
        if lines:
            out.append(c.read_until(b"\r\n", lines))
    return out


def exchange(port: int, steps: list[tuple[bytes, int]]) -> list[bytes]:
    """``run_steps`` on a new connection."""
    with closing(McRawClient("127.0.0.1", port)) as c:
        return run_steps(c, steps)


# (chunk, reply lines it brings) per step
CASES: list[list[tuple[bytes, int]]] = [
    [(b"get foo\r\n", 1), (b"version\r\n", 1), (b"stats\r\n", 1), (b"mn\r\n", 1)],
    # before authentication one read gets one reply: the last request's
    [(b"get foo\r\nget foo\r\n", 1), (b"mg foo v\r\n", 1)],
    [(b"set k 0 0 9\r\nalice bad\r\nget k\r\n", 1), (b"mn\r\n", 1)],
    [(b"set k 0 0 12\r\nalice secret\r\nget k\r\n", 2), (b"get k\r\n", 1)],
    [(b"set k 0 0 9\r\nalice bad\r\n", 1), (b"get k\r\n", 1)],
    [(b"set k 0 0 9\r\nalice bad\r\n", 1), (b"set k 0 0 12\r\nalice secret\r\n", 1), (b"mn\r\n", 1)],
    [(b"set k 0 0 5\r\nalice\r\n", 1)],
    [(b"set k 0 0 5\r\nalicexx", 1), (b"get k\r\n", 1)],
    [(b"set k 0 0\r\n", 1), (b"set k 0 0 x\r\n", 1), (b"SET k 0 0 2\r\n", 1), (b"set k 0 0 -1\r\n", 1)],
    [(b"set k 0 0 12 noreply\r\nalice secret\r\n", 1), (b"mn\r\n", 1)],
    [(b"set anykey 5 100 7\r\nbob pw2\r\n", 1), (b"set k 0 0 1\r\nx\r\nget k\r\n", 4)],
    [(b"set k 0 0 17\r\nalice secret xtra\r\n", 1), (b"mn\r\n", 1)],
    [(b"set k 0 0 16\r\nalice secret xtra\r\n", 1), (b"mn\r\n", 1)],
    [(b"se", 0), (b"t k 0 0 1", 0), (b"2\r\nalice s", 0), (b"ecret\r", 0), (b"\n", 1), (b"mn\r\n", 1)],
    [(b"set k 0 0 12\nalice secret\r\n", 1), (b"mn\n", 1)],
]


@pytest.mark.parametrize("steps", CASES, ids=range(len(CASES)))
def test_same_replies(ports: tuple[int, int], steps: list[tuple[bytes, int]]) -> None:
    ours, real = (exchange(p, steps) for p in ports)
    assert ours == real


def test_auth_counters(ports: tuple[int, int]) -> None:
    def counters(port: int) -> list[bytes]:
        with closing(McRawClient("127.0.0.1", port)) as c:
            # the last BAD_LOGIN comes authenticated: a real set
            run_steps(c, [(BAD_LOGIN, 1), (LOGIN + b"stats reset\r\n", 2), (BAD_LOGIN, 1)])
            stats = c.call(b"stats\r\n")
        return [line for line in stats.split(b"\r\n") if b"auth_" in line]

    ours, real = (counters(p) for p in ports)
    assert ours == real == [b"STAT auth_cmds 0", b"STAT auth_errors 0"]


def test_auth_counters_count_failures(ports: tuple[int, int]) -> None:
    def auth_stats(port: int, steps: list[tuple[bytes, int]]) -> tuple[int, int]:
        """(auth_cmds, auth_errors) after ``steps`` on a new connection."""
        with closing(McRawClient("127.0.0.1", port)) as c:
            run_steps(c, steps)
            return _auth(c.call(b"stats\r\n"))

    def delta(port: int) -> tuple[int, int]:
        before = auth_stats(port, [(BAD_LOGIN, 1), (LOGIN, 1)])
        after = auth_stats(
            port, [(b"set k 0 0 7\r\nbob bad\r\n", 1), (b"set k 0 0 7\r\nbob pw2\r\n", 1)]
        )
        return after[0] - before[0], after[1] - before[1]

    ours, real = (delta(p) for p in ports)
    assert ours == real == (2, 1)


def _auth(stats: bytes) -> tuple[int, int]:
    vals = {}
    for line in stats.split(b"\r\n"):
        parts = line.split(b" ")
        if len(parts) == 3 and parts[1] in (b"auth_cmds", b"auth_errors"):
            vals[parts[1]] = int(parts[2])
    return vals[b"auth_cmds"], vals[b"auth_errors"]


def test_junk_without_newline_closes_both(ports: tuple[int, int]) -> None:
    for port in ports:
        c = McRawClient("127.0.0.1", port)
        c.send(b"x" * 3000)
        assert c.closed(5)
        assert c.buf == b""
        c.close()


def test_settings_show_the_file(ports: tuple[int, int], auth_file: str) -> None:
    for port in ports:
        with closing(McRawClient("127.0.0.1", port)) as c:
            run_steps(c, [(LOGIN, 1)])
            settings = c.call(b"stats settings\r\n")
        assert f"STAT auth_enabled_ascii {auth_file}\r\n".encode() in settings
