"""The pieces that write nats-server's formats: uptimes, query decoding with strconv's error
texts, literal-subject matching, Go-style JSON. Go's own formats (durations, RFC 3339, quoting)
are tested in tests/test_gocompat.py."""

from __future__ import annotations

import json

import pytest
from fastnats.gocompat import quote as go_quote
from fastnats.monitor import clock
from fastnats.monitor.http import encode
from fastnats.monitor.params import (
    BadRequest,
    decode_bool,
    decode_int,
    decode_uint64,
    query_from_kwargs,
)
from fastnats.monitor.subsz import is_valid_literal_subject, matches

MS = 1_000_000
S = 1_000_000_000


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.999, "0s"),
        (45.7, "45s"),
        (60, "1m0s"),
        (3723, "1h2m3s"),
        (86400, "1d0h0m0s"),
        (86400 * 400 + 5, "1y35d0h0m5s"),
        (-0.4, "0s"),
    ],
)
def test_uptime(seconds: float, text: str) -> None:
    assert clock.uptime(seconds) == text


def test_float_seconds_keep_microseconds() -> None:
    assert clock.ns_from_seconds(1_700_000_000.123456) == 1_700_000_000_123_456_000


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_bool_true(value: str) -> None:
    assert decode_bool({"b": value}, "b") is True


@pytest.mark.parametrize("value", ["", "0", "f", "F", "FALSE", "false", "False"])
def test_bool_false(value: str) -> None:
    assert decode_bool({"b": value}, "b") is False
    assert decode_bool({}, "b") is False


@pytest.mark.parametrize("value", ["yes", "tRUE", "2", " true", "on"])
def test_bool_bad(value: str) -> None:
    with pytest.raises(BadRequest) as e:
        decode_bool({"subs": value}, "subs")
    assert e.value.status == 400
    assert str(e.value) == (
        f"Error decoding boolean for 'subs': strconv.ParseBool: parsing {go_quote(value)}: "
        "invalid syntax"
    )


def test_int() -> None:
    assert decode_int({"n": "42"}, "n") == 42
    assert decode_int({"n": "-7"}, "n") == -7
    assert decode_int({"n": "+7"}, "n") == 7
    assert decode_int({}, "n") == 0
    for bad, problem in (
        ("1_000", "invalid syntax"),
        (" 1", "invalid syntax"),
        ("0x10", "invalid syntax"),
        ("9223372036854775808", "value out of range"),
    ):
        with pytest.raises(BadRequest) as e:
            decode_int({"n": bad}, "n")
        assert str(e.value) == (
            f"Error decoding int for 'n': strconv.Atoi: parsing {go_quote(bad)}: {problem}"
        )
    assert decode_int({"n": "-9223372036854775808"}, "n") == -(2**63)


def test_uint64() -> None:
    assert decode_uint64({"cid": "18446744073709551615"}, "cid") == 2**64 - 1
    for bad, problem in (
        ("-1", "invalid syntax"),
        ("+1", "invalid syntax"),
        ("18446744073709551616", "value out of range"),
    ):
        with pytest.raises(BadRequest) as e:
            decode_uint64({"cid": bad}, "cid")
        assert str(e.value) == (
            f"Error decoding uint64 for 'cid': strconv.ParseUint: parsing {go_quote(bad)}: "
            f"{problem}"
        )


def test_query_from_kwargs() -> None:
    assert query_from_kwargs(
        {"subs": True, "auth": False, "limit": 5, "sort": "subs", "cid": None},
        frozenset({"subs", "auth", "limit", "sort", "cid"}),
    ) == {"subs": "true", "auth": "false", "limit": "5", "sort": "subs"}
    with pytest.raises(TypeError, match="bogus"):
        query_from_kwargs({"bogus": 1}, frozenset({"subs"}))


@pytest.mark.parametrize(
    ("literal", "pattern", "hit"),
    [
        ("foo", "foo", True),
        ("foo", "bar", False),
        ("foo.bar", "foo.*", True),
        ("foo", "foo.*", False),
        ("foo.bar.baz", "foo.*", False),
        ("foo.bar.baz", "foo.>", True),
        ("foo", "foo.>", False),
        ("foo", ">", True),
        ("a.b.c", "*.b.*", True),
        ("a.b.c", "*.*", False),
    ],
)
def test_subject_matches(literal: str, pattern: str, hit: bool) -> None:
    assert matches(literal, pattern) is hit


@pytest.mark.parametrize(
    ("subject", "valid"),
    [
        ("foo", True),
        ("foo.bar", True),
        ("foo*", True),  # a wildcard only as a whole token
        (" ", True),  # nats-server does not check for spaces here
        ("foo.*", False),
        ("foo.>", False),
        ("*", False),
        ("a..b", False),
        (".a", False),
        ("a.", False),
    ],
)
def test_literal_subject(subject: str, valid: bool) -> None:
    assert is_valid_literal_subject(subject) is valid


def test_json_as_go_writes_it() -> None:
    doc = {"a": 2.0, "b": 0.5, "c": [1.0, {"d": 0.0}], "e": "<&>", "f": "µs", "g": None}
    assert encode(doc, pretty=False) == (
        b'{"a":2,"b":0.5,"c":[1,{"d":0}],"e":"\\u003c\\u0026\\u003e","f":"\xc2\xb5s","g":null}'
    )
    assert json.loads(encode(doc)) == {**doc, "a": 2, "c": [1, {"d": 0}]}
    assert encode({"a": [], "b": {}}) == b'{\n  "a": [],\n  "b": {}\n}'
