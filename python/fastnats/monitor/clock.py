"""The times in the monitoring documents: native snapshot times, and nats-server's uptime.

* :func:`ns_from_seconds` -- the native snapshots' float Unix seconds as integer nanoseconds.
* :func:`uptime` -- nats-server's ``myUptime`` (whole seconds, ``XyXdXhXmXs`` trimmed to the
  largest non-zero unit): ``uptime`` in ``/varz``, ``uptime`` and ``idle`` in ``/connz``.
* :func:`rtt` -- a round-trip time as nats-server shows it (``rtt`` in ``/connz``,
  ``/routez``, ``/leafz``).

Go's own formats (RFC 3339 times, ``Duration.String()``) are :mod:`fastnats.gocompat`'s.
"""

from __future__ import annotations

from ..gocompat import duration_string

__all__ = ["ns_from_seconds", "rtt", "rtt_ns", "uptime"]


def ns_from_seconds(seconds: float) -> int:
    """Float Unix seconds (as the native snapshots give them) -> integer nanoseconds.

    A float at today's epoch holds about half a microsecond of precision: keep microseconds.
    """
    return round(seconds * 1_000_000) * 1000


def uptime(seconds: float) -> str:
    """nats-server's ``myUptime``: whole seconds as ``1y2d3h4m5s`` from the largest unit."""
    tsecs = int(seconds)  # truncates toward zero, as Go's integer division does
    tmins, thrs = tsecs // 60, tsecs // 3600
    tdays = thrs // 24
    tyrs = tdays // 365
    if tsecs < 0:  # a clock step; Go prints the negative seconds
        return f"{tsecs}s"
    if tyrs:
        return f"{tyrs}y{tdays % 365}d{thrs % 24}h{tmins % 60}m{tsecs % 60}s"
    if tdays:
        return f"{tdays}d{thrs % 24}h{tmins % 60}m{tsecs % 60}s"
    if thrs:
        return f"{thrs}h{tmins % 60}m{tsecs % 60}s"
    if tmins:
        return f"{tmins}m{tsecs % 60}s"
    return f"{tsecs}s"


def rtt_ns(ns: int) -> int:
    """nats-server's ``getRTT``: between 1 µs and 1 ms truncated to whole microseconds."""
    if 1_000 < ns < 1_000_000:
        return ns - ns % 1_000
    return ns


def rtt(ns: int) -> str:
    """A round-trip time in nanoseconds as nats-server writes it: ``0s`` (not measured yet),
    ``56µs``, ``1.234567ms``."""
    return duration_string(rtt_ns(ns))
