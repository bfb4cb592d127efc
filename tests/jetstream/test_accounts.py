"""JetStream in several accounts, side by side with nats-server: which accounts get it (those
whose config enables it; ``$G`` alone when no other account is configured), each account's
streams kept apart (same names, publishes, store directories, a restart), the answers of an
account without JetStream and of the system account, account limits, and the configs that
stop the server from starting.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import nats
import pytest

from ..accounts import jwtgen
from ..conftest import start_fastnats_server
from ..dropin.procs import kinds, run, served

pytestmark = pytest.mark.timeout(90)

NOT_ENABLED = {"code": 503, "err_code": 10039, "description": "JetStream not enabled for account"}
API = "io.nats.jetstream.api.v1."
UNLIMITED = jwtgen.UNLIMITED_ACCOUNT


def _conf(tmp_path: Path, a: str = "", b: str = "", s: str = "", extra: str = "") -> Path:
    """Accounts A, B and SYS (the system account), users a/a, b/b, s/s; JetStream on with a
    store in ``tmp_path`` and 1 MB memory, 10 MB file storage."""
    conf = tmp_path / "server.conf"
    conf.write_text(
        f"jetstream {{store_dir: {json.dumps(str(tmp_path))}, max_mem: 1MB, max_file: 10MB}}\n"
        "accounts {\n"
        f"  A {{ {a}\n users [{{user: a, password: a}}] }}\n"
        f"  B {{ {b}\n users [{{user: b, password: b}}] }}\n"
        f"  SYS {{ {s}\n users [{{user: s, password: s}}] }}\n"
        "}\n"
        "system_account: SYS\n" + extra
    )
    return conf


def _args(conf: Path) -> tuple[str, ...]:
    return ("-a", "127.0.0.1", "-p", "-1", "-c", str(conf))


async def _connect(port: int, user: str) -> Any:
    return await nats.connect(f"nats://127.0.0.1:{port}", user=user, password=user)


async def _request(port: int, user: str, subject: str, body: bytes = b"") -> Any:
    """The decoded JSON answer, or the name of the exception (no responders, timeout)."""
    nc = await _connect(port, user)
    try:
        msg = await nc.request(subject, body, timeout=1)
        return json.loads(msg.data)
    except Exception as e:  # noqa: BLE001 - the kind of failure is the answer
        return type(e).__name__
    finally:
        await nc.close()


@pytest.mark.parametrize("kind", kinds())
def test_accounts_keep_their_streams_apart_and_across_a_restart(kind, tmp_path):
    conf = _conf(tmp_path, a="jetstream: enabled", b="jetstream: {max_streams: 5}")

    async def fill(port: int) -> None:
        for user, payloads in (("a", [b"1", b"2"]), ("b", [b"x"])):
            nc = await _connect(port, user)
            js = nc.jetstream()
            await js.add_stream(name="S", subjects=["s.>"])
            for p in payloads:
                ack = await js.publish("s.x", p)
                assert ack.stream == "S"
            await js.add_consumer("S", durable_name=f"D{user}")
            await nc.close()

    async def check(port: int) -> None:
        for user, count, last in (("a", 2, b"2"), ("b", 1, b"x")):
            nc = await _connect(port, user)
            js = nc.jetstream()
            info = await js.stream_info("S")
            assert info.state.messages == count
            assert (await js.get_last_msg("S", "s.x")).data == last
            assert [c.name for c in await js.consumers_info("S")] == [f"D{user}"]
            await nc.close()

    with served(*_args(conf), kind=kind) as s:
        asyncio.run(fill(s.port))
        asyncio.run(check(s.port))
        info_a = asyncio.run(_request(s.port, "a", "$JS.API.INFO"))
        info_b = asyncio.run(_request(s.port, "b", "$JS.API.INFO"))
        assert (info_a["streams"], info_a["consumers"]) == (1, 1)
        assert info_a["limits"]["max_streams"] == -1
        assert info_b["limits"]["max_streams"] == 5
        s.stop()
    for account in ("A", "B"):
        assert (tmp_path / "jetstream" / account / "streams" / "S").is_dir()
    assert not (tmp_path / "jetstream" / "$G").exists()
    with served(*_args(conf), kind=kind) as s:
        for account in ("A", "B"):
            s.log.find(rf"Starting restore for stream '{account} > S'$")
        s.log.find(r"Restored 2 messages for stream 'A > S' in \d")
        s.log.find(r"Restored 1 messages for stream 'B > S' in \d")
        asyncio.run(check(s.port))
        s.stop()


# The answers of an account without JetStream: each endpoint's own type, with the zero
# body nats-server writes.
NOT_ENABLED_ANSWERS: list[tuple[str, Any]] = [
    ("$JS.API.INFO", {"type": API + "account_info_response"}),
    ("$JS.API.STREAM.CREATE.S", {"type": API + "stream_create_response"}),
    ("$JS.API.STREAM.UPDATE.S", {"type": API + "stream_update_response"}),
    ("$JS.API.STREAM.DELETE.S", {"type": API + "stream_delete_response"}),
    (
        "$JS.API.STREAM.INFO.S",
        {"type": API + "stream_info_response", "total": 0, "offset": 0, "limit": 0},
    ),
    ("$JS.API.STREAM.PURGE.S", {"type": API + "stream_purge_response", "purged": 0}),
    (
        "$JS.API.STREAM.NAMES",
        {
            "type": API + "stream_names_response",
            "total": 0,
            "offset": 0,
            "limit": 0,
            "streams": None,
        },
    ),
    (
        "$JS.API.STREAM.LIST",
        {"type": API + "stream_list_response", "total": 0, "offset": 0, "limit": 0, "streams": []},
    ),
    ("$JS.API.STREAM.MSG.GET.S", {"type": API + "stream_msg_get_response"}),
    ("$JS.API.STREAM.MSG.DELETE.S", {"type": API + "stream_msg_delete_response"}),
    ("$JS.API.CONSUMER.CREATE.S", {"type": API + "consumer_create_response"}),
    ("$JS.API.CONSUMER.DURABLE.CREATE.S.C", {"type": API + "consumer_create_response"}),
    ("$JS.API.CONSUMER.INFO.S.C", {"type": API + "consumer_info_response"}),
    ("$JS.API.CONSUMER.DELETE.S.C", {"type": API + "consumer_delete_response"}),
    (
        "$JS.API.CONSUMER.NAMES.S",
        {
            "type": API + "consumer_names_response",
            "total": 0,
            "offset": 0,
            "limit": 0,
            "consumers": [],
        },
    ),
    (
        "$JS.API.CONSUMER.LIST.S",
        {
            "type": API + "consumer_list_response",
            "total": 0,
            "offset": 0,
            "limit": 0,
            "consumers": [],
        },
    ),
    ("$JS.API.DIRECT.GET.S", "NoRespondersError"),
    ("$JS.API.CONSUMER.MSG.NEXT.S.C", "NoRespondersError"),
    # An unknown endpoint: no answer on nats-server (a timeout), no responders on fastnats
    # (as in an account with JetStream); not compared.
]


def _with_error(expected: Any) -> Any:
    if isinstance(expected, str):
        return expected
    return {"type": expected["type"], "error": NOT_ENABLED} | {
        k: v for k, v in expected.items() if k != "type"
    }


@pytest.mark.parametrize("kind", kinds())
def test_an_account_without_jetstream_and_the_system_account(kind, tmp_path):
    conf = _conf(tmp_path, a="jetstream: enabled")
    with served(*_args(conf), kind=kind) as s:
        for subject, expected in NOT_ENABLED_ANSWERS:
            got = asyncio.run(_request(s.port, "b", subject, b"{}"))
            assert got == _with_error(expected), subject
        # The system account: 10039 on every subject, as system_response but for INFO.
        system = {"type": API + "system_response", "error": NOT_ENABLED}
        for subject in ("$JS.API.STREAM.NAMES", "$JS.API.DIRECT.GET.S", "$JS.API.NO.SUCH"):
            assert asyncio.run(_request(s.port, "s", subject)) == system, subject
        info = asyncio.run(_request(s.port, "s", "$JS.API.INFO"))
        assert info == {"type": API + "account_info_response", "error": NOT_ENABLED}
        # A's JetStream answers.
        assert asyncio.run(_request(s.port, "a", "$JS.API.STREAM.NAMES"))["total"] == 0
        s.stop()


@pytest.mark.parametrize("kind", kinds())
def test_no_account_has_jetstream_when_none_enables_it(kind, tmp_path):
    conf = _conf(tmp_path, extra="authorization { users [{user: g, password: g}] }\n")
    expected = {"type": API + "account_info_response", "error": NOT_ENABLED}
    with served(*_args(conf), kind=kind) as s:
        for user in ("a", "b", "g", "s"):
            assert asyncio.run(_request(s.port, user, "$JS.API.INFO")) == expected, user
        s.stop()


def _error(answer: Any) -> tuple[int, int, str]:
    e = answer["error"]
    return e["code"], e["err_code"], e["description"]


@pytest.mark.parametrize("kind", kinds())
def test_account_limits(kind, tmp_path):
    limits = (
        "jetstream: {max_mem: 4KB, max_file: 2KB, max_streams: 2, max_consumers: 1, "
        "max_ack_pending: 7}"
    )
    conf = _conf(tmp_path, a=limits, b="jetstream: {max_bytes_required: true}")

    def create(port: int, user: str, cfg: dict[str, Any]) -> Any:
        body = json.dumps(cfg).encode()
        return asyncio.run(_request(port, user, f"$JS.API.STREAM.CREATE.{cfg['name']}", body))

    with served(*_args(conf), kind=kind) as s:
        info = asyncio.run(_request(s.port, "a", "$JS.API.INFO"))
        assert info["limits"] == {
            "max_memory": 4096,
            "max_storage": 2048,
            "max_streams": 2,
            "max_consumers": 1,
            "max_ack_pending": 7,
            "memory_max_stream_bytes": -1,
            "storage_max_stream_bytes": -1,
            "max_bytes_required": False,
        }
        # Stream max_bytes past the account's storage: 10047; memory: 10028.
        big = {"name": "BIG", "subjects": ["big"], "max_bytes": 4096}
        assert _error(create(s.port, "a", big)) == (
            500,
            10047,
            "insufficient storage resources available",
        )
        big_mem = {**big, "storage": "memory", "max_bytes": 8192}
        assert _error(create(s.port, "a", big_mem)) == (
            500,
            10028,
            "insufficient memory resources available",
        )
        # A stream's max_consumers above the account's.
        many = {"name": "MANY", "subjects": ["many"], "max_consumers": 2}
        assert _error(create(s.port, "a", many)) == (400, 10026, "maximum consumers limit reached")
        assert "error" not in create(s.port, "a", {"name": "S1", "subjects": ["s1"]})
        assert "error" not in create(s.port, "a", {"name": "S2", "subjects": ["s2"]})
        # The stream count is checked before the config.
        assert _error(create(s.port, "a", {"name": "S3", "subjects": ["s2"]})) == (
            400,
            10027,
            "maximum number of streams reached",
        )
        # Re-creating an existing stream is not a new one.
        assert "error" not in create(s.port, "a", {"name": "S1", "subjects": ["s1"]})

        async def consumers_and_publish() -> None:
            nc = await _connect(s.port, "a")
            js = nc.jetstream()
            await js.add_consumer("S1", durable_name="C1")
            with pytest.raises(nats.js.errors.BadRequestError) as err:
                await js.add_consumer("S1", durable_name="C2")
            assert (err.value.err_code, err.value.description) == (
                10026,
                "maximum consumers limit reached",
            )
            # Past the account's 2 KB of file storage: 10002.
            codes = []
            for _ in range(40):
                try:
                    await js.publish("s1", b"x" * 100)
                except nats.js.errors.APIError as e:
                    codes.append((e.code, e.err_code, e.description))
                    break
            assert codes == [(400, 10002, "resource limits exceeded for account")]
            await nc.close()

        asyncio.run(consumers_and_publish())
        # B requires max_bytes.
        assert _error(create(s.port, "b", {"name": "N", "subjects": ["n"]})) == (
            400,
            10113,
            "account requires a stream config to have max bytes set",
        )
        assert "error" not in create(s.port, "b", {"name": "N", "subjects": ["n"], "max_bytes": 9})
        s.stop()


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        (
            {"a": "jetstream: enabled", "s": "jetstream: enabled"},
            "[FTL] Not allowed to enable JetStream on the system account",
        ),
        (
            {"a": "jetstream: {max_mem: 2MB}"},
            "[FTL] Can't start JetStream: Error enabling jetstream on configured accounts: "
            "insufficient memory resources available (10028)",
        ),
        (
            {"a": "jetstream: {max_file: 6MB}", "b": "jetstream: {max_file: 6MB}"},
            "[FTL] Can't start JetStream: Error enabling jetstream on configured accounts: "
            "insufficient storage resources available (10047)",
        ),
    ],
)
@pytest.mark.parametrize("kind", kinds())
def test_configs_that_stop_the_server(kind, tmp_path, accounts, message):
    conf = _conf(tmp_path, **accounts)
    assert run("-t", "-c", str(conf), kind=kind).returncode == 0  # -t does not see it
    r = run(*_args(conf), kind=kind)
    assert r.returncode == 1
    assert message in r.stderr


def _get(port: int, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("kind", kinds())
def test_monitoring_lists_each_account(kind, tmp_path):
    conf = _conf(tmp_path, a="jetstream: enabled", b="jetstream: {max_mem: 512KB}")

    async def fill(port: int) -> None:
        for user, storage in (("a", "file"), ("b", "memory")):
            nc = await _connect(port, user)
            js = nc.jetstream()
            await js.add_stream(name="S", subjects=["s"], storage=storage)
            await js.publish("s", b"hello")
            await nc.close()

    with served(*_args(conf), "-m", "-1", kind=kind) as s:
        monitor = int(s.log.find(r"Starting http monitor on \S+:(\d+)$")[1])
        asyncio.run(fill(s.port))
        status, jsz = _get(monitor, "/jsz?accounts=true")
        assert status == 200
        assert (jsz["accounts"], jsz["streams"], jsz["messages"]) == (2, 2, 2)
        details = {d["name"]: d for d in jsz["account_details"]}
        assert sorted(details) == ["A", "B"]
        assert (details["A"]["memory"], details["B"]["storage"]) == (0, 0)
        assert details["A"]["storage"] > 0 and details["B"]["memory"] > 0
        assert details["A"]["reserved_memory"] == 2**64 - 1
        assert details["B"]["reserved_memory"] == 512 * 1024
        # (nats-server looks for file streams only: B's memory stream is not found.)
        assert _get(monitor, "/healthz?account=A&stream=S") == (200, {"status": "ok"})
        assert _get(monitor, "/healthz?account=SYS") == (
            404,
            {"status": "unavailable", "error": 'JetStream account "SYS" not found'},
        )
        for account, enabled in (("A", True), ("SYS", False)):
            _, accountz = _get(monitor, f"/accountz?acc={account}")
            assert accountz["account_detail"]["jetstream_enabled"] is enabled
        s.stop()


@pytest.mark.parametrize("kind", kinds())
def test_operator_mode_serves_accounts_whose_jwt_has_jetstream_limits(kind, tmp_path):
    conf = _operator_conf(tmp_path, system=True)
    creds = {}
    for label, account in (("on", JS_ON), ("off", JS_OFF)):
        user = jwtgen.key("user", f"js-{label}")
        token = jwtgen.user_jwt(user, account, label)
        creds[label] = jwtgen.write_creds(tmp_path, token, user.seed)

    async def info(port: int, label: str) -> Any:
        nc = await nats.connect(f"nats://127.0.0.1:{port}", user_credentials=creds[label])
        try:
            return json.loads((await nc.request("$JS.API.INFO", b"", timeout=1)).data)
        finally:
            await nc.close()

    with served(*_args(conf), kind=kind) as s:
        on = asyncio.run(info(s.port, "on"))
        assert on["limits"] == {
            "max_memory": -1,
            "max_storage": 1024 * 1024,
            "max_streams": 2,
            "max_consumers": -1,
            "max_ack_pending": -1,
            "memory_max_stream_bytes": -1,
            "storage_max_stream_bytes": -1,
            "max_bytes_required": False,
        }
        off = asyncio.run(info(s.port, "off"))
        assert off == {"type": API + "account_info_response", "error": NOT_ENABLED}
        s.stop()


JS_OP = jwtgen.key("operator", "js-op")
JS_ON = jwtgen.key("account", "js-on")
JS_OFF = jwtgen.key("account", "js-off")
JS_SYS = jwtgen.key("account", "js-sys")


def _operator_conf(tmp_path: Path, *, system: bool) -> Path:
    """Operator mode (MEMORY resolver) with account "on" (JWT JetStream limits: unlimited
    memory, 1 MiB disk, 2 streams) and "off" (none), and with ``system`` a system account."""
    js_limits = {"mem_storage": -1, "disk_storage": 1024 * 1024, "streams": 2, "consumer": -1}
    accounts = [
        (JS_ON, jwtgen.account_jwt(JS_ON, JS_OP, "on", limits={**UNLIMITED, **js_limits})),
        (JS_OFF, jwtgen.account_jwt(JS_OFF, JS_OP, "off")),
    ]
    extra = {}
    if system:
        accounts.append((JS_SYS, jwtgen.account_jwt(JS_SYS, JS_OP, "SYS")))
        extra["system_account"] = JS_SYS.public
    operator = jwtgen.operator_jwt(JS_OP, "js-op", **extra)
    (tmp_path / "op.jwt").write_text(jwtgen.decorate(operator, "operator"))
    conf = tmp_path / "server.conf"
    conf.write_text(
        f'operator: "{tmp_path / "op.jwt"}"\nresolver: MEMORY\nresolver_preload: {{\n'
        + "".join(f'  {k.public}: "{token}"\n' for k, token in accounts)
        + f"}}\njetstream {{store_dir: {json.dumps(str(tmp_path))}}}\n"
    )
    return conf


@pytest.mark.parametrize("kind", kinds())
def test_operator_mode_without_a_system_account_stops_jetstream(kind, tmp_path):
    r = run(*_args(_operator_conf(tmp_path, system=False)), kind=kind)
    assert r.returncode == 1
    assert (
        "[FTL] Can't start JetStream: setting up internal jetstream subscriptions failed: "
        "system account not setup"
    ) in r.stderr


@pytest.mark.parametrize("kind", kinds())
def test_per_stream_bytes_and_max_ack_pending_limits(kind, tmp_path):
    limits = "jetstream: {max_ack_pending: 7, mem_max_stream_bytes: 1000}"
    conf = _conf(tmp_path, a=limits)

    def ask(port: int, subject: str, body: dict[str, Any]) -> Any:
        return asyncio.run(_request(port, "a", subject, json.dumps(body).encode()))

    with served(*_args(conf), kind=kind) as s:
        mem = {"name": "M", "subjects": ["m"], "storage": "memory", "max_bytes": 2000}
        assert _error(ask(s.port, "$JS.API.STREAM.CREATE.M", mem)) == (
            400,
            10122,
            "stream max bytes exceeds account limit max stream bytes",
        )
        del mem["max_bytes"]
        assert ask(s.port, "$JS.API.STREAM.CREATE.M", mem)["config"]["max_bytes"] == -1
        cfg: dict[str, Any] = {"ack_policy": "explicit", "max_ack_pending": 8}
        create = "$JS.API.CONSUMER.CREATE.M"
        assert _error(ask(s.port, create, {"stream_name": "M", "config": cfg})) == (
            400,
            10121,
            "consumer max ack pending exceeds system limit of 7",
        )
        del cfg["max_ack_pending"]
        answer = ask(s.port, create, {"stream_name": "M", "config": cfg})
        assert answer["config"]["max_ack_pending"] == 7
        s.stop()


def test_embedded_account_jetstream_options(tmp_path):
    srv = start_fastnats_server(
        accounts={
            "A": {"users": [{"user": "a", "password": "a"}], "jetstream": True},
            "B": {"users": [{"user": "b", "password": "b"}], "jetstream": {"max_streams": 3}},
            "C": {"users": [{"user": "c", "password": "c"}], "jetstream": False},
        },
        jetstream={"store_dir": str(tmp_path)},
    )
    try:
        a = asyncio.run(_request(srv.port, "a", "$JS.API.INFO"))
        b = asyncio.run(_request(srv.port, "b", "$JS.API.INFO"))
        c = asyncio.run(_request(srv.port, "c", "$JS.API.INFO"))
        assert (a["limits"]["max_streams"], b["limits"]["max_streams"]) == (-1, 3)
        assert c["error"] == NOT_ENABLED
    finally:
        srv.stop()
    with pytest.raises(ValueError, match=r"accounts\.A\.jetstream: unknown key \"max_stream\""):
        start_fastnats_server(
            accounts={"A": {"jetstream": {"max_stream": 3}}}, jetstream={"store_dir": str(tmp_path)}
        )


def test_a_reload_that_changes_the_jetstream_accounts_is_refused(tmp_path):
    user = {"user": "a", "password": "a"}
    accounts = {"A": {"users": [user], "jetstream": True}, "B": {}}
    srv = start_fastnats_server(accounts=accounts, jetstream={"store_dir": str(tmp_path)})
    try:
        srv.reload(accounts={**accounts, "C": {}})  # no change to who has JetStream
        changed = {**accounts, "B": {"jetstream": {"max_streams": 1}}}
        with pytest.raises(
            ValueError,
            match=r"config reload not supported for JetStream accounts: old=\[A\], new=\[A B\]",
        ):
            srv.reload(accounts=changed)
        assert asyncio.run(_request(srv.port, "a", "$JS.API.INFO"))["streams"] == 0
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", kinds())
def test_streams_reserve_their_max_bytes(kind, tmp_path):
    """Against the account's limits and, over every account, the server's (1 MB of memory
    here); account info and /jsz show what is reserved."""
    conf = _conf(tmp_path, a="jetstream: enabled", b="jetstream: enabled")

    def create(port: int, user: str, name: str, max_bytes: int) -> Any:
        cfg = {"name": name, "subjects": [name], "storage": "memory", "max_bytes": max_bytes}
        body = json.dumps(cfg).encode()
        return asyncio.run(_request(port, user, f"$JS.API.STREAM.CREATE.{name}", body))

    with served(*_args(conf), "-m", "-1", kind=kind) as s:
        monitor = int(s.log.find(r"Starting http monitor on \S+:(\d+)$")[1])
        assert "error" not in create(s.port, "a", "X", 600 * 1024)
        info = asyncio.run(_request(s.port, "a", "$JS.API.INFO"))
        assert (info["reserved_memory"], info["reserved_storage"]) == (600 * 1024, 0)
        assert _error(create(s.port, "b", "Y", 600 * 1024)) == (
            500,
            10028,
            "insufficient memory resources available",
        )
        assert "error" not in create(s.port, "b", "Y", 400 * 1024)
        _, jsz = _get(monitor, "/jsz")
        assert (jsz["reserved_memory"], jsz["reserved_storage"]) == (1000 * 1024, 0)
        s.stop()


@pytest.mark.parametrize("kind", kinds())
def test_an_update_reserves_what_a_larger_max_bytes_adds(kind, tmp_path):
    conf = _conf(tmp_path, a="jetstream: {max_mem: 4KB}", b="jetstream: enabled")

    def send(port: int, user: str, verb: str, name: str, max_bytes: int) -> Any:
        cfg = {"name": name, "subjects": [name], "storage": "memory", "max_bytes": max_bytes}
        body = json.dumps(cfg).encode()
        return asyncio.run(_request(port, user, f"$JS.API.STREAM.{verb}.{name}", body))

    memory = (500, 10028, "insufficient memory resources available")
    with served(*_args(conf), kind=kind) as s:
        assert "error" not in send(s.port, "a", "CREATE", "X", 3000)
        assert "error" not in send(s.port, "a", "UPDATE", "X", 4096)
        assert _error(send(s.port, "a", "UPDATE", "X", 4097)) == memory
        assert "error" not in send(s.port, "a", "UPDATE", "X", 1000)
        # The server's 1 MB: B's stream grows past what is left beside A's.
        assert "error" not in send(s.port, "b", "CREATE", "Y", 600 * 1024)
        assert _error(send(s.port, "b", "UPDATE", "Y", 1024 * 1024)) == memory
        assert "error" not in send(s.port, "b", "UPDATE", "Y", 1024 * 1024 - 1000)
        s.stop()
