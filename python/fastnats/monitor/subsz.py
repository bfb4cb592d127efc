"""``/subsz`` (alias ``/subscriptionsz``): subject-index statistics and, with ``subs``, the
subscriptions themselves.

Parameters: ``subs`` (bool), ``offset``, ``limit`` (default 1024), ``test`` (a literal publish
subject: list only the subscriptions a message on it would reach), ``acc`` (one account's
statistics and subscriptions; an unknown account has none).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from . import accounts
from .params import BadRequest, Query, decode_bool, decode_int
from .state import MonitorState

__all__ = ["PARAMS", "is_valid_literal_subject", "matches", "sublist_stats", "subsz"]

PARAMS = frozenset({"subs", "offset", "limit", "test", "acc"})
DEFAULT_LIMIT = 1024
_STATS = (
    "num_subscriptions",
    "num_cache",
    "num_inserts",
    "num_removes",
    "num_matches",
    "cache_hit_rate",
    "max_fanout",
    "avg_fanout",
)


def is_valid_literal_subject(subject: str) -> bool:
    """nats-server's ``IsValidLiteralSubject``: non-empty tokens, none a lone wildcard."""
    return all(token and token not in ("*", ">") for token in subject.split("."))


def matches(literal: str, pattern: str) -> bool:
    """Whether a message on ``literal`` reaches a subscription on ``pattern``."""
    tokens = literal.split(".")
    parts = pattern.split(".")
    for i, part in enumerate(parts):
        if part == ">":
            return len(tokens) > i
        if i >= len(tokens) or (part != "*" and part != tokens[i]):
            return False
    return len(tokens) == len(parts)


def sublist_stats(native: Any, account: str | None = None) -> dict[str, Any]:
    """The subject-index statistics in nats-server's order, of one account or of all."""
    stats = native.sublist_stats(account)
    return {key: stats.get(key, 0) for key in _STATS}


def _detail(sub: dict[str, Any]) -> dict[str, Any]:
    account = accounts.of(sub)
    d: dict[str, Any] = {"account": account, "account_tag": account, "subject": sub["subject"]}
    if sub.get("qgroup"):
        d["qgroup"] = sub["qgroup"]
    d["sid"] = sub["sid"]
    d["msgs"] = sub["msgs"]
    if sub.get("max"):
        d["max"] = sub["max"]
    d["cid"] = sub["cid"]
    return d


def subsz(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/subsz`` document; raises BadRequest as nats-server does.

    ``count`` is called first, where nats-server counts the request in ``http_req_stats``.
    """
    if count is not None:
        count()
    subs = decode_bool(query, "subs")
    offset = max(decode_int(query, "offset"), 0)
    limit = decode_int(query, "limit")
    if limit <= 0:
        limit = DEFAULT_LIMIT
    test = query.get("test", "")
    if test and not is_valid_literal_subject(test):
        raise BadRequest(f"invalid test subject, must be valid publish subject: {test}")
    acc = query.get("acc", "")
    native = monitor.native
    now = rfc3339(time.time_ns())
    sz: dict[str, Any] = {"server_id": native.server_id or "", "now": now}
    sz.update(sublist_stats(native, acc or None))  # an unknown account's: zeros
    sz.update({"total": 0, "offset": offset, "limit": limit})
    if subs:
        found = [
            _detail(s)
            for s in native.subscriptions()
            if (not acc or accounts.of(s) == acc) and (not test or matches(test, s["subject"]))
        ]
        sz["total"] = len(found)
        page = found[min(offset, len(found)) : min(offset + limit, len(found))]
        if page:
            sz["subscriptions_list"] = page
    return sz
