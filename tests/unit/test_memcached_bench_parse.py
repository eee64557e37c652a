"""bench/memcached_bench.py: parsing memaslap's per-second tables, the table."""

from __future__ import annotations

from helpers import load_bench

mb = load_bench("memcached_bench")

HEAD = "Type     Time(s)  Ops          TPS(ops/s)   Net(M/s)   Get_miss   Min(us)  Max(us)    Avg(us)    Std_dev    Geo_dist  \n"
OUTPUT = (
    "servers: 127.0.0.1:7211\nthreads count: 1\nconcurrency: 4\n"
    "\x1b[1;1H\x1b[2J\nGet Statistics\n" + HEAD
    + "Period   1        21047        21047        1.6        0          27       5750       188        239.47     151.28\n"
    "Global   1        21047        21047        1.6        0          27       5750       188        239.47     151.28\n\n"
    "Total Statistics\n" + HEAD
    + "Period   1        99999        99999        1.6        0          27       5750       188        239.47     151.28\n\n"
    "\x1b[1;1H\x1b[2J\nGet Statistics\n" + HEAD
    + "Period   1        33211        33211        2.5        0          23       17176      119        240.68     97.49\n"
    "Global   2        54258        27129        2.1        3          23       17176      145        243.01     115.61\n\n"
    "Get Statistics (54262 events)\n   Min:        23\n   Avg:       146\n\n"
    "cmd_get: 868256\ncmd_set: 4096\n\nRun time: 2.0s Ops: 872352 TPS: 436120 Net_rate: 46.8M/s\n"
)  # fmt: skip


def test_parse_memaslap() -> None:
    run = mb.parse_memaslap(OUTPUT, "get")
    assert run.periods == [21047.0, 33211.0]
    assert run.steady_rps == 33211.0  # the first second (the preload) left out
    assert run.avg_us == 145.0 and run.misses == 3
    assert run.total_ops == 872352
    empty = mb.parse_memaslap(OUTPUT, "set")
    assert empty.periods == [] and empty.steady_rps is None


def test_table() -> None:
    r = mb.Result("get", 64)
    r.samples["ours"] = [mb.Sample(90.0, 10.0, 12.0, 0), mb.Sample(110.0, 12.0, 10.0, 0)]
    r.samples["memcached"] = [mb.Sample(100.0, 8.0, 8.0, 2)]
    (row,) = mb.table_rows([r])
    assert row == [
        "get (memcached: 2 get misses!)", "64 B", "100", "100", "1.00",
        "11", "8", "11.00", "8.00", "1.38",
    ]  # fmt: skip
    text = mb.render({"date": "now"}, [r], markdown=True)
    assert "| test | value | req/s ours |" in text and "- date: now" in text
