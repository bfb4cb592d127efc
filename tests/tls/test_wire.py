"""TLS on the wire, byte by byte, against fastnats and the reference nats-server given the
same ``tls`` settings (the Python API for fastnats, a config file for nats-server).

What nats-server v2.15.1 does, and these tests hold fastnats to:

* INFO goes out in clear with ``"tls_required":true`` (and ``"tls_verify":true`` when
  verifying), then the client starts TLS; with ``handshake_first`` nothing is sent in clear.
* a client that never starts TLS is closed once the TLS timeout has passed (0.5 s here);
  nats-server sends nothing more before closing (its ``-ERR 'Secure Connection - TLS
  Required'`` would have to go through the unfinished TLS session, so it never arrives).
* plain-text protocol after INFO ends the connection without a NATS reply.
* with ``verify``, a client certificate signed by ``ca_file`` is needed.
"""

from __future__ import annotations

import time

import pytest

from ..wire.proto import PONG, Conn, dial
from .tlswire import CONNECT_PING, closed_after, handshake_fails, tls_dial, upgrade

pytestmark = pytest.mark.timeout(60)


def pong(conn: Conn) -> None:
    """CONNECT + PING answered by PONG (an INFO may follow the PONG on nats-server)."""
    conn.send(CONNECT_PING)
    conn.expect(PONG)


@pytest.mark.parametrize("verify", [False, True])
def test_info_in_clear_announces_tls(start_server, certs, verify):
    srv = start_server(tls=certs.tls(verify=verify))
    with dial(srv.address) as c:
        info = c.read_info()
    assert info["tls_required"] is True
    assert info.get("tls_verify", False) is verify
    assert "tls_available" not in info
    keys = list(info)
    assert keys.index("tls_required") == keys.index("headers") + 1


def test_protocol_after_the_handshake(start_server, certs):
    srv = start_server(tls=certs.tls())
    with tls_dial(srv.address, certs.client()) as c:
        pong(c)
        c.send(b"SUB foo 1\r\nPUB foo 5\r\nhello\r\n")
        assert c.msgs_until_pong() == [(b"MSG foo 1 5", b"hello")]


def test_handshake_first_sends_nothing_in_clear(start_server, certs):
    srv = start_server(tls=certs.tls(handshake_first=True))
    with dial(srv.address) as c:
        c.sock.settimeout(0.3)
        try:
            early = c.sock.recv(100)
        except TimeoutError:
            early = b""
        assert early == b""
        tls = upgrade(c, certs.client())
        info = tls.read_info()
        assert info["tls_required"] is True
        pong(tls)


def test_handshake_first_client_against_a_server_sending_info_first(start_server, certs):
    """The client's handshake reads the INFO in clear as a broken TLS record and fails."""
    srv = start_server(tls=certs.tls())
    with dial(srv.address) as c:
        time.sleep(0.1)  # the INFO is on its way
        handshake_fails(c, certs.client())


@pytest.mark.parametrize("handshake_first", [False, True])
def test_plain_client_is_closed_after_the_tls_timeout(start_server, certs, handshake_first):
    srv = start_server(tls=certs.tls(timeout=0.5, handshake_first=handshake_first))
    with dial(srv.address) as c:
        if not handshake_first:
            assert c.read_info()["tls_required"] is True
        # Closed by the TLS timeout; when, is the Rust tests
        # tls::a_client_that_never_starts_tls_is_closed_silently_after_the_timeout and
        # tls::handshake_first_sends_nothing_in_clear_and_closes_after_the_timeout.
        closed_after(c)


@pytest.mark.parametrize("handshake_first", [False, True])
def test_nothing_more_in_clear_on_the_tls_timeout(start_server, certs, handshake_first):
    srv = start_server(tls=certs.tls(timeout=0.5, handshake_first=handshake_first))
    with dial(srv.address) as c:
        if not handshake_first:
            c.read_info()
        data, _ = closed_after(c)
    assert data == b""


def test_plain_text_protocol_is_not_answered(start_server, certs):
    srv = start_server(tls=certs.tls())
    with dial(srv.address) as c:
        c.read_info()
        c.send(CONNECT_PING)
        # Closed at once, not at the TLS timeout: the Rust test
        # tls::plain_text_on_a_tls_port_is_closed_at_once.
        data, _ = closed_after(c)
    for reply in (b"PONG", b"+OK", b"-ERR", b"INFO"):
        assert reply not in data


@pytest.mark.fastnats_bug(
    "fastnats (rustls) answers plain text with a TLS alert record "
    "(b'\\x15\\x03\\x03\\x00\\x02\\x022', decode_error); nats-server closes silently"
)
def test_plain_text_protocol_gets_no_bytes(start_server, certs):
    srv = start_server(tls=certs.tls())
    with dial(srv.address) as c:
        c.read_info()
        c.send(CONNECT_PING)
        data, _ = closed_after(c)
    assert data == b""


def test_untrusted_server_certificate_fails_the_client(start_server, certs):
    srv = start_server(tls=certs.tls())
    with dial(srv.address) as c:
        c.read_line()
        handshake_fails(c, certs.client(trust=certs.other_ca))


# --------------------------------------------------------------------------------------
# verify: client certificates
# --------------------------------------------------------------------------------------


def test_verify_accepts_a_client_certificate_signed_by_the_ca(start_server, certs):
    srv = start_server(tls=certs.tls(verify=True))
    with tls_dial(srv.address, certs.client(cert="client")) as c:
        pong(c)


@pytest.mark.parametrize("cert", [None, "other"], ids=["no-certificate", "other-ca"])
def test_verify_refuses_other_clients(start_server, certs, cert):
    srv = start_server(tls=certs.tls(verify=True))
    with dial(srv.address) as c:
        assert c.read_info()["tls_verify"] is True
        handshake_fails(c, certs.client(cert=cert))


def test_without_verify_a_client_certificate_is_not_needed_nor_checked(start_server, certs):
    srv = start_server(tls={**certs.tls(), "ca_file": str(certs.ca)})
    for cert in (None, "client", "other"):
        with tls_dial(srv.address, certs.client(cert=cert)) as c:
            pong(c)


# --------------------------------------------------------------------------------------
# TLS and authentication
# --------------------------------------------------------------------------------------


def test_credentials_are_checked_inside_tls(start_server, certs):
    srv = start_server(tls=certs.tls(), authorization={"user": "alice", "password": "s3cr3t"})
    with dial(srv.address) as c:
        assert c.read_info()["auth_required"] is True
    with tls_dial(srv.address, certs.client()) as c:
        c.send(b'CONNECT {"verbose":false,"user":"alice","pass":"s3cr3t"}\r\nPING\r\n')
        c.expect(PONG)
    with tls_dial(srv.address, certs.client()) as c:
        c.send(b'CONNECT {"verbose":false,"user":"alice","pass":"nope"}\r\nPING\r\n')
        c.expect_err_and_close("Authorization Violation")


def test_auth_timeout_defaults_to_the_tls_timeout_plus_one_second(start_server, certs):
    """nats-server's default auth timeout with TLS on is the TLS timeout + 1 s."""
    srv = start_server(tls=certs.tls(timeout=0.5), authorization={"token": "t0k3n"})
    with tls_dial(srv.address, certs.client()) as c:
        # The default itself is checked in /varz by test_api.py::test_varz_tls_fields; the
        # timer, counted from the end of the handshake, by the Rust test
        # tls::the_auth_timer_runs_after_the_tls_handshake.
        c.expect_err_and_close("Authentication Timeout", timeout=5)


def test_no_credentials_without_tls(start_server, certs):
    """Credentials sent in clear never reach the authenticator: the connection ends first."""
    srv = start_server(tls=certs.tls(), authorization={"user": "alice", "password": "s3cr3t"})
    with dial(srv.address) as c:
        c.read_info()
        c.send(b'CONNECT {"verbose":false,"user":"alice","pass":"s3cr3t"}\r\nPING\r\n')
        data, _ = closed_after(c)
    assert b"PONG" not in data
