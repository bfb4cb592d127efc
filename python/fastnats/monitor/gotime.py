"""Times and durations written the way nats-server's JSON writes them.

* :func:`rfc3339` -- Go's ``time.RFC3339Nano`` in UTC (``2024-05-01T12:00:00.5Z``: fraction
  without trailing zeros, none at all when it is zero).
* :func:`duration` -- Go's ``time.Duration.String()`` (``0s``, ``850ns``, ``194µs``,
  ``1.772745ms``, ``1h2m3.5s``): ``rtt`` in ``/connz``.
* :func:`uptime` -- nats-server's ``myUptime`` (whole seconds, ``XyXdXhXmXs`` trimmed to the
  largest non-zero unit): ``uptime`` in ``/varz``, ``uptime`` and ``idle`` in ``/connz``.
"""

from __future__ import annotations

import time

__all__ = ["duration", "ns_from_seconds", "rfc3339", "uptime"]

_NS = 1_000_000_000


def ns_from_seconds(seconds: float) -> int:
    """Float Unix seconds (as the native snapshots give them) -> integer nanoseconds.

    A float at today's epoch holds about half a microsecond of precision: keep microseconds.
    """
    return round(seconds * 1_000_000) * 1000


def rfc3339(ns: int) -> str:
    """Unix nanoseconds as RFC 3339 with nanoseconds, UTC, trailing fraction zeros trimmed."""
    secs, frac = divmod(ns, _NS)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def _frac(value: int, precision: int) -> tuple[str, int]:
    """Go's fmtFrac: the low `precision` digits as a fraction without trailing zeros."""
    scale = 10**precision
    whole, frac = divmod(value, scale)
    if frac == 0:
        return "", whole
    return "." + f"{frac:0{precision}d}".rstrip("0"), whole


def duration(ns: int) -> str:
    """Go's ``time.Duration.String()`` of a duration in nanoseconds."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < _NS:
        if u < 1000:
            return f"{sign}{u}ns"
        if u < 1_000_000:
            frac, whole = _frac(u, 3)
            return f"{sign}{whole}{frac}µs"
        frac, whole = _frac(u, 6)
        return f"{sign}{whole}{frac}ms"
    frac, secs = _frac(u, 9)
    text = f"{secs % 60}{frac}s"
    mins = secs // 60
    if mins:
        text = f"{mins % 60}m" + text
        hours = mins // 60
        if hours:
            text = f"{hours}h" + text
    return sign + text


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
