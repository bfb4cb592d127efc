"""Where a config item came from, and the one error type of the config package."""

from __future__ import annotations

from .. import errors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NamedTuple, TypeVar

    _T = TypeVar("_T")

    def named_tuple(cls: _T) -> _T:
        return cls

else:
    # A config is read without importing typing (~7 ms): named_tuple() makes the class that
    # typing.NamedTuple would, from the same class statement.
    NamedTuple = object

    def named_tuple(cls: type) -> type:
        """The class ``typing.NamedTuple`` makes of ``cls`` (fields: its annotations, in
        order; its docstring and methods copied), made by :func:`collections.namedtuple`."""
        from collections import namedtuple

        fields = dict(cls.__dict__.get("__annotations__", {}))
        made = namedtuple(cls.__name__, list(fields), module=cls.__module__)
        made.__annotations__ = fields
        for key, value in cls.__dict__.items():
            if key in ("__module__", "__annotations__", "__dict__", "__weakref__"):
                continue
            if key == "__doc__" and value is None:
                continue
            if key in fields:
                raise TypeError(f"{cls.__name__}.{key}: field defaults are not supported")
            setattr(made, key, value)
        return made


@named_tuple
class Position(NamedTuple):
    """A place in a config file: 1-based line and column (in characters)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(errors.ConfigError):
    """A config file that can not be used: a :class:`fastnats.errors.ConfigError` (and so a
    ``ValueError``) that knows where.

    ``str(error)`` is one line, ``path/to/file.conf:12:5: message`` (or ``path: message`` when
    the problem is the file as a whole). When several problems were found, ``errors`` lists
    them all (the first one is ``self``'s message); otherwise it is ``[self]``.
    """

    def __init__(
        self,
        message: str,
        position: Position | None = None,
        *,
        file: str | None = None,
        errors: Sequence[ConfigError] = (),
    ) -> None:
        self.message = message
        self.position = position
        self.file = position.file if position is not None else file
        self.errors: list[ConfigError] = list(errors) if errors else [self]
        super().__init__(self.__str__())

    @property
    def line(self) -> int | None:
        return self.position.line if self.position is not None else None

    @property
    def column(self) -> int | None:
        return self.position.column if self.position is not None else None

    def __str__(self) -> str:
        message = _one_line(self.message)
        if self.position is not None:
            return f"{self.position}: {message}"
        if self.file is not None:
            return f"{self.file}: {message}"
        return message
