"""``/connz``: open and recently closed client connections, as nats-server reports them.

Parameters (all optional, as query strings or :meth:`fastnats.Server.connz` keywords):

* ``sort`` -- ``cid``/``start`` ascending (default); ``subs``, ``pending``, ``msgs_to``,
  ``msgs_from``, ``bytes_to``, ``bytes_from``, ``last``, ``idle``, ``rtt``, ``stop`` (closed
  only) descending; ``uptime`` and ``reason`` (closed only) ascending.
* ``subs`` -- bool, or ``detail`` for the subscription details.
* ``offset``, ``limit`` (default 1024; a ``cid`` makes it 1), ``cid``.
* ``state`` -- ``open`` (default), ``closed``, ``any``/``all``.
* ``auth`` -- bool; adds ``authorized_user`` and, outside the global account, ``account``
  (the engine's ``account`` of each connection, ``$G`` when it gives none).
  ``user``, ``acc`` (an account name), ``mqtt_client`` filter.

Ties in a sort keep connection-id order (nats-server's sort is not stable: any order is
correct there).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from . import accounts, clock
from .params import BadRequest, Query, decode_bool, decode_int, decode_subs, decode_uint64
from .state import MonitorState

__all__ = ["PARAMS", "connz", "decode_state", "decode_subs"]

PARAMS = frozenset(
    {"sort", "auth", "subs", "offset", "limit", "cid", "state", "user", "acc", "mqtt_client"}
)
DEFAULT_LIMIT = 1024
GLOBAL_ACCOUNT = accounts.GLOBAL_ACCOUNT

OPEN, CLOSED, ALL = "open", "closed", "all"

# sort option -> (key of a row, descending?)
_Row = dict[str, Any]
_SORTS: dict[str, tuple[Callable[[_Row, int], Any], bool]] = {
    "cid": (lambda r, now: r["cid"], False),
    "start": (lambda r, now: r["cid"], False),
    "subs": (lambda r, now: len(r["subscriptions"]), True),
    "pending": (lambda r, now: r["pending_bytes"], True),
    "msgs_to": (lambda r, now: r["out_msgs"], True),
    "msgs_from": (lambda r, now: r["in_msgs"], True),
    "bytes_to": (lambda r, now: r["out_bytes"], True),
    "bytes_from": (lambda r, now: r["in_bytes"], True),
    "last": (lambda r, now: r["_last"], True),
    "idle": (lambda r, now: now - r["_last"], True),
    "uptime": (lambda r, now: (r["_stop"] or now) - r["_start"], False),
    "stop": (lambda r, now: r["_stop"] or 0, True),
    "reason": (lambda r, now: r["reason"] or "", False),
    "rtt": (lambda r, now: clock.rtt_ns(r.get("rtt") or 0), True),
}


def decode_state(query: Query) -> str:
    value = query.get("state", "")
    if value == "":
        return OPEN
    lowered = value.lower()
    if lowered in ("open", "closed"):
        return lowered
    if lowered in ("any", "all"):
        return ALL
    raise BadRequest(f"Error decoding state for {value}")


def _row(snap: dict[str, Any]) -> _Row:
    """A native snapshot with its times in nanoseconds, ready to sort and render."""
    row = dict(snap)
    row["_start"] = clock.ns_from_seconds(snap["start"])
    row["_last"] = clock.ns_from_seconds(snap["last_activity"])
    stop = snap.get("stop")
    row["_stop"] = clock.ns_from_seconds(stop) if stop is not None else None
    row["account"] = accounts.of(snap)
    # The account JWT's name in operator mode, else the account's name.
    row["name_tag"] = snap.get("name_tag") or row["account"]
    return row


def _sub_detail(sub: dict[str, Any], closed: bool, row: _Row) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if closed:  # nats-server keeps a closed connection's subscriptions with their account
        d["account"] = row["account"]
        d["account_tag"] = row["name_tag"]
    d["subject"] = sub["subject"]
    if sub.get("qgroup"):
        d["qgroup"] = sub["qgroup"]
    d["sid"] = sub["sid"]
    d["msgs"] = sub["msgs"]
    if sub.get("max"):
        d["max"] = sub["max"]
    d["cid"] = sub["cid"]
    return d


def _render(row: _Row, now_ns: int, subs: bool, detail: bool, auth: bool) -> dict[str, Any]:
    closed = row["_stop"] is not None
    # A closed connection is described as it was when it closed (nats-server stores it so).
    until = row["_stop"] if closed else now_ns
    ci: dict[str, Any] = {
        "cid": row["cid"],
        "kind": "Client",
        "type": "websocket" if row.get("websocket") else "nats",
        "ip": row["ip"],
        "port": row["port"],
        "start": rfc3339(row["_start"]),
        "last_activity": rfc3339(row["_last"]),
    }
    if closed:
        ci["stop"] = rfc3339(row["_stop"])
        if row.get("reason"):
            ci["reason"] = row["reason"]
    ci.update(
        {
            # Estimated at CONNECT, then measured by the first keep-alive PING (2 s later).
            "rtt": clock.rtt(row.get("rtt") or 0),
            "uptime": clock.uptime((until - row["_start"]) / 1e9),
            "idle": clock.uptime((until - row["_last"]) / 1e9),
            "pending_bytes": row["pending_bytes"],
            "in_msgs": row["in_msgs"],
            "out_msgs": row["out_msgs"],
            "in_bytes": row["in_bytes"],
            "out_bytes": row["out_bytes"],
            "subscriptions": len(row["subscriptions"]),
        }
    )
    if row.get("stalls"):  # times publishers waited for it to drain (omitempty)
        ci["stalls"] = row["stalls"]
    for key in ("name", "lang", "version", "tls_version", "tls_cipher_suite"):
        if row.get(key):
            ci[key] = row[key]
    if row["subscriptions"]:
        if detail:
            ci["subscriptions_list_detail"] = [
                _sub_detail(s, closed, row) for s in row["subscriptions"]
            ]
        elif subs:
            ci["subscriptions_list"] = [s["subject"] for s in row["subscriptions"]]
    if auth:
        if row.get("user"):
            ci["authorized_user"] = row["user"]
        if row["account"] != GLOBAL_ACCOUNT:
            ci["account"] = row["account"]
        if not closed or row["account"] != GLOBAL_ACCOUNT:
            # nats-server names the account in name_tag (a closed one's only outside $G):
            # the account JWT's name in operator mode.
            ci["name_tag"] = row["name_tag"]
    return ci


def connz(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/connz`` document for these query parameters; raises BadRequest as nats-server.

    ``count`` is called where nats-server counts the request in ``http_req_stats``: after the
    parameters decode, before the sort option is checked.
    """
    # Decoded in nats-server's order, so the first bad parameter is the one reported.
    auth = decode_bool(query, "auth")
    subs, detail = decode_subs(query)
    offset = decode_int(query, "offset")
    limit = decode_int(query, "limit")
    cid = decode_uint64(query, "cid")
    state = decode_state(query)
    user = query.get("user", "")
    acc = query.get("acc", "")
    mqtt_client = query.get("mqtt_client", "")
    if count is not None:
        count()

    sort = query.get("sort", "") or "cid"
    if sort not in _SORTS:
        raise BadRequest(f"invalid sorting option: {sort}")
    offset = max(offset, 0)
    if limit <= 0:
        limit = DEFAULT_LIMIT
    if sort == "stop" and state != CLOSED:
        raise BadRequest("sort by stop only valid on closed connections")
    if sort == "reason" and state != CLOSED:
        raise BadRequest("sort by reason only valid on closed connections")
    if cid > 0:
        limit = 1

    now_ns = time.time_ns()
    native = monitor.native
    if acc and acc not in accounts.names(native):
        # nats-server answers an unknown account with this half-filled document.
        return {
            "server_id": "",
            "now": rfc3339(now_ns),
            "num_connections": 0,
            "total": 0,
            "offset": offset,
            "limit": limit,
            "connections": None,
        }

    open_rows = [_row(c) for c in native.connections()] if state in (OPEN, ALL) else []
    closed_rows = (
        [_row(c) for c in native.connections(closed=True)] if state in (CLOSED, ALL) else []
    )
    if acc:  # before the total, which counts the account's connections only
        open_rows = [r for r in open_rows if r["account"] == acc]
        closed_rows = [r for r in closed_rows if r["account"] == acc]
    total = len(open_rows) + len(closed_rows)

    if cid > 0:
        open_rows = [r for r in open_rows if r["cid"] == cid]
        closed_rows = [] if open_rows else [r for r in closed_rows if r["cid"] == cid][:1]
    elif mqtt_client:
        # No connection is MQTT.
        open_rows, closed_rows = [], []
    elif user:
        open_rows = [r for r in open_rows if r.get("user") == user]
        closed_rows = [r for r in closed_rows if r.get("user") == user]

    rows = open_rows + closed_rows
    rows.sort(key=lambda r: r["cid"])
    key, descending = _SORTS[sort]
    if sort not in ("cid", "start"):
        rows.sort(key=lambda r: key(r, now_ns), reverse=descending)
    page = rows[min(offset, len(rows)) : min(offset + limit, len(rows))]
    return {
        "server_id": native.server_id or "",
        "now": rfc3339(now_ns),
        "num_connections": len(page),
        "total": total,
        "offset": offset,
        "limit": limit,
        "connections": [_render(r, now_ns, subs, detail, auth) for r in page],
    }
