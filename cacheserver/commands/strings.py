"""String commands (redis ``t_string.c``).

Strings are stored as ``bytes``.  Every handler that meets another type
replies WRONGTYPE (``Database.get_str`` / ``lookup_str`` raise it), except
MGET (nil for that key) and LCS (its own error), as Redis does.

Lookups follow Redis's read/write split: commands Redis runs through
``lookupKeyRead`` use ``db.get``/``get_str`` (counted as keyspace hits and
misses), the others ``db.lookup``/``lookup_str`` (not counted).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cacheserver.commands.table import DENYOOM, FAST, READONLY, WRITE, Command
from cacheserver.errors import (
    INVALID_EXPIRE,
    NOT_FLOAT,
    NOT_INTEGER,
    OVERFLOW,
    STRING_TOO_LONG,
    SYNTAX,
    CommandError,
    wrong_arity,
)
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_STRING, type_name
from cacheserver.store.memory import value_cost
from protocol.resp import (
    CRLF,
    EMPTY_BULK,
    LLONG_MAX,
    LLONG_MIN,
    OK,
    ONE,
    ZERO,
    array_header,
    bulk,
    bulk_reply,
    integer,
    string2ll,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client

OFFSET_RANGE = b"ERR offset is out of range"
DECR_OVERFLOW = b"ERR decrement would overflow"
NAN_OR_INF = b"ERR increment would produce NaN or Infinity"
LCS_NOT_STRING = b"ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = b"ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_BIG = b"ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"


# -- SET / GETEX options ------------------------------------------------------

# option bits (redis OBJ_SET_NX, OBJ_SET_XX, ...)
_NX, _XX, _GET, _KEEPTTL, _EX, _PX, _EXAT, _PXAT, _PERSIST = (1 << i for i in range(9))
_EXPIRES = _EX | _PX | _EXAT | _PXAT
_OPTION_BITS = {
    b"nx": _NX,
    b"xx": _XX,
    b"get": _GET,
    b"keepttl": _KEEPTTL,
    b"persist": _PERSIST,
    b"ex": _EX,
    b"px": _PX,
    b"exat": _EXAT,
    b"pxat": _PXAT,
}


def c_option(arg: bytes) -> bytes:
    """An option word as Redis compares it: lowercased, cut at the first NUL
    (Redis matches options with C string functions, so ``NX\\0junk`` is NX)."""
    if b"\0" in arg:
        arg = arg[: arg.index(b"\0")]
    return arg.lower()


def expire_at(c: Client, arg: bytes, unit_ms: bool, relative: bool, cmd: bytes) -> int:
    """Absolute deadline (unix ms) from an EX/PX/EXAT/PXAT argument, as redis
    ``getExpireMillisecondsOrReply``."""
    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    if n <= 0 or (not unit_ms and n > LLONG_MAX // 1000):
        raise CommandError(INVALID_EXPIRE % cmd)
    if not unit_ms:
        n *= 1000
    if relative:
        n += c.now
    if n > LLONG_MAX:  # where C's signed addition would wrap
        raise CommandError(INVALID_EXPIRE % cmd)
    return n


def parse_set_options(argv: list[bytes], start: int, is_set: bool) -> tuple[int, bytes | None]:
    """Parse ``[NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]`` (SET) or
    ``[EX s|PX ms|EXAT ts|PXAT ts|PERSIST]`` (GETEX) from ``argv[start:]``, as redis
    ``parseExtendedStringArgumentsOrReply``; returns (flags, expire argument).

    Only syntax is checked here: SET validates the expire value before anything
    else, GETEX only once the key is found to hold a string.  As in Redis, an
    option may repeat (``EX 1 EX 2``: the last wins) but not conflict.
    """
    flags = 0
    expire_arg = None
    j = start
    n = len(argv)
    while j < n:
        bit = _OPTION_BITS.get(c_option(argv[j]), 0)
        if bit & _EXPIRES:
            if j + 1 >= n or flags & (_KEEPTTL | _PERSIST | (_EXPIRES & ~bit)):
                raise CommandError(SYNTAX)
            j += 1
            expire_arg = argv[j]
        elif bit == _NX:
            if not is_set or flags & _XX:
                raise CommandError(SYNTAX)
        elif bit == _XX:
            if not is_set or flags & _NX:
                raise CommandError(SYNTAX)
        elif bit == _GET:
            if not is_set:
                raise CommandError(SYNTAX)
        elif bit == _KEEPTTL:
            if not is_set or flags & (_PERSIST | _EXPIRES):
                raise CommandError(SYNTAX)
        elif bit == _PERSIST:
            if is_set or flags & (_KEEPTTL | _EXPIRES):
                raise CommandError(SYNTAX)
        else:
            raise CommandError(SYNTAX)
        flags |= bit
        j += 1
    return flags, expire_arg


def _deadline(c: Client, flags: int, arg: bytes, cmd: bytes) -> int:
    return expire_at(c, arg, bool(flags & (_PX | _PXAT)), bool(flags & (_EX | _PX)), cmd)


# -- long double arithmetic (INCRBYFLOAT) ------------------------------------
#
# Redis adds and prints INCRBYFLOAT values as C ``long double``: on x86-64 the
# x87 80-bit format (64-bit significand, exponents down to 2**-16382 with
# subnormals below).  Python floats are doubles, so the exact behaviour is
# emulated with integers: a finite value is (n, q) meaning n * 2**q with
# |n| < 2**64; q > _LD_QMAX marks an infinity.  Parsing follows glibc
# ``strtold`` as Redis's ``string2ld`` uses it, output follows ``"%.17Lf"``
# with trailing zeros trimmed (``ld2string`` LD_STR_HUMAN).  Every rounding
# is to nearest, ties to even, as the FPU and glibc do.

LongDouble = tuple[int, int]

_LD_BITS = 64  # significand width
_LD_QMIN = -16382 - (_LD_BITS - 1)  # exponent of a subnormal's unit bit
_LD_QMAX = 16383 - (_LD_BITS - 1)  # largest unit exponent of a finite value
_LD_INF: LongDouble = (1, _LD_QMAX + 1)
_LD_MAX_CHARS = 5 * 1024  # redis MAX_LONG_DOUBLE_CHARS: longer input is rejected

_LD_DEC = re.compile(rb"([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\Z")
_LD_HEX = re.compile(
    rb"([+-]?)0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP]([+-]?[0-9]+))?\Z"
)
_LD_INF_RE = re.compile(rb"[+-]?(?i:inf(?:inity)?)\Z")
_DIGIT_CHUNK = 4000  # below Python's int/str conversion limit (4300 digits)
_CHUNK_POW = 10**_DIGIT_CHUNK
_P17 = 10**17


def _ld_round(num: int, den: int, e2: int) -> LongDouble:
    """``num / den * 2**e2`` (num > 0) rounded to a long double; may be zero or inf."""
    k = num.bit_length() - den.bit_length()  # floor(log2(num/den)) is k or k - 1
    if (num << -k if k < 0 else num) < (den << k if k > 0 else den):
        k -= 1
    q = max(k + e2 - (_LD_BITS - 1), _LD_QMIN)
    s = e2 - q
    if s >= 0:
        num <<= s
    else:
        den <<= -s
    m, r = divmod(num, den)
    r += r
    if r > den or (r == den and m & 1):
        m += 1
        if m >> _LD_BITS:
            m >>= 1
            q += 1
    if q > _LD_QMAX:
        return _LD_INF
    return m, q


def _clamped_exponent(text: bytes | None) -> int:
    """An exponent's digits as an int, clamped far outside any useful range."""
    if not text:
        return 0
    neg = text[:1] == b"-"
    digits = text.lstrip(b"+-").lstrip(b"0")
    n = int(digits or b"0") if len(digits) < 10 else 10**9
    return -n if neg else n


def _dec_to_int(digits: bytes) -> int:
    n = 0
    for i in range(0, len(digits), _DIGIT_CHUNK):
        part = digits[i : i + _DIGIT_CHUNK]
        n = n * 10 ** len(part) + int(part)
    return n


def _int_to_dec(n: int) -> bytes:
    if n < _CHUNK_POW:
        return b"%d" % n
    hi, lo = divmod(n, _CHUNK_POW)
    return _int_to_dec(hi) + b"%0*d" % (_DIGIT_CHUNK, lo)


def parse_long_double(s: bytes) -> LongDouble | None:
    """A long double from ``s`` as redis ``string2ld``, or None where Redis says
    "not a valid float" (empty, spaces, junk, NaN, overflow, underflow to zero)."""
    if not s or len(s) >= _LD_MAX_CHARS:
        return None
    m = _LD_DEC.match(s)
    if m is not None:
        sign, mant, exp = m.groups()
        ip, _, fp = mant.partition(b".")
        digits = (ip + fp).lstrip(b"0")
        if not digits:
            return (0, 0)
        e10 = _clamped_exponent(exp) - len(fp)
        mag = e10 + len(digits)  # 10**(mag-1) <= |value| < 10**mag
        if mag > 4934 or mag < -4952:  # beyond 1.19e4932, below half the least subnormal
            return None
        num = _dec_to_int(digits)
        if e10 >= 0:
            v = _ld_round(num * 10**e10, 1, 0)
        else:
            v = _ld_round(num, 10**-e10, 0)
    else:
        m = _LD_HEX.match(s)
        if m is None:
            return _LD_INF if _LD_INF_RE.match(s) is not None else None
        sign, mant, exp = m.groups()
        ip, _, fp = mant.partition(b".")
        num = int(ip + fp, 16)
        if not num:
            return (0, 0)
        e2 = _clamped_exponent(exp) - 4 * len(fp)
        bits = num.bit_length() + e2  # 2**(bits-1) <= |value| < 2**bits
        if bits > 16385 or bits < _LD_QMIN - 1:
            return None
        v = _ld_round(num, 1, e2)
    if v[1] > _LD_QMAX or v[0] == 0:  # strtold ERANGE: overflow or underflow to zero
        return None
    return (-v[0], v[1]) if sign == b"-" else v


def add_long_double(a: LongDouble, b: LongDouble) -> LongDouble | None:
    """``a + b`` rounded to a long double; None when the sum is NaN or infinite."""
    (n1, q1), (n2, q2) = a, b
    if q1 > _LD_QMAX or q2 > _LD_QMAX:
        return None
    q = min(q1, q2)
    total = (n1 << (q1 - q)) + (n2 << (q2 - q))
    if total == 0:
        return (0, 0)
    m, e = _ld_round(abs(total), 1, q)
    if e > _LD_QMAX:
        return None
    return (-m if total < 0 else m), e


def format_long_double(v: LongDouble) -> bytes:
    """``"%.17Lf"`` with trailing zeros (and a bare point) trimmed, ``-0`` as ``0``:
    redis ``ld2string(..., LD_STR_HUMAN)``."""
    n, q = v
    m = -n if n < 0 else n
    if q >= 0:
        t = (m << q) * _P17
    else:
        d = 1 << -q
        t, r = divmod(m * _P17, d)
        r += r
        if r > d or (r == d and t & 1):
            t += 1
    ip, fp = divmod(t, _P17)
    s = (_int_to_dec(ip) + b".%017d" % fp).rstrip(b"0")
    if s[-1:] == b".":
        s = s[:-1]
    if n < 0 and s != b"0":
        s = b"-" + s
    return s


# -- LCS ----------------------------------------------------------------------


def _lcs_rows(a: bytes, b: bytes) -> list[int]:
    """Bit-parallel LCS table (Hyyrö): ``rows[i]`` has a zero bit for each step
    up of LCS(a[:i], b[:j]) along j, so LCS(i, j) = j - popcount(rows[i] & (2**j - 1)).

    Same values as Redis's O(N*M) table, in N big-integer operations."""
    blen = len(b)
    full = (1 << blen) - 1
    masks: dict[int, int] = {}
    rev = b[::-1]
    for ch in set(b):
        # bit j set where b[j] == ch: one C-speed pass per distinct byte
        table = bytearray(_ZEROS)
        table[ch] = 0x31
        masks[ch] = int(rev.translate(table), 2)
    v = full
    rows = [v]
    append = rows.append
    get = masks.get
    for ch in a:
        u = v & get(ch, 0)
        v = ((v + u) | (v - u)) & full
        append(v)
    return rows


_ZEROS = b"0" * 256  # a translate table mapping every byte to b"0"


def _lcs_reply(
    c: Client, a: bytes, b: bytes, getlen: bool, getidx: bool, withmatchlen: bool, minmatchlen: int
) -> bytes:
    alen, blen = len(a), len(b)
    if alen and blen:
        rows = _lcs_rows(a, b)
        total = blen - rows[alen].bit_count()
    else:  # nothing in common; the walk below does not run
        rows = []
        total = 0
    if getlen and not getidx:
        return integer(total)

    def lcs(i: int, j: int) -> int:
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    # Walk back from the end exactly as redis lcsCommand does, so the string
    # and the ranges (last match first) come out the same.
    result = bytearray(total)
    idx = total
    ranges: list[bytes] = []
    astart = aend = bstart = bend = 0
    tracking = False
    i, j = alen, blen
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if not tracking:
                tracking = True
                astart = aend = i - 1
                bstart = bend = j - 1
            elif astart == i and bstart == j:  # extends the range backwards
                astart -= 1
                bstart -= 1
            else:
                emit = True
            if astart == 0 or bstart == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if lcs(i - 1, j) > lcs(i, j - 1):
                i -= 1
            else:
                j -= 1
            if tracking:
                emit = True
        if emit:
            mlen = aend - astart + 1
            if getidx and (minmatchlen == 0 or mlen >= minmatchlen):
                ranges.append(
                    (b"*3\r\n" if withmatchlen else b"*2\r\n")
                    + b"*2\r\n"
                    + integer(astart)
                    + integer(aend)
                    + b"*2\r\n"
                    + integer(bstart)
                    + integer(bend)
                    + (integer(mlen) if withmatchlen else b"")
                )
            tracking = False
    if not getidx:
        return bulk(bytes(result))
    return b"".join(
        (
            b"%2\r\n" if c.resp3 else b"*4\r\n",
            b"$7\r\nmatches\r\n",
            array_header(len(ranges)),
            *ranges,
            b"$3\r\nlen\r\n",
            integer(total),
        )
    )


# -- handlers -----------------------------------------------------------------


def get(c: Client, argv: list[bytes]) -> bytes | list[bytes]:
    """GET key -> bulk | nil

    A miss on a loader key loads it first (cacheserver.loaders)."""
    value = c.db.get_str(argv[1], c.now)
    if value is None:
        loaders = c.server.loaders
        if loaders is not None and (reply := loaders.load(c, argv, argv[1])) is not None:
            return reply  # type: ignore[no-any-return]
        return c.nil
    return bulk_reply(value)


def set_(c: Client, argv: list[bytes]) -> bytes:
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL] -> +OK | nil | bulk"""
    db = c.db
    key = argv[1]
    if len(argv) == 3:  # the common case: no options
        if db.expires and key in db.expires:
            db.lookup(key, c.now)  # a due key expires first, as setKey's lookupKeyWrite
        if db.ks.hooked:
            db.upsert(key, argv[2])
            db.changed(key, NOTIFY_STRING, b"set")
            return OK
        db.set_str(key, argv[2])
        return OK
    flags, arg = parse_set_options(argv, 3, True)
    when = None if arg is None else _deadline(c, flags, arg, b"set")
    reply = OK
    if flags & _GET:
        old = db.get_str(key, c.now)
        reply = c.nil if old is None else bulk(old)
    found = db.lookup(key, c.now) is not None
    if (flags & _NX and found) or (flags & _XX and not found):
        return reply if flags & _GET else c.nil
    db.upsert(key, argv[2], keepttl=bool(flags & _KEEPTTL))
    if when is not None:
        db.set_expire(key, when)
    if db.ks.hooked:
        db.changed(key, NOTIFY_STRING, b"set")
        if when is not None:
            db.notify(key, NOTIFY_GENERIC, b"expire")
    return reply


def setnx(c: Client, argv: list[bytes]) -> bytes:
    """SETNX key value -> :1 set | :0 key exists"""
    db = c.db
    if db.lookup(argv[1], c.now) is not None:
        return ZERO
    db.add(argv[1], argv[2])
    db.changed(argv[1], NOTIFY_STRING, b"set")
    return ONE


def _set_with_ttl(c: Client, argv: list[bytes], unit_ms: bool, cmd: bytes) -> bytes:
    when = expire_at(c, argv[2], unit_ms, True, cmd)
    db = c.db
    key = argv[1]
    db.lookup(key, c.now)
    db.upsert(key, argv[3])
    db.set_expire(key, when)
    if db.ks.hooked:
        db.changed(key, NOTIFY_STRING, b"set")
        db.notify(key, NOTIFY_GENERIC, b"expire")
    return OK


def setex(c: Client, argv: list[bytes]) -> bytes:
    """SETEX key seconds value -> +OK"""
    return _set_with_ttl(c, argv, False, b"setex")


def psetex(c: Client, argv: list[bytes]) -> bytes:
    """PSETEX key milliseconds value -> +OK"""
    return _set_with_ttl(c, argv, True, b"psetex")


def mget(c: Client, argv: list[bytes]) -> bytes:
    """MGET key [key ...] -> array of bulk | nil (nil for missing keys and other types)

    Cold loader keys are loaded first, one query per loader."""
    db_get = c.db.get
    now = c.now
    nil = c.nil
    out = [array_header(len(argv) - 1)]
    append = out.append
    missed: list[bytes] | None = None
    for key in argv[1:]:
        value = db_get(key, now)
        if isinstance(value, (bytes, bytearray)):
            append(bulk(value))
        else:
            if value is None and c.server.loaders is not None:
                missed = missed or []
                missed.append(key)
            append(nil)
    if missed and (reply := c.server.loaders.load_many(c, argv, missed)) is not None:  # type: ignore[union-attr]
        return reply  # type: ignore[no-any-return]
    return b"".join(out)


def mset(c: Client, argv: list[bytes]) -> bytes:
    """MSET key value [key value ...] -> +OK"""
    n = len(argv)
    if not n & 1:
        raise wrong_arity(b"mset")
    db = c.db
    expires = db.expires
    now = c.now
    if db.ks.hooked:
        for i in range(1, n, 2):
            key = argv[i]
            db.lookup(key, now)
            db.upsert(key, argv[i + 1])
            db.changed(key, NOTIFY_STRING, b"set")
        return OK
    db_set = db.set_str
    for i in range(1, n, 2):
        key = argv[i]
        if expires and key in expires:
            db.lookup(key, now)
        db_set(key, argv[i + 1])
    return OK


def msetnx(c: Client, argv: list[bytes]) -> bytes:
    """MSETNX key value [key value ...] -> :1 all set | :0 none set (a key existed)"""
    n = len(argv)
    if not n & 1:
        raise wrong_arity(b"msetnx")
    db = c.db
    now = c.now
    for i in range(1, n, 2):
        if db.lookup(argv[i], now) is not None:
            return ZERO
    for i in range(1, n, 2):
        db.upsert(argv[i], argv[i + 1])
        db.changed(argv[i], NOTIFY_STRING, b"set")
    return ONE


def getset(c: Client, argv: list[bytes]) -> bytes:
    """GETSET key value -> bulk (old value) | nil"""
    db = c.db
    key = argv[1]
    old = db.get_str(key, c.now)
    db.upsert(key, argv[2])
    db.changed(key, NOTIFY_STRING, b"set")
    return c.nil if old is None else bulk(old)


def getdel(c: Client, argv: list[bytes]) -> bytes:
    """GETDEL key -> bulk | nil"""
    db = c.db
    key = argv[1]
    old = db.get_str(key, c.now)
    if old is None:
        return c.nil
    db.delete(key)
    db.changed(key, NOTIFY_GENERIC, b"del")
    return bulk(old)


def getex(c: Client, argv: list[bytes]) -> bytes:
    """GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST] -> bulk | nil"""
    flags, arg = parse_set_options(argv, 2, False)
    db = c.db
    key = argv[1]
    value = db.get_str(key, c.now)
    if value is None:
        return c.nil
    if arg is not None:
        when = _deadline(c, flags, arg, b"getex")
        if flags & (_EXAT | _PXAT) and when <= c.now:
            db.delete(key)  # an absolute time already past deletes the key
            db.changed(key, NOTIFY_GENERIC, b"del")
        else:
            db.set_expire(key, when)
            db.ks.dirty += 1
            db.changed(key, NOTIFY_GENERIC, b"expire")
    elif flags & _PERSIST and db.persist(key):
        db.ks.dirty += 1
        db.changed(key, NOTIFY_GENERIC, b"persist")
    return bulk(value)


def _incr_by(c: Client, key: bytes, by: int) -> bytes:
    db = c.db
    old = db.lookup_str(key, c.now)
    if old is None:
        new = b"%d" % by
        db.add(key, new)
    else:
        value = string2ll(old)
        if value is None:
            raise CommandError(NOT_INTEGER)
        value += by
        if value > LLONG_MAX or value < LLONG_MIN:
            raise CommandError(OVERFLOW)
        new = b"%d" % value
        db.replace(key, new, old)
    if db.ks.hooked:
        db.changed(key, NOTIFY_STRING, b"incrby")
    return b":" + new + CRLF


def incr(c: Client, argv: list[bytes]) -> bytes:
    """INCR key -> integer"""
    return _incr_by(c, argv[1], 1)


def decr(c: Client, argv: list[bytes]) -> bytes:
    """DECR key -> integer"""
    return _incr_by(c, argv[1], -1)


def incrby(c: Client, argv: list[bytes]) -> bytes:
    """INCRBY key increment -> integer"""
    by = string2ll(argv[2])
    if by is None:
        raise CommandError(NOT_INTEGER)
    return _incr_by(c, argv[1], by)


def decrby(c: Client, argv: list[bytes]) -> bytes:
    """DECRBY key decrement -> integer"""
    by = string2ll(argv[2])
    if by is None:
        raise CommandError(NOT_INTEGER)
    if by == LLONG_MIN:  # its negation does not fit
        raise CommandError(DECR_OVERFLOW)
    return _incr_by(c, argv[1], -by)


def incrbyfloat(c: Client, argv: list[bytes]) -> bytes:
    """INCRBYFLOAT key increment -> bulk (the new value)"""
    db = c.db
    key = argv[1]
    old = db.lookup_str(key, c.now)
    value = (0, 0) if old is None else parse_long_double(bytes(old))
    if value is None:
        raise CommandError(NOT_FLOAT)
    incr_ = parse_long_double(argv[2])
    if incr_ is None:
        raise CommandError(NOT_FLOAT)
    total = add_long_double(value, incr_)
    if total is None:
        raise CommandError(NAN_OR_INF)
    new = format_long_double(total)
    if old is None:
        db.add(key, new)
    else:
        db.set(key, new, keepttl=True)
    db.changed(key, NOTIFY_STRING, b"incrbyfloat")
    return bulk(new)


def append(c: Client, argv: list[bytes]) -> bytes:
    """APPEND key value -> integer (the new length)"""
    db = c.db
    key = argv[1]
    tail = argv[2]
    old = db.lookup_str(key, c.now)
    if old is None:
        db.add(key, tail)
        total = len(tail)
    else:
        total = len(old) + len(tail)
        if total > c.server.config["proto-max-bulk-len"]:
            raise CommandError(STRING_TOO_LONG)
        buf = db.unshare_str(key, old)
        before = value_cost(buf)
        buf += tail  # in place: the cost is the appended bytes only
        db.touch_write(key, value_cost(buf) - before)
    db.changed(key, NOTIFY_STRING, b"append")
    return integer(total)


def strlen(c: Client, argv: list[bytes]) -> bytes:
    """STRLEN key -> integer (0 for a missing key)"""
    value = c.db.get_str(argv[1], c.now)
    return ZERO if value is None else integer(len(value))


def getrange(c: Client, argv: list[bytes]) -> bytes:
    """GETRANGE key start end -> bulk (empty when the range is empty or the key missing)"""
    start = string2ll(argv[2])
    if start is None:
        raise CommandError(NOT_INTEGER)
    end = string2ll(argv[3])
    if end is None:
        raise CommandError(NOT_INTEGER)
    value = c.db.get_str(argv[1], c.now)
    if value is None:
        return EMPTY_BULK
    n = len(value)
    # Redis 7.0's index rules, quirks included: a negative end beyond the
    # start of the string is clamped to 0 (so 0 -100 gives the first byte),
    # while two negative indexes with start > end give an empty string.
    if start < 0 and end < 0 and start > end:
        return EMPTY_BULK
    start, end = clamp_range(start, end, n)
    if start > end or n == 0:
        return EMPTY_BULK
    return bulk(value[start : end + 1])


def clamp_range(start: int, end: int, total: int) -> tuple[int, int]:
    """Negative indexes counted from the end, then both within [0, total - 1]
    (GETRANGE's rules; BITCOUNT's and BITPOS's too); start > end: empty."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


def substr(c: Client, argv: list[bytes]) -> bytes:
    """SUBSTR key start end -> bulk (GETRANGE under its pre-2.0 name)"""
    return getrange(c, argv)


def setrange(c: Client, argv: list[bytes]) -> bytes:
    """SETRANGE key offset value -> integer (the new length)"""
    offset = string2ll(argv[2])
    if offset is None:
        raise CommandError(NOT_INTEGER)
    if offset < 0:
        raise CommandError(OFFSET_RANGE)
    db = c.db
    key = argv[1]
    value = argv[3]
    old = db.lookup_str(key, c.now)
    if old is None:
        if not value:  # setting nothing on a missing key creates nothing
            return ZERO
        if offset + len(value) > c.server.config["proto-max-bulk-len"]:
            raise CommandError(STRING_TOO_LONG)
        new = bytearray(offset)  # a raw string, as redis creates it
        new += value
        db.add(key, new)
        db.changed(key, NOTIFY_STRING, b"setrange")
        return integer(len(new))
    if not value:
        return integer(len(old))
    if offset + len(value) > c.server.config["proto-max-bulk-len"]:
        raise CommandError(STRING_TOO_LONG)
    buf = db.unshare_str(key, old)
    before = value_cost(buf)
    if offset > len(buf):
        buf += bytes(offset - len(buf))
    buf[offset : offset + len(value)] = value
    db.touch_write(key, value_cost(buf) - before)
    db.changed(key, NOTIFY_STRING, b"setrange")
    return integer(len(buf))


def lcs(c: Client, argv: list[bytes]) -> bytes:
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] -> bulk | integer | map"""
    db = c.db
    a = db.get(argv[1], c.now)
    b = db.get(argv[2], c.now)
    if (a is not None and type_name(a) != b"string") or (
        b is not None and type_name(b) != b"string"
    ):
        raise CommandError(LCS_NOT_STRING)
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    j = 3
    n = len(argv)
    while j < n:
        opt = c_option(argv[j])
        if opt == b"idx":
            getidx = True
        elif opt == b"len":
            getlen = True
        elif opt == b"withmatchlen":
            withmatchlen = True
        elif opt == b"minmatchlen" and j + 1 < n:
            j += 1
            mml = string2ll(argv[j])
            if mml is None:
                raise CommandError(NOT_INTEGER)
            minmatchlen = max(mml, 0)
        else:
            raise CommandError(SYNTAX)
        j += 1
    if getidx and getlen:
        raise CommandError(LCS_LEN_AND_IDX)
    a = a or b""
    b = b or b""
    # Redis refuses when its (alen+1) x (blen+1) table of uint32 would be
    # larger than proto-max-bulk-len.
    if (len(a) + 1) * (len(b) + 1) * 4 > c.server.config["proto-max-bulk-len"]:
        raise CommandError(LCS_TOO_BIG)
    return _lcs_reply(c, a, b, getlen, getidx, withmatchlen, minmatchlen)


_STR = "string"


def make_commands() -> list[Command]:
    return [
        Command(b"GET", get, 2, READONLY | FAST, 1, 1, 1, group=_STR),
        Command(b"SET", set_, -3, WRITE | DENYOOM, 1, 1, 1, group=_STR),
        Command(b"SETNX", setnx, 3, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR),
        Command(b"SETEX", setex, 4, WRITE | DENYOOM, 1, 1, 1, group=_STR, since="2.0.0"),
        Command(b"PSETEX", psetex, 4, WRITE | DENYOOM, 1, 1, 1, group=_STR, since="2.6.0"),
        Command(b"MGET", mget, -2, READONLY | FAST, 1, -1, 1, group=_STR),
        Command(b"MSET", mset, -3, WRITE | DENYOOM, 1, -1, 2, group=_STR, since="1.0.1"),
        Command(b"MSETNX", msetnx, -3, WRITE | DENYOOM, 1, -1, 2, group=_STR, since="1.0.1"),
        Command(b"GETSET", getset, 3, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR),
        Command(b"GETDEL", getdel, 2, WRITE | FAST, 1, 1, 1, group=_STR, since="6.2.0"),
        Command(b"GETEX", getex, -2, WRITE | FAST, 1, 1, 1, group=_STR, since="6.2.0"),
        Command(b"INCR", incr, 2, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR),
        Command(b"DECR", decr, 2, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR),
        Command(b"INCRBY", incrby, 3, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR),
        Command(b"DECRBY", decrby, 3, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR),
        Command(
            b"INCRBYFLOAT",
            incrbyfloat,
            3,
            WRITE | DENYOOM | FAST,
            1,
            1,
            1,
            group=_STR,
            since="2.6.0",
        ),
        Command(b"APPEND", append, 3, WRITE | DENYOOM | FAST, 1, 1, 1, group=_STR, since="2.0.0"),
        Command(b"STRLEN", strlen, 2, READONLY | FAST, 1, 1, 1, group=_STR, since="2.2.0"),
        Command(b"GETRANGE", getrange, 4, READONLY, 1, 1, 1, group=_STR, since="2.4.0"),
        Command(b"SETRANGE", setrange, 4, WRITE | DENYOOM, 1, 1, 1, group=_STR, since="2.2.0"),
        Command(b"SUBSTR", substr, 4, READONLY, 1, 1, 1, group=_STR),
        Command(b"LCS", lcs, -3, READONLY, 1, 2, 1, group=_STR, since="7.0.0"),
    ]
