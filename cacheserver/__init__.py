"""cacheserver: a Redis- and memcached-compatible cache server."""

__version__ = "0.1.0"

# The Redis release that INFO redis_version and HELLO report; clients and
# tools gate features on it.  Replies follow Redis 7.0 (the reference of the
# differential tests) and the 7.2/7.4 additions clients look for are here:
# hash field TTL, CLIENT SETINFO, ZRANK WITHSCORE, and the tracking that
# redis-py's client-side cache accepts only from 7.4 on.
REDIS_VERSION = "7.4.0"
