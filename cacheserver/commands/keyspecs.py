"""Key specs as Redis 7.0 declares them (``src/commands/*.json``), per
command: where its keys are and what it does to each, as COMMAND INFO,
COMMAND DOCS, COMMAND GETKEYS and GETKEYSANDFLAGS report them.

A key spec is a begin_search (the index of the first key) and a find_keys:
a ``range`` (a last key relative to the first or, negative, to the end,
with a step) or a ``keynum`` (a numkeys argument, then that many keys).
The specs of a command with fixed key positions come from its row (first,
last, step): with two spec flags declared (the STORE commands, LMOVE, COPY,
RENAME...) the first key is the first spec's, every later key the last
spec's.  The commands whose keys follow a numkeys argument (ZUNIONSTORE,
LMPOP...) declare their numkeys index here (``NUMKEYS``).

Commands Redis 7.0 does not have (the hash-field TTL family) are absent:
their flags are derived from the command's read/write flags.  ``not_key``
marks the shard channels, which sit where keys would but are no keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.table import READONLY, WRITE
from protocol.resp import string2ll

if TYPE_CHECKING:
    from cacheserver.commands.table import Command, GetKeys

Flags = tuple[bytes, ...]

KEY_SPEC_FLAGS: dict[bytes, tuple[Flags, ...]] = {}


def _spec(names: str, *specs: str) -> None:
    flags = tuple(tuple(f.encode() for f in s.split()) for s in specs)
    for name in names.split():
        KEY_SPEC_FLAGS[name.encode()] = flags


_spec(
    "bitcount bitfield_ro bitpos expiretime get getbit getrange hget hgetall hkeys hmget "
    "hrandfield hscan hvals lcs lindex lpos lrange mget pexpiretime pttl sdiff sinter "
    "sintercard smembers smismember srandmember sscan substr sunion ttl zcount zdiff zinter "
    "zintercard zlexcount zmscore zrandmember zrange zrangebylex zrangebyscore zrank "
    "zrevrange zrevrangebylex zrevrangebyscore zrevrank zscan zscore zunion",
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
    "decr decrby getex getset hincrby hincrbyfloat incr incrby incrbyfloat move setbit zincrby",
    "RW access update",
)
_spec("expire expireat hmset hset lset persist pexpire pexpireat setrange zadd", "RW update")
_spec("append hsetnx linsert lpush lpushx pfadd rpush rpushx sadd", "RW insert")
_spec("pfcount", "RW access")
_spec("pfmerge", "RW access insert", "RO access")
_spec("hdel lrem ltrim srem zrem zremrangebylex zremrangebyrank zremrangebyscore", "RW delete")
_spec(
    "sdiffstore sunionstore zdiffstore zinterstore zrangestore zunionstore",
    "OW update",
    "RO access",
)
_spec("sinterstore", "RW update", "RO access")
_spec("bitop", "OW update", "RO access")
# SORT's key, then its STORE destination (the BY and GET keys are not its own)
_spec("sort", "RO access", "OW update")
_spec("sort_ro", "RO access")
_spec("blmove brpoplpush lmove rpoplpush smove", "RW access delete", "RW insert")
_spec("mset psetex setex", "OW update")
_spec("msetnx setnx", "OW insert")
_spec("del unlink", "RM delete")
_spec("copy", "RO access", "OW update")
_spec("rename", "RW access delete", "OW update")
_spec("renamenx", "RW access delete", "OW insert")
# SET reads its key only with GET: COMMAND INFO shows the spec with
# variable_flags, GETKEYSANDFLAGS the flags of the call (redis setGetKeys)
_spec("bitfield set", "RW access update variable_flags")
_spec("spublish ssubscribe sunsubscribe", "not_key")

# the notes Redis 7.0 gives a key spec (COMMAND INFO and DOCS show them first)
KEY_SPEC_NOTES: dict[bytes, bytes] = {
    b"set": b"RW and ACCESS due to the optional `GET` argument",
    b"getex": b"RW and UPDATE because it changes the TTL",
    b"bitfield": b"This command allows both access and modification of the key",
    b"pfcount": b"RW because it may change the internal representation of the key, and "
    b"propagate to replicas",
}

_SET_PLAIN: Flags = (b"OW", b"update")
_SET_GET: Flags = (b"RW", b"access", b"update")
_READ: Flags = (b"RO", b"access")


def of_key(name: bytes, index: int, args: list[bytes]) -> Flags | None:
    """The flags of the ``index``-th key that ``args`` (the command and its
    arguments) name, as GETKEYSANDFLAGS reports them; None if not declared."""
    if name == b"set":
        return _SET_GET if any(a.lower() == b"get" for a in args[3:]) else _SET_PLAIN
    if name == b"bitfield":
        return _READ if _bitfield_reads_only(args) else _SET_GET
    specs = KEY_SPEC_FLAGS.get(name)
    if specs is None:
        return None
    return specs[min(index, len(specs) - 1)]


def _bitfield_reads_only(args: list[bytes]) -> bool:
    """BITFIELD with GET operations only (redis ``bitfieldGetKeys``: a
    syntax error counts as a write)."""
    i, n = 2, len(args)
    while i < n:
        left = n - i - 1
        op = args[i].lower()
        if op == b"get" and left >= 2:
            i += 3
        elif op == b"overflow" and left >= 1:
            i += 2
        else:
            return False
    return True


def not_key(name: bytes) -> bool:
    """The command's "keys" are shard channels (GETKEYS: no key arguments)."""
    specs = KEY_SPEC_FLAGS.get(name)
    return specs is not None and specs[0] == (b"not_key",)


def flags_of(row: Command) -> Flags:
    """The first spec's flags of ``row``: Redis 7.0's, or for a command Redis
    7.0 lacks, derived from the row's flags: read-only commands read (``RO
    access``), writers may read and modify (``RW update``), and the keys of a
    command that does neither are ``RO``."""
    specs = KEY_SPEC_FLAGS.get(row.fullname)
    if specs is not None:
        return specs[0]
    if row.flags & WRITE:
        return (b"RW", b"update")
    if row.flags & READONLY:
        return (b"RO", b"access")
    return (b"RO",)  # keys neither read nor written: WATCH's


# -- the specs -------------------------------------------------------------------


class KeySpec:
    """One key spec (redis ``keySpec``): ``flags``; begin_search at ``index``
    (``unknown``: only the command's own finder knows its keys); find_keys a
    ``range`` up to ``lastkey`` (>= 0: relative to the first key, < 0: to the
    end) every ``keystep``, or with ``keynum`` the number of keys at
    ``index + keynumidx`` and the keys from ``index + firstkey`` on."""

    __slots__ = (
        "firstkey",
        "flags",
        "index",
        "keynum",
        "keynumidx",
        "keystep",
        "lastkey",
        "notes",
        "unknown",
    )

    def __init__(
        self,
        flags: Flags,
        index: int,
        *,
        lastkey: int = 0,
        keystep: int = 1,
        keynum: bool = False,
        unknown: bool = False,
        notes: bytes | None = None,
    ) -> None:
        self.flags = flags
        self.index = index
        self.lastkey = lastkey
        self.keystep = keystep
        self.keynum = keynum
        self.keynumidx = 0
        self.firstkey = 1
        self.unknown = unknown
        self.notes = notes  # the spec's own notes (KEY_SPEC_NOTES: a command's)


# The index of the numkeys argument of each command whose keys follow one:
# one keynum spec there (keynumidx 0, firstkey 1, keystep 1), after a range
# spec of its own for a STORE command's destination (argv[1]).
NUMKEYS: dict[bytes, int] = {
    b"lmpop": 1,
    b"sintercard": 1,
    b"zdiff": 1,
    b"zinter": 1,
    b"zintercard": 1,
    b"zmpop": 1,
    b"zunion": 1,
    b"blmpop": 2,
    b"bzmpop": 2,
    b"zdiffstore": 2,
    b"zinterstore": 2,
    b"zunionstore": 2,
}


def _numkeys_specs(name: bytes, at: int) -> tuple[KeySpec, ...]:
    flags = KEY_SPEC_FLAGS[name]
    keys = KeySpec(flags[-1], at, keynum=True)
    return (keys,) if len(flags) == 1 else (KeySpec(flags[0], 1), keys)


_NUMKEYS_SPECS = {name: _numkeys_specs(name, at) for name, at in NUMKEYS.items()}

# SORT's keys: the sorted key, the keys BY and GET name (found only from the
# sorted key's content), and the STORE destination (anywhere in argv)
_SORT_BY_GET = KeySpec(
    (b"RO", b"access"),
    0,
    unknown=True,
    notes=b"For the optional BY/GET keyword. It is marked 'unknown' because the key names "
    b"derive from the content of the key we sort",
)
_SORT_STORE = KeySpec(
    (b"OW", b"update"),
    0,
    unknown=True,
    notes=b"For the optional STORE keyword. It is marked 'unknown' because the keyword can "
    b"appear anywhere in the argument array",
)
_DECLARED_SPECS = {
    b"sort": (KeySpec((b"RO", b"access"), 1), _SORT_BY_GET, _SORT_STORE),
    b"sort_ro": (KeySpec((b"RO", b"access"), 1), _SORT_BY_GET),
    **_NUMKEYS_SPECS,
}


def specs_of(row: Command) -> tuple[KeySpec, ...]:
    """The key specs of ``row``, as COMMAND INFO lists them."""
    name = row.fullname
    declared = _DECLARED_SPECS.get(name)
    if declared is not None:
        return declared
    if row.getkeys is not None:
        return (KeySpec(flags_of(row), 0, unknown=True),)
    if row.first <= 0:
        return ()
    flags = KEY_SPEC_FLAGS.get(name) or (flags_of(row),)
    if row.last >= 0 and row.last - row.first + 1 < len(flags):
        flags = flags[:1]  # (a spec for every key the range holds)
    # each spec but the last names one key (LMOVE's source, then its
    # destination; SINTERSTORE's destination, then the rest)
    out = []
    for i, spec_flags in enumerate(flags):
        first = row.first + i
        if i < len(flags) - 1:
            lastkey = 0
        else:
            lastkey = row.last - first if row.last >= 0 else row.last
        out.append(KeySpec(spec_flags, first, lastkey=lastkey, keystep=row.step))
    return tuple(out)


# -- the keys a call names -------------------------------------------------------


def _int32(n: int) -> int:
    """``n`` stored in a C ``int`` (its low 32 bits, signed)."""
    return ((n + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _atoi(s: bytes) -> int:
    """C's ``atoi`` (glibc: ``(int) strtol(s, NULL, 10)``): leading white
    space, a sign, the digits up to the first other byte; 0 without digits,
    LONG_MAX or LONG_MIN past the 64-bit range, then cut to an ``int``."""
    i, n = 0, len(s)
    while i < n and s[i] in b" \t\n\v\f\r":
        i += 1
    neg = i < n and s[i] == 45  # "-"
    if i < n and s[i] in b"+-":
        i += 1
    j = i
    while j < n and 48 <= s[j] <= 57:
        j += 1
    v = int(s[i:j]) if j > i else 0
    v = -v if neg else v
    v = max(-(1 << 63), min(v, (1 << 63) - 1))
    return _int32(v)


def spec_keys(specs: tuple[KeySpec, ...], argv: list[bytes]) -> list[tuple[int, Flags]] | None:
    """(position, flags) of every key the specs find in ``argv`` (the command
    and its arguments), spec by spec; None when a spec cannot be applied (a
    bad numkeys, keys past the end), as redis ``getKeysUsingKeySpecs``."""
    argc = len(argv)
    out: list[tuple[int, Flags]] = []
    for spec in specs:
        if b"not_key" in spec.flags:
            continue
        if spec.unknown:
            return None
        first = spec.index
        if spec.keynum:
            if first + spec.keynumidx >= argc:
                return None
            # string2ll, then stored in an int: 4294967298 keys are 2
            numkeys = string2ll(argv[first + spec.keynumidx])
            if numkeys is None or numkeys < 0:
                return None
            first += spec.firstkey
            last = first + _int32(numkeys) - 1
        elif spec.lastkey >= 0:
            last = first + spec.lastkey
        else:
            last = argc + spec.lastkey
        if last >= argc or last < first or first >= argc:
            return None
        out.extend((i, spec.flags) for i in range(first, last + 1, spec.keystep))
    return out


def numkeys_keys_and_flags(name: bytes, argv: list[bytes]) -> list[tuple[int, Flags]]:
    """(position, flags) of the keys of a numkeys command's call, as redis
    ``getKeysFromCommandWithSpecs``: its specs, or when they cannot be
    applied, its getkeys function (``genericGetKeys``), which reads numkeys
    with ``atoi`` (so "2abc" or "+2" still name two keys), lists a STORE
    command's destination last and gives no flags; [] when neither finds any."""
    specs = _NUMKEYS_SPECS[name]
    found = spec_keys(specs, argv)
    if found is not None:
        return found
    at = NUMKEYS[name]
    num = _atoi(argv[at]) if at < len(argv) else 0
    first = at + 1
    if num < 1 or num > len(argv) - first:
        return []
    keys = list(range(first, first + num))
    if len(specs) > 1:
        keys.append(1)
    return [(i, ()) for i in keys]


def numkeys_keys(name: bytes) -> GetKeys:
    """The key finder of the row of numkeys command ``name`` (its keys as
    Redis finds them, for COMMAND GETKEYS, ACL and tracking)."""
    lname = name.lower()
    if lname not in NUMKEYS:
        raise ValueError(f"{name!r} declares no numkeys index")

    def getkeys(argv: list[bytes]) -> list[int]:
        return [i for i, _ in numkeys_keys_and_flags(lname, argv)]

    return getkeys
