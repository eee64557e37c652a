"""Differential tests of the key specs against the real redis-server 7.0.15:
COMMAND INFO's key specs and COMMAND DOCS' key arguments of every command
and subcommand both servers have, byte for byte in RESP2 and RESP3, and
COMMAND GETKEYS / GETKEYSANDFLAGS (and the ACL key checks that find keys the
same way) for the commands whose keys follow a numkeys argument."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conftest import Pair, parse
from helpers import RedisServerProcess, ServerThread, read_reply

# Commands cacheserver serves that Redis 7.0 lacks, so nothing to compare
# their key specs with (COMMAND INFO answers nil there): the hash-field TTL
# family and CLIENT SETINFO came with Redis 7.2-8.0, LOADER is cacheserver's.
NOT_IN_REDIS_7_0 = {
    b"client|setinfo",
    b"hexpire",
    b"hexpireat",
    b"hexpiretime",
    b"hgetdel",
    b"hgetex",
    b"hpersist",
    b"hpexpire",
    b"hpexpireat",
    b"hpexpiretime",
    b"hpttl",
    b"hsetex",
    b"httl",
    b"loader",
    b"loader|help",
    b"loader|invalidate",
    b"loader|list",
    b"loader|reload",
    b"loader|stats",
}
# Commands whose key specs must differ from Redis 7.0's, with the reason:
# none.
KEY_SPECS_DIFFER: dict[bytes, str] = {}


def _children(buf: bytes, pos: int) -> list[bytes]:
    """The raw replies inside the aggregate reply at ``pos`` (a map's keys
    and values alternate)."""
    eol = buf.index(b"\r\n", pos)
    n = int(buf[pos + 1 : eol])
    if buf[pos : pos + 1] == b"%":
        n *= 2
    out, at = [], eol + 2
    for _ in range(n):
        end = read_reply(buf, at)
        assert end is not None, buf[at:]
        out.append(buf[at:end])
        at = end
    return out


def _pairs(raw: bytes) -> dict[bytes, bytes]:
    """A raw map (RESP3) or flat array of pairs (RESP2), by its raw keys."""
    items = _children(raw, 0)
    return dict(zip(items[::2], items[1::2], strict=True))


def key_specs(raw_info: bytes) -> bytes:
    """The raw key specs (the 9th field) of a one-command COMMAND INFO reply."""
    (entry,) = _children(raw_info, 0)
    return _children(entry, 0)[8]


_ARGUMENTS = b"$9\r\narguments\r\n"
_TYPE = b"$4\r\ntype\r\n"
_KEY = b"$3\r\nkey\r\n"


def key_arguments(raw_docs: bytes) -> list[bytes]:
    """The raw maps of every key argument, depth first, of a one-command
    COMMAND DOCS reply (they hold the key_spec_index)."""
    items = _children(raw_docs, 0)
    if not items:
        return []
    found: list[bytes] = []

    def walk(doc: bytes) -> None:
        fields = _pairs(doc)
        if fields.get(_TYPE) == _KEY:
            found.append(doc)
        args = fields.get(_ARGUMENTS)
        if args is not None:
            for arg in _children(args, 0):
                walk(arg)

    walk(items[1])
    return found


_DOC_META = tuple(
    b"$%d\r\n%s\r\n" % (len(k), k)
    for k in (b"group", b"doc_flags", b"deprecated_since", b"replaced_by")
)


def doc_meta(raw_docs: bytes) -> dict[bytes, bytes]:
    """The raw group, doc_flags, deprecated_since and replaced_by of a
    one-command COMMAND DOCS reply (its subcommands aside)."""
    items = _children(raw_docs, 0)
    if not items:
        return {}
    fields = _pairs(items[1])
    return {k: v for k, v in fields.items() if k in _DOC_META}


@pytest.fixture(scope="module")
def resp2(server: ServerThread, real_redis: RedisServerProcess) -> Iterator[Pair]:
    """A pair of RESP2 connections of the module's own, for its fixtures."""
    p = Pair(server.port, real_redis.port, server.host)
    yield p
    p.close()


@pytest.fixture(scope="module")
def names(resp2: Pair) -> list[bytes]:
    """Every command and subcommand cacheserver serves that Redis 7.0 has."""
    ours = parse(resp2.ours.call("COMMAND", "LIST"))
    missing = []
    for name in ours:
        (real,) = parse(resp2.real.call("COMMAND", "INFO", name))
        if real is None:
            missing.append(name)
    assert set(missing) == NOT_IN_REDIS_7_0
    return sorted(n for n in ours if n not in NOT_IN_REDIS_7_0)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(d: Pair, request: pytest.FixtureRequest) -> Iterator[Pair]:
    if request.param == 3:
        d.resp3()
    yield d


def differing(
    d: Pair, names: list[bytes], sub: str, part: Callable[[bytes], object]
) -> list[bytes]:
    """The commands whose COMMAND ``sub`` reply differs between the servers in ``part``."""
    out = []
    for name in names:
        ours, real = d.both("COMMAND", sub, name)
        if part(ours) != part(real):
            out.append(name)
    return sorted(out)


def test_command_info_key_specs(proto: Pair, names: list[bytes]) -> None:
    """The whole key specs (flags, begin_search, find_keys: range or keynum,
    notes, spec order) of every command both servers have, byte for byte."""
    assert len(names) > 200
    assert differing(proto, names, "INFO", key_specs) == sorted(KEY_SPECS_DIFFER)


def test_command_info_keynum_commands(proto: Pair, keynum: dict[bytes, int]) -> None:
    """The numkeys commands' whole COMMAND INFO is Redis's (first, last, step,
    movablekeys, key specs)."""
    for name in sorted(keynum):
        proto.check("COMMAND", "INFO", name)


def test_command_docs_key_arguments(proto: Pair, names: list[bytes]) -> None:
    """COMMAND DOCS' key arguments, with the index of the key spec each names
    (ZUNIONSTORE's destination 0, its keys 1), of every command."""
    assert differing(proto, names, "DOCS", key_arguments) == sorted(KEY_SPECS_DIFFER)


def test_command_docs_group_and_deprecation(proto: Pair, names: list[bytes]) -> None:
    """COMMAND DOCS' group, doc_flags (deprecated, syscmd), deprecated_since
    and replaced_by of every command both servers have."""
    assert differing(proto, names, "DOCS", doc_meta) == []
    assert doc_meta(proto.ours.call("COMMAND", "DOCS", "getset")).keys() == set(_DOC_META)


# -- GETKEYS of the numkeys commands -------------------------------------------

# The commands whose keys follow a numkeys argument (a keynum key spec in
# Redis's COMMAND INFO) that cacheserver serves.
KEYNUM_COMMANDS = {
    b"blmpop",
    b"bzmpop",
    b"lmpop",
    b"sintercard",
    b"zdiff",
    b"zdiffstore",
    b"zinter",
    b"zintercard",
    b"zinterstore",
    b"zmpop",
    b"zunion",
    b"zunionstore",
}


@pytest.fixture(scope="module")
def keynum(resp2: Pair, names: list[bytes]) -> dict[bytes, int]:
    """name -> index of numkeys, of every command whose key specs in Redis's
    COMMAND output have a keynum spec."""
    out = {}
    for entry in parse(resp2.real.call("COMMAND")):
        for spec in entry[8]:
            fields = dict(zip(spec[::2], spec[1::2], strict=True))
            find = dict(zip(fields[b"find_keys"][::2], fields[b"find_keys"][1::2], strict=True))
            if find[b"type"] == b"keynum":
                begin = fields[b"begin_search"]
                index = dict(zip(begin[3][::2], begin[3][1::2], strict=True))[b"index"]
                keynumidx = dict(zip(find[b"spec"][::2], find[b"spec"][1::2], strict=True))
                out[entry[0]] = index + keynumidx[b"keynumidx"]
    served = {n: i for n, i in out.items() if n in names}
    assert set(served) == KEYNUM_COMMANDS
    return served


# Redis finds keys with the keynum spec (string2ll, >= 0, cut to a C int),
# then, when that fails, with the command's getkeys function (atoi: white
# space, a sign, trailing bytes and leading zeros pass; a STORE destination
# comes last, without flags)
NUMKEYS_VALUES: list[bytes | str] = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "-1",
    "x",
    "",
    "2abc",
    "+2",
    "02",
    " 2",
    "2 ",
    "\t1",
    "-0",
    b"2\x00",
    "1.5",
    "4294967298",
    "-4294967295",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
]
AFTER_KEYS = ("a", "b", "LEFT")


def _getkeys_cases(keynum: dict[bytes, int]) -> list[tuple[bytes | str, ...]]:
    cases: list[tuple[bytes | str, ...]] = []
    for name, at in sorted(keynum.items()):
        before = ("0",) * (at - 1)  # a STORE's destination, a timeout
        for n in NUMKEYS_VALUES:
            cases.append((name, *before, n, *AFTER_KEYS))
        # too few arguments, and keys up to the very end
        cases.append((name, *before, "1"))
        cases.append((name, *before, "1", "a"))
        cases.append((name, *before, "2", "a", "b"))
        cases.append((name.upper(), *before, "1", "a", "b"))
    return cases


def test_getkeys_numkeys_commands(d: Pair, keynum: dict[bytes, int]) -> None:
    """COMMAND GETKEYS of every numkeys command, good and bad numkeys alike
    (``-ERR Invalid arguments specified for command`` where Redis finds none)."""
    for case in _getkeys_cases(keynum):
        d.check("COMMAND", "GETKEYS", *case)


def test_getkeysandflags_numkeys_commands(proto: Pair, keynum: dict[bytes, int]) -> None:
    """COMMAND GETKEYSANDFLAGS: each key with its spec's flags (the STORE
    destination's, then the sources'), none where Redis's fallback found it."""
    for case in _getkeys_cases(keynum):
        proto.check("COMMAND", "GETKEYSANDFLAGS", *case)


# Commands whose arity differs from Redis 7.0's, with the reason: GETKEYS
# answers Redis's "Invalid number of arguments" where Redis's arity refuses
# the call, so the sweep gives them only calls both arities accept.
ARITY_DIFFERS = {
    b"zrank": "7.2's optional WITHSCORE: arity -3 where Redis 7.0's is 3",
    b"zrevrank": "7.2's optional WITHSCORE: arity -3 where Redis 7.0's is 3",
}


def test_getkeys_every_command(resp2: Pair, names: list[bytes]) -> None:
    """COMMAND GETKEYS and GETKEYSANDFLAGS of every command and subcommand
    both servers have, with as many arguments as its arity asks and up to
    five more: the same keys, flags and errors."""
    d = resp2
    arity = {}
    for entry in parse(d.ours.call("COMMAND")):
        arity[entry[0]] = entry[1]
        for sub in entry[9]:
            arity[sub[0]] = sub[1]
    for name in names:
        parts = name.split(b"|")
        extras = range(1) if name in ARITY_DIFFERS else range(6)
        for extra in extras:
            n = abs(arity[name]) - len(parts) + extra
            if n < 0:
                continue
            args = [*parts, *(b"a%d" % i for i in range(n))]
            d.check("COMMAND", "GETKEYS", *args)
            d.check("COMMAND", "GETKEYSANDFLAGS", *args)


def test_getkeys_errors(d: Pair) -> None:
    d.check_all(
        ("COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "5", "a", "b"),
        ("COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "0", "a"),
        ("COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "1"),
        ("COMMAND", "GETKEYS", "ZUNIONSTORE", "dst"),
        ("COMMAND", "GETKEYS", "ZUNION", "1"),
        ("COMMAND", "GETKEYS", "LMPOP", "1", "a"),
        ("COMMAND", "GETKEYS", "BLMPOP", "0", "1", "a"),
        ("COMMAND", "GETKEYS", "SINTERCARD"),
        ("COMMAND", "GETKEYSANDFLAGS", "ZDIFFSTORE", "dst", "x", "a"),
        ("COMMAND", "GETKEYSANDFLAGS", "BZMPOP", "0"),
    )


def test_acl_key_checks_of_numkeys_commands(d: Pair) -> None:
    """ACL finds a numkeys command's keys as GETKEYS does: a key Redis's
    fallback names needs no particular access, a bad numkeys names none."""
    d.check("ACL", "SETUSER", "numk", "on", ">pw", "~key:*", "%R~r:*", "%W~w:*", "+@all")
    try:
        for cmd in (
            ("zunionstore", "w:d", "2", "r:a", "r:b"),
            ("zunionstore", "r:d", "2", "r:a", "r:b"),
            ("zunionstore", "w:d", "x", "r:a", "r:b"),
            ("zunionstore", "w:d", "0", "r:a"),
            ("zunionstore", "w:d", "5", "r:a"),
            ("zunionstore", "r:d", "2abc", "r:a", "w:b"),
            ("zunionstore", "r:d", "02", "r:a", "r:b"),
            ("zunionstore", "w:d", "4294967298", "r:a", "w:b"),
            ("lmpop", "2", "w:a", "w:b", "LEFT"),
            ("lmpop", "3", "key:a", "key:b", "LEFT"),
            ("lmpop", "2", "key:a", "key:b", "LEFT"),
            ("blmpop", "0", "1", "r:a", "LEFT"),
            ("zmpop", "+1", "r:a", "MIN"),
            ("sintercard", "2", "r:a", "w:b"),
            ("sintercard", "2", "r:a", "r:b"),
            ("zinter", "+2", "r:a", "x"),
            ("zdiffstore", "x", "1", "r:a"),
        ):
            d.check("ACL", "DRYRUN", "numk", *cmd)
    finally:
        d.check("ACL", "DELUSER", "numk")
