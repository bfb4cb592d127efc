"""What users do, through the real nats-py client (reference §7: real clients).

Most tests run against fastnats and the reference nats-server (the ``server`` fixture);
the reconnect-after-restart test needs a fixed port and runs against fastnats only.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import nats.errors
import pytest
import pytest_asyncio
from nats.aio.client import Client
from nats.aio.msg import Msg

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0


async def _quiet_error_cb(e: Exception) -> None:  # keep expected errors out of the log
    pass


@pytest_asyncio.fixture
async def connect(server) -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    """``await connect(**nats_connect_options)`` -> a connected client, closed at teardown."""
    clients: list[Client] = []

    async def _connect(**options: Any) -> Client:
        options.setdefault("connect_timeout", TIMEOUT)
        options.setdefault("allow_reconnect", False)
        options.setdefault("error_cb", _quiet_error_cb)
        nc = await nats.connect(server.url, **options)
        clients.append(nc)
        return nc

    yield _connect
    for nc in clients:
        if not nc.is_closed:
            await nc.close()


async def barrier(nc: Client) -> None:
    """Everything this client sent so far has been processed by the server.

    nats-py's ``flush()`` alone is not that: it writes its PING straight to the socket while
    SUB/PUB commands issued just before may still wait in the client's pending buffer for its
    flusher task, so the PONG can come back before the server has seen them (observed with
    nats-py 2.16 under load). Push the pending commands out first, then PING/PONG.
    """
    await nc._flush_pending(force_flush=True)
    await nc.flush()


async def _collect(sub: Any, n: int, timeout: float = TIMEOUT) -> list[Msg]:
    return [await sub.next_msg(timeout=timeout) for _ in range(n)]


# --- basics -------------------------------------------------------------------------------


async def test_pub_sub(connect):
    nc = await connect()
    sub = await nc.subscribe("greet.joe")
    await nc.publish("greet.joe", b"hello")
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.subject, msg.data, msg.reply) == ("greet.joe", b"hello", "")


async def test_pub_sub_between_clients_in_order(connect):
    sub_nc, pub_nc = await connect(), await connect()
    sub = await sub_nc.subscribe("seq")
    await barrier(sub_nc)
    for i in range(200):
        await pub_nc.publish("seq", b"%d" % i)
    await barrier(pub_nc)
    got = [int(m.data) for m in await _collect(sub, 200)]
    assert got == list(range(200))


async def test_server_info_is_understood(connect, server):
    nc = await connect()
    assert nc.max_payload == 1048576
    assert nc.connected_url is not None and nc.connected_url.port == server.port
    assert nc._server_info["headers"] is True  # what makes nats-py use headers/no_responders
    assert nc.client_id is not None


async def test_wildcards(connect):
    nc = await connect()
    star = await nc.subscribe("foo.*")
    full = await nc.subscribe("foo.>")
    for subject in ("foo", "foo.bar", "foo.bar.baz", "bar.foo"):
        await nc.publish(subject, subject.encode())
    await barrier(nc)
    assert [m.subject for m in await _collect(star, 1)] == ["foo.bar"]
    assert [m.subject for m in await _collect(full, 2)] == ["foo.bar", "foo.bar.baz"]
    assert star.pending_msgs == 0 and full.pending_msgs == 0


async def test_callback_subscription(connect):
    nc = await connect()
    got: list[bytes] = []
    done = asyncio.Event()

    async def cb(msg: Msg) -> None:
        got.append(msg.data)
        if len(got) == 10:
            done.set()

    await nc.subscribe("cb", cb=cb)
    for i in range(10):
        await nc.publish("cb", b"%d" % i)
    await asyncio.wait_for(done.wait(), TIMEOUT)
    assert got == [b"%d" % i for i in range(10)]


async def test_queue_group_distribution(connect):
    n, members = 300, 3
    subs = []
    for _ in range(members):
        nc = await connect()
        subs.append(await nc.subscribe("jobs", queue="workers"))
        await barrier(nc)
    observer_nc = await connect()
    observer = await observer_nc.subscribe("jobs")
    await barrier(observer_nc)
    pub_nc = await connect()
    for i in range(n):
        await pub_nc.publish("jobs", b"%d" % i)
    await barrier(pub_nc)
    assert [int(m.data) for m in await _collect(observer, n)] == list(range(n))
    # After the observer has everything, every member has its share queued.
    for sub in subs:
        await barrier(sub._conn)
    shares = [sub.pending_msgs for sub in subs]
    received = Counter()
    for sub, share in zip(subs, shares, strict=True):
        msgs = await _collect(sub, share)
        received.update(int(m.data) for m in msgs)
        assert [int(m.data) for m in msgs] == sorted(int(m.data) for m in msgs)
    assert all(share > 0 for share in shares), shares
    assert sum(shares) == n
    assert received == Counter(range(n))  # each message exactly once


async def test_request_reply(connect):
    service, client = await connect(), await connect()

    async def handler(msg: Msg) -> None:
        await msg.respond(b"re:" + msg.data)

    await service.subscribe("svc.echo", cb=handler)
    await barrier(service)
    reply = await client.request("svc.echo", b"hi", timeout=TIMEOUT)
    assert reply.data == b"re:hi"
    replies = await asyncio.gather(
        *(client.request("svc.echo", b"%d" % i, timeout=TIMEOUT) for i in range(50))
    )
    assert [r.data for r in replies] == [b"re:%d" % i for i in range(50)]


async def test_request_reply_with_queue_group_responders(connect):
    responders = [await connect() for _ in range(3)]
    for i, nc in enumerate(responders):

        async def handler(msg: Msg, i: int = i) -> None:
            await msg.respond(b"%d" % i)

        await nc.subscribe("svc", queue="svc", cb=handler)
        await barrier(nc)
    client = await connect()
    replies = [await client.request("svc", b"", timeout=TIMEOUT) for _ in range(30)]
    assert len(replies) == 30
    assert {r.data for r in replies} <= {b"0", b"1", b"2"}


async def test_no_responders(connect):
    nc = await connect()
    with pytest.raises(nats.errors.NoRespondersError):
        await nc.request("nobody.home", b"x", timeout=TIMEOUT)
    # The connection is still fine afterwards.
    sub = await nc.subscribe("still")
    await nc.publish("still", b"ok")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"ok"


async def test_headers_round_trip(connect):
    nc, other = await connect(), await connect()
    sub = await other.subscribe("hdr")
    await barrier(other)
    headers = {"Trace-Id": "abc123", "X-Empty": "", "Unicode": "héllo"}
    await nc.publish("hdr", b"body", headers=headers)
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert msg.data == b"body"
    assert msg.headers == headers


async def test_headers_in_request_and_reply(connect):
    service, client = await connect(), await connect()

    async def respond(msg: Msg) -> None:
        assert msg.headers is not None
        await service.publish(msg.reply, b"ok", headers={"Echo": msg.headers["Ask"]})

    await service.subscribe("svc.hdr", cb=respond)
    await barrier(service)
    reply = await client.request("svc.hdr", b"", timeout=TIMEOUT, headers={"Ask": "42"})
    assert reply.data == b"ok"
    assert reply.headers == {"Echo": "42"}


async def test_flush_is_a_barrier(connect):
    sub_nc, pub_nc = await connect(), await connect()
    sub = await sub_nc.subscribe("barrier")
    await barrier(sub_nc)  # the SUB is registered
    for _ in range(100):
        await pub_nc.publish("barrier", b"x")
    await barrier(pub_nc)  # the server has queued all 100 to the subscriber
    await barrier(sub_nc)  # and the subscriber has read them
    assert sub.pending_msgs == 100


async def test_drain_delivers_pending_messages_then_closes(connect):
    sub_nc, pub_nc = await connect(), await connect()
    got: list[bytes] = []

    async def slow_cb(msg: Msg) -> None:
        await asyncio.sleep(0)  # yield: messages pile up in the subscription
        got.append(msg.data)

    await sub_nc.subscribe("drain", cb=slow_cb)
    await barrier(sub_nc)
    for i in range(100):
        await pub_nc.publish("drain", b"%d" % i)
    await barrier(pub_nc)
    await asyncio.wait_for(sub_nc.drain(), TIMEOUT)
    assert sub_nc.is_closed
    assert got == [b"%d" % i for i in range(100)]
    # After the drain, the subscription is gone from the server.
    await pub_nc.publish("drain", b"late")
    await barrier(pub_nc)


async def test_subscription_drain(connect):
    nc = await connect()
    got: list[bytes] = []

    async def cb(msg: Msg) -> None:
        got.append(msg.data)

    sub = await nc.subscribe("sdrain", cb=cb)
    for i in range(20):
        await nc.publish("sdrain", b"%d" % i)
    await barrier(nc)
    await asyncio.wait_for(sub.drain(), TIMEOUT)
    assert got == [b"%d" % i for i in range(20)]
    await nc.publish("sdrain", b"late")
    await barrier(nc)
    assert got == [b"%d" % i for i in range(20)]
    assert nc.is_connected


async def test_auto_unsubscribe_with_unsubscribe_limit(connect):
    nc, pub_nc = await connect(), await connect()
    sub = await nc.subscribe("auto")
    await sub.unsubscribe(limit=3)
    await barrier(nc)
    for i in range(5):
        await pub_nc.publish("auto", b"%d" % i)
    await barrier(pub_nc)
    await barrier(nc)
    assert [m.data for m in await _collect(sub, 3)] == [b"0", b"1", b"2"]
    assert sub.pending_msgs == 0


async def test_auto_unsubscribe_with_max_msgs(connect):
    nc = await connect()
    sub = await nc.subscribe("auto2", max_msgs=2)
    for i in range(4):
        await nc.publish("auto2", b"%d" % i)
    await barrier(nc)
    assert [m.data for m in await _collect(sub, 2)] == [b"0", b"1"]
    assert sub.pending_msgs == 0


async def test_echo_off(connect):
    quiet, other = await connect(no_echo=True), await connect()
    own = await quiet.subscribe("echo")
    theirs = await other.subscribe("echo")
    await barrier(quiet)
    await barrier(other)
    await quiet.publish("echo", b"from-quiet")
    await barrier(quiet)  # an echoed message would be queued before this PONG
    assert own.pending_msgs == 0
    assert (await theirs.next_msg(timeout=TIMEOUT)).data == b"from-quiet"
    await other.publish("echo", b"from-other")
    assert (await own.next_msg(timeout=TIMEOUT)).data == b"from-other"


async def test_max_payload_is_enforced_by_the_client(connect):
    nc = await connect()
    with pytest.raises(nats.errors.MaxPayloadError):
        await nc.publish("big", b"x" * (nc.max_payload + 1))
    sub = await nc.subscribe("big")
    await nc.publish("big", b"x" * nc.max_payload)
    assert len((await sub.next_msg(timeout=TIMEOUT)).data) == nc.max_payload


async def test_lowered_max_payload_is_advertised_and_enforced(start_server):
    # Small sizes: the refused PUB fits in the server's first read, so the server's close
    # is a clean FIN after the -ERR (not a reset that could overtake it).
    srv = start_server(max_payload=100)
    closed = asyncio.Event()

    async def closed_cb() -> None:
        closed.set()

    nc = await nats.connect(
        srv.url,
        allow_reconnect=False,
        error_cb=_quiet_error_cb,
        closed_cb=closed_cb,
        connect_timeout=TIMEOUT,
    )
    try:
        assert nc.max_payload == 100
        with pytest.raises(nats.errors.MaxPayloadError):
            await nc.publish("big", b"x" * 101)
        sub = await nc.subscribe("big")
        await nc.publish("big", b"x" * 100)
        assert len((await sub.next_msg(timeout=TIMEOUT)).data) == 100
        # Bypass the client-side check: the server refuses on the control line and closes.
        nc._max_payload = 1000
        await nc.publish("big", b"x" * 101)
        await asyncio.wait_for(closed.wait(), TIMEOUT)
        assert "maximum payload violation" in str(nc.last_error).lower(), nc.last_error
    finally:
        if not nc.is_closed:
            await nc.close()


async def test_many_subscriptions_and_unsubscribe(connect):
    nc = await connect()
    subs = [await nc.subscribe(f"many.{i}") for i in range(200)]
    for sub in subs[::2]:
        await sub.unsubscribe()
    for i in range(200):
        await nc.publish(f"many.{i}", b"%d" % i)
    await barrier(nc)
    for i, sub in enumerate(subs):
        if i % 2:
            assert (await sub.next_msg(timeout=TIMEOUT)).data == b"%d" % i


# --- reconnect after restart (fastnats only: needs a fixed port) -------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_client_reconnects_after_server_restart(fastnats_server_factory):
    port = _free_port()
    loop = asyncio.get_running_loop()
    first = fastnats_server_factory(port=port)
    disconnected, reconnected = asyncio.Event(), asyncio.Event()

    async def disconnected_cb() -> None:
        disconnected.set()

    async def reconnected_cb() -> None:
        reconnected.set()

    nc = await nats.connect(
        first.url,
        reconnect_time_wait=0.1,
        max_reconnect_attempts=200,
        disconnected_cb=disconnected_cb,
        reconnected_cb=reconnected_cb,
        error_cb=_quiet_error_cb,
        connect_timeout=TIMEOUT,
    )
    try:
        sub = await nc.subscribe("restart")
        await nc.publish("restart", b"before")
        assert (await sub.next_msg(timeout=TIMEOUT)).data == b"before"

        await loop.run_in_executor(None, first.stop)
        await asyncio.wait_for(disconnected.wait(), TIMEOUT)
        second = fastnats_server_factory(port=port)
        assert second.port == port
        await asyncio.wait_for(reconnected.wait(), 20)

        # The client re-sent its SUB on reconnect: the subscription works again.
        await barrier(nc)
        await nc.publish("restart", b"after")
        assert (await sub.next_msg(timeout=TIMEOUT)).data == b"after"
        other = await nats.connect(second.url, connect_timeout=TIMEOUT)
        await other.publish("restart", b"from-other")
        await barrier(other)
        await other.close()
        assert (await sub.next_msg(timeout=TIMEOUT)).data == b"from-other"
    finally:
        await nc.close()  # before the servers stop (at teardown): no reconnect attempts
