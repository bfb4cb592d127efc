//! CONNECT decoding and merge semantics (reference §1.4), the INFO document's keys and
//! omitempty rules (§1.3, nats-server's `Info` struct), and header blocks (§1.11).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use fastnats_proto::headers::{self, HeaderError, Status};
use fastnats_proto::{ConnectInfo, ConnectOptions, ServerInfo};
use proptest::prelude::*;

fn opts(json: &str) -> ConnectOptions {
    ConnectOptions::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn merged(docs: &[&str]) -> ConnectInfo {
    let mut c = ConnectInfo::default();
    for d in docs {
        c.apply(opts(d));
    }
    c
}

#[test]
fn defaults_before_any_connect() {
    let c = ConnectInfo::default();
    assert!(c.verbose && c.pedantic && c.echo);
    assert!(!c.headers && !c.no_responders && !c.tls_required && !c.legacy_account);
    assert_eq!(c.protocol, 0);
    assert_eq!((c.user.as_deref(), c.auth_token.as_deref()), (None, None));
}

#[test]
fn what_nats_go_sends() {
    let c = merged(&[
        r#"{"verbose":false,"pedantic":false,"tls_required":false,"name":"svc","lang":"go","version":"1.41.1","protocol":1,"echo":true,"headers":true,"no_responders":true,"user":"u","pass":"p"}"#,
    ]);
    assert!(!c.verbose && !c.pedantic && c.echo && c.headers && c.no_responders);
    assert_eq!(
        (c.name.as_str(), c.lang.as_str(), c.version.as_str()),
        ("svc", "go", "1.41.1")
    );
    assert_eq!(c.protocol, 1);
    assert_eq!(
        (c.user.as_deref(), c.pass.as_deref()),
        (Some("u"), Some("p"))
    );
    assert!(!c.legacy_account);
}

#[test]
fn every_key_decodes() {
    let o = opts(
        r#"{"verbose":true,"pedantic":false,"echo":false,"tls_required":true,"auth_token":"t","user":"u","pass":"p","nkey":"UAB","sig":"c2ln","jwt":"e30","name":"n","lang":"rust","version":"0.1","protocol":1,"headers":true,"no_responders":false,"account":"A","new_account":true}"#,
    );
    assert_eq!(
        o,
        ConnectOptions {
            verbose: Some(true),
            pedantic: Some(false),
            echo: Some(false),
            tls_required: Some(true),
            auth_token: Some("t".into()),
            user: Some("u".into()),
            pass: Some("p".into()),
            nkey: Some("UAB".into()),
            sig: Some("c2ln".into()),
            jwt: Some("e30".into()),
            name: Some("n".into()),
            lang: Some("rust".into()),
            version: Some("0.1".into()),
            protocol: Some(1),
            headers: Some(true),
            no_responders: Some(false),
            account: Some("A".into()),
            new_account: Some(true),
        }
    );
}

#[test]
fn merge_keeps_absent_and_null_keys() {
    let c = merged(&[
        r#"{"verbose":false,"user":"a","pass":"x","headers":true,"name":"first"}"#,
        // A second CONNECT (re-authentication): absent keys keep the first document's values.
        r#"{"pass":"y"}"#,
        // null changes nothing.
        r#"{"verbose":null,"user":null,"name":null,"protocol":null}"#,
    ]);
    assert!(!c.verbose && c.pedantic && c.echo && c.headers);
    assert_eq!(
        (c.user.as_deref(), c.pass.as_deref()),
        (Some("a"), Some("y"))
    );
    assert_eq!(c.name, "first");
    assert_eq!(c.protocol, 0);
    // `CONNECT {}` and `CONNECT null` change nothing either.
    let mut d = c.clone();
    d.apply(opts("{}"));
    d.apply(opts("null"));
    d.apply(opts(" { } "));
    assert_eq!(d, c);
    // Present keys win, including back to the defaults.
    let c = merged(&[r#"{"verbose":false}"#, r#"{"verbose":true,"echo":false}"#]);
    assert!(c.verbose && !c.echo);
}

#[test]
fn keys_fold_case_like_go() {
    let c = merged(&[r#"{"Verbose":false,"PEDANTIC":false,"No_Responders":true,"Headers":true}"#]);
    assert!(!c.verbose && !c.pedantic && c.no_responders && c.headers);
    // U+212A KELVIN SIGN folds to 'k', U+017F LATIN SMALL LETTER LONG S to 's' (Go's
    // bytes.EqualFold); escapes in keys are decoded before matching.
    let o = opts("{\"n\u{212A}ey\":\"UX\",\"u\u{17F}er\":\"me\",\"\\u0065cho\":false}");
    assert_eq!(o.nkey.as_deref(), Some("UX"));
    assert_eq!(o.user.as_deref(), Some("me"));
    assert_eq!(o.echo, Some(false));
    // Not a fold: different letters, extra characters.
    let o = opts(r#"{"verbose_":false,"verbos":false,"ve rbose":false}"#);
    assert_eq!(o.verbose, None);
}

#[test]
fn repeated_keys_last_non_null_wins() {
    let o = opts(r#"{"verbose":true,"verbose":false}"#);
    assert_eq!(o.verbose, Some(false));
    let o = opts(r#"{"verbose":false,"VERBOSE":true}"#);
    assert_eq!(o.verbose, Some(true));
    let o = opts(r#"{"name":"a","name":null}"#);
    assert_eq!(o.name.as_deref(), Some("a"));
}

#[test]
fn unknown_keys_are_ignored() {
    let o = opts(
        r#"{"verbose":false,"x":1,"nested":{"a":[1,2,{"b":null}]},"list":[true],"proxy_sig":"s","tls_required":false}"#,
    );
    assert_eq!(o.verbose, Some(false));
    assert_eq!(o.tls_required, Some(false));
}

#[test]
fn malformed_documents_fail() {
    for bad in [
        "",
        " ",
        "{",
        "}",
        "{} x",
        "{}{}",
        "[]",
        "5",
        "true",
        r#""s""#,
        "{'verbose':false}",
        r#"{"verbose":false,}"#,
        r#"{"verbose"}"#,
        // Known keys with the wrong JSON type.
        r#"{"verbose":"yes"}"#,
        r#"{"verbose":1}"#,
        r#"{"protocol":1.5}"#,
        r#"{"protocol":"1"}"#,
        r#"{"protocol":1e400}"#,
        r#"{"protocol":99999999999999999999}"#,
        r#"{"name":5}"#,
        r#"{"user":["u"]}"#,
        r#"{"account":5}"#,
        r#"{"new_account":"yes"}"#,
        // A raw control character inside a string.
        "{\"name\":\"a\u{1}b\"}",
    ] {
        assert!(
            ConnectOptions::from_json(bad.as_bytes()).is_err(),
            "{bad:?}"
        );
    }
    // Bytes that are not UTF-8 outside a string are still a syntax error.
    assert!(ConnectOptions::from_json(b"{\xff}").is_err());
}

#[test]
fn invalid_utf8_in_strings_is_replaced_like_go() {
    let o = ConnectOptions::from_json(b"{\"name\":\"caf\xe9\",\"verbose\":false}").unwrap();
    assert_eq!(o.name.as_deref(), Some("caf\u{fffd}"));
    assert_eq!(o.verbose, Some(false));
}

#[test]
fn legacy_account_keys_only_count_when_set() {
    for (doc, legacy) in [
        (r#"{}"#, false),
        (r#"{"account":""}"#, false),
        (r#"{"new_account":false}"#, false),
        (r#"{"account":null,"new_account":null}"#, false),
        (r#"{"account":"ACC"}"#, true),
        (r#"{"new_account":true}"#, true),
        (r#"{"account":"","new_account":true}"#, true),
    ] {
        assert_eq!(merged(&[doc]).legacy_account, legacy, "{doc}");
    }
    // Once refused, always refused (the server closes on the first one anyway).
    assert!(merged(&[r#"{"account":"A"}"#, r#"{"account":""}"#]).legacy_account);
}

#[test]
fn protocol_is_recorded_for_the_server_to_check() {
    assert_eq!(merged(&[r#"{"protocol":2}"#]).protocol, 2);
    assert_eq!(merged(&[r#"{"protocol":-1}"#]).protocol, -1);
    assert_eq!(merged(&[r#"{"protocol":1}"#, "{}"]).protocol, 1);
}

// ---- INFO ----

fn full_info() -> ServerInfo {
    ServerInfo {
        server_id: "NID".into(),
        server_name: "srv".into(),
        version: "2.10.0".into(),
        proto: 1,
        git_commit: "abc".into(),
        go: "rustc".into(),
        host: "0.0.0.0".into(),
        port: 4222,
        headers: true,
        auth_required: true,
        tls_required: true,
        tls_verify: true,
        tls_available: true,
        max_payload: 1048576,
        jetstream: true,
        client_id: 7,
        client_ip: "127.0.0.1".into(),
        nonce: "n0nce".into(),
        domain: "hub".into(),
        connect_urls: vec!["10.0.0.1:4222".into()],
        ldm: true,
        fastnats: "0.1.0".into(),
    }
}

/// The keys of the INFO JSON in the order they are written.
fn keys(info: &ServerInfo) -> Vec<String> {
    let j = info.to_json();
    let m: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&j).unwrap();
    let mut ks: Vec<(usize, String)> = m
        .keys()
        .map(|k| (j.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    ks.sort();
    ks.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn info_keys_in_nats_server_order() {
    assert_eq!(
        keys(&full_info()),
        [
            "server_id",
            "server_name",
            "version",
            "proto",
            "git_commit",
            "go",
            "host",
            "port",
            "headers",
            "auth_required",
            "tls_required",
            "tls_verify",
            "tls_available",
            "max_payload",
            "jetstream",
            "client_id",
            "client_ip",
            "nonce",
            "domain",
            "connect_urls",
            "ldm",
            "fastnats",
        ]
    );
}

#[test]
fn info_omitempty() {
    // Always present, even when zero/empty/false (clients read them unconditionally).
    assert_eq!(
        keys(&ServerInfo::default()),
        [
            "server_id",
            "server_name",
            "version",
            "proto",
            "go",
            "host",
            "port",
            "headers",
            "max_payload",
        ]
    );
    let v: serde_json::Value = serde_json::from_str(&ServerInfo::default().to_json()).unwrap();
    assert_eq!(v["headers"], false);
    assert_eq!(v["port"], 0);
    assert_eq!(v["max_payload"], 0);
    assert_eq!(v["server_name"], "");
}

#[test]
fn info_value_types() {
    let v: serde_json::Value = serde_json::from_str(&full_info().to_json()).unwrap();
    assert_eq!(v["port"], 4222);
    assert_eq!(v["proto"], 1);
    assert_eq!(v["max_payload"], 1048576);
    assert_eq!(v["client_id"], 7);
    assert_eq!(v["headers"], true);
    assert_eq!(v["ldm"], true);
    assert_eq!(v["connect_urls"], serde_json::json!(["10.0.0.1:4222"]));
    // Strings are JSON-escaped, and the document is one line.
    let mut i = full_info();
    i.server_name = "a\"b\nc".into();
    let j = i.to_json();
    assert!(!j.contains('\n'));
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(v["server_name"], "a\"b\nc");
}

// ---- headers ----

#[test]
fn header_blocks() {
    let st = |code, description: &'static [u8]| Ok(Some(Status { code, description }));
    type Row = (&'static [u8], Result<Option<Status<'static>>, HeaderError>);
    let rows: &[Row] = &[
        (b"NATS/1.0\r\n\r\n", Ok(None)),
        (b"NATS/1.0\r\nBar: Baz\r\n\r\n", Ok(None)),
        (b"NATS/1.0\r\nA: 1\r\nA: 2\r\nb:\r\n\r\n", Ok(None)),
        (b"NATS/1.0 503\r\n\r\n", st(503, b"")),
        (b"NATS/1.0 404 No Messages\r\n\r\n", st(404, b"No Messages")),
        (
            b"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n",
            st(408, b"Request Timeout"),
        ),
        (
            b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 1\r\n\r\n",
            st(100, b"Idle Heartbeat"),
        ),
        (b"NATS/1.0 503\r\nNats-Subject: svc\r\n\r\n", st(503, b"")),
        (b"", Err(HeaderError::BadVersion)),
        (b"NATS/1.1\r\n\r\n", Err(HeaderError::BadVersion)),
        (b"nats/1.0\r\n\r\n", Err(HeaderError::BadVersion)),
        (b"HTTP/1.1 200 OK\r\n\r\n", Err(HeaderError::BadVersion)),
        (b"NATS/1.0X\r\n\r\n", Err(HeaderError::BadVersion)),
        (b"NATS/1.01\r\n\r\n", Err(HeaderError::BadVersion)),
        (b"NATS/1.0", Err(HeaderError::Unterminated)),
        (b"NATS/1.0\r\n", Err(HeaderError::Unterminated)),
        (b"NATS/1.0\r\nA: b\r\n", Err(HeaderError::Unterminated)),
        (b"NATS/1.0 503\r\n", Err(HeaderError::Unterminated)),
        (b"NATS/1.0 \r\n\r\n", Err(HeaderError::BadStatus)),
        (b"NATS/1.0 50\r\n\r\n", Err(HeaderError::BadStatus)),
        (b"NATS/1.0 5030\r\n\r\n", Err(HeaderError::BadStatus)),
        (b"NATS/1.0 abc\r\n\r\n", Err(HeaderError::BadStatus)),
        (b"NATS/1.0 -12\r\n\r\n", Err(HeaderError::BadStatus)),
    ];
    for (block, want) in rows {
        assert_eq!(
            &headers::validate(block),
            want,
            "{:?}",
            String::from_utf8_lossy(block)
        );
    }
}

#[test]
fn no_responders_block() {
    for subject in [&b"a"[..], b"svc.echo", b"x.y.z.0123456789"] {
        let mut out = b"keep".to_vec();
        headers::write_no_responders(&mut out, subject);
        let block = &out[4..];
        assert_eq!(block.len(), 32 + subject.len());
        assert_eq!(headers::no_responders_len(subject), block.len());
        assert_eq!(
            headers::validate(block),
            Ok(Some(Status {
                code: 503,
                description: b""
            }))
        );
        assert!(block.ends_with(b"\r\n\r\n"));
    }
}

proptest! {
    #[test]
    fn validate_never_panics(block in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = headers::validate(&block);
        let mut b = b"NATS/1.0".to_vec();
        b.extend_from_slice(&block);
        let _ = headers::validate(&b);
    }

    #[test]
    fn generated_blocks_validate(
        status in prop::option::of((100u16..1000, prop::option::of("[A-Za-z][A-Za-z ]{0,15}"))),
        fields in prop::collection::vec(("[A-Za-z-]{1,10}", "[ -~]{0,12}"), 0..4),
    ) {
        let mut b = b"NATS/1.0".to_vec();
        if let Some((code, desc)) = &status {
            b.extend_from_slice(format!(" {code}").as_bytes());
            if let Some(d) = desc {
                b.extend_from_slice(format!(" {d}").as_bytes());
            }
        }
        b.extend_from_slice(b"\r\n");
        for (k, v) in &fields {
            b.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        let got = headers::validate(&b);
        match &status {
            None => prop_assert_eq!(got, Ok(None)),
            Some((code, desc)) => {
                let d = desc.as_deref().unwrap_or("");
                prop_assert_eq!(got, Ok(Some(Status { code: *code, description: d.as_bytes() })));
            }
        }
    }
}
