//! The error type of converge-relay.

use thiserror::Error;

/// What went wrong in the relay or its client.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The durable storage failed (I/O, a full disk, a corrupt file, a lost backend).
    #[error("storage: {0}")]
    Storage(String),
    /// A sync message or saved state was rejected.
    #[error(transparent)]
    Sync(#[from] converge_sync::Error),
    /// A converge value could not be decoded or encoded.
    #[error(transparent)]
    Codec(#[from] converge_core::Error),
    /// A converge value could not be encoded.
    #[error(transparent)]
    Encode(#[from] converge_core::EncodeError),
    /// A network or file error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A WebSocket error (client side).
    #[error("websocket: {0}")]
    WebSocket(String),
    /// The relay closed the connection with a code the client must not retry.
    #[error("the relay refused the connection: close code {code} ({reason})")]
    Refused {
        /// The close code (see [`close_code`](crate::close_code)).
        code: u16,
        /// The reason text the relay gave.
        reason: String,
    },
    /// Bad configuration (listen address, secret, limits).
    #[error("configuration: {0}")]
    Config(String),
    /// The client was closed or its task ended.
    #[error("the client is closed")]
    Closed,
    /// A wait ran past its deadline.
    #[error("timed out")]
    Timeout,
}

#[cfg(feature = "server")]
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}
