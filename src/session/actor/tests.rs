//! Actor tests with paused tokio time: a journal that refuses, and what the actor does then.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::Actor;
use crate::protocol::EndReason;
use crate::session::journal::{Journal, JournalError};
use crate::session::machine::{Event, Session, SessionCreated};
use crate::session::{Limits, Report, SessionOptions};

/// What the test journal saw, shared with the test.
#[derive(Debug, Default)]
struct Seen {
    events: Mutex<Vec<Event>>,
    /// Appends still to refuse with `Busy`, counted down.
    refuse: AtomicUsize,
    /// Ends still to refuse with `Busy`, counted down.
    refuse_end: AtomicUsize,
    /// Ends asked for, and taken.
    end_calls: AtomicUsize,
    ends: AtomicUsize,
    /// Cancelled when the journal refuses an end (the server starts shutting down then).
    stop_on_refused_end: Option<CancellationToken>,
}

/// A journal durable at once that answers `busy` to the next `refuse` appends.
struct Refusing(Arc<Seen>);

impl Journal for Refusing {
    fn append(&mut self, first_seq: u64, events: &[Event]) -> Result<(), JournalError> {
        if countdown(&self.0.refuse) {
            return Err(JournalError::Busy);
        }
        let mut all = self.0.events.lock().unwrap();
        assert_eq!(first_seq, all.len() as u64 + 1, "appends follow each other");
        all.extend_from_slice(events);
        Ok(())
    }

    fn durable(&self) -> u64 {
        self.0.events.lock().unwrap().len() as u64
    }

    fn watermark(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    fn end(&mut self, _report: Option<&Report>) -> Result<(), JournalError> {
        self.0.end_calls.fetch_add(1, Ordering::SeqCst);
        if countdown(&self.0.refuse_end) {
            if let Some(stop) = &self.0.stop_on_refused_end {
                stop.cancel();
            }
            return Err(JournalError::Busy);
        }
        self.0.ends.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Takes one from `n` unless it is 0; says whether it did.
fn countdown(n: &AtomicUsize) -> bool {
    n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

const HOST_GRACE: Duration = Duration::from_secs(60);

fn limits() -> Limits {
    Limits {
        host_grace: HOST_GRACE,
        max_life: Duration::from_secs(12 * 3600),
        max_players: 100,
        max_sessions: 10,
        help_window: Duration::from_secs(60),
    }
}

/// A session of the first bundled quiz, in its lobby, with its `Created` event journalled.
fn session(seen: &Arc<Seen>) -> Session {
    let (file, text) = crate::quiz::bundled()[0];
    let quiz = crate::quiz::parse_quiz(file, text).expect("a bundled quiz parses");
    let created = SessionCreated {
        code: "123456".into(),
        quiz: Arc::new(quiz),
        options: SessionOptions::default(),
        host_hash: "h".into(),
        screen_hash: "s".into(),
        created_unix_ms: crate::session::unix_ms(),
    };
    let session = Session::new(&created);
    seen.events
        .lock()
        .unwrap()
        .push(Event::Created(Box::new(created)));
    session
}

fn ended_reason(seen: &Seen) -> Option<Option<EndReason>> {
    seen.events.lock().unwrap().iter().find_map(|e| match e {
        Event::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// Runs an actor with no host until it stops, or `within` has passed (`false` then).
async fn run_until_stopped(
    seen: &Arc<Seen>,
    shutdown: CancellationToken,
    within: Duration,
) -> bool {
    let actor = Actor::new(session(seen), Box::new(Refusing(seen.clone())), limits());
    let (_control, control_rx) = mpsc::channel(8);
    let (_inputs, inputs_rx) = mpsc::channel(8);
    let run = tokio::spawn(actor.run(control_rx, inputs_rx, shutdown));
    tokio::time::timeout(within, run).await.is_ok()
}

/// No host ever came: at the grace the actor ends the session. The journal is busy at that
/// moment; the end is tried again shortly after, not dropped until the session's maximum life.
#[tokio::test(start_paused = true)]
async fn a_busy_journal_delays_the_host_away_end_but_does_not_lose_it() {
    let seen = Arc::new(Seen::default());
    seen.refuse.store(1, Ordering::SeqCst);
    let within = HOST_GRACE + Duration::from_secs(5);
    let stopped = run_until_stopped(&seen, CancellationToken::new(), within).await;
    assert!(
        stopped,
        "the actor had not ended the session 5 s after the host-away grace"
    );
    assert_eq!(
        seen.refuse.load(Ordering::SeqCst),
        0,
        "the journal refused once"
    );
    assert_eq!(ended_reason(&seen), Some(Some(EndReason::HostAway)));
    assert_eq!(
        seen.ends.load(Ordering::SeqCst),
        1,
        "the journal was ended once"
    );
}

/// The session ended; the journal is busy when asked to end it (delete the pupils' events, keep
/// the report): the actor asks again until it takes it, then stops.
#[tokio::test(start_paused = true)]
async fn a_busy_journal_is_asked_again_to_end_the_session() {
    let seen = Arc::new(Seen::default());
    seen.refuse_end.store(3, Ordering::SeqCst);
    let stopped = run_until_stopped(&seen, CancellationToken::new(), HOST_GRACE * 2).await;
    assert!(stopped, "the actor did not stop");
    assert_eq!(ended_reason(&seen), Some(Some(EndReason::HostAway)));
    assert_eq!(seen.end_calls.load(Ordering::SeqCst), 4);
    assert_eq!(seen.ends.load(Ordering::SeqCst), 1);
}

/// The server starts shutting down while a session that just ended waits for a busy journal:
/// the actor's task (which shutdown waits for) goes on asking, and stops once the end is taken.
#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_the_end_of_a_session_that_ended() {
    let shutdown = CancellationToken::new();
    let seen = Arc::new(Seen {
        stop_on_refused_end: Some(shutdown.clone()),
        ..Seen::default()
    });
    seen.refuse_end.store(2, Ordering::SeqCst);
    let stopped = run_until_stopped(&seen, shutdown.clone(), HOST_GRACE * 2).await;
    assert!(stopped && shutdown.is_cancelled());
    assert_eq!(seen.ends.load(Ordering::SeqCst), 1, "the end was taken");
}

/// A journal still busy long after shutdown began does not hold the server: the actor gives up
/// (the next start ends the session from its journal) within the drain time.
#[tokio::test(start_paused = true)]
async fn shutdown_does_not_wait_forever_for_a_busy_journal() {
    let shutdown = CancellationToken::new();
    let seen = Arc::new(Seen {
        stop_on_refused_end: Some(shutdown.clone()),
        ..Seen::default()
    });
    seen.refuse_end.store(usize::MAX, Ordering::SeqCst);
    let stopped =
        run_until_stopped(&seen, shutdown.clone(), HOST_GRACE + Duration::from_secs(5)).await;
    assert!(stopped, "the actor was still waiting for the journal");
    assert_eq!(seen.ends.load(Ordering::SeqCst), 0);
}
