"""Monitoring: nats-server's HTTP endpoints and a Prometheus one, and the same snapshots as
dicts from Python.

Imported only when monitoring is used (``fastnats.Server(http_port=...)`` or one of
``Server.varz()``/``connz()``/``subsz()``/``accountz()``/``accstatz()``/``metrics()``), so
``import fastnats`` stays lean.

Modules: :mod:`.state` (per-server state, what the endpoints read), :mod:`.core` (the
documents as dicts for :class:`fastnats.Server`), :mod:`.varz`, :mod:`.connz`, :mod:`.subsz`,
:mod:`.accountz`, :mod:`.accstatz`, :mod:`.metrics` (the documents), :mod:`.accounts` (the
accounts the engine runs), :mod:`.params` (query decoding and nats-server's error texts),
:mod:`.clock` (snapshot times, nats-server's uptime format), :mod:`.usage` (memory and CPU),
:mod:`.http` (the listener). Go's formats (``strconv``, RFC 3339, durations) are
:mod:`fastnats.gocompat`'s.
"""

from .core import Monitor
from .params import BadRequest

__all__ = ["BadRequest", "Monitor"]
