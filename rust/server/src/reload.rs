//! Applying a new configuration to a running server (SIGHUP, `--signal reload`).
//!
//! As in nats-server, options are either reloadable — limits, keep-alive, write deadline:
//! connections pick the new values up at their next read, new connections get them from the
//! start — or not (what was bound or built at start: host, port, name, threads, header
//! support, the sublist cache). A change to one of the latter refuses the whole reload with
//! nats-server's message, and the old configuration stays.

use fastnats_proto::error::PermissionViolation;
use fastnats_proto::{encode, CloseReason, ProtoError};

use crate::auth::{AuthOutcome, AuthRequest, ConnectionType};
use crate::operator::JwtDecision;
use crate::subscription::{self, SubRef};

use crate::config::{Config, ConfigError};
use crate::log::Level;
use crate::log_at;
use crate::outbound::CloseMode;
use crate::shared::Shared;

/// Checks that only reloadable options changed, then applies them. `new` is compiled here,
/// once: its authorizer and TLS acceptor are the ones installed.
pub fn apply(shared: &Shared, new: Config) -> Result<(), ConfigError> {
    let new = new.compile()?;
    let old = shared.config();
    refuse_fixed(&old, &new.config)?;
    let max_connections = new.config.max_connections;
    let auth_changed = old.auth != new.config.auth
        || old.resolver != new.config.resolver
        || old.resolver_preload != new.config.resolver_preload;
    shared.set_config(new);
    if auth_changed {
        recheck(shared);
        shared.bump_config_gen();
    }
    if max_connections < old.max_connections {
        close_excess(shared, max_connections);
    }
    Ok(())
}

fn refuse_fixed(old: &Config, new: &Config) -> Result<(), ConfigError> {
    fn check<T: PartialEq + std::fmt::Debug>(
        name: &'static str,
        old: &T,
        new: &T,
    ) -> Result<(), ConfigError> {
        if old == new {
            Ok(())
        } else {
            Err(ConfigError::NotReloadable {
                name,
                old: format!("{old:?}"),
                new: format!("{new:?}"),
            })
        }
    }
    // Operator mode (nats-server's reload rules): the trusted operators and keys and the
    // system account are fixed; a resolver may change, not come or go.
    check("TrustedOperators", &old.operator, &new.operator)?;
    check("TrustedKeys", &old.trusted_keys, &new.trusted_keys)?;
    if old.resolver.is_some() != new.resolver.is_some() {
        return Err(ConfigError::Operator(
            "config reload does not support moving to or from an account resolver".to_string(),
        ));
    }
    if !old.operator.is_empty() || !old.trusted_keys.is_empty() {
        check("SystemAccount", &old.system_account, &new.system_account)?;
    }
    // JetStream is started with the server; turning it on or off, or changing its settings,
    // waits for a restart (nats-server reloads some of them: the engine will decide which).
    if old.jetstream != new.jetstream {
        return Err(ConfigError::NotReloadable {
            name: "JetStream",
            old: jetstream_state(old),
            new: jetstream_state(new),
        });
    }
    // Which accounts JetStream serves, and their limits, is decided at start too.
    if old.jetstream.is_some() && jetstream_accounts(old) != jetstream_accounts(new) {
        let names = |c: &Config| {
            let list: Vec<String> = jetstream_accounts(c).into_keys().collect();
            format!("[{}]", list.join(" "))
        };
        return Err(ConfigError::NotReloadable {
            name: "JetStream accounts",
            old: names(old),
            new: names(new),
        });
    }
    // The cluster is joined at start: its settings wait for a restart (nats-server reloads
    // some of them, such as the route list and the authorization).
    if old.cluster != new.cluster {
        return Err(ConfigError::NotReloadable {
            name: "Cluster",
            old: redacted(old),
            new: redacted(new),
        });
    }
    if old.leafnodes != new.leafnodes {
        let describe = |c: &Config| match &c.leafnodes {
            None => "None".to_string(),
            Some(l) => format!(
                "listen {:?}:{:?}, {} remotes",
                l.host,
                l.port,
                l.remotes.len()
            ),
        };
        return Err(ConfigError::NotReloadable {
            name: "LeafNode",
            old: describe(old),
            new: describe(new),
        });
    }
    // nats-server does not reload the websocket block either.
    if old.websocket != new.websocket {
        let describe = |c: &Config| match &c.websocket {
            None => "None".to_string(),
            Some(w) => {
                let mut w = w.clone();
                if let Some(a) = &mut w.authorization {
                    for secret in [&mut a.password, &mut a.token] {
                        if secret.is_some() {
                            *secret = Some("[REDACTED]".into());
                        }
                    }
                }
                format!("{w:?}")
            }
        };
        return Err(ConfigError::NotReloadable {
            name: "Websocket",
            old: describe(old),
            new: describe(new),
        });
    }
    check("Host", &old.host, &new.host)?;
    check("Port", &old.port, &new.port)?;
    check("ServerName", &old.server_name, &new.server_name)?;
    check("WorkerThreads", &old.worker_threads, &new.worker_threads)?;
    check(
        "NoHeaderSupport",
        &old.no_header_support,
        &new.no_header_support,
    )?;
    check("AllowNonTLS", &old.allow_non_tls, &new.allow_non_tls)?;
    let maps = |c: &Config| c.tls.as_ref().is_some_and(|t| t.verify_and_map);
    check("TLSMap", &maps(old), &maps(new))?;
    check(
        "NoSublistCache",
        &old.disable_sublist_cache,
        &new.disable_sublist_cache,
    )?;
    check(
        "SystemAccount",
        &old.system_account_name(),
        &new.system_account_name(),
    )
}

/// The cluster settings for a log line, without the route password or URL credentials.
fn redacted(config: &Config) -> String {
    let Some(c) = &config.cluster else {
        return "None".to_string();
    };
    let mut c = c.clone();
    if let Some(a) = c.authorization.as_mut() {
        a.password = "[REDACTED]".to_string();
    }
    for r in &mut c.routes {
        if let Ok(u) = crate::route::url::RouteUrl::parse(r) {
            *r = u.host_port;
        }
    }
    format!("{c:?}")
}

/// The accounts JetStream serves with `config` and their limits (as the JetStream crate's
/// starter picks them outside operator mode): `$G` alone without other accounts, else the
/// accounts whose config enables it.
fn jetstream_accounts(
    config: &Config,
) -> std::collections::BTreeMap<String, Option<crate::account::AccountJetStream>> {
    let system = config.system_account_name();
    let others = config
        .accounts
        .keys()
        .any(|n| n != crate::account::GLOBAL_ACCOUNT && Some(n.as_str()) != system);
    if !others {
        return [(crate::account::GLOBAL_ACCOUNT.to_string(), None)].into();
    }
    config
        .accounts
        .iter()
        .filter(|(_, a)| a.jetstream.is_some())
        .map(|(n, a)| (n.clone(), a.jetstream))
        .collect()
}

/// How a refused JetStream reload shows each side.
fn jetstream_state(config: &Config) -> String {
    match &config.jetstream {
        None => "disabled".to_string(),
        Some(js) => format!("enabled in {}", js.store_dir.display()),
    }
}

/// Lowering max_connections closes random excess clients, as nats-server does.
fn close_excess(shared: &Shared, max: usize) {
    let clients = shared.client_list();
    if clients.len() <= max {
        return;
    }
    let excess = clients.len() - max;
    let mut err = Vec::new();
    encode::write_err(&mut err, ProtoError::MaxConnectionsExceeded);
    // The map's iteration order is arbitrary, which is as random as nats-server's pick.
    for c in clients.iter().take(excess) {
        c.queue(&err);
        c.close(CloseReason::MaxConnectionsExceeded, CloseMode::Flush);
    }
    log_at!(
        Level::Info,
        "Closed {excess} connections to fall under max_connections of {max}"
    );
}

/// nats-server re-checks connected clients when authorization changes: a client whose
/// credentials no longer pass gets `Authorization Violation` and is closed; a client that
/// stays gets its new permissions, and each subscription they no longer allow is removed
/// with `Permissions Violation for Subscription to "<subject>" (sid "<sid>")`. Runs on the
/// reloading (non-runtime) thread, where bcrypt and Python hooks may take their time.
fn recheck(shared: &Shared) {
    let custom = shared.hooks.authenticator.clone();
    for c in shared.client_list() {
        let authorizer = shared.authorizer_for(c.websocket);
        let Some((connect, nonce)) = c.credentials.lock().clone() else {
            continue; // not authenticated yet: its CONNECT meets the new config
        };
        let subject = c.tls_subject();
        let cert = c.tls_cert();
        let req = AuthRequest::new(
            &connect,
            nonce.as_deref(),
            c.addr,
            subject.as_deref(),
            ConnectionType::client(c.websocket),
        )
        .with_cert(cert.as_deref());
        let outcome = match (&custom, authorizer.operator()) {
            // Operator mode: the user JWT again, against the account JWTs now loaded.
            (None, Some(op)) => {
                match op.authenticate(&connect, nonce.as_deref(), c.addr.ip(), c.websocket) {
                    JwtDecision::Allowed(grant) => AuthOutcome::Allowed(grant.identity),
                    JwtDecision::Denied { .. } => AuthOutcome::Denied,
                }
            }
            _ => authorizer.authenticate_with(custom.as_deref(), &req),
        };
        match outcome {
            AuthOutcome::Denied => {
                let mut err = Vec::new();
                encode::write_err(&mut err, ProtoError::AuthorizationViolation);
                c.queue(&err);
                c.close(CloseReason::AuthenticationViolation, CloseMode::Flush);
            }
            AuthOutcome::Allowed(id) => {
                c.set_permissions(id.permissions.clone());
                let Some(perms) = id.permissions else {
                    continue;
                };
                let subs: Vec<SubRef> = c.subs.lock().values().cloned().collect();
                let mut errs = Vec::new();
                for s in subs {
                    if !perms.can_subscribe(s.subject(), s.queue()) {
                        PermissionViolation::SubscriptionRevoked(s.subject(), s.queue(), s.sid())
                            .write_err(&mut errs);
                        subscription::remove(&s);
                    } else {
                        c.filter_deliveries_for(&perms, s.subject());
                    }
                }
                if !errs.is_empty() {
                    c.queue(&errs);
                    c.flush();
                }
            }
        }
    }
}
