"""``/routez``, ``/varz``'s cluster figures and the per-route metrics, built from the engine's
route snapshot.

The snapshot comes from a stand-in for the native server: a real one (for its config, stats
and identity) with the route calls (``routes()``, ``cluster_port()``, ``cluster_name()``,
``connect_urls()``) answering fixed rows, so the documents' shape is checked against
nats-server 2.15.1's (fields, order, omissions, formats) whatever the route engine's state.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import fastnats
import pytest
from fastnats import _fastnats
from fastnats.monitor import http as monitor_http
from fastnats.monitor.core import Monitor
from fastnats.monitor.params import BadRequest

pytestmark = pytest.mark.timeout(60)

# start and last_activity as seconds before the snapshot (ClusterNative adds the time).
ROUTES = [
    {
        "rid": 7,
        "remote_id": "NB" + "B" * 54,
        "remote_name": "B",
        "did_solicit": False,
        "is_configured": False,
        "ip": "127.0.0.1",
        "port": 51234,
        "start": -125.5,
        "last_activity": -3.2,
        "rtt": 0.000253,
        "pending_size": 0,
        "in_msgs": 3,
        "out_msgs": 1,
        "in_bytes": 2404,
        "out_bytes": 800,
        "subscriptions": ["foo.>", "bar q1"],
    },
    {
        "rid": 5,
        "remote_id": "NC" + "C" * 54,
        "remote_name": "C",
        "did_solicit": True,
        "is_configured": True,
        "ip": "127.0.0.1",
        "port": 6223,
        "start": -10,
        "last_activity": -10,
        "rtt": 0.0,
        "pending_size": 12,
        "in_msgs": 0,
        "out_msgs": 0,
        "in_bytes": 0,
        "out_bytes": 0,
        "subscriptions": [],
    },
]


class ClusterNative:
    """A real native server with the route snapshot calls answering fixed values."""

    def __init__(self, real: Any, routes: list[dict[str, Any]]) -> None:
        self._real = real
        self._routes = routes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def routes(self) -> list[dict[str, Any]]:
        now = time.time()
        return [
            {**r, "start": now + r["start"], "last_activity": now + r["last_activity"]}
            for r in self._routes
        ]

    def cluster_port(self) -> int | None:
        return 6333

    def cluster_name(self) -> str:
        return "c1"

    def connect_urls(self) -> list[str]:
        return ["127.0.0.1:4333", "127.0.0.1:4334"]


def monitor(cluster: dict[str, Any] | None = None, routes=ROUTES) -> Monitor:
    options: dict[str, Any] = {"host": "127.0.0.1", "port": 0}
    if cluster is not None:
        options["cluster"] = cluster
    return Monitor(ClusterNative(_fastnats.NativeServer(options), routes))


CLUSTER = {
    "name": "c1",
    "host": "127.0.0.1",
    "port": 6333,
    "routes": ["nats-route://ru:rp@127.0.0.1:6223", "nats://[::1]:6224", "h5:6225"],
}


def test_routez_fields_in_nats_servers_order_and_forms():
    doc = monitor(CLUSTER).routez()
    assert list(doc) == ["server_id", "server_name", "now", "num_routes", "routes"]
    assert doc["num_routes"] == 2
    first, second = doc["routes"]
    assert list(first) == [
        "rid",
        "remote_id",
        "remote_name",
        "did_solicit",
        "is_configured",
        "ip",
        "port",
        "start",
        "last_activity",
        "rtt",
        "uptime",
        "idle",
        "pending_size",
        "in_msgs",
        "out_msgs",
        "in_bytes",
        "out_bytes",
        "subscriptions",
        "compression",
    ]
    assert first["rid"] == 5 and second["rid"] == 7  # by route id
    assert (second["rtt"], second["uptime"], second["idle"]) == ("253µs", "2m5s", "3s")
    assert first["rtt"] == "0s"
    assert second["subscriptions"] == 2 and first["subscriptions"] == 0
    assert second["compression"] == "off"
    assert second["start"].endswith("Z") and "T" in second["start"]
    assert (second["in_msgs"], second["out_bytes"], first["pending_size"]) == (3, 800, 12)


def test_routez_subscription_lists():
    m = monitor(CLUSTER)
    route = m.routez(subs=True)["routes"][1]
    assert route["subscriptions_list"] == ["foo.>", "bar"]  # subjects only, as nats-server
    assert list(route)[-2:] == ["subscriptions_list", "compression"]
    detail = m.routez(subs="detail")["routes"][1]["subscriptions_list_detail"]
    assert detail == [
        {"subject": "foo.>", "sid": "foo.>", "msgs": 0, "cid": 7},
        {"subject": "bar", "qgroup": "q1", "sid": "bar q1", "msgs": 0, "cid": 7},
    ]
    # a route without interest has no list (omitempty)
    assert "subscriptions_list" not in m.routez(subs=True)["routes"][0]


def test_routez_bad_subs_is_nats_servers_400():
    with pytest.raises(BadRequest) as info:
        monitor(CLUSTER).routez(subs="maybe")
    assert info.value.message == (
        "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"maybe\": invalid syntax"
    )


def test_routez_without_a_cluster_is_empty():
    doc = monitor(None).routez()
    assert (doc["num_routes"], doc["routes"]) == (0, [])


def test_varz_cluster_section_as_nats_servers():
    v = monitor(CLUSTER).varz()
    assert v["cluster"] == {
        "name": "c1",
        "addr": "127.0.0.1",
        "cluster_port": 6333,
        "auth_timeout": 2.0,
        "urls": ["127.0.0.1:6223", "[::1]:6224", "h5:6225"],
        "tls_timeout": 2.0,
        "pool_size": -1,
    }
    assert v["routes"] == 2 and v["remotes"] == 2
    assert v["connect_urls"] == ["127.0.0.1:4333", "127.0.0.1:4334"]
    keys = list(v)
    assert keys.index("connect_urls") == keys.index("port") + 1


@pytest.fixture
def tls_files(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    return {"cert_file": str(tmp_path / "cert.pem"), "key_file": str(tmp_path / "key.pem")}


def test_varz_cluster_section_with_auth_tls_and_write_deadline(tls_files):
    cluster = {
        **CLUSTER,
        "routes": [],
        "authorization": {"user": "u", "password": "p", "timeout": 3.0},
        "tls": {**tls_files, "timeout": 0.5},
        "write_deadline": 1.5,
    }
    section = monitor(cluster).varz()["cluster"]
    assert section["auth_timeout"] == 3.0
    assert (section["tls_timeout"], section["tls_required"], section["tls_verify"]) == (
        0.5,
        True,
        True,
    )
    assert section["write_deadline"] == 1_500_000_000
    assert section["tls_cert_not_after"] == "3000-01-01T00:00:00Z"  # trustme's expiry
    assert list(section)[-1] == "tls_cert_not_after"  # last, as in nats-server's struct
    assert "urls" not in section
    del cluster["authorization"]
    assert monitor(cluster).varz()["cluster"]["auth_timeout"] == 1.5  # TLS timeout + 1 s


def test_varz_without_a_cluster_is_unchanged():
    v = monitor(None).varz()
    assert v["cluster"] == {} and v["routes"] == 0 and v["remotes"] == 0
    assert "connect_urls" not in v


def test_varz_remotes_count_distinct_peers():
    rows = [ROUTES[0], {**ROUTES[0], "rid": 8}, ROUTES[1]]
    v = monitor(CLUSTER, rows).varz()
    assert (v["routes"], v["remotes"]) == (3, 2)


def test_route_metrics():
    text = monitor(CLUSTER).metrics()
    peer_b = 'remote_id="' + ROUTES[0]["remote_id"] + '",remote_name="B"'
    assert "# TYPE fastnats_routes gauge" in text
    assert "fastnats_routes 2\n" in text
    assert f"fastnats_route_in_msgs_total{{{peer_b}}} 3\n" in text
    assert f"fastnats_route_out_bytes_total{{{peer_b}}} 800\n" in text
    assert f"fastnats_route_subscriptions{{{peer_b}}} 2\n" in text
    assert f"fastnats_route_rtt_seconds{{{peer_b}}} 0.000253\n" in text
    assert "fastnats_route_pending_bytes{" in text
    assert "fastnats_routes 0\n" in monitor(None).metrics()


def test_routez_over_http_and_in_the_index():
    m = monitor(CLUSTER)
    listener = monitor_http.MonitorListener(m, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{listener.port}"
        with urllib.request.urlopen(f"{base}/routez?subs=1", timeout=10) as r:
            doc = json.loads(r.read())
        assert doc["routes"][1]["subscriptions_list"] == ["foo.>", "bar"]
        with urllib.request.urlopen(f"{base}/", timeout=10) as r:
            assert b"/routez" in r.read()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{base}/routez?subs=x", timeout=10)
        assert info.value.code == 400
        assert m.request_counts()["/routez"] == 1
    finally:
        listener.stop()


def test_server_routez_without_a_cluster():
    with fastnats.Server(host="127.0.0.1", port=0) as server:
        assert server.routez()["routes"] == []
        assert server.routez()["server_id"] == server.varz()["server_id"]
