"""The settings table: value parsing as Redis, CONFIG SET semantics, the config
file, the command line and CONFIG REWRITE."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cacheserver.config import (
    BY_NAME,
    SETTINGS,
    Config,
    ConfigError,
    UnknownSetting,
    parse_args,
    parse_memory,
)

# -- values ----------------------------------------------------------------------


def parse(name: str, text: str) -> Any:
    return BY_NAME[name].parse(text)


def reason(name: str, text: str) -> str:
    with pytest.raises(ConfigError) as e:
        BY_NAME[name].parse(text)
    return e.value.reason


def test_integers_are_strict() -> None:
    assert parse("timeout", "0") == 0
    assert parse("timeout", "2147483647") == 2**31 - 1
    for bad in ("+5", " 5", "5 ", "05", "0x10", "1_0", "-0", "1e3", "", "99999999999999999999"):
        assert reason("timeout", bad) == "argument couldn't be parsed into an integer", bad
    assert reason("timeout", "-1") == "argument must be between 0 and 2147483647 inclusive"
    assert reason("maxclients", "0") == "argument must be between 1 and 4294967295 inclusive"


def test_memory_values() -> None:
    assert parse_memory("100") == 100
    assert parse_memory("1k") == 1000 and parse_memory("1kb") == 1024
    assert parse_memory("2m") == 2_000_000 and parse_memory("2MB") == 2 * 1024**2
    assert parse_memory("1g") == 10**9 and parse_memory("1gB") == 1024**3
    assert parse_memory("100b") == 100
    for bad in ("1.5mb", "-1", "1 mb", " 2mb", "2mb ", "0x100000", "+2mb", "mb", "", "1tb"):
        with pytest.raises(ConfigError, match="argument must be a memory value"):
            parse_memory(bad)
    assert parse("proto-max-bulk-len", "1048576k") == 1048576000
    too_big = "argument must be between 1048576 and 9223372036854775807 inclusive"
    assert reason("proto-max-bulk-len", "99999999999999999999") == too_big
    assert reason("proto-max-bulk-len", "9223372036854775808") == too_big
    assert reason("proto-max-bulk-len", "100b") == too_big


def test_booleans_enums_octal_lists() -> None:
    for yes in ("yes", "YES", "Yes"):
        assert parse("appendonly", "no") is False
        assert BY_NAME["appendonly"].render(False) == "no"
        assert reason("appendonly", yes).startswith("cacheserver keeps no append-only file")
    assert reason("appendonly", "1") == "argument must be 'yes' or 'no'"
    assert parse("loglevel", "WARNING") == "warning"
    assert reason("loglevel", "nothing") == (
        "argument(s) must be one of the following: debug, verbose, notice, warning"
    )
    assert reason("enable-debug-command", "maybe") == (
        "argument(s) must be one of the following: no, yes, local"
    )
    perm = BY_NAME["unixsocketperm"]
    assert perm.parse("700") == 0o700 and perm.render(0o700) == "700"
    assert perm.parse("0") == 0 and perm.render(0) == "0"
    assert reason("unixsocketperm", "800") == "argument couldn't be parsed into an integer"
    assert reason("unixsocketperm", "1000") == "argument must be between 0 and 511 inclusive"
    bind = BY_NAME["bind"]
    assert bind.parse('127.0.0.1 "::1"') == ["127.0.0.1", "::1"]
    assert bind.render(["127.0.0.1", "::1"]) == "127.0.0.1 ::1"
    assert reason("bind", '"127.0.0.1') == "Unbalanced quotes in configuration line"


def test_hz_is_clamped() -> None:
    assert parse("hz", "0") == 1
    assert parse("hz", "500") == 500
    assert parse("hz", "100000") == 500
    assert reason("hz", "-1") == "argument must be between 0 and 2147483647 inclusive"


def test_fixed_settings_take_only_their_value() -> None:
    assert parse("save", "") == ""
    assert reason("save", "900 1").startswith("cacheserver keeps no snapshots")


def test_every_default_parses_back() -> None:
    for s in SETTINGS:
        assert s.parse(s.render(s.default)) == s.default, s.name
        assert s.help, s.name


# -- CONFIG SET semantics -------------------------------------------------------------


def test_set_many_checks_names_first() -> None:
    cfg = Config()
    with pytest.raises(UnknownSetting) as e:
        cfg.set_many([("maxclients", "0"), ("Foo", "1")])
    assert e.value.name == "Foo"
    with pytest.raises(ConfigError) as ce:
        cfg.set_many([("maxclients", "0"), ("DataBases", "2")])
    assert (ce.value.name, ce.value.reason) == ("DataBases", "can't set immutable config")
    with pytest.raises(ConfigError) as ce:
        cfg.set_many([("hz", "5"), ("HZ", "6")])
    assert (ce.value.name, ce.value.reason) == ("HZ", "duplicate parameter")
    with pytest.raises(ConfigError) as ce:
        cfg.set_many([("timeout", "5"), ("MaxClients", "0")])
    assert ce.value.name == "maxclients"
    assert cfg["timeout"] == 0
    # at startup (runtime=False) immutable settings may be set
    cfg.set_many([("databases", "4")], runtime=False)
    assert cfg["databases"] == 4


def test_observers_and_rollback() -> None:
    cfg = Config()
    seen: list[tuple[str, Any]] = []
    cfg.on("timeout", lambda v: seen.append(("timeout", v)))

    def refuse(v: Any) -> None:
        seen.append(("maxclients", v))
        if v == 7:
            raise ConfigError("cannot take seven")

    cfg.on("maxclients", refuse)
    cfg.set_many([("timeout", "5"), ("maxclients", "6")])
    assert cfg["timeout"] == 5 and cfg["maxclients"] == 6
    seen.clear()
    with pytest.raises(ConfigError) as e:
        cfg.set_many([("timeout", "9"), ("maxclients", "7")])
    assert (e.value.name, e.value.reason) == ("maxclients", "cannot take seven")
    assert cfg["timeout"] == 5 and cfg["maxclients"] == 6
    # the observers saw the new values, then the old ones again
    assert seen == [("timeout", 9), ("maxclients", 7), ("timeout", 5), ("maxclients", 6)]


def test_get_patterns() -> None:
    cfg = Config()
    assert cfg.get_patterns([b"hz"]) == [(b"hz", b"10")]
    assert cfg.get_patterns([b"HZ"]) == [(b"HZ", b"10")]
    assert cfg.get_patterns([b"nope", b"n*pe"]) == []
    assert cfg.get_patterns([b"hz", b"h?", b"*"]).count((b"hz", b"10")) == 1
    assert cfg.get_patterns([b"MAXCLIENT[ST]"]) == [(b"maxclients", b"10000")]
    everything = cfg.get_patterns([b"*"])
    assert [n for n, _ in everything] == [s.name.encode() for s in SETTINGS]
    assert cfg.get_matching(lambda n: n.startswith(b"tcp-")) == [
        ("tcp-backlog", "511"),
        ("tcp-keepalive", "300"),
    ]


# -- the config file ---------------------------------------------------------------


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "cacheserver.conf"
    path.write_text(text)
    return str(path)


def test_config_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# a comment\n"
        "\n"
        "   port 7001   \n"
        "\t# an indented comment\n"
        "PORT 7002\n"
        'bind 127.0.0.1 "::1"\n'
        "unixsocket '/tmp/with space.sock'\n"
        'logfile "a\\tb\\x41"\n'
        "proto-max-bulk-len 2mb\n"
        "loglevel WARNING\n"
        'save ""\n'
        "appendonly no\n"
        "unixsocketperm 770\r\n",
    )
    cfg = Config()
    cfg.load_file(path)
    assert cfg["port"] == 7002  # the last line wins
    assert cfg["bind"] == ["127.0.0.1", "::1"]
    assert cfg["unixsocket"] == "/tmp/with space.sock"
    assert cfg["logfile"] == "a\tbA"
    assert cfg["proto-max-bulk-len"] == 2 * 1024 * 1024
    assert cfg["loglevel"] == "warning"
    assert cfg["unixsocketperm"] == 0o770
    assert cfg.file == os.path.abspath(path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("foo bar", "Bad directive or wrong number of arguments"),
        ("daemonize yes", "Bad directive or wrong number of arguments"),
        ('port "7005', "Unbalanced quotes in configuration line"),
        ("hz", "wrong number of arguments"),
        ("port 7005 7006", "wrong number of arguments"),
        ("bind", "wrong number of arguments"),
        ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
        ("timeout x", "argument couldn't be parsed into an integer"),
        (
            "loglevel nope",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        ("save 900 1", "cacheserver keeps no snapshots; only an empty save is accepted"),
    ],
)
def test_config_file_errors_are_fatal(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path, f"# ok\nport 7001\n{line}\n")
    with pytest.raises(SystemExit) as e:
        Config().load_file(path)
    message = str(e.value.code)
    assert message == (
        f"\n*** FATAL CONFIG FILE ERROR ***\n"
        f"Reading the configuration file {path}, at line 3\n>>> '{line}'\n{problem}"
    )


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        Config().load_file(str(tmp_path / "nope.conf"))
    assert "nope.conf" in str(e.value.code) and "FATAL CONFIG FILE ERROR" in str(e.value.code)


# -- the command line ---------------------------------------------------------------


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "port 7001\ntimeout 5\nbind 10.0.0.1\n")
    cfg = parse_args([path, "--port", "7002", "--bind", "127.0.0.1", "::1"])
    assert cfg["port"] == 7002
    assert cfg["timeout"] == 5
    assert cfg["bind"] == ["127.0.0.1", "::1"]
    assert cfg.file == os.path.abspath(path)
    cfg = parse_args(["--port=7003", "--save", "", "--appendonly", "no", path])
    assert cfg["port"] == 7003
    assert parse_args([])["port"] == 6379
    assert parse_args([]).file == ""


def test_bad_flag_value(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        parse_args(["--maxclients", "0"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--maxclients" in err and "between 1 and 4294967295" in err
    with pytest.raises(SystemExit) as e:
        parse_args(["--no-such-option", "1"])
    assert e.value.code == 2


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        parse_args(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cacheserver [config-file] [--option value ...]")
    assert "CONFIG SET" in out and "config file" in out
    flat = " ".join(out.split())
    # argparse wraps lines anywhere, hyphens included: compare without whitespace
    solid = "".join(out.split())
    for s in SETTINGS:
        assert f"--{s.name}" in out, s.name
        assert "".join(s.help.split()) in solid, s.name
    assert "--databases VALUE number of databases (SELECT 0..n-1). Takes integer" in flat
    assert "default 16. [restart to change]" in flat
    assert "--maxclients VALUE most clients connected at once. Takes integer 1..4294967295; default 10000." in flat
    assert "default 512mb." in flat


# -- CONFIG REWRITE ----------------------------------------------------------------


def test_rewrite(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# keep me\n"
        "port 7001\n"
        "hz 20\n"
        'save ""\n'
        "hz 30\n"
        "timeout 10\n",
    )
    cfg = Config()
    cfg.load_file(path)
    cfg.set_many([("timeout", "0"), ("maxclients", "123"), ("proto-max-bulk-len", "64mb")])
    cfg.set_many([("logfile", "/var/log/cs log.txt")], runtime=False)
    cfg.rewrite()
    text = Path(path).read_text()
    assert text == (
        "# keep me\n"
        "port 7001\n"
        "hz 30\n"
        'save ""\n'
        "timeout 0\n"
        "# Generated by CONFIG REWRITE\n"
        "maxclients 123\n"
        "proto-max-bulk-len 64mb\n"
        'logfile "/var/log/cs log.txt"\n'
    )
    # the result loads back to the same values, and a second rewrite changes nothing
    again = Config()
    again.load_file(path)
    assert again.values == cfg.values
    again.rewrite()
    assert Path(path).read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["cacheserver.conf"]


# -- notify-keyspace-events and client-output-buffer-limit ------------------------


def test_keyspace_events_parse_and_render_as_redis() -> None:
    s = BY_NAME["notify-keyspace-events"]
    cases = {
        "": "",
        "A": "A",
        "KEA": "AKE",
        "Ex": "xE",
        "gK": "gK",
        "AKEmn": "AKEm",  # 'n' is not shown next to 'A', as Redis 7.0
        "Kg$lshzxetd": "AK",
        "Kn": "nK",
        "Kd": "dK",
        "AA": "A",
    }
    for text, shown in cases.items():
        assert s.render(s.parse(text)) == shown, text
    for bad in ("b", "K E", "a", "KEA "):
        with pytest.raises(ConfigError, match=r"Invalid event class character\. Use 'Ag\$lshzxeKEtmdn'\."):
            s.parse(bad)


def test_output_buffer_limits_parse_over_the_current_value() -> None:
    s = BY_NAME["client-output-buffer-limit"]
    default = s.default
    assert s.render(default) == "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    assert s.parse("") == default
    v = s.parse("pubsub 1k 1kb 1", default)
    assert s.render(v) == "normal 0 0 0 slave 268435456 67108864 60 pubsub 1000 1024 1"
    v = s.parse("replica 1 2 3 normal 5 6 7 normal 8 9 10", v)
    assert s.render(v) == "normal 8 9 10 slave 1 2 3 pubsub 1000 1024 1"
    v = s.parse("SLAVE 1M 1G 5", v)
    assert v[1] == (1000000, 1000000000, 5)
    # Redis's C parsing: no digits is 0, an empty seconds field is 0, seconds
    # go through a C int, sizes saturate then wrap with the unit
    assert s.parse("normal mb kb 0", default)[0] == (0, 0, 0)
    assert s.parse("normal 1 1 ", default)[0] == (1, 1, 0)
    assert s.parse("normal 1 1 4294967297", default)[0] == (1, 1, 1)
    assert s.parse("normal 1 1 +5", default)[0] == (1, 1, 5)
    assert s.parse("normal 1 1 \t5", default)[0] == (1, 1, 5)
    assert s.parse("normal 1 1 00007", default)[0] == (1, 1, 7)
    assert s.parse("normal 99999999999999999999 1 1", default)[0][0] == 2**64 - 1
    assert s.parse("normal 99999999999gb 1 1", default)[0][0] == 15140462030378500096
    wrong = "Wrong number of arguments in buffer limit configuration."
    klass = "Invalid client class specified in buffer limit configuration."
    values = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
    for text, why in (
        ("normal 1 1", wrong),
        ("normal 1 1 1 pubsub", wrong),
        ("normal  1 1 1", wrong),
        ("master 1 1 1", klass),
        ("foo 1 1 1", klass),
        ("normal 1 1 1 foo 1 1 1", klass),
        ("normal -1 0 0", values),
        ("normal 0 -1 0", values),
        ("normal 0 0 -1", values),
        ("normal 1 1 2147483648", values),
        ("normal 1 1 99999999999999999999", values),
        ("normal +1 1 5", values),
        ("normal 1 1 5x", values),
        ("normal 0x10 1 1", values),
        ("normal 1.5 1 1", values),
    ):
        with pytest.raises(ConfigError) as e:
            s.parse(text, default)
        assert e.value.reason == why, text


def test_output_buffer_limits_in_the_file_and_rewrite(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "client-output-buffer-limit pubsub 1mb 512kb 10\n"
        "client-output-buffer-limit normal 4mb 0 0\n"
        "notify-keyspace-events Ex\n",
    )
    cfg = Config()
    cfg.load_file(path)
    assert cfg["client-output-buffer-limit"] == (
        (4 * 1024**2, 0, 0),
        (256 * 1024**2, 64 * 1024**2, 60),
        (1024**2, 512 * 1024, 10),
    )
    assert BY_NAME["notify-keyspace-events"].render(cfg["notify-keyspace-events"]) == "xE"
    cfg.set_many([("client-output-buffer-limit", "pubsub 2mb 1mb 5")])
    cfg.rewrite()
    text = Path(path).read_text()
    assert "client-output-buffer-limit normal 4mb 0 0 replica 256mb 64mb 60 pubsub 2mb 1mb 5\n" in text
    again = Config()
    again.load_file(path)
    assert again.values == cfg.values
    flags = parse_args(["--client-output-buffer-limit", "pubsub", "1k", "1k", "1"])
    assert flags["client-output-buffer-limit"][2] == (1000, 1000, 1)
