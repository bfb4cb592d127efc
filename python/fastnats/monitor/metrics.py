"""``/metrics``: the ``/varz``, ``/subsz``, ``/accstatz``, ``/routez`` and ``/leafz`` figures in
Prometheus text format 0.0.4.

Every name starts with ``fastnats_``. Counters (``_total``) only grow while the server runs;
gauges are a value at scrape time. The tables are the single place names and help texts live;
README.md lists them for operators. The per-account series (``fastnats_account_*``, labelled
``account``) are ``/accstatz?unused=1``'s figures: connections and subscriptions are gauges,
the message, byte and slow-consumer counts are the account's counters (closed connections'
traffic included). The per-route series (``fastnats_route_*``, labelled ``remote_id`` and
``remote_name``) are ``/routez``'s figures for each route connection; ``fastnats_routes``
counts them. The per-leaf series (``fastnats_leaf_*``, labelled ``name``, the other server's
name, and ``account``) are ``/leafz``'s figures for each leaf connection; ``fastnats_leafs``
counts them.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _fastnats
from . import accstatz, leafz, routez, usage
from .state import MonitorState

__all__ = ["ACCOUNT_METRICS", "CONTENT_TYPE", "LEAF_METRICS", "METRICS", "ROUTE_METRICS", "metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# (name, type, help, source): source is "stats.<key>", "sublist.<key>" or a name computed below.
METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("fastnats_in_msgs_total", "counter", "Messages received from clients.", "stats.in_msgs"),
    ("fastnats_out_msgs_total", "counter", "Messages delivered to clients.", "stats.out_msgs"),
    (
        "fastnats_in_bytes_total",
        "counter",
        "Payload bytes received from clients.",
        "stats.in_bytes",
    ),
    (
        "fastnats_out_bytes_total",
        "counter",
        "Payload bytes delivered to clients.",
        "stats.out_bytes",
    ),
    ("fastnats_connections", "gauge", "Client connections open now.", "stats.connections"),
    (
        "fastnats_connections_accepted_total",
        "counter",
        "Client connections accepted since the server started (/varz total_connections).",
        "stats.total_connections",
    ),
    ("fastnats_subscriptions", "gauge", "Subscriptions now.", "stats.subscriptions"),
    (
        "fastnats_slow_consumers_total",
        "counter",
        "Clients closed as slow consumers (pending bytes over max_pending or write deadline).",
        "stats.slow_consumers",
    ),
    (
        "fastnats_stale_connections_total",
        "counter",
        "Clients closed for not answering pings (ping_max exceeded).",
        "stats.stale_connections",
    ),
    (
        "fastnats_stalled_clients_total",
        "counter",
        "Times a publisher waited for a slow consumer to drain (/varz stalled_clients).",
        "stats.stalled_clients",
    ),
    (
        "fastnats_start_time_seconds",
        "gauge",
        "When the server started, in Unix seconds.",
        "stats.start",
    ),
    ("fastnats_uptime_seconds", "gauge", "Seconds since the server started.", "stats.uptime"),
    (
        "fastnats_resident_memory_bytes",
        "gauge",
        "Resident memory of the process (/varz mem).",
        "mem",
    ),
    (
        "fastnats_cpu_seconds_total",
        "counter",
        "User and system CPU time of the process, in seconds.",
        "cpu_seconds",
    ),
    (
        "fastnats_cpu_percent",
        "gauge",
        "CPU use of the process over the last second or more, in percent of one core (/varz cpu).",
        "cpu_percent",
    ),
    ("fastnats_cores", "gauge", "CPUs the process may run on.", "cores"),
    (
        "fastnats_sublist_cache_entries",
        "gauge",
        "Entries in the subject-match cache.",
        "sublist.num_cache",
    ),
    (
        "fastnats_sublist_inserts_total",
        "counter",
        "Subscriptions inserted into the subject index.",
        "sublist.num_inserts",
    ),
    (
        "fastnats_sublist_removes_total",
        "counter",
        "Subscriptions removed from the subject index.",
        "sublist.num_removes",
    ),
    (
        "fastnats_sublist_matches_total",
        "counter",
        "Subject lookups in the subject index.",
        "sublist.num_matches",
    ),
    (
        "fastnats_sublist_cache_hit_ratio",
        "gauge",
        "Share of lookups answered from the match cache (0 to 1).",
        "sublist.cache_hit_rate",
    ),
    (
        "fastnats_sublist_max_fanout",
        "gauge",
        "Most subscriptions one cached subject reaches.",
        "sublist.max_fanout",
    ),
    (
        "fastnats_sublist_avg_fanout",
        "gauge",
        "Average subscriptions a cached subject reaches.",
        "sublist.avg_fanout",
    ),
)

# (name, type, help, key of an /accstatz account_statz entry; "a.b" reads entry[a][b]).
ACCOUNT_METRICS: tuple[tuple[str, str, str, str], ...] = (
    (
        "fastnats_account_connections",
        "gauge",
        "Client connections open now, by account (/accstatz conns).",
        "conns",
    ),
    (
        "fastnats_account_subscriptions",
        "gauge",
        "Subscriptions now, by account (/accstatz num_subscriptions).",
        "num_subscriptions",
    ),
    (
        "fastnats_account_in_msgs_total",
        "counter",
        "Messages the account's clients published (/accstatz received.msgs).",
        "received.msgs",
    ),
    (
        "fastnats_account_in_bytes_total",
        "counter",
        "Payload bytes the account's clients published (/accstatz received.bytes).",
        "received.bytes",
    ),
    (
        "fastnats_account_out_msgs_total",
        "counter",
        "Messages delivered to the account's subscribers (/accstatz sent.msgs).",
        "sent.msgs",
    ),
    (
        "fastnats_account_out_bytes_total",
        "counter",
        "Payload bytes delivered to the account's subscribers (/accstatz sent.bytes).",
        "sent.bytes",
    ),
    (
        "fastnats_account_slow_consumers_total",
        "counter",
        "The account's connections closed as slow consumers (/accstatz slow_consumers).",
        "slow_consumers",
    ),
)


# (name, type, help, key of a route snapshot entry; "#subscriptions" is the list's length).
ROUTE_METRICS: tuple[tuple[str, str, str, str], ...] = (
    (
        "fastnats_route_in_msgs_total",
        "counter",
        "Messages received over the route, by peer (/routez in_msgs).",
        "in_msgs",
    ),
    (
        "fastnats_route_in_bytes_total",
        "counter",
        "Payload bytes received over the route, by peer (/routez in_bytes).",
        "in_bytes",
    ),
    (
        "fastnats_route_out_msgs_total",
        "counter",
        "Messages sent over the route, by peer (/routez out_msgs).",
        "out_msgs",
    ),
    (
        "fastnats_route_out_bytes_total",
        "counter",
        "Payload bytes sent over the route, by peer (/routez out_bytes).",
        "out_bytes",
    ),
    (
        "fastnats_route_pending_bytes",
        "gauge",
        "Bytes queued for the route now, by peer (/routez pending_size).",
        "pending_size",
    ),
    (
        "fastnats_route_subscriptions",
        "gauge",
        "Interest the peer registered over the route, by peer (/routez subscriptions).",
        "#subscriptions",
    ),
    (
        "fastnats_route_rtt_seconds",
        "gauge",
        "Round-trip time last measured on the route, by peer (/routez rtt).",
        "rtt",
    ),
)


# (name, type, help, key of a leaf snapshot entry; "#subscriptions" is the list's length).
LEAF_METRICS: tuple[tuple[str, str, str, str], ...] = (
    (
        "fastnats_leaf_in_msgs_total",
        "counter",
        "Messages received over the leaf connection, by server and account (/leafz in_msgs).",
        "in_msgs",
    ),
    (
        "fastnats_leaf_in_bytes_total",
        "counter",
        "Payload bytes received over the leaf connection, by server and account (/leafz in_bytes).",
        "in_bytes",
    ),
    (
        "fastnats_leaf_out_msgs_total",
        "counter",
        "Messages sent over the leaf connection, by server and account (/leafz out_msgs).",
        "out_msgs",
    ),
    (
        "fastnats_leaf_out_bytes_total",
        "counter",
        "Payload bytes sent over the leaf connection, by server and account (/leafz out_bytes).",
        "out_bytes",
    ),
    (
        "fastnats_leaf_subscriptions",
        "gauge",
        "Interest the other side registered over the leaf connection, by server and account "
        "(/leafz subscriptions).",
        "#subscriptions",
    ),
    (
        "fastnats_leaf_rtt_seconds",
        "gauge",
        "Round-trip time last measured on the leaf connection, by server and account (/leafz rtt).",
        "rtt",
    ),
)


def _field(entry: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        entry = entry[part]
    return entry


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _family(lines: list[str], name: str, kind: str, help_text: str) -> None:
    # Format 0.0.4 names the family as its samples are named (counters with `_total`), as
    # prometheus_client's own exposition does.
    lines.append(f"# HELP {name} {_help(help_text)}")
    lines.append(f"# TYPE {name} {kind}")


def metrics(monitor: MonitorState) -> str:
    """The exposition text for one scrape."""
    native = monitor.native
    stats = native.stats()
    sublist = native.sublist_stats()
    computed: dict[str, float] = {
        "mem": usage.resident_memory(),
        "cpu_seconds": usage.cpu_seconds(),
        "cpu_percent": monitor.cpu.percent(),
        "cores": usage.cores(),
    }
    lines: list[str] = []
    server_id = native.server_id or ""
    _family(
        lines,
        "fastnats_info",
        "gauge",
        "Server identity: always 1, the labels carry server_id, server_name and versions.",
    )
    lines.append(
        "fastnats_info{"
        f'server_id="{_label(server_id)}",'
        f'server_name="{_label(native.server_name or "")}",'
        f'version="{_label(_fastnats.__version__)}",'
        f'nats_version="{_label(_fastnats.COMPATIBLE_NATS_VERSION)}"'
        "} 1"
    )
    for name, kind, help_text, source in METRICS:
        if source.startswith("stats."):
            value = stats.get(source[6:], 0)
        elif source.startswith("sublist."):
            value = sublist.get(source[8:], 0)
        else:
            value = computed[source]
        _family(lines, name, kind, help_text)
        lines.append(f"{name} {_number(value)}")
    per_account = accstatz.statistics(native, unused=True)
    for name, kind, help_text, key in ACCOUNT_METRICS:
        _family(lines, name, kind, help_text)
        for entry in per_account:
            value = _field(entry, key)
            lines.append(f'{name}{{account="{_label(entry["acc"])}"}} {_number(value)}')
    route_rows = sorted(routez.routes(native), key=lambda r: r["rid"])
    _family(lines, "fastnats_routes", "gauge", "Route connections open now (/routez num_routes).")
    lines.append(f"fastnats_routes {len(route_rows)}")
    for name, kind, help_text, key in ROUTE_METRICS:
        _family(lines, name, kind, help_text)
        for row in route_rows:
            if key == "#subscriptions":
                value = len(row.get("subscriptions") or [])
            else:
                value = row.get(key) or 0
            peer = (
                f'remote_id="{_label(row["remote_id"])}",'
                f'remote_name="{_label(row.get("remote_name") or "")}"'
            )
            lines.append(f"{name}{{{peer}}} {_number(value)}")
    leaf_rows = leafz.leafs(native)
    _family(lines, "fastnats_leafs", "gauge", "Leaf node connections open now (/leafz leafnodes).")
    lines.append(f"fastnats_leafs {len(leaf_rows)}")
    for name, kind, help_text, key in LEAF_METRICS:
        _family(lines, name, kind, help_text)
        for row in leaf_rows:
            if key == "#subscriptions":
                value = len(row.get("subscriptions") or [])
            else:
                value = row.get(key) or 0
            leaf = f'name="{_label(row.get("name") or "")}",account="{_label(row["account"])}"'
            lines.append(f"{name}{{{leaf}}} {_number(value)}")
    _family(
        lines,
        "fastnats_http_requests_total",
        "counter",
        "Requests answered by the monitoring endpoints, by path (/varz http_req_stats).",
    )
    for path, n in monitor.request_counts().items():
        lines.append(f'fastnats_http_requests_total{{path="{_label(path)}"}} {n}')
    return "\n".join(lines) + "\n"
