"""Query parameters decoded as nats-server's monitor decodes them, with its error texts.

Every decoder takes the first value of a parameter (Go's ``url.Values.Get``); an absent or
empty parameter is the zero value. A bad value raises :class:`BadRequest` carrying the exact
plain-text body nats-server answers with HTTP 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "BadRequest",
    "Query",
    "decode_bool",
    "decode_int",
    "decode_uint64",
    "go_quote",
    "query_from_kwargs",
]

Query = Mapping[str, str]

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_INT = re.compile(r"[+-]?[0-9]+")
_UINT = re.compile(r"[0-9]+")
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1
_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


class BadRequest(ValueError):
    """A parameter nats-server would reject: the message is its HTTP 400 body."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` (the ``%q`` in strconv error messages)."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def decode_bool(query: Query, param: str) -> bool:
    value = query.get(param, "")
    if value == "":
        return False
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(
        f"Error decoding boolean for '{param}': "
        f"strconv.ParseBool: parsing {go_quote(value)}: invalid syntax"
    )


def decode_int(query: Query, param: str) -> int:
    value = query.get(param, "")
    if value == "":
        return 0
    if not _INT.fullmatch(value):
        problem = "invalid syntax"
    else:
        number = int(value)
        if -_INT64_MAX - 1 <= number <= _INT64_MAX:
            return number
        problem = "value out of range"
    raise BadRequest(
        f"Error decoding int for '{param}': strconv.Atoi: parsing {go_quote(value)}: {problem}"
    )


def decode_uint64(query: Query, param: str) -> int:
    value = query.get(param, "")
    if value == "":
        return 0
    if not _UINT.fullmatch(value):
        problem = "invalid syntax"
    else:
        number = int(value)
        if number <= _UINT64_MAX:
            return number
        problem = "value out of range"
    raise BadRequest(
        f"Error decoding uint64 for '{param}': "
        f"strconv.ParseUint: parsing {go_quote(value)}: {problem}"
    )


def query_from_kwargs(kwargs: Mapping[str, object], allowed: frozenset[str]) -> dict[str, str]:
    """Python keyword arguments -> the query strings the HTTP endpoint would get.

    ``True``/``False`` become ``true``/``false``, numbers their decimal text, ``None`` is left
    out; strings pass unchanged, so ``subs="detail"`` works. Unknown names raise TypeError.
    """
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise TypeError(f"unknown parameter(s): {', '.join(unknown)}")
    query: dict[str, str] = {}
    for key, value in kwargs.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        else:
            query[key] = str(value)
    return query
