"""Protected mode as Redis 7.0: with no password for the default user, a
client that is not on the loopback interface gets Redis's -DENIED text and is
disconnected.  Needs an address that is not loopback: one is added to a
dummy interface (or, where dummy interfaces are unavailable, to ``lo``) for
the module, which takes root."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

from cacheserver.config import Config
from cacheserver.connection import PROTECTED_MODE_DENIED
from helpers import IN_CI, RawClient, RedisServerProcess, ServerThread, read_reply

OUTSIDE = "10.213.0.1"


def _ip(*args: str) -> bool:
    return subprocess.run(["ip", *args], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def outside_address() -> Iterator[str]:
    """``OUTSIDE`` configured on this host for the module, removed after."""
    why = ""
    if os.geteuid() != 0:
        why = "adding an address needs root"
    elif shutil.which("ip") is None:
        why = "the ip command is missing"
    if why:
        if IN_CI:
            pytest.fail(f"protected-mode tests need a non-loopback address: {why}")
        pytest.skip(why)
    if _ip("link", "add", "csdummy0", "type", "dummy"):
        dev, made = "csdummy0", True
        ok = _ip("addr", "add", f"{OUTSIDE}/32", "dev", dev) and _ip("link", "set", dev, "up")
    else:  # no dummy interfaces in this kernel (containers): loopback takes it
        dev, made = "lo", False
        ok = _ip("addr", "add", f"{OUTSIDE}/32", "dev", dev)
    if not ok:
        if made:
            _ip("link", "del", dev)
        if IN_CI:
            pytest.fail(f"could not add {OUTSIDE}")
        pytest.skip(f"could not add {OUTSIDE}")
    yield OUTSIDE
    if made:
        _ip("link", "del", dev)
    else:
        _ip("addr", "del", f"{OUTSIDE}/32", "dev", dev)


@pytest.fixture(scope="module")
def guarded(outside_address: str) -> Iterator[ServerThread]:
    """cacheserver listening on loopback and the outside address, protected mode on."""
    cfg = Config()
    cfg.values["bind"] = ["127.0.0.1", outside_address]
    st = ServerThread(cfg).start()
    yield st
    st.stop()


@pytest.fixture(scope="module")
def real_guarded(outside_address: str) -> Iterator[RedisServerProcess]:
    proc = RedisServerProcess("--bind", "127.0.0.1", outside_address, "--protected-mode", "yes")
    yield proc
    proc.stop()


def from_outside(port: int, source: str = OUTSIDE, dest: str = OUTSIDE) -> bytes:
    """All a client from ``source`` gets after sending PING, until the server closes."""
    s = socket.socket()
    s.settimeout(10)
    s.bind((source, 0))
    s.connect((dest, port))
    try:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk or (source == "127.0.0.1" and read_reply(out + chunk) is not None):
                return out + chunk
            out += chunk
    except ConnectionResetError:
        return out
    finally:
        s.close()


def test_outside_client_is_denied(guarded: ServerThread) -> None:
    before = _stat(guarded, b"rejected_connections")
    assert from_outside(guarded.port) == PROTECTED_MODE_DENIED
    # to the outside address, or to loopback: it is the peer's address that counts
    assert from_outside(guarded.port, dest="127.0.0.1") == PROTECTED_MODE_DENIED
    assert _stat(guarded, b"rejected_connections") == before + 2


def test_loopback_client_is_served(guarded: ServerThread) -> None:
    assert from_outside(guarded.port, source="127.0.0.1") == b"+PONG\r\n"


def test_same_as_redis_server(guarded: ServerThread, real_guarded: RedisServerProcess) -> None:
    assert from_outside(guarded.port) == from_outside(real_guarded.port)
    assert from_outside(guarded.port, source="127.0.0.1") == from_outside(
        real_guarded.port, source="127.0.0.1"
    )


def test_protected_mode_off(guarded: ServerThread) -> None:
    admin = RawClient("127.0.0.1", guarded.port)
    try:
        assert admin.call("CONFIG", "SET", "protected-mode", "no") == b"+OK\r\n"
        assert admin.call("CONFIG", "GET", "protected-mode") == (
            b"*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n"
        )
        s = RawClient.__new__(RawClient)
        s.sock = socket.socket()
        s.sock.bind((OUTSIDE, 0))
        s.sock.connect((OUTSIDE, guarded.port))
        s.timeout, s.buf = 10.0, b""
        assert s.call("PING") == b"+PONG\r\n"
        s.close()
    finally:
        admin.call("CONFIG", "SET", "protected-mode", "yes")
        admin.close()
    assert from_outside(guarded.port) == PROTECTED_MODE_DENIED


def _stat(st: ServerThread, name: bytes) -> int:
    c = RawClient("127.0.0.1", st.port)
    try:
        info = c.call("INFO", "stats")
    finally:
        c.close()
    for line in info.split(b"\r\n"):
        if line.startswith(name + b":"):
            return int(line.split(b":")[1])
    raise AssertionError(name)
