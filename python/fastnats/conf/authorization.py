"""nats-server's ``authorization { }`` block (and top-level ``no_auth_user``) -> fastnats'
``authorization`` option.

The result is the ``authorization`` option of :class:`fastnats.Server` (read by the
engine's deserializer, which refuses any key it does not know), with canonical key names
(nats-server's aliases such as ``username``, ``pass``, ``pub``, ``sub``,
``default_permission``, ``max_msgs`` or ``ttl`` are folded): ``token``, ``user``,
``password``, ``timeout`` (float seconds), ``users`` (entries ``{user, password,
permissions?}`` or ``{nkey, permissions?}``), ``default_permissions`` and ``permissions``
entries ``{publish, subscribe, allow_responses}`` where a subject permission is a string, a
list or ``{allow, deny}`` and ``allow_responses`` is ``true`` or ``{max, expires}``
(``expires`` in float seconds).

Problems are reported with nats-server's texts where it has one. Consistency rules that need
the whole picture (a token with a users array, ``no_auth_user`` naming a configured user,
subjects that do not parse) are the engine's, checked when the server is built (``-t`` too).
"""

from __future__ import annotations

from .units import parse_duration
from .users import BlockParser, Report, go_value

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["parse_authorization"]

_UNSUPPORTED_AUTH = {
    "auth_callout": "auth callout",
    "callout": "auth callout",
}


class _Parser(BlockParser):
    # authorization { } -------------------------------------------------------------------
    def authorization(self, block: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in block.items():
            name = key.lower()
            if name in ("user", "username"):
                self.put(out, "user", self.string(block, key))
            elif name in ("pass", "password"):
                self.put(out, "password", self.string(block, key))
            elif name == "token":
                self.put(out, "token", self.string(block, key))
            elif name == "timeout":
                self.put(out, "timeout", self.timeout(block, key, value))
            elif name == "users":
                self.put(out, "users", self.users(block, key, value))
            elif name in ("default_permission", "default_permissions", "permissions"):
                self.put(out, "default_permissions", self.permissions(block, key, value))
            elif name in _UNSUPPORTED_AUTH:
                self.report(
                    block, key, f'"{key}" is not supported by fastnats ({_UNSUPPORTED_AUTH[name]})'
                )
            else:
                self.unknown(block, key)
        return out

    def timeout(self, block: Any, key: str, value: Any) -> float | None:
        """Seconds as a number (``2``, ``0.5``) or a Go duration string (``"2s"``)."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.report(block, key, f"error parsing authorization config, {key!r} wrong type")
            return None
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.report(block, key, f"error parsing authorization config, {key!r} {e}")
                return None
        else:
            seconds = float(value)
        if seconds < 0:
            self.report(block, key, f"invalid authorization timeout {go_value(value)}: negative")
            return None
        return seconds or None  # 0: the default


def parse_authorization(block: Any, report: Report) -> dict[str, Any]:
    """The ``authorization`` block as the ``authorization`` option (see the module docstring).
    ``report(container, key, message)`` is called for every problem; what is wrong is left
    out of the result."""
    return _Parser(report).authorization(block)


def conflicts(auth: dict[str, Any]) -> str | None:
    """nats-server's config-time conflicts between the ways of authenticating, with its
    texts (``nats-server -t`` reports them)."""
    has_token = bool(auth.get("token"))
    has_user = bool(auth.get("user")) or bool(auth.get("password"))
    has_array = "users" in auth
    if has_user and has_token:
        return "Cannot have a user/pass and token"
    if has_array and auth.get("user"):
        return "Can not have a single user/pass and a users array"
    if has_array and has_token:
        return "Can not have a token and a users array"
    return None
