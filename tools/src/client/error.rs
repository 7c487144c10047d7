//! What can go wrong talking to a Loupe server, over the WebSocket or HTTP.

use std::time::Duration;

use loupe::protocol::ErrorCode;
use tokio_tungstenite::tungstenite;

/// What can go wrong talking to a Loupe server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The WebSocket layer failed (handshake, I/O, protocol violation).
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    /// The socket is closed; `code` is the close frame's code (`None`: dropped without a frame).
    #[error("closed (code {code:?}): {reason}")]
    Closed {
        /// Close code, e.g. [`loupe::protocol::close::ENDED`].
        code: Option<u16>,
        /// Close reason text.
        reason: String,
    },
    /// No matching message arrived in time.
    #[error("timed out after {after:?} waiting for {what}; skipped: {skipped:?}")]
    Timeout {
        /// How long we waited.
        after: Duration,
        /// What we were waiting for.
        what: String,
        /// The messages received and skipped meanwhile, shortened (for the failure message).
        skipped: Vec<String>,
    },
    /// The server sent text that is not a valid [`Envelope`].
    #[error("undecodable server message ({error}): {text}")]
    Decode {
        /// The JSON error.
        error: serde_json::Error,
        /// The text received.
        text: String,
    },
    /// The server sent a binary frame, which the protocol never uses.
    #[error("the server sent a binary frame")]
    Binary,
    /// `hello` was answered with an error.
    #[error("hello refused: {code:?}: {message}")]
    Refused {
        /// The error code.
        code: ErrorCode,
        /// The server's explanation.
        message: String,
    },
    /// A message other than the one expected arrived.
    #[error("unexpected message: {0}")]
    Unexpected(String),
    /// A plain I/O error (HTTP).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// An HTTP answer with an unexpected status, or one that cannot be read.
    #[error("http {status}: {body}")]
    Http {
        /// Status code (0 when the answer could not be parsed).
        status: u16,
        /// Body, or what was wrong.
        body: String,
    },
    /// A URL this client cannot use (only `http://host:port/...` and `ws://host:port/...`).
    #[error("bad url: {0}")]
    BadUrl(String),
    /// A JSON body could not be built or read.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl ClientError {
    /// The close code, when this error is a close.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            ClientError::Closed { code, .. } => *code,
            _ => None,
        }
    }
}

/// Result alias for this module.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
