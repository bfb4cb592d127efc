"""TLS through the real nats-py client, against fastnats and the reference nats-server."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0


def tls_url(server: Any) -> str:
    return f"tls://{server.host}:{server.port}"


async def connect(server: Any, tls: ssl.SSLContext, **options: Any) -> Client:
    options.setdefault("connect_timeout", TIMEOUT)
    options.setdefault("allow_reconnect", False)
    options.setdefault("max_reconnect_attempts", 0)

    async def quiet(e: Exception) -> None:
        pass

    options.setdefault("error_cb", quiet)
    return await nats.connect(tls_url(server), tls=tls, **options)


async def pub_sub(nc: Client) -> None:
    sub = await nc.subscribe("greet.*")
    await nc.publish("greet.joe", b"hello over tls")
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.subject, msg.data) == ("greet.joe", b"hello over tls")

    async def echo(m: Any) -> None:
        await m.respond(m.data.upper())

    await nc.subscribe("echo", cb=echo)
    reply = await nc.request("echo", b"ping", timeout=TIMEOUT)
    assert reply.data == b"PING"


async def works(server: Any, tls: ssl.SSLContext, **options: Any) -> None:
    nc = await connect(server, tls, **options)
    try:
        assert nc.connected_server_version is not None
        await pub_sub(nc)
    finally:
        await nc.close()


async def fails(server: Any, tls: ssl.SSLContext, **options: Any) -> BaseException:
    with pytest.raises((nats.errors.Error, OSError, asyncio.TimeoutError)) as info:
        nc = await connect(server, tls, **options)
        try:
            await nc.flush(timeout=2)
        finally:
            await nc.close()
    return info.value


async def test_pub_sub_over_tls(start_server, certs):
    srv = start_server(tls=certs.tls())
    await works(srv, certs.client())


async def test_many_messages_both_ways(start_server, certs):
    """Enough traffic to cross many TLS records and the server's write batching."""
    srv = start_server(tls=certs.tls())
    pub = await connect(srv, certs.client())
    sub_nc = await connect(srv, certs.client())
    try:
        sub = await sub_nc.subscribe("bulk")
        await sub_nc.flush()
        payload = bytes(range(256)) * 64  # 16 KiB
        for i in range(200):
            await pub.publish("bulk", payload + i.to_bytes(2, "big"))
        await pub.flush()
        for i in range(200):
            msg = await sub.next_msg(timeout=TIMEOUT)
            assert msg.data[:-2] == payload and int.from_bytes(msg.data[-2:], "big") == i
    finally:
        await pub.close()
        await sub_nc.close()


async def test_a_client_that_does_not_trust_the_server_fails(start_server, certs):
    srv = start_server(tls=certs.tls())
    error = await fails(srv, certs.client(trust=certs.other_ca))
    assert isinstance(error, ssl.SSLCertVerificationError)


async def test_verify_with_a_client_certificate(start_server, certs):
    srv = start_server(tls=certs.tls(verify=True))
    await works(srv, certs.client(cert="client"))


@pytest.mark.parametrize("cert", [None, "other"], ids=["no-certificate", "other-ca"])
async def test_verify_refuses_a_client_without_a_good_certificate(start_server, certs, cert):
    srv = start_server(tls=certs.tls(verify=True))
    await fails(srv, certs.client(cert=cert))


async def test_handshake_first(start_server, certs):
    srv = start_server(tls=certs.tls(handshake_first=True))
    await works(srv, certs.client(), tls_handshake_first=True)


async def test_handshake_first_server_refuses_a_client_waiting_for_info(start_server, certs):
    srv = start_server(tls=certs.tls(handshake_first=True, timeout=0.5))
    await fails(srv, certs.client(), connect_timeout=2)


async def test_user_and_password_over_tls(start_server, certs):
    srv = start_server(tls=certs.tls(), authorization={"user": "alice", "password": "s3cr3t"})
    await works(srv, certs.client(), user="alice", password="s3cr3t")
    error = await fails(srv, certs.client(), user="alice", password="wrong")
    assert "Authorization Violation" in str(error)


async def test_token_and_client_certificate_together(start_server, certs):
    srv = start_server(tls=certs.tls(verify=True), authorization={"token": "t0k3n"})
    await works(srv, certs.client(cert="client"), token="t0k3n")
    await fails(srv, certs.client(cert=None), token="t0k3n")
    error = await fails(srv, certs.client(cert="client"), token="nope")
    assert "Authorization Violation" in str(error)
