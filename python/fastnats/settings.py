"""The effective settings of a ``fastnats`` process: the config file with the command line on
top, checked for what fastnats does not have.

:class:`Options` is what the command line asked for (:mod:`fastnats.cli` parses argv into
it), :func:`load_settings` lays it over the config file, and :mod:`fastnats.runner` serves
the resulting :class:`Settings`. This module imports neither of them.

As in nats-server, every flag given on the command line overrides the file (``-D=false``
switches off a ``debug: true`` from the file; ``-p 0`` means the default port 4222 whatever
the file says, ``-p -1`` a random one). The same merge runs again on reload (SIGHUP), so
command-line values survive reloads.
"""

from __future__ import annotations

from ._record import Record as _Record
from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DEFAULT_LAME_DUCK_DURATION = 120.0
DEFAULT_LAME_DUCK_GRACE_PERIOD = 10.0

# Keys of the config file's "misc" group that switch on something fastnats does not have yet.
_UNSUPPORTED_MISC = {
    "https_port": "HTTPS monitoring",
    "http_base_path": "a monitoring base path",
    "client_advertise": "advertising a client URL",
}


class SettingsError(ConfigError):
    """Settings fastnats can not run with: one line, exit code 1 (or a failed reload).

    A :class:`fastnats.errors.ConfigError`, so a ``ValueError``, like the config file's own
    :class:`fastnats.conf.ConfigError`."""


class Options(_Record):
    """What the command line asked for (:func:`fastnats.cli.parse_args` fills it in).

    ``server``, ``logging`` and ``misc`` hold only the flags that were given, with the key
    names of :class:`fastnats.conf.ServerConfig` (so they can be laid over a config file).
    ``server["port"]`` is the port as written: ``-1`` random, ``0`` nats-server's default.

    ``unsupported``: one message per flag that switches on something fastnats does not have.
    ``tls``: the ``--tls*`` flags given: ``tls``, ``verify`` (bools), ``cert_file``,
    ``key_file``, ``ca_file``; they replace the file's TLS settings (see
    :func:`merge_tls_flags`). ``auth``: ``--user``/``--pass``/``--auth`` as
    ``user``/``password``/``token`` (only those given non-empty, as nats-server merges them):
    laid over the file's ``authorization``. ``jetstream``: ``-js``/``--jetstream`` (None: not
    given). ``store_dir``: ``-sd``/``--store_dir`` (None: not given; see
    :func:`merge_jetstream_flags`). ``cluster_listen``: ``--cluster``/``--cluster_listen``
    (None: not given; see :func:`merge_cluster_flags`). ``routes``: ``--routes`` as given, a
    comma-separated list (None: not given). ``cluster``: ``--cluster_name``,
    ``--cluster_advertise``, ``--no_advertise``, ``--connect_retries`` given, as ``name``,
    ``advertise``, ``no_advertise``, ``connect_retries``.
    """

    _FIELDS = (
        "server",
        "logging",
        "misc",
        "config_file",
        "check_config",
        "signal",
        "show_help",
        "show_version",
        "unsupported",
        "tls",
        "show_tls_help",
        "auth",
        "jetstream",
        "store_dir",
        "cluster_listen",
        "routes",
        "cluster",
    )

    def __init__(
        self,
        server: dict[str, Any] | None = None,
        logging: dict[str, Any] | None = None,
        misc: dict[str, Any] | None = None,
        config_file: str | None = None,
        check_config: bool = False,
        signal: str | None = None,
        show_help: bool = False,
        show_version: bool = False,
        unsupported: list[str] | None = None,
        tls: dict[str, Any] | None = None,
        show_tls_help: bool = False,
        auth: dict[str, str] | None = None,
        jetstream: bool | None = None,
        store_dir: str | None = None,
        cluster_listen: str | None = None,
        routes: str | None = None,
        cluster: dict[str, Any] | None = None,
    ) -> None:
        self.server: dict[str, Any] = {} if server is None else server
        self.logging: dict[str, Any] = {} if logging is None else logging
        self.misc: dict[str, Any] = {} if misc is None else misc
        self.config_file = config_file
        self.check_config = check_config
        self.signal = signal
        self.show_help = show_help
        self.show_version = show_version
        self.unsupported: list[str] = [] if unsupported is None else unsupported
        self.tls: dict[str, Any] = {} if tls is None else tls
        self.show_tls_help = show_tls_help
        self.auth: dict[str, str] = {} if auth is None else auth
        self.jetstream = jetstream
        self.store_dir = store_dir
        self.cluster_listen = cluster_listen
        self.routes = routes
        self.cluster: dict[str, Any] = {} if cluster is None else cluster


class Settings(_Record):
    """What a fastnats process runs with.

    ``server`` are :class:`fastnats.Server` keyword arguments, ``logging`` and ``misc`` use the
    keys of :class:`fastnats.conf.ServerConfig`. ``digest``: sha256 of the config file's bytes
    (nats-server prints a digest of the parsed file).
    """

    _FIELDS = ("server", "logging", "misc", "config_file", "digest", "warnings", "notes")

    def __init__(
        self,
        server: dict[str, Any] | None = None,
        logging: dict[str, Any] | None = None,
        misc: dict[str, Any] | None = None,
        config_file: str | None = None,
        digest: str | None = None,
        warnings: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.server: dict[str, Any] = {} if server is None else server
        self.logging: dict[str, Any] = {} if logging is None else logging
        self.misc: dict[str, Any] = {} if misc is None else misc
        self.config_file = config_file
        self.digest = digest
        self.warnings: list[str] = [] if warnings is None else warnings
        self.notes: list[str] = [] if notes is None else notes

    @property
    def lame_duck_duration(self) -> float:
        return float(self.misc.get("lame_duck_duration", DEFAULT_LAME_DUCK_DURATION))

    @property
    def lame_duck_grace_period(self) -> float:
        return float(self.misc.get("lame_duck_grace_period", DEFAULT_LAME_DUCK_GRACE_PERIOD))


def _sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256 (``_sha2``, ``_sha256`` before 3.12): :mod:`hashlib` would load
    OpenSSL's libcrypto for this one digest, about 4 MiB resident and 2 ms of start-up.
    The same digest; hashlib where neither module exists."""
    for name in ("_sha2", "_sha256"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        sha256: Callable[[bytes], Any] = module.sha256
        return sha256
    import hashlib

    return hashlib.sha256


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return str(_sha256()(f.read()).hexdigest())
    except OSError:
        return None


def load_settings(opts: Options) -> Settings:
    """Reads ``opts.config_file`` (if any) and lays the command line over it.

    Raises :class:`fastnats.conf.ConfigError` (``file:line:col: message``) for a bad file and
    :class:`SettingsError` for settings fastnats can not honour; both are
    :class:`fastnats.errors.ConfigError` (and ValueError).
    """
    settings = Settings()
    if opts.config_file:
        from .conf import load_config

        config = load_config(opts.config_file)
        settings.server.update(config.server)
        settings.logging.update(config.logging)
        settings.misc.update(config.misc)
        settings.warnings.extend(config.warnings)
        settings.notes.extend(config.notes)
        settings.config_file = opts.config_file
        settings.digest = _digest(opts.config_file)
    settings.server.update(opts.server)
    if opts.auth:
        settings.server["authorization"] = merge_auth_flags(
            settings.server.get("authorization"), opts.auth, settings.notes
        )
    if opts.tls:
        settings.server["tls"] = merge_tls_flags(settings.server.get("tls"), opts.tls)
    merge_jetstream_flags(settings, opts)
    merge_cluster_flags(settings, opts)
    settings.logging.update(opts.logging)
    settings.misc.update(opts.misc)
    port = opts.server.get("port")
    if port == -1:
        settings.server["port"] = 0
    elif port == 0:
        del settings.server["port"]  # nats-server's -p 0: the default port
    check(settings)
    return settings


def server_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of :class:`fastnats.Server` for ``settings``: the server options,
    monitoring (nats-server's ``http_port`` is off at 0 and a free port at -1) and the
    Python hooks named by ``auth_hook`` and ``plugins``. A hook that can not be imported is
    a :class:`SettingsError`."""
    kwargs: dict[str, Any] = dict(settings.server)
    port = settings.misc.get("http_port")
    if port:
        kwargs["http_port"] = port
        if settings.misc.get("http_host"):
            kwargs["http_host"] = settings.misc["http_host"]
    spec = settings.misc.get("auth_hook")
    if spec:
        from .hooks import resolve_callable

        try:
            kwargs["auth"] = resolve_callable(spec)
        except Exception as e:  # noqa: BLE001 - whatever importing user code raises
            raise SettingsError(f'auth_hook "{spec}": {type(e).__name__}: {e}') from e
    if settings.misc.get("plugins"):
        kwargs["plugins"] = settings.misc["plugins"]
    return kwargs


def merge_jetstream_flags(settings: Settings, opts: Options) -> None:
    """``-js`` and ``-sd`` over the file's JetStream settings, with nats-server's outcome:
    ``-js`` (``-js=false``) turns JetStream on (off) whatever the file says, and then uses
    the file's settings even from a block that did not enable it; ``-sd`` sets the store
    directory without enabling anything, and a file that sets one too is nats-server's
    ``Duplicate 'store_dir' configuration``. Leaves ``settings.server["jetstream"]`` set
    only when JetStream is on."""
    on = settings.server.pop("jetstream", None)
    off = settings.misc.pop("jetstream", None)
    options = dict(on if on is not None else off or {})
    if opts.store_dir is not None:
        if opts.store_dir and options.get("store_dir"):
            where = f"{settings.config_file}: " if settings.config_file else ""
            raise SettingsError(
                f"{where}Duplicate 'store_dir' configuration (the file sets one and so does -sd)"
            )
        options["store_dir"] = opts.store_dir
        if not opts.store_dir:
            del options["store_dir"]  # nats-server's -sd "": the default directory
    enabled = opts.jetstream if opts.jetstream is not None else on is not None
    if enabled:
        settings.server["jetstream"] = options


def _cluster_url(text: str) -> tuple[str, int, dict[str, str] | None]:
    """nats-server's ``overrideCluster``: ``(host, port, credentials)`` of a ``--cluster``
    URL (port ``-1``: random, given back as -1)."""
    from .gocompat import split_host_port, url_parse

    wants_random = text.endswith(":-1")
    if wants_random:
        text = text[:-3] + ":0"
    try:
        url = url_parse(text)
        host, port_text = split_host_port(url.host)
    except ValueError as e:
        raise SettingsError(str(e)) from None
    if wants_random:
        port = -1
    elif port_text:
        port = int(port_text)  # url_parse let digits only through
    else:
        raise SettingsError("unexpected EOF")  # fmt.Sscan of an empty port
    credentials = None
    if url.user is not None:
        if url.password is None:
            raise SettingsError("expected cluster password to be set")
        credentials = {"user": url.user, "password": url.password}
    return host, port, credentials


def merge_cluster_flags(settings: Settings, opts: Options) -> None:
    """The cluster flags over the file's ``cluster`` block, with nats-server's outcome:

    * ``--cluster``/``--cluster_listen nats://[user:pass@]host:port`` sets the listener's
      host and port (``-1``: random; ``""`` or port 0: no clustering) and the cluster's
      credentials: the URL's, or none (a file's ``authorization`` user is dropped);
    * ``--routes a,b`` replaces the file's routes (``""`` removes them); routes need a
      cluster listener (the file's, or ``--cluster``);
    * ``--cluster_name``, ``--cluster_advertise``, ``--no_advertise``, ``--connect_retries``
      replace the file's values.

    A file's ``cluster`` block without a port (kept in ``misc``) clusters once
    ``--cluster`` gives one. Leaves ``settings.server["cluster"]`` set only when a route
    listener is configured."""
    from .gocompat import quote, url_parse

    listening = settings.server.pop("cluster", None)
    idle = settings.misc.pop("cluster", None)
    options = dict(listening if listening is not None else idle or {})
    on = listening is not None
    for key, value in opts.cluster.items():
        options[key] = value
    for key in ("name", "advertise"):
        if options.get(key) == "":
            del options[key]
    if opts.cluster_listen is not None:
        if opts.cluster_listen == "":
            on = False
        else:
            host, port, credentials = _cluster_url(opts.cluster_listen)
            options["host"] = host
            if not 0 <= port <= 65535 and port != -1:
                raise SettingsError(f"invalid cluster port {port}: must be 0..65535, or -1")
            on = port != 0
            options["port"] = 0 if port == -1 else port
            if credentials is None:
                options.pop("authorization", None)
            else:
                options["authorization"] = {**options.get("authorization", {}), **credentials}
        if not options.get("host"):
            options.pop("host", None)
    if opts.routes is not None:
        routes = [r.strip() for r in opts.routes.split(",")] if opts.routes else []
        for route in routes:
            try:
                url_parse(route)
            except ValueError:
                raise SettingsError(f"error parsing route url [{quote(route)}]") from None
        if routes and not opts.cluster_listen and not on and "host" not in options:
            raise SettingsError("solicited routes require cluster capabilities, e.g. --cluster")
        options["routes"] = routes
    if on:
        settings.server["cluster"] = options
        return
    options.pop("port", None)
    if options:
        settings.misc["cluster"] = options


def merge_tls_flags(tls: dict[str, Any] | None, flags: dict[str, Any]) -> dict[str, Any] | None:
    """The ``--tls*`` flags over the file's ``tls`` option, as nats-server does it: ``--tls=false``
    switches TLS off; any other TLS flag replaces the file's certificate, key, CA and verify
    settings (keeping its timeout and handshake_first) and then needs a certificate and a key.
    ``--tlsverify`` needs ``--tlscacert`` in fastnats (nats-server would fall back to the
    system's roots)."""
    if flags.get("tls") is False:
        return None
    for key, what in (("cert_file", "certificate"), ("key_file", "private key")):
        if not flags.get(key):
            raise SettingsError(f"TLS Server {what} must be present and valid")
    kept = ("timeout", "handshake_first")
    merged: dict[str, Any] = {k: v for k, v in (tls or {}).items() if k in kept}
    merged["cert_file"] = flags["cert_file"]
    merged["key_file"] = flags["key_file"]
    if flags.get("ca_file"):
        merged["ca_file"] = flags["ca_file"]
    merged["verify"] = bool(flags.get("verify", False))
    if merged["verify"] and "ca_file" not in merged:
        raise SettingsError(
            "--tlsverify needs --tlscacert in fastnats "
            "(client certificates are not checked against the system's roots)"
        )
    return merged


def merge_auth_flags(
    auth: dict[str, Any] | None, flags: dict[str, str], notes: list[str]
) -> dict[str, Any]:
    """``--user``/``--pass``/``--auth`` (``flags``: ``user``/``password``/``token``) over the
    file's ``authorization``, with the outcome nats-server gives.

    nats-server replaces each field on its own and then checks a client against the ``users``
    array first, then the token, then the single user, so a flag can be outvoted by what the
    file has: ``--user``/``--pass`` do nothing next to a ``users`` array or a token, and a
    token (from ``--auth`` or the file) makes the single user unused. Those unused values are
    dropped here (with a note). nats-server also accepts ``--auth`` next to a ``users``
    array and then lets in both the users and the token holders; fastnats can not express
    that and refuses it.
    """
    merged = dict(auth or {})
    merged.update(flags)
    single = [f"--{'pass' if k == 'password' else k}" for k in ("user", "password") if k in flags]
    if merged.get("users"):
        if "token" in flags:
            raise SettingsError(
                "--auth can not be combined with the users array of the config file's "
                "authorization block in fastnats"
            )
        reason = "the config file's users array takes precedence (as in nats-server)"
    elif merged.get("token"):
        reason = "a token is set, and it takes precedence (as in nats-server)"
    else:
        return merged
    merged.pop("user", None)
    merged.pop("password", None)
    if single:
        notes.append(f"{' and '.join(single)} ignored: {reason}")
    return merged


def check(settings: Settings) -> None:
    """Raises SettingsError for a setting fastnats can not honour (see the module docstring)."""
    where = f"{settings.config_file}: " if settings.config_file else ""
    for key, feature in _UNSUPPORTED_MISC.items():
        if settings.misc.get(key):
            raise SettingsError(f'{where}"{key}" is not supported by fastnats yet ({feature})')
    if settings.logging.get("logfile_size_limit"):
        raise SettingsError(
            f'{where}"logfile_size_limit" is not supported by fastnats '
            "(log rotation by size; rotate with SIGUSR1)"
        )
    duration = settings.lame_duck_duration
    grace = settings.lame_duck_grace_period
    if grace >= duration:
        from .conf.units import format_duration

        raise SettingsError(
            f"lame duck grace period ({format_duration(grace)}) should be strictly lower than "
            f"lame duck duration ({format_duration(duration)})"
        )
    if settings.logging.get("max_traced_msg_len"):
        settings.notes.append("max_traced_msg_len is ignored by fastnats")
