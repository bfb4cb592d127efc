"""``$VARIABLES``: block scoping, the environment, cycles, and what is not a variable."""

from __future__ import annotations

from typing import Any

import pytest
from fastnats.conf import ConfigError, loads

SCOPING: list[tuple[str, dict[str, Any]]] = [
    ("A: 1\nb: $A", {"A": 1, "b": 1}),
    ("A: 1k\nb = $A", {"A": 1000, "b": 1000}),
    ("A: x\nm { b: $A }", {"A": "x", "m": {"b": "x"}}),
    ("m { A: 1, b: $A }", {"m": {"A": 1, "b": 1}}),
    ("A: 1\nm { n { o { b: $A } } }", {"A": 1, "m": {"n": {"o": {"b": 1}}}}),
    ("A: 1\nm { A: 2, b: $A }\nc: $A", {"A": 1, "m": {"A": 2, "b": 2}, "c": 1}),  # shadowing
    ("A: 1\nl: [$A, {b: $A}, [$A ] ]", {"A": 1, "l": [1, {"b": 1}, [1]]}),
    ("A: {x: 1}\nb: $A", {"A": {"x": 1}, "b": {"x": 1}}),  # any value, maps included
    ("A: [1, 2 ]\nb: $A", {"A": [1, 2], "b": [1, 2]}),
    ("A: 1\nA: 2\nb: $A", {"A": 2, "b": 2}),  # the latest definition
    ("A: true\nb: $A", {"A": True, "b": True}),
    ("A: 'two words'\nb: $A", {"A": "two words", "b": "two words"}),
    ("A: 1; b: $A; c: $b", {"A": 1, "b": 1, "c": 1}),
    ("A: 1\nb: $A;", {"A": 1, "b": 1}),
    ("A: 1\nm {b: $A}", {"A": 1, "m": {"b": 1}}),
    # a map or array is assigned when it closes: inside it the key still has its old value
    ("A: 1\nA: {b: $A}", {"A": {"b": 1}}),
    ("m { A: 1, A: [$A, {c: $A}] }", {"m": {"A": [1, {"c": 1}]}}),
    # not variables
    ('A: 1\nb: "$A"', {"A": 1, "b": "$A"}),
    ("A: 1\nb: '$A'", {"A": 1, "b": "$A"}),
    (
        "b: $2a$11$W2zko751KUvVy59mUTWmpOdWZpXY1fW3Ed5vGHU1jjZ1I14mGs3Ay",
        {"b": "$2a$11$W2zko751KUvVy59mUTWmpOdWZpXY1fW3Ed5vGHU1jjZ1I14mGs3Ay"},
    ),
    ("b: a$A", {"b": "a$A"}),
    ("b: pa$$word", {"b": "pa$$word"}),
]


@pytest.mark.parametrize(("text", "expected"), SCOPING, ids=lambda v: repr(v))
def test_scoping(text: str, expected: dict[str, Any]) -> None:
    assert loads(text, env={}) == expected


def test_referenced_keys_are_marked_used() -> None:
    cfg = loads("A: 1\nB: 2\nm { C: 3, d: $C, e: $A }\nf: $A", env={})
    assert cfg.used == {"A"}
    assert cfg["m"].used == {"C"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("b: $A", "<string>:1:4: variable reference for 'A' on line 1 can not be found"),
        ("b: $A\nA: 1", "<string>:1:4: variable reference for 'A' on line 1 can not be found"),
        (
            "m { A: 1 }\nb: $A",
            "<string>:2:4: variable reference for 'A' on line 2 can not be found",
        ),
        (
            "x: 1\nm {\n  n: [1, $NOPE]\n}",
            "<string>:3:10: variable reference for 'NOPE' on line 3 can not be found",
        ),
        ("b: $", "<string>:1:4: variable reference for '' on line 1 can not be found"),
        ("b: ${A}", "<string>:1:4: variable reference for '{A' on line 1 can not be found"),
        (
            "b: $2b$11$x",
            "<string>:1:4: variable reference for '2b$11$x' on line 1 can not be found",
        ),
        ("A: $A", "<string>:1:4: variable reference for 'A' on line 1 can not be found"),
    ],
)
def test_unresolved(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        loads(text, env={})
    assert str(info.value) == message


ENV: list[tuple[dict[str, str], Any]] = [
    ({"V": "4222"}, 4222),
    ({"V": "1k"}, 1000),
    ({"V": "2MB"}, 2 * 1024 * 1024),
    ({"V": "1.5"}, 1.5),
    ({"V": "abc"}, "abc"),
    ({"V": "true"}, True),
    ({"V": "off"}, False),
    ({"V": '"quoted value"'}, "quoted value"),
    ({"V": "'x y'"}, "x y"),
    ({"V": ""}, ""),
    ({"V": "127.0.0.1:4222"}, "127.0.0.1:4222"),
    ({"V": "{a: 1, b: [x, y]}"}, {"a": 1, "b": ["x", "y"]}),
    ({"V": "[1, 2 ]"}, [1, 2]),
    ({"V": "$W", "W": "5"}, 5),  # an environment value may refer to another one
    ({"V": "$W", "W": "$X", "X": "deep"}, "deep"),
    ({"V": "$2a$10$hash"}, "$2a$10$hash"),
]


@pytest.mark.parametrize(("env", "value"), ENV, ids=lambda v: repr(v))
def test_environment(env: dict[str, str], value: Any) -> None:
    assert loads("b: $V", env=env) == {"b": value}


def test_config_keys_win_over_the_environment() -> None:
    assert loads("V: 1\nb: $V", env={"V": "2"}) == {"V": 1, "b": 1}
    # a key defined later does not count: the environment is used
    assert loads("b: $V\nV: 1", env={"V": "2"}) == {"b": 2, "V": 1}


def test_environment_values_do_not_see_config_keys() -> None:
    # As in nats-server, an environment value is parsed on its own.
    assert loads("W: 1\nb: $V", env={"V": "$W", "W": "env"}) == {"W": 1, "b": "env"}


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTNATS_CONF_TEST_VAR", "4333")
    assert loads("port: $FASTNATS_CONF_TEST_VAR") == {"port": 4333}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"V": "$V"},
            "<string>:1:4: variable reference for 'V' on line 1 could not be parsed: "
            "variable reference cycle for 'V'",
        ),
        (
            {"V": "$W", "W": "$V"},
            "<string>:1:4: variable reference for 'V' on line 1 could not be parsed: "
            "variable reference for 'W' on line 1 could not be parsed: "
            "variable reference cycle for 'V'",
        ),
        (
            {"V": "a b"},
            "<string>:1:4: variable reference for 'V' on line 1 could not be parsed: "
            "expected a top-level value to end with a new line, comment or EOF, but got 'b' "
            "instead",
        ),
        (
            {"V": '"open'},
            "<string>:1:4: variable reference for 'V' on line 1 could not be parsed: "
            "unexpected end of file in quoted string",
        ),
        (
            {"V": "$W"},
            "<string>:1:4: variable reference for 'V' on line 1 could not be parsed: "
            "variable reference for 'W' on line 1 can not be found",
        ),
    ],
)
def test_environment_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        loads("b: $V", env=env)
    assert str(info.value) == message


def test_cycles_through_config_keys_are_impossible() -> None:
    # A key's value is resolved when it is read, so "A: $B / B: $A" fails on the first
    # unresolved name instead of looping.
    with pytest.raises(ConfigError) as info:
        loads("A: $B\nB: $A", env={})
    assert str(info.value) == "<string>:1:4: variable reference for 'B' on line 1 can not be found"
