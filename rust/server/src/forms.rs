//! How option values cross (de)serialization, for the config types' serde attributes:
//! durations as float seconds, booleans that must really be booleans, and `null` read as the
//! default.
//!
//! The config comes from Python dicts (through `pythonize`) and from JSON in tests; both give
//! numbers for durations (the config-file loader turns Go duration strings into seconds
//! before the engine sees them). Each function reads the value with `deserialize_any`, so a
//! wrong type is refused with serde's own message ("invalid type: string \"x\", expected a
//! boolean") instead of being coerced: pythonize's `deserialize_bool` would take any truthy
//! object, and `verify: "no"` must not turn verification on.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};

/// `Duration` as float seconds (`2.5`); integers are accepted, negatives and NaN are not.
pub mod seconds {
    use super::*;

    /// Writes a duration as float seconds.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    /// Reads float seconds (non-negative, finite).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = d.deserialize_any(Seconds)?;
        Duration::try_from_secs_f64(secs).map_err(|_| {
            de::Error::invalid_value(
                de::Unexpected::Float(secs),
                &"a non-negative number of seconds",
            )
        })
    }
}

/// `Option<Duration>` as float seconds or `null`.
pub mod opt_seconds {
    use super::*;

    /// Writes float seconds, or `null`.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    /// Reads float seconds (as [`super::seconds`]) or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        struct S(#[serde(with = "super::seconds")] Duration);
        Ok(Option::<S>::deserialize(d)?.map(|s| s.0))
    }
}

/// A number of seconds, any sign: callers give negatives their own meaning (nats-server's
/// `expires: -1` is "never").
pub(crate) struct Seconds;

impl Visitor<'_> for Seconds {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of seconds")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_nan() {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
}

/// A boolean, and only a boolean (see the module doc).
pub fn strict_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Strict;
    impl Visitor<'_> for Strict {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
    }
    d.deserialize_any(Strict)
}

/// `null` (Python's `None`) as `T::default()`: `authorization=None` means no authorization.
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct T {
        #[serde(with = "seconds")]
        d: Duration,
        #[serde(deserialize_with = "strict_bool")]
        b: bool,
    }

    #[test]
    fn seconds_and_bools() {
        let t: T = serde_json::from_str(r#"{"d": 1.5, "b": true}"#).unwrap();
        assert_eq!(t.d, Duration::from_millis(1500));
        let t: T = serde_json::from_str(r#"{"d": 2, "b": false}"#).unwrap();
        assert_eq!(t.d, Duration::from_secs(2));
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"d":2.0,"b":false}"#);
        let e = serde_json::from_str::<T>(r#"{"d": -1, "b": true}"#).unwrap_err();
        assert!(e.to_string().contains("non-negative"), "{e}");
        let e = serde_json::from_str::<T>(r#"{"d": "2s", "b": true}"#).unwrap_err();
        assert!(e.to_string().contains("a number of seconds"), "{e}");
        let e = serde_json::from_str::<T>(r#"{"d": 1, "b": 1}"#).unwrap_err();
        assert!(e.to_string().contains("expected a boolean"), "{e}");
    }
}
