//! The actor's deadlines, values in its `select!` (never detached tasks): the question timer,
//! coalesced counts, help batches, the journal's touch, the host-away grace, the maximum life,
//! and the retry after a busy journal.

use std::time::Duration;

use tokio::time::Instant;

use super::{Actor, Unmade, BUSY_RETRY, TOUCH_EVERY};
use crate::protocol::EndReason;
use crate::session::journal::JournalError;
use crate::session::machine::Command;

/// A coalescing timer: the first change goes at once, later ones at most every `every`.
#[derive(Debug)]
pub(super) struct Throttle {
    every: Duration,
    /// A change waits to be sent.
    pub(super) dirty: bool,
    last: Option<Instant>,
}

impl Throttle {
    /// A throttle with nothing pending.
    pub(super) fn new(every: Duration) -> Throttle {
        Throttle {
            every,
            dirty: false,
            last: None,
        }
    }

    /// When the pending change is due, if any.
    pub(super) fn due(&self) -> Option<Instant> {
        self.dirty
            .then(|| self.last.map_or_else(Instant::now, |t| t + self.every))
    }

    /// Whether to flush now (and, if so, records it).
    pub(super) fn take(&mut self, now: Instant, force: bool) -> bool {
        let due = self.last.is_none_or(|t| t + self.every <= now);
        if self.dirty && (force || due) {
            self.dirty = false;
            self.last = Some(now);
            true
        } else {
            false
        }
    }
}

impl Actor {
    /// When the `select!` must wake next: the earliest deadline, not before a busy journal's
    /// retry.
    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        let next = self.next_deadline()?;
        Some(self.busy_until.map_or(next, |b| next.max(b)))
    }

    /// The earliest of the deadlines.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let host_gone = self.host_away_since.map(|t| t + self.limits.host_grace);
        let touch = (self.conns.hosts() > 0).then_some(self.last_touch + TOUCH_EVERY);
        let dies = (!self.machine.is_ended()).then_some(self.dies_at);
        [
            dies,
            self.machine.next_deadline().map(|d| self.instant_of(d)),
            self.count.due(),
            self.presence.due(),
            self.help.due_ms().map(|d| self.instant_of(d)),
            host_gone,
            touch,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// A deadline came: touch the journal, end the session (maximum life, host away) or tick
    /// the machine (question timer); a busy journal makes it try again [`BUSY_RETRY`] later.
    pub(super) fn on_wake(&mut self) {
        let now = Instant::now();
        if self.busy_until.is_some_and(|b| now < b) {
            return;
        }
        self.busy_until = None;
        if self.conns.hosts() > 0 && self.last_touch + TOUCH_EVERY <= now {
            self.journal.touch();
            self.last_touch = now;
        }
        let host_gone = self
            .host_away_since
            .filter(|t| *t + self.limits.host_grace <= now);
        let command = if self.dies_at <= now && !self.machine.is_ended() {
            tracing::info!(session = %self.machine.code, "the session reached --max-session-life: ending it");
            Command::Expire(EndReason::MaxLife)
        } else if let Some(t) = host_gone {
            // The time the server saw with no host, from the last host's detach to now.
            let away_ms = now.saturating_duration_since(t).as_millis() as u64;
            tracing::info!(session = %self.machine.code, away_ms, "no host came back in time: ending the session");
            Command::Expire(EndReason::HostAway)
        } else {
            Command::Tick
        };
        match self.decide_commit(&command) {
            Err(Unmade::Journal(JournalError::Busy)) => {
                // Not dropped: the deadline is still due when the journal has room.
                tracing::warn!(session = %self.machine.code, retry_in_ms = BUSY_RETRY.as_millis() as u64, "the journal is busy: deciding again shortly");
                self.busy_until = Some(now + BUSY_RETRY);
            }
            Err(Unmade::Journal(e)) => {
                tracing::error!(session = %self.machine.code, error = %e, "the journal refused a batch");
            }
            Ok(_) | Err(Unmade::Rejected(_)) => {
                if matches!(command, Command::Expire(EndReason::HostAway)) {
                    self.host_away_since = None;
                }
            }
        }
    }
}
