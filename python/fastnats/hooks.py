"""Python hooks: authentication, connection lifecycle events, and plugins.

An auth hook is a plain function or a coroutine function taking a dict describing the
connecting client (``user``, ``password``, ``token``, ``nkey``, ``nkey_verified``, ``jwt``,
``name``, ``lang``, ``version``, ``protocol``, ``client_ip``, ``client_port``,
``tls_subject``, ``connection_type``: ``"STANDARD"``, ``"WEBSOCKET"`` or ``"LEAFNODE"``) and
returning a decision (a user's ``allowed_connection_types`` are the hook's to check, as
nats-server leaves them to its custom authenticator):

- ``True`` or :meth:`AuthResult.allow` (optionally with a ``user`` name shown in ``/connz``,
  nats-server style ``permissions`` and the ``account`` the client joins, one of the
  ``accounts`` option's; ``$G`` when not given) to let it in;
- ``False``, ``None`` or :meth:`AuthResult.deny` to refuse it (``Authorization Violation``).

``permissions`` take nats-server's forms and are read by the engine's own deserializer:
:meth:`AuthResult.allow` refuses an unknown key (``publsh``) or a bad subject at once with
:class:`fastnats.ConfigError`; a hook that returns such a dict denies the client.

It runs on a server thread, off the message path, bounded by the auth timeout. An exception,
an answer of the wrong shape or a timeout denies the client (fail closed) and is logged with
its traceback. Coroutine hooks run on an asyncio loop the server owns (a thread started by
the first coroutine hook, stopped and joined by :meth:`fastnats.Server.stop`).

A hook that is not callable is a ``TypeError`` naming the parameter when the server is
built, not a denied client later.

``on_connect(event)`` and ``on_disconnect(event)`` (``event`` has ``cid``, ``client_ip``,
``client_port``, ``name``, ``lang``, ``version``, ``user``, ``account``, and ``reason`` on
disconnect) are
called after the fact, on a server thread, without holding up the connection's traffic.

Plugins are found through the ``fastnats.plugins`` entry-point group and enabled by name:
each entry point is a callable taking a :class:`PluginContext`, on which it registers hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _fastnats

# The runner and the callable check live in fastnats._hooks (a server without hooks starts
# without this module); they are part of this module's API.
from ._hooks import HookRunner, _NotCallable, check_callable
from .errors import PluginError

__all__ = [
    "AuthHook",
    "AuthResult",
    "EventHook",
    "HookRunner",
    "PluginContext",
    "PluginError",
    "check_callable",
    "load_plugins",
    "resolve_callable",
]

AuthHook = Callable[[dict[str, Any]], Any]
EventHook = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class AuthResult:
    """An auth hook's decision. ``permissions`` are checked when the result is made: a key
    nats-server does not know, or a subject that does not parse, raises
    :class:`fastnats.ConfigError` (``permissions: unknown key "publsh"``)."""

    allowed: bool
    user: str | None = None
    permissions: Mapping[str, Any] | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        if self.permissions is not None:
            _fastnats.check_permissions(self.permissions)

    @classmethod
    def allow(
        cls,
        user: str | None = None,
        permissions: Mapping[str, Any] | None = None,
        account: str | None = None,
    ) -> AuthResult:
        """Lets the client in, as ``user`` (shown in ``/connz``), with ``permissions``, in
        ``account`` (a name of the ``accounts`` option; an unknown one denies the client)."""
        return cls(True, user, permissions, account)

    @classmethod
    def deny(cls) -> AuthResult:
        return cls(False)


@dataclass
class PluginContext:
    """What a plugin registers its hooks on."""

    auth_hooks: list[AuthHook] = field(default_factory=list)
    on_connect: list[EventHook] = field(default_factory=list)
    on_disconnect: list[EventHook] = field(default_factory=list)

    def add_auth_hook(self, hook: AuthHook) -> None:
        check_callable(hook, "add_auth_hook(hook)")
        self.auth_hooks.append(hook)

    def add_on_connect(self, hook: EventHook) -> None:
        check_callable(hook, "add_on_connect(hook)")
        self.on_connect.append(hook)

    def add_on_disconnect(self, hook: EventHook) -> None:
        check_callable(hook, "add_on_disconnect(hook)")
        self.on_disconnect.append(hook)


def load_plugins(names: Iterable[str], ctx: PluginContext) -> None:
    """Finds each named plugin in the ``fastnats.plugins`` entry points and lets it register
    its hooks on ``ctx``."""
    names = list(names)
    if not names:
        return
    from importlib.metadata import entry_points

    available = {ep.name: ep for ep in entry_points(group="fastnats.plugins")}
    for name in names:
        ep = available.get(name)
        if ep is None:
            known = ", ".join(sorted(available)) or "none installed"
            raise PluginError(f'plugin "{name}" not found (fastnats.plugins: {known})')
        try:
            ep.load()(ctx)
        except _NotCallable as e:  # the plugin's bug, said as plainly as the caller's own
            raise TypeError(f'plugin "{name}": {e}') from None
        except Exception as e:
            raise PluginError(f'plugin "{name}" failed to load: {e!r}') from e


def resolve_callable(spec: str) -> Callable[..., Any]:
    """``module:attr`` (as given in config or on the command line) to the object."""
    import importlib

    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise ValueError(f'"{spec}" is not of the form module:attribute')
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f'"{spec}" is not callable')
    return obj  # type: ignore[no-any-return]
