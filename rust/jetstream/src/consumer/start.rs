//! Where a new consumer starts (nats-server's `selectStartingSeqNo`) and how a saved one
//! comes back after a restart.
//!
//! - `all`: the stream's first sequence; `last`: the last message (matching the filters);
//!   `new`: after the last; `by_start_sequence`: `opt_start_seq`; `by_start_time`: the
//!   first message stored at or after `opt_start_time` (found by bisecting the store by
//!   timestamp); `last_per_subject`: the last message of each subject matching the
//!   filters, in stream order, then new messages.
//! - An empty stream starts at 1 (new messages), a start past the end at the next
//!   sequence, one below the first stored at the first stored (but for an explicit
//!   `opt_start_seq`).

use std::path::Path;
use std::sync::Arc;

use fastnats_store::Store;
use tokio::time::{Duration, Instant};

use crate::api::{ConsumerConfig, DeliverPolicy, ReplayPolicy};
use crate::stream::{now_nanos, Stream};
use crate::Ctx;

use super::persist::{self, SavedState};
use super::state::{ConsumerState, Pending};
use super::{pump, Consumer};

/// A new consumer's state on `store`.
#[must_use]
pub fn initial_state(cfg: ConsumerConfig, store: &dyn Store) -> ConsumerState {
    let state = store.state();
    let filters: Vec<&str> = cfg.filters();
    let mut lss = Vec::new();
    let mut sseq = if cfg.opt_start_seq > 0 {
        cfg.opt_start_seq
    } else {
        match cfg.deliver_policy {
            DeliverPolicy::All => state.first_seq,
            DeliverPolicy::Last => {
                if filters.is_empty() {
                    state.last_seq
                } else {
                    filters
                        .iter()
                        .filter_map(|f| store.last_matching_seq(f))
                        .max()
                        .unwrap_or(0)
                }
            }
            DeliverPolicy::LastPerSubject => {
                let pattern: Vec<&str> = if filters.is_empty() {
                    vec![">"]
                } else {
                    filters.clone()
                };
                for f in pattern {
                    lss.extend(store.subjects_state(f).into_iter().map(|(_, s)| s.last));
                }
                lss.sort_unstable();
                lss.dedup();
                lss.first().copied().unwrap_or(state.last_seq)
            }
            DeliverPolicy::ByStartTime => cfg.opt_start_time.map_or(state.last_seq + 1, |t| {
                seq_from_time(store, i64::try_from(t.unix_nanos()).unwrap_or(i64::MAX))
            }),
            DeliverPolicy::New | DeliverPolicy::ByStartSequence => state.last_seq + 1,
        }
    };
    if state.first_seq == 0 && cfg.opt_start_seq == 0 {
        sseq = 1;
    } else if sseq > state.last_seq && cfg.opt_start_seq == 0 {
        sseq = state.last_seq + 1;
    } else if sseq < state.first_seq {
        sseq = state.first_seq;
    }
    let replay = cfg.replay_policy == ReplayPolicy::Original;
    let mut st = ConsumerState::new(cfg, sseq, Instant::now());
    if !lss.is_empty() {
        st.lss = lss.into();
        st.lss_resume = state.last_seq;
    }
    if replay {
        st.replay_until = state.last_seq;
    }
    pump::refresh_pending(&mut st, store, true);
    st
}

/// The first sequence stored at or after `ts` (nats-server's `GetSeqFromTime`): after the
/// last message if none.
fn seq_from_time(store: &dyn Store, ts: i64) -> u64 {
    let state = store.state();
    if state.msgs == 0 || state.last_ts < ts {
        return state.last_seq + 1;
    }
    let (mut lo, mut hi) = (state.first_seq, state.last_seq);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let Some(seq) = store.next_matching_seq(mid, &[]) else {
            hi = mid;
            continue;
        };
        match store.get(seq) {
            Ok(Some(m)) if m.ts >= ts => hi = mid.min(seq),
            _ => lo = seq + 1,
        }
    }
    store
        .next_matching_seq(lo, &[])
        .unwrap_or(state.last_seq + 1)
}

/// A saved state applied to a consumer restored with `cfg`.
fn restored_state(cfg: ConsumerConfig, saved: &SavedState, store: &dyn Store) -> ConsumerState {
    let now = Instant::now();
    let wall = now_nanos();
    let mut st = ConsumerState::new(cfg, saved.sseq.max(1), now);
    st.dseq = saved.dseq.max(1);
    st.adflr = saved.adflr;
    st.asflr = saved.asflr;
    st.dirty = false;
    for &(seq, count) in &saved.rdc {
        st.rdc.insert(seq, count);
    }
    for &(seq, dseq, ts) in &saved.pending {
        let dc = st.rdc.get(&seq).copied().unwrap_or(0) + 1;
        let wait = st.ack_wait(dc);
        let elapsed = Duration::from_nanos(u64::try_from(wall.saturating_sub(ts)).unwrap_or(0));
        let deadline = now + wait.saturating_sub(elapsed);
        st.pending.insert(seq, Pending { dseq, ts, deadline });
        st.next_redeliver = Some(st.next_redeliver.map_or(deadline, |d| d.min(deadline)));
    }
    pump::refresh_pending(&mut st, store, true);
    st
}

/// Restores the consumers saved in `<stream dir>/obs/` and starts them.
pub fn restore(ctx: &Arc<Ctx>, stream: &Arc<Stream>) {
    let Some(dir) = &stream.dir else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir.join(persist::OBS_DIR)) else {
        return;
    };
    let mut dirs: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for d in dirs.into_iter().filter(|d| d.is_dir()) {
        match restore_one(ctx, stream, &d) {
            Ok(c) => stream.consumers.insert(c),
            Err(e) => fastnats_server::log_at!(
                fastnats_server::log::Level::Warn,
                "  Error restoring consumer {:?} of stream '{} > {}': {e}",
                d,
                ctx.account_name(),
                stream.name
            ),
        }
    }
}

fn restore_one(ctx: &Arc<Ctx>, stream: &Arc<Stream>, dir: &Path) -> std::io::Result<Arc<Consumer>> {
    let meta = persist::read_meta(dir)?;
    let saved = match persist::read_state(dir) {
        Ok(s) => s,
        Err(e) => {
            fastnats_server::log_at!(
                fastnats_server::log::Level::Warn,
                "  Consumer '{} > {} > {}' state unreadable ({e}), starting over",
                ctx.account_name(),
                stream.name,
                meta.name
            );
            None
        }
    };
    let st = {
        let guard = stream.state.lock();
        match &saved {
            Some(s) => restored_state(meta.config.clone(), s, &*guard.store),
            None => initial_state(meta.config.clone(), &*guard.store),
        }
    };
    let c = Arc::new(Consumer::new(
        ctx.clone(),
        stream,
        meta.name,
        meta.created,
        st,
    ));
    c.start().map_err(std::io::Error::other)?;
    Ok(c)
}
