"""Fixtures of the drop-in tests (fastnats' command line, config files, signals, files, logs)."""

from __future__ import annotations

import pytest

from .procs import reference_path


@pytest.fixture(params=["fastnats", "nats-server"])
def kind(request: pytest.FixtureRequest) -> str:
    """Runs a test against fastnats and against the reference nats-server (skipped if absent)."""
    value: str = request.param
    if value == "nats-server" and reference_path() is None:
        pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or put it on PATH)")
    return value
