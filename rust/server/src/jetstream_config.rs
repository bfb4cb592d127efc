//! The `jetstream` option: JetStream's settings as nats-server takes them, carried to the
//! engine. `Config::jetstream` is `None` when JetStream is off.
//!
//! ```text
//! jetstream: null | { store_dir: "/data", max_memory_store: -1, max_file_store: -1,
//!                     domain: "hub", sync_interval: "always" | <seconds> }
//! ```
//!
//! The Python layer reads nats-server's config forms (`jetstream: enabled`, the block with
//! its aliases and size suffixes, `store_dir` at the top level, `-js`/`-sd`) and hands the
//! engine this one form; keys are checked here (unknown ones refused with their path).
//!
//! Two settings have a default that depends on the machine, resolved as nats-server does
//! when JetStream starts ([`JetStreamConfig::resolve`]): a negative limit (-1) is 75% of the
//! physical memory (256 MiB when it can not be read) for `max_memory_store`, and 75% of the
//! disk space available to the store directory (1 TiB when it can not be read) for
//! `max_file_store`. An explicit 0 is a limit of 0 bytes (no stream of that storage type),
//! as in nats-server.
//!
//! Directory layout: as nats-server, the data lives in `<store_dir>/jetstream`
//! ([`JetStreamConfig::data_dir`]); the default `store_dir` is `<temp dir>/nats`, so a server
//! started with only `-js` keeps its streams in `/tmp/nats/jetstream`.
//!
//! Durability: fastnats' default is [`JetStreamSync::Always`] — a PubAck leaves only once
//! its message is on disk (an fsync shared by every message of a group commit). nats-server
//! syncs every 2 minutes by default (`sync_interval`), acknowledging before the sync; a
//! configured `sync_interval` asks for that behaviour.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::config_error::ConfigError;

/// nats-server's default `sync_interval` (`defaultSyncInterval`), also what it reports as
/// the interval when every write is synced (`sync_interval: always`).
pub const NATS_SYNC_INTERVAL: Duration = Duration::from_secs(120);

/// nats-server's guess at the memory limit when the machine's memory can not be read
/// (`JetStreamMaxMemDefault`, 256 MiB).
pub const FALLBACK_MAX_MEMORY: i64 = 256 * 1024 * 1024;

/// nats-server's guess at the storage limit when the free disk space can not be read
/// (`JetStreamMaxStoreDefault`, 1 TiB).
pub const FALLBACK_MAX_STORE: i64 = 1024 * 1024 * 1024 * 1024;

/// The directory nats-server keeps JetStream's data in, under the store directory.
pub const DATA_DIR_NAME: &str = "jetstream";

/// How stored messages reach the disk before they are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JetStreamSync {
    /// fsync before every PubAck; concurrent publishes share one fsync (group commit).
    /// fastnats' default; nats-server's `sync_interval: always`.
    #[default]
    Always,
    /// nats-server's `sync_interval`: acknowledge once written, fsync in the background at
    /// this interval (never zero).
    Interval(Duration),
}

/// The `jetstream` option (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JetStreamConfig {
    /// The directory given (`store_dir`); data lives in [`JetStreamConfig::data_dir`]. An
    /// empty path is the default, `<temp dir>/nats`.
    #[serde(deserialize_with = "store_dir")]
    pub store_dir: PathBuf,
    /// The memory storage limit in bytes; negative: 75% of the physical memory.
    pub max_memory_store: i64,
    /// The file storage limit in bytes; negative: 75% of the disk space available.
    pub max_file_store: i64,
    /// The JetStream domain (`$JS.<domain>.API.>` is answered too), checked as nats-server
    /// does by [`JetStreamConfig::check`].
    pub domain: Option<String>,
    /// When stored messages are synced to disk (`sync_interval`: `"always"` or seconds).
    #[serde(rename = "sync_interval", with = "sync_form")]
    pub sync: JetStreamSync,
}

impl Default for JetStreamConfig {
    fn default() -> Self {
        JetStreamConfig {
            store_dir: default_store_dir(),
            max_memory_store: -1,
            max_file_store: -1,
            domain: None,
            sync: JetStreamSync::Always,
        }
    }
}

/// nats-server's default store directory when none is given: `<temp dir>/nats`.
pub fn default_store_dir() -> PathBuf {
    std::env::temp_dir().join("nats")
}

fn store_dir<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    let dir = PathBuf::deserialize(d)?;
    Ok(if dir.as_os_str().is_empty() {
        default_store_dir()
    } else {
        dir
    })
}

/// `sync_interval` as `"always"` or a positive number of seconds.
mod sync_form {
    use super::*;

    pub fn serialize<S: Serializer>(sync: &JetStreamSync, s: S) -> Result<S::Ok, S::Error> {
        match sync {
            JetStreamSync::Always => s.serialize_str("always"),
            JetStreamSync::Interval(d) => s.serialize_f64(d.as_secs_f64()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<JetStreamSync, D::Error> {
        d.deserialize_any(SyncVisitor)
    }

    struct SyncVisitor;

    impl SyncVisitor {
        fn seconds<E: de::Error>(self, secs: f64) -> Result<JetStreamSync, E> {
            match Duration::try_from_secs_f64(secs) {
                Ok(d) if !d.is_zero() => Ok(JetStreamSync::Interval(d)),
                _ => Err(E::invalid_value(de::Unexpected::Float(secs), &self)),
            }
        }
    }

    impl Visitor<'_> for SyncVisitor {
        type Value = JetStreamSync;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("\"always\" or a positive number of seconds")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<JetStreamSync, E> {
            if v.eq_ignore_ascii_case("always") {
                Ok(JetStreamSync::Always)
            } else {
                Err(E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<JetStreamSync, E> {
            self.seconds(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<JetStreamSync, E> {
            self.seconds(v as f64)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<JetStreamSync, E> {
            self.seconds(v as f64)
        }
    }
}

impl JetStreamConfig {
    /// Where the data lives: `<store_dir>/jetstream`, nats-server's layout.
    pub fn data_dir(&self) -> PathBuf {
        self.store_dir.join(DATA_DIR_NAME)
    }

    /// nats-server's checks of the domain, with its texts (`validateJetStreamOptions`).
    pub fn check(&self) -> Result<(), ConfigError> {
        let Some(domain) = self.domain.as_deref().filter(|d| !d.is_empty()) else {
            return Ok(());
        };
        let api = format!("$JS.{domain}.API.>");
        // nats-server's subject check also refuses blanks inside tokens.
        let blank = [' ', '\t', '\r', '\n', '\x0c'];
        if !fastnats_sublist::is_valid_subject(api.as_bytes()) || domain.contains(blank) {
            return Err(ConfigError::JetStream(format!(
                "invalid domain name: derived {api:?} is not a valid subject"
            )));
        }
        if domain.contains(['.', '*', '>']) {
            return Err(ConfigError::JetStream(
                "invalid domain name: may not contain ., * or >".to_string(),
            ));
        }
        Ok(())
    }

    /// The settings as JetStream runs with them: the limits' defaults resolved on this
    /// machine now (see the module doc), the data directory, the sync policy in nats-server's
    /// two fields. Reads the memory size and the free space of the data directory (or of its
    /// nearest existing parent: nothing is created).
    pub fn resolve(&self) -> ResolvedJetStream {
        let data_dir = self.data_dir();
        let max_memory = if self.max_memory_store >= 0 {
            self.max_memory_store
        } else {
            physical_memory().map_or(FALLBACK_MAX_MEMORY, three_quarters)
        };
        let max_store = if self.max_file_store >= 0 {
            self.max_file_store
        } else {
            available_disk(&data_dir).map_or(FALLBACK_MAX_STORE, three_quarters)
        };
        let (sync_interval, sync_always) = match self.sync {
            JetStreamSync::Always => (NATS_SYNC_INTERVAL, true),
            JetStreamSync::Interval(d) => (d, false),
        };
        ResolvedJetStream {
            max_memory,
            max_store,
            store_dir: data_dir,
            sync_interval,
            sync_always,
            domain: self.domain.clone().filter(|d| !d.is_empty()),
        }
    }
}

/// JetStream's settings as it runs with them, in nats-server's `JetStreamConfig` JSON (what
/// `/varz` shows as `jetstream.config`): limits in bytes, the data directory, the sync
/// interval in nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedJetStream {
    /// The memory storage limit in bytes.
    pub max_memory: i64,
    /// The file storage limit in bytes.
    #[serde(rename = "max_storage")]
    pub max_store: i64,
    /// The data directory (`<store_dir>/jetstream`).
    pub store_dir: PathBuf,
    /// nats-server's `sync_interval` (2 minutes when every write is synced).
    #[serde(serialize_with = "nanoseconds")]
    pub sync_interval: Duration,
    /// Every write is synced before it is acknowledged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sync_always: bool,
    /// The JetStream domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

fn nanoseconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// `n / 4 * 3`, nats-server's 75% (dividing first, as it does), capped to `i64`.
fn three_quarters(n: u64) -> i64 {
    i64::try_from(n / 4 * 3).unwrap_or(i64::MAX)
}

/// The machine's physical memory in bytes (nats-server's `sysmem.Memory()`).
#[cfg(target_os = "linux")]
#[allow(clippy::useless_conversion)] // `totalram` is a C `unsigned long`: 32 bits on some targets
fn physical_memory() -> Option<u64> {
    let info = rustix::system::sysinfo();
    let total = u64::from(info.totalram).checked_mul(u64::from(info.mem_unit.max(1)))?;
    (total > 0).then_some(total)
}

#[cfg(not(target_os = "linux"))]
fn physical_memory() -> Option<u64> {
    None
}

/// Bytes available to an unprivileged user on the file system of `dir`, or of its nearest
/// existing parent (nats-server creates the directory first; here nothing is created).
#[cfg(unix)]
fn available_disk(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|p| p.exists())?;
    let fs = rustix::fs::statvfs(existing).ok()?;
    fs.f_bavail.checked_mul(fs.f_bsize)
}

#[cfg(not(unix))]
fn available_disk(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(json: &str) -> Result<JetStreamConfig, ConfigError> {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        crate::config_error::deserialize("jetstream", v)
    }

    #[test]
    fn forms_and_defaults() {
        let d = js("{}").unwrap();
        assert_eq!(d, JetStreamConfig::default());
        assert_eq!(d.store_dir, std::env::temp_dir().join("nats"));
        assert_eq!(d.data_dir(), std::env::temp_dir().join("nats/jetstream"));
        assert_eq!((d.max_memory_store, d.max_file_store), (-1, -1));
        assert_eq!(d.sync, JetStreamSync::Always);
        assert_eq!(js(r#"{"store_dir": ""}"#).unwrap(), d);

        let c = js(
            r#"{"store_dir": "/data", "max_memory_store": 1024, "max_file_store": 0,
                       "domain": "hub", "sync_interval": 2.5}"#,
        )
        .unwrap();
        assert_eq!(c.data_dir(), PathBuf::from("/data/jetstream"));
        assert_eq!((c.max_memory_store, c.max_file_store), (1024, 0));
        assert_eq!(c.domain.as_deref(), Some("hub"));
        assert_eq!(c.sync, JetStreamSync::Interval(Duration::from_millis(2500)));
        assert_eq!(
            js(r#"{"sync_interval": "ALWAYS"}"#).unwrap().sync,
            JetStreamSync::Always
        );
        assert_eq!(
            js(r#"{"sync_interval": 3}"#).unwrap().sync,
            JetStreamSync::Interval(Duration::from_secs(3))
        );

        // Serialized back, it reads the same.
        let round = serde_json::to_value(&c).unwrap();
        assert_eq!(round["sync_interval"], 2.5);
        assert_eq!(js(&round.to_string()).unwrap(), c);
        let round = serde_json::to_value(&d).unwrap();
        assert_eq!(round["sync_interval"], "always");
        assert_eq!(js(&round.to_string()).unwrap(), d);
    }

    #[test]
    fn bad_values_name_their_key() {
        let bad = |json: &str| js(json).unwrap_err().to_string();
        assert_eq!(
            bad(r#"{"cipher": "aes"}"#),
            r#"jetstream: unknown key "cipher""#
        );
        assert!(
            bad(r#"{"sync_interval": 0}"#).starts_with("jetstream.sync_interval: invalid value")
        );
        assert!(
            bad(r#"{"sync_interval": -1}"#).starts_with("jetstream.sync_interval: invalid value")
        );
        assert!(bad(r#"{"sync_interval": "2m"}"#).contains(r#""always" or a positive number"#));
        assert!(bad(r#"{"max_memory_store": "1G"}"#).starts_with("jetstream.max_memory_store:"));
        assert!(bad(r#"{"store_dir": 5}"#).starts_with("jetstream.store_dir:"));
    }

    #[test]
    fn domain_checks_are_nats_servers() {
        let check = |domain: &str| {
            JetStreamConfig {
                domain: Some(domain.to_string()),
                ..JetStreamConfig::default()
            }
            .check()
            .map_err(|e| e.to_string())
        };
        assert_eq!(check("hub"), Ok(()));
        assert_eq!(check(""), Ok(()));
        assert_eq!(
            check("a.b"),
            Err("invalid domain name: may not contain ., * or >".to_string())
        );
        assert_eq!(
            check("*"),
            Err("invalid domain name: may not contain ., * or >".to_string())
        );
        assert_eq!(
            check("a b"),
            Err(
                r#"invalid domain name: derived "$JS.a b.API.>" is not a valid subject"#
                    .to_string()
            )
        );
        assert_eq!(
            check(">"),
            Err(r#"invalid domain name: derived "$JS.>.API.>" is not a valid subject"#.to_string())
        );
    }

    #[test]
    fn resolve_fills_in_the_machine_defaults() {
        let given = JetStreamConfig {
            store_dir: PathBuf::from("/data"),
            max_memory_store: 1 << 20,
            max_file_store: 0,
            domain: Some("hub".to_string()),
            sync: JetStreamSync::Interval(Duration::from_secs(1)),
        };
        let r = given.resolve();
        assert_eq!((r.max_memory, r.max_store), (1 << 20, 0));
        assert_eq!(r.store_dir, PathBuf::from("/data/jetstream"));
        assert_eq!(
            (r.sync_interval, r.sync_always),
            (Duration::from_secs(1), false)
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"max_memory": 1 << 20, "max_storage": 0,
                               "store_dir": "/data/jetstream", "sync_interval": 1_000_000_000u64,
                               "domain": "hub"})
        );

        let r = JetStreamConfig::default().resolve();
        assert!(r.max_memory > 0 && r.max_store > 0);
        assert_eq!((r.sync_interval, r.sync_always), (NATS_SYNC_INTERVAL, true));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["sync_always"], true);
        assert!(v.get("domain").is_none());
        if cfg!(target_os = "linux") {
            assert_eq!(r.max_memory, three_quarters(physical_memory().unwrap()));
            assert_ne!(r.max_store, FALLBACK_MAX_STORE);
        }
    }

    #[test]
    fn three_quarters_divides_first() {
        assert_eq!(three_quarters(7), 3);
        assert_eq!(three_quarters(u64::MAX), i64::MAX);
    }
}
