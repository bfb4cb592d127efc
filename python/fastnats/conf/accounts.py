"""nats-server's ``accounts { }`` block -> fastnats' ``accounts`` option.

Each account is a separate subject space: a client belongs to the account of the user it
logged in as, and messages cross accounts only through an account's ``exports`` and another
account's ``imports``. The result maps account names to the engine's account form (read by
its deserializer, which refuses unknown keys), with canonical keys and nats-server's aliases
folded::

    {"A": {"users": [...],                  # entries as in authorization.users
           "default_permissions": {...},    # for the account's users without their own
           "exports": [{"stream": "events.>", "accounts": ["B"]},
                       {"service": "svc", "response_type": "stream",
                        "response_threshold": 2.0}],          # seconds
           "imports": [{"stream": {"account": "A", "subject": "events.>"}, "prefix": "fromA"},
                       {"service": {"account": "A", "subject": "svc"}, "to": "a.svc"}]}}

``accounts: [A, B]`` (names only) gives accounts without users. ``response_type`` is
``singleton``, ``stream`` or ``chunked`` (``single``/``chunk`` folded). ``jetstream`` is
``enabled``/``disabled`` (``true``/``false``) or a map of limits (nats-server's keys and
aliases: ``max_memory``, ``max_store``, ``max_streams``, ``max_consumers``,
``max_ack_pending``, ``mem_max_stream_bytes``, ``disk_max_stream_bytes``,
``max_bytes_required``), given to the engine as ``{"jetstream": {limits}}`` (``{}`` when
enabled without limits; no key when disabled). Keys nats-server knows for what fastnats
lacks (``cluster_traffic`` in ``jetstream``; ``limits``, ``mappings``,
``msg_trace``, an account ``nkey``, an export's ``latency``, ``account_token_position`` or
``allow_trace``, an import's ``share`` or ``allow_trace``) are refused by name; unknown keys
are ``unknown field``.

Problems are reported with nats-server's texts where it has one. An export or import entry
with neither ``stream`` nor ``service`` is dropped, as nats-server ignores it. Rules that need
the whole picture and the subject grammar (an import an export does not allow: ``stream
import not authorized``; a user in two accounts; ``no_auth_user`` naming nobody) are the
engine's, checked when the server is built (``-t`` too); the names of accounts an export or
import refers to are checked here, as nats-server's parser does.
"""

from __future__ import annotations

from .nodes import used_as_variable
from .units import go_quote, go_type, parse_duration
from .users import BlockParser, Report, go_value

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["RESERVED_ACCOUNT", "parse_accounts", "users_conflict"]

RESERVED_ACCOUNT = "$G"
"""The global account: users of the ``authorization`` block belong to it."""

_UNSUPPORTED_ACCOUNT = {
    "limits": "account limits",
    "mappings": "subject mappings",
    "maps": "subject mappings",
    "msg_trace": "message tracing",
    "trace_dest": "message tracing",
    "nkey": "account nkeys (operator/JWT mode)",
}
# nats-server's account JetStream limit keys (opts.go parseJetStreamForAccount): alias ->
# the engine's name and whether the value is a bool.
_JS_LIMITS = {
    **dict.fromkeys(("max_memory", "max_mem", "mem", "memory"), ("max_memory", False)),
    **dict.fromkeys(("max_store", "max_file", "max_disk", "store", "disk"), ("max_storage", False)),
    **dict.fromkeys(("max_streams", "streams"), ("max_streams", False)),
    **dict.fromkeys(("max_consumers", "consumers"), ("max_consumers", False)),
    **dict.fromkeys(
        ("max_bytes_required", "max_stream_bytes", "max_bytes"), ("max_bytes_required", True)
    ),
    **dict.fromkeys(
        ("mem_max_stream_bytes", "memory_max_stream_bytes"), ("memory_max_stream_bytes", False)
    ),
    **dict.fromkeys(
        ("disk_max_stream_bytes", "store_max_stream_bytes"), ("storage_max_stream_bytes", False)
    ),
    "max_ack_pending": ("max_ack_pending", False),
}
_UNSUPPORTED_EXPORT = {
    "latency": "service latency tracking",
    "account_token_position": "account token positions",
    "allow_trace": "message tracing",
}
_UNSUPPORTED_IMPORT = {
    "share": "sharing client information with the exporter",
    "allow_trace": "message tracing",
}
_RESPONSE_TYPES = {
    "single": "singleton",
    "singleton": "singleton",
    "stream": "stream",
    "chunk": "chunked",
    "chunked": "chunked",
}
_RESPONSE_KEYS = ("response", "response_type")
_THRESHOLD_KEYS = ("threshold", "response_threshold", "response_max_time", "response_time")


class _Parser(BlockParser):
    def __init__(self, report: Report) -> None:
        self.problems = 0

        def counted(container: Any, key: str | int, message: str) -> None:
            self.problems += 1
            report(container, key, message)

        super().__init__(counted)
        # (container, key, "stream export"/..., account name): references to other accounts
        self.references: list[tuple[Any, str, str, str]] = []

    def refused(self, block: Any, key: str, table: dict[str, str]) -> None:
        self.report(block, key, f'"{key}" is not supported by fastnats ({table[key.lower()]})')

    # accounts { } ------------------------------------------------------------------------
    def accounts(self, config: Any, key: str) -> dict[str, Any] | None:
        value = config[key]
        if isinstance(value, list):
            return self.names(value)
        if not isinstance(value, dict):
            self.report(
                config,
                key,
                f'invalid value for "{key}": expected a map of accounts or an array of '
                f"account names, got {go_type(value)}",
            )
            return None
        out: dict[str, Any] = {}
        for name, account in value.items():
            if used_as_variable(value, name):
                continue
            if not isinstance(account, dict):
                self.report(value, name, "Expected map entries for accounts")
            elif name == RESERVED_ACCOUNT:
                self.report(value, name, f"{go_quote(name)} is a Reserved Account")
            else:
                out[name] = self.account(account)
        if not self.problems:  # as nats-server: references are checked in a sound block
            self.check_references(out)
        return out

    def names(self, value: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, name in enumerate(value):
            if not isinstance(name, str):
                self.report(value, i, f"expected an account name, got {go_type(name)}")
            elif name == RESERVED_ACCOUNT:
                self.report(value, i, f"{go_quote(name)} is a Reserved Account")
            elif name in out:
                self.report(value, i, f"Duplicate Account Entry: {name}")
            else:
                out[name] = {}
        return out

    def account(self, block: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in block.items():
            name = key.lower()
            if name == "users":
                self.put(out, "users", self.users(block, key, value))
            elif name == "default_permissions":  # no aliases here, unlike authorization
                self.put(out, "default_permissions", self.permissions(block, key, value))
            elif name == "exports":
                self.put(out, "exports", self.entries(block, key, value, "Exports", self.export))
            elif name == "imports":
                self.put(out, "imports", self.entries(block, key, value, "Imports", self.import_))
            elif name == "jetstream":
                out.pop("jetstream", None)
                self.put(out, "jetstream", self.jetstream(block, key, value))
            elif name in _UNSUPPORTED_ACCOUNT:
                self.refused(block, key, _UNSUPPORTED_ACCOUNT)
            else:
                self.unknown(block, key)
        return out

    def jetstream(self, block: Any, key: str, value: Any) -> dict[str, Any] | None:
        """An account's ``jetstream``: its limits (``{}``: enabled without limits), None
        when disabled or in error."""
        if isinstance(value, bool):
            return {} if value else None
        if isinstance(value, str):
            if value.lower() in ("enabled", "enable"):
                return {}
            if value.lower() in ("disabled", "disable"):
                return None
            self.report(
                block, key, f"Expected 'enabled' or 'disabled' for string value, got '{value}'"
            )
            return None
        if not isinstance(value, dict):
            what = "int64" if isinstance(value, int) else go_type(value)
            self.report(block, key, f"Expected map, bool or string to define JetStream, got {what}")
            return None
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = k.lower()
            if name == "cluster_traffic":
                self.report(value, k, f'"{k}" is not supported by fastnats (JetStream clustering)')
                continue
            if name not in _JS_LIMITS:
                self.unknown(value, k)
                continue
            target, is_bool = _JS_LIMITS[name]
            if is_bool:
                if not isinstance(v, bool):
                    self.report(
                        value, k, f"Expected a parseable bool for {go_quote(k)}, got {go_value(v)}"
                    )
                    continue
            elif isinstance(v, bool) or not isinstance(v, int):
                self.report(
                    value, k, f"Expected a parseable size for {go_quote(k)}, got {go_value(v)}"
                )
                continue
            out[target] = v
        return out

    def entries(self, block: Any, key: str, value: Any, what: str, parse: Any) -> list[Any] | None:
        if not isinstance(value, list):
            self.report(block, key, f"{what} should be an array, got {go_type(value)}")
            return None
        out = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.report(
                    value,
                    i,
                    f"{what[:-1]} Items should be a map with type entry, got {go_type(entry)}",
                )
                continue
            parsed = parse(entry)
            if parsed is not None:
                out.append(parsed)
        return out

    # exports: [ ] --------------------------------------------------------------------------
    def export(self, entry: Any) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        kind: str | None = None  # "stream" or "service", the first one written
        response_key = threshold_key = accounts_key = None
        for key, value in entry.items():
            name = key.lower()
            if name in ("stream", "service"):
                if kind is not None and kind != name:
                    self.report(
                        entry,
                        key,
                        f"Detected {name} {go_quote(str(value))} but already saw a {kind}",
                    )
                    continue
                if not isinstance(value, str):
                    self.report(
                        entry, key, f"Expected {name} name to be string, got {go_type(value)}"
                    )
                    continue
                kind = name
                out[name] = value
            elif name in _RESPONSE_KEYS:
                if response_key is not None:
                    self.report(entry, key, "Duplicate response type definition")
                    continue
                response_key = key
                self.put(out, "response_type", self.response_type(entry, key, value))
            elif name in _THRESHOLD_KEYS:
                if threshold_key is not None:
                    self.report(entry, key, "Duplicate response threshold detected")
                    continue
                threshold_key = key
                self.put(out, "response_threshold", self.threshold(entry, key, value))
            elif name == "accounts":
                accounts_key = key
                self.put(out, "accounts", self.account_names(entry, key, value))
            elif name in _UNSUPPORTED_EXPORT:
                self.refused(entry, key, _UNSUPPORTED_EXPORT)
            else:
                self.unknown(entry, key)
        if kind == "stream":
            for key, field in (
                (response_key, "response_type"),
                (threshold_key, "response_threshold"),
            ):
                # A value already reported as invalid is not reported again (nats-server checks
                # the value first).
                if key is not None and field in out:
                    self.report(entry, key, "Detected response directive on non-service")
                    del out[field]
        if kind is None:
            return None
        if accounts_key is not None:
            for name in out.get("accounts", ()):
                self.references.append((entry, accounts_key, f"{kind} export", name))
        return out

    def response_type(self, entry: Any, key: str, value: Any) -> str | None:
        if not isinstance(value, str):
            self.report(entry, key, f"Expected response type to be string, got {go_type(value)}")
            return None
        folded = _RESPONSE_TYPES.get(value.lower())
        if folded is None:
            self.report(entry, key, f"Unknown response type: {go_quote(value)}")
        return folded

    def threshold(self, entry: Any, key: str, value: Any) -> float | None:
        what = "Expected response threshold to be a parseable time duration, got"
        if not isinstance(value, str):
            self.report(entry, key, f"{what} {go_type(value)}")
            return None
        try:
            return parse_duration(value)
        except ValueError:
            self.report(entry, key, f"{what} {go_quote(value)}")
            return None

    def account_names(self, entry: Any, key: str, value: Any) -> list[str] | None:
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            self.report(
                entry,
                key,
                f'invalid value for "{key}": expected an array of account names, '
                f"got {go_type(value)}",
            )
            return None
        return list(value)

    # imports: [ ] --------------------------------------------------------------------------
    def import_(self, entry: Any) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        kind: str | None = None
        to_key: str | None = None
        for key, value in entry.items():
            name = key.lower()
            if name in ("stream", "service"):
                if kind is not None and kind != name:
                    self.report(entry, key, f"Detected {name} but already saw a {kind}")
                    continue
                source = self.source(entry, key, value, name)
                if source is not None:
                    kind = name
                    out[name] = source
            elif name in ("prefix", "to"):
                text = self.string(entry, key)
                if text:
                    out[name] = text
                    to_key = key if name == "to" else to_key
            elif name in _UNSUPPORTED_IMPORT:
                if value is not False:
                    self.refused(entry, key, _UNSUPPORTED_IMPORT)
            else:
                self.unknown(entry, key)
        if kind is None:
            return None
        if kind == "service":
            out.pop("prefix", None)  # nats-server ignores a service import's prefix
        elif "prefix" in out and to_key is not None:
            # nats-server reports it only when it meets "to" after "prefix" (Go's map order
            # is random there); fastnats always does.
            self.report(entry, to_key, "Stream import can not have a 'prefix' and a 'to' property")
            return None
        return out

    def source(self, entry: Any, key: str, value: Any, kind: str) -> dict[str, str] | None:
        """``{account, subject}`` of an import."""
        if not isinstance(value, dict):
            what = "Stream" if kind == "stream" else "Service"
            self.report(entry, key, f"{what} entry should be an account map, got {go_type(value)}")
            return None
        out: dict[str, str] = {}
        for k in value:
            name = k.lower()
            if name in ("account", "subject"):
                text = self.string(value, k)
                if text is not None:
                    out[name] = text
            else:
                self.unknown(value, k)
        if not out.get("account") or not out.get("subject"):
            self.report(entry, key, "Expect an account name and a subject")
            return None
        self.references.append((entry, key, f"{kind} import", out["account"]))
        return out

    # across accounts -------------------------------------------------------------------------
    def check_references(self, accounts: dict[str, Any]) -> None:
        """nats-server's ``"C" account not defined for stream import`` (and export, service)."""
        for container, key, what, name in self.references:
            if name not in accounts:
                self.report(container, key, f"{go_quote(name)} account not defined for {what}")


def parse_accounts(config: Any, key: str, report: Report) -> dict[str, Any] | None:
    """``config[key]`` (the ``accounts`` block) as the ``accounts`` option (see the module
    docstring). ``report(container, key, message)`` is called for every problem; what is
    wrong is left out of the result."""
    return _Parser(report).accounts(config, key)


def users_conflict(auth: dict[str, Any], accounts: dict[str, Any]) -> str | None:
    """nats-server's conflict between a token or a single user in ``authorization`` and
    users in accounts, with its text."""
    if not any(account.get("users") for account in accounts.values()):
        return None
    if auth.get("user"):
        return "Can not have a single user/pass and accounts"
    if auth.get("token"):
        return "Can not have a token and accounts"
    return None
