"""The times in the monitoring documents: native snapshot times, and nats-server's uptime.

* :func:`ns_from_seconds` -- the native snapshots' float Unix seconds as integer nanoseconds.
* :func:`uptime` -- nats-server's ``myUptime`` (whole seconds, ``XyXdXhXmXs`` trimmed to the
  largest non-zero unit): ``uptime`` in ``/varz``, ``uptime`` and ``idle`` in ``/connz``.

Go's own formats (RFC 3339 times, ``Duration.String()``) are :mod:`fastnats.gocompat`'s.
"""

from __future__ import annotations

__all__ = ["ns_from_seconds", "uptime"]


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
