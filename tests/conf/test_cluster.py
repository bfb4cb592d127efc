"""The ``cluster { }`` block -> the engine's ``cluster`` option: forms, nats-server's
messages, what fastnats declines, and the same files through ``nats-server -t``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastnats import _fastnats
from fastnats.conf import ConfigError, ServerConfig, config_from_dict, loads
from fastnats.conf.cluster import UNSUPPORTED_CLUSTER
from fastnats.gocompat import split_host_port, url_parse

from tests.conftest import reference_server


def conf(text: str) -> ServerConfig:
    return config_from_dict(loads(text, "f.conf", env={}))


def cluster_of(text: str) -> dict[str, Any]:
    return conf(text).server["cluster"]


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        conf(text)
    return [x.message for x in info.value.errors]


FORMS: list[tuple[str, dict[str, Any]]] = [
    ("cluster { port: 6333 }", {"port": 6333}),
    ("cluster { port: -1 }", {"port": 0}),
    ("cluster { listen: 6333 }", {"port": 6333}),
    ('cluster { listen: ":6333" }', {"port": 6333}),
    ('cluster { listen: "127.0.0.1:6333" }', {"host": "127.0.0.1", "port": 6333}),
    ('cluster { listen: "[::1]:-1" }', {"host": "::1", "port": 0}),
    # nats-server: a bare port in listen clears a host given before it
    ("cluster { host: 10.0.0.1, listen: 6333 }", {"port": 6333}),
    ("cluster { listen: 6333, net: 10.0.0.1 }", {"host": "10.0.0.1", "port": 6333}),
    ("CLUSTER { Name: c1, PORT: 6333 }", {"name": "c1", "port": 6333}),
    (
        'cluster { port: 6333, routes: ["nats-route://u:p@h1:6222", " nats://h2:6222 ", h3] }',
        {"port": 6333, "routes": ["nats-route://u:p@h1:6222", "nats://h2:6222", "h3"]},
    ),
    ('cluster { port: 6333, advertise: "h:1" }', {"port": 6333, "advertise": "h:1"}),
    ('cluster { port: 6333, cluster_advertise: "h:1" }', {"port": 6333, "advertise": "h:1"}),
    (
        "cluster { port: 6333, no_advertise: true, connect_retries: 3, connect_backoff: true }",
        {"port": 6333, "no_advertise": True, "connect_retries": 3, "connect_backoff": True},
    ),
    (
        "cluster { port: 6333, authorization { user: ru, password: rp, timeout: 0.5 } }",
        {"port": 6333, "authorization": {"user": "ru", "password": "rp", "timeout": 0.5}},
    ),
    (
        'cluster { port: 6333, authorization { username: ru, pass: rp, timeout: "3s" } }',
        {"port": 6333, "authorization": {"user": "ru", "password": "rp", "timeout": 3.0}},
    ),
    (
        "cluster { port: 6333, authorization { user: ru } }",
        {"port": 6333, "authorization": {"user": "ru", "password": ""}},
    ),
    (
        'cluster { port: 6333, ping_interval: "20s", ping_max: 3, write_deadline: "5s" }',
        {"port": 6333, "ping_interval": 20.0, "ping_max": 3, "write_deadline": 5.0},
    ),
    ('cluster { port: 6333, ping_interval: "0s", ping_max: 0 }', {"port": 6333}),
    ("cluster { port: 6333, pool_size: -1 }", {"port": 6333, "pool_size": -1}),
    ("cluster { port: 6333, compression: off }", {"port": 6333, "compression": "off"}),
    ("cluster { port: 6333, compression: false }", {"port": 6333, "compression": "off"}),
    ("cluster { port: 6333, compression: accept }", {"port": 6333, "compression": "accept"}),
    (
        'cluster { port: 6333, compression: { mode: disabled, rtt_thresholds: ["10ms"] } }',
        {"port": 6333, "compression": "disabled"},
    ),
    # modes are the engine's to check (as nats-server's -t, which accepts any string)
    ("cluster { port: 6333, compression: s2_fast }", {"port": 6333, "compression": "s2_fast"}),
    ("cluster { port: 6333, compression: true }", {"port": 6333, "compression": "on"}),
    (
        "cluster { port: 6333, tls { cert_file: c.pem, key_file: k.pem, verify: false } }",
        {"port": 6333, "tls": {"cert_file": "c.pem", "key_file": "k.pem", "verify": False}},
    ),
    ("R: 6333\ncluster { port: $R }", {"port": 6333}),
    ("cluster { port: 1 }\ncluster { port: 6333 }", {"port": 6333}),  # the last block wins
]


@pytest.mark.parametrize(("text", "cluster"), FORMS, ids=lambda v: repr(v))
def test_forms(text: str, cluster: dict[str, Any]) -> None:
    assert cluster_of(text) == cluster


def test_the_engine_takes_every_form_it_does_not_refuse_by_mode() -> None:
    for text, cluster in FORMS:
        if cluster.get("compression") in ("on", "s2_fast") or "tls" in cluster:
            continue
        native = _fastnats.NativeServer({"cluster": cluster}).config()["cluster"]
        assert native["port"] == cluster["port"], text
        assert native["routes"] == cluster.get("routes", []), text


@pytest.mark.parametrize("mode", ["true", "s2_fast", "best", "auto", '"not supported"'])
def test_compression_modes_are_refused_by_the_engine_with_one_message(mode: str) -> None:
    cluster = cluster_of(f"cluster {{ port: 6333, compression: {mode} }}")
    with pytest.raises(ValueError) as info:
        _fastnats.NativeServer({"cluster": cluster})
    shown = cluster["compression"]
    assert str(info.value) == (
        f'cluster.compression: compression mode "{shown}" is not supported by fastnats '
        "(routes are not compressed)"
    )


def test_a_block_without_a_port_does_not_cluster_and_says_so() -> None:
    cfg = conf('cluster { name: c1, routes: ["nats://h:6222"] }')
    assert "cluster" not in cfg.server
    assert cfg.misc["cluster"] == {"name": "c1", "routes": ["nats://h:6222"]}
    assert cfg.notes == [
        "f.conf:1:1: the cluster block has no port: no clustering (as in nats-server; "
        "--cluster gives one)"
    ]
    assert "cluster" not in conf("cluster { port: 0 }").server


def test_a_long_route_ping_interval_is_cut_to_30s_with_nats_servers_warning() -> None:
    cfg = conf('cluster { port: 6333, ping_interval: "2m" }')
    assert cfg.server["cluster"]["ping_interval"] == 30.0
    assert cfg.warnings == [
        "f.conf:1:23: Cluster 'ping_interval' will reset to 30s which is the max for routes"
    ]


def test_integer_durations_are_seconds_with_a_warning() -> None:
    cfg = conf("cluster { port: 6333, write_deadline: 3 }")
    assert cfg.server["cluster"]["write_deadline"] == 3.0
    assert cfg.warnings[0].startswith(
        'f.conf:1:23: invalid use of field "write_deadline": write_deadline should be '
        "converted to a duration"
    )


def test_a_duplicate_route_is_a_warning_and_dropped() -> None:
    cfg = conf('cluster { port: 6333, routes: ["nats://h:1", "nats://h:1"] }')
    assert cfg.server["cluster"]["routes"] == ["nats://h:1"]
    assert cfg.warnings == [
        'f.conf:1:46: invalid use of field "nats://h:1": Duplicate route entry detected'
    ]


def test_a_positive_pool_size_is_noted_as_unused() -> None:
    cfg = conf("cluster { port: 6333, pool_size: 3 }")
    assert cfg.server["cluster"]["pool_size"] == 3
    assert cfg.notes == [
        "f.conf:1:1: cluster pool_size 3 is not used: fastnats opens one route per peer "
        "(peers see a server without route pooling)"
    ]


ERRORS: list[tuple[str, str]] = [
    ("cluster: 6333", "Expected map to define cluster, got int64"),
    ('cluster { name: "a b", port: 1 }', "cluster name cannot contain spaces"),
    ("cluster { name: 5 }", 'invalid value for "name": expected a string, got int64'),
    ('cluster { listen: "x" }', 'could not parse address string "x"'),
    ('cluster { listen: "h:x" }', 'could not parse port "x"'),
    ("cluster { listen: [1] }", "expected port or host:port, got []interface {}"),
    ('cluster { port: "1" }', 'invalid value for "port": expected an integer, got string'),
    ("cluster { port: 70000 }", 'invalid value for "port": 70000 is not in -1..65535'),
    ('cluster { listen: "h:70000" }', "invalid port 70000: must be 0..65535, or -1"),
    (
        'cluster { routes: "nats://h:1" }',
        'invalid value for "routes": expected an array of route URLs, got string',
    ),
    ('cluster { routes: ["127.0.0.1:6222"] }', 'error parsing route url ["127.0.0.1:6222"]'),
    ('cluster { routes: ["nats://[::1"] }', 'error parsing route url ["nats://[::1"]'),
    ('cluster { routes: ["nats://h:x"] }', 'error parsing route url ["nats://h:x"]'),
    ('cluster { routes: ["nats://h%zz:1"] }', 'error parsing route url ["nats://h%zz:1"]'),
    (
        "cluster { authorization { users: [{user: a, password: b}] } }",
        "Cluster authorization does not allow multiple users",
    ),
    ("cluster { authorization { token: t } }", "Cluster authorization does not support tokens"),
    ("cluster { authorization { user: a, nope: 1 } }", 'unknown field "nope"'),
    (
        "cluster { authorization { user: a, permissions { publish: x } } }",
        '"permissions" in cluster authorization is not supported by fastnats '
        "(import and export permissions on routes)",
    ),
    (
        "cluster { authorization: 1 }",
        'invalid value for "authorization": expected a map, got int64',
    ),
    ("cluster { tls { cert_file: c.pem } }", "missing 'key_file' in TLS configuration"),
    (
        "cluster { no_advertise: yes_please }",
        'invalid value for "no_advertise": expected a boolean',
    ),
    ("cluster { connect_retries: -1 }", 'invalid value for "connect_retries": -1 is not in'),
    ('cluster { ping_interval: "x" }', 'error parsing ping_interval: time: invalid duration "x"'),
    ('cluster { write_deadline: "-1s" }', 'invalid value for "write_deadline": negative duration'),
    ("cluster { pool_size: x }", 'invalid value for "pool_size": expected an integer, got string'),
    (
        "cluster { compression: 1 }",
        'field "compression" should be a boolean or a structure, got int64',
    ),
    ("cluster { compression { mode: accept, level: 3 } }", 'unknown field "level"'),
    # a mode must be a string there, as in nats-server (off is a boolean in the grammar)
    ("cluster { compression { mode: off } }", 'invalid value for "mode": expected a string'),
    ('cluster { compression { rtt: ["x"] } }', 'time: invalid duration "x"'),
    ("cluster { nope: 1 }", 'unknown field "nope"'),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=lambda v: repr(v))
def test_errors(text: str, message: str) -> None:
    found = errors_of(text)
    assert len(found) == 1 and found[0].startswith(message), found


@pytest.mark.parametrize("key", sorted(UNSUPPORTED_CLUSTER))
def test_declined_keys_are_named(key: str) -> None:
    value = {"permissions": "{ import: x }", "accounts": "[A]", "write_timeout": "close"}[key]
    assert errors_of(f"cluster {{ port: 1, {key}: {value} }}") == [
        f'"{key}" in cluster is not supported by fastnats ({UNSUPPORTED_CLUSTER[key]})'
    ]


def test_errors_have_positions_and_are_all_collected() -> None:
    with pytest.raises(ConfigError) as info:
        conf('cluster {\n  port: x\n  routes: ["1:2", 1]\n  nope: 1\n}\n')
    assert [str(x) for x in info.value.errors] == [
        'f.conf:2:3: invalid value for "port": expected an integer, got string',
        'f.conf:3:12: error parsing route url ["1:2"]',
        "f.conf:3:19: invalid route url: expected a string, got int64",
        'f.conf:4:3: unknown field "nope"',
    ]


def test_keys_only_used_as_variables_are_not_unknown() -> None:
    assert cluster_of("cluster { P: 6333, port: $P }") == {"port": 6333}


# Go's net/url and net.SplitHostPort, as the route URLs and --cluster need them.
@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("nats-route://u:p@h:6222", None),
        ("nats://[::1]:6222", None),
        ("h:6222", None),  # scheme "h", opaque "6222": Go takes it
        ("nats://h", None),
        ("", None),
        (
            "127.0.0.1:6222",
            'parse "127.0.0.1:6222": first path segment in URL cannot contain colon',
        ),
        (":6222", 'parse ":6222": missing protocol scheme'),
        ("nats://[::1", """parse "nats://[::1": missing ']' in host"""),
        ("nats://h:x", 'parse "nats://h:x": invalid port ":x" after host'),
        ("nats://h:-1", 'parse "nats://h:-1": invalid port ":-1" after host'),
        ("nats://h h:1", 'parse "nats://h h:1": invalid character " " in host name'),
        ("nats://h%zz", 'parse "nats://h%zz": invalid URL escape "%zz"'),
        ("nats://u{@h", 'parse "nats://u{@h": net/url: invalid userinfo'),
        ("nats://h\n", 'parse "nats://h\\n": net/url: invalid control character in URL'),
    ],
)
def test_go_url_parse(raw: str, error: str | None) -> None:
    if error is None:
        url_parse(raw)
    else:
        with pytest.raises(ValueError) as info:
            url_parse(raw)
        assert str(info.value) == error


def test_go_url_parse_parts() -> None:
    url = url_parse("nats://us%40r:p%3Aw@127.0.0.1:6222/x")
    assert (url.scheme, url.user, url.password, url.host) == (
        "nats",
        "us@r",
        "p:w",
        "127.0.0.1:6222",
    )
    assert url_parse("NATS://h").scheme == "nats"
    assert url_parse("nats://u@h").password is None


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("h:1", ("h", "1")),
        (":1", ("", "1")),
        ("[::1]:1", ("::1", "1")),
        ("h", "address h: missing port in address"),
        ("a:b:1", "address a:b:1: too many colons in address"),
        ("[::1", "address [::1: missing ']' in address"),
        ("[::1]", "address [::1]: missing port in address"),
    ],
)
def test_go_split_host_port(text: str, result: tuple[str, str] | str) -> None:
    if isinstance(result, tuple):
        assert split_host_port(text) == result
    else:
        with pytest.raises(ValueError) as info:
            split_host_port(text)
        assert str(info.value) == result


# The same files through the reference: nats-server -t accepts exactly what we accept (and
# for the texts that are nats-server's, says the same).
REFERENCE = reference_server()
needs_reference = pytest.mark.skipif(
    REFERENCE is None or REFERENCE[1] < (2, 15, 0), reason="needs a reference nats-server >= 2.15"
)

SAME_VERDICT = [
    'cluster { name: c1, listen: "127.0.0.1:6333", routes: ["nats-route://127.0.0.1:6334"] }',
    "cluster { port: -1 }",
    "cluster { listen: 6333 }",
    'cluster { listen: ":6333" }',
    "cluster { name: c1 }",
    "cluster { }",
    "cluster { port: 6333, authorization { user: a, password: b, timeout: 3 } }",
    'cluster { port: 6333, ping_interval: "20s", ping_max: 3, write_deadline: "5s" }',
    'cluster { port: 6333, advertise: "h:1", no_advertise: true, connect_retries: 3 }',
    "cluster { port: 6333, connect_backoff: true, pool_size: -1 }",
    "cluster { port: 6333, compression: off }",
    "cluster { port: 6333, compression: false }",
    'cluster { port: 6333, compression: { mode: accept, rtt_thresholds: ["10ms"] } }',
    "cluster { port: 6333, compression: gzip }",  # both: the mode is checked at start-up
    'cluster { port: 6333, routes: ["h:6222"] }',
    # refused by both
    'cluster { name: "a b", port: 6333 }',
    'cluster { port: 6333, routes: "nats://127.0.0.1:6334" }',
    'cluster { port: 6333, routes: ["nats://[::1"] }',
    'cluster { port: 6333, routes: ["127.0.0.1:6334"] }',
    'cluster { port: 6333, routes: ["nats://h:x"] }',
    'cluster { port: 6333, routes: ["nats://h%zz:1"] }',
    "cluster { port: 6333, authorization { users: [{user: a, password: b}] } }",
    "cluster { port: 6333, authorization { token: x } }",
    "cluster { port: 6333, authorization { user: a, password: b, foo: 3 } }",
    'cluster { port: 6333, ping_interval: "1m" }',  # a warning: -t fails
    "cluster { port: 6333, ping_interval: 10 }",  # a warning: -t fails
    'cluster { port: 6333, routes: ["nats://h:1", "nats://h:1"] }',  # a warning: -t fails
    "cluster { port: 6333, compression: 1 }",
    # nats-server: a deprecation warning (-t fails); fastnats: declined
    "cluster { port: 6333, authorization { user: a, password: b, permissions { import: x } } }",
    "cluster { port: 6333, foo: 1 }",
    "cluster: 6333",
    'cluster { port: "6333" }',
    'cluster { listen: "x" }',
    "cluster { port: 6333, advertise: 5 }",
]

SAME_TEXT = {
    'cluster { name: "a b", port: 6333 }': "cluster name cannot contain spaces",
    'cluster { port: 6333, routes: ["nats://[::1"] }': 'error parsing route url ["nats://[::1"]',
    "cluster { port: 6333, authorization { users: [{user: a, password: b}] } }": (
        "Cluster authorization does not allow multiple users"
    ),
    "cluster { port: 6333, authorization { token: x } }": (
        "Cluster authorization does not support tokens"
    ),
    'cluster { port: 6333, ping_interval: "1m" }': (
        "Cluster 'ping_interval' will reset to 30s which is the max for routes"
    ),
    'cluster { port: 6333, routes: ["nats://h:1", "nats://h:1"] }': (
        'invalid use of field "nats://h:1": Duplicate route entry detected'
    ),
    "cluster { port: 6333, compression: 1 }": (
        'field "compression" should be a boolean or a structure, got int64'
    ),
    "cluster { port: 6333, foo: 1 }": 'unknown field "foo"',
    "cluster: 6333": "Expected map to define cluster, got int64",
    'cluster { listen: "x" }': 'could not parse address string "x"',
}


def _nats_check(path: Path) -> tuple[bool, str]:
    assert REFERENCE is not None
    proc = subprocess.run(
        [REFERENCE[0], "-t", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "")},
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


@needs_reference
@pytest.mark.parametrize("text", SAME_VERDICT, ids=repr)
def test_nats_server_check_agrees(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.conf"
    path.write_text(text + "\n")
    nats_ok, nats_out = _nats_check(path)
    try:
        cfg = config_from_dict(loads(text, str(path), env={}))
        our_ok, our_out = not cfg.warnings, "\n".join(cfg.warnings)
    except ConfigError as e:
        our_ok, our_out = False, "\n".join(str(x) for x in e.errors)
    assert our_ok == nats_ok, f"nats-server: {nats_out!r}\nfastnats: {our_out!r}"
    if text in SAME_TEXT:
        assert SAME_TEXT[text] in nats_out
        assert SAME_TEXT[text] in our_out
