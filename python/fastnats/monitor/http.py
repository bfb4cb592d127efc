"""The monitoring HTTP listener: nats-server's endpoints plus ``/metrics``.

A small HTTP/1.1 server of our own on ``_socket``, ``select`` and ``threading``: a listener
thread waits in ``poll`` on the listening socket and a wake-up pipe (``stop()`` writes to
it), accepts, and serves each connection on a daemon thread of its own (keep-alive, idle
connections dropped after :data:`IDLE_TIMEOUT`). No stdlib server is used for its import
cost: ``http.server`` brings ``http.client`` (which loads ``ssl``, OpenSSL), ``email``,
``html``, ``mimetypes``, ``socketserver`` and ``urllib.parse``, ~40 ms of CPU and MiBs of RSS
before ``Server is ready`` with ``-m``; even ``socket`` (its ``IntEnum``s, ``selectors``) costs
~6 ms, so the C ``_socket`` module is used directly. The endpoint modules and ``json`` are
imported at the first request that needs them. It never touches the message path: each
request reads the native counters and snapshots when it is answered.

The protocol is answered as Go's ``net/http`` answers it for nats-server (checked side by
side): the response's version is the request's (``HTTP/1.0`` or ``HTTP/1.1``); HTTP/1.0
closes unless ``Connection: keep-alive`` is asked, HTTP/1.1 keeps the connection unless
``Connection: close``; every method is answered as GET (HEAD without the body); a request
body (``Content-Length`` or chunked) is read and dropped, up to 256 KiB (more, or a body
behind ``Expect: 100-continue``, answers and closes); the request line and headers may take
1 MiB (Go's ``MaxHeaderBytes``; more is ``431``); a malformed request is Go's plain-text
``400 Bad Request`` (``505`` for a version other than 1.x, ``501`` for a transfer coding other
than chunked), without ``Date``, then the close; a path that is not clean (``//varz``,
``/a/../varz``) is redirected (``307``) to the clean one; the path is percent-decoded before
routing. Query values: the first of each key, blank values kept, ``+`` a space, a pair with a
bad escape or a ``;`` dropped (Go's ``url.ParseQuery``).

Responses are shaped as nats-server's: pretty-printed JSON (``/healthz`` compact) with
``Content-Type: application/json`` and ``Access-Control-Allow-Origin: *``; a bad query value is
HTTP 400 with nats-server's plain-text message; an unknown path is its ``404 page not found``.
Requests are not logged (nats-server does not); a failing endpoint is a 500, logged.
"""

from __future__ import annotations

import _socket
import os
import select
import threading
import time

from .. import _fastnats
from ..errors import FastNatsError
from .params import BadRequest

# Names for annotations only (mypy reads this constant as typing.TYPE_CHECKING).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .params import Query
    from .state import MonitorState

__all__ = ["MonitorListener", "encode"]

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
# Idle keep-alive connections are dropped after this many seconds.
IDLE_TIMEOUT = 30.0

# (status, content type, body, CORS header?)
Response = tuple[int, str, bytes, bool]


def _go_numbers(value: Any) -> Any:
    """Integral floats as integers: Go's encoder writes ``2`` where Python writes ``2.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def encode(doc: Any, pretty: bool = True) -> bytes:
    """JSON as Go's ``json.MarshalIndent(doc, "", "  ")`` (or ``json.Marshal``) writes it."""
    import json  # at the first request: json imports re

    if pretty:
        text = json.dumps(_go_numbers(doc), indent=2, ensure_ascii=False)
    else:
        text = json.dumps(_go_numbers(doc), separators=(",", ":"), ensure_ascii=False)
    # Go escapes these for safe embedding in HTML; they only ever occur inside strings.
    for ch, esc in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text.encode()


def _json(doc: Any) -> Response:
    return 200, JSON, encode(doc), True


def _root(monitor: MonitorState, query: Query) -> Response:
    monitor.count_request("/")
    version = _fastnats.__version__
    links = "\n".join(
        f'    <a href=.{path}>{title}<span class="endpoint"> {path}</span></a>'
        for title, path in (
            ("General", "/varz"),
            ("Connections", "/connz"),
            ("Routes", "/routez"),
            ("LeafNodes", "/leafz"),
            ("Accounts", "/accountz"),
            ("Account Stats", "/accstatz"),
            ("Subscriptions", "/subsz"),
            ("JetStream", "/jsz"),
            ("Health Probe", "/healthz"),
            ("Prometheus Metrics", "/metrics"),
        )
    )
    page = f"""<html lang="en">
  <head>
    <title>fastnats monitoring</title>
    <style type="text/css">
      body {{ font-family: ui-sans-serif,system-ui,sans-serif; font-size: 18px; margin-left: 32px }}
      a {{ display:block; margin-left: 7px; padding-bottom: 6px; color: rgb(72 72 92);
          text-decoration: none }}
      a:hover {{ font-weight: 600; color: rgb(59 50 202) }}
      .endpoint {{ font-size: 12px; color: #999; font-family: monospace; display: none }}
      a:hover .endpoint {{ display: inline }}
    </style>
  </head>
  <body>
    <h2>fastnats v{version}</h2>
    <p>NATS server, compatible with nats-server v{_fastnats.COMPATIBLE_NATS_VERSION}</p>
{links}
  </body>
</html>
"""
    return 200, HTML, page.encode(), False


# The endpoint modules are imported by the first request that needs them.


def _varz_route(monitor: MonitorState, query: Query) -> Response:
    from . import varz

    monitor.count_request("/varz")
    return _json(varz.varz(monitor))


def _connz_route(monitor: MonitorState, query: Query) -> Response:
    from . import connz

    return _json(connz.connz(monitor, query, lambda: monitor.count_request("/connz")))


def _routez_route(monitor: MonitorState, query: Query) -> Response:
    from . import routez

    return _json(routez.routez(monitor, query, lambda: monitor.count_request("/routez")))


def _leafz_route(monitor: MonitorState, query: Query) -> Response:
    from . import leafz

    return _json(leafz.leafz(monitor, query, lambda: monitor.count_request("/leafz")))


def _subsz_route(monitor: MonitorState, query: Query) -> Response:
    from . import subsz

    return _json(subsz.subsz(monitor, query, lambda: monitor.count_request("/subsz")))


def _accountz_route(monitor: MonitorState, query: Query) -> Response:
    from . import accountz

    return _json(accountz.accountz(monitor, query, lambda: monitor.count_request("/accountz")))


def _accstatz_route(monitor: MonitorState, query: Query) -> Response:
    from . import accstatz

    return _json(accstatz.accstatz(monitor, query, lambda: monitor.count_request("/accstatz")))


def _healthz_route(monitor: MonitorState, query: Query) -> Response:
    from . import healthz

    monitor.count_request("/healthz")
    status, doc = healthz.healthz(monitor, query)
    return status, JSON, encode(doc, pretty=False), True


def _jsz_route(monitor: MonitorState, query: Query) -> Response:
    from . import jsz

    return _json(jsz.jsz(monitor, query, lambda: monitor.count_request("/jsz")))


def _metrics_route(monitor: MonitorState, query: Query) -> Response:
    from . import metrics

    monitor.count_request("/metrics")
    return 200, metrics.CONTENT_TYPE, metrics.metrics(monitor).encode(), True


ROUTES: dict[str, Callable[[MonitorState, Query], Response]] = {
    "/": _root,
    "/varz": _varz_route,
    "/connz": _connz_route,
    "/routez": _routez_route,
    "/leafz": _leafz_route,
    "/subsz": _subsz_route,
    "/subscriptionsz": _subsz_route,
    "/accountz": _accountz_route,
    "/accstatz": _accstatz_route,
    "/healthz": _healthz_route,
    "/jsz": _jsz_route,
    "/metrics": _metrics_route,
}


# ---------------------------------------------------------------------------------------------
# HTTP/1.1, as Go's net/http answers it
# ---------------------------------------------------------------------------------------------

MAX_HEAD = (1 << 20) + 4096
"""Go's ``http.DefaultMaxHeaderBytes`` (1 MiB) plus its 4 KiB of slack: the most the request
line and headers may take; more is answered ``431`` and closed."""
MAX_DISCARD = 256 << 10
"""Go's ``maxPostHandlerReadBytes``: the most of an unread request body dropped to keep the
connection; a larger body is answered with ``Connection: close``."""
LINGER = 0.5
"""Go's ``rstAvoidanceDelay``: after a final answer with unread input, the write side is
shut and the input drained this long, so closing does not reset the answer away."""

REASONS = {
    200: "OK",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HOST = frozenset(
    "!$%&'()*+,-.:;=[]_~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_HEX = frozenset("0123456789abcdefABCDEF")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Reject(FastNatsError):  # noqa: N818 - not an error of the server: an answer
    """A request Go's server refuses before any handler: ``answer`` is sent as is, then the
    connection is closed."""

    def __init__(self, status: str, body: str | None = None) -> None:
        super().__init__(status)
        self.answer = (
            f"HTTP/1.1 {status}\r\nContent-Type: {TEXT}\r\nConnection: close\r\n\r\n"
            f"{status if body is None else body}"
        ).encode()


def _bad(message: str = "") -> _Reject:
    """Go's ``400 Bad Request`` (with ``: message`` where Go shows one)."""
    return _Reject("400 Bad Request" + (f": {message}" if message else ""))


def http_date(seconds: float | None = None) -> str:
    """The ``Date`` header's format (RFC 7231 IMF-fixdate), independent of the locale."""
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def unescape(text: str, plus: bool = False) -> str | None:
    """Go's ``url.PathUnescape`` (``plus``: ``QueryUnescape``, ``+`` is a space) of ``text``
    (the request's bytes as latin-1): the UTF-8 text, or None for a bad ``%`` escape."""
    if plus:
        text = text.replace("+", " ")
    if "%" not in text:
        return text.encode("latin-1").decode("utf-8", "replace")
    first, *rest = text.split("%")
    out = bytearray(first.encode("latin-1"))
    for part in rest:
        if len(part) < 2 or part[0] not in _HEX or part[1] not in _HEX:
            return None
        out.append(int(part[:2], 16))
        out += part[2:].encode("latin-1")
    return out.decode("utf-8", "replace")


def parse_query(raw: str) -> dict[str, str]:
    """Go's ``url.ParseQuery`` then ``Get``: the first value of each key, blank ones kept; a
    pair with a ``;`` or a bad escape is dropped."""
    query: dict[str, str] = {}
    for pair in raw.split("&"):
        if not pair or ";" in pair:
            continue
        k, _, v = pair.partition("=")
        key, value = unescape(k, plus=True), unescape(v, plus=True)
        if key is not None and value is not None:
            query.setdefault(key, value)
    return query


def clean_path(path: str) -> str:
    """Go's ``ServeMux`` ``cleanPath``: ``path.Clean`` keeping a trailing slash."""
    if not path:
        return "/"
    parts: list[str] = []
    for seg in path.split("/"):
        if seg == "..":
            if parts:
                parts.pop()
        elif seg and seg != ".":
            parts.append(seg)
    clean = "/" + "/".join(parts)
    if path.endswith("/") and clean != "/":
        clean += "/"
    return clean


def _tokens(values: list[str]) -> set[str]:
    return {t.strip().lower() for v in values for t in v.split(",")}


class _Reader:
    """Buffered reads from a connection (its timeout applies to each ``recv``)."""

    __slots__ = ("buf", "sock")

    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def line(self, limit: int) -> bytes | None:
        """The next line without its ``\\n`` (nor a ``\\r`` before it); None at the end of the
        input before a whole line. A line longer than ``limit`` (with its end) is Go's 431."""
        start = 0
        while True:
            end = self.buf.find(b"\n", start)
            if end >= 0:
                if end + 1 > limit:
                    raise _Reject("431 Request Header Fields Too Large")
                line = bytes(self.buf[:end])
                del self.buf[: end + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self.buf) > limit:
                raise _Reject("431 Request Header Fields Too Large")
            start = len(self.buf)
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data

    def discard(self, count: int) -> bool:
        """Drops ``count`` bytes; False if the input ends first."""
        while count > len(self.buf):
            count -= len(self.buf)
            self.buf.clear()
            data = self.sock.recv(65536)
            if not data:
                return False
            self.buf += data
        del self.buf[:count]
        return True

    def discard_chunked(self, budget: int) -> bool:
        """Drops a chunked body and its trailer; False if it is malformed, ends early or takes
        more than ``budget`` bytes."""
        while True:
            line = self.line(4096)
            if line is None:
                return False
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                return False
            size = int(size_text, 16)
            if size == 0:
                break
            budget -= size
            if budget < 0 or not self.discard(size) or self.line(2) != b"":
                return False
        while True:  # the trailer, up to its blank line
            line = self.line(4096)
            if line is None:
                return False
            if not line:
                return True


class _Request:
    __slots__ = (
        "chunked",
        "close",
        "expect",
        "length",
        "method",
        "minor",
        "path",
        "query",
        "target",
    )

    def __init__(self) -> None:
        self.method = ""
        self.target = ""
        self.path = ""  # escaped, from the target
        self.query = ""  # raw
        self.minor = 1  # HTTP/1.<minor>
        self.close = False  # close after the answer (the request's Connection header)
        self.length = 0  # Content-Length
        self.chunked = False
        self.expect = False  # Expect: 100-continue on HTTP/1.1


def _split_target(target: str) -> tuple[str, str]:
    """The escaped path and the raw query of a request target (origin or absolute form);
    :class:`_Reject` (Go's 400) for anything else or a bad escape in the path."""
    if not target.startswith("/"):
        scheme, sep, rest = target.partition("://")
        if not sep or not scheme[:1].isalpha() or any(c not in _TOKEN for c in scheme):
            raise _bad()
        cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        target = rest[cut:]
        if not target.startswith("/"):
            target = "/" + target
    path, _, query = target.partition("?")
    if unescape(path) is None:
        raise _bad()
    return path, query


def _read_request(reader: _Reader) -> _Request | None:
    """The next request's head, as Go's ``readRequest`` takes it; None at the end of input.
    Raises :class:`_Reject` with Go's answer for a malformed one."""
    line = reader.line(MAX_HEAD)
    if line is None:
        return None
    budget = MAX_HEAD - len(line) - 2
    text = line.decode("latin-1")
    method, sp1, rest = text.partition(" ")
    target, sp2, proto = rest.partition(" ")
    if not (sp1 and sp2):
        raise _bad()
    req = _Request()
    if proto == "HTTP/1.1" or proto == "HTTP/1.0":
        major, req.minor = 1, int(proto[7])
    elif (
        len(proto) == 8
        and proto.startswith("HTTP/")
        and proto[5].isdigit()
        and proto[6] == "."
        and proto[7].isdigit()
    ):
        major, req.minor = int(proto[5]), int(proto[7])
    else:
        raise _bad()
    if not method or any(c not in _TOKEN for c in method):
        raise _bad()
    if not target or any(c < " " or c == "\x7f" for c in target):
        raise _bad()
    req.method, req.target = method, target
    if target != "*":
        req.path, req.query = _split_target(target)

    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    bad_name = False
    while True:
        line = reader.line(budget)
        if line is None:
            raise _bad()
        budget -= len(line) + 2
        if not line:
            break
        text = line.decode("latin-1")
        if text[0] in " \t":  # obs-fold: continues the previous header's value
            if last is None:
                raise _bad()
            last[-1] += " " + text.strip(" \t")
            continue
        name, colon, value = text.partition(":")
        if not colon:
            raise _bad()
        if not name or any(c not in _TOKEN for c in name):
            bad_name = True
        last = headers.setdefault(name.lower(), [])
        last.append(value.strip(" \t"))

    hosts = headers.get("host", [])
    if len(hosts) > 1:
        raise _bad()
    if req.minor or major != 1:  # HTTP/1.1 and later
        tes = headers.get("transfer-encoding")
        if tes is not None:
            if len(tes) != 1 or tes[0].lower() != "chunked":
                raise _Reject("501 Not Implemented", "Unsupported transfer encoding")
            req.chunked = True
    if not req.chunked:
        lengths = {v for v in headers.get("content-length", []) if v}
        if len(lengths) > 1 or any(not v.isdigit() or not v.isascii() for v in lengths):
            raise _bad()
        req.length = int(lengths.pop()) if lengths else 0
    if major != 1:
        raise _Reject(
            "505 HTTP Version Not Supported: unsupported protocol version",
        )
    if req.minor and not hosts:
        raise _bad("missing required Host header")
    if hosts and any(c not in _HOST for c in hosts[0]):
        raise _bad("malformed Host header")
    if bad_name:
        raise _bad("invalid header name")
    tokens = _tokens(headers.get("connection", []))
    req.close = "close" in tokens if req.minor else "keep-alive" not in tokens
    expect = headers.get("expect", [])
    req.expect = bool(req.minor) and any(v.lower() == "100-continue" for v in expect)
    return req


def _linger_close(sock: _socket.socket) -> None:
    """Go's ``closeWriteAndWait``: shut the write side, drain the input for :data:`LINGER`
    seconds (or until the peer closes), so the answer is not lost to a reset."""
    try:
        sock.shutdown(_socket.SHUT_WR)
        deadline = time.monotonic() + LINGER
        drained = 0
        while drained < 16 << 20:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            data = sock.recv(65536)
            if not data:
                break
            drained += len(data)
    except OSError:
        pass


def _html_escape(text: str) -> str:
    for ch, esc in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        text = text.replace(ch, esc)
    return text


class MonitorListener:
    """Serves ``monitor`` over HTTP on ``host:port`` (port 0: a free one, read ``.port``)."""

    def __init__(self, monitor: MonitorState, host: str, port: int) -> None:
        bind_host = host or "0.0.0.0"
        self._family = _socket.AF_INET6 if ":" in bind_host else _socket.AF_INET
        sock = _socket.socket(self._family, _socket.SOCK_STREAM)
        try:
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
            sock.bind((bind_host, port))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.monitor = monitor
        self.host = host
        self.port = int(sock.getsockname()[1])
        self._wake_r, self._wake_w = os.pipe()
        # Connections being served (kept-alive ones included), so stop() can end them.
        self._conns: set[_socket.socket] = set()
        self._conns_changed = threading.Condition()
        self._closing = False
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="fastnats-monitor")
        self._thread.daemon = True

    def start(self) -> MonitorListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops accepting, closes the listening socket and the open connections (a request
        being answered finishes first), waiting for them at most 5 s. Idempotent."""
        with self._conns_changed:
            if self._closed:
                return
            self._closed = self._closing = True
        os.write(self._wake_w, b"x")
        if self._thread.is_alive():
            self._thread.join()
        self._sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        with self._conns_changed:
            for conn in self._conns:
                try:
                    conn.shutdown(_socket.SHUT_RDWR)
                except OSError:
                    pass
            self._conns_changed.wait_for(lambda: not self._conns, 5.0)

    # serving ------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        # poll, not select: a process with over 1024 descriptors (the engine's clients) may
        # have given the listener a descriptor select() cannot take.
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while not self._closing:
            try:
                poller.poll()
                if self._closing:
                    return
                # _socket's accept (socket.socket.accept wraps it): the new descriptor
                fd, _ = self._sock._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                continue  # the peer went away before accept
            except OSError:
                if self._closing:
                    return
                time.sleep(0.1)  # out of file descriptors: let others finish
                continue
            conn = _socket.socket(self._family, _socket.SOCK_STREAM, 0, fd)
            with self._conns_changed:
                if self._closing:
                    conn.close()
                    return
                self._conns.add(conn)
            worker = threading.Thread(
                target=self._serve, args=(conn,), name="fastnats-monitor-conn"
            )
            worker.daemon = True
            worker.start()

    def _serve(self, conn: _socket.socket) -> None:
        try:
            conn.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            conn.settimeout(IDLE_TIMEOUT)
            reader = _Reader(conn)
            while not self._closing:
                try:
                    req = _read_request(reader)
                except _Reject as e:
                    conn.sendall(e.answer)
                    _linger_close(conn)
                    return
                if req is None:
                    return
                answer, keep, drained = self._answer(req, reader)
                conn.sendall(answer)
                if not keep:
                    if not drained:
                        _linger_close(conn)
                    return
        except OSError:
            pass  # the client went away, idle timeout, or stop()
        except Exception:  # a bug here: log it, drop the connection, keep serving
            import traceback

            _fastnats.log("error", "monitoring request failed: " + traceback.format_exc().rstrip())
        finally:
            with self._conns_changed:
                self._conns.discard(conn)
                self._conns_changed.notify_all()
            conn.close()

    def _answer(self, req: _Request, reader: _Reader) -> tuple[bytes, bool, bool]:
        """The answer to ``req``, whether the connection stays, and whether its input was
        read to the end of the request (False: linger before closing)."""
        close, drained = req.close, True
        if req.length or req.chunked:  # drop the body, as Go does after its handler
            if req.expect:  # 100 Continue was never sent: the body may or may not come
                close, drained = True, False
            elif req.chunked:
                try:
                    whole = reader.discard_chunked(MAX_DISCARD)
                except _Reject:  # a chunk line over its limit: malformed
                    whole = False
                if not whole:
                    close, drained = True, False
            elif req.length > MAX_DISCARD or not reader.discard(req.length):
                close, drained = True, False
        headers: list[tuple[str, str]] = []
        body = b""
        send_length = True
        if req.target == "*":
            if req.method == "OPTIONS":
                status = 200
            else:
                status, close = 400, True
                if req.minor:
                    headers.append(("Connection", "close"))
        else:
            clean = clean_path(req.path)
            if clean != req.path:
                status, body, send_length = self._redirect(req, clean, headers)
            else:
                status, ctype, body, cors = self._route(req.path, req.query)
                if cors:
                    headers.append(("Access-Control-Allow-Origin", "*"))
                headers.append(("Content-Type", ctype))
                if status == 404:
                    headers.append(("X-Content-Type-Options", "nosniff"))
        reason = REASONS.get(status, f"status code {status}")
        head = [f"HTTP/1.{1 if req.minor else 0} {status} {reason}"]
        head += [f"{k}: {v}" for k, v in headers]
        head.append(f"Date: {http_date()}")
        if send_length:
            head.append(f"Content-Length: {len(body)}")
        if close and req.minor and ("Connection", "close") not in headers:
            head.append("Connection: close")
        elif not close and not req.minor:
            head.append("Connection: keep-alive")
        answer = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if req.method != "HEAD":
            answer += body
        return answer, not close, drained

    @staticmethod
    def _redirect(
        req: _Request, clean: str, headers: list[tuple[str, str]]
    ) -> tuple[int, bytes, bool]:
        """Go's ``ServeMux`` redirect to the clean path (``http.Redirect``, 307)."""
        location = clean + ("?" + req.query if req.query else "")
        location = "".join(c if c < "\x80" else f"%{ord(c):02X}" for c in location)
        body = b""
        if req.method in ("GET", "HEAD"):
            headers.append(("Content-Type", HTML))
        headers.append(("Location", location))
        if req.method == "GET":
            body = f'<a href="{_html_escape(location)}">Temporary Redirect</a>.\n\n'.encode()
        return 307, body, req.method != "HEAD"

    def _route(self, escaped_path: str, raw_query: str) -> Response:
        route = ROUTES.get(unescape(escaped_path) or "")
        if route is None:
            return 404, TEXT, b"404 page not found\n", False
        try:
            return route(self.monitor, parse_query(raw_query))
        except BadRequest as e:
            return e.status, TEXT, e.message.encode(), False
        except Exception as e:  # a bug: answer it and log it, keep serving
            import traceback

            _fastnats.log("error", "monitoring: " + traceback.format_exc().rstrip())
            return 500, TEXT, f"{type(e).__name__}: {e}".encode(), False
