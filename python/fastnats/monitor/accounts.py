"""The accounts the engine runs, as the monitoring documents name them: ``$G``, every account
of the ``accounts`` option and the system account (the engine's: ``system_account``, else
``$SYS`` unless ``no_system_account``; in operator mode the one the config or the operator
JWT names, if any). Read from the engine on each request, so a reload's accounts show at
once.

Used by :mod:`.connz` and :mod:`.subsz` (the ``acc`` filter) and :mod:`.accountz`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLOBAL_ACCOUNT", "SYSTEM_ACCOUNT", "configured", "names", "of", "system_account"]

GLOBAL_ACCOUNT = "$G"
SYSTEM_ACCOUNT = "$SYS"


def configured(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``accounts`` option of an engine configuration (``native.config()``), by name."""
    accounts = config.get("accounts") or {}
    if isinstance(accounts, list):  # ``accounts: [A, B]``
        return {name: {} for name in accounts}
    return {name: account or {} for name, account in accounts.items()}


def system_account(native: Any) -> str | None:
    """The running engine's system account (``native.system_account()``), None without."""
    name: str | None = native.system_account()
    return name


def names(native: Any) -> list[str]:
    """Every account's name, sorted (nats-server lists them in no particular order)."""
    found = {GLOBAL_ACCOUNT, *configured(native.config())}
    system = system_account(native)
    if system:
        found.add(system)
    return sorted(found)


def of(snapshot: dict[str, Any]) -> str:
    """The account of an engine connection or subscription snapshot (``$G`` without one)."""
    return snapshot.get("account") or GLOBAL_ACCOUNT
