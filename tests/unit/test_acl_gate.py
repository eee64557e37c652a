"""In-process tests of the ACL gate: who pays for it, its reduced checks
against the full one, and its place before the other modes."""

from __future__ import annotations

from cacheserver.acl import ALLOW, SLOW, compile_check, hash_password
from helpers import Harness

NOPERM_KEY = b"-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"


def as_user(h: Harness, *rules: str) -> None:
    assert h.run("ACL", "SETUSER", "u", "on", ">pw", *rules) == b"+OK\r\n"
    assert h.run("AUTH", "u", "pw") == b"+OK\r\n"


def test_default_user_has_no_gate(h: Harness) -> None:
    assert h.client.intercept is None
    assert h.server.default_user_nopass()
    h.run("CONFIG", "SET", "requirepass", "pw")
    assert not h.server.default_user_nopass()
    assert h.client.intercept is None  # connected before: authenticated
    other = h.connect()
    assert other.intercept is not None
    assert h.run("PING", client=other) == b"-NOAUTH Authentication required.\r\n"
    assert h.run("AUTH", "pw", client=other) == b"+OK\r\n"
    assert other.intercept is None  # the default user may do everything: no gate
    h.run("CONFIG", "SET", "requirepass", "")
    assert h.server.acl.default.passwords == []


def test_passwords_are_sha256(h: Harness) -> None:
    h.run("ACL", "SETUSER", "u", ">secret")
    assert h.server.acl.users[b"u"].passwords == [hash_password(b"secret")]
    assert b"secret" not in h.run("ACL", "LIST")


def test_reduced_checks(h: Harness) -> None:
    as_user(h, "~key:*", "+@all")
    u = h.server.acl.users[b"u"]
    table = h.server.table
    get = table.lookup(b"get")
    assert get is not None and compile_check(u, get) == (b"key:",)
    h.run("ACL", "SETUSER", "u", "~lit")
    assert callable(compile_check(u, get))  # not only prefixes: the glob matchers
    ping, publish = table.lookup(b"ping"), table.lookup(b"publish")
    assert ping is not None and compile_check(u, ping) is ALLOW
    assert publish is not None and compile_check(u, publish) is SLOW  # resetchannels
    assert h.run("SET", "key:1", "v") == b"+OK\r\n"
    assert h.run("GET", "lit") == b"$-1\r\n"  # not a prefix pattern: the matcher
    assert h.run("GET", "litx") == NOPERM_KEY
    assert h.run("SET", "other", "v", "GET") == NOPERM_KEY
    assert h.run("MGET", "key:1", "key:2") == b"*2\r\n$1\r\nv\r\n$-1\r\n"
    assert h.run("MGET", "key:1", "x") == NOPERM_KEY


def test_write_only_pattern_and_set_get(h: Harness) -> None:
    as_user(h, "%W~w:*", "%R~r?", "+@all")
    assert h.run("SET", "w:1", "v") == b"+OK\r\n"
    assert h.run("SET", "w:1", "v", "GET") == NOPERM_KEY
    assert h.run("GET", "w:1") == NOPERM_KEY
    assert h.run("GET", "r1") == b"$-1\r\n"
    assert h.run("SET", "r1", "v") == NOPERM_KEY
    # EXISTS neither reads nor writes: any pattern that matches will do
    assert h.run("EXISTS", "w:1", "r1") == b":1\r\n"
    assert h.run("EXISTS", "x") == NOPERM_KEY


def test_rules_change_recompiles(h: Harness) -> None:
    as_user(h, "~a*", "+@all")
    assert h.run("GET", "a1") == b"$-1\r\n"
    assert h.run("ACL", "SETUSER", "u", "resetkeys", "~b*") == b"+OK\r\n"
    assert h.run("GET", "a1") == NOPERM_KEY
    assert h.run("GET", "b1") == b"$-1\r\n"
    assert h.run("ACL", "SETUSER", "u", "-get") == b"+OK\r\n"
    assert h.run("GET", "b1") == (
        b"-NOPERM this user has no permissions to run the 'get' command\r\n"
    )
    assert h.run("ACL", "SETUSER", "u", "allkeys", "allchannels", "+@all") == b"+OK\r\n"
    assert h.client.intercept is None  # unrestricted again: no gate


def test_selectors_and_first_args(h: Harness) -> None:
    as_user(h, "~a*", "-@all", "+get", "+select|0", "(+set ~b*)")
    assert h.run("GET", "a1") == b"$-1\r\n"
    assert h.run("SET", "b1", "v") == b"+OK\r\n"
    assert h.run("SET", "a1", "v") == NOPERM_KEY
    assert h.run("GET", "b1") == NOPERM_KEY
    assert h.run("SELECT", "0") == b"+OK\r\n"
    assert h.run("SELECT", "1") == (
        b"-NOPERM this user has no permissions to run the 'select' command\r\n"
    )


def test_gate_runs_before_multi_and_subscriber_mode(h: Harness) -> None:
    as_user(h, "~a*", "&ch", "+@all")
    assert h.run("MULTI") == b"+OK\r\n"
    assert h.run("GET", "a1") == b"+QUEUED\r\n"
    assert h.run("GET", "b1") == NOPERM_KEY
    assert h.run("EXEC").startswith(b"-EXECABORT")
    assert h.run("SUBSCRIBE", "ch") == b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    assert h.run("GET", "a1") == (
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        b"RESET are allowed in this context\r\n"
    )
    assert h.run("SUBSCRIBE", "other") == (
        b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"
    )
    assert h.run("RESET") == b"+RESET\r\n"
    assert h.run("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    assert h.client.intercept is None


def test_stats_and_client_list(h: Harness) -> None:
    as_user(h, "~a*", "+@all", "-flushall")
    h.run("GET", "b")
    h.run("FLUSHALL")
    h.run("AUTH", "u", "bad")
    info = h.run("INFO", "stats")
    for field in (
        b"acl_access_denied_auth:1",
        b"acl_access_denied_cmd:1",
        b"acl_access_denied_key:1",
        b"acl_access_denied_channel:0",
    ):
        assert field in info
    assert b" user=u " in h.run("CLIENT", "LIST")
    assert b"errorstat_NOPERM:count=2" in h.run("INFO", "errorstats")


def _pipeline(*cmds: tuple[str, ...]) -> bytes:
    out = []
    for cmd in cmds:
        out.append(b"*%d\r\n" % len(cmd))
        for a in cmd:
            out.append(b"$%d\r\n%s\r\n" % (len(a), a.encode()))
    return b"".join(out)


def test_inline_check_follows_changes_within_one_batch(h: Harness) -> None:
    """The walk's inline test reads the client's user and its rules for every
    command: AUTH as another user, or rules changed by a command earlier in
    the same pipeline, apply to the very next command."""
    h.run("ACL", "SETUSER", "b", "on", ">pw", "~b:*", "+@all")
    as_user(h, "~a:*", "+@all")
    h.run("GET", "a:1")  # compiled: the inline test takes it from here
    assert h.client.acl_user is h.server.acl.users[b"u"]
    replies = h.feed(
        _pipeline(
            ("GET", "a:1"),
            ("AUTH", "b", "pw"),
            ("GET", "a:1"),
            ("GET", "b:1"),
            ("ACL", "SETUSER", "b", "resetkeys", "~c:*"),
            ("GET", "b:1"),
            ("AUTH", "default", "x"),
            ("GET", "a:1"),
        )
    )
    assert replies == (
        b"$-1\r\n+OK\r\n" + NOPERM_KEY + b"$-1\r\n+OK\r\n" + NOPERM_KEY + b"+OK\r\n$-1\r\n"
    )
    assert h.client.acl_user is None  # the default user: no test at all
