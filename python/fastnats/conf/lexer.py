"""Character-level scanning of nats-server's config format.

The :class:`Lexer` is driven by the parser, which says what it expects next (a top-level key,
a map key, a value, what may end a value in this context); the lexer answers with keys and
scalar tokens and raises :class:`ConfigError` at the offending character.

The rules follow nats-server's ``conf`` package as it behaves, including its less obvious
corners:

* Separators between a key and its value are ``=``, ``:`` or whitespace. At the top level a
  key may sit alone on its line with the value on the next (``port\\n4222``), but after an
  explicit separator the value must be on the same line. Inside a map both may span lines.
* A bare key ends at whitespace, ``=`` or ``:`` only: ``a{`` is a key named ``a{``.
* A bare (unquoted) value ends at whitespace, a new line, ``;``, ``,``, ``]`` or ``}``;
  ``#`` and ``//`` do not end it (``a#b`` is one string). ``true/false/yes/no/on/off`` (any
  case) are booleans; ``$NAME`` is a variable reference.
* A value starting with a digit is a number when it looks like one: ``4222``, ``1.5``,
  ``2006-01-02T15:04:05Z``, sizes ``1k``/``2MB``/``3GiB``; ``127.0.0.1`` and
  ``127.0.0.1:4222`` are strings; anything else that starts with a digit (``3secret``,
  ``10s``) is a bare string.
* ``"..."`` strings take the escapes ``\\t \\n \\r \\" \\\\ \\xHH``; ``'...'`` strings are raw.
  Bare strings take the same escapes as ``"..."``.
* ``( ... )`` is a raw block whose closing ``)`` stands alone on its own line; the value is
  everything between the parentheses.
* ``#`` and ``//`` start comments wherever a key or the end of a value is expected.
* A NUL character is what nats-server's lexer takes for the end of the text (Go's ``eof``
  rune is 0), but having read it, it goes on. So a NUL right after a top-level value ends
  that value like a new line (``a: 1\\0b: 2`` is two keys); after a top-level key (and the
  whitespace after it) it ends the text, so the key has no value; right after the opening
  quote of a top-level quoted key it ends the text, which is fine; it ends a bare value, a
  number or an include path, and a ``( ... )`` block's closing ``)`` may stand before it.
  Anywhere else (in a quoted string or key, a comment, a block, a map or an array, where a
  key should start) it is an error.
"""

from __future__ import annotations

from bisect import bisect_right

from .errors import ConfigError, Position, named_tuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    NamedTuple = object  # see fastnats.conf.errors.named_tuple

EOF = ""

# Token kinds.
STRING = "string"
BOOL = "bool"
INTEGER = "integer"
FLOAT = "float"
DATETIME = "datetime"
VARIABLE = "variable"
ARRAY_START = "array"
MAP_START = "map"

BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}

# Character classes are frozensets: ``"" in "abc"`` is True, ``"" in frozenset("abc")`` is not,
# and EOF is "".
_BLANK = frozenset(" \t")  # whitespace inside a line
_NEWLINE = frozenset("\n\r")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_SEPARATORS = frozenset("=:")
_SIZE_LETTERS = frozenset("kKmMgGtTpPeE")
_SIZE_TAIL = frozenset("bBiI")
_TOP_END = frozenset("\n\r;,}")
_MAP_NEXT = frozenset("\n\r;,/")
_ARRAY_NEXT = frozenset("\n\r,/")
NUL = "\0"  # nats-server reads it as the end of the text (see the module's docstring)
_INCLUDE_END = frozenset(" \t\n\r;}'\0")
# What ends a bare value.
_STRING_END = _BLANK | _NEWLINE | frozenset(";,]}\0")
# What ends an integer; any other character turns it into a bare string ("3secret").
# nats-server leaves "]" out even in arrays (so it rejects "[1,2]"); here "]" ends an integer
# that is an array element.
_INTEGER_END = _STRING_END - {"]"}
_ELEMENT_INTEGER_END = _STRING_END
_IP_CHARS = _DIGITS | frozenset(".:-")
_DATETIME_TAIL = "00-00T00:00:00Z"  # after "YYYY-"; "0" stands for any digit
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def _describe(ch: str) -> str:
    if ch == EOF:
        return "end of file"
    if ch == "\n":
        return "'\\n'"
    if ch == "\r":
        return "'\\r'"
    if ch == NUL:
        return "'\\0'"
    return f"'{ch}'"


@named_tuple
class Key(NamedTuple):
    name: str
    position: Position
    include: bool  # the ``include`` keyword (a bare key followed by whitespace)


@named_tuple
class Token(NamedTuple):
    kind: str
    value: str  # the text (escapes applied for strings; the name for variables)
    start: int  # offset in the text


class Lexer:
    """A cursor over one config text. Offsets are character indexes into ``text``."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.pos = 0
        # A text without NUL (nearly all) skips the look-ups for one.
        self._nul = NUL in text
        self._lines: list[int] | None = None
        # Open top-level "{" (a JSON document): a "}" at the top level closes one.
        self._braces = 0

    # positions and errors ------------------------------------------------------------
    def position(self, offset: int) -> Position:
        if self._lines is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._lines = starts
        line = bisect_right(self._lines, offset)
        return Position(self.file, line, offset - self._lines[line - 1] + 1)

    def error(self, message: str, offset: int | None = None) -> ConfigError:
        return ConfigError(message, self.position(self.pos if offset is None else offset))

    def _check_nul(self, start: int, end: int, what: str) -> None:
        """Raises at the first NUL in ``text[start:end]``, if any: "unexpected NUL character
        in ``what``"."""
        if self._nul:
            nul = self.text.find(NUL, start, end)
            if nul >= 0:
                raise self.error(f"unexpected NUL character in {what}", nul)

    def at(self, offset: int) -> str:
        return self.text[offset] if offset < len(self.text) else EOF

    # filler ------------------------------------------------------------------------
    def _comment_at(self, i: int) -> bool:
        ch = self.at(i)
        return ch == "#" or (ch == "/" and self.at(i + 1) == "/")

    def _skip_comment(self, i: int) -> int:
        text = self.text
        n = len(text)
        start = i
        while i < n and text[i] not in _NEWLINE:
            i += 1
        if self._nul:  # a NUL ends the comment in nats-server, and the next state rejects it
            self._check_nul(start, i, "comment")
        return i

    def skip_top_filler(self) -> bool:
        """Skips whitespace, comments and the braces of a JSON-style document between
        top-level entries. Returns False at the end of the text."""
        i = self.pos
        while True:
            ch = self.at(i)
            if ch == EOF:
                self.pos = i
                return False
            if ch.isspace():
                i += 1
            elif ch == "{":
                self._braces += 1
                i += 1
            elif ch == "}" and self._braces:
                i = self._close_braces(i)
            elif self._comment_at(i):
                i = self._skip_comment(i)
            elif ch == "/":
                raise self.error("unexpected '/' (comments start with '#' or '//')", i)
            elif ch == NUL:
                raise self.error("unexpected NUL character where a key should start", i)
            else:
                self.pos = i
                return True

    def _close_braces(self, i: int) -> int:
        """At a ``}`` closing a top-level ``{``: the ones still open must close right after
        (nats-server: ``{{a=1}`` is an error, ``{{a=1}}`` is fine)."""
        while True:
            self._braces -= 1
            i += 1
            if not self._braces:
                return i
            while self.at(i).isspace() or self._comment_at(i):
                i = self._skip_comment(i) if self._comment_at(i) else i + 1
            if self.at(i) != "}":
                raise self.error(
                    f"expected '}}' to close the top-level '{{', but got {_describe(self.at(i))}",
                    i,
                )

    # keys --------------------------------------------------------------------------
    def _quoted_key(self, quote: str, what: str) -> Key:
        start = self.pos
        end = self.text.find(quote, start + 1)
        self._check_nul(start + 1, len(self.text) if end < 0 else end, what)
        if end < 0:
            raise self.error(f"unexpected end of file in {what}", len(self.text))
        self.pos = end + 1
        return Key(self.text[start + 1 : end], self.position(start), False)

    def _bare_key(self, start: int, in_map: bool) -> Key:
        """A bare key whose first character (at ``start``) is taken whatever it is."""
        text = self.text
        n = len(text)
        i = start + 1
        while i < n:
            ch = text[i]
            if ch.isspace() or ch in _SEPARATORS:
                break
            i += 1
        if self._nul:
            nul = text.find(NUL, start + 1, i)
            if nul >= 0:
                if in_map:
                    raise self.error("unexpected NUL character in map key", nul)
                i = nul  # ends the key (and then the text: see top_key_end)
        if i >= n and in_map:
            raise self.error("unexpected end of file in map key", i)
        name = text[start:i]
        self.pos = i
        include = name.lower() == "include" and self.at(i).isspace()
        return Key(name, self.position(start), include)

    def top_key(self) -> Key | None:
        """A key at the top level (the cursor is on its first character); None for a lone
        quote that ends the text (nats-server ignores it), also when a NUL follows it."""
        ch = self.at(self.pos)
        if ch in _SEPARATORS:
            raise self.error(f"unexpected key separator '{ch}'")
        if ch in ('"', "'") and self.at(self.pos + 1) in (EOF, NUL):
            self.pos = len(self.text)
            return None
        if ch == '"':
            return self._quoted_key('"', "double quoted key")
        if ch == "'":
            return self._quoted_key("'", "quoted key")
        return self._bare_key(self.pos, in_map=False)

    def map_key(self) -> Key | None:
        """The next key of a map, or None when the map ends (its ``}`` is consumed)."""
        i = self.pos
        while True:
            ch = self.at(i)
            if ch == EOF:
                raise self.error("unexpected end of file in map (missing '}')", i)
            if ch.isspace():
                i += 1
            elif ch == "}":
                self.pos = i + 1
                return None
            elif self._comment_at(i):
                i = self._skip_comment(i)
            elif ch in _SEPARATORS:
                raise self.error(f"unexpected key separator '{ch}'", i)
            elif ch == "]":
                raise self.error("unexpected array end ']' in map", i)
            elif ch == NUL:
                raise self.error("unexpected NUL character in map", i)
            elif ch == '"':
                self.pos = i
                return self._quoted_key('"', "double quoted map key")
            elif ch == "'":
                self.pos = i
                return self._quoted_key("'", "quoted map key")
            elif ch == "/":  # a lone '/' is dropped, the next character starts the key
                if i + 1 >= len(self.text):
                    raise self.error("unexpected end of file in map key", i + 1)
                return self._bare_key(i + 1, in_map=True)
            else:
                return self._bare_key(i, in_map=True)

    def top_key_end(self) -> bool:
        """Consumes what separates a top-level key from its value (whitespace, new lines and
        one ``=``/``:``). Returns False when the text ends first (a NUL ends it here)."""
        i = self.pos
        text = self.text
        n = len(text)
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] == NUL:
            self.pos = n
            return False
        if text[i] in _SEPARATORS:
            i += 1
        self.pos = i
        return True

    def map_key_end(self, key: Key) -> None:
        """Consumes what separates a map key from its value (new lines allowed)."""
        i = self.pos
        text = self.text
        n = len(text)
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] in _SEPARATORS:
            i += 1
        while i < n and text[i].isspace():
            i += 1
        ch = self.at(i)
        if ch == ",":
            raise self.error("unexpected map value terminator ','", i)
        if ch == "}":
            raise self.error(f"map key '{key.name}' has no value", i)
        self.pos = i

    def include_path(self) -> tuple[str, int]:
        """The operand of ``include`` (quoted or bare) and its offset."""
        i = self.pos
        text = self.text
        while self.at(i) in _BLANK:
            i += 1
        ch = self.at(i)
        if ch in ('"', "'"):
            end = text.find(ch, i + 1)
            kind = "double quoted include" if ch == '"' else "quoted include"
            self._check_nul(i + 1, len(text) if end < 0 else end, kind)
            if end < 0:
                raise self.error(f"unexpected end of file in {kind}", len(text))
            self.pos = end + 1
            return text[i + 1 : end], i
        problems = {
            "[": "start of an array",
            "{": "start of a map",
            "(": "start of a block",
            "\\": "escape sequence",
            "-": "start of a number",
        }
        if ch in problems or ch in _DIGITS:
            raise self.error(f"expected include path but found {problems.get(ch, 'a number')}", i)
        if ch in _NEWLINE:
            raise self.error("expected include path but found new line", i)
        start = i
        n = len(text)
        while i < n and text[i] not in _INCLUDE_END:
            i += 1
        self.pos = i + 1 if self.at(i) == "'" else i
        return text[start:i], start

    # value ends --------------------------------------------------------------------
    def top_value_end(self) -> None:
        """After a top-level value: blanks, then a comment, new line, ``;``, ``,``, ``}`` or
        the end of the text. Inside a JSON-style document's braces the end of the text is
        not allowed here and a comment does not end the value (as in nats-server)."""
        i = self.pos
        while True:
            ch = self.at(i)
            if ch == EOF:
                if self._braces:
                    raise self.error(
                        "expected a new line, ',', ';' or '}' after the value "
                        "(a top-level '{' is not closed), but got end of file",
                        i,
                    )
                break
            if self._comment_at(i):
                i = self._skip_comment(i)
                if self._braces:
                    continue
                break
            if ch in _BLANK or ch == "/":  # nats-server skips a lone '/' here
                i += 1
            elif ch == "}" and self._braces:
                i = self._close_braces(i)
                break
            elif ch in _TOP_END:
                i += 1
                break
            elif ch == NUL:  # ends the value, as a new line would (not inside top-level braces)
                if self._braces:
                    raise self.error(
                        "expected a new line, ',', ';' or '}' after the value "
                        "(a top-level '{' is not closed), but got '\\0'",
                        i,
                    )
                i += 1
                break
            else:
                raise self.error(
                    "expected a top-level value to end with a new line, comment or EOF, "
                    f"but got {_describe(ch)} instead",
                    i,
                )
        self.pos = i

    def map_value_end(self) -> bool:
        """After a map value: True when another key may follow, False at the map's ``}``."""
        i = self.pos
        while True:
            ch = self.at(i)
            if ch in _BLANK:
                i += 1
            elif self._comment_at(i):
                i = self._skip_comment(i)
            elif ch in _MAP_NEXT:
                self.pos = i + 1
                return True
            elif ch == "}":
                self.pos = i + 1
                return False
            else:
                raise self.error(
                    "expected a map value terminator ',' or a map terminator '}', "
                    f"but got {_describe(ch)} instead",
                    i,
                )

    def array_next(self) -> bool:
        """Before an array element: True when a value follows, False at the ``]``."""
        i = self.pos
        while True:
            ch = self.at(i)
            if ch.isspace():
                i += 1
            elif self._comment_at(i):
                i = self._skip_comment(i)
            elif ch == "]":
                self.pos = i + 1
                return False
            elif ch in (",", "/"):
                raise self.error(f"unexpected '{ch}' in array (missing value)", i)
            else:
                self.pos = i
                return True

    def array_value_end(self) -> bool:
        """After an array element: True when another may follow, False at the ``]``."""
        i = self.pos
        while True:
            ch = self.at(i)
            if ch in _BLANK:
                i += 1
            elif self._comment_at(i):
                i = self._skip_comment(i)
            elif ch in _ARRAY_NEXT:
                self.pos = i + 1
                return True
            elif ch == "]":
                self.pos = i + 1
                return False
            else:
                raise self.error(
                    "expected an array value terminator ',' or an array terminator ']', "
                    f"but got {_describe(ch)} instead",
                    i,
                )

    # values ------------------------------------------------------------------------
    def value(self, element: bool = False) -> Token:
        """The value at the cursor (after blanks; a new line here is an error). For ``[`` and
        ``{`` only the opening bracket is consumed. ``element``: an array element."""
        text = self.text
        i = self.pos
        n = len(text)
        while i < n and text[i] in _BLANK:
            i += 1
        self.pos = i
        ch = self.at(i)
        if ch == "[":
            self.pos = i + 1
            return Token(ARRAY_START, "[", i)
        if ch == "{":
            self.pos = i + 1
            return Token(MAP_START, "{", i)
        if ch == '"':
            return self._double_quoted(i)
        if ch == "'":
            end = text.find("'", i + 1)
            self._check_nul(i + 1, n if end < 0 else end, "quoted string")
            if end < 0:
                raise self.error("unexpected end of file in quoted string", n)
            self.pos = end + 1
            return Token(STRING, text[i + 1 : end], i)
        if ch == "(":
            return self._block(i)
        if ch == "-":
            return self._negative_number(i)
        if ch in _DIGITS:
            return self._number(i, _ELEMENT_INTEGER_END if element else _INTEGER_END)
        if ch == ".":
            raise self.error("floats must start with a digit", i)
        if ch in _NEWLINE:
            raise self.error("expected value but found new line", i)
        return self._bare(i, i)

    def _escape(self, i: int) -> tuple[str | bytes, int]:
        """Decodes the escape whose backslash is at ``i``; returns it and the next offset."""
        ch = self.at(i + 1)
        if ch == "x":
            digits = self.text[i + 2 : i + 4]
            if any(d in _NEWLINE for d in digits):
                raise self.error(
                    "expected two hexadecimal digits after '\\x', but hit end of line", i
                )
            if len(digits) != 2 or any(d not in _HEX for d in digits):
                shown = digits.replace(NUL, "\\0")
                raise self.error(
                    f"expected two hexadecimal digits after '\\x', but got '{shown}'", i
                )
            return bytes.fromhex(digits), i + 4
        if ch in _ESCAPES:
            return _ESCAPES[ch], i + 2
        raise self.error(
            f'invalid escape character {_describe(ch)}; only \\xXX, \\t, \\n, \\r, \\" and \\\\ '
            "are allowed",
            i,
        )

    @staticmethod
    def _join(parts: list[str | bytes]) -> str:
        if all(isinstance(p, str) for p in parts):
            return "".join(p for p in parts if isinstance(p, str))
        raw = b"".join(
            p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass") for p in parts
        )
        return raw.decode("utf-8", "replace")

    def _double_quoted(self, start: int) -> Token:
        text = self.text
        n = len(text)
        find = text.find
        parts: list[str | bytes] = []
        i = start + 1
        quote = find('"', i)
        while True:
            stop = n if quote < 0 else quote
            backslash = find("\\", i, stop)
            if self._nul:
                self._check_nul(i, stop if backslash < 0 else backslash, "quoted string")
            if backslash >= 0:
                parts.append(text[i:backslash])
                part, i = self._escape(backslash)
                parts.append(part)
                if 0 <= quote < i:  # the escape was \"
                    quote = find('"', i)
                continue
            if quote < 0:
                raise self.error("unexpected end of file in quoted string", n)
            parts.append(text[i:quote])
            self.pos = quote + 1
            return Token(STRING, self._join(parts), start)

    def _bare(self, start: int, i: int) -> Token:
        """A bare value starting at ``start``; scanning resumes at ``i``."""
        text = self.text
        n = len(text)
        parts: list[str | bytes] = []
        seg = start
        escaped = False
        while True:
            ch = text[i] if i < n else EOF
            if ch == EOF or ch in _STRING_END:
                self.pos = i
                if escaped:
                    parts.append(text[seg:i])
                    return Token(STRING, self._join(parts), start)
                raw = text[start:i]
                if raw.lower() in BOOLEANS:
                    return Token(BOOL, raw, start)
                if raw.startswith("$"):
                    return Token(VARIABLE, raw[1:], start)
                return Token(STRING, raw, start)
            if ch == "'":  # ends the value and is dropped (nats-server does the same)
                parts.append(text[seg:i])
                self.pos = i + 1
                return Token(STRING, self._join(parts), start)
            if ch == "\\":
                parts.append(text[seg:i])
                part, i = self._escape(i)
                parts.append(part)
                seg = i
                escaped = True
            else:
                i += 1

    def _block(self, start: int) -> Token:
        """``( ... )``: raw text up to a ``)`` that stands alone on its line."""
        text = self.text
        i = start + 1
        while True:
            end = text.find(")", i)
            if end < 0:
                self._check_nul(start + 1, len(text), "block")
                raise self.error(
                    "unexpected end of file in block (the closing ')' must be alone on its line)",
                    len(text),
                )
            after = self.at(end + 1)
            # (nats-server takes a NUL after the ")" for the end of the text)
            if text[end - 1] == "\n" and (after == EOF or after in _NEWLINE or after == NUL):
                self._check_nul(start + 1, end, "block")
                self.pos = end + 1
                return Token(STRING, text[start + 1 : end], start)
            i = end + 1

    def _digits(self, i: int) -> int:
        text = self.text
        n = len(text)
        while i < n and text[i] in _DIGITS:
            i += 1
        return i

    def _number(self, start: int, ends: frozenset[str]) -> Token:
        """A value whose first character is a digit."""
        i = self._digits(start)
        ch = self.at(i)
        if ch == "-":
            if i - start != 4:
                raise self.error(
                    "all ISO8601 dates must be in full Zulu form (2006-01-02T15:04:05Z)", i
                )
            return self._datetime(start, i + 1)
        if ch == ".":
            return self._float(start, i)
        if ch in _SIZE_LETTERS:
            return self._sized(start, i)
        if ch == EOF or ch in ends:
            self.pos = i
            return Token(INTEGER, self.text[start:i], start)
        # Not a number after all ("3secret", "10s"): a bare string. Like nats-server, the
        # character that gave it away is taken literally.
        return self._bare(start, i + 1)

    def _negative_number(self, start: int) -> Token:
        i = start + 1
        ch = self.at(i)
        if ch not in _DIGITS:
            if ch == ".":
                raise self.error("floats must start with a digit, not '.'", i)
            raise self.error(f"expected a digit after '-' but got {_describe(ch)}", i)
        i = self._digits(i)
        ch = self.at(i)
        if ch == ".":
            return self._float(start, i)
        if ch in _SIZE_LETTERS:
            return self._sized(start, i)
        self.pos = i
        return Token(INTEGER, self.text[start:i], start)

    def _sized(self, start: int, i: int) -> Token:
        """Digits followed by a size letter at ``i`` (``1k``, ``2MB``, ``3GiB``)."""
        i += 1
        while self.at(i) in _SIZE_TAIL:
            i += 1
        ch = self.at(i)
        if ch == EOF or ch in _STRING_END:
            self.pos = i
            return Token(INTEGER, self.text[start:i], start)
        return self._bare(start, i)

    def _float(self, start: int, dot: int) -> Token:
        i = dot + 1
        ch = self.at(i)
        if ch not in _DIGITS:
            raise self.error(f"floats must have a digit after the '.', but got {_describe(ch)}", i)
        i = self._digits(i)
        if self.at(i) == ".":  # an IP address, maybe with a port: a string
            text = self.text
            n = len(text)
            while i < n and text[i] in _IP_CHARS:
                i += 1
            self.pos = i
            return Token(STRING, text[start:i], start)
        self.pos = i
        return Token(FLOAT, self.text[start:i], start)

    def _datetime(self, start: int, i: int) -> Token:
        for expected in _DATETIME_TAIL:
            ch = self.at(i)
            if expected == "0":
                if ch not in _DIGITS:
                    raise self.error(
                        f"expected digit in ISO8601 datetime, but found {_describe(ch)}", i
                    )
            elif ch != expected:
                raise self.error(
                    f"expected '{expected}' in ISO8601 datetime, but found {_describe(ch)}", i
                )
            i += 1
        self.pos = i
        return Token(DATETIME, self.text[start:i], start)
