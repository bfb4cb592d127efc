"""Running ``fastnats`` (and the reference ``nats-server``) as subprocesses and reading their logs.

Every wait is bounded (``TIMEOUT``); nothing sleeps for readiness: a server is ready once it
logs ``Server is ready``, and its port is read from ``Listening for client connections on``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..conftest import reference_server

TIMEOUT = 20.0
CLI = [sys.executable, "-m", "fastnats"]
LOG_LINE = re.compile(
    r"^\[(\d+)\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} \[(INF|DBG|TRC|WRN|ERR|FTL)\] "
)
UNTIMED_LOG_LINE = re.compile(r"^\[(\d+)\] \[(INF|DBG|TRC|WRN|ERR|FTL)\] ")
LISTENING = re.compile(r"Listening for client connections on (\S+):(\d+)$")


def reference_path() -> str | None:
    ref = reference_server()
    return ref[0] if ref else None


def command(kind: str) -> list[str]:
    """The argv prefix of a server of ``kind`` ("fastnats" or "nats-server")."""
    if kind == "fastnats":
        return list(CLI)
    path = reference_path()
    assert path is not None, "no reference nats-server"
    return [path]


def run(
    *args: str, kind: str = "fastnats", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a command to completion (``-t``, ``-h``, ``--signal``, bad flags, ...)."""
    return subprocess.run(
        [*command(kind), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def wait_until(check: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    """Polls ``check`` every 20 ms until it is truthy; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class LogSource:
    """Lines of a log (a pipe or a file), with a cursor for waiting on what comes next."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cursor = 0
        self.closed = False
        self._cond = threading.Condition()

    def add(self, line: str) -> None:
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def refresh(self) -> None:
        """Hook for sources that must be polled (files)."""

    def expect(self, pattern: str, timeout: float = TIMEOUT) -> str:
        """The next line (after the cursor) matching ``pattern``; moves the cursor past it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                self.refresh()
                while self.cursor < len(self.lines):
                    line = self.lines[self.cursor]
                    self.cursor += 1
                    if regex.search(line):
                        return line
                if self.closed:
                    raise AssertionError(f"log ended before {pattern!r}:\n" + self.text())
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no line matching {pattern!r}:\n" + self.text())
                self._cond.wait(min(remaining, 0.05))

    def find(self, pattern: str) -> re.Match[str]:
        """The first line so far (cursor or not) matching ``pattern``."""
        self.refresh()
        for line in self.lines:
            m = re.search(pattern, line)
            if m:
                return m
        raise AssertionError(f"no line matching {pattern!r}:\n" + self.text())

    def has(self, pattern: str) -> bool:
        self.refresh()
        return any(re.search(pattern, line) for line in self.lines)

    def text(self) -> str:
        return "\n".join(self.lines)


class FileLog(LogSource):
    """A log file, read as it grows (``-l``)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._offset = 0
        self._partial = ""

    def refresh(self) -> None:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                f.seek(self._offset)
                data = f.read()
                self._offset = f.tell()
        except FileNotFoundError:
            return
        data = self._partial + data
        *complete, self._partial = data.split("\n")
        self.lines.extend(complete)


class Proc:
    """A server process with its stderr (and stdout) pumped into :class:`LogSource` objects."""

    def __init__(
        self, argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
        )
        self.stderr = LogSource()
        self.stdout = LogSource()
        self.log: LogSource = self.stderr
        self.host = ""
        self.port = 0
        for stream, source in ((self.proc.stderr, self.stderr), (self.proc.stdout, self.stdout)):
            threading.Thread(target=self._pump, args=(stream, source), daemon=True).start()

    @staticmethod
    def _pump(stream: object, source: LogSource) -> None:
        for line in stream:  # type: ignore[attr-defined]
            source.add(line.rstrip("\n"))
        source.close()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def address(self) -> tuple[str, int]:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return (host, self.port)

    def wait_ready(self) -> Proc:
        m = LISTENING.search(self.log.expect(LISTENING.pattern))
        assert m is not None
        self.host, self.port = m[1], int(m[2])
        self.log.expect(r"\] Server is ready$")
        return self

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = TIMEOUT) -> int:
        return self.proc.wait(timeout=timeout)

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=TIMEOUT)


@contextmanager
def served(
    *args: str,
    kind: str = "fastnats",
    cwd: Path | None = None,
    log_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Proc]:
    """A ready server started with ``args`` (``env`` added to the environment); killed (if
    still running) at the end."""
    proc = Proc([*command(kind), *args], cwd=cwd, env=env)
    if log_file is not None:
        proc.log = FileLog(log_file)
    try:
        proc.wait_ready()
        yield proc
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
        proc.proc.wait(timeout=TIMEOUT)


def kinds() -> list[str]:
    """ "fastnats" and, when installed, "nats-server": for tests that compare the two."""
    return ["fastnats", "nats-server"] if reference_path() else ["fastnats"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
