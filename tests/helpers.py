"""Shared test helpers: an in-process harness, a raw RESP client, server runners."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from cacheserver.config import Config
from cacheserver.connection import Client
from cacheserver.server import Server

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def encode(*args: bytes | str | int) -> bytes:
    """A RESP multibulk request."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


# -- in-process harness (unit tests) -------------------------------------------


class FakeValue:
    """The memory-estimate protocol every collection carries (store/memory.py)."""

    mem = -1
    base = 0
    per = 0
    sn = 0

    def __len__(self) -> int:
        return 1

    def mem_sample(self, k: int) -> float:
        return 64.0

    def mem_side(self) -> int:
        return 0



class MockTransport(asyncio.Transport):
    """Collects what the connection writes; no socket, no loop."""

    def __init__(self) -> None:
        super().__init__()
        self.out = bytearray()
        self.closed = False
        self.reading = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out += data

    def writelines(self, chunks: Any) -> None:
        for c in chunks:
            self.out += c

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return ("127.0.0.1", 40000)
        if name == "sockname":
            return ("127.0.0.1", 6379)
        return default


class _InProcess:
    """A connection on a MockTransport, fed bytes by hand (``client``)."""

    client: Any

    @property
    def transport(self) -> MockTransport:
        t = self.client.transport
        assert isinstance(t, MockTransport)
        return t

    def feed(self, data: bytes, client: Any = None) -> bytes:
        """What ``client`` (default: the harness's own) writes after reading ``data``."""
        c = client or self.client
        t = c.transport
        assert isinstance(t, MockTransport)
        start = len(t.out)
        c.data_received(data)
        return bytes(t.out[start:])


T0 = 1_700_000_000_000  # unix ms: where a fake clock starts


class Clock:
    """A fake server clock: ``clock.t`` is the time (unix ms) every command sees."""

    def __init__(self, h: Harness | McHarness, t: int = T0) -> None:
        self.t = t
        h.server.clock = lambda: self.t


class Harness(_InProcess):
    """A Server without listeners and one connected client, driven synchronously.

    ``h.run(b"SET", b"k", b"v") == b"+OK\\r\\n"``; ``h.clock`` fixes time (ms).
    """

    def __init__(self, config: Config | None = None) -> None:
        self.server = Server(config)
        self.client: Client = self.connect()

    def connect(self) -> Client:
        c = Client(self.server)
        c.connection_made(MockTransport())
        return c

    def run(self, *args: bytes | str | int, client: Client | None = None) -> bytes:
        return self.feed(encode(*args), client)


# -- raw RESP client (differential and integration tests) ----------------------


class InLoop:
    """Runs an in-process connection's requests inside an event loop, so
    commands may block or wait on timers; ``settle`` lets their callbacks run."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.loop = asyncio.new_event_loop()

    def feed(self, c: Client, data: bytes) -> None:
        """Feed ``data`` to ``c`` inside the loop; its replies gather in ``take_output(c)``."""

        async def go() -> None:
            c.data_received(data)

        self.loop.run_until_complete(go())

    def send(self, c: Client, *args: bytes | str | int) -> None:
        self.feed(c, encode(*args))

    def settle(self) -> None:
        """Let call_soon and future callbacks run (a served waiter's reply, a
        held client resuming)."""
        for _ in range(3):
            self.loop.run_until_complete(asyncio.sleep(0))

    def close(self) -> None:
        self.loop.close()


def take_output(c: Client) -> bytes:
    """What ``c`` wrote to its MockTransport since the last call."""
    t = c.transport
    assert isinstance(t, MockTransport)
    data = bytes(t.out)
    t.out.clear()
    return data


def read_reply(buf: bytes, pos: int = 0) -> int | None:
    """End offset of one complete RESP2/RESP3 reply starting at ``pos``, or None."""
    if pos >= len(buf):
        return None
    t = buf[pos : pos + 1]
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        return None
    line = buf[pos + 1 : eol]
    end = eol + 2
    if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return end
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return end
        return end + n + 2 if len(buf) >= end + n + 2 else None
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return end
        if t in (b"%", b"|"):
            n *= 2
        for _ in range(n):
            r = read_reply(buf, end)
            if r is None:
                return None
            end = r
        if t == b"|":  # an attribute describes the reply that follows: one reply
            return read_reply(buf, end)
        return end
    raise ValueError(f"bad reply type {t!r} at {pos}: {buf[pos:pos + 40]!r}")


class BlockingSocket:
    """A blocking TCP connection that sends raw bytes and buffers what it reads."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def closed(self, timeout: float = 2.0) -> bool:
        """True when the peer closes the connection within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(self.timeout)

    def close(self) -> None:
        self.sock.close()


class RawClient(BlockingSocket):
    """A blocking socket that sends raw bytes and reads whole raw replies."""

    def reply(self) -> bytes:
        while True:
            end = read_reply(self.buf)
            if end is not None:
                out, self.buf = self.buf[:end], self.buf[end:]
                return out
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError(f"closed; unparsed {self.buf[:80]!r}")
            self.buf += chunk

    def call(self, *args: bytes | str | int) -> bytes:
        self.send(encode(*args))
        return self.reply()


# -- servers -------------------------------------------------------------------


class ServerThread:
    """cacheserver on an ephemeral port, its event loop in a background thread."""

    def __init__(self, config: Config | None = None, loop: str = "uvloop") -> None:
        self.config = config or Config()
        self.config.values["port"] = 0
        self.config.values["memcached-port"] = 0  # ephemeral too: any free port
        self.loop_kind = loop
        self.server: Server | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.mc_port = 0  # the memcached listener
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        if self.loop_kind == "uvloop":
            import uvloop

            self.loop = uvloop.new_event_loop()
        else:
            self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        loop = self.loop
        loop.run_until_complete(self._serve())
        # as asyncio.run ends (cacheserver's main): what is left is cancelled
        # and run out, so that transports closing late (a replaced database
        # pool's) are closed before the loop is
        tasks = asyncio.all_tasks(loop)
        for t in tasks:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()

    async def _serve(self) -> None:
        self.server = Server(self.config, ephemeral=True)
        self.server.loop_name = self.loop_kind
        await self.server.start()
        self.port = self.server.ports["redis"]
        self.mc_port = self.server.ports.get("memcached", 0)
        self._ready.set()
        await self.server.wait_stopped()
        await self.server.stop()

    def start(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("cacheserver did not start")
        return self

    def call_soon(self, fn: Any, *args: Any) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        if self.server is not None and self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.server.request_stop)
        self._thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need_binary(name: str) -> str:
    """Path of a required external program; in CI its absence fails the test."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but is not installed")
        pytest.skip(f"{name} not installed")
    return path


def wait_started(stop: Callable[[], None], ready: Callable[[], bool], what: str) -> None:
    """Poll ``ready`` (a connection error counts as not yet) for 10 s; else stop and fail."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            time.sleep(0.05)
    stop()
    raise RuntimeError(f"{what} did not start")


class RedisServerProcess:
    """The real redis-server on a free port, for differential tests."""

    def __init__(self, *extra: str) -> None:
        self.binary = need_binary("redis-server")
        self.dir = tempfile.mkdtemp(prefix="real-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
                "--enable-debug-command", "yes",
                "--protected-mode", "no",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_started(self.stop, self._pongs, "redis-server")

    def _pongs(self) -> bool:
        c = RawClient("127.0.0.1", self.port)
        try:
            return c.call("PING") == b"+PONG\r\n"
        finally:
            c.close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(
    pred: Callable[[], Any], timeout: float = 10.0, what: str = "condition", every: float = 0.02
) -> Any:
    """Poll ``pred`` every ``every`` s until it returns something true (that value);
    AssertionError after ``timeout`` s.  For state a test cannot await."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` imported as the module ``name`` (the benches are scripts)."""
    path = os.path.join(os.path.dirname(__file__), "..", "bench", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def iter_splits(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every way of cutting ``data`` in two."""
    for i in range(len(data) + 1):
        yield data[:i], data[i:]


# -- memcached -----------------------------------------------------------------


class McRawClient(BlockingSocket):
    """A blocking socket speaking raw memcached text.

    ``call(data)`` sends ``data`` and then ``mn``, and returns every reply
    byte before the ``MN`` that answers it (so replies of any shape, or none
    at all under ``noreply``/``q``, are read exactly)."""

    def read_until(self, end: bytes, count: int = 1) -> bytes:
        """Read until the buffer ends with ``end`` and holds it ``count`` times."""
        while not (self.buf.endswith(end) and self.buf.count(end) >= count):
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError(f"closed; unparsed {self.buf[-200:]!r}")
            self.buf += chunk
        out, self.buf = self.buf, b""
        return out

    def call(self, data: bytes) -> bytes:
        # mn lines in the request answer MN too: wait for theirs and ours
        own = sum(1 for line in data.split(b"\n") if line.split(b" ")[0].rstrip(b"\r") == b"mn")
        self.send(data + b"mn\r\n")
        return self.read_until(b"MN\r\n", own + 1)[:-4]

    def read_for(self, seconds: float) -> bytes:
        """Whatever arrives within ``seconds`` (b"" when nothing does)."""
        self.sock.settimeout(seconds)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except TimeoutError:
            pass
        finally:
            self.sock.settimeout(self.timeout)
        out, self.buf = self.buf, b""
        return out


class MemcachedProcess:
    """The real memcached on a free port, for differential tests."""

    def __init__(self, *extra: str) -> None:
        self.binary = need_binary("memcached")
        self.port = free_port()
        args = [self.binary, "-p", str(self.port), "-U", "0", "-l", "127.0.0.1", *extra]
        if os.geteuid() == 0:
            args += ["-u", "root"]  # memcached refuses root without -u
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_started(self.stop, self._versions, "memcached")

    def _versions(self) -> bool:
        c = McRawClient("127.0.0.1", self.port)
        try:
            return c.call(b"version\r\n").startswith(b"VERSION ")
        finally:
            c.close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def memory_problems(server: Server) -> list[str]:
    """Where the keyspace's memory bookkeeping disagrees with its contents:
    ``Keyspace.used`` against the sum of every key's cost, and each
    collection's accounted bytes against its estimate at its length now (a
    mutation that did not refresh it leaves them apart)."""
    from cacheserver.store.memory import key_cost, value_cost

    ks = server.keyspace
    problems = []
    total = 0
    for db in ks.dbs:
        for key, value in db.data.items():
            total += key_cost(key) + value_cost(value)
            if value.__class__ not in (bytes, bytearray):
                fresh = value.base + len(value) * value.per
                if fresh != value.mem:
                    problems.append(f"db{db.id} {key!r}: accounted {value.mem}, now {fresh}")
    for job in ks.lazyfree.jobs:  # flushed databases whose keys leave as they are freed
        if job.counted:
            total += sum(key_cost(k) + value_cost(v) for k, v in job.data.items())
    if total != ks.used:
        problems.append(f"used {ks.used} != sum of keys {total}")
    return problems


class CacheserverProcess:
    """cacheserver in a process of its own (for what an in-process server
    cannot show: its resident memory)."""

    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cacheserver", "--port", str(self.port), "--memcached-port", "0",
             "--loglevel", "warning", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                c = RawClient("127.0.0.1", self.port)
                if c.call("PING") == b"+PONG\r\n":
                    c.close()
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("cacheserver did not start")

    def rss(self) -> int:
        """Resident set size in bytes (/proc/PID/statm)."""
        with open(f"/proc/{self.proc.pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class McHarness(_InProcess):
    """A Server without listeners and one memcached connection, in-process.

    ``h.feed(b"set k 0 0 1\\r\\nx\\r\\n") == b"STORED\\r\\n"``; the Redis side
    of the same Server is ``h.redis`` (a ``Harness`` client)."""

    def __init__(self, config: Config | None = None) -> None:
        from cacheserver.memcached.connection import McConnection

        self.server = Server(config)
        self.svc = self.server.memcached
        self.conn_cls = McConnection
        self.client = self.connect()
        self.redis = Client(self.server)
        self.redis.connection_made(MockTransport())

    def connect(self) -> Any:
        c = self.conn_cls(self.svc)
        c.connection_made(MockTransport())
        return c

    def run(self, *args: bytes | str | int) -> bytes:
        """A Redis command on the same keyspace."""
        return self.feed(encode(*args), self.redis)


def info_field(c: RawClient, section: str, name: str) -> str:
    """One field of INFO ``section`` over a raw connection."""
    reply = c.call("INFO", section)
    body = reply[reply.index(b"\r\n") + 2 :].decode()
    for line in body.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    raise KeyError(name)


# -- TLS -----------------------------------------------------------------------


class Certs:
    """Test certificates made with openssl in ``dir``: a CA and a server
    certificate for 127.0.0.1/localhost, a client certificate from that CA,
    one from another CA (``stranger``), an expired one, and a second server
    certificate from the other CA (``server2``).  ``path("client", "crt")``."""

    def __init__(self, dir: str) -> None:
        self.dir = dir
        openssl = need_binary("openssl")

        def run(*args: str) -> None:
            subprocess.run([openssl, *args], cwd=dir, check=True, capture_output=True)

        def key(name: str) -> None:
            run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-out", f"{name}.key")

        def sign(name: str, ca: str, days: int, ext: str) -> None:
            key(name)
            run("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
            with open(os.path.join(dir, f"{name}.ext"), "w") as f:
                f.write(ext)
            run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", str(days),
                "-extfile", f"{name}.ext")

        for ca in ("ca", "other"):
            key(ca)
            run("req", "-x509", "-new", "-key", f"{ca}.key", "-out", f"{ca}.crt", "-days", "3650",
                "-subj", f"/CN=cacheserver test {ca}")
        server_ext = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
        client_ext = "extendedKeyUsage=clientAuth\n"
        sign("server", "ca", 3650, server_ext)
        sign("server2", "other", 3650, server_ext)
        sign("client", "ca", 3650, client_ext)
        sign("stranger", "other", 3650, client_ext)
        # not after a day ago (-days -1): expired from the start
        sign("expired", "ca", -1, client_ext)

    def path(self, name: str, ext: str) -> str:
        return os.path.join(self.dir, f"{name}.{ext}")

    def server_args(self) -> dict[str, str]:
        """The tls-* settings of a server using these certificates."""
        return {
            "tls-cert-file": self.path("server", "crt"),
            "tls-key-file": self.path("server", "key"),
            "tls-ca-cert-file": self.path("ca", "crt"),
        }

    def client_context(self, cert: str | None = "client", ca: str = "ca") -> ssl.SSLContext:
        """A client context trusting ``ca``, presenting ``cert`` (None: no certificate)."""
        ctx = ssl.create_default_context(cafile=self.path(ca, "crt"))
        if cert is not None:
            ctx.load_cert_chain(self.path(cert, "crt"), self.path(cert, "key"))
        return ctx


class TlsRawClient(RawClient):
    """A RawClient over TLS."""

    def __init__(self, host: str, port: int, ctx: ssl.SSLContext, timeout: float = 10.0) -> None:
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.timeout = timeout
        self.buf = b""
