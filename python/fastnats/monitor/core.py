"""The monitoring of one server as :class:`fastnats.Server` uses it: the shared
:class:`~.state.MonitorState` plus the documents as dicts (``Server.varz()``, ``connz()``,
``routez()``, ``leafz()``, ``subsz()``, ``accountz()``, ``accstatz()``, ``jsz()``, ``metrics()``).

This module imports the endpoint modules; they import :mod:`.state`, never this one.
"""

from __future__ import annotations

from typing import Any

from . import accountz as _accountz
from . import accstatz as _accstatz
from . import connz as _connz
from . import jsz as _jsz
from . import leafz as _leafz
from . import metrics as _metrics
from . import routez as _routez
from . import subsz as _subsz
from . import varz as _varz
from .params import query_from_kwargs
from .state import MonitorState

__all__ = ["Monitor"]


class Monitor(MonitorState):
    """Builds ``/varz``, ``/connz``, ``/routez``, ``/leafz``, ``/subsz``, ``/accountz``,
    ``/accstatz``, ``/jsz`` and ``/metrics`` for one native server."""

    # snapshots from Python -----------------------------------------------------------------
    def varz(self) -> dict[str, Any]:
        return _varz.varz(self)

    def connz(self, **params: Any) -> dict[str, Any]:
        return _connz.connz(self, query_from_kwargs(params, _connz.PARAMS))

    def routez(self, **params: Any) -> dict[str, Any]:
        return _routez.routez(self, query_from_kwargs(params, _routez.PARAMS))

    def leafz(self, **params: Any) -> dict[str, Any]:
        return _leafz.leafz(self, query_from_kwargs(params, _leafz.PARAMS))

    def subsz(self, **params: Any) -> dict[str, Any]:
        return _subsz.subsz(self, query_from_kwargs(params, _subsz.PARAMS))

    def accountz(self, **params: Any) -> dict[str, Any]:
        return _accountz.accountz(self, query_from_kwargs(params, _accountz.PARAMS))

    def jsz(self, **params: Any) -> dict[str, Any]:
        return _jsz.jsz(self, query_from_kwargs(params, _jsz.PARAMS))

    def accstatz(self, **params: Any) -> dict[str, Any]:
        return _accstatz.accstatz(self, query_from_kwargs(params, _accstatz.PARAMS))

    def metrics(self) -> str:
        return _metrics.metrics(self)
