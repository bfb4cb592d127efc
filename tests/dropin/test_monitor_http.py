"""The monitoring port's HTTP limits, side by side with nats-server (issue 16): a request
line Go's HTTP server takes (up to its 1 MiB ``MaxHeaderBytes``) is answered, a longer one
gets Go's ``431`` and the close."""

from __future__ import annotations

import socket

from .procs import served

HOST = "127.0.0.1"


def _exchange(port: int, request: bytes) -> bytes:
    """Sends ``request`` and reads the answer's head (and as much of the body as comes)."""
    with socket.create_connection((HOST, port), timeout=5) as s:
        try:
            s.sendall(request)
        except OSError:
            pass  # the server may close while the rest is still being sent
        data = b""
        while b"\r\n\r\n" not in data or len(data) < 64:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        return data


def _monitor_port(proc) -> int:  # type: ignore[no-untyped-def]
    return int(proc.log.find(r"\[INF\] Starting http monitor on 127\.0\.0\.1:(\d+)$")[1])


def test_a_100_kb_query_is_answered(kind):
    with served("-a", HOST, "-p", "-1", "-m", "-1", kind=kind) as s:
        port = _monitor_port(s)
        answer = _exchange(port, b"GET /varz?x=" + b"A" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:100]
        assert b"Content-Type: application/json\r\n" in answer, answer[:300]


def test_a_request_line_over_1_mib_gets_431(kind):
    with served("-a", HOST, "-p", "-1", "-m", "-1", kind=kind) as s:
        port = _monitor_port(s)
        answer = _exchange(port, b"GET /varz?x=" + b"A" * (1 << 21) + b" HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:100]
