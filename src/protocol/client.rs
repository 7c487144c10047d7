//! What clients send: [`ClientMsg`], and the wire name of each message.

use serde::{Deserialize, Serialize};

use super::{Choice, Role};

/// Messages from a client. The first one on every socket must be [`ClientMsg::Hello`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Opens the conversation. Secrets travel here, never in a URL.
    Hello {
        /// Must equal [`PROTOCOL_VERSION`](super::PROTOCOL_VERSION).
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
        /// Question id, as sent in [`ServerMsg::Question`](super::ServerMsg::Question).
        question: String,
        /// Voting round, as sent in [`ServerMsg::Question`](super::ServerMsg::Question) (1, or 2 for a second vote).
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
    /// Application-level ping, answered by [`ServerMsg::Pong`](super::ServerMsg::Pong) (pages cannot send WebSocket pings).
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
        /// The `id` from [`ServerMsg::Players`](super::ServerMsg::Players).
        player: String,
    },
    /// Host: end the session for everyone ("finish and clear"); it cannot be resumed.
    End,
    /// Console only (the host secret): let the phone that claimed the pairing code drive the
    /// lesson, with its own credential.
    AcceptDevice {
        /// The device's number, from [`ServerMsg::Devices`](super::ServerMsg::Devices).
        device: u32,
    },
    /// Console only: refuse the phone that claimed the pairing code; its attempt ends.
    RefuseDevice {
        /// The device's number, from [`ServerMsg::Devices`](super::ServerMsg::Devices).
        device: u32,
    },
    /// Console only: disconnect a paired device at once; its credential stops working.
    RevokeDevice {
        /// The device's number, from [`ServerMsg::Devices`](super::ServerMsg::Devices).
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
