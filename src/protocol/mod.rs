//! The WebSocket protocol: every message a client may send and every message the server sends.
//!
//! Messages are JSON text frames, internally tagged by `"type"` in `snake_case`. Server messages
//! are wrapped in an [`Envelope`] that adds the session's sequence number. `docs/PROTOCOL.md`
//! documents each message with an example; keep the two in step. By job: [`client`] (what
//! clients send), [`server`] (what the server sends), [`objects`] (the shared objects inside
//! server messages), [`error`] (error codes) and [`close`] (close codes).

pub mod client;
pub mod close;
pub mod error;
pub mod objects;
pub mod server;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use client::{Answer, ClientMsg, HostCommand, CLIENT_MESSAGE_TYPES};
pub use close::Close;
pub use error::ErrorCode;
pub use objects::*;
pub use server::{DeviceEntry, EndReason, Envelope, PlayerEntry, ServerMsg};

/// Version of this protocol; a `hello` with another version is refused with
/// [`ErrorCode::VersionMismatch`] and close code [`close::VERSION`].
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest text frame a pupil or screen may send (bytes). Larger frames close the socket with 1009.
pub const MAX_PUPIL_MESSAGE: usize = 4 * 1024;
/// Largest text frame a host may send (bytes).
pub const MAX_HOST_MESSAGE: usize = 64 * 1024;

/// Who a connection speaks for, chosen in `hello`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The teacher's console (authenticated by the host secret) or a phone remote the console
    /// paired (authenticated by that device's own credential).
    Host,
    /// A pupil's phone; joins without credentials or resumes with its token.
    Player,
    /// The read-only projector view; authenticated by the screen token.
    Screen,
}

/// A pupil's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// "I'd rather not answer": counted in the number of answers, in no distribution and no score.
    Pass,
    /// Indices into the question's `options` (exactly one unless the question is `multiple`).
    Options(Vec<u8>),
}
