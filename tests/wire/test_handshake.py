"""INFO, CONNECT and PING/PONG at the start of a connection (reference §1.2-1.4, 1.8, 1.9)."""

from __future__ import annotations

import json
import re

import pytest

from .proto import OK, PING, PONG, connect, dial, err

pytestmark = pytest.mark.timeout(30)

# nats.py's strict semver pattern (nats/aio/client.py) -- INFO.version must match it.
SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def test_info_is_sent_first_without_any_client_bytes(server):
    with dial(server.address) as c:
        line = c.read_line()
        assert line.startswith(b"INFO "), line
        assert line.endswith(b"\r\n")
        info = json.loads(line[5:].strip())
    assert isinstance(info["server_id"], str) and info["server_id"]
    assert isinstance(info["server_name"], str) and info["server_name"]
    assert SEMVER.match(info["version"]), info["version"]
    assert info["proto"] == 1
    assert info["host"] == "127.0.0.1"
    assert info["port"] == server.port
    assert info["headers"] is True
    assert info["max_payload"] == 1048576
    assert isinstance(info["client_id"], int) and info["client_id"] >= 1
    assert info["client_ip"] == "127.0.0.1"
    assert "auth_required" not in info or info["auth_required"] is False
    assert "tls_required" not in info or info["tls_required"] is False


def test_info_reflects_options(start_server):
    srv = start_server(server_name="wire-test", max_payload=4096)
    with dial(srv.address) as c:
        info = c.read_info()
    assert info["server_name"] == "wire-test"
    assert info["max_payload"] == 4096


def test_info_headers_false_with_no_header_support(start_server):
    srv = start_server(no_header_support=True)
    with dial(srv.address) as c:
        info = c.read_info()
    assert info["headers"] is False


def test_client_ids_are_distinct_and_increase(server):
    conns = []
    try:
        for _ in range(5):  # one at a time: each is accepted before the next is dialed
            conns.append(dial(server.address))
            conns[-1].read_info()
        ids = [c.info["client_id"] for c in conns]
    finally:
        for c in conns:
            c.close()
    assert ids == sorted(set(ids)), ids


@pytest.mark.parametrize(
    "line",
    [
        b"CONNECT {}\r\n",
        b'CONNECT {"verbose":true}\r\n',
        b'CONNECT {"pedantic":false}\r\n',  # verbose absent: still the default, true
        b"connect {}\r\n",
        b"CONNECT\t {}\r\n",
        b"CONNECT {}\n",
    ],
)
def test_connect_verbose_defaults_to_true(server, line):
    with connect(server, handshake=False) as c:
        c.send(line + PING)
        c.expect(OK + PONG)


@pytest.mark.parametrize(
    "opts",
    [
        {"verbose": False},
        {"verbose": False, "pedantic": False, "protocol": 0},
        {"verbose": False, "headers": True, "no_responders": True},
        {"verbose": False, "name": "x", "lang": "python", "version": "1.0", "echo": True},
    ],
)
def test_connect_verbose_false_is_silent(server, opts):
    with connect(server, handshake=False) as c:
        c.send(b"CONNECT " + json.dumps(opts).encode() + b"\r\n" + PING)
        c.expect(PONG)
        c.ping_pong()


def test_verbose_ok_after_connect_sub_pub_unsub_but_not_ping(server):
    with connect(server, handshake=False) as c:
        c.send(b"CONNECT {}\r\n")
        c.expect(OK)
        c.send(b"SUB foo 1\r\n")
        c.expect(OK)
        c.send(b"PUB bar 2\r\nhi\r\n")
        c.expect(OK)
        c.send(b"UNSUB 1\r\n")
        c.expect(OK)
        c.send(b"UNSUB 99\r\n")  # unknown sid: still +OK, no error
        c.expect(OK)
        c.send(PING)
        c.expect(PONG)
        c.send(PING + PING)
        c.expect(PONG + PONG)


def test_verbose_ok_comes_before_the_delivered_msg(server):
    with connect(server, {}) as c:
        c.send(b"SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n")
        c.expect(OK + OK + b"MSG foo 1 2\r\nhi\r\n" + PONG)


def test_second_connect_is_allowed(server):
    with connect(server) as c:
        c.send(b'CONNECT {"verbose":true}\r\nPING\r\n')
        c.expect(OK + PONG)
        c.send(b'CONNECT {"verbose":false}\r\nPING\r\n')
        c.expect(PONG)


def test_connect_keeps_previous_values_for_absent_keys(server):
    with connect(server, {"verbose": False}) as c:
        c.send(b"CONNECT {}\r\nSUB foo 1\r\nPING\r\n")
        c.expect(PONG)  # verbose stays false: decoded on top of the previous options


@pytest.mark.parametrize("protocol", [2, 3, -1])
def test_invalid_client_protocol_closes(server, protocol):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"protocol":%d}\r\nPING\r\n' % protocol)
        c.expect_err_and_close("invalid client protocol")


def test_no_responders_requires_headers(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"no_responders":true}\r\nPING\r\n')
        c.expect_err_and_close("no responders requires headers support")


def test_no_responders_with_headers_false_closes(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"headers":false,"no_responders":true}\r\n')
        c.expect_err_and_close("no responders requires headers support")


@pytest.mark.parametrize(
    "line",
    [
        b"CONNECT {\r\n",
        b"CONNECT not-json\r\n",
        b'CONNECT {"verbose":false\r\n',
        b'CONNECT {"verbose":"yes"}\r\n',
        b"CONNECT []\r\n",
        b"CONNECT\r\n",
        b"CONNECT \r\n",
        b'CONNECT {"verbose":false} trailing\r\n',
        b'CONNECT {"verbose":false}{}\r\n',
        b'CONNECT {"verbose":false,"protocol":"1"}\r\n',  # wrong JSON type for a known key
        b'CONNECT {"verbose":false,"protocol":1.5}\r\n',
        b'CONNECT {"verbose":false,"lang":5}\r\n',
    ],
)
def test_malformed_connect_closes_silently(server, line):
    with connect(server, handshake=False) as c:
        c.send(line + PING)
        c.expect_closed()


@pytest.mark.parametrize(
    "ping", [b"PING\r\n", b"ping\r\n", b"PING\n", b"PiNg foo\r\n", b"PING  \r\n"]
)
def test_ping_before_connect(server, ping):
    with connect(server, handshake=False) as c:
        c.send(ping)
        c.expect(PONG)
        c.send(ping + ping)
        c.expect(PONG + PONG)


def test_ops_before_connect_are_verbose_and_pedantic(server):
    with connect(server, handshake=False) as c:
        c.send(b"SUB foo.* 1\r\n")
        c.expect(OK)
        c.send(b"PUB foo.* 2\r\nhi\r\n")
        c.expect(err("Invalid Publish Subject") + OK + b"MSG foo.* 1 2\r\nhi\r\n")
        c.send(b"PUB foo.bar 2\r\nhi\r\nPING\r\n")
        c.expect(OK + b"MSG foo.bar 1 2\r\nhi\r\n" + PONG)


def test_pong_info_and_ok_from_client_are_ignored(server):
    with connect(server) as c:
        c.send(b"PONG\r\nINFO {}\r\n+OK\r\npong\r\n")
        c.ping_pong()


def test_err_from_client_closes_connection(server):
    with connect(server) as c:
        c.send(b"-ERR 'something'\r\n")
        c.expect_closed()


def test_connect_protocol_1_gets_pong(server):
    # nats-server >= 2.12 follows the first PONG after a protocol:1 CONNECT with an extra
    # INFO ("connect_info":true); that INFO is optional for compatibility. Only the PONG is
    # required, and anything after it must be an INFO line.
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n')
        c.expect(PONG)
        c.send(b"SUB x 1\r\nPUB x 1\r\na\r\nPING\r\n")
        rest = c.read_until(PONG)
        if rest.startswith(b"INFO "):
            info_line, rest = rest.split(b"\r\n", 1)
            assert json.loads(info_line[5:])["connect_info"] is True
        assert rest == b"MSG x 1 1\r\na\r\n" + PONG


def test_connect_ignores_unknown_keys_and_null(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"unknown_key":5,"nested":{"a":[1,2]}}\r\nPING\r\n')
        c.expect(PONG)
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":null}\r\nPING\r\n')  # null keeps the default (true)
        c.expect(OK + PONG)


def test_connect_credentials_without_auth_configured_are_accepted(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"user":"x","pass":"y","auth_token":"t"}\r\nPING\r\n')
        c.expect(PONG)


def test_legacy_account_field_is_an_authorization_violation(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"account":"x"}\r\nPING\r\n')
        c.expect_err_and_close("Authorization Violation")


@pytest.mark.parametrize("line", [b"+ok\r\n", b"+OKAY\r\n", b"+OK extra\r\n"])
def test_ok_variants_from_client_are_ignored(server, line):
    with connect(server) as c:
        c.send(line)
        c.ping_pong()


@pytest.mark.parametrize("arg", [b"{", b"1", b"[]", b'"x"', b"true"])
def test_an_info_from_client_that_is_not_an_info_document_closes(server, arg):
    with connect(server) as c:
        c.send(b"INFO " + arg + b"\r\nPING\r\n")
        c.expect_closed()


def test_an_info_null_from_client_is_ignored(server):
    with connect(server) as c:
        c.send(b"INFO null\r\n")
        c.ping_pong()


def test_leading_blank_before_op_is_unknown(server):
    with connect(server) as c:
        c.send(b" PING\r\n")
        c.expect_err_and_close("Unknown Protocol Operation")


def test_no_responders_refused_when_server_has_no_header_support(start_server):
    srv = start_server(no_header_support=True)
    with connect(srv, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nPING\r\n')
        c.expect_err_and_close("no responders requires headers support")


def test_hpub_closes_when_server_has_no_header_support(start_server):
    srv = start_server(no_header_support=True)
    with connect(srv, {"verbose": False, "headers": True}) as c:
        c.send(b"SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")
        c.expect_closed()
