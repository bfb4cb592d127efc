"""Query parameters decoded as nats-server's monitor decodes them, with its error texts.

Every decoder takes the first value of a parameter (Go's ``url.Values.Get``); an absent or
empty parameter is the zero value. A bad value raises :class:`BadRequest` carrying the exact
plain-text body nats-server answers with HTTP 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import FastNatsError
from ..gocompat import NumError, atoi, parse_bool, parse_uint

__all__ = [
    "BadRequest",
    "Query",
    "decode_bool",
    "decode_int",
    "decode_subs",
    "decode_uint64",
    "query_from_kwargs",
]

Query = Mapping[str, str]


class BadRequest(FastNatsError, ValueError):
    """A parameter nats-server would reject: the message is its HTTP 400 body."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def decode_bool(query: Query, param: str) -> bool:
    """nats-server's ``decodeBool``: ``strconv.ParseBool`` of the value."""
    value = query.get(param, "")
    if value == "":
        return False
    try:
        return parse_bool(value)
    except NumError as e:
        raise BadRequest(f"Error decoding boolean for '{param}': {e}") from None


def decode_int(query: Query, param: str) -> int:
    """nats-server's ``decodeInt``: ``strconv.Atoi`` of the value."""
    value = query.get(param, "")
    if value == "":
        return 0
    try:
        return atoi(value)
    except NumError as e:
        raise BadRequest(f"Error decoding int for '{param}': {e}") from None


def decode_subs(query: Query) -> tuple[bool, bool]:
    """nats-server's ``decodeSubs``: ``subs`` as (list subjects, list details); ``detail``
    (any case) asks for the details, anything else is a bool."""
    if query.get("subs", "").lower() == "detail":
        return False, True
    return decode_bool(query, "subs"), False


def decode_uint64(query: Query, param: str) -> int:
    """nats-server's ``decodeUint64``: ``strconv.ParseUint(value, 10, 64)``."""
    value = query.get(param, "")
    if value == "":
        return 0
    try:
        return parse_uint(value, 10, 64)
    except NumError as e:
        raise BadRequest(f"Error decoding uint64 for '{param}': {e}") from None


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
