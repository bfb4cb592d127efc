"""Does monitoring slow the message path? fastnats with /varz polled 10 times a second
against fastnats without monitoring, alternating, same workload (issue: monitoring).

    python benches/monitor_overhead.py [--rounds 5] [--endpoint /varz]

Server pinned to core 0, load generator and poller on core 1, as in compare.py. Prints the
median msgs/s and server CPU ns/msg of each variant and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import compare  # noqa: E402  (shares the loadgen build and /proc sampling)

SERVE = (
    "import sys, fastnats\n"
    "kw = dict(host='127.0.0.1', port=int(sys.argv[1]))\n"
    "if int(sys.argv[2]): kw['http_port'] = int(sys.argv[2])\n"
    "s = fastnats.Server(**kw).start()\n"
    "print('ready', flush=True)\n"
    "s.wait()\n"
)


def poll(url: str, stop: threading.Event, counter: list[int]) -> None:
    os.sched_setaffinity(0, {int(compare.GEN_CORE)})
    while not stop.is_set():
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=5) as r:
            r.read()
            counter[0] += r.status == 200
        stop.wait(max(0.0, 0.1 - (time.perf_counter() - t)))


def run(monitored: bool, endpoint: str, count: int, size: int) -> dict[str, float]:
    port, http = compare.free_port(), compare.free_port() if monitored else 0
    proc = subprocess.Popen(
        ["taskset", "-c", compare.SERVER_CORE, sys.executable, "-c", SERVE, str(port), str(http)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    stop, polls = threading.Event(), [0]
    poller = None
    if monitored:
        poller = threading.Thread(
            target=poll, args=(f"http://127.0.0.1:{http}{endpoint}", stop, polls), daemon=True
        )
        poller.start()
    before = compare.cpu_sched_ns(proc.pid)
    t0 = time.perf_counter()
    out = subprocess.run(
        [
            "taskset",
            "-c",
            compare.GEN_CORE,
            str(compare.LOADGEN),
            "pubsub",
            "--addr",
            f"127.0.0.1:{port}",
            "--count",
            str(count),
            "--size",
            str(size),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    wall = time.perf_counter() - t0
    cpu = compare.cpu_sched_ns(proc.pid) - before
    stop.set()
    if poller:
        poller.join()
    proc.terminate()
    proc.wait(10)
    rec = json.loads(out.strip().splitlines()[-1])
    assert rec["ok"], rec
    return {
        "msgs_per_s": rec["msgs_per_s"],
        "cpu_ns_per_msg": cpu / rec["delivered"],
        "polls_per_s": polls[0] / wall,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--endpoint", default="/varz")
    ap.add_argument("--count", type=int, default=3_000_000)
    ap.add_argument("--size", type=int, default=128)
    a = ap.parse_args()
    if not compare.LOADGEN.exists():
        subprocess.run(
            [
                "cargo",
                "build",
                "--release",
                "--manifest-path",
                str(compare.LOADGEN_DIR / "Cargo.toml"),
            ],
            check=True,
        )
    res: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for i in range(a.rounds):
        for monitored in (False, True) if i % 2 == 0 else (True, False):
            res[monitored].append(run(monitored, a.endpoint, a.count, a.size))
    med = {
        m: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for m, runs in res.items()
    }
    print(f"pubsub 1:1 {a.size}B, {a.rounds} rounds, {a.endpoint} polled in the monitored runs")
    for m in (False, True):
        d = med[m]
        name = f"{a.endpoint} polled" if m else "no monitoring"
        print(
            f"  {name:>16}: {d['msgs_per_s'] / 1e6:.2f}M msgs/s, "
            f"{d['cpu_ns_per_msg']:.0f} ns CPU/msg, {d['polls_per_s']:.1f} polls/s"
        )
    rate = med[True]["msgs_per_s"] / med[False]["msgs_per_s"]
    cpu = med[True]["cpu_ns_per_msg"] / med[False]["cpu_ns_per_msg"]
    print(
        f"  ratio monitored/unmonitored: msgs/s x{rate:.3f}, CPU/msg x{cpu:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
