"""The WebSocket listener byte for byte, over raw sockets (issue 15).

nats-server 2.15.1's answers are the truth: every expectation here was read off it (status
lines, headers, close codes and reason texts, frame bits). The upgrade: 101 with the accept
key, or an HTTP error (its status line, ``Content-Type``, ``Sec-Websocket-Version: 13`` and
the ``http.StatusText`` body). Then frames: server frames are unmasked binary frames; a
protocol error in the client's framing is answered with a close frame (1002 and the reason)
and the socket closed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct

import pytest

from .conftest import WsServer, WsServers
from .wsproto import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    RSV1,
    RSV2,
    RSV3,
    TEXT,
    WsConn,
    accept_key,
    close_frame,
    deflate,
    frame,
    handshake,
    new_key,
    open_ws,
    upgrade,
)

pytestmark = pytest.mark.timeout(60)

CONNECT_QUIET = b'CONNECT {"verbose":false}'
PMC_RESPONSE = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"


def ready(server: WsServer, **kw: object) -> WsConn:
    """An upgraded connection past CONNECT/PING/PONG."""
    conn, _, _ = open_ws(server.ws_address, **kw)  # type: ignore[arg-type]
    handshake(conn)
    return conn


# --------------------------------------------------------------------------------------
# The upgrade
# --------------------------------------------------------------------------------------


def test_upgrade_answers_101_with_the_accept_key(ws_server: WsServer) -> None:
    key = new_key()
    conn, resp = upgrade(ws_server.ws_address, key=key)
    try:
        assert resp.status_line == "HTTP/1.1 101 Switching Protocols"
        assert resp.header("Upgrade") == "websocket"
        assert resp.header("Connection") == "Upgrade"
        assert resp.header("Sec-WebSocket-Accept") == accept_key(key)
        # No extension, no no-masking answer when not asked.
        assert resp.header("Sec-WebSocket-Extensions") is None
        assert resp.header("Nats-No-Masking") is None
    finally:
        conn.close()


def test_info_is_one_unmasked_binary_frame(ws_server: WsServer) -> None:
    conn, resp = upgrade(ws_server.ws_address)
    try:
        assert resp.status == 101
        f = conn.read_frame()
        assert (f.fin, f.rsv, f.opcode, f.masked) == (True, 0, BINARY, False)
        assert f.payload.startswith(b"INFO {") and f.payload.endswith(b"\r\n")
        assert f.payload.count(b"\r\n") == 1
        info = json.loads(f.payload[5:])  # nats-server: 'INFO {...} \r\n'
        # The client port's INFO, seen through the WebSocket port.
        assert info["headers"] is True
        assert info["max_payload"] == 1024 * 1024
    finally:
        conn.close()


def test_path_and_header_case_do_not_matter(ws_server: WsServer) -> None:
    """Any path is the client endpoint; tokens are matched case-insensitively in lists."""
    conn, resp = upgrade(
        ws_server.ws_address,
        path="/some/path?x=1",
        headers={
            "Upgrade": "WebSocket",
            "Connection": "keep-alive, upgrade",
            "Sec-WebSocket-Version": "13",
        },
    )
    try:
        assert resp.status == 101
        handshake(conn)
    finally:
        conn.close()


ERROR_CASES = {
    "post": ({"method": "POST"}, "405 Method Not Allowed", b"Method Not Allowed\n"),
    "bad-upgrade": ({"headers": {"Upgrade": "h2c"}}, "400 Bad Request", b"Bad Request\n"),
    "no-upgrade": ({"headers": {"Upgrade": None}}, "400 Bad Request", b"Bad Request\n"),
    "bad-connection": (
        {"headers": {"Connection": "keep-alive"}},
        "400 Bad Request",
        b"Bad Request\n",
    ),
    "no-key": ({"headers": {"Sec-WebSocket-Key": None}}, "400 Bad Request", b"Bad Request\n"),
    "short-key": (  # base64 of 15 bytes
        {"headers": {"Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAA"}},
        "400 Bad Request",
        b"Bad Request\n",
    ),
    "key-not-base64": (
        {"headers": {"Sec-WebSocket-Key": "not base64 at all!!!!!=="}},
        "400 Bad Request",
        b"Bad Request\n",
    ),
    "version-12": (
        {"headers": {"Sec-WebSocket-Version": "12"}},
        "400 Bad Request",
        b"Bad Request\n",
    ),
    "no-version": (
        {"headers": {"Sec-WebSocket-Version": None}},
        "400 Bad Request",
        b"Bad Request\n",
    ),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_upgrade_errors(ws_server: WsServer, case: str) -> None:
    kw, status, body = ERROR_CASES[case]
    conn, resp = upgrade(ws_server.ws_address, **kw)  # type: ignore[arg-type]
    try:
        assert resp.status_line == f"HTTP/1.1 {status}"
        assert resp.header("Content-Type") == "text/plain; charset=utf-8"
        assert resp.header("Sec-Websocket-Version") == "13"
        assert resp.header("Content-Length") == str(len(body))
        assert resp.body == body
        assert resp.header("Sec-WebSocket-Accept") is None
    finally:
        conn.close()


def test_http11_without_host_is_refused(ws_server: WsServer) -> None:
    """An HTTP/1.1 request without Host: 400 and the connection closed."""
    raw = (
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {new_key()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    conn, resp = upgrade(ws_server.ws_address, raw=raw)
    try:
        assert resp.status_line.startswith("HTTP/1.1 400 Bad Request")
        assert resp.header("Sec-WebSocket-Accept") is None
        assert conn.read_to_eof() == b""
    finally:
        conn.close()


def test_http10_without_host_is_refused(ws_server: WsServer) -> None:
    raw = (
        "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {new_key()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    conn, resp = upgrade(ws_server.ws_address, raw=raw)
    try:
        assert resp.status_line == "HTTP/1.0 400 Bad Request"
        assert resp.header("Sec-Websocket-Version") == "13"
        assert resp.body == b"Bad Request\n"
        assert conn.read_to_eof() == b""  # HTTP/1.0: no keep-alive
    finally:
        conn.close()


ORIGIN_CASES = [
    # (websocket block, Origin header, allowed?)
    ("same_origin: true", None, True),  # no Origin header: accepted
    ("same_origin: true", "http://127.0.0.1", True),  # Host is 127.0.0.1 (port 80 both)
    ("same_origin: true", "http://127.0.0.1:80", True),
    ("same_origin: true", "http://example.com", False),
    ("same_origin: true", "https://127.0.0.1", False),  # port 443 != 80
    ('allowed_origins: ["http://app.example.com"]', "http://app.example.com", True),
    ('allowed_origins: ["http://app.example.com"]', "http://app.example.com:80", True),
    ('allowed_origins: ["http://app.example.com"]', "https://app.example.com", False),
    ('allowed_origins: ["http://app.example.com"]', "http://evil.example.com", False),
    ('allowed_origins: ["http://app.example.com:8080"]', "http://app.example.com", False),
]


@pytest.mark.parametrize(
    "block,origin,allowed", ORIGIN_CASES, ids=[f"{b.split(':')[0]}-{o}" for b, o, _ in ORIGIN_CASES]
)
def test_origin_checks(
    ws_kind: str, start_ws: WsServers, block: str, origin: str | None, allowed: bool
) -> None:
    server = start_ws(ws_kind, websocket=block)
    conn, resp = upgrade(server.ws_address, headers={"Origin": origin})
    try:
        if allowed:
            assert resp.status == 101
            handshake(conn)
        else:
            assert resp.status_line == "HTTP/1.1 403 Forbidden"
            assert resp.header("Sec-Websocket-Version") == "13"
            assert resp.body == b"Forbidden\n"
    finally:
        conn.close()


def test_same_origin_compares_with_the_host_header(ws_kind: str, start_ws: WsServers) -> None:
    server = start_ws(ws_kind, websocket="same_origin: true")
    host = f"127.0.0.1:{server.ws_port}"
    for origin, status in (
        (f"http://{host}", 101),
        ("http://127.0.0.1", 403),
        (f"http://localhost:{server.ws_port}", 403),
    ):
        conn, resp = upgrade(server.ws_address, headers={"Host": host, "Origin": origin})
        conn.close()
        assert resp.status == status, (origin, resp.status_line)


def test_no_masking_is_honoured(ws_server: WsServer) -> None:
    conn, resp, _ = open_ws(ws_server.ws_address, headers={"Nats-No-Masking": "true"})
    try:
        assert resp.header("Nats-No-Masking") == "true"
        handshake(conn, mask=False)
        conn.send_data(b"SUB nm 1\r\nPUB nm 2\r\nok\r\n", mask=False)
        assert conn.read_msg() == (b"MSG nm 1 2", b"ok")
    finally:
        conn.close()


def test_no_masking_other_values_are_ignored(ws_kind: str, ws_server: WsServer) -> None:
    conn, resp, _ = open_ws(ws_server.ws_address, headers={"Nats-No-Masking": "yes"})
    try:
        assert resp.header("Nats-No-Masking") is None
        conn.send_data(CONNECT_QUIET + b"\r\n", mask=False)
        assert_failed(conn, ws_kind, close_frame(1002, b"mask bit missing"))
    finally:
        conn.close()


# --------------------------------------------------------------------------------------
# Frames carrying the NATS protocol
# --------------------------------------------------------------------------------------


def test_masked_ping_gets_pong(ws_server: WsServer) -> None:
    conn, _, _ = open_ws(ws_server.ws_address)
    try:
        conn.send_data(CONNECT_QUIET + b"\r\nPING\r\n")
        f = conn.read_frame()
        assert (f.fin, f.rsv, f.opcode, f.masked, f.payload) == (
            True,
            0,
            BINARY,
            False,
            b"PONG\r\n",
        )
    finally:
        conn.close()


def test_text_frames_are_accepted(ws_server: WsServer) -> None:
    conn, _, _ = open_ws(ws_server.ws_address)
    try:
        conn.send_frame(TEXT, CONNECT_QUIET + b"\r\nPING\r\n")
        assert conn.read_line() == b"PONG"
    finally:
        conn.close()


def test_ops_split_across_frames(ws_server: WsServer) -> None:
    conn = ready(ws_server)
    try:
        stream = b"SUB split 7\r\nPUB split 11\r\nhello world\r\nPING\r\n"
        for i in range(0, len(stream), 3):  # 3 bytes per frame, splitting every op
            conn.send_data(stream[i : i + 3])
        assert conn.read_msg() == (b"MSG split 7 11", b"hello world")
        assert conn.read_line() == b"PONG"
    finally:
        conn.close()


def test_several_ops_in_one_frame(ws_server: WsServer) -> None:
    conn = ready(ws_server)
    try:
        conn.send_data(
            b"SUB many 1\r\nSUB many 2\r\nPUB many 1\r\na\r\n"
            b"HPUB many 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n"
        )
        got = sorted(conn.read_msg() for _ in range(4))
        assert got == sorted(
            [
                (b"MSG many 1 1", b"a"),
                (b"MSG many 2 1", b"a"),
                (b"HMSG many 1 12 14", b"NATS/1.0\r\n\r\nhi"),
                (b"HMSG many 2 12 14", b"NATS/1.0\r\n\r\nhi"),
            ]
        )
        assert conn.read_line() == b"PONG"
    finally:
        conn.close()


@pytest.mark.parametrize("opcode", [TEXT, BINARY], ids=["text", "binary"])
def test_fragmented_message(ws_server: WsServer, opcode: int) -> None:
    conn = ready(ws_server)
    try:
        conn.send_data(b"SUB frag 1\r\n")
        conn.send_frame(opcode, b"PUB frag 5\r\nhe", fin=False)
        conn.send_frame(PING, b"in between")  # control frames may interleave fragments
        conn.send_frame(CONT, b"l", fin=False)
        conn.send_frame(CONT, b"lo\r\nPING\r\n", fin=True)
        assert conn.read_msg() == (b"MSG frag 1 5", b"hello")
        assert conn.read_line() == b"PONG"
        pongs = [f for f in conn.frames if f.opcode == PONG]
        assert [p.payload for p in pongs] == [b"in between"]
    finally:
        conn.close()


def test_ws_ping_gets_ws_pong_with_the_same_payload(ws_server: WsServer) -> None:
    conn = ready(ws_server)
    try:
        for payload in (b"", b"x", os.urandom(125)):
            conn.send_frame(PING, payload)
            f = conn.read_frame()
            assert (f.fin, f.rsv, f.opcode, f.masked, f.payload) == (True, 0, PONG, False, payload)
        conn.send_frame(PONG, b"unsolicited")  # ignored
        conn.send_data(b"PING\r\n")
        assert conn.read_line() == b"PONG"
    finally:
        conn.close()


def test_large_message_in_many_frames(ws_server: WsServer) -> None:
    """1 MB payload published in 64 KB frames, received whole."""
    conn = ready(ws_server)
    try:
        payload = os.urandom(1024 * 1024)
        conn.send_data(b"SUB big 1\r\n")
        data = b"PUB big %d\r\n" % len(payload) + payload + b"\r\n"
        step = 65536
        for i in range(0, len(data), step):
            conn.send_frame(
                BINARY if i == 0 else CONT, data[i : i + step], fin=i + step >= len(data)
            )
        assert conn.read_msg(timeout=20) == (b"MSG big 1 %d" % len(payload), payload)
    finally:
        conn.close()


def test_browser_user_agent_gets_frames_of_at_most_4096_bytes(ws_server: WsServer) -> None:
    conn, _, _ = open_ws(
        ws_server.ws_address, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome"}
    )
    try:
        handshake(conn)
        conn.send_data(b"SUB b 1\r\nPUB b 10000\r\n" + b"z" * 10000 + b"\r\n")
        assert conn.read_msg() == (b"MSG b 1 10000", b"z" * 10000)
        data = [f for f in conn.frames if f.opcode in (BINARY, CONT)]
        assert max(len(f.payload) for f in data) <= 4096
        assert len(data) >= 3
    finally:
        conn.close()


# --------------------------------------------------------------------------------------
# Close frames
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload,answer",
    [
        (struct.pack("!H", 1000) + b"bye", struct.pack("!H", 1000) + b"bye"),
        (struct.pack("!H", 1001), struct.pack("!H", 1001)),
        (struct.pack("!H", 4000) + b"app", struct.pack("!H", 4000) + b"app"),
        (b"", b""),  # no status: a close frame without payload
        (
            struct.pack("!H", 1000) + b"\xff\xfe",
            struct.pack("!H", 1007) + b"invalid utf8 body in close frame",
        ),
    ],
    ids=["1000-bye", "1001", "4000-app", "empty", "bad-utf8"],
)
def test_close_frame_is_echoed_then_eof(ws_server: WsServer, payload: bytes, answer: bytes) -> None:
    conn = ready(ws_server)
    try:
        conn.send_frame(CLOSE, payload)
        f, rest = conn.expect_close()
        assert (f.fin, f.rsv, f.masked, f.payload) == (True, 0, False, answer)
        assert rest == b""
    finally:
        conn.close()


# --------------------------------------------------------------------------------------
# Malformed frames: the connection fails
# --------------------------------------------------------------------------------------
#
# nats-server 2.15.1 means to answer a framing error with a close frame (1002 and the reason
# below: wsHandleProtocolError) but then closes the connection as a read error, which skips
# the flush, unless its write loop got there first: the client sees EOF, preceded by that
# close frame or by nothing (a race: 20 of 20 tries without it in one run, several cases
# with it in the next). So the tests accept both, and nothing else.


def assert_failed(conn: WsConn, kind: str, *allowed: bytes) -> None:
    """The server closes the socket; what came before EOF is nothing or one of ``allowed``."""
    rest = conn.read_to_eof()
    assert rest in (b"", *allowed), rest


MALFORMED = {
    "unmasked": (frame(BINARY, b"PING\r\n", mask=False), b"mask bit missing"),
    "opcode-3": (frame(0x3, b"x"), b"unknown opcode 3"),
    "opcode-11": (frame(0xB, b""), b"unknown opcode 11"),
    "ping-126": (
        frame(PING, b"p" * 126),
        b"control frame length bigger than maximum allowed of 125 bytes",
    ),
    "ping-no-fin": (frame(PING, b"p", fin=False), b"control frame does not have final bit set"),
    "close-no-fin": (
        frame(CLOSE, struct.pack("!H", 1000), fin=False),
        b"control frame does not have final bit set",
    ),
    "continuation-first": (frame(CONT, b"PING\r\n"), b"invalid continuation frame"),
    "rsv2": (frame(BINARY, b"PING\r\n", rsv=RSV2), b"RSV2 and RSV3 must be clear"),
    "rsv3": (frame(BINARY, b"PING\r\n", rsv=RSV3), b"RSV2 and RSV3 must be clear"),
    "rsv1-not-negotiated": (
        frame(BINARY, deflate(b"PING\r\n"), rsv=RSV1),
        b"compressed frame received without negotiated permessage-deflate",
    ),
    "new-message-before-final": (
        frame(BINARY, b"PI", fin=False) + frame(BINARY, b"NG\r\n"),
        b"new message started before final frame for previous message was received",
    ),
    "close-1-byte": (frame(CLOSE, b"\x03"), b"close frame payload cannot be 1 byte"),
    "close-999": (frame(CLOSE, struct.pack("!H", 999)), b"invalid close status code 999"),
    "close-1005": (frame(CLOSE, struct.pack("!H", 1005)), b"invalid close status code 1005"),
    "close-1006": (frame(CLOSE, struct.pack("!H", 1006)), b"invalid close status code 1006"),
    "close-1016": (frame(CLOSE, struct.pack("!H", 1016)), b"invalid close status code 1016"),
    "close-5000": (frame(CLOSE, struct.pack("!H", 5000)), b"invalid close status code 5000"),
    "length-64-bit-high": (
        bytes([0x80 | BINARY, 0x80 | 127]) + struct.pack("!Q", 1 << 63) + b"\0\0\0\0",
        b"invalid 64-bit payload length",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_frames(ws_kind: str, ws_server: WsServer, case: str) -> None:
    data, reason = MALFORMED[case]
    conn = ready(ws_server)
    try:
        conn.send(data)
        assert_failed(conn, ws_kind, close_frame(1002, reason))
    finally:
        conn.close()


def test_malformed_before_connect(ws_kind: str, ws_server: WsServer) -> None:
    """The same before the client has sent CONNECT."""
    conn, _, _ = open_ws(ws_server.ws_address)
    try:
        conn.send(frame(0x3, b"x"))
        assert_failed(conn, ws_kind, close_frame(1002, b"unknown opcode 3"))
    finally:
        conn.close()


def test_the_connection_is_usable_until_the_bad_frame(ws_kind: str, ws_server: WsServer) -> None:
    """What came before a bad frame in the same read is processed: the PUB reaches a
    subscriber on another connection."""
    watcher = ready(ws_server)
    watcher.send_data(b"SUB before.bad 1\r\nPING\r\n")
    assert watcher.read_line() == b"PONG"
    conn = ready(ws_server)
    try:
        conn.send(frame(BINARY, b"PUB before.bad 2\r\nok\r\n") + frame(0x3, b"x"))
        assert_failed(conn, ws_kind, close_frame(1002, b"unknown opcode 3"))
        assert watcher.read_msg() == (b"MSG before.bad 1 2", b"ok")
    finally:
        conn.close()
        watcher.close()


def test_nats_protocol_error(ws_kind: str, ws_server: WsServer) -> None:
    """A NATS parser error over WebSocket: the -ERR and a close frame 1002 'Protocol
    Violation', then EOF. nats-server 2.15.1 ends its read loop with the parser's error as a
    read error, which skips the flush: mostly nothing arrives, sometimes the -ERR alone
    (its write loop got there first); 2.10.26 sent both every time."""
    err = frame(BINARY, b"-ERR 'Unknown Protocol Operation'\r\n", mask=False)
    conn = ready(ws_server)
    try:
        conn.send_data(b"FOO bar\r\n")
        assert_failed(conn, ws_kind, err, err + close_frame(1002, b"Protocol Violation"))
    finally:
        conn.close()


def test_max_payload_closes_with_1009(ws_server: WsServer) -> None:
    conn = ready(ws_server)
    try:
        conn.send_data(b"PUB big 2000000\r\n")
        assert conn.read_to_eof() == (
            frame(BINARY, b"-ERR 'Maximum Payload Violation'\r\n", mask=False)
            + close_frame(1009, b"Maximum Message Payload Exceeded")
        )
    finally:
        conn.close()


def test_server_shutdown_sends_1001(ws_kind: str, start_ws: WsServers) -> None:
    server = start_ws(ws_kind)
    conn = ready(server)
    try:
        assert server.proc is not None
        server.proc.stop()  # SIGINT: a clean shutdown
        f, rest = conn.expect_close(timeout=10)
        assert (f.close_status, f.close_reason, rest) == (1001, b"Server Shutdown", b"")
    finally:
        conn.close()


# --------------------------------------------------------------------------------------
# permessage-deflate
# --------------------------------------------------------------------------------------

PMC_REQUEST = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"}


@pytest.fixture
def deflate_server(ws_kind: str, start_ws: WsServers) -> WsServer:
    return start_ws(ws_kind, compression=True)


def test_deflate_is_negotiated(deflate_server: WsServer) -> None:
    conn, resp = upgrade(deflate_server.ws_address, headers=PMC_REQUEST)
    try:
        assert resp.status == 101
        assert resp.header("Sec-WebSocket-Extensions") == PMC_RESPONSE
        # The INFO (over 64 bytes) arrives compressed.
        f = conn.read_frame()
        assert (f.fin, f.rsv, f.opcode, f.masked) == (True, RSV1, BINARY, False)
        conn.stream += _inflate(f.payload)
        assert conn.read_line().startswith(b"INFO {")
    finally:
        conn.close()


def _inflate(data: bytes) -> bytes:
    from .wsproto import inflate

    return inflate(data)


def test_deflate_not_asked_not_used(ws_kind: str, deflate_server: WsServer) -> None:
    conn, resp, _ = open_ws(deflate_server.ws_address)
    try:
        assert resp.header("Sec-WebSocket-Extensions") is None
        handshake(conn)
        conn.send_data(b"SUB d 1\r\nPUB d 1000\r\n" + b"a" * 1000 + b"\r\n")
        assert conn.read_msg() == (b"MSG d 1 1000", b"a" * 1000)
        assert all(f.rsv == 0 for f in conn.frames)
        conn.send(frame(BINARY, deflate(b"PING\r\n"), rsv=RSV1))
        reason = b"compressed frame received without negotiated permessage-deflate"
        assert_failed(conn, ws_kind, close_frame(1002, reason))
    finally:
        conn.close()


def test_deflate_not_offered_when_off(ws_server: WsServer) -> None:
    conn, resp, _ = open_ws(ws_server.ws_address, headers=PMC_REQUEST)
    try:
        assert resp.header("Sec-WebSocket-Extensions") is None
        handshake(conn)
    finally:
        conn.close()


def test_compressed_pub_accepted_and_large_msg_compressed(deflate_server: WsServer) -> None:
    conn, resp, _ = open_ws(deflate_server.ws_address, headers=PMC_REQUEST)
    try:
        conn.send(frame(BINARY, deflate(CONNECT_QUIET + b"\r\nPING\r\n"), rsv=RSV1))
        assert conn.read_line() == b"PONG"
        payload = b"compressible " * 2000
        conn.send(
            frame(
                BINARY,
                deflate(b"SUB z 1\r\nPUB z %d\r\n" % len(payload) + payload + b"\r\n"),
                rsv=RSV1,
            )
        )
        n = len(conn.frames)
        assert conn.read_msg() == (b"MSG z 1 %d" % len(payload), payload)
        data = [f for f in conn.frames[n:] if f.opcode in (BINARY, CONT)]
        assert data[0].rsv == RSV1
        assert sum(len(f.payload) for f in data) < len(payload) // 10
        # Small frames go uncompressed (64 bytes or less), and are accepted both ways.
        conn.send_data(b"PING\r\n")
        f = conn.read_frame()
        assert (f.rsv, f.payload) == (0, b"PONG\r\n")
    finally:
        conn.close()


def test_compressed_message_in_fragments(deflate_server: WsServer) -> None:
    conn, _, _ = open_ws(deflate_server.ws_address, headers=PMC_REQUEST)
    try:
        handshake(conn)
        payload = os.urandom(50) * 100
        z = deflate(b"SUB f 1\r\nPUB f %d\r\n" % len(payload) + payload + b"\r\nPING\r\n")
        third = len(z) // 3
        conn.send(frame(BINARY, z[:third], rsv=RSV1, fin=False))
        conn.send(frame(CONT, z[third : 2 * third], fin=False))
        conn.send(frame(CONT, z[2 * third :]))
        assert conn.read_msg() == (b"MSG f 1 %d" % len(payload), payload)
        assert conn.read_line() == b"PONG"
    finally:
        conn.close()


def test_bad_deflate_data(ws_kind: str, deflate_server: WsServer) -> None:
    conn, _, _ = open_ws(deflate_server.ws_address, headers=PMC_REQUEST)
    try:
        handshake(conn)
        conn.send(frame(BINARY, b"\xff\xff\xff\xff garbage", rsv=RSV1))
        # nats-server: EOF alone (30 of 30; its log says 'read error: flate: corrupt input
        # before offset 1': a read error, whose close frame it would word 1001 'Read Error'
        # but skips). That frame, or 1002/1007 with any reason, is fine too.
        rest = conn.read_to_eof()
        if rest:
            f = WsConn(socket.socket())
            f.buf = bytearray(rest)
            close = f.read_frame()
            assert close.opcode == CLOSE, rest
            assert rest == close_frame(1001, b"Read Error") or close.close_status in (1002, 1007)
            assert f.buf == b"", rest
    finally:
        conn.close()


def test_compressed_continuation_is_invalid(ws_kind: str, deflate_server: WsServer) -> None:
    conn, _, _ = open_ws(deflate_server.ws_address, headers=PMC_REQUEST)
    try:
        handshake(conn)
        conn.send(frame(BINARY, b"PI", fin=False) + frame(CONT, b"NG\r\n", rsv=RSV1))
        assert_failed(conn, ws_kind, close_frame(1002, b"invalid continuation frame"))
    finally:
        conn.close()


def test_compressed_control_frame_is_invalid(ws_kind: str, deflate_server: WsServer) -> None:
    conn, _, _ = open_ws(deflate_server.ws_address, headers=PMC_REQUEST)
    try:
        handshake(conn)
        conn.send(frame(PING, b"", rsv=RSV1))
        assert_failed(conn, ws_kind, close_frame(1002, b"control frame must not be compressed"))
    finally:
        conn.close()


def test_log_lines_name_websocket_clients_wid(ws_kind: str, start_ws: WsServers) -> None:
    """nats-server's log names a WebSocket client ``wid:N`` (``cid:N`` for TCP clients): a
    refused user's ``authentication error`` line shows it."""
    server = start_ws(
        ws_kind, extra='authorization { users: [ { user: "a", password: "b" } ] }'
    )
    conn, _, _ = open_ws(server.ws_address)
    try:
        conn.send_data(b'CONNECT {"user":"a","pass":"wrong","verbose":false}\r\nPING\r\n')
        assert conn.read_line() == b"-ERR 'Authorization Violation'"
    finally:
        conn.close()
    line = server.proc.log.expect(r"authentication error - User \"a\"$", timeout=5)
    assert re.search(r"127\.0\.0\.1:\d+ - wid:\d+ - authentication error", line), line
