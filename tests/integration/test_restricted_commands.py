"""rename-command and disabled-commands: renamed commands answer to their new
name only (the same replies as redis-server with the same rename-command
lines), removed and disabled ones answer as unknown commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cacheserver.config import Config
from cacheserver.server import Server
from helpers import RawClient, RedisServerProcess, ServerThread

RENAMES = [("get", "fetch"), ("flushall", ""), ("config", "cfg")]


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[RawClient, RawClient]]:
    cfg = Config()
    cfg.renames.extend(RENAMES)
    cfg.values["disabled-commands"] = ["debug", "client|kill"]
    ours = ServerThread(cfg).start()
    args = [x for old, new in RENAMES for x in ("--rename-command", old, new)]
    real = RedisServerProcess(*args)
    a, b = RawClient(ours.host, ours.port), RawClient("127.0.0.1", real.port)
    yield a, b
    a.close()
    b.close()
    real.stop()
    ours.stop()


SAME = [
    ("SET", "k", "v"),
    ("GET", "k"),
    ("get", "k"),
    ("FETCH", "k"),
    ("fetch",),
    ("FLUSHALL",),
    ("CONFIG", "GET", "maxmemory-policy"),
    ("CFG", "GET", "maxmemory-policy"),
    ("cfg", "nosuch"),
    ("COMMAND", "INFO", "get", "fetch", "flushall"),
    ("COMMAND", "GETKEYS", "fetch", "a"),
    ("COMMAND", "GETKEYS", "get", "a"),
    ("MULTI",),
    ("GET", "k"),
    ("EXEC",),
]


def test_same_as_redis_server(both: tuple[RawClient, RawClient]) -> None:
    ours, real = both
    for req in SAME:
        assert ours.call(*req) == real.call(*req), req


def test_stats_keep_the_command_name(both: tuple[RawClient, RawClient]) -> None:
    ours, _ = both
    ours.call("FETCH", "k")
    stats = ours.call("INFO", "commandstats")
    assert b"cmdstat_get:calls=" in stats
    assert b"cmdstat_fetch" not in stats
    assert b"cmdstat_flushall" not in stats


def test_disabled_commands(both: tuple[RawClient, RawClient]) -> None:
    ours, _ = both
    assert ours.call("DEBUG", "SLEEP", "0") == (
        b"-ERR unknown command 'DEBUG', with args beginning with: 'SLEEP' '0' \r\n"
    )
    assert ours.call("CLIENT", "KILL", "ID", "1") == (
        b"-ERR unknown subcommand 'KILL'. Try CLIENT HELP.\r\n"
    )
    assert ours.call("CLIENT", "ID").startswith(b":")
    assert ours.call("CFG", "GET", "disabled-commands") == (
        b"*2\r\n$17\r\ndisabled-commands\r\n$17\r\ndebug client|kill\r\n"
    )
    assert ours.call("CFG", "SET", "disabled-commands", "") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'disabled-commands') - "
        b"can't set immutable config\r\n"
    )


def test_config_file_lines() -> None:
    cfg = Config()
    cfg.load_text("rename-command get fetch\nrename-command FLUSHALL \"\"\ndisabled-commands debug shutdown\n")
    assert cfg.renames == [("get", "fetch"), ("FLUSHALL", "")]
    assert cfg["disabled-commands"] == ["debug", "shutdown"]
    srv = Server(cfg)
    assert srv.table.lookup(b"fetch") is not None
    assert srv.table.lookup(b"get") is None
    assert srv.table.lookup(b"flushall") is None
    assert srv.table.lookup(b"shutdown") is None


@pytest.mark.parametrize(
    ("renames", "disabled", "text"),
    [
        ([("nosuch", "x")], [], "No such command in rename-command"),
        ([("get", "set")], [], "Target command name already exists"),
        ([], ["nosuch"], "No such command in disabled-commands: nosuch"),
        ([], ["config|nosuch"], "No such command in disabled-commands: config|nosuch"),
    ],
)
def test_bad_names_stop_the_server(
    renames: list[tuple[str, str]], disabled: list[str], text: str
) -> None:
    cfg = Config()
    cfg.renames.extend(renames)
    cfg.values["disabled-commands"] = disabled
    with pytest.raises(SystemExit, match=text):
        Server(cfg)
