"""cacheserver: a Redis- and memcached-compatible cache server."""

__version__ = "0.1.0"

# The Redis release whose behaviour cacheserver follows; clients and tools
# gate features on it (INFO redis_version, HELLO version).
REDIS_VERSION = "7.0.15"
