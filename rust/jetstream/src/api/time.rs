//! Durations and times in the API's JSON, as Go's `encoding/json` writes `time.Duration` and
//! `time.Time`.
//!
//! - [`Nanos`]: a `time.Duration` is a JSON integer of nanoseconds and may be negative
//!   (nats-server then rejects or normalises it), so it is an `i64`, not a
//!   [`std::time::Duration`]. It prints (`Display`) as Go's `Duration.String` (`1m0s`), the
//!   form nats-server's error texts use.
//! - [`Timestamp`]: a `time.Time` is an RFC 3339 string with nanoseconds, trailing zeros of
//!   the fraction left out, `Z` for UTC and the offset it was parsed with otherwise
//!   (`2024-01-02T03:04:05.5+02:00` comes back as sent). Go's zero time,
//!   `0001-01-01T00:00:00Z`, is what an unset non-pointer time field (`first_ts` of an empty
//!   stream) shows; optional times are `Option<Timestamp>`, omitted when `None`.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::gofmt::go_duration;

/// A Go `time.Duration`: signed nanoseconds, a JSON integer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Nanos(pub i64);

impl Nanos {
    /// No time at all (Go's zero `Duration`; `omitempty` leaves it out).
    pub const ZERO: Nanos = Nanos(0);

    /// `n` milliseconds.
    #[must_use]
    pub const fn from_millis(n: i64) -> Nanos {
        Nanos(n.saturating_mul(1_000_000))
    }

    /// `n` seconds.
    #[must_use]
    pub const fn from_secs(n: i64) -> Nanos {
        Nanos(n.saturating_mul(1_000_000_000))
    }

    /// Whether this is zero (what `omitempty` omits).
    #[must_use]
    pub const fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// The duration, or `None` when negative.
    #[must_use]
    pub fn to_std(self) -> Option<Duration> {
        u64::try_from(self.0).ok().map(Duration::from_nanos)
    }
}

impl From<Duration> for Nanos {
    /// Saturates at `i64::MAX` nanoseconds (about 292 years).
    fn from(d: Duration) -> Nanos {
        Nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

impl fmt::Display for Nanos {
    /// As Go's `Duration.String`: `1m0s`, `1.5s`, `500µs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&go_duration(self.0))
    }
}

/// A Go `time.Time` in JSON: an RFC 3339 string with nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp(pub OffsetDateTime);

/// 0001-01-01, the date of Go's zero time.
const GO_ZERO_DATE: Date = match Date::from_ordinal_date(1, 1) {
    Ok(d) => d,
    // Year 1 day 1 is in range for every feature set of `time`: this arm is never taken.
    Err(_) => Date::MIN,
};

impl Timestamp {
    /// Go's zero time, `0001-01-01T00:00:00Z`.
    pub const ZERO: Timestamp =
        Timestamp(PrimitiveDateTime::new(GO_ZERO_DATE, time::Time::MIDNIGHT).assume_utc());

    /// Whether this is Go's zero time (`IsZero`, whatever the offset).
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.0 == Self::ZERO.0
    }

    /// The UTC time `nanos` nanoseconds after the Unix epoch (how stores keep times).
    #[must_use]
    pub fn from_unix_nanos(nanos: i64) -> Timestamp {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos));
        // Every i64 of nanoseconds (±292 years around 1970) is within `time`'s range.
        Timestamp(t.unwrap_or(OffsetDateTime::UNIX_EPOCH))
    }

    /// Nanoseconds since the Unix epoch (negative before 1970).
    #[must_use]
    pub fn unix_nanos(&self) -> i128 {
        self.0.unix_timestamp_nanos()
    }

    /// The RFC 3339 text Go's `time.RFC3339Nano` layout writes, also the form of the
    /// `Nats-Time-Stamp` header of direct gets.
    #[must_use]
    pub fn to_rfc3339(&self) -> String {
        // Only an offset with seconds or a year beyond 9999 fails to format; neither is made
        // by `from_unix_nanos`, `From<SystemTime>` or parsing RFC 3339.
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| "0001-01-01T00:00:00Z".to_owned())
    }

    /// Parses RFC 3339 text (what Go's `time.Time.UnmarshalJSON` accepts), keeping its offset.
    ///
    /// # Errors
    /// The text is not RFC 3339.
    pub fn parse(s: &str) -> Result<Timestamp, time::error::Parse> {
        OffsetDateTime::parse(s, &Rfc3339).map(Timestamp)
    }
}

impl Default for Timestamp {
    fn default() -> Timestamp {
        Timestamp::ZERO
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Timestamp {
        Timestamp(OffsetDateTime::from(t))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_are_json_integers_and_print_as_go() {
        assert_eq!(
            serde_json::to_string(&Nanos::from_secs(120)).unwrap(),
            "120000000000"
        );
        assert_eq!(serde_json::from_str::<Nanos>("-1").unwrap(), Nanos(-1));
        assert!(serde_json::from_str::<Nanos>("1.5").is_err());
        assert_eq!(Nanos::from_secs(60).to_string(), "1m0s");
        assert_eq!(Nanos(-1).to_std(), None);
        assert_eq!(
            Nanos::from_millis(5).to_std(),
            Some(Duration::from_millis(5))
        );
        assert_eq!(Nanos::from(Duration::from_secs(2)), Nanos::from_secs(2));
    }

    #[test]
    fn times_print_as_go() {
        assert_eq!(Timestamp::ZERO.to_rfc3339(), "0001-01-01T00:00:00Z");
        assert!(Timestamp::default().is_zero());
        assert_eq!(
            Timestamp::from_unix_nanos(0).to_rfc3339(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(1_704_164_645_123_456_789).to_rfc3339(),
            "2024-01-02T03:04:05.123456789Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(1_704_164_645_100_000_000).to_rfc3339(),
            "2024-01-02T03:04:05.1Z"
        );
        for text in [
            "2024-01-02T03:04:05.5+02:00",
            "2024-01-02T03:04:05Z",
            "0001-01-01T00:00:00Z",
        ] {
            let t: Timestamp = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
        }
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }
}
