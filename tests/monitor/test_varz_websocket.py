"""The WebSocket listener as monitoring and the process show it, side by side with nats-server
2.15: the same config file served by ``nats-server -c`` and ``fastnats -c``, then the
``/varz`` ``websocket`` section, the ports file's ``websocket`` entry, the start-up lines and
``/connz``'s ``type`` of a client that upgraded, compared; and the start-up refusals of
``validateWebsocketOptions`` with the same message."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import reference_server

pytestmark = pytest.mark.timeout(90)

REFERENCE = reference_server()
needs_reference = pytest.mark.skipif(
    REFERENCE is None or REFERENCE[1] < (2, 15, 0), reason="needs a reference nats-server >= 2.15"
)
FASTNATS = [sys.executable, "-m", "fastnats"]
PREFIX = re.compile(r"^\[\d+\] \S+ \S+ ")
HEAD = "listen: 127.0.0.1:-1\nhttp: 127.0.0.1:-1\nno_system_account: true\n"


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    log: Path
    ports: dict[str, list[str]]

    @property
    def http(self) -> str:
        return self.ports["monitoring"][0]

    @property
    def ws_port(self) -> int:
        return int(self.ports["websocket"][0].rsplit(":", 1)[1])

    def json(self, path: str) -> Any:
        with urllib.request.urlopen(self.http + path, timeout=10) as r:
            return json.load(r)

    def lines(self) -> list[str]:
        """The log without the ``[pid] date time`` prefix."""
        return [PREFIX.sub("", line) for line in self.log.read_text().splitlines()]


@contextmanager
def serve(command: list[str], conf_text: str, where: Path) -> Iterator[Served]:
    """Runs ``command -c <conf>`` with ``conf_text`` and a ports file in ``where``; yields once
    the ports file is there (20 s at most), kills the process by its pid at the end."""
    where.mkdir(parents=True)
    conf = where / "s.conf"
    conf.write_text(f"{HEAD}ports_file_dir: {json.dumps(str(where))}\n{conf_text}\n")
    log = where / "log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 20
        ports: dict[str, list[str]] | None = None
        while ports is None:
            found = list(where.glob("*.ports"))
            if found:
                ports = json.loads(found[0].read_text())
            elif proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no ports file from {command[0]}: {log.read_text()}")
            else:
                time.sleep(0.05)
        yield Served(proc, log, ports)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)


@contextmanager
def both(conf_text: str, tmp_path: Path) -> Iterator[tuple[Served, Served]]:
    assert REFERENCE is not None
    with (
        serve([REFERENCE[0]], conf_text, tmp_path / "ref") as ref,
        serve(FASTNATS, conf_text, tmp_path / "fn") as fn,
    ):
        yield fn, ref


def _without_port(urls: list[str]) -> list[str]:
    return [u.rsplit(":", 1)[0] for u in urls]


PLAIN = (
    'websocket { listen: "127.0.0.1:-1", no_tls: true, advertise: "ws.example.com:443",'
    ' handshake_timeout: "2500ms", compression: true, same_origin: true,'
    ' allowed_origins: ["https://a.example.com", "http://b.example.com:8080"],'
    " authorization { timeout: 3 } }"
)
CONFIGS = {
    "plain": PLAIN,
    "minimal": "ws { port: -1, no_tls: true }",
    "no_auth_user": (
        "authorization { users: [ {user: a, password: b} ] }\n"
        'websocket { listen: "127.0.0.1:-1", no_tls: true, no_auth_user: a,'
        " handshake_timeout: 4 }"
    ),
    "user": (
        'websocket { listen: "127.0.0.1:-1", no_tls: true,'
        " authentication { user: w, password: p, timeout: 0.5 }, compress: false }"
    ),
}


@needs_reference
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_varz_ports_file_and_log_lines_as_nats_server(tmp_path: Path, name: str) -> None:
    with both(CONFIGS[name], tmp_path) as (fn, ref):
        fn_ws, ref_ws = fn.json("/varz")["websocket"], ref.json("/varz")["websocket"]
        assert fn_ws["port"] == fn.ws_port and ref_ws["port"] == ref.ws_port
        del fn_ws["port"], ref_ws["port"]
        assert fn_ws == ref_ws
        # On 0.0.0.0 Go's listener takes IPv6 too, and nats-server lists those addresses;
        # fastnats' listener is IPv4 only, and so is its list.
        ref_urls = [u for u in ref.ports["websocket"] if "[" not in u]
        assert _without_port(fn.ports["websocket"]) == _without_port(ref_urls)
        assert list(fn.ports) == list(ref.ports)
        for served in (fn, ref):
            lines = served.lines()
            listening = [x for x in lines if "Listening for websocket clients on" in x]
            host = "127.0.0.1" if "listen" in CONFIGS[name] else "0.0.0.0"
            assert listening == [
                f"[INF] Listening for websocket clients on ws://{host}:{served.ws_port}"
            ], lines
            warning = "[WRN] Websocket not configured with TLS. DO NOT USE IN PRODUCTION!"
            at = lines.index(listening[0])
            assert lines[at + 1] == warning
            clients = next(i for i, x in enumerate(lines) if "for client connections" in x)
            assert at < clients


def test_the_varz_section_is_empty_without_a_listener(tmp_path: Path) -> None:
    with serve(FASTNATS, "websocket { no_tls: true }", tmp_path / "fn") as fn:
        assert fn.json("/varz")["websocket"] == {}
        assert "websocket" not in fn.ports
        assert not [x for x in fn.lines() if "Listening for websocket" in x]


def _upgrade(port: int) -> socket.socket:
    """A client that did the WebSocket upgrade (the server then holds a client for it)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET / HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101 "), head
    return sock


def _connz_types(served: Served, want: int) -> list[str]:
    deadline = time.monotonic() + 10
    while True:
        conns = served.json("/connz")["connections"]
        if len(conns) >= want or time.monotonic() > deadline:
            return [c["type"] for c in conns]
        time.sleep(0.05)


@needs_reference
def test_connz_type_of_a_websocket_client(tmp_path: Path) -> None:
    with both(CONFIGS["minimal"], tmp_path) as (fn, ref):
        for served in (fn, ref):
            plain = socket.create_connection(("127.0.0.1", _client_port(served)), timeout=10)
            plain.sendall(b"CONNECT {}\r\nPING\r\n")
            assert plain.recv(4096).startswith(b"INFO ")
            ws = _upgrade(served.ws_port)
            try:
                assert sorted(_connz_types(served, 2)) == ["nats", "websocket"], served.log
            finally:
                ws.close()
                plain.close()


def _client_port(served: Served) -> int:
    return int(served.ports["nats"][0].rsplit(":", 1)[1])


# validateWebsocketOptions: both refuse to start, with the same message.
REFUSED = {
    "websocket { port: -1 }": "websocket requires TLS configuration",
    'websocket { port: -1, no_tls: true, allowed_origins: ["ftp://x"] }': (
        'unable to parse allowed origin "ftp://x": allowed origins must be absolute URLs with '
        "http or https scheme"
    ),
    "authorization { users: [ {user: a, password: b} ] }\n"
    "websocket { port: -1, no_tls: true, no_auth_user: x }": (
        'no_auth_user: "x" not present as user or nkey in authorization block or account '
        "configuration"
    ),
    "authorization { users: [ {user: a, password: b} ] }\n"
    "websocket { port: -1, no_tls: true, authorization { user: w, password: p } }": (
        "websocket authentication username not compatible with presence of users/nkeys"
    ),
    "websocket { port: -1, no_tls: true, jwt_cookie: jwt }": (
        "trusted operators or trusted keys configuration is required for JWT authentication "
        'via cookie "jwt"'
    ),
    'websocket { port: -1, no_tls: true, headers { "Sec-WebSocket-Extensions": "x" } }': (
        'websocket: invalid header "Sec-WebSocket-Extensions", "Sec-WebSocket-" prefix not allowed'
    ),
}


@needs_reference
@pytest.mark.parametrize("text", sorted(REFUSED), ids=repr)
def test_refused_at_start_as_nats_server(tmp_path: Path, text: str) -> None:
    assert REFERENCE is not None
    conf = tmp_path / "s.conf"
    conf.write_text(f"{HEAD}{text}\n")
    outputs = []
    for command in ([REFERENCE[0]], FASTNATS):
        proc = subprocess.run(
            [*command, "-c", str(conf)], capture_output=True, text=True, timeout=30
        )
        assert proc.returncode != 0, (command, proc.stderr)
        outputs.append(proc.stderr)
        assert REFUSED[text] in proc.stderr, (command, proc.stderr)
    # -t: nats-server's does not validate the listener's options; fastnats' builds the server
    # (which does) and so says it too.
    check = subprocess.run([*FASTNATS, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 1 and REFUSED[text] in check.stderr, check.stderr


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    trustme = pytest.importorskip("trustme", reason="the wss test generates certificates")
    d = tmp_path_factory.mktemp("ws-certs")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    return str(d / "cert.pem"), str(d / "key.pem")


@needs_reference
def test_wss_in_varz_ports_file_and_log(tmp_path: Path, cert_files: tuple[str, str]) -> None:
    cert, key = cert_files
    text = (
        'websocket { listen: "127.0.0.1:-1",'
        f" tls {{ cert_file: {json.dumps(cert)}, key_file: {json.dumps(key)} }} }}"
    )
    with both(text, tmp_path) as (fn, ref):
        fn_ws, ref_ws = fn.json("/varz")["websocket"], ref.json("/varz")["websocket"]
        # The certificate's expiry, as nats-server shows it (and at the top level for none).
        assert fn_ws["tls_cert_not_after"] == ref_ws["tls_cert_not_after"]
        assert fn_ws["tls_cert_not_after"].endswith("Z")
        assert "tls_cert_not_after" not in fn.json("/varz")
        del fn_ws["port"], ref_ws["port"], fn_ws["tls_cert_not_after"], ref_ws["tls_cert_not_after"]
        assert fn_ws == ref_ws == {"host": "127.0.0.1"}
        assert _without_port(fn.ports["websocket"]) == ["wss://127.0.0.1"]
        assert _without_port(ref.ports["websocket"]) == ["wss://127.0.0.1"]
        for served in (fn, ref):
            lines = served.lines()
            assert (
                f"[INF] Listening for websocket clients on wss://127.0.0.1:{served.ws_port}"
                in lines
            )
            assert not [x for x in lines if "DO NOT USE IN PRODUCTION" in x]
