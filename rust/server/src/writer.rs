//! A connection's writer task: drains the outbound buffer with one write per wake-up.
//!
//! Producers append under the client's lock and the writer swaps the whole buffer out, so the
//! lock is never held across a syscall and everything queued meanwhile goes out in the next
//! write. Each write is bounded by `write_deadline`; missing it makes the client a slow
//! consumer, as in nats-server.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use fastnats_proto::CloseReason;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::client::{ClientHandle, CloseMode};
use crate::stats::ServerStats;

/// Spare capacity kept between writes; larger buffers are released so idle connections stay
/// small.
const KEEP_CAPACITY: usize = 64 * 1024;

pub async fn write_loop(
    me: Arc<ClientHandle>,
    mut wr: OwnedWriteHalf,
    deadline: Duration,
    stats: Arc<ServerStats>,
) {
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let (data, close) = {
            let mut out = me.out.lock();
            let data = std::mem::replace(&mut out.buf, std::mem::take(&mut spare));
            (data, out.close)
        };
        if data.is_empty() {
            spare = data;
            if close.is_some() {
                break;
            }
            me.wake.notified().await;
            continue;
        }
        let written = tokio::select! {
            r = tokio::time::timeout(deadline, wr.write_all(&data)) => Some(r),
            _ = discarded(&me) => None,
        };
        match written {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(_))) => {
                me.close(CloseReason::WriteError, CloseMode::Discard);
                break;
            }
            Some(Err(_elapsed)) => {
                if me.close(CloseReason::SlowConsumerWriteDeadline, CloseMode::Discard) {
                    stats.slow_consumers.fetch_add(1, Relaxed);
                }
                break;
            }
            None => break,
        }
        spare = data;
        spare.clear();
        if spare.capacity() > KEEP_CAPACITY {
            spare = Vec::new();
        }
    }
    let _ = wr.shutdown().await;
}

/// Resolves when the connection is closed in discard mode (slow consumer, shutdown of a
/// stuck peer): a blocked write is abandoned at once.
async fn discarded(me: &ClientHandle) {
    loop {
        if let Some((_, CloseMode::Discard)) = me.out.lock().close {
            return;
        }
        me.kill.notified().await;
    }
}
