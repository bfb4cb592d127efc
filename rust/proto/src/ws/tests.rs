//! The codec against hand-made frames: masking across reads, split headers, fragments,
//! control frames and nats-server's error texts, deflate both ways.

use super::*;

/// A masked client frame.
fn client_frame(b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut f = Vec::new();
    f.push(b0);
    let len = payload.len();
    if len <= 125 {
        f.push(MASK | len as u8);
    } else if len < 65536 {
        f.push(MASK | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(MASK | 127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i & 3]));
    f
}

fn decode_all(d: &mut Decoder, input: &[u8]) -> (Vec<u8>, Control, Result<(), DecodeError>) {
    let mut out = Vec::new();
    let mut ctl = Control::default();
    let mut buf = input.to_vec();
    let r = d.decode(&mut buf, &mut out, &mut ctl);
    (out, ctl, r)
}

fn protocol_error(input: &[u8]) -> String {
    let mut d = Decoder::new(true, false, 1 << 20);
    match decode_all(&mut d, input).2 {
        Err(DecodeError::Protocol(m)) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn masked_frames_in_every_split() {
    let payload: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    let mut stream = client_frame(FIN | OP_BINARY, &payload, [1, 2, 3, 4]);
    stream.extend(client_frame(FIN | OP_TEXT, b"PING\r\n", [9, 8, 7, 6]));
    let mut want = payload.clone();
    want.extend_from_slice(b"PING\r\n");
    for split in 1..stream.len() {
        let mut d = Decoder::new(true, false, 1 << 20);
        let mut out = Vec::new();
        let mut ctl = Control::default();
        for piece in stream.chunks(split) {
            let mut piece = piece.to_vec();
            d.decode(&mut piece, &mut out, &mut ctl).unwrap();
        }
        assert_eq!(out, want, "split {split}");
    }
}

#[test]
fn fragments_and_control_frames_between_them() {
    let mut s = client_frame(OP_BINARY, b"PU", [1, 1, 1, 1]);
    s.extend(client_frame(FIN | OP_PING, b"hi", [2, 2, 2, 2]));
    s.extend(client_frame(
        FIN | OP_CONTINUATION,
        b"B a 1\r\nx\r\n",
        [3, 3, 3, 3],
    ));
    let mut d = Decoder::new(true, false, 1 << 20);
    let (out, ctl, r) = decode_all(&mut d, &s);
    r.unwrap();
    assert_eq!(out, b"PUB a 1\r\nx\r\n");
    assert_eq!(ctl.replies, [FIN | OP_PONG, 2, b'h', b'i']);
    assert!(ctl.close.is_none());
}

#[test]
fn close_is_echoed() {
    let mut d = Decoder::new(true, false, 1 << 20);
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye");
    let mut s = client_frame(FIN | OP_CLOSE, &payload, [5, 6, 7, 8]);
    s.extend(client_frame(FIN | OP_BINARY, b"ignored", [0, 0, 0, 0]));
    let (out, ctl, r) = decode_all(&mut d, &s);
    r.unwrap();
    assert!(out.is_empty());
    let mut want = vec![FIN | OP_CLOSE, 5];
    want.extend_from_slice(&payload);
    assert_eq!(ctl.close.unwrap(), want);
    // No status: an empty close back.
    let mut d = Decoder::new(true, false, 1 << 20);
    let (_, ctl, _) = decode_all(&mut d, &client_frame(FIN | OP_CLOSE, b"", [1, 2, 3, 4]));
    assert_eq!(ctl.close.unwrap(), [FIN | OP_CLOSE, 0]);
    // A body that is not UTF-8: 1007.
    let mut d = Decoder::new(true, false, 1 << 20);
    let (_, ctl, _) = decode_all(
        &mut d,
        &client_frame(FIN | OP_CLOSE, &[0x03, 0xe8, 0xff], [1, 2, 3, 4]),
    );
    let close = ctl.close.unwrap();
    assert_eq!(&close[2..4], &1007u16.to_be_bytes());
    assert_eq!(&close[4..], b"invalid utf8 body in close frame");
}

#[test]
fn nats_server_error_texts() {
    let unmasked = [FIN | OP_BINARY, 1, b'x'];
    assert_eq!(protocol_error(&unmasked), "mask bit missing");
    assert_eq!(
        protocol_error(&client_frame(FIN | 3, b"", [0; 4])),
        "unknown opcode 3"
    );
    assert_eq!(
        protocol_error(&client_frame(FIN | OP_PING, &[0; 126], [0; 4])),
        "control frame length bigger than maximum allowed of 125 bytes"
    );
    assert_eq!(
        protocol_error(&client_frame(OP_PING, b"", [0; 4])),
        "control frame does not have final bit set"
    );
    assert_eq!(
        protocol_error(&client_frame(FIN | OP_CONTINUATION, b"x", [0; 4])),
        "invalid continuation frame"
    );
    assert_eq!(
        protocol_error(&client_frame(FIN | 0x20 | OP_BINARY, b"x", [0; 4])),
        "RSV2 and RSV3 must be clear"
    );
    assert_eq!(
        protocol_error(&client_frame(FIN | RSV1 | OP_BINARY, b"x", [0; 4])),
        "compressed frame received without negotiated permessage-deflate"
    );
    let mut two = client_frame(OP_BINARY, b"a", [0; 4]);
    two.extend(client_frame(FIN | OP_BINARY, b"b", [0; 4]));
    assert_eq!(
        protocol_error(&two),
        "new message started before final frame for previous message was received"
    );
    assert_eq!(
        protocol_error(&client_frame(FIN | OP_CLOSE, b"x", [0; 4])),
        "close frame payload cannot be 1 byte"
    );
    assert_eq!(
        protocol_error(&client_frame(
            FIN | OP_CLOSE,
            &1005u16.to_be_bytes(),
            [0; 4]
        )),
        "invalid close status code 1005"
    );
    // No masking asked for: unmasked frames are fine.
    let mut d = Decoder::new(false, false, 1 << 20);
    let (out, _, r) = decode_all(&mut d, &unmasked);
    r.unwrap();
    assert_eq!(out, b"x");
}

#[test]
fn deflate_round_trip_and_limits() {
    let data: Vec<u8> = b"PUB foo 5\r\nhello\r\n".repeat(100);
    let mut enc = Encoder::new(true, false, false);
    let mut frames = Vec::new();
    enc.encode(&data, &mut frames);
    assert_eq!(frames[0], FIN | RSV1 | OP_BINARY);
    assert!(frames.len() < data.len() / 4);
    // The server's frame is what a client sends too, once masked.
    let payload_at = if frames[1] == 126 { 4 } else { 2 };
    let masked = client_frame(FIN | RSV1 | OP_BINARY, &frames[payload_at..], [7, 7, 1, 2]);
    let mut d = Decoder::new(true, true, 1 << 20);
    let (out, _, r) = decode_all(&mut d, &masked);
    r.unwrap();
    assert_eq!(out, data);
    // Twice in a row: no context kept between messages.
    let (out, _, r) = decode_all(&mut d, &masked);
    r.unwrap();
    assert_eq!(out, data);
    // Inflating beyond max_payload.
    let mut d = Decoder::new(true, true, 100);
    assert_eq!(decode_all(&mut d, &masked).2, Err(DecodeError::MaxPayload));
    // Bad data.
    let mut d = Decoder::new(true, true, 1 << 20);
    let bad = client_frame(FIN | RSV1 | OP_BINARY, &[0xff; 20], [1, 2, 3, 4]);
    assert_eq!(decode_all(&mut d, &bad).2, Err(DecodeError::Inflate));
    // Small writes are not compressed; browsers get 4 KiB frames.
    let mut frames = Vec::new();
    Encoder::new(true, false, false).encode(b"PONG\r\n", &mut frames);
    assert_eq!(
        frames,
        [FIN | OP_BINARY, 6, b'P', b'O', b'N', b'G', b'\r', b'\n']
    );
    let mut frames = Vec::new();
    Encoder::new(false, true, false).encode(&[b'x'; 5000], &mut frames);
    assert_eq!(frames.len(), 4 + 4096 + 4 + 904);
    assert_eq!(frames[4 + 4096], FIN | OP_BINARY);
}

#[test]
fn close_frames_for_reasons() {
    let f = close_frame_for(CloseReason::SlowConsumerPendingBytes);
    assert_eq!(&f[2..4], &1008u16.to_be_bytes());
    assert_eq!(&f[4..], b"Slow Consumer (Pending Bytes)");
    let long = close_payload(1000, &"x".repeat(200));
    assert_eq!(long.len(), 125);
    assert!(long.ends_with(b"..."));
}

/// Not a check: deflate and inflate speed on the bench's data (`cargo test --release -p
/// fastnats-proto deflate_speed -- --ignored --nocapture`), to compare flate2 backends.
#[test]
#[ignore = "a measurement"]
fn deflate_speed() {
    let mut data = Vec::new();
    while data.len() < 4 << 20 {
        data.extend_from_slice(b"MSG bench.subject.x 1 1024\r\n");
        data.extend_from_slice(&[b'x'; 1024]);
        data.extend_from_slice(b"\r\n");
    }
    let mut enc = Encoder::new(true, false, false);
    let mut frames = Vec::new();
    let t = std::time::Instant::now();
    for _ in 0..20 {
        frames.clear();
        enc.encode(&data, &mut frames);
    }
    let per = t.elapsed() / 20;
    println!("deflate 4 MiB: {per:?} -> {} bytes", frames.len());
    let payload_at = match frames[1] {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    let masked = client_frame(FIN | RSV1 | OP_BINARY, &frames[payload_at..], [1, 2, 3, 4]);
    let mut d = Decoder::new(true, true, 64 << 20);
    let t = std::time::Instant::now();
    for _ in 0..20 {
        let (out, _, r) = decode_all(&mut d, &masked);
        r.unwrap();
        assert_eq!(out.len(), data.len());
    }
    println!("inflate 4 MiB: {:?}", t.elapsed() / 20);
    // Small writes: one message each (the subscriber keeps up).
    let one = &data[..1054];
    let t = std::time::Instant::now();
    for _ in 0..10_000 {
        frames.clear();
        enc.encode(one, &mut frames);
    }
    println!(
        "deflate 1 KiB: {:?} -> {} bytes",
        t.elapsed() / 10_000,
        frames.len()
    );
}
