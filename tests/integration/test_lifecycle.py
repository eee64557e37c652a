"""The real process: start from the command line, serve, stop on SIGTERM/SIGINT with exit 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis

from helpers import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(*args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=ROOT)
    if "--memcached-port" not in args:
        args = ("--memcached-port", "0", *args)  # not the shared default 11211
    return subprocess.Popen(
        [sys.executable, "-m", "cacheserver", "--loglevel", "notice", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def finish(proc: subprocess.Popen[bytes], timeout: float = 15) -> tuple[int, str]:
    """Wait for exit (killing on timeout) and close the pipes; (returncode, stderr)."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err.decode(errors="replace")


def wait_ready(client: redis.Redis, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("server did not become ready")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_gracefully(sig: signal.Signals) -> None:
    port = free_port()
    proc = start("--port", str(port))
    try:
        c = redis.Redis(port=port, socket_timeout=5)
        wait_ready(c, proc)
        assert c.set("k", "v")
        proc.send_signal(sig)
        code, err = finish(proc)
        assert code == 0, err
        assert "ready" in err and "bye" in err
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        c.close()
    finally:
        finish(proc, 0.1 if proc.poll() is None else 15)


def test_unix_socket_and_config_file() -> None:
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "cs.sock")
        conf = os.path.join(d, "cacheserver.conf")
        port = free_port()
        with open(conf, "w") as f:
            f.write(f"# test config\nport {port}\nunixsocket {sock}\ndatabases 4\n")
        proc = start(conf)
        try:
            c = redis.Redis(unix_socket_path=sock, socket_timeout=5)
            wait_ready(c, proc)
            assert c.set("k", "v") and c.get("k") == b"v"
            assert redis.Redis(port=port).get("k") == b"v"
            with pytest.raises(redis.ResponseError, match="DB index is out of range"):
                c.execute_command("SELECT", "4")
            proc.send_signal(signal.SIGTERM)
            code, err = finish(proc)
            assert code == 0, err
            assert not os.path.exists(sock)
            c.close()
        finally:
            finish(proc, 0.1)


def test_port_in_use_fails_cleanly() -> None:
    port = free_port()
    first = start("--port", str(port))
    try:
        wait_ready(redis.Redis(port=port, socket_timeout=5), first)
        code, err = finish(start("--port", str(port)))
        assert code == 1 and "could not start" in err
    finally:
        first.terminate()
        finish(first)


def test_memcached_listener_lifecycle() -> None:
    from pymemcache.client.base import Client as McClient

    port, mc_port = free_port(), free_port()
    proc = start("--port", str(port), "--memcached-port", str(mc_port))
    try:
        wait_ready(redis.Redis(port=port, socket_timeout=5), proc)
        m = McClient(("127.0.0.1", mc_port), timeout=5)
        assert m.set("k", b"v", noreply=False)
        assert redis.Redis(port=port).get("k") == b"v"
        m.close()
        # the memcached port in use: the second server does not start
        code, err = finish(start("--port", str(free_port()), "--memcached-port", str(mc_port)))
        assert code == 1 and "could not start" in err
        proc.send_signal(signal.SIGTERM)
        code, err = finish(proc)
        assert code == 0, err
        assert f"memcached port {mc_port}" in err
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", mc_port), timeout=2)
    finally:
        finish(proc, 0.1 if proc.poll() is None else 15)


def test_bad_memcached_db_fails_cleanly() -> None:
    code, err = finish(start("--port", str(free_port()), "--memcached-db", "16"))
    assert code == 1 and "memcached-db 16 is not below databases 16" in err
