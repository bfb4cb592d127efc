"""``allowed_connection_types`` of configured users over TCP and WebSocket, fastnats beside
nats-server 2.15.1 (each server started from the same config file).

A user listing ``WEBSOCKET`` only gets in over ``ws://`` and is refused over TCP
(``-ERR 'Authorization Violation'``), one listing ``STANDARD`` the reverse, one listing both
(in any case) and one listing none get in either way; the same holds for the users of an
account, for the ``no_auth_user`` (top-level or the ``websocket {}`` block's; with a CONNECT
and with a first op that is not CONNECT),
and on reload (a connection whose user no longer allows its type is closed). An unknown
type, alone or next to a known one, keeps both servers from starting, with one message.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from ..cluster.conftest import free_ports
from ..conftest import reference_server
from . import wsproto
from .conftest import FASTNATS_PATH, HOST, WsServer, WsServers, websocket_block

pytestmark = pytest.mark.timeout(90)

TIMEOUT = 5.0
VIOLATION = b"-ERR 'Authorization Violation'"

USERS = """authorization {
  users: [
    {user: ws, password: p, allowed_connection_types: [WEBSOCKET]}
    {user: tcp, password: p, allowed_connection_types: ["STANDARD"]}
    {user: both, password: p, connection_types: [standard, Websocket]}
    {user: any, password: p}
    {user: empty, password: p, allowed_connection_types: []}
    {user: other, password: p, clients: [LEAFNODE, MQTT, MQTT_WS, LEAFNODE_WS, IN_PROCESS]}
    {user: single, password: p, allowed_connection_types: websocket}
  ]
}"""


class TcpConn:
    """A raw NATS client over TCP: INFO read at once, then lines."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=TIMEOUT)
        self.buf = b""
        info = self.read_line()
        assert info.startswith(b"INFO {"), info

    def read_line(self) -> bytes:
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n" not in self.buf:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(f"EOF after {self.buf!r}")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


def connect_line(user: str | None) -> bytes:
    opts: dict[str, object] = {"verbose": False, "pedantic": False}
    if user is not None:
        opts.update(user=user, **{"pass": "p"})
    return b"CONNECT " + json.dumps(opts).encode() + b"\r\n"


def _answer(read_line: Callable[[], bytes]) -> bytes:
    """The first line after CONNECT + PING that is not an INFO."""
    line = read_line()
    while line.startswith(b"INFO "):
        line = read_line()
    return line


def over_tcp(server: WsServer, user: str | None, *, connect: bool = True) -> bytes:
    """``PONG`` or the ``-ERR`` line a TCP client gets for CONNECT (as ``user``) + PING, or
    for a bare PING when ``connect`` is False."""
    c = TcpConn((HOST, server.port))
    try:
        c.send((connect_line(user) if connect else b"") + b"PING\r\n")
        return _answer(c.read_line)
    finally:
        c.close()


def over_ws(server: WsServer, user: str | None, *, connect: bool = True) -> bytes:
    """The same over ``ws://``."""
    conn, _, _ = wsproto.open_ws(server.ws_address)
    try:
        conn.send_data((connect_line(user) if connect else b"") + b"PING\r\n")
        return _answer(conn.read_line)
    finally:
        conn.close()


def admitted(answer: bytes) -> bool:
    assert answer in (b"PONG", VIOLATION), answer
    return answer == b"PONG"


@pytest.mark.parametrize(
    ("user", "tcp", "ws"),
    [
        ("ws", False, True),
        ("tcp", True, False),
        ("both", True, True),
        ("any", True, True),
        ("empty", True, True),
        ("other", False, False),
        ("single", False, True),
    ],
)
def test_users_allowed_connection_types(ws_kind: str, start_ws: WsServers, user, tcp, ws):
    server = start_ws(ws_kind, extra=USERS)
    assert admitted(over_tcp(server, user)) is tcp
    assert admitted(over_ws(server, user)) is ws
    if not (tcp and ws):
        # A refusal is logged as any failed login (nats-server logs no "Connection type not
        # allowed" for a configured user: that debug line is the JWT path's).
        assert server.proc is not None
        server.proc.log.expect(rf' - authentication error - User "{user}"$')


def test_wrong_password_is_still_refused(ws_kind: str, start_ws: WsServers):
    server = start_ws(ws_kind, extra=USERS)
    c = TcpConn((HOST, server.port))
    try:
        c.send(b'CONNECT {"verbose":false,"user":"tcp","pass":"nope"}\r\nPING\r\n')
        assert _answer(c.read_line) == VIOLATION
    finally:
        c.close()


def test_account_users_allowed_connection_types(ws_kind: str, start_ws: WsServers):
    server = start_ws(
        ws_kind,
        extra="accounts {\n"
        "  A { users: [{user: ws, password: p, allowed_connection_types: [WEBSOCKET]}] }\n"
        "  B { users: [{user: tcp, password: p, allowed_connection_types: [STANDARD]}] }\n"
        "}",
    )
    assert not admitted(over_tcp(server, "ws"))
    assert admitted(over_ws(server, "ws"))
    assert admitted(over_tcp(server, "tcp"))
    assert not admitted(over_ws(server, "tcp"))


@pytest.mark.parametrize("connect", [True, False], ids=["connect", "first-op-ping"])
def test_no_auth_user_allowed_connection_types(ws_kind: str, start_ws: WsServers, connect):
    """The ``no_auth_user`` is taken for a client without credentials, then its types
    decide (nats-server does not fall back to refusing only later ops)."""
    server = start_ws(
        ws_kind,
        extra=USERS + "\nno_auth_user: tcp",
    )
    assert admitted(over_tcp(server, None, connect=connect))
    assert not admitted(over_ws(server, None, connect=connect))
    # Named users still decide by their own types.
    assert admitted(over_ws(server, "ws"))


def test_websocket_no_auth_user_allowed_connection_types(ws_kind: str, start_ws: WsServers):
    """The ``websocket {}`` block's ``no_auth_user`` meets its types as WebSocket clients;
    nats-server does not check them when it starts."""
    server = start_ws(ws_kind, websocket="no_auth_user: tcp", extra=USERS)
    assert not admitted(over_ws(server, None))
    assert not admitted(over_ws(server, None, connect=False))
    server = start_ws(ws_kind, websocket="no_auth_user: ws", extra=USERS)
    assert admitted(over_ws(server, None))
    assert admitted(over_ws(server, None, connect=False))
    assert not admitted(over_tcp(server, None))  # no top-level no_auth_user


def test_reload_closes_connections_whose_type_is_no_longer_allowed(
    ws_kind: str, start_ws: WsServers
):
    server = start_ws(ws_kind, extra=USERS)
    tcp = TcpConn((HOST, server.port))
    ws, _, _ = wsproto.open_ws(server.ws_address)
    try:
        tcp.send(connect_line("both") + b"PING\r\n")
        assert _answer(tcp.read_line) == b"PONG"
        ws.send_data(connect_line("both") + b"PING\r\n")
        assert _answer(ws.read_line) == b"PONG"
        text = server.config.read_text().replace(
            "{user: both, password: p, connection_types: [standard, Websocket]}",
            "{user: both, password: p, connection_types: [WEBSOCKET]}",
        )
        assert "connection_types: [WEBSOCKET]}" in text
        server.config.write_text(text)
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _answer(tcp.read_line) == VIOLATION
        with pytest.raises(EOFError):
            while True:
                tcp.read_line()
        # The WebSocket client stays and is served.
        ws.send_data(b"PING\r\n")
        assert _answer(ws.read_line) == b"PONG"
    finally:
        tcp.close()
        ws.close()
    # New clients meet the new list.
    assert not admitted(over_tcp(server, "both"))
    assert admitted(over_ws(server, "both"))


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ("[FOO]", 'invalid connection types ["FOO"]'),
        ("[WEBSOCKET, foo]", 'invalid connection types ["FOO"]'),
        ("[STANDARD, ws, Tcp]", 'invalid connection types ["WS" "TCP"]'),
    ],
)
def test_unknown_types_keep_the_server_from_starting(tmp_path, types, message):
    """In a config file nats-server refuses any unknown name (the ``JWT`` path's leniency,
    where known names next to unknown ones still count, is not the config's)."""
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or PATH)")
    port, ws_port = free_ports(2)
    conf = tmp_path / "f.conf"
    conf.write_text(
        f"listen: {json.dumps(f'{HOST}:{port}')}\n"
        + websocket_block(ws_port)
        + "authorization { users: [{user: a, password: p, "
        + f"allowed_connection_types: {types}}}] }}\n"
    )
    argvs = {
        "nats-server": [ref[0], "-c", str(conf)],
        "fastnats": [sys.executable, "-m", "fastnats", "serve", "-c", str(conf)],
    }
    lines = {}
    for kind, argv in argvs.items():
        result = subprocess.run(
            ["prlimit", "--as=4000000000", "timeout", "30", *argv],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": FASTNATS_PATH},
        )
        assert result.returncode == 1, (kind, result.stdout, result.stderr)
        out = (result.stderr + result.stdout).strip().splitlines()
        assert message in out[0], (kind, out)
        lines[kind] = out[0].split(": ", 1)[1]
    assert lines["fastnats"] == lines["nats-server"]
