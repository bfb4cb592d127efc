"""One traffic scenario, played the same way against fastnats and against nats-server, and the
HTTP helper the monitoring tests read both with.

The scenario gives every open connection a different count for each /connz sort key, so that
a sorted order is fully determined (nats-server's sort is not stable: ties may come in any
order):

========  ==========  ====  =============  ===============  ========================
name      lang        subs  msgs/bytes in  msgs/bytes out   notes
========  ==========  ====  =============  ===============  ========================
alpha     python 1.0  3     1 / 2          5 / 27           ``baz`` auto-unsub at 5
beta      go 1.2      2     2 / 4          4 / 25
gamma     python 1.0  0     4 / 17         0 / 0
delta     node 2.0    1     3 / 12         1 / 2
closer    python 1.0  1     0 / 0          --               closed cleanly
toobig    python 1.0  0     0 / 0          --               closed: payload too big
========  ==========  ====  =============  ===============  ========================
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 5.0
HOST = "127.0.0.1"
# Open connections in cid order, and the one closed cleanly.
OPEN = ("alpha", "beta", "gamma", "delta")
CLOSED = ("closer", "toobig")
# Order of the last activity (oldest first): `touch` pings them in this order.
TOUCH_ORDER = ("delta", "gamma", "alpha", "beta")


class Client:
    """A raw NATS client: CONNECT with a name/lang/version, PING/PONG barriers that answer the
    server's own PINGs (nats-server sends one to measure the round trip) and skip messages."""

    def __init__(self, port: int, name: str, lang: str, version: str) -> None:
        self.name = name
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        info = self._line()
        assert info.startswith(b"INFO "), info
        connect = {
            "verbose": False,
            "pedantic": False,
            "name": name,
            "lang": lang,
            "version": version,
            "protocol": 1,
        }
        self.sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        self.sync()

    def _line(self) -> bytes:
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n" not in self.buf:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{self.name}: closed; unread {bytes(self.buf)!r}")
            self.buf += chunk
        i = self.buf.index(b"\r\n")
        line = bytes(self.buf[:i])
        del self.buf[: i + 2]
        return line

    def _skip(self, n: int) -> None:
        deadline = time.monotonic() + TIMEOUT
        while len(self.buf) < n + 2:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{self.name}: closed in a message")
            self.buf += chunk
        del self.buf[: n + 2]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def sync(self) -> None:
        """Send PING and read up to its PONG: everything sent before has been processed."""
        self.sock.sendall(b"PING\r\n")
        while True:
            line = self._line()
            if line == b"PONG":
                return
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                self._skip(int(line.split(b" ")[-1]))
            elif line.startswith(b"INFO ") or line == b"+OK":
                pass
            else:
                raise AssertionError(f"{self.name}: unexpected {line!r}")

    def wait_closed(self) -> None:
        """Read until the server closes the connection."""
        self.sock.settimeout(TIMEOUT)
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


def pub(subject: str, payload: bytes) -> bytes:
    return f"PUB {subject} {len(payload)}\r\n".encode() + payload + b"\r\n"


@dataclass
class Scenario:
    clients: dict[str, Client] = field(default_factory=dict)

    def touch(self, gap: float = 0.03) -> None:
        """Make the last-activity order TOUCH_ORDER (oldest first).

        nats-server counts messages and interest changes as activity, not PING/PONG: each
        client subscribes and unsubscribes a throwaway subject.
        """
        for name in TOUCH_ORDER:
            time.sleep(gap)
            c = self.clients[name]
            c.send(b"SUB touch 99\r\nUNSUB 99\r\n")
            c.sync()

    def ping_all(self, order: tuple[str, ...], gap: float = 0.03) -> None:
        """PING/PONG each client in this order (not activity for nats-server)."""
        for name in order:
            time.sleep(gap)
            self.clients[name].sync()

    def close(self) -> None:
        for c in self.clients.values():
            c.close()


def play(port: int, http_port: int) -> Scenario:
    """Run the scenario against the server on ``port``; the open clients stay connected."""
    sc = Scenario()
    for name, lang, version in (
        ("alpha", "python", "1.0"),
        ("beta", "go", "1.2"),
        ("gamma", "python", "1.0"),
        ("delta", "node", "2.0"),
    ):
        sc.clients[name] = Client(port, name, lang, version)
        time.sleep(0.005)  # distinct start times
    a, b, g, d = (sc.clients[n] for n in OPEN)
    a.send(b"SUB foo 1\r\nSUB bar.* q1 2\r\nSUB baz 3\r\nUNSUB 3 5\r\n")
    a.sync()
    b.send(b"SUB foo 7\r\nSUB quux 8\r\n")
    b.sync()
    d.send(b"SUB bar.x 1\r\n")
    d.sync()
    g.send(pub("foo", b"hello") * 3 + pub("bar.x", b"hi"))
    g.sync()
    d.send(pub("foo", b"abcdefghij") + pub("nobody", b"x") + pub("nobody", b"y"))
    d.sync()
    a.send(pub("nobody", b"zz"))
    a.sync()
    b.send(pub("nobody", b"a") + pub("nobody", b"bcd"))
    b.sync()
    for c in (a, b, d):  # deliveries have arrived
        c.sync()
    closer = Client(port, "closer", "python", "1.0")
    closer.send(b"SUB x 1\r\n")
    closer.sync()
    closer.close()
    # The server records a close when it notices it: wait for closer's before toobig's, so
    # their stop times are in this order on both servers (sort=stop compares them).
    wait_closed(http_port, 1)
    toobig = Client(port, "toobig", "python", "1.0")
    toobig.send(b"PUB foo 99999999\r\n")
    toobig.wait_closed()
    return sc


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def get(port: int, path: str, method: str = "GET") -> Reply:
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def wait_closed(port: int, count: int, timeout: float = TIMEOUT) -> None:
    """Wait until the server lists ``count`` closed connections (a close is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        got = get(port, "/connz?state=closed").json()["total"]
        if got >= count or time.monotonic() > deadline:
            return
        time.sleep(0.01)
