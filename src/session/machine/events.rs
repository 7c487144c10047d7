//! What goes into the machine (commands), what comes out as facts (events) and refusals.
//!
//! Events carry every random value and every time, so replaying them with `apply` rebuilds
//! exactly the same session, on this machine or after a restart. They are the in-memory facts:
//! what a journal keeps of each is its record (`record::EventRecord`), never these types.

use std::sync::Arc;

pub use crate::protocol::HostCommand;
use crate::protocol::{Answer, Choice, EndReason, ErrorCode, ServerMsg};
use crate::quiz::model::Quiz;
use crate::session::SessionOptions;

/// A pupil's id inside one session: random, never shown to other pupils, not their token.
pub type PupilId = u64;

/// Session-relative time in milliseconds (0 = the session's creation).
pub type Millis = u64;

/// Grace after a deadline during which an answer stamped on arrival is still accepted, so a tap
/// made in time is not lost to network latency.
pub const GRACE_MS: Millis = 2_000;

/// Time given by "add time".
pub const ADD_TIME_MS: Millis = 30_000;

/// The first event of every session: everything needed to rebuild it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCreated {
    /// Join code.
    pub code: String,
    /// The quiz, already narrowed to the selected questions.
    pub quiz: Arc<Quiz>,
    /// Options chosen by the teacher.
    pub options: SessionOptions,
    /// SHA-256 of the host secret, hex.
    pub host_hash: String,
    /// SHA-256 of the screen token, hex.
    pub screen_hash: String,
    /// Wall-clock creation time (Unix ms), for retention only; the machine never reads clocks.
    pub created_unix_ms: u64,
}

/// An accepted fact. Index of the question (`q`) is its position in the session's quiz. Each
/// variant is journalled as the [`super::record::EventRecord`] of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The session exists.
    Created(Box<SessionCreated>),
    /// A new pupil joined.
    PupilJoined {
        /// Their random id.
        pupil: PupilId,
        /// SHA-256 of their resume token, hex.
        token_hash: String,
        /// Challenge mode: the generated pseudonym.
        name: Option<String>,
        /// When.
        at_ms: Millis,
    },
    /// The host removed a pupil (challenge mode).
    PupilRemoved {
        /// Who.
        pupil: PupilId,
    },
    /// The lobby was locked or unlocked.
    LobbyLocked {
        /// New state.
        locked: bool,
    },
    /// The host started the quiz.
    Started {
        /// When.
        at_ms: Millis,
    },
    /// A question (or its second vote) opened.
    QuestionOpened {
        /// Question index.
        q: u32,
        /// 1 or 2.
        round: u8,
        /// When.
        at_ms: Millis,
        /// Deadline, when timed.
        deadline_ms: Option<Millis>,
    },
    /// A pupil's answer counts (replacing any earlier one for the same round).
    AnswerRecorded {
        /// Who.
        pupil: PupilId,
        /// Question index.
        q: u32,
        /// Round.
        round: u8,
        /// The client's sequence number.
        client_seq: u64,
        /// What they chose.
        choice: Choice,
        /// Arrival time of the frame.
        at_ms: Millis,
    },
    /// The open question stopped taking answers.
    QuestionClosed {
        /// Question index.
        q: u32,
        /// When.
        at_ms: Millis,
    },
    /// The current question's answer was revealed.
    Revealed {
        /// Question index.
        q: u32,
    },
    /// Paused for discussion.
    Paused {
        /// When.
        at_ms: Millis,
    },
    /// The pause ended.
    Resumed {
        /// When.
        at_ms: Millis,
    },
    /// 30 seconds more for the open question.
    TimeAdded {
        /// Added milliseconds.
        ms: Millis,
    },
    /// The question is left out of scores and results.
    Skipped {
        /// Question index.
        q: u32,
    },
    /// The host shows an earlier question's results.
    ResultsShown {
        /// Question index.
        q: u32,
    },
    /// The quiz is over.
    Finished {
        /// When.
        at_ms: Millis,
    },
    /// A pupil asked, anonymously, to talk to an adult.
    HelpRequested,
    /// The session is over for good.
    Ended {
        /// When.
        at_ms: Millis,
        /// Why, when it was not the host's `end`.
        reason: Option<EndReason>,
    },
    /// The teacher accepted, on the console, a phone that claimed the pairing code: it may drive
    /// the lesson with its own credential (never the host secret).
    DevicePaired {
        /// Its number in the session ("Phone 1"), 1 and up.
        device: u32,
        /// SHA-256 of its credential, hex.
        credential_hash: String,
        /// When.
        at_ms: Millis,
        /// Wall-clock time of the pairing (Unix ms), for the console's list only.
        unix_ms: u64,
    },
    /// The teacher disconnected a paired device: its credential no longer works.
    DeviceRevoked {
        /// Its number.
        device: u32,
        /// When.
        at_ms: Millis,
    },
}

impl Event {
    /// The event's kind as the journal names it (`answer_recorded`), for log lines.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Created(_) => "created",
            Event::PupilJoined { .. } => "pupil_joined",
            Event::PupilRemoved { .. } => "pupil_removed",
            Event::LobbyLocked { .. } => "lobby_locked",
            Event::Started { .. } => "started",
            Event::QuestionOpened { .. } => "question_opened",
            Event::AnswerRecorded { .. } => "answer_recorded",
            Event::QuestionClosed { .. } => "question_closed",
            Event::Revealed { .. } => "revealed",
            Event::Paused { .. } => "paused",
            Event::Resumed { .. } => "resumed",
            Event::TimeAdded { .. } => "time_added",
            Event::Skipped { .. } => "skipped",
            Event::ResultsShown { .. } => "results_shown",
            Event::Finished { .. } => "finished",
            Event::HelpRequested => "help_requested",
            Event::Ended { .. } => "ended",
            Event::DevicePaired { .. } => "device_paired",
            Event::DeviceRevoked { .. } => "device_revoked",
        }
    }
}

/// Inputs to [`super::Session::decide`]. Random values are drawn by the caller and carried in.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A new pupil asks to join.
    Join {
        /// A fresh random id.
        pupil: PupilId,
        /// Hash of a fresh random token.
        token_hash: String,
        /// Random seed for the pseudonym (challenge mode).
        name_seed: u64,
        /// Most pupils the session accepts.
        max_players: u32,
    },
    /// A pupil answers.
    Answer {
        /// Who.
        pupil: PupilId,
        /// The answer, as the pupil sent it.
        answer: Answer,
        /// When the frame arrived.
        at_ms: Millis,
    },
    /// A pupil asks to talk to an adult.
    HelpRequest,
    /// A host command.
    Host(HostCommand),
    /// A deadline passed; closes a timed question that is due.
    Tick,
    /// The teacher accepted a waiting phone (the actor checked the master secret and holds the
    /// phone's credential hash, drawn when it claimed the pairing code).
    PairDevice {
        /// The number the phone was given when it claimed.
        device: u32,
        /// SHA-256 of its credential.
        credential_hash: String,
        /// Wall-clock time (Unix ms), read by the caller.
        unix_ms: u64,
    },
    /// The teacher disconnected a paired device.
    RevokeDevice {
        /// Its number.
        device: u32,
    },
    /// The server ends the session by itself (host away too long, maximum life reached).
    Expire(EndReason),
}

/// Why a command produced no event.
#[derive(Debug, Clone, PartialEq)]
pub enum Reject {
    /// Refused: tell the sender.
    Refused {
        /// Error code.
        code: ErrorCode,
        /// Plain words.
        message: String,
    },
    /// An answer with the same client sequence number as the recorded one: nothing changes, and
    /// the pupil is sent this acknowledgement of the recorded answer again (the phone only lost
    /// the first one).
    Duplicate(Box<ServerMsg>),
    /// An answer older than the recorded one: ignore it.
    Stale,
    /// Nothing to do (a tick with no deadline due).
    Nothing,
}

impl Reject {
    /// A refusal with a code and message.
    pub fn refused(code: ErrorCode, message: impl Into<String>) -> Reject {
        Reject::Refused {
            code,
            message: message.into(),
        }
    }
}
