//! Applying a new configuration to a running server (SIGHUP, `--signal reload`).
//!
//! As in nats-server, options are either reloadable — limits, keep-alive, write deadline:
//! connections pick the new values up at their next read, new connections get them from the
//! start — or not (what was bound or built at start: host, port, name, threads, header
//! support, the sublist cache). A change to one of the latter refuses the whole reload with
//! nats-server's message, and the old configuration stays.

use fastnats_proto::{encode, CloseReason, ProtoError};

use crate::client::CloseMode;
use crate::config::{Config, ConfigError};
use crate::log::Level;
use crate::log_at;
use crate::server::Shared;

/// Checks that only reloadable options changed, then applies them.
pub fn apply(shared: &Shared, new: Config) -> Result<(), ConfigError> {
    new.validate()?;
    let old = shared.config();
    refuse_fixed(&old, &new)?;
    let max_connections = new.max_connections;
    shared.set_config(new)?;
    if max_connections < old.max_connections {
        close_excess(shared, max_connections);
    }
    Ok(())
}

fn refuse_fixed(old: &Config, new: &Config) -> Result<(), ConfigError> {
    fn check<T: PartialEq + std::fmt::Debug>(
        name: &str,
        old: &T,
        new: &T,
    ) -> Result<(), ConfigError> {
        if old == new {
            Ok(())
        } else {
            Err(ConfigError(format!(
                "config reload not supported for {name}: old={old:?}, new={new:?}"
            )))
        }
    }
    check("Host", &old.host, &new.host)?;
    check("Port", &old.port, &new.port)?;
    check("ServerName", &old.server_name, &new.server_name)?;
    check("WorkerThreads", &old.worker_threads, &new.worker_threads)?;
    check(
        "NoHeaderSupport",
        &old.no_header_support,
        &new.no_header_support,
    )?;
    check(
        "NoSublistCache",
        &old.disable_sublist_cache,
        &new.disable_sublist_cache,
    )
}

/// Lowering max_connections closes random excess clients, as nats-server does.
fn close_excess(shared: &Shared, max: usize) {
    let clients = shared.client_list();
    if clients.len() <= max {
        return;
    }
    let excess = clients.len() - max;
    let mut err = Vec::new();
    encode::write_err(&mut err, ProtoError::MaxConnectionsExceeded);
    // The map's iteration order is arbitrary, which is as random as nats-server's pick.
    for c in clients.iter().take(excess) {
        c.queue(&err);
        c.close(CloseReason::MaxConnectionsExceeded, CloseMode::Flush);
    }
    log_at!(
        Level::Info,
        "Closed {excess} connections to fall under max_connections of {max}"
    );
}
