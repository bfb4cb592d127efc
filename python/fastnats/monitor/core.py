"""The monitoring of one server as :class:`fastnats.Server` uses it: the shared
:class:`~.state.MonitorState` plus the documents as dicts (``Server.varz()``, ``connz()``,
``subsz()``, ``metrics()``).

This module imports the endpoint modules; they import :mod:`.state`, never this one.
"""

from __future__ import annotations

from typing import Any

from . import connz as _connz
from . import metrics as _metrics
from . import subsz as _subsz
from . import varz as _varz
from .params import query_from_kwargs
from .state import MonitorState

__all__ = ["Monitor"]


class Monitor(MonitorState):
    """Builds ``/varz``, ``/connz``, ``/subsz`` and ``/metrics`` for one native server."""

    # snapshots from Python -----------------------------------------------------------------
    def varz(self) -> dict[str, Any]:
        return _varz.varz(self)

    def connz(self, **params: Any) -> dict[str, Any]:
        return _connz.connz(self, query_from_kwargs(params, _connz.PARAMS))

    def subsz(self, **params: Any) -> dict[str, Any]:
        return _subsz.subsz(self, query_from_kwargs(params, _subsz.PARAMS))

    def metrics(self) -> str:
        return _metrics.metrics(self)
