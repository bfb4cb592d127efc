"""``jwtgen.py`` proven against the real nats-server in operator mode (``resolver: MEMORY``
with ``resolver_preload``), through nats-py and ``.creds`` files; and the fixture JWTs pasted
into ``rust/server/src/jwt/tests.rs`` proven current.

A tool test: it runs against the reference nats-server only, and skips without one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import RunningServer, start_reference_server
from . import jwtgen
from .clients import connect_creds as connect
from .jwtgen import write_creds

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 5.0
RUST_TESTS = Path(__file__).resolve().parents[2] / "rust" / "server" / "src" / "jwt" / "tests.rs"

FIXTURES = jwtgen.fixtures()
# An account JWT without "limits": every limit is 0 to nats-server, connections included.
NO_LIMITS_ACCOUNT = jwtgen.key("account", "no-limits")
NO_LIMITS_USER = jwtgen.key("user", "no-limits")


@pytest.fixture
def operator_server(tmp_path: Path) -> Iterator[RunningServer]:
    op_file = tmp_path / "operator.jwt"
    op_file.write_text(jwtgen.decorate(FIXTURES["operator"], "operator"))
    no_limits = jwtgen.account_jwt(NO_LIMITS_ACCOUNT, jwtgen.key("operator", "op"), limits={})
    raw = "\n".join(
        [
            "debug: true",
            f'operator: "{op_file}"',
            "resolver: MEMORY",
            "resolver_preload: {",
            f'  {FIXTURES["account_pub"]}: "{FIXTURES["account"]}"',
            f'  {NO_LIMITS_ACCOUNT.public}: "{no_limits}"',
            "}",
        ]
    )
    srv = start_reference_server(tmp_path, raw_config=raw)
    try:
        yield srv
    finally:
        srv.stop()


async def roundtrip(nc: Any, subject: str) -> None:
    async def echo(m: Any) -> None:
        await m.respond(m.data)

    await nc.subscribe(subject, cb=echo)
    reply = await nc.request(subject, b"ping", timeout=TIMEOUT)
    assert reply.data == b"ping"


async def refused(srv: RunningServer, creds: str) -> str:
    """Connects expecting a refusal; returns the error text."""
    with pytest.raises(Exception) as info:
        await connect(srv, creds)
    return str(info.value)


def wait_for_log(srv: RunningServer, pattern: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if any(re.search(pattern, line) for line in srv.log):
            return
        time.sleep(0.05)
    raise AssertionError(f"no {pattern!r} in the log:\n" + "\n".join(srv.log[-20:]))


async def test_user_connects_with_creds(operator_server: RunningServer, tmp_path: Path) -> None:
    creds = write_creds(tmp_path, FIXTURES["user"], FIXTURES["user_seed"])
    nc = await connect(operator_server, creds)
    try:
        await roundtrip(nc, "fixture.echo")
    finally:
        await nc.close()
    wait_for_log(operator_server, r'Authenticated JWT: Client "U.*claim-name: "fixture-user"')


async def test_scoped_user_gets_the_template(
    operator_server: RunningServer, tmp_path: Path
) -> None:
    """The user JWT carries no permissions; the scoped key's template allows scoped.>."""
    creds = write_creds(tmp_path, FIXTURES["scoped"], FIXTURES["scoped_seed"])
    errors: list[str] = []
    nc = await connect(operator_server, creds, errors)
    try:
        sub = await nc.subscribe("scoped.x")
        await nc.publish("scoped.x", b"hi")
        assert (await sub.next_msg(timeout=TIMEOUT)).data == b"hi"
        await nc.publish("fixture.x", b"no")
        await nc.flush(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while not errors and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert any(
            'permissions violation for publish to "fixture.x"' in e.lower() for e in errors
        ), errors
    finally:
        await nc.close()


async def test_expired_user_is_refused(operator_server: RunningServer, tmp_path: Path) -> None:
    creds = write_creds(tmp_path, FIXTURES["expired"], FIXTURES["expired_seed"])
    assert "Authorization Violation" in await refused(operator_server, creds)
    wait_for_log(operator_server, r"User JWT no longer valid: .*claim is expired")


async def test_user_of_an_unknown_account_is_refused(
    operator_server: RunningServer, tmp_path: Path
) -> None:
    creds = write_creds(tmp_path, FIXTURES["stranger_user"], FIXTURES["stranger_seed"])
    assert "Authorization Violation" in await refused(operator_server, creds)
    wait_for_log(operator_server, r"Account JWT lookup error")


async def test_revoked_user_is_refused(operator_server: RunningServer, tmp_path: Path) -> None:
    creds = write_creds(tmp_path, FIXTURES["revoked"], FIXTURES["revoked_seed"])
    assert "Authorization Violation" in await refused(operator_server, creds)
    wait_for_log(operator_server, r"User authentication revoked")


async def test_account_without_limits_takes_no_connection(
    operator_server: RunningServer, tmp_path: Path
) -> None:
    token = jwtgen.user_jwt(NO_LIMITS_USER, NO_LIMITS_ACCOUNT)
    creds = write_creds(tmp_path, token, NO_LIMITS_USER.seed)
    error = await refused(operator_server, creds)
    assert "maximum account active connections exceeded" in error


def test_rust_fixtures_are_the_generators_output() -> None:
    """The PY_* constants of the Rust tests are what jwtgen.py produces now."""
    source = RUST_TESTS.read_text()
    consts = dict(re.findall(r'const PY_(\w+): &str = "([^"]*)";', source))
    assert consts, "no PY_ constants in the Rust tests"
    for name, value in consts.items():
        assert FIXTURES[name.lower()] == value, f"PY_{name} is stale: rerun jwtgen.py"


def test_generated_jwts_have_the_go_librarys_shape() -> None:
    header, claims, sig = FIXTURES["user"].split(".")
    assert "=" not in FIXTURES["user"]  # unpadded base64url
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "typ": "JWT",
        "alg": "ed25519-nkey",
    }
    body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert body["nats"]["type"] == "user" and body["nats"]["version"] == 2
    assert body["iss"] == FIXTURES["account_pub"]
    assert body["iat"] == jwtgen.FIXED_IAT
    assert len(body["jti"]) == 52  # base32 of SHA-512/256, unpadded
    assert len(base64.urlsafe_b64decode(sig + "==")) == 64
