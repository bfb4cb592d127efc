"""``/jsz``: JetStream's usage, API counts and, on request, its accounts and streams.

Parameters (nats-server's): ``accounts``, ``streams``, ``consumers``, ``config``,
``leader-only``, ``raft``, ``stream-leader-only``, ``direct-consumers`` (bools), ``offset``,
``limit`` (ints) and ``acc`` (one account's detail). ``consumers`` implies ``streams``, which
implies ``accounts`` when no ``acc`` is given, as in nats-server. On a single server every
stream is led by it, so the leader-only and raft options change nothing.

The figures come from the engine's counters (no stream is scanned); without JetStream the
document says ``"disabled": true`` with zeros, as nats-server's does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from .params import Query, decode_bool, decode_int
from .state import MonitorState

__all__ = ["PARAMS", "jsz", "stats"]

PARAMS = frozenset(
    {
        "acc",
        "accounts",
        "streams",
        "consumers",
        "direct-consumers",
        "config",
        "offset",
        "limit",
        "leader-only",
        "raft",
        "stream-leader-only",
    }
)

_ZERO_STATS: dict[str, Any] = {
    "memory": 0,
    "storage": 0,
    "reserved_memory": 0,
    "reserved_storage": 0,
    "accounts": 0,
    "ha_assets": 0,
    "api": {"total": 0, "errors": 0},
}


def stats(monitor: MonitorState) -> dict[str, Any] | None:
    """nats-server's ``JetStreamStats`` (``/varz`` ``jetstream.stats``), None without
    JetStream."""
    js = monitor.native.jetstream()
    return None if js is None else dict(js["stats"])


def jsz(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/jsz`` document; raises BadRequest for a bad parameter value."""
    if count is not None:
        count()
    accounts = decode_bool(query, "accounts")
    streams = decode_bool(query, "streams")
    consumers = decode_bool(query, "consumers")
    decode_bool(query, "direct-consumers")
    config = decode_bool(query, "config")
    offset = max(decode_int(query, "offset"), 0)
    limit = decode_int(query, "limit") or 1024
    for flag in ("leader-only", "raft", "stream-leader-only"):
        decode_bool(query, flag)
    acc = query.get("acc", "")
    streams = streams or consumers
    accounts = accounts or (streams and not acc)

    native = monitor.native
    doc: dict[str, Any] = {"server_id": native.server_id or "", "now": rfc3339(time.time_ns())}
    js = native.jetstream(accounts=True, streams=streams, consumers=consumers, config=config)
    if js is None or monitor.jetstream_config is None:
        doc["disabled"] = True
        doc["config"] = {"max_memory": 0, "max_storage": 0}
        doc.update(_ZERO_STATS)
        doc.update({"streams": 0, "consumers": 0, "messages": 0, "bytes": 0})
        return doc
    doc["config"] = dict(monitor.jetstream_config)
    doc.update(js["stats"])
    doc.update(js["totals"])
    details: list[dict[str, Any]] = list(js["account_details"])
    if acc:
        details = [d for d in details if d["id"] == acc]
    elif accounts:
        details = sorted(details, key=lambda d: str(d["id"]))[offset:][:limit]
    else:
        details = []
    if details:
        doc["account_details"] = details
    return doc
