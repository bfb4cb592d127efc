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
side; the reading and refusing is :mod:`fastnats.monitor.httpwire`): the response's version is
the request's (``HTTP/1.0`` or ``HTTP/1.1``); HTTP/1.0 closes unless ``Connection:
keep-alive`` is asked, HTTP/1.1 keeps the connection unless ``Connection: close``; every
method is answered as GET (HEAD without the body); a request body (``Content-Length`` or
chunked) is read and dropped, up to 256 KiB (more, or a body behind ``Expect: 100-continue``,
answers and closes); the request line and headers may take 1 MiB (Go's ``MaxHeaderBytes``;
more is ``431``); a malformed request is Go's plain-text ``400 Bad Request`` (``505`` for a
version other than 1.x, ``501`` for a transfer coding other than chunked), without ``Date``,
then the close; a path that is not clean (``//varz``, ``/a/../varz``) is redirected (``307``)
to the clean one; the path is percent-decoded before routing. Query values: the first of each
key, blank values kept, ``+`` a space, a pair with a bad escape or a ``;`` dropped (Go's
``url.ParseQuery``).

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
from .httpwire import (
    MAX_DISCARD,
    REASONS,
    TEXT,
    Reader,
    Reject,
    Request,
    clean_path,
    html_escape,
    http_date,
    linger_close,
    parse_query,
    read_request,
    unescape,
)
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
            reader = Reader(conn)
            while not self._closing:
                try:
                    req = read_request(reader)
                except Reject as e:
                    conn.sendall(e.answer)
                    linger_close(conn)
                    return
                if req is None:
                    return
                answer, keep, drained = self._answer(req, reader)
                conn.sendall(answer)
                if not keep:
                    if not drained:
                        linger_close(conn)
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

    def _answer(self, req: Request, reader: Reader) -> tuple[bytes, bool, bool]:
        """The answer to ``req``, whether the connection stays, and whether its input was
        read to the end of the request (False: linger before closing)."""
        close, drained = req.close, True
        if req.length or req.chunked:  # drop the body, as Go does after its handler
            if req.expect:  # 100 Continue was never sent: the body may or may not come
                close, drained = True, False
            elif req.chunked:
                try:
                    whole = reader.discard_chunked(MAX_DISCARD)
                except Reject:  # a chunk line over its limit: malformed
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
        req: Request, clean: str, headers: list[tuple[str, str]]
    ) -> tuple[int, bytes, bool]:
        """Go's ``ServeMux`` redirect to the clean path (``http.Redirect``, 307)."""
        location = clean + ("?" + req.query if req.query else "")
        location = "".join(c if c < "\x80" else f"%{ord(c):02X}" for c in location)
        body = b""
        if req.method in ("GET", "HEAD"):
            headers.append(("Content-Type", HTML))
        headers.append(("Location", location))
        if req.method == "GET":
            body = f'<a href="{html_escape(location)}">Temporary Redirect</a>.\n\n'.encode()
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
