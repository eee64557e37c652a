"""In-process tests of the server commands: INFO CONFIG COMMAND TIME SHUTDOWN DEBUG."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import hiredis
import pytest

from cacheserver.commands import server as srvcmd
from cacheserver.config import Config
from helpers import Harness, RawClient, ServerThread, encode, free_port, read_reply

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse(raw: bytes) -> Any:
    """One reply as Python values (hiredis: maps -> dict, sets -> list)."""
    assert read_reply(raw) == len(raw), raw[:200]
    r = hiredis.Reader()
    r.feed(raw)
    return r.gets()


def info_fields(h: Harness, *sections: str) -> dict[str, str]:
    text = parse(h.run("INFO", *sections)).decode()
    out = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def headers(raw: bytes) -> list[str]:
    return [line for line in parse(raw).decode().split("\r\n") if line.startswith("# ")]


# -- INFO ----------------------------------------------------------------------

DEFAULT = [
    "# Server",
    "# Clients",
    "# Memory",
    "# Persistence",
    "# Stats",
    "# Replication",
    "# CPU",
    "# Modules",
    "# Errorstats",
    "# Cluster",
    "# Keyspace",
]
ALL = [
    "# Server",
    "# Clients",
    "# Memory",
    "# Persistence",
    "# Stats",
    "# Replication",
    "# CPU",
    "# Modules",
    "# Commandstats",
    "# Errorstats",
    "# Latencystats",
    "# Cluster",
    "# Keyspace",
]


def test_info_section_selection(h: Harness) -> None:
    assert headers(h.run("INFO")) == DEFAULT
    assert headers(h.run("INFO", "default")) == DEFAULT
    assert headers(h.run("INFO", "all")) == ALL
    assert headers(h.run("INFO", "EVERYTHING")) == ALL
    assert headers(h.run("INFO", "default", "commandstats")) == [
        *DEFAULT[:8],
        "# Commandstats",
        *DEFAULT[8:],
    ]
    # sections come in Redis's order whatever the order asked, once each
    assert headers(h.run("INFO", "keyspace", "SERVER", "server")) == ["# Server", "# Keyspace"]
    assert headers(h.run("INFO", "all", "nope")) == ALL
    assert h.run("INFO", "nope") == b"$0\r\n\r\n"
    assert h.run("INFO", "nope", "other") == b"$0\r\n\r\n"


def test_info_layout(h: Harness) -> None:
    assert h.run("INFO", "modules") == b"$11\r\n# Modules\r\n\r\n"
    assert h.run("INFO", "cluster") == b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"
    # sections are separated by an empty line, every line ends with \r\n
    body = parse(h.run("INFO", "cpu", "modules"))
    assert body.startswith(b"# CPU\r\nused_cpu_sys:")
    assert body.endswith(b"\r\n\r\n# Modules\r\n")
    for line in body.split(b"\r\n")[1:6]:
        name, value = line.split(b":")
        assert name.startswith(b"used_cpu_") and len(value.split(b".")[1]) == 6


def test_info_resp3_is_verbatim(h: Harness) -> None:
    h.run("HELLO", "3")
    assert h.run("INFO", "cluster") == b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    assert h.run("INFO", "nope") == b"=4\r\ntxt:\r\n"


def test_info_server(h: Harness) -> None:
    import cacheserver

    h.server.ports["redis"] = 7777
    h.server.loop_name = "uvloop"
    f = info_fields(h, "server")
    assert f["redis_version"] == cacheserver.REDIS_VERSION
    assert f["cacheserver_version"] == cacheserver.__version__
    assert f["redis_mode"] == "standalone"
    assert f["process_id"] == str(os.getpid())
    assert f["run_id"] == h.server.run_id and len(f["run_id"]) == 40
    assert f["tcp_port"] == "7777"
    assert f["multiplexing_api"] == "uvloop"
    assert f["hz"] == f["configured_hz"] == "10"
    assert f["config_file"] == ""
    assert abs(int(f["server_time_usec"]) / 1e6 - time.time()) < 60
    assert int(f["uptime_in_seconds"]) >= 0 and f["uptime_in_days"] == "0"
    assert 0 <= int(f["lru_clock"]) < 2**24
    h.run("CONFIG", "SET", "hz", "50")
    assert info_fields(h, "server")["hz"] == "50"


def test_info_clients_and_stats(h: Harness) -> None:
    other = h.connect()
    f = info_fields(h, "clients")
    assert f["connected_clients"] == "2"
    assert f["maxclients"] == "10000"
    assert f["blocked_clients"] == "0"
    other.close()
    assert info_fields(h, "clients")["connected_clients"] == "1"

    h.run("CONFIG", "RESETSTAT")
    h.run("SET", "k", "v")
    h.run("GET", "k")
    h.run("GET", "missing")
    f = info_fields(h, "stats")
    # the RESETSTAT batch counts, as Redis counts RESETSTAT itself
    assert f["total_commands_processed"] == "4"
    assert f["keyspace_hits"] == "1" and f["keyspace_misses"] == "1"
    assert f["total_error_replies"] == "0"
    assert int(f["total_net_input_bytes"]) > 0 and int(f["total_net_output_bytes"]) > 0
    assert f["instantaneous_input_kbps"].count(".") == 1


def test_info_expired_keys(h: Harness) -> None:
    h.server.clock = lambda: 1_000_000
    h.run("SET", "k", "v", "PX", "100")
    h.server.clock = lambda: 1_000_200
    assert h.run("GET", "k") == b"$-1\r\n"
    assert info_fields(h, "stats")["expired_keys"] == "1"


def test_info_memory(h: Harness) -> None:
    f = info_fields(h, "memory")
    used = int(f["used_memory"])
    # the estimate of the (empty) keyspace's tables; the process is megabytes
    assert 0 < used < int(f["used_memory_rss"])
    assert int(f["used_memory_rss"]) > 1024 * 1024
    assert f["used_memory_human"] == srvcmd.bytes_to_human(used)
    assert int(f["used_memory_peak"]) >= used
    assert f["used_memory_peak_perc"].endswith("%")
    assert f["maxmemory"] == "0" and f["maxmemory_human"] == "0B"
    assert f["maxmemory_policy"] == "noeviction"


def test_bytes_to_human() -> None:
    b2h = srvcmd.bytes_to_human
    assert b2h(0) == "0B"
    assert b2h(1023) == "1023B"
    assert b2h(1024) == "1.00K"
    assert b2h(916424) == "894.95K"
    assert b2h(6807552) == "6.49M"
    assert b2h(25276510208) == "23.54G"
    assert b2h(1024**4 * 3) == "3.00T"
    assert b2h(1024**5) == "1.00P"
    assert b2h(1024**6) == f"{1024**6}B"


def test_info_keyspace(h: Harness) -> None:
    h.server.clock = lambda: 1_000_000
    assert h.run("INFO", "keyspace") == b"$12\r\n# Keyspace\r\n\r\n"
    h.run("SET", "a", "1")
    h.run("SET", "b", "1", "PX", "5000")
    h.run("SELECT", "3")
    h.run("SET", "c", "1")
    body = parse(h.run("INFO", "keyspace"))
    assert body == (
        b"# Keyspace\r\n"
        b"db0:keys=2,expires=1,avg_ttl=5000\r\n"
        b"db3:keys=1,expires=0,avg_ttl=0\r\n"
    )


def test_info_commandstats(h: Harness) -> None:
    h.run("CONFIG", "RESETSTAT")
    h.run("GET", "k")
    h.run("GET", "k")
    h.run("GET")  # arity: rejected
    h.run("SET", "k", "v", "EX", "0")  # runs and fails
    h.run("CONFIG", "GET", "hz")
    h.run("CONFIG", "NOPE")  # unknown subcommand: rejected on the container
    body = parse(h.run("INFO", "commandstats")).decode()
    stats = {}
    for line in body.split("\r\n")[1:]:
        if line:
            name, fields = line.split(":")
            stats[name] = dict(kv.split("=") for kv in fields.split(","))
    assert stats["cmdstat_get"]["calls"] == "2"
    assert stats["cmdstat_get"]["rejected_calls"] == "1"
    assert stats["cmdstat_get"]["failed_calls"] == "0"
    assert stats["cmdstat_set"]["calls"] == "1" and stats["cmdstat_set"]["failed_calls"] == "1"
    assert stats["cmdstat_config|get"]["calls"] == "1"
    assert stats["cmdstat_config"]["calls"] == "0"
    assert stats["cmdstat_config"]["rejected_calls"] == "1"
    assert "cmdstat_ping" not in stats  # never called
    for fields in stats.values():
        assert list(fields) == ["calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"]
        calls, usec = int(fields["calls"]), int(fields["usec"])
        expected = f"{usec / calls:.2f}" if calls else "0.00"
        assert fields["usec_per_call"] == expected


def test_info_errorstats(h: Harness) -> None:
    h.run("CONFIG", "RESETSTAT")
    assert parse(h.run("INFO", "errorstats")) == b"# Errorstats\r\n"
    h.run("NOPE")
    h.run("SET", "k", "v")
    h.run("SET", "k", "v", "EX", "x")
    h.run("INCR", "k")
    body = parse(h.run("INFO", "errorstats"))
    assert body == b"# Errorstats\r\nerrorstat_ERR:count=3\r\n"
    assert info_fields(h, "stats")["total_error_replies"] == "3"


def test_info_persistence_replication(h: Harness) -> None:
    h.run("SET", "k", "v")
    f = info_fields(h, "persistence")
    assert f["loading"] == "0" and f["aof_enabled"] == "0"
    assert int(f["rdb_changes_since_last_save"]) >= 1
    f = info_fields(h, "replication")
    assert f["role"] == "master" and f["connected_slaves"] == "0"
    assert len(f["master_replid"]) == 40 and f["master_replid"] != h.server.run_id


# -- CONFIG --------------------------------------------------------------------


def test_config_get(h: Harness) -> None:
    assert h.run("CONFIG", "GET", "maxclients") == b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    # a plain name is answered under the name as written
    assert h.run("CONFIG", "GET", "MaxClients") == b"*2\r\n$10\r\nMaxClients\r\n$5\r\n10000\r\n"
    assert h.run("CONFIG", "GET", "nope") == b"*0\r\n"
    pairs = parse(h.run("CONFIG", "GET", "hz", "h?", "*z"))
    assert pairs == [b"hz", b"10"]  # each setting once
    pairs = parse(h.run("CONFIG", "GET", "*"))
    names = pairs[::2]
    assert len(names) == len(set(names))
    assert b"proto-max-bulk-len" in names and b"save" in names
    got = dict(zip(pairs[::2], pairs[1::2], strict=True))
    assert got[b"proto-max-bulk-len"] == b"536870912"
    assert got[b"appendonly"] == b"no" and got[b"save"] == b""
    assert got[b"bind"] == b"127.0.0.1"
    assert parse(h.run("CONFIG", "GET", "MAXC*")) == [b"maxclients", b"10000"]
    assert h.run("CONFIG", "GET") == b"-ERR wrong number of arguments for 'config|get' command\r\n"


def test_config_get_resp3_map(h: Harness) -> None:
    h.run("HELLO", "3")
    assert h.run("CONFIG", "GET", "hz") == b"%1\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    assert h.run("CONFIG", "GET", "nope") == b"%0\r\n"


def test_config_set(h: Harness) -> None:
    assert h.run("CONFIG", "SET", "timeout", "30", "maxclients", "50") == b"+OK\r\n"
    assert h.server.config["timeout"] == 30 and h.server.config["maxclients"] == 50
    assert h.run("CONFIG", "SET", "LOGLEVEL", "Warning") == b"+OK\r\n"
    assert parse(h.run("CONFIG", "GET", "loglevel")) == [b"loglevel", b"warning"]
    assert h.run("CONFIG", "SET", "proto-max-bulk-len", "2mb") == b"+OK\r\n"
    assert parse(h.run("CONFIG", "GET", "proto-max-bulk-len")) == [
        b"proto-max-bulk-len",
        b"2097152",
    ]
    # observers apply the change: the client's reader limit follows
    assert h.client.reader.max_bulk_len == 2 * 1024 * 1024


def test_config_set_is_all_or_nothing(h: Harness) -> None:
    out = h.run("CONFIG", "SET", "timeout", "30", "maxclients", "0")
    assert out == (
        b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
        b"argument must be between 1 and 4294967295 inclusive\r\n"
    )
    assert h.server.config["timeout"] == 0


ERRORS = [
    (("foo", "1"), b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"),
    (
        ("maxclients", "abc"),
        b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
        b"argument couldn't be parsed into an integer\r\n",
    ),
    (
        ("MaxClients", "+5"),
        b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
        b"argument couldn't be parsed into an integer\r\n",
    ),
    (
        ("databases", "3"),
        b"-ERR CONFIG SET failed (possibly related to argument 'databases') - "
        b"can't set immutable config\r\n",
    ),
    (
        ("maxclients", "10", "MAXCLIENTS", "20"),
        b"-ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - "
        b"duplicate parameter\r\n",
    ),
    # names are all checked before any value
    (("maxclients", "0", "foo", "1"), b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"),
    (
        ("maxclients", "0", "databases", "1"),
        b"-ERR CONFIG SET failed (possibly related to argument 'databases') - "
        b"can't set immutable config\r\n",
    ),
    (
        ("loglevel", "loud"),
        b"-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) "
        b"must be one of the following: debug, verbose, notice, warning\r\n",
    ),
    (
        ("appendonly", "maybe"),
        b"-ERR CONFIG SET failed (possibly related to argument 'appendonly') - "
        b"argument must be 'yes' or 'no'\r\n",
    ),
    (
        ("proto-max-bulk-len", "1.5mb"),
        b"-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
        b"argument must be a memory value\r\n",
    ),
    (
        ("proto-max-bulk-len", "100"),
        b"-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
        b"argument must be between 1048576 and 9223372036854775807 inclusive\r\n",
    ),
    (("maxclients", "1", "timeout"), b"-ERR syntax error\r\n"),
    (("maxclients",), b"-ERR wrong number of arguments for 'config|set' command\r\n"),
]


@pytest.mark.parametrize(("args", "reply"), ERRORS)
def test_config_set_errors(h: Harness, args: tuple[str, ...], reply: bytes) -> None:
    before = dict(h.server.config.values)
    assert h.run("CONFIG", "SET", *args) == reply
    assert h.server.config.values == before


def test_config_set_fixed_settings(h: Harness) -> None:
    # tools set these to turn persistence off: accepted, as it is off
    assert h.run("CONFIG", "SET", "save", "", "appendonly", "no") == b"+OK\r\n"
    out = h.run("CONFIG", "SET", "appendonly", "yes")
    assert out.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'appendonly') - ")
    assert b"append-only" in out
    out = h.run("CONFIG", "SET", "save", "900 1")
    assert out.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'save') - ")


def test_config_set_hz_is_clamped(h: Harness) -> None:
    assert h.run("CONFIG", "SET", "hz", "0") == b"+OK\r\n"
    assert parse(h.run("CONFIG", "GET", "hz")) == [b"hz", b"1"]
    assert h.run("CONFIG", "SET", "hz", "100000") == b"+OK\r\n"
    assert parse(h.run("CONFIG", "GET", "hz")) == [b"hz", b"500"]
    assert h.run("CONFIG", "SET", "hz", "-1").startswith(b"-ERR CONFIG SET failed")


def test_config_set_binary_name(h: Harness) -> None:
    out = h.run("CONFIG", "SET", b"a\r\nb\x00", "1")
    assert out == b"-ERR Unknown option or number of arguments for CONFIG SET - 'a  b\x00'\r\n"


def test_config_resetstat(h: Harness) -> None:
    h.run("SET", "k", "v")
    h.run("GET", "k")
    h.run("NOPE")
    assert h.run("CONFIG", "RESETSTAT") == b"+OK\r\n"
    f = info_fields(h, "stats")
    assert f["keyspace_hits"] == "0" and f["total_error_replies"] == "0"
    assert f["total_connections_received"] == "0"
    stats = parse(h.run("INFO", "commandstats")).decode()
    assert "cmdstat_get" not in stats and "cmdstat_set" not in stats
    # RESETSTAT itself is counted after it ran, as in Redis
    assert "cmdstat_config|resetstat:calls=1," in stats
    assert parse(h.run("INFO", "errorstats")) == b"# Errorstats\r\n"


def test_config_rewrite(h: Harness, tmp_path: Any) -> None:
    assert h.run("CONFIG", "REWRITE") == b"-ERR The server is running without a config file\r\n"
    conf = tmp_path / "cs.conf"
    conf.write_text("# mine\ntimeout 5\nhz 20\nhz 30\n")
    cfg = Config()
    cfg.load_file(str(conf))
    h2 = Harness(cfg)
    assert h2.run("CONFIG", "SET", "timeout", "7", "maxclients", "99") == b"+OK\r\n"
    assert h2.run("CONFIG", "REWRITE") == b"+OK\r\n"
    assert conf.read_text() == (
        "# mine\ntimeout 7\nhz 30\n# Generated by CONFIG REWRITE\nmaxclients 99\n"
    )
    assert info_fields(h2, "server")["config_file"] == str(conf)
    os.chmod(tmp_path, 0o500)
    try:
        if os.access(tmp_path, os.W_OK):
            pytest.skip("running as a user that may write anywhere")
        assert h2.run("CONFIG", "REWRITE").startswith(b"-ERR Rewriting config file: ")
    finally:
        os.chmod(tmp_path, 0o700)


def test_config_help(h: Harness) -> None:
    lines = parse(h.run("CONFIG", "HELP"))
    assert lines[0] == b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-2:] == [b"HELP", b"    Prints this help."]
    assert h.run("CONFIG", "HELP", "x") == (
        b"-ERR wrong number of arguments for 'config|help' command\r\n"
    )
    assert h.run("CONFIG", "NOPE") == b"-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n"


# -- COMMAND -------------------------------------------------------------------


def test_command_count_and_list(h: Harness) -> None:
    table = h.server.table
    assert h.run("COMMAND", "COUNT") == b":%d\r\n" % len(table.rows)
    names = parse(h.run("COMMAND", "LIST"))
    assert names == [r.fullname for r in table.all_rows()]
    assert b"config|get" in names and b"get" in names
    conf = parse(h.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONF*"))
    assert sorted(conf) == sorted(
        [b"config", b"config|get", b"config|set", b"config|resetstat", b"config|rewrite", b"config|help"]
    )
    admin = parse(h.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "ADMIN"))
    assert b"config|set" in admin and b"config" not in admin and b"get" not in admin
    assert h.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nope") == b"*0\r\n"
    assert h.run("COMMAND", "LIST", "FILTERBY", "MODULE", "m") == b"*0\r\n"
    for bad in (("FILTERBY", "x", "y"), ("FILTERBY", "pattern"), ("x",)):
        assert h.run("COMMAND", "LIST", *bad) == b"-ERR syntax error\r\n"


def test_command_info_get(h: Harness) -> None:
    # byte for byte as redis 7.0.15
    expected = (
        b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        b"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n"
        b"+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
        b"$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n"
        b"$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n"
        b"$5\r\nlimit\r\n:0\r\n*0\r\n"
    )
    assert h.run("COMMAND", "INFO", "get") == expected
    assert h.run("COMMAND", "INFO", "GET") == expected
    h.run("HELLO", "3")
    out = h.run("COMMAND", "INFO", "get")
    assert out.startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n")
    assert b"~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n" in out
    assert out.endswith(b"$5\r\nlimit\r\n:0\r\n~0\r\n")
    assert h.run("COMMAND", "INFO", "nope") == b"*1\r\n_\r\n"


def test_command_info_rows(h: Harness) -> None:
    info = parse(h.run("COMMAND", "INFO", "mset", "nope", "config", "config|set", "get|x"))
    mset, nope, config, config_set, get_x = info
    assert mset[:7] == [b"mset", -3, [b"write", b"denyoom"], 1, -1, 2, [b"@write", b"@string", b"@slow"]]
    spec = mset[8][0]
    assert spec[spec.index(b"find_keys") + 1] == [
        b"type", b"range", b"spec", [b"lastkey", -1, b"keystep", 2, b"limit", 0]
    ]
    assert nope is None and get_x is None
    assert config[:8] == [b"config", -2, [], 0, 0, 0, [b"@slow"], []]
    assert [s[0] for s in config[9]] == [
        b"config|get", b"config|set", b"config|resetstat", b"config|rewrite", b"config|help"
    ]
    assert config_set[:7] == [
        b"config|set",
        -4,
        [b"admin", b"noscript", b"loading", b"stale"],
        0,
        0,
        0,
        [b"@admin", b"@slow", b"@dangerous"],
    ]
    assert config_set[8] == [] and config_set[9] == []
    everything = parse(h.run("COMMAND", "INFO"))
    assert len(everything) == len(h.server.table.rows)


def test_command_with_no_subcommand_lists_everything(h: Harness) -> None:
    # called directly: the dispatcher's handling of a bare container is tested below
    out = srvcmd.command_(h.client, [b"COMMAND"])
    rows = parse(out)
    assert len(rows) == len(h.server.table.rows)
    assert {r[0] for r in rows} == set(h.server.table.rows)


def test_command_bare_through_dispatcher(h: Harness) -> None:
    rows = parse(h.run("COMMAND"))
    assert len(rows) == len(h.server.table.rows)


def test_command_getkeys(h: Harness) -> None:
    assert h.run("COMMAND", "GETKEYS", "get", "k") == b"*1\r\n$1\r\nk\r\n"
    assert parse(h.run("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2")) == [b"a", b"b"]
    assert parse(h.run("COMMAND", "GETKEYS", "del", "a", "b", b"c\r\n")) == [b"a", b"b", b"c\r\n"]
    assert parse(h.run("COMMAND", "GETKEYS", "set", "k", "v", "EX", "10")) == [b"k"]
    errors = {
        ("nope", "a"): b"-ERR Invalid command specified\r\n",
        ("config", "nope"): b"-ERR Invalid command specified\r\n",
        ("CONFIG|GET", "x"): b"-ERR Invalid command specified\r\n",
        ("ping", "x"): b"-ERR The command has no key arguments\r\n",
        ("config", "get", "x"): b"-ERR The command has no key arguments\r\n",
        ("get", "a", "b"): b"-ERR Invalid number of arguments specified for command\r\n",
        ("get",): b"-ERR wrong number of arguments for 'command|getkeys' command\r\n",
    }
    for args, reply in errors.items():
        assert h.run("COMMAND", "GETKEYS", *args) == reply, args


def test_command_getkeysandflags(h: Harness) -> None:
    assert h.run("COMMAND", "GETKEYSANDFLAGS", "get", "k") == (
        b"*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n"
    )
    assert parse(h.run("COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2")) == [
        [b"a", [b"OW", b"update"]],
        [b"b", [b"OW", b"update"]],
    ]
    # a command Redis 7.0 lacks: flags from the row's (HEXPIRE writes)
    assert parse(h.run("COMMAND", "GETKEYSANDFLAGS", "hexpire", "h", "10", "FIELDS", "1", "f")) == [
        [b"h", [b"RW", b"update"]],
    ]
    h.run("HELLO", "3")
    assert h.run("COMMAND", "GETKEYSANDFLAGS", "get", "k") == (
        b"*1\r\n*2\r\n$1\r\nk\r\n~2\r\n+RO\r\n+access\r\n"
    )


def test_command_getkeys_with_a_key_finder(h: Harness) -> None:
    from cacheserver.commands.table import MOVABLE_KEYS, WRITE, Command, Table
    from cacheserver.errors import CommandError

    def numkeys(argv: list[bytes]) -> list[int]:
        n = int(argv[2])
        if n < 1 or 3 + n > len(argv):
            raise CommandError(b"ERR numkeys")
        return [1, *range(3, 3 + n)]

    rows = list(h.server.table.rows.values())
    rows.append(Command(b"XSTORE", None, -4, WRITE | MOVABLE_KEYS, getkeys=numkeys))
    h.server.table = Table(rows)
    assert parse(h.run("COMMAND", "GETKEYS", "xstore", "d", "2", "a", "b")) == [b"d", b"a", b"b"]
    assert h.run("COMMAND", "GETKEYS", "xstore", "d", "5", "a", "b") == (
        b"-ERR Invalid arguments specified for command\r\n"
    )
    info = parse(h.run("COMMAND", "INFO", "xstore"))[0]
    assert b"movablekeys" in info[2]
    assert info[8][0][3] == [b"type", b"unknown", b"spec", []]


def test_command_docs(h: Harness) -> None:
    assert h.run("COMMAND", "DOCS", "nope") == b"*0\r\n"
    assert h.run("COMMAND", "DOCS", "get").startswith(b"*2\r\n$3\r\nget\r\n*8\r\n$7\r\nsummary\r\n")
    h.run("HELLO", "3")
    docs = parse(h.run("COMMAND", "DOCS", "get", "nope", "config|get"))
    assert list(docs) == [b"get", b"config|get"]
    get = docs[b"get"]
    assert get[b"summary"] == b"GET key -> bulk | nil"
    assert get[b"since"] == b"1.0.0" and get[b"group"] == b"string"
    assert get[b"arguments"] == [{b"name": b"key", b"type": b"key", b"key_spec_index": 0}]
    cget = docs[b"config|get"]
    assert cget[b"group"] == b"server"
    assert cget[b"complexity"].startswith(b"O(N)")
    assert cget[b"arguments"] == [
        {b"name": b"parameter", b"type": b"string", b"flags": [b"multiple"]}
    ]
    config = parse(h.run("COMMAND", "DOCS", "config"))[b"config"]
    assert config[b"since"] == b"2.0.0"
    assert b"arguments" not in config
    assert sorted(config[b"subcommands"]) == [
        b"config|get", b"config|help", b"config|resetstat", b"config|rewrite", b"config|set"
    ]
    assert h.run("COMMAND", "DOCS", "nope") == b"%0\r\n"
    out = h.run("COMMAND", "DOCS", "get")
    assert out.startswith(b"%1\r\n$3\r\nget\r\n%4\r\n$7\r\nsummary\r\n")


def test_command_docs_arguments_from_syntax(h: Harness) -> None:
    h.run("HELLO", "3")

    def args(name: str) -> Any:
        return parse(h.run("COMMAND", "DOCS", name))[name.encode()][b"arguments"]

    key, value, cond, get, expiry = args("set")
    assert key[b"type"] == b"key" and key[b"key_spec_index"] == 0
    assert value == {b"name": b"value", b"type": b"string"}
    assert cond[b"type"] == b"oneof" and cond[b"flags"] == [b"optional"]
    assert [a[b"token"] for a in cond[b"arguments"]] == [b"NX", b"XX"]
    assert get == {b"name": b"get", b"type": b"pure-token", b"token": b"GET", b"flags": [b"optional"]}
    ex = expiry[b"arguments"][0]
    assert ex == {b"name": b"s", b"type": b"integer", b"token": b"EX"}
    (data,) = args("mset")
    assert data[b"type"] == b"block" and data[b"flags"] == [b"multiple"]
    assert [a[b"name"] for a in data[b"arguments"]] == [b"key", b"value"]
    (section,) = args("info")
    assert section[b"flags"] == [b"optional", b"multiple"]
    filterby = args("command|list")[0]
    assert filterby[b"token"] == b"FILTERBY" and filterby[b"type"] == b"oneof"
    assert [a[b"token"] for a in filterby[b"arguments"]] == [b"MODULE", b"ACLCAT", b"PATTERN"]


def test_command_docs_every_row(h: Harness) -> None:
    for resp in ("2", "3"):
        h.run("HELLO", resp)
        out = h.run("COMMAND", "DOCS")
        assert read_reply(out) == len(out)
    docs = parse(out)
    assert set(docs) == set(h.server.table.rows)
    for name, doc in docs.items():
        assert doc[b"summary"], name
        assert doc[b"group"], name


def test_command_help(h: Harness) -> None:
    lines = parse(h.run("COMMAND", "HELP"))
    assert len(lines) == 21
    assert lines[0] == b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert h.run("COMMAND", "FOO") == b"-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"
    assert h.run("COMMAND", "COUNT", "x") == (
        b"-ERR wrong number of arguments for 'command|count' command\r\n"
    )


def test_acl_categories_of_server_rows(h: Harness) -> None:
    info = {r[0]: r for r in parse(h.run("COMMAND", "INFO", "info", "time", "shutdown", "debug", "command"))}
    assert info[b"info"][6] == [b"@slow", b"@dangerous"]
    assert info[b"time"][2] == [b"loading", b"stale", b"fast"] and info[b"time"][6] == [b"@fast"]
    assert info[b"shutdown"][2] == [
        b"admin", b"noscript", b"loading", b"stale", b"no_multi", b"allow_busy"
    ]
    assert info[b"shutdown"][6] == [b"@admin", b"@slow", b"@dangerous"]
    assert info[b"debug"][1] == -2
    assert info[b"command"][6] == [b"@slow", b"@connection"]


# -- TIME, SHUTDOWN ------------------------------------------------------------


def test_time(h: Harness) -> None:
    sec, usec = parse(h.run("TIME"))
    assert abs(int(sec) + int(usec) / 1e6 - time.time()) < 60
    assert 0 <= int(usec) < 1_000_000
    assert h.run("TIME", "x") == b"-ERR wrong number of arguments for 'time' command\r\n"


def test_shutdown_errors(h: Harness) -> None:
    stopped = []
    h.server.request_stop = lambda: stopped.append(1)  # type: ignore[method-assign]
    for args in (("FOO",), ("NOSAVE", "SAVE"), ("ABORT", "NOW"), ("save", "abort")):
        assert h.run("SHUTDOWN", *args) == b"-ERR syntax error\r\n", args
    assert h.run("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
    assert not stopped and not h.transport.closed


@pytest.mark.parametrize("args", [(), ("NOSAVE",), ("save", "now", "force"), ("NOW", "NOW")])
def test_shutdown_stops_without_reply(h: Harness, args: tuple[str, ...]) -> None:
    stopped = []
    h.server.request_stop = lambda: stopped.append(1)  # type: ignore[method-assign]
    out = h.feed(encode("SHUTDOWN", *args) + encode("SET", "k", "v"))
    assert out == b""
    assert stopped == [1]
    assert h.transport.closed
    assert h.server.keyspace.dbs[0].data == {}  # nothing after SHUTDOWN ran


def test_shutdown_over_tcp_stops_the_server() -> None:
    st = ServerThread().start()
    c = RawClient("127.0.0.1", st.port)
    other = RawClient("127.0.0.1", st.port)
    assert other.call("PING") == b"+PONG\r\n"
    c.send(encode("SHUTDOWN", "NOSAVE"))
    assert c.closed(5)
    assert other.closed(5)
    c.close()
    other.close()
    st._thread.join(10)
    assert not st._thread.is_alive()


def test_shutdown_process_exits_zero() -> None:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cacheserver", "--port", str(port), "--memcached-port", "0",
         "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                c = RawClient("127.0.0.1", port)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        assert c.call("PING") == b"+PONG\r\n"
        c.send(encode("SHUTDOWN"))
        assert c.closed(10)
        c.close()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


# -- DEBUG ---------------------------------------------------------------------


def debug_harness(mode: str) -> Harness:
    return Harness(Config(enable_debug_command=mode))


def test_debug_is_gated(h: Harness) -> None:
    denied = (
        b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
        b"you can run it from a local connection, otherwise you need to set this option in the "
        b"configuration file, and then restart the server.\r\n"
    )
    assert h.run("DEBUG", "SLEEP", "0") == denied
    assert h.run("DEBUG", "HELP") == denied
    assert h.run("DEBUG") == b"-ERR wrong number of arguments for 'debug' command\r\n"
    local = debug_harness("local")
    assert local.run("DEBUG", "SLEEP", "0") == b"+OK\r\n"
    local.client.local = False
    assert local.run("DEBUG", "SLEEP", "0") == denied
    yes = debug_harness("yes")
    yes.client.local = False
    assert yes.run("DEBUG", "SLEEP", "0") == b"+OK\r\n"


def test_debug_sleep_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    h = debug_harness("yes")
    slept: list[float] = []
    monkeypatch.setattr(srvcmd.time, "sleep", slept.append)
    for arg in ("0.25", "2", "x", "-1", "0", "inf", "nan", "1e-3xyz", " 1.5"):
        assert h.run("DEBUG", "SLEEP", arg) == b"+OK\r\n"
    assert slept == [0.25, 2.0, 0.001, 1.5]


def test_debug_subcommands() -> None:
    h = debug_harness("yes")
    unknown = b"-ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.\r\n"
    assert h.run("DEBUG", "FOO") == unknown % b"FOO"
    assert h.run("DEBUG", "SLEEP") == unknown % b"SLEEP"
    assert h.run("DEBUG", "help", "x") == unknown % b"help"
    assert h.run("DEBUG", "ERROR", "CUSTOM oops") == b"-CUSTOM oops\r\n"
    assert h.run("DEBUG", "ERROR", "") == b"-\r\n"
    assert h.run("DEBUG", "LOG", "hello") == b"+OK\r\n"
    lines = parse(h.run("DEBUG", "HELP"))
    assert lines[0] == b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"SLEEP <seconds>" in lines and b"SET-ACTIVE-EXPIRE <0|1>" in lines
    assert h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
    assert h.server.active_expire is False
    assert h.run("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"+OK\r\n"
    assert h.server.active_expire is True


PROTOCOL2 = {
    "string": b"$11\r\nHello World\r\n",
    "integer": b":12345\r\n",
    "double": b"$5\r\n3.141\r\n",
    "bignum": b"$37\r\n1234567999999999999999999999999999999\r\n",
    "null": b"$-1\r\n",
    "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "set": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
    "attrib": b"$39\r\nSome real reply following the attribute\r\n",
    "push": b"-ERR RESP2 is not supported by this command\r\n",
    "verbatim": b"$25\r\nThis is a verbatim\nstring\r\n",
    "true": b":1\r\n",
    "false": b":0\r\n",
    "nope": b"-ERR Wrong protocol type name. Please use one of the following: "
    b"string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n",
}
PROTOCOL3 = {
    "double": b",3.141\r\n",
    "bignum": b"(1234567999999999999999999999999999999\r\n",
    "null": b"_\r\n",
    "set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    "attrib": b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
    b"$39\r\nSome real reply following the attribute\r\n",
    "push": b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
    b"$40\r\nSome real reply following the push reply\r\n",
    "verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n",
    "true": b"#t\r\n",
    "false": b"#f\r\n",
}


def test_debug_protocol() -> None:
    h = debug_harness("yes")
    for kind, reply in PROTOCOL2.items():
        assert h.run("DEBUG", "PROTOCOL", kind) == reply, kind
    h.run("HELLO", "3")
    for kind, reply in {**PROTOCOL2, **PROTOCOL3}.items():
        assert h.run("DEBUG", "PROTOCOL", kind.upper()) == reply, kind
