"""A server with JetStream on, side by side with nats-server: the start-up and shutdown log
lines, the refusal of a store directory that is not one, the temporary-directory warning,
``/jsz``, ``/varz`` ``jetstream`` and ``/healthz``'s JetStream checks, and streams kept
across a restart of the process.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import urllib.error
import urllib.request
from typing import Any

import nats
import pytest

from ..dropin.procs import TIMEOUT, kinds, run, served

pytestmark = pytest.mark.timeout(60)

MONITOR = re.compile(r"Starting http monitor on (\S+):(\d+)$")
BANNER = [
    "Starting JetStream",
    "    _ ___ _____ ___ _____ ___ ___   _   __  __",
    " _ | | __|_   _/ __|_   _| _ \\ __| /_\\ |  \\/  |",
    "| || | _|  | | \\__ \\ | | |   / _| / _ \\| |\\/| |",
    " \\__/|___| |_| |___/ |_| |_|_\\___/_/ \\_\\_|  |_|",
    "",
    "         https://docs.nats.io/jetstream",
    "",
    "---------------- JETSTREAM ----------------",
]


def _messages(text: str) -> list[str]:
    """The log lines' messages, without pid, time and level."""
    return [re.sub(r"^\[\d+\] \S+ \S+ \[[A-Z]{3}\] ", "", line) for line in text.splitlines()]


def _get(port: int, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _monitor_port(proc: Any) -> int:
    return int(proc.log.find(MONITOR.pattern)[2])


@pytest.mark.parametrize("kind", kinds())
def test_start_and_shutdown_log_as_nats_server(kind, tmp_path):
    with served("-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(tmp_path), kind=kind) as s:
        lines = _messages(s.log.text())
        start = lines.index("Starting JetStream")
        assert lines[start : start + len(BANNER)] == BANNER
        block = lines[start + len(BANNER) :]
        block = block[: block.index("-------------------------------------------")]
        fields = dict(re.match(r"  (\w[\w ]*):\s+(.*)$", line).groups() for line in block)  # type: ignore[union-attr]
        assert fields["Store Directory"] == f'"{tmp_path}/jetstream"'
        for key in ("Max Memory", "Max Storage"):
            assert re.fullmatch(r"\d+\.\d\d [KMGTPE]B", fields[key]), fields
        assert "Temporary storage directory used" not in s.log.text()
        s.send_signal(signal.SIGTERM)
        assert s.wait() == 0
        s.log.expect(r"\] JetStream Shutdown$")
        text = _messages(s.log.text())
        assert text.index("Initiating JetStream Shutdown...") < text.index("JetStream Shutdown")
    assert (tmp_path / "jetstream").is_dir()


@pytest.mark.parametrize("kind", kinds())
def test_the_temporary_default_store_dir_is_warned_about(kind, tmp_path):
    with served(
        "-a", "127.0.0.1", "-p", "-1", "-js", kind=kind, env={"TMPDIR": str(tmp_path)}
    ) as s:
        s.log.find(
            r"\[WRN\] Temporary storage directory used, data could be lost on system reboot$"
        )
        s.log.find(rf'Store Directory: "{re.escape(str(tmp_path))}/nats/jetstream"$')
        s.stop()


@pytest.mark.parametrize("kind", kinds())
def test_a_store_dir_that_is_a_file_is_fatal(kind, tmp_path):
    path = tmp_path / "file"
    path.write_text("")
    r = run("-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(path), kind=kind)
    assert r.returncode == 1
    assert "[FTL] Can't start JetStream: storage directory is not a directory" in r.stderr


async def _fill(port: int, consumer: bool = False) -> None:
    nc = await nats.connect(f"nats://127.0.0.1:{port}")
    js = nc.jetstream()
    await js.add_stream(name="S", subjects=["s.>"])
    await js.add_stream(name="M", subjects=["m"], storage="memory")
    for _ in range(3):
        await js.publish("s.a", b"hello")
    await js.publish("m", b"0123456789")
    if consumer:
        await js.add_consumer("S", durable_name="D")
    await nc.close()


@pytest.mark.parametrize("kind", kinds())
def test_jsz_varz_and_healthz(kind, tmp_path):
    args = ("-a", "127.0.0.1", "-p", "-1", "-m", "-1", "-js", "-sd", str(tmp_path))
    with served(*args, kind=kind) as s:
        port = _monitor_port(s)
        asyncio.run(_fill(s.port, consumer=True))
        status, jsz = _get(port, "/jsz")
        assert status == 200
        assert jsz["config"]["store_dir"] == f"{tmp_path}/jetstream"
        # nats-server's accounting: 16 + subject + payload per message in memory, 30 + ... in
        # files.
        assert (jsz["memory"], jsz["storage"]) == (16 + 1 + 10, 3 * (30 + 3 + 5))
        assert (jsz["streams"], jsz["consumers"], jsz["messages"]) == (2, 1, 4)
        assert jsz["bytes"] == jsz["memory"] + jsz["storage"]
        assert jsz["accounts"] == 1 and jsz["api"]["errors"] == 0 and jsz["api"]["total"] >= 2
        assert "account_details" not in jsz
        _, detail = _get(port, "/jsz?streams=true&config=true")
        [acc] = detail["account_details"]
        assert (acc["name"], acc["id"]) == ("$G", "$G")
        by_name = {d["name"]: d for d in acc["stream_detail"]}
        assert by_name["S"]["state"]["messages"] == 3
        assert by_name["S"]["config"]["subjects"] == ["s.>"]
        assert by_name["M"]["cluster"]["leader"]
        _, no_cfg = _get(port, "/jsz?streams=true")
        assert all("config" not in d for d in no_cfg["account_details"][0]["stream_detail"])
        assert all(
            "consumer_detail" not in d for d in no_cfg["account_details"][0]["stream_detail"]
        )
        _, with_consumers = _get(port, "/jsz?consumers=true")
        details = {d["name"]: d for d in with_consumers["account_details"][0]["stream_detail"]}
        [d] = details["S"]["consumer_detail"]
        assert (d["name"], d["stream_name"], d["num_pending"]) == ("D", "S", 3)
        assert "config" not in d
        _, varz = _get(port, "/varz")
        assert varz["jetstream"]["stats"]["storage"] == jsz["storage"]
        assert set(varz["jetstream"]["stats"]) >= {"memory", "storage", "accounts", "api"}
        checks = {
            "/healthz?js-enabled-only=true": (200, {"status": "ok"}),
            "/healthz?account=$G&stream=S": (200, {"status": "ok"}),
            "/healthz?account=$G&stream=X": (
                404,
                {
                    "status": "unavailable",
                    "error": 'JetStream stream "X" not found on account "$G"',
                },
            ),
            "/healthz?account=FOO": (
                404,
                {"status": "unavailable", "error": 'JetStream account "FOO" not found'},
            ),
            "/healthz?account=$G&stream=S&consumer=D": (200, {"status": "ok"}),
            "/healthz?account=$G&stream=S&consumer=Y": (
                404,
                {
                    "status": "unavailable",
                    "error": 'JetStream consumer "Y" not found for stream "S" on account "$G"',
                },
            ),
        }
        for path, expected in checks.items():
            assert _get(port, path.replace("$", "%24")) == expected, path
        s.stop()


@pytest.mark.parametrize("kind", kinds())
def test_jsz_without_jetstream_says_disabled(kind):
    with served("-a", "127.0.0.1", "-p", "-1", "-m", "-1", kind=kind) as s:
        _, jsz = _get(_monitor_port(s), "/jsz")
        assert jsz["disabled"] is True
        assert (jsz["streams"], jsz["memory"], jsz["api"]["total"]) == (0, 0, 0)
        s.stop()


async def _state(port: int) -> tuple[Any, Any]:
    nc = await nats.connect(f"nats://127.0.0.1:{port}")
    js = nc.jetstream()
    info = await js.stream_info("S")
    ack = await js.publish("s.b", b"after")
    await nc.close()
    return info.state, ack


@pytest.mark.parametrize("kind", kinds())
def test_file_streams_survive_a_restart(kind, tmp_path):
    args = ("-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(tmp_path))
    with served(*args, kind=kind) as s:
        asyncio.run(_fill(s.port))
        s.send_signal(signal.SIGTERM)
        assert s.wait() == 0
    with served(*args, kind=kind) as s:
        s.log.find(r"Restored 3 messages for stream '\$G > S' in ")
        state, ack = asyncio.run(_state(s.port))
        assert (state.messages, state.first_seq, state.last_seq) == (3, 1, 3)
        assert (ack.stream, ack.seq) == ("S", 4)
        s.stop()
