"""Stream exports and imports: an exporting account's messages delivered into an importing
account, under a ``prefix`` or as ``to``; one way only; a private export refuses the
accounts it does not name. Side by side with nats-server."""

from __future__ import annotations

from typing import Any

import pytest
from fastnats import ConfigError

from .clients import as_user, next_subject, nothing_before_marker, sync

pytestmark = pytest.mark.timeout(60)


def accounts(export: dict[str, Any], **imports: dict[str, Any]) -> dict[str, Any]:
    """Account A exporting ``export``; one account per keyword importing from A."""
    out: dict[str, Any] = {
        "A": {"users": [{"user": "a", "password": "a"}], "exports": [export]},
    }
    for name, entry in imports.items():
        user = name.lower()
        out[name] = {"users": [{"user": user, "password": user}], "imports": [entry]}
    return out


def stream_import(subject: str, **options: str) -> dict[str, Any]:
    return {"stream": {"account": "A", "subject": subject}, **options}


async def test_prefixed_import_and_one_way(start_server):
    srv = start_server(
        accounts=accounts({"stream": "events.>"}, B=stream_import("events.>", prefix="fromA"))
    )
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    try:
        sub_b = await b.subscribe("fromA.>")
        sub_a = await a.subscribe("events.>")
        await sync(b)
        await sync(a)
        await a.publish("events.1", b"hello")
        await sync(a)
        msg = await sub_b.next_msg(timeout=5)
        assert (msg.subject, msg.data) == ("fromA.events.1", b"hello")
        assert await next_subject(sub_a) == "events.1"
        # B publishing the exported subject does not reach A: imports are one way.
        await b.publish("events.1", b"from B")
        await sync(b)
        await nothing_before_marker(sub_a, a, "events.marker")
    finally:
        await a.close()
        await b.close()


async def test_import_mapped_with_to(start_server):
    srv = start_server(
        accounts=accounts({"stream": "orders.new"}, B=stream_import("orders.new", to="a.orders"))
    )
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    try:
        sub = await b.subscribe("a.orders")
        await sync(b)
        await a.publish("orders.new", b"1")
        await a.publish("orders.old", b"not exported")
        await sync(a)
        msg = await sub.next_msg(timeout=5)
        assert (msg.subject, msg.data) == ("a.orders", b"1")
    finally:
        await a.close()
        await b.close()


async def test_public_export_reaches_every_importer(start_server):
    srv = start_server(
        accounts=accounts(
            {"stream": "news"},
            B=stream_import("news", prefix="b"),
            C=stream_import("news", prefix="c"),
        )
    )
    a, b, c = await as_user(srv, "a"), await as_user(srv, "b"), await as_user(srv, "c")
    try:
        sub_b, sub_c = await b.subscribe("b.news"), await c.subscribe("c.news")
        await sync(b)
        await sync(c)
        await a.publish("news", b"x")
        assert await next_subject(sub_b) == "b.news"
        assert await next_subject(sub_c) == "c.news"
    finally:
        for nc in (a, b, c):
            await nc.close()


async def test_private_export_to_the_named_account(start_server):
    srv = start_server(
        accounts=accounts(
            {"stream": "private.>", "accounts": ["B"]}, B=stream_import("private.>", prefix="p")
        )
    )
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    try:
        sub = await b.subscribe("p.private.>")
        await sync(b)
        await a.publish("private.1", b"")
        assert await next_subject(sub) == "p.private.1"
    finally:
        await a.close()
        await b.close()


def test_importing_a_private_export_not_granted_is_a_config_error(start_server):
    # nats-server refuses the whole configuration (at start, and with -t).
    with pytest.raises((ConfigError, RuntimeError), match="stream import not authorized"):
        start_server(
            accounts=accounts(
                {"stream": "private.>", "accounts": ["B"]},
                B=stream_import("private.>"),
                C=stream_import("private.>"),
            )
        )


def test_importing_what_is_not_exported_is_a_config_error(start_server):
    with pytest.raises((ConfigError, RuntimeError), match="stream import not authorized"):
        start_server(accounts=accounts({"stream": "events.>"}, B=stream_import("other.>")))
