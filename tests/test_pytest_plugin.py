"""The pytest plugin (``fastnats.pytest_plugin``): its fixtures, run by pytest itself.

Each test writes a small test file, runs it with ``pytester`` (in this process) and checks
the outcomes and that every server the inner tests started no longer accepts connections.
The inner runs get the plugin as this run does: from the installed entry point, or with
``-p fastnats.pytest_plugin`` when there is none (a source tree on ``PYTHONPATH``);
pytest-timeout is off in them (its alarm would replace the outer test's), so the outer
test's timeout bounds them.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from .conftest import plugin_autoloaded

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
LOAD_PLUGIN = () if plugin_autoloaded() else ("-p", "fastnats.pytest_plugin")
INNER_ARGS = (*LOAD_PLUGIN, "-p", "no:timeout", "-p", "no:cacheprovider")
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

# Inner tests record the ports of the servers they used, one per line, in ports.txt.
RECORD = """
from pathlib import Path

def record(*servers):
    with Path(__file__).with_name("ports.txt").open("a") as f:
        for server in servers:
            assert server.running
            f.write(f"{server.port}\\n")
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    return pytester.runpytest(*INNER_ARGS, *args)


def _recorded_ports(pytester: pytest.Pytester, expected: int) -> list[int]:
    ports = [int(line) for line in (pytester.path / "ports.txt").read_text().split()]
    assert len(ports) == expected, ports
    return ports


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except OSError:
        return False


def _assert_all_stopped(ports: list[int]) -> None:
    assert [p for p in ports if _accepts(p)] == [], "servers still running after teardown"


def test_fixtures_in_sync_and_async_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        RECORD
        + """
import socket, json
import nats

def info(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        line = s.makefile("rb").readline()
    assert line.startswith(b"INFO ")
    return json.loads(line[5:])

def test_sync_server(fastnats_server):
    assert fastnats_server.host == "127.0.0.1"
    assert fastnats_server.url == f"nats://127.0.0.1:{fastnats_server.port}"
    assert info(fastnats_server)["server_id"] == fastnats_server.server_id
    record(fastnats_server)

def test_sync_factory_with_options(fastnats_server_factory):
    small = fastnats_server_factory(max_payload=1024, server_name="small")
    locked = fastnats_server_factory(authorization={"token": "s3cret"})
    assert small.port != locked.port
    assert info(small)["max_payload"] == 1024
    assert info(small)["server_name"] == "small"
    assert info(locked)["auth_required"] is True
    record(small, locked)

async def test_async_server_with_nats_py(fastnats_server):
    nc = await nats.connect(fastnats_server.url, connect_timeout=5, allow_reconnect=False)
    sub = await nc.subscribe("greet")
    await nc.publish("greet", b"hello")
    assert (await sub.next_msg(timeout=5)).data == b"hello"
    await nc.close()
    record(fastnats_server)

async def test_async_factory_and_fixture_together(fastnats_server, fastnats_server_factory):
    monitored = fastnats_server_factory(http_port=0)
    assert monitored.http_port and monitored.varz()["port"] == monitored.port
    assert monitored.port != fastnats_server.port
    nc = await nats.connect(monitored.url, connect_timeout=5, allow_reconnect=False)
    await nc.flush()
    await nc.close()
    record(fastnats_server, monitored)
"""
    )
    result = _run(pytester)
    result.assert_outcomes(passed=4)
    _assert_all_stopped(_recorded_ports(pytester, 6))


def test_jetstream_fixtures_store_in_the_tests_own_directory(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        RECORD
        + """
import nats

async def test_js(fastnats_jetstream_server, fastnats_server_factory, tmp_path):
    nc = await nats.connect(fastnats_jetstream_server.url, connect_timeout=5)
    js = nc.jetstream()
    await js.add_stream(name="S", subjects=["s"])
    assert (await js.publish("s", b"kept")).seq == 1
    await nc.close()
    other = fastnats_server_factory(jetstream={"max_memory_store": 1 << 20})
    mine = fastnats_server_factory(jetstream={"store_dir": tmp_path})
    stores = [s._native.config()["jetstream"]["store_dir"] for s in
              (fastnats_jetstream_server, other, mine)]
    assert len(set(stores)) == 3 and stores[2] == str(tmp_path)
    assert all("pytest" in d for d in stores), stores
    record(fastnats_jetstream_server, other, mine)
"""
    )
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    _assert_all_stopped(_recorded_ports(pytester, 3))


def test_clients_left_connected_do_not_hold_up_teardown(pytester: pytest.Pytester) -> None:
    # shutdown_grace=60: a teardown waiting on a client (whose event loop is not running
    # during fixture teardown) would take a minute.
    pytester.makepyfile(
        RECORD
        + """
import asyncio, socket
import nats

def on_disconnect(event):
    pass

async def test_nats_py_client_left_open(fastnats_server_factory):
    server = fastnats_server_factory(shutdown_grace=60, on_disconnect=on_disconnect)
    nc = await nats.connect(server.url, connect_timeout=5, allow_reconnect=False)
    sub = await nc.subscribe("x")
    await nc.publish("x", b"unread")
    await nc.flush()
    record(server)

def test_raw_client_left_open(fastnats_server_factory):
    server = fastnats_server_factory(shutdown_grace=60)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"CONNECT {}\\r\\nSUB x 1\\r\\nPUB x 2\\r\\nhi\\r\\nPING\\r\\n")
    record(server)
    test_raw_client_left_open.sock = s  # kept open until after teardown
"""
    )
    started = time.monotonic()
    result = _run(pytester, "-W", "ignore")
    elapsed = time.monotonic() - started
    result.assert_outcomes(passed=2)
    _assert_all_stopped(_recorded_ports(pytester, 2))
    assert elapsed < 30, f"teardown waited on connected clients ({elapsed:.1f} s)"


def test_failing_tests_still_stop_their_servers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        RECORD
        + """
import nats

def test_sync_fails(fastnats_server, fastnats_server_factory):
    record(fastnats_server, fastnats_server_factory(), fastnats_server_factory(max_payload=10))
    assert False, "the test failed"

async def test_async_fails(fastnats_server_factory):
    server = fastnats_server_factory()
    nc = await nats.connect(server.url, connect_timeout=5, allow_reconnect=False)
    record(server)
    raise RuntimeError("the async test failed")

def test_option_error_is_the_tests_error(fastnats_server_factory):
    record(fastnats_server_factory())
    fastnats_server_factory(max_payloads=10)
"""
    )
    result = _run(pytester, "-W", "ignore")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*TypeError:*max_payloads*"])
    _assert_all_stopped(_recorded_ports(pytester, 5))


def test_a_server_failing_to_stop_does_not_keep_the_others_running(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        RECORD
        + """
import fastnats

def test_one_stop_raises(monkeypatch, fastnats_server_factory):
    original = fastnats.Server.stop

    def stop(self):
        original(self)
        if getattr(self, "fail_stop", False):
            raise RuntimeError("stop failed")

    monkeypatch.setattr(fastnats.Server, "stop", stop)
    first, middle, last = (fastnats_server_factory() for _ in range(3))
    middle.fail_stop = True
    record(first, middle, last)
"""
    )
    result = _run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: stop failed*"])
    _assert_all_stopped(_recorded_ports(pytester, 3))


def _pytest11_entry_points() -> dict[str, str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entry_points: dict[str, str] = project["entry-points"]["pytest11"]
    return entry_points


def _install_entry_points(pytester: pytest.Pytester) -> None:
    """The entry points as pyproject.toml declares them, installed as a wheel would be (a
    dist-info on sys.path)."""
    entry_points = _pytest11_entry_points()
    assert entry_points == {"fastnats": "fastnats.pytest_plugin"}
    dist = pytester.mkdir("site") / "fastnats_probe-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fastnats-probe\nVersion: 1.0\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (dist / "entry_points.txt").write_text("[pytest11]\n" + lines)
    pytester.syspathinsert(pytester.path / "site")
    pytester.makeini(INI)


def test_the_entry_point_named_fastnats_loads_the_plugin(pytester: pytest.Pytester) -> None:
    _install_entry_points(pytester)
    pytester.makepyfile(
        """
import fastnats.pytest_plugin as plugin

def test_loaded_by_its_entry_point(request, fastnats_server):
    pm = request.config.pluginmanager
    assert pm.get_plugin("fastnats") is plugin
    assert plugin in [p for p, _ in pm.list_plugin_distinfo()]
    assert fastnats_server.running
"""
    )
    result = pytester.runpytest("-p", "no:timeout", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_p_no_fastnats_turns_the_plugin_off(pytester: pytest.Pytester) -> None:
    _install_entry_points(pytester)
    pytester.makepyfile("def test_uses_it(fastnats_server):\n    pass\n")
    result = pytester.runpytest("-p", "no:fastnats", "-p", "no:timeout", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'fastnats_server' not found*"])


def test_without_autoload_the_module_is_named_with_p(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_entry_points(pytester)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile("def test_uses_it(fastnats_server):\n    assert fastnats_server.running\n")
    result = pytester.runpytest(
        "-p", "fastnats.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:timeout"
    )
    result.assert_outcomes(passed=1)


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Testing with pytest", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None and "def test_" in example[1]
    pytester.makepyfile(test_readme=example[1])
    result = _run(pytester)
    result.assert_outcomes(passed=len(re.findall(r"^(?:async )?def test_", example[1], re.M)))
