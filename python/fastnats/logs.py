"""Log output of a ``fastnats`` process, in nats-server's shape.

Every line, the engine's and Python's, goes through the native logger
(``[pid] YYYY/MM/DD HH:MM:SS.micro [INF] message``), so there is one format, one destination
(standard error, ``-l`` file, syslog or remote syslog) and one level.

Settings use the keys of :class:`fastnats.conf.ServerConfig`'s ``logging``: ``debug``,
``trace`` (``trace_verbose`` implies it), ``logtime``, ``logtime_utc``, ``logfile``,
``syslog``, ``remote_syslog``. The native logger has one minimum level: ``-V`` alone prints
debug lines too (nats-server prints trace lines without debug ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _fastnats


def level_of(logging: Mapping[str, Any]) -> str:
    if logging.get("trace") or logging.get("trace_verbose"):
        return "trace"
    if logging.get("debug"):
        return "debug"
    return "info"


def configure(logging: Mapping[str, Any]) -> None:
    """Points the native logger at the configured destination; raises OSError."""
    kwargs: dict[str, Any] = {}
    if logging.get("logfile"):
        kwargs["file"] = str(logging["logfile"])
    # Timestamps are always UTC (the native logger has no local-time mode), which is what
    # ``logtime_utc`` asks for; nats-server's default is local time.
    if logging.get("syslog"):
        kwargs["syslog"] = True
    if logging.get("remote_syslog"):
        kwargs["remote_syslog"] = str(logging["remote_syslog"])
    _fastnats.configure_logging(level_of(logging), bool(logging.get("logtime", True)), **kwargs)


def output_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    keys = (
        "debug",
        "trace",
        "trace_verbose",
        "logtime",
        "logtime_utc",
        "logfile",
        "syslog",
        "remote_syslog",
    )
    return any(old.get(k) != new.get(k) for k in keys)


def reopen() -> None:
    """Reopens the log file (after rotation); raises OSError."""
    _fastnats.reopen_log()


def log(level: str, message: str) -> None:
    _fastnats.log(level, message)


def info(message: str) -> None:
    _fastnats.log("info", message)


def debug(message: str) -> None:
    _fastnats.log("debug", message)


def warn(message: str) -> None:
    _fastnats.log("warn", message)


def error(message: str) -> None:
    _fastnats.log("error", message)


def fatal(message: str) -> None:
    _fastnats.log("fatal", message)
