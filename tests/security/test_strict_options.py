"""Typos in the embedded options are refused, never ignored (issue 10).

An ignored key in ``authorization`` can leave a server open (``userz``), a user unrestricted
(``publsh``) or everyone locked out (``pasword``). Each typo is a ``fastnats.ConfigError``
(also a ``ValueError``) when the server is built, naming the key and where it was found; a
hook that is not callable is a ``TypeError`` naming the parameter. nats-server's forms keep
working."""

from __future__ import annotations

import errno
import socket
import textwrap
import threading
from types import SimpleNamespace
from typing import Any

import fastnats
import fastnats.errors
import fastnats.hooks
import pytest

from ..wire.proto import PING, PONG, err, pub
from .serve import Served
from .test_auth_wire import VIOLATION, accepted, attempt, refused
from .test_hooks import make_plugin_dist

pytestmark = pytest.mark.timeout(60)

HOST = "127.0.0.1"


def refused_with(message: str, **options: Any) -> None:
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(host=HOST, port=0, **options)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, fastnats.FastNatsError)
    assert str(info.value) == message


def user(**fields: Any) -> dict[str, Any]:
    return {"user": "a", "password": "b", **fields}


# --------------------------------------------------------------------------------------
# Each typo, with the path in the message
# --------------------------------------------------------------------------------------


def test_users_typo_would_open_the_server():
    refused_with(
        'authorization: unknown key "userz"',
        authorization={"userz": [user()]},
    )


def test_permissions_typo_would_leave_the_user_unrestricted():
    refused_with(
        'authorization.users[0].permissions: unknown key "publsh"',
        authorization={"users": [user(permissions={"publsh": "x"})]},
    )


def test_default_permissions_typo():
    refused_with(
        'authorization.default_permissions: unknown key "publsh"',
        authorization={"users": [user()], "default_permissions": {"publsh": "x"}},
    )


def test_password_typo_would_lock_everyone_out():
    refused_with(
        'authorization: unknown key "pasword"',
        authorization={"user": "a", "pasword": "b"},
    )
    refused_with(
        'authorization.users[1]: unknown key "pasword"',
        authorization={"users": [user(), {"user": "c", "pasword": "d"}]},
    )


def test_allow_responses_typo():
    refused_with(
        'authorization.users[0].permissions.allow_responses: unknown key "expire"',
        authorization={"users": [user(permissions={"allow_responses": {"max": 1, "expire": 5}})]},
    )


def test_subject_permission_typo():
    refused_with(
        'authorization.users[0].permissions.subscribe: unknown key "dney"',
        authorization={"users": [user(permissions={"subscribe": {"dney": "x"}})]},
    )


def test_tls_typo():
    refused_with(
        'tls: unknown key "verfy"',
        tls={"cert_file": "cert.pem", "key_file": "key.pem", "verfy": True},
    )


def test_tls_checks_made_in_python_raise_the_same_class():
    tls = {"cert_file": "c.pem", "key_file": "k.pem"}
    refused_with("tls timeout -1 is negative", tls={**tls, "timeout": -1})
    refused_with('tls.timeout: time: invalid duration "xx"', tls={**tls, "timeout": "xx"})


def test_wrong_value_types_name_the_path():
    with pytest.raises(fastnats.ConfigError, match=r"^authorization\.users\[0\]\.permissions"):
        fastnats.Server(host=HOST, port=0, authorization={"users": [user(permissions=["x"])]})
    with pytest.raises(fastnats.ConfigError, match=r"^tls\.verify: invalid type"):
        fastnats.Server(
            host=HOST, port=0, tls={"cert_file": "c.pem", "key_file": "k.pem", "verify": "no"}
        )


def test_unknown_top_level_keyword_is_still_a_type_error():
    with pytest.raises(TypeError, match="authorisation"):
        fastnats.Server(host=HOST, port=0, authorisation={"token": "t"})


def test_reload_refuses_a_typo_and_keeps_the_old_config():
    with fastnats.Server(host=HOST, port=0, authorization={"token": "t"}) as srv:
        with pytest.raises(fastnats.ConfigError, match='authorization: unknown key "tokn"'):
            srv.reload(host=HOST, port=0, authorization={"tokn": "u"})
        assert srv.config()["authorization"]["token"] == "t"


# --------------------------------------------------------------------------------------
# Auth hooks
# --------------------------------------------------------------------------------------


def test_auth_result_with_a_typo_is_refused_where_it_is_written():
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.AuthResult.allow(user="x", permissions={"publsh": "a.>"})
    assert isinstance(info.value, ValueError)
    assert str(info.value) == 'permissions: unknown key "publsh"'
    with pytest.raises(fastnats.ConfigError, match="permissions.allow_responses"):
        fastnats.AuthResult.allow(permissions={"allow_responses": {"maxx": 1}})
    with pytest.raises(fastnats.ConfigError, match='subject "a..b" is not a valid subject'):
        fastnats.AuthResult.allow(permissions={"publish": "a..b"})
    # nats-server's forms are fine
    fastnats.AuthResult.allow(
        permissions={
            "publish": "a.>",
            "subscribe": {"allow": ["b", "c q"], "deny": "b.secret"},
            "allow_responses": {"max": -1, "expires": 1.5},
        }
    )


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"auth": "alice"}, "auth"),
        ({"on_connect": 5}, "on_connect"),
        ({"on_disconnect": object()}, "on_disconnect"),
    ],
)
def test_hooks_that_are_not_callable(options, parameter):
    with pytest.raises(TypeError) as info:
        fastnats.Server(host=HOST, port=0, **options)
    assert str(info.value).startswith(f"{parameter} must be callable, not ")


def test_plugin_context_refuses_what_is_not_callable():
    ctx = fastnats.PluginContext()
    for add in (ctx.add_auth_hook, ctx.add_on_connect, ctx.add_on_disconnect):
        with pytest.raises(TypeError, match=rf"{add.__name__}\(hook\) must be callable, not str"):
            add("nope")  # type: ignore[arg-type]
    assert not ctx.auth_hooks and not ctx.on_connect and not ctx.on_disconnect


NOT_CALLABLE_PLUGIN = """
    def register(ctx):
        ctx.add_on_connect("print")
"""


def test_a_plugin_registering_what_is_not_callable(tmp_path, monkeypatch):
    make_plugin_dist(tmp_path, {"sloppy": "register"}, NOT_CALLABLE_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError) as info:
        fastnats.Server(host=HOST, port=0, plugins=["sloppy"])
    assert str(info.value) == 'plugin "sloppy": add_on_connect(hook) must be callable, not str'


def test_plugin_error_is_the_one_class():
    assert fastnats.hooks.PluginError is fastnats.PluginError is fastnats.errors.PluginError
    assert issubclass(fastnats.PluginError, RuntimeError)
    assert issubclass(fastnats.PluginError, fastnats.FastNatsError)


def test_a_hook_returning_a_dict_with_a_typo_denies_and_logs(tmp_path):
    (tmp_path / "typo_hook.py").write_text(
        textwrap.dedent(
            """
            def hook(info):
                return {"user": info["user"], "permissions": {"publsh": "a.>"}}
            """
        )
    )
    with Served(["--auth_hook", "typo_hook:hook"], paths=[tmp_path]) as s:
        with attempt(s, user="alice") as c:
            c.expect_err_and_close(VIOLATION)
        s.expect(r'\[ERR\] auth hook failed \(client denied\): .*permissions: unknown key "publsh"')


def test_a_hook_dict_is_read_by_the_engine(start_fastnats):
    srv = start_fastnats(auth=lambda info: {"user": "x", "permissions": {"publish": "ok"}})
    with attempt(srv, user="x") as c:
        c.expect(PONG)
        c.send(pub("ok", b"1") + pub("no", b"2") + PING)
        c.expect(err('Permissions Violation for Publish to "no"') + PONG)
    bad = start_fastnats(auth=lambda info: {"usr": "x"})
    refused(bad, user="x")


def test_coroutine_hooks_loop_thread_is_joined_on_stop():
    async def hook(info: dict[str, Any]) -> bool:
        return True

    def loop_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "fastnats-hooks"]

    before = len(loop_threads())
    srv = fastnats.Server(host=HOST, port=0, auth=hook).start()
    try:
        accepted(srv_address(srv))
        assert len(loop_threads()) == before + 1
    finally:
        srv.stop()
    assert len(loop_threads()) == before
    # started again, a coroutine hook gets a new loop
    srv.start()
    try:
        accepted(srv_address(srv))
    finally:
        srv.stop()
    assert len(loop_threads()) == before


def srv_address(srv: fastnats.Server) -> Any:
    return SimpleNamespace(address=(HOST, srv.port))


# --------------------------------------------------------------------------------------
# nats-server's forms still work
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("a.>", {"allow": ["a.>"], "deny": []}),
        (["a", "b.c"], {"allow": ["a", "b.c"], "deny": []}),
        ({"allow": "a", "deny": ["x", "y"]}, {"allow": ["a"], "deny": ["x", "y"]}),
        ({"deny": "x"}, {"allow": [], "deny": ["x"]}),
    ],
)
def test_subject_permission_forms(written, read):
    srv = fastnats.Server(
        host=HOST, port=0, authorization={"users": [user(permissions={"publish": written})]}
    )
    assert srv.config()["authorization"]["users"][0]["permissions"] == {"publish": read}


@pytest.mark.parametrize(
    ("written", "read"),
    [
        (True, {"max": 1, "expires": 120.0}),
        ({"max": 5, "expires": 1.5}, {"max": 5, "expires": 1.5}),
        ({}, {"max": 1, "expires": 120.0}),  # 0 / absent: the defaults
        ({"max": -1, "expires": -1}, {"max": -1, "expires": -1.0}),  # no limit
    ],
)
def test_allow_responses_forms(written, read):
    srv = fastnats.Server(
        host=HOST,
        port=0,
        authorization={"users": [user(permissions={"allow_responses": written})]},
    )
    config = srv.config()["authorization"]
    assert config["users"][0]["permissions"] == {"allow_responses": read}
    # what config() shows reads back the same
    again = fastnats.Server(host=HOST, port=0, authorization=config)
    assert again.config()["authorization"] == config


def test_allow_responses_false_is_none():
    srv = fastnats.Server(
        host=HOST,
        port=0,
        authorization={"users": [user(permissions={"allow_responses": False})]},
    )
    assert srv.config()["authorization"]["users"][0]["permissions"] == {}


def test_users_entries_and_the_pass_alias(start_fastnats):
    nkey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
    srv = start_fastnats(
        authorization={"users": [{"user": "a", "pass": "b"}, {"nkey": nkey}], "timeout": 0}
    )
    auth = srv.native.config()["authorization"]
    assert auth["users"] == [{"user": "a", "password": "b"}, {"nkey": nkey}]
    assert auth["timeout"] == 2.0  # 0: the default, as in nats-server
    accepted(srv, user="a", **{"pass": "b"})
    refused(srv, user="a", **{"pass": "x"})


# --------------------------------------------------------------------------------------
# Bind errors
# --------------------------------------------------------------------------------------


def test_bind_error_has_errno_and_names_the_address():
    with socket.socket() as blocker:
        blocker.bind((HOST, 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        srv = fastnats.Server(host=HOST, port=port)
        with pytest.raises(fastnats.BindError) as info:
            srv.start()
    assert isinstance(info.value, OSError)
    assert info.value.errno == errno.EADDRINUSE
    assert f"can not listen on {HOST}:{port}" in str(info.value)
