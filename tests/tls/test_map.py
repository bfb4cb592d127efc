"""``verify_and_map``: a client certificate names the configured user the client becomes,
side by side with nats-server (every test runs on both servers).

nats-server's order (``checkClientTLSCertSubject``): the certificate's e-mail addresses,
DNS names and URIs, each looked up as a user name; then its subject as a distinguished
name compared with every user name that parses as one (in order, then reordered; types
without case, values exactly), which works only for subjects made of the common attribute
types; then Go's string form of the subject (plus ``,DC=..`` for domain components), then
that form alone. The certificates are made in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import nats
import nats.errors
import pytest

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0


def mapping(certs: Any) -> dict[str, Any]:
    return certs.tls(verify_and_map=True, ca_file=str(certs.ca))


async def connect(srv: Any, ctx: Any, errors: list[str] | None = None, **options: Any) -> Any:
    async def note(e: Exception) -> None:
        if errors is not None:
            errors.append(str(e))

    return await nats.connect(
        f"tls://{srv.host}:{srv.port}",
        tls=ctx,
        connect_timeout=TIMEOUT,
        allow_reconnect=False,
        max_reconnect_attempts=0,
        error_cb=note,
        **options,
    )


async def refused(srv: Any, ctx: Any, **options: Any) -> str:
    with pytest.raises((nats.errors.Error, OSError, asyncio.TimeoutError)) as info:
        nc = await connect(srv, ctx, **options)
        try:
            await nc.flush(timeout=2)
        finally:
            await nc.close()
    return str(info.value)


def connz(srv: Any) -> list[dict[str, Any]]:
    url = f"http://{srv.host}:{srv.http_port}/connz?auth=1"
    with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
        conns: list[dict[str, Any]] = json.load(r)["connections"]
    return conns


async def test_email_maps_to_a_user_whose_permissions_apply(start_server, certs):
    users = [
        {
            "user": "client@example.com",
            "permissions": {"publish": {"allow": ["allowed.>"]}, "subscribe": {"allow": [">"]}},
        },
        {"user": "bob", "password": "bobpw"},
    ]
    srv = start_server(tls=mapping(certs), authorization={"users": users}, http_port=-1)
    errors: list[str] = []
    nc = await connect(srv, certs.client(cert="client"), errors)
    try:
        sub = await nc.subscribe(">")
        await nc.publish("denied.x", b"no")
        await nc.publish("allowed.x", b"yes")
        msg = await sub.next_msg(timeout=TIMEOUT)
        assert (msg.subject, msg.data) == ("allowed.x", b"yes")
        await nc.flush()
        for _ in range(50):
            if errors:
                break
            await asyncio.sleep(0.05)
        assert errors == ['nats: permissions violation for publish to "denied.x"']
        [conn] = connz(srv)
        assert conn["authorized_user"] == "client@example.com"
    finally:
        await nc.close()


async def test_the_certificate_wins_over_the_connect_user(start_server, certs):
    """A user in CONNECT does not choose the user: the certificate does. Its password is
    still compared with the mapped user's (none), so bob's password fails."""
    users = [{"user": "client@example.com"}, {"user": "bob", "password": "bobpw"}]
    srv = start_server(tls=mapping(certs), authorization={"users": users}, http_port=-1)
    nc = await connect(srv, certs.client(cert="client"), user="bob", password="")
    try:
        await nc.flush()
        [conn] = connz(srv)
        assert conn["authorized_user"] == "client@example.com"
    finally:
        await nc.close()
    error = await refused(srv, certs.client(cert="client"), user="bob", password="bobpw")
    assert "Authorization Violation" in error


async def test_a_mapped_user_with_a_password_still_needs_it(start_server, certs):
    users = [{"user": "client@example.com", "password": "pw"}]
    srv = start_server(tls=mapping(certs), authorization={"users": users})
    error = await refused(srv, certs.client(cert="client"))
    assert "Authorization Violation" in error
    nc = await connect(srv, certs.client(cert="client"), user="anyone", password="pw")
    await nc.close()


async def test_an_unmapped_certificate_is_refused(start_server, certs):
    users = [{"user": "nobody@example.com"}, {"user": "CN=nobody"}]
    srv = start_server(tls=mapping(certs), authorization={"users": users})
    error = await refused(srv, certs.client(cert="client"))
    assert error == "nats: 'Authorization Violation'"
    # No certificate at all: the handshake fails (verify_and_map implies verify).
    await refused(srv, certs.client(cert=None))


async def test_the_users_connection_types_must_allow_the_client(start_server, certs):
    users = [{"user": "client@example.com", "allowed_connection_types": ["WEBSOCKET"]}]
    srv = start_server(tls=mapping(certs), authorization={"users": users})
    assert "Authorization Violation" in await refused(srv, certs.client(cert="client"))


async def test_a_mapped_account_user_joins_its_account(start_server, certs):
    accounts = {"A": {"users": [{"user": "alice.example.com"}]}}
    srv = start_server(tls=mapping(certs), accounts=accounts, http_port=-1)
    nc = await connect(srv, certs.client(cert="dns"))
    try:
        await nc.flush()
        [conn] = connz(srv)
        assert (conn["authorized_user"], conn["account"]) == ("alice.example.com", "A")
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("cert", "user"),
    [
        ("dns", "alice.example.com"),  # the DNS name (SAN)
        ("dns", "CN=alice,OU=Eng,O=Acme"),  # the subject, RFC 2253 order
        ("dns", "O=Acme,OU=Eng,CN=alice"),  # reordered RDNs
        ("dns", "cn=alice, ou=Eng , o=Acme"),  # types without case, spaces around
        ("dc", "CN=carol,O=Acme,DC=example,DC=com"),  # a DN with domain components
        ("dc", "CN=carol,O=Acme,DC=com,DC=example"),  # Go's form + the DCs in cert order
        ("dc", "CN=carol,O=Acme"),  # Go's form alone (it leaves out the DCs)
        ("mail", "CN=dave,O=Acme"),  # emailAddress in the subject: Go's form only
    ],
)
async def test_user_names_a_certificate_maps_to(start_server, certs, cert, user):
    users = [{"user": "decoy@example.com"}, {"user": user}]
    srv = start_server(tls=mapping(certs), authorization={"users": users}, http_port=-1)
    nc = await connect(srv, certs.client(cert=cert))
    try:
        await nc.flush()
        [conn] = connz(srv)
        assert conn["authorized_user"] == user
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("cert", "user"),
    [
        ("dns", "CN=Alice,OU=Eng,O=Acme"),  # values keep their case
        ("dns", "CN=alice,O=Acme"),  # an RDN missing
        ("dns", "CN=alice"),
        ("mail", "CN=dave,O=Acme,emailAddress=dave@acme.test"),
        ("mail", "dave@acme.test"),  # the subject's e-mail attribute is not a SAN
        ("dc", "CN=carol,O=Acme,DC=com"),
    ],
)
async def test_user_names_a_certificate_does_not_map_to(start_server, certs, cert, user):
    srv = start_server(tls=mapping(certs), authorization={"users": [{"user": user}]})
    assert "Authorization Violation" in await refused(srv, certs.client(cert=cert))
