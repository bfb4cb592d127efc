//! The engine's log lines, and where they go.
//!
//! Two destinations, chosen once per process:
//! - **a writer** in nats-server's shape, `[pid] YYYY/MM/DD HH:MM:SS.micro [INF] message` (UTC),
//!   to standard error, a file, or syslog ([`set_output`]). The CLI uses it (its Python lines
//!   come here through [`log`] too, so every line it prints has one format); tools that wait
//!   for "Server is ready" read these. It is also the default of a process that never chose.
//! - **a queue** ([`use_queue`]) that an embedder drains in batches ([`drain`]): the Python
//!   bindings hand the lines to Python's `logging` from a thread of their own. Logging then
//!   never waits for Python: a line is pushed under a short lock, and when nobody drains the
//!   queue fills up to its bound, further lines are counted and dropped, and the next batch
//!   starts with a line saying how many were lost.
//!
//! Either way, whether a level is produced at all is one relaxed atomic load ([`enabled`]), so
//! tracing costs nothing while it is off. Each line carries an [`Area`] (server, auth, hooks,
//! trace) that the queue passes on (the Python side names child loggers after it).

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
/// A log level, as nats-server's line tags name them.
pub enum Level {
    /// `[TRC]`: protocol tracing (`-V`).
    Trace = 0,
    /// `[DBG]` (`-D`).
    Debug = 1,
    /// `[INF]`.
    Info = 2,
    /// `[WRN]`.
    Warn = 3,
    /// `[ERR]`.
    Error = 4,
    /// `[FTL]`: the server can not go on.
    Fatal = 5,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Trace => "[TRC]",
            Level::Debug => "[DBG]",
            Level::Info => "[INF]",
            Level::Warn => "[WRN]",
            Level::Error => "[ERR]",
            Level::Fatal => "[FTL]",
        }
    }
}

impl Level {
    /// The level a `-D`/`-V` style name stands for (`trace`, `debug`, `info`, `warn`,
    /// `error`, `fatal`).
    pub fn from_name(name: &str) -> Option<Level> {
        Some(match name {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" => Level::Warn,
            "error" => Level::Error,
            "fatal" => Level::Fatal,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// What a line is about; the queue passes it on (Python names a child logger after it).
pub enum Area {
    /// The server at large: listeners, connections, limits, reloads.
    Server,
    /// Authentication errors and permission violations.
    Auth,
    /// The embedder's hooks failing (their tracebacks).
    Hooks,
    /// Protocol tracing (`-V`).
    Trace,
}

impl Area {
    /// The area's name (`server`, `auth`, `hooks`, `trace`).
    pub fn name(self) -> &'static str {
        match self {
            Area::Server => "server",
            Area::Auth => "auth",
            Area::Hooks => "hooks",
            Area::Trace => "trace",
        }
    }
}

static MIN_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static LOG_TIME: AtomicBool = AtomicBool::new(true);

/// Where lines go.
enum Sink {
    /// Kept for [`drain`] (see the module doc).
    Queue(Queue),
    Stderr,
    /// `-l <file>`: appended to; reopened on SIGUSR1 so log rotation works.
    File(PathBuf, File),
    /// `-s`: the local syslog socket.
    Syslog(UnixDatagram),
    /// `-r udp://host:port`.
    Remote(UdpSocket, SocketAddr),
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);
/// Wakes [`drain`] when a line is queued (or on [`wake`]); waits on [`SINK`]'s lock.
static QUEUED: Condvar = Condvar::new();

/// One queued line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its level.
    pub level: Level,
    /// What it is about.
    pub area: Area,
    /// The text, without level tag or timestamp.
    pub message: String,
}

/// The bounded queue behind [`Sink::Queue`].
struct Queue {
    lines: VecDeque<Record>,
    capacity: usize,
    /// Lines refused since the last [`drain`] because the queue was full.
    dropped: u64,
    /// Set by [`wake`]: the next [`drain`] returns at once even when empty.
    woken: bool,
}

fn lock_sink() -> std::sync::MutexGuard<'static, Option<Sink>> {
    // A panic while holding the lock leaves nothing half-written that matters: keep going.
    SINK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps lines in a queue of at most `capacity` lines, for [`drain`], instead of writing
/// them. Lines already queued stay; a queue already in place only gets the new bound.
pub fn use_queue(capacity: usize) {
    let mut sink = lock_sink();
    match &mut *sink {
        Some(Sink::Queue(q)) => q.capacity = capacity,
        other => {
            *other = Some(Sink::Queue(Queue {
                lines: VecDeque::new(),
                capacity,
                dropped: 0,
                woken: false,
            }))
        }
    }
}

/// Whether lines go to the queue (see [`use_queue`]).
pub fn is_queued() -> bool {
    matches!(&*lock_sink(), Some(Sink::Queue(_)))
}

/// Takes every queued line, waiting up to `timeout` for the first one (or a [`wake`]). When
/// lines were dropped since the last call, the batch starts with a `[WRN]` line saying how
/// many. Returns an empty batch at once when lines are not queued.
pub fn drain(timeout: Duration) -> Vec<Record> {
    let mut sink = lock_sink();
    if let Some(Sink::Queue(q)) = &*sink {
        if q.lines.is_empty() && q.dropped == 0 && !q.woken {
            sink = QUEUED
                .wait_timeout(sink, timeout)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
    let Some(Sink::Queue(q)) = &mut *sink else {
        return Vec::new();
    };
    q.woken = false;
    let mut batch = Vec::with_capacity(q.lines.len() + 1);
    if q.dropped > 0 {
        batch.push(Record {
            level: Level::Warn,
            area: Area::Server,
            message: format!(
                "{} log line(s) dropped: the log queue was full (nobody drained it fast enough)",
                q.dropped
            ),
        });
        q.dropped = 0;
    }
    batch.extend(q.lines.drain(..));
    batch
}

/// Makes a [`drain`] waiting now (or the next one) return at once.
pub fn wake() {
    if let Some(Sink::Queue(q)) = &mut *lock_sink() {
        q.woken = true;
    }
    QUEUED.notify_all();
}

/// Logging setup (the CLI's `-D -V -T -l -s -r`).
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Append to this file instead of standard error.
    pub file: Option<PathBuf>,
    /// Send lines to the local syslog.
    pub syslog: bool,
    /// Send lines to a remote syslog (`udp://host:port`).
    pub remote_syslog: Option<String>,
}

/// Sets the lowest level printed and whether lines carry a timestamp (`-T`).
pub fn configure(min: Level, logtime: bool) {
    set_level(min);
    LOG_TIME.store(logtime, Ordering::Relaxed);
}

/// Sets the lowest level produced at all (process-wide: the engine has one logger).
pub fn set_level(min: Level) {
    MIN_LEVEL.store(min as u8, Ordering::Relaxed);
}

/// The lowest level produced.
pub fn level() -> Level {
    match MIN_LEVEL.load(Ordering::Relaxed) {
        0 => Level::Trace,
        1 => Level::Debug,
        2 => Level::Info,
        3 => Level::Warn,
        4 => Level::Error,
        _ => Level::Fatal,
    }
}

/// Chooses where lines go: a file, syslog, a remote syslog, else standard error.
pub fn set_output(opts: &LogOptions) -> std::io::Result<()> {
    let sink = if let Some(path) = &opts.file {
        Sink::File(path.clone(), open_append(path)?)
    } else if let Some(url) = &opts.remote_syslog {
        let addr = url
            .strip_prefix("udp://")
            .unwrap_or(url)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other(format!("can not resolve {url}")))?;
        Sink::Remote(UdpSocket::bind(("0.0.0.0", 0))?, addr)
    } else if opts.syslog {
        let socket = UnixDatagram::unbound()?;
        socket.connect("/dev/log")?;
        Sink::Syslog(socket)
    } else {
        Sink::Stderr
    };
    *lock_sink() = Some(sink);
    Ok(())
}

/// Reopens the log file (after it was rotated away); a no-op for other sinks.
pub fn reopen() -> std::io::Result<()> {
    let mut sink = lock_sink();
    if let Some(Sink::File(path, file)) = &mut *sink {
        *file = open_append(path)?;
    }
    Ok(())
}

fn open_append(path: &PathBuf) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[inline]
/// Whether lines at `level` are printed (one relaxed load).
pub fn enabled(level: Level) -> bool {
    level as u8 >= MIN_LEVEL.load(Ordering::Relaxed)
}

/// Logs one line about the server at large if `level` is enabled.
pub fn log(level: Level, msg: &str) {
    log_to(Area::Server, level, msg);
}

/// Logs one line about `area` if `level` is enabled.
pub fn log_to(area: Area, level: Level, msg: &str) {
    if !enabled(level) {
        return;
    }
    let mut sink = lock_sink();
    let sink = sink.get_or_insert(Sink::Stderr);
    if let Sink::Queue(q) = sink {
        if q.lines.len() >= q.capacity {
            q.dropped += 1;
        } else {
            q.lines.push_back(Record {
                level,
                area,
                message: msg.to_owned(),
            });
            QUEUED.notify_one();
        }
        return;
    }
    if let Sink::Syslog(_) | Sink::Remote(..) = sink {
        // Syslog stamps its own time; priority = facility daemon (3) * 8 + severity.
        let severity = match level {
            Level::Trace | Level::Debug => 7,
            Level::Info => 6,
            Level::Warn => 4,
            Level::Error => 3,
            Level::Fatal => 2,
        };
        let line = format!(
            "<{}>fastnats[{}]: {} {}",
            24 + severity,
            std::process::id(),
            level.tag(),
            msg
        );
        // A lost syslog datagram is not worth failing over.
        let _ = match sink {
            Sink::Syslog(s) => s.send(line.as_bytes()),
            Sink::Remote(s, addr) => s.send_to(line.as_bytes(), *addr),
            _ => Ok(0),
        };
        return;
    }
    let mut line = format!("[{}] ", std::process::id());
    if LOG_TIME.load(Ordering::Relaxed) {
        line.push_str(&timestamp(SystemTime::now()));
        line.push(' ');
    }
    line.push_str(level.tag());
    line.push(' ');
    line.push_str(msg);
    line.push('\n');
    // A closed stderr or a full disk is not worth failing over.
    let _ = match sink {
        Sink::File(_, f) => f.write_all(line.as_bytes()),
        _ => std::io::stderr().lock().write_all(line.as_bytes()),
    };
}

/// `YYYY/MM/DD HH:MM:SS.micro` in UTC.
fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}/{m:02}/{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[macro_export]
/// Logs a `format!` line at a level, formatting it only when the level is enabled.
macro_rules! log_at {
    ($level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::log($level, &format!($($arg)*));
        }
    };
}

#[macro_export]
/// [`log_at!`] for a line about an [`Area`](crate::log::Area) other than the server at large.
macro_rules! log_area {
    ($area:expr, $level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::log_to($area, $level, &format!($($arg)*));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_419), (2025, 11, 27));
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(timestamp(t), "2023/11/14 22:13:20.123456");
    }

    #[test]
    fn a_full_queue_counts_what_it_drops_and_says_so() {
        // Process-wide state: other tests' lines may be queued too, so only ours are counted.
        use_queue(2);
        for i in 0..5 {
            log_to(Area::Auth, Level::Error, &format!("queue test {i}"));
        }
        let batch = drain(Duration::ZERO);
        assert_eq!(batch[0].level, Level::Warn);
        assert!(
            batch[0].message.contains("log line(s) dropped"),
            "{batch:?}"
        );
        let ours: Vec<&Record> = batch
            .iter()
            .filter(|r| r.message.starts_with("queue test"))
            .collect();
        assert!(ours.len() <= 2, "{batch:?}");
        assert!(ours
            .iter()
            .all(|r| r.area == Area::Auth && r.level == Level::Error));
        assert!(drain(Duration::ZERO)
            .iter()
            .all(|r| !r.message.contains("dropped")));
        wake();
        assert!(is_queued());
    }
}
