"""``/routez``: the route connections to the other servers of the cluster, as nats-server
reports them (its ``Routez`` and ``RouteInfo``).

Parameters: ``subs`` (bool; ``detail`` for the subscription details). One entry per route
connection (``num_routes`` counts connections, as nats-server's does; fastnats opens one per
peer). Times are RFC 3339 UTC, ``rtt`` a Go duration (``"0s"`` before the first PONG),
``uptime``/``idle`` nats-server's ``myUptime``. ``compression`` is always ``"off"``: fastnats
does not compress routes. ``subscriptions_list`` holds the subjects of the interest the peer
registered (nats-server lists subjects only, without queue names); the details add ``qgroup``
and give as ``sid`` the interest as the peer sent it (subject and queue).

The figures are the engine's route snapshot (``NativeServer.routes()``): ``rid``,
``remote_id``, ``remote_name``, ``did_solicit``, ``is_configured``, ``ip``, ``port``,
``start`` and ``last_activity`` (Unix seconds), ``rtt`` (seconds), ``pending_size``,
``in_msgs``, ``out_msgs``, ``in_bytes``, ``out_bytes`` and ``subscriptions`` (``"subject"``
or ``"subject queue"`` strings).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from . import clock
from .params import Query, decode_subs
from .state import MonitorState

__all__ = ["PARAMS", "routes", "routez"]

PARAMS = frozenset({"subs"})

COMPRESSION = "off"
"""The route compression mode fastnats reports (it never compresses)."""


def routes(native: Any) -> list[dict[str, Any]]:
    """The engine's route snapshot; empty when the server is not in a cluster."""
    if native.config().get("cluster") is None:
        return []
    return list(native.routes())


def _split(entry: str) -> tuple[str, str]:
    subject, _, queue = entry.partition(" ")
    return subject, queue


def _route(row: dict[str, Any], now_ns: int, subs: bool, detail: bool) -> dict[str, Any]:
    start = clock.ns_from_seconds(row["start"])
    last = clock.ns_from_seconds(row["last_activity"])
    entries: list[str] = list(row.get("subscriptions") or [])
    info: dict[str, Any] = {
        "rid": row["rid"],
        "remote_id": row["remote_id"],
        "remote_name": row.get("remote_name") or "",
        "did_solicit": bool(row["did_solicit"]),
        "is_configured": bool(row["is_configured"]),
        "ip": row["ip"],
        "port": row["port"],
        "start": rfc3339(start),
        "last_activity": rfc3339(last),
        "rtt": clock.rtt(round(float(row.get("rtt") or 0.0) * 1e9)),
        "uptime": clock.uptime((now_ns - start) / 1e9),
        "idle": clock.uptime((now_ns - last) / 1e9),
        "pending_size": row.get("pending_size", 0),
        "in_msgs": row.get("in_msgs", 0),
        "out_msgs": row.get("out_msgs", 0),
        "in_bytes": row.get("in_bytes", 0),
        "out_bytes": row.get("out_bytes", 0),
        "subscriptions": len(entries),
    }
    if entries:
        if detail:
            details = []
            accounts: list[str] = list(row.get("subscription_accounts") or [])
            for i, entry in enumerate(entries):
                subject, queue = _split(entry)
                account = accounts[i] if i < len(accounts) else ""
                d: dict[str, Any] = {"subject": subject}
                if queue:
                    d["qgroup"] = queue
                # nats-server's key of a route's interest: R <account> <subject> [<queue>].
                sid = f"R {account} {entry}" if account else entry
                d.update({"sid": sid, "msgs": 0, "cid": row["rid"]})
                details.append(d)
            info["subscriptions_list_detail"] = details
        elif subs:
            info["subscriptions_list"] = [_split(entry)[0] for entry in entries]
    info["compression"] = COMPRESSION
    return info


def routez(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/routez`` document; raises BadRequest for a bad ``subs`` as nats-server.

    ``count`` is called where nats-server counts the request: after the parameters decode."""
    subs, detail = decode_subs(query)
    if count is not None:
        count()
    native = monitor.native
    now_ns = time.time_ns()
    rows = sorted(routes(native), key=lambda r: r["rid"])
    return {
        "server_id": native.server_id or "",
        "server_name": native.server_name or "",
        "now": rfc3339(now_ns),
        "num_routes": len(rows),
        "routes": [_route(r, now_ns, subs, detail) for r in rows],
    }
