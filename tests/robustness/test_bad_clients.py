"""Clients that send garbage, lie about sizes, or vanish mid-payload harm nobody else."""

from __future__ import annotations

import random
import socket
import struct
import time

import pytest

from ..conftest import client_subscriptions
from ..wire.proto import PING, PONG, connect, dial, msg, pub

pytestmark = pytest.mark.timeout(120)


def _abort(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _bad_client(address, kind: int, rnd: random.Random) -> None:
    c = dial(address)
    try:
        if kind == 0:  # random bytes before CONNECT
            c.send(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 2000))))
        elif kind == 1:  # valid CONNECT, then random bytes
            c.send(b'CONNECT {"verbose":false}\r\n')
            c.send(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 2000))))
        elif kind == 2:  # disconnect in the middle of a payload
            c.send(b'CONNECT {"verbose":false}\r\nSUB shared 1\r\nPUB shared 100000\r\n')
            c.send(b"y" * rnd.randint(0, 99_999))
        elif kind == 3:  # huge size claim, then vanish
            c.send(b"PUB shared 999999999\r\n")
        elif kind == 4:  # half a control line, then reset
            c.send(b"SUB shared.with.a.very.long.subj")
            _abort(c.sock)
            return
        elif kind == 5:  # subscribe to the shared subject, then reset without reading
            c.send(b'CONNECT {"verbose":false}\r\nSUB shared 9\r\nSUB > 10\r\nPING\r\n')
            c.read_info()
            # The publisher's earlier messages may reach the new subscriptions before the
            # PONG (the publisher does not wait for each one): read up to the PONG.
            c.msgs_until_pong()
            _abort(c.sock)
            return
        elif kind == 6:  # HPUB without headers negotiated, mid-payload
            c.send(b"HPUB shared 12 50\r\nNATS/1.0\r\n")
        else:  # connect and leave immediately
            pass
        if rnd.random() < 0.5:
            _abort(c.sock)
    finally:
        c.close()


def test_garbage_and_mid_payload_disconnects_harm_nobody(start_fastnats):
    srv = start_fastnats(max_payload=1024 * 1024)
    rnd = random.Random(1234)
    sub = connect(srv)
    sub.send(b"SUB shared 1\r\n")
    sub.ping_pong()
    publisher = connect(srv)
    expected: list[bytes] = []
    try:
        for i in range(400):
            _bad_client(srv.address, i % 8, rnd)
            payload = b"%d" % i
            publisher.send(pub("shared", payload))
            expected.append(payload)
            if i % 50 == 49:
                publisher.ping_pong()
                got = [body for _, body in sub.msgs_until_pong()]
                assert got == expected
                expected.clear()
        publisher.ping_pong()
        assert [body for _, body in sub.msgs_until_pong()] == expected
        # A newcomer is served normally.
        with connect(srv) as newcomer:
            newcomer.send(b"SUB shared 2\r\n" + pub("shared", b"hi") + PING)
            newcomer.expect(msg("shared", "2", b"hi") + PONG)
        # Every bad connection is gone and left no subscription behind.
        deadline = time.monotonic() + 20
        assert srv.native is not None
        while srv.stats()["connections"] != 2 or client_subscriptions(srv.native) != 1:
            assert time.monotonic() < deadline, srv.stats()
            time.sleep(0.01)
    finally:
        sub.close()
        publisher.close()


def test_publisher_vanishing_mid_payload_delivers_nothing_partial(start_fastnats):
    srv = start_fastnats()
    with connect(srv) as sub:
        sub.send(b"SUB part 1\r\n")
        sub.ping_pong()
        for n in range(50):
            c = connect(srv)
            c.send(b"PUB part 10\r\n" + b"z" * (n % 10))  # never completes
            if n % 2:
                _abort(c.sock)
            else:
                c.close()
        with connect(srv) as good:
            good.send(pub("part", b"whole") + PING)
            good.expect(PONG)
        assert sub.msgs_until_pong() == [(b"MSG part 1 5", b"whole")]
