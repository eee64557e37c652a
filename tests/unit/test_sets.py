"""In-process tests of the set commands and the Set value."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cacheserver.commands.keyspecs import numkeys_keys
from cacheserver.commands.sets import (
    MAX_INTSET_ENTRIES,
    Set,
    _diff,
    is_int,
)
from cacheserver.store.keyspace import Database
from helpers import Clock, Harness, encode

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_POSITIVE = b"-ERR value is out of range, must be positive\r\n"


def db(h: Harness) -> Database:
    return h.client.db


def items(reply: bytes) -> tuple[bytes, list[bytes]]:
    """(type byte, members) of a flat array/set reply."""
    eol = reply.index(b"\r\n")
    pos = eol + 2
    out: list[bytes] = []
    for _ in range(int(reply[1:eol])):
        eol = reply.index(b"\r\n", pos)
        if reply[pos : pos + 1] == b"$":
            n = int(reply[pos + 1 : eol])
            out.append(reply[eol + 2 : eol + 2 + n])
            pos = eol + 4 + n
        else:
            out.append(reply[pos:eol])
            pos = eol + 2
    assert pos == len(reply), reply
    return reply[:1], out


def members(h: Harness, key: str) -> list[bytes]:
    return sorted(items(h.run("SMEMBERS", key))[1])


def big_set(h: Harness, key: bytes, n: int, prefix: bytes = b"m") -> Set:
    """A set of ``n`` members stored directly (faster than SADD for big sets)."""
    s = Set(prefix + b"%d" % i for i in range(n))
    db(h).add(key, s)
    return s


def check_invariants(s: Set) -> None:
    """``arr`` holds every member and every tombstone exactly once."""
    if s.arr is None:
        return
    grave = s.grave or set()
    assert not (grave & s)
    assert Counter(s.arr) == Counter(list(s) + list(grave))


# -- the value ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (b"0", True),
        (b"1", True),
        (b"-1", True),
        (b"9223372036854775807", True),
        (b"-9223372036854775808", True),
        (b"9223372036854775808", False),
        (b"-9223372036854775809", False),
        (b"99999999999999999999", False),
        (b"-0", False),
        (b"007", False),
        (b"+1", False),
        (b" 1", False),
        (b"1 ", False),
        (b"1\n", False),
        (b"1.0", False),
        (b"", False),
        (b"-", False),
        (b"x", False),
    ],
)
def test_is_int_as_string2ll(member: bytes, expected: bool) -> None:
    assert is_int(member) is expected


def test_set_value_type_encoding_copy() -> None:
    s = Set([b"1", b"2"])
    assert s.TYPE == b"set" and s.ENCODING == b"intset"
    assert Set([b"x"]).ENCODING == b"hashtable"
    assert Set().ENCODING == b"intset"
    assert Set(b"%d" % i for i in range(MAX_INTSET_ENTRIES)).ENCODING == b"intset"
    assert Set(b"%d" % i for i in range(MAX_INTSET_ENTRIES + 1)).ENCODING == b"hashtable"
    c = s.copy()
    assert c == s and c is not s and c.__class__ is Set and c.ENCODING == b"intset"
    c.add_all([b"3"])
    assert b"3" not in s
    h = Set([b"1"], ht=True)
    assert h.copy().ENCODING == b"hashtable"


def test_encoding_switch_is_one_way() -> None:
    s = Set()
    assert s.add_all([b"%d" % i for i in range(MAX_INTSET_ENTRIES)]) == MAX_INTSET_ENTRIES
    assert s.ENCODING == b"intset"
    s.add_all([b"0", b"1"])  # not new: no switch
    assert s.ENCODING == b"intset"
    s.add_all([b"512"])
    assert s.ENCODING == b"hashtable"
    s.remove_all([b"%d" % i for i in range(500)])
    assert s.ENCODING == b"hashtable"
    t = Set([b"1"])
    t.add_all([b"x"])
    t.remove_all([b"x"])
    assert t.ENCODING == b"hashtable"
    t.reset([b"5"])  # a fresh set: chosen again
    assert t.ENCODING == b"intset" and t == {b"5"}


def test_random_structure_stays_consistent() -> None:
    rng = random.Random(7)
    s = Set(b"m%d" % i for i in range(300))
    ref = set(s)
    universe = [b"m%d" % i for i in range(600)]
    for step in range(4000):
        op = rng.random()
        if op < 0.3:
            batch = rng.sample(universe, 3)
            assert s.add_all(batch) == len(set(batch) - ref)
            ref.update(batch)
        elif op < 0.6:
            batch = rng.sample(universe, 3)
            assert s.remove_all(batch) == len(set(batch) & ref)
            ref.difference_update(batch)
        elif op < 0.75 and ref:
            m = s.pop_random()
            assert m in ref
            ref.remove(m)
        elif op < 0.85 and ref:
            assert s.random_member() in ref
        elif op < 0.95 and len(ref) > 3:
            k = rng.randrange(1, len(ref))
            got = s.sample(k)
            assert len(got) == k == len(set(got)) and set(got) <= ref
        elif ref:
            got = s.choices(5)
            assert len(got) == 5 and set(got) <= ref
        assert s == ref, step
        check_invariants(s)


def test_draws_are_uniform() -> None:
    s = Set(b"m%d" % i for i in range(200))
    s.random_member()  # builds the member list
    s.remove_all([b"m%d" % i for i in range(0, 200, 2)])  # leaves tombstones in it
    assert s.grave
    counts = Counter(s.random_member() for _ in range(50_000))
    assert set(counts) == set(s)
    assert min(counts.values()) > 300 and max(counts.values()) < 700  # 500 expected
    counts = Counter(s.choices(50_000))
    assert set(counts) == set(s)
    assert min(counts.values()) > 300 and max(counts.values()) < 700


def test_big_set_draws_reuse_the_member_list(h: Harness) -> None:
    """SPOP/SRANDMEMBER on a big set build ``arr`` once, then work in O(count)."""
    s = big_set(h, b"big", 100_000)
    assert h.run("SRANDMEMBER", "big")[:1] == b"$"
    arr = s.arr
    assert arr is not None and len(arr) == 100_000
    for _ in range(50):
        assert h.run("SPOP", "big")[:1] == b"$"
    assert h.run("SREM", "big", "m1", "m2", "m3")[:1] == b":"
    assert items(h.run("SRANDMEMBER", "big", "10"))[0] == b"*"
    assert len(items(h.run("SRANDMEMBER", "big", "-10"))[1]) == 10
    assert len(items(h.run("SPOP", "big", "10"))[1]) == 10
    assert h.run("SADD", "big", "new1", "new2") == b":2\r\n"
    assert s.arr is arr  # never rebuilt: no O(n) step after the first draw
    check_invariants(s)
    assert h.run("SCARD", "big") == b":%d\r\n" % len(s)


def test_small_sets_keep_no_member_list(h: Harness) -> None:
    h.run("SADD", "s", "a", "b", "c")
    for _ in range(10):
        h.run("SRANDMEMBER", "s")
        h.run("SRANDMEMBER", "s", "-3")
        h.run("SRANDMEMBER", "s", "2")
    assert db(h).data[b"s"].arr is None


# -- SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS ---------------------------------


def test_sadd_srem(h: Harness) -> None:
    assert h.run("SADD", "s", "a", "b", "a") == b":2\r\n"
    assert h.run("SADD", "s", "a", "c") == b":1\r\n"
    assert h.run("TYPE", "s") == b"+set\r\n"
    assert h.run("SCARD", "s") == b":3\r\n"
    assert h.run("SREM", "s", "a", "a", "zz") == b":1\r\n"
    assert h.run("SREM", "nope", "a") == b":0\r\n"
    assert members(h, "s") == [b"b", b"c"]
    assert h.run("SREM", "s", "b", "c", "d") == b":2\r\n"
    assert h.run("EXISTS", "s") == b":0\r\n"
    assert h.run("SCARD", "s") == b":0\r\n"


def test_binary_members(h: Harness) -> None:
    odd = [b"", b"\x00", b"a\r\nb", b"\xff\xfe", b"*"]
    assert h.run("SADD", "s", *odd) == b":5\r\n"
    assert members(h, "s") == sorted(odd)
    for m in odd:
        assert h.run("SISMEMBER", "s", m) == b":1\r\n"
    assert h.run("SMISMEMBER", "s", b"", b"\x01", b"a\r\nb") == b"*3\r\n:1\r\n:0\r\n:1\r\n"


def test_sismember_smismember(h: Harness) -> None:
    h.run("SADD", "s", "a")
    assert h.run("SISMEMBER", "s", "a") == b":1\r\n"
    assert h.run("SISMEMBER", "s", "b") == b":0\r\n"
    assert h.run("SISMEMBER", "nope", "a") == b":0\r\n"
    assert h.run("SMISMEMBER", "nope", "a", "b") == b"*2\r\n:0\r\n:0\r\n"
    h.run("HELLO", "3")
    # an array in RESP3 too
    assert h.run("SMISMEMBER", "s", "a", "b") == b"*2\r\n:1\r\n:0\r\n"


def test_smembers_reply_shapes(h: Harness) -> None:
    h.run("SADD", "i", "10", "-2", "3")
    assert h.run("SMEMBERS", "i") == b"*3\r\n$2\r\n-2\r\n$1\r\n3\r\n$2\r\n10\r\n"
    assert h.run("SMEMBERS", "nope") == b"*0\r\n"
    h.run("HELLO", "3")
    assert h.run("SMEMBERS", "i") == b"~3\r\n$2\r\n-2\r\n$1\r\n3\r\n$2\r\n10\r\n"
    assert h.run("SMEMBERS", "nope") == b"~0\r\n"


def test_object_encoding(h: Harness) -> None:
    h.run("SADD", "i", "1", "2")
    assert h.run("OBJECT", "ENCODING", "i") == b"$6\r\nintset\r\n"
    h.run("SADD", "i", "x")
    assert h.run("OBJECT", "ENCODING", "i") == b"$9\r\nhashtable\r\n"
    h.run("SADD", "n", "-0")
    assert h.run("OBJECT", "ENCODING", "n") == b"$9\r\nhashtable\r\n"


def test_dirty_counts_changes(h: Harness) -> None:
    ks = h.server.keyspace
    d0 = ks.dirty
    h.run("SADD", "s", "a", "b", "c")
    assert ks.dirty == d0 + 3
    h.run("SADD", "s", "a")
    assert ks.dirty == d0 + 3
    h.run("SREM", "s", "a", "b", "c")
    assert ks.dirty == d0 + 6


def test_expired_set_is_gone(h: Harness, clock: Clock) -> None:
    h.run("SADD", "s", "a")
    h.run("PEXPIRE", "s", "100")
    assert h.run("SISMEMBER", "s", "a") == b":1\r\n"
    clock.t += 100
    assert h.run("SISMEMBER", "s", "a") == b":0\r\n"
    assert h.run("SADD", "s", "b") == b":1\r\n"
    assert h.run("TTL", "s") == b":-1\r\n"
    assert members(h, "s") == [b"b"]


def test_keyspace_commands_on_sets(h: Harness) -> None:
    h.run("SADD", "s", "1", "x")
    assert h.run("COPY", "s", "c") == b":1\r\n"
    h.run("SADD", "c", "y")
    assert members(h, "s") == [b"1", b"x"]
    assert members(h, "c") == [b"1", b"x", b"y"]
    assert h.run("RENAME", "c", "r") == b"+OK\r\n"
    assert h.run("TYPE", "r") == b"+set\r\n"
    assert h.run("MOVE", "r", "1") == b":1\r\n"
    assert h.run("SCAN", "0", "TYPE", "set") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n"
    assert h.run("DEL", "s") == b":1\r\n"


# -- SPOP ------------------------------------------------------------------------


def test_spop_single(h: Harness) -> None:
    h.run("SADD", "s", "a", "b")
    got = {h.run("SPOP", "s"), h.run("SPOP", "s")}
    assert got == {b"$1\r\na\r\n", b"$1\r\nb\r\n"}
    assert h.run("EXISTS", "s") == b":0\r\n"
    assert h.run("SPOP", "s") == b"$-1\r\n"
    h.run("HELLO", "3")
    assert h.run("SPOP", "s") == b"_\r\n"


def test_spop_count_paths(h: Harness) -> None:
    pool = [b"m%d" % i for i in range(20)]
    h.run("SADD", "s", *pool)
    # few: one by one
    kind, got = items(h.run("SPOP", "s", "3"))
    assert kind == b"*" and len(set(got)) == 3 and set(got) <= set(pool)
    assert h.run("SCARD", "s") == b":17\r\n"
    # most: 17 - 15 = 2 stay (2 * 5 <= 15)
    kind, got2 = items(h.run("SPOP", "s", "15"))
    assert len(set(got2)) == 15 and not set(got2) & set(got)
    assert h.run("SCARD", "s") == b":2\r\n"
    rest = members(h, "s")
    assert set(rest) | set(got) | set(got2) == set(pool)
    # all
    kind, got3 = items(h.run("SPOP", "s", "100"))
    assert sorted(got3) == rest
    assert h.run("EXISTS", "s") == b":0\r\n"
    assert h.run("SPOP", "s", "3") == b"*0\r\n"
    h.run("SADD", "s", "a")
    assert h.run("SPOP", "s", "0") == b"*0\r\n"
    h.run("HELLO", "3")
    assert h.run("SPOP", "s", "0") == b"~0\r\n"
    assert h.run("SPOP", "nope", "2") == b"~0\r\n"
    assert h.run("SPOP", "s", "1") == b"~1\r\n$1\r\na\r\n"


def test_spop_most_reencodes(h: Harness) -> None:
    db(h).add(b"s", Set(b"%d" % i for i in range(600)))
    assert h.run("OBJECT", "ENCODING", "s") == b"$9\r\nhashtable\r\n"
    assert len(items(h.run("SPOP", "s", "599"))[1]) == 599
    assert h.run("OBJECT", "ENCODING", "s") == b"$6\r\nintset\r\n"
    check_invariants(db(h).data[b"s"])


def test_spop_whole_intset_is_sorted(h: Harness) -> None:
    h.run("SADD", "s", "5", "1", "3")
    assert h.run("SPOP", "s", "3") == b"*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n"


def test_spop_errors(h: Harness) -> None:
    h.run("SET", "str", "v")
    h.run("SADD", "s", "a")
    assert h.run("SPOP", "s", "-1") == NOT_POSITIVE
    assert h.run("SPOP", "s", "x") == NOT_POSITIVE
    assert h.run("SPOP", "str", "-1") == NOT_POSITIVE  # the count is checked first
    assert h.run("SPOP", "str") == WRONGTYPE
    assert h.run("SPOP", "str", "1") == WRONGTYPE
    assert h.run("SPOP", "s", "1", "2") == SYNTAX
    assert h.run("SPOP") == b"-ERR wrong number of arguments for 'spop' command\r\n"


# -- SRANDMEMBER -------------------------------------------------------------------


def test_srandmember(h: Harness) -> None:
    pool = [b"m%d" % i for i in range(10)]
    h.run("SADD", "s", *pool)
    assert h.run("SRANDMEMBER", "s")[4:-2] in pool
    for count in (1, 3, 4, 9):
        kind, got = items(h.run("SRANDMEMBER", "s", count))
        assert kind == b"*" and len(got) == len(set(got)) == count and set(got) <= set(pool)
    kind, got = items(h.run("SRANDMEMBER", "s", "10"))
    assert sorted(got) == sorted(pool)
    kind, got = items(h.run("SRANDMEMBER", "s", "-25"))
    assert len(got) == 25 and set(got) <= set(pool)
    assert h.run("SCARD", "s") == b":10\r\n"
    assert h.run("SRANDMEMBER", "s", "0") == b"*0\r\n"
    assert h.run("SRANDMEMBER", "nope", "-5") == b"*0\r\n"
    assert h.run("SRANDMEMBER", "nope") == b"$-1\r\n"
    h.run("HELLO", "3")
    assert h.run("SRANDMEMBER", "nope") == b"_\r\n"
    assert h.run("SRANDMEMBER", "nope", "2") == b"*0\r\n"
    assert items(h.run("SRANDMEMBER", "s", "-2"))[0] == b"*"


def test_srandmember_intset_whole_is_sorted(h: Harness) -> None:
    h.run("SADD", "s", "5", "1", "3")
    assert h.run("SRANDMEMBER", "s", "3") == b"*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n"


def test_srandmember_big_set(h: Harness) -> None:
    big_set(h, b"big", 50_000)
    for count in (5, 1000, 16_000, 17_000, 49_999):
        _, got = items(h.run("SRANDMEMBER", "big", count))
        assert len(got) == len(set(got)) == count
    _, got = items(h.run("SRANDMEMBER", "big", "-100000"))
    assert len(got) == 100_000


def test_srandmember_huge_counts(h: Harness) -> None:
    h.run("SADD", "s", "a")
    assert h.run("SRANDMEMBER", "s", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n"
    )
    assert h.run("SRANDMEMBER", "nope", "-9223372036854775808").startswith(b"-ERR value is out")
    assert h.run("SRANDMEMBER", "nope", "-9223372036854775807") == b"*0\r\n"
    # Redis would try to build this reply and run out of memory: refused here
    big = h.run("SRANDMEMBER", "s", "-9223372036854775807")
    assert big.startswith(b"-ERR count is too large")
    assert h.run("SRANDMEMBER", "s", "-1000001") == big
    # the bound is a setting
    assert h.run("CONFIG", "SET", "random-reply-max-elements", "10") == b"+OK\r\n"
    assert h.run("SRANDMEMBER", "s", "-11") == (
        b"-ERR count is too large: a reply holds at most 10 elements and 268435456 bytes\r\n"
    )
    assert len(items(h.run("SRANDMEMBER", "s", "-10"))[1]) == 10
    h.run("CONFIG", "SET", "random-reply-max-elements", "1000000")
    assert len(items(h.run("SRANDMEMBER", "s", -1000))[1]) == 1000
    # the bound is also in bytes
    h.run("SADD", "fat", b"x" * 1_000_000)
    assert h.run("SRANDMEMBER", "fat", "-300") == big
    # positive counts are bounded by the set
    assert h.run("SRANDMEMBER", "s", "9223372036854775807") == b"*1\r\n$1\r\na\r\n"


def test_srandmember_errors(h: Harness) -> None:
    h.run("SET", "str", "v")
    assert h.run("SRANDMEMBER", "s", "x") == NOT_INT
    assert h.run("SRANDMEMBER", "s", "1.0") == NOT_INT
    assert h.run("SRANDMEMBER", "str", "x") == NOT_INT
    assert h.run("SRANDMEMBER", "str") == WRONGTYPE
    assert h.run("SRANDMEMBER", "str", "2") == WRONGTYPE
    assert h.run("SRANDMEMBER", "s", "1", "2") == SYNTAX


# -- SMOVE -------------------------------------------------------------------------


def test_smove(h: Harness) -> None:
    h.run("SET", "str", "v")
    h.run("SADD", "a", "1", "2")
    h.run("SADD", "b", "x")
    assert h.run("SMOVE", "nope", "str", "1") == b":0\r\n"
    assert h.run("SMOVE", "a", "str", "1") == WRONGTYPE
    assert h.run("SMOVE", "str", "a", "1") == WRONGTYPE
    assert h.run("SMOVE", "a", "a", "1") == b":1\r\n"
    assert h.run("SMOVE", "a", "a", "9") == b":0\r\n"
    assert h.run("SMOVE", "a", "b", "9") == b":0\r\n"
    assert h.run("SMOVE", "a", "b", "1") == b":1\r\n"
    assert members(h, "b") == [b"1", b"x"]
    assert h.run("SMOVE", "b", "b2", "1") == b":1\r\n"
    assert h.run("OBJECT", "ENCODING", "b2") == b"$6\r\nintset\r\n"
    assert h.run("SMOVE", "a", "b", "2") == b":1\r\n"
    assert h.run("EXISTS", "a") == b":0\r\n"
    assert h.run("SCARD", "b") == b":2\r\n"


# -- algebra ---------------------------------------------------------------------


def setup_three(h: Harness) -> None:
    h.run("SADD", "a", "1", "2", "3", "x")
    h.run("SADD", "b", "2", "3", "4", "y")
    h.run("SADD", "c", "3", "x", "y")
    h.run("SET", "str", "v")


def test_sinter_sunion_sdiff(h: Harness) -> None:
    setup_three(h)
    assert sorted(items(h.run("SINTER", "a", "b"))[1]) == [b"2", b"3"]
    assert items(h.run("SINTER", "a", "b", "c"))[1] == [b"3"]
    assert items(h.run("SINTER", "a", "nope"))[1] == []
    assert sorted(items(h.run("SINTER", "a", "a"))[1]) == [b"1", b"2", b"3", b"x"]
    assert sorted(items(h.run("SUNION", "a", "nope", "c"))[1]) == [b"1", b"2", b"3", b"x", b"y"]
    assert sorted(items(h.run("SDIFF", "a", "b"))[1]) == [b"1", b"x"]
    assert items(h.run("SDIFF", "a", "b", "c"))[1] == [b"1"]
    assert items(h.run("SDIFF", "a", "a"))[1] == []
    assert items(h.run("SDIFF", "nope", "a"))[1] == []
    # results that fit an intset come in integer order, as Redis walks its intset
    h.run("SADD", "n1", "10", "9", "-1")
    h.run("SADD", "n2", "100")
    assert h.run("SUNION", "n1", "n2") == (
        b"*4\r\n$2\r\n-1\r\n$1\r\n9\r\n$2\r\n10\r\n$3\r\n100\r\n"
    )
    h.run("HELLO", "3")
    assert h.run("SINTER", "a", "nope") == b"~0\r\n"
    assert h.run("SDIFF", "n1", "n2") == b"~3\r\n$2\r\n-1\r\n$1\r\n9\r\n$2\r\n10\r\n"


def test_wrongtype_after_missing_key(h: Harness) -> None:
    setup_three(h)
    stats = h.server.keyspace.stats
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        assert h.run(cmd, "nope", "str") == WRONGTYPE
        assert h.run(cmd, "a", "str") == WRONGTYPE
        assert h.run(cmd + "STORE", "d", "nope", "str") == WRONGTYPE
    assert h.run("SINTERCARD", "2", "nope", "str") == WRONGTYPE
    # every source is a counted read, also for the STORE forms
    hits, misses = stats.keyspace_hits, stats.keyspace_misses
    h.run("SINTERSTORE", "d", "nope", "a")
    assert (stats.keyspace_hits, stats.keyspace_misses) == (hits + 1, misses + 1)


def test_store_forms(h: Harness) -> None:
    setup_three(h)
    assert h.run("SET", "d", "old", "EX", "100") == b"+OK\r\n"
    assert h.run("SINTERSTORE", "d", "a", "b") == b":2\r\n"
    assert h.run("TYPE", "d") == b"+set\r\n"
    assert h.run("TTL", "d") == b":-1\r\n"
    assert h.run("SUNIONSTORE", "d", "a", "b") == b":6\r\n"
    assert h.run("SDIFFSTORE", "d", "a", "b") == b":2\r\n"
    assert members(h, "d") == [b"1", b"x"]
    assert h.run("SDIFFSTORE", "d", "a", "a") == b":0\r\n"
    assert h.run("EXISTS", "d") == b":0\r\n"
    h.run("SET", "d", "old")
    assert h.run("SINTERSTORE", "d", "a", "nope") == b":0\r\n"
    assert h.run("EXISTS", "d") == b":0\r\n"
    h.run("SET", "d", "old")
    assert h.run("SUNIONSTORE", "d", "nope") == b":0\r\n"
    assert h.run("EXISTS", "d") == b":0\r\n"
    # a source as the destination
    assert h.run("SUNIONSTORE", "a", "a", "c") == b":5\r\n"
    assert members(h, "a") == [b"1", b"2", b"3", b"x", b"y"]
    # the stored value is a set of its own
    assert h.run("SINTERSTORE", "e", "c") == b":3\r\n"
    h.run("SADD", "e", "z")
    assert members(h, "c") == [b"3", b"x", b"y"]


def test_sdiffstore_second_algorithm_encoding(h: Harness) -> None:
    db(h).add(b"a", Set(b"%d" % i for i in range(1, 601)))
    db(h).add(b"b", Set(b"%d" % i for i in range(1, 201)))
    db(h).add(b"c", Set(b"%d" % i for i in range(1001, 1011)))
    assert h.run("SDIFFSTORE", "d1", "a", "b", "c") == b":400\r\n"
    assert h.run("OBJECT", "ENCODING", "d1") == b"$9\r\nhashtable\r\n"
    assert h.run("SDIFFSTORE", "d2", "a", "b") == b":400\r\n"
    assert h.run("OBJECT", "ENCODING", "d2") == b"$6\r\nintset\r\n"


def test_diff_matches_reference() -> None:
    rng = random.Random(3)
    for _ in range(200):
        sets = [
            Set(b"%d" % rng.randrange(60) for _ in range(rng.randrange(0, 80))) for _ in range(4)
        ]
        first, others = sets[0], sets[1:]
        before = set(first)
        want = before.difference(*others)
        got = _diff(first, others)
        assert got == want and got is not first
        assert first == before  # sources untouched


def test_sintercard(h: Harness) -> None:
    setup_three(h)
    db(h).add(b"big1", Set(b"%d" % i for i in range(1000)))
    db(h).add(b"big2", Set(b"%d" % i for i in range(500, 1500)))
    assert h.run("SINTERCARD", "2", "a", "b") == b":2\r\n"
    assert h.run("SINTERCARD", "1", "a") == b":4\r\n"
    assert h.run("SINTERCARD", "2", "a", "nope") == b":0\r\n"
    assert h.run("SINTERCARD", "2", "big1", "big2") == b":500\r\n"
    assert h.run("SINTERCARD", "2", "big1", "big2", "LIMIT", "7") == b":7\r\n"
    assert h.run("SINTERCARD", "2", "big1", "big2", "LIMIT", "0") == b":500\r\n"
    assert h.run("SINTERCARD", "2", "big1", "big2", "LIMIT", "900") == b":500\r\n"
    assert h.run("SINTERCARD", "3", "big1", "big2", "big1", "LIMIT", "3") == b":3\r\n"
    assert h.run("SINTERCARD", "2", "a", "b", b"LIMIT\x00x", "1") == b":1\r\n"
    assert h.run("SINTERCARD", "0", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert h.run("SINTERCARD", "x", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert h.run("SINTERCARD", "3", "a", "b") == (
        b"-ERR Number of keys can't be greater than number of args\r\n"
    )
    assert h.run("SINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    assert h.run("SINTERCARD", "1", "a", "LIMIT", "x") == b"-ERR LIMIT can't be negative\r\n"
    assert h.run("SINTERCARD", "1", "a", "LIMIT") == SYNTAX
    assert h.run("SINTERCARD", "1", "a", "b") == SYNTAX
    assert h.run("SINTERCARD", "1", "str") == WRONGTYPE


def test_sintercard_keys() -> None:
    """SINTERCARD's key finder: Redis's keynum spec, then its atoi fallback."""
    keys = numkeys_keys(b"SINTERCARD")
    assert keys([b"sintercard", b"2", b"a", b"b", b"LIMIT", b"1"]) == [2, 3]
    assert keys([b"sintercard", b"2abc", b"a", b"b"]) == [2, 3]
    for bad in ([b"sintercard", b"0", b"a"], [b"sintercard", b"x"], [b"sintercard", b"3", b"a"]):
        assert keys(bad) == []


# -- SSCAN -------------------------------------------------------------------------


def scan_step(h: Harness, key: str, cursor: bytes, *opts: str) -> tuple[bytes, list[bytes]]:
    reply = h.run("SSCAN", key, cursor, *opts)
    head, _, rest = reply[4:].partition(b"\r\n")
    n = int(head[1:])
    return rest[:n], items(rest[n + 2 :])[1]


def scan_all(h: Harness, key: str, *opts: str) -> tuple[list[bytes], int]:
    out: list[bytes] = []
    cursor = b"0"
    for calls in range(1, 10_000):
        cursor, batch = scan_step(h, key, cursor, *opts)
        out += batch
        if cursor == b"0":
            return out, calls
    raise AssertionError("no end")


def test_sscan_intset_is_whole_and_ordered(h: Harness) -> None:
    h.run("SADD", "i", *[str(n) for n in (30, 1, 20, 2, 10)])
    reply = h.run("SSCAN", "i", "0", "COUNT", "1")
    assert reply == (
        b"*2\r\n$1\r\n0\r\n*5\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n20\r\n$2\r\n30\r\n"
    )
    assert h.run("SSCAN", "i", "999", "COUNT", "1") == reply
    assert h.run("SSCAN", "i", "0", "MATCH", "?0") == (
        b"*2\r\n$1\r\n0\r\n*3\r\n$2\r\n10\r\n$2\r\n20\r\n$2\r\n30\r\n"
    )


def test_sscan_hashtable_pages(h: Harness) -> None:
    pool = [b"m%d" % i for i in range(250)]
    h.run("SADD", "s", *pool)
    found, calls = scan_all(h, "s", "COUNT", "20")
    assert sorted(found) == sorted(pool) and calls > 10
    found, calls = scan_all(h, "s", "MATCH", "m1*", "COUNT", "1000")
    assert sorted(found) == sorted(m for m in pool if m.startswith(b"m1")) and calls == 1


def test_sscan_during_changes(h: Harness) -> None:
    pool = [b"m%d" % i for i in range(100)]
    h.run("SADD", "s", *pool)
    cursor, seen = scan_step(h, "s", b"0", "COUNT", "10")
    gone = [m for m in pool if m not in seen][:30]
    h.run("SREM", "s", *gone)
    h.run("SADD", "s", "new")
    while cursor != b"0":
        cursor, batch = scan_step(h, "s", cursor, "COUNT", "10")
        seen += batch
    # everything present the whole time is returned; removed members are not
    assert set(pool) - set(gone) <= set(seen)
    assert not set(gone) & set(seen)


def test_sscan_errors(h: Harness) -> None:
    h.run("SET", "str", "v")
    h.run("SADD", "s", "a")
    assert h.run("SSCAN", "nope", "0", "FOO") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert h.run("SSCAN", "nope", "x") == b"-ERR invalid cursor\r\n"
    assert h.run("SSCAN", "str", "0", "FOO") == WRONGTYPE
    assert h.run("SSCAN", "s", "0", "COUNT", "0") == SYNTAX
    assert h.run("SSCAN", "s", "0", "COUNT", "x") == NOT_INT
    assert h.run("SSCAN", "s", "0", "COUNT") == SYNTAX
    assert h.run("SSCAN", "s", "0", "TYPE", "set") == SYNTAX
    assert h.run("SSCAN", "s", "0", b"COUNT\x00junk", "5") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"


# -- table ------------------------------------------------------------------------


def test_rows(h: Harness) -> None:
    table = h.server.table
    names = (
        "sadd srem smembers sismember smismember scard spop srandmember smove sinter "
        "sintercard sinterstore sunion sunionstore sdiff sdiffstore sscan"
    ).split()
    for name in names:
        row = table.lookup(name.encode())
        assert row is not None and row.group == "set"
        assert row.doc.upper().startswith(name.upper() + " ")
    assert h.run("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1") == (
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    )


def test_pipelined(h: Harness) -> None:
    out = h.feed(encode("SADD", "p", "1") + encode("SCARD", "p") + encode("SPOP", "p"))
    assert out == b":1\r\n:1\r\n$1\r\n1\r\n"
