"""The command line: ``python -m fastnats serve`` / ``fastnats serve``.

Flags follow nats-server's (Go ``flag`` package): a flag takes one dash or two, and a value
follows as ``-p 4222`` or ``-p=4222``. Log lines have nats-server's shape, because tools wait
for ``Listening for client connections on HOST:PORT`` and ``Server is ready``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _fastnats

USAGE = """\
Usage: fastnats [serve] [options]

Server options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for random)
    -n, --name, --server_name <name> Server name (default: the server id)
    -D, --debug                      Enable debugging output
    -V, --trace                      Enable protocol trace output
    -DV                              Debug and trace
    -T, --logtime                    Timestamp log entries (default: true)

Common options:
    -h, --help                       Show this message
    -v, --version                    Show version
"""


class UsageError(Exception):
    """Bad command line: printed as one line, exit code 1."""


@dataclass
class Options:
    """What the command line asked for, as server options plus CLI-only settings."""

    server: dict[str, Any] = field(default_factory=dict)
    debug: bool = False
    trace: bool = False
    logtime: bool = True
    show_help: bool = False
    show_version: bool = False


_BOOL_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_BOOL_FALSE = {"0", "f", "F", "false", "FALSE", "False"}

# flag name -> (destination, kind). Kinds: "str", "port", "bool".
_FLAGS: dict[str, tuple[str, str]] = {
    "a": ("host", "str"),
    "addr": ("host", "str"),
    "net": ("host", "str"),
    "p": ("port", "port"),
    "port": ("port", "port"),
    "n": ("server_name", "str"),
    "name": ("server_name", "str"),
    "server_name": ("server_name", "str"),
    "D": ("debug", "bool"),
    "debug": ("debug", "bool"),
    "V": ("trace", "bool"),
    "trace": ("trace", "bool"),
    "DV": ("debug_trace", "bool"),
    "T": ("logtime", "bool"),
    "logtime": ("logtime", "bool"),
    "h": ("help", "bool"),
    "help": ("help", "bool"),
    "v": ("version", "bool"),
    "version": ("version", "bool"),
}


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise UsageError(f'invalid value "{text}" for flag -port: parse error') from None
    if port == -1:
        return 0
    if not 0 <= port <= 65535:
        raise UsageError(f"invalid port {port}: must be between 0 and 65535, or -1 for random")
    return port


def parse_args(argv: Sequence[str]) -> Options:
    """Parses flags the way Go's flag package does (see the module docstring)."""
    opts = Options()
    args = list(argv)
    if args and args[0] == "serve":
        args = args[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            raise UsageError(f"unexpected argument {arg!r}")
        name = arg.lstrip("-") if arg.startswith("--") else arg[1:]
        value: str | None = None
        if "=" in name:
            name, value = name.split("=", 1)
        if name not in _FLAGS:
            raise UsageError(f"flag provided but not defined: -{name}")
        dest, kind = _FLAGS[name]
        if kind == "bool":
            if value is None:
                flag = True
            elif value in _BOOL_TRUE:
                flag = True
            elif value in _BOOL_FALSE:
                flag = False
            else:
                raise UsageError(f'invalid boolean value "{value}" for -{name}')
            if dest == "debug_trace":
                opts.debug = opts.trace = flag
            elif dest == "help":
                opts.show_help = flag
            elif dest == "version":
                opts.show_version = flag
            else:
                setattr(opts, dest, flag)
            continue
        if value is None:
            if i >= len(args):
                raise UsageError(f"flag needs an argument: -{name}")
            value = args[i]
            i += 1
        opts.server[dest] = _port(value) if kind == "port" else value
    if i < len(args):
        raise UsageError(f"unexpected argument {args[i]!r}")
    return opts


def _log(level: str, message: str) -> None:
    _fastnats.log(level, message)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the server until SIGINT/SIGTERM; returns the exit code."""
    try:
        opts = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        print(f"fastnats: {e}", file=sys.stderr)
        return 1
    if opts.show_help:
        print(USAGE, end="")
        return 0
    if opts.show_version:
        print(
            f"fastnats: v{_fastnats.__version__} "
            f"(compatible with nats-server v{_fastnats.COMPATIBLE_NATS_VERSION})"
        )
        return 0
    level = "trace" if opts.trace else "debug" if opts.debug else "info"
    _fastnats.configure_logging(level, opts.logtime)

    from .server import Server  # after argument errors: keep `--help` and errors instant

    try:
        server = Server(**opts.server)
    except (TypeError, ValueError) as e:
        print(f"fastnats: {e}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        _log("debug", f"Trapped {signal.Signals(signum).name.lower()} signal")
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    _log("info", f"Starting fastnats {_fastnats.__version__}")
    _log("info", f"  Version:  {_fastnats.__version__}")
    _log("info", f"  Compatible with nats-server: {_fastnats.COMPATIBLE_NATS_VERSION}")
    try:
        server.start()
    except OSError as e:
        _log("fatal", f"Error listening on port: {e}")
        return 1
    _log("info", f"  Name:     {server.server_name}")
    _log("info", f"  ID:       {server.server_id}")
    _log("info", f"Listening for client connections on {server.host}:{server.port}")
    _log("info", "Server is ready")
    while not stop.wait(0.2):
        pass
    _log("info", "Initiating Shutdown...")
    server.stop()
    _log("info", "Server Exiting..")
    return 0
