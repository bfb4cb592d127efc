"""Process resource usage for ``/varz`` and ``/metrics``: resident memory, CPU, cores.

Read from the operating system on demand (``/proc/self/status`` on Linux); nothing here runs
on the message path.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["CpuSampler", "cores", "cpu_seconds", "resident_memory"]


def resident_memory() -> int:
    """Resident set size in bytes (VmRSS), or the peak RSS where /proc is missing."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        import sys
    except ImportError:  # pragma: no cover - not on Windows targets
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def cores() -> int:
    """CPUs this process may run on (Go's ``runtime.NumCPU`` respects affinity too)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_seconds() -> float:
    """User + system CPU time of the whole process (every thread), in seconds."""
    return time.process_time()


class CpuSampler:
    """CPU percent of the process over the last sampling interval (at least one second).

    nats-server samples once a second in the background; this samples when asked, over the time
    since the previous sample, and repeats the last figure when asked again within a second. The
    first figure is 0 until a second has passed, as nats-server's is.
    """

    INTERVAL = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wall = time.monotonic()
        self._cpu = cpu_seconds()
        self._percent = 0.0

    def percent(self) -> float:
        with self._lock:
            wall, cpu = time.monotonic(), cpu_seconds()
            elapsed = wall - self._wall
            if elapsed >= self.INTERVAL:
                self._percent = round((cpu - self._cpu) / elapsed * 100.0, 1)
                self._wall, self._cpu = wall, cpu
            return self._percent
