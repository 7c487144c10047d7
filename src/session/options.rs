//! The options a teacher picks when creating a session, and the limits the server applies.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::protocol::Mode;

/// Options of one session, chosen at creation (`POST /api/sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionOptions {
    /// Reflection (anonymous, default) or challenge (pseudonyms, podium).
    pub mode: Mode,
    /// Use the quiz's time limits. `None`: off in reflection mode, on in challenge mode.
    pub timers: Option<bool>,
    /// Close a question as soon as every pupil has answered.
    pub close_when_all_answered: bool,
    /// The disclosure threshold N (3 to 100, default 3): no published count can be worked out
    /// below it (see `docs/PROTOCOL.md` § privacy).
    pub min_count: u32,
    /// Question ids to include, in quiz order; `None` for all.
    pub questions: Option<Vec<String>>,
    /// A label for the teacher ("4e B"); never pupils' names.
    pub label: Option<String>,
    /// Phones show the advice but not the number.
    pub hide_score: bool,
    /// A local contact the teacher typed for this session's help screen (not kept after it).
    pub local_contact: Option<String>,
    /// How long the anonymous class results are kept after the session ends.
    pub retention: Retention,
}

/// How long a session's aggregate results are kept after it ends (per-pupil data never is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// One day.
    OneDay,
    /// Thirty days (default).
    #[default]
    ThirtyDays,
    /// Until the end of the school year (31 August).
    SchoolYear,
}

impl Retention {
    /// When results of a session that ended at `ended_unix_ms` are deleted.
    pub fn expires(self, ended_unix_ms: u64) -> u64 {
        const DAY: u64 = 86_400_000;
        match self {
            Retention::OneDay => ended_unix_ms + DAY,
            Retention::ThirtyDays => ended_unix_ms + 30 * DAY,
            Retention::SchoolYear => super::wall::end_of_school_year(ended_unix_ms),
        }
    }
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            mode: Mode::Reflection,
            timers: None,
            close_when_all_answered: false,
            min_count: 3,
            questions: None,
            label: None,
            hide_score: false,
            local_contact: None,
            retention: Retention::default(),
        }
    }
}

impl SessionOptions {
    /// Whether question time limits apply.
    pub fn timers_on(&self) -> bool {
        self.timers.unwrap_or(self.mode == Mode::Challenge)
    }
}

/// Server-wide limits that apply to sessions, built from the configuration (`--host-grace` …;
/// their defaults are the flags').
#[derive(Debug, Clone)]
pub struct Limits {
    /// How long a session survives without any host connected before it ends.
    pub host_grace: Duration,
    /// Longest a session lives from its creation (`--max-session-life`), even with a host there.
    pub max_life: Duration,
    /// Most pupils in one session.
    pub max_players: u32,
    /// Most live sessions on this server.
    pub max_sessions: usize,
    /// "Talk to an adult" alerts reach hosts only at whole multiples of this (see
    /// [`super::help`]).
    pub help_window: Duration,
}
