"""fastnats: a NATS server with a Rust core, started and extended from Python.

    >>> import fastnats
    >>> with fastnats.Server(port=0) as server:
    ...     print(server.url)

The message path (parsing, routing, delivery) runs in Rust threads with the GIL released;
this package holds the configuration, the command line and the public API.
"""

from __future__ import annotations

from ._fastnats import COMPATIBLE_NATS_VERSION, __version__
from .errors import (
    BindError,
    ConfigError,
    FastNatsError,
    NoRespondersError,
    PermissionsViolation,
    PluginError,
)

# typing is not imported at run time (`fastnats serve` starts without it); mypy reads this
# constant as typing.TYPE_CHECKING.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .hooks import AuthResult, PluginContext
    from .server import Server, default_config
    from .services import Msg, Subscription

# The rest of the API is imported on first use (PEP 562): pytest loads the plugin
# (fastnats.pytest_plugin) in every run of a project that has fastnats installed, and the
# command line needs none of it before it parses its flags.
_LAZY = {
    "AuthResult": ".hooks",
    "PluginContext": ".hooks",
    "Server": ".server",
    "default_config": ".server",
    "Msg": ".services",
    "Subscription": ".services",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastnats' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "COMPATIBLE_NATS_VERSION",
    "AuthResult",
    "BindError",
    "ConfigError",
    "FastNatsError",
    "Msg",
    "NoRespondersError",
    "PermissionsViolation",
    "PluginContext",
    "PluginError",
    "Server",
    "Subscription",
    "__version__",
    "default_config",
]
