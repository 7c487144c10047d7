//! The session actor: one task that owns a session's machine, journal and connections.
//!
//! It polls host commands and attachments first (`biased`), then pupil input in batches, then
//! its deadlines. Every decision is journalled before it is applied; visible effects wait in
//! `pending` until the journal says their events are durable. This file holds the actor's state,
//! its loop, shutdown and the end of a session, and the one path from a command to the journal
//! (`decide_commit`); the rest is split by job:
//!
//! - `inbox`: what arrives on the control and input channels;
//! - `attach`: a `hello` checked, a connection admitted (welcome and snapshot) or turned away;
//! - `outbox`: what waits for durability, and leaves once durable (`release`, `flush`);
//! - `timers`: the deadlines of the `select!` (question timer, throttles, host away, max life);
//! - `devices`: phone remotes (pairing, accept, refuse, revoke).

mod attach;
mod devices;
mod inbox;
mod outbox;
mod timers;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::fanout::Conns;
use super::handle::{Control, PupilInput};
use super::help::HelpAlerts;
use super::journal::{Journal, JournalError};
use super::machine::{Command, Event, Millis, Reject, Session};
use super::options::Limits;
use super::report::Report;
use super::wall::unix_ms;
use crate::protocol::{close, ErrorCode};
use outbox::Deliver;
use timers::Throttle;

pub use attach::wrong_secret;

/// Live answer counts go to hosts at most this often (the first answer goes at once).
const COUNT_EVERY: Duration = Duration::from_millis(40);
/// Presence (devices connected) goes to hosts and screens at most this often.
const PRESENCE_EVERY: Duration = Duration::from_millis(250);
/// While a host is connected, the journal is told so this often (see `Journal::touch`).
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// How long shutdown waits for the journal before closing connections.
const SHUTDOWN_DRAIN: Duration = Duration::from_millis(1500);
/// After a journal answered `busy` to something the actor decided by itself (a timer, the end
/// of a session), it tries again this much later.
const BUSY_RETRY: Duration = Duration::from_millis(100);

/// One session's actor state.
pub struct Actor {
    machine: Session,
    journal: Box<dyn Journal>,
    limits: Limits,
    epoch: Instant,
    offset_ms: Millis,
    conns: Conns,
    pending: VecDeque<(u64, Deliver)>,
    count: Throttle,
    presence: Throttle,
    help: HelpAlerts,
    host_away_since: Option<Instant>,
    last_touch: Instant,
    /// Phones that claimed the pairing code and wait for the console's answer.
    waiting: Vec<devices::Waiting>,
    /// The number the next phone to claim gets.
    next_device: u32,
    /// When the session reaches `--max-session-life`, counted from its creation's wall-clock
    /// time (so it holds across restarts).
    dies_at: Instant,
    /// The journal answered `busy` to a timer's command: nothing is decided on a timer before
    /// this (the command is not dropped: its deadline is still due then).
    busy_until: Option<Instant>,
}

/// Why a command changed nothing.
enum Unmade {
    /// The machine refused it.
    Rejected(Reject),
    /// The journal did not take its events.
    Journal(JournalError),
}

impl Actor {
    /// An actor for `machine`, whose events so far are in `journal`.
    pub fn new(machine: Session, journal: Box<dyn Journal>, limits: Limits) -> Actor {
        let offset_ms = machine.last_ms;
        let help = HelpAlerts::new(
            limits.help_window.as_millis() as Millis,
            machine.help_total(),
        );
        let next_device = machine.last_device_number() + 1;
        let life = limits.max_life.as_millis() as u64;
        let left = (machine.created_unix_ms.saturating_add(life)).saturating_sub(unix_ms());
        Actor {
            dies_at: Instant::now() + Duration::from_millis(left),
            machine,
            journal,
            limits,
            epoch: Instant::now(),
            offset_ms,
            conns: Conns::default(),
            pending: VecDeque::new(),
            count: Throttle::new(COUNT_EVERY),
            presence: Throttle::new(PRESENCE_EVERY),
            help,
            host_away_since: Some(Instant::now()),
            last_touch: Instant::now(),
            waiting: Vec::new(),
            next_device,
            busy_until: None,
        }
    }

    /// After a restart: a question that was open when the server stopped comes back paused.
    pub fn pause_if_open(&mut self) {
        if self.machine.stage() == crate::protocol::Stage::Open && !self.machine.is_paused() {
            let _ = self.decide_and_commit(&Command::Host(super::machine::HostCommand::Pause));
        }
    }

    /// Runs until the session ends, every handle is dropped, or the server shuts down.
    pub async fn run(
        mut self,
        mut control: mpsc::Receiver<Control>,
        mut inputs: mpsc::Receiver<PupilInput>,
        shutdown: CancellationToken,
    ) {
        let mut watermark = self.journal.watermark();
        let mut batch = Vec::with_capacity(512);
        loop {
            let wake = self.next_wakeup();
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    self.drain(&mut watermark, &shutdown).await;
                    return;
                }
                msg = control.recv() => match msg {
                    Some(msg) => self.on_control(msg),
                    None => break,
                },
                n = inputs.recv_many(&mut batch, 512) => {
                    if n == 0 { break; }
                    for input in batch.drain(..) {
                        self.on_input(input);
                    }
                }
                _ = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => self.on_wake(),
                _ = changed(&mut watermark) => {}
            }
            self.flush(Instant::now());
            self.release();
            if self.machine.is_ended() && self.pending.is_empty() {
                self.conns.close_all(close::ENDED);
                self.close_waiting(close::ENDED);
                self.finish(&shutdown).await;
                break;
            }
        }
        tracing::info!(session = %self.machine.code, ended = self.machine.is_ended(), "session actor stopped");
    }

    /// Shutdown: take no more input, wait (briefly) for the journal to hold what was decided,
    /// release it, then close every connection with 1012 so clients resume after the restart.
    /// A session that had ended is finished first (its report handed to the journal).
    async fn drain(
        &mut self,
        watermark: &mut Option<watch::Receiver<u64>>,
        shutdown: &CancellationToken,
    ) {
        let deadline = Instant::now() + SHUTDOWN_DRAIN;
        while self.journal.durable() < self.machine.seq {
            if tokio::time::timeout_at(deadline, changed(watermark))
                .await
                .is_err()
            {
                tracing::warn!(session = %self.machine.code, "journal not durable before shutdown");
                break;
            }
        }
        self.release();
        if self.machine.is_ended() && self.pending.is_empty() {
            self.conns.close_all(close::ENDED);
            self.close_waiting(close::ENDED);
            self.finish(shutdown).await;
            return;
        }
        self.conns.close_all(close::RESTART);
        self.close_waiting(close::RESTART);
    }

    /// The session ended and everything is released: hand its report to the journal, which
    /// then deletes its per-pupil events. A busy journal is asked again, from this task (which
    /// the server's shutdown waits for), until it takes the end; while the server shuts down, for
    /// [`SHUTDOWN_DRAIN`] at most (the next start then ends the session from its journal).
    async fn finish(&mut self, shutdown: &CancellationToken) {
        let report = Report::of(&self.machine, unix_ms());
        let mut give_up = None;
        loop {
            match self.journal.end(report.as_ref()) {
                Ok(()) => return,
                Err(JournalError::Busy) => {}
                Err(e) => {
                    tracing::error!(session = %self.machine.code, error = %e, "the journal could not end the session");
                    return;
                }
            }
            if shutdown.is_cancelled() {
                let at = *give_up.get_or_insert_with(|| Instant::now() + SHUTDOWN_DRAIN);
                if Instant::now() >= at {
                    tracing::warn!(session = %self.machine.code, "the journal was busy until shutdown: the next start ends the session");
                    return;
                }
            }
            tracing::debug!(session = %self.machine.code, "the journal is busy: ending the session again shortly");
            tokio::time::sleep(BUSY_RETRY).await;
        }
    }

    fn now_ms(&self) -> Millis {
        self.at_ms(Instant::now())
    }

    fn at_ms(&self, at: Instant) -> Millis {
        self.offset_ms + at.saturating_duration_since(self.epoch).as_millis() as Millis
    }

    fn instant_of(&self, ms: Millis) -> Instant {
        self.epoch + Duration::from_millis(ms.saturating_sub(self.offset_ms))
    }

    /// Decides, journals and applies a command; queues its effects. A journal that cannot take
    /// the events makes the command refused as `busy` (the client sends it again).
    fn decide_and_commit(&mut self, command: &Command) -> Result<u64, Reject> {
        self.decide_commit(command).map_err(|unmade| match unmade {
            Unmade::Rejected(reject) => reject,
            Unmade::Journal(e) => {
                tracing::warn!(session = %self.machine.code, error = %e, "journal refused a batch");
                Reject::refused(ErrorCode::Busy, "the server is busy saving; try again")
            }
        })
    }

    /// Decides, journals and applies a command; queues its effects; says why nothing changed.
    fn decide_commit(&mut self, command: &Command) -> Result<u64, Unmade> {
        let events = self
            .machine
            .decide(self.now_ms(), command)
            .map_err(Unmade::Rejected)?;
        self.commit(events).map_err(Unmade::Journal)
    }

    fn commit(&mut self, events: Vec<Event>) -> Result<u64, JournalError> {
        self.journal.append(self.machine.seq + 1, &events)?;
        for event in &events {
            self.machine.apply(event);
            let seq = self.machine.seq;
            for effect in self.machine.effects(event) {
                self.pending.push_back((seq, Deliver::Effect(effect)));
            }
            self.observe(event);
        }
        Ok(self.machine.seq)
    }

    /// Book-keeping for coalesced messages.
    fn observe(&mut self, event: &Event) {
        match event {
            Event::AnswerRecorded { .. } => self.count.dirty = true,
            Event::QuestionOpened { .. } | Event::QuestionClosed { .. } => {
                self.count = Throttle::new(COUNT_EVERY);
            }
            Event::PupilJoined { .. } | Event::PupilRemoved { .. } => self.presence.dirty = true,
            Event::HelpRequested => self.help.recorded(self.now_ms()),
            _ => {}
        }
    }
}

/// Resolves when the durable watermark moves; never when appends are durable at once.
async fn changed(watermark: &mut Option<watch::Receiver<u64>>) {
    match watermark {
        Some(rx) => {
            if rx.changed().await.is_err() {
                *watermark = None;
            }
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
