"""Differential fixtures: the same raw requests to cacheserver and the real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import RawClient, RedisServerProcess, ServerThread, encode

BIN = b"a\r\nb\x00c\r\n$3\r\n"  # CR LF, NUL and RESP-looking bytes in a value
LLMAX = "9223372036854775807"
LLMIN = "-9223372036854775808"


class Pair:
    """Two raw connections, ours and the real redis-server's."""

    def __init__(self, ours_port: int, real_port: int, ours_host: str = "127.0.0.1") -> None:
        self.ours = RawClient(ours_host, ours_port)
        self.real = RawClient("127.0.0.1", real_port)

    def both(self, *args: bytes | str | int) -> tuple[bytes, bytes]:
        """Send one command to both; return (ours, real) raw replies."""
        return self.ours.call(*args), self.real.call(*args)

    def raw(self, data: bytes, replies: int = 1) -> tuple[bytes, bytes]:
        """Send raw bytes to both; read ``replies`` replies from each."""
        self.ours.send(data)
        self.real.send(data)
        return (
            b"".join(self.ours.reply() for _ in range(replies)),
            b"".join(self.real.reply() for _ in range(replies)),
        )

    def check(self, *args: bytes | str | int) -> bytes:
        """Send one command to both and require identical reply bytes."""
        ours, real = self.both(*args)
        assert ours == real, f"{args!r}: ours {ours!r} != redis {real!r}"
        return ours

    def batch(self, *commands: tuple[bytes | str | int, ...]) -> None:
        """Send many commands in one write to each server; every reply must match."""
        data = b"".join(encode(*cmd) for cmd in commands)
        ours, real = self.raw(data, replies=len(commands))
        if ours != real:  # find the first command that differs, for the message
            for cmd in commands:
                self.check(*cmd)
        assert ours == real

    def resp3(self) -> None:
        """Switch both connections to RESP3 (the HELLO replies differ in ``id``)."""
        ours, real = self.both("HELLO", "3")
        assert ours[:3] == real[:3] == b"%7\r"

    def check_all(self, *commands: tuple[bytes | str | int, ...]) -> None:
        for cmd in commands:
            self.check(*cmd)

    def reset(self) -> None:
        for c in (self.ours, self.real):
            c.send(encode("HELLO", "2") + encode("SELECT", "0") + encode("FLUSHALL"))
            c.reply(), c.reply(), c.reply()

    def close(self) -> None:
        self.ours.close()
        self.real.close()


@pytest.fixture(scope="module")
def pair_conns(server: ServerThread, real_redis: RedisServerProcess) -> Iterator[Pair]:
    p = Pair(server.port, real_redis.port, server.host)
    yield p
    p.close()


@pytest.fixture
def d(pair_conns: Pair) -> Pair:
    """A Pair with both servers flushed, database 0, RESP2."""
    pair_conns.reset()
    return pair_conns
