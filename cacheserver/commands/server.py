"""Server commands: INFO CONFIG COMMAND TIME SHUTDOWN DEBUG ..."""

from __future__ import annotations

from cacheserver.commands.table import Command


def make_commands() -> list[Command]:
    return []
