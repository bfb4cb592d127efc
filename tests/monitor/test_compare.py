"""fastnats' monitoring endpoints against the real nats-server's, after the same scenario.

Both servers get the same clients (same CONNECT name/lang/version, same subscriptions, same
publishes, the same connections closed). Then every endpoint is read from both and compared:
key sets (fastnats has every key nats-server has, except the ones listed below with a reason),
values that must be equal, value types, sorted orders, pagination, filters, and the exact 400
texts for bad parameters.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from . import scenario
from .conftest import Pair

pytestmark = pytest.mark.timeout(60)

# /varz keys nats-server has and fastnats deliberately does not.
VARZ_MISSING = {
    "git_commit": "fastnats is not built from nats-server's git tree (omitted when empty)",
    "feature_flags": "JetStream feature flags: fastnats has no JetStream",
    "disk_io_wait_stats": "waits on JetStream's disk storage: fastnats stores nothing on disk",
}
# /varz keys fastnats adds.
VARZ_EXTRA = {"fastnats"}
# /varz values that must be equal (identity, ports, timings and process usage differ).
VARZ_EQUAL = (
    "proto host max_connections ping_interval ping_max http_host http_base_path https_port "
    "auth_timeout max_control_line max_payload max_pending cluster gateway leaf mqtt websocket "
    "jetstream tls_timeout write_deadline cores gomaxprocs connections total_connections routes "
    "remotes leafnodes in_msgs in_bytes in_client_msgs in_client_bytes out_msgs out_bytes "
    "out_client_msgs out_client_bytes slow_consumers stale_connections stalled_clients "
    "subscriptions slow_consumer_stats stale_connection_stats"
).split()
# /connz connection values that must be equal (ports, times and rtt differ).
CONN_EQUAL = (
    "cid kind type ip pending_bytes in_msgs out_msgs in_bytes out_bytes subscriptions name "
    "lang version reason"
).split()
# /subsz values that must be equal (the match cache is an implementation detail).
SUBSZ_EQUAL = "num_subscriptions num_inserts num_removes total offset limit".split()

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")
UPTIME = re.compile(r"(\d+y)?(\d+d)?(\d+h)?(\d+m)?\d+s")
GO_DURATION = re.compile(r"0s|(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms|µs|ns)")


def _kind(value: Any) -> str:
    """A JSON value's type, numbers being one type (Go writes 2.0 as 2)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _assert_same_types(fn: dict[str, Any], ref: dict[str, Any], where: str) -> None:
    for key in set(fn) & set(ref):
        assert _kind(fn[key]) == _kind(ref[key]), (where, key, fn[key], ref[key])


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("name", ""): c for c in doc["connections"]}


def _names(doc: dict[str, Any]) -> list[str]:
    return [c.get("name", "") for c in doc["connections"]]


def _same(pair: Pair, path: str) -> tuple[Any, Any]:
    return pair.fn.json(path), pair.ref.json(path)


# ---------------------------------------------------------------------------------------------
# /varz
# ---------------------------------------------------------------------------------------------


def test_varz_keys(pair: Pair) -> None:
    fn, ref = _same(pair, "/varz")
    missing = set(ref) - set(fn)
    assert missing <= set(VARZ_MISSING), f"missing from fastnats: {missing - set(VARZ_MISSING)}"
    extra = set(fn) - set(ref) - VARZ_EXTRA
    assert not extra, f"fastnats has keys nats-server does not: {extra}"
    _assert_same_types(fn, ref, "/varz")


def test_varz_values(pair: Pair) -> None:
    fn, ref = _same(pair, "/varz")
    for key in VARZ_EQUAL:
        assert fn[key] == ref[key], (key, fn[key], ref[key])
    assert fn["server_id"] == pair.fn.server.server_id  # type: ignore[union-attr]
    assert fn["port"] == pair.fn.port and ref["port"] == pair.ref.port
    assert fn["http_port"] == pair.fn.http_port
    for doc in (fn, ref):
        for key in ("start", "now", "config_load_time"):
            assert RFC3339.fullmatch(doc[key]), (key, doc[key])
        assert UPTIME.fullmatch(doc["uptime"]), doc["uptime"]
        assert doc["mem"] > 1_000_000
        assert doc["cpu"] >= 0


def test_varz_counts(pair: Pair) -> None:
    fn = pair.fn.json("/varz")
    # The scenario's figures (see scenario.py), not just "equal to nats-server's".
    assert fn["connections"] == len(scenario.OPEN)
    assert fn["total_connections"] == len(scenario.OPEN) + len(scenario.CLOSED)
    assert (fn["in_msgs"], fn["in_bytes"]) == (1 + 2 + 4 + 3, 2 + 4 + 17 + 12)
    assert (fn["out_msgs"], fn["out_bytes"]) == (5 + 4 + 0 + 1, 27 + 25 + 0 + 2)
    assert fn["subscriptions"] == 3 + 2 + 0 + 1


# ---------------------------------------------------------------------------------------------
# /connz
# ---------------------------------------------------------------------------------------------


def test_connz_document(pair: Pair) -> None:
    fn, ref = _same(pair, "/connz")
    assert set(fn) == set(ref)
    _assert_same_types(fn, ref, "/connz")
    for key in ("num_connections", "total", "offset", "limit"):
        assert fn[key] == ref[key], key
    assert fn["server_id"] == pair.fn.server.server_id  # type: ignore[union-attr]
    assert _names(fn) == _names(ref) == list(scenario.OPEN)


@pytest.mark.parametrize("query", ["", "?subs=1", "?subs=detail", "?auth=1", "?state=all"])
def test_connz_connections(pair: Pair, query: str) -> None:
    fn, ref = _same(pair, "/connz" + query)
    fn_conns, ref_conns = _by_name(fn), _by_name(ref)
    assert list(fn_conns) == list(ref_conns)
    for name, ref_c in ref_conns.items():
        fn_c = fn_conns[name]
        if name == "closer":  # checked by test_connz_closed_keeps_subscriptions
            continue
        assert set(fn_c) == set(ref_c), (name, set(fn_c) ^ set(ref_c))
        _assert_same_types(fn_c, ref_c, name)
        for key in CONN_EQUAL:
            if key == "pending_bytes" and "stop" in ref_c:
                continue  # what was still queued when it closed: timing
            assert fn_c.get(key) == ref_c.get(key), (name, key, fn_c.get(key), ref_c.get(key))
        for doc in (fn_c, ref_c):
            for key in ("start", "last_activity", "stop"):
                if key in doc:
                    assert RFC3339.fullmatch(doc[key]), (key, doc[key])
            assert UPTIME.fullmatch(doc["uptime"]) and UPTIME.fullmatch(doc["idle"])
            assert GO_DURATION.fullmatch(doc["rtt"]), doc["rtt"]
        # Subscription order is map order in nats-server: compare as sets.
        if "subscriptions_list" in ref_c:
            assert sorted(fn_c["subscriptions_list"]) == sorted(ref_c["subscriptions_list"])
        if "subscriptions_list_detail" in ref_c:

            def key(d: dict[str, Any]) -> str:
                return d["sid"]

            assert sorted(fn_c["subscriptions_list_detail"], key=key) == sorted(
                ref_c["subscriptions_list_detail"], key=key
            )


def test_connz_subscription_details(pair: Pair) -> None:
    alpha = _by_name(pair.fn.json("/connz?subs=detail"))["alpha"]
    by_sid = {d["sid"]: d for d in alpha["subscriptions_list_detail"]}
    assert by_sid["1"] == {"subject": "foo", "sid": "1", "msgs": 4, "cid": 1}
    assert by_sid["2"] == {"subject": "bar.*", "qgroup": "q1", "sid": "2", "msgs": 1, "cid": 1}
    assert by_sid["3"] == {"subject": "baz", "sid": "3", "msgs": 0, "max": 5, "cid": 1}


def test_connz_closed(pair: Pair) -> None:
    fn, ref = _same(pair, "/connz?state=closed")
    assert fn["total"] == ref["total"] == len(scenario.CLOSED)
    assert _names(fn) == _names(ref) == list(scenario.CLOSED)
    for name, ref_c in _by_name(ref).items():
        fn_c = _by_name(fn)[name]
        assert fn_c["reason"] == ref_c["reason"]
        assert set(fn_c) - {"subscriptions_list"} == set(ref_c) - {"subscriptions_list"}
        assert RFC3339.fullmatch(fn_c["stop"])
    assert _by_name(fn)["closer"]["reason"] == "Client Closed"
    assert _by_name(fn)["toobig"]["reason"] == "Maximum Message Payload Exceeded"


def test_connz_closed_keeps_subscriptions(pair: Pair) -> None:
    for query in ("?state=closed&subs=1", "?state=closed&subs=detail"):
        fn, ref = _same(pair, "/connz" + query)
        # pending_bytes of a closed connection: nats-server may still have bytes queued (a
        # PING, 6 bytes) when the client leaves; fastnats has written everything by then.
        assert _by_name(fn)["closer"]["pending_bytes"] == 0
        assert _by_name(ref)["closer"]["pending_bytes"] in (0, len(b"PING\r\n"))
        assert _by_name(fn)["closer"] == {
            **_by_name(ref)["closer"],
            **{
                k: _by_name(fn)["closer"][k]
                for k in (
                    "start",
                    "last_activity",
                    "stop",
                    "rtt",
                    "port",
                    "uptime",
                    "idle",
                    "pending_bytes",
                )
            },
        }


# sort key -> the open connections in the order the scenario makes it
SORTED = {
    "cid": ["alpha", "beta", "gamma", "delta"],
    "start": ["alpha", "beta", "gamma", "delta"],
    "subs": ["alpha", "beta", "delta", "gamma"],
    "msgs_to": ["alpha", "beta", "delta", "gamma"],
    "msgs_from": ["gamma", "delta", "beta", "alpha"],
    "bytes_to": ["alpha", "beta", "delta", "gamma"],
    "bytes_from": ["gamma", "delta", "beta", "alpha"],
    "uptime": ["delta", "gamma", "beta", "alpha"],  # ascending: the newest first
    "last": list(reversed(scenario.TOUCH_ORDER)),  # the most recent first
    "idle": list(scenario.TOUCH_ORDER),  # the longest idle first
}


@pytest.mark.parametrize("sort", sorted(SORTED))
def test_connz_sort(pair: Pair, sort: str) -> None:
    if sort in ("last", "idle"):
        for m in pair.both():
            assert m.played is not None
            m.played.touch()
    fn, ref = _same(pair, f"/connz?sort={sort}")
    assert _names(ref) == SORTED[sort], "the scenario does not order nats-server as expected"
    assert _names(fn) == SORTED[sort]


def test_connz_ping_is_not_activity(pair: Pair) -> None:
    """PING/PONG does not move last_activity; messages and subscriptions do."""
    for m in pair.both():
        assert m.played is not None
        m.played.touch()
        m.played.ping_all(tuple(reversed(scenario.TOUCH_ORDER)))
    fn, ref = _same(pair, "/connz?sort=last")
    assert _names(ref) == SORTED["last"]
    assert _names(fn) == SORTED["last"]


@pytest.mark.parametrize("sort", ["pending", "rtt"])
def test_connz_sort_ties(pair: Pair, sort: str) -> None:
    """Every pending count is 0, and the rtt estimates are near each other: any order of
    the open connections is right (test_rtt_stalls checks sort=rtt with distinct values)."""
    fn, ref = _same(pair, f"/connz?sort={sort}")
    assert sorted(_names(fn)) == sorted(_names(ref)) == sorted(scenario.OPEN)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("stop", ["toobig", "closer"]), ("reason", ["closer", "toobig"])],
)
def test_connz_sort_closed(pair: Pair, sort: str, expected: list[str]) -> None:
    fn, ref = _same(pair, f"/connz?state=closed&sort={sort}")
    assert _names(fn) == _names(ref) == expected


@pytest.mark.parametrize(
    "query",
    [
        "?offset=1",
        "?offset=1&limit=2",
        "?limit=1",
        "?offset=3&limit=5",
        "?offset=10",
        "?offset=-5&limit=-1",
        "?limit=0",
        "?sort=subs&offset=1&limit=2",
        "?state=all&offset=3&limit=2",
        "?state=closed&limit=1",
        "?cid=2",
        "?cid=0",
        "?cid=99",
        "?cid=5",  # closer: closed, so not found among the open ones
        "?cid=5&state=closed",
        "?cid=5&state=all",
        "?cid=2&state=all",
        "?cid=2&state=closed",
        "?state=OPEN",
        "?state=Closed",
        "?state=any",
        "?state=ALL",
        "?sort=",
        "?user=nobody",
        "?user=nobody&auth=true",
        "?acc=$G",
        "?mqtt_client=x",
    ],
)
def test_connz_params(pair: Pair, query: str) -> None:
    fn, ref = _same(pair, "/connz" + query)
    for key in ("num_connections", "total", "offset", "limit"):
        assert fn[key] == ref[key], (key, fn[key], ref[key])
    assert _names(fn) == _names(ref)
    assert [c["cid"] for c in fn["connections"]] == [c["cid"] for c in ref["connections"]]


def test_connz_unknown_account(pair: Pair) -> None:
    fn, ref = _same(pair, "/connz?acc=nope")
    assert fn.keys() == ref.keys()
    assert {k: v for k, v in fn.items() if k != "now"} == {
        k: v for k, v in ref.items() if k != "now"
    }


BOOL_SPELLINGS = ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]


@pytest.mark.parametrize("value", [*BOOL_SPELLINGS, "detail", "DETAIL", "Detail"])
def test_connz_subs_spellings(pair: Pair, value: str) -> None:
    fn, ref = _same(pair, f"/connz?subs={value}")
    for name, ref_c in _by_name(ref).items():
        fn_c = _by_name(fn)[name]
        assert set(fn_c) == set(ref_c), (value, name)


# ---------------------------------------------------------------------------------------------
# /subsz
# ---------------------------------------------------------------------------------------------


def _sub_key(d: dict[str, Any]) -> tuple[int, str]:
    return d["cid"], d["sid"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?subs=1",
        "?subs=true&test=foo",
        "?subs=1&test=bar.x",
        "?subs=1&test=nothing.here",
        "?subs=0&test=foo",
        "?subs=1&limit=2",
        "?subs=1&offset=4",
        "?subs=1&offset=2&limit=2",
        "?subs=1&offset=99",
        "?subs=1&offset=-1&limit=-1",
        "?subs=1&test=foo&limit=1",
        "?test=",
        "?subs=1&acc=$G",
        "?subs=1&acc=nope",
    ],
)
@pytest.mark.parametrize("path", ["/subsz", "/subscriptionsz"])
def test_subsz(pair: Pair, path: str, query: str) -> None:
    fn, ref = _same(pair, path + query)
    assert set(fn) == set(ref), set(fn) ^ set(ref)
    _assert_same_types(fn, ref, path)
    for key in SUBSZ_EQUAL:
        assert fn[key] == ref[key], (key, fn[key], ref[key])
    if "subscriptions_list" in ref:
        fn_subs, ref_subs = fn["subscriptions_list"], ref["subscriptions_list"]
        assert len(fn_subs) == len(ref_subs)
        if "offset" in query or "limit" in query:
            # Pages of a list in nats-server's map order: only the sizes can agree.
            everything = pair.fn.json(path + "?subs=1")["subscriptions_list"]
            assert all(d in everything for d in fn_subs)
        else:
            assert sorted(fn_subs, key=_sub_key) == sorted(ref_subs, key=_sub_key)


def test_subsz_counts(pair: Pair) -> None:
    fn = pair.fn.json("/subsz?subs=1&test=foo")
    assert fn["num_subscriptions"] == 6
    assert sorted((d["cid"], d["subject"]) for d in fn["subscriptions_list"]) == [
        (1, "foo"),
        (2, "foo"),
    ]


@pytest.mark.parametrize("query", ["", "?subs=1", "?acc=A", "?subs=true&acc=$G"])
def test_leafz_without_leaf_nodes(pair: Pair, query: str) -> None:
    fn, ref = _same(pair, f"/leafz{query}")
    assert list(fn) == list(ref) == ["server_id", "now", "leafnodes", "leafs"]
    assert (fn["leafnodes"], fn["leafs"]) == (ref["leafnodes"], ref["leafs"]) == (0, [])
    assert RFC3339.fullmatch(fn["now"]) and RFC3339.fullmatch(ref["now"])


# ---------------------------------------------------------------------------------------------
# Bad parameters: HTTP 400 and nats-server's exact text
# ---------------------------------------------------------------------------------------------

BAD = [
    "/connz?sort=foo",
    "/connz?sort=CID",
    "/connz?sort=stop",
    "/connz?sort=reason",
    "/connz?sort=stop&state=all",
    "/connz?sort=reason&state=open",
    "/connz?subs=maybe",
    "/connz?subs=yes",
    "/connz?auth=x",
    "/connz?auth=%22q%22",
    "/connz?offset=x",
    "/connz?offset=1.5",
    "/connz?offset=99999999999999999999",
    "/connz?limit=1e3",
    "/connz?limit=%201",
    "/connz?cid=-1",
    "/connz?cid=abc",
    "/connz?cid=%2B1",
    "/connz?cid=99999999999999999999",
    "/connz?state=bogus",
    "/connz?state=opened",
    # several bad: the first in nats-server's decoding order is reported
    "/connz?sort=bad&state=x",
    "/connz?sort=bad&auth=x",
    "/connz?subs=x&auth=y",
    "/connz?offset=x&subs=y",
    "/connz?limit=x&offset=y",
    "/connz?cid=x&limit=y",
    "/connz?state=x&cid=y",
    "/subsz?subs=x",
    "/subsz?offset=q",
    "/subsz?limit=q",
    "/subsz?test=foo.*",
    "/subsz?test=foo.>",
    "/subsz?test=a..b",
    "/subsz?test=.a",
    "/subsz?test=foo.*&subs=x",
    "/subsz?limit=x&offset=y",
    "/subscriptionsz?subs=x",
    "/leafz?subs=x",
    "/leafz?subs=detail",  # nats-server's leafz decodes a bool only
    "/healthz?details=zz",
    "/healthz?js-enabled-only=x",
    "/healthz?js-server-only=x&details=y",
    "/healthz?js-meta-only=y&details=z",
    "/healthz?js-enabled=x&details=y",
    "/healthz?stream=s",
    "/healthz?consumer=c",
    "/healthz?account=A&consumer=c",
    "/healthz?stream=s&consumer=c",
]


@pytest.mark.parametrize("path", BAD)
def test_bad_parameters(pair: Pair, path: str) -> None:
    fn, ref = pair.fn.get(path), pair.ref.get(path)
    assert ref.status == 400, (path, ref.status, ref.body)
    assert (fn.status, fn.body) == (ref.status, ref.body)
    assert fn.headers["content-type"] == ref.headers["content-type"]
    assert fn.headers.get("access-control-allow-origin") == ref.headers.get(
        "access-control-allow-origin"
    )


def test_bad_parameter_from_python(pair: Pair) -> None:
    server = pair.fn.server
    assert server is not None
    ref = pair.ref.get("/connz?sort=bogus").text
    with pytest.raises(ValueError) as e:
        server.connz(sort="bogus")
    assert str(e.value) == ref


# ---------------------------------------------------------------------------------------------
# /healthz, /, unknown paths, headers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/healthz?details=true",
        "/healthz?js-enabled-only=true",
        "/healthz?js-server-only=1",
        "/healthz?account=foo",
        "/healthz?account=A&stream=s",
    ],
)
def test_healthz(pair: Pair, path: str) -> None:
    fn, ref = pair.fn.get(path), pair.ref.get(path)
    assert (fn.status, fn.body) == (ref.status, ref.body) == (200, b'{"status":"ok"}')


@pytest.mark.parametrize("path", ["/varz", "/connz", "/subsz", "/subscriptionsz", "/healthz"])
def test_json_headers(pair: Pair, path: str) -> None:
    for m in pair.both():
        reply = m.get(path)
        assert reply.status == 200
        assert reply.headers["content-type"] == "application/json"
        assert reply.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/varz", "/connz?subs=detail&state=all", "/subsz?subs=1"])
def test_pretty_printed(pair: Pair, path: str) -> None:
    """Indented by two spaces, ``"key": value``, as Go's json.MarshalIndent writes it."""
    for m in pair.both():
        text = m.get(path).text
        assert text.startswith('{\n  "server_id": "'), (m.kind, text[:40])
        assert text.endswith("\n}")
        assert all(
            re.fullmatch(r'( {2})+("[^"]+": .*|[\]}],?|"[^"]*",?|\S.*)', line)
            for line in text.splitlines()[1:-1]
        ), text


@pytest.mark.parametrize("method", ["POST", "HEAD"])
def test_methods(pair: Pair, method: str) -> None:
    fn, ref = pair.fn.get("/healthz", method), pair.ref.get("/healthz", method)
    assert fn.status == ref.status == 200
    assert fn.body == ref.body


@pytest.mark.parametrize("path", ["/nope", "/connz/", "/varz/x", "/VARZ"])
def test_unknown_path(pair: Pair, path: str) -> None:
    fn, ref = pair.fn.get(path), pair.ref.get(path)
    assert (fn.status, fn.body) == (ref.status, ref.body) == (404, b"404 page not found\n")
    assert fn.headers["content-type"] == ref.headers["content-type"]


def test_index_page(pair: Pair) -> None:
    for m in pair.both():
        reply = m.get("/")
        assert reply.status == 200
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        for path in ("varz", "connz", "subsz", "healthz", "leafz"):
            assert f"href=./{path}" in reply.text, (m.kind, path)
    assert "href=./metrics" in pair.fn.get("/").text


# ---------------------------------------------------------------------------------------------
# http_req_stats
# ---------------------------------------------------------------------------------------------


def test_http_req_stats(fresh_pair: Pair) -> None:
    """Counted per endpoint, as nats-server counts them (including some rejected requests)."""
    requests = [
        "/connz?auth=x",  # rejected while decoding: not counted
        "/connz?sort=bad",  # rejected after decoding: counted
        "/connz",
        "/subsz?subs=x",  # counted before decoding
        "/subscriptionsz",  # counted as /subsz
        "/leafz?subs=x",  # counted before decoding
        "/healthz?details=x",
        "/healthz",
        "/",
        "/nope",
        "/connz/",
        "/varz",
    ]
    for path in requests:
        for m in fresh_pair.both():
            m.get(path)
    fn, ref = _same(fresh_pair, "/varz")
    assert (
        fn["http_req_stats"]
        == ref["http_req_stats"]
        == {
            "/": 1,
            "/connz": 2,
            "/healthz": 2,
            "/leafz": 1,
            "/subsz": 2,
            "/varz": 2,
        }
    )


def test_varz_fresh(fresh_pair: Pair) -> None:
    """No traffic: the counters are zero on both."""
    fn, ref = _same(fresh_pair, "/varz")
    for key in VARZ_EQUAL:
        assert fn[key] == ref[key], (key, fn[key], ref[key])
    fn_subs, ref_subs = _same(fresh_pair, "/subsz?subs=1")
    assert set(fn_subs) == set(ref_subs)
    fn_conns, ref_conns = _same(fresh_pair, "/connz?state=all")
    assert fn_conns["connections"] == ref_conns["connections"] == []
