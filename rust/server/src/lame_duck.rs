//! Lame duck mode (SIGUSR2): leave gracefully so clients move elsewhere without a storm.
//!
//! As nats-server does: stop accepting, tell protocol-1 clients with an async
//! `INFO {"ldm":true}` (clients then prefer other servers when they reconnect), wait the grace
//! period (less if every client leaves), then close the clients one by one, spread over the
//! rest of the duration (a random pause in [si/2, si] between closes, si capped at 1 s).
//! Shutdown beginning meanwhile (SIGINT during lame duck) ends it at once.

use std::time::Duration;

use fastnats_proto::{encode, CloseReason};
use rand::Rng;

use crate::log::Level;
use crate::log_at;
use crate::outbound::CloseMode;
use crate::shared::Shared;

/// Runs lame duck mode to the end, or until shutdown begins.
pub async fn run(shared: &Shared, duration: Duration, grace: Duration) {
    log_at!(
        Level::Info,
        "Entering lame duck mode, stop accepting new clients"
    );
    shared.stop_accepting();
    if let Some(cluster) = &shared.cluster {
        cluster.announce_lame_duck();
    }

    let mut info = shared.info.read().clone();
    info.ldm = true;
    let mut line = Vec::new();
    encode::write_info(&mut line, &info);
    let mut ws_line = Vec::new();
    if let Some(ws) = &shared.websocket {
        ws.client_info(&mut info);
        encode::write_info(&mut ws_line, &info);
    }
    for c in &shared.client_list() {
        if c.meta.lock().protocol >= 1 {
            c.queue(if c.websocket { &ws_line } else { &line });
            c.flush();
        }
    }

    let grace = grace.min(duration);
    tokio::select! {
        () = tokio::time::sleep(grace) => {}
        () = shared.no_clients() => return,
        () = shared.shutting_down() => return,
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
    for (i, c) in clients.iter().enumerate() {
        if shared.is_shutting_down() {
            return; // shutdown takes over (SIGINT during lame duck)
        }
        c.close(CloseReason::ServerShutdown, CloseMode::Flush);
        if i + 1 < clients.len() && !step.is_zero() {
            let pause = rand::thread_rng().gen_range(step / 2..=step);
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = shared.shutting_down() => return,
            }
        }
    }
}
