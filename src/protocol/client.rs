//! What clients send: [`ClientMsg`], and the host commands among them ([`HostCommand`]), both
//! declared once, with each message's wire name, in the list below.

use serde::{Deserialize, Serialize};

use super::{Choice, Role};

/// Declares [`ClientMsg`] from one list of messages in three groups, and from the same list the
/// wire name of each (`#[serde(rename)]` and [`ClientMsg::name`]), [`CLIENT_MESSAGE_TYPES`],
/// whether only a host may send it ([`ClientMsg::is_host_command`]), and [`HostCommand`]: the
/// host commands as the session's machine takes them ([`ClientMsg::into_host_command`]).
///
/// Each entry is `Variant = "wire_name"`, then its fields in braces, or its one payload type in
/// parentheses, or nothing. `anyone` messages are not host-only (the connection checks those only
/// a pupil may send); `host` commands go to the machine; `console` commands are host-only too,
/// and go to the session's actor (phone remotes).
macro_rules! client_messages {
    (
        $(#[$enum_meta:meta])*
        anyone { $(
            $(#[$a_meta:meta])*
            $a_variant:ident = $a_wire:literal
                $({ $($(#[$a_field_meta:meta])* $a_field:ident : $a_type:ty),* $(,)? })?
                $(( $a_inner:ty ))?
        ),* $(,)? }
        host { $(
            $(#[$h_meta:meta])*
            $h_variant:ident = $h_wire:literal
                $({ $($(#[$h_field_meta:meta])* $h_field:ident : $h_type:ty),* $(,)? })?
        ),* $(,)? }
        console { $(
            $(#[$c_meta:meta])*
            $c_variant:ident = $c_wire:literal
                { $($(#[$c_field_meta:meta])* $c_field:ident : $c_type:ty),* $(,)? }
        ),* $(,)? }
    ) => {
        $(#[$enum_meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum ClientMsg {
            $(
                $(#[$a_meta])*
                #[serde(rename = $a_wire)]
                $a_variant $({ $($(#[$a_field_meta])* $a_field: $a_type),* })? $(($a_inner))?,
            )*
            $(
                $(#[$h_meta])*
                #[serde(rename = $h_wire)]
                $h_variant $({ $($(#[$h_field_meta])* $h_field: $h_type),* })?,
            )*
            $(
                $(#[$c_meta])*
                #[serde(rename = $c_wire)]
                $c_variant { $($(#[$c_field_meta])* $c_field: $c_type),* },
            )*
        }

        /// The host commands of [`ClientMsg`], as the session's machine takes them once the
        /// connection checked the role (see each [`ClientMsg`] variant of the same name).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum HostCommand {
            $(
                $(#[$h_meta])*
                $h_variant $({ $($(#[$h_field_meta])* $h_field: $h_type),* })?,
            )*
        }

        /// The `type` of every client message, as sent on the wire (tells an unknown type from a
        /// malformed message).
        pub const CLIENT_MESSAGE_TYPES: &[&str] = &[$($a_wire,)* $($h_wire,)* $($c_wire,)*];

        impl ClientMsg {
            /// The wire name of the message, for error replies (`in_reply_to`).
            pub fn name(&self) -> &'static str {
                match self {
                    $(ClientMsg::$a_variant { .. } => $a_wire,)*
                    $(ClientMsg::$h_variant { .. } => $h_wire,)*
                    $(ClientMsg::$c_variant { .. } => $c_wire,)*
                }
            }

            /// Whether only a host may send this message.
            pub fn is_host_command(&self) -> bool {
                match self {
                    $(ClientMsg::$a_variant { .. } => false,)*
                    $(ClientMsg::$h_variant { .. } => true,)*
                    $(ClientMsg::$c_variant { .. } => true,)*
                }
            }

            /// The host command this message is, for the machine; any other message as it was.
            pub fn into_host_command(self) -> Result<HostCommand, ClientMsg> {
                match self {
                    $(ClientMsg::$h_variant { $($($h_field),*)? } => {
                        Ok(HostCommand::$h_variant { $($($h_field),*)? })
                    })*
                    other => Err(other),
                }
            }
        }

        impl From<HostCommand> for ClientMsg {
            fn from(cmd: HostCommand) -> ClientMsg {
                match cmd {
                    $(HostCommand::$h_variant { $($($h_field),*)? } => {
                        ClientMsg::$h_variant { $($($h_field),*)? }
                    })*
                }
            }
        }
    };
}

client_messages! {
    /// Messages from a client. The first one on every socket must be [`ClientMsg::Hello`].
    anyone {
        /// Opens the conversation. Secrets travel here, never in a URL.
        Hello = "hello" {
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
            /// Player joining for the first time from the QR code's link: the join ticket in
            /// that link's fragment. It spares the join the failed-join limits of its address.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            ticket: Option<String>,
        },
        /// A pupil answers (or passes) the open question.
        Answer = "answer" (Answer),
        /// A pupil asks, anonymously, to talk to an adult.
        TalkToAdult = "talk_to_adult",
        /// Application-level ping, answered by [`ServerMsg::Pong`](super::ServerMsg::Pong)
        /// (pages cannot send WebSocket pings).
        Ping = "ping" {
            /// Echoed back.
            #[serde(default)]
            nonce: u64,
        },
    }
    host {
        /// Host: close the lobby and show the quiz's intro on the projector.
        Start = "start",
        /// Host: open the next question (from the intro, or once the current one is closed or
        /// revealed); after the last question, finish.
        Next = "next",
        /// Host: stop taking answers for the open question.
        Close = "close",
        /// Host: show the correct options, explanation and distribution to everyone (closes
        /// first).
        Reveal = "reveal",
        /// Host: pause for discussion; the timer stops and phones say "discussion".
        Pause = "pause",
        /// Host: end the pause; an open question's timer carries on where it stopped.
        Resume = "resume",
        /// Host: give the open question 30 more seconds (timed questions only).
        AddTime = "add_time",
        /// Host: leave the current question out of scores and results and open the next one.
        Skip = "skip",
        /// Host: show an earlier question's results again on the projector.
        ShowResults = "show_results" {
            /// Question id.
            question: String,
        },
        /// Host: re-open the current (closed or revealed) question for a second vote; scores
        /// keep the first vote and results show both side by side.
        Revote = "revote",
        /// Host: finish now: everyone sees the summary or their own result.
        Finish = "finish",
        /// Host: stop new pupils from joining (resumes still work).
        Lock = "lock",
        /// Host: let new pupils join again.
        Unlock = "unlock",
        /// Host (challenge mode): remove a pupil by their pseudonym id.
        Remove = "remove" {
            /// The `id` from [`ServerMsg::Players`](super::ServerMsg::Players).
            player: String,
        },
        /// Host: end the session for everyone ("finish and clear"); it cannot be resumed.
        End = "end",
    }
    console {
        /// Console only (the host secret): let the phone that claimed the pairing code drive the
        /// lesson, with its own credential.
        AcceptDevice = "accept_device" {
            /// The device's number, from [`ServerMsg::Devices`](super::ServerMsg::Devices).
            device: u32,
        },
        /// Console only: refuse the phone that claimed the pairing code; its attempt ends.
        RefuseDevice = "refuse_device" {
            /// The device's number, from [`ServerMsg::Devices`](super::ServerMsg::Devices).
            device: u32,
        },
        /// Console only: disconnect a paired device at once; its credential stops working.
        RevokeDevice = "revoke_device" {
            /// The device's number, from [`ServerMsg::Devices`](super::ServerMsg::Devices).
            device: u32,
        },
    }
}

/// A pupil's answer: what the pupil's phone sends, and what goes, unchanged, to the session's
/// machine (`PupilMsg::Answer`, `Command::Answer`), and back in an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Answer {
    /// Question id, as sent in [`ServerMsg::Question`](super::ServerMsg::Question).
    pub question: String,
    /// Voting round, as sent in [`ServerMsg::Question`](super::ServerMsg::Question) (1, or 2
    /// for a second vote).
    #[serde(default = "first_round")]
    pub round: u8,
    /// Client sequence number, increasing with every new answer the pupil gives: the highest
    /// wins, an equal one is acknowledged again, a lower one is ignored.
    pub client_seq: u64,
    /// What the pupil chose.
    pub choice: Choice,
}

fn first_round() -> u8 {
    1
}
