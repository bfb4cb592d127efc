"""nats-server's ``websocket { }`` block (also ``ws { }``) -> fastnats' ``websocket`` option
(the engine's ``WebsocketConfig``, ``rust/server/src/ws/config.rs``).

Forms, as nats-server reads them (``parseWebsocket``, ``parseSimpleAuth``)::

    websocket {
        listen: "127.0.0.1:8080"      # also 8080, ":8080"; or host (net) and port; -1: random
        advertise: "ws.example.com:443"
        no_tls: true                  # or a tls { } block (wss://); one of them is required
        tls { cert_file: ..., key_file: ..., ca_file: ..., verify: true }
        same_origin: true
        allowed_origins: ["https://app.example.com"]   # also allowed_origin, allow_origins,
                                                       # allow_origin, origins, origin
        handshake_timeout: "2s"       # or whole seconds
        compression: true             # also compress
        authorization { user: u, password: p, token: t, timeout: 2 }  # also authentication
        no_auth_user: u
        jwt_cookie: jwt, user_cookie: user, pass_cookie: pass, token_cookie: token
        headers { "Strict-Transport-Security": "max-age=31536000" }
        ping_interval: "30s"
    }

The result has canonical keys only, in the engine's units: ``host`` (left out when empty:
the engine's ``0.0.0.0``, nats-server's default), ``port`` (``-1`` becomes ``0``, a random
port), ``advertise``, ``no_tls``, ``tls`` (as the top-level ``tls`` block,
:mod:`fastnats.conf.tls`), ``same_origin``, ``allowed_origins`` (a list; one string is a list
of one), ``handshake_timeout`` (float seconds; a negative one is none, as in nats-server),
``compression``, ``authorization`` (``{user, password, token, timeout}``), ``no_auth_user``,
``jwt_cookie``, ``user_cookie``, ``pass_cookie``, ``token_cookie``, ``headers`` (a map of
strings) and ``ping_interval`` (float seconds; ``0``: the server's). Empty strings are left
out (nats-server treats them as not set). A block without a port (or with port ``0``) does
nothing, as in nats-server: :meth:`WebsocketParser.result` then gives None and the settings
say so.

Messages are nats-server's where it has one (``Expected websocket to be a map, got int64``,
``error parsing handshake timeout: unsupported type float64``, ``error parsing allowed
origins: unsupported type int64``, ``error parsing headers: ...``, ``error parsing header key
a: unsupported type int64``, the ``ping_interval`` duration warning, ``unknown field "x"``).
A value of the wrong type (where nats-server's parser panics) is ``invalid value for "port":
expected an integer, got string``. Two differences: ``authorization.timeout`` may be a Go
duration string (nats-server takes any value that is not a number as 1 second), and a port
outside ``-1..65535`` is refused here (nats-server fails to listen on it). The checks of
``validateWebsocketOptions`` (TLS required, allowed origins, ``no_auth_user``, the users
conflict, ``jwt_cookie`` without operators, reserved headers) are the engine's, run when the
server is built (``-t`` included), with nats-server's messages.
"""

from __future__ import annotations

from .listener import ListenerBlock, Report
from .nodes import used_as_variable
from .tls import parse_tls
from .units import go_quote, go_type, parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["WebsocketParser", "ORIGIN_KEYS", "Report"]

ORIGIN_KEYS = (
    "allowed_origins",
    "allowed_origin",
    "allow_origins",
    "allow_origin",
    "origins",
    "origin",
)
"""nats-server's names of the allowed origins list."""

_STRINGS = {
    "advertise": "advertise",
    "jwt_cookie": "jwt_cookie",
    "user_cookie": "user_cookie",
    "pass_cookie": "pass_cookie",
    "token_cookie": "token_cookie",
    "no_auth_user": "no_auth_user",
}
_BOOLS = {
    "no_tls": "no_tls",
    "same_origin": "same_origin",
    "compress": "compression",
    "compression": "compression",
}


class WebsocketParser(ListenerBlock):
    """Reads one ``websocket`` block; :meth:`result` is the option (or None)."""

    # the block ---------------------------------------------------------------------------
    def block(self, config: Any, key: str) -> None:
        """Reads ``config[key]``, the ``websocket`` block."""
        block = config[key]
        if not isinstance(block, dict):
            self.error(config, key, f"Expected websocket to be a map, got {go_type(block)}")
            return
        out = self.options
        for name, value in block.items():
            lname = name.lower()
            if self.listener_key(block, name, value):
                continue
            if lname in _STRINGS:
                self.put(out, _STRINGS[lname], self.string(block, name, value))
            elif lname in _BOOLS:
                self.put(out, _BOOLS[lname], self.boolean(block, name, value))
            elif lname == "tls":
                self.put(out, "tls", parse_tls(block, name, self.error, map_users=True))
            elif lname in ORIGIN_KEYS:
                self.put(out, "allowed_origins", self.origins(block, name, value))
            elif lname == "handshake_timeout":
                self.put(out, "handshake_timeout", self.handshake_timeout(block, name, value))
            elif lname in ("authorization", "authentication"):
                self.put(out, "authorization", self.authorization(block, name, value))
            elif lname == "headers":
                self.put(out, "headers", self.headers(block, name, value))
            elif lname == "ping_interval":
                self.put(out, "ping_interval", self.ping_interval(block, name, value))
            elif not used_as_variable(block, name):
                self.error(block, name, f"unknown field {go_quote(name)}")

    def origins(self, block: Any, key: str, value: Any) -> list[str] | None:
        """nats-server's ``parseStringArray("allowed origins", ...)``."""
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.error(
                block, key, f"error parsing allowed origins: unsupported type {go_type(value)}"
            )
            return None
        origins: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                origins.append(item)
            else:
                self.error(
                    value,
                    i,
                    f"error parsing allowed origins: unsupported type in array {go_type(item)}",
                )
        return origins

    def handshake_timeout(self, block: Any, key: str, value: Any) -> float | None:
        """Whole seconds or a Go duration; a negative one is no limit (nats-server applies
        only a positive one)."""
        if isinstance(value, int) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.error(block, key, str(e))
                return None
        else:
            self.error(
                block, key, f"error parsing handshake timeout: unsupported type {go_type(value)}"
            )
            return None
        return max(seconds, 0.0)

    def authorization(self, block: Any, key: str, value: Any) -> dict[str, Any] | None:
        """nats-server's ``parseSimpleAuth``: one user or a token, and a timeout."""
        if not isinstance(value, dict):
            self.expected(block, key, "a map", value)
            return None
        auth: dict[str, Any] = {}
        for name, v in value.items():
            lname = name.lower()
            if lname in ("user", "username"):
                self.put(auth, "user", self.string(value, name, v))
            elif lname in ("pass", "password"):
                self.put(auth, "password", self.string(value, name, v))
            elif lname == "token":
                self.put(auth, "token", self.string(value, name, v))
            elif lname == "timeout":
                self.put(auth, "timeout", self.auth_timeout(value, name, v))
            elif not used_as_variable(value, name):
                self.error(value, name, f"unknown field {go_quote(name)}")
        auth = {k: v for k, v in auth.items() if v}  # "" and 0: not set
        return auth or None

    def auth_timeout(self, block: Any, key: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.expected(block, key, 'seconds or a duration like "2s"', value)
            return None
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.error(block, key, f"error parsing websocket authorization timeout: {e}")
                return None
        else:
            seconds = float(value)
        if seconds < 0:
            self.error(block, key, f"invalid value for {go_quote(key)}: negative duration")
            return None
        return seconds

    def headers(self, block: Any, key: str, value: Any) -> dict[str, str] | None:
        if not isinstance(value, dict):
            self.error(block, key, f"error parsing headers: unsupported type {go_type(value)}")
            return None
        headers: dict[str, str] = {}
        for name, v in value.items():
            if isinstance(v, str):
                headers[name] = v
            else:
                self.error(
                    value, name, f"error parsing header key {name}: unsupported type {go_type(v)}"
                )
        return headers

    def ping_interval(self, block: Any, key: str, value: Any) -> float | None:
        """nats-server's ``parseDuration("ping_interval", ...)``; ``0``: the server's
        interval."""
        return self.duration(block, key, "ping_interval", value) or None

    def result(self) -> dict[str, Any] | None:
        """The ``websocket`` option; None when the block can not be used (errors reported)
        or does nothing (no port, or port 0)."""
        if not self.ok or not self.port:
            return None
        options = {k: v for k, v in self.options.items() if v != ""}
        if not options.get("headers"):
            options.pop("headers", None)
        options["port"] = 0 if self.port == -1 else self.port
        return options
