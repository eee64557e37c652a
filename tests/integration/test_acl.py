"""AUTH and ACL over real sockets: redis-py with ``username=``/``password=``,
a restricted user, what changing or deleting a user does to its clients, a
brute-force AUTH storm, and the aclfile (ACL SAVE / LOAD, startup)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
import redis

from cacheserver.config import Config
from cacheserver.server import Server
from helpers import RawClient, ServerThread, wait_for

WAIT = 5.0


def connect(st: ServerThread, **kw: object) -> redis.Redis:
    return redis.Redis(host=st.host, port=st.port, socket_timeout=10, **kw)  # type: ignore[arg-type]


@pytest.fixture
def admin(server: ServerThread) -> Iterator[redis.Redis]:
    """A default-user client; every user but default is gone after the test."""
    c = connect(server)
    yield c
    c = connect(server, password="pw")
    try:
        c.config_set("requirepass", "")
    except redis.AuthenticationError:
        c = connect(server)
    for name in c.acl_users():
        name = name.decode() if isinstance(name, bytes) else name
        if name != "default":
            c.acl_deluser(name)
    c.execute_command("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all")
    c.acl_log_reset()
    c.close()


def test_username_password_and_restricted_user(server: ServerThread, admin: redis.Redis) -> None:
    admin.acl_setuser(
        "app",
        enabled=True,
        passwords=["+s3cret"],
        keys=["key:*"],
        commands=["+@all"],
    )
    app = connect(server, username="app", password="s3cret")
    assert app.acl_whoami() == "app" or app.acl_whoami() == b"app"
    assert app.set("key:1", "v")
    assert app.get("key:1") == b"v"
    with pytest.raises(redis.exceptions.NoPermissionError, match="keys used as arguments"):
        app.get("other")
    with pytest.raises(redis.exceptions.NoPermissionError, match="keys used as arguments"):
        app.mset({"key:2": "a", "x": "b"})
    # a pipeline of allowed and refused commands: each gets its own reply
    pipe = app.pipeline(transaction=False)
    pipe.set("key:3", "x").get("nope").get("key:3")
    out = pipe.execute(raise_on_error=False)
    assert out[0] is True and out[2] == b"x"
    assert isinstance(out[1], redis.exceptions.NoPermissionError)
    # a refused command inside MULTI aborts the transaction
    tx = app.pipeline(transaction=True)
    tx.set("key:4", "1").get("nope")
    with pytest.raises(redis.exceptions.ResponseError):
        tx.execute()
    assert app.get("key:4") is None
    raw = RawClient(server.host, server.port)
    assert raw.call("HELLO", "3", "AUTH", "app", "wrong") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    )
    raw.close()
    info = app.client_info()
    assert info["user"] == "app"
    app.close()


def test_read_write_patterns(server: ServerThread, admin: redis.Redis) -> None:
    admin.execute_command("ACL", "SETUSER", "rw", "on", "nopass", "%R~src:*", "%W~dst:*", "+@all")
    admin.sadd("src:a", "1", "2")
    admin.sadd("src:b", "2", "3")
    rw = connect(server, username="rw", password="x")
    assert rw.sinterstore("dst:x", ["src:a", "src:b"]) == 1
    assert rw.copy("src:a", "dst:y")
    with pytest.raises(redis.exceptions.NoPermissionError):
        rw.copy("dst:y", "src:c")  # writes src:c, reads dst:y
    with pytest.raises(redis.exceptions.NoPermissionError):
        rw.smembers("dst:x")
    assert rw.set("dst:z", "v")
    with pytest.raises(redis.exceptions.NoPermissionError):
        rw.set("dst:z", "v", get=True)  # SET ... GET reads too
    assert rw.exists("src:a", "dst:x") == 2  # EXISTS neither reads nor writes
    rw.close()


def test_requirepass_config_and_hello(server: ServerThread, admin: redis.Redis) -> None:
    admin.config_set("requirepass", "pw")
    assert admin.config_get("requirepass") == {"requirepass": "pw"} or admin.config_get(
        "requirepass"
    ) == {b"requirepass": b"pw"}
    assert admin.ping()  # connected before: still authenticated
    raw = RawClient(server.host, server.port)
    assert raw.call("PING") == b"-NOAUTH Authentication required.\r\n"
    raw.close()
    ok = connect(server, password="pw")
    assert ok.ping()
    r3 = connect(server, password="pw", protocol=3)
    assert r3.ping()
    assert r3.acl_whoami() in ("default", b"default")
    raw = RawClient(server.host, server.port)
    assert raw.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    assert raw.call("AUTH", "pw") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"$-1\r\n"
    assert raw.call("RESET") == b"+RESET\r\n"
    assert raw.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    raw.close()
    ok.close()
    r3.close()


def test_deleted_user_is_disconnected(server: ServerThread, admin: redis.Redis) -> None:
    admin.execute_command("ACL", "SETUSER", "tmp", "on", ">pw", "~*", "+@all")
    raw = RawClient(server.host, server.port)
    assert raw.call("AUTH", "tmp", "pw") == b"+OK\r\n"
    assert b"user=tmp" in raw.call("CLIENT", "INFO")
    assert admin.acl_deluser("tmp") == 1
    with pytest.raises((ConnectionError, OSError)):
        raw.call("PING")
    raw.close()
    # a client deleting its own user gets the reply, then is closed
    admin.execute_command("ACL", "SETUSER", "self", "on", ">pw", "~*", "+@all")
    me = RawClient(server.host, server.port)
    assert me.call("AUTH", "self", "pw") == b"+OK\r\n"
    assert me.call("ACL", "DELUSER", "self") == b":1\r\n"
    with pytest.raises((ConnectionError, OSError)):
        me.call("PING")
    me.close()


def test_client_kill_user(server: ServerThread, admin: redis.Redis) -> None:
    admin.execute_command("ACL", "SETUSER", "k", "on", ">pw", "~*", "+@all")
    victims = [RawClient(server.host, server.port) for _ in range(3)]
    for v in victims:
        assert v.call("AUTH", "k", "pw") == b"+OK\r\n"
    assert admin.execute_command("CLIENT", "KILL", "USER", "k") == 3
    assert admin.execute_command("CLIENT", "KILL", "USER", "k") == 0
    for v in victims:
        v.close()


def test_lost_channel_permission_kills_subscriber(server: ServerThread, admin: redis.Redis) -> None:
    admin.execute_command("ACL", "SETUSER", "sub", "on", ">pw", "&news.*", "+@all")
    raw = RawClient(server.host, server.port)
    assert raw.call("AUTH", "sub", "pw") == b"+OK\r\n"
    assert raw.call("SUBSCRIBE", "news.a").startswith(b"*3\r\n$9\r\nsubscribe")
    refused = RawClient(server.host, server.port)
    assert refused.call("AUTH", "sub", "pw") == b"+OK\r\n"
    assert refused.call("SUBSCRIBE", "sports") == (
        b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"
    )
    admin.execute_command("ACL", "SETUSER", "sub", "&news.*", "&more")  # a superset: kept
    assert admin.publish("news.a", "m1") == 1
    admin.execute_command("ACL", "SETUSER", "sub", "resetchannels", "&other")
    wait_for(lambda: admin.publish("news.a", "m2") == 0, WAIT, "the subscriber killed")
    assert refused.call("PING") == b"+PONG\r\n"  # not subscribed: kept
    raw.close()
    refused.close()


def test_brute_force_auth(
    server: ServerThread, admin: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    admin.config_set("requirepass", "pw")
    before = int(admin.info("stats")["acl_access_denied_auth"])
    attacker = RawClient(server.host, server.port)
    bystander = connect(server, password="pw")
    n = 300
    with caplog.at_level(logging.WARNING, logger="cacheserver"):
        # one write of n wrong AUTHs: n WRONGPASS replies, the connection lives
        attacker.send(
            b"".join(b"*2\r\n$4\r\nAUTH\r\n$6\r\nguess%d\r\n" % (i % 10) for i in range(n))
        )
        for _ in range(n):
            assert attacker.reply() == (
                b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
            )
        assert attacker.call("PING") == b"-NOAUTH Authentication required.\r\n"
        assert bystander.set("k", "v") and bystander.get("k") == b"v"
    stats = bystander.info("stats")
    assert int(stats["acl_access_denied_auth"]) - before == n
    warnings = [r.getMessage() for r in caplog.records if "authentication" in r.getMessage()]
    assert 1 <= len(warnings) <= 20  # rate-limited
    assert not any("guess" in w for w in warnings)  # never the password
    entries = bystander.acl_log()
    assert entries[0]["reason"] == "auth" and entries[0]["count"] == n
    assert attacker.call("AUTH", "pw") == b"+OK\r\n"
    attacker.close()
    bystander.close()


def test_acl_save_and_load(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "users.acl")
    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser ann on #%s ~a:* +get\n" % ("ab" * 32))
    st = ServerThread(Config(aclfile=path)).start()
    try:
        c = connect(st, decode_responses=True)
        assert c.acl_list()[0].startswith("user ann on #abab")
        c.execute_command("ACL", "SETUSER", "bo", "on", ">pw", "+@read", "~*")
        assert c.execute_command("ACL", "SAVE") == "OK"
        with open(path) as f:
            saved = f.read().splitlines()
        assert saved[0].startswith("user ann ") and saved[1].startswith("user bo on #")
        assert saved[2] == "user default on nopass ~* &* +@all"
        c.execute_command("ACL", "DELUSER", "bo")
        assert c.execute_command("ACL", "LOAD") == "OK"
        assert c.acl_users() == ["ann", "bo", "default"]
        with open(path, "a") as f:
            f.write("user broken on +nosuchcommand\n")
        with pytest.raises(redis.ResponseError, match="Unknown command or category name"):
            c.execute_command("ACL", "LOAD")
        assert c.acl_users() == ["ann", "bo", "default"]  # nothing changed
        c.close()
    finally:
        st.stop()


def test_config_file_users_and_aclfile_conflict(tmp_path: object) -> None:
    cfg = Config()
    cfg.load_text(
        'user ann on >pw ~* +@all\nuser default on nopass ~* -@all +ping\nrequirepass ""\n'
    )
    srv = Server(cfg)
    assert srv.acl.users[b"ann"].check_password(b"pw")
    assert (
        srv.acl.describe_user(srv.acl.default)
        == b"on nopass sanitize-payload ~* resetchannels -@all +ping"
    )
    assert srv.default_user_nopass()
    cfg = Config()
    cfg.load_text("user ann on >pw\n")
    cfg.values["aclfile"] = os.path.join(str(tmp_path), "x.acl")
    with pytest.raises(SystemExit, match="not both"):
        Server(cfg)
    cfg = Config()
    cfg.load_text("requirepass secret\n")
    srv = Server(cfg)
    assert not srv.default_user_nopass()
    with pytest.raises(SystemExit, match="Duplicate user"):
        Config().load_text("user a on\nuser a off\n")
