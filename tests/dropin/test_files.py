"""The pid file (``-P``/``pid_file``) and the ports file (``--ports_file_dir``)."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from .procs import Proc, command, run, served, wait_until

pytestmark = pytest.mark.timeout(60)


def _ports_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.ports"))


def _read_ports(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    found = _ports_files(directory)
    if not found:
        return None
    (path,) = found
    try:
        return path, json.loads(path.read_text())
    except ValueError:
        return None  # nats-server writes it in place: it may be seen half-written


def _wait_ports_file(directory: Path) -> tuple[Path, dict[str, Any]]:
    """nats-server writes the ports file just after it is ready: wait for it (bounded)."""
    wait_until(lambda: _read_ports(directory), "the ports file")
    result = _read_ports(directory)
    assert result is not None
    return result


@pytest.mark.parametrize("how", ["flag", "config"])
def test_pid_file(kind, tmp_path, how):
    pid_file = tmp_path / "server.pid"
    if how == "flag":
        args = ["-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file)]
    else:
        conf = tmp_path / "p.conf"
        conf.write_text(f'listen: 127.0.0.1:-1\npid_file: "{pid_file}"\n')
        args = ["-c", str(conf)]
    with served(*args, kind=kind) as s:
        assert pid_file.read_text() == str(s.pid)  # no newline, as nats-server writes it
        s.send_signal(signal.SIGINT)
        assert s.wait() == 0
    # fastnats removes it at exit; nats-server leaves it behind.
    assert pid_file.exists() is (kind == "nats-server")


def test_pid_file_that_can_not_be_written_is_fatal(kind, tmp_path):
    pid_file = tmp_path / "missing-dir" / "server.pid"
    r = run("-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file), kind=kind)
    assert r.returncode == 1
    last = r.stderr.splitlines()[-1]
    assert last.endswith(
        f"[FTL] Could not write pidfile: open {pid_file}: no such file or directory"
    )
    assert "Server is ready" not in r.stderr


def test_pid_file_of_another_process_is_left_alone(tmp_path):
    pid_file = tmp_path / "server.pid"
    with served("-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file)) as s:
        pid_file.write_text("1")  # another server took the file over
        s.send_signal(signal.SIGINT)
        assert s.wait() == 0
    assert pid_file.read_text() == "1"


@pytest.mark.parametrize("how", ["flag", "config"])
def test_ports_file(kind, tmp_path, how):
    if how == "flag":
        args = ["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(tmp_path)]
    else:
        conf = tmp_path / "p.conf"
        conf.write_text(f'listen: 127.0.0.1:-1\nports_file_dir: "{tmp_path}"\n')
        args = ["-c", str(conf)]
    with served(*args, kind=kind) as s:
        path, ports = _wait_ports_file(tmp_path)
        assert path.name == f"{kind}_{s.pid}.ports"
        assert ports == {"nats": [f"nats://127.0.0.1:{s.port}"]}
        assert path.read_text() == json.dumps(ports, separators=(",", ":"))  # compact JSON
        s.send_signal(signal.SIGINT)
        assert s.wait() == 0
    assert _ports_files(tmp_path) == []  # removed at exit, by both


def test_ports_file_lists_the_cluster_listener(kind, tmp_path):
    from fastnats import _fastnats

    if kind == "fastnats" and not hasattr(_fastnats.NativeServer, "cluster_port"):
        pytest.skip("needs the route engine (NativeServer.cluster_port)")
    conf = tmp_path / "c.conf"
    conf.write_text(
        f'listen: 127.0.0.1:-1\nports_file_dir: "{tmp_path}"\n'
        'cluster { name: c1, listen: "127.0.0.1:-1" }\n'
    )
    with served("-c", str(conf), kind=kind) as s:
        _, ports = _wait_ports_file(tmp_path)
        assert list(ports) == ["nats", "cluster"]
        (url,) = ports["cluster"]
        assert url.startswith("nats://127.0.0.1:")
        assert int(url.rsplit(":", 1)[1]) not in (0, s.port)
        s.send_signal(signal.SIGINT)
        assert s.wait() == 0


def test_ports_file_on_all_interfaces_lists_loopback(kind, tmp_path):
    with served("-p", "-1", "--ports_file_dir", str(tmp_path), kind=kind) as s:
        _, ports = _wait_ports_file(tmp_path)
        assert f"nats://127.0.0.1:{s.port}" in ports["nats"]
        assert all(url.endswith(f":{s.port}") for url in ports["nats"])


def test_ports_file_dir_that_can_not_be_written_is_an_error_not_fatal(kind, tmp_path):
    missing = tmp_path / "missing"
    with served("-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(missing), kind=kind) as s:
        s.log.expect(rf"\[ERR\] Error writing ports file \({missing}/{kind}_{s.pid}.ports\): ")
        assert s.running()


def test_reload_moves_the_pid_and_ports_files(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    conf = tmp_path / "r.conf"

    def config(directory: Path) -> str:
        return (
            f'listen: 127.0.0.1:-1\npid_file: "{directory}/s.pid"\nports_file_dir: "{directory}"\n'
        )

    conf.write_text(config(first))
    with served("-c", str(conf)) as s:
        _wait_ports_file(first)
        assert (first / "s.pid").read_text() == str(s.pid)
        conf.write_text(config(second))
        s.send_signal(signal.SIGHUP)
        s.log.expect(r"Reloaded server configuration")
        assert (second / "s.pid").read_text() == str(s.pid)
        _wait_ports_file(second)
        assert not (first / "s.pid").exists()
        assert _ports_files(first) == []


@pytest.mark.skipif(shutil.which("fastnats") is None, reason="console script not on PATH")
def test_console_script_names_its_ports_file_fastnats(tmp_path):
    proc = Proc(["fastnats", "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(tmp_path)])
    try:
        proc.wait_ready()
        path, _ = _wait_ports_file(tmp_path)
        assert path.name == f"fastnats_{proc.pid}.ports"
    finally:
        proc.stop()


def test_python_dash_m_is_named_fastnats_too(tmp_path):
    assert command("fastnats")[1:] == ["-m", "fastnats"]
    with served("-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(tmp_path)) as s:
        path, _ = _wait_ports_file(tmp_path)
        assert path.name == f"fastnats_{s.pid}.ports"


def test_client_urls():
    from fastnats.files import client_urls

    assert client_urls("127.0.0.1", 4222) == ["nats://127.0.0.1:4222"]
    assert client_urls("::1", 4222, "tls") == ["tls://[::1]:4222"]
    everywhere = client_urls("0.0.0.0", 4222)
    assert "nats://127.0.0.1:4222" in everywhere
    assert all(u.startswith("nats://") and u.endswith(":4222") for u in everywhere)


def test_ports_file_named_after_a_link_called_nats_server(tmp_path):
    """Harnesses that look for ``nats-server_<pid>.ports`` (nats.js's test launcher) get it
    when fastnats is started through a link named ``nats-server``: the file is named after
    ``argv[0]``, as nats-server names its own."""
    import sys

    entry = tmp_path / "fastnats-entry"
    entry.write_text(
        f"#!{sys.executable}\nimport sys\nfrom fastnats.cli import main\nsys.exit(main())\n"
    )
    entry.chmod(0o755)
    link = tmp_path / "nats-server"
    link.symlink_to(entry)
    proc = Proc(
        [str(link), "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(tmp_path)],
        env={"PYTHONPATH": str(Path(__import__("fastnats").__file__).resolve().parent.parent)},
    )
    try:
        proc.wait_ready()
        path, ports = _wait_ports_file(tmp_path)
        assert path.name == f"nats-server_{proc.pid}.ports"
        assert list(ports) == ["nats"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait() == 0
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
        proc.proc.wait(timeout=10)
