"""Flags that switch on monitoring (``-m``) and TLS (``--tls*``), side by side with nats-server."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest

from ..wire.proto import dial
from .procs import TIMEOUT, run, served, wait_until

pytestmark = pytest.mark.timeout(60)


def _get_json(host: str, port: int, path: str) -> dict[str, object]:
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=TIMEOUT) as r:
        data: dict[str, object] = json.loads(r.read())
        return data


@pytest.mark.parametrize("flag", ["-m", "--http_port", "-http_port"])
def test_monitoring_port_flag(kind, flag):
    with served("-a", "127.0.0.1", "-p", "-1", flag, "-1", kind=kind) as s:
        http_port = int(s.log.find(r"\[INF\] Starting http monitor on 127\.0\.0\.1:(\d+)$")[1])
        varz = _get_json("127.0.0.1", http_port, "/varz")
        assert varz["port"] == s.port


def test_monitoring_port_from_the_config_file_and_ports_file(kind, tmp_path):
    conf = tmp_path / "m.conf"
    conf.write_text(f'listen: 127.0.0.1:-1\nhttp: "127.0.0.1:-1"\nports_file_dir: "{tmp_path}"\n')
    with served("-c", str(conf), kind=kind) as s:
        http_port = int(s.log.find(r"\[INF\] Starting http monitor on 127\.0\.0\.1:(\d+)$")[1])
        assert _get_json("127.0.0.1", http_port, "/healthz") == {"status": "ok"}

        def ports() -> dict[str, object] | None:
            found = list(tmp_path.glob("*.ports"))
            try:
                return json.loads(found[0].read_text()) if found else None
            except ValueError:
                return None

        wait_until(ports, "the ports file")
        assert ports() == {
            "nats": [f"nats://127.0.0.1:{s.port}"],
            "monitoring": [f"http://127.0.0.1:{http_port}"],
        }


def test_monitoring_off_with_zero(kind):
    with served("-a", "127.0.0.1", "-p", "-1", "-m", "0", kind=kind) as s:
        assert not s.log.has("http monitor")


def test_monitoring_port_is_not_reloadable(kind, tmp_path):
    conf = tmp_path / "m.conf"
    conf.write_text("listen: 127.0.0.1:-1\n")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        free = other.getsockname()[1]
    with served("-c", str(conf), kind=kind) as s:
        conf.write_text(f"listen: 127.0.0.1:-1\nhttp_port: {free}\n")
        s.send_signal(signal.SIGHUP)
        line = s.log.expect(r"\[ERR\] Failed to reload server configuration: ")
        assert f"config reload not supported for HTTPPort: old=0, new={free}" in line or (
            f"config reload not supported for HTTPPort: old=, new={free}" in line
        )


# --------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("certs")
    cert, key = d / "server.pem", d / "server-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )  # fmt: skip
    return cert, key


def test_tls_flags_require_tls(kind, certs, tmp_path):
    cert, key = certs
    args = ["-a", "127.0.0.1", "-p", "-1", "--tls", "--tlscert", str(cert), "--tlskey", str(key)]
    with served(*args, "--ports_file_dir", str(tmp_path), kind=kind) as s:
        assert s.log.has(r"\[INF\] TLS required for client connections")
        with dial(s.address) as c:
            info = c.read_info()
            assert info["tls_required"] is True
        ctx = ssl.create_default_context(cafile=str(cert))
        with socket.create_connection(s.address, timeout=TIMEOUT) as raw:
            raw.recv(4096)  # the plain-text INFO, then the handshake
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
                data = b""
                while b"PONG\r\n" not in data:
                    chunk = tls.recv(4096)
                    assert chunk, data
                    data += chunk

        def tls_url() -> bool:
            found = list(tmp_path.glob("*.ports"))
            return bool(found) and f"tls://127.0.0.1:{s.port}" in found[0].read_text()

        wait_until(tls_url, "a tls:// URL in the ports file")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls"], "TLS Server certificate must be present and valid"),
        (["--tlsverify", "--tlscert", "c.pem"], "TLS Server private key must be present and valid"),
        (["--tlskey", "k.pem"], "TLS Server certificate must be present and valid"),
    ],
)
def test_tls_flags_need_a_certificate_and_a_key(kind, args, message):
    r = run("-a", "127.0.0.1", "-p", "-1", *args, kind=kind)
    assert r.returncode == 1
    assert r.stderr == f"{kind}: {message}\n"


def test_tls_false_switches_tls_off(kind, certs):
    cert, key = certs
    args = ["--tls=false", "--tlscert", str(cert), "--tlskey", str(key)]
    with served("-a", "127.0.0.1", "-p", "-1", *args, kind=kind) as s:
        with dial(s.address) as c:
            assert not c.read_info().get("tls_required", False)


def test_help_tls(kind):
    r = run("--help_tls", kind=kind)
    assert r.returncode == 0
    assert "--tlscert" in r.stdout or "tls" in r.stdout.lower()
