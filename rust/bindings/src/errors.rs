//! Engine errors as the exceptions of `fastnats.errors`, the one hierarchy the Python layer
//! raises too: [`ConfigError`] → `fastnats.ConfigError` (a `ValueError`), a bind failure →
//! `fastnats.BindError` (an `OSError` with `errno`), so one `except` clause catches an
//! error whether the engine or Python found it.
//!
//! The classes are looked up once (per interpreter) and cached; importing `fastnats.errors`
//! can not fail where `fastnats._fastnats` itself was imported from the package, but if it
//! does the built-in base class is raised instead of hiding the error.

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::PyType;

use fastnats_server::{ConfigError, StartError};

static CONFIG_ERROR: GILOnceCell<Py<PyType>> = GILOnceCell::new();
static BIND_ERROR: GILOnceCell<Py<PyType>> = GILOnceCell::new();
static PERMISSIONS_VIOLATION: GILOnceCell<Py<PyType>> = GILOnceCell::new();

fn class<'py>(
    py: Python<'py>,
    cell: &'static GILOnceCell<Py<PyType>>,
    name: &str,
) -> Option<Bound<'py, PyType>> {
    cell.import(py, "fastnats.errors", name).ok().cloned()
}

/// `fastnats.ConfigError(message)`.
pub fn config_error(e: &ConfigError) -> PyErr {
    config_message(e.to_string())
}

/// `fastnats.ConfigError` with a message of the bindings' own.
pub fn config_message(message: String) -> PyErr {
    Python::with_gil(|py| match class(py, &CONFIG_ERROR, "ConfigError") {
        Some(cls) => PyErr::from_type(cls, (message,)),
        None => PyValueError::new_err(message),
    })
}

/// `fastnats.BindError(errno, "can not listen on <addr>: <reason>")`: `.errno` is the
/// operating system's and the message names the address.
pub fn bind_error(addr: &str, e: &std::io::Error) -> PyErr {
    // io::Error's text ends with " (os error N)": errno says that already.
    let reason = e.to_string();
    let reason = reason
        .rsplit_once(" (os error ")
        .map_or(reason.as_str(), |(r, _)| r);
    let message = format!("can not listen on {addr}: {reason}");
    Python::with_gil(|py| {
        let cls = class(py, &BIND_ERROR, "BindError");
        match (cls, e.raw_os_error()) {
            (Some(cls), Some(errno)) => PyErr::from_type(cls, (errno, message)),
            (Some(cls), None) => PyErr::from_type(cls, (message,)),
            (None, Some(errno)) => PyOSError::new_err((errno, message)),
            (None, None) => PyOSError::new_err(message),
        }
    })
}

/// The exception for a failed start.
pub fn start_error(e: &StartError) -> PyErr {
    match e {
        StartError::Config(e) => config_error(e),
        StartError::Bind(addr, io) => bind_error(addr, io),
        StartError::Runtime(_) | StartError::System(_) => PyOSError::new_err(e.to_string()),
        StartError::JetStream(_)
        | StartError::JetStreamSystemAccount
        | StartError::WebsocketBind(..) => PyRuntimeError::new_err(e.to_string()),
    }
}

/// `fastnats.PermissionsViolation(message)`: an in-process publish or subscription its user
/// may not make.
pub fn permissions_violation(message: String) -> PyErr {
    Python::with_gil(
        |py| match class(py, &PERMISSIONS_VIOLATION, "PermissionsViolation") {
            Some(cls) => PyErr::from_type(cls, (message,)),
            None => PyValueError::new_err(message),
        },
    )
}

/// The exception for a refused in-process publish.
pub fn publish_error(e: &fastnats_server::internal::PublishError) -> PyErr {
    use fastnats_server::internal::PublishError;
    match e {
        PublishError::PermissionViolation(_) => permissions_violation(e.to_string()),
        PublishError::NoSystemAccount => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The exception for a refused in-process subscription.
pub fn subscribe_error(e: &fastnats_server::internal::SubscribeError) -> PyErr {
    use fastnats_server::internal::SubscribeError;
    match e {
        SubscribeError::PermissionViolation(_) => permissions_violation(e.to_string()),
        SubscribeError::NoSystemAccount => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}
