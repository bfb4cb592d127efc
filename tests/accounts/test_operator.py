"""Operator (JWT) mode side by side: the same config file (``operator``, ``resolver:
MEMORY``, ``resolver_preload``) served by fastnats and by nats-server, clients connecting
with ``.creds`` files through nats-py (JWTs from ``jwtgen.py``), or with raw CONNECTs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastnats
import nats
import pytest
from fastnats.conf import config_from_dict, loads

from ..conftest import RunningServer, start_fastnats_server, start_reference_server
from . import jwtgen
from .clients import connect_creds as connect
from .clients import monitoring, sync
from .jwtgen import write_creds

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0
FIXTURES = jwtgen.fixtures()
OP = jwtgen.key("operator", "op")
LIMITED = jwtgen.key("account", "limited-conn")
SYSTEM = jwtgen.key("account", "system")
LIMITED_USER = jwtgen.key("user", "limited-conn")
PERM_USER = jwtgen.key("user", "perm")
BEARER_USER = jwtgen.key("user", "bearer")
WHOAMI_USER = jwtgen.key("user", "whoami")
TMPL = jwtgen.key("account", "templated")
TMPL_SCOPED = jwtgen.key("account", "templated-scoped")
TMPL_STRICT = jwtgen.key("account", "templated-strict")
TMPL_USER = jwtgen.key("user", "templated")
TEMPLATE_SUBJECTS = ["user.{{name()}}.>", "team.{{tag(team)}}", "region.{{account-tag(region)}}"]


def templated_account() -> str:
    """An account with two scoped keys: one whose template derives subjects from the user's
    name and tags and the account's tags, one denying a tag that users lack."""
    template = {
        "pub": {"allow": TEMPLATE_SUBJECTS},
        "sub": {"allow": [*TEMPLATE_SUBJECTS, "_INBOX.>"]},
    }
    strict = {"pub": {"deny": ["no.{{tag(missing)}}"]}}
    return jwtgen.account_jwt(
        TMPL,
        OP,
        "templated",
        tags=["region:eu"],
        signing_keys=[
            {"kind": "user_scope", "key": TMPL_SCOPED.public, "role": "t", "template": template},
            {"kind": "user_scope", "key": TMPL_STRICT.public, "role": "s", "template": strict},
        ],
    )


def operator_config(tmp_path: Path, extra: str = "", *, system: bool = False) -> str:
    """The fixture operator and accounts; with ``system``, the operator names ``SYSTEM``
    its system account (preloaded too)."""
    op_file = tmp_path / "operator.jwt"
    operator = FIXTURES["operator"]
    preload = [(FIXTURES["account_pub"], FIXTURES["account"])]
    if system:
        operator = jwtgen.operator_jwt(OP, "fixture-op", system_account=SYSTEM.public)
        preload.append((SYSTEM.public, jwtgen.account_jwt(SYSTEM, OP, "SYS")))
    op_file.write_text(jwtgen.decorate(operator, "operator"))
    limits = dict(jwtgen.UNLIMITED_ACCOUNT, conn=1)
    preload.append((LIMITED.public, jwtgen.account_jwt(LIMITED, OP, "limited", limits=limits)))
    preload.append((TMPL.public, templated_account()))
    return "\n".join(
        [
            f'operator: "{op_file}"',
            "resolver: MEMORY",
            "resolver_preload: {",
            *(f'  {key}: "{token}"' for key, token in preload),
            "}",
            extra,
        ]
    )


@pytest.fixture(params=["fastnats", "nats-server"])
def start_op(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], RunningServer]]:
    started: list[RunningServer] = []

    def start(text: str) -> RunningServer:
        if request.param == "fastnats":
            config = config_from_dict(loads(text, str(tmp_path / "f.conf"), env={}))
            options = dict(config.server)
            if "http_port" in config.misc:  # the runner's option: the engine's here
                options["http_port"] = config.misc["http_port"]
            srv = start_fastnats_server(**options)
        else:
            srv = start_reference_server(tmp_path, raw_config=text)
        started.append(srv)
        return srv

    yield start
    for srv in reversed(started):
        srv.stop()


@pytest.fixture
def op_server(start_op: Callable[[str], RunningServer], tmp_path: Path) -> RunningServer:
    return start_op(operator_config(tmp_path))


async def refused(srv: RunningServer, creds: str) -> str:
    with pytest.raises(Exception) as info:
        await connect(srv, creds)
    return str(info.value)


async def raw_connect(srv: RunningServer, connect: dict[str, Any]) -> bytes:
    """INFO, then ``CONNECT connect`` and PING; what the server answers (until PONG or EOF)."""
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    try:
        info = json.loads((await reader.readline())[5:])
        assert info["auth_required"] is True and info["nonce"]
        writer.write(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        await writer.drain()
        out = b""
        deadline = time.monotonic() + TIMEOUT
        while b"PONG\r\n" not in out and time.monotonic() < deadline:
            chunk = await asyncio.wait_for(reader.read(4096), TIMEOUT)
            if not chunk:
                break
            out += chunk
        return out
    finally:
        writer.close()


async def test_user_connects_with_creds(op_server: RunningServer, tmp_path: Path) -> None:
    creds = write_creds(tmp_path, FIXTURES["user"], FIXTURES["user_seed"])
    nc = await connect(op_server, creds)
    try:

        async def echo(m: Any) -> None:
            await m.respond(m.data)

        await nc.subscribe("fixture.echo", cb=echo)
        reply = await nc.request("fixture.echo", b"ping", timeout=TIMEOUT)
        assert reply.data == b"ping"
    finally:
        await nc.close()


async def test_bearer_jwt_needs_no_signature(op_server: RunningServer) -> None:
    acc = jwtgen.key("account", "acc")
    token = jwtgen.user_jwt(BEARER_USER, acc, "bearer", bearer_token=True)
    assert b"PONG" in await raw_connect(op_server, {"jwt": token, "verbose": False})
    # Not a bearer token: the signature is required.
    answer = await raw_connect(op_server, {"jwt": FIXTURES["user"], "verbose": False})
    assert answer == b"-ERR 'Authorization Violation'\r\n"


async def test_user_of_an_unknown_signer_is_refused(
    op_server: RunningServer, tmp_path: Path
) -> None:
    creds = write_creds(tmp_path, FIXTURES["stranger_user"], FIXTURES["stranger_seed"])
    assert "Authorization Violation" in await refused(op_server, creds)


async def test_expired_user_is_refused(op_server: RunningServer, tmp_path: Path) -> None:
    creds = write_creds(tmp_path, FIXTURES["expired"], FIXTURES["expired_seed"])
    assert "Authorization Violation" in await refused(op_server, creds)


async def test_revoked_user_is_refused(op_server: RunningServer, tmp_path: Path) -> None:
    creds = write_creds(tmp_path, FIXTURES["revoked"], FIXTURES["revoked_seed"])
    assert "Authorization Violation" in await refused(op_server, creds)


async def test_jwt_permissions_are_enforced(op_server: RunningServer, tmp_path: Path) -> None:
    acc = jwtgen.key("account", "acc")
    token = jwtgen.user_jwt(
        PERM_USER, acc, "perm", pub={"allow": ["ok.>"]}, sub={"allow": ["ok.>", "_INBOX.>"]}
    )
    creds = write_creds(tmp_path, token, PERM_USER.seed)
    errors: list[str] = []
    nc = await connect(op_server, creds, errors)
    try:
        sub = await nc.subscribe("ok.x")
        await nc.publish("ok.x", b"yes")
        assert (await sub.next_msg(timeout=TIMEOUT)).data == b"yes"
        await nc.publish("nope.x", b"no")
        await nc.flush(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while not errors and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert any('permissions violation for publish to "nope.x"' in e.lower() for e in errors)
    finally:
        await nc.close()


async def test_scoped_key_template_placeholders(op_server: RunningServer, tmp_path: Path) -> None:
    """``{{name()}}``, ``{{tag(team)}}`` (two values: two subjects) and
    ``{{account-tag(region)}}`` become the user's subjects; others are denied."""
    token = jwtgen.user_jwt(
        TMPL_USER,
        TMPL_SCOPED,
        "alice",
        issuer_account=TMPL.public,
        unlimited=False,
        tags=["team:red", "team:blue"],
    )
    errors: list[str] = []
    nc = await connect(op_server, write_creds(tmp_path, token, TMPL_USER.seed), errors)
    try:
        allowed = ["user.alice.x", "team.red", "team.blue", "region.eu"]
        subs = [await nc.subscribe(s) for s in allowed]
        for subject in allowed:
            await nc.publish(subject, subject.encode())
        for sub, subject in zip(subs, allowed, strict=True):
            assert (await sub.next_msg(timeout=TIMEOUT)).data == subject.encode()
        for subject in ["user.bob.x", "team.green", "region.us", "team.{{tag(team)}}"]:
            await nc.publish(subject, b"no")
        await nc.subscribe("user.bob.x")
        await nc.flush(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while len(errors) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        text = "\n".join(errors).lower()
        for subject in ["user.bob.x", "team.green", "region.us", "team.{{tag(team)}}"]:
            assert f'permissions violation for publish to "{subject}"' in text
        assert 'permissions violation for subscription to "user.bob.x"' in text
    finally:
        await nc.close()


async def test_scoped_template_with_a_missing_deny_tag_refuses_the_user(
    op_server: RunningServer, tmp_path: Path
) -> None:
    token = jwtgen.user_jwt(
        TMPL_USER, TMPL_STRICT, "bob", issuer_account=TMPL.public, unlimited=False
    )
    creds = write_creds(tmp_path, token, TMPL_USER.seed)
    assert "Authorization Violation" in await refused(op_server, creds)


async def test_account_connection_limit(op_server: RunningServer, tmp_path: Path) -> None:
    token = jwtgen.user_jwt(LIMITED_USER, LIMITED, "limited")
    creds = write_creds(tmp_path, token, LIMITED_USER.seed)
    first = await connect(op_server, creds)
    try:
        assert "maximum account active connections exceeded" in await refused(op_server, creds)
    finally:
        await first.close()


async def test_connz_name_tag_is_the_account_jwt_name(
    start_op: Callable[[str], RunningServer], tmp_path: Path
) -> None:
    srv = start_op(operator_config(tmp_path, "http_port: -1"))
    token = jwtgen.user_jwt(LIMITED_USER, LIMITED, "limited-user")
    nc = await connect(srv, write_creds(tmp_path, token, LIMITED_USER.seed))
    try:
        (conn,) = monitoring(srv, "/connz?auth=1")["connections"]
        assert conn["account"] == LIMITED.public
        assert conn["authorized_user"] == LIMITED_USER.public
        assert conn["name_tag"] == "limited"  # the account JWT's name
        (plain,) = monitoring(srv, "/connz")["connections"]
        assert "name_tag" not in plain
    finally:
        await nc.close()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        closed = monitoring(srv, "/connz?state=closed&auth=1")["connections"]
        if closed:
            break
        await asyncio.sleep(0.05)
    (conn,) = closed
    assert (conn["account"], conn["name_tag"]) == (LIMITED.public, "limited")


async def test_user_info_through_the_system_import(
    start_op: Callable[[str], RunningServer], tmp_path: Path
) -> None:
    """Every JWT account imports ``$SYS.REQ.USER.INFO`` from the operator's system account."""
    srv = start_op(operator_config(tmp_path, system=True))
    acc = jwtgen.key("account", "acc")
    token = jwtgen.user_jwt(WHOAMI_USER, acc, "whoami")
    nc = await connect(srv, write_creds(tmp_path, token, WHOAMI_USER.seed))
    try:
        reply = await nc.request("$SYS.REQ.USER.INFO", b"", timeout=TIMEOUT)
    finally:
        await nc.close()
    data = json.loads(reply.data)["data"]
    assert data["user"] == WHOAMI_USER.public
    assert data["account"] == acc.public
    assert data["account_name"] == "fixture-acc"  # the account JWT's name
    assert data["user_name"] == "whoami"  # the user JWT's name
    assert list(data)[:4] == ["user", "account", "account_name", "user_name"]


async def test_name_tag_in_request_info_and_events(
    start_op: Callable[[str], RunningServer], tmp_path: Path
) -> None:
    """nats-server's ``name_tag`` means two things: a request through a system import
    carries the requester's details in ``Nats-Request-Info`` with the user JWT's name there
    (``ClientInfo.NameTag`` is the client's ``nameTag``); a connect event names the account
    JWT instead (``acc.getNameTag()``)."""
    srv = start_op(operator_config(tmp_path, system=True))
    acc = jwtgen.key("account", "acc")
    watcher = jwtgen.key("user", "sys-watcher")
    token = jwtgen.user_jwt(watcher, SYSTEM, "watcher")
    sys_nc = await connect(srv, write_creds(tmp_path, token, watcher.seed))
    try:
        requests = await sys_nc.subscribe("$SYS.REQ.USER.>")
        connects = await sys_nc.subscribe(f"$SYS.ACCOUNT.{acc.public}.CONNECT")
        await sync(sys_nc)
        token = jwtgen.user_jwt(WHOAMI_USER, acc, "whoami")
        nc = await connect(srv, write_creds(tmp_path, token, WHOAMI_USER.seed))
        try:
            await nc.request("$SYS.REQ.USER.INFO", b"", timeout=TIMEOUT)
        finally:
            await nc.close()
        msg = await requests.next_msg(timeout=TIMEOUT)
        info = json.loads(msg.headers["Nats-Request-Info"])
        assert (info["acc"], info["user"]) == (acc.public, WHOAMI_USER.public)
        assert info["name_tag"] == "whoami"  # the user JWT's name
        event = json.loads((await connects.next_msg(timeout=TIMEOUT)).data)
        assert event["client"]["name_tag"] == "fixture-acc"  # the account JWT's name
    finally:
        await sys_nc.close()


async def test_no_system_account_unless_one_is_named(
    start_op: Callable[[str], RunningServer], tmp_path: Path
) -> None:
    """Neither the config nor the operator JWT names a system account: there is none (no
    ``$SYS`` fallback), so ``$SYS.REQ.USER.INFO`` has no responders."""
    srv = start_op(operator_config(tmp_path, "http_port: -1"))
    assert "system_account" not in monitoring(srv, "/accountz")
    assert "system_account" not in monitoring(srv, "/varz")
    acc = jwtgen.key("account", "acc")
    token = jwtgen.user_jwt(WHOAMI_USER, acc, "whoami")
    nc = await connect(srv, write_creds(tmp_path, token, WHOAMI_USER.seed))
    try:
        with pytest.raises(nats.errors.NoRespondersError):
            await nc.request("$SYS.REQ.USER.INFO", b"", timeout=TIMEOUT)
    finally:
        await nc.close()


def test_operator_mode_refuses_config_accounts(
    start_op: Callable[[str], RunningServer], tmp_path: Path
) -> None:
    """nats-server's ``-t`` passes this; its start refuses it, as fastnats' config does."""
    text = operator_config(tmp_path, "accounts { A {} }")
    with pytest.raises((RuntimeError, fastnats.ConfigError)) as info:
        start_op(text)
    assert "operators do not allow Accounts to be configured directly" in str(info.value)


def test_config_maps_to_the_engine_options(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "operator: [a.jwt, b.jwt]",
            f"trusted: {OP.public}",
            'resolver: {type: full, dir: "./jwt", allow_delete: true, interval: "2m"}',
            "resolver_preload: {AXX: ey}",
        ]
    )
    server = config_from_dict(loads(text, "f.conf", env={})).server
    assert server == {
        "operator": ["a.jwt", "b.jwt"],
        "trusted_keys": [OP.public],
        "resolver": {"type": "full", "dir": "./jwt", "allow_delete": True, "interval": 120.0},
        "resolver_preload": {"AXX": "ey"},
    }
    server = config_from_dict(loads("resolver: MEMORY", "f.conf", env={})).server
    assert server == {"resolver": {"type": "memory"}}
    with pytest.raises(fastnats.ConfigError) as info:
        config_from_dict(loads("resolver: FOO", "f.conf", env={}))
    assert "error parsing account resolver, should be MEM or" in str(info.value)


def test_embedded_options(tmp_path: Path) -> None:
    srv = fastnats.Server(
        host="127.0.0.1",
        port=0,
        operator=FIXTURES["operator"],
        resolver="MEMORY",
        resolver_preload={FIXTURES["account_pub"]: FIXTURES["account"]},
    )
    srv.start()
    try:
        creds = write_creds(tmp_path, FIXTURES["user"], FIXTURES["user_seed"])

        async def go() -> None:
            nc = await nats.connect(
                f"nats://127.0.0.1:{srv.port}",
                user_credentials=creds,
                allow_reconnect=False,
                connect_timeout=TIMEOUT,
            )
            await nc.close()

        asyncio.run(go())
    finally:
        srv.stop()
    with pytest.raises(fastnats.ConfigError, match="operators require an account resolver"):
        fastnats.Server(operator=FIXTURES["operator"]).start()
