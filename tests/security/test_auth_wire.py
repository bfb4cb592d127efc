"""Authentication on the wire, transcripts checked against the reference nats-server
(reference §1.2, §1.13, §2.3): token, user/password, bcrypt, users lists, nkeys, no_auth_user,
the auth timeout and INFO's ``auth_required`` / ``nonce``."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ..wire.proto import OK, PING, PONG, Conn, dial, err, pub
from .creds import bcrypt_hash, new_nkey_user

pytestmark = pytest.mark.timeout(60)

VIOLATION = "Authorization Violation"


def connect_line(**fields: Any) -> bytes:
    return b"CONNECT " + json.dumps({"verbose": False, "pedantic": False, **fields}).encode()


def attempt(server: Any, **fields: Any) -> Conn:
    """Dial, read INFO, send ``CONNECT`` with ``fields`` and a PING."""
    c = dial(server.address)
    c.read_info()
    c.send(connect_line(**fields) + b"\r\n" + PING)
    return c


def accepted(server: Any, **fields: Any) -> None:
    with attempt(server, **fields) as c:
        c.expect(PONG)


def refused(server: Any, **fields: Any) -> None:
    with attempt(server, **fields) as c:
        c.expect_err_and_close(VIOLATION)


# --------------------------------------------------------------------------------------
# INFO
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        {"token": "s3cr3t"},
        {"user": "a", "password": "b"},
        {"users": [{"user": "a", "password": "b"}]},
    ],
    ids=["token", "user", "users"],
)
def test_info_says_auth_required(start_server, auth):
    srv = start_server(authorization=auth)
    with dial(srv.address) as c:
        info = c.read_info()
    assert info["auth_required"] is True
    assert "nonce" not in info  # only nkeys need one


def test_info_has_a_nonce_with_nkey_users(start_server):
    srv = start_server(authorization={"users": [{"nkey": new_nkey_user().public}]})
    nonces = []
    for _ in range(2):
        with dial(srv.address) as c:
            info = c.read_info()
        assert info["auth_required"] is True
        assert isinstance(info["nonce"], str) and len(info["nonce"]) >= 11
        nonces.append(info["nonce"])
    assert nonces[0] != nonces[1]


def test_no_auth_user_hides_auth_required(start_server):
    srv = start_server(
        authorization={"users": [{"user": "a", "password": "b"}], "no_auth_user": "a"}
    )
    with dial(srv.address) as c:
        info = c.read_info()
    assert not info.get("auth_required", False)


# --------------------------------------------------------------------------------------
# Token
# --------------------------------------------------------------------------------------


def test_token(start_server):
    srv = start_server(authorization={"token": "s3cr3t"})
    accepted(srv, auth_token="s3cr3t")
    refused(srv, auth_token="wrong")
    refused(srv, auth_token="s3cr3")  # a prefix is not enough
    refused(srv)  # no credentials at all
    refused(srv, user="s3cr3t", **{"pass": "s3cr3t"})  # the token is not a password


def test_bcrypt_token(start_server):
    srv = start_server(authorization={"token": bcrypt_hash("tok3n")})
    accepted(srv, auth_token="tok3n")
    refused(srv, auth_token="tok3N")


def test_verbose_connect_gets_ok_only_when_accepted(start_server):
    srv = start_server(authorization={"token": "s3cr3t"})
    with dial(srv.address) as c:
        c.read_info()
        c.send(b'CONNECT {"verbose":true,"auth_token":"s3cr3t"}\r\nPING\r\n')
        c.expect(OK + PONG)
    with dial(srv.address) as c:
        c.read_info()
        c.send(b'CONNECT {"verbose":true,"auth_token":"nope"}\r\nPING\r\n')
        c.expect_err_and_close(VIOLATION)


# --------------------------------------------------------------------------------------
# User and password
# --------------------------------------------------------------------------------------


def test_single_user(start_server):
    srv = start_server(authorization={"user": "alice", "password": "wonderland"})
    accepted(srv, user="alice", **{"pass": "wonderland"})
    refused(srv, user="alice", **{"pass": "Wonderland"})
    refused(srv, user="bob", **{"pass": "wonderland"})
    refused(srv, user="alice")
    refused(srv, auth_token="wonderland")
    refused(srv)


@pytest.mark.parametrize("prefix", [b"2a", b"2b"])
def test_bcrypt_password(start_server, prefix):
    srv = start_server(authorization={"user": "alice", "password": bcrypt_hash("pw", prefix)})
    accepted(srv, user="alice", **{"pass": "pw"})
    refused(srv, user="alice", **{"pass": "pW"})


def test_users_list(start_server):
    srv = start_server(
        authorization={
            "users": [
                {"user": "alice", "password": "a-pass"},
                {"user": "bob", "password": bcrypt_hash("b-pass")},
            ]
        }
    )
    accepted(srv, user="alice", **{"pass": "a-pass"})
    accepted(srv, user="bob", **{"pass": "b-pass"})
    refused(srv, user="alice", **{"pass": "b-pass"})  # another user's password
    refused(srv, user="bob", **{"pass": "a-pass"})
    refused(srv, user="carol", **{"pass": "a-pass"})
    refused(srv)


def test_failed_connect_then_nothing_is_processed(start_server):
    srv = start_server(authorization={"token": "s3cr3t"})
    with dial(srv.address) as watcher_c:
        watcher_c.read_info()
        watcher_c.send(connect_line(auth_token="s3cr3t") + b"\r\nSUB x 1\r\n" + PING)
        watcher_c.expect(PONG)
        with dial(srv.address) as c:
            c.read_info()
            c.send(connect_line(auth_token="bad") + b"\r\n" + pub("x", b"leak") + PING)
            c.expect_err_and_close(VIOLATION)
        watcher_c.ping_pong()  # the message of the refused client was never delivered


# --------------------------------------------------------------------------------------
# Before CONNECT, and the timeout
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first", [PING, b"SUB foo 1\r\n", pub("foo", b"x"), b"UNSUB 1\r\n"], ids=lambda b: b[:4]
)
def test_op_before_connect_when_auth_required(start_server, first):
    srv = start_server(authorization={"token": "s3cr3t"})
    with dial(srv.address) as c:
        c.read_info()
        c.send(first)
        c.expect_err_and_close(VIOLATION)


def test_authentication_timeout(start_server):
    srv = start_server(authorization={"token": "s3cr3t", "timeout": 0.5})
    with dial(srv.address) as c:
        c.read_info()
        # When it fires is the Rust test timers::auth_timeout_without_connect.
        c.expect(err("Authentication Timeout"), timeout=5)
        c.expect_closed()


def test_connect_within_the_timeout_stops_the_timer(start_server):
    srv = start_server(authorization={"token": "s3cr3t", "timeout": 0.5})
    with dial(srv.address) as c:
        c.read_info()
        c.send(connect_line(auth_token="s3cr3t") + b"\r\n" + PING)
        c.expect(PONG)
        time.sleep(1.0)
        c.ping_pong()


def test_no_timer_without_auth(start_server):
    srv = start_server(authorization={"timeout": 0.5})
    with dial(srv.address) as c:
        c.read_info()
        time.sleep(1.0)
        c.send(PING)
        c.expect(PONG)


# --------------------------------------------------------------------------------------
# no_auth_user
# --------------------------------------------------------------------------------------

NO_AUTH = {
    "users": [
        {"user": "guest", "password": "g", "permissions": {"publish": "public.>"}},
        {"user": "admin", "password": "adm"},
    ],
    "no_auth_user": "guest",
}


def test_no_auth_user_lets_clients_without_credentials_in_as_that_user(start_server):
    srv = start_server(authorization=NO_AUTH)
    with attempt(srv) as c:
        c.expect(PONG)
        c.send(pub("public.x", b"ok") + PING)
        c.expect(PONG)
        c.send(pub("private.x", b"no") + PING)  # guest's permissions apply
        c.expect(err('Permissions Violation for Publish to "private.x"') + PONG)


def test_no_auth_user_does_not_rescue_wrong_credentials(start_server):
    srv = start_server(authorization=NO_AUTH)
    refused(srv, user="admin", **{"pass": "wrong"})
    refused(srv, user="nobody", **{"pass": "x"})
    with attempt(srv, user="admin", **{"pass": "adm"}) as c:
        c.expect(PONG)
        c.send(pub("private.x", b"ok") + PING)
        c.expect(PONG)


def test_no_auth_user_and_an_op_before_connect(start_server):
    srv = start_server(authorization=NO_AUTH)
    with dial(srv.address) as c:
        c.read_info()
        c.send(PING)
        c.expect(PONG)
        c.send(pub("private.x", b"no") + PING)
        c.expect(err('Permissions Violation for Publish to "private.x"') + PONG)


# --------------------------------------------------------------------------------------
# NKeys
# --------------------------------------------------------------------------------------


def nkey_attempt(server: Any, nkey: str, sign: Any) -> Conn:
    c = dial(server.address)
    info = c.read_info()
    c.send(connect_line(nkey=nkey, sig=sign(info["nonce"])) + b"\r\n" + PING)
    return c


@pytest.mark.parametrize("urlsafe", [True, False], ids=["base64url", "std-base64"])
def test_nkey_signature_accepted(start_server, urlsafe):
    user = new_nkey_user()
    srv = start_server(authorization={"users": [{"nkey": user.public}]})
    with nkey_attempt(srv, user.public, lambda n: user.sign(n, urlsafe=urlsafe)) as c:
        c.expect(PONG)


def test_nkey_bad_signatures(start_server):
    user, other = new_nkey_user(), new_nkey_user()
    srv = start_server(authorization={"users": [{"nkey": user.public}]})
    cases = [
        (user.public, lambda n: user.sign(n + "x")),  # signed something else
        (user.public, lambda n: other.sign(n)),  # signed with another key
        (user.public, lambda n: "not-a-signature"),
        (other.public, lambda n: other.sign(n)),  # a key that is not configured
    ]
    for nkey, sign in cases:
        with nkey_attempt(srv, nkey, sign) as c:
            c.expect_err_and_close(VIOLATION)
    with dial(srv.address) as c:  # an nkey without a signature
        c.read_info()
        c.send(connect_line(nkey=user.public) + b"\r\n" + PING)
        c.expect_err_and_close(VIOLATION)


def test_nkey_and_password_users_side_by_side(start_server):
    user = new_nkey_user()
    srv = start_server(
        authorization={"users": [{"nkey": user.public}, {"user": "a", "password": "b"}]}
    )
    with nkey_attempt(srv, user.public, user.sign) as c:
        c.expect(PONG)
    accepted(srv, user="a", **{"pass": "b"})
    refused(srv, user="a", **{"pass": "x"})
