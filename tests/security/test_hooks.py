"""Python hooks (fastnats only): the auth hook (plain or coroutine, allow/deny, identity and
permissions, exceptions and timeouts fail closed), lifecycle events, and plugins found
through the ``fastnats.plugins`` entry points."""

from __future__ import annotations

import asyncio
import itertools
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import fastnats
import pytest
from fastnats.hooks import PluginError

from ..wire.proto import PING, PONG, dial, err, pub
from .creds import new_nkey_user
from .serve import Served, run
from .test_auth_wire import VIOLATION, accepted, attempt, connect_line, refused

pytestmark = pytest.mark.timeout(60)


def pub_violation(subject: str) -> bytes:
    return err(f'Permissions Violation for Publish to "{subject}"')


# --------------------------------------------------------------------------------------
# The auth hook
# --------------------------------------------------------------------------------------


def test_sync_hook_allows_and_denies_and_sees_the_connect(start_fastnats):
    seen: list[dict[str, Any]] = []

    def hook(info: dict[str, Any]) -> bool:
        seen.append(info)
        return info["user"] == "alice" and info["password"] == "pw"

    srv = start_fastnats(auth=hook)
    accepted(srv, user="alice", name="app-1", lang="python", version="9.9", **{"pass": "pw"})
    refused(srv, user="alice", **{"pass": "wrong"})
    refused(srv, auth_token="whatever")
    info = seen[0]
    assert info["user"] == "alice" and info["password"] == "pw"
    assert info["name"] == "app-1" and info["lang"] == "python" and info["version"] == "9.9"
    assert info["client_ip"] == "127.0.0.1" and isinstance(info["client_port"], int)
    assert info["token"] is None and info["nkey"] is None and info["nkey_verified"] is False
    assert info["jwt"] is None and info["tls_subject"] is None
    assert info["connection_type"] == "STANDARD"
    assert seen[2]["token"] == "whatever"


def test_auth_required_in_info_with_a_hook(start_fastnats):
    srv = start_fastnats(auth=lambda info: True)
    with dial(srv.address) as c:
        info = c.read_info()
    assert info["auth_required"] is True
    assert info["nonce"]  # so that nkey clients can prove their key to the hook


def test_coroutine_hook(start_fastnats):
    async def hook(info: dict[str, Any]) -> bool:
        await asyncio.sleep(0.01)
        return info["token"] == "t0k"

    srv = start_fastnats(auth=hook)
    accepted(srv, auth_token="t0k")
    refused(srv, auth_token="nope")


def test_hook_decides_alone_over_built_in_authorization(start_fastnats):
    srv = start_fastnats(auth=lambda info: info["user"] == "hooked", authorization={"token": "t"})
    accepted(srv, user="hooked")
    refused(srv, auth_token="t")


@pytest.mark.parametrize("shape", ["AuthResult", "dict"])
def test_hook_identity_and_permissions_are_enforced(start_fastnats, shape):
    perms = {"publish": ["orders.>"], "subscribe": {"deny": "audit"}}

    def hook(info: dict[str, Any]) -> Any:
        if info["user"] != "alice":
            return fastnats.AuthResult.deny() if shape == "AuthResult" else None
        if shape == "AuthResult":
            return fastnats.AuthResult.allow(user="alice@corp", permissions=perms)
        return {"user": "alice@corp", "permissions": perms}

    srv = start_fastnats(auth=hook)
    refused(srv, user="mallory")
    with attempt(srv, user="alice") as c:
        c.expect(PONG)
        c.send(pub("orders.new", b"1") + pub("payroll", b"2") + b"SUB audit 1\r\n" + PING)
        c.expect(
            pub_violation("payroll")
            + err('Permissions Violation for Subscription to "audit"')
            + PONG
        )
        conns = srv.native.connz(auth=True)["connections"]
    assert [x.get("authorized_user") for x in conns] == ["alice@corp"]


def test_hook_allow_true_means_unrestricted(start_fastnats):
    srv = start_fastnats(auth=lambda info: True)
    with attempt(srv) as c:
        c.expect(PONG)
        c.send(pub("anything", b"") + b"SUB > 1\r\n" + PING)
        c.expect(PONG)


def test_hook_sees_verified_nkeys(start_fastnats):
    user = new_nkey_user()
    seen: list[tuple[str | None, bool]] = []

    def hook(info: dict[str, Any]) -> bool:
        seen.append((info["nkey"], info["nkey_verified"]))
        return bool(info["nkey_verified"]) and info["nkey"] == user.public

    srv = start_fastnats(auth=hook)
    for sign, ok in ((user.sign, True), (lambda n: user.sign(n + "x"), False)):
        with dial(srv.address) as c:
            nonce = c.read_info()["nonce"]
            c.send(connect_line(nkey=user.public, sig=sign(nonce)) + b"\r\n" + PING)
            if ok:
                c.expect(PONG)
            else:
                c.expect_err_and_close(VIOLATION)
    assert seen == [(user.public, True), (user.public, False)]


def test_hook_that_raises_denies(start_fastnats):
    def hook(info: dict[str, Any]) -> bool:
        raise RuntimeError("database is down")

    srv = start_fastnats(auth=hook)
    refused(srv, user="alice", **{"pass": "pw"})
    refused(srv)  # every time: fail closed


def test_hook_returning_nonsense_denies(start_fastnats):
    srv = start_fastnats(auth=lambda info: "yes")
    refused(srv)


@pytest.mark.parametrize("kind", ["sync", "coroutine"])
def test_hook_slower_than_the_auth_timeout_denies(start_fastnats, kind):
    release = threading.Event()

    def slow(info: dict[str, Any]) -> bool:
        release.wait(5)
        return True

    async def slow_coro(info: dict[str, Any]) -> bool:
        await asyncio.sleep(5)
        return True

    srv = start_fastnats(auth=slow if kind == "sync" else slow_coro, authorization={"timeout": 0.5})
    try:
        with dial(srv.address) as c:
            c.read_info()
            c.send(connect_line() + b"\r\n" + PING)
            # The timeout, not the hook (5 s), decides: the Rust test
            # auth::an_authenticator_slower_than_the_auth_timeout_is_a_violation.
            c.expect_err_and_close(VIOLATION, timeout=4)
    finally:
        release.set()


def test_a_hook_failure_is_logged_with_its_traceback(tmp_path):
    (tmp_path / "failing_hook.py").write_text(
        textwrap.dedent(
            """
            def check_db(info):
                raise ConnectionError("database is down")

            def hook(info):
                return check_db(info)
            """
        )
    )
    with Served(["--auth_hook", "failing_hook:hook"], paths=[tmp_path]) as s:
        with attempt(s, user="alice", **{"pass": "secret-pw"}) as c:
            c.expect_err_and_close(VIOLATION)
        s.expect(r"\[ERR\] .*auth hook failed \(client denied\)")
        s.expect(r'failing_hook\.py", line \d+, in check_db')
        s.expect(r"ConnectionError: database is down")
    assert "secret-pw" not in s.log()  # secrets stay out of the log


def test_auth_hook_from_a_config_file(tmp_path):
    (tmp_path / "conf_hook.py").write_text("def hook(info):\n    return info['user'] == 'cfg'\n")
    conf = tmp_path / "server.conf"
    conf.write_text('auth_hook: "conf_hook:hook"\n')
    with Served(["-c", str(conf)], paths=[tmp_path]) as s:
        accepted(s, user="cfg")
        refused(s, user="other")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:hook", "ModuleNotFoundError: No module named 'no_such_module_xyz'"),
        ("os:no_such_attr", "AttributeError"),
        ("os", "is not of the form module:attribute"),
        ("os:sep", "is not callable"),
    ],
)
def test_an_unusable_auth_hook_stops_startup_with_one_line(spec, message):
    result = run(["serve", "-p", "-1", "--auth_hook", spec])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f'fastnats: auth_hook "{spec}": ')
    assert message in lines[0]


# --------------------------------------------------------------------------------------
# Lifecycle events
# --------------------------------------------------------------------------------------


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_on_connect_and_on_disconnect(start_fastnats):
    connected: list[dict[str, Any]] = []
    disconnected: list[dict[str, Any]] = []
    srv = start_fastnats(
        authorization={"users": [{"user": "alice", "password": "pw"}]},
        on_connect=connected.append,
        on_disconnect=disconnected.append,
    )
    with attempt(srv, user="alice", name="svc", lang="python", **{"pass": "pw"}) as c:
        c.expect(PONG)
        wait_for(lambda: connected)
    wait_for(lambda: disconnected)
    event = connected[0]
    assert event["user"] == "alice" and event["name"] == "svc" and event["lang"] == "python"
    assert event["client_ip"] == "127.0.0.1" and isinstance(event["cid"], int)
    assert disconnected[0]["cid"] == event["cid"]
    assert disconnected[0]["reason"] == "Client Closed"
    refused(srv, user="alice", **{"pass": "bad"})  # a refused client never connected
    time.sleep(0.2)
    assert len(connected) == 1 and len(disconnected) == 1


def test_disconnect_reason_on_server_shutdown(start_fastnats):
    disconnected: list[dict[str, Any]] = []
    srv = start_fastnats(on_disconnect=disconnected.append)
    c = attempt(srv)
    c.expect(PONG)
    srv.stop()
    c.close()
    wait_for(lambda: disconnected)
    assert disconnected[0]["reason"] == "Server Shutdown"


def test_slow_lifecycle_hooks_do_not_hold_up_traffic(start_fastnats):
    release = threading.Event()

    def slow(event: dict[str, Any]) -> None:
        release.wait(5)

    srv = start_fastnats(on_connect=slow)
    try:
        t0 = time.monotonic()
        with attempt(srv) as c:
            c.expect(PONG)
            c.send(b"SUB x 1\r\n" + pub("x", b"hi") + PING)
            c.expect(b"MSG x 1 2\r\nhi\r\n" + PONG)
        assert time.monotonic() - t0 < 2.0
    finally:
        release.set()


async def test_async_lifecycle_hooks(start_fastnats):
    got: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def on_connect(event: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        loop.call_soon_threadsafe(got.put_nowait, event)

    srv = start_fastnats(on_connect=on_connect)
    with attempt(srv, name="async-client") as c:
        c.expect(PONG)
        event = await asyncio.wait_for(got.get(), 5)
    assert event["name"] == "async-client"


# --------------------------------------------------------------------------------------
# Plugins (entry points)
# --------------------------------------------------------------------------------------

_counter = itertools.count()


def make_plugin_dist(root: Path, plugins: dict[str, str], body: str) -> str:
    """A minimal installed distribution under ``root``: a module with ``body`` and a
    ``.dist-info`` whose ``entry_points.txt`` maps each name in ``plugins`` to one of its
    functions. Returns the (unique) module name."""
    module = f"fastnats_test_plugin_{next(_counter)}_{root.name[-8:]}".replace("-", "_")
    (root / f"{module}.py").write_text(textwrap.dedent(body))
    dist = root / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    entries = "".join(f"{name} = {module}:{fn}\n" for name, fn in plugins.items())
    (dist / "entry_points.txt").write_text(f"[fastnats.plugins]\n{entries}")
    return module


PLUGIN = """
    import fastnats

    EVENTS = []

    def register(ctx):
        def hook(info):
            if info["token"] == "plugin-token":
                return fastnats.AuthResult.allow(user="from-plugin")
            return False
        ctx.add_auth_hook(hook)
        ctx.add_on_connect(EVENTS.append)

    def broken(ctx):
        raise ImportError("needs a library that is not installed")
"""


def test_a_plugin_registers_hooks(start_fastnats, tmp_path, monkeypatch):
    module = make_plugin_dist(tmp_path, {"token-plugin": "register"}, PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    srv = start_fastnats(plugins=["token-plugin"])
    with attempt(srv, auth_token="plugin-token") as c:
        c.expect(PONG)
        conns = srv.native.connz(auth=True)["connections"]
        assert conns[0]["authorized_user"] == "from-plugin"
    refused(srv, auth_token="other")
    import importlib

    events = importlib.import_module(module).EVENTS
    wait_for(lambda: events)
    assert events[0]["user"] == "from-plugin"


def test_a_missing_plugin_fails_startup(tmp_path, monkeypatch):
    make_plugin_dist(tmp_path, {"present": "register"}, PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        PluginError, match=r'plugin "absent" not found \(fastnats.plugins: .*present'
    ):
        fastnats.Server(port=0, plugins=["absent"])


def test_a_broken_plugin_fails_startup(tmp_path, monkeypatch):
    make_plugin_dist(tmp_path, {"broken": "broken"}, PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match=r'plugin "broken" failed to load: ImportError'):
        fastnats.Server(port=0, plugins=["broken"])


def test_plugins_from_the_command_line_and_config(tmp_path):
    make_plugin_dist(tmp_path, {"token-plugin": "register"}, PLUGIN)
    with Served(["--plugin", "token-plugin"], paths=[tmp_path]) as s:
        accepted(s, auth_token="plugin-token")
        refused(s, auth_token="other")
    conf = tmp_path / "plugins.conf"
    conf.write_text("plugins: [token-plugin]\n")
    with Served(["-c", str(conf)], paths=[tmp_path]) as s:
        accepted(s, auth_token="plugin-token")


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("absent", 'fastnats: plugin "absent" not found (fastnats.plugins: '),
        ("broken", 'fastnats: plugin "broken" failed to load: ImportError('),
    ],
)
def test_a_bad_plugin_on_the_command_line_is_one_line_and_exit_1(tmp_path, plugin, message):
    make_plugin_dist(tmp_path, {"broken": "broken"}, PLUGIN)
    result = run(["serve", "-p", "-1", "--plugin", plugin], paths=[tmp_path])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message), lines[0]


def test_the_hook_places_a_client_in_an_account_and_events_name_it(start_fastnats):
    connected: list[dict[str, Any]] = []

    def hook(info: dict[str, Any]) -> fastnats.AuthResult:
        return fastnats.AuthResult.allow(user=info["user"], account=info["user"].upper())

    srv = start_fastnats(
        auth=hook,
        accounts={"A": {}, "B": {}},
        on_connect=connected.append,
    )
    with attempt(srv, user="a") as a, attempt(srv, user="b") as b:
        a.expect(PONG)
        b.expect(PONG)
        a.send(b"SUB x 1\r\n" + PING)
        a.expect(PONG)
        b.send(b"SUB x 1\r\n" + PING)
        b.expect(PONG)
        # A's message stays in A: its own subscriber gets it, B's does not.
        a.send(pub("x", b"only-a") + PING)
        a.expect(b"MSG x 1 6\r\nonly-a\r\n" + PONG)
        b.send(PING)
        b.expect(PONG)
        wait_for(lambda: len(connected) == 2)
    assert sorted(e["account"] for e in connected) == ["A", "B"]
    # An account the server does not have denies the client.
    srv.stop()
    srv = start_fastnats(auth=lambda info: fastnats.AuthResult.allow(account="NOPE"))
    refused(srv)
