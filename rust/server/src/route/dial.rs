//! Making routes: the route listener's accept loop, the dialers of configured routes
//! (retried for ever), and of routes learned through gossip (`connect_retries` times).
//!
//! A dialer whose route is up, or whose peer is reached over another connection (a
//! duplicate: both servers dialled each other, and the route registered first stays, as
//! in nats-server), waits until that route is gone, then dials again within 100 ms and
//! after that every second (or with a doubling delay up to 30 s under
//! `connect_backoff`), as nats-server's `reConnectToRoute`/`connectToRoute` do. A URL that
//! leads back to this server is not dialled again.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::log::Level;
use crate::log_at;
use crate::route::cluster::Cluster;
use crate::route::conn::{serve, Dialled};
use crate::route::info::RouteInfo;
use crate::route::url::RouteUrl;
use crate::shared::Shared;

/// nats-server's delay between dial attempts (`DEFAULT_ROUTE_RECONNECT`).
const RECONNECT: Duration = Duration::from_secs(1);
/// The longest delay with `connect_backoff` (`DEFAULT_ROUTE_RECONNECT_MAX`).
const RECONNECT_MAX: Duration = Duration::from_secs(30);
/// nats-server's dial timeout for routes (`DEFAULT_ROUTE_DIAL`).
const DIAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Accepts route connections until shutdown.
pub async fn accept_loop(shared: Arc<Shared>, cluster: Arc<Cluster>, listener: TcpListener) {
    let serving = shared.clone();
    crate::route::peer::accept_loop(shared, listener, "route", move |stream, addr| {
        serve(serving.clone(), cluster.clone(), stream, addr, None)
    })
    .await;
}

/// Starts a dialer for every configured route.
pub fn solicit_configured(shared: &Arc<Shared>, cluster: &Arc<Cluster>) {
    for text in &cluster.config.routes {
        match RouteUrl::parse(text) {
            Ok(url) => {
                tokio::spawn(dial_loop(shared.clone(), cluster.clone(), url, true));
            }
            // Checked when the config was compiled.
            Err(e) => log_at!(Level::Error, "{e}"),
        }
    }
}

/// News of another server from a peer (gossip): dial it unless it is this server, already
/// a route, or a configured route (whose own dialer reaches it).
pub fn implicit(shared: &Arc<Shared>, cluster: &Arc<Cluster>, info: &RouteInfo) {
    if info.server_id == cluster.server_id || cluster.has(&info.server_id) {
        return;
    }
    let text = if info.ip.is_empty() {
        format!("nats-route://{}:{}/", info.host, info.port)
    } else {
        info.ip.clone()
    };
    let Ok(mut url) = RouteUrl::parse(&text) else {
        log_at!(Level::Error, "Error parsing URL from INFO: {text:?}");
        return;
    };
    if cluster.is_configured(&url.host, url.port) || cluster.is_configured(&info.host, info.port) {
        return;
    }
    if info.auth_required {
        if let Some(auth) = &cluster.config.authorization {
            url.user = Some(auth.user.clone());
            url.password = Some(auth.password.clone());
        }
    }
    tokio::spawn(dial_loop(shared.clone(), cluster.clone(), url, false));
}

/// Dials `url` until shutdown (a configured route) or until `connect_retries` attempts
/// failed (one learned through gossip); see the module doc.
async fn dial_loop(shared: Arc<Shared>, cluster: Arc<Cluster>, url: RouteUrl, configured: bool) {
    if !cluster.claim_dial(&url.host_port) {
        return;
    }
    let mut peer: Option<String> = None;
    let mut failures = 0u32;
    let mut delay = RECONNECT;
    while !shared.is_shutting_down() {
        if let Some(id) = &peer {
            wait_until_gone(&shared, &cluster, id).await;
            if shared.is_shutting_down() {
                break;
            }
        }
        match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&url.host_port)).await {
            Ok(Ok(stream)) => {
                let addr = stream
                    .peer_addr()
                    .unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], url.port)));
                let dialled = Dialled {
                    url: url.clone(),
                    configured,
                };
                let began = std::time::Instant::now();
                let outcome =
                    serve(shared.clone(), cluster.clone(), stream, addr, Some(dialled)).await;
                if outcome.remote_id.as_deref() == Some(cluster.server_id.as_str()) {
                    log_at!(
                        Level::Debug,
                        "Route {} leads to this server: not dialled again",
                        url.host_port
                    );
                    break;
                }
                if outcome.registered && began.elapsed() >= RECONNECT {
                    // A route that was up: dial again soon (a random moment, so two servers
                    // that lost their route to each other do not dial in step), then every
                    // second. One that ended at once (refused credentials) waits like a
                    // failed dial.
                    failures = 0;
                    delay = RECONNECT;
                    peer.clone_from(&outcome.remote_id);
                    let jitter = Duration::from_millis(rand::Rng::gen_range(
                        &mut rand::thread_rng(),
                        10..100,
                    ));
                    tokio::select! {
                        () = tokio::time::sleep(jitter) => {}
                        () = shared.shutting_down() => break,
                    }
                    continue;
                }
                if let Some(id) = outcome.remote_id {
                    if cluster.has(&id) {
                        // A duplicate: the peer is reached over another route.
                        peer = Some(id);
                        failures = 0;
                        continue;
                    }
                }
            }
            Ok(Err(e)) => {
                log_at!(
                    Level::Debug,
                    "Error trying to connect to route (attempt {}): {e}",
                    failures + 1
                );
            }
            Err(_) => {
                log_at!(
                    Level::Debug,
                    "Error trying to connect to route (attempt {}): i/o timeout",
                    failures + 1
                );
            }
        }
        failures += 1;
        if !configured && failures > cluster.config.connect_retries {
            log_at!(
                Level::Debug,
                "Giving up on route {} after {failures} attempts",
                url.host_port
            );
            break;
        }
        // Up to 100 ms of jitter, as nats-server: two servers that refused each other's
        // duplicate do not dial in step again.
        let jitter = Duration::from_millis(rand::Rng::gen_range(&mut rand::thread_rng(), 0..100));
        tokio::select! {
            () = tokio::time::sleep(delay + jitter) => {}
            () = shared.shutting_down() => break,
        }
        if cluster.config.connect_backoff {
            delay = (delay * 2).min(RECONNECT_MAX);
        }
    }
    cluster.release_dial(&url.host_port);
}

/// Resolves once no route to server `id` is registered, or shutdown begins.
async fn wait_until_gone(shared: &Shared, cluster: &Cluster, id: &str) {
    loop {
        let changed = cluster.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if !cluster.has(id) || shared.is_shutting_down() {
            return;
        }
        tokio::select! {
            () = changed => {}
            () = shared.shutting_down() => return,
        }
    }
}
