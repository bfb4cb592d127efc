"""nats-server's permission and authorization forms, normalised for the native layer.

nats-server accepts ``publish: "foo.>"`` or ``publish: ["a", "b"]`` (allow lists) as well as
``publish: {allow: [...], deny: [...]}``, and ``allow_responses: true`` or
``{max: 5, expires: "1m"}`` (0 = the default, negative = no limit). The native layer takes
only the explicit forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _subject_permission(v: Any) -> dict[str, list[str]]:
    if isinstance(v, str):
        return {"allow": [v], "deny": []}
    if isinstance(v, list | tuple):
        return {"allow": [str(x) for x in v], "deny": []}
    if isinstance(v, Mapping):

        def as_list(x: Any) -> list[str]:
            if x is None:
                return []
            if isinstance(x, str):
                return [x]
            return [str(i) for i in x]

        return {"allow": as_list(v.get("allow")), "deny": as_list(v.get("deny"))}
    raise TypeError(f"permission must be a subject, a list or {{allow, deny}}, not {v!r}")


def _seconds(v: Any) -> float:
    if isinstance(v, int | float):
        return float(v)
    from .conf.units import parse_duration  # Go duration strings, as in config files

    return float(parse_duration(str(v)))


def normalize_permissions(p: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("publish", "subscribe"):
        if p.get(key) is not None:
            out[key] = _subject_permission(p[key])
    resp = p.get("allow_responses")
    if resp is True:
        out["allow_responses"] = {"max": 1, "expires": 120.0}
    elif isinstance(resp, Mapping):
        # nats-server's values: 0 means the default, a negative one no limit (which the
        # native layer spells 0).
        max_msgs = int(resp.get("max", 1) or 1)
        expires = _seconds(resp.get("expires", 120.0) or 120.0)
        out["allow_responses"] = {"max": max(max_msgs, 0), "expires": max(expires, 0.0)}
    return out


def normalize_authorization(a: Mapping[str, Any]) -> dict[str, Any]:
    """An ``authorization`` block (nats-server's keys) in the native layer's form."""
    out: dict[str, Any] = {}
    for key in ("token", "user", "password", "no_auth_user"):
        if a.get(key) is not None:
            out[key] = str(a[key])
    if "pass" in a and "password" not in out:
        out["password"] = str(a["pass"])
    if a.get("timeout") is not None:
        out["timeout"] = _seconds(a["timeout"])
    if a.get("default_permissions") is not None:
        out["default_permissions"] = normalize_permissions(a["default_permissions"])
    users = []
    for u in a.get("users") or []:
        entry: dict[str, Any] = {}
        if u.get("nkey"):
            entry["nkey"] = str(u["nkey"])
        else:
            entry["user"] = str(u.get("user", ""))
            entry["password"] = str(u.get("password", u.get("pass", "")))
        if u.get("permissions") is not None:
            entry["permissions"] = normalize_permissions(u["permissions"])
        users.append(entry)
    if users:
        out["users"] = users
    return out
