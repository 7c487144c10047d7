//! WebSocket close codes: the numbers on the wire, and [`Close`], why the server closes a socket.
//!
//! Clients read the numbers (4000–4999 are application codes; `docs/PROTOCOL.md` § close codes
//! says what each one asks of a client). The server names every close it sends by a [`Close`],
//! which carries its code and its reason text in one place.

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
/// The server is shutting down (standard code). Loupe does not send it today; clients treat it
/// like [`RESTART`] with a longer back-off.
pub const GOING_AWAY: u16 = 1001;

/// Why the server closes a WebSocket: each one is a close frame, a code and its reason text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Close {
    /// The session ended (after `ended`, or its queue drained once the actor let it go).
    Ended,
    /// A newer connection of the same pupil (or the same waiting phone) took over.
    Replaced,
    /// The host removed this pupil.
    Removed,
    /// `hello` was refused (wrong secret or token, locked, full, finished, pairing refused).
    Refused,
    /// The first message was not `hello`.
    HelloRequired,
    /// A bare new join for a code no live session has.
    UnknownSession,
    /// `hello` spoke another protocol version.
    Version,
    /// The teacher disconnected this paired device.
    Revoked,
    /// The connection's queue filled: a slow phone, which resumes.
    TooSlow,
    /// No `hello` within the handshake's time.
    NoHello,
    /// Two heartbeat pings in a row had no answer.
    NoPong,
    /// Still flooding after the `rate_limited` warning.
    Flood,
    /// A new join from an address over its failed-join budget.
    FailedJoins,
    /// A frame larger than the role may send.
    TooBig,
    /// The server is restarting (the session's actor closed its connections, or the fallback).
    Restart,
    /// The server began to restart while this socket had not said `hello` yet.
    RestartBeforeHello,
}

impl Close {
    /// The close code on the wire.
    pub const fn code(self) -> u16 {
        match self {
            Close::Ended => ENDED,
            Close::Replaced => REPLACED,
            Close::Removed => REMOVED,
            Close::Refused | Close::HelloRequired => REFUSED,
            Close::UnknownSession => UNKNOWN_SESSION,
            Close::Version => VERSION,
            Close::Revoked => REVOKED,
            Close::TooSlow => TOO_SLOW,
            Close::NoHello | Close::NoPong => TIMEOUT,
            Close::Flood | Close::FailedJoins => FLOOD,
            Close::TooBig => TOO_BIG,
            Close::Restart | Close::RestartBeforeHello => RESTART,
        }
    }

    /// The reason text sent in the close frame (plain words, for logs and developers).
    pub const fn reason(self) -> &'static str {
        match self {
            Close::Ended => "session ended",
            Close::Replaced => "another connection took over",
            Close::Removed => "removed by the host",
            Close::Refused => "refused",
            Close::HelloRequired => "hello required",
            Close::UnknownSession => "unknown session",
            Close::Version => "protocol version not supported",
            Close::Revoked => "disconnected by the teacher",
            Close::TooSlow => "too slow; resume",
            Close::NoHello => "no hello in time",
            Close::NoPong => "no answer to pings",
            Close::Flood => "too many messages",
            Close::FailedJoins => "too many failed attempts",
            Close::TooBig => "message too big",
            Close::Restart => "server restarting; reconnect shortly",
            Close::RestartBeforeHello => "server restarting",
        }
    }

    /// The close a session asked for by its code (the session's actor closes connections with a
    /// code: ended, replaced, removed, refused, revoked, too slow, restarting). `None` for a code
    /// no session sends.
    pub const fn from_session(code: u16) -> Option<Close> {
        Some(match code {
            ENDED => Close::Ended,
            REPLACED => Close::Replaced,
            REMOVED => Close::Removed,
            REFUSED => Close::Refused,
            REVOKED => Close::Revoked,
            TOO_SLOW => Close::TooSlow,
            RESTART => Close::Restart,
            _ => return None,
        })
    }

    /// Whether this close ends a `hello` that failed (unknown code, wrong secret or token,
    /// locked or full session, wrong version, no `hello` first): those count against the
    /// address's failed-join budget, and nothing else does.
    pub const fn is_failed_join(self) -> bool {
        matches!(
            self,
            Close::Refused | Close::HelloRequired | Close::UnknownSession | Close::Version
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Close; 16] = [
        Close::Ended,
        Close::Replaced,
        Close::Removed,
        Close::Refused,
        Close::HelloRequired,
        Close::UnknownSession,
        Close::Version,
        Close::Revoked,
        Close::TooSlow,
        Close::NoHello,
        Close::NoPong,
        Close::Flood,
        Close::FailedJoins,
        Close::TooBig,
        Close::Restart,
        Close::RestartBeforeHello,
    ];

    #[test]
    fn a_session_code_means_the_close_with_that_code() {
        for close in ALL {
            if let Some(back) = Close::from_session(close.code()) {
                assert_eq!(back.code(), close.code(), "{close:?}");
            }
        }
        assert_eq!(Close::from_session(TIMEOUT), None);
        assert_eq!(Close::from_session(0), None);
    }

    /// A close frame's reason may hold at most 123 bytes.
    #[test]
    fn reasons_fit_in_a_close_frame() {
        for close in ALL {
            assert!(!close.reason().is_empty() && close.reason().len() <= 123);
        }
    }

    /// Every close the server sends is documented, code and reason (`docs/PROTOCOL.md` § close
    /// codes).
    #[test]
    fn every_close_is_documented() {
        let doc = include_str!("../../docs/PROTOCOL.md");
        let table = doc
            .split("## Close codes")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_default();
        let row = |code: u16| {
            let start = format!("| {code} |");
            table
                .lines()
                .find(|l| l.starts_with(&start))
                .unwrap_or_default()
        };
        for close in ALL {
            let reason = format!("`{}`", close.reason());
            assert!(
                row(close.code()).contains(&reason),
                "{close:?} is not documented"
            );
        }
        assert!(!row(GOING_AWAY).is_empty());
    }
}
