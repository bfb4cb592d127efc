//! Monitoring snapshots as Python dicts. Times cross as float Unix seconds; the Python layer
//! formats them the way nats-server's JSON does.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use fastnats_server::monitor::{ConnSnapshot, SubSnapshot};

pub fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

pub fn sub<'py>(py: Python<'py>, s: &SubSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("cid", s.cid)?;
    d.set_item("subject", &s.subject)?;
    d.set_item("qgroup", s.queue.as_deref())?;
    d.set_item("sid", &s.sid)?;
    d.set_item("msgs", s.msgs)?;
    d.set_item("max", s.max)?;
    d.set_item("account", &s.account)?;
    Ok(d)
}

pub fn conn<'py>(py: Python<'py>, c: &ConnSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("cid", c.cid)?;
    d.set_item("ip", &c.ip)?;
    d.set_item("port", c.port)?;
    d.set_item("start", unix_seconds(c.start))?;
    d.set_item("last_activity", unix_seconds(c.last_activity))?;
    d.set_item("pending_bytes", c.pending_bytes)?;
    d.set_item("in_msgs", c.in_msgs)?;
    d.set_item("out_msgs", c.out_msgs)?;
    d.set_item("in_bytes", c.in_bytes)?;
    d.set_item("out_bytes", c.out_bytes)?;
    d.set_item("name", &c.name)?;
    d.set_item("lang", &c.lang)?;
    d.set_item("version", &c.version)?;
    d.set_item("user", c.user.as_deref())?;
    d.set_item("account", &c.account)?;
    d.set_item("name_tag", &c.name_tag)?;
    let subs = PyList::empty(py);
    for s in &c.subs {
        subs.append(sub(py, s)?)?;
    }
    d.set_item("subscriptions", subs)?;
    d.set_item("stop", c.stop.map(unix_seconds))?;
    d.set_item("reason", c.reason)?;
    d.set_item("websocket", c.websocket)?;
    d.set_item("tls_version", c.tls.map(|t| t.0))?;
    d.set_item("tls_cipher_suite", c.tls.map(|t| t.1))?;
    d.set_item("rtt", u64::try_from(c.rtt.as_nanos()).unwrap_or(u64::MAX))?;
    d.set_item("stalls", c.stalls)?;
    Ok(d)
}
