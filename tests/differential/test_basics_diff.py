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


# Redis 7.0 subcommands cacheserver does not serve (their lines leave CLIENT
# HELP), and SETINFO, which came with Redis 7.2
_CLIENT_HELP_NOT_HERE = (b"REPLY (ON|OFF|SKIP)",)


def test_client_help_is_redis_text_for_what_is_served(d: Pair) -> None:
    """CLIENT HELP: Redis's lines, in Redis's order, but for the subcommands
    that are not served here; SETINFO's lines added."""
    ours, real = d.parsed("CLIENT", "HELP")
    kept: list[bytes] = []
    skip = False
    for line in real:
        if not line.startswith(b" "):
            skip = line.startswith(_CLIENT_HELP_NOT_HERE)
        if not skip:
            kept.append(line)
    setinfo = ours.index(b"SETINFO <option> <value>")
    assert ours[:setinfo] + ours[setinfo + 4 :] == kept
