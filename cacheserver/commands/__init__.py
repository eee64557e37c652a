"""Command families; each module ends with a ``COMMANDS`` tuple of rows."""

from __future__ import annotations

from cacheserver.commands import (
    acl,
    bitmaps,
    cluster,
    connection,
    hashes,
    hyperloglog,
    keys,
    latency,
    lists,
    memory,
    pubsub,
    server,
    sets,
    sort,
    strings,
    transactions,
    zsets,
)
from cacheserver.commands.table import Table
from cacheserver.latency import REDACTIONS
from cacheserver.loaders import commands as loader

FAMILIES = (
    connection,
    strings,
    bitmaps,
    hyperloglog,
    keys,
    server,
    latency,
    memory,
    sets,
    zsets,
    hashes,
    lists,
    sort,
    transactions,
    pubsub,
    loader,
    acl,
    cluster,
)


def build_table() -> Table:
    """A fresh table (fresh counters) from every family's rows."""
    rows = []
    for family in FAMILIES:
        rows.extend(family.make_commands())
    table = Table(rows)
    for row in table.all_rows():  # secrets the slow log hides, by command name
        if row.redact is None:
            row.redact = REDACTIONS.get(row.fullname)
    return table
