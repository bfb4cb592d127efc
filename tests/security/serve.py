"""``python -m fastnats serve ...`` as a subprocess, for what only the process shows: its
stderr log, its exit code, its command-line and config-file handling."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

TIMEOUT = 15.0


def env_with(paths: Sequence[str | Path]) -> dict[str, str]:
    """This environment with ``paths`` in front of PYTHONPATH (the same fastnats is used)."""
    env = dict(os.environ)
    parts = [str(p) for p in paths]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def run(args: Sequence[str], paths: Sequence[str | Path] = ()) -> subprocess.CompletedProcess[str]:
    """A fastnats command that is expected to exit by itself (-t, a start-up error...)."""
    return subprocess.run(
        [sys.executable, "-m", "fastnats", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env_with(paths),
        stdin=subprocess.DEVNULL,
    )


class Served:
    """A running ``fastnats serve`` (or, with ``kind="nats-server"``, the reference binary
    with the same arguments) with its stderr collected line by line."""

    def __init__(
        self, args: Sequence[str], paths: Sequence[str | Path] = (), kind: str = "fastnats"
    ) -> None:
        if kind == "fastnats":
            command = [sys.executable, "-m", "fastnats", "serve"]
        else:
            from ..conftest import reference_server

            ref = reference_server()
            assert ref is not None
            command = [ref[0]]
        self.proc = subprocess.Popen(
            [*command, "-a", "127.0.0.1", "-p", "-1", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env_with(paths),
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.port = 0
        line = self.expect(r"Listening for client connections on \S+:(\d+)")
        self.port = int(re.search(r":(\d+)$", line)[1])  # type: ignore[index]
        self.expect("Server is ready")

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            self._new.put(line)
        self._new.put(None)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def expect(self, pattern: str, timeout: float = TIMEOUT) -> str:
        """Waits for a log line matching ``pattern`` (a regex); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._new.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no log line matching {pattern!r}:\n" + "\n".join(self.lines)
                ) from None
            if line is None:
                raise AssertionError(
                    f"exited before logging {pattern!r}:\n" + "\n".join(self.lines)
                )
            if re.search(pattern, line):
                return line

    def log(self) -> str:
        return "\n".join(self.lines)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=TIMEOUT)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
