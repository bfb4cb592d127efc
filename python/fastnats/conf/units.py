"""Sizes and durations as nats-server's config files spell them.

* Integer size suffixes (the config grammar): ``k`` = 1000, ``kb``/``ki``/``kib`` = 1024, and
  the same for ``m``, ``g``, ``t``, ``p``, ``e`` (powers of 1000 or 1024); case-insensitive.
* Durations are Go ``time.ParseDuration`` strings (:mod:`fastnats.gocompat`), held as float
  seconds; :func:`go_type` is Go's ``%T`` of a config value, for messages.
* Listen addresses (:func:`parse_listen`) are nats-server's ``parseListen``: a port, or
  ``"host:port"`` / ``":port"`` / ``"[v6]:port"``.

``go_quote`` is :func:`fastnats.gocompat.quote` (``strconv.Quote``), re-exported for the
config modules that import it from here.
"""

from __future__ import annotations

from .. import gocompat
from ..gocompat import INT64_MAX, INT64_MIN
from ..gocompat import quote as go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = [
    "SIZE_SUFFIXES",
    "apply_size_suffix",
    "format_duration",
    "go_quote",
    "go_type",
    "parse_duration",
    "parse_listen",
]


def _suffixes() -> dict[str, int]:
    table = {"": 1}
    for power, letter in enumerate("kmgtpe", start=1):
        table[letter] = 1000**power
        for binary in ("b", "i", "ib"):
            table[letter + binary] = 1024**power
    return table


SIZE_SUFFIXES: dict[str, int] = _suffixes()
"""Lower-case suffix -> multiplier (``""`` -> 1)."""


def apply_size_suffix(number: int, suffix: str) -> int:
    """``number`` times the multiplier of ``suffix`` (any case). Raises KeyError for an unknown
    suffix and OverflowError outside the int64 range."""
    value = number * SIZE_SUFFIXES[suffix.lower()]
    if not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError(value)
    return value


def parse_duration(text: str) -> float:
    """A Go duration string (``time.ParseDuration``) in (float) seconds, fastnats' unit for
    durations. Raises ValueError with Go's message (see :func:`fastnats.gocompat.parse_duration`).
    """
    return gocompat.parse_duration(text) / 1e9


def format_duration(seconds: float) -> str:
    """Seconds as Go's ``time.Duration.String()`` (``90.0`` -> ``1m30s``)."""
    return gocompat.duration_string(round(seconds * 1e9))


def parse_listen(value: Any) -> tuple[str | None, int]:
    """nats-server's ``parseListen``: ``(host, port)``, host None when only a port (an
    integer) is given. Raises ValueError with nats-server's text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None, value
    if not isinstance(value, str):
        raise ValueError(f"expected port or host:port, got {go_type(value)}")
    try:
        host, port = gocompat.split_host_port(value)
    except ValueError:
        raise ValueError(f"could not parse address string {go_quote(value)}") from None
    try:
        return host, gocompat.atoi(port)
    except gocompat.NumError:
        raise ValueError(f"could not parse port {go_quote(port)}") from None


def go_type(value: Any) -> str:
    """Go's ``%T`` of a config value, as nats-server's messages show it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__
