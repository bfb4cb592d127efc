"""Publishing from the embedding process (``Server.publish``): subscribers on the wire get
the message as if a connected client had sent it."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import fastnats
import nats
import pytest
from fastnats.pytest_plugin import ServerFactory

from .conftest import client_subscriptions


async def _wait_subscriptions(server: fastnats.Server, n: int) -> None:
    """nats-py's flush() is not a barrier for SUB (DESIGN §7): wait until the server has
    registered the subscriptions (bounded)."""
    for _ in range(500):
        if client_subscriptions(server) >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{n} subscriptions never registered")


@pytest.fixture
def server(fastnats_server_factory: ServerFactory) -> fastnats.Server:
    return fastnats_server_factory(max_payload=1024)


async def test_a_nats_py_subscriber_gets_what_the_process_publishes(
    server: fastnats.Server,
) -> None:
    nc = await nats.connect(server.url)
    sub = await nc.subscribe("orders.*")
    await _wait_subscriptions(server, 1)
    assert server.publish("orders.new", b"hello") == 1
    assert server.publish("orders.old", "text too") == 1
    first = await sub.next_msg(timeout=5)
    second = await sub.next_msg(timeout=5)
    assert (first.subject, first.data) == ("orders.new", b"hello")
    assert (second.subject, second.data) == ("orders.old", b"text too")
    await nc.close()


async def test_reply_and_headers_are_carried(server: fastnats.Server) -> None:
    nc = await nats.connect(server.url)
    sub = await nc.subscribe("svc")
    await _wait_subscriptions(server, 1)
    server.publish("svc", b"x", reply="_INBOX.abc", headers={"A": "b", "Multi": ["1", "2"]})
    msg = await sub.next_msg(timeout=5)
    assert msg.reply == "_INBOX.abc"
    assert msg.data == b"x"
    assert msg.headers is not None and msg.headers["A"] == "b"
    await nc.close()


async def test_a_queue_group_shared_with_nats_py_gets_each_message_once(
    server: fastnats.Server,
) -> None:
    a = await nats.connect(server.url)
    b = await nats.connect(server.url)
    got: list[str] = []

    async def handler(msg: nats.aio.msg.Msg) -> None:
        got.append(msg.data.decode())

    await a.subscribe("work", queue="q", cb=handler)
    await b.subscribe("work", queue="q", cb=handler)
    await _wait_subscriptions(server, 2)
    for i in range(50):
        assert server.publish("work", str(i)) == 1
    for _ in range(500):
        if len(got) == 50:
            break
        await asyncio.sleep(0.01)
    assert sorted(got, key=int) == [str(i) for i in range(50)]
    await a.close()
    await b.close()


def test_nobody_listening_delivers_to_none(server: fastnats.Server) -> None:
    assert server.publish("nobody.home", b"x") == 0
    assert server.stats()["in_msgs"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subject": "a.*"}, 'invalid subject "a.*"'),
        ({"subject": "a..b"}, 'invalid subject "a..b"'),
        ({"subject": "a", "reply": "r.>"}, 'invalid reply subject "r.>"'),
        ({"subject": "a", "data": b"x" * 1025}, "maximum payload exceeded: 1025 bytes"),
        ({"subject": "a", "headers": {"Bad Name": "v"}}, "invalid header 'Bad Name'"),
        ({"subject": "a", "headers": {"A": "line\r\nbreak"}}, "invalid header 'A'"),
    ],
)
def test_what_a_client_may_not_publish_is_refused(
    server: fastnats.Server, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*").replace(".", r"\.")):
        server.publish(**kwargs)  # type: ignore[arg-type]


def test_publishing_on_a_stopped_server_raises() -> None:
    s = fastnats.Server(host="127.0.0.1", port=0)
    with pytest.raises(RuntimeError, match="not running"):
        s.publish("a", b"x")


# --- in-process subscriptions and requests -------------------------------------------------


async def _eventually(cond: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_an_in_process_service_answers_a_nats_py_request(server: fastnats.Server) -> None:
    seen: list[fastnats.Msg] = []

    def greet(msg: fastnats.Msg) -> bytes:
        seen.append(msg)
        return b"hello " + msg.data

    sub = server.subscribe("greet.*", greet)
    nc = await nats.connect(server.url)
    reply = await nc.request("greet.joe", b"joe", timeout=5, headers={"X": "1"})
    assert reply.data == b"hello joe"
    assert seen[0].subject == "greet.joe" and seen[0].headers == {"X": "1"}
    assert sub.delivered == 1 and sub.closed is None
    await nc.close()


async def test_an_async_handler_answers_too(server: fastnats.Server) -> None:
    async def echo(msg: fastnats.Msg) -> str:
        await asyncio.sleep(0)
        return msg.data.decode().upper()

    server.subscribe("echo", echo)
    nc = await nats.connect(server.url)
    assert (await nc.request("echo", b"abc", timeout=5)).data == b"ABC"
    await nc.close()


async def test_a_queue_group_shared_by_a_handler_and_nats_py_handles_each_message_once(
    server: fastnats.Server,
) -> None:
    handled: list[str] = []
    server.subscribe("jobs", lambda m: handled.append(m.data.decode()), queue="workers")
    nc = await nats.connect(server.url)
    on_wire: list[str] = []

    async def worker(msg: nats.aio.msg.Msg) -> None:
        on_wire.append(msg.data.decode())

    await nc.subscribe("jobs", queue="workers", cb=worker)
    await _wait_subscriptions(server, 2)
    publisher = await nats.connect(server.url)
    for i in range(200):
        await publisher.publish("jobs", str(i).encode())
    await publisher.flush()
    await _eventually(lambda: len(handled) + len(on_wire) >= 200, "200 jobs handled")
    assert sorted(handled + on_wire, key=int) == [str(i) for i in range(200)]
    assert handled and on_wire, (len(handled), len(on_wire))
    await nc.close()
    await publisher.close()


async def test_the_process_requests_from_a_nats_py_responder(server: fastnats.Server) -> None:
    nc = await nats.connect(server.url)

    async def respond(msg: nats.aio.msg.Msg) -> None:
        await msg.respond(b"pong:" + msg.data)

    await nc.subscribe("svc", cb=respond)
    await _wait_subscriptions(server, 1)
    reply = await server.arequest("svc", b"1", timeout=5)
    assert reply.data == b"pong:1"
    blocking = await asyncio.get_running_loop().run_in_executor(
        None, lambda: server.request("svc", "2", timeout=5)
    )
    assert blocking.data == b"pong:2"
    await nc.close()


def test_a_request_nobody_listens_to_fails_at_once(server: fastnats.Server) -> None:
    with pytest.raises(fastnats.NoRespondersError, match="no responders on 'nobody'"):
        server.request("nobody", b"x", timeout=30)
    assert client_subscriptions(server) == 0, "the inbox is gone"


def test_a_request_nobody_answers_times_out(server: fastnats.Server) -> None:
    server.subscribe("mute", lambda m: None)
    with pytest.raises(TimeoutError, match="no reply on 'mute'"):
        server.request("mute", b"x", timeout=0.2)
    assert client_subscriptions(server) == 1


def test_the_process_talks_to_itself_in_order(server: fastnats.Server) -> None:
    got: list[bytes] = []
    done = threading.Event()

    def collect(msg: fastnats.Msg) -> None:
        got.append(msg.data)
        if len(got) == 500:
            done.set()

    server.subscribe("n", collect)
    for i in range(500):
        server.publish("n", str(i))
    assert done.wait(10)
    assert got == [str(i).encode() for i in range(500)]


def test_unsubscribe_stops_delivery(server: fastnats.Server) -> None:
    got: list[bytes] = []
    sub = server.subscribe("u", lambda m: got.append(m.data))
    assert server.publish("u", b"1") == 1
    sub.unsubscribe()
    sub.unsubscribe()
    assert server.publish("u", b"2") == 0
    assert sub.closed == "Client Closed"


def test_a_handler_that_falls_behind_is_a_slow_consumer(server: fastnats.Server) -> None:
    release = threading.Event()
    slow = server.subscribe("s", lambda m: release.wait(10), max_pending=2048)
    others: list[bytes] = []
    server.subscribe("s", lambda m: others.append(m.data))
    for _ in range(40):
        server.publish("s", b"x" * 100)
    assert slow.closed == "Slow Consumer (Pending Bytes)"
    assert server.stats()["slow_consumers"] == 1
    release.set()
    for _ in range(500):
        if len(others) == 40:
            break
        threading.Event().wait(0.01)
    assert len(others) == 40


def test_a_failing_handler_is_logged_and_the_next_message_goes_on(
    server: fastnats.Server, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[bytes] = []
    done = threading.Event()

    def flaky(msg: fastnats.Msg) -> None:
        if msg.data == b"bad":
            raise RuntimeError("boom")
        got.append(msg.data)
        done.set()

    with caplog.at_level(logging.ERROR, logger="fastnats.hooks"):
        server.subscribe("f", flaky)
        server.publish("f", b"bad")
        server.publish("f", b"good")
        assert done.wait(10)
    assert got == [b"good"]
    assert any("boom" in r.getMessage() or "boom" in (r.exc_text or "") for r in caplog.records)


def test_subscribe_checks_its_arguments(server: fastnats.Server) -> None:
    with pytest.raises(ValueError, match='invalid subject "a..b"'):
        server.subscribe("a..b", lambda m: None)
    with pytest.raises(TypeError, match="handler must be callable"):
        server.subscribe("a", "not a function")  # type: ignore[arg-type]
    stopped = fastnats.Server(host="127.0.0.1", port=0)
    with pytest.raises(RuntimeError, match="not running"):
        stopped.subscribe("a", lambda m: None)


# --- acting as a configured user --------------------------------------------------------

ALICE = {
    "users": [
        {
            "user": "alice",
            "password": "pw",
            "permissions": {
                "publish": {"allow": ["orders.>", "_INBOX.>"]},
                "subscribe": {"allow": ["orders.>", "_INBOX.>"], "deny": ["orders.secret"]},
            },
        },
        {"user": "bob", "password": "pw"},
    ]
}


def test_acting_as_a_user_applies_its_permissions(
    fastnats_server_factory: ServerFactory,
) -> None:
    server = fastnats_server_factory(authorization=ALICE)
    got: list[str] = []
    last = threading.Event()

    def alice(m: fastnats.Msg) -> None:
        got.append(m.subject)
        if m.subject == "orders.last":
            last.set()

    server.subscribe("orders.*", alice, user="alice")
    assert server.publish("orders.new", b"x", user="alice") == 1
    with pytest.raises(
        fastnats.PermissionsViolation, match='Permissions Violation for Publish to "audit.x"'
    ):
        server.publish("audit.x", b"x", user="alice")
    with pytest.raises(
        fastnats.PermissionsViolation,
        match='Permissions Violation for Subscription to "audit.>"',
    ):
        server.subscribe("audit.>", lambda m: None, user="alice")
    with pytest.raises(ValueError, match='unknown user "mallory"'):
        server.publish("orders.new", b"x", user="mallory")
    # The server itself is unrestricted; alice's wildcard does not see what she may not.
    server.publish("orders.secret", b"x")
    # One subscription's messages reach its handler in order: once orders.last is in,
    # orders.secret would have been too.
    server.publish("orders.last", b"x")
    assert last.wait(10)
    assert "orders.secret" not in got and "orders.new" in got


async def test_a_user_request_to_a_user_service(fastnats_server_factory: ServerFactory) -> None:
    server = fastnats_server_factory(authorization=ALICE)
    server.subscribe("orders.count", lambda m: b"42", user="alice")
    reply = await server.arequest("orders.count", b"", user="alice", timeout=5)
    assert reply.data == b"42"
    nc = await nats.connect(server.url, user="bob", password="pw")
    assert (await nc.request("orders.count", b"", timeout=5)).data == b"42"
    await nc.close()
