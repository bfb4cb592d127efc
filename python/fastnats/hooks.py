"""Python hooks: authentication, connection lifecycle events, and plugins.

An auth hook is a plain function or a coroutine function taking a dict describing the
connecting client (``user``, ``password``, ``token``, ``nkey``, ``nkey_verified``, ``jwt``,
``name``, ``lang``, ``version``, ``protocol``, ``client_ip``, ``client_port``,
``tls_subject``) and returning a decision:

- ``True`` or :meth:`AuthResult.allow` (optionally with a ``user`` name shown in ``/connz``
  and nats-server style ``permissions``) to let it in;
- ``False``, ``None`` or :meth:`AuthResult.deny` to refuse it (``Authorization Violation``).

It runs on a server thread, off the message path, bounded by the auth timeout. An exception
or a timeout denies the client (fail closed) and is logged with its traceback. Coroutine
hooks run on an asyncio loop the server owns.

``on_connect(event)`` and ``on_disconnect(event)`` (``event`` has ``cid``, ``client_ip``,
``client_port``, ``name``, ``lang``, ``version``, ``user``, and ``reason`` on disconnect) are
called after the fact, on a server thread, without holding up the connection's traffic.

Plugins are found through the ``fastnats.plugins`` entry-point group and enabled by name:
each entry point is a callable taking a :class:`PluginContext`, on which it registers hooks.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .permissions import normalize_permissions

AuthHook = Callable[[dict[str, Any]], Any]
EventHook = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class AuthResult:
    """An auth hook's decision."""

    allowed: bool
    user: str | None = None
    permissions: Mapping[str, Any] | None = None

    @classmethod
    def allow(
        cls, user: str | None = None, permissions: Mapping[str, Any] | None = None
    ) -> AuthResult:
        return cls(True, user, permissions)

    @classmethod
    def deny(cls) -> AuthResult:
        return cls(False)


class _LoopThread:
    """An asyncio loop on a daemon thread, for coroutine hooks."""

    def __init__(self) -> None:
        import asyncio

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fastnats-hooks", daemon=True
        )
        self._thread.start()

    def run(self, coro: Any) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


class HookRunner:
    """Adapts user hooks (plain or coroutine functions) to what the native layer calls."""

    def __init__(self) -> None:
        self._loop: _LoopThread | None = None
        self._lock = threading.Lock()

    def _call(self, fn: Callable[[dict[str, Any]], Any], arg: dict[str, Any]) -> Any:
        result = fn(arg)
        if inspect.isawaitable(result):
            with self._lock:
                if self._loop is None:
                    self._loop = _LoopThread()
            result = self._loop.run(result)
        return result

    def auth(self, hooks: list[AuthHook]) -> Callable[[dict[str, Any]], Any] | None:
        """One native auth callable: every hook must allow; the last allow's identity wins."""
        if not hooks:
            return None

        def decide(info: dict[str, Any]) -> bool | dict[str, Any] | None:
            decision: bool | dict[str, Any] | None = None
            for hook in hooks:
                d = _native_decision(self._call(hook, info))
                if not d:
                    return None
                decision = d
            return decision

        return decide

    def events(self, hooks: list[EventHook]) -> Callable[[dict[str, Any]], None] | None:
        if not hooks:
            return None

        def fire(event: dict[str, Any]) -> None:
            for hook in hooks:
                self._call(hook, event)

        return fire

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None


def _native_decision(result: Any) -> bool | dict[str, Any] | None:
    if isinstance(result, AuthResult):
        if not result.allowed:
            return None
        return {
            "user": result.user,
            "permissions": normalize_permissions(result.permissions)
            if result.permissions is not None
            else None,
        }
    if result is None or result is False:
        return None
    if result is True:
        return True
    if isinstance(result, Mapping):
        perms = result.get("permissions")
        return {
            "user": result.get("user"),
            "permissions": normalize_permissions(perms) if perms is not None else None,
        }
    raise TypeError(f"auth hook returned {type(result).__name__}; expected bool or AuthResult")


@dataclass
class PluginContext:
    """What a plugin registers its hooks on."""

    auth_hooks: list[AuthHook] = field(default_factory=list)
    on_connect: list[EventHook] = field(default_factory=list)
    on_disconnect: list[EventHook] = field(default_factory=list)

    def add_auth_hook(self, hook: AuthHook) -> None:
        self.auth_hooks.append(hook)

    def add_on_connect(self, hook: EventHook) -> None:
        self.on_connect.append(hook)

    def add_on_disconnect(self, hook: EventHook) -> None:
        self.on_disconnect.append(hook)


class PluginError(RuntimeError):
    """A plugin could not be found or failed to load: startup stops with this message."""


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
