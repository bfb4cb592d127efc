"""A server with a ``leafnodes`` block, fastnats and nats-server side by side: the start-up
line, the ports file (nats-server 2.15.1 lists no leaf node listener in it), ``/varz``'s leaf
section and an empty ``/leafz`` (leaf traffic itself is tested with real hubs and leaves in
the leaf node tests).

fastnats' side needs the leaf engine (``NativeServer.leaf_port``); without it only
nats-server's side runs, which pins down what fastnats must show.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from fastnats import _fastnats

from .procs import served, wait_until

pytestmark = pytest.mark.timeout(60)

# Until the engine serves leaf nodes it takes a leafnodes option only with this set.
ENV = {"FASTNATS_LEAFNODES_WIP": "1"}


@pytest.fixture
def leaf_kind(kind: str) -> str:
    if kind == "fastnats" and not hasattr(_fastnats.NativeServer, "leaf_port"):
        pytest.skip("needs the leaf engine (NativeServer.leaf_port)")
    return kind


def _conf(tmp_path: Path, leafnodes: str) -> Path:
    path = tmp_path / "c.conf"
    path.write_text(
        'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\n'
        f'ports_file_dir: "{tmp_path}"\nleafnodes {{ {leafnodes} }}\n'
    )
    return path


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_start_up_line_ports_file_varz_and_leafz_of_a_hub(leaf_kind, tmp_path):
    conf = _conf(tmp_path, 'listen: "127.0.0.1:-1"')
    with served("-c", str(conf), kind=leaf_kind, env=ENV) as s:
        lines = s.log.lines  # up to "Server is ready"
        (leaf,) = [i for i, x in enumerate(lines) if "Listening for leafnode connections" in x]
        m = re.search(
            r"\[INF\] Listening for leafnode connections on 127\.0\.0\.1:(\d+)$", lines[leaf]
        )
        assert m is not None, lines[leaf]
        leaf_port = int(m[1])
        client = next(i for i, x in enumerate(lines) if "Listening for client connections" in x)
        assert leaf < client  # nats-server: the leaf listener first
        wait_until(lambda: list(tmp_path.glob("*.ports")), "the ports file")
        ports = json.loads(next(tmp_path.glob("*.ports")).read_text())
        assert list(ports) == ["nats", "monitoring"]  # no leaf node entry in nats-server's
        http = ports["monitoring"][0]
        varz = _get(f"{http}/varz")
        assert varz["leaf"] == {
            "host": "127.0.0.1",
            "port": leaf_port,
            "auth_timeout": 2,
            "tls_timeout": 2,
        }
        assert varz["leafnodes"] == 0
        leafz = _get(f"{http}/leafz?subs=1")
        assert list(leafz) == ["server_id", "now", "leafnodes", "leafs"]
        assert (leafz["leafnodes"], leafz["leafs"]) == (0, [])


def test_a_leaf_only_server_does_not_listen_for_leaf_nodes(leaf_kind, tmp_path):
    conf = _conf(
        tmp_path,
        'remotes: [ { url: "nats-leaf://127.0.0.1:1", deny_exports: ["x.>"] } ]',
    )
    with served("-c", str(conf), kind=leaf_kind, env=ENV) as s:
        wait_until(lambda: list(tmp_path.glob("*.ports")), "the ports file")
        assert not any("Listening for leafnode connections" in x for x in s.log.lines)
        http = json.loads(next(tmp_path.glob("*.ports")).read_text())["monitoring"][0]
        assert _get(f"{http}/varz")["leaf"] == {
            "remotes": [
                {"local_account": "$G", "urls": ["127.0.0.1:1"], "deny": {"exports": ["x.>"]}}
            ]
        }
