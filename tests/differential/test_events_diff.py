"""Change signals against redis-server 7.0.15: the keyspace events of every write.

Each scenario runs on a fresh in-process server whose keyspace reports its
events to a recorder (``Keyspace.set_notify``) and its modified keys to a
modified hook, and on the real server with ``notify-keyspace-events KEAn``
and a connection in ``PSUBSCRIBE __keyevent@*__:*``.  The (event, key, db)
sequences must be identical; every key an event names (but ``new``) must have
been signalled as modified, and nothing else.
"""

from __future__ import annotations

import functools
import shlex
import time
from collections.abc import Callable, Iterator

import pytest

from cacheserver.store import keyspace as ks_mod
from cacheserver.store.keyspace import Database
from helpers import Harness, RawClient, RedisServerProcess, ServerThread, encode

Event = tuple[str, str, int]

# every class: what "KEAn" asks the real server for (keymiss aside)
ALL_CLASSES = (
    ks_mod.NOTIFY_GENERIC
    | ks_mod.NOTIFY_STRING
    | ks_mod.NOTIFY_LIST
    | ks_mod.NOTIFY_SET
    | ks_mod.NOTIFY_HASH
    | ks_mod.NOTIFY_ZSET
    | ks_mod.NOTIFY_EXPIRED
    | ks_mod.NOTIFY_EVICTED
    | ks_mod.NOTIFY_STREAM
    | ks_mod.NOTIFY_MODULE
    | ks_mod.NOTIFY_NEW
)


class Recorder:
    """Events and modified keys of one in-process server."""

    def __init__(self, ks: ks_mod.Keyspace) -> None:
        self.events: list[Event] = []
        self.modified: list[tuple[str, int]] = []
        self.ks = ks
        ks.set_notify(ALL_CLASSES, self.on_event)
        ks.add_modified_hook(self.on_modified)

    def detach(self) -> None:
        self.ks.set_notify(0, None)
        self.ks.remove_modified_hook(self.on_modified)

    def on_event(self, db: Database, cls: int, event: bytes, key: bytes) -> None:
        self.events.append((event.decode(), key.decode(), db.id))

    def on_modified(self, db: Database, key: bytes) -> None:
        self.modified.append((key.decode(), db.id))


class RealEvents:
    """A command connection and a PSUBSCRIBE connection to the real server."""

    def __init__(self, port: int) -> None:
        self.cmd = RawClient("127.0.0.1", port)
        assert self.cmd.call("CONFIG", "SET", "notify-keyspace-events", "KEAn") == b"+OK\r\n"
        self.sub = RawClient("127.0.0.1", port)
        self.sub.send(encode("PSUBSCRIBE", "__keyevent@*__:*"))
        self.sub.reply()

    def run(self, commands: list[list[str]]) -> tuple[list[bytes], list[Event]]:
        self.cmd.send(encode("HELLO", "2") + encode("SELECT", "0") + encode("FLUSHALL"))
        for _ in range(3):
            self.cmd.reply()
        replies = [self.cmd.call(*argv) for argv in commands]
        return replies, self.events()

    def events(self) -> list[Event]:
        """The events published since the last call."""
        # a message on a channel the pattern matches marks the end
        self.cmd.call("PUBLISH", "__keyevent@0__:__end__", "")
        events: list[Event] = []
        while True:
            msg = self.sub.reply().split(b"\r\n")
            # *4 $8 pmessage $n pattern $n channel $n message
            channel, key = msg[6], msg[8]
            prefix, event = channel.split(b"__:", 1)
            if event == b"__end__":
                return events
            events.append((event.decode(), key.decode(), int(prefix.split(b"@")[1])))

    def close(self) -> None:
        self.cmd.call("CONFIG", "SET", "notify-keyspace-events", "")
        self.cmd.close()
        self.sub.close()


@pytest.fixture(scope="module")
def real(real_redis: RedisServerProcess) -> Iterator[RealEvents]:
    r = RealEvents(real_redis.port)
    yield r
    r.close()


def parse(script: str) -> list[list[str]]:
    return [shlex.split(part) for part in script.split(" ; ")]


def ours(commands: list[list[str]]) -> tuple[list[bytes], Recorder]:
    h = Harness()
    rec = Recorder(h.server.keyspace)
    replies = [h.run(*argv) for argv in commands]
    return replies, rec


def check(real: RealEvents, script: str) -> None:
    commands = parse(script)
    our_replies, rec = ours(commands)
    real_replies, real_events = real.run(commands)
    for argv, a, b in zip(commands, our_replies, real_replies, strict=True):
        # a TTL read in the same millisecond on both sides is not guaranteed
        if argv[0].upper() not in ("TTL", "PTTL", "SPOP", "SRANDMEMBER"):
            assert a == b, f"{argv}: ours {a!r} != redis {b!r}"
    assert rec.events == real_events, script
    signalled = {(k, db) for ev, k, db in rec.events if ev != "new"}
    assert set(rec.modified) == signalled, script


STRINGS = [
    "SET k v",
    "SET k v ; SET k w",
    "SET k v EX 10",
    "SET k v NX ; SET k w NX ; SET k w XX ; SET m w XX",
    "SET k v ; SET k w GET EX 10 ; SET k x KEEPTTL ; SET k y PX 100 GET",
    "SET k v EXAT 1 ; GET k",
    "SETNX k v ; SETNX k v",
    "SETEX k 10 v ; PSETEX k 100 v",
    "MSET a 1 b 2 a 3 ; MSETNX c 1 d 2 ; MSETNX c 1 e 2",
    "GETSET k v ; GETSET k w",
    "GETDEL k ; SET k v ; GETDEL k",
    "SET k v ; GETEX k EX 100 ; GETEX k PERSIST ; GETEX k PERSIST ; GETEX k ; GETEX k EXAT 1",
    "SET k v ; GETEX k PXAT 1 ; GETEX k EX 10",
    "INCR k ; DECR k ; INCRBY k 5 ; DECRBY k 3 ; INCRBYFLOAT k 1.5",
    "INCR s ; SET s x ; INCR s ; INCRBYFLOAT s 1",
    "APPEND k ab ; APPEND k cd",
    "SETRANGE k 0 ab ; SETRANGE k 5 cd ; SETRANGE k 2 x ; SETRANGE m 0 '' ; SETRANGE k 1 ''",
    "SET k 1 ; INCRBY k 9223372036854775807",
    "SETBIT k 1 1 ; SETBIT k 1 1 ; SETBIT k 1 0 ; SETBIT k 100 0 ; SETBIT k 3 0",
    "SET a x ; BITOP NOT b a ; BITOP AND b a nokey ; BITOP OR b nokey ; BITOP OR nokey nokey2",
    "BITFIELD k GET u8 0 ; BITFIELD k SET u8 0 1 ; BITFIELD k OVERFLOW FAIL INCRBY u1 7 1",
    "BITFIELD k OVERFLOW FAIL INCRBY u1 7 1 ; BITFIELD k ; BITFIELD_RO k GET u8 0",
    "RPUSH l 3 1 2 ; SORT l STORE d ; SORT l LIMIT 0 1 STORE d ; SORT nokey STORE d ; SORT l",
    "SET d x EX 100 ; RPUSH l 1 ; SORT l STORE d ; SORT_RO l ; SORT nokey STORE nokey2",
    "PFADD h a ; PFADD h a ; PFADD h ; PFCOUNT h ; PFCOUNT h ; PFMERGE h2 h ; PFMERGE h3",
]

KEYS = [
    "DEL a ; SET a 1 ; SET b 2 ; DEL a b c ; UNLINK a",
    "SET a 1 ; SET b 2 ; UNLINK a b c",
    "SET a 1 ; RENAME a b ; RENAME b b ; RENAMENX b c ; SET d 1 ; RENAMENX c d ; RENAME c d",
    "SET a 1 EX 100 ; RENAME a b",
    "SET a 1 ; COPY a b ; COPY a b ; COPY a b REPLACE ; COPY a c DB 2 ; COPY x y",
    "SET a 1 ; MOVE a 3 ; MOVE a 3 ; SET a 2 ; MOVE a 3 ; SELECT 3 ; MOVE a 0",
    "SET a 1 ; SWAPDB 0 1 ; FLUSHDB ; SELECT 1 ; FLUSHALL",
    "SET a 1 ; EXPIRE a 100 ; PEXPIRE a 100000 ; EXPIREAT a 99999999999 ; PEXPIREAT a 99999999999999",
    "SET a 1 ; EXPIRE a 100 NX ; EXPIRE a 100 XX ; EXPIRE a 10 GT ; EXPIRE a 1000 LT",
    "SET a 1 ; EXPIRE a -1 ; SET b 1 ; PEXPIREAT b 1 ; EXPIRE x 10",
    "SET a 1 ; PERSIST a ; EXPIRE a 100 ; PERSIST a ; PERSIST a ; PERSIST x",
    "SET a 1 ; TOUCH a ; EXISTS a ; TYPE a",
    "SET a 1 PXAT 1 ; SET b 2 EXAT 1 ; DEL a ; EXISTS b ; SET c 3 EXAT 1 ; SET c 4",
]

LISTS = [
    "LPUSH l a b ; RPUSH l c ; LPUSHX l d ; RPUSHX l e ; LPUSHX m a ; RPUSHX m a",
    "RPUSH l a b c ; LPOP l ; RPOP l ; LPOP l ; LPOP l",
    "RPUSH l a b c ; LPOP l 0 ; LPOP l 2 ; RPOP l 5 ; RPOP l 1",
    "RPUSH l a b ; LSET l 0 x ; LINSERT l BEFORE x y ; LINSERT l AFTER nope z ; LINSERT m AFTER a b",
    "RPUSH l a b a c a ; LREM l 0 nope ; LREM l 2 a ; LREM l -1 a ; LREM l 0 b ; LREM l 0 c",
    "RPUSH l a b c d ; LTRIM l 0 -1 ; LTRIM l 1 2 ; LTRIM l 5 10 ; LTRIM l 0 1",
    "RPUSH l a b ; LMOVE l m LEFT RIGHT ; RPOPLPUSH l m ; RPOPLPUSH l m",
    "RPUSH l a b c ; LMOVE l l LEFT RIGHT ; RPOPLPUSH l l",
    "RPUSH l a ; SET s x ; LMOVE l s LEFT LEFT ; LMOVE s l LEFT LEFT",
    "RPUSH l a b c ; LMPOP 2 x l LEFT ; LMPOP 1 l RIGHT COUNT 5 ; LMPOP 1 l LEFT",
    "RPUSH l a b ; BLPOP l 0 ; BRPOP l 0",
    "RPUSH l a b ; BLMOVE l m RIGHT LEFT 0 ; BRPOPLPUSH l m 0 ; BLMPOP 0 2 l m RIGHT COUNT 3",
]

SETS = [
    "SADD s a b ; SADD s a ; SADD s c a ; SREM s x ; SREM s a x ; SREM s b c",
    "SADD s a b c ; SPOP s ; SPOP s 0 ; SPOP s 1 ; SPOP s 5 ; SPOP s",
    "SADD s 1 2 3 4 5 6 7 8 9 10 ; SPOP s 3 ; SPOP s 6 ; SPOP s 3",
    "SADD s a b ; SMOVE s t a ; SMOVE s t a ; SMOVE s t b ; SMOVE s t c ; SADD u c ; SMOVE t u c",
    "SADD a x ; SADD b x ; SMOVE a b x ; SMOVE b b x",
    "SADD a 1 2 ; SADD b 2 3 ; SINTERSTORE d a b ; SUNIONSTORE d a b ; SDIFFSTORE d a b",
    "SADD a 1 ; SADD b 2 ; SET d x ; SINTERSTORE d a b ; SINTERSTORE d a b ; SDIFFSTORE d a a",
    "SET d x ; SINTERSTORE d a nope ; SUNIONSTORE d nope ; SUNIONSTORE e nope",
]

ZSETS = [
    "ZADD z 1 a 2 b ; ZADD z 1 a ; ZADD z 3 a ; ZADD z NX 5 a ; ZADD z XX 5 a ; ZADD z XX 1 c",
    "ZADD z CH 1 a ; ZADD z INCR 2 a ; ZINCRBY z 1 b ; ZADD z GT 0 a ; ZADD z LT INCR 1 a",
    "ZADD z 1 a inf b ; ZINCRBY z 2 a ; ZINCRBY z 0 a ; ZINCRBY z -inf b ; ZINCRBY z 1 c",
    "ZADD z 1 a 2 b 3 c ; ZREM z x ; ZREM z a ; ZREM z b c",
    "ZADD z 1 a 2 b 3 c 4 d ; ZREMRANGEBYSCORE z 10 20 ; ZREMRANGEBYSCORE z 1 1 ; ZREMRANGEBYRANK z 0 0",
    "ZADD z 0 a 0 b 0 c ; ZREMRANGEBYLEX z [a [a ; ZREMRANGEBYLEX z - + ; ZREMRANGEBYRANK z 0 -1",
    "ZADD a 1 x ; ZADD b 2 x 3 y ; ZUNIONSTORE d 2 a b ; ZINTERSTORE d 2 a b ; ZDIFFSTORE d 2 b a",
    "ZADD a 1 x ; SET d v ; ZINTERSTORE d 2 a nope ; ZINTERSTORE d 2 a nope ; ZDIFFSTORE e 1 nope",
    "ZADD a 1 x 2 y ; ZRANGESTORE d a 0 -1 ; ZRANGESTORE d a 5 6 ; ZRANGESTORE d a 5 6",
    "ZADD z 1 a 2 b 3 c ; ZPOPMIN z ; ZPOPMAX z 0 ; ZPOPMAX z 5 ; ZPOPMIN z",
    "ZADD z 1 a 2 b ; ZMPOP 2 x z MIN ; ZMPOP 1 z MAX COUNT 4 ; ZMPOP 1 z MIN",
    "ZADD z 1 a 2 b ; BZPOPMIN z 0 ; BZPOPMAX z 0 ; ZADD y 1 a ; BZMPOP 0 1 y MAX COUNT 3",
]

HASHES = [
    "HSET h a 1 b 2 ; HSET h a 1 ; HMSET h c 3 ; HSETNX h a 1 ; HSETNX h d 4",
    "HSET h a 1 b 2 ; HDEL h x ; HDEL h a x ; HDEL h b ; HDEL h b",
    "HINCRBY h a 1 ; HINCRBYFLOAT h b 1.5 ; HINCRBY h a 2 ; HSET h s x ; HINCRBY h s 1",
    "HSET h a 1 ; HGET h a ; HGETALL h ; HLEN h",
]

ALL = STRINGS + KEYS + LISTS + SETS + ZSETS + HASHES


@pytest.mark.parametrize("script", ALL)
def test_events(real: RealEvents, script: str) -> None:
    check(real, script)


# -- clients blocked, then served by another client's write ----------------------

BLOCKED = [
    ("BLPOP l 0", "LPUSH l a b"),
    ("BRPOP l m 0", "RPUSH m a"),
    ("BLMOVE l d RIGHT LEFT 0", "RPUSH l a"),
    ("BRPOPLPUSH l l 0", "RPUSH l a b"),
    ("BLMPOP 0 1 l LEFT COUNT 5", "RPUSH l a b"),
    ("BLPOP l 0", "RPUSH x a ; RENAME x l"),
    ("BZPOPMIN z 0", "ZADD z 1 a"),
    ("BZMPOP 0 1 z MAX COUNT 2", "ZADD z 1 a 2 b 3 c"),
]


def wait_blocked(count: Callable[[], int]) -> None:
    deadline = time.monotonic() + 5
    while count() != 1:
        assert time.monotonic() < deadline, "the client did not block"
        time.sleep(0.002)


def blocked_clients(c: RawClient) -> int:
    info = c.call("INFO", "clients")
    line = next(x for x in info.split(b"\r\n") if x.startswith(b"blocked_clients:"))
    return int(line.split(b":")[1])


@pytest.mark.parametrize(("blocked", "writes"), BLOCKED)
def test_served_blocked_client(
    real: RealEvents,
    real_redis: RedisServerProcess,
    server: ServerThread,
    blocked: str,
    writes: str,
) -> None:
    assert server.server is not None
    results = []
    for port, on_ours in ((server.port, True), (real_redis.port, False)):
        cmd = RawClient("127.0.0.1", port)
        waiter = RawClient("127.0.0.1", port)
        cmd.call("FLUSHALL")
        rec = Recorder(server.server.keyspace) if on_ours else None
        if not on_ours:
            real.events()  # drop the FLUSHALL's nothing, align the stream
        waiter.send(encode(*shlex.split(blocked)))
        if on_ours:
            wait_blocked(functools.partial(len, server.server.blocking))
        else:
            wait_blocked(functools.partial(blocked_clients, cmd))
        replies = [cmd.call(*argv) for argv in parse(writes)]
        served = waiter.reply()
        if rec is not None:
            rec.detach()
            events = rec.events
            assert {(k, db) for ev, k, db in events if ev != "new"} == set(rec.modified)
        else:
            events = real.events()
        results.append((replies, served, events))
        cmd.close()
        waiter.close()
    assert results[0] == results[1]
