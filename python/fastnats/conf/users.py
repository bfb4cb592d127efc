"""User entries and permissions as nats-server's config writes them, shared by the
``authorization { }`` block (:mod:`fastnats.conf.authorization`) and the users of each account
(:mod:`fastnats.conf.accounts`), so both read them alike.

:class:`BlockParser` turns a ``users`` array into entries ``{user, password, permissions?,
allowed_connection_types?}`` or ``{nkey, permissions?, allowed_connection_types?}`` and a
permissions map into ``{publish, subscribe, allow_responses}`` (canonical keys: nats-server's
aliases such as ``username``, ``pass``, ``connection_types``, ``pub``, ``sub``, ``max_msgs``
or ``ttl`` are folded), reporting problems with nats-server's texts where it has
one through ``report(container, key, message)``.
"""

from __future__ import annotations

from collections.abc import Callable

from .nodes import used_as_variable
from .units import go_quote, go_type, parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["CONNECTION_TYPES", "BlockParser", "Report", "go_value"]

if TYPE_CHECKING:
    Report = Callable[[Any, "str | int", str], None]
else:  # the same alias without importing typing for Any
    Report = Callable[[object, "str | int", str], None]
"""``report(container, key, message)``: an error at ``container[key]``."""

_CONNECTION_TYPE_KEYS = {"allowed_connection_types", "connection_types", "clients"}
CONNECTION_TYPES = (
    "STANDARD",
    "WEBSOCKET",
    "LEAFNODE",
    "LEAFNODE_WS",
    "MQTT",
    "MQTT_WS",
    "IN_PROCESS",
)
"""nats-server's connection type names (``jwt.ConnectionType*``), upper case."""


def go_value(value: Any) -> str:
    """Go's ``%v`` of a config value (roughly: good enough for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in value.items()) + "]"
    return str(value)


class BlockParser:
    """Parses the pieces the auth blocks share; subclasses add the blocks themselves."""

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

    @staticmethod
    def put(out: dict[str, Any], name: str, value: Any) -> None:
        if value is not None:
            out[name] = value

    def users(self, block: Any, key: str, value: Any) -> list[dict[str, Any]] | None:
        if not isinstance(value, list):
            self.report(block, key, f"Expected users field to be an array, got {go_value(value)}")
            return None
        users = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.report(
                    value, i, f"Expected user entry to be a map/struct, got {go_value(entry)}"
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
            elif name in _CONNECTION_TYPE_KEYS:
                self.put(out, "allowed_connection_types", self.connection_types(entry, key, value))
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

    def connection_types(self, entry: Any, key: str, value: Any) -> list[str] | None:
        """``allowed_connection_types`` (or ``connection_types``, ``clients``): a name or a
        list of names, upper-cased as nats-server does; any unknown name is an error naming
        them all (``invalid connection types ["FOO" "BAR"]``). An empty list is left out:
        it allows every type, as no list does."""
        if isinstance(value, str):
            names = [value]
        elif isinstance(value, list):
            names = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    names.append(item)
                else:
                    self.report(
                        value,
                        i,
                        "error parsing allowed connection types: "
                        f"unsupported type in array {go_type(item)}",
                    )
        else:
            self.report(
                entry,
                key,
                f"error parsing allowed connection types: unsupported type {go_type(value)}",
            )
            return None
        types: list[str] = []
        unknown: list[str] = []
        for name in (n.upper() for n in names):
            if name not in CONNECTION_TYPES:
                unknown.append(name)
            elif name not in types:
                types.append(name)
        if unknown:
            listed = " ".join(go_quote(u) for u in unknown)
            self.report(entry, key, f"invalid connection types [{listed}]")
            return None
        return types or None

    # permissions { } ---------------------------------------------------------------------
    def permissions(self, block: Any, key: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(
                block, key, f"Expected permissions to be a map/struct, got {go_value(value)}"
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
