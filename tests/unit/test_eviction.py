"""maxmemory in process: policies, -OOM, LFU counters, eviction signals,
lazy freeing in steps, the hooks for MULTI and the memcached listener."""

from __future__ import annotations

import random

import pytest

from cacheserver.commands.table import Command
from cacheserver.memory import make_room, must_refuse_oom
from cacheserver.store.keyspace import NOTIFY_EVICTED, Database
from cacheserver.store.lfu import LFU_INIT_VAL, Lfu, LfuAccess, counter_of, lfu_mark
from helpers import Harness, memory_problems

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def db0(h: Harness) -> Database:
    return h.server.keyspace.dbs[0]


def fill(h: Harness, prefix: str, n: int, size: int = 32) -> None:
    for i in range(n):
        h.run("SET", f"{prefix}{i}", "v" * size)


def limit_to(h: Harness, keep: int) -> None:
    """Set maxmemory so that about ``keep`` bytes of the current data must go."""
    mem = h.server.memory
    mem.refresh()
    h.run("CONFIG", "SET", "maxmemory", str(mem.used_memory() - keep))


def settle(h: Harness) -> None:
    """Run commands until eviction has caught up (one command evicts for at most
    maxmemory-eviction-tenacity's time; a running server goes on in the background)."""
    ks = h.server.keyspace
    for _ in range(1000):
        h.run("PING")
        if ks.used <= ks.budget:
            return


def used_memory(h: Harness) -> int:
    """As INFO reports it (measuring first, and evicting if the measure says so)."""
    return h.server.memory.measure()


@pytest.fixture(autouse=True)
def seeded(h: Harness) -> None:
    random.seed(20261127)
    # evict to the end within each command (a loaded machine must not turn a
    # refusal into "still evicting")
    h.run("CONFIG", "SET", "maxmemory-eviction-tenacity", "100")


# -- -OOM under noeviction ------------------------------------------------------


def test_noeviction_refuses_growing_commands_only(h: Harness) -> None:
    fill(h, "k", 50)
    h.run("CONFIG", "SET", "maxmemory", "1")
    assert h.run("SET", "x", "y") == OOM
    assert h.run("LPUSH", "l", "a") == OOM
    assert h.run("INCR", "n") == OOM
    assert h.run("GET", "k1") == b"$32\r\n" + b"v" * 32 + b"\r\n"  # reads work
    assert h.run("DEL", "k1") == b":1\r\n"  # so do deletes
    assert h.run("EXPIRE", "k2", "100") == b":1\r\n"  # not DENYOOM
    assert h.run("DBSIZE") == b":49\r\n"
    stats = h.run("INFO", "stats")
    assert b"evicted_keys:0\r\n" in stats
    assert b"errorstat_OOM:count=3" in h.run("INFO", "errorstats")
    assert b"cmdstat_set:calls=50,usec=" in h.run("INFO", "commandstats")
    assert b"rejected_calls=1" in h.run("INFO", "commandstats")
    h.run("CONFIG", "SET", "maxmemory", "0")
    assert h.run("SET", "x", "y") == b"+OK\r\n"


def test_a_value_bigger_than_maxmemory(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory", "100kb")
    assert h.run("SET", "big", "x" * 200_000) == b"+OK\r\n"  # under the limit before it ran
    assert h.run("SET", "small", "y") == OOM
    assert h.run("DEL", "big") == b":1\r\n"
    assert h.run("SET", "small", "y") == b"+OK\r\n"
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    h.run("SET", "big", "x" * 200_000)
    assert h.run("SET", "small2", "y") == b"+OK\r\n"  # the big one was evicted first
    assert h.run("EXISTS", "big") == b":0\r\n"


# -- policies -------------------------------------------------------------------


def test_allkeys_lru_evicts_the_idle(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    ks = h.server.keyspace
    fill(h, "old", 300)
    ks.lru_clock += 100
    fill(h, "new", 300)
    limit_to(h, 100 * 100)
    settle(h)  # the check before each command evicts
    data = db0(h).data
    gone_old = sum(f"old{i}".encode() not in data for i in range(300))
    gone_new = sum(f"new{i}".encode() not in data for i in range(300))
    assert gone_old > 50 and gone_new == 0
    assert used_memory(h) <= h.server.memory.maxmemory
    assert memory_problems(h.server) == []


def test_a_clock_before_the_lru_epoch_still_evicts(h: Harness) -> None:
    # marks never go negative (a gone key's draw scores -1, below every mark)
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    ks = h.server.keyspace
    ks.lru_clock = 86400  # 1970-01-02
    fill(h, "k", 400)
    limit_to(h, 200 * 100)
    settle(h)
    assert ks.stats.evicted_keys > 100
    assert used_memory(h) <= h.server.memory.maxmemory
    assert memory_problems(h.server) == []


def test_allkeys_lfu_keeps_the_frequent(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    fill(h, "hot", 200)
    for _ in range(20):
        for i in range(200):
            h.run("GET", f"hot{i}")
    fill(h, "cold", 200)
    limit_to(h, 80 * 100)
    settle(h)
    data = db0(h).data
    assert all(f"hot{i}".encode() in data for i in range(200))
    assert sum(f"cold{i}".encode() not in data for i in range(200)) > 40


def test_lru_and_lfu_disagree_on_the_same_workload(h: Harness) -> None:
    """Keys read often a while ago against keys read once just now."""
    survivors = {}
    for policy in ("allkeys-lru", "allkeys-lfu"):
        h.run("FLUSHALL")
        h.run("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", policy)
        ks = h.server.keyspace
        fill(h, "often", 150)
        for _ in range(20):
            for i in range(150):
                h.run("GET", f"often{i}")
        ks.lru_clock += 30
        fill(h, "once", 150)
        limit_to(h, 60 * 100)
        settle(h)
        data = db0(h).data
        survivors[policy] = (
            sum(f"often{i}".encode() in data for i in range(150)),
            sum(f"once{i}".encode() in data for i in range(150)),
        )
        h.run("CONFIG", "SET", "maxmemory", "0")
        ks.lru_clock -= 30
    often, once = survivors["allkeys-lru"]
    assert often < 150 and once == 150  # LRU: the idle go, however often they were read
    often, once = survivors["allkeys-lfu"]
    assert often == 150 and once < 150  # LFU: the rarely read go, however recent


def test_volatile_ttl_evicts_the_nearest_deadline(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
    fill(h, "keep", 100)  # no TTL: never evicted
    for i in range(100):
        h.run("SET", f"soon{i}", "v" * 32, "EX", 100 + i)
        h.run("SET", f"late{i}", "v" * 32, "EX", 100_000 + i)
    limit_to(h, 40 * 100)
    settle(h)
    data = db0(h).data
    assert all(f"keep{i}".encode() in data for i in range(100))
    assert all(f"late{i}".encode() in data for i in range(100))
    gone = [i for i in range(100) if f"soon{i}".encode() not in data]
    assert len(gone) > 10
    # sampled, so not exactly the first ones, but the nearest go first
    assert sum(gone) / len(gone) < 50


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_spare_keys_without_ttl(h: Harness, policy: str) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", policy)
    fill(h, "keep", 100)
    for i in range(50):
        h.run("SET", f"vol{i}", "v" * 32, "PX", 1_000_000)
    limit_to(h, 20 * 100)
    settle(h)
    data = db0(h).data
    assert all(f"keep{i}".encode() in data for i in range(100))
    assert sum(f"vol{i}".encode() in data for i in range(50)) < 50
    # nothing volatile left to evict: writes are refused
    h.run("CONFIG", "SET", "maxmemory", "1")
    assert h.run("SET", "x", "y") == OOM
    assert sum(f"vol{i}".encode() in data for i in range(50)) == 0
    assert len(data) == 100


def test_allkeys_random(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    fill(h, "k", 300)
    h.run("SELECT", "3")
    fill(h, "other", 100)  # every database gives up keys in turn
    limit_to(h, 100 * 100)
    settle(h)
    ks = h.server.keyspace
    assert len(ks.dbs[0].data) < 300 and len(ks.dbs[3].data) < 100
    assert ks.stats.evicted_keys == 400 - len(ks.dbs[0].data) - len(ks.dbs[3].data)
    assert used_memory(h) <= h.server.memory.maxmemory


def test_collections_are_evicted_whole(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    for i in range(20):
        h.run("HSET", f"h{i}", *[x for j in range(20) for x in (f"f{j}", "v" * 20)])
        h.run("RPUSH", f"l{i}", *["e" * 30] * 20)
    limit_to(h, 10_000)
    settle(h)
    assert h.server.keyspace.stats.evicted_keys > 0
    assert memory_problems(h.server) == []


def test_write_storm_stays_under_maxmemory(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "allkeys-lru")
    for i in range(40_000):  # about 10 MB of distinct keys
        h.run("SET", f"key:{i}", "v" * 200)
        if not i % 5000:
            settle(h)
            assert used_memory(h) <= 1024 * 1024
    settle(h)
    assert used_memory(h) <= 1024 * 1024
    assert h.server.keyspace.stats.evicted_keys > 30_000
    assert memory_problems(h.server) == []


# -- signals and counters ----------------------------------------------------------


def test_eviction_is_a_change_signal(h: Harness) -> None:
    ks = h.server.keyspace
    events: list[tuple[int, int, bytes, bytes]] = []
    modified: list[bytes] = []
    ks.set_notify(NOTIFY_EVICTED, lambda db, cls, event, key: events.append((db.id, cls, event, key)))
    ks.add_modified_hook(lambda db, key: modified.append(key))
    h.run("SET", "a", "1")
    h.run("CONFIG", "SET", "maxmemory", "1", "maxmemory-policy", "allkeys-random")
    h.run("GET", "a")
    assert events == [(0, NOTIFY_EVICTED, b"evicted", b"a")]
    assert modified[-1] == b"a"


def test_unfetched_counters(h: Harness) -> None:
    """memcached's evicted_unfetched and expired_unfetched: gone without a read since written."""
    ks = h.server.keyspace
    now = 1_700_000_000_000
    h.server.clock = lambda: now
    h.run("SET", "read", "1", "PX", 100)
    h.run("SET", "unread", "1", "PX", 100)
    h.run("GET", "read")
    now += 1000
    h.run("GET", "read")
    h.run("GET", "unread")
    assert ks.stats.expired_keys == 2 and ks.stats.expired_unfetched == 1
    h.run("SET", "r", "1")
    h.run("SET", "u", "1")
    h.run("GET", "r")
    h.run("SET", "r2", "1")
    h.run("GET", "r2")
    h.run("SET", "r2", "2")  # written again: unfetched again
    h.run("CONFIG", "SET", "maxmemory", "1", "maxmemory-policy", "allkeys-random")
    h.run("PING")
    assert ks.stats.evicted_keys == 3 and ks.stats.evicted_unfetched == 2


def test_info_stats_and_memory_fields(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lfu")
    fill(h, "k", 10)
    info = h.run("INFO", "memory").decode()
    assert "maxmemory:10485760\r\n" in info and "maxmemory_human:10.00M\r\n" in info
    assert "maxmemory_policy:allkeys-lfu\r\n" in info
    assert "lazyfree_pending_objects:0\r\n" in info
    fields = dict(line.split(":", 1) for line in info.split("\r\n")[1:] if ":" in line)
    used = int(fields["used_memory"])
    assert used == int(fields["used_memory_overhead"]) + int(fields["used_memory_dataset"])
    assert int(fields["used_memory_peak"]) >= used
    stats = h.run("INFO", "stats").decode()
    assert "total_eviction_exceeded_time:0\r\n" in stats


# -- LFU -----------------------------------------------------------------------------


def test_lfu_counter() -> None:
    lfu = Lfu(log_factor=10, decay_time=1)
    access = LfuAccess(lfu)
    access[b"k"] = 0
    assert counter_of(lfu, access[b"k"]) == LFU_INIT_VAL
    access[b"k"] = 1  # the first access after the initial value always counts
    assert counter_of(lfu, access[b"k"]) == LFU_INIT_VAL + 1
    assert access[b"k"] & 1  # read since written
    for _ in range(10_000):
        access[b"k"] = 1
    counter = counter_of(lfu, access[b"k"])
    # redis.conf: factor 10 reads 18 after 1,000 hits, 142 after 100,000
    assert 30 < counter < 100
    # decay: one per lfu-decay-time minutes since the mark
    lfu.set_minutes(lfu.minutes + 3)
    assert counter_of(lfu, access[b"k"]) == counter - 3
    lfu.decay_time = 0
    assert counter_of(lfu, access[b"k"]) == counter
    assert counter_of(lfu, lfu_mark(lfu, 255, 0)) == 255


def test_object_freq_and_idletime_follow_the_policy(h: Harness) -> None:
    h.run("SET", "k", "v")
    h.server.keyspace.lru_clock += 7
    assert h.run("OBJECT", "IDLETIME", "k") == b":7\r\n"
    assert h.run("OBJECT", "FREQ", "k").startswith(b"-ERR An LFU maxmemory policy is not selected")
    h.run("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
    assert h.run("OBJECT", "IDLETIME", "k").startswith(b"-ERR An LFU maxmemory policy is selected")
    h.run("SET", "n", "v")
    assert h.run("OBJECT", "FREQ", "n") == b":5\r\n"
    h.run("GET", "n")
    assert h.run("OBJECT", "FREQ", "n") == b":6\r\n"
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    h.run("GET", "n")
    assert h.run("OBJECT", "IDLETIME", "n") == b":0\r\n"


# -- lazy freeing ---------------------------------------------------------------------


def test_unlink_frees_a_big_value_in_steps(h: Harness) -> None:
    ks = h.server.keyspace
    for i in range(0, 60_000, 1000):
        h.run("HSET", "big", *[x for j in range(i, i + 1000) for x in (f"f{j}", "v")])
        h.run("ZADD", "bigz", *[x for j in range(i, i + 1000) for x in (str(j), f"m{j}")])
    before = ks.used
    assert h.run("UNLINK", "big", "bigz") == b":2\r\n"
    q = ks.lazyfree
    assert len(q) == 2 and q.pending_bytes > 0
    assert ks.used < before and memory_problems(h.server) == []
    info = h.run("INFO", "memory")
    assert b"lazyfree_pending_objects:2\r\n" in info
    steps = q.steps
    while q.drain(0.0):  # the smallest slices: one chunk each
        pass
    assert q.steps - steps > 50  # 120,000 elements in chunks of 1024
    assert q.pending_bytes == 0 and q.lazyfreed_objects == 2
    assert b"lazyfreed_objects:2\r\n" in h.run("INFO", "memory")


def test_del_of_a_small_value_frees_at_once(h: Harness) -> None:
    h.run("RPUSH", "l", *["x"] * 100)
    h.run("DEL", "l")  # lazyfree-lazy-user-del is off
    assert len(h.server.keyspace.lazyfree) == 0
    h.run("RPUSH", "l", *["x"] * 100)
    h.run("CONFIG", "SET", "lazyfree-lazy-user-del", "yes")
    h.run("DEL", "l")
    assert len(h.server.keyspace.lazyfree) == 1


def test_huge_values_are_freed_in_steps_whatever_the_settings(h: Harness) -> None:
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    for i in range(0, 20_000, 1000):
        h.run("SADD", "huge", *[f"m{j}" for j in range(i, i + 1000)])
    h.run("CONFIG", "SET", "maxmemory", "1")
    h.run("PING")  # evicts it: too big to free inside one command
    assert h.server.keyspace.stats.evicted_keys == 1
    assert len(h.server.keyspace.lazyfree) == 1


def test_an_overwrite_frees_a_huge_old_value_in_steps(h: Harness) -> None:
    """What lets SET, SETEX and PSETEX be timed in runs (table.BRIEF): the
    value they drop is freed at once only when it is small."""
    for cmd in (("SET", "k", "v"), ("SETEX", "k", "10", "v"), ("PSETEX", "k", "10000", "v")):
        for i in range(0, 10_000, 1000):
            h.run("SADD", "k", *[f"m{j}" for j in range(i, i + 1000)])
        before = len(h.server.keyspace.lazyfree)
        assert h.run(*cmd) == b"+OK\r\n"
        assert len(h.server.keyspace.lazyfree) == before + 1
        h.run("DEL", "k")


def test_flushall_async_and_flushdb_async(h: Harness) -> None:
    ks = h.server.keyspace
    fill(h, "a", 3000)
    h.run("SELECT", "1")
    fill(h, "b", 3000)
    assert h.run("FLUSHDB", "ASYNC") == b"+OK\r\n"  # other keys remain: counted out as freed
    assert ks.lazyfree.counted == 1
    ks.lazyfree.drain_all()
    assert memory_problems(h.server) == []
    assert h.run("FLUSHALL", "ASYNC") == b"+OK\r\n"
    assert ks.used == 0 and ks.lazyfree.pending_bytes > 0
    ks.lazyfree.drain_all()
    assert ks.lazyfree.pending_bytes == 0
    h.run("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes")
    fill(h, "c", 100)
    h.run("FLUSHALL")
    assert len(ks.lazyfree) == 1
    assert h.run("FLUSHALL", "SYNC") == b"+OK\r\n"


# -- hooks for MULTI and for the memcached listener --------------------------------


def _row(h: Harness, name: bytes) -> Command:
    row = h.server.table.lookup(name)
    assert row is not None
    return row


def test_must_refuse_oom(h: Harness) -> None:
    c = h.client
    assert must_refuse_oom(c, _row(h, b"set")) is None  # no maxmemory
    h.run("SET", "k", "v")
    h.run("CONFIG", "SET", "maxmemory", "1")
    assert must_refuse_oom(c, _row(h, b"set")) == OOM
    assert must_refuse_oom(c, _row(h, b"get")) is None
    # inside MULTI everything but EXEC, DISCARD, QUIT and RESET is refused
    h.run("MULTI")
    assert must_refuse_oom(c, _row(h, b"get")) == OOM
    assert must_refuse_oom(c, _row(h, b"ping")) == OOM
    assert must_refuse_oom(c, _row(h, b"quit")) is None
    assert h.run("EXEC").startswith(b"-EXECABORT Transaction discarded because of previous errors")
    # EXEC of a transaction that queued a DENYOOM command
    assert must_refuse_oom(c, _row(h, b"ping"), denyoom=True) == OOM
    assert _row(h, b"set").rejected_calls == 1


def test_make_room(h: Harness) -> None:
    srv = h.server
    assert make_room(srv)
    h.run("SET", "k", "v")
    h.run("CONFIG", "SET", "maxmemory", "1")
    assert not make_room(srv)  # noeviction: SERVER_ERROR out of memory storing object
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    assert not make_room(srv)  # evicts everything, still over
    assert srv.keyspace.stats.evicted_keys == 1
    h.run("CONFIG", "SET", "maxmemory", "1mb")
    assert make_room(srv)


def test_config_changes_take_effect(h: Harness) -> None:
    mem = h.server.memory
    h.run("CONFIG", "SET", "maxmemory", "2mb", "maxmemory-samples", "10")
    assert mem.maxmemory == h.server.maxmemory == 2 * 1024 * 1024
    assert mem.evictor.samples == 10
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    assert db0(h).keys is not None  # the eviction sample list is kept now
    h.run("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
    assert db0(h).keys is None
    h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu", "lfu-log-factor", "3")
    assert h.server.keyspace.lfu is not None and h.server.keyspace.lfu.log_factor == 3
    assert isinstance(db0(h).access, LfuAccess)
    h.run("CONFIG", "SET", "maxmemory-policy", "noeviction")
    assert h.server.keyspace.lfu is None and type(db0(h).access) is dict
    assert h.run("CONFIG", "SET", "maxmemory-eviction-tenacity", "100") == b"+OK\r\n"


# -- a random workload across policies ------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_random_workload_keeps_the_books(h: Harness, seed: int) -> None:
    """Writes, deletes, moves, flushes and policy changes at random under
    changing limits: no internal error, and the books always balance."""
    from cacheserver.store.eviction import POLICIES

    rnd = random.Random(seed)
    now = [1_700_000_000_000]
    h.server.clock = lambda: now[0]
    h.run("CONFIG", "SET", "maxmemory-eviction-tenacity", "10")
    for step in range(4000):
        r = rnd.random()
        k = f"k{rnd.randrange(300)}"
        if r < 0.3:
            cmd: tuple[str, ...] = ("SET", k, "v" * rnd.randrange(1, 200))
        elif r < 0.4:
            cmd = ("SET", k, "v", "PX", str(rnd.randrange(1, 5000)))
        elif r < 0.5:
            cmd = ("GET", k)
        elif r < 0.55:
            cmd = ("HSET", "h" + k, f"f{rnd.randrange(50)}", "x" * rnd.randrange(80))
        elif r < 0.6:
            cmd = ("RPUSH", "l" + k, *["e"] * rnd.randrange(1, 20))
        elif r < 0.65:
            cmd = ("ZADD", "z" + k, str(rnd.random()), f"m{rnd.randrange(100)}")
        elif r < 0.7:
            cmd = ("SADD", "s" + k, *[f"m{rnd.randrange(100)}" for _ in range(rnd.randrange(1, 5))])
        elif r < 0.73:
            cmd = ("DEL", k)
        elif r < 0.75:
            cmd = ("SELECT", str(rnd.randrange(3)))
        elif r < 0.76:
            cmd = ("CONFIG", "SET", "maxmemory-policy", rnd.choice(POLICIES))
        elif r < 0.77:
            cmd = ("CONFIG", "SET", "maxmemory", str(rnd.choice([0, 1, 50_000, 100_000, 300_000])))
        elif r < 0.78:
            cmd = ("UNLINK", "h" + k, "l" + k)
        elif r < 0.785:
            cmd = ("FLUSHDB", rnd.choice(["ASYNC", "SYNC"]))
        elif r < 0.79:
            cmd = ("SWAPDB", "0", str(rnd.randrange(1, 3)))
        elif r < 0.80:
            cmd = ("MOVE", k, str(rnd.randrange(3)))
        elif r < 0.81:
            cmd = ("RENAME", k, f"k{rnd.randrange(300)}")
        elif r < 0.82:
            cmd = ("OBJECT", rnd.choice(["FREQ", "IDLETIME"]), k)
        elif r < 0.83:
            cmd = ("MEMORY", "USAGE", rnd.choice([k, "h" + k, "z" + k]))
        else:
            cmd = ("INFO", "memory")
        assert b"internal error" not in h.run(*cmd), cmd
        if not step % 10:
            assert memory_problems(h.server) == [], (step, cmd)
        if not step % 400:
            now[0] += rnd.randrange(0, 3000)
            h.server.keyspace.lru_clock += rnd.randrange(0, 3)
            h.server.memory.cron()
    h.server.keyspace.lazyfree.drain_all()
    assert memory_problems(h.server) == []
