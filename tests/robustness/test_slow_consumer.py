"""A subscriber that never reads is cut off; nobody else loses a message."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ..wire.proto import PING, PONG, Conn, connect

pytestmark = pytest.mark.timeout(120)

MAX_PENDING = 256 * 1024
PAYLOAD = b"x" * 1024
BATCH = 64  # 64 KiB per batch: far below max_pending for a subscriber that keeps up
MAX_BATCHES = 2000  # 128 MiB at most


class CountingReader(threading.Thread):
    """Reads a subscriber socket as fast as it can and counts whole MSGs."""

    def __init__(self, conn: Conn) -> None:
        super().__init__(daemon=True)
        self.conn = conn
        self.count = 0
        self.error: BaseException | None = None
        self.cond = threading.Condition()

    def run(self) -> None:
        try:
            while True:
                line = self.conn.read_line(timeout=60)
                if line == PING:  # answer keep-alives, just in case
                    self.conn.send(PONG)
                    continue
                assert line == b"MSG slow.test 1 1024\r\n", line
                assert self.conn.read_exact(len(PAYLOAD) + 2, timeout=60) == PAYLOAD + b"\r\n"
                with self.cond:
                    self.count += 1
                    self.cond.notify_all()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e
            with self.cond:
                self.cond.notify_all()

    def wait_count(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.count < n and self.error is None:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"fast subscriber got {self.count} of {n}"
                self.cond.wait(remaining)
        if self.error is not None and self.count < n:
            raise AssertionError(f"fast subscriber failed after {self.count}") from self.error


def test_slow_consumer_is_closed_and_fast_subscriber_gets_everything(start_fastnats):
    srv = start_fastnats(max_pending=MAX_PENDING, max_payload=64 * 1024)
    # The slow subscriber: tiny receive buffer, subscribes, then never reads.
    slow_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow_sock.connect(srv.address)
    slow = Conn(slow_sock)
    slow.read_info()
    slow.send(b'CONNECT {"verbose":false}\r\nSUB slow.test 1\r\nPING\r\n')
    slow.expect(PONG)

    fast = connect(srv)
    fast.send(b"SUB slow.test 1\r\n")
    fast.ping_pong()
    reader = CountingReader(fast)
    reader.start()

    publisher = connect(srv)
    sent = 0
    try:
        batch = (b"PUB slow.test 1024\r\n" + PAYLOAD + b"\r\n") * BATCH
        for _ in range(MAX_BATCHES):
            publisher.send(batch + PING)
            publisher.expect(PONG, timeout=30)
            sent += BATCH
            reader.wait_count(sent)  # keep the fast one well under max_pending
            if srv.stats()["slow_consumers"] >= 1:
                break
        assert srv.stats()["slow_consumers"] == 1, f"no slow consumer after {sent} messages"
        # Traffic continues for the others after the cut.
        for _ in range(10):
            publisher.send(batch + PING)
            publisher.expect(PONG, timeout=30)
            sent += BATCH
        reader.wait_count(sent)
        assert reader.count == sent  # every message, exactly once
        assert reader.error is None

        # The slow consumer was closed silently: whatever it had queued, then EOF, no -ERR.
        leftover = slow.is_closed(timeout=30)
        assert b"-ERR" not in leftover
        assert srv.stats()["connections"] == 2  # fast + publisher
    finally:
        for c in (slow, fast, publisher):
            c.close()
