"""Command families; each module ends with a ``COMMANDS`` tuple of rows."""

from __future__ import annotations

from cacheserver.commands import (
    acl,
    connection,
    hashes,
    keys,
    lists,
    memory,
    pubsub,
    server,
    sets,
    strings,
    transactions,
    zsets,
)
from cacheserver.commands.table import Table
from cacheserver.loaders import commands as loader

FAMILIES = (
    connection,
    strings,
    keys,
    server,
    memory,
    sets,
    zsets,
    hashes,
    lists,
    transactions,
    pubsub,
    loader,
    acl,
)


def build_table() -> Table:
    """A fresh table (fresh counters) from every family's rows."""
    rows = []
    for family in FAMILIES:
        rows.extend(family.make_commands())
    return Table(rows)
