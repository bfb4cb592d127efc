"""The options of :class:`fastnats.Server`: their types, and their values checked.

:class:`ReloadOptions` and :class:`ServerOptions` are the keyword arguments as
``TypedDict``\\ s, for ``Server.reload(**changes)`` and ``Server.from_config(path,
**overrides)`` (``Server.__init__`` spells them out as parameters), so type checkers and
editors catch a misspelled option.

:func:`check_options` turns what a caller gave into what the engine reads: sizes written as
the config files write them (``"2MB"``, ``"64KB"``, ``"1GB"``) become bytes, durations
(``"2m"``, ``"500ms"``, ``"1h30m"``) float seconds, ``port=-1`` becomes ``0``. A value of the
wrong type or out of range raises :class:`fastnats.ConfigError` in one shape,
``<option>: must be <what is allowed>, not <the value>``::

    port: must be an integer from 0 to 65535 (or -1 for a random port), not 70000
    ping_interval: must be a positive duration in seconds (a number or a string such as
    "500ms", "2m", "1h30m"), not '2x'

Defaults are not here: an option not given is left out, and the engine fills in its own
(``fastnats.default_config()``, read from the Rust ``Config::default``).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from .errors import ConfigError

if TYPE_CHECKING:
    from .hooks import AuthHook, EventHook

__all__ = [
    "DEFAULT",
    "AccountJetStreamOptions",
    "AccountOptions",
    "ClusterAuthorization",
    "ClusterOptions",
    "ImportSource",
    "JetStreamOptions",
    "LeafNodeAuthorization",
    "LeafNodeOptions",
    "LeafNodeUser",
    "ReloadOptions",
    "RemoteLeafOptions",
    "RemoteLeafTLS",
    "ResolverOptions",
    "ServerOptions",
    "ServiceExport",
    "ServiceImport",
    "StreamExport",
    "StreamImport",
    "WebsocketAuthorization",
    "WebsocketOptions",
    "check_options",
]


class _Default:
    """The value of an option that was not given (the engine's default applies)."""

    _instance: _Default | None = None

    def __new__(cls) -> _Default:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"

    def __reduce__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""The default of every engine option in ``Server.__init__``'s signature: "not given, the
engine's default" (``fastnats.default_config()`` lists those). Typed ``Any`` so that a
parameter can say ``port: int = DEFAULT``."""


class ImportSource(TypedDict):
    """What an import takes from another account: its ``account`` and exported ``subject``."""

    account: str
    subject: str


class StreamExport(TypedDict, total=False):
    """``{"stream": subject}``: messages published on it may be imported by other accounts
    (all, or only those named in ``accounts``)."""

    stream: str
    accounts: list[str]


class ServiceExport(TypedDict, total=False):
    """``{"service": subject}``: requests on it may be imported by other accounts;
    ``response_type`` (``"singleton"``, ``"stream"``, ``"chunked"``) says how many
    responses pass back, ``response_threshold`` (seconds) how long a response may take."""

    service: str
    accounts: list[str]
    response_type: str
    response_threshold: float


class StreamImport(TypedDict, total=False):
    """``{"stream": {"account", "subject"}}``: another account's messages, delivered here
    under ``prefix.subject`` or as ``to``."""

    stream: ImportSource
    prefix: str
    to: str


class ServiceImport(TypedDict, total=False):
    """``{"service": {"account", "subject"}}``: requests published here on ``to`` (default:
    the subject) are answered by the exporting account."""

    service: ImportSource
    to: str


class AccountJetStreamOptions(TypedDict, total=False):
    """An account's JetStream limits (nats-server's ``JetStreamAccountLimits``; bytes and
    counts, -1, the default, is no limit): the account's memory and file storage, streams,
    consumers per stream, a consumer's ``max_ack_pending``, a memory or file stream's
    ``max_bytes``, and whether every stream must set ``max_bytes``."""

    max_memory: int
    max_storage: int
    max_streams: int
    max_consumers: int
    max_ack_pending: int
    memory_max_stream_bytes: int
    storage_max_stream_bytes: int
    max_bytes_required: bool


class AccountOptions(TypedDict, total=False):
    """One account of the ``accounts`` option: its users (entries as in
    ``authorization["users"]``), their ``default_permissions``, its exports and imports,
    and ``jetstream``: ``True`` or its limits to enable JetStream for it (when any account
    enables it, only those that do have JetStream; when none does, only ``$G`` has it)."""

    users: list[Mapping[str, Any]]
    default_permissions: Mapping[str, Any]
    exports: list[StreamExport | ServiceExport]
    imports: list[StreamImport | ServiceImport]
    jetstream: bool | AccountJetStreamOptions


class ResolverOptions(TypedDict, total=False):
    """The ``resolver`` of operator mode in map form: ``{"type": "full" | "cache" |
    "memory", "dir": path}`` (``"MEMORY"`` alone is the string form). ``allow_delete``,
    ``hard_delete``, ``interval``, ``ttl``, ``timeout`` (seconds) and ``limit`` are
    nats-server's and checked as it does; on a single server they change nothing."""

    type: str
    dir: str
    allow_delete: bool
    hard_delete: bool
    interval: float
    ttl: float
    timeout: float
    limit: int


class JetStreamOptions(TypedDict, total=False):
    """The ``jetstream`` option as a dict (``True`` is all defaults): ``store_dir`` (data in
    ``<store_dir>/jetstream``; default ``<temp dir>/nats``), ``max_memory_store`` and
    ``max_file_store`` (bytes or sizes such as ``"1GB"``; ``-1``, the default: 75% of the
    memory / of the disk space available), ``domain``, ``sync_interval`` (``"always"``, the
    default: each PubAck waits for the disk; or seconds / a duration such as ``"2m"``:
    acknowledge first, sync at that interval, as nats-server does)."""

    store_dir: str | os.PathLike[str]
    max_memory_store: int | str
    max_file_store: int | str
    domain: str
    sync_interval: float | str


class ClusterAuthorization(TypedDict, total=False):
    """The one user of a cluster: peers present it, and this server presents it when a route
    URL has no credentials of its own; ``timeout`` (seconds) is how long a dialling peer has
    to send its CONNECT (2 s)."""

    user: str
    password: str
    timeout: float | str


class ClusterOptions(TypedDict, total=False):
    """The ``cluster`` option (nats-server's ``cluster`` block): ``name`` (no spaces; empty:
    the first peer's), ``host`` and ``port`` of the route listener (``"0.0.0.0"``, 6222;
    ``0`` or ``-1``: a free port), ``advertise`` (``"host:port"`` peers should dial),
    ``routes`` (URLs to dial, ``nats-route://[user:password@]host:port``, retried for ever),
    ``authorization``, ``tls`` (as the top-level ``tls``), ``no_advertise`` (do not tell
    clients about the peers' client URLs), ``connect_retries`` (attempts at a route learned
    from a peer), ``connect_backoff``, ``ping_interval``/``write_deadline`` (seconds or Go
    durations; default: the server's) and ``ping_max``; ``pool_size`` (read, not used: one
    route per peer) and ``compression`` (``False``/``"off"``, ``"disabled"``,
    ``"accept"``: routes are not compressed)."""

    name: str
    host: str
    port: int
    advertise: str | None
    routes: list[str]
    authorization: ClusterAuthorization | None
    tls: Mapping[str, Any] | None
    no_advertise: bool
    connect_retries: int
    connect_backoff: bool
    ping_interval: float | str
    ping_max: int
    write_deadline: float | str
    pool_size: int
    compression: bool | str


class LeafNodeUser(TypedDict, total=False):
    """One user leaf nodes may present, with the account its leaf connection is bound to
    (``$G`` when absent)."""

    user: str
    password: str
    account: str | None


class LeafNodeAuthorization(TypedDict, total=False):
    """Who may dial in as a leaf node: one ``user``/``password`` (or none) with the
    ``account`` such leaves are bound to, or several ``users``; ``timeout`` (seconds) is how
    long a leaf has to send its CONNECT."""

    user: str
    password: str
    account: str | None
    timeout: float | str
    users: list[LeafNodeUser]


class RemoteLeafTLS(TypedDict, total=False):
    """TLS to a hub: every file optional (``ca_file`` the CA that signed the hub's
    certificate, the system's roots without one; a certificate and key when the hub asks for
    one), ``timeout`` (seconds, 2), ``handshake_first``."""

    cert_file: str | os.PathLike[str]
    key_file: str | os.PathLike[str]
    ca_file: str | os.PathLike[str]
    timeout: float | str
    handshake_first: bool


class RemoteLeafOptions(TypedDict, total=False):
    """A hub this server is a leaf of (one entry of ``leafnodes["remotes"]``): ``urls``
    (``nats-leaf://[user:password@]host[:7422]`` or ``tls://...``, tried in turn),
    ``account`` (the local account bound to the connection, ``$G`` when absent),
    ``credentials`` (a ``.creds`` file) or ``nkey`` (a user seed, ``SU...``),
    ``tls``, ``deny_imports``/``deny_exports`` (subjects not taken from / not sent to the
    hub), ``hub`` (this side is the hub of the connection), ``no_randomize`` (try ``urls``
    in order)."""

    urls: list[str]
    account: str | None
    credentials: str | os.PathLike[str] | None
    nkey: str | None
    tls: RemoteLeafTLS | None
    deny_imports: list[str]
    deny_exports: list[str]
    hub: bool
    no_randomize: bool


class LeafNodeOptions(TypedDict, total=False):
    """The ``leafnodes`` option (nats-server's ``leafnodes`` block): ``host`` and ``port``
    of the listener leaf nodes dial into (``"0.0.0.0"``; ``0`` or ``-1``: a free port;
    ``None``, the default: nothing listens, a leaf-only server), ``advertise`` (``host:port``
    leaves should dial), ``no_advertise``, ``authorization``, ``tls`` (as the top-level
    ``tls``), ``compression`` (``False``/``"off"``, ``"disabled"``, ``"accept"``: leaf
    connections are not compressed), ``reconnect`` (seconds or a Go duration between
    attempts at a remote, 1 s) and ``remotes`` (the hubs this server is a leaf of)."""

    host: str
    port: int | None
    advertise: str | None
    no_advertise: bool
    reconnect: float | str
    authorization: LeafNodeAuthorization | None
    tls: Mapping[str, Any] | None
    compression: bool | str
    remotes: list[RemoteLeafOptions]


class WebsocketAuthorization(TypedDict, total=False):
    """``websocket["authorization"]`` (nats-server's simple auth): one ``user`` with its
    ``password`` (plain or bcrypt) or a ``token`` for WebSocket clients, in place of the
    top-level single user, token and ``no_auth_user``; ``timeout`` (seconds or a Go duration)
    to send CONNECT in (the server's when absent)."""

    user: str
    password: str
    token: str
    timeout: float | str


class WebsocketOptions(TypedDict, total=False):
    """The ``websocket`` option (nats-server's ``websocket`` block): a listener for clients
    that speak NATS over WebSocket. ``host`` (``"0.0.0.0"``), ``port`` (``0`` or ``-1``, the
    default: a free one), ``advertise`` (``host:port`` sent in ``ws_connect_urls``),
    ``no_tls`` (serve plain ``ws://``; without it ``tls`` is required) or ``tls`` (as the
    top-level ``tls``: ``wss://``), ``same_origin``, ``allowed_origins``
    (``scheme://host[:port]`` strings), ``handshake_timeout`` (seconds or a Go duration;
    ``0``: none), ``compression`` (offer ``permessage-deflate``), ``authorization``
    (:class:`WebsocketAuthorization`), ``no_auth_user`` (a ``users`` entry), ``jwt_cookie``
    / ``user_cookie`` / ``pass_cookie`` / ``token_cookie`` (cookies standing in for CONNECT
    fields), ``headers`` (extra headers of the upgrade response) and ``ping_interval``
    (seconds or a Go duration; None: the server's)."""

    host: str
    port: int
    advertise: str | None
    no_tls: bool
    tls: Mapping[str, Any] | None
    same_origin: bool
    allowed_origins: list[str]
    handshake_timeout: float | str
    compression: bool
    authorization: WebsocketAuthorization | None
    no_auth_user: str | None
    jwt_cookie: str | None
    user_cookie: str | None
    pass_cookie: str | None
    token_cookie: str | None
    headers: Mapping[str, str]
    ping_interval: float | str | None


class ReloadOptions(TypedDict, total=False):
    """The options ``Server.reload()`` takes (all of ``Server``'s but the hooks)."""

    host: str
    port: int
    server_name: str
    max_payload: int | str
    max_control_line: int | str
    max_pending: int | str
    max_connections: int
    max_subscriptions: int
    ping_interval: float | str
    ping_max: int
    write_deadline: float | str
    shutdown_grace: float | str
    worker_threads: int
    no_header_support: bool
    disable_sublist_cache: bool
    allow_non_tls: bool
    authorization: Mapping[str, Any] | None
    tls: Mapping[str, Any] | None
    accounts: Mapping[str, AccountOptions] | None
    system_account: str | None
    no_system_account: bool
    operator: str | list[str] | None
    trusted_keys: str | list[str] | None
    resolver: str | ResolverOptions | None
    resolver_preload: Mapping[str, str] | None
    jetstream: bool | JetStreamOptions | None
    cluster: ClusterOptions | None
    leafnodes: LeafNodeOptions | None
    websocket: WebsocketOptions | None
    http_host: str | None
    http_port: int | None


class ServerOptions(ReloadOptions, total=False):
    """Every keyword argument of ``Server(...)`` (and ``Server.from_config(path, ...)``)."""

    auth: AuthHook | None
    on_connect: EventHook | None
    on_disconnect: EventHook | None
    plugins: Iterable[str]
    log_level: str | int | None


RELOAD_OPTIONS: frozenset[str] = frozenset(ReloadOptions.__annotations__)
MONITORING_OPTIONS = ("http_host", "http_port")

_INT32_MAX = (1 << 31) - 1
_INT64_MAX = (1 << 63) - 1
_UINT32_MAX = (1 << 32) - 1
_USIZE_MAX = (1 << 64) - 1

_SIZE_FORMS = '(an integer or a string such as "64KB", "2MB", "1GB")'
_DURATION_FORMS = '(a number or a string such as "500ms", "2m", "1h30m")'
_SIZE = re.compile(r"(\d+)([A-Za-z]*)")


def _fail(name: str, what: str, value: Any) -> ConfigError:
    return ConfigError(f"{name}: must be {what}, not {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(name: str, value: Any, low: int, high: int, what: str) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise _fail(name, what, value)
    return int(value)


def _port(name: str, value: Any) -> int:
    what = "an integer from 0 to 65535 (or -1 for a random port)"
    if name == "http_port":
        what += " or None"
    port = _integer(name, value, -1, 65535, what)
    return 0 if port == -1 else port


def _size(name: str, value: Any, high: int) -> int:
    """Bytes, or a size as the config files write it (``k`` = 1000, ``kb``/``ki``/``kib`` =
    1024, and so on for ``m``, ``g``, ``t``; any case)."""
    from .conf.units import apply_size_suffix

    what = f"a size from 1 to {high} bytes {_SIZE_FORMS}"
    if _is_int(value):
        n = value
    elif isinstance(value, str) and (m := _SIZE.fullmatch(value)):
        try:
            n = apply_size_suffix(int(m.group(1)), m.group(2))
        except (KeyError, OverflowError):
            raise _fail(name, what, value) from None
    else:
        raise _fail(name, what, value)
    if not 1 <= n <= high:
        raise _fail(name, what, value)
    return int(n)


def _duration(name: str, value: Any, positive: bool) -> float:
    """Seconds, or a Go duration string as the config files write it."""
    from .conf.units import parse_duration

    what = f"{'a positive' if positive else 'a non-negative'} duration in seconds {_DURATION_FORMS}"
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise _fail(name, what, value) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise _fail(name, what, value)
    if not math.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        raise _fail(name, what, value)
    return seconds


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, "True or False", value)
    return value


def _string(name: str, value: Any, *, none: bool = False) -> str | None:
    if value is None and none:
        return None
    if not isinstance(value, str):
        raise _fail(name, "a string or None" if none else "a string", value)
    return value


def _mapping(name: str, value: Any, what: str) -> Mapping[str, Any] | None:
    if value is not None and not isinstance(value, Mapping):
        raise _fail(name, f"a dict ({what}) or None", value)
    return None if value is None else dict(value)  # a copy: reload() merges into it


def _strings(name: str, value: Any) -> list[str]:
    """A string or a list of strings (an operator JWT or its file, trusted keys)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _fail(name, "a string or a list of strings", value)


def _accounts(name: str, value: Any) -> dict[str, Any] | None:
    """A dict of account name -> dict; what is inside each account is the engine's to check
    (it names the path of an unknown key: ``accounts.A.exports[0]: unknown key "strem"``)."""
    accounts = _mapping(name, value, "account name -> users, exports, imports")
    if accounts is None:
        return None
    for account, options in accounts.items():
        if not isinstance(account, str) or not isinstance(options, Mapping):
            raise _fail(name, "a dict of account name (str) -> dict", value)
    out = {account: dict(options) for account, options in accounts.items()}
    for options in out.values():
        js = options.get("jetstream")
        if js is True:
            options["jetstream"] = {}
        elif js is False or js is None:
            options.pop("jetstream", None)
    return out


def _store_size(name: str, value: Any) -> int:
    """A JetStream limit: bytes (0 allowed) or a size string, or -1 for the default."""
    if _is_int(value) and -1 <= value <= _INT64_MAX:
        return int(value)
    if isinstance(value, str):
        with contextlib.suppress(ConfigError):
            return _size(name, value, _INT64_MAX)
    raise _fail(name, f"a size in bytes {_SIZE_FORMS}, or -1 for the default", value)


def _jetstream(name: str, value: Any) -> dict[str, Any] | None:
    """``True`` (the defaults), ``False``/``None`` (off) or a :class:`JetStreamOptions`
    dict, with sizes in bytes and durations in seconds; keys it does not know are left for
    the engine to refuse by name."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(
            name,
            "True, False, None or a dict (store_dir, max_memory_store, max_file_store, "
            "domain, sync_interval)",
            value,
        )
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "store_dir":
            if not isinstance(v, (str, os.PathLike)):
                raise _fail(path, "a path (str or os.PathLike)", v)
            if os.fspath(v):
                out[key] = os.fspath(v)
        elif key in ("max_memory_store", "max_file_store"):
            out[key] = _store_size(path, v)
        elif key == "domain":
            if _string(path, v):
                out[key] = v
        elif key == "sync_interval":
            if isinstance(v, str) and v.lower() == "always":
                out[key] = "always"
            else:
                try:
                    out[key] = _duration(path, v, positive=True)
                except ConfigError:
                    what = f'"always" or a positive duration {_DURATION_FORMS}'
                    raise _fail(path, what, v) from None
        else:
            out[key] = v
    return out


def _cluster_auth(name: str, value: Any) -> dict[str, Any] | None:
    given = _mapping(name, value, "user, password, timeout")
    if given is None:
        return None
    auth = dict(given)
    for key in ("user", "password"):
        if not isinstance(auth.get(key), str):
            raise _fail(f"{name}.{key}", "a string", auth.get(key))
    if "timeout" in auth:
        auth["timeout"] = _duration(f"{name}.timeout", auth["timeout"], positive=True)
    return auth


def _cluster(name: str, value: Any) -> dict[str, Any] | None:
    """None (no cluster) or a :class:`ClusterOptions` dict in the engine's units (ports,
    seconds); keys it does not know are left for the engine to refuse by name."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "None or a dict (name, host, port, routes, authorization, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "name":
            text = _string(path, v)
            if text is not None and any(c in text for c in " \t\r\n"):
                raise _fail(path, "a string without spaces or line breaks", v)
            out[key] = text
        elif key == "host":
            out[key] = _string(path, v)
        elif key == "advertise":
            out[key] = _string(path, v, none=True)
        elif key == "port":
            out[key] = _port(path, v)
        elif key == "routes":
            if not isinstance(v, list | tuple) or not all(isinstance(u, str) for u in v):
                raise _fail(path, "a list of route URLs (str)", v)
            out[key] = list(v)
        elif key == "authorization":
            out[key] = _cluster_auth(path, v)
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, verify, timeout")
        elif key in ("no_advertise", "connect_backoff"):
            out[key] = _boolean(path, v)
        elif key in ("connect_retries", "ping_max"):
            out[key] = _integer(path, v, 0, _UINT32_MAX, f"an integer from 0 to {_UINT32_MAX}")
        elif key in ("ping_interval", "write_deadline"):
            out[key] = _duration(path, v, positive=True)
        elif key == "pool_size":
            out[key] = _integer(path, v, -(1 << 63), _INT64_MAX, "an integer")
        elif key == "compression":
            if isinstance(v, bool):
                out[key] = "on" if v else "off"
            elif isinstance(v, str):
                out[key] = v  # which modes run is the engine's check (one message)
            else:
                raise _fail(path, 'False or a mode string ("off", "disabled", "accept")', v)
        else:
            out[key] = v
    return out


def _compression(path: str, value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value  # which modes run is the engine's check (one message)
    raise _fail(path, 'False or a mode string ("off", "disabled", "accept")', value)


def _subjects(path: str, value: Any) -> list[str]:
    from .conf.leafnodes import is_valid_subject

    if not isinstance(value, list | tuple) or not all(
        isinstance(s, str) and is_valid_subject(s) for s in value
    ):
        raise _fail(path, "a list of subjects (str)", value)
    return list(value)


def _leaf_auth(name: str, value: Any) -> dict[str, Any] | None:
    """nats-server's leaf authorization: one user or a users list, each with an account."""
    from .gocompat import quote

    given = _mapping(name, value, "user, password, account, timeout, users")
    if given is None:
        return None
    auth = dict(given)
    for key in ("user", "password"):
        if key in auth:
            _string(f"{name}.{key}", auth[key])
    if "account" in auth:
        _string(f"{name}.account", auth["account"], none=True)
    if "timeout" in auth:
        auth["timeout"] = _duration(f"{name}.timeout", auth["timeout"], positive=True)
    if "users" in auth:
        users = auth["users"]
        if not isinstance(users, list | tuple) or not all(isinstance(u, Mapping) for u in users):
            raise _fail(f"{name}.users", "a list of dicts (user, password, account)", users)
        seen: set[str] = set()
        auth["users"] = [dict(u) for u in users]
        for i, user in enumerate(auth["users"]):
            path = f"{name}.users[{i}]"
            for key in ("user", "password"):
                if not isinstance(user.get(key), str):
                    raise _fail(f"{path}.{key}", "a string", user.get(key))
            if "account" in user:
                _string(f"{path}.account", user["account"], none=True)
            if user["user"] in seen:
                raise ConfigError(
                    f"{name}: duplicate user {quote(user['user'])} detected in leafnode "
                    "authorization"
                )
            seen.add(user["user"])
        if auth["users"] and auth.get("user"):
            raise ConfigError(f"{name}: can not have a single user/pass and a users array")
    return auth


def _remote_leaf(name: str, value: Any) -> dict[str, Any]:
    from .conf.leafnodes import is_user_seed, remote_compression_error

    if not isinstance(value, Mapping):
        raise _fail(name, "a dict (urls, account, credentials, nkey, tls, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "urls":
            if not isinstance(v, list | tuple) or not all(isinstance(u, str) for u in v):
                raise _fail(path, "a list of URLs (str)", v)
            out[key] = [u.strip() for u in v]
        elif key == "account":
            out[key] = _string(path, v, none=True)
        elif key == "credentials":
            if v is not None and not isinstance(v, str | os.PathLike):
                raise _fail(path, "a path (str or os.PathLike) or None", v)
            out[key] = None if v is None else os.path.expanduser(os.fspath(v))
        elif key == "nkey":
            if v is not None and not (isinstance(v, str) and is_user_seed(v)):
                raise _fail(path, 'a user nkey seed ("SU...") or None', v)
            out[key] = v
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, timeout, handshake_first")
        elif key in ("deny_imports", "deny_exports"):
            out[key] = _subjects(path, v)
        elif key in ("hub", "no_randomize"):
            out[key] = _boolean(path, v)
        elif key == "compression":  # the engine's remotes are never compressed
            why = remote_compression_error(_compression(path, v))
            if why is not None:
                raise ConfigError(f"{path}: {why}")
        else:
            out[key] = v
    if out.get("credentials") and out.get("nkey"):
        raise ConfigError(f"{name}: Remote leafnode can not have both creds and nkey defined")
    return out


def _leafnodes(name: str, value: Any) -> dict[str, Any] | None:
    """None (no leaf nodes) or a :class:`LeafNodeOptions` dict in the engine's units (ports,
    seconds); keys it does not know are left for the engine to refuse by name."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "None or a dict (host, port, authorization, remotes, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "host":
            out[key] = _string(path, v)
        elif key == "advertise":
            out[key] = _string(path, v, none=True)
        elif key == "port":
            out[key] = None if v is None else _port(path, v)
        elif key == "no_advertise":
            out[key] = _boolean(path, v)
        elif key == "reconnect":
            out[key] = _duration(path, v, positive=True)
        elif key == "authorization":
            out[key] = _leaf_auth(path, v)
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, verify, timeout")
        elif key == "compression":
            out[key] = _compression(path, v)
        elif key == "remotes":
            if not isinstance(v, list | tuple):
                raise _fail(path, "a list of dicts (urls, account, ...)", v)
            out[key] = [_remote_leaf(f"{path}[{i}]", r) for i, r in enumerate(v)]
        else:
            out[key] = v
    return out


_WS_STRINGS = (
    "advertise",
    "no_auth_user",
    "jwt_cookie",
    "user_cookie",
    "pass_cookie",
    "token_cookie",
)


def _websocket(name: str, value: Any) -> dict[str, Any] | None:
    """None (no WebSocket listener) or a :class:`WebsocketOptions` dict in the engine's units
    (port, seconds); keys it does not know are left for the engine to refuse by name, as are
    nats-server's checks (TLS or ``no_tls``, origins, reserved headers, ...)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "None or a dict (host, port, no_tls, tls, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "host":
            out[key] = _string(path, v)
        elif key == "port":
            out[key] = _port(path, v)
        elif key in _WS_STRINGS:
            out[key] = _string(path, v, none=True)
        elif key in ("no_tls", "same_origin", "compression"):
            out[key] = _boolean(path, v)
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, verify, timeout")
        elif key == "allowed_origins":
            if isinstance(v, str) or not (
                isinstance(v, list | tuple) and all(isinstance(o, str) for o in v)
            ):
                raise _fail(path, "a list of origins (str)", v)
            out[key] = list(v)
        elif key == "handshake_timeout":
            out[key] = _duration(path, v, positive=False)
        elif key == "ping_interval":
            out[key] = None if v is None else _duration(path, v, positive=True)
        elif key == "headers":
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(h, str) for k, h in v.items()
            ):
                raise _fail(path, "a dict of header name (str) -> value (str)", v)
            out[key] = dict(v)
        elif key == "authorization":
            given = _mapping(path, v, "user, password, token, timeout")
            auth = None if given is None else dict(given)
            if auth is not None:
                for k in ("user", "password", "token"):
                    if k in auth:
                        auth[k] = _string(f"{path}.{k}", auth[k], none=True)
                if auth.get("timeout") is not None:
                    auth["timeout"] = _duration(f"{path}.timeout", auth["timeout"], positive=True)
            out[key] = auth
        else:
            out[key] = v
    return out


def _check(name: str, value: Any) -> Any:
    if name in ("host", "http_host"):
        return _string(name, value, none=name == "http_host")
    if name == "server_name":
        text = _string(name, value)
        if text is not None and " " in text:
            raise _fail(name, "a string without spaces", value)
        return text
    if name == "port":
        return _port(name, value)
    if name == "http_port":
        return None if value is None else _port(name, value)
    if name in ("max_payload", "max_control_line"):
        return _size(name, value, _INT32_MAX)
    if name == "max_pending":
        return _size(name, value, _INT64_MAX)
    if name in ("ping_interval", "write_deadline"):
        return _duration(name, value, positive=True)
    if name == "shutdown_grace":
        return _duration(name, value, positive=False)
    if name == "ping_max":
        return _integer(name, value, 0, _UINT32_MAX, f"an integer from 0 to {_UINT32_MAX}")
    if name in ("max_connections", "max_subscriptions", "worker_threads"):
        return _integer(name, value, 0, _USIZE_MAX, "a non-negative integer")
    if name in ("no_header_support", "disable_sublist_cache", "no_system_account", "allow_non_tls"):
        return _boolean(name, value)
    if name == "authorization":
        return _mapping(name, value, "nats-server's authorization block")
    if name == "tls":
        return _mapping(name, value, "cert_file, key_file, ca_file, verify, timeout, ...")
    if name == "accounts":
        return _accounts(name, value)
    if name == "system_account":
        return _string(name, value, none=True)
    if name in ("operator", "trusted_keys"):
        return _strings(name, value)
    if name == "resolver":
        if isinstance(value, str):
            return value
        return _mapping(name, value, "type and dir, or the string MEMORY")
    if name == "jetstream":
        return _jetstream(name, value)
    if name == "cluster":
        return _cluster(name, value)
    if name == "leafnodes":
        return _leafnodes(name, value)
    if name == "websocket":
        return _websocket(name, value)
    if name == "resolver_preload":
        preload = _mapping(name, value, "account public key -> account JWT")
        if preload is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in preload.items()
        ):
            raise _fail(name, "a dict of account public key (str) -> account JWT (str)", value)
        return preload
    raise AssertionError(name)  # pragma: no cover - callers pass known names only


def check_options(options: Mapping[str, Any], caller: str = "Server()") -> dict[str, Any]:
    """The options (names of :class:`ReloadOptions`) checked and in the engine's units.

    An unknown name is a ``TypeError`` naming it, as Python's own for an unexpected keyword
    argument; a bad value a :class:`fastnats.ConfigError` (see the module docstring). The
    contents of ``authorization``, ``tls`` and each account are checked by the engine (keys
    named with their path: ``authorization.users[0].permissions: unknown key "publsh"``).
    """
    for name in options:
        if name not in RELOAD_OPTIONS:
            raise TypeError(f"{caller} got an unexpected keyword argument {name!r}")
    return {name: _check(name, value) for name, value in options.items()}
