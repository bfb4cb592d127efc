"""nats-py over its WebSocket transport (aiohttp), fastnats beside nats-server (issue 15).

``nats.connect("ws://...")``: pub/sub, request/reply, headers, 1 MB messages (many frames),
``wss://`` with the test CA, permessage-deflate (nats-py does not ask for it: aiohttp's
``compress=15`` is turned on for the test), reconnect after the server restarts on the
same port, a WebSocket client and a TCP client talking to each other, and the
``authorization`` block of ``websocket {}`` (user/password, token; wrong ones refused, the
TCP port unaffected).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import nats
import nats.errors
import pytest
import pytest_asyncio
from nats.aio.client import Client

from .conftest import WsServer, WsServers

pytestmark = [
    pytest.mark.timeout(90),
    # nats-py passes aiohttp a float timeout, which aiohttp 3.10+ deprecates.
    pytest.mark.filterwarnings("ignore:parameter 'timeout':DeprecationWarning"),
]

TIMEOUT = 5.0

Connect = Callable[..., Awaitable[Client]]


async def _quiet(e: Exception) -> None:
    pass


@pytest_asyncio.fixture
async def connect() -> AsyncIterator[Connect]:
    """``await connect(url, **options)``: a nats-py client, closed at the end of the test."""
    clients: list[Client] = []

    async def make(url: str, **options: Any) -> Client:
        options.setdefault("connect_timeout", TIMEOUT)
        options.setdefault("allow_reconnect", False)
        options.setdefault("max_reconnect_attempts", 0)
        options.setdefault("error_cb", _quiet)
        nc = await nats.connect(url, **options)
        clients.append(nc)
        return nc

    yield make
    for nc in clients:
        if not nc.is_closed:
            await nc.close()


async def test_pub_sub(ws_server: WsServer, connect: Connect) -> None:
    nc = await connect(ws_server.ws_url)
    sub = await nc.subscribe("greet.*")
    for i in range(100):
        await nc.publish(f"greet.{i}", b"hello %d" % i)
    for i in range(100):
        msg = await sub.next_msg(timeout=TIMEOUT)
        assert (msg.subject, msg.data) == (f"greet.{i}", b"hello %d" % i)


async def test_queue_groups_and_unsubscribe(ws_server: WsServer, connect: Connect) -> None:
    nc = await connect(ws_server.ws_url)
    a = await nc.subscribe("work", queue="q")
    b = await nc.subscribe("work", queue="q")
    for _ in range(50):
        await nc.publish("work", b"job")
    await nc.flush()
    await asyncio.sleep(0.1)
    assert a.pending_msgs + b.pending_msgs == 50
    await a.unsubscribe()
    await b.unsubscribe()
    gone = await nc.subscribe("work.done")
    await nc.publish("work", b"nobody")
    await nc.publish("work.done", b"done")
    assert (await gone.next_msg(timeout=TIMEOUT)).data == b"done"


async def test_request_reply(ws_server: WsServer, connect: Connect) -> None:
    responder = await connect(ws_server.ws_url)
    requester = await connect(ws_server.ws_url)

    async def handler(msg: Any) -> None:
        await msg.respond(b"re: " + msg.data)

    await responder.subscribe("svc", cb=handler)
    await responder.flush()
    for i in range(20):
        reply = await requester.request("svc", b"q%d" % i, timeout=TIMEOUT)
        assert reply.data == b"re: q%d" % i


async def test_headers(ws_server: WsServer, connect: Connect) -> None:
    nc = await connect(ws_server.ws_url)
    sub = await nc.subscribe("h")
    await nc.publish("h", b"body", headers={"Trace": "abc", "Multi": "x y"})
    await nc.publish("h", b"", headers={"Only": "header"})
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.data, msg.headers) == (b"body", {"Trace": "abc", "Multi": "x y"})
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.data, msg.headers) == (b"", {"Only": "header"})


async def test_large_messages(ws_server: WsServer, connect: Connect) -> None:
    """1 MiB payloads (the default max_payload) both ways, and a burst of them."""
    nc = await connect(ws_server.ws_url)
    sub = await nc.subscribe("big")
    payloads = [os.urandom(1024 * 1024 - 200) for _ in range(5)]
    for p in payloads:
        await nc.publish("big", p, headers={"N": str(len(p))})
    for p in payloads:
        msg = await sub.next_msg(timeout=20)
        assert msg.data == p
        assert msg.headers == {"N": str(len(p))}


async def test_over_max_payload_is_refused(ws_server: WsServer, connect: Connect) -> None:
    nc = await connect(ws_server.ws_url)
    with pytest.raises(nats.errors.MaxPayloadError):
        await nc.publish("big", b"x" * (1024 * 1024 + 1))


async def test_ws_and_tcp_clients_talk(ws_server: WsServer, connect: Connect) -> None:
    ws = await connect(ws_server.ws_url)
    tcp = await connect(ws_server.url)
    ws_sub = await ws.subscribe("to.ws")
    tcp_sub = await tcp.subscribe("to.tcp")
    await ws.flush()
    await tcp.flush()
    await tcp.publish("to.ws", b"from tcp", headers={"Via": "tcp"})
    await ws.publish("to.tcp", b"from ws", headers={"Via": "ws"})
    msg = await ws_sub.next_msg(timeout=TIMEOUT)
    assert (msg.data, msg.headers) == (b"from tcp", {"Via": "tcp"})
    msg = await tcp_sub.next_msg(timeout=TIMEOUT)
    assert (msg.data, msg.headers) == (b"from ws", {"Via": "ws"})

    async def echo(msg: Any) -> None:
        await msg.respond(msg.data[::-1])

    await ws.subscribe("echo.ws", cb=echo)
    await tcp.subscribe("echo.tcp", cb=echo)
    await ws.flush()
    await tcp.flush()
    assert (await tcp.request("echo.ws", b"abc", timeout=TIMEOUT)).data == b"cba"
    assert (await ws.request("echo.tcp", b"xyz", timeout=TIMEOUT)).data == b"zyx"
    big = os.urandom(300_000)
    await tcp.publish("to.ws", big)
    assert (await ws_sub.next_msg(timeout=TIMEOUT)).data == big


async def test_wss(ws_kind: str, start_ws: WsServers, connect: Connect) -> None:
    server = start_ws(ws_kind, tls=True)
    assert server.ws_url.startswith("wss://")
    nc = await connect(server.ws_url, tls=start_ws.client_tls())
    sub = await nc.subscribe("secure")
    await nc.publish("secure", b"over wss", headers={"T": "1"})
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.data, msg.headers) == (b"over wss", {"T": "1"})
    tcp = await connect(server.url)  # the client port has no TLS
    await tcp.publish("secure", b"from tcp")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"from tcp"


async def connection_errors(url: str, **options: Any) -> list[Exception]:
    """The errors nats-py reports while failing to connect to ``url``. (On a failed
    WebSocket handshake nats-py retries the server forever: the attempt is cut after 3 s.)"""
    errors: list[Exception] = []

    async def record(e: Exception) -> None:
        errors.append(e)

    nc: Client | None = None
    try:
        nc = await asyncio.wait_for(
            nats.connect(
                url,
                connect_timeout=2,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=record,
                **options,
            ),
            3,
        )
    except (asyncio.TimeoutError, nats.errors.Error, OSError, aiohttp.ClientError) as e:
        errors.append(e)
    assert nc is None, "connected"
    return errors


async def test_wss_untrusted_certificate_fails(ws_kind: str, start_ws: WsServers) -> None:
    server = start_ws(ws_kind, tls=True)
    errors = await connection_errors(
        server.ws_url, tls=start_ws.certs.client(trust=start_ws.certs.other_ca)
    )
    assert any("CERTIFICATE_VERIFY_FAILED" in str(e) for e in errors), errors


async def test_ws_to_a_tls_listener_fails(ws_kind: str, start_ws: WsServers) -> None:
    server = start_ws(ws_kind, tls=True)
    errors = await connection_errors(server.ws_url.replace("wss://", "ws://"))
    assert any(isinstance(e, (aiohttp.ClientError, OSError)) for e in errors), errors


async def test_compression(
    ws_kind: str, start_ws: WsServers, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nats-py with permessage-deflate (aiohttp's ``compress=15``) against a server with
    ``compression: true``: the extension is negotiated and messages of every size pass."""
    server = start_ws(ws_kind, compression=True)
    responses: list[aiohttp.ClientWebSocketResponse] = []
    original = aiohttp.ClientSession.ws_connect

    def ws_connect(self: aiohttp.ClientSession, *args: Any, **kw: Any) -> Any:
        kw["compress"] = 15
        ctx = original(self, *args, **kw)

        async def run() -> aiohttp.ClientWebSocketResponse:
            ws = await ctx
            responses.append(ws)
            return ws

        return run()

    monkeypatch.setattr(aiohttp.ClientSession, "ws_connect", ws_connect)
    nc = await connect(server.ws_url)
    assert responses and responses[0].compress == 15  # negotiated
    sub = await nc.subscribe("z")
    payloads = [b"", b"tiny", b"compressible " * 20000, os.urandom(200_000)]
    for p in payloads:
        await nc.publish("z", p, headers={"L": str(len(p))})
    for p in payloads:
        msg = await sub.next_msg(timeout=TIMEOUT)
        assert (msg.data, msg.headers) == (p, {"L": str(len(p))})
    monkeypatch.undo()
    plain = await connect(server.ws_url)  # without the extension, on the same server
    await plain.publish("z", b"plain")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"plain"


async def test_reconnect_after_restart(ws_kind: str, start_ws: WsServers, connect: Connect) -> None:
    """The server is killed and started again on the same port: the client reconnects and
    re-subscribes."""
    server = start_ws(ws_kind)
    disconnected, reconnected = asyncio.Event(), asyncio.Event()

    async def on_disconnect() -> None:
        disconnected.set()

    async def on_reconnect() -> None:
        reconnected.set()

    nc = await connect(
        server.ws_url,
        allow_reconnect=True,
        max_reconnect_attempts=200,
        reconnect_time_wait=0.1,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )
    sub = await nc.subscribe("again")
    await nc.publish("again", b"before")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"before"

    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, server.kill)
    await asyncio.wait_for(disconnected.wait(), TIMEOUT)
    await loop.run_in_executor(None, server.start)
    await asyncio.wait_for(reconnected.wait(), 20)
    assert server.starts == 2

    await nc.flush(timeout=TIMEOUT)
    await nc.publish("again", b"after")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"after"
    tcp = await connect(server.url)
    await tcp.publish("again", b"from tcp")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"from tcp"


# --------------------------------------------------------------------------------------
# The websocket authorization block
# --------------------------------------------------------------------------------------


async def refused(connect: Connect, url: str) -> None:
    errors: list[Exception] = []

    async def record(e: Exception) -> None:
        errors.append(e)

    with pytest.raises((nats.errors.Error, OSError, aiohttp.ClientError)):
        await connect(url, error_cb=record)
    assert any("authorization violation" in str(e).lower() for e in errors), errors


async def test_user_password(ws_kind: str, start_ws: WsServers, connect: Connect) -> None:
    server = start_ws(ws_kind, websocket='authorization { user: "wsuser", password: "s3cret" }')
    host = server.ws_url.split("://")[1]
    nc = await connect(f"ws://wsuser:s3cret@{host}")
    sub = await nc.subscribe("auth")
    await nc.publish("auth", b"in")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"in"
    await refused(connect, f"ws://wsuser:wrong@{host}")
    await refused(connect, f"ws://{host}")
    # The block is the WebSocket port's: the client port stays open.
    tcp = await connect(server.url)
    await tcp.publish("auth", b"tcp")
    assert (await sub.next_msg(timeout=TIMEOUT)).data == b"tcp"


async def test_token(ws_kind: str, start_ws: WsServers, connect: Connect) -> None:
    server = start_ws(ws_kind, websocket='authorization { token: "t0ken" }')
    host = server.ws_url.split("://")[1]
    nc = await connect(f"ws://t0ken@{host}")
    await nc.flush(timeout=TIMEOUT)
    await refused(connect, f"ws://other@{host}")
    await refused(connect, f"ws://{host}")


async def test_no_auth_user_in_the_block(
    ws_kind: str, start_ws: WsServers, connect: Connect
) -> None:
    """``no_auth_user`` inside ``websocket {}`` names a user of the top-level ``users`` for
    WebSocket clients that send no credentials."""
    server = start_ws(
        ws_kind,
        websocket='no_auth_user: "guest"',
        extra=(
            "authorization { users: ["
            ' { user: "guest", password: "g", permissions: { publish: "public.>" } },'
            ' { user: "admin", password: "a" } ] }'
        ),
    )
    host = server.ws_url.split("://")[1]
    guest = await connect(f"ws://{host}")
    admin = await connect(f"ws://admin:a@{host}")
    sub = await admin.subscribe(">")
    await admin.flush()
    await guest.publish("private.x", b"denied")
    await guest.publish("public.x", b"ok")
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.subject, msg.data) == ("public.x", b"ok")
    await refused(connect, server.url)  # the client port has no no_auth_user
