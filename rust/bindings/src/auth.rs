//! Authentication across the boundary: the `authorization` option dict <-> [`AuthConfig`],
//! and the Python auth hook and lifecycle events as engine traits.
//!
//! The Python layer normalises nats-server's config forms (a string or list for
//! allow-only permissions, `allow_responses: true`) before they get here, and wraps user
//! hooks (coroutines, result objects) into a plain function returning `None`/`False`
//! (deny), `True` (allow) or a dict `{"user": str | None, "permissions": dict | None}`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use fastnats_server::auth::{
    AuthConfig, AuthMethod, AuthOutcome, AuthRequest, Authenticator, CompiledPermissions, Identity,
    NkeyUser, Permissions, ResponsePermission, SubjectPermission, User,
};
use fastnats_server::hooks::{ClientEvent, Events};
use fastnats_server::log::{log, Level};

fn strings(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = v.extract::<String>() {
        return Ok(vec![s]);
    }
    v.extract()
}

fn subject_permission(v: &Bound<'_, PyAny>) -> PyResult<SubjectPermission> {
    if let Ok(d) = v.downcast::<PyDict>() {
        let get = |k: &str| -> PyResult<Vec<String>> {
            d.get_item(k)?
                .filter(|x| !x.is_none())
                .map_or(Ok(Vec::new()), |x| strings(&x))
        };
        return Ok(SubjectPermission {
            allow: get("allow")?,
            deny: get("deny")?,
        });
    }
    Ok(SubjectPermission {
        allow: strings(v)?,
        deny: Vec::new(),
    })
}

/// `{"publish": ..., "subscribe": ..., "allow_responses": {"max": n, "expires": secs}}`.
pub fn permissions(v: &Bound<'_, PyAny>) -> PyResult<Permissions> {
    let d = v.downcast::<PyDict>()?;
    let part = |k: &str| -> PyResult<Option<SubjectPermission>> {
        d.get_item(k)?
            .filter(|x| !x.is_none())
            .map(|x| subject_permission(&x))
            .transpose()
    };
    let allow_responses = match d.get_item("allow_responses")?.filter(|x| !x.is_none()) {
        None => None,
        Some(x) => {
            if let Ok(b) = x.extract::<bool>() {
                b.then(ResponsePermission::default)
            } else {
                let r = x.downcast::<PyDict>()?;
                let mut p = ResponsePermission::default();
                if let Some(m) = r.get_item("max")? {
                    p.max = m.extract()?;
                }
                if let Some(e) = r.get_item("expires")? {
                    p.expires = Duration::try_from_secs_f64(e.extract()?)
                        .map_err(|_| PyValueError::new_err("expires must be >= 0 seconds"))?;
                }
                Some(p)
            }
        }
    };
    Ok(Permissions {
        publish: part("publish")?,
        subscribe: part("subscribe")?,
        allow_responses,
    })
}

fn opt_permissions(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<Permissions>> {
    d.get_item(key)?
        .filter(|x| !x.is_none())
        .map(|x| permissions(&x))
        .transpose()
}

fn opt_string(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<String>> {
    d.get_item(key)?
        .filter(|x| !x.is_none())
        .map(|x| x.extract())
        .transpose()
}

/// The `authorization` option: token, user/password, users (entries with `user` +
/// `password` or with `nkey`), no_auth_user, timeout (seconds), default_permissions.
pub fn config_from(v: &Bound<'_, PyAny>) -> PyResult<AuthConfig> {
    let d = v.downcast::<PyDict>()?;
    let mut c = AuthConfig {
        token: opt_string(d, "token")?,
        user: opt_string(d, "user")?,
        password: opt_string(d, "password")?,
        no_auth_user: opt_string(d, "no_auth_user")?,
        default_permissions: opt_permissions(d, "default_permissions")?,
        ..AuthConfig::default()
    };
    if let Some(t) = d.get_item("timeout")?.filter(|x| !x.is_none()) {
        c.timeout = Duration::try_from_secs_f64(t.extract()?)
            .map_err(|_| PyValueError::new_err("authorization timeout must be >= 0 seconds"))?;
    }
    if let Some(users) = d.get_item("users")?.filter(|x| !x.is_none()) {
        for u in users.try_iter()? {
            let u = u?;
            let u = u.downcast::<PyDict>()?;
            let perms = opt_permissions(u, "permissions")?;
            if let Some(nkey) = opt_string(u, "nkey")? {
                c.nkeys.push(NkeyUser {
                    nkey,
                    permissions: perms,
                });
            } else {
                c.users.push(User {
                    user: opt_string(u, "user")?.unwrap_or_default(),
                    password: opt_string(u, "password")?.unwrap_or_default(),
                    permissions: perms,
                });
            }
        }
    }
    Ok(c)
}

fn subject_permission_dict<'py>(
    py: Python<'py>,
    p: &SubjectPermission,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("allow", PyList::new(py, &p.allow)?)?;
    d.set_item("deny", PyList::new(py, &p.deny)?)?;
    Ok(d)
}

fn permissions_dict<'py>(py: Python<'py>, p: &Permissions) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    if let Some(x) = &p.publish {
        d.set_item("publish", subject_permission_dict(py, x)?)?;
    }
    if let Some(x) = &p.subscribe {
        d.set_item("subscribe", subject_permission_dict(py, x)?)?;
    }
    if let Some(r) = &p.allow_responses {
        let rd = PyDict::new(py);
        rd.set_item("max", r.max)?;
        rd.set_item("expires", r.expires.as_secs_f64())?;
        d.set_item("allow_responses", rd)?;
    }
    Ok(d)
}

/// The inverse of [`config_from`], for `config()` and reloads.
pub fn config_dict<'py>(py: Python<'py>, c: &AuthConfig) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("token", c.token.as_deref())?;
    d.set_item("user", c.user.as_deref())?;
    d.set_item("password", c.password.as_deref())?;
    d.set_item("no_auth_user", c.no_auth_user.as_deref())?;
    d.set_item("timeout", c.timeout.as_secs_f64())?;
    match &c.default_permissions {
        Some(p) => d.set_item("default_permissions", permissions_dict(py, p)?)?,
        None => d.set_item("default_permissions", py.None())?,
    }
    let users = PyList::empty(py);
    for u in &c.users {
        let ud = PyDict::new(py);
        ud.set_item("user", &u.user)?;
        ud.set_item("password", &u.password)?;
        if let Some(p) = &u.permissions {
            ud.set_item("permissions", permissions_dict(py, p)?)?;
        }
        users.append(ud)?;
    }
    for n in &c.nkeys {
        let nd = PyDict::new(py);
        nd.set_item("nkey", &n.nkey)?;
        if let Some(p) = &n.permissions {
            nd.set_item("permissions", permissions_dict(py, p)?)?;
        }
        users.append(nd)?;
    }
    d.set_item("users", users)?;
    Ok(d)
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
                })
            } else {
                AuthOutcome::Denied
            });
        }
        let d = result.downcast::<PyDict>()?;
        let permissions = match opt_permissions(d, "permissions")? {
            Some(p) => Some(Arc::new(
                CompiledPermissions::compile(&p).map_err(PyValueError::new_err)?,
            )),
            None => None,
        };
        Ok(AuthOutcome::Allowed(Identity {
            user: opt_string(d, "user")?,
            permissions,
            method: AuthMethod::Custom,
        }))
    }
}

impl Authenticator for PyAuthenticator {
    /// Runs the hook with the GIL (the engine calls this on a blocking thread). An exception
    /// or an answer of the wrong shape denies: fail closed, with the traceback in the log.
    fn authenticate(&self, req: &AuthRequest<'_>) -> AuthOutcome {
        Python::with_gil(|py| {
            self.decide(py, req).unwrap_or_else(|e| {
                log(
                    Level::Error,
                    &format!("auth hook failed (client denied): {}", traceback(py, &e)),
                );
                AuthOutcome::Denied
            })
        })
    }
}

fn traceback(py: Python<'_>, e: &PyErr) -> String {
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
                log(
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
