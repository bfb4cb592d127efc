"""Stopping the server while traffic is in flight."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ..wire.proto import PONG, connect

pytestmark = pytest.mark.timeout(120)


class Publisher(threading.Thread):
    """Publishes in a bounded loop until the server goes away."""

    def __init__(self, address, subject: bytes) -> None:
        super().__init__(daemon=True)
        self.conn = connect(address)
        self.subject = subject
        self.sent = 0
        self.ended_by: BaseException | None = None
        self.started_publishing = threading.Event()

    def run(self) -> None:
        batch = (b"PUB " + self.subject + b" 100\r\n" + b"p" * 100 + b"\r\n") * 100
        try:
            for _ in range(200_000):  # bounded: ~2 GB at most, far more than ever needed
                self.conn.sock.sendall(batch)
                self.sent += 100
                self.started_publishing.set()
        except OSError as e:  # BrokenPipe / ConnectionReset: the server closed us
            self.ended_by = e
        finally:
            self.started_publishing.set()


class Subscriber(threading.Thread):
    def __init__(self, address, subject: bytes) -> None:
        super().__init__(daemon=True)
        self.conn = connect(address)
        self.conn.send(b"SUB " + subject + b" 1\r\n")
        self.conn.ping_pong()
        self.received_bytes = 0
        self.saw_eof = False

    def run(self) -> None:
        sock = self.conn.sock
        sock.settimeout(30)
        try:
            while True:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    self.saw_eof = True
                    return
                self.received_bytes += len(chunk)
        except ConnectionResetError:
            self.saw_eof = True
        except OSError:
            pass


def test_stop_with_traffic_in_flight(start_fastnats):
    srv = start_fastnats(shutdown_grace=2.0)
    subs = [Subscriber(srv.address, b"load.%d" % (i % 2)) for i in range(4)]
    pubs = [Publisher(srv.address, b"load.%d" % (i % 2)) for i in range(4)]
    idle = connect(srv)  # connected, doing nothing
    for t in (*subs, *pubs):
        t.start()
    for p in pubs:
        assert p.started_publishing.wait(30)
    # Wait until messages are really flowing.
    deadline = time.monotonic() + 30
    while sum(s.received_bytes for s in subs) < 1_000_000:
        assert time.monotonic() < deadline, "no traffic"
        time.sleep(0.01)

    stopper = threading.Thread(target=srv.native.stop, daemon=True)
    stopper.start()
    stopper.join(60)
    assert not stopper.is_alive(), "server.stop() hung with traffic in flight"
    assert not srv.native.running

    for t in (*subs, *pubs):
        t.join(60)
        assert not t.is_alive()
    assert all(s.saw_eof for s in subs)
    assert all(p.ended_by is not None for p in pubs), [p.ended_by for p in pubs]
    assert idle.is_closed(timeout=30) in (b"",)  # silent close for an idle client
    # The port is free again: nothing is listening any more.
    with pytest.raises(OSError):
        socket.create_connection(srv.address, timeout=5).close()
    for c in (*[s.conn for s in subs], *[p.conn for p in pubs], idle):
        c.close()


def test_stop_with_many_idle_clients_and_stop_is_idempotent(start_fastnats):
    srv = start_fastnats()
    conns = [connect(srv) for _ in range(100)]
    try:
        srv.native.stop()
        for c in conns:
            assert c.is_closed(timeout=30) == b""
        srv.native.stop()  # second stop is a no-op
        assert not srv.native.running
    finally:
        for c in conns:
            c.close()


def test_server_restarts_after_stop(start_fastnats):
    srv = start_fastnats()
    port = srv.port
    srv.native.stop()
    again = start_fastnats(port=port)
    with connect(again) as c:
        c.send(b"PING\r\n")
        c.expect(PONG)
