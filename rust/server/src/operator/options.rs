//! The operator-mode options as the config file writes them: `resolver` (a string or a map)
//! and `operator` / `trusted_keys` (one string or a list). Kept apart from the checks so
//! [`crate::config::Config`] can name these forms without pulling in the rest of the mode.

use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Which kind of account resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolverType {
    /// `MEMORY`: the accounts of `resolver_preload`, nothing else.
    Memory,
    /// `{type: full, dir}`: account JWTs in `<dir>/<pubkey>.jwt` (and the preloads).
    Full,
    /// `{type: cache, dir}`: the same on a single server.
    Cache,
}

/// The `resolver` option: `"MEMORY"` (or `"MEM"`), or `{type: full|cache|memory, dir,
/// allow_delete, hard_delete, interval, ttl, timeout, limit}` (durations in seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolverConfig {
    /// The kind.
    #[serde(rename = "type")]
    pub kind: ResolverType,
    /// Where the account JWTs are (`full` and `cache`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// `allow_delete` (`full` only; deletions come through `$SYS`, which is not served).
    #[serde(default, deserialize_with = "crate::forms::strict_bool")]
    pub allow_delete: bool,
    /// `hard_delete` (`full` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_delete: Option<bool>,
    /// `interval`: the cluster sync interval (`full` only; no effect on a single server).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub interval: Option<Duration>,
    /// `ttl` (`cache` only; no effect here: files are read when needed).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub ttl: Option<Duration>,
    /// `timeout`: the fetch timeout (no effect on a single server).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::forms::opt_seconds"
    )]
    pub timeout: Option<Duration>,
    /// `limit`: the most accounts kept (not enforced here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

impl ResolverConfig {
    /// `resolver: MEMORY`.
    pub fn memory() -> Self {
        ResolverConfig {
            kind: ResolverType::Memory,
            dir: None,
            allow_delete: false,
            hard_delete: None,
            interval: None,
            ttl: None,
            timeout: None,
            limit: None,
        }
    }
}

/// Reads the string form (`"MEMORY"`/`"MEM"`, any case) or the map form.
pub(crate) fn resolver_form<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<ResolverConfig>, D::Error> {
    struct Form;
    impl<'de> Visitor<'de> for Form {
        type Value = Option<ResolverConfig>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("\"MEMORY\" or a map with type and dir")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim().to_ascii_uppercase().as_str() {
                "MEM" | "MEMORY" => Ok(Some(ResolverConfig::memory())),
                _ => Err(E::custom(
                    "error parsing account resolver, should be MEM or  URL(\"url\") or a map containing dir and type state=[FULL|CACHE])",
                )),
            }
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            ResolverConfig::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_any(Form)
}

/// A string or a list of strings (`operator`, `trusted_keys`).
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Form>::deserialize(d)? {
        None => Vec::new(),
        Some(Form::One(s)) => vec![s],
        Some(Form::Many(v)) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_forms() {
        let read = |v: serde_json::Value| resolver_form(v).map_err(|e| e.to_string());
        assert_eq!(
            read(serde_json::json!("MEMORY")).unwrap(),
            Some(ResolverConfig::memory())
        );
        assert_eq!(
            read(serde_json::json!("mem")).unwrap(),
            Some(ResolverConfig::memory())
        );
        let full = read(serde_json::json!({"type": "full", "dir": "/tmp/x"}))
            .unwrap()
            .unwrap();
        assert_eq!(full.kind, ResolverType::Full);
        assert!(read(serde_json::json!({"type": "full", "dri": "x"}))
            .unwrap_err()
            .contains("dri"));
        assert!(read(serde_json::json!("URL(http://x)")).is_err());
    }
}
