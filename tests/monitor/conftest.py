"""Monitored servers for the monitoring tests: fastnats with ``http_port=0`` and the reference
nats-server with ``-m -1``, both on loopback, both running the scenario of ``scenario.py``.

Both run with ``no_system_account: true``, so that the system account's internal
subscriptions and clients do not show in the counts and connection ids (each server has its
own set of them).
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastnats
import pytest

from ..conftest import start_reference_server
from . import scenario


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
    server = fastnats.Server(
        host=scenario.HOST, port=0, http_port=0, no_system_account=True
    ).start()
    assert server.http_port
    return Monitored("fastnats", server.port, server.http_port, server=server)


def start_reference(tmp: Path) -> Monitored:
    srv = start_reference_server(tmp, http_port=-1, no_system_account=True)
    assert srv.process is not None and srv.http_port, "\n".join(srv.log)
    return Monitored("nats-server", srv.port, srv.http_port, process=srv.process, log=srv.log)


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
            m.played = scenario.play(m.port, m.http_port)
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
