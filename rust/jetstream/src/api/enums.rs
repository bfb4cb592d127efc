//! The policy enums of stream and consumer configs, as the strings nats-server writes and
//! reads (`store.go`, `consumer.go`, `filestore.go`).
//!
//! Reading follows nats-server's `UnmarshalJSON` methods: exact lower-case strings, except
//! that `discard` ignores case (`"OLD"` is old), `deliver_policy` also takes `"undefined"`
//! (as all) and a consumer create's `action` takes `""` (create or update). Anything else is
//! a decoding error, which the API answers with "invalid JSON". The `Default` of each is Go's
//! zero value, what a missing field means (for `storage` that is file, the default
//! nats-server's checks then pick).

use serde::{Deserialize, Deserializer, Serialize};

/// How messages leave a stream (`retention`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetentionPolicy {
    /// Kept until a limit (messages, bytes, age) removes them.
    #[default]
    Limits,
    /// Kept while some consumer has not acknowledged them.
    Interest,
    /// Removed once one consumer acknowledged them.
    #[serde(rename = "workqueue")]
    WorkQueue,
}

/// What a full stream does with a new message (`discard`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscardPolicy {
    /// Old messages are removed to make room.
    #[default]
    Old,
    /// The new message is refused.
    New,
}

impl<'de> Deserialize<'de> for DiscardPolicy {
    /// `"old"` or `"new"`, in any case (nats-server lower-cases the JSON text first).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        match s.to_lowercase().as_str() {
            "old" => Ok(DiscardPolicy::Old),
            "new" => Ok(DiscardPolicy::New),
            _ => Err(serde::de::Error::custom(format!("can not unmarshal {s:?}"))),
        }
    }
}

/// Where a stream keeps its messages (`storage`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    /// On disk, under the JetStream store directory.
    #[default]
    File,
    /// In memory only.
    Memory,
}

/// On-disk compression of a file stream (`compression`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreCompression {
    /// Not compressed.
    #[default]
    None,
    /// S2 compressed blocks.
    S2,
}

/// Where a consumer starts (`deliver_policy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliverPolicy {
    /// From the first message (`"undefined"` reads as this too).
    #[default]
    #[serde(alias = "undefined")]
    All,
    /// From the last message.
    Last,
    /// From the next message stored after the consumer is created.
    New,
    /// From `opt_start_seq`.
    ByStartSequence,
    /// From the first message at or after `opt_start_time`.
    ByStartTime,
    /// The last message of each subject, then new ones.
    LastPerSubject,
}

/// How deliveries are acknowledged (`ack_policy`). Go's zero value, and so a missing
/// `ack_policy`, is `none`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckPolicy {
    /// No acknowledgements.
    #[default]
    None,
    /// Acknowledging a message acknowledges all before it.
    All,
    /// Each message is acknowledged on its own.
    Explicit,
}

/// How fast stored messages are replayed (`replay_policy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayPolicy {
    /// As fast as possible.
    #[default]
    Instant,
    /// At the pace they were stored.
    Original,
}

/// What a consumer create request may do (`action`, nats-server 2.10): `""` creates or
/// updates, `"create"` fails if a different consumer of that name exists, `"update"` fails
/// if none does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConsumerAction {
    /// `""`: create, or update an existing consumer.
    #[default]
    #[serde(rename = "")]
    CreateOrUpdate,
    /// `"update"`: only update an existing consumer.
    #[serde(rename = "update")]
    Update,
    /// `"create"`: only create (an identical existing consumer is fine).
    #[serde(rename = "create")]
    Create,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: for<'de> Deserialize<'de>>(s: &str) -> Option<T> {
        serde_json::from_str(s).ok()
    }

    fn write<T: Serialize>(v: T) -> String {
        serde_json::to_string(&v).unwrap()
    }

    #[test]
    fn strings_are_nats_servers() {
        assert_eq!(write(RetentionPolicy::WorkQueue), r#""workqueue""#);
        assert_eq!(write(RetentionPolicy::Interest), r#""interest""#);
        assert_eq!(write(DiscardPolicy::New), r#""new""#);
        assert_eq!(write(StorageType::Memory), r#""memory""#);
        assert_eq!(write(StoreCompression::S2), r#""s2""#);
        assert_eq!(
            write(DeliverPolicy::ByStartSequence),
            r#""by_start_sequence""#
        );
        assert_eq!(
            write(DeliverPolicy::LastPerSubject),
            r#""last_per_subject""#
        );
        assert_eq!(write(AckPolicy::Explicit), r#""explicit""#);
        assert_eq!(write(ReplayPolicy::Original), r#""original""#);
        assert_eq!(write(ConsumerAction::CreateOrUpdate), r#""""#);
    }

    #[test]
    fn reading_is_as_tolerant_as_nats_server() {
        assert_eq!(read(r#""OLD""#), Some(DiscardPolicy::Old));
        assert_eq!(read(r#""New""#), Some(DiscardPolicy::New));
        assert_eq!(read::<DiscardPolicy>(r#""newest""#), None);
        assert_eq!(read(r#""undefined""#), Some(DeliverPolicy::All));
        assert_eq!(read(r#""create""#), Some(ConsumerAction::Create));
        assert_eq!(read(r#""""#), Some(ConsumerAction::CreateOrUpdate));
        assert_eq!(read::<ConsumerAction>(r#""upsert""#), None);
        assert_eq!(read::<RetentionPolicy>(r#""Limits""#), None);
        assert_eq!(read::<StorageType>(r#""disk""#), None);
        assert_eq!(read::<StoreCompression>(r#""""#), None);
        assert_eq!(read::<AckPolicy>("1"), None);
    }
}
