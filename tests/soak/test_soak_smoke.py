"""A 30-second run of benches/soak.py against fastnats, asserting the soak's pass criteria.

The same code as the 30-minute soak (benches/README.md, "Soak"), with short intervals so every
worker acts several times: a SIGHUP every 3 s, a slow consumer every 8 s, RSS and fds sampled
every 2 s. The RSS bound is looser (100%) than the long run's 10%: in 30 s the server's buffers
and the allocator are still growing to their working size; the other criteria are the same.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(90)

SOAK = Path(__file__).resolve().parents[2] / "benches" / "soak.py"


def load_soak() -> Any:
    spec = importlib.util.spec_from_file_location("fastnats_soak_bench", SOAK)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_soak_smoke() -> None:
    pytest.importorskip("nats")
    soak = load_soak()
    args = soak.parser().parse_args(
        [
            "--minutes",
            "0.5",
            "--reload-every",
            "3",
            "--slow-every",
            "8",
            "--sample-every",
            "2",
            "--rate",
            "500",
            "--churn-rate",
            "8",
            "--rss-bound",
            "1.0",
            "--no-save",
        ]
    )
    res = soak.run_soak(args)
    s = res["stats"]
    # Every worker did its part (a run where one never acted would pass vacuously).
    assert sum(s["published"].values()) > 10_000
    assert s["queue_published"] > 3_000 and min(s["queue_members"]) > 0
    assert s["answered"] > 500
    assert s["churn_ok"] > 50 and s["churn_mid_payload"] > 5
    assert s["slow_cut"] >= 2
    assert s["reloads_sent"] >= 8
    assert s["monitor_ok"] > 40
    assert res["pass"], soak.summary(res)
