//! A session's journal in the store: appends go to the writer thread, durability comes back on a
//! `watch` channel.

use std::sync::mpsc::TrySendError;
use std::sync::Arc;

use tokio::sync::watch;

use super::writer::{ReportRow, WriteCmd, WriteTx};
use crate::session::journal::{Journal, JournalError};
use crate::session::machine::{record, Event};
use crate::session::Report;

/// One session's journal in the SQLite store.
pub struct StoreJournal {
    code: Arc<str>,
    tx: WriteTx,
    mark: Arc<watch::Sender<u64>>,
    durable: watch::Receiver<u64>,
}

impl StoreJournal {
    /// A journal for session `code` whose events up to `durable` are already stored.
    pub(super) fn new(code: &str, tx: WriteTx, durable: u64) -> StoreJournal {
        let (mark, rx) = watch::channel(durable);
        StoreJournal {
            code: code.into(),
            tx,
            mark: Arc::new(mark),
            durable: rx,
        }
    }
}

impl Journal for StoreJournal {
    fn append(&mut self, first_seq: u64, events: &[Event]) -> Result<(), JournalError> {
        let mut bodies = Vec::with_capacity(events.len());
        for event in events {
            bodies.push(record::encode(event)?);
        }
        let cmd = WriteCmd::Append {
            code: self.code.clone(),
            first_seq,
            bodies,
            mark: self.mark.clone(),
        };
        self.tx.try_send(cmd).map_err(|e| match e {
            TrySendError::Full(_) => JournalError::Busy,
            TrySendError::Disconnected(_) => JournalError::Closed,
        })
    }

    fn durable(&self) -> u64 {
        *self.durable.borrow()
    }

    fn watermark(&self) -> Option<watch::Receiver<u64>> {
        Some(self.durable.clone())
    }

    fn touch(&mut self) {
        // Best effort: a full queue means appends are flowing, which touch the session anyway.
        let _ = self.tx.try_send(WriteCmd::Touch {
            code: self.code.clone(),
        });
    }

    fn end(&mut self, report: Option<&Report>) -> Result<(), JournalError> {
        let report = report.map(ReportRow::of).transpose()?;
        let cmd = WriteCmd::End {
            code: self.code.clone(),
            report,
        };
        // A full queue is not waited on here (the actor must not block): the actor tries again.
        self.tx.try_send(cmd).map_err(|e| match e {
            TrySendError::Full(_) => JournalError::Busy,
            TrySendError::Disconnected(_) => JournalError::Closed,
        })
    }
}
