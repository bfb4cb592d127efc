//! Lame duck mode (SIGUSR2): leave gracefully so clients move elsewhere without a storm.
//!
//! As nats-server does: stop accepting, tell protocol-1 clients with an async
//! `INFO {"ldm":true}` (clients then prefer other servers when they reconnect), wait the grace
//! period, then close the clients one by one, spread over the rest of the duration (a random
//! pause in [si/2, si] between closes, si capped at 1 s), and return.

use std::time::{Duration, Instant};

use fastnats_proto::{encode, CloseReason};

use crate::client::CloseMode;
use crate::log::Level;
use crate::log_at;
use crate::server::Shared;

/// Runs lame duck mode to the end, or until [`crate::Server::stop`] is called; blocks the
/// calling (non-runtime) thread.
pub fn run(shared: &Shared, duration: Duration, grace: Duration) {
    log_at!(
        Level::Info,
        "Entering lame duck mode, stop accepting new clients"
    );
    shared.stop_accept.notify_one();

    let mut info = shared.info.read().clone();
    info.ldm = true;
    let mut line = Vec::new();
    encode::write_info(&mut line, &info);
    let clients = shared.client_list();
    for c in &clients {
        if c.meta.lock().protocol >= 1 {
            c.queue(&line);
            c.flush();
        }
    }

    let start = Instant::now();
    let grace = grace.min(duration);
    while start.elapsed() < grace && shared.num_clients() > 0 && !shared.is_shutting_down() {
        std::thread::sleep(Duration::from_millis(10).min(grace));
    }

    let clients = shared.client_list();
    if clients.is_empty() {
        return;
    }
    let spread = duration.saturating_sub(grace);
    let step = (spread / clients.len() as u32).min(Duration::from_secs(1));
    log_at!(
        Level::Info,
        "Closing existing clients ({} in {:?})",
        clients.len(),
        spread
    );
    let mut rng = seed();
    for (i, c) in clients.iter().enumerate() {
        if shared.is_shutting_down() {
            return; // stop() takes over (SIGINT during lame duck)
        }
        c.close(CloseReason::ServerShutdown, CloseMode::Flush);
        if i + 1 < clients.len() && !step.is_zero() {
            // Random pause in [step/2, step].
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let half = step / 2;
            let extra = half.mul_f64((rng % 1000) as f64 / 1000.0);
            std::thread::sleep(half + extra);
        }
    }
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9E37_79B9, |d| d.as_nanos() as u64)
        | 1
}
