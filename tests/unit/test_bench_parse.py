"""bench/redis_bench.py: parsing redis-benchmark output, request templates, the table."""

from __future__ import annotations

import pytest

from helpers import load_bench

rb = load_bench("redis_bench")

REDIS7_CSV = (
    '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",'
    '"p95_latency_ms","p99_latency_ms","max_latency_ms"\n'
    '"SET","32414.91","0.932","0.168","0.719","2.775","5.519","7.863"\n'
    '"MSET (10 keys)","30165.91","1.221","0.192","1.183","2.175","3.623","4.895"\n'
    '"ZRANK zrank m__rand_int__","71428.57","0.374","0.064","0.367","0.487","0.607","0.743"\n'
)


def test_redis7_csv() -> None:
    rows = rb.parse_csv(REDIS7_CSV)
    assert [r.test for r in rows] == ["SET", "MSET (10 keys)", "ZRANK zrank m__rand_int__"]
    first = rows[0]
    assert first.rps == 32414.91
    assert (first.avg_ms, first.min_ms, first.p50_ms) == (0.932, 0.168, 0.719)
    assert (first.p95_ms, first.p99_ms, first.max_ms) == (2.775, 5.519, 7.863)


def test_noise_lines_are_ignored() -> None:
    text = (
        "WARNING: Could not fetch server CONFIG\n"
        "SET: rps=0.0 (overall: 0.0) avg_msec=-nan (overall: -nan)\r"
        + REDIS7_CSV.replace("\n", "\r\n", 1)
        + "\n"
    )
    assert [r.rps for r in rb.parse_csv(text)] == [32414.91, 30165.91, 71428.57]


def test_old_csv_without_header_has_no_latencies() -> None:
    rows = rb.parse_csv('"PING_INLINE","81967.21"\n"GET","83333.34"\n')
    assert [(r.test, r.rps) for r in rows] == [("PING_INLINE", 81967.21), ("GET", 83333.34)]
    assert rows[1].p50_ms is None and rows[1].p99_ms is None


def test_nan_latency_is_none_and_bad_rps_raises() -> None:
    header = REDIS7_CSV.splitlines()[0]
    (row,) = rb.parse_csv(header + '\n"GET","0.00","-nan","-nan","-nan","-nan","-nan","-nan"\n')
    assert row.rps == 0.0 and row.p50_ms is None
    with pytest.raises(ValueError):
        rb.parse_csv(header + '\n"GET","oops"\n')
    assert rb.parse_csv(header + "\n") == []
    assert rb.parse_csv("") == []


def test_templates_expand_like_redis_benchmark() -> None:
    assert rb.expand("SET key:__rand_int__ {data}", b"xx", 42) == [
        b"SET",
        b"key:000000000042",
        b"xx",
    ]
    assert rb.encode([b"GET", b"a\r\nb"]) == b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n"
    mset = rb.BENCHES["mset"].checks[0]
    assert len(rb.expand(mset, b"v")) == 21


def test_table_row_and_error_flag() -> None:
    result = rb.Result("SET", 16, 1000)
    result.samples["ours"] = [
        rb.Sample(100.0, 1.0, 2.0, 4.0, 0),
        rb.Sample(300.0, 3.0, 4.0, 2.0, 0),
    ]
    result.samples["redis"] = [rb.Sample(400.0, 0.5, None, 1.0, 2)]
    (row,) = rb.table_rows([result])
    assert row[0] == "SET (redis: 2 error replies!)"
    assert row[1:6] == ["16", "1000", "200", "400", "0.50"]
    assert row[8:] == ["3.000", "-", "3.00", "1.00", "3.00"]
