"""Parsed config -> fastnats options: each key, its aliases, nats-server's defaults and
special values, and the errors for unsupported and unknown keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastnats.conf import ConfigError, ServerConfig, config_from_dict, load_config, loads
from fastnats.conf.options import KNOWN_KEYS, UNSUPPORTED

MiB = 1024 * 1024


def conf(text: str) -> ServerConfig:
    return config_from_dict(loads(text, "f.conf", env={}))


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        conf(text)
    return info.value


SERVER: list[tuple[str, dict[str, Any]]] = [
    # address
    ("listen: 127.0.0.1:4333", {"host": "127.0.0.1", "port": 4333}),
    ("listen: :4333", {"port": 4333}),
    ("listen: 4333", {"port": 4333}),
    ("listen: localhost:4333", {"host": "localhost", "port": 4333}),
    ('listen: "[::1]:4333"', {"host": "::1", "port": 4333}),
    ("listen: 0.0.0.0:-1", {"host": "0.0.0.0", "port": 0}),
    ("host: 127.0.0.1", {"host": "127.0.0.1"}),
    ("net: 127.0.0.1", {"host": "127.0.0.1"}),
    ('host: "::"', {"host": "::"}),
    ('host: ""', {}),  # empty means the default
    ("port: 4333", {"port": 4333}),
    ("port: -1", {"port": 0}),  # random, as on the command line
    ("port: 0", {}),  # nats-server's default port
    ("host: 10.0.0.1\nlisten: :4333", {"port": 4333}),  # listen's empty host resets it
    ("listen: 10.0.0.1:1\nport: 2", {"host": "10.0.0.1", "port": 2}),  # the later key wins
    # name
    ("server_name: n1", {"server_name": "n1"}),
    ('server_name: ""', {}),
    # sizes
    ("max_payload: 2MB", {"max_payload": 2 * MiB}),
    ("max_payload: 65536", {"max_payload": 65536}),
    ("max_payload: 0", {}),
    ("max_control_line: 8KB", {"max_control_line": 8192}),
    ("max_control_line: 0", {}),
    ("max_pending: 128MB", {"max_pending": 128 * MiB}),
    ("max_pending: 0", {}),
    # limits
    ("max_connections: 100", {"max_connections": 100}),
    ("max_conn: 100", {"max_connections": 100}),
    ("max_connections: 0", {"max_connections": 0}),  # reject everyone
    ("max_conn: -1", {"max_connections": 0}),
    ("max_subscriptions: 10", {"max_subscriptions": 10}),
    ("max_subs: 10", {"max_subscriptions": 10}),
    ("max_subs: 0", {"max_subscriptions": 0}),
    # keep-alive and writes
    ('ping_interval: "30s"', {"ping_interval": 30.0}),
    ('ping_interval: "2m"', {"ping_interval": 120.0}),
    ('ping_interval: "1h30m"', {"ping_interval": 5400.0}),
    ("ping_interval: 500ms", {"ping_interval": 0.5}),  # bare works too: 500ms is a string
    ('ping_interval: "0s"', {}),
    ("ping_max: 5", {"ping_max": 5}),
    ("ping_max: 0", {}),
    ('write_deadline: "10s"', {"write_deadline": 10.0}),
    ('write_deadline: "1.5s"', {"write_deadline": 1.5}),
    # flags
    ("no_header_support: true", {"no_header_support": True}),
    ("disable_sublist_cache: true", {"disable_sublist_cache": True}),
    ("no_sublist_cache: yes", {"disable_sublist_cache": True}),
    # keys are case-insensitive
    ("PORT: 4333\nMax_Payload: 1KB", {"port": 4333, "max_payload": 1024}),
]


@pytest.mark.parametrize(("text", "server"), SERVER, ids=lambda v: repr(v))
def test_server_options(text: str, server: dict[str, Any]) -> None:
    got = conf(text)
    assert got.server == server
    assert got.warnings == []


def test_server_options_are_fastnats_server_keywords() -> None:
    import fastnats

    known = set(fastnats.default_config())
    for _, server in SERVER:
        assert set(server) <= known


def test_max_connections_zero_is_noted() -> None:
    got = conf("max_conn: 0")
    assert got.notes == ["f.conf:1:1: max_conn is 0: every client connection will be rejected"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("ping_interval: 30", 30.0), ("write_deadline: 2", 2.0)]
)
def test_integer_durations_are_seconds_with_a_warning(text: str, seconds: float) -> None:
    got = conf(text)
    key = text.split(":")[0]
    assert got.server == {key: seconds}
    assert got.warnings == [
        f'f.conf:1:1: invalid use of field "{key}": {key} should be converted to a duration '
        f'(read as {int(seconds)} seconds; write "{int(seconds)}s")'
    ]


LOGGING: list[tuple[str, dict[str, Any]]] = [
    ("debug: true", {"debug": True}),
    ("trace: on", {"trace": True}),
    ("trace_verbose: true", {"trace_verbose": True, "trace": True}),
    ("trace_headers: true", {"trace_headers": True}),
    ("logtime: false", {"logtime": False}),
    ("logtime_utc: true", {"logtime_utc": True}),
    ("logfile: /tmp/n.log", {"logfile": "/tmp/n.log"}),
    ('log_file: "/tmp/n.log"', {"logfile": "/tmp/n.log"}),
    ("logfile_size_limit: 10MB", {"logfile_size_limit": 10 * MiB}),
    ("log_size_limit: 1k", {"logfile_size_limit": 1000}),
    ("logfile_max_num: 3", {"logfile_max_num": 3}),
    ("log_max_num: 3", {"logfile_max_num": 3}),
    ("syslog: true", {"syslog": True}),
    ('remote_syslog: "udp://127.0.0.1:514"', {"remote_syslog": "udp://127.0.0.1:514"}),
    ("max_traced_msg_len: 128", {"max_traced_msg_len": 128}),
]


@pytest.mark.parametrize(("text", "logging"), LOGGING, ids=lambda v: repr(v))
def test_logging_options(text: str, logging: dict[str, Any]) -> None:
    got = conf(text)
    assert (got.server, got.logging, got.misc) == ({}, logging, {})


MISC: list[tuple[str, dict[str, Any]]] = [
    ("pid_file: /tmp/n.pid", {"pid_file": "/tmp/n.pid"}),
    ("pidfile: /tmp/n.pid", {"pid_file": "/tmp/n.pid"}),
    ("ports_file_dir: /tmp", {"ports_file_dir": "/tmp"}),
    ("http: 8222", {"http_port": 8222}),
    ("http: 127.0.0.1:8222", {"http_host": "127.0.0.1", "http_port": 8222}),
    ("https: 127.0.0.1:8443", {"http_host": "127.0.0.1", "https_port": 8443}),
    ("http_port: 8222", {"http_port": 8222}),
    ("monitor_port: 8222", {"http_port": 8222}),
    ("https_port: 8443", {"https_port": 8443}),
    ("http_base_path: /nats", {"http_base_path": "/nats"}),
    ('lame_duck_duration: "2m"', {"lame_duck_duration": 120.0}),
    ('lame_duck_duration: "30s"', {"lame_duck_duration": 30.0}),
    ('lame_duck_grace_period: "10s"', {"lame_duck_grace_period": 10.0}),
    ('lame_duck_grace_period: "0s"', {"lame_duck_grace_period": 0.0}),
    ("client_advertise: example.com:4222", {"client_advertise": "example.com:4222"}),
    ("server_tags: az1", {"server_tags": ["az1"]}),
    ('server_tags: ["az:1", "region:eu"]', {"server_tags": ["az:1", "region:eu"]}),
    (
        'server_metadata: {team: core, "env": prod}',
        {"server_metadata": {"team": "core", "env": "prod"}},
    ),
    ("write_timeout: close", {"write_timeout": "close"}),
    ("write_timeout: Default", {"write_timeout": "default"}),
    ("max_closed_clients: 100", {"max_closed_clients": 100}),
    ("connect_error_reports: 10", {"connect_error_reports": 10}),
    ("reconnect_error_reports: 10", {"reconnect_error_reports": 10}),
    ("no_fast_producer_stall: true", {"no_fast_producer_stall": True}),
]


@pytest.mark.parametrize(("text", "misc"), MISC, ids=lambda v: repr(v))
def test_misc_options(text: str, misc: dict[str, Any]) -> None:
    got = conf(text)
    assert (got.server, got.logging, got.misc) == ({}, {}, misc)


def test_ignored_keys_are_kept_and_noted() -> None:
    got = conf("prof_port: 6060")
    assert got.misc == {"prof_port": 6060}
    assert got.notes == ["f.conf:1:1: prof_port is ignored by fastnats"]


@pytest.mark.parametrize("key", sorted(UNSUPPORTED))
def test_unsupported_keys(key: str) -> None:
    e = error_of(f"port: 1\n{key}: {{}}\n")
    assert str(e) == f'f.conf:2:1: "{key}" is not supported by fastnats ({UNSUPPORTED[key]})'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gateway {\n  port: 7222\n}", '"gateway" is not supported by fastnats (gateways)'),
        ("MQTT { }", '"MQTT" is not supported by fastnats (MQTT)'),
        (
            "default_js_domain { A: hub }",
            '"default_js_domain" is not supported by fastnats (JetStream domains for accounts)',
        ),
        (
            "max_sub_tokens: 10",
            '"max_sub_tokens" is not supported by fastnats (subject token limit)',
        ),
        (
            "write_timeout: retry",
            '"write_timeout: retry" is not supported by fastnats (slow clients are closed)',
        ),
    ],
)
def test_unsupported_values(text: str, message: str) -> None:
    assert str(error_of(text)) == f"f.conf:1:1: {message}"


@pytest.mark.parametrize("text", ["jetstream: false", "jetstream: disabled", "proxy_protocol: off"])
def test_switching_an_unsupported_feature_off_is_fine(text: str) -> None:
    got = conf(text)
    assert (got.server, got.logging, got.misc, got.warnings) == ({}, {}, {}, [])


def test_unknown_keys() -> None:
    assert str(error_of("port: 1\n\n  prot: 2")) == 'f.conf:3:3: unknown field "prot"'
    assert str(error_of('"weird key": 2')) == 'f.conf:1:1: unknown field "weird key"'


def test_keys_only_used_as_variables_are_not_unknown() -> None:
    got = conf("PORT_NUMBER: 4333\nport: $PORT_NUMBER\n")
    assert got.server == {"port": 4333}
    assert str(error_of("PORT_NUMBER: 4333\nUNUSED: 1\nport: $PORT_NUMBER")) == (
        'f.conf:2:1: unknown field "UNUSED"'
    )
    # a known key referenced as a variable is still applied
    assert conf("port: 4333\nlisten: $port").server == {"port": 4333}


TYPE_ERRORS: list[tuple[str, str]] = [
    ("port: x", 'invalid value for "port": expected an integer, got string "x"'),
    ("port: 4222#c", 'invalid value for "port": expected an integer, got string "4222#c"'),
    ('port: "4222"', 'invalid value for "port": expected an integer, got string "4222"'),
    ("port: 1.5", 'invalid value for "port": expected an integer, got float 1.5'),
    ("port: true", 'invalid value for "port": expected an integer, got boolean true'),
    ("port: [1]", 'invalid value for "port": expected an integer, got an array'),
    ("port: 70000", "invalid port 70000: must be 0..65535, or -1"),
    ("port: -2", "invalid port -2: must be 0..65535, or -1"),
    ("listen: 127.0.0.1", 'could not parse address string "127.0.0.1"'),
    ("listen: localhost", 'could not parse address string "localhost"'),
    ('listen: "h:x"', 'could not parse port "x"'),
    ('listen: "h:1_0"', 'could not parse port "1_0"'),  # strconv.Atoi: decimal digits only
    (
        'listen: "h:99999999999999999999"',  # out of int64's range: Atoi fails
        'could not parse port "99999999999999999999"',
    ),
    ("listen: {a: 1}", "expected port or host:port, got a map"),
    ("listen: 127.0.0.1:99999", "invalid port 99999: must be 0..65535, or -1"),
    ("host: 1", 'invalid value for "host": expected a string, got integer 1'),
    ('server_name: "a b"', "server name cannot contain spaces"),
    (
        'debug: "true"',
        'invalid value for "debug": expected a boolean (true/false), got string "true"',
    ),
    ("max_payload: 3GB", "max_payload value is too big"),
    ("max_control_line: 4GB", "max_control_line value is too big"),
    ("max_payload: -1", 'invalid value for "max_payload": -1 is negative'),
    ("max_pending: -1", 'invalid value for "max_pending": -1 is negative'),
    ("max_subs: -1", 'invalid value for "max_subs": -1 is negative'),
    ("ping_max: -1", 'invalid value for "ping_max": -1 is negative'),
    ("max_payload: 1.5", 'invalid value for "max_payload": expected an integer, got float 1.5'),
    ('ping_interval: "5"', 'error parsing ping_interval: time: missing unit in duration "5"'),
    ('ping_interval: "1d"', 'error parsing ping_interval: time: unknown unit "d" in duration "1d"'),
    ("ping_interval: abc", 'error parsing ping_interval: time: invalid duration "abc"'),
    ('write_deadline: "-1s"', 'invalid value for "write_deadline": negative duration "-1s"'),
    (
        "ping_interval: 1.5",
        'invalid value for "ping_interval": expected a duration like "2m" or "10s", got float 1.5',
    ),
    (
        "lame_duck_duration: 60",
        'invalid value for "lame_duck_duration": expected a duration '
        'string like "2m" or "30s", got integer 60',
    ),
    ('lame_duck_duration: "10s"', "invalid lame_duck_duration of 10s, minimum is 30 seconds"),
    (
        'lame_duck_duration: "1x"',
        'error parsing lame_duck_duration: time: unknown unit "x" in duration "1x"',
    ),
    ('lame_duck_grace_period: "-1s"', "invalid lame_duck_grace_period, needs to be positive"),
    ("write_timeout: sometimes", "write_timeout must be 'default', 'close' or 'retry'"),
    (
        "server_tags: [1, 2]",
        'invalid value for "server_tags": expected a string or an array of strings, got an array',
    ),
    (
        "server_metadata: x",
        'invalid value for "server_metadata": expected a map of strings, got string "x"',
    ),
    ("http: true", "expected port or host:port, got boolean true"),
]


@pytest.mark.parametrize(("text", "message"), TYPE_ERRORS, ids=lambda v: repr(v))
def test_invalid_values(text: str, message: str) -> None:
    assert str(error_of(text)) == f"f.conf:1:1: {message}"


def test_all_errors_are_collected() -> None:
    e = error_of("port: x\ngateway {}\nnope: 1\nmax_payload: 1MB\ndebug: 3\n")
    assert [str(x) for x in e.errors] == [
        'f.conf:1:1: invalid value for "port": expected an integer, got string "x"',
        'f.conf:2:1: "gateway" is not supported by fastnats (gateways)',
        'f.conf:3:1: unknown field "nope"',
        'f.conf:5:1: invalid value for "debug": expected a boolean (true/false), got integer 3',
    ]
    assert str(e) == str(e.errors[0])


def test_plain_dicts_work_without_positions() -> None:
    got = config_from_dict({"port": 4333, "debug": True})
    assert (got.server, got.logging) == ({"port": 4333}, {"debug": True})
    with pytest.raises(ConfigError) as info:
        config_from_dict({"nope": 1})
    assert str(info.value) == 'unknown field "nope"'
    with pytest.raises(ConfigError) as info:
        config_from_dict({"nope": 1}, source="x.conf")
    assert str(info.value) == 'x.conf: unknown field "nope"'


def test_load_config(tmp_path: Path) -> None:
    path = tmp_path / "n.conf"
    path.write_text("# fastnats\nlisten: 127.0.0.1:4333\ndebug: true\nhttp_port: 8222\n")
    got = load_config(path)
    assert got.server == {"host": "127.0.0.1", "port": 4333}
    assert got.logging == {"debug": True}
    assert got.misc == {"http_port": 8222}
    assert got.source == str(path)

    path.write_text("port: 1\nbogus: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f'{path}:2:1: unknown field "bogus"'


@pytest.mark.parametrize("text", ["", "# nothing\n", "{}"])
def test_an_empty_config_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.conf"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: config has no values or is empty"


def test_known_keys_cover_nats_server_top_level_keys() -> None:
    # The main top-level keys listed in the reference's config section.
    listed = (
        "listen host net port server_name client_advertise http http_port monitor_port https "
        "https_port http_base_path authorization accounts no_auth_user system_account "
        "no_system_account operator resolver resolver_preload resolver_tls trusted trusted_keys "
        "tls allow_non_tls max_connections max_subscriptions max_sub_tokens max_payload "
        "max_pending max_control_line ping_interval ping_max write_deadline write_timeout "
        "lame_duck_duration lame_duck_grace_period debug trace logtime logfile syslog "
        "remote_syslog pid_file ports_file_dir cluster gateway leafnodes websocket mqtt "
        "jetstream store_dir mappings server_tags server_metadata no_header_support "
        "disable_sublist_cache max_closed_clients proxy_protocol no_fast_producer_stall "
        "default_js_domain ocsp ocsp_cache connect_error_reports reconnect_error_reports "
        "max_traced_msg_len feature_flags proxies"
    ).split()
    assert set(listed) <= KNOWN_KEYS
