"""Monitoring from Python: ``Server(http_port=...)``, ``.varz()``/``.connz()``/``.subsz()``/
``.metrics()``, the listener's life with the server, and ``import fastnats`` staying lean."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Any

import fastnats
import pytest

from . import scenario
from .conftest import Monitored

pytestmark = pytest.mark.timeout(60)

LOOPBACK = {"host": "127.0.0.1", "port": 0}


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def test_import_does_not_load_the_monitor() -> None:
    code = (
        "import sys, fastnats\n"
        "s = fastnats.Server(host='127.0.0.1', port=0).start(); s.stop()\n"
        "assert not [m for m in sys.modules if m.startswith('fastnats.monitor')]\n"
        "assert 'http.server' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_monitoring_off_by_default() -> None:
    with fastnats.Server(**LOOPBACK) as server:
        assert server.http_port is None
        assert server.http_host is None
        # The snapshots work without the listener.
        assert server.varz()["http_port"] == 0
        assert server.connz()["connections"] == []


@pytest.mark.parametrize("http_port", [0, -1])
def test_random_http_port(http_port: int) -> None:
    server = fastnats.Server(**LOOPBACK, http_port=http_port)
    assert server.http_port == 0
    with server:
        port = server.http_port
        assert port and port > 0
        assert server.http_host == "127.0.0.1"  # the client host by default
        assert scenario.get(port, "/healthz").json() == {"status": "ok"}
        varz = server.varz()
        assert (varz["http_host"], varz["http_port"]) == ("127.0.0.1", port)
    assert not _listening(port)


def test_fixed_http_port_and_host() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with fastnats.Server(host="0.0.0.0", port=0, http_host="127.0.0.1", http_port=free) as server:
        assert server.http_port == free
        assert server.http_host == "127.0.0.1"
        assert scenario.get(free, "/varz").json()["http_port"] == free


def test_http_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = fastnats.Server(**LOOPBACK, http_port=port)
        with pytest.raises(OSError):
            server.start()
        assert not server.running  # the client listener is not left behind


def test_restart() -> None:
    server = fastnats.Server(**LOOPBACK, http_port=0)
    for _ in range(2):
        with server:
            port = server.http_port
            assert port
            assert scenario.get(port, "/healthz").status == 200
        assert not _listening(port)


def test_stop_is_prompt() -> None:
    server = fastnats.Server(**LOOPBACK, http_port=0).start()
    assert server.http_port
    scenario.get(server.http_port, "/varz")
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2.0


def _timeless(doc: dict[str, Any]) -> dict[str, Any]:
    """Without the fields that move between two reads a moment apart."""
    out = {k: v for k, v in doc.items() if k != "now"}
    if isinstance(doc.get("connections"), list):
        out["connections"] = [
            {k: v for k, v in c.items() if k not in ("uptime", "idle")} for c in doc["connections"]
        ]
    return out


def test_python_snapshots_match_the_endpoints(monitored: Monitored) -> None:
    server = monitored.server
    assert server is not None
    played = scenario.play(monitored.port, monitored.http_port)
    try:
        scenario.wait_closed(monitored.http_port, len(scenario.CLOSED))
        for params, path in (
            ({}, "/connz"),
            ({"subs": True}, "/connz?subs=true"),
            ({"subs": "detail", "state": "all"}, "/connz?subs=detail&state=all"),
            (
                {"sort": "msgs_from", "limit": 2, "offset": 1},
                "/connz?sort=msgs_from&limit=2&offset=1",
            ),
            ({"cid": 2}, "/connz?cid=2"),
        ):
            py, http = server.connz(**params), monitored.json(path)
            assert _timeless(py) == _timeless(http), params
        for params, path in (
            ({}, "/subsz"),
            ({"subs": True, "test": "foo"}, "/subsz?subs=1&test=foo"),
            ({"subs": True, "acc": "$G"}, "/subsz?subs=1&acc=$G"),
        ):
            py, http = server.subsz(**params), monitored.json(path)
            assert _timeless(py) == _timeless(http), params
        assert _timeless(server.accountz()) == _timeless(monitored.json("/accountz"))
        detail = server.accountz(acc="$G")["account_detail"]
        assert detail["client_connections"] == len(scenario.OPEN)
        assert _timeless(server.accstatz(unused=True)) == _timeless(
            monitored.json("/accstatz?unused=1")
        )
        varz = server.varz()
        assert varz["connections"] == len(scenario.OPEN)
        assert varz["server_id"] == server.server_id
    finally:
        played.close()


def test_python_requests_are_not_counted(monitored: Monitored) -> None:
    server = monitored.server
    assert server is not None
    server.varz()
    server.connz()
    server.subsz()
    assert monitored.json("/varz")["http_req_stats"] == {"/varz": 1}
    assert server.varz()["http_req_stats"] == {"/varz": 1}


def test_python_parameter_errors() -> None:
    with fastnats.Server(**LOOPBACK) as server:
        with pytest.raises(ValueError, match="^invalid sorting option: bogus$"):
            server.connz(sort="bogus")
        with pytest.raises(ValueError, match="^Error decoding state for nope$"):
            server.connz(state="nope")
        with pytest.raises(ValueError, match="^sort by stop only valid on closed connections$"):
            server.connz(sort="stop")
        with pytest.raises(ValueError, match="must be valid publish subject: a.>$"):
            server.subsz(test="a.>")
        with pytest.raises(TypeError, match="bogus"):
            server.connz(bogus=1)
        with pytest.raises(TypeError, match="sort"):
            server.subsz(sort="cid")
        assert server.connz(sort="stop", state="closed")["connections"] == []


def test_stopped_server_snapshots() -> None:
    server = fastnats.Server(**LOOPBACK)
    assert server.varz()["connections"] == 0
    assert server.connz()["connections"] == []
    assert server.subsz(subs=True)["num_subscriptions"] == 0


def test_varz_reflects_options() -> None:
    options = {
        "max_payload": 2048,
        "max_connections": 10,
        "max_subscriptions": 7,
        "ping_interval": 1.5,
        "ping_max": 4,
        "write_deadline": 0.25,
        "max_pending": 1 << 20,
        "max_control_line": 1024,
        "server_name": "mon",
    }
    with fastnats.Server(**LOOPBACK, **options) as server:
        varz = server.varz()
    assert varz["max_payload"] == 2048
    assert varz["max_connections"] == 10
    assert varz["max_subscriptions"] == 7
    assert varz["ping_interval"] == 1_500_000_000
    assert varz["ping_max"] == 4
    assert varz["write_deadline"] == 250_000_000
    assert varz["max_pending"] == 1 << 20
    assert varz["max_control_line"] == 1024
    assert varz["server_name"] == "mon"
    assert varz["version"] == fastnats.COMPATIBLE_NATS_VERSION
    assert varz["fastnats"] == fastnats.__version__


def test_max_subscriptions_omitted_when_unlimited() -> None:
    with fastnats.Server(**LOOPBACK) as server:
        assert "max_subscriptions" not in server.varz()


def test_cpu_is_sampled_over_a_second(monitored: Monitored) -> None:
    server = monitored.server
    assert server is not None
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:  # burn CPU in this process
        sum(range(10_000))
    cpu = server.varz()["cpu"]
    assert 10 <= cpu <= 100 * (monitored.json("/varz")["cores"] + 1), cpu


def test_many_concurrent_requests(monitored: Monitored) -> None:
    import concurrent.futures

    paths = ["/varz", "/connz?subs=1", "/subsz?subs=1", "/healthz", "/metrics"] * 20
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda p: monitored.get(p).status, paths))
    assert statuses == [200] * len(paths)


def test_keep_alive(monitored: Monitored) -> None:
    """Requests on one connection, each answered at once (no ~40 ms Nagle/delayed-ACK wait
    between a response's headers and its body)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", monitored.http_port, timeout=5)
    try:
        started = time.monotonic()
        for path in ("/varz", "/healthz", "/nope", "/connz?sort=bad", "/metrics") * 6:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            assert resp.status in (200, 400, 404)
        assert time.monotonic() - started < 0.6
    finally:
        conn.close()


def test_stop_ends_kept_alive_connections() -> None:
    import http.client

    server = fastnats.Server(**LOOPBACK, http_port=0).start()
    assert server.http_port
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            conn.request("GET", "/varz")
            conn.getresponse().read()
    finally:
        conn.close()


def test_config_load_time_and_digest(monitored: Monitored) -> None:
    server = monitored.server
    assert server is not None
    varz = server.varz()
    assert varz["config_load_time"] == varz["start"]
    assert varz["config_digest"] == ""
    server._monitoring().config_loaded("sha256:" + "ab" * 32)
    varz = server.varz()
    assert varz["config_load_time"] != varz["start"]
    assert varz["config_digest"] == "sha256:" + "ab" * 32
