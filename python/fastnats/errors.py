"""fastnats' exceptions: one root, :class:`FastNatsError`.

Each error also derives from the built-in exception that code written before this hierarchy
caught (``ValueError`` for bad configuration, ``OSError`` for an address that can not be
bound, ``RuntimeError`` for a plugin), so existing ``except`` clauses keep working.

The native extension raises these very classes (it imports this module), so an error from
the engine and one from the Python layer are caught by the same clause.
"""

from __future__ import annotations

__all__ = [
    "BindError",
    "ConfigError",
    "FastNatsError",
    "NoRespondersError",
    "PermissionsViolation",
    "PluginError",
]


class FastNatsError(Exception):
    """The root of every error fastnats raises on purpose."""


class ConfigError(FastNatsError, ValueError):
    """An option, a config file or a flag that can not be used; the message names the key
    (``authorization.users[0].permissions: unknown key "publsh"``) or the file and line."""


class BindError(FastNatsError, OSError):
    """A listener (clients or monitoring) could not be bound; the message names the
    address. ``errno`` is the operating system's, as on any ``OSError``."""


class PluginError(FastNatsError, RuntimeError):
    """A plugin or hook could not be found or failed to load."""


class NoRespondersError(FastNatsError):
    """``Server.request()`` found no subscriber for the subject (nats-py raises its own
    ``NoRespondersError`` in the same case)."""


class PermissionsViolation(FastNatsError):
    """An in-process publish or subscription made as a configured ``user`` that the user's
    permissions do not allow; the message is nats-server's (``Permissions Violation for
    Publish to "orders.x"``)."""
