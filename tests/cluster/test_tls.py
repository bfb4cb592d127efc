"""TLS between servers (issue 14): routes and leaf connections, fastnats beside nats-server.

Certificates from ``trustme`` (a CA and a server certificate for ``127.0.0.1``): routes run
TLS both ways with ``verify`` (each side presents its certificate and checks the other's), a
leaf connection with the hub's certificate checked by the leaf against the CA.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nats
import pytest

from .conftest import HOST, Servers, free_ports, interest_reaches, leafz, wait_for

trustme = pytest.importorskip("trustme", reason="the TLS tests generate certificates with trustme")


@pytest.fixture
def certs(tmp_path: Path) -> dict[str, str]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {"cert": tmp_path / "cert.pem", "key": tmp_path / "key.pem", "ca": tmp_path / "ca.pem"}
    cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    ca.cert_pem.write_to_path(str(paths["ca"]))
    return {k: str(v) for k, v in paths.items()}


def tls_block(certs: dict[str, str], verify: bool) -> str:
    return (
        f"tls {{ cert_file: {json.dumps(certs['cert'])}, key_file: {json.dumps(certs['key'])}, "
        f"ca_file: {json.dumps(certs['ca'])}, verify: {'true' if verify else 'false'} }}"
    )


async def crosses(a_url: str, b_url: str) -> None:
    a = await nats.connect(a_url)
    b = await nats.connect(b_url)
    sub = await a.subscribe("over.tls")
    await interest_reaches(b, sub, "over.tls")
    await b.publish("over.tls", b"secret", headers={"H": "1"})
    msg = await sub.next_msg(timeout=5)
    assert (msg.data, msg.headers) == (b"secret", {"H": "1"})
    await a.close()
    await b.close()


@pytest.mark.parametrize(
    "kinds",
    [("2.15", "2.15"), ("fastnats", "2.15"), ("2.15", "fastnats"), ("fastnats", "fastnats")],
    ids="+".join,
)
def test_a_route_over_tls_with_verify(
    servers: Servers, certs: dict[str, str], kinds: tuple[str, str]
) -> None:
    ports = [free_ports(3), free_ports(3)]

    def config(own: int, other: int) -> str:
        route = json.dumps(f"nats-route://{HOST}:{other}")
        return (
            f"cluster {{\n  name: tls\n  listen: {json.dumps(f'{HOST}:{own}')}\n"
            f"  routes: [{route}]\n  {tls_block(certs, verify=True)}\n}}\n"
        )

    a = servers.start(kinds[0], "a", config(ports[0][2], ports[1][2]), ports[0])
    b = servers.start(kinds[1], "b", config(ports[1][2], ports[0][2]), ports[1])
    for node, other in ((a, b), (b, a)):
        wait_for(
            lambda n=node, o=other: o.server_id in {r["remote_id"] for r in n.routez()["routes"]},
            f"{node.name} routes to {other.name} over TLS",
        )
    asyncio.run(crosses(a.url, b.url))


@pytest.mark.parametrize(
    "kinds",
    [("2.15", "2.15"), ("2.15", "fastnats"), ("fastnats", "2.15"), ("fastnats", "fastnats")],
    ids="+".join,
)
def test_a_leaf_connection_over_tls(
    servers: Servers, certs: dict[str, str], kinds: tuple[str, str]
) -> None:
    hub_ports, leaf_ports = free_ports(3), free_ports(3)
    hub = servers.start(
        kinds[0],
        "hub",
        f"leafnodes {{\n  listen: {json.dumps(f'{HOST}:{hub_ports[2]}')}\n"
        f"  {tls_block(certs, verify=False)}\n}}\n",
        hub_ports,
    )
    url = json.dumps(f"nats-leaf://{HOST}:{hub_ports[2]}")
    ca = json.dumps(certs["ca"])
    leaf = servers.start(
        kinds[1],
        "leaf",
        f"leafnodes {{\n  remotes: [ {{ url: {url}, tls {{ ca_file: {ca} }} }} ]\n}}\n",
        leaf_ports,
    )
    wait_for(lambda: leafz(hub)["leafnodes"] == 1, "the hub lists the leaf")
    wait_for(lambda: leafz(leaf)["leafnodes"] == 1, "the leaf lists the hub")
    asyncio.run(crosses(hub.url, leaf.url))
    asyncio.run(crosses(leaf.url, hub.url))
