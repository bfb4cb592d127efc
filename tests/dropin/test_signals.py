"""Signals: SIGHUP reload, SIGUSR1 log reopen, SIGUSR2 lame duck, SIGINT/SIGTERM, ``--signal``.

Each behaviour runs against fastnats and, where installed, the reference nats-server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastnats.signals import COMMANDS, _is_fastnats, running_pids

from ..wire.proto import Closed, Conn, connect
from .procs import TIMEOUT, FileLog, pid_alive, run, served, wait_until

pytestmark = pytest.mark.timeout(90)

LDM_CONFIG = 'lame_duck_duration: "30s"\nlame_duck_grace_period: "1s"\n'


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------
# SIGHUP: reload
# --------------------------------------------------------------------------------------


def test_sighup_reloads_max_payload_for_new_connections(kind, tmp_path):
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\nmax_payload: 1000\n")
    with served("-c", str(conf), kind=kind) as s:
        with connect(s.address, handshake=False) as c:
            assert c.info is not None and c.info["max_payload"] == 1000
        write(conf, "listen: 127.0.0.1:-1\nmax_payload: 2000\n")
        s.send_signal(signal.SIGHUP)
        s.log.expect(r'\[INF\] Trapped "hangup" signal')
        s.log.expect(r"\[INF\] Reloaded: max_payload = 2000$")
        s.log.expect(r"\[INF\] Reloaded server configuration")
        with connect(s.address, handshake=False) as c:
            assert c.info is not None and c.info["max_payload"] == 2000
        with connect(s.address) as c:  # and the limit is enforced
            c.send(b"PUB a 1500\r\n" + b"x" * 1500 + b"\r\n")
            c.ping_pong()


def test_sighup_refuses_a_port_change_and_keeps_the_old_config(kind, tmp_path):
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\nmax_payload: 1000\n")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        new_port = other.getsockname()[1]
    with served("-c", str(conf), kind=kind) as s:
        write(conf, f"listen: 127.0.0.1:{new_port}\nmax_payload: 2000\n")
        s.send_signal(signal.SIGHUP)
        line = s.log.expect(r"\[ERR\] Failed to reload server configuration: ")
        assert "config reload not supported for Port: old=" in line
        assert line.endswith(f", new={new_port}")
        assert not s.log.has("Reloaded server configuration")
        # Still serving on the old port, with the old max_payload: nothing was applied.
        with connect(s.address, handshake=False) as c:
            assert c.info is not None and c.info["max_payload"] == 1000
        assert s.running()


def test_sighup_with_a_bad_file_logs_the_error_and_keeps_running(kind, tmp_path):
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\nmax_payload: 1000\n")
    with served("-c", str(conf), kind=kind) as s:
        write(conf, "listen: 127.0.0.1:-1\nmax_payload: 2000\nbogus_key: 1\n")
        s.send_signal(signal.SIGHUP)
        line = s.log.expect(r"\[ERR\] Failed to reload server configuration: ")
        assert line.endswith(f'{conf}:3:1: unknown field "bogus_key"')
        with connect(s.address, handshake=False) as c:
            assert c.info is not None and c.info["max_payload"] == 1000


def test_sighup_without_a_config_file(kind):
    with served("-a", "127.0.0.1", "-p", "-1", kind=kind) as s:
        s.send_signal(signal.SIGHUP)
        s.log.expect(
            r"\[ERR\] Failed to reload server configuration: can only reload config when a "
            r"file is provided using -c or --config$"
        )
        assert s.running()


def test_reload_keeps_command_line_values(kind, tmp_path):
    conf = write(tmp_path / "r.conf", "host: 0.0.0.0\nport: -1\ndebug: false\n")
    with served("-c", str(conf), "-a", "127.0.0.1", "-D", kind=kind) as s:
        write(conf, "host: 0.0.0.0\nport: -1\ndebug: false\nmax_payload: 5000\n")
        s.send_signal(signal.SIGHUP)
        s.log.expect(r"\[INF\] Reloaded server configuration")
        with connect(s.address, handshake=False) as c:
            assert c.info is not None
            assert c.info["max_payload"] == 5000
        s.log.expect(r"\[DBG\] .*Client connection created")  # -D still wins over the file


def test_reload_keeps_the_server_name_flag(tmp_path):
    """fastnats re-applies every flag on reload; nats-server re-applies only some (not -n:
    a file naming the server differently makes its reload fail)."""
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\nserver_name: file-name\n")
    with served("-c", str(conf), "-n", "cli-name") as s:
        write(conf, "listen: 127.0.0.1:-1\nserver_name: file-name\nmax_payload: 5000\n")
        s.send_signal(signal.SIGHUP)
        s.log.expect(r"\[INF\] Reloaded server configuration")
        with connect(s.address, handshake=False) as c:
            assert c.info is not None
            assert c.info["server_name"] == "cli-name"
            assert c.info["max_payload"] == 5000


def test_reload_switches_debug_logging_on(kind, tmp_path):
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\ndebug: false\n")
    with served("-c", str(conf), kind=kind) as s:
        write(conf, "listen: 127.0.0.1:-1\ndebug: true\n")
        s.send_signal(signal.SIGHUP)
        s.log.expect(r"\[INF\] Reloaded server configuration")
        with connect(s.address):
            s.log.expect(r"\[DBG\] .*Client connection created")


def test_reload_lowering_max_connections_closes_the_excess(kind, tmp_path):
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\n")
    with served("-c", str(conf), kind=kind) as s:
        with connect(s.address) as a, connect(s.address) as b:
            write(conf, "listen: 127.0.0.1:-1\nmax_connections: 1\n")
            s.send_signal(signal.SIGHUP)
            s.log.expect(r"\[INF\] Reloaded server configuration")
            closed = 0
            for c in (a, b):
                try:
                    c.ping_pong()
                except (Closed, ConnectionError):
                    closed += 1
                    continue
                except AssertionError as e:  # -ERR before the close
                    assert "maximum connections exceeded" in str(e)
                    closed += 1
            assert closed == 1


# --------------------------------------------------------------------------------------
# SIGUSR1: reopen the log file
# --------------------------------------------------------------------------------------


def test_sigusr1_reopens_the_log_file(kind, tmp_path):
    log = tmp_path / "server.log"
    rotated = tmp_path / "server.log.1"
    with served("-a", "127.0.0.1", "-p", "-1", "-l", str(log), kind=kind, log_file=log) as s:
        log.rename(rotated)
        s.send_signal(signal.SIGUSR1)
        fresh = FileLog(log)
        fresh.expect(r"\[INF\] File log re-opened$")
        old = FileLog(rotated)
        old.expect(r'\[INF\] Trapped "user defined signal 1" signal')
        # New lines keep going to the new file.
        s.send_signal(signal.SIGHUP)
        fresh.expect(r'\[INF\] Trapped "hangup" signal')
        assert not old.has("hangup")


def test_sigusr1_without_a_log_file(kind):
    with served("-a", "127.0.0.1", "-p", "-1", kind=kind) as s:
        s.send_signal(signal.SIGUSR1)
        s.log.expect(r"\[INF\] File log re-open ignored, not a file logger$")
        assert s.running()


# --------------------------------------------------------------------------------------
# SIGUSR2: lame duck mode
# --------------------------------------------------------------------------------------


def test_sigusr2_lame_duck_announces_ldm_then_closes_and_exits_0(kind, tmp_path):
    conf = write(tmp_path / "ld.conf", "listen: 127.0.0.1:-1\n" + LDM_CONFIG)
    with served("-c", str(conf), kind=kind) as s:
        new_style = connect(s.address, {"verbose": False, "pedantic": False, "protocol": 1})
        old_style = connect(s.address, {"verbose": False, "pedantic": False, "protocol": 0})
        with new_style, old_style:
            s.send_signal(signal.SIGUSR2)
            s.log.expect(r"\[INF\] Entering lame duck mode, stop accepting new clients")
            assert _ldm_info(new_style)["ldm"] is True
            # The listener is closed: no new clients.
            wait_until(lambda: _refused(s.address), "the listener to close")
            # Both clients are closed after the grace period; the protocol-0 one got no INFO.
            new_style.is_closed(timeout=TIMEOUT)
            assert old_style.is_closed(timeout=TIMEOUT) == b""
        assert s.wait() == 0
        s.log.expect(r"\[INF\] Server Exiting\.\.")


def test_sigusr2_without_clients_exits_at_once(kind, tmp_path):
    with served("-a", "127.0.0.1", "-p", "-1", kind=kind) as s:
        s.send_signal(signal.SIGUSR2)
        assert s.wait() == 0  # well before the default 2-minute duration
        s.log.expect(r"Entering lame duck mode")


def test_sigterm_is_ignored_in_lame_duck_mode(kind, tmp_path):
    conf = write(
        tmp_path / "ld.conf",
        'listen: 127.0.0.1:-1\nlame_duck_duration: "30s"\nlame_duck_grace_period: "5s"\n',
    )
    with served("-c", str(conf), kind=kind) as s:
        with connect(s.address, {"verbose": False, "pedantic": False, "protocol": 1}) as c:
            s.send_signal(signal.SIGUSR2)
            assert _ldm_info(c)["ldm"] is True
            s.send_signal(signal.SIGTERM)
            s.log.expect(r'\[INF\] Trapped "terminated" signal')
            assert s.running()
            c.is_closed(timeout=TIMEOUT)  # lame duck mode goes on to its end
        assert s.wait() == 0


def test_sigint_in_lame_duck_mode_stops_at_once(kind, tmp_path):
    conf = write(
        tmp_path / "ld.conf",
        'listen: 127.0.0.1:-1\nlame_duck_duration: "120s"\nlame_duck_grace_period: "100s"\n',
    )
    with served("-c", str(conf), kind=kind) as s:
        with connect(s.address, {"verbose": False, "pedantic": False, "protocol": 1}) as c:
            s.send_signal(signal.SIGUSR2)
            assert _ldm_info(c)["ldm"] is True
            s.send_signal(signal.SIGINT)
            assert s.wait(timeout=TIMEOUT) == 0  # long before the 100 s grace period ends
            c.is_closed(timeout=TIMEOUT)


def _ldm_info(c: Conn) -> dict[str, Any]:
    """The INFO announcing lame duck mode (nats-server 2.12+ sends another INFO first)."""
    while True:
        info = c.read_info()
        if "ldm" in info:
            return info


def _refused(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return False
    except OSError:
        return True


async def test_nats_py_sees_ldm_and_reconnects_to_another_server(tmp_path):
    import asyncio

    nats = pytest.importorskip("nats")
    conf = write(tmp_path / "ld.conf", "listen: 127.0.0.1:-1\n" + LDM_CONFIG)
    with served("-c", str(conf)) as a, served("-a", "127.0.0.1", "-p", "-1") as b:
        ldm = asyncio.Event()
        reconnected = asyncio.Event()

        async def on_ldm() -> None:
            ldm.set()

        async def on_reconnect() -> None:
            reconnected.set()

        nc = await nats.connect(
            servers=[f"nats://127.0.0.1:{a.port}", f"nats://127.0.0.1:{b.port}"],
            dont_randomize=True,
            lame_duck_mode_cb=on_ldm,
            reconnected_cb=on_reconnect,
            reconnect_time_wait=0.1,
            max_reconnect_attempts=50,
        )
        try:
            assert nc.connected_url is not None and nc.connected_url.port == a.port
            a.send_signal(signal.SIGUSR2)
            await asyncio.wait_for(ldm.wait(), TIMEOUT)
            await asyncio.wait_for(reconnected.wait(), TIMEOUT)
            assert nc.connected_url is not None and nc.connected_url.port == b.port
            sub = await nc.subscribe("ldm.test")
            await nc.publish("ldm.test", b"after")
            msg = await sub.next_msg(timeout=TIMEOUT)
            assert msg.data == b"after"
        finally:
            await nc.close()
        assert a.wait() == 0


# --------------------------------------------------------------------------------------
# SIGINT / SIGTERM
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_stop_with_exit_0(kind, sig):
    names = {signal.SIGINT: "interrupt", signal.SIGTERM: "terminated"}
    with served("-a", "127.0.0.1", "-p", "-1", kind=kind) as s:
        s.send_signal(sig)
        assert s.wait() == 0
        s.log.expect(rf'\[INF\] Trapped "{names[sig]}" signal')
        s.log.expect(r"\[INF\] Initiating Shutdown\.\.\.")
        s.log.expect(r"\[INF\] Server Exiting\.\.")


# --------------------------------------------------------------------------------------
# --signal
# --------------------------------------------------------------------------------------

# Prints the name of each signal it gets; SIGKILL (stop) shows as exit status -9.
_RECEIVER = """
import signal, sys, time
def got(signum, frame):
    print(signal.Signals(signum).name, flush=True)
    sys.exit(0)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, got)
print("ready", flush=True)
time.sleep(60)
"""


def _received(sender: str, command: str, tmp_path: Path) -> str:
    """What a receiver process got when ``sender --signal command=<pidfile>`` ran."""
    proc = subprocess.Popen([sys.executable, "-c", _RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        pid_file = write(tmp_path / f"{sender}-{command}.pid", str(proc.pid))
        r = run("--signal", f"{command}={pid_file}", kind=sender)
        assert r.returncode == 0, r.stderr
        assert r.stdout == r.stderr == ""
        out, _ = proc.communicate(timeout=TIMEOUT)
        return out.strip() if proc.returncode == 0 else f"exit {proc.returncode}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_signal_commands_map_to_the_same_signals_as_nats_server(kind, command, tmp_path):
    expected = {
        "stop": "exit -9",
        "quit": "SIGINT",
        "term": "SIGTERM",
        "reopen": "SIGUSR1",
        "reload": "SIGHUP",
        "ldm": "SIGUSR2",
    }
    assert _received(kind, command, tmp_path) == expected[command]


def test_signal_reload_and_quit_through_the_pid_file(tmp_path):
    conf = write(tmp_path / "r.conf", "listen: 127.0.0.1:-1\nmax_payload: 1000\n")
    pid_file = tmp_path / "fastnats.pid"
    with served("-c", str(conf), "-P", str(pid_file)) as s:
        write(conf, "listen: 127.0.0.1:-1\nmax_payload: 2000\n")
        for args in (["--signal", f"reload={pid_file}"], ["-sl", f"reload={s.pid}"]):
            r = run(*args)
            assert r.returncode == 0, r.stderr
            s.log.expect(r'Trapped "hangup" signal')
            s.log.expect(r"Reloaded server configuration")
        r = run("-sl", f"reopen={pid_file}")
        assert r.returncode == 0, r.stderr
        s.log.expect(r'Trapped "user defined signal 1" signal')
        r = run(f"--signal=quit={pid_file}")
        assert r.returncode == 0, r.stderr
        assert s.wait() == 0
        s.log.expect(r'Trapped "interrupt" signal')
    assert not pid_file.exists()


def test_signal_ldm_and_term(tmp_path):
    pid_file = tmp_path / "fastnats.pid"
    with served("-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file)) as s:
        assert run("--signal", f"ldm={pid_file}").returncode == 0
        assert s.wait() == 0
        s.log.expect(r"Entering lame duck mode")
    with served("-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file)) as s:
        assert run("--signal", f"term={pid_file}").returncode == 0
        assert s.wait() == 0
        s.log.expect(r'Trapped "terminated" signal')


def test_signal_stop_kills(tmp_path):
    pid_file = tmp_path / "fastnats.pid"
    with served("-a", "127.0.0.1", "-p", "-1", "-P", str(pid_file)) as s:
        assert run("--signal", f"stop={pid_file}").returncode == 0
        assert s.wait() == -signal.SIGKILL


def test_signal_to_a_pid_prefix_finds_the_running_fastnats():
    with served("-a", "127.0.0.1", "-p", "-1") as s:
        assert s.pid in running_pids()
        r = run("--signal", f"reload={s.pid}*")
        assert r.returncode == 0, r.stderr
        s.log.expect(r'Trapped "hangup" signal')


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=TIMEOUT)
    assert not pid_alive(proc.pid)
    return proc.pid


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus=1", 'unknown signal "bogus"'),
        ("reload=abc", "invalid pid: abc"),
        ("reload=1=2", "invalid signal parameters: [2]"),
    ],
)
def test_signal_errors_read_as_nats_servers(kind, spec, message):
    r = run("--signal", spec, kind=kind)
    assert r.returncode == 1
    assert r.stderr.strip() == f"{kind}: {message}"


def test_signal_to_a_process_that_is_gone(kind):
    pid = _dead_pid()
    r = run("--signal", f"reload={pid}", kind=kind)
    assert r.returncode == 1
    assert f'signal "reload" {pid}: no such process' in r.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/local/bin/fastnats", "-p", "1"], True),
        (["fastnats"], True),
        (["/usr/bin/python3", "-m", "fastnats", "serve"], True),
        (["python3.11", "-u", "-m", "fastnats"], True),
        (["python", "-mfastnats"], True),
        (["/usr/bin/python3", "/venv/bin/fastnats", "-c", "x.conf"], True),
        (["python", "-m", "pytest", "fastnats"], False),
        (["nats-server", "-p", "1"], False),
        (["vim", "fastnats"], False),
        ([], False),
    ],
)
def test_which_processes_are_fastnats(argv, expected):
    assert _is_fastnats(argv) is expected


def test_this_process_is_never_a_target():
    assert os.getpid() not in running_pids()
