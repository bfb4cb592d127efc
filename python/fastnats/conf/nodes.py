"""The parsed config tree: plain dicts and lists that also remember where things were written.

A map is a :class:`ConfigDict` (a ``dict[str, Any]``) that keeps the :class:`Position` of each
key and which keys were referenced as ``$variables`` (nats-server does not report those as
unknown fields). An array is a :class:`ConfigList` that keeps the position of each element.
Both compare equal to plain dicts and lists.
"""

from __future__ import annotations

from .errors import Position

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

    _Dict = dict[str, Any]
    _List = list[Any]
else:
    _Dict, _List = dict, list  # the same bases at run time


class ConfigDict(_Dict):
    """A config map. ``positions[key]`` is where the key was written; ``used`` holds the keys
    that some ``$variable`` referred to."""

    __slots__ = ("positions", "used")

    def __init__(self) -> None:
        super().__init__()
        self.positions: dict[str, Position] = {}
        self.used: set[str] = set()

    def set(self, key: str, value: Any, position: Position) -> None:
        """Assigns like the config does: a later key replaces an earlier one."""
        self[key] = value
        self.positions[key] = position
        self.used.discard(key)


class ConfigList(_List):
    """A config array. ``positions[i]`` is where element ``i`` starts."""

    __slots__ = ("positions",)

    def __init__(self) -> None:
        super().__init__()
        self.positions: list[Position] = []

    def add(self, value: Any, position: Position) -> None:
        self.append(value)
        self.positions.append(position)


def positions(mapping: Any) -> dict[str, Position]:
    """``{key: Position}`` of a parsed map (empty for anything else)."""
    if isinstance(mapping, ConfigDict):
        return dict(mapping.positions)
    return {}


def position_of(container: Any, key: str | int) -> Position | None:
    """Where ``container[key]`` was written, if known."""
    if isinstance(container, ConfigDict) and isinstance(key, str):
        return container.positions.get(key)
    if isinstance(container, ConfigList) and isinstance(key, int):
        try:
            return container.positions[key]
        except IndexError:
            return None
    return None


def used_as_variable(mapping: Any, key: str) -> bool:
    """Whether ``mapping[key]`` was referenced as a ``$variable``."""
    return isinstance(mapping, ConfigDict) and key in mapping.used
