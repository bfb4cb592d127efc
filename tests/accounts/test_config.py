"""The ``accounts { }`` block, ``system_account`` and ``no_system_account`` in config files:
what they map to (the engine's ``accounts`` option), and the errors for bad blocks with
nats-server's texts, compared with ``nats-server -t``. Also the embedded options' shape
checks in Python."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from fastnats.conf import ConfigError, config_from_dict, loads
from fastnats.options import check_options

from ..conftest import reference_server
from ..security.serve import run

pytestmark = pytest.mark.timeout(60)

NKEY = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"


def server_options(text: str) -> dict[str, Any]:
    return config_from_dict(loads(text, "f.conf", env={})).server


MAPPED: list[tuple[str, dict[str, Any]]] = [
    ("accounts: [A, B]", {"accounts": {"A": {}, "B": {}}}),
    ("accounts { A {} }", {"accounts": {"A": {}}}),
    (
        "accounts { A { users: [{username: a, pass: b, permissions: {pub: x}}, {nkey: "
        + NKEY
        + "}], default_permissions: {sub: y} } }",
        {
            "accounts": {
                "A": {
                    "users": [
                        {"user": "a", "password": "b", "permissions": {"publish": "x"}},
                        {"nkey": NKEY},
                    ],
                    "default_permissions": {"subscribe": "y"},
                }
            }
        },
    ),
    (
        'accounts { A { exports: [{stream: "e.>"}, {stream: p, accounts: [B]}, '
        '{service: s, response: chunk, threshold: "1500ms"}, {service: t, response_type: single}'
        "] }, B {} }",
        {
            "accounts": {
                "A": {
                    "exports": [
                        {"stream": "e.>"},
                        {"stream": "p", "accounts": ["B"]},
                        {"service": "s", "response_type": "chunked", "response_threshold": 1.5},
                        {"service": "t", "response_type": "singleton"},
                    ]
                },
                "B": {},
            }
        },
    ),
    (
        "accounts { A { exports: [{stream: e}, {stream: f}, {service: s}, {service: t}] }, "
        "B { imports: [{stream: {account: A, subject: e}, prefix: pre}, "
        "{stream: {account: A, subject: f}, to: g}, {service: {account: A, subject: s}}, "
        "{service: {account: A, subject: t}, to: u, prefix: ignored}] } }",
        {
            "accounts": {
                "A": {
                    "exports": [
                        {"stream": "e"},
                        {"stream": "f"},
                        {"service": "s"},
                        {"service": "t"},
                    ]
                },
                "B": {
                    "imports": [
                        {"stream": {"account": "A", "subject": "e"}, "prefix": "pre"},
                        {"stream": {"account": "A", "subject": "f"}, "to": "g"},
                        {"service": {"account": "A", "subject": "s"}},
                        {"service": {"account": "A", "subject": "t"}, "to": "u"},
                    ]
                },
            }
        },
    ),
    ("accounts { A { jetstream: disabled } }", {"accounts": {"A": {}}}),
    ("accounts { A { jetstream: false } }", {"accounts": {"A": {}}}),
    ("accounts { A { jetstream: enabled } }", {"accounts": {"A": {"jetstream": {}}}}),
    ("accounts { A { jetstream: true } }", {"accounts": {"A": {"jetstream": {}}}}),
    (
        "accounts { A { jetstream: {max_mem: 1KB, store: 2KB, streams: 2, consumers: 3, "
        "max_bytes_required: true, mem_max_stream_bytes: 512, disk_max_stream_bytes: 1024, "
        "max_ack_pending: 7} } }",
        {
            "accounts": {
                "A": {
                    "jetstream": {
                        "max_memory": 1024,
                        "max_storage": 2048,
                        "max_streams": 2,
                        "max_consumers": 3,
                        "max_bytes_required": True,
                        "memory_max_stream_bytes": 512,
                        "storage_max_stream_bytes": 1024,
                        "max_ack_pending": 7,
                    }
                }
            }
        },
    ),
    (
        "accounts { A { jetstream: {memory: 1, max_file: 2, max_store: 3, max_stream_bytes: "
        "false, store_max_stream_bytes: 4, memory_max_stream_bytes: 5} } }",
        {
            "accounts": {
                "A": {
                    "jetstream": {
                        "max_memory": 1,
                        "max_storage": 3,
                        "max_bytes_required": False,
                        "storage_max_stream_bytes": 4,
                        "memory_max_stream_bytes": 5,
                    }
                }
            }
        },
    ),
    ("accounts { A {} }\nsystem_account: A", {"accounts": {"A": {}}, "system_account": "A"}),
    ("system: SYS", {"system_account": "SYS"}),
    ("no_system_account: true", {"no_system_account": True}),
    ("no_system: false", {"no_system_account": False}),
    ("no_sys_acc: true", {"no_system_account": True}),
    (
        "accounts { A { users: [{user: a, password: a}] } }\nno_auth_user: a",
        {
            "accounts": {"A": {"users": [{"user": "a", "password": "a"}]}},
            "authorization": {"no_auth_user": "a"},
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), MAPPED)
def test_mapping(text, expected):
    assert server_options(text) == expected


@pytest.mark.parametrize(("text", "expected"), MAPPED)
def test_nats_server_accepts_the_mapped_configs(tmp_path, text, expected):
    assert check_reference(tmp_path, text)[0], text


# (config, fastnats' message, whether nats-server -t reports the same text)
ERRORS: list[tuple[str, str, bool]] = [
    ("accounts { A: 1 }", "Expected map entries for accounts", True),
    ('accounts { "$G" {} }', '"$G" is a Reserved Account', True),
    ("accounts: [A, A]", "Duplicate Account Entry: A", True),
    ("accounts { A { bogus: 1 } }", 'unknown field "bogus"', True),
    ("accounts { A { default_permission: {} } }", 'unknown field "default_permission"', True),
    ("accounts { A { users: 1 } }", "Expected users field to be an array, got 1", True),
    ("accounts { A { users: [{user: a, account: A}] } }", 'unknown field "account"', True),
    # nats-server walks the top-level keys in random order: when it meets authorization
    # after accounts, it says "... and a users array" (test_token_or_user_with_accounts)
    (
        "authorization { token: t }\naccounts { A { users: [{user: a, password: a}] } }",
        "Can not have a token and accounts",
        False,
    ),
    (
        "authorization { user: x, password: y }\naccounts { A { users: [{user: a}] } }",
        "Can not have a single user/pass and accounts",
        False,
    ),
    (
        "accounts { A { exports: {stream: x} } }",
        "Exports should be an array, got map[string]interface {}",
        True,
    ),
    (
        "accounts { A { imports: {stream: x} } }",
        "Imports should be an array, got map[string]interface {}",
        True,
    ),
    (
        "accounts { A { exports: [{stream: 1}] } }",
        "Expected stream name to be string, got int64",
        True,
    ),
    (
        "accounts { A { exports: [{stream: x, service: y}] } }",
        'Detected service "y" but already saw a stream',
        False,  # nats-server walks the map in random order: either key can be "second"
    ),
    (
        "accounts { A { exports: [{service: x, response_type: bogus}] } }",
        'Unknown response type: "bogus"',
        True,
    ),
    (
        "accounts { A { exports: [{stream: x, response_type: stream}] } }",
        "Detected response directive on non-service",
        True,
    ),
    # An invalid response value on a stream export: the value's error only (a KeyError before,
    # found by the config fuzz target; nats-server 2.15.1 reports the same first).
    (
        "accounts { A { exports: [{stream: x, response_type: bogus}] } }",
        'Unknown response type: "bogus"',
        True,
    ),
    (
        "accounts { A { exports: [{stream: x, response_threshold: 5}] } }",
        "Expected response threshold to be a parseable time duration, got int64",
        True,
    ),
    (
        "accounts { A { exports: [{service: x, response: stream, response_type: single}] } }",
        "Duplicate response type definition",
        True,
    ),
    (
        "accounts { A { exports: [{service: x, response_threshold: 5}] } }",
        "Expected response threshold to be a parseable time duration, got int64",
        True,
    ),
    (
        'accounts { A { exports: [{service: x, response_threshold: "5x"}] } }',
        'Expected response threshold to be a parseable time duration, got "5x"',
        True,
    ),
    (
        "accounts { A { exports: [{stream: x, bogus: 1}] } }",
        'unknown field "bogus"',
        True,
    ),
    (
        "accounts { A { imports: [{stream: x}] } }",
        "Stream entry should be an account map, got string",
        True,
    ),
    (
        "accounts { A { imports: [{stream: {subject: x}}] } }",
        "Expect an account name and a subject",
        True,
    ),
    (
        "accounts { A { imports: [{stream: {account: A, subject: x, bogus: 1}}] } }",
        'unknown field "bogus"',
        True,
    ),
    (
        "accounts { A { imports: [{stream: {account: C, subject: x}}] } }",
        '"C" account not defined for stream import',
        True,
    ),
    (
        "accounts { A { imports: [{service: {account: C, subject: x}}] } }",
        '"C" account not defined for service import',
        True,
    ),
    (
        "accounts { A { exports: [{stream: x, accounts: [C]}] } }",
        '"C" account not defined for stream export',
        True,
    ),
    (
        "accounts { A { exports: [{service: x, accounts: [C]}] } }",
        '"C" account not defined for service export',
        True,
    ),
    ("system_account: 1", "system account name must be a string", True),
    # fastnats' own texts: what nats-server accepts and fastnats does not have
    (
        "accounts { A { limits: {max_connections: 1} } }",
        '"limits" is not supported by fastnats (account limits)',
        False,
    ),
    (
        "accounts { A { jetstream: maybe } }",
        "Expected 'enabled' or 'disabled' for string value, got 'maybe'",
        True,
    ),
    (
        "accounts { A { jetstream: 5 } }",
        "Expected map, bool or string to define JetStream, got int64",
        True,
    ),
    ("accounts { A { jetstream: {foo: 1} } }", 'unknown field "foo"', True),
    (
        "accounts { A { jetstream: {max_mem: true} } }",
        'Expected a parseable size for "max_mem", got true',
        True,
    ),
    (
        "accounts { A { jetstream: {streams: abc} } }",
        'Expected a parseable size for "streams", got abc',
        True,
    ),
    (
        "accounts { A { jetstream: {max_bytes_required: 1} } }",
        'Expected a parseable bool for "max_bytes_required", got 1',
        True,
    ),
    (
        "accounts { A { jetstream: {cluster_traffic: owner} } }",
        '"cluster_traffic" is not supported by fastnats (JetStream clustering)',
        False,
    ),
    ("accounts { A { mappings: {a: b} } }", '"mappings" is not supported by fastnats', False),
    ('accounts { A { msg_trace: "t" } }', '"msg_trace" is not supported by fastnats', False),
    ("accounts { A { nkey: x } }", '"nkey" is not supported by fastnats', False),
    (
        'accounts { A { exports: [{service: x, latency: "lat"}] } }',
        '"latency" is not supported by fastnats (service latency tracking)',
        False,
    ),
    (
        "accounts { A { exports: [{service: x}] }, B { imports: [{service: {account: A, "
        "subject: x}, share: true}] } }",
        '"share" is not supported by fastnats',
        False,
    ),
    (
        "accounts { A { exports: [{stream: x}] }, B { imports: [{stream: {account: A, "
        "subject: x}, prefix: p, to: y}] } }",
        "Stream import can not have a 'prefix' and a 'to' property",
        False,  # nats-server reports it only when it meets "to" after "prefix"
    ),
    (
        "accounts: 1",
        'invalid value for "accounts": expected a map of accounts or an array of account names',
        False,  # nats-server ignores it
    ),
]


def check_reference(tmp_path: Any, text: str) -> tuple[bool, str]:
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server")
    conf = tmp_path / "f.conf"
    conf.write_text(text + "\n")
    result = subprocess.run(
        [ref[0], "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    return result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("text", "message", "same"), ERRORS)
def test_errors(text, message, same):
    with pytest.raises(ConfigError) as info:
        server_options(text)
    assert message in str(info.value)
    assert str(info.value).startswith("f.conf:")  # with the position


@pytest.mark.parametrize(("text", "message"), [(t, m) for t, m, same in ERRORS if same])
def test_nats_server_reports_the_same_errors(tmp_path, text, message):
    ok, output = check_reference(tmp_path, text)
    assert not ok
    assert message in output


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("authorization { token: t }", "a token"),
        ("authorization { user: x, password: y }", "a single user/pass"),
    ],
)
def test_token_or_user_with_accounts(tmp_path, text, what):
    text += "\naccounts { A { users: [{nkey: " + NKEY + "}] } }"
    with pytest.raises(ConfigError, match=f"Can not have {what} and accounts"):
        server_options(text)
    ok, output = check_reference(tmp_path, text)
    assert not ok
    assert f"Can not have {what} and accounts" in output or (
        f"Can not have {what} and a users array" in output
    ), output


# Rules that need the whole picture: the engine's, run by fastnats -t as by nats-server -t.
ENGINE_ERRORS = [
    (
        "accounts { A { exports: [{stream: x, accounts: [B]}] }, B {}, "
        "C { imports: [{stream: {account: A, subject: x}}] } }",
        'Error adding stream import "x": stream import not authorized',
    ),
    (
        "accounts { A {}, C { imports: [{service: {account: A, subject: x}}] } }",
        'Error adding service import "x": service import not authorized',
    ),
    (
        "accounts { A { users: [{user: a, password: a}] }, B { users: [{user: a, password: b}] } }",
        'Duplicate user "a" detected',
    ),
]


@pytest.mark.parametrize(("text", "message"), ENGINE_ERRORS)
def test_config_check_reports_what_the_engine_checks(tmp_path, text, message):
    ok, output = check_reference(tmp_path, text)
    assert not ok and message in output, output
    conf = tmp_path / "f.conf"
    result = run(["-t", "-c", str(conf)])
    assert result.returncode == 1
    assert result.stderr.startswith("fastnats: ") and message in result.stderr, result.stderr


def test_config_check_accepts_accounts(tmp_path):
    text = MAPPED[3][0] + "\nsystem_account: B\n"
    assert check_reference(tmp_path, text)[0]
    result = run(["-t", "-c", str(tmp_path / "f.conf")])
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------------------
# Embedded: the shape Python checks (the engine checks what is inside each account)
# --------------------------------------------------------------------------------------


def test_embedded_options_are_checked_for_shape():
    accounts = {"A": {"users": [{"user": "a", "password": "a"}]}}
    checked = check_options(
        {"accounts": accounts, "system_account": "A", "no_system_account": False}
    )
    assert checked == {"accounts": accounts, "system_account": "A", "no_system_account": False}
    assert check_options({"accounts": None, "system_account": None}) == {
        "accounts": None,
        "system_account": None,
    }
    for bad in ({"accounts": 5}, {"accounts": {"A": 1}}, {"accounts": {1: {}}}):
        with pytest.raises(ValueError, match="accounts: must be a dict"):
            check_options(bad)
    with pytest.raises(ValueError, match="system_account: must be a string or None"):
        check_options({"system_account": 1})
    with pytest.raises(ValueError, match="no_system_account: must be True or False"):
        check_options({"no_system_account": "yes"})
