//! Fuzz target for `fastnats_proto::ws`, the WebSocket framing and permessage-deflate a
//! WebSocket client's bytes go through before the client protocol parser.
//!
//! Input: byte 0 picks the decoder (bit 0: frames unmasked, as with `Nats-No-Masking`; bit 1:
//! compression negotiated; bit 2: a tiny max_payload), bytes 1..9 seed the chunk sizes, the
//! rest is the client's byte stream.
//!
//! Checked: no panic; feeding the stream whole, in seeded chunks and byte by byte gives the
//! same payload bytes, the same control answers and the same error; and the encoder's
//! frames of the decoded payload (compressed or not, browser-sized or not) decode back to it.
#![no_main]

use fastnats_proto::ws::{Control, DecodeError, Decoder, Encoder};
use libfuzzer_sys::fuzz_target;

/// What one feed produced.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    out: Vec<u8>,
    replies: Vec<u8>,
    close: Option<Vec<u8>>,
    error: Option<DecodeError>,
}

fn feed(flags: u8, stream: &[u8], chunks: &mut dyn Iterator<Item = usize>) -> Outcome {
    let max_payload = if flags & 4 != 0 { 64 } else { 1 << 20 };
    let mut d = Decoder::new(flags & 1 == 0, flags & 2 != 0, max_payload);
    let mut out = Vec::new();
    let mut control = Control::default();
    let mut rest = stream;
    while !rest.is_empty() {
        let n = chunks.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let mut piece = rest[..n].to_vec();
        rest = &rest[n..];
        if let Err(e) = d.decode(&mut piece, &mut out, &mut control) {
            return Outcome {
                out,
                replies: control.replies,
                close: control.close,
                error: Some(e),
            };
        }
        if control.close.is_some() {
            break;
        }
    }
    Outcome {
        out,
        replies: control.replies,
        close: control.close,
        error: None,
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let flags = data[0];
    let seeds = &data[1..9];
    let stream = &data[9..];
    let whole = feed(flags, stream, &mut std::iter::empty());
    let mut seeded = seeds.iter().map(|&b| usize::from(b % 64) + 1).cycle();
    assert_eq!(whole, feed(flags, stream, &mut seeded), "seeded chunks");
    assert_eq!(whole, feed(flags, stream, &mut std::iter::repeat(1)), "bytewise");

    // The server's frames of what was decoded read back the same (unmasked, as sent).
    let browser = flags & 8 != 0;
    let mut frames = Vec::new();
    Encoder::new(flags & 2 != 0, browser, flags & 16 != 0).encode(&whole.out, &mut frames);
    let mut back = Decoder::new(false, flags & 2 != 0, usize::MAX / 16);
    let mut out = Vec::new();
    let mut control = Control::default();
    back.decode(&mut frames, &mut out, &mut control)
        .expect("the encoder's frames decode");
    assert_eq!(out, whole.out);
});
