"""Robustness tests run against fastnats only, in this process, on loopback."""

from __future__ import annotations

import resource

import pytest


@pytest.fixture(autouse=True, scope="session")
def _raise_fd_limit() -> None:
    """Room for thousands of sockets: both ends of every connection live in this process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 8192:
        pytest.skip("needs an fd limit of at least 8192")


def open_fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")
