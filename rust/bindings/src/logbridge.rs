//! The engine's log lines handed to Python's `logging`.
//!
//! The engine never calls Python to log: it pushes lines onto its bounded queue
//! ([`fastnats_server::log::use_queue`], set when this module is imported) under a short
//! lock, with no GIL, and a Python thread (`fastnats.logs`) calls [`drain_logs`], which waits
//! for lines with the GIL released and returns them in one batch. The CLI switches to the
//! engine's own writer instead (`configure_logging` in `lib.rs`), so its lines keep
//! nats-server's format and destinations.

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use fastnats_server::log::{self, Level};

/// Lines the queue holds before it drops (and counts) new ones: a few seconds of a busy
/// debug log, a few hundred kilobytes at most.
pub const QUEUE_CAPACITY: usize = 10_000;

/// Python's `logging` level numbers (TRACE is fastnats's own, 5, below DEBUG).
pub fn python_level(level: Level) -> u8 {
    match level {
        Level::Trace => 5,
        Level::Debug => 10,
        Level::Info => 20,
        Level::Warn => 30,
        Level::Error => 40,
        Level::Fatal => 50,
    }
}

/// The engine level for a name (`trace`, `debug`, `info`, `warn`, `error`, `fatal`).
pub fn parse_level(level: &str) -> PyResult<Level> {
    Level::from_name(level)
        .ok_or_else(|| PyValueError::new_err(format!("unknown log level {level:?}")))
}

/// Every queued line as `(levelno, area, message)`, waiting up to `timeout` seconds (with the
/// GIL released) for the first one or for `wake_logs()`. Empty when the CLI's writer is in
/// use. A batch after an overflow starts with a WARNING line counting the lost lines.
#[pyfunction]
pub fn drain_logs(py: Python<'_>, timeout: f64) -> PyResult<Vec<(u8, &'static str, String)>> {
    let timeout = Duration::try_from_secs_f64(timeout)
        .map_err(|_| PyValueError::new_err("timeout must be non-negative seconds"))?;
    let batch = py.allow_threads(|| log::drain(timeout));
    Ok(batch
        .into_iter()
        .map(|r| (python_level(r.level), r.area.name(), r.message))
        .collect())
}

/// Makes a `drain_logs()` waiting now (or the next one) return at once.
#[pyfunction]
pub fn wake_logs() {
    log::wake();
}

/// Sets the lowest level the engine produces at all (process-wide): `trace`, `debug`,
/// `info`, `warn`, `error` or `fatal`.
#[pyfunction]
pub fn set_log_level(level: &str) -> PyResult<()> {
    log::set_level(parse_level(level)?);
    Ok(())
}

/// The lowest level the engine produces, as a `logging` level number.
#[pyfunction]
pub fn log_level() -> u8 {
    python_level(log::level())
}

/// Whether engine lines go to the queue `drain_logs()` empties (false once the CLI's
/// writer is configured).
#[pyfunction]
pub fn logs_queued() -> bool {
    log::is_queued()
}

/// Adds the bridge's functions and turns the queue on.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    log::use_queue(QUEUE_CAPACITY);
    m.add_function(wrap_pyfunction!(drain_logs, m)?)?;
    m.add_function(wrap_pyfunction!(wake_logs, m)?)?;
    m.add_function(wrap_pyfunction!(set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(log_level, m)?)?;
    m.add_function(wrap_pyfunction!(logs_queued, m)?)?;
    Ok(())
}
