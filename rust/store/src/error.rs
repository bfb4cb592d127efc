//! The store's error type. Storage errors are rare and the layer above mostly logs them and
//! answers the client with a generic JetStream error, so one small enum is enough.

use std::fmt;
use std::io;

/// What went wrong in a store operation.
#[derive(Debug)]
pub enum StoreError {
    /// The file system failed (the message says which operation).
    Io(io::Error),
    /// The message cannot be framed: its subject is longer than 65 535 bytes or the whole
    /// record is larger than 2 GiB.
    TooLarge,
    /// A record read back from disk failed its checksum: the message is lost.
    Corrupt {
        /// The sequence that was asked for.
        seq: u64,
    },
}

/// Shorthand for results of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io(e) => write!(f, "storage i/o error: {e}"),
            StoreError::TooLarge => f.write_str("message too large for the store"),
            StoreError::Corrupt { seq } => write!(f, "stored message {seq} is corrupt"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        StoreError::Io(e)
    }
}
