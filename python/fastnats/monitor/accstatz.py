"""``/accstatz``: per-account connection, subscription and message counts.

Parameters: ``unused`` (bool; also list the accounts without connections).

The entries are the engine's (nats-server's ``AccountStat``): the message counts are kept in
the account, so a closed connection's messages stay in its account's figures, as in
nats-server. ``sent`` is what was delivered to the account's subscribers, ``received`` what
its clients published; ``slow_consumers`` its connections closed as slow consumers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from .params import Query, decode_bool
from .state import MonitorState

__all__ = ["PARAMS", "accstatz", "statistics"]

PARAMS = frozenset({"unused"})


def statistics(native: Any, unused: bool) -> list[dict[str, Any]]:
    """The ``account_statz`` entries, sorted by name: the accounts with connections, with
    ``unused`` every account the engine runs (leaf connections count as connections). Also
    :mod:`.metrics`' per-account series."""
    entries: list[dict[str, Any]] = native.account_statz()
    return [e for e in entries if unused or e["total_conns"]]


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
