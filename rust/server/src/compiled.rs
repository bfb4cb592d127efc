//! A configuration checked and built once: what a start or a reload installs.
//!
//! [`Config::compile`] applies every check (limits, nats-server's authorization rules,
//! permission subjects, TLS files) and keeps what the checks built — the [`Authorizer`] with
//! its compiled permissions and the rustls acceptor — so the server uses those very objects
//! instead of building them a second time. Certificates are read once per start and once
//! per reload.

use std::fmt;

use tokio_rustls::TlsAcceptor;

use crate::account::ImportPlans;
use crate::auth::Authorizer;
use crate::config::{Config, ConfigError};
use crate::tls::TlsConfig;

/// A [`Config`] with its authorizer and TLS acceptor built.
pub struct CompiledConfig {
    /// The configuration as given.
    pub config: Config,
    /// What the accounts' imports come to.
    pub imports: ImportPlans,
    /// Its authentication, compiled (permissions included).
    pub authorizer: Authorizer,
    /// The acceptor and the settings it was built from (the handshake needs `timeout` and
    /// `handshake_first`).
    pub tls: Option<(TlsAcceptor, TlsConfig)>,
    /// TLS on routes (`cluster.tls`): both sides of a route, built at start (taken by the
    /// engine; a reload may not change the cluster).
    pub route_tls: Option<RouteTls>,
    /// TLS on leaf connections (`leafnodes.tls`, each remote's `tls`), built at start
    /// (taken by the engine).
    pub leaf_tls: LeafTls,
    /// TLS on the WebSocket listener (`websocket.tls`), built at start (taken by the
    /// engine; a reload may not change the block).
    pub ws_tls: Option<(TlsAcceptor, TlsConfig)>,
}

/// TLS of leaf connections: the listener's, and each remote's (by position), when set.
#[derive(Clone, Default)]
pub struct LeafTls {
    /// Accepting leaf nodes, with its settings (timeout, handshake first).
    pub listener: Option<(TlsAcceptor, TlsConfig)>,
    /// Dialling each remote: the connector, the handshake's time limit and whether TLS
    /// comes before the hub's INFO.
    pub remotes: Vec<Option<(tokio_rustls::TlsConnector, std::time::Duration, bool)>>,
}

/// The two sides of TLS on routes.
#[derive(Clone)]
pub struct RouteTls {
    /// Accepting routes.
    pub acceptor: TlsAcceptor,
    /// Dialling routes.
    pub connector: tokio_rustls::TlsConnector,
    /// The handshake's time limit.
    pub timeout: std::time::Duration,
}

impl Config {
    /// Checks this configuration and builds what it describes (see the module doc).
    pub fn compile(&self) -> Result<CompiledConfig, ConfigError> {
        self.check_limits()?;
        let operator = crate::operator::OperatorMode::compile(self)?.map(std::sync::Arc::new);
        let mut imports = match &operator {
            Some(_) => ImportPlans::default(),
            None => crate::account::check(&self.accounts, self.system_account_name())?,
        };
        if let (None, Some(system)) = (&operator, self.system_account_name()) {
            let names = std::iter::once(crate::account::GLOBAL_ACCOUNT)
                .chain(self.accounts.keys().map(String::as_str))
                .chain((!self.accounts.contains_key(system)).then_some(system));
            imports
                .services
                .extend(crate::system::imports::plans(names, system));
        }
        let mut authorizer = Authorizer::with_accounts(&self.auth, &self.accounts)?;
        authorizer.set_operator(operator);
        let maps = |t: Option<&TlsConfig>| t.is_some_and(|t| t.verify_and_map);
        authorizer.set_tls_map(
            maps(self.tls.as_ref()),
            maps(self.websocket.as_ref().and_then(|w| w.tls.as_ref())),
        );
        for (block, tls) in [
            (
                "cluster",
                self.cluster.as_ref().and_then(|c| c.tls.as_ref()),
            ),
            (
                "leafnodes",
                self.leafnodes.as_ref().and_then(|l| l.tls.as_ref()),
            ),
        ] {
            if maps(tls) {
                return Err(ConfigError::Tls(format!(
                    "verify_and_map in the {block} tls block is not supported by fastnats"
                )));
            }
        }
        let tls = match &self.tls {
            Some(t) => Some((crate::tls::server_config(t)?.into(), t.clone())),
            None => None,
        };
        let route_tls = match self.cluster.as_ref().and_then(|c| c.tls.as_ref()) {
            Some(t) => Some(RouteTls {
                acceptor: crate::tls::server_config(t)?.into(),
                connector: crate::tls::client_config(t)?.into(),
                timeout: t.timeout,
            }),
            None => None,
        };
        let mut leaf_tls = LeafTls::default();
        if let Some(leafs) = &self.leafnodes {
            if let Some(t) = &leafs.tls {
                leaf_tls.listener = Some((crate::tls::server_config(t)?.into(), t.clone()));
            }
            for r in &leafs.remotes {
                let wants = r.tls.is_some() || r.urls.iter().any(|u| u.starts_with("tls://"));
                let t = r.tls.clone().unwrap_or_default();
                leaf_tls.remotes.push(if wants {
                    let cert = match (&t.cert_file, &t.key_file) {
                        (Some(c), Some(k)) => Some((c.as_path(), k.as_path())),
                        (None, None) => None,
                        _ => {
                            return Err(ConfigError::Tls(
                                "leafnode remote tls needs both cert_file and key_file".into(),
                            ))
                        }
                    };
                    let config = crate::tls::dialer_config(t.ca_file.as_deref(), cert)?;
                    Some((config.into(), t.timeout, t.handshake_first))
                } else {
                    None
                });
            }
        }
        let ws_tls = match self.websocket.as_ref().and_then(|w| w.tls.as_ref()) {
            Some(t) => Some((crate::tls::server_config(t)?.into(), t.clone())),
            None => None,
        };
        Ok(CompiledConfig {
            config: self.clone(),
            imports,
            authorizer,
            tls,
            route_tls,
            leaf_tls,
            ws_tls,
        })
    }
}

impl fmt::Debug for CompiledConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledConfig")
            .field("config", &self.config)
            .field("authorizer", &self.authorizer)
            .field("tls", &self.tls.as_ref().map(|(_, t)| t))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthConfig, AuthRuleError, User};

    #[test]
    fn compile_checks_limits_auth_and_tls() {
        assert!(Config::default().compile().is_ok());
        let c = Config {
            max_control_line: 0,
            ..Config::default()
        };
        assert_eq!(
            c.compile().unwrap_err(),
            ConfigError::NotPositive {
                key: "max_control_line"
            }
        );
        let user = |name: &str| User {
            user: name.into(),
            password: "p".into(),
            permissions: None,
            allowed_connection_types: Vec::new(),
        };
        let c = Config {
            auth: AuthConfig {
                users: vec![user("a"), user("a")],
                ..AuthConfig::default()
            },
            ..Config::default()
        };
        let e = c.compile().unwrap_err();
        assert_eq!(
            e,
            ConfigError::Auth(AuthRuleError::DuplicateUser("a".into()))
        );
        assert_eq!(e.to_string(), "Duplicate user \"a\" detected");
        let c = Config {
            tls: Some(TlsConfig {
                cert_file: "/nonexistent/cert.pem".into(),
                key_file: "/nonexistent/key.pem".into(),
                ..TlsConfig::default()
            }),
            ..Config::default()
        };
        let e = c.compile().unwrap_err();
        assert!(
            matches!(&e, ConfigError::TlsOpen { what: "certificate", path, .. }
                if path.to_str() == Some("/nonexistent/cert.pem")),
            "{e:?}"
        );
    }
}
