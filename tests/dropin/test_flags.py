"""Command-line flags: Go ``flag`` syntax, every nats-server flag, the same meaning as nats-server.

Parsing is checked in-process (fast, exhaustive); what a flag does is checked on a running
server, against the reference nats-server too where the result can be compared.
"""

from __future__ import annotations

import re
import signal
import socket

import pytest
from fastnats.cli import UsageError, parse_args
from fastnats.settings import Options

from ..wire.proto import connect
from .procs import LOG_LINE, UNTIMED_LOG_LINE, FileLog, Proc, command, run, served

pytestmark = pytest.mark.timeout(60)


def parsed(*args: str) -> Options:
    return parse_args(list(args))


# --------------------------------------------------------------------------------------
# Go flag syntax
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-p", "4333"],
        ["--p", "4333"],
        ["-p=4333"],
        ["--p=4333"],
        ["-port", "4333"],
        ["--port", "4333"],
        ["-port=4333"],
        ["--port=4333"],
        ["serve", "-p", "4333"],
        ["-p", "4333", "serve"],
        ["-p", "0x10ed"],  # Go's ParseInt with base 0
        ["-p", "010355"],  # a leading 0 is octal, as in Go
        ["-p", "0o10355"],
    ],
)
def test_a_value_follows_with_a_space_or_an_equals_sign(args):
    assert parsed(*args).server == {"port": 4333}


@pytest.mark.parametrize(
    ("args", "host"),
    [
        (["-a", "127.0.0.1"], "127.0.0.1"),
        (["--addr=::1"], "::1"),
        (["-net", "localhost"], "localhost"),
        (["--net", "10.0.0.1"], "10.0.0.1"),
    ],
)
def test_host_flags(args, host):
    assert parsed(*args).server == {"host": host}


@pytest.mark.parametrize("flag", ["-n", "--name", "-server_name", "--server_name"])
def test_name_flags(flag):
    assert parsed(flag, "srv-1").server == {"server_name": "srv-1"}


def test_port_minus_one_is_random_and_zero_the_default():
    assert parsed("-p", "-1").server == {"port": -1}
    assert parsed("-p", "0").server == {"port": 0}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-D"], {"debug": True}),
        (["--debug"], {"debug": True}),
        (["-D=false"], {"debug": False}),
        (["--debug=0"], {"debug": False}),
        (["-D=T"], {"debug": True}),
        (["-D=FALSE"], {"debug": False}),
        (["-V"], {"trace": True}),
        (["--trace=true"], {"trace": True}),
        (["-DV"], {"debug": True, "trace": True}),
        (["--DV=false"], {"debug": False, "trace": False}),
        (["-VV"], {"trace": True, "trace_verbose": True}),
        (["-DVV"], {"debug": True, "trace": True, "trace_verbose": True}),
        (["-T=false"], {"logtime": False}),
        (["--logtime=f"], {"logtime": False}),
        (["-T"], {"logtime": True}),
        (["--logtime_utc"], {"logtime_utc": True}),
        (["-s"], {"syslog": True}),
        (["--syslog=1"], {"syslog": True}),
        (["-r", "udp://127.0.0.1:514"], {"remote_syslog": "udp://127.0.0.1:514"}),
        (["--remote_syslog=udp://h:1"], {"remote_syslog": "udp://h:1"}),
        (["-l", "x.log"], {"logfile": "x.log"}),
        (["--log=x.log"], {"logfile": "x.log"}),
        (["--max_traced_msg_len", "10"], {"max_traced_msg_len": 10}),
    ],
)
def test_logging_flags(args, expected):
    assert parsed(*args).logging == expected


@pytest.mark.parametrize(
    ("args", "attr", "value"),
    [
        (["-c", "a.conf"], "config_file", "a.conf"),
        (["--config=a.conf"], "config_file", "a.conf"),
        (["-t"], "check_config", True),
        (["-t=false"], "check_config", False),
        (["-sl", "reload"], "signal", "reload"),
        (["--signal=reload=/tmp/x.pid"], "signal", "reload=/tmp/x.pid"),
        (["-signal", "ldm=12"], "signal", "ldm=12"),
        (["-h"], "show_help", True),
        (["--help"], "show_help", True),
        (["-help=false"], "show_help", False),
        (["help"], "show_help", True),
        (["-p", "1", "HELP"], "show_help", True),
        (["-v"], "show_version", True),
        (["--version"], "show_version", True),
        (["version"], "show_version", True),
        (["version", "ignored", "--bogus"], "show_version", True),  # Go reads Args()[0] only
    ],
)
def test_other_flags_and_commands(args, attr, value):
    assert getattr(parsed(*args), attr) == value


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-P", "x.pid"], {"pid_file": "x.pid"}),
        (["--pid=x.pid"], {"pid_file": "x.pid"}),
        (["--ports_file_dir", "/tmp"], {"ports_file_dir": "/tmp"}),
        (["-ports_file_dir=/tmp"], {"ports_file_dir": "/tmp"}),
    ],
)
def test_file_flags(args, expected):
    assert parsed(*args).misc == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", 10),
        ("-1", -1),
        ("+5", 5),
        ("0", 0),
        ("0x1f", 31),
        ("0X1F", 31),
        ("0o17", 15),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("0x_1f", 31),
        ("0_7", 7),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
    ],
)
def test_int_flags_are_go_integers(text, value):
    """Go's flag package reads integers with strconv.ParseInt(s, 0, 64) (the whole table is in
    tests/test_gocompat.py)."""
    assert parsed("--max_traced_msg_len", text).logging == {"max_traced_msg_len": value}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "parse error"),
        ("-", "parse error"),
        ("abc", "parse error"),
        ("08", "parse error"),
        ("0x", "parse error"),
        ("_1", "parse error"),
        ("1_", "parse error"),
        ("1__0", "parse error"),
        ("1.5", "parse error"),
        (" 1", "parse error"),
        ("9223372036854775808", "value out of range"),
    ],
)
def test_int_flag_errors(text, error):
    with pytest.raises(UsageError) as e:
        parsed("--max_traced_msg_len", text)
    assert str(e.value) == f'invalid value "{text}" for flag -max_traced_msg_len: {error}'


def test_flags_stop_at_double_dash_and_at_the_first_command():
    with pytest.raises(UsageError, match='unrecognized command: "-p"'):
        parsed("--", "-p", "1")
    # A boolean does not take the next argument: "false" is a command.
    with pytest.raises(UsageError, match='unrecognized command: "false"'):
        parsed("-D", "false")
    # A flag's value is the next argument even when it starts with a dash.
    assert parsed("-n", "-D").server == {"server_name": "-D"}


# The message is Go's flag package's (nats-server prints the same text).
USAGE_ERRORS = [
    (["--bogus"], "flag provided but not defined: -bogus"),
    (["-bogus=1"], "flag provided but not defined: -bogus"),
    (["---p=1"], "bad flag syntax: ---p=1"),
    (["-=1"], "bad flag syntax: -=1"),
    (["-p"], "flag needs an argument: -p"),
    (["-p", "abc"], 'invalid value "abc" for flag -p: parse error'),
    (["--port=1__000"], 'invalid value "1__000" for flag -port: parse error'),
    (["-D=maybe"], 'invalid boolean value "maybe" for -D: parse error'),
    (["-p", "1", "stray"], 'unrecognized command: "stray"'),
    (["-"], 'unrecognized command: "-"'),
    # Go's %q (strconv.Quote) in the messages
    (["-p", 'a\tb"'], 'invalid value "a\\tb\\"" for flag -p: parse error'),
    (["-D=\u00e9\x7f"], 'invalid boolean value "\u00e9\\x7f" for -D: parse error'),
    (["x\x01\u200b"], 'unrecognized command: "x\\x01\\u200b"'),
    (["-p", "\udcff"], 'invalid value "\\xff" for flag -p: parse error'),  # the byte 0xff
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS)
def test_usage_errors(args, message):
    with pytest.raises(UsageError) as e:
        parsed(*args)
    assert str(e.value) == message


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS)
def test_usage_errors_read_as_nats_servers(kind, args, message):
    """fastnats prints one line and exits 1; nats-server prints the same message (and its
    usage text, exiting 0 on flag errors)."""
    r = run(*args, kind=kind)
    assert message in r.stderr
    if kind == "fastnats":
        assert r.returncode == 1
        assert r.stderr == f"fastnats: {message}\n"
        assert r.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--user", "u", "--pass", "p"], {"user": "u", "password": "p"}),
        (["-user=u", "-pass=p"], {"user": "u", "password": "p"}),
        (["--auth", "s3cret"], {"token": "s3cret"}),
        (["--user", ""], {}),  # empty: the file's value stays, as in nats-server
    ],
)
def test_auth_flags(args, expected):
    assert parsed(*args).auth == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "8222"], {"http_port": 8222}),
        (["--http_port=-1"], {"http_port": -1}),
        (["-http_port", "0"], {"http_port": 0}),
    ],
)
def test_monitoring_flags(args, expected):
    assert parsed(*args).misc == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tls"], {"tls": True}),
        (["--tls=false"], {"tls": False}),
        (["--tlsverify"], {"verify": True}),
        (
            ["-tlscert", "c.pem", "-tlskey=k.pem", "--tlscacert", "ca.pem"],
            {"cert_file": "c.pem", "key_file": "k.pem", "ca_file": "ca.pem"},
        ),
    ],
)
def test_tls_flags(args, expected):
    assert parsed(*args).tls == expected


def test_server_name_with_spaces_is_refused():
    with pytest.raises(UsageError, match="server name cannot contain spaces"):
        parsed("-n", "a b")


@pytest.mark.parametrize("args", [["-p", "70000"], ["-p", "-2"]])
def test_out_of_range_ports_are_refused(args):
    with pytest.raises(UsageError, match=args[1]):
        parsed(*args)


# --------------------------------------------------------------------------------------
# Flags for what fastnats does not have
# --------------------------------------------------------------------------------------

UNSUPPORTED = [
    (["-ms", "8222"], "-ms", "HTTPS monitoring"),
    (["--https_port", "8222"], "--https_port", "HTTPS monitoring"),
    (["--client_advertise", "h:4222"], "--client_advertise", "client URL"),
    (["--profile", "6060"], "--profile", "profiling"),
    (["--log_size_limit", "1000"], "--log_size_limit", "rotation"),
]


@pytest.mark.parametrize(("args", "flag", "feature"), UNSUPPORTED)
def test_unsupported_flags_fail_with_one_line_naming_them(args, flag, feature):
    r = run("-a", "127.0.0.1", "-p", "-1", *args)
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"fastnats: flag {flag} is not supported by fastnats (")
    assert feature in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["--tls=false"],
        ["-js=false"],
        ["-sd", "/tmp/js"],
        ["-m", "0"],
        ["--profile", "0"],
    ],
)
def test_unsupported_flags_switched_off_are_accepted(args):
    opts = parsed(*args)
    assert opts.unsupported == []


# --------------------------------------------------------------------------------------
# Cluster flags (laid over the file's cluster block as nats-server does)
# --------------------------------------------------------------------------------------


def cluster_settings(*args: str, conf: str | None = None, tmp_path=None):
    from fastnats.settings import load_settings

    argv = list(args)
    if conf is not None:
        path = tmp_path / "c.conf"
        path.write_text(conf)
        argv = ["-c", str(path), *argv]
    settings = load_settings(parsed(*argv))
    return settings.server.get("cluster"), settings.misc.get("cluster")


CLUSTER_FLAGS = [
    (["--cluster", "nats://127.0.0.1:6333"], None, {"host": "127.0.0.1", "port": 6333}),
    (["--cluster_listen", "nats://127.0.0.1:-1"], None, {"host": "127.0.0.1", "port": 0}),
    (["--cluster", "nats://:6333"], None, {"port": 6333}),
    (
        ["--cluster", "nats://ru:p%40ss@127.0.0.1:6333"],
        None,
        {"host": "127.0.0.1", "port": 6333, "authorization": {"user": "ru", "password": "p@ss"}},
    ),
    (
        ["--cluster", "nats://127.0.0.1:6333", "--routes", "nats://a:1, nats-route://b:2"],
        None,
        {"host": "127.0.0.1", "port": 6333, "routes": ["nats://a:1", "nats-route://b:2"]},
    ),
    (
        ["--cluster=nats://h:1", "--cluster_name", "c9", "--cluster_advertise", "h:9"],
        None,
        {"host": "h", "port": 1, "name": "c9", "advertise": "h:9"},
    ),
    (
        ["--cluster=nats://h:1", "--no_advertise", "--connect_retries", "0x10"],
        None,
        {"host": "h", "port": 1, "no_advertise": True, "connect_retries": 16},
    ),
    # over a file
    (
        ["--cluster_name", "c9", "--routes", "nats://c:3"],
        'cluster { name: c1, port: 6333, routes: ["nats://a:1"] }',
        {"name": "c9", "port": 6333, "routes": ["nats://c:3"]},
    ),
    (["--routes="], 'cluster { port: 6333, routes: ["nats://a:1"] }', {"port": 6333, "routes": []}),
    (["--cluster_name="], "cluster { name: c1, port: 6333 }", {"port": 6333}),
    (
        ["--cluster", "nats://127.0.0.1:7000"],
        "cluster { port: 6333, authorization { user: u, password: p } }",
        {"host": "127.0.0.1", "port": 7000},  # the URL has no user: nor does the cluster
    ),
    (
        ["--cluster", "nats://x:y@127.0.0.1:7000"],
        "cluster { port: 6333, authorization { user: u, password: p, timeout: 3 } }",
        {
            "host": "127.0.0.1",
            "port": 7000,
            "authorization": {"user": "x", "password": "y", "timeout": 3.0},
        },
    ),
    # a block without a port clusters once --cluster gives one
    (
        ["--cluster", "nats://127.0.0.1:-1"],
        'cluster { name: c1, routes: ["nats://a:1"] }',
        {"name": "c1", "host": "127.0.0.1", "port": 0, "routes": ["nats://a:1"]},
    ),
]


@pytest.mark.parametrize(("args", "conf", "expected"), CLUSTER_FLAGS, ids=repr)
def test_cluster_flags(tmp_path, args, conf, expected):
    assert cluster_settings(*args, conf=conf, tmp_path=tmp_path)[0] == expected


def test_cluster_flags_without_a_listener_leave_clustering_off(tmp_path):
    assert cluster_settings("--cluster_name", "c1") == (None, {"name": "c1"})
    assert cluster_settings("--cluster", "") == (None, None)
    on, off = cluster_settings(
        "--cluster=", conf="cluster { name: c1, port: 6333 }", tmp_path=tmp_path
    )
    assert (on, off) == (None, {"name": "c1"})
    on, off = cluster_settings("--cluster", "nats://h:0")
    assert (on, off) == (None, {"host": "h"})


# nats-server's messages for bad cluster flags (it exits 1 before serving, as fastnats does).
CLUSTER_FLAG_ERRORS = [
    (
        ["--routes", "nats://127.0.0.1:1"],
        "solicited routes require cluster capabilities, e.g. --cluster",
    ),
    (["--cluster", "nats://127.0.0.1"], "address 127.0.0.1: missing port in address"),
    (
        ["--cluster", "127.0.0.1:6222"],
        'parse "127.0.0.1:6222": first path segment in URL cannot contain colon',
    ),
    (["--cluster", "nats://u@127.0.0.1:6222"], "expected cluster password to be set"),
    (
        ["--cluster", "nats://127.0.0.1:abc"],
        'parse "nats://127.0.0.1:abc": invalid port ":abc" after host',
    ),
    (["--cluster", "nats://[::1"], """parse "nats://[::1": missing ']' in host"""),
    (
        ["--cluster", "nats://127.0.0.1:-2"],
        'parse "nats://127.0.0.1:-2": invalid port ":-2" after host',
    ),
    (["--connect_retries", "x"], 'invalid value "x" for flag -connect_retries: parse error'),
]


@pytest.mark.parametrize(("args", "message"), CLUSTER_FLAG_ERRORS, ids=repr)
def test_cluster_flag_errors_read_as_nats_servers(kind, args, message):
    r = run("-a", "127.0.0.1", "-p", "-1", *args, kind=kind)
    assert message in r.stderr
    if kind == "fastnats":
        assert (r.returncode, r.stdout) == (1, "")
        assert r.stderr == f"fastnats: {message}\n"


def test_a_file_without_cluster_port_refuses_routes_flag_as_nats_server(tmp_path):
    with pytest.raises(ValueError, match="solicited routes require cluster capabilities"):
        cluster_settings("--routes", "nats://a:1", conf="cluster { name: c1 }", tmp_path=tmp_path)


def test_cluster_flags_are_in_the_help():
    r = run("--help")
    for flag in (
        "--routes",
        "--cluster ",
        "--cluster_listen",
        "--cluster_name",
        "--no_advertise",
        "--cluster_advertise",
        "--connect_retries",
    ):
        assert flag in r.stdout.split("Cluster Options:")[1].split("Common Options:")[0], flag


# --------------------------------------------------------------------------------------
# What the flags do on a running server (fastnats and nats-server side by side)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-a", "127.0.0.1", "-p", "-1", "-n", "flag-test"],
        ["--addr=127.0.0.1", "--port=-1", "--server_name=flag-test"],
        ["-net", "127.0.0.1", "-port", "-1", "-name", "flag-test"],
    ],
)
def test_address_port_and_name(kind, args):
    with served(*args, kind=kind) as s:
        assert s.host == "127.0.0.1" and s.port > 0
        with connect(s.address, handshake=False) as c:
            assert c.info is not None
            assert c.info["server_name"] == "flag-test"
            assert c.info["port"] == s.port


def test_version_is_one_line(kind):
    for args in (["-v"], ["--version"], ["version"]):
        r = run(*args, kind=kind)
        assert r.returncode == 0
        assert len(r.stdout.splitlines()) == 1, r.stdout
        # fastnats answers in nats-server's form: the nats-server version it matches first
        # (what scripts read), then its own.
        assert r.stdout.startswith("nats-server: v2.")
        version = r.stdout.split(" v", 1)[1].split()[0]
        assert re.fullmatch(r"2\.\d+\.\d+", version), r.stdout
    if kind == "fastnats":
        assert "(fastnats v" in run("-v").stdout


def test_help_lists_the_flags(kind):
    r = run("-h", kind=kind)
    assert r.returncode == 0
    for flag in ("--addr", "--port", "--config", "--signal", "--ports_file_dir", "--logtime"):
        assert flag in r.stdout


def test_logtime_false_drops_timestamps(kind):
    with served("-a", "127.0.0.1", "-p", "-1", "-T=false", kind=kind) as s:
        for line in s.log.lines:
            assert UNTIMED_LOG_LINE.match(line), line
            assert int(UNTIMED_LOG_LINE.match(line)[1]) == s.pid  # type: ignore[index]


def test_log_lines_have_pid_time_and_level(kind):
    with served("-a", "127.0.0.1", "-p", "-1", kind=kind) as s:
        for line in s.log.lines:
            m = LOG_LINE.match(line)
            assert m, line
            assert int(m[1]) == s.pid


@pytest.mark.parametrize("flag", ["-D", "--debug", "-DV", "-DVV"])
def test_debug_flags_print_debug_lines(kind, flag):
    with served("-a", "127.0.0.1", "-p", "-1", flag, kind=kind) as s:
        assert s.log.has(r"\[DBG\] ")


def test_without_debug_there_are_no_debug_lines(kind):
    with served("-a", "127.0.0.1", "-p", "-1", "-D=false", kind=kind) as s:
        assert not s.log.has(r"\[DBG\] ")


@pytest.mark.parametrize("flag", ["-V", "--trace", "-VV", "-DV"])
def test_trace_flags_trace_the_protocol(kind, flag):
    with served("-a", "127.0.0.1", "-p", "-1", flag, kind=kind) as s:
        with connect(s.address, {"verbose": False, "pedantic": False, "pass": "s3cret"}):
            s.log.expect(r"\[TRC\] .*CONNECT")
            assert not s.log.has("s3cret")


def test_log_file(kind, tmp_path):
    log = tmp_path / "server.log"
    with served("-a", "127.0.0.1", "-p", "-1", "-l", str(log), kind=kind, log_file=log) as s:
        assert s.log.has(r"\[INF\] Starting nats-server")
        s.send_signal(signal.SIGINT)
        assert s.wait() == 0
        s.log.expect(r"Server Exiting")
        assert s.stderr.lines == []
    written = FileLog(log)
    written.refresh()
    assert written.lines and all(LOG_LINE.match(line) for line in written.lines)


def test_log_file_appends(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("an older line\n")
    with served("-a", "127.0.0.1", "-p", "-1", "--log", str(log), log_file=log) as s:
        assert s.log.has(r"Server is ready")
    assert log.read_text().startswith("an older line\n")


def _syslog_lines(sink: socket.socket, until: str) -> list[str]:
    lines = []
    while True:
        data = sink.recv(65536).decode(errors="replace")
        lines.append(data)
        if until in data:
            return lines


@pytest.mark.parametrize("flag", ["-r", "--remote_syslog"])
def test_remote_syslog_gets_the_log_lines(kind, flag):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(20)
        url = f"udp://127.0.0.1:{sink.getsockname()[1]}"
        proc = Proc([*command(kind), "-a", "127.0.0.1", "-p", "-1", flag, url])
        try:
            lines = _syslog_lines(sink, "Server is ready")
            assert any("Starting nats-server" in x for x in lines)
            assert any("Listening for client connections on 127.0.0.1:" in x for x in lines)
        finally:
            proc.stop()
        assert proc.stderr.lines == []


def test_logtime_utc_is_accepted(kind):
    with served("-a", "127.0.0.1", "-p", "-1", "--logtime_utc", kind=kind) as s:
        assert all(LOG_LINE.match(line) for line in s.log.lines)


def test_max_traced_msg_len_is_accepted_and_noted():
    with served("-a", "127.0.0.1", "-p", "-1", "--max_traced_msg_len", "10") as s:
        assert s.log.has(r"\[INF\] max_traced_msg_len is ignored by fastnats")


def test_serve_word_is_optional():
    with served("serve", "-a", "127.0.0.1", "-p", "-1") as s:
        assert s.port > 0
    with served("-a", "127.0.0.1", "-p", "-1") as s:
        assert s.port > 0
