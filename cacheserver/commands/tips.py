"""Command tips as Redis 7.0 declares them (``src/commands/*.json``), shown
by COMMAND INFO: how a cluster client should route a command and merge its
replies (``request_policy``, ``response_policy``) and whether its output
varies between equal calls (``nondeterministic_output``, ``..._order``)."""

from __future__ import annotations

TIPS: dict[bytes, tuple[bytes, ...]] = {}


def _tips(names: str, *tips: str) -> None:
    for name in names.split():
        TIPS[name.encode()] = tuple(t.encode() for t in tips)


_tips(
    "client|info client|list hrandfield hscan object|encoding object|freq object|idletime "
    "object|refcount pttl spop srandmember sscan time ttl zrandmember zscan",
    "nondeterministic_output",
)
_tips(
    "command command|docs command|info command|list hgetall hkeys hvals sdiff sinter smembers "
    "sunion",
    "nondeterministic_output_order",
)
_tips(
    "latency|doctor latency|graph latency|histogram latency|history latency|latest",
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
)
_tips("del exists touch unlink", "request_policy:multi_shard", "response_policy:agg_sum")
_tips(
    "flushall flushdb memory|purge ping",
    "request_policy:all_shards",
    "response_policy:all_succeeded",
)
_tips(
    "info memory|doctor memory|malloc-stats memory|stats",
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
)
_tips(
    "config|set latency|reset slowlog|reset",
    "request_policy:all_nodes",
    "response_policy:all_succeeded",
)
_tips("dbsize", "request_policy:all_shards", "response_policy:agg_sum")
_tips("keys", "request_policy:all_shards", "nondeterministic_output_order")
_tips("mget", "request_policy:multi_shard")
_tips("mset", "request_policy:multi_shard", "response_policy:all_succeeded")
_tips("msetnx", "request_policy:multi_shard", "response_policy:agg_min")
_tips("wait", "request_policy:all_shards", "response_policy:agg_min")
_tips("lastsave", "nondeterministic_output")
_tips(
    "cluster|bumpepoch cluster|count-failure-reports cluster|getkeysinslot cluster|info "
    "cluster|links cluster|nodes cluster|replicas cluster|shards cluster|slaves cluster|slots",
    "nondeterministic_output",
)
_tips("randomkey", "request_policy:all_shards", "nondeterministic_output")
_tips("scan", "nondeterministic_output", "request_policy:special")
_tips(
    "slowlog|len",
    "request_policy:all_nodes",
    "response_policy:agg_sum",
    "nondeterministic_output",
)
_tips("slowlog|get", "request_policy:all_nodes", "nondeterministic_output")
