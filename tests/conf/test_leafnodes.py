"""The ``leafnodes { }`` block -> the engine's ``leafnodes`` option: forms, nats-server's
messages, what fastnats declines, and the same files through ``nats-server -t``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastnats import _fastnats
from fastnats.conf import ConfigError, ServerConfig, config_from_dict, loads
from fastnats.conf.leafnodes import (
    UNSUPPORTED,
    UNSUPPORTED_AUTH,
    UNSUPPORTED_REMOTE,
    is_user_seed,
    is_valid_subject,
)

from tests.conftest import reference_server

SEED = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"  # a user seed (nkeys docs)


def conf(text: str) -> ServerConfig:
    return config_from_dict(loads(text, "f.conf", env={}))


def leafnodes_of(text: str) -> dict[str, Any]:
    return conf(text).server["leafnodes"]


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        conf(text)
    return [x.message for x in info.value.errors]


def remote(**fields: Any) -> dict[str, Any]:
    return {"remotes": [fields], "port": None}


FORMS: list[tuple[str, dict[str, Any]]] = [
    ("leafnodes { port: 7422 }", {"port": 7422}),
    ("leafnodes { port: -1 }", {"port": 0}),
    ("leaf { port: 7422 }", {"port": 7422}),
    ("LEAFNODES { PORT: 7422 }", {"port": 7422}),
    ("leafnodes { listen: 7422 }", {"port": 7422}),
    ('leafnodes { listen: ":7422" }', {"port": 7422}),
    ('leafnodes { listen: "127.0.0.1:7422" }', {"host": "127.0.0.1", "port": 7422}),
    ('leafnodes { listen: "[::1]:-1" }', {"host": "::1", "port": 0}),
    # nats-server: a bare port in listen clears a host given before it
    ("leafnodes { host: 10.0.0.1, listen: 7422 }", {"port": 7422}),
    ("leafnodes { listen: 7422, net: 10.0.0.1 }", {"host": "10.0.0.1", "port": 7422}),
    ('leafnodes { port: 1, advertise: "h:1" }', {"port": 1, "advertise": "h:1"}),
    ('leafnodes { port: 1, leafnode_advertise: "h:1" }', {"port": 1, "advertise": "h:1"}),
    ("leafnodes { port: 1, no_advertise: true }", {"port": 1, "no_advertise": True}),
    ('leafnodes { port: 1, reconnect: "2s" }', {"port": 1, "reconnect": 2.0}),
    ('leafnodes { port: 1, reconnect_interval: "500ms" }', {"port": 1, "reconnect": 0.5}),
    ('leafnodes { port: 1, reconnect_delay: "1m" }', {"port": 1, "reconnect": 60.0}),
    ('leafnodes { port: 1, reconnect: "0s" }', {"port": 1}),
    (
        "leafnodes { port: 1, authorization { user: l, password: p, account: A, timeout: 0.5 } }",
        {
            "port": 1,
            "authorization": {"user": "l", "password": "p", "account": "A", "timeout": 0.5},
        },
    ),
    (
        'leafnodes { port: 1, authorization { username: l, pass: p, timeout: "3s" } }',
        {"port": 1, "authorization": {"user": "l", "password": "p", "timeout": 3.0}},
    ),
    (
        "leafnodes { port: 1, authorization { account: A } }",
        {"port": 1, "authorization": {"account": "A"}},
    ),
    (
        "leafnodes { port: 1, authorization { users: [{user: a, password: b, account: A},"
        " {username: c, pass: d}] } }",
        {
            "port": 1,
            "authorization": {
                "users": [
                    {"user": "a", "password": "b", "account": "A"},
                    {"user": "c", "password": "d"},
                ]
            },
        },
    ),
    (
        "leafnodes { port: 1, authorization { users: [{user: a}], proxy_required: false } }",
        {"port": 1, "authorization": {"users": [{"user": "a", "password": ""}]}},
    ),
    (
        "leafnodes { port: 1, tls { cert_file: c.pem, key_file: k.pem, verify: false } }",
        {"port": 1, "tls": {"cert_file": "c.pem", "key_file": "k.pem", "verify": False}},
    ),
    ("leafnodes { port: 1, compression: off }", {"port": 1, "compression": "off"}),
    ("leafnodes { port: 1, compression: false }", {"port": 1, "compression": "off"}),
    ("leafnodes { port: 1, compression: accept }", {"port": 1, "compression": "accept"}),
    (
        "leafnodes { port: 1, compression: { mode: disabled } }",
        {"port": 1, "compression": "disabled"},
    ),
    # modes are the engine's to check (as nats-server's -t, which accepts any string)
    ("leafnodes { port: 1, compression: s2_auto }", {"port": 1, "compression": "s2_auto"}),
    ("leafnodes { port: 1, compression: true }", {"port": 1, "compression": "on"}),
    # switched off: what fastnats does anyway
    (
        'leafnodes { port: 1, isolate_leafnode_interest: false, dial_timeout: "0s",'
        " write_deadline: 0, write_timeout: default }",
        {"port": 1},
    ),
    # remotes
    (
        'leafnodes { remotes: [ { url: "nats-leaf://u:p@127.0.0.1:7422" } ] }',
        remote(urls=["nats-leaf://u:p@127.0.0.1:7422"]),
    ),
    (
        'leafnodes { remotes: [ { urls: [" nats://h1:7422 ", "tls://h2"], account: A } ] }',
        remote(urls=["nats://h1:7422", "tls://h2"], account="A"),
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", local: A, no_randomize: true,'
        " hub: false } ] }",
        remote(urls=["nats://h:1"], account="A", no_randomize=True, hub=False),
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", dont_randomize: true, hub: true } ] }',
        remote(urls=["nats://h:1"], no_randomize=True, hub=True),
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", credentials: "/x/l.creds" } ] }',
        remote(urls=["nats://h:1"], credentials="/x/l.creds"),
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", creds: "/x/l.creds" } ] }',
        remote(urls=["nats://h:1"], credentials="/x/l.creds"),
    ),
    (
        f'leafnodes {{ remotes: [ {{ url: "nats://h:1", nkey: "{SEED}" }} ] }}',
        remote(urls=["nats://h:1"], nkey=SEED),
    ),
    (
        f'leafnodes {{ remotes: [ {{ url: "nats://h:1", seed: "{SEED}" }} ] }}',
        remote(urls=["nats://h:1"], nkey=SEED),
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: ["a.>", "b.*"],'
        " deny_export: c } ] }",
        remote(urls=["nats://h:1"], deny_imports=["a.>", "b.*"], deny_exports=["c"]),
    ),
    (
        'leafnodes { remotes: [ { url: "tls://h:1", tls { } } ] }',
        remote(urls=["tls://h:1"], tls={}),
    ),
    (
        # a remote's tls: files optional, verify read and left out (the hub is verified)
        'leafnodes { remotes: [ { url: "tls://h:1", tls { ca_file: ca.pem, verify: true,'
        ' timeout: "3s", handshake_first: true } } ] }',
        remote(
            urls=["tls://h:1"], tls={"ca_file": "ca.pem", "timeout": 3.0, "handshake_first": True}
        ),
    ),
    (
        'leafnodes { remotes: [ { url: "tls://h:1",'
        " tls { cert_file: c.pem, key_file: k.pem } } ] }",
        remote(urls=["tls://h:1"], tls={"cert_file": "c.pem", "key_file": "k.pem"}),
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", compression: off, isolate: false,'
        " ws_compression: false, jetstream_cluster_migrate: false, disabled: false } ] }",
        remote(urls=["nats://h:1"]),
    ),
    (
        'leafnodes { port: -1, remotes: [ { url: "nats://h:1" },'
        ' { url: "nats://h:1", account: A } ] }',
        {
            "port": 0,
            "remotes": [{"urls": ["nats://h:1"]}, {"urls": ["nats://h:1"], "account": "A"}],
        },
    ),
    ("P: 7422\nleafnodes { port: $P }", {"port": 7422}),
    ("leafnodes { port: 1 }\nleafnodes { port: 7422 }", {"port": 7422}),  # the last block wins
]


@pytest.mark.parametrize(("text", "leafnodes"), FORMS, ids=lambda v: repr(v))
def test_forms(text: str, leafnodes: dict[str, Any]) -> None:
    assert leafnodes_of(text) == leafnodes


def _uses_tls(leafnodes: dict[str, Any]) -> bool:
    return "tls" in leafnodes or any(
        "tls" in r or any(u.startswith("tls://") for u in r.get("urls", []))
        for r in leafnodes.get("remotes", [])
    )


def test_the_engine_takes_every_form_it_does_not_refuse_by_mode_or_tls() -> None:
    for text, leafnodes in FORMS:
        if leafnodes.get("compression") in ("on", "s2_auto") or _uses_tls(leafnodes):
            continue
        native = _fastnats.NativeServer({"leafnodes": leafnodes}).config()["leafnodes"]
        assert native["port"] == leafnodes["port"], text
        assert [r["urls"] for r in native["remotes"]] == [
            r["urls"] for r in leafnodes.get("remotes", [])
        ], text


@pytest.mark.parametrize("mode", ["true", "s2_fast", "s2_auto", '"not supported"'])
def test_compression_modes_are_refused_by_the_engine_with_one_message(mode: str) -> None:
    leafnodes = leafnodes_of(f"leafnodes {{ port: 1, compression: {mode} }}")
    with pytest.raises(ValueError) as info:
        _fastnats.NativeServer({"leafnodes": leafnodes})
    shown = leafnodes["compression"]
    assert str(info.value) == (
        f'leafnodes.compression: compression mode "{shown}" is not supported by fastnats '
        "(leaf connections are not compressed)"
    )


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("leafnodes { port: 1, tls { cert_file: c.pem, key_file: k.pem } }", "leafnodes.tls"),
        (
            'leafnodes { remotes: [ { url: "nats://h:1", tls { ca_file: ca.pem } } ] }',
            "leafnodes.remotes[0].tls",
        ),
        ('leafnodes { remotes: [ { url: "tls://h:1" } ] }', "leafnodes.remotes[0].tls"),
    ],
)
def test_tls_is_read_and_the_engine_opens_its_files(text: str, path: str) -> None:
    leafnodes = leafnodes_of(text)
    if "tls://" in text:
        # A tls:// URL alone asks for TLS with the system's roots: nothing to open.
        _fastnats.NativeServer({"leafnodes": leafnodes})
        return
    with pytest.raises(ValueError) as info:
        _fastnats.NativeServer({"leafnodes": leafnodes})
    assert "error opening" in str(info.value) and ".pem" in str(info.value), path


def test_a_block_without_port_or_remote_does_nothing_and_says_so() -> None:
    for text in (
        "leafnodes { }",
        "leafnodes { port: 0 }",
        "leafnodes { authorization { user: a } }",
    ):
        cfg = conf(text)
        assert "leafnodes" not in cfg.server
        assert cfg.notes == [
            "f.conf:1:1: the leafnodes block has no port and no remote to dial: no leaf nodes "
            "(as in nats-server)"
        ]


def test_a_disabled_remote_is_left_out_with_a_note() -> None:
    cfg = conf(
        'leafnodes { port: 1, remotes: [ { url: "nats://u:p@h:1", disabled: true },'
        ' { url: "nats://h:2" } ] }'
    )
    assert cfg.server["leafnodes"]["remotes"] == [{"urls": ["nats://h:2"]}]
    assert cfg.notes == [
        'f.conf:1:1: leafnodes remote urls=["nats://u:xxxxx@h:1"], account="$G" is disabled: '
        "it is not dialled"
    ]


def test_credentials_expand_the_home_directory() -> None:
    found = leafnodes_of(
        'leafnodes { remotes: [ { url: "nats://h:1", credentials: "~/l.creds" } ] }'
    )
    assert found["remotes"][0]["credentials"] == os.path.expanduser("~/l.creds")


def test_integer_durations_are_seconds_with_a_warning() -> None:
    cfg = conf("leafnodes { port: 1, reconnect_interval: 3 }")
    assert cfg.server["leafnodes"]["reconnect"] == 3.0
    assert cfg.warnings[0].startswith(
        'f.conf:1:22: invalid use of field "reconnect": reconnect should be converted to a duration'
    )


def test_a_long_authorization_timeout_is_a_warning() -> None:
    cfg = conf("leafnodes { port: 1, authorization { timeout: 120 } }")
    assert cfg.server["leafnodes"]["authorization"] == {"timeout": 120.0}
    assert cfg.warnings == [
        'f.conf:1:38: invalid use of field "timeout": timeout of 120 (120.000000 seconds) is '
        "high, consider keeping it under 60 seconds. possibly caused by unquoted duration; use "
        "'1m' instead of 1m, for example"
    ]


def test_a_duplicate_url_is_a_warning_and_dropped() -> None:
    cfg = conf('leafnodes { remotes: [ { urls: ["nats://h:1", "nats://h:1"] } ] }')
    assert cfg.server["leafnodes"]["remotes"] == [{"urls": ["nats://h:1"]}]
    assert cfg.warnings == [
        'f.conf:1:47: invalid use of field "nats://h:1": Duplicate leafnode entry detected'
    ]


ERRORS: list[tuple[str, str]] = [
    ("leafnodes: 7422", "Expected map to define a leafnode, got int64"),
    ('leafnodes { listen: "x" }', 'could not parse address string "x"'),
    ('leafnodes { listen: "h:x" }', 'could not parse port "x"'),
    ('leafnodes { port: "1" }', 'invalid value for "port": expected an integer, got string'),
    ("leafnodes { port: 70000 }", "invalid port 70000: must be 0..65535, or -1"),
    ("leafnodes { host: 5 }", 'invalid value for "host": expected a string, got int64'),
    ("leafnodes { advertise: 5 }", 'invalid value for "advertise": expected a string'),
    ("leafnodes { no_advertise: 1 }", 'invalid value for "no_advertise": expected a boolean'),
    ('leafnodes { reconnect: "x" }', 'error parsing reconnect: time: invalid duration "x"'),
    ('leafnodes { reconnect_delay: "-1s" }', 'invalid value for "reconnect_delay": negative'),
    ("leafnodes { authorization: 1 }", 'invalid value for "authorization": expected a map'),
    (
        "leafnodes { authorization { user: a, users: [{user: b, password: c}] } }",
        "can not have a single user/pass and a users array",
    ),
    (
        "leafnodes { authorization { users: [{user: b, password: c}, {user: b}] } }",
        'duplicate user "b" detected in leafnode authorization',
    ),
    ("leafnodes { authorization { users: 5 } }", "Expected users field to be an array, got 5"),
    (
        "leafnodes { authorization { users: [a] } }",
        "Expected user entry to be a map/struct, got a",
    ),
    ("leafnodes { authorization { users: [{password: b}] } }", "User entry requires a user"),
    ("leafnodes { authorization { users: [{user: b, nope: 1}] } }", 'unknown field "nope"'),
    ("leafnodes { authorization { token: t } }", 'unknown field "token"'),
    (
        'leafnodes { authorization { timeout: "x" } }',
        "error parsing leafnode authorization config, 'timeout' time: invalid duration \"x\"",
    ),
    (
        "leafnodes { authorization { timeout: true } }",
        "error parsing leafnode authorization config, 'timeout' wrong type",
    ),
    ("leafnodes { tls { cert_file: c.pem } }", "missing 'key_file' in TLS configuration"),
    ("leafnodes { tls { } }", "missing 'cert_file' and 'key_file' in TLS configuration"),
    (
        "leafnodes { compression: 1 }",
        'field "compression" should be a boolean or a structure, got int64',
    ),
    ("leafnodes { compression { mode: accept, level: 3 } }", 'unknown field "level"'),
    ("leafnodes { nope: 1 }", 'unknown field "nope"'),
    # remotes
    (
        'leafnodes { remotes: { url: "nats://h:1" } }',
        "Expected remotes field to be an array, got map[string]interface {}",
    ),
    ("leafnodes { remotes: [ 5 ] }", "Expected remote leafnode entry to be a map/struct, got 5"),
    (
        "leafnodes { remotes: [ { url: 5 } ] }",
        "Expected remote leafnode url to be an array or string, got 5",
    ),
    (
        'leafnodes { remotes: [ { url: "127.0.0.1:7422" } ] }',
        'error parsing leafnode url ["127.0.0.1:7422"]',
    ),
    (
        'leafnodes { remotes: [ { urls: ["nats://[::1"] } ] }',
        'error parsing leafnode url ["nats://[::1"]',
    ),
    (
        "leafnodes { remotes: [ { urls: [1] } ] }",
        "invalid leafnode url: expected a string, got int64",
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1" }, { url: "nats://h:1", account: "$G" } ] }',
        'duplicate remote urls=["nats://h:1"], account="$G"',
    ),
    (
        'leafnodes { remotes: [ { urls: ["nats://u:p@h:1", "tls://h2"],'
        ' credentials: "/a b.creds" },'
        ' { urls: ["nats://u:p@h:1", "tls://h2"], credentials: "/a b.creds" } ] }',
        'duplicate remote urls=["nats://u:xxxxx@h:1" "tls://h2"], account="$G", '
        'credentials="/a b.creds"',
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", nkey: "SUx" } ] }',
        'Remote leafnode nkey is not a valid seed: "SUx"',
    ),
    (
        # a valid seed of an account, not of a user
        'leafnodes { remotes: [ { url: "nats://h:1",'
        ' nkey: "SAAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYMHI" } ] }',
        "Remote leafnode nkey is not a valid seed",
    ),
    (
        f'leafnodes {{ remotes: [ {{ url: "nats://h:1", credentials: "/x", nkey: "{SEED}" }} ] }}',
        "Remote leafnode can not have both creds and nkey defined",
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: ["a..b"] } ] }',
        'subject "a..b" is not a valid subject',
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", deny_exports: [">.a"] } ] }',
        'subject ">.a" is not a valid subject',
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: 5 } ] }',
        "Expected subject permissions to be a subject, or array of subjects, got int64",
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: [5] } ] }',
        "Subject in permissions array cannot be cast to string",
    ),
    ('leafnodes { remotes: [ { url: "nats://h:1", hub: 1 } ] }', 'invalid value for "hub"'),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", tls { cert_file: c.pem } } ] }',
        "missing 'key_file' in TLS configuration",
    ),
    (
        'leafnodes { remotes: [ { url: "nats://h:1", compression: s2_fast } ] }',
        'compression mode "s2_fast" is not supported by fastnats (leaf connections are not '
        "compressed)",
    ),
    ('leafnodes { remotes: [ { url: "nats://h:1", nope: 1 } ] }', 'unknown field "nope"'),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=lambda v: repr(v))
def test_errors(text: str, message: str) -> None:
    found = errors_of(text)
    assert len(found) == 1 and found[0].startswith(message), found


_DECLINED_VALUE = {
    "min_version": '"2.8.0"',
    "minimum_version": '"2.8.0"',
    "dial_timeout": '"5s"',
    "first_info_timeout": '"5s"',
    "write_deadline": '"5s"',
    "write_timeout": "close",
    "proxy": '{ url: "http://p:3128" }',
    "nkey": "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4",
}


@pytest.mark.parametrize("key", sorted(UNSUPPORTED))
def test_declined_keys_are_named(key: str) -> None:
    value = _DECLINED_VALUE.get(key, "true")
    assert errors_of(f"leafnodes {{ port: 1, {key}: {value} }}") == [
        f'"{key}" in leafnodes is not supported by fastnats ({UNSUPPORTED[key]})'
    ]


@pytest.mark.parametrize("key", sorted(UNSUPPORTED_REMOTE))
def test_declined_remote_keys_are_named(key: str) -> None:
    value = _DECLINED_VALUE.get(key, "true")
    text = f'leafnodes {{ remotes: [ {{ url: "nats://h:1", {key}: {value} }} ] }}'
    assert errors_of(text) == [
        f'"{key}" in a leafnodes remote is not supported by fastnats ({UNSUPPORTED_REMOTE[key]})'
    ]


@pytest.mark.parametrize("key", sorted(UNSUPPORTED_AUTH))
def test_declined_authorization_keys_are_named(key: str) -> None:
    value = _DECLINED_VALUE.get(key, "true")
    assert errors_of(f"leafnodes {{ port: 1, authorization {{ {key}: {value} }} }}") == [
        f'"{key}" in leafnodes authorization is not supported by fastnats ({UNSUPPORTED_AUTH[key]})'
    ]


def test_errors_have_positions_and_are_all_collected() -> None:
    with pytest.raises(ConfigError) as info:
        conf('leafnodes {\n  port: x\n  remotes: [{urls: ["1:2", 1]}]\n  nope: 1\n}\n')
    assert [str(x) for x in info.value.errors] == [
        'f.conf:2:3: invalid value for "port": expected an integer, got string',
        'f.conf:3:21: error parsing leafnode url ["1:2"]',
        "f.conf:3:28: invalid leafnode url: expected a string, got int64",
        'f.conf:4:3: unknown field "nope"',
    ]


def test_keys_only_used_as_variables_are_not_unknown() -> None:
    assert leafnodes_of("leafnodes { P: 7422, port: $P }") == {"port": 7422}


@pytest.mark.parametrize(
    ("subject", "valid"),
    [
        ("a", True),
        ("a.b.*", True),
        ("a.>", True),
        ("*", True),
        (">", True),
        ("a.*b", True),
        ("", False),
        ("a..b", False),
        (".a", False),
        ("a.", False),
        (">.a", False),
        ("a b", False),
        ("a.\t", False),
    ],
)
def test_valid_subjects_as_nats_server(subject: str, valid: bool) -> None:
    assert is_valid_subject(subject) is valid


def test_user_seeds() -> None:
    assert is_user_seed(SEED)
    assert is_user_seed("SUAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H776Y")
    assert not is_user_seed(SEED[:-1] + ("A" if SEED[-1] != "A" else "B"))  # bad checksum
    assert not is_user_seed("SAAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYMHI")
    assert not is_user_seed("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4")
    assert not is_user_seed("")
    assert not is_user_seed("SU$")


# The same files through the reference: nats-server -t accepts exactly what we accept (and
# for the texts that are nats-server's, says the same).
REFERENCE = reference_server()
needs_reference = pytest.mark.skipif(
    REFERENCE is None or REFERENCE[1] < (2, 15, 0), reason="needs a reference nats-server >= 2.15"
)

SAME_VERDICT = [
    "leafnodes { port: -1 }",
    "leafnodes { }",
    "leaf { port: 7422 }",
    'leafnodes { listen: "127.0.0.1:7422", advertise: "h:1", no_advertise: true }',
    'leafnodes { port: 7422, reconnect: "3s" }',
    'leafnodes { port: 7422, reconnect_interval: "250ms" }',
    "leafnodes { port: 7422, authorization { user: a, password: b, account: A, timeout: 0.5 } }",
    "leafnodes { port: 7422, authorization { users: [{user: a, password: b, account: A}] } }",
    "leafnodes { port: 7422, compression: off }",
    "leafnodes { port: 7422, compression: s2_auto }",  # both: the mode is checked at start-up
    'leafnodes { port: 7422, isolate_leafnode_interest: false, dial_timeout: "0s" }',
    'leafnodes { remotes: [ { url: "nats-leaf://u:p@127.0.0.1:7422" } ] }',
    'leafnodes { remotes: [ { urls: ["nats://h1:7422", "nats://h2:7422"], account: A } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", credentials: "/nonexistent.creds" } ] }',
    f'leafnodes {{ remotes: [ {{ url: "nats://h:1", nkey: "{SEED}" }} ] }}',
    'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: ["a.>", "b"], deny_exports: c } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", hub: true, no_randomize: true } ] }',
    'leafnodes { remotes: [ { url: "tls://h:1", tls { handshake_first: true, timeout: 3 } } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", compression: off, disabled: true } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1" }, { url: "nats://h:1", account: A } ] }',
    # refused by both
    "leafnodes: 7422",
    'leafnodes { listen: "x" }',
    'leafnodes { port: "7422" }',
    "leafnodes { host: 5 }",
    "leafnodes { port: 7422, reconnect: 3 }",  # a warning: -t fails
    'leafnodes { port: 7422, reconnect_interval: "x" }',
    "leafnodes { port: 7422, authorization { user: a, users: [{user: b, password: c}] } }",
    "leafnodes { port: 7422, authorization { users: [{user: b, password: c}, {user: b}] } }",
    "leafnodes { port: 7422, authorization { users: [{user: b, password: c, nope: 1}] } }",
    "leafnodes { port: 7422, authorization { users: 5 } }",
    'leafnodes { port: 7422, authorization { timeout: "x" } }',
    "leafnodes { port: 7422, authorization { timeout: 120 } }",  # a warning: -t fails
    "leafnodes { port: 7422, authorization { token: x } }",
    "leafnodes { port: 7422, authorization: 5 }",
    "leafnodes { port: 7422, tls { cert_file: x } }",
    "leafnodes { port: 7422, compression: 1 }",
    "leafnodes { port: 7422, foo: 1 }",
    'leafnodes { remotes: { url: "nats://h:1" } }',
    "leafnodes { remotes: [ 5 ] }",
    "leafnodes { remotes: [ { url: 5 } ] }",
    'leafnodes { remotes: [ { url: "127.0.0.1:7422" } ] }',
    'leafnodes { remotes: [ { urls: ["nats://h:1", "nats://h:1"] } ] }',  # a warning: -t fails
    'leafnodes { remotes: [ { url: "nats://h:1" }, { url: " nats://h:1" } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", nkey: "SUx" } ] }',
    # an account's seed (nats-server wants a user's)
    'leafnodes { remotes: [ { url: "nats://h:1",'
    ' nkey: "SAAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYMHI" } ] }',
    f'leafnodes {{ remotes: [ {{ url: "nats://h:1", credentials: "/x", nkey: "{SEED}" }} ] }}',
    'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: ["a..b"] } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: 5 } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", hub: 1 } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", nope: 1 } ] }',
    'leafnodes { remotes: [ { url: "nats://h:1", tls { cert_file: x } } ] }',
]

SAME_TEXT = {
    "leafnodes: 7422": "Expected map to define a leafnode, got int64",
    'leafnodes { listen: "x" }': 'could not parse address string "x"',
    "leafnodes { port: 7422, reconnect: 3 }": (
        'invalid use of field "reconnect": reconnect should be converted to a duration'
    ),
    'leafnodes { port: 7422, reconnect_interval: "x" }': (
        'error parsing reconnect: time: invalid duration "x"'
    ),
    "leafnodes { port: 7422, authorization { user: a, users: [{user: b, password: c}] } }": (
        "can not have a single user/pass and a users array"
    ),
    "leafnodes { port: 7422, authorization { users: [{user: b, password: c}, {user: b}] } }": (
        'duplicate user "b" detected in leafnode authorization'
    ),
    "leafnodes { port: 7422, authorization { users: [{user: b, password: c, nope: 1}] } }": (
        'unknown field "nope"'
    ),
    "leafnodes { port: 7422, authorization { users: 5 } }": (
        "Expected users field to be an array, got 5"
    ),
    'leafnodes { port: 7422, authorization { timeout: "x" } }': (
        "error parsing leafnode authorization config, 'timeout' time: invalid duration \"x\""
    ),
    "leafnodes { port: 7422, authorization { timeout: 120 } }": (
        "timeout of 120 (120.000000 seconds) is high, consider keeping it under 60 seconds."
    ),
    "leafnodes { port: 7422, authorization { token: x } }": 'unknown field "token"',
    "leafnodes { port: 7422, tls { cert_file: x } }": "missing 'key_file' in TLS configuration",
    "leafnodes { port: 7422, compression: 1 }": (
        'field "compression" should be a boolean or a structure, got int64'
    ),
    "leafnodes { port: 7422, foo: 1 }": 'unknown field "foo"',
    'leafnodes { remotes: { url: "nats://h:1" } }': (
        "Expected remotes field to be an array, got map[string]interface {}"
    ),
    "leafnodes { remotes: [ 5 ] }": "Expected remote leafnode entry to be a map/struct, got 5",
    "leafnodes { remotes: [ { url: 5 } ] }": (
        "Expected remote leafnode url to be an array or string, got 5"
    ),
    'leafnodes { remotes: [ { url: "127.0.0.1:7422" } ] }': (
        'error parsing leafnode url ["127.0.0.1:7422"]'
    ),
    'leafnodes { remotes: [ { urls: ["nats://h:1", "nats://h:1"] } ] }': (
        'invalid use of field "nats://h:1": Duplicate leafnode entry detected'
    ),
    'leafnodes { remotes: [ { url: "nats://h:1" }, { url: " nats://h:1" } ] }': (
        'duplicate remote urls=["nats://h:1"], account="$G"'
    ),
    'leafnodes { remotes: [ { url: "nats://h:1", nkey: "SUx" } ] }': (
        'Remote leafnode nkey is not a valid seed: "SUx"'
    ),
    f'leafnodes {{ remotes: [ {{ url: "nats://h:1", credentials: "/x", nkey: "{SEED}" }} ] }}': (
        "Remote leafnode can not have both creds and nkey defined"
    ),
    'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: ["a..b"] } ] }': (
        'subject "a..b" is not a valid subject'
    ),
    'leafnodes { remotes: [ { url: "nats://h:1", deny_imports: 5 } ] }': (
        "Expected subject permissions to be a subject, or array of subjects, got int64"
    ),
    'leafnodes { remotes: [ { url: "nats://h:1", nope: 1 } ] }': 'unknown field "nope"',
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
