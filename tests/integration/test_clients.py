"""cacheserver driven by real clients: redis-py sync and asyncio, RESP2 and RESP3.

The core tests run against a server on uvloop and one on the plain asyncio
loop (fixture ``loop_server``); connection commands run on the uvloop server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

from helpers import RawClient, ServerThread, encode

PROTOCOLS = [2, 3]
BINARY_VALUES = [
    b"",
    b"\r\n",
    b"\x00",
    b"a\r\nb\x00c\r",
    b"*1\r\n$4\r\nPING\r\n",
    b"PING\r\n",
    b"$-1\r\n",
    bytes(range(256)),
    b"\xff" * 1000 + b"\r\n" * 1000,
]


def connect(st: ServerThread, protocol: int, **kw: object) -> redis.Redis:
    return redis.Redis(host=st.host, port=st.port, protocol=protocol, socket_timeout=10, **kw)  # type: ignore[arg-type]


def aconnect(st: ServerThread, protocol: int, **kw: object) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(
        host=st.host, port=st.port, protocol=protocol, socket_timeout=10, **kw
    )  # type: ignore[arg-type]


@pytest.fixture(params=PROTOCOLS, ids=["resp2", "resp3"])
def c(request: pytest.FixtureRequest, loop_server: ServerThread) -> Iterator[redis.Redis]:
    """A sync client of each protocol on each loop's server, flushed."""
    client = connect(loop_server, request.param)
    client.flushall()
    yield client
    client.close()


# -- core: both event loops, both protocols ----------------------------------------------


def test_basic_commands(c: redis.Redis) -> None:
    assert c.ping() is True
    assert c.echo(b"hi") == b"hi"
    assert c.set("k", "v") is True
    assert c.get("k") == b"v"
    assert c.get("missing") is None
    assert c.exists("k", "missing", "k") == 2
    assert c.delete("k", "missing") == 1
    assert c.set("k", "v", nx=True) is True
    assert c.set("k", "w", nx=True) is None
    assert c.set("k", "w", xx=True, get=True) == b"v"
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get' command"):
        c.execute_command("GET")
    with pytest.raises(redis.ResponseError, match="unknown command 'NOPE'"):
        c.execute_command("NOPE", "x")
    assert c.ping() is True  # errors leave the connection usable


def test_binary_keys_and_values(c: redis.Redis) -> None:
    for i, value in enumerate(BINARY_VALUES):
        key = b"key\r\n\x00" + bytes([i])
        assert c.set(key, value) is True
        assert c.get(key) == value
    assert c.mget([b"key\r\n\x00" + bytes([i]) for i in range(len(BINARY_VALUES))]) == BINARY_VALUES
    assert c.set(b"", b"empty key") is True
    assert c.get(b"") == b"empty key"


def test_bitmap_commands(c: redis.Redis) -> None:
    assert c.setbit("b", 7, 1) == 0
    assert c.setbit("b", 7, 0) == 1
    assert c.setbit("b", 9, 1) == 0
    assert c.getbit("b", 9) == 1
    assert c.get("b") == b"\x00\x40"
    assert c.bitcount("b") == 1
    assert c.bitcount("b", 0, 0) == 0
    assert c.bitcount("b", 8, 9, mode="BIT") == 1
    assert c.bitpos("b", 1) == 9
    assert c.bitpos("b", 0, 1) == 8
    assert c.bitop("NOT", "n", "b") == 2
    assert c.get("n") == b"\xff\xbf"
    assert c.bitop("AND", "a", "b", "n") == 2
    assert c.get("a") == b"\x00\x00"
    fields = c.bitfield("f", default_overflow="SAT")
    fields.set("u8", 0, 250).incrby("u8", 0, 10).overflow("FAIL").incrby("u8", 0, 1)
    assert fields.get("i4", "#1").execute() == [0, 255, None, -1]
    assert c.bitfield_ro("f", "u8", 0, items=[("u4", 4)]) == [255, 15]
    with pytest.raises(redis.ResponseError, match="bit offset is not an integer or out of range"):
        c.setbit("b", -1, 1)
    assert c.ping() is True


def test_sort(c: redis.Redis) -> None:
    c.rpush("ids", 3, 1, 2)
    c.mset({"weight_1": 30, "weight_2": 10, "weight_3": 20})
    c.hset("user:1", "name", "ann")
    c.hset("user:2", "name", "bob")
    assert c.sort("ids") == [b"1", b"2", b"3"]
    assert c.sort("ids", desc=True, start=0, num=2) == [b"3", b"2"]
    assert c.sort("ids", by="weight_*") == [b"2", b"3", b"1"]
    assert c.sort("ids", by="weight_*", get=["#", "user:*->name"]) == [
        b"2",
        b"bob",
        b"3",
        None,
        b"1",
        b"ann",
    ]
    assert c.sort("ids", alpha=True, store="sorted") == 3
    assert c.lrange("sorted", 0, -1) == [b"1", b"2", b"3"]
    assert c.sort_ro("ids", desc=True) == [b"3", b"2", b"1"]
    assert c.sort("ids", get="weight_*", groups=False) == [b"30", b"10", b"20"]


def test_pipeline_of_10000_commands_in_order(c: redis.Redis) -> None:
    pipe = c.pipeline(transaction=False)
    for i in range(5000):
        pipe.set(f"key:{i}", f"value:{i}")
        pipe.get(f"key:{i // 2}")
    replies = pipe.execute()
    assert len(replies) == 10000
    assert replies[0::2] == [True] * 5000
    assert replies[1::2] == [f"value:{i // 2}".encode() for i in range(5000)]
    # Replies that differ in kind and size, still in order.
    pipe = c.pipeline(transaction=False)
    for i in range(10000):
        if i % 3 == 0:
            pipe.echo(b"x" * (i % 700))
        elif i % 3 == 1:
            pipe.get(f"key:{i}")
        else:
            pipe.exists(f"key:{i}", "nope")
    replies = pipe.execute()
    for i, reply in enumerate(replies):
        if i % 3 == 0:
            assert reply == b"x" * (i % 700)
        elif i % 3 == 1:
            assert reply == (f"value:{i}".encode() if i < 5000 else None)
        else:
            assert reply == (1 if i < 5000 else 0)


def test_pipeline_errors_stay_in_place(c: redis.Redis) -> None:
    pipe = c.pipeline(transaction=False)
    pipe.set("a", "1")
    pipe.execute_command("NOPE")
    pipe.get("a")
    pipe.execute_command("SET", "a")
    pipe.echo("end")
    replies = pipe.execute(raise_on_error=False)
    assert replies[0] is True
    assert isinstance(replies[1], redis.ResponseError)
    assert replies[2] == b"1"
    assert isinstance(replies[3], redis.ResponseError)
    assert replies[4] == b"end"


def test_ten_megabyte_value(c: redis.Redis) -> None:
    value = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    assert c.set("big", value) is True
    assert c.get("big") == value
    assert c.strlen("big") == len(value)
    assert c.ping() is True


def test_200_concurrent_asyncio_clients(loop_server: ServerThread) -> None:
    async def main() -> None:
        clients = [aconnect(loop_server, 3 if i % 2 else 2) for i in range(200)]
        try:
            # All connected at once before the work starts.
            assert await asyncio.gather(*(x.ping() for x in clients)) == [True] * 200
            async with aconnect(loop_server, 3) as admin:
                listed = (await admin.execute_command("CLIENT", "LIST")).count(b"\n")
                assert listed >= 201

            async def work(i: int, x: redis.asyncio.Redis) -> None:
                for j in range(5):
                    key, value = f"c{i}:k{j}", f"{i}-{j}-" + "v" * (i * j % 50)
                    assert await x.set(key, value) is True
                    assert await x.get(key) == value.encode()
                assert await x.exists(*(f"c{i}:k{j}" for j in range(5))) == 5

            await asyncio.gather(*(work(i, x) for i, x in enumerate(clients)))
            for i, x in enumerate(clients[:10]):
                assert await x.get(f"c{i}:k4") == f"{i}-4-{'v' * (i * 4 % 50)}".encode()
        finally:
            await asyncio.gather(*(x.aclose() for x in clients))

    with connect(loop_server, 3) as setup:
        setup.flushall()
    asyncio.run(main())


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=["resp2", "resp3"])
def test_asyncio_pipeline_and_binary(loop_server: ServerThread, protocol: int) -> None:
    async def main() -> None:
        async with aconnect(loop_server, protocol) as x:
            await x.flushall()
            pipe = x.pipeline(transaction=False)
            for i in range(10000):
                pipe.echo(f"m{i}")
            assert await pipe.execute() == [f"m{i}".encode() for i in range(10000)]
            for value in BINARY_VALUES:
                assert await x.set(b"bin\x00\r\n", value) is True
                assert await x.get(b"bin\x00\r\n") == value
            assert await x.get("missing") is None

    asyncio.run(main())


# -- connection commands (uvloop server) --------------------------------------------------


def name(x: redis.Redis) -> str | None:
    """CLIENT GETNAME as text (redis-py decodes it under RESP2 only)."""
    v = x.client_getname()
    return v.decode() if isinstance(v, bytes) else v


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=["resp2", "resp3"])
def test_client_setname_getname(server: ServerThread, protocol: int) -> None:
    with connect(server, protocol) as x:
        assert name(x) is None
        assert x.client_setname("conn-a") is True
        assert name(x) == "conn-a"
        with pytest.raises(redis.ResponseError, match="cannot contain spaces"):
            x.client_setname("a b")
        assert name(x) == "conn-a"
        assert x.client_setname("") is True
        assert name(x) is None
    with connect(server, protocol, client_name="named-at-connect") as x:
        assert name(x) == "named-at-connect"


def test_client_id_and_list(server: ServerThread) -> None:
    with connect(server, 2, client_name="two") as a, connect(server, 3, client_name="three") as b:
        ida, idb = a.client_id(), b.client_id()
        assert ida != idb and ida > 0 and idb > 0
        entries = {int(e["id"]): e for e in a.client_list()}
        assert entries[ida]["name"] == "two" and entries[ida]["resp"] == "2"
        assert entries[idb]["name"] == "three" and entries[idb]["resp"] == "3"
        assert entries[ida]["cmd"] == "client|list"
        only = a.client_list(client_id=[idb])
        assert [int(e["id"]) for e in only] == [idb]
        info = b.client_info()
        assert int(info["id"]) == idb and info["name"] == "three"


def test_client_kill(server: ServerThread, r: redis.Redis) -> None:
    victim = RawClient(server.host, server.port)
    other = RawClient(server.host, server.port)
    try:
        vid = int(victim.call("CLIENT", "ID")[1:-2])
        assert r.client_kill_filter(_id=vid) == 1
        assert victim.closed()
        assert all(int(e["id"]) != vid for e in r.client_list())
        assert r.client_kill_filter(_id=vid) == 0
        # The old form takes the address CLIENT LIST shows.
        oid = int(other.call("CLIENT", "ID")[1:-2])
        addr = next(e["addr"] for e in r.client_list() if int(e["id"]) == oid)
        assert r.client_kill(addr) is True
        assert other.closed()
        with pytest.raises(redis.ResponseError, match="No such client"):
            r.client_kill(addr)
    finally:
        victim.close()
        other.close()


def test_client_kill_self_replies_first(server: ServerThread) -> None:
    me = RawClient(server.host, server.port)
    try:
        me.send(encode("CLIENT", "KILL", "SKIPME", "no", "ID", me.call("CLIENT", "ID")[1:-2]))
        assert me.reply() == b":1\r\n"
        assert me.closed()
    finally:
        me.close()


def test_select(server: ServerThread, r: redis.Redis) -> None:
    with connect(server, 3, db=1) as db1, connect(server, 2, db=15) as db15:
        assert r.set("k", "db0") is True
        assert db1.set("k", "db1") is True
        assert db15.get("k") is None
        assert r.get("k") == b"db0"
        assert db1.get("k") == b"db1"
        with pytest.raises(redis.ResponseError, match="DB index is out of range"):
            db1.execute_command("SELECT", 16)
        with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
            db1.execute_command("SELECT", "x")
        assert db1.get("k") == b"db1"  # a failed SELECT keeps the database
        assert db1.execute_command("SELECT", 0) is True
        assert db1.get("k") == b"db0"


def test_hello(server: ServerThread) -> None:
    with connect(server, 3) as x:
        hello = x.execute_command("HELLO")
        assert hello[b"server"] == b"redis" and hello[b"proto"] == 3 and hello[b"modules"] == []
        assert hello[b"id"] == x.client_id()
        assert x.client_info()["resp"] == "3"
    with connect(server, 2) as x:
        assert x.client_info()["resp"] == "2"
        with pytest.raises(redis.ResponseError, match="NOPROTO"):
            x.execute_command("HELLO", "4")
        with pytest.raises(redis.ResponseError, match="Protocol version is not an integer"):
            x.execute_command("HELLO", "three")
    with connect(server, 3, username="default", password="anything") as x:
        assert x.ping() is True
    # On the wire: RESP2 answers HELLO 2 with a flat array, HELLO 3 with a map.
    raw = RawClient(server.host, server.port)
    try:
        assert raw.call("HELLO", "2").startswith(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
        assert raw.call("HELLO", "3", "SETNAME", "raw").startswith(b"%7\r\n$6\r\nserver\r\n")
        assert raw.call("CLIENT", "GETNAME") == b"$3\r\nraw\r\n"
        assert raw.call("GET", "missing") == b"_\r\n"
    finally:
        raw.close()


def test_quit(server: ServerThread) -> None:
    raw = RawClient(server.host, server.port)
    try:
        raw.send(encode("SET", "q", "1") + encode("QUIT") + encode("SET", "q", "2"))
        assert raw.reply() == b"+OK\r\n"
        assert raw.reply() == b"+OK\r\n"
        assert raw.closed()
    finally:
        raw.close()
    with connect(server, 3) as x:
        assert x.get("q") == b"1"  # nothing after QUIT ran
        assert x.execute_command("QUIT") is True
        assert x.ping() is True  # redis-py reconnects

    async def main() -> None:
        async with aconnect(server, 2) as y:
            assert await y.execute_command("QUIT") is True
            assert await y.ping() is True

    asyncio.run(main())
