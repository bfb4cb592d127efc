"""A parsed nats-server config -> fastnats options.

:func:`load_config` reads a file, :func:`config_from_dict` maps an already parsed one. The
result is a :class:`ServerConfig`:

``server``
    keyword arguments for :class:`fastnats.Server` -- only the keys the file sets, with
    nats-server's meaning: ``port: -1`` is a random port (``0``); ``port: 0``, ``host: ""`` and
    a zero ``max_payload``/``max_control_line``/``max_pending``/``ping_interval``/``ping_max``/
    ``write_deadline`` mean "the default" and are left out. ``max_connections`` of 0 (or less)
    means **reject every client**, as in nats-server, and is returned as ``0``: the engine must
    treat 0 that way (its default is 65536). ``ping_interval``/``write_deadline`` are float
    seconds. ``authorization`` is the ``authorization { }`` block (token, user/password,
    ``users`` with passwords or nkeys and permissions, ``timeout``, ``default_permissions``)
    with the top-level ``no_auth_user`` folded in, in the form
    the engine's ``authorization`` option takes (see
    :mod:`fastnats.conf.authorization`). ``tls`` is the ``tls { }`` block (``cert_file``,
    ``key_file``, ``ca_file``, ``verify``, ``timeout`` in float seconds, ``handshake_first``;
    see :mod:`fastnats.conf.tls`). ``accounts`` is the ``accounts { }`` block (name ->
    ``users``, ``default_permissions``, ``exports``, ``imports``; see
    :mod:`fastnats.conf.accounts`), ``system_account`` (also ``system``) a name and
    ``no_system_account`` (also ``no_system``, ``no_sys_acc``) a bool. Operator mode:
    ``operator`` (also ``operators``, ``root``, ...; a list of JWT files or JWTs),
    ``trusted_keys`` (from ``trusted``), ``resolver`` (``{"type": "memory"}`` or ``{"type":
    "full" | "cache", "dir": ..., ...}`` with durations in seconds) and
    ``resolver_preload`` (account public key -> JWT). ``jetstream`` (when the file enables
    JetStream) is its settings with canonical keys: ``store_dir``, ``max_memory_store``,
    ``max_file_store``, ``domain``, ``sync_interval`` (see :mod:`fastnats.conf.jetstream`).
    ``cluster`` (when the ``cluster`` block has a port) is the engine's ``cluster`` option
    (see :mod:`fastnats.conf.cluster`); ``leafnodes`` (from ``leafnodes`` or ``leaf``, when
    the block has a port or a remote) the engine's ``leafnodes`` option (see
    :mod:`fastnats.conf.leafnodes`); ``websocket`` (from ``websocket`` or ``ws``, when the
    block has a port) the engine's ``websocket`` option (see :mod:`fastnats.conf.websocket`).
``logging``
    ``debug``, ``trace`` (also set by ``trace_verbose``), ``trace_verbose``, ``trace_headers``,
    ``logtime``, ``logtime_utc``, ``logfile`` (from ``logfile``/``log_file``),
    ``logfile_size_limit``, ``logfile_max_num``, ``syslog``, ``remote_syslog``,
    ``max_traced_msg_len``.
``misc``
    other settings the command line acts on: ``pid_file``, ``ports_file_dir``, ``http_host``,
    ``http_port``, ``https_port``, ``http_base_path`` (monitoring), ``client_advertise``,
    ``lame_duck_duration``/``lame_duck_grace_period`` (float seconds), ``server_tags``,
    ``server_metadata``, ``write_timeout``, ``max_closed_clients``,
    ``connect_error_reports``, ``reconnect_error_reports``, ``no_fast_producer_stall``,
    ``prof_port``, ``prof_block_rate``, ``feature_flags``; ``cluster``: the settings of a
    ``cluster`` block without a port (no clustering, as in nats-server), which ``--cluster``
    switches on; and the fastnats-only keys (which
    nats-server would reject) ``auth_hook`` (a ``"module:attr"`` string naming a Python auth
    hook) and ``plugins`` (a list of ``fastnats.plugins`` entry-point names). ``jetstream``:
    the JetStream settings of a file that does not enable JetStream (a top-level
    ``store_dir``, ``jetstream { enabled: false, ... }``), which ``-js`` switches on.
``warnings``
    nats-server's warnings (an integer where a duration string belongs). ``nats-server -t``
    fails on these, so a config check should too; a running server logs them.
``notes``
    informational lines worth logging at startup (settings accepted but without effect).

Keys are case-insensitive, as in nats-server. A key nats-server knows for a subsystem fastnats
does not have is an error naming it (``"gateway" is not supported by fastnats
(gateways)``); any other unknown key is ``unknown field "x"`` unless it is only there to be
referenced as a ``$variable``. All problems are collected; the :class:`ConfigError` raised
carries them all in ``errors``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from .._record import Record
from ..gocompat import NumError, atoi
from .accounts import parse_accounts, users_conflict
from .authorization import conflicts, parse_authorization
from .cluster import ClusterParser
from .errors import ConfigError, Position
from .jetstream import JetStreamParser
from .leafnodes import LeafNodesParser
from .nodes import ConfigDict, position_of, used_as_variable
from .parser import load
from .tls import parse_tls
from .units import format_duration, go_quote, parse_duration
from .websocket import WebsocketParser

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["ServerConfig", "config_from_dict", "load_config", "UNSUPPORTED"]


class ServerConfig(Record):
    """fastnats settings read from a config file (see the module docstring)."""

    _FIELDS = ("server", "logging", "misc", "warnings", "notes", "source")

    def __init__(
        self,
        server: dict[str, Any] | None = None,
        logging: dict[str, Any] | None = None,
        misc: dict[str, Any] | None = None,
        warnings: list[str] | None = None,
        notes: list[str] | None = None,
        source: str | None = None,
    ) -> None:
        self.server: dict[str, Any] = {} if server is None else server
        self.logging: dict[str, Any] = {} if logging is None else logging
        self.misc: dict[str, Any] = {} if misc is None else misc
        self.warnings: list[str] = [] if warnings is None else warnings
        self.notes: list[str] = [] if notes is None else notes
        self.source = source


def load_config(
    path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None
) -> ServerConfig:
    """Parses the config file at ``path`` and maps it (see :func:`config_from_dict`)."""
    name = os.fspath(path)
    parsed = load(name, env=env)
    if not parsed:
        raise ConfigError("config has no values or is empty", file=name)
    return config_from_dict(parsed, source=name)


UNSUPPORTED: dict[str, str] = {
    "gateway": "gateways",
    "mqtt": "MQTT",
    "default_js_domain": "JetStream domains for accounts",
    "mappings": "subject mappings",
    "maps": "subject mappings",
    "ocsp": "OCSP stapling",
    "ocsp_cache": "OCSP stapling",
    "resolver_tls": "the URL account resolver",
    "resolver_pinned_accounts": "pinned accounts (operator mode)",
    "default_sentinel": "auth callout",
    "proxies": "trusted proxies",
    "proxy_protocol": "PROXY protocol",
    "max_sub_tokens": "subject token limit",
    "max_subscription_tokens": "subject token limit",
}
"""Keys nats-server knows that fastnats can not honour -> the missing feature."""

# Values that switch an unsupported feature off are harmless.
_OFF_STRINGS: dict[str, tuple[str, ...]] = {
    "proxy_protocol": (),
}


def _switched_off(name: str, value: Any) -> bool:
    if name not in _OFF_STRINGS:
        return False
    if isinstance(value, bool):
        return not value
    return isinstance(value, str) and value.lower() in _OFF_STRINGS[name]


_MAX_INT32 = (1 << 31) - 1


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, str):
        return f"string {go_quote(value)}"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _split_host_port(text: str) -> tuple[str, str] | None:
    """Go's ``net.SplitHostPort``: ``host:port``, ``[v6]:port``, ``:port``."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1 : end + 2] != ":":
            return None
        host, port = text[1:end], text[end + 2 :]
        if "[" in host or "]" in port:
            return None
        return host, port
    colon = text.rfind(":")
    if colon < 0:
        return None
    host, port = text[:colon], text[colon + 1 :]
    if ":" in host or "[" in text or "]" in text:
        return None
    return host, port


class _Mapper:
    def __init__(self, config: Mapping[str, Any], source: str | None) -> None:
        self.config = config
        self.source = source
        self.out = ServerConfig(source=source)
        self.errors: list[ConfigError] = []
        self.jetstream = JetStreamParser(self.report_at, self.warn_at)

    # reporting -----------------------------------------------------------------------
    def position(self, key: str) -> Position | None:
        return position_of(self.config, key)

    def error(self, key: str, message: str) -> None:
        self.errors.append(ConfigError(message, self.position(key), file=self.source))

    def where(self, key: str) -> str:
        pos = self.position(key)
        if pos is not None:
            return f"{pos}: "
        return f"{self.source}: " if self.source else ""

    def expected(self, key: str, what: str, value: Any) -> None:
        self.error(key, f'invalid value for "{key}": expected {what}, got {_describe(value)}')

    # typed getters (None after reporting an error) -----------------------------------
    def integer(self, key: str, value: Any) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.expected(key, "an integer", value)
        return None

    def string(self, key: str, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        self.expected(key, "a string", value)
        return None

    def boolean(self, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.expected(key, "a boolean (true/false)", value)
        return None

    def non_negative(self, key: str, value: Any) -> int | None:
        n = self.integer(key, value)
        if n is not None and n < 0:
            self.error(key, f'invalid value for "{key}": {n} is negative')
            return None
        return n

    def duration(self, key: str, value: Any) -> float | None:
        """A Go duration string, or (deprecated, with a warning) an integer of seconds."""
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.error(key, f"error parsing {key}: {e}")
                return None
        elif isinstance(value, int) and not isinstance(value, bool):
            self.out.warnings.append(
                f'{self.where(key)}invalid use of field "{key}": {key} should be converted to '
                f'a duration (read as {value} seconds; write "{value}s")'
            )
            seconds = float(value)
        else:
            self.expected(key, 'a duration like "2m" or "10s"', value)
            return None
        if seconds < 0:
            self.error(key, f'invalid value for "{key}": negative duration {go_quote(str(value))}')
            return None
        return seconds

    def strict_duration(self, key: str, value: Any) -> float | None:
        """``lame_duck_*``: nats-server takes only strings there."""
        if not isinstance(value, str):
            self.expected(key, 'a duration string like "2m" or "30s"', value)
            return None
        try:
            return parse_duration(value)
        except ValueError as e:
            self.error(key, f"error parsing {key}: {e}")
            return None

    def listen(self, key: str, value: Any) -> tuple[str | None, int] | None:
        """``port`` or ``"host:port"`` (host None when only a port is given)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return None, value
        if not isinstance(value, str):
            self.error(key, f"expected port or host:port, got {_describe(value)}")
            return None
        parts = _split_host_port(value)
        if parts is None:
            self.error(key, f"could not parse address string {go_quote(value)}")
            return None
        try:
            port = atoi(parts[1])
        except NumError:
            self.error(key, f"could not parse port {go_quote(parts[1])}")
            return None
        return parts[0], port

    # the keys --------------------------------------------------------------------------
    def run(self) -> ServerConfig:
        server = self.out.server
        for key, value in self.config.items():
            name = key.lower()
            handler = _HANDLERS.get(name)
            if handler is not None:
                handler(self, key, value)
            elif name in UNSUPPORTED:
                if _switched_off(name, value):
                    continue
                self.error(key, f'"{key}" is not supported by fastnats ({UNSUPPORTED[name]})')
            elif not used_as_variable(self.config, key):
                self.error(key, f"unknown field {go_quote(key)}")
        # nats-server's "use the default" values.
        if server.get("host") == "":
            del server["host"]
        if server.get("port") == 0:
            del server["port"]
        elif server.get("port") == -1:
            server["port"] = 0
        if "port" in server and not 0 <= server["port"] <= 65535:
            self.error(self.port_key, f"invalid port {server['port']}: must be 0..65535, or -1")
        self.finish_authorization()
        self.finish_jetstream()
        if self.errors:
            first = self.errors[0]
            raise ConfigError(first.message, first.position, file=first.file, errors=self.errors)
        return self.out

    port_key = "port"

    def set_server(self, key: str, name: str, value: Any, zero_is_default: bool = False) -> None:
        if value is None:
            return
        if zero_is_default and value == 0:
            self.out.server.pop(name, None)
        else:
            self.out.server[name] = value

    def k_listen(self, key: str, value: Any) -> None:
        hp = self.listen(key, value)
        if hp is None:
            return
        host, port = hp
        if host is not None:
            self.out.server["host"] = host
        self.out.server["port"] = port
        self.port_key = key

    def k_host(self, key: str, value: Any) -> None:
        self.set_server(key, "host", self.string(key, value))

    def k_port(self, key: str, value: Any) -> None:
        port = self.integer(key, value)
        if port is not None:
            self.out.server["port"] = port
            self.port_key = key

    def k_server_name(self, key: str, value: Any) -> None:
        name = self.string(key, value)
        if name is None:
            return
        if " " in name:
            self.error(key, "server name cannot contain spaces")
            return
        if name:
            self.out.server["server_name"] = name
        else:
            self.out.server.pop("server_name", None)

    def k_max_int32(self, key: str, value: Any) -> None:
        n = self.non_negative(key, value)
        if n is not None and n > _MAX_INT32:
            self.error(key, f"{key} value is too big")
            return
        self.set_server(key, _CANONICAL[key.lower()], n, zero_is_default=True)

    def k_max_pending(self, key: str, value: Any) -> None:
        self.set_server(key, "max_pending", self.non_negative(key, value), zero_is_default=True)

    def k_max_connections(self, key: str, value: Any) -> None:
        n = self.integer(key, value)
        if n is None:
            return
        if n <= 0:
            n = 0
            self.out.notes.append(
                f"{self.where(key)}{key} is {value}: every client connection will be rejected"
            )
        self.out.server["max_connections"] = n

    def k_max_subscriptions(self, key: str, value: Any) -> None:
        self.set_server(key, "max_subscriptions", self.non_negative(key, value))

    def k_ping_max(self, key: str, value: Any) -> None:
        self.set_server(key, "ping_max", self.non_negative(key, value), zero_is_default=True)

    def k_server_duration(self, key: str, value: Any) -> None:
        seconds = self.duration(key, value)
        self.set_server(key, _CANONICAL[key.lower()], seconds, zero_is_default=True)

    def k_server_bool(self, key: str, value: Any) -> None:
        self.set_server(key, _CANONICAL[key.lower()], self.boolean(key, value))

    # logging
    def k_log_bool(self, key: str, value: Any) -> None:
        flag = self.boolean(key, value)
        if flag is None:
            return
        name = _CANONICAL[key.lower()]
        self.out.logging[name] = flag
        if name == "trace_verbose":
            self.out.logging["trace"] = flag

    def k_log_str(self, key: str, value: Any) -> None:
        text = self.string(key, value)
        if text is not None:
            self.out.logging[_CANONICAL[key.lower()]] = text

    def k_log_int(self, key: str, value: Any) -> None:
        n = self.integer(key, value)
        if n is not None:
            self.out.logging[_CANONICAL[key.lower()]] = n

    # misc
    def k_misc_str(self, key: str, value: Any) -> None:
        text = self.string(key, value)
        if text is not None:
            self.out.misc[_CANONICAL[key.lower()]] = text

    def k_misc_int(self, key: str, value: Any) -> None:
        n = self.integer(key, value)
        if n is not None:
            self.out.misc[_CANONICAL[key.lower()]] = n

    def k_misc_bool(self, key: str, value: Any) -> None:
        flag = self.boolean(key, value)
        if flag is not None:
            self.out.misc[_CANONICAL[key.lower()]] = flag

    def k_http(self, key: str, value: Any) -> None:
        hp = self.listen(key, value)
        if hp is None:
            return
        host, port = hp
        if host:
            self.out.misc["http_host"] = host
        else:
            self.out.misc.pop("http_host", None)
        self.out.misc["https_port" if key.lower() == "https" else "http_port"] = port

    def k_lame_duck_duration(self, key: str, value: Any) -> None:
        seconds = self.strict_duration(key, value)
        if seconds is None:
            return
        if seconds < 30:
            self.error(
                key,
                f"invalid lame_duck_duration of {format_duration(seconds)}, minimum is 30 seconds",
            )
            return
        self.out.misc["lame_duck_duration"] = seconds

    def k_lame_duck_grace_period(self, key: str, value: Any) -> None:
        seconds = self.strict_duration(key, value)
        if seconds is None:
            return
        if seconds < 0:
            self.error(key, "invalid lame_duck_grace_period, needs to be positive")
            return
        self.out.misc["lame_duck_grace_period"] = seconds

    def k_write_timeout(self, key: str, value: Any) -> None:
        policy = self.string(key, value)
        if policy is None:
            return
        policy = policy.lower()
        if policy not in ("default", "close", "retry"):
            self.error(key, "write_timeout must be 'default', 'close' or 'retry'")
        elif policy == "retry":
            self.error(
                key, f'"{key}: retry" is not supported by fastnats (slow clients are closed)'
            )
        else:
            self.out.misc["write_timeout"] = policy

    def k_server_tags(self, key: str, value: Any) -> None:
        if isinstance(value, str):
            self.out.misc["server_tags"] = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            self.out.misc["server_tags"] = list(value)
        else:
            self.expected(key, "a string or an array of strings", value)

    def k_server_metadata(self, key: str, value: Any) -> None:
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            self.out.misc["server_metadata"] = dict(value)
        else:
            self.expected(key, "a map of strings", value)

    # JetStream (fastnats.conf.jetstream)
    def k_jetstream(self, key: str, value: Any) -> None:
        self.jetstream.jetstream(self.config, key)

    def k_store_dir(self, key: str, value: Any) -> None:
        self.jetstream.store_dir(self.config, key)

    def finish_jetstream(self) -> None:
        settings = self.jetstream.result()
        if settings is None:
            return
        enabled, options = settings
        if enabled:
            self.out.server["jetstream"] = options
        elif options:
            self.out.misc["jetstream"] = options

    def warn_at(self, container: Any, key: str | int, message: str) -> None:
        pos = position_of(container, key)
        where = f"{pos}: " if pos is not None else (f"{self.source}: " if self.source else "")
        self.out.warnings.append(f"{where}{message}")

    # authorization
    auth_key: str | None = None
    no_auth_user: tuple[str, str] | None = None

    def report_at(self, container: Any, key: str | int, message: str) -> None:
        self.errors.append(ConfigError(message, position_of(container, key), file=self.source))

    def k_authorization(self, key: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.expected(key, "a map", value)
            return
        self.auth_key = key
        self.out.server["authorization"] = parse_authorization(value, self.report_at)

    # accounts
    accounts_key: str | None = None

    def k_accounts(self, key: str, value: Any) -> None:
        accounts = parse_accounts(self.config, key, self.report_at)
        if accounts is not None:
            self.accounts_key = key
            self.out.server["accounts"] = accounts

    def k_system_account(self, key: str, value: Any) -> None:
        if isinstance(value, str):
            self.out.server["system_account"] = value
        else:
            self.error(key, "system account name must be a string")

    # operator mode
    def strings(self, key: str, value: Any, what: str) -> list[str] | None:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        self.error(key, f"error parsing {what}: unsupported type {_describe(value)}")
        return None

    def k_operator(self, key: str, value: Any) -> None:
        files = self.strings(key, value, "operators")
        if files is not None:
            self.out.server["operator"] = files

    def k_trusted(self, key: str, value: Any) -> None:
        keys = self.strings(key, value, "trusted")
        if keys is not None:
            self.out.server["trusted_keys"] = keys

    def k_resolver(self, key: str, value: Any) -> None:
        bad = (
            'error parsing account resolver, should be MEM or  URL("url") or a map '
            "containing dir and type state=[FULL|CACHE])"
        )
        if isinstance(value, str):
            import re

            if re.search(r"(?i)(MEM|MEMORY)\s*", value):
                self.out.server["resolver"] = {"type": "memory"}
            elif re.search(r"(?i)URL", value):
                self.error(key, f'"{key}" is not supported by fastnats (the URL account resolver)')
            else:
                self.error(key, bad)
            return
        if not isinstance(value, dict):
            self.error(key, f"error parsing operator resolver, wrong type {_describe(value)}")
            return
        out: dict[str, Any] = {}
        kind = value.get("type", "")
        kind = kind.upper() if isinstance(kind, str) else ""
        if kind not in ("FULL", "CACHE", "MEM", "MEMORY"):
            self.error(key, bad)
            return
        out["type"] = {"MEM": "memory"}.get(kind, kind.lower())
        for name, v in value.items():
            lname = name.lower()
            if lname == "type":
                continue
            if lname == "dir" and isinstance(v, str):
                out["dir"] = v
            elif lname in ("allow_delete", "hard_delete") and isinstance(v, bool):
                out[lname] = v
            elif lname == "limit" and isinstance(v, int) and not isinstance(v, bool):
                out["limit"] = v
            elif lname in ("ttl", "interval", "timeout") and isinstance(v, str):
                try:
                    out[lname] = parse_duration(v)
                except ValueError as e:
                    self.report_at(value, name, str(e))
                    return
            elif lname in (
                "dir",
                "allow_delete",
                "hard_delete",
                "limit",
                "ttl",
                "interval",
                "timeout",
            ):
                self.report_at(value, name, f'invalid value for "{name}": {_describe(v)}')
                return
            # nats-server ignores other keys of the resolver map.
        if out["type"] == "memory":
            out = {"type": "memory"}
        self.out.server["resolver"] = out

    def k_resolver_preload(self, key: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.error(key, "preload should be a map of account_public_key:account_jwt")
            return
        preload: dict[str, str] = {}
        for name, v in value.items():
            if not isinstance(v, str):
                self.report_at(value, name, "preload map value should be a string JWT")
                continue
            preload[name] = v
        self.out.server["resolver_preload"] = preload

    # cluster (fastnats.conf.cluster)
    def k_cluster(self, key: str, value: Any) -> None:
        parser = ClusterParser(self.report_at, self.warn_at)
        parser.block(self.config, key)
        outcome = parser.result()
        self.out.server.pop("cluster", None)  # a later block replaces an earlier one
        self.out.misc.pop("cluster", None)
        if outcome is None:
            return
        listening, options = outcome
        self.out.notes.extend(f"{self.where(key)}{note}" for note in parser.notes)
        if listening:
            self.out.server["cluster"] = options
        else:
            self.out.misc["cluster"] = options
            self.out.notes.append(
                f"{self.where(key)}the cluster block has no port: no clustering "
                "(as in nats-server; --cluster gives one)"
            )

    # leaf nodes (fastnats.conf.leafnodes)
    def k_leafnodes(self, key: str, value: Any) -> None:
        parser = LeafNodesParser(self.report_at, self.warn_at)
        parser.block(self.config, key)
        self.out.server.pop("leafnodes", None)  # a later block replaces an earlier one
        options = parser.result()
        if not parser.ok:
            return
        self.out.notes.extend(f"{self.where(key)}{note}" for note in parser.notes)
        if options is not None:
            self.out.server["leafnodes"] = options
        else:
            self.out.notes.append(
                f"{self.where(key)}the leafnodes block has no port and no remote to dial: no leaf "
                "nodes (as in nats-server)"
            )

    # WebSocket (fastnats.conf.websocket)
    def k_websocket(self, key: str, value: Any) -> None:
        parser = WebsocketParser(self.report_at, self.warn_at)
        parser.block(self.config, key)
        self.out.server.pop("websocket", None)  # a later block replaces an earlier one
        options = parser.result()
        if not parser.ok:
            return
        if options is not None:
            self.out.server["websocket"] = options
        else:
            self.out.notes.append(
                f"{self.where(key)}the websocket block has no port: no WebSocket listener "
                "(as in nats-server)"
            )

    # tls
    def k_tls(self, key: str, value: Any) -> None:
        tls = parse_tls(self.config, key, self.report_at, map_users=True)
        if tls is not None:
            self.out.server["tls"] = tls

    def k_no_auth_user(self, key: str, value: Any) -> None:
        name = self.string(key, value)
        if name is not None:
            self.no_auth_user = (key, name)

    def finish_authorization(self) -> None:
        """``no_auth_user`` joins the ``authorization`` option; nats-server's conflicts."""
        auth = self.out.server.get("authorization")
        if auth is not None and self.auth_key is not None:
            problem = conflicts(auth)
            if problem is not None:
                self.error(self.auth_key, problem)
        accounts = self.out.server.get("accounts")
        if auth is not None and accounts is not None and self.accounts_key is not None:
            problem = users_conflict(auth, accounts)
            if problem is not None:
                self.error(self.accounts_key, problem)
        if self.no_auth_user is not None and self.no_auth_user[1]:
            auth = self.out.server.setdefault("authorization", {})
            auth["no_auth_user"] = self.no_auth_user[1]

    # fastnats-only keys: Python hooks
    def k_auth_hook(self, key: str, value: Any) -> None:
        spec = self.string(key, value)
        if spec is None:
            return
        module, _, attr = spec.partition(":")
        if not module or not attr:
            self.error(key, f'invalid value for "{key}": {go_quote(spec)} is not module:attribute')
            return
        self.out.misc["auth_hook"] = spec

    def k_plugins(self, key: str, value: Any) -> None:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            self.expected(key, "a plugin name or an array of plugin names", value)
            return
        self.out.misc["plugins"] = list(names)

    def k_ignored(self, key: str, value: Any) -> None:
        self.out.misc[_CANONICAL[key.lower()]] = value
        self.out.notes.append(f"{self.where(key)}{key} is ignored by fastnats")


if TYPE_CHECKING:
    _Handler = Callable[[_Mapper, str, Any], None]

# config key (lower case) -> (handler, canonical name)
_TABLE: dict[str, tuple[_Handler, str]] = {
    "listen": (_Mapper.k_listen, "listen"),
    "host": (_Mapper.k_host, "host"),
    "net": (_Mapper.k_host, "host"),
    "port": (_Mapper.k_port, "port"),
    "server_name": (_Mapper.k_server_name, "server_name"),
    "max_payload": (_Mapper.k_max_int32, "max_payload"),
    "max_control_line": (_Mapper.k_max_int32, "max_control_line"),
    "max_pending": (_Mapper.k_max_pending, "max_pending"),
    "max_connections": (_Mapper.k_max_connections, "max_connections"),
    "max_conn": (_Mapper.k_max_connections, "max_connections"),
    "max_subscriptions": (_Mapper.k_max_subscriptions, "max_subscriptions"),
    "max_subs": (_Mapper.k_max_subscriptions, "max_subscriptions"),
    "ping_interval": (_Mapper.k_server_duration, "ping_interval"),
    "write_deadline": (_Mapper.k_server_duration, "write_deadline"),
    "ping_max": (_Mapper.k_ping_max, "ping_max"),
    "no_header_support": (_Mapper.k_server_bool, "no_header_support"),
    "allow_non_tls": (_Mapper.k_server_bool, "allow_non_tls"),
    "disable_sublist_cache": (_Mapper.k_server_bool, "disable_sublist_cache"),
    "no_sublist_cache": (_Mapper.k_server_bool, "disable_sublist_cache"),
    # logging
    "debug": (_Mapper.k_log_bool, "debug"),
    "trace": (_Mapper.k_log_bool, "trace"),
    "trace_verbose": (_Mapper.k_log_bool, "trace_verbose"),
    "trace_headers": (_Mapper.k_log_bool, "trace_headers"),
    "logtime": (_Mapper.k_log_bool, "logtime"),
    "logtime_utc": (_Mapper.k_log_bool, "logtime_utc"),
    "syslog": (_Mapper.k_log_bool, "syslog"),
    "logfile": (_Mapper.k_log_str, "logfile"),
    "log_file": (_Mapper.k_log_str, "logfile"),
    "remote_syslog": (_Mapper.k_log_str, "remote_syslog"),
    "logfile_size_limit": (_Mapper.k_log_int, "logfile_size_limit"),
    "log_size_limit": (_Mapper.k_log_int, "logfile_size_limit"),
    "logfile_max_num": (_Mapper.k_log_int, "logfile_max_num"),
    "log_max_num": (_Mapper.k_log_int, "logfile_max_num"),
    "max_traced_msg_len": (_Mapper.k_log_int, "max_traced_msg_len"),
    # misc
    "pid_file": (_Mapper.k_misc_str, "pid_file"),
    "pidfile": (_Mapper.k_misc_str, "pid_file"),
    "ports_file_dir": (_Mapper.k_misc_str, "ports_file_dir"),
    "client_advertise": (_Mapper.k_misc_str, "client_advertise"),
    "http_base_path": (_Mapper.k_misc_str, "http_base_path"),
    "http": (_Mapper.k_http, "http"),
    "https": (_Mapper.k_http, "https"),
    "http_port": (_Mapper.k_misc_int, "http_port"),
    "monitor_port": (_Mapper.k_misc_int, "http_port"),
    "https_port": (_Mapper.k_misc_int, "https_port"),
    "max_closed_clients": (_Mapper.k_misc_int, "max_closed_clients"),
    "connect_error_reports": (_Mapper.k_misc_int, "connect_error_reports"),
    "reconnect_error_reports": (_Mapper.k_misc_int, "reconnect_error_reports"),
    "no_fast_producer_stall": (_Mapper.k_misc_bool, "no_fast_producer_stall"),
    "lame_duck_duration": (_Mapper.k_lame_duck_duration, "lame_duck_duration"),
    "lame_duck_grace_period": (_Mapper.k_lame_duck_grace_period, "lame_duck_grace_period"),
    "write_timeout": (_Mapper.k_write_timeout, "write_timeout"),
    "server_tags": (_Mapper.k_server_tags, "server_tags"),
    "server_metadata": (_Mapper.k_server_metadata, "server_metadata"),
    # authorization
    "authorization": (_Mapper.k_authorization, "authorization"),
    "no_auth_user": (_Mapper.k_no_auth_user, "no_auth_user"),
    # accounts
    "accounts": (_Mapper.k_accounts, "accounts"),
    "system_account": (_Mapper.k_system_account, "system_account"),
    "system": (_Mapper.k_system_account, "system_account"),
    "no_system_account": (_Mapper.k_server_bool, "no_system_account"),
    "no_system": (_Mapper.k_server_bool, "no_system_account"),
    "no_sys_acc": (_Mapper.k_server_bool, "no_system_account"),
    # operator mode
    "operator": (_Mapper.k_operator, "operator"),
    "operators": (_Mapper.k_operator, "operator"),
    "root": (_Mapper.k_operator, "operator"),
    "roots": (_Mapper.k_operator, "operator"),
    "root_operator": (_Mapper.k_operator, "operator"),
    "root_operators": (_Mapper.k_operator, "operator"),
    "trusted": (_Mapper.k_trusted, "trusted_keys"),
    "trusted_keys": (_Mapper.k_trusted, "trusted_keys"),
    "resolver": (_Mapper.k_resolver, "resolver"),
    "account_resolver": (_Mapper.k_resolver, "resolver"),
    "accounts_resolver": (_Mapper.k_resolver, "resolver"),
    "resolver_preload": (_Mapper.k_resolver_preload, "resolver_preload"),
    # cluster
    "cluster": (_Mapper.k_cluster, "cluster"),
    # leaf nodes
    "leafnodes": (_Mapper.k_leafnodes, "leafnodes"),
    "leaf": (_Mapper.k_leafnodes, "leafnodes"),
    # WebSocket
    "websocket": (_Mapper.k_websocket, "websocket"),
    "ws": (_Mapper.k_websocket, "websocket"),
    # tls
    "tls": (_Mapper.k_tls, "tls"),
    # JetStream
    "jetstream": (_Mapper.k_jetstream, "jetstream"),
    "store_dir": (_Mapper.k_store_dir, "store_dir"),
    "storedir": (_Mapper.k_store_dir, "store_dir"),
    # fastnats only (nats-server rejects them)
    "auth_hook": (_Mapper.k_auth_hook, "auth_hook"),
    "plugins": (_Mapper.k_plugins, "plugins"),
    "prof_port": (_Mapper.k_ignored, "prof_port"),
    "prof_block_rate": (_Mapper.k_ignored, "prof_block_rate"),
    "feature_flags": (_Mapper.k_ignored, "feature_flags"),
}
_HANDLERS: dict[str, _Handler] = {k: v[0] for k, v in _TABLE.items()}
_CANONICAL: dict[str, str] = {k: v[1] for k, v in _TABLE.items()}

KNOWN_KEYS: frozenset[str] = frozenset(_TABLE) | frozenset(UNSUPPORTED)
"""Every top-level key (lower case) this module recognises."""


def config_from_dict(config: Mapping[str, Any], *, source: str | None = None) -> ServerConfig:
    """Maps a parsed config (from :func:`~fastnats.conf.load`; a plain dict works too, without
    positions in messages) onto fastnats' options. Raises :class:`ConfigError` listing every
    problem in ``errors``."""
    if source is None and isinstance(config, ConfigDict) and config.positions:
        source = next(iter(config.positions.values())).file
    return _Mapper(config, source).run()
