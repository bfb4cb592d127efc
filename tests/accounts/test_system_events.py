"""The system account's periodic and account events, side by side with nats-server:
``$SYS.ACCOUNT.<acc>.SERVER.CONNS`` (and the old ``$SYS.SERVER.ACCOUNT.<acc>.CONNS``) when an
account's connections change, ``$SYS.SERVER.<id>.STATSZ`` (its heartbeat), and the account
counters that keep a closed connection's messages (``$SYS.REQ.ACCOUNT.<acc>.STATZ``).

Only field names and shapes are compared with nats-server, and the figures both servers must
agree on; ids, times and sequence numbers differ by nature."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from .clients import TIMEOUT, as_user, sync

pytestmark = pytest.mark.timeout(60)

ACCOUNTS = {
    "SYS": {"users": [{"user": "sys", "password": "sys"}]},
    "A": {"users": [{"user": "a", "password": "a"}]},
}
SERVER_KEYS = {"name", "host", "id", "ver", "jetstream", "flags", "seq", "time"}
# nats-server's AccountNumConns (2.10+): TypedEvent, server, then AccountStat.
CONNS_KEYS = {
    "type", "id", "timestamp", "server", "acc", "name", "conns", "leafnodes", "total_conns",
    "num_subscriptions", "sent", "received", "slow_consumers",
}  # fmt: skip
DATA_STATS_KEYS = {"msgs", "bytes", "gateways", "routes", "leafs"}
STATSZ_KEYS = {
    "start", "mem", "cores", "cpu", "connections", "total_connections", "active_accounts",
    "subscriptions", "sent", "sent_to_clients", "received", "received_from_clients",
    "slow_consumers", "active_servers",
}  # fmt: skip
# The statsz heartbeat backs off to 10 s: the next one is at most that far.
STATSZ_WAIT = 15.0


def system_server(start_server: Any) -> Any:
    return start_server(accounts=ACCOUNTS, system_account="SYS")


async def next_event(sub: Any, subject: str) -> dict[str, Any]:
    """The next event ``sub`` gets on ``subject`` (others are skipped: nats-server queues its
    events, so the system user's own account's may come after the subscription)."""
    while True:
        msg = await sub.next_msg(timeout=TIMEOUT)
        if msg.subject == subject:
            event: dict[str, Any] = json.loads(msg.data)
            return event


def check_conns_event(event: dict[str, Any]) -> None:
    assert set(event) == CONNS_KEYS
    assert event["type"] == "io.nats.server.advisory.v1.account_connections"
    assert SERVER_KEYS <= set(event["server"])
    assert (event["acc"], event["name"], event["leafnodes"]) == ("A", "A", 0)
    assert event["total_conns"] == event["conns"]
    for side in ("sent", "received"):
        assert set(event[side]) == DATA_STATS_KEYS
        assert event[side]["routes"] == {"msgs": 0, "bytes": 0}


async def test_account_conns_events_on_connect_and_disconnect(start_server):
    srv = system_server(start_server)
    sys = await as_user(srv, "sys")
    try:
        new = await sys.subscribe("$SYS.ACCOUNT.*.SERVER.CONNS")
        old = await sys.subscribe("$SYS.SERVER.ACCOUNT.*.CONNS")
        await sync(sys)
        a = await as_user(srv, "a")
        await a.publish("a.x", b"hello")
        await sync(a)
        await a.close()
        subjects = {new: "$SYS.ACCOUNT.A.SERVER.CONNS", old: "$SYS.SERVER.ACCOUNT.A.CONNS"}
        for sub, subject in subjects.items():
            joined = await next_event(sub, subject)
            check_conns_event(joined)
            assert joined["conns"] == 1
            left = await next_event(sub, subject)
            check_conns_event(left)
            assert left["conns"] == 0
            # The publish and sync's request: counted in A after the client left.
            # Kept in A after the client left: it published "hello", and sync's request and
            # its echo; the request and the echo's reply were delivered to it.
            received, sent = left["received"], left["sent"]
            assert (received["msgs"], received["bytes"]) == (3, 5)
            assert (sent["msgs"], sent["bytes"]) == (2, 0)
    finally:
        await sys.close()


async def test_statz_keeps_the_messages_of_a_closed_connection(start_server):
    srv = system_server(start_server)
    sys, listener = await as_user(srv, "sys"), await as_user(srv, "a")
    try:
        sub = await listener.subscribe("a.x")
        await sync(listener)
        a = await as_user(srv, "a")
        for _ in range(3):
            await a.publish("a.x", b"hello")
        for _ in range(3):
            await sub.next_msg(timeout=TIMEOUT)
        await a.close()

        async def statz() -> dict[str, Any]:
            msg = await sys.request("$SYS.REQ.ACCOUNT.A.STATZ", b"", timeout=TIMEOUT)
            stats: list[dict[str, Any]] = json.loads(msg.data)["data"]["account_statz"]
            return stats[0]

        stat = await statz()
        for _ in range(100):  # until the server has seen the client go
            if stat["conns"] == 1:
                break
            await asyncio.sleep(0.05)
            stat = await statz()
        assert (stat["acc"], stat["conns"], stat["total_conns"]) == ("A", 1, 1)
        # The closed publisher's three messages (and the listener's sync, a request and its
        # echo, 0 bytes each) in and out.
        assert (stat["received"]["msgs"], stat["received"]["bytes"]) == (5, 15)
        assert (stat["sent"]["msgs"], stat["sent"]["bytes"]) == (5, 15)
        assert stat["slow_consumers"] == 0
    finally:
        await listener.close()
        await sys.close()


async def test_statsz_heartbeat(start_server):
    srv = system_server(start_server)
    sys = await as_user(srv, "sys")
    try:
        sub = await sys.subscribe("$SYS.SERVER.*.STATSZ")
        await sync(sys)
        msg = await sub.next_msg(timeout=STATSZ_WAIT)
        event = json.loads(msg.data)
        assert set(event) == {"server", "statsz"}
        assert SERVER_KEYS <= set(event["server"])
        assert msg.subject == f"$SYS.SERVER.{event['server']['id']}.STATSZ"
        statsz = event["statsz"]
        assert STATSZ_KEYS <= set(statsz)
        assert statsz["connections"] >= 1
        assert set(statsz["sent"]) >= {"msgs", "bytes"}
    finally:
        await sys.close()
