"""Routing and delivery: MSG/HMSG framing, wildcards, queue groups, UNSUB, echo, headers,
no-responders, pedantic and reserved subjects, PONG ordering (reference §1.5-1.12, 1.14-1.15)."""

from __future__ import annotations

from collections import Counter

import pytest

from .proto import OK, PING, PONG, connect, err, hmsg, hpub, msg, pub

pytestmark = pytest.mark.timeout(60)

HDRS = b"NATS/1.0\r\nBar: Baz\r\n\r\n"  # 22 bytes
HEADERS_ON = {"verbose": False, "pedantic": False, "headers": True}


# --- MSG framing --------------------------------------------------------------------------


def test_msg_framing_without_reply(server):
    with connect(server) as c:
        c.send(b"SUB foo.* 9\r\nPUB foo.bar 5\r\nhello\r\nPING\r\n")
        c.expect(b"MSG foo.bar 9 5\r\nhello\r\nPONG\r\n")


def test_msg_framing_with_reply(server):
    with connect(server) as c:
        c.send(b"SUB foo.> 12\r\nPUB foo.bar.baz _INBOX.abc.1 5\r\nhello\r\nPING\r\n")
        c.expect(b"MSG foo.bar.baz 12 _INBOX.abc.1 5\r\nhello\r\nPONG\r\n")


@pytest.mark.parametrize("sid", ["1", "007", "4294967296123", "abc", "s-1.x"])
def test_sid_is_echoed_verbatim(server, sid):
    with connect(server) as c:
        c.send(f"SUB foo {sid}\r\n".encode() + pub("foo", b"x") + PING)
        c.expect(msg("foo", sid, b"x") + PONG)
        c.send(f"UNSUB {sid}\r\n".encode() + pub("foo", b"y") + PING)
        c.expect(PONG)


def test_msg_between_connections(server):
    with connect(server) as sub, connect(server) as pubc:
        sub.send(b"SUB greet.* 3\r\n")
        sub.ping_pong()  # the SUB is registered before anyone publishes
        pubc.send(pub("greet.joe", b"hi joe", reply="me") + pub("greet.ann", b"") + PING)
        pubc.expect(PONG)
        assert sub.msgs_until_pong() == [
            (b"MSG greet.joe 3 me 6", b"hi joe"),
            (b"MSG greet.ann 3 0", b""),
        ]


def test_overlapping_subs_on_one_connection_each_get_a_copy(server):
    with connect(server) as c:
        c.send(b"SUB foo.bar 1\r\nSUB foo.* 2\r\nSUB foo.> 3\r\nSUB > 4\r\n")
        c.send(pub("foo.bar", b"x"))
        got = c.msgs_until_pong()
    assert sorted(got) == sorted((f"MSG foo.bar {i} 1".encode(), b"x") for i in range(1, 5))


# --- wildcards ----------------------------------------------------------------------------


def _naive_match(pattern: str, subject: str) -> bool:
    p, s = pattern.split("."), subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)


SUBS = [
    "foo",
    "foo.*",
    "foo.>",
    "*",
    ">",
    "foo.*.baz",
    "*.bar",
    "foo.bar",
    "foo*",
    "*.*",
    "foo.*.>",
    "*.*.*",
    "bar.>",
    "foo.bar.>",
]
SUBJECTS = [
    "foo",
    "foo.bar",
    "foo.bar.baz",
    "bar",
    "foo.baz.baz",
    "x.bar",
    "foo*",
    "fooo",
    "foo.bar.baz.qux",
    "bar.baz",
    "a.b.c",
    "foo.>x",
    "foo.x*",
]


def test_wildcard_semantics(server):
    with connect(server) as c:
        for sid, pattern in enumerate(SUBS, 1):
            c.send(f"SUB {pattern} {sid}\r\n".encode())
        c.ping_pong()
        c.send(b"".join(pub(subject, b"") for subject in SUBJECTS))
        got = Counter(line for line, _ in c.msgs_until_pong())
    expected = Counter(
        f"MSG {subject} {sid} 0".encode()
        for subject in SUBJECTS
        for sid, pattern in enumerate(SUBS, 1)
        if _naive_match(pattern, subject)
    )
    assert got == expected


def test_full_wildcard_does_not_match_its_prefix(server):
    with connect(server) as c:
        c.send(b"SUB foo.> 1\r\n" + pub("foo", b"no") + pub("foo.a", b"yes") + PING)
        c.expect(msg("foo.a", "1", b"yes") + PONG)


@pytest.mark.parametrize(
    "subject",
    [b"foo..bar", b".foo", b"foo.", b"foo.>.bar", b">.foo", b".", b"..", b"a.>.>"],
)
def test_invalid_sub_subject_keeps_connection(server, subject):
    with connect(server) as c:
        c.send(b"SUB " + subject + b" 1\r\nPING\r\n")
        c.expect(err("Invalid Subject") + PONG)
        c.send(b"SUB " + subject + b" q 2\r\nPING\r\n")
        c.expect(err("Invalid Subject") + PONG)
        c.send(b"SUB ok 3\r\n" + pub("ok", b"x") + PING)
        c.expect(msg("ok", "3", b"x") + PONG)


@pytest.mark.parametrize("subject", ["foo*", "a.b>", "*a", "f>o", "$SYS.x", "_INBOX.x", "ü.ñ"])
def test_literal_looking_tokens_are_valid(server, subject):
    with connect(server) as c:
        c.send(f"SUB {subject} 1\r\n".encode() + pub(subject, b"x") + PING)
        c.expect(msg(subject, "1", b"x") + PONG)


# --- SUB / UNSUB --------------------------------------------------------------------------


def test_duplicate_sid_is_ignored(server):
    with connect(server, {}) as c:
        c.send(b"SUB foo 1\r\nSUB bar 1\r\n")
        c.expect(OK + OK)
        c.send(pub("bar", b"b") + pub("foo", b"f") + PING)
        c.expect(OK + OK + msg("foo", "1", b"f") + PONG)


def test_unsub_removes_subscription(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\nSUB foo 2\r\nUNSUB 1\r\n" + pub("foo", b"x") + PING)
        c.expect(msg("foo", "2", b"x") + PONG)


def test_unsub_max_delivers_max_then_removes(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\nUNSUB 1 3\r\n" + b"".join(pub("foo", b"%d" % i) for i in range(5)))
        assert c.msgs_until_pong() == [(b"MSG foo 1 1", b"%d" % i) for i in range(3)]


def test_unsub_max_counts_from_sub(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"a") + pub("foo", b"b"))
        c.send(b"UNSUB 1 3\r\n" + b"".join(pub("foo", b"%d" % i) for i in range(5)))
        got = [body for _, body in c.msgs_until_pong()]
    assert got == [b"a", b"b", b"0"]


@pytest.mark.parametrize("max_msgs", [b"2", b"1", b"0"])
def test_unsub_max_already_reached_removes_now(server, max_msgs):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"a") + pub("foo", b"b") + PING)
        c.expect(msg("foo", "1", b"a") + msg("foo", "1", b"b") + PONG)
        c.send(b"UNSUB 1 " + max_msgs + b"\r\n" + pub("foo", b"c") + PING)
        c.expect(PONG)


def test_sid_can_be_reused_after_auto_unsubscribe(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\nUNSUB 1 1\r\n" + pub("foo", b"a") + pub("foo", b"b") + PING)
        c.expect(msg("foo", "1", b"a") + PONG)
        c.send(b"SUB bar 1\r\n" + pub("bar", b"c") + PING)
        c.expect(msg("bar", "1", b"c") + PONG)


def test_unsub_unknown_sid_is_not_an_error(server):
    with connect(server) as c:
        c.send(b"UNSUB 42\r\nUNSUB 42 5\r\nUNSUB abc\r\nPING\r\n")
        c.expect(PONG)
    with connect(server, {}) as c:
        c.send(b"UNSUB 42\r\nUNSUB 42 5\r\nPING\r\n")
        c.expect(OK + OK + PONG)


def test_unsub_max_on_queue_subscription(server):
    with connect(server) as c:
        c.send(b"SUB foo q 1\r\nUNSUB 1 2\r\n" + b"".join(pub("foo", b"%d" % i) for i in range(4)))
        assert [b for _, b in c.msgs_until_pong()] == [b"0", b"1"]


# --- queue groups -------------------------------------------------------------------------


def test_queue_groups_one_member_per_group_and_plain_subs_get_all(server):
    n = 90
    members = [connect(server) for _ in range(3)]
    plain = connect(server)
    publisher = connect(server)
    try:
        for i, m in enumerate(members):
            m.send(f"SUB work q1 {i + 1}\r\n".encode())
            if i < 2:
                m.send(f"SUB work q2 {i + 11}\r\n".encode())
            m.ping_pong()
        plain.send(b"SUB work 99\r\n")
        plain.ping_pong()
        publisher.send(b"".join(pub("work", b"%d" % i) for i in range(n)) + PING)
        publisher.expect(PONG, timeout=10)
        per_group: dict[bytes, list[int]] = {b"q1": [], b"q2": []}
        per_member: Counter[bytes] = Counter()
        for m in members:
            last: dict[bytes, int] = {}
            for line, body in m.msgs_until_pong():
                sid = line.split(b" ")[2]
                group = b"q1" if int(sid) < 10 else b"q2"
                per_group[group].append(int(body))
                per_member[sid] += 1
                assert int(body) > last.get(sid, -1), "per-publisher order"
                last[sid] = int(body)
        plain_got = [int(b) for _, b in plain.msgs_until_pong()]
    finally:
        for c in [*members, plain, publisher]:
            c.close()
    assert sorted(per_group[b"q1"]) == list(range(n))  # each exactly once
    assert sorted(per_group[b"q2"]) == list(range(n))
    assert plain_got == list(range(n))
    # Random choice: with 90 messages, more than one member of each group gets some.
    assert sum(1 for sid in (b"1", b"2", b"3") if per_member[sid]) >= 2
    assert sum(1 for sid in (b"11", b"12") if per_member[sid]) == 2


def test_queue_group_on_one_connection(server):
    with connect(server) as c:
        c.send(b"SUB foo q 1\r\nSUB foo q 2\r\nSUB foo 3\r\n")
        c.send(b"".join(pub("foo", b"%d" % i) for i in range(20)))
        got = c.msgs_until_pong()
    queue = sorted(int(b) for line, b in got if line.split(b" ")[2] in (b"1", b"2"))
    plain = [int(b) for line, b in got if line.split(b" ")[2] == b"3"]
    assert queue == list(range(20))
    assert plain == list(range(20))


def test_queue_names_are_not_validated(server):
    with connect(server) as c:
        c.send(b"SUB foo a.b.* 1\r\nSUB foo > 2\r\n" + pub("foo", b"x"))
        got = sorted(line for line, _ in c.msgs_until_pong())
    assert got == [b"MSG foo 1 1", b"MSG foo 2 1"]


# --- echo ---------------------------------------------------------------------------------


def test_echo_false_skips_own_subscriptions(server):
    with connect(server, {"verbose": False, "echo": False}) as a, connect(server) as b:
        a.send(b"SUB foo 1\r\n")
        a.ping_pong()
        b.send(b"SUB foo 2\r\n")
        b.ping_pong()
        a.send(pub("foo", b"from-a") + PING)
        a.expect(PONG)
        b.send(pub("foo", b"from-b") + PING)
        b.expect(msg("foo", "2", b"from-a") + msg("foo", "2", b"from-b") + PONG)
        a.expect(msg("foo", "1", b"from-b"))
        a.ping_pong()


def test_echo_false_queue_member_is_skipped_not_dropped(server):
    with connect(server, {"verbose": False, "echo": False}) as a, connect(server) as b:
        a.send(b"SUB work q 1\r\n")
        a.ping_pong()
        b.send(b"SUB work q 2\r\n")
        b.ping_pong()
        a.send(b"".join(pub("work", b"%d" % i) for i in range(30)) + PING)
        a.expect(PONG)
        assert [int(body) for _, body in b.msgs_until_pong()] == list(range(30))


def test_echo_true_is_the_default(server):
    with connect(server, {"verbose": False}) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"x") + PING)
        c.expect(msg("foo", "1", b"x") + PONG)


# --- headers ------------------------------------------------------------------------------


def test_hpub_to_hmsg_is_byte_exact(server):
    with connect(server, HEADERS_ON) as c:
        c.send(b"SUB foo.* 5\r\n" + hpub("foo.bar", HDRS, b"hello") + PING)
        c.expect(b"HMSG foo.bar 5 22 27\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhello\r\n" + PONG)
        c.send(hpub("foo.bar", HDRS, b"", reply="rep.1") + PING)
        c.expect(b"HMSG foo.bar 5 rep.1 22 22\r\nNATS/1.0\r\nBar: Baz\r\n\r\n\r\n" + PONG)


def test_hpub_header_block_passes_unchanged(server):
    block = (
        b"NATS/1.0 404 No Messages\r\nA: 1\r\na: 2\r\nA: 3\r\nX-Long: " + b"v" * 300 + b"\r\n\r\n"
    )
    with connect(server, HEADERS_ON) as c:
        c.send(b"SUB foo 1\r\n" + hpub("foo", block, b"\r\n\r\n") + PING)
        c.expect(hmsg("foo", "1", block, b"\r\n\r\n") + PONG)


def test_hpub_to_headerless_subscriber_arrives_as_msg(server):
    with connect(server, HEADERS_ON) as h, connect(server) as plain:
        plain.send(b"SUB foo 1\r\n")
        plain.ping_pong()
        h.send(b"SUB foo 2\r\n" + hpub("foo", HDRS, b"hello", reply="r") + PING)
        h.expect(hmsg("foo", "2", HDRS, b"hello", reply="r") + PONG)
        plain.expect(b"MSG foo 1 r 5\r\nhello\r\n")
        plain.ping_pong()


def test_hpub_with_zero_header_size_arrives_as_msg(server):
    with connect(server, HEADERS_ON) as c:
        c.send(b"SUB foo 1\r\nHPUB foo 0 2\r\nhi\r\nPING\r\n")
        c.expect(msg("foo", "1", b"hi") + PONG)


def test_hpub_with_headers_only(server):
    with connect(server, HEADERS_ON) as c, connect(server) as plain:
        plain.send(b"SUB foo 2\r\n")
        plain.ping_pong()
        c.send(b"SUB foo 1\r\n" + hpub("foo", b"NATS/1.0\r\n\r\n", b"") + PING)
        c.expect(b"HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\n" + PONG)
        plain.expect(b"MSG foo 2 0\r\n\r\n")


def test_pub_to_header_subscriber_arrives_as_msg(server):
    with connect(server, HEADERS_ON) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"hi") + PING)
        c.expect(msg("foo", "1", b"hi") + PONG)


@pytest.mark.parametrize(
    "connect_line",
    [
        None,  # no CONNECT at all
        b'CONNECT {"verbose":false}\r\n',
        b'CONNECT {"verbose":false,"headers":false}\r\n',
    ],
)
def test_hpub_without_headers_negotiated_closes_silently(server, connect_line):
    with connect(server, handshake=False) as c:
        if connect_line:
            c.send(connect_line + PING)
            c.expect(PONG)
        c.send(hpub("foo", HDRS, b"hi"))
        c.expect_closed()


# --- no responders ------------------------------------------------------------------------

NO_RESPONDERS = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True}


def _assert_503(line: bytes, body: bytes, reply: str, sid: str, subject: str) -> None:
    # nats-server >= 2.12 (and fastnats) add "Nats-Subject: <subject>"; 2.9-2.11 do not.
    with_subject = f"NATS/1.0 503\r\nNats-Subject: {subject}\r\n\r\n".encode()
    bare = b"NATS/1.0 503\r\n\r\n"
    assert body in (with_subject, bare), body
    assert line == f"HMSG {reply} {sid} {len(body)} {len(body)}".encode()


def test_no_responders_sends_503_to_requesters_reply_sub(server):
    with connect(server, NO_RESPONDERS) as c:
        c.send(b"SUB _INBOX.abc.* 7\r\n" + pub("svc.echo", b"req", reply="_INBOX.abc.1"))
        got = c.msgs_until_pong()
    assert len(got) == 1
    _assert_503(*got[0], reply="_INBOX.abc.1", sid="7", subject="svc.echo")
    assert got[0][1].startswith(b"NATS/1.0 503\r\n")


def test_no_responders_for_hpub_request(server):
    with connect(server, NO_RESPONDERS) as c:
        c.send(b"SUB reply.x 3\r\n" + hpub("svc", HDRS, b"req", reply="reply.x"))
        got = c.msgs_until_pong()
    assert len(got) == 1
    _assert_503(*got[0], reply="reply.x", sid="3", subject="svc")


def test_no_responders_verbose_order(server):
    with connect(server, {**NO_RESPONDERS, "verbose": True}) as c:
        c.send(b"SUB r 1\r\n" + pub("svc", b"x", reply="r"))
        c.expect(OK + OK)
        got = c.msgs_until_pong()
    assert len(got) == 1
    _assert_503(*got[0], reply="r", sid="1", subject="svc")


def test_no_responders_when_the_only_candidate_is_filtered_by_echo(server):
    with connect(server, {**NO_RESPONDERS, "echo": False}) as c:
        c.send(b"SUB r 1\r\nSUB svc 2\r\n" + pub("svc", b"x", reply="r"))
        got = c.msgs_until_pong()
    assert len(got) == 1
    _assert_503(*got[0], reply="r", sid="1", subject="svc")


def test_no_responders_goes_to_one_plain_reply_sub_only(server):
    with connect(server, NO_RESPONDERS) as c:
        c.send(b"SUB r q 1\r\n" + pub("svc", b"x", reply="r"))
        assert c.msgs_until_pong() == []  # a queue sub on the reply subject does not count
        c.send(b"SUB r 2\r\nSUB r 3\r\n" + pub("svc", b"x", reply="r"))
        got = c.msgs_until_pong()
    assert len(got) == 1  # one 503, to one of the matching plain subs
    sid = got[0][0].split(b" ")[2].decode()
    assert sid in ("2", "3")
    _assert_503(*got[0], reply="r", sid=sid, subject="svc")


def test_no_503_when_someone_receives_the_request(server):
    with connect(server, NO_RESPONDERS) as c, connect(server) as responder:
        responder.send(b"SUB svc q 1\r\n")
        responder.ping_pong()
        c.send(b"SUB _INBOX.abc.* 7\r\n" + pub("svc", b"req", reply="_INBOX.abc.1"))
        assert c.msgs_until_pong() == []
        responder.expect(b"MSG svc 1 _INBOX.abc.1 3\r\nreq\r\n")


def test_no_503_without_no_responders_or_without_reply(server):
    with connect(server, HEADERS_ON) as c:
        c.send(b"SUB _INBOX.abc.* 7\r\n" + pub("svc", b"req", reply="_INBOX.abc.1"))
        assert c.msgs_until_pong() == []
    with connect(server, NO_RESPONDERS) as c:
        c.send(b"SUB _INBOX.abc.* 7\r\n" + pub("svc", b"req"))
        assert c.msgs_until_pong() == []


def test_no_503_to_another_connections_reply_sub(server):
    with connect(server, NO_RESPONDERS) as c, connect(server, HEADERS_ON) as other:
        other.send(b"SUB _INBOX.other 1\r\n")
        other.ping_pong()
        c.send(pub("svc", b"req", reply="_INBOX.other") + PING)
        c.expect(PONG)
        # The reply subject has interest on `other`, but the 503 is only ever sent to the
        # publishing connection's own subscriptions.
        assert other.msgs_until_pong() == []


# --- pedantic -----------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["foo.*", "foo.>", "*", ">"])
def test_pedantic_invalid_publish_subject_is_still_delivered(server, subject):
    with connect(server, {"verbose": False, "pedantic": True}) as c:
        c.send(b"SUB > 1\r\n" + pub(subject, b"hi") + PING)
        c.expect(err("Invalid Publish Subject") + msg(subject, "1", b"hi") + PONG)


def test_pedantic_verbose_invalid_publish_subject(server):
    with connect(server, {"verbose": True, "pedantic": True}) as c:
        c.send(b"SUB > 1\r\n" + pub("a.*", b"hi") + PING)
        c.expect(OK + err("Invalid Publish Subject") + OK + msg("a.*", "1", b"hi") + PONG)


@pytest.mark.parametrize("subject", ["foo..bar", "foo.", ".foo"])
def test_subject_with_empty_token_matches_nothing(server, subject):
    with connect(server, {"verbose": False, "pedantic": True}) as c:
        c.send(b"SUB > 1\r\n" + pub(subject, b"hi") + PING)
        c.expect(err("Invalid Publish Subject") + PONG)
    with connect(server, {"verbose": False, "pedantic": False}) as c:
        c.send(b"SUB > 1\r\n" + pub(subject, b"hi") + PING)
        c.expect(PONG)


def test_not_pedantic_wildcard_publish_is_matched_literally(server):
    with connect(server, {"verbose": False, "pedantic": False}) as c:
        c.send(b"SUB foo.* 1\r\nSUB foo.bar 2\r\n" + pub("foo.*", b"hi") + PING)
        c.expect(msg("foo.*", "1", b"hi") + PONG)


# --- reserved subjects --------------------------------------------------------------------


@pytest.mark.parametrize("reply", ["_R_.abc", "$JS.ACK.stream.x", "_GR_.x.y"])
def test_reserved_reply_prefix_is_refused_and_connection_kept(server, reply):
    # Same in nats-server 2.9 and 2.15: -ERR, message dropped, connection kept.
    with connect(server) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"hi", reply=reply) + PING)
        c.expect(err(f'Permissions Violation for Publish with Reply of "{reply}"') + PONG)
        c.send(pub("foo", b"ok", reply="_R_") + PING)
        c.expect(msg("foo", "1", b"ok", reply="_R_") + PONG)


def test_reserved_reply_prefix_verbose_has_no_ok(server):
    with connect(server, {}) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"hi", reply="_R_.x") + PING)
        c.expect(OK + err('Permissions Violation for Publish with Reply of "_R_.x"') + PONG)


def test_publish_to_reserved_gateway_subject_is_refused(server):
    with connect(server) as c:
        c.send(b"SUB > 1\r\n" + pub("_GR_.foo", b"hi") + PING)
        c.expect(err('Permissions Violation for Publish to "_GR_.foo"') + PONG)


# --- PING/PONG ordering -------------------------------------------------------------------


def test_pong_comes_after_msgs_queued_to_the_same_connection(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\n")
        c.send(pub("foo", b"1"))
        c.send(PING)
        c.expect(msg("foo", "1", b"1") + PONG)
        c.send(b"".join(pub("foo", b"x" * 100) for _ in range(200)) + PING)
        c.expect(msg("foo", "1", b"x" * 100) * 200 + PONG)


def test_pong_means_earlier_publishes_are_queued_to_every_destination(server):
    subs = [connect(server) for _ in range(3)]
    try:
        for i, s in enumerate(subs):
            s.send(f"SUB foo {i}\r\n".encode())
            s.ping_pong()
        with connect(server) as p:
            p.send(b"".join(pub("foo", b"%d" % i) for i in range(100)) + PING)
            p.expect(PONG)
        # Each subscriber's PING is processed after those MSGs were queued to it.
        for i, s in enumerate(subs):
            assert s.msgs_until_pong() == [
                (f"MSG foo {i} {len(b'%d' % k)}".encode(), b"%d" % k) for k in range(100)
            ]
    finally:
        for s in subs:
            s.close()
