//! What the generator's tasks share: the target, the connection gate, counters with wake-ups,
//! the reconnect-storm signal and the error tally.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::conn::ClientKind;

/// A counter others can wait on.
#[derive(Debug, Default)]
pub struct Counter {
    value: AtomicUsize,
    changed: Notify,
}

impl Counter {
    /// Adds one and wakes the waiters; returns the new value.
    pub fn bump(&self) -> usize {
        let n = self.value.fetch_add(1, Ordering::AcqRel) + 1;
        self.changed.notify_waiters();
        n
    }

    /// The current value.
    pub fn get(&self) -> usize {
        self.value.load(Ordering::Acquire)
    }

    /// Resolves once the value reaches `target`.
    pub async fn reach(&self, target: usize) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.get() >= target {
                return;
            }
            notified.await;
        }
    }
}

/// One session of the run.
#[derive(Debug)]
pub struct SessionSlot {
    /// Join code.
    pub code: String,
    /// Host secret.
    pub host_secret: String,
    /// Pupils who joined.
    pub joined: AtomicU32,
    /// `phase revealed` frames received by this session's pupils (all questions).
    pub revealed: Counter,
}

impl SessionSlot {
    /// A slot for a created session.
    pub fn new(code: String, host_secret: String) -> SessionSlot {
        SessionSlot {
            code,
            host_secret,
            joined: AtomicU32::new(0),
            revealed: Counter::default(),
        }
    }
}

/// State shared by the controller, the hosts and the pupils of one run.
#[derive(Debug)]
pub struct Shared {
    /// `ws://127.0.0.1:PORT/ws`.
    pub ws_url: String,
    /// The pupils' client.
    pub client: ClientKind,
    /// Connections being opened at once (joins and resumes).
    pub gate: Semaphore,
    /// Cancelled when the run fails or times out: every task stops.
    pub cancel: CancellationToken,
    /// Errors by kind.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Pupils whose join ended (joined or failed).
    pub join_done: Counter,
    /// Pupils whose resume ended (resumed or failed).
    pub resume_done: Counter,
    /// Bumped to start a reconnect storm.
    pub storm: watch::Sender<u32>,
    /// Whether a resumed pupil gets its acknowledgement back in the snapshot (Loupe does; the
    /// baseline keeps no state).
    pub snapshot_acks: bool,
    /// Longest wait for any one step.
    pub phase_timeout: Duration,
    /// The sessions, by index.
    pub sessions: Vec<SessionSlot>,
}

impl Shared {
    /// Counts one error of `kind`.
    pub fn error(&self, kind: impl Into<String>) {
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(kind.into()).or_insert(0) += 1;
        }
    }

    /// The errors so far.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// A deadline one phase timeout from now.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.phase_timeout
    }
}

/// A handle the tasks share.
pub type SharedRef = Arc<Shared>;
