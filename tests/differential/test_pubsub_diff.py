"""Differential tests of pub/sub and keyspace notifications: identical reply
bytes to redis-server 7.0.15, in RESP2 and RESP3.

Where Redis's order comes from a hash table (unsubscribing from every channel
at once, PUBSUB CHANNELS, one message matching several patterns) the
replies are compared as sets, and the counts they carry in sequence.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Pair
from helpers import encode

Cmd = tuple[bytes | str | int, ...]


def replies(p: Pair, cmd: Cmd, n: int) -> tuple[list[bytes], list[bytes]]:
    """Send ``cmd`` to both and read ``n`` replies from each."""
    p.raw(encode(*cmd), replies=0)
    return [p.ours.reply() for _ in range(n)], [p.real.reply() for _ in range(n)]


def check_n(p: Pair, cmd: Cmd, n: int) -> list[bytes]:
    ours, real = replies(p, cmd, n)
    assert ours == real, cmd
    return ours


def fields(reply: bytes) -> tuple[bytes, bytes | None, int]:
    """(kind, name, count) of a (un)subscribe message."""
    pos = reply.index(b"\r\n") + 2

    def item() -> bytes | None:
        nonlocal pos
        eol = reply.index(b"\r\n", pos)
        head = reply[pos:eol]
        if head in (b"$-1", b"_"):
            pos = eol + 2
            return None
        if head[:1] == b":":
            pos = eol + 2
            return head[1:]
        n = int(head[1:])
        pos = eol + 2 + n + 2
        return reply[eol + 2 : eol + 2 + n]

    kind, name, count = item(), item(), item()
    assert kind is not None and count is not None
    return kind, name, int(count)


def check_unordered(p: Pair, cmd: Cmd, n: int) -> None:
    """Same messages in any order; the counts they carry fall the same way."""
    ours, real = replies(p, cmd, n)
    fo, fr = [fields(x) for x in ours], [fields(x) for x in real]
    assert sorted((k, c) for k, c, _ in fo) == sorted((k, c) for k, c, _ in fr), cmd
    assert [n for *_, n in fo] == [n for *_, n in fr], cmd
    assert [x[:4] for x in ours] == [x[:4] for x in real]  # array or push


@pytest.mark.parametrize("resp", [2, 3])
def test_subscribe_replies(new_pair: Callable[[], Pair], resp: int) -> None:
    p = new_pair()
    if resp == 3:
        p.resp3()
    check_n(p, ("UNSUBSCRIBE",), 1)
    check_n(p, ("PUNSUBSCRIBE",), 1)
    check_n(p, ("SUNSUBSCRIBE",), 1)
    check_n(p, ("UNSUBSCRIBE", "a", "b"), 2)
    check_n(p, ("SUBSCRIBE", "a", "b", "a", b"bin\r\n\x00"), 4)
    check_n(p, ("PSUBSCRIBE", "p*", "q?", "p*"), 3)
    check_n(p, ("SSUBSCRIBE", "s1", "s2", "s1"), 3)
    check_n(p, ("SUBSCRIBE", "s1"), 1)
    check_n(p, ("PUNSUBSCRIBE", "zz", "p*"), 2)
    check_unordered(p, ("UNSUBSCRIBE",), 4)
    check_n(p, ("UNSUBSCRIBE",), 1)  # none left: a null name, the pattern still counts
    check_n(p, ("SUNSUBSCRIBE", "s2", "nope"), 2)
    check_n(p, ("SUNSUBSCRIBE",), 1)
    check_n(p, ("SUNSUBSCRIBE",), 1)
    check_n(p, ("PUNSUBSCRIBE",), 1)
    p.check("PING")  # no longer subscribed
    for cmd in (
        ("SUBSCRIBE",),
        ("PSUBSCRIBE",),
        ("SSUBSCRIBE",),
        ("PUBLISH", "a"),
        ("SPUBLISH", "a", "b", "c"),
    ):
        p.check(*cmd)


SUBSCRIBER_MODE = [
    ("GET", "k"),
    ("SET", "k", "v"),
    ("CLIENT", "LIST"),
    ("CLIENT", "INFO"),
    ("HELLO", "3"),
    ("HELLO",),
    ("SELECT", "1"),
    ("PUBLISH", "ch", "m"),
    ("SPUBLISH", "ch", "m"),
    ("PUBSUB", "NUMPAT"),
    ("PUBSUB", "CHANNELS"),
    ("CONFIG", "GET", "port"),
    ("INFO", "server"),
    ("ECHO", "x"),
    ("DEL", "k"),
    ("PING",),
    ("PING", "hi"),
    ("ping", b"a\r\nb"),
    ("PING", "a", "b"),
    ("GET",),
    ("NOPE", "x"),
    ("CLIENT", "NOPE"),
    ("CONFIG",),
]


@pytest.mark.parametrize("first", ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"])
def test_subscriber_mode_commands(new_pair: Callable[[], Pair], first: str) -> None:
    p = new_pair()
    check_n(p, (first, "ch"), 1)
    for cmd in SUBSCRIBER_MODE:
        p.check(*cmd)
    p.check("RESET")
    p.check("GET", "k")


def test_resp3_subscriber_runs_anything(new_pair: Callable[[], Pair]) -> None:
    p = new_pair()
    p.resp3()
    check_n(p, ("SUBSCRIBE", "ch"), 1)
    for cmd in (("GET", "k"), ("PING",), ("PING", "x"), ("PUBSUB", "NUMSUB", "ch"), ("ECHO", "e")):
        p.check(*cmd)
    # a message to itself, then the reply
    check_n(p, ("PUBLISH", "ch", "self"), 2)
    check_n(p, ("SPUBLISH", "ch", "self"), 1)
    # back to RESP2 while subscribed: the restrictions apply again
    ours, real = p.both("HELLO", "2")
    assert ours[:4] == real[:4] == b"*14\r"
    for cmd in (("GET", "k"), ("PING",)):
        p.check(*cmd)


@pytest.mark.parametrize("resp", [2, 3])
def test_message_order(new_pair: Callable[[], Pair], resp: int) -> None:
    sub, pub = new_pair(), new_pair()
    if resp == 3:
        sub.resp3()
    check_n(sub, ("SUBSCRIBE", "news", "other"), 2)
    check_n(sub, ("PSUBSCRIBE", "ne*"), 1)
    check_n(sub, ("SSUBSCRIBE", "news"), 1)
    sent: list[Cmd] = [
        ("PUBLISH", "news", "1"),
        ("PUBLISH", "nest", "2"),
        ("PUBLISH", "other", b"3\r\n\x00"),
        ("SPUBLISH", "news", "4"),
        ("PUBLISH", "nobody", "5"),
        ("PUBLISH", "news", ""),
    ]
    pub.batch(*sent)
    # news: message then pmessage; nest: pmessage; other: message; smessage
    ours = [sub.ours.reply() for _ in range(7)]
    real = [sub.real.reply() for _ in range(7)]
    assert ours == real


def test_several_patterns_match(new_pair: Callable[[], Pair]) -> None:
    a, b, pub = new_pair(), new_pair(), new_pair()
    check_n(a, ("PSUBSCRIBE", "*", "n*", "ne?s", "[m-o]ews"), 4)
    check_n(b, ("PSUBSCRIBE", "n*"), 1)
    pub.check("PUBLISH", "news", "m")  # 5 deliveries
    pub.check("PUBSUB", "NUMPAT")  # distinct patterns
    ours = sorted(a.ours.reply() for _ in range(4))
    real = sorted(a.real.reply() for _ in range(4))
    assert ours == real
    assert b.ours.reply() == b.real.reply()


def test_pubsub_introspection(new_pair: Callable[[], Pair]) -> None:
    a, b, q = new_pair(), new_pair(), new_pair()
    check_n(a, ("SUBSCRIBE", "news.a", "news.b", "sport", b"\xff\x00"), 4)
    check_n(b, ("SUBSCRIBE", "news.a"), 1)
    check_n(b, ("PSUBSCRIBE", "n*", "s*"), 2)
    check_n(a, ("PSUBSCRIBE", "n*"), 1)
    check_n(a, ("SSUBSCRIBE", "sh1", "sh2"), 2)
    for cmd in (
        ("PUBSUB", "CHANNELS"),
        ("PUBSUB", "CHANNELS", "news.*"),
        ("PUBSUB", "SHARDCHANNELS"),
        ("PUBSUB", "CHANNELS", "*[^a]"),
        ("PUBSUB", "SHARDCHANNELS", "sh?"),
    ):
        ours, real = q.both(*cmd)
        head_o, *items_o = ours.split(b"\r\n")
        head_r, *items_r = real.split(b"\r\n")
        assert head_o == head_r and sorted(items_o) == sorted(items_r), cmd
    q.check_all(
        ("PUBSUB", "NUMSUB"),
        ("PUBSUB", "NUMSUB", "news.a", "sport", "nope", "news.a", "sh1"),
        ("PUBSUB", "SHARDNUMSUB", "sh1", "news.a"),
        ("PUBSUB", "SHARDNUMSUB"),
        ("PUBSUB", "NUMPAT"),
        ("PUBSUB", "numpat"),
        ("PUBSUB", "NUMPAT", "x"),
        ("PUBSUB", "CHANNELS", "a", "b"),
        ("pubsub", "channels", "a", "b"),
        ("PUBSUB", "ShardChannels", "a", "b"),
        ("PUBSUB", "HELP"),
        ("PUBSUB", "HELP", "x"),
        ("PUBSUB", "NOPE"),
        ("PUBSUB",),
        ("PUBLISH", "news.a", "x"),
        ("PUBLISH", "sh1", "x"),
        ("SPUBLISH", "sh1", "x"),
        ("SPUBLISH", "news.a", "x"),
    )
    ours, real = q.both("INFO", "stats")
    for name in (b"pubsub_channels:", b"pubsub_patterns:", b"pubsubshard_channels:"):
        assert [x for x in ours.split(b"\r\n") if x.startswith(name)] == [
            x for x in real.split(b"\r\n") if x.startswith(name)
        ]
    # CLIENT LIST: the subscriber's flags and counts
    ours, real = q.both("CLIENT", "LIST", "TYPE", "pubsub")
    want = sorted(
        line.split(b" flags=")[1].split(b" multi=")[0]
        for line in real.split(b"\n")
        if b"flags=" in line
    )
    got = sorted(
        line.split(b" flags=")[1].split(b" multi=")[0]
        for line in ours.split(b"\n")
        if b"flags=" in line
    )
    assert got == want == sorted([b"P db=0 sub=4 psub=1 ssub=2", b"P db=0 sub=1 psub=2 ssub=0"])
    for cmd in (("CLIENT", "LIST", "TYPE", "normal"),):
        ours, real = q.both(*cmd)
        assert ours.count(b"flags=N") == real.count(b"flags=N") >= 1


def test_megabyte_pattern(new_pair: Callable[[], Pair]) -> None:
    sub, pub = new_pair(), new_pair()
    big = b"a" * (1 << 20)
    check_n(sub, ("PSUBSCRIBE", big, b"*" + big + b"*", b"[a" + big), 3)
    pub.check_all(
        ("PUBLISH", "a", "m"),  # "[aaa..." is an unterminated class: one byte
        ("PUBLISH", big, "m"),  # the literal and the starred pattern
        ("PUBLISH", b"x" + big + b"x", "m"),
        ("PUBSUB", "NUMPAT"),
    )
    ours = sorted(sub.ours.reply() for _ in range(4))
    real = sorted(sub.real.reply() for _ in range(4))
    assert ours == real
    check_unordered(sub, ("PUNSUBSCRIBE",), 3)


NOTIFY_VALUES = [
    "",
    "A",
    "KEA",
    "Ex",
    "gK",
    "AKEmn",
    "Kg$lshzxetdmn",
    "Kg$lshzxetd",
    "nmdtexzhsl$gKE",
    "KA",
    "AA",
    "Kn",
    "Km",
    "Kd",
    "KEAmnd",
    "E$",
    "Kx",
    "ElshzE",
    "b",
    "K E",
    "a",
    "KEA ",
    "k",
    "KEA\x00",
]


def test_notify_keyspace_events_config(d: Pair) -> None:
    try:
        for value in NOTIFY_VALUES:
            d.check("CONFIG", "SET", "notify-keyspace-events", value)
            d.check("CONFIG", "GET", "notify-keyspace-events")
        d.check("CONFIG", "SET", "notify-keyspace-events", "KEA", "notify-keyspace-events", "x")
        d.check("CONFIG", "GET", "notify*")
    finally:
        d.check("CONFIG", "SET", "notify-keyspace-events", "")


OBUF_VALUES = [
    "",
    "normal 1 2 3",
    "pubsub 32mb 8mb 60",
    "PUBSUB 1k 1kb 1",
    "replica 1 1 1",
    "slave 2 2 2",
    "master 1 1 1",
    "foo 1 1 1",
    "normal 1 1",
    "normal 1 1 1 pubsub",
    "normal -1 0 0",
    "normal 0 -1 0",
    "normal 0 0 -1",
    "normal mb kb 0",
    "normal 1 1 ",
    "normal  1 1 1",
    " normal 1 1 1",
    "normal 1 1 4294967297",
    "normal 1 1 2147483648",
    "normal 1 1 99999999999999999999",
    "normal 99999999999999999999 1 1",
    "normal 18446744073709551615 1 1",
    "normal 18446744073709551615b 1 1",
    "normal 99999999999gb 1 1",
    "normal 1 1 +5",
    "normal 1 1 \t5",
    "normal +1 1 5",
    "normal 1M 1G 5",
    "normal 1gB 1Kb 5",
    "normal 1 1 5x",
    "normal 0 0 0 normal 5 5 5",
    "normal 1 1 1 foo 1 1 1",
    "normal 0x10 1 1",
    "normal 1.5 1 1",
    "normal 1 1 00007",
    "normal 1tb 1 1",
    "normal 1 1 -0",
    "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
]


def test_client_output_buffer_limit_config(d: Pair) -> None:
    try:
        for value in OBUF_VALUES:
            d.check("CONFIG", "SET", "client-output-buffer-limit", value)
            d.check("CONFIG", "GET", "client-output-buffer-limit")
    finally:
        d.check(
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
        )


@pytest.mark.parametrize("resp", [2, 3])
def test_keyspace_notifications(new_pair: Callable[[], Pair], d: Pair, resp: int) -> None:
    sub = new_pair()
    if resp == 3:
        sub.resp3()
    try:
        d.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
        check_n(sub, ("PSUBSCRIBE", "__key*__:*"), 1)
        d.batch(
            ("SET", "k", "v"),
            ("SET", "k", "v", "EX", "100"),
            ("SET", b"bin\r\n", "v", "KEEPTTL"),
            ("DEL", "k", "nope", b"bin\r\n"),
            ("SELECT", "2"),
            ("SET", "k2", "v", "NX", "GET"),
            ("SET", "k2", "v", "NX"),  # not set: no event
            ("SELECT", "0"),
        )
        ours = [sub.ours.reply() for _ in range(14)]
        real = [sub.real.reply() for _ in range(14)]
        assert ours == real
        d.check("CONFIG", "SET", "notify-keyspace-events", "E$")
        d.batch(("SET", "a", "1"), ("DEL", "a"), ("SET", "b", "1"))
        ours = [sub.ours.reply() for _ in range(2)]
        real = [sub.real.reply() for _ in range(2)]
        assert ours == real
    finally:
        d.check("CONFIG", "SET", "notify-keyspace-events", "")


PUBSUB_ROWS = [
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "publish",
    "ssubscribe",
    "sunsubscribe",
    "spublish",
    "pubsub|channels",
    "pubsub|numsub",
    "pubsub|numpat",
    "pubsub|shardchannels",
    "pubsub|shardnumsub",
    "pubsub|help",
]


def test_command_info_metadata(d: Pair) -> None:
    """Name, arity, flags, key positions and ACL categories as Redis's table
    (the key specs of the shard commands say not_key there)."""
    for name in PUBSUB_ROWS:
        ours, real = d.both("COMMAND", "INFO", name)
        cut_o, cut_r = ours.index(b"*0\r\n", 20), real.index(b"*0\r\n", 20)  # up to the tips
        assert ours[:cut_o] == real[:cut_r], name


def test_subscribe_inside_multi(new_pair: Callable[[], Pair]) -> None:
    """SUBSCRIBE may be queued (the client is a subscriber after EXEC, and its
    PING inside EXEC already answers as one); SSUBSCRIBE is refused when EXEC
    runs it."""
    p = new_pair()
    p.check_all(("MULTI",), ("SUBSCRIBE", "x"), ("PING",), ("PING", "m"))
    p.check("EXEC")
    p.check("PING")
    p.check("MULTI")
    p.check("UNSUBSCRIBE")
    # two channels: two replies for one command, so the EXEC array's count
    # is one short, as from Redis
    p.check_all(("MULTI",), ("SUBSCRIBE", "x", "y"), ("PING",))
    check_n(p, ("EXEC",), 2)
    check_unordered(p, ("UNSUBSCRIBE",), 2)
    p.check_all(("MULTI",), ("SSUBSCRIBE", "s"), ("SET", "k", "v"), ("EXEC",), ("PING",))
    p.check_all(("PUBSUB", "SHARDNUMSUB", "s"), ("GET", "k"))


EVENT_MIX: list[Cmd] = [
    ("SET", "s", "1"),
    ("INCR", "s"),
    ("INCRBYFLOAT", "s", "1.5"),
    ("APPEND", "s", "x"),
    ("SETRANGE", "s", "0", "ab"),
    ("EXPIRE", "s", "100"),
    ("PERSIST", "s"),
    ("RENAME", "s", "s2"),
    ("COPY", "s2", "s3"),
    ("MOVE", "s3", "1"),
    ("LPUSH", "l", "a", "b", "c"),
    ("RPOP", "l"),
    ("LSET", "l", "0", "z"),
    ("LTRIM", "l", "0", "0"),
    ("LPOP", "l"),
    ("HSET", "h", "f", "v", "g", "w"),
    ("HINCRBY", "h", "n", "2"),
    ("HDEL", "h", "f", "g", "n"),
    ("SADD", "st", "a", "b"),
    ("SREM", "st", "a"),
    ("SPOP", "st"),
    ("ZADD", "z", "1", "a", "2", "b"),
    ("ZINCRBY", "z", "3", "a"),
    ("ZREM", "z", "a"),
    ("ZPOPMIN", "z"),
    ("SET", "e", "v", "PX", "100000"),
    ("GETDEL", "s2"),
    ("DEL", "nope"),
    ("MSET", "m1", "1", "m2", "2"),
    ("UNLINK", "m1", "m2"),
]


@pytest.mark.parametrize("flags", ["KEA", "KEAn", "Kl", "Eg$"])
def test_keyspace_notifications_of_many_commands(
    new_pair: Callable[[], Pair], d: Pair, flags: str
) -> None:
    """The messages a mix of writes publishes, in order, for a few settings."""
    sub = new_pair()
    try:
        d.check("CONFIG", "SET", "notify-keyspace-events", flags)
        check_n(sub, ("PSUBSCRIBE", "__key*@*"), 1)
        d.batch(*EVENT_MIX)
        sub.raw(encode("PING"), replies=0)  # its reply marks the end of the messages
        ours, real = [], []
        while not (ours and ours[-1].startswith(b"*2\r\n$4\r\npong")):
            ours.append(sub.ours.reply())
        while not (real and real[-1].startswith(b"*2\r\n$4\r\npong")):
            real.append(sub.real.reply())
        assert ours == real
    finally:
        d.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_resp3_push_to_itself_inside_exec(new_pair: Callable[[], Pair]) -> None:
    """Redis writes a push into the reply buffer as it happens: inside EXEC's
    array, between the replies (a reader sees it as an element)."""
    p = new_pair()
    p.resp3()
    check_n(p, ("SUBSCRIBE", "ch"), 1)
    for cmd in (("MULTI",), ("PUBLISH", "ch", "x"), ("SET", "k", "v"), ("PUBLISH", "ch", "y")):
        p.check(*cmd)
    check_n(p, ("EXEC",), 3)
    p.check("PING")


def test_keymiss_events(new_pair: Callable[[], Pair], d: Pair) -> None:
    """``m``: a read that finds nothing publishes ``keymiss``; writes do not."""
    sub = new_pair()
    try:
        d.check("CONFIG", "SET", "notify-keyspace-events", "KEm")
        check_n(sub, ("PSUBSCRIBE", "__key*__:*"), 1)
        d.batch(
            ("SET", "here", "1"),
            ("GET", "nope"),
            ("GET", "here"),
            ("MGET", "a", "here", "b"),
            ("HGET", "h", "f"),
            ("LRANGE", "l", "0", "-1"),
            ("SCARD", "s"),
            ("TYPE", "t"),
            ("EXISTS", "e"),
            ("TTL", "ttl"),
            ("STRLEN", "sl"),
            ("SET", "w", "1"),
            ("INCR", "n"),
        )
        n = 2 * 10
        ours = [sub.ours.reply() for _ in range(n)]
        real = [sub.real.reply() for _ in range(n)]
        assert ours == real
        check_n(sub, ("PING",), 1)
    finally:
        d.check("CONFIG", "SET", "notify-keyspace-events", "")
