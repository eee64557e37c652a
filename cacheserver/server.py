"""The server: listeners, clients, the background cycle, start and graceful stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cacheserver import __version__
from cacheserver.acl import WRONGPASS, Acl
from cacheserver.blocking import Blocking
from cacheserver.commands import build_table
from cacheserver.commands.table import Table
from cacheserver.commands.transactions import Watches
from cacheserver.config import Config, ConfigError, parse_args
from cacheserver.connection import Client
from cacheserver.errors import DB_INDEX, NOT_INTEGER, CommandError
from cacheserver.latency import RUN_TIMING_NS, LatencyMonitor, SlowLog, slow_threshold
from cacheserver.memcached import Memcached
from cacheserver.memcached.connection import McConnection
from cacheserver.memory import Memory
from cacheserver.net import listen_tcp
from cacheserver.notify import NOTIFY_ALL, Notifier
from cacheserver.pause import Pause
from cacheserver.pubsub import PubSub
from cacheserver.store.keyspace import (
    NOTIFY_KEY_MISS,
    NOTIFY_KEYEVENT,
    NOTIFY_KEYSPACE,
    NOTIFY_NEW,
    Database,
    Keyspace,
)
from cacheserver.store.prefixes import set_prefixes
from cacheserver.tls import Tls, TlsClient, TlsError
from cacheserver.tracking import Tracking
from protocol.resp import error, string2ll

if TYPE_CHECKING:
    from cacheserver.loaders.base import Loaders
    from cacheserver.metrics import MetricsServer

log = logging.getLogger("cacheserver")

LOG_LEVELS = {
    "debug": logging.DEBUG,
    "verbose": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "nothing": logging.CRITICAL + 10,
}


class ServerStats:
    """Server-wide counters for INFO stats (names as Redis)."""

    __slots__ = (
        "acl_access_denied_auth",
        "acl_access_denied_channel",
        "acl_access_denied_cmd",
        "acl_access_denied_key",
        "client_output_buffer_limit_disconnections",
        "errorstats",
        "memcached_auth_failures",
        "rejected_connections",
        "total_connections_received",
        "total_error_replies",
        "total_net_input_bytes",
        "total_net_output_bytes",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total_connections_received = 0
        self.total_net_input_bytes = 0
        self.total_net_output_bytes = 0
        self.rejected_connections = 0
        self.total_error_replies = 0
        self.errorstats: dict[bytes, int] = {}
        self.client_output_buffer_limit_disconnections = 0
        # ACL denials: failed AUTH, and commands refused for the command, a
        # key or a channel (INFO stats, as Redis 7.2 names them)
        self.acl_access_denied_auth = 0
        self.acl_access_denied_cmd = 0
        self.acl_access_denied_key = 0
        self.acl_access_denied_channel = 0
        self.memcached_auth_failures = 0  # memcached-auth-file: wrong credentials

    def count_error(self, prefix: bytes) -> None:
        self.total_error_replies += 1
        self.errorstats[prefix] = self.errorstats.get(prefix, 0) + 1


class Server:
    """Everything one cacheserver process holds."""

    def __init__(self, config: Config | None = None, ephemeral: bool = False) -> None:
        self.config = config or Config()
        # tests: port 0 means "any free port" instead of Redis's "TCP off"
        self.ephemeral = ephemeral
        self.active_expire = True  # DEBUG SET-ACTIVE-EXPIRE 0 turns the cycle off
        self.keyspace = Keyspace(self.config["databases"])
        self.table = build_table()
        self.acl = Acl(self)  # users; before any client connects
        _restrict(self.table, self.config)
        self.clients: dict[int, Client] = {}
        self.maxmemory = 0  # bytes, 0 for no limit (kept by self.memory)
        self.memory = Memory(self)
        self.blocking = Blocking(self)
        self.pause = Pause(self)  # CLIENT PAUSE and the clients it holds
        self.pubsub = PubSub(self)
        self.notifier = Notifier(self.pubsub)
        self.tracking = Tracking(self)
        # the connection running commands (redis server.current_client): whose
        # change a tracking NOLOOP skips, and whose own messages wait for its reply
        self.current_client: Client | None = None
        self.watches = Watches(self)  # WATCHed keys of every client
        # read-through loaders (--loaders); the read handlers test it on a miss
        self.loaders: Loaders | None = None
        self.write_queue: list[Client | McConnection] = []
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # a running server writes replies once per loop iteration (start()
        # turns it on); an in-process harness without a loop writes at once
        self.defer_writes = False
        self.stats = ServerStats()
        self.tasks: set[asyncio.Future[Any]] = set()
        self.listeners: list[asyncio.AbstractServer] = []
        self.start_time = time.time()
        # unix ms; one reading per batch of commands (tests may replace it)
        self.clock = _wall_ms
        self.run_id = os.urandom(20).hex()
        self.loop_name = "asyncio"
        self.ports: dict[str, int] = {}
        self._next_id = 0
        self._stop: asyncio.Event | None = None
        self._cron: asyncio.TimerHandle | None = None
        self._last_clients_check = 0
        self.config.on("loglevel", lambda v: log.setLevel(LOG_LEVELS[v]))
        self.config.on("proto-max-bulk-len", self._set_bulk_limit)
        # read on every batch: kept as a plain attribute
        self.query_buffer_limit: int = self.config["client-query-buffer-limit"]
        self.config.on("client-query-buffer-limit", self._set_query_limit)
        # client-output-buffer-limit per class (normal, replica, pubsub), and
        # the smallest non-zero limit of each: delivery compares with it
        self.obuf_limits: tuple[tuple[int, int, int], ...] = ()
        self.obuf_limit_at: tuple[int, ...] = (0, 0, 0)
        self._set_obuf_limits(self.config["client-output-buffer-limit"])
        self.config.on("client-output-buffer-limit", self._set_obuf_limits)
        self._set_notify(self.config["notify-keyspace-events"])
        self.config.on("notify-keyspace-events", self._set_notify)
        self.memcached = Memcached(self)
        # SLOWLOG and LATENCY; the walk compares each command's time with
        # slow_ns (the smaller of their thresholds, in ns) and nothing else
        self.slowlog = SlowLog(
            self.config["slowlog-log-slower-than"], self.config["slowlog-max-len"]
        )
        self.latency = LatencyMonitor(self.config["latency-monitor-threshold"])
        self.monitors: list[Client] = []  # MONITOR (cacheserver.monitor)
        self.set_slow_threshold()
        for name in ("slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold"):
            self.config.on(name, self._set_slow)
        # /metrics, /healthz, /readyz over HTTP (metrics-port), and /readyz's
        # state: started once start() is done, serving from then until a stop
        self.metrics: MetricsServer | None = None
        self.started = False
        self.serving = False
        self._set_key_prefixes(self.config["metrics-key-prefixes"])
        self.config.on("metrics-key-prefixes", self._set_key_prefixes)

        self._load_users()
        self.config.on("requirepass", self._set_requirepass)

        self.tls = Tls(self)
        # read once per accepted connection
        self.protected_mode: bool = self.config["protected-mode"]
        self.config.on("protected-mode", self._set_protected_mode)

    def _set_slow(self, _: object) -> None:
        cfg = self.config
        self.slowlog.slower_than = cfg["slowlog-log-slower-than"]
        self.slowlog.max_len = cfg["slowlog-max-len"]
        self.slowlog.trim()
        self.latency.threshold = cfg["latency-monitor-threshold"]
        self.set_slow_threshold()
        # eviction and expiry time themselves only while the monitor is on
        self.memory.evictor.latency = self.keyspace.latency = self.latency.timer()

    def set_slow_threshold(self) -> None:
        """``slow_ns`` again, after a threshold changed or a monitor came or
        went; under ``RUN_TIMING_NS`` each call of every command is timed alone."""
        self.slow_ns = slow_threshold(self)
        each = self.slow_ns < RUN_TIMING_NS
        for row in self.table.all_rows():
            row.alone = each or not row.brief

    def _set_key_prefixes(self, value: list[str]) -> None:
        set_prefixes(self.keyspace, [p.encode("utf-8", "surrogateescape") for p in value])

    def _load_users(self) -> None:
        """Users from the config file's ``user`` lines or the aclfile, and
        requirepass (redis ``ACLLoadUsersAtStartup``); a bad setup stops the
        start, as it stops redis-server."""
        cfg = self.config
        if cfg["requirepass"]:
            self._set_requirepass(cfg["requirepass"])
        if cfg["aclfile"] and cfg.users:
            raise SystemExit(
                "Configuring Redis with users defined in redis.conf and at the same setting an "
                "ACL file path is invalid. This setup is very likely to lead to configuration "
                "errors and security holes, please define either an ACL file or declare users "
                "directly in your redis.conf, but not both."
            )
        try:
            self.acl.load_config_users(cfg.users)
        except ValueError as e:
            raise SystemExit(f"{e}\nCritical error while loading ACLs. Exiting.") from None
        if cfg["aclfile"]:
            errors = self.acl.load_file(cfg["aclfile"])
            if errors is not None:
                raise SystemExit(f"Aborting Redis startup because of ACL errors: {errors}")

    def _set_requirepass(self, password: str) -> None:
        """requirepass sets the default user's only password, or nopass when
        empty (redis ``ACLUpdateDefaultUserPassword``)."""
        acl = self.acl
        acl.apply(acl.default, b"resetpass")
        if password:
            acl.apply(acl.default, b">" + password.encode("utf-8", "surrogateescape"))
        else:
            acl.apply(acl.default, b"nopass")
        acl.default.update()
        acl.refresh_clients(acl.default)

    def default_user_nopass(self) -> bool:
        """The default user is on and needs no password: any client may run
        commands without AUTH (protected mode looks at this)."""
        d = self.acl.default
        return d.enabled and d.nopass

    def _set_protected_mode(self, value: bool) -> None:
        self.protected_mode = value

    def _set_obuf_limits(self, value: tuple[tuple[int, int, int], ...]) -> None:
        self.obuf_limits = value
        self.obuf_limit_at = tuple(min((v for v in (h, s) if v), default=0) for h, s, _ in value)
        for c in self.clients.values():
            c.set_output_class()

    def _set_notify(self, flags: int) -> None:
        """notify-keyspace-events: the keyspace calls the notifier only when
        some class is on and there is somewhere to publish (K or E)."""
        self.notifier.flags = flags
        classes = NOTIFY_ALL | NOTIFY_KEY_MISS | NOTIFY_NEW
        if flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) and flags & classes:
            self.keyspace.set_notify(flags, self.notifier.event)
        else:
            self.keyspace.set_notify(0, None)

    def _set_bulk_limit(self, value: int) -> None:
        for c in self.clients.values():
            c.reader.max_bulk_len = value

    def defer_write(self, c: Client | McConnection, out: list[bytes]) -> None:
        """Queue ``c``'s replies; every queued client is written once, after
        all the reads of this loop iteration (redis beforeSleep's
        handleClientsWithPendingWrites)."""
        if c.deferred is None:
            c.deferred = out
            self.write_queue.append(c)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                # the loop start() ran in: asyncio.get_running_loop() checks
                # the pid, a getpid() system call per loop iteration
                loop = self._loop or asyncio.get_running_loop()
                loop.call_soon(self.flush_writes)
        else:
            c.deferred += out

    def schedule_flush(self) -> None:
        """Make sure flush_writes runs at the end of this loop iteration."""
        if not self._flush_scheduled and self.defer_writes:
            self._flush_scheduled = True
            # the loop start() ran in: asyncio.get_running_loop() checks the
            # pid, a getpid() system call per loop iteration
            loop = self._loop or asyncio.get_running_loop()
            loop.call_soon(self.flush_writes)

    def after_command(self, out: list[bytes]) -> None:
        """Work a command left for after its reply (the connection's walk calls
        it when the keyspace's ready list is not empty): the running client's
        own tracking invalidations, then clients blocked on keys now ready."""
        tracking = self.tracking
        if tracking.pending or tracking.flush_done:
            tracking.flush_pending(out)
        if self.keyspace.ready:
            self.blocking.serve_ready()

    def flush_writes(self) -> None:
        self._flush_scheduled = False
        if self.tracking.bcast_pending:
            self.tracking.broadcast()
        queue, self.write_queue = self.write_queue, []
        for c in queue:
            c.flush()

    def _set_query_limit(self, value: int) -> None:
        self.query_buffer_limit = value

    def new_client_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def total_commands_processed(self) -> int:
        """Commands run since start or CONFIG RESETSTAT (summed from the rows'
        counters, so the walk keeps no counter of its own)."""
        return sum(row.calls for row in self.table.all_rows())

    def db_by_index(self, arg: bytes) -> Database:
        """The database SELECT/MOVE/SWAPDB name; Redis's errors for bad indexes."""
        n = string2ll(arg)
        if n is None:
            raise CommandError(NOT_INTEGER)
        if not -(2**31) <= n < 2**31:  # redis getIntFromObjectOrReply
            raise CommandError(
                b"ERR value is out of range, value must between -2147483648 and 2147483647"
            )
        if not 0 <= n < len(self.keyspace.dbs):
            raise CommandError(DB_INDEX)
        return self.keyspace.dbs[n]

    def authenticate(self, c: Client, user: bytes, password: bytes, command: bytes) -> None:
        """AUTH / HELLO AUTH: ``c`` becomes ``user``, or -WRONGPASS."""
        if not self.acl.authenticate(c, user, password, command):
            raise CommandError(WRONGPASS)

    def error_reply(self, msg: bytes) -> bytes:
        """Encode an error reply and count it in errorstats by its first word."""
        self.stats.count_error(msg.split(b" ", 1)[0])
        return error(msg)

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Open the listeners and start the background cycle."""
        loop = self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        cfg = self.config
        if cfg["metrics-port"]:  # first: /healthz answers while the rest starts
            from cacheserver.metrics import MetricsServer

            self.metrics = MetricsServer(self)
            await self.metrics.start()
        if cfg["loaders"]:
            from cacheserver.loaders.base import Loaders

            self.loaders = Loaders.open(self, cfg["loaders"])  # LoaderConfigError: not started
            await self.loaders.start()
        if cfg["tls-port"] or cfg["tls-memcached-port"]:
            try:
                self.tls.load()
            except TlsError as e:
                raise ConfigError(f"Failed to configure TLS: {e}", "tls-port") from None
        port = cfg["port"]
        if port or self.ephemeral:
            listeners, port = await listen_tcp(
                cfg["bind"], port, lambda: Client(self), cfg["tcp-backlog"]
            )
            self.listeners += listeners
            self.ports["redis"] = port
        tls_port = cfg["tls-port"]
        if tls_port:
            await self.tls.listen(cfg["bind"], tls_port, lambda: TlsClient(self))
            self.ports["tls"] = tls_port
        if cfg["unixsocket"]:
            path = cfg["unixsocket"]
            if os.path.exists(path):
                os.unlink(path)
            srv = await loop.create_unix_server(lambda: Client(self, "unix"), path)
            if cfg["unixsocketperm"]:
                os.chmod(path, cfg["unixsocketperm"])
            self.listeners.append(srv)
        await self.memcached.start()
        self._schedule_cron()
        self.defer_writes = True
        self.started = self.serving = True
        log.info(
            "cacheserver %s ready: redis port %s, memcached port %s, TLS ports %s/%s, "
            "pid %d, loop %s",
            __version__,
            self.ports.get("redis"),
            self.ports.get("memcached"),
            self.ports.get("tls"),
            self.ports.get("tls-memcached"),
            os.getpid(),
            self.loop_name,
        )

    def _schedule_cron(self) -> None:
        loop = asyncio.get_running_loop()
        self._cron = loop.call_later(1.0 / self.config["hz"], self.cron)

    def cron(self) -> None:
        """Background cycle, ``hz`` times a second (redis ``serverCron``)."""
        try:
            ks = self.keyspace
            ks.tick()
            period = 1.0 / self.config["hz"]
            effort = self.config["active-expire-effort"]
            # redis: 25% of the period, plus 2% per effort step
            budget = period * (25 + 2 * (effort - 1)) / 100
            if self.active_expire and not ks.paused:  # (CLIENT PAUSE: the dataset stays)
                if self.latency.threshold:
                    t0 = time.perf_counter_ns()
                    ks.expire_cycle(self.clock(), budget)
                    self.latency.sample_ns("expire-cycle", time.perf_counter_ns() - t0)
                else:
                    ks.expire_cycle(self.clock(), budget)
            self.memory.cron()
            now = self.clock()
            if now - self._last_clients_check >= 1000:
                self._last_clients_check = now
                self.clients_cron(now)
                self.output_limits_cron()
                self.memcached.cron(now)
        except Exception:
            log.exception("error in the background cycle")
        finally:
            if self._stop is not None and not self._stop.is_set():
                self._schedule_cron()

    def clients_cron(self, now: int) -> None:
        """Close clients idle longer than ``timeout`` seconds (not those waiting on a reply)."""
        timeout = self.config["timeout"]
        if not timeout:
            return
        for c in list(self.clients.values()):
            if not c.waiting and now - c.last_interaction > timeout * 1000:
                log.debug("closing idle client %s", c.addr)
                c.close()

    def output_limits_cron(self) -> None:
        """Clients over a soft output limit are checked each second, so one
        whose output stops growing is still closed when the seconds run out
        (redis clientsCron)."""
        for c in [c for c in self.clients.values() if c.obuf_soft_since]:
            c.check_output_limit(c.pending_output())

    def reload_loaders(self) -> None:
        """SIGHUP: read the loaders file again; a bad file keeps the current loaders."""
        if self.loaders is None:
            return
        from cacheserver.loaders.spec import LoaderConfigError

        try:
            self.loaders.reload()
        except LoaderConfigError as e:
            log.error("loaders not reloaded, keeping the current ones:\n%s", e)

    def request_stop(self) -> None:
        self.serving = False
        if self._stop is not None:
            self._stop.set()

    async def wait_stopped(self) -> None:
        assert self._stop is not None
        await self._stop.wait()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, let in-flight work finish, close every client."""
        self.serving = False
        if self._stop is not None:
            self._stop.set()
        self.flush_writes()
        if self._cron is not None:
            self._cron.cancel()
        self.pause.stop()
        for srv in self.listeners:
            srv.close()
        tls_listeners = self.tls.close()
        self.memcached.close_listeners()
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=grace)
        for c in list(self.clients.values()):
            c.close()
        if self.loaders is not None:
            await self.loaders.close()
        for srv in [*self.listeners, *tls_listeners]:
            await srv.wait_closed()
        self.listeners.clear()
        await self.memcached.stop()
        if self.config["unixsocket"] and os.path.exists(self.config["unixsocket"]):
            os.unlink(self.config["unixsocket"])
        if self.metrics is not None:  # last: /readyz says "shutting down" meanwhile
            await self.metrics.stop()


def _restrict(table: Table, config: Config) -> None:
    """rename-command and disabled-commands, applied to a fresh table; a bad
    name stops the server as redis's config-file errors do."""
    try:
        for old, new in config.renames:
            table.rename(
                old.encode("utf-8", "surrogateescape"), new.encode("utf-8", "surrogateescape")
            )
        for name in config["disabled-commands"]:
            table.disable(name.encode("utf-8", "surrogateescape"))
    except ValueError as e:
        raise SystemExit(f"\n*** FATAL CONFIG FILE ERROR ***\n{e}") from None


def _wall_ms() -> int:
    return int(time.time() * 1000)


def setup_logging(config: Config) -> None:
    logfile = config["logfile"]
    handler: logging.Handler = (
        logging.FileHandler(logfile) if logfile else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(
        logging.Formatter(
            "%(process)d:M %(asctime)s.%(msecs)03d %(levelname)s %(message)s", "%d %b %Y %H:%M:%S"
        )
    )
    log.handlers[:] = [handler]
    log.setLevel(LOG_LEVELS[config["loglevel"]])
    log.propagate = False


def install_loop(config: Config) -> str:
    """Use uvloop unless asked not to or missing; returns the loop's name."""
    if config["event-loop"] == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed; using the asyncio event loop")
            return "asyncio"
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return "uvloop"
    return "asyncio"


async def serve(server: Server) -> None:
    await server.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, server.request_stop)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        loop.add_signal_handler(signal.SIGHUP, server.reload_loaders)
    except (NotImplementedError, RuntimeError, AttributeError):
        pass
    await server.wait_stopped()
    log.info("shutting down")
    await server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    setup_logging(config)
    name = install_loop(config)
    server = Server(config)
    server.loop_name = name
    from cacheserver.loaders.spec import LoaderConfigError

    try:
        asyncio.run(serve(server))
    except (OSError, ConfigError) as e:
        log.error("could not start: %s", e)
        return 1
    except LoaderConfigError as e:
        log.error("could not start: bad loaders file:\n%s", e)
        print(f"cacheserver: bad loaders file:\n{e}", file=sys.stderr)
        return 1
    log.info("bye")
    return 0
