//! The journal seam: where a session's events are made durable before their effects are released.
//!
//! [`Journals`] is an engine that keeps journals (the SQLite store, or memory), chosen once at
//! start-up; the registry opens each new session's [`Journal`] through it, and the actor owns
//! that journal. Neither trait is async and no method blocks: an engine that works on another
//! thread (the store's writer today, a message log later) takes work with a `try_send`, answers
//! [`JournalError::Busy`] when it cannot, and publishes how far it is durable on a `watch`
//! channel ([`Journal::watermark`]) that the actor selects on. [`MemoryJournal`] is durable at
//! once (nothing survives the process).

use tokio::sync::watch;

use super::machine::{Event, Session};
use super::report::Report;

/// Why a journal could not take what it was given. Nothing of it was taken.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The engine is behind: try again shortly (a command is refused with "busy, retry").
    #[error("the journal is busy")]
    Busy,
    /// The engine takes nothing any more (it has shut down).
    #[error("the journal is closed")]
    Closed,
    /// Events must follow the last one appended.
    #[error("events out of order: expected sequence {expected}, got {got}")]
    OutOfOrder {
        /// The sequence number the journal expected.
        expected: u64,
        /// The one it was given.
        got: u64,
    },
    /// An event could not be encoded for the engine.
    #[error("an event could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An engine that keeps sessions' journals; shared by the registry (one per server).
pub trait Journals: Send + Sync + 'static {
    /// Opens the journal of a new session `code` and appends its first event, `created`
    /// (sequence number 1). Does not wait: the session exists for good once the journal's
    /// watermark reaches 1.
    fn create(&self, code: &str, created: Event) -> Result<Box<dyn Journal>, JournalError>;
}

/// One session's journal, owned by its actor.
pub trait Journal: Send + 'static {
    /// Appends `events`, whose sequence numbers start at `first_seq`. Must not block.
    fn append(&mut self, first_seq: u64, events: &[Event]) -> Result<(), JournalError>;

    /// The highest sequence number known durable.
    fn durable(&self) -> u64;

    /// A receiver that changes when [`Journal::durable`] advances; `None` when appends are
    /// durable at once.
    fn watermark(&self) -> Option<watch::Receiver<u64>>;

    /// A host is still connected: record that the session is not abandoned, so a restart's
    /// host-away grace counts from the last moment a host was there, not from the last event.
    /// Best effort: a busy engine may skip it (appends record activity too).
    fn touch(&mut self) {}

    /// The session ended: forget its per-pupil events and keep only `report`, the aggregates.
    /// `Ok` once the engine has taken this (it then does it even if the server stops next);
    /// [`JournalError::Busy`] asks the actor to try again. Nothing is appended afterwards.
    fn end(&mut self, report: Option<&Report>) -> Result<(), JournalError>;
}

/// A session an engine found at start-up, rebuilt from its journal.
pub struct Restored {
    /// The rebuilt session.
    pub session: Session,
    /// Its journal, durable up to the last stored event.
    pub journal: Box<dyn Journal>,
}

/// Journals in memory ([`MemoryJournal`]), for `--journal memory` and comparison runs.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryJournals;

impl Journals for MemoryJournals {
    fn create(&self, _code: &str, created: Event) -> Result<Box<dyn Journal>, JournalError> {
        Ok(Box::new(MemoryJournal::new(created)))
    }
}

/// Keeps events in memory: durable as soon as appended (for tests, comparison runs, and the
/// `--journal memory` mode). Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    events: Vec<Event>,
}

impl MemoryJournal {
    /// A journal holding the session's first event.
    pub fn new(created: Event) -> MemoryJournal {
        MemoryJournal {
            events: vec![created],
        }
    }

    /// Every event so far, in order (sequence number = index + 1).
    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

impl Journal for MemoryJournal {
    fn append(&mut self, first_seq: u64, events: &[Event]) -> Result<(), JournalError> {
        let expected = self.events.len() as u64 + 1;
        if first_seq != expected {
            return Err(JournalError::OutOfOrder {
                expected,
                got: first_seq,
            });
        }
        self.events.extend_from_slice(events);
        Ok(())
    }

    fn durable(&self) -> u64 {
        self.events.len() as u64
    }

    fn watermark(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    fn end(&mut self, _report: Option<&Report>) -> Result<(), JournalError> {
        // Nothing outlives the process: the events go with the actor that owns this journal.
        Ok(())
    }
}
