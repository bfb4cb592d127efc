"""The embeddable server: `fastnats.Server`.

A thin wrapper over the native handle that adds Python conveniences: typed keyword options
(checked and converted by :mod:`fastnats.options`; defaults are the engine's), reload of what
is given, a server from a config file, a context manager (sync and async), `url`, and a
blocking `wait()`/`serve()` that stays responsive to Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import threading

from . import _fastnats, logs
from ._hooks import HookRunner, check_callable
from ._options import DEFAULT, MONITORING_OPTIONS, check_options
from .errors import BindError, ConfigError, NoRespondersError
from .services import Msg, Subscription, batch_callback
from .tls import apply_tls_defaults, normalize_tls

# Names for annotations only: a server starts without importing typing (mypy reads this
# constant as typing.TYPE_CHECKING).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from types import TracebackType
    from typing import Any

    from typing_extensions import Unpack

    from .hooks import AuthHook, EventHook

    # the monitor package is imported only when monitoring is used
    from .monitor import Monitor
    from .monitor.http import MonitorListener
    from .options import (
        AccountOptions,
        ClusterOptions,
        JetStreamOptions,
        LeafNodeOptions,
        ReloadOptions,
        ResolverOptions,
        ServerOptions,
        WebsocketOptions,
    )
    from .services import Handler
    from .system import SystemServices


def _header_block(headers: Mapping[str, str | Sequence[str]]) -> bytes:
    """``NATS/1.0`` header block for ``headers`` (a list value repeats the name)."""
    lines = ["NATS/1.0"]
    for name, value in headers.items():
        values = [value] if isinstance(value, str) else list(value)
        for v in values:
            if any(c in name for c in ":\r\n ") or not name or any(c in v for c in "\r\n"):
                raise ValueError(f"invalid header {name!r}: {v!r}")
            lines.append(f"{name}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def default_config() -> dict[str, Any]:
    """Every engine option with its default (read from the Rust config, the one place they
    live)."""
    return _fastnats.default_config()


def _native_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Checked options (:func:`fastnats.options.check_options`) as the engine takes them:
    without the monitoring ones (Python's), with nats-server's TLS defaults applied. The
    engine reads nats-server's forms inside the dicts and refuses unknown keys there
    (:class:`fastnats.ConfigError` naming the path)."""
    native = {k: v for k, v in options.items() if k not in MONITORING_OPTIONS}
    apply_tls_defaults(native)
    cluster = native.get("cluster")
    if cluster is not None and cluster.get("tls") is not None:
        native["cluster"] = {**cluster, "tls": normalize_tls(cluster["tls"])}
    leafnodes = native.get("leafnodes")
    if leafnodes is not None:
        leafnodes = dict(leafnodes)
        if leafnodes.get("tls") is not None:
            leafnodes["tls"] = normalize_tls(leafnodes["tls"])
        remotes = leafnodes.get("remotes")
        if isinstance(remotes, list):
            leafnodes["remotes"] = [
                {**r, "tls": normalize_tls(r["tls"])} if r.get("tls") is not None else r
                for r in remotes
            ]
        native["leafnodes"] = leafnodes
        _check_leaf_accounts(native, leafnodes)
    websocket = native.get("websocket")
    if websocket is not None and websocket.get("tls") is not None:
        native["websocket"] = {**websocket, "tls": normalize_tls(websocket["tls"])}
    return native


def _check_leaf_accounts(native: Mapping[str, Any], leafnodes: Mapping[str, Any]) -> None:
    """nats-server's start-up check (``validateLeafNode``) outside operator mode: the
    accounts the leaf node authorization and the remotes bind to exist (``$G``, the
    configured accounts, the system account)."""
    from .gocompat import quote

    if native.get("operator") or native.get("trusted_keys"):
        return  # the accounts are JWTs, known once asked for
    known = {"", "$G", *(native.get("accounts") or {})}
    if native.get("system_account") is None and not native.get("no_system_account"):
        known.add("$SYS")
    auth = leafnodes.get("authorization") or {}
    wanted = [(auth.get("account"), "authorization")]
    wanted += [(u.get("account"), "authorization") for u in auth.get("users") or []]
    wanted += [(r.get("account"), "remote") for r in leafnodes.get("remotes") or []]
    for account, where in wanted:
        if account is not None and account not in known:
            raise ConfigError(
                f"cannot find local account {quote(account)} specified in leafnode {where}"
            )


def _client_host(host: str) -> str:
    """The host part of a URL for a listener on ``host`` (loopback for all interfaces)."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    if ":" in host:
        return f"[{host}]"
    return host


class Server:
    """A fastnats server running in this process.

    ``Server(**options)`` makes a stopped server; :meth:`start` (or ``with``/``async with``)
    binds and serves. Every option is a keyword argument named as in nats-server's config
    file; an option not given takes the engine's default (``fastnats.default_config()``
    lists them, defaults shown below). Sizes may be written as in config files (``"2MB"``,
    ``"64KB"``, ``"1GB"``: ``KB``/``MB``/``GB`` are powers of 1024, ``K``/``M``/``G`` of
    1000) and durations as numbers of seconds or Go duration strings (``"500ms"``, ``"2m"``,
    ``"1h30m"``).

    Parameters:

    host (str): interface to listen on (``"0.0.0.0"``).
    port (int): client port (4222); ``0`` or ``-1`` picks a free port: read it from
        :attr:`port`.
    server_name (str): ``server_name`` in INFO, no spaces (empty: the server id).
    max_payload (int | str): largest message payload, headers included (1 MiB).
    max_control_line (int | str): longest protocol line accepted (4096).
    max_pending (int | str): bytes queued for one client before it is closed as a slow
        consumer (64 MiB); at least ``max_payload``.
    max_connections (int): clients served at once (65536); ``0`` refuses every client.
    max_subscriptions (int): subscriptions per connection (``0``: unlimited).
    ping_interval (float | str): interval of the keep-alive PINGs (120 s).
    ping_max (int): unanswered PINGs before the client is stale (2).
    write_deadline (float | str): time a write to a client may take before it is a slow
        consumer (10 s).
    shutdown_grace (float | str): how long :meth:`stop` waits for clients to flush (5 s).
    worker_threads (int): runtime threads (``0``: one per core).
    no_header_support (bool): advertise ``headers: false`` and refuse HPUB (False).
    disable_sublist_cache (bool): turn off the subject-match cache (False).
    authorization (Mapping | None): nats-server's ``authorization`` block as a dict, with
        its keys and forms (durations in seconds): ``token``, ``user``/``password``,
        ``users`` (passwords, bcrypt hashes or ``nkey``, each with ``permissions`` and
        ``allowed_connection_types``),
        ``default_permissions``, ``no_auth_user``, ``timeout``. See the README's Security
        section. None: no authorization.
    tls (Mapping | None): TLS required of every client: ``{"cert_file": ..., "key_file":
        ..., "ca_file": ..., "verify": bool, "verify_and_map": bool, "timeout": seconds,
        "handshake_first": bool}`` (see :mod:`fastnats.tls`). None: plain TCP.
    allow_non_tls (bool): with ``tls``, plain clients are served on the same port too
        (INFO says ``tls_available``; the client's first byte tells TLS from plain). False.
    accounts (Mapping | None): nats-server's ``accounts`` block as a dict, account name ->
        ``{"users": [...], "default_permissions": {...}, "exports": [...], "imports":
        [...]}``: separate subject spaces, bridged only by exports (``{"stream": subj}``,
        ``{"service": subj, "response_type": "singleton" | "stream" | "chunked"}``, each
        with ``accounts`` to make it private) and imports (``{"stream": {"account": a,
        "subject": s}, "prefix": p}`` or ``"to"``; ``{"service": {...}, "to": t}``). Users
        of ``authorization`` stay in the global account ``$G``; its ``no_auth_user`` may
        name an account's user. ``"jetstream": True`` or a dict of limits
        (:class:`fastnats.options.AccountJetStreamOptions`) gives the account JetStream;
        once any account is configured only those that do have it. See the README's
        Accounts section and :class:`fastnats.options.AccountOptions`. None: the global
        account only.
    system_account (str | None): the account named as nats-server's system account (default
        ``$SYS``; in operator mode the operator JWT's, else none): its users see the
        server's events and requests (README: The system account).
    no_system_account (bool): no system account (False).
    operator (str | list[str] | None): operator mode: the trusted operator's JWT, as a
        file (decorated as ``nsc`` writes it, or bare) or the JWT itself; a list for
        several. Clients then connect with a user JWT (``.creds`` files) signed by an
        account the operator signed; ``authorization`` users and ``accounts`` are refused.
        See the README's Operator mode section.
    trusted_keys (str | list[str] | None): operator mode with operator public keys instead
        of operator JWTs (nats-server's ``trusted``).
    resolver (str | Mapping | None): where account JWTs come from: ``"MEMORY"`` (the
        ``resolver_preload`` accounts) or ``{"type": "full" | "cache", "dir": path}``
        (``<dir>/<account public key>.jwt`` files, read when a user of the account
        connects). Account updates through ``$SYS`` are not served.
    resolver_preload (Mapping[str, str] | None): account public key -> account JWT.
    jetstream (bool | Mapping | None): JetStream's settings, as nats-server's ``jetstream``
        block: ``True`` for the defaults or a dict with ``store_dir``, ``max_memory_store``,
        ``max_file_store``, ``domain``, ``sync_interval`` (see
        :class:`fastnats.options.JetStreamOptions`). Checked here, but JetStream is not
        available yet: :meth:`start` raises :class:`fastnats.ConfigError` while it is set.
        None/False (the default): off.
    cluster (Mapping | None): join a NATS cluster over routes, as nats-server's ``cluster``
        block: ``{"name": "c1", "host": "127.0.0.1", "port": 6222, "routes":
        ["nats-route://user:pw@peer:6222"], "authorization": {"user": ..., "password":
        ...}, ...}`` (see :class:`fastnats.options.ClusterOptions`; ``port`` ``0`` or ``-1``
        picks a free one). None (the default): no cluster.
    leafnodes (Mapping | None): leaf nodes, as nats-server's ``leafnodes`` block: a listener
        nats-server leaf nodes dial into (``{"host": "127.0.0.1", "port": 7422,
        "authorization": {"users": [{"user": ..., "password": ..., "account": "A"}]}}``)
        and the hubs this server is a leaf of (``"remotes": [{"urls":
        ["nats-leaf://user:pw@hub:7422"], "account": "A"}]``); see
        :class:`fastnats.options.LeafNodeOptions` (``port`` ``0`` or ``-1`` picks a free
        one, read it from :attr:`leaf_port`; no ``port``: nothing listens). None (the
        default): no leaf nodes.
    websocket (Mapping | None): a listener for clients that speak NATS over WebSocket
        (browsers, nats.ws), as nats-server's ``websocket`` block: ``{"host": "127.0.0.1",
        "port": 8080, "no_tls": True}`` or with ``"tls": {...}`` (``wss://``; one of the two
        is required), ``allowed_origins``, ``same_origin``, ``compression``,
        ``authorization`` (one user or a token for WebSocket clients), ``no_auth_user``,
        cookies, ``headers``, ... (see :class:`fastnats.options.WebsocketOptions`; ``port``
        ``0`` or ``-1``, the default, picks a free one: read it from :attr:`ws_port`). None
        (the default): no WebSocket listener.
    http_port (int | None): turns on the monitoring endpoints (``/varz``, ``/connz``,
        ``/routez``, ``/leafz``, ``/subsz``, ``/accountz``, ``/accstatz``, ``/healthz``,
        ``/metrics``);
        ``0`` or ``-1`` picks a free port, read it from :attr:`http_port`. None (the
        default): no monitoring.
    http_host (str | None): interface of the monitoring endpoints (None: ``host``).
    auth (callable | None): ``auth(client: dict)`` gets the client's CONNECT (``user``,
        ``password``, ``token``, ``nkey``, ``nkey_verified``, ``client_ip``, ...) and
        decides alone, in place of ``authorization``: ``True`` or
        :meth:`fastnats.AuthResult.allow` (with a ``user`` name and ``permissions``)
        admits, ``False``/``None``/:meth:`~fastnats.AuthResult.deny` refuses. A function or
        a coroutine function; an exception, a wrong return or the auth timeout refuses
        (fail closed). See :mod:`fastnats.hooks`.
    on_connect (callable | None): ``on_connect(event: dict)`` after a client connected
        (``cid``, ``client_ip``, ``client_port``, ``name``, ``user``, ...).
    on_disconnect (callable | None): ``on_disconnect(event: dict)`` after a client left;
        ``event["reason"]`` is the close reason.
    plugins (Iterable[str]): names of ``fastnats.plugins`` entry points to load; each may
        register more hooks.
    log_level (str | int | None): what the engine logs at all, process-wide: ``"trace"``,
        ``"debug"``, ``"info"``, ``"warning"``, ``"error"``, ``"critical"`` or a
        :mod:`logging` level number (None: leave it as it is, ``"info"`` at first). Lines go
        to the ``fastnats`` logger, whose level and handlers stay the application's (see
        :mod:`fastnats.logs`).

    Errors: a bad option value raises :class:`fastnats.ConfigError` (a ``ValueError``)
    naming the option and what it allows (``port: must be an integer from 0 to 65535 (or
    -1 for a random port), not 70000``), as does an unknown key inside ``authorization``
    or ``tls`` (``authorization.users[0].permissions: unknown key "publsh"``) or a
    certificate or key that can not be used. An unknown option or a hook that is not
    callable raises ``TypeError``. :meth:`start` raises :class:`fastnats.BindError` (an
    ``OSError``) naming the address it could not bind.
    """

    def __init__(
        self,
        *,
        host: str = DEFAULT,
        port: int = DEFAULT,
        server_name: str = DEFAULT,
        max_payload: int | str = DEFAULT,
        max_control_line: int | str = DEFAULT,
        max_pending: int | str = DEFAULT,
        max_connections: int = DEFAULT,
        max_subscriptions: int = DEFAULT,
        ping_interval: float | str = DEFAULT,
        ping_max: int = DEFAULT,
        write_deadline: float | str = DEFAULT,
        shutdown_grace: float | str = DEFAULT,
        worker_threads: int = DEFAULT,
        no_header_support: bool = DEFAULT,
        disable_sublist_cache: bool = DEFAULT,
        authorization: Mapping[str, Any] | None = DEFAULT,
        tls: Mapping[str, Any] | None = DEFAULT,
        allow_non_tls: bool = DEFAULT,
        accounts: Mapping[str, AccountOptions] | None = DEFAULT,
        system_account: str | None = DEFAULT,
        no_system_account: bool = DEFAULT,
        operator: str | list[str] | None = DEFAULT,
        trusted_keys: str | list[str] | None = DEFAULT,
        resolver: str | ResolverOptions | None = DEFAULT,
        resolver_preload: Mapping[str, str] | None = DEFAULT,
        jetstream: bool | JetStreamOptions | None = DEFAULT,
        cluster: ClusterOptions | None = DEFAULT,
        leafnodes: LeafNodeOptions | None = DEFAULT,
        websocket: WebsocketOptions | None = DEFAULT,
        http_host: str | None = None,
        http_port: int | None = None,
        auth: AuthHook | None = None,
        on_connect: EventHook | None = None,
        on_disconnect: EventHook | None = None,
        plugins: Iterable[str] = (),
        log_level: str | int | None = None,
    ) -> None:
        if log_level is not None:
            logs.set_engine_level(log_level)
        given = {
            "host": host,
            "port": port,
            "server_name": server_name,
            "max_payload": max_payload,
            "max_control_line": max_control_line,
            "max_pending": max_pending,
            "max_connections": max_connections,
            "max_subscriptions": max_subscriptions,
            "ping_interval": ping_interval,
            "ping_max": ping_max,
            "write_deadline": write_deadline,
            "shutdown_grace": shutdown_grace,
            "worker_threads": worker_threads,
            "no_header_support": no_header_support,
            "disable_sublist_cache": disable_sublist_cache,
            "authorization": authorization,
            "tls": tls,
            "allow_non_tls": allow_non_tls,
            "accounts": accounts,
            "system_account": system_account,
            "no_system_account": no_system_account,
            "operator": operator,
            "trusted_keys": trusted_keys,
            "resolver": resolver,
            "resolver_preload": resolver_preload,
            "jetstream": jetstream,
            "cluster": cluster,
            "leafnodes": leafnodes,
            "websocket": websocket,
            "http_host": http_host,
            "http_port": http_port,
        }
        # The options as given (checked, in the engine's units): what reload() merges into.
        self._options = check_options({k: v for k, v in given.items() if v is not DEFAULT})
        # Hooks (fastnats.hooks): ``auth`` decides every CONNECT (built-in authorization is
        # then not consulted); plugins named here register more hooks.
        for parameter, hook in (
            ("auth", auth),
            ("on_connect", on_connect),
            ("on_disconnect", on_disconnect),
        ):
            if hook is not None:
                check_callable(hook, parameter)
        plugin_names = list(plugins)
        auth_hooks: list[AuthHook] = []
        on_connect_hooks: list[EventHook] = []
        on_disconnect_hooks: list[EventHook] = []
        if plugin_names or auth is not None or on_connect is not None or on_disconnect is not None:
            # fastnats.hooks (dataclasses, inspect) only when there are hooks to gather.
            from .hooks import PluginContext, load_plugins

            ctx = PluginContext()
            if auth is not None:
                ctx.add_auth_hook(auth)
            if on_connect is not None:
                ctx.add_on_connect(on_connect)
            if on_disconnect is not None:
                ctx.add_on_disconnect(on_disconnect)
            load_plugins(plugin_names, ctx)
            auth_hooks, on_connect_hooks = ctx.auth_hooks, ctx.on_connect
            on_disconnect_hooks = ctx.on_disconnect
        self._hooks = HookRunner()
        # Monitoring lives in Python (fastnats.monitor): not options of the native server.
        self._http_host: str | None = self._options.get("http_host")
        self._http_port: int | None = self._options.get("http_port")
        self._monitor: Monitor | None = None
        self._system: SystemServices | None = None
        self._monitor_listener: MonitorListener | None = None
        self._native = _fastnats.NativeServer(
            _native_options(self._options),
            auth_hook=self._hooks.auth(auth_hooks),
            on_connect=self._hooks.events(on_connect_hooks),
            on_disconnect=self._hooks.events(on_disconnect_hooks),
        )
        self._stopped = threading.Event()
        # In-process subscriptions, kept alive until they end (see fastnats.services).
        self._subscriptions: set[Subscription] = set()
        self._stopped.set()

    @classmethod
    def from_config(
        cls, path: str | os.PathLike[str], **overrides: Unpack[ServerOptions]
    ) -> Server:
        """A server configured by a nats-server config file, as ``fastnats -c path`` would
        be, with ``overrides`` (any keyword argument of ``Server``) applied on top.

        The file is read by the same loader as the command line's (``fastnats.conf``): its
        server options, ``authorization``, ``accounts``, ``tls``, monitoring
        (``http``/``http_port``) and the fastnats-only ``auth_hook`` and ``plugins``.
        Logging settings in the file are not applied (the process's logging is the
        caller's), nor are ``pid_file`` and ``ports_file_dir``. A problem in the file
        raises :class:`fastnats.conf.ConfigError` (a :class:`fastnats.ConfigError`) naming
        ``file:line:column``; what nats-server warns about (an integer where a duration
        belongs) is a ``UserWarning``.
        """
        from .options import ServerOptions
        from .settings import Options, load_settings, server_kwargs

        for name in overrides:  # before the file is read, as for any unknown keyword
            if name not in ServerOptions.__annotations__:
                raise TypeError(f"from_config() got an unexpected keyword argument {name!r}")
        settings = load_settings(Options(config_file=os.fspath(path)))
        if settings.warnings:  # what a running fastnats -c logs as warnings
            import warnings

            for message in settings.warnings:
                warnings.warn(message, UserWarning, stacklevel=2)
        kwargs = server_kwargs(settings)
        kwargs.update(overrides)
        return cls(**kwargs)

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> Server:
        """Bind and start serving; returns once connections are accepted.

        Raises :class:`fastnats.BindError` (an ``OSError`` with ``errno``) naming the
        address when it can not be bound.
        """
        self._native.start()
        logs.attach()
        try:
            if self._http_port is not None:
                self._start_monitoring()
            self._start_system_services()
        except BaseException:
            self._stop_monitoring()
            self._native.stop()
            logs.detach()
            raise
        self._stopped.clear()
        return self

    def stop(self) -> None:
        """Close every client (flushing what is queued to it) and stop. Idempotent."""
        self._stop_monitoring()
        if self._system is not None:
            self._system.stop()
            self._system = None
        was_running = not self._stopped.is_set()
        for sub in list(self._subscriptions):
            sub.unsubscribe()
        self._native.stop()
        self._hooks.close()  # after the native stop: no hook can be called any more
        if was_running:
            logs.detach()  # after the hooks: their last lines are handed to logging too
        self._stopped.set()

    def reload(self, **changes: Unpack[ReloadOptions]) -> None:
        """Changes options of the running server (as SIGHUP does for the command line).

        Only the options given change; the others keep their running values (a port given
        as the bound port, e.g. ``reload(port=server.port)`` after ``port=0``, is unchanged).
        Limits, keep-alive, write deadline, shutdown grace, ``authorization``, ``tls`` and
        ``accounts`` apply at once (connections pick them up at their next read; lowering
        ``max_connections`` closes the excess clients; clients whose credentials no longer
        pass are closed). ``reload(tls=None)`` turns TLS off, ``authorization=None``
        authorization. Values are checked as in the constructor; an unknown option is a
        ``TypeError``. A change to an option fixed at start (``host``, ``port``,
        ``server_name``, ``worker_threads``, ``no_header_support``,
        ``disable_sublist_cache``, ``websocket``, ``http_host``, ``http_port``) raises
        :class:`fastnats.ConfigError` with nats-server's message (``config reload not
        supported for Port: old=4222, new=4223``) and changes nothing.
        """
        options = check_options(changes, "reload()")
        if self.running and options.get("port") == self.port:
            options["port"] = self._options.get("port", self.port)  # the bound port
        if options.get("http_port") is not None and options["http_port"] == self.http_port:
            options["http_port"] = self._options.get("http_port")  # the bound port
        self._apply({**self._options, **options})

    def _replace_options(self, options: Mapping[str, Any]) -> None:
        """Reload with ``options`` as the whole configuration: what is not given returns to
        its default (the command line's SIGHUP, which rereads the config file, as
        nats-server does). Hooks are kept."""
        kept = {name: self._options.get(name) for name in MONITORING_OPTIONS}
        self._apply(check_options({**kept, **options}, "reload()"))

    def _apply(self, options: dict[str, Any]) -> None:
        for name, label in (("http_port", "HTTPPort"), ("http_host", "HTTPHost")):
            old, new = self._options.get(name), options.get(name)
            if old != new:  # the monitor is bound at start
                raise ConfigError(
                    f"config reload not supported for {label}: "
                    f"old={'' if old is None else old}, new={'' if new is None else new}"
                )
        self._native.reload(_native_options(options))
        self._options = options

    def lame_duck(self, duration: float = 120.0, grace: float = 10.0) -> None:
        """Lame duck mode, then stop: blocks until every client is gone.

        Stops accepting, sends protocol-1 clients an ``INFO`` with ``"ldm": true`` (so they
        reconnect elsewhere), waits ``grace`` seconds, then closes the clients spread over
        the remaining ``duration - grace`` seconds (at most a second apart), as nats-server
        does on SIGUSR2.
        """
        self._native.lame_duck(duration, grace)
        self.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until :meth:`stop` is called (from another thread or a signal handler).

        Waits in short slices so KeyboardInterrupt is delivered promptly. Returns whether the
        server has stopped.
        """
        remaining = timeout
        while not self._stopped.is_set():
            step = 0.2 if remaining is None else min(0.2, remaining)
            if step <= 0:
                break
            self._stopped.wait(step)
            if remaining is not None:
                remaining -= step
        return self._stopped.is_set()

    def serve(self) -> None:
        """Start (if needed) and block until stopped; Ctrl-C stops the server."""
        if not self.running:
            self.start()
        try:
            self.wait()
        finally:
            self.stop()

    # introspection ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._native.running

    @property
    def host(self) -> str:
        return self._native.host

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        return self._native.port

    @property
    def cluster_port(self) -> int | None:
        """The route listener's port (the bound one once started), or None without a
        cluster."""
        if self._native.config().get("cluster") is None:
            return None
        return self._native.cluster_port()

    @property
    def cluster_name(self) -> str | None:
        """The cluster's name as the server runs with it (a configured one, or the one
        learned from the first peer), or None without a cluster."""
        if self._native.config().get("cluster") is None:
            return None
        return self._native.cluster_name()

    @property
    def leaf_port(self) -> int | None:
        """The port leaf nodes dial into (the bound one once started), or None when nothing
        listens for them (no ``leafnodes``, or no ``port`` in it)."""
        leafnodes = self._native.config().get("leafnodes")
        if leafnodes is None or leafnodes.get("port") is None:
            return None
        return self._native.leaf_port()

    @property
    def ws_port(self) -> int | None:
        """The WebSocket listener's port (the bound one once started), or None without
        ``websocket``."""
        if self._native.config().get("websocket") is None:
            return None
        return self._native.ws_port()

    @property
    def ws_url(self) -> str | None:
        """A ``ws://`` (``wss://`` with TLS) URL WebSocket clients can connect to (loopback
        when bound to all interfaces), or None without ``websocket``."""
        websocket = self._native.config().get("websocket")
        port = self.ws_port
        if websocket is None or port is None:
            return None
        scheme = "wss" if websocket.get("tls") else "ws"
        return f"{scheme}://{_client_host(websocket.get('host') or '')}:{port}"

    @property
    def url(self) -> str:
        """A ``nats://`` URL clients can connect to (loopback when bound to all interfaces)."""
        return f"nats://{_client_host(self.host)}:{self.port}"

    @property
    def server_id(self) -> str | None:
        return self._native.server_id

    @property
    def server_name(self) -> str | None:
        return self._native.server_name

    def config(self) -> dict[str, Any]:
        """The effective options."""
        return self._native.config()

    def stats(self) -> dict[str, int | float]:
        """Counters: in/out msgs and bytes, connections, subscriptions, slow consumers, ..."""
        return self._native.stats()

    # in-process messaging ----------------------------------------------------------------
    def publish(
        self,
        subject: str,
        data: bytes | str = b"",
        *,
        reply: str | None = None,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        user: str | None = None,
    ) -> int:
        """Publish a message from this process, without a client library or a socket.

        Subscribers get it exactly as if a connected client had sent ``PUB``/``HPUB``
        (wildcards, queue groups, headers, the reply subject). ``data`` as ``str`` is sent
        UTF-8 encoded; ``headers`` maps names to a value or a list of values. Returns how
        many subscribers got the message (each queue group counts once). Raises
        ``ValueError`` for an invalid subject or reply subject (they must be literal) or a
        message over ``max_payload``, and ``RuntimeError`` when the server is not running.
        With ``user`` (a user configured in ``authorization``), the message is published as
        that user: its publish permissions apply, and a subject they do not allow raises
        :class:`fastnats.PermissionsViolation` with nats-server's text; without it the
        process acts as the server itself, unrestricted.
        """
        payload = data.encode() if isinstance(data, str) else bytes(data)
        block = None if not headers else _header_block(headers)
        return self._native.publish(subject, payload, reply, block, user)

    def subscribe(
        self,
        subject: str,
        handler: Handler,
        *,
        queue: str | None = None,
        max_pending: int | None = None,
        user: str | None = None,
    ) -> Subscription:
        """Subscribe ``handler`` to ``subject`` in this process, without a socket.

        ``handler(msg)`` (a plain or ``async def`` function; ``msg`` has ``subject``,
        ``reply``, ``data``, ``headers``) is called for each message, in order, on a server
        thread; returning ``bytes`` or ``str`` answers a request. Wildcards work as for any
        subscriber, and ``queue`` joins a queue group shared with clients on the wire (each
        message goes to one member). Messages reach Python in batches; the network threads
        never wait for the handler: past ``max_pending`` bytes waiting (default: the
        server's ``max_pending``) the subscription is closed as a slow consumer
        (``Subscription.closed`` says so). A handler's exception is logged on
        ``fastnats.hooks`` and the next message goes on. Raises ``ValueError`` for an invalid
        subject, ``RuntimeError`` when the server is not running. With ``user``, the
        subscription is that configured user's: its subscribe permissions apply (a subject
        they deny raises :class:`fastnats.PermissionsViolation`, deliveries a deny entry
        covers are filtered) and answers are published as that user.
        """
        check_callable(handler, "handler")

        def respond(reply: str, data: bytes) -> None:
            self._native.publish(reply, data, None, None, user)

        callback = batch_callback(handler, self._hooks.call, respond)
        native = self._native.subscribe(subject, callback, queue, max_pending, user)
        return Subscription(native, subject, queue, self._subscriptions)

    def request(
        self,
        subject: str,
        data: bytes | str = b"",
        *,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        timeout: float = 1.0,
        user: str | None = None,
    ) -> Msg:
        """Send a request from this process and wait for the first reply (blocking).

        Raises :class:`fastnats.NoRespondersError` when nobody subscribes to ``subject``
        and ``TimeoutError`` when no reply comes within ``timeout`` seconds. With ``user``,
        the request and its reply inbox are that user's (see :meth:`publish`). In a
        coroutine, use :meth:`arequest`.
        """
        import queue as queue_module

        replies: queue_module.Queue[Msg] = queue_module.Queue(maxsize=1)

        def on_reply(msg: Msg) -> None:
            try:
                replies.put_nowait(msg)
            except queue_module.Full:  # a second reply: the first one won
                pass

        with self._inbox(on_reply, user) as inbox:
            self._send_request(subject, data, inbox, headers, user)
            try:
                return replies.get(timeout=timeout)
            except queue_module.Empty:
                raise TimeoutError(f"no reply on {subject!r} within {timeout} s") from None

    async def arequest(
        self,
        subject: str,
        data: bytes | str = b"",
        *,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        timeout: float = 1.0,
        user: str | None = None,
    ) -> Msg:
        """:meth:`request` for coroutines: waits without blocking the event loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Msg] = loop.create_future()

        def settle(msg: Msg) -> None:
            if not reply.done():
                reply.set_result(msg)

        def on_reply(msg: Msg) -> None:
            loop.call_soon_threadsafe(settle, msg)

        with self._inbox(on_reply, user) as inbox:
            self._send_request(subject, data, inbox, headers, user)
            try:
                return await asyncio.wait_for(reply, timeout)
            except asyncio.TimeoutError:
                raise TimeoutError(f"no reply on {subject!r} within {timeout} s") from None

    @contextlib.contextmanager
    def _inbox(self, on_reply: Callable[[Msg], None], user: str | None) -> Iterator[str]:
        """A fresh reply subject subscribed to ``on_reply`` for the duration."""
        inbox = f"_INBOX.{os.urandom(11).hex()}"
        sub = self.subscribe(inbox, on_reply, user=user)
        try:
            yield inbox
        finally:
            sub.unsubscribe()

    def _send_request(
        self,
        subject: str,
        data: bytes | str,
        inbox: str,
        headers: Mapping[str, str | Sequence[str]] | None,
        user: str | None,
    ) -> None:
        if self.publish(subject, data, reply=inbox, headers=headers, user=user) == 0:
            raise NoRespondersError(f"no responders on {subject!r}")

    # monitoring (fastnats.monitor) ------------------------------------------------------
    @property
    def http_port(self) -> int | None:
        """The monitoring port (the bound one once started), or None when monitoring is off."""
        if self._monitor_listener is not None:
            return self._monitor_listener.port
        return self._http_port

    @property
    def http_host(self) -> str | None:
        """The monitoring address (``host`` unless ``http_host`` was given), or None when off."""
        if self._http_port is None:
            return None
        return self.host if self._http_host is None else self._http_host

    def varz(self) -> dict[str, Any]:
        """``/varz`` as a dict: identity, limits, usage, counters (nats-server's fields)."""
        return self._monitoring().varz()

    def connz(self, **params: Any) -> dict[str, Any]:
        """``/connz`` as a dict. Parameters as the endpoint's: ``sort``, ``subs`` (bool or
        ``"detail"``), ``offset``, ``limit``, ``cid``, ``state`` (``open``/``closed``/``all``),
        ``auth``. A bad value raises ``ValueError`` with nats-server's message."""
        return self._monitoring().connz(**params)

    def routez(self, **params: Any) -> dict[str, Any]:
        """``/routez`` as a dict: the route connections to the cluster's other servers.
        Parameter: ``subs`` (bool or ``"detail"``)."""
        return self._monitoring().routez(**params)

    def leafz(self, **params: Any) -> dict[str, Any]:
        """``/leafz`` as a dict: the leaf node connections (to hubs and from leaf nodes).
        Parameters: ``subs`` (bool), ``acc`` (only that account's connections)."""
        return self._monitoring().leafz(**params)

    def subsz(self, **params: Any) -> dict[str, Any]:
        """``/subsz`` as a dict. Parameters: ``subs``, ``offset``, ``limit``, ``test``, ``acc``."""
        return self._monitoring().subsz(**params)

    def accountz(self, **params: Any) -> dict[str, Any]:
        """``/accountz`` as a dict: the accounts' names, or with ``acc`` one's detail."""
        return self._monitoring().accountz(**params)

    def accstatz(self, **params: Any) -> dict[str, Any]:
        """``/accstatz`` as a dict: per-account counts; ``unused`` lists idle accounts too."""
        return self._monitoring().accstatz(**params)

    def jsz(self, **params: Any) -> dict[str, Any]:
        """``/jsz`` as a dict: JetStream's usage (``disabled`` without it); ``accounts``,
        ``streams``, ``consumers``, ``config``, ``acc``, ``offset``, ``limit`` as the
        endpoint's query."""
        return self._monitoring().jsz(**params)

    def metrics(self) -> str:
        """``/metrics``: the figures in Prometheus text format."""
        return self._monitoring().metrics()

    def _monitoring(self) -> Monitor:
        if self._monitor is None:
            from .monitor import Monitor

            self._monitor = Monitor(self._native)
        return self._monitor

    def _start_system_services(self) -> None:
        """Answers the system account's monitoring requests (see :mod:`fastnats.system`)."""
        if self._native.system_account() is None:
            return  # no_system_account, or operator mode naming none
        from .system import SystemServices

        self._system = SystemServices(self._native, self._monitoring)
        self._system.start()

    def _start_monitoring(self) -> None:
        from .monitor.http import MonitorListener

        monitor = self._monitoring()
        host = self.http_host or ""
        port = self._http_port or 0
        try:
            listener = MonitorListener(monitor, host, port)
        except OSError as e:
            shown = host or "0.0.0.0"
            if ":" in shown:
                shown = f"[{shown}]"
            raise BindError(
                e.errno,
                f"can not listen for monitoring on {shown}:{port}: {e.strerror or e}",
            ) from e
        monitor.http_host, monitor.http_port = host, listener.port
        self._monitor_listener = listener.start()

    def _stop_monitoring(self) -> None:
        listener, self._monitor_listener = self._monitor_listener, None
        if listener is not None:
            listener.stop()

    # context managers ------------------------------------------------------------------
    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Server:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stopping waits for connections to flush: keep the event loop free meanwhile.
        # asyncio is imported here, not at module level: it is only needed in async code
        # (where it is loaded already) and costs the CLI tens of milliseconds at startup.
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<fastnats.Server {self.url} {state}>"
