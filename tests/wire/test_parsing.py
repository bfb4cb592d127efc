"""The streaming parser: tolerance, splits, framing errors and size limits.

Reference §1.1, 1.5, 1.13.
"""

from __future__ import annotations

import random

import pytest

from .proto import OK, PING, PONG, connect, err, msg, pub

pytestmark = pytest.mark.timeout(60)


def test_ops_are_case_insensitive(server):
    with connect(server, handshake=False) as c:
        c.send(b'connect {"verbose":false}\r\nsub foo 1\r\nSuB bar 2\r\npub foo 2\r\nhi\r\n')
        c.send(b"Pub bar 1\r\nx\r\nuNsUb 1\r\npub foo 1\r\ny\r\nping\r\n")
        c.expect(msg("foo", "1", b"hi") + msg("bar", "2", b"x") + PONG)


def test_tabs_and_runs_of_blanks_separate_fields(server):
    with connect(server) as c:
        c.send(b"SUB \t foo\t\tq   1\r\n")
        c.send(b"SUB\tfoo  2 \t\r\n")
        c.send(b"PUB\t foo \t rep\t 5 \r\nhello\r\nPING\r\n")
        out = c.read_until(PONG)
    assert sorted(out[: -len(PONG)].split(b"\r\n")[:-1]) == sorted(
        b"MSG foo 1 rep 5\r\nhello\r\nMSG foo 2 rep 5\r\nhello".split(b"\r\n")
    )


def test_bare_newline_ends_control_lines(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false}\nSUB foo 1\nPUB foo 2\nhi\r\nPING\n')
        c.expect(msg("foo", "1", b"hi") + PONG)


def test_unsub_with_trailing_space(server):
    # nats.c really sends "UNSUB <sid> \r\n"
    with connect(server) as c:
        c.send(b"SUB foo 5\r\nUNSUB 5 \r\nPUB foo 2\r\nhi\r\nPING\r\n")
        c.expect(PONG)
        c.send(b"SUB foo 6\r\nUNSUB 6 2 \r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n")
        c.send(PING)
        c.expect(msg("foo", "6", b"a") + msg("foo", "6", b"b") + PONG)


def test_pub_payload_is_binary_safe(server):
    payload = b"PUB x 1\r\n\r\nPING\r\n\x00\xff" + bytes(range(256))
    with connect(server) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", payload) + PING)
        c.expect(msg("foo", "1", payload) + PONG)


def test_empty_payload(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\nPUB foo 0\r\n\r\nPUB foo r 0\r\n\r\nPING\r\n")
        c.expect(b"MSG foo 1 0\r\n\r\nMSG foo 1 r 0\r\n\r\n" + PONG)


TRANSCRIPT = (
    b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n'
    b"SUB foo.* 1\r\n"
    b"SUB foo.bar q 2\r\n"
    b"PUB foo.bar reply.x 5\r\nhello\r\n"
    b"HPUB foo.bar 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\n"
    b"UNSUB 1\r\n"
    b"PUB foo.bar 0\r\n\r\n"
    b"PING\r\n"
)
TRANSCRIPT_OUT = (
    b"MSG foo.bar 1 reply.x 5\r\nhello\r\n"
    b"MSG foo.bar 2 reply.x 5\r\nhello\r\n"
    b"HMSG foo.bar 1 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\n"
    b"HMSG foo.bar 2 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\n"
    b"MSG foo.bar 2 0\r\n\r\n"
    b"PONG\r\n"
)


def _split_out(data: bytes) -> list[bytes]:
    """Delivery order between two subs of one connection is not part of the contract:
    compare per-message, in per-sid order."""
    return sorted(data.split(b"\r\n"))


def test_ops_sent_one_byte_at_a_time(server):
    with connect(server, handshake=False) as c:
        c.send_bytewise(TRANSCRIPT)
        out = c.read_until(PONG)
    assert _split_out(out) == _split_out(TRANSCRIPT_OUT)


def test_ops_split_at_every_byte_boundary(server):
    # Everything after CONNECT, split in two writes at each position in turn.
    body = TRANSCRIPT[TRANSCRIPT.index(b"SUB foo.* 1") :].replace(b"UNSUB 1\r\n", b"")
    expected = (
        b"MSG foo.bar 1 reply.x 5\r\nhello\r\nMSG foo.bar 2 reply.x 5\r\nhello\r\n"
        b"HMSG foo.bar 1 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\n"
        b"HMSG foo.bar 2 22 24\r\nNATS/1.0\r\nBar: Baz\r\n\r\nhi\r\n"
        b"MSG foo.bar 1 0\r\n\r\nMSG foo.bar 2 0\r\n\r\nPONG\r\n"
    )
    with connect(server, {"verbose": False, "pedantic": False, "headers": True}) as c:
        for i in range(1, len(body)):
            # Fresh sids each round (SUB with an existing sid would be ignored).
            c.send(body[:i])
            c.send(body[i:])
            out = c.read_until(PONG)
            assert _split_out(out) == _split_out(expected), f"split at {i}: {body[:i]!r}"
            c.send(b"UNSUB 1\r\nUNSUB 2\r\n")


def test_many_ops_in_one_write(server):
    n = 500
    with connect(server) as c:
        data = b"SUB foo 1\r\n" + b"".join(pub("foo", b"%d" % i) for i in range(n)) + PING
        c.send(data)
        c.expect(b"".join(msg("foo", "1", b"%d" % i) for i in range(n)) + PONG)


def test_large_payload_in_random_pieces(server):
    rnd = random.Random(7)
    payload = bytes(rnd.getrandbits(8) for _ in range(300_000))
    data = pub("big", payload) + PING
    with connect(server) as c:
        c.send(b"SUB big 1\r\n")
        i = 0
        while i < len(data):
            step = rnd.randint(1, 70_000)
            c.send(data[i : i + step])
            i += step
        c.expect(msg("big", "1", payload) + PONG, timeout=10)


@pytest.mark.parametrize(
    "data",
    [
        b"PUB foo 2\r\nhiXX",  # payload not followed by CRLF
        b"PUB foo 2\r\nhi\n\r",
        b"PUB foo 2\r\nhi\n",  # a bare LF does not end a payload
        b"PUB foo 2\r\nhi\rX",
        b"PUB foo 2\r\nhi\r\r\n",
        b"PUB foo 1\r\nhi\r\n",  # size lies (too small)
        b"FOO\r\n",
        b"FOO bar\r\n",
        b"MSG foo 1 2\r\nhi\r\n",  # server-to-client op
        b"HMSGX\r\n",
        b"PUBX foo 1\r\n",
        b"UNSUB\r\n",  # no space after the op name
        b"SUBSCRIBE foo 1\r\n",
        b"\r\n",
        b"PINX\r\n",
    ],
)
def test_unknown_protocol_operation_closes(server, data):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\n")
        c.ping_pong()
        c.send(data)
        out = c.is_closed()
    # A PUB delivered before the framing error is detected is allowed to arrive first.
    out = out.replace(msg("foo", "1", b"h"), b"")
    assert out == err("Unknown Protocol Operation")


@pytest.mark.parametrize(
    "line",
    [
        b"PUB foo\r\n",
        b"PUB\tfoo \r\n",
        b"PUB foo bar baz 1\r\n",
        b"PUB foo -1\r\n",
        b"PUB foo +1\r\n",
        b"PUB foo 1x\r\n",
        b"PUB foo 0x10\r\n",
        b"PUB foo 1234567890\r\n",  # more than 9 digits
        b"PUB foo reply abc\r\n",
        b"SUB foo\r\n",
        b"SUB a b c d\r\n",
        b"SUB \r\n",
        b"UNSUB 1 2 3\r\n",
        b"UNSUB \r\n",
    ],
)
def test_bad_arguments_close_silently(server, line):
    with connect(server) as c:
        c.send(line)
        c.expect_closed()


@pytest.mark.parametrize(
    "line",
    [
        b"HPUB foo 5 2\r\n",  # header size > total size
        b"HPUB foo 2\r\n",  # missing total
        b"HPUB foo a b c d\r\n",
        b"HPUB foo x 2\r\n",
        b"HPUB foo 2 x\r\n",
    ],
)
def test_bad_hpub_arguments_close_silently(server, line):
    with connect(server, {"verbose": False, "headers": True}) as c:
        c.send(line)
        c.expect_closed()


# --- max_control_line ---------------------------------------------------------------------


def test_control_line_at_the_limit_is_accepted(start_server):
    srv = start_server(max_control_line=256)
    with connect(srv) as c:
        subject = "a" * 254  # the argument part "<subject> 1" is exactly 256 bytes
        c.send(f"SUB {subject} 1\r\n".encode() + pub(subject, b"x") + PING)
        c.expect(msg(subject, "1", b"x") + PONG)


@pytest.mark.parametrize("op", [b"SUB", b"PUB", b"UNSUB"])
def test_control_line_over_the_limit_closes(start_server, op):
    srv = start_server(max_control_line=256)
    with connect(srv) as c:
        c.send(op + b" " + b"a" * 255 + b" 1\r\n")  # 257 argument bytes
        c.expect_err_and_close("maximum control line exceeded")


def test_control_line_over_the_limit_without_line_end(start_server):
    # Checked while a split line is buffered, not only when it completes.
    srv = start_server(max_control_line=256)
    with connect(srv) as c:
        c.send(b"SUB " + b"a" * 400)
        c.expect_err_and_close("maximum control line exceeded")


def test_control_line_over_the_limit_split_across_writes(start_server):
    srv = start_server(max_control_line=256)
    with connect(srv) as c:
        c.send(b"PUB " + b"a" * 200)
        c.send(b"b" * 200 + b" 2\r\n")
        c.expect_err_and_close("maximum control line exceeded")


def test_default_control_line_limit_is_4096(server):
    with connect(server) as c:
        subject = "s" * 4094
        c.send(f"SUB {subject} 1\r\nPING\r\n".encode())
        c.expect(PONG)
    with connect(server) as c:
        c.send(b"SUB " + b"s" * 4095 + b" 1\r\n")
        c.expect_err_and_close("maximum control line exceeded")


# --- max_payload --------------------------------------------------------------------------


def test_payload_at_max_payload_is_accepted(start_server):
    srv = start_server(max_payload=1024)
    with connect(srv) as c:
        c.send(b"SUB foo 1\r\n" + pub("foo", b"x" * 1024) + PING)
        c.expect(msg("foo", "1", b"x" * 1024) + PONG)


@pytest.mark.parametrize(
    "line",
    [
        b"PUB foo 1025\r\n",
        b"PUB foo reply 999999\r\n",
        b"pub foo 100000000\r\n",
    ],
)
def test_max_payload_violation_on_the_control_line(start_server, line):
    srv = start_server(max_payload=1024)
    with connect(srv) as c:
        c.send(line)  # the payload is never sent: the check is on the control line
        c.expect_err_and_close("Maximum Payload Violation")


def test_hpub_total_size_counts_against_max_payload(start_server):
    srv = start_server(max_payload=1024)
    with connect(srv, {"verbose": False, "headers": True}) as c:
        c.send(b"HPUB foo 12 1024\r\n" + b"NATS/1.0\r\n\r\n" + b"x" * 1012 + b"\r\nPING\r\n")
        c.expect(PONG)
        c.send(b"HPUB foo 12 1025\r\n")
        c.expect_err_and_close("Maximum Payload Violation")


def test_verbose_max_payload_violation(start_server):
    srv = start_server(max_payload=16)
    with connect(srv, {}) as c:
        c.send(b"PUB foo 17\r\n")
        c.expect_err_and_close("Maximum Payload Violation")


def test_ok_is_not_sent_for_an_op_that_errs(server):
    with connect(server, {}) as c:
        c.send(b"SUB foo..bar 1\r\nPING\r\n")
        c.expect(err("Invalid Subject") + PONG)
        c.send(b"SUB foo 1\r\nPING\r\n")
        c.expect(OK + PONG)


def test_size_field_is_echoed_from_the_pub_line(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\nPUB foo 02\r\nhi\r\nPING\r\n")
        c.expect(b"MSG foo 1 02\r\nhi\r\n" + PONG)


def test_size_with_leading_zeros_is_accepted(server):
    with connect(server) as c:
        c.send(b"SUB foo 1\r\nPUB foo 0002\r\nhi\r\nPUB foo 2\r\nok\r\nPING\r\n")
        out = c.read_until(PONG)
    assert out.endswith(b"MSG foo 1 2\r\nok\r\nPONG\r\n")
    assert out.count(b"\r\nhi\r\n") == 1


# --- unusual bytes in subjects ------------------------------------------------------------


@pytest.mark.parametrize("subject", [b"\xff\xfe.a", b"a\x00b", b"\xc3\xa9t\xc3\xa9", b"a\x0bb"])
def test_subjects_are_bytes_not_text(server, subject):
    with connect(server, {"verbose": False, "pedantic": True}) as c:
        c.send(b"SUB " + subject + b" 1\r\nPUB " + subject + b" \xff\xfe 2\r\nhi\r\nPING\r\n")
        c.expect(b"MSG " + subject + b" 1 \xff\xfe 2\r\nhi\r\n" + PONG)


@pytest.mark.parametrize("pedantic", [False, True])
def test_form_feed_inside_a_subject_is_accepted(server, pedantic):
    with connect(server, {"verbose": False, "pedantic": pedantic}) as c:
        c.send(b"SUB a\x0cb 1\r\nSUB > 2\r\nPUB a\x0cb 2\r\nhi\r\nPING\r\n")
        out = c.read_until(PONG)
    assert sorted(out.split(b"\r\n")) == sorted(
        (b"MSG a\x0cb 1 2\r\nhi\r\nMSG a\x0cb 2 2\r\nhi\r\n" + PONG).split(b"\r\n")
    )


def test_cr_inside_pub_arguments_is_not_a_separator(server):
    with connect(server) as c:
        c.send(b"SUB > 1\r\nPUB a\rb 2\r\nhi\r\nPING\r\n")
        c.expect(b"MSG a\rb 1 2\r\nhi\r\n" + PONG)


def test_cr_inside_sub_arguments_separates_fields(server):
    # SUB arguments are split on blanks and CR/LF: "SUB a<CR>b 1" is subject a, queue b.
    with connect(server) as c:
        c.send(b"SUB a\rb 1\r\nSUB a 2\r\nPUB a 1\r\nx\r\nPING\r\n")
        out = c.read_until(PONG)
    assert sorted(out.split(b"\r\n")) == sorted(
        b"MSG a 1 1\r\nx\r\nMSG a 2 1\r\nx\r\nPONG\r\n".split(b"\r\n")
    )


def test_long_connect_line_counts_against_max_control_line(server):
    with connect(server, handshake=False) as c:
        c.send(b'CONNECT {"verbose":false,"name":"' + b"x" * 5000 + b'"}\r\nPING\r\n')
        c.expect_err_and_close("maximum control line exceeded")
