"""The monitoring HTTP listener: nats-server's endpoints plus ``/metrics``.

A stdlib ``ThreadingHTTPServer`` on a daemon thread. It never touches the message path: each
request reads the native counters and snapshots when it is answered.

Responses are shaped as nats-server's: pretty-printed JSON (``/healthz`` compact) with
``Content-Type: application/json`` and ``Access-Control-Allow-Origin: *``; a bad query value is
HTTP 400 with nats-server's plain-text message; an unknown path is its ``404 page not found``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .. import _fastnats
from . import accountz as _accountz
from . import accstatz as _accstatz
from . import connz as _connz
from . import healthz as _healthz
from . import jsz as _jsz
from . import leafz as _leafz
from . import metrics as _metrics
from . import routez as _routez
from . import subsz as _subsz
from . import varz as _varz
from .params import BadRequest, Query
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


def _varz_route(monitor: MonitorState, query: Query) -> Response:
    monitor.count_request("/varz")
    return _json(_varz.varz(monitor))


def _connz_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_connz.connz(monitor, query, lambda: monitor.count_request("/connz")))


def _routez_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_routez.routez(monitor, query, lambda: monitor.count_request("/routez")))


def _leafz_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_leafz.leafz(monitor, query, lambda: monitor.count_request("/leafz")))


def _subsz_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_subsz.subsz(monitor, query, lambda: monitor.count_request("/subsz")))


def _accountz_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_accountz.accountz(monitor, query, lambda: monitor.count_request("/accountz")))


def _accstatz_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_accstatz.accstatz(monitor, query, lambda: monitor.count_request("/accstatz")))


def _healthz_route(monitor: MonitorState, query: Query) -> Response:
    monitor.count_request("/healthz")
    status, doc = _healthz.healthz(monitor, query)
    return status, JSON, encode(doc, pretty=False), True


def _jsz_route(monitor: MonitorState, query: Query) -> Response:
    return _json(_jsz.jsz(monitor, query, lambda: monitor.count_request("/jsz")))


def _metrics_route(monitor: MonitorState, query: Query) -> Response:
    monitor.count_request("/metrics")
    return 200, _metrics.CONTENT_TYPE, _metrics.metrics(monitor).encode(), True


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


MAX_REQUEST_LINE = 1 << 20
"""Go's ``http.DefaultMaxHeaderBytes``: the longest request line answered."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"fastnats/{_fastnats.__version__}"
    timeout = IDLE_TIMEOUT
    # Headers and body leave in one write (flushed after each request), without Nagle's
    # delay: small answers on kept-alive connections would otherwise wait ~40 ms for an ACK.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _HTTPServer

    def _answer(self, send_body: bool) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():  # a POST body: read it so the connection stays usable
            self.rfile.read(int(length))
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        route = ROUTES.get(url.path)
        if route is None:
            status, ctype, body, cors = 404, TEXT, b"404 page not found\n", False
        else:
            try:
                status, ctype, body, cors = route(self.server.monitor, query)
            except BadRequest as e:
                status, ctype, body, cors = e.status, TEXT, e.message.encode(), False
            except Exception as e:  # a bug: answer it and log it, keep serving
                import traceback

                _fastnats.log("error", "monitoring: " + traceback.format_exc().rstrip())
                status, ctype, body, cors = 500, TEXT, f"{type(e).__name__}: {e}".encode(), False
        self.send_response(status)
        if cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Type", ctype)
        if status == 404:
            self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def handle_one_request(self) -> None:
        """``BaseHTTPRequestHandler``'s, with Go's limit on the request line (its
        ``MaxHeaderBytes``, 1 MiB, where Python stops at 64 KiB with a 414): a long query
        gets its answer, as from nats-server; a longer line gets Go's 431 and the close."""
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.wfile.write(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                    b"431 Request Header Fields Too Large"
                )
                self.close_connection = True
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(501, f"Unsupported method ({self.command!r})")
                return
            method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    # nats-server answers every method alike.
    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """nats-server does not log monitoring requests; neither do we."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], monitor: MonitorState) -> None:
        self.monitor = monitor
        # Connections being served (kept-alive ones included), so stop() can end them.
        self._conns: set[socket.socket] = set()
        self._conns_changed = threading.Condition()
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._conns_changed:
            self._conns.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_changed:
                self._conns.discard(request)
                self._conns_changed.notify_all()

    def end_connections(self, timeout: float) -> None:
        """Shut down every connection and wait (bounded) for their requests to finish."""
        with self._conns_changed:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._conns_changed.wait_for(lambda: not self._conns, timeout)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN (a DNS lookup); nothing needs it.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # the client went away
        import traceback

        _fastnats.log("error", "monitoring request failed: " + traceback.format_exc().rstrip())


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class MonitorListener:
    """Serves ``monitor`` over HTTP on ``host:port`` (port 0: a free one, read ``.port``)."""

    def __init__(self, monitor: MonitorState, host: str, port: int) -> None:
        bind_host = host or "0.0.0.0"
        cls = _HTTPServer6 if ":" in bind_host else _HTTPServer
        self._httpd = cls((bind_host, port), monitor)
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="fastnats-monitor",
            daemon=True,
        )

    def start(self) -> MonitorListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops accepting, closes the listening socket and the open connections (a request
        being answered finishes first). Idempotent."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()
        self._httpd.end_connections(timeout=5.0)
