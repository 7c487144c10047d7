//! How the rest of Loupe talks to a session actor: a cloneable handle and the messages it carries.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::machine::HostCommand;
use crate::protocol::{Answer, Close, Role};

/// Identifies one WebSocket connection for the lifetime of the process.
pub type ConnId = u64;

/// Frames a connection's queue holds before the connection counts as too slow and is closed.
pub const CONN_QUEUE: usize = 256;

/// One server message serialised once, with the sequence number it carries: what the actor
/// queues for a connection, which writes the text as it is and keeps the number as the highest
/// it wrote (its own replies carry it) without reading its own output back. Cheap to clone: a
/// broadcast queues the same frame for every recipient, and each queue slot is one pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(Arc<(u64, Utf8Bytes)>);

impl Frame {
    /// The frame of `text`, the envelope serialised with sequence number `seq`.
    pub fn new(seq: u64, text: Utf8Bytes) -> Frame {
        Frame(Arc::new((seq, text)))
    }

    /// The sequence number inside the text.
    pub fn seq(&self) -> u64 {
        self.0 .0
    }

    /// The whole envelope, as JSON text.
    pub fn text(&self) -> &Utf8Bytes {
        &self.0 .1
    }
}

/// The actor's side of one connection: its bounded outgoing queue and a way to close it.
#[derive(Debug, Clone)]
pub struct ConnLink {
    /// Pre-serialised frames; only the actor writes here.
    pub tx: mpsc::Sender<Frame>,
    /// Shared close signal.
    pub ctl: Arc<ConnCtl>,
}

/// How the actor closes a connection: set a close code, then either drop the queue (the
/// connection drains what is queued, then closes) or cancel (it closes at once).
#[derive(Debug, Default)]
pub struct ConnCtl {
    code: AtomicU16,
    /// Cancelled to close at once (slow consumer, takeover).
    pub now: CancellationToken,
}

impl ConnCtl {
    /// Records the close code to use.
    pub fn set_code(&self, code: u16) {
        self.code.store(code, Ordering::Relaxed);
    }

    /// The close code recorded, if any.
    pub fn code(&self) -> Option<u16> {
        match self.code.load(Ordering::Relaxed) {
            0 => None,
            c => Some(c),
        }
    }

    /// The close the actor asked for, if it set a code ([`Close::from_session`]).
    pub fn close(&self) -> Option<Close> {
        self.code().and_then(Close::from_session)
    }

    /// Closes at once with `code`.
    pub fn close_now(&self, code: u16) {
        self.set_code(code);
        self.now.cancel();
    }
}

/// Messages on the actor's control channel, polled before pupil input.
#[derive(Debug)]
pub enum Control {
    /// A connection said `hello`; the actor checks the secret and registers it.
    Attach {
        /// The connection.
        conn: ConnId,
        /// Claimed role.
        role: Role,
        /// Host secret, screen token or resume token.
        secret: Option<String>,
        /// A first join's ticket, from the QR code's link (see [`super::secret::join_ticket`]).
        ticket: Option<String>,
        /// Its queue.
        link: ConnLink,
    },
    /// A connection ended.
    Detach {
        /// The connection.
        conn: ConnId,
    },
    /// A host command.
    Host {
        /// The host connection.
        conn: ConnId,
        /// The command.
        cmd: HostCommand,
        /// Its wire name (`ClientMsg::name`), for error replies.
        name: &'static str,
    },
    /// A phone claimed this session's pairing code (`POST /api/remote/claim`): it waits for the
    /// teacher to accept or refuse it on the console, and will say `hello` with the credential
    /// whose hash this is.
    Claimed {
        /// SHA-256 of the credential handed to the phone, hex.
        credential_hash: String,
    },
    /// Device management from a host connection; only a console holding the host secret is
    /// obeyed.
    Device {
        /// The host connection.
        conn: ConnId,
        /// What to do.
        cmd: DeviceCommand,
        /// Its wire name, for error replies.
        name: &'static str,
    },
}

/// The console's answers about phone remotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCommand {
    /// Let a waiting phone drive the lesson.
    Accept(u32),
    /// Turn a waiting phone away.
    Refuse(u32),
    /// Disconnect a paired device for good.
    Revoke(u32),
}

/// What a pupil sends once attached.
#[derive(Debug)]
pub enum PupilMsg {
    /// An answer, as the pupil sent it.
    Answer(Answer),
    /// "I'd like to talk to an adult".
    Help,
}

/// A pupil message stamped with its arrival time.
#[derive(Debug)]
pub struct PupilInput {
    /// The connection it came from.
    pub conn: ConnId,
    /// When its frame arrived (answers are timed on arrival, not on processing).
    pub at: Instant,
    /// The message.
    pub msg: PupilMsg,
}

/// A cloneable handle to one live session actor.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    /// Join code.
    pub code: Arc<str>,
    /// Control channel (attach, detach, host commands).
    pub control: mpsc::Sender<Control>,
    /// Pupil input channel.
    pub inputs: mpsc::Sender<PupilInput>,
    /// SHA-256 of the host secret (fixed for the session's life), so HTTP calls made on the
    /// host's behalf (pairing a phone remote) can be checked without a round trip to the actor.
    pub host_hash: Arc<str>,
}

impl SessionHandle {
    /// Whether `secret` is this session's host secret (compared in constant time). Only the
    /// master secret counts: a paired device's credential never does (it may drive the lesson,
    /// not pair other phones).
    pub fn is_host_secret(&self, secret: &str) -> bool {
        super::secret::matches(secret, &self.host_hash)
    }
}
