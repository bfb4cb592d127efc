#!/usr/bin/env python3
"""Soak (issue 16): one server under mixed load for ``--minutes`` (default 30), on loopback.

    python benches/soak.py --minutes 1                 # a smoke, ~1.2 minutes
    python benches/soak.py                             # the 30-minute soak of fastnats
    python benches/soak.py --ref nats-server --minutes 10   # the same load on nats-server

The server is the fastnats this Python imports (``python -m fastnats serve -c CONF -m PORT``:
an installed release build, or ``PYTHONPATH=python`` with a release .so in place), or with
``--ref PATH`` a nats-server binary with the same config file and flags. It listens on
127.0.0.1 (client and monitoring ports picked free). One run soaks one server.

The load (one generator process: asyncio + nats-py for the clients that must keep up, threads
with raw sockets for the ones that misbehave; every loop bounded in count and in time):

- ``pubsub``: ``--pairs`` publishers, each on its own connection, publish sequence-numbered
  messages (one pair with headers, HPUB) at ``--rate`` msgs/s each to ``soak.ps.<i>``; a
  subscriber per subject on other connections, plus one ``soak.ps.>`` wildcard subscriber,
  check every message: in order, none twice, none missing.
- ``queue``: one publisher at ``--rate`` to ``soak.q``, three members of queue group ``workers``
  on three connections: every sequence number delivered exactly once to the group.
- ``reqrep``: two responders (queue group ``rr``), ``--requesters`` loops each sending one
  request at a time (``--req-rate`` per loop), 2 s timeout: every request answered with its
  own payload.
- ``churn``: raw sockets at ``--churn-rate`` connections/s: CONNECT, SUB, PUB, PING, wait for
  the own message and PONG, close; every 5th is closed in the middle of a PUB payload, every
  7th right after the INFO without CONNECT.
- ``slow``: every ``--slow-every`` s a raw subscriber with a 16 KiB receive buffer subscribes to
  ``soak.slow`` and stops reading; another raw connection publishes 16 KiB messages there
  until ``/varz`` ``slow_consumers`` moves (at most 64 MiB): the subscriber must be cut (its
  socket reaches EOF) while the checkers above lose nothing.
- ``monitor``: ``/varz``, ``/connz``, ``/subsz`` every second; every answer must be JSON.
- ``reload``: every ``--reload-every`` s the config file is rewritten with a harmless change
  (``max_connections``, ``max_control_line``, ``ping_interval`` and ``write_deadline``
  alternate between two values; all four are reloadable on nats-server and fastnats) and the
  server gets SIGHUP; its log must show one ``Reloaded server configuration`` per signal and
  no ``Failed to reload``.
- ``sampler``: the server's RSS (``/proc/PID/status`` VmRSS) and open fds (``/proc/PID/fd``)
  every ``--sample-every`` s.

Pass criteria (all must hold; the JSON result and the summary list each):

1. the server is alive through the run and exits 0 on SIGTERM at the end;
2. 0 lost, 0 duplicate, 0 out-of-order messages on every pub/sub and wildcard subscriber,
   every queue-group message delivered exactly once, no nats-py client disconnected;
3. every request answered with its own payload (``--max-timeouts``, default 0);
4. every churn connection that completed its handshake got its message; every slow consumer
   cut; every monitoring answer JSON; every reload applied;
5. fds: with the load still connected after churn and slow consumers stopped, within
   ``--fd-slack`` (4) of the baseline (first sample after warm-up); with every client gone,
   within 2 of the count before the first client connected, and ``/varz`` showing 0
   connections and the subscription count from before the first client;
6. RSS: the median of the last window (``min(5 min, run/6)``) at most ``--rss-bound`` (10%)
   above the median of the window starting at a third of the run (for 30 minutes: growth over
   the last 20 minutes). Also reported, not judged: baseline (after ``min(60 s, run/5)`` of
   warm-up), max, end, and the growth between the first and the last window after warm-up.

Output: a summary (markdown) on stdout and in ``benches/results/soak-latest.md``, everything
in ``benches/results/soak-<time>.json`` (gitignored). Exit code 1 when a criterion fails.
Linux only (/proc). Needs nats-py (``pip install nats-py``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCHES = Path(__file__).resolve().parent
REPO = BENCHES.parent
RESULTS = BENCHES / "results"
HOST = "127.0.0.1"
KIB = 1024
SLOW_MSG = 16 * KIB
SLOW_BUDGET = 64 * KIB * KIB  # bytes published to one slow consumer at most
READY_TIMEOUT = 20.0


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def read_proc(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def rss_kib(pid: int) -> int:
    for line in read_proc(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def git(*args: str) -> str:
    try:
        r = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return r.stdout.strip()
    except OSError:
        return ""


def http_json(port: int, path: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


def config_text(port: int, generation: int) -> str:
    """The server's config; odd and even generations differ in four reloadable options."""
    g = generation % 2
    return (
        f"# fastnats soak, generation {generation}\n"
        f"listen: {HOST}:{port}\n"
        f"max_pending: 8MB\n"
        f"max_connections: {10000 + g}\n"
        f"max_control_line: {4096 + 4 * g}\n"
        f'ping_interval: "{120 + g}s"\n'
        f'write_deadline: "{10 + g}s"\n'
    )


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class Server:
    """The server process, its log drained by a thread (counts kept, the tail kept)."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.tail: list[str] = []
        self.reloaded = 0
        self.reload_failed = 0
        self.slow_logged = 0
        self.alarms: list[str] = []  # panics, tracebacks, [FTL]
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.pid = self.proc.pid
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        if not self.ready.wait(READY_TIMEOUT) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError(
                f"server did not become ready: {' '.join(argv)}\n" + "\n".join(self.tail[-20:])
            )

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            with self.lock:
                self.tail.append(line)
                del self.tail[:-200]
                if "Server is ready" in line:
                    self.ready.set()
                if "Reloaded server configuration" in line:
                    self.reloaded += 1
                if "Failed to reload" in line:
                    self.reload_failed += 1
                    if len(self.alarms) < 50:
                        self.alarms.append(line)
                if "Slow Consumer" in line:
                    self.slow_logged += 1
                if re.search(r"panicked|Traceback|\[FTL\]|^panic:|fatal error", line):
                    if len(self.alarms) < 50:
                        self.alarms.append(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 10 s; the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                return None
        self.drain.join(5)
        return self.proc.returncode


# --------------------------------------------------------------------------------------------
# Counters shared by the workers
# --------------------------------------------------------------------------------------------


@dataclass
class SeqCheck:
    """One subscriber's view of one publisher's sequence."""

    received: int = 0
    last: int = 0
    gaps: int = 0  # messages skipped when a later one arrived
    dups_or_reordered: int = 0

    def see(self, seq: int) -> None:
        self.received += 1
        if seq == self.last + 1:
            self.last = seq
        elif seq > self.last + 1:
            self.gaps += seq - self.last - 1
            self.last = seq
        else:
            self.dups_or_reordered += 1


@dataclass
class Stats:
    published: dict[str, int] = field(default_factory=dict)
    checks: dict[str, SeqCheck] = field(default_factory=dict)
    queue_counts: bytearray = field(default_factory=bytearray)
    queue_members: list[int] = field(default_factory=lambda: [0, 0, 0])
    queue_published: int = 0
    requests: int = 0
    answered: int = 0
    timeouts: int = 0
    wrong_answers: int = 0
    req_errors: int = 0
    req_max_ms: float = 0.0
    client_errors: list[str] = field(default_factory=list)
    disconnects: int = 0  # before the clients were closed at the end
    closing: bool = False
    churn_ok: int = 0
    churn_failed: int = 0
    churn_mid_payload: int = 0
    churn_no_connect: int = 0
    churn_errors: list[str] = field(default_factory=list)
    slow_episodes: int = 0
    slow_cut: int = 0
    slow_not_cut: int = 0
    slow_bytes: list[int] = field(default_factory=list)
    slow_errors: list[str] = field(default_factory=list)
    monitor_ok: int = 0
    monitor_errors: int = 0
    monitor_error_samples: list[str] = field(default_factory=list)
    monitor_max_ms: float = 0.0
    reloads_sent: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    worker_failures: list[str] = field(default_factory=list)


def note(lst: list[str], text: str, cap: int = 20) -> None:
    if len(lst) < cap:
        lst.append(text)


# --------------------------------------------------------------------------------------------
# Thread workers: raw sockets, monitoring, reloads, sampling
# --------------------------------------------------------------------------------------------


def recv_until(sock: socket.socket, needles: list[bytes], deadline: float) -> bytes:
    """Reads until every needle was seen (or the deadline: TimeoutError, EOF: EOFError)."""
    buf = b""
    while not all(n in buf for n in needles):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"waited for {needles!r}, got {buf[-200:]!r}")
        sock.settimeout(left)
        data = sock.recv(65536)
        if not data:
            raise EOFError(f"server closed, got {buf[-200:]!r}")
        buf += data
    return buf


def open_raw(port: int, rcvbuf: int | None = None) -> tuple[socket.socket, dict[str, Any]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    sock.connect((HOST, port))
    info = recv_until(sock, [b"\r\n"], time.monotonic() + 5)
    line = info.split(b"\r\n", 1)[0]
    return sock, json.loads(line[5:]) if line.startswith(b"INFO ") else {}


CONNECT = b'CONNECT {"verbose":false,"pedantic":false,"name":"soak-raw"}\r\n'


def churn_worker(port: int, rate: float, stop: threading.Event, st: Stats) -> None:
    n = 0
    period = 1.0 / rate if rate > 0 else 1.0
    nxt = time.monotonic()
    while not stop.is_set():
        n += 1
        try:
            sock, _ = open_raw(port)
        except (OSError, ValueError) as e:
            st.churn_failed += 1
            note(st.churn_errors, f"connect {n}: {e!r}")
            stop.wait(period)
            continue
        try:
            if n % 7 == 0:
                st.churn_no_connect += 1
            elif n % 5 == 0:
                sock.sendall(CONNECT + b"PUB soak.churn.x 1000\r\n" + b"x" * 300)
                st.churn_mid_payload += 1
            else:
                subj = f"soak.churn.{n}".encode()
                sock.sendall(
                    CONNECT + b"SUB " + subj + b" 1\r\nPUB " + subj + b" 5\r\nhello\r\nPING\r\n"
                )
                recv_until(
                    sock, [b"MSG " + subj + b" 1 5\r\nhello\r\n", b"PONG\r\n"], time.monotonic() + 5
                )
                st.churn_ok += 1
        except (OSError, EOFError, TimeoutError) as e:
            st.churn_failed += 1
            note(st.churn_errors, f"conn {n}: {e!r}")
        finally:
            sock.close()
        nxt += period
        delay = nxt - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            nxt = time.monotonic()


def slow_consumers_count(mport: int) -> int:
    return int(http_json(mport, "/varz").get("slow_consumers", 0))


def slow_episode(port: int, mport: int, st: Stats) -> None:
    st.slow_episodes += 1
    before = slow_consumers_count(mport)
    sub, _ = open_raw(port, rcvbuf=16 * KIB)
    pub: socket.socket | None = None
    try:
        sub.sendall(CONNECT + b"SUB soak.slow 1\r\nPING\r\n")
        recv_until(sub, [b"PONG\r\n"], time.monotonic() + 5)
        # From here on the subscriber reads nothing until the publisher is done.
        pub, _ = open_raw(port)
        pub.settimeout(15)
        pub.sendall(CONNECT)
        chunk = (b"PUB soak.slow %d\r\n" % SLOW_MSG + b"s" * SLOW_MSG + b"\r\n") * 64
        sent = 0
        cut = False
        deadline = time.monotonic() + 30
        while sent < SLOW_BUDGET and time.monotonic() < deadline:
            pub.sendall(chunk)
            sent += len(chunk)
            if sent % (4 * len(chunk)) == 0 or sent >= SLOW_BUDGET:
                pub.sendall(b"PING\r\n")
                recv_until(pub, [b"PONG\r\n"], time.monotonic() + 15)
                if slow_consumers_count(mport) > before:
                    cut = True
                    break
        st.slow_bytes.append(sent)
        # The cut subscriber's socket must reach EOF once drained (bounded).
        eof = False
        end = time.monotonic() + 15
        while time.monotonic() < end:
            sub.settimeout(max(0.1, end - time.monotonic()))
            try:
                data = sub.recv(1 << 20)
            except TimeoutError:
                break
            except ConnectionResetError:
                eof = True
                break
            if not data:
                eof = True
                break
        if cut and eof:
            st.slow_cut += 1
        else:
            st.slow_not_cut += 1
            note(st.slow_errors, f"episode {st.slow_episodes}: cut={cut} eof={eof} sent={sent}")
    finally:
        sub.close()
        if pub is not None:
            pub.close()


def slow_worker(port: int, mport: int, every: float, stop: threading.Event, st: Stats) -> None:
    stop.wait(min(every, 5.0))
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            slow_episode(port, mport, st)
        except (OSError, EOFError, TimeoutError, ValueError) as e:
            st.slow_not_cut += 1
            note(st.slow_errors, f"episode {st.slow_episodes}: {e!r}")
        stop.wait(max(0.0, every - (time.monotonic() - t0)))


def monitor_worker(mport: int, stop: threading.Event, st: Stats) -> None:
    paths = ["/varz", "/connz?limit=2048&subs=1", "/subsz?subs=1&limit=100"]
    while not stop.is_set():
        t0 = time.monotonic()
        for path in paths:
            t1 = time.monotonic()
            try:
                doc = http_json(mport, path)
                if not isinstance(doc, dict):
                    raise ValueError(f"not an object: {str(doc)[:80]}")
                st.monitor_ok += 1
                st.monitor_max_ms = max(st.monitor_max_ms, (time.monotonic() - t1) * 1000)
            except (OSError, ValueError) as e:
                st.monitor_errors += 1
                note(st.monitor_error_samples, f"{path}: {e!r}")
        stop.wait(max(0.0, 1.0 - (time.monotonic() - t0)))


def reload_worker(
    srv: Server, conf: Path, port: int, every: float, stop: threading.Event, st: Stats
) -> None:
    gen = 0
    while not stop.wait(every):
        gen += 1
        tmp = conf.with_suffix(".tmp")
        tmp.write_text(config_text(port, gen))
        os.replace(tmp, conf)
        try:
            os.kill(srv.pid, signal.SIGHUP)
            st.reloads_sent += 1
        except OSError as e:
            note(st.worker_failures, f"SIGHUP: {e!r}")
            return


def sampler_worker(srv: Server, t0: float, every: float, stop: threading.Event, st: Stats) -> None:
    while True:
        st.samples.append(
            {
                "t": round(time.monotonic() - t0, 1),
                "rss_kib": rss_kib(srv.pid),
                "fds": fd_count(srv.pid),
                "alive": srv.alive(),
            }
        )
        if stop.wait(every):
            return


# --------------------------------------------------------------------------------------------
# asyncio workers: nats-py clients that must keep up
# --------------------------------------------------------------------------------------------


async def connect(port: int, name: str, st: Stats) -> Any:
    import nats  # noqa: PLC0415  (imported late: --help works without nats-py)

    async def on_error(e: Exception) -> None:
        note(st.client_errors, f"{name}: {e!r}")

    async def on_disconnect() -> None:
        if st.closing:
            return
        st.disconnects += 1
        note(st.client_errors, f"{name}: disconnected")

    return await nats.connect(
        f"nats://{HOST}:{port}",
        name=name,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        max_reconnect_attempts=3,
        reconnect_time_wait=1,
    )


async def publisher(
    nc: Any,
    subject: str,
    rate: float,
    stop: asyncio.Event,
    st: Stats,
    key: str,
    size: int,
    headers: bool = False,
) -> None:
    """Publishes ``seq`` numbers padded to ``size`` bytes, in bursts of 1/20 s."""
    burst = max(1, int(rate / 20))
    pad = b"." * max(0, size - 12)
    seq = 0
    loop = asyncio.get_running_loop()
    nxt = loop.time()
    while not stop.is_set():
        for _ in range(burst):
            seq += 1
            data = b"%d " % seq + pad
            if headers:
                await nc.publish(subject, data, headers={"Soak-Seq": str(seq)})
            else:
                await nc.publish(subject, data)
        if key == "queue":
            st.queue_published = seq
        else:
            st.published[key] = seq
        nxt += burst / rate
        await asyncio.sleep(max(0.0, nxt - loop.time()))
    await nc.flush(timeout=10)


async def requester(nc: Any, idx: int, rate: float, stop: asyncio.Event, st: Stats) -> None:
    import nats.errors  # noqa: PLC0415

    n = 0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        n += 1
        body = f"req {idx} {n}".encode()
        st.requests += 1
        t0 = loop.time()
        try:
            msg = await nc.request("soak.rr", body, timeout=2.0)
            st.req_max_ms = max(st.req_max_ms, (loop.time() - t0) * 1000)
            if msg.data == b"re: " + body:
                st.answered += 1
            else:
                st.wrong_answers += 1
                note(st.client_errors, f"requester {idx}: {body!r} -> {msg.data[:60]!r}")
        except nats.errors.TimeoutError:
            st.timeouts += 1
            note(st.client_errors, f"requester {idx}: timeout on {body!r}")
        except nats.errors.Error as e:
            st.req_errors += 1
            note(st.client_errors, f"requester {idx}: {e!r}")
        await asyncio.sleep(max(0.0, 1.0 / rate - (loop.time() - t0)))


async def async_load(
    port: int,
    args: argparse.Namespace,
    duration: float,
    st: Stats,
    on_warm: Any,
    on_stop: Any,
) -> dict[str, Any]:
    """Runs the nats-py workers for ``duration`` s; checks and closes them; returns figures."""
    conns: list[Any] = []

    async def conn(name: str) -> Any:
        nc = await connect(port, name, st)
        conns.append(nc)
        return nc

    stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []
    subjects = [f"soak.ps.{i}" for i in range(args.pairs)]

    # Subscribers first: one per subject, and one wildcard over all of them.
    for i, subject in enumerate(subjects):
        check = st.checks.setdefault(f"sub {subject}", SeqCheck())

        def cb_for(c: SeqCheck) -> Any:
            async def cb(msg: Any) -> None:
                c.see(int(msg.data.split(b" ", 1)[0]))

            return cb

        await (await conn(f"soak-sub-{i}")).subscribe(subject, cb=cb_for(check))
    wild = {s: st.checks.setdefault(f"wildcard {s}", SeqCheck()) for s in subjects}

    async def wild_cb(msg: Any) -> None:
        wild[msg.subject].see(int(msg.data.split(b" ", 1)[0]))

    await (await conn("soak-wildcard")).subscribe("soak.ps.>", cb=wild_cb)

    cap = int(args.rate * duration * 1.5) + 10000
    st.queue_counts = bytearray(cap)

    def member_cb(m: int) -> Any:
        async def cb(msg: Any) -> None:
            seq = int(msg.data.split(b" ", 1)[0])
            st.queue_members[m] += 1
            if seq < cap:
                st.queue_counts[seq] = min(255, st.queue_counts[seq] + 1)

        return cb

    for m in range(3):
        await (await conn(f"soak-queue-{m}")).subscribe("soak.q", queue="workers", cb=member_cb(m))

    for r in range(2):
        rnc = await conn(f"soak-responder-{r}")

        def responder(nc: Any) -> Any:
            async def cb(msg: Any) -> None:
                await nc.publish(msg.reply, b"re: " + msg.data)

            return cb

        await rnc.subscribe("soak.rr", queue="rr", cb=responder(rnc))
    for nc in conns:
        await nc.flush(timeout=10)

    for i, subject in enumerate(subjects):
        pnc = await conn(f"soak-pub-{i}")
        tasks.append(
            asyncio.create_task(
                publisher(pnc, subject, args.rate, stop, st, subject, args.size, headers=(i == 0))
            )
        )
    qnc = await conn("soak-queue-pub")
    tasks.append(asyncio.create_task(publisher(qnc, "soak.q", args.rate, stop, st, "queue", 64)))
    rq = await conn("soak-requester")
    for k in range(args.requesters):
        tasks.append(asyncio.create_task(requester(rq, k, args.req_rate, stop, st)))

    loop = asyncio.get_running_loop()
    t_start = loop.time()
    warm_done = False
    while loop.time() - t_start < duration:
        if not warm_done and loop.time() - t_start >= args.warmup:
            warm_done = True
            on_warm()
        failed = [t for t in tasks if t.done() and t.exception() is not None]
        if failed:
            for t in failed:
                note(st.worker_failures, f"async worker: {t.exception()!r}")
            break
        await asyncio.sleep(min(1.0, duration - (loop.time() - t_start)))

    # Stop: the thread workers first, then the publishers; drain; check.
    await asyncio.to_thread(on_stop)
    stop.set()
    done, pending = await asyncio.wait(tasks, timeout=20)
    for t in pending:
        t.cancel()
        note(st.worker_failures, "async worker did not stop in 20 s")
    for t in done:
        if not t.cancelled() and t.exception() is not None:
            note(st.worker_failures, f"async worker: {t.exception()!r}")
    for nc in conns:
        try:
            await nc.flush(timeout=10)
        except Exception as e:  # noqa: BLE001 - reported as a failure
            note(st.worker_failures, f"final flush: {e!r}")

    def complete() -> bool:
        subs_ok = all(
            st.checks[f"{kind} {s}"].last >= st.published.get(s, 0)
            for s in subjects
            for kind in ("sub", "wildcard")
        )
        return subs_ok and sum(st.queue_members) >= st.queue_published

    end = loop.time() + 15
    while not complete() and loop.time() < end:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything extra (duplicates) has time to show
    return {"conns": conns}


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def window_median(samples: list[dict[str, Any]], lo: float, hi: float, key: str) -> float | None:
    vals = [s[key] for s in samples if lo <= s["t"] <= hi and s[key] >= 0]
    return float(statistics.median(vals)) if vals else None


def run_soak(args: argparse.Namespace) -> dict[str, Any]:
    """One soak; returns the result record (``result["pass"]``, ``result["failures"]``)."""
    duration = args.minutes * 60.0
    if args.warmup is None:
        args.warmup = min(60.0, duration / 5)
    port, mport = free_port(), free_port()
    tmp = Path(tempfile.mkdtemp(prefix="fastnats-soak-"))
    conf = tmp / "soak.conf"
    conf.write_text(config_text(port, 0))
    if args.ref:
        binary = shutil.which(args.ref) or args.ref
        argv = [binary, "-c", str(conf), "-m", str(mport)]
        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
        kind = f"nats-server {version.strip()}"
    else:
        argv = [sys.executable, "-m", "fastnats", "serve", "-c", str(conf), "-m", str(mport)]
        version = subprocess.run(
            [sys.executable, "-m", "fastnats", "--version"], capture_output=True, text=True
        ).stdout
        kind = f"fastnats ({version.strip()})"
    st = Stats()
    srv = Server(argv)
    failures: list[str] = []
    marks: dict[str, Any] = {}
    try:
        time.sleep(0.5)
        marks["fds_idle_start"] = fd_count(srv.pid)
        marks["rss_idle_start_kib"] = rss_kib(srv.pid)
        marks["subs_idle_start"] = http_json(mport, "/varz").get("subscriptions")
        t0 = time.monotonic()
        stop_threads = threading.Event()
        stop_sampler = threading.Event()
        threads = [
            threading.Thread(
                target=sampler_worker,
                args=(srv, t0, args.sample_every, stop_sampler, st),
                daemon=True,
            ),
            threading.Thread(
                target=churn_worker, args=(port, args.churn_rate, stop_threads, st), daemon=True
            ),
            threading.Thread(
                target=slow_worker,
                args=(port, mport, args.slow_every, stop_threads, st),
                daemon=True,
            ),
            threading.Thread(target=monitor_worker, args=(mport, stop_threads, st), daemon=True),
            threading.Thread(
                target=reload_worker,
                args=(srv, conf, port, args.reload_every, stop_threads, st),
                daemon=True,
            ),
        ]
        for t in threads:
            t.start()

        def on_warm() -> None:
            marks["warm_t"] = round(time.monotonic() - t0, 1)

        def on_stop() -> None:
            marks["stop_t"] = round(time.monotonic() - t0, 1)
            stop_threads.set()
            for t in threads[1:]:
                t.join(60)
                if t.is_alive():
                    note(st.worker_failures, f"{t.name} did not stop in 60 s")

        async def main_async() -> None:
            res = await async_load(port, args, duration, st, on_warm, on_stop)
            # Load still connected, churn and slow consumers stopped.
            await asyncio.sleep(1.0)
            marks["fds_end_loaded"] = fd_count(srv.pid)
            marks["rss_end_loaded_kib"] = rss_kib(srv.pid)
            st.closing = True
            for nc in res["conns"]:
                try:
                    await nc.close()
                except Exception as e:  # noqa: BLE001 - reported
                    note(st.worker_failures, f"close: {e!r}")

        asyncio.run(main_async())
        # Every client gone: the server back to its idle fd count (bounded wait).
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                if http_json(mport, "/varz").get("connections", -1) == 0:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        time.sleep(0.5)
        marks["fds_idle_end"] = fd_count(srv.pid)
        marks["rss_idle_end_kib"] = rss_kib(srv.pid)
        try:
            marks["varz_end"] = {
                k: v
                for k, v in http_json(mport, "/varz").items()
                if k
                in (
                    "connections",
                    "total_connections",
                    "slow_consumers",
                    "in_msgs",
                    "out_msgs",
                    "in_bytes",
                    "out_bytes",
                    "subscriptions",
                    "mem",
                )
            }
        except (OSError, ValueError) as e:
            failures.append(f"/varz at the end: {e!r}")
        stop_sampler.set()
        threads[0].join(30)
        marks["alive_at_end"] = srv.alive()
    finally:
        marks["exit_code"] = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    # ---- judge -----------------------------------------------------------------------------
    samples = st.samples
    if not marks.get("alive_at_end") or not all(s["alive"] for s in samples):
        failures.append("server died during the run")
    if marks.get("exit_code") != 0:
        failures.append(f"server exit code on SIGTERM: {marks.get('exit_code')}")
    vend = marks.get("varz_end") or {}
    if vend.get("connections") != 0 or vend.get("subscriptions") != marks["subs_idle_start"]:
        failures.append(
            f"with every client gone /varz shows {vend.get('connections')} connections and "
            f"{vend.get('subscriptions')} subscriptions ({marks['subs_idle_start']} at start)"
        )
    if srv.alarms:
        failures.append(f"server log alarms: {srv.alarms[:5]}")
    for name, c in st.checks.items():
        subject = name.split(" ", 1)[1]
        pub = st.published.get(subject, 0)
        lost = pub - c.received + c.dups_or_reordered
        if c.gaps or c.dups_or_reordered or lost or c.last != pub:
            failures.append(
                f"{name}: published {pub}, received {c.received}, lost {lost}, "
                f"gaps {c.gaps}, dup/out-of-order {c.dups_or_reordered}"
            )
    qp = st.queue_published
    qc = st.queue_counts[1 : qp + 1]
    q_missing = qc.count(0)
    q_twice = len(qc) - q_missing - qc.count(1)
    q_extra = sum(st.queue_members) - qp
    if q_missing or q_twice or q_extra or qp == 0:
        failures.append(
            f"queue group: published {qp}, missing {q_missing}, more than once {q_twice}, "
            f"delivered {sum(st.queue_members)}"
        )
    if st.disconnects:
        failures.append(f"nats-py clients disconnected {st.disconnects} times")
    if st.timeouts > args.max_timeouts or st.wrong_answers or st.req_errors or not st.answered:
        failures.append(
            f"requests: {st.requests} sent, {st.answered} answered, {st.timeouts} timeouts, "
            f"{st.wrong_answers} wrong, {st.req_errors} errors"
        )
    if st.churn_failed or (args.churn_rate > 0 and not st.churn_ok):
        failures.append(f"churn: {st.churn_ok} ok, {st.churn_failed} failed")
    if st.slow_not_cut or (args.slow_every < duration and not st.slow_cut):
        failures.append(f"slow consumers: {st.slow_cut} cut, {st.slow_not_cut} not")
    if st.monitor_errors or not st.monitor_ok:
        failures.append(f"monitoring: {st.monitor_ok} ok, {st.monitor_errors} errors")
    if st.reloads_sent != srv.reloaded or srv.reload_failed:
        failures.append(
            f"reloads: {st.reloads_sent} SIGHUPs, {srv.reloaded} applied, "
            f"{srv.reload_failed} failed"
        )
    if st.worker_failures:
        failures.append(f"workers: {st.worker_failures[:5]}")

    warm = float(args.warmup)
    loaded = [s for s in samples if s["t"] >= warm and s["rss_kib"] > 0]
    figures: dict[str, Any] = {}
    if loaded:
        base = loaded[0]
        w = min(300.0, duration / 6)
        stop_t = float(marks.get("stop_t", duration))
        in_run = [s for s in loaded if s["t"] <= stop_t]
        first = window_median(loaded, warm, warm + w, "rss_kib")
        last = window_median(loaded, stop_t - w, stop_t, "rss_kib")
        third = window_median(loaded, duration / 3, duration / 3 + w, "rss_kib")
        figures = {
            "window_s": w,
            "rss_baseline_kib": base["rss_kib"],
            "rss_max_kib": max(s["rss_kib"] for s in loaded),
            "rss_end_kib": (in_run or loaded)[-1]["rss_kib"],
            "rss_first_window_median_kib": first,
            "rss_last_window_median_kib": last,
            "rss_third_window_median_kib": third,
            "rss_growth_first_last": (last / first - 1) if first and last else None,
            "rss_growth_late": (last / third - 1) if third and last else None,
            "fds_baseline": base["fds"],
            "fds_max": max(s["fds"] for s in loaded),
            "fds_end_loaded": marks.get("fds_end_loaded"),
            "fds_idle_start": marks.get("fds_idle_start"),
            "fds_idle_end": marks.get("fds_idle_end"),
        }
        late = figures["rss_growth_late"]
        if late is None or late > args.rss_bound:
            failures.append(
                f"RSS grew {late if late is None else f'{late:.1%}'} over the late part of the "
                f"run (bound {args.rss_bound:.0%})"
            )
        fe = figures["fds_end_loaded"]
        if fe is None or abs(fe - base["fds"]) > args.fd_slack:
            failures.append(f"fds with the load connected: {fe} against baseline {base['fds']}")
        fi, fs = figures["fds_idle_end"], figures["fds_idle_start"]
        if fi is None or fs is None or abs(fi - fs) > 2:
            failures.append(f"fds with every client gone: {fi} against {fs} at start")
    else:
        failures.append("no samples after warm-up")

    st_dict = asdict(st)
    st_dict.pop("queue_counts")
    st_dict["checks"] = {k: asdict(v) for k, v in st.checks.items()}
    return {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "server": kind,
        "argv": argv,
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "machine": {
            "nproc": os.cpu_count(),
            "load_avg_at_end": os.getloadavg(),
        },
        "args": {k: v for k, v in vars(args).items()},
        "marks": marks,
        "figures": figures,
        "stats": st_dict,
        "server_log": {
            "reloaded": srv.reloaded,
            "reload_failed": srv.reload_failed,
            "slow_consumer_lines": srv.slow_logged,
            "alarms": srv.alarms,
            "tail": srv.tail[-30:],
        },
        "failures": failures,
        "pass": not failures,
    }


def mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:+.1%}"


def summary(res: dict[str, Any]) -> str:
    f, s, m = res["figures"], res["stats"], res["marks"]
    pub = sum(s["published"].values())
    recv = sum(c["received"] for c in s["checks"].values())
    cut_mib = sorted(round(b / 2**20) for b in s["slow_bytes"])
    step = float(f.get("window_s") or 60.0)
    picks: dict[int, int] = {}
    for smp in s["samples"]:
        if smp["rss_kib"] > 0:
            picks.setdefault(int(smp["t"] // step), smp["rss_kib"])
    trajectory = ", ".join(f"{kib / 1024:.1f}" for kib in picks.values()) + " MiB"
    load = ", ".join(f"{x:.2f}" for x in res["machine"]["load_avg_at_end"])
    lines = [
        f"## Soak: {res['server']}, {res['args']['minutes']} min, {res['when']} "
        f"(commit {res['commit']}{' + changes' if res['dirty'] else ''})",
        "",
        f"**{'PASS' if res['pass'] else 'FAIL'}**"
        + ("" if res["pass"] else ": " + "; ".join(res["failures"])),
        "",
        "| figure | value |",
        "|---|---|",
        f"| pub/sub | {pub} published on {len(s['published'])} subjects, {recv} checked "
        f"deliveries (per-subject + wildcard), 0 expected lost/dup/reordered |",
        f"| queue group | {s['queue_published']} published, per member {s['queue_members']} |",
        f"| request/reply | {s['requests']} sent, {s['answered']} answered, {s['timeouts']} "
        f"timeouts, slowest {s['req_max_ms']:.0f} ms |",
        f"| churn | {s['churn_ok']} full round trips, {s['churn_mid_payload']} closed "
        f"mid-payload, {s['churn_no_connect']} closed before CONNECT, {s['churn_failed']} failed |",
        f"| slow consumers | {s['slow_cut']} of {s['slow_episodes']} cut, "
        f"MiB published until cut: {cut_mib[:1] + cut_mib[-1:]} (min, max) |",
        f"| monitoring | {s['monitor_ok']} answers, {s['monitor_errors']} errors, slowest "
        f"{s['monitor_max_ms']:.0f} ms |",
        f"| reloads | {s['reloads_sent']} SIGHUPs, {res['server_log']['reloaded']} applied, "
        f"{res['server_log']['reload_failed']} failed |",
        f"| nats-py disconnects | {s['disconnects']} |",
        f"| RSS | idle {mib(m.get('rss_idle_start_kib'))}; "
        f"baseline {mib(f.get('rss_baseline_kib'))}"
        f" (t={m.get('warm_t')} s), max {mib(f.get('rss_max_kib'))}, end "
        f"{mib(f.get('rss_end_kib'))}; after all clients left {mib(m.get('rss_idle_end_kib'))} |",
        f"| RSS growth | first→last {f.get('window_s', 0):.0f} s window "
        f"{pct(f.get('rss_growth_first_last'))}; late part (from a third of the run) "
        f"{pct(f.get('rss_growth_late'))}, bound {res['args']['rss_bound']:.0%} |",
        f"| RSS every {step:.0f} s | {trajectory} |",
        f"| fds | idle {f.get('fds_idle_start')}, baseline {f.get('fds_baseline')}, max "
        f"{f.get('fds_max')}, end with load {f.get('fds_end_loaded')}, idle at end "
        f"{f.get('fds_idle_end')} |",
        f"| server exit on SIGTERM | {m.get('exit_code')} |",
        f"| load average at end | {load} |",
    ]
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--minutes", type=float, default=30.0, help="run length (default 30)")
    p.add_argument("--ref", metavar="PATH", help="soak this nats-server instead of fastnats")
    p.add_argument("--pairs", type=int, default=3, help="pub/sub pairs (default 3)")
    p.add_argument("--rate", type=float, default=1000.0, help="msgs/s per publisher")
    p.add_argument("--size", type=int, default=128, help="pub/sub payload bytes (default 128)")
    p.add_argument("--requesters", type=int, default=4, help="request loops (default 4)")
    p.add_argument("--req-rate", type=float, default=50.0, help="requests/s per loop")
    p.add_argument("--churn-rate", type=float, default=10.0, help="connections/s (default 10)")
    p.add_argument("--slow-every", type=float, default=30.0, help="s between slow consumers")
    p.add_argument("--reload-every", type=float, default=10.0, help="s between SIGHUPs")
    p.add_argument("--sample-every", type=float, default=10.0, help="s between RSS/fd samples")
    p.add_argument("--warmup", type=float, default=None, help="s (default min(60, run/5))")
    p.add_argument("--rss-bound", type=float, default=0.10, help="late RSS growth bound")
    p.add_argument("--fd-slack", type=int, default=4, help="fds allowed off the baseline")
    p.add_argument("--max-timeouts", type=int, default=0, help="request timeouts allowed")
    p.add_argument("--no-save", action="store_true", help="do not write benches/results/")
    p.add_argument("--summary", metavar="JSON", help="print the summary of a saved result, exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.summary:
        print(summary(json.loads(Path(args.summary).read_text())))
        return 0
    res = run_soak(args)
    text = summary(res)
    print(text)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
        (RESULTS / "soak-latest.md").write_text(text)
        print(f"written: benches/results/soak-{stamp}.json", file=sys.stderr)
    return 0 if res["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
