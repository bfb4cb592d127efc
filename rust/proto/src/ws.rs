//! The WebSocket dialect: framing (RFC 6455 §5) and `permessage-deflate` (RFC 7692), as nats-server
//! speaks them to clients.
//!
//! Reading, [`Decoder`] takes the raw bytes as they come, in pieces of any size (a header may
//! be split across reads, a frame may carry many NATS ops and an op may span frames), unmasks
//! the payload and appends it to the reader's buffer. Control frames are answered here: a
//! ping gets a pong with its payload, a close gets a close echoing its status. The checks and
//! their order are nats-server's (`wsReadLoop`), so the same bad frame gets the same close
//! frame and reason text.
//!
//! Writing, [`Encoder`] makes one unmasked binary frame of each write of the connection's
//! outbound buffer (frames of at most 4 KiB for browsers, as nats-server does), deflated
//! when compression was negotiated and the write is larger than 64 bytes. Neither side keeps
//! a deflate context between messages (`server_no_context_takeover`,
//! `client_no_context_takeover`: what nats-server negotiates).

use crate::CloseReason;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Opcodes (RFC 6455 §5.2).
pub const OP_CONTINUATION: u8 = 0;
/// A text frame (nats.ws sends binary; some clients send text).
pub const OP_TEXT: u8 = 1;
/// A binary frame: what the server sends.
pub const OP_BINARY: u8 = 2;
/// Close.
pub const OP_CLOSE: u8 = 8;
/// Ping.
pub const OP_PING: u8 = 9;
/// Pong.
pub const OP_PONG: u8 = 10;

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const RSV2_RSV3: u8 = 0x30;
const MASK: u8 = 0x80;
/// Largest payload of a control frame.
const MAX_CONTROL_PAYLOAD: usize = 125;
/// Frame size limit for browsers, which handle small frames better (nats-server's
/// experiment).
pub const BROWSER_FRAME: usize = 4096;
mod deflate;

/// Writes up to this size are deflated by [`deflate::SmallDeflate`] (no reset cost), larger
/// ones by `flate2` (dynamic codes, its reset paid back).
const SMALL_DEFLATE_MAX: usize = 32 * 1024;
/// Writes up to this size are not compressed.
const COMPRESS_THRESHOLD: usize = 64;
/// What a sync flush ends a deflate block with; a compressed message leaves it out.
const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// The tail put back before inflating, followed by an empty final stored block so the
/// inflater sees the end of the stream.
const INFLATE_TAIL: [u8; 9] = [0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff];
/// The compressed size of one message is limited to this multiple of `max_payload`
/// (and to 64 MiB), as in nats-server.
const COMPRESSED_MULTIPLE: usize = 8;
const COMPRESSED_LIMIT: usize = 64 * 1024 * 1024;

/// Close status codes (RFC 6455 §7.4.1).
pub mod status {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// Going away.
    pub const GOING_AWAY: u16 = 1001;
    /// Protocol error.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// No status received (never sent).
    pub const NO_STATUS: u16 = 1005;
    /// Invalid payload data.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Policy violation.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// Message too big.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// Internal server error.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// TLS handshake failure (never sent in a frame by a peer, but nats-server maps to it).
    pub const TLS_HANDSHAKE: u16 = 1015;
}

/// Why reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A frame broke the protocol: the connection is closed with a close frame of status
    /// 1002 and this text (nats-server's).
    Protocol(String),
    /// A compressed message is larger than allowed, or inflates beyond `max_payload`.
    MaxPayload,
    /// A compressed message does not inflate.
    Inflate,
}

/// What [`Decoder::decode`] saw besides data.
#[derive(Debug, Default)]
pub struct Control {
    /// Frames to send back now (pongs), already framed.
    pub replies: Vec<u8>,
    /// The client sent a close frame: the close frame to answer with (framed). Reading
    /// stops there.
    pub close: Option<Vec<u8>>,
}

/// The reading side's state between reads.
#[derive(Debug)]
pub struct Decoder {
    /// Client frames must be masked (unless the client asked for `Nats-No-Masking`).
    masked: bool,
    /// `permessage-deflate` was negotiated.
    compression: bool,
    /// The current message's limit once inflated (`max_payload`).
    max_payload: usize,
    /// Header bytes of a frame not complete yet.
    head: [u8; 14],
    head_len: usize,
    /// Payload bytes left in the current frame (0 between frames).
    remaining: u64,
    /// The current frame's opcode (a control frame's is kept while its payload arrives).
    opcode: u8,
    key: [u8; 4],
    key_pos: usize,
    /// The previous message is complete: a new one may start (nats-server's `ff`).
    message_done: bool,
    /// The current message is compressed.
    compressed: bool,
    /// A control frame's payload, gathered until complete.
    control: Vec<u8>,
    /// A compressed message's payload, gathered until its last frame.
    deflated: Vec<u8>,
    inflater: Option<Box<Decompress>>,
}

impl Decoder {
    /// A decoder for a client that masks its frames (`masked`), with `compression`
    /// negotiated or not; inflated messages may not exceed `max_payload`.
    #[must_use]
    pub fn new(masked: bool, compression: bool, max_payload: usize) -> Decoder {
        Decoder {
            masked,
            compression,
            max_payload,
            head: [0; 14],
            head_len: 0,
            remaining: 0,
            opcode: 0,
            key: [0; 4],
            key_pos: 0,
            message_done: true,
            compressed: false,
            control: Vec::new(),
            deflated: Vec::new(),
            inflater: None,
        }
    }

    /// Sets the limit of an inflated message (the connection's `max_payload` may change
    /// once it authenticates).
    pub fn set_max_payload(&mut self, max_payload: usize) {
        self.max_payload = max_payload;
    }

    /// Decodes `input` (unmasking it in place), appending message payload to `out` and
    /// answers to `control`. Stops early only after a close frame (`control.close` is then
    /// set) or on an error; otherwise every byte of `input` is consumed.
    ///
    /// # Errors
    ///
    /// A frame that breaks the protocol, or a compressed message that is too large or does
    /// not inflate (see [`DecodeError`]); reading ends there.
    pub fn decode(
        &mut self,
        input: &mut [u8],
        out: &mut Vec<u8>,
        control: &mut Control,
    ) -> Result<(), DecodeError> {
        let mut pos = 0;
        while pos < input.len() {
            if self.remaining == 0 {
                // A frame header, possibly in pieces.
                let need = match self.header_needed(&input[pos..]) {
                    Some(n) => n,
                    None => {
                        // Not complete: keep what there is for the next read.
                        let rest = &input[pos..];
                        self.head[self.head_len..self.head_len + rest.len()].copy_from_slice(rest);
                        self.head_len += rest.len();
                        return Ok(());
                    }
                };
                let take = need - self.head_len;
                self.head[self.head_len..need].copy_from_slice(&input[pos..pos + take]);
                pos += take;
                self.head_len = 0;
                self.start_frame(need)?;
                if is_control(self.opcode) {
                    self.control.clear();
                    if self.remaining == 0 {
                        self.finish_control(control)?;
                        if control.close.is_some() {
                            return Ok(());
                        }
                    }
                    continue;
                }
                if self.remaining == 0 {
                    // An empty data frame (it may still end a compressed message).
                    self.end_of_frame(out)?;
                }
                continue;
            }
            let n = (self.remaining as usize).min(input.len() - pos);
            let chunk = &mut input[pos..pos + n];
            pos += n;
            self.remaining -= n as u64;
            if self.masked {
                unmask(chunk, self.key, &mut self.key_pos);
            }
            if is_control(self.opcode) {
                self.control.extend_from_slice(chunk);
                if self.remaining == 0 {
                    self.finish_control(control)?;
                    if control.close.is_some() {
                        return Ok(());
                    }
                }
            } else if self.compressed {
                let limit = (self.max_payload * COMPRESSED_MULTIPLE).min(COMPRESSED_LIMIT);
                if self.deflated.len() + chunk.len() > limit {
                    return Err(DecodeError::MaxPayload);
                }
                self.deflated.extend_from_slice(chunk);
                if self.remaining == 0 {
                    self.end_of_frame(out)?;
                }
            } else {
                out.extend_from_slice(chunk);
                if self.remaining == 0 {
                    self.end_of_frame(out)?;
                }
            }
        }
        Ok(())
    }

    /// The header's full length once its first bytes are known, or `None` when `more`
    /// (after what is kept) does not complete it.
    fn header_needed(&mut self, more: &[u8]) -> Option<usize> {
        let have = self.head_len + more.len();
        let byte = |i: usize| {
            if i < self.head_len {
                self.head[i]
            } else {
                more[i - self.head_len]
            }
        };
        if have < 2 {
            return None;
        }
        let len7 = byte(1) & 0x7f;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if byte(1) & MASK != 0 { 4 } else { 0 };
        let need = 2 + ext + mask;
        (have >= need).then_some(need)
    }

    /// Checks a complete header (`self.head[..len]`) and sets up its frame, in
    /// nats-server's order of checks.
    fn start_frame(&mut self, len: usize) -> Result<(), DecodeError> {
        let protocol = |m: &str| Err(DecodeError::Protocol(m.to_string()));
        let b0 = self.head[0];
        let b1 = self.head[1];
        let opcode = b0 & 0x0f;
        let fin = b0 & FIN != 0;
        let compressed = b0 & RSV1 != 0;
        if b0 & RSV2_RSV3 != 0 {
            return protocol("RSV2 and RSV3 must be clear");
        }
        if compressed && !self.compression {
            return protocol("compressed frame received without negotiated permessage-deflate");
        }
        if self.masked && b1 & MASK == 0 {
            return protocol("mask bit missing");
        }
        let len7 = u64::from(b1 & 0x7f);
        match opcode {
            OP_PING | OP_PONG | OP_CLOSE => {
                if len7 > MAX_CONTROL_PAYLOAD as u64 {
                    return Err(DecodeError::Protocol(format!(
                        "control frame length bigger than maximum allowed of {MAX_CONTROL_PAYLOAD} bytes"
                    )));
                }
                if !fin {
                    return protocol("control frame does not have final bit set");
                }
                if compressed {
                    return protocol("control frame must not be compressed");
                }
            }
            OP_TEXT | OP_BINARY => {
                if !self.message_done {
                    return protocol(
                        "new message started before final frame for previous message was received",
                    );
                }
                self.message_done = fin;
                self.compressed = compressed;
            }
            OP_CONTINUATION => {
                if self.message_done || compressed {
                    return protocol("invalid continuation frame");
                }
                self.message_done = fin;
            }
            other => return Err(DecodeError::Protocol(format!("unknown opcode {other}"))),
        }
        let (remaining, key_at) = match len7 {
            126 => (
                u64::from(u16::from_be_bytes([self.head[2], self.head[3]])),
                4,
            ),
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.head[2..10]);
                let n = u64::from_be_bytes(b);
                if n & (1 << 63) != 0 {
                    return protocol("invalid 64-bit payload length");
                }
                (n, 10)
            }
            n => (n, 2),
        };
        if b1 & MASK != 0 {
            self.key.copy_from_slice(&self.head[key_at..key_at + 4]);
            debug_assert_eq!(key_at + 4, len);
        }
        self.key_pos = 0;
        self.remaining = remaining;
        self.opcode = opcode;
        Ok(())
    }

    /// A data frame's payload is complete: a compressed message is inflated once its last
    /// frame is in.
    fn end_of_frame(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        if self.compressed && self.message_done {
            let result = self.inflate(out);
            self.deflated.clear();
            self.compressed = false;
            if self.deflated.capacity() > 64 * 1024 {
                self.deflated = Vec::new();
            }
            return result;
        }
        Ok(())
    }

    fn inflate(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let limit = (self.max_payload * COMPRESSED_MULTIPLE).min(COMPRESSED_LIMIT);
        if self.deflated.len() + INFLATE_TAIL.len() > limit {
            return Err(DecodeError::MaxPayload);
        }
        self.deflated.extend_from_slice(&INFLATE_TAIL);
        let inflater = self
            .inflater
            .get_or_insert_with(|| Box::new(Decompress::new(false)));
        inflater.reset(false);
        let start = out.len();
        let mut input: &[u8] = &self.deflated;
        loop {
            if out.len() - start > self.max_payload {
                return Err(DecodeError::MaxPayload);
            }
            // Into a zeroed tail of a bounded size: flate2's `*_vec` calls zero the whole
            // spare capacity on every call, which for a large read buffer costs more than
            // the inflating.
            let written = out.len();
            out.resize(written + (input.len() * 4).clamp(4096, 64 * 1024), 0);
            let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
            let status = inflater.decompress(input, &mut out[written..], FlushDecompress::None);
            let produced = (inflater.total_out() - out_before) as usize;
            out.truncate(written + produced);
            let status = status.map_err(|_| DecodeError::Inflate)?;
            let used = (inflater.total_in() - in_before) as usize;
            input = &input[used..];
            if status == Status::StreamEnd {
                break;
            }
            if used == 0 && produced == 0 {
                // No progress with room to write: the data is cut short or stuck.
                return Err(DecodeError::Inflate);
            }
        }
        if out.len() - start > self.max_payload {
            return Err(DecodeError::MaxPayload);
        }
        Ok(())
    }

    /// A control frame is complete: answer it (nats-server's `wsHandleControlFrame`).
    fn finish_control(&mut self, control: &mut Control) -> Result<(), DecodeError> {
        let payload = std::mem::take(&mut self.control);
        match self.opcode {
            OP_PING => frame_into(&mut control.replies, OP_PONG, &payload),
            OP_PONG => {}
            _ => {
                if payload.len() == 1 {
                    return Err(DecodeError::Protocol(
                        "close frame payload cannot be 1 byte".into(),
                    ));
                }
                let mut reply = Vec::new();
                if payload.len() >= 2 {
                    let mut code = u16::from_be_bytes([payload[0], payload[1]]);
                    if !is_valid_close_status(code) {
                        return Err(DecodeError::Protocol(format!(
                            "invalid close status code {code}"
                        )));
                    }
                    let mut body = String::new();
                    if payload.len() > 2 {
                        match std::str::from_utf8(&payload[2..]) {
                            Ok(s) => body = s.to_string(),
                            Err(_) => {
                                code = status::INVALID_PAYLOAD;
                                body = "invalid utf8 body in close frame".into();
                            }
                        }
                    }
                    reply = close_payload(code, &body);
                }
                let mut frame = Vec::with_capacity(2 + reply.len());
                frame_into(&mut frame, OP_CLOSE, &reply);
                control.close = Some(frame);
            }
        }
        self.control = payload;
        self.control.clear();
        Ok(())
    }
}

fn is_control(opcode: u8) -> bool {
    opcode >= OP_CLOSE
}

/// Close codes a peer may send (RFC 6455 §7.4).
fn is_valid_close_status(code: u16) -> bool {
    !matches!(code, 1004 | 1005 | 1006 | 1015)
        && (1000..5000).contains(&code)
        && !(1016..=2999).contains(&code)
}

/// XORs `buf` with the masking key, continuing at `*pos` (frames' payloads arrive in pieces).
fn unmask(buf: &mut [u8], key: [u8; 4], pos: &mut usize) {
    let mut k8 = [0u8; 8];
    for (i, k) in k8.iter_mut().enumerate() {
        *k = key[(*pos + i) & 3];
    }
    let wide = u64::from_ne_bytes(k8);
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(w) ^ wide).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k8[i];
    }
    *pos = (*pos + buf.len()) & 3;
}

/// Appends an unmasked frame header for a payload of `len` bytes.
pub fn header_into(buf: &mut Vec<u8>, first_byte: u8, len: usize) {
    buf.push(first_byte);
    if len <= 125 {
        buf.push(len as u8);
    } else if len < 65536 {
        buf.push(126);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(127);
        buf.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// Appends one complete, unmasked frame of `opcode` with `payload`.
pub fn frame_into(buf: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    header_into(buf, FIN | opcode, payload.len());
    buf.extend_from_slice(payload);
}

/// A close frame's payload: the status, then `body` cut to fit a control frame (with
/// "..." at the end when cut, as nats-server does).
#[must_use]
pub fn close_payload(code: u16, body: &str) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    if body.len() > MAX_CONTROL_PAYLOAD - 2 {
        let mut cut = MAX_CONTROL_PAYLOAD - 5;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        out.extend_from_slice(&body.as_bytes()[..cut]);
        out.extend_from_slice(b"...");
    } else {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// The close frame the server sends when it closes the connection for `reason`
/// (nats-server's `wsEnqueueCloseMessage` mapping).
#[must_use]
pub fn close_frame_for(reason: CloseReason) -> Vec<u8> {
    use CloseReason as R;
    let code = match reason {
        R::ClientClosed => status::NORMAL,
        R::AuthenticationTimeout
        | R::AuthenticationViolation
        | R::SlowConsumerPendingBytes
        | R::SlowConsumerWriteDeadline
        | R::MaxAccountConnectionsExceeded
        | R::MaxConnectionsExceeded
        | R::MaxControlLineExceeded
        | R::MaxSubscriptionsExceeded
        | R::MissingAccount
        | R::AuthenticationExpired => status::POLICY_VIOLATION,
        R::TlsHandshakeError => status::TLS_HANDSHAKE,
        R::ParseError | R::ProtocolViolation | R::BadClientProtocolVersion => {
            status::PROTOCOL_ERROR
        }
        R::MaxPayloadExceeded => status::MESSAGE_TOO_BIG,
        R::WriteError | R::ReadError | R::StaleConnection | R::ServerShutdown => status::GOING_AWAY,
        _ => status::INTERNAL_ERROR,
    };
    let mut frame = Vec::new();
    frame_into(&mut frame, OP_CLOSE, &close_payload(code, reason.as_str()));
    frame
}

/// The writing side: frames (and deflates) the connection's outbound bytes.
pub struct Encoder {
    /// Deflate writes larger than the threshold.
    compression: bool,
    /// Limit frames to [`BROWSER_FRAME`] bytes.
    browser: bool,
    /// Do not split compressed messages into frames (Safari).
    no_compressed_fragments: bool,
    deflater: Option<Box<Compress>>,
    small: Option<deflate::SmallDeflate>,
    deflated: Vec<u8>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("compression", &self.compression)
            .field("browser", &self.browser)
            .finish_non_exhaustive()
    }
}

impl Encoder {
    /// An encoder for a client with `compression` negotiated, that is a `browser` (frames
    /// of at most 4 KiB) and maybe one that cannot take compressed fragments.
    #[must_use]
    pub fn new(compression: bool, browser: bool, no_compressed_fragments: bool) -> Encoder {
        Encoder {
            compression,
            browser,
            no_compressed_fragments,
            deflater: None,
            small: None,
            deflated: Vec::new(),
        }
    }

    /// Whether [`Encoder::encode`] of `data` is one plain binary frame: then its header
    /// ([`Encoder::header`]) can be written in front of `data` without copying `data`.
    #[must_use]
    pub fn is_single_frame(&self, data: &[u8]) -> bool {
        let compressed = self.compression && data.len() > COMPRESS_THRESHOLD;
        let split = self.browser && data.len() > BROWSER_FRAME;
        !compressed && !split
    }

    /// Appends the header of the single binary frame carrying `len` bytes.
    pub fn header(out: &mut Vec<u8>, len: usize) {
        header_into(out, FIN | OP_BINARY, len);
    }

    /// Appends `data` to `out` as binary frame(s).
    pub fn encode(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if data.is_empty() {
            return;
        }
        if self.compression && data.len() > COMPRESS_THRESHOLD {
            self.deflate(data);
            let max = if self.browser && !self.no_compressed_fragments {
                BROWSER_FRAME
            } else {
                usize::MAX
            };
            let payload = &self.deflated;
            out.reserve(payload.len() + 14 * (1 + payload.len() / BROWSER_FRAME));
            let mut first = true;
            let mut rest: &[u8] = payload;
            loop {
                let n = rest.len().min(max);
                let last = n == rest.len();
                let mut b0 = if first {
                    OP_BINARY | RSV1
                } else {
                    OP_CONTINUATION
                };
                if last {
                    b0 |= FIN;
                }
                header_into(out, b0, n);
                out.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                first = false;
                if last {
                    break;
                }
            }
            if self.deflated.capacity() > 1024 * 1024 {
                self.deflated = Vec::new();
            }
            return;
        }
        if self.browser {
            out.reserve(data.len() + 4 * (1 + data.len() / BROWSER_FRAME));
            for chunk in data.chunks(BROWSER_FRAME) {
                frame_into(out, OP_BINARY, chunk);
            }
        } else {
            out.reserve(data.len() + 10);
            frame_into(out, OP_BINARY, data);
        }
    }

    /// Deflates `data` into `self.deflated` with a fresh context, without the sync tail.
    fn deflate(&mut self, data: &[u8]) {
        if data.len() <= SMALL_DEFLATE_MAX {
            self.deflated.clear();
            self.small
                .get_or_insert_with(deflate::SmallDeflate::default)
                .compress(data, &mut self.deflated);
            return;
        }
        let deflater = self
            .deflater
            .get_or_insert_with(|| Box::new(Compress::new(Compression::fast(), false)));
        deflater.reset();
        self.deflated.clear();
        let mut input = data;
        loop {
            // A zeroed tail of a bounded size (see `Decoder::inflate`).
            let written = self.deflated.len();
            self.deflated
                .resize(written + (input.len() / 4).clamp(1024, 64 * 1024), 0);
            let (in_before, out_before) = (deflater.total_in(), deflater.total_out());
            // Compressing into memory cannot fail.
            let _ = deflater.compress(input, &mut self.deflated[written..], FlushCompress::Sync);
            let produced = (deflater.total_out() - out_before) as usize;
            self.deflated.truncate(written + produced);
            input = &input[(deflater.total_in() - in_before) as usize..];
            if input.is_empty() && self.deflated.ends_with(&SYNC_TAIL) {
                break;
            }
        }
        self.deflated
            .truncate(self.deflated.len() - SYNC_TAIL.len());
    }
}

#[cfg(test)]
mod tests;
