"""The system account's monitoring requests, answered as nats-server answers them.

nats-server serves its monitoring documents on the system account too:
``$SYS.REQ.SERVER.PING`` (statsz, from every server), ``$SYS.REQ.SERVER.PING.<Z>`` and
``$SYS.REQ.SERVER.<server id>.<Z>`` for ``VARZ``, ``CONNZ``, ``ROUTEZ``, ``LEAFZ``, ``SUBSZ``,
``HEALTHZ``, ``STATSZ``, ``IDZ``, ``ACCOUNTZ``, ``JSZ``, and
``$SYS.REQ.ACCOUNT.<account>.CONNZ`` / ``.LEAFZ`` / ``.SUBSZ`` / ``.STATZ`` / ``.INFO`` for
one account (every account reaches its own through the imports the engine gives it);
``$SYS.REQ.ACCOUNT.PING.STATZ`` for every account with connections. A reply is
``{"server": {...}, "data": <the document>}`` (``IDZ``: the document alone;
``$SYS.REQ.SERVER.PING``: ``{"server", "statsz"}``); a request body is the endpoint's
options as JSON plus nats-server's server filters (``server_name``, ``host``, ``cluster``,
``tags``, ``domain``): a server they do not select stays silent.

The documents are the monitoring endpoints' (:mod:`fastnats.monitor`, imported on the first
request). The handlers are in-process subscriptions in the system account: they run on a
server thread, never on the message path.

``$SYS.SERVER.<server id>.STATSZ``: the same statsz, published periodically as nats-server's
heartbeat does it: first after :data:`STATSZ_FIRST` seconds, then at doubling intervals up to
:data:`STATSZ_INTERVAL`, each time only when something in the system account subscribes to it
(the engine says so without building anything). A daemon thread started and stopped with the
services waits between ticks; the network threads never wait for it.

The engine itself serves ``$SYS.REQ.USER.INFO`` and ``$SYS.REQ.ACCOUNT.<account>.CONNS``, and
publishes the connect/disconnect and account connection events.
"""

from __future__ import annotations

import os
import threading

from . import _fastnats, logs
from .services import Msg, batch_callback

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .monitor import Monitor

__all__ = ["STATSZ_FIRST", "STATSZ_INTERVAL", "SystemServices"]

# nats-server's statsz heartbeat: the first after 250 ms, doubling up to `statsHBInterval`.
STATSZ_FIRST = 0.25
STATSZ_INTERVAL = 10.0

_SERVER_Z = frozenset(
    {"VARZ", "CONNZ", "ROUTEZ", "LEAFZ", "SUBSZ", "HEALTHZ", "STATSZ", "IDZ", "ACCOUNTZ", "JSZ"}
)
_ACCOUNT_Z = frozenset({"CONNZ", "LEAFZ", "SUBSZ", "STATZ", "INFO"})
# nats-server's ConnState: the `state` option of a CONNZ request.
_CONN_STATES = {0: "open", 1: "closed", 2: "all"}


class SystemServices:
    """The monitoring requests of one server's system account (see the module doc)."""

    def __init__(
        self,
        native: _fastnats.NativeServer,
        monitor: Callable[[], Monitor],
        statsz_first: float | None = None,
        statsz_interval: float | None = None,
    ) -> None:
        self._native = native
        self._monitor = monitor
        self._subs: list[_fastnats.NativeSubscription] = []
        self._statsz_first = STATSZ_FIRST if statsz_first is None else statsz_first
        self._statsz_interval = STATSZ_INTERVAL if statsz_interval is None else statsz_interval
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def start(self) -> None:
        """Subscribes the handlers (the server is running and has a system account)."""
        callback = batch_callback(self._handle, _call, self._native.publish_system)
        server_id = self._native.server_id
        for subject in (
            "$SYS.REQ.SERVER.PING",
            "$SYS.REQ.SERVER.PING.*",
            f"$SYS.REQ.SERVER.{server_id}.*",
            "$SYS.REQ.ACCOUNT.*.*",
        ):
            self._subs.append(self._native.subscribe_system(subject, callback))
        self._stopping.clear()
        self._heartbeat = threading.Thread(
            target=self._statsz_heartbeat, name="fastnats-statsz", daemon=True
        )
        self._heartbeat.start()

    def stop(self) -> None:
        self._stopping.set()
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None and heartbeat is not threading.current_thread():
            heartbeat.join()
        subs, self._subs = self._subs, []
        for sub in subs:
            sub.unsubscribe()

    # the statsz heartbeat -----------------------------------------------------------------
    def _statsz_heartbeat(self) -> None:
        subject = f"$SYS.SERVER.{self._native.server_id}.STATSZ"
        delay = self._statsz_first
        while not self._stopping.wait(delay):
            delay = min(delay * 2, self._statsz_interval)
            try:
                if self._native.system_interest(subject):
                    body = self._reply("statsz", _statsz(self._monitor()))
                    self._native.publish_system(subject, body)
            except RuntimeError:
                return  # the server stopped
            except Exception:  # noqa: BLE001 - one failed tick must not end the heartbeat
                logs.logger("fastnats.system").exception("statsz heartbeat failed")

    # one request ---------------------------------------------------------------------------
    def _handle(self, msg: Msg) -> bytes | None:
        if not msg.reply:
            return None
        tokens = msg.subject.split(".")
        if len(tokens) == 4:  # $SYS.REQ.SERVER.PING
            return self._answer(msg.data, "STATSZ", None, envelope="statsz")
        if len(tokens) != 5:
            return None
        scope, target, z = tokens[2], tokens[3], tokens[4]
        if scope == "SERVER" and z in _SERVER_Z:
            return self._answer(msg.data, z, None)
        if scope == "ACCOUNT" and target == "PING" and z == "STATZ":
            return self._answer(msg.data, "STATZ", None)
        if scope == "ACCOUNT" and target != "PING" and z in _ACCOUNT_Z:
            return self._answer(msg.data, z, target)
        return None  # (CONNS: the engine answers)

    def _answer(
        self, body: bytes, z: str, account: str | None, envelope: str = "data"
    ) -> bytes | None:
        options: dict[str, Any] = {}
        if body.strip():
            import json

            try:
                options = json.loads(body)
                if not isinstance(options, dict):
                    raise ValueError("options must be a JSON object")
            except ValueError as e:
                return self._reply("error", {"code": 400, "description": str(e)})
            if self._filtered_out(options):
                return None
        if z == "IDZ":
            info = self._native.system_server_info() or {}
            return _encode({k: info.get(k, "") for k in ("name", "host", "id")})
        try:
            document = self._document(z, options, account)
        except Exception as e:  # noqa: BLE001 - reported to the requester, as nats-server does
            return self._reply("error", {"code": 500, "description": str(e)})
        if document is None:  # nothing to report: nats-server stays silent
            return None
        return self._reply(envelope, document)

    def _filtered_out(self, options: dict[str, Any]) -> bool:
        """nats-server's ``filterRequest``: whether the server filters do not select us."""
        info = self._native.system_server_info() or {}
        name = options.get("server_name") or ""
        host = options.get("host") or ""
        return bool(
            (name and name not in info.get("name", ""))
            or (host and host not in info.get("host", ""))
            or (options.get("cluster") and not self._in_cluster(options["cluster"]))
            or options.get("domain")
            or options.get("tags")
        )

    def _in_cluster(self, wanted: Any) -> bool:
        """nats-server's cluster filter: the cluster's name contains ``wanted``."""
        if self._native.config().get("cluster") is None:
            return False  # no cluster name
        name = self._native.cluster_name()
        return isinstance(wanted, str) and name is not None and wanted in name

    def _document(self, z: str, options: dict[str, Any], account: str | None) -> Any:
        monitor = self._monitor()
        if z == "VARZ":
            return monitor.varz()
        if z == "HEALTHZ":
            return {"status": "ok"}
        if z == "STATSZ":
            return _statsz(monitor)
        if z == "ACCOUNTZ":
            return monitor.accountz(acc=options.get("account") or None)
        if z == "INFO":
            return monitor.accountz(acc=account)["account_detail"]
        if z == "STATZ":
            return _statz(monitor, options, account)
        if z == "CONNZ":
            return monitor.connz(**_connz_params(options, account))
        if z == "JSZ":
            return monitor.jsz(**_jsz_params(options))
        if z == "LEAFZ":  # nats-server's LeafzOptions: subscriptions, account
            return monitor.leafz(
                subs=bool(options.get("subscriptions")),
                acc=account or options.get("account") or None,
            )
        if z == "ROUTEZ":
            subs: bool | str = "detail" if options.get("subscriptions_detail") else False
            return monitor.routez(subs=subs or bool(options.get("subscriptions")))
        return monitor.subsz(**_subsz_params(options, account))

    def _reply(self, key: str, value: Any) -> bytes:
        return _encode({"server": self._native.system_server_info(), key: value})


def _call(handler: Callable[[Msg], Any], msg: Msg) -> Any:
    return handler(msg)


def _encode(doc: Any) -> bytes:
    from .monitor.http import encode

    return encode(doc, pretty=False)


def _connz_params(options: dict[str, Any], account: str | None) -> dict[str, Any]:
    """A CONNZ request's options (nats-server's ``ConnzOptions`` JSON) as ``connz()``'s."""
    subs: bool | str = bool(options.get("subscriptions"))
    if options.get("subscriptions_detail"):
        subs = "detail"
    params: dict[str, Any] = {
        "sort": options.get("sort") or None,
        "auth": bool(options.get("auth")),
        "subs": subs,
        "offset": options.get("offset") or None,
        "limit": options.get("limit") or None,
        "cid": options.get("cid") or None,
        "state": _CONN_STATES.get(int(options.get("state") or 0)),
        "user": options.get("user") or None,
        "acc": account or options.get("acc") or None,
    }
    return params


def _subsz_params(options: dict[str, Any], account: str | None) -> dict[str, Any]:
    """A SUBSZ request's options (nats-server's ``SubszOptions`` JSON) as ``subsz()``'s; an
    account's SUBSZ lists its subscriptions, as nats-server's does."""
    return {
        "subs": True if account else bool(options.get("subscriptions")),
        "offset": options.get("offset") or None,
        "limit": options.get("limit") or None,
        "test": options.get("test") or None,
        "acc": account or options.get("account") or None,
    }


def _jsz_params(options: dict[str, Any]) -> dict[str, Any]:
    """A JSZ request's options (nats-server's ``JSzOptions`` JSON) as ``jsz()``'s; nats-server
    answers with ``/jsz``'s document, ``disabled`` without JetStream."""
    return {
        "acc": options.get("account") or None,
        "accounts": bool(options.get("accounts")),
        "streams": bool(options.get("streams")),
        "consumers": bool(options.get("consumer")),
        "config": bool(options.get("config")),
        "offset": options.get("offset") or None,
        "limit": options.get("limit") or None,
    }


def _statz(monitor: Monitor, options: dict[str, Any], account: str | None) -> Any:
    """nats-server's ``AccountStatz`` for ``account`` (or the ``accounts`` the request
    lists, or every account); ``None`` (no reply) when no account has connections, unless
    ``include_unused``."""
    unused = bool(options.get("include_unused"))
    doc: dict[str, Any] = monitor.accstatz(unused=unused)
    wanted = [account] if account else list(options.get("accounts") or [])
    if wanted:
        doc["account_statz"] = [s for s in doc["account_statz"] if s["acc"] in wanted]
    if not doc["account_statz"] and not unused:
        return None
    return doc


def _statsz(monitor: Monitor) -> dict[str, Any]:
    """nats-server's ``ServerStats`` (``$SYS.REQ.SERVER.PING``, ``STATSZ``)."""
    varz = monitor.varz()
    stats = monitor.native.stats()
    accounts = {c.get("account") or "$G" for c in monitor.native.connections()}

    def msg_bytes(msgs: str, size: str) -> dict[str, int]:
        return {"msgs": int(stats.get(msgs, 0)), "bytes": int(stats.get(size, 0))}

    stale = int(stats.get("stale_connections", 0))
    sent = msg_bytes("out_msgs", "out_bytes")
    received = msg_bytes("in_msgs", "in_bytes")
    return {
        "start": varz.get("start"),
        "mem": varz.get("mem", 0),
        "cores": varz.get("cores", os.cpu_count() or 1),
        "cpu": varz.get("cpu", 0.0),
        "connections": int(stats.get("connections", 0)),
        "total_connections": int(stats.get("total_connections", 0)),
        "active_accounts": len(accounts),
        "subscriptions": int(stats.get("subscriptions", 0)),
        "sent": sent,
        "sent_to_clients": sent,
        "received": received,
        "received_from_clients": received,
        "slow_consumers": int(stats.get("slow_consumers", 0)),
        **({"stale_connections": stale} if stale else {}),
        "active_servers": 1,
    }
