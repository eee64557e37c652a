"""RESP request reader and RESP2/RESP3 reply encoders.

The reader takes requests the way redis-server does (``processInputBuffer`` in
``networking.c``): multibulk requests (``*N\\r\\n$L\\r\\n...``) and the inline
form (``PING\\r\\n`` typed into telnet).  Well-formed multibulk traffic goes
through ``hiredis.Reader``; anything hiredis cannot judge the way Redis does
(inline requests, lengths near the limits, framing errors) goes through an
exact pure-Python parser that gives Redis's error texts.  This module never
imports ``cacheserver``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Literal

import hiredis

__all__ = [
    "RespReader",
    "ProtocolError",
    "bulk",
    "integer",
    "simple",
    "error",
    "array",
    "encode_double",
]

CRLF = b"\r\n"
PROTO_INLINE_MAX_SIZE = 64 * 1024
INT_MAX = 2**31 - 1


class ProtocolError(Exception):
    """Broken framing: reply ``-ERR Protocol error: <msg>`` and close."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg

    @property
    def reply(self) -> bytes:
        return b"-ERR Protocol error: " + self.msg.encode() + CRLF


# A number of 7+ digits after '*' or '$' may be a length near a limit; hiredis
# would preallocate or wait for it, so such chunks go through the exact parser.
_SUSPECT = re.compile(rb"[*$]-?[0-9]{7}")
_STRICT_INT = re.compile(rb"-?(?:0|[1-9][0-9]{0,18})\Z")


def string2ll(s: bytes) -> int | None:
    """Parse like redis ``string2ll``: no sign '+', no spaces, no leading zeros."""
    if _STRICT_INT.match(s) is None or s == b"-0":
        return None
    n = int(s)
    if -(2**63) <= n < 2**63:
        return n
    return None


def split_inline(line: bytes) -> list[bytes] | None:
    """Split an inline request as redis ``sdssplitargs``; None on unbalanced quotes."""
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \n\r\t\x0b\x0c\x00":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                c = line[i]
                if (
                    c == 0x5C
                    and i + 3 < n
                    and line[i + 1] == 0x78
                    and _is_hex(line[i + 2])
                    and _is_hex(line[i + 3])
                ):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif c == 0x22:
                    # a closing quote must be followed by a space or the end
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\x0b\x0c\x00":
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    return None
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\x0b\x0c\x00":
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\x00":
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


_ESCAPES = {0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07}


def _is_hex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


class RespReader:
    """Incremental request reader: ``feed(bytes)``, then ``gets()`` until False.

    ``gets()`` returns a ``list[bytes]`` per request and ``False`` when it needs
    more data; it raises ``ProtocolError`` when the framing is broken.  Empty
    requests (``*0``, blank inline lines) are skipped.
    """

    __slots__ = (
        "_hr",
        "_fast",
        "_retained",
        "_count",
        "_tail",
        "_buf",
        "_pos",
        "_mb_left",
        "_bulk_len",
        "_args",
        "max_bulk_len",
        "max_multibulk_len",
        "auth_required",
    )

    def __init__(
        self, max_bulk_len: int = 512 * 1024 * 1024, max_multibulk_len: int = INT_MAX
    ) -> None:
        self._hr = hiredis.Reader()
        self._fast = True
        self._retained: list[bytes] = []  # chunks fed to hiredis since it was empty
        self._count = 0  # requests hiredis returned from those chunks
        self._tail = b""
        self._buf = bytearray()  # slow-path buffer
        self._pos = 0
        self._mb_left = 0
        self._bulk_len = -1
        self._args: list[bytes] = []
        self.max_bulk_len = max_bulk_len
        self.max_multibulk_len = max_multibulk_len
        # Before AUTH, Redis caps multibulk at 10 and bulks at 16384 bytes.
        self.auth_required = False

    def buffered(self) -> int:
        """Bytes held for requests not yet returned (an upper bound on hiredis's side)."""
        if self._fast:
            return self._hr.len() if self._hr.has_data() else 0
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self._fast:
            pending = self._hr.has_data()
            if (
                (pending or data[0] == 42)  # '*'
                and _SUSPECT.search(data) is None
                and (not pending or _SUSPECT.search(self._tail + data[:12]) is None)
                and not self.auth_required
            ):
                if not pending:
                    self._retained.clear()
                    self._count = 0
                self._retained.append(data)
                self._tail = data[-12:]
                self._hr.feed(data)
                return
            self._to_slow()
        self._buf += data

    def _to_slow(self) -> None:
        """Hand the unparsed rest of hiredis's input to the exact parser."""
        self._fast = False
        buf = self._buf
        del buf[: self._pos]
        self._pos = 0
        if self._retained:
            joined = b"".join(self._retained)
            # Skip the requests hiredis already returned from these chunks.
            start = 0
            for _ in range(self._count):
                start = _skip_request(joined, start)
            buf += joined[start:]
        self._hr = hiredis.Reader()
        self._retained.clear()
        self._count = 0
        self._tail = b""

    def gets(self) -> list[bytes] | Literal[False]:
        if self._fast:
            try:
                req = self._hr.gets()
            except hiredis.ProtocolError:
                self._to_slow()
                return self._slow_gets()
            if req is False:
                return False
            if req.__class__ is not list:
                # nil multibulk (*-1) or a non-array type byte: exact path decides
                self._to_slow()
                return self._slow_gets()
            for a in req:
                if a.__class__ is not bytes:
                    self._to_slow()
                    return self._slow_gets()
            self._count += 1
            if not req:
                return self.gets()
            return req
        return self._slow_gets()

    # -- exact parser (redis processInlineBuffer / processMultibulkBuffer) --

    def _slow_gets(self) -> list[bytes] | Literal[False]:
        buf = self._buf
        while True:
            pos = self._pos
            if pos >= len(buf):
                buf.clear()
                self._pos = 0
                self._fast = True  # drained: back to hiredis
                return False
            if self._mb_left == 0 and buf[pos] != 42:
                req = self._inline(buf, pos)
            else:
                req = self._multibulk(buf, pos)
            if req is False:
                if self._pos > 65536:
                    del buf[: self._pos]
                    self._pos = 0
                return False
            if req:
                return req

    def _inline(self, buf: bytearray, pos: int) -> list[bytes] | Literal[False]:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
                raise ProtocolError("too big inline request")
            return False
        end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
        args = split_inline(bytes(buf[pos:end]))
        if args is None:
            raise ProtocolError("unbalanced quotes in request")
        self._pos = nl + 1
        return args

    def _multibulk(self, buf: bytearray, pos: int) -> list[bytes] | Literal[False]:
        if self._mb_left == 0:
            cr = buf.find(b"\r", pos)
            if cr < 0:
                if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
                    raise ProtocolError("too big mbulk count string")
                return False
            if cr > len(buf) - 2:
                return False
            ll = string2ll(bytes(buf[pos + 1 : cr]))
            if ll is None or ll > INT_MAX or ll > self.max_multibulk_len:
                raise ProtocolError("invalid multibulk length")
            if ll > 10 and self.auth_required:
                raise ProtocolError("unauthenticated multibulk length")
            pos = self._pos = cr + 2
            if ll <= 0:
                return []
            self._mb_left = ll
            self._args = []
        args = self._args
        while self._mb_left:
            if self._bulk_len == -1:
                cr = buf.find(b"\r", pos)
                if cr < 0:
                    if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
                        raise ProtocolError("too big bulk count string")
                    return False
                if cr > len(buf) - 2:
                    return False
                if buf[pos] != 36:  # '$'
                    raise ProtocolError(f"expected '$', got '{chr(buf[pos])}'")
                ll = string2ll(bytes(buf[pos + 1 : cr]))
                if ll is None or ll < 0 or ll > self.max_bulk_len:
                    raise ProtocolError("invalid bulk length")
                if ll > 16384 and self.auth_required:
                    raise ProtocolError("unauthenticated bulk length")
                pos = self._pos = cr + 2
                self._bulk_len = ll
            n = self._bulk_len
            if len(buf) - pos < n + 2:
                return False
            args.append(bytes(buf[pos : pos + n]))
            pos = self._pos = pos + n + 2
            self._bulk_len = -1
            self._mb_left -= 1
        self._args = []
        return args


def _skip_request(data: bytes, pos: int) -> int:
    """End offset of the well-formed multibulk request at ``pos`` (hiredis accepted it)."""
    cr = data.index(b"\r", pos)
    n = int(data[pos + 1 : cr])
    pos = cr + 2
    for _ in range(max(n, 0)):
        cr = data.index(b"\r", pos)
        pos = cr + 2 + int(data[pos + 1 : cr]) + 2
    return pos


# -- reply encoders --------------------------------------------------------

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
QUEUED = b"+QUEUED\r\n"
NIL2 = b"$-1\r\n"
NIL3 = b"_\r\n"
NIL_ARRAY2 = b"*-1\r\n"
EMPTY_ARRAY = b"*0\r\n"
EMPTY_BULK = b"$0\r\n\r\n"
ZERO = b":0\r\n"
ONE = b":1\r\n"
NEG_ONE = b":-1\r\n"
NEG_TWO = b":-2\r\n"

_BULK_HDR = [b"$%d\r\n" % i for i in range(4096)]
_ARRAY_HDR = [b"*%d\r\n" % i for i in range(1024)]
_INT = [b":%d\r\n" % i for i in range(1024)]


def bulk(v: bytes) -> bytes:
    """``$<len>\\r\\n<bytes>\\r\\n``"""
    n = len(v)
    if n < 4096:
        return _BULK_HDR[n] + v + CRLF
    return b"".join((b"$%d\r\n" % n, v, CRLF))


def integer(n: int) -> bytes:
    """``:<n>\\r\\n``"""
    if 0 <= n < 1024:
        return _INT[n]
    return b":%d\r\n" % n


def simple(s: bytes) -> bytes:
    """``+<s>\\r\\n``"""
    return b"+" + s + CRLF


def error(msg: bytes) -> bytes:
    """``-<msg>\\r\\n``; CR and LF inside become spaces, as redis addReplyErrorLength."""
    if b"\r" in msg or b"\n" in msg:
        msg = msg.replace(b"\r", b" ").replace(b"\n", b" ")
    return b"-" + msg + CRLF


def array_header(n: int) -> bytes:
    return _ARRAY_HDR[n] if n < 1024 else b"*%d\r\n" % n


def array(items: Sequence[bytes]) -> bytes:
    """``*<n>\\r\\n`` followed by already encoded items."""
    return array_header(len(items)) + b"".join(items)


def bulk_array(values: Iterable[bytes | None], nil: bytes = NIL2) -> bytes:
    """Array of bulk strings; None items become ``nil``."""
    parts = [nil if v is None else bulk(v) for v in values]
    return array_header(len(parts)) + b"".join(parts)


def map_reply(pairs: Sequence[tuple[bytes, bytes]], resp3: bool) -> bytes:
    """RESP3 ``%<n>`` map, or a flat RESP2 array; items already encoded."""
    head = b"%%%d\r\n" % len(pairs) if resp3 else array_header(2 * len(pairs))
    return head + b"".join(k + v for k, v in pairs)


def set_reply(items: Sequence[bytes], resp3: bool) -> bytes:
    """RESP3 ``~<n>`` set, or a RESP2 array; items already encoded."""
    head = b"~%d\r\n" % len(items) if resp3 else array_header(len(items))
    return head + b"".join(items)


def push_reply(items: Sequence[bytes]) -> bytes:
    """RESP3 ``><n>`` push (out-of-band data); items already encoded."""
    return b">%d\r\n" % len(items) + b"".join(items)


def boolean(v: bool, resp3: bool) -> bytes:
    """RESP3 ``#t``/``#f``; RESP2 ``:1``/``:0``."""
    if resp3:
        return b"#t\r\n" if v else b"#f\r\n"
    return ONE if v else ZERO


def verbatim(text: bytes, resp3: bool, fmt: bytes = b"txt") -> bytes:
    """RESP3 ``=<len>\\r\\ntxt:<text>``; RESP2 bulk string."""
    if resp3:
        return b"=%d\r\n%s:%s\r\n" % (len(text) + 4, fmt, text)
    return bulk(text)


def big_number(n: int, resp3: bool) -> bytes:
    """RESP3 ``(<digits>``; RESP2 bulk string of the digits."""
    s = str(n).encode()
    return b"(" + s + CRLF if resp3 else bulk(s)


def encode_double(d: float) -> bytes:
    """A double as redis 7.0 prints it (``%.17g``, ``inf``, ``-inf``, ``nan``)."""
    if math.isinf(d):
        return b"inf" if d > 0 else b"-inf"
    if math.isnan(d):
        return b"nan"
    return b"%.17g" % d


def double(d: float, resp3: bool) -> bytes:
    """RESP3 ``,<double>``; RESP2 bulk string."""
    s = encode_double(d)
    return b"," + s + CRLF if resp3 else bulk(s)
