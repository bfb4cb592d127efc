"""``/metrics``: Prometheus text format 0.0.4, read with prometheus_client's own parser."""

from __future__ import annotations

import math

import pytest
from fastnats.monitor.metrics import METRICS

from . import scenario
from .conftest import Monitored

prometheus_parser = pytest.importorskip("prometheus_client.parser")

pytestmark = pytest.mark.timeout(60)


def _scrape(m: Monitored) -> dict[str, tuple[str, str, dict[tuple[tuple[str, str], ...], float]]]:
    """family name -> (type, help, {labels: value}) as prometheus_client parses the page."""
    reply = m.get("/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {}
    for fam in prometheus_parser.text_string_to_metric_families(reply.text):
        samples = {tuple(sorted(s.labels.items())): s.value for s in fam.samples}
        families[fam.name] = (fam.type, fam.documentation, samples)
    return families


def _value(families: dict[str, tuple[str, str, dict]], name: str) -> float:  # type: ignore[type-arg]
    family = name.removesuffix("_total")
    kind, _, samples = families[family]
    assert list(samples) == [()], (name, samples)
    return samples[()]


def test_every_metric_is_exposed_with_help_and_type(monitored: Monitored) -> None:
    families = _scrape(monitored)
    for name, kind, help_text, _ in METRICS:
        family = name.removesuffix("_total") if kind == "counter" else name
        assert family in families, name
        got_kind, got_help, _ = families[family]
        assert got_kind == kind, name
        assert got_help == help_text, name
        assert name.startswith("fastnats_")
        assert (kind == "counter") == name.endswith("_total"), name
    assert "fastnats_info" in families
    assert "fastnats_http_requests" in families


def test_figures_match_varz(monitored: Monitored) -> None:
    played = scenario.play(monitored.port, monitored.http_port)
    try:
        scenario.wait_closed(monitored.http_port, len(scenario.CLOSED))
        varz = monitored.json("/varz")
        subsz = monitored.json("/subsz")
        families = _scrape(monitored)
    finally:
        played.close()
    same = {
        "fastnats_in_msgs_total": varz["in_msgs"],
        "fastnats_out_msgs_total": varz["out_msgs"],
        "fastnats_in_bytes_total": varz["in_bytes"],
        "fastnats_out_bytes_total": varz["out_bytes"],
        "fastnats_connections": varz["connections"],
        "fastnats_connections_accepted_total": varz["total_connections"],
        "fastnats_subscriptions": varz["subscriptions"],
        "fastnats_slow_consumers_total": varz["slow_consumers"],
        "fastnats_stale_connections_total": varz["stale_connections"],
        "fastnats_stalled_clients_total": varz["stalled_clients"],
        "fastnats_cores": varz["cores"],
        "fastnats_sublist_inserts_total": subsz["num_inserts"],
        "fastnats_sublist_removes_total": subsz["num_removes"],
    }
    for name, expected in same.items():
        assert _value(families, name) == expected, name
    assert _value(families, "fastnats_connections") == len(scenario.OPEN)
    assert _value(families, "fastnats_in_msgs_total") == 10
    assert _value(families, "fastnats_resident_memory_bytes") > 1_000_000
    assert _value(families, "fastnats_cpu_seconds_total") > 0
    assert 0 <= _value(families, "fastnats_sublist_cache_hit_ratio") <= 1
    assert _value(families, "fastnats_uptime_seconds") >= 0
    start = _value(families, "fastnats_start_time_seconds")
    assert math.isclose(start, monitored.server.stats()["start"], abs_tol=1e-3)  # type: ignore[union-attr]
    _, _, info = families["fastnats_info"]
    ((labels, value),) = info.items()
    assert value == 1
    assert dict(labels)["server_id"] == varz["server_id"]


def test_counters_grow(monitored: Monitored) -> None:
    before = _scrape(monitored)
    played = scenario.play(monitored.port, monitored.http_port)
    played.close()
    after = _scrape(monitored)
    for name in (
        "fastnats_in_msgs_total",
        "fastnats_out_bytes_total",
        "fastnats_connections_accepted_total",
    ):
        assert _value(after, name) > _value(before, name), name


def test_request_counts(monitored: Monitored) -> None:
    monitored.get("/varz")
    monitored.get("/healthz")
    _, _, samples = _scrape(monitored)["fastnats_http_requests"]
    counts = {dict(labels)["path"]: value for labels, value in samples.items()}
    assert counts == {"/varz": 1, "/healthz": 1, "/metrics": 1}


def test_from_python(monitored: Monitored) -> None:
    server = monitored.server
    assert server is not None
    text = server.metrics()
    families = {f.name for f in prometheus_parser.text_string_to_metric_families(text)}
    assert "fastnats_in_msgs" in families
    assert text.endswith("\n")
