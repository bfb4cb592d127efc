"""Logging through Python's ``logging`` (fastnats.logs): engine lines on the ``fastnats``
loggers with mapped levels, ``Server(log_level=...)``, the TRACE level, and nats-server's
texts for permission violations and authentication errors (checked against the reference
server too). The CLI's nats-server format is covered by tests/dropin."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import fastnats
import pytest
from fastnats import _fastnats, logs

from .dropin.procs import LOG_LINE, kinds, served
from .wire.proto import PING, PONG, connect, pub

pytestmark = pytest.mark.timeout(60)

USERS = [
    {
        "user": "alice",
        "password": "pw",
        "permissions": {"publish": ["ok.>"], "subscribe": ["ok.>"]},
    },
    {"user": "bob", "password": "pw"},
]


@pytest.fixture(autouse=True)
def _engine_level() -> Iterator[None]:
    """Each test starts at the engine's default level and leaves it so."""
    before = _fastnats.log_level()
    logs.set_engine_level("info")
    yield
    logs.set_engine_level(before)


def records(caplog: pytest.LogCaptureFixture, name: str, level: int | None = None) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == name and (level is None or r.levelno == level)
    ]


def test_publish_violation_is_an_error_on_the_auth_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="fastnats")
    with fastnats.Server(host="127.0.0.1", port=0, authorization={"users": USERS}) as server:
        with connect(
            ("127.0.0.1", server.port), {"verbose": False, "user": "alice", "pass": "pw"}
        ) as c:
            c.send(pub("other.x", b"x") + PING)
            c.read_line()  # the -ERR
            c.expect(PONG)
    # Stopping hands every queued line to logging.
    errors = [r for r in caplog.records if r.name == "fastnats.auth"]
    assert len(errors) == 1, caplog.text
    assert errors[0].levelno == logging.ERROR and errors[0].levelname == "ERROR"
    assert re.fullmatch(
        r'127\.0\.0\.1:\d+ - cid:\d+ - "\$G/user:alice" - Publish Violation - Subject "other\.x"',
        errors[0].getMessage(),
    ), errors[0].getMessage()


def test_auth_failure_names_the_user(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fastnats")
    with fastnats.Server(host="127.0.0.1", port=0, authorization={"users": USERS}) as server:
        c = connect(("127.0.0.1", server.port), handshake=False)
        c.send(b'CONNECT {"verbose":false,"user":"bob","pass":"wrong"}\r\n' + PING)
        c.expect_err_and_close("Authorization Violation")
    lines = records(caplog, "fastnats.auth", logging.ERROR)
    assert len(lines) == 1, caplog.text
    assert re.fullmatch(r'127\.0\.0\.1:\d+ - cid:\d+ - authentication error - User "bob"', lines[0])


def test_hook_exception_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fastnats")

    def hook(info: Any) -> bool:
        raise RuntimeError("hook exploded")

    with fastnats.Server(host="127.0.0.1", port=0, auth=hook) as server:
        c = connect(("127.0.0.1", server.port), handshake=False)
        c.send(b'CONNECT {"verbose":false,"user":"x"}\r\n' + PING)
        c.expect_err_and_close("Authorization Violation")
    lines = records(caplog, "fastnats.hooks", logging.ERROR)
    assert len(lines) == 1, caplog.text
    assert "auth hook failed (client denied)" in lines[0]
    assert "Traceback" in lines[0] and "hook exploded" in lines[0]


def _one_client(server: fastnats.Server) -> None:
    with connect(("127.0.0.1", server.port)) as c:
        c.send(PING)
        c.expect(PONG)


@pytest.mark.parametrize(
    ("level", "debug_expected"),
    [("info", False), ("debug", True), (logging.DEBUG, True), ("WARNING", False)],
)
def test_log_level_decides_what_the_engine_produces(
    caplog: pytest.LogCaptureFixture, level: str | int, debug_expected: bool
) -> None:
    # The application lets everything through: what arrives is what the engine produced.
    caplog.set_level(logs.TRACE, logger="fastnats")
    with fastnats.Server(host="127.0.0.1", port=0, log_level=level) as server:
        _one_client(server)
    created = [
        m
        for m in records(caplog, "fastnats.server", logging.DEBUG)
        if "Client connection created" in m
    ]
    assert bool(created) is debug_expected, caplog.text
    assert not records(caplog, "fastnats.trace"), "tracing must stay off unless asked"


def test_logger_level_stays_the_applications(caplog: pytest.LogCaptureFixture) -> None:
    """The engine produces debug lines, the application's WARNING level drops them."""
    caplog.set_level(logging.WARNING, logger="fastnats")
    with fastnats.Server(host="127.0.0.1", port=0, log_level="debug") as server:
        _one_client(server)
    assert not [r for r in caplog.records if r.name.startswith("fastnats")], caplog.text
    # Embedded, fastnats adds no handler of its own.
    assert logging.getLogger("fastnats").handlers == []
    assert logging.getLogger("fastnats").propagate


def test_trace_level(caplog: pytest.LogCaptureFixture) -> None:
    assert logs.TRACE == 5 and logging.getLevelName(5) == "TRACE"
    assert logging.getLevelName("TRACE") == 5
    caplog.set_level(logs.TRACE, logger="fastnats")
    with fastnats.Server(host="127.0.0.1", port=0, log_level="trace") as server:
        _one_client(server)
    traced = [r for r in caplog.records if r.name == "fastnats.trace"]
    assert traced and all(r.levelname == "TRACE" and r.levelno == 5 for r in traced)
    assert any(r.getMessage().endswith('- "<<- [PING]"') for r in traced), caplog.text


def test_log_level_names() -> None:
    assert logs.engine_level("critical") == "fatal"
    assert logs.engine_level("warning") == "warn"
    assert logs.engine_level(15) == "info"  # the engine produces what level 15 lets through
    assert logs.engine_level(0) == "trace"
    with pytest.raises(ValueError, match="unknown log_level 'loud'"):
        fastnats.Server(port=0, log_level="loud")
    with pytest.raises(TypeError):
        fastnats.Server(port=0, log_level=True)


# nats-server's lines (2.12 and later name the client and its user in the tag).
ALICE = '"v2.16.0:python3:nm" - "$G/user:alice" - '
EXPECTED = [
    ALICE + 'Publish Violation - Subject "other.x"',
    ALICE + 'Subscription Violation - Subject "other.y", SID 1',
    ALICE + 'Subscription Violation - Subject "other.z", Queue: "q", SID 2',
    ALICE + 'Publish Violation - Reply "_R_.x"',
    'authentication error - User "bob"',
    'authentication error - Token "[REDACTED]"',
    'authentication error - Nkey "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"',
    "authentication error",
]


def _error_lines(server: Any, caplog: pytest.LogCaptureFixture) -> list[str]:
    """The server's ERR lines, without time, level tag, address and cid."""
    if server.kind == "fastnats":
        lines = records(caplog, "fastnats.auth", logging.ERROR)
    else:
        lines = [m[1] for m in (re.search(r"\[ERR\] (.*)$", x) for x in server.log) if m]
    return [re.sub(r"^\S+ - cid:\d+ - ", "", line) for line in lines]


def test_violation_and_auth_error_lines_match_the_reference(
    start_server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastnats")
    server = start_server(authorization={"users": USERS})
    if server.kind == "nats-server" and server.version < (2, 12, 0):
        pytest.skip("older nats-server writes these lines differently")
    hello = {"verbose": False, "version": "2.16.0", "lang": "python3", "name": "nm"}
    with connect(server, {**hello, "user": "alice", "pass": "pw"}) as c:
        c.send(pub("other.x", b"x") + b"SUB other.y 1\r\nSUB other.z q 2\r\n")
        c.send(pub("ok.a", b"", reply="_R_.x") + PING)
        for _ in range(4):
            assert c.read_line().startswith(b"-ERR 'Permissions Violation")
        c.expect(PONG)
    for creds in (
        {"user": "bob", "pass": "wrong"},
        {"auth_token": "secret"},
        {"nkey": "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4", "sig": "AAAA"},
        {},
    ):
        c = connect(server, handshake=False)
        c.send(b"CONNECT " + json.dumps({**hello, **creds}).encode() + b"\r\n" + PING)
        c.expect_err_and_close("Authorization Violation")
    server.stop()  # hands fastnats's queued lines to logging; ends the reference's log
    deadline = time.monotonic() + 10
    while len(_error_lines(server, caplog)) < len(EXPECTED) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _error_lines(server, caplog) == EXPECTED


@pytest.mark.parametrize("kind", kinds())
def test_the_cli_writes_them_in_nats_servers_format(kind: str) -> None:
    """The CLI's writer, not logging's defaults: ``[pid] date time [ERR] ...`` on stderr."""
    with served("-a", "127.0.0.1", "-p", "-1", "--user", "bob", "--pass", "pw", kind=kind) as s:
        c = connect(s.address, handshake=False)
        c.send(b'CONNECT {"verbose":false,"user":"bob","pass":"wrong"}\r\n' + PING)
        c.expect_err_and_close("Authorization Violation")
        line = s.log.expect(r"authentication error")
    assert LOG_LINE.match(line), line
    assert re.search(
        r' \[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - authentication error - User "bob"$', line
    )
