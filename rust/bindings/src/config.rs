//! The config dictionary <-> [`Config`]. Durations cross as float seconds. Unknown keys are
//! an error, so a typo in Python is not silently ignored.

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use fastnats_server::tls::TlsConfig;
use fastnats_server::Config;

pub fn to_dict<'py>(py: Python<'py>, c: &Config) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("host", &c.host)?;
    d.set_item("port", c.port)?;
    d.set_item("server_name", &c.server_name)?;
    d.set_item("max_payload", c.max_payload)?;
    d.set_item("max_control_line", c.max_control_line)?;
    d.set_item("max_pending", c.max_pending)?;
    d.set_item("max_connections", c.max_connections)?;
    d.set_item("max_subscriptions", c.max_subscriptions)?;
    d.set_item("ping_interval", c.ping_interval.as_secs_f64())?;
    d.set_item("ping_max", c.ping_max)?;
    d.set_item("write_deadline", c.write_deadline.as_secs_f64())?;
    d.set_item("worker_threads", c.worker_threads)?;
    d.set_item("no_header_support", c.no_header_support)?;
    d.set_item("disable_sublist_cache", c.disable_sublist_cache)?;
    d.set_item("shutdown_grace", c.shutdown_grace.as_secs_f64())?;
    d.set_item("authorization", crate::auth::config_dict(py, &c.auth)?)?;
    match &c.tls {
        Some(t) => {
            let td = PyDict::new(py);
            td.set_item("cert_file", &t.cert_file)?;
            td.set_item("key_file", &t.key_file)?;
            td.set_item("ca_file", t.ca_file.as_ref())?;
            td.set_item("verify", t.verify)?;
            td.set_item("timeout", t.timeout.as_secs_f64())?;
            td.set_item("handshake_first", t.handshake_first)?;
            d.set_item("tls", td)?;
        }
        None => d.set_item("tls", py.None())?,
    }
    Ok(d)
}

fn seconds(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let s: f64 = v.extract()?;
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!("{key} must be a non-negative number of seconds"))
    })
}

fn typed<'py, T: FromPyObject<'py>>(key: &str, v: &Bound<'py, PyAny>) -> PyResult<T> {
    v.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "option {key}: unexpected value {}",
            v.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

pub fn from_dict(d: &Bound<'_, PyDict>) -> PyResult<Config> {
    let mut c = Config::default();
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        let k = key.as_str();
        match k {
            "host" => c.host = typed(k, &v)?,
            "port" => c.port = typed(k, &v)?,
            "server_name" => c.server_name = typed(k, &v)?,
            "max_payload" => c.max_payload = typed(k, &v)?,
            "max_control_line" => c.max_control_line = typed(k, &v)?,
            "max_pending" => c.max_pending = typed(k, &v)?,
            "max_connections" => c.max_connections = typed(k, &v)?,
            "max_subscriptions" => c.max_subscriptions = typed(k, &v)?,
            "ping_interval" => c.ping_interval = seconds(k, &v)?,
            "ping_max" => c.ping_max = typed(k, &v)?,
            "write_deadline" => c.write_deadline = seconds(k, &v)?,
            "worker_threads" => c.worker_threads = typed(k, &v)?,
            "no_header_support" => c.no_header_support = typed(k, &v)?,
            "disable_sublist_cache" => c.disable_sublist_cache = typed(k, &v)?,
            "shutdown_grace" => c.shutdown_grace = seconds(k, &v)?,
            "tls" => c.tls = tls_from(&v)?,
            "authorization" => {
                if !v.is_none() {
                    c.auth = crate::auth::config_from(&v)?;
                }
            }
            _ => return Err(PyValueError::new_err(format!("unknown option {k:?}"))),
        }
    }
    Ok(c)
}

/// `{"cert_file", "key_file", "ca_file", "verify", "timeout" (s), "handshake_first"}`.
fn tls_from(v: &Bound<'_, PyAny>) -> PyResult<Option<TlsConfig>> {
    if v.is_none() {
        return Ok(None);
    }
    let d = v.downcast::<PyDict>()?;
    let mut t = TlsConfig::default();
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        if v.is_none() {
            continue;
        }
        match key.as_str() {
            "cert_file" => t.cert_file = typed("tls.cert_file", &v)?,
            "key_file" => t.key_file = typed("tls.key_file", &v)?,
            "ca_file" => t.ca_file = Some(typed("tls.ca_file", &v)?),
            "verify" => t.verify = typed("tls.verify", &v)?,
            "timeout" => t.timeout = seconds("tls.timeout", &v)?,
            "handshake_first" => t.handshake_first = typed("tls.handshake_first", &v)?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown tls option {other:?}"
                )))
            }
        }
    }
    if t.cert_file.as_os_str().is_empty() || t.key_file.as_os_str().is_empty() {
        return Err(PyValueError::new_err("tls needs cert_file and key_file"));
    }
    Ok(Some(t))
}
