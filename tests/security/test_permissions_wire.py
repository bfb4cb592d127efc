"""Authorization on the wire, transcripts checked against the reference nats-server
(reference §1.5, §1.6, §1.13, §2.3): publish and subscribe allow/deny lists, queue-qualified
subscribe entries, deny over allow, deliveries filtered for wildcard subscriptions that
overlap a deny, allow_responses, default_permissions. A violation is ``-ERR`` and the
connection stays."""

from __future__ import annotations

from typing import Any

import pytest

from ..wire.proto import PING, PONG, Conn, connect, err, msg, pub

pytestmark = pytest.mark.timeout(60)

WATCHER = {"user": "watcher", "password": "w"}  # unrestricted: sees every message


def pub_violation(subject: str) -> bytes:
    return err(f'Permissions Violation for Publish to "{subject}"')


def sub_violation(subject: str, queue: str | None = None) -> bytes:
    text = f'Permissions Violation for Subscription to "{subject}"'
    if queue is not None:
        text += f' using queue "{queue}"'
    return err(text)


def start(start_server: Any, permissions: dict[str, Any], **auth: Any) -> Any:
    """A server with user ``u`` (password ``p``) restricted by ``permissions``, and the
    unrestricted ``watcher``."""
    users = [{"user": "u", "password": "p", "permissions": permissions}, WATCHER]
    return start_server(authorization={"users": users, **auth})


def login(server: Any, user: str = "u", password: str = "p") -> Conn:
    return connect(server, {"verbose": False, "pedantic": False, "user": user, "pass": password})


def watch(server: Any, subject: str = ">") -> Conn:
    w = login(server, "watcher", "w")
    w.send(f"SUB {subject} 1\r\n".encode())
    w.ping_pong()
    return w


# --------------------------------------------------------------------------------------
# Publish
# --------------------------------------------------------------------------------------


def test_publish_allow_list(start_server):
    srv = start(start_server, {"publish": ["orders.*", "status"]})
    with watch(srv) as w, login(srv) as c:
        c.send(pub("orders.new", b"1") + pub("status", b"2") + PING)
        c.expect(PONG)
        c.send(pub("orders.new.x", b"3") + pub("other", b"4") + PING)
        c.expect(pub_violation("orders.new.x") + pub_violation("other") + PONG)
        c.send(pub("status", b"5") + PING)  # the connection is still usable
        c.expect(PONG)
        assert w.msgs_until_pong() == [
            (b"MSG orders.new 1 1", b"1"),
            (b"MSG status 1 1", b"2"),
            (b"MSG status 1 1", b"5"),
        ]


def test_publish_as_a_single_string(start_server):
    srv = start(start_server, {"publish": "only.this"})
    with login(srv) as c:
        c.send(pub("only.this", b"") + pub("only.that", b"") + PING)
        c.expect(pub_violation("only.that") + PONG)


def test_publish_deny_list(start_server):
    srv = start(start_server, {"publish": {"deny": ["secret.>", "admin"]}})
    with watch(srv) as w, login(srv) as c:
        c.send(pub("secret.plans", b"x") + pub("admin", b"y") + pub("news", b"z") + PING)
        c.expect(pub_violation("secret.plans") + pub_violation("admin") + PONG)
        assert w.msgs_until_pong() == [(b"MSG news 1 1", b"z")]


def test_publish_deny_wins_over_allow(start_server):
    srv = start(start_server, {"publish": {"allow": ["app.>"], "deny": ["app.secret.*"]}})
    with watch(srv) as w, login(srv) as c:
        c.send(pub("app.secret.x", b"1") + pub("app.public.x", b"2") + pub("out", b"3") + PING)
        c.expect(pub_violation("app.secret.x") + pub_violation("out") + PONG)
        assert w.msgs_until_pong() == [(b"MSG app.public.x 1 1", b"2")]


def test_publish_violation_with_verbose(start_server):
    srv = start(start_server, {"publish": "ok"})
    c = connect(srv, {"verbose": True, "pedantic": False, "user": "u", "pass": "p"})
    with c:
        c.send(pub("nope", b"") + PING)
        c.expect(pub_violation("nope") + PONG)
        c.send(pub("ok", b"") + PING)
        c.expect(b"+OK\r\n" + PONG)


# --------------------------------------------------------------------------------------
# Subscribe
# --------------------------------------------------------------------------------------


def test_subscribe_allow_list(start_server):
    srv = start(start_server, {"subscribe": ["events.*", "mine"]})
    with login(srv) as c:
        c.send(b"SUB events.a 1\r\nSUB mine 2\r\nSUB events.a.b 3\r\nSUB > 4\r\nSUB events.* 5\r\n")
        c.send(PING)
        c.expect(sub_violation("events.a.b") + sub_violation(">") + PONG)
        c.send(pub("events.a", b"x"))  # only the accepted subscriptions exist
        got = c.msgs_until_pong()
    assert sorted(got) == [(b"MSG events.a 1 1", b"x"), (b"MSG events.a 5 1", b"x")]


def test_subscribe_deny_list(start_server):
    srv = start(start_server, {"subscribe": {"deny": ["private.>"]}})
    with login(srv) as c:
        c.send(b"SUB private.x 1\r\nSUB public.x 2\r\n" + PING)
        c.expect(sub_violation("private.x") + PONG)


def test_subscribe_deny_wins_over_allow(start_server):
    srv = start(start_server, {"subscribe": {"allow": ["app.>"], "deny": ["app.secret"]}})
    with login(srv) as c:
        c.send(b"SUB app.secret 1\r\nSUB app.public 2\r\nSUB other 3\r\n" + PING)
        c.expect(sub_violation("app.secret") + sub_violation("other") + PONG)


def test_queue_qualified_allow_entries(start_server):
    srv = start(start_server, {"subscribe": ["jobs workers", "plain"]})
    with login(srv) as c:
        c.send(b"SUB jobs workers 1\r\n" + PING)
        c.expect(PONG)
        c.send(b"SUB jobs others 2\r\n" + PING)
        c.expect(sub_violation("jobs", "others") + PONG)
        c.send(b"SUB jobs 3\r\n" + PING)  # not in the queue: no entry allows it
        c.expect(sub_violation("jobs") + PONG)
        c.send(b"SUB plain any 4\r\nSUB plain 5\r\n" + PING)  # an entry without a queue
        c.expect(PONG)


def test_queue_qualified_deny_entries(start_server):
    srv = start(start_server, {"subscribe": {"deny": ["jobs thieves"]}})
    with login(srv) as c:
        c.send(b"SUB jobs thieves 1\r\n" + PING)
        c.expect(sub_violation("jobs", "thieves") + PONG)
        c.send(b"SUB jobs workers 2\r\nSUB jobs 3\r\n" + PING)
        c.expect(PONG)


def test_sys_queue_group_is_always_refused(start_server):
    srv = start(start_server, {"publish": ">"})
    with login(srv) as c:
        c.send(b"SUB foo _sys_ 1\r\n" + PING)
        c.expect(sub_violation("foo", "_sys_") + PONG)


def test_wildcard_subscription_overlapping_a_deny_is_filtered(start_server):
    srv = start(start_server, {"subscribe": {"allow": [">"], "deny": ["metrics.secret"]}})
    with login(srv) as c, login(srv, "watcher", "w") as p:
        c.send(b"SUB metrics.* 1\r\nSUB > 2\r\n")
        c.ping_pong()  # accepted: they overlap the deny but are not inside it
        p.send(pub("metrics.cpu", b"1") + pub("metrics.secret", b"2") + pub("x", b"3") + PING)
        p.expect(PONG)
        got = c.msgs_until_pong()
    assert sorted(got) == sorted(
        [
            (b"MSG metrics.cpu 1 1", b"1"),
            (b"MSG metrics.cpu 2 1", b"1"),
            (b"MSG x 2 1", b"3"),
        ]
    )


# --------------------------------------------------------------------------------------
# allow_responses
# --------------------------------------------------------------------------------------


def request(requestor: Conn, subject: str, reply: str) -> None:
    requestor.send(pub(subject, b"q", reply=reply) + PING)
    requestor.expect(PONG)


def test_allow_responses_once(start_server):
    srv = start(start_server, {"subscribe": "service", "allow_responses": True})
    with login(srv) as responder, login(srv, "watcher", "w") as requestor:
        responder.send(b"SUB service 1\r\n")
        responder.ping_pong()
        requestor.send(b"SUB _INBOX.> 9\r\n")
        request(requestor, "service", "_INBOX.r1")
        responder.expect(msg("service", "1", b"q", reply="_INBOX.r1"))
        responder.send(pub("_INBOX.r1", b"answer") + PING)
        responder.expect(PONG)
        assert requestor.msgs_until_pong() == [(b"MSG _INBOX.r1 9 6", b"answer")]
        responder.send(pub("_INBOX.r1", b"again") + PING)  # one response only
        responder.expect(pub_violation("_INBOX.r1") + PONG)
        responder.send(pub("_INBOX.never-asked", b"x") + pub("service", b"y") + PING)
        responder.expect(pub_violation("_INBOX.never-asked") + pub_violation("service") + PONG)
        assert requestor.msgs_until_pong() == []


def test_allow_responses_max(start_server):
    srv = start(start_server, {"subscribe": "service", "allow_responses": {"max": 2}})
    with login(srv) as responder, login(srv, "watcher", "w") as requestor:
        responder.send(b"SUB service 1\r\n")
        responder.ping_pong()
        request(requestor, "service", "reply.a")
        responder.expect(msg("service", "1", b"q", reply="reply.a"))
        responder.send(pub("reply.a", b"1") + pub("reply.a", b"2") + pub("reply.a", b"3") + PING)
        responder.expect(pub_violation("reply.a") + PONG)


def test_allow_responses_keeps_the_publish_allow_list(start_server):
    srv = start(
        start_server, {"publish": "status", "subscribe": "service", "allow_responses": True}
    )
    with login(srv) as responder, login(srv, "watcher", "w") as requestor:
        responder.send(b"SUB service 1\r\n")
        responder.ping_pong()
        request(requestor, "service", "reply.b")
        responder.expect(msg("service", "1", b"q", reply="reply.b"))
        responder.send(pub("reply.b", b"1") + pub("status", b"2") + pub("other", b"3") + PING)
        responder.expect(pub_violation("other") + PONG)


# --------------------------------------------------------------------------------------
# default_permissions
# --------------------------------------------------------------------------------------


def test_default_permissions_apply_to_users_without_their_own(start_server):
    srv = start_server(
        authorization={
            "default_permissions": {"publish": "public.>", "subscribe": {"deny": "secret"}},
            "users": [
                {"user": "plain", "password": "p"},
                {"user": "own", "password": "o", "permissions": {"publish": "own.>"}},
            ],
        }
    )
    with login(srv, "plain", "p") as c:
        c.send(pub("public.a", b"") + pub("own.a", b"") + b"SUB secret 1\r\n" + PING)
        c.expect(pub_violation("own.a") + sub_violation("secret") + PONG)
    with login(srv, "own", "o") as c:  # its own permissions replace the defaults entirely
        c.send(pub("public.a", b"") + pub("own.a", b"") + b"SUB secret 1\r\n" + PING)
        c.expect(pub_violation("public.a") + PONG)


def test_default_permissions_apply_to_nkey_users(start_server):
    from .creds import new_nkey_user

    user = new_nkey_user()
    srv = start_server(
        authorization={"default_permissions": {"publish": "ok"}, "users": [{"nkey": user.public}]}
    )
    with connect(srv, handshake=False) as c:
        nonce = c.info["nonce"] if c.info else ""
        c.send(
            b'CONNECT {"verbose":false,"nkey":"'
            + user.public.encode()
            + b'","sig":"'
            + user.sign(nonce).encode()
            + b'"}\r\n'
            + PING
        )
        c.expect(PONG)
        c.send(pub("ok", b"") + pub("nope", b"") + PING)
        c.expect(pub_violation("nope") + PONG)
