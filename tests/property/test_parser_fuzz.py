"""Property tests for the RESP request reader.

Whatever the bytes and however they are cut, the reader returns requests
(flat lists of bytes), asks for more, or raises ProtocolError, and it agrees
with a small whole-buffer reference parser written from redis
``processInlineBuffer``/``processMultibulkBuffer`` and ``sdssplitargs``.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.resp import ProtocolError, RespReader

Requests = list[list[bytes]]

# Bounded so that the whole file runs in a few seconds; no example database on disk.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

INT_MAX = 2**31 - 1
MAX_BULK = 512 * 1024 * 1024
INLINE_MAX = 64 * 1024


# -- the reference ----------------------------------------------------------------------


def ref_string2ll(s: bytes) -> int | None:
    """redis util.c string2ll."""
    if not s or len(s) >= 21:
        return None
    if s == b"0":
        return 0
    neg = s[:1] == b"-"
    digits = s[1:] if neg else s
    if not digits or not digits[:1].isdigit() or digits[:1] == b"0" or not digits.isdigit():
        return None
    v = int(digits)
    if neg:
        return -v if v <= 2**63 else None
    return v if v < 2**63 else None


def ref_strchr(data: bytes, pos: int, ch: int) -> int | None:
    """C strchr on a NUL-terminated buffer: stops at the first NUL."""
    i = data.find(ch, pos)
    end = len(data) if i < 0 else i
    if i < 0 or data.find(0, pos, end) >= 0:
        return None
    return i


SPACE = b" \t\n\v\f\r"


def ref_splitargs(line: bytes) -> list[bytes] | None:
    """redis sds.c sdssplitargs, char by char (the line holds no NUL)."""
    p, n = 0, len(line)

    def at(i: int) -> int:
        return line[i] if i < n else 0

    def is_hex(c: int) -> bool:
        return c != 0 and c in b"0123456789abcdefABCDEF"

    args: list[bytes] = []
    while True:
        while at(p) and at(p) in SPACE:
            p += 1
        if not at(p):
            return args
        cur = bytearray()
        inq = insq = done = False
        while not done:
            c = at(p)
            if inq:
                if c == 0x5C and at(p + 1) == 0x78 and is_hex(at(p + 2)) and is_hex(at(p + 3)):
                    cur.append(int(line[p + 2 : p + 4], 16))
                    p += 3
                elif c == 0x5C and at(p + 1):
                    p += 1
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(at(p), at(p)))
                elif c == 0x22:
                    if at(p + 1) and at(p + 1) not in SPACE:
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur.append(c)
            elif insq:
                if c == 0x5C and at(p + 1) == 0x27:
                    p += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if at(p + 1) and at(p + 1) not in SPACE:
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur.append(c)
            elif c in (0x20, 0x0A, 0x0D, 0x09, 0):
                done = True
            elif c == 0x22:
                inq = True
            elif c == 0x27:
                insq = True
            else:
                cur.append(c)
            if at(p):
                p += 1
        args.append(bytes(cur))


def reference(data: bytes) -> tuple[Requests, str | None]:
    """Requests in ``data`` and the protocol error that stops them (None: no error)."""
    reqs: Requests = []
    pos, n = 0, len(data)
    while pos < n:
        if data[pos] != 0x2A:  # inline
            nl = ref_strchr(data, pos, 0x0A)
            if nl is None:
                return reqs, ("too big inline request" if n - pos > INLINE_MAX else None)
            end = nl - 1 if nl > pos and data[nl - 1] == 0x0D else nl
            args = ref_splitargs(data[pos:end])
            if args is None:
                return reqs, "unbalanced quotes in request"
            pos = nl + 1
            if args:
                reqs.append(args)
            continue
        cr = ref_strchr(data, pos, 0x0D)
        if cr is None:
            return reqs, ("too big mbulk count string" if n - pos > INLINE_MAX else None)
        if cr + 1 >= n:
            return reqs, None
        count = ref_string2ll(data[pos + 1 : cr])
        if count is None or count > INT_MAX:
            return reqs, "invalid multibulk length"
        pos = cr + 2
        args = []
        for _ in range(max(count, 0)):
            cr = ref_strchr(data, pos, 0x0D)
            if cr is None:
                return reqs, ("too big bulk count string" if n - pos > INLINE_MAX else None)
            if cr + 1 >= n:
                return reqs, None
            if data[pos] != 0x24:
                return reqs, f"expected '$', got '{chr(data[pos])}'"
            size = ref_string2ll(data[pos + 1 : cr])
            if size is None or size < 0 or size > MAX_BULK:
                return reqs, "invalid bulk length"
            pos = cr + 2
            if n - pos < size + 2:
                return reqs, None
            args.append(data[pos : pos + size])
            pos += size + 2
        if args:
            reqs.append(args)
    return reqs, None


# -- driving the reader -----------------------------------------------------------------


def run(chunks: list[bytes]) -> tuple[Requests, str | None]:
    """Feed chunk by chunk; requests returned, and the protocol error if one was raised."""
    r = RespReader()
    out: Requests = []
    try:
        for chunk in chunks:
            r.feed(chunk)
            while (req := r.gets()) is not False:
                assert type(req) is list, req
                assert all(type(a) is bytes for a in req), req
                assert req, "empty requests are skipped"
                out.append(req)
    except ProtocolError as e:
        assert isinstance(e.msg, str) and e.msg
        assert e.reply.startswith(b"-ERR Protocol error: ") and e.reply.endswith(b"\r\n")
        assert b"\r" not in e.reply[:-2] and b"\n" not in e.reply[:-2]
        return out, e.msg
    return out, None


def cut(data: bytes, points: list[int]) -> list[bytes]:
    points = sorted({min(p, len(data)) for p in points})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


# -- generators -------------------------------------------------------------------------

args_st = st.lists(
    st.one_of(
        st.binary(max_size=12),
        st.sampled_from(
            [b"PING", b"SET", b"*1", b"$3", b"+OK", b":1", b"\r\n", b"(1", b"~", b"\x00"]
        ),
        # long enough for hiredis to trim its buffer (the reader tracks that)
        st.integers(1000, 1500).map(lambda n: b"x" * n),
    ),
    min_size=1,
    max_size=4,
)

short_args_st = st.lists(st.binary(max_size=8), min_size=1, max_size=3)


def multibulk(args: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def quoted_inline(args: list[bytes]) -> bytes:
    """An inline request with every argument double-quoted and escaped."""

    def quote(a: bytes) -> bytes:
        out = bytearray(b'"')
        for c in a:
            if c in b'"\\':
                out += b"\\" + bytes([c])
            elif 0x20 <= c < 0x7F:
                out.append(c)
            else:
                out += b"\\x%02x" % c
        return bytes(out + b'"')

    return b" ".join(quote(a) for a in args) + b"\r\n"


def plain_inline(args: list[bytes]) -> bytes | None:
    if (
        any(not a or any(c in b" \t\r\n\v\f\x00\"'" for c in a) for a in args)
        or args[0][:1] == b"*"
    ):
        return None
    return b" ".join(args) + b"\n"


@st.composite
def streams(draw: st.DrawFn, long_args: bool = True) -> tuple[bytes, Requests]:
    """A valid request stream and the requests it holds."""
    parts: list[bytes] = []
    expected: Requests = []
    arg_lists = args_st if long_args else short_args_st
    for args in draw(st.lists(arg_lists, min_size=1, max_size=8)):
        form = draw(st.sampled_from(["multibulk", "multibulk", "quoted", "plain", "skip"]))
        if form == "skip":
            parts.append(draw(st.sampled_from([b"*0\r\n", b"*-1\r\n", b"\r\n", b"  \n"])))
        plain = plain_inline(args) if form == "plain" else None
        if plain is not None:
            parts.append(plain)
        elif form == "quoted":
            parts.append(quoted_inline(args))
        else:
            parts.append(multibulk(args))
        expected.append(args)
    return b"".join(parts), expected


@st.composite
def mutated(draw: st.DrawFn, long_args: bool = True) -> bytes:
    """A valid stream with a few bytes replaced, inserted or removed, or cut short."""
    data = bytearray(draw(streams(long_args))[0])
    interesting = st.sampled_from(list(b"*$:+-~(=%>|_,#\r\n0123456789 \"'\\\x00\xff"))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        if op == "replace":
            data[i] = draw(interesting)
        elif op == "insert":
            data.insert(i, draw(interesting))
        elif op == "delete":
            del data[i]
        else:
            del data[i:]
    return bytes(data)


cut_points = st.lists(st.integers(0, 10_000), max_size=6)


# -- properties -------------------------------------------------------------------------


@FUZZ
@given(streams(), st.data())
def test_valid_streams_parse_the_same_however_cut(
    stream: tuple[bytes, Requests], data: st.DataObject
) -> None:
    raw, expected = stream
    assert reference(raw) == (expected, None)
    points = data.draw(st.lists(st.integers(0, len(raw)), max_size=8))
    assert run(cut(raw, points)) == (expected, None)


@FUZZ
@given(st.binary(max_size=400), cut_points)
def test_random_bytes(raw: bytes, points: list[int]) -> None:
    assert run(cut(raw, points)) == reference(raw)


@FUZZ
@given(mutated(), cut_points)
def test_mutated_requests(raw: bytes, points: list[int]) -> None:
    assert run(cut(raw, points)) == reference(raw)


@FUZZ
@given(mutated(long_args=False))
def test_mutated_requests_byte_by_byte(raw: bytes) -> None:
    assert run([raw[i : i + 1] for i in range(len(raw))]) == reference(raw)
