"""The monitoring of one server as :class:`fastnats.Server` uses it: the shared
:class:`~.state.MonitorState` plus the documents as dicts (``Server.varz()``, ``connz()``,
``routez()``, ``leafz()``, ``subsz()``, ``accountz()``, ``accstatz()``, ``jsz()``, ``metrics()``).

This module imports the endpoint modules (each when its document is first asked for: a server
starts with monitoring without loading them); they import :mod:`.state`, never this one.
"""

from __future__ import annotations

from .params import query_from_kwargs
from .state import MonitorState

# Names for annotations only (mypy reads this constant as typing.TYPE_CHECKING).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Monitor"]


class Monitor(MonitorState):
    """Builds ``/varz``, ``/connz``, ``/routez``, ``/leafz``, ``/subsz``, ``/accountz``,
    ``/accstatz``, ``/jsz`` and ``/metrics`` for one native server."""

    # snapshots from Python -----------------------------------------------------------------
    def varz(self) -> dict[str, Any]:
        from . import varz as _varz

        return _varz.varz(self)

    def connz(self, **params: Any) -> dict[str, Any]:
        from . import connz as _connz

        return _connz.connz(self, query_from_kwargs(params, _connz.PARAMS))

    def routez(self, **params: Any) -> dict[str, Any]:
        from . import routez as _routez

        return _routez.routez(self, query_from_kwargs(params, _routez.PARAMS))

    def leafz(self, **params: Any) -> dict[str, Any]:
        from . import leafz as _leafz

        return _leafz.leafz(self, query_from_kwargs(params, _leafz.PARAMS))

    def subsz(self, **params: Any) -> dict[str, Any]:
        from . import subsz as _subsz

        return _subsz.subsz(self, query_from_kwargs(params, _subsz.PARAMS))

    def accountz(self, **params: Any) -> dict[str, Any]:
        from . import accountz as _accountz

        return _accountz.accountz(self, query_from_kwargs(params, _accountz.PARAMS))

    def jsz(self, **params: Any) -> dict[str, Any]:
        from . import jsz as _jsz

        return _jsz.jsz(self, query_from_kwargs(params, _jsz.PARAMS))

    def accstatz(self, **params: Any) -> dict[str, Any]:
        from . import accstatz as _accstatz

        return _accstatz.accstatz(self, query_from_kwargs(params, _accstatz.PARAMS))

    def metrics(self) -> str:
        from . import metrics as _metrics

        return _metrics.metrics(self)
