//! The registry: join codes to live session actors, code allocation and the actors' lifetimes.
//!
//! A plain mutex behind small synchronous methods: the guard is never held across an `.await`.
//! A session's actor removes its code when it stops; the code is then not handed out again for an
//! hour, so a pupil with an old QR code cannot land in someone else's lesson.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::actor::Actor;
use super::handle::SessionHandle;
use super::journal::{Journal, JournalError, Journals, Restored};
use super::machine::disclosure::{MIN_COUNT_CEILING, MIN_COUNT_FLOOR};
use super::machine::{Event, Session, SessionCreated};
use super::{secret, wall, Limits, SessionOptions};
use crate::quiz::model::Quiz;

/// A code is not reused for this long after its session ended.
const CODE_QUARANTINE: Duration = Duration::from_secs(3600);
/// Capacity of a session's control channel (attachments and host commands).
const CONTROL_QUEUE: usize = 1024;
/// Capacity of a session's pupil input channel.
const INPUT_QUEUE: usize = 8192;

/// What creating a session gives the teacher.
#[derive(Debug, Clone)]
pub struct Created {
    /// 6-digit join code.
    pub code: String,
    /// Host secret (128 random bits, hex): restores the console; keep it private.
    pub host_secret: String,
    /// Screen token (128 random bits, hex): opens the read-only projector view.
    pub screen_token: String,
    /// When the session ends by itself at the latest (Unix ms; `--max-session-life`).
    pub ends_by_unix_ms: u64,
    /// The journal's durable watermark: the session exists for good once it reaches 1
    /// (`None`: a journal durable at once, nothing to wait for).
    pub durable: Option<tokio::sync::watch::Receiver<u64>>,
}

impl Created {
    /// Waits until the session's first event is durable (so a crash cannot lose a code the
    /// teacher has seen); `false` if that took longer than `wait`.
    pub async fn wait_durable(&mut self, wait: Duration) -> bool {
        match self.durable.as_mut() {
            None => true,
            Some(rx) => matches!(
                tokio::time::timeout(wait, rx.wait_for(|d| *d >= 1)).await,
                Ok(Ok(_))
            ),
        }
    }
}

/// Why a session could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A selected question id is not in the quiz.
    #[error("unknown question `{0}`")]
    UnknownQuestion(String),
    /// The selection leaves no question.
    #[error("no question selected")]
    NoQuestions,
    /// An option is out of range.
    #[error("bad option: {0}")]
    BadOptions(String),
    /// The server has as many live sessions as it accepts.
    #[error("too many live sessions on this server")]
    TooManySessions,
    /// The journal is busy; try again.
    #[error("the server is busy; try again")]
    Busy,
    /// The journal takes no new session (the server is stopping).
    #[error("the journal cannot take a new session: {0}")]
    Journal(JournalError),
}

#[derive(Default)]
struct Codes {
    live: HashMap<String, SessionHandle>,
    ended: HashMap<String, Instant>,
}

struct Inner {
    codes: Mutex<Codes>,
    limits: Limits,
    journals: Arc<dyn Journals>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

/// Join codes to live sessions; cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl Registry {
    /// A registry whose actors stop on `shutdown` and are tracked by `tracker`; new sessions'
    /// journals are opened in `journals`.
    pub fn new(
        limits: Limits,
        journals: Arc<dyn Journals>,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Registry {
        let inner = Inner {
            codes: Mutex::default(),
            limits,
            journals,
            shutdown,
            tracker,
        };
        Registry {
            inner: Arc::new(inner),
        }
    }

    /// Brings back sessions rebuilt from their journals after a restart: same codes, same tokens.
    /// A question that was open comes back paused, for the teacher to resume.
    pub fn restore(&self, restored: Vec<Restored>) {
        let mut codes = self.codes();
        for Restored { session, journal } in restored {
            let code = session.code.clone();
            tracing::info!(session = %code, events = session.seq, "session restored");
            let handle = self.spawn(session, journal, true);
            codes.live.insert(code, handle);
        }
    }

    fn codes(&self) -> MutexGuard<'_, Codes> {
        // A panic while holding this lock cannot leave the maps half-updated: recover them.
        self.inner.codes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a session of `quiz` and starts its actor.
    pub fn create(&self, quiz: Arc<Quiz>, options: SessionOptions) -> Result<Created, CreateError> {
        let quiz = narrow(quiz, &options)?;
        check_options(&options)?;
        let host_secret = secret::generate();
        let screen_token = secret::generate();
        let mut codes = self.codes();
        if codes.live.len() >= self.inner.limits.max_sessions {
            return Err(CreateError::TooManySessions);
        }
        codes.ended.retain(|_, at| at.elapsed() < CODE_QUARANTINE);
        let code = loop {
            let code = format!("{:06}", rand::random_range(100_000..1_000_000u32));
            if !codes.live.contains_key(&code) && !codes.ended.contains_key(&code) {
                break code;
            }
        };
        let created_unix_ms = wall::unix_ms();
        let created = SessionCreated {
            code: code.clone(),
            quiz,
            options,
            host_hash: secret::hash(&host_secret),
            screen_hash: secret::hash(&screen_token),
            created_unix_ms,
        };
        let machine = Session::new(&created);
        let first = Event::Created(Box::new(created));
        let journal = self
            .inner
            .journals
            .create(&code, first)
            .map_err(|e| match e {
                JournalError::Busy => CreateError::Busy,
                other => CreateError::Journal(other),
            })?;
        let durable = journal.watermark();
        let handle = self.spawn(machine, journal, false);
        codes.live.insert(code.clone(), handle);
        tracing::info!(session = %code, "session created");
        Ok(Created {
            code,
            host_secret,
            screen_token,
            ends_by_unix_ms: created_unix_ms + self.inner.limits.max_life.as_millis() as u64,
            durable,
        })
    }

    /// Starts the actor of a session and returns its handle.
    fn spawn(&self, machine: Session, journal: Box<dyn Journal>, restored: bool) -> SessionHandle {
        let (control_tx, control_rx) = mpsc::channel(CONTROL_QUEUE);
        let (input_tx, input_rx) = mpsc::channel(INPUT_QUEUE);
        let code: Arc<str> = machine.code.as_str().into();
        let handle = SessionHandle {
            code: code.clone(),
            control: control_tx,
            inputs: input_tx,
            host_hash: machine.host_hash.as_str().into(),
        };
        let mut actor = Actor::new(machine, journal, self.inner.limits.clone());
        if restored {
            actor.pause_if_open();
        }
        let registry = self.clone();
        let shutdown = self.inner.shutdown.clone();
        self.inner.tracker.spawn(async move {
            actor.run(control_rx, input_rx, shutdown.clone()).await;
            if !shutdown.is_cancelled() {
                registry.remove(&code);
            }
        });
        handle
    }

    /// The live session with this join code.
    pub fn get(&self, code: &str) -> Option<SessionHandle> {
        self.codes().live.get(code).cloned()
    }

    /// Forgets a session whose actor stopped, and quarantines its code.
    fn remove(&self, code: &str) {
        let mut codes = self.codes();
        codes.live.remove(code);
        codes.ended.insert(code.to_owned(), Instant::now());
    }

    /// Number of live sessions.
    pub fn live(&self) -> usize {
        self.codes().live.len()
    }
}

/// The quiz with only the selected questions, in quiz order.
fn narrow(quiz: Arc<Quiz>, options: &SessionOptions) -> Result<Arc<Quiz>, CreateError> {
    let Some(selected) = &options.questions else {
        return Ok(quiz);
    };
    if let Some(unknown) = selected.iter().find(|id| quiz.question(id).is_none()) {
        return Err(CreateError::UnknownQuestion(unknown.clone()));
    }
    let mut narrowed = (*quiz).clone();
    narrowed.questions.retain(|q| selected.contains(&q.id));
    if narrowed.questions.is_empty() {
        return Err(CreateError::NoQuestions);
    }
    Ok(Arc::new(narrowed))
}

fn check_options(options: &SessionOptions) -> Result<(), CreateError> {
    let too_long = |s: &Option<String>, n: usize| s.as_ref().is_some_and(|s| s.chars().count() > n);
    if !(MIN_COUNT_FLOOR..=MIN_COUNT_CEILING).contains(&options.min_count) {
        return Err(CreateError::BadOptions(format!(
            "min_count must be between {MIN_COUNT_FLOOR} and {MIN_COUNT_CEILING}: below \
             {MIN_COUNT_FLOOR}, pupils in a small group could tell what the others answered"
        )));
    }
    if too_long(&options.label, 60) {
        return Err(CreateError::BadOptions(
            "label: at most 60 characters".into(),
        ));
    }
    if too_long(&options.local_contact, 200) {
        return Err(CreateError::BadOptions(
            "local_contact: at most 200 characters".into(),
        ));
    }
    Ok(())
}
