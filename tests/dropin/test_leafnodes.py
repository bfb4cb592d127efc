"""A server with a ``leafnodes`` block, fastnats and nats-server side by side: the start-up
line, the ports file (nats-server 2.15.1 lists no leaf node listener in it), ``/varz``'s leaf
section and ``/leafz``: empty, then with nats-server on the other side of two leaf
connections (hub or leaf; fields, order, ``is_spoke``, ``name``, subjects without queue
names, message counts; the traffic itself is the leaf node tests').

fastnats' side needs the leaf engine (``NativeServer.leaf_port``); without it only
nats-server's side runs, which pins down what fastnats must show.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import pytest
from fastnats import _fastnats

from .procs import Proc, run, served, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def leaf_kind(kind: str) -> str:
    if kind == "fastnats" and not hasattr(_fastnats.NativeServer, "leaf_port"):
        pytest.skip("needs the leaf engine (NativeServer.leaf_port)")
    return kind


def _conf(tmp_path: Path, leafnodes: str) -> Path:
    path = tmp_path / "c.conf"
    path.write_text(
        'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\n'
        f'ports_file_dir: "{tmp_path}"\nleafnodes {{ {leafnodes} }}\n'
    )
    return path


def _read_ports(directory: Path) -> dict | None:
    for path in directory.glob("*.ports"):
        try:
            return json.loads(path.read_text())
        except ValueError:  # being written
            return None
    return None


def _ports(directory: Path) -> dict:
    wait_until(lambda: _read_ports(directory), "the ports file")
    ports = _read_ports(directory)
    assert ports is not None
    return ports


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_start_up_line_ports_file_varz_and_leafz_of_a_hub(leaf_kind, tmp_path):
    conf = _conf(tmp_path, 'listen: "127.0.0.1:-1"')
    with served("-c", str(conf), kind=leaf_kind) as s:
        lines = s.log.lines  # up to "Server is ready"
        (leaf,) = [i for i, x in enumerate(lines) if "Listening for leafnode connections" in x]
        m = re.search(
            r"\[INF\] Listening for leafnode connections on 127\.0\.0\.1:(\d+)$", lines[leaf]
        )
        assert m is not None, lines[leaf]
        leaf_port = int(m[1])
        client = next(i for i, x in enumerate(lines) if "Listening for client connections" in x)
        assert leaf < client  # nats-server: the leaf listener first
        ports = _ports(tmp_path)
        assert list(ports) == ["nats", "monitoring"]  # no leaf node entry in nats-server's
        http = ports["monitoring"][0]
        varz = _get(f"{http}/varz")
        assert varz["leaf"] == {
            "host": "127.0.0.1",
            "port": leaf_port,
            "auth_timeout": 2,
            "tls_timeout": 2,
        }
        assert varz["leafnodes"] == 0
        leafz = _get(f"{http}/leafz?subs=1")
        assert list(leafz) == ["server_id", "now", "leafnodes", "leafs"]
        assert (leafz["leafnodes"], leafz["leafs"]) == (0, [])


@pytest.mark.parametrize(
    ("advertise", "shown"), [("h1:1234", "h1:1234"), ("h2", "h2:{port}"), ("h3:-1", "h3:{port}")]
)
def test_the_advertised_address_is_logged(leaf_kind, tmp_path, advertise, shown):
    conf = _conf(tmp_path, f'listen: "127.0.0.1:-1", advertise: "{advertise}"')
    with served("-c", str(conf), kind=leaf_kind) as s:
        wait_until(
            lambda: any("Advertise address for leafnode" in x for x in s.log.lines),
            "the advertise line",
        )
        lines = s.log.lines
        (listening,) = [x for x in lines if "Listening for leafnode connections on" in x]
        port = int(listening.rsplit(":", 1)[1])
        (line,) = [x for x in lines if "Advertise address for leafnode" in x]
        assert line.endswith(
            f"[INF] Advertise address for leafnode is set to {shown.format(port=port)}"
        )
        assert lines.index(listening) < lines.index(line)


def test_a_leaf_only_server_does_not_listen_for_leaf_nodes(leaf_kind, tmp_path):
    conf = _conf(
        tmp_path,
        'remotes: [ { url: "nats-leaf://127.0.0.1:1", deny_exports: ["x.>"] } ]',
    )
    with served("-c", str(conf), kind=leaf_kind) as s:
        http = _ports(tmp_path)["monitoring"][0]
        assert not any("Listening for leafnode connections" in x for x in s.log.lines)
        assert _get(f"{http}/varz")["leaf"] == {
            "remotes": [
                {"local_account": "$G", "urls": ["127.0.0.1:1"], "deny": {"exports": ["x.>"]}}
            ]
        }


ACCOUNTS = (
    "accounts { A { users: [{user: ua, password: pa}] }, B { users: [{user: ub, password: pb}] } }"
)


def _client(address: tuple[str, int], user: str, password: str) -> socket.socket:
    sock = socket.create_connection(address, timeout=10)
    sock.recv(4096)  # INFO
    sock.sendall(f'CONNECT {{"user":"{user}","pass":"{password}","verbose":false}}\r\n'.encode())
    return sock


def _flush(sock: socket.socket) -> None:
    sock.sendall(b"PING\r\n")
    data = b""
    while b"PONG\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "connection closed"
        data += chunk


def _leaf_port(proc: Proc) -> int:
    for line in proc.log.lines:
        m = re.search(r"Listening for leafnode connections on 127\.0\.0\.1:(\d+)$", line)
        if m:
            return int(m[1])
    raise AssertionError("no leaf node listener line:\n" + "\n".join(proc.log.lines))


def _monitoring(directory: Path) -> str:
    return _ports(directory)["monitoring"][0]


@pytest.mark.parametrize("role", ["hub", "leaf"])
def test_leafz_with_nats_server_on_the_other_side(leaf_kind, tmp_path, role):
    """The side under test (``leaf_kind``) is the hub or the leaf; nats-server is the other.
    Two leaf connections (accounts A and B), interest and a message in A."""
    hub_dir, leaf_dir = tmp_path / "hub", tmp_path / "leaf"
    hub_dir.mkdir()
    leaf_dir.mkdir()
    hub_kind, leaf_side_kind = (
        (leaf_kind, "nats-server") if role == "hub" else ("nats-server", leaf_kind)
    )
    hub_conf = hub_dir / "hub.conf"
    hub_conf.write_text(
        f'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\nports_file_dir: "{hub_dir}"\n'
        f"{ACCOUNTS}\n"
        'leafnodes { listen: "127.0.0.1:-1", authorization { users: [\n'
        "  {user: la, password: pla, account: A}, {user: lb, password: plb, account: B} ] } }\n"
    )
    with served("-c", str(hub_conf), kind=hub_kind) as hub:
        port = _leaf_port(hub)
        leaf_conf = leaf_dir / "leaf.conf"
        leaf_conf.write_text(
            f'listen: "127.0.0.1:-1"\nhttp: "127.0.0.1:-1"\nports_file_dir: "{leaf_dir}"\n'
            f"{ACCOUNTS}\n"
            "leafnodes { remotes: [\n"
            f'  {{ url: "nats-leaf://la:pla@127.0.0.1:{port}", account: A }},\n'
            f'  {{ url: "nats-leaf://lb:plb@127.0.0.1:{port}", account: B }} ] }}\n'
        )
        with served("-c", str(leaf_conf), kind=leaf_side_kind) as leaf:
            hub_http, leaf_http = _monitoring(hub_dir), _monitoring(leaf_dir)
            tested, other = (hub_http, leaf_http) if role == "hub" else (leaf_http, hub_http)
            on_leaf = _client(leaf.address, "ua", "pa")
            on_hub = _client(hub.address, "ua", "pa")
            try:
                on_leaf.sendall(b"SUB foo.> 1\r\nSUB bar q1 2\r\n")
                _flush(on_leaf)
                on_hub.sendall(b"SUB hubsub.x 1\r\n")
                _flush(on_hub)

                def registered() -> bool:
                    hub_a = _get(f"{hub_http}/leafz?subs=1&acc=A")["leafs"]
                    leaf_a = _get(f"{leaf_http}/leafz?subs=1&acc=A")["leafs"]
                    return bool(
                        hub_a
                        and leaf_a
                        and {"foo.>", "bar"} <= set(hub_a[0].get("subscriptions_list", []))
                        and "hubsub.x" in leaf_a[0].get("subscriptions_list", [])
                    )

                wait_until(registered, "the interest of both sides over the leaf connections")
                on_hub.sendall(b"PUB foo.1 5\r\nhello\r\n")
                _flush(on_hub)
                counter = "out_msgs" if role == "hub" else "in_msgs"

                def counted() -> bool:
                    return _get(f"{tested}/leafz?acc=A")["leafs"][0][counter] == 1

                wait_until(counted, "the message counted")
                doc = _get(f"{tested}/leafz?subs=1")
                assert list(doc) == ["server_id", "now", "leafnodes", "leafs"]
                assert doc["leafnodes"] == 2
                assert sorted(leaf["account"] for leaf in doc["leafs"]) == ["A", "B"]
                other_name = _get(f"{other}/varz")["server_name"]
                for leaf_info in doc["leafs"]:
                    listed = ["subscriptions_list"] if leaf_info["subscriptions"] else []
                    assert list(leaf_info) == [
                        "id",
                        "name",
                        "is_spoke",
                        "account",
                        "ip",
                        "port",
                        "rtt",
                        "in_msgs",
                        "out_msgs",
                        "in_bytes",
                        "out_bytes",
                        "subscriptions",
                        *listed,
                        "compression",
                    ]
                    assert leaf_info["is_spoke"] is (role == "leaf")
                    assert leaf_info["name"] == other_name
                    assert leaf_info["ip"] == "127.0.0.1"
                    assert (leaf_info["port"] == port) is (role == "leaf")
                    assert leaf_info["subscriptions"] == len(
                        leaf_info.get("subscriptions_list", [])
                    )
                    if leaf_kind == "fastnats":
                        assert leaf_info["compression"] == "off"
                    else:  # s2_auto between two nats-servers: the mode its RTT picked
                        assert leaf_info["compression"].startswith("s2_")
                (a,) = _get(f"{tested}/leafz?subs=1&acc=A")["leafs"]
                if role == "hub":  # the leaf's interest, subjects only (no queue names)
                    assert {"foo.>", "bar"} <= set(a["subscriptions_list"])
                    assert "bar q1" not in a["subscriptions_list"]
                    assert (a["out_msgs"], a["out_bytes"]) == (1, 5)
                else:
                    assert "hubsub.x" in a["subscriptions_list"]
                    assert (a["in_msgs"], a["in_bytes"]) == (1, 5)
                assert _get(f"{tested}/varz")["leafnodes"] == 2
            finally:
                on_leaf.close()
                on_hub.close()


@pytest.mark.parametrize(
    ("leafnodes", "where"),
    [
        (
            'listen: "127.0.0.1:-1", authorization { user: l, password: p, account: NOPE }',
            "authorization",
        ),
        (
            'listen: "127.0.0.1:-1",'
            " authorization { users: [{user: l, password: p, account: NOPE}] }",
            "authorization",
        ),
        ('remotes: [ { url: "nats-leaf://127.0.0.1:1", account: NOPE } ]', "remote"),
    ],
)
def test_an_unknown_account_stops_the_start(kind, tmp_path, leafnodes, where):
    conf = tmp_path / "c.conf"
    conf.write_text(
        'listen: "127.0.0.1:-1"\naccounts { A { users: [{user: a, password: a}] } }\n'
        f"leafnodes {{ {leafnodes} }}\n"
    )
    r = run("-c", str(conf), kind=kind)
    assert r.returncode == 1
    assert r.stderr == f'{kind}: cannot find local account "NOPE" specified in leafnode {where}\n'
    ok = conf.read_text().replace("NOPE", "A")
    conf.write_text(ok)
    with served("-c", str(conf), kind=kind):
        pass
