//! Starting JetStream with a server: the engine's [`JetStreamStarter`] hook, nats-server's
//! start-up and shutdown log lines, and the mapping of the `jetstream` option (as the engine
//! reads and resolves it) onto [`JetStreamOptions`].
//!
//! The log follows nats-server 2.10 (`enableJetStream`): `Starting JetStream`, the warning
//! when the store directory is the temporary default, the banner, then the limits as
//! `friendlyBytes` prints them, the store directory and the domain. 2.11+ add `Strict:` and
//! `API Level:` lines and `Took … to start JetStream`; fastnats speaks the 2.10 API level and
//! leaves them out, as a 2.10 server does.

use std::collections::BTreeMap;
use std::sync::Arc;

use fastnats_server::config::JetStreamConfig;
use fastnats_server::hooks::{JetStreamStarter, Running};
use fastnats_server::jetstream_config::{default_store_dir, JetStreamSync};
use fastnats_server::log::Level;
use fastnats_server::{log_at, Engine};
use parking_lot::Mutex;

use fastnats_server::account::GLOBAL_ACCOUNT;

use crate::api::AccountLimits;
use crate::{JetStream, JetStreamOptions, Sync};

/// Where the running JetStream is kept for whoever serves its monitoring (`/jsz`).
pub type Slot = Arc<Mutex<Option<Arc<JetStream>>>>;

/// The starter the embedder plugs into the engine's hooks.
#[derive(Default)]
pub struct Starter {
    /// Holds the running JetStream between start and stop.
    pub slot: Slot,
}

impl JetStreamStarter for Starter {
    fn start(
        &self,
        engine: &Arc<Engine>,
        config: &JetStreamConfig,
    ) -> Result<Box<dyn Running>, String> {
        log_at!(Level::Info, "Starting JetStream");
        if config.store_dir == default_store_dir() {
            log_at!(
                Level::Warn,
                "Temporary storage directory used, data could be lost on system reboot"
            );
        }
        let mut opts = options(config);
        opts.accounts = served_accounts(engine);
        log_banner(&opts);
        let js = JetStream::start(engine, &opts).map_err(|e| e.to_string())?;
        *self.slot.lock() = Some(js);
        Ok(Box::new(Stopper(self.slot.clone())))
    }
}

/// Stops the JetStream in the slot.
struct Stopper(Slot);

impl Running for Stopper {
    fn stop(&self) {
        if let Some(js) = self.0.lock().take() {
            log_at!(Level::Info, "Initiating JetStream Shutdown...");
            js.shutdown();
            log_at!(Level::Info, "JetStream Shutdown");
        }
    }
}

/// The options JetStream runs with: the limits' defaults resolved on this machine now.
#[must_use]
pub fn options(config: &JetStreamConfig) -> JetStreamOptions {
    let resolved = config.resolve();
    JetStreamOptions {
        max_memory: resolved.max_memory,
        max_file: resolved.max_store,
        domain: resolved.domain,
        sync: match config.sync {
            JetStreamSync::Always => Sync::Always,
            JetStreamSync::Interval(d) => Sync::Interval(d),
        },
        ..JetStreamOptions::new(config.store_dir.clone())
    }
}

/// The accounts JetStream serves and their limits, as nats-server picks them: `$G` alone
/// (without limits) when no account but `$G` and the system account is configured, else
/// the accounts whose config enables JetStream; in operator mode the accounts known at
/// start whose JWT has JetStream limits.
#[must_use]
pub fn served_accounts(engine: &Engine) -> BTreeMap<String, AccountLimits> {
    let shared = engine.shared();
    let config = shared.config();
    let system = shared.system_account_name();
    let authorizer = shared.authorizer();
    let accounts = match authorizer.operator() {
        // The account JWTs known at start (their JetStream limits).
        Some(operator) => operator.snapshot().0,
        None => {
            let others = config
                .accounts
                .keys()
                .any(|name| name != GLOBAL_ACCOUNT && Some(name) != system.as_ref());
            if !others {
                return BTreeMap::from([(GLOBAL_ACCOUNT.to_string(), AccountLimits::default())]);
            }
            config.accounts.clone()
        }
    };
    accounts
        .iter()
        .filter_map(|(name, account)| {
            let js = account.jetstream?;
            let limits = AccountLimits {
                max_memory: js.max_memory,
                max_storage: js.max_storage,
                max_streams: js.max_streams,
                max_consumers: js.max_consumers,
                max_ack_pending: js.max_ack_pending,
                memory_max_stream_bytes: js.memory_max_stream_bytes,
                storage_max_stream_bytes: js.storage_max_stream_bytes,
                max_bytes_required: js.max_bytes_required,
            };
            Some((name.clone(), limits))
        })
        .collect()
}

fn log_banner(opts: &JetStreamOptions) {
    for line in [
        "    _ ___ _____ ___ _____ ___ ___   _   __  __",
        " _ | | __|_   _/ __|_   _| _ \\ __| /_\\ |  \\/  |",
        "| || | _|  | | \\__ \\ | | |   / _| / _ \\| |\\/| |",
        " \\__/|___| |_| |___/ |_| |_|_\\___/_/ \\_\\_|  |_|",
        "",
        "         https://docs.nats.io/jetstream",
        "",
        "---------------- JETSTREAM ----------------",
    ] {
        log_at!(Level::Info, "{line}");
    }
    log_at!(
        Level::Info,
        "  Max Memory:      {}",
        friendly_bytes(opts.max_memory)
    );
    log_at!(
        Level::Info,
        "  Max Storage:     {}",
        friendly_bytes(opts.max_file)
    );
    log_at!(
        Level::Info,
        "  Store Directory: \"{}\"",
        opts.store_dir.join("jetstream").display()
    );
    if let Some(d) = &opts.domain {
        log_at!(Level::Info, "  Domain:          {d}");
    }
    log_at!(Level::Info, "-------------------------------------------");
}

/// nats-server's `friendlyBytes`: `512 B`, `1.50 KB`, `17.66 GB` (powers of 1024).
#[must_use]
pub fn friendly_bytes(bytes: i64) -> String {
    #[allow(clippy::cast_precision_loss)] // a display value, as Go's float64
    let mut value = bytes as f64;
    if value < 1024.0 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    while value >= 1024.0 && unit < 6 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}B", ["", "K", "M", "G", "T", "P", "E"][unit])
}

#[cfg(test)]
mod tests {
    use super::friendly_bytes;

    #[test]
    fn sizes_print_as_nats_server_prints_them() {
        assert_eq!(friendly_bytes(0), "0 B");
        assert_eq!(friendly_bytes(1023), "1023 B");
        assert_eq!(friendly_bytes(1024), "1.00 KB");
        assert_eq!(friendly_bytes(1536), "1.50 KB");
        assert_eq!(friendly_bytes(18_957_053_952), "17.66 GB");
        assert_eq!(friendly_bytes(1 << 40), "1.00 TB");
        assert_eq!(friendly_bytes(-1), "-1 B");
    }
}
