//! What an ended session leaves behind: its anonymous aggregates, handed to its journal to keep.

use super::machine::Session;
use crate::protocol::{Stage, Summary};

/// The aggregate results kept after a session ends: no pupil data. The session layer makes it
/// ([`Report::of`]); whatever keeps the journals stores it ([`super::journal::Journal::end`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Join code the session had.
    pub code: String,
    /// SHA-256 of the session's host secret: whoever holds the secret may read the report.
    pub host_hash: String,
    /// SHA-256 of the credential of each phone remote still paired when the session ended (the
    /// devices the teacher kept): they may read the report too. Nothing about pupils.
    pub reader_hashes: Vec<String>,
    /// Quiz id.
    pub quiz_id: String,
    /// Quiz title.
    pub quiz_title: String,
    /// Quiz language.
    pub lang: String,
    /// The teacher's label ("4e B").
    pub label: Option<String>,
    /// When the session was created (Unix ms).
    pub created_unix_ms: u64,
    /// When it ended (Unix ms).
    pub finished_unix_ms: u64,
    /// When the report is to be deleted (Unix ms), from the retention the teacher chose.
    pub expires_unix_ms: u64,
    /// The class summary, without the podium (pseudonyms are not kept).
    pub summary: Summary,
}

impl Report {
    /// The aggregates worth keeping of `session`, ended at `now` (Unix ms); none if it never
    /// left the lobby.
    pub fn of(session: &Session, now: u64) -> Option<Report> {
        if session.stage() == Stage::Lobby {
            return None;
        }
        let mut summary = session.summary();
        summary.podium.clear();
        Some(Report {
            code: session.code.clone(),
            host_hash: session.host_hash.clone(),
            reader_hashes: session.kept_device_hashes(),
            quiz_id: session.quiz.id.clone(),
            quiz_title: session.quiz.title.clone(),
            lang: session.quiz.lang.code().to_owned(),
            label: session.options.label.clone(),
            created_unix_ms: session.created_unix_ms,
            finished_unix_ms: now,
            expires_unix_ms: session.options.retention.expires(now),
            summary,
        })
    }
}
