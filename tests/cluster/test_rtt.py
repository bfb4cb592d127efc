"""``rtt`` of route (``/routez``) and leaf (``/leafz``) connections, side by side with
nats-server: ``0s`` until the connection's first PING is answered, which both servers send
about 1 s after the connection forms (1 s plus up to 20%), whatever the traffic; then a Go
duration, non-zero and below a generous bound, on every connection of every pairing.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..monitor.test_rtt_stalls import go_duration_ns
from .conftest import MeshFactory, Node, Servers, leafz, wait_for
from .test_leafnodes import PAIRS, hub_and_leaf

pytestmark = pytest.mark.timeout(90)

BOUND_NS = 10 * 1_000_000_000
MEASURED_BY = 10.0  # the first PING comes 1-1.2 s after the connection forms


def _measured(rows: list[dict[str, Any]]) -> bool:
    """Whether every row has an rtt, and it is a plausible Go duration."""
    if not rows:
        return False
    values = [go_duration_ns(r["rtt"]) for r in rows]
    assert all(v < BOUND_NS for v in values), [r["rtt"] for r in rows]
    return all(v > 0 for v in values)


@pytest.mark.parametrize("kinds", PAIRS)
def test_leafz_rtt_is_measured_on_both_sides(servers: Servers, kinds: tuple[str, str]) -> None:
    hub, leaf = hub_and_leaf(servers, kinds)
    for node in (hub, leaf):
        wait_for(
            lambda node=node: _measured(leafz(node)["leafs"]),
            f"{node.kind} {node.name}: an rtt on its leaf connection",
            MEASURED_BY,
        )


@pytest.mark.parametrize(
    "kinds",
    [
        pytest.param(("fastnats", "fastnats"), id="fastnats+fastnats"),
        pytest.param(("fastnats", "2.15"), id="fastnats+nats-server"),
        pytest.param(("2.15", "2.15"), id="nats-server+nats-server"),
    ],
)
def test_routez_rtt_is_measured_on_every_route(
    start_mesh: MeshFactory, kinds: tuple[str, str]
) -> None:
    mesh = start_mesh(kinds)

    def routes(node: Node) -> list[dict[str, Any]]:
        return list(node.routez().get("routes") or [])

    for node in mesh.nodes:
        wait_for(
            lambda node=node: _measured(routes(node)),
            f"{node.kind} node {node.index}: an rtt on every route",
            MEASURED_BY,
        )
