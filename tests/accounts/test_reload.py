"""Reload that adds an account and a user: ``Server.reload`` for fastnats, SIGHUP with a
rewritten config file for nats-server (``RunningServer.reload``)."""

from __future__ import annotations

import nats.errors
import pytest

from .clients import as_user, next_subject, nothing_before_marker, sync

pytestmark = pytest.mark.timeout(60)


async def test_reload_adds_an_account_and_a_user(start_server):
    srv = start_server(accounts={"A": {"users": [{"user": "a", "password": "a"}]}})
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await as_user(srv, "b")
    a = await as_user(srv, "a")
    try:
        srv.reload(
            accounts={
                "A": {"users": [{"user": "a", "password": "a"}, {"user": "a2", "password": "a2"}]},
                "B": {"users": [{"user": "b", "password": "b"}]},
            }
        )
        a2, b = await as_user(srv, "a2"), await as_user(srv, "b")
        try:
            sub_a2, sub_b = await a2.subscribe("r"), await b.subscribe("r")
            await sync(a2)
            await sync(b)
            await a.publish("r", b"")  # the connection made before the reload still works
            await sync(a)
            assert await next_subject(sub_a2) == "r"  # a2 joined A
            await nothing_before_marker(sub_b, b, "r")  # B is another account
        finally:
            await a2.close()
            await b.close()
    finally:
        await a.close()
