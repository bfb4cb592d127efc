//! Protocol tracing (`-V`): one `[TRC]` line per op a client sends, in nats-server's shape
//! (`127.0.0.1:53212 - cid:5 - "<<- [SUB foo 1]"`), with CONNECT secrets redacted. Off by
//! default; when off, the reader pays one relaxed load per op.

use fastnats_proto::ClientOp;

use crate::connection::Connection;
use crate::log::{self, Area, Level};

#[inline]
/// Whether protocol tracing is on (one relaxed load).
pub fn enabled() -> bool {
    log::enabled(Level::Trace)
}

fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// CONNECT JSON with `pass`, `auth_token` and `sig` replaced by `[REDACTED]`.
fn redacted_connect(json: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(mut map)) => {
            for key in ["pass", "auth_token", "sig"] {
                if let Some(v) = map.get_mut(key) {
                    *v = serde_json::Value::String("[REDACTED]".into());
                }
            }
            serde_json::Value::Object(map).to_string()
        }
        _ => text(json).into_owned(),
    }
}

/// Logs one inbound op.
pub fn inbound(me: &Connection, op: &ClientOp<'_>) {
    let line = match op {
        ClientOp::Connect(json) => format!("CONNECT {}", redacted_connect(json)),
        ClientOp::Pub(p) => {
            let verb = if p.header_len.is_some() {
                "HPUB"
            } else {
                "PUB"
            };
            let mut l = format!("{verb} {}", text(p.subject));
            if let Some(r) = p.reply {
                l.push(' ');
                l.push_str(&text(r));
            }
            if p.header_len.is_some() {
                l.push(' ');
                l.push_str(&text(p.header_field));
            }
            l.push(' ');
            l.push_str(&text(p.size_field));
            l
        }
        ClientOp::Sub {
            subject,
            queue,
            sid,
        } => match queue {
            Some(q) => format!("SUB {} {} {}", text(subject), text(q), text(sid)),
            None => format!("SUB {} {}", text(subject), text(sid)),
        },
        ClientOp::Unsub { sid, max } => match max {
            Some(m) => format!("UNSUB {} {m}", text(sid)),
            None => format!("UNSUB {}", text(sid)),
        },
        ClientOp::Ping => "PING".into(),
        ClientOp::Pong => "PONG".into(),
        ClientOp::Info(json) => format!("INFO {}", text(json)),
        ClientOp::Ok => "+OK".into(),
        ClientOp::Err(t) => format!("-ERR {}", text(t)),
    };
    log::log_to(
        Area::Trace,
        Level::Trace,
        &format!("{} - \"<<- [{line}]\"", me.log_tag()),
    );
    if let ClientOp::Pub(p) = op {
        log::log_to(
            Area::Trace,
            Level::Trace,
            &format!(
                "{} - \"<<- MSG_PAYLOAD: [{:?}]\"",
                me.log_tag(),
                text(p.payload())
            ),
        );
    }
}

/// Logs protocol bytes the server queues for a client (PONG, +OK, -ERR, PING, INFO).
pub fn outbound(me: &Connection, bytes: &[u8]) {
    let line = text(bytes);
    log::log_to(
        Area::Trace,
        Level::Trace,
        &format!(
            "{} - \"->> [{}]\"",
            me.log_tag(),
            line.trim_end_matches("\r\n")
        ),
    );
}
