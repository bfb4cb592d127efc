"""Go's standard library, where nats-server's texts and formats come from it.

nats-server writes numbers, durations, times and quoted strings with Go's standard library, and
its error messages embed that library's texts. fastnats reproduces them byte for byte, here and
nowhere else (the config loader, the command line and the monitoring endpoints all use this
module):

* :func:`quote` -- ``strconv.Quote``, Go's ``%q`` of a string;
* :func:`parse_int`, :func:`parse_uint`, :func:`atoi` -- ``strconv.ParseInt``/``ParseUint``/
  ``Atoi``, with base 0's prefixes (``0x``, ``0o``, ``0b``, a leading ``0`` for octal) and
  ``_`` separators; errors are :class:`NumError` with strconv's message;
* :func:`parse_bool` -- ``strconv.ParseBool``;
* :func:`format_float` -- ``%v`` of a ``float64`` (``strconv.FormatFloat(f, 'g', -1, 64)``);
* :func:`parse_duration` -- ``time.ParseDuration``, in integer nanoseconds, with its messages;
* :func:`duration_string` -- ``time.Duration.String()`` (``1h2m3.5s``, ``1.5ms``, ``0s``);
* :func:`rfc3339` -- a ``time.Time`` in UTC as ``encoding/json`` writes it (``RFC3339Nano``);
* :func:`url_parse` -- ``net/url.Parse``'s verdict (scheme, user, password, host) and errors;
* :func:`split_host_port` -- ``net.SplitHostPort`` with its errors.

Go strings are bytes, Python strings are code points. Text that came from bytes that are not
UTF-8 reaches here decoded with ``surrogateescape`` (U+DC80..U+DCFF stand for those bytes);
the quoting functions write them as Go writes the raw bytes, ``\\xNN``.

The command line imports this module at start-up: it uses nothing but the ``time`` module.
"""

from __future__ import annotations

import time

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "RANGE",
    "SYNTAX",
    "UINT64_MAX",
    "NumError",
    "atoi",
    "duration_string",
    "format_float",
    "parse_bool",
    "parse_duration",
    "parse_int",
    "parse_uint",
    "quote",
    "rfc3339",
    "split_host_port",
    "url_parse",
    "GoURL",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1

# --------------------------------------------------------------------------------------------
# Quoting
# --------------------------------------------------------------------------------------------

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _escaped_byte(code: int) -> int | None:
    """The raw byte a ``surrogateescape`` code point stands for, or None."""
    return code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else None


def quote(s: str) -> str:
    """Go's ``strconv.Quote``: ``"`` and ``\\`` backslashed, printable runes (Go's
    ``IsPrint``: letters, marks, numbers, punctuation, symbols and the ASCII space) as they
    are, ``\\a \\b \\f \\n \\r \\t \\v``, other control bytes as ``\\xNN``, other runes as
    ``\\uNNNN`` or ``\\UNNNNNNNN``, bytes that are not UTF-8 as ``\\xNN``.

    Python's ``str.isprintable`` is Go's ``IsPrint``: both exclude exactly the Unicode
    categories C* and Z* but the ASCII space.
    """
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F or (code >= 0x80 and ch.isprintable()):
            out.append(ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif (byte := _escaped_byte(code)) is not None:
            out.append(f"\\x{byte:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # not a valid rune: Go writes U+FFFD's escape
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _time_quote(s: str) -> str:
    """The time package's own quoting (``time.quote``, in ``ParseDuration``'s errors): only
    ``"`` and ``\\`` backslashed, and every byte of a rune below U+0020 or above U+007F as
    ``\\xNN`` (``"µs"`` -> ``"\\xc2\\xb5s"``)."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if 0x20 <= code < 0x80:
            out.append("\\" + ch if ch in ('"', "\\") else ch)
            continue
        byte = _escaped_byte(code)
        data = bytes([byte]) if byte is not None else ch.encode("utf-8", "surrogatepass")
        out.extend(f"\\x{b:02x}" for b in data)
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------------------------
# strconv: integers and booleans
# --------------------------------------------------------------------------------------------

SYNTAX = "invalid syntax"
RANGE = "value out of range"


class NumError(ValueError):
    """strconv's ``*NumError``: ``strconv.<func>: parsing "<num>": <err>``.

    ``err`` is :data:`SYNTAX` or :data:`RANGE` (Go's ``ErrSyntax``/``ErrRange``), which is what
    callers such as Go's ``flag`` package turn into texts of their own.
    """

    def __init__(self, func: str, num: str, err: str) -> None:
        self.func = func
        self.num = num
        self.err = err
        super().__init__(f"strconv.{func}: parsing {quote(num)}: {err}")


_PREFIXES = {"b": 2, "B": 2, "o": 8, "O": 8, "x": 16, "X": 16}
_HEX_LETTERS = frozenset("abcdefABCDEF")


def _underscore_ok(s: str) -> bool:
    """strconv's ``underscoreOK``: ``_`` only between digits, or between a base prefix and a
    digit."""
    saw = "^"  # ^ start, 0 digit or prefix, _ underscore, ! anything else
    i = 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexadecimal = False
    if len(s) >= 2 and s[0] == "0" and s[1] in _PREFIXES:
        i = 2
        saw = "0"
        hexadecimal = _PREFIXES[s[1]] == 16
    for c in s[i:]:
        if "0" <= c <= "9" or (hexadecimal and c in _HEX_LETTERS):
            saw = "0"
            continue
        if c == "_":
            if saw != "0":
                return False
            saw = "_"
            continue
        if saw == "_":
            return False
        saw = "!"
    return saw != "_"


def _parse_uint(s: str, base: int, bit_size: int, func: str, num: str) -> int:
    """``strconv.ParseUint`` reporting errors as ``func`` on ``num`` (ParseInt and Atoi
    reuse it, as Go does)."""
    if not s:
        raise NumError(func, num, SYNTAX)
    base0 = base == 0
    digits = s
    if base0:
        base = 10
        if s[0] == "0":
            if len(s) >= 3 and s[1] in _PREFIXES:
                base = _PREFIXES[s[1]]
                digits = s[2:]
            else:
                base = 8
                digits = s[1:]
    elif not 2 <= base <= 36:
        raise ValueError(f"invalid base {base}")
    max_value = (1 << bit_size) - 1
    n = 0
    underscores = False
    for c in digits:
        if c == "_" and base0:
            underscores = True
            continue
        if "0" <= c <= "9":
            d = ord(c) - ord("0")
        elif c.isascii() and "a" <= c.lower() <= "z":
            d = ord(c.lower()) - ord("a") + 10
        else:
            raise NumError(func, num, SYNTAX)
        if d >= base:
            raise NumError(func, num, SYNTAX)
        # Go reports the overflow at the digit that causes it, before looking further.
        n = n * base + d
        if n > max_value:
            raise NumError(func, num, RANGE)
    if underscores and not _underscore_ok(s):
        raise NumError(func, num, SYNTAX)
    return n


def parse_uint(s: str, base: int = 0, bit_size: int = 64) -> int:
    """Go's ``strconv.ParseUint(s, base, bit_size)``; raises :class:`NumError`."""
    return _parse_uint(s, base, bit_size, "ParseUint", s)


def parse_int(s: str, base: int = 0, bit_size: int = 64, *, func: str = "ParseInt") -> int:
    """Go's ``strconv.ParseInt(s, base, bit_size)``: an optional sign, then
    :func:`parse_uint`'s syntax (base 0: ``0x1f``, ``0o17``, ``017``, ``0b101``, ``1_000``).
    Raises :class:`NumError` named ``func``."""
    if not s:
        raise NumError(func, s, SYNTAX)
    negative = s[0] == "-"
    body = s[1:] if s[0] in "+-" else s
    cutoff = 1 << (bit_size - 1)
    try:
        n = _parse_uint(body, base, bit_size, func, s)
    except NumError as e:
        if e.err != RANGE:
            raise
        n = cutoff + 1  # beyond the range either way
    if (not negative and n >= cutoff) or (negative and n > cutoff):
        raise NumError(func, s, RANGE)
    return -n if negative else n


def atoi(s: str) -> int:
    """Go's ``strconv.Atoi`` (a 64-bit ``int``): decimal only, errors named ``Atoi``."""
    return parse_int(s, 10, 64, func="Atoi")


_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def parse_bool(s: str) -> bool:
    """Go's ``strconv.ParseBool``: ``1 t T true TRUE True`` and ``0 f F false FALSE False``;
    raises :class:`NumError` for anything else."""
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise NumError("ParseBool", s, SYNTAX)


def format_float(value: float) -> str:
    """Go's ``%v`` of a ``float64`` (``strconv.FormatFloat(value, 'g', -1, 64)``): the
    shortest digits that read back as ``value`` (Python's ``repr`` finds the same ones), in
    exponent form when the decimal exponent is below -4 or at least 6 (``2``, ``0.5``,
    ``1e-05``, ``1.234567e+06``), ``+Inf``, ``-Inf``, ``NaN``."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or "0")  # value = 0.<digits> * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    if not digits:
        return sign + "0"
    exp = point - 1
    if exp < -4 or exp >= 6:  # Go's threshold for the shortest precision
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{head}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


# --------------------------------------------------------------------------------------------
# time: durations and times
# --------------------------------------------------------------------------------------------

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DIGITS = "0123456789"
_LIMIT = 1 << 63


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: the duration in integer nanoseconds.

    A possibly signed sequence of decimal numbers, each with an optional fraction and a unit
    (``ns``, ``us``/``µs``/``μs``, ``ms``, ``s``, ``m``, ``h``); ``"0"`` alone needs none.
    Fractions are scaled in floating point as Go does (``0.3333333333333333333h`` is 20m).
    Raises ValueError with Go's message: ``time: invalid duration "x"``, ``time: missing
    unit in duration "5"``, ``time: unknown unit "d" in duration "1d"``.
    """

    def invalid() -> ValueError:
        return ValueError(f"time: invalid duration {_time_quote(text)}")

    s = text
    negative = False
    if s and s[0] in "+-":
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid()
    total = 0
    while s:
        if s[0] != "." and s[0] not in _DIGITS:
            raise invalid()
        # The whole part: an overflow is an error (Go's leadingInt).
        i = 0
        whole = 0
        while i < len(s) and s[i] in _DIGITS:
            whole = whole * 10 + ord(s[i]) - ord("0")
            if whole > _LIMIT:
                raise invalid()
            i += 1
        pre = i > 0
        s = s[i:]
        # The fraction: digits past int64's precision are ignored (Go's leadingFraction).
        fraction, scale, post = 0, 1.0, False
        if s[:1] == ".":
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and s[i] in _DIGITS:
                if not overflow:
                    nxt = fraction * 10 + ord(s[i]) - ord("0")
                    if fraction > (_LIMIT - 1) // 10 or nxt > _LIMIT:
                        overflow = True
                    else:
                        fraction = nxt
                        scale *= 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise invalid()
        i = 0
        while i < len(s) and s[i] != "." and s[i] not in _DIGITS:
            i += 1
        if i == 0:
            raise ValueError(f"time: missing unit in duration {_time_quote(text)}")
        unit, s = s[:i], s[i:]
        if unit not in _UNITS:
            raise ValueError(
                f"time: unknown unit {_time_quote(unit)} in duration {_time_quote(text)}"
            )
        scale_ns = _UNITS[unit]
        if whole > _LIMIT // scale_ns:
            raise invalid()
        value = whole * scale_ns
        if fraction:
            value += int(float(fraction) * (float(scale_ns) / scale))
            if value > _LIMIT:
                raise invalid()
        total += value
        if total > _LIMIT:
            raise invalid()
    if negative:
        return -total
    if total > INT64_MAX:
        raise invalid()
    return total


def _fraction(value: int, digits: int) -> str:
    """Go's ``fmtFrac`` + ``fmtInt``: ``value`` with its low ``digits`` digits as a fraction,
    trailing zeros (and a bare point) dropped."""
    whole, frac = divmod(value, 10**digits)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:0{digits}d}".rstrip("0")


def duration_string(ns: int) -> str:
    """Go's ``time.Duration.String()`` of ``ns`` nanoseconds: ``0s``, ``1ns``, ``1.1µs``,
    ``2.2ms``, ``3.3s``, ``4m5s``, ``5h6m7.001s`` (hours are the largest unit)."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fraction(u, 3)}\u00b5s"
    if u < 1_000_000_000:
        return f"{sign}{_fraction(u, 6)}ms"
    out = _fraction(u % 60_000_000_000, 9) + "s"
    minutes = u // 60_000_000_000
    if minutes:
        out = f"{minutes % 60}m{out}"
        hours = minutes // 60
        if hours:
            out = f"{hours}h{out}"
    return sign + out


def rfc3339(ns: int) -> str:
    """Unix nanoseconds as ``encoding/json`` writes a UTC ``time.Time`` (``RFC3339Nano``):
    ``2023-11-14T22:13:20.5Z``, the fraction without trailing zeros and absent when zero."""
    secs, frac = divmod(ns, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


# --------------------------------------------------------------------------------------------
# net/url.Parse and net.SplitHostPort
# --------------------------------------------------------------------------------------------


class GoURL:
    """What ``url.Parse`` found: ``scheme`` (lower case), ``user`` and ``password`` (None when
    absent, percent-decoded), ``host`` (``host:port`` as written), ``opaque``, ``path``."""

    __slots__ = ("scheme", "user", "password", "host", "opaque", "path")

    def __init__(self) -> None:
        self.scheme = ""
        self.user: str | None = None
        self.password: str | None = None
        self.host = ""
        self.opaque = ""
        self.path = ""


_HEX = "0123456789abcdefABCDEF"
_USERINFO_EXTRA = frozenset("-._:~!$&'()*+,;=%@")
_HOST_ALLOWED = frozenset("-_.~!$&'()*+,;=:[]<>\"")


def _unescape(s: str, host: bool) -> str:
    """Go's ``url.unescape`` (its checks; the decoding only as far as callers need it)."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise ValueError(f"invalid URL escape {quote(s[i : i + 3])}")
            out.append(int(s[i + 1 : i + 3], 16))
            i += 3
            continue
        if host and ord(c) < 0x80 and not (c.isascii() and c.isalnum()) and c not in _HOST_ALLOWED:
            raise ValueError(f"invalid character {quote(c)} in host name")
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _valid_optional_port(port: str) -> bool:
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _parse_host(host: str) -> str:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise ValueError("missing ']' in host")
        if not _valid_optional_port(host[end + 1 :]):
            raise ValueError(f"invalid port {quote(host[end + 1 :])} after host")
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _valid_optional_port(host[colon:]):
            raise ValueError(f"invalid port {quote(host[colon:])} after host")
    return _unescape(host, host=True)


def _get_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise ValueError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def url_parse(raw: str) -> GoURL:
    """Go's ``url.Parse(raw)``: raises ValueError with Go's text (``parse "x": first path
    segment in URL cannot contain colon``) where Go fails."""
    text, _, fragment = raw.partition("#")
    try:
        url = _url_parse(text)
    except ValueError as e:
        raise ValueError(f"parse {quote(text)}: {e}") from None
    try:
        _unescape(fragment, host=False)
    except ValueError as e:
        raise ValueError(f"parse {quote(raw)}: {e}") from None
    return url


def _url_parse(raw: str) -> GoURL:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise ValueError("net/url: invalid control character in URL")
    url = GoURL()
    scheme, rest = _get_scheme(raw)
    url.scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if url.scheme:
            url.opaque = rest
            return url
        if ":" in rest.partition("/")[0]:
            raise ValueError("first path segment in URL cannot contain colon")
    if (url.scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        at = authority.rfind("@")
        url.host = _parse_host(authority[at + 1 :])
        if at >= 0:
            userinfo = authority[:at]
            if not all((c.isascii() and c.isalnum()) or c in _USERINFO_EXTRA for c in userinfo):
                raise ValueError("net/url: invalid userinfo")
            user, colon, password = userinfo.partition(":")
            url.user = _unescape(user, host=False)
            url.password = _unescape(password, host=False) if colon else None
    url.path = _unescape(rest, host=False)
    return url


def split_host_port(hostport: str) -> tuple[str, str]:
    """Go's ``net.SplitHostPort``: ``host:port``, ``[v6]:port``, ``:port``; raises ValueError
    with Go's text (``address x: missing port in address``)."""

    def fail(why: str) -> ValueError:
        return ValueError(f"address {hostport}: {why}")

    colon = hostport.rfind(":")
    if colon < 0:
        raise fail("missing port in address")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise fail("missing ']' in address")
        if end + 1 == len(hostport):
            raise fail("missing port in address")
        if end + 1 != colon:
            raise fail(
                "too many colons in address"
                if hostport[end + 1] == ":"
                else "missing port in address"
            )
        host = hostport[1:end]
        if "[" in hostport[1:] or "]" in hostport[end + 1 :]:
            raise fail(
                "unexpected '[' in address" if "[" in hostport[1:] else "unexpected ']' in address"
            )
    else:
        host = hostport[:colon]
        if ":" in host:
            raise fail("too many colons in address")
        if "[" in hostport:
            raise fail("unexpected '[' in address")
        if "]" in hostport:
            raise fail("unexpected ']' in address")
    return host, hostport[colon + 1 :]
