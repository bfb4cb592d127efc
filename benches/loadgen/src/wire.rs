//! The client side of the NATS wire protocol, as little of it as a load generator needs:
//! connect (CONNECT + PING, wait for PONG), an incremental reader that yields server ops and
//! skips payloads without copying them, and pre-built publish buffers written in large chunks.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::report::json_string;
pub use crate::tls::Conn;

/// One server op, borrowed from the read buffer. Payload bytes are skipped by length, so a
/// 64 KiB message costs one header parse; only a reader made with [`Reader::whole_up_to`]
/// exposes the payloads of small messages (JetStream replies, which must be read).
pub enum Op<'a> {
    /// `MSG` or `HMSG` (then `hdr` is true); `size` is the (total) payload size, `first` the
    /// first byte after the MSG line (0 for an empty payload): runs that publish distinct
    /// payloads on one subject tell whose message arrived by it. `body` is the whole payload
    /// (headers included) when it is at most the reader's `whole_up_to` bytes.
    Msg {
        reply: Option<&'a [u8]>,
        size: usize,
        hdr: bool,
        first: u8,
        body: Option<&'a [u8]>,
    },
    Ping,
    Pong,
    /// `-ERR ...`: the text after `-ERR `.
    Err(&'a [u8]),
    /// `INFO`, `+OK` and anything else that carries nothing for us.
    Other,
}

/// What went wrong on a connection, as text for the JSON report.
pub fn err_text(context: &str, e: impl std::fmt::Display) -> String {
    format!("{context}: {e}")
}

/// Incremental reader over one connection's byte stream.
pub struct Reader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Payload bytes (plus the trailing CRLF) of the current message still to skip.
    skip: usize,
    /// Payloads up to this size are waited for and handed over whole (`Op::Msg::body`).
    whole: usize,
}

impl Reader {
    pub fn new() -> Self {
        Reader::with_capacity(256 * 1024)
    }

    /// A smaller buffer, for thousands of idle connections (it grows for a long line).
    pub fn with_capacity(n: usize) -> Self {
        Reader {
            buf: vec![0; n],
            start: 0,
            end: 0,
            skip: 0,
            whole: 0,
        }
    }

    /// Hand over payloads of up to `n` bytes whole (`Op::Msg::body`).
    pub fn whole_up_to(mut self, n: usize) -> Self {
        self.whole = n;
        self
    }

    /// One `read()` from the socket, then every complete op in the buffer goes to `f`.
    /// Returns the number of bytes read; EOF is an error (the server closed on us).
    /// A read timeout surfaces as `WouldBlock`/`TimedOut`, which callers may retry.
    pub fn read_some<F: FnMut(Op<'_>)>(&mut self, sock: &mut Conn, mut f: F) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < self.buf.len() / 4 {
            // Little room left: move the partial line to the front, or grow when it already
            // fills most of the buffer (a long INFO line).
            if self.start < self.buf.len() / 4 {
                let n = self.buf.len();
                self.buf.resize(n * 2, 0);
            } else {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
        }
        let n = sock.read(&mut self.buf[self.end..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        self.end += n;
        self.parse(&mut f)?;
        Ok(n)
    }

    /// Read until a PONG arrives, answering the server's PINGs. Messages are counted and
    /// returned (a subscriber's flush can see some); an `-ERR` is an error.
    pub fn wait_pong(&mut self, sock: &mut Conn) -> io::Result<u64> {
        let mut done = false;
        let mut msgs = 0u64;
        while !done {
            let mut err: Option<String> = None;
            let mut pings = 0;
            self.read_some(sock, |op| match op {
                Op::Pong => done = true,
                Op::Ping => pings += 1,
                Op::Msg { .. } => msgs += 1,
                Op::Err(e) => err = Some(String::from_utf8_lossy(e).into_owned()),
                Op::Other => {}
            })?;
            for _ in 0..pings {
                sock.write_all(b"PONG\r\n")?;
            }
            if let Some(e) = err {
                return Err(io::Error::other(format!("-ERR {e}")));
            }
        }
        Ok(msgs)
    }

    fn parse<F: FnMut(Op<'_>)>(&mut self, f: &mut F) -> io::Result<()> {
        loop {
            if self.skip > 0 {
                let k = self.skip.min(self.end - self.start);
                self.start += k;
                self.skip -= k;
                if self.skip > 0 {
                    return Ok(());
                }
            }
            let avail = &self.buf[self.start..self.end];
            let Some(nl) = avail.iter().position(|&b| b == b'\n') else {
                return Ok(());
            };
            let line_end = if nl > 0 && avail[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            let line_start = self.start;
            let line = &self.buf[self.start..self.start + line_end];
            self.start += nl + 1;
            let mut op = classify(line)?;
            if let Op::Msg {
                size, first, body, ..
            } = &mut op
            {
                if *size > 0 {
                    let whole = *size <= self.whole;
                    let need = if whole { *size } else { 1 };
                    if self.end - self.start < need {
                        // The first payload byte (or the small payload) is not here yet: parse
                        // the line again with it.
                        self.start = line_start;
                        return Ok(());
                    }
                    *first = self.buf[self.start];
                    if whole {
                        *body = Some(&self.buf[self.start..self.start + *size]);
                    }
                }
                self.skip = *size + 2;
            }
            f(op);
        }
    }
}

fn bad(line: &[u8]) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "unparsable server line {:?}",
            String::from_utf8_lossy(&line[..line.len().min(120)])
        ),
    )
}

fn classify(line: &[u8]) -> io::Result<Op<'_>> {
    let hdr = line.starts_with(b"HMSG ");
    if hdr || line.starts_with(b"MSG ") {
        // MSG <subject> <sid> [reply] <size>  |  HMSG <subject> <sid> [reply] <hsize> <tsize>
        let mut toks: [&[u8]; 6] = [&[]; 6];
        let mut n = 0;
        for t in line.split(|&b| b == b' ').filter(|t| !t.is_empty()) {
            if n == toks.len() {
                return Err(bad(line));
            }
            toks[n] = t;
            n += 1;
        }
        let fixed = if hdr { 5 } else { 4 };
        if n != fixed && n != fixed + 1 {
            return Err(bad(line));
        }
        let size = parse_usize(toks[n - 1]).ok_or_else(|| bad(line))?;
        let reply = if n == fixed + 1 { Some(toks[3]) } else { None };
        return Ok(Op::Msg {
            reply,
            size,
            hdr,
            first: 0,
            body: None,
        });
    }
    if line.starts_with(b"PING") {
        Ok(Op::Ping)
    } else if line.starts_with(b"PONG") {
        Ok(Op::Pong)
    } else if let Some(rest) = line.strip_prefix(b"-ERR") {
        Ok(Op::Err(rest.strip_prefix(b" ").unwrap_or(rest)))
    } else if line.starts_with(b"INFO") || line.starts_with(b"+OK") || line.is_empty() {
        Ok(Op::Other)
    } else {
        Err(bad(line))
    }
}

fn parse_usize(t: &[u8]) -> Option<usize> {
    if t.is_empty() || t.len() > 12 {
        return None;
    }
    let mut v = 0usize;
    for &b in t {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as usize;
    }
    Some(v)
}

/// A connected, handshaken client.
pub struct Client {
    pub sock: Conn,
    pub reader: Reader,
}

/// How a client introduces itself.
#[derive(Clone)]
pub struct Hello {
    pub headers: bool,
    pub echo: bool,
    /// `"user"` / `"pass"` of the CONNECT (user/password authentication), when set.
    pub user: Option<String>,
    pub pass: Option<String>,
}

impl Default for Hello {
    fn default() -> Self {
        Hello {
            headers: true,
            echo: true,
            user: None,
            pass: None,
        }
    }
}

pub fn connect_line(name: &str, hello: &Hello) -> Vec<u8> {
    let mut auth = String::new();
    for (key, val) in [("user", &hello.user), ("pass", &hello.pass)] {
        if let Some(v) = val {
            auth.push_str(&format!(",\"{key}\":{}", json_string(v)));
        }
    }
    format!(
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"tls_required\":{},\"name\":{},\
         \"lang\":\"rust-loadgen\",\"version\":\"0.1.0\",\"protocol\":1,\"echo\":{},\
         \"headers\":{},\"no_responders\":{}{auth}}}\r\nPING\r\n",
        crate::tls::enabled(),
        json_string(name),
        hello.echo,
        hello.headers,
        hello.headers
    )
    .into_bytes()
}

impl Client {
    /// TCP connect, CONNECT + PING, and wait for the PONG (as every official client does).
    pub fn connect(
        addr: &str,
        name: &str,
        hello: &Hello,
        timeout: Duration,
    ) -> Result<Client, String> {
        let sock = TcpStream::connect(addr).map_err(|e| err_text(&format!("connect {addr}"), e))?;
        sock.set_nodelay(true).map_err(|e| err_text("nodelay", e))?;
        sock.set_read_timeout(Some(timeout))
            .map_err(|e| err_text("read timeout", e))?;
        let (sock, _info) = Conn::open(sock, addr)?;
        let mut c = Client {
            sock,
            reader: Reader::new(),
        };
        c.write(&connect_line(name, hello))
            .map_err(|e| err_text("send CONNECT", e))?;
        c.wait_pong()
            .map_err(|e| err_text(&format!("handshake of {name}"), e))?;
        Ok(c)
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sock.write_all(bytes)
    }

    /// Read until a PONG arrives (see [`Reader::wait_pong`]).
    pub fn wait_pong(&mut self) -> io::Result<u64> {
        self.reader.wait_pong(&mut self.sock)
    }

    /// PING and wait for the PONG: every op sent before it has been processed.
    pub fn flush(&mut self) -> io::Result<u64> {
        self.write(b"PING\r\n")?;
        self.wait_pong()
    }
}

/// A run of pre-built protocol bytes holding several messages, written in large chunks
/// (cut at message boundaries) until the wanted count is sent.
pub struct PubBuffer {
    bytes: Vec<u8>,
    /// `ends[i]`: offset just past message `i`.
    ends: Vec<usize>,
    /// Message counts at which a chunk of about [`CHUNK`] bytes ends (the last is `ends.len()`).
    cuts: Vec<usize>,
}

/// Chunk size of publisher writes (nats-server's own bench uses a 32 KiB buffered writer).
const CHUNK: usize = 64 * 1024;

impl PubBuffer {
    /// One message repeated to fill about one chunk.
    pub fn repeated(one: &[u8]) -> PubBuffer {
        let n = (CHUNK / one.len()).max(1);
        PubBuffer::cycle(std::iter::repeat_n(one.to_vec(), n))
    }

    /// Distinct messages, in order.
    pub fn cycle(msgs: impl Iterator<Item = Vec<u8>>) -> PubBuffer {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        let mut cuts = Vec::new();
        let mut chunk_start = 0;
        for m in msgs {
            if !ends.is_empty() && bytes.len() + m.len() - chunk_start > CHUNK {
                cuts.push(ends.len());
                chunk_start = bytes.len();
            }
            bytes.extend_from_slice(&m);
            ends.push(bytes.len());
        }
        cuts.push(ends.len());
        PubBuffer { bytes, ends, cuts }
    }

    /// Messages in one pass over the buffer.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Mean bytes per message.
    pub fn msg_len(&self) -> u64 {
        (self.bytes.len() / self.ends.len().max(1)) as u64
    }

    /// Write `count` messages, cycling through the buffer. `sent` is bumped per chunk (it may
    /// be shared by several publishers, and the gate reads it) so a watchdog can report
    /// progress.
    pub fn send(
        &self,
        sock: &mut Conn,
        count: u64,
        sent: &AtomicU64,
        gate: &Gate,
    ) -> io::Result<()> {
        let mut done = 0u64;
        while done < count {
            let in_cycle = (count - done).min(self.ends.len() as u64) as usize;
            let mut first = 0;
            for &cut in &self.cuts {
                let last = cut.min(in_cycle);
                let from = if first == 0 { 0 } else { self.ends[first - 1] };
                sock.write_all(&self.bytes[from..self.ends[last - 1]])?;
                done += (last - first) as u64;
                sent.fetch_add((last - first) as u64, Relaxed);
                if let Some(own) = gate.sent {
                    own.fetch_add((last - first) as u64, Relaxed);
                }
                gate.wait(gate.sent.unwrap_or(sent))?;
                first = last;
                if first == in_cycle {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Flow control of publishers: at most `window` messages (per subscriber) sent but not yet
/// delivered. Without it a publisher sharing a core with its subscribers outruns them, the
/// server queues up to its max_pending (64 MiB) and then closes the subscriber as a slow
/// consumer (or, nats-server, stalls the producer): a flood measures that, not throughput.
pub struct Gate {
    /// Deliveries per published message (subscribers on the subject; 1 for a queue group).
    pub factor: u64,
    /// Messages in flight allowed; 0 = no limit (flood).
    pub window: u64,
    /// The run's delivered counter (or, with `sent`, the deliveries of this publisher's own
    /// subscribers).
    pub delivered: &'static AtomicU64,
    /// This publisher's own sent counter, for a gate per publisher/subscriber pair; `None`:
    /// the run's counter passed to [`PubBuffer::send`].
    pub sent: Option<&'static AtomicU64>,
    pub deadline: std::time::Instant,
}

impl Gate {
    pub fn open() -> Gate {
        static NONE: AtomicU64 = AtomicU64::new(0);
        Gate {
            factor: 1,
            window: 0,
            delivered: &NONE,
            sent: None,
            deadline: std::time::Instant::now(),
        }
    }

    fn wait(&self, sent: &AtomicU64) -> io::Result<()> {
        if self.window == 0 {
            return Ok(());
        }
        let limit = self.window * self.factor;
        while (sent.load(Relaxed) * self.factor).saturating_sub(self.delivered.load(Relaxed))
            > limit
        {
            if std::time::Instant::now() > self.deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "deliveries stopped (publisher gated)",
                ));
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        Ok(())
    }
}

/// A payload of `size` bytes (printable, so a trace is readable).
pub fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

/// `PUB subject [reply] n\r\npayload\r\n`
pub fn pub_msg(subject: &str, reply: Option<&str>, payload: &[u8]) -> Vec<u8> {
    let mut m = match reply {
        Some(r) => format!("PUB {subject} {r} {}\r\n", payload.len()),
        None => format!("PUB {subject} {}\r\n", payload.len()),
    }
    .into_bytes();
    m.extend_from_slice(payload);
    m.extend_from_slice(b"\r\n");
    m
}

/// The header block every HPUB carries.
pub const HEADER: &[u8] = b"NATS/1.0\r\nX-Bench: fastnats-loadgen\r\n\r\n";

/// `HPUB subject hlen tlen\r\nheaders payload\r\n`
pub fn hpub_msg(subject: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "HPUB {subject} {} {}\r\n",
        HEADER.len(),
        HEADER.len() + payload.len()
    )
    .into_bytes();
    m.extend_from_slice(HEADER);
    m.extend_from_slice(payload);
    m.extend_from_slice(b"\r\n");
    m
}
