"""nats-server's ``tls { }`` block -> fastnats' ``tls`` option.

The result has only the keys the block sets, with canonical names: ``cert_file``,
``key_file``, ``ca_file`` (path strings, as written: relative paths are opened relative to
the working directory, as nats-server does), ``verify`` (bool), ``timeout`` (float seconds;
a number or a Go duration string in the file, ``0`` meaning the default 2 s) and
``handshake_first`` (bool; ``first`` and ``immediate`` are nats-server's aliases) and
``verify_and_map`` (bool: a client certificate is required and verified, as with
``verify``, and names the configured user the client becomes; the client and WebSocket
listeners only, see :func:`parse_tls`).

Keys are case-insensitive and a later key replaces an earlier one, as in nats-server.
nats-server's keys that fastnats can not honour (``cipher_suites``, ``curve_preferences``,
``min_version`` other than ``"1.2"``, ``pinned_certs``, ``ocsp_peer``,
``cert_store``, ``connection_rate_limit``, ...) and ``handshake_first`` with a fallback delay
are errors naming the key, unless their value switches them off (``false``, ``0``, an
empty list).
A key nats-server does not know either is its ``unknown field`` error.

Messages are nats-server's where it has one (``error parsing tls config, expected 'verify'
to be a boolean``, ``missing 'key_file' in TLS configuration``). Where fastnats refuses what
nats-server accepts: a negative ``timeout`` (nats-server would then fail every handshake), an
empty block, and ``verify`` without ``ca_file`` (fastnats does not verify client
certificates against the system's roots). Reading the files is left to the server (errors
name the file; ``-t`` builds the server, so it reports them too).
"""

from __future__ import annotations

from collections.abc import Callable

from .nodes import used_as_variable
from .units import go_quote, go_type, parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["parse_tls", "UNSUPPORTED_TLS"]

if TYPE_CHECKING:
    Report = Callable[[Any, "str | int", str], None]
else:  # the same alias without importing typing for Any
    Report = Callable[[object, "str | int", str], None]
"""``report(container, key, message)``: an error at ``container[key]``."""

UNSUPPORTED_TLS: dict[str, str] = {
    "cipher_suites": "cipher suite selection",
    "curve_preferences": "curve selection",
    "min_version": "TLS versions other than 1.2 and 1.3",
    "pinned_certs": "certificate pinning",
    "insecure": "skipping certificate verification",
    "ocsp_peer": "OCSP peer verification",
    "cert_store": "OS certificate stores",
    "cert_match_by": "OS certificate stores",
    "cert_match": "OS certificate stores",
    "cert_match_skip_invalid": "OS certificate stores",
    "ca_certs_match": "OS certificate stores",
    "certs": "several certificates",
    "connection_rate_limit": "TLS connection rate limiting",
}
"""Keys of nats-server's ``tls`` block that fastnats does not have -> the missing feature."""

_PATHS = ("cert_file", "key_file", "ca_file")
_HANDSHAKE_FIRST = ("handshake_first", "first", "immediate")


def _switched_off(name: str, value: Any) -> bool:
    """A value that leaves nats-server doing what fastnats does (``false``, ``0``, an empty
    list or map; ``min_version: "1.2"``, the default)."""
    if name == "min_version":
        return isinstance(value, str) and value == "1.2"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0
    return isinstance(value, list | dict) and not value


class _Parser:
    def __init__(self, report: Report) -> None:
        self.report = report

    def path(self, block: Any, key: str, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        self.report(
            block, key, f"error parsing tls config, expected {key.lower()!r} to be filename"
        )
        return None

    def verify(self, block: Any, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.report(
            block, key, f"error parsing tls config, expected {key.lower()!r} to be a boolean"
        )
        return None

    def timeout(self, block: Any, key: str, value: Any) -> float | None:
        """Seconds as a number (``2``, ``0.5``) or a Go duration string (``"2s"``)."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.report(block, key, "error parsing tls config, 'timeout' wrong type")
            return None
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.report(block, key, f"error parsing tls config, 'timeout' {e}")
                return None
        else:
            seconds = float(value)
        if seconds < 0:
            self.report(
                block,
                key,
                f"error parsing tls config, 'timeout' {value} is negative "
                "(fastnats refuses it: every TLS handshake would time out)",
            )
            return None
        return seconds

    def handshake_first(self, block: Any, key: str, value: Any) -> bool | None:
        """``true``/``false``, or nats-server's strings; a fallback delay is refused."""
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            self.report(
                block,
                key,
                f"field {go_quote(key)} should be a boolean or a string, got {go_type(value)}",
            )
            return None
        text = value.lower()
        if text in ("true", "on"):
            return True
        if text in ("false", "off"):
            return False
        if text not in ("auto", "auto_fallback"):
            try:
                delay = parse_duration(value)
            except ValueError:
                self.report(
                    block, key, f"field {go_quote(key)}'s value {go_quote(value)} is invalid"
                )
                return None
            if delay == 0:  # no fallback: plain handshake first
                return True
        self.report(
            block,
            key,
            f'"{key}: {value}" is not supported by fastnats (falling back to a plain '
            "connection when the client does not start TLS; use true)",
        )
        return None

    def block(self, block: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in block.items():
            name = key.lower()
            if name in _PATHS:
                self.put(out, name, self.path(block, key, value))
            elif name in ("verify", "verify_and_map"):
                self.put(out, name, self.verify(block, key, value))
            elif name == "timeout":
                self.put(out, "timeout", self.timeout(block, key, value))
            elif name in _HANDSHAKE_FIRST:
                self.put(out, "handshake_first", self.handshake_first(block, key, value))
            elif name in ("cipher_suites", "curve_preferences") and value == []:
                self.report(block, key, f"error parsing tls config, {name!r} cannot be empty")
            elif name in UNSUPPORTED_TLS:
                if not _switched_off(name, value):
                    self.report(
                        block,
                        key,
                        f'"{key}" in tls is not supported by fastnats ({UNSUPPORTED_TLS[name]})',
                    )
            elif name == "verify_cert_and_check_known_urls":
                self.report(block, key, f"{name} not supported in this context")
            elif not used_as_variable(block, key):
                self.report(block, key, f"error parsing tls config, unknown field {go_quote(key)}")
        return out

    @staticmethod
    def put(out: dict[str, Any], name: str, value: Any) -> None:
        if value is not None:
            out[name] = value


def parse_tls(
    config: Any, key: str, report: Report, *, client: bool = False, map_users: bool = False
) -> dict[str, Any] | None:
    """Maps ``config[key]`` (the ``tls`` block of a parsed config) onto the ``tls`` option.

    Problems go to ``report`` (the block's own at ``config[key]``); returns None when the
    block can not be used. ``client``: the block of a connection this server dials (a leaf
    node remote): the certificate and key are optional (both or neither), and ``verify`` is
    read and left out (a dialling server always verifies the one it dials, as nats-server's
    does). ``map_users``: the block of a listener whose clients ``verify_and_map`` may map
    to users (the client and WebSocket listeners); elsewhere (routes, the leaf node
    listener) fastnats refuses it, and a leaf node remote ignores it as nats-server
    does."""
    block = config[key]
    if not isinstance(block, dict):
        report(
            config, key, f"invalid value for {go_quote(key)}: expected a map, got {go_type(block)}"
        )
        return None
    problems: list[str] = []

    def noted(container: Any, where: str | int, message: str) -> None:
        problems.append(message)
        report(container, where, message)

    tls = _Parser(noted).block(block)
    if problems:
        return None
    for path in ("cert_file", "key_file"):
        if path in tls and not tls[path]:
            del tls[path]
    if tls.get("ca_file") == "":
        del tls["ca_file"]
    if not tls.get("timeout"):  # 0: nats-server's default
        tls.pop("timeout", None)
    missing = [p for p in ("cert_file", "key_file") if p not in tls]
    if len(missing) == 1:
        report(config, key, f"missing {missing[0]!r} in TLS configuration")
        return None
    if client:
        tls.pop("verify", None)
        tls.pop("verify_and_map", None)
        return tls
    if tls.get("verify_and_map") and not map_users:
        report(
            block,
            next(k for k in block if k.lower() == "verify_and_map"),
            '"verify_and_map" in this tls block is not supported by fastnats '
            "(certificates map to users on the client and websocket listeners only)",
        )
        return None
    if not tls.get("verify_and_map"):
        tls.pop("verify_and_map", None)
    if missing:
        report(
            config,
            key,
            "missing 'cert_file' and 'key_file' in TLS configuration "
            "(fastnats needs a certificate and its key)",
        )
        return None
    if (tls.get("verify") or tls.get("verify_and_map")) and "ca_file" not in tls:
        report(
            config,
            key,
            "tls verify needs a ca_file in fastnats "
            "(client certificates are not checked against the system's roots)",
        )
        return None
    return tls
