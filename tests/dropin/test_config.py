"""Config files on the command line: ``-c``, ``-t``, flags over the file, errors, warnings."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from ..wire.proto import connect
from .procs import run, served

pytestmark = pytest.mark.timeout(60)

POSITIONED_ERROR = re.compile(r"^(fastnats|nats-server): (\S+):(\d+):(\d+): (.+)$")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_config_file_sets_the_server_up(kind, tmp_path):
    conf = write(
        tmp_path / "a.conf",
        """
        # a nats-server config file
        listen: "127.0.0.1:-1"
        server_name: from-file
        max_payload: 2KB
        ping_interval: "1m"
        """,
    )
    with served("-c", str(conf), kind=kind) as s:
        assert s.log.has(rf"\[INF\] Using configuration file: {re.escape(str(conf))}")
        with connect(s.address, handshake=False) as c:
            assert c.info is not None
            assert c.info["server_name"] == "from-file"
            assert c.info["max_payload"] == 2048


def test_flags_override_the_config_file(kind, tmp_path):
    with socket.socket() as blocker:  # the file's port is taken: only the flag can work
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        conf = write(
            tmp_path / "a.conf",
            f"host: 0.0.0.0\nport: {taken}\nserver_name: from-file\ndebug: true\n"
            "max_payload: 3000\n",
        )
        args = ["-c", str(conf), "-a", "127.0.0.1", "-p", "-1", "-n", "from-cli", "-D=false"]
        with served(*args, kind=kind) as s:
            assert s.host == "127.0.0.1"
            assert s.port != taken
            assert not s.log.has(r"\[DBG\]")
            with connect(s.address, handshake=False) as c:
                assert c.info is not None
                assert c.info["server_name"] == "from-cli"
                assert c.info["max_payload"] == 3000  # what the flags do not set stays


def test_check_config_good(kind, tmp_path):
    conf = write(tmp_path / "good.conf", "port: 4222\nmax_payload: 2MB\n")
    r = run("-t", "-c", str(conf), kind=kind)
    assert r.returncode == 0
    assert r.stderr.startswith(f"{kind}: configuration file {conf} is valid (sha256:")
    assert len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("port: 4222\nbogus_key: 1\n", 2, 1, 'unknown field "bogus_key"'),
        ("port: 4222\n\n  max_pyload: 10\n", 3, 3, 'unknown field "max_pyload"'),
    ],
)
def test_check_config_bad_names_file_line_and_column(kind, tmp_path, text, line, column, message):
    conf = write(tmp_path / "bad.conf", text)
    r = run("-t", "-c", str(conf), kind=kind)
    assert r.returncode == 1
    first = r.stderr.splitlines()[0]
    assert first == f"{kind}: {conf}:{line}:{column}: {message}"


def test_check_config_needs_a_file(kind):
    r = run("-t", kind=kind)
    assert r.returncode == 1
    assert (
        r.stderr
        == f"{kind}: must specify [-c, --config] option to check configuration file syntax\n"
    )


def test_check_config_fails_on_warnings(kind, tmp_path):
    conf = write(tmp_path / "w.conf", "port: -1\nping_interval: 60\n")
    r = run("-t", "-c", str(conf), kind=kind)
    assert r.returncode == 1
    assert f'{conf}:2:1: invalid use of field "ping_interval"' in r.stderr


BAD_FILES = [
    ("port: 4222\nbogus_key: 1\n", 2, 'unknown field "bogus_key"'),
    ("port: 4222\nmax_payload = {\n", 3, "end of file"),
    ("port: $NOPE\n", 1, "variable reference for 'NOPE' on line 1 can not be found"),
    ('port: 4222\nserver_name: "a\0b"\n', 2, "unexpected NUL character in quoted string"),
    ('max_payload: "x"\n', 1, "max_payload"),
    ("port: 4222\ngateway {\n  port: 7222\n}\n", 2, '"gateway" is not supported by fastnats'),
    ("port: 4222\ncluster {\n  pool_size: x\n}\n", 3, 'invalid value for "pool_size"'),
    ("jetstream {\n  cipher: aes\n}\n", 2, '"cipher" in jetstream is not supported by fastnats'),
    ("tls {\n  cert_file: c.pem\n}\n", 1, "missing 'key_file' in TLS configuration"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_FILES)
def test_bad_config_is_one_line_with_file_line_column_and_exit_1(tmp_path, text, line, message):
    conf = write(tmp_path / "bad.conf", text)
    for args in (["-c", str(conf)], ["-t", "-c", str(conf)], ["serve", "--config", str(conf)]):
        r = run(*args)
        assert r.returncode == 1
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        m = POSITIONED_ERROR.match(lines[0])
        assert m, lines[0]
        assert m[2] == str(conf) and int(m[3]) == line
        assert message in m[5]


def test_missing_config_file(kind, tmp_path):
    missing = tmp_path / "nope.conf"
    r = run("-c", str(missing), kind=kind)
    assert r.returncode == 1
    assert str(missing) in r.stderr
    assert "no such file or directory" in r.stderr.lower()
    if kind == "fastnats":
        assert len(r.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('http_port: 8222\nhttp_base_path: "/mon"\n', "http_base_path"),
        ("https_port: 8443\n", "https_port"),
        ('client_advertise: "example.com:4222"\n', "client_advertise"),
        ("logfile_size_limit: 1MB\n", "logfile_size_limit"),
    ],
)
def test_settings_fastnats_lacks_are_refused(tmp_path, text, key):
    conf = write(tmp_path / "x.conf", "port: -1\n" + text)
    for args in (["-c", str(conf)], ["-t", "-c", str(conf)]):
        r = run(*args)
        assert r.returncode == 1
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        assert lines[0].startswith(f'fastnats: {conf}: "{key}" is not supported by fastnats')


def test_monitoring_port_zero_is_off_and_accepted(tmp_path):
    conf = write(tmp_path / "x.conf", "listen: 127.0.0.1:-1\nhttp_port: 0\n")
    with served("-c", str(conf)) as s:
        assert s.port > 0


def test_warnings_are_logged_and_the_server_runs(kind, tmp_path):
    conf = write(tmp_path / "w.conf", "listen: 127.0.0.1:-1\nping_interval: 60\n")
    with served("-c", str(conf), kind=kind) as s:
        assert f'{conf}:2:1: invalid use of field "ping_interval"' in s.log.text()
        if kind == "fastnats":
            assert s.log.has(r'\[WRN\] .*invalid use of field "ping_interval"')


def test_max_connections_zero_rejects_every_client(kind, tmp_path):
    conf = write(tmp_path / "m.conf", "listen: 127.0.0.1:-1\nmax_connections: 0\n")
    with served("-c", str(conf), kind=kind) as s:
        with connect(s.address, handshake=False) as c:
            c.expect_err_and_close("maximum connections exceeded")


def test_lame_duck_grace_must_be_below_duration(kind, tmp_path):
    conf = write(
        tmp_path / "ld.conf",
        'listen: 127.0.0.1:-1\nlame_duck_duration: "30s"\nlame_duck_grace_period: "40s"\n',
    )
    r = run("-c", str(conf), kind=kind)
    assert r.returncode == 1
    assert (
        f"{kind}: lame duck grace period (40s) should be strictly lower than lame duck "
        "duration (30s)"
    ) in r.stderr


def test_lame_duck_duration_minimum_is_30s(kind, tmp_path):
    conf = write(tmp_path / "ld.conf", 'listen: 127.0.0.1:-1\nlame_duck_duration: "1s"\n')
    r = run("-c", str(conf), kind=kind)
    assert r.returncode == 1
    assert "invalid lame_duck_duration of 1s, minimum is 30 seconds" in r.stderr


def test_include_and_variables(kind, tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    # An included file does not see the includer's variables (nor in nats-server).
    write(tmp_path / "sub" / "limits.conf", "LIMIT = 4KB\nmax_payload: $LIMIT\n")
    conf = write(
        tmp_path / "main.conf",
        "listen: 127.0.0.1:-1\nserver_name: $NAME\ninclude ./sub/limits.conf\n",
    )
    monkeypatch.setenv("NAME", "from-env")
    with served("-c", str(conf), kind=kind) as s:
        with connect(s.address, handshake=False) as c:
            assert c.info is not None
            assert c.info["server_name"] == "from-env"
            assert c.info["max_payload"] == 4096


def test_engine_limit_errors_are_one_line(tmp_path):
    conf = write(tmp_path / "x.conf", "listen: 127.0.0.1:-1\nmax_payload: 100MB\n")
    r = run("-c", str(conf))
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("fastnats: ") and "max_payload" in lines[0]


def test_port_in_use_is_fatal(kind):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        r = run("-a", "127.0.0.1", "-p", str(port), kind=kind)
    assert r.returncode == 1
    last = r.stderr.splitlines()[-1]
    assert "[FTL] Error listening on port: " in last and str(port) in last
    assert "Server is ready" not in r.stderr
