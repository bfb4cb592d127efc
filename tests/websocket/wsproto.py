"""A raw WebSocket client over a plain socket (RFC 6455, RFC 7692), to test the server's
framing byte for byte: the upgrade request as written, frames with any bits set, masked or
not, and the server's frames as they arrive (FIN, RSV bits, opcode, payload)."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
import time
import zlib
from dataclasses import dataclass

TIMEOUT = 5.0
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
FIN, RSV1, RSV2, RSV3 = 0x80, 0x40, 0x20, 0x10
DEFLATE_TAIL = b"\x00\x00\xff\xff"


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def new_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def deflate(data: bytes) -> bytes:
    """``data`` compressed as one permessage-deflate message (raw deflate, sync flush, the
    trailing ``00 00 ff ff`` removed)."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(DEFLATE_TAIL)
    return out[: -len(DEFLATE_TAIL)]


def inflate(data: bytes) -> bytes:
    d = zlib.decompressobj(-15)
    return d.decompress(data + DEFLATE_TAIL) + d.flush()


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = True,
    length: int | None = None,
) -> bytes:
    """One frame. ``rsv``: RSV1/RSV2/RSV3 bits to set; ``length``: the declared payload
    length when it must differ from ``len(payload)``."""
    n = len(payload) if length is None else length
    head = bytes([(FIN if fin else 0) | rsv | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes

    @property
    def close_status(self) -> int | None:
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:]


@dataclass
class Response:
    """The server's answer to the upgrade request."""

    status_line: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status(self) -> int:
        return int(self.status_line.split()[1])

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class WsConn:
    """A socket with a read buffer; frames in and out."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.stream = bytearray()  # NATS protocol bytes from data frames, not read yet
        self.frames: list[Frame] = []  # every frame read, in order

    # Raw bytes ------------------------------------------------------------------------

    def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"nothing more within the timeout; buffered {bytes(self.buf)!r}")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            return False
        self.buf += data
        return True

    def read_exact(self, n: int, timeout: float = TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise EOFError(f"EOF after {bytes(self.buf)!r}, wanted {n} bytes")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_to_eof(self, timeout: float = TIMEOUT) -> bytes:
        """Every byte until the server closes the socket (TimeoutError if it does not)."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()

    # Frames ---------------------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes = b"", **kw: object) -> None:
        self.send(frame(opcode, payload, **kw))  # type: ignore[arg-type]

    def send_data(self, payload: bytes, *, mask: bool = True) -> None:
        self.send_frame(BINARY, payload, mask=mask)

    def read_frame(self, timeout: float = TIMEOUT) -> Frame:
        deadline = time.monotonic() + timeout
        b0, b1 = self.read_exact(2, timeout)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2, deadline - time.monotonic()))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8, deadline - time.monotonic()))[0]
        key = self.read_exact(4, deadline - time.monotonic()) if b1 & 0x80 else b""
        payload = self.read_exact(n, max(deadline - time.monotonic(), 0.001))
        if key:
            payload = bytes(b ^ key[i & 3] for i, b in enumerate(payload))
        f = Frame(
            fin=bool(b0 & FIN), rsv=b0 & 0x70, opcode=b0 & 0x0F, masked=bool(key), payload=payload
        )
        self.frames.append(f)
        return f

    def read_message(self, timeout: float = TIMEOUT) -> tuple[list[Frame], bytes]:
        """The frames of the next data message (control frames in between are kept in
        ``frames`` only) and its payload, inflated when its first frame has RSV1."""
        deadline = time.monotonic() + timeout
        parts: list[Frame] = []
        while True:
            f = self.read_frame(max(deadline - time.monotonic(), 0.001))
            if f.opcode in (CLOSE, PING, PONG):
                if f.opcode == CLOSE:
                    raise EOFError(f"close frame {f.close_status} {f.close_reason!r}")
                continue
            parts.append(f)
            if f.fin:
                break
        data = b"".join(p.payload for p in parts)
        if parts[0].rsv & RSV1:
            data = inflate(data)
        return parts, data

    # The NATS protocol inside ---------------------------------------------------------

    def read_line(self, timeout: float = TIMEOUT) -> bytes:
        """The next protocol line (without CRLF) from data frames."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.stream:
            _, data = self.read_message(max(deadline - time.monotonic(), 0.001))
            self.stream += data
        line, _, rest = bytes(self.stream).partition(b"\r\n")
        self.stream = bytearray(rest)
        return line

    def read_bytes(self, n: int, timeout: float = TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.stream) < n:
            _, data = self.read_message(max(deadline - time.monotonic(), 0.001))
            self.stream += data
        out = bytes(self.stream[:n])
        del self.stream[:n]
        return out

    def read_msg(self, timeout: float = TIMEOUT) -> tuple[bytes, bytes]:
        """The next ``MSG``/``HMSG``: its control line and its payload (headers included)."""
        line = self.read_line(timeout)
        while line in (b"PING", b"PONG") or line.startswith(b"INFO "):
            if line == b"PING":
                self.send_data(b"PONG\r\n")
            line = self.read_line(timeout)
        assert line.startswith((b"MSG ", b"HMSG ")), line
        size = int(line.split()[-1])
        body = self.read_bytes(size + 2, timeout)
        assert body.endswith(b"\r\n")
        return line, body[:-2]

    def expect_close(self, timeout: float = TIMEOUT) -> tuple[Frame, bytes]:
        """Reads to the close frame (skipping data and control frames before it) and then to
        EOF; returns the close frame and what came after it (should be nothing)."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.read_frame(max(deadline - time.monotonic(), 0.001))
            if f.opcode == CLOSE:
                break
        return f, self.read_to_eof(max(deadline - time.monotonic(), 0.001))


def request(
    path: str = "/",
    *,
    method: str = "GET",
    key: str | None = None,
    headers: dict[str, str | None] | None = None,
) -> tuple[bytes, str]:
    """An upgrade request (bytes) and its key. ``headers`` overrides the defaults; a header
    set to None is left out."""
    key = new_key() if key is None else key
    fields: dict[str, str | None] = {
        "Host": "127.0.0.1",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }
    for k, v in (headers or {}).items():
        fields = {fk: fv for fk, fv in fields.items() if fk.lower() != k.lower()}
        fields[k] = v
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in fields.items() if v is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def read_response(conn: WsConn, timeout: float = TIMEOUT) -> Response:
    """The HTTP answer: head, and a body of ``Content-Length`` bytes if there is one."""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in conn.buf:
        if not conn._fill(deadline):
            raise EOFError(f"EOF before the end of the HTTP head: {bytes(conn.buf)!r}")
    head, _, rest = bytes(conn.buf).partition(b"\r\n\r\n")
    conn.buf = bytearray(rest)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines)]
    body = b""
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), None)
    if length:
        body = conn.read_exact(length, max(deadline - time.monotonic(), 0.001))
    elif length is None and not status_line.split()[1] == "101":
        body = conn.read_to_eof(max(deadline - time.monotonic(), 0.001))  # Connection: close
    return Response(status_line, headers, body)


def dial(address: tuple[str, int], tls: ssl.SSLContext | None = None) -> WsConn:
    sock = socket.create_connection(address, timeout=TIMEOUT)
    if tls is not None:
        sock = tls.wrap_socket(sock, server_hostname=address[0])
    return WsConn(sock)


def upgrade(
    address: tuple[str, int],
    *,
    tls: ssl.SSLContext | None = None,
    path: str = "/",
    method: str = "GET",
    key: str | None = None,
    headers: dict[str, str | None] | None = None,
    raw: bytes | None = None,
) -> tuple[WsConn, Response]:
    """Connects and sends the upgrade request (``raw``: these bytes instead); returns the
    connection and the server's answer (any status)."""
    conn = dial(address, tls)
    data = raw if raw is not None else request(path, method=method, key=key, headers=headers)[0]
    conn.send(data)
    return conn, read_response(conn)


def open_ws(
    address: tuple[str, int],
    *,
    tls: ssl.SSLContext | None = None,
    headers: dict[str, str | None] | None = None,
) -> tuple[WsConn, Response, bytes]:
    """An upgraded connection with the INFO read: the connection, the 101 answer and the
    INFO line."""
    conn, resp = upgrade(address, tls=tls, headers=headers)
    assert resp.status == 101, (resp.status_line, resp.body)
    info = conn.read_line()
    assert info.startswith(b"INFO {"), info
    return conn, resp, info


def handshake(
    conn: WsConn, connect: bytes = b'{"verbose":false,"headers":true}', *, mask: bool = True
) -> None:
    """CONNECT + PING, then the PONG (an INFO not read yet is skipped; an -ERR fails)."""
    conn.send_data(b"CONNECT " + connect + b"\r\nPING\r\n", mask=mask)
    line = conn.read_line()
    while line.startswith(b"INFO "):
        line = conn.read_line()
    assert line == b"PONG", line


def close_frame(status: int, reason: bytes = b"") -> bytes:
    """A server's (unmasked) close frame."""
    return frame(CLOSE, struct.pack("!H", status) + reason, mask=False)
