"""Signals, both ways: ``--signal`` sends them to a running fastnats, :class:`Trap` receives them.

Commands map to signals exactly as nats-server maps them (``server/signal.go``)::

    stop   -> SIGKILL      quit   -> SIGINT       term   -> SIGTERM
    reopen -> SIGUSR1      reload -> SIGHUP       ldm    -> SIGUSR2

``--signal <cmd>[=<pid>]``: ``<pid>`` is a process id or the path to a pid file (a file that
exists is read; its content is the pid). A pid ending in ``*`` is a prefix matched against the
running fastnats processes. Without a pid, the one running fastnats is signalled (an error when
there are none or several). nats-server finds itself with ``pgrep nats-server``; fastnats runs
as ``fastnats``, ``python -m fastnats`` or ``python .../fastnats``, so it reads
``/proc/<pid>/cmdline`` instead.
"""

from __future__ import annotations

import os

from .errors import FastNatsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable
    from queue import Empty, SimpleQueue
    from types import FrameType
else:
    # The C modules behind signal and queue: the same functions, constants and classes,
    # without signal's IntEnum wrappers (enum) or queue's Python classes, which cost about
    # 3 ms of a server's start-up. Signal numbers are plain ints here (handlers get ints in
    # any case), and a handler set before is given back as _signal returns it.
    import _signal as signal
    from _queue import Empty, SimpleQueue

COMMANDS: dict[str, signal.Signals] = {
    "stop": signal.SIGKILL,
    "quit": signal.SIGINT,
    "term": signal.SIGTERM,
    "reopen": signal.SIGUSR1,
    "reload": signal.SIGHUP,
    "ldm": signal.SIGUSR2,
}

# The names Go prints for the signals a server traps (`Trapped "hangup" signal`).
GO_NAMES: dict[int, str] = {
    signal.SIGINT: "interrupt",
    signal.SIGTERM: "terminated",
    signal.SIGHUP: "hangup",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
}

TRAPPED: tuple[signal.Signals, ...] = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGUSR1,
    signal.SIGUSR2,
)

PROCESS_NAME = "fastnats"


class SignalError(FastNatsError):
    """``--signal`` failed: one line, exit code 1."""


def _read_pid_file(text: str) -> str:
    """nats-server's ``maybeReadPidFile``: the content of the file ``text`` if it can be read."""
    try:
        with open(text, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return text


def _is_fastnats(argv: list[str]) -> bool:
    """Whether a command line runs the fastnats CLI."""
    if not argv:
        return False
    if os.path.basename(argv[0]) == PROCESS_NAME:
        return True
    if not os.path.basename(argv[0]).startswith("python"):
        return False
    rest = argv[1:]
    while rest and rest[0].startswith("-") and rest[0] not in ("-m", f"-m{PROCESS_NAME}"):
        rest = rest[1:]  # interpreter options such as -u, -X dev
    if not rest:
        return False
    if rest[0] == f"-m{PROCESS_NAME}" or rest[:2] == ["-m", PROCESS_NAME]:
        return True
    return os.path.basename(rest[0]) == PROCESS_NAME


def running_pids() -> list[int]:
    """Pids of the running fastnats servers (not this process), in ascending order."""
    me = os.getpid()
    pids: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        raise SignalError("unable to resolve pid, try providing one") from None
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                raw = f.read()
        except OSError:
            continue  # gone, or not ours to read
        argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        if _is_fastnats(argv) and not _sends_signal(argv):
            pids.append(int(entry))
    return sorted(pids)


def _sends_signal(argv: list[str]) -> bool:
    """A ``fastnats --signal ...`` invocation is a client, not a server."""
    for arg in argv:
        name = arg.lstrip("-").split("=", 1)[0]
        if arg.startswith("-") and name in ("sl", "signal"):
            return True
    return False


def send_command(spec: str, *, kill: Callable[[int, int], None] = os.kill) -> None:
    """Carries out ``--signal <spec>`` (see the module docstring); raises SignalError."""
    parts = spec.split("=")
    if len(parts) > 2:
        raise SignalError(f"invalid signal parameters: [{' '.join(parts[2:])}]")
    command = parts[0]
    pid_expr = _read_pid_file(parts[1]) if len(parts) == 2 else ""
    is_glob = pid_expr.endswith("*")
    pid_text = pid_expr.removesuffix("*")
    pids: list[int] = []
    if pid_text:
        try:
            pids = [int(pid_text, 10)]
        except ValueError:
            raise SignalError(f"invalid pid: {pid_text}") from None
    if not pid_text or is_glob:
        pids = running_pids()
        if is_glob:
            pids = [p for p in pids if str(p).startswith(pid_text)]
    if len(pids) > 1 and not is_glob:
        listed = ", ".join(str(p) for p in pids)
        raise SignalError(f"multiple {PROCESS_NAME} processes running: {listed}")
    if not pids:
        raise SignalError(f"no {PROCESS_NAME} processes running")
    signum = COMMANDS.get(command)
    if signum is None:
        raise SignalError(f'unknown signal "{command}"')
    failures = []
    for pid in pids:
        try:
            kill(pid, signum)
        except OSError as e:
            reason = (e.strerror or str(e)).lower()
            failures.append(f'signal "{command}" {pid}: {reason}')
    if failures:
        raise SignalError("; ".join(failures))


class Trap:
    """Catches :data:`TRAPPED` signals into a queue that the main thread reads in short slices.

    The handlers only enqueue (``SimpleQueue.put`` is safe in a signal handler); the work a
    signal asks for runs in the main loop, outside the handler.
    """

    def __init__(self) -> None:
        self._queue: SimpleQueue[int] = SimpleQueue()
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in TRAPPED:
            self._previous[signum] = signal.signal(signum, self._handler)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        self._queue.put(signum)

    def wake(self) -> None:
        """Makes a waiting :meth:`get` return (with 0) now."""
        self._queue.put(0)

    def get(self, timeout: float) -> int | None:
        """The next trapped signal (0 after :meth:`wake`), or None after ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except Empty:
            return None
