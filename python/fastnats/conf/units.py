"""Sizes and durations as nats-server spells them.

* Integer size suffixes (the config grammar): ``k`` = 1000, ``kb``/``ki``/``kib`` = 1024, and
  the same for ``m``, ``g``, ``t``, ``p``, ``e`` (powers of 1000 or 1024); case-insensitive.
* Durations are Go ``time.ParseDuration`` strings: a sequence of decimal numbers, each with an
  optional fraction and a unit (``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``, ``h``), with an
  optional sign; ``"0"`` alone is allowed. Error texts are Go's.
"""

from __future__ import annotations

from typing import Any

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def _suffixes() -> dict[str, int]:
    table = {"": 1}
    for power, letter in enumerate("kmgtpe", start=1):
        table[letter] = 1000**power
        for binary in ("b", "i", "ib"):
            table[letter + binary] = 1024**power
    return table


SIZE_SUFFIXES: dict[str, int] = _suffixes()
"""Lower-case suffix -> multiplier (``""`` -> 1)."""


def apply_size_suffix(number: int, suffix: str) -> int:
    """``number`` times the multiplier of ``suffix`` (any case). Raises KeyError for an unknown
    suffix and OverflowError outside the int64 range."""
    value = number * SIZE_SUFFIXES[suffix.lower()]
    if not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError(value)
    return value


def go_quote(text: str) -> str:
    """Go's ``%q`` for the texts that appear in messages (printable ASCII and friends)."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


_NANOS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DIGITS = "0123456789"


def parse_duration_ns(text: str) -> int:
    """Go's ``time.ParseDuration``: the duration in integer nanoseconds.

    Raises ValueError with Go's message (``time: invalid duration "x"``, ``time: missing unit
    in duration "5"``, ``time: unknown unit "d" in duration "1d"``).
    """
    invalid = ValueError(f"time: invalid duration {go_quote(text)}")
    s = text
    negative = False
    if s and s[0] in "+-":
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if s[0] != "." and s[0] not in _DIGITS:
            raise invalid
        i = 0
        while i < len(s) and s[i] in _DIGITS:
            i += 1
        whole_digits, s = s[:i], s[i:]
        frac_digits = ""
        if s.startswith("."):
            s = s[1:]
            i = 0
            while i < len(s) and s[i] in _DIGITS:
                i += 1
            frac_digits, s = s[:i], s[i:]
        if not whole_digits and not frac_digits:
            raise invalid
        i = 0
        while i < len(s) and s[i] != "." and s[i] not in _DIGITS:
            i += 1
        if i == 0:
            raise ValueError(f"time: missing unit in duration {go_quote(text)}")
        unit, s = s[:i], s[i:]
        if unit not in _NANOS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(text)}")
        scale = _NANOS[unit]
        value = int(whole_digits or "0") * scale
        if frac_digits:
            # Go truncates the fraction towards zero at nanosecond resolution.
            value += int(frac_digits) * scale // 10 ** len(frac_digits)
        total += value
        if total > INT64_MAX + (1 if negative else 0):
            raise invalid
    return -total if negative else total


def parse_duration(text: str) -> float:
    """A Go duration string in (float) seconds. See :func:`parse_duration_ns`."""
    return parse_duration_ns(text) / 1e9


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10**digits)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:0{digits}d}".rstrip("0")


def format_duration_ns(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h2m3.5s``, ``500ms``, ``0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fraction(u, 3)}\u00b5s"
    if u < 1_000_000_000:
        return f"{sign}{_fraction(u, 6)}ms"
    out = _fraction(u % 60_000_000_000, 9) + "s"
    minutes = u // 60_000_000_000
    if minutes:
        out = f"{minutes % 60}m{out}"
        hours = minutes // 60
        if hours:
            out = f"{hours}h{out}"
    return sign + out


def format_duration(seconds: float) -> str:
    """Seconds as a Go duration string (``90.0`` -> ``1m30s``)."""
    return format_duration_ns(round(seconds * 1e9))


def go_type(value: Any) -> str:
    """Go's ``%T`` of a config value, as nats-server's messages show it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__
