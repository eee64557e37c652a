"""HyperLogLog (redis ``hyperloglog.c``): PFADD, PFCOUNT, PFMERGE.

The values are Redis's own strings, byte for byte, so GET, SET, DUMP-free
copies and every client see what Redis would store: a 16-byte header
(``HYLL``, the encoding, three zero bytes, the cached cardinality in eight
little-endian bytes, its top bit set when stale) and 16,384 six-bit
registers, either dense (12,288 bytes, register i at bits 6i..6i+5,
least significant first) or sparse: opcodes ZERO (``00xxxxxx``, 1-64
zero registers), XZERO (``01xxxxxx yyyyyyyy``, 1-16,384) and VAL
(``1vvvvvxx``, 1-4 registers of value 1-32), updated in place as Redis
updates them (split, then merge with equal neighbours), and turned dense
past ``hll-sparse-max-bytes`` or for a value over 32.

An element goes to register ``h & 16383`` with the count of its hash's
trailing zeros after those 14 bits, plus one (MurmurHash64A, seed
0xadc83b19); PFCOUNT is Ertl's estimator over the register histogram, as
Redis 7 computes it.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

from cacheserver.commands.table import DENYOOM, FAST, MAY_REPLICATE, READONLY, WRITE, Command
from cacheserver.errors import CommandError, WrongType
from cacheserver.store.keyspace import NOTIFY_STRING
from cacheserver.store.memory import value_cost
from protocol.resp import OK, ONE, ZERO, integer

if TYPE_CHECKING:
    from cacheserver.connection import Client

NOT_HLL = b"WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPTED = b"INVALIDOBJ Corrupted HLL object detected"

P = 14
REGISTERS = 1 << P  # 16384
Q = 64 - P
HDR = 16
DENSE_SIZE = HDR + (REGISTERS * 6 + 7) // 8
SPARSE, DENSE = 1, 0
ZERO_MAX_LEN = 64
XZERO_MAX_LEN = 16384
VAL_MAX_VALUE = 32
VAL_MAX_LEN = 4
ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)
_M64 = (1 << 64) - 1
_MUR = 0xC6A4A7935BD1E995
_SEED = 0xADC83B19


def murmur64a(data: bytes) -> int:
    """MurmurHash64A of ``data`` with Redis's seed (little-endian words)."""
    n = len(data)
    h = (_SEED ^ (n * _MUR)) & _M64
    whole = n - (n & 7)
    for i in range(0, whole, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _MUR) & _M64
        k ^= k >> 47
        k = (k * _MUR) & _M64
        h = ((h ^ k) * _MUR) & _M64
    if n & 7:
        h ^= int.from_bytes(data[whole:], "little")
        h = (h * _MUR) & _M64
    h ^= h >> 47
    h = (h * _MUR) & _M64
    return h ^ (h >> 47)


def pattern(element: bytes) -> tuple[int, int]:
    """(register, count) for ``element`` (redis ``hllPatLen``)."""
    h = murmur64a(element)
    rest = (h >> P) | (1 << Q)
    return h & (REGISTERS - 1), (rest & -rest).bit_length()


def new_hll() -> bytearray:
    """An empty sparse HLL: one XZERO over every register, cache valid at 0."""
    n = XZERO_MAX_LEN - 1
    return bytearray(b"HYLL\x01\x00\x00\x00" + bytes(8) + bytes([(n >> 8) | 0x40, n & 0xFF]))


def _invalidate(hll: bytearray) -> None:
    hll[15] |= 0x80


def is_hll(value: bytes | bytearray) -> bool:
    """Redis ``isHLLObjectOrReply``'s test of a string value."""
    if len(value) < HDR or value[:4] != b"HYLL" or value[4] > 1:
        return False
    return value[4] != DENSE or len(value) == DENSE_SIZE


# -- registers ------------------------------------------------------------------


def _dense_get(hll: bytearray, i: int) -> int:
    byte, fb = divmod(i * 6, 8)
    b1 = hll[HDR + byte + 1] if HDR + byte + 1 < len(hll) else 0
    return ((hll[HDR + byte] >> fb) | (b1 << (8 - fb))) & 63


def _dense_set(hll: bytearray, i: int, v: int) -> None:
    byte, fb = divmod(i * 6, 8)
    at = HDR + byte
    hll[at] = (hll[at] & ~(63 << fb) & 0xFF) | ((v << fb) & 0xFF)
    if fb > 2:  # the register spills into the next byte
        hll[at + 1] = (hll[at + 1] & ~(63 >> (8 - fb)) & 0xFF) | (v >> (8 - fb))


def registers(hll: bytes | bytearray) -> bytearray | None:
    """The 16,384 register values, or None when the sparse form is corrupt."""
    if hll[4] == DENSE:
        x = int.from_bytes(hll[HDR:], "little")
        return bytearray((x >> (6 * i)) & 63 for i in range(REGISTERS))
    out = bytearray(REGISTERS)
    i, p, end = 0, HDR, len(hll)
    while p < end:
        op = hll[p]
        if op & 0x80:  # VAL
            n, v = (op & 3) + 1, ((op >> 2) & 31) + 1
            if i + n > REGISTERS:
                return None
            out[i : i + n] = bytes([v]) * n
            i += n
            p += 1
        elif op & 0x40:  # XZERO
            if p + 1 >= end:
                return None
            i += (((op & 0x3F) << 8) | hll[p + 1]) + 1
            p += 2
        else:  # ZERO
            i += (op & 0x3F) + 1
            p += 1
    return out if i == REGISTERS else None


def _dense_bytes(regs: bytes | bytearray) -> bytes:
    x = 0
    for i in range(REGISTERS - 1, -1, -1):
        x = (x << 6) | regs[i]
    return x.to_bytes(DENSE_SIZE - HDR, "little")


def _to_dense(hll: bytearray) -> bool:
    """Turn a sparse HLL dense in place (the header, cache bytes included,
    stays); False when it is corrupt."""
    if hll[4] == DENSE:
        return True
    regs = registers(hll)
    if regs is None:
        return False
    hll[HDR:] = _dense_bytes(regs)
    hll[4] = DENSE
    return True


# the registers a one-byte opcode covers (ZERO, VAL); 0 for an XZERO's first byte
_SPAN1 = bytes((b & 63) + 1 if b < 0x40 else (b & 3) + 1 if b >= 0x80 else 0 for b in range(256))
_XZERO_FIRST = re.compile(rb"[\x40-\x7f]")


def _locate(hll: bytearray, index: int) -> tuple[int, int, int, int, int] | None:
    """The opcode covering register ``index``: (its offset, its first
    register, its span, its length, the previous opcode's offset or -1);
    None when the opcodes do not reach it.  XZERO opcodes are few: between
    them, the one-byte opcodes are summed and searched at C speed (the
    only bytes in 0x40-0x7f at an opcode boundary start an XZERO)."""
    end = len(hll)
    p = HDR
    first = 0
    prev = -1
    while p < end:
        m = _XZERO_FIRST.search(hll, p)
        q = end if m is None else m.start()
        if q > p:
            spans = hll[p:q].translate(_SPAN1)
            total = sum(spans)
            if index < first + total:
                # the 128-byte chunk holding it, then the opcode in the chunk
                r = index - first
                c0 = base = 0
                while True:
                    chunk = spans[c0 : c0 + 128]
                    n = sum(chunk)
                    if r < base + n:
                        break
                    base += n
                    c0 += 128
                acc = list(accumulate(chunk))
                j = bisect_right(acc, r - base)
                k = c0 + j
                before = base + (acc[j - 1] if j else 0)
                return p + k, first + before, chunk[j], 1, (p + k - 1 if k else prev)
            first += total
            prev = q - 1
        if q >= end:
            break
        if q + 1 >= end:
            return None
        span = (((hll[q] & 0x3F) << 8) | hll[q + 1]) + 1
        if index < first + span:
            return q, first, span, 2, prev
        first += span
        prev = q
        p = q + 2
    return None


def sparse_set(hll: bytearray, index: int, count: int, max_bytes: int) -> int:
    """Raise register ``index`` to ``count`` (redis ``hllSparseSet``): 1 if
    it changed, 0 if not, -1 when corrupt; may turn the HLL dense."""
    if count > VAL_MAX_VALUE:
        return _promote(hll, index, count)
    found = _locate(hll, index)
    if found is None:
        return -1
    p, first, span, oplen, prev = found
    op = hll[p]
    is_val = bool(op & 0x80)
    if is_val:
        cur = ((op >> 2) & 31) + 1
        if cur >= count:
            return 0
        if span == 1:
            hll[p] = 0x80 | ((count - 1) << 2)
            _merge(hll, prev)
            return 1
    elif not op & 0x40 and span == 1:  # ZERO of one register
        hll[p] = 0x80 | ((count - 1) << 2)
        _merge(hll, prev)
        return 1
    last = first + span - 1
    seq = bytearray()
    if is_val:
        if index != first:
            seq.append(0x80 | ((cur - 1) << 2) | (index - first - 1))
        seq.append(0x80 | ((count - 1) << 2))
        if index != last:
            seq.append(0x80 | ((cur - 1) << 2) | (last - index - 1))
    else:
        if index != first:
            seq += _zeros(index - first)
        seq.append(0x80 | ((count - 1) << 2))
        if index != last:
            seq += _zeros(last - index)
    delta = len(seq) - oplen
    if delta > 0 and len(hll) + delta > max_bytes:
        return _promote(hll, index, count)
    hll[p : p + oplen] = seq
    _merge(hll, prev)
    return 1


def _zeros(n: int) -> bytes:
    if n > ZERO_MAX_LEN:
        n -= 1
        return bytes([(n >> 8) | 0x40, n & 0xFF])
    return bytes([n - 1])


def _merge(hll: bytearray, prev: int) -> None:
    """Merge adjacent VAL opcodes of one value, up to five opcodes from ``prev``."""
    p = prev if prev >= 0 else HDR
    scan = 5
    while p < len(hll) and scan:
        scan -= 1
        op = hll[p]
        if not op & 0x80:
            p += 2 if op & 0x40 else 1
            continue
        if p + 1 < len(hll) and hll[p + 1] & 0x80:
            nxt = hll[p + 1]
            if (op >> 2) & 31 == (nxt >> 2) & 31:
                n = (op & 3) + (nxt & 3) + 2
                if n <= VAL_MAX_LEN:
                    hll[p + 1] = (nxt & 0xFC) | (n - 1)
                    del hll[p]
                    continue
        p += 1


def _promote(hll: bytearray, index: int, count: int) -> int:
    if not _to_dense(hll):
        return -1
    if _dense_get(hll, index) < count:
        _dense_set(hll, index, count)
    return 1


def add(hll: bytearray, element: bytes, max_bytes: int) -> int:
    """PFADD of one element: 1 if a register rose, 0 if not, -1 if corrupt."""
    index, count = pattern(element)
    if hll[4] == DENSE:
        if _dense_get(hll, index) < count:
            _dense_set(hll, index, count)
            return 1
        return 0
    return sparse_set(hll, index, count, max_bytes)


# -- the estimate -------------------------------------------------------------------


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prime = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prime == z:
            return z / 3


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            return z


def count(regs: bytes | bytearray) -> int:
    """The cardinality estimate of a register array (redis ``hllCount``)."""
    histo = [0] * 64
    for v in range(64):
        c = regs.count(v)
        if c:
            histo[v] = c
    m = float(REGISTERS)
    z = m * _tau((m - histo[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    whole = math.floor(e)
    return int(whole) + (1 if e - whole >= 0.5 else 0)  # llroundl: halves away from 0


# -- commands -------------------------------------------------------------------------


def _hll_or_error(value: bytes | bytearray | None) -> None:
    if value is not None and not is_hll(value):
        raise CommandError(NOT_HLL)


def pfadd(c: Client, argv: list[bytes]) -> bytes:
    """PFADD key [element [element ...]] -> integer (1 if a register changed or the key was created)

    Complexity: O(1) to add every element.
    """
    db, key = c.db, argv[1]
    value = db.lookup_str(key, c.now)
    max_bytes = c.server.config["hll-sparse-max-bytes"]
    updated = 0
    if value is None:
        hll = new_hll()
        db.add(key, hll)
        before = value_cost(hll)
        updated = 1
    else:
        _hll_or_error(value)
        hll = db.unshare_str(key, value)
        before = value_cost(hll)
    for element in argv[2:]:
        r = add(hll, element, max_bytes)
        if r < 0:
            raise CommandError(CORRUPTED)
        updated |= r
    if updated:
        _invalidate(hll)
        db.touch_write(key, value_cost(hll) - before)
        db.changed(key, NOTIFY_STRING, b"pfadd")
    return ONE if updated else ZERO


def _merged(c: Client, keys: list[bytes]) -> tuple[bytearray, bool]:
    """The register-wise maximum of the HLLs at ``keys`` (missing ones are
    empty), and whether any of them is dense."""
    db, now = c.db, c.now
    top = bytearray(REGISTERS)
    dense = False
    for key in keys:
        value = db.get(key, now)
        if value is None:
            continue
        if value.__class__ is not bytes and value.__class__ is not bytearray:
            raise WrongType()
        _hll_or_error(value)
        regs = registers(value)
        if regs is None:
            raise CommandError(CORRUPTED)
        dense = dense or value[4] == DENSE
        top = bytearray(map(max, top, regs))
    return top, dense


def pfcount(c: Client, argv: list[bytes]) -> bytes:
    """PFCOUNT key [key ...] -> integer (the estimated number of distinct elements; of the union for many keys)

    Complexity: O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.
    """
    if len(argv) > 2:
        return integer(count(_merged(c, argv[1:])[0]))
    db, key = c.db, argv[1]
    value = db.get_str(key, c.now)
    if value is None:
        return ZERO
    _hll_or_error(value)
    if not value[15] & 0x80:  # the cached cardinality is valid
        return integer(int.from_bytes(value[8:16], "little"))
    regs = registers(value)
    if regs is None:
        raise CommandError(CORRUPTED)
    card = count(regs)
    hll = db.unshare_str(key, value)
    hll[8:16] = card.to_bytes(8, "little")
    db.changed(key, 0, b"")  # (a changed value: WATCH and tracking hear it; no event)
    db.ks.dirty += 1
    return integer(card)


def pfmerge(c: Client, argv: list[bytes]) -> bytes:
    """PFMERGE destkey sourcekey [sourcekey ...] -> +OK (with no source, destkey alone: created empty if missing)

    Complexity: O(N) to merge N HyperLogLogs, but with high constant times.
    """
    top, dense = _merged(c, argv[1:])
    db, key = c.db, argv[1]
    value = db.lookup_str(key, c.now)
    if value is None:
        hll = new_hll()
        db.add(key, hll)
        before = value_cost(hll)
    else:
        hll = db.unshare_str(key, value)
        before = value_cost(hll)
    if dense and not _to_dense(hll):
        raise CommandError(CORRUPTED)
    max_bytes = c.server.config["hll-sparse-max-bytes"]
    for i, v in enumerate(top):
        if v:
            if hll[4] == DENSE:
                if _dense_get(hll, i) < v:
                    _dense_set(hll, i, v)
            elif sparse_set(hll, i, v, max_bytes) < 0:
                raise CommandError(CORRUPTED)
    _invalidate(hll)
    db.touch_write(key, value_cost(hll) - before)
    db.changed(key, NOTIFY_STRING, b"pfadd")
    return OK


_HLL = "hyperloglog"


def make_commands() -> list[Command]:
    return [
        Command(b"PFADD", pfadd, -2, WRITE | DENYOOM | FAST, 1, 1, 1, group=_HLL, since="2.8.9"),
        # MAY_REPLICATE: it may write the cached count back (CLIENT PAUSE WRITE holds it)
        Command(
            b"PFCOUNT", pfcount, -2, READONLY | MAY_REPLICATE, 1, -1, 1, group=_HLL, since="2.8.9"
        ),
        Command(b"PFMERGE", pfmerge, -2, WRITE | DENYOOM, 1, -1, 1, group=_HLL, since="2.8.9"),
    ]
