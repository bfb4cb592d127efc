"""``/accstatz``: per-account connection, subscription and message counts.

Parameters: ``unused`` (bool; also list the accounts without connections).

The counts are summed over the account's open connections when the request comes: a closed
connection's messages leave the account's figures (nats-server keeps them in the account).
``sent`` is what the account's clients were delivered, ``received`` what they published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from . import accounts
from .params import Query, decode_bool
from .state import MonitorState

__all__ = ["PARAMS", "accstatz", "statistics"]

PARAMS = frozenset({"unused"})


def _data(msgs: int, nbytes: int) -> dict[str, Any]:
    """nats-server's ``DataStats``: the clients' figures; none via gateways, routes, leafs."""
    data: dict[str, Any] = {"msgs": msgs, "bytes": nbytes}
    for via in ("gateways", "routes", "leafs"):
        data[via] = {"msgs": 0, "bytes": 0}
    return data


def _stat(native: Any, name: str, conns: list[dict[str, Any]]) -> dict[str, Any]:
    subs = native.sublist_stats(name).get("num_subscriptions", 0)
    return {
        "acc": name,
        "name": name,
        "conns": len(conns),
        "leafnodes": 0,
        "total_conns": len(conns),
        "num_subscriptions": subs,
        "sent": _data(sum(c["out_msgs"] for c in conns), sum(c["out_bytes"] for c in conns)),
        "received": _data(sum(c["in_msgs"] for c in conns), sum(c["in_bytes"] for c in conns)),
        "slow_consumers": 0,
    }


def statistics(native: Any, unused: bool) -> list[dict[str, Any]]:
    """The ``account_statz`` entries: the accounts with open connections, with ``unused``
    every account (those of the configuration and those with connections), sorted by name.
    Also :mod:`.metrics`' per-account series."""
    by_account: dict[str, list[dict[str, Any]]] = {}
    for conn in native.connections():
        by_account.setdefault(accounts.of(conn), []).append(conn)
    names = set(by_account)
    if unused:
        names.update(accounts.names(native))
    return [_stat(native, n, by_account.get(n, [])) for n in sorted(names)]


def accstatz(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/accstatz`` document; raises BadRequest for a bad ``unused``."""
    if count is not None:
        count()
    unused = decode_bool(query, "unused")
    native = monitor.native
    return {
        "server_id": native.server_id or "",
        "now": rfc3339(time.time_ns()),
        "account_statz": statistics(native, unused),
    }
