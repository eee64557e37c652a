"""The meta commands mg, ms, md, ma, me, mn (memcached 1.6 ``proto_text.c``).

Flags are single characters, some with a token after them; reply flags come
back in the order asked.  ``q`` hides the nominal reply (HD, and EN for mg)
but never an error.  The anti-stampede marks: an item is *stale* after
``md <key> I`` (or a stale-allowed ``ms ... I``) and a *win* is handed out
once per stale or missing item (``N`` vivify, ``R`` recache, or staleness):
the first client gets ``W``, the others ``Z``.

Beyond memcached 1.6.18, ``E<cas>`` (set the item's new CAS) and ``md ... x``
(keep the item, drop its value) follow the later protocol.txt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cacheserver.memcached import ops
from cacheserver.memcached.items import KEY_MAX, STALE, TOKEN_SENT, item_size
from cacheserver.memcached.ops import ADD, APPEND, CAS, PREPEND, REPLACE, SET
from cacheserver.memcached.text import BAD_CHUNK, BAD_FORMAT, ERROR, INT_MAX, NON_NUMERIC, TOO_LARGE
from cacheserver.memcached.tokens import b64decode_key, b64encode_key, strtol32, strtoul32, strtoull

if TYPE_CHECKING:
    from cacheserver.memcached.connection import McConnection

MAX_TOKENS = 19  # memcached MFLAG_MAX_OPT_LENGTH (20 tokens, its terminal one included)
MAX_OPAQUE = 32  # MFLAG_MAX_OPAQUE_LENGTH, the O included

DUP_FLAG = b"CLIENT_ERROR duplicate flag\r\n"
INVALID_FLAG = b"CLIENT_ERROR invalid flag\r\n"
BAD_TOKEN = b"CLIENT_ERROR bad token in command line format\r\n"
BAD_KEY = b"CLIENT_ERROR error decoding key\r\n"
BAD_M = b"CLIENT_ERROR incorrect length for M token\r\n"
BAD_J = b"CLIENT_ERROR invalid numeric initial value\r\n"
BAD_D = b"CLIENT_ERROR invalid numeric delta value\r\n"
INVALID_OR_DUP = b"CLIENT_ERROR invalid or duplicate flag\r\n"
OPAQUE_TOO_LONG = b"CLIENT_ERROR opaque token too long\r\n"
TOO_MANY_MG = b"CLIENT_ERROR options flags are too long\r\n"
TOO_MANY = b"CLIENT_ERROR options flags too long\r\n"
BAD_MS_MODE = b"CLIENT_ERROR invalid mode for ms M token\r\n"
BAD_MA_MODE = b"CLIENT_ERROR invalid mode for ma M token\r\n"
HD = b"HD"
EN = b"EN\r\n"
CODES = (b"HD", b"EX", b"NF", b"NS")  # by store result
MS_MODES = {ord("E"): ADD, ord("A"): APPEND, ord("P"): PREPEND, ord("R"): REPLACE, ord("S"): SET}


class MetaFlags:
    """What the flags of one meta command asked (memcached ``struct _meta_flags``)."""

    __slots__ = (
        "autoviv",
        "binary",
        "cas_in",
        "client_flags",
        "delta",
        "has_cas",
        "has_cas_in",
        "initial",
        "key",
        "mode",
        "new_ttl",
        "no_update",
        "noreply",
        "recache",
        "remove_val",
        "req_cas",
        "stale",
        "ttl",
        "value",
        "vivify",
    )

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.binary = False
        self.vivify = False
        self.autoviv = 0
        self.ttl = 0  # memcached exptime of T (0: none)
        self.new_ttl = False
        self.recache: int | None = None
        self.value = False
        self.noreply = False
        self.no_update = False
        self.client_flags = 0
        self.has_cas = False
        self.req_cas = 0
        self.mode = 0
        self.delta = 1
        self.initial = 0
        self.stale = False
        self.has_cas_in = False
        self.cas_in = 0
        self.remove_val = False


def preparse(parts: list[bytes], start: int) -> tuple[MetaFlags, bytes | None]:
    """The flags from ``parts[start:]`` (memcached ``_meta_flag_preparse``):
    (flags, None) or (flags, error reply).

    A repeated or unknown flag stops at once; a bad token is reported after
    the rest were read, with the text of the last bad one."""
    of = MetaFlags(parts[1])
    err: bytes | None = None
    seen = 0
    for i in range(start, len(parts)):
        tok = parts[i]
        o = tok[0]
        if o >= 127 or seen >> o & 1:
            return of, DUP_FLAG
        seen |= 1 << o
        if o in _PLAIN:
            if o == 118:  # v
                of.value = True
            elif o == 113:  # q
                of.noreply = True
            elif o == 117:  # u
                of.no_update = True
            elif o == 73:  # I
                of.stale = True
            elif o == 120:  # x
                of.remove_val = True
            continue
        if o == 98:  # b: the key is base64
            decoded = b64decode_key(of.key)
            of.binary = True
            if decoded is None:
                err = BAD_KEY
                of.key = b""
            else:
                of.key = decoded
        elif o == 78 or o == 84 or o == 82:  # N, T, R take an exptime
            t = strtol32(tok[1:])
            if t is None:
                err = BAD_TOKEN
            elif o == 78:
                of.vivify = True
                of.autoviv = t
            elif o == 84:
                of.ttl = t
                of.new_ttl = True
            else:
                of.recache = t
        elif o == 70:  # F
            f = strtoul32(tok[1:])
            if f is None:
                err = err or BAD_FORMAT
            else:
                of.client_flags = f
        elif o == 67 or o == 69:  # C, E
            v = strtoull(tok[1:])
            if v is None:
                err = BAD_TOKEN
            elif o == 67:
                of.has_cas = True
                of.req_cas = v
            else:
                of.has_cas_in = True
                of.cas_in = v
        elif o == 77:  # M
            if len(tok) != 2:
                err = BAD_M
            else:
                of.mode = tok[1]
        elif o == 74 or o == 68:  # J, D
            v = strtoull(tok[1:])
            if v is None:
                err = BAD_J if o == 74 else BAD_D
            elif o == 74:
                of.initial = v
            else:
                of.delta = v
        else:
            return of, INVALID_FLAG
    return of, err


# flags that take no token or only echo one back: b'k s t c f v h l u q O P L I x'
_PLAIN = frozenset(b"kstcfvhluqOPLIx")


def _key_flag(key: bytes, binary: bool) -> bytes:
    if binary:
        return b" k" + b64encode_key(key) + b" b"
    return b" k" + key


def _echo(parts: list[bytes], start: int, key: bytes, binary: bool) -> bytes | None:
    """The O and k flags of a reply without an item; None if an opaque is too long."""
    out = b""
    for i in range(start, len(parts)):
        tok = parts[i]
        o = tok[0]
        if o == 79:  # O
            if len(tok) > MAX_OPAQUE:
                return None
            out += b" " + tok
        elif o == 107:  # k
            out += _key_flag(key, binary)
    return out


def _ttl_token(c: McConnection, when: int) -> bytes:
    if not when:
        return b"-1"
    # whole seconds, as memcached's once-a-second clock counts them
    return b"%d" % ((when // 1000 - c.now // 1000) & 0xFFFFFFFF)


# -- mg --------------------------------------------------------------------------


def mg(c: McConnection, parts: list[bytes]) -> bytes | None:
    """mg <key> <flags>* -> VA <size> <flags>*\\r\\n<data>\\r\\n | HD <flags>* | EN"""
    n = len(parts)
    if n < 2:
        return ERROR
    if len(parts[1]) > KEY_MAX:
        return BAD_FORMAT
    if n > MAX_TOKENS:
        return TOO_MANY_MG
    if n == 3 and parts[2] == b"v" and not (c.items.marks and parts[1] in c.items.marks):
        return _mg_value(c, parts[1])  # the plain get
    of, err = preparse(parts, 2)
    if err is not None:
        return err
    key = of.key
    db = c.db
    items = c.items
    stats = c.stats
    # h and l report the state before this access
    ask_hl = False
    last_access: int | None = None
    fetched = False
    for i in range(2, n):
        if parts[i][0] in b"hl":
            ask_hl = True
            items.track_fetch = True
    if ask_hl:
        last_access = db.access.get(key)
        fetched = key in items.fetched
    value = ops.read(c, key, touch=False)
    if value is None and c.server.loaders is not None:  # read-through
        loaded = ops.load_missed(c, mg, parts, (key,))
        if loaded is not None:
            return loaded  # type: ignore[no-any-return]
    created = False
    if value is None and of.vivify:
        found = db.data.get(key)
        if found is None:
            # created without TTL: N's applies in flag order, like T's
            ops.put(c, key, b"", 0, 0)
            if of.has_cas_in:
                items.set_cas(key, of.cas_in)
            value = b""
            created = True
            if ask_hl:
                last_access = db.access.get(key)
    if value is None:
        if of.new_ttl:
            stats.cmd_touch += 1
            stats.touch_misses += 1
        else:
            stats.cmd_get += 1
            stats.get_misses += 1
        echo = _echo(parts, 2, key, of.binary)
        if echo is None:
            return OPAQUE_TOO_LONG
        if of.noreply:
            return None
        return b"EN" + echo + b"\r\n" if echo else EN
    out = [b"VA %d" % len(value) if of.value else HD]
    when = db.expires.get(key, 0) if db.expires else 0
    marks = items.marks.get(key, 0) if items.marks else 0
    won = False
    touched = False
    for i in range(2, n):
        tok = parts[i]
        o = tok[0]
        if o == 84:  # T
            when = ops.deadline_of(c, of.ttl)
            touched = True
        elif o == 78:  # N
            if created:
                when = ops.deadline_of(c, of.autoviv)
                touched = True
                won = True
        elif o == 82:  # R
            if (
                not marks & TOKEN_SENT
                and not created
                and when
                and of.recache is not None
                and when // 1000 < ops.deadline_of(c, of.recache) // 1000
            ):
                won = True
        elif o == 115:  # s
            out.append(b" s%d" % len(value))
        elif o == 116:  # t
            out.append(b" t" + _ttl_token(c, when))
        elif o == 99:  # c
            out.append(b" c%d" % items.get_cas(key))
        elif o == 102:  # f
            out.append(b" f%d" % items.flags_of(key))
        elif o == 108:  # l
            la = 0 if last_access is None else db.ks.idle_ms(last_access) // 1000
            out.append(b" l%d" % la)
        elif o == 104:  # h
            out.append(b" h1" if fetched else b" h0")
        elif o == 79:  # O
            if len(tok) > MAX_OPAQUE:
                return OPAQUE_TOO_LONG
            out.append(b" " + tok)
        elif o == 107:  # k
            out.append(_key_flag(key, key in items.binary if items.binary else False))
    if marks & TOKEN_SENT:
        out.append(b" Z")
    if marks & STALE:
        out.append(b" X")
        if not marks & TOKEN_SENT:
            won = True
    if won:
        out.append(b" W")
        items.set_marks(key, marks | TOKEN_SENT)
    if touched:
        if of.new_ttl:
            stats.cmd_touch += 1
            stats.touch_hits += 1
        else:
            stats.cmd_get += 1
            stats.get_hits += 1
        ops.touch(c, key, when)
    else:
        stats.cmd_get += 1
        stats.get_hits += 1
    if not of.no_update:
        db.access[key] = db.ks.read_mark
        if items.track_fetch:
            items.mark_fetched(key)
    if of.value:
        out.append(b"\r\n")
        out.append(value)
    out.append(b"\r\n")
    return b"".join(out)


def _mg_value(c: McConnection, key: bytes) -> bytes:
    """``mg <key> v``: the meta form of a plain get."""
    value = ops.read(c, key)
    stats = c.stats
    stats.cmd_get += 1
    if value is None:
        if c.server.loaders is not None:  # read-through
            loaded = ops.load_missed(c, mg, [b"mg", key, b"v"], (key,))
            if loaded is not None:
                stats.cmd_get -= 1  # counted when it runs again
                return loaded  # type: ignore[no-any-return]
        stats.get_misses += 1
        return EN
    stats.get_hits += 1
    items = c.items
    if items.track_fetch:
        items.mark_fetched(key)
    return b"VA %d\r\n%s\r\n" % (len(value), value)


# -- ms --------------------------------------------------------------------------


def ms(c: McConnection, parts: list[bytes]) -> bytes | int | None:
    """ms <key> <datalen> <flags>*\\r\\n<data>\\r\\n -> HD | NS | EX | NF, with flags"""
    n = len(parts)
    if n < 2:
        return ERROR
    if len(parts[1]) > KEY_MAX or n == 2:
        return BAD_FORMAT
    if n > MAX_TOKENS:
        return TOO_MANY
    vlen = strtol32(parts[2])
    if vlen is None or vlen < 0 or vlen > INT_MAX - 2:
        return BAD_FORMAT
    of, err = preparse(parts, 3)
    if err is not None:
        c.swallow = vlen + 2
        return err
    for i in range(3, n):
        if parts[i][0] == 79 and len(parts[i]) > MAX_OPAQUE:
            err = OPAQUE_TOO_LONG
    comm = SET
    if of.mode:
        found = MS_MODES.get(of.mode)
        if found is None:
            c.swallow = vlen + 2
            return BAD_MS_MODE
        comm = found
    if of.has_cas and (comm == SET or comm == REPLACE):
        comm = CAS
    if err is not None:
        c.swallow = vlen + 2
        return err
    key = of.key
    if item_size(len(key), of.client_flags, vlen) > c.svc.item_size_max:
        c.stats.store_too_large += 1
        c.swallow = vlen + 2
        if ops.find(c, key, touch=False) is not None:
            ops.remove(c, key)  # no stale value left behind
        return TOO_LARGE
    c.pending = (_complete_ms, comm, of, parts)
    return vlen + 2


def _complete_ms(c: McConnection, pending: tuple[Any, ...], value: bytes | None) -> bytes | None:
    _, comm, of, parts = pending
    c.stats.cmd_set += 1
    if value is None:
        return BAD_CHUNK  # meta set always reports errors
    key = of.key
    deadline = ops.deadline_of(c, of.ttl) if of.ttl else 0
    req_cas = of.req_cas if of.has_cas else 0
    allow_stale = of.stale and comm == CAS
    ret = ops.store(c, comm, key, of.client_flags, deadline, req_cas, value, of.binary, allow_stale)
    items = c.items
    stored = ret == ops.STORED
    if stored and of.has_cas_in:
        items.set_cas(key, of.cas_in)
    if stored and of.noreply:
        return None
    out = [CODES[ret]]
    for i in range(3, len(parts)):
        tok = parts[i]
        o = tok[0]
        if o == 79:
            out.append(b" " + tok)
        elif o == 107:
            out.append(_key_flag(key, of.binary))
        elif o == 99:
            out.append(b" c%d" % (items.get_cas(key) if stored and key in c.db.data else 0))
    out.append(b"\r\n")
    return b"".join(out)


# -- md --------------------------------------------------------------------------


def _key_flags(parts: list[bytes]) -> MetaFlags | bytes:
    """The flags of an md or ma request, or its error reply (both check alike)."""
    n = len(parts)
    if n < 2:
        return ERROR
    if len(parts[1]) > KEY_MAX:
        return BAD_FORMAT
    if n > MAX_TOKENS:
        return TOO_MANY
    of, err = preparse(parts, 2)
    return of if err is None else INVALID_OR_DUP


def md(c: McConnection, parts: list[bytes]) -> bytes | None:
    """md <key> <flags>* -> HD | NF | EX, with flags"""
    of = _key_flags(parts)
    if isinstance(of, bytes):
        return of
    key = of.key
    echo = _echo(parts, 2, key, of.binary)
    if echo is None:
        return OPAQUE_TOO_LONG
    stats = c.stats
    items = c.items
    value = ops.find(c, key, touch=False)
    if value is None:
        stats.delete_misses += 1
        code = b"NF"
    elif of.has_cas and items.get_cas(key) != of.req_cas:
        stats.delete_misses += 1
        code = b"EX"
    else:
        code = b"HD"
        if of.remove_val:
            # x: the item stays, without its value
            old_cas = items.get_cas(key)
            deadline = ops.deadline_of(c, of.ttl) if of.ttl else 0
            ops.put(c, key, b"", of.client_flags, deadline, binary=of.binary)
            items.set_cas(key, of.cas_in if of.has_cas_in else old_cas)
        if of.stale:
            # I: stale, with a new CAS; the next reader wins the refill
            if of.new_ttl:
                ops.touch(c, key, ops.deadline_of(c, of.ttl))
            if key in c.db.data:
                marks = items.marks.get(key, 0) if items.marks else 0
                items.set_marks(key, (marks | STALE) & ~TOKEN_SENT)
                if of.has_cas_in:
                    items.set_cas(key, of.cas_in)
                else:
                    items.new_cas(key)
        elif not of.remove_val:
            stats.delete_hits += 1
            ops.remove(c, key)
        if of.noreply:
            return None
    return code + echo + b"\r\n"


# -- ma --------------------------------------------------------------------------


def ma(c: McConnection, parts: list[bytes]) -> bytes | None:
    """ma <key> <flags>* -> HD | VA <size>\\r\\n<number> | NF | NS | EX, with flags"""
    of = _key_flags(parts)
    if isinstance(of, bytes):
        return of
    key = of.key
    incr = True
    if of.mode:
        if of.mode in b"I+":
            incr = True
        elif of.mode in b"D-":
            incr = False
        else:
            return BAD_MA_MODE
    items = c.items
    stats = c.stats
    ret, number = ops.delta(c, key, incr, of.delta, of.req_cas if of.has_cas else 0)
    code = b""
    if ret == ops.NON_NUMERIC:
        return NON_NUMERIC
    if ret == ops.DELTA_NOT_FOUND:
        if of.vivify:
            number = b"%d" % of.initial
            deadline = ops.deadline_of(c, of.autoviv) if of.autoviv else 0
            if ops.store(c, ADD, key, 0, deadline, 0, number) != ops.STORED:
                code = b"NS"
        else:
            if incr:
                stats.incr_misses += 1
            else:
                stats.decr_misses += 1
            code = b"NF"
    elif ret == ops.DELTA_CAS_MISMATCH:
        code = b"EX"
    if code:
        echo = _echo(parts, 2, key, of.binary)
        if echo is None:
            return OPAQUE_TOO_LONG
        return code + echo + b"\r\n"
    if of.has_cas_in:
        items.set_cas(key, of.cas_in)
    if ret == ops.DELTA_OK and of.noreply:
        if of.new_ttl:
            ops.touch(c, key, ops.deadline_of(c, of.ttl))
        return None
    db = c.db
    when = db.expires.get(key, 0) if db.expires else 0
    out = [b"VA %d" % len(number) if of.value else HD]
    touched = False
    for i in range(2, len(parts)):
        tok = parts[i]
        o = tok[0]
        if o == 99:  # c
            out.append(b" c%d" % items.get_cas(key))
        elif o == 116:  # t
            out.append(b" t" + _ttl_token(c, when))
        elif o == 84:  # T
            when = ops.deadline_of(c, of.ttl)
            touched = True
        elif o == 79:  # O
            if len(tok) > MAX_OPAQUE:
                return OPAQUE_TOO_LONG
            out.append(b" " + tok)
        elif o == 107:  # k
            out.append(_key_flag(key, of.binary))
    if touched:
        ops.touch(c, key, when)
    if of.value:
        out.append(b"\r\n")
        out.append(number)
    out.append(b"\r\n")
    return b"".join(out)


# -- me --------------------------------------------------------------------------


def me(c: McConnection, parts: list[bytes]) -> bytes:
    """me <key> [b] -> ME <key> exp=<s> la=<s> cas=<n> fetch=<yes|no> cls=<n> size=<n> | EN"""
    n = len(parts)
    if n < 2 or len(parts[1]) > KEY_MAX:
        return BAD_FORMAT
    key = parts[1]
    if n >= 3 and parts[2] == b"b":
        decoded = b64decode_key(key)
        if decoded is None:
            return BAD_FORMAT
        key = decoded
    c.stats.cmd_meta += 1
    items = c.items
    items.track_fetch = True
    value = ops.find(c, key, touch=False)
    if value is None:
        return EN
    db = c.db
    when = db.expires.get(key, 0) if db.expires else 0
    exp = -1 if not when else c.now // 1000 - when // 1000
    last = db.access.get(key)
    la = 0 if last is None else db.ks.idle_ms(last) // 1000
    flags = items.flags_of(key)
    size = item_size(len(key), flags, len(value))
    shown = b64encode_key(key) if items.binary and key in items.binary else key
    return b"ME %s exp=%d la=%d cas=%d fetch=%s cls=%d size=%d\r\n" % (
        shown,
        exp,
        la,
        items.get_cas(key),
        b"yes" if key in items.fetched else b"no",
        c.svc.sizes.class_of(size),
        size,
    )
