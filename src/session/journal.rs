//! The journal seam: where a session's events are made durable before their effects are released.
//!
//! The actor appends every batch of events it decides and then asks how far the journal is
//! durable; effects wait until their events are. [`MemoryJournal`] is durable at once (nothing
//! survives the process). A store-backed journal publishes its watermark through
//! [`Journal::watermark`] so the actor can wake when a commit lands, without ever blocking on it.

use tokio::sync::watch;

use super::machine::Event;
use crate::store::ReportRow;

/// Why a journal could not take a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// The writer is behind; the command is refused with "busy, retry" and nothing is applied.
    #[error("the journal is busy")]
    Busy,
    /// The journal cannot write any more (disk full, closed store).
    #[error("the journal failed: {0}")]
    Failed(String),
}

/// A session's journal, owned by its actor.
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
    fn touch(&mut self) {}

    /// The session ended: forget its per-pupil events and keep only `report`, the aggregates.
    fn end(&mut self, report: Option<ReportRow>) {
        let _ = report;
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
        if first_seq != self.events.len() as u64 + 1 {
            return Err(JournalError::Failed(format!(
                "sequence gap: expected {}, got {first_seq}",
                self.events.len() + 1
            )));
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
}
