"""Row encodings: deterministic JSON, hash fields and values, from Python values
and from every PostgreSQL type family through a real query."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest

from cacheserver.loaders.encode import Json, encode_hash, encode_json, encode_value, scalar_text
from pgutil import CacheServers, Cluster, client

UTC = datetime.UTC


def test_json_scalars() -> None:
    names = ["n", "b", "i", "f", "nan", "inf", "ninf", "d", "s", "bytes"]
    values = [None, True, 7, 0.1, float("nan"), float("inf"), float("-inf"), decimal.Decimal("19.90"), "é\n", b"\x00\xff"]
    assert encode_json(names, values) == (
        '{"n":null,"b":true,"i":7,"f":0.1,"nan":"NaN","inf":"Infinity","ninf":"-Infinity",'
        '"d":"19.90","s":"é\\n","bytes":"AP8="}'
    ).encode()


def test_json_times_and_others() -> None:
    tz = datetime.timezone(datetime.timedelta(hours=2))
    values = [
        datetime.datetime(2024, 1, 2, 5, 4, 5, 500000, tzinfo=tz),
        datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime.datetime(2024, 1, 2, 3, 4, 5),
        datetime.date(2024, 1, 2),
        datetime.time(12, 34, 56, 10),
        datetime.timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=500000),
        datetime.timedelta(0),
        -datetime.timedelta(seconds=90),
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        Json('{"b": 1, "a": [1, 2.5, {"z": null, "y": 1e400}]}'),
        [1, None, [2.5, float("nan")]],
    ]
    names = [f"c{i}" for i in range(len(values))]
    assert json.loads(encode_json(names, values)) == {
        "c0": "2024-01-02T03:04:05.500000Z",
        "c1": "2024-01-02T03:04:05Z",
        "c2": "2024-01-02T03:04:05",
        "c3": "2024-01-02",
        "c4": "12:34:56.000010",
        "c5": "P1DT2H3M4.5S",
        "c6": "PT0S",
        "c7": "-PT1M30S",
        "c8": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "c9": {"a": [1, 2.5, {"y": "Infinity", "z": None}], "b": 1},
        "c10": [1, None, [2.5, "NaN"]],
    }
    # keys of embedded JSON sorted, columns in query order
    assert encode_json(["z", "a"], [Json('{"b":1,"a":2}'), 1]) == b'{"z":{"a":2,"b":1},"a":1}'


def test_duplicate_column_keeps_the_last_value() -> None:
    assert encode_json(["a", "a"], [1, 2]) == b'{"a":2}'


def test_hash_and_value() -> None:
    assert encode_hash(["a", "b", "c", "d"], [None, b"\x00raw", True, decimal.Decimal("1.50")]) == [
        (b"b", b"\x00raw"),
        (b"c", b"true"),
        (b"d", b"1.50"),
    ]
    assert encode_hash(["a"], [None]) == []
    assert encode_value([None, 1]) is None
    assert encode_value([]) is None
    assert encode_value(["x", 1]) == b"x"
    assert scalar_text(0.1) == b"0.1"
    assert scalar_text(float("-inf")) == b"-Infinity"
    assert scalar_text(Json('{"b": [1,  2], "a": "x"}')) == b'{"a":"x","b":[1,2]}'
    assert scalar_text([1, "a"]) == b'[1,"a"]'
    assert scalar_text(datetime.date(2024, 1, 2)) == b"2024-01-02"


TYPES_QUERY = (
    "SELECT NULL::int AS n, true AS b, 2::int2 AS i2, 2147483647 AS i4, 9007199254740993::int8 AS i8, "
    "0.1::float8 AS f8, 'NaN'::float8 AS nan, 12.340::numeric AS num, 'NaN'::numeric AS num_nan, "
    "'caf\u00e9'::text AS t, '\\x00ff'::bytea AS raw, '2024-01-02 03:04:05.5+02'::timestamptz AS tstz, "
    "'2024-01-02 03:04:05'::timestamp AS ts, '2024-01-02'::date AS d, '12:34:56'::time AS tm, "
    "'1 day 02:03:04.5'::interval AS iv, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, "
    "'{\"b\": 1, \"a\": [1, 2.5]}'::json AS js, '{\"b\": 1, \"a\": 2}'::jsonb AS jb, "
    "ARRAY[1, NULL, 3] AS arr, ARRAY[['a', 'b'], ['c', 'd']] AS arr2, '10.0.0.1'::inet AS ip "
    "WHERE $1::int > 0"
)


@pytest.mark.pg
def test_postgres_types(pg: Cluster, servers: CacheServers) -> None:
    st = servers.start(
        f"""
[database]
dsn = "postgresql://postgres@127.0.0.1:{pg.port}/postgres"
[[loader]]
name = "types"
key = "types:{{id:int}}"
query = '''{TYPES_QUERY}'''
ttl = "1h"
[[loader]]
name = "types_hash"
key = "typesh:{{id:int}}"
query = '''{TYPES_QUERY}'''
format = "hash"
ttl = "1h"
"""
    )
    r = client(st)
    raw = r.get("types:1")
    assert raw == (
        '{"n":null,"b":true,"i2":2,"i4":2147483647,"i8":9007199254740993,"f8":0.1,"nan":"NaN",'
        '"num":"12.340","num_nan":"NaN","t":"caf\u00e9","raw":"AP8=","tstz":"2024-01-02T01:04:05.500000Z",'
        '"ts":"2024-01-02T03:04:05","d":"2024-01-02","tm":"12:34:56","iv":"P1DT2H3M4.5S",'
        '"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","js":{"a":[1,2.5],"b":1},"jb":{"a":2,"b":1},'
        '"arr":[1,null,3],"arr2":[["a","b"],["c","d"]],"ip":"10.0.0.1"}'
    ).encode()
    # the same row again gives the same bytes (a second cluster-side query)
    r.delete("types:1")
    assert r.get("types:1") == raw
    h: dict[bytes, Any] = r.hgetall("typesh:1")
    assert b"n" not in h
    assert h[b"raw"] == b"\x00\xff"
    assert h[b"num"] == b"12.340"
    assert h[b"tstz"] == b"2024-01-02T01:04:05.500000Z"
    assert h[b"jb"] == b'{"a":2,"b":1}'
    assert h[b"arr"] == b"[1,null,3]"
    assert h[b"b"] == b"true"
    assert r.get("types:0") is None  # zero rows
