"""HTTP/1.1 on a socket as Go's ``net/http`` reads and refuses it: the request reader (line,
headers, body dropped up to a limit, chunked included), the checks whose failures Go answers
before any handler (``400``/``431``/``501``/``505``), path cleaning and percent-decoding, the
query's parsing (Go's ``url.ParseQuery``), the ``Date`` header and the lingering close.

Written here, not taken from the standard library, for the import cost on the way to
``Server is ready`` (see :mod:`fastnats.monitor.http`, which serves the endpoints over it).
"""

from __future__ import annotations

import _socket
import time

from ..errors import FastNatsError

TEXT = "text/plain; charset=utf-8"


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


class Reject(FastNatsError):  # noqa: N818 - not an error of the server: an answer
    """A request Go's server refuses before any handler: ``answer`` is sent as is, then the
    connection is closed."""

    def __init__(self, status: str, body: str | None = None) -> None:
        super().__init__(status)
        self.answer = (
            f"HTTP/1.1 {status}\r\nContent-Type: {TEXT}\r\nConnection: close\r\n\r\n"
            f"{status if body is None else body}"
        ).encode()


def _bad(message: str = "") -> Reject:
    """Go's ``400 Bad Request`` (with ``: message`` where Go shows one)."""
    return Reject("400 Bad Request" + (f": {message}" if message else ""))


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


class Reader:
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
                    raise Reject("431 Request Header Fields Too Large")
                line = bytes(self.buf[:end])
                del self.buf[: end + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self.buf) > limit:
                raise Reject("431 Request Header Fields Too Large")
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


class Request:
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
    :class:`Reject` (Go's 400) for anything else or a bad escape in the path."""
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


def read_request(reader: Reader) -> Request | None:
    """The next request's head, as Go's ``readRequest`` takes it; None at the end of input.
    Raises :class:`Reject` with Go's answer for a malformed one."""
    line = reader.line(MAX_HEAD)
    if line is None:
        return None
    budget = MAX_HEAD - len(line) - 2
    text = line.decode("latin-1")
    method, sp1, rest = text.partition(" ")
    target, sp2, proto = rest.partition(" ")
    if not (sp1 and sp2):
        raise _bad()
    req = Request()
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
                raise Reject("501 Not Implemented", "Unsupported transfer encoding")
            req.chunked = True
    if not req.chunked:
        lengths = {v for v in headers.get("content-length", []) if v}
        if len(lengths) > 1 or any(not v.isdigit() or not v.isascii() for v in lengths):
            raise _bad()
        req.length = int(lengths.pop()) if lengths else 0
    if major != 1:
        raise Reject(
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


def linger_close(sock: _socket.socket) -> None:
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


def html_escape(text: str) -> str:
    for ch, esc in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        text = text.replace(ch, esc)
    return text


