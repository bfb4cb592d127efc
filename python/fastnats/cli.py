"""The command line: ``fastnats [serve] [options]`` / ``python -m fastnats [serve] [options]``.

Flags are nats-server's, parsed the way nats-server parses them (Go's ``flag`` package):

* a flag takes one dash or two (``-port``, ``--port``, ``-DV``); ``---x`` is bad syntax;
* a value follows as ``-p 4222`` or ``-p=4222`` (the next argument is taken even when it
  starts with a dash, so ``-p -1`` works);
* a boolean takes no separate value: ``-D``, ``-D=true``, ``-D=false`` (``1 0 t f T F true
  false TRUE FALSE True False``); ``-D false`` leaves ``false`` as a command;
* integers are Go's ``ParseInt(s, 0, 64)`` (:func:`fastnats.gocompat.parse_int`): ``10``,
  ``0x1f``, ``0o17``, ``017`` (octal), ``0b1``, ``1_000``;
* parsing stops at ``--`` or at the first argument that is not a flag; that argument is a
  command: ``version``, ``help`` (and fastnats' optional leading ``serve``), anything else is
  ``unrecognized command``.

Flags given on the command line override the config file (``-c``), as in nats-server
(``--user``/``--pass``/``--auth`` replace the file's single user, password and token; see
:mod:`fastnats.settings`). A flag for a subsystem fastnats does not have (HTTPS
monitoring, profiling) fails with one line naming it, unless its value switches it
off (``-ms 0``). The cluster flags (``--routes``, ``--cluster``/``--cluster_listen``,
``--cluster_name``, ``--cluster_advertise``, ``--no_advertise``, ``--connect_retries``) are
laid over the file's ``cluster`` block as nats-server does it
(:func:`fastnats.settings.merge_cluster_flags`). ``-js`` and ``-sd`` are read as nats-server
reads them (``-sd`` alone does not enable JetStream) and carried to the server, which
refuses to start with JetStream until fastnats has it. ``--auth_hook module:attr`` and
``--plugin NAME`` (repeatable) are fastnats' own: a Python auth hook and
``fastnats.plugins`` plugins.

This module only parses argv into :class:`fastnats.settings.Options` and dispatches; the
settings (file and flags merged) are :mod:`fastnats.settings`, serving is
:mod:`fastnats.runner`, sending signals is :mod:`fastnats.signals`. The last two are
imported lazily so ``--help`` stays instant.
"""

from __future__ import annotations

import sys

from .errors import FastNatsError
from .gocompat import RANGE, SYNTAX, NumError, parse_bool, parse_int, quote
from .settings import Options

# Annotations only: `fastnats serve` starts without importing typing (mypy reads this
# constant as typing.TYPE_CHECKING).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

USAGE = """\
Usage: fastnats [serve] [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for random)
    -n, --name
        --server_name <server_name>  Server name (default: the server id)
    -P, --pid <file>                 File to store PID (removed at exit)
    -c, --config <file>              Configuration file (nats-server format)
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to a fastnats process (ldm, stop, quit, term,
                                     reopen, reload); <pid> can be a PID (e.g. 1) or the path
                                     to a PID file (e.g. /var/run/fastnats.pid)
        --ports_file_dir <dir>       Creates a ports file in the specified directory
                                     (<executable_name>_<pid>.ports)

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
        --logtime_utc                Accepted for nats-server; fastnats' timestamps are always UTC
    -s, --syslog                     Log to syslog
    -r, --remote_syslog <addr>       Syslog server addr (udp://localhost:514)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (same as -V in fastnats)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace
        --max_traced_msg_len <len>   Accepted and ignored

Monitoring Options:
    -m, --http_port <port>           Use port for http monitoring (-1 for random, 0 off)

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections
        --auth_hook <module:attr>    Python auth hook deciding every connection (fastnats only)
        --plugin <name>              Enable a fastnats.plugins plugin (fastnats only; repeatable)

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes (nats://host:port,
                                     nats://user:pass@host:port; port -1 for random)
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version

Accepted for compatibility, but fastnats does not have these yet and refuses to start when
they are switched on: -ms/--https_port (HTTPS monitoring), --client_advertise,
--profile (profiling), --log_size_limit (size-based rotation).
"""


TLS_USAGE = """\
TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Any of these replaces the config file's tls block (certificate and key are then required);
--tls=false switches TLS off whatever the file says.
"""


class UsageError(FastNatsError):
    """Bad command line: printed as one line, exit code 1."""


# Every flag nats-server defines -> (kind, canonical name). Kinds: "bool", "int", "str".
_FLAGS: dict[str, tuple[str, str]] = {
    # server
    "a": ("str", "addr"),
    "addr": ("str", "addr"),
    "net": ("str", "addr"),
    "p": ("int", "port"),
    "port": ("int", "port"),
    "n": ("str", "name"),
    "name": ("str", "name"),
    "server_name": ("str", "name"),
    "c": ("str", "config"),
    "config": ("str", "config"),
    "t": ("bool", "t"),
    "P": ("str", "pid"),
    "pid": ("str", "pid"),
    "ports_file_dir": ("str", "ports_file_dir"),
    "client_advertise": ("str", "client_advertise"),
    "sl": ("str", "signal"),
    "signal": ("str", "signal"),
    "m": ("int", "http_port"),
    "http_port": ("int", "http_port"),
    "ms": ("int", "https_port"),
    "https_port": ("int", "https_port"),
    # logging
    "l": ("str", "log"),
    "log": ("str", "log"),
    "T": ("bool", "logtime"),
    "logtime": ("bool", "logtime"),
    "logtime_utc": ("bool", "logtime_utc"),
    "s": ("bool", "syslog"),
    "syslog": ("bool", "syslog"),
    "r": ("str", "remote_syslog"),
    "remote_syslog": ("str", "remote_syslog"),
    "D": ("bool", "debug"),
    "debug": ("bool", "debug"),
    "V": ("bool", "trace"),
    "trace": ("bool", "trace"),
    "VV": ("bool", "VV"),
    "DV": ("bool", "DV"),
    "DVV": ("bool", "DVV"),
    "log_size_limit": ("int", "log_size_limit"),
    "max_traced_msg_len": ("int", "max_traced_msg_len"),
    # authorization
    "user": ("str", "user"),
    "pass": ("str", "pass"),
    "auth": ("str", "auth"),
    # fastnats only: Python hooks
    "auth_hook": ("str", "auth_hook"),
    "plugin": ("str", "plugin"),
    # JetStream
    "js": ("bool", "jetstream"),
    "jetstream": ("bool", "jetstream"),
    "sd": ("str", "store_dir"),
    "store_dir": ("str", "store_dir"),
    # TLS
    "tls": ("bool", "tls"),
    "tlsverify": ("bool", "tlsverify"),
    "tlscert": ("str", "tlscert"),
    "tlskey": ("str", "tlskey"),
    "tlscacert": ("str", "tlscacert"),
    "help_tls": ("bool", "help_tls"),
    # cluster
    "routes": ("str", "routes"),
    "cluster": ("str", "cluster_listen"),
    "cluster_listen": ("str", "cluster_listen"),
    "cluster_name": ("str", "cluster_name"),
    "cluster_advertise": ("str", "cluster_advertise"),
    "no_advertise": ("bool", "no_advertise"),
    "connect_retries": ("int", "connect_retries"),
    # profiling
    "profile": ("int", "profile"),
    # common
    "h": ("bool", "help"),
    "help": ("bool", "help"),
    "v": ("bool", "version"),
    "version": ("bool", "version"),
}

# canonical name -> the missing feature, for flags fastnats accepts only when switched off.
_UNSUPPORTED: dict[str, str] = {
    "https_port": "HTTPS monitoring",
    "client_advertise": "advertising a client URL",
    "profile": "profiling",
    "log_size_limit": "log rotation by size; rotate with SIGUSR1",
}

# TLS flags -> keys of the ``tls`` option (see fastnats.settings.merge_tls_flags).
_TLS_FLAGS = {
    "tls": "tls",
    "tlsverify": "verify",
    "tlscert": "cert_file",
    "tlskey": "key_file",
    "tlscacert": "ca_file",
}

# Go's flag package reports strconv's errors in words of its own (errParse, errRange).
_FLAG_ERRORS = {SYNTAX: "parse error", RANGE: "value out of range"}


def _bool(name: str, value: str | None) -> bool:
    if value is None:
        return True
    try:
        return parse_bool(value)
    except NumError:
        raise UsageError(f"invalid boolean value {quote(value)} for -{name}: parse error") from None


def _port(name: str, value: int) -> int:
    if value == -1 or 0 <= value <= 65535:
        return value
    raise UsageError(f"invalid value {value} for flag -{name}: must be 0..65535, or -1 for random")


def _apply(opts: Options, typed: str, name: str, canonical: str, value: Any) -> None:
    """Records one parsed flag (``typed`` is the flag as written, for messages)."""
    if canonical in _UNSUPPORTED:
        if value:  # "", 0 and false switch the feature off: harmless
            opts.unsupported.append(
                f"flag {typed} is not supported by fastnats ({_UNSUPPORTED[canonical]})"
            )
        return
    if canonical == "addr":
        opts.server["host"] = value
    elif canonical == "port":
        opts.server["port"] = _port(name, value)
    elif canonical == "name":
        if " " in value:
            raise UsageError("server name cannot contain spaces")
        opts.server["server_name"] = value
    elif canonical == "config":
        opts.config_file = value
    elif canonical == "t":
        opts.check_config = value
    elif canonical == "pid":
        opts.misc["pid_file"] = value
    elif canonical == "ports_file_dir":
        opts.misc["ports_file_dir"] = value
    elif canonical == "signal":
        opts.signal = value
    elif canonical == "log":
        opts.logging["logfile"] = value
    elif canonical in ("logtime", "logtime_utc", "syslog", "debug", "trace"):
        opts.logging[canonical] = value
    elif canonical == "remote_syslog":
        opts.logging["remote_syslog"] = value
    elif canonical == "VV":
        opts.logging["trace"] = opts.logging["trace_verbose"] = value
    elif canonical == "DV":
        opts.logging["debug"] = opts.logging["trace"] = value
    elif canonical == "DVV":
        opts.logging["debug"] = opts.logging["trace"] = value
        opts.logging["trace_verbose"] = value
    elif canonical == "max_traced_msg_len":
        opts.logging["max_traced_msg_len"] = value  # noted as ignored at startup
    elif canonical in ("user", "pass", "auth"):
        if value:  # nats-server: an empty flag leaves the file's value
            opts.auth[{"user": "user", "pass": "password", "auth": "token"}[canonical]] = value
    elif canonical == "auth_hook":
        opts.misc["auth_hook"] = value
    elif canonical == "plugin":
        opts.misc.setdefault("plugins", []).append(value)
    elif canonical == "jetstream":
        opts.jetstream = value
    elif canonical == "store_dir":
        opts.store_dir = value
    elif canonical == "http_port":
        opts.misc["http_port"] = _port(name, value)
    elif canonical in _TLS_FLAGS:
        opts.tls[_TLS_FLAGS[canonical]] = value
    elif canonical == "routes":
        opts.routes = value
    elif canonical == "cluster_listen":
        opts.cluster_listen = value
    elif canonical == "cluster_name":
        opts.cluster["name"] = value
    elif canonical == "cluster_advertise":
        opts.cluster["advertise"] = value
    elif canonical == "no_advertise":
        opts.cluster["no_advertise"] = value
    elif canonical == "connect_retries":
        if not 0 <= value <= 0xFFFFFFFF:
            raise UsageError(f"invalid value {value} for flag -{name}: must be 0..4294967295")
        opts.cluster["connect_retries"] = value
    elif canonical == "help_tls":
        opts.show_tls_help = value
    elif canonical == "help":
        opts.show_help = value
    elif canonical == "version":
        opts.show_version = value
    else:  # pragma: no cover - every canonical name is handled above
        raise AssertionError(canonical)


def parse_args(argv: Sequence[str]) -> Options:
    """Parses flags the way nats-server (Go's flag package) does; see the module docstring."""
    opts = Options()
    args = list(argv)
    if args and args[0] == "serve":
        args = args[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if len(arg) < 2 or arg[0] != "-":
            break  # the first non-flag argument ends the flags
        i += 1
        if arg == "--":
            break
        name = arg[2:] if arg[1] == "-" else arg[1:]
        if not name or name[0] in "-=":
            raise UsageError(f"bad flag syntax: {arg}")
        value: str | None = None
        if "=" in name:
            name, value = name.split("=", 1)
        if name not in _FLAGS:
            raise UsageError(f"flag provided but not defined: -{name}")
        kind, canonical = _FLAGS[name]
        typed = arg.split("=", 1)[0]
        if kind == "bool":
            _apply(opts, typed, name, canonical, _bool(name, value))
            continue
        if value is None:
            if i >= len(args):
                raise UsageError(f"flag needs an argument: -{name}")
            value = args[i]
            i += 1
        parsed: Any = value
        if kind == "int":
            try:
                parsed = parse_int(value, 0, 64)
            except NumError as e:
                problem = _FLAG_ERRORS[e.err]
                message = f"invalid value {quote(value)} for flag -{name}: {problem}"
                raise UsageError(message) from None
        _apply(opts, typed, name, canonical, parsed)
    rest = args[i:]
    if rest:
        command = rest[0].lower()
        if command == "version":
            opts.show_version = True
        elif command == "help":
            opts.show_help = True
        elif command != "serve":
            raise UsageError(f"unrecognized command: {quote(rest[0])}")
    return opts


def _print_error(message: str) -> None:
    print(f"fastnats: {message}", file=sys.stderr)


def _cwd_on_path() -> None:
    """Puts the working directory first on ``sys.path``, as ``python -m fastnats`` has it,
    so ``--auth_hook mod:attr`` finds ``mod.py`` in the working directory when run as the
    ``fastnats`` console script too (whose ``sys.path[0]`` is the script's directory)."""
    import os

    cwd = os.getcwd()
    if not any(p in ("", ".") or os.path.abspath(p) == cwd for p in sys.path):
        sys.path.insert(0, cwd)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit code (0 after a clean shutdown).

    Without ``argv`` (the ``fastnats`` console script, ``python -m fastnats``) the command
    line is ``sys.argv`` and the working directory is put on ``sys.path``."""
    if argv is None:
        _cwd_on_path()
    try:
        opts = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        _print_error(str(e))
        return 1
    if opts.show_version:
        from ._fastnats import COMPATIBLE_NATS_VERSION, __version__

        # nats-server's form first: scripts and test launchers take the version from the
        # first " v" of `nats-server -v`, and gate features on it.
        print(f"nats-server: v{COMPATIBLE_NATS_VERSION} (fastnats v{__version__})")
        return 0
    if opts.show_help:
        print(USAGE, end="")
        return 0
    if opts.show_tls_help:
        print(TLS_USAGE, end="")
        return 0
    if opts.signal is not None:
        from .signals import SignalError, send_command

        try:
            send_command(opts.signal)
        except SignalError as e:
            _print_error(str(e))
            return 1
        return 0
    if opts.unsupported:
        _print_error(opts.unsupported[0])
        return 1
    from . import runner

    if opts.check_config:
        return runner.check_config(opts)
    return runner.run(opts)
