//! A connection's reader task: it owns the socket's read half, the parser and the
//! connection's private state, and hands each op to its dispatch (`client_ops` for the
//! client protocol), which routes messages through the [`Delivery`] core.
//!
//! Also here, because they run on the reader: the keep-alive (server PINGs, stale
//! connections), the auth timer and the CONNECT decision off-thread, the fast-producer stall,
//! picking up a reloaded configuration, and the cleanup when the connection ends.
//!
//! Read buffer: starts at 512 bytes, doubles up to 64 KiB while reads fill it, halves again
//! after reads that use less than half (nats-server's scheme). Ops borrow from it; bytes of
//! an op split across reads are moved to the front (the only copy), and an op whose control
//! line announced a large payload gets the room it needs in one reservation.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use fastnats_proto::{encode, parse, CloseReason, ConnectInfo, Limits, Parsed, ProtoError};
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::account::Account;
use crate::auth::{
    AuthMethod, AuthOutcome, AuthRequest, CompiledPermissions, ConnectionType, Identity, PubCache,
};
use crate::config::Config;
use crate::connection::Connection;
use crate::delivery::Delivery;
use crate::hooks::ClientEvent;
use crate::io::ReadSock;
use crate::log::{Area, Level};
use crate::outbound::CloseMode;
use crate::shared::Shared;
use crate::subscription::SubRef;

mod client_ops;

/// A CONNECT field that was sent and is not empty.
fn present(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|s| !s.is_empty())
}

/// Go's `%q` for the texts nats-server quotes in its log lines: double quotes, with `"`,
/// `\\` and control characters escaped.
pub(crate) fn go_quote(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

const MIN_READ: usize = 512;
const MAX_READ: usize = 64 * 1024;
/// Longest a publisher is stalled per read (nats-server: 10 ms per read-loop iteration).
const STALL_MAX: std::time::Duration = std::time::Duration::from_millis(10);
/// Re-check interval while stalled.
const STALL_STEP: std::time::Duration = std::time::Duration::from_millis(2);

/// Bytes a reader processes before it lets the other tasks of its worker thread run.
///
/// A flooding publisher's socket is never empty, and the read path that finds bytes waiting
/// (`try_read_buf`) never returns to the runtime: without this the connections that share
/// its worker thread (a client waiting for a PONG, a subscriber's writer) wait until the
/// flood ends. 256 KiB is about 2,000 small messages: one yield (one non-blocking
/// `epoll_wait`) per 256 KiB costs nothing measurable, and other connections get a turn
/// every fraction of a millisecond.
const YIELD_EVERY: usize = 256 * 1024;

/// A reader's share of its worker thread: [`Turns::after_read`] yields once
/// [`YIELD_EVERY`] bytes were processed since the last time the reader gave way.
#[derive(Default)]
pub(crate) struct Turns {
    since_yield: usize,
}

impl Turns {
    /// Counts `n` bytes processed; yields to the runtime when the reader has had its turn.
    pub(crate) async fn after_read(&mut self, n: usize) {
        self.since_yield += n;
        if self.since_yield >= YIELD_EVERY {
            self.since_yield = 0;
            tokio::task::yield_now().await;
        }
    }

    /// The reader just waited (a stall): the others ran meanwhile.
    pub(crate) fn waited(&mut self) {
        self.since_yield = 0;
    }
}

/// The reader's private state.
pub struct Reader {
    shared: Arc<Shared>,
    me: Arc<Connection>,
    connect: ConnectInfo,
    /// This connection's copy of the live config, refreshed when a reload bumps the
    /// generation (checked once per read).
    cfg: Arc<Config>,
    cfg_gen: u64,
    limits: Limits,
    /// Matching and fan-out of this connection's messages, batched per read.
    delivery: Delivery,
    /// The connection's account (a copy of `me`'s, for the hot path).
    account: Arc<Account>,
    /// Scratch space for blocks the server builds (no-responders headers).
    scratch: Vec<u8>,
    /// Server PINGs sent and not answered.
    pings_out: u32,
    /// When the last server PING went out, for the round-trip time.
    rtt: crate::rtt::RttProbe,
    /// A CONNECT came: the keep-alive starts over with a short first tick (nats-server
    /// re-arms its first PING timer there).
    restart_ping: bool,
    /// Whether the client sent anything but PONG since the last ping tick.
    active: bool,
    /// Whether this read carried messages or SUB/UNSUB (what moves `last_activity`, as in
    /// nats-server; PING/PONG do not).
    msg_activity: bool,
    /// The nonce sent in INFO, for nkey signatures.
    nonce: Option<String>,
    /// Whether the client has passed authentication (always true when none is required).
    authed: bool,
    /// A CONNECT waits for its authentication decision: processing pauses after it.
    pending_auth: bool,
    /// The authenticated user's permissions (`None`: unrestricted, nothing checked).
    perms: Option<Arc<CompiledPermissions>>,
    pub_cache: PubCache,
    /// The connection task's shutdown token, held by its lifecycle events while they run.
    drain: tokio::sync::mpsc::Sender<()>,
    /// Whether the client was announced (on_connect, the connect event), so its end is too.
    announced: bool,
    /// Operator mode: the user JWT's and account's limits (subscriptions, payload; -1 none).
    jwt_limits: Option<(i64, i64)>,
    /// The account whose connection count this client is in (from its admission; in
    /// operator mode from its authentication, which checks the account's `conn` limit).
    joined: Option<Arc<Account>>,
    /// Operator mode: when the user JWT (or its connect window) runs out.
    expires: Option<Instant>,
    /// A WebSocket client's credentials from cookies (the `websocket` block's `*_cookie`).
    cookies: Option<Box<crate::ws::upgrade::Cookies>>,
}

impl Reader {
    /// The reader of connection `me`; `nonce` is the one sent in INFO, if any; `drain` is
    /// the connection task's shutdown token, lent to its lifecycle events.
    pub fn new(
        shared: Arc<Shared>,
        me: Arc<Connection>,
        nonce: Option<String>,
        drain: tokio::sync::mpsc::Sender<()>,
    ) -> Self {
        let cfg_gen = shared.config_gen();
        let cfg = shared.config();
        let limits = Limits {
            max_control_line: cfg.max_control_line,
            max_payload: cfg.max_payload,
            headers: false,
        };
        let authed = !shared.auth_required_for(me.websocket);
        if authed {
            // Admitted without authentication: a reload that turns auth on re-decides it
            // on what it presented (nothing yet; its CONNECT replaces this).
            *me.credentials.lock() = Some((ConnectInfo::default(), nonce.clone()));
        }
        let delivery = Delivery::new(shared.stats.clone()).with_publisher(me.clone());
        let account = me.account();
        Reader {
            shared,
            me,
            connect: ConnectInfo::default(),
            cfg,
            cfg_gen,
            limits,
            delivery,
            account,
            scratch: Vec::new(),
            pings_out: 0,
            rtt: crate::rtt::RttProbe::default(),
            restart_ping: false,
            active: false,
            msg_activity: false,
            nonce,
            authed,
            pending_auth: false,
            perms: None,
            pub_cache: PubCache::new(),
            drain,
            announced: false,
            jwt_limits: None,
            joined: None,
            expires: None,
            cookies: None,
        }
    }

    /// Credentials from a WebSocket client's cookies: each stands in for the CONNECT field
    /// the client leaves empty.
    pub fn with_cookies(mut self, cookies: Option<crate::ws::upgrade::Cookies>) -> Self {
        self.cookies = cookies
            .filter(|c| {
                c.jwt.is_some() || c.user.is_some() || c.pass.is_some() || c.token.is_some()
            })
            .map(Box::new);
        self
    }

    /// Fills the CONNECT fields the client left empty from its cookies (nats-server's
    /// order: jwt, user, pass, token).
    pub(super) fn apply_cookies(&mut self) {
        let Some(c) = &self.cookies else {
            return;
        };
        let empty = |f: &Option<String>| f.as_deref().unwrap_or("").is_empty();
        if empty(&self.connect.jwt) && c.jwt.is_some() {
            self.connect.jwt.clone_from(&c.jwt);
        }
        if empty(&self.connect.user) && c.user.is_some() {
            self.connect.user.clone_from(&c.user);
        }
        if empty(&self.connect.pass) && c.pass.is_some() {
            self.connect.pass.clone_from(&c.pass);
        }
        if empty(&self.connect.auth_token) && c.token.is_some() {
            self.connect.auth_token.clone_from(&c.token);
        }
    }

    /// The PING interval: the `websocket` block's for its clients when set, else the
    /// server's.
    fn ping_interval(&self) -> std::time::Duration {
        if self.me.websocket {
            if let Some(p) = self
                .shared
                .websocket
                .as_ref()
                .and_then(|w| w.config.ping_interval)
                .filter(|p| !p.is_zero())
            {
                return p;
            }
        }
        self.cfg.ping_interval
    }

    /// Reads and processes until the connection closes; returns after cleanup.
    pub async fn run(mut self, mut rd: ReadSock) {
        let mut buf: Vec<u8> = Vec::new();
        let mut read_size = MIN_READ;
        let mut short_reads = 0u32;
        let mut needed = 0usize;
        let mut period = self.ping_interval();
        // The short first PING (see `restart_ping`) starts at CONNECT, as nats-server's.
        let mut ping = interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);

        // One registration for the whole connection: re-creating the `Notified` future per
        // read would take and release the notifier's lock each time.
        let me = self.me.clone();
        let closing = me.reader_wake.notified();
        tokio::pin!(closing);
        // nats-server's auth timer: no accepted CONNECT within the auth timeout closes.
        let auth_timer = tokio::time::sleep(
            self.shared
                .authorizer_for(self.me.websocket)
                .config()
                .timeout,
        );
        tokio::pin!(auth_timer);
        // Operator mode: a user JWT that expires while connected closes the connection.
        let expiry = tokio::time::sleep(std::time::Duration::from_secs(86_400 * 365));
        tokio::pin!(expiry);
        let mut armed: Option<Instant> = None;
        let mut turns = Turns::default();
        while !self.me.is_closed() {
            if self.expires != armed {
                armed = self.expires;
                if let Some(at) = armed {
                    expiry.as_mut().reset(at);
                }
            }
            let len = buf.len();
            let want = read_size.max(needed.saturating_sub(len));
            // Recipients still unflushed from the last read: read on only if bytes are
            // already waiting, else flush them before sleeping.
            let ready = if !self.delivery.has_unflushed() {
                None
            } else {
                buf.reserve(want);
                match rd.try_read_buf(&mut buf) {
                    Ok(0) => {
                        self.me.close(CloseReason::ClientClosed, CloseMode::Flush);
                        break;
                    }
                    Ok(n) => Some(n),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        self.delivery.flush_now();
                        None
                    }
                    Err(_) => {
                        self.me.close(CloseReason::ReadError, CloseMode::Discard);
                        break;
                    }
                }
            };
            let n = if let Some(n) = ready {
                n
            } else {
                tokio::select! {
                biased;
                _ = &mut closing => break, // closed by someone else
                r = rd.read_buf(&mut buf, want) => match r {
                    Ok(0) => {
                        self.me.close(CloseReason::ClientClosed, CloseMode::Flush);
                        break;
                    }
                    Ok(n) => n,
                    Err(_) => {
                        self.me.close(CloseReason::ReadError, CloseMode::Discard);
                        break;
                    }
                },
                _ = ping.tick() => {
                    self.ping_tick();
                    continue;
                }
                _ = &mut auth_timer, if !self.authed => {
                    self.error(ProtoError::AuthenticationTimeout);
                    self.delivery.flush_now();
                    break;
                }
                _ = &mut expiry, if armed.is_some() => {
                    self.log_client(Level::Debug, "User Authentication Expired");
                    self.error(ProtoError::AuthenticationExpired);
                    self.delivery.flush_now();
                    break;
                }
                }
            };
            if n >= read_size && read_size < MAX_READ {
                read_size *= 2;
                short_reads = 0;
            } else if n < read_size / 2 {
                short_reads += 1;
                if short_reads > 2 && read_size > MIN_READ {
                    read_size /= 2;
                    short_reads = 0;
                }
            }

            if self.cfg_gen != self.shared.config_gen() {
                self.refresh_config();
                if self.ping_interval() != period {
                    period = self.ping_interval();
                    ping = interval_at(Instant::now() + period, period);
                    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
                }
            }
            let mut used = self.process_buffer(&buf, &mut needed);
            if std::mem::take(&mut self.restart_ping) {
                let first = crate::rtt::first_ping(period, crate::rtt::FIRST_CLIENT_PING);
                ping = interval_at(Instant::now() + first, period);
                ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
            }
            while self.pending_auth && !self.me.is_closed() {
                self.delivery.flush_now();
                self.finish_auth().await;
                if self.me.is_closed() {
                    break; // refused: what the client sent after its CONNECT is not read
                }
                used += self.process_buffer(&buf[used..], &mut needed);
                if let ReadSock::Ws(ws) = &mut rd {
                    // A user JWT may lower max_payload: inflated messages follow it.
                    ws.set_max_payload(self.limits.max_payload);
                }
            }
            self.end_of_read(n >= want);
            if let Some(consumer) = self.delivery.take_stalled() {
                stall(&consumer, &self.me, &self.shared.stats).await;
                turns.waited();
            } else {
                turns.after_read(n).await;
            }
            if used == buf.len() {
                buf.clear();
                if buf.capacity() > 2 * MAX_READ || n < read_size / 2 {
                    // A large payload passed through, or the client went quiet: give the
                    // memory back (idle connections then hold no read buffer).
                    buf = Vec::new();
                }
            } else if used > 0 {
                buf.copy_within(used.., 0);
                buf.truncate(buf.len() - used);
            }
        }
        self.cleanup();
    }

    /// Parses and dispatches every complete op in `buf`; returns the bytes used.
    fn process_buffer(&mut self, buf: &[u8], needed: &mut usize) -> usize {
        let mut pos = 0;
        *needed = 0;
        while pos < buf.len() {
            match parse(&buf[pos..], &self.limits) {
                Ok(Parsed::Op(op, used)) => {
                    pos += used;
                    if crate::trace::enabled() {
                        crate::trace::inbound(&self.me, &op);
                    }
                    if let Err(e) = self.dispatch(op) {
                        self.error(e);
                    }
                    if self.me.is_closed() || self.pending_auth {
                        break;
                    }
                }
                Ok(Parsed::Incomplete { needed: n }) => {
                    *needed = n.unwrap_or(0);
                    break;
                }
                Err(e) => {
                    self.error(e);
                    break;
                }
            }
        }
        pos
    }

    /// Takes the reloaded configuration: new limits apply from the next op.
    fn refresh_config(&mut self) {
        self.cfg_gen = self.shared.config_gen();
        self.cfg = self.shared.config();
        self.limits.max_control_line = self.cfg.max_control_line;
        self.limits.max_payload = self.max_payload();
        // A reload may have re-decided this client's permissions (see reload::recheck).
        if self.authed {
            self.perms = self.me.perms.read().clone();
            self.pub_cache.clear();
        }
    }

    /// Sends an error's `-ERR` (if it has one) and closes when nats-server would.
    fn error(&mut self, e: ProtoError) {
        let mut line = Vec::new();
        encode::write_err(&mut line, e);
        self.reply(&line);
        if e.closes() {
            self.me.close(e.close_reason(), CloseMode::Flush);
        }
    }

    /// Queues protocol bytes (PONG, `+OK`, `-ERR`) to this connection, flushed with the batch.
    fn reply(&mut self, bytes: &[u8]) {
        self.me.queue(bytes);
        self.delivery.flush_later(&self.me);
    }

    /// Work done once per read buffer: the activity mark, then the delivery batch is settled
    /// (flushes, counters, auto-unsubscribed subscriptions).
    fn end_of_read(&mut self, more_waiting: bool) {
        if std::mem::take(&mut self.msg_activity) {
            self.me.touch_activity(&self.shared);
        }
        self.delivery
            .end_batch(&self.me, &self.account, more_waiting);
    }

    /// Marks inbound activity (anything but PONG), which makes the next ping tick skip.
    #[inline]
    fn touch(&mut self) {
        self.active = true;
    }

    /// Any PONG answers every outstanding server PING (and measures the round trip).
    fn pong(&mut self) {
        self.rtt.pong(&self.me, self.pings_out > 0);
        self.pings_out = 0;
    }

    /// nats-server's keep-alive: skip when the client was active (unless the round-trip
    /// time is due, see [`crate::rtt`]), else PING or declare stale.
    fn ping_tick(&mut self) {
        if std::mem::take(&mut self.active) && !self.rtt.due() {
            return;
        }
        if self.pings_out + 1 > self.cfg.ping_max {
            self.shared.stats.stale_connections.fetch_add(1, Relaxed);
            self.error(ProtoError::StaleConnection);
        } else {
            self.pings_out += 1;
            self.rtt.ping_sent();
            self.reply(encode::PING);
        }
        self.delivery.flush_now();
    }

    /// The payload limit: the server's, lowered by the user's and account's in operator
    /// mode (nats-server's `applyAccountLimits`).
    fn max_payload(&self) -> usize {
        match self.jwt_limits {
            Some((_, mpay)) if mpay >= 0 => (mpay as usize).min(self.cfg.max_payload),
            _ => self.cfg.max_payload,
        }
    }

    /// The subscription limit (0: none): the server's, lowered by the user's and account's
    /// in operator mode; `Some(0)` inside means no subscription at all.
    pub(super) fn max_subs(&self) -> Option<usize> {
        let server = self.cfg.max_subscriptions;
        match self.jwt_limits {
            Some((msubs, _)) if msubs >= 0 => Some(if server == 0 {
                msubs as usize
            } else {
                (msubs as usize).min(server)
            }),
            _ => (server > 0).then_some(server),
        }
    }

    /// Logs `text` the way nats-server's client logger does: `addr - cid:N - text`.
    fn log_client(&self, level: Level, text: &str) {
        if crate::log::enabled(level) {
            crate::log::log_to(
                Area::Auth,
                level,
                &format!("{} - {text}", self.me.log_tag()),
            );
        }
    }

    /// Operator mode: decides the pending CONNECT with its user JWT, off this thread
    /// (a dir resolver reads files).
    async fn finish_jwt_auth(&mut self, op: Arc<crate::operator::OperatorMode>) {
        let connect = self.connect.clone();
        let nonce = self.nonce.clone();
        let ip = self.me.addr.ip();
        let websocket = self.me.websocket;
        let decide = tokio::task::spawn_blocking(move || {
            op.authenticate(&connect, nonce.as_deref(), ip, websocket)
        });
        let grant = match decide.await {
            Ok(crate::operator::JwtDecision::Allowed(grant)) => grant,
            Ok(crate::operator::JwtDecision::Denied { level, text }) => {
                self.log_client(level, &text);
                self.log_client(Level::Error, "authentication error");
                self.error(ProtoError::AuthorizationViolation);
                return;
            }
            Err(_) => {
                self.log_client(Level::Error, "authentication error");
                self.error(ProtoError::AuthorizationViolation);
                return;
            }
        };
        if grant.new_account {
            self.shared.refresh_jwt_accounts();
        }
        let id = grant.identity.clone();
        let Some(account) = self.shared.account(id.account.as_deref()) else {
            self.log_client(Level::Error, "authentication error");
            self.error(ProtoError::AuthorizationViolation);
            return;
        };
        if !account.try_join(grant.max_conns) {
            self.log_client(Level::Error, "maximum account active connections exceeded");
            self.error(ProtoError::MaxAccountConnectionsExceeded);
            return;
        }
        self.joined = Some(account);
        self.log_client(Level::Debug, &grant.log);
        self.jwt_limits = Some((grant.max_subs, grant.max_payload));
        self.limits.max_payload = self.max_payload();
        self.expires = grant.expires_in.map(|d| Instant::now() + d);
        self.authorize(id);
        self.me.meta.lock().user_name = grant.user_name.clone();
        if grant.max_subs == 0 {
            // nats-server: a client already at its subscription limit is told and closed.
            self.log_client(Level::Error, "maximum subscriptions exceeded");
            self.error(ProtoError::MaxSubscriptionsExceeded);
            self.me
                .close(CloseReason::MaxSubscriptionsExceeded, CloseMode::Flush);
            return;
        }
        self.ok();
        self.announce();
    }

    /// Decides the pending CONNECT on a blocking thread (bcrypt and Python hooks are slow),
    /// bounded by the auth timeout; denial, error or timeout is `Authorization Violation`.
    async fn finish_auth(&mut self) {
        self.pending_auth = false;
        let authorizer = self.shared.authorizer_for(self.me.websocket);
        let custom = self.shared.hooks.authenticator.clone();
        if let (None, Some(op)) = (&custom, authorizer.operator()) {
            return self.finish_jwt_auth(op.clone()).await;
        }
        let timeout = authorizer.config().timeout;
        let connect = self.connect.clone();
        let nonce = self.nonce.clone();
        let addr = self.me.addr;
        let subject = self.me.tls_subject();
        let cert = self.me.tls_cert();
        let conn_type = ConnectionType::client(self.me.websocket);
        let decide = tokio::task::spawn_blocking(move || {
            let req = AuthRequest::new(
                &connect,
                nonce.as_deref(),
                addr,
                subject.as_deref(),
                conn_type,
            )
            .with_cert(cert.as_deref());
            authorizer.authenticate_with(custom.as_deref(), &req)
        });
        match tokio::time::timeout(timeout, decide).await {
            Ok(Ok(AuthOutcome::Allowed(id))) if self.can_join(&id) => {
                self.authorize(id);
                self.ok();
                self.announce();
            }
            _ => {
                self.log_auth_error();
                self.error(ProtoError::AuthorizationViolation);
            }
        }
    }

    /// nats-server's line for a refused client: `authentication error`, naming what the
    /// CONNECT presented (`User "bob"`, `Nkey "U..."`, `Token "[REDACTED]"`) when it did.
    fn log_auth_error(&self) {
        if !crate::log::enabled(Level::Error) {
            return;
        }
        let c = &self.connect;
        let who = match (present(&c.nkey), present(&c.user), present(&c.auth_token)) {
            (Some(nkey), _, _) => format!(" - Nkey {}", go_quote(nkey.as_bytes())),
            (None, Some(user), _) => format!(" - User {}", go_quote(user.as_bytes())),
            (None, None, Some(_)) => " - Token \"[REDACTED]\"".to_string(),
            (None, None, None) => String::new(),
        };
        crate::log::log_to(
            Area::Auth,
            Level::Error,
            &format!("{} - authentication error{who}", self.me.log_tag()),
        );
    }

    /// The client as nats-server's log lines name it once its CONNECT is accepted:
    /// `addr - cid:N`, then `"v<version>:<lang>:<name>"` (the parts it sent), then
    /// `"<account>/user:<name>"` (or `nkey:`, `token`) when it presented credentials.
    fn log_tag(&self) -> String {
        let c = &self.connect;
        let mut tag = self.me.log_tag().to_string();
        let mut client = String::new();
        if !c.version.is_empty() {
            client = format!("v{}", c.version);
        }
        for part in [&c.lang, &c.name] {
            if !part.is_empty() {
                if !client.is_empty() {
                    client.push(':');
                }
                client.push_str(part);
            }
        }
        if !client.is_empty() {
            tag.push_str(" - ");
            tag.push_str(&go_quote(client.as_bytes()));
        }
        let user = match (present(&c.nkey), present(&c.user), present(&c.auth_token)) {
            (Some(nkey), _, _) => Some(format!("nkey:{nkey}")),
            (None, Some(user), _) => Some(format!("user:{user}")),
            (None, None, Some(_)) => Some("token".to_string()),
            (None, None, None) => None,
        };
        if let Some(user) = user {
            let label = format!("{}/{user}", self.account.name());
            tag.push_str(" - ");
            tag.push_str(&go_quote(label.as_bytes()));
        }
        tag
    }

    /// Whether `id`'s account exists (a reload may have removed it meanwhile).
    pub(super) fn can_join(&self, id: &Identity) -> bool {
        self.shared.account(id.account.as_deref()).is_some()
    }

    /// Takes on an authenticated identity: account, user name and permissions (an account
    /// that is gone leaves the connection where it is; [`Reader::can_join`] checks first).
    fn authorize(&mut self, id: Identity) {
        if let Some(account) = self.shared.account(id.account.as_deref()) {
            self.me.set_account(account.clone());
            self.account = account;
        }
        self.authed = true;
        // A token is the credential itself: nats-server shows its holder as "[REDACTED]".
        let user = match id.method {
            AuthMethod::Token => Some("[REDACTED]".to_string()),
            _ => id.user.clone(),
        };
        self.me.meta.lock().user = user;
        *self.me.credentials.lock() = Some((self.connect.clone(), self.nonce.clone()));
        self.pub_cache.clear();
        self.me.set_permissions(id.permissions.clone());
        self.perms = id.permissions;
    }

    /// Fires on_connect and the system account's connect event once the client is in
    /// (authenticated when auth is on).
    fn announce(&mut self) {
        if self.announced {
            return;
        }
        self.announced = true;
        if self.joined.is_none() && self.account.try_join(-1) {
            self.joined = Some(self.account.clone());
        }
        crate::system::events::connected(&self.shared, &self.me);
        crate::system::conns::changed(&self.shared, &self.account);
        if self.shared.hooks.events.is_some() {
            crate::hooks::emit(&self.shared.hooks, self.event(), None, self.drain.clone());
        }
    }

    fn event(&self) -> ClientEvent {
        let meta = self.me.meta.lock().clone();
        ClientEvent {
            cid: self.me.cid,
            addr: self.me.addr,
            name: meta.name,
            lang: meta.lang,
            version: meta.version,
            user: meta.user,
            account: self.account.name().to_string(),
        }
    }

    /// Removes the connection's subscriptions (its registration goes once its writer is done).
    fn cleanup(&mut self) {
        let joined = self.joined.take();
        if let Some(account) = &joined {
            account.leave();
        }
        if self.announced {
            let reason = self
                .me
                .close_reason()
                .unwrap_or(CloseReason::ClientClosed)
                .as_str();
            crate::system::events::disconnected(&self.shared, &self.me, reason);
            if self.shared.hooks.events.is_some() {
                crate::hooks::emit(
                    &self.shared.hooks,
                    self.event(),
                    Some(reason),
                    self.drain.clone(),
                );
            }
        }
        self.delivery.flush_now();
        // The sid map stays until the connection is recorded as closed (monitoring shows a
        // closed connection's subscriptions); `serve` clears it then.
        let subs: Vec<SubRef> = self.me.subs.lock().values().cloned().collect();
        if !subs.is_empty() {
            self.account.index.remove_all(subs.iter());
        }
        if let (Some(account), true) = (joined, self.announced) {
            crate::system::conns::changed(&self.shared, &account);
        }
    }
}

/// nats-server's fast-producer stall: when a read pushed a consumer past 75% of its
/// max_pending, the publisher `me` waits (at most [`STALL_MAX`] per read) for the consumer's
/// writer to drain instead of letting it reach the limit and be dropped. Only this publisher
/// waits; the stalled consumer's writer runs meanwhile. A consumer that holds its publishers
/// (a JetStream stream's ingest, see [`Connection::hold_publishers_at`]) is waited for
/// until it drains below its threshold, with no time limit: that is its backpressure.
/// Each stall counts once (`/varz` `stalled_clients`, the consumer's `/connz` `stalls`).
pub(crate) async fn stall(
    consumer: &Connection,
    me: &Connection,
    stats: &crate::stats::ServerStats,
) {
    let deadline = (!consumer.holds_publishers()).then(|| Instant::now() + STALL_MAX);
    let mut counted = false;
    loop {
        if consumer.is_closed()
            || me.is_closed()
            || consumer.out.lock().pending() <= consumer.stall_threshold()
        {
            return;
        }
        let wait = match deadline {
            None => STALL_STEP,
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return;
                }
                (deadline - now).min(STALL_STEP)
            }
        };
        if !counted {
            counted = true;
            consumer.stalls.fetch_add(1, Relaxed);
            stats.stalled_clients.fetch_add(1, Relaxed);
        }
        let _ = tokio::time::timeout(wait, consumer.drained.notified()).await;
    }
}
