"""Differential tests of INFO, CONFIG, COMMAND, TIME, SHUTDOWN and DEBUG against
the real redis-server 7.0.15: identical bytes wherever Redis's reply is
deterministic and ours is meant to match; field names and sorted pairs where
the values are the process's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import cacheserver
from cacheserver.config import Config
from conftest import Pair, pairs, parse, wait_blocked
from helpers import ServerThread


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    """cacheserver with DEBUG allowed, as the real redis-server under test."""
    st = ServerThread(Config(enable_debug_command="yes")).start()
    yield st
    st.stop()


# -- CONFIG --------------------------------------------------------------------

CONFIG_SET_ERRORS = [
    ("foo", "1"),
    ("maxclients", "0"),
    ("maxclients", "abc"),
    ("maxclients", "4294967296"),
    ("MaxClients", "0"),
    ("maxclients", "10", "maxclients", "20"),
    ("maxclients", "10", "MAXCLIENTS", "20"),
    ("maxclients",),
    ("maxclients", "1", "foo"),
    ("foo", "1", "maxclients", "0"),
    ("maxclients", "0", "foo", "1"),
    ("maxclients", "0", "databases", "1"),
    ("databases", "3"),
    ("DATABASES", "3"),
    ("enable-debug-command", "yes"),
    ("hz", "-1"),
    ("hz", "x"),
    ("timeout", "-1"),
    ("timeout", "+5"),
    ("timeout", " 5"),
    ("timeout", "05"),
    ("timeout", "1e3"),
    ("timeout", "2147483648"),
    ("tcp-keepalive", "-1"),
    ("active-expire-effort", "0"),
    ("active-expire-effort", "11"),
    ("loglevel", "loud"),
    ("appendonly", "maybe"),
    ("appendonly", "1"),
    ("proto-max-bulk-len", "1"),
    ("proto-max-bulk-len", "1x"),
    ("proto-max-bulk-len", "1.5mb"),
    ("proto-max-bulk-len", "-1"),
    ("proto-max-bulk-len", "+2mb"),
    ("proto-max-bulk-len", "100b"),
    ("proto-max-bulk-len", "99999999999999999999"),
    ("client-query-buffer-limit", "1kb"),
    (b"a\r\nb", "1"),
]


@pytest.mark.parametrize("args", CONFIG_SET_ERRORS, ids=repr)
def test_config_set_errors(d: Pair, args: tuple[Any, ...]) -> None:
    assert d.check("CONFIG", "SET", *args).startswith(b"-ERR")


SHARED = [
    "maxclients",
    "timeout",
    "hz",
    "databases",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "tcp-keepalive",
    "tcp-backlog",
    "active-expire-effort",
    "loglevel",
    "enable-debug-command",
    "save",
    "appendonly",
    "unixsocket",
    "unixsocketperm",
    "logfile",
]


def test_config_get_shared_settings(d: Pair) -> None:
    for name in SHARED:
        d.check("CONFIG", "GET", name)
    d.check("CONFIG", "GET", "MAXCLIENTS")
    d.check("CONFIG", "GET", "nope")
    d.check("CONFIG", "GET", "hz", "h?", "nope")
    ours, real = d.parsed("CONFIG", "GET", *SHARED)
    pairs = sorted(zip(ours[::2], ours[1::2], strict=True))
    assert pairs == sorted(zip(real[::2], real[1::2], strict=True))
    assert len(pairs) == len(SHARED)
    # a glob answers each setting once, whatever else matches
    ours, real = d.parsed("CONFIG", "GET", "maxclients", "maxc*", "*xclients")
    assert ours == real == [b"maxclients", b"10000"]
    d.raw(b"HELLO 3\r\n")
    try:
        d.check("CONFIG", "GET", "hz")
        d.check("CONFIG", "GET", "nope")
    finally:
        d.raw(b"HELLO 2\r\n")


def test_config_set_then_get(d: Pair) -> None:
    try:
        d.check("CONFIG", "SET", "hz", "0")
        d.check("CONFIG", "GET", "hz")
        d.check("CONFIG", "SET", "hz", "100000")
        d.check("CONFIG", "GET", "hz")
        d.check("CONFIG", "SET", "timeout", "30", "maxclients", "5000", "tcp-keepalive", "60")
        for name in ("timeout", "maxclients", "tcp-keepalive"):
            d.check("CONFIG", "GET", name)
        d.check("CONFIG", "SET", "proto-max-bulk-len", "1gB", "client-query-buffer-limit", "2048k")
        d.check("CONFIG", "GET", "proto-max-bulk-len")
        d.check("CONFIG", "GET", "client-query-buffer-limit")
        d.check("CONFIG", "SET", "LogLevel", "WARNING")
        d.check("CONFIG", "GET", "loglevel")
        d.check("CONFIG", "SET", "active-expire-effort", "10")
        d.check("CONFIG", "GET", "active-expire-effort")
        # all or nothing: the good pair is not applied either
        d.check("CONFIG", "SET", "timeout", "99", "maxclients", "0")
        d.check("CONFIG", "GET", "timeout")
        # turning persistence off is accepted (it is off)
        d.check("CONFIG", "SET", "save", "", "appendonly", "no")
    finally:
        d.check(
            "CONFIG",
            "SET",
            "hz",
            "10",
            "timeout",
            "0",
            "maxclients",
            "10000",
            "tcp-keepalive",
            "300",
            "proto-max-bulk-len",
            "512mb",
            "client-query-buffer-limit",
            "1gb",
            "loglevel",
            "notice",
            "active-expire-effort",
            "1",
        )


def test_config_subcommands(d: Pair) -> None:
    d.check_all(
        ("CONFIG",),
        ("CONFIG", "foo"),
        ("CONFIG", "GET"),
        ("CONFIG", "SET"),
        ("CONFIG", "SET", "a"),
        ("CONFIG", "HELP"),
        ("config", "help"),
        ("CONFIG", "HELP", "x"),
        ("CONFIG", "RESETSTAT", "x"),
        ("CONFIG", "REWRITE", "x"),
        ("CONFIG", "REWRITE"),  # neither server was started with a config file
        ("CONFIG", "RESETSTAT"),
    )


# -- COMMAND -------------------------------------------------------------------

# rows whose COMMAND INFO is byte-identical (no tips, no refined key-spec flags)
IDENTICAL_INFO = [
    "get",
    "config|get",
    "config|help",
    "config|resetstat",
    "config|rewrite",
    "command|count",
    "command|help",
    "command|getkeys",
    "command|getkeysandflags",
    "shutdown",
    "debug",
    "multi",
    "exec",
    "discard",
    "watch",
    "unwatch",
]
# rows where name, arity, flags, first/last/step and ACL categories match
SAME_METADATA = [
    "get",
    "set",
    "mset",
    "info",
    "config",
    "config|set",
    "command",
    "command|info",
    "command|docs",
    "command|list",
    "time",
]


def test_command_info(d: Pair) -> None:
    for name in IDENTICAL_INFO:
        d.check("COMMAND", "INFO", name)
    d.check("COMMAND", "INFO", "nope", "GET", "Config|Get", "config|nope", "get|x", "config|get|x")
    for name in SAME_METADATA:
        ours, real = d.parsed("COMMAND", "INFO", name)
        assert ours[0][:7] == real[0][:7], name
        # key positions agree with Redis's key specs
        if real[0][8]:
            spec = pairs(real[0][8][0])
            mine = pairs(ours[0][8][0])
            assert mine[b"begin_search"] == spec[b"begin_search"], name
            assert mine[b"find_keys"] == spec[b"find_keys"], name
    d.raw(b"HELLO 3\r\n")
    try:
        for name in ("get", "config|get", "shutdown", "nope"):
            d.check("COMMAND", "INFO", name)
    finally:
        d.raw(b"HELLO 2\r\n")


GETKEYS = [
    ("get", "k"),
    ("GET", b"k\r\n\x00"),
    ("set", "k", "v"),
    ("set", "k", "v", "EX", "10", "GET"),
    ("mset", "a", "1", "b", "2"),
    ("mset", "a", "1", "b"),
    ("del", "a", "b", "c"),
    ("exists", "a", "a"),
    ("nope", "a"),
    ("get",),
    ("get", "a", "b"),
    ("ping", "x"),
    ("config", "get", "x"),
    ("config", "nope"),
    ("CONFIG|GET", "x"),
    ("client", "list"),
    ("info", "server"),
]


@pytest.mark.parametrize("args", GETKEYS, ids=repr)
def test_command_getkeys(d: Pair, args: tuple[Any, ...]) -> None:
    d.check("COMMAND", "GETKEYS", *args)


def test_command_getkeysandflags(d: Pair) -> None:
    d.check("COMMAND", "GETKEYSANDFLAGS", "get", "k")
    d.check("COMMAND", "GETKEYSANDFLAGS", "nope", "k")
    d.check("COMMAND", "GETKEYSANDFLAGS", "get")
    d.check("COMMAND", "GETKEYSANDFLAGS", "ping", "x")


def test_command_list_and_misc(d: Pair) -> None:
    for pattern in ("config*", "CONF*", "config|*", "get", "c?nfig|[gs]et", "nope*"):
        ours, real = d.parsed("COMMAND", "LIST", "FILTERBY", "PATTERN", pattern)
        assert sorted(ours) == sorted(real), pattern
    ours, real = d.parsed("COMMAND", "LIST")
    for name in (b"info", b"config", b"config|get", b"command|docs", b"time", b"debug"):
        assert name in ours and name in real
    d.check_all(
        ("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nope"),
        ("COMMAND", "LIST", "FILTERBY", "MODULE", "m"),
        ("COMMAND", "LIST", "FILTERBY", "x", "y"),
        ("COMMAND", "LIST", "FILTERBY", "pattern"),
        ("COMMAND", "LIST", "x"),
        ("COMMAND", "HELP"),
        ("COMMAND", "HELP", "x"),
        ("COMMAND", "FOO"),
        ("COMMAND", "COUNT", "x"),
        ("COMMAND", "DOCS", "nope"),
        ("COMMAND", "INFO", "nope"),
    )
    ours, real = d.parsed("COMMAND", "COUNT")
    assert isinstance(ours, int) and ours > 0 and isinstance(real, int)


def test_command_docs_shape(d: Pair) -> None:
    d.raw(b"HELLO 3\r\n")
    try:
        ours, real = d.parsed("COMMAND", "DOCS", "get", "config", "nope")
    finally:
        d.raw(b"HELLO 2\r\n")
    assert list(ours) == list(real) == [b"get", b"config"]
    for name in (b"get", b"config"):
        assert ours[name][b"since"] == real[name][b"since"]
        assert ours[name][b"group"] == real[name][b"group"]
    assert ours[b"get"][b"arguments"] == real[b"get"][b"arguments"]
    assert sorted(ours[b"config"][b"subcommands"]) == sorted(real[b"config"][b"subcommands"])


# -- INFO ----------------------------------------------------------------------


def headers(text: bytes) -> list[bytes]:
    return [line for line in text.split(b"\r\n") if line.startswith(b"# ")]


def fields(text: bytes) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    section = b""
    for line in text.split(b"\r\n"):
        if line.startswith(b"# "):
            section = line[2:]
            out[section] = []
        elif b":" in line:
            out[section].append(line.split(b":", 1)[0])
    return out


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("default",),
        ("all",),
        ("everything",),
        ("ALL",),
        ("server", "keyspace"),
        ("keyspace", "cpu", "cpu"),
        ("default", "commandstats"),
        ("all", "nope"),
    ],
    ids=repr,
)
def test_info_headers(d: Pair, args: tuple[str, ...]) -> None:
    ours, real = d.parsed("INFO", *args)
    assert headers(ours) == headers(real)


def test_info_exact_sections(d: Pair) -> None:
    d.check_all(
        ("INFO", "nope"),
        ("INFO", "nope", "other"),
        ("INFO", "modules"),
        ("INFO", "cluster"),
        ("INFO", "keyspace"),
        ("SET", "a", "1"),
        ("SET", "b", b"\x00"),
        ("SELECT", "5"),
        ("SET", "c", "1"),
        ("INFO", "keyspace"),
        ("INFO", "Keyspace", "cluster", "modules"),
        ("CONFIG", "RESETSTAT"),
        ("INFO", "errorstats"),
        ("NOPE",),
        ("GET",),
        ("SET", "k", "v", "EX", "x"),
        ("INFO", "errorstats"),
    )
    d.raw(b"HELLO 3\r\n")
    try:
        d.check_all(("INFO", "cluster"), ("INFO", "nope"), ("INFO", "errorstats"))
    finally:
        d.raw(b"HELLO 2\r\n")


EXTRA_FIELDS = {
    b"cacheserver_version",
    b"python_version",
    # clients closed by client-output-buffer-limit: a later Redis field, counted here too
    b"client_output_buffer_limit_disconnections",
    # ACL denials by kind: Redis 7.2's fields
    b"acl_access_denied_auth",
    b"acl_access_denied_cmd",
    b"acl_access_denied_key",
    b"acl_access_denied_channel",
    b"memcached_port",
    # the TLS ports (redis 7.0 shows none; later versions show tls_port)
    b"tls_port",
    b"tls_memcached_port",
    b"memcached_connected_clients",
    b"memcached_maxconns",
    b"lazyfree_steps",
}
FIXED_SECTIONS = [
    b"Server",
    b"Clients",
    b"Memory",
    b"Persistence",
    b"Stats",
    b"Replication",
    b"CPU",
    b"Cluster",
]


def test_info_field_names(d: Pair) -> None:
    ours, real = d.parsed("INFO", "everything")
    mine, theirs = fields(ours), fields(real)
    assert list(mine) == list(theirs)
    for section in FIXED_SECTIONS:
        names = [f for f in mine[section] if f not in EXTRA_FIELDS]
        missing = [f for f in names if f not in theirs[section]]
        assert not missing, (section, missing)
        # in Redis's order
        assert names == [f for f in theirs[section] if f in names], section
    for must in (b"redis_version", b"process_id", b"run_id", b"tcp_port", b"uptime_in_seconds"):
        assert must in mine[b"Server"]
    ours_server = dict(line.split(b":", 1) for line in ours.split(b"\r\n") if line.startswith(b"redis_"))
    real_server = dict(line.split(b":", 1) for line in real.split(b"\r\n") if line.startswith(b"redis_"))
    # the same major release; cacheserver reports the 7.x that clients gate on
    assert ours_server[b"redis_version"] == cacheserver.REDIS_VERSION.encode()
    assert ours_server[b"redis_version"][:2] == real_server[b"redis_version"][:2] == b"7."


def test_info_commandstats_names(d: Pair) -> None:
    d.check_all(("CONFIG", "RESETSTAT"), ("GET", "k"), ("CONFIG", "GET", "hz"), ("GET",))
    ours, real = d.parsed("INFO", "commandstats")

    def counts(text: bytes) -> dict[bytes, list[tuple[bytes, bytes]]]:
        # field names in order, and every value but the timings
        out = {}
        for line in text.split(b"\r\n")[1:]:
            if line:
                name, rest = line.split(b":")
                kvs = [tuple(kv.split(b"=")) for kv in rest.split(b",")]
                out[name] = [(k, v if k.endswith(b"calls") else b"") for k, v in kvs]
        return out

    assert counts(ours) == counts(real)
    assert b"cmdstat_config|get" in counts(ours)


# -- TIME, SHUTDOWN, DEBUG -----------------------------------------------------


def test_time(d: Pair) -> None:
    ours, real = d.parsed("TIME")
    assert len(ours) == len(real) == 2
    assert all(x.isdigit() for x in ours) and int(ours[1]) < 1_000_000
    assert abs(int(ours[0]) - int(real[0])) <= 2
    d.check("TIME", "x")


def test_shutdown_errors(d: Pair) -> None:
    # only refused forms: a real SHUTDOWN would stop the shared redis-server
    d.check_all(
        ("SHUTDOWN", "FOO"),
        ("SHUTDOWN", "NOSAVE", "SAVE"),
        ("SHUTDOWN", "ABORT"),
        ("SHUTDOWN", "abort", "NOW"),
        ("SHUTDOWN", "save", "save", "abort"),
        ("SHUTDOWN", "NOW", "x"),
    )


def test_debug(d: Pair) -> None:
    d.check_all(
        ("DEBUG",),
        ("DEBUG", "FOO"),
        ("DEBUG", "SLEEP"),
        ("DEBUG", "SLEEP", "0"),
        ("DEBUG", "SLEEP", "x"),
        ("DEBUG", "SLEEP", "-1"),
        ("DEBUG", "SLEEP", "0.001"),
        ("DEBUG", "help", "x"),
        ("DEBUG", "ERROR", "CUSTOM failure"),
        ("DEBUG", "ERROR", ""),
        ("DEBUG", "PROTOCOL"),
        ("DEBUG", "PROTOCOL", "nope"),
        ("DEBUG", "LOG", "from the differential tests"),
    )
    ours, real = d.parsed("DEBUG", "HELP")
    assert ours[0] == real[0]
    assert set(ours) <= set(real)


PROTOCOL_TYPES = [
    "string",
    "integer",
    "double",
    "bignum",
    "null",
    "array",
    "set",
    "map",
    "attrib",
    "push",
    "verbatim",
    "true",
    "false",
]


def test_debug_protocol(d: Pair) -> None:
    for kind in PROTOCOL_TYPES:
        d.check("DEBUG", "PROTOCOL", kind)
    d.raw(b"HELLO 3\r\n")
    try:
        for kind in PROTOCOL_TYPES:
            if kind == "push":
                # a push is out-of-band data then a reply: read both
                ours, real = d.raw(b"DEBUG PROTOCOL push\r\n", replies=2)
                assert ours == real
            else:
                d.check("DEBUG", "PROTOCOL", kind.upper())
    finally:
        d.raw(b"HELLO 2\r\n")


GETKEYSANDFLAGS_CASES = [
    ("GET", "k"),
    ("EXISTS", "a", "b"),
    ("LPOP", "k"),
    ("INCR", "k"),
    ("HSET", "h", "f", "v"),
    ("LPUSH", "l", "v"),
    ("SREM", "s", "m"),
    ("ZUNIONSTORE", "d", "2", "a", "b"),
    ("SINTERSTORE", "d", "a", "b"),
    ("ZRANGESTORE", "d", "src", "0", "-1"),
    ("LMOVE", "a", "b", "LEFT", "RIGHT"),
    ("SMOVE", "a", "b", "m"),
    ("MSET", "a", "1", "b", "2"),
    ("MSETNX", "a", "1", "b", "2"),
    ("DEL", "a", "b"),
    ("COPY", "a", "b"),
    ("RENAME", "a", "b"),
    ("RENAMENX", "a", "b"),
    ("SET", "k", "v"),
    ("SET", "k", "v", "EX", "10", "GET"),
    ("BLMPOP", "0", "2", "a", "b", "LEFT"),
    ("OBJECT", "ENCODING", "k"),
    ("MEMORY", "USAGE", "k"),
    ("WATCH", "a", "b"),
    ("SPUBLISH", "ch", "msg"),
    ("SSUBSCRIBE", "a", "b"),
]


def test_getkeysandflags_as_redis_key_specs(d: Pair) -> None:
    """COMMAND GETKEYSANDFLAGS: each key with the flags of the key spec that
    names it (first key the first spec's, later keys the last spec's; SET's
    depend on GET), RESP2 and RESP3; shard channels are no keys."""
    for case in GETKEYSANDFLAGS_CASES:
        d.check("COMMAND", "GETKEYSANDFLAGS", *case)
        d.check("COMMAND", "GETKEYS", *case)
    d.resp3()
    for case in GETKEYSANDFLAGS_CASES:
        d.check("COMMAND", "GETKEYSANDFLAGS", *case)


def test_command_info_tips(d: Pair) -> None:
    """COMMAND INFO's tips (routing and output hints for cluster clients) are
    Redis's, for every command and subcommand both servers have."""
    names = [n for n in parse(d.ours.call("COMMAND", "LIST")) if b"|" not in n]
    for name in sorted(names):
        (o,), (r,) = d.parsed("COMMAND", "INFO", name)
        if r is None:
            continue  # not in Redis 7.0
        assert o[7] == r[7], name
        real_subs = {s[0]: s[7] for s in r[9]}
        for sub in o[9]:
            if sub[0] in real_subs:
                assert sub[7] == real_subs[sub[0]], sub[0]
    for name in ("mget", "del", "keys", "ping", "dbsize"):
        d.check("COMMAND", "INFO", name)
    d.resp3()
    d.check("COMMAND", "INFO", "mget", "keys")


# -- ROLE and WAIT: a master without replicas ------------------------------------


def test_role_and_wait(d: Pair) -> None:
    d.batch(
        ("ROLE",),
        ("WAIT", "0", "0"),
        ("WAIT", "0", "100"),
        ("WAIT", "-1", "0"),
        ("WAIT", "1", "-1"),
        ("WAIT", "1", "x"),
        ("WAIT", "x", "1"),
        ("WAIT", "1", "1.5"),
        ("WAIT", "1", "10"),  # after 10 ms: no replica acknowledged
        ("MULTI",),
        ("WAIT", "5", "0"),  # inside EXEC: no blocking
        ("EXEC",),
        ("COMMAND", "INFO", "role", "wait", "lastsave"),
    )
    ours, real = d.both("LASTSAVE")  # the start time of each
    assert ours[:1] == real[:1] == b":" and abs(int(ours[1:]) - int(real[1:])) < 86400
    d.resp3()
    d.check("ROLE")


def test_wait_forever_until_client_unblock(d: Pair, new_pair: Any) -> None:
    waiter = new_pair()
    try:
        ids = [parse(c.call("CLIENT", "ID")) for c in (waiter.ours, waiter.real)]
        waiter.send("WAIT", "1", "0")
        wait_blocked(d, 1)
        for c, cid in zip((d.ours, d.real), ids, strict=True):
            assert c.call("CLIENT", "UNBLOCK", cid) == b":1\r\n"
        assert waiter.reply() == b":0\r\n"  # (as a timeout)
        waiter.send("WAIT", "1", "0")
        wait_blocked(d, 1)
        for c, cid in zip((d.ours, d.real), ids, strict=True):
            assert c.call("CLIENT", "UNBLOCK", cid, "ERROR") == b":1\r\n"
        waiter.reply()
    finally:
        waiter.close()


# -- CLUSTER, READONLY, READWRITE, ASKING: cluster support disabled ----------------


def test_cluster_commands_refused_as_a_standalone_redis(d: Pair) -> None:
    subs = parse(d.real.call("COMMAND", "INFO", "cluster"))[0][9]
    names = sorted(s[0].split(b"|")[1] for s in subs)
    assert len(names) == 27
    cases: list[tuple[Any, ...]] = [("CLUSTER", n) for n in names]
    cases += [("CLUSTER", "SLOTS", "x"), ("CLUSTER", "NOPE"), ("CLUSTER",), ("CLUSTER", "KEYSLOT", "k")]
    cases += [("READONLY",), ("READWRITE",), ("ASKING",), ("READONLY", "x")]
    cases += [("COMMAND", "INFO", "readonly", "readwrite", "asking")]
    d.batch(*cases)
    ours, real = d.parsed("COMMAND", "INFO", "cluster")  # subcommands in hash order in Redis
    assert ours[0][:9] == real[0][:9]
    assert sorted(ours[0][9]) == sorted(real[0][9])
