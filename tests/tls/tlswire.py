"""Raw-socket TLS helpers on top of :mod:`tests.wire.proto`."""

from __future__ import annotations

import ssl
import time

from ..wire.proto import TIMEOUT, Conn, dial

CONNECT_PING = b'CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n'


def upgrade(conn: Conn, ctx: ssl.SSLContext, hostname: str = "127.0.0.1") -> Conn:
    """The client's TLS handshake on ``conn`` (nothing may be left unread in clear)."""
    assert not conn.buf, f"unread bytes in clear: {bytes(conn.buf)!r}"
    conn.sock.settimeout(TIMEOUT)
    tls = ctx.wrap_socket(conn.sock, server_hostname=hostname)
    return Conn(tls)  # type: ignore[arg-type]


def tls_dial(
    address: tuple[str, int], ctx: ssl.SSLContext, *, handshake_first: bool = False
) -> Conn:
    """Connects and starts TLS: after the INFO in clear, or at once (``handshake_first``).
    The returned connection has the INFO read (``conn.info``)."""
    conn = dial(address)
    if handshake_first:
        tls = upgrade(conn, ctx)
        tls.read_info()
        return tls
    info_line = conn.read_line()
    tls = upgrade(conn, ctx)
    tls.info_line = info_line
    return tls


def closed_after(conn: Conn, timeout: float = TIMEOUT) -> tuple[bytes, float]:
    """Reads until the server closes (EOF, reset or a TLS alert); returns what arrived and
    how long it took."""
    start = time.monotonic()
    data = bytes(conn.buf)
    conn.buf.clear()
    conn.sock.settimeout(timeout)
    while True:
        try:
            chunk = conn.sock.recv(65536)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            break
        except TimeoutError:
            raise AssertionError(f"not closed within {timeout}s; got {data!r}") from None
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - start


def refused(conn: Conn) -> bytes:
    """The server ends a TLS connection it does not accept (say, for its client
    certificate): CONNECT + PING get no PONG. Returns what arrived before the end."""
    try:
        conn.send(CONNECT_PING)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return b""
    data, _ = closed_after(conn)
    assert b"PONG" not in data, data
    return data


def handshake_fails(conn: Conn, ctx: ssl.SSLContext) -> None:
    """The client's handshake fails, or the server ends the connection right after it."""
    try:
        tls = upgrade(conn, ctx)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return
    refused(tls)
