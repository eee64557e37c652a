"""In-process tests of the generic key commands, expiry and SCAN."""

from __future__ import annotations

import pytest

from cacheserver.commands.keys import OBJECT_HELP, parse_cursor
from cacheserver.errors import CommandError
from cacheserver.store.keyspace import Database
from helpers import T0, Clock, FakeValue, Harness, encode


class FakeHash(FakeValue):
    """Stands in for a collection type (they carry TYPE, ENCODING, copy())."""

    TYPE = b"hash"
    ENCODING = b"listpack"

    def __init__(self, items: dict[bytes, bytes] | None = None) -> None:
        self.items = dict(items or {})

    def copy(self) -> FakeHash:
        return FakeHash(self.items)


class FakeZset(FakeValue):
    TYPE = b"zset"  # no ENCODING: Redis's default for the type is reported

    def copy(self) -> FakeZset:
        return FakeZset()


def db(h: Harness, index: int = 0) -> Database:
    return h.server.keyspace.dbs[index]


def ints(*ns: int) -> bytes:
    return b"".join(b":%d\r\n" % n for n in ns)


def array_of(reply: bytes) -> list[bytes]:
    """The bulk strings of a flat array reply."""
    head, _, rest = reply.partition(b"\r\n")
    assert head[:1] == b"*", reply
    out = []
    for _ in range(int(head[1:])):
        hdr, _, rest = rest.partition(b"\r\n")
        n = int(hdr[1:])
        out.append(rest[:n])
        rest = rest[n + 2 :]
    return out


def scan_reply(reply: bytes) -> tuple[int, list[bytes]]:
    assert reply.startswith(b"*2\r\n$"), reply
    rest = reply[4:]
    hdr, _, rest = rest.partition(b"\r\n")
    n = int(hdr[1:])
    cursor = int(rest[:n])
    return cursor, array_of(rest[n + 2 :])


def full_scan(h: Harness, *opts: str) -> list[bytes]:
    cursor, seen = 0, []
    while True:
        cursor, keys = scan_reply(h.run("SCAN", cursor, *opts))
        seen.extend(keys)
        if cursor == 0:
            return seen


# -- DEL UNLINK EXISTS TOUCH TYPE ---------------------------------------------


def test_del_unlink_exists(h: Harness) -> None:
    h.feed(encode("SET", "a", "1") + encode("SET", "b", "2") + encode("SET", "", "e"))
    assert h.run("EXISTS", "a", "a", "b", "nope", "") == b":4\r\n"
    assert h.run("DEL", "a", "a", "nope") == b":1\r\n"
    assert h.run("UNLINK", "b", "") == b":2\r\n"
    assert h.run("EXISTS", "a", "b", "") == b":0\r\n"
    assert h.run("DEL") == b"-ERR wrong number of arguments for 'del' command\r\n"
    assert h.run("UNLINK") == b"-ERR wrong number of arguments for 'unlink' command\r\n"


def test_del_of_an_expired_key_counts_as_expired(h: Harness, clock: Clock) -> None:
    h.run("SET", "k", "v", "PX", "100")
    clock.t += 100
    stats = h.server.keyspace.stats
    before = stats.expired_keys
    assert h.run("DEL", "k") == b":0\r\n"
    assert stats.expired_keys == before + 1
    assert len(db(h)) == 0


def test_touch_counts_and_updates_access(h: Harness) -> None:
    ks = h.server.keyspace
    h.run("SET", "a", "1")
    ks.lru_clock += 50
    assert h.run("OBJECT", "IDLETIME", "a") == b":50\r\n"
    assert h.run("TOUCH", "a", "a", "nope") == b":2\r\n"
    assert h.run("OBJECT", "IDLETIME", "a") == b":0\r\n"


def test_type(h: Harness) -> None:
    h.run("SET", "s", "v")
    db(h).set(b"h", FakeHash({b"f": b"v"}))
    assert h.run("TYPE", "s") == b"+string\r\n"
    assert h.run("TYPE", "h") == b"+hash\r\n"
    assert h.run("TYPE", "nope") == b"+none\r\n"
    h.run("HELLO", "3")
    assert h.run("TYPE", "nope") == b"+none\r\n"


def test_reads_count_hits_and_misses_like_redis(h: Harness) -> None:
    stats = h.server.keyspace.stats
    h.run("SET", "a", "1")
    hits, misses = stats.keyspace_hits, stats.keyspace_misses
    for cmd in (
        ("TYPE", "a"),
        ("TTL", "a"),
        ("OBJECT", "ENCODING", "a"),
        ("EXISTS", "a"),
        ("TOUCH", "a"),
    ):
        h.run(*cmd)
    assert stats.keyspace_hits == hits + 5
    h.run("TYPE", "nope")
    h.run("EXISTS", "nope")
    assert stats.keyspace_misses == misses + 2
    # writes, DBSIZE, KEYS and SCAN without TYPE count nothing
    for cmd in (
        ("PERSIST", "a"),
        ("EXPIRE", "a", "100"),
        ("DBSIZE",),
        ("KEYS", "*"),
        ("SCAN", "0"),
    ):
        h.run(*cmd)
    assert (stats.keyspace_hits, stats.keyspace_misses) == (hits + 5, misses + 2)


# -- RENAME COPY MOVE SWAPDB ---------------------------------------------------


def test_rename(h: Harness, clock: Clock) -> None:
    assert h.run("RENAME", "nope", "x") == b"-ERR no such key\r\n"
    assert h.run("RENAME", "nope", "nope") == b"-ERR no such key\r\n"
    assert h.run("RENAMENX", "nope", "x") == b"-ERR no such key\r\n"
    h.run("SET", "a", "1", "EX", "100")
    assert h.run("RENAME", "a", "a") == b"+OK\r\n"
    assert h.run("RENAMENX", "a", "a") == b":0\r\n"
    assert h.run("RENAME", "a", "b") == b"+OK\r\n"
    assert h.run("EXISTS", "a") == b":0\r\n"
    assert h.run("PTTL", "b") == b":100000\r\n"
    h.run("SET", "c", "3", "EX", "5")
    assert h.run("RENAME", "b", "c") == b"+OK\r\n"  # overwrites, deadline follows b
    assert h.feed(encode("GET", "c") + encode("TTL", "c")) == b"$1\r\n1\r\n:100\r\n"
    h.run("SET", "d", "4")
    assert h.run("RENAMENX", "c", "d") == b":0\r\n"
    assert h.run("RENAMENX", "c", "e") == b":1\r\n"
    assert h.feed(encode("GET", "e") + encode("TTL", "e")) == b"$1\r\n1\r\n:100\r\n"
    h.run("SET", "p", "v")  # no deadline: none after the rename either
    h.run("SET", "q", "w", "EX", "9")
    h.run("RENAME", "p", "q")
    assert h.run("TTL", "q") == b":-1\r\n"


def test_rename_of_an_expired_key(h: Harness, clock: Clock) -> None:
    h.run("SET", "a", "1", "PX", "10")
    clock.t += 10
    assert h.run("RENAME", "a", "b") == b"-ERR no such key\r\n"


def test_rename_moves_the_value_and_touches_it(h: Harness) -> None:
    value = FakeHash({b"f": b"v"})
    db(h).set(b"h", value)
    db(h).access[b"h"] = h.server.keyspace.lru_clock - 30
    assert h.run("RENAME", "h", "g") == b"+OK\r\n"
    assert db(h).data[b"g"] is value
    assert h.run("OBJECT", "IDLETIME", "g") == b":0\r\n"  # a write lookup touches, as Redis


def test_copy(h: Harness) -> None:
    h.run("SET", "a", "1", "EX", "100")
    assert h.run("COPY", "a", "a") == b"-ERR source and destination objects are the same\r\n"
    assert (
        h.run("COPY", "a", "a", "DB", "0")
        == b"-ERR source and destination objects are the same\r\n"
    )
    assert h.run("COPY", "nope", "nope") == b"-ERR source and destination objects are the same\r\n"
    assert h.run("COPY", "a", "b", "DB") == b"-ERR syntax error\r\n"
    assert h.run("COPY", "a", "b", "FOO") == b"-ERR syntax error\r\n"
    assert h.run("COPY", "a", "b", "DB", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert h.run("COPY", "a", "b", "DB", "16") == b"-ERR DB index is out of range\r\n"
    assert h.run("COPY", "a", "b", "DB", "-1") == b"-ERR DB index is out of range\r\n"
    assert h.run("COPY", "a", "b", "DB", "99999999999") == (
        b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    )
    assert h.run("COPY", "nope", "b") == b":0\r\n"
    assert h.run("COPY", "a", "b") == b":1\r\n"
    assert h.feed(encode("GET", "b") + encode("TTL", "b")) == b"$1\r\n1\r\n:100\r\n"
    h.run("SET", "a", "2")
    assert h.run("COPY", "a", "b") == b":0\r\n"
    assert h.run("COPY", "a", "b", "replace") == b":1\r\n"
    assert h.feed(encode("GET", "b") + encode("TTL", "b")) == b"$1\r\n2\r\n:-1\r\n"
    assert h.run("COPY", "a", "a", "DB", "3") == b":1\r\n"
    assert h.run("COPY", "a", "a", "DB", "3") == b":0\r\n"
    assert db(h, 3).data[b"a"] == b"2"
    assert h.run("COPY", "a", "a", "DB", "3", "REPLACE", "DB", "4") == b":1\r\n"  # last DB wins
    assert db(h, 4).data[b"a"] == b"2"


def test_copy_deep_copies_collections(h: Harness) -> None:
    value = FakeHash({b"f": b"v"})
    db(h).set(b"h", value)
    assert h.run("COPY", "h", "g") == b":1\r\n"
    copied = db(h).data[b"g"]
    assert isinstance(copied, FakeHash) and copied is not value and copied.items == value.items
    assert h.run("TYPE", "g") == b"+hash\r\n"


def test_move(h: Harness) -> None:
    h.run("SET", "a", "1", "EX", "100")
    assert h.run("MOVE", "a", "0") == b"-ERR source and destination objects are the same\r\n"
    assert h.run("MOVE", "nope", "0") == b"-ERR source and destination objects are the same\r\n"
    assert h.run("MOVE", "a", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert h.run("MOVE", "a", "16") == b"-ERR DB index is out of range\r\n"
    assert h.run("MOVE", "a", "-1") == b"-ERR DB index is out of range\r\n"
    assert h.run("MOVE", "a", "4294967296") == (
        b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    )
    assert h.run("MOVE", "nope", "1") == b":0\r\n"
    value = FakeHash({})
    db(h, 1).set(b"a", value)
    assert h.run("MOVE", "a", "1") == b":0\r\n"  # present there
    db(h, 1).delete(b"a")
    assert h.run("MOVE", "a", "1") == b":1\r\n"
    assert h.run("EXISTS", "a") == b":0\r\n"
    assert h.feed(encode("SELECT", "1") + encode("GET", "a") + encode("TTL", "a")) == (
        b"+OK\r\n$1\r\n1\r\n:100\r\n"
    )


def test_swapdb(h: Harness) -> None:
    h.run("SET", "a", "0", "EX", "100")
    other = h.connect()
    h.run("SELECT", "1", client=other)
    h.run("SET", "b", "1", client=other)
    assert h.run("SWAPDB", "0", "1") == b"+OK\r\n"
    assert h.feed(encode("GET", "b") + encode("GET", "a")) == b"$1\r\n1\r\n$-1\r\n"
    assert h.feed(encode("GET", "a") + encode("TTL", "a"), other) == b"$1\r\n0\r\n:100\r\n"
    assert h.run("SWAPDB", "0", "0") == b"+OK\r\n"
    assert h.run("SWAPDB", "x", "0") == b"-ERR invalid first DB index\r\n"
    assert h.run("SWAPDB", "0", "x") == b"-ERR invalid second DB index\r\n"
    assert h.run("SWAPDB", "0", "99999999999") == b"-ERR invalid second DB index\r\n"
    assert h.run("SWAPDB", "0", "16") == b"-ERR DB index is out of range\r\n"
    assert h.run("SWAPDB", "-1", "0") == b"-ERR DB index is out of range\r\n"


# -- KEYS SCAN RANDOMKEY DBSIZE FLUSH ------------------------------------------


def test_keys(h: Harness, clock: Clock) -> None:
    for k in (b"", b"a", b"ab", b"b\r\n\x00", b"*"):
        h.run("SET", k, "v")
    assert sorted(array_of(h.run("KEYS", "*"))) == [b"", b"*", b"a", b"ab", b"b\r\n\x00"]
    assert sorted(array_of(h.run("KEYS", "**"))) == [b"*", b"a", b"ab", b"b\r\n\x00"]
    assert sorted(array_of(h.run("KEYS", "a*"))) == [b"a", b"ab"]
    assert array_of(h.run("KEYS", "\\*")) == [b"*"]
    assert array_of(h.run("KEYS", "b??\x00")) == [b"b\r\n\x00"]
    assert array_of(h.run("KEYS", "b?\x00")) == []
    assert array_of(h.run("KEYS", "")) == [b""]
    assert h.run("KEYS", "zz*") == b"*0\r\n"
    h.run("PEXPIRE", "a", "5")
    clock.t += 5
    assert sorted(array_of(h.run("KEYS", "a*"))) == [b"ab"]
    assert len(db(h)) == 5  # KEYS skips expired keys without deleting them


def test_scan_cursor_and_options(h: Harness) -> None:
    assert parse_cursor(b"") == 0
    assert parse_cursor(b"+7") == 7
    assert parse_cursor(b"007") == 7
    assert parse_cursor(b"-1") == 2**64 - 1
    assert parse_cursor(b"18446744073709551615") == 2**64 - 1
    for bad in (b" 0", b"0 ", b"x", b"+", b"-", b"1.0", b"0x10", b"18446744073709551616"):
        with pytest.raises(CommandError):
            parse_cursor(bad)
    assert h.run("SCAN", "x") == b"-ERR invalid cursor\r\n"
    assert h.run("SCAN", "x", "COUNT", "0") == b"-ERR invalid cursor\r\n"
    assert h.run("SCAN", "0", "COUNT", "0") == b"-ERR syntax error\r\n"
    assert h.run("SCAN", "0", "COUNT", "-1") == b"-ERR syntax error\r\n"
    assert h.run("SCAN", "0", "COUNT", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert h.run("SCAN", "0", "MATCH") == b"-ERR syntax error\r\n"
    assert h.run("SCAN", "0", "FOO", "bar") == b"-ERR syntax error\r\n"
    assert h.run("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert h.run("SCAN", "") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert h.run("SCAN") == b"-ERR wrong number of arguments for 'scan' command\r\n"


def test_scan_returns_every_key_once(h: Harness) -> None:
    keys = [b"k%d" % i for i in range(250)] + [b"", b"\r\n", b"\x00\xff"]
    for k in keys:
        h.run("SET", k, "v")
    assert sorted(full_scan(h)) == sorted(keys)
    assert sorted(full_scan(h, "COUNT", "7")) == sorted(keys)
    assert sorted(full_scan(h, "COUNT", "1000")) == sorted(keys)
    assert sorted(full_scan(h, "MATCH", "k1*", "COUNT", "9")) == sorted(
        k for k in keys if k.startswith(b"k1")
    )
    assert sorted(full_scan(h, "MATCH", "*", "COUNT", "9")) == sorted(keys)


def test_scan_guarantee_under_writes(h: Harness) -> None:
    """Keys present for the whole scan are returned while others come and go."""
    stable = [b"s%d" % i for i in range(200)]
    for i, k in enumerate(stable):
        h.run("SET", k, "v")
        h.run("SET", b"t%d" % i, "v")
    deleted: set[bytes] = set()
    seen: list[bytes] = []
    cursor, n = 0, 0
    while True:
        cursor, batch = scan_reply(h.run("SCAN", cursor, "COUNT", "10"))
        assert not deleted & set(batch)  # a key deleted before this call is not returned
        seen.extend(batch)
        if cursor == 0:
            break
        # delete some transient keys, add new ones, rewrite stable ones
        for _ in range(5):
            h.run("DEL", b"t%d" % n)
            deleted.add(b"t%d" % n)
            h.run("SET", b"new%d" % n, "v")
            h.run("SET", stable[n % len(stable)], "again")
            n += 1
    assert n > 50
    assert set(stable) <= set(seen)
    assert len(seen) == len(set(seen))


def test_scan_type_filter(h: Harness) -> None:
    h.run("SET", "s", "v")
    db(h).set(b"h", FakeHash({}))
    db(h).set(b"z", FakeZset())
    assert full_scan(h, "TYPE", "string") == [b"s"]
    assert full_scan(h, "TYPE", "HASH") == [b"h"]
    assert full_scan(h, "TYPE", "zset", "MATCH", "z") == [b"z"]
    assert full_scan(h, "TYPE", "zset", "MATCH", "h") == []
    assert full_scan(h, "TYPE", "nosuchtype") == []


def test_scan_never_returns_expired_keys(h: Harness, clock: Clock) -> None:
    for i in range(30):
        h.run("SET", b"k%d" % i, "v", "PX", "100" if i % 2 else "100000")
    clock.t += 100
    stats = h.server.keyspace.stats
    before = stats.expired_keys
    seen = full_scan(h, "COUNT", "4")
    assert sorted(seen) == sorted(b"k%d" % i for i in range(0, 30, 2))
    assert stats.expired_keys == before + 15  # deleted on the way
    assert len(db(h)) == 15


def test_randomkey(h: Harness, clock: Clock) -> None:
    assert h.run("RANDOMKEY") == b"$-1\r\n"
    h.run("SET", "only", "v")
    assert h.run("RANDOMKEY") == b"$4\r\nonly\r\n"
    for i in range(300):
        h.run("SET", b"e%d" % i, "v", "PX", "10")
    clock.t += 10
    for _ in range(5):
        assert h.run("RANDOMKEY") == b"$4\r\nonly\r\n"
    h.run("DEL", "only")
    assert h.run("RANDOMKEY") == b"$-1\r\n"
    assert len(db(h)) == 0
    h.run("HELLO", "3")
    assert h.run("RANDOMKEY") == b"_\r\n"


def test_dbsize_and_flush(h: Harness) -> None:
    h.feed(encode("SET", "a", "1") + encode("SET", "b", "1"))
    h.run("SET", "c", "1", client=(other := h.connect()))
    h.run("SELECT", "2", client=other)
    h.run("SET", "x", "1", client=other)
    assert h.run("DBSIZE") == b":3\r\n"
    assert h.run("DBSIZE", "x") == b"-ERR wrong number of arguments for 'dbsize' command\r\n"
    assert h.run("FLUSHDB", "now") == b"-ERR syntax error\r\n"
    assert h.run("FLUSHDB", "SYNC", "ASYNC") == b"-ERR syntax error\r\n"
    assert h.run("FLUSHDB", "async") == b"+OK\r\n"
    assert h.run("DBSIZE") == b":0\r\n"
    assert h.run("DBSIZE", client=other) == b":1\r\n"
    assert h.run("FLUSHALL", "x") == b"-ERR syntax error\r\n"
    assert h.run("FLUSHALL", "SYNC") == b"+OK\r\n"
    assert h.run("DBSIZE", client=other) == b":0\r\n"


# -- EXPIRE family, TTL family, PERSIST ----------------------------------------


def test_expire_options(h: Harness, clock: Clock) -> None:
    h.run("SET", "k", "v")
    nx_err = b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    gt_err = b"-ERR GT and LT options at the same time are not compatible\r\n"
    assert h.run("EXPIRE", "k", "10", "NX", "XX") == nx_err
    assert h.run("EXPIRE", "k", "10", "nx", "gt") == nx_err
    assert h.run("EXPIRE", "k", "10", "LT", "NX") == nx_err
    assert h.run("EXPIRE", "k", "10", "GT", "LT") == gt_err
    assert h.run("EXPIRE", "k", "10", "foo") == b"-ERR Unsupported option foo\r\n"
    assert h.run("EXPIRE", "k", "x", "foo") == b"-ERR Unsupported option foo\r\n"
    assert h.run("EXPIRE", "k", "10", "a\r\nb\x00c") == b"-ERR Unsupported option a  b\r\n"
    assert h.run("EXPIRE", "k", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert h.run("EXPIRE", "k") == b"-ERR wrong number of arguments for 'expire' command\r\n"
    # no deadline: XX and GT fail, NX and LT pass
    assert h.run("EXPIRE", "k", "100", "XX") == b":0\r\n"
    assert h.run("EXPIRE", "k", "100", "GT") == b":0\r\n"
    assert h.run("EXPIRE", "k", "100", "LT") == b":1\r\n"
    assert h.run("EXPIRE", "k", "200", "NX") == b":0\r\n"
    assert h.run("PERSIST", "k") == b":1\r\n"
    assert h.run("EXPIRE", "k", "100", "NX") == b":1\r\n"
    assert h.run("EXPIRE", "k", "50", "GT") == b":0\r\n"
    assert h.run("EXPIRE", "k", "100", "GT") == b":0\r\n"
    assert h.run("EXPIRE", "k", "150", "gt") == b":1\r\n"
    assert h.run("EXPIRE", "k", "150", "LT") == b":0\r\n"
    assert h.run("EXPIRE", "k", "120", "LT", "XX") == b":1\r\n"
    assert h.run("TTL", "k") == b":120\r\n"
    assert h.run("EXPIRE", "nope", "100") == b":0\r\n"
    assert h.run("EXPIRE", "nope", "-100") == b":0\r\n"


def test_expire_overflow(h: Harness, clock: Clock) -> None:
    h.run("SET", "k", "v")
    bad = b"-ERR invalid expire time in '%s' command\r\n"
    assert h.run("EXPIRE", "k", "9223372036854776") == bad % b"expire"
    assert h.run("EXPIRE", "k", "9223372036854775") == bad % b"expire"  # + now overflows
    assert h.run("EXPIRE", "k", "-9223372036854776") == bad % b"expire"
    assert h.run("PEXPIRE", "k", "9223372036854775807") == bad % b"pexpire"
    assert h.run("EXPIREAT", "k", "9223372036854776") == bad % b"expireat"
    assert h.run("EXPIRE", "nope", "9223372036854776") == bad % b"expire"  # checked before the key
    assert h.run("PEXPIREAT", "k", "9223372036854775807") == b":1\r\n"
    assert h.run("PEXPIRETIME", "k") == b":9223372036854775807\r\n"
    assert h.run("EXPIRETIME", "k") == b":9223372036854776\r\n"
    assert h.run("EXPIREAT", "k", "9223372036854775") == b":1\r\n"
    assert h.run("PEXPIRETIME", "k") == b":9223372036854775000\r\n"
    assert h.run("PEXPIRE", "k", "-9223372036854775808") == b":1\r\n"  # far past: deleted
    assert h.run("EXISTS", "k") == b":0\r\n"


def test_deadline_in_the_past_deletes(h: Harness, clock: Clock) -> None:
    stats = h.server.keyspace.stats
    for cmd in (
        ("EXPIRE", "k", "0"),
        ("EXPIRE", "k", "-5"),
        ("PEXPIRE", "k", "0"),
        ("EXPIREAT", "k", str(T0 // 1000)),
        ("PEXPIREAT", "k", str(T0)),
        ("PEXPIREAT", "k", "1"),
    ):
        h.run("SET", "k", "v")
        assert h.run(*cmd) == b":1\r\n", cmd
        assert h.run("EXISTS", "k") == b":0\r\n", cmd
    assert stats.expired_keys == 0  # a DEL, not an expiry
    h.run("SET", "k", "v")
    assert h.run("PEXPIREAT", "k", str(T0 + 1)) == b":1\r\n"
    assert h.run("EXISTS", "k") == b":1\r\n"


def test_ttl_family(h: Harness, clock: Clock) -> None:
    assert h.feed(
        encode("TTL", "nope")
        + encode("PTTL", "nope")
        + encode("EXPIRETIME", "nope")
        + encode("PEXPIRETIME", "nope")
    ) == ints(-2, -2, -2, -2)
    h.run("SET", "k", "v")
    assert h.feed(
        encode("TTL", "k")
        + encode("PTTL", "k")
        + encode("EXPIRETIME", "k")
        + encode("PEXPIRETIME", "k")
    ) == ints(-1, -1, -1, -1)
    h.run("PEXPIRE", "k", "10499")
    assert h.feed(
        encode("TTL", "k")
        + encode("PTTL", "k")
        + encode("EXPIRETIME", "k")
        + encode("PEXPIRETIME", "k")
    ) == ints(10, 10499, (T0 + 10499 + 500) // 1000, T0 + 10499)
    clock.t += 1000
    assert h.feed(encode("TTL", "k") + encode("PTTL", "k")) == ints(9, 9499)  # (9499 + 500) // 1000
    h.run("PEXPIRE", "k", "1500")
    assert h.run("TTL", "k") == b":2\r\n"  # rounded to nearest
    clock.t += 1499
    assert h.feed(encode("TTL", "k") + encode("PTTL", "k")) == ints(0, 1)
    clock.t += 1
    assert h.feed(encode("TTL", "k") + encode("PTTL", "k")) == ints(-2, -2)


def test_expireat_sets_an_absolute_deadline(h: Harness, clock: Clock) -> None:
    h.run("SET", "k", "v")
    assert h.run("EXPIREAT", "k", str(T0 // 1000 + 60)) == b":1\r\n"
    assert h.run("PEXPIRETIME", "k") == b":%d\r\n" % (T0 + 60000)
    assert h.run("PEXPIREAT", "k", str(T0 + 1234)) == b":1\r\n"
    assert h.feed(encode("PTTL", "k") + encode("EXPIRETIME", "k")) == ints(
        1234, (T0 + 1734) // 1000
    )


def test_persist(h: Harness, clock: Clock) -> None:
    assert h.run("PERSIST", "nope") == b":0\r\n"
    h.run("SET", "k", "v")
    assert h.run("PERSIST", "k") == b":0\r\n"
    h.run("EXPIRE", "k", "10")
    assert h.run("PERSIST", "k") == b":1\r\n"
    assert h.run("TTL", "k") == b":-1\r\n"
    clock.t += 20_000
    assert h.run("GET", "k") == b"$1\r\nv\r\n"
    h.run("PEXPIRE", "k", "5")
    clock.t += 5
    assert h.run("PERSIST", "k") == b":0\r\n"  # expired first


def test_set_drops_the_deadline(h: Harness) -> None:
    h.run("SET", "k", "v", "EX", "10")
    h.run("SET", "k", "w")
    assert h.run("TTL", "k") == b":-1\r\n"


# -- lazy and active expiry ----------------------------------------------------


def test_lazy_expiry_with_a_fake_clock(h: Harness, clock: Clock) -> None:
    stats = h.server.keyspace.stats
    h.run("SET", "k", "v", "PX", "1000")
    clock.t += 999
    assert h.run("GET", "k") == b"$1\r\nv\r\n"
    assert h.run("EXISTS", "k") == b":1\r\n"
    clock.t += 1
    before = stats.expired_keys
    assert h.run("GET", "k") == b"$-1\r\n"
    assert stats.expired_keys == before + 1
    assert len(db(h)) == 0
    assert db(h).expires == {}


def test_expired_keys_vanish_from_every_command(h: Harness, clock: Clock) -> None:
    probes: list[tuple[tuple[str, ...], bytes]] = [
        (("TYPE", "k"), b"+none\r\n"),
        (("EXISTS", "k"), b":0\r\n"),
        (("TOUCH", "k"), b":0\r\n"),
        (("TTL", "k"), b":-2\r\n"),
        (("PTTL", "k"), b":-2\r\n"),
        (("EXPIRETIME", "k"), b":-2\r\n"),
        (("EXPIRE", "k", "10"), b":0\r\n"),
        (("PERSIST", "k"), b":0\r\n"),
        (("RENAME", "k", "j"), b"-ERR no such key\r\n"),
        (("COPY", "k", "j"), b":0\r\n"),
        (("MOVE", "k", "1"), b":0\r\n"),
        (("OBJECT", "ENCODING", "k"), b"$-1\r\n"),
        (("KEYS", "*"), b"*0\r\n"),
        (("SCAN", "0"), b"*2\r\n$1\r\n0\r\n*0\r\n"),
        (("RANDOMKEY",), b"$-1\r\n"),
    ]
    for cmd, want in probes:
        h.run("SET", "k", "v", "PX", "10")
        clock.t += 10
        assert h.run(*cmd) == want, cmd
        h.run("FLUSHALL")


def test_active_expiry_cycle(h: Harness, clock: Clock) -> None:
    ks = h.server.keyspace
    for i in range(500):
        h.run("SET", b"k%d" % i, "v", "PX", str(1 + i % 5))
    h.run("SET", "keep", "v", "PX", "3")
    h.run("PERSIST", "keep")  # leaves a stale heap entry behind
    h.run("SET", "later", "v", "PX", "2")
    h.run("PEXPIRE", "later", "100000")  # so does a new deadline
    h.run("SELECT", "5")
    h.run("SET", "other", "v", "PX", "1")
    stats = ks.stats
    before = stats.expired_keys
    assert ks.expire_cycle(T0 + 2, 1.0) == 201
    assert ks.expire_cycle(T0 + 10, 1.0) == 300
    assert stats.expired_keys == before + 501
    assert sorted(db(h).data) == [b"keep", b"later"]
    assert len(db(h, 5)) == 0
    h.run("SELECT", "0")
    assert h.run("TTL", "later") == b":100\r\n"
    assert h.run("TTL", "keep") == b":-1\r\n"
    assert ks.expire_cycle(T0 + 10, 1.0) == 0


def test_expire_cycle_stops_at_its_budget(h: Harness, clock: Clock) -> None:
    ks = h.server.keyspace
    d = db(h)
    for i in range(1000):
        d.set(b"k%d" % i, b"v")
        d.set_expire(b"k%d" % i, T0 + 1)
    assert ks.expire_cycle(T0 + 1, 0.0) == 64  # checks the clock every 64 keys
    assert ks.stats.expired_time_cap_reached_count == 1
    assert ks.expire_cycle(T0 + 1, 1.0) == 936


def test_heap_is_rebuilt_when_stale_entries_pile_up(h: Harness) -> None:
    d = db(h)
    d.set(b"k", b"v")
    for i in range(3000):
        d.set_expire(b"k", T0 + i)
    assert len(d.heap) < 2 * len(d.expires) + 1024 + 1
    assert d.expires == {b"k": T0 + 2999}


# -- OBJECT ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoding", "refcount"),
    [
        (b"123", b"int", 2**31 - 1),
        (b"0", b"int", 2**31 - 1),
        (b"9999", b"int", 2**31 - 1),
        (b"10000", b"int", 1),
        (b"-1", b"int", 1),
        (b"-0", b"embstr", 1),
        (b"+1", b"embstr", 1),
        (b" 1", b"embstr", 1),
        (b"007", b"embstr", 1),
        (b"9223372036854775807", b"int", 1),
        (b"-9223372036854775808", b"int", 1),
        (b"9223372036854775808", b"embstr", 1),
        (b"", b"embstr", 1),
        (b"a" * 44, b"embstr", 1),
        (b"a" * 45, b"raw", 1),
    ],
)
def test_object_encoding_and_refcount_of_strings(
    h: Harness, value: bytes, encoding: bytes, refcount: int
) -> None:
    h.run("SET", "k", value)
    assert h.run("OBJECT", "ENCODING", "k") == b"$%d\r\n%s\r\n" % (len(encoding), encoding)
    assert h.run("OBJECT", "REFCOUNT", "k") == b":%d\r\n" % refcount


def test_object_of_collections(h: Harness) -> None:
    db(h).set(b"h", FakeHash({}))
    db(h).set(b"z", FakeZset())
    assert h.run("OBJECT", "ENCODING", "h") == b"$8\r\nlistpack\r\n"
    assert h.run("OBJECT", "ENCODING", "z") == b"$8\r\nskiplist\r\n"
    assert h.run("OBJECT", "REFCOUNT", "h") == b":1\r\n"


def test_object_missing_keys_and_errors(h: Harness) -> None:
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        assert h.run("OBJECT", sub, "nope") == b"$-1\r\n", sub
        assert (
            h.run("OBJECT", sub)
            == b"-ERR wrong number of arguments for 'object|%s' command\r\n" % sub.lower().encode()
        )
    h.run("SET", "k", "v")
    assert h.run("OBJECT", "FREQ", "k") == (
        b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
        b"Please note that when switching between policies at runtime LRU and LFU data "
        b"will take some time to adjust.\r\n"
    )
    assert h.run("OBJECT", "foo") == b"-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    assert h.run("OBJECT") == b"-ERR wrong number of arguments for 'object' command\r\n"
    assert (
        h.run("OBJECT", "HELP", "x")
        == b"-ERR wrong number of arguments for 'object|help' command\r\n"
    )
    h.run("HELLO", "3")
    assert h.run("OBJECT", "ENCODING", "nope") == b"_\r\n"


def test_object_idletime_does_not_touch(h: Harness) -> None:
    ks = h.server.keyspace
    h.run("SET", "k", "v")
    ks.lru_clock += 7
    assert h.run("OBJECT", "IDLETIME", "k") == b":7\r\n"
    ks.lru_clock += 3
    h.run("TYPE", "k")
    h.run("TTL", "k")
    h.run("EXISTS", "k")
    h.run("OBJECT", "ENCODING", "k")
    assert h.run("OBJECT", "IDLETIME", "k") == b":10\r\n"
    h.run("GET", "k")
    assert h.run("OBJECT", "IDLETIME", "k") == b":0\r\n"


def test_object_help(h: Harness) -> None:
    out = h.run("OBJECT", "help")
    assert out.startswith(
        b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    )
    assert out.endswith(b"+HELP\r\n+    Prints this help.\r\n")
    assert len(OBJECT_HELP) == 15


# -- the table -----------------------------------------------------------------


def test_table_rows_as_redis() -> None:
    from cacheserver.commands.keys import make_commands
    from cacheserver.commands.table import Flag

    rows = {r.name: r for r in make_commands()}
    want = {
        b"del": (-2, Flag.WRITE, 1, -1, 1),
        b"unlink": (-2, Flag.WRITE | Flag.FAST, 1, -1, 1),
        b"exists": (-2, Flag.READONLY | Flag.FAST, 1, -1, 1),
        b"type": (2, Flag.READONLY | Flag.FAST, 1, 1, 1),
        b"rename": (3, Flag.WRITE, 1, 2, 1),
        b"renamenx": (3, Flag.WRITE | Flag.FAST, 1, 2, 1),
        b"copy": (-3, Flag.WRITE | Flag.DENYOOM, 1, 2, 1),
        b"move": (3, Flag.WRITE | Flag.FAST, 1, 1, 1),
        b"swapdb": (3, Flag.WRITE | Flag.FAST, 0, 0, 0),
        b"keys": (2, Flag.READONLY, 0, 0, 0),
        b"scan": (-2, Flag.READONLY, 0, 0, 0),
        b"randomkey": (1, Flag.READONLY, 0, 0, 0),
        b"dbsize": (1, Flag.READONLY | Flag.FAST, 0, 0, 0),
        b"flushdb": (-1, Flag.WRITE, 0, 0, 0),
        b"flushall": (-1, Flag.WRITE, 0, 0, 0),
        b"expire": (-3, Flag.WRITE | Flag.FAST, 1, 1, 1),
        b"pexpireat": (-3, Flag.WRITE | Flag.FAST, 1, 1, 1),
        b"ttl": (2, Flag.READONLY | Flag.FAST, 1, 1, 1),
        b"pexpiretime": (2, Flag.READONLY | Flag.FAST, 1, 1, 1),
        b"persist": (2, Flag.WRITE | Flag.FAST, 1, 1, 1),
        b"touch": (-2, Flag.READONLY | Flag.FAST, 1, -1, 1),
        b"object": (-2, Flag(0), 0, 0, 0),
    }
    for name, (arity, flags, first, last, step) in want.items():
        r = rows[name]
        assert (r.arity, r.flags, r.first, r.last, r.step) == (arity, flags, first, last, step), (
            name
        )
    obj = rows[b"object"].subcommands
    assert sorted(obj) == [b"encoding", b"freq", b"help", b"idletime", b"refcount"]
    assert (obj[b"encoding"].arity, obj[b"encoding"].flags, obj[b"encoding"].first) == (
        3,
        Flag.READONLY,
        2,
    )
    assert obj[b"help"].flags == Flag.LOADING | Flag.STALE
    assert "dangerous" in rows[b"keys"].acl_categories()


def test_long_patterns_are_walked_not_compiled(h: Harness) -> None:
    """KEYS, SCAN MATCH and the collection SCANs take patterns of any length
    (a megabyte pattern would take seconds to compile as a regex)."""
    key = b"k" * 3000
    h.run("SET", key, "v")
    h.run("HSET", "h", key, "v")
    h.run("SADD", "s", key)
    h.run("ZADD", "z", "1", key)
    long_hit = b"k" * 2999 + b"?"
    long_miss = b"k" * 3001
    assert h.run("KEYS", long_hit) == b"*1\r\n$3000\r\n" + key + b"\r\n"
    assert h.run("KEYS", long_miss) == b"*0\r\n"
    assert key in h.run("SCAN", "0", "MATCH", long_hit, "COUNT", "100")
    assert key in h.run("HSCAN", "h", "0", "MATCH", long_hit)
    assert key in h.run("SSCAN", "s", "0", "MATCH", long_hit)
    assert key in h.run("ZSCAN", "z", "0", "MATCH", long_hit)
    assert key not in h.run("SSCAN", "s", "0", "MATCH", long_miss)
    assert h.run("KEYS", b"*" * 1_000_000 + b"x") == b"*0\r\n"
