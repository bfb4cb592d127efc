"""Authorization in config files and on the command line: the ``authorization { }`` block and
``no_auth_user`` mapped onto the ``authorization`` option (errors with nats-server's texts,
checked against ``nats-server -t``), the fastnats-only ``auth_hook``/``plugins`` keys,
``--user/--pass/--auth`` laid over the file as nats-server does, and SIGHUP reloads."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fastnats.cli import UsageError, parse_args
from fastnats.conf import ConfigError, config_from_dict, loads
from fastnats.settings import SettingsError, merge_auth_flags

from ..conftest import reference_server
from ..wire.proto import PING, PONG, err
from .serve import Served, run
from .test_auth_wire import VIOLATION, accepted, attempt, refused

pytestmark = pytest.mark.timeout(60)

NKEY = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
BCRYPT = "$2a$04$abcdefghijklmnopqrstuuN1Y4c1MYu0a2m0kU6F4l6zU2g6hTz8a"


def authorization(text: str) -> Any:
    config = config_from_dict(loads(text, "f.conf", env={}))
    return config.server.get("authorization")


# --------------------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------------------

MAPPED: list[tuple[str, dict[str, Any]]] = [
    ("authorization { token: s3cr3t }", {"token": "s3cr3t"}),
    (f'authorization {{ token: "{BCRYPT}" }}', {"token": BCRYPT}),
    ("authorization { user: a, password: b }", {"user": "a", "password": "b"}),
    ("authorization { username: a, pass: b }", {"user": "a", "password": "b"}),
    ("AUTHORIZATION { USER: a, PASSWORD: b }", {"user": "a", "password": "b"}),
    ("authorization { token: t, timeout: 3 }", {"token": "t", "timeout": 3.0}),
    ("authorization { token: t, timeout: 0.5 }", {"token": "t", "timeout": 0.5}),
    ('authorization { token: t, timeout: "1500ms" }', {"token": "t", "timeout": 1.5}),
    ("authorization { token: t, timeout: 0 }", {"token": "t"}),  # 0: the default
    (
        "authorization { users: [{user: a, password: b}, {nkey: " + NKEY + "}] }",
        {"users": [{"user": "a", "password": "b"}, {"nkey": NKEY}]},
    ),
    (
        "authorization { users: [\n  {user: a, password: b, permissions: {\n"
        '    pub: "x.>", sub: {allow: ["y", "q workers"], deny: z}\n  }}\n] }',
        {
            "users": [
                {
                    "user": "a",
                    "password": "b",
                    "permissions": {
                        "publish": "x.>",
                        "subscribe": {"allow": ["y", "q workers"], "deny": "z"},
                    },
                }
            ]
        },
    ),
    (
        "authorization { users: [{user: a, password: b, authorization: {import: i, export: e}}] }",
        {
            "users": [
                {"user": "a", "password": "b", "permissions": {"publish": "i", "subscribe": "e"}}
            ]
        },
    ),
    (
        "authorization { users: [{nkey: " + NKEY + ", permission: {allow_responses: true}}] }",
        {"users": [{"nkey": NKEY, "permissions": {"allow_responses": True}}]},
    ),
    (
        "authorization { users: [{user: a, password: b, permissions: {\n"
        '  publish_allow_responses: {max_msgs: -1, ttl: "1m"}}}] }',
        {
            "users": [
                {
                    "user": "a",
                    "password": "b",
                    "permissions": {"allow_responses": {"max": -1, "expires": 60.0}},
                }
            ]
        },
    ),
    (
        "authorization { users: [{user: a, password: b, permissions: {allow_responses: false}}] }",
        {"users": [{"user": "a", "password": "b", "permissions": {}}]},
    ),
    (
        "authorization { default_permissions: {publish: [a, b]}, users: [{user: u, password: p}] }",
        {"default_permissions": {"publish": ["a", "b"]}, "users": [{"user": "u", "password": "p"}]},
    ),
    (  # "permissions" and "default_permission" are nats-server aliases of default_permissions
        "authorization { permissions: {subscribe: s}, users: [{user: u, password: p}] }",
        {"default_permissions": {"subscribe": "s"}, "users": [{"user": "u", "password": "p"}]},
    ),
    (
        "authorization { users: [{user: a, password: b}] }\nno_auth_user: a",
        {"users": [{"user": "a", "password": "b"}], "no_auth_user": "a"},
    ),
    (
        "no_auth_user: a\nauthorization { users: [{user: a, password: b}] }",
        {"users": [{"user": "a", "password": "b"}], "no_auth_user": "a"},
    ),
    (
        "authorization { users: [{user: a, password: b, allowed_connection_types: [STANDARD]}] }",
        {"users": [{"user": "a", "password": "b", "allowed_connection_types": ["STANDARD"]}]},
    ),
    (  # nats-server's aliases; a single name; upper-cased; duplicates folded
        "authorization { users: [{user: a, password: b, connection_types: websocket},\n"
        "  {user: c, password: d, clients: [Standard, WEBSOCKET, standard, mqtt_ws]},\n"
        "  {nkey: " + NKEY + ", allowed_connection_types: [LEAFNODE, leafnode_ws, IN_PROCESS]}]}",
        {
            "users": [
                {"user": "a", "password": "b", "allowed_connection_types": ["WEBSOCKET"]},
                {
                    "user": "c",
                    "password": "d",
                    "allowed_connection_types": ["STANDARD", "WEBSOCKET", "MQTT_WS"],
                },
                {
                    "nkey": NKEY,
                    "allowed_connection_types": ["LEAFNODE", "LEAFNODE_WS", "IN_PROCESS"],
                },
            ]
        },
    ),
    (  # an empty list allows every type, as no list does
        "authorization { users: [{user: a, password: b, allowed_connection_types: []}] }",
        {"users": [{"user": "a", "password": "b"}]},
    ),
    (
        "TOKEN = s3cr3t\nauthorization { token: $TOKEN }",
        {"token": "s3cr3t"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), MAPPED)
def test_authorization_mapping(text, expected):
    assert authorization(text) == expected


def test_mapped_config_builds_a_server():
    import fastnats

    for text, _ in MAPPED:
        auth = authorization(text)
        fastnats.Server(port=0, authorization=auth)  # the engine accepts what we produce


def test_fastnats_only_keys():
    config = config_from_dict(
        loads('auth_hook: "my.module:check"\nplugins: [audit, "ldap"]', "f.conf", env={})
    )
    assert config.misc == {"auth_hook": "my.module:check", "plugins": ["audit", "ldap"]}
    config = config_from_dict(loads("plugins: audit", "f.conf", env={}))
    assert config.misc == {"plugins": ["audit"]}


# --------------------------------------------------------------------------------------
# Errors (nats-server's texts where it has them)
# --------------------------------------------------------------------------------------

# (config, message, whether nats-server -t reports the same text)
ERRORS: list[tuple[str, str, bool]] = [
    ("authorization { token: x, user: a }", "Cannot have a user/pass and token", True),
    ("authorization { token: x, password: a }", "Cannot have a user/pass and token", True),
    (
        "authorization { user: a, users: [{user: b, password: c}] }",
        "Can not have a single user/pass and a users array",
        True,
    ),
    ("authorization { token: x, users: [] }", "Can not have a token and a users array", True),
    ("authorization { users: [a] }", "Expected user entry to be a map/struct, got a", True),
    ("authorization { users: [{password: a}] }", "User entry requires a user", True),
    (
        "authorization { users: [{user: a, password: b, permissions: 5}] }",
        "Expected permissions to be a map/struct, got 5",
        True,
    ),
    (
        "authorization { users: [{user: a, password: b, permissions: {publish: 5}}] }",
        "Expected subject permissions to be a subject, or array of subjects, got int64",
        True,
    ),
    (
        'authorization { users: [{user: a, password: b, permissions: {publish: {allow: "a", '
        "bogus: 1}}}] }",
        "Unknown field name \"bogus\" parsing subject permissions, only 'allow' or 'deny' are "
        "permitted",
        True,
    ),
    (
        'authorization { users: [{user: a, password: b, permissions: {pubs: "a"}}] }',
        'Unknown field "pubs" parsing permissions',
        True,
    ),
    (
        "authorization { users: [{user: a, password: b, permissions: {allow_responses: 5}}] }",
        "error parsing response permissions, expected a boolean or a map",
        True,
    ),
    (
        "authorization { users: [{user: a, password: b, permissions: "
        "{allow_responses: {expires: 5}}}] }",
        "error parsing expires, not a duration string",
        True,
    ),
    (
        "authorization { users: [{user: a, password: b, permissions: "
        '{allow_responses: {expires: "x"}}}] }',
        'error parsing expires: time: invalid duration "x"',
        True,
    ),
    ("authorization { users: [{user: a, password: b, bad: 1}] }", 'unknown field "bad"', True),
    (
        "authorization { users: [{user: a, password: b, allowed_connection_types: [foo]}] }",
        'invalid connection types ["FOO"]',
        True,
    ),
    (  # every unknown name, upper-cased, even next to a known one
        "authorization { users: [{user: a, password: b, "
        "connection_types: [websocket, foo, Bar, foo]}] }",
        'invalid connection types ["FOO" "BAR" "FOO"]',
        True,
    ),
    (
        "authorization { users: [{nkey: " + NKEY + ", clients: [x]}] }",
        'invalid connection types ["X"]',
        True,
    ),
    (
        "accounts { A { users: [{user: a, password: b, connection_types: [STANDARD, x]}] } }",
        'invalid connection types ["X"]',
        True,
    ),
    (
        "authorization { users: [{user: a, password: b, connection_types: 1}] }",
        "error parsing allowed connection types: unsupported type int64",
        True,
    ),
    (
        "authorization { users: [{user: a, password: b, connection_types: [STANDARD, true]}] }",
        "error parsing allowed connection types: unsupported type in array bool",
        True,
    ),
    (  # not an alias (fastnats took it for one before; nats-server 2.10 and 2.15 do not)
        "authorization { users: [{user: a, password: b, allowed_connections_types: [STANDARD]}] }",
        'unknown field "allowed_connections_types"',
        True,
    ),
    (  # nats-server has no account key in a user entry: users are listed in their account
        "authorization { users: [{user: a, password: b, account: A}] }",
        'unknown field "account"',
        True,
    ),
    ("authorization { token: x, bad: 1 }", 'unknown field "bad"', True),
    (
        'authorization { token: x, timeout: "x" }',
        "error parsing authorization config, 'timeout' time: invalid duration \"x\"",
        True,
    ),
    (
        "authorization { token: x, timeout: true }",
        "error parsing authorization config, 'timeout' wrong type",
        True,
    ),
    # fastnats' own texts
    (
        "authorization { users: [{nkey: " + NKEY + ", user: a}] }",
        "Nkey users do not take usernames or passwords",
        False,
    ),
    (
        "authorization { token: x, auth_callout: { issuer: x } }",
        '"auth_callout" is not supported by fastnats (auth callout)',
        False,
    ),
    (
        "authorization: 5",
        'invalid value for "authorization": expected a map, got integer 5',
        False,
    ),
    (
        "no_auth_user: 5",
        'invalid value for "no_auth_user": expected a string, got integer 5',
        False,
    ),
    (
        "auth_hook: nocolon",
        'invalid value for "auth_hook": "nocolon" is not module:attribute',
        False,
    ),
    ("plugins: [1]", 'invalid value for "plugins": expected a plugin name or an array', False),
]


@pytest.mark.parametrize(("text", "message", "same"), ERRORS)
def test_authorization_errors(text, message, same):
    with pytest.raises(ConfigError) as info:
        authorization(text)
    assert message in str(info.value)
    assert str(info.value).startswith("f.conf:")  # with the position


@pytest.mark.parametrize(("text", "message"), [(t, m) for t, m, same in ERRORS if same])
def test_nats_server_reports_the_same_errors(tmp_path, text, message):
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server")
    conf = tmp_path / "f.conf"
    conf.write_text(text + "\n")
    result = subprocess.run([ref[0], "-t", "-c", str(conf)], capture_output=True, text=True)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("authorization { users: [{nkey: UABC}] }", "Not a valid public nkey for a user"),
        (
            "authorization { users: [{user: a, password: b}, {user: a, password: c}] }",
            'Duplicate user "a" detected',
        ),
        (
            'authorization { users: [{user: a, password: b, permissions: {publish: "a..b"}}] }',
            'subject "a..b" is not a valid subject',
        ),
        (
            "authorization { users: [{user: b, password: c}] }\nno_auth_user: a",
            'no_auth_user: "a" not present as user',
        ),
    ],
)
def test_config_check_runs_the_engines_checks(tmp_path, text, message):
    conf = tmp_path / "f.conf"
    conf.write_text(text + "\n")
    result = run(["-t", "-c", str(conf)])
    assert result.returncode == 1
    assert result.stderr.startswith("fastnats: ") and message in result.stderr, result.stderr


def test_config_check_accepts_a_secured_config(tmp_path):
    conf = tmp_path / "f.conf"
    conf.write_text(
        "authorization {\n  timeout: 1\n  users: [\n    {user: a, password: b, permissions: "
        '{publish: {deny: "x.>"}, allow_responses: true}}\n    {nkey: ' + NKEY + "}\n  ]\n}\n"
        "no_auth_user: a\n"
    )
    result = run(["-t", "-c", str(conf)])
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------


def test_auth_flags_are_parsed():
    opts = parse_args(["--user", "u", "-pass=p", "--auth", "t"])
    assert opts.auth == {"user": "u", "password": "p", "token": "t"}
    assert not opts.unsupported
    assert parse_args(["--user", ""]).auth == {}  # empty: not given, as in nats-server


def test_hook_flags_are_parsed():
    opts = parse_args(["--auth_hook", "m:f", "--plugin", "a", "-plugin=b"])
    assert opts.misc == {"auth_hook": "m:f", "plugins": ["a", "b"]}
    with pytest.raises(UsageError, match="flag needs an argument: -plugin"):
        parse_args(["--plugin"])


def test_help_lists_the_auth_flags():
    out = run(["--help"]).stdout
    for flag in ("--user <user>", "--pass <password>", "--auth <token>", "--auth_hook", "--plugin"):
        assert flag in out


@pytest.mark.parametrize(
    ("file", "flags", "expected", "note"),
    [
        (None, {"user": "u", "password": "p"}, {"user": "u", "password": "p"}, None),
        ({"token": "t"}, {"token": "x"}, {"token": "x"}, None),
        ({"user": "a", "password": "b"}, {"user": "z"}, {"user": "z", "password": "b"}, None),
        ({"user": "a", "password": "b"}, {"token": "x"}, {"token": "x"}, None),
        ({"token": "t"}, {"user": "z", "password": "y"}, {"token": "t"}, "--user and --pass"),
        (
            {"users": [{"user": "a", "password": "b"}], "timeout": 1.0},
            {"user": "z", "password": "y"},
            {"users": [{"user": "a", "password": "b"}], "timeout": 1.0},
            "--user and --pass",
        ),
    ],
)
def test_merge_auth_flags(file, flags, expected, note):
    notes: list[str] = []
    assert merge_auth_flags(file, flags, notes) == expected
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith(f"{note} ignored: ")


def test_merge_auth_flags_refuses_a_token_next_to_users():
    with pytest.raises(SettingsError, match="--auth can not be combined with the users array"):
        merge_auth_flags({"users": [{"user": "a", "password": "b"}]}, {"token": "x"}, [])


# Who gets in, for the same config file and flags on both servers.
CLIENTS = {
    "none": {},
    "a/b": {"user": "a", "pass": "b"},
    "z/y": {"user": "z", "pass": "y"},
    "z/b": {"user": "z", "pass": "b"},
    "token t": {"auth_token": "t"},
    "token x": {"auth_token": "x"},
}
FLAG_CASES = [
    pytest.param(None, ["--user", "a", "--pass", "b"], {"a/b"}, id="user-pass"),
    pytest.param(None, ["--auth", "t"], {"token t"}, id="token"),
    pytest.param("authorization { token: t }", ["--auth", "x"], {"token x"}, id="token-over-token"),
    pytest.param(
        "authorization { token: t }", ["--user", "z", "--pass", "y"], {"token t"}, id="token-wins"
    ),
    pytest.param(
        "authorization { user: a, password: b }", ["--auth", "x"], {"token x"}, id="flag-token-wins"
    ),
    pytest.param(
        "authorization { user: a, password: b }", ["--user", "z"], {"z/b"}, id="user-over-user"
    ),
    pytest.param(
        "authorization { users: [{user: a, password: b}] }",
        ["--user", "z", "--pass", "y"],
        {"a/b"},
        id="users-win",
    ),
    pytest.param(
        "authorization { users: [{user: a, password: b}] }",
        ["--auth", "x"],
        {"a/b", "token x"},
        id="users-and-token",
        marks=pytest.mark.fastnats_bug(
            "a token next to a users array can not be expressed in the engine: "
            "fastnats refuses to start"
        ),
    ),
]


@pytest.mark.parametrize(("config", "flags", "admitted"), FLAG_CASES)
def test_auth_flags_over_the_config_file(server_kind, tmp_path, config, flags, admitted):
    args = list(flags)
    if config is not None:
        conf = tmp_path / "auth.conf"
        conf.write_text(config + "\n")
        args += ["-c", str(conf)]
    with Served(args, kind=server_kind) as s:
        got = set()
        for name, fields in CLIENTS.items():
            with attempt(s, **fields) as c:
                line = c.read_line()
                if line.endswith(PONG) or line == b"+OK\r\n":
                    got.add(name)
                else:
                    assert line == err(VIOLATION), line
    assert got == admitted


# --------------------------------------------------------------------------------------
# Reload (SIGHUP)
# --------------------------------------------------------------------------------------


def reload(s: Served, conf: Path, text: str) -> list[str]:
    """Rewrites the config, sends SIGHUP, returns the ``Reloaded: ...`` lines."""
    start = len(s.lines)
    conf.write_text(text + "\n")
    s.signal(signal.SIGHUP)
    s.expect("Reloaded server configuration|Failed to reload server configuration")
    return [
        line.split("Reloaded: ", 1)[1]
        for line in s.lines[start:]
        if "Reloaded: " in line and "accounts" not in line
    ]


def test_reload_swaps_credentials_for_new_connections(server_kind, tmp_path):
    conf = tmp_path / "auth.conf"
    conf.write_text('authorization { token: "first-token" }\n')
    with Served(["-c", str(conf)], kind=server_kind) as s:
        accepted(s, auth_token="first-token")
        lines = reload(s, conf, 'authorization { token: "second-token", timeout: 3 }')
        accepted(s, auth_token="second-token")
        refused(s, auth_token="first-token")
        assert "authorization token" in lines
        assert "authorization timeout = 3" in lines
        assert "first-token" not in s.log() and "second-token" not in s.log()


def test_reload_of_users_and_permissions(server_kind, tmp_path):
    conf = tmp_path / "auth.conf"
    conf.write_text("authorization { users: [{user: a, password: pw1}] }\n")
    with Served(["-c", str(conf)], kind=server_kind) as s:
        lines = reload(
            s,
            conf,
            'authorization { users: [{user: a, password: pw2, permissions: {publish: "ok"}}] }',
        )
        assert "authorization users" in lines
        refused(s, user="a", **{"pass": "pw1"})
        with attempt(s, user="a", **{"pass": "pw2"}) as c:
            c.expect(PONG)
            c.send(b"PUB nope 0\r\n\r\n" + PING)
            c.expect(err('Permissions Violation for Publish to "nope"') + PONG)
        assert "pw1" not in s.log() and "pw2" not in s.log()


def test_reload_refuses_a_changed_no_auth_user(server_kind, tmp_path):
    conf = tmp_path / "auth.conf"
    users = "authorization { users: [{user: a, password: b}, {user: c, password: d}] }\n"
    conf.write_text(users + "no_auth_user: a\n")
    with Served(["-c", str(conf)], kind=server_kind) as s:
        reload(s, conf, users + "no_auth_user: c")
        assert any(
            "config reload not supported for NoAuthUser: old=a, new=c" in line for line in s.lines
        )


def test_reload_rechecks_existing_connections(server_kind, tmp_path):
    conf = tmp_path / "auth.conf"
    conf.write_text(
        'authorization { users: [{user: a, password: b, permissions: {subscribe: ">"}}] }\n'
    )
    with Served(["-c", str(conf)], kind=server_kind) as s:
        c = attempt(s, user="a", **{"pass": "b"})
        c.expect(PONG)
        c.send(b"SUB foo 7\r\n" + PING)
        c.expect(PONG)
        reload(
            s,
            conf,
            'authorization { users: [{user: a, password: b, permissions: {subscribe: "bar"}}] }',
        )
        time.sleep(0.2)
        c.send(PING)
        c.expect(err('Permissions Violation for Subscription to "foo" (sid "7")') + PONG)
        reload(s, conf, "authorization { users: [{user: a, password: changed}] }")
        c.expect_err_and_close(VIOLATION)
        c.close()


def test_reload_refuses_changed_hooks(tmp_path):
    (tmp_path / "reload_hooks.py").write_text("def one(info):\n    return True\n")
    conf = tmp_path / "hooks.conf"
    conf.write_text('auth_hook: "reload_hooks:one"\n')
    with Served(["-c", str(conf)], paths=[tmp_path]) as s:
        reload(s, conf, 'auth_hook: "reload_hooks:two"')
        assert any(
            "config reload not supported for auth_hook: old=reload_hooks:one, "
            "new=reload_hooks:two" in line
            for line in s.lines
        )
        accepted(s)  # the old hook still decides


@pytest.mark.parametrize(
    "text",
    [
        "authorization { users: [{user: a, password: b, allowed_connection_types: [foo]}] }",
        "authorization { users: [{user: a, password: b, connection_types: 1}] }",
        "authorization { users: [{user: a, password: b, connection_types: [1, STANDARD]}] }",
        "accounts { A { users: [{user: a, password: b, clients: [STANDARD, x, y]}] } }",
    ],
)
def test_connection_type_errors_match_nats_server_with_position(tmp_path, text):
    """``file:line:col: message`` byte for byte: the key for a bad list, the element for a
    bad array entry."""
    ref = reference_server()
    if ref is None:
        pytest.skip("no reference nats-server")
    conf = tmp_path / "f.conf"
    conf.write_text("listen: 127.0.0.1:-1\n" + text + "\n")
    theirs = subprocess.run([ref[0], "-t", "-c", str(conf)], capture_output=True, text=True)
    ours = run(["-t", "-c", str(conf)])
    assert theirs.returncode != 0 and ours.returncode == 1
    their_line = (theirs.stderr + theirs.stdout).splitlines()[0]
    assert their_line.startswith("nats-server: "), their_line
    assert ours.stderr.splitlines()[0] == "fastnats: " + their_line.removeprefix("nats-server: ")


def test_embedded_allowed_connection_types():
    """The ``authorization`` option takes a name or a list (any case); an unknown name is
    nats-server's ``validateAuth`` error."""
    import fastnats

    for types in (["WEBSOCKET", "standard"], "websocket", []):
        user = {"user": "a", "password": "b", "allowed_connection_types": types}
        fastnats.Server(port=0, authorization={"users": [user]})
    for types, bad in ((["STANDARD", "foo"], "foo"), ("Tcp", "Tcp")):
        user = {"user": "a", "password": "b", "allowed_connection_types": types}
        with pytest.raises(fastnats.ConfigError, match=f'unknown connection type "{bad}"'):
            fastnats.Server(port=0, authorization={"users": [user]})
    nkey = {"nkey": NKEY, "allowed_connection_types": ["MQTT", "x"]}
    with pytest.raises(fastnats.ConfigError, match='unknown connection type "x"'):
        fastnats.Server(port=0, authorization={"users": [nkey]})
    account = {"users": [{"user": "a", "password": "b", "allowed_connection_types": ["y"]}]}
    with pytest.raises(fastnats.ConfigError, match='unknown connection type "y"'):
        fastnats.Server(port=0, accounts={"A": account})
