"""Change signals in-process: the events and modified keys of the writes that
redis-server 7.0 cannot be asked about (hash field TTL, Redis 7.4 and 8.0),
lazy and active expiry on a fake clock, writes that change nothing, and the
cost switch (``Keyspace.hooked``).  The 7.0 commands are compared with the
real server in ``differential/test_events_diff.py``."""

from __future__ import annotations

import pytest

from cacheserver.store import keyspace as ks_mod
from cacheserver.store.keyspace import Database
from helpers import Harness

T0 = 1_700_000_000_000  # unix ms
ALL = sum(
    getattr(ks_mod, name) for name in dir(ks_mod) if name.startswith("NOTIFY_")
)


class Signals:
    """A Harness whose keyspace reports to lists; ``t`` is the clock (ms)."""

    def __init__(self) -> None:
        self.h = Harness()
        self.t = T0
        self.h.server.clock = lambda: self.t
        self.events: list[tuple[str, str]] = []
        self.modified: list[str] = []
        ks = self.h.server.keyspace
        ks.set_notify(ALL, self._event)
        ks.add_modified_hook(self._modified)

    def _event(self, db: Database, cls: int, event: bytes, key: bytes) -> None:
        self.events.append((event.decode(), key.decode()))

    def _modified(self, db: Database, key: bytes) -> None:
        self.modified.append(key.decode())

    def run(self, *args: str | int) -> bytes:
        return self.h.run(*args)

    def take(self) -> list[tuple[str, str]]:
        """The events since the last call (the modified keys are dropped too)."""
        out, self.events, self.modified = self.events, [], []
        return out

    def expect(self, cmd: str, events: list[tuple[str, str]]) -> None:
        reply = self.run(*cmd.split())
        assert not reply.startswith(b"-"), (cmd, reply)
        got = self.events
        modified = set(self.modified)
        self.take()
        assert got == events, cmd
        assert modified == {k for e, k in events if e not in ("new", "keymiss")}, cmd


@pytest.fixture
def s() -> Signals:
    return Signals()


def test_hexpire_family(s: Signals) -> None:
    s.expect("HSET h a 1 b 2 c 3", [("new", "h"), ("hset", "h")])
    s.expect("HEXPIRE h 100 FIELDS 2 a b", [("hexpire", "h")])
    s.expect("HEXPIRE h 100 NX FIELDS 1 a", [])  # condition not met
    s.expect("HEXPIRE h 100 FIELDS 1 zz", [])  # no such field
    s.expect("HPERSIST h FIELDS 2 a c", [("hpersist", "h")])
    s.expect("HPERSIST h FIELDS 1 c", [])  # no TTL to remove
    s.expect("HPEXPIREAT h 1 FIELDS 1 a", [("hdel", "h")])  # a past deadline deletes
    s.expect("HPEXPIRE h 100 FIELDS 1 b", [("hexpire", "h")])
    s.expect("HPEXPIREAT h 1 FIELDS 2 b c", [("hdel", "h"), ("del", "h")])
    s.expect("HEXPIRE h 100 FIELDS 1 a", [])  # no key


def test_hgetex_hsetex_hgetdel(s: Signals) -> None:
    s.expect("HSET g a 1 b 2", [("new", "g"), ("hset", "g")])
    s.expect("HGETEX g EX 100 FIELDS 1 a", [("hexpire", "g")])
    s.expect("HGETEX g PERSIST FIELDS 2 a b", [("hpersist", "g")])
    s.expect("HGETEX g PERSIST FIELDS 1 a", [])
    s.expect("HGETEX g FIELDS 2 a b", [])
    s.expect("HGETEX g PXAT 1 FIELDS 1 a", [("hdel", "g")])
    s.expect("HGETEX g PXAT 1 FIELDS 1 b", [("hdel", "g"), ("del", "g")])

    s.expect("HSETEX x FIELDS 1 a 1", [("new", "x"), ("hset", "x")])
    s.expect("HSETEX x EX 100 FIELDS 1 b 2", [("hset", "x"), ("hexpire", "x")])
    s.expect("HSETEX x FNX FIELDS 1 a 2", [])  # a exists: nothing set
    s.expect("HSETEX x FXX FIELDS 1 z 2", [])
    s.expect("HSETEX x PXAT 1 FIELDS 2 a 1 b 2", [("hset", "x"), ("hdel", "x"), ("del", "x")])

    s.expect("HSET d a 1 b 2", [("new", "d"), ("hset", "d")])
    s.expect("HGETDEL d FIELDS 1 x", [])
    s.expect("HGETDEL d FIELDS 1 a", [("hdel", "d")])
    s.expect("HGETDEL d FIELDS 2 b x", [("hdel", "d"), ("del", "d")])


def test_lazy_field_expiry(s: Signals) -> None:
    s.run("HSET", "h", "a", "1", "b", "2", "c", "3")
    s.run("HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b")
    s.take()
    s.t += 100
    # every due field goes at the first access, read or write: one event
    s.expect("HGET h c", [("hexpired", "h")])
    s.expect("HGET h c", [])
    s.run("HPEXPIRE", "h", "100", "FIELDS", "1", "c")
    s.take()
    s.t += 100
    s.expect("HLEN h", [("hexpired", "h"), ("del", "h")])
    # a write that finds the hash gone creates a new one
    s.run("HSET", "h", "a", "1")
    s.run("HPEXPIRE", "h", "100", "FIELDS", "1", "a")
    s.take()
    s.t += 100
    s.expect("HSET h b 2", [("hexpired", "h"), ("del", "h"), ("new", "h"), ("hset", "h")])


def test_active_expiry(s: Signals) -> None:
    s.run("HSET", "h", "a", "1", "b", "2")
    s.run("HPEXPIRE", "h", "100", "FIELDS", "1", "a")
    s.run("HSET", "g", "a", "1")
    s.run("HPEXPIRE", "g", "100", "FIELDS", "1", "a")
    s.run("SET", "k", "v", "PX", "100")
    s.take()
    s.t += 100
    s.h.server.keyspace.expire_cycle(s.t, 1.0)
    got = s.take()
    assert sorted(got) == [("del", "g"), ("expired", "k"), ("hexpired", "g"), ("hexpired", "h")]
    assert got.index(("hexpired", "g")) < got.index(("del", "g"))


def test_lazy_key_expiry(s: Signals) -> None:
    s.run("SET", "k", "v", "PX", "100")
    s.run("RPUSH", "l", "a")
    s.run("PEXPIRE", "l", "100")
    s.take()
    s.t += 100
    s.expect("GET k", [("expired", "k"), ("keymiss", "k")])
    s.expect("RPUSH l b", [("expired", "l"), ("new", "l"), ("rpush", "l")])



def test_mget_keymiss_events_and_access_marks(s: Signals) -> None:
    s.run("MSET", "a", "1", "b", "2")
    s.take()
    db = s.h.server.keyspace.dbs[0]
    db.access.clear()
    s.expect("MGET a x b y", [("keymiss", "x"), ("keymiss", "y")])
    assert set(db.access) == {b"a", b"b"}
    s.run("SET", "t", "v", "PX", "100")
    s.take()
    s.t += 100
    s.expect("MGET a t x", [("expired", "t"), ("keymiss", "t"), ("keymiss", "x")])


NO_OPS = [
    "SADD s a",
    "SREM s x",
    "SREM nope x",
    "DEL nope",
    "UNLINK nope",
    "LREM l 0 x",
    "LREM nope 0 x",
    "LINSERT l BEFORE x y",
    "LPUSHX nope a",
    "LPOP l 0",
    "LPOP nope",
    "SET s x NX",
    "SET nope x XX",
    "SETNX s x",
    "MSETNX nope x s y",
    "SETRANGE nope 0 ''",
    "EXPIRE nope 10",
    "EXPIRE s 10 XX",
    "PERSIST s",
    "PERSIST nope",
    "GETEX s",
    "GETEX s PERSIST",
    "GETDEL nope",
    "RENAMENX s l",
    "MOVE nope 1",
    "COPY nope x",
    "COPY s l",
    "HDEL h x",
    "HSETNX h f v",
    "ZADD z NX 5 m",
    "ZADD z XX 1 x",
    "ZADD z 1 m",
    "ZREM z x",
    "ZREMRANGEBYSCORE z 5 6",
    "ZREMRANGEBYRANK z 5 6",
    "ZPOPMIN z 0",
    "ZPOPMIN nope",
    "SPOP nope",
    "SPOP s 0",
    "SMOVE s t x",
    "SMOVE s s a",
    "SINTERSTORE nope2 nope",
    "ZUNIONSTORE nope2 1 nope",
    "ZRANGESTORE nope2 z 5 6",
    "LMOVE nope l LEFT LEFT",
    "LMPOP 1 nope LEFT",
]


@pytest.mark.parametrize("cmd", NO_OPS)
def test_no_op_writes_signal_nothing(cmd: str) -> None:
    s = Signals()
    for setup in ("SADD s a", "RPUSH l a b", "HSET h f v", "ZADD z 1 m", "SET str v"):
        s.run(*setup.split())
    s.take()
    argv = [a if a != "''" else "" for a in cmd.split()]
    s.run(*argv)
    # (a read that finds nothing is a keymiss event, as GETDEL's lookup in Redis)
    assert [e for e in s.events if e[0] != "keymiss"] == [] and s.modified == [], cmd


def test_hooked_only_while_listened() -> None:
    h = Harness()
    ks = h.server.keyspace
    assert not ks.hooked
    seen: list[bytes] = []

    def hook(db: Database, key: bytes) -> None:
        seen.append(key)

    ks.add_modified_hook(hook)
    assert ks.hooked
    h.run("SET", "k", "v")
    h.run("INCR", "n")
    h.run("MSET", "a", "1", "b", "2")
    h.run("LPUSH", "l", "x")
    h.run("RPOP", "l")
    h.run("SADD", "s", "m")
    h.run("HSET", "hh", "f", "v")
    h.run("ZADD", "z", "1", "m")
    assert seen == [b"k", b"n", b"a", b"b", b"l", b"l", b"s", b"hh", b"z"]
    ks.remove_modified_hook(hook)
    assert not ks.hooked
    h.run("SET", "k", "w")
    assert len(seen) == 9
