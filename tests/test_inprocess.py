"""Publishing from the embedding process (``Server.publish``): subscribers on the wire get
the message as if a connected client had sent it."""

from __future__ import annotations

import asyncio

import fastnats
import nats
import pytest
from fastnats.pytest_plugin import ServerFactory


async def _wait_subscriptions(server: fastnats.Server, n: int) -> None:
    """nats-py's flush() is not a barrier for SUB (DESIGN §7): wait until the server has
    registered the subscriptions (bounded)."""
    for _ in range(500):
        if server.stats()["subscriptions"] >= n:
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
