"""``/leafz``: the leaf node connections, as nats-server reports them (its ``Leafz`` and
``LeafInfo``).

Parameters: ``subs`` (bool: list each connection's subscriptions) and ``acc`` (only the
connections bound to that account). One entry per leaf connection, in the order they
connected (nats-server's is a map's); ``leafnodes`` counts the entries shown. ``is_spoke``
is true on the leaf side of a connection (this server dialled a remote), false on the hub
side; ``ip``/``port`` are the other side's address; ``rtt`` a Go duration (``"0s"`` before
the first PONG). ``compression`` is always ``"off"``: fastnats does not compress leaf
connections. ``subscriptions_list`` (with ``subs``, left out when empty) holds the subjects
of the interest the other side registered, without queue names, as nats-server lists them.

The figures are the engine's leaf snapshot (``NativeServer.leafs()``): ``cid``, ``name``
(the other server's name), ``is_spoke``, ``account``, ``ip``, ``port``, ``rtt`` (seconds),
``in_msgs``, ``out_msgs``, ``in_bytes``, ``out_bytes`` and ``subscriptions``
(``"subject"`` or ``"subject queue"`` strings).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from . import clock
from .params import Query, decode_bool
from .state import MonitorState

__all__ = ["COMPRESSION", "PARAMS", "leafs", "leafz"]

PARAMS = frozenset({"subs", "acc"})

COMPRESSION = "off"
"""The leaf compression mode fastnats reports (it never compresses)."""


def leafs(native: Any) -> list[dict[str, Any]]:
    """The engine's leaf snapshot in connection order; empty without ``leafnodes``."""
    if native.config().get("leafnodes") is None:
        return []
    return sorted(native.leafs(), key=lambda r: r["cid"])


def _leaf(row: dict[str, Any], subs: bool) -> dict[str, Any]:
    entries: list[str] = list(row.get("subscriptions") or [])
    info: dict[str, Any] = {
        "id": row["cid"],
        "name": row.get("name") or "",
        "is_spoke": bool(row["is_spoke"]),
        "account": row["account"],
        "ip": row["ip"],
        "port": row["port"],
        "rtt": clock.rtt(round(float(row.get("rtt") or 0.0) * 1e9)),
        "in_msgs": row.get("in_msgs", 0),
        "out_msgs": row.get("out_msgs", 0),
        "in_bytes": row.get("in_bytes", 0),
        "out_bytes": row.get("out_bytes", 0),
        "subscriptions": len(entries),
    }
    if subs and entries:  # omitempty
        info["subscriptions_list"] = [entry.partition(" ")[0] for entry in entries]
    info["compression"] = COMPRESSION
    return info


def leafz(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/leafz`` document; raises BadRequest for a bad ``subs`` as nats-server.

    ``count`` is called where nats-server counts the request: before the parameters decode."""
    if count is not None:
        count()
    subs = decode_bool(query, "subs")
    account = query.get("acc", "")
    native = monitor.native
    rows = leafs(native)
    if account:
        rows = [r for r in rows if r["account"] == account]
    return {
        "server_id": native.server_id or "",
        "now": rfc3339(time.time_ns()),
        "leafnodes": len(rows),
        "leafs": [_leaf(r, subs) for r in rows],
    }
