//! A connection's writer task: drains the outbound buffer with one write per wake-up.
//!
//! Producers append under the client's lock and the writer swaps the whole buffer out, so the
//! lock is never held across a syscall and everything queued meanwhile goes out in the next
//! write. Each write is bounded by `write_deadline`; missing it makes the client a slow
//! consumer, as in nats-server.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use fastnats_proto::CloseReason;

use crate::connection::Connection;
use crate::outbound::CloseMode;
use crate::shared::Shared;

/// Capacity the two buffers keep while the connection is busy: reusing them spares a
/// reallocation (and fresh pages) per write when large messages flow.
const KEEP_BUSY: usize = 4 * 1024 * 1024;
/// Capacity kept once the connection goes idle, so idle connections stay small.
const KEEP_IDLE: usize = 4 * 1024;

/// The writer task of connection `me`: runs until the connection is closed and its queue
/// written (or dropped, in discard mode), then shuts the socket's write side down.
pub async fn write_loop(me: Arc<Connection>, shared: Arc<Shared>) {
    let stats = &shared.stats;
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let (data, close, socket, own) = {
            let mut out = me.out.lock();
            let data = std::mem::replace(&mut out.buf, std::mem::take(&mut spare));
            if data.is_empty() && out.buf.capacity() > KEEP_IDLE {
                out.buf = Vec::new();
            }
            // Taking the socket out marks a write in progress: producers then leave the
            // flushing to this task. A WebSocket may have pongs of its own to send.
            let own = out
                .socket
                .as_ref()
                .is_some_and(crate::io::WriteSock::has_own_bytes);
            let socket = if data.is_empty() && !own {
                None
            } else {
                out.in_flight = data.len();
                out.socket.take()
            };
            (data, out.close, socket, own)
        };
        if data.is_empty() && !own {
            spare = data;
            if spare.capacity() > KEEP_IDLE {
                spare = Vec::new();
            }
            if close.is_some() {
                break;
            }
            me.wake.notified().await;
            continue;
        }
        let Some(mut socket) = socket else {
            break; // the socket is gone: the connection is closing
        };
        let deadline = match (&shared.cluster, me.kind) {
            (Some(cluster), crate::kind::Kind::Route) => cluster
                .config
                .write_deadline
                .unwrap_or_else(|| shared.config().write_deadline),
            _ => shared.config().write_deadline,
        };
        let written = tokio::select! {
            r = tokio::time::timeout(deadline, socket.write_all(&data)) => Some(r),
            _ = discarded(&me) => None,
        };
        let ok = match written {
            Some(Ok(Ok(()))) => true,
            Some(Ok(Err(_))) => {
                me.close(CloseReason::WriteError, CloseMode::Discard);
                false
            }
            Some(Err(_elapsed)) => {
                if me.close(CloseReason::SlowConsumerWriteDeadline, CloseMode::Discard) {
                    stats.slow_consumers.fetch_add(1, Relaxed);
                    me.account().stats.add_slow_consumer();
                }
                false
            }
            None => false,
        };
        {
            let mut out = me.out.lock();
            out.in_flight = 0;
            out.socket = Some(socket);
        }
        me.drained.notify_waiters();
        if !ok {
            break;
        }
        spare = data;
        spare.clear();
        if spare.capacity() > KEEP_BUSY {
            spare = Vec::new();
        }
    }
    let socket = {
        let mut out = me.out.lock();
        out.in_flight = 0;
        out.socket.take()
    };
    me.drained.notify_waiters();
    if let Some(mut socket) = socket {
        // Bounded: a stuck peer must not hold the connection's task (a WebSocket's close
        // frame is a write).
        let deadline = shared.config().write_deadline;
        let _ = tokio::time::timeout(deadline, socket.shutdown(me.close_reason())).await;
    }
}

/// Resolves when the connection is closed in discard mode (slow consumer, shutdown of a
/// stuck peer): a blocked write is abandoned at once.
async fn discarded(me: &Connection) {
    loop {
        if let Some((_, CloseMode::Discard)) = me.out.lock().close {
            return;
        }
        me.kill.notified().await;
    }
}
