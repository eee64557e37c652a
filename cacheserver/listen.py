"""TCP listeners on the addresses of a ``bind`` setting (Redis's syntax), for
the Redis, memcached and TLS ports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def bind_host(spec: str) -> str:
    """The address a ``bind`` entry names: redis's ``-`` prefix (optional
    address) dropped, ``*`` and ``::*`` as the IPv4 and IPv6 wildcards."""
    host = spec.lstrip("-")
    return "0.0.0.0" if host == "*" else ("::" if host == "::*" else host)


async def listen_tcp(
    binds: list[str], port: int, factory: Callable[[], asyncio.Protocol], backlog: int
) -> tuple[list[asyncio.AbstractServer], int]:
    """A listener on ``port`` of every address of ``binds``, and the port: an
    ephemeral one (``port`` 0) is the first listener's, shared by the others."""
    loop = asyncio.get_running_loop()
    listeners: list[asyncio.AbstractServer] = []
    for spec in binds:
        listener = await loop.create_server(
            factory, bind_host(spec), port, backlog=backlog, reuse_address=True
        )
        listeners.append(listener)
        if port == 0:
            port = listener.sockets[0].getsockname()[1]
    return listeners, port
