//! The journal format: every event as a journal line, in types of its own, versioned.
//!
//! The machine's [`Event`] is the in-memory fact; what a journal keeps is its record
//! ([`EventRecord`], one JSON object per line), written by [`encode`] and read back by [`decode`]
//! and [`read`]. The records embed none of the types they mirror (the wire's `Choice`, the API's
//! `SessionOptions`, the quiz model), so a field added to one of those for its own reasons changes
//! no journal. The rules, because journals written by an older Loupe are replayed by every newer
//! one (**an event's meaning is forever**):
//!
//! - never rename, remove or change the meaning of a variant, a field or a value;
//! - a new field gets `#[serde(default)]` (or is an `Option`), and its default is what a line
//!   without it always meant; a new kind of event is a new variant;
//! - a change that cannot be said that way is a new format: lines carry `"v": 2` and up (a line
//!   without `v` is format 1, everything written so far), and a Loupe refuses a line in a format
//!   newer than [`FORMAT`];
//! - every conversion names every field, so a field added to a mirrored type does not compile
//!   until someone decides here what the journal keeps of it;
//! - `tests/fixtures/journals/` holds golden journals that must replay to their known state in
//!   every version, and today's code must write them exactly: extend them, never edit them.
//!
//! A journal is also checked against its quiz as it is replayed ([`Session::replay`]): a line
//! that does not parse, or an event that does not fit (a question or option the quiz does not
//! have, an answer to a round that is not open, anything after the end) refuses the journal with
//! a [`Refused`] that names the line and never its contents.

mod event;
mod options;
mod quiz;

use serde::Deserialize;

pub use event::{CreatedRecord, EventRecord};
pub use options::{ChoiceRecord, EndReasonRecord, OptionsRecord};
pub use quiz::QuizRecord;

use super::fit::ReplayError;
use super::{Event, Session};

/// The journal format this Loupe writes. Format 1 lines carry no `v` field.
pub const FORMAT: u32 = 1;

/// What every line holds besides its event: the format it is written in.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default = "format_1")]
    v: u32,
}

fn format_1() -> u32 {
    1
}

/// Why one journal line cannot be read. Only positions and kinds, never the line's contents
/// (they may hold a pupil's answer or a token's hash), so it can go in a log line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Not JSON, or cut short.
    #[error("not JSON, or cut short (column {column})")]
    Syntax {
        /// Where the parser stopped.
        column: usize,
    },
    /// JSON, but not an event this Loupe knows: an unknown kind, a field missing or of the wrong
    /// type.
    #[error(
        "not an event this Loupe knows, or a field missing or of the wrong type (column {column})"
    )]
    Data {
        /// Where the parser stopped.
        column: usize,
    },
    /// Written in a newer format than this Loupe reads.
    #[error("journal format {0}, newer than this Loupe reads ({FORMAT})")]
    Newer(u32),
}

impl From<serde_json::Error> for LineError {
    fn from(e: serde_json::Error) -> Self {
        let column = e.column();
        match e.classify() {
            serde_json::error::Category::Data => LineError::Data { column },
            _ => LineError::Syntax { column },
        }
    }
}

/// Why a journal was refused at restore.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A line does not parse.
    #[error("line {line}: {error}")]
    Line {
        /// 1 for the first line.
        line: usize,
        /// Why.
        error: LineError,
    },
    /// The events do not fit their quiz or each other.
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

/// One event as a journal line (no newline).
pub fn encode(event: &Event) -> Result<String, serde_json::Error> {
    serde_json::to_string(&EventRecord::from(event))
}

/// One journal line back to its event.
pub fn decode(line: &str) -> Result<Event, LineError> {
    let envelope: Envelope = serde_json::from_str(line)?;
    if envelope.v > FORMAT {
        return Err(LineError::Newer(envelope.v));
    }
    let record: EventRecord = serde_json::from_str(line)?;
    Ok(record.into())
}

/// Rebuilds a session from its journal lines, refusing one that does not parse or does not fit.
pub fn read<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> Result<Session, Refused> {
    let events = lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            decode(line.as_ref()).map_err(|error| Refused::Line { line: i + 1, error })
        })
        .collect::<Result<Vec<Event>, Refused>>()?;
    Ok(Session::replay(&events)?)
}

#[cfg(test)]
mod tests;
