"""Clusters of fastnats and nats-server nodes on loopback ports (routes; issue 14).

A node kind is ``"fastnats"`` (``python -m fastnats serve -c node.conf``) or a nats-server
version prefix (``"2.15"``, ``"2.10"``: the newest such binary that ``peer_server`` finds, the
reference server or one ``make peers`` installed). Each node is a subprocess with its own
config file in nats-server's format, which both servers read: client port, monitoring port,
and a ``cluster {}`` block (name, listen address, routes, optional authorization). The ports
are picked free once per node and kept, so a node restarts on the same ports.

Topologies: ``"all"`` (every node lists every other node as a route) and ``"seed"`` (every
node lists only node 0; the others must find each other through the INFO node 0 forwards).

``Mesh.wait_full()`` polls every node's ``/routez`` until its set of distinct ``remote_id``s
is exactly the other nodes' ``server_id``s (nats-server 2.10+ opens a pool of 3 connections
per neighbour plus one for ``$SYS``, so ``num_routes`` counts connections, not servers).
Every wait is bounded; every process is killed by PID at the end, also when a start fails.

Fixtures: ``start_mesh(kinds, topology=..., ...)`` (function scope; meshes stopped at the
end of the test) and ``mesh_factory`` (the same, module scope, for shared meshes).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastnats
import nats.errors
import pytest

from ..conftest import peer_server
from ..dropin.procs import Proc

HOST = "127.0.0.1"
CLUSTER_NAME = "fastnats-test"
START_TIMEOUT = 15.0  # one node: exec to "Server is ready"
MESH_TIMEOUT = 10.0  # all routes up (nats-server: ~0.1 s; a refused dial retries after 1 s)
POLL = 0.02
# fastnats nodes import the fastnats this test process imported.
FASTNATS_PATH = str(Path(fastnats.__file__).resolve().parent.parent)


def node_available(kind: str) -> bool:
    return kind == "fastnats" or peer_server(kind) is not None


def require_kinds(kinds: Sequence[str]) -> None:
    """Skips the test when a nats-server version of ``kinds`` is not installed."""
    missing = sorted({k for k in kinds if not node_available(k)})
    if missing:
        pytest.skip(f"nats-server {', '.join(missing)} not installed (make peers)")


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def http_json(port: int, path: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


def wait_for(check: Callable[[], Any], what: str, timeout: float = MESH_TIMEOUT) -> Any:
    """Polls ``check`` until it returns a truthy value (returned); AssertionError after
    ``timeout`` seconds, with the last exception ``check`` raised, if any."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from last
        time.sleep(POLL)


@dataclass
class Node:
    """One server of a mesh: its kind, ports, config file and (while running) process."""

    index: int
    kind: str
    port: int
    http_port: int
    cluster_port: int
    config: Path
    args: list[str] = field(default_factory=list)
    proc: Proc | None = None
    server_id: str = ""
    starts: int = 0

    @property
    def name(self) -> str:
        return f"n{self.index}-{self.kind}"

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def client_address(self) -> str:
        return f"{HOST}:{self.port}"

    def argv(self) -> list[str]:
        if self.kind == "fastnats":
            return [sys.executable, "-m", "fastnats", "serve", "-c", str(self.config), *self.args]
        found = peer_server(self.kind)
        assert found is not None, f"no nats-server {self.kind}"
        return [found[0], "-c", str(self.config), *self.args]

    def start(self) -> Node:
        assert self.proc is None or not self.proc.running(), f"{self.name} is running"
        env = {"PYTHONPATH": FASTNATS_PATH}
        self.proc = Proc(self.argv(), cwd=self.config.parent, env=env)
        self.starts += 1
        try:
            self.proc.log.expect(r"\] Server is ready$", timeout=START_TIMEOUT)
        except AssertionError as e:
            self.kill()
            raise AssertionError(f"{self.name} did not start ({self.config}): {e}") from None
        self.server_id = self.varz()["server_id"]
        return self

    def kill(self) -> None:
        """``kill -9`` (by PID) and reap; no-op when not running."""
        if self.proc is not None and self.proc.running():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def log(self) -> str:
        if self.proc is None:
            return ""
        return self.proc.stderr.text() + self.proc.stdout.text()

    # Monitoring -----------------------------------------------------------------------

    def get(self, path: str) -> Any:
        return http_json(self.http_port, path)

    def varz(self) -> dict[str, Any]:
        return dict(self.get("/varz"))

    def routez(self, subs: bool = False) -> dict[str, Any]:
        return dict(self.get("/routez" + ("?subs=1" if subs else "")))

    def route_peers(self) -> set[str]:
        """The distinct ``remote_id``s in ``/routez`` (pooled connections counted once)."""
        return {r["remote_id"] for r in self.routez().get("routes") or []}

    def num_subscriptions(self, account: str = "$G") -> int:
        return int(self.get(f"/subsz?acc={account}")["num_subscriptions"])


@dataclass
class Mesh:
    """A cluster of nodes (``nodes[i]`` has index ``i``), started by ``MeshFactory``."""

    nodes: list[Node]
    topology: str
    cluster_name: str
    directory: Path
    formed_in: float = 0.0  # seconds from the last node ready to the full mesh
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kinds(self) -> list[str]:
        return [n.kind for n in self.nodes]

    def __getitem__(self, i: int) -> Node:
        return self.nodes[i]

    def running(self) -> list[Node]:
        return [n for n in self.nodes if n.running()]

    def full(self) -> bool:
        """Whether every running node routes to exactly every other running node."""
        up = self.running()
        for node in up:
            want = {o.server_id for o in up if o is not node}
            if node.route_peers() != want:
                return False
        return True

    def describe(self) -> str:
        lines = []
        for n in self.nodes:
            try:
                peers = sorted(n.route_peers()) if n.running() else "down"
            except OSError as e:
                peers = f"/routez failed: {e}"
            lines.append(f"{n.name} id={n.server_id} routes={peers}")
        return "\n".join(lines)

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ---\n{n.log()}" for n in self.nodes)

    def wait_full(self, timeout: float = MESH_TIMEOUT) -> float:
        """Waits until the running nodes form a full mesh; returns the seconds it took."""
        t0 = time.monotonic()
        try:
            wait_for(self.full, f"a full mesh of {self.kinds}", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.describe()}\n{self.logs()}") from None
        return time.monotonic() - t0

    def kill(self, i: int) -> None:
        self.nodes[i].kill()

    def restart(self, i: int) -> Node:
        """``kill -9`` node ``i`` (if running) and start it again on the same ports."""
        self.nodes[i].kill()
        return self.nodes[i].start()

    def stop(self) -> None:
        for n in self.nodes:
            n.kill()


def node_config(
    node: Node,
    routes: Sequence[str],
    cluster_name: str | None,
    authorization: dict[str, str] | None,
    extra: str,
    cluster_extra: str = "",
) -> str:
    """The node's config file, in nats-server's format (fastnats reads it too)."""
    cluster = [f"  listen: {json.dumps(f'{HOST}:{node.cluster_port}')}"]
    cluster += [f"  {line.strip()}" for line in cluster_extra.splitlines() if line.strip()]
    if cluster_name is not None:
        cluster.append(f"  name: {json.dumps(cluster_name)}")
    if authorization:
        cluster.append(f"  authorization: {json.dumps(authorization)}")
    if routes:
        cluster.append(f"  routes: {json.dumps(list(routes))}")
    return (
        "\n".join(
            [
                f"server_name: {json.dumps(node.name)}",
                f"listen: {json.dumps(f'{HOST}:{node.port}')}",
                f"http: {json.dumps(f'{HOST}:{node.http_port}')}",
                "cluster {",
                *cluster,
                "}",
            ]
        )
        + "\n"
        + (extra + "\n" if extra else "")
    )


def route_url(node: Node, credentials: tuple[str, str] | None = None) -> str:
    auth = f"{credentials[0]}:{credentials[1]}@" if credentials else ""
    return f"nats-route://{auth}{HOST}:{node.cluster_port}"


class MeshFactory:
    """Starts meshes in ``directory``; ``stop()`` kills every node it started."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.meshes: list[Mesh] = []
        self.count = 0

    def __call__(
        self,
        kinds: Sequence[str],
        topology: str = "all",
        *,
        cluster_name: str | None = CLUSTER_NAME,
        names: Sequence[str | None] | None = None,
        authorization: dict[str, str] | None = None,
        credentials: Sequence[tuple[str, str] | None] | None = None,
        extra: str = "",
        cluster_extra: str | Sequence[str] = "",
        args: Sequence[str] = (),
        wait: bool = True,
    ) -> Mesh:
        """A started mesh of ``kinds``. ``names``: per-node cluster names (default
        ``cluster_name`` for all); ``authorization``: every node's cluster
        ``authorization`` block; ``credentials``: per-node user and password put in that
        node's route URLs (default: ``authorization``'s); ``extra``: config text appended to
        every node's file, ``cluster_extra`` to its ``cluster {}`` block (one text for all,
        or one per node); ``args``: command
        line arguments of every node. ``wait``: wait for the full mesh (else only for each
        node to be ready)."""
        require_kinds(kinds)
        assert topology in ("all", "seed"), topology
        self.count += 1
        directory = self.directory / f"mesh{self.count}"
        directory.mkdir(parents=True)
        ports = free_ports(3 * len(kinds))
        nodes = [
            Node(
                index=i,
                kind=kind,
                port=ports[3 * i],
                http_port=ports[3 * i + 1],
                cluster_port=ports[3 * i + 2],
                config=directory / f"n{i}.conf",
                args=list(args),
            )
            for i, kind in enumerate(kinds)
        ]
        default_creds = (
            (authorization["user"], authorization["password"]) if authorization else None
        )
        for node in nodes:
            creds = credentials[node.index] if credentials is not None else default_creds
            if topology == "all":
                peers = [o for o in nodes if o is not node]
            else:
                peers = [nodes[0]] if node.index else []
            name = names[node.index] if names is not None else cluster_name
            node.config.write_text(
                node_config(
                    node,
                    [route_url(o, creds) for o in peers],
                    name,
                    authorization,
                    extra,
                    cluster_extra if isinstance(cluster_extra, str) else cluster_extra[node.index],
                )
            )
        mesh = Mesh(
            nodes=nodes, topology=topology, cluster_name=cluster_name or "", directory=directory
        )
        self.meshes.append(mesh)
        try:
            for node in nodes:
                node.start()
            if wait:
                mesh.formed_in = mesh.wait_full()
        except BaseException:
            mesh.stop()
            raise
        return mesh

    def stop(self) -> None:
        for mesh in self.meshes:
            mesh.stop()


@pytest.fixture
def start_mesh(tmp_path: Path) -> Iterator[MeshFactory]:
    factory = MeshFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop()


@pytest.fixture(scope="module")
def mesh_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeshFactory]:
    factory = MeshFactory(tmp_path_factory.mktemp("meshes"))
    try:
        yield factory
    finally:
        factory.stop()


# Single servers (leaf nodes, TLS) ---------------------------------------------------


class Servers:
    """Starts servers from config texts in ``directory``; ``stop()`` kills them by PID."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.nodes: list[Node] = []

    def start(self, kind: str, name: str, config: str, ports: list[int]) -> Node:
        if not node_available(kind):
            pytest.skip(f"no nats-server {kind}")
        port, http_port, leaf_port = ports
        path = self.directory / f"{name}.conf"
        path.write_text(
            f"server_name: {json.dumps(name)}\n"
            f"listen: {json.dumps(f'{HOST}:{port}')}\n"
            f"http: {json.dumps(f'{HOST}:{http_port}')}\n" + config
        )
        node = Node(
            index=len(self.nodes),
            kind=kind,
            port=port,
            http_port=http_port,
            cluster_port=leaf_port,
            config=path,
        )
        self.nodes.append(node)
        return node.start()

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    s = Servers(tmp_path)
    try:
        yield s
    finally:
        s.stop()


def leafz(node: Node) -> dict[str, Any]:
    result: dict[str, Any] = node.get("/leafz?subs=1")
    return result


async def settle(*clients: Any) -> None:
    """Flush round trips on every client (their servers have processed what they sent)."""
    for c in clients:
        await c.flush()


async def interest_reaches(client: Any, watcher: Any, subject: str) -> None:
    """Waits until a message ``client`` publishes on ``subject`` reaches ``watcher`` (a
    subscription on the other server): the interest crossed the leaf connection."""
    for _ in range(100):
        await client.publish(subject, b"probe")
        await client.flush()
        try:
            await watcher.next_msg(timeout=0.05)
            while watcher.pending_msgs:
                await watcher.next_msg(timeout=0.05)
            return
        except nats.errors.TimeoutError:
            continue
    raise AssertionError(f"interest in {subject} never crossed")


