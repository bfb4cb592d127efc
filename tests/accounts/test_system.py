"""The system account, side by side with nats-server: the monitoring requests
(``$SYS.REQ.SERVER.PING[.<Z>]``, ``$SYS.REQ.SERVER.<id>.<Z>``, ``$SYS.REQ.ACCOUNT.<acc>.<Z>``)
with their ``{"server", "data"}`` replies, ``$SYS.REQ.USER.INFO`` from any account (and without
a configured system account), the per-account imports (``$SYS.REQ.ACCOUNT.PING.CONNZ``), and
the connect/disconnect events with nats-server's JSON field names."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from .clients import TIMEOUT, as_user, connect, sync

pytestmark = pytest.mark.timeout(60)

ACCOUNTS = {
    "SYS": {"users": [{"user": "sys", "password": "sys"}]},
    "A": {"users": [{"user": "a", "password": "a"}]},
}
SERVER_KEYS = {"name", "host", "id", "ver", "jetstream", "flags", "seq", "time"}


def system_server(start_server: Any) -> Any:
    return start_server(accounts=ACCOUNTS, system_account="SYS")


async def request(nc: Any, subject: str, body: bytes = b"") -> dict[str, Any]:
    msg = await nc.request(subject, body, timeout=TIMEOUT)
    reply: dict[str, Any] = json.loads(msg.data)
    return reply


async def test_server_ping_answers_statsz(start_server):
    srv = system_server(start_server)
    sys = await as_user(srv, "sys")
    try:
        reply = await request(sys, "$SYS.REQ.SERVER.PING")
        assert set(reply) == {"server", "statsz"}
        assert SERVER_KEYS <= set(reply["server"])
        statsz = reply["statsz"]
        for key in ("start", "mem", "cores", "connections", "total_connections", "sent"):
            assert key in statsz, key
        assert statsz["connections"] >= 1
        assert set(statsz["sent"]) >= {"msgs", "bytes"}
    finally:
        await sys.close()


@pytest.mark.parametrize(
    ("z", "key"),
    [("VARZ", "server_id"), ("CONNZ", "num_connections"), ("SUBSZ", "num_subscriptions"),
     ("HEALTHZ", "status"), ("ROUTEZ", "num_routes"), ("LEAFZ", "leafnodes")],
)
async def test_ping_z_requests_wrap_the_endpoint_documents(start_server, z, key):
    srv = system_server(start_server)
    sys = await as_user(srv, "sys")
    try:
        for subject in (f"$SYS.REQ.SERVER.PING.{z}", None):
            if subject is None:  # the same, addressed to this server by its id
                server_id = (await request(sys, "$SYS.REQ.SERVER.PING.IDZ"))["id"]
                subject = f"$SYS.REQ.SERVER.{server_id}.{z}"
            reply = await request(sys, subject)
            assert set(reply) == {"server", "data"}, subject
            assert key in reply["data"]
            assert SERVER_KEYS <= set(reply["server"])
    finally:
        await sys.close()


@pytest.mark.parametrize("jetstream", [False, True])
async def test_jsz_answers_with_the_jsz_document(start_server, tmp_path, jetstream):
    accounts = ACCOUNTS
    options: dict[str, Any] = {}
    if jetstream:
        accounts = {**ACCOUNTS, "A": {**ACCOUNTS["A"], "jetstream": True}}
        options["jetstream"] = {"store_dir": str(tmp_path / "js")}
    srv = start_server(accounts=accounts, system_account="SYS", **options)
    sys = await as_user(srv, "sys")
    try:
        reply = await request(sys, "$SYS.REQ.SERVER.PING.JSZ")
        assert set(reply) == {"server", "data"}
        data = reply["data"]
        assert data["accounts"] == (1 if jetstream else 0)
        assert data.get("disabled", False) is not jetstream
        assert "account_details" not in data
        reply = await request(sys, "$SYS.REQ.SERVER.PING.JSZ", b'{"accounts": true}')
        details = reply["data"].get("account_details") or []
        assert [d["name"] for d in details] == (["A"] if jetstream else [])
        if srv.native is not None:  # embedded: the same document from Server.jsz()
            local = srv.native.jsz(accounts=True)
            assert [d["name"] for d in local.get("account_details") or []] == [
                d["name"] for d in details
            ]
    finally:
        await sys.close()


async def test_idz_and_a_filter_that_selects_no_server(start_server):
    srv = system_server(start_server)
    sys = await as_user(srv, "sys")
    try:
        idz = await request(sys, "$SYS.REQ.SERVER.PING.IDZ")
        assert set(idz) == {"name", "host", "id"}
        inbox = sys.new_inbox()
        sub = await sys.subscribe(inbox)
        # a server outside a cluster has no cluster name: a cluster filter never selects it
        for body in (b'{"server_name": "no-such-server"}', b'{"cluster": "c"}'):
            await sys.publish("$SYS.REQ.SERVER.PING.VARZ", body, reply=inbox)
        await sync(sys)
        with pytest.raises(asyncio.TimeoutError):
            await sub.next_msg(timeout=0.5)
    finally:
        await sys.close()


async def test_account_connz_and_subsz_are_limited_to_the_account(start_server):
    srv = system_server(start_server)
    sys, a = await as_user(srv, "sys"), await as_user(srv, "a")
    try:
        await a.subscribe("a.only")
        await sync(a)
        connz = (await request(sys, "$SYS.REQ.ACCOUNT.A.CONNZ"))["data"]
        assert connz["num_connections"] == 1
        subsz = (await request(sys, "$SYS.REQ.ACCOUNT.A.SUBSZ"))["data"]
        assert "a.only" in [s["subject"] for s in subsz.get("subscriptions_list", [])]
        # An account's own clients reach their account's CONNZ through the system imports.
        own = (await request(a, "$SYS.REQ.ACCOUNT.PING.CONNZ"))["data"]
        assert own["num_connections"] == 1
        own = (await request(a, "$SYS.REQ.SERVER.PING.CONNZ"))["data"]
        assert own["num_connections"] == 1
        leafz = (await request(sys, "$SYS.REQ.ACCOUNT.A.LEAFZ"))["data"]
        assert (leafz["leafnodes"], leafz["leafs"]) == (0, [])
    finally:
        await a.close()
        await sys.close()


async def test_user_info_names_the_requester(start_server):
    srv = system_server(start_server)
    a = await as_user(srv, "a")
    try:
        reply = await request(a, "$SYS.REQ.USER.INFO")
        assert SERVER_KEYS <= set(reply["server"])
        data = reply["data"]
        assert (data["user"], data["account"]) == ("a", "A")
    finally:
        await a.close()


async def test_user_info_without_a_configured_system_account(start_server):
    srv = start_server()
    nc = await connect(srv)
    try:
        data = (await request(nc, "$SYS.REQ.USER.INFO"))["data"]
        assert data["account"] == "$G"
    finally:
        await nc.close()


async def test_connect_and_disconnect_events(start_server):
    srv = system_server(start_server)
    sys = await as_user(srv, "sys")
    try:
        # (`$SYS.ACCOUNT.A.SERVER.CONNS` too: see test_system_events.)
        connects = await sys.subscribe("$SYS.ACCOUNT.A.CONNECT")
        disconnects = await sys.subscribe("$SYS.ACCOUNT.A.DISCONNECT")
        await sync(sys)
        a = await connect(srv, user="a", password="a", name="worker")
        await a.publish("a.x", b"hello")
        await sync(a)
        await a.close()
        connect_msg = await connects.next_msg(timeout=TIMEOUT)
        assert connect_msg.subject == "$SYS.ACCOUNT.A.CONNECT"
        event = json.loads(connect_msg.data)
        assert event["type"] == "io.nats.server.advisory.v1.client_connect"
        assert {"type", "id", "timestamp", "server", "client"} <= set(event)
        client = event["client"]
        assert (client["acc"], client["user"], client["name"]) == ("A", "a", "worker")
        assert (client["kind"], client["client_type"]) == ("Client", "nats")
        assert {"start", "host", "id", "lang", "ver"} <= set(client)
        bye = await disconnects.next_msg(timeout=TIMEOUT)
        assert bye.subject == "$SYS.ACCOUNT.A.DISCONNECT"
        event = json.loads(bye.data)
        assert event["type"] == "io.nats.server.advisory.v1.client_disconnect"
        assert event["reason"] == "Client Closed"
        assert "stop" in event["client"]
        # nats-py's own PINGs are not messages: what the client sent is its publish and
        # the request `sync` made.
        assert event["sent"]["msgs"] >= 1 and set(event["sent"]) >= {"msgs", "bytes"}
        assert set(event["received"]) >= {"msgs", "bytes"}
    finally:
        await sys.close()


async def test_accountz_statz_and_info(start_server):
    srv = system_server(start_server)
    sys, a = await as_user(srv, "sys"), await as_user(srv, "a")
    try:
        accountz = (await request(sys, "$SYS.REQ.SERVER.PING.ACCOUNTZ"))["data"]
        assert {"A", "SYS"} <= set(accountz["accounts"])
        statz = (await request(sys, "$SYS.REQ.ACCOUNT.A.STATZ"))["data"]
        assert [(s["acc"], s["conns"]) for s in statz["account_statz"]] == [("A", 1)]
        info = (await request(sys, "$SYS.REQ.ACCOUNT.A.INFO"))["data"]
        assert info["account_name"] == "A"
        # A's clients reach their own account's STATZ through the system imports.
        own = (await request(a, "$SYS.REQ.ACCOUNT.PING.STATZ"))["data"]
        assert [s["acc"] for s in own["account_statz"]] == ["A"]
    finally:
        await a.close()
        await sys.close()


async def test_account_conns(start_server):
    srv = system_server(start_server)
    sys, a = await as_user(srv, "sys"), await as_user(srv, "a")
    try:
        conns = await request(sys, "$SYS.REQ.ACCOUNT.A.CONNS")
        assert conns["type"] == "io.nats.server.advisory.v1.account_connections"
        assert SERVER_KEYS <= set(conns["server"])
        assert (conns["acc"], conns["conns"], conns["total_conns"]) == ("A", 1, 1)
        for key in ("id", "timestamp", "leafnodes", "num_subscriptions", "sent", "received"):
            assert key in conns, key
    finally:
        await a.close()
        await sys.close()
