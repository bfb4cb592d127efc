"""nats-py clients for the account tests: connected as a given user, the waits that make
"this was not delivered" provable without sleeping, and the monitoring endpoints' answers."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.subscription import Subscription

TIMEOUT = 5.0


async def connect(server: Any, **options: Any) -> Client:
    """A client of ``server`` (a ``RunningServer``), without reconnects and with a quiet error
    callback (a test reads what it expects from the subscriptions)."""
    options.setdefault("connect_timeout", TIMEOUT)
    options.setdefault("allow_reconnect", False)
    options.setdefault("max_reconnect_attempts", 0)

    async def quiet(e: Exception) -> None:
        pass

    options.setdefault("error_cb", quiet)
    return await nats.connect(server.url, **options)


async def connect_creds(server: Any, creds: str, errors: list[str] | None = None) -> Client:
    """A client logged in with the ``.creds`` file ``creds``; the asynchronous errors it
    reports are appended to ``errors`` when given."""

    async def record(e: Exception) -> None:
        if errors is not None:
            errors.append(str(e))

    return await connect(server, user_credentials=creds, error_cb=record)


async def as_user(server: Any, user: str, password: str | None = None) -> Client:
    """A client logged in as ``user`` (password: the user name, as the tests configure)."""
    return await connect(server, user=user, password=password or user)


async def sync(nc: Client) -> None:
    """Returns once the server has handled everything ``nc`` sent before.

    A request to ``nc``'s own echo subscription: its answer comes after the server processed
    the commands queued ahead of it (nats-py's ``flush()`` is not such a barrier, see the
    design handbook), and a message the server delivers while processing a PUB is queued to
    its recipients before the answer."""
    subject = f"sync.{os.urandom(6).hex()}"

    async def echo(msg: Any) -> None:
        await msg.respond(b"")

    sub = await nc.subscribe(subject, cb=echo)
    try:
        await nc.request(subject, b"", timeout=TIMEOUT)
    finally:
        await sub.unsubscribe()


async def until(read: Callable[[], Any], check: Callable[[Any], bool]) -> Any:
    """``read()`` once ``check`` accepts it: a flushed SUB is not yet a proof that the server
    applied it (no request is made as a barrier: nats-py's request inbox would be one more
    subscription)."""
    for _ in range(100):
        value = read()
        if check(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {value}")


async def next_subject(sub: Subscription) -> str:
    msg = await sub.next_msg(timeout=TIMEOUT)
    return msg.subject


async def nothing_before_marker(sub: Subscription, owner: Client, marker: str) -> None:
    """Asserts that ``sub`` holds nothing but the marker ``owner`` publishes now on the
    ``marker`` subject (which ``sub`` must match): anything delivered to ``sub`` before this
    call would come first."""
    await owner.publish(marker, b"marker")
    msg = await sub.next_msg(timeout=TIMEOUT)
    assert (msg.subject, msg.data) == (marker, b"marker")


def monitoring(server: Any, path: str) -> Any:
    """The JSON answer of ``server``'s monitoring endpoint ``path`` (with its query); an HTTP
    error raises ``urllib.error.HTTPError`` (its body is the server's message)."""
    url = f"http://127.0.0.1:{server.http_port}{path}"
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return json.loads(response.read())


def monitoring_error(server: Any, path: str) -> tuple[int, str]:
    """The HTTP status and body of a monitoring request that fails."""
    try:
        monitoring(server, path)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    raise AssertionError(f"{path} did not fail")
