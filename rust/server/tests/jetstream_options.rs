//! The `jetstream` option in the engine alone: JetStream is started by a starter the
//! embedder plugs in (`Hooks::jetstream`, the bindings use fastnats-jetstream's); an engine
//! without one refuses a config with `jetstream` (nothing may advertise what nobody serves),
//! and a reload can not turn it on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use fastnats_server::config::JetStreamConfig;
use fastnats_server::{Config, ConfigError, Engine, StartError};

fn with_jetstream() -> Config {
    Config {
        jetstream: Some(JetStreamConfig::default()),
        ..config()
    }
}

#[tokio::test(start_paused = true)]
async fn start_is_refused_without_a_jetstream_starter() {
    let compiled = with_jetstream().compile().expect("the options are valid");
    let refused = Engine::start_compiled(compiled, Default::default()).await;
    match refused {
        Err(StartError::Config(ConfigError::JetStreamUnavailable)) => {}
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("started with JetStream"),
    }
}

#[tokio::test(start_paused = true)]
async fn reload_can_not_turn_jetstream_on() {
    let engine = start_default().await;
    let refused = engine.reload(with_jetstream()).unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("config reload not supported for JetStream: old=disabled, new=enabled"),
        "{refused}"
    );
    assert_eq!(engine.shared().config().jetstream, None);
    let c = Client::new(&engine).await;
    assert!(c.info.get("jetstream").is_none());
    engine.shutdown().await;
}
