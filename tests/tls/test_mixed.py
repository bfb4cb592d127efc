"""``allow_non_tls``: TLS and plain clients on one port, side by side with nats-server.

nats-server 2.15.1 then says ``tls_available`` instead of ``tls_required`` in INFO, and
reads the client's first bytes after INFO: a TLS ClientHello (0x16) starts the handshake,
anything else is a plain client; one that sends nothing within the TLS timeout goes on in
plain too. ``handshake_first`` overrides it (TLS first is TLS required).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.request
from typing import Any

import fastnats
import nats
import pytest

from ..wire.proto import Conn, dial, pub
from .tlswire import handshake_fails, tls_dial

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0
TLS_KEYS = ("tls_required", "tls_available", "tls_verify")


def read_info(sock: Any) -> dict[str, Any]:
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while not data.endswith(b"\r\n") and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"INFO "), data
    info: dict[str, Any] = json.loads(data[5:])
    return info


def tls_fields(info: dict[str, Any]) -> dict[str, Any]:
    return {k: info[k] for k in TLS_KEYS if k in info}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, {"tls_available": True}),
        ({"verify": True}, {"tls_available": True, "tls_verify": True}),
    ],
)
def test_info_says_tls_available(start_server, certs, extra, expected):
    srv = start_server(tls=certs.tls(**extra), allow_non_tls=True)
    with socket.create_connection((srv.host, srv.port), timeout=TIMEOUT) as s:
        assert tls_fields(read_info(s)) == expected


def test_handshake_first_still_requires_tls(start_server, certs):
    srv = start_server(tls=certs.tls(handshake_first=True, timeout=0.5), allow_non_tls=True)
    ctx = certs.client()
    with socket.create_connection((srv.host, srv.port), timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            info = read_info(s)
    assert tls_fields(info) == {"tls_required": True, "tls_available": True}
    # A plain client waiting for INFO gets nothing and is dropped.
    with socket.create_connection((srv.host, srv.port), timeout=TIMEOUT) as s:
        assert s.recv(100) == b""


def test_a_plain_client_that_says_nothing_for_a_while_is_still_served(start_server, certs):
    """Silent past the TLS timeout: taken as a plain client, not closed."""
    srv = start_server(tls=certs.tls(timeout=0.3), allow_non_tls=True)
    with socket.create_connection((srv.host, srv.port), timeout=TIMEOUT) as s:
        read_info(s)
        time.sleep(0.6)
        s.sendall(b"PING\r\n")
        assert s.recv(100) == b"PONG\r\n"


async def _connect(srv: Any, scheme: str, **options: Any) -> Any:
    return await nats.connect(
        f"{scheme}://{srv.host}:{srv.port}",
        connect_timeout=TIMEOUT,
        allow_reconnect=False,
        max_reconnect_attempts=0,
        **options,
    )


def tls_client(srv: Any, ctx: ssl.SSLContext, connect: bytes = b'{"verbose":false}') -> Conn:
    """A client that starts TLS after the INFO in clear, as nats.go does for a ``tls://``
    URL or ``Secure()`` whatever INFO says. (nats-py starts TLS only when INFO says
    ``tls_required``: against ``allow_non_tls`` it stays plain, on both servers.)"""
    conn = tls_dial((srv.host, srv.port), ctx)
    conn.send(b"CONNECT " + connect + b"\r\nPING\r\n")
    return conn


def connz(srv: Any) -> list[dict[str, Any]]:
    url = f"http://{srv.host}:{srv.http_port}/connz?auth=1"
    with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
        conns: list[dict[str, Any]] = json.load(r)["connections"]
    return conns


async def test_plain_and_tls_clients_on_one_port(start_server, certs):
    srv = start_server(tls=certs.tls(), allow_non_tls=True, http_port=-1)
    plain = await _connect(srv, "nats")
    secure = tls_client(srv, certs.client())
    try:
        secure.expect(b"PONG\r\n")
        sub = await plain.subscribe("mixed")
        await plain.flush()
        secure.send(pub("mixed", b"from tls") + b"SUB echo 1\r\nPING\r\n")
        secure.expect(b"PONG\r\n")
        msg = await sub.next_msg(timeout=TIMEOUT)
        assert msg.data == b"from tls"
        await plain.publish("echo", b"from plain", reply="answer")
        await plain.flush()
        assert secure.read_msg() == (b"MSG echo 1 answer 10", b"from plain")
        versions = sorted(c.get("tls_version", "") for c in connz(srv))
        assert versions[0] == "" and versions[1].startswith("1."), versions
    finally:
        await plain.close()
        secure.close()


async def test_nats_py_stays_plain_with_a_tls_url(start_server, certs):
    srv = start_server(tls=certs.tls(), allow_non_tls=True, http_port=-1)
    nc = await _connect(srv, "tls", tls=certs.client())
    try:
        await nc.flush()
        [conn] = connz(srv)
        assert "tls_version" not in conn
    finally:
        await nc.close()


def test_plain_clients_can_not_be_mapped(start_server, certs):
    """With verify_and_map and users, a plain client has no certificate to map."""
    tls = certs.tls(verify_and_map=True, ca_file=str(certs.ca))
    users = [{"user": "client@example.com"}]
    srv = start_server(tls=tls, allow_non_tls=True, authorization={"users": users})
    with tls_client(srv, certs.client(cert="client")) as conn:
        conn.expect(b"PONG\r\n")
    with dial((srv.host, srv.port)) as conn:
        conn.read_info()
        conn.send(b'CONNECT {"verbose":false,"user":"client@example.com"}\r\nPING\r\n')
        conn.expect_err_and_close("Authorization Violation")


def test_verify_still_applies_to_tls_clients(start_server, certs):
    srv = start_server(
        tls=certs.tls(verify=True),
        allow_non_tls=True,
        authorization={"users": [{"user": "bob", "password": "pw"}]},
    )
    creds = b'{"verbose":false,"user":"bob","pass":"pw"}'
    with dial((srv.host, srv.port)) as conn:
        conn.read_info()
        conn.send(b"CONNECT " + creds + b"\r\nPING\r\n")
        conn.expect(b"PONG\r\n")
    with tls_client(srv, certs.client(cert="client"), creds) as conn:
        conn.expect(b"PONG\r\n")
    conn = dial((srv.host, srv.port))
    conn.read_line()
    handshake_fails(conn, certs.client())


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            {"allow_non_tls": False},
            {"allow_non_tls": True},
            "config reload not supported for AllowNonTLS: old=false, new=true",
        ),
        (
            {},
            {"tls": "map"},
            "config reload not supported for TLSMap: old=false, new=true",
        ),
    ],
)
def test_reload_refuses_a_change(start_server, certs, before, after, message):
    def resolve(options: dict[str, Any]) -> dict[str, Any]:
        if options.get("tls") == "map":
            return {**options, "tls": certs.tls(verify_and_map=True, ca_file=str(certs.ca))}
        return options

    srv = start_server(tls=certs.tls(verify=True), **before)
    with pytest.raises((fastnats.ConfigError, RuntimeError)) as info:
        srv.reload(**resolve(after))
    assert message in str(info.value)
    # Still serving as before.
    with socket.create_connection((srv.host, srv.port), timeout=TIMEOUT) as s:
        assert tls_fields(read_info(s)) == {"tls_required": True, "tls_verify": True}
