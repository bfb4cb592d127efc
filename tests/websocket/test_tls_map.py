"""``verify_and_map`` and the WebSocket listener, fastnats beside nats-server 2.15.1.

The ``websocket {}`` block's own ``tls { verify_and_map: true }`` maps a ``wss://``
client's certificate to a user as the client listener does. A user without a password that
a mapping listener could select is a certificate identity: on a listener that does not map,
its name alone does not let a client in (nats-server's ``canTLSMap``), unless it is the
``no_auth_user``.
"""

from __future__ import annotations

import json

import pytest

from . import wsproto
from .conftest import HOST, WsServers
from .test_connection_types import TcpConn, _answer

pytestmark = pytest.mark.timeout(90)

VIOLATION = b"-ERR 'Authorization Violation'"


def users(*entries: str) -> str:
    return "authorization { users: [\n" + "\n".join(entries) + "\n] }"


def ws_answer(server, connect: dict[str, object], tls=None) -> bytes:
    conn, _, _ = wsproto.open_ws(server.ws_address, tls=tls)
    try:
        opts = {"verbose": False, "pedantic": False, **connect}
        conn.send_data(b"CONNECT " + json.dumps(opts).encode() + b"\r\nPING\r\n")
        return _answer(conn.read_line)
    finally:
        conn.close()


def test_websocket_block_maps_certificates(ws_kind: str, start_ws: WsServers):
    certs = start_ws.certs
    server = start_ws(
        ws_kind,
        tls=True,
        tls_extra=f", ca_file: {json.dumps(str(certs.ca))}, verify_and_map: true",
        extra=users(
            '{user: "client@example.com", allowed_connection_types: [WEBSOCKET]}',
            "{user: bob, password: p}",
        ),
    )
    assert ws_answer(server, {}, tls=certs.client(cert="client")) == b"PONG"
    # An unmapped certificate, and bob's password over a mapping listener.
    assert ws_answer(server, {}, tls=certs.client(cert="dns")) == VIOLATION
    assert ws_answer(server, {"user": "bob", "pass": "p"}, tls=certs.client(cert="dns")) == (
        VIOLATION
    )
    # The client listener does not map: bob gets in there with his password.
    tcp = TcpConn((HOST, server.port))
    try:
        tcp.send(b'CONNECT {"verbose":false,"user":"bob","pass":"p"}\r\nPING\r\n')
        assert _answer(tcp.read_line) == b"PONG"
    finally:
        tcp.close()


def test_certificate_users_need_their_certificate(ws_kind: str, start_ws: WsServers):
    certs = start_ws.certs
    tls = certs.tls(verify_and_map=True, ca_file=str(certs.ca))
    client_tls = "tls " + json.dumps(tls)
    server = start_ws(
        ws_kind,
        extra=client_tls
        + "\n"
        + users(
            '{user: "client@example.com"}',
            "{user: ws_only, allowed_connection_types: [WEBSOCKET]}",
            "{user: bob, password: p}",
        ),
    )
    # The client listener maps: over plain WebSocket the name alone is refused...
    assert ws_answer(server, {"user": "client@example.com"}) == VIOLATION
    # ...unless no mapping listener could pick the user (WEBSOCKET only, ws maps nothing).
    assert ws_answer(server, {"user": "ws_only"}) == b"PONG"
    assert ws_answer(server, {"user": "bob", "pass": "p"}) == b"PONG"
