"""Random and mutated frames against one live server, both protocols.

Each example opens a fresh connection, writes its bytes, half-closes and
reads until the server closes (a hang fails here, by the socket timeout).
Then a separate connection must still answer PING (memcached: ``version``)
and a canary key set at the start must keep its value.  The server must log
no error meanwhile.  Examples are derandomized and bounded, so CI runs the
same inputs in a few seconds per protocol.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cacheserver.config import Config
from helpers import McRawClient, RawClient, ServerThread, encode

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

CANARY = b"fuzz:canary"
CANARY_VALUE = b"still-here \x00\r\n"


class Errors(logging.Handler):
    """The server's log records of level ERROR and above."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[ServerThread, Errors]]:
    errors = Errors()
    log = logging.getLogger("cacheserver")
    log.addHandler(errors)
    # every command goes through the slow log and the latency monitor too
    cfg = Config(slowlog_log_slower_than=0, latency_monitor_threshold=1)
    st_ = ServerThread(cfg).start()
    c = RawClient(st_.host, st_.port)
    assert c.call("SET", CANARY, CANARY_VALUE) == b"+OK\r\n"
    c.close()
    yield st_, errors
    st_.stop()
    log.removeHandler(errors)


@pytest.fixture(scope="module")
def checker(live: tuple[ServerThread, Errors]) -> Iterator[tuple[RawClient, McRawClient]]:
    srv, _ = live
    r = RawClient(srv.host, srv.port, timeout=5)
    m = McRawClient(srv.host, srv.mc_port, timeout=5)
    yield r, m
    r.close()
    m.close()


def throw(port: int, data: bytes) -> None:
    """Write ``data`` on a fresh connection, half-close, read until the
    server closes; a server that neither answers nor closes times out."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            return  # closed on a framing error before all was written
        try:
            while s.recv(1 << 16):
                pass
        except ConnectionResetError:
            pass
    finally:
        s.close()


def healthy(live: tuple[ServerThread, Errors], checker: tuple[RawClient, McRawClient]) -> None:
    _, errors = live
    r, m = checker
    assert r.call("PING") == b"+PONG\r\n"
    assert r.call("GET", CANARY) == b"$%d\r\n%s\r\n" % (len(CANARY_VALUE), CANARY_VALUE)
    assert m.call(b"version\r\n").startswith(b"VERSION ")
    assert not errors.records, [r.getMessage() for r in errors.records]


# -- RESP ----------------------------------------------------------------------

# commands whose arguments may be mutated freely: no key names the canary,
# nothing flushes, shuts down, reconfigures or allocates by an argument
RESP_COMMANDS: list[list[bytes]] = [
    [b"PING"],
    [b"ECHO", b"hello"],
    [b"SET", b"fz", b"value", b"EX", b"100"],
    [b"GET", b"fz"],
    [b"MSET", b"fz:a", b"1", b"fz:b", b"2"],
    [b"INCRBY", b"fz:n", b"5"],
    [b"HSET", b"fz:h", b"f", b"v", b"g", b"w"],
    [b"HGETALL", b"fz:h"],
    [b"LPUSH", b"fz:l", b"a", b"b", b"c"],
    [b"LRANGE", b"fz:l", b"0", b"-1"],
    [b"BLPOP", b"fz:empty", b"0.01"],
    [b"SADD", b"fz:s", b"x", b"y"],
    [b"ZADD", b"fz:z", b"1.5", b"m", b"2", b"n"],
    [b"ZRANGE", b"fz:z", b"0", b"-1", b"WITHSCORES"],
    [b"EXPIRE", b"fz", b"100"],
    [b"TTL", b"fz"],
    [b"MULTI"],
    [b"EXEC"],
    [b"SUBSCRIBE", b"fz:ch"],
    [b"PUBLISH", b"fz:ch", b"msg"],
    [b"HELLO", b"3"],
    [b"HELLO", b"2", b"AUTH", b"default", b"secret", b"SETNAME", b"fz"],
    [b"LATENCY", b"GRAPH", b"command"],
    [b"LATENCY", b"DOCTOR"],
    [b"CLIENT", b"SETNAME", b"fz"],
    [b"SLOWLOG", b"GET", b"5"],
    [b"LATENCY", b"HISTOGRAM", b"get"],
    [b"OBJECT", b"ENCODING", b"fz"],
    [b"SCAN", b"0", b"MATCH", b"fz*", b"COUNT", b"10"],
    [b"INFO", b"latencystats"],
    [b"GETBIT", b"fz", b"3"],
    [b"BITCOUNT", b"fz", b"0", b"-1", b"BIT"],
    [b"BITPOS", b"fz", b"1", b"2", b"-1", b"BYTE"],
    [b"BITFIELD_RO", b"fz", b"GET", b"i8", b"#1", b"GET", b"u4", b"3"],
    [b"SORT", b"fz:l", b"BY", b"fz:*", b"LIMIT", b"0", b"2", b"GET", b"#", b"ALPHA", b"DESC"],
    [b"PFADD", b"fz:p", b"a", b"b"],
    [b"PFCOUNT", b"fz:p", b"fz:q"],
    [b"PFMERGE", b"fz:q", b"fz:p"],
    [b"WAIT", b"1", b"10"],
    [b"ROLE"],
    [b"MONITOR"],
]

NUMBERS = [b"0", b"-1", b"-2", b"1", b"3", b"17", b"2147483648", b"9223372036854775807",
           b"-9223372036854775808", b"99999999999999999999", b"", b"+5", b" 3", b"x", b"1.5"]  # fmt: skip
TYPE_BYTES = list(b"*$+-:_#,%~>!=(|x\x00 ")


@st.composite
def resp_frame(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # random bytes
        return draw(st.binary(max_size=64))
    if kind == 1:  # an inline line, maybe with quotes and escapes
        words = draw(
            st.lists(
                st.one_of(
                    st.sampled_from([b"SET", b"GET", b"PING", b'"a b"', b"'x", b'"\\x4', b"\\"]),
                    st.binary(max_size=8),
                ),
                min_size=1,
                max_size=6,
            )
        )
        return b" ".join(words) + draw(st.sampled_from([b"\r\n", b"\n", b""]))
    if kind == 2:  # nested arrays and non-bulk members
        inner = encode(*draw(st.sampled_from(RESP_COMMANDS)))
        head = draw(st.sampled_from([b"*2\r\n", b"*1\r\n", b"*3\r\n:1\r\n", b"*2\r\n+OK\r\n"]))
        return head + inner + draw(st.sampled_from([b"", b"$1\r\nk\r\n", b"_\r\n"]))
    argv = list(draw(st.sampled_from(RESP_COMMANDS)))
    if draw(st.booleans()):  # an argument replaced by an odd number
        i = draw(st.integers(0, len(argv) - 1))
        argv[i] = draw(st.sampled_from(NUMBERS))
    data = bytearray(encode(*argv))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.integers(0, 4))
        if op == 0:  # a header's number replaced: wrong, huge, negative, junk
            heads = [
                i for i, ch in enumerate(data) if ch in b"*$" and (i == 0 or data[i - 1] == 10)
            ]
            if heads:
                i = draw(st.sampled_from(heads))
                end = data.find(b"\r\n", i)
                if end > i:
                    data[i + 1 : end] = draw(st.sampled_from(NUMBERS))
        elif op == 1 and data:  # a bad type byte
            heads = [i for i, ch in enumerate(data) if ch in b"*$"]
            if heads:
                data[draw(st.sampled_from(heads))] = draw(st.sampled_from(TYPE_BYTES))
        elif op == 2 and data:  # truncated
            del data[draw(st.integers(0, len(data) - 1)) :]
        elif op == 3:  # junk inserted
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == 4 and data:  # a slice dropped
            i = draw(st.integers(0, len(data) - 1))
            del data[i : i + draw(st.integers(1, 6))]
    return bytes(data)


@FUZZ
@given(st.lists(resp_frame(), min_size=1, max_size=4).map(b"".join))
def test_resp_frames(
    live: tuple[ServerThread, Errors],
    checker: tuple[RawClient, McRawClient],
    data: bytes,
) -> None:
    throw(live[0].port, data)
    healthy(live, checker)


# -- memcached -------------------------------------------------------------------

MC_COMMANDS: list[bytes] = [
    b"set fz 0 0 5\r\nhello\r\n",
    b"add fz:a 5 100 3\r\nabc\r\n",
    b"replace fz 0 0 2\r\nhi\r\n",
    b"append fz 0 0 1\r\n!\r\n",
    b"prepend fz 0 0 1\r\n>\r\n",
    b"cas fz 0 0 2 1\r\nok\r\n",
    b"get fz fz:a\r\n",
    b"gets fz\r\n",
    b"gat 10 fz\r\n",
    b"incr fz:n 5\r\n",
    b"decr fz:n 1\r\n",
    b"touch fz 10\r\n",
    b"delete fz:a\r\n",
    b"verbosity 1\r\n",
    b"mg fz v t f c k\r\n",
    b"ms fz 5 T10 F3\r\nhello\r\n",
    b"ms fz S2 MA\r\nxy\r\n",
    b"md fz q\r\n",
    b"ma fz:n D7 N0 J13\r\n",
    b"me fz\r\n",
    b"mn\r\n",
    b"stats\r\n",
]

MC_TOKENS = [b"0", b"-1", b"1", b"4294967296", b"18446744073709551616", b"99999999999",
             b"noreply", b"fz", b"x" * 251, b"v", b"T-1", b"N0", b"S9999999", b"b", b"Zm9v",
             b"\x00", b"\xff\xfe", b"", b"q", b"O" + b"x" * 40]  # fmt: skip


@st.composite
def mc_frame(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=64))
    if kind == 1:  # binary-protocol-looking junk
        return b"\x80" + draw(st.binary(max_size=30))
    data = draw(st.sampled_from(MC_COMMANDS))
    line, sep, rest = data.partition(b"\r\n")
    tokens = line.split(b" ")
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.integers(0, 5))
        if op == 0:  # a token replaced
            tokens[draw(st.integers(0, len(tokens) - 1))] = draw(st.sampled_from(MC_TOKENS))
        elif op == 1:  # a token added
            tokens.insert(draw(st.integers(0, len(tokens))), draw(st.sampled_from(MC_TOKENS)))
        elif op == 2:  # the data block dropped or cut
            rest = rest[: draw(st.integers(0, len(rest)))]
        elif op == 3:  # the data block longer than its length says
            rest = rest[:-2] + draw(st.binary(min_size=1, max_size=10)) + b"\r\n"
        elif op == 4:  # junk in the line
            tokens.append(draw(st.binary(min_size=1, max_size=6)))
        else:  # line end changed
            sep = draw(st.sampled_from([b"\n", b"\r", b"", b"\r\r\n"]))
    return b" ".join(tokens) + sep + rest


@FUZZ
@given(st.lists(mc_frame(), min_size=1, max_size=4).map(b"".join))
def test_memcached_frames(
    live: tuple[ServerThread, Errors],
    checker: tuple[RawClient, McRawClient],
    data: bytes,
) -> None:
    throw(live[0].mc_port, data)
    healthy(live, checker)
