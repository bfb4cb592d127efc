"""fastnats's log lines, through Python's :mod:`logging`.

Every line, the engine's and Python's, is a record of the ``fastnats`` logger or one of its
children: ``fastnats.server`` (the server at large), ``fastnats.auth`` (authentication
errors, permission violations), ``fastnats.hooks`` (a hook that raised, with its traceback),
``fastnats.trace`` (protocol tracing). Levels map from nats-server's tags: ``[FTL]`` CRITICAL,
``[ERR]`` ERROR, ``[WRN]`` WARNING, ``[INF]`` INFO, ``[DBG]`` DEBUG, ``[TRC]`` :data:`TRACE`
(5, registered below DEBUG with :func:`logging.addLevelName`).

**Embedded** (:class:`fastnats.Server`), fastnats adds no handler and sets no logger level:
the application's logging configuration decides what is shown and where. With none,
Python's defaults apply: WARNING and above reach standard error through logging's
last-resort handler. What the engine produces at all is ``Server(log_level=...)``
(:func:`set_engine_level`; INFO unless set, process-wide). The engine never waits for
Python to log: it queues lines (bounded; an overflow is counted and reported in a WARNING
line) and a thread of this module, ``fastnats-logs``, hands them to :mod:`logging` in
batches while a server runs.

**The CLI** (``python -m fastnats serve``) keeps nats-server's format and destinations:
:func:`configure` points the engine at its own writer (``[pid] YYYY/MM/DD HH:MM:SS.micro
[INF] message`` to standard error, ``-l`` file, syslog or remote syslog) and installs a
handler on the ``fastnats`` logger that writes Python's records (the CLI's own lines, and any
plugin logging under ``fastnats``) through that writer too: one format, one destination.

Settings use the keys of :class:`fastnats.conf.ServerConfig`'s ``logging``: ``debug``,
``trace`` (``trace_verbose`` implies it), ``logtime``, ``logtime_utc``, ``logfile``,
``syslog``, ``remote_syslog``. The native writer has one minimum level: ``-V`` alone prints
debug lines too (nats-server prints trace lines without debug ones).
"""

from __future__ import annotations

import atexit
import sys
import threading

from . import _fastnats

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Mapping
    from typing import Any

TRACE = 5
"""The level of protocol trace lines (``[TRC]``), below DEBUG."""

LOGGER = "fastnats"

# logging's level numbers (DEBUG, INFO, WARNING, ERROR, CRITICAL: fixed by the language), so
# that this module needs :mod:`logging` only once something is logged through it.
_DEBUG, _INFO, _WARNING, _ERROR, _CRITICAL = 10, 20, 30, 40, 50

# nats-server's level names (as the CLI and the native writer use them) to logging's.
_NATIVE_TO_PYTHON = {
    "trace": TRACE,
    "debug": _DEBUG,
    "info": _INFO,
    "warn": _WARNING,
    "error": _ERROR,
    "fatal": _CRITICAL,
}
_NAMES = {
    "trace": TRACE,
    "debug": _DEBUG,
    "info": _INFO,
    "warning": _WARNING,
    "warn": _WARNING,
    "error": _ERROR,
    "critical": _CRITICAL,
    "fatal": _CRITICAL,
}

_lock = threading.Lock()
_logging_ready = False
_handler: logging.Handler | None = None
# The CLI's writer (configure()): its minimum level, and whether this process' lines go to
# it without logging (_direct: nothing but fastnats has imported logging, see configure()).
_cli_level: int | None = None
_direct = False


def _logging() -> Any:
    """:mod:`logging`, imported on first use, with the TRACE level registered and, under the
    CLI, the handler that writes the ``fastnats`` logger's records through the CLI's writer.
    Everything in fastnats that logs through :mod:`logging` gets it from here."""
    global _logging_ready, _direct
    if _logging_ready:
        return sys.modules["logging"]
    import logging

    with _lock:
        if not _logging_ready:
            logging.addLevelName(TRACE, "TRACE")
            if _cli_level is not None:
                _install_handler(logging)
            _direct = False
            _logging_ready = True
    return logging


def logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` (see :func:`_logging`)."""
    return _logging().getLogger(name)  # type: ignore[no-any-return]


def engine_level(level: str | int) -> str:
    """The engine's level name for ``log_level``: ``"trace"``, ``"debug"``, ``"info"``,
    ``"warning"``, ``"error"``, ``"critical"`` or a :mod:`logging` level number (the engine
    then produces the levels that number lets through). Raises ``ValueError``/``TypeError``."""
    if isinstance(level, bool) or not isinstance(level, (str, int)):
        raise TypeError(f"log_level must be a level name or a logging level number, not {level!r}")
    if isinstance(level, str):
        number = _NAMES.get(level.lower())
        if number is None:
            known = ", ".join(
                f'"{n}"' for n in ("trace", "debug", "info", "warning", "error", "critical")
            )
            raise ValueError(
                f"unknown log_level {level!r} (one of {known}, or a logging level number)"
            )
        level = number
    for name, number in _NATIVE_TO_PYTHON.items():
        if level <= number:
            return name
    return "fatal"


def set_engine_level(level: str | int) -> None:
    """Sets what the engine produces at all (process-wide: the engine has one logger)."""
    _fastnats.set_log_level(engine_level(level))


# The CLI: nats-server's format -------------------------------------------------------------
def _write(name: str, levelno: int, message: str) -> None:
    """A record of logger ``name`` through the engine's writer (the CLI's)."""
    area = name.split(".", 2)[1] if name.count(".") else "server"
    if area not in ("server", "auth", "hooks", "trace"):
        area = "server"
    _fastnats.log(_native_name(levelno), message, area)


def _native_name(levelno: int) -> str:
    for name, number in _NATIVE_TO_PYTHON.items():
        if levelno <= number:
            return name
    return "fatal"


_handler_class: type[logging.Handler] | None = None


def _native_handler(mod: Any) -> type[logging.Handler]:
    """:class:`NativeHandler`, defined once :mod:`logging` (``mod``) is imported."""
    global _handler_class
    if _handler_class is None:

        class NativeHandler(mod.Handler):  # type: ignore[misc]
            """Writes records through the engine's writer, in nats-server's format (the
            CLI's)."""

            def emit(self, record: logging.LogRecord) -> None:
                try:
                    _write(record.name, record.levelno, self.format(record))
                except Exception:  # noqa: BLE001 - logging's convention for a failing handler
                    self.handleError(record)

        NativeHandler.__qualname__ = "NativeHandler"  # as when it was defined at the top
        _handler_class = NativeHandler
    return _handler_class


def __getattr__(name: str) -> Any:
    if name == "NativeHandler":  # built on first use, like the rest of the logging side
        return _native_handler(_logging())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _install_handler(mod: Any) -> None:
    """The CLI's handler on the ``fastnats`` logger (once), at the CLI's level."""
    global _handler
    logger = mod.getLogger(LOGGER)
    if _handler is None:
        _handler = _native_handler(mod)()
        logger.addHandler(_handler)
    # The writer is the CLI's only destination: records do not go on to the root logger.
    logger.propagate = False
    logger.setLevel(_cli_level)


def level_of(logging: Mapping[str, Any]) -> str:
    if logging.get("trace") or logging.get("trace_verbose"):
        return "trace"
    if logging.get("debug"):
        return "debug"
    return "info"


def configure(logging_settings: Mapping[str, Any], *, direct: bool = False) -> None:
    """The CLI's logging: the engine's writer at the configured destination, and the
    ``fastnats`` logger writing through it; raises OSError.

    ``direct``: no code but fastnats' runs in this process (no auth hook, no plugin), so
    while nothing has imported :mod:`logging` the CLI's own lines go straight to the writer,
    as the handler would write them; the first import through :func:`_logging` (or any
    line logged after something imported it) installs the handler as usual."""
    global _cli_level, _direct
    kwargs: dict[str, Any] = {}
    if logging_settings.get("logfile"):
        kwargs["file"] = str(logging_settings["logfile"])
    # Timestamps are always UTC (the native logger has no local-time mode), which is what
    # ``logtime_utc`` asks for; nats-server's default is local time.
    if logging_settings.get("syslog"):
        kwargs["syslog"] = True
    if logging_settings.get("remote_syslog"):
        kwargs["remote_syslog"] = str(logging_settings["remote_syslog"])
    level = level_of(logging_settings)
    _fastnats.configure_logging(level, bool(logging_settings.get("logtime", True)), **kwargs)
    with _lock:
        _cli_level = _NATIVE_TO_PYTHON[level]
        _direct = direct and not _logging_ready and "logging" not in sys.modules
        if _logging_ready:
            _install_handler(sys.modules["logging"])  # a reload: the level may change
    if not _direct:
        _logging()


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


# Python's own lines ------------------------------------------------------------------------
def log(level: str, message: str, area: str = "server") -> None:
    """Logs ``message`` on ``fastnats.<area>`` at a nats-server level name (``"info"``,
    ``"warn"``, ``"fatal"``, ...)."""
    levelno = _NATIVE_TO_PYTHON[level]
    if _direct and "logging" not in sys.modules:
        # What the CLI's handler would write (the logger's level, then the record's name and
        # level), without importing logging.
        if _cli_level is not None and levelno >= _cli_level:
            _write(f"{LOGGER}.{area}", levelno, message)
        return
    _logging().getLogger(f"{LOGGER}.{area}").log(levelno, message)


def info(message: str) -> None:
    log("info", message)


def debug(message: str) -> None:
    log("debug", message)


def warn(message: str) -> None:
    log("warn", message)


def error(message: str) -> None:
    log("error", message)


def fatal(message: str) -> None:
    log("fatal", message)


# Embedded: the engine's queue to logging ---------------------------------------------------
class _Bridge:
    """The ``fastnats-logs`` thread: while any server runs, it waits for the engine's lines
    (in native code, without the GIL) and hands each batch to :mod:`logging`."""

    # How long one wait in native code lasts: bounds how long stopping takes.
    WAIT = 0.5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def attach(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None and _fastnats.logs_queued():
                _logging()  # embedded: the TRACE level's name before the first line
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="fastnats-logs", daemon=True)
                self._thread.start()

    def detach(self) -> None:
        with self._lock:
            self._users = max(self._users - 1, 0)
            if self._users == 0:
                self._stop()

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            _fastnats.wake_logs()
            if thread is not threading.current_thread():  # a handler stopping the server
                thread.join()
        flush()  # what was queued after the thread's last batch

    def _run(self) -> None:
        while not self._stopping.is_set():
            deliver(_fastnats.drain_logs(self.WAIT))


def deliver(batch: list[tuple[int, str, str]]) -> None:
    """Hands engine lines ``(levelno, area, message)`` to ``fastnats.<area>``."""
    if not batch:
        return
    logging = _logging()
    for levelno, area, message in batch:
        logger = logging.getLogger(f"{LOGGER}.{area}")
        if logger.isEnabledFor(levelno):
            logger.log(levelno, message)


def flush() -> None:
    """Hands every line the engine has queued so far to :mod:`logging` now (on this
    thread)."""
    deliver(_fastnats.drain_logs(0.0))


_bridge = _Bridge()
attach = _bridge.attach
detach = _bridge.detach
# A daemon thread must not be inside native code when the interpreter finalizes.
atexit.register(_bridge.stop)


if "logging" in sys.modules:  # already paid for: the level name is there from the start
    _logging()
