"""``rtt`` in ``/connz`` and ``stalled_clients`` in ``/varz``, side by side with nats-server.

RTT: both servers estimate it at CONNECT (the time since the connection was accepted), then
send every client a PING about 2 s after its CONNECT (2 s plus up to 20%) whatever the
client does, and take the time to its PONG. A client that holds its PONG back for
``DELAY`` seconds so shows an ``rtt`` of at least ``DELAY``; one that answers at once, much
less; ``sort=rtt`` puts the larger first. No other timing is asserted: values are Go
durations, non-zero, and below a generous bound.

Stalls: a subscriber that never reads and a publisher flooding it. Past 75% of the
subscriber's ``max_pending``, the publisher is held until the subscriber's writer drains
(nats-server's fast-producer stall); each stall counts in ``/varz`` ``stalled_clients``
and in the subscriber's ``/connz`` ``stalls``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastnats
import pytest

from . import scenario
from .conftest import Monitored, Pair, start_reference

pytestmark = pytest.mark.timeout(90)

DELAY = 0.6  # how long the slow client holds its PONG back
FIRST_PING_BY = 6.0  # the first server PING comes 2-2.4 s after CONNECT: a generous bound
BOUND_NS = 30 * 1_000_000_000  # a generous upper bound for any rtt here

_UNITS = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "µs": 1e3, "us": 1e3, "ns": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)")


def go_duration_ns(text: str) -> int:
    """Go's ``time.Duration.String()`` back to nanoseconds (``0s``, ``56µs``, ``1.5ms``,
    ``2m3.5s``); raises on anything else."""
    if text == "0s":
        return 0
    parts = _PART.findall(text)
    assert parts and "".join(n + u for n, u in parts) == text, f"not a Go duration: {text!r}"
    return round(sum(float(n) * _UNITS[u] for n, u in parts))


def test_go_duration_ns() -> None:
    assert go_duration_ns("0s") == 0
    assert go_duration_ns("56µs") == 56_000
    assert go_duration_ns("1.234567ms") == 1_234_567
    assert go_duration_ns("2m3.5s") == 123_500_000_000
    with pytest.raises(AssertionError):
        go_duration_ns("1.2 ms")


def _with_fastnats(ref: Monitored, **options: Any) -> Iterator[Pair]:
    """Starts fastnats (monitoring on, no system account, ``options``) next to the running
    reference ``ref``; yields the pair and stops both."""
    try:
        server = fastnats.Server(
            host=scenario.HOST, port=0, http_port=0, no_system_account=True, **options
        ).start()
    except BaseException:
        ref.stop()
        raise
    assert server.http_port
    p = Pair(Monitored("fastnats", server.port, server.http_port, server=server), ref)
    yield p
    p.fn.stop()
    p.ref.stop()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    yield from _with_fastnats(start_reference(tmp_path))


class Answerer(threading.Thread):
    """Reads a raw client's socket until the server's first PING, answers it after ``delay``
    seconds, then answers a PING of its own (so the PONG has been read by the server)."""

    def __init__(self, client: scenario.Client, delay: float) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.delay = delay
        self.pinged_after: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        start = time.monotonic()
        c = self.client
        try:
            c.sock.settimeout(FIRST_PING_BY)
            while True:
                line = c._line()
                if line == b"PING":
                    break
                assert line.startswith(b"INFO ") or line == b"+OK", line
            self.pinged_after = time.monotonic() - start
            time.sleep(self.delay)
            c.send(b"PONG\r\n")
            c.sync()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e


def _conns(m: Monitored, query: str = "") -> dict[str, dict[str, Any]]:
    return {c.get("name", ""): c for c in m.json("/connz" + query)["connections"]}


def test_connz_rtt_is_measured_by_the_first_ping(pair: Pair) -> None:
    clients: dict[str, dict[str, scenario.Client]] = {}
    answerers: list[Answerer] = []
    # A connection that never sends CONNECT gets no such PING (nats-server arms its first
    # PING at CONNECT).
    silent = {m.kind: socket.create_connection((scenario.HOST, m.port)) for m in pair.both()}
    for m in pair.both():
        clients[m.kind] = {
            name: scenario.Client(m.port, name, "python", "1.0") for name in ("prompt", "slow")
        }
    try:
        # The estimate taken at CONNECT: non-zero already (none without CONNECT).
        for m in pair.both():
            conns = _conns(m)
            assert conns.pop("")["rtt"] == "0s", m.kind
            for name, conn in conns.items():
                ns = go_duration_ns(conn["rtt"])
                assert 0 < ns < BOUND_NS, (m.kind, name, conn["rtt"])
        for by_name in clients.values():
            answerers.append(Answerer(by_name["prompt"], 0.0))
            answerers.append(Answerer(by_name["slow"], DELAY))
        for a in answerers:
            a.start()
        for a in answerers:
            a.join(FIRST_PING_BY + DELAY + 5)
            assert not a.is_alive() and a.error is None, (a.client.name, a.error)
            # The client had been idle (it sent nothing after CONNECT): the PING is the
            # measurement, not keep-alive (that comes after ping_interval, 2 min).
            assert a.pinged_after is not None and a.pinged_after < FIRST_PING_BY
        for m in pair.both():
            conns = _conns(m)
            slow, prompt = (go_duration_ns(conns[n]["rtt"]) for n in ("slow", "prompt"))
            assert DELAY * 1e9 <= slow < BOUND_NS, (m.kind, conns["slow"]["rtt"])
            assert 0 < prompt < slow, (m.kind, conns["prompt"]["rtt"], conns["slow"]["rtt"])
            ordered = [c.get("name", "") for c in m.json("/connz?sort=rtt")["connections"]]
            assert ordered == ["slow", "prompt", ""], (m.kind, ordered)
            sock = silent[m.kind]
            sock.settimeout(0.2)
            got = b""
            try:
                while chunk := sock.recv(65536):
                    got += chunk
            except TimeoutError:
                pass
            assert got.startswith(b"INFO ") and got.count(b"\r\n") == 1, (m.kind, got)
        # A closed connection keeps the rtt it had.
        for m in pair.both():
            rtt = _conns(m)["slow"]["rtt"]
            clients[m.kind]["slow"].close()
            scenario.wait_closed(m.http_port, 1)
            assert _conns(m, "?state=closed")["slow"]["rtt"] == rtt, m.kind
    finally:
        for by_name in clients.values():
            for c in by_name.values():
                c.close()
        for sock in silent.values():
            sock.close()


MAX_PENDING = 1024 * 1024  # a read (64 KiB at most) moves it far less than the stall's 25%
PAYLOAD = b"x" * 1024
BATCH = 64
MAX_BATCHES = 2000  # 128 MiB at most


@pytest.fixture
def stall_pair(tmp_path: Path) -> Iterator[Pair]:
    from ..conftest import start_reference_server

    srv = start_reference_server(
        tmp_path, http_port=-1, no_system_account=True, max_pending=MAX_PENDING
    )
    assert srv.process is not None and srv.http_port, "\n".join(srv.log)
    ref = Monitored("nats-server", srv.port, srv.http_port, process=srv.process, log=srv.log)
    yield from _with_fastnats(ref, max_pending=MAX_PENDING)


def test_varz_stalled_clients_counts_fast_producer_stalls(stall_pair: Pair) -> None:
    for m in stall_pair.both():
        assert m.json("/varz")["stalled_clients"] == 0, m.kind
        # The slow subscriber: a tiny receive buffer, and it never reads.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((scenario.HOST, m.port))
        sock.settimeout(scenario.TIMEOUT)
        info = sock.recv(65536)
        assert info.startswith(b"INFO "), info
        sock.sendall(
            b'CONNECT {"verbose":false,"name":"slow","lang":"raw"}\r\nSUB flood 1\r\nPING\r\n'
        )
        assert sock.recv(65536).endswith(b"PONG\r\n")
        publisher = scenario.Client(m.port, "publisher", "python", "1.0")
        try:
            batch = (b"PUB flood 1024\r\n" + PAYLOAD + b"\r\n") * BATCH
            stalled = 0
            for _ in range(MAX_BATCHES):
                publisher.send(batch)
                publisher.sync()
                varz = m.json("/varz")
                stalled = varz["stalled_clients"]
                if stalled or varz["slow_consumers"]:
                    break
            assert stalled >= 1, (m.kind, m.json("/varz")["slow_consumers"])
            # The stalled one is the subscriber (open or, once cut, closed).
            slow = _conns(m, "?state=all")["slow"]
            assert slow["stalls"] >= 1, (m.kind, slow)
            assert "stalls" not in _conns(m)["publisher"], m.kind
        finally:
            publisher.close()
            sock.close()
