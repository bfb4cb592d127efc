"""The ``websocket { }`` block -> the engine's ``websocket`` option: forms, nats-server's
messages, and the same files through ``nats-server -t``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastnats.conf import ConfigError, ServerConfig, config_from_dict, loads
from fastnats.conf.websocket import ORIGIN_KEYS

from tests.conftest import reference_server


def conf(text: str) -> ServerConfig:
    return config_from_dict(loads(text, "f.conf", env={}))


def websocket_of(text: str) -> dict[str, Any]:
    return conf(text).server["websocket"]


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        conf(text)
    return [x.message for x in info.value.errors]


P = "port: 8080, no_tls: true"
BASE = {"port": 8080, "no_tls": True}

FORMS: list[tuple[str, dict[str, Any]]] = [
    ("websocket { port: 8080 }", {"port": 8080}),
    ("websocket { port: -1, no_tls: true }", {"port": 0, "no_tls": True}),
    ("ws { port: 8080 }", {"port": 8080}),
    ("WebSocket { PORT: 8080, No_TLS: true }", BASE),
    ("websocket { listen: 8080 }", {"port": 8080}),
    ('websocket { listen: ":8080" }', {"port": 8080}),
    ('websocket { listen: "127.0.0.1:8080" }', {"host": "127.0.0.1", "port": 8080}),
    ('websocket { listen: "[::1]:-1" }', {"host": "::1", "port": 0}),
    # nats-server: a bare port in listen clears a host given before it
    ("websocket { host: 10.0.0.1, listen: 8080 }", {"port": 8080}),
    ("websocket { listen: 8080, net: 10.0.0.1 }", {"host": "10.0.0.1", "port": 8080}),
    ('websocket { port: 8080, host: "" }', {"port": 8080}),
    (
        f'websocket {{ {P}, advertise: "ws.example.com:443" }}',
        {**BASE, "advertise": "ws.example.com:443"},
    ),
    (f'websocket {{ {P}, advertise: "" }}', BASE),
    (f"websocket {{ {P}, same_origin: true }}", {**BASE, "same_origin": True}),
    (f"websocket {{ {P}, compression: true }}", {**BASE, "compression": True}),
    (f"websocket {{ {P}, compress: false }}", {**BASE, "compression": False}),
    *[
        (
            f'websocket {{ {P}, {key}: ["https://a.example.com", "http://b:8080"] }}',
            {**BASE, "allowed_origins": ["https://a.example.com", "http://b:8080"]},
        )
        for key in ORIGIN_KEYS
    ],
    (
        f'websocket {{ {P}, allowed_origins: "https://a.example.com" }}',
        {**BASE, "allowed_origins": ["https://a.example.com"]},
    ),
    (f'websocket {{ {P}, handshake_timeout: "2s" }}', {**BASE, "handshake_timeout": 2.0}),
    (f"websocket {{ {P}, handshake_timeout: 3 }}", {**BASE, "handshake_timeout": 3.0}),
    (f'websocket {{ {P}, handshake_timeout: "1m30s" }}', {**BASE, "handshake_timeout": 90.0}),
    # only a positive timeout is applied by nats-server
    (f'websocket {{ {P}, handshake_timeout: "-1s" }}', {**BASE, "handshake_timeout": 0.0}),
    (
        f"websocket {{ {P}, authorization {{ user: u, password: p, timeout: 2.5 }} }}",
        {**BASE, "authorization": {"user": "u", "password": "p", "timeout": 2.5}},
    ),
    (
        f"websocket {{ {P}, authentication {{ username: u, pass: p }} }}",
        {**BASE, "authorization": {"user": "u", "password": "p"}},
    ),
    (
        f'websocket {{ {P}, authorization {{ token: "s3cr3t", timeout: "3s" }} }}',
        {**BASE, "authorization": {"token": "s3cr3t", "timeout": 3.0}},
    ),
    (f"websocket {{ {P}, authorization {{ }} }}", BASE),
    (f"websocket {{ {P}, no_auth_user: bob }}", {**BASE, "no_auth_user": "bob"}),
    (
        f"websocket {{ {P}, jwt_cookie: j, user_cookie: u, pass_cookie: p, token_cookie: t }}",
        {**BASE, "jwt_cookie": "j", "user_cookie": "u", "pass_cookie": "p", "token_cookie": "t"},
    ),
    (
        f'websocket {{ {P}, headers {{ "Strict-Transport-Security": "max-age=100", X-A: b }} }}',
        {**BASE, "headers": {"Strict-Transport-Security": "max-age=100", "X-A": "b"}},
    ),
    (f'websocket {{ {P}, ping_interval: "30s" }}', {**BASE, "ping_interval": 30.0}),
    (f'websocket {{ {P}, ping_interval: "0s" }}', BASE),
    (
        "websocket { port: 8080, tls { cert_file: c.pem, key_file: k.pem } }",
        {"port": 8080, "tls": {"cert_file": "c.pem", "key_file": "k.pem"}},
    ),
    ("P: 8080\nwebsocket { port: $P }", {"port": 8080}),
    ("websocket { port: 1 }\nws { port: 8080 }", {"port": 8080}),  # the last block wins
]


@pytest.mark.parametrize(("text", "websocket"), FORMS, ids=lambda v: repr(v))
def test_forms(text: str, websocket: dict[str, Any]) -> None:
    assert websocket_of(text) == websocket


def test_a_block_without_port_does_nothing_and_says_so() -> None:
    for text in ("websocket { }", "websocket { port: 0 }", "ws { no_tls: true, host: h }"):
        cfg = conf(text)
        assert "websocket" not in cfg.server
        assert cfg.notes == [
            "f.conf:1:1: the websocket block has no port: no WebSocket listener (as in nats-server)"
        ]


def test_an_integer_ping_interval_is_seconds_with_a_warning() -> None:
    cfg = conf(f"websocket {{ {P}, ping_interval: 5 }}")
    assert cfg.server["websocket"]["ping_interval"] == 5.0
    assert cfg.warnings == [
        'f.conf:1:39: invalid use of field "ping_interval": ping_interval should be converted '
        'to a duration (read as 5 seconds; write "5s")'
    ]


ERRORS: list[tuple[str, str]] = [
    ("websocket: 5", "Expected websocket to be a map, got int64"),
    ('websocket { listen: "x" }', 'could not parse address string "x"'),
    ('websocket { port: "x" }', 'invalid value for "port": expected an integer, got string'),
    ("websocket { port: 70000 }", "invalid port 70000: must be 0..65535, or -1"),
    ("websocket { port: -5 }", "invalid port -5: must be 0..65535, or -1"),
    ("websocket { port: 1, host: 5 }", 'invalid value for "host": expected a string, got int64'),
    (
        "websocket { port: 1, no_tls: 1 }",
        'invalid value for "no_tls": expected a boolean (true/false), got int64',
    ),
    (
        "websocket { port: 1, compress: yes_please }",
        'invalid value for "compress": expected a boolean (true/false), got string',
    ),
    ("websocket { port: 1, foo: 1 }", 'unknown field "foo"'),
    (
        "websocket { port: 1, handshake_timeout: 1.5 }",
        "error parsing handshake timeout: unsupported type float64",
    ),
    ('websocket { port: 1, handshake_timeout: "x" }', 'time: invalid duration "x"'),
    ('websocket { port: 1, ping_interval: "x" }', "error parsing ping_interval: time: invalid"),
    ('websocket { port: 1, ping_interval: "-1s" }', 'invalid value for "ping_interval"'),
    (
        "websocket { port: 1, allowed_origins: 5 }",
        "error parsing allowed origins: unsupported type int64",
    ),
    (
        'websocket { port: 1, allowed_origins: ["http://a", 5] }',
        "error parsing allowed origins: unsupported type in array int64",
    ),
    ("websocket { port: 1, headers: 5 }", "error parsing headers: unsupported type int64"),
    (
        "websocket { port: 1, headers { a: 5 } }",
        "error parsing header key a: unsupported type int64",
    ),
    (
        "websocket { port: 1, authorization: 5 }",
        'invalid value for "authorization": expected a map, got int64',
    ),
    ("websocket { port: 1, authorization { foo: 1 } }", 'unknown field "foo"'),
    ("websocket { port: 1, authorization { users: [] } }", 'unknown field "users"'),
    (
        "websocket { port: 1, authorization { user: 1 } }",
        'invalid value for "user": expected a string, got int64',
    ),
    (
        'websocket { port: 1, authorization { timeout: "x" } }',
        'error parsing websocket authorization timeout: time: invalid duration "x"',
    ),
    (
        "websocket { port: 1, authorization { timeout: true } }",
        'invalid value for "timeout": expected seconds or a duration like "2s", got bool',
    ),
    ("websocket { port: 1, tls { cert_file: x } }", "missing 'key_file' in TLS configuration"),
    ("websocket { port: 1, tls { nope: 1 } }", 'error parsing tls config, unknown field "nope"'),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=lambda v: repr(v))
def test_errors(text: str, message: str) -> None:
    found = errors_of(text)
    assert len(found) == 1 and found[0].startswith(message), found


def test_errors_have_positions_and_are_all_collected() -> None:
    with pytest.raises(ConfigError) as info:
        conf('websocket {\n  port: x\n  origins: ["http://a", 1]\n  nope: 1\n}\n')
    assert [str(x) for x in info.value.errors] == [
        'f.conf:2:3: invalid value for "port": expected an integer, got string',
        "f.conf:3:25: error parsing allowed origins: unsupported type in array int64",
        'f.conf:4:3: unknown field "nope"',
    ]


def test_keys_only_used_as_variables_are_not_unknown() -> None:
    assert websocket_of("websocket { P: 8080, port: $P }") == {"port": 8080}


# The same files through the reference: nats-server -t accepts exactly what we accept (and
# for the texts that are nats-server's, says the same). Its -t does not run
# validateWebsocketOptions (TLS required, origins, users conflicts): that is the engine's, at
# start-up, as in nats-server.
REFERENCE = reference_server()
needs_reference = pytest.mark.skipif(
    REFERENCE is None or REFERENCE[1] < (2, 15, 0), reason="needs a reference nats-server >= 2.15"
)

SAME_VERDICT = [
    "websocket { port: 8080 }",
    "websocket { }",
    "websocket { port: 0 }",
    "ws { port: -1, no_tls: true }",
    'websocket { listen: "127.0.0.1:8080", advertise: "h:443", no_tls: true }',
    f'websocket {{ {P}, same_origin: true, allowed_origins: ["https://a"], compression: true }}',
    f'websocket {{ {P}, allow_origin: "https://a", compress: true }}',
    f'websocket {{ {P}, handshake_timeout: "2s" }}',
    f"websocket {{ {P}, handshake_timeout: 2 }}",
    f'websocket {{ {P}, ping_interval: "30s" }}',
    f"websocket {{ {P}, authorization {{ user: u, password: p, timeout: 2 }} }}",
    f"websocket {{ {P}, authentication {{ token: t }} }}",
    f"websocket {{ {P}, no_auth_user: u, jwt_cookie: j, user_cookie: u, pass_cookie: p }}",
    f'websocket {{ {P}, token_cookie: t, headers {{ "X-A": "b" }} }}',
    # accepted by -t, refused by both servers at start-up (validateWebsocketOptions)
    f'websocket {{ {P}, headers {{ "Host": "b" }} }}',
    # refused by both
    "websocket: 5",
    'websocket { listen: "x" }',
    'websocket { port: "x" }',
    f"websocket {{ {P}, foo: 1 }}",
    f"websocket {{ {P}, handshake_timeout: 1.5 }}",
    f'websocket {{ {P}, handshake_timeout: "x" }}',
    f"websocket {{ {P}, ping_interval: 2 }}",  # a warning: -t fails
    f'websocket {{ {P}, ping_interval: "x" }}',
    f"websocket {{ {P}, no_tls: 1 }}",
    f"websocket {{ {P}, authorization: 5 }}",
    f"websocket {{ {P}, authorization {{ foo: 1 }} }}",
    f"websocket {{ {P}, authorization {{ user: 1 }} }}",
    f"websocket {{ {P}, allowed_origins: 5 }}",
    f"websocket {{ {P}, headers: 5 }}",
    f"websocket {{ {P}, headers {{ a: 5 }} }}",
    "websocket { port: 8080, tls { cert_file: x } }",
]

SAME_TEXT = {
    "websocket: 5": "Expected websocket to be a map, got int64",
    'websocket { listen: "x" }': 'could not parse address string "x"',
    f"websocket {{ {P}, foo: 1 }}": 'unknown field "foo"',
    f"websocket {{ {P}, handshake_timeout: 1.5 }}": (
        "error parsing handshake timeout: unsupported type float64"
    ),
    f'websocket {{ {P}, handshake_timeout: "x" }}': 'time: invalid duration "x"',
    f"websocket {{ {P}, ping_interval: 2 }}": (
        'invalid use of field "ping_interval": ping_interval should be converted to a duration'
    ),
    f'websocket {{ {P}, ping_interval: "x" }}': (
        'error parsing ping_interval: time: invalid duration "x"'
    ),
    f"websocket {{ {P}, authorization {{ foo: 1 }} }}": 'unknown field "foo"',
    f"websocket {{ {P}, allowed_origins: 5 }}": (
        "error parsing allowed origins: unsupported type int64"
    ),
    f"websocket {{ {P}, headers: 5 }}": "error parsing headers: unsupported type int64",
    f"websocket {{ {P}, headers {{ a: 5 }} }}": (
        "error parsing header key a: unsupported type int64"
    ),
    "websocket { port: 8080, tls { cert_file: x } }": "missing 'key_file' in TLS configuration",
}

# Where fastnats refuses what nats-server's -t takes (it fails to listen on the port, or
# reads any timeout that is not a number as 1 second).
STRICTER = [
    "websocket { port: 70000, no_tls: true }",
    "websocket { port: -5, no_tls: true }",
    'websocket { port: 1, no_tls: true, authorization { timeout: "x" } }',
    "websocket { port: 1, no_tls: true, authorization { timeout: true } }",
]


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


def _ours(text: str, path: Path) -> tuple[bool, str]:
    try:
        cfg = config_from_dict(loads(text, str(path), env={}))
    except ConfigError as e:
        return False, "\n".join(str(x) for x in e.errors)
    return not cfg.warnings, "\n".join(cfg.warnings)


@needs_reference
@pytest.mark.parametrize("text", SAME_VERDICT, ids=repr)
def test_nats_server_check_agrees(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.conf"
    path.write_text(text + "\n")
    nats_ok, nats_out = _nats_check(path)
    our_ok, our_out = _ours(text, path)
    assert our_ok == nats_ok, f"nats-server: {nats_out!r}\nfastnats: {our_out!r}"
    if text in SAME_TEXT:
        assert SAME_TEXT[text] in nats_out
        assert SAME_TEXT[text] in our_out


@needs_reference
@pytest.mark.parametrize("text", STRICTER, ids=repr)
def test_where_fastnats_is_stricter_than_nats_server_check(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.conf"
    path.write_text(text + "\n")
    assert _nats_check(path)[0]
    assert not _ours(text, path)[0]
