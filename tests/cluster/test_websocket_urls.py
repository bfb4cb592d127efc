"""WebSocket URLs across a cluster (issue 15): each node tells its routes its WebSocket URLs
(route INFO ``ws_connect_urls``), and a WebSocket client's INFO lists the cluster's
(its ``connect_urls``), as nats-server's ``generateClientInfoJSON`` does. Every pairing of
fastnats and nats-server 2.15, side by side.
"""

from __future__ import annotations

import json

import pytest

from ..websocket.wsproto import open_ws
from .conftest import HOST, Node, Servers, free_ports, wait_for

CLUSTER = "ws-urls"

PAIRS = [("fastnats", "2.15"), ("2.15", "fastnats"), ("fastnats", "fastnats"), ("2.15", "2.15")]


def ws_info(node: Node, ws_port: int) -> dict:
    conn, _, info = open_ws((HOST, ws_port))
    conn.close()
    return dict(json.loads(info[5:]))


def start_pair(servers: Servers, kinds: tuple[str, str]) -> list[tuple[Node, int]]:
    ports = free_ports(8)
    cluster_ports = (ports[2], ports[6])
    nodes = []
    for i, kind in enumerate(kinds):
        port, http, cluster, ws = ports[4 * i : 4 * i + 4]
        other = cluster_ports[1 - i]
        config = (
            "cluster {\n"
            f'  name: "{CLUSTER}"\n'
            f'  listen: "{HOST}:{cluster}"\n'
            f'  routes: ["nats-route://{HOST}:{other}"]\n'
            "}\n"
            f'websocket {{ listen: "{HOST}:{ws}", no_tls: true }}\n'
        )
        nodes.append((servers.start(kind, f"n{i}-{kind}", config, [port, http, cluster]), ws))
    return nodes


@pytest.mark.parametrize("kinds", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_websocket_clients_get_the_cluster_ws_urls(
    servers: Servers, kinds: tuple[str, str]
) -> None:
    nodes = start_pair(servers, kinds)
    everyone = {f"{HOST}:{ws}" for _, ws in nodes}
    for node, ws in nodes:
        got = wait_for(
            lambda n=node, w=ws: set(ws_info(n, w).get("connect_urls") or []) == everyone,
            f"{node.name}'s WebSocket INFO connect_urls = {sorted(everyone)}",
        )
        assert got
        info = ws_info(node, ws)
        # The INFO names the WebSocket listener, not the client port.
        assert info["port"] == ws, info
        # A TCP client still gets the client URLs.
        tcp = {f"{HOST}:{n.port}" for n, _ in nodes}
        assert set(node.varz().get("connect_urls") or []) == tcp, node.name
