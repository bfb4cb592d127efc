"""``allowed_connection_types`` for leaf nodes that log in as the clients' users (a hub with
no ``leafnodes { authorization }``): the hub (fastnats or nats-server 2.15.1) admits a leaf
whose user lists ``LEAFNODE`` and refuses one whose user lists only ``STANDARD``; the
``LEAFNODE`` user is refused as a plain client. The leaf side is nats-server."""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import pytest

from .procs import Proc, served, wait_until

pytestmark = pytest.mark.timeout(60)

USERS = (
    "authorization { users: [\n"
    "  {user: leafy, password: p, allowed_connection_types: [LEAFNODE]}\n"
    "  {user: cli, password: p, allowed_connection_types: [STANDARD]}\n"
    "] }\n"
)


@pytest.fixture
def hub_kind(kind: str) -> str:
    return kind


def _leaf_port(proc: Proc) -> int:
    for line in proc.log.lines:
        m = re.search(r"Listening for leafnode connections on 127\.0\.0\.1:(\d+)$", line)
        if m:
            return int(m[1])
    raise AssertionError("no leaf node listener line:\n" + "\n".join(proc.log.lines))


def _monitoring(directory: Path) -> str:
    def read() -> dict | None:
        for path in directory.glob("*.ports"):
            try:
                return json.loads(path.read_text())
            except ValueError:
                return None
        return None

    wait_until(read, "the ports file")
    ports = read()
    assert ports is not None
    return ports["monitoring"][0]


def _leafnodes(http: str) -> int:
    with urllib.request.urlopen(f"{http}/leafz", timeout=10) as r:
        return int(json.loads(r.read())["leafnodes"])


def _client_answer(address: tuple[str, int], user: str) -> bytes:
    with socket.create_connection(address, timeout=10) as sock:
        sock.recv(4096)  # INFO
        sock.sendall(f'CONNECT {{"user":"{user}","pass":"p","verbose":false}}\r\nPING\r\n'.encode())
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0]


@pytest.mark.parametrize(("user", "admitted"), [("leafy", True), ("cli", False)])
def test_leaf_logs_in_as_a_user_with_connection_types(hub_kind, tmp_path, user, admitted):
    hub_dir, leaf_dir = tmp_path / "hub", tmp_path / "leaf"
    hub_dir.mkdir()
    leaf_dir.mkdir()
    hub_conf = hub_dir / "hub.conf"
    hub_conf.write_text(
        f'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\nports_file_dir: "{hub_dir}"\n'
        + USERS
        + 'leafnodes { listen: "127.0.0.1:-1" }\n'
    )
    with served("-c", str(hub_conf), kind=hub_kind) as hub:
        http = _monitoring(hub_dir)
        assert _client_answer(hub.address, "leafy") == b"-ERR 'Authorization Violation'"
        assert _client_answer(hub.address, "cli") == b"PONG"
        hub.log.expect(r' - authentication error - User "leafy"$')
        leaf_conf = leaf_dir / "leaf.conf"
        leaf_conf.write_text(
            'listen: "127.0.0.1:-1"\n'
            "leafnodes { reconnect: 30, remotes: [\n"
            f'  {{ url: "nats-leaf://{user}:p@127.0.0.1:{_leaf_port(hub)}" }} ] }}\n'
        )
        with served("-c", str(leaf_conf), kind="nats-server"):
            if admitted:
                wait_until(lambda: _leafnodes(http) == 1, "the leaf connection")
            else:
                hub.log.expect(r"lid:\d+ - authentication error", timeout=10)
                assert _leafnodes(http) == 0
