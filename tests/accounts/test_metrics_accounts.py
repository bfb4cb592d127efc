"""``/metrics``' per-account series (fastnats only: nats-server has no ``/metrics``): the
``fastnats_account_*`` gauges, labelled ``account``, carry ``/accstatz?unused=1``'s figures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastnats.monitor.metrics import ACCOUNT_METRICS

from ..conftest import RunningServer, start_fastnats_server
from .clients import as_user, monitoring, sync

prometheus_parser = pytest.importorskip("prometheus_client.parser")

pytestmark = pytest.mark.timeout(60)

USERS = {name: {"users": [{"user": name.lower(), "password": name.lower()}]} for name in "AB"}


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    server = start_fastnats_server(http_port=-1, accounts={**USERS, "C": {}})
    yield server
    server.stop()


def scrape(srv: RunningServer) -> dict[str, tuple[str, str, dict[str, float]]]:
    """family name -> (type, help, {account: value}) for the per-account families."""
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
    assert [f[0] for f in ACCOUNT_METRICS] == list(families)
    for name, kind, help_text, key in ACCOUNT_METRICS:
        got_kind, got_help, samples = families[name]
        assert (got_kind, got_help) == (kind, help_text), name
        assert not name.endswith("_total"), name  # sums over open connections: gauges
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
