"""What the parsers of nats-server's listener blocks (``cluster``, ``leafnodes``,
``websocket``) share: error reporting (an error marks the block not ok), the typed getters
that report a value of the wrong type, and the ``listen``/``host``/``net``/``port`` keys, read
as nats-server reads them in each of those blocks."""

from __future__ import annotations

from collections.abc import Callable

from .units import go_quote, go_type, parse_duration, parse_listen

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["ListenerBlock", "MAX_PORT", "Report"]

if TYPE_CHECKING:
    Report = Callable[[Any, "str | int", str], None]
else:  # the same alias without importing typing for Any
    Report = Callable[[object, "str | int", str], None]
"""``report(container, key, message)``: an error (or a warning) at ``container[key]``."""

MAX_PORT = 65535


class ListenerBlock:
    """The shared part of a listener block's parser; ``options`` is what it read so far,
    ``port`` the port as written (-1: random; None/0: no listener)."""

    def __init__(self, report: Report, warn: Report) -> None:
        self.report = report
        self.warn = warn
        self.options: dict[str, Any] = {}
        self.port: int | None = None
        self.ok = True

    # reporting ---------------------------------------------------------------------------
    def error(self, container: Any, key: str | int, message: str) -> None:
        self.ok = False
        self.report(container, key, message)

    def expected(self, block: Any, key: str | int, what: str, value: Any) -> None:
        name = key if isinstance(key, str) else str(key)
        self.error(
            block, key, f"invalid value for {go_quote(name)}: expected {what}, got {go_type(value)}"
        )

    # typed getters (None after reporting) ------------------------------------------------
    def string(self, block: Any, key: str, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        self.expected(block, key, "a string", value)
        return None

    def boolean(self, block: Any, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.expected(block, key, "a boolean (true/false)", value)
        return None

    def duration(self, block: Any, key: str, field: str, value: Any) -> float | None:
        """nats-server's ``parseDuration(field, ...)``: a Go duration string, or (with a
        warning) an integer of seconds; ``field`` is the name its messages use."""
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.error(block, key, f"error parsing {field}: {e}")
                return None
        elif isinstance(value, int) and not isinstance(value, bool):
            self.warn(
                block,
                key,
                f'invalid use of field "{field}": {field} should be converted to a duration '
                f'(read as {value} seconds; write "{value}s")',
            )
            seconds = float(value)
        else:
            self.expected(block, key, 'a duration like "2m" or "10s"', value)
            return None
        if seconds < 0:
            self.error(block, key, f"invalid value for {go_quote(key)}: negative duration")
            return None
        return seconds

    @staticmethod
    def put(out: dict[str, Any], key: str, value: Any) -> None:
        """``out[key] = value`` unless ``value`` is None (a reported error)."""
        if value is not None:
            out[key] = value

    # the listener ------------------------------------------------------------------------
    def listener_key(self, block: Any, name: str, value: Any) -> bool:
        """Reads ``block[name]`` when it is ``listen``, ``host``, ``net`` or ``port`` (any
        case); returns whether it was one of them."""
        lname = name.lower()
        if lname == "listen":
            try:
                host, port = parse_listen(value)
            except ValueError as e:
                self.error(block, name, str(e))
                return True
            self.options["host"] = host or ""  # nats-server: a port alone clears the host
            self.set_port(block, name, port)
        elif lname == "port":
            given = self.port_value(block, name, value)
            if given is not None:
                self.set_port(block, name, given)
        elif lname in ("host", "net"):
            self.put(self.options, "host", self.string(block, name, value))
        else:
            return False
        return True

    def port_value(self, block: Any, key: str, value: Any) -> int | None:
        """A ``port`` value: an integer (the range is :meth:`set_port`'s check)."""
        if not isinstance(value, int) or isinstance(value, bool):
            self.expected(block, key, "an integer", value)
            return None
        return value

    def set_port(self, block: Any, key: str, port: int) -> None:
        if not -1 <= port <= MAX_PORT:
            self.error(block, key, f"invalid port {port}: must be 0..65535, or -1")
            return
        self.port = port
