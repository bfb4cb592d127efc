"""Streams, messages and key-value through nats-py's JetStream API, side by side with
nats-server: every test asserts the same values (and the same error codes and descriptions,
which clients compare) on both servers.

One server of each kind serves the whole module; each test uses its own stream names.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.errors import NoRespondersError
from nats.js import api
from nats.js.errors import (
    APIError,
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
    NoStreamResponseError,
    NotFoundError,
)

from ..dropin.procs import Proc, kinds, served

pytestmark = pytest.mark.timeout(60)

SEC = 1_000_000_000


@pytest.fixture(scope="module", params=kinds())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proc]:
    store = tmp_path_factory.mktemp("js")
    with served("-a", "127.0.0.1", "-p", "-1", "-js", "-sd", str(store), kind=request.param) as s:
        yield s


@pytest.fixture
def kind(request: pytest.FixtureRequest, server: Proc) -> str:
    """The kind of the module's server ("fastnats" or "nats-server")."""
    return str(request.node.callspec.params["server"])


@pytest.fixture
async def nc(server: Proc) -> AsyncIterator[Any]:
    conn = await nats.connect(f"nats://127.0.0.1:{server.port}", allow_reconnect=False)
    yield conn
    await conn.close()


@pytest.fixture
def js(nc: Any) -> Any:
    return nc.jetstream()


async def api_error(aw: Awaitable[Any]) -> tuple[int | None, int | None, str | None]:
    """The ``(code, err_code, description)`` of the APIError ``aw`` raises."""
    with pytest.raises(APIError) as e:
        await aw
    return (e.value.code, e.value.err_code, e.value.description)


async def raw(nc: Any, subject: str, body: Any = "") -> Any:
    """A raw API request; the JSON reply."""
    data = body if isinstance(body, str) else json.dumps(body)
    msg = await nc.request(subject, data.encode(), timeout=5)
    return json.loads(msg.data)


async def raw_all(nc: Any, subject: str, body: Any) -> list[Any]:
    """Every reply to a request answered with several messages (direct batch gets), up to and
    including the ``204 EOB`` status."""
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    await nc.publish(subject, json.dumps(body).encode(), reply=inbox)
    out = []
    while True:
        msg = await sub.next_msg(timeout=5)
        out.append(msg)
        if (msg.headers or {}).get("Status"):
            break
    await sub.unsubscribe()
    return out


# --- streams: create, info, update, delete ------------------------------------------------


async def test_create_info_and_delete(js):
    info = await js.add_stream(name="CRUD", subjects=["crud.>"], description="d")
    cfg = info.config
    assert (cfg.name, cfg.subjects, cfg.description) == ("CRUD", ["crud.>"], "d")
    assert (cfg.retention, cfg.storage, cfg.discard) == ("limits", "file", "old")
    assert (cfg.max_msgs, cfg.max_bytes, cfg.max_msg_size, cfg.max_consumers) == (-1, -1, -1, -1)
    assert (cfg.max_age, cfg.duplicate_window, cfg.num_replicas) == (0, 120, 1)
    st = info.state
    assert (st.messages, st.bytes, st.first_seq, st.last_seq, st.consumer_count) == (0, 0, 0, 0, 0)
    again = await js.stream_info("CRUD")
    assert again.config.subjects == ["crud.>"]
    assert await js.delete_stream("CRUD") is True
    assert await api_error(js.stream_info("CRUD")) == (404, 10059, "stream not found")
    assert await api_error(js.delete_stream("CRUD")) == (404, 10059, "stream not found")


async def test_subjects_default_to_the_name(js):
    info = await js.add_stream(name="DEFSUBJ")
    assert info.config.subjects == ["DEFSUBJ"]
    ack = await js.publish("DEFSUBJ", b"x")
    assert (ack.stream, ack.seq) == ("DEFSUBJ", 1)


async def test_create_again(js):
    await js.add_stream(name="AGAIN", subjects=["again"])
    same = await js.add_stream(name="AGAIN", subjects=["again"])
    assert same.config.name == "AGAIN"
    assert await api_error(js.add_stream(name="AGAIN", subjects=["again"], max_msgs=3)) == (
        400,
        10058,
        "stream name already in use with a different configuration",
    )


async def test_overlapping_subjects_are_refused(js):
    await js.add_stream(name="OV1", subjects=["ov.*"])
    assert await api_error(js.add_stream(name="OV2", subjects=["ov.a"])) == (
        400,
        10065,
        "subjects overlap with an existing stream",
    )


async def test_bad_configs(js):
    assert await api_error(js.add_stream(name="BAD", subjects=["bad"], num_replicas=3)) == (
        500,
        10074,
        "replicas > 1 not supported in non-clustered mode",
    )
    assert await api_error(js.add_stream(name="BAD", subjects=["a..b"])) == (
        500,
        10052,
        "invalid subject",
    )
    assert await api_error(
        js.add_stream(name="BAD", subjects=["bad"], allow_rollup_hdrs=True, deny_purge=True)
    ) == (500, 10052, "roll-ups require the purge permission")


async def test_update(js):
    await js.add_stream(name="UPD", subjects=["upd.a"])
    for _ in range(5):
        await js.publish("upd.a", b"x")
    info = await js.update_stream(
        name="UPD", subjects=["upd.a", "upd.b"], max_msgs=2, description="now"
    )
    assert info.config.subjects == ["upd.a", "upd.b"]
    assert (info.config.max_msgs, info.config.description) == (2, "now")
    assert (info.state.messages, info.state.first_seq, info.state.last_seq) == (2, 4, 5)
    ack = await js.publish("upd.b", b"y")
    assert (ack.stream, ack.seq) == ("UPD", 6)
    assert await api_error(js.update_stream(name="UPD", subjects=["upd.a"], storage="memory")) == (
        500,
        10052,
        "stream configuration update can not change storage type",
    )
    assert await api_error(js.update_stream(name="NOUPD", subjects=["noupd"])) == (
        404,
        10059,
        "stream not found",
    )


async def test_stream_info_subjects_and_deleted_details(js, nc):
    await js.add_stream(name="SINFO", subjects=["si.>"])
    for subj in ("si.a", "si.b", "si.a", "si.c.d"):
        await js.publish(subj, b"12345")
    info = await js.stream_info("SINFO", subjects_filter=">")
    assert info.state.subjects == {"si.a": 2, "si.b": 1, "si.c.d": 1}
    info = await js.stream_info("SINFO", subjects_filter="si.*")
    assert info.state.subjects == {"si.a": 2, "si.b": 1}
    # nats-server's accounting: 30 + subject + payload per message.
    assert info.state.bytes == 3 * (30 + 4 + 5) + (30 + 6 + 5)
    await js.delete_msg("SINFO", 2)
    reply = await raw(nc, "$JS.API.STREAM.INFO.SINFO", {"deleted_details": True})
    assert reply["state"]["deleted"] == [2]
    assert reply["state"]["num_deleted"] == 1


async def test_account_info(js):
    await js.add_stream(name="ACCT", subjects=["acct"])
    info = await js.account_info()
    assert info.streams >= 1
    assert (info.limits.max_streams, info.limits.max_consumers) == (-1, -1)
    assert info.api.total > 0


# --- names, list, paging -------------------------------------------------------------------


async def test_names_and_list_with_subject_filter(js, nc):
    for i in range(5):
        await js.add_stream(name=f"PAGE{i}", subjects=[f"page.{i}.*"])
    await js.add_stream(name="PAGEX", subjects=["pagex"])
    reply = await raw(nc, "$JS.API.STREAM.NAMES", {"subject": "page.>"})
    assert reply["type"] == "io.nats.jetstream.api.v1.stream_names_response"
    assert (reply["total"], reply["offset"], reply["limit"]) == (5, 0, 1024)
    assert sorted(reply["streams"]) == [f"PAGE{i}" for i in range(5)]
    reply = await raw(nc, "$JS.API.STREAM.NAMES", {"subject": "page.>", "offset": 3})
    assert (reply["total"], reply["offset"], len(reply["streams"])) == (5, 3, 2)
    reply = await raw(nc, "$JS.API.STREAM.NAMES", {"subject": "page.>", "offset": 9})
    # An offset past the end is clamped to the total.
    assert (reply["total"], reply["offset"], reply["streams"]) == (5, 5, None)
    reply = await raw(nc, "$JS.API.STREAM.NAMES", {"subject": "page.2.x"})
    assert reply["streams"] == ["PAGE2"]
    reply = await raw(nc, "$JS.API.STREAM.LIST", {"subject": "page.*.q", "offset": 1})
    assert reply["type"] == "io.nats.jetstream.api.v1.stream_list_response"
    assert (reply["total"], reply["offset"], reply["limit"]) == (5, 1, 256)
    assert len(reply["streams"]) == 4
    assert all(s["config"]["name"].startswith("PAGE") for s in reply["streams"])
    assert await js.find_stream_name_by_subject("page.4.z") == "PAGE4"
    with pytest.raises(NotFoundError):
        await js.find_stream_name_by_subject("nothing.here")
    infos = await js.streams_info()
    assert {"PAGE0", "PAGEX"} <= {i.config.name for i in infos}


# --- purge ---------------------------------------------------------------------------------


async def test_purge_all_filter_seq_keep(js):
    await js.add_stream(name="PURGE", subjects=["pg.*"])
    for subj in ["pg.a", "pg.b"] * 5:
        await js.publish(subj, b"x")
    assert await js.purge_stream("PURGE", subject="pg.a", keep=2) is True
    info = await js.stream_info("PURGE", subjects_filter=">")
    assert info.state.subjects == {"pg.a": 2, "pg.b": 5}
    assert await js.purge_stream("PURGE", seq=6) is True
    info = await js.stream_info("PURGE", subjects_filter=">")
    assert (info.state.messages, info.state.first_seq) == (5, 6)
    assert await js.purge_stream("PURGE", keep=1) is True
    info = await js.stream_info("PURGE")
    assert (info.state.messages, info.state.first_seq, info.state.last_seq) == (1, 10, 10)
    assert await js.purge_stream("PURGE") is True
    info = await js.stream_info("PURGE")
    assert (info.state.messages, info.state.first_seq, info.state.last_seq) == (0, 11, 10)
    ack = await js.publish("pg.a", b"x")
    assert ack.seq == 11


async def test_purge_replies_with_the_count(js, nc):
    await js.add_stream(name="PURGEN", subjects=["pgn"])
    for _ in range(3):
        await js.publish("pgn", b"x")
    reply = await raw(nc, "$JS.API.STREAM.PURGE.PURGEN", {"keep": 1})
    assert reply == {
        "type": "io.nats.jetstream.api.v1.stream_purge_response",
        "success": True,
        "purged": 2,
    }
    reply = await raw(nc, "$JS.API.STREAM.PURGE.PURGEN", {"seq": 2, "keep": 1})
    assert reply["error"] == {"code": 400, "err_code": 10003, "description": "bad request"}


# --- messages: get, delete, direct get --------------------------------------------------------


async def test_msg_get_by_seq_last_and_next(js):
    await js.add_stream(name="GET", subjects=["get.*"])
    await js.publish("get.a", b"one")
    await js.publish("get.b", b"two", headers={"X-Test": "yes"})
    await js.publish("get.a", b"three")
    msg = await js.get_msg("GET", 2)
    assert (msg.subject, msg.seq, msg.data) == ("get.b", 2, b"two")
    assert msg.headers == {"X-Test": "yes"}
    last = await js.get_last_msg("GET", "get.a")
    assert (last.seq, last.data, last.headers) == (3, b"three", None)
    nxt = await js.get_msg("GET", seq=2, subject="get.a", next=True)
    assert (nxt.seq, nxt.data) == (3, b"three")
    assert await api_error(js.get_msg("GET", 99)) == (404, 10037, "no message found")
    assert await api_error(js.get_last_msg("GET", "get.zzz")) == (404, 10037, "no message found")
    assert await api_error(js.get_msg("NOGET", 1)) == (404, 10059, "stream not found")


async def test_msg_get_empty_payload(js, nc):
    await js.add_stream(name="GETEMPTY", subjects=["getempty"])
    await js.publish("getempty", b"")
    reply = await raw(nc, "$JS.API.STREAM.MSG.GET.GETEMPTY", {"seq": 1})
    assert reply["message"]["subject"] == "getempty"
    assert "data" not in reply["message"] and "hdrs" not in reply["message"]


async def test_msg_delete(js):
    await js.add_stream(name="DEL", subjects=["del"])
    for _ in range(3):
        await js.publish("del", b"x")
    assert await js.delete_msg("DEL", 2) is True
    assert await api_error(js.get_msg("DEL", 2)) == (404, 10037, "no message found")
    assert await api_error(js.delete_msg("DEL", 2)) == (400, 10043, "sequence 2 not found")
    assert await api_error(js.delete_msg("DEL", 9)) == (500, 10057, "stream store EOF")
    info = await js.stream_info("DEL")
    assert (info.state.messages, info.state.num_deleted) == (2, 1)
    assert await js.delete_msg("DEL", 1) is True
    info = await js.stream_info("DEL")
    assert (info.state.messages, info.state.first_seq) == (1, 3)


async def test_direct_get(js):
    await js.add_stream(name="DIRECT", subjects=["dg.*"], allow_direct=True)
    await js.publish("dg.a", b"one")
    await js.publish("dg.b", b"two", headers={"X-Test": "yes"})
    msg = await js.get_msg("DIRECT", 2, direct=True)
    assert (msg.subject, msg.seq, msg.data) == ("dg.b", 2, b"two")
    assert msg.headers["X-Test"] == "yes"
    assert (msg.headers["Nats-Stream"], msg.headers["Nats-Sequence"]) == ("DIRECT", "2")
    last = await js.get_last_msg("DIRECT", "dg.a", direct=True)
    assert (last.seq, last.data, last.headers["Nats-Subject"]) == (1, b"one", "dg.a")
    with pytest.raises(NotFoundError):
        await js.get_msg("DIRECT", 9, direct=True)
    with pytest.raises(NotFoundError):
        await js.get_last_msg("DIRECT", "dg.zzz", direct=True)


async def test_direct_get_statuses(js, nc):
    await js.add_stream(name="DIRECTS", subjects=["dgs"], allow_direct=True)
    await js.publish("dgs", b"x")
    for body, status in (
        (b"", ("408", "Empty Request")),
        (b"{x", ("408", "Malformed Request")),
        (b'{"seq":1,"last_by_subj":"dgs"}', ("408", "Bad Request")),
        (b'{"seq":5}', ("404", "Message Not Found")),
    ):
        msg = await nc.request("$JS.API.DIRECT.GET.DIRECTS", body, timeout=5)
        assert (msg.headers["Status"], msg.headers["Description"], msg.data) == (*status, b"")


async def test_direct_get_needs_allow_direct(js, nc):
    await js.add_stream(name="NODIRECT", subjects=["nodirect"])
    await js.publish("nodirect", b"x")
    with pytest.raises(NoRespondersError):
        await nc.request("$JS.API.DIRECT.GET.NODIRECT", b'{"seq":1}', timeout=5)
    await js.update_stream(name="NODIRECT", subjects=["nodirect"], allow_direct=True)
    msg = await js.get_msg("NODIRECT", 1, direct=True)
    assert msg.data == b"x"


async def test_direct_get_batch(js, nc):
    await js.add_stream(name="BATCH", subjects=["bt.*"], allow_direct=True)
    for subj in ("bt.a", "bt.b", "bt.a", "bt.c"):
        await js.publish(subj, subj.encode())
    msgs = await raw_all(nc, "$JS.API.DIRECT.GET.BATCH", {"seq": 2, "batch": 2})
    assert [m.headers.get("Nats-Sequence") for m in msgs[:-1]] == ["2", "3"]
    assert [m.data for m in msgs[:-1]] == [b"bt.b", b"bt.a"]
    assert [m.headers["Nats-Num-Pending"] for m in msgs[:-1]] == ["2", "1"]
    assert msgs[-1].headers["Status"] == "204"
    assert msgs[-1].headers["Description"] == "EOB"
    filtered = await raw_all(
        nc, "$JS.API.DIRECT.GET.BATCH", {"seq": 1, "batch": 5, "next_by_subj": "bt.a"}
    )
    assert [m.headers.get("Nats-Sequence") for m in filtered[:-1]] == ["1", "3"]
    assert [m.headers["Nats-Num-Pending"] for m in filtered] == ["1", "0", "0"]
    assert [m.headers["Nats-Last-Sequence"] for m in filtered] == ["0", "1", "3"]
    # max_bytes stops after the message that reaches it (the first always goes).
    small = await raw_all(nc, "$JS.API.DIRECT.GET.BATCH", {"seq": 1, "batch": 3, "max_bytes": 5})
    assert [m.headers.get("Nats-Sequence") for m in small] == ["1", None]
    assert small[-1].headers["Nats-Num-Pending"] == "3"
    missing = await raw_all(nc, "$JS.API.DIRECT.GET.BATCH", {"seq": 9, "batch": 2})
    assert [(m.headers["Status"], m.headers["Description"]) for m in missing] == [
        ("404", "Message Not Found")
    ]


async def test_direct_get_multi_last(js, nc):
    await js.add_stream(name="MULTI", subjects=["ml.*"], allow_direct=True)
    for subj in ("ml.a", "ml.b", "ml.a", "ml.c"):
        await js.publish(subj, subj.encode(), headers={"X": "1"} if subj == "ml.c" else None)
    await js.delete_msg("MULTI", 2)
    last = await raw_all(nc, "$JS.API.DIRECT.GET.MULTI", {"multi_last": ["ml.*"]})
    assert [m.headers.get("Nats-Sequence") for m in last] == ["3", "4", None]
    assert [m.headers["Nats-Num-Pending"] for m in last] == ["1", "0", "0"]
    assert last[1].headers["X"] == "1"
    assert (last[-1].headers["Status"], last[-1].headers["Nats-UpTo-Sequence"]) == ("204", "4")
    one = await raw_all(
        nc, "$JS.API.DIRECT.GET.MULTI", {"multi_last": ["ml.a", "ml.c"], "batch": 1}
    )
    assert [m.headers.get("Nats-Sequence") for m in one] == ["3", None]
    assert one[-1].headers["Nats-Num-Pending"] == "1"
    upto = await raw_all(nc, "$JS.API.DIRECT.GET.MULTI", {"multi_last": ["ml.*"], "up_to_seq": 3})
    assert [m.headers.get("Nats-Sequence") for m in upto] == ["3", None]
    assert upto[-1].headers["Nats-UpTo-Sequence"] == "3"
    none = await raw_all(nc, "$JS.API.DIRECT.GET.MULTI", {"multi_last": ["ml.zzz"]})
    assert [(m.headers["Status"], m.headers["Description"]) for m in none] == [
        ("404", "No Results")
    ]
    since = await raw_all(
        nc, "$JS.API.DIRECT.GET.MULTI", {"start_time": "2000-01-01T00:00:00Z", "batch": 2}
    )
    assert [m.headers.get("Nats-Sequence") for m in since] == ["1", "3", None]


# --- publish -----------------------------------------------------------------------------------


async def test_publish_ack_and_bytes(js):
    await js.add_stream(name="PUB", subjects=["pub.>"], storage="memory")
    ack = await js.publish("pub.a", b"hello")
    assert (ack.stream, ack.seq, ack.duplicate, ack.domain) == ("PUB", 1, None, None)
    info = await js.stream_info("PUB")
    # nats-server's accounting: 16 + subject + payload per message in memory.
    assert (info.config.storage, info.state.bytes) == ("memory", 16 + 5 + 5)


async def test_no_stream_no_responders(js, nc):
    with pytest.raises(NoStreamResponseError):  # nats-py's name for it in js.publish
        await js.publish("no.stream.here", b"x")
    with pytest.raises(NoRespondersError):
        await nc.request("no.stream.here", b"x", timeout=5)


async def test_expected_stream(js):
    await js.add_stream(name="EXPS", subjects=["exps"])
    ack = await js.publish("exps", b"x", stream="EXPS")
    assert ack.seq == 1
    assert await api_error(js.publish("exps", b"x", stream="OTHER")) == (
        400,
        10060,
        "expected stream does not match",
    )


async def test_expected_last_sequence(js):
    await js.add_stream(name="EXPSEQ", subjects=["expseq.*"])
    await js.publish("expseq.a", b"x")
    ok = await js.publish("expseq.b", b"x", headers={"Nats-Expected-Last-Sequence": "1"})
    assert ok.seq == 2
    assert await api_error(
        js.publish("expseq.a", b"x", headers={"Nats-Expected-Last-Sequence": "1"})
    ) == (400, 10071, "wrong last sequence: 2")


async def test_expected_last_subject_sequence(js):
    await js.add_stream(name="EXPSUB", subjects=["expsub.*"])
    await js.publish("expsub.a", b"x")
    await js.publish("expsub.b", b"x")
    hdr = {"Nats-Expected-Last-Subject-Sequence": "1"}
    ok = await js.publish("expsub.a", b"x", headers=hdr)
    assert ok.seq == 3
    assert await api_error(js.publish("expsub.a", b"x", headers=hdr)) == (
        400,
        10071,
        "wrong last sequence: 3",
    )
    new = await js.publish("expsub.c", b"x", headers={"Nats-Expected-Last-Subject-Sequence": "0"})
    assert new.seq == 4
    assert await api_error(
        js.publish("expsub.c", b"x", headers={"Nats-Expected-Last-Subject-Sequence": "0"})
    ) == (400, 10071, "wrong last sequence: 4")


async def test_expected_last_msg_id(js):
    await js.add_stream(name="EXPID", subjects=["expid"])
    await js.publish("expid", b"x", headers={"Nats-Msg-Id": "a"})
    ok = await js.publish(
        "expid", b"x", headers={"Nats-Msg-Id": "b", "Nats-Expected-Last-Msg-Id": "a"}
    )
    assert ok.seq == 2
    assert await api_error(
        js.publish("expid", b"x", headers={"Nats-Expected-Last-Msg-Id": "a"})
    ) == (400, 10070, "wrong last msg ID: b")


async def test_duplicate_window(js):
    await js.add_stream(name="DUP", subjects=["dup"], duplicate_window=60)
    first = await js.publish("dup", b"x", headers={"Nats-Msg-Id": "m1"})
    again = await js.publish("dup", b"y", headers={"Nats-Msg-Id": "m1"})
    other = await js.publish("dup", b"z", headers={"Nats-Msg-Id": "m2"})
    assert (first.seq, first.duplicate) == (1, None)
    assert (again.seq, again.duplicate) == (1, True)
    assert (other.seq, other.duplicate) == (2, None)
    info = await js.stream_info("DUP")
    assert (info.config.duplicate_window, info.state.messages) == (60, 2)


async def test_discard_old_and_new(js):
    await js.add_stream(name="DOLD", subjects=["dold"], max_msgs=2)
    for _ in range(4):
        await js.publish("dold", b"x")
    info = await js.stream_info("DOLD")
    assert (info.state.messages, info.state.first_seq) == (2, 3)
    await js.add_stream(name="DNEW", subjects=["dnew"], max_msgs=2, discard="new")
    for _ in range(2):
        await js.publish("dnew", b"x")
    assert await api_error(js.publish("dnew", b"x")) == (503, 10077, "maximum messages exceeded")
    await js.add_stream(name="DNEWB", subjects=["dnewb"], max_bytes=100, discard="new")
    await js.publish("dnewb", b"x" * 50)
    assert await api_error(js.publish("dnewb", b"x" * 50)) == (
        503,
        10077,
        "maximum bytes exceeded",
    )


async def test_max_msgs_per_subject(js):
    await js.add_stream(name="PERSUBJ", subjects=["ps.*"], max_msgs_per_subject=2)
    for subj in ["ps.a"] * 4 + ["ps.b"]:
        await js.publish(subj, b"x")
    info = await js.stream_info("PERSUBJ", subjects_filter=">")
    assert info.state.subjects == {"ps.a": 2, "ps.b": 1}
    assert (info.state.messages, info.state.first_seq) == (3, 3)
    await js.add_stream(
        name="PERSUBJN",
        subjects=["psn.*"],
        max_msgs_per_subject=1,
        discard="new",
        discard_new_per_subject=True,
    )
    await js.publish("psn.a", b"x")
    await js.publish("psn.b", b"x")
    assert await api_error(js.publish("psn.a", b"x")) == (
        503,
        10077,
        "maximum messages per subject exceeded",
    )


async def test_max_age_expires_messages(js):
    await js.add_stream(name="AGE", subjects=["age"], max_age=1.0)
    info = await js.stream_info("AGE")
    assert (info.config.max_age, info.config.duplicate_window) == (1.0, 1.0)
    for _ in range(3):
        await js.publish("age", b"x")

    async def messages() -> int:
        return int((await js.stream_info("AGE")).state.messages)

    deadline = asyncio.get_running_loop().time() + 20
    while await messages():
        assert asyncio.get_running_loop().time() < deadline, "messages never expired"
        await asyncio.sleep(0.1)
    info = await js.stream_info("AGE")
    assert (info.state.first_seq, info.state.last_seq) == (4, 3)


async def test_max_msg_size(js):
    await js.add_stream(name="SIZE", subjects=["size"], max_msg_size=10)
    await js.publish("size", b"x" * 10)
    too_large = (400, 10054, "message size exceeds maximum allowed")
    assert await api_error(js.publish("size", b"x" * 11)) == too_large
    # Headers count too.
    assert await api_error(js.publish("size", b"x" * 8, headers={"Abc": "1"})) == too_large


async def test_rollup_sub_and_all(js):
    await js.add_stream(name="ROLL", subjects=["roll.*"], allow_rollup_hdrs=True)
    for subj in ("roll.a", "roll.b", "roll.a", "roll.b"):
        await js.publish(subj, b"x")
    ack = await js.publish("roll.a", b"sum", headers={"Nats-Rollup": "sub"})
    assert ack.seq == 5
    info = await js.stream_info("ROLL", subjects_filter=">")
    assert info.state.subjects == {"roll.a": 1, "roll.b": 2}
    await js.publish("roll.c", b"all", headers={"Nats-Rollup": "all"})
    info = await js.stream_info("ROLL", subjects_filter=">")
    assert (info.state.messages, info.state.first_seq, info.state.subjects) == (
        1,
        6,
        {"roll.c": 1},
    )


async def test_rollup_needs_allow_rollup(js):
    await js.add_stream(name="NOROLL", subjects=["noroll"])
    for how in ("all", "sub"):
        assert await api_error(js.publish("noroll", b"x", headers={"Nats-Rollup": how})) == (
            500,
            10111,
            "rollup not permitted",
        )
    assert (await js.stream_info("NOROLL")).state.messages == 0


async def test_sealed_stream(js):
    await js.add_stream(name="SEAL", subjects=["seal"])
    await js.publish("seal", b"x")
    await js.publish("seal", b"x")
    info = await js.update_stream(name="SEAL", subjects=["seal"], sealed=True)
    assert (info.config.sealed, info.config.deny_delete, info.config.deny_purge) == (
        True,
        True,
        True,
    )
    sealed = (400, 10109, "invalid operation on sealed stream")
    assert await api_error(js.purge_stream("SEAL")) == sealed
    assert await api_error(js.delete_msg("SEAL", 1)) == sealed
    assert await api_error(js.publish("seal", b"x")) == sealed
    assert await api_error(js.update_stream(name="SEAL", subjects=["seal"], sealed=False)) == (
        500,
        10052,
        "stream configuration update can not unseal a sealed stream",
    )
    assert (await js.stream_info("SEAL")).state.messages == 2


async def test_deny_delete_and_purge(js):
    await js.add_stream(name="DENY", subjects=["deny"], deny_delete=True, deny_purge=True)
    await js.publish("deny", b"x")
    assert await api_error(js.delete_msg("DENY", 1)) == (
        500,
        10057,
        "message delete not permitted",
    )
    assert await api_error(js.purge_stream("DENY")) == (500, 10110, "stream purge not permitted")


async def test_first_seq(js):
    info = await js.add_stream(name="FIRST", subjects=["first"], first_seq=100)
    assert (info.config.first_seq, info.state.first_seq, info.state.last_seq) == (100, 100, 99)
    ack = await js.publish("first", b"x")
    assert ack.seq == 100


async def test_metadata(js):
    info = await js.add_stream(name="META", subjects=["meta"], metadata={"team": "a", "k": "v"})
    own = {k: v for k, v in (info.config.metadata or {}).items() if not k.startswith("_nats.")}
    assert own == {"team": "a", "k": "v"}
    info = await js.update_stream(name="META", subjects=["meta"], metadata={"team": "b"})
    own = {k: v for k, v in (info.config.metadata or {}).items() if not k.startswith("_nats.")}
    assert own == {"team": "b"}


async def test_headers_are_stored(js, nc):
    await js.add_stream(name="HDRS", subjects=["hdrs"])
    await js.publish("hdrs", b"body", headers={"A": "1", "B": "two words"})
    reply = await raw(nc, "$JS.API.STREAM.MSG.GET.HDRS", {"seq": 1})
    hdrs = base64.b64decode(reply["message"]["hdrs"])
    assert hdrs.startswith(b"NATS/1.0\r\n")
    assert b"A: 1\r\n" in hdrs and b"B: two words\r\n" in hdrs
    assert base64.b64decode(reply["message"]["data"]) == b"body"
    info = await js.stream_info("HDRS")
    # Headers add their length and a 4-byte length field.
    assert info.state.bytes == 30 + 4 + 4 + len(hdrs) + 4


async def test_pub_ack_names_the_domain(tmp_path: Path):
    for kind in kinds():
        conf = tmp_path / f"{kind}.conf"
        store = tmp_path / kind
        conf.write_text(f'jetstream {{ domain: HUB, store_dir: "{store}" }}\n')
        with served("-a", "127.0.0.1", "-p", "-1", "-c", str(conf), kind=kind) as s:
            ack, info = await _domain_ack(s.port)
            assert (ack.stream, ack.seq, ack.domain) == ("DOM", 1, "HUB"), kind
            assert info.domain == "HUB", kind


async def _domain_ack(port: int) -> tuple[Any, Any]:
    conn = await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False)
    js = conn.jetstream()
    await js.add_stream(name="DOM", subjects=["dom"])
    ack = await js.publish("dom", b"x")
    info = await js.account_info()
    await conn.close()
    return ack, info


# --- key-value ---------------------------------------------------------------------------------


async def test_kv_bucket_config(js):
    kv = await js.create_key_value(bucket="CFG", history=5, ttl=60)
    status = await kv.status()
    assert (status.bucket, status.history, status.ttl, status.values) == ("CFG", 5, 60, 0)
    cfg = (await js.stream_info("KV_CFG")).config
    assert cfg.subjects == ["$KV.CFG.>"]
    assert (cfg.max_msgs_per_subject, cfg.max_age, cfg.duplicate_window) == (5, 60, 60)
    assert (cfg.allow_rollup_hdrs, cfg.deny_delete, cfg.discard, cfg.allow_direct) == (
        True,
        True,
        "new",
        False,
    )
    again = await js.key_value("CFG")
    assert (await again.status()).history == 5


async def test_kv_put_get_update_create(js):
    kv = await js.create_key_value(bucket="PUTGET", history=3)
    assert await kv.put("a", b"1") == 1
    assert await kv.put("b", b"2") == 2
    assert await kv.put("a", b"3") == 3
    entry = await kv.get("a")
    assert (entry.key, entry.value, entry.revision) == ("a", b"3", 3)
    old = await kv.get("a", revision=1)
    assert (old.value, old.revision) == (b"1", 1)
    assert await kv.update("a", b"4", last=3) == 4
    with pytest.raises(KeyWrongLastSequenceError) as e:
        await kv.update("a", b"5", last=3)
    assert e.value.description == "wrong last sequence: 4"
    assert await kv.create("c", b"new") == 5
    with pytest.raises(KeyWrongLastSequenceError) as e:
        await kv.create("c", b"again")
    assert e.value.description == "wrong last sequence: 5"
    with pytest.raises(KeyNotFoundError):
        await kv.get("missing")
    assert (await kv.status()).values == 5


async def test_kv_history_limit(js):
    kv = await js.create_key_value(bucket="HIST", history=2)
    for i in range(5):
        await kv.put("k", str(i).encode())
    info = await js.stream_info("KV_HIST")
    assert (info.state.messages, info.state.first_seq) == (2, 4)
    assert (await kv.get("k")).value == b"4"


async def test_kv_delete_and_purge_markers(js):
    kv = await js.create_key_value(bucket="MARK", history=5)
    await kv.put("a", b"1")
    await kv.put("a", b"2")
    await kv.put("b", b"1")
    assert await kv.delete("a") is True
    with pytest.raises(KeyNotFoundError):
        await kv.get("a")
    with pytest.raises(KeyDeletedError) as e:
        await kv._get("a")
    assert (e.value.op, e.value.entry.revision) == ("DEL", 4)
    info = await js.stream_info("KV_MARK", subjects_filter=">")
    assert info.state.subjects == {"$KV.MARK.a": 3, "$KV.MARK.b": 1}
    assert await kv.purge("b") is True
    with pytest.raises(KeyDeletedError) as e:
        await kv._get("b")
    assert e.value.op == "PURGE"
    info = await js.stream_info("KV_MARK", subjects_filter=">")
    assert info.state.subjects == {"$KV.MARK.a": 3, "$KV.MARK.b": 1}
    # Creating a deleted key is allowed (nats-py retries with the marker's revision).
    assert await kv.create("a", b"again") == 6
    assert (await kv.get("a")).value == b"again"


async def test_kv_without_direct_uses_msg_get(js):
    kv = await js.create_key_value(bucket="NODIR", direct=False)
    await kv.put("k", b"v")
    assert (await kv.get("k")).value == b"v"
    assert (await js.stream_info("KV_NODIR")).config.allow_direct is False


async def test_kv_list_buckets_by_subject_filter(js, nc):
    await js.create_key_value(bucket="LIST1")
    await js.create_key_value(bucket="LIST2")
    reply = await raw(nc, "$JS.API.STREAM.LIST", {"subject": "$KV.*.>"})
    names = {s["config"]["name"] for s in reply["streams"]}
    assert {"KV_LIST1", "KV_LIST2"} <= names
    assert all(n.startswith("KV_") for n in names)
    reply = await raw(nc, "$JS.API.STREAM.NAMES", {"subject": "$KV.LIST2.>"})
    assert reply["streams"] == ["KV_LIST2"]


async def test_kv_delete_bucket(js):
    await js.create_key_value(bucket="GONE")
    assert await js.delete_key_value("GONE") is True
    with pytest.raises(NotFoundError):
        await js.key_value("GONE")


async def test_kv_history_and_keys(js):
    kv = await js.create_key_value(bucket="KEYS", history=3)
    await kv.put("a", b"1")
    assert await kv.keys() == ["a"]
    assert len(await kv.history("a")) == 1
    for v in (b"2", b"3", b"4"):
        await kv.put("a", v)
    await kv.put("b.x", b"5")
    await kv.put("b.y", b"6")
    await kv.delete("b.y")
    # history keeps the bucket's last 3 values of the key, oldest first.
    hist = await kv.history("a")
    assert [(e.value, e.revision) for e in hist] == [(b"2", 2), (b"3", 3), (b"4", 4)]
    # A deleted key's history ends with its marker; keys() leaves it out.
    hist = await kv.history("b.y")
    assert [(e.value, e.operation) for e in hist] == [(b"6", None), (b"", "DEL")]
    assert sorted(await kv.keys()) == ["a", "b.x"]
    # nats-py filters the keys itself, by substring.
    assert await kv.keys(filters=["b."]) == ["b.x"]
    with pytest.raises(NoKeysError):
        await kv.history("missing")
    # Reading through consumers left the stream as it was: a's 3 values, b.x, b.y and its marker.
    info = await js.stream_info("KV_KEYS")
    assert info.state.messages == 6


async def test_kv_keys_of_an_empty_bucket(js):
    kv = await js.create_key_value(bucket="NOKEYS")
    with pytest.raises(NoKeysError):
        await kv.keys()


async def test_kv_watch_with_and_without_history(js):
    kv = await js.create_key_value(bucket="WATCH", history=5)
    await kv.put("k", b"1")
    await kv.put("k", b"2")
    # include_history: every stored value, then the end-of-initial-values marker (None).
    w = await kv.watch("k", include_history=True)
    got = [await w.updates(timeout=5) for _ in range(3)]
    assert [e and e.value for e in got] == [b"1", b"2", None]
    await w.stop()
    # By default: the key's last value, the marker, then what is put after.
    w = await kv.watch("k")
    got = [await w.updates(timeout=5) for _ in range(2)]
    assert [e and e.value for e in got] == [b"2", None]
    await kv.put("k", b"3")
    e = await w.updates(timeout=5)
    assert (e.key, e.value, e.revision) == ("k", b"3", 3)
    await w.stop()


# --- more stream behaviour ---------------------------------------------------------------------


async def test_republish(js, nc):
    await js.add_stream(
        name="REPUB",
        subjects=["rp.*"],
        republish=api.RePublish(src="rp.>", dest="out.rp.>"),
    )
    sub = await nc.subscribe("out.rp.>")
    await nc.request("$JS.API.INFO", b"", timeout=5)  # the SUB is in place (DESIGN 7)
    await js.publish("rp.a", b"one", headers={"X": "1"})
    msg = await sub.next_msg(timeout=5)
    assert (msg.subject, msg.data) == ("out.rp.a", b"one")
    h = msg.headers
    assert (h["X"], h["Nats-Stream"], h["Nats-Subject"], h["Nats-Sequence"]) == (
        "1",
        "REPUB",
        "rp.a",
        "1",
    )
    assert h["Nats-Last-Sequence"] == "0"
    # Nats-Last-Sequence is the subject's previous sequence.
    await js.publish("rp.b", b"two")
    await js.publish("rp.a", b"three")
    got = [await sub.next_msg(timeout=5) for _ in range(2)]
    assert [(m.subject, m.headers["Nats-Last-Sequence"]) for m in got] == [
        ("out.rp.b", "0"),
        ("out.rp.a", "1"),
    ]


async def test_republish_headers_only(js, nc):
    await js.add_stream(
        name="REPUBH",
        subjects=["rph"],
        republish=api.RePublish(src="rph", dest="out.rph", headers_only=True),
    )
    sub = await nc.subscribe("out.rph")
    await nc.request("$JS.API.INFO", b"", timeout=5)
    await js.publish("rph", b"12345")
    msg = await sub.next_msg(timeout=5)
    assert (msg.data, msg.headers["Nats-Msg-Size"]) == (b"", "5")


async def test_interest_retention_without_consumers_keeps_nothing(js):
    await js.add_stream(name="INTEREST", subjects=["interest"], retention="interest")
    ack = await js.publish("interest", b"x")
    assert ack.seq == 1
    info = await js.stream_info("INTEREST")
    assert (info.state.messages, info.state.last_seq) == (0, 1)


async def test_workqueue_retention_without_consumers_keeps_messages(js):
    await js.add_stream(name="WQ", subjects=["wq.*"], retention="workqueue")
    for _ in range(2):
        await js.publish("wq.a", b"x")
    info = await js.stream_info("WQ")
    assert (info.config.retention, info.state.messages) == ("workqueue", 2)


async def test_max_bytes_discard_old(js):
    await js.add_stream(name="MAXB", subjects=["maxb"], max_bytes=100)
    for _ in range(5):
        await js.publish("maxb", b"x" * 10)  # 30 + 4 + 10 = 44 bytes each
    info = await js.stream_info("MAXB")
    assert (info.state.messages, info.state.bytes, info.state.first_seq) == (2, 88, 4)


async def test_an_invalid_rollup_is_refused(js, nc, kind):
    await js.add_stream(name="BADROLL", subjects=["badroll"], allow_rollup_hdrs=True)
    if kind == "fastnats":
        # Deliberate: nats-server 2.10 (which fastnats follows) drops it without a reply.
        with pytest.raises(nats.errors.TimeoutError):
            await nc.request("badroll", b"x", timeout=0.5, headers={"Nats-Rollup": "nope"})
    else:
        # 2.11+ answers with an error PubAck.
        msg = await nc.request("badroll", b"x", timeout=5, headers={"Nats-Rollup": "nope"})
        assert json.loads(msg.data)["error"] == {
            "code": 500,
            "err_code": 10111,
            "description": 'rollup value invalid: "nope"',
        }
    assert (await js.stream_info("BADROLL")).state.messages == 0


async def test_expected_last_sequence_zero_on_an_empty_stream(js):
    await js.add_stream(name="EXP0", subjects=["exp0"])
    ack = await js.publish("exp0", b"x", headers={"Nats-Expected-Last-Sequence": "0"})
    assert ack.seq == 1
    assert await api_error(
        js.publish("exp0", b"x", headers={"Nats-Expected-Last-Sequence": "0"})
    ) == (400, 10071, "wrong last sequence: 1")


async def test_purge_wildcard_filter_with_keep(js):
    await js.add_stream(name="PURGEW", subjects=["pw.>"])
    for subj in ("pw.a.1", "pw.a.2", "pw.a.1", "pw.b.1", "pw.a.2"):
        await js.publish(subj, b"x")
    assert await js.purge_stream("PURGEW", subject="pw.a.*", keep=1) is True
    info = await js.stream_info("PURGEW", subjects_filter=">")
    assert info.state.subjects == {"pw.a.2": 1, "pw.b.1": 1}


async def test_msg_get_next_by_wildcard_subject(js):
    await js.add_stream(name="NEXTW", subjects=["nw.>"])
    for subj in ("nw.a", "nw.b.c", "nw.a", "nw.b.d"):
        await js.publish(subj, subj.encode())
    msg = await js.get_msg("NEXTW", seq=2, subject="nw.b.*", next=True)
    assert (msg.seq, msg.subject) == (2, "nw.b.c")
    msg = await js.get_msg("NEXTW", seq=3, subject="nw.b.*", next=True)
    assert (msg.seq, msg.subject) == (4, "nw.b.d")
    assert await api_error(js.get_msg("NEXTW", seq=5, subject="nw.b.*", next=True)) == (
        404,
        10037,
        "no message found",
    )


async def test_delete_stream_removes_it_from_names(js, nc):
    await js.add_stream(name="GONE1", subjects=["gone1"])
    await js.publish("gone1", b"x")
    await js.delete_stream("GONE1")
    reply = await raw(nc, "$JS.API.STREAM.NAMES", {"subject": "gone1"})
    assert (reply["total"], reply["streams"]) == (0, None)
    with pytest.raises(NoStreamResponseError):
        await js.publish("gone1", b"x")
    info = await js.add_stream(name="GONE1", subjects=["gone1"])
    assert (info.state.messages, info.state.last_seq) == (0, 0)


async def test_kv_update_of_a_deleted_key_and_max_value_size(js):
    kv = await js.create_key_value(bucket="UPDDEL", history=2, max_value_size=100)
    rev = await kv.put("k", b"v")
    await kv.delete("k")
    assert await kv.update("k", b"back", last=rev + 1) == rev + 2
    assert await api_error(kv.put("k", b"x" * 101)) == (
        400,
        10054,
        "message size exceeds maximum allowed",
    )


async def test_update_into_an_overlap_and_away_from_a_subject(js):
    await js.add_stream(name="UPO1", subjects=["upo.a"])
    await js.add_stream(name="UPO2", subjects=["upo.b"])
    assert await api_error(js.update_stream(name="UPO2", subjects=["upo.*"])) == (
        400,
        10065,
        "subjects overlap with an existing stream",
    )
    await js.update_stream(name="UPO2", subjects=["upo.c"])
    with pytest.raises(NoStreamResponseError):
        await js.publish("upo.b", b"x")
    assert (await js.publish("upo.c", b"x")).stream == "UPO2"


async def test_dedup_survives_purge_and_delete(js):
    await js.add_stream(name="DEDUPP", subjects=["dedupp"])
    await js.publish("dedupp", b"x", headers={"Nats-Msg-Id": "a"})
    await js.publish("dedupp", b"x", headers={"Nats-Msg-Id": "b"})
    await js.delete_msg("DEDUPP", 2)
    again = await js.publish("dedupp", b"x", headers={"Nats-Msg-Id": "b"})
    assert (again.seq, again.duplicate) == (2, True)
    await js.purge_stream("DEDUPP")
    after = await js.publish("dedupp", b"x", headers={"Nats-Msg-Id": "a"})
    assert (after.seq, after.duplicate) == (1, True)


async def test_expected_last_msg_id_on_a_stream_without_ids(js):
    await js.add_stream(name="EXPID0", subjects=["expid0"])
    assert await api_error(
        js.publish("expid0", b"x", headers={"Nats-Expected-Last-Msg-Id": "a"})
    ) == (400, 10070, "wrong last msg ID: ")
    await js.publish("expid0", b"x")
    ok = await js.publish("expid0", b"x", headers={"Nats-Expected-Last-Msg-Id": ""})
    assert ok.seq == 2


async def test_no_ack_stream_does_not_answer(js, nc):
    await js.add_stream(name="NOACK", subjects=["noack"], no_ack=True)
    with pytest.raises(nats.errors.TimeoutError):
        await nc.request("noack", b"x", timeout=0.5)
    assert (await js.stream_info("NOACK")).state.messages == 1


async def test_last_by_subject_with_wildcards(js, nc):
    await js.add_stream(name="LASTW", subjects=["lw.>"], allow_direct=True)
    for subj in ("lw.a.1", "lw.b.1", "lw.a.2", "lw.b.2"):
        await js.publish(subj, subj.encode())
    msg = await js.get_last_msg("LASTW", "lw.a.*")
    assert (msg.seq, msg.subject) == (3, "lw.a.2")
    direct = await js.get_last_msg("LASTW", "lw.*.1", direct=True)
    assert (direct.seq, direct.subject) == (2, "lw.b.1")


async def test_header_only_message(js, nc):
    await js.add_stream(name="HONLY", subjects=["honly"], allow_direct=True)
    await js.publish("honly", b"", headers={"K": "v"})
    msg = await js.get_msg("HONLY", 1, direct=True)
    assert (msg.data, msg.headers["K"]) == (None, "v")  # nats-py's None for no payload
    raw_msg = await raw(nc, "$JS.API.STREAM.MSG.GET.HONLY", {"seq": 1})
    assert "data" not in raw_msg["message"] and "hdrs" in raw_msg["message"]


async def test_first_seq_update_is_kept_but_changes_nothing(js):
    await js.add_stream(name="FSEQ", subjects=["fseq"], first_seq=50)
    await js.publish("fseq", b"x")
    info = await js.update_stream(name="FSEQ", subjects=["fseq"], first_seq=10)
    assert (info.config.first_seq, info.state.first_seq, info.state.last_seq) == (10, 50, 50)
    await js.purge_stream("FSEQ")
    info = await js.stream_info("FSEQ")
    assert (info.state.first_seq, info.state.last_seq) == (51, 50)


async def test_discard_new_with_max_bytes_and_per_subject_old(js):
    await js.add_stream(
        name="MIXED", subjects=["mx.*"], max_msgs_per_subject=1, max_msgs=3, discard="new"
    )
    for subj in ("mx.a", "mx.a", "mx.b", "mx.c"):
        await js.publish(subj, b"x")
    info = await js.stream_info("MIXED", subjects_filter=">")
    assert info.state.subjects == {"mx.a": 1, "mx.b": 1, "mx.c": 1}
    # The per-subject limit still discards old messages of the subject.
    ack = await js.publish("mx.b", b"y")
    assert ack.seq == 5
    assert await api_error(js.publish("mx.d", b"x")) == (503, 10077, "maximum messages exceeded")


async def test_account_info_counts_streams(js):
    before = (await js.account_info()).streams
    await js.add_stream(name="ACC1", subjects=["acc1"])
    await js.add_stream(name="ACC2", subjects=["acc2"], storage="memory")
    await js.publish("acc2", b"12345")
    info = await js.account_info()
    assert info.streams == before + 2
    assert info.memory >= 16 + 4 + 5
    await js.delete_stream("ACC1")
    assert (await js.account_info()).streams == before + 1


async def test_stream_info_of_a_name_with_bad_characters(js, nc):
    reply = await raw(nc, "$JS.API.STREAM.INFO.NOPE", "")
    assert reply["error"] == {"code": 404, "err_code": 10059, "description": "stream not found"}
    assert reply["type"] == "io.nats.jetstream.api.v1.stream_info_response"


async def test_stream_info_subjects_paging(js, nc):
    await js.add_stream(name="SPAGE", subjects=["sp.*"])
    for subj in ("sp.c", "sp.a", "sp.b", "sp.a"):
        await js.publish(subj, b"x")
    info = await raw(nc, "$JS.API.STREAM.INFO.SPAGE", {"subjects_filter": ">"})
    assert (info["total"], info["offset"], info["limit"]) == (3, 0, 100_000)
    assert info["state"]["subjects"] == {"sp.a": 2, "sp.b": 1, "sp.c": 1}
    info = await raw(nc, "$JS.API.STREAM.INFO.SPAGE", {"subjects_filter": ">", "offset": 1})
    assert (info["total"], info["offset"]) == (3, 1)
    assert info["state"]["subjects"] == {"sp.b": 1, "sp.c": 1}
    info = await raw(nc, "$JS.API.STREAM.INFO.SPAGE", {"subjects_filter": ">", "offset": 7})
    assert (info["total"], info["offset"]) == (3, 7)
    assert "subjects" not in info["state"]
    info = await raw(nc, "$JS.API.STREAM.INFO.SPAGE", {"subjects_filter": "zz"})
    assert (info["total"], info["offset"], info["limit"]) == (0, 0, 0)
    assert "subjects" not in info["state"]
    info = await raw(nc, "$JS.API.STREAM.INFO.SPAGE", "")
    assert (info["total"], info["offset"], info["limit"]) == (0, 0, 0)


async def test_purge_edges(js, nc):
    await js.add_stream(name="PEDGE", subjects=["pe.*"])
    for _ in range(3):
        await js.publish("pe.a", b"x")
    reply = await raw(nc, "$JS.API.STREAM.PURGE.PEDGE", {"filter": "pe.zzz"})
    assert (reply["success"], reply["purged"]) == (True, 0)
    reply = await raw(nc, "$JS.API.STREAM.PURGE.PEDGE", {"keep": 10})
    assert (reply["success"], reply["purged"]) == (True, 0)
    reply = await raw(nc, "$JS.API.STREAM.PURGE.PEDGE", {"seq": 10})
    assert (reply["success"], reply["purged"]) == (True, 3)
    info = await js.stream_info("PEDGE")
    assert (info.state.messages, info.state.first_seq, info.state.last_seq) == (0, 10, 9)
    assert (await js.publish("pe.a", b"x")).seq == 10


async def test_create_without_a_name_in_the_body(nc):
    reply = await raw(nc, "$JS.API.STREAM.CREATE.NONAME", {"subjects": ["noname"]})
    assert reply == {
        "type": "io.nats.jetstream.api.v1.stream_create_response",
        "error": {
            "code": 400,
            "err_code": 10056,
            "description": "stream name in subject does not match request",
        },
    }


async def test_delete_with_a_body_and_no_erase(js, nc):
    await js.add_stream(name="DELB", subjects=["delb"])
    await js.publish("delb", b"x")
    await js.publish("delb", b"x")
    reply = await raw(nc, "$JS.API.STREAM.MSG.DELETE.DELB", {"seq": 1, "no_erase": True})
    assert reply == {"type": "io.nats.jetstream.api.v1.stream_msg_delete_response", "success": True}
    reply = await raw(nc, "$JS.API.STREAM.DELETE.DELB", {"x": 1})
    assert reply["error"] == {
        "code": 400,
        "err_code": 10038,
        "description": "expected an empty request payload",
    }
    assert (await js.stream_info("DELB")).state.messages == 1


async def test_header_checks_order_and_bad_values(js, kind):
    await js.add_stream(name="ORDER", subjects=["order"])
    await js.publish("order", b"x", headers={"Nats-Msg-Id": "a"})
    hdrs = {"Nats-Msg-Id": "a", "Nats-Expected-Last-Sequence": "99"}
    if kind == "fastnats":
        # Deliberate (nats-server 2.10's order): a duplicate is acknowledged as such before
        # the expected sequences are checked.
        dup = await js.publish("order", b"x", headers=hdrs)
        assert (dup.seq, dup.duplicate) == (1, True)
    else:
        # 2.11+ checks the expected sequences first.
        assert await api_error(js.publish("order", b"x", headers=hdrs)) == (
            400,
            10071,
            "wrong last sequence: 1",
        )
    bad = await api_error(js.publish("order", b"x", headers={"Nats-Expected-Last-Sequence": "x"}))
    assert bad == (400, 10071, "wrong last sequence: 1")
    assert await api_error(
        js.publish(
            "order",
            b"x",
            headers={"Nats-Expected-Stream": "OTHER", "Nats-Expected-Last-Sequence": "5"},
        )
    ) == (400, 10060, "expected stream does not match")
    assert (await js.stream_info("ORDER")).state.messages == 1


async def test_subject_transform(js):
    await js.add_stream(
        name="XFORM",
        subjects=["xf.*.*"],
        subject_transform=api.SubjectTransform(
            src="xf.*.*", dest="tr.{{wildcard(2)}}.{{wildcard(1)}}"
        ),
    )
    ack = await js.publish("xf.a.b", b"x")
    assert (ack.stream, ack.seq) == ("XFORM", 1)
    msg = await js.get_msg("XFORM", 1)
    assert msg.subject == "tr.b.a"
    info = await js.stream_info("XFORM", subjects_filter=">")
    assert info.state.subjects == {"tr.b.a": 1}
