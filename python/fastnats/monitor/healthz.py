"""``/healthz``: nats-server's health probe.

Without JetStream the server is healthy once it serves (the JetStream parameters are
decoded and change nothing, as in nats-server). With JetStream: ``js-enabled-only`` (and the
deprecated ``js-enabled``) and ``js-server-only`` stop at "JetStream runs"; otherwise the
account, stream and consumer named by ``account``/``stream``/``consumer`` must exist
(``404`` with nats-server's texts when not; ``details=true`` lists the errors instead).
Streams are restored before the server accepts clients (a stream that can not be restored
stops the start), so there is no "still recovering" state to report.
"""

from __future__ import annotations

from typing import Any

from ..gocompat import quote
from .params import Query, decode_bool
from .state import MonitorState

__all__ = ["healthz"]


def healthz(monitor: MonitorState, query: Query) -> tuple[int, dict[str, Any]]:
    """The status code and document; raises BadRequest for a bad parameter value."""
    enabled_only = decode_bool(query, "js-enabled") | decode_bool(query, "js-enabled-only")
    server_only = decode_bool(query, "js-server-only")
    decode_bool(query, "js-meta-only")
    details = decode_bool(query, "details")
    account, stream, consumer = (query.get(k, "") for k in ("account", "stream", "consumer"))
    error = None
    if stream and not account:
        error = '"account" must not be empty when checking stream health'
    elif consumer and not stream:
        error = '"stream" must not be empty when checking consumer health'
    if error is not None:
        return 400, {"status": "error", "error": error}
    if monitor.jetstream_config is None or server_only or enabled_only:
        return 200, {"status": "ok"}
    js = monitor.native.jetstream(accounts=True, streams=True)
    if js is None:
        return 503, _problem(details, "JETSTREAM", {}, "JetStream not enabled")
    if not account:
        return 200, {"status": "ok"}
    found = {d["id"]: d for d in js["account_details"]}.get(account)
    if found is None:
        where = {"account": account}
        return 404, _problem(
            details, "ACCOUNT", where, f"JetStream account {quote(account)} not found"
        )
    if not stream:
        return 200, {"status": "ok"}
    streams = {s["name"]: s for s in found.get("stream_detail", [])}
    if stream not in streams:
        where = {"account": account, "stream": stream}
        text = f"JetStream stream {quote(stream)} not found on account {quote(account)}"
        return 404, _problem(details, "STREAM", where, text)
    if consumer and consumer not in monitor.native.jetstream_consumer_names(account, stream):
        where = {"account": account, "stream": stream, "consumer": consumer}
        text = (
            f"JetStream consumer {quote(consumer)} not found for stream {quote(stream)} "
            f"on account {quote(account)}"
        )
        return 404, _problem(details, "CONSUMER", where, text)
    return 200, {"status": "ok"}


def _problem(details: bool, kind: str, where: dict[str, str], text: str) -> dict[str, Any]:
    if details:
        return {"status": "error", "errors": [{"type": kind, **where, "error": text}]}
    return {"status": "unavailable", "error": text}
