"""``/connz?auth=1`` shows who each client authenticated as (``authorized_user``), as
nats-server does; without ``auth`` it does not."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from ..wire.proto import PING, PONG, Conn, dial
from .creds import new_nkey_user
from .test_auth_wire import attempt, connect_line

pytestmark = pytest.mark.timeout(60)


def connz(server: Any, query: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{server.http_port}/connz{query}"
    with urllib.request.urlopen(url, timeout=5) as reply:
        conns: list[dict[str, Any]] = json.load(reply)["connections"]
    return sorted(conns, key=lambda c: c["cid"])


def logged_in(server: Any, **fields: Any) -> Conn:
    c = attempt(server, **fields)
    c.expect(PONG)
    return c


def test_authorized_user_for_users_nkeys_and_no_auth_user(start_server):
    nkey = new_nkey_user()
    srv = start_server(
        http_port=-1,
        authorization={
            "users": [{"user": "alice", "password": "pw"}, {"nkey": nkey.public}],
            "no_auth_user": "alice",
        },
    )
    clients = [logged_in(srv, user="alice", **{"pass": "pw"}), logged_in(srv)]
    c = dial(srv.address)
    nonce = c.read_info()["nonce"]
    c.send(connect_line(nkey=nkey.public, sig=nkey.sign(nonce)) + b"\r\n" + PING)
    c.expect(PONG)
    clients.append(c)
    try:
        users = [x.get("authorized_user") for x in connz(srv, "?auth=1")]
        assert users == ["alice", "alice", nkey.public]
        assert all("authorized_user" not in x for x in connz(srv, ""))
    finally:
        for c in clients:
            c.close()


def test_authorized_user_for_the_single_user(start_server):
    srv = start_server(http_port=-1, authorization={"user": "u", "password": "p"})
    with logged_in(srv, user="u", **{"pass": "p"}):
        assert [x.get("authorized_user") for x in connz(srv, "?auth=1")] == ["u"]


def test_authorized_user_for_a_token_is_redacted(start_server):
    srv = start_server(http_port=-1, authorization={"token": "s3cr3t"})
    with logged_in(srv, auth_token="s3cr3t"):
        conns = connz(srv, "?auth=1")
    assert [x.get("authorized_user") for x in conns] == ["[REDACTED]"]
    assert "s3cr3t" not in json.dumps(conns)
