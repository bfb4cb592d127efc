"""A ``fastnats`` server process: what ``fastnats [serve]`` does after parsing its flags.

1. Settings: the config file (``-c``) with the command line on top (:mod:`fastnats.settings`).
   A bad file is one line ``fastnats: file:line:col: message`` and exit code 1.
2. Logging (:mod:`fastnats.logs`), then nats-server's start-up lines: ``Starting
   nats-server``, ``Version``, ``Git``, ``Name``, ``ID``, ``Using configuration file``,
   ``Listening for client connections on HOST:PORT``, ``Server is ready``; with a cluster
   also ``Cluster``, ``Cluster name is NAME`` and ``Listening for route connections on
   HOST:PORT``; with a leaf node listener ``Listening for leafnode connections on HOST:PORT``
   (and ``Advertise address for leafnode is set to HOST:PORT``) before the client line, as
   nats-server; with a WebSocket listener the engine logs ``Listening for websocket clients
   on ws://HOST:PORT`` (and nats-server's warning without TLS) before those. A fatal
   start-up error is ``[FTL] <reason>`` and exit code 1.
3. The pid file before listening, the ports file once ready (:mod:`fastnats.files`).
4. Signals, trapped in Python and handled by the main thread, which waits in short slices:

   * SIGINT: shut down, exit 0. SIGTERM: the same, unless in lame duck mode (ignored then).
   * SIGHUP: reload the config file (and re-apply the command line). Every reloadable option
     is applied, each change logged as ``Reloaded: key = value``, then ``Reloaded server
     configuration``; on any error ``[ERR] Failed to reload server configuration: ...`` and
     the old settings stay.
   * SIGUSR1: reopen the log file (rotation).
   * SIGUSR2: lame duck mode (``lame_duck_duration``/``lame_duck_grace_period``, 2m/10s by
     default), then exit 0.
"""

from __future__ import annotations

import sys
import threading

from . import files, logs
from .gocompat import format_float
from .settings import Options, Settings, SettingsError, load_settings, server_kwargs
from .signals import GO_NAMES, Trap

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only (typing is not imported at run time)
    import signal
    from typing import Any

    from .server import Server  # _new_server imports it
else:
    import _signal as signal  # as in fastnats.signals: without the enum wrappers

_DURATION_KEYS = {
    "ping_interval",
    "write_deadline",
    "shutdown_grace",
    "lame_duck_duration",
    "lame_duck_grace_period",
}


def _print_error(message: str) -> None:
    print(f"fastnats: {message}", file=sys.stderr)


def _only_fastnats(settings: Settings) -> bool:
    """Whether no user code runs in this process (no auth hook, no plugin): then the CLI's
    lines need not go through :mod:`logging` (see :func:`fastnats.logs.configure`)."""
    return not settings.misc.get("auth_hook") and not settings.misc.get("plugins")


def _new_server(settings: Settings) -> Server:
    """The server, with the Python hooks the settings name (``auth_hook``, ``plugins``).

    A hook that can not be imported or a plugin that is missing or fails is a
    :class:`SettingsError` (one line, exit code 1)."""
    from .errors import PluginError
    from .server import Server

    try:
        return Server(**server_kwargs(settings))
    except PluginError as e:
        raise SettingsError(str(e)) from e


def check_config(opts: Options) -> int:
    """``-t``: checks the config file (and what fastnats would make of it), exits 0 or 1."""
    if not opts.config_file:
        _print_error("must specify [-c, --config] option to check configuration file syntax")
        return 1
    try:
        settings = load_settings(opts)
        if settings.warnings:  # nats-server -t fails on warnings too
            raise ValueError(settings.warnings[0])
        _new_server(settings)  # the engine's own checks (limits), without binding
    except (TypeError, ValueError) as e:
        _print_error(str(e))
        return 1
    digest = f" (sha256:{settings.digest})" if settings.digest else ""
    print(
        f"fastnats: configuration file {opts.config_file} is valid{digest}",
        file=sys.stderr,
    )
    return 0


def run(opts: Options) -> int:
    """Serves until a signal stops it; returns the exit code."""
    try:
        settings = load_settings(opts)
    except ValueError as e:
        _print_error(str(e))
        return 1
    try:
        logs.configure(settings.logging, direct=_only_fastnats(settings))
    except (OSError, ValueError) as e:
        _print_error(f"error setting up logging: {e}")
        return 1
    try:
        server = _new_server(settings)
    except (TypeError, ValueError) as e:
        _print_error(str(e))
        return 1
    return _Process(opts, settings, server).serve()


def _auth_changes(old: Any, new: Any) -> list[str]:
    """nats-server's reload lines for the authorization block; secrets are never logged."""
    from ._fastnats import normalize_authorization

    before = normalize_authorization(old or {})
    after = normalize_authorization(new or {})
    lines = []
    for key, line in (("user", "username"), ("password", "password"), ("token", "token")):
        if before.get(key) != after.get(key):
            lines.append(f"authorization {line}")
    timeout = after.get("timeout", 2.0)
    if before.get("timeout", 2.0) != timeout:
        lines.append(f"authorization timeout = {format_float(float(timeout))}")
    for nkeys, line in ((False, "users"), (True, "nkey users")):
        if [u for u in before.get("users", []) if ("nkey" in u) == nkeys] != [
            u for u in after.get("users", []) if ("nkey" in u) == nkeys
        ]:
            lines.append(f"authorization {line}")
    if before.get("default_permissions") != after.get("default_permissions"):
        if "authorization users" not in lines:  # they apply to the users: nats-server's line
            lines.append("authorization users")
    return lines


def _check_no_auth_user_reload(old: Any, new: Any) -> None:
    """nats-server does not reload a changed ``no_auth_user``, except to drop one whose
    user is gone too."""
    before = (old or {}).get("no_auth_user") or ""
    after = (new or {}).get("no_auth_user") or ""
    if before == after:
        return
    users = {u.get("user") for u in (new or {}).get("users") or []}
    if before and not after and before not in users:
        return
    raise SettingsError(f"config reload not supported for NoAuthUser: old={before}, new={after}")


def _format(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in _DURATION_KEYS and isinstance(value, (int, float)):
        from .conf.units import format_duration

        return format_duration(float(value))
    if isinstance(value, float):
        return format_float(value)  # Go's %v
    return str(value)


class _Process:
    """The running server and everything around it (files, signals, reloads)."""

    def __init__(self, opts: Options, settings: Settings, server: Server) -> None:
        self.opts = opts
        self.settings = settings
        self.server = server
        self.trap = Trap()
        self.pid_file: str | None = None
        self.ports_file: str | None = None
        self.lame_duck: threading.Thread | None = None
        self.lame_duck_done = threading.Event()

    # start -------------------------------------------------------------------------------
    def serve(self) -> int:
        self.trap.install()
        try:
            if not self.start():
                return 1
            self.wait()
            self.shutdown()
            return 0
        finally:
            self.trap.restore()
            self.remove_files()

    def start(self) -> bool:
        from ._fastnats import COMPATIBLE_NATS_VERSION, __version__

        logs.info("Starting nats-server")
        logs.info(f"  Version:  {COMPATIBLE_NATS_VERSION}")
        logs.info("  Git:      [not set]")
        logs.info(f"  fastnats: {__version__}")
        logs.debug(f"  Python:   {sys.version.split()[0]}")
        pid_file = self.settings.misc.get("pid_file")
        if pid_file:
            try:
                files.write_pid_file(pid_file)
            except OSError as e:
                logs.fatal(f"Could not write pidfile: {e}")
                return False
            self.pid_file = pid_file
        try:
            self.server.start()
        except OSError as e:
            logs.fatal(f"Error listening on port: {e}")
            return False
        except (ValueError, RuntimeError) as e:  # refused only at start: "Can't start JetStream"
            logs.fatal(str(e))
            return False
        cluster = self.settings.server.get("cluster")
        if cluster is not None:
            logs.info(f"  Cluster:  {self.server.cluster_name}")
        logs.info(f"  Name:     {self.server.server_name}")
        logs.info(f"  ID:       {self.server.server_id}")
        if self.settings.config_file:
            digest = f" (sha256:{self.settings.digest})" if self.settings.digest else ""
            logs.info(f"Using configuration file: {self.settings.config_file}{digest}")
        for warning in self.settings.warnings:
            logs.warn(warning)
        for note in self.settings.notes:
            logs.info(note)
        if self.server.http_port is not None:
            logs.info(f"Starting http monitor on {self.server.http_host}:{self.server.http_port}")
        self.log_leafnodes(self.settings.server.get("leafnodes"))
        logs.info(f"Listening for client connections on {self.server.host}:{self.server.port}")
        tls = self.settings.server.get("tls")
        if tls:
            if self.settings.server.get("allow_non_tls") and not tls.get("handshake_first"):
                logs.info("TLS available for client connections")
            else:
                logs.info("TLS required for client connections")
            if tls.get("handshake_first"):
                logs.warn(
                    'Clients that are not using "TLS Handshake First" option will fail to connect'
                )
        logs.info("Server is ready")
        if cluster is not None:
            self.log_cluster(cluster)
        self.write_ports_file(self.settings.misc.get("ports_file_dir"))
        return True

    def log_cluster(self, cluster: dict[str, Any]) -> None:
        """nats-server's lines once routing starts (name, dynamic-name warning, listener)."""
        logs.info(f"Cluster name is {self.server.cluster_name}")
        if not cluster.get("name"):
            logs.warn("Cluster name was dynamically generated, consider setting one")
        host = cluster.get("host", "0.0.0.0")
        if ":" in host:
            host = f"[{host}]"
        logs.info(f"Listening for route connections on {host}:{self.server.cluster_port}")

    def log_leafnodes(self, leafnodes: dict[str, Any] | None) -> None:
        """nats-server's line once the leaf node listener listens (none for a leaf only)."""
        port = self.server.leaf_port
        if leafnodes is None or port is None:
            return
        host = leafnodes.get("host", "0.0.0.0")
        if ":" in host:
            host = f"[{host}]"
        logs.info(f"Listening for leafnode connections on {host}:{port}")
        advertise = leafnodes.get("advertise")
        if advertise:
            shown = _advertised(advertise, port)
            if shown is not None:
                logs.info(f"Advertise address for leafnode is set to {shown}")

    # files -------------------------------------------------------------------------------
    def write_ports_file(self, directory: str | None) -> None:
        if not directory:
            return
        scheme = "tls" if self.settings.server.get("tls") else "nats"
        ports = {"nats": files.client_urls(self.server.host, self.server.port, scheme)}
        if self.server.http_port is not None:
            host = self.server.http_host or ""
            ports["monitoring"] = files.client_urls(host, self.server.http_port, "http")
        cluster = self.settings.server.get("cluster")
        cluster_port = self.server.cluster_port
        if cluster is not None and cluster_port:
            scheme = "tls" if cluster.get("tls") else "nats"
            ports["cluster"] = files.client_urls(cluster.get("host", ""), cluster_port, scheme)
        websocket = self.settings.server.get("websocket")
        ws_port = self.server.ws_port
        if websocket is not None and ws_port:
            scheme = "wss" if websocket.get("tls") else "ws"
            ports["websocket"] = files.client_urls(websocket.get("host", ""), ws_port, scheme)
        path = files.ports_file_path(directory)
        try:
            self.ports_file = files.write_ports_file(directory, ports)
        except OSError as e:
            logs.error(f"Error writing ports file ({path}): {e}")

    def remove_files(self) -> None:
        if self.ports_file:
            files.remove_file(self.ports_file)
            self.ports_file = None
        if self.pid_file:
            files.remove_pid_file(self.pid_file)
            self.pid_file = None

    # the main loop -----------------------------------------------------------------------
    def wait(self) -> None:
        """Handles signals until one asks to stop (or lame duck mode has finished)."""
        while True:
            signum = self.trap.get(0.25)
            if self.lame_duck_done.is_set():
                return
            if not signum:
                continue
            logs.info(f'Trapped "{GO_NAMES.get(signum, str(signum))}" signal')
            if signum == signal.SIGINT:
                return
            if signum == signal.SIGTERM:
                if self.lame_duck is None:
                    return
            elif signum == signal.SIGHUP:
                self.reload()
            elif signum == signal.SIGUSR1:
                self.reopen_log()
            elif signum == signal.SIGUSR2:
                self.enter_lame_duck()

    def shutdown(self) -> None:
        logs.info("Initiating Shutdown...")
        self.server.stop()  # also ends a lame duck mode running on its thread
        if self.lame_duck is not None:
            # Let that thread leave native code before the interpreter finalizes: a thread
            # still inside the extension at exit would be torn down mid-call (SIGABRT).
            self.lame_duck.join(timeout=5)
        logs.info("Server Exiting..")

    # SIGUSR1 -----------------------------------------------------------------------------
    def reopen_log(self) -> None:
        if not self.settings.logging.get("logfile"):
            logs.info("File log re-open ignored, not a file logger")
            return
        try:
            logs.reopen()
        except OSError as e:
            logs.error(f"Error re-opening log file: {e}")
            return
        logs.info("File log re-opened")

    # SIGUSR2 -----------------------------------------------------------------------------
    def enter_lame_duck(self) -> None:
        if self.lame_duck is not None:
            return
        duration = self.settings.lame_duck_duration
        grace = self.settings.lame_duck_grace_period
        self.lame_duck = threading.Thread(
            target=self._lame_duck, args=(duration, grace), name="fastnats-lame-duck", daemon=True
        )
        self.lame_duck.start()

    def _lame_duck(self, duration: float, grace: float) -> None:
        try:
            self.server.lame_duck(duration, grace)
        except Exception as e:  # noqa: BLE001 - reported, then the process still exits
            logs.error(f"Lame duck mode failed: {e}")
        finally:
            self.lame_duck_done.set()
            self.trap.wake()

    # SIGHUP ------------------------------------------------------------------------------
    def reload(self) -> None:
        if not self.opts.config_file:
            logs.error(
                "Failed to reload server configuration: can only reload config when a file "
                "is provided using -c or --config"
            )
            return
        old = self.settings
        try:
            new = load_settings(self.opts)
            for key, name in (("http_port", "HTTPPort"), ("http_host", "HTTPHost")):
                if old.misc.get(key) != new.misc.get(key):  # the monitor is bound at start
                    raise SettingsError(
                        f"config reload not supported for {name}: "
                        f"old={old.misc.get(key, '')}, new={new.misc.get(key, '')}"
                    )
            _check_no_auth_user_reload(
                old.server.get("authorization"), new.server.get("authorization")
            )
            for key in ("auth_hook", "plugins"):  # the hooks are fixed at start
                if old.misc.get(key) != new.misc.get(key):
                    raise SettingsError(
                        f"config reload not supported for {key}: "
                        f"old={old.misc.get(key)}, new={new.misc.get(key)}"
                    )
            self.server._replace_options(new.server)
        except (TypeError, ValueError, RuntimeError) as e:
            logs.error(f"Failed to reload server configuration: {e}")
            return
        self.settings = new
        for warning in new.warnings:
            logs.warn(warning)
        if logs.output_changed(old.logging, new.logging):
            try:
                logs.configure(new.logging, direct=_only_fastnats(new))
            except (OSError, ValueError) as e:
                logs.error(f"Failed to reload logging: {e}")
        self.reload_files(old, new)
        for line in self.changes(old, new):
            logs.info(f"Reloaded: {line}")
        digest = f" (sha256:{new.digest})" if new.digest else ""
        logs.info(f"Reloaded server configuration{digest}")

    def reload_files(self, old: Settings, new: Settings) -> None:
        pid_file = new.misc.get("pid_file")
        if pid_file != old.misc.get("pid_file"):
            if self.pid_file:
                files.remove_pid_file(self.pid_file)
                self.pid_file = None
            if pid_file:
                try:
                    files.write_pid_file(pid_file)
                    self.pid_file = pid_file
                except OSError as e:
                    logs.error(f"Could not write pidfile: {e}")
        directory = new.misc.get("ports_file_dir")
        if directory != old.misc.get("ports_file_dir"):
            if self.ports_file:
                files.remove_file(self.ports_file)
                self.ports_file = None
            self.write_ports_file(directory)

    def changes(self, old: Settings, new: Settings) -> list[str]:
        """``key = value`` for every setting the reload changed."""
        from .server import default_config

        defaults = default_config()
        lines = []
        old_server = {**defaults, **old.server}
        new_server = {**defaults, **new.server}
        for key in sorted(new_server):
            if key == "authorization":
                lines += _auth_changes(old_server.get(key), new_server.get(key))
            elif key == "tls":
                from .tls import tls_changes

                lines += tls_changes(old_server.get(key), new_server.get(key))
            elif new_server[key] != old_server.get(key):
                lines.append(f"{key} = {_format(key, new_server[key])}")
        for group in ("logging", "misc"):
            before: dict[str, Any] = getattr(old, group)
            after: dict[str, Any] = getattr(new, group)
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    lines.append(f"{key} = {_format(key, after.get(key, ''))}")
        return lines


def _advertised(advertise: str, port: int) -> str | None:
    """nats-server's ``parseHostPort(advertise, port)`` as ``host:port`` (the bound port
    where the address has none, or 0 or -1); None when it does not parse."""
    from .gocompat import NumError, atoi, split_host_port

    try:
        host, text = split_host_port(advertise)
    except ValueError as e:
        if "missing port" not in str(e):
            return None
        host, text = advertise, str(port)
    try:
        given = atoi(text.strip())
    except NumError:
        return None
    host = host.strip()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port if given in (0, -1) else given}"
