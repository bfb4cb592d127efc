"""nats-server's ``leafnodes { }`` block (also ``leaf { }``) -> fastnats' ``leafnodes`` option
(the engine's ``LeafNodeConfig``, ``rust/server/src/leaf/config.rs``).

Forms, as nats-server reads them (``parseLeafNodes``, ``parseLeafAuthorization``,
``parseLeafUsers``, ``parseRemoteLeafNodes``)::

    leafnodes {
        listen: "127.0.0.1:7422"      # also 7422, ":7422"; or host (net) and port; -1: random
        advertise: "h1:7422"          # also leafnode_advertise
        no_advertise: true
        reconnect: "2s"               # also reconnect_interval, reconnect_delay; or seconds
        authorization {
            user: leaf, password: pw, account: A, timeout: 2   # one user (or none) ...
            users: [ {user: l1, password: p1, account: A} ]     # ... or several
        }
        tls { cert_file: ..., key_file: ..., ca_file: ..., verify: true }
        compression: off              # also false, disabled, accept, or {mode: off}
        remotes: [
            { url: "nats-leaf://user:pw@hub:7422"     # or urls: [...], tried in turn
              account: A                              # also local; the local account
              credentials: "/path/x.creds"            # also creds; or nkey (seed): "SU..."
              tls { ca_file: ..., cert_file: ..., key_file: ..., handshake_first: true }
              deny_imports: ["a.>"], deny_exports: "b"
              hub: false, no_randomize: true          # also dont_randomize
              disabled: true }                        # left out: not dialled
        ]
    }

The result has canonical keys only, in the engine's units: ``host``, ``port`` (``-1``
becomes ``0``, a random port; no port, or ``0``, is ``None``: nothing listens, as in
nats-server), ``advertise``, ``no_advertise``, ``reconnect`` (float seconds),
``authorization`` (``{user, password, account, timeout, users: [{user, password,
account}]}``), ``tls`` (as the top-level ``tls`` block, :mod:`fastnats.conf.tls`),
``compression`` (the mode as written: ``true`` is ``"on"``, ``false`` ``"off"``; which
modes run is the engine's check, as nats-server's ``-t`` takes any mode string) and
``remotes`` (``[{urls, account, credentials, nkey, tls, deny_imports, deny_exports, hub,
no_randomize}]``, URL strings trimmed, duplicates dropped with nats-server's warning;
``credentials`` with ``~`` expanded; a remote's ``tls`` has optional files and no
``verify``). A block with neither a port nor a remote does nothing (nats-server's outcome):
:meth:`LeafNodesParser.result` then gives None and the settings say so.

Messages are nats-server's where it has one (``Expected map to define a leafnode``,
``can not have a single user/pass and a users array``, ``duplicate user "b" detected in
leafnode authorization``, ``error parsing leafnode url ["x"]``, ``Remote leafnode nkey is not
a valid seed``, ``Remote leafnode can not have both creds and nkey defined``, ``duplicate
remote urls=[...], account="$G"``, ``subject "a..b" is not a valid subject``, the ``timeout``
warning above 60 s). Keys fastnats does not have are refused by name (:data:`UNSUPPORTED`,
:data:`UNSUPPORTED_REMOTE`, :data:`UNSUPPORTED_AUTH`) unless their value switches them off
(``false``, ``0``, ``"0s"``, ``write_timeout: default``), which leaves nats-server doing
what fastnats does. Whether the accounts named exist is checked when the server is built
(:func:`fastnats.server`; nats-server checks it at start-up, not with ``-t``).
"""

from __future__ import annotations

import os

from ..gocompat import quote, url_parse
from .cluster import check_route_url
from .listener import ListenerBlock, Report
from .nodes import used_as_variable
from .tls import parse_tls
from .units import go_quote, go_type, parse_duration
from .users import go_value

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = [
    "LeafNodesParser",
    "UNSUPPORTED",
    "UNSUPPORTED_AUTH",
    "UNSUPPORTED_REMOTE",
    "is_valid_subject",
    "is_user_seed",
    "remote_compression_error",
]


_WEBSOCKET = "WebSocket leaf connections"
_ISOLATION = "isolated leaf node interest"
_DIAL = "dial and first-INFO timeouts of leaf connections"

UNSUPPORTED: dict[str, str] = {
    "min_version": "a minimum version of leaf nodes",
    "minimum_version": "a minimum version of leaf nodes",
    "isolate_leafnode_interest": _ISOLATION,
    "isolate": _ISOLATION,
    "dial_timeout": _DIAL,
    "write_deadline": "a write deadline of its own for leaf connections",
    "write_timeout": "write timeout policies: a leaf connection that misses its write "
    "deadline is closed",
}
"""Keys of nats-server's ``leafnodes`` block fastnats does not have -> the missing feature."""

UNSUPPORTED_REMOTE: dict[str, str] = {
    "ws_compress": _WEBSOCKET,
    "ws_compression": _WEBSOCKET,
    "websocket_compress": _WEBSOCKET,
    "websocket_compression": _WEBSOCKET,
    "ws_no_masking": _WEBSOCKET,
    "websocket_no_masking": _WEBSOCKET,
    "jetstream_cluster_migrate": "JetStream clustering",
    "js_cluster_migrate": "JetStream clustering",
    "isolate_leafnode_interest": _ISOLATION,
    "isolate": _ISOLATION,
    "request_isolation": _ISOLATION,
    "first_info_timeout": _DIAL,
    "dial_timeout": _DIAL,
    "proxy": "HTTP proxies for leaf connections",
    "ignore_discovered_servers": "ignoring the hub's other servers: fastnats also dials the "
    "leafnode_urls the hub sends",
}
"""Keys of a remote (``leafnodes.remotes[i]``) fastnats does not have -> the missing feature."""

UNSUPPORTED_AUTH: dict[str, str] = {
    "nkey": "nkey authentication of leaf nodes",
    "proxy_required": "PROXY protocol",
}
"""Keys of ``leafnodes.authorization`` (and its users) fastnats does not have."""

_AUTH_TIMEOUT_WARNING = 60.0
_UNCOMPRESSED = ("off", "disabled", "accept", "")
_GLOBAL_ACCOUNT = "$G"


def _switched_off(value: Any) -> bool:
    """A value that leaves nats-server doing what fastnats does (false, 0, a zero duration,
    an empty map, ``default``)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, dict | list):
        return not value
    if isinstance(value, str):
        if value.lower() == "default":
            return True
        try:
            return parse_duration(value) == 0
        except ValueError:
            return False
    return False


def is_valid_subject(subject: str) -> bool:
    """nats-server's ``IsValidSubject``: non-empty tokens without white space, nothing
    after ``>``."""
    if not subject:
        return False
    after_full_wildcard = False
    for token in subject.split("."):
        if not token or after_full_wildcard:
            return False
        if len(token) > 1:
            if any(c in token for c in "\t\n\f\r "):
                return False
            continue
        if token == ">":
            after_full_wildcard = True
        elif token in " \t\n\r\f":
            return False
    return True


# nkeys: a seed is base32 (no padding) of two prefix bytes, the key and a CRC-16/XMODEM.
_PREFIX_SEED = 18 << 3
_PREFIX_USER = 20 << 3


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def is_user_seed(text: str) -> bool:
    """Whether ``text`` is a user nkey seed (``SU...``), as nats-server's
    ``nkeys.DecodeSeed`` with the user prefix checks it."""
    import base64
    import binascii

    padded = text + "=" * (-len(text) % 8)
    try:
        raw = base64.b32decode(padded.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    if len(raw) < 4:
        return False
    body, crc = raw[:-2], int.from_bytes(raw[-2:], "little")
    if _crc16(body) != crc:
        return False
    kind = body[0] & 0xF8
    prefix = ((body[0] & 0x07) << 5) | ((body[1] & 0xF8) >> 3)
    return kind == _PREFIX_SEED and prefix == _PREFIX_USER


def remote_compression_error(mode: str) -> str | None:
    """The refusal of a remote's compression mode (None for the modes that do not compress:
    fastnats never compresses a leaf connection)."""
    if mode.lower() in _UNCOMPRESSED:
        return None
    return (
        f"compression mode {quote(mode)} is not supported by fastnats "
        "(leaf connections are not compressed)"
    )


def _redacted(url: str) -> str:
    """A URL with its password shown as ``xxxxx`` (nats-server's ``redactURLList``)."""
    try:
        parsed = url_parse(url)
    except ValueError:
        return url
    if parsed.password is None:
        return url
    import re

    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1xxxxx@", url, count=1)


class LeafNodesParser(ListenerBlock):
    """Reads one ``leafnodes`` block; :meth:`result` is the option (or None), ``notes`` what
    a running server should log about it."""

    def __init__(self, report: Report, warn: Report) -> None:
        super().__init__(report, warn)
        self.notes: list[str] = []

    # reporting ---------------------------------------------------------------------------
    def declined(self, block: Any, key: str, where: str, what: str) -> None:
        self.error(block, key, f'"{key}" in {where} is not supported by fastnats ({what})')

    # the block ---------------------------------------------------------------------------
    def block(self, config: Any, key: str) -> None:
        """Reads ``config[key]``, the ``leafnodes`` block."""
        block = config[key]
        if not isinstance(block, dict):
            self.error(config, key, f"Expected map to define a leafnode, got {go_type(block)}")
            return
        out = self.options
        for name, value in block.items():
            lname = name.lower()
            if self.listener_key(block, name, value):
                continue
            if lname in ("advertise", "leafnode_advertise"):
                self.put(out, "advertise", self.string(block, name, value))
            elif lname == "no_advertise":
                self.put(out, "no_advertise", self.boolean(block, name, value))
            elif lname in ("reconnect", "reconnect_delay", "reconnect_interval"):
                seconds = self.duration(block, name, "reconnect", value)
                if seconds:  # 0: nats-server's default (1 s)
                    out["reconnect"] = seconds
                elif seconds == 0:
                    out.pop("reconnect", None)
            elif lname == "authorization":
                self.put(out, "authorization", self.authorization(block, name, value))
            elif lname == "tls":
                self.put(out, "tls", parse_tls(block, name, self.error))
            elif lname == "compression":
                self.put(out, "compression", self.compression(block, name, value))
            elif lname == "remotes":
                self.put(out, "remotes", self.remotes(block, name, value))
            elif lname in UNSUPPORTED:
                if not _switched_off(value):
                    self.declined(block, name, "leafnodes", UNSUPPORTED[lname])
            elif not used_as_variable(block, name):
                self.error(block, name, f"unknown field {go_quote(name)}")

    # authorization -------------------------------------------------------------------------
    def authorization(self, block: Any, key: str, value: Any) -> dict[str, Any] | None:
        """nats-server's ``parseLeafAuthorization`` and ``validateLeafNodeAuthOptions``."""
        if not isinstance(value, dict):
            self.expected(block, key, "a map", value)
            return None
        before = self.ok
        self.ok = True
        auth: dict[str, Any] = {}
        for name, v in value.items():
            lname = name.lower()
            if lname in ("user", "username"):
                self.put(auth, "user", self.string(value, name, v))
            elif lname in ("pass", "password"):
                self.put(auth, "password", self.string(value, name, v))
            elif lname == "account":
                self.put(auth, "account", self.string(value, name, v))
            elif lname == "timeout":
                self.put(auth, "timeout", self.auth_timeout(value, name, v))
            elif lname == "users":
                self.put(auth, "users", self.users(value, name, v))
            elif lname in UNSUPPORTED_AUTH:
                if not _switched_off(v):
                    self.declined(value, name, "leafnodes authorization", UNSUPPORTED_AUTH[lname])
            elif not used_as_variable(value, name):
                self.error(value, name, f"unknown field {go_quote(name)}")
        ok, self.ok = self.ok, before and self.ok
        if not ok:
            return None
        users = auth.get("users")
        if users:
            if auth.get("user"):
                self.error(block, key, "can not have a single user/pass and a users array")
                return None
            seen: set[str] = set()
            for user in users:
                if user["user"] in seen:
                    self.error(
                        block,
                        key,
                        f"duplicate user {quote(user['user'])} detected in leafnode authorization",
                    )
                    return None
                seen.add(user["user"])
        else:
            auth.pop("users", None)
        if not auth.get("account"):
            auth.pop("account", None)
        if not auth.get("timeout"):
            auth.pop("timeout", None)
        return auth

    def auth_timeout(self, block: Any, key: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.error(
                block, key, "error parsing leafnode authorization config, 'timeout' wrong type"
            )
            return None
        if isinstance(value, str):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                self.error(
                    block, key, f"error parsing leafnode authorization config, 'timeout' {e}"
                )
                return None
        else:
            seconds = float(value)
        if seconds > _AUTH_TIMEOUT_WARNING:
            self.warn(
                block,
                key,
                f'invalid use of field "{key}": timeout of {go_value(value)} ({seconds:f} '
                "seconds) is high, consider keeping it under 60 seconds. possibly caused by "
                "unquoted duration; use '1m' instead of 1m, for example",
            )
        if seconds < 0:
            self.error(block, key, f"invalid value for {go_quote(key)}: negative duration")
            return None
        return seconds

    def users(self, block: Any, key: str, value: Any) -> list[dict[str, Any]] | None:
        """nats-server's ``parseLeafUsers``: ``{user, password, account}`` entries."""
        if not isinstance(value, list):
            self.error(block, key, f"Expected users field to be an array, got {go_value(value)}")
            return None
        users: list[dict[str, Any]] = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.error(
                    value, i, f"Expected user entry to be a map/struct, got {go_value(entry)}"
                )
                continue
            user: dict[str, Any] = {}
            for name, v in entry.items():
                lname = name.lower()
                if lname in ("user", "username"):
                    self.put(user, "user", self.string(entry, name, v))
                elif lname in ("pass", "password"):
                    self.put(user, "password", self.string(entry, name, v))
                elif lname == "account":
                    self.put(user, "account", self.string(entry, name, v))
                elif lname == "proxy_required":
                    if not _switched_off(v):
                        self.declined(
                            entry, name, "leafnodes authorization", UNSUPPORTED_AUTH[lname]
                        )
                elif not used_as_variable(entry, name):
                    self.error(entry, name, f"unknown field {go_quote(name)}")
            if not user.get("user"):
                self.error(value, i, "User entry requires a user")
                continue
            user.setdefault("password", "")
            if not user.get("account"):
                user.pop("account", None)
            users.append(user)
        return users

    # compression -------------------------------------------------------------------------
    def compression(self, block: Any, key: str, value: Any) -> str | None:
        """nats-server's ``parseCompression``: the mode, from a bool, a string or a block."""
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            self.error(
                block,
                key,
                f"field {go_quote(key)} should be a boolean or a structure, got {go_type(value)}",
            )
            return None
        mode: str | None = None
        for name, v in value.items():
            lname = name.lower()
            if lname == "mode":
                mode = self.string(value, name, v)
            elif lname in ("rtt_thresholds", "thresholds", "rtts", "rtt"):
                self.thresholds(value, name, v)
            elif not used_as_variable(value, name):
                self.error(value, name, f"unknown field {go_quote(name)}")
        return mode or None

    def thresholds(self, block: Any, key: str, value: Any) -> None:
        """Read and checked (durations), then unused: they only tune S2 compression."""
        if not isinstance(value, list):
            self.expected(block, key, "an array of durations", value)
            return
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.error(value, i, f"invalid RTT threshold: expected a string, got {go_type(v)}")
                continue
            try:
                parse_duration(v)
            except ValueError as e:
                self.error(value, i, str(e))

    # remotes -----------------------------------------------------------------------------
    def remotes(self, block: Any, key: str, value: Any) -> list[dict[str, Any]] | None:
        if not isinstance(value, list):
            self.error(block, key, f"Expected remotes field to be an array, got {go_type(value)}")
            return None
        remotes: list[dict[str, Any]] = []
        names: set[tuple[Any, ...]] = set()
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.error(
                    value,
                    i,
                    f"Expected remote leafnode entry to be a map/struct, got {go_value(entry)}",
                )
                continue
            before = self.ok
            self.ok = True
            remote, disabled = self.remote(entry)
            ok, self.ok = self.ok, before and self.ok
            if not ok:
                continue
            name = (
                tuple(remote.get("urls", [])),
                remote.get("account") or _GLOBAL_ACCOUNT,
                remote.get("credentials"),
                remote.get("nkey"),
            )
            if name in names:
                self.error(value, i, f"duplicate remote {_safe_name(remote)}")
                continue
            names.add(name)
            if disabled:
                self.notes.append(
                    f"leafnodes remote {_safe_name(remote)} is disabled: it is not dialled"
                )
                continue
            remotes.append(remote)
        return remotes

    def remote(self, entry: Any) -> tuple[dict[str, Any], bool]:
        """One remote (``{urls, account, ...}``) and whether it is ``disabled``."""
        out: dict[str, Any] = {}
        disabled = False
        for name, v in entry.items():
            lname = name.lower()
            if lname in ("url", "urls"):
                self.put(out, "urls", self.urls(entry, name, v))
            elif lname in ("account", "local"):
                account = self.string(entry, name, v)
                if account:
                    out["account"] = account
                elif account is not None:
                    out.pop("account", None)
            elif lname in ("creds", "credentials"):
                path = self.string(entry, name, v)
                if path is None:
                    continue
                if out.get("nkey"):
                    self.error(
                        entry, name, "Remote leafnode can not have both creds and nkey defined"
                    )
                    continue
                out["credentials"] = os.path.expanduser(path) if path else path
            elif lname in ("nkey", "seed"):
                seed = self.string(entry, name, v)
                if seed is None:
                    continue
                if not is_user_seed(seed):
                    self.error(
                        entry, name, f"Remote leafnode nkey is not a valid seed: {quote(seed)}"
                    )
                    continue
                if out.get("credentials"):
                    self.error(
                        entry, name, "Remote leafnode can not have both creds and nkey defined"
                    )
                    continue
                out["nkey"] = seed
            elif lname == "tls":
                self.put(out, "tls", parse_tls(entry, name, self.error, client=True))
            elif lname in ("deny_imports", "deny_import"):
                self.put(out, "deny_imports", self.subjects(entry, name, v))
            elif lname in ("deny_exports", "deny_export"):
                self.put(out, "deny_exports", self.subjects(entry, name, v))
            elif lname == "hub":
                self.put(out, "hub", self.boolean(entry, name, v))
            elif lname in ("no_randomize", "dont_randomize"):
                self.put(out, "no_randomize", self.boolean(entry, name, v))
            elif lname == "compression":
                mode = self.compression(entry, name, v)
                if mode is not None and (why := remote_compression_error(mode)) is not None:
                    self.error(entry, name, why)
            elif lname == "disabled":
                disabled = bool(self.boolean(entry, name, v))
            elif lname in UNSUPPORTED_REMOTE:
                if not _switched_off(v):
                    self.declined(entry, name, "a leafnodes remote", UNSUPPORTED_REMOTE[lname])
            elif not used_as_variable(entry, name):
                self.error(entry, name, f"unknown field {go_quote(name)}")
        if not out.get("credentials"):
            out.pop("credentials", None)
        return out, disabled

    def urls(self, block: Any, key: str, value: Any) -> list[str] | None:
        """``url``/``urls``: a string or an array (nats-server's ``parseURLs``: a duplicate is
        a warning and dropped)."""
        if isinstance(value, str):
            if not check_route_url(value):
                self.error(block, key, f"error parsing leafnode url [{quote(value.strip())}]")
                return None
            return [value.strip()]
        if not isinstance(value, list):
            self.error(
                block,
                key,
                f"Expected remote leafnode url to be an array or string, got {go_value(value)}",
            )
            return None
        urls: list[str] = []
        seen: set[str] = set()
        bad = False
        for i, url in enumerate(value):
            if not isinstance(url, str):
                self.error(value, i, f"invalid leafnode url: expected a string, got {go_type(url)}")
                bad = True
                continue
            if url in seen:
                self.warn(
                    value, i, f'invalid use of field "{url}": Duplicate leafnode entry detected'
                )
                continue
            seen.add(url)
            if not check_route_url(url):
                self.error(value, i, f"error parsing leafnode url [{quote(url.strip())}]")
                bad = True
                continue
            urls.append(url.strip())
        return None if bad else urls

    def subjects(self, block: Any, key: str, value: Any) -> list[str] | None:
        """nats-server's ``parsePermSubjects`` (no queue groups): a subject or an array."""
        if isinstance(value, str):
            subjects = [value]
        elif isinstance(value, list):
            for i, subject in enumerate(value):
                if not isinstance(subject, str):
                    self.error(value, i, "Subject in permissions array cannot be cast to string")
                    return None
            subjects = list(value)
        else:
            self.error(
                block,
                key,
                "Expected subject permissions to be a subject, or array of subjects, "
                f"got {go_type(value)}",
            )
            return None
        for subject in subjects:
            if not is_valid_subject(subject):
                self.error(block, key, f"subject {quote(subject)} is not a valid subject")
                return None
        return subjects

    # the outcome ---------------------------------------------------------------------------
    def result(self) -> dict[str, Any] | None:
        """The ``leafnodes`` option; None when the block can not be used (errors reported) or
        does nothing (no port and no remote: ``idle`` is then True)."""
        if not self.ok:
            return None
        options = dict(self.options)
        if not options.get("host"):
            options.pop("host", None)
        if not options.get("advertise"):
            options.pop("advertise", None)
        options["port"] = (0 if self.port == -1 else self.port) if self.port else None
        if options["port"] is None and not options.get("remotes"):
            return None
        return options


def _safe_name(remote: dict[str, Any]) -> str:
    """nats-server's ``RemoteLeafOpts.safeName``: the URLs (passwords redacted), the account
    and the credentials file (or a redacted nkey)."""
    urls = " ".join(quote(_redacted(u)) for u in remote.get("urls", []))
    text = f"urls=[{urls}], account={quote(remote.get('account') or _GLOBAL_ACCOUNT)}"
    if remote.get("credentials"):
        text += f", credentials={quote(remote['credentials'])}"
    elif remote.get("nkey"):
        text += ', nkey="[REDACTED]"'
    return text
