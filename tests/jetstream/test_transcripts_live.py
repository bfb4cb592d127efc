"""The recorded ``$JS.API`` transcripts (``rust/jetstream/tests/transcripts/<version>/``,
written by ``transcripts/record.py``) replayed against a live server: the same requests, in
the same order, on one fresh server, each reply normalised as the recorder does and compared
with the recorded one.

fastnats is compared with nats-server 2.10.26's recording (fastnats follows 2.10), and the
nats-server on PATH with its own version's recording when there is one (a check of this
test: the reference must pass it). Where fastnats answers otherwise on purpose,
:data:`DIFFERS` says what it answers and why (the Rust transcript test's ``differs`` list
gives the same reasons for the checks it runs; consumer state, such as the ack floor, is
compared only here).
"""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
from typing import Any

import nats
import pytest

from ..dropin.procs import reference_path, served
from .transcripts import record

pytestmark = pytest.mark.timeout(120)

FASTNATS_VERSION = "v2.10.26"
# A request nobody answers is waited for this long (the recorder waits 2 s).
NO_REPLY_TIMEOUT = 0.5
GROUPS = list(record.groups())


class _Any:
    """Anything: the recorded value is not compared (one instance, kept by deepcopy)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Any:
        return self

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


def load(version: str) -> dict[str, list[dict[str, Any]]]:
    return {
        g: json.loads((record.OUT / version / f"{g}.json").read_text())["cases"] for g in GROUPS
    }


def patched(recorded: Any, patch: dict[str, Any]) -> Any:
    """``recorded`` with ``patch`` merged in: dicts merge, None removes a key."""
    out = copy.deepcopy(recorded)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = patched(out[key], value)
        else:
            out[key] = value
    return out


# What fastnats answers where the 2.10.26 recording differs, and why: (reason, patch), the
# patch's keys set in the recorded reply (None removes a key, ANY skips it).
DIFFERS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("stream_create", "subject_js_wildcard"): (
        "2.10.29 (and 2.11+) check API overlaps with SubjectsCollide; 2.10.26's subset match "
        "let `*.API.x` through to the overlap check",
        {
            "error": {
                "code": 500,
                "err_code": 10052,
                "description": "subjects that overlap with jetstream api require no-ack to be true",
            }
        },
    ),
    ("misc", "direct_get_batch"): (
        "fastnats serves 2.11+'s batch direct gets (2.10 ignores `batch`)",
        {"headers": {"Nats-Num-Pending": "3", "Nats-Last-Sequence": "0"}},
    ),
    ("misc", "unknown_endpoint"): (
        "the API subscribes each endpoint, not $JS.API.> (so that DIRECT.GET and MSG.NEXT "
        "without a server mean no responders, as on nats-server): an unknown endpoint gets no "
        "responders where nats-server leaves the request unanswered",
        {"no_reply": "NoRespondersError"},
    ),
    ("misc", "template_names"): (
        "stream templates (removed in 2.11) are not served",
        {
            "type": "io.nats.jetstream.api.v1.system_response",
            "error": {
                "code": 501,
                "err_code": 10000,
                "description": "STREAM.TEMPLATE.NAMES is not supported yet",
            },
            "total": None,
            "offset": None,
            "limit": None,
            "streams": None,
        },
    ),
}
# A new consumer's ack floor is just below where it starts, as on nats-server 2.14+ (2.10
# leaves it at 0 until the first ack, so that an interest stream keeps, for an ack-all or
# ack-none consumer, the messages stored before it started: messages it will never see).
ACK_FLOOR_AT_START = (
    "a new consumer's ack floor is its start sequence - 1 (nats-server 2.14+; 2.10 reports 0 "
    "until the first ack)"
)
for _name in ("consumer_setup_pull", "consumer_setup_push", "consumer_info"):
    DIFFERS[("misc", _name)] = (ACK_FLOOR_AT_START, {"ack_floor": {"stream_seq": 2}})
DIFFERS[("misc", "consumer_list")] = (
    ACK_FLOOR_AT_START,
    {
        "consumers": [
            patched(c, {"ack_floor": {"stream_seq": 2}})
            for c in next(
                c["response"]["consumers"]
                for c in load(FASTNATS_VERSION)["misc"]
                if c["name"] == "consumer_list"
            )
        ]
    },
)
DIFFERS[("consumer_create", "by_start_sequence")] = (
    "an explicit opt_start_seq past the end of the stream is kept (nats-server 2.11+), so the "
    "messages below it are never delivered; 2.10 moves it back to the next sequence. "
    + ACK_FLOOR_AT_START,
    {"delivered": {"stream_seq": 4}, "ack_floor": {"stream_seq": 4}},
)
DIFFERS[("consumer_create", "negative_ack_wait")] = (
    "a negative ack wait is refused, as nats-server 2.11+ does",
    {
        "error": {
            "code": 400,
            "err_code": 10183,
            "description": "consumer ack wait needs to be positive",
        },
        **{
            k: None
            for k in (
                "stream_name",
                "name",
                "created",
                "config",
                "delivered",
                "ack_floor",
                "num_ack_pending",
                "num_redelivered",
                "num_waiting",
                "num_pending",
                "ts",
            )
        },
    },
)
DIFFERS[("misc", "next_bad_json")] = (
    "nats-server appends Go's JSON decoder message to 'Bad Request - '; fastnats says "
    "'invalid JSON'",
    {"description": "Bad Request - invalid JSON"},
)
# Account info: one consumer fewer (fastnats refused the negative ack wait); reservations
# are the streams' max_bytes (the one memory stream's 1 MiB), where the recorded
# nats-server's are off by a few bytes or wrapped below zero (18446744073709551586).
for _name in ("account_info_empty", "account_info", "account_info_body"):
    DIFFERS[("misc", _name)] = (
        "one consumer fewer (the negative ack wait is refused); reservations exact",
        {"reserved_memory": 1048576, "reserved_storage": 0, "consumers": 27, "api": ANY},
    )


# What varies from run to run on any server.
VARIES: dict[tuple[str, str], dict[str, Any]] = {
    # nats-server's account storage counts its files, whose sizes vary between runs.
    **{
        ("misc", n): {"storage": ANY}
        for n in ("account_info_empty", "account_info", "account_info_body")
    },
    # Generated consumer names.
    **{("consumer_create", n): {"name": ANY} for n in ("legacy_ephemeral_push", "ordered_like")},
}

# Known bugs: (kind, group, case) -> reason; strict xfails.
BUGS: dict[tuple[str, str, str], str] = {}


def differences(got: Any, want: Any, path: str = "") -> list[str]:
    """Where ``got`` differs from ``want`` (:data:`ANY` in ``want`` matches anything), one
    ``path: got != want`` line each."""
    if want is ANY:
        return []
    if isinstance(got, dict) and isinstance(want, dict):
        out = []
        for k in sorted(set(got) | set(want)):
            if k not in want:
                out.append(f"{path}.{k}: unexpected {got[k]!r}")
            elif k not in got and want[k] is not ANY:
                out.append(f"{path}.{k}: missing, want {want[k]!r}")
            elif k in got:
                out.extend(differences(got[k], want[k], f"{path}.{k}"))
        return out
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in differences(g, w, f"{path}[{i}]")
        ]
    return [] if got == want else [f"{path or '.'}: {got!r} != {want!r}"]


# --- the servers and their replays ------------------------------------------------------------


def reference_version() -> str | None:
    path = reference_path()
    if path is None:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    version = out.stdout.strip().split()[-1]
    return version if (record.OUT / version).is_dir() else None


def targets() -> list[tuple[str, str]]:
    """(server kind, recorded version it is compared with)."""
    out = [("fastnats", FASTNATS_VERSION)]
    ref = reference_version()
    if ref is not None:
        out.append(("nats-server", ref))
    return out


async def replay(port: int, kind: str) -> dict[tuple[str, str], Any]:
    """Every group played as the recorder plays it; the replies by (group, case name)."""
    nc = await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False)
    replies: dict[tuple[str, str], Any] = {}
    try:
        for group, cases in record.groups().items():
            played, _ = await record.play(nc, cases, NO_REPLY_TIMEOUT)
            replies.update({(group, c["name"]): c["response"] for c in played})
    finally:
        await nc.close()
    return replies


@pytest.fixture(scope="module")
def replays() -> dict[str, dict[tuple[str, str], Any]]:
    """Each kind's replies, filled on first use: one server and one replay per kind."""
    return {}


def replies_of(
    kind: str, replays: dict[str, dict[tuple[str, str], Any]], tmp: pytest.TempPathFactory
) -> dict[tuple[str, str], Any]:
    if kind not in replays:
        store = str(tmp.mktemp(kind))
        with served("-a", "127.0.0.1", "-p", "-1", "-js", "-sd", store, kind=kind) as s:
            replays[kind] = asyncio.run(replay(s.port, kind))
            s.stop()
    return replays[kind]


def cases() -> list[Any]:
    params = []
    for kind, version in targets():
        recorded = load(version)
        for group in GROUPS:
            for case in recorded[group]:
                marks: list[Any] = []
                bug = BUGS.get((kind, group, case["name"]))
                if bug is not None:
                    marks.append(pytest.mark.xfail(strict=True, reason=bug))
                params.append(
                    pytest.param(
                        kind, version, group, case, id=f"{kind}-{group}-{case['name']}", marks=marks
                    )
                )
    return params


def test_the_recordings_have_the_recorders_cases():
    for _, version in targets():
        recorded = load(version)
        for group, cases_ in record.groups().items():
            assert [c["name"] for c in recorded[group]] == [c["name"] for c in cases_], group


@pytest.mark.parametrize(("kind", "version", "group", "case"), cases())
def test_reply_matches_the_recording(kind, version, group, case, replays, tmp_path_factory):
    got = replies_of(kind, replays, tmp_path_factory)[(group, case["name"])]
    want = case["response"]
    if kind == "fastnats" and (group, case["name"]) in DIFFERS:
        _reason, patch = DIFFERS[(group, case["name"])]
        want = patched(want, patch)
    want = patched(want, VARIES.get((group, case["name"]), {}))
    assert not differences(got, want), "\n".join(differences(got, want))
