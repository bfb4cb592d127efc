"""Monitored servers for the monitoring tests: fastnats with ``http_port=0`` and the reference
nats-server with ``-m -1``, both on loopback, both running the scenario of ``scenario.py``.

nats-server runs with ``no_system_account: true`` so that its internal system-account
subscriptions do not show in the counts (fastnats has no system account).
"""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastnats
import pytest

from ..conftest import reference_server
from . import scenario

STARTUP_TIMEOUT = 10.0


@dataclass
class Monitored:
    kind: str
    port: int
    http_port: int
    server: fastnats.Server | None = None
    process: subprocess.Popen[bytes] | None = None
    log: list[str] = field(default_factory=list)
    played: scenario.Scenario | None = None

    def get(self, path: str, method: str = "GET") -> scenario.Reply:
        return scenario.get(self.http_port, path, method)

    def json(self, path: str) -> Any:
        reply = self.get(path)
        assert reply.status == 200, (self.kind, path, reply.status, reply.body)
        return reply.json()

    def stop(self) -> None:
        if self.played is not None:
            self.played.close()
        if self.server is not None:
            self.server.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_fastnats() -> Monitored:
    server = fastnats.Server(host=scenario.HOST, port=0, http_port=0).start()
    assert server.http_port
    return Monitored("fastnats", server.port, server.http_port, server=server)


def start_reference(tmp: Path) -> Monitored:
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or put it on PATH)")
    conf = tmp / "monitor.conf"
    conf.write_text("no_system_account: true\n")
    proc = subprocess.Popen(
        [ref[0], "-a", scenario.HOST, "-p", "-1", "-m", "-1", "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            log.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    port = http_port = None
    while True:
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            proc.kill()
            raise RuntimeError("nats-server did not get ready:\n" + "\n".join(log)) from None
        if line is None:
            raise RuntimeError("nats-server exited:\n" + "\n".join(log))
        if m := re.search(r"Listening for client connections on \S+:(\d+)", line):
            port = int(m[1])
        if m := re.search(r"Starting http monitor on \S+:(\d+)", line):
            http_port = int(m[1])
        if "Server is ready" in line:
            break
    assert port and http_port, "\n".join(log)
    return Monitored("nats-server", port, http_port, process=proc, log=log)


@dataclass
class Pair:
    """The same scenario on both servers."""

    fn: Monitored
    ref: Monitored

    def both(self) -> tuple[Monitored, Monitored]:
        return self.fn, self.ref


def _start_pair(tmp: Path, play: bool) -> Pair:
    ref = start_reference(tmp)
    try:
        fn = start_fastnats()
    except BaseException:
        ref.stop()
        raise
    pair = Pair(fn, ref)
    if play:
        for m in pair.both():
            m.played = scenario.play(m.port)
        for m in pair.both():
            scenario.wait_closed(m.http_port, len(scenario.CLOSED))
    return pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Both servers after the scenario; shared by a module's tests (which only read)."""
    p = _start_pair(tmp_path_factory.mktemp("monitor"), play=True)
    yield p
    p.fn.stop()
    p.ref.stop()


@pytest.fixture
def fresh_pair(tmp_path: Path) -> Iterator[Pair]:
    """Both servers, no traffic, no request answered yet."""
    p = _start_pair(tmp_path, play=False)
    yield p
    p.fn.stop()
    p.ref.stop()


@pytest.fixture
def monitored() -> Iterator[Monitored]:
    """A fastnats server with monitoring, nothing else."""
    m = start_fastnats()
    yield m
    m.stop()
