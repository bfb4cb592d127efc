"""``/metrics``' per-account series (fastnats only: nats-server has no ``/metrics``): the
``fastnats_account_*`` series, labelled ``account``, carry ``/accstatz?unused=1``'s figures
(gauges for connections and subscriptions, counters for the rest, closed connections'
traffic included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastnats.monitor.metrics import ACCOUNT_METRICS

from ..conftest import RunningServer, start_fastnats_server
from .clients import as_user, monitoring, sync, until

prometheus_parser = pytest.importorskip("prometheus_client.parser")

pytestmark = pytest.mark.timeout(60)

USERS = {name: {"users": [{"user": name.lower(), "password": name.lower()}]} for name in "AB"}


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    server = start_fastnats_server(http_port=-1, accounts={**USERS, "C": {}})
    yield server
    server.stop()


def scrape(srv: RunningServer) -> dict[str, tuple[str, str, dict[str, float]]]:
    """family name -> (type, help, {account: value}) for the per-account families (a
    counter's family is its name without ``_total``, as prometheus_client names it)."""
    assert srv.native is not None
    families = {}
    for fam in prometheus_parser.text_string_to_metric_families(srv.native.metrics()):
        if fam.name.startswith("fastnats_account_"):
            samples = {}
            for s in fam.samples:
                assert set(s.labels) == {"account"}, s
                samples[s.labels["account"]] = s.value
            families[fam.name] = (fam.type, fam.documentation, samples)
    return families


async def test_per_account_series_match_accstatz(srv: RunningServer) -> None:
    clients = [await as_user(srv, name) for name in ("a", "a", "b")]
    try:
        sub = await clients[1].subscribe("x.>")
        await clients[2].subscribe("y")
        # The subscriptions are registered before the publishes (SUB has no reply).
        await sync(clients[1])
        await sync(clients[2])
        # (each sync is a request and its reply: the figures below count from here)
        before = {s["acc"]: s for s in monitoring(srv, "/accstatz?unused=1")["account_statz"]}
        for _ in range(3):
            await clients[0].publish("x.1", b"hello")
        for _ in range(3):
            await sub.next_msg(timeout=5)
        await clients[2].publish("nobody", b"12345678")
        for nc in clients:
            await nc.flush()
        families = scrape(srv)
        doc = monitoring(srv, "/accstatz?unused=1")
    finally:
        for nc in clients:
            await nc.close()
    stats: dict[str, Any] = {s["acc"]: s for s in doc["account_statz"]}
    assert set(stats) == {"A", "B", "C", "$G", "$SYS"}
    assert [f[0].removesuffix("_total") for f in ACCOUNT_METRICS] == list(families)
    for name, kind, help_text, key in ACCOUNT_METRICS:
        got_kind, got_help, samples = families[name.removesuffix("_total")]
        assert (got_kind, got_help) == (kind, help_text), name
        assert (kind == "counter") == name.endswith("_total"), name
        assert set(samples) == set(stats), name
        for account, entry in stats.items():
            value = entry
            for part in key.split("."):
                value = value[part]
            assert samples[account] == value, (name, account)
    connections = families["fastnats_account_connections"][2]
    assert connections == {"A": 2, "B": 1, "C": 0, "$G": 0, "$SYS": 0}
    def grew(family: str, account: str, key: str) -> float:
        side, what = key.split(".")
        return families[family][2][account] - before[account][side][what]

    assert grew("fastnats_account_in_msgs", "A", "received.msgs") == 3
    assert grew("fastnats_account_in_bytes", "A", "received.bytes") == 15
    assert grew("fastnats_account_out_msgs", "A", "sent.msgs") == 3
    assert grew("fastnats_account_out_bytes", "B", "sent.bytes") == 0
    assert grew("fastnats_account_in_bytes", "B", "received.bytes") == 8
    assert families["fastnats_account_subscriptions"][2]["B"] >= 1
    assert families["fastnats_account_slow_consumers"][2]["A"] == 0


async def test_account_counters_keep_closed_connections_traffic(srv: RunningServer) -> None:
    a = await as_user(srv, "a")
    await a.publish("nobody", b"12345")
    await sync(a)
    before = scrape(srv)["fastnats_account_in_msgs"][2]["A"]
    assert before >= 2  # the publish and sync's request
    await a.close()
    after = await until(
        lambda: scrape(srv), lambda f: f["fastnats_account_connections"][2]["A"] == 0
    )
    assert after["fastnats_account_in_msgs"][2]["A"] == before


def test_account_names_are_escaped_labels() -> None:
    server = start_fastnats_server(http_port=-1, accounts={'q"\\': {}})
    try:
        assert server.native is not None
        text = server.native.metrics()
        assert 'fastnats_account_connections{account="q\\"\\\\"} 0' in text
        parsed = scrape(server)
        assert 'q"\\' in parsed["fastnats_account_connections"][2]
    finally:
        server.stop()
