"""What one server's monitoring keeps between requests: the native handle, the HTTP request
counts, the CPU sampler, the config load time and JetStream's resolved settings.

Every endpoint module (:mod:`.varz`, :mod:`.connz`, :mod:`.subsz`, :mod:`.accountz`,
:mod:`.accstatz`, :mod:`.metrics`) builds its document from a :class:`MonitorState` and imports
nothing else of this package but :mod:`.params`, :mod:`.clock`, :mod:`.usage` and
:mod:`.accounts` (:mod:`.accountz` also takes :func:`.subsz.sublist_stats`, :mod:`.varz`
:func:`.jsz.stats`); :mod:`.core` and
:mod:`.http` import the endpoints. Dependencies point one way.

Snapshots are built on demand from the native counters and snapshot calls (no lock of the
message path is held longer than one connection's copy); this object only keeps what
nats-server keeps for monitoring itself.
"""

from __future__ import annotations

import threading
import time

from .. import _fastnats
from .usage import CpuSampler

__all__ = ["MonitorState"]


class MonitorState:
    """The per-server monitoring state the endpoints read."""

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
        # JetStream's settings as it runs with them (/varz jetstream.config), resolved once,
        # when the server starts, as nats-server does; None without JetStream.
        js = native.config().get("jetstream")
        self.jetstream_config = None if js is None else _fastnats.resolve_jetstream(js)

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
