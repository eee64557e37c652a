"""Numbers and keys as memcached 1.6 reads them from a command line.

memcached parses numbers with C's ``strtol``/``strtoul``/``strtoull`` and
its ``safe_*`` wrappers (``util.c``), and base64 keys with its own decoder
(``base64.c``); clients see the quirks, so they are kept: a leading ``+``
or whitespace is fine, a 64-bit value is silently cut to 32 bits where
memcached stores an ``int32_t``/``uint32_t``, a bad base64 character is
skipped.  Each parser returns None where memcached's returns false.
"""

from __future__ import annotations

import base64

__all__ = [
    "b64decode_key",
    "b64encode_key",
    "strtol32",
    "strtoul32",
    "strtoull",
]

_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1
_SPACE = b" \t\n\v\f\r"


def _c_integer(tok: bytes) -> tuple[bool, int] | None:
    """(negative, magnitude) of a C integer: leading whitespace, a sign,
    decimal digits, then the end or whitespace; None when it is not one."""
    i, n = 0, len(tok)
    while i < n and tok[i] in _SPACE:
        i += 1
    neg = False
    if i < n and tok[i] in b"+-":
        neg = tok[i] == 45
        i += 1
    j = i
    while j < n and 48 <= tok[j] <= 57:
        j += 1
    if j == i:
        return None  # no digits: strtol's endptr == str
    if j < n and tok[j] not in _SPACE:
        return None
    return neg, int(tok[i:j])


def strtol32(tok: bytes) -> int | None:
    """``safe_strtol``: a signed 64-bit ``strtol`` stored into an ``int32_t``
    (so 2147483648 reads as -2147483648, as memcached does)."""
    if tok.isdigit():
        v = int(tok)
    else:
        parsed = _c_integer(tok)
        if parsed is None:
            return None
        neg, v = parsed
        if neg:
            v = -v
    if not -_I64_MAX - 1 <= v <= _I64_MAX:
        return None  # ERANGE
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def strtoull(tok: bytes) -> int | None:
    """``safe_strtoull``: an unsigned 64-bit value; a negative one is refused
    unless it wraps to a value below 2**63 (C's strtoull negates in place)."""
    if tok.isdigit():
        v = int(tok)
        return v if v < _U64 else None
    parsed = _c_integer(tok)
    if parsed is None:
        return None
    neg, v = parsed
    if v >= _U64:
        return None  # ERANGE
    if neg:
        v = (-v) % _U64
        if v > _I64_MAX:
            return None
    return v


def strtoul32(tok: bytes) -> int | None:
    """``safe_strtoul`` into a ``uint32_t``: 64-bit parse, then cut to 32 bits
    (client flags: 4294967296 is stored as 0, as memcached does)."""
    v = strtoull(tok)
    return None if v is None else v & 0xFFFFFFFF


# memcached base64.c's decode table: 0..63 for the alphabet, 0 for '=', else
# 0x80 (skipped)
_DTABLE = [0x80] * 256
for _i, _c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"):
    _DTABLE[_c] = _i
_DTABLE[ord("=")] = 0


def b64decode_key(src: bytes) -> bytes | None:
    """A base64 key decoded as memcached's decoder does, or None on failure.

    Characters outside the alphabet are skipped; the rest must come in whole
    blocks of four; decoding stops after the first block with padding."""
    table = _DTABLE
    count = 0
    for ch in src:
        if table[ch] != 0x80:
            count += 1
    if count == 0 or count % 4:
        return None
    out = bytearray()
    block = [0, 0, 0, 0]
    n = pad = 0
    for ch in src:
        v = table[ch]
        if v == 0x80:
            continue
        if ch == 61:  # '='
            pad += 1
        block[n] = v
        n += 1
        if n == 4:
            out.append(((block[0] << 2) | (block[1] >> 4)) & 0xFF)
            out.append(((block[1] << 4) | (block[2] >> 2)) & 0xFF)
            out.append(((block[2] << 6) | block[3]) & 0xFF)
            n = 0
            if pad:
                if pad > 2:
                    return None
                del out[-pad:]
                break
    return bytes(out) if out else None


def b64encode_key(key: bytes) -> bytes:
    return base64.b64encode(key)
