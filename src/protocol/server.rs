//! What the server sends: [`ServerMsg`] in its [`Envelope`], and the small types only it uses.

use serde::{Deserialize, Serialize};

use super::{
    Choice, Distribution, ErrorCode, Facilitator, OptionView, PodiumEntry, PrivateResult, Role,
    ScaleView, SessionInfo, Stage, Summary,
};

/// Every server message: the session's sequence number (the number of events the session has
/// recorded when the message was sent) and the message itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Session sequence number; never decreases on one socket.
    pub seq: u64,
    /// The message.
    #[serde(flatten)]
    pub msg: ServerMsg,
}

impl Envelope {
    /// The JSON text frame of `msg` at sequence number `seq`: the one way the server serialises
    /// what it sends.
    pub fn text(seq: u64, msg: ServerMsg) -> String {
        serde_json::to_string(&Envelope { seq, msg }).unwrap_or_else(|_| {
            // Serialising the server's own types cannot fail; say so on the wire rather than panic.
            r#"{"seq":0,"type":"error","code":"internal","message":"serialisation failed"}"#.into()
        })
    }
}

/// Messages from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Reply to a good `hello`; the role's snapshot follows at once.
    Welcome {
        /// The role granted.
        role: Role,
        /// The session.
        session: SessionInfo,
        /// Player only, on a first join: the resume token. Keep it; it is never sent again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// Player in challenge mode: the generated pseudonym.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Host and screen: the join ticket, for the QR code's link (`/join/{code}#{ticket}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket: Option<String>,
    },
    /// Where the session is now (sent on every change and in every snapshot).
    Phase {
        /// The stage.
        stage: Stage,
        /// The session is paused for discussion.
        paused: bool,
        /// The question the stage is about (open, closed, revealed or reviewed), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
        /// 0-based position of that question.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u32>,
        /// 0-based position of the last question opened: `next` opens the one after it (or
        /// finishes after the last), whatever is being reviewed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<u32>,
        /// New pupils cannot join.
        locked: bool,
    },
    /// A question is open (to phones and screens; hosts also get [`ServerMsg::Facilitator`]).
    Question {
        /// Question id.
        question: String,
        /// 0-based position in the session.
        index: u32,
        /// Number of questions in the session.
        total: u32,
        /// 1, or 2 for a second vote.
        round: u8,
        /// single, multiple, true_false or scale.
        kind: crate::quiz::model::QuestionKind,
        /// Full question text.
        text: String,
        /// Options in order.
        options: Vec<OptionView>,
        /// Scale bounds (scale questions).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale: Option<ScaleView>,
        /// Milliseconds left when sent, if timed (never a wall-clock time).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_left_ms: Option<u64>,
        /// Sensitive question.
        sensitive: bool,
    },
    /// Host only: notes and answer key for the question just opened.
    Facilitator(Facilitator),
    /// Timer changes for the open question (pause, resume, +30 s).
    Timer {
        /// Question id.
        question: String,
        /// Milliseconds left (`None`: untimed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_left_ms: Option<u64>,
        /// Paused: the timer is stopped.
        paused: bool,
    },
    /// To the answering pupil only: the answer they gave and that counts.
    Ack {
        /// Question id.
        question: String,
        /// Round.
        round: u8,
        /// The client sequence number acknowledged.
        client_seq: u64,
        /// The choice recorded.
        choice: Choice,
    },
    /// Host and screen: how many answered so far (never per option while open).
    Answers {
        /// Question id.
        question: String,
        /// Round.
        round: u8,
        /// Pupils who answered or passed.
        count: u32,
        /// Pupils in the session who could answer.
        pupils: u32,
    },
    /// Host and screen: devices connected and pupils joined.
    Presence {
        /// Pupil devices connected now.
        connected: u32,
        /// Pupils who joined.
        joined: u32,
    },
    /// Host and screen: results of a closed question (or an earlier one shown again).
    Results {
        /// Question id.
        question: String,
        /// Question text (a screen opened after the close has not seen the question).
        text: String,
        /// Option texts.
        options: Vec<String>,
        /// First vote.
        results: Distribution,
        /// Second vote, when there was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        second_vote: Option<Distribution>,
        /// Correct options, only once revealed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correct: Option<Vec<u8>>,
    },
    /// Everyone: the reveal, one shared broadcast from which each phone works out its feedback.
    Reveal {
        /// Question id.
        question: String,
        /// Correct options (knowledge questions).
        correct: Vec<u8>,
        /// Points per option (self-assessment questions).
        points: Vec<Option<u32>>,
        /// Explanation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        explanation: Option<String>,
        /// The first vote's distribution.
        results: Distribution,
        /// Challenge mode: the top three so far (host and screen).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        podium: Vec<PodiumEntry>,
    },
    /// Host and screen: the class summary.
    Summary(Summary),
    /// One pupil only: their private score and advice.
    Result(PrivateResult),
    /// Host in challenge mode: the players (pseudonyms), for removing one.
    Players {
        /// Pseudonym id and name.
        players: Vec<PlayerEntry>,
    },
    /// Host only: new anonymous "talk to an adult" requests, at most once a minute.
    HelpRequests {
        /// Requests since the last message.
        new: u32,
        /// All requests this session.
        total: u32,
    },
    /// To a phone that claimed a pairing code: the teacher has not answered yet on the console.
    /// A `welcome` follows if they accept; an `error` `pairing_refused` and close 4003 if not.
    PairingWaiting {
        /// This phone's number in the session ("Phone 1"), also shown on the console.
        device: u32,
    },
    /// Console only (the host secret): phones waiting for the teacher's answer, and the devices
    /// that can drive the lesson. Sent when the console attaches and whenever either changes.
    Devices {
        /// Numbers of the phones that claimed a pairing code and wait for accept or refuse.
        waiting: Vec<u32>,
        /// Paired devices not revoked, oldest first.
        devices: Vec<DeviceEntry>,
    },
    /// The session has ended; the socket is closed after this.
    Ended {
        /// Why, when it was not the host's `end` (absent then, and from older servers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<EndReason>,
    },
    /// Reply to [`ClientMsg::Ping`](super::ClientMsg::Ping).
    Pong {
        /// The ping's nonce.
        nonce: u64,
    },
    /// Something was refused; the connection carries on unless a close frame follows.
    Error {
        /// Machine-readable code.
        code: ErrorCode,
        /// Plain-words explanation (English), for logs and developers.
        message: String,
        /// The client message type this answers, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        in_reply_to: Option<String>,
    },
}

/// Why a session ended without its host's `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// No host was connected for `--host-grace`.
    HostAway,
    /// The session reached `--max-session-life`.
    MaxLife,
}

/// A challenge-mode player as the host sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerEntry {
    /// Opaque id for [`ClientMsg::Remove`](super::ClientMsg::Remove).
    pub id: String,
    /// Pseudonym.
    pub name: String,
}

/// A paired device as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceEntry {
    /// Its number in the session ("Phone 1").
    pub device: u32,
    /// When the teacher accepted it (Unix ms, the server's clock).
    pub paired_unix_ms: u64,
    /// Whether it is connected now.
    pub connected: bool,
}
