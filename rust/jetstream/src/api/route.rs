//! Which endpoint a `$JS.API.>` subject names, and which tokens are its stream, consumer and
//! filter: the subjects nats-server 2.10 subscribes its API handlers on (`jetstream_api.go`),
//! matched as its sublist matches them (`*` is one non-empty token, `>` one or more).
//!
//! A subject that names no endpoint gets no reply at all from nats-server (the requester
//! times out): [`parse_api_subject`] returns `None` for it. DIRECT.GET and CONSUMER.MSG.NEXT
//! are not answered by the API dispatcher but by the stream's and the consumer's own
//! subscriptions, so a stream without `allow_direct` or a missing consumer means no
//! responders.

/// The `$JS.API` endpoints, with the names their subjects carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiRoute<'a> {
    /// `$JS.API.INFO`
    AccountInfo,
    /// `$JS.API.STREAM.CREATE.<stream>`
    StreamCreate {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.STREAM.UPDATE.<stream>`
    StreamUpdate {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.STREAM.NAMES`
    StreamNames,
    /// `$JS.API.STREAM.LIST`
    StreamList,
    /// `$JS.API.STREAM.INFO.<stream>`
    StreamInfo {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.STREAM.DELETE.<stream>`
    StreamDelete {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.STREAM.PURGE.<stream>`
    StreamPurge {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.STREAM.MSG.GET.<stream>`
    StreamMsgGet {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.STREAM.MSG.DELETE.<stream>`
    StreamMsgDelete {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.DIRECT.GET.<stream>` with a JSON body (served by the stream).
    DirectGet {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.DIRECT.GET.<stream>.<subject...>`: the last message on `subject` (served by
    /// the stream).
    DirectGetLastBySubject {
        /// The stream named in the subject.
        stream: &'a str,
        /// The rest of the subject: the message subject asked for.
        subject: &'a str,
    },
    /// `$JS.API.CONSUMER.CREATE.<stream>` (legacy ephemeral) or
    /// `$JS.API.CONSUMER.CREATE.<stream>.<consumer>[.<filter...>]`.
    ConsumerCreate {
        /// The stream named in the subject.
        stream: &'a str,
        /// The consumer's name, in the new forms.
        consumer: Option<&'a str>,
        /// The filter subject, when the subject has tokens after the consumer's name.
        filter: Option<&'a str>,
    },
    /// `$JS.API.CONSUMER.DURABLE.CREATE.<stream>.<durable>`
    ConsumerDurableCreate {
        /// The stream named in the subject.
        stream: &'a str,
        /// The durable name in the subject.
        durable: &'a str,
    },
    /// `$JS.API.CONSUMER.NAMES.<stream>`
    ConsumerNames {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.CONSUMER.LIST.<stream>`
    ConsumerList {
        /// The stream named in the subject.
        stream: &'a str,
    },
    /// `$JS.API.CONSUMER.INFO.<stream>.<consumer>`
    ConsumerInfo {
        /// The stream named in the subject.
        stream: &'a str,
        /// The consumer named in the subject.
        consumer: &'a str,
    },
    /// `$JS.API.CONSUMER.DELETE.<stream>.<consumer>`
    ConsumerDelete {
        /// The stream named in the subject.
        stream: &'a str,
        /// The consumer named in the subject.
        consumer: &'a str,
    },
    /// `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`: a pull request (served by the
    /// consumer).
    ConsumerNext {
        /// The stream named in the subject.
        stream: &'a str,
        /// The consumer named in the subject.
        consumer: &'a str,
    },
    /// An endpoint nats-server serves and fastnats does not (yet): snapshots and restores,
    /// stream templates, cluster and account administration, consumer pause/unpin/reset.
    /// The name is the subject after `$JS.API.` with `*` for each name token, e.g.
    /// `"STREAM.SNAPSHOT.*"`.
    Unsupported(&'static str),
}

/// The endpoint `subject` names, or `None` when it names none (or is not a valid published
/// subject: no empty token).
#[must_use]
pub fn parse_api_subject(subject: &str) -> Option<ApiRoute<'_>> {
    let rest = subject.strip_prefix("$JS.API.")?;
    if rest.is_empty() || rest.split('.').any(str::is_empty) {
        return None;
    }
    let t: Vec<&str> = rest.split('.').collect();
    // The text after the first `n` tokens of `rest` (for the `>` tails).
    let tail = |n: usize| rest.splitn(n + 1, '.').nth(n);
    use ApiRoute as R;
    let route = match t.as_slice() {
        ["INFO"] => R::AccountInfo,
        ["STREAM", "CREATE", s] => R::StreamCreate { stream: s },
        ["STREAM", "UPDATE", s] => R::StreamUpdate { stream: s },
        ["STREAM", "NAMES"] => R::StreamNames,
        ["STREAM", "LIST"] => R::StreamList,
        ["STREAM", "INFO", s] => R::StreamInfo { stream: s },
        ["STREAM", "DELETE", s] => R::StreamDelete { stream: s },
        ["STREAM", "PURGE", s] => R::StreamPurge { stream: s },
        ["STREAM", "MSG", "GET", s] => R::StreamMsgGet { stream: s },
        ["STREAM", "MSG", "DELETE", s] => R::StreamMsgDelete { stream: s },
        ["DIRECT", "GET", s] => R::DirectGet { stream: s },
        ["DIRECT", "GET", s, _, ..] => R::DirectGetLastBySubject {
            stream: s,
            subject: tail(3)?,
        },
        ["CONSUMER", "CREATE", s] => R::ConsumerCreate {
            stream: s,
            consumer: None,
            filter: None,
        },
        ["CONSUMER", "CREATE", s, c] => R::ConsumerCreate {
            stream: s,
            consumer: Some(c),
            filter: None,
        },
        ["CONSUMER", "CREATE", s, c, _, ..] => R::ConsumerCreate {
            stream: s,
            consumer: Some(c),
            filter: tail(4),
        },
        ["CONSUMER", "DURABLE", "CREATE", s, d] => R::ConsumerDurableCreate {
            stream: s,
            durable: d,
        },
        ["CONSUMER", "NAMES", s] => R::ConsumerNames { stream: s },
        ["CONSUMER", "LIST", s] => R::ConsumerList { stream: s },
        ["CONSUMER", "INFO", s, c] => R::ConsumerInfo {
            stream: s,
            consumer: c,
        },
        ["CONSUMER", "DELETE", s, c] => R::ConsumerDelete {
            stream: s,
            consumer: c,
        },
        ["CONSUMER", "MSG", "NEXT", s, c] => R::ConsumerNext {
            stream: s,
            consumer: c,
        },
        _ => R::Unsupported(unsupported(&t)?),
    };
    Some(route)
}

/// The endpoints nats-server has and fastnats does not serve; their subjects are matched
/// too, so that the caller can tell "not served" from "no such endpoint".
fn unsupported(t: &[&str]) -> Option<&'static str> {
    Some(match t {
        ["STREAM", "SNAPSHOT", _] => "STREAM.SNAPSHOT.*",
        ["STREAM", "RESTORE", _] => "STREAM.RESTORE.*",
        ["STREAM", "PEER", "REMOVE", _] => "STREAM.PEER.REMOVE.*",
        ["STREAM", "LEADER", "STEPDOWN", _] => "STREAM.LEADER.STEPDOWN.*",
        ["STREAM", "TEMPLATE", "CREATE", _] => "STREAM.TEMPLATE.CREATE.*",
        ["STREAM", "TEMPLATE", "NAMES"] => "STREAM.TEMPLATE.NAMES",
        ["STREAM", "TEMPLATE", "INFO", _] => "STREAM.TEMPLATE.INFO.*",
        ["STREAM", "TEMPLATE", "DELETE", _] => "STREAM.TEMPLATE.DELETE.*",
        ["CONSUMER", "LEADER", "STEPDOWN", _, _] => "CONSUMER.LEADER.STEPDOWN.*.*",
        ["CONSUMER", "PAUSE", _, _] => "CONSUMER.PAUSE.*.*",
        ["CONSUMER", "UNPIN", _, _] => "CONSUMER.UNPIN.*.*",
        ["CONSUMER", "RESET", _, _] => "CONSUMER.RESET.*.*",
        ["META", "LEADER", "STEPDOWN"] => "META.LEADER.STEPDOWN",
        ["SERVER", "REMOVE"] => "SERVER.REMOVE",
        ["ACCOUNT", "PURGE", _] => "ACCOUNT.PURGE.*",
        ["ACCOUNT", "STREAM", "MOVE", _, _] => "ACCOUNT.STREAM.MOVE.*.*",
        ["ACCOUNT", "STREAM", "CANCEL_MOVE", _, _] => "ACCOUNT.STREAM.CANCEL_MOVE.*.*",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApiRoute as R;

    #[test]
    fn endpoints_and_their_tokens() {
        let cases = [
            ("$JS.API.INFO", R::AccountInfo),
            ("$JS.API.STREAM.CREATE.S", R::StreamCreate { stream: "S" }),
            ("$JS.API.STREAM.UPDATE.S", R::StreamUpdate { stream: "S" }),
            ("$JS.API.STREAM.NAMES", R::StreamNames),
            ("$JS.API.STREAM.LIST", R::StreamList),
            ("$JS.API.STREAM.INFO.S", R::StreamInfo { stream: "S" }),
            ("$JS.API.STREAM.DELETE.S", R::StreamDelete { stream: "S" }),
            ("$JS.API.STREAM.PURGE.S", R::StreamPurge { stream: "S" }),
            ("$JS.API.STREAM.MSG.GET.S", R::StreamMsgGet { stream: "S" }),
            (
                "$JS.API.STREAM.MSG.DELETE.S",
                R::StreamMsgDelete { stream: "S" },
            ),
            ("$JS.API.DIRECT.GET.S", R::DirectGet { stream: "S" }),
            (
                "$JS.API.DIRECT.GET.KV_x.$KV.x.key",
                R::DirectGetLastBySubject {
                    stream: "KV_x",
                    subject: "$KV.x.key",
                },
            ),
            (
                "$JS.API.CONSUMER.CREATE.S",
                R::ConsumerCreate {
                    stream: "S",
                    consumer: None,
                    filter: None,
                },
            ),
            (
                "$JS.API.CONSUMER.CREATE.S.C",
                R::ConsumerCreate {
                    stream: "S",
                    consumer: Some("C"),
                    filter: None,
                },
            ),
            (
                "$JS.API.CONSUMER.CREATE.S.C.orders.*.eu",
                R::ConsumerCreate {
                    stream: "S",
                    consumer: Some("C"),
                    filter: Some("orders.*.eu"),
                },
            ),
            (
                "$JS.API.CONSUMER.DURABLE.CREATE.S.D",
                R::ConsumerDurableCreate {
                    stream: "S",
                    durable: "D",
                },
            ),
            ("$JS.API.CONSUMER.NAMES.S", R::ConsumerNames { stream: "S" }),
            ("$JS.API.CONSUMER.LIST.S", R::ConsumerList { stream: "S" }),
            (
                "$JS.API.CONSUMER.INFO.S.C",
                R::ConsumerInfo {
                    stream: "S",
                    consumer: "C",
                },
            ),
            (
                "$JS.API.CONSUMER.DELETE.S.C",
                R::ConsumerDelete {
                    stream: "S",
                    consumer: "C",
                },
            ),
            (
                "$JS.API.CONSUMER.MSG.NEXT.S.C",
                R::ConsumerNext {
                    stream: "S",
                    consumer: "C",
                },
            ),
            (
                "$JS.API.STREAM.SNAPSHOT.S",
                R::Unsupported("STREAM.SNAPSHOT.*"),
            ),
            (
                "$JS.API.STREAM.TEMPLATE.NAMES",
                R::Unsupported("STREAM.TEMPLATE.NAMES"),
            ),
            // A published `*` is a plain token: the stream is named `*`.
            ("$JS.API.STREAM.CREATE.*", R::StreamCreate { stream: "*" }),
        ];
        for (subject, want) in cases {
            assert_eq!(parse_api_subject(subject), Some(want), "{subject}");
        }
    }

    #[test]
    fn subjects_that_name_no_endpoint() {
        for subject in [
            "$JS.API.FOO",
            "$JS.API.",
            "$JS.API",
            "$JS.APIX.INFO",
            "$JS.API.INFO.x",
            "$JS.API.STREAM.CREATE",
            "$JS.API.STREAM.CREATE.X.Y",
            "$JS.API.STREAM.INFO",
            "$JS.API.CONSUMER.INFO.M",
            "$JS.API.CONSUMER.DURABLE.CREATE.M",
            "$JS.API.CONSUMER.DURABLE.CREATE.M.D.x",
            "$JS.API.STREAM.CREATE..",
            "$JS.API.DIRECT.GET.S.",
            "$JS.API.CONSUMER.MSG.NEXT.S",
        ] {
            assert_eq!(parse_api_subject(subject), None, "{subject}");
        }
    }
}
