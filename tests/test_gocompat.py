"""fastnats.gocompat against Go's own test tables (strconv's quote_test.go and atoi_test.go,
time's time_test.go), plus the cases nats-server's texts hit.

Go strings are bytes: a Go test string holding bytes that are not UTF-8 (``"abc\\xffdef"``) is
written here as Python decodes it with ``surrogateescape`` (``"abc\\udcffdef"``).
"""

from __future__ import annotations

import pytest
from fastnats.gocompat import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    NumError,
    atoi,
    duration_string,
    format_float,
    parse_bool,
    parse_duration,
    parse_int,
    parse_uint,
    quote,
    rfc3339,
)

SYNTAX = "invalid syntax"
RANGE = "value out of range"

NS = 1
US = 1_000
MS = 1_000_000
S = 1_000_000_000
M = 60 * S
H = 60 * M

# --------------------------------------------------------------------------------------------
# strconv.Quote
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        # Go's quotetests (the Quote column)
        ("\a\b\f\r\n\t\v", '"\\a\\b\\f\\r\\n\\t\\v"'),
        ("\\", '"\\\\"'),
        ("abc\udcffdef", '"abc\\xffdef"'),
        ("\u263a", '"\u263a"'),
        ("\U0010ffff", '"\\U0010ffff"'),
        ("\x04", '"\\x04"'),
        ("!\u00a0!\u2000!\u3000!", '"!\\u00a0!\\u2000!\\u3000!"'),
        ("\x7f", '"\\x7f"'),
        # Go's quoterunetests, as strings
        ("a", '"a"'),
        ("\u00ff", '"\u00ff"'),
        ("\ufffd", '"\ufffd"'),
        # more
        ("", '""'),
        ('a"b', '"a\\"b"'),
        ("'", '"\'"'),
        ("\x00\x1f", '"\\x00\\x1f"'),
        ("h\u00e9llo", '"h\u00e9llo"'),
        ("\u0085", '"\\u0085"'),  # a C1 control: \u, not \x (only < 0x80 is \x)
        ("\u200b", '"\\u200b"'),  # format character (Cf)
        ("\ufeff", '"\\ufeff"'),
        ("\U0001f600", '"\U0001f600"'),  # printable outside the BMP: as is
        ("\U000e0001", '"\\U000e0001"'),  # Cf outside the BMP
        ("\ud800", '"\\ufffd"'),  # not a rune Go can hold
    ],
)
def test_quote(text: str, quoted: str) -> None:
    assert quote(text) == quoted


# --------------------------------------------------------------------------------------------
# strconv.ParseInt / ParseUint / Atoi / ParseBool
# --------------------------------------------------------------------------------------------

PARSE_UINT64_BASE = [
    ("", 0, None, SYNTAX),
    ("0", 0, 0, None),
    ("0x", 0, None, SYNTAX),
    ("0X", 0, None, SYNTAX),
    ("1", 0, 1, None),
    ("12345", 0, 12345, None),
    ("012345", 0, 0o12345, None),
    ("0x12345", 0, 0x12345, None),
    ("0X12345", 0, 0x12345, None),
    ("12345x", 0, None, SYNTAX),
    ("0xabcdefg123", 0, None, SYNTAX),
    ("123456789abc", 0, None, SYNTAX),
    ("98765432100", 0, 98765432100, None),
    ("18446744073709551615", 0, UINT64_MAX, None),
    ("18446744073709551616", 0, None, RANGE),
    ("18446744073709551620", 0, None, RANGE),
    ("0xFFFFFFFFFFFFFFFF", 0, UINT64_MAX, None),
    ("0x10000000000000000", 0, None, RANGE),
    ("01777777777777777777777", 0, UINT64_MAX, None),
    ("01777777777777777777778", 0, None, SYNTAX),
    ("02000000000000000000000", 0, None, RANGE),
    ("0200000000000000000000", 0, 1 << 61, None),
    ("0b", 0, None, SYNTAX),
    ("0o", 0, None, SYNTAX),
    ("0b101", 0, 5, None),
    ("0B101", 0, 5, None),
    ("0o377", 0, 0o377, None),
    ("0O377", 0, 0o377, None),
    # underscores: with base 0 only, between digits or after a base prefix
    ("1_2_3_4_5", 0, 12345, None),
    ("_12345", 0, None, SYNTAX),
    ("1__2345", 0, None, SYNTAX),
    ("12345_", 0, None, SYNTAX),
    ("1_2_3_4_5", 10, None, SYNTAX),
    ("_12345", 10, None, SYNTAX),
    ("0x_1_2_3_4_5", 0, 0x12345, None),
    ("_0x12345", 0, None, SYNTAX),
    ("0x__12345", 0, None, SYNTAX),
    ("0x1__2345", 0, None, SYNTAX),
    ("0x1234__5", 0, None, SYNTAX),
    ("0x12345_", 0, None, SYNTAX),
    ("1_2_3_4_5", 16, None, SYNTAX),
    ("0_1_2_3_4_5", 0, 0o12345, None),
    ("_012345", 0, None, SYNTAX),
    ("0__12345", 0, None, SYNTAX),
    ("01234__5", 0, None, SYNTAX),
    ("012345_", 0, None, SYNTAX),
    ("0o_1_2_3_4_5", 0, 0o12345, None),
    ("_0o12345", 0, None, SYNTAX),
    ("0o__12345", 0, None, SYNTAX),
    ("0o1234__5", 0, None, SYNTAX),
    ("0o12345_", 0, None, SYNTAX),
    ("0_1_2_3_4_5", 8, None, SYNTAX),
    ("0b_1_0_1", 0, 5, None),
    ("_0b101", 0, None, SYNTAX),
    ("0b__101", 0, None, SYNTAX),
    ("0b1__01", 0, None, SYNTAX),
    ("0b10__1", 0, None, SYNTAX),
    ("0b101_", 0, None, SYNTAX),
    ("0b_1_0_1", 2, None, SYNTAX),
    # an overflow is reported where it happens, before a bad digit further on
    ("99999999999999999999x", 0, None, RANGE),
    # other bases
    ("g", 17, 16, None),
    ("holycow", 36, (((((17 * 36 + 24) * 36 + 21) * 36 + 34) * 36 + 12) * 36 + 24) * 36 + 32, None),
    ("\uff11", 0, None, SYNTAX),  # a fullwidth digit is not a Go digit
    ("\u212a", 36, None, SYNTAX),  # KELVIN SIGN lower-cases to "k" in Python, not in Go
]


@pytest.mark.parametrize(("text", "base", "value", "error"), PARSE_UINT64_BASE)
def test_parse_uint(text: str, base: int, value: int | None, error: str | None) -> None:
    if error is None:
        assert parse_uint(text, base) == value
        return
    with pytest.raises(NumError) as e:
        parse_uint(text, base)
    assert (e.value.func, e.value.num, e.value.err) == ("ParseUint", text, error)
    assert str(e.value) == f"strconv.ParseUint: parsing {quote(text)}: {error}"


PARSE_INT64_BASE = [
    ("", 0, None, SYNTAX),
    ("0", 0, 0, None),
    ("-0", 0, 0, None),
    ("+0", 0, 0, None),
    ("1", 0, 1, None),
    ("-1", 0, -1, None),
    ("+5", 0, 5, None),
    ("12345", 0, 12345, None),
    ("-12345", 0, -12345, None),
    ("012345", 0, 0o12345, None),
    ("-012345", 0, -0o12345, None),
    ("0x12345", 0, 0x12345, None),
    ("-0X12345", 0, -0x12345, None),
    ("12345x", 0, None, SYNTAX),
    ("-12345x", 0, None, SYNTAX),
    ("98765432100", 0, 98765432100, None),
    ("-98765432100", 0, -98765432100, None),
    ("9223372036854775807", 0, INT64_MAX, None),
    ("-9223372036854775807", 0, -INT64_MAX, None),
    ("9223372036854775808", 0, None, RANGE),
    ("-9223372036854775808", 0, INT64_MIN, None),
    ("9223372036854775809", 0, None, RANGE),
    ("-9223372036854775809", 0, None, RANGE),
    ("-18446744073709551616", 0, None, RANGE),  # ParseUint's range error, kept
    ("-", 0, None, SYNTAX),
    ("+-1", 0, None, SYNTAX),
    ("--1", 0, None, SYNTAX),
    (" 1", 0, None, SYNTAX),
    ("1.5", 0, None, SYNTAX),
    ("08", 0, None, SYNTAX),  # a leading 0 means octal
    ("0_7", 0, 7, None),
    ("-0b_1", 0, -1, None),
    ("1_000", 0, 1000, None),
    # base 2
    ("111111111111111111111111111111111111111111111111111111111111111", 2, INT64_MAX, None),
    ("1000000000000000000000000000000000000000000000000000000000000000", 2, None, RANGE),
    ("-1000000000000000000000000000000000000000000000000000000000000000", 2, INT64_MIN, None),
    ("-1000000000000000000000000000000000000000000000000000000000000001", 2, None, RANGE),
    # base 16
    ("-123456789abcdef", 16, -0x123456789ABCDEF, None),
    ("7fffffffffffffff", 16, INT64_MAX, None),
]


@pytest.mark.parametrize(("text", "base", "value", "error"), PARSE_INT64_BASE)
def test_parse_int(text: str, base: int, value: int | None, error: str | None) -> None:
    if error is None:
        assert parse_int(text, base) == value
        return
    with pytest.raises(NumError) as e:
        parse_int(text, base)
    assert (e.value.func, e.value.num, e.value.err) == ("ParseInt", text, error)
    assert str(e.value) == f"strconv.ParseInt: parsing {quote(text)}: {error}"


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("2147483648", 2147483647, RANGE),
        ("2147483647", 2147483647, None),
        ("-2147483648", -2147483648, None),
        ("-2147483649", None, RANGE),
    ],
)
def test_parse_int32(text: str, value: int | None, error: str | None) -> None:
    if error is None:
        assert parse_int(text, 10, 32) == value
    else:
        with pytest.raises(NumError, match=error):
            parse_int(text, 10, 32)


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("0", 0, None),
        ("-0", 0, None),
        ("+7", 7, None),
        ("012345", 12345, None),  # decimal: the leading zero is a zero
        ("-9223372036854775808", INT64_MIN, None),
        ("9223372036854775808", None, RANGE),
        ("1_000", None, SYNTAX),
        ("0x10", None, SYNTAX),
        (" 1", None, SYNTAX),
        ("", None, SYNTAX),
    ],
)
def test_atoi(text: str, value: int | None, error: str | None) -> None:
    if error is None:
        assert atoi(text) == value
        return
    with pytest.raises(NumError) as e:
        atoi(text)
    assert str(e.value) == f"strconv.Atoi: parsing {quote(text)}: {error}"


def test_num_error_quotes_as_go() -> None:
    # Go's numErrorTests
    assert str(NumError("ParseFloat", "0", "failed")) == 'strconv.ParseFloat: parsing "0": failed'
    assert str(NumError("ParseFloat", "`", "failed")) == 'strconv.ParseFloat: parsing "`": failed'
    assert str(NumError("ParseFloat", "1\x00.2", "failed")) == (
        'strconv.ParseFloat: parsing "1\\x00.2": failed'
    )
    assert isinstance(NumError("Atoi", "x", SYNTAX), ValueError)


@pytest.mark.parametrize("text", ["1", "t", "T", "true", "TRUE", "True"])
def test_parse_bool_true(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["0", "f", "F", "false", "FALSE", "False"])
def test_parse_bool_false(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["", "yes", "tRUE", "2", " true", "on", "truE"])
def test_parse_bool_errors(text: str) -> None:
    with pytest.raises(NumError) as e:
        parse_bool(text)
    assert str(e.value) == f"strconv.ParseBool: parsing {quote(text)}: invalid syntax"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # Go's ftoatests with format 'g' and precision -1
        (1.0, "1"),
        (20.0, "20"),
        (1234567.8, "1.2345678e+06"),
        (200000.0, "200000"),
        (2000000.0, "2e+06"),
        (1e10, "1e+10"),
        (0.0, "0"),
        (-1.0, "-1"),
        (100.0, "100"),
        (1e23, "1e+23"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
        # the exponent threshold: below -4, or 6 and up
        (999999.0, "999999"),
        (999999.5, "999999.5"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (0.000123, "0.000123"),
        (2.5, "2.5"),
        (0.5, "0.5"),
        (-0.0, "-0"),
        (1.2345678, "1.2345678"),  # all the digits, unlike Python's "%g"
        (1e16, "1e+16"),
        (123456.789, "123456.789"),
    ],
)
def test_format_float(value: float, text: str) -> None:
    assert format_float(value) == text


# --------------------------------------------------------------------------------------------
# time.ParseDuration
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        # Go's parseDurationTests
        ("0", 0),
        ("5s", 5 * S),
        ("30s", 30 * S),
        ("1478s", 1478 * S),
        ("-5s", -5 * S),
        ("+5s", 5 * S),
        ("-0", 0),
        ("+0", 0),
        ("5.0s", 5 * S),
        ("5.6s", 5 * S + 600 * MS),
        ("5.s", 5 * S),
        (".5s", 500 * MS),
        ("1.0s", 1 * S),
        ("1.00s", 1 * S),
        ("1.004s", 1 * S + 4 * MS),
        ("1.0040s", 1 * S + 4 * MS),
        ("100.00100s", 100 * S + 1 * MS),
        ("10ns", 10 * NS),
        ("11us", 11 * US),
        ("12\u00b5s", 12 * US),  # micro sign
        ("12\u03bcs", 12 * US),  # Greek mu
        ("13ms", 13 * MS),
        ("14s", 14 * S),
        ("15m", 15 * M),
        ("16h", 16 * H),
        ("3h30m", 3 * H + 30 * M),
        ("10.5s4m", 4 * M + 10 * S + 500 * MS),
        ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
        ("1h2m3s4ms5us6ns", 1 * H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS),
        ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
        ("52763797000ns", 52763797000 * NS),
        ("0.3333333333333333333h", 20 * M),  # fractions scale in float64, as in Go
        ("9007199254740993ns", (1 << 53) + 1),
        ("9223372036854775807ns", INT64_MAX),
        ("9223372036854775.807us", INT64_MAX),
        ("9223372036s854ms775us807ns", INT64_MAX),
        ("-9223372036854775808ns", INT64_MIN),
        ("-9223372036854775.808us", INT64_MIN),
        ("-9223372036s854ms775us808ns", INT64_MIN),
        ("-2562047h47m16.854775808s", INT64_MIN),
        ("0.100000000000000000000h", 6 * M),
        ("0.830103483285477580700h", 49 * M + 48 * S + 372539827 * NS),
        # more
        ("1.s", 1 * S),
        ("1m1m", 2 * M),
        ("1.0000000019s", 1 * S + 1),  # truncated at the nanosecond
    ],
)
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Go's parseDurationErrorTests, with the whole message
        ("", 'time: invalid duration ""'),
        ("3", 'time: missing unit in duration "3"'),
        ("-", 'time: invalid duration "-"'),
        ("s", 'time: invalid duration "s"'),
        (".", 'time: invalid duration "."'),
        ("-.", 'time: invalid duration "-."'),
        (".s", 'time: invalid duration ".s"'),
        ("+.s", 'time: invalid duration "+.s"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("\udc85\udc85", 'time: invalid duration "\\x85\\x85"'),
        ("\udcffff", 'time: invalid duration "\\xffff"'),
        ("hello \udcffff world", 'time: invalid duration "hello \\xffff world"'),
        ("\ufffd", 'time: invalid duration "\\xef\\xbf\\xbd"'),
        (
            "\ufffd hello \ufffd world",
            'time: invalid duration "\\xef\\xbf\\xbd hello \\xef\\xbf\\xbd world"',
        ),
        ("9223372036854775810ns", 'time: invalid duration "9223372036854775810ns"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("-9223372036854775809ns", 'time: invalid duration "-9223372036854775809ns"'),
        ("9223372036854776us", 'time: invalid duration "9223372036854776us"'),
        ("3000000h", 'time: invalid duration "3000000h"'),
        ("9223372036854775.808us", 'time: invalid duration "9223372036854775.808us"'),
        ("9223372036854ms775us808ns", 'time: invalid duration "9223372036854ms775us808ns"'),
        # the time package quotes non-ASCII as bytes, unlike strconv.Quote
        ("1\u00b5", 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'),
        ("1 s", 'time: unknown unit " s" in duration "1 s"'),
        ('1"', 'time: unknown unit "\\"" in duration "1\\""'),
        ("1s\t", 'time: unknown unit "s\\x09" in duration "1s\\x09"'),
        ("1.5", 'time: missing unit in duration "1.5"'),
        ("1s2", 'time: missing unit in duration "1s2"'),
        ("abc", 'time: invalid duration "abc"'),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_duration(text)
    assert str(e.value) == message


# --------------------------------------------------------------------------------------------
# time.Duration.String
# --------------------------------------------------------------------------------------------

# Go's durationTests
DURATIONS = [
    ("0s", 0),
    ("1ns", 1 * NS),
    ("1.1\u00b5s", 1100 * NS),
    ("2.2ms", 2200 * US),
    ("3.3s", 3300 * MS),
    ("4m5s", 4 * M + 5 * S),
    ("4m5.001s", 4 * M + 5001 * MS),
    ("5h6m7.001s", 5 * H + 6 * M + 7001 * MS),
    ("8m0.000000001s", 8 * M + 1 * NS),
    ("2562047h47m16.854775807s", INT64_MAX),
    ("-2562047h47m16.854775808s", INT64_MIN),
]


@pytest.mark.parametrize(("text", "ns"), DURATIONS)
def test_duration_string(text: str, ns: int) -> None:
    assert duration_string(ns) == text
    if ns > 0:
        assert duration_string(-ns) == "-" + text


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (999, "999ns"),
        (1000, "1\u00b5s"),
        (194_000, "194\u00b5s"),
        (999_999, "999.999\u00b5s"),
        (1_772_745, "1.772745ms"),
        (1_500_000, "1.5ms"),
        (59 * S, "59s"),
        (60 * S, "1m0s"),
        (3600 * S, "1h0m0s"),
        (3723 * S + 500 * MS, "1h2m3.5s"),
        (100 * H, "100h0m0s"),
        (-90 * S, "-1m30s"),
    ],
)
def test_duration_string_more(ns: int, text: str) -> None:
    assert duration_string(ns) == text


@pytest.mark.parametrize("ns", [1, 999, 1_000, 1_500_000, 2 * S, 3723 * S, INT64_MAX, INT64_MIN])
def test_duration_round_trip(ns: int) -> None:
    assert parse_duration(duration_string(ns)) == ns


# --------------------------------------------------------------------------------------------
# RFC 3339 (encoding/json of a UTC time.Time)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_700_000_000 * S, "2023-11-14T22:13:20Z"),
        (1_700_000_000 * S + 500 * MS, "2023-11-14T22:13:20.5Z"),
        (1_700_000_000 * S + 123_456_789, "2023-11-14T22:13:20.123456789Z"),
        (1_700_000_000 * S + 1000, "2023-11-14T22:13:20.000001Z"),
        (253402300799 * S + 520 * MS, "9999-12-31T23:59:59.52Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
    ],
)
def test_rfc3339(ns: int, text: str) -> None:
    assert rfc3339(ns) == text
