"""Differential basics: replies byte-for-byte equal to the real redis-server."""

from __future__ import annotations

from conftest import Pair


def test_get_set_and_errors(d: Pair) -> None:
    d.check_all(
        ("SET", "k", "v"),
        ("GET", "k"),
        ("GET", "missing"),
        ("SET", "k", "v", "NX"),
        ("SET", "k", "v2", "XX", "GET"),
        ("SET", "k", "v", "EX", "-1"),
        ("SET", "k", "v", "EX", "abc"),
        ("SET", "k", "v", "NX", "XX"),
        ("SET", "k"),
        ("NOPE", "a", "b"),
        ("PING",),
        ("PING", "x"),
        ("ECHO", b"bin\x00\r\nary"),
    )


def test_client_help_is_redis_text(d: Pair) -> None:
    """CLIENT HELP: Redis 7.0.15's lines in Redis's order, with the four of
    SETINFO (Redis 7.2) after SETNAME's."""
    ours, real = d.parsed("CLIENT", "HELP")
    setinfo = ours.index(b"SETINFO <option> <value>")
    assert ours[setinfo - 2] == b"SETNAME <name>"
    assert ours[:setinfo] + ours[setinfo + 4 :] == real
