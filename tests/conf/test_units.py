"""Size suffixes, and Go durations as config values (float seconds). Go's own parsing and
formatting are tested in tests/test_gocompat.py."""

from __future__ import annotations

import pytest
from fastnats.conf.units import (
    SIZE_SUFFIXES,
    apply_size_suffix,
    format_duration,
    go_quote,
    parse_duration,
)
from fastnats.gocompat import quote


def test_size_suffix_table() -> None:
    for power, letter in enumerate("kmgtpe", start=1):
        assert SIZE_SUFFIXES[letter] == 1000**power
        for tail in ("b", "i", "ib"):
            assert SIZE_SUFFIXES[letter + tail] == 1024**power
    assert SIZE_SUFFIXES[""] == 1
    assert len(SIZE_SUFFIXES) == 1 + 6 * 4


def test_apply_size_suffix() -> None:
    assert apply_size_suffix(3, "KiB") == 3072
    assert apply_size_suffix(-2, "M") == -2_000_000
    assert apply_size_suffix(7, "") == 7
    with pytest.raises(KeyError):
        apply_size_suffix(1, "kbb")
    with pytest.raises(OverflowError):
        apply_size_suffix(8, "eb")
    assert apply_size_suffix(-8, "eb") == -(2**63)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("0s", 0.0),
        ("10s", 10.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1h30m15s", 5415.0),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("1.s", 1.0),
        ("1.5h", 5400.0),
        ("100us", 0.0001),
        ("100\u00b5s", 0.0001),
        ("100\u03bcs", 0.0001),
        ("250ns", 250e-9),
        ("+5s", 5.0),
        ("-5s", -5.0),
        ("1m1m", 120.0),
        ("2562047h47m16.854775807s", 9223372036.854775807),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("5", 'time: missing unit in duration "5"'),
        ("1.5", 'time: missing unit in duration "1.5"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("1 s", 'time: unknown unit " s" in duration "1 s"'),
        ("s", 'time: invalid duration "s"'),
        (".s", 'time: invalid duration ".s"'),
        ("-", 'time: invalid duration "-"'),
        ("1s2", 'time: missing unit in duration "1s2"'),
        ("abc", 'time: invalid duration "abc"'),
        ("3000000h", 'time: invalid duration "3000000h"'),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (1.5, "1.5s"),
        (10, "10s"),
        (59.999, "59.999s"),
        (60, "1m0s"),
        (90, "1m30s"),
        (3600, "1h0m0s"),
        (5415.5, "1h30m15.5s"),
        (0.5, "500ms"),
        (0.0015, "1.5ms"),
        (0.0000015, "1.5\u00b5s"),
        (1e-9, "1ns"),
        (-10, "-10s"),
        (-0.25, "-250ms"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_go_quote_is_gocompats() -> None:
    # conf/authorization.py and conf/tls.py import it from conf.units.
    assert go_quote is quote
