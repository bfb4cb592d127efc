"""Service exports and imports: requests an importing account publishes on ``to`` are
answered by a responder in the exporting account, which sees the exported subject, a reply
subject of nats-server's ``_R_.xxxxxx.yyyyyy`` form and a ``Nats-Request-Info`` header
naming the requesting account; ``response_type`` decides how many responses pass back; no
responder is no-responders, as for a local service. Side by side with nats-server."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import nats.errors
import pytest
from fastnats import ConfigError

from .clients import TIMEOUT, as_user, sync

pytestmark = pytest.mark.timeout(60)

REPLY = re.compile(r"^_R_\.[0-9A-Za-z]{6}\.[0-9A-Za-z]{6}$")


def answer(data: bytes) -> Any:
    """A responder callback answering ``data``."""

    async def respond(msg: Any) -> None:
        await msg.respond(data)

    return respond


def service_accounts(**export: Any) -> dict[str, Any]:
    """A exports ``svc.echo`` (with ``export``'s options); B imports it as ``a.echo``."""
    return {
        "A": {
            "users": [{"user": "a", "password": "a"}],
            "exports": [{"service": "svc.echo", **export}],
        },
        "B": {
            "users": [{"user": "b", "password": "b"}],
            "imports": [{"service": {"account": "A", "subject": "svc.echo"}, "to": "a.echo"}],
        },
    }


async def test_requests_from_the_importer_are_answered_by_the_exporter(start_server):
    srv = start_server(accounts=service_accounts())
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    seen: list[Any] = []

    async def respond(msg: Any) -> None:
        seen.append(msg)
        await msg.respond(b"echo:" + msg.data)

    try:
        await a.subscribe("svc.echo", cb=respond)
        await sync(a)
        for i in range(50):
            reply = await b.request("a.echo", str(i).encode(), timeout=TIMEOUT)
            assert reply.data == f"echo:{i}".encode()
        assert len(seen) == 50
        for msg in seen:
            assert msg.subject == "svc.echo"
            assert REPLY.match(msg.reply), msg.reply
            info = json.loads(msg.headers["Nats-Request-Info"])
            assert info["acc"] == "B", info
        assert len({msg.reply for msg in seen}) == 50  # a reply subject per request
    finally:
        await a.close()
        await b.close()


async def test_the_exporter_does_not_see_the_importers_subject(start_server):
    srv = start_server(accounts=service_accounts())
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    try:
        sub = await a.subscribe("a.echo")  # B's name for it means nothing in A
        responder = await a.subscribe("svc.echo", cb=answer(b"ok"))
        await sync(a)
        assert (await b.request("a.echo", b"", timeout=TIMEOUT)).data == b"ok"
        await a.publish("a.echo", b"marker")
        assert (await sub.next_msg(timeout=TIMEOUT)).data == b"marker"
        await responder.unsubscribe()
    finally:
        await a.close()
        await b.close()


async def responses(srv: Any, count: int) -> list[str]:
    """Subjects B's inbox gets when A's responder answers request 1 ``count`` times and
    request 2 once: extra answers to request 1 come before the answer to request 2."""
    a, b = await as_user(srv, "a"), await as_user(srv, "b")

    async def respond(msg: Any) -> None:
        times = count if msg.data == b"1" else 1
        for _ in range(times):
            await msg.respond(msg.data)

    try:
        await a.subscribe("svc.echo", cb=respond)
        await sync(a)
        inbox = await b.subscribe("inbox.*")
        await sync(b)
        await b.publish("a.echo", b"1", reply="inbox.1")
        await b.publish("a.echo", b"2", reply="inbox.2")
        got = []
        while not got or got[-1] != "inbox.2":
            got.append((await inbox.next_msg(timeout=TIMEOUT)).subject)
        return got
    finally:
        await a.close()
        await b.close()


async def test_singleton_lets_one_response_through(start_server):
    assert await responses(start_server(accounts=service_accounts()), 3) == ["inbox.1", "inbox.2"]
    srv = start_server(accounts=service_accounts(response_type="singleton"))
    assert await responses(srv, 3) == ["inbox.1", "inbox.2"]


@pytest.mark.parametrize("response_type", ["stream", "chunked"])
async def test_stream_and_chunked_let_several_responses_through(start_server, response_type):
    srv = start_server(accounts=service_accounts(response_type=response_type))
    assert await responses(srv, 3) == ["inbox.1", "inbox.1", "inbox.1", "inbox.2"]


async def test_no_responder_is_no_responders(start_server):
    srv = start_server(accounts=service_accounts())
    b = await as_user(srv, "b")
    try:
        with pytest.raises(nats.errors.NoRespondersError):
            await b.request("a.echo", b"", timeout=TIMEOUT)
        with pytest.raises(nats.errors.NoRespondersError):  # as for a local subject
            await b.request("local", b"", timeout=TIMEOUT)
    finally:
        await b.close()


async def test_a_private_service_serves_the_named_account(start_server):
    accounts = service_accounts(accounts=["B"])
    srv = start_server(accounts=accounts)
    a, b = await as_user(srv, "a"), await as_user(srv, "b")
    try:
        await a.subscribe("svc.echo", cb=answer(b"private"))
        await sync(a)
        reply = await asyncio.wait_for(b.request("a.echo", b"", timeout=TIMEOUT), TIMEOUT)
        assert reply.data == b"private"
    finally:
        await a.close()
        await b.close()


def test_importing_a_private_service_not_granted_is_a_config_error(start_server):
    accounts = service_accounts(accounts=["B"])
    accounts["C"] = {"imports": [{"service": {"account": "A", "subject": "svc.echo"}}]}
    with pytest.raises((ConfigError, RuntimeError), match="service import not authorized"):
        start_server(accounts=accounts)


async def test_shared_request_info_has_no_name_tag_without_a_user_jwt(start_server):
    """The system account's ``$SYS.REQ.USER.INFO`` import shares the requester's details;
    their ``name_tag`` is the user JWT's name (nats-server's client ``nameTag``), so a
    password user has none (not its account's name)."""
    accounts = {
        "SYS": {"users": [{"user": "sys", "password": "sys"}]},
        "B": {"users": [{"user": "b", "password": "b"}]},
    }
    srv = start_server(accounts=accounts, system_account="SYS")
    sys, b = await as_user(srv, "sys"), await as_user(srv, "b")
    try:
        sub = await sys.subscribe("$SYS.REQ.USER.>")
        await sync(sys)
        await b.request("$SYS.REQ.USER.INFO", b"", timeout=TIMEOUT)
        msg = await sub.next_msg(timeout=TIMEOUT)
        # Each account imports the request as `$SYS.REQ.USER.<account>.INFO`.
        assert msg.subject == "$SYS.REQ.USER.B.INFO"
        info = json.loads(msg.headers["Nats-Request-Info"])
        assert (info["acc"], info["user"], info["kind"]) == ("B", "b", "Client")
        assert "name_tag" not in info
    finally:
        await sys.close()
        await b.close()
