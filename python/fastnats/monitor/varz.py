"""``/varz``: server identity, configured limits, process usage and traffic counters.

Field names, order and units follow nats-server's ``Varz`` struct: durations from the config
(``ping_interval``, ``write_deadline``) in nanoseconds, ``uptime`` as ``1h2m3s``, times as
RFC 3339 UTC. Fields nats-server omits when empty (``omitempty``) are omitted here on the same
condition. What fastnats does not have (gateways, MQTT) appears as the same empty objects
nats-server shows when those are not configured, and so do JetStream when it is off,
``cluster`` without a cluster, ``leaf`` without leaf nodes and ``websocket`` without a
WebSocket listener.

With a cluster: ``cluster`` is nats-server's ``ClusterOptsVarz`` (``name`` the cluster's
name as it runs, ``addr`` and ``cluster_port`` the route listener, ``auth_timeout``,
``urls`` the configured routes' ``host:port``, ``tls_timeout``, ``tls_required`` and
``tls_verify`` (both set with route TLS, as nats-server does), ``pool_size`` (-1: fastnats
does not pool routes), ``write_deadline``); ``connect_urls`` the client URLs of the cluster
(this server's and its peers'); ``routes`` the route connections and ``remotes`` the distinct
peers they reach.

With leaf nodes: ``leaf`` is nats-server's ``LeafNodeOptsVarz``: with a listener ``host``,
``port`` (the bound one), ``auth_timeout``, ``tls_timeout``, ``tls_required`` and
``tls_verify``; ``remotes`` the configured hubs (``local_account``, ``$G`` when none was
given, ``urls`` as ``host:port`` with nats-server's default port 7422, ``tls_timeout`` with
TLS, ``deny`` with ``imports``/``exports``). ``leafnodes`` counts the leaf connections.

With a WebSocket listener: ``websocket`` is nats-server's ``WebsocketOptsVarz``: ``host``,
``port`` (the bound one), ``advertise``, ``no_auth_user``, ``jwt_cookie``,
``handshake_timeout`` (nanoseconds), ``auth_timeout`` (the block's own ``authorization``
timeout in seconds, left out without one, as nats-server), ``no_tls``, ``same_origin``,
``allowed_origins``, ``compression``.

With TLS on a listener, its section (and the top level for the client port) ends with
``tls_cert_not_after``: when the configured certificate expires, as nats-server 2.11+ shows.
"""

from __future__ import annotations

import time
from typing import Any

from .. import _fastnats
from ..gocompat import rfc3339, url_parse
from . import accounts, clock, jsz, leafz, routez, usage
from .state import MonitorState

__all__ = ["varz"]

# Defaults nats-server reports for options fastnats has no knob for yet.
AUTH_TIMEOUT = 2.0  # seconds; nats-server's DEFAULT_AUTH_TIMEOUT
TLS_TIMEOUT = 2.0  # seconds; nats-server's DEFAULT_TLS_TIMEOUT
LEAF_PORT = 7422  # nats-server's DEFAULT_LEAFNODE_PORT, added to remote URLs without one


def _ns(seconds: float) -> int:
    return round(seconds * 1_000_000_000)


def _by_kind(count: float) -> dict[str, int]:
    return {"clients": int(count), "routes": 0, "gateways": 0, "leafs": 0}


def varz(monitor: MonitorState) -> dict[str, Any]:
    native = monitor.native
    # Process usage outside any lock, as nats-server does.
    mem = usage.resident_memory()
    cpu = monitor.cpu.percent()
    config = native.config()
    stats = native.stats()
    now_ns = time.time_ns()
    start_ns = clock.ns_from_seconds(float(stats.get("start", now_ns / 1e9)))
    ncores = usage.cores()
    workers = int(config.get("worker_threads", 0)) or ncores

    v: dict[str, Any] = {
        "server_id": native.server_id or "",
        "server_name": native.server_name or "",
        "version": _fastnats.COMPATIBLE_NATS_VERSION,
        "proto": 1,
        "go": f"fastnats {_fastnats.__version__} (rust)",
        "fastnats": _fastnats.__version__,
        "host": config["host"],
        "port": native.port,
    }
    cluster = config.get("cluster")
    route_rows = routez.routes(native)
    if cluster is not None:
        urls = list(native.connect_urls())
        if urls:  # omitempty
            v["connect_urls"] = urls
    tls = config.get("tls")
    if tls:  # omitempty in nats-server
        v["tls_required"] = True
        if tls.get("verify"):
            v["tls_verify"] = True
    v["max_connections"] = config["max_connections"]
    if config.get("max_subscriptions"):
        v["max_subscriptions"] = config["max_subscriptions"]
    v.update(
        {
            "ping_interval": _ns(config["ping_interval"]),
            "ping_max": config["ping_max"],
            "http_host": monitor.http_host,
            "http_port": monitor.http_port,
            "http_base_path": "",
            "https_port": 0,
            "auth_timeout": (config.get("authorization") or {}).get("timeout") or AUTH_TIMEOUT,
            "max_control_line": config["max_control_line"],
            "max_payload": config["max_payload"],
            "max_pending": config["max_pending"],
            "cluster": _cluster(native, cluster),
            "gateway": {},
            "leaf": _leaf(native, config.get("leafnodes")),
            "mqtt": {},
            "websocket": _websocket(native, config.get("websocket")),
            "jetstream": _jetstream(monitor),
            "tls_timeout": tls["timeout"] if tls else TLS_TIMEOUT,
            "write_deadline": _ns(config["write_deadline"]),
            "start": rfc3339(start_ns),
            "now": rfc3339(now_ns),
            "uptime": clock.uptime((now_ns - start_ns) / 1e9),
            "mem": mem,
            "cores": ncores,
            "gomaxprocs": workers,
            "cpu": cpu,
            "connections": stats.get("connections", 0),
            "total_connections": stats.get("total_connections", 0),
            "routes": len(route_rows),
            "remotes": len({r["remote_id"] for r in route_rows}),
            "leafnodes": len(leafz.leafs(native)),
            "in_msgs": stats.get("in_msgs", 0),
            "in_bytes": stats.get("in_bytes", 0),
            "in_client_msgs": stats.get("in_msgs", 0),
            "in_client_bytes": stats.get("in_bytes", 0),
            "out_msgs": stats.get("out_msgs", 0),
            "out_bytes": stats.get("out_bytes", 0),
            "out_client_msgs": stats.get("out_msgs", 0),
            "out_client_bytes": stats.get("out_bytes", 0),
            "slow_consumers": stats.get("slow_consumers", 0),
            "stale_connections": stats.get("stale_connections", 0),
            "stalled_clients": stats.get("stalled_clients", 0),
            "subscriptions": stats.get("subscriptions", 0),
            "http_req_stats": monitor.request_counts(),
            "config_load_time": rfc3339(monitor.config_load_time_ns or start_ns),
            "config_digest": monitor.config_digest,
            **_system_account(native),
            "slow_consumer_stats": _by_kind(stats.get("slow_consumers", 0)),
            "stale_connection_stats": _by_kind(stats.get("stale_connections", 0)),
        }
    )
    _cert_not_after(v, tls)
    return v


def _cert_not_after(doc: dict[str, Any], tls: dict[str, Any] | None) -> None:
    """``tls_cert_not_after``: when the listener's certificate expires (omitzero)."""
    expires = _fastnats.cert_not_after(tls["cert_file"]) if tls and tls.get("cert_file") else None
    if expires:
        doc["tls_cert_not_after"] = expires


def _cluster(native: Any, cluster: dict[str, Any] | None) -> dict[str, Any]:
    """nats-server's ``ClusterOptsVarz`` (fields left out when empty, as its omitempty)."""
    if cluster is None:
        return {}
    tls = cluster.get("tls")
    tls_timeout = float((tls or {}).get("timeout") or TLS_TIMEOUT)
    auth_timeout = (cluster.get("authorization") or {}).get("timeout")
    if not auth_timeout:  # nats-server's getDefaultAuthTimeout
        auth_timeout = tls_timeout + 1.0 if tls else AUTH_TIMEOUT
    doc: dict[str, Any] = {
        "name": native.cluster_name(),
        "addr": cluster.get("host") or "",
        "cluster_port": native.cluster_port() or 0,
        "auth_timeout": auth_timeout,
        "urls": [_host_port(u) for u in cluster.get("routes") or []],
        "tls_timeout": tls_timeout,
        "tls_required": bool(tls),
        "tls_verify": bool(tls),
        "pool_size": -1,
    }
    if cluster.get("write_deadline"):
        doc["write_deadline"] = _ns(cluster["write_deadline"])
    _cert_not_after(doc, tls)
    return {k: v for k, v in doc.items() if v}


def _leaf(native: Any, leafnodes: dict[str, Any] | None) -> dict[str, Any]:
    """nats-server's ``LeafNodeOptsVarz`` (fields left out when empty, as its omitempty)."""
    if leafnodes is None:
        return {}
    doc: dict[str, Any] = {}
    if leafnodes.get("port") is not None:  # the listener's settings (nats-server's baseline)
        tls = leafnodes.get("tls")
        tls_timeout = float((tls or {}).get("timeout") or TLS_TIMEOUT)
        auth_timeout = (leafnodes.get("authorization") or {}).get("timeout")
        if not auth_timeout:  # nats-server's getDefaultAuthTimeout
            auth_timeout = tls_timeout + 1.0 if tls else AUTH_TIMEOUT
        doc = {
            "host": leafnodes.get("host") or "",
            "port": native.leaf_port() or 0,
            "auth_timeout": auth_timeout,
            "tls_timeout": tls_timeout,
            "tls_required": bool(tls),
            "tls_verify": bool((tls or {}).get("verify")),
        }
    remotes = [_remote(r) for r in leafnodes.get("remotes") or []]
    doc["remotes"] = remotes
    if leafnodes.get("port") is not None:
        _cert_not_after(doc, leafnodes.get("tls"))
    return {k: v for k, v in doc.items() if v}


def _websocket(native: Any, websocket: dict[str, Any] | None) -> dict[str, Any]:
    """nats-server's ``WebsocketOptsVarz`` (fields left out when empty, as its omitempty):
    ``port`` the bound one, ``handshake_timeout`` in nanoseconds, ``auth_timeout`` the
    block's own (seconds; none: left out)."""
    if websocket is None:
        return {}
    auth = websocket.get("authorization") or {}
    doc: dict[str, Any] = {
        "host": websocket.get("host") or "",
        "port": native.ws_port() or 0,
        "advertise": websocket.get("advertise") or "",
        "no_auth_user": websocket.get("no_auth_user") or "",
        "jwt_cookie": websocket.get("jwt_cookie") or "",
        "handshake_timeout": _ns(websocket.get("handshake_timeout") or 0.0),
        "auth_timeout": auth.get("timeout") or 0,
        "no_tls": bool(websocket.get("no_tls")),
        "same_origin": bool(websocket.get("same_origin")),
        "allowed_origins": list(websocket.get("allowed_origins") or []),
        "compression": bool(websocket.get("compression")),
    }
    _cert_not_after(doc, websocket.get("tls"))
    return {k: v for k, v in doc.items() if v}


def _remote(remote: dict[str, Any]) -> dict[str, Any]:
    """nats-server's ``RemoteLeafOptsVarz``."""
    doc: dict[str, Any] = {"local_account": remote.get("account") or "$G"}
    tls = remote.get("tls")
    if tls is not None:
        doc["tls_timeout"] = float(tls.get("timeout") or TLS_TIMEOUT)
    doc["urls"] = [_host_port(u, LEAF_PORT) for u in remote.get("urls") or []]
    deny = {
        key: remote[field]
        for key, field in (("exports", "deny_exports"), ("imports", "deny_imports"))
        if remote.get(field)
    }
    if deny:
        doc["deny"] = deny
    return doc


def _host_port(url: str, default_port: int | None = None) -> str:
    """nats-server's ``urlsToStrings``: a URL's ``host:port`` (without credentials), the
    default port added where nats-server adds it (leaf remotes)."""
    try:
        host = url_parse(url if "://" in url else f"nats-route://{url}").host
    except ValueError:
        return url
    if default_port is not None and (host.endswith("]") or ":" not in host):
        host = f"{host}:{default_port}"
    return host


def _jetstream(monitor: MonitorState) -> dict[str, Any]:
    """nats-server's ``JetStreamVarz``: ``config`` is JetStream's settings as it runs with
    them (limits resolved at start, the data directory, the sync interval in nanoseconds),
    ``stats`` its usage and API counts (see :func:`.jsz.stats`)."""
    if monitor.jetstream_config is None:
        return {}
    doc: dict[str, Any] = {"config": dict(monitor.jetstream_config)}
    js_stats = jsz.stats(monitor)
    if js_stats is not None:
        doc["stats"] = js_stats
    return doc


def _system_account(native: Any) -> dict[str, str]:
    """``system_account`` as nats-server shows it (absent when there is none)."""
    name = accounts.system_account(native)
    return {"system_account": name} if name else {}
