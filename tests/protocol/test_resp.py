"""The RESP codec: the request reader (every input cut at every offset) and the reply encoders."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pytest

from helpers import encode, iter_splits
from protocol.resp import (
    EMPTY_ARRAY,
    NIL2,
    NIL3,
    OK,
    ProtocolError,
    RespReader,
    array,
    array_header,
    big_number,
    boolean,
    bulk,
    bulk_array,
    bulk_strings,
    double,
    encode_double,
    error,
    integer,
    map_reply,
    push_reply,
    set_reply,
    simple,
    split_inline,
    split_reads,
    string2ll,
    verbatim,
)

Requests = list[list[bytes]]


def drain(r: RespReader, out: Requests) -> None:
    while (req := r.gets()) is not False:
        assert isinstance(req, list)
        assert all(type(a) is bytes for a in req)
        out.append(req)


def parse(chunks: Iterable[bytes], reader: RespReader | None = None) -> Requests:
    """Feed each chunk and take every complete request after it."""
    r = reader or RespReader()
    out: Requests = []
    for chunk in chunks:
        r.feed(chunk)
        drain(r, out)
    return out


def parse_error(chunks: Iterable[bytes]) -> tuple[Requests, str]:
    """Requests returned before the ProtocolError, and its message."""
    r = RespReader()
    out: Requests = []
    with pytest.raises(ProtocolError) as info:
        for chunk in chunks:
            r.feed(chunk)
            drain(r, out)
    return out, info.value.msg


def fails(chunks: Iterable[bytes], reader: RespReader | None = None) -> str:
    """The message of the ProtocolError that parsing ``chunks`` raises."""
    with pytest.raises(ProtocolError) as info:
        parse(chunks, reader)
    return info.value.msg


def every_cut(data: bytes) -> Iterable[list[bytes]]:
    """The whole input, each way of cutting it in two, and byte by byte."""
    yield [data]
    for a, b in iter_splits(data):
        yield [a, b]
    yield [data[i : i + 1] for i in range(len(data))]


def byte_chunks(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# -- well-formed input ----------------------------------------------------------

PIPELINE = (
    encode("SET", "k", "v")
    + encode("GET", "k")
    + encode("MSET", "a", "1", "b", "2", "c", "3")
    + encode("PING")
)

VALID = {
    "multibulk": (encode("SET", "key", "value"), [[b"SET", b"key", b"value"]]),
    "pipeline": (
        PIPELINE,
        [
            [b"SET", b"k", b"v"],
            [b"GET", b"k"],
            [b"MSET", b"a", b"1", b"b", b"2", b"c", b"3"],
            [b"PING"],
        ],
    ),
    "empty bulk": (encode("SET", "k", ""), [[b"SET", b"k", b""]]),
    "binary bulk": (
        encode("SET", b"k\r\n", b"\x00\r\n$3\r\n*1\r\n\xff\x00"),
        [[b"SET", b"k\r\n", b"\x00\r\n$3\r\n*1\r\n\xff\x00"]],
    ),
    "bulk that looks like odd types": (
        encode("ZRANGEBYSCORE", "z", "(1", "+inf") + encode("ECHO", "~1") + encode("ECHO", "=5"),
        [[b"ZRANGEBYSCORE", b"z", b"(1", b"+inf"], [b"ECHO", b"~1"], [b"ECHO", b"=5"]],
    ),
    "*0 is skipped": (b"*0\r\n" + encode("PING") + b"*0\r\n", [[b"PING"]]),
    "*-1 is skipped": (b"*-1\r\n" + encode("PING") + b"*-1\r\n", [[b"PING"]]),
    "other negative counts are skipped": (b"*-5\r\n" + encode("PING"), [[b"PING"]]),
    "inline": (b"PING\r\n", [[b"PING"]]),
    "inline with LF only": (b"SET k v\nGET k\n", [[b"SET", b"k", b"v"], [b"GET", b"k"]]),
    "inline blanks": (b"  SET\t k \x0b\x0c v  \r\n", [[b"SET", b"k", b"v"]]),
    "empty inline lines are skipped": (b"\r\n\n  \r\n\t\r\nPING\r\n\r\n", [[b"PING"]]),
    "inline double quotes": (
        b'SET "a key" "a \\"quoted\\" value"\r\n',
        [[b"SET", b"a key", b'a "quoted" value']],
    ),
    "inline hex escapes": (b'ECHO "\\x41\\x4a\\x4B\\x00"\r\n', [[b"ECHO", b"AJK\x00"]]),
    "inline escapes": (
        b'ECHO "\\n\\r\\t\\b\\a\\q\\\\"\r\n',
        [[b"ECHO", b"\n\r\t\b\aq\\"]],
    ),
    "inline bad hex escape is a plain escape": (b'ECHO "\\xZZ"\r\n', [[b"ECHO", b"xZZ"]]),
    "inline single quotes": (
        b"ECHO 'it\\'s' 'no \\n escape' ''\r\n",
        [[b"ECHO", b"it's", b"no \\n escape", b""]],
    ),
    "inline quotes inside a word": (b'ECHO a"b c" x\r\n', [[b"ECHO", b"ab c", b"x"]]),
    "inline backslash outside quotes is literal": (b"ECHO \\x41\r\n", [[b"ECHO", b"\\x41"]]),
    "inline vertical tab does not end a word": (b"ECHO a\x0bb\r\n", [[b"ECHO", b"a\x0bb"]]),
    "inline after multibulk": (
        encode("SET", "k", "v") + b"GET k\r\n",
        [[b"SET", b"k", b"v"], [b"GET", b"k"]],
    ),
    "multibulk after inline": (
        b"SET k v\r\n" + encode("GET", "k"),
        [[b"SET", b"k", b"v"], [b"GET", b"k"]],
    ),
    "alternating": (
        b"PING\r\n" + encode("ECHO", "a") + b"ECHO b\r\n" + encode("ECHO", "c") + b"PING\n",
        [[b"PING"], [b"ECHO", b"a"], [b"ECHO", b"b"], [b"ECHO", b"c"], [b"PING"]],
    ),
    # Inside a bulk, bytes that would be a type byte or a huge count elsewhere are data.
    "type bytes after line ends inside bulks": (
        encode("SET", "\r\n+a\r\n=b\r\n(c\r\n~d", "\r\n>e\r\n|f\r\n") + encode("PING"),
        [[b"SET", b"\r\n+a\r\n=b\r\n(c\r\n~d", b"\r\n>e\r\n|f\r\n"], [b"PING"]],
    ),
    "huge counts inside bulks": (
        encode("ECHO", "*1234567\r\n*2147483648") + encode("ECHO", "x*9999999"),
        [[b"ECHO", b"*1234567\r\n*2147483648"], [b"ECHO", b"x*9999999"]],
    ),
    # Redis skips the byte after each '\r' and the two after a payload unchecked.
    "unchecked line ends": (b"*1\rX$4\r\nPINGxy*1\r\n$4\r\nPING\r\n", [[b"PING"], [b"PING"]]),
}


@pytest.mark.parametrize("name", VALID)
def test_valid_input_at_every_cut(name: str) -> None:
    data, expected = VALID[name]
    for chunks in every_cut(data):
        assert parse(chunks) == expected, (name, [len(c) for c in chunks])


def test_incomplete_input_waits() -> None:
    data = PIPELINE + b"SET k v\r\n"
    for i in range(len(data)):
        r = RespReader()
        r.feed(data[:i])
        got: Requests = []
        drain(r, got)
        # Each request is returned once complete; the rest waits without error.
        assert got == parse([data])[: len(got)]
        assert r.gets() is False
        r.feed(data[i:])
        drain(r, got)
        assert got == parse([data])


def test_long_pipeline_in_odd_chunks() -> None:
    # Long enough for hiredis to trim its buffer many times; cut at awkward sizes.
    reqs = [[b"SET", b"key:%d" % i, b"v" * (i % 97)] for i in range(3000)]
    reqs[1234] = [b"GET", b"", b"\r\n*2\r\n$1\r\n"]
    data = b"".join(encode(*q) for q in reqs)
    for size in (1, 7, 100, 1023, 1024, 1025, 4096, 65536, len(data)):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert parse(chunks) == reqs, size


def test_chunks_fed_before_gets() -> None:
    # While a reply is pending the connection feeds without taking requests.
    data = encode("SET", "k", "v") * 50 + b"PING\r\n" + encode("GET", "k") * 50
    expected = parse([data])
    for size in (3, 64, 1000):
        r = RespReader()
        out: Requests = []
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        for i, chunk in enumerate(chunks):
            r.feed(chunk)
            if i % 3 == 2:
                drain(r, out)
        drain(r, out)
        assert out == expected


def test_ten_megabyte_bulk_in_64k_chunks() -> None:
    value = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    data = encode("SET", "big", value) + encode("GET", "big")
    r = RespReader()
    out: Requests = []
    for i in range(0, len(data), 65536):
        r.feed(data[i : i + 65536])
        drain(r, out)
        if not out:
            assert r.buffered() <= len(data)
    assert len(out) == 2
    assert out[0][0] == b"SET" and out[0][1] == b"big" and out[0][2] == value
    assert out[1] == [b"GET", b"big"]
    assert r.buffered() == 0


def test_bulk_sizes_around_the_fast_path_limits() -> None:
    for n in (65535, 65536, 999_999, 1_000_000, 1_048_577):
        value = b"x" * n
        data = encode("SET", "k", value) + encode("PING")
        assert parse([data]) == [[b"SET", b"k", value], [b"PING"]]
        cut = len(data) // 2
        assert parse([data[:cut], data[cut:]]) == [[b"SET", b"k", value], [b"PING"]]


def test_buffered_counts_unparsed_bytes() -> None:
    r = RespReader()
    assert r.buffered() == 0
    r.feed(b"*2\r\n$3\r\nGET\r\n$1\r")
    assert r.gets() is False
    assert r.buffered() > 0
    r.feed(b"\nk\r\n")
    assert r.gets() == [b"GET", b"k"]
    assert r.gets() is False
    assert r.buffered() == 0
    r.feed(b"PI")
    assert r.gets() is False
    assert r.buffered() == 2


# -- protocol errors ----------------------------------------------------------------

ERRORS = {
    "bad count": (b"*x\r\n", "invalid multibulk length"),
    "count with plus": (b"*+1\r\n$4\r\nPING\r\n", "invalid multibulk length"),
    "count with leading zero": (b"*01\r\n$4\r\nPING\r\n", "invalid multibulk length"),
    "count -0": (b"*-0\r\n", "invalid multibulk length"),
    "count over INT_MAX": (b"*2147483648\r\n", "invalid multibulk length"),
    "count over 64 bits": (b"*99999999999999999999\r\n", "invalid multibulk length"),
    "empty count": (b"*\r\n", "invalid multibulk length"),
    "bad bulk length": (b"*1\r\n$x\r\n", "invalid bulk length"),
    "negative bulk length": (b"*1\r\n$-1\r\n", "invalid bulk length"),
    "bulk length with plus": (b"*1\r\n$+4\r\nPING\r\n", "invalid bulk length"),
    "bulk length with space": (b"*1\r\n$ 4\r\nPING\r\n", "invalid bulk length"),
    "bulk length over the limit": (b"*1\r\n$1099511627776\r\n", "invalid bulk length"),
    "integer argument": (b"*1\r\n:1\r\n", "expected '$', got ':'"),
    "integer argument, more to come": (b"*2\r\n:1\r\n", "expected '$', got ':'"),
    "simple string argument": (b"*1\r\n+PING\r\n", "expected '$', got '+'"),
    "error argument": (b"*2\r\n$4\r\nECHO\r\n-ERR x\r\n", "expected '$', got '-'"),
    "verbatim argument": (b"*1\r\n=8\r\ntxt:PING\r\n", "expected '$', got '='"),
    "big number argument": (b"*2\r\n$4\r\nECHO\r\n(12\r\n", "expected '$', got '('"),
    "double argument": (b"*2\r\n$4\r\nECHO\r\n,1.5\r\n", "expected '$', got ','"),
    "boolean argument": (b"*2\r\n$4\r\nECHO\r\n#t\r\n", "expected '$', got '#'"),
    "null argument": (b"*2\r\n$4\r\nECHO\r\n_\r\n", "expected '$', got '_'"),
    "nested array first": (b"*2\r\n*1\r\n$4\r\nPING\r\n", "expected '$', got '*'"),
    "nested array later, incomplete": (b"*3\r\n$4\r\nECHO\r\n*1\r\n", "expected '$', got '*'"),
    "nested map": (b"*2\r\n$4\r\nECHO\r\n%1\r\n+a\r\n+b\r\n", "expected '$', got '%'"),
    "nested set": (b"*2\r\n$4\r\nECHO\r\n~1\r\n+a\r\n", "expected '$', got '~'"),
    "inline argument": (b"*2\r\n$4\r\nECHO\r\nhello\r\n", "expected '$', got 'h'"),
    "raw byte is quoted as is": (b"*1\r\n\xff\r\n", "expected '$', got '\xff'"),
    "unbalanced double quotes": (b'ECHO "abc\r\n', "unbalanced quotes in request"),
    "unbalanced single quotes": (b"ECHO 'abc\r\n", "unbalanced quotes in request"),
    "escaped closing quote": (b'ECHO "abc\\"\r\n', "unbalanced quotes in request"),
    "text after a closing quote": (b'ECHO "a"b\r\n', "unbalanced quotes in request"),
    "text after a closing single quote": (b"ECHO 'a'b\r\n", "unbalanced quotes in request"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_protocol_error_at_every_cut(name: str) -> None:
    data, message = ERRORS[name]
    for chunks in every_cut(data):
        assert parse_error(chunks) == ([], message), (name, [len(c) for c in chunks])


@pytest.mark.parametrize(
    "name", ["integer argument, more to come", "nested array later, incomplete"]
)
def test_error_after_a_long_pipeline(name: str) -> None:
    # The bad request follows enough good ones for hiredis to have trimmed its buffer.
    good = [[b"SET", b"key:%d" % i, b"x" * (i % 40)] for i in range(200)]
    bad, message = ERRORS[name]
    data = b"".join(encode(*q) for q in good) + bad
    for size in (len(data), 1000, 333):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert parse_error(chunks) == (good, message)


# good requests before a case: over a kilobyte of them in the same chunk
_PAD = [[b"SET", b"key:%012d" % i, b"v" * 64] for i in range(12)]
_PAD_BYTES = b"".join(encode(*q) for q in _PAD)


@pytest.mark.parametrize("name", VALID)
def test_valid_input_in_a_big_chunk(name: str) -> None:
    data, expected = VALID[name]
    data = _PAD_BYTES + data
    assert parse([data]) == _PAD + expected
    assert parse([data[:100], data[100:]]) == _PAD + expected


@pytest.mark.parametrize("name", ERRORS)
def test_protocol_error_in_a_big_chunk(name: str) -> None:
    bad, message = ERRORS[name]
    data = _PAD_BYTES + bad
    assert parse_error([data]) == (_PAD, message)
    assert parse_error([data[:100], data[100:]]) == (_PAD, message)


@pytest.mark.parametrize("pad", [b"", _PAD_BYTES])
def test_a_count_of_seven_digits_never_reaches_hiredis(pad: bytes) -> None:
    """hiredis would allocate the count's list at once: the exact parser
    takes the input, in a small chunk or a big one, and waits for the rest."""
    r = RespReader()
    r.feed(pad + b"*1000000\r\n$4\r\nPING\r\n")
    assert not r.fast
    got: Requests = []
    drain(r, got)
    assert got == _PAD[: len(got)] and len(got) == (len(_PAD) if pad else 0)


def test_requests_before_an_error_are_returned() -> None:
    data = encode("SET", "k", "v") + b"PING\r\n" + b"*1\r\n$-5\r\n" + encode("PING")
    for chunks in every_cut(data):
        assert parse_error(chunks) == ([[b"SET", b"k", b"v"], [b"PING"]], "invalid bulk length")


def test_sets_and_pushes_are_not_requests() -> None:
    # Not a request start: Redis reads these lines as inline commands.
    data = encode("PING") + b"~1\r\n$4\r\nPING\r\n" + b">1\r\n$4\r\nPING\r\n"
    expected = [[b"PING"], [b"~1"], [b"$4"], [b"PING"], [b">1"], [b"$4"], [b"PING"]]
    for chunks in every_cut(data):
        assert parse(chunks) == expected


def test_a_set_after_an_unchecked_payload_end_is_not_a_request() -> None:
    # Both parsers skip the two bytes after a payload unchecked: "xx" here.
    data = b"*1\r\n$4\r\nPINGxx~1\r\n$4\r\nPING\r\n" + b"*1\r\n$4\r\nPINGxx>1\r\n$4\r\nPING\r\n"
    expected = [[b"PING"], [b"~1"], [b"$4"], [b"PING"], [b"PING"], [b">1"], [b"$4"], [b"PING"]]
    for chunks in every_cut(data):
        assert parse(chunks) == expected


@pytest.mark.parametrize("size", [9_999, 10_000, 70_000, 600_000])
def test_big_payloads_among_small_requests(size: int) -> None:
    # A big chunk whose head holds a big bulk goes to the exact parser, the
    # rest of the input back to hiredis: every cut gives the same requests.
    pattern = bytes(range(256)) + b"*9999999\r\n$"  # headers in a payload mean nothing
    big = (pattern * (size // len(pattern) + 1))[:size]
    reqs = [
        [b"GET", b"a"],
        [b"SET", b"k", big],
        [b"ECHO", b"x" * 300],
        [b"SET", b"k2", big],
        [b"PING"],
    ]
    data = b"".join(encode(*q) for q in reqs)
    for step in (len(data), 8191, 8192, 65536, 100_001, 1000):
        chunks = [data[i : i + step] for i in range(0, len(data), step)]
        assert parse(chunks) == reqs
    head = encode("SET", "k", big)
    r = RespReader()
    r.feed(head + encode("PING"))
    assert r.take() == [[b"SET", b"k", big]]
    assert r.take() == [[b"PING"]]
    assert r.take() == []
    assert r.fast  # back on the fast path once drained


def test_a_big_payload_gathered_from_reads() -> None:
    # The exact parser gathers a payload of 64 KiB or more read by read; its
    # CRLF and the next requests may come in any of them.
    big = bytes(range(256)) * 400  # 102,400 bytes
    head = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$102400\r\n"
    tail = encode("GET", "k") + encode("PING")
    want = [[b"SET", b"k", big], [b"GET", b"k"], [b"PING"]]
    cuts = [
        [head + big[:1000], big[1000:], b"\r", b"\n" + tail],
        [head + big[:1000], big[1000:60000], big[60000:], b"\r\n", tail],
        [head, big[:50000], big[50000:] + b"\r\n" + tail[:5], tail[5:]],
        [head + big[:70000], big[70000:] + b"\r", b"\n", b"", tail],
        [head + big[:-1], big[-1:] + b"\r\n" + tail],
    ]
    for chunks in cuts:
        r = RespReader()
        out: Requests = []
        for i, chunk in enumerate(chunks):
            r.feed(chunk)
            drain(r, out)
            if i == 1 and not out:  # what is held counts toward the query buffer limit
                assert r.buffered() == len(chunks[0]) + len(chunk) - len(head)
        assert out == want
        assert r.buffered() == 0


def test_split_reads() -> None:
    data = bytes(range(50))
    for cuts in ([50], [10, 40], [10, 10, 1, 29], [1, 1, 48], [49, 1]):
        reads, at = [], 0
        for c in cuts:
            reads.append(data[at : at + c])
            at += c
        for n in range(51):
            head, rest = split_reads(reads, 50, n)
            assert head == data[:n]
            assert b"".join(rest) == data[n:]


def test_take_returns_a_pipeline_at_once() -> None:
    reqs = [[b"SET", b"k%d" % i, b"v"] for i in range(20)]
    r = RespReader()
    r.feed(b"".join(encode(*q) for q in reqs))
    assert r.take() == reqs
    assert r.more is False  # hiredis holds nothing: no call needed to learn it
    assert r.take() == []
    r.feed(encode("PING"))
    assert r.more is True
    assert r.take() == [[b"PING"]]
    assert r.buffered() == 0


def test_take_stops_at_a_request_that_is_not_flat() -> None:
    good = [[b"GET", b"a"], [b"GET", b"b"]]
    data = b"".join(encode(*q) for q in good) + b"*2\r\n$3\r\nGET\r\n:1\r\n" + encode("PING")
    r = RespReader()
    r.feed(data)
    assert r.take() == good
    with pytest.raises(ProtocolError) as e:
        r.take()
    assert e.value.msg == "expected '$', got ':'"


def test_take_skips_empty_requests_in_a_pipeline() -> None:
    data = encode("PING") + b"*0\r\n" + encode("ECHO", "x") + b"*0\r\n"
    for chunks in every_cut(data):
        r = RespReader()
        out: Requests = []
        for chunk in chunks:
            r.feed(chunk)
            while reqs := r.take():
                out += reqs
        assert out == [[b"PING"], [b"ECHO", b"x"]], [len(c) for c in chunks]


@pytest.mark.parametrize("cut", [1, 4, 5, 13])
def test_input_ending_inside_the_next_request(cut: int) -> None:
    # hiredis has consumed all input yet holds part of a request (after its
    # '*', its count line, a bulk's '$', a whole bulk): the probe tells, and
    # the request still parses when the rest comes
    first = encode("SET", "a", "1") + encode("SET", "b", "2")
    nxt = encode("GET", "k")
    r = RespReader()
    r.feed(first + nxt[:cut])
    assert r.take() == [[b"SET", b"a", b"1"], [b"SET", b"b", b"2"]]
    assert r.take() == []
    r.feed(nxt[cut:])
    assert r.take() == [[b"GET", b"k"]]
    assert r.take() == []
    assert r.buffered() == 0


def test_input_ending_at_a_type_byte_hiredis_reads_as_an_error() -> None:
    r = RespReader()
    r.feed(encode("PING") + encode("PING") + b"-")
    assert r.take() == [[b"PING"], [b"PING"]]
    r.feed(b"ERR\r\n")
    assert r.take() == [[b"-ERR"]]  # an inline command, as Redis reads it


def test_a_map_or_push_after_a_bulk_without_its_crlf_is_inline() -> None:
    # Redis skips the two bytes after a bulk unread, as hiredis does; what
    # follows starts a line, here read as inline commands, never a request
    get = b"*2\r\n$3\r\nGET\r\n$1\r\nkXY"
    for tail, inline in (
        (b"%1\r\n$1\r\na\r\n$1\r\nb\r\n", [[b"%1"], [b"$1"], [b"a"], [b"$1"], [b"b"]]),
        (b">1\r\n$4\r\nPING\r\n", [[b">1"], [b"$4"], [b"PING"]]),
    ):
        for chunks in every_cut(get + tail + encode("PING")):
            assert parse(chunks) == [[b"GET", b"k"], *inline, [b"PING"]]


def test_a_simple_string_after_a_bulk_without_its_crlf_is_refused() -> None:
    # hiredis reads "+5" as an argument; Redis, at the same offset, wants
    # '$'.  Met when the exact parser takes over (here at the ':1'), it is a
    # protocol error, not a crash; the requests hiredis returned with it in
    # the same read are dropped with it (Redis would answer those before it).
    data = encode("GET", "a") + b"*3\r\n$3\r\nSET\r\n$1\r\nkXY+5\r\n" + b":1\r\n"
    for chunks in ([data], [data[:20], data[20:]]):
        assert parse_error(chunks)[1] == "expected '$', got '+'"


def test_unread_requests_come_first() -> None:
    r = RespReader()
    r.feed(encode("PING") + encode("ECHO", "a") + encode("ECHO", "b"))
    first, *rest = r.take()
    assert first == [b"PING"]
    r.unread(rest)
    assert r.buffered() == len(encode("ECHO", "a") + encode("ECHO", "b"))
    r.feed(encode("ECHO", "c"))
    assert r.take() == [[b"ECHO", b"a"], [b"ECHO", b"b"]]
    assert r.take() == [[b"ECHO", b"c"]]


def test_too_big_inline_request() -> None:
    assert parse([b"x" * 65536]) == []  # exactly the limit: still waiting
    for chunks in ([b"x" * 65537], [b"x" * 40000, b"x" * 40000], [encode("PING") + b"x" * 70000]):
        assert fails(chunks) == "too big inline request"


def test_too_big_count_strings() -> None:
    assert fails([b"*" + b"1" * 70000]) == "too big mbulk count string"
    assert fails([b"*1\r\n$" + b"1" * 70000]) == "too big bulk count string"
    chunks = [encode("PING") + b"*2\r\n$4\r\nECHO\r\n$", b"1" * 40000, b"1" * 40000]
    assert fails(chunks) == "too big bulk count string"


def test_nul_hides_the_line_end() -> None:
    # redis finds line ends with strchr, which stops at a NUL: such input waits...
    for data in (b"PI\x00NG\r\n", b"*1\x00\r\n$4\r\nPING\r\n", b"*1\r\n$\x004\r\nPING\r\n"):
        for chunks in every_cut(data):
            assert parse(chunks) == []
    # ...until it is too big; but a NUL inside a bulk payload is data.
    assert fails([b"PI\x00NG\r\n", b"x" * 70000]) == "too big inline request"
    assert fails([b"*1\r\n$\x00\r\n", b"x" * 70000]) == "too big bulk count string"
    assert parse([encode("ECHO", b"\x00")]) == [[b"ECHO", b"\x00"]]
    assert parse([b'ECHO "\\x00"\r\n']) == [[b"ECHO", b"\x00"]]


def test_lowered_bulk_limit() -> None:
    r = RespReader(max_bulk_len=1024 * 1024)
    ok = encode("SET", "k", b"x" * (1024 * 1024))
    assert parse([ok], r) == [[b"SET", b"k", b"x" * (1024 * 1024)]]
    too_big = encode("SET", "k", b"x" * (1024 * 1024 + 1))
    for chunks in ([too_big], [too_big[:20], too_big[20:]]):
        assert fails(chunks, RespReader(max_bulk_len=1024 * 1024)) == "invalid bulk length"
    # Changed at run time (CONFIG SET proto-max-bulk-len), between two reads.
    r = RespReader()
    assert parse([ok], r) == [[b"SET", b"k", b"x" * (1024 * 1024)]]
    r.max_bulk_len = 1000
    assert fails([encode("SET", "k", b"x" * 1001)], r) == "invalid bulk length"


def test_lowered_multibulk_limit() -> None:
    r = RespReader(max_multibulk_len=3)
    assert parse([encode("SET", "k", "v")], r) == [[b"SET", b"k", b"v"]]
    assert fails([encode("MSET", "a", "1", "b")], r) == "invalid multibulk length"


def test_unauthenticated_limits() -> None:
    r = RespReader()
    r.auth_required = True
    assert parse([encode(*["x"] * 10)], r) == [[b"x"] * 10]
    assert fails([encode(*["x"] * 11)], r) == "unauthenticated multibulk length"
    r = RespReader()
    r.auth_required = True
    assert fails([encode("AUTH", b"p" * 16385)], r) == "unauthenticated bulk length"


def test_error_reply_bytes() -> None:
    assert ProtocolError("invalid bulk length").reply == (
        b"-ERR Protocol error: invalid bulk length\r\n"
    )
    # The raw byte goes out as is; CR and LF become spaces (redis addReplyErrorFormat).
    assert ProtocolError("expected '$', got '\xff'").reply == (
        b"-ERR Protocol error: expected '$', got '\xff'\r\n"
    )
    assert ProtocolError("expected '$', got '\n'").reply == (
        b"-ERR Protocol error: expected '$', got ' '\r\n"
    )
    for data in (b"*1\r\n\n\r\n", b"*1\r\n\r\n"):
        with pytest.raises(ProtocolError) as info:
            parse([data])
        assert info.value.reply == b"-ERR Protocol error: expected '$', got ' '\r\n"


# -- helpers --------------------------------------------------------------------------


def test_split_inline() -> None:
    assert split_inline(b"") == []
    assert split_inline(b"   ") == []
    assert split_inline(b"a \"b c\" 'd e'") == [b"a", b"b c", b"d e"]
    assert split_inline(b'"unterminated') is None
    assert split_inline(b'"a"x') is None
    assert split_inline(b'"a"\t"b"') == [b"a", b"b"]


def test_string2ll() -> None:
    assert string2ll(b"0") == 0
    assert string2ll(b"-1") == -1
    assert string2ll(b"9223372036854775807") == 2**63 - 1
    assert string2ll(b"-9223372036854775808") == -(2**63)
    assert string2ll(b"999999999999999999") == 10**18 - 1  # 18 digits: the quick path
    assert string2ll(b"1000000000000000000") == 10**18  # 19: checked against the bounds
    assert string2ll(bytearray(b"42")) == 42
    for bad in (
        b"",
        b"-",
        b"-0",
        b"+1",
        b"01",
        b" 1",
        b"1 ",
        b"1.0",
        b"9223372036854775808",
        b"0x1",
        b"007",
        b"1_0",
        "\u0663".encode(),  # a non-ASCII digit
        b"99999999999999999999",
    ):
        assert string2ll(bad) is None, bad


# -- reply encoders ----------------------------------------------------------------------


def test_bulk_and_integer() -> None:
    assert bulk(b"") == b"$0\r\n\r\n"
    assert bulk(b"a\r\nb\x00") == b"$5\r\na\r\nb\x00\r\n"
    big = b"x" * 5000
    assert bulk(big) == b"$5000\r\n" + big + b"\r\n"
    for n in (0, 1, 1023, 1024, -1, -(2**63), 2**63 - 1):
        assert integer(n) == b":%d\r\n" % n
    assert simple(b"OK") == OK == b"+OK\r\n"
    assert error(b"ERR bad\r\nthing\n") == b"-ERR bad  thing\r\n"  # the end trimmed, as Redis


def test_arrays() -> None:
    assert array([]) == EMPTY_ARRAY == b"*0\r\n"
    assert array([bulk(b"a"), integer(1)]) == b"*2\r\n$1\r\na\r\n:1\r\n"
    assert array([integer(1)] * 2000).startswith(b"*2000\r\n:1\r\n")
    assert bulk_array([b"a", None]) == b"*2\r\n$1\r\na\r\n$-1\r\n"
    assert bulk_array([None], nil=NIL3) == b"*1\r\n_\r\n"
    assert NIL2 == b"$-1\r\n"


@pytest.mark.parametrize("n", [0, 1, 8, 9, 100])
def test_bulk_strings_match_one_bulk_per_item(n: int) -> None:
    items = [b"x" * (i * 37 % 300) for i in range(n)]  # the empty string among them
    assert bulk_strings(items) == b"".join(map(bulk, items))
    assert bulk_array(iter(items)) == array_header(n) + b"".join(map(bulk, items))
    mixed = [bytearray(b"ab\r\n"), b"\x00", b"y" * 4096, *items]  # 4 KB: past the header table
    assert bulk_strings(mixed) == b"".join(map(bulk, mixed))
    holes = [None if i % 3 == 0 else v for i, v in enumerate(items)]
    expect = b"".join(NIL3 if v is None else bulk(v) for v in holes)
    assert bulk_array(holes, nil=NIL3) == array_header(n) + expect


def test_resp3_types_and_their_resp2_forms() -> None:
    pairs = [(bulk(b"k"), bulk(b"v")), (bulk(b"n"), integer(1))]
    assert map_reply(pairs, True) == b"%2\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nn\r\n:1\r\n"
    assert map_reply(pairs, False) == b"*4\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nn\r\n:1\r\n"
    assert map_reply([], True) == b"%0\r\n"
    assert set_reply([bulk(b"a")], True) == b"~1\r\n$1\r\na\r\n"
    assert set_reply([bulk(b"a")], False) == b"*1\r\n$1\r\na\r\n"
    assert push_reply([bulk(b"message"), bulk(b"ch")]) == b">2\r\n$7\r\nmessage\r\n$2\r\nch\r\n"
    assert boolean(True, True) == b"#t\r\n"
    assert boolean(False, True) == b"#f\r\n"
    assert boolean(True, False) == b":1\r\n"
    assert boolean(False, False) == b":0\r\n"
    assert verbatim(b"hello\n", True) == b"=10\r\ntxt:hello\n\r\n"
    assert verbatim(b"# x", True, b"mkd") == b"=7\r\nmkd:# x\r\n"
    assert verbatim(b"hello\n", False) == b"$6\r\nhello\n\r\n"
    assert big_number(2**70, True) == b"(1180591620717411303424\r\n"
    assert big_number(-(2**70), False) == b"$23\r\n-1180591620717411303424\r\n"
    assert double(1.5, True) == b",1.5\r\n"
    assert double(1.5, False) == b"$3\r\n1.5\r\n"
    assert double(math.inf, True) == b",inf\r\n"
    assert double(-math.inf, False) == b"$4\r\n-inf\r\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, b"0"),
        (-0.0, b"-0"),
        (1.0, b"1"),
        (3.0, b"3"),
        (1.5, b"1.5"),
        (-2.25, b"-2.25"),
        (0.1, b"0.10000000000000001"),
        (1 / 3, b"0.33333333333333331"),
        (10.5, b"10.5"),
        (1e17, b"1e+17"),
        (1.5e300, b"1.5000000000000001e+300"),
        (123456789012345678.0, b"1.2345678901234568e+17"),
        (1e-5, b"1.0000000000000001e-05"),
        (5e-324, b"4.9406564584124654e-324"),
        (2.0**53, b"9007199254740992"),
        (math.inf, b"inf"),
        (-math.inf, b"-inf"),
        (math.nan, b"nan"),
    ],
)
def test_encode_double_is_redis_7_0_format(value: float, text: bytes) -> None:
    # Redis 7.0 addReplyDouble: "%.17g", and inf/-inf spelled out.
    assert encode_double(value) == text
