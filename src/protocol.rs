//! The WebSocket protocol: every message a client may send and every message the server sends.
//!
//! Messages are JSON text frames, internally tagged by `"type"` in `snake_case`. Server messages
//! are wrapped in an [`Envelope`] that adds the session's sequence number. `docs/PROTOCOL.md`
//! documents each message with an example; keep the two in step.

use serde::{Deserialize, Serialize};

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

/// Messages from a client. The first one on every socket must be [`ClientMsg::Hello`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Opens the conversation. Secrets travel here, never in a URL.
    Hello {
        /// Must equal [`PROTOCOL_VERSION`].
        version: u32,
        /// Host, player or screen.
        role: Role,
        /// The 6-digit join code.
        code: String,
        /// Host: the host secret. Screen: the screen token. Player: the resume token, or
        /// absent to join as a new pupil.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        /// Player joining for the first time from the QR code's link: the join ticket in that
        /// link's fragment. It spares the join the failed-join limits of its address.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket: Option<String>,
    },
    /// A pupil answers (or passes) the open question.
    Answer {
        /// Question id, as sent in [`ServerMsg::Question`].
        question: String,
        /// Voting round, as sent in [`ServerMsg::Question`] (1, or 2 for a second vote).
        #[serde(default = "first_round")]
        round: u8,
        /// Client sequence number, increasing with every new answer the pupil gives: the highest
        /// wins, an equal one is acknowledged again, a lower one is ignored.
        client_seq: u64,
        /// What the pupil chose.
        choice: Choice,
    },
    /// A pupil asks, anonymously, to talk to an adult.
    TalkToAdult,
    /// Application-level ping, answered by [`ServerMsg::Pong`] (pages cannot send WebSocket pings).
    Ping {
        /// Echoed back.
        #[serde(default)]
        nonce: u64,
    },
    /// Host: close the lobby and show the quiz's intro on the projector.
    Start,
    /// Host: open the next question (from the intro, or once the current one is closed or
    /// revealed); after the last question, finish.
    Next,
    /// Host: stop taking answers for the open question.
    Close,
    /// Host: show the correct options, explanation and distribution to everyone (closes first).
    Reveal,
    /// Host: pause for discussion; the timer stops and phones say "discussion".
    Pause,
    /// Host: end the pause; an open question's timer carries on where it stopped.
    Resume,
    /// Host: give the open question 30 more seconds (timed questions only).
    AddTime,
    /// Host: leave the current question out of scores and results and open the next one.
    Skip,
    /// Host: show an earlier question's results again on the projector.
    ShowResults {
        /// Question id.
        question: String,
    },
    /// Host: re-open the current (closed or revealed) question for a second vote; scores keep
    /// the first vote and results show both side by side.
    Revote,
    /// Host: finish now: everyone sees the summary or their own result.
    Finish,
    /// Host: stop new pupils from joining (resumes still work).
    Lock,
    /// Host: let new pupils join again.
    Unlock,
    /// Host (challenge mode): remove a pupil by their pseudonym id.
    Remove {
        /// The `id` from [`ServerMsg::Players`].
        player: String,
    },
    /// Host: end the session for everyone ("finish and clear"); it cannot be resumed.
    End,
    /// Console only (the host secret): let the phone that claimed the pairing code drive the
    /// lesson, with its own credential.
    AcceptDevice {
        /// The device's number, from [`ServerMsg::Devices`].
        device: u32,
    },
    /// Console only: refuse the phone that claimed the pairing code; its attempt ends.
    RefuseDevice {
        /// The device's number, from [`ServerMsg::Devices`].
        device: u32,
    },
    /// Console only: disconnect a paired device at once; its credential stops working.
    RevokeDevice {
        /// The device's number, from [`ServerMsg::Devices`].
        device: u32,
    },
}

/// The `type` of every client message, as sent on the wire (tells an unknown type from a
/// malformed message).
pub const CLIENT_MESSAGE_TYPES: &[&str] = &[
    "hello",
    "answer",
    "talk_to_adult",
    "ping",
    "start",
    "next",
    "close",
    "reveal",
    "pause",
    "resume",
    "add_time",
    "skip",
    "show_results",
    "revote",
    "finish",
    "lock",
    "unlock",
    "remove",
    "end",
    "accept_device",
    "refuse_device",
    "revoke_device",
];

fn first_round() -> u8 {
    1
}

impl ClientMsg {
    /// Whether only a host may send this message.
    pub fn is_host_command(&self) -> bool {
        !matches!(
            self,
            ClientMsg::Hello { .. }
                | ClientMsg::Answer { .. }
                | ClientMsg::TalkToAdult
                | ClientMsg::Ping { .. }
        )
    }

    /// The wire name of the message, for error replies (`in_reply_to`).
    pub fn name(&self) -> &'static str {
        match self {
            ClientMsg::Hello { .. } => "hello",
            ClientMsg::Answer { .. } => "answer",
            ClientMsg::TalkToAdult => "talk_to_adult",
            ClientMsg::Ping { .. } => "ping",
            ClientMsg::Start => "start",
            ClientMsg::Next => "next",
            ClientMsg::Close => "close",
            ClientMsg::Reveal => "reveal",
            ClientMsg::Pause => "pause",
            ClientMsg::Resume => "resume",
            ClientMsg::AddTime => "add_time",
            ClientMsg::Skip => "skip",
            ClientMsg::ShowResults { .. } => "show_results",
            ClientMsg::Revote => "revote",
            ClientMsg::Finish => "finish",
            ClientMsg::Lock => "lock",
            ClientMsg::Unlock => "unlock",
            ClientMsg::Remove { .. } => "remove",
            ClientMsg::End => "end",
            ClientMsg::AcceptDevice { .. } => "accept_device",
            ClientMsg::RefuseDevice { .. } => "refuse_device",
            ClientMsg::RevokeDevice { .. } => "revoke_device",
        }
    }
}

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

/// Session modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fully anonymous: no names, no ranking (default).
    #[default]
    Reflection,
    /// Generated pseudonyms, points for correct answers, top 3 on the projector.
    Challenge,
}

/// What the session is, sent in [`ServerMsg::Welcome`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Join code.
    pub code: String,
    /// Quiz title.
    pub title: String,
    /// Quiz language (`fr` or `en`).
    pub lang: String,
    /// Reflection or challenge.
    pub mode: Mode,
    /// Number of questions in this session.
    pub questions: u32,
    /// The threshold N of the disclosure rules: no published cell can be worked out below it.
    pub min_count: u32,
    /// Content warning of the quiz, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_warning: Option<String>,
    /// A local contact the teacher typed for the help screen (e.g. "Mme Martin, CPE, bureau 12").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_contact: Option<String>,
    /// Phones show the advice but not the score number.
    #[serde(default)]
    pub hide_score: bool,
}

/// Where the session is, as every role sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for pupils.
    Lobby,
    /// Started, before the first question: look at the projector.
    Intro,
    /// A question is open for answers.
    Open,
    /// The question is closed; results are on the projector.
    Closed,
    /// The answer has been revealed.
    Revealed,
    /// The host is showing an earlier question's results.
    Review,
    /// The quiz is over; summaries and private results are out.
    Finished,
}

/// One option as phones and the projector see it (no hint of correctness).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionView {
    /// Option text.
    pub text: String,
}

/// One round's counts as they may be published: `null` means hidden, never "fewer than N".
///
/// The disclosure rules (`session::machine::disclosure`, `docs/PROTOCOL.md` § privacy) decide
/// which cells are hidden so that no hidden cell can be worked out from everything published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Pupils who answered (passes included): always public, it is shown live.
    pub answered: u32,
    /// Pupils who passed; `None` when hidden to protect a hidden option count.
    pub passed: Option<u32>,
    /// Per-option counts; `None` when every option count is hidden; a `null` count is hidden
    /// (it could be anything from 0 to the sum of the hidden cells, which is above `min_count`).
    pub counts: Option<Vec<Option<u32>>>,
}

/// Bounds and labels of a scale question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleView {
    /// Lowest value.
    pub min: i32,
    /// Highest value.
    pub max: i32,
    /// Label of the low end.
    pub min_label: String,
    /// Label of the high end.
    pub max_label: String,
}

/// Facilitator notes and answer key, for hosts only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facilitator {
    /// Question id.
    pub question: String,
    /// Indices of the correct options (knowledge questions).
    pub correct: Vec<u8>,
    /// Self-assessment points per option (`null` where none).
    pub points: Vec<Option<u32>>,
    /// Explanation shown after the reveal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Discussion prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Key fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fact: Option<String>,
    /// Source of the fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Tip for handling the question in class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<String>,
}

/// A podium entry (challenge mode): at most three are ever sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodiumEntry {
    /// 1, 2 or 3 (ties share a rank).
    pub rank: u32,
    /// Generated pseudonym.
    pub name: String,
    /// Points.
    pub points: u32,
}

/// Per-question results in the class summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionSummary {
    /// Question id.
    pub question: String,
    /// Question text.
    pub text: String,
    /// Option texts.
    pub options: Vec<String>,
    /// Indices of the correct options.
    pub correct: Vec<u8>,
    /// First vote.
    pub results: Distribution,
    /// Second vote, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_vote: Option<Distribution>,
    /// Left out by the host.
    pub skipped: bool,
}

/// One bar of the class's score histogram: the pupils whose class score is in `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreBin {
    /// Lowest score of the range (a multiple of 10).
    pub from: u8,
    /// Highest score of the range (9, 19, … or 100).
    pub to: u8,
    /// Pupils in the range: 0 or at least `min_count` (small ranges are merged with neighbours).
    pub pupils: u32,
}

/// The anonymous class summary at the end.
///
/// Class scores (histogram, mean, median, podium) are computed only over the scored questions
/// shown in full (no hidden cell in their first vote), so they say nothing about a hidden count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Pupils who joined.
    pub pupils: u32,
    /// Pupils with a class score (enough answered questions among those counted).
    pub scored: u32,
    /// Scored questions asked (not skipped).
    #[serde(default)]
    pub scored_questions: u32,
    /// Of those, the questions shown in full, which the class scores are computed on.
    #[serde(default)]
    pub counted_questions: u32,
    /// Class scores in ranges covering 0–100 (10 points wide, wider where merged so that each
    /// holds 0 or at least `min_count` pupils); empty when fewer than `min_count` have a score.
    pub histogram: Vec<ScoreBin>,
    /// Mean class score, read off the histogram (bin midpoints), rounded; `None` without one.
    pub mean: Option<f64>,
    /// Median class score, read off the histogram (interpolated), rounded; `None` without one.
    pub median: Option<f64>,
    /// Per-question results.
    pub questions: Vec<QuestionSummary>,
    /// Challenge mode: the top three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub podium: Vec<PodiumEntry>,
}

/// A tip for a question where the pupil did not earn every point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdviceItem {
    /// Question id.
    pub question: String,
    /// Question text.
    pub text: String,
    /// The tip.
    pub advice: String,
}

/// The pupil's private result (sent only to that pupil).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateResult {
    /// Score out of 100; `None` when the pupil answered fewer than `min_questions` scored
    /// questions (or the session hides scores).
    pub score: Option<u8>,
    /// Scored questions the pupil answered (the score is based on them).
    pub scored_questions: u32,
    /// Answered scored questions a score needs: below it, no score, no points and no rank.
    #[serde(default)]
    pub min_questions: u32,
    /// Scored questions the pupil was present for.
    pub present_questions: u32,
    /// The band's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_title: Option<String>,
    /// The band's advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_advice: Option<String>,
    /// Tips for the questions where points were lost.
    pub advice: Vec<AdviceItem>,
    /// Challenge mode: points on the questions the podium counts (with enough answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Challenge mode: rank among the pupils with points, only when in the top third.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Where to get help.
    pub resources: Vec<crate::quiz::model::Resource>,
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
    /// Reply to [`ClientMsg::Ping`].
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
    /// Opaque id for [`ClientMsg::Remove`].
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

/// WebSocket close codes used by Loupe (4000–4999 are application codes).
pub mod close {
    /// The session ended.
    pub const ENDED: u16 = 4000;
    /// A newer connection of the same pupil took over (hosts and screens may have several).
    pub const REPLACED: u16 = 4001;
    /// The host removed this pupil.
    pub const REMOVED: u16 = 4002;
    /// `hello` was refused (see the error message sent just before).
    pub const REFUSED: u16 = 4003;
    /// Unknown join code.
    pub const UNKNOWN_SESSION: u16 = 4004;
    /// Protocol version not supported.
    pub const VERSION: u16 = 4005;
    /// The teacher disconnected this paired device; its credential no longer works.
    pub const REVOKED: u16 = 4006;
    /// The connection could not keep up (its queue filled); resume.
    pub const TOO_SLOW: u16 = 4008;
    /// No `hello` in time, or the heartbeat was missed.
    pub const TIMEOUT: u16 = 4009;
    /// Too many messages.
    pub const FLOOD: u16 = 4029;
    /// Message larger than allowed (standard code).
    pub const TOO_BIG: u16 = 1009;
    /// The server is restarting; resume shortly (standard code).
    pub const RESTART: u16 = 1012;
    /// The server is shutting down (standard code).
    pub const GOING_AWAY: u16 = 1001;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip() {
        let msgs = [
            r#"{"type":"hello","version":1,"role":"player","code":"123456"}"#,
            r#"{"type":"answer","question":"q1","client_seq":3,"choice":{"options":[1,2]}}"#,
            r#"{"type":"answer","question":"q1","round":2,"client_seq":4,"choice":"pass"}"#,
            r#"{"type":"show_results","question":"q1"}"#,
            r#"{"type":"next"}"#,
        ];
        for m in msgs {
            let parsed: ClientMsg = serde_json::from_str(m).unwrap();
            let again: ClientMsg =
                serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
            assert_eq!(parsed, again);
        }
    }

    #[test]
    fn envelope_is_flat() {
        let e = Envelope {
            seq: 7,
            msg: ServerMsg::Pong { nonce: 2 },
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"seq":7,"type":"pong","nonce":2}"#
        );
        let back: Envelope = serde_json::from_str(r#"{"seq":7,"type":"pong","nonce":2}"#).unwrap();
        assert_eq!(back, e);
    }
}

/// Property tests of decoding: whatever a client sends, decoding never panics, and every message
/// survives a round trip through JSON (the fuzz target `fuzz/` runs the same checks for longer).
#[cfg(test)]
mod decode_props {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;

    /// Message type names, known and not, to steer arbitrary objects towards real variants.
    fn types() -> Vec<&'static str> {
        let mut types = CLIENT_MESSAGE_TYPES.to_vec();
        types.extend(["Answer", "", "dance"]);
        types
    }
    /// Field names of client messages.
    const FIELDS: &[&str] = &[
        "version",
        "role",
        "code",
        "secret",
        "question",
        "round",
        "client_seq",
        "choice",
        "options",
        "nonce",
        "player",
        "device",
        "type",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            prop::sample::select(types()).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(
                    |pairs| Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>()
                    )
                ),
            ]
        })
    }

    /// An object with a `type` and arbitrary known fields: the shape a hostile client would send.
    fn message_like() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(types()),
            prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..6),
        )
            .prop_map(|(kind, fields)| {
                let mut map: Map<String, Value> =
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                map.insert("type".into(), Value::from(kind));
                Value::Object(map)
            })
    }

    fn choice() -> impl Strategy<Value = Choice> {
        prop_oneof![
            Just(Choice::Pass),
            prop::collection::vec(any::<u8>(), 0..9).prop_map(Choice::Options),
        ]
    }

    fn client_msg() -> impl Strategy<Value = ClientMsg> {
        let role = prop::sample::select(&[Role::Host, Role::Player, Role::Screen][..]);
        let hello = (
            any::<u32>(),
            role,
            ".{0,8}",
            prop::option::of(".{0,40}"),
            prop::option::of(".{0,20}"),
        )
            .prop_map(|(version, role, code, secret, ticket)| ClientMsg::Hello {
                version,
                role,
                code,
                secret,
                ticket,
            });
        let answer = (".{0,12}", any::<u8>(), any::<u64>(), choice()).prop_map(
            |(question, round, client_seq, choice)| ClientMsg::Answer {
                question,
                round,
                client_seq,
                choice,
            },
        );
        let simple = prop::sample::select(
            &[
                ClientMsg::TalkToAdult,
                ClientMsg::Start,
                ClientMsg::Next,
                ClientMsg::Close,
                ClientMsg::Reveal,
                ClientMsg::Pause,
                ClientMsg::Resume,
                ClientMsg::AddTime,
                ClientMsg::Skip,
                ClientMsg::Revote,
                ClientMsg::Finish,
                ClientMsg::Lock,
                ClientMsg::Unlock,
                ClientMsg::End,
            ][..],
        );
        prop_oneof![
            hello,
            answer,
            simple,
            any::<u64>().prop_map(|nonce| ClientMsg::Ping { nonce }),
            ".{0,12}".prop_map(|question| ClientMsg::ShowResults { question }),
            ".{0,12}".prop_map(|player| ClientMsg::Remove { player }),
            any::<u32>().prop_map(|device| ClientMsg::AcceptDevice { device }),
            any::<u32>().prop_map(|device| ClientMsg::RefuseDevice { device }),
            any::<u32>().prop_map(|device| ClientMsg::RevokeDevice { device }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Any text, as a text frame: decoding gives a message or an error, never a panic.
        #[test]
        fn any_string_decodes_or_errs(text in ".{0,200}") {
            let _ = serde_json::from_str::<ClientMsg>(&text);
        }

        /// Any bytes: the same.
        #[test]
        fn any_bytes_decode_or_err(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = serde_json::from_slice::<ClientMsg>(&bytes);
        }

        /// Any JSON value, and message-shaped objects: no panic, and what decodes round-trips.
        #[test]
        fn any_json_decodes_or_errs(value in prop_oneof![json_value(), message_like()]) {
            let text = value.to_string();
            if let Ok(msg) = serde_json::from_str::<ClientMsg>(&text) {
                let again = serde_json::to_string(&msg).expect("encodes");
                prop_assert_eq!(serde_json::from_str::<ClientMsg>(&again).ok(), Some(msg));
            }
        }

        /// Every client message round-trips, and its wire name is its `type`.
        #[test]
        fn every_client_message_round_trips(msg in client_msg()) {
            let text = serde_json::to_string(&msg).expect("encodes");
            let back: ClientMsg = serde_json::from_str(&text).expect("decodes");
            let value: Value = serde_json::from_str(&text).expect("is JSON");
            prop_assert_eq!(value["type"].as_str(), Some(msg.name()));
            prop_assert_eq!(back, msg);
        }
    }
}
