//! nats-server's forms of the `authorization` settings, read by serde into the types of
//! [`super::config`] — the one place they are normalised (the Python layer passes its dicts
//! through untouched).
//!
//! - a subject permission is a subject, a list of subjects (allow only) or `{allow, deny}`,
//!   each of those a subject or a list;
//! - `allow_responses` is `true` (one response within 2 minutes), `false`/absent (none) or
//!   `{max, expires}` with nats-server's meanings: `0` is the default, a negative number is
//!   "no limit" / "never expires"; `expires` is in seconds;
//! - a `users` entry is `{user, password, permissions?, allowed_connection_types?}` or
//!   `{nkey, permissions?, allowed_connection_types?}` (`pass` is accepted for `password`,
//!   as in nats-server);
//! - `authorization.timeout` in seconds, `0` meaning the default (2 s).
//!
//! Every map refuses keys it does not know. Serializing gives the explicit forms (lists,
//! `{max, expires}` with `-1` for "no limit"), which read back to the same values.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::config::{
    AuthConfig, NkeyUser, Permissions, ResponsePermission, SubjectPermission, User,
    DEFAULT_AUTH_TIMEOUT,
};
use crate::forms::Seconds;

/// A subject or a list of subjects.
struct Subjects(Vec<String>);

impl<'de> Deserialize<'de> for Subjects {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Subjects;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a subject or a list of subjects")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Subjects, E> {
                Ok(Subjects(vec![s.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Subjects, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Subjects(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A name or a list of names (nats-server's `parseStringArray`): `allowed_connection_types`.
pub(crate) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Subjects::deserialize(d).map(|s| s.0)
}

/// `{allow, deny}` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowDeny {
    #[serde(default)]
    allow: Option<Subjects>,
    #[serde(default)]
    deny: Option<Subjects>,
}

impl<'de> Deserialize<'de> for SubjectPermission {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SubjectPermission;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a subject, a list of subjects or {allow, deny}")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SubjectPermission, E> {
                Ok(SubjectPermission {
                    allow: vec![s.to_string()],
                    deny: Vec::new(),
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<SubjectPermission, A::Error> {
                let Subjects(allow) =
                    Subjects::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(SubjectPermission {
                    allow,
                    deny: Vec::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SubjectPermission, A::Error> {
                let AllowDeny { allow, deny } =
                    AllowDeny::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(SubjectPermission {
                    allow: allow.map(|s| s.0).unwrap_or_default(),
                    deny: deny.map(|s| s.0).unwrap_or_default(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `allow_responses: {max, expires}` in nats-server's terms.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseForm {
    /// Responses per request; 0 = the default (1), negative = no limit.
    #[serde(default)]
    max: i64,
    /// Seconds; 0 = the default (2 minutes), negative = never expires.
    #[serde(default, deserialize_with = "any_seconds")]
    expires: f64,
}

fn any_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(Seconds)
}

impl From<ResponseForm> for ResponsePermission {
    fn from(f: ResponseForm) -> Self {
        // A float-to-int cast saturates, so huge values stay huge and keep their sign.
        ResponsePermission::from_config(f.max, (f.expires * 1e9) as i64)
    }
}

impl From<ResponsePermission> for ResponseForm {
    fn from(p: ResponsePermission) -> Self {
        ResponseForm {
            max: if p.max == 0 {
                -1
            } else {
                i64::try_from(p.max).unwrap_or(i64::MAX)
            },
            expires: if p.expires.is_zero() {
                -1.0
            } else {
                p.expires.as_secs_f64()
            },
        }
    }
}

/// `allow_responses`: `true`, `false`, `null` or `{max, expires}`.
pub(crate) fn allow_responses<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<ResponsePermission>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<ResponsePermission>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true, false or {max, expires}")
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
            Ok(b.then(ResponsePermission::default))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let form = ResponsePermission::deserialize(de::value::MapAccessDeserializer::new(map))?;
            Ok(Some(form))
        }
    }
    d.deserialize_any(V)
}

/// One `users` entry as written: which kind it is depends on its keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntryForm {
    #[serde(default)]
    user: Option<String>,
    #[serde(default, alias = "pass")]
    password: Option<String>,
    #[serde(default)]
    nkey: Option<String>,
    #[serde(default)]
    permissions: Option<Permissions>,
    #[serde(default, deserialize_with = "string_or_list")]
    allowed_connection_types: Vec<String>,
}

/// A `users` entry: a user with a password, or an nkey.
#[derive(Deserialize)]
#[serde(try_from = "UserEntryForm")]
pub(crate) enum UserEntry {
    Password(User),
    Nkey(NkeyUser),
}

impl TryFrom<UserEntryForm> for UserEntry {
    type Error = String;

    fn try_from(f: UserEntryForm) -> Result<Self, String> {
        let has = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        if has(&f.nkey) {
            if has(&f.user) || has(&f.password) {
                // nats-server's text.
                return Err("Nkey users do not take usernames or passwords".to_string());
            }
            return Ok(UserEntry::Nkey(NkeyUser {
                nkey: f.nkey.unwrap_or_default(),
                permissions: f.permissions,
                allowed_connection_types: f.allowed_connection_types,
            }));
        }
        // A missing name is left to `AuthConfig::validate` ("User entry requires a user").
        Ok(UserEntry::Password(User {
            user: f.user.unwrap_or_default(),
            password: f.password.unwrap_or_default(),
            permissions: f.permissions,
            allowed_connection_types: f.allowed_connection_types,
        }))
    }
}

/// A `users` list (of `authorization` or of an account): password users and nkey users,
/// each kept apart as the rest of the engine wants them; written back as one list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "Vec<UserEntry>")]
pub struct UserEntries {
    /// The entries with a `user` (and password).
    pub users: Vec<User>,
    /// The entries with an `nkey`.
    pub nkeys: Vec<NkeyUser>,
}

impl From<Vec<UserEntry>> for UserEntries {
    fn from(entries: Vec<UserEntry>) -> Self {
        let mut out = UserEntries::default();
        for entry in entries {
            match entry {
                UserEntry::Password(u) => out.users.push(u),
                UserEntry::Nkey(n) => out.nkeys.push(n),
            }
        }
        out
    }
}

impl Serialize for UserEntries {
    /// The password users, then the nkey users, as one list.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_entries(&self.users, &self.nkeys, s)
    }
}

fn serialize_entries<S: Serializer>(
    users: &[User],
    nkeys: &[NkeyUser],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Entry<'a> {
        Password(&'a User),
        Nkey(&'a NkeyUser),
    }
    let entries: Vec<Entry<'_>> = users
        .iter()
        .map(Entry::Password)
        .chain(nkeys.iter().map(Entry::Nkey))
        .collect();
    entries.serialize(s)
}

/// `authorization` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthConfigForm {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default, alias = "pass")]
    password: Option<String>,
    #[serde(default, deserialize_with = "crate::forms::null_as_default")]
    users: UserEntries,
    #[serde(default)]
    no_auth_user: Option<String>,
    #[serde(default, with = "crate::forms::opt_seconds")]
    timeout: Option<Duration>,
    #[serde(default)]
    default_permissions: Option<Permissions>,
}

impl From<AuthConfigForm> for AuthConfig {
    fn from(f: AuthConfigForm) -> Self {
        AuthConfig {
            token: f.token,
            user: f.user,
            password: f.password,
            no_auth_user: f.no_auth_user,
            // 0 is the default, as in nats-server.
            timeout: f
                .timeout
                .filter(|t| !t.is_zero())
                .unwrap_or(DEFAULT_AUTH_TIMEOUT),
            default_permissions: f.default_permissions,
            users: f.users.users,
            nkeys: f.users.nkeys,
        }
    }
}

impl Serialize for AuthConfig {
    /// The keys the option takes; `users` lists the password users, then the nkey users.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Users<'a>(&'a AuthConfig);
        impl Serialize for Users<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_entries(&self.0.users, &self.0.nkeys, s)
            }
        }
        let mut st = s.serialize_struct("AuthConfig", 7)?;
        st.serialize_field("token", &self.token)?;
        st.serialize_field("user", &self.user)?;
        st.serialize_field("password", &self.password)?;
        st.serialize_field("no_auth_user", &self.no_auth_user)?;
        st.serialize_field("timeout", &self.timeout.as_secs_f64())?;
        st.serialize_field("default_permissions", &self.default_permissions)?;
        st.serialize_field("users", &Users(self))?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON parsed first: serde_json's own deserializer adds "at line 1 column N" to errors.
    fn json_value(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }
    use crate::config_error::{deserialize, ConfigError};

    const NKEY: &str = "UB43KVROR7TFJ6KAPCYRF2FJROTZAH4FHLTJLPWX4DRZCC5NASLGJBFE";

    fn auth(json: &str) -> Result<AuthConfig, ConfigError> {
        deserialize("authorization", json_value(json))
    }

    fn perms(json: &str) -> Result<Permissions, ConfigError> {
        deserialize("permissions", json_value(json))
    }

    fn sp(allow: &[&str], deny: &[&str]) -> SubjectPermission {
        SubjectPermission {
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn subject_permission_forms() {
        let p = perms(r#"{"publish": "a.>", "subscribe": ["b", "c q"]}"#).unwrap();
        assert_eq!(p.publish, Some(sp(&["a.>"], &[])));
        assert_eq!(p.subscribe, Some(sp(&["b", "c q"], &[])));
        let p = perms(r#"{"publish": {"allow": "a", "deny": ["x", "y"]}}"#).unwrap();
        assert_eq!(p.publish, Some(sp(&["a"], &["x", "y"])));
        let p = perms(r#"{"subscribe": {"deny": "x"}, "publish": null}"#).unwrap();
        assert_eq!(p.subscribe, Some(sp(&[], &["x"])));
        assert_eq!(p.publish, None);
    }

    #[test]
    fn allow_responses_forms() {
        let d = ResponsePermission::default();
        assert_eq!(
            perms(r#"{"allow_responses": true}"#)
                .unwrap()
                .allow_responses,
            Some(d)
        );
        assert_eq!(
            perms(r#"{"allow_responses": false}"#)
                .unwrap()
                .allow_responses,
            None
        );
        let r = perms(r#"{"allow_responses": {"max": 5, "expires": 1.5}}"#)
            .unwrap()
            .allow_responses
            .unwrap();
        assert_eq!((r.max, r.expires), (5, Duration::from_millis(1500)));
        // nats-server's meanings: 0 = the default, negative = no limit.
        let r = perms(r#"{"allow_responses": {"max": 0, "expires": 0}}"#)
            .unwrap()
            .allow_responses;
        assert_eq!(r, Some(d));
        let r = perms(r#"{"allow_responses": {"max": -1, "expires": -1}}"#)
            .unwrap()
            .allow_responses
            .unwrap();
        assert_eq!((r.max, r.expires), (0, Duration::ZERO));
        let r = perms(r#"{"allow_responses": {}}"#).unwrap().allow_responses;
        assert_eq!(r, Some(d));
    }

    #[test]
    fn unknown_keys_name_their_path() {
        let e = auth(r#"{"userz": []}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"authorization: unknown key "userz""#);
        let e =
            auth(r#"{"users": [{"user": "a", "password": "b", "permissions": {"publsh": "x"}}]}"#)
                .unwrap_err();
        assert_eq!(
            e,
            ConfigError::UnknownKey {
                path: "authorization.users[0].permissions".into(),
                key: "publsh".into()
            }
        );
        let e = auth(r#"{"users": [{"user": "a", "pasword": "b"}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"authorization.users[0]: unknown key "pasword""#
        );
        let e = auth(r#"{"default_permissions": {"publsh": "x"}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"authorization.default_permissions: unknown key "publsh""#
        );
        let e = perms(r#"{"allow_responses": {"max": 1, "expire": 2}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"permissions.allow_responses: unknown key "expire""#
        );
        let e = perms(r#"{"publish": {"allow": "a", "dney": "b"}}"#).unwrap_err();
        assert_eq!(e.to_string(), r#"permissions.publish: unknown key "dney""#);
    }

    #[test]
    fn wrong_types_name_their_path() {
        let e = perms(r#"{"publish": 5}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("permissions.publish: invalid type: integer `5`"),
            "{e}"
        );
        let e = perms(r#"{"subscribe": ["a", 1]}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("permissions.subscribe[1]: invalid type"),
            "{e}"
        );
        let e = perms(r#"{"allow_responses": 5}"#).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("expected true, false or {max, expires}"),
            "{e}"
        );
        let e = auth(r#"{"timeout": -1}"#).unwrap_err();
        assert!(e.to_string().starts_with("authorization.timeout: "), "{e}");
    }

    #[test]
    fn users_connection_types() {
        let c = auth(&format!(
            r#"{{"users": [{{"user": "a", "password": "b", "allowed_connection_types": ["WEBSOCKET", "standard"]}},
                          {{"nkey": "{NKEY}", "allowed_connection_types": ["LEAFNODE"]}},
                          {{"user": "c", "password": "d"}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            c.users[0].allowed_connection_types,
            ["WEBSOCKET", "standard"]
        );
        assert_eq!(c.nkeys[0].allowed_connection_types, ["LEAFNODE"]);
        assert!(c.users[1].allowed_connection_types.is_empty());
        // Written back only where set, and read back the same.
        let json = serde_json::to_value(&c).unwrap();
        assert!(json["users"][1].get("allowed_connection_types").is_none());
        assert_eq!(
            json["users"][2]["allowed_connection_types"],
            serde_json::json!(["LEAFNODE"])
        );
        let back: AuthConfig = deserialize("authorization", json).unwrap();
        assert_eq!(back, c);
        // A name or a list of names (as nats-server's parseStringArray), under its one name.
        let c = auth(
            r#"{"users": [{"user": "a", "password": "b", "allowed_connection_types": "STANDARD"}]}"#,
        )
        .unwrap();
        assert_eq!(c.users[0].allowed_connection_types, ["STANDARD"]);
        let e =
            auth(r#"{"users": [{"user": "a", "password": "b", "allowed_connection_types": [1]}]}"#)
                .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("authorization.users[0].allowed_connection_types[0]: invalid type"),
            "{e}"
        );
        let e = auth(
            r#"{"users": [{"user": "a", "password": "b", "connection_types": ["STANDARD"]}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"authorization.users[0]: unknown key "connection_types""#
        );
    }

    #[test]
    fn users_entries() {
        let c = auth(&format!(
            r#"{{"users": [{{"user": "a", "pass": "b"}}, {{"nkey": "{NKEY}", "permissions": {{"publish": "x"}}}}],
                "timeout": 0}}"#
        ))
        .unwrap();
        assert_eq!(c.users.len(), 1);
        assert_eq!(
            (c.users[0].user.as_str(), c.users[0].password.as_str()),
            ("a", "b")
        );
        assert_eq!(c.nkeys.len(), 1);
        assert_eq!(c.nkeys[0].nkey, NKEY);
        assert!(c.nkeys[0].permissions.is_some());
        assert_eq!(c.timeout, DEFAULT_AUTH_TIMEOUT);
        let e = auth(&format!(
            r#"{{"users": [{{"nkey": "{NKEY}", "user": "a"}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "authorization.users[0]: Nkey users do not take usernames or passwords"
        );
        let c = auth(r#"{"users": null, "token": "t", "timeout": 1.5}"#).unwrap();
        assert_eq!(c.token.as_deref(), Some("t"));
        assert_eq!(c.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn serialized_forms_read_back_the_same() {
        let c = auth(&format!(
            r#"{{"users": [{{"user": "a", "password": "b", "permissions": {{"publish": {{"deny": "x"}},
                 "allow_responses": {{"max": -1, "expires": 3}}}}}}, {{"nkey": "{NKEY}"}}],
                "default_permissions": {{"subscribe": "s", "allow_responses": true}}}}"#
        ))
        .unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(auth(&json).unwrap(), c, "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["users"][0]["permissions"]["allow_responses"]["max"], -1);
        assert_eq!(v["users"][1]["nkey"], NKEY);
        assert_eq!(v["timeout"], 2.0);
        assert_eq!(v["token"], serde_json::Value::Null);
        assert_eq!(
            v["default_permissions"]["allow_responses"],
            serde_json::json!({"max": 1, "expires": 120.0})
        );
    }
}
