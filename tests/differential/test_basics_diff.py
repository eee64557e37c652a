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
