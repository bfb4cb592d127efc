"""Many connections: 1,000 at once, and 10,000 opened and closed without leaks."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from ..conftest import client_subscriptions
from .conftest import open_fds, rss_kib

pytestmark = pytest.mark.timeout(180)

HANDSHAKE = b'CONNECT {"verbose":false,"pedantic":false}\r\n'


async def _open(port: int, extra: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    info = await asyncio.wait_for(reader.readline(), 10)
    assert info.startswith(b"INFO ") and json.loads(info[5:])["proto"] == 1
    writer.write(HANDSHAKE + extra + b"PING\r\n")
    assert await asyncio.wait_for(reader.readline(), 10) == b"PONG\r\n"
    return reader, writer


def wait_for(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll a cheap predicate until true (bounded)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


async def test_thousand_concurrent_connections(fastnats_server):
    n = 1000
    port = fastnats_server.port
    sem = asyncio.Semaphore(200)  # bounded dialing concurrency; all stay open together

    async def open_one(i: int):
        async with sem:
            sub = b"SUB fan.out %d\r\n" % i if i % 2 == 0 else b""
            return await _open(port, sub)

    conns = await asyncio.gather(*(open_one(i) for i in range(n)))
    try:
        stats = fastnats_server.stats()
        assert stats["connections"] == n
        assert client_subscriptions(fastnats_server) == n // 2
        # Every connection answers a PING while all are open.
        for _, w in conns:
            w.write(b"PING\r\n")
        pongs = await asyncio.gather(*(asyncio.wait_for(r.readline(), 20) for r, _ in conns))
        assert pongs == [b"PONG\r\n"] * n
        # One publish reaches every subscribed connection, and only those.
        pr, pw = conns[1]
        pw.write(b"PUB fan.out 5\r\nhello\r\nPING\r\n")
        assert await asyncio.wait_for(pr.readline(), 10) == b"PONG\r\n"

        async def check(i: int) -> None:
            r, w = conns[i]
            w.write(b"PING\r\n")
            if i % 2 == 0:
                assert await asyncio.wait_for(r.readline(), 20) == b"MSG fan.out %d 5\r\n" % i
                assert await asyncio.wait_for(r.readexactly(7), 20) == b"hello\r\n"
            assert await asyncio.wait_for(r.readline(), 20) == b"PONG\r\n"

        await asyncio.gather(*(check(i) for i in range(n)))
        assert fastnats_server.stats()["out_msgs"] == n // 2
    finally:
        for _, w in conns:
            w.close()
    await asyncio.get_running_loop().run_in_executor(
        None,
        lambda: wait_for(lambda: fastnats_server.stats()["connections"] == 0, what="closes"),
    )
    assert client_subscriptions(fastnats_server) == 0


async def _churn(port: int, total: int, concurrency: int) -> None:
    done = 0

    async def worker() -> None:
        nonlocal done
        while done < total:
            done += 1
            i = done
            r, w = await _open(port, b"SUB churn.%d %d\r\n" % (i % 7, i) if i % 3 == 0 else b"")
            if i % 5 == 0:
                w.write(b"PUB churn.1 2\r\nhi\r\n")
            w.close()
            await w.wait_closed()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def test_ten_thousand_connections_no_fd_leak_bounded_rss(fastnats_server):
    port = fastnats_server.port
    loop = asyncio.get_running_loop()

    def settled() -> None:
        wait_for(lambda: fastnats_server.stats()["connections"] == 0, what="all closed")

    await _churn(port, 1000, 50)  # warm-up: thread pools, buffers, allocator arenas
    await loop.run_in_executor(None, settled)
    fds_before, rss_before = open_fds(), rss_kib()

    await _churn(port, 10_000, 50)
    await loop.run_in_executor(None, settled)
    fds_after, rss_after = open_fds(), rss_kib()

    stats = fastnats_server.stats()
    assert stats["total_connections"] >= 11_000
    assert client_subscriptions(fastnats_server) == 0
    assert fds_after - fds_before <= 10, (fds_before, fds_after)
    assert rss_after - rss_before < 16 * 1024, f"RSS grew {rss_after - rss_before} KiB"
    # The server still works.
    r, w = await _open(port)
    w.write(b"SUB ok 1\r\nPUB ok 1\r\nx\r\n")
    assert await asyncio.wait_for(r.readline(), 10) == b"MSG ok 1 1\r\n"
    w.close()
