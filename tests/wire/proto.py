"""Raw-socket helpers for wire transcripts: send bytes, expect bytes.

Every read has a deadline (``TIMEOUT`` by default). A test that expects "nothing more" uses a
PING/PONG barrier instead of waiting for silence: the server answers a PING only after every op
sent before it has been processed, so ``send(op); send(PING); expect(PONG)`` proves that ``op``
produced no output.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

TIMEOUT = 5.0
PING = b"PING\r\n"
PONG = b"PONG\r\n"
OK = b"+OK\r\n"


def err(text: str) -> bytes:
    """The exact ``-ERR '<text>'\\r\\n`` line."""
    return f"-ERR '{text}'\r\n".encode()


class Closed(AssertionError):
    """The server closed the connection while more bytes were expected."""


class Conn:
    """A raw client connection with a receive buffer."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.eof = False
        self.info: dict[str, Any] | None = None
        self.info_line: bytes = b""

    # sending -----------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_bytewise(self, data: bytes) -> None:
        """Send one byte per write (TCP_NODELAY is on, so they travel as separate segments)."""
        for i in range(len(data)):
            self.sock.sendall(data[i : i + 1])

    # receiving ---------------------------------------------------------------------------
    def _fill(self, deadline: float) -> None:
        """Read more bytes into ``buf``.

        Raises ``Closed`` at EOF and ``TimeoutError`` at the deadline.
        """
        if self.eof:
            raise Closed(f"connection closed; unread bytes: {bytes(self.buf)!r}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out; bytes so far: {bytes(self.buf)!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise TimeoutError(f"timed out; bytes so far: {bytes(self.buf)!r}") from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            raise Closed(f"connection closed; unread bytes: {bytes(self.buf)!r}")
        self.buf += chunk

    def read_exact(self, n: int, timeout: float = TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_until(self, delim: bytes, timeout: float = TIMEOUT) -> bytes:
        """Bytes up to and including ``delim``."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(delim)
            if i >= 0:
                out = bytes(self.buf[: i + len(delim)])
                del self.buf[: i + len(delim)]
                return out
            self._fill(deadline)

    def read_line(self, timeout: float = TIMEOUT) -> bytes:
        return self.read_until(b"\r\n", timeout)

    def expect(self, expected: bytes, timeout: float = TIMEOUT) -> None:
        """The next bytes are exactly ``expected``."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < len(expected):
            if not expected.startswith(bytes(self.buf)):
                break  # already wrong: fail now with what we have
            try:
                self._fill(deadline)
            except (Closed, TimeoutError) as e:
                raise AssertionError(
                    f"expected {expected!r}, got {bytes(self.buf)!r} ({e})"
                ) from None
        got = bytes(self.buf[: len(expected)])
        assert got == expected, f"expected {expected!r}, got {bytes(self.buf)!r}"
        del self.buf[: len(expected)]

    def expect_closed(self, timeout: float = TIMEOUT) -> None:
        """The server closes the connection without sending anything more."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            try:
                self._fill(deadline)
            except Closed:
                break
            except TimeoutError:
                raise AssertionError(
                    f"connection not closed; bytes received: {bytes(self.buf)!r}"
                ) from None
        assert not self.buf, f"expected EOF, got {bytes(self.buf)!r} before it"

    def is_closed(self, timeout: float = TIMEOUT) -> bytes:
        """Wait for EOF; return whatever arrived before it."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            try:
                self._fill(deadline)
            except Closed:
                break
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def expect_err_and_close(self, text: str, timeout: float = TIMEOUT) -> None:
        self.expect(err(text), timeout)
        self.expect_closed(timeout)

    def ping_pong(self, timeout: float = TIMEOUT) -> None:
        """Barrier: everything sent so far has been processed and produced no output."""
        self.send(PING)
        self.expect(PONG, timeout)

    def read_info(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        line = self.read_line(timeout)
        assert line.startswith(b"INFO "), f"expected INFO, got {line!r}"
        self.info_line = line
        self.info = json.loads(line[5:].strip())
        return self.info

    def read_msg(self, timeout: float = TIMEOUT) -> tuple[bytes, bytes]:
        """One ``MSG``/``HMSG``: (control line without CRLF, the following bytes incl. CRLF)."""
        line = self.read_line(timeout)[:-2]
        parts = line.split(b" ")
        assert parts[0] in (b"MSG", b"HMSG"), f"expected MSG/HMSG, got {line!r}"
        size = int(parts[-1])
        body = self.read_exact(size + 2, timeout)
        assert body.endswith(b"\r\n"), body
        return line, body[:-2]

    def msgs_until_pong(self, timeout: float = TIMEOUT) -> list[tuple[bytes, bytes]]:
        """Send PING; return every MSG/HMSG (control line, body) that arrives before the PONG.

        Anything else before the PONG fails the test.
        """
        self.send(PING)
        deadline = time.monotonic() + timeout
        out: list[tuple[bytes, bytes]] = []
        while True:
            line = self.read_line(max(deadline - time.monotonic(), 0.001))
            if line == PONG:
                return out
            parts = line[:-2].split(b" ")
            assert parts[0] in (b"MSG", b"HMSG"), f"unexpected {line!r} (after {out!r})"
            body = self.read_exact(int(parts[-1]) + 2, max(deadline - time.monotonic(), 0.001))
            assert body.endswith(b"\r\n"), body
            out.append((line[:-2], body[:-2]))

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dial(address: tuple[str, int], timeout: float = TIMEOUT) -> Conn:
    """Open a TCP connection (nothing read yet)."""
    sock = socket.create_connection(address, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Conn(sock)


def connect(
    server: Any,
    connect: dict[str, Any] | None = None,
    *,
    handshake: bool = True,
    timeout: float = TIMEOUT,
) -> Conn:
    """Connect, read INFO, and (``handshake``) send ``CONNECT <json>`` + PING and read the reply.

    ``connect`` defaults to ``{"verbose": false, "pedantic": false}``; with ``verbose`` true
    the ``+OK`` before the PONG is consumed too. Without ``handshake`` only INFO is read.
    """
    address = server.address if hasattr(server, "address") else server
    conn = dial(address, timeout)
    conn.read_info(timeout)
    if handshake:
        opts = {"verbose": False, "pedantic": False} if connect is None else connect
        conn.send(b"CONNECT " + json.dumps(opts).encode() + b"\r\n" + PING)
        if opts.get("verbose", True):
            conn.expect(OK, timeout)
        conn.expect(PONG, timeout)
    return conn


def msg(subject: str, sid: str, payload: bytes, reply: str | None = None) -> bytes:
    """The exact MSG bytes a subscriber receives."""
    fields = [subject, sid] + ([reply] if reply else []) + [str(len(payload))]
    return ("MSG " + " ".join(fields) + "\r\n").encode() + payload + b"\r\n"


def hmsg(subject: str, sid: str, headers: bytes, payload: bytes, reply: str | None = None) -> bytes:
    """The exact HMSG bytes a subscriber receives."""
    n = len(headers) + len(payload)
    fields = [subject, sid] + ([reply] if reply else []) + [str(len(headers)), str(n)]
    return ("HMSG " + " ".join(fields) + "\r\n").encode() + headers + payload + b"\r\n"


def pub(subject: str, payload: bytes, reply: str | None = None) -> bytes:
    fields = [subject] + ([reply] if reply else []) + [str(len(payload))]
    return ("PUB " + " ".join(fields) + "\r\n").encode() + payload + b"\r\n"


def hpub(subject: str, headers: bytes, payload: bytes, reply: str | None = None) -> bytes:
    n = len(headers) + len(payload)
    fields = [subject] + ([reply] if reply else []) + [str(len(headers)), str(n)]
    return ("HPUB " + " ".join(fields) + "\r\n").encode() + headers + payload + b"\r\n"
