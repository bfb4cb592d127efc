"""``Server.reload()`` and ``Server.lame_duck()``: what SIGHUP and SIGUSR2 use, embedded."""

from __future__ import annotations

import threading

import fastnats
import pytest

from ..wire.proto import connect

pytestmark = pytest.mark.timeout(60)


def test_reload_applies_limits_to_new_connections():
    with fastnats.Server(host="127.0.0.1", port=0, max_payload=1000) as server:
        server.reload(host="127.0.0.1", port=0, max_payload=2000)
        assert server.config()["max_payload"] == 2000
        with connect(("127.0.0.1", server.port), handshake=False) as c:
            assert c.info is not None and c.info["max_payload"] == 2000


def test_reload_refuses_fixed_options_and_changes_nothing():
    with fastnats.Server(host="127.0.0.1", port=0, max_payload=1000) as server:
        with pytest.raises(ValueError, match=r"config reload not supported for Port: old=0, new=1"):
            server.reload(host="127.0.0.1", port=1, max_payload=2000)
        with pytest.raises(ValueError, match="config reload not supported for ServerName"):
            server.reload(host="127.0.0.1", port=0, server_name="other")
        assert server.config()["max_payload"] == 1000
        with connect(("127.0.0.1", server.port), handshake=False) as c:
            assert c.info is not None and c.info["max_payload"] == 1000


def test_reload_port_minus_one_is_port_zero():
    with fastnats.Server(host="127.0.0.1", port=-1) as server:
        server.reload(host="127.0.0.1", port=-1, max_payload=4000)
        assert server.config()["max_payload"] == 4000


def test_reload_rejects_unknown_options():
    with fastnats.Server(host="127.0.0.1", port=0) as server:
        with pytest.raises(TypeError, match="max_payloads"):
            server.reload(host="127.0.0.1", port=0, max_payloads=1)


def test_lame_duck_announces_closes_and_stops():
    server = fastnats.Server(host="127.0.0.1", port=0).start()
    with connect(
        ("127.0.0.1", server.port), {"verbose": False, "pedantic": False, "protocol": 1}
    ) as c:
        done = threading.Event()

        def run() -> None:
            server.lame_duck(duration=30.0, grace=0.5)
            done.set()

        threading.Thread(target=run, daemon=True).start()
        assert c.read_info()["ldm"] is True
        c.is_closed()
        assert done.wait(20)
    assert not server.running
