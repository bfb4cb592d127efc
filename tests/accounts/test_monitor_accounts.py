"""The per-account monitoring endpoints, against both servers: ``/accountz`` (the names, and
with ``acc`` one account's detail), ``/accstatz`` (per-account counts) and ``/subsz?acc=``.

Accounts are listed in no particular order by nats-server: lists are compared as sets. The
system account's services are not served by fastnats (their internal subscriptions, exports
and imports are nats-server's only), so the exact comparisons run without a system account.
"""

from __future__ import annotations

from typing import Any

import pytest

from .clients import as_user, monitoring, monitoring_error, until

pytestmark = pytest.mark.timeout(60)

USERS = {name: {"users": [{"user": name.lower(), "password": name.lower()}]} for name in "AB"}
ACCOUNTS: dict[str, Any] = {
    "A": {
        **USERS["A"],
        "exports": [
            {"stream": "s.>", "accounts": ["B"]},
            {"service": "svc.>", "response_type": "stream"},
            {"service": "one.x"},
        ],
    },
    "B": {
        **USERS["B"],
        "imports": [
            {"stream": {"account": "A", "subject": "s.>"}, "prefix": "fromA"},
            {"service": {"account": "A", "subject": "svc.x"}, "to": "ax"},
        ],
    },
    "C": {},
}
STATS = {
    "num_subscriptions",
    "num_cache",
    "num_inserts",
    "num_removes",
    "num_matches",
    "cache_hit_rate",
    "max_fanout",
    "avg_fanout",
}


def by_subject(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (item["type"], item["subject"]))


async def test_accountz_lists_the_accounts(start_server):
    srv = start_server(http_port=-1, accounts=ACCOUNTS, no_system_account=True)
    doc = monitoring(srv, "/accountz")
    assert set(doc) == {"server_id", "now", "accounts"}
    assert set(doc["accounts"]) == {"A", "B", "C", "$G"}
    assert sorted(doc["accounts"]) == sorted(set(doc["accounts"]))


async def test_accountz_names_the_system_account(start_server):
    srv = start_server(http_port=-1, accounts={"A": USERS["A"]})
    doc = monitoring(srv, "/accountz")
    assert doc["system_account"] == "$SYS"
    assert set(doc["accounts"]) == {"A", "$G", "$SYS"}
    detail = monitoring(srv, "/accountz?acc=$SYS")["account_detail"]
    assert detail["is_system"] is True
    assert "is_system" not in monitoring(srv, "/accountz?acc=A")["account_detail"]


async def test_accountz_detail(start_server):
    srv = start_server(http_port=-1, accounts=ACCOUNTS, no_system_account=True)
    nc = await as_user(srv, "a")
    try:
        await nc.subscribe("one.x")
        await nc.subscribe("svc.>", queue="q")
        await nc.flush()
        doc = await until(
            lambda: monitoring(srv, "/accountz?acc=A"),
            lambda d: d["account_detail"]["subscriptions"] == 2,
        )
        assert set(doc) == {"server_id", "now", "account_detail"}
        a = doc["account_detail"]
        assert list(a) == [
            "account_name",
            "update_time",
            "expired",
            "complete",
            "jetstream_enabled",
            "leafnode_connections",
            "client_connections",
            "subscriptions",
            "exports",
            "name_tag",
            "sublist_stats",
        ]
        assert (a["account_name"], a["name_tag"], a["client_connections"]) == ("A", "A", 1)
        assert (a["expired"], a["complete"], a["jetstream_enabled"]) == (False, True, False)
        assert a["leafnode_connections"] == 0
        assert set(a["sublist_stats"]) == STATS
        assert a["sublist_stats"]["num_subscriptions"] == 2
        assert by_subject(a["exports"]) == [
            {"subject": "one.x", "type": "service", "response_type": "Singleton"},
            {"subject": "svc.>", "type": "service", "response_type": "Streamed"},
            {"subject": "s.>", "type": "stream", "approved_accounts": ["B"]},
        ]
    finally:
        await nc.close()

    b = monitoring(srv, "/accountz?acc=B")["account_detail"]
    assert "exports" not in b
    assert by_subject(b["imports"]) == [
        {
            "subject": "svc.x",
            "account": "A",
            "to": "ax",
            "local_subject": "ax",
            "type": "service",
            "invalid": False,
            "share": False,
            "tracking": False,
        },
        {
            "subject": "s.>",
            "account": "A",
            "local_subject": "fromA.s.>",
            "type": "stream",
            "invalid": False,
            "share": False,
            "tracking": False,
        },
    ]
    c = monitoring(srv, "/accountz?acc=C")["account_detail"]
    assert "exports" not in c and "imports" not in c
    assert c["subscriptions"] == 0


async def test_accountz_unknown_account(start_server):
    srv = start_server(http_port=-1, accounts=ACCOUNTS, no_system_account=True)
    assert monitoring_error(srv, "/accountz?acc=nope") == (400, "Account nope does not exist")


async def test_accstatz(start_server):
    # No imports: nats-server counts a service import's internal subscription in the importer.
    srv = start_server(http_port=-1, accounts={**USERS, "C": {}}, no_system_account=True)
    clients = [await as_user(srv, name) for name in ("a", "a", "b")]
    try:
        sub = await clients[1].subscribe("x.>")
        await clients[2].subscribe("y")
        await clients[2].subscribe("z")
        for nc in clients:
            await nc.flush()

        def subs(doc: dict[str, Any]) -> dict[str, int]:
            return {s["acc"]: s["num_subscriptions"] for s in doc["account_statz"]}

        await until(lambda: monitoring(srv, "/accstatz"), lambda d: subs(d) == {"A": 1, "B": 2})
        for _ in range(3):
            await clients[0].publish("x.1", b"hello")
        for _ in range(3):
            await sub.next_msg(timeout=5)
        doc = monitoring(srv, "/accstatz")
        assert set(doc) == {"server_id", "now", "account_statz"}
        stats = {s["acc"]: s for s in doc["account_statz"]}
        a = stats["A"]
        assert list(a) == [
            "acc",
            "name",
            "conns",
            "leafnodes",
            "total_conns",
            "num_subscriptions",
            "sent",
            "received",
            "slow_consumers",
        ]
        assert (a["name"], a["conns"], a["total_conns"], a["leafnodes"]) == ("A", 2, 2, 0)
        assert (stats["B"]["conns"], stats["B"]["total_conns"]) == (1, 1)
        for direction in ("sent", "received"):
            assert set(a[direction]) == {"msgs", "bytes", "gateways", "routes", "leafs"}
            assert a[direction]["routes"] == {"msgs": 0, "bytes": 0}
        assert {k: a["received"][k] for k in ("msgs", "bytes")} == {"msgs": 3, "bytes": 15}
        assert {k: a["sent"][k] for k in ("msgs", "bytes")} == {"msgs": 3, "bytes": 15}
        assert stats["B"]["received"]["msgs"] == stats["B"]["sent"]["msgs"] == 0
        assert a["slow_consumers"] == 0

        unused = monitoring(srv, "/accstatz?unused=1")
        every = {s["acc"]: s for s in unused["account_statz"]}
        assert set(every) == {"A", "B", "C", "$G"}
        assert (every["C"]["conns"], every["C"]["num_subscriptions"]) == (0, 0)
    finally:
        for nc in clients:
            await nc.close()


async def test_accstatz_bad_unused(start_server):
    srv = start_server(http_port=-1, accounts=ACCOUNTS, no_system_account=True)
    status, body = monitoring_error(srv, "/accstatz?unused=x")
    assert status == 400
    assert body == (
        "Error decoding boolean for 'unused': strconv.ParseBool: parsing \"x\": invalid syntax"
    )


async def test_subsz_of_one_account(start_server):
    srv = start_server(http_port=-1, accounts=ACCOUNTS, no_system_account=True)
    clients = [await as_user(srv, name) for name in ("a", "b")]
    try:
        await clients[0].subscribe("a.one")
        await clients[0].subscribe("a.two")
        await clients[1].subscribe("b.one")
        for nc in clients:
            await nc.flush()
        doc = await until(lambda: monitoring(srv, "/subsz?acc=A&subs=1"), lambda d: d["total"] == 2)
        assert doc["num_subscriptions"] == 2
        listed = sorted(
            (s["account"], s["account_tag"], s["subject"]) for s in doc["subscriptions_list"]
        )
        assert listed == [("A", "A", "a.one"), ("A", "A", "a.two")]
        b = monitoring(srv, "/subsz?acc=B&subs=1&test=b.one")
        assert [s["subject"] for s in b["subscriptions_list"]] == ["b.one"]
        every = monitoring(srv, "/subsz?subs=1")
        assert {s["account"] for s in every["subscriptions_list"]} == {"A", "B"}
        none = monitoring(srv, "/subsz?acc=nope&subs=1")
        assert (none["num_subscriptions"], none["total"]) == (0, 0)
        assert "subscriptions_list" not in none
    finally:
        for nc in clients:
            await nc.close()
