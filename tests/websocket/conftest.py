"""WebSocket servers (issue 15): fastnats beside nats-server, each started from a config file.

``start_ws(kind, websocket=..., extra=..., tls=..., compression=...)`` writes a config file in
nats-server's syntax (both servers read it: ``nats-server -c`` and ``python -m fastnats serve
-c``) with a client port and a ``websocket {}`` block on loopback ports picked free once per
server (so ``restart()`` comes back on the same ports), starts the server and waits for
``Server is ready``. Every server is killed by PID at the end of the test.

``ws_kind`` is parametrized over ``"nats-server"`` (the reference: its answers are the truth
the tests record) and ``"fastnats"``. TLS uses the session certificates of ``tests/tls``.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastnats
import pytest

from ..cluster.conftest import free_ports
from ..conftest import reference_server
from ..dropin.procs import Proc
from ..tls.conftest import Certs
from ..tls.conftest import certs as certs  # noqa: F401 (the session fixture, shared)

HOST = "127.0.0.1"
KINDS = ("nats-server", "fastnats")
START_TIMEOUT = 15.0
FASTNATS_PATH = str(Path(fastnats.__file__).resolve().parent.parent)


@dataclass
class WsServer:
    """One server with a WebSocket listener; ``start()``/``kill()``/``restart()`` by PID."""

    kind: str
    config: Path
    port: int
    ws_port: int
    tls: bool
    proc: Proc | None = None
    starts: int = 0
    logs: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{HOST}:{self.ws_port}"

    @property
    def ws_address(self) -> tuple[str, int]:
        return (HOST, self.ws_port)

    def argv(self) -> list[str]:
        if self.kind == "fastnats":
            return [sys.executable, "-m", "fastnats", "serve", "-c", str(self.config)]
        ref = reference_server()
        assert ref is not None
        return [ref[0], "-c", str(self.config)]

    def start(self) -> WsServer:
        assert not self.running(), "already running"
        self.proc = Proc(self.argv(), cwd=self.config.parent, env={"PYTHONPATH": FASTNATS_PATH})
        self.starts += 1
        try:
            self.proc.log.expect(r"\] Server is ready$", timeout=START_TIMEOUT)
        except AssertionError as e:
            self.kill()
            raise AssertionError(f"{self.kind} did not start ({self.config}): {e}") from None
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def kill(self) -> None:
        """``kill -9`` by PID and reap; keeps the log; no-op when not running."""
        if self.proc is None:
            return
        if self.proc.running():
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.logs.append(self.log())

    def restart(self) -> WsServer:
        self.kill()
        self.proc = None
        return self.start()

    def log(self) -> str:
        if self.proc is None:
            return ""
        return self.proc.stderr.text() + self.proc.stdout.text()


def websocket_block(
    ws_port: int,
    *,
    certs: Certs | None = None,
    compression: bool = False,
    websocket: str = "",
    tls_extra: str = "",
) -> str:
    lines = [f"  listen: {json.dumps(f'{HOST}:{ws_port}')}"]
    if certs is None:
        lines.append("  no_tls: true")
    else:
        lines.append(
            f"  tls {{ cert_file: {json.dumps(str(certs.server_cert))}, "
            f"key_file: {json.dumps(str(certs.server_key))}{tls_extra} }}"
        )
    if compression:
        lines.append("  compression: true")
    lines += [f"  {line.strip()}" for line in websocket.splitlines() if line.strip()]
    return "websocket {\n" + "\n".join(lines) + "\n}\n"


class WsServers:
    """Starts servers in ``directory``; ``stop()`` kills every one by PID."""

    def __init__(self, directory: Path, certs: Certs) -> None:
        self.directory = directory
        self.certs = certs
        self.started: list[WsServer] = []

    def __call__(
        self,
        kind: str,
        *,
        websocket: str = "",
        extra: str = "",
        tls: bool = False,
        compression: bool = False,
        tls_extra: str = "",
    ) -> WsServer:
        """A started ``kind`` server: ``websocket`` is config text added inside the
        ``websocket {}`` block (``same_origin: true``, an ``authorization {}`` block...),
        ``extra`` text at the top level; ``tls`` gives the listener the test certificate
        (``wss://``, the client trusts ``certs.ca``); ``compression`` turns on
        permessage-deflate; ``tls_extra``: more keys for its ``tls {}`` block (``, verify:
        true``)."""
        if kind == "nats-server" and reference_server() is None:
            pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or PATH)")
        port, ws_port = free_ports(2)
        config = self.directory / f"{kind}-{len(self.started)}.conf"
        config.write_text(
            f"listen: {json.dumps(f'{HOST}:{port}')}\n"
            + websocket_block(
                ws_port,
                certs=self.certs if tls else None,
                compression=compression,
                websocket=websocket,
                tls_extra=tls_extra,
            )
            + (extra + "\n" if extra else "")
        )
        server = WsServer(kind=kind, config=config, port=port, ws_port=ws_port, tls=tls)
        self.started.append(server)
        return server.start()

    def client_tls(self) -> ssl.SSLContext:
        return self.certs.client()

    def stop(self) -> None:
        for server in self.started:
            server.kill()


@pytest.fixture(params=KINDS)
def ws_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    if kind == "nats-server" and reference_server() is None:
        pytest.skip("no reference nats-server (set FASTNATS_REFERENCE_SERVER or PATH)")
    return kind


@pytest.fixture
def start_ws(tmp_path: Path, certs: Certs) -> Iterator[WsServers]:  # noqa: F811
    servers = WsServers(tmp_path, certs)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def ws_server(ws_kind: str, start_ws: WsServers) -> WsServer:
    """A plain (no TLS, no compression) server of ``ws_kind``."""
    return start_ws(ws_kind)
