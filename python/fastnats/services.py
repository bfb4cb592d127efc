"""In-process services: subscribe to and request from the running server without a client
library or a socket.

A subscription's messages reach its handler in batches on a server thread (one GIL
acquisition per batch, never on the network threads); a handler that falls behind makes its
subscription a slow consumer, closed and counted like any client. For clients on the wire an
in-process subscriber is a subscriber like any other: wildcards, queue groups shared with
network members, headers, no-responders.
"""

from __future__ import annotations

from . import logs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from . import _fastnats

__all__ = ["Msg", "Subscription", "parse_headers"]


class Msg:
    """A message as an in-process handler (or ``request()``) gets it.

    A plain class with slots, not a frozen dataclass: one is built per message on the
    handler path, and a frozen dataclass's ``__init__`` (``object.__setattr__`` per field)
    cost about a microsecond of the 2-3 us a message takes there (benches/README.md).
    """

    __slots__ = ("subject", "data", "reply", "headers")

    def __init__(
        self,
        subject: str,
        data: bytes,
        reply: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.subject = subject
        self.data = data
        self.reply = reply
        self.headers = headers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Msg):
            return NotImplemented
        return (self.subject, self.data, self.reply, self.headers) == (
            other.subject,
            other.data,
            other.reply,
            other.headers,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable, like nats-py's Msg

    def __repr__(self) -> str:
        return (
            f"Msg(subject={self.subject!r}, data={self.data!r}, reply={self.reply!r}, "
            f"headers={self.headers!r})"
        )


if TYPE_CHECKING:
    Handler = Callable[[Msg], Any]
    """A plain or ``async def`` function of a :class:`Msg`; returning ``bytes`` or ``str``
    answers a request (publishes to the message's reply subject)."""


def __getattr__(name: str) -> Any:
    if name == "Handler":  # built on first use: a server starts without importing typing
        from collections.abc import Callable
        from typing import Any

        globals()["Handler"] = handler = Callable[[Msg], Any]
        return handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_headers(block: bytes) -> dict[str, str]:
    """A ``NATS/1.0`` header block as a dict (a repeated name keeps its first value; a status
    line's code and description appear as ``Status`` and ``Description``, as nats-py
    shows them)."""
    lines = block.decode(errors="replace").split("\r\n")
    out: dict[str, str] = {}
    status = lines[0][len("NATS/1.0") :].strip() if lines else ""
    if status:
        code, _, description = status.partition(" ")
        out["Status"] = code
        if description:
            out["Description"] = description
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name and name not in out:
            out[name] = value.strip()
    return out


class Subscription:
    """An in-process subscription (``Server.subscribe``); :meth:`unsubscribe` ends it."""

    def __init__(
        self,
        native: _fastnats.NativeSubscription,
        subject: str,
        queue: str | None,
        registry: set[Subscription],
    ) -> None:
        self._native = native
        self.subject = subject
        self.queue = queue
        # The server keeps its subscriptions alive until they end, as a client library
        # keeps its own: a handle the caller drops does not unsubscribe.
        self._registry = registry
        registry.add(self)

    def unsubscribe(self) -> None:
        """No message reaches the handler after this returns (but one of a batch being
        handled). Idempotent."""
        self._registry.discard(self)
        self._native.unsubscribe()

    @property
    def closed(self) -> str | None:
        """Why it ended (``"Slow Consumer (Pending Bytes)"`` when the handler fell behind,
        ``"Client Closed"`` after :meth:`unsubscribe`), or None while active."""
        return self._native.closed

    @property
    def delivered(self) -> int:
        """Messages delivered to it so far."""
        return self._native.delivered

    def __repr__(self) -> str:
        queue = f" queue={self.queue!r}" if self.queue else ""
        return f"<fastnats.Subscription {self.subject!r}{queue} closed={self.closed!r}>"


def batch_callback(
    handler: Handler,
    call: Callable[[Handler, Msg], Any],
    respond: Callable[[str, bytes], Any],
) -> Callable[[list[tuple[str, str | None, bytes | None, bytes]]], None]:
    """The native callback of a subscription: each message of a batch to ``handler`` (through
    ``call``, which runs coroutines on the server's hook loop), an answer of ``bytes``/``str``
    to the reply subject through ``respond``. A handler's exception is logged on
    ``fastnats.hooks`` with its traceback and the next message goes on."""

    def on_batch(items: list[tuple[str, str | None, bytes | None, bytes]]) -> None:
        for subject, reply, headers, data in items:
            msg = Msg(subject, data, reply, parse_headers(headers) if headers else None)
            try:
                answer = call(handler, msg)
            except Exception:
                logs.logger("fastnats.hooks").exception(
                    "subscription handler failed on %r", subject
                )
                continue
            if reply and answer is not None:
                if isinstance(answer, str):
                    answer = answer.encode()
                if isinstance(answer, bytes | bytearray | memoryview):
                    respond(reply, bytes(answer))

    return on_batch
