"""The checks behind :func:`fastnats.options.check_options` (see that module's docstring).

They live apart from the ``TypedDict``\\ s of :mod:`fastnats.options` so that a server starts
without importing :mod:`typing` or building those classes (``python -m fastnats serve``
imports this module, not that one): nothing here is needed only by type checkers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from re import Pattern
    from typing import Any


class _Default:
    """The value of an option that was not given (the engine's default applies)."""

    __module__ = "fastnats.options"  # its public home: pickled and shown as before

    _instance: _Default | None = None

    def __new__(cls) -> _Default:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"

    def __reduce__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""The default of every engine option in ``Server.__init__``'s signature: "not given, the
engine's default" (``fastnats.default_config()`` lists those). Typed ``Any`` so that a
parameter can say ``port: int = DEFAULT``."""

# The names of ReloadOptions (fastnats.options; tests/test_options.py checks they agree).
RELOAD_OPTIONS: frozenset[str] = frozenset(
    {
        "host",
        "port",
        "server_name",
        "max_payload",
        "max_control_line",
        "max_pending",
        "max_connections",
        "max_subscriptions",
        "ping_interval",
        "ping_max",
        "write_deadline",
        "shutdown_grace",
        "worker_threads",
        "no_header_support",
        "disable_sublist_cache",
        "allow_non_tls",
        "authorization",
        "tls",
        "accounts",
        "system_account",
        "no_system_account",
        "operator",
        "trusted_keys",
        "resolver",
        "resolver_preload",
        "jetstream",
        "cluster",
        "leafnodes",
        "websocket",
        "http_host",
        "http_port",
    }
)
MONITORING_OPTIONS = ("http_host", "http_port")

_INT32_MAX = (1 << 31) - 1
_INT64_MAX = (1 << 63) - 1
_UINT32_MAX = (1 << 32) - 1
_USIZE_MAX = (1 << 64) - 1

_SIZE_FORMS = '(an integer or a string such as "64KB", "2MB", "1GB")'
_DURATION_FORMS = '(a number or a string such as "500ms", "2m", "1h30m")'
_SIZE: Pattern[str] | None = None  # r"(\d+)([A-Za-z]*)", compiled by the first size string


def _size_match(value: str) -> tuple[str, str] | None:
    global _SIZE
    if _SIZE is None:
        import re

        _SIZE = re.compile(r"(\d+)([A-Za-z]*)")
    m = _SIZE.fullmatch(value)
    return None if m is None else (m.group(1), m.group(2))


def _fail(name: str, what: str, value: Any) -> ConfigError:
    return ConfigError(f"{name}: must be {what}, not {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(name: str, value: Any, low: int, high: int, what: str) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise _fail(name, what, value)
    return int(value)


def _port(name: str, value: Any) -> int:
    what = "an integer from 0 to 65535 (or -1 for a random port)"
    if name == "http_port":
        what += " or None"
    port = _integer(name, value, -1, 65535, what)
    return 0 if port == -1 else port


def _size(name: str, value: Any, high: int) -> int:
    """Bytes, or a size as the config files write it (``k`` = 1000, ``kb``/``ki``/``kib`` =
    1024, and so on for ``m``, ``g``, ``t``; any case)."""
    from .conf.units import apply_size_suffix

    what = f"a size from 1 to {high} bytes {_SIZE_FORMS}"
    if _is_int(value):
        n = value
    elif isinstance(value, str) and (m := _size_match(value)):
        try:
            n = apply_size_suffix(int(m[0]), m[1])
        except (KeyError, OverflowError):
            raise _fail(name, what, value) from None
    else:
        raise _fail(name, what, value)
    if not 1 <= n <= high:
        raise _fail(name, what, value)
    return int(n)


def _duration(name: str, value: Any, positive: bool) -> float:
    """Seconds, or a Go duration string as the config files write it."""
    from .conf.units import parse_duration

    what = f"{'a positive' if positive else 'a non-negative'} duration in seconds {_DURATION_FORMS}"
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise _fail(name, what, value) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise _fail(name, what, value)
    import math

    if not math.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        raise _fail(name, what, value)
    return seconds


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, "True or False", value)
    return value


def _string(name: str, value: Any, *, none: bool = False) -> str | None:
    if value is None and none:
        return None
    if not isinstance(value, str):
        raise _fail(name, "a string or None" if none else "a string", value)
    return value


def _mapping(name: str, value: Any, what: str) -> Mapping[str, Any] | None:
    if value is not None and not isinstance(value, Mapping):
        raise _fail(name, f"a dict ({what}) or None", value)
    return None if value is None else dict(value)  # a copy: reload() merges into it


def _strings(name: str, value: Any) -> list[str]:
    """A string or a list of strings (an operator JWT or its file, trusted keys)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _fail(name, "a string or a list of strings", value)


def _accounts(name: str, value: Any) -> dict[str, Any] | None:
    """A dict of account name -> dict; what is inside each account is the engine's to check
    (it names the path of an unknown key: ``accounts.A.exports[0]: unknown key "strem"``)."""
    accounts = _mapping(name, value, "account name -> users, exports, imports")
    if accounts is None:
        return None
    for account, options in accounts.items():
        if not isinstance(account, str) or not isinstance(options, Mapping):
            raise _fail(name, "a dict of account name (str) -> dict", value)
    out = {account: dict(options) for account, options in accounts.items()}
    for options in out.values():
        js = options.get("jetstream")
        if js is True:
            options["jetstream"] = {}
        elif js is False or js is None:
            options.pop("jetstream", None)
    return out


def _store_size(name: str, value: Any) -> int:
    """A JetStream limit: bytes (0 allowed) or a size string, or -1 for the default."""
    if _is_int(value) and -1 <= value <= _INT64_MAX:
        return int(value)
    if isinstance(value, str):
        with contextlib.suppress(ConfigError):
            return _size(name, value, _INT64_MAX)
    raise _fail(name, f"a size in bytes {_SIZE_FORMS}, or -1 for the default", value)


def _jetstream(name: str, value: Any) -> dict[str, Any] | None:
    """``True`` (the defaults), ``False``/``None`` (off) or a :class:`JetStreamOptions`
    dict, with sizes in bytes and durations in seconds; keys it does not know are left for
    the engine to refuse by name."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(
            name,
            "True, False, None or a dict (store_dir, max_memory_store, max_file_store, "
            "domain, sync_interval)",
            value,
        )
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "store_dir":
            if not isinstance(v, (str, os.PathLike)):
                raise _fail(path, "a path (str or os.PathLike)", v)
            if os.fspath(v):
                out[key] = os.fspath(v)
        elif key in ("max_memory_store", "max_file_store"):
            out[key] = _store_size(path, v)
        elif key == "domain":
            if _string(path, v):
                out[key] = v
        elif key == "sync_interval":
            if isinstance(v, str) and v.lower() == "always":
                out[key] = "always"
            else:
                try:
                    out[key] = _duration(path, v, positive=True)
                except ConfigError:
                    what = f'"always" or a positive duration {_DURATION_FORMS}'
                    raise _fail(path, what, v) from None
        else:
            out[key] = v
    return out


def _cluster_auth(name: str, value: Any) -> dict[str, Any] | None:
    given = _mapping(name, value, "user, password, timeout")
    if given is None:
        return None
    auth = dict(given)
    for key in ("user", "password"):
        if not isinstance(auth.get(key), str):
            raise _fail(f"{name}.{key}", "a string", auth.get(key))
    if "timeout" in auth:
        auth["timeout"] = _duration(f"{name}.timeout", auth["timeout"], positive=True)
    return auth


def _cluster(name: str, value: Any) -> dict[str, Any] | None:
    """None (no cluster) or a :class:`ClusterOptions` dict in the engine's units (ports,
    seconds); keys it does not know are left for the engine to refuse by name."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "None or a dict (name, host, port, routes, authorization, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "name":
            text = _string(path, v)
            if text is not None and any(c in text for c in " \t\r\n"):
                raise _fail(path, "a string without spaces or line breaks", v)
            out[key] = text
        elif key == "host":
            out[key] = _string(path, v)
        elif key == "advertise":
            out[key] = _string(path, v, none=True)
        elif key == "port":
            out[key] = _port(path, v)
        elif key == "routes":
            if not isinstance(v, list | tuple) or not all(isinstance(u, str) for u in v):
                raise _fail(path, "a list of route URLs (str)", v)
            out[key] = list(v)
        elif key == "authorization":
            out[key] = _cluster_auth(path, v)
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, verify, timeout")
        elif key in ("no_advertise", "connect_backoff"):
            out[key] = _boolean(path, v)
        elif key in ("connect_retries", "ping_max"):
            out[key] = _integer(path, v, 0, _UINT32_MAX, f"an integer from 0 to {_UINT32_MAX}")
        elif key in ("ping_interval", "write_deadline"):
            out[key] = _duration(path, v, positive=True)
        elif key == "pool_size":
            out[key] = _integer(path, v, -(1 << 63), _INT64_MAX, "an integer")
        elif key == "compression":
            if isinstance(v, bool):
                out[key] = "on" if v else "off"
            elif isinstance(v, str):
                out[key] = v  # which modes run is the engine's check (one message)
            else:
                raise _fail(path, 'False or a mode string ("off", "disabled", "accept")', v)
        else:
            out[key] = v
    return out


def _compression(path: str, value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value  # which modes run is the engine's check (one message)
    raise _fail(path, 'False or a mode string ("off", "disabled", "accept")', value)


def _subjects(path: str, value: Any) -> list[str]:
    from .conf.leafnodes import is_valid_subject

    if not isinstance(value, list | tuple) or not all(
        isinstance(s, str) and is_valid_subject(s) for s in value
    ):
        raise _fail(path, "a list of subjects (str)", value)
    return list(value)


def _leaf_auth(name: str, value: Any) -> dict[str, Any] | None:
    """nats-server's leaf authorization: one user or a users list, each with an account."""
    from .gocompat import quote

    given = _mapping(name, value, "user, password, account, timeout, users")
    if given is None:
        return None
    auth = dict(given)
    for key in ("user", "password"):
        if key in auth:
            _string(f"{name}.{key}", auth[key])
    if "account" in auth:
        _string(f"{name}.account", auth["account"], none=True)
    if "timeout" in auth:
        auth["timeout"] = _duration(f"{name}.timeout", auth["timeout"], positive=True)
    if "users" in auth:
        users = auth["users"]
        if not isinstance(users, list | tuple) or not all(isinstance(u, Mapping) for u in users):
            raise _fail(f"{name}.users", "a list of dicts (user, password, account)", users)
        seen: set[str] = set()
        auth["users"] = [dict(u) for u in users]
        for i, user in enumerate(auth["users"]):
            path = f"{name}.users[{i}]"
            for key in ("user", "password"):
                if not isinstance(user.get(key), str):
                    raise _fail(f"{path}.{key}", "a string", user.get(key))
            if "account" in user:
                _string(f"{path}.account", user["account"], none=True)
            if user["user"] in seen:
                raise ConfigError(
                    f"{name}: duplicate user {quote(user['user'])} detected in leafnode "
                    "authorization"
                )
            seen.add(user["user"])
        if auth["users"] and auth.get("user"):
            raise ConfigError(f"{name}: can not have a single user/pass and a users array")
    return auth


def _remote_leaf(name: str, value: Any) -> dict[str, Any]:
    from .conf.leafnodes import is_user_seed, remote_compression_error

    if not isinstance(value, Mapping):
        raise _fail(name, "a dict (urls, account, credentials, nkey, tls, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "urls":
            if not isinstance(v, list | tuple) or not all(isinstance(u, str) for u in v):
                raise _fail(path, "a list of URLs (str)", v)
            out[key] = [u.strip() for u in v]
        elif key == "account":
            out[key] = _string(path, v, none=True)
        elif key == "credentials":
            if v is not None and not isinstance(v, str | os.PathLike):
                raise _fail(path, "a path (str or os.PathLike) or None", v)
            out[key] = None if v is None else os.path.expanduser(os.fspath(v))
        elif key == "nkey":
            if v is not None and not (isinstance(v, str) and is_user_seed(v)):
                raise _fail(path, 'a user nkey seed ("SU...") or None', v)
            out[key] = v
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, timeout, handshake_first")
        elif key in ("deny_imports", "deny_exports"):
            out[key] = _subjects(path, v)
        elif key in ("hub", "no_randomize"):
            out[key] = _boolean(path, v)
        elif key == "compression":  # the engine's remotes are never compressed
            why = remote_compression_error(_compression(path, v))
            if why is not None:
                raise ConfigError(f"{path}: {why}")
        else:
            out[key] = v
    if out.get("credentials") and out.get("nkey"):
        raise ConfigError(f"{name}: Remote leafnode can not have both creds and nkey defined")
    return out


def _leafnodes(name: str, value: Any) -> dict[str, Any] | None:
    """None (no leaf nodes) or a :class:`LeafNodeOptions` dict in the engine's units (ports,
    seconds); keys it does not know are left for the engine to refuse by name."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "None or a dict (host, port, authorization, remotes, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "host":
            out[key] = _string(path, v)
        elif key == "advertise":
            out[key] = _string(path, v, none=True)
        elif key == "port":
            out[key] = None if v is None else _port(path, v)
        elif key == "no_advertise":
            out[key] = _boolean(path, v)
        elif key == "reconnect":
            out[key] = _duration(path, v, positive=True)
        elif key == "authorization":
            out[key] = _leaf_auth(path, v)
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, verify, timeout")
        elif key == "compression":
            out[key] = _compression(path, v)
        elif key == "remotes":
            if not isinstance(v, list | tuple):
                raise _fail(path, "a list of dicts (urls, account, ...)", v)
            out[key] = [_remote_leaf(f"{path}[{i}]", r) for i, r in enumerate(v)]
        else:
            out[key] = v
    return out


_WS_STRINGS = (
    "advertise",
    "no_auth_user",
    "jwt_cookie",
    "user_cookie",
    "pass_cookie",
    "token_cookie",
)


def _websocket(name: str, value: Any) -> dict[str, Any] | None:
    """None (no WebSocket listener) or a :class:`WebsocketOptions` dict in the engine's units
    (port, seconds); keys it does not know are left for the engine to refuse by name, as are
    nats-server's checks (TLS or ``no_tls``, origins, reserved headers, ...)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(name, "None or a dict (host, port, no_tls, tls, ...)", value)
    out: dict[str, Any] = {}
    for key, v in value.items():
        path = f"{name}.{key}"
        if key == "host":
            out[key] = _string(path, v)
        elif key == "port":
            out[key] = _port(path, v)
        elif key in _WS_STRINGS:
            out[key] = _string(path, v, none=True)
        elif key in ("no_tls", "same_origin", "compression"):
            out[key] = _boolean(path, v)
        elif key == "tls":
            out[key] = _mapping(path, v, "cert_file, key_file, ca_file, verify, timeout")
        elif key == "allowed_origins":
            if isinstance(v, str) or not (
                isinstance(v, list | tuple) and all(isinstance(o, str) for o in v)
            ):
                raise _fail(path, "a list of origins (str)", v)
            out[key] = list(v)
        elif key == "handshake_timeout":
            out[key] = _duration(path, v, positive=False)
        elif key == "ping_interval":
            out[key] = None if v is None else _duration(path, v, positive=True)
        elif key == "headers":
            if not isinstance(v, Mapping) or not all(
                isinstance(k, str) and isinstance(h, str) for k, h in v.items()
            ):
                raise _fail(path, "a dict of header name (str) -> value (str)", v)
            out[key] = dict(v)
        elif key == "authorization":
            given = _mapping(path, v, "user, password, token, timeout")
            auth = None if given is None else dict(given)
            if auth is not None:
                for k in ("user", "password", "token"):
                    if k in auth:
                        auth[k] = _string(f"{path}.{k}", auth[k], none=True)
                if auth.get("timeout") is not None:
                    auth["timeout"] = _duration(f"{path}.timeout", auth["timeout"], positive=True)
            out[key] = auth
        else:
            out[key] = v
    return out


def _check(name: str, value: Any) -> Any:
    if name in ("host", "http_host"):
        return _string(name, value, none=name == "http_host")
    if name == "server_name":
        text = _string(name, value)
        if text is not None and " " in text:
            raise _fail(name, "a string without spaces", value)
        return text
    if name == "port":
        return _port(name, value)
    if name == "http_port":
        return None if value is None else _port(name, value)
    if name in ("max_payload", "max_control_line"):
        return _size(name, value, _INT32_MAX)
    if name == "max_pending":
        return _size(name, value, _INT64_MAX)
    if name in ("ping_interval", "write_deadline"):
        return _duration(name, value, positive=True)
    if name == "shutdown_grace":
        return _duration(name, value, positive=False)
    if name == "ping_max":
        return _integer(name, value, 0, _UINT32_MAX, f"an integer from 0 to {_UINT32_MAX}")
    if name in ("max_connections", "max_subscriptions", "worker_threads"):
        return _integer(name, value, 0, _USIZE_MAX, "a non-negative integer")
    if name in ("no_header_support", "disable_sublist_cache", "no_system_account", "allow_non_tls"):
        return _boolean(name, value)
    if name == "authorization":
        return _mapping(name, value, "nats-server's authorization block")
    if name == "tls":
        return _mapping(name, value, "cert_file, key_file, ca_file, verify, timeout, ...")
    if name == "accounts":
        return _accounts(name, value)
    if name == "system_account":
        return _string(name, value, none=True)
    if name in ("operator", "trusted_keys"):
        return _strings(name, value)
    if name == "resolver":
        if isinstance(value, str):
            return value
        return _mapping(name, value, "type and dir, or the string MEMORY")
    if name == "jetstream":
        return _jetstream(name, value)
    if name == "cluster":
        return _cluster(name, value)
    if name == "leafnodes":
        return _leafnodes(name, value)
    if name == "websocket":
        return _websocket(name, value)
    if name == "resolver_preload":
        preload = _mapping(name, value, "account public key -> account JWT")
        if preload is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in preload.items()
        ):
            raise _fail(name, "a dict of account public key (str) -> account JWT (str)", value)
        return preload
    raise AssertionError(name)  # pragma: no cover - callers pass known names only


def check_options(options: Mapping[str, Any], caller: str = "Server()") -> dict[str, Any]:
    """The options (names of :class:`ReloadOptions`) checked and in the engine's units.

    An unknown name is a ``TypeError`` naming it, as Python's own for an unexpected keyword
    argument; a bad value a :class:`fastnats.ConfigError` (see the module docstring). The
    contents of ``authorization``, ``tls`` and each account are checked by the engine (keys
    named with their path: ``authorization.users[0].permissions: unknown key "publsh"``).
    """
    for name in options:
        if name not in RELOAD_OPTIONS:
            raise TypeError(f"{caller} got an unexpected keyword argument {name!r}")
    return {name: _check(name, value) for name, value in options.items()}
