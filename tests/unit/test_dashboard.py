"""The Grafana dashboard in deploy/grafana: importable, laid out on the grid,
and every query names only metrics (and grouping labels) the server exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cacheserver.config import Config
from cacheserver.loaders.base import Loaders
from cacheserver.metrics import make_registry
from helpers import Harness

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "cacheserver.json"

LOADERS = """
[database]
dsn = "postgresql://postgres@127.0.0.1:1/postgres"

[[loader]]
name = "prod"
key = "prod:{id:int}"
query = "SELECT name FROM products WHERE id = $1"
format = "value"
ttl = "1h"
"""


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Metric names (families and samples) of one scrape, with their label names:
    a server with key prefixes and loaders, after a few commands."""
    path = tmp_path_factory.mktemp("dash") / "loaders.toml"
    path.write_text(LOADERS)
    h = Harness(Config(**{"metrics-key-prefixes": ["user:"]}))
    h.server.loaders = Loaders.open(h.server, str(path))  # not started: no database needed
    h.run("SET", "user:1", "x")
    h.run("GET", "user:1")
    h.run("GET")  # an error reply: errorstats has a prefix
    text = generate_latest(make_registry(h.server)).decode()
    names: dict[str, set[str]] = {}
    for fam in text_string_to_metric_families(text):
        names.setdefault(fam.name, set())
        for s in fam.samples:
            names.setdefault(s.name, set()).update(s.labels)
            names[fam.name].update(s.labels)
    return names


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_importable(dashboard: dict[str, Any]) -> None:
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    assert dashboard["id"] is None and dashboard["uid"] and dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for p in panels(dashboard):
        assert p["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
            assert t["expr"].strip(), p["title"]


def test_grid_layout(dashboard: dict[str, Any]) -> None:
    taken: set[tuple[int, int]] = set()
    for p in dashboard["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24, p["title"]
        cells = {(g["x"] + i, g["y"] + j) for i in range(g["w"]) for j in range(g["h"])}
        assert not cells & taken, f"{p['title']} overlaps another panel"
        taken |= cells


def test_panels_cover_the_brief(dashboard: dict[str, Any]) -> None:
    exprs = " ".join(t["expr"] for p in panels(dashboard) for t in p["targets"])
    for needed in (
        "cacheserver_commands_total",
        "histogram_quantile(0.5,",
        "histogram_quantile(0.99,",
        "cacheserver_prefix_hits_total",
        "cacheserver_memory_max_bytes",
        "cacheserver_evicted_keys_total",
        "cacheserver_expired_keys_total",
        "cacheserver_connected_clients",
        "cacheserver_net_output_bytes_total",
        "cacheserver_errors_total",
        "cacheserver_loader_pool_in_use",
    ):
        assert needed in exprs, needed


_METRIC = re.compile(r"\b((?:cacheserver|process|python)_[a-zA-Z0-9_]+)")
_BY = re.compile(r"\bby \(([^)]*)\)")


def test_every_expr_names_exported_metrics(
    dashboard: dict[str, Any], exported: dict[str, set[str]]
) -> None:
    for p in panels(dashboard):
        for t in p["targets"]:
            expr = t["expr"]
            metrics = _METRIC.findall(expr)
            assert metrics, expr
            labels: set[str] = set()
            for m in metrics:
                assert m in exported, f"{p['title']}: {m} is not exported"
                labels |= exported[m]
            for group in _BY.findall(expr):
                for label in (x.strip() for x in group.split(",")):
                    assert label == "le" or label in labels, f"{p['title']}: no label {label}"
