"""TLS for both protocols: the server context built from the ``tls-*``
settings, and the TLS listeners.

A TLS listener is the event loop's own (``create_server(ssl=...)``): the loop
does the handshake, bounded by ``tls-handshake-timeout`` so a silent client
cannot hold a connection, then gives the connection (``Client`` or
``McConnection``) a transport whose hot path is the same as a plain one's;
the loop's TLS layer reads decrypted input into one shared buffer
(``TlsInput``), not into a new 256 KiB object per read.
A failed handshake (a plain-text client, a missing, unknown or expired
client certificate) closes that connection only; its reason is logged at
debug level, as redis logs "Error accepting a client connection".

The context is rebuilt when a ``tls-*`` setting changes at run time; a
setting the context cannot take (a missing file, a bad cipher list) is
refused with Redis's error and the old context stays (redis ``tlsConfigure``
and ``applyTlsCfg``).  A listener's context is fixed when it is made, so each
listening socket gets a new listener (on a duplicate of the same socket: no
connection is refused meanwhile) and the old one is closed; connections
already open keep the context they were made with.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cacheserver.config import ConfigError
from cacheserver.connection import Client
from cacheserver.memcached.connection import McConnection
from cacheserver.net import bind_host

if TYPE_CHECKING:
    from cacheserver.config import Config
    from cacheserver.server import Server

log = logging.getLogger("cacheserver")

# the settings the context is built from: a change to one rebuilds it
CONTEXT_SETTINGS = (
    "tls-cert-file",
    "tls-key-file",
    "tls-key-file-pass",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
    "tls-auth-clients",
    "tls-protocols",
    "tls-ciphers",
    "tls-ciphersuites",
    "tls-prefer-server-ciphers",
    "tls-session-caching",
    "tls-session-cache-size",
    "tls-session-cache-timeout",
    "tls-dh-params-file",
)

# redis's CONFIG SET reason when the new context cannot be made
UPDATE_FAILED = "Unable to update TLS configuration. Check server logs."

_PROTOCOLS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
_ORDER = list(_PROTOCOLS.values())

_VERIFY = {"no": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "yes": ssl.CERT_REQUIRED}


class TlsError(Exception):
    """The context could not be built; the text is what redis logs."""


def tls_wanted(cfg: Config) -> bool:
    """Any TLS listener configured."""
    return bool(cfg["tls-port"] or cfg["tls-memcached-port"])


def build_context(cfg: Config) -> ssl.SSLContext:
    """The server-side context of the current ``tls-*`` settings (redis
    ``tlsConfigure``); TlsError with redis's log text when it cannot be made."""
    cert, key = cfg["tls-cert-file"], cfg["tls-key-file"]
    if not cert:
        raise TlsError("No tls-cert-file configured!")
    if not key:
        raise TlsError("No tls-key-file configured!")
    auth = cfg["tls-auth-clients"]
    ca_file, ca_dir = cfg["tls-ca-cert-file"], cfg["tls-ca-cert-dir"]
    if auth != "no" and not ca_file and not ca_dir:
        raise TlsError(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
            "tls-cluster, tls-replication or tls-auth-clients are enabled!"
        )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.sslobject_class = _LoggedSSLObject
    versions = _protocols(cfg["tls-protocols"])
    # Python's ssl sets a range of versions, not a set: "TLSv1 TLSv1.3"
    # takes in the versions between too
    ctx.minimum_version = min(versions, key=_ORDER.index)
    ctx.maximum_version = max(versions, key=_ORDER.index)
    password = cfg["tls-key-file-pass"] or None
    try:
        ctx.load_cert_chain(cert, key, password=password)
    except FileNotFoundError as e:
        raise TlsError(f"Failed to load certificate: {cert}: {e.strerror}") from None
    except (ssl.SSLError, OSError) as e:
        raise TlsError(f"Failed to load private key: {key}: {_reason(e)}") from None
    if ca_file or ca_dir:
        try:
            ctx.load_verify_locations(cafile=ca_file or None, capath=ca_dir or None)
        except (ssl.SSLError, OSError) as e:
            raise TlsError(
                f"Failed to configure CA certificate(s) file/directory: {_reason(e)}"
            ) from None
    ctx.verify_mode = _VERIFY[auth]
    if cfg["tls-ciphers"]:
        try:
            ctx.set_ciphers(cfg["tls-ciphers"])
        except ssl.SSLError:
            raise TlsError(f"Failed to configure ciphers: {cfg['tls-ciphers']}") from None
    suites = cfg["tls-ciphersuites"]
    if suites and not _valid_suites(suites):
        raise TlsError(f"Failed to configure ciphersuites: {suites}")
    if cfg["tls-prefer-server-ciphers"]:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    if not cfg["tls-session-caching"]:
        # no tickets: sessions cannot be resumed (the server-side session id
        # cache, its size and timeout, are not reachable from Python's ssl)
        ctx.options |= ssl.OP_NO_TICKET
        ctx.num_tickets = 0
    dh = cfg["tls-dh-params-file"]
    if dh:
        try:
            ctx.load_dh_params(dh)
        except (ssl.SSLError, OSError) as e:
            raise TlsError(f"Failed to load {dh}: {_reason(e)}") from None
    return ctx


def _protocols(text: str) -> list[ssl.TLSVersion]:
    """``tls-protocols``: a set of names, empty for TLSv1.2 and TLSv1.3 (redis's default)."""
    if not text.strip():
        return [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]
    out = []
    for word in text.split():
        v = _PROTOCOLS.get(word.lower())
        if v is None:
            raise TlsError(
                "Invalid tls-protocols specified. Use a combination of 'TLSv1', "
                "'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
            )
        out.append(v)
    return out


_SUITES = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
}


def _valid_suites(text: str) -> bool:
    """``tls-ciphersuites`` names OpenSSL knows (as SSL_CTX_set_ciphersuites
    checks them); Python's ssl cannot apply them, so only the check is made."""
    return all(name in _SUITES for name in text.split(":"))


def _reason(e: BaseException) -> str:
    if isinstance(e, ssl.SSLError):
        return str(e.reason or e)
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)


class _LoggedSSLObject(ssl.SSLObject):
    """The server side of one TLS connection: a handshake that fails is
    logged (the loop closes the connection without a word)."""

    def do_handshake(self) -> None:
        try:
            super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as e:
            reason = getattr(e, "verify_message", None) or e.reason or str(e)
            log.debug("Error accepting a client connection: %s", reason)
            raise


class _Listener:
    """One TLS listening socket and the loop's listener on it."""

    __slots__ = ("factory", "server", "sock")

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[], asyncio.Protocol],
        server: asyncio.AbstractServer,
    ) -> None:
        self.sock = sock
        self.factory = factory
        self.server = server


class Tls:
    """The server's TLS state: the current context and the TLS listeners."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.context: ssl.SSLContext | None = None
        self.listeners: list[_Listener] = []
        self._swaps: set[asyncio.Task[None]] = set()
        cfg = server.config
        for name in CONTEXT_SETTINGS:
            cfg.on(name, self._changed)
        cfg.on("tls-handshake-timeout", lambda _: self._renew())

    def load(self) -> None:
        """Build the context at start (TlsError: not started)."""
        if self.context is None:
            self.context = build_context(self.server.config)

    async def listen(
        self, hosts: list[str], port: int, factory: Callable[[], asyncio.Protocol]
    ) -> None:
        """TLS listeners on ``port`` of each of ``hosts`` (bind syntax)."""
        cfg = self.server.config
        for spec in hosts:
            for sock in _listening_sockets(bind_host(spec), port, cfg["tcp-backlog"]):
                server = await self._serve(sock, factory)
                self.listeners.append(_Listener(sock, factory, server))

    async def _serve(
        self, sock: socket.socket, factory: Callable[[], asyncio.Protocol]
    ) -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        cfg = self.server.config
        return await loop.create_server(
            lambda: TlsInput(factory()),
            sock=sock.dup(),  # the listener closes its own copy
            ssl=self.context,
            ssl_handshake_timeout=cfg["tls-handshake-timeout"] or None,
            backlog=cfg["tcp-backlog"],
        )

    def _changed(self, value: Any) -> None:
        # as redis: only a server with TLS listeners checks the new context
        if self.context is None:
            return
        try:
            self.context = build_context(self.server.config)
        except TlsError as e:
            log.warning("%s", e)
            log.warning("Failed applying new TLS configuration. Restoring previous settings.")
            raise ConfigError(UPDATE_FAILED) from None
        self._renew()

    def _renew(self) -> None:
        if self.listeners:
            task = asyncio.ensure_future(self._swap())
            self._swaps.add(task)
            task.add_done_callback(self._swaps.discard)

    async def _swap(self) -> None:
        """New listeners with the new context on the same sockets, then the old ones closed."""
        for lst in self.listeners:
            old = lst.server
            try:
                lst.server = await self._serve(lst.sock, lst.factory)
            except OSError as e:
                log.warning("TLS listener not renewed: %s", e)
                continue
            old.close()

    def close(self) -> list[asyncio.AbstractServer]:
        """Stop accepting; the listeners to wait for."""
        servers = [lst.server for lst in self.listeners]
        for srv in servers:
            srv.close()
        for lst in self.listeners:
            lst.sock.close()
        self.listeners.clear()
        for task in self._swaps:
            task.cancel()
        return servers


def _listening_sockets(host: str, port: int, backlog: int) -> list[socket.socket]:
    """Listening sockets for ``host:port``, as the loop's create_server makes them."""
    out: list[socket.socket] = []
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    seen: set[Any] = set()
    try:
        for family, kind, proto, _, addr in infos:
            if addr in seen:
                continue
            seen.add(addr)
            sock = socket.socket(family, kind, proto)
            out.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(addr)
            sock.listen(backlog)
            sock.setblocking(False)
    except OSError:
        for sock in out:
            sock.close()
        raise
    return out


# -- connections on a TLS port ---------------------------------------------------
#
# The TLS transport encrypts each chunk it is given as a TLS record of its
# own (one SSL_write per chunk), where a plain transport sends a batch's
# chunks in one writev.  A batch of pipelined replies is joined first, so it
# goes out as few full records, as redis writes its reply buffer.  Only the
# connections of a TLS listener are these classes; the walk is unchanged.


# What the TLS layer decrypts is read into this one buffer, shared by every
# TLS connection, and copied out before anything else runs.  A plain Protocol
# would get it from ``SSLObject.read(256 KiB)`` instead: a new 256 KiB bytes
# object per read, which glibc maps and unmaps (and shrinks with mremap) each
# time, more than half of the server's CPU for small requests on a TLS port.
_INPUT = memoryview(bytearray(256 * 1024))


class TlsInput(asyncio.BufferedProtocol):
    """The protocol the loop's TLS layer sees for a connection on a TLS port:
    decrypted input goes through ``_INPUT`` to ``conn.data_received``; the
    rest of the protocol is ``conn``'s own."""

    __slots__ = ("conn",)

    def __init__(self, conn: asyncio.Protocol) -> None:
        self.conn = conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.conn.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.connection_lost(exc)

    def pause_writing(self) -> None:
        self.conn.pause_writing()

    def resume_writing(self) -> None:
        self.conn.resume_writing()

    def eof_received(self) -> bool | None:
        return self.conn.eof_received()

    def get_buffer(self, sizehint: int) -> memoryview:
        return _INPUT

    def buffer_updated(self, nbytes: int) -> None:
        self.conn.data_received(_INPUT[:nbytes].tobytes())


def _joined(conn: Client | McConnection, chunks: list[bytes]) -> list[bytes]:
    """``chunks`` behind the connection's deferred replies, as one chunk."""
    deferred = conn.deferred
    if deferred is not None:
        chunks = deferred + chunks
        conn.deferred = None
    return [b"".join(chunks)] if len(chunks) > 1 else chunks


class TlsClient(Client):
    """A Redis-protocol connection on a TLS port."""

    __slots__ = ()

    def write(self, chunks: list[bytes]) -> None:
        Client.write(self, _joined(self, chunks))


class TlsMcConnection(McConnection):
    """A memcached-protocol connection on a TLS port."""

    __slots__ = ()

    def write(self, chunks: list[bytes]) -> None:
        McConnection.write(self, _joined(self, chunks))
