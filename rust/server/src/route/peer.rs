//! What route and leaf connections have in common: the reader loop (reads, ops, the
//! keep-alive, the handshake deadline, the delivery batch), and the table of the interest
//! the other server announced (`RS+`/`LS+`), kept as index entries of the connection.
//!
//! A dialect ([`Protocol`]) says how ops are parsed, handles each op, and says when its
//! handshake is done; the loop does the rest. The interest table puts one index entry per
//! subject, and `weight` entries for a queue group (the other server's member count), so the
//! random pick of a queue member weighs servers by their members, as nats-server's does.
//! Each entry's sid is its account's name, which `RMSG` carries.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use fastnats_proto::route::{RouteOp, RouteParsed};
use fastnats_proto::{encode, CloseReason, ProtoError};
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::account::Account;
use crate::connection::Connection;
use crate::delivery::Delivery;
use crate::io::ReadSock;
use crate::log::Level;
use crate::log_at;
use crate::outbound::CloseMode;
use crate::shared::Shared;
use crate::subscription::SubRef;

/// Most index entries one remote queue group gets (a larger weight counts as this).
const MAX_WEIGHT: u32 = 1024;

/// A connection's dialect.
pub trait Protocol {
    /// Parses one op from the front of `buf`.
    fn parse<'a>(&self, buf: &'a [u8]) -> Result<RouteParsed<'a>, ProtoError>;
    /// Handles one op.
    fn dispatch(&mut self, io: &mut PeerIo, op: RouteOp<'_>);
    /// Whether the handshake is done (its deadline no longer applies).
    fn ready(&self) -> bool;
    /// The handshake's deadline passed.
    fn handshake_expired(&mut self, io: &mut PeerIo);
    /// The connection ended (after its interest left the indexes).
    fn ended(&mut self, io: &mut PeerIo);
}

/// Keep-alive settings of a connection.
#[derive(Debug, Clone, Copy)]
pub struct KeepAlive {
    /// Interval of the keep-alive tick.
    pub interval: Duration,
    /// Unanswered PINGs before the connection is stale.
    pub ping_max: u32,
    /// Time the handshake may take.
    pub handshake: Duration,
}

/// The reader's state every dialect shares.
pub struct PeerIo {
    /// The server.
    pub shared: Arc<Shared>,
    /// The connection.
    pub me: Arc<Connection>,
    /// Matching and fan-out of the messages it brings, batched per read.
    pub delivery: Delivery,
    /// The account the last message was delivered in (whose counters the batch settles).
    pub account: Arc<Account>,
    /// The other server's interest.
    pub interest: RemoteInterest,
    pings_out: u32,
    rtt: crate::rtt::RttProbe,
    active: bool,
}

impl PeerIo {
    /// The reader state of connection `me`.
    pub fn new(shared: Arc<Shared>, me: Arc<Connection>) -> Self {
        PeerIo {
            delivery: Delivery::new(shared.stats.clone()).with_publisher(me.clone()),
            account: me.account(),
            interest: RemoteInterest::default(),
            shared,
            me,
            pings_out: 0,
            rtt: crate::rtt::RttProbe::armed(),
            active: false,
        }
    }

    /// Queues protocol bytes to the connection, flushed with the batch.
    pub fn send(&mut self, bytes: &[u8]) {
        self.me.queue(bytes);
        self.delivery.flush_later(&self.me);
    }

    /// Sends `-ERR '<text>'` and closes with `reason`.
    pub fn fail(&mut self, text: &str, reason: CloseReason) {
        self.send(format!("-ERR '{text}'\r\n").as_bytes());
        self.me.close(reason, CloseMode::Flush);
    }

    /// Closes with `reason`, sending what is queued.
    pub fn close(&mut self, reason: CloseReason) {
        self.me.close(reason, CloseMode::Flush);
    }

    /// PING/PONG of the keep-alive; false for any other op.
    pub fn keep_alive(&mut self, op: &RouteOp<'_>) -> bool {
        match op {
            RouteOp::Ping => self.send(encode::PONG),
            RouteOp::Pong => {
                self.rtt.pong(&self.me, self.pings_out > 0);
                self.pings_out = 0;
            }
            RouteOp::Ok => {}
            _ => return false,
        }
        true
    }

    /// nats-server's keep-alive: skip when the peer was active (unless the round-trip time is
    /// due, see [`crate::rtt`]), else PING or declare stale.
    fn ping_tick(&mut self, ping_max: u32) {
        if std::mem::take(&mut self.active) && !self.rtt.due() {
            return;
        }
        if self.pings_out + 1 > ping_max {
            self.shared.stats.stale_connections.fetch_add(1, Relaxed);
            log_at!(
                Level::Debug,
                "{} - cid:{} - Stale {} Connection - Closing",
                self.me.addr,
                self.me.cid,
                self.me.kind.as_str()
            );
            self.close(CloseReason::StaleConnection);
        } else {
            self.pings_out += 1;
            self.rtt.ping_sent();
            self.send(encode::PING);
        }
        self.delivery.flush_now();
    }

    /// Parses and handles every complete op in `buf`; returns the bytes used.
    fn process(&mut self, proto: &mut impl Protocol, buf: &[u8], needed: &mut usize) -> usize {
        let mut pos = 0;
        *needed = 0;
        while pos < buf.len() && !self.me.is_closed() {
            match proto.parse(&buf[pos..]) {
                Ok(fastnats_proto::ParseStep::Op(op, used)) => {
                    pos += used;
                    self.active = true;
                    proto.dispatch(self, op);
                }
                Ok(fastnats_proto::ParseStep::Incomplete { needed: n }) => {
                    *needed = n.unwrap_or(0);
                    break;
                }
                Err(e) => {
                    log_at!(
                        Level::Error,
                        "{} - cid:{} - {} Error: {e}",
                        self.me.addr,
                        self.me.cid,
                        self.me.kind.as_str()
                    );
                    let mut line = Vec::new();
                    encode::write_err(&mut line, e);
                    self.send(&line);
                    self.close(e.close_reason());
                    break;
                }
            }
        }
        pos
    }

    /// Reads and handles ops until the connection closes, then removes the other server's
    /// interest and tells the dialect. `initial` holds bytes read before (a leaf's first
    /// INFO, read in clear before TLS).
    pub async fn run(
        &mut self,
        proto: &mut impl Protocol,
        mut rd: ReadSock,
        keep: KeepAlive,
        initial: Vec<u8>,
    ) {
        let first = crate::rtt::first_ping(keep.interval, crate::rtt::FIRST_PEER_PING);
        let mut ping = interval_at(Instant::now() + first, keep.interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let handshake = tokio::time::sleep(keep.handshake);
        tokio::pin!(handshake);
        let me = self.me.clone();
        let closing = me.reader_wake.notified();
        tokio::pin!(closing);
        let mut buf: Vec<u8> = initial;
        let mut needed = 0usize;
        let mut turns = crate::reader::Turns::default();
        if !buf.is_empty() {
            let used = self.process(proto, &buf, &mut needed);
            buf.drain(..used);
        }
        while !self.me.is_closed() {
            let want = (16 * 1024).max(needed.saturating_sub(buf.len()));
            let read;
            tokio::select! {
                biased;
                _ = &mut closing => break,
                r = rd.read_buf(&mut buf, want) => match r {
                    Ok(0) => {
                        self.close(CloseReason::ClientClosed);
                        break;
                    }
                    Ok(n) => read = n,
                    Err(_) => {
                        self.me.close(CloseReason::ReadError, CloseMode::Discard);
                        break;
                    }
                },
                _ = ping.tick() => {
                    self.ping_tick(keep.ping_max);
                    continue;
                }
                _ = &mut handshake, if !proto.ready() => {
                    proto.handshake_expired(self);
                    self.delivery.flush_now();
                    break;
                }
            }
            self.me.touch_activity(&self.shared);
            let used = self.process(proto, &buf, &mut needed);
            let account = self.account.clone();
            self.delivery.end_batch(&self.me, &account, false);
            if let Some(consumer) = self.delivery.take_stalled() {
                crate::reader::stall(&consumer, &self.me, &self.shared.stats).await;
                turns.waited();
            } else {
                turns.after_read(read).await;
            }
            if used == buf.len() {
                buf.clear();
                if buf.capacity() > 1024 * 1024 {
                    buf = Vec::new();
                }
            } else if used > 0 {
                buf.drain(..used);
            }
        }
        self.delivery.flush_now();
        self.interest.clear(&self.me);
        proto.ended(self);
    }
}

/// A new connection of `kind` (a route or a leaf connection) to the server at `addr`: in
/// `$G` until its handshake binds it, taking headers (both dialects carry `HMSG`).
pub fn new_connection(
    shared: &Shared,
    kind: crate::kind::Kind,
    addr: std::net::SocketAddr,
) -> Arc<Connection> {
    let me = Arc::new(Connection::new(
        shared.next_cid(),
        kind,
        shared.global_account().clone(),
        shared.config().max_pending,
        addr,
    ));
    me.headers.store(true, Relaxed);
    me
}

/// Accepts connections on `listener` until shutdown, serving each with `serve` (the route
/// and leaf-node listeners).
pub async fn accept_loop<F, Fut>(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    what: &'static str,
    serve: F,
) where
    F: Fn(tokio::net::TcpStream, std::net::SocketAddr) -> Fut,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send,
{
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = shared.shutting_down() => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, addr));
            }
            Err(e) => {
                log_at!(Level::Error, "Error accepting {what} connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The other server's interest: account name, subject, queue group.
type SubKey = (Box<[u8]>, Box<[u8]>, Option<Box<[u8]>>);

/// The interest another server announced, as entries of its connection in the accounts'
/// indexes (see the module doc).
#[derive(Default)]
pub struct RemoteInterest(HashMap<SubKey, (Arc<Account>, Vec<SubRef>)>);

impl RemoteInterest {
    /// `RS+`/`LS+`: interest of `me`'s peer in `subject` of `acc` (a queue group's weight
    /// replaces the last one).
    pub fn add(
        &mut self,
        me: &Arc<Connection>,
        acc: &Arc<Account>,
        subject: &[u8],
        queue: Option<(&[u8], u32)>,
    ) {
        let name = acc.name().as_bytes();
        let key: SubKey = (name.into(), subject.into(), queue.map(|(q, _)| q.into()));
        let listed = listing_key(&key);
        let want = queue.map_or(1, |(_, w)| w.clamp(1, MAX_WEIGHT)) as usize;
        let (_, entries) = self
            .0
            .entry(key)
            .or_insert_with(|| (acc.clone(), Vec::new()));
        if entries.len() == want {
            return;
        }
        while entries.len() > want {
            if let Some(sub) = entries.pop() {
                acc.index.remove(&sub);
            }
        }
        while entries.len() < want {
            let sub = SubRef::new(me.clone(), subject, queue.map(|(q, _)| q), name);
            if acc.index.insert(sub.clone()).is_err() {
                log_at!(
                    Level::Debug,
                    "cid:{} - Invalid remote subject {:?}",
                    me.cid,
                    String::from_utf8_lossy(subject)
                );
                break;
            }
            entries.push(sub);
        }
        match entries.first() {
            Some(first) => {
                me.subs.lock().insert(listed, first.clone());
            }
            None => {
                me.subs.lock().remove(&listed);
            }
        }
    }

    /// `RS-`/`LS-`: no interest left in `subject` (and queue group) of `acc`.
    pub fn remove(&mut self, me: &Connection, acc: &Account, subject: &[u8], queue: Option<&[u8]>) {
        let key: SubKey = (
            acc.name().as_bytes().into(),
            subject.into(),
            queue.map(Into::into),
        );
        if let Some((acc, subs)) = self.0.remove(&key) {
            acc.index.remove_all(subs.iter());
            me.subs.lock().remove(&listing_key(&key));
        }
    }

    /// Removes everything (the connection ended).
    pub fn clear(&mut self, me: &Connection) {
        for (_, (acc, subs)) in self.0.drain() {
            acc.index.remove_all(subs.iter());
        }
        me.subs.lock().clear();
    }
}

/// The key of an interest in its connection's subscription map (one entry per subject and
/// queue group, whatever its weight), which `/routez` and `/leafz` list.
fn listing_key((account, subject, queue): &SubKey) -> crate::subscription::SidKey {
    let mut k = Vec::with_capacity(account.len() + subject.len() + 2);
    k.extend_from_slice(account);
    k.push(b' ');
    k.extend_from_slice(subject);
    if let Some(q) = queue {
        k.push(b' ');
        k.extend_from_slice(q);
    }
    k.into()
}
