"""Reading nats-server configuration files.

* :func:`load` / :func:`loads` parse the format into dicts and lists that remember where each
  key was written (:func:`positions`).
* :func:`load_config` / :func:`config_from_dict` map a parsed config onto fastnats' options
  (:class:`ServerConfig`), rejecting what fastnats can not honour.

Every problem is a :class:`ConfigError` whose ``str`` is ``file:line:column: message``.
"""

from .errors import ConfigError, Position
from .nodes import ConfigDict, ConfigList, position_of, positions
from .options import ServerConfig, config_from_dict, load_config
from .parser import load, loads

__all__ = [
    "ConfigDict",
    "ConfigError",
    "ConfigList",
    "Position",
    "ServerConfig",
    "config_from_dict",
    "load",
    "load_config",
    "loads",
    "position_of",
    "positions",
]
