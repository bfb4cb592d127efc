//! Log lines in nats-server's shape: `[pid] YYYY/MM/DD HH:MM:SS.micro [INF] message` (UTC), to
//! standard error, a file, or syslog. The Python layer writes its own lines through [`log`] too, so every line
//! the process prints has one format. Tools that wait for "Server is ready" read these.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

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

static MIN_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static LOG_TIME: AtomicBool = AtomicBool::new(true);

/// Where lines go.
enum Sink {
    Stderr,
    /// `-l <file>`: appended to; reopened on SIGUSR1 so log rotation works.
    File(PathBuf, File),
    /// `-s`: the local syslog socket.
    Syslog(UnixDatagram),
    /// `-r udp://host:port`.
    Remote(UdpSocket, SocketAddr),
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

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
    MIN_LEVEL.store(min as u8, Ordering::Relaxed);
    LOG_TIME.store(logtime, Ordering::Relaxed);
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
    *SINK.lock().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    Ok(())
}

/// Reopens the log file (after it was rotated away); a no-op for other sinks.
pub fn reopen() -> std::io::Result<()> {
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
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

/// Prints one line if `level` is enabled.
pub fn log(level: Level, msg: &str) {
    if !enabled(level) {
        return;
    }
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let sink = sink.get_or_insert(Sink::Stderr);
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
}
