//! Parse limits of one connection.

/// nats-server's default `max_control_line` (bytes of arguments after the op name).
pub const DEFAULT_MAX_CONTROL_LINE: usize = 4096;
/// nats-server's default `max_payload` (1 MiB).
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// What the parser enforces on each op, checked on the control line before any payload byte
/// is read, as nats-server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum length of the argument part of a control line.
    pub max_control_line: usize,
    /// Maximum payload (for `HPUB`, headers plus payload).
    pub max_payload: usize,
    /// Whether the connection negotiated headers; `HPUB` without them is a protocol violation.
    pub headers: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_control_line: DEFAULT_MAX_CONTROL_LINE,
            max_payload: DEFAULT_MAX_PAYLOAD,
            headers: false,
        }
    }
}
