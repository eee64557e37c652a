"""In-process tests of MONITOR (cacheserver/monitor.py): quoting, and the
slow-command threshold it borrows while someone monitors."""

from __future__ import annotations

from cacheserver.monitor import quote
from helpers import Harness


def sdscatrepr(arg: bytes) -> bytes:
    """redis ``sdscatrepr``, written out."""
    out = b'"'
    for b in arg:
        ch = bytes([b])
        if ch in b'\\"':
            out += b"\\" + ch
        elif ch in b"\n\r\t\a\b":
            out += {b"\n": b"\\n", b"\r": b"\\r", b"\t": b"\\t", b"\a": b"\\a", b"\b": b"\\b"}[ch]
        elif 0x20 <= b < 0x7F:
            out += ch
        else:
            out += b"\\x%02x" % b
    return out + b'"'


def test_quote_as_sdscatrepr() -> None:
    every = bytes(range(256))
    assert quote(every) == sdscatrepr(every)
    for arg in (b"", b"plain text", b'"', b"\\", b"a\x00b"):
        assert quote(arg) == sdscatrepr(arg)


def test_the_threshold_is_borrowed_only_while_someone_monitors(h: Harness) -> None:
    srv = h.server
    before = srv.slow_ns
    m = h.connect()
    assert h.run("MONITOR", client=m) == b"+OK\r\n"
    assert srv.slow_ns == -1
    out = h.run("SET", "k", "v")
    assert out == b"+OK\r\n"
    assert h.run("RESET", client=m).startswith(b"+RESET\r\n")
    assert srv.slow_ns == before and srv.monitors == []
    m2 = h.connect()
    h.run("MONITOR", client=m2)
    m2.close()
    assert srv.slow_ns == before and srv.monitors == []


def test_a_monitor_whose_peer_hangs_up_is_dropped(h: Harness) -> None:
    """The peer closing (connection_lost, no close() of ours) ends monitoring too."""
    srv = h.server
    before = srv.slow_ns
    m = h.connect()
    h.run("MONITOR", client=m)
    m.connection_lost(None)
    assert srv.slow_ns == before and srv.monitors == []
    assert h.run("SET", "k", "v") == b"+OK\r\n"
