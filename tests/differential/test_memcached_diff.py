"""Differential tests of the classic memcached text protocol: the same bytes to
cacheserver and the real memcached 1.6.18, the same reply bytes back."""

from __future__ import annotations

import re

import pytest

from conftest import McPair
from helpers import McRawClient, MemcachedProcess

K250 = b"k" * 250
K251 = b"k" * 251


def test_storage_and_retrieval(mc: McPair) -> None:
    mc.check_each(
        b"set a 0 0 1\r\nx\r\n",
        b"get a\r\n",
        b"get missing\r\n",
        b"get a missing a\r\n",
        b"set b 42 0 5\r\nhello\r\n",
        b"get a b\r\n",
        b"add a 0 0 1\r\ny\r\n",
        b"add c 7 0 1\r\ny\r\n",
        b"replace nope 0 0 1\r\ny\r\n",
        b"replace c 8 0 2\r\nzz\r\n",
        b"get c\r\n",
        b"append c 99 99 3\r\n+++\r\n",
        b"prepend c 99 99 3\r\n---\r\n",
        b"get c\r\n",
        b"append nope 0 0 1\r\nx\r\n",
        b"prepend nope 0 0 1\r\nx\r\n",
        b"set empty 0 0 0\r\n\r\n",
        b"get empty\r\n",
        b"set bin 0 0 8\r\na\r\nb\x00c\r\n\r\n",
        b"get bin\r\n",
        b"bget a\r\n",
    )


def test_big_values(mc: McPair) -> None:
    # a value of 64 KiB or more is written in parts; one ending like a reply's
    # END must not confuse the drop of unsent replies after a bad key
    big = (bytes(range(256)) * 1024)[:200_000] + b"END\r\n"
    head = b"set big 5 0 %d\r\n" % len(big)
    mc.check_each(
        head + big + b"\r\n",
        b"get big\r\n",
        b"get big\r\nget big big\r\nget nope\r\n",
        b"get big\r\nget " + b"k" * 251 + b"\r\nget big\r\n",
        b"append big 0 0 3\r\nabc\r\n",
        b"get big\r\n",
        b"delete big\r\n",
    )


def test_flags_and_numbers(mc: McPair) -> None:
    mc.check_each(
        b"set f 4294967295 0 1\r\nx\r\n",
        b"get f\r\n",
        b"set f 4294967296 0 1\r\nx\r\n",  # cut to 32 bits
        b"get f\r\n",
        b"set f 18446744073709551615 0 1\r\nx\r\n",
        b"get f\r\n",
        b"set f 18446744073709551616 0 1\r\nx\r\n",
        b"set f -1 0 1\r\nx\r\n",
        b"set f +5 0 1\r\nx\r\n",
        b"get f\r\n",
        b"set f 007 +0 +1\r\nx\r\n",
        b"get f\r\n",
        b"set f 0 0 1x\r\nx\r\n",
        b"set f 0 0 4294967297\r\nx\r\n",  # a length cut to 32 bits: 1
        b"get f\r\n",
        b"set f 0 2147483648 1\r\nx\r\n",  # an exptime cut to 32 bits: negative
        b"get f\r\n",
        b"set f 0 -4294967296 1\r\nx\r\n",  # ... or zero
        b"get f\r\n",
        b"set f abc 0 1\r\nx\r\n",
        b"set f 0 abc 1\r\nx\r\n",
        b"set f 0 0 abc\r\nx\r\n",
        b"set f 0 0 -1\r\nx\r\n",
        b"set f 0 0 2147483646\r\n",
        b"set f 0 0 2147483647\r\nx\r\n",
        b"set f 0 0 2147483648\r\nx\r\n",
    )


def test_token_counts_and_noreply(mc: McPair) -> None:
    mc.check_each(
        b"set\r\n",
        b"set k\r\n",
        b"set k 0 0\r\n",
        b"set k 0 0 1 noreply extra\r\nx\r\n",
        b"set k 0 0 1 x\r\nx\r\n",  # a sixth token other than noreply is ignored
        b"set k 0 0 1 noreply\r\nx\r\n",
        b"get k\r\n",
        b"add k 0 0 1 noreply\r\ny\r\n",
        b"replace k 0 0 1 noreply\r\nz\r\n",
        b"append k 0 0 1 noreply\r\n!\r\n",
        b"prepend k 0 0 1 noreply\r\n?\r\n",
        b"get k\r\n",
        b"set k 0 0 noreply\r\nx\r\n",  # the length is 'noreply': error, hidden
        b"set k abc 0 1 noreply\r\nx\r\n",
        b"set k 0 0 1 noreply\r\nxyz\r\n",  # bad data chunk, hidden
        b"cas k 0 0 1\r\nx\r\n",
        b"cas k 0 0 1 abc\r\nx\r\n",
        b"cas k 0 0 1 0\r\nx\r\n",
        b"cas nokey 0 0 1 5\r\nx\r\n",
        b"cas k 0 0 1 5 noreply\r\nx\r\n",
        b"cas k 0 0 1 1 2 3\r\nx\r\n",
    )


def test_cas_flow(mc: McPair) -> None:
    for c in (mc.ours, mc.real):
        assert c.call(b"set k 3 0 2\r\nv1\r\n") == b"STORED\r\n"
        reply = c.call(b"gets k\r\n")
        m = re.match(rb"VALUE k 3 2 (\d+)\r\nv1\r\nEND\r\n$", reply)
        assert m, reply
        unique = m.group(1)
        assert c.call(b"cas k 5 0 2 %s\r\nv2\r\n" % unique) == b"STORED\r\n"
        assert c.call(b"cas k 5 0 2 %s\r\nv3\r\n" % unique) == b"EXISTS\r\n"
        assert c.call(b"get k\r\n") == b"VALUE k 5 2\r\nv2\r\nEND\r\n"
        # the CAS changes on every modification, unchanged by reads and touch
        first = c.call(b"gets k\r\n")
        assert c.call(b"gets k\r\n") == first
        assert c.call(b"touch k 100\r\n") == b"TOUCHED\r\n"
        assert c.call(b"gets k\r\n") == first
        assert c.call(b"append k 0 0 1\r\n!\r\n") == b"STORED\r\n"
        assert c.call(b"gets k\r\n") != first
        after_append = c.call(b"gets k\r\n")
        assert c.call(b"incr k 1\r\n").startswith(b"CLIENT_ERROR")
        assert c.call(b"gets k\r\n") == after_append


def test_gets_shape(mc: McPair) -> None:
    mc.check(b"set a 1 0 1\r\nx\r\nset b 2 0 2\r\nyy\r\ngets a b nope\r\n", cas=True)


def test_incr_decr(mc: McPair) -> None:
    mc.check_each(
        b"set n 0 0 2\r\n10\r\n",
        b"decr n 1\r\n",
        b"get n\r\n",  # shorter in place: space padded
        b"incr n 100\r\n",
        b"get n\r\n",
        b"set n 0 0 20\r\n18446744073709551615\r\n",
        b"incr n 1\r\n",  # wraps
        b"get n\r\n",
        b"set n 0 0 1\r\n5\r\n",
        b"decr n 10\r\n",  # stops at 0
        b"set n 0 0 1\r\n1\r\n",
        b"incr n 18446744073709551615\r\n",
        b"incr n 18446744073709551616\r\n",
        b"incr n -1\r\n",
        b"incr n abc\r\n",
        b"incr n +3\r\n",
        b"incr n 0x10\r\n",
        b"incr n 3 \r\n",
        b"incr n 1 2\r\n",
        b"incr missing 1\r\n",
        b"decr missing 1\r\n",
        b"incr\r\n",
        b"incr n\r\n",
        b"incr n 1 2 3\r\n",
        b"incr n 1 noreply\r\n",
        b"incr missing 1 noreply\r\n",
        b"incr n abc noreply\r\n",
        b"get n\r\n",
        b"set s 0 0 3\r\nabc\r\n",
        b"incr s 1\r\n",
        b"set s 0 0 3\r\n 12\r\n",
        b"incr s 1\r\n",
        b"set s 0 0 3\r\n12 \r\n",
        b"incr s 1\r\n",
        b"get s\r\n",
        b"set s 0 0 3\r\n012\r\n",
        b"incr s 1\r\n",
        b"get s\r\n",
        b"set s 0 0 21\r\n184467440737095516150\r\n",
        b"incr s 1\r\n",
        b"set s 0 0 2\r\n-1\r\n",
        b"incr s 1\r\n",
        b"set s 0 0 2\r\n-0\r\n",
        b"incr s 1\r\n",
        b"set s 0 0 0\r\n\r\n",
        b"incr s 1\r\n",
        b"set s 0 0 4\r\n7\x00ab\r\n",  # C stops at the NUL
        b"incr s 1\r\n",
        b"set s 0 0 5\r\n7\r\nab\r\n",
        b"incr s 1\r\n",
        b"set s 9 0 2\r\n99\r\n",
        b"incr s 1\r\n",  # longer: a new item, flags kept
        b"get s\r\n",
    )


def test_delete(mc: McPair) -> None:
    mc.check_each(
        b"set k 0 0 1\r\nx\r\n",
        b"delete k\r\n",
        b"delete k\r\n",
        b"set k 0 0 1\r\nx\r\n",
        b"delete k noreply\r\n",
        b"delete k noreply\r\n",
        b"delete k 0\r\n",
        b"delete k 0 noreply\r\n",
        b"delete k 1\r\n",
        b"delete k x y\r\n",
        b"delete k x noreply\r\n",
        b"delete k 0 noreply x\r\n",
        b"delete\r\n",
        b"delete " + K251 + b"\r\n",
    )


def test_touch_and_gat(mc: McPair) -> None:
    mc.check_each(
        b"set k 0 0 1\r\nx\r\n",
        # (a TTL is read in the batch that set it: both clocks tick each second)
        b"touch k 100\r\nmg k t\r\n",
        b"touch k 0\r\nmg k t\r\n",
        b"touch nokey 1\r\n",
        b"touch k\r\n",
        b"touch k 1 2 3\r\n",
        b"touch k abc\r\n",
        b"touch k abc noreply\r\n",
        b"touch k 10 noreply\r\nmg k t\r\n",
        b"gat\r\n",
        b"gat 10\r\n",
        b"gat abc k\r\n",
        b"gat 100 k\r\nmg k t\r\n",
        b"gat 0 k nope k\r\nmg k t\r\n",
        b"gat -1 k\r\n",  # returned, then expired
        b"get k\r\n",
    )
    mc.check(b"set k 0 0 1\r\nx\r\ngats 100 k k\r\n", cas=True)


def test_expiry_rules(mc: McPair) -> None:
    mc.check_each(
        b"set neg 0 -1 1\r\nx\r\n",
        b"get neg\r\n",
        b"add neg 0 -1 1\r\nx\r\n",
        b"get neg\r\n",
        b"set rel 0 2592000 1\r\nx\r\nmg rel t\r\n",  # 30 days: still relative
        b"set past 0 2592001 1\r\nx\r\n",  # beyond: a unix time, long past
        b"get past\r\n",
        b"set abs 0 4102444800 1\r\nx\r\n",  # a unix time in 2100
        b"get abs\r\n",
        b"set k 0 0 1\r\nx\r\n",
        b"set k 0 -1 1\r\ny\r\n",  # a set already expired removes the old value
        b"get k\r\n",
    )


def test_flush_all(mc: McPair) -> None:
    mc.check_each(
        b"set k 0 0 1\r\nx\r\n",
        b"flush_all\r\n",
        b"get k\r\n",
        b"set k 0 0 1\r\nx\r\n",
        b"get k\r\n",
        b"flush_all noreply\r\n",
        b"get k\r\n",
        b"flush_all abc\r\n",
        b"flush_all abc noreply\r\n",
        b"flush_all 0\r\n",
        b"flush_all -1\r\n",
        b"flush_all 1 2 3\r\n",
        b"set k 0 0 1\r\nx\r\n",
        b"flush_all 100\r\n",  # delayed: the item is still there
        b"get k\r\n",
        b"flush_all 0\r\n",  # and a later flush_all replaces the delayed one
        b"get k\r\n",
    )


def test_misc_commands(mc: McPair) -> None:
    mc.check_each(
        b"version\r\n",
        b"version x\r\n",
        b"verbosity 1\r\n",
        b"verbosity\r\n",
        b"verbosity x\r\n",
        b"verbosity 1 noreply\r\n",
        b"verbosity noreply\r\n",
        b"verbosity 1 2 3\r\n",
        b"shutdown\r\n",
        b"nope\r\n",
        b"GET k\r\n",  # command names are case-sensitive
        b"Set k 0 0 1\r\nx\r\n",
        b"\r\n",
        b"  \r\n",
        b"x\r\n",
        b"gx k\r\n",
        b"get\r\n",
        b"get \r\n",
        b"gets\r\n",
        b"stats nope\r\n",
        b"stats detail\r\n",
        b"stats detail on\r\n",
        b"stats detail off\r\n",
        b"stats sizes\r\n",
        b"stats reset\r\n",
        b"config get cluster x\r\n",
    )


def test_tokenizer(mc: McPair) -> None:
    mc.check_each(
        b"set k 0 0 1\r\nx\r\n",
        b"get  k   k  \r\n",
        b" set k 0 0 1\r\ny\r\n",
        b"get k\nset k2 0 0 1\nz\r\nget k2\n",  # a bare LF ends a line
        b"set k 0 0 1\r\r\nx\r\n",
        b"get k\r\r\n",
        b"set k 0 0 1 \r\nx\r\n",
        b"get a\tb\r\n",  # a tab is part of the key
        b"set a\x01b 0 0 1\r\nx\r\n",
        b"get a\x01b\r\n",
        b"set a\x00b 0 0 1\r\nx\r\n",  # the line ends at a NUL
        b"get k\x00 k2\r\n",
        b"get " + b" ".join(b"k%d" % i for i in range(40)) + b" k\r\n",
        b"set \xff\xfe 0 0 1\r\nx\r\n",
        b"get \xff\xfe\r\n",
    )


def test_value_sizes(mc: McPair) -> None:
    big = b"v" * 1048516  # the largest value of a 1-byte key with flags 0
    mc.check_each(
        b"set k 0 0 1048516\r\n" + big + b"\r\n",
        b"set k 0 0 1048517\r\n" + big + b"v\r\n",
        b"set k 1 0 1048512\r\n" + big[:1048512] + b"\r\n",
        b"set k 1 0 1048513\r\n" + big[:1048513] + b"\r\n",
        b"set k 0 0 1\r\nx\r\n",
        # too large: swallowed, and a set removes the old value (add does not)
        b"add k 0 0 2000000\r\n" + b"y" * 2000000 + b"\r\n",
        b"get k\r\n",
        b"set k 0 0 2000000\r\n" + b"y" * 2000000 + b"\r\n",
        b"get k\r\n",
        b"set k 0 0 2000000 noreply\r\n" + b"y" * 2000000 + b"\r\n",
        b"set k 0 0 1048000\r\n" + big[:1048000] + b"\r\n",
        b"append k 0 0 1000\r\n" + b"y" * 1000 + b"\r\n",  # would be too large
        b"get k " + K250 + b"\r\n",
    )


# -- bad input -------------------------------------------------------------------


def test_too_long_keys(mc: McPair) -> None:
    mc.check_each(
        b"set " + K250 + b" 0 0 1\r\nx\r\n",
        b"get " + K250 + b"\r\n",
        b"set " + K251 + b" 0 0 1\r\nx\r\n",
        b"get " + K251 + b"\r\n",
        b"gets " + K251 + b"\r\n",
        b"get a " + K251 + b" b\r\n",
        b"gat 1 " + K251 + b"\r\n",
        b"delete " + K251 + b"\r\n",
        b"incr " + K251 + b" 1\r\n",
        b"touch " + K251 + b" 1\r\n",
        b"cas " + K251 + b" 0 0 1 1\r\nx\r\n",
        b"set " + K251 + b" 0 0 1 noreply\r\nx\r\n",
    )
    # a too-long key in a get drops the replies before it in the batch, as
    # memcached releases every queued response
    mc.check(b"set a 0 0 1\r\nx\r\nget a\r\nget " + K251 + b"\r\n")
    mc.check(b"set " + K251 + b" 0 0 1\r\nx\r\nget " + K251 + b"\r\nget a " + K251 + b"\r\n")


def test_data_block_errors(mc: McPair) -> None:
    mc.check_each(
        # (each followed by enough bytes that the block ends before the
        # closing mn: the rest is read as commands)
        b"set k 0 0 1\r\nxyz\r\n",  # longer than announced
        b"set k 0 0 5\r\nab\r\n\r\nX\r\n",  # shorter
        b"set k 0 0 3\r\nab\r\nget k\r\n",
        b"set k 0 0 1\r\nx\nZ\r\n",
        b"ms k 1 q\r\nxyz\r\n",  # meta set reports it even with q
        b"get k\r\n",  # none of them stored
        b"set k 0 0 1\r\nx\r\n",
        b"set k 0 0 1\r\nyz\r\n",
        b"get k\r\n",  # the old value stays
    )


def test_data_block_split_reads(mc: McPair) -> None:
    for c in (mc.ours, mc.real):
        c.send(b"set k 0 0 10\r\n01234")
        c.send(b"56789\r")
        c.send(b"\nget k\r\n")
        assert c.read_until(b"END\r\n") == b"STORED\r\nVALUE k 0 10\r\n0123456789\r\nEND\r\n"


def test_two_gigabyte_length(mc: McPair) -> None:
    """The largest length memcached accepts is answered 'too large' and the
    data swallowed; cacheserver says so at once, memcached once it has swallowed."""
    line = b"set k 0 0 2147483645\r\n"
    ours = mc.fresh()
    try:
        ours.ours.send(line)
        assert ours.ours.read_until(b"\r\n") == b"SERVER_ERROR object too large for cache\r\n"
        ours.real.send(line)
        for c in (ours.ours, ours.real):
            c.send(b"x" * 65536 + b"get k\r\n")  # swallowed, not run
            assert c.read_for(0.3) == b""
            assert not c.closed(0.1)
    finally:
        ours.close()


def test_client_gone_mid_value(mc: McPair) -> None:
    other = mc.fresh()
    for c in (other.ours, other.real):
        c.send(b"set k 0 0 100\r\npartial")
    other.close()
    mc.check(b"get k\r\n")
    mc.check(b"version\r\n")


def test_long_line_without_newline(mc: McPair) -> None:
    for data in (b"x" * 3000, b"set k 0 0 1 " + b"a" * 3000):
        other = mc.fresh()
        try:
            for c in (other.ours, other.real):
                c.send(data)
                assert c.closed(), data[:20]
        finally:
            other.close()
    # a long multi-get line goes on
    other = mc.fresh()
    try:
        keys = b" ".join(b"key%d" % i for i in range(1000))
        for c in (other.ours, other.real):
            assert c.call(b"set key999 0 0 1\r\nx\r\n") == b"STORED\r\n"
            c.send(b"get " + keys[:2500])
            assert not c.closed(0.2)
            c.send(keys[2500:] + b"\r\n")
            assert c.read_until(b"END\r\n") == b"VALUE key999 0 1\r\nx\r\nEND\r\n"
    finally:
        other.close()


def test_quit(mc: McPair) -> None:
    other = mc.fresh()
    try:
        for c in (other.ours, other.real):
            c.send(b"set q 0 0 1\r\nx\r\nquit\r\nget q\r\n")
            assert c.closed()
            assert c.buf == b"STORED\r\n"
    finally:
        other.close()


@pytest.fixture(scope="module")
def real_ascii_memcached() -> MemcachedProcess:
    proc = MemcachedProcess("-B", "ascii")
    yield proc  # type: ignore[misc]
    proc.stop()


def test_binary_magic_on_the_text_port(mc: McPair, real_ascii_memcached: MemcachedProcess) -> None:
    """cacheserver speaks text only, as memcached -B ascii: a binary request
    is a line like any other."""
    ours = McRawClient(mc.host, mc.ours_port)
    real = McRawClient("127.0.0.1", real_ascii_memcached.port)
    try:
        for data in (
            b"\x80\x00\x00\x00\r\nversion\r\n",
            b"\x80\x01\x00\x00" + b"\x00" * 20 + b"version\r\n",
            b"\x80\x0a\x00\x00" + b"\x00" * 20 + b"\r\n",
        ):
            assert ours.call(data) == real.call(data), data
    finally:
        ours.close()
        real.close()


# -- stats -----------------------------------------------------------------------


def _stat_names(reply: bytes) -> list[bytes]:
    assert reply.endswith(b"END\r\n"), reply[-100:]
    return [line.split(b" ")[1] for line in reply.split(b"\r\n") if line.startswith(b"STAT ")]


def test_stats_field_names(mc: McPair) -> None:
    mc.check(b"set a 0 0 1\r\nx\r\nset b 0 0 300\r\n" + b"y" * 300 + b"\r\n")
    ours, real = mc.both(b"stats\r\n")
    assert _stat_names(ours) == _stat_names(real)
    ours, real = mc.both(b"stats settings\r\n")
    mine, theirs = _stat_names(ours), _stat_names(real)
    extra = {b"database"}
    assert [n for n in mine if n not in extra] == [n for n in theirs if n in mine]
    for sub in (b"items", b"slabs"):
        # per slab class, and then overall; memcached also lists classes that
        # held items once, so the fields are compared, not the classes
        ours, real = mc.both(b"stats " + sub + b"\r\n")
        assert _class_fields(ours) == _class_fields(real), sub


def _class_fields(reply: bytes) -> list[bytes]:
    names = []
    for name in _stat_names(reply):
        field = re.sub(rb"^(items:)?\d+:", rb"\1N:", name)
        if field not in names:
            names.append(field)
    return names


def test_stats_counters(mc: McPair) -> None:
    mc.both(b"stats reset\r\n")
    mc.check(
        b"set a 0 0 1\r\nx\r\nget a b\r\ndelete a\r\ndelete a\r\nincr a 1\r\n"
        b"set n 0 0 1\r\n1\r\nincr n 1\r\ndecr n 1\r\ntouch n 10\r\ntouch x 1\r\n"
    )
    names = (
        b"cmd_get", b"cmd_set", b"cmd_touch", b"get_hits", b"get_misses",
        b"delete_hits", b"delete_misses", b"incr_hits", b"incr_misses",
        b"decr_hits", b"touch_hits", b"touch_misses",
    )  # fmt: skip

    def values(reply: bytes) -> dict[bytes, bytes]:
        out = {}
        for line in reply.split(b"\r\n"):
            if line.startswith(b"STAT "):
                _, k, v = line.split(b" ", 2)
                out[k] = v
        return {k: out[k] for k in names}

    ours, real = mc.both(b"stats\r\n")
    assert values(ours) == values(real)
