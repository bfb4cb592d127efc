"""``/accountz``: the accounts' names, or with ``acc`` one account's detail.

The detail is nats-server's ``AccountInfo`` for an account of the configuration file: its
exports and imports (from the engine's ``accounts`` option), its client and leaf node
connections and its subject-index statistics. fastnats has no JWTs or mappings, so those
fields are absent; the system account's own services (``$SYS.REQ...``) are not
served, so their exports, imports and internal subscriptions are absent too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..gocompat import rfc3339
from . import accounts, clock, leafz
from .params import BadRequest, Query
from .state import MonitorState
from .subsz import sublist_stats

__all__ = ["PARAMS", "accountz"]

PARAMS = frozenset({"acc"})
# nats-server's names of the response types (``ServiceRespType.String()``).
_RESPONSE_TYPES = {"singleton": "Singleton", "stream": "Streamed", "chunked": "Chunked"}


def _export(export: dict[str, Any]) -> dict[str, Any]:
    service = export.get("service")
    out: dict[str, Any] = {
        "subject": service or export.get("stream"),
        "type": "service" if service else "stream",
    }
    if service:
        out["response_type"] = _RESPONSE_TYPES[export.get("response_type") or "singleton"]
    if export.get("accounts"):
        out["approved_accounts"] = list(export["accounts"])
    return out


def _import(imp: dict[str, Any]) -> dict[str, Any]:
    service = imp.get("service")
    source = service or imp["stream"]
    subject = source["subject"]
    out: dict[str, Any] = {"subject": subject, "account": source["account"]}
    if service:
        out["to"] = out["local_subject"] = imp.get("to") or subject
    elif imp.get("prefix"):
        out["local_subject"] = f"{imp['prefix']}.{subject}"
    else:
        out["local_subject"] = imp.get("to") or subject
    out.update(type="service" if service else "stream", invalid=False, share=False, tracking=False)
    return out


def _jetstream_enabled(native: Any, name: str) -> bool:
    """Whether JetStream serves account ``name``."""
    js = native.jetstream(accounts=True)
    return js is not None and any(d["name"] == name for d in js["account_details"])


def _detail(monitor: MonitorState, config: dict[str, Any], name: str) -> dict[str, Any]:
    native = monitor.native
    account = accounts.configured(config).get(name, {})
    stats = sublist_stats(native, name)
    # The accounts are (re)built when the configuration is (re)loaded.
    updated = monitor.config_load_time_ns or clock.ns_from_seconds(native.stats()["start"])
    info: dict[str, Any] = {"account_name": name, "update_time": rfc3339(updated)}
    if name == accounts.system_account(native):
        info["is_system"] = True
    info.update(
        {
            "expired": False,
            "complete": True,
            "jetstream_enabled": _jetstream_enabled(native, name),
            "leafnode_connections": sum(1 for r in leafz.leafs(native) if r["account"] == name),
            "client_connections": sum(1 for c in native.connections() if accounts.of(c) == name),
            "subscriptions": stats["num_subscriptions"],
        }
    )
    exports = [_export(e) for e in account.get("exports") or []]
    if exports:
        info["exports"] = exports
    imports = [_import(i) for i in account.get("imports") or []]
    if imports:
        info["imports"] = imports
    info["name_tag"] = name
    info["sublist_stats"] = stats
    return info


def accountz(
    monitor: MonitorState, query: Query, count: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The ``/accountz`` document; an unknown ``acc`` raises BadRequest as nats-server."""
    if count is not None:
        count()
    native = monitor.native
    config = native.config()
    doc: dict[str, Any] = {"server_id": native.server_id or "", "now": rfc3339(time.time_ns())}
    system = accounts.system_account(native)
    if system:
        doc["system_account"] = system
    acc = query.get("acc", "")
    names = accounts.names(native)
    if not acc:
        doc["accounts"] = names
    elif acc in names:
        doc["account_detail"] = _detail(monitor, config, acc)
    else:
        raise BadRequest(f"Account {acc} does not exist")
    return doc
