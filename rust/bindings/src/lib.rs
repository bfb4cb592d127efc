//! `fastnats._fastnats`: thin PyO3 glue over [`fastnats_server`].
//!
//! One config dictionary in (read by the engine's serde deserializer, see [`config`];
//! defaults come from the Rust `Config::default`), a [`NativeServer`] handle out. Errors are
//! the classes of `fastnats.errors` ([`errors`]). Every call that may block (start, stop)
//! releases the GIL; nothing here runs per message.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use fastnats_server::hooks::Hooks;
use fastnats_server::{monitor, CompiledConfig, Config, Server};

mod auth;
mod config;
mod errors;
mod logbridge;
mod services;
mod snapshot;

/// A server handle. Created stopped; `start()` binds and runs it on Rust threads.
#[pyclass(module = "fastnats._fastnats")]
struct NativeServer {
    config: Mutex<Config>,
    /// `config` checked and built (authorizer, TLS acceptor) by `new` or a reload while
    /// stopped, kept for the next `start()` so certificates are read once per start.
    compiled: Mutex<Option<CompiledConfig>>,
    hooks: Hooks,
    /// Behind a mutex so every method takes `&self`: `stop()` must work while another
    /// thread is inside `lame_duck()` (SIGINT during lame duck).
    server: Mutex<Option<Arc<Server>>>,
    /// JetStream while it runs (filled by the starter in `hooks`), for `/jsz` and `/varz`.
    jetstream: fastnats_jetstream::starter::Slot,
}

impl NativeServer {
    fn server(&self) -> Option<Arc<Server>> {
        self.server.lock().clone()
    }
}

#[pymethods]
impl NativeServer {
    /// `auth_hook(info: dict) -> None | bool | dict` decides every CONNECT in place of the
    /// built-in methods; `on_connect(event)` / `on_disconnect(event)` are called after the
    /// fact. All run on blocking threads with the GIL, never on the message path.
    #[new]
    #[pyo3(signature = (options, auth_hook = None, on_connect = None, on_disconnect = None))]
    fn new(
        py: Python<'_>,
        options: &Bound<'_, PyDict>,
        auth_hook: Option<Py<PyAny>>,
        on_connect: Option<Py<PyAny>>,
        on_disconnect: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        for (name, hook) in [
            ("auth_hook", &auth_hook),
            ("on_connect", &on_connect),
            ("on_disconnect", &on_disconnect),
        ] {
            if let Some(h) = hook {
                if !h.bind(py).is_callable() {
                    return Err(PyTypeError::new_err(format!("{name} must be callable")));
                }
            }
        }
        let config = config::from_dict(options.as_any())?;
        let compiled = config.compile().map_err(|e| errors::config_error(&e))?;
        let mut hooks = Hooks::default();
        if let Some(h) = auth_hook {
            hooks.authenticator = Some(Arc::new(auth::PyAuthenticator(h)));
        }
        if on_connect.is_some() || on_disconnect.is_some() {
            hooks.events = Some(Arc::new(auth::PyEvents {
                on_connect,
                on_disconnect,
            }));
        }
        let starter = fastnats_jetstream::starter::Starter::default();
        let jetstream = starter.slot.clone();
        hooks.jetstream = Some(Arc::new(starter));
        Ok(NativeServer {
            config: Mutex::new(config),
            compiled: Mutex::new(Some(compiled)),
            hooks,
            server: Mutex::new(None),
            jetstream,
        })
    }

    /// Binds the listener and starts serving; raises `fastnats.BindError` (an `OSError`)
    /// naming the address if it can not be bound.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        if self.server().is_some() {
            return Err(PyRuntimeError::new_err("server is already running"));
        }
        // Compiled by `new` or the last reload; after a stop, compiled afresh (the
        // certificates may have changed on disk).
        let compiled = self.compiled.lock().take();
        let config = self.config.lock().clone();
        let hooks = self.hooks.clone();
        let server = py
            .allow_threads(move || match compiled {
                Some(c) => Server::start_compiled(c, hooks),
                None => Server::start_with(config, hooks),
            })
            .map_err(|e| errors::start_error(&e))?;
        *self.server.lock() = Some(Arc::new(server));
        Ok(())
    }

    /// Closes every connection (flushing what is queued) and stops the threads. Idempotent.
    fn stop(&self, py: Python<'_>) {
        let server = self.server.lock().take();
        if let Some(server) = server {
            py.allow_threads(move || server.stop());
        }
    }

    #[getter]
    fn running(&self) -> bool {
        self.server.lock().is_some()
    }

    /// The bound port (the real one when configured with 0), or the configured one if stopped.
    #[getter]
    fn port(&self) -> u16 {
        self.server()
            .map_or_else(|| self.config.lock().port, |s| s.port())
    }

    #[getter]
    fn host(&self) -> String {
        self.config.lock().host.clone()
    }

    /// The bound route port, when the server is in a cluster and running.
    fn cluster_port(&self) -> Option<u16> {
        let server = self.server()?;
        let cluster = server.shared().cluster.as_ref()?;
        cluster.addr.get().map(std::net::SocketAddr::port)
    }

    /// The cluster's name (a random one until a peer's replaces it, when not configured);
    /// None outside a cluster.
    fn cluster_name(&self) -> Option<String> {
        let server = self.server()?;
        server.shared().cluster.as_ref().map(|c| c.name())
    }

    /// The client URLs of the cluster (`connect_urls`): this server's, then its peers'.
    fn connect_urls(&self) -> Vec<String> {
        self.server()
            .and_then(|s| s.shared().cluster.as_ref().map(|c| c.connect_urls()))
            .unwrap_or_default()
    }

    /// The bound leaf-node port, when the server listens for leaf nodes and runs.
    fn leaf_port(&self) -> Option<u16> {
        let server = self.server()?;
        let leafs = server.shared().leafnodes.as_ref()?;
        leafs.addr.get().map(std::net::SocketAddr::port)
    }

    /// The bound WebSocket port, when the server listens for WebSocket clients and runs.
    fn ws_port(&self) -> Option<u16> {
        let server = self.server()?;
        let ws = server.shared().websocket.as_ref()?;
        ws.addr.get().map(std::net::SocketAddr::port)
    }

    /// The leaf connections, for `/leafz` (a list of dicts; see `LeafSnapshot`).
    fn leafs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let leafs = self
            .server()
            .and_then(|s| {
                let shared = s.shared().clone();
                shared.leafnodes.as_ref().map(|l| l.snapshot(&shared))
            })
            .unwrap_or_default();
        Ok(pythonize::pythonize(py, &leafs)?)
    }

    /// The registered routes, for `/routez` (a list of dicts; see `RouteSnapshot`).
    fn routes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let routes = self
            .server()
            .and_then(|s| {
                let shared = s.shared().clone();
                shared.cluster.as_ref().map(|c| c.snapshot(&shared))
            })
            .unwrap_or_default();
        Ok(pythonize::pythonize(py, &routes)?)
    }

    #[getter]
    fn server_id(&self) -> Option<String> {
        self.server().map(|s| s.server_id())
    }

    #[getter]
    fn server_name(&self) -> Option<String> {
        self.server().map(|s| s.server_name())
    }

    /// The effective configuration as a dict (same keys as `default_config()`).
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.server() {
            Some(server) => config::to_dict(py, &server.config()),
            None => config::to_dict(py, &self.config.lock()),
        }
    }

    /// Applies a new option dict to the running server; raises `fastnats.ConfigError` (and
    /// changes nothing) when it is invalid or a non-reloadable option differs.
    fn reload(&self, py: Python<'_>, options: &Bound<'_, PyDict>) -> PyResult<()> {
        let config = config::from_dict(options.as_any())?;
        if let Some(server) = self.server() {
            py.allow_threads(|| server.reload(config.clone()))
                .map_err(|e| errors::config_error(&e))?;
        } else {
            let compiled = config.compile().map_err(|e| errors::config_error(&e))?;
            *self.compiled.lock() = Some(compiled);
        }
        *self.config.lock() = config;
        Ok(())
    }

    /// Lame duck mode: stop accepting, announce `ldm` to clients, wait `grace` seconds,
    /// close clients spread over the rest of `duration`. Blocks with the GIL released;
    /// call `stop()` afterwards.
    fn lame_duck(&self, py: Python<'_>, duration: f64, grace: f64) -> PyResult<()> {
        let to_duration = |s: f64| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| PyValueError::new_err("durations must be non-negative seconds"))
        };
        let (duration, grace) = (to_duration(duration)?, to_duration(grace)?);
        if let Some(server) = self.server() {
            py.allow_threads(|| server.lame_duck(duration, grace));
        }
        Ok(())
    }

    /// Open connections (or, with `closed=True`, the recently closed ones) as dicts.
    #[pyo3(signature = (closed = false))]
    fn connections<'py>(&self, py: Python<'py>, closed: bool) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        if let Some(server) = self.server() {
            let snaps = if closed {
                monitor::closed_connections(server.shared())
            } else {
                monitor::connections(server.shared())
            };
            for c in snaps {
                list.append(snapshot::conn(py, &c)?)?;
            }
        }
        Ok(list)
    }

    /// Every subscription of every open connection, as dicts.
    fn subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        if let Some(server) = self.server() {
            for s in monitor::subscriptions(server.shared()) {
                list.append(snapshot::sub(py, &s)?)?;
            }
        }
        Ok(list)
    }

    /// Subject-index counters (`/subsz`): count, cache, inserts, removes, matches, fanout;
    /// of every account, or of the one named `account` (zeros for an unknown one).
    #[pyo3(signature = (account = None))]
    fn sublist_stats<'py>(
        &self,
        py: Python<'py>,
        account: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some(server) = self.server() {
            let s = monitor::sublist_stats(server.shared(), account);
            d.set_item("num_subscriptions", s.count)?;
            d.set_item("num_cache", s.cache_entries)?;
            d.set_item("num_inserts", s.inserts)?;
            d.set_item("num_removes", s.removes)?;
            d.set_item("num_matches", s.matches)?;
            d.set_item("cache_hit_rate", s.cache_hit_rate())?;
            d.set_item("max_fanout", s.max_fanout)?;
            d.set_item("avg_fanout", s.avg_fanout())?;
        }
        Ok(d)
    }

    /// Publishes a message as a client's PUB/HPUB would, without a socket; `headers` is a
    /// complete header block. Returns how many subscribers got it. Raises `ValueError` for an
    /// invalid subject or reply, or a message over `max_payload`, and `RuntimeError` when the
    /// server is not running. The GIL is released while the message is delivered.
    #[pyo3(signature = (subject, data, reply = None, headers = None, user = None))]
    fn publish(
        &self,
        py: Python<'_>,
        subject: &str,
        data: &[u8],
        reply: Option<&str>,
        headers: Option<&[u8]>,
        user: Option<&str>,
    ) -> PyResult<usize> {
        let server = self
            .server()
            .ok_or_else(|| PyRuntimeError::new_err("server is not running"))?;
        py.allow_threads(|| {
            server.publish(
                subject.as_bytes(),
                reply.map(str::as_bytes),
                headers,
                data,
                user,
            )
        })
        .map_err(|e| errors::publish_error(&e))
    }

    /// Subscribes `callback` to `subject` (in queue group `queue`): it is called with lists
    /// of `(subject, reply, headers, data)` tuples, one call per batch, on a server thread
    /// with the GIL. `max_pending` bounds the bytes waiting for it (default: the server's);
    /// past it the subscription is closed as a slow consumer. Raises `ValueError` for an
    /// invalid subject, `RuntimeError` when the server is not running.
    #[pyo3(signature = (subject, callback, queue = None, max_pending = None, user = None))]
    fn subscribe(
        &self,
        subject: &str,
        callback: Py<PyAny>,
        queue: Option<&str>,
        max_pending: Option<usize>,
        user: Option<&str>,
    ) -> PyResult<services::NativeSubscription> {
        let server = self
            .server()
            .ok_or_else(|| PyRuntimeError::new_err("server is not running"))?;
        let handler = Arc::new(services::PyBatchHandler(callback));
        let sub = server
            .subscribe(
                subject.as_bytes(),
                queue.map(str::as_bytes),
                max_pending,
                user,
                handler,
            )
            .map_err(|e| errors::subscribe_error(&e))?;
        Ok(services::NativeSubscription {
            inner: Mutex::new(Some(sub)),
        })
    }

    /// Publishes `data` on `subject` in the system account, as the server (replies to system
    /// requests). Raises `RuntimeError` without a system account or a running server.
    fn publish_system(&self, py: Python<'_>, subject: &str, data: &[u8]) -> PyResult<usize> {
        let server = self
            .server()
            .ok_or_else(|| PyRuntimeError::new_err("server is not running"))?;
        py.allow_threads(|| server.publish_system(subject.as_bytes(), data))
            .map_err(|e| errors::publish_error(&e))
    }

    /// Subscribes `callback` (as [`NativeServer::subscribe`]'s) to `subject` in the system
    /// account, as the server. Raises `RuntimeError` without a system account.
    fn subscribe_system(
        &self,
        subject: &str,
        callback: Py<PyAny>,
    ) -> PyResult<services::NativeSubscription> {
        let server = self
            .server()
            .ok_or_else(|| PyRuntimeError::new_err("server is not running"))?;
        let handler = Arc::new(services::PyBatchHandler(callback));
        let sub = server
            .subscribe_system(subject.as_bytes(), handler)
            .map_err(|e| errors::subscribe_error(&e))?;
        Ok(services::NativeSubscription {
            inner: Mutex::new(Some(sub)),
        })
    }

    /// Whether a message on `subject` in the system account would reach anyone (false
    /// without a system account or a running server): periodic events check it first.
    fn system_interest(&self, subject: &str) -> bool {
        self.server()
            .is_some_and(|s| s.system_interest(subject.as_bytes()))
    }

    /// Every account's figures (nats-server's `AccountStat`: `acc`, `name`, `conns`,
    /// `leafnodes`, `total_conns`, `num_subscriptions`, `sent`, `received`,
    /// `slow_consumers`), sorted by name; empty when the server is not running.
    fn account_statz<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = self
            .server()
            .map(|s| monitor::account_statz(s.shared()))
            .unwrap_or_default();
        Ok(pythonize::pythonize(py, &stats)?)
    }

    /// The system account's name, or `None` when the server has none (or is not running).
    fn system_account(&self) -> Option<String> {
        self.server()?.shared().system_account_name()
    }

    /// The `server` block of the next system message (nats-server's `ServerInfo`, with its
    /// sequence number), or `None` when the server is not running.
    fn system_server_info<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(server) = self.server() else {
            return Ok(None);
        };
        let info = fastnats_server::system::server_info(server.shared());
        Ok(Some(pythonize::pythonize(py, &info)?))
    }

    /// JetStream's monitoring figures while it runs, else `None`: `stats` (usage and API
    /// counts), `totals` (streams, consumers, messages, bytes) and, with `accounts`,
    /// `account_details` (with each stream when `streams`, its consumers when `consumers`,
    /// configs when `config`).
    #[pyo3(signature = (accounts = false, streams = false, consumers = false, config = false))]
    fn jetstream<'py>(
        &self,
        py: Python<'py>,
        accounts: bool,
        streams: bool,
        consumers: bool,
        config: bool,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(js) = self.jetstream.lock().clone() else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("stats", pythonize::pythonize(py, &js.stats())?)?;
        d.set_item("totals", pythonize::pythonize(py, &js.totals())?)?;
        if accounts {
            let details = js.account_details(streams, consumers, config);
            d.set_item("account_details", pythonize::pythonize(py, &details)?)?;
        }
        Ok(Some(d))
    }

    /// The names of stream `stream`'s consumers in account `account` (empty without
    /// JetStream, the account or the stream).
    fn jetstream_consumer_names(&self, account: &str, stream: &str) -> Vec<String> {
        self.jetstream
            .lock()
            .clone()
            .map_or_else(Vec::new, |js| js.consumer_names(account, stream))
    }

    /// Counters at this moment: in/out msgs and bytes, connections, subscriptions, ...
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let Some(server) = self.server() else {
            return Ok(d);
        };
        let s = server.stats();
        d.set_item("in_msgs", s.in_msgs)?;
        d.set_item("in_bytes", s.in_bytes)?;
        d.set_item("out_msgs", s.out_msgs)?;
        d.set_item("out_bytes", s.out_bytes)?;
        d.set_item("slow_consumers", s.slow_consumers)?;
        d.set_item("stale_connections", s.stale_connections)?;
        d.set_item("total_connections", s.total_connections)?;
        d.set_item("stalled_clients", s.stalled_clients)?;
        d.set_item("connections", s.connections)?;
        d.set_item("subscriptions", s.subscriptions)?;
        d.set_item("uptime", server.uptime().as_secs_f64())?;
        d.set_item(
            "start",
            snapshot::unix_seconds(server.shared().started_wall),
        )?;
        Ok(d)
    }
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.lock().take() {
            server.stop();
        }
    }
}

/// The defaults of every option, from the Rust `Config::default()` (the one place they live).
/// When the first certificate of `cert_file` expires (RFC 3339), or `None` (`/varz`
/// `tls_cert_not_after`).
#[pyfunction]
fn cert_not_after(cert_file: std::path::PathBuf) -> Option<String> {
    fastnats_server::tls::cert_not_after(&cert_file)
}

#[pyfunction]
fn default_config(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    config::to_dict(py, &Config::default())
}

/// Reads `permissions` (an auth hook's, nats-server's forms) as the engine will, and
/// compiles them; raises `fastnats.ConfigError` naming the bad key or subject. Lets
/// `AuthResult.allow(permissions=...)` refuse a typo where it is written.
#[pyfunction]
fn check_permissions(permissions: &Bound<'_, PyAny>) -> PyResult<()> {
    config::permissions(permissions)
        .map(drop)
        .map_err(|e| errors::config_error(&e))
}

/// An `authorization` option in its explicit form (as `config()` shows it): the engine's
/// one reading of nats-server's forms, for comparing two of them (reload log lines).
/// Raises `fastnats.ConfigError` as the server would.
#[pyfunction]
fn normalize_authorization<'py>(
    py: Python<'py>,
    authorization: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    config::authorization(py, authorization)
}

/// The `jetstream` option as JetStream runs with it (nats-server's `JetStreamConfig` JSON,
/// what `/varz` shows as `jetstream.config`): default limits resolved on this machine now,
/// the data directory, the sync policy. Raises `fastnats.ConfigError` as the server would.
#[pyfunction]
fn resolve_jetstream<'py>(
    py: Python<'py>,
    jetstream: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    config::resolve_jetstream(py, jetstream)
}

/// Logs one line through the engine's logger (the CLI's writer, or the queue Python's
/// `logging` is fed from); `area` is `server`, `auth`, `hooks` or `trace`.
#[pyfunction]
#[pyo3(signature = (level, message, area = "server"))]
fn log(level: &str, message: &str, area: &str) -> PyResult<()> {
    use fastnats_server::log::Area;
    let area = match area {
        "server" => Area::Server,
        "auth" => Area::Auth,
        "hooks" => Area::Hooks,
        "trace" => Area::Trace,
        _ => return Err(PyValueError::new_err(format!("unknown log area {area:?}"))),
    };
    fastnats_server::log::log_to(area, logbridge::parse_level(level)?, message);
    Ok(())
}

/// The CLI's logging: sets the lowest level printed, timestamps, and where lines go (a file,
/// syslog, a remote syslog `udp://host:port`, else standard error) in nats-server's format,
/// in place of the queue `drain_logs()` empties. Raises OSError if the target can not be
/// opened.
#[pyfunction]
#[pyo3(signature = (level, logtime = true, *, file = None, syslog = false, remote_syslog = None))]
fn configure_logging(
    level: &str,
    logtime: bool,
    file: Option<std::path::PathBuf>,
    syslog: bool,
    remote_syslog: Option<String>,
) -> PyResult<()> {
    let opts = fastnats_server::log::LogOptions {
        file,
        syslog,
        remote_syslog,
    };
    let level = logbridge::parse_level(level)?;
    fastnats_server::log::set_output(&opts).map_err(|e| PyOSError::new_err(e.to_string()))?;
    fastnats_server::log::configure(level, logtime);
    Ok(())
}

/// Reopens the log file (SIGUSR1, after rotation).
#[pyfunction]
fn reopen_log() -> PyResult<()> {
    fastnats_server::log::reopen().map_err(|e| PyOSError::new_err(e.to_string()))
}

#[pymodule]
fn _fastnats(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", fastnats_server::VERSION)?;
    m.add(
        "COMPATIBLE_NATS_VERSION",
        fastnats_server::COMPATIBLE_NATS_VERSION,
    )?;
    m.add_class::<NativeServer>()?;
    m.add_class::<services::NativeSubscription>()?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add_function(wrap_pyfunction!(cert_not_after, m)?)?;
    m.add_function(wrap_pyfunction!(check_permissions, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_authorization, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_jetstream, m)?)?;
    m.add_function(wrap_pyfunction!(log, m)?)?;
    m.add_function(wrap_pyfunction!(configure_logging, m)?)?;
    m.add_function(wrap_pyfunction!(reopen_log, m)?)?;
    logbridge::register(m)?;
    Ok(())
}
