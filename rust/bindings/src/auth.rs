//! The Python auth hook and lifecycle events as engine traits.
//!
//! The Python layer wraps user hooks (coroutines, result objects) into a plain function
//! returning `None`/`False` (deny), `True` (allow) or a dict `{"user": str | None,
//! "permissions": dict | None, "account": str | None}`; the permissions are read by the engine's own deserializer
//! ([`crate::config::permissions`]), so a hook's typo is refused like a config's.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pythonize::Depythonizer;
use serde::Deserialize;

use fastnats_server::auth::{
    AuthMethod, AuthOutcome, AuthRequest, Authenticator, Identity, Permissions,
};
use fastnats_server::config_error::deserialize;
use fastnats_server::hooks::{ClientEvent, Events};
use fastnats_server::log::{log_to, Area, Level};

use crate::errors::config_error;

/// An allowing decision as the Python layer passes it; other keys are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    permissions: Option<Permissions>,
    #[serde(default)]
    account: Option<String>,
}

/// The Python auth hook as the engine's custom authenticator.
pub struct PyAuthenticator(pub Py<PyAny>);

impl PyAuthenticator {
    fn request_dict<'py>(py: Python<'py>, req: &AuthRequest<'_>) -> PyResult<Bound<'py, PyDict>> {
        let c = req.connect;
        let d = PyDict::new(py);
        d.set_item("user", c.user.as_deref())?;
        d.set_item("password", c.pass.as_deref())?;
        d.set_item("token", c.auth_token.as_deref())?;
        d.set_item("nkey", c.nkey.as_deref())?;
        d.set_item("nkey_verified", req.nkey_verified)?;
        d.set_item("jwt", c.jwt.as_deref())?;
        d.set_item("name", &c.name)?;
        d.set_item("lang", &c.lang)?;
        d.set_item("version", &c.version)?;
        d.set_item("protocol", c.protocol)?;
        d.set_item("client_ip", req.client_addr.ip().to_string())?;
        d.set_item("client_port", req.client_addr.port())?;
        d.set_item("tls_subject", req.tls_subject)?;
        d.set_item("connection_type", req.conn_type.as_str())?;
        Ok(d)
    }

    fn decide(&self, py: Python<'_>, req: &AuthRequest<'_>) -> PyResult<AuthOutcome> {
        let result = self.0.call1(py, (Self::request_dict(py, req)?,))?;
        let result = result.bind(py);
        if result.is_none() {
            return Ok(AuthOutcome::Denied);
        }
        if let Ok(allowed) = result.extract::<bool>() {
            return Ok(if allowed {
                AuthOutcome::Allowed(Identity {
                    user: req.connect.user.clone(),
                    permissions: None,
                    method: AuthMethod::Custom,
                    account: None,
                })
            } else {
                AuthOutcome::Denied
            });
        }
        let d = result.downcast::<PyDict>()?;
        let decision: Decision = deserialize("", &mut Depythonizer::from_object(d.as_any()))
            .map_err(|e| config_error(&e))?;
        let permissions = match &decision.permissions {
            Some(p) => Some(Arc::new(
                crate::config::compile_permissions(p).map_err(|e| config_error(&e))?,
            )),
            None => None,
        };
        Ok(AuthOutcome::Allowed(Identity {
            user: decision.user,
            permissions,
            method: AuthMethod::Custom,
            account: decision.account,
        }))
    }
}

impl Authenticator for PyAuthenticator {
    /// Runs the hook with the GIL (the engine calls this on a blocking thread). An exception
    /// or an answer of the wrong shape denies: fail closed, with the traceback in the log.
    fn authenticate(&self, req: &AuthRequest<'_>) -> AuthOutcome {
        Python::with_gil(|py| {
            self.decide(py, req).unwrap_or_else(|e| {
                log_to(
                    Area::Hooks,
                    Level::Error,
                    &format!("auth hook failed (client denied): {}", traceback(py, &e)),
                );
                AuthOutcome::Denied
            })
        })
    }
}

pub(crate) fn traceback(py: Python<'_>, e: &PyErr) -> String {
    let tb = e
        .traceback(py)
        .and_then(|t| t.format().ok())
        .unwrap_or_default();
    format!("{tb}{e}")
}

/// on_connect / on_disconnect callables.
pub struct PyEvents {
    pub on_connect: Option<Py<PyAny>>,
    pub on_disconnect: Option<Py<PyAny>>,
}

fn event_dict<'py>(py: Python<'py>, e: &ClientEvent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("cid", e.cid)?;
    d.set_item("client_ip", e.addr.ip().to_string())?;
    d.set_item("client_port", e.addr.port())?;
    d.set_item("name", &e.name)?;
    d.set_item("lang", &e.lang)?;
    d.set_item("version", &e.version)?;
    d.set_item("user", e.user.as_deref())?;
    d.set_item("account", &e.account)?;
    Ok(d)
}

impl PyEvents {
    fn call(hook: &Option<Py<PyAny>>, event: &ClientEvent, reason: Option<&str>) {
        let Some(hook) = hook else { return };
        Python::with_gil(|py| {
            let r = event_dict(py, event).and_then(|d| {
                if let Some(reason) = reason {
                    d.set_item("reason", reason)?;
                }
                hook.call1(py, (d,))
            });
            if let Err(e) = r {
                log_to(
                    Area::Hooks,
                    Level::Error,
                    &format!("event hook failed: {}", traceback(py, &e)),
                );
            }
        });
    }
}

impl Events for PyEvents {
    fn on_connect(&self, event: &ClientEvent) {
        Self::call(&self.on_connect, event, None);
    }

    fn on_disconnect(&self, event: &ClientEvent, reason: &str) {
        Self::call(&self.on_disconnect, event, Some(reason));
    }
}
