"""Bitmap commands (redis ``bitops.c``): SETBIT, GETBIT, BITCOUNT, BITPOS,
BITOP, BITFIELD and BITFIELD_RO, on string values.

Bit 0 is the most significant bit of the first byte.  Writes work on a
``bytearray`` (a string value already mutable is changed in place, a
``bytes`` value becomes one); a write past the end pads the string with
zero bytes, as Redis's ``lookupStringForBitCommand``.  Counting, searching
and the BITOP operations run over whole strings at C speed through Python
ints (``int.from_bytes``) and ``bytes.lstrip``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.commands.strings import clamp_range
from cacheserver.commands.table import DENYOOM, FAST, READONLY, WRITE, Command
from cacheserver.errors import NOT_INTEGER, SYNTAX, CommandError
from cacheserver.store.keyspace import NOTIFY_GENERIC, NOTIFY_STRING
from cacheserver.store.memory import value_cost
from protocol.resp import ONE, ZERO, array_header, integer, string2ll

if TYPE_CHECKING:
    from cacheserver.connection import Client
    from cacheserver.store.keyspace import Database

BIT_OFFSET = b"ERR bit offset is not an integer or out of range"
BIT_VALUE = b"ERR bit is not an integer or out of range"
BIT_ARG = b"ERR The bit argument must be 1 or 0."
NOT_SINGLE = b"ERR BITOP NOT must be called with a single source key."
BAD_TYPE = (
    b"ERR Invalid bitfield type. Use something like i16 u8. "
    b"Note that u64 is not supported but i64 is."
)
BAD_OVERFLOW = b"ERR Invalid OVERFLOW type specified"
RO_GET_ONLY = b"ERR BITFIELD_RO only supports the GET subcommand"

_WRAP, _SAT, _FAIL = 0, 1, 2
_OVERFLOWS = {b"wrap": _WRAP, b"sat": _SAT, b"fail": _FAIL}
_U64 = (1 << 64) - 1


def _ll(arg: bytes) -> int:
    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    return n


def _bit_offset(c: Client, arg: bytes, bits: int = 0) -> int:
    """A bit offset (redis ``getBitOffsetFromArgument``): with ``bits``
    (BITFIELD), ``#n`` means the n-th field of that width.  The byte it falls
    in must be under proto-max-bulk-len."""
    hashed = bits > 0 and arg[:1] == b"#"
    n = string2ll(arg[1:] if hashed else arg)
    if n is None:
        raise CommandError(BIT_OFFSET)
    if hashed:
        n *= bits
    if n < 0 or n >> 3 >= c.server.config["proto-max-bulk-len"]:
        raise CommandError(BIT_OFFSET)
    return n


def _unit_is_bit(arg: bytes) -> bool:
    unit = arg.lower()
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise CommandError(SYNTAX)


def _popcount(p: bytes | bytearray, lo: int, hi: int) -> int:
    """Set bits in bits ``lo``..``hi`` (inclusive) of ``p``."""
    b0, b1 = lo >> 3, hi >> 3
    n = int.from_bytes(p[b0 : b1 + 1], "big").bit_count()
    # the first byte's bits before lo and the last byte's after hi are not counted
    n -= (p[b0] & ~(0xFF >> (lo & 7)) & 0xFF).bit_count()
    return n - (p[b1] & (0xFF >> ((hi & 7) + 1))).bit_count()


def _first_bit(p: bytes | bytearray, lo: int, hi: int, bit: int) -> int:
    """The first bit equal to ``bit`` in bits ``lo``..``hi`` of ``p``, or -1."""
    flip = 0 if bit else 0xFF  # search for set bits of the (flipped) bytes
    b0, b1 = lo >> 3, hi >> 3
    head = (p[b0] ^ flip) & (0xFF >> (lo & 7))
    if b0 == b1:
        head &= 0xFF << (7 - (hi & 7))
    if head & 0xFF:
        return b0 * 8 + 8 - (head & 0xFF).bit_length()
    if b0 == b1:
        return -1
    middle = p[b0 + 1 : b1]
    rest = middle.lstrip(b"\xff" if flip else b"\x00")
    if rest:
        i = b1 - len(rest)
        return i * 8 + 8 - (p[i] ^ flip).bit_length()
    tail = (p[b1] ^ flip) & 0xFF << (7 - (hi & 7)) & 0xFF
    return b1 * 8 + 8 - tail.bit_length() if tail else -1


def _for_bits(c: Client, key: bytes, maxbit: int) -> tuple[bytearray, bool]:
    """The string at ``key`` for writing bits up to ``maxbit``, zero-padded
    to hold it and created when absent (redis ``lookupStringForBitCommand``):
    its buffer, and whether it is new or grew."""
    db = c.db
    old = db.lookup_str(key, c.now)
    need = (maxbit >> 3) + 1
    if old is None:
        buf = bytearray(need)
        db.add(key, buf)
        return buf, True
    buf = db.unshare_str(key, old)
    grew = len(buf) < need
    if grew:
        before = value_cost(buf)
        buf.extend(bytes(need - len(buf)))
        db.touch_write(key, value_cost(buf) - before)
    return buf, grew


def _wrote(db: Database, key: bytes, buf: bytearray, before: int) -> None:
    """Bits of ``buf`` (the value at ``key``) changed in place: count the
    write and any growth since its cost was ``before``."""
    db.touch_write(key, value_cost(buf) - before)
    db.changed(key, NOTIFY_STRING, b"setbit")


# -- SETBIT, GETBIT, BITCOUNT, BITPOS ---------------------------------------------


def setbit(c: Client, argv: list[bytes]) -> bytes:
    """SETBIT key offset value -> integer (the bit's value before)

    Complexity: O(1)
    """
    offset = _bit_offset(c, argv[2])
    on = string2ll(argv[3])
    if on is None or on & ~1:
        raise CommandError(BIT_VALUE)
    key = argv[1]
    buf, new_or_grown = _for_bits(c, key, offset)
    byte, mask = offset >> 3, 0x80 >> (offset & 7)
    was = buf[byte] & mask
    # the string is new, grew, or the bit changes: a write (redis 7.0);
    # setting a bit to what it is changes nothing
    if new_or_grown or bool(was) != bool(on):
        before = value_cost(buf)
        buf[byte] = buf[byte] | mask if on else buf[byte] & ~mask
        _wrote(c.db, key, buf, before)
    return ONE if was else ZERO


def getbit(c: Client, argv: list[bytes]) -> bytes:
    """GETBIT key offset -> integer (0 past the end of the string, or for no key)

    Complexity: O(1)
    """
    offset = _bit_offset(c, argv[2])
    value = c.db.get_str(argv[1], c.now)
    byte = offset >> 3
    if value is None or byte >= len(value):
        return ZERO
    return ONE if value[byte] & 0x80 >> (offset & 7) else ZERO


def bitcount(c: Client, argv: list[bytes]) -> bytes:
    """BITCOUNT key [start end [BYTE|BIT]] -> integer (set bits in the range)

    Complexity: O(N)
    """
    value = c.db.get_str(argv[1], c.now)
    if value is None:
        return ZERO
    n = len(argv)
    if n == 2:
        return integer(int.from_bytes(value, "big").bit_count())
    if n > 5 or n == 3:
        raise CommandError(SYNTAX)
    start, end = _ll(argv[2]), _ll(argv[3])
    if start < 0 and end < 0 and start > end:
        return ZERO
    isbit = n == 5 and _unit_is_bit(argv[4])
    start, end = clamp_range(start, end, len(value) * 8 if isbit else len(value))
    if start > end:
        return ZERO
    if not isbit:
        start, end = start * 8, end * 8 + 7
    return integer(_popcount(value, start, end))


def bitpos(c: Client, argv: list[bytes]) -> bytes:
    """BITPOS key bit [start [end [BYTE|BIT]]] -> integer (the first bit set to bit, or -1)

    With no end, the string counts as followed by zero bits: looking for 0
    in a run of ones answers the bit after it.

    Complexity: O(N)
    """
    bit = _ll(argv[2])
    if bit != 0 and bit != 1:
        raise CommandError(BIT_ARG)
    value = c.db.get_str(argv[1], c.now)
    if value is None:  # an endless run of zero bits
        return integer(-1 if bit else 0)
    n = len(argv)
    end_given = n >= 5
    isbit = False
    if n == 3:
        start, end = 0, len(value) - 1
    elif n <= 6:
        start = _ll(argv[3])
        if n == 6:
            isbit = _unit_is_bit(argv[5])
        end = _ll(argv[4]) if end_given else len(value) - 1
        start, end = clamp_range(start, end, len(value) * 8 if isbit else len(value))
    else:
        raise CommandError(SYNTAX)
    if start > end:
        return integer(-1)
    if not isbit:
        start, end = start * 8, end * 8 + 7
    pos = _first_bit(value, start, end, bit)
    if pos < 0 and not bit and not end_given:
        pos = end + 1
    return integer(pos)


# -- BITOP ----------------------------------------------------------------------


def bitop(c: Client, argv: list[bytes]) -> bytes:
    """BITOP <AND|OR|XOR|NOT> destkey key [key ...] -> integer (the length of the result)

    Missing keys and shorter strings count as zero bytes; an empty result
    deletes destkey.

    Complexity: O(N)
    """
    op = argv[1].lower()
    if op not in (b"and", b"or", b"xor", b"not"):
        raise CommandError(SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise CommandError(NOT_SINGLE)
    db, now = c.db, c.now
    values = [db.get_str(key, now) or b"" for key in argv[3:]]
    size = max(map(len, values))
    dest = argv[2]
    if not size:
        if dest in db.data:
            db.drop(dest, db.ks.lazy_server_del)
            db.changed(dest, NOTIFY_GENERIC, b"del")
        return ZERO
    # each string as one int, padded with zero bytes on the right
    ints = [int.from_bytes(v, "big") << 8 * (size - len(v)) for v in values]
    acc = ints[0]
    if op == b"not":
        acc ^= (1 << 8 * size) - 1
    elif op == b"and":
        for x in ints[1:]:
            acc &= x
    elif op == b"or":
        for x in ints[1:]:
            acc |= x
    else:
        for x in ints[1:]:
            acc ^= x
    db.lookup(dest, now)  # an expired destination expires first (redis setKey)
    db.upsert(dest, acc.to_bytes(size, "big"))
    db.changed(dest, NOTIFY_STRING, b"set")
    return integer(size)


# -- BITFIELD -------------------------------------------------------------------

# one parsed operation: (opcode, signed, bits, offset, value, overflow)
_GET, _SET, _INCRBY = 0, 1, 2
_Op = tuple[int, bool, int, int, int, int]


def _field_type(arg: bytes) -> tuple[bool, int]:
    """``i<bits>`` (1-64) or ``u<bits>`` (1-63)."""
    sign = arg[:1]
    bits = string2ll(arg[1:]) if sign in (b"i", b"u") else None
    if bits is None or bits < 1 or bits > (64 if sign == b"i" else 63):
        raise CommandError(BAD_TYPE)
    return sign == b"i", bits


def _parse_ops(c: Client, argv: list[bytes]) -> tuple[list[_Op], int]:
    """The operations, and the last bit a SET or INCRBY writes (-1: none)."""
    ops: list[_Op] = []
    last = -1
    overflow = _WRAP
    j, n = 2, len(argv)
    while j < n:
        sub = argv[j].lower()
        left = n - j - 1
        if sub == b"get" and left >= 2:
            opcode = _GET
        elif sub == b"set" and left >= 3:
            opcode = _SET
        elif sub == b"incrby" and left >= 3:
            opcode = _INCRBY
        elif sub == b"overflow" and left >= 1:
            kind = _OVERFLOWS.get(argv[j + 1].lower())
            if kind is None:
                raise CommandError(BAD_OVERFLOW)
            overflow = kind
            j += 2
            continue
        else:
            raise CommandError(SYNTAX)
        signed, bits = _field_type(argv[j + 1])
        offset = _bit_offset(c, argv[j + 2], bits)
        if opcode == _GET:
            ops.append((_GET, signed, bits, offset, 0, overflow))
            j += 3
        else:
            ops.append((opcode, signed, bits, offset, _ll(argv[j + 3]), overflow))
            last = max(last, offset + bits - 1)
            j += 4
    return ops, last


def _get_field(p: bytes | bytearray, offset: int, bits: int, signed: bool) -> int:
    """The field at bit ``offset``, ``bits`` wide, zero bits past the end."""
    b0, b1 = offset >> 3, (offset + bits - 1) >> 3
    width = b1 - b0 + 1
    chunk = p[b0 : b1 + 1]
    x = int.from_bytes(chunk, "big") << 8 * (width - len(chunk))
    v = x >> (8 * width - (offset & 7) - bits) & ((1 << bits) - 1)
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return v


def _set_field(p: bytearray, offset: int, bits: int, value: int) -> None:
    """Store the low ``bits`` bits of ``value`` at bit ``offset`` (within ``p``)."""
    b0, b1 = offset >> 3, (offset + bits - 1) >> 3
    width = b1 - b0 + 1
    shift = 8 * width - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    x = int.from_bytes(p[b0 : b1 + 1], "big") & ~mask | (value << shift) & mask
    p[b0 : b1 + 1] = x.to_bytes(width, "big")


def _write_field(p: bytearray, op: _Op) -> tuple[int | None, bool]:
    """Run a SET or INCRBY on ``p``: the reply's number (SET: the old value;
    INCRBY: the new one), or None when OVERFLOW FAIL refused it (redis
    ``checkSignedBitfieldOverflow`` / ``checkUnsignedBitfieldOverflow``), and
    whether the field changed."""
    opcode, signed, bits, offset, value, overflow = op
    old = _get_field(p, offset, bits, signed)
    if signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        new = old + value if opcode == _INCRBY else value
    else:
        lo, hi = 0, (1 << bits) - 1
        # SET takes the value as the unsigned 64-bit number it is in C
        new = old + value if opcode == _INCRBY else value & _U64
    if not lo <= new <= hi:
        if overflow == _FAIL:
            return None, False
        if overflow == _SAT:
            new = hi if new > hi else lo
        else:  # wrap to the field's width, two's complement when signed
            new &= (1 << bits) - 1
            if signed and new > hi:
                new -= 1 << bits
    _set_field(p, offset, bits, new)
    return (new if opcode == _INCRBY else old), new != old


def _bitfield(c: Client, argv: list[bytes], ro: bool) -> bytes:
    ops, last = _parse_ops(c, argv)
    key = argv[1]
    new_or_grown = False
    if last < 0:
        value: bytes | bytearray | None = c.db.get_str(key, c.now)
        before = 0
    elif ro:
        raise CommandError(RO_GET_ONLY)
    else:
        value, new_or_grown = _for_bits(c, key, last)
        before = value_cost(value)
    out = [array_header(len(ops))]
    changed = False
    for op in ops:
        if op[0] == _GET:
            got = 0 if value is None else _get_field(value, op[3], op[2], op[1])
            out.append(integer(got))
        else:
            done, differs = _write_field(value, op)  # type: ignore[arg-type]
            out.append(c.nil if done is None else integer(done))
            # a write that is stored counts when the string is new or grew,
            # or the field changed (redis 7.0)
            changed = changed or (done is not None and (new_or_grown or differs))
    if changed:
        _wrote(c.db, key, value, before)  # type: ignore[arg-type]
    return b"".join(out)


def bitfield(c: Client, argv: list[bytes]) -> bytes:
    """BITFIELD key [GET encoding offset] [SET encoding offset value] [INCRBY encoding offset increment] [OVERFLOW <WRAP|SAT|FAIL>] ... -> array of integer | nil

    An encoding is i1-i64 or u1-u63; an offset ``#n`` is the n-th field of
    that width.  OVERFLOW applies to the SET and INCRBY operations after it.

    Complexity: O(1) for each subcommand specified
    """
    return _bitfield(c, argv, False)


def bitfield_ro(c: Client, argv: list[bytes]) -> bytes:
    """BITFIELD_RO key [GET encoding offset ...] -> array of integer

    Complexity: O(1) for each subcommand specified
    """
    return _bitfield(c, argv, True)


_BITMAP = "bitmap"


def make_commands() -> list[Command]:
    return [
        Command(b"SETBIT", setbit, 4, WRITE | DENYOOM, 1, 1, 1, group=_BITMAP, since="2.2.0"),
        Command(b"GETBIT", getbit, 3, READONLY | FAST, 1, 1, 1, group=_BITMAP, since="2.2.0"),
        Command(b"BITCOUNT", bitcount, -2, READONLY, 1, 1, 1, group=_BITMAP, since="2.6.0"),
        Command(b"BITPOS", bitpos, -3, READONLY, 1, 1, 1, group=_BITMAP, since="2.8.7"),
        Command(b"BITOP", bitop, -4, WRITE | DENYOOM, 2, -1, 1, group=_BITMAP, since="2.6.0"),
        Command(b"BITFIELD", bitfield, -2, WRITE | DENYOOM, 1, 1, 1, group=_BITMAP, since="3.2.0"),
        Command(
            b"BITFIELD_RO",
            bitfield_ro,
            -2,
            READONLY | FAST,
            1,
            1,
            1,
            group=_BITMAP,
            since="6.0.0",
        ),
    ]
