"""The monitoring port's HTTP protocol (``fastnats.monitor.http``, our own server), side by side
with nats-server (Go's ``net/http``): odd and malformed requests, HTTP/1.0, keep-alive and close,
bodies, path cleaning; then what only fastnats has (a failing endpoint, the idle timeout, IPv6)
and the small parsers. ``Date`` values and the order of the headers are not compared."""

from __future__ import annotations

import email.utils
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import fastnats
import pytest
from fastnats.monitor import http as monitor_http
from fastnats.monitor import httpwire

from .conftest import Pair, start_fastnats, start_reference

pytestmark = pytest.mark.timeout(60)

HOST = "127.0.0.1"
NEXT = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Both servers, no traffic (the requests below only read /healthz and unknown paths)."""
    ref = start_reference(tmp_path_factory.mktemp("http"))
    try:
        fn = start_fastnats()
    except BaseException:
        ref.stop()
        raise
    yield Pair(fn, ref)
    fn.stop()
    ref.stop()


def _read_answer(sock: socket.socket, buf: bytearray, head_only: bool) -> tuple[bytes, bytes]:
    """One answer's head and body from ``sock`` (``buf``: what was read past the last one)."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before an answer: {bytes(buf)!r}")
        buf += data
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    del buf[:end]
    length = None
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if head_only:
        return head, b""
    if length is None:  # Go's early errors: the body runs to the close
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
        length = len(buf)
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
    body = bytes(buf[:length])
    del buf[:length]
    return head, body


def exchange(port: int, request: bytes) -> dict[str, Any]:
    """Sends ``request``, reads the answer, then tells whether the connection stayed usable
    (a second request is answered) or was closed."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass  # closed while sending (a refused body)
        buf = bytearray()
        head, body = _read_answer(sock, buf, head_only=request.startswith(b"HEAD "))
        try:
            sock.sendall(NEXT)
            next_head, _ = _read_answer(sock, buf, head_only=False)
            kept = next_head.startswith(b"HTTP/1.1 200 OK\r\n")
        except OSError:
            kept = False
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(": ")
            headers[name.lower()] = value
    date = headers.pop("date", None)
    if date is not None:  # Go's format: RFC 7231's IMF-fixdate
        assert (
            email.utils.format_datetime(email.utils.parsedate_to_datetime(date), usegmt=True)
            == date
        )
    return {
        "status": lines[0],
        "headers": headers,
        "dated": date is not None,
        "body": body,
        "kept": kept,
    }


# (request, what it is): answered alike by both servers, status, headers, body, close.
CASES = [
    (b"garbage\r\n\r\n", "garbage"),
    (b"GET /healthz\r\n\r\n", "HTTP/0.9 request line"),
    (b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "two spaces"),
    (b"GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", "relative target"),
    (b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "blank line first"),
    (b"GET /healthz http/1.1\r\nHost: x\r\n\r\n", "lower-case version"),
    (b"GET /healthz HTTP/1.1x\r\nHost: x\r\n\r\n", "bad version"),
    (b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/2.0"),
    (b"GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n", "HTTP/0.9"),
    (b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n", "HTTP/1.2"),
    (b"G@T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "bad method"),
    (b"GET /healthz HTTP/1.1\r\n\r\n", "no Host"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", "Host folded"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "two Hosts"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", "folded header"),
    (b"GET /healthz HTTP/1.1\r\n x\r\nHost: x\r\n\r\n", "fold first"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", "header without colon"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", "bad header name"),
    (b"GET /healthz HTTP/1.1\nHost: x\n\n", "bare LF"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "bad length"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "negative length"),
    (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "2 lengths",
    ),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "gzip coding"),
    (
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n",
        "chunked body",
    ),
    (b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk"),
    (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "POST body"),
    (
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"a" * 200000,
        "200 KB",
    ),
    (
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + b"a" * 300000,
        "300 KB",
    ),
    (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
        "expect",
    ),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", "expect, no body"),
    (b"GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.0"),
    (b"GET /healthz HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "HTTP/1.0 keep-alive"),
    (b"GET /healthz?js-enabled-only=x HTTP/1.0\r\n\r\n", "HTTP/1.0 bad query"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "close"),
    (b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: keep-alive, CLOSE\r\n\r\n", "close token"),
    (b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "lower-case method"),
    (b"FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "unknown method"),
    (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD"),
    (b"DELETE /nope HTTP/1.1\r\nHost: x\r\n\r\n", "404"),
    (b"GET http://x:1/healthz?a=1 HTTP/1.1\r\nHost: x\r\n\r\n", "absolute form"),
    (b"GET /h%65althz HTTP/1.1\r\nHost: x\r\n\r\n", "escaped path"),
    (b"GET /%2e/healthz HTTP/1.1\r\nHost: x\r\n\r\n", "escaped dot"),
    (b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "bad escape in path"),
    (b"GET /healthz?x=%zz;y&z HTTP/1.1\r\nHost: x\r\n\r\n", "bad escape in query"),
    (b"GET /h\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", "UTF-8 path"),
    (b"GET /healthz/ HTTP/1.1\r\nHost: x\r\n\r\n", "trailing slash"),
    (b"GET //healthz HTTP/1.1\r\nHost: x\r\n\r\n", "double slash"),
    (b"GET /a/../healthz?x=1&y=<2> HTTP/1.1\r\nHost: x\r\n\r\n", "dot-dot"),
    (b"HEAD //healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD redirect"),
    (b"POST /./healthz HTTP/1.1\r\nHost: x\r\n\r\n", "POST redirect"),
    (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", "GET *"),
    (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS *"),
    (b"OPTIONS * HTTP/1.0\r\n\r\n", "OPTIONS * 1.0"),
]


@pytest.mark.parametrize("request_bytes", [c[0] for c in CASES], ids=[c[1] for c in CASES])
def test_answered_as_nats_server_answers(servers: Pair, request_bytes: bytes) -> None:
    fn = exchange(servers.fn.http_port, request_bytes)
    ref = exchange(servers.ref.http_port, request_bytes)
    assert fn == ref


def test_the_cases_cover_each_kind_of_answer(servers: Pair) -> None:
    """The cases above are not all alike: each outcome occurs (the comparison would pass
    trivially if, say, every request were refused)."""
    outcomes = {
        (a["status"].split(" ")[1], a["kept"], a["dated"])
        for a in (exchange(servers.ref.http_port, c[0]) for c in CASES)
    }
    assert {
        ("200", True, True),
        ("200", False, True),
        ("307", True, True),
        ("400", False, False),
        ("400", False, True),
        ("404", True, True),
        ("501", False, False),
        ("505", False, False),
    } <= outcomes


def test_pipelined_requests_are_answered_in_order(servers: Pair) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
    for m in servers.both():
        with socket.create_connection((HOST, m.http_port), timeout=5) as sock:
            sock.sendall(request)
            buf = bytearray()
            first, _ = _read_answer(sock, buf, head_only=False)
            second, body = _read_answer(sock, buf, head_only=False)
        assert first.startswith(b"HTTP/1.1 200 OK\r\n"), m.kind
        assert second.startswith(b"HTTP/1.1 404 Not Found\r\n"), m.kind
        assert body == b"404 page not found\n"


# ---------------------------------------------------------------------------------------------
# fastnats only
# ---------------------------------------------------------------------------------------------


def test_a_failing_endpoint_is_a_500_and_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[tuple[str, str]] = []

    def broken(monitor: Any, query: Any) -> Any:
        raise RuntimeError("boom")

    m = start_fastnats()
    monkeypatch.setitem(monitor_http.ROUTES, "/varz", broken)
    monkeypatch.setattr(monitor_http._fastnats, "log", lambda lvl, msg: logged.append((lvl, msg)))
    try:
        answer = exchange(m.http_port, b"GET /varz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer["status"] == "HTTP/1.1 500 Internal Server Error"
        assert answer["body"] == b"RuntimeError: boom"
        assert answer["kept"]
    finally:
        m.stop()
    assert [lvl for lvl, _ in logged] == ["error"]
    assert logged[0][1].startswith("monitoring: Traceback") and "boom" in logged[0][1]


def test_requests_are_not_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    m = start_fastnats()
    monkeypatch.setattr(monitor_http._fastnats, "log", lambda lvl, msg: logged.append(msg))
    try:
        for request in (NEXT, b"garbage\r\n\r\n", b"GET /nope HTTP/1.0\r\n\r\n"):
            exchange(m.http_port, request)
    finally:
        m.stop()
    assert logged == []


def test_an_idle_connection_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_http, "IDLE_TIMEOUT", 0.3)
    m = start_fastnats()
    try:
        with socket.create_connection((HOST, m.http_port), timeout=5) as sock:
            sock.sendall(NEXT)
            _read_answer(sock, bytearray(), head_only=False)
            started = time.monotonic()
            assert sock.recv(1) == b""
            assert 0.2 < time.monotonic() - started < 3
    finally:
        m.stop()


def test_stop_ends_a_connection_in_the_middle_of_a_request() -> None:
    m = start_fastnats()
    assert m.server is not None
    with socket.create_connection((HOST, m.http_port), timeout=5) as sock:
        sock.sendall(b"GET /varz HTTP/1.1\r\nHost: x\r\n")  # no blank line yet
        time.sleep(0.1)
        started = time.monotonic()
        m.stop()
        assert time.monotonic() - started < 2
        assert sock.recv(1) == b""
    with pytest.raises(OSError):
        socket.create_connection((HOST, m.http_port), timeout=2).close()


def test_stop_before_start_and_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    listener = monitor_http.MonitorListener(object(), HOST, 0)  # type: ignore[arg-type]
    port = listener.port
    listener.stop()
    listener.stop()
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=2).close()


def test_ipv6_listener() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    server = fastnats.Server(host="127.0.0.1", port=0, http_host="::1", http_port=0).start()
    try:
        assert server.http_port
        with socket.create_connection(("::1", server.http_port), timeout=5) as sock:
            sock.sendall(NEXT)
            head, body = _read_answer(sock, bytearray(), head_only=False)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == b'{"status":"ok"}'
        assert server.varz()["http_host"] == "::1"
    finally:
        server.stop()


def test_request_line_and_headers_share_1_mib(servers: Pair) -> None:
    """Go's ``MaxHeaderBytes`` (1 MiB, and its 4 KiB of slack) is over the whole head: a 100 KB
    query keeps the connection, headers over the limit are ``431`` and the close."""
    query = b"GET /healthz?x=" + b"A" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X: AAAAAAAA\r\n" * 90_000 + b"\r\n"
    for m in servers.both():
        answer = exchange(m.http_port, query)
        assert answer["status"] == "HTTP/1.1 200 OK" and answer["kept"], m.kind
        answer = exchange(m.http_port, headers)
        assert answer["status"] == "HTTP/1.1 431 Request Header Fields Too Large", m.kind
        assert not answer["kept"]


# ---------------------------------------------------------------------------------------------
# the parsers
# ---------------------------------------------------------------------------------------------


def test_parse_query_is_go_parse_query_then_get() -> None:
    q = httpwire.parse_query("a&b=&c=1&c=2&d=%41+x&e=%zz&f;g=1&&h=%E2%82%AC&=v&i=a=b")
    assert q == {"a": "", "b": "", "c": "1", "d": "A x", "h": "€", "": "v", "i": "a=b"}


def test_unescape_and_clean_path() -> None:
    assert httpwire.unescape("/h%65llo+x") == "/hello+x"
    assert httpwire.unescape("a+b", plus=True) == "a b"
    assert httpwire.unescape("%2") is None
    assert httpwire.unescape("%g0") is None
    assert httpwire.unescape("%ff") == "\ufffd"
    for path, clean in [
        ("", "/"),
        ("/", "/"),
        ("//varz", "/varz"),
        ("/a/../varz", "/varz"),
        ("/../varz", "/varz"),
        ("/./varz/", "/varz/"),
        ("/varz/.", "/varz"),
        ("/a/..", "/"),
        ("/connz//x/", "/connz/x/"),
    ]:
        assert httpwire.clean_path(path) == clean, path


def test_http_date() -> None:
    now = time.time()
    assert httpwire.http_date(now) == email.utils.formatdate(now, usegmt=True)
    assert httpwire.http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_a_listener_descriptor_over_1024() -> None:
    """The listener waits in poll(), not select(): a process with many descriptors (an
    embedding application, the engine's clients) still serves monitoring."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"descriptor limit {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held: list[int] = []
    try:
        with open(os.devnull, "rb") as f:
            while len(held) < 1100:
                held.append(os.dup(f.fileno()))
        m = start_fastnats()
        try:
            answer = exchange(m.http_port, NEXT)
            assert answer["status"] == "HTTP/1.1 200 OK" and answer["kept"]
        finally:
            m.stop()
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
