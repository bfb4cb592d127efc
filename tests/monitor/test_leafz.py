"""``/leafz``, ``/varz``'s leaf figures and the per-leaf metrics, built from the engine's leaf
snapshot.

The snapshot comes from a stand-in for the native server: a real one (for its config, stats
and identity) with the leaf calls (``leafs()``, ``leaf_port()``) answering fixed rows, so the
documents' shape is checked against nats-server 2.15.1's (fields, order, omissions, formats;
measured with a hub and a leaf in two accounts) whatever the leaf engine's state. Leaf TLS,
which the engine refuses for now, is shown to ``/varz`` through the stand-in's config.
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

HUB_NAME = "NA" + "H" * 54

LEAFS = [
    {
        "cid": 8,
        "name": HUB_NAME,
        "is_spoke": True,
        "account": "B",
        "ip": "127.0.0.1",
        "port": 7422,
        "rtt": 0.000322,
        "in_msgs": 0,
        "out_msgs": 0,
        "in_bytes": 0,
        "out_bytes": 0,
        "subscriptions": [],
    },
    {
        "cid": 7,
        "name": "leaf-1",
        "is_spoke": False,
        "account": "A",
        "ip": "127.0.0.1",
        "port": 49812,
        "rtt": 0.000401,
        "in_msgs": 2,
        "out_msgs": 5,
        "in_bytes": 8,
        "out_bytes": 120,
        "subscriptions": ["foo.>", "bar q1", "bar q2"],
    },
]


class LeafNative:
    """A real native server with the leaf snapshot calls answering fixed values."""

    def __init__(
        self, real: Any, leafs: list[dict[str, Any]], shown: dict[str, Any] | None = None
    ) -> None:
        self._real = real
        self._leafs = leafs
        self._shown = shown  # the leafnodes option config() shows, when not the real one

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def config(self) -> dict[str, Any]:
        config = self._real.config()
        if self._shown is not None:
            config["leafnodes"] = {**config["leafnodes"], **self._shown}
        return config

    def leafs(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._leafs]

    def leaf_port(self) -> int | None:
        return 7433


def monitor(
    leafnodes: dict[str, Any] | None = None, leafs=LEAFS, shown: dict[str, Any] | None = None
) -> Monitor:
    options: dict[str, Any] = {"host": "127.0.0.1", "port": 0}
    if leafnodes is not None:
        options["leafnodes"] = leafnodes
    return Monitor(LeafNative(_fastnats.NativeServer(options), leafs, shown))


HUB = {"host": "127.0.0.1", "port": 0}
LEAF_ONLY = {
    "remotes": [
        {
            "urls": ["nats-leaf://u:p@127.0.0.1:7422", "nats://[::1]", "nats://h"],
            "account": "A",
            "deny_imports": ["x.>"],
            "deny_exports": ["y", "z.*"],
        },
        {"urls": ["nats://127.0.0.1:7423"]},
    ]
}


def test_leafz_fields_in_nats_servers_order_and_forms():
    doc = monitor(HUB).leafz()
    assert list(doc) == ["server_id", "now", "leafnodes", "leafs"]
    assert doc["leafnodes"] == 2
    assert doc["now"].endswith("Z") and "T" in doc["now"]
    first, second = doc["leafs"]
    assert list(first) == [
        "id",
        "name",
        "is_spoke",
        "account",
        "ip",
        "port",
        "rtt",
        "in_msgs",
        "out_msgs",
        "in_bytes",
        "out_bytes",
        "subscriptions",
        "compression",
    ]
    assert (first["id"], second["id"]) == (7, 8)  # in connection order
    assert first == {
        "id": 7,
        "name": "leaf-1",
        "is_spoke": False,
        "account": "A",
        "ip": "127.0.0.1",
        "port": 49812,
        "rtt": "401µs",
        "in_msgs": 2,
        "out_msgs": 5,
        "in_bytes": 8,
        "out_bytes": 120,
        "subscriptions": 3,
        "compression": "off",
    }
    assert (second["is_spoke"], second["name"], second["rtt"]) == (True, HUB_NAME, "322µs")


def test_leafz_subscription_lists_are_subjects_as_nats_servers():
    m = monitor(HUB)
    leaf = m.leafz(subs=True)["leafs"][0]
    assert leaf["subscriptions_list"] == ["foo.>", "bar", "bar"]  # one per queue, no names
    assert list(leaf)[-2:] == ["subscriptions_list", "compression"]
    assert "subscriptions_list" not in m.leafz(subs=True)["leafs"][1]  # omitempty
    assert "subscriptions_list" not in m.leafz()["leafs"][0]


def test_leafz_account_filter():
    m = monitor(HUB)
    doc = m.leafz(acc="B")
    assert doc["leafnodes"] == 1
    assert [leaf["account"] for leaf in doc["leafs"]] == ["B"]
    assert m.leafz(acc="Z")["leafs"] == [] and m.leafz(acc="Z")["leafnodes"] == 0


@pytest.mark.parametrize("value", ["maybe", "detail"])  # nats-server's decodeBool: no detail
def test_leafz_bad_subs_is_nats_servers_400(value):
    with pytest.raises(BadRequest) as info:
        monitor(HUB).leafz(subs=value)
    assert info.value.message == (
        f"Error decoding boolean for 'subs': strconv.ParseBool: parsing \"{value}\": invalid syntax"
    )


def test_leafz_without_leafnodes_is_empty():
    doc = monitor(None).leafz()
    assert (doc["leafnodes"], doc["leafs"]) == (0, [])


def test_varz_leaf_section_of_a_hub_as_nats_servers():
    v = monitor(HUB).varz()
    assert v["leaf"] == {"host": "127.0.0.1", "port": 7433, "auth_timeout": 2.0, "tls_timeout": 2.0}
    assert v["leafnodes"] == 2
    keys = list(v)
    assert keys.index("leafnodes") == keys.index("remotes") + 1


@pytest.fixture
def tls_files(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return {
        "cert_file": str(tmp_path / "cert.pem"),
        "key_file": str(tmp_path / "key.pem"),
        "ca_file": str(tmp_path / "ca.pem"),
    }


def test_varz_leaf_section_with_auth_and_tls(tls_files):
    leafnodes = {**HUB, "authorization": {"user": "u", "password": "p", "timeout": 3.0}}
    tls = {"tls": {**tls_files, "verify": True, "timeout": 0.5, "handshake_first": False}}
    section = monitor(leafnodes, shown=tls).varz()["leaf"]
    assert section == {
        "host": "127.0.0.1",
        "port": 7433,
        "auth_timeout": 3.0,
        "tls_timeout": 0.5,
        "tls_required": True,
        "tls_verify": True,
        "tls_cert_not_after": "3000-01-01T00:00:00Z",  # trustme's certificates' expiry
    }
    del leafnodes["authorization"]
    tls["tls"] = {**tls["tls"], "verify": False}
    section = monitor(leafnodes, shown=tls).varz()["leaf"]
    assert section["auth_timeout"] == 1.5  # nats-server's default with TLS: its timeout + 1 s
    assert "tls_verify" not in section


def test_varz_leaf_section_of_a_leaf_lists_its_remotes_as_nats_servers(tls_files):
    v = monitor(LEAF_ONLY).varz()
    # nats-server 2.15.1 leaf-only: no listener figures; local_account $G when none is given;
    # the URLs' host:port with 7422 where the URL has no port.
    assert v["leaf"] == {
        "remotes": [
            {
                "local_account": "A",
                "urls": ["127.0.0.1:7422", "[::1]:7422", "h:7422"],
                "deny": {"exports": ["y", "z.*"], "imports": ["x.>"]},
            },
            {"local_account": "$G", "urls": ["127.0.0.1:7423"]},
        ]
    }
    remote = {"urls": ["nats://h:1"], "account": None, "tls": {"ca_file": tls_files["ca_file"]}}
    shown = {"remotes": [{**remote, "tls": {**remote["tls"], "timeout": 2.0}}]}
    section = monitor({"remotes": [{"urls": ["nats://h:1"]}]}, shown=shown).varz()["leaf"]
    assert section == {"remotes": [{"local_account": "$G", "tls_timeout": 2.0, "urls": ["h:1"]}]}


def test_varz_without_leafnodes_is_unchanged():
    v = monitor(None).varz()
    assert v["leaf"] == {} and v["leafnodes"] == 0


def test_leaf_metrics():
    text = monitor(HUB).metrics()
    leaf_a = 'name="leaf-1",account="A"'
    assert "# TYPE fastnats_leafs gauge" in text
    assert "fastnats_leafs 2\n" in text
    assert "# TYPE fastnats_leaf_in_msgs_total counter" in text
    assert f"fastnats_leaf_in_msgs_total{{{leaf_a}}} 2\n" in text
    assert f"fastnats_leaf_in_bytes_total{{{leaf_a}}} 8\n" in text
    assert f"fastnats_leaf_out_msgs_total{{{leaf_a}}} 5\n" in text
    assert f"fastnats_leaf_out_bytes_total{{{leaf_a}}} 120\n" in text
    assert f"fastnats_leaf_subscriptions{{{leaf_a}}} 3\n" in text
    assert f"fastnats_leaf_rtt_seconds{{{leaf_a}}} 0.000401\n" in text
    assert f'fastnats_leaf_subscriptions{{name="{HUB_NAME}",account="B"}} 0\n' in text
    assert "fastnats_leafs 0\n" in monitor(None).metrics()


def test_leafz_over_http_and_in_the_index():
    m = monitor(HUB)
    listener = monitor_http.MonitorListener(m, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{listener.port}"
        with urllib.request.urlopen(f"{base}/leafz?subs=1&acc=A", timeout=10) as r:
            doc = json.loads(r.read())
        assert doc["leafnodes"] == 1
        assert doc["leafs"][0]["subscriptions_list"] == ["foo.>", "bar", "bar"]
        with urllib.request.urlopen(f"{base}/", timeout=10) as r:
            assert b"LeafNodes<span" in r.read()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{base}/leafz?subs=x", timeout=10)
        assert info.value.code == 400
        assert m.request_counts()["/leafz"] == 2  # nats-server counts before decoding
    finally:
        listener.stop()


def test_server_leafz_without_leafnodes():
    with fastnats.Server(host="127.0.0.1", port=0) as server:
        assert server.leafz()["leafs"] == []
        assert server.leafz(subs=True, acc="A")["leafnodes"] == 0
        assert server.leafz()["server_id"] == server.varz()["server_id"]
        assert server.leaf_port is None


def test_accountz_counts_the_accounts_leaf_connections():
    def leaf_connections(leafs: list[dict[str, Any]]) -> int:
        m = monitor(HUB, leafs)
        m.config_load_time_ns = time.time_ns()  # a server that did not start has no start time
        return m.accountz(acc="$G")["account_detail"]["leafnode_connections"]

    assert leaf_connections(LEAFS) == 0  # in A and B
    assert leaf_connections([{**LEAFS[0], "account": "$G"}, LEAFS[1]]) == 1
    assert leaf_connections([{**leaf, "account": "$G"} for leaf in LEAFS]) == 2
