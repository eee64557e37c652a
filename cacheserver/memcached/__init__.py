"""The memcached protocol (classic text and meta) over the Redis keyspace.

``service.Memcached`` is the Server's memcached side; ``connection`` the hot
path; ``text`` and ``meta`` the commands; ``ops`` the item operations over
the keyspace; ``items`` memcached's per-item state beside the values.
"""

from __future__ import annotations

from cacheserver.memcached.service import Memcached

__all__ = ["Memcached"]
