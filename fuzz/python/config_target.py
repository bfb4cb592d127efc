#!/usr/bin/env python3
"""The `config` fuzz target: nats-server's config format as fastnats reads it (atheris,
coverage-guided over fastnats.conf and fastnats.gocompat).

Contract, for any input bytes (decoded as the config loader decodes a file: UTF-8 with an
optional BOM, undecodable bytes replaced):

* ``fastnats.conf.loads`` and then ``config_from_dict`` either succeed or raise
  ``fastnats.conf.ConfigError`` -- never any other exception (a ``RecursionError`` from deep
  nesting included) and never a hang (libFuzzer's ``-timeout``);
* a raised ``ConfigError`` renders as one line and lists itself or its siblings in ``errors``;
* a parsed config holds only the documented value types (``str``, ``int`` within int64,
  ``float``, ``bool``, ``datetime`` in UTC, ``ConfigDict``/``ConfigList`` whose positions
  match their keys/elements).

``include`` is exercised in a sandbox directory holding a few files (a valid one, one that
includes itself, a pair that include each other, a broken one, a nested directory); an include
that resolves outside the sandbox is refused as a missing file would be, so the fuzzer can not
read /dev/zero or the machine's own files. ``$VARIABLES`` resolve against a fixed environment
that has plain values, a self-reference and a two-variable cycle.

Run (from the repository root, with fastnats importable: the in-place build, PYTHONPATH=python):

    python3 fuzz/python/config_target.py fuzz/corpus/config fuzz/seeds/config \\
        -dict=fuzz/python/config.dict -timeout=10 -max_total_time=60
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile

import atheris
import fastnats  # noqa: F401  the package and its extension, not instrumented

with atheris.instrument_imports(include=["fastnats"]):
    from fastnats.conf import ConfigError, config_from_dict, loads
    from fastnats.conf import parser as conf_parser
    from fastnats.conf.nodes import ConfigDict, ConfigList

INT64 = (-(1 << 63), (1 << 63) - 1)

ENV = {
    "FZ_PORT": "4222",
    "FZ_SIZE": "2MB",
    "FZ_NAME": "fuzz",
    "FZ_MAP": "{a: 1, b: [x, y]}",
    "FZ_BAD": "a b",
    "FZ_SELF": "$FZ_SELF",
    "FZ_A": "$FZ_B",
    "FZ_B": "$FZ_A",
    "FZ_CHAIN": "$FZ_PORT",
    "FZ_DEEP": "[[[[{a: [1]}]]]]",
}

INCLUDES = {
    "ok.conf": "port: 4222\nmax_payload: 1MB\nauthorization { user: a, password: b }\n",
    "self.conf": "a: 1\ninclude self.conf\n",
    "ping.conf": "include pong.conf\n",
    "pong.conf": "include ping.conf\n",
    "bad.conf": "a: {\n",
    "users.conf": "users = [ {user: alice, password: foo}, {user: bob, password: bar} ]\n",
    "sub/inner.conf": "include ../ok.conf\nx: $FZ_PORT\n",
}


def _sandbox() -> str:
    root = os.path.realpath(tempfile.mkdtemp(prefix="fastnats-fuzz-config-"))
    for name, text in INCLUDES.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return root


ROOT = _sandbox()
MAIN = os.path.join(ROOT, "main.conf")  # not on disk: the text comes from the fuzzer
_real_read = conf_parser._read


def _sandboxed_read(path: str, position: conf_parser.Position | None) -> str:
    real = os.path.realpath(path)
    if real != ROOT and not real.startswith(ROOT + os.sep):
        path = os.path.join(ROOT, "outside-the-sandbox")  # does not exist: the usual error
    return _real_read(path, position)


conf_parser._read = _sandboxed_read


def _check_tree(value: object) -> None:
    """The parsed tree holds only the documented types (iteratively: any depth)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, ConfigDict):
            if set(v.positions) != set(v):
                raise AssertionError(f"map positions {sorted(v.positions)} for keys {sorted(v)}")
            stack.extend(v.values())
        elif isinstance(v, ConfigList):
            if len(v.positions) != len(v):
                raise AssertionError(f"{len(v.positions)} positions for {len(v)} elements")
            stack.extend(v)
        elif isinstance(v, bool | str | float):
            pass
        elif isinstance(v, int):
            if not INT64[0] <= v <= INT64[1]:
                raise AssertionError(f"integer {v} outside int64")
        elif isinstance(v, datetime.datetime):
            if v.tzinfo is not datetime.timezone.utc:
                raise AssertionError(f"datetime {v!r} not in UTC")
        else:
            raise AssertionError(f"unexpected value type {type(v).__name__}: {v!r}")


def _check_error(e: ConfigError) -> None:
    text = str(e)
    if "\n" in text or "\r" in text:
        raise AssertionError(f"multi-line ConfigError: {text!r}")
    if not e.errors or not all(isinstance(x, ConfigError) for x in e.errors):
        raise AssertionError(f"ConfigError.errors is {e.errors!r}")
    for x in e.errors:
        str(x)


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        parsed = loads(text, MAIN, env=ENV)
    except ConfigError as e:
        _check_error(e)
        return
    _check_tree(parsed)
    try:
        config_from_dict(parsed, source=MAIN)
    except ConfigError as e:
        _check_error(e)


def main() -> None:
    # Deep nesting must not need a large recursion limit; keep Python's default.
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
