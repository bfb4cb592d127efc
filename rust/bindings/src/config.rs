//! The config across the FFI: a Python dict is read by the engine's own serde
//! deserializer (through `pythonize`), so nats-server's forms are understood, unknown keys
//! are refused with their path, and nothing is normalised twice. `config()` and
//! `default_config()` are the same types serialized back.

use pyo3::prelude::*;
use pythonize::{pythonize, Depythonizer};

use fastnats_server::auth::{AuthConfig, CompiledPermissions, Permissions};
use fastnats_server::config::JetStreamConfig;
use fastnats_server::config_error::deserialize;
use fastnats_server::{Config, ConfigError};

use crate::errors::{config_error, config_message};

/// The option dict → [`Config`]; raises `fastnats.ConfigError` naming the path.
pub fn from_dict(options: &Bound<'_, PyAny>) -> PyResult<Config> {
    Config::from_deserializer(&mut Depythonizer::from_object(options)).map_err(|e| config_error(&e))
}

/// [`Config`] → the option dict (durations as float seconds).
pub fn to_dict<'py>(py: Python<'py>, c: &Config) -> PyResult<Bound<'py, PyAny>> {
    pythonize(py, c).map_err(|e| config_message(e.to_string()))
}

/// `authorization` read and written back in the explicit form.
pub fn authorization<'py>(py: Python<'py>, v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let auth: AuthConfig = deserialize("authorization", &mut Depythonizer::from_object(v))
        .map_err(|e| config_error(&e))?;
    pythonize(py, &auth).map_err(|e| config_message(e.to_string()))
}

/// `jetstream` read as the engine reads it (and checked), then resolved for this machine.
pub fn resolve_jetstream<'py>(
    py: Python<'py>,
    v: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let js: JetStreamConfig = deserialize("jetstream", &mut Depythonizer::from_object(v))
        .map_err(|e| config_error(&e))?;
    js.check().map_err(|e| config_error(&e))?;
    pythonize(py, &js.resolve()).map_err(|e| config_message(e.to_string()))
}

/// An auth hook's `permissions`, read and compiled as the engine will; errors name the key
/// below `permissions`.
pub fn permissions(v: &Bound<'_, PyAny>) -> Result<CompiledPermissions, ConfigError> {
    let p: Permissions = deserialize("permissions", &mut Depythonizer::from_object(v))?;
    compile_permissions(&p)
}

/// Compiles permissions; a subject that does not parse is named (nats-server's text).
pub fn compile_permissions(p: &Permissions) -> Result<CompiledPermissions, ConfigError> {
    CompiledPermissions::compile(p).map_err(|e| ConfigError::Invalid {
        path: "permissions".to_string(),
        message: e,
    })
}
