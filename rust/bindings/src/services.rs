//! In-process subscriptions across the boundary: a Python callable as the engine's
//! [`InternalHandler`], and the subscription handle.
//!
//! The engine hands a subscription's messages over in batches on a blocking thread; this
//! takes the GIL once per batch, builds one list of `(subject, reply, headers, data)` tuples
//! and calls the callable once with it. The network threads never wait for it: a callable
//! that falls behind makes the subscription a slow consumer (see `fastnats_server::internal`).

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use fastnats_server::internal::{InternalBatch, InternalHandler, InternalSubscription};
use fastnats_server::log::{log_to, Area, Level};

/// A Python callable taking a list of `(subject: str, reply: str | None, headers: bytes |
/// None, data: bytes)`.
pub struct PyBatchHandler(pub Py<PyAny>);

impl PyBatchHandler {
    fn call(&self, py: Python<'_>, batch: &InternalBatch) -> PyResult<()> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let list = PyList::empty(py);
        for m in batch.iter() {
            let item = PyTuple::new(
                py,
                [
                    text(m.subject).into_pyobject(py)?.into_any(),
                    m.reply.map(text).into_pyobject(py)?.into_any(),
                    m.headers
                        .map(|h| PyBytes::new(py, h))
                        .into_pyobject(py)?
                        .into_any(),
                    PyBytes::new(py, m.payload).into_any(),
                ],
            )?;
            list.append(item)?;
        }
        self.0.call1(py, (list,))?;
        Ok(())
    }
}

impl InternalHandler for PyBatchHandler {
    /// Runs the callable with the GIL; an exception is logged with its traceback (the
    /// subscription stays, as a failing nats-py callback does).
    fn deliver(&self, batch: &InternalBatch) {
        Python::with_gil(|py| {
            if let Err(e) = self.call(py, batch) {
                log_to(
                    Area::Hooks,
                    Level::Error,
                    &format!(
                        "subscription handler failed: {}",
                        crate::auth::traceback(py, &e)
                    ),
                );
            }
        });
    }
}

/// An in-process subscription; `unsubscribe()` (or dropping it) ends it.
#[pyclass(module = "fastnats._fastnats", frozen)]
pub struct NativeSubscription {
    pub inner: Mutex<Option<InternalSubscription>>,
}

#[pymethods]
impl NativeSubscription {
    /// Stops delivery (a batch being handled finishes). Idempotent.
    fn unsubscribe(&self, py: Python<'_>) {
        let sub = self.inner.lock().take();
        py.allow_threads(move || drop(sub));
    }

    /// Why the subscription ended (`"Slow Consumer (Pending Bytes)"` when its handler fell
    /// behind, `"Client Closed"` after `unsubscribe()`), or `None` while active.
    #[getter]
    fn closed(&self) -> Option<&'static str> {
        match self.inner.lock().as_ref() {
            Some(s) => s.closed().map(|r| r.as_str()),
            None => Some("Client Closed"),
        }
    }

    /// Messages delivered to it so far.
    #[getter]
    fn delivered(&self) -> u64 {
        self.inner
            .lock()
            .as_ref()
            .map_or(0, InternalSubscription::delivered)
    }
}
