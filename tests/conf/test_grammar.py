"""The config grammar: text -> values, and bad text -> one-line ``file:line:col`` errors.

Each accepted case here is also accepted by nats-server with the same value types (see
test_reference.py, which runs the reference binary on a subset).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from fastnats.conf import ConfigDict, ConfigError, ConfigList, Position, loads, positions

KiB, MiB, GiB, TiB, PiB, EiB = (1024**p for p in range(1, 7))

GRAMMAR: list[tuple[str, dict[str, Any]]] = [
    # key/value separators
    ("a = 1", {"a": 1}),
    ("a: 1", {"a": 1}),
    ("a 1", {"a": 1}),
    ("a=1", {"a": 1}),
    ("a:1", {"a": 1}),
    ("a\t1", {"a": 1}),
    ("a  :  1", {"a": 1}),
    ("a\n1", {"a": 1}),  # a key alone on its line takes the value on the next
    # terminators
    ("a: 1; b: 2", {"a": 1, "b": 2}),
    ("a: 1, b: 2", {"a": 1, "b": 2}),
    ("a: 1;\nb: 2;\n", {"a": 1, "b": 2}),
    ("a: 1\r\nb: 2\r\n", {"a": 1, "b": 2}),
    ("\n\n  a: 1\n\n\n  b: 2\n\n", {"a": 1, "b": 2}),
    # comments
    ("# c\na: 1 # c\n// c\nb: 2 // c", {"a": 1, "b": 2}),
    ("a: 1#touching", {"a": "1#touching"}),  # "#" does not end a bare value...
    ("a: x#y", {"a": "x#y"}),
    ("a: x//y", {"a": "x//y"}),
    ("a: 1 #c", {"a": 1}),  # ...but after whitespace it starts a comment
    ("a: 1 /", {"a": 1}),
    ("a: 'x' # c\nb: \"y\" // c", {"a": "x", "b": "y"}),
    # maps
    ("m { a: 1 }", {"m": {"a": 1}}),
    ("m: {a: 1, b: 2}", {"m": {"a": 1, "b": 2}}),
    ("m = {\n  a = 1\n  b = 2\n}", {"m": {"a": 1, "b": 2}}),
    ("m {a 1; b 2}", {"m": {"a": 1, "b": 2}}),
    ("m {\n  a:\n    1\n}", {"m": {"a": 1}}),  # inside a map the value may be on the next line
    ("m {a: 1,}", {"m": {"a": 1}}),
    ("m {}", {"m": {}}),
    ("m {\n}", {"m": {}}),
    ("m { # comment\n  a: 1 // comment\n  # comment\n}", {"m": {"a": 1}}),
    ("m { \"a b\": 1, 'c d' = 2 }", {"m": {"a b": 1, "c d": 2}}),
    ("m { n { o { p: deep } } }", {"m": {"n": {"o": {"p": "deep"}}}}),
    ("m { a: 1 }\nm { b: 2 }", {"m": {"b": 2}}),  # a later key replaces an earlier one
    # arrays
    ("a: [1, 2, 3 ]", {"a": [1, 2, 3]}),
    ("a: [1, 2, 3]", {"a": [1, 2, 3]}),  # nats-server rejects this one (see test_reference)
    ("a: [\n  1\n  2\n  3\n]", {"a": [1, 2, 3]}),
    ("a: [\n  1, # one\n  2 // two\n]", {"a": [1, 2]}),
    ("a: [x, y, z]", {"a": ["x", "y", "z"]}),
    ("a: []", {"a": []}),
    ("a: [ ]", {"a": []}),
    ("a: [1k, ]", {"a": [1000]}),
    ("a: [[1 ], [x, y]]", {"a": [[1], ["x", "y"]]}),
    (
        "users: [\n  {user: a, password: b}\n  {user: c, password: d}\n]",
        {"users": [{"user": "a", "password": "b"}, {"user": "c", "password": "d"}]},
    ),
    ("a: [1.5, -2, true, \"s\", 's', 2006-01-02T15:04:05Z ]", None),  # checked below
    # JSON
    (
        '{"port": 4222, "debug": true, "m": {"l": ["x", "y"], "n": 1.5}}',
        {"port": 4222, "debug": True, "m": {"l": ["x", "y"], "n": 1.5}},
    ),
    (
        '{\n  "port": 4222,\n  "m": {\n    "a": "b"\n  }\n}\n',
        {"port": 4222, "m": {"a": "b"}},
    ),
    ("{port: 1}\n{debug: true}", {"port": 1, "debug": True}),
    ("a: 1\n}", {"a": 1}),  # a stray closing brace at the very end is ignored
    # strings
    ('a: "x y"', {"a": "x y"}),
    ('a: "tab\\there"', {"a": "tab\there"}),
    ('a: "\\n\\r\\t\\"\\\\"', {"a": '\n\r\t"\\'}),
    ('a: "\\x41\\x42"', {"a": "AB"}),
    ('a: "\\xe2\\x82\\xac"', {"a": "\u20ac"}),
    ('a: "multi\nline"', {"a": "multi\nline"}),
    ("a: 'raw \\t \\x41'", {"a": "raw \\t \\x41"}),
    ("a: 'say \"hi\"'", {"a": 'say "hi"'}),
    ('a: "it\'s"', {"a": "it's"}),
    ("a: bare", {"a": "bare"}),
    ("a: bare\\tescape", {"a": "bare\tescape"}),
    ("a: h\u00e9llo w\u00f6rld", None),  # two words: error, checked in ERRORS
    ("a: h\u00e9llo", {"a": "h\u00e9llo"}),
    ("a: nats://user:pass@host:4222", {"a": "nats://user:pass@host:4222"}),
    ("a: /var/run/nats.pid", {"a": "/var/run/nats.pid"}),
    ("a: a=b", {"a": "a=b"}),
    ("a: a:b", {"a": "a:b"}),
    ("a:", {"a": ""}),
    ("a: ''", {"a": ""}),
    ('a: ""', {"a": ""}),
    ("a: x'", {"a": "x"}),  # a quote ends a bare value and is dropped (as in nats-server)
    # values containing ':'
    ("listen: 127.0.0.1:4222", {"listen": "127.0.0.1:4222"}),
    ("listen: :4222", {"listen": ":4222"}),
    ("listen: localhost:4222", {"listen": "localhost:4222"}),
    ('listen: "[::1]:4222"', {"listen": "[::1]:4222"}),
    ("listen 0.0.0.0:4222", {"listen": "0.0.0.0:4222"}),
    ("listen :4222", {"listen": 4222}),  # the ':' is the key separator here
    # block strings
    ("a: (\nline one\n  line two)\n)\n", {"a": "\nline one\n  line two)\n"}),
    ("a (\nx\n)", {"a": "\nx\n"}),
    ("a: (\n(nested) text\n)\nb: 1", {"a": "\n(nested) text\n", "b": 1}),
    ("m { a: (\nx\n)\n}", {"m": {"a": "\nx\n"}}),
    # numbers
    ("a: 4222", {"a": 4222}),
    ("a: 0", {"a": 0}),
    ("a: -1", {"a": -1}),
    ("a: 00012", {"a": 12}),
    ("a: 1.5", {"a": 1.5}),
    ("a: -1.5", {"a": -1.5}),
    ("a: 0.25", {"a": 0.25}),
    ("a: 9223372036854775807", {"a": 2**63 - 1}),
    ("a: -9223372036854775808", {"a": -(2**63)}),
    # numbers that are strings
    ("a: 3secret", {"a": "3secret"}),
    ("a: 10s", {"a": "10s"}),
    ("a: 500ms", {"a": "500ms"}),
    ("a: 1h30m", {"a": "1h30m"}),
    ("a: 4222#c", {"a": "4222#c"}),
    ("a: 1e3", {"a": "1e3"}),
    ("a: 0x10", {"a": "0x10"}),
    ("a: 1_000", {"a": "1_000"}),
    ("a: 127.0.0.1", {"a": "127.0.0.1"}),
    ("a: 1.2.3", {"a": "1.2.3"}),
    ("a: 10.0.0.1-10.0.0.9", {"a": "10.0.0.1-10.0.0.9"}),
    ('a: "3secret"', {"a": "3secret"}),
    ('a: "4222"', {"a": "4222"}),
    # a size suffix wins over a duration reading: 2m is two million
    ("a: 2m", {"a": 2_000_000}),
    # booleans
    *[(f"a: {word}", {"a": True}) for word in ("true", "TRUE", "True", "yes", "YES", "on", "On")],
    *[(f"a: {word}", {"a": False}) for word in ("false", "FALSE", "no", "No", "off", "OFF")],
    ('a: "true"', {"a": "true"}),
    ("a: 'yes'", {"a": "yes"}),
    ("a: yesno", {"a": "yesno"}),
    # datetimes
    ("a: 2006-01-02T15:04:05Z", {"a": datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone.utc)}),
    # keys
    ('"a b": 1', {"a b": 1}),
    ("'a b' = 1", {"a b": 1}),
    ("Port: 1", {"Port": 1}),  # case is kept (options compare keys case-insensitively)
    ("a.b-c_d/e: 1", {"a.b-c_d/e": 1}),
    ("a{: 1", {"a{": 1}),  # a bare key ends only at whitespace, '=' or ':'
    ("include: x", {"include": "x"}),  # with a separator, "include" is an ordinary key
    ('"include" x', {"include": "x"}),
    ("a: 1\na: 2", {"a": 2}),
    # A NUL: nats-server's lexer reads it as the end of the text but goes on after it. Right
    # after a top-level value it ends the value as a new line would.
    ("a: 1\0b: 2", {"a": 1, "b": 2}),
    ("a: 1 \0b: 2", {"a": 1, "b": 2}),
    ("a: 1 / \0b 2", {"a": 1, "b": 2}),
    ("a: x\0", {"a": "x"}),
    ("a: x\0\n", {"a": "x"}),
    ("a: x\0b c", {"a": "x", "b": "c"}),
    ('a: "x"\0b: 2', {"a": "x", "b": 2}),
    ("a: 'x'\0", {"a": "x"}),
    ("a: true\0", {"a": True}),
    ("a: 1.5\0", {"a": 1.5}),
    ("a: 1k\0", {"a": 1000}),
    ("a: -1\0", {"a": -1}),
    ("a: 127.0.0.1\0", {"a": "127.0.0.1"}),
    ("a: 2006-01-02T15:04:05Z\0", {"a": datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone.utc)}),
    ("a: [1 ]\0b: 2", {"a": [1], "b": 2}),
    ("a: {b: 1}\0", {"a": {"b": 1}}),
    ("a: (\nx\n)\0b: 2", {"a": "\nx\n", "b": 2}),  # the block's ')' may stand before it
    ("a:\0b: 1", {"a": "", "b": 1}),  # an empty bare value
    ("a: \0", {"a": ""}),
    ("a: 1\0 }", {"a": 1}),  # a stray '}' at the end, as without the NUL
    # right after the quote of a top-level quoted key it ends the text (the rest is ignored)
    ('"\0 [[[', {}),
    ("a: 1\n'\0 [[[", {"a": 1}),
    ('{"\0', {}),
    # a lone '/' where a map key starts takes the next character, a NUL too, into the key
    ("m { /\0b = 1 }", {"m": {"\0b": 1}}),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c for c in GRAMMAR if c[1] is not None], ids=lambda v: repr(v)
)
def test_grammar(text: str, expected: dict[str, Any]) -> None:
    assert loads(text) == expected


def test_value_types() -> None:
    got = loads("a: [1.5, -2, true, \"s\", 's', 2006-01-02T15:04:05Z ]")["a"]
    assert got == [1.5, -2, True, "s", "s", datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone.utc)]
    assert [type(v) for v in got] == [float, int, bool, str, str, datetime]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1k", 1000),
        ("1K", 1000),
        ("1kb", KiB),
        ("1KB", KiB),
        ("1ki", KiB),
        ("1kib", KiB),
        ("1KiB", KiB),
        ("2m", 2 * 10**6),
        ("2M", 2 * 10**6),
        ("2mb", 2 * MiB),
        ("2MB", 2 * MiB),
        ("2mi", 2 * MiB),
        ("2mib", 2 * MiB),
        ("3g", 3 * 10**9),
        ("3gb", 3 * GiB),
        ("3Gi", 3 * GiB),
        ("3GiB", 3 * GiB),
        ("4t", 4 * 10**12),
        ("4tb", 4 * TiB),
        ("4ti", 4 * TiB),
        ("5p", 5 * 10**15),
        ("5pb", 5 * PiB),
        ("5PiB", 5 * PiB),
        ("6e", 6 * 10**18),
        ("7eb", 7 * EiB),
        ("-1k", -1000),
        ("-2MB", -2 * MiB),
        ("0kb", 0),
    ],
)
def test_size_suffixes(text: str, value: int) -> None:
    assert loads(f"a: {text}") == {"a": value}
    assert loads(f"a: [{text}]") == {"a": [value]}
    assert loads(f"m {{a: {text}}}") == {"m": {"a": value}}


def test_containers_are_dicts_and_lists() -> None:
    cfg = loads("m { l: [ {a: 1} ] }")
    assert isinstance(cfg, ConfigDict) and isinstance(cfg, dict)
    assert isinstance(cfg["m"], ConfigDict)
    assert isinstance(cfg["m"]["l"], ConfigList) and isinstance(cfg["m"]["l"], list)


def test_positions() -> None:
    text = "# header\nport: 4222\n  m {\n    a: 1\n    'q k' = 2\n  }\nl: [\n  x\n  {y: 1}\n]\n"
    cfg = loads(text, "f.conf")
    assert positions(cfg) == {
        "port": Position("f.conf", 2, 1),
        "m": Position("f.conf", 3, 3),
        "l": Position("f.conf", 7, 1),
    }
    assert positions(cfg["m"]) == {
        "a": Position("f.conf", 4, 5),
        "q k": Position("f.conf", 5, 5),
    }
    assert cfg["l"].positions == [Position("f.conf", 8, 3), Position("f.conf", 9, 3)]
    assert positions(cfg["l"][1]) == {"y": Position("f.conf", 9, 4)}
    assert str(Position("f.conf", 2, 1)) == "f.conf:2:1"
    assert positions({"plain": "dict"}) == {}


def test_columns_count_characters() -> None:
    cfg = loads("m { \u00e9: 1, b: 2 }")
    assert positions(cfg["m"])["b"].column == 11


ERRORS: list[tuple[str, str]] = [
    ("a", "<string>:1:1: key 'a' has no value"),
    ("a: 1\nb", "<string>:2:1: key 'b' has no value"),
    ('"a"', "<string>:1:1: key 'a' has no value"),
    (
        "a: 1\nb c d",
        "<string>:2:5: expected a top-level value to end with a new line, comment "
        "or EOF, but got 'd' instead",
    ),
    (
        "a: h\u00e9llo w\u00f6rld",
        "<string>:1:10: expected a top-level value to end with a new "
        "line, comment or EOF, but got 'w' instead",
    ),
    (
        "a: 1.5x",
        "<string>:1:7: expected a top-level value to end with a new line, comment or "
        "EOF, but got 'x' instead",
    ),
    (
        'a: "x"y',
        "<string>:1:7: expected a top-level value to end with a new line, comment or "
        "EOF, but got 'y' instead",
    ),
    ("a:\n1", "<string>:1:3: expected value but found new line"),
    ("a =\nb = 1", "<string>:1:4: expected value but found new line"),
    (": 1", "<string>:1:1: unexpected key separator ':'"),
    ("= 1", "<string>:1:1: unexpected key separator '='"),
    ("/x", "<string>:1:1: unexpected '/' (comments start with '#' or '//')"),
    # maps
    (
        "m: {a: 1",
        "<string>:1:9: expected a map value terminator ',' or a map terminator '}', "
        "but got end of file instead",
    ),
    (
        "m: {a: 1 b: 2}",
        "<string>:1:10: expected a map value terminator ',' or a map terminator "
        "'}', but got 'b' instead",
    ),
    ("m: {", "<string>:1:5: unexpected end of file in map (missing '}')"),
    ("m: {a}", "<string>:1:7: unexpected end of file in map key"),
    ("m: {a:}", "<string>:1:7: map key 'a' has no value"),
    ("m: {a\n}", "<string>:2:1: map key 'a' has no value"),
    ("m: {a:1, , b:2}", None),  # ok in nats-server too: key ", b"
    ("m: {,a:1}", None),
    ("m: {a:,}", "<string>:1:7: unexpected map value terminator ','"),
    ("m: {=1}", "<string>:1:5: unexpected key separator '='"),
    ("m: {]}", "<string>:1:5: unexpected array end ']' in map"),
    ('m: {"a', "<string>:1:7: unexpected end of file in double quoted map key"),
    ("m: {'a", "<string>:1:7: unexpected end of file in quoted map key"),
    # arrays
    (
        "a: [1, 2",
        "<string>:1:9: expected an array value terminator ',' or an array terminator "
        "']', but got end of file instead",
    ),
    (
        "a: [1 2]",
        "<string>:1:7: expected an array value terminator ',' or an array terminator "
        "']', but got '2' instead",
    ),
    ("a: [1,,2]", "<string>:1:7: unexpected ',' in array (missing value)"),
    ("a: [,1]", "<string>:1:5: unexpected ',' in array (missing value)"),
    ("a: [\n1\n, 2]", "<string>:3:1: unexpected ',' in array (missing value)"),
    # strings
    ('a: "abc', "<string>:1:8: unexpected end of file in quoted string"),
    ("a: 'abc", "<string>:1:8: unexpected end of file in quoted string"),
    ('"abc', "<string>:1:5: unexpected end of file in double quoted key"),
    (
        'a: "\\q"',
        "<string>:1:5: invalid escape character 'q'; only \\xXX, \\t, \\n, \\r, \\\" "
        "and \\\\ are allowed",
    ),
    (
        "a: b\\q",
        "<string>:1:5: invalid escape character 'q'; only \\xXX, \\t, \\n, \\r, \\\" and "
        "\\\\ are allowed",
    ),
    ('a: "\\x4g"', "<string>:1:5: expected two hexadecimal digits after '\\x', but got '4g'"),
    (
        'a: "\\x4\n"',
        "<string>:1:5: expected two hexadecimal digits after '\\x', but hit end of line",
    ),
    (
        "a: (\nabc\n",
        "<string>:3:1: unexpected end of file in block (the closing ')' must be alone on its line)",
    ),
    (
        "a: (abc)",
        "<string>:1:9: unexpected end of file in block (the closing ')' must be alone on its line)",
    ),
    (
        "a: (\nabc\n) \n",
        "<string>:4:1: unexpected end of file in block (the closing ')' must be alone on its line)",
    ),
    # numbers
    ("a: 1.x", "<string>:1:6: floats must have a digit after the '.', but got 'x'"),
    ("a: 1.", "<string>:1:6: floats must have a digit after the '.', but got end of file"),
    ("a: .5", "<string>:1:4: floats must start with a digit"),
    ("a: -.5", "<string>:1:5: floats must start with a digit, not '.'"),
    ("a: -x", "<string>:1:5: expected a digit after '-' but got 'x'"),
    ("a: -", "<string>:1:5: expected a digit after '-' but got end of file"),
    ("a: 99999999999999999999", "<string>:1:4: integer '99999999999999999999' is out of the range"),
    ("a: 8eb", "<string>:1:4: integer '8eb' is out of the range"),
    ("a: 9223372036854775808", "<string>:1:4: integer '9223372036854775808' is out of the range"),
    ("a: 1kbb", "<string>:1:4: invalid size suffix in integer '1kbb'"),
    ("a: 1mbi", "<string>:1:4: invalid size suffix in integer '1mbi'"),
    # datetimes
    ("a: 2006-01-02", "<string>:1:14: expected 'T' in ISO8601 datetime, but found end of file"),
    (
        "a: 20-01-02",
        "<string>:1:6: all ISO8601 dates must be in full Zulu form (2006-01-02T15:04:05Z)",
    ),
    (
        "a: 2006-01-02T15:04:05+01:00",
        "<string>:1:23: expected 'Z' in ISO8601 datetime, but found '+'",
    ),
    ("a: 2006-0x-02T15:04:05Z", "<string>:1:10: expected digit in ISO8601 datetime, but found 'x'"),
    (
        "a: 2006-13-02T15:04:05Z",
        "<string>:1:4: invalid RFC3339 Zulu datetime '2006-13-02T15:04:05Z'",
    ),
    # JSON-style braces
    ("{{a=1}", "<string>:1:7: expected '}' to close the top-level '{', but got end of file"),
    (
        "{a=1",
        "<string>:1:5: expected a new line, ',', ';' or '}' after the value (a top-level "
        "'{' is not closed), but got end of file",
    ),
    # include syntax
    ("include\n./x.conf", "<string>:1:8: expected include path but found new line"),
    ("include [x]", "<string>:1:9: expected include path but found start of an array"),
    ("include 5", "<string>:1:9: expected include path but found a number"),
    ('include "x', "<string>:1:11: unexpected end of file in double quoted include"),
    # A NUL (nats-server: "Unexpected EOF." and friends) anywhere but right after a top-level
    # value, a top-level key or a top-level quote.
    ('a: "x\0y"', "<string>:1:6: unexpected NUL character in quoted string"),
    ("a: 'x\0y'", "<string>:1:6: unexpected NUL character in quoted string"),
    ('a: "x\\ty\0"', "<string>:1:9: unexpected NUL character in quoted string"),
    ('"a\0b": 1', "<string>:1:3: unexpected NUL character in double quoted key"),
    ("'a\0b' 1", "<string>:1:3: unexpected NUL character in quoted key"),
    ("# com\0ment\na: 1", "<string>:1:6: unexpected NUL character in comment"),
    ("a: 1 # x\0", "<string>:1:9: unexpected NUL character in comment"),
    ("a: 1 // x\0\nb: 2", "<string>:1:10: unexpected NUL character in comment"),
    ("a: 1\n\0", "<string>:2:1: unexpected NUL character where a key should start"),
    ("a: 1\0\0", "<string>:1:6: unexpected NUL character where a key should start"),
    ("\0a: 1", "<string>:1:1: unexpected NUL character where a key should start"),
    ("a: (\nx\0\n)", "<string>:2:2: unexpected NUL character in block"),
    ("a: (\nx\0", "<string>:2:2: unexpected NUL character in block"),
    ("a: b\0c", "<string>:1:6: key 'c' has no value"),  # nats-server 2.9 accepts these
    ("a \0", "<string>:1:1: key 'a' has no value"),
    ("a\0 b: 1", "<string>:1:1: key 'a' has no value"),
    ('"a" \0', "<string>:1:1: key 'a' has no value"),
    ("include\0", "<string>:1:1: key 'include' has no value"),
    (
        "a {\n b: 1\0\n}",
        "<string>:2:6: expected a map value terminator ',' or a map terminator '}', "
        "but got '\\0' instead",
    ),
    (
        "m { a: \0 }",
        "<string>:1:8: expected a map value terminator ',' or a map terminator '}', "
        "but got '\\0' instead",
    ),
    (
        "m { a \0}",
        "<string>:1:7: expected a map value terminator ',' or a map terminator '}', "
        "but got '\\0' instead",
    ),
    ("m { a\0 }", "<string>:1:6: unexpected NUL character in map key"),
    ("m { 'a\0' }", "<string>:1:7: unexpected NUL character in quoted map key"),
    ('m { "\0" }', "<string>:1:6: unexpected NUL character in double quoted map key"),
    ("m { \0 }", "<string>:1:5: unexpected NUL character in map"),
    ("m { # c\0\n}", "<string>:1:8: unexpected NUL character in comment"),
    (
        "a [1, \0 2]",
        "<string>:1:7: expected an array value terminator ',' or an array terminator ']', "
        "but got '\\0' instead",
    ),
    (
        "a [1\0 ]",
        "<string>:1:5: expected an array value terminator ',' or an array terminator ']', "
        "but got '\\0' instead",
    ),
    ("a [1 # c\0\n]", "<string>:1:9: unexpected NUL character in comment"),
    ("a: -\0", "<string>:1:5: expected a digit after '-' but got '\\0'"),
    ("a: 1.\0", "<string>:1:6: floats must have a digit after the '.', but got '\\0'"),
    ("a: 2006-01\0", "<string>:1:11: expected '-' in ISO8601 datetime, but found '\\0'"),
    (
        'a: "\\\0"',
        "<string>:1:5: invalid escape character '\\0'; only \\xXX, \\t, \\n, \\r, \\\" "
        "and \\\\ are allowed",
    ),
    ('a: "\\x\0A"', "<string>:1:5: expected two hexadecimal digits after '\\x', but got '\\0A'"),
    ("a: $\0", "<string>:1:4: variable reference for '' on line 1 can not be found"),
    (
        "{a: 1\0}",
        "<string>:1:6: expected a new line, ',', ';' or '}' after the value (a top-level "
        "'{' is not closed), but got '\\0'",
    ),
    ("{a: 1}\0", "<string>:1:7: unexpected NUL character where a key should start"),
    ("{{a: 1}\0}", "<string>:1:8: expected '}' to close the top-level '{', but got '\\0'"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=lambda v: repr(v))
def test_errors(text: str, message: str | None) -> None:
    if message is None:
        loads(text)
        return
    with pytest.raises(ConfigError) as info:
        loads(text)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_error_attributes() -> None:
    with pytest.raises(ConfigError) as info:
        loads("a: 1\nb: {\n  c: [1,,2]\n}\n", "dir/my.conf")
    e = info.value
    assert (e.file, e.line, e.column) == ("dir/my.conf", 3, 9)
    assert e.position == Position("dir/my.conf", 3, 9)
    assert e.message == "unexpected ',' in array (missing value)"
    assert str(e) == "dir/my.conf:3:9: unexpected ',' in array (missing value)"
    assert e.errors == [e]
    assert isinstance(e, ValueError)


def test_error_is_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        loads('"a\nb"')
    assert str(info.value) == "<string>:1:1: key 'a\\nb' has no value"


def test_lenient_where_nats_server_is_not() -> None:
    # nats-server rejects these (see test_reference.py); they are accepted on purpose.
    assert loads("a: [1,2]") == {"a": [1, 2]}
    assert loads('{"a": [1, 2]}') == {"a": [1, 2]}
    assert loads("a: (\r\nx\r\n)\r\n") == {"a": "\r\nx\r\n"}
    # ...but an integer followed by ']' outside an array stays a string, as there.
    assert loads("a: 1]") == {"a": "1]"}


@pytest.mark.parametrize(
    ("opening", "closing"), [("[", "]"), ("{a: ", "}"), ("[{a: ", "}]"), ("{a: [", "]}")]
)
def test_any_nesting_depth(opening: str, closing: str) -> None:
    # nats-server 2.15.1 parses all four 4,000 deep (8,000 levels for the mixed ones; its
    # lexer and parser keep explicit stacks). The parser here recursed and raised
    # RecursionError past about 300 levels (found with the config fuzz target, fuzz/python).
    depth = 4000
    cfg = loads("x: " + opening * depth + "1 " + closing * depth + "\ny: 2")
    assert cfg["y"] == 2
    value = cfg["x"]
    for _ in range(depth * (opening.count("[") + opening.count("{"))):
        value = value[0] if isinstance(value, list) else value["a"]
    assert value == 1
    with pytest.raises(ConfigError) as info:
        loads("x: " + opening * depth)
    assert "end of file" in str(info.value)


def test_a_bom_is_ignored() -> None:
    # (files are read with utf-8-sig; text given to loads is taken as is)
    assert loads("a: 1") == {"a": 1}


def test_empty_text() -> None:
    assert loads("") == {}
    assert loads("# only a comment\n\n") == {}
    assert loads("{}") == {}
