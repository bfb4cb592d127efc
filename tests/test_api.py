"""The embedding API: `fastnats.Server` and `fastnats.default_config()`."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time

import fastnats
import pytest

from .conftest import client_subscriptions
from .wire.proto import PING, PONG, connect, dial, pub

pytestmark = pytest.mark.timeout(60)

LOOPBACK = {"host": "127.0.0.1", "port": 0}


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except OSError:
        return False


def test_port_0_gives_a_real_port():
    with fastnats.Server(**LOOPBACK) as server:
        assert 0 < server.port < 65536
        assert server.host == "127.0.0.1"
        with dial(("127.0.0.1", server.port)) as c:
            info = c.read_info()
        assert info["port"] == server.port
        assert info["server_id"] == server.server_id


def test_port_minus_1_means_random_too():
    with fastnats.Server(host="127.0.0.1", port=-1) as server:
        assert server.port > 0
        assert _accepts(server.port)


def test_two_servers_get_different_ports():
    with fastnats.Server(**LOOPBACK) as a, fastnats.Server(**LOOPBACK) as b:
        assert a.port != b.port


def test_url(fastnats_server):
    assert fastnats_server.url == f"nats://127.0.0.1:{fastnats_server.port}"
    assert fastnats_server.url in repr(fastnats_server)


def test_server_id_and_name(fastnats_server_factory):
    server = fastnats_server_factory()
    assert re.fullmatch(r"N[A-Z2-7]{55}", server.server_id or ""), server.server_id
    assert server.server_name == server.server_id  # default name: the id
    server = fastnats_server_factory(server_name="embedded")
    assert server.server_name == "embedded"
    with dial(("127.0.0.1", server.port)) as c:
        assert c.read_info()["server_name"] == "embedded"


def test_sync_context_manager():
    with fastnats.Server(**LOOPBACK) as server:
        assert server.running
        port = server.port
        assert _accepts(port)
    assert not server.running
    assert not _accepts(port)


async def test_async_context_manager():
    async with fastnats.Server(**LOOPBACK) as server:
        assert server.running
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"INFO ")
        writer.write(b"PING\r\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"PONG\r\n"
        writer.close()
    assert not server.running


def test_start_returns_the_server_and_stop_is_idempotent():
    server = fastnats.Server(**LOOPBACK)
    assert not server.running
    assert server.start() is server
    assert server.running
    server.stop()
    server.stop()
    assert not server.running


def test_stop_before_start_is_harmless():
    server = fastnats.Server(**LOOPBACK)
    server.stop()
    assert not server.running


def test_wait_returns_when_stopped_from_another_thread():
    server = fastnats.Server(**LOOPBACK).start()
    try:
        assert server.wait(timeout=0.05) is False
        threading.Timer(0.05, server.stop).start()
        assert server.wait(timeout=30) is True
    finally:
        server.stop()


def test_unknown_option_raises_type_error():
    with pytest.raises(TypeError, match="max_payloads"):
        fastnats.Server(max_payloads=10)
    with pytest.raises(TypeError):
        fastnats.Server(**LOOPBACK, bogus=True, other=1)


def test_bind_error_raises_os_error():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        server = fastnats.Server(host="127.0.0.1", port=blocker.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
        assert not server.running


def test_default_config_keys_and_nats_server_defaults():
    config = fastnats.default_config()
    expected_keys = {
        "host",
        "port",
        "server_name",
        "max_payload",
        "max_control_line",
        "max_pending",
        "max_connections",
        "max_subscriptions",
        "ping_interval",
        "ping_max",
        "write_deadline",
        "worker_threads",
        "no_header_support",
        "disable_sublist_cache",
        "shutdown_grace",
    }
    assert expected_keys <= set(config), expected_keys - set(config)
    # The defaults nats-server uses (reference §0).
    assert config["host"] == "0.0.0.0"
    assert config["port"] == 4222
    assert config["max_payload"] == 1048576
    assert config["max_control_line"] == 4096
    assert config["max_pending"] == 64 * 1024 * 1024
    assert config["max_connections"] == 65536
    assert config["max_subscriptions"] == 0
    assert config["ping_interval"] == 120.0
    assert config["ping_max"] == 2
    assert config["write_deadline"] == 10.0
    assert config["no_header_support"] is False
    # A fresh dict every call: mutating it changes nothing.
    config["port"] = 1
    assert fastnats.default_config()["port"] == 4222


def test_config_reflects_options():
    server = fastnats.Server(**LOOPBACK, max_payload=2048, ping_interval=30.0)
    config = server.config()
    assert config["max_payload"] == 2048
    assert config["ping_interval"] == 30.0
    assert config["max_control_line"] == 4096  # untouched options keep their defaults


def test_options_reach_the_wire(fastnats_server_factory):
    server = fastnats_server_factory(max_payload=2048)
    with dial(("127.0.0.1", server.port)) as c:
        assert c.read_info()["max_payload"] == 2048


def test_stats_counters_move(fastnats_server):
    server = fastnats_server
    stats = server.stats()
    for key in (
        "in_msgs",
        "out_msgs",
        "in_bytes",
        "out_bytes",
        "slow_consumers",
        "stale_connections",
        "total_connections",
        "connections",
    ):
        assert stats[key] == 0, (key, stats)
    assert client_subscriptions(server) == 0
    with connect(("127.0.0.1", server.port)) as a, connect(("127.0.0.1", server.port)) as b:
        a.send(b"SUB s 1\r\nSUB s 2\r\n")
        a.ping_pong()
        b.send(b"SUB s.* 3\r\n")
        b.ping_pong()
        assert client_subscriptions(server) == 3
        assert server.stats()["connections"] == 2
        b.send(pub("s", b"hello") * 3 + pub("nobody", b"xy") + PING)
        b.expect(PONG)
        assert len(a.msgs_until_pong()) == 6
        stats = server.stats()
        assert stats["in_msgs"] == 4
        assert stats["in_bytes"] == 17
        assert stats["out_msgs"] == 6  # 3 messages x 2 matching subs
        assert stats["out_bytes"] == 30
        assert stats["total_connections"] == 2
    # Closing connections takes their subscriptions away (asynchronously, bounded wait).
    with connect(("127.0.0.1", server.port)) as c:
        c.send(b"PING\r\n")
        c.expect(PONG)
        deadline = time.monotonic() + 20
        while client_subscriptions(server) != 0 or server.stats()["connections"] != 1:
            assert time.monotonic() < deadline, server.stats()
            time.sleep(0.01)
    assert server.stats()["total_connections"] == 3


def test_version_constants(fastnats_server):
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", fastnats.__version__)
    assert re.fullmatch(r"\d+\.\d+\.\d+", fastnats.COMPATIBLE_NATS_VERSION)
    with dial(("127.0.0.1", fastnats_server.port)) as c:
        assert c.read_info()["version"] == fastnats.COMPATIBLE_NATS_VERSION
