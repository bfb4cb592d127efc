"""The options of `fastnats.Server`: typed keywords, units, error texts, reload of what is
given, `Server.from_config`, and the console script's `sys.path`."""

from __future__ import annotations

import inspect
import os
import pathlib
import re
import site
import socket
import subprocess
import sys
import textwrap

import fastnats
import pytest
from fastnats.conf import ConfigError as FileConfigError
from fastnats.options import RELOAD_OPTIONS, ReloadOptions, ServerOptions

from .wire.proto import connect

pytestmark = pytest.mark.timeout(60)

HOST = "127.0.0.1"
PACKAGE_DIR = str(pathlib.Path(fastnats.__file__).resolve().parent.parent)
HOOKS = {"auth", "on_connect", "on_disconnect", "plugins"}


# --------------------------------------------------------------------------------------
# The keywords
# --------------------------------------------------------------------------------------


def test_the_keywords_are_the_engine_options_plus_monitoring_and_hooks():
    params = inspect.signature(fastnats.Server).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    engine = set(fastnats.default_config())
    assert set(params) == engine | {"http_host", "http_port", "log_level"} | HOOKS
    assert set(ReloadOptions.__annotations__) == RELOAD_OPTIONS
    assert RELOAD_OPTIONS == set(params) - HOOKS - {"log_level"}
    assert set(ServerOptions.__annotations__) == set(params)


def test_options_not_given_take_the_engine_defaults():
    assert fastnats.Server().config() == fastnats.default_config()


def test_a_misspelled_option_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="max_payloads"):
        fastnats.Server(max_payloads=10)  # type: ignore[call-arg]


def test_help_explains_every_option():
    doc = fastnats.Server.__doc__ or ""
    for name in inspect.signature(fastnats.Server).parameters:
        assert f"\n    {name} (" in doc, name


def test_the_defaults_help_states_are_the_engines():
    # help() states the defaults for readers; the engine's Config::default is their source.
    d = fastnats.default_config()
    mib = 1024 * 1024
    stated = {
        "host": f'(``"{d["host"]}"``)',
        "port": f"({d['port']})",
        "max_payload": f"({d['max_payload'] // mib} MiB)",
        "max_control_line": f"({d['max_control_line']})",
        "max_pending": f"({d['max_pending'] // mib} MiB)",
        "max_connections": f"({d['max_connections']})",
        "ping_interval": f"({d['ping_interval']:g} s)",
        "ping_max": f"({d['ping_max']})",
        "write_deadline": f"({d['write_deadline']:g} s)",
        "shutdown_grace": f"({d['shutdown_grace']:g} s)",
    }
    entries = re.split(r"\n    (?=\w+ \()", fastnats.Server.__doc__ or "")
    for name, text in stated.items():
        entry = next(e for e in entries if e.startswith(f"{name} ("))
        assert text in " ".join(entry.split()), (name, entry)


@pytest.mark.timeout(300)
def test_mypy_rejects_a_misspelled_option_and_accepts_correct_calls(tmp_path):
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        textwrap.dedent(
            """\
            import fastnats

            def hook(info: dict[str, object]) -> bool:
                return True

            good = fastnats.Server(
                host="127.0.0.1", port=0, max_payload="2MB", max_pending=1 << 20,
                ping_interval="2m", write_deadline=2.5, shutdown_grace="500ms",
                no_header_support=False, authorization={"token": "t"}, tls=None,
                http_port=None, auth=hook, plugins=["x"],
            )
            good.reload(max_payload=1000, authorization=None)
            fastnats.Server.from_config("x.conf", port=0, on_connect=hook)
            fastnats.Server(max_payloads=10)  # error
            fastnats.Server(port="abc")  # error
            good.reload(max_payloads=10)  # error
            good.reload(auth=hook)  # error
            fastnats.Server.from_config("x.conf", ports=1)  # error
            """
        )
    )
    pytest.importorskip("mypy")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    if PACKAGE_DIR not in site.getsitepackages():
        # A source tree (PYTHONPATH=python): point mypy at it. An installed package is found
        # in site-packages by mypy itself (py.typed), which refuses it in MYPYPATH.
        env["MYPYPATH"] = env["PYTHONPATH"] = PACKAGE_DIR
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull]
        + [str(snippet)],
        cwd=tmp_path,  # no project config: the flags are the whole configuration
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out, err, status = done.stdout, done.stderr, done.returncode
    errors = [line for line in out.splitlines() if ": error:" in line]
    lines = sorted({int(line.split(":")[1]) for line in errors})
    marked = snippet.read_text().splitlines()
    assert lines == [n for n, line in enumerate(marked, 1) if line.endswith("# error")], out + err
    assert status == 1
    assert '"max_payloads"' in errors[0] and "snippet.py" in errors[0], errors[0]
    assert fastnats.__file__.startswith(PACKAGE_DIR)


# --------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("max_payload", "2MB", 2 * 1024 * 1024),
        ("max_payload", "64KB", 64 * 1024),
        ("max_payload", "64k", 64_000),
        ("max_payload", 5000, 5000),
        ("max_control_line", "8KiB", 8192),
        ("max_pending", "1GB", 1024**3),
        ("max_pending", "2M", 2_000_000),
        ("ping_interval", "2m", 120.0),
        ("ping_interval", "500ms", 0.5),
        ("ping_interval", "1h30m", 5400.0),
        ("ping_interval", 3, 3.0),
        ("write_deadline", 0.25, 0.25),
        ("write_deadline", "1.5s", 1.5),
        ("shutdown_grace", "0s", 0.0),
        ("shutdown_grace", 0, 0.0),
        ("port", -1, 0),
    ],
)
def test_units_as_in_config_files(option, value, expected):
    config = fastnats.Server(**{option: value}).config()
    assert config[option] == expected


# --------------------------------------------------------------------------------------
# Error texts
# --------------------------------------------------------------------------------------

PORT = "an integer from 0 to 65535 (or -1 for a random port)"
SIZE = '(an integer or a string such as "64KB", "2MB", "1GB")'
DURATION = '(a number or a string such as "500ms", "2m", "1h30m")'


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": 70000}, f"port: must be {PORT}, not 70000"),
        ({"port": -2}, f"port: must be {PORT}, not -2"),
        ({"port": "abc"}, f"port: must be {PORT}, not 'abc'"),
        ({"port": 4222.0}, f"port: must be {PORT}, not 4222.0"),
        ({"port": True}, f"port: must be {PORT}, not True"),
        ({"http_port": "x"}, f"http_port: must be {PORT} or None, not 'x'"),
        ({"http_port": 65536}, f"http_port: must be {PORT} or None, not 65536"),
        ({"host": 1}, "host: must be a string, not 1"),
        ({"http_host": 1}, "http_host: must be a string or None, not 1"),
        ({"server_name": "a b"}, "server_name: must be a string without spaces, not 'a b'"),
        (
            {"max_payload": "2XB"},
            f"max_payload: must be a size from 1 to 2147483647 bytes {SIZE}, not '2XB'",
        ),
        (
            {"max_payload": 0},
            f"max_payload: must be a size from 1 to 2147483647 bytes {SIZE}, not 0",
        ),
        (
            {"max_payload": "3GB"},
            f"max_payload: must be a size from 1 to 2147483647 bytes {SIZE}, not '3GB'",
        ),
        (
            {"max_control_line": 1.5},
            f"max_control_line: must be a size from 1 to 2147483647 bytes {SIZE}, not 1.5",
        ),
        (
            {"max_pending": "-1MB"},
            f"max_pending: must be a size from 1 to 9223372036854775807 bytes {SIZE}, not '-1MB'",
        ),
        (
            {"ping_interval": "2x"},
            f"ping_interval: must be a positive duration in seconds {DURATION}, not '2x'",
        ),
        (
            {"ping_interval": 0},
            f"ping_interval: must be a positive duration in seconds {DURATION}, not 0",
        ),
        (
            {"write_deadline": "-1s"},
            f"write_deadline: must be a positive duration in seconds {DURATION}, not '-1s'",
        ),
        (
            {"shutdown_grace": -1},
            f"shutdown_grace: must be a non-negative duration in seconds {DURATION}, not -1",
        ),
        (
            {"shutdown_grace": float("inf")},
            f"shutdown_grace: must be a non-negative duration in seconds {DURATION}, not inf",
        ),
        ({"ping_max": -1}, "ping_max: must be an integer from 0 to 4294967295, not -1"),
        ({"max_connections": "10"}, "max_connections: must be a non-negative integer, not '10'"),
        ({"max_subscriptions": -1}, "max_subscriptions: must be a non-negative integer, not -1"),
        ({"worker_threads": 1.0}, "worker_threads: must be a non-negative integer, not 1.0"),
        ({"no_header_support": 1}, "no_header_support: must be True or False, not 1"),
        ({"disable_sublist_cache": "no"}, "disable_sublist_cache: must be True or False, not 'no'"),
        (
            {"authorization": "t"},
            "authorization: must be a dict (nats-server's authorization block) or None, not 't'",
        ),
        (
            {"tls": ["c.pem"]},
            "tls: must be a dict (cert_file, key_file, ca_file, verify, timeout, ...) or None, "
            "not ['c.pem']",
        ),
        # The engine's own checks name the option(s) and the rule too.
        (
            {"max_payload": 2000, "max_pending": 1000},
            "max_payload (2000) can not be higher than max_pending (1000)",
        ),
        ({"authorization": {"tokn": "t"}}, 'authorization: unknown key "tokn"'),
    ],
)
def test_error_texts(options, message):
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(**options)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


def test_a_busy_monitoring_port_is_a_bind_error_naming_it():
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = fastnats.Server(host=HOST, port=0, http_port=port)
        with pytest.raises(fastnats.BindError) as info:
            server.start()
    assert info.value.strerror.startswith(f"can not listen for monitoring on {HOST}:{port}: ")
    assert isinstance(info.value, OSError) and info.value.errno is not None
    assert not server.running  # the client listener is closed again


# --------------------------------------------------------------------------------------
# reload(**changes)
# --------------------------------------------------------------------------------------


def test_reload_of_one_option_keeps_the_others():
    with fastnats.Server(
        host=HOST, port=0, server_name="n1", max_payload=1000, authorization={"token": "t1"}
    ) as server:
        server.reload(authorization={"token": "t2"})
        config = server.config()
        assert config["host"] == HOST
        assert config["server_name"] == "n1"
        assert config["max_payload"] == 1000
        assert config["authorization"]["token"] == "t2"
        with connect((HOST, server.port), {"auth_token": "t2", "verbose": False}) as c:
            assert c.info is not None and c.info["max_payload"] == 1000
        server.reload(max_payload="2KB")
        config = server.config()
        assert config["max_payload"] == 2048
        assert config["authorization"]["token"] == "t2"  # the last reload's, kept
        server.reload(authorization=None)
        assert server.config()["authorization"]["token"] is None


def test_a_port_0_server_reloads_and_its_bound_port_is_unchanged():
    with fastnats.Server(host=HOST, port=0) as server:
        bound = server.port
        server.reload(ping_interval="1m")
        server.reload(port=bound, max_payload=4000)
        server.reload(port=0)
        server.reload(port=-1)
        assert server.port == bound
        assert server.config()["max_payload"] == 4000
        assert server.config()["ping_interval"] == 60.0
        other = bound + 1 if bound < 65535 else bound - 1
        refused = f"^config reload not supported for Port: old=0, new={other}$"
        with pytest.raises(fastnats.ConfigError, match=refused):
            server.reload(port=other)
        with pytest.raises(
            fastnats.ConfigError,
            match='^config reload not supported for Host: old="127.0.0.1", new="0.0.0.0"$',
        ):
            server.reload(host="0.0.0.0", max_payload=5000)
        assert server.config()["max_payload"] == 4000


def test_reload_checks_values_and_names_as_the_constructor():
    with fastnats.Server(host=HOST, port=0, max_payload=1000) as server:
        unexpected = r"^reload\(\) got an unexpected keyword argument 'max_payloads'$"
        with pytest.raises(TypeError, match=unexpected):
            server.reload(max_payloads=1)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="'auth'"):
            server.reload(auth=lambda info: True)  # type: ignore[call-arg]
        with pytest.raises(fastnats.ConfigError, match="^max_payload: must be a size"):
            server.reload(max_payload="lots")
        assert server.config()["max_payload"] == 1000
        server.reload(max_payload=2000)  # the failed reloads left nothing behind
        assert server.config()["max_payload"] == 2000


def test_reload_refuses_a_new_monitoring_port_and_keeps_the_bound_one():
    with fastnats.Server(host=HOST, port=0, http_port=0) as server:
        bound = server.http_port
        assert bound
        server.reload(http_port=bound, max_payload=3000)
        server.reload(http_port=0)
        with pytest.raises(
            fastnats.ConfigError, match="^config reload not supported for HTTPPort: old=0, new="
        ):
            server.reload(http_port=None)
        with pytest.raises(fastnats.ConfigError, match="HTTPHost: old=, new=localhost$"):
            server.reload(http_host="localhost")
        assert server.config()["max_payload"] == 3000


# --------------------------------------------------------------------------------------
# from_config
# --------------------------------------------------------------------------------------


def test_from_config_with_overrides(tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text(
        textwrap.dedent(
            """\
            host: 127.0.0.1
            port: 4333
            server_name: from-file
            max_payload: 64KB
            ping_interval: "2m"
            http_port: -1
            authorization { token: secret }
            """
        )
    )
    server = fastnats.Server.from_config(conf, port=0, max_payload="32KB", ping_max=5)
    config = server.config()
    assert config["host"] == HOST
    assert config["port"] == 0  # overridden
    assert config["server_name"] == "from-file"
    assert config["max_payload"] == 32 * 1024  # overridden
    assert config["ping_interval"] == 120.0
    assert config["ping_max"] == 5
    assert config["authorization"]["token"] == "secret"
    with server:
        assert server.http_port  # monitoring on a random port, from the file
        with connect((HOST, server.port), {"auth_token": "secret", "verbose": False}) as c:
            assert c.info is not None and c.info["max_payload"] == 32 * 1024
    assert fastnats.Server.from_config(str(conf)).config()["port"] == 4333


def test_from_config_errors_name_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("port: 4222\nmax_payloadz: 1\n")
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server.from_config(conf)
    assert str(info.value) == f'{conf}:2:1: unknown field "max_payloadz"'
    assert isinstance(info.value, FileConfigError)
    with pytest.raises(TypeError, match="ports"):
        fastnats.Server.from_config(tmp_path / "bad.conf", ports=1)  # type: ignore[call-arg]


def test_from_config_warns_as_the_command_line_logs(tmp_path):
    conf = tmp_path / "old.conf"
    conf.write_text("ping_interval: 60\n")
    with pytest.warns(UserWarning, match="ping_interval should be converted to a duration"):
        server = fastnats.Server.from_config(conf)
    assert server.config()["ping_interval"] == 60.0


def test_from_config_loads_the_auth_hook_the_file_names(tmp_path, monkeypatch):
    (tmp_path / "conf_hooks.py").write_text("def deny(info):\n    return False\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    conf = tmp_path / "hooked.conf"
    conf.write_text('auth_hook: "conf_hooks:deny"\n')
    with fastnats.Server.from_config(conf, host=HOST, port=0) as server:
        with connect((HOST, server.port), handshake=False) as c:
            c.send(b"CONNECT {}\r\nPING\r\n")
            assert c.read_line().startswith(b"-ERR 'Authorization Violation'")


# --------------------------------------------------------------------------------------
# The console script
# --------------------------------------------------------------------------------------


def test_the_console_script_finds_an_auth_hook_in_the_working_directory(tmp_path):
    # The script pip writes for `[project.scripts] fastnats = "fastnats.cli:main"`: run as
    # a file, so sys.path[0] is its directory, not the working directory.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "fastnats"
    script.write_text(
        f"#!{sys.executable}\n"
        "import re\nimport sys\nfrom fastnats.cli import main\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        "    sys.exit(main())\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "cwd_hook.py").write_text("def allow(info):\n    return True\n")
    (work / "server.conf").write_text("port: -1\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = PACKAGE_DIR
    done = subprocess.run(
        [sys.executable, str(script), "-t", "-c", "server.conf", "--auth_hook", "cwd_hook:allow"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "configuration file server.conf is valid" in done.stderr


def test_logtime_utc_help_and_readme_say_what_the_logger_does():
    # The native logger writes UTC always (fastnats.logs); nothing may promise local time.
    from fastnats.cli import USAGE

    line = next(line for line in USAGE.splitlines() if "--logtime_utc" in line)
    assert "always UTC" in line and "local" not in line
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    row = next(line for line in readme.splitlines() if "`--logtime_utc`" in line)
    assert "always UTC" in row
    assert "Log timestamps are UTC" in readme


# --------------------------------------------------------------------------------------
# cluster=
# --------------------------------------------------------------------------------------


def test_cluster_option_in_the_engines_units():
    config = fastnats.Server(
        cluster={
            "name": "c1",
            "host": HOST,
            "port": -1,
            "routes": ("nats-route://u:p@127.0.0.1:6222", "nats://127.0.0.1:6223"),
            "authorization": {"user": "u", "password": "p", "timeout": "500ms"},
            "ping_interval": "20s",
            "write_deadline": 2,
            "ping_max": 3,
            "no_advertise": True,
            "connect_retries": 5,
            "connect_backoff": True,
            "advertise": "h:6222",
            "pool_size": 3,
            "compression": False,
        }
    ).config()["cluster"]
    assert config == {
        "name": "c1",
        "host": HOST,
        "port": 0,
        "advertise": "h:6222",
        "routes": ["nats-route://u:p@127.0.0.1:6222", "nats://127.0.0.1:6223"],
        "no_advertise": True,
        "connect_retries": 5,
        "connect_backoff": True,
        "authorization": {"user": "u", "password": "p", "timeout": 0.5},
        "tls": None,
        "ping_interval": 20.0,
        "ping_max": 3,
        "write_deadline": 2.0,
        "pool_size": 3,
        "compression": "off",
    }
    assert fastnats.Server().config()["cluster"] is None
    assert fastnats.Server(cluster=None).config()["cluster"] is None
    assert fastnats.Server(cluster={}).config()["cluster"]["port"] == 6222


COMPRESSION = "compression mode {} is not supported by fastnats (routes are not compressed)"


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        (
            5,
            "cluster: must be None or a dict (name, host, port, routes, authorization, ...), not 5",
        ),
        ({"port": 70000}, f"cluster.port: must be {PORT}, not 70000"),
        ({"port": "6222"}, f"cluster.port: must be {PORT}, not '6222'"),
        (
            {"name": "a b"},
            "cluster.name: must be a string without spaces or line breaks, not 'a b'",
        ),
        ({"host": None}, "cluster.host: must be a string, not None"),
        (
            {"routes": "nats://h:1"},
            "cluster.routes: must be a list of route URLs (str), not 'nats://h:1'",
        ),
        ({"routes": [1]}, "cluster.routes: must be a list of route URLs (str), not [1]"),
        ({"no_advertise": 1}, "cluster.no_advertise: must be True or False, not 1"),
        (
            {"connect_retries": -1},
            "cluster.connect_retries: must be an integer from 0 to 4294967295, not -1",
        ),
        (
            {"ping_interval": "x"},
            f"cluster.ping_interval: must be a positive duration in seconds {DURATION}, not 'x'",
        ),
        (
            {"authorization": {"user": "u"}},
            "cluster.authorization.password: must be a string, not None",
        ),
        (
            {"authorization": {"user": "u", "password": "p", "timeout": -1}},
            f"cluster.authorization.timeout: must be a positive duration in seconds {DURATION}, "
            "not -1",
        ),
        (
            {"authorization": {"user": "u", "password": "p", "token": "t"}},
            'cluster.authorization: unknown key "token"',
        ),
        ({"compression": True}, "cluster.compression: " + COMPRESSION.format('"on"')),
        ({"compression": "s2_best"}, "cluster.compression: " + COMPRESSION.format('"s2_best"')),
        (
            {"compression": 0},
            'cluster.compression: must be False or a mode string ("off", "disabled", "accept"), '
            "not 0",
        ),
        (
            {"routes": ["nats-route://"]},
            'cluster.routes[0]: error parsing url "nats-route://": no host',
        ),
        ({"pool": 3}, 'cluster: unknown key "pool"'),
    ],
)
def test_cluster_error_texts(cluster, message):
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(cluster=cluster)
    assert str(info.value) == message


@pytest.mark.parametrize("mode", ["off", "OFF", "disabled", "accept"])
def test_cluster_compression_modes_that_mean_uncompressed(mode):
    assert fastnats.Server(cluster={"compression": mode}).config()["cluster"]["compression"] == mode


def test_from_config_reads_the_cluster_block(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(
        'cluster { name: c1, listen: "127.0.0.1:-1", routes: ["nats://127.0.0.1:1"] }\n'
    )
    cluster = fastnats.Server.from_config(conf).config()["cluster"]
    assert (cluster["name"], cluster["host"], cluster["port"]) == ("c1", HOST, 0)
    assert cluster["routes"] == ["nats://127.0.0.1:1"]


def test_cluster_tls_takes_the_tls_options_forms(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "c.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
    tls = {"cert_file": tmp_path / "c.pem", "key_file": tmp_path / "k.pem", "timeout": "1500ms"}
    config = fastnats.Server(cluster={"tls": tls}).config()["cluster"]["tls"]
    assert config["cert_file"] == str(tmp_path / "c.pem")
    assert config["timeout"] == 1.5


# --------------------------------------------------------------------------------------
# leafnodes=
# --------------------------------------------------------------------------------------

SEED = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"


def test_leafnodes_option_in_the_engines_units(tmp_path):
    config = fastnats.Server(
        accounts={"A": {"users": [{"user": "ua", "password": "pa"}]}},
        leafnodes={
            "host": HOST,
            "port": -1,
            "advertise": "h:7422",
            "no_advertise": True,
            "reconnect": "250ms",
            "authorization": {
                "timeout": "1s",
                "users": [
                    {"user": "a", "password": "pa", "account": "A"},
                    {"user": "b", "password": "pb"},
                ],
            },
            "compression": False,
            "remotes": [
                {
                    "urls": (" nats-leaf://u:p@127.0.0.1:7422", "nats://127.0.0.1:7423"),
                    "account": "A",
                    "credentials": tmp_path / "l.creds",
                    "deny_imports": ("a.>",),
                    "deny_exports": ["b.*"],
                    "hub": False,
                    "no_randomize": True,
                    "compression": "off",
                },
                {"urls": ["nats://127.0.0.1:7424"], "nkey": SEED, "hub": True},
            ],
        },
    ).config()["leafnodes"]
    assert config == {
        "host": HOST,
        "port": 0,
        "advertise": "h:7422",
        "no_advertise": True,
        "reconnect": 0.25,
        "authorization": {
            "user": None,
            "password": None,
            "account": None,
            "timeout": 1.0,
            "users": [
                {"user": "a", "password": "pa", "account": "A"},
                {"user": "b", "password": "pb", "account": None},
            ],
        },
        "tls": None,
        "compression": "off",
        "remotes": [
            {
                "urls": ["nats-leaf://u:p@127.0.0.1:7422", "nats://127.0.0.1:7423"],
                "account": "A",
                "credentials": str(tmp_path / "l.creds"),
                "nkey": None,
                "tls": None,
                "deny_imports": ["a.>"],
                "deny_exports": ["b.*"],
                "hub": False,
                "no_randomize": True,
            },
            {
                "urls": ["nats://127.0.0.1:7424"],
                "account": None,
                "credentials": None,
                "nkey": SEED,
                "tls": None,
                "deny_imports": [],
                "deny_exports": [],
                "hub": True,
                "no_randomize": False,
            },
        ],
    }
    assert fastnats.Server().config()["leafnodes"] is None
    assert fastnats.Server(leafnodes=None).config()["leafnodes"] is None
    leaf_only = fastnats.Server(leafnodes={"remotes": [{"urls": ["nats://h"]}]})
    assert leaf_only.config()["leafnodes"]["port"] is None
    assert leaf_only.leaf_port is None
    assert fastnats.Server(leafnodes={"port": None}).config()["leafnodes"]["port"] is None


LEAF_COMPRESSION = (
    "compression mode {} is not supported by fastnats (leaf connections are not compressed)"
)


@pytest.mark.parametrize(
    ("leafnodes", "message"),
    [
        (5, "leafnodes: must be None or a dict (host, port, authorization, remotes, ...), not 5"),
        ({"port": 70000}, f"leafnodes.port: must be {PORT}, not 70000"),
        ({"port": "7422"}, f"leafnodes.port: must be {PORT}, not '7422'"),
        ({"host": None}, "leafnodes.host: must be a string, not None"),
        ({"no_advertise": 1}, "leafnodes.no_advertise: must be True or False, not 1"),
        (
            {"reconnect": "x"},
            f"leafnodes.reconnect: must be a positive duration in seconds {DURATION}, not 'x'",
        ),
        (
            {"authorization": {"user": 1}},
            "leafnodes.authorization.user: must be a string, not 1",
        ),
        (
            {"authorization": {"users": [{"user": "u"}]}},
            "leafnodes.authorization.users[0].password: must be a string, not None",
        ),
        (
            {"authorization": {"users": {"user": "u"}}},
            "leafnodes.authorization.users: must be a list of dicts (user, password, account), "
            "not {'user': 'u'}",
        ),
        (
            {"authorization": {"user": "a", "users": [{"user": "b", "password": "c"}]}},
            "leafnodes.authorization: can not have a single user/pass and a users array",
        ),
        (
            {
                "authorization": {
                    "users": [{"user": "b", "password": "c"}, {"user": "b", "password": "d"}]
                }
            },
            'leafnodes.authorization: duplicate user "b" detected in leafnode authorization',
        ),
        ({"authorization": {"token": "t"}}, 'leafnodes.authorization: unknown key "token"'),
        ({"compression": True}, "leafnodes.compression: " + LEAF_COMPRESSION.format('"on"')),
        (
            {"compression": "s2_auto"},
            "leafnodes.compression: " + LEAF_COMPRESSION.format('"s2_auto"'),
        ),
        (
            {"compression": 0},
            'leafnodes.compression: must be False or a mode string ("off", "disabled", '
            '"accept"), not 0',
        ),
        (
            {"remotes": {"urls": ["nats://h"]}},
            "leafnodes.remotes: must be a list of dicts (urls, account, ...), "
            "not {'urls': ['nats://h']}",
        ),
        (
            {"remotes": ["nats://h"]},
            "leafnodes.remotes[0]: must be a dict (urls, account, credentials, nkey, tls, ...), "
            "not 'nats://h'",
        ),
        (
            {"remotes": [{"urls": "nats://h"}]},
            "leafnodes.remotes[0].urls: must be a list of URLs (str), not 'nats://h'",
        ),
        ({"remotes": [{"urls": []}]}, "leafnodes.remotes[0]: missing url"),
        ({"remotes": [{"url": "nats://h"}]}, 'leafnodes.remotes[0]: unknown key "url"'),
        (
            {"remotes": [{"urls": ["nats://"]}]},
            'leafnodes.remotes[0].urls[0]: error parsing url "nats://": no host',
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "nkey": "SUx"}]},
            "leafnodes.remotes[0].nkey: must be a user nkey seed (\"SU...\") or None, not 'SUx'",
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "nkey": SEED, "credentials": "/x.creds"}]},
            "leafnodes.remotes[0]: Remote leafnode can not have both creds and nkey defined",
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "credentials": 5}]},
            "leafnodes.remotes[0].credentials: must be a path (str or os.PathLike) or None, not 5",
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "deny_imports": "a"}]},
            "leafnodes.remotes[0].deny_imports: must be a list of subjects (str), not 'a'",
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "deny_exports": ["a..b"]}]},
            "leafnodes.remotes[0].deny_exports: must be a list of subjects (str), not ['a..b']",
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "hub": "yes"}]},
            "leafnodes.remotes[0].hub: must be True or False, not 'yes'",
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "compression": "s2_fast"}]},
            "leafnodes.remotes[0].compression: " + LEAF_COMPRESSION.format('"s2_fast"'),
        ),
        (
            {"remotes": [{"urls": ["nats://h"], "tls": {"verify": True}}]},
            'leafnodes.remotes[0].tls: unknown key "verify"',
        ),
        ({"pool": 3}, 'leafnodes: unknown key "pool"'),
    ],
)
def test_leafnodes_error_texts(leafnodes, message):
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(leafnodes=leafnodes)
    assert str(info.value) == message


@pytest.mark.parametrize("mode", ["off", "OFF", "disabled", "accept"])
def test_leafnodes_compression_modes_that_mean_uncompressed(mode):
    config = fastnats.Server(leafnodes={"compression": mode}).config()["leafnodes"]
    assert config["compression"] == mode


def test_from_config_reads_the_leafnodes_block(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(
        "accounts { A { users: [{user: a, password: a}] } }\n"
        'leafnodes { listen: "127.0.0.1:-1", authorization { user: l, password: p, account: A }\n'
        '  remotes: [ { url: "nats-leaf://127.0.0.1:1", account: A, deny_exports: x } ] }\n'
    )
    leafnodes = fastnats.Server.from_config(conf).config()["leafnodes"]
    assert (leafnodes["host"], leafnodes["port"]) == (HOST, 0)
    assert leafnodes["authorization"]["user"] == "l"
    assert leafnodes["authorization"]["account"] == "A"
    assert [(r["urls"], r["account"], r["deny_exports"]) for r in leafnodes["remotes"]] == [
        (["nats-leaf://127.0.0.1:1"], "A", ["x"])
    ]


def test_leafnodes_tls_takes_the_tls_options_forms(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "c.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    (tmp_path / "bad.pem").write_text("not a certificate")
    tls = {"cert_file": tmp_path / "c.pem", "key_file": tmp_path / "k.pem", "timeout": "1500ms"}
    fastnats.Server(host=HOST, port=0, leafnodes={"host": HOST, "port": 0, "tls": tls})
    remote = {"urls": ["nats://h:1"], "tls": {"ca_file": tmp_path / "ca.pem", "timeout": "250ms"}}
    fastnats.Server(host=HOST, port=0, leafnodes={"remotes": [remote]})
    half = {"urls": ["nats://h:1"], "tls": {"cert_file": tmp_path / "c.pem"}}
    with pytest.raises(fastnats.ConfigError, match="needs both cert_file and key_file"):
        fastnats.Server(leafnodes={"remotes": [half]})
    # the tls forms are checked first, as the top-level tls option's
    bad = {"urls": ["nats://h:1"], "tls": {"ca_file": tmp_path / "bad.pem"}}
    with pytest.raises(fastnats.ConfigError, match="no certificate found in CA file"):
        fastnats.Server(leafnodes={"remotes": [bad]})
    with pytest.raises(fastnats.ConfigError, match="tls.timeout: time: invalid duration"):
        fastnats.Server(leafnodes={"remotes": [{"urls": ["nats://h:1"], "tls": {"timeout": "x"}}]})


def test_leafnodes_reload_refuses_a_change_and_takes_the_same():
    leafnodes = {"remotes": [{"urls": ["nats-leaf://127.0.0.1:1"]}]}
    with fastnats.Server(host=HOST, port=0, leafnodes=leafnodes) as server:
        with pytest.raises(fastnats.ConfigError, match="config reload not supported for LeafNode"):
            server.reload(leafnodes={"remotes": [{"urls": ["nats-leaf://127.0.0.1:2"]}]})
        server.reload(leafnodes=leafnodes, max_payload="2MB")
        assert server.config()["max_payload"] == 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("leafnodes", "where"),
    [
        ({"port": -1, "authorization": {"account": "NOPE"}}, "authorization"),
        (
            {
                "port": -1,
                "authorization": {"users": [{"user": "u", "password": "p", "account": "NOPE"}]},
            },
            "authorization",
        ),
        ({"remotes": [{"urls": ["nats://127.0.0.1:1"], "account": "NOPE"}]}, "remote"),
    ],
)
def test_leafnodes_name_accounts_that_exist(leafnodes, where):
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(leafnodes=leafnodes)
    assert str(info.value) == f'cannot find local account "NOPE" specified in leafnode {where}'
    known = {"A": {"users": [{"user": "a", "password": "a"}]}}
    fastnats.Server(accounts={"NOPE": known["A"]}, leafnodes=leafnodes)
    remote = {"urls": ["nats://127.0.0.1:1"]}
    for account, options in (
        ("$G", {}),
        ("$SYS", {}),
        ("A", {"accounts": known}),
        ("S", {"accounts": {**known, "S": {}}, "system_account": "S"}),
    ):
        fastnats.Server(leafnodes={"remotes": [{**remote, "account": account}]}, **options)
    with pytest.raises(fastnats.ConfigError, match='account "\\$SYS" specified in leafnode'):
        fastnats.Server(
            no_system_account=True, leafnodes={"remotes": [{**remote, "account": "$SYS"}]}
        )


# --------------------------------------------------------------------------------------
# websocket=
# --------------------------------------------------------------------------------------


def test_websocket_option_in_the_engines_units():
    config = fastnats.Server(
        authorization={"users": [{"user": "guest", "password": "g"}]},
        websocket={
            "host": HOST,
            "port": -1,
            "advertise": "ws.example.com:443",
            "no_tls": True,
            "same_origin": True,
            "allowed_origins": ("https://a.example.com",),
            "handshake_timeout": "1500ms",
            "compression": True,
            "authorization": {"timeout": "2s"},
            "no_auth_user": "guest",
            "user_cookie": "u",
            "pass_cookie": "p",
            "token_cookie": "t",
            "headers": {"X-A": "b"},
            "ping_interval": "30s",
        },
    ).config()["websocket"]
    assert config == {
        "host": HOST,
        "port": 0,
        "advertise": "ws.example.com:443",
        "no_tls": True,
        "tls": None,
        "same_origin": True,
        "allowed_origins": ["https://a.example.com"],
        "handshake_timeout": 1.5,
        "compression": True,
        "authorization": {"user": None, "password": None, "token": None, "timeout": 2.0},
        "no_auth_user": "guest",
        "jwt_cookie": None,
        "user_cookie": "u",
        "pass_cookie": "p",
        "token_cookie": "t",
        "headers": {"X-A": "b"},
        "ping_interval": 30.0,
    }
    assert fastnats.Server().config()["websocket"] is None
    assert fastnats.Server(websocket=None).config()["websocket"] is None
    server = fastnats.Server(websocket=None)
    assert server.ws_port is None and server.ws_url is None


def test_ws_port_and_ws_url_once_running():
    with fastnats.Server(host=HOST, port=0, websocket={"port": 0, "no_tls": True}) as server:
        assert server.ws_port not in (None, 0, server.port)
        assert server.ws_url == f"ws://127.0.0.1:{server.ws_port}"
        socket.create_connection((HOST, server.ws_port), timeout=5).close()


def test_websocket_is_not_reloadable():
    with fastnats.Server(host=HOST, port=0, websocket={"port": 0, "no_tls": True}) as server:
        with pytest.raises(fastnats.ConfigError) as info:
            server.reload(websocket={"port": 0, "no_tls": True, "compression": True})
        assert "config reload not supported for Websocket" in str(info.value)
        server.reload(max_payload="2MB")  # the unchanged block is no change


@pytest.mark.parametrize(
    ("websocket", "message"),
    [
        (5, "websocket: must be None or a dict (host, port, no_tls, tls, ...), not 5"),
        ({"port": 70000}, f"websocket.port: must be {PORT}, not 70000"),
        ({"host": None}, "websocket.host: must be a string, not None"),
        ({"no_tls": 1}, "websocket.no_tls: must be True or False, not 1"),
        ({"advertise": 5}, "websocket.advertise: must be a string or None, not 5"),
        (
            {"allowed_origins": "https://a"},
            "websocket.allowed_origins: must be a list of origins (str), not 'https://a'",
        ),
        (
            {"handshake_timeout": "x"},
            "websocket.handshake_timeout: must be a non-negative duration in seconds "
            f"{DURATION}, not 'x'",
        ),
        (
            {"ping_interval": 0},
            f"websocket.ping_interval: must be a positive duration in seconds {DURATION}, not 0",
        ),
        (
            {"headers": {"X-A": 1}},
            "websocket.headers: must be a dict of header name (str) -> value (str), "
            "not {'X-A': 1}",
        ),
        (
            {"authorization": {"user": 1}},
            "websocket.authorization.user: must be a string or None, not 1",
        ),
        (
            {"authorization": {"timeout": -1}},
            f"websocket.authorization.timeout: must be a positive duration in seconds {DURATION}, "
            "not -1",
        ),
    ],
)
def test_websocket_error_texts(websocket, message):
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(websocket=websocket)
    assert str(info.value) == message
