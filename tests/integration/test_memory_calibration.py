"""used_memory against the process's real growth: in a fresh server, load many
keys of one shape and compare the growth of used_memory with the growth of
the resident set.  The estimate must stay within 15%."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from helpers import CacheserverProcess, RawClient, encode, info_field

Cmd = tuple[bytes | str, ...]


def _growth(cmds: Sequence[Cmd]) -> tuple[int, int]:
    """(used_memory growth, RSS growth) while a fresh server takes ``cmds``."""
    proc = CacheserverProcess()
    c = RawClient("127.0.0.1", proc.port)
    try:
        assert c.call("SET", "warm", "up") == b"+OK\r\n"
        rss0, used0 = proc.rss(), int(info_field(c, "memory", "used_memory"))
        for i in range(0, len(cmds), 2000):
            chunk = cmds[i : i + 2000]
            c.send(b"".join(encode(*cmd) for cmd in chunk))
            for _ in chunk:
                assert c.reply()[:1] != b"-"
        used1 = int(info_field(c, "memory", "used_memory"))
        return used1 - used0, proc.rss() - rss0
    finally:
        c.close()
        proc.stop()


SHAPES: dict[str, list[Cmd]] = {
    # 100,000 strings: 16-byte keys, 64-byte values (the benchmark's shape)
    "strings": [("SET", b"key:%012d" % i, b"v" * 64) for i in range(100_000)],
    # 10,000 hashes of 10 fields
    "hashes": [
        ("HSET", b"h:%08d" % i, *[x for j in range(10) for x in (b"field%d" % j, b"value%05d" % j)])
        for i in range(10_000)
    ],
    # one sorted set of 100,000 members
    "zset": [
        ("ZADD", "z", *[x for j in range(i, i + 1000) for x in (str(j), b"member:%010d" % j)])
        for i in range(0, 100_000, 1000)
    ],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_used_memory_follows_rss(shape: str) -> None:
    used, rss = _growth(SHAPES[shape])
    assert rss > 5_000_000
    assert abs(used / rss - 1) <= 0.15, (shape, used, rss)
