"""`python -m fastnats serve`: nats-server-shaped log lines, signals, exit codes."""

from __future__ import annotations

import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .wire.proto import PONG, connect

pytestmark = pytest.mark.timeout(60)

LOG_LINE = re.compile(
    r"^\[(\d+)\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} \[(INF|DBG|TRC|WRN|ERR|FTL)\] "
)
LISTENING = re.compile(r"\[INF\] Listening for client connections on (\S+):(\d+)$")
CLI = [sys.executable, "-m", "fastnats"]


class Served:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.host = ""
        self.port = 0

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_line(self, pattern: str, timeout: float = 20) -> str:
        while True:
            try:
                line = self._q.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}: {self.lines}") from None
            if line is None:
                raise AssertionError(f"exited before {pattern!r}: {self.lines}")
            if re.search(pattern, line):
                return line


@contextmanager
def serve(*args: str) -> Iterator[Served]:
    proc = subprocess.Popen(
        [*CLI, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(proc)
    try:
        m = LISTENING.search(served.wait_line(LISTENING.pattern))
        assert m is not None
        served.host, served.port = m[1], int(m[2])
        served.wait_line(r"\[INF\] Server is ready$")
        yield served
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_logs_ready_lines_and_exits_0_on_signal(sig):
    with serve("serve", "-a", "127.0.0.1", "-p", "-1") as s:
        assert s.host == "127.0.0.1" and s.port > 0
        for line in s.lines:
            assert LOG_LINE.match(line), line
            assert LOG_LINE.match(line)[1] == str(s.proc.pid)  # type: ignore[index]
        listening = next(i for i, x in enumerate(s.lines) if "Listening for client" in x)
        ready = next(i for i, x in enumerate(s.lines) if x.endswith("Server is ready"))
        assert listening < ready
        with connect(("127.0.0.1", s.port)) as c:
            c.send(b"SUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n")
            c.expect(b"MSG a 1 2\r\nhi\r\n" + PONG)
        s.proc.send_signal(sig)
        assert s.proc.wait(timeout=20) == 0
        s.wait_line("Server Exiting")


def test_serve_with_long_flags_and_server_name():
    with serve("serve", "--addr", "127.0.0.1", "--port=-1", "--name", "cli-test") as s:
        with connect(("127.0.0.1", s.port), handshake=False) as c:
            assert c.info is not None and c.info["server_name"] == "cli-test"
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(timeout=20) == 0


def test_serve_subcommand_is_optional():
    with serve("-a", "127.0.0.1", "-p", "-1") as s:
        s.proc.send_signal(signal.SIGINT)
        assert s.proc.wait(timeout=20) == 0


@pytest.mark.parametrize("flag", ["--version", "-v", "-version"])
def test_version_prints_one_line(flag):
    import fastnats

    r = run(flag)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    assert fastnats.__version__ in lines[0]


def test_help_exits_0():
    r = run("-h")
    assert r.returncode == 0
    assert "-p" in r.stdout and "--port" in r.stdout


@pytest.mark.parametrize("args", [["-p", "abc"], ["serve", "--port=abc"], ["-p", "70000"]])
def test_bad_port_prints_one_line_and_exits_1(args):
    r = run(*args)
    assert r.returncode == 1
    assert r.stdout == ""
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "abc" in r.stderr or "70000" in r.stderr


@pytest.mark.parametrize("args", [["--bogus"], ["serve", "-x"], ["-p"], ["serve", "stray"]])
def test_usage_errors_exit_1(args):
    r = run(*args)
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_port_in_use_exits_1_with_one_error_line():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        r = run("serve", "-a", "127.0.0.1", "-p", str(port))
    assert r.returncode == 1
    errors = [x for x in r.stderr.splitlines() if "[FTL]" in x or "[ERR]" in x]
    assert len(errors) == 1, r.stderr
    assert str(port) in errors[0]
    assert "Server is ready" not in r.stderr
    assert r.stderr.splitlines()[-1] == errors[0]


@pytest.mark.skipif(shutil.which("fastnats") is None, reason="console script not on PATH")
def test_console_script():
    r = subprocess.run(["fastnats", "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 1
