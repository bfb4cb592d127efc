"""The embeddable server: `fastnats.Server`.

A thin wrapper over the native handle that adds Python conveniences: keyword options checked
against the Rust defaults, a context manager (sync and async), `url`, and a blocking
`wait()`/`serve()` that stays responsive to Ctrl-C.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _fastnats, logs
from .hooks import AuthHook, EventHook, HookRunner, PluginContext, check_callable, load_plugins
from .tls import apply_tls_defaults

if TYPE_CHECKING:  # the monitor package is imported only when monitoring is used
    from .monitor import Monitor
    from .monitor.http import MonitorListener


def default_config() -> dict[str, Any]:
    """Every option with its default (read from the Rust config, the one place they live)."""
    return _fastnats.default_config()


def _native_options(options: dict[str, Any]) -> dict[str, Any]:
    """Checks option names against the Rust defaults (an unknown keyword is a ``TypeError``,
    as for any function). The values go to the engine as given: it reads nats-server's forms
    and refuses unknown keys inside them (:class:`fastnats.ConfigError` naming the path)."""
    unknown = sorted(set(options) - set(default_config()))
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(unknown)}")
    if options.get("port") == -1:
        options["port"] = 0
    apply_tls_defaults(options)
    return options


class Server:
    """A fastnats server running in this process.

    Options are keyword arguments named as in nats-server's config (``host``, ``port``,
    ``server_name``, ``max_payload``, ``max_control_line``, ``max_pending``,
    ``max_connections``, ``max_subscriptions``, ``ping_interval`` and ``write_deadline`` in
    seconds, ``ping_max``, ``worker_threads``, ...); see :func:`default_config`. ``port=0``
    (or ``-1``, as on nats-server's command line) picks a free port: read it from ``.port``.

    ``http_port`` turns on the monitoring endpoints (``/varz``, ``/connz``, ``/subsz``,
    ``/healthz``, ``/metrics``) on ``http_host`` (default: ``host``); ``0`` or ``-1`` picks
    a free port, read it from ``.http_port``.

    ``tls={"cert_file": ..., "key_file": ..., "ca_file": ..., "verify": bool, "timeout":
    seconds, "handshake_first": bool}`` requires TLS of every client (see
    :mod:`fastnats.tls`).

    ``authorization`` takes nats-server's block as a dict (see the README's Security
    section). A bad option value, an unknown key inside a dict option
    (``authorization.users[0].permissions: unknown key "publsh"``) or a certificate or key
    that can not be used raises :class:`fastnats.ConfigError` (a ``ValueError``) naming the
    key or the file; an unknown keyword option or a hook that is not callable raises
    ``TypeError``.

    ``log_level`` (``"trace"``, ``"debug"``, ``"info"``, ``"warning"``, ``"error"``,
    ``"critical"`` or a :mod:`logging` level number) sets what the engine logs at all
    (process-wide); lines go to the ``fastnats`` logger, whose level and handlers stay the
    application's (see :mod:`fastnats.logs`).
    """

    def __init__(
        self,
        *,
        auth: AuthHook | None = None,
        on_connect: EventHook | None = None,
        on_disconnect: EventHook | None = None,
        plugins: Iterable[str] = (),
        log_level: str | int | None = None,
        **options: Any,
    ) -> None:
        if log_level is not None:
            logs.set_engine_level(log_level)
        # Hooks (fastnats.hooks): ``auth`` decides every CONNECT (built-in authorization is
        # then not consulted); plugins named here register more hooks.
        for parameter, hook in (
            ("auth", auth),
            ("on_connect", on_connect),
            ("on_disconnect", on_disconnect),
        ):
            if hook is not None:
                check_callable(hook, parameter)
        ctx = PluginContext()
        if auth is not None:
            ctx.add_auth_hook(auth)
        if on_connect is not None:
            ctx.add_on_connect(on_connect)
        if on_disconnect is not None:
            ctx.add_on_disconnect(on_disconnect)
        load_plugins(plugins, ctx)
        self._hooks = HookRunner()
        # Monitoring lives in Python (fastnats.monitor): not options of the native server.
        self._http_host: str | None = options.pop("http_host", None)
        http_port = options.pop("http_port", None)
        self._http_port: int | None = None if http_port is None else max(int(http_port), 0)
        self._monitor: Monitor | None = None
        self._monitor_listener: MonitorListener | None = None
        self._native = _fastnats.NativeServer(
            _native_options(options),
            auth_hook=self._hooks.auth(ctx.auth_hooks),
            on_connect=self._hooks.events(ctx.on_connect),
            on_disconnect=self._hooks.events(ctx.on_disconnect),
        )
        self._stopped = threading.Event()
        self._stopped.set()

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> Server:
        """Bind and start serving; returns once connections are accepted.

        Raises :class:`fastnats.BindError` (an ``OSError`` with ``errno``) naming the
        address when it can not be bound.
        """
        self._native.start()
        logs.attach()
        if self._http_port is not None:
            try:
                self._start_monitoring()
            except BaseException:
                self._native.stop()
                logs.detach()
                raise
        self._stopped.clear()
        return self

    def stop(self) -> None:
        """Close every client (flushing what is queued to it) and stop. Idempotent."""
        self._stop_monitoring()
        was_running = not self._stopped.is_set()
        self._native.stop()
        self._hooks.close()  # after the native stop: no hook can be called any more
        if was_running:
            logs.detach()  # after the hooks: their last lines are handed to logging too
        self._stopped.set()

    def reload(self, **options: Any) -> None:
        """Applies new options to the running server, as SIGHUP does for the CLI.

        Options not given take their defaults, as in the constructor. Limits, keep-alive,
        write deadline and shutdown grace apply at once (connections pick them up at their
        next read; lowering ``max_connections`` closes the excess clients). A change to an
        option fixed at start (``host``, ``port``, ``server_name``, ``worker_threads``,
        ``no_header_support``, ``disable_sublist_cache``) raises
        :class:`fastnats.ConfigError` (a ``ValueError``) with nats-server's message
        (``config reload not supported for Port: old=..., new=...``) and changes nothing.
        """
        self._native.reload(_native_options(options))

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
    def url(self) -> str:
        """A ``nats://`` URL clients can connect to (loopback when bound to all interfaces)."""
        host = self.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"nats://{host}:{self.port}"

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

    def subsz(self, **params: Any) -> dict[str, Any]:
        """``/subsz`` as a dict. Parameters: ``subs``, ``offset``, ``limit``, ``test``."""
        return self._monitoring().subsz(**params)

    def metrics(self) -> str:
        """``/metrics``: the figures in Prometheus text format."""
        return self._monitoring().metrics()

    def _monitoring(self) -> Monitor:
        if self._monitor is None:
            from .monitor import Monitor

            self._monitor = Monitor(self._native)
        return self._monitor

    def _start_monitoring(self) -> None:
        from .monitor.http import MonitorListener

        monitor = self._monitoring()
        host = self.http_host or ""
        listener = MonitorListener(monitor, host, self._http_port or 0)
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
