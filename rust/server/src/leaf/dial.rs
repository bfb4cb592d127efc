//! Making leaf connections: the leaf listener's accept loop, and one dialer per remote,
//! which goes through the remote's URLs (shuffled unless `no_randomize`) and the hub's
//! `leafnode_urls`, waiting `reconnect` between attempts (30 s after a loop was detected,
//! as nats-server).

use std::sync::Arc;
use std::time::Duration;

use rand::seq::SliceRandom;
use tokio::net::{TcpListener, TcpStream};

use crate::leaf::config::RemoteLeaf;
use crate::leaf::conn::{serve, Dialled};
use crate::leaf::nodes::LeafNodes;
use crate::log::Level;
use crate::log_at;
use crate::route::url::RouteUrl;
use crate::shared::Shared;

/// nats-server's wait after a loop was detected (`leafNodeReconnectDelayAfterLoopDetected`).
const LOOP_DELAY: Duration = Duration::from_secs(30);
/// Dial timeout.
const DIAL_TIMEOUT: Duration = Duration::from_secs(2);
/// nats-server's default leaf port, for URLs without one.
pub const DEFAULT_PORT: u16 = 7422;

/// Accepts leaf connections until shutdown.
pub async fn accept_loop(shared: Arc<Shared>, leafs: Arc<LeafNodes>, listener: TcpListener) {
    let serving = shared.clone();
    crate::route::peer::accept_loop(shared, listener, "leafnode", move |stream, addr| {
        serve(serving.clone(), leafs.clone(), stream, addr, None)
    })
    .await;
}

/// Starts a dialer for every remote.
pub fn solicit_remotes(shared: &Arc<Shared>, leafs: &Arc<LeafNodes>) {
    for (i, remote) in leafs.config.remotes.iter().enumerate() {
        let tls = leafs.tls.remotes.get(i).cloned().flatten();
        tokio::spawn(dial_loop(
            shared.clone(),
            leafs.clone(),
            remote.clone(),
            tls,
        ));
    }
}

/// Dials `remote` until shutdown (see the module doc).
async fn dial_loop(
    shared: Arc<Shared>,
    leafs: Arc<LeafNodes>,
    remote: RemoteLeaf,
    tls: Option<(tokio_rustls::TlsConnector, Duration, bool)>,
) {
    let mut urls: Vec<RouteUrl> = remote
        .urls
        .iter()
        .filter_map(|u| RouteUrl::parse_with_port(u, DEFAULT_PORT).ok())
        .collect();
    if !remote.no_randomize {
        urls.shuffle(&mut rand::thread_rng());
    }
    let configured = urls.len();
    let mut next = 0usize;
    while !shared.is_shutting_down() && !urls.is_empty() {
        let url = urls[next % urls.len()].clone();
        next += 1;
        let mut delay = leafs.config.reconnect;
        match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&url.host_port)).await {
            Ok(Ok(stream)) => {
                let addr = stream
                    .peer_addr()
                    .unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], url.port)));
                let dialled = Dialled {
                    remote: remote.clone(),
                    url: url.clone(),
                    tls: tls.clone(),
                };
                let outcome =
                    serve(shared.clone(), leafs.clone(), stream, addr, Some(dialled)).await;
                if outcome.looped {
                    delay = LOOP_DELAY;
                }
                // The hub's cluster: its other servers join the configured URLs (with the
                // configured credentials).
                urls.truncate(configured);
                for hub in outcome.hub_urls {
                    if let Ok(mut u) = RouteUrl::parse_with_port(&hub, DEFAULT_PORT) {
                        if !urls.iter().any(|k| k.host_port == u.host_port) {
                            u.user.clone_from(&url.user);
                            u.password.clone_from(&url.password);
                            urls.push(u);
                        }
                    }
                }
            }
            Ok(Err(e)) => {
                log_at!(
                    Level::Debug,
                    "Error trying to connect as leafnode to remote server {:?}: {e}",
                    url.host_port
                );
            }
            Err(_) => {
                log_at!(
                    Level::Debug,
                    "Error trying to connect as leafnode to remote server {:?}: i/o timeout",
                    url.host_port
                );
            }
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shared.shutting_down() => break,
        }
    }
}
