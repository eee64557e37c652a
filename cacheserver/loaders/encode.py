"""Rows to cache values: ``json`` (one object), ``hash`` (one field per column),
``value`` (the first column).

The encoding is deterministic: the same row always gives the same bytes.

=============  ==========================================  =====================================
PostgreSQL     json format                                 hash field / value format
=============  ==========================================  =====================================
NULL           ``null``                                    field left out / no value (a miss)
boolean        ``true`` / ``false``                        ``true`` / ``false``
int2/4/8       number                                      decimal text
float4/8       number (shortest round-trip form);          same text
               NaN and infinities as strings
               ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
numeric        string with every digit and the scale       same text
               (``"19.90"``): JSON numbers are doubles
text, varchar  string                                      the UTF-8 bytes
bytea          base64 string                               the raw bytes
timestamptz    ``"2024-05-01T12:00:00.250000Z"`` in UTC    same text
               (fraction only when not zero)
timestamp      ``"2024-05-01T12:00:00"``                   same text
date, time     ``"2024-05-01"``, ``"12:00:00"``            same text
interval       ISO 8601 duration ``"P1DT2H3M4.5S"``        same text
uuid           ``"0e9f..."`` (lowercase)                   same text
json, jsonb    the JSON value itself, compact, object      the compact JSON text
               keys sorted
arrays         JSON arrays                                 the compact JSON text
other types    their text form as a string                 the text form
=============  ==========================================  =====================================

Columns appear in the query's order; a column name used twice keeps its last
value.  A row whose ``hash`` encoding has no field (every column NULL), or
whose ``value`` is NULL, is stored as absent, like zero rows.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

__all__ = ["Json", "encode_hash", "encode_json", "encode_value", "scalar_text"]


class Json(str):
    """The text of a json/jsonb column (installed as the connection's decoder)."""

    __slots__ = ()


_UTC = datetime.UTC


def _datetime_text(v: datetime.datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(_UTC)
        return v.replace(tzinfo=None).isoformat() + "Z"
    return v.isoformat()


def _interval_text(v: datetime.timedelta) -> str:
    days = v.days
    secs = v.seconds
    micros = v.microseconds
    sign = ""
    if days < 0:  # timedelta keeps seconds positive: normalise to a sign and magnitude
        total = -(days * 86400_000000 + secs * 1000000 + micros)
        sign = "-"
        days, rest = divmod(total, 86400_000000)
        secs, micros = divmod(rest, 1000000)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    out = f"{sign}P{days}D" if days else f"{sign}P"
    t = ""
    if h:
        t += f"{h}H"
    if m:
        t += f"{m}M"
    if s or micros or not (days or h or m):
        frac = f".{micros:06d}".rstrip("0") if micros else ""
        t += f"{s}{frac}S"
    return out + ("T" + t if t else "")


def _float(v: float) -> Any:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _sorted_json(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _sorted_json(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [_sorted_json(x) for x in v]
    if isinstance(v, float):
        return _float(v)
    return v


def jsonable(v: Any) -> Any:
    """A column value as a value ``json.dumps`` writes deterministically."""
    if (
        v is None
        or v is True
        or v is False
        or (isinstance(v, (int, str)) and not isinstance(v, Json))
    ):
        return v
    if isinstance(v, Json):
        return _sorted_json(json.loads(v))
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, datetime.datetime):
        return _datetime_text(v)
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return _interval_text(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    items = getattr(v, "items", None)
    if items is not None:  # a composite (asyncpg Record) or a mapping
        return {str(k): jsonable(x) for k, x in items()}
    return str(v)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def scalar_text(v: Any) -> bytes:
    """A non-NULL column value as the bytes a hash field or a string holds."""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, Json):
        return _dumps(jsonable(v))
    if isinstance(v, str):
        return v.encode("utf-8")
    if v is True:
        return b"true"
    if v is False:
        return b"false"
    if isinstance(v, int):
        return str(v).encode()
    if isinstance(v, float):
        f = _float(v)
        return f.encode() if isinstance(f, str) else repr(f).encode()
    j = jsonable(v)
    if isinstance(j, str):
        return j.encode("utf-8")
    return _dumps(j)


def encode_json(names: Sequence[str], values: Sequence[Any]) -> bytes:
    """One JSON object, columns in query order."""
    return _dumps({name: jsonable(v) for name, v in zip(names, values, strict=True)})


def encode_hash(names: Sequence[str], values: Sequence[Any]) -> list[tuple[bytes, bytes]]:
    """(field, value) pairs, NULL columns left out."""
    out: dict[bytes, bytes] = {}
    for name, v in zip(names, values, strict=True):
        if v is not None:
            out[name.encode("utf-8")] = scalar_text(v)
    return list(out.items())


def encode_value(values: Sequence[Any]) -> bytes | None:
    """The first column, or None when it is NULL (or there is none)."""
    if not values or values[0] is None:
        return None
    return scalar_text(values[0])
