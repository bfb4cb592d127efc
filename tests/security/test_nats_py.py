"""Every authentication method through the real nats-py client, against fastnats and the
reference nats-server; a permission violation reaches the client's error callback."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client

from .creds import bcrypt_hash, new_nkey_user

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0


async def _connect(server: Any, **options: Any) -> Client:
    options.setdefault("connect_timeout", TIMEOUT)
    options.setdefault("allow_reconnect", False)
    options.setdefault("max_reconnect_attempts", 0)
    if "error_cb" not in options:

        async def quiet(e: Exception) -> None:
            pass

        options["error_cb"] = quiet
    return await nats.connect(server.url, **options)


async def roundtrip(nc: Client) -> None:
    """A request/reply through the server proves the connection works end to end."""

    async def echo(m: Any) -> None:
        await m.respond(m.data)

    sub = await nc.subscribe("echo", cb=echo)
    reply = await nc.request("echo", b"hi", timeout=TIMEOUT)
    assert reply.data == b"hi"
    await sub.unsubscribe()


async def works(server: Any, **options: Any) -> None:
    nc = await _connect(server, **options)
    try:
        await roundtrip(nc)
    finally:
        await nc.close()


async def fails(server: Any, **options: Any) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        nc = await _connect(server, **options)
        await nc.close()


async def test_token(start_server):
    srv = start_server(authorization={"token": "s3cr3t"})
    await works(srv, token="s3cr3t")
    await fails(srv, token="wrong")
    await fails(srv)


async def test_bcrypt_token(start_server):
    srv = start_server(authorization={"token": bcrypt_hash("s3cr3t")})
    await works(srv, token="s3cr3t")
    await fails(srv, token="S3cr3t")


async def test_user_password(start_server):
    srv = start_server(authorization={"user": "alice", "password": "pw"})
    await works(srv, user="alice", password="pw")
    await fails(srv, user="alice", password="nope")


async def test_user_password_in_the_url(start_server):
    srv = start_server(authorization={"user": "alice", "password": "pw"})
    nc = await nats.connect(
        f"nats://alice:pw@{srv.host}:{srv.port}", connect_timeout=TIMEOUT, allow_reconnect=False
    )
    try:
        await roundtrip(nc)
    finally:
        await nc.close()


async def test_bcrypt_users(start_server):
    srv = start_server(
        authorization={
            "users": [
                {"user": "alice", "password": bcrypt_hash("a")},
                {"user": "bob", "password": bcrypt_hash("b")},
            ]
        }
    )
    await works(srv, user="alice", password="a")
    await works(srv, user="bob", password="b")
    await fails(srv, user="bob", password="a")


async def test_nkeys_seed(start_server, tmp_path):
    user = new_nkey_user()
    srv = start_server(authorization={"users": [{"nkey": user.public}]})
    await works(srv, nkeys_seed_str=user.seed)
    seed_file = tmp_path / "user.nk"
    seed_file.write_text(user.seed)
    await works(srv, nkeys_seed=str(seed_file))
    await fails(srv, nkeys_seed_str=new_nkey_user().seed)  # a key the server does not know


async def test_no_auth_user(start_server):
    srv = start_server(
        authorization={"users": [{"user": "guest", "password": "g"}], "no_auth_user": "guest"}
    )
    await works(srv)
    await works(srv, user="guest", password="g")
    await fails(srv, user="guest", password="x")


async def test_permission_violations_reach_the_error_callback(start_server):
    srv = start_server(
        authorization={
            "users": [
                {
                    "user": "u",
                    "password": "p",
                    "permissions": {"publish": "ok", "subscribe": {"deny": "hidden"}},
                }
            ]
        }
    )
    errors: asyncio.Queue[Exception] = asyncio.Queue()

    async def error_cb(e: Exception) -> None:
        errors.put_nowait(e)

    nc = await _connect(srv, user="u", password="p", error_cb=error_cb)
    try:
        await nc.publish("not.ok", b"x")
        await nc.flush(TIMEOUT)
        e = await asyncio.wait_for(errors.get(), TIMEOUT)
        assert 'permissions violation for publish to "not.ok"' in str(e).lower()
        await nc.subscribe("hidden")
        await nc.flush(TIMEOUT)
        e = await asyncio.wait_for(errors.get(), TIMEOUT)
        assert 'permissions violation for subscription to "hidden"' in str(e).lower()
        assert nc.is_connected  # violations keep the connection
        await nc.publish("ok", b"fine")
        await nc.flush(TIMEOUT)
    finally:
        await nc.close()
