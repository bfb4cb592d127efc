"""``/connz?auth=1`` names each connection's account (``"account"``), except for the global
account, as nats-server does; ``/connz?acc=A`` lists the connections of account A."""

from __future__ import annotations

from typing import Any

import pytest

from .clients import as_user, monitoring, sync

pytestmark = pytest.mark.timeout(60)


def connz(srv: Any, query: str) -> dict[str, Any]:
    result: dict[str, Any] = monitoring(srv, f"/connz?{query}")
    return result


async def test_connz_shows_the_account(start_server):
    srv = start_server(
        http_port=-1,
        authorization={"users": [{"user": "g", "password": "g"}]},
        accounts={
            "A": {"users": [{"user": "a", "password": "a"}]},
            "B": {"users": [{"user": "b", "password": "b"}]},
        },
        no_system_account=True,
    )
    clients = [await as_user(srv, name) for name in ("g", "a", "b")]
    try:
        for nc in clients:
            await sync(nc)
        conns = connz(srv, "auth=1")["connections"]
        accounts = {c["authorized_user"]: c.get("account") for c in conns}
        assert accounts == {"g": None, "a": "A", "b": "B"}
        assert all("account" not in c for c in connz(srv, "")["connections"])
        only_a = connz(srv, "acc=A&auth=1")["connections"]
        assert [c["authorized_user"] for c in only_a] == ["a"]
    finally:
        for nc in clients:
            await nc.close()
