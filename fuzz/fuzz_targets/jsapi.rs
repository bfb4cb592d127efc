//! Fuzzes the JetStream API layer a request meets before any stream is touched: the subject
//! router and the request bodies' decoders and checks (fastnats-jetstream's `api`). Input:
//! an API subject, a NUL byte, a JSON body. Every result is fine; a panic is the finding.
#![no_main]

use fastnats_jetstream::api::{
    check_consumer_create, check_direct_get, check_msg_delete, check_msg_get, check_purge,
    check_stream_config, decode_request, parse_api_subject, parse_next_request, AccountLimits,
    CreateConsumerRequest, JsLimits, StreamConfig,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (subject, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(subject) = std::str::from_utf8(subject) else {
        return;
    };
    let route = parse_api_subject(subject);
    let _ = check_purge(body);
    let _ = check_msg_get(body);
    let _ = check_msg_delete(body);
    let _ = check_direct_get(body);
    let _ = parse_next_request(body);
    if let Ok(cfg) = decode_request::<StreamConfig>(body) {
        let _ = check_stream_config(&cfg, &JsLimits::default(), &AccountLimits::default());
    }
    if let (Some(route), Ok(mut req)) = (route, decode_request::<CreateConsumerRequest>(body)) {
        let _ = check_consumer_create(route, &mut req);
    }
});
