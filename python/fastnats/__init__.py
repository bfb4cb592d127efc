"""fastnats: a NATS server with a Rust core, started and extended from Python.

    >>> import fastnats
    >>> with fastnats.Server(port=0) as server:
    ...     print(server.url)

The message path (parsing, routing, delivery) runs in Rust threads with the GIL released;
this package holds the configuration, the command line and the public API.
"""

from ._fastnats import COMPATIBLE_NATS_VERSION, __version__
from .errors import (
    BindError,
    ConfigError,
    FastNatsError,
    NoRespondersError,
    PermissionsViolation,
    PluginError,
)
from .hooks import AuthResult, PluginContext
from .server import Server, default_config
from .services import Msg, Subscription

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
