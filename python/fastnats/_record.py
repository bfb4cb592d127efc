"""A plain base for the settings records (:class:`fastnats.settings.Options` and
:class:`~fastnats.settings.Settings`, :class:`fastnats.conf.ServerConfig`): what
``@dataclass`` gave them (``==`` and ``repr`` by field) without importing :mod:`dataclasses`,
which imports :mod:`inspect` (with ``ast``, ``dis``, ``tokenize``): about 10 ms of a server's
start-up.
"""

from __future__ import annotations


class Record:
    """``==`` and ``repr`` by field (``_FIELDS``), as ``@dataclass`` gives them."""

    _FIELDS: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._FIELDS)
        return f"{self.__class__.__qualname__}({fields})"
