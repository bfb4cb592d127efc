"""A server with a ``cluster`` block, fastnats and nats-server side by side: the start-up
lines, the ports file's ``cluster`` entry, ``/varz``'s cluster section and an empty
``/routez`` (the route traffic itself is tested with real peers in the route tests).

fastnats' side needs the route engine (``NativeServer.cluster_port``); without it only
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

LOG_PREFIX = r"^\[\d+\] \S+ \S+ "


@pytest.fixture
def cluster_kind(kind: str) -> str:
    if kind == "fastnats" and not hasattr(_fastnats.NativeServer, "cluster_port"):
        pytest.skip("needs the route engine (NativeServer.cluster_port)")
    return kind


def _conf(tmp_path: Path, cluster: str) -> Path:
    path = tmp_path / "c.conf"
    path.write_text(
        'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\n'
        f'ports_file_dir: "{tmp_path}"\ncluster {{ {cluster} }}\n'
    )
    return path


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_start_up_lines_ports_file_varz_and_routez(cluster_kind, tmp_path):
    conf = _conf(tmp_path, 'name: c1, listen: "127.0.0.1:-1", pool_size: -1')
    with served("-c", str(conf), kind=cluster_kind) as s:
        line = s.log.expect(r"\[INF\] Listening for route connections on ")
        m = re.search(r"on 127\.0\.0\.1:(\d+)$", line)
        assert m is not None, line
        route_port = int(m[1])
        text = "\n".join(s.log.lines)
        assert re.search(LOG_PREFIX + r"\[INF\]   Cluster:  c1$", text, re.M)
        assert re.search(LOG_PREFIX + r"\[INF\] Cluster name is c1$", text, re.M)
        assert "dynamically generated" not in text
        wait_until(lambda: list(tmp_path.glob("*.ports")), "the ports file")
        ports = json.loads(next(tmp_path.glob("*.ports")).read_text())
        assert ports["cluster"] == [f"nats://127.0.0.1:{route_port}"]
        http = ports["monitoring"][0]
        varz = _get(f"{http}/varz")
        assert varz["cluster"] == {
            "name": "c1",
            "addr": "127.0.0.1",
            "cluster_port": route_port,
            "auth_timeout": 2,
            "tls_timeout": 2,
            "pool_size": -1,
        }
        assert (varz["routes"], varz["remotes"]) == (0, 0)
        routez = _get(f"{http}/routez")
        assert list(routez) == ["server_id", "server_name", "now", "num_routes", "routes"]
        assert (routez["num_routes"], routez["routes"]) == (0, [])


def test_a_dynamic_cluster_name_is_warned_about(cluster_kind, tmp_path):
    conf = _conf(tmp_path, 'listen: "127.0.0.1:-1"')
    with served("-c", str(conf), kind=cluster_kind) as s:
        s.log.expect(r"\[WRN\] Cluster name was dynamically generated, consider setting one$")
        s.log.expect(r"\[INF\] Listening for route connections on 127\.0\.0\.1:\d+$")
