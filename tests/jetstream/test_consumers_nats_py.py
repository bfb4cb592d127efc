"""Consumers through nats-py's JetStream API, side by side with nats-server: pull
subscriptions (fetch, ack, nak, term, fetch timeouts), push subscriptions, ordered
consumers, key-value watch, and a durable consumer's ack state across a restart.

Every server is started on 127.0.0.1 with its own store directory and stopped by its PID.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import nats
import nats.errors
import nats.js.errors
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ..conftest import reference_server
from ..dropin.procs import kinds, served

pytestmark = pytest.mark.timeout(60)

WAIT = 10.0


def _args(store: Path) -> list[str]:
    return ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(store)]


def _serve(kind: str, store: Path, body: Any) -> None:
    """Runs ``body(port)`` against a server of ``kind``."""
    with served(*_args(store), kind=kind) as s:
        asyncio.run(asyncio.wait_for(body(s.port), 45))


@pytest.mark.parametrize("kind", kinds())
def test_pull_fetch_ack_nak_and_term(kind: str, tmp_path: Path) -> None:
    async def body(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(name="S", subjects=["s.*"])
        for i in range(5):
            await js.publish(f"s.{i % 2}", f"m{i}".encode(), headers={"K": str(i)})
        psub = await js.pull_subscribe("s.*", durable="D", config=ConsumerConfig(ack_wait=30))
        msgs = await psub.fetch(3, timeout=WAIT)
        assert [m.data for m in msgs] == [b"m0", b"m1", b"m2"]
        assert [m.subject for m in msgs] == ["s.0", "s.1", "s.0"]
        assert msgs[1].headers == {"K": "1"}
        md = msgs[2].metadata
        assert (md.sequence.stream, md.sequence.consumer, md.num_delivered) == (3, 3, 1)
        assert md.num_pending == 2
        await msgs[0].ack_sync()
        await msgs[1].ack()
        await msgs[2].nak()
        # The nak races the next fetch: the redelivery comes within the batch either way.
        rest: list[Any] = []
        while len(rest) < 3:
            rest += await psub.fetch(3 - len(rest), timeout=WAIT)
        by_data = {m.data: m for m in rest}
        assert sorted(by_data) == [b"m2", b"m3", b"m4"]
        assert by_data[b"m2"].metadata.num_delivered == 2
        await by_data[b"m2"].term()
        for m in rest:
            if m.data != b"m2":
                await m.ack_sync()
        with pytest.raises(nats.errors.TimeoutError):
            await psub.fetch(1, timeout=0.5)
        info = await js.consumer_info("S", "D")
        assert info.num_ack_pending == 0
        assert info.num_pending == 0
        assert info.delivered.stream_seq == 5
        assert info.ack_floor.stream_seq == 5
        assert info.num_redelivered == 0
        names = await js.consumers_info("S")
        assert [c.name for c in names] == ["D"]
        await js.delete_consumer("S", "D")
        with pytest.raises(nats.js.errors.NotFoundError):
            await js.consumer_info("S", "D")
        await nc.close()

    _serve(kind, tmp_path, body)


@pytest.mark.parametrize("kind", kinds())
def test_push_subscriptions_and_ordered_consumers(kind: str, tmp_path: Path) -> None:
    async def body(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(name="P", subjects=["p.>"])
        for i in range(10):
            await js.publish(f"p.{i}", f"v{i}".encode())
        sub = await js.subscribe("p.>", durable="PUSH", manual_ack=True)
        for i in range(10):
            m = await sub.next_msg(timeout=WAIT)
            assert (m.subject, m.data) == (f"p.{i}", f"v{i}".encode())
            await m.ack()
        await js.publish("p.late", b"late")
        m = await sub.next_msg(timeout=WAIT)
        assert m.data == b"late"
        await m.ack_sync()
        info = await js.consumer_info("P", "PUSH")
        assert info.num_ack_pending == 0 and info.delivered.consumer_seq == 11
        await sub.unsubscribe()

        ordered = await js.subscribe("p.>", ordered_consumer=True)
        seen = []
        for _ in range(11):
            m = await ordered.next_msg(timeout=WAIT)
            seen.append(m.metadata.sequence.stream)
        assert seen == list(range(1, 12))
        await ordered.unsubscribe()

        # A deliver-new push consumer with a callback.
        got: asyncio.Queue[bytes] = asyncio.Queue()

        async def cb(msg: Any) -> None:
            await got.put(msg.data)
            await msg.ack()

        await js.subscribe("p.>", cb=cb, deliver_policy=DeliverPolicy.NEW, manual_ack=True)
        await js.publish("p.cb", b"callback")
        assert await asyncio.wait_for(got.get(), WAIT) == b"callback"
        await nc.close()

    _serve(kind, tmp_path, body)


@pytest.mark.parametrize("kind", kinds())
def test_key_value_watch(kind: str, tmp_path: Path) -> None:
    async def body(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        kv = await js.create_key_value(bucket="B", history=5)
        await kv.put("a", b"1")
        await kv.put("b", b"2")
        await kv.put("a", b"3")
        watcher = await kv.watchall()
        initial = []
        while True:
            e = await watcher.updates(timeout=WAIT)
            if e is None:
                break
            initial.append((e.key, e.value))
        assert sorted(initial) == [("a", b"3"), ("b", b"2")]
        await kv.put("c", b"4")
        e = await watcher.updates(timeout=WAIT)
        assert (e.key, e.value) == ("c", b"4")
        await kv.delete("b")
        e = await watcher.updates(timeout=WAIT)
        assert e.key == "b" and e.operation == "DEL"
        await watcher.stop()
        history = await kv.history("a")
        assert [h.value for h in history] == [b"1", b"3"]
        assert sorted(await kv.keys()) == ["a", "c"]
        await nc.close()

    _serve(kind, tmp_path, body)


@pytest.mark.parametrize("kind", kinds())
def test_acks_survive_a_restart(kind: str, tmp_path: Path) -> None:
    async def before(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(name="R", subjects=["r"])
        for i in range(4):
            await js.publish("r", f"m{i}".encode())
        psub = await js.pull_subscribe(
            "r", durable="D", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
        )
        msgs = await psub.fetch(2, timeout=WAIT)
        for m in msgs:
            await m.ack_sync()
        await nc.close()

    async def after(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        info = await js.consumer_info("R", "D")
        assert info.ack_floor.stream_seq == 2
        assert info.num_pending == 2
        psub = await js.pull_subscribe_bind("D", stream="R")
        msgs = await psub.fetch(2, timeout=WAIT)
        assert [m.data for m in msgs] == [b"m2", b"m3"]
        await nc.close()

    with served(*_args(tmp_path), kind=kind) as s:
        asyncio.run(asyncio.wait_for(before(s.port), 45))
        s.send_signal(signal.SIGTERM)
        assert s.wait() == 0
    _serve(kind, tmp_path, after)


@pytest.mark.parametrize("kind", kinds())
def test_last_per_subject_progress_across_a_restart(kind: str, tmp_path: Path) -> None:
    """A `last_per_subject` consumer stopped halfway through the last messages goes on,
    after a restart, from where it was with every message (the list of last messages is
    not kept), on nats-server 2.10.26 and 2.15.1 as on fastnats. Not compared:
    num_pending after the restart (nats-server counts subjects, 4; fastnats the 6
    messages it will deliver)."""

    async def before(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(name="L", subjects=["l.*"])
        for s in ["a", "b", "b", "c", "c", "d"]:
            await js.publish(f"l.{s}", s.encode())
        cfg = ConsumerConfig(
            durable_name="P",
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
            filter_subject="l.*",
            ack_policy=AckPolicy.EXPLICIT,
        )
        await js.add_consumer("L", cfg)
        psub = await js.pull_subscribe_bind("P", stream="L")
        (first,) = await psub.fetch(1, timeout=WAIT)
        assert (first.subject, first.metadata.sequence.stream) == ("l.a", 1)
        await first.ack_sync()
        await js.publish("l.e", b"e")
        await nc.close()

    async def after(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        info = await js.consumer_info("L", "P")
        assert (info.delivered.stream_seq, info.ack_floor.stream_seq) == (1, 1)
        psub = await js.pull_subscribe_bind("P", stream="L")
        got: list[tuple[str, int]] = []
        while len(got) < 6:
            for m in await psub.fetch(6 - len(got), timeout=WAIT):
                got.append((m.subject, m.metadata.sequence.stream))
                await m.ack_sync()
        assert got == [("l.b", 2), ("l.b", 3), ("l.c", 4), ("l.c", 5), ("l.d", 6), ("l.e", 7)]
        with pytest.raises(nats.errors.TimeoutError):
            await psub.fetch(1, timeout=0.5)
        await nc.close()

    with served(*_args(tmp_path), kind=kind) as s:
        asyncio.run(asyncio.wait_for(before(s.port), 45))
        s.send_signal(signal.SIGTERM)
        assert s.wait() == 0
    _serve(kind, tmp_path, after)


def _seqs(info: Any) -> tuple[int, ...]:
    return (
        info.num_pending,
        info.num_ack_pending,
        info.delivered.consumer_seq,
        info.delivered.stream_seq,
        info.ack_floor.consumer_seq,
        info.ack_floor.stream_seq,
    )


# (num_pending, num_ack_pending, delivered dseq, delivered sseq, ack floor dseq, sseq) of
# consumers ALL (no filter), A (q.a) and B (q.b) after each step, measured on nats-server
# 2.10.26 (what nats-server's `consumer.purge` does, and fastnats too).
PURGE_STEPS: list[tuple[str, dict[str, tuple[int, ...]]]] = [
    # 10 messages on q.a, q.b alternately; each consumer fetched 4 and acked its 2nd.
    ("start", {"ALL": (6, 3, 4, 4, 0, 0), "A": (1, 3, 4, 7, 0, 0), "B": (1, 3, 4, 8, 0, 0)}),
    # ALL is wider: its pending 1 (below the new first) and 3 (purged) go, the ack floor
    # takes dseq 3 but the stream floor stays first - 1. A has nothing left. B stays.
    (
        "subject q.a",
        {"ALL": (3, 1, 4, 4, 3, 1), "A": (0, 0, 4, 10, 4, 10), "B": (1, 3, 4, 8, 0, 0)},
    ),
    # 4 more (11..14); purged below 13: every consumer starts at 13, nothing pending.
    ("seq 13", {"ALL": (2, 0, 4, 12, 4, 12), "A": (1, 0, 4, 12, 4, 12), "B": (1, 0, 4, 12, 4, 12)}),
    # Nothing removed, yet B (within q.b) moves to q.b's first left (14); A is not concerned.
    (
        "subject q.b keep 1",
        {"ALL": (2, 0, 4, 12, 4, 12), "A": (1, 0, 4, 12, 4, 12), "B": (1, 0, 4, 13, 4, 13)},
    ),
    ("keep 1", {"ALL": (1, 0, 4, 13, 4, 13), "A": (0, 0, 4, 13, 4, 13), "B": (1, 0, 4, 13, 4, 13)}),
    ("all", {"ALL": (0, 0, 4, 14, 4, 14), "A": (0, 0, 4, 14, 4, 14), "B": (0, 0, 4, 14, 4, 14)}),
]


def _purge_steps(kind: str) -> list[tuple[str, dict[str, tuple[int, ...]]]]:
    """PURGE_STEPS as ``kind`` shows them: 2.11+ differs in two places (measured on
    2.15.1): ALL's stream ack floor after the filtered purge is 3 (the dropped pending's),
    and A's num_pending after "keep 1" is a stale 1 (its message 13 was purged)."""
    version = reference_server()
    if kind == "fastnats" or version is None or version[1] < (2, 11, 0):
        return PURGE_STEPS
    steps = [(name, dict(by)) for name, by in PURGE_STEPS]
    steps[1][1]["ALL"] = (3, 1, 4, 4, 3, 3)
    steps[4][1]["A"] = (1, 0, 4, 13, 4, 13)
    return steps


@pytest.mark.parametrize("kind", kinds())
def test_purges_adjust_consumers(kind: str, tmp_path: Path) -> None:
    async def body(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        await js.add_stream(name="Q", subjects=["q.*"])
        for i in range(10):
            await js.publish("q.a" if i % 2 == 0 else "q.b", f"m{i}".encode())
        subs = {
            "ALL": await js.pull_subscribe("q.*", durable="ALL", stream="Q"),
            "A": await js.pull_subscribe("q.a", durable="A", stream="Q"),
            "B": await js.pull_subscribe("q.b", durable="B", stream="Q"),
        }
        for sub in subs.values():
            msgs = await sub.fetch(4, timeout=WAIT)
            assert len(msgs) == 4
            await msgs[1].ack_sync()

        async def state() -> dict[str, tuple[int, ...]]:
            return {n: _seqs(await js.consumer_info("Q", n)) for n in subs}

        got = [("start", await state())]
        await js.purge_stream("Q", subject="q.a")
        got.append(("subject q.a", await state()))
        for i in range(4):
            await js.publish("q.a" if i % 2 == 0 else "q.b", b"more")
        await js.purge_stream("Q", seq=13)
        got.append(("seq 13", await state()))
        await js.purge_stream("Q", subject="q.b", keep=1)
        got.append(("subject q.b keep 1", await state()))
        await js.purge_stream("Q", keep=1)
        got.append(("keep 1", await state()))
        await js.purge_stream("Q")
        got.append(("all", await state()))
        await nc.close()
        assert got == _purge_steps(kind)

    _serve(kind, tmp_path, body)


def _event(msg: Any) -> tuple[str, dict[str, Any]]:
    """An advisory's subject and fields, ids and times checked for shape and left out."""
    body = json.loads(msg.data)
    keys = list(body)
    assert keys[:3] == ["type", "id", "timestamp"], keys
    assert isinstance(body.pop("id"), str) and body.pop("timestamp").endswith("Z")
    if "ack_time" in body:
        assert body.pop("ack_time") > 0
    return msg.subject, body


# The advisories of one session (below), in order, as nats-server 2.15.1 and 2.10.26 send
# them (ids, timestamps and ack_time aside).
_ADV = "io.nats.jetstream.advisory.v1."
ADVISORIES: list[tuple[str, dict[str, Any]]] = [
    (
        "$JS.EVENT.ADVISORY.STREAM.CREATED.V",
        {"type": _ADV + "stream_action", "stream": "V", "action": "create"},
    ),
    (
        "$JS.EVENT.ADVISORY.STREAM.UPDATED.V",
        {"type": _ADV + "stream_action", "stream": "V", "action": "modify"},
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.CREATED.V.C",
        {"type": _ADV + "consumer_action", "stream": "V", "consumer": "C", "action": "create"},
    ),
    (
        "$JS.EVENT.METRIC.CONSUMER.ACK.V.C",
        {
            "type": "io.nats.jetstream.metric.v1.consumer_ack",
            "stream": "V",
            "consumer": "C",
            "consumer_seq": 1,
            "stream_seq": 1,
            "deliveries": 1,
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.V.C",
        {
            "type": _ADV + "nak",
            "stream": "V",
            "consumer": "C",
            "consumer_seq": 2,
            "stream_seq": 2,
            "deliveries": 1,
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.V.C",
        {
            "type": _ADV + "terminated",
            "stream": "V",
            "consumer": "C",
            "consumer_seq": 3,
            "stream_seq": 3,
            "deliveries": 1,
            "reason": "bad one",
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.V.C",
        {
            "type": _ADV + "nak",
            "stream": "V",
            "consumer": "C",
            "consumer_seq": 4,
            "stream_seq": 2,
            "deliveries": 2,
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.V.C",
        {
            "type": _ADV + "max_deliver",
            "stream": "V",
            "consumer": "C",
            "stream_seq": 2,
            "deliveries": 2,
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.V.C",
        {
            "type": _ADV + "terminated",
            "stream": "V",
            "consumer": "C",
            "consumer_seq": 5,
            "stream_seq": 4,
            "deliveries": 1,
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.DELETED.V.C",
        {"type": _ADV + "consumer_action", "stream": "V", "consumer": "C", "action": "delete"},
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.CREATED.V.D",
        {"type": _ADV + "consumer_action", "stream": "V", "consumer": "D", "action": "create"},
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.V.D",
        {
            "type": _ADV + "max_deliver",
            "stream": "V",
            "consumer": "D",
            "stream_seq": 1,
            "deliveries": 1,
        },
    ),
    (
        "$JS.EVENT.ADVISORY.CONSUMER.DELETED.V.D",
        {"type": _ADV + "consumer_action", "stream": "V", "consumer": "D", "action": "delete"},
    ),
    (
        "$JS.EVENT.ADVISORY.STREAM.DELETED.V",
        {"type": _ADV + "stream_action", "stream": "V", "action": "delete"},
    ),
]


@pytest.mark.parametrize("kind", kinds())
def test_advisories_and_ack_metrics(kind: str, tmp_path: Path) -> None:
    async def body(port: int) -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        js = nc.jetstream()
        events = await nc.subscribe("$JS.EVENT.>")
        got: list[tuple[str, dict[str, Any]]] = []

        async def until(n: int) -> None:
            while len(got) < n:
                msg = await events.next_msg(timeout=WAIT)
                # fastnats does not send the API audit (it needs the requester's details).
                if msg.subject != "$JS.EVENT.ADVISORY.API":
                    got.append(_event(msg))

        await js.add_stream(name="V", subjects=["v.*"])
        await until(1)
        await js.update_stream(name="V", subjects=["v.*"], description="d")
        await until(2)
        for i in range(4):
            await js.publish(f"v.{i}", b"x")
        cfg = ConsumerConfig(
            durable_name="C",
            ack_policy=AckPolicy.EXPLICIT,
            max_deliver=2,
            sample_freq="100%",
            ack_wait=30,
        )
        await js.add_consumer("V", cfg)
        await until(3)
        psub = await js.pull_subscribe_bind("C", stream="V")
        msgs = await psub.fetch(3, timeout=WAIT)
        await msgs[0].ack_sync()
        await until(4)
        await msgs[1].nak()
        await until(5)
        await nc.request(msgs[2].reply, b"+TERM bad one", timeout=WAIT)
        await until(6)
        (again,) = await psub.fetch(1, timeout=WAIT)
        assert again.metadata.sequence.stream == 2
        await again.nak()
        await until(7)
        # The next delivery of 2 would pass max_deliver: advisory, then 4 comes instead.
        (last,) = await psub.fetch(1, timeout=WAIT)
        assert last.metadata.sequence.stream == 4
        await until(8)
        await last.term()
        await until(9)
        await js.delete_consumer("V", "C")
        await until(10)
        cfg = ConsumerConfig(durable_name="D", max_deliver=1, ack_wait=0.3)
        await js.add_consumer("V", cfg)
        await until(11)
        psub = await js.pull_subscribe_bind("D", stream="V")
        await psub.fetch(1, timeout=WAIT)
        # Its ack wait passes: the advisory comes without another pull request.
        await until(12)
        await js.delete_stream("V")
        await until(13)
        if kind == "nats-server":
            # nats-server 2.15.1 now and then (3 runs in 40) never sends the stream's
            # DELETED advisory; fastnats always does.
            try:
                await until(14)
            except nats.errors.TimeoutError:
                got.append(ADVISORIES[13])
        else:
            await until(14)
        await nc.flush()
        while events.pending_msgs:
            extra = await events.next_msg(timeout=WAIT)
            assert extra.subject == "$JS.EVENT.ADVISORY.API", extra.subject
        await nc.close()
        assert got == ADVISORIES

    _serve(kind, tmp_path, body)
