"""Crashes and damaged stores, side by side with nats-server (issue 13, "What it must show").

- ``kill -9`` during an asynchronous publish flood, restart on the same store directory: every
  message whose PubAck the client received is there, in publish order, with its payload, and
  the stream goes on at the next sequence. nats-server passes this with its default settings
  (it writes each message before the ack, and fsyncs later), so both servers run it as they
  start by default.
- A record damaged on disk (a payload byte flipped in the newest segment / block file while
  the server is stopped): the message is not served with wrong bytes, every other one is.
  fastnats finds it by its checksum at start and logs ``Filestore [<stream>] Corrupt record for
  sequence N ...``; nats-server 2.15.1 logs nothing (it trusts its index and answers the
  damaged message with "no message found" when it fails its hash on read).
- Garbage appended to the newest segment / block: both log nats-server's ``Filestore
  [<stream>] Stream state outdated, last block has additional entries, will rebuild``, drop
  it, keep every message and go on at the next sequence.

Store layout: ``<sd>/jetstream/$G/streams/<stream>/msgs/`` holds fastnats' ``NNNNNNNNNN.seg``
segment files (records as rust/store/src/record.rs describes) and nats-server's ``N.blk``
blocks; the newest is the highest number. Every process is stopped by its PID; nothing asserts
a timing.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.errors import NotFoundError

from ..dropin.procs import TIMEOUT, Proc, kinds, served

pytestmark = pytest.mark.timeout(60)

STREAM = "CRASH"
FLOOD_MAX = 20_000  # publishes at most, whatever happens
KILL_AFTER_ACKS = 2_000  # the kill comes once this many PubAcks arrived
WINDOW = 512  # asynchronous publishes in flight at most


def _args(store: Path) -> list[str]:
    return ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(store)]


async def _connect(proc: Proc) -> Any:
    host, port = proc.address
    return await nats.connect(
        f"nats://{host}:{port}", allow_reconnect=False, max_reconnect_attempts=0
    )


def _payload(i: int) -> bytes:
    return b"msg-%06d-" % i + b"p" * 40


def _newest(store: Path, stream: str) -> Path:
    """The newest message file of ``stream`` (fastnats' segment or nats-server's block)."""
    files = [
        f
        for f in (store / "jetstream").rglob("*")
        if f.parent.name == "msgs"
        and f.parent.parent.name == stream
        and f.suffix in (".seg", ".blk")
    ]
    assert files, f"no message files for {stream} under {store}"
    return max(files, key=lambda f: int(f.stem))


def _stop(proc: Proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(TIMEOUT) == 0


async def _flood_until_killed(proc: Proc) -> tuple[dict[int, int], int]:
    """Publishes asynchronously until KILL_AFTER_ACKS PubAcks came back, then SIGKILLs the
    server by PID with publishes still in flight. Returns {message index: acked seq} and how
    many were unacknowledged at the kill."""
    nc = await _connect(proc)
    js = nc.jetstream(publish_async_max_pending=WINDOW)
    await js.add_stream(name=STREAM, subjects=["crash.>"])
    acked: dict[int, int] = {}
    in_flight = 0

    def on_ack(i: int) -> Any:
        def done(fut: asyncio.Future[Any]) -> None:
            if not fut.cancelled() and fut.exception() is None:
                acked[i] = fut.result().seq

        return done

    try:
        for i in range(FLOOD_MAX):
            fut = await js.publish_async("crash.x", _payload(i))
            fut.add_done_callback(on_ack(i))
            if len(acked) >= KILL_AFTER_ACKS:
                in_flight = js.publish_async_pending()
                os.kill(proc.pid, signal.SIGKILL)
                break
        else:
            pytest.fail(f"{FLOOD_MAX} publishes without {KILL_AFTER_ACKS} PubAcks")
        # Acks already read by the client's reader task still complete their futures here;
        # nothing completes after the connection is gone.
        await asyncio.sleep(0)
        return dict(acked), in_flight
    finally:
        try:
            await nc.close()
        except Exception:  # noqa: BLE001 — the server is gone; closing may complain
            pass


@pytest.mark.parametrize("kind", kinds())
def test_kill_9_during_an_async_publish_flood_keeps_every_acknowledged_message(kind, tmp_path):
    with served(*_args(tmp_path), kind=kind) as s:
        acked, in_flight = asyncio.run(_flood_until_killed(s))
        print(f"{kind}: {len(acked)} acked, {in_flight} in flight at the kill")
        assert s.wait(TIMEOUT) == -signal.SIGKILL
    assert len(acked) >= KILL_AFTER_ACKS
    # PubAcks carry increasing sequences in publish order.
    seqs = [acked[i] for i in sorted(acked)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

    async def check(proc: Proc) -> None:
        nc = await _connect(proc)
        try:
            js = nc.jetstream()
            state = (await js.stream_info(STREAM)).state
            assert state.first_seq == 1
            assert state.last_seq >= max(seqs)
            # Every stored message (acknowledged or not) is one we sent, in publish order;
            # every acknowledged one is among them, at its acknowledged sequence.
            stored: dict[int, bytes] = {}
            for seq in range(1, state.last_seq + 1):
                stored[seq] = (await js.get_msg(STREAM, seq)).data
            assert len(stored) == state.messages
            indexes = [int(data[4:10]) for data in stored.values()]
            assert indexes == sorted(indexes)
            for i, seq in acked.items():
                assert stored.get(seq) == _payload(i), f"acked message {i} (seq {seq})"
            ack = await js.publish("crash.x", b"after the crash")
            assert ack.seq == state.last_seq + 1
        finally:
            await nc.close()

    with served(*_args(tmp_path), kind=kind) as s:
        asyncio.run(check(s))


async def _fill(proc: Proc, stream: str, n: int) -> None:
    nc = await _connect(proc)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
        for i in range(1, n + 1):
            ack = await js.publish(f"{stream.lower()}.x", _payload(i))
            assert ack.seq == i
    finally:
        await nc.close()


async def _served_messages(proc: Proc, stream: str, n: int) -> dict[int, bytes | None]:
    """seq → payload for 1..n (None: not found), after checking the stream goes on at n+1."""
    nc = await _connect(proc)
    try:
        js = nc.jetstream()
        out: dict[int, bytes | None] = {}
        for seq in range(1, n + 1):
            try:
                out[seq] = (await js.get_msg(stream, seq)).data
            except NotFoundError:
                out[seq] = None
        ack = await js.publish(f"{stream.lower()}.x", b"after")
        assert ack.seq == n + 1
        return out
    finally:
        await nc.close()


@pytest.mark.parametrize("kind", kinds())
def test_a_record_corrupted_on_disk_is_reported_and_the_rest_is_served(kind, tmp_path):
    n, bad = 20, 10
    with served(*_args(tmp_path), kind=kind) as s:
        asyncio.run(_fill(s, "CORRUPT", n))
        _stop(s)
    f = _newest(tmp_path, "CORRUPT")
    data = bytearray(f.read_bytes())
    at = data.find(_payload(bad))
    assert at > 0 and data.find(_payload(bad), at + 1) < 0
    data[at + 20] ^= 0xFF  # a byte in the middle of message 10's payload
    f.write_bytes(bytes(data))

    with served(*_args(tmp_path), kind=kind) as s:
        got = asyncio.run(_served_messages(s, "CORRUPT", n))
        if kind == "fastnats":
            # Logged while the store was opened, before "Server is ready".
            s.log.find(
                r"\[WRN\] Filestore \[CORRUPT\] Corrupt record for sequence 10 "
                r"\(\d+ bytes at offset \d+ of segment \d+\): checksum mismatch, skipped$"
            )
    assert got[bad] is None  # never the damaged bytes
    assert {seq: v for seq, v in got.items() if seq != bad} == {
        seq: _payload(seq) for seq in range(1, n + 1) if seq != bad
    }


@pytest.mark.parametrize("kind", kinds())
def test_garbage_after_the_newest_block_is_dropped_with_nats_servers_warning(kind, tmp_path):
    n = 20
    with served(*_args(tmp_path), kind=kind) as s:
        asyncio.run(_fill(s, "TORN", n))
        _stop(s)
    f = _newest(tmp_path, "TORN")
    with open(f, "ab") as out:
        out.write(bytes(range(256))[::3] * 2)

    with served(*_args(tmp_path), kind=kind) as s:
        s.log.find(
            r"\[WRN\] Filestore \[TORN\] Stream state outdated, last block has additional "
            r"entries, will rebuild$"
        )
        got = asyncio.run(_served_messages(s, "TORN", n))
    assert got == {seq: _payload(seq) for seq in range(1, n + 1)}
