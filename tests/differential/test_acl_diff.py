"""ACL and AUTH against the real redis-server 7.0: identical reply bytes.

The real server is shared by the whole session, so each test starts from and
leaves Redis's initial ACL state (only the default user, no password, an
empty ACL log).  Rules whose ACL LIST text depends on Redis's hash order
(several single-command rules) or on commands cacheserver does not have
(category fitting over streams, geo...) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Pair, Pairs
from helpers import RawClient, RedisServerProcess, ServerThread


def _restore(c: RawClient) -> None:
    """Back to the initial ACL state, from any state the test left."""
    c.call("AUTH", "default", "pw")  # when a test left a password (ignored otherwise)
    c.call("CONFIG", "SET", "requirepass", "")
    c.call("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all")
    users = c.call("ACL", "USERS").split(b"\r\n")[2::2]
    others = [u for u in users if u and u != b"default"]
    if others:
        c.call("ACL", "DELUSER", *others)
    c.call("ACL", "LOG", "RESET")


@pytest.fixture
def acl_pair(
    server: ServerThread, real_redis: RedisServerProcess, new_pair: Pairs
) -> Iterator[Pair]:
    admin = Pair(server.port, real_redis.port, server.host)
    for c in (admin.ours, admin.real):
        _restore(c)
    yield new_pair()
    admin.close()
    admin = Pair(server.port, real_redis.port, server.host)
    for c in (admin.ours, admin.real):
        _restore(c)
    admin.close()


def test_setuser_errors(acl_pair: Pair) -> None:
    d = acl_pair
    for rules in (
        ["bogus"],
        ["+nosuch"],
        ["-nosuch"],
        ["+@nosuch"],
        ["-@nosuch"],
        ["+config|get|x"],
        ["+get|"],
        ["-select|0"],
        ["%~foo"],
        ["%RWR~x"],
        ["%X~x"],
        ["~a", "allkeys", "~b"],
        ["allkeys", "~b"],
        ["&a", "&*", "&b"],
        ["<nopw"],
        ["#abc"],
        ["!abc"],
        ["#" + "A" * 64],
        ["(+get", "~x"],
        ["(+get ~x)", "(bogus)"],
        ["on", ">pw", "bogus"],  # nothing applies: the user is not created
    ):
        d.check("ACL", "SETUSER", "u1", *rules)
    d.check("ACL", "SETUSER", "a b")
    d.check("ACL", "SETUSER", "a\x00b")
    d.check("ACL", "USERS")


def test_list_and_getuser(acl_pair: Pair) -> None:
    d = acl_pair
    d.check("ACL", "LIST")
    d.check("ACL", "GETUSER", "default")
    d.check("ACL", "GETUSER", "nobody")
    d.check("ACL", "SETUSER", "new")
    d.check("ACL", "GETUSER", "new")
    for rules in (
        ["on", ">pw", "~key:*", "+@all", "-@dangerous", "&chan", "%R~r:*", "%W~w:*", "(+get ~x*)"],
        ["+config|get"],
        ["-config"],
        ["%RW"],
        ["%rw~x", "~x", "%R~y", "%W~y", "%W~z"],
        ["#" + "ab" * 32, ">other", "<pw"],
        ["nopass"],
        ["resetpass", "off"],
        ["clearselectors", "(~a* %R~b* &ch +@read)", "(-@all +set)"],
        ["resetkeys", "allkeys", "resetchannels", "allchannels"],
        ["skip-sanitize-payload"],
        ["sanitize-payload"],
        ["reset"],
        ["on", "nopass", "-@all", "+@read", "~*"],
        ["+@all", "-@admin"],
        ["-@all", "+@fast"],
        ["-@all", "+@pubsub", "&news.*"],
        ["allcommands", "-@write"],
        ["nocommands", "+select|0"],
        ["-@all", "+acl|whoami"],
        ["+@all", "-client|kill"],
    ):
        d.check("ACL", "SETUSER", "new", *rules)
        d.check("ACL", "LIST")
        d.check("ACL", "GETUSER", "new")
    d.resp3()
    d.check("ACL", "GETUSER", "new")
    d.check("ACL", "GETUSER", "default")


def test_deluser_users_whoami_cat(acl_pair: Pair) -> None:
    d = acl_pair
    d.check("ACL", "SETUSER", "b")
    d.check("ACL", "SETUSER", "a")
    d.check("ACL", "USERS")
    d.check("ACL", "DELUSER", "default")
    d.check("ACL", "DELUSER", "a", "default")
    d.check("ACL", "DELUSER", "a", "b", "c")
    d.check("ACL", "USERS")
    d.check("ACL", "WHOAMI")
    d.check("ACL", "WHOAMI", "x")
    d.check("ACL", "CAT")
    d.check("ACL", "CAT", "nosuch")
    d.check("ACL", "CAT", "a", "b")
    d.check("ACL", "bogus")
    d.check("ACL", "HELP")
    d.check("ACL", "GENPASS", "0")
    d.check("ACL", "GENPASS", "4097")
    d.check("ACL", "GENPASS", "x")
    d.check("ACL", "GENPASS", "1", "2")
    d.check("ACL", "LOG", "x")
    d.check("ACL", "LOG", "1", "2")
    d.check("ACL", "LOG", "RESET")
    d.check("ACL", "LOG")
    d.check("ACL", "LOAD")
    d.check("ACL", "SAVE")
    ours, real = d.both("ACL", "GENPASS", "5")
    assert ours[:4] == real[:4] == b"$2\r\n"


def test_cat_lists_the_same_commands(acl_pair: Pair) -> None:
    """Each category holds the commands Redis puts there, among the commands
    both servers have (Redis lists them in its hash order)."""
    d = acl_pair
    cats = d.ours.call("ACL", "CAT").split(b"\r\n")[2::2]
    ours = {cat: set(d.ours.call("ACL", "CAT", cat).split(b"\r\n")[2::2]) for cat in cats}
    real = {cat: set(d.real.call("ACL", "CAT", cat).split(b"\r\n")[2::2]) for cat in cats}
    # every command sits in @slow or @fast: the union is the whole table
    both = (ours[b"slow"] | ours[b"fast"]) & (real[b"slow"] | real[b"fast"])
    assert len(both) > 200
    for cat in cats:
        assert ours[cat] & both == real[cat] & both, cat


def test_dryrun(acl_pair: Pair) -> None:
    d = acl_pair
    d.check(
        "ACL", "SETUSER", "bar", "on", ">pw", "~key:*", "%R~r:*", "%W~w:*", "+@all",
        "-@dangerous", "&chan", "(+get ~x*)",
    )  # fmt: skip
    for cmd in (
        ["flushall"],
        ["get", "foo"],
        ["get", "key:1"],
        ["get", "x1"],
        ["set", "x1", "v"],
        ["get", "r:1"],
        ["set", "r:1", "v"],
        ["set", "w:1", "v"],
        ["set", "w:1", "v", "GET"],
        ["get", "w:1"],
        ["exists", "r:1"],
        ["exists", "nope"],
        ["copy", "r:1", "w:1"],
        ["copy", "w:1", "r:1"],
        ["rename", "key:1", "w:1"],
        ["lmove", "key:a", "w:b", "left", "right"],
        ["sinterstore", "w:d", "r:a", "r:b"],
        ["sinterstore", "w:d", "r:a", "nope"],
        ["mget", "key:1", "nope", "x"],
        ["zunionstore", "w:d", "2", "r:a", "r:b"],
        ["publish", "chan", "m"],
        ["publish", "x", "m"],
        ["subscribe", "chan", "x"],
        ["psubscribe", "chan"],
        ["psubscribe", "ch*"],
        ["spublish", "x", "m"],
        ["ssubscribe", "chan"],
        ["nosuch"],
        ["get"],
        ["config", "get", "x"],
        ["config", "bogus", "x"],
        ["auth", "a", "b"],
    ):
        d.check("ACL", "DRYRUN", "bar", *cmd)
    d.check("ACL", "DRYRUN", "nouser", "get", "a")


def test_auth_flows(acl_pair: Pair, new_pair: Pairs) -> None:
    d = acl_pair
    d.check("AUTH", "pw")  # no password configured
    d.check("AUTH", "default", "anything")  # nopass: any password
    d.check("AUTH", "nobody", "pw")
    d.check("AUTH", "a", "b", "c")
    d.check("ACL", "SETUSER", "alice", "on", ">secret", "~a:*", "+@all")
    d.check("AUTH", "alice", "wrong")
    d.check("ACL", "WHOAMI")
    d.check("AUTH", "alice", "secret")
    d.check("ACL", "WHOAMI")
    d.check("GET", "b:1")
    d.check("GET", "a:1")
    d.check("ACL", "SETUSER", "off-user", "off", ">pw", "+@all")
    d.check("AUTH", "off-user", "pw")
    d.check("RESET")
    d.check("ACL", "WHOAMI")
    # requirepass: a new connection must AUTH first
    d.check("CONFIG", "SET", "requirepass", "pw")
    other = new_pair()
    for cmd in (
        ["PING"],
        ["GET", "k"],
        ["NOSUCH"],
        ["GET"],
        ["HELLO"],
        ["HELLO", "3"],
        ["HELLO", "3", "SETNAME", "x"],
        ["HELLO", "3", "AUTH", "default", "wrong"],
        ["HELLO", "2", "AUTH"],
        ["MULTI"],
        ["AUTH", "wrong"],
        ["AUTH", "default", "wrong"],
        ["CLIENT", "GETNAME"],
        ["AUTH", "pw"],
        ["PING"],
        ["ACL", "WHOAMI"],
    ):
        other.check(*cmd)
    third = new_pair()
    ours, real = third.both("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n")
    assert ours.split(b"\r\n")[:6] == real.split(b"\r\n")[:6]
    third.check("CLIENT", "GETNAME")
    fourth = new_pair()
    fourth.check("RESET")
    fourth.check("PING")
    fourth.check("QUIT")
    # the connections made before requirepass stay authenticated
    d.check("PING")
    d.check("AUTH", "alice", "secret")
    d.check("RESET")
    d.check("PING")


def test_noperm_texts_and_multi(acl_pair: Pair) -> None:
    d = acl_pair
    d.check(
        "ACL", "SETUSER", "bob", "on", ">pw", "~k:*", "%R~ro:*", "&news", "+@all",
        "-@dangerous", "-debug",
    )  # fmt: skip
    d.check("AUTH", "bob", "pw")
    for cmd in (
        ["SET", "k:1", "v"],
        ["SET", "other", "v"],
        ["GET", "ro:1"],
        ["SET", "ro:1", "v"],
        ["MSET", "k:1", "a", "k:2", "b"],
        ["MSET", "k:1", "a", "x", "b"],
        ["FLUSHALL"],
        ["CONFIG", "GET", "maxmemory"],
        ["KEYS", "*"],
        ["PUBLISH", "news", "m"],
        ["PUBLISH", "sports", "m"],
        ["PSUBSCRIBE", "n*"],
        ["NOSUCH"],
        ["GET"],
        ["MULTI"],
        ["GET", "k:1"],
        ["GET", "other"],
        ["EXEC"],
        ["MULTI"],
        ["GET", "k:1"],
        ["EXEC"],
        ["ACL", "WHOAMI"],
        ["CLIENT", "KILL", "USER", "nobody"],
    ):
        d.check(*cmd)
    sub = acl_pair
    sub.check("SUBSCRIBE", "news", "sports")


def test_exec_rechecks(acl_pair: Pair, new_pair: Pairs) -> None:
    d = acl_pair
    d.check("ACL", "SETUSER", "carol", "on", ">pw", "~*", "&*", "+@all")
    d.check("AUTH", "carol", "pw")
    d.check("MULTI")
    d.check("SET", "a", "1")
    d.check("GET", "a")
    admin = new_pair()
    admin.check("ACL", "SETUSER", "carol", "-get")
    d.check("EXEC")
    d.check("MULTI")
    d.check("GET", "a")
    d.check("EXEC")


def test_acl_log_entries(acl_pair: Pair) -> None:
    """Fields as Redis; age and client-info differ in value, not in shape."""
    d = acl_pair
    d.check("ACL", "SETUSER", "dan", "on", ">pw", "~k:*", "+get")
    d.check("AUTH", "dan", "nope")
    d.check("AUTH", "dan", "nope")
    d.check("AUTH", "nobody", "nope")
    d.check("AUTH", "dan", "pw")
    d.check("SET", "k:1", "v")
    d.check("GET", "x")
    d.check("MULTI")
    d.check("GET", "y")
    d.check("DISCARD")
    d.check("AUTH", "default", "x")
    ours, real = d.both("ACL", "LOG")

    def shape(reply: bytes) -> list[bytes]:
        # the values of age-seconds and client-info (and their headers) dropped
        lines = reply.split(b"\r\n")
        varying = (b"age-seconds", b"client-info")
        return [
            line
            for i, line in enumerate(lines)
            if not (i >= 1 and lines[i - 1] in varying) and not (i >= 2 and lines[i - 2] in varying)
        ]

    assert shape(ours) == shape(real)
    ours, real = d.both("ACL", "LOG", "2")
    assert shape(ours) == shape(real)
    d.check("ACL", "LOG", "0")
    d.check("ACL", "LOG", "-5")
    d.check("ACL", "LOG", "RESET")
    d.check("ACL", "LOG")
