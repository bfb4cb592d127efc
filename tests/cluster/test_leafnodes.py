"""Leaf nodes between fastnats and nats-server (issue 14, item 3), side by side.

Each test runs a hub and a leaf on loopback ports, each a process reading its own config file
in nats-server's format, for every pairing of kinds: nats-server with nats-server (the
reference), a fastnats leaf of a nats-server hub, a nats-server leaf of a fastnats hub, and
fastnats on both sides. Checked: the connection forms (``/leafz`` on both sides), messages
with headers both ways, request/reply across, queue groups (the local member is preferred
across a leaf connection), unsubscribe, credentials (user/password bound to an account, a
wrong password forms nothing and crashes nothing), ``deny_imports``/``deny_exports``, and a
loop (two servers each a leaf of the other) detected. No sleeps decide anything: conditions
are polled with bounded waits, absence is checked after a flush round trip.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nats
import pytest

from .conftest import HOST, Node, Servers, free_ports, interest_reaches, leafz, settle, wait_for

PAIRS = [
    pytest.param(("2.15", "2.15"), id="nats-server-hub+nats-server-leaf"),
    pytest.param(("2.15", "fastnats"), id="nats-server-hub+fastnats-leaf"),
    pytest.param(("fastnats", "2.15"), id="fastnats-hub+nats-server-leaf"),
    pytest.param(("fastnats", "fastnats"), id="fastnats-hub+fastnats-leaf"),
    pytest.param(("2.10", "fastnats"), id="nats-server-2.10-hub+fastnats-leaf"),
]


def hub_and_leaf(
    servers: Servers,
    kinds: tuple[str, str],
    *,
    hub_top: str = "",
    hub_extra: str = "",
    remote_extra: str = "",
    credentials: str = "",
    connected: bool = True,
) -> tuple[Node, Node]:
    hub_ports, leaf_ports = free_ports(3), free_ports(3)
    hub = servers.start(
        kinds[0],
        "hub",
        hub_top
        + f"leafnodes {{\n  listen: {json.dumps(f'{HOST}:{hub_ports[2]}')}\n{hub_extra}\n}}\n",
        hub_ports,
    )
    url = f"nats-leaf://{credentials}{HOST}:{hub_ports[2]}"
    leaf = servers.start(
        kinds[1],
        "leaf",
        f"leafnodes {{\n  remotes: [ {{ url: {json.dumps(url)}\n{remote_extra}\n }} ]\n}}\n",
        leaf_ports,
    )
    if connected:
        wait_for(lambda: leafz(hub)["leafnodes"] == 1, "the hub lists the leaf")
        wait_for(lambda: leafz(leaf)["leafnodes"] == 1, "the leaf lists the hub")
    return hub, leaf


@pytest.mark.parametrize("kinds", PAIRS)
def test_messages_requests_and_leafz_both_ways(servers: Servers, kinds: tuple[str, str]) -> None:
    hub, leaf = hub_and_leaf(servers, kinds)
    hub_view, leaf_view = leafz(hub), leafz(leaf)
    assert hub_view["leafs"][0]["account"] == "$G"
    assert hub_view["leafs"][0]["name"] == "leaf"
    assert leaf_view["leafs"][0]["name"] == "hub"

    async def body() -> None:
        h = await nats.connect(hub.url)
        lf = await nats.connect(leaf.url)
        down = await lf.subscribe("down.>")
        up = await h.subscribe("up")
        await interest_reaches(h, down, "down.probe")
        await interest_reaches(lf, up, "up")
        await h.publish("down.x", b"to the leaf", headers={"K": "v"})
        msg = await down.next_msg(timeout=5)
        assert (msg.subject, msg.data, msg.headers) == ("down.x", b"to the leaf", {"K": "v"})
        await lf.publish("up", b"to the hub")
        assert (await up.next_msg(timeout=5)).data == b"to the hub"

        async def answer(m: Any) -> None:
            await m.respond(b"answered:" + m.data)

        await h.subscribe("svc", cb=answer)
        probe = await lf.subscribe("svc.ready")
        await interest_reaches(h, probe, "svc.ready")
        reply = await lf.request("svc", b"q", timeout=5)
        assert reply.data == b"answered:q"

        # Unsubscribe crosses too: the hub drops the leaf's interest in down.>.
        def listed() -> list[str]:
            row = leafz(hub)["leafs"][0]
            return list(row.get("subscriptions_list") or [])

        assert "down.>" in listed()
        await down.unsubscribe()
        await settle(lf)
        wait_for(lambda: "down.>" not in listed(), "the hub drops the leaf's down.> interest")
        await h.close()
        await lf.close()

    asyncio.run(body())


@pytest.mark.parametrize("kinds", PAIRS)
def test_queue_members_on_the_publishers_side_come_first(
    servers: Servers, kinds: tuple[str, str]
) -> None:
    hub, leaf = hub_and_leaf(servers, kinds)

    async def body() -> None:
        h = await nats.connect(hub.url)
        lf = await nats.connect(leaf.url)
        on_hub = await h.subscribe("work", queue="q")
        on_leaf = await lf.subscribe("work", queue="q")
        watch = await h.subscribe("work")
        await interest_reaches(lf, watch, "work")
        # Drain what the probe left with the queue members.
        await settle(h, lf)
        for sub in (on_hub, on_leaf):
            while sub.pending_msgs:
                await sub.next_msg(timeout=1)
        for _ in range(100):
            await lf.publish("work", b"x")
        await settle(lf, h)
        for _ in range(100):
            await watch.next_msg(timeout=5)
        assert on_leaf.pending_msgs == 100
        assert on_hub.pending_msgs == 0
        await h.close()
        await lf.close()

    asyncio.run(body())


@pytest.mark.parametrize("kinds", PAIRS)
def test_credentials_bind_an_account_and_a_wrong_password_forms_nothing(
    servers: Servers, kinds: tuple[str, str]
) -> None:
    accounts = "accounts { A: { users: [ { user: a, password: a } ] } }\n"
    hub_extra = "  authorization { user: lu, password: lp, account: A }"
    hub, leaf = hub_and_leaf(
        servers, kinds, hub_top=accounts, hub_extra=hub_extra, credentials="lu:lp@"
    )
    assert leafz(hub)["leafs"][0]["account"] == "A"
    # The account has no client, only the leaf connection: /accstatz lists it (2.15 does;
    # 2.10 lists only accounts with client connections).
    if kinds[0] != "2.10":
        stat = {a["acc"]: a for a in hub.get("/accstatz")["account_statz"]}
        assert (stat["A"]["leafnodes"], stat["A"]["conns"], stat["A"]["total_conns"]) == (1, 0, 1)

    bad_hub, bad_leaf = hub_and_leaf(
        servers,
        kinds,
        hub_top=accounts,
        hub_extra=hub_extra,
        credentials="lu:wrong@",
        connected=False,
    )

    async def body() -> None:
        # Both still serve their clients; the bad pair formed no leaf connection.
        for url in (bad_hub.url.replace("nats://", "nats://a:a@"), bad_leaf.url):
            c = await nats.connect(url)
            sub = await c.subscribe("alive")
            await c.publish("alive", b"1")
            assert (await sub.next_msg(timeout=5)).data == b"1"
            await c.close()

    asyncio.run(body())
    assert leafz(bad_hub)["leafnodes"] == 0
    assert leafz(bad_leaf)["leafnodes"] == 0


@pytest.mark.parametrize("kinds", PAIRS)
def test_deny_imports_and_exports(servers: Servers, kinds: tuple[str, str]) -> None:
    remote = '  deny_imports: ["secret.in"]\n  deny_exports: ["secret.out"]'
    hub, leaf = hub_and_leaf(servers, kinds, remote_extra=remote)

    async def body() -> None:
        h = await nats.connect(hub.url)
        lf = await nats.connect(leaf.url)
        on_leaf = await lf.subscribe("secret.>")
        on_hub = await h.subscribe("secret.>")
        await interest_reaches(h, on_leaf, "secret.probe")
        await interest_reaches(lf, on_hub, "secret.probe")

        async def until_end(sub: Any, marker: str) -> list[str]:
            """Subjects received up to `marker`, probes and markers left out (a message from
            the other server arrives in order with its marker)."""
            seen: list[str] = []
            while True:
                subject = (await sub.next_msg(timeout=5)).subject
                if subject == marker:
                    return seen
                if subject != "secret.probe" and not subject.startswith("secret.end"):
                    seen.append(subject)

        await h.publish("secret.in", b"denied")
        await h.publish("secret.ok", b"allowed")
        await h.publish("secret.end.h", b"")
        got_leaf = await until_end(on_leaf, "secret.end.h")
        await lf.publish("secret.out", b"denied")
        await lf.publish("secret.ok2", b"allowed")
        await lf.publish("secret.end.l", b"")
        got_hub = await until_end(on_hub, "secret.end.l")
        assert got_leaf == ["secret.ok"]
        # The hub's own secret.in reached its own subscriber before the marker.
        assert got_hub[:2] == ["secret.in", "secret.ok"]
        assert "secret.out" not in got_hub and got_hub[-1] == "secret.ok2"
        await h.close()
        await lf.close()

    asyncio.run(body())


@pytest.mark.parametrize(
    "kinds",
    [
        pytest.param(("2.15", "2.15"), id="nats-server+nats-server"),
        pytest.param(("fastnats", "2.15"), id="fastnats+nats-server"),
        pytest.param(("fastnats", "fastnats"), id="fastnats+fastnats"),
    ],
)
def test_a_leaf_loop_is_detected(servers: Servers, kinds: tuple[str, str]) -> None:
    a_ports, b_ports = free_ports(3), free_ports(3)

    def config(own: int, other: int) -> str:
        url = f"nats-leaf://{HOST}:{other}"
        return (
            f"leafnodes {{\n  listen: {json.dumps(f'{HOST}:{own}')}\n"
            f"  remotes: [ {{ url: {json.dumps(url)} }} ]\n}}\n"
        )

    a = servers.start(kinds[0], "a", config(a_ports[2], b_ports[2]), a_ports)
    b = servers.start(kinds[1], "b", config(b_ports[2], a_ports[2]), b_ports)
    wait_for(
        lambda: "Loop detected" in a.log() or "Loop detected" in b.log(),
        "a loop is reported",
    )
    # Both still serve their clients.
    for node in (a, b):
        assert node.varz()["server_id"] == node.server_id


@pytest.mark.parametrize("kinds", PAIRS)
def test_a_leaf_signs_the_hubs_nonce_with_its_nkey(
    servers: Servers, kinds: tuple[str, str]
) -> None:
    """The hub has no leaf authorization: the leaf is authenticated as a client, here by an
    nkey user; the leaf's remote signs the hub's nonce with the seed."""
    from ..security.creds import new_nkey_user

    user = new_nkey_user()
    hub_top = f"authorization {{ users: [ {{ nkey: {json.dumps(user.public)} }} ] }}\n"
    hub, leaf = hub_and_leaf(
        servers, kinds, hub_top=hub_top, remote_extra=f"  nkey: {json.dumps(user.seed)}"
    )
    assert leafz(hub)["leafs"][0]["name"] == "leaf"

    async def body() -> None:
        lf = await nats.connect(leaf.url)
        h = await nats.connect(hub.url, nkeys_seed_str=user.seed)
        sub = await h.subscribe("signed")
        await interest_reaches(lf, sub, "signed")
        await lf.close()
        await h.close()

    asyncio.run(body())
