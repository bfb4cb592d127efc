"""Accounts are separate subject spaces: the same subject in two accounts are two subjects.
Users log in to their account by password or nkey, with their own permissions or the
account's ``default_permissions``; ``no_auth_user`` may name an account's user. Run against
fastnats and nats-server with the same nats-py clients."""

from __future__ import annotations

import nats.errors
import pytest

from ..security.creds import new_nkey_user
from .clients import as_user, connect, next_subject, nothing_before_marker, sync

pytestmark = pytest.mark.timeout(60)


def two_accounts() -> dict:
    return {
        "A": {"users": [{"user": "a", "password": "a"}]},
        "B": {"users": [{"user": "b", "password": "b"}]},
    }


async def test_a_message_stays_in_its_account(start_server):
    srv = start_server(accounts=two_accounts())
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    try:
        sub_a = await a.subscribe("events.>")
        sub_b = await b.subscribe("events.>")
        await sync(a)
        await sync(b)
        await a.publish("events.1", b"from A")
        await sync(a)
        assert await next_subject(sub_a) == "events.1"
        await nothing_before_marker(sub_b, b, "events.marker")
        await b.publish("events.2", b"from B")
        await sync(b)
        assert await next_subject(sub_b) == "events.2"
        await nothing_before_marker(sub_a, a, "events.marker")
    finally:
        await a.close()
        await b.close()


async def test_the_global_account_is_separate_too(start_server):
    srv = start_server(
        authorization={"users": [{"user": "g", "password": "g"}]}, accounts=two_accounts()
    )
    g, a = await as_user(srv, "g"), await as_user(srv, "a")
    try:
        sub_g = await g.subscribe("x")
        await sync(g)
        await a.publish("x", b"from A")
        await sync(a)
        await nothing_before_marker(sub_g, g, "x")
    finally:
        await g.close()
        await a.close()


async def test_nkey_users_log_in_to_their_account(start_server):
    alice, bob = new_nkey_user(), new_nkey_user()
    srv = start_server(
        accounts={"A": {"users": [{"nkey": alice.public}]}, "B": {"users": [{"nkey": bob.public}]}}
    )
    a = await connect(srv, nkeys_seed_str=alice.seed)
    b = await connect(srv, nkeys_seed_str=bob.seed)
    a2 = await connect(srv, nkeys_seed_str=alice.seed)
    try:
        sub_a2 = await a2.subscribe("n")
        sub_b = await b.subscribe("n")
        await sync(a2)
        await sync(b)
        await a.publish("n", b"")
        await sync(a)
        assert await next_subject(sub_a2) == "n"
        await nothing_before_marker(sub_b, b, "n")
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await connect(srv, nkeys_seed_str=new_nkey_user().seed)
    finally:
        for nc in (a, b, a2):
            await nc.close()


async def test_a_wrong_password_is_refused(start_server):
    srv = start_server(accounts=two_accounts())
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await as_user(srv, "a", "wrong")
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await connect(srv)


async def test_user_permissions_and_account_default_permissions(start_server):
    srv = start_server(
        accounts={
            "A": {
                "users": [
                    {"user": "own", "password": "own", "permissions": {"publish": "p.own.>"}},
                    {"user": "dflt", "password": "dflt"},
                    {"user": "w", "password": "w", "permissions": {"publish": ">"}},
                ],
                "default_permissions": {"publish": "p.dflt.>", "subscribe": ">"},
            }
        }
    )
    errors: list[Exception] = []

    async def collect(e: Exception) -> None:
        errors.append(e)

    watcher = await as_user(srv, "w")
    own = await connect(srv, user="own", password="own", error_cb=collect)
    dflt = await connect(srv, user="dflt", password="dflt", error_cb=collect)
    try:
        sub = await watcher.subscribe("p.>")
        await sync(watcher)
        # The refused one first: once the allowed one is delivered, both were handled.
        await own.publish("p.dflt.1", b"")  # not own's
        await own.publish("p.own.1", b"")
        await dflt.publish("p.own.2", b"")  # not in the account's default permissions
        await dflt.publish("p.dflt.2", b"")
        got = {await next_subject(sub), await next_subject(sub)}
        assert got == {"p.own.1", "p.dflt.2"}
        await nothing_before_marker(sub, watcher, "p.marker")
        await own.flush()  # the -ERR came before the PONG
        await dflt.flush()
        texts = sorted(str(e).lower() for e in errors)
        assert any('publish to "p.dflt.1"' in t for t in texts), texts
        assert any('publish to "p.own.2"' in t for t in texts), texts
    finally:
        for nc in (watcher, own, dflt):
            await nc.close()


async def test_no_auth_user_can_name_an_account_user(start_server):
    srv = start_server(accounts=two_accounts(), authorization={"no_auth_user": "b"})
    anonymous, b, a = await connect(srv), await as_user(srv, "b"), await as_user(srv, "a")
    try:
        sub_b = await b.subscribe("who")
        sub_a = await a.subscribe("who")
        await sync(b)
        await sync(a)
        await anonymous.publish("who", b"anonymous")
        await sync(anonymous)
        msg = await sub_b.next_msg(timeout=5)
        assert msg.data == b"anonymous"  # the client without credentials is in B
        await nothing_before_marker(sub_a, a, "who")
    finally:
        for nc in (anonymous, b, a):
            await nc.close()
