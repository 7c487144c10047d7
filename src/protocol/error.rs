//! Why something was refused: the `code` of every `error` message.

use serde::{Deserialize, Serialize};

/// Why something was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not valid JSON, or fields of the wrong type.
    Malformed,
    /// JSON with a `type` this server does not know.
    UnknownType,
    /// Binary frames are not part of the protocol.
    BinaryFrame,
    /// `hello` carries another protocol version.
    VersionMismatch,
    /// The first message must be `hello`.
    HelloRequired,
    /// `hello` was already accepted on this socket.
    AlreadyGreeted,
    /// No live session has this join code.
    UnknownSession,
    /// The host secret or screen token is wrong.
    BadSecret,
    /// The resume token is unknown (or the pupil was removed).
    BadToken,
    /// The lobby is locked: new pupils cannot join.
    LobbyLocked,
    /// The session has as many pupils as it accepts.
    SessionFull,
    /// The session is finished: no new pupils.
    SessionFinished,
    /// This role may not send that message.
    NotAllowed,
    /// The command does not fit where the session is (e.g. `reveal` with nothing to reveal).
    WrongPhase,
    /// The answer is for a question (or round) that is not open.
    QuestionNotOpen,
    /// No such question in this session.
    UnknownQuestion,
    /// Option out of range, several options on a single-choice question, or none.
    BadChoice,
    /// The answer arrived after the deadline and its grace.
    TooLate,
    /// The session is paused: answers wait for the host to resume.
    Paused,
    /// No such player.
    UnknownPlayer,
    /// The question has no timer.
    NoTimer,
    /// To a phone waiting to pair: the teacher refused it on the console.
    PairingRefused,
    /// A device command names no waiting or paired device.
    UnknownDevice,
    /// The session has as many paired devices as it accepts.
    TooManyDevices,
    /// Too many messages: slow down (the connection is closed if it goes on).
    RateLimited,
    /// The server is busy saving; send the same message again shortly.
    Busy,
    /// Something went wrong on the server; nothing was changed.
    Internal,
}
