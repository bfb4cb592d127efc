"""fastnats.conf against the reference: ``nats-server -t -c FILE`` (test the config and exit).

* For sample config files that use only keys fastnats supports, nats-server accepts exactly
  the files we accept. (``-t`` fails on warnings too, such as an integer duration.)
* For grammar snippets, nats-server parses exactly the snippets we parse, and gives values
  the same types.
* The few places where we differ on purpose are pinned down, so a change on either side shows.

Skipped when no reference binary (2.15 or newer) is found (``$FASTNATS_REFERENCE_SERVER`` or
``nats-server`` on PATH / beside this Python).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastnats.conf import ConfigError, load, load_config

from tests.conftest import reference_server

# The behaviour pinned here is that of nats-server 2.15 (older releases differ in corners:
# 2.9 accepts an empty file and a dangling key, for instance).
MIN_VERSION = (2, 15, 0)
REFERENCE = reference_server()
pytestmark = pytest.mark.skipif(
    REFERENCE is None or REFERENCE[1] < MIN_VERSION,
    reason=f"needs a reference nats-server >= {'.'.join(map(str, MIN_VERSION))}",
)

# Values given to $VARIABLES through the environment in every run below.
ENV = {"FNC_PORT": "4333", "FNC_SIZE": "2MB", "FNC_NAME": "from-env", "FNC_BAD": "a b"}


def nats_check(path: Path) -> tuple[bool, str]:
    """(accepted, output) of ``nats-server -t -c path``."""
    assert REFERENCE is not None
    env = {"PATH": os.environ.get("PATH", ""), **ENV}
    proc = subprocess.run(
        [REFERENCE[0], "-t", "-c", str(path)], capture_output=True, text=True, timeout=30, env=env
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def our_check(path: Path) -> tuple[bool, str]:
    try:
        cfg = load_config(path, env=ENV)
    except ConfigError as e:
        return False, "\n".join(str(x) for x in e.errors)
    return not cfg.warnings, "\n".join(cfg.warnings)


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "main.conf"


TYPICAL = """\
# A typical single-server config
server_name: edge-1
listen: 127.0.0.1:4333

max_payload: 2MB
max_pending: 64MB
max_control_line: 4KB
max_connections: 1000
max_subscriptions: 100

ping_interval: "1m"
ping_max: 3
write_deadline: "5s"

debug: false
trace: false
logtime: true
logfile: "/tmp/fastnats-test.log"
pid_file: "/tmp/fastnats-test.pid"
http_port: 8222
lame_duck_duration: "2m"
lame_duck_grace_period: "10s"
"""

SAMPLES: dict[str, dict[str, str]] = {
    # accepted
    "minimal": {"main.conf": "port: 4333\n"},
    "typical": {"main.conf": TYPICAL},
    "separators": {"main.conf": "port = 4333; debug true, trace: false\nhost 127.0.0.1\n"},
    "json": {"main.conf": '{\n  "port": 4333,\n  "debug": true,\n  "server_tags": ["a", "b"]\n}\n'},
    "json one line": {"main.conf": '{"listen": "127.0.0.1:4333", "max_payload": 65536}'},
    "comments": {"main.conf": "# c\nport: 4333 # c\n// c\ndebug: true // c\n\n  # indented\n"},
    "random port": {"main.conf": "port: -1\n"},
    "listen port only": {"main.conf": "listen: 4333\n"},
    "listen colon port": {"main.conf": "listen: :4333\n"},
    "ipv6": {"main.conf": 'listen: "[::1]:4333"\n'},
    "case": {"main.conf": "PORT: 4333\nMax_Payload: 1MB\nDEBUG: TRUE\n"},
    "aliases": {
        "main.conf": "net: 127.0.0.1\nmax_conn: 10\nmax_subs: 10\nlog_file: /tmp/x.log\n"
        "pidfile: /tmp/x.pid\nmonitor_port: 8222\nno_sublist_cache: true\n"
    },
    "durations": {"main.conf": 'ping_interval: "1h30m"\nwrite_deadline: 500ms\n'},
    "variables": {"main.conf": "PORT: 4333\nSIZE: 1MB\nport: $PORT\nmax_payload: $SIZE\n"},
    "env variables": {
        "main.conf": "port: $FNC_PORT\nmax_payload: $FNC_SIZE\nserver_name: $FNC_NAME\n"
    },
    "quoted dollar": {"main.conf": 'server_name: "$NOT_A_VAR"\n'},
    "bcrypt": {"main.conf": "server_name: $2a$11$W2zko751KUvVy59mUTWmpO\n"},
    "include": {
        "main.conf": "port: 4333\ninclude ./sub/logging.conf\nmax_payload: $SIZE\n",
        "sub/logging.conf": "debug: true\ninclude limits.conf\n",
        "sub/limits.conf": "SIZE: 1MB\nmax_connections: 10\n",
    },
    "include quoted": {"main.conf": 'include "b.conf"\n', "b.conf": "port: 4333\n"},
    "jetstream off": {"main.conf": "port: 4333\njetstream: false\n"},
    "server tags and metadata": {
        "main.conf": 'server_tags: ["az:1", region]\nserver_metadata { team: core }\n'
    },
    "monitoring": {"main.conf": "http: 127.0.0.1:8222\nhttps_port: 8443\n"},
    "zero means default": {"main.conf": "port: 0\nmax_payload: 0\nmax_pending: 0\nping_max: 0\n"},
    "max_connections zero": {"main.conf": "max_connections: 0\n"},
    "trailing brace": {"main.conf": "port: 4333\n}\n"},
    "write_timeout": {"main.conf": "write_timeout: close\n"},
    # rejected
    "empty": {"main.conf": ""},
    "only comments": {"main.conf": "# nothing here\n"},
    "unknown key": {"main.conf": "port: 4333\nprot: 1\n"},
    "unterminated map": {"main.conf": "m {\n  a: 1\n"},
    "bad escape": {"main.conf": 'server_name: "a\\qb"\n'},
    "two values": {"main.conf": "port: 4333 4334\n"},
    "dangling key": {"main.conf": "port: 4333\ndebug\n"},
    "value on next line": {"main.conf": "port:\n4333\n"},
    "port string": {"main.conf": 'port: "4333"\n'},
    "port with comment glued": {"main.conf": "port: 4333#comment\n"},
    "debug string": {"main.conf": 'debug: "true"\n'},
    "integer duration": {"main.conf": "ping_interval: 30\n"},
    "duration without unit": {"main.conf": 'ping_interval: "30"\n'},
    "short lame duck": {"main.conf": 'lame_duck_duration: "10s"\n'},
    "lame duck integer": {"main.conf": "lame_duck_duration: 60\n"},
    "negative grace": {"main.conf": 'lame_duck_grace_period: "-1s"\n'},
    "name with space": {"main.conf": 'server_name: "a b"\n'},
    "payload too big": {"main.conf": "max_payload: 3GB\n"},
    "listen without port": {"main.conf": "listen: localhost\n"},
    "listen bad port": {"main.conf": 'listen: "localhost:x"\n'},
    "missing include": {"main.conf": "port: 4333\ninclude nope.conf\n"},
    "unresolved variable": {"main.conf": "port: $FNC_UNDEFINED_VARIABLE\n"},
    "unparsable env variable": {"main.conf": "server_name: $FNC_BAD\n"},
    "later variable": {"main.conf": "port: $P\nP: 4333\n"},
    "include does not see parent": {
        "main.conf": "P: 4333\ninclude b.conf\n",
        "b.conf": "port: $P\n",
    },
    "bad write_timeout": {"main.conf": "write_timeout: sometimes\n"},
    "bad datetime": {"main.conf": "port: 2006-01-02\n"},
    "integer out of range": {"main.conf": "max_pending: 99999999999999999999\n"},
    "unclosed json": {"main.conf": '{"port": 4333'},
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_files(tmp_path: Path, name: str) -> None:
    path = write_files(tmp_path, SAMPLES[name])
    nats_ok, nats_out = nats_check(path)
    our_ok, our_out = our_check(path)
    assert our_ok == nats_ok, f"nats-server: {nats_out!r}\nfastnats: {our_out!r}"


# Grammar snippets: does nats-server parse them (whatever it then says about the keys)?
SNIPPETS = [
    "zz: 1",
    "zz = 1; yy = 2",
    "zz 1\nyy 2",
    "zz\n1",
    "zz:\n1",
    "zz",
    "zz: 1\n}",
    "zz: 1\n}}",
    "{zz: 1}",
    "{zz: 1",
    "{{zz: 1}",
    "{{zz: 1}}",
    "{zz: 1 # c\n}",
    "zz: {a: 1, b: [1, 2, 3 ], c: {d: e}}",
    "zz {\n  a 1\n  b 2\n}",
    "zz { a: 1 b: 2 }",
    "zz: {a:1,}",
    "zz: {a",
    "zz: [1, 2, 3 ]",
    "zz: [\n 1\n 2\n]",
    "zz: [1,,2]",
    "zz: [1, ]",
    "zz: [ # c\n 1, // d\n 2 ]",
    "zz: [ # c\n 1 // d\n, 2 ]",
    'zz: "a\\tb\\x41\\"\\\\"',
    'zz: "\\q"',
    'zz: "\\x4"',
    "zz: 'raw \\q'",
    "zz: bare\\tescape",
    "zz: bare\\q",
    "zz: (\nblock\n)",
    "zz: (\nblock\n) ",
    "zz: (block)",
    "zz: 1.5x",
    "zz: 1.",
    "zz: .5",
    "zz: -x",
    "zz: -1.5",
    "zz: 1.2.3:4",
    "zz: 1.2.3/24",
    "zz: 2006-01-02T15:04:05Z",
    "zz: 2006-01-02",
    "zz: 20-01",
    "zz: 99999999999999999999",
    ": 1",
    "/x",
    "zz: a b",
    "zz: a#b",
    "zz: a//b",
    "zz: 1 /",
    "zz: $FNC_PORT",
    "zz: $FNC_UNDEFINED",
    "zz: $FNC_BAD",
    "zz: $2a$1$x",
    "zz: $2b$1$x",
    "include\nx",
    "include [x]",
    '"zz": 1',
    "'zz' 1",
    '"zz',
    'zz: "',
    "zz: {'a",
    "zz: {=1}",
    "zz: {]}",
    "zz: 1]",
    "zz: 1k]",
    # A NUL: nats-server's lexer reads it as the end of the text, then goes on.
    "zz: 1\0yy: 2",
    "zz: a\0",
    "zz: a\0b",
    "zz: a\0b c",
    "zz: \0",
    "zz:\0yy 1",
    "zz \0",
    "zz\0 yy 1",
    "include\0",
    '"\0 [[[',
    "zz: 1\n'\0 [[[",
    "zz: 1\0 }",
    "zz: 1\0\0",
    "zz: 1\n\0",
    "zz: 1 # c\0\nyy: 2",
    "# c\0\nzz: 1",
    'zz: "a\0b"',
    "zz: 'a\0b'",
    '"z\0z": 1',
    "'z\0z' 1",
    'zz: "\\\0"',
    'zz: "\\x\0A"',
    "zz: a\\\0",
    "zz: (\nx\n)\0yy: 2",
    "zz: (\nx\0\n)",
    "zz: -\0",
    "zz: 1.\0",
    "zz: 2006-01\0",
    "zz: 2006-01-02T15:04:05Z\0",
    "zz: $\0",
    "zz: [1 ]\0",
    "zz: {a: 1}\0",
    "zz {\n b: 1\0\n}",
    "zz { a \0}",
    "zz { a\0 }",
    "zz { 'a\0' }",
    'zz { "\0" }',
    "zz { \0 }",
    "zz { /\0b = 1 }",
    "zz { # c\0\n }",
    "zz [1, \0 2]",
    "zz [1\0 ]",
    "zz [1 # c\0\n ]",
    "{zz: 1\0}",
    "{zz: 1}\0",
    "{{zz: 1}\0}",
    '{"\0',
    "{zz\0",
]


def nats_parses(path: Path) -> tuple[bool, str]:
    _, out = nats_check(path)
    failed = any(
        marker in out
        for marker in (
            "Parse error",
            "config is invalid",
            "variable reference",
            "error parsing include",
            "is out of the range",
        )
    )
    return not failed, out


@pytest.mark.parametrize("text", SNIPPETS, ids=repr)
def test_snippets_parse_alike(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.conf"
    path.write_text(text)
    nats_ok, nats_out = nats_parses(path)
    try:
        load(path, env=ENV)
        our_ok, our_out = True, ""
    except ConfigError as e:
        our_ok, our_out = False, str(e)
    assert our_ok == nats_ok, f"nats-server: {nats_out!r}\nfastnats: {our_out!r}"


# Accepted texts with a NUL: the keys nats-server reports as unknown are the keys we read.
NUL_KEYS = [
    "zz: 1\0yy: 2",
    "zz: 1 \0yy: 2",
    "zz: a\0b c",
    "zz: 'a'\0yy 2",
    "zz: (\nx\n)\0yy: 2",
    "zz:\0yy: 1",
    "zz: 1 / \0yy 2",
    'zz: 1\n"\0yy: 2',
    "zz { /\0b = 1 }\0yy 2",
]


@pytest.mark.parametrize("text", NUL_KEYS, ids=repr)
def test_keys_around_a_nul_agree(tmp_path: Path, text: str) -> None:
    path = tmp_path / "n.conf"
    path.write_text(text)
    nats_ok, out = nats_parses(path)
    assert nats_ok, out
    assert set(re.findall(r'unknown field "(\w+)"', out)) == set(load(path)), out


# nats-server's name for the type of a value it wanted as an integer.
GO_TYPES = {
    int: None,  # accepted
    str: "string",
    float: "float64",
    bool: "bool",
    dict: "map[string]interface {}",
    list: "[]interface {}",
}
VALUES = [
    "4333", "1k", "1KiB", "-1", "00012", "10s", "2m", "3secret", "4333#c", "1e3", "0x10",
    "1.5", "127.0.0.1", "127.0.0.1:4333", "true", "off", "YES", "abc", '"4333"', "'x'",
    "[1, 2 ]", "{a: 1}", "$FNC_PORT", "$FNC_SIZE", "$FNC_NAME", "(\nx\n)", "a\\tb", "1'",
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_value_types_agree(tmp_path: Path, value: str) -> None:
    path = tmp_path / "v.conf"
    path.write_text(f"port: {value}\n")
    _, out = nats_check(path)
    m = re.search(r"interface \{\} is (.+?), not int64", out)
    nats_type = m.group(1) if m else None
    ours = load(path, env=ENV)["port"]
    our_type = next(t for t in (bool, int, float, str, dict, list) if isinstance(ours, t))
    assert GO_TYPES[our_type] == nats_type, out


# Where fastnats differs from nats-server on purpose: (files, nats accepts, we accept, why).
DIVERGENCES: dict[str, tuple[str, bool, bool, str]] = {
    "integer before ]": (
        "server_tags: [1,2]\n",
        False,
        False,  # both reject it in the end, but for us it is a type error, not a parse error
        "nats-server reads '2]' as a string and then misses the ']'",
    ),
    "unknown size suffix": (
        "port: 4333\nmax_payload: 1kbb\n",
        True,
        False,
        "nats-server silently drops a key whose size suffix it does not know",
    ),
    "CRLF after a block": (
        "server_name: (\r\nx\r\n)\r\nport: 4333\r\n",
        False,
        True,
        "nats-server wants '\\n' or EOF right after the closing ')'",
    ),
    "port out of range": ("port: 70000\n", True, False, "-t does not check the range"),
    "negative payload": ("max_payload: -1\n", True, False, "fastnats sizes are unsigned"),
}


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_known_divergences(tmp_path: Path, name: str) -> None:
    text, nats_expected, ours_expected, why = DIVERGENCES[name]
    path = tmp_path / "main.conf"
    path.write_text(text)
    assert nats_check(path)[0] == nats_expected, why
    assert our_check(path)[0] == ours_expected, why


def test_json_arrays_of_numbers_parse_here_only(tmp_path: Path) -> None:
    path = tmp_path / "j.conf"
    path.write_text('{"zz": [1, 2]}')
    assert not nats_parses(path)[0]
    assert load(path) == {"zz": [1, 2]}


# A seeded differential run: generated and mutated configs must parse in nats-server exactly
# when they parse here, apart from the divergences above.
_KEYS = ["port", "zz", "'q k'", '"dq"', "P", "a{", "}", "include"]
_SEPS = [":", "=", " ", "", "\t", " : ", ":\n", "\n"]
_VALUES = [
    "4333", "1k", "1KiB", "2m", "10s", "1.5", "-1", "-x", ".5", "1.", "127.0.0.1:4333", "abc",
    "a b", '"s\\tx"', '"bad\\q"', "'raw\\t'", "true", "(\nblock\n)", "(\nb\n) ", "(x)", "[1, 2 ]",
    "[a,b]", "[ ]", "[1,,2]", "{a:1}", "{a 1\n b 2}", "{}", "{a:1,}", "{ # c\n a: 1 }", "$P",
    "$FNC_PORT", '"$P"', "$2a$1$x", "2006-01-02T15:04:05Z", "2006-01-02", "3secret", "4333#c",
    "a#b", "x'y", "", '"open', "'open", "a\\tb", "{P: 5, q: $P}", '{"j": ["x", 3 ]}',
]  # fmt: skip
_TERMS = ["\n", ";", ",", " ", "", "}", " # c\n", "\r\n", " // c\n", ";\n", " /", "]"]
_CORPUS = [
    'port: 4333\nhost = "127.0.0.1"\nmax_payload 1MB\n',
    '# c\nlisten: 127.0.0.1:4333 // end\nzz {\n  a: 1\n  b = [1, 2, 3 ]\n  c { d: "x" }\n}\n',
    '{"port": 4333, "zz": {"a": ["b", {"c": true}]}, "q": null}',
    'P: 5\nzz: { x: $P, y: [ $P, "$P" ] }\n',
    "zz: [\n  'a'\n  \"b\" # c\n  c\n]\nport: 1k\n",
    "zz: (\nline1\n  line2 )\n)\nport: 2\n",
    'zz: "esc \\t \\x41 \\\\ \\" end"; port: 3; x: a\\tb\n',
    "x: 2006-01-02T15:04:05Z\ny: -1.5\nz: 127.0.0.1\nw: 3secret\n",
    "zz = { a = 1; b = 2, c 3\n d: {e: f} }\n",
]
_MUTATIONS = " \t\n{}[]()=:;,#/'\"$\\-.0123456789kmbi}"


def _generate(rng: random.Random) -> str:
    if rng.random() < 0.5:
        parts = [rng.choice(["", "", "{", "# head\n", "\n"])]
        for _ in range(rng.randint(1, 3)):
            parts += [rng.choice(_KEYS), rng.choice(_SEPS), rng.choice(_VALUES)]
            parts.append(rng.choice(_TERMS))
        return "".join(parts)
    chars = list(rng.choice(_CORPUS))
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(chars) + 1)
        if rng.random() < 0.5:
            chars.insert(i, rng.choice(_MUTATIONS))
        elif chars:
            del chars[min(i, len(chars) - 1)]
    return "".join(chars)


def _known_divergence(text: str, nats_out: str, our_error: str) -> bool:
    if "invalid size suffix" in our_error or "map key '" in our_error:
        return True  # nats-server drops such keys (or hands them to the enclosing map)
    if ")\r" in text:
        return True
    return "array value terminator" in nats_out and re.search(r"\d\]", text) is not None


def _with_nul(rng: random.Random) -> str:
    chars = list(_generate(rng))
    for _ in range(rng.randint(1, 2)):
        chars.insert(rng.randrange(len(chars) + 1), "\0")
    return "".join(chars)


@pytest.mark.parametrize(("generate", "seed"), [(_generate, 20260101), (_with_nul, 20260102)])
def test_generated_configs_parse_alike(
    tmp_path: Path, generate: Callable[[random.Random], str], seed: int
) -> None:
    rng = random.Random(seed)
    texts = [generate(rng) for _ in range(400)]
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"g{i}.conf"
        path.write_text(text, newline="")
        paths.append(path)
    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(nats_parses, paths))
    mismatches = []
    for text, path, (nats_ok, nats_out) in zip(texts, paths, verdicts, strict=True):
        try:
            load(path, env=ENV)
            our_ok, our_error = True, ""
        except ConfigError as e:
            our_ok, our_error = False, str(e)
        if our_ok != nats_ok and not _known_divergence(text, nats_out, our_error):
            mismatches.append(f"{text!r}\n  nats-server: {nats_out!r}\n  fastnats: {our_error!r}")
    assert not mismatches, "\n".join(mismatches)
