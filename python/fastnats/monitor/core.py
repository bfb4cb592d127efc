"""The monitoring state of one server: its native handle, request counts and CPU sampler.

Snapshots are built on demand from the native counters and snapshot calls (no lock of the
message path is held longer than one connection's copy); this object only keeps what nats-server
keeps for monitoring itself.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .. import _fastnats
from . import connz as _connz
from . import metrics as _metrics
from . import subsz as _subsz
from . import varz as _varz
from .params import query_from_kwargs
from .usage import CpuSampler

__all__ = ["Monitor"]


class Monitor:
    """Builds ``/varz``, ``/connz``, ``/subsz`` and ``/metrics`` for one native server."""

    def __init__(self, native: _fastnats.NativeServer) -> None:
        self.native = native
        self.cpu = CpuSampler()
        # Reported in /varz; set when the HTTP listener binds.
        self.http_host = ""
        self.http_port = 0
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        # /varz config_load_time (None: the start time) and config_digest.
        self.config_load_time_ns: int | None = None
        self.config_digest = ""

    def config_loaded(self, digest: str = "") -> None:
        """Record a (re)load of the configuration: ``digest`` as nats-server writes it
        (``sha256:<hex>`` of the file), empty without a file."""
        self.config_load_time_ns = time.time_ns()
        self.config_digest = digest

    # request accounting (/varz http_req_stats) --------------------------------------------
    def count_request(self, path: str) -> None:
        with self._lock:
            self._requests[path] = self._requests.get(path, 0) + 1

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._requests.items()))

    # snapshots from Python -----------------------------------------------------------------
    def varz(self) -> dict[str, Any]:
        return _varz.varz(self)

    def connz(self, **params: Any) -> dict[str, Any]:
        return _connz.connz(self, query_from_kwargs(params, _connz.PARAMS))

    def subsz(self, **params: Any) -> dict[str, Any]:
        return _subsz.subsz(self, query_from_kwargs(params, _subsz.PARAMS))

    def metrics(self) -> str:
        return _metrics.metrics(self)
