"""JetStream's settings: every way nats-server takes them
(config file forms, a top-level ``store_dir``, ``-js``/``-sd``, ``Server(jetstream=...)``)
reaches the engine's ``jetstream`` option and refusals name the key.

Where the reference nats-server is installed, each accepted form is checked with
``nats-server -t`` too, and the settings fastnats resolves (limits, data directory, sync)
are compared with the ``jetstream.config`` of nats-server's ``/varz``.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import fastnats
import pytest
from fastnats import _fastnats
from fastnats.cli import parse_args
from fastnats.conf import ConfigError, ServerConfig, config_from_dict, loads
from fastnats.monitor.state import MonitorState
from fastnats.monitor.varz import varz
from fastnats.settings import SettingsError, load_settings

from ..dropin.procs import TIMEOUT, reference_path, run, served

pytestmark = pytest.mark.timeout(60)

GiB = 1 << 30
MONITOR = re.compile(r"Starting http monitor on (\S+):(\d+)$")


def conf(text: str) -> ServerConfig:
    return config_from_dict(loads(text, "f.conf", env={}))


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        conf(text)
    return [str(e) for e in info.value.errors]


def reference_check(tmp_path: Path, text: str, *args: str) -> str | None:
    """``nats-server -t`` on ``text``: None when it is valid, else its message (skipped
    without the reference)."""
    if reference_path() is None:
        return None
    path = tmp_path / "ref.conf"
    path.write_text(text)
    r = run("-t", "-c", str(path), *args, kind="nats-server")
    return None if r.returncode == 0 else r.stderr.strip()


# --------------------------------------------------------------------------------------
# Config file forms
# --------------------------------------------------------------------------------------

# text -> (server["jetstream"] or None: JetStream off, misc["jetstream"]: kept for -js)
FORMS: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("jetstream: enabled", {}, None),
    ("jetstream: ENABLE", {}, None),
    ("jetstream: true", {}, None),
    ("jetstream: false", None, None),
    ("jetstream: disabled", None, None),
    ("jetstream: Disable", None, None),
    ("jetstream {}", {}, None),
    ("jetstream { enabled: true }", {}, None),
    ("jetstream { enable: false }", None, None),
    ("jetstream { enabled: false, store_dir: /data }", None, {"store_dir": "/data"}),
    ("store_dir: /data", None, {"store_dir": "/data"}),
    ("storedir: /data", None, {"store_dir": "/data"}),
    ("store_dir: /data\njetstream: enabled", {"store_dir": "/data"}, None),
    ("jetstream: enabled\nstore_dir: /data", {"store_dir": "/data"}, None),
    ("jetstream { store_dir: /data }", {"store_dir": "/data"}, None),
    ("jetstream { store: /data }", {"store_dir": "/data"}, None),
    ("jetstream { StoreDir: /data }", {"store_dir": "/data"}, None),
    ('jetstream { store_dir: "" }', {}, None),
    # sizes: the config grammar's suffixes (G = 10^9, GB = 2^30), getStorageSize's strings
    ("jetstream { max_memory_store: 1G }", {"max_memory_store": 10**9}, None),
    ("jetstream { max_mem_store: 1GB }", {"max_memory_store": GiB}, None),
    ("jetstream { max_mem: 1048576 }", {"max_memory_store": 1 << 20}, None),
    ('jetstream { max_mem: "512M" }', {"max_memory_store": 512 << 20}, None),
    ('jetstream { max_file_store: "2T" }', {"max_file_store": 2 << 40}, None),
    ("jetstream { max_file: 10GB }", {"max_file_store": 10 * GiB}, None),
    ('jetstream { max_file: "" }', {"max_file_store": 0}, None),
    ("jetstream { max_file: 0 }", {"max_file_store": 0}, None),
    ("jetstream { max_file: -1 }", {"max_file_store": -1}, None),
    ("jetstream { max_mem: -100 }", {"max_memory_store": -1}, None),
    ("jetstream { domain: hub }", {"domain": "hub"}, None),
    ('jetstream { domain: "" }', {}, None),
    ("jetstream { sync_interval: always }", {"sync_interval": "always"}, None),
    ('jetstream { sync: "ALWAYS" }', {"sync_interval": "always"}, None),
    ('jetstream { sync_interval: "2m" }', {"sync_interval": 120.0}, None),
    ('jetstream { sync: "1s500ms" }', {"sync_interval": 1.5}, None),
    ('jetstream { sync: "0s" }', {"sync_interval": 120.0}, None),  # nats-server's default
    ("jetstream { strict: false }", {}, None),  # what fastnats' 2.10 API does
    (
        "jetstream {\n  store_dir: /data\n  max_mem: 1G\n  max_file: 10G\n  domain: hub\n"
        "  sync_interval: always\n}",
        {
            "store_dir": "/data",
            "max_memory_store": 10**9,
            "max_file_store": 10 * 10**9,
            "domain": "hub",
            "sync_interval": "always",
        },
        None,
    ),
]


@pytest.mark.parametrize(("text", "on", "off"), FORMS)
def test_config_forms(tmp_path, text, on, off):
    got = conf(text)
    assert got.server.get("jetstream") == on
    assert got.misc.get("jetstream") == off
    assert got.warnings == []
    assert reference_check(tmp_path, text) is None


def test_an_integer_sync_interval_is_seconds_with_nats_servers_warning(tmp_path):
    got = conf("jetstream {\n  sync: 10\n}")
    assert got.server["jetstream"] == {"sync_interval": 10.0}
    assert got.warnings == [
        'f.conf:2:3: invalid use of field "sync": sync should be converted to a duration '
        '(read as 10 seconds; write "10s")'
    ]
    if reference_path() is not None:  # nats-server -t fails on warnings
        refused = reference_check(tmp_path, "jetstream { sync: 10 }")
        assert refused is not None and 'invalid use of field "sync"' in refused


# text -> fastnats' messages; whether nats-server -t refuses it too
REFUSED: list[tuple[str, list[str], bool]] = [
    (
        "jetstream: maybe",
        ["f.conf:1:1: Expected 'enabled' or 'disabled' for string value, got 'maybe'"],
        True,
    ),
    (
        "jetstream: 1",
        ["f.conf:1:1: Expected map, bool or string to define JetStream, got int64"],
        True,
    ),
    (
        'jetstream { max_mem: "1GB" }',
        ['f.conf:1:13: max_mem_store strconv.ParseInt: parsing "1G": invalid syntax'],
        True,
    ),
    (
        'jetstream { max_file: "1g" }',
        ["f.conf:1:13: max_file_store sizes defined as strings must end in K, M, G, T"],
        True,
    ),
    (
        "jetstream { max_memory_store: 1.5 }",
        ["f.conf:1:13: max_mem_store must be int64 or string"],
        True,
    ),
    (
        "jetstream { foo: 1, bar: 2 }",
        ['f.conf:1:13: unknown field "foo"', 'f.conf:1:21: unknown field "bar"'],
        True,
    ),
    (
        'jetstream { sync: "soon" }',
        ['f.conf:1:13: error parsing sync: time: invalid duration "soon"'],
        True,
    ),
    (
        'jetstream { strict: "x" }',
        ["f.conf:1:13: Expected 'true' or 'false' for bool value, got 'x'"],
        True,
    ),
    (
        "store_dir: /a\njetstream { store_dir: /b }",
        ["f.conf:2:13: Duplicate 'store_dir' configuration"],
        True,
    ),
    (
        "jetstream { store_dir: /b }\nstore_dir: /a",
        ["f.conf:2:1: Duplicate 'store_dir' configuration"],
        True,
    ),
    # nats-server panics on the type ("interface conversion"); fastnats says which
    (
        "store_dir: 5",
        ['f.conf:1:1: invalid value for "store_dir": expected a string, got int64'],
        True,
    ),
    (
        "jetstream { domain: 1 }",
        ['f.conf:1:13: invalid value for "domain": expected a string, got int64'],
        True,
    ),
    (
        'jetstream { enabled: "yes" }',
        ['f.conf:1:13: invalid value for "enabled": expected a boolean (true/false), got string'],
        True,
    ),
    # nats-server accepts and then fails as streams sync
    (
        'jetstream { sync: "-1s" }',
        ['f.conf:1:13: invalid value for "sync": negative duration'],
        False,
    ),
    # what fastnats does not have
    (
        "jetstream { cipher: aes }",
        ['f.conf:1:13: "cipher" in jetstream is not supported by fastnats (encryption at rest)'],
        False,
    ),
    (
        "jetstream { key: s3cr3t }",
        ['f.conf:1:13: "key" in jetstream is not supported by fastnats (encryption at rest)'],
        False,
    ),
    (
        "jetstream { unique_tag: az }",
        [
            'f.conf:1:13: "unique_tag" in jetstream is not supported by fastnats '
            "(clustered JetStream)"
        ],
        False,
    ),
    (
        "jetstream { max_outstanding_catchup: 1MB }",
        [
            'f.conf:1:13: "max_outstanding_catchup" in jetstream is not supported by fastnats '
            "(clustered JetStream)"
        ],
        False,
    ),
    (
        "jetstream { limits { max_ack_pending: 10 } }",
        [
            'f.conf:1:13: "limits" in jetstream is not supported by fastnats '
            "(JetStream server limits)"
        ],
        False,
    ),
    (
        "jetstream { request_queue_limit: 100 }",
        [
            'f.conf:1:13: "request_queue_limit" in jetstream is not supported by fastnats '
            "(JetStream API queue limits)"
        ],
        False,
    ),
    (
        "jetstream { strict: true }",
        [
            'f.conf:1:13: "strict: true" in jetstream is not supported by fastnats (strict '
            "JetStream API checks: fastnats follows nats-server 2.10, which ignores unknown "
            "fields)"
        ],
        False,
    ),
    (
        "jetstream { tpm { keys_file: k } }",
        [
            'f.conf:1:13: "tpm" in jetstream is not supported by fastnats '
            "(TPM-protected encryption keys)"
        ],
        False,
    ),
    (
        "default_js_domain { A: hub }\naccounts { A {} }",
        [
            'f.conf:1:1: "default_js_domain" is not supported by fastnats '
            "(JetStream domains for accounts)"
        ],
        False,
    ),
    (
        "jetstream: enabled\naccounts { A { jetstream: {cluster_traffic: owner} } }",
        ['f.conf:2:28: "cluster_traffic" is not supported by fastnats (JetStream clustering)'],
        False,
    ),
]


@pytest.mark.parametrize(("text", "messages", "reference_refuses"), REFUSED)
def test_refused_forms_name_the_key(tmp_path, text, messages, reference_refuses):
    assert errors_of(text) == messages
    if reference_path() is not None:
        assert (reference_check(tmp_path, text) is not None) == reference_refuses


def test_keys_only_used_as_variables_are_not_unknown():
    got = conf("jetstream {\n  dir: /data\n  store_dir: $dir\n}")
    assert got.server["jetstream"] == {"store_dir": "/data"}


# --------------------------------------------------------------------------------------
# The command line over the file
# --------------------------------------------------------------------------------------


def settings_of(tmp_path: Path, text: str | None, *args: str) -> dict[str, Any] | None:
    argv = list(args)
    if text is not None:
        path = tmp_path / "f.conf"
        path.write_text(text)
        argv = ["-c", str(path), *argv]
    return load_settings(parse_args(argv)).server.get("jetstream")


FLAGS: list[tuple[str | None, list[str], dict[str, Any] | None]] = [
    (None, ["-js"], {}),
    (None, ["--jetstream"], {}),
    (None, ["-js=true"], {}),
    (None, ["-js=false"], None),
    (None, ["-sd", "/data"], None),  # -sd alone does not enable JetStream
    (None, ["--store_dir=/data", "-js"], {"store_dir": "/data"}),
    (None, ["-sd", "", "-js"], {}),
    ("jetstream: enabled", [], {}),
    ("jetstream: enabled", ["-js=false"], None),  # a flag overrides the file
    ("jetstream: enabled", ["-sd", "/data"], {"store_dir": "/data"}),
    ("jetstream: disabled", ["-js"], {}),
    ("store_dir: /data", ["-js"], {"store_dir": "/data"}),
    ("jetstream { enabled: false, domain: hub }", ["-js"], {"domain": "hub"}),
    ("jetstream { store_dir: /data }", ["-sd", ""], {}),  # nats-server's -sd "": the default
]


@pytest.mark.parametrize(("text", "args", "expected"), FLAGS)
def test_flags_over_the_file(tmp_path, text, args, expected):
    assert settings_of(tmp_path, text, *args) == expected


@pytest.mark.parametrize("text", ["store_dir: /a", "jetstream { store_dir: /a }"])
def test_sd_and_a_store_dir_in_the_file_are_a_duplicate(tmp_path, text):
    with pytest.raises(SettingsError, match=r"Duplicate 'store_dir' configuration"):
        settings_of(tmp_path, text, "-sd", "/b", "-js")
    if reference_path() is not None:
        refused = reference_check(tmp_path, text, "-sd", "/b")
        assert refused is not None and "Duplicate 'store_dir' configuration" in refused


def test_a_file_enabling_jetstream_passes_t_and_serves_it(tmp_path):
    path = tmp_path / "js.conf"
    path.write_text(f'jetstream {{ store_dir: "{tmp_path}" }}\n')
    assert run("-t", "-c", str(path)).returncode == 0
    from ..wire.proto import connect

    with served("-a", "127.0.0.1", "-p", "-1", "-c", str(path)) as s:
        with connect(s.address, handshake=False) as c:
            assert c.info is not None and c.info["jetstream"] is True
        s.stop()
    assert (tmp_path / "jetstream").is_dir()


@pytest.mark.parametrize("kind", ["fastnats", "nats-server"])
def test_sd_alone_serves_without_jetstream(kind, tmp_path):
    if kind == "nats-server" and reference_path() is None:
        pytest.skip("no reference nats-server")
    from ..wire.proto import connect

    with served("-a", "127.0.0.1", "-p", "-1", "-sd", str(tmp_path), kind=kind) as s:
        with connect(s.address, handshake=False) as c:
            assert c.info is not None
            assert "jetstream" not in c.info
            assert "domain" not in c.info
        s.stop()


# --------------------------------------------------------------------------------------
# Server(jetstream=...)
# --------------------------------------------------------------------------------------

EMBEDDED: list[tuple[Any, dict[str, Any] | None]] = [
    (True, {}),
    (False, None),
    (None, None),
    ({}, {}),
    (
        {"store_dir": Path("/data"), "max_memory_store": "1GB", "max_file_store": 1000},
        {"store_dir": "/data", "max_memory_store": GiB, "max_file_store": 1000},
    ),
    ({"max_memory_store": -1, "max_file_store": 0}, {"max_memory_store": -1, "max_file_store": 0}),
    ({"domain": "hub", "sync_interval": "always"}, {"domain": "hub", "sync_interval": "always"}),
    ({"sync_interval": "2m"}, {"sync_interval": 120.0}),
    ({"sync_interval": 0.5}, {"sync_interval": 0.5}),
    ({"store_dir": "", "domain": ""}, {}),
]


@pytest.mark.parametrize(("value", "expected"), EMBEDDED)
def test_embedded_option(value, expected):
    server = fastnats.Server(host="127.0.0.1", port=0, jetstream=value)
    js = server._native.config()["jetstream"]
    if expected is None:
        assert js is None
        return
    defaults = {
        "store_dir": str(Path(_tmp_dir()) / "nats"),
        "max_memory_store": -1,
        "max_file_store": -1,
        "sync_interval": "always",
        "domain": None,
    }
    assert js == {**defaults, **expected}


def _tmp_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


BAD_EMBEDDED: list[tuple[Any, str]] = [
    (5, "jetstream: must be True, False, None or a dict"),
    ({"max_memory_store": -2}, "jetstream.max_memory_store: must be a size in bytes"),
    ({"max_file_store": "1XB"}, "jetstream.max_file_store: must be a size in bytes"),
    ({"sync_interval": 0}, 'jetstream.sync_interval: must be "always" or a positive duration'),
    ({"sync_interval": "soon"}, 'jetstream.sync_interval: must be "always" or a positive duration'),
    ({"store_dir": 5}, "jetstream.store_dir: must be a path"),
    ({"domain": 5}, "jetstream.domain: must be a string"),
    ({"max_mem": 1}, 'jetstream: unknown key "max_mem"'),
    ({"cipher": "aes"}, 'jetstream: unknown key "cipher"'),
    ({"domain": "a.b"}, "invalid domain name: may not contain ., * or >"),
    ({"domain": "a b"}, 'invalid domain name: derived "$JS.a b.API.>" is not a valid subject'),
]


@pytest.mark.parametrize(("value", "message"), BAD_EMBEDDED)
def test_embedded_option_is_checked(value, message):
    with pytest.raises(fastnats.ConfigError) as info:
        fastnats.Server(host="127.0.0.1", port=0, jetstream=value)
    assert str(info.value).startswith(message), str(info.value)


def test_embedded_start_serves_it_and_reload_can_not_turn_it_on(tmp_path):
    with fastnats.Server(host="127.0.0.1", port=0, jetstream={"store_dir": tmp_path}) as server:
        assert server.running
        assert (tmp_path / "jetstream" / "$G" / "streams").is_dir()
    with fastnats.Server(host="127.0.0.1", port=0) as running:
        with pytest.raises(
            fastnats.ConfigError,
            match="config reload not supported for JetStream: old=disabled, new=enabled",
        ):
            running.reload(jetstream=True)
        assert running._native.config()["jetstream"] is None


def test_from_config_carries_the_block(tmp_path):
    path = tmp_path / "js.conf"
    path.write_text('jetstream { store_dir: "/data", max_mem: 1G, domain: hub }\n')
    server = fastnats.Server.from_config(path, host="127.0.0.1", port=0)
    js = server._native.config()["jetstream"]
    assert (js["store_dir"], js["max_memory_store"], js["domain"]) == ("/data", 10**9, "hub")


# --------------------------------------------------------------------------------------
# What JetStream would run with: resolved settings, /varz's jetstream.config
# --------------------------------------------------------------------------------------


def test_varz_shows_the_resolved_config():
    server = fastnats.Server(
        host="127.0.0.1",
        port=0,
        jetstream={"store_dir": "/data", "max_memory_store": GiB, "max_file_store": 0},
    )
    assert varz(MonitorState(server._native))["jetstream"] == {
        "config": {
            "max_memory": GiB,
            "max_storage": 0,
            "store_dir": "/data/jetstream",
            "sync_interval": 120_000_000_000,
            "sync_always": True,
        }
    }
    plain = fastnats.Server(host="127.0.0.1", port=0)
    assert varz(MonitorState(plain._native))["jetstream"] == {}


def _reference_varz_config(tmp_path: Path, text: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "ref.conf"
    path.write_text(text)
    argv = ["-a", "127.0.0.1", "-p", "-1", "-m", "-1", "-c", str(path), *args]
    with served(*argv, kind="nats-server") as s:
        m = s.log.find(MONITOR.pattern)
        url = f"http://127.0.0.1:{m[2]}/varz"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
            config: dict[str, Any] = json.load(r)["jetstream"]["config"]
        s.stop()
    # 2.11+ adds "strict"; "compress_ok" is set only when both limits are given (a quirk
    # of its start-up: fastnats' engine will say whether it compresses).
    config.pop("strict", None)
    config.pop("compress_ok", None)
    return config


COMPARED: list[tuple[str, list[str]]] = [
    (
        'jetstream {{ store_dir: "{dir}", max_mem: 1G, max_file: "2G", domain: hub, '
        "sync: always }}",
        [],
    ),
    ('jetstream {{ store_dir: "{dir}", max_mem: 0, max_file: 1MB, sync_interval: "10s" }}', []),
    ('store_dir: "{dir}"\njetstream {{ max_file: 5GB }}', []),
    ('store_dir: "{dir}"\n', ["-js"]),
]


@pytest.mark.parametrize(("template", "args"), COMPARED)
def test_resolved_settings_match_nats_servers_varz(tmp_path, template, args):
    if reference_path() is None:
        pytest.skip("no reference nats-server")
    text = template.format(dir=tmp_path)
    path = tmp_path / "f.conf"
    path.write_text(text)
    js = load_settings(parse_args(["-c", str(path), *args])).server["jetstream"]
    ours = _fastnats.resolve_jetstream(js)
    if "sync" not in text:  # nats-server syncs every 2 minutes, fastnats always
        ours.pop("sync_always")
    theirs = _reference_varz_config(tmp_path, text, *args)
    if "max_file" not in text:  # 75% of the free disk space: it moves between the two reads
        assert abs(ours.pop("max_storage") - theirs.pop("max_storage")) < 4 * GiB
    assert ours == theirs
