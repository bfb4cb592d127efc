"""What runs the hooks of :mod:`fastnats.hooks` (and in-process handlers): the adapter the
native layer calls, the asyncio loop thread for coroutine hooks, the callable check.

Apart from :mod:`fastnats.hooks` (whose :class:`~fastnats.hooks.AuthResult` and
:class:`~fastnats.hooks.PluginContext` are dataclasses) so that a server without hooks
starts without importing :mod:`dataclasses`, :mod:`inspect` or :mod:`typing`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping

from .errors import FastNatsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    # fastnats.hooks' AuthHook and EventHook (that module imports this one)
    AuthHook = Callable[[dict[str, Any]], Any]
    EventHook = Callable[[dict[str, Any]], Any]


def _load_isawaitable(obj: object) -> bool:
    """:func:`inspect.isawaitable`, imported on first use (inspect costs ~10 ms to import)."""
    global _isawaitable
    from inspect import isawaitable

    _isawaitable = isawaitable
    return isawaitable(obj)


_isawaitable: Callable[[object], bool] = _load_isawaitable


class _LoopThread:
    """An asyncio loop on a daemon thread, for coroutine hooks; :meth:`close` stops it and
    waits for the thread (daemon only so that a hook stuck forever can not keep the process
    alive at exit)."""

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
        """Stops the loop, joins its thread, cancels what hooks left pending, closes it."""
        import asyncio

        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()


class HookRunner:
    """Adapts user hooks (plain or coroutine functions) to what the native layer calls."""

    def __init__(self) -> None:
        self._loop: _LoopThread | None = None
        self._lock = threading.Lock()

    def call(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        """Calls a hook or handler; a coroutine it returns runs on the server's hook loop."""
        result = fn(arg)
        # `is not None` first: most handlers return None, and isawaitable is not free on
        # the in-process message path.
        if result is not None and _isawaitable(result):
            with self._lock:
                if self._loop is None:
                    self._loop = _LoopThread()
                loop = self._loop
            # A loop closed meanwhile (the server stopping) fails the call: the client is
            # denied, as for any hook failure.
            result = loop.run(result)
        return result

    def auth(self, hooks: list[AuthHook]) -> Callable[[dict[str, Any]], Any] | None:
        """One native auth callable: every hook must allow; the last allow's identity wins."""
        if not hooks:
            return None

        def decide(info: dict[str, Any]) -> bool | dict[str, Any] | None:
            decision: bool | dict[str, Any] | None = None
            for hook in hooks:
                d = _native_decision(self.call(hook, info))
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
                self.call(hook, event)

        return fire

    def close(self) -> None:
        """Stops the coroutine hooks' loop thread, if one was started (``Server.stop()``). A
        later coroutine hook (the server started again) starts a new one."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()


def _native_decision(result: Any) -> bool | dict[str, Any] | None:
    """The hook's answer in the native layer's shape. Permissions pass as given: the engine
    reads them (and a dict with an unknown key denies the client there, logged)."""
    if result is None or result is False:
        return None
    if result is True:
        return True
    if isinstance(result, Mapping):
        return dict(result)
    # An AuthResult (not a Mapping) comes from fastnats.hooks, imported by then: read from
    # sys.modules, as that module imports this one.
    hooks = sys.modules.get("fastnats.hooks")
    if hooks is not None and isinstance(result, hooks.AuthResult):
        if not result.allowed:
            return None
        return {"user": result.user, "permissions": result.permissions, "account": result.account}
    raise TypeError(f"auth hook returned {type(result).__name__}; expected bool or AuthResult")


class _NotCallable(FastNatsError, TypeError):
    """A hook that is not callable (kept apart so plugin loading re-raises it as such)."""

    __module__ = "fastnats.hooks"  # shown in tracebacks as before the move


def check_callable(hook: Any, parameter: str) -> None:
    """Raises ``TypeError`` naming ``parameter`` unless ``hook`` is callable: a wrong hook is
    refused when the server is built, not found out client by client."""
    if not callable(hook):
        raise _NotCallable(f"{parameter} must be callable, not {type(hook).__name__}")
