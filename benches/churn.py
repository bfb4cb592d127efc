#!/usr/bin/env python3
"""Memory under connection churn (issue 16): what a server keeps after many connections
opened and closed, fastnats against nats-server.

    python benches/churn.py                       # 20,000 connections, 500 at a time
    python benches/churn.py --conns 20000 --batch 2000 --ref nats-server

Each server starts fresh on loopback (``python -m fastnats serve`` from the Python running
this script, or ``--ref PATH``); its RSS is read at "Server is ready". Then ``--conns``
connections are opened ``--batch`` at a time; each batch connects, then every connection
sends one of four things in turn: CONNECT + PING; CONNECT + SUB + PING; CONNECT and a PUB
announcing 100,000 bytes followed by 5,000 (it closes mid-payload); CONNECT + a small PUB +
PING. The batch's answers are read (bounded by a timeout) and the batch is closed. Two seconds
after the last batch the server's RSS (``VmRSS``), its peak (``VmHWM``) and its open fds are
read. Every process started is stopped by its PID. Linux only (/proc).

What stays for fastnats is the closed-connection ring that ``/connz?state=closed`` reads (the
last 10,000, as nats-server keeps) and what the allocator has not returned yet (see
rust/server/src/trim.rs); ``--batch`` sets the peak of concurrent connections.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} for {pid}")


def start(argv: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [*argv, "-a", HOST, "-p", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    port = None
    deadline = time.monotonic() + 30
    for line in proc.stderr:
        if b"Listening for client connections on" in line:
            port = int(line.rsplit(b":", 1)[1])
        if b"Server is ready" in line:
            break
        if time.monotonic() > deadline:
            break
    if port is None:
        proc.kill()
        raise RuntimeError(f"{argv} did not get ready")
    stderr = proc.stderr
    threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
    return proc, port


GREETINGS = [
    b'CONNECT {"verbose":false}\r\nPING\r\n',
    b'CONNECT {"verbose":false}\r\nSUB churn.%d 1\r\nPING\r\n',
    b'CONNECT {"verbose":false}\r\nPUB churn 100000\r\n' + b"y" * 5000,
    b'CONNECT {"verbose":false}\r\nPUB churn 10\r\n0123456789\r\nPING\r\n',
]


def churn(port: int, conns: int, batch: int) -> None:
    done = 0
    while done < conns:
        socks = [socket.create_connection((HOST, port)) for _ in range(min(batch, conns - done))]
        for i, s in enumerate(socks):
            greeting = GREETINGS[(done + i) % len(GREETINGS)]
            s.sendall(greeting % i if b"%d" in greeting else greeting)
        for s in socks:
            s.settimeout(5)
            try:
                s.recv(4096)
            except OSError:
                pass
        for s in socks:
            s.close()
        done += len(socks)


def run(label: str, argv: list[str], conns: int, batch: int) -> str:
    proc, port = start(argv)
    try:
        time.sleep(0.3)
        ready = status_kib(proc.pid, "VmRSS")
        fds0 = len(os.listdir(f"/proc/{proc.pid}/fd"))
        churn(port, conns, batch)
        time.sleep(2)
        after = status_kib(proc.pid, "VmRSS")
        peak = status_kib(proc.pid, "VmHWM")
        fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
    finally:
        proc.kill()
        proc.wait(10)
    return (
        f"| {label} | {ready / 1024:.1f} | {after / 1024:.1f} | +{(after - ready) / 1024:.1f} "
        f"| {peak / 1024:.1f} | {fds0} → {fds} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conns", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--ref", action="append", default=[], help="a reference server binary")
    args = ap.parse_args()
    print(f"{args.conns} connections, {args.batch} at a time")
    print("| server | RSS at ready MiB | RSS after MiB | growth MiB | peak MiB | fds |")
    print("|---|---|---|---|---|---|")
    print(run("fastnats", [sys.executable, "-m", "fastnats", "serve"], args.conns, args.batch))
    for ref in args.ref:
        print(run(os.path.basename(ref), [ref], args.conns, args.batch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
