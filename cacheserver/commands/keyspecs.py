"""Key-spec flags as Redis 7.0 declares them (``src/commands/*.json``), per
command: what a command does to each key it names, as COMMAND INFO, COMMAND
DOCS and COMMAND GETKEYSANDFLAGS report it.

A command with two specs (the STORE commands, LMOVE, COPY, RENAME...) names
its keys in spec order: the first key is the first spec's, every later key
the last spec's.  Commands Redis 7.0 does not have (the hash-field TTL
family) are absent: their flags are derived from the command's read/write
flags.  ``not_key`` marks the shard channels, which sit where keys would but
are no keys.
"""

from __future__ import annotations

Flags = tuple[bytes, ...]

KEY_SPEC_FLAGS: dict[bytes, tuple[Flags, ...]] = {}


def _spec(names: str, *specs: str) -> None:
    flags = tuple(tuple(f.encode() for f in s.split()) for s in specs)
    for name in names.split():
        KEY_SPEC_FLAGS[name.encode()] = flags


_spec(
    "expiretime get getrange hget hgetall hkeys hmget hrandfield hscan hvals lcs lindex lpos "
    "lrange mget pexpiretime pttl sdiff sinter sintercard smembers smismember srandmember sscan "
    "substr sunion ttl zcount zdiff zinter zintercard zlexcount zmscore zrandmember zrange "
    "zrangebylex zrangebyscore zrank zrevrange zrevrangebylex zrevrangebyscore zrevrank zscan "
    "zscore zunion",
    "RO access",
)
_spec(
    "exists hexists hlen hstrlen llen memory|usage object|encoding object|freq object|idletime "
    "object|refcount scard sismember strlen touch type watch zcard",
    "RO",
)
_spec(
    "blmpop blpop brpop bzmpop bzpopmax bzpopmin getdel lmpop lpop rpop spop zmpop zpopmax zpopmin",
    "RW access delete",
)
_spec(
    "decr decrby getex getset hincrby hincrbyfloat incr incrby incrbyfloat move zincrby",
    "RW access update",
)
_spec("expire expireat hmset hset lset persist pexpire pexpireat setrange zadd", "RW update")
_spec("append hsetnx linsert lpush lpushx rpush rpushx sadd", "RW insert")
_spec("hdel lrem ltrim srem zrem zremrangebylex zremrangebyrank zremrangebyscore", "RW delete")
_spec(
    "sdiffstore sunionstore zdiffstore zinterstore zrangestore zunionstore",
    "OW update",
    "RO access",
)
_spec("sinterstore", "RW update", "RO access")
_spec("blmove brpoplpush lmove rpoplpush smove", "RW access delete", "RW insert")
_spec("mset psetex setex", "OW update")
_spec("msetnx setnx", "OW insert")
_spec("del unlink", "RM delete")
_spec("copy", "RO access", "OW update")
_spec("rename", "RW access delete", "OW update")
_spec("renamenx", "RW access delete", "OW insert")
# SET reads its key only with GET: COMMAND INFO shows the spec with
# variable_flags, GETKEYSANDFLAGS the flags of the call (redis setGetKeys)
_spec("set", "RW access update variable_flags")
_spec("spublish ssubscribe sunsubscribe", "not_key")

# the notes Redis 7.0 gives a key spec (COMMAND INFO and DOCS show them first)
KEY_SPEC_NOTES: dict[bytes, bytes] = {
    b"set": b"RW and ACCESS due to the optional `GET` argument",
    b"getex": b"RW and UPDATE because it changes the TTL",
}

_SET_PLAIN: Flags = (b"OW", b"update")
_SET_GET: Flags = (b"RW", b"access", b"update")


def declared(name: bytes) -> Flags | None:
    """The first spec's flags of ``name`` (COMMAND INFO's one spec), if declared."""
    specs = KEY_SPEC_FLAGS.get(name)
    return None if specs is None else specs[0]


def of_key(name: bytes, index: int, args: list[bytes]) -> Flags | None:
    """The flags of the ``index``-th key that ``args`` (the command and its
    arguments) name, as GETKEYSANDFLAGS reports them; None if not declared."""
    if name == b"set":
        return _SET_GET if any(a.lower() == b"get" for a in args[3:]) else _SET_PLAIN
    specs = KEY_SPEC_FLAGS.get(name)
    if specs is None:
        return None
    return specs[min(index, len(specs) - 1)]


def not_key(name: bytes) -> bool:
    """The command's "keys" are shard channels (GETKEYS: no key arguments)."""
    specs = KEY_SPEC_FLAGS.get(name)
    return specs is not None and specs[0] == (b"not_key",)
