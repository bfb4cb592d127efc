"""Server limits and keep-alive: max_connections, max_subscriptions, server PINGs and stale
connections (reference §1.2 step 4, 1.6, 1.8, 1.13)."""

from __future__ import annotations

import contextlib
import select
import time

import pytest

from .proto import OK, PING, PONG, Closed, connect, dial, err, msg, pub

pytestmark = pytest.mark.timeout(60)


# --- max_connections ----------------------------------------------------------------------


def test_max_connections_sends_info_then_err_and_closes(start_server):
    srv = start_server(max_connections=2)
    a, b = connect(srv), connect(srv)
    try:
        with dial(srv.address) as c:
            c.read_info()  # INFO is still sent first
            c.expect_err_and_close("maximum connections exceeded")
        # The admitted connections are unaffected.
        a.send(b"SUB foo 1\r\n")
        a.ping_pong()
        b.send(pub("foo", b"x") + PING)
        b.expect(PONG)
        a.expect(msg("foo", "1", b"x"))
    finally:
        a.close()
        b.close()


def test_max_connections_rejects_before_connect_is_read(start_server):
    srv = start_server(max_connections=1)
    with connect(srv):
        with dial(srv.address) as c:
            c.read_info()
            c.send(b'CONNECT {"verbose":false}\r\nPING\r\n')
            out = c.is_closed()
            assert out == err("maximum connections exceeded")


def test_max_connections_slot_is_freed_when_a_client_leaves(start_server):
    srv = start_server(max_connections=1)
    first = connect(srv)
    first.close()
    # The server notices the close asynchronously: retry (bounded) until admitted.
    deadline = time.monotonic() + 20
    while True:
        assert time.monotonic() < deadline, "slot never freed"
        with dial(srv.address) as c:
            c.read_info()
            c.send(PING)
            try:
                line = c.read_line()
            except Closed:  # refused, and a reset overtook the -ERR
                continue
            if line == PONG:
                break
            assert line == err("maximum connections exceeded"), line


# --- max_subscriptions --------------------------------------------------------------------


def test_max_subscriptions_errs_and_keeps_connection(start_server):
    srv = start_server(max_subscriptions=2)
    with connect(srv) as c:
        c.send(b"SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n")
        c.expect(err("maximum subscriptions exceeded") + PONG)
        c.send(pub("a", b"1") + pub("b", b"2") + pub("c", b"3") + PING)
        c.expect(msg("a", "1", b"1") + msg("b", "2", b"2") + PONG)
        # Freeing a slot allows a new subscription.
        c.send(b"UNSUB 1\r\nSUB c 3\r\n" + pub("c", b"3") + PING)
        c.expect(msg("c", "3", b"3") + PONG)


def test_max_subscriptions_verbose_has_no_ok_for_the_refused_sub(start_server):
    srv = start_server(max_subscriptions=1)
    with connect(srv, {}) as c:
        c.send(b"SUB a 1\r\nSUB b 2\r\nPING\r\n")
        c.expect(OK + err("maximum subscriptions exceeded") + PONG)


def test_max_subscriptions_is_per_connection(start_server):
    srv = start_server(max_subscriptions=1)
    with connect(srv) as a, connect(srv) as b:
        a.send(b"SUB x 1\r\nPING\r\n")
        a.expect(PONG)
        b.send(b"SUB x 1\r\nPING\r\n")
        b.expect(PONG)


def test_duplicate_sid_at_the_limit_gets_max_subscriptions_error(start_server):
    # nats-server checks max_subscriptions before looking the sid up, so even a SUB that
    # would be ignored as a duplicate is refused once the connection is at its limit.
    srv = start_server(max_subscriptions=1)
    with connect(srv) as c:
        c.send(b"SUB a 1\r\nSUB a 1\r\nPING\r\n")
        c.expect(err("maximum subscriptions exceeded") + PONG)
        c.send(pub("a", b"x") + PING)
        c.expect(msg("a", "1", b"x") + PONG)


def test_duplicate_sid_under_the_limit_is_ignored(start_server):
    srv = start_server(max_subscriptions=2)
    with connect(srv) as c:
        c.send(b"SUB a 1\r\nSUB b 1\r\nSUB c 2\r\n" + pub("a", b"x") + PING)
        c.expect(msg("a", "1", b"x") + PONG)


# --- keep-alive ---------------------------------------------------------------------------


def test_server_pings_idle_client(start_server):
    srv = start_server(ping_interval=0.25, ping_max=2)
    with connect(srv) as c:
        c.expect(PING, timeout=10)
        c.send(PONG)
        c.expect(PING, timeout=10)  # answering keeps the connection alive; pings continue
        c.send(PONG)
        c.ping_pong()


def test_answered_pings_keep_connection_alive(start_server):
    srv = start_server(ping_interval=0.2, ping_max=1)
    with connect(srv) as c:
        for _ in range(5):  # more rounds than ping_max: a PONG resets the count
            c.expect(PING, timeout=10)
            c.send(PONG)
        c.send(b"SUB foo 1\r\n" + pub("foo", b"x") + PING)
        c.expect(msg("foo", "1", b"x") + PONG)


@pytest.mark.parametrize("ping_max", [1, 2, 3])
def test_stale_connection_after_ping_max_unanswered_pings(start_server, ping_max):
    srv = start_server(ping_interval=0.2, ping_max=ping_max)
    with connect(srv) as c:
        c.expect(PING * ping_max + err("Stale Connection"), timeout=15)
        c.expect_closed()


def test_stale_connection_before_connect(start_server):
    srv = start_server(ping_interval=0.2, ping_max=1)
    with dial(srv.address) as c:
        c.read_info()
        c.expect(PING + err("Stale Connection"), timeout=15)
        c.expect_closed()


def test_stale_client_does_not_affect_others(start_server):
    srv = start_server(ping_interval=0.2, ping_max=1)
    with connect(srv) as stale, connect(srv) as alive:
        alive.send(b"SUB foo 1\r\n")
        alive.ping_pong()
        # One thread serves both sockets: `alive` answers every server PING at once, `stale`
        # never does, until the server drops `stale`.
        pongs = 0
        deadline = time.monotonic() + 15
        while not stale.eof:
            assert time.monotonic() < deadline, f"stale not dropped: {bytes(stale.buf)!r}"
            ready, _, _ = select.select([stale.sock, alive.sock], [], [], 1.0)
            if stale.sock in ready:
                with contextlib.suppress(Closed):
                    stale._fill(time.monotonic() + 1)
            if alive.sock in ready:
                alive._fill(time.monotonic() + 1)
                while alive.buf.startswith(PING):
                    del alive.buf[: len(PING)]
                    alive.send(PONG)
                    pongs += 1
                assert not alive.buf, bytes(alive.buf)
        assert bytes(stale.buf) == PING + err("Stale Connection")
        alive.send(pub("foo", b"still here") + PING)
        while alive.buf.startswith(PING) or not alive.buf:  # a server PING may come first
            alive._fill(time.monotonic() + 5)
            while alive.buf.startswith(PING):
                del alive.buf[: len(PING)]
                alive.send(PONG)
        alive.expect(msg("foo", "1", b"still here") + PONG)
