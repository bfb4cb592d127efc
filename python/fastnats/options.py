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

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

# The checks live in fastnats._options (a server starts without this module's TypedDicts).
from ._options import DEFAULT, MONITORING_OPTIONS, RELOAD_OPTIONS, check_options  # noqa: F401

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
