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
from itertools import chain
from typing import Literal

import hiredis

__all__ = [
    "ProtocolError",
    "RespReader",
    "array",
    "bulk",
    "bulk_array",
    "bulk_strings",
    "encode_double",
    "error",
    "integer",
    "simple",
]

CRLF = b"\r\n"
PROTO_INLINE_MAX_SIZE = 64 * 1024
INT_MAX = 2**31 - 1
LLONG_MIN, LLONG_MAX = -(2**63), 2**63 - 1


class ProtocolError(Exception):
    """Broken framing: reply ``-ERR Protocol error: <msg>`` and close.

    ``msg`` is text; a raw request byte quoted in it (``got '%c'``) is kept as
    its latin-1 character so that the reply carries the byte itself, as Redis's.
    """

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg

    @property
    def reply(self) -> bytes:
        # CR and LF become spaces, as redis addReplyErrorFormat
        text = self.msg.encode("latin-1", "replace").replace(b"\r", b" ").replace(b"\n", b" ")
        return b"-ERR Protocol error: " + text + CRLF


# Input bound for hiredis is looked at in C: ``translate(_SCAN)`` turns every
# digit into '0' and every odd type byte (below) into '+', and ``find`` looks
# for what must not reach hiredis unchecked.  A regex search costs about 20
# instructions a byte, this two or three.  (``find``, not ``in``: bytes ``in``
# first tries its operand as an integer, and builds and drops a TypeError.)
_SCAN = bytes.maketrans(b"0123456789=(~>|", b"0000000000+++++")
# hiredis preallocates the list for an array header, so a count of 7+ digits
# (at most INT_MAX in Redis, 2**31 pointers) must never reach it.
_BIG_COUNT = b"*0000000"
# A big chunk (a read of 8 KiB or more) whose head holds a bulk header of 5+
# digits (10,000 bytes or more) goes to the exact parser, which appends the
# payload as it comes: here all of it would be scanned, at about 1 ns a byte,
# only to find a few header bytes.  (A chunk that ends inside a request goes
# there too, after the drain: so does the rest of a payload read in pieces.)
_BIG_CHUNK = 8192
# The exact parser gathers a payload of this size or more that is not all in
# its buffer yet as the list of reads that bring it, joined once.
_BIG_PAYLOAD = 65536
_BIG_BULK_AT = re.compile(rb"\$[0-9]{5}")
_HEAD = 512
# hiredis hands these back as bytes inside a request, though Redis refuses
# them: simple string '+', verbatim '=', big number '(' as arguments, and set
# '~', push '>', attribute '|' where a request should start.  A chunk holding
# one (or an argument starting with one) has its requests checked byte by byte.
# Looked for only where a '+' is (a memchr; most input has none).
_ODD = b"\r\n+"
# A request can also start right after a payload whose two "\r\n" bytes were
# something else (both parsers skip them unchecked).  There a push or an
# attribute fails the flat-list test, but a set comes back as a plain list:
# so any '~' has its chunk's requests checked.
_SET = 126
# Array counts of up to 6 digits reach hiredis: a multibulk limit below this
# sends all input to the exact parser.  (Bulks are bounded by what hiredis holds.)
_FAST_MIN_LIMIT = 999_999
_STRICT_INT = re.compile(rb"-?(?:0|[1-9][0-9]{0,18})\Z")
# Bytes around an n-byte argument: "$<n>\r\n" before it and "\r\n" after.
_BULK_OVERHEAD = bytes(len(b"%d" % n) + 5 for n in range(65536))
# What hiredis's gets() returns while no request is complete: a list equal
# to nothing it returns but an empty request (``*0``, which ends a drain
# early: the exact parser skips it), compared by list length at C speed.
_MORE: list[list[bytes]] = []
# Fed to hiredis when it has consumed all input, to learn whether it holds
# part of a request: between requests it is a nil array of its own (gets()
# returns None); inside a request it is an element, or after a type byte
# hiredis has read, that element's line (an error, or a non-bulk element):
# the hiredis reader is dropped and the exact parser takes the request's bytes.
_PROBE = b"*-1\r\n"


def string2ll(s: bytes | bytearray) -> int | None:
    """Parse like redis ``string2ll``: no sign '+', no spaces, no leading zeros."""
    # most input: up to 18 ASCII digits, no leading zero (no regex, no bounds)
    if s.isdigit() and len(s) < 19 and (s[0] != 48 or len(s) == 1):
        return int(s)
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
    """Incremental request reader: ``feed(bytes)``, then ``take()`` until empty.

    ``take()`` returns the complete requests buffered, each a ``list[bytes]``,
    and ``[]`` when it needs more data; it raises ``ProtocolError`` when the
    framing is broken.  Empty requests (``*0``, blank inline lines) are
    skipped.  ``unread`` puts taken requests back in front (a walk that
    stopped early); ``gets()`` takes one request at a time (False: more data).

    Input that starts a multibulk request goes to hiredis, which ``take``
    drains in C (``iter(gets, sentinel)``): no Python call per request.
    hiredis is lenient where Redis is not (other reply types as arguments,
    nested arrays, waiting past a bad header), so only what it returns whole
    and flat is kept (checked over the whole batch at C speed): a hiredis
    error, an odd reply, or a request still incomplete when the input runs
    out (``_PROBE`` tells) sends the bytes from that request on to the exact parser
    (``_slow_gets``, redis ``processInlineBuffer`` / ``processMultibulkBuffer``),
    which also takes inline requests and input near the limits.  When that
    parser finishes a request it hands the rest of the input back to hiredis,
    at most once per ``feed``: a pipeline cut across reads costs one slow
    request per read.

    To know where the returned requests end without re-parsing them, the
    reader watches hiredis's buffer: hiredis drops consumed input once 1 KB is
    consumed, and a drop right after a request marks where it ended; only the
    requests since the last drop are re-walked (``_skip``) on a fallback.
    """

    __slots__ = (
        "_args",
        "_auth_required",
        "_backlog",
        "_big",
        "_big_have",
        "_buf",
        "_bulk_len",
        "_chunks",
        "_count",
        "_fast_ok",
        "_fed",
        "_handback",
        "_hr",
        "_max_bulk_len",
        "_max_multibulk_len",
        "_mb_left",
        "_off",
        "_pos",
        "_verify",
        "fast",
        "more",
    )

    def __init__(
        self, max_bulk_len: int = 512 * 1024 * 1024, max_multibulk_len: int = INT_MAX
    ) -> None:
        self._hr = hiredis.Reader(notEnoughData=_MORE)
        self.fast = True
        # Requests taken but not run yet (put back by ``unread``), first.
        self._backlog: list[list[bytes]] = []
        # False when ``take`` would return [] until more input comes (the walk
        # reads it instead of calling ``take`` once more); True is always safe.
        self.more = True
        # Fast path: the chunks fed to hiredis since it last held nothing, their
        # size, where in them the last request of known end ended, how many
        # requests were returned after it, hiredis's buffer length as last seen
        # (-1: unknown), and whether each request is checked byte by byte.
        self._chunks: list[bytes] = []
        self._fed = 0
        self._off = 0
        self._count = 0
        self._verify = False
        self._handback = False
        # Exact path: buffer, read position, and the request being assembled.
        self._buf = bytearray()
        self._pos = 0
        self._mb_left = 0
        self._bulk_len = -1
        self._args: list[bytes] = []
        # A big payload still coming: the reads that hold it, and their size
        # (kept apart, joined once: not grown in ``_buf`` and copied out).
        self._big: list[bytes] | None = None
        self._big_have = 0
        self._max_bulk_len = max_bulk_len
        self._max_multibulk_len = max_multibulk_len
        # Before AUTH, Redis caps multibulk at 10 and bulks at 16384 bytes.
        self._auth_required = False
        self._fast_ok = True
        self._update_fast_ok()

    # Limits are properties so that the fast path reads one cached flag.

    @property
    def max_bulk_len(self) -> int:
        return self._max_bulk_len

    @max_bulk_len.setter
    def max_bulk_len(self, value: int) -> None:
        self._max_bulk_len = value
        self._update_fast_ok()

    @property
    def max_multibulk_len(self) -> int:
        return self._max_multibulk_len

    @max_multibulk_len.setter
    def max_multibulk_len(self, value: int) -> None:
        self._max_multibulk_len = value
        self._update_fast_ok()

    @property
    def auth_required(self) -> bool:
        return self._auth_required

    @auth_required.setter
    def auth_required(self, value: bool) -> None:
        self._auth_required = value
        self._update_fast_ok()

    def _update_fast_ok(self) -> None:
        # hiredis knows no limits: it only sees counts that cannot reach them.
        self._fast_ok = not self._auth_required and self._max_multibulk_len >= _FAST_MIN_LIMIT

    def buffered(self) -> int:
        """Bytes held for requests not yet run (on the fast path, the input
        since hiredis last held nothing; put-back requests as on the wire)."""
        held = sum(map(_wire_size, self._backlog)) if self._backlog else 0
        if self.fast:
            return held + self._fed - self._off
        return held + len(self._buf) - self._pos + self._big_have

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.more = True
        self._handback = True
        if self.fast:
            chunks = self._chunks
            if (
                self._fast_ok
                and (data[0] == 42 or chunks)  # '*', or hiredis is inside a request
                # a bulk over the limit cannot fit in what hiredis holds
                and self._fed + len(data) <= self._max_bulk_len
                and (len(data) < _BIG_CHUNK or _BIG_BULK_AT.search(data, 0, _HEAD) is None)
                and (scanned := data.translate(_SCAN)).find(_BIG_COUNT) < 0
                and not (chunks and self._seam(data, _BIG_COUNT, 8))
            ):
                if not self._verify and (
                    (scanned.find(43) >= 0 and (scanned.find(_ODD) >= 0 or data.find(_SET) >= 0))
                    or (chunks and self._seam(data, _ODD, 2))
                ):
                    self._start_verify()
                chunks.append(data)
                self._fed += len(data)
                self._hr.feed(data)
                return
            self._to_slow()
        big = self._big
        if big is not None:
            big.append(data)
            self._big_have += len(data)
            return
        self._buf += data

    def _seam(self, data: bytes, needle: bytes, width: int) -> bool:
        """``needle`` (in scanned bytes) across the boundary between the held chunks and ``data``."""
        chunks = self._chunks
        tail = chunks[-1][-width:]
        if len(tail) < width and len(chunks) > 1:
            tail = b"".join(chunks)[-width:]
        return (tail + data[: width + 1]).translate(_SCAN).find(needle) >= 0

    def _data(self) -> bytes:
        chunks = self._chunks
        if len(chunks) == 1:
            return chunks[0]
        data = b"".join(chunks)
        chunks[:] = [data]
        return data

    def _start_verify(self) -> None:
        """From here on, check each returned request against its bytes."""
        if self._chunks:
            self._off = _skip(self._data(), self._off, self._count)
            self._count = 0
        self._verify = True

    def _check(self, req: list[bytes]) -> bool:
        """Is ``req`` a '*' header and one '$' bulk per argument, at ``_off``?"""
        data = self._data()
        pos = self._off
        if data[pos] != 42:  # '*'
            return False
        overhead = _BULK_OVERHEAD
        pos += overhead[len(req)] - 2
        for a in req:
            if data[pos] != 36:  # '$'
                return False
            n = len(a)
            pos += n + (overhead[n] if n < 65536 else len(b"%d" % n) + 5)
        self._off = pos
        return True

    def _to_slow(self) -> None:
        """Hand the bytes after the last returned request to the exact parser."""
        self.fast = False
        buf = self._buf
        del buf[: self._pos]
        self._pos = 0
        if self._chunks:
            data = self._data()
            buf += memoryview(data)[_skip(data, self._off, self._count) :]
            self._chunks.clear()
            # (with no input fed since it last held nothing, hiredis is clean)
            self._hr = hiredis.Reader(notEnoughData=_MORE)
        self._fed = self._off = self._count = 0
        self._verify = False

    def take(self) -> list[list[bytes]]:
        """The complete requests buffered, in order: every one hiredis holds on
        the fast path, one at a time on the others; ``[]`` for more data."""
        backlog = self._backlog
        if backlog:
            self._backlog = []
            return backlog
        if not self.fast or self._verify:
            req = self._gets()
            return [] if req is False else [req]
        if not self._chunks:
            return []  # nothing fed since hiredis last held nothing
        hr = self._hr
        try:
            req = hr.gets()
            if req is _MORE:
                reqs = []
            elif req.__class__ is not list or not req:
                return self._take_each([req])  # not a request, or an empty one
            elif not hr.has_data():
                # one request ending with the input (no pipeline): hiredis,
                # which returns a request at its last byte, holds nothing
                for a in req:
                    if a.__class__ is not bytes:
                        break
                else:
                    self._chunks.clear()
                    self._fed = self._off = self._count = 0
                    self._verify = False
                    self.more = False
                    return [req]
                reqs = [req]
            else:
                reqs = [req]
                reqs += iter(hr.gets, _MORE)
        except hiredis.ProtocolError:
            # the requests before the error went with the list: the exact
            # parser takes them again, from the end of the last one counted
            self._to_slow()
            return self._take_slow()
        if reqs:
            try:
                # every request a list (not a map's dict, nor a push, a list
                # subclass), and every argument bytes: b"".join raises on
                # anything else (over large input, no copy: the types)
                if not _LISTS.issuperset(map(type, reqs)):
                    raise TypeError
                if self._fed < 65536:
                    b"".join(chain.from_iterable(reqs))
                elif not _BYTES.issuperset(map(type, chain.from_iterable(reqs))):
                    raise TypeError
            except TypeError:
                return self._take_each(reqs)
            self._count += len(reqs)
        return self._settle(reqs)

    def _take_each(self, reqs: list[list[bytes]]) -> list[list[bytes]]:
        """``take`` for a batch holding a request that is not flat: those
        before it; it and the rest go to the exact parser."""
        good: list[list[bytes]] = []
        for req in reqs:
            if req.__class__ is not list or not req or any(a.__class__ is not bytes for a in req):
                self._to_slow()
                return good or self._take_slow()
            self._count += 1
            good.append(req)
        return self._settle(good)

    def _settle(self, reqs: list[list[bytes]]) -> list[list[bytes]]:
        """After a drain: with all input consumed and no request begun, hiredis
        holds nothing and the input is dropped; otherwise the request it
        holds goes to the exact parser, which judges it as it comes."""
        hr = self._hr
        if not hr.has_data():
            hr.feed(_PROBE)
            try:
                probed = hr.gets()
            except hiredis.ProtocolError:
                # a type byte was read: the probe became its line, which fails
                probed = _MORE
            if probed is None:
                self._chunks.clear()
                self._fed = self._off = self._count = 0
                self._verify = False
                self.more = False
                return reqs
        self._to_slow()
        return reqs or self._take_slow()

    def _take_slow(self) -> list[list[bytes]]:
        req = self._slow_gets()
        return [] if req is False else [req]

    def unread(self, reqs: list[list[bytes]]) -> None:
        """Put taken requests back, to be taken first, in this order."""
        self._backlog = reqs + self._backlog
        self.more = True

    def gets(self) -> list[bytes] | Literal[False]:
        """The next request, or False when more data is needed."""
        backlog = self.take()
        if not backlog:
            return False
        if len(backlog) > 1:
            self.unread(backlog[1:])
        return backlog[0]

    def _gets(self) -> list[bytes] | Literal[False]:
        """One request: from hiredis in verify mode (the only way ``take``
        comes here on the fast path), each checked against its bytes; or
        from the exact parser."""
        if not self.fast:
            return self._slow_gets()
        hr = self._hr
        while True:
            try:
                req = hr.gets()
            except hiredis.ProtocolError:
                break
            if req is _MORE:
                if self._chunks:
                    break  # a request is incomplete: the exact parser judges it as it comes
                return False
            if req.__class__ is not list:
                break  # nil multibulk (*-1), an error reply, a map...
            for a in req:
                if a.__class__ is not bytes:
                    break  # an integer, nil, nested array...
            else:
                if not self._check(req):
                    break
                if not hr.has_data():
                    # Between two requests with nothing buffered: drop the input.
                    self._chunks.clear()
                    self._fed = self._off = self._count = 0
                    self._verify = False
                if req:
                    return req
                continue
            break
        self._to_slow()
        return self._slow_gets()

    # -- exact parser (redis processInlineBuffer / processMultibulkBuffer) --

    def _slow_gets(self) -> list[bytes] | Literal[False]:
        buf = self._buf
        while True:
            pos = self._pos
            if self._mb_left:
                req = self._multibulk(buf, pos)
            elif pos >= len(buf):
                buf.clear()
                self._pos = 0
                self.fast = True  # drained between requests: back to hiredis
                return False
            elif buf[pos] != 42:  # '*'
                req = self._inline(buf, pos)
            else:
                req = self._multibulk(buf, pos)
            if req is False:
                if self._pos > 65536:
                    del buf[: self._pos]
                    self._pos = 0
                return False
            if req:
                if self._handback:
                    self._hand_back()
                return req

    def _hand_back(self) -> None:
        """After a complete request, give the rest of the input to hiredis if it may parse it."""
        self._handback = False
        buf = self._buf
        pos = self._pos
        if (
            pos < len(buf)
            and buf[pos] == 42
            and self._fast_ok
            and len(buf) - pos <= self._max_bulk_len
            and (len(buf) - pos < _BIG_CHUNK or _BIG_BULK_AT.search(buf, pos, pos + _HEAD) is None)
            and (scanned := buf[pos:].translate(_SCAN)).find(_BIG_COUNT) < 0
        ):
            rest = bytes(buf[pos:])
            buf.clear()
            self._pos = 0
            self.fast = True
            self._chunks.append(rest)
            self._fed = len(rest)
            self._verify = scanned.find(43) >= 0 and scanned.find(_ODD) >= 0
            self._hr.feed(rest)

    def _line_end(self, buf: bytearray, pos: int, sep: bytes) -> int:
        """Index of ``sep`` at or after ``pos``, or -1; a NUL byte before it hides it,
        as redis looks for it with ``strchr`` in a NUL-terminated buffer."""
        end = buf.find(sep, pos)
        if buf.find(b"\x00", pos, end if end >= 0 else len(buf)) >= 0:
            return -1
        return end

    def _inline(self, buf: bytearray, pos: int) -> list[bytes] | Literal[False]:
        nl = self._line_end(buf, pos, b"\n")
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
            cr = self._line_end(buf, pos, b"\r")
            if cr < 0:
                if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
                    raise ProtocolError("too big mbulk count string")
                return False
            if cr > len(buf) - 2:
                return False  # the byte after '\r' (redis does not check it is '\n')
            ll = string2ll(bytes(buf[pos + 1 : cr]))
            if ll is None or ll > INT_MAX or ll > self._max_multibulk_len:
                raise ProtocolError("invalid multibulk length")
            if ll > 10 and self._auth_required:
                raise ProtocolError("unauthenticated multibulk length")
            pos = self._pos = cr + 2
            if ll <= 0:
                return []
            self._mb_left = ll
            self._args = []
        args = self._args
        while self._mb_left:
            if self._bulk_len == -1:
                cr = self._line_end(buf, pos, b"\r")
                if cr < 0:
                    if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
                        raise ProtocolError("too big bulk count string")
                    return False
                if cr > len(buf) - 2:
                    return False
                if buf[pos] != 36:  # '$'
                    raise ProtocolError(f"expected '$', got '{chr(buf[pos])}'")
                ll = string2ll(bytes(buf[pos + 1 : cr]))
                if ll is None or ll < 0 or ll > self._max_bulk_len:
                    raise ProtocolError("invalid bulk length")
                if ll > 16384 and self._auth_required:
                    raise ProtocolError("unauthenticated bulk length")
                pos = self._pos = cr + 2
                self._bulk_len = ll
            n = self._bulk_len
            if self._big is not None:
                if self._big_have < n + 2:
                    return False
                args.append(self._big_payload(buf, n))
                pos = self._pos = 2  # the two bytes after it, unchecked
            elif len(buf) - pos < n + 2:
                if n >= _BIG_PAYLOAD:
                    # the reads of the rest go to a list, joined once at the end
                    self._big = [bytes(memoryview(buf)[pos:])]
                    self._big_have = len(buf) - pos
                    buf.clear()
                    self._pos = 0
                return False
            else:
                # a big payload is copied once (a bytearray slice would copy it twice)
                args.append(
                    bytes(buf[pos : pos + n]) if n < 4096 else bytes(memoryview(buf)[pos : pos + n])
                )
                pos = self._pos = pos + n + 2
            self._bulk_len = -1
            self._mb_left -= 1
        self._args = []
        return args

    def _big_payload(self, buf: bytearray, n: int) -> bytes:
        """The ``n``-byte payload the reads in ``_big`` hold, joined; what
        follows it (its CRLF first) becomes ``buf``, which is empty."""
        assert self._big is not None
        payload, after = split_reads(self._big, self._big_have, n)
        for chunk in after:
            buf += chunk
        self._big = None
        self._big_have = 0
        return payload


def split_reads(reads: list[bytes], size: int, n: int) -> tuple[bytes, list[memoryview]]:
    """The first ``n`` of the ``size`` bytes that ``reads`` hold, joined (the
    one copy), and views of the rest, in order."""
    extra = size - n  # bytes after the first n, in the last reads
    i = len(reads)
    while i > 1 and extra >= len(reads[i - 1]):  # a read that holds none of the first n
        i -= 1
        extra -= len(reads[i])
    last = memoryview(reads[i - 1])
    cut = len(last) - extra
    head: list[bytes | memoryview] = list(reads[: i - 1])
    head.append(last[:cut])
    return b"".join(head), [last[cut:], *(memoryview(r) for r in reads[i:])]


def _wire_size(req: list[bytes]) -> int:
    """Bytes of ``req`` as a multibulk request, every length in its shortest form."""
    return len(b"*%d\r\n" % len(req)) + sum(len(b"$%d\r\n\r\n" % len(a)) + len(a) for a in req)


_LISTS = frozenset((list,))
_BYTES = frozenset((bytes,))


def _skip(data: bytes, pos: int, count: int) -> int:
    """Offset after the ``count`` requests at ``pos``, which hiredis returned:
    each a '*' header and '$' bulks, unless a bulk's two bytes after it were
    not CRLF (neither hiredis nor Redis looks at them) and what followed read
    as another type to hiredis.  Redis, at the same offsets, refuses that
    input: so does this walk, with Redis's error, where it meets it."""
    for _ in range(count):
        if data[pos] != 42:  # '*'
            raise ProtocolError("invalid multibulk length")
        cr = data.index(b"\r", pos)
        n = string2ll(data[pos + 1 : cr])
        if n is None:
            raise ProtocolError("invalid multibulk length")
        pos = cr + 2
        for _ in range(n):
            if data[pos] != 36:  # '$'
                raise ProtocolError(f"expected '$', got '{chr(data[pos])}'")
            cr = data.index(b"\r", pos)
            size = string2ll(data[pos + 1 : cr])
            if size is None or size < 0:
                raise ProtocolError("invalid bulk length")
            pos = cr + 2 + size + 2
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
# a SCAN-family reply that ends the scan with nothing: cursor 0, no elements
EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"
ONE = b":1\r\n"
NEG_ONE = b":-1\r\n"
NEG_TWO = b":-2\r\n"

# "$<n>\r\n" for n < 4096, shared by encoders that build many bulks at once
BULK_HDR = [b"$%d\r\n" % i for i in range(4096)]
_ARRAY_HDR = [b"*%d\r\n" % i for i in range(1024)]
# ":<n>\r\n" for n < 1024: the counts most integer replies carry
INTEGERS = [b":%d\r\n" % i for i in range(1024)]


def bulk(v: bytes | bytearray) -> bytes:
    """``$<len>\\r\\n<bytes>\\r\\n``"""
    n = len(v)
    if n < 4096:
        return BULK_HDR[n] + v + CRLF
    return b"".join((b"$%d\r\n" % n, v, CRLF))


# A bulk string this big is replied as three parts, written without a copy of
# the value (a join would copy it into a new buffer, page by page).
BIG_BULK = 64 * 1024


def bulk_reply(v: bytes | bytearray) -> bytes | list[bytes]:
    """``bulk(v)``, or for a ``bytes`` value of ``BIG_BULK`` bytes or more
    its parts: a reply the walk writes unjoined.  (A bytearray, which APPEND
    may grow in place before the transport has sent it, is copied.)"""
    n = len(v)
    if n < 4096:
        return BULK_HDR[n] + v + CRLF
    if n < BIG_BULK or v.__class__ is not bytes:
        return bulk(v)
    return [b"$%d\r\n" % n, v, CRLF]


def integer(n: int) -> bytes:
    """``:<n>\\r\\n``"""
    if 0 <= n < 1024:
        return INTEGERS[n]
    return b":%d\r\n" % n


def simple(s: bytes) -> bytes:
    """``+<s>\\r\\n``"""
    return b"+" + s + CRLF


def error(msg: bytes) -> bytes:
    """``-<msg>\\r\\n``; CR and LF at the end are dropped and inside become
    spaces, as redis addReplyErrorFormat (an error that ends with an argument:
    ``Unsupported option x\\n``)."""
    if b"\r" in msg or b"\n" in msg:
        msg = msg.rstrip(b"\r\n").replace(b"\r", b" ").replace(b"\n", b" ")
    return b"-" + msg + CRLF


def array_header(n: int) -> bytes:
    return _ARRAY_HDR[n] if n < 1024 else b"*%d\r\n" % n


def array(items: Sequence[bytes]) -> bytes:
    """``*<n>\\r\\n`` followed by already encoded items."""
    return array_header(len(items)) + b"".join(items)


# "$<n>" for n < 4096: bulk_strings joins with CRLF, after the length and the data
_BULK_LEN = [h[:-2] for h in BULK_HDR]


def bulk_strings(items: list[bytes]) -> bytes:
    """``items`` as consecutive bulk strings (an array's body).  The lengths
    and their headers are looked up by C-level maps and the whole joined once,
    without a Python call per item: twice as fast as ``map(bulk, items)`` at
    100 items.  (Raises TypeError for a None item: see ``bulk_array``.)"""
    n = len(items)
    if n > 8:
        parts = [b""] * (2 * n)
        try:
            parts[::2] = map(_BULK_LEN.__getitem__, map(len, items))
        except IndexError:  # an item of 4 KB or more
            pass
        else:
            parts[1::2] = items
            return b"\r\n".join(parts) + CRLF
    return b"".join(map(bulk, items))


def bulk_array(values: Iterable[bytes | None], nil: bytes = NIL2) -> bytes:
    """Array of bulk strings; None items become ``nil``."""
    items = values if values.__class__ is list else list(values)
    try:
        body = bulk_strings(items)  # type: ignore[arg-type]
    except TypeError:  # None items
        body = b"".join([nil if v is None else bulk(v) for v in items])
    return array_header(len(items)) + body


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
