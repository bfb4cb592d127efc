"""nats-server's configuration format: text -> nested dicts and lists.

    >>> from fastnats.conf import loads
    >>> loads("listen: 127.0.0.1:4222\\nmax_payload: 2MB")
    {'listen': '127.0.0.1:4222', 'max_payload': 2097152}

Values come out as ``str``, ``int``, ``float``, ``bool``, ``datetime.datetime`` (UTC),
:class:`~fastnats.conf.nodes.ConfigDict` (a ``dict``) and
:class:`~fastnats.conf.nodes.ConfigList` (a ``list``); maps remember the position of each key
(:func:`~fastnats.conf.nodes.positions`). The grammar is described in :mod:`.lexer`; this
module adds what needs the structure:

* ``$NAME`` (bare, not quoted) is replaced by the value of the key ``NAME`` defined earlier in
  the same map or an enclosing one, else by the environment variable ``NAME`` (whose text is
  parsed as a value: ``4222`` is a number). Environment values may refer to further
  environment variables; a cycle is an error. ``$2a$...`` (a bcrypt hash) is a plain string.
  An unresolved name is ``variable reference for 'NAME' on line N can not be found``.
* ``include path`` merges another file's keys at that point; the path is relative to the
  including file's directory (like nats-server, a leading ``/`` does not make it absolute).
  An included file is parsed on its own: it does not see the includer's variables, while the
  includer sees the included keys. Include cycles are an error.
* A later key replaces an earlier one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..gocompat import INT64_MAX, INT64_MIN
from . import lexer as lx
from .errors import ConfigError, Position
from .lexer import Lexer, Token
from .nodes import ConfigDict, ConfigList
from .units import apply_size_suffix

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a server starts without importing typing
    from typing import Any

__all__ = ["load", "loads"]

_BCRYPT_PREFIX = "2a$"
_ENV_KEY = "pk"


def load(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> ConfigDict:
    """Parses the config file at ``path``. ``env`` replaces ``os.environ`` for ``$VARIABLES``."""
    name = os.fspath(path)
    text = _read(name, None)
    ctx = _Context(env)
    ctx.includes.append(os.path.realpath(name))
    return _Parser(text, name, os.path.dirname(name) or ".", ctx).parse()


def loads(
    text: str,
    filename: str = "<string>",
    *,
    base_dir: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ConfigDict:
    """Parses config text. ``filename`` names it in error messages; ``include`` paths are
    relative to ``base_dir`` (default: the directory of ``filename`` if it names a file,
    else the current directory)."""
    ctx = _Context(env)
    if base_dir is None:
        base_dir = "" if filename.startswith("<") else os.path.dirname(filename) or "."
    if not filename.startswith("<"):
        ctx.includes.append(os.path.realpath(filename))
    return _Parser(text, filename, base_dir, ctx).parse()


def _read(path: str, position: Position | None) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            return f.read()
    except OSError as e:
        reason = e.strerror or str(e)
        if position is None:
            raise ConfigError(f"can not read config file: {reason}", file=path) from None
        raise ConfigError(f"error parsing include file '{path}': {reason}", position) from None


class _Context:
    """What all the parsers of one load share."""

    def __init__(self, env: Mapping[str, str] | None) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.env_refs: set[str] = set()  # environment variables being expanded (cycles)
        self.includes: list[str] = []  # real paths of the files being parsed (cycles)


class _Parser:
    def __init__(self, text: str, file: str, base_dir: str, ctx: _Context) -> None:
        self.lex = Lexer(text, file)
        self.base_dir = base_dir
        self.ctx = ctx
        self.scopes: list[ConfigDict | ConfigList] = []

    def parse(self) -> ConfigDict:
        lex = self.lex
        top = ConfigDict()
        self.scopes.append(top)
        while lex.skip_top_filler():
            key = lex.top_key()
            if key is None:
                break
            if key.include:
                self._include(top)
                lex.top_value_end()
                continue
            if not lex.top_key_end():
                if key.name == "}":  # a JSON document's closing brace
                    break
                raise ConfigError(f"key '{key.name}' has no value", key.position)
            top.set(key.name, self._value(), key.position)
            lex.top_value_end()
        self.scopes.pop()
        return top

    # structure -----------------------------------------------------------------------
    def _value(self, element: bool = False) -> Any:
        token = self.lex.value(element)
        if token.kind == lx.MAP_START or token.kind == lx.ARRAY_START:
            return self._nested(token)
        return self._scalar(token)

    def _scalar(self, token: Token) -> Any:
        kind = token.kind
        if kind == lx.STRING:
            return token.value
        if kind == lx.INTEGER:
            return self._integer(token)
        if kind == lx.BOOL:
            return lx.BOOLEANS[token.value.lower()]
        if kind == lx.VARIABLE:
            return self._variable(token)
        if kind == lx.FLOAT:
            return float(token.value)
        if kind == lx.DATETIME:
            return self._datetime(token)
        raise AssertionError(kind)  # pragma: no cover

    def _nested(self, token: Token) -> ConfigDict | ConfigList:
        """The map or array that ``token`` opens, with everything nested in it. An explicit
        stack instead of recursion: like nats-server, any depth parses (``a=[[[...]]]`` 5,000
        deep is fine), where recursion would stop at Python's recursion limit.

        ``self.scopes`` holds the open containers (``$variables`` look through them);
        ``slots`` holds, for each one, where it goes in its parent once it is complete (the
        key and its position in a map, the element's start in an array). A container is put
        into its parent only when it closes, so ``a = 1, a = {b = $a}`` sees ``a = 1``."""
        lex = self.lex
        scopes = self.scopes
        base = len(scopes)
        slots: list[tuple[str, Position] | int] = []
        container: ConfigDict | ConfigList = (
            ConfigDict() if token.kind == lx.MAP_START else ConfigList()
        )
        scopes.append(container)
        first = True  # nothing read yet in the innermost container
        while True:
            container = scopes[-1]
            child: Token | None = None
            if isinstance(container, ConfigDict):
                open_ = first or lex.map_value_end()
                key = lex.map_key() if open_ else None
                if key is not None:
                    if key.include:
                        self._include(container)
                    else:
                        lex.map_key_end(key)
                        value = lex.value()
                        if value.kind == lx.MAP_START or value.kind == lx.ARRAY_START:
                            child = value
                            slots.append((key.name, key.position))
                        else:
                            container.set(key.name, self._scalar(value), key.position)
                    first = False
                    if child is None:
                        continue
            else:
                open_ = (first or lex.array_value_end()) and lex.array_next()
                if open_:
                    start = lex.pos
                    value = lex.value(element=True)
                    if value.kind == lx.MAP_START or value.kind == lx.ARRAY_START:
                        child = value
                        slots.append(start)
                    else:
                        container.add(self._scalar(value), lex.position(start))
                    first = False
                    if child is None:
                        continue
            if child is not None:  # descend
                scopes.append(ConfigDict() if child.kind == lx.MAP_START else ConfigList())
                first = True
                continue
            # The innermost container is complete: back up to its parent.
            scopes.pop()
            if len(scopes) == base:
                return container
            parent = scopes[-1]
            slot = slots.pop()
            if isinstance(parent, ConfigDict):
                assert isinstance(slot, tuple)
                parent.set(slot[0], container, slot[1])
            else:
                assert isinstance(slot, int)
                parent.add(container, lex.position(slot))
            first = False

    # scalars -------------------------------------------------------------------------
    def _integer(self, token: Token) -> int:
        text = token.value
        digits = len(text) - len(text.lstrip("-0123456789"))
        number = int(text[:digits])
        if not INT64_MIN <= number <= INT64_MAX:
            raise self.lex.error(f"integer '{text}' is out of the range", token.start)
        try:
            return apply_size_suffix(number, text[digits:])
        except KeyError:
            raise self.lex.error(f"invalid size suffix in integer '{text}'", token.start) from None
        except OverflowError:
            raise self.lex.error(f"integer '{text}' is out of the range", token.start) from None

    def _datetime(self, token: Token) -> Any:
        from datetime import datetime, timezone

        try:
            parsed = datetime.strptime(token.value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise self.lex.error(
                f"invalid RFC3339 Zulu datetime '{token.value}'", token.start
            ) from None
        return parsed.replace(tzinfo=timezone.utc)

    # variables -----------------------------------------------------------------------
    def _variable(self, token: Token) -> Any:
        name = token.value
        if name.startswith(_BCRYPT_PREFIX):  # a bcrypt hash, "$2a$11$...", not a variable
            return "$" + name
        for scope in reversed(self.scopes):
            if isinstance(scope, ConfigDict) and name in scope:
                scope.used.add(name)
                return scope[name]
        position = self.lex.position(token.start)
        ctx = self.ctx
        if name in ctx.env_refs:
            raise ConfigError(f"variable reference cycle for '{name}'", position)
        text = ctx.env.get(name)
        if text is None:
            raise ConfigError(
                f"variable reference for '{name}' on line {position.line} can not be found",
                position,
            )
        ctx.env_refs.add(name)
        try:
            parsed = _Parser(f"{_ENV_KEY}={text}", f"${name}", self.base_dir, ctx).parse()
        except ConfigError as e:
            raise ConfigError(
                f"variable reference for '{name}' on line {position.line} could not be "
                f"parsed: {e.message}",
                position,
            ) from None
        finally:
            ctx.env_refs.discard(name)
        if _ENV_KEY not in parsed:
            raise ConfigError(
                f"variable reference for '{name}' on line {position.line} can not be found",
                position,
            )
        return parsed[_ENV_KEY]

    # include -------------------------------------------------------------------------
    def _include(self, target: ConfigDict) -> None:
        lex = self.lex
        path, start = lex.include_path()
        position = lex.position(start)
        # Like nats-server (Go's filepath.Join), the path is always taken relative.
        full = (
            os.path.normpath(os.path.join(self.base_dir, path.lstrip("/")))
            if self.base_dir
            else path
        )
        real = os.path.realpath(full)
        ctx = self.ctx
        if real in ctx.includes:
            raise ConfigError(f"include cycle: '{path}' is already being parsed", position)
        text = _read(full, position)
        ctx.includes.append(real)
        try:
            included = _Parser(text, full, os.path.dirname(full) or ".", ctx).parse()
        finally:
            ctx.includes.pop()
        for key, value in included.items():
            target.set(key, value, included.positions[key])
            if key in included.used:
                target.used.add(key)
