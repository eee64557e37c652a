"""In-process tests of pub/sub: replies, subscriber mode, delivery order, the
registries after unsubscribe, RESET and disconnect, keyspace notifications."""

from __future__ import annotations

from cacheserver.connection import Client
from helpers import Clock, Harness, MockTransport, encode


def sub_msg(kind: bytes, name: bytes | None, count: int, resp3: bool = False) -> bytes:
    head = b">3\r\n" if resp3 else b"*3\r\n"
    nil = b"_\r\n" if resp3 else b"$-1\r\n"
    item = nil if name is None else b"$%d\r\n%s\r\n" % (len(name), name)
    return head + b"$%d\r\n%s\r\n" % (len(kind), kind) + item + b":%d\r\n" % count


def message(channel: bytes, data: bytes, resp3: bool = False, kind: bytes = b"message") -> bytes:
    head = b">3\r\n" if resp3 else b"*3\r\n"
    return (
        head
        + b"$%d\r\n%s\r\n" % (len(kind), kind)
        + b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(channel), channel, len(data), data)
    )


def pmessage(pattern: bytes, channel: bytes, data: bytes, resp3: bool = False) -> bytes:
    head = b">4\r\n" if resp3 else b"*4\r\n"
    return (
        head
        + b"$8\r\npmessage\r\n"
        + b"$%d\r\n%s\r\n" % (len(pattern), pattern)
        + b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(channel), channel, len(data), data)
    )


def test_subscribe_publish_unsubscribe(h: Harness) -> None:
    sub = h.client
    pub = h.connect()
    assert h.run("SUBSCRIBE", "a", "b", "a") == (
        sub_msg(b"subscribe", b"a", 1)
        + sub_msg(b"subscribe", b"b", 2)
        + sub_msg(b"subscribe", b"a", 2)
    )
    assert h.run("PSUBSCRIBE", "a*") == sub_msg(b"psubscribe", b"a*", 3)
    start = len(h.transport.out)
    assert h.run("PUBLISH", "a", "hi", client=pub) == b":2\r\n"
    assert bytes(h.transport.out[start:]) == message(b"a", b"hi") + pmessage(b"a*", b"a", b"hi")
    assert h.run("PUBLISH", "nobody", "x", client=pub) == b":0\r\n"
    assert h.run("UNSUBSCRIBE") == sub_msg(b"unsubscribe", b"a", 2) + sub_msg(
        b"unsubscribe", b"b", 1
    )
    assert h.run("UNSUBSCRIBE") == sub_msg(b"unsubscribe", None, 1)
    assert h.run("PUNSUBSCRIBE", "zz", "a*") == (
        sub_msg(b"punsubscribe", b"zz", 1) + sub_msg(b"punsubscribe", b"a*", 0)
    )
    assert h.run("PING") == b"+PONG\r\n"  # out of subscriber mode
    ps = h.server.pubsub
    assert not ps.channels and not ps.patterns and not ps.shard and sub.subs is None


def test_subscriber_mode_allows_only_redis_list(h: Harness) -> None:
    h.run("SUBSCRIBE", "ch")
    assert h.run("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert h.run("PING", "hi") == b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
    assert h.run("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"
    suffix = b": only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    assert h.run("GET", "k") == b"-ERR Can't execute 'get'" + suffix
    assert h.run("CLIENT", "LIST") == b"-ERR Can't execute 'client|list'" + suffix
    assert h.run("HELLO", "3") == b"-ERR Can't execute 'hello'" + suffix
    # unknown commands and arity errors come first, as in Redis
    assert h.run("NOPE").startswith(b"-ERR unknown command 'NOPE'")
    assert h.run("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert h.run("SSUBSCRIBE", "s") == sub_msg(b"ssubscribe", b"s", 1)
    assert h.run("RESET") == b"+RESET\r\n"
    assert h.run("GET", "k") == b"$-1\r\n"
    assert not h.server.pubsub.channels and not h.server.pubsub.shard


def test_resp3_pushes_and_no_restriction(h: Harness) -> None:
    h.run("HELLO", "3")
    assert h.run("SUBSCRIBE", "x") == sub_msg(b"subscribe", b"x", 1, True)
    assert h.run("GET", "k") == b"_\r\n"
    assert h.run("PING") == b"+PONG\r\n"
    # a message to itself comes before the PUBLISH reply, and in batch order
    out = h.feed(
        encode("PUBLISH", "x", "m") + encode("PSUBSCRIBE", "x*") + encode("PUBLISH", "x", "n")
    )
    assert out == (
        message(b"x", b"m", True)
        + b":1\r\n"
        + sub_msg(b"psubscribe", b"x*", 2, True)
        + message(b"x", b"n", True)
        + pmessage(b"x*", b"x", b"n", True)
        + b":2\r\n"
    )
    assert h.run("SPUBLISH", "x", "m") == b":0\r\n"
    assert h.run("SUNSUBSCRIBE") == sub_msg(b"sunsubscribe", None, 0, True)
    # back in RESP2 while subscribed: subscriber mode applies
    assert h.run("HELLO", "2").startswith(b"*14\r\n")
    assert h.run("GET", "k").startswith(b"-ERR Can't execute 'get'")


def test_shard_channels_are_apart(h: Harness) -> None:
    pub = h.connect()
    assert h.run("SSUBSCRIBE", "s1", "s2") == sub_msg(b"ssubscribe", b"s1", 1) + sub_msg(
        b"ssubscribe", b"s2", 2
    )
    assert h.run("SUBSCRIBE", "s1") == sub_msg(b"subscribe", b"s1", 1)
    assert (
        h.run("PUBSUB", "NUMSUB", "s1", "s2", client=pub)
        == b"*4\r\n$2\r\ns1\r\n:1\r\n$2\r\ns2\r\n:0\r\n"
    )
    assert h.run("PUBSUB", "SHARDNUMSUB", "s1", client=pub) == b"*2\r\n$2\r\ns1\r\n:1\r\n"
    start = len(h.transport.out)
    assert h.run("SPUBLISH", "s1", "m", client=pub) == b":1\r\n"
    assert bytes(h.transport.out[start:]) == message(b"s1", b"m", kind=b"smessage")
    assert h.run("SUNSUBSCRIBE") == sub_msg(b"sunsubscribe", b"s1", 1) + sub_msg(
        b"sunsubscribe", b"s2", 0
    )
    assert h.run("PUBSUB", "SHARDCHANNELS", client=pub) == b"*0\r\n"
    assert h.run("PUBSUB", "CHANNELS", client=pub) == b"*1\r\n$2\r\ns1\r\n"


def test_pubsub_introspection(h: Harness) -> None:
    other, q = h.connect(), h.connect()
    h.run("SUBSCRIBE", "news.a", "news.b", "sport")
    h.run("PSUBSCRIBE", "n*", "s*", client=other)
    h.run("PSUBSCRIBE", "n*")
    assert h.run("PUBSUB", "NUMPAT", client=q) == b":2\r\n"
    assert (
        h.run("PUBSUB", "CHANNELS", "news.*", client=q) == b"*2\r\n$6\r\nnews.a\r\n$6\r\nnews.b\r\n"
    )
    assert h.run("PUBSUB", "NUMSUB", client=q) == b"*0\r\n"
    assert h.run("PUBSUB", "channels", "a", "b", client=q) == (
        b"-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n"
    )
    assert h.run("PUBSUB", "NUMPAT", "x", client=q) == (
        b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
    )
    assert (
        h.run("pubsub", "nope", client=q) == b"-ERR unknown subcommand 'nope'. Try PUBSUB HELP.\r\n"
    )
    assert h.run("PUBSUB", "HELP", client=q).startswith(b"*14\r\n+PUBSUB <subcommand>")
    assert h.run("PUBLISH", "news.a", "x", client=q) == b":3\r\n"  # channel + two patterns


def test_disconnect_and_kill_drop_every_subscription(h: Harness) -> None:
    a, b = h.connect(), h.connect()
    for c in (a, b):
        h.run("SUBSCRIBE", "x", "y", client=c)
        h.run("PSUBSCRIBE", "p*", client=c)
        h.run("SSUBSCRIBE", "s", client=c)
    ps = h.server.pubsub
    assert len(ps.channels[b"x"]) == 2
    a.connection_lost(None)
    assert len(ps.channels[b"x"]) == 1 and len(ps.patterns[b"p*"][1]) == 1
    assert h.run("CLIENT", "KILL", "ID", str(b.id)) == b":1\r\n"
    assert not ps.channels and not ps.patterns and not ps.shard
    assert h.run("PUBLISH", "x", "m") == b":0\r\n"


def test_client_list_fields_and_type(h: Harness) -> None:
    sub = h.connect()
    h.run("SUBSCRIBE", "a", "b", client=sub)
    h.run("PSUBSCRIBE", "p", client=sub)
    h.run("SSUBSCRIBE", "s", client=sub)
    text = h.run("CLIENT", "LIST", "TYPE", "pubsub").decode()
    assert f"id={sub.id} " in text and " flags=P " in text
    assert " sub=2 psub=1 ssub=1 " in text
    assert text.count("id=") == 1
    normal = h.run("CLIENT", "LIST", "TYPE", "normal").decode()
    assert f"id={sub.id} " not in normal and f"id={h.client.id} " in normal
    assert h.run("CLIENT", "KILL", "TYPE", "pubsub") == b":1\r\n"
    assert sub.closed


def test_info_counts_names(h: Harness) -> None:
    h.run("SUBSCRIBE", "a", "b")
    h.run("PSUBSCRIBE", "p1", "p2", "p3")
    h.run("SSUBSCRIBE", "s")
    info = h.run("INFO", "stats", client=h.connect()).decode()
    assert "pubsub_channels:2\r\n" in info
    assert "pubsub_patterns:3\r\n" in info
    assert "pubsubshard_channels:1\r\n" in info


def test_keyspace_notifications_for_set_del_and_expiry(h: Harness) -> None:
    clock = Clock(h, 1_000_000)
    listener = h.connect()
    h.run("CONFIG", "SET", "notify-keyspace-events", "KEA")
    h.run("PSUBSCRIBE", "__key*@0__:*", client=listener)
    t = listener.transport
    start = len(t.out)  # type: ignore[union-attr]
    h.run("SET", "k", "v", "PX", "100")
    h.run("DEL", "nokey")
    clock.t += 200
    assert h.run("GET", "k") == b"$-1\r\n"
    got = bytes(t.out[start:])  # type: ignore[union-attr]
    p = b"__key*@0__:*"
    assert got == (
        pmessage(p, b"__keyspace@0__:k", b"set")
        + pmessage(p, b"__keyevent@0__:set", b"k")
        + pmessage(p, b"__keyspace@0__:k", b"expire")
        + pmessage(p, b"__keyevent@0__:expire", b"k")
        + pmessage(p, b"__keyspace@0__:k", b"expired")
        + pmessage(p, b"__keyevent@0__:expired", b"k")
    )
    # only the classes asked for: 'E' and expired keys
    h.run("CONFIG", "SET", "notify-keyspace-events", "Ex")
    start = len(t.out)  # type: ignore[union-attr]
    h.run("SET", "k2", "v", "PX", "1")
    h.run("SELECT", "3")
    h.run("SET", "k3", "v", "PX", "1")
    clock.t += 10
    h.run("GET", "k3")
    h.run("SELECT", "0")
    h.run("GET", "k2")
    assert bytes(t.out[start:]) == pmessage(p, b"__keyevent@0__:expired", b"k2")  # type: ignore[union-attr]
    h.run("CONFIG", "SET", "notify-keyspace-events", "")
    assert not h.server.keyspace.hooked


class StuckTransport(MockTransport):
    """A transport whose peer does not read: everything written stays buffered."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def get_write_buffer_size(self) -> int:
        return len(self.out)

    def abort(self) -> None:
        self.aborted = True
        self.closed = True


def stuck_client(h: Harness) -> Client:
    c = Client(h.server)
    c.connection_made(StuckTransport())
    return c


def test_hard_limit_closes_a_subscriber_at_once(h: Harness) -> None:
    h.run("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1500 0 0")
    slow = stuck_client(h)
    h.run("SUBSCRIBE", "ch", client=slow)  # 31 bytes, then 133 per message
    for _ in range(11):
        assert h.run("PUBLISH", "ch", b"x" * 100) == b":1\r\n"
    assert not slow.closed
    assert h.run("PUBLISH", "ch", b"x" * 100) == b":1\r\n"  # 1627 bytes
    assert slow.closed and slow.transport.aborted  # type: ignore[union-attr]
    assert slow.id not in h.server.clients
    slow.connection_lost(None)  # what the transport reports next
    assert h.run("PUBLISH", "ch", "x") == b":0\r\n"
    assert not h.server.pubsub.channels
    assert "client_output_buffer_limit_disconnections:1\r\n" in h.run("INFO", "stats").decode()


def test_soft_limit_needs_its_seconds(h: Harness) -> None:
    clock = Clock(h, 1_000_000)
    h.run("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 500 2")
    slow = stuck_client(h)
    h.run("SUBSCRIBE", "ch", client=slow)
    for _ in range(10):
        h.run("PUBLISH", "ch", b"x" * 100)
    assert not slow.closed and slow.obuf_soft_since == 1000
    clock.t += 2000  # two seconds over the soft limit: not yet more than 2
    h.run("PUBLISH", "ch", "x")
    assert not slow.closed
    clock.t += 1000
    h.server.output_limits_cron()  # found by the cron even with no new message
    assert slow.closed


def test_soft_limit_clock_restarts_below_it(h: Harness) -> None:
    clock = Clock(h, 1_000_000)
    h.run("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 500 1")
    slow = stuck_client(h)
    h.run("SUBSCRIBE", "ch", client=slow)
    h.run("PUBLISH", "ch", b"x" * 600)
    assert slow.obuf_soft_since == 1000
    slow.transport.out.clear()  # type: ignore[union-attr]  # the peer caught up
    h.run("PUBLISH", "ch", "x")
    assert slow.obuf_soft_since == 0
    clock.t += 5000
    h.run("PUBLISH", "ch", b"x" * 600)  # over again: a new clock, not closed
    assert not slow.closed and slow.obuf_soft_since == 1005


def test_normal_class_limit(h: Harness) -> None:
    h.run("CONFIG", "SET", "client-output-buffer-limit", "normal 1kb 0 0")
    c = stuck_client(h)
    h.run("SET", "big", b"v" * 2000)
    assert h.run("GET", "k", client=c) == b"$-1\r\n"
    assert not c.closed
    h.run("GET", "big", client=c)
    assert c.closed
    # a subscriber is in the pubsub class, which has no limit here
    h.run("CONFIG", "SET", "client-output-buffer-limit", "normal 1kb 0 0 pubsub 0 0 0")
    sub = stuck_client(h)
    h.run("SUBSCRIBE", "ch", client=sub)
    h.run("PUBLISH", "ch", b"x" * 5000)
    assert not sub.closed
    h.run("UNSUBSCRIBE", client=sub)  # normal again: over the normal limit at the next write
    h.run("PING", client=sub)
    assert sub.closed
