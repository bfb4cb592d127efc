"""The ``tls`` option of :class:`fastnats.Server`, checked and completed as nats-server does.

``tls={"cert_file": ..., "key_file": ..., "ca_file": ..., "verify": bool, "verify_and_map":
bool, "timeout": seconds, "handshake_first": bool}``. ``verify_and_map`` requires and
verifies a client certificate as ``verify`` does, and makes the client the configured user
the certificate names (its e-mail addresses, DNS names, URIs, then its subject). The
engine loads the files (errors name the file); this module adds nats-server's defaults and
checks around it:

* ``timeout`` may be float seconds or a Go duration string (``"500ms"``); ``0``/``None`` is
  the default, 2 s. A negative timeout is refused.
* a ``ca_file`` without ``verify`` is still read and must hold a certificate (nats-server
  loads it either way and fails to start when it can not).
* with TLS on, an ``authorization`` block without its own ``timeout`` gets nats-server's
  default for that case: the TLS timeout plus one second.

:func:`tls_changes` gives nats-server's reload log lines for a change of the option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import ConfigError
from .gocompat import format_float

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DEFAULT_TLS_TIMEOUT", "normalize_tls", "apply_tls_defaults", "tls_changes"]

DEFAULT_TLS_TIMEOUT = 2.0
"""Seconds; nats-server's ``TLS_TIMEOUT``."""

_PATHS = ("cert_file", "key_file", "ca_file")


def _seconds(value: Any) -> float:
    if isinstance(value, str):
        from .conf.units import parse_duration

        try:
            return parse_duration(value)
        except ValueError as e:
            raise ConfigError(f"tls.timeout: {e}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"tls timeout must be seconds or a duration string, not {value!r}")
    return float(value)


def _check_ca_file(path: str) -> None:
    try:
        with open(path, "rb") as f:
            pem = f.read()
    except OSError as e:
        raise ConfigError(f"error opening CA file {path}: {e.strerror or e}") from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(f"no certificate found in CA file {path}")


def normalize_tls(tls: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``tls`` option in the engine's form (see the module docstring)."""
    if tls is None:
        return None
    if not isinstance(tls, Mapping):
        raise TypeError(f"tls must be a dict of TLS settings, not {type(tls).__name__}")
    out = dict(tls)
    for key in _PATHS:
        if out.get(key) is not None:
            out[key] = os.fspath(out[key])
    if not out.get("ca_file"):
        out.pop("ca_file", None)
    timeout = out.pop("timeout", None)
    if timeout is not None:
        seconds = _seconds(timeout)
        if seconds < 0:
            raise ConfigError(f"tls timeout {timeout!r} is negative")
        if seconds:
            out["timeout"] = seconds
    if out.get("ca_file") and not (out.get("verify") or out.get("verify_and_map")):
        _check_ca_file(out["ca_file"])
    return out


def apply_tls_defaults(options: dict[str, Any]) -> None:
    """Normalizes ``options["tls"]`` in place and, with TLS on, gives an ``authorization``
    without its own timeout nats-server's TLS-time default (TLS timeout + 1 s)."""
    tls = normalize_tls(options.get("tls"))
    if tls is None:
        return
    options["tls"] = tls
    auth = dict(options.get("authorization") or {})
    if not auth.get("timeout"):
        auth["timeout"] = float(tls.get("timeout", DEFAULT_TLS_TIMEOUT)) + 1.0
        options["authorization"] = auth


def tls_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
    """nats-server's ``Reloaded: ...`` lines (without the prefix) for a change of ``tls``."""
    before = old or {}
    after = new or {}
    lines = []
    old_timeout = before.get("timeout") or DEFAULT_TLS_TIMEOUT
    new_timeout = after.get("timeout") or DEFAULT_TLS_TIMEOUT
    if old_timeout != new_timeout:
        lines.append(f"tls timeout = {format_float(float(new_timeout))}")
    old_first = bool(before.get("handshake_first"))
    new_first = bool(after.get("handshake_first"))

    def identity(t: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            t.get("cert_file"),
            t.get("key_file"),
            t.get("ca_file"),
            bool(t.get("verify") or t.get("verify_and_map")),
        )

    if (old is None) != (new is None) or identity(before) != identity(after):
        lines.append(f"tls = {'enabled' if new is not None else 'disabled'}")
    if old_first != new_first:
        lines.append(f"Client TLS handshake first: {'true' if new_first else 'false'}")
    return lines
