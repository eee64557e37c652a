"""Keyspace notifications, as redis ``notify.c``.

``notify-keyspace-events`` is a string of letters naming event classes (the
``NOTIFY_*`` bits of ``store/keyspace.py``) and where to publish them:
``K`` on ``__keyspace@<db>__:<key>`` with the event name as the message,
``E`` on ``__keyevent@<db>__:<event>`` with the key.  ``Database.changed`` and
``Database.notify`` call ``Notifier.event`` for the enabled classes only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver.store.keyspace import (
    NOTIFY_EVICTED,
    NOTIFY_EXPIRED,
    NOTIFY_GENERIC,
    NOTIFY_HASH,
    NOTIFY_KEY_MISS,
    NOTIFY_KEYEVENT,
    NOTIFY_KEYSPACE,
    NOTIFY_LIST,
    NOTIFY_MODULE,
    NOTIFY_NEW,
    NOTIFY_SET,
    NOTIFY_STREAM,
    NOTIFY_STRING,
    NOTIFY_ZSET,
)

if TYPE_CHECKING:
    from cacheserver.pubsub import PubSub
    from cacheserver.store.keyspace import Database

__all__ = ["NOTIFY_ALL", "Notifier", "events_from_text", "events_to_text"]

# 'A': every class but key misses and new keys (redis NOTIFY_ALL)
NOTIFY_ALL = (
    NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE
)

_LETTERS = {
    "A": NOTIFY_ALL,
    "g": NOTIFY_GENERIC,
    "$": NOTIFY_STRING,
    "l": NOTIFY_LIST,
    "s": NOTIFY_SET,
    "h": NOTIFY_HASH,
    "z": NOTIFY_ZSET,
    "x": NOTIFY_EXPIRED,
    "e": NOTIFY_EVICTED,
    "K": NOTIFY_KEYSPACE,
    "E": NOTIFY_KEYEVENT,
    "t": NOTIFY_STREAM,
    "m": NOTIFY_KEY_MISS,
    "d": NOTIFY_MODULE,
    "n": NOTIFY_NEW,
}

# rendered in this order when not every class of 'A' is on ('n' among them,
# so "AKEn" reads back as "AKE", as in Redis 7.0)
_CLASS_ORDER = (
    ("g", NOTIFY_GENERIC),
    ("$", NOTIFY_STRING),
    ("l", NOTIFY_LIST),
    ("s", NOTIFY_SET),
    ("h", NOTIFY_HASH),
    ("z", NOTIFY_ZSET),
    ("x", NOTIFY_EXPIRED),
    ("e", NOTIFY_EVICTED),
    ("t", NOTIFY_STREAM),
    ("d", NOTIFY_MODULE),
    ("n", NOTIFY_NEW),
)

BAD_EVENTS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."


def events_from_text(text: str) -> int | None:
    """The NOTIFY_* bits of a ``notify-keyspace-events`` string, None for a
    character that names no class (redis ``keyspaceEventsStringToFlags``)."""
    flags = 0
    for ch in text.split("\0", 1)[0]:  # a C string: it ends at a NUL
        bit = _LETTERS.get(ch)
        if bit is None:
            return None
        flags |= bit
    return flags


def events_to_text(flags: int) -> str:
    """The string CONFIG GET shows (redis ``keyspaceEventsFlagsToString``)."""
    out = []
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        out.append("A")
    else:
        out.extend(letter for letter, bit in _CLASS_ORDER if flags & bit)
    if flags & NOTIFY_KEYSPACE:
        out.append("K")
    if flags & NOTIFY_KEYEVENT:
        out.append("E")
    if flags & NOTIFY_KEY_MISS:
        out.append("m")
    return "".join(out)


class Notifier:
    """Publishes the keyspace events the keyspace reports (``Keyspace.set_notify``)."""

    __slots__ = ("flags", "pubsub")

    def __init__(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub
        self.flags = 0

    def event(self, db: Database, cls: int, event: bytes, key: bytes) -> None:
        """``event`` happened to ``key`` (redis ``notifyKeyspaceEvent``)."""
        flags = self.flags
        publish = self.pubsub.publish
        prefix = b"@%d__:" % db.id
        if flags & NOTIFY_KEYSPACE:
            publish(b"__keyspace" + prefix + key, event)
        if flags & NOTIFY_KEYEVENT:
            publish(b"__keyevent" + prefix + event, key)
