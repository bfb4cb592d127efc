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

from collections.abc import Callable
from typing import Any

from .nodes import used_as_variable
from .units import go_quote, go_type, parse_duration

__all__ = ["parse_authorization"]

Report = Callable[[Any, "str | int", str], None]
"""``report(container, key, message)``: an error at ``container[key]``."""

_UNSUPPORTED_AUTH = {
    "auth_callout": "auth callout",
    "callout": "auth callout",
}
_UNSUPPORTED_USER = {
    "account": "accounts",
}
_CONNECTION_TYPES = {"allowed_connection_types", "allowed_connections_types", "connection_types"}


def _go_value(value: Any) -> str:
    """Go's ``%v`` of a config value (roughly: good enough for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_value(v)}" for k, v in value.items()) + "]"
    return str(value)


class _Parser:
    def __init__(self, report: Report) -> None:
        self.report = report

    def unknown(self, block: Any, key: str) -> None:
        if not used_as_variable(block, key):
            self.report(block, key, f"unknown field {go_quote(key)}")

    def string(self, block: Any, key: str) -> str | None:
        value = block[key]
        if isinstance(value, str):
            return value
        self.report(
            block, key, f'invalid value for "{key}": expected a string, got {go_type(value)}'
        )
        return None

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

    @staticmethod
    def put(out: dict[str, Any], name: str, value: Any) -> None:
        if value is not None:
            out[name] = value

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
            self.report(block, key, f"invalid authorization timeout {_go_value(value)}: negative")
            return None
        return seconds or None  # 0: the default

    def users(self, block: Any, key: str, value: Any) -> list[dict[str, Any]] | None:
        if not isinstance(value, list):
            self.report(block, key, f"Expected users field to be an array, got {_go_value(value)}")
            return None
        users = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.report(
                    value, i, f"Expected user entry to be a map/struct, got {_go_value(entry)}"
                )
                continue
            user = self.user(value, i, entry)
            if user is not None:
                users.append(user)
        return users

    def user(self, users: Any, index: int, entry: Any) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for key, value in entry.items():
            name = key.lower()
            if name == "nkey":
                self.put(out, "nkey", self.string(entry, key))
            elif name in ("user", "username"):
                self.put(out, "user", self.string(entry, key))
            elif name in ("pass", "password"):
                self.put(out, "password", self.string(entry, key))
            elif name in ("permission", "permissions", "authorization"):
                self.put(out, "permissions", self.permissions(entry, key, value))
            elif name in _CONNECTION_TYPES:
                self.connection_types(entry, key, value)
            elif name in _UNSUPPORTED_USER:
                self.report(
                    entry, key, f'"{key}" is not supported by fastnats ({_UNSUPPORTED_USER[name]})'
                )
            else:
                self.unknown(entry, key)
        if out.get("nkey"):
            if out.get("user") or out.get("password"):
                self.report(users, index, "Nkey users do not take usernames or passwords")
                return None
        elif not out.get("user"):
            self.report(users, index, "User entry requires a user")
            return None
        return out

    def connection_types(self, entry: Any, key: str, value: Any) -> None:
        """fastnats serves plain client connections only: a list naming STANDARD changes
        nothing; one that does not would lock every client out, and is refused."""
        types = [value] if isinstance(value, str) else value
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            self.report(entry, key, f'invalid value for "{key}": expected an array of strings')
        elif "STANDARD" not in (t.upper() for t in types):
            self.report(
                entry,
                key,
                f'"{key}" without STANDARD is not supported by fastnats '
                "(only standard client connections)",
            )

    # permissions { } ---------------------------------------------------------------------
    def permissions(self, block: Any, key: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(
                block, key, f"Expected permissions to be a map/struct, got {_go_value(value)}"
            )
            return None
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = k.lower()
            if name in ("pub", "publish", "import"):
                self.put(out, "publish", self.subject_permission(value, k, v))
            elif name in ("sub", "subscribe", "export"):
                self.put(out, "subscribe", self.subject_permission(value, k, v))
            elif name in ("publish_allow_responses", "allow_responses"):
                self.put(out, "allow_responses", self.allow_responses(value, k, v))
            elif not used_as_variable(value, k):
                self.report(value, k, f"Unknown field {go_quote(k)} parsing permissions")
        return out

    def subjects(self, block: Any, key: str, value: Any) -> list[str] | str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            for i, subject in enumerate(value):
                if not isinstance(subject, str):
                    self.report(value, i, "Subject in permissions array cannot be cast to string")
                    return None
            return list(value)
        self.report(
            block,
            key,
            "Expected subject permissions to be a subject, or array of subjects, "
            f"got {go_type(value)}",
        )
        return None

    def subject_permission(self, block: Any, key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            return self.subjects(block, key, value)
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = k.lower()
            if name in ("allow", "deny"):
                self.put(out, name, self.subjects(value, k, v))
            elif not used_as_variable(value, k):
                self.report(
                    value,
                    k,
                    f"Unknown field name {go_quote(k)} parsing subject permissions, "
                    "only 'allow' or 'deny' are permitted",
                )
        return out or None  # nats-server: an empty map is no permission at all

    def allow_responses(self, block: Any, key: str, value: Any) -> Any:
        if isinstance(value, bool):
            return True if value else None
        if not isinstance(value, dict):
            self.report(
                block, key, "error parsing response permissions, expected a boolean or a map"
            )
            return None
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = k.lower()
            if name in ("max", "max_msgs", "max_messages", "max_responses"):
                if isinstance(v, int) and not isinstance(v, bool):
                    out["max"] = v
                else:
                    self.report(value, k, f'invalid value for "{k}": expected an integer')
            elif name in ("expires", "expiration", "ttl"):
                if not isinstance(v, str):
                    self.report(value, k, "error parsing expires, not a duration string")
                    continue
                try:
                    out["expires"] = parse_duration(v)
                except ValueError as e:
                    self.report(value, k, f"error parsing expires: {e}")
            elif not used_as_variable(value, k):
                self.report(value, k, f"Unknown field {go_quote(k)} parsing permissions")
        return out


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
