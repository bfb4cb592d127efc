"""nats-server's ``cluster { }`` block -> fastnats' ``cluster`` option (the engine's
``ClusterConfig``, ``rust/server/src/route/config.rs``).

Forms, as nats-server reads them (``parseCluster``)::

    cluster {
        name: c1                      # no spaces
        listen: "127.0.0.1:6222"      # also 6222, ":6222"; or host (net) and port
        port: -1                      # a random port
        advertise: "h1:6222"          # also cluster_advertise
        routes: ["nats-route://user:pw@h2:6222", "nats://h3:6222"]
        authorization { user: ru, password: rp, timeout: 2 }
        tls { cert_file: ..., key_file: ..., ca_file: ..., verify: true }
        no_advertise: true
        connect_retries: 10
        connect_backoff: true
        ping_interval: "20s"          # routes ping at least every 30 s (nats-server's cap)
        ping_max: 3
        write_deadline: "10s"
        pool_size: 3                  # read, not used: one route per peer
        compression: off              # also false, disabled, accept, or {mode: off}
    }

The result has canonical keys only, in the engine's units: ``name``, ``host``, ``port`` (``-1``
becomes ``0``, a random port), ``advertise``, ``routes`` (URL strings as written, less
duplicates), ``authorization`` (``{user, password, timeout?}``), ``tls`` (as the top-level
``tls`` block, :mod:`fastnats.conf.tls`), ``no_advertise``, ``connect_retries``,
``connect_backoff``, ``ping_interval`` and ``write_deadline`` (float seconds), ``ping_max``,
``pool_size`` and ``compression`` (the mode as written: ``true`` is ``"on"``, ``false``
``"off"``). Zero durations and ``ping_max: 0`` mean "the server's" and are left out.

A block without a port does not cluster in nats-server (nothing listens and no route is
dialled): :meth:`ClusterParser.result` then says so, and the settings wait for ``--cluster``
to give the port (see :func:`fastnats.settings.merge_cluster_flags`).

Messages are nats-server's where it has one (``cluster name cannot contain spaces``, ``Cluster
authorization does not allow multiple users``, ``error parsing route url ["x"]``, the warning
``Cluster 'ping_interval' will reset to 30s which is the max for routes``). Which compression
modes fastnats runs with is the engine's to say, when the server is built (``-t`` builds it):
like nats-server, whose ``-t`` accepts any mode string and whose start-up refuses unknown
ones, the file is only read here, and the engine's error is the one message for a file,
a flag or ``Server(cluster=...)``. ``permissions``, ``accounts`` (pinned accounts) and
``write_timeout`` are refused by name; any other key is ``unknown field``.
"""

from __future__ import annotations

from ..gocompat import url_parse
from .authorization import parse_authorization
from .listener import MAX_PORT, ListenerBlock, Report
from .nodes import used_as_variable
from .tls import parse_tls
from .units import go_quote, go_type, parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["ClusterParser", "ROUTE_MAX_PING_INTERVAL", "UNSUPPORTED_CLUSTER", "check_route_url"]

ROUTE_MAX_PING_INTERVAL = 30.0
"""nats-server's longest ping interval on a route (seconds): a longer one is cut to it."""

UNSUPPORTED_CLUSTER: dict[str, str] = {
    "permissions": "import and export permissions on routes",
    "accounts": "pinned accounts: routes are not pooled",
    "write_timeout": "route write timeout policies: a route that misses its write deadline "
    "is closed and dialled again",
}
"""Keys of nats-server's ``cluster`` block fastnats does not have -> the missing feature."""

_UINT32_MAX = (1 << 32) - 1


def check_route_url(url: str) -> bool:
    """Whether nats-server's ``parseURL`` (``url.Parse`` of the trimmed text) takes ``url``."""
    try:
        url_parse(url.strip())
    except ValueError:
        return False
    return True


class ClusterParser(ListenerBlock):
    """Reads one ``cluster`` block; :meth:`result` is the option (or None), ``notes`` what a
    running server should log about it."""

    def __init__(self, report: Report, warn: Report) -> None:
        super().__init__(report, warn)
        self.notes: list[str] = []

    # typed getters (None after reporting) ------------------------------------------------
    def integer(self, block: Any, key: str, value: Any, low: int, high: int) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.expected(block, key, "an integer", value)
            return None
        if not low <= value <= high:
            self.error(
                block, key, f"invalid value for {go_quote(key)}: {value} is not in {low}..{high}"
            )
            return None
        return value

    # the block ---------------------------------------------------------------------------
    def block(self, config: Any, key: str) -> None:
        """Reads ``config[key]``, the ``cluster`` block."""
        block = config[key]
        if not isinstance(block, dict):
            self.error(config, key, f"Expected map to define cluster, got {go_type(block)}")
            return
        for name, value in block.items():
            lname = name.lower()
            if lname == "name":
                self.name(block, name, value)
            elif self.listener_key(block, name, value):
                continue
            elif lname == "authorization":
                self.keep("authorization", self.authorization(block, name, value))
            elif lname == "routes":
                self.keep("routes", self.routes(block, name, value))
            elif lname == "tls":
                tls = parse_tls(block, name, self.error)
                self.keep("tls", tls)
            elif lname in ("cluster_advertise", "advertise"):
                self.keep("advertise", self.string(block, name, value))
            elif lname in ("no_advertise", "connect_backoff"):
                self.keep(lname, self.boolean(block, name, value))
            elif lname == "connect_retries":
                self.keep(lname, self.integer(block, name, value, 0, _UINT32_MAX))
            elif lname == "ping_interval":
                self.keep(lname, self.ping_interval(block, name, value))
            elif lname == "write_deadline":
                self.keep(lname, self.duration(block, name, name, value) or None)
            elif lname == "ping_max":
                self.keep(lname, self.integer(block, name, value, 0, _UINT32_MAX) or None)
            elif lname == "pool_size":
                self.pool_size(block, name, value)
            elif lname == "compression":
                self.keep("compression", self.compression(block, name, value))
            elif lname in UNSUPPORTED_CLUSTER:
                self.error(
                    block,
                    name,
                    f'"{name}" in cluster is not supported by fastnats '
                    f"({UNSUPPORTED_CLUSTER[lname]})",
                )
            elif not used_as_variable(block, name):
                self.error(block, name, f"unknown field {go_quote(name)}")

    def keep(self, key: str, value: Any) -> None:
        """``options[key] = value`` unless ``value`` is None (a reported error)."""
        self.put(self.options, key, value)

    def port_value(self, block: Any, key: str, value: Any) -> int | None:
        """A ``port``: an integer in -1..65535 (nats-server's range message)."""
        return self.integer(block, key, value, -1, MAX_PORT)

    def name(self, block: Any, key: str, value: Any) -> None:
        name = self.string(block, key, value)
        if name is None:
            return
        if " " in name:
            self.error(block, key, "cluster name cannot contain spaces")
            return
        self.options["name"] = name

    def authorization(self, block: Any, key: str, value: Any) -> dict[str, Any] | None:
        """One user, as nats-server allows on routes: ``{user, password, timeout?}``."""
        if not isinstance(value, dict):
            self.expected(block, key, "a map", value)
            return None
        problems: list[str] = []

        def noted(container: Any, where: str | int, message: str) -> None:
            problems.append(message)
            self.error(container, where, message)

        auth = parse_authorization(value, noted)
        if problems:
            return None
        if "users" in auth:
            self.error(block, key, "Cluster authorization does not allow multiple users")
            return None
        if "token" in auth:
            self.error(block, key, "Cluster authorization does not support tokens")
            return None
        if "default_permissions" in auth:
            self.error(
                block,
                key,
                '"permissions" in cluster authorization is not supported by fastnats '
                f"({UNSUPPORTED_CLUSTER['permissions']})",
            )
            return None
        out: dict[str, Any] = {"user": auth.get("user", ""), "password": auth.get("password", "")}
        if auth.get("timeout"):
            out["timeout"] = auth["timeout"]
        return out

    def routes(self, block: Any, key: str, value: Any) -> list[str] | None:
        """An array of route URLs (nats-server takes no single string); a duplicate is a
        warning and dropped, as in nats-server."""
        if not isinstance(value, list):
            self.expected(block, key, "an array of route URLs", value)
            return None
        routes: list[str] = []
        bad = False
        for i, url in enumerate(value):
            if not isinstance(url, str):
                self.error(value, i, f"invalid route url: expected a string, got {go_type(url)}")
                bad = True
                continue
            if url in routes:
                self.warn(value, i, f'invalid use of field "{url}": Duplicate route entry detected')
                continue
            if not check_route_url(url):
                self.error(value, i, f"error parsing route url [{go_quote(url.strip())}]")
                bad = True
                continue
            routes.append(url)
        return None if bad else [url.strip() for url in routes]

    def ping_interval(self, block: Any, key: str, value: Any) -> float | None:
        seconds = self.duration(block, key, key, value)
        if not seconds:
            return None
        if seconds > ROUTE_MAX_PING_INTERVAL:
            self.warn(
                block, key, "Cluster 'ping_interval' will reset to 30s which is the max for routes"
            )
            return ROUTE_MAX_PING_INTERVAL
        return seconds

    def pool_size(self, block: Any, key: str, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.expected(block, key, "an integer", value)
            return
        self.options["pool_size"] = value
        if value > 0:
            self.notes.append(
                f"cluster pool_size {value} is not used: fastnats opens one route per peer "
                "(peers see a server without route pooling)"
            )

    def compression(self, block: Any, key: str, value: Any) -> str | None:
        """nats-server's ``parseCompression``: the mode, from a bool, a string or a block;
        which modes run is the engine's check."""
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            self.error(
                block,
                key,
                f"field {go_quote(key)} should be a boolean or a structure, got {go_type(value)}",
            )
            return None
        mode: str | None = None
        for name, v in value.items():
            lname = name.lower()
            if lname == "mode":
                mode = self.string(value, name, v)
            elif lname in ("rtt_thresholds", "thresholds", "rtts", "rtt"):
                self.thresholds(value, name, v)
            elif not used_as_variable(value, name):
                self.error(value, name, f"unknown field {go_quote(name)}")
        return mode or None

    def thresholds(self, block: Any, key: str, value: Any) -> None:
        """Read and checked (durations), then unused: they only tune S2 compression."""
        if not isinstance(value, list):
            self.expected(block, key, "an array of durations", value)
            return
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.error(value, i, f"invalid RTT threshold: expected a string, got {go_type(v)}")
                continue
            try:
                parse_duration(v)
            except ValueError as e:
                self.error(value, i, str(e))

    # the outcome ---------------------------------------------------------------------------
    def result(self) -> tuple[bool, dict[str, Any]] | None:
        """``(listening, options)``: ``listening`` is False when no port was given (clustering
        off, as in nats-server); None when the block can not be used."""
        if not self.ok:
            return None
        options = dict(self.options)
        if not options.get("host"):
            options.pop("host", None)
        if not options.get("name"):
            options.pop("name", None)
        if not self.port:
            return False, options
        options["port"] = 0 if self.port == -1 else self.port
        return True, options
