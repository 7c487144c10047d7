//! The session actor: one task that owns a session's machine, journal and connections.
//!
//! It polls host commands and attachments first (`biased`), then pupil input in batches, then
//! its deadlines (question timer, coalesced counts, help batches, host away). Every decision is
//! journalled before it is applied; visible effects wait in `pending` until the journal says
//! their events are durable. Phone remotes (pairing, accept, refuse, revoke) are in `devices`.

mod devices;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::fanout::{frame, Conns, Fresh};
use super::handle::{ConnId, ConnLink, Control, PupilInput, PupilMsg};
use super::help::HelpAlerts;
use super::journal::{Journal, JournalError};
use super::machine::{Audience, Command, Effect, Event, Millis, Reject, Session, Viewer};
use super::registry::Limits;
use super::secret;
use crate::protocol::{close, EndReason, ErrorCode, Role, ServerMsg, SessionInfo};

/// Live answer counts go to hosts at most this often (the first answer goes at once).
const COUNT_EVERY: Duration = Duration::from_millis(40);
/// Presence (devices connected) goes to hosts and screens at most this often.
const PRESENCE_EVERY: Duration = Duration::from_millis(250);
/// While a host is connected, the journal is told so this often (see `Journal::touch`).
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// How long shutdown waits for the journal before closing connections.
const SHUTDOWN_DRAIN: Duration = Duration::from_millis(1500);

/// Something waiting for its events to be durable before it is sent.
#[derive(Debug)]
enum Deliver {
    /// An event's effect.
    Effect(Effect),
    /// A coalesced state-of-now message, for the connections attached before [`Conns::stamp`]
    /// was the number it carries.
    Live(Audience, ServerMsg, u64),
    /// A message for one connection (snapshot, re-acknowledgement, error).
    Direct(ConnId, ServerMsg),
}

/// A coalescing timer: the first change goes at once, later ones at most every `every`.
#[derive(Debug)]
struct Throttle {
    every: Duration,
    dirty: bool,
    last: Option<Instant>,
}

impl Throttle {
    fn new(every: Duration) -> Throttle {
        Throttle {
            every,
            dirty: false,
            last: None,
        }
    }

    /// When the pending change is due, if any.
    fn due(&self) -> Option<Instant> {
        self.dirty
            .then(|| self.last.map_or_else(Instant::now, |t| t + self.every))
    }

    /// Whether to flush now (and, if so, records it).
    fn take(&mut self, now: Instant, force: bool) -> bool {
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
        let left =
            (machine.created_unix_ms.saturating_add(life)).saturating_sub(crate::store::unix_ms());
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
                    self.drain(&mut watermark).await;
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
                self.journal.end(crate::store::report_of(
                    &self.machine,
                    crate::store::unix_ms(),
                ));
                break;
            }
        }
        tracing::info!(session = %self.machine.code, ended = self.machine.is_ended(), "session actor stopped");
    }

    /// Shutdown: take no more input, wait (briefly) for the journal to hold what was decided,
    /// release it, then close every connection with 1012 so clients resume after the restart.
    async fn drain(&mut self, watermark: &mut Option<watch::Receiver<u64>>) {
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
        self.conns.close_all(close::RESTART);
        self.close_waiting(close::RESTART);
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

    fn next_wakeup(&self) -> Option<Instant> {
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

    fn on_wake(&mut self) {
        let now = Instant::now();
        if self.conns.hosts() > 0 && self.last_touch + TOUCH_EVERY <= now {
            self.journal.touch();
            self.last_touch = now;
        }
        if self.dies_at <= now && !self.machine.is_ended() {
            tracing::info!(session = %self.machine.code, "the session reached --max-session-life: ending it");
            let _ = self.decide_and_commit(&Command::Expire(EndReason::MaxLife));
            return;
        }
        if let Some(t) = self
            .host_away_since
            .filter(|t| *t + self.limits.host_grace <= now)
        {
            // The time the server saw with no host, from the last host's detach to now.
            let away_ms = now.saturating_duration_since(t).as_millis() as u64;
            tracing::info!(session = %self.machine.code, away_ms, "no host came back in time: ending the session");
            self.host_away_since = None;
            let _ = self.decide_and_commit(&Command::Expire(EndReason::HostAway));
            return;
        }
        let _ = self.decide_and_commit(&Command::Tick);
    }

    /// Decides, journals and applies a command; queues its effects.
    fn decide_and_commit(&mut self, command: &Command) -> Result<u64, Reject> {
        let events = self.machine.decide(self.now_ms(), command)?;
        self.commit(events).map_err(|e| {
            tracing::warn!(session = %self.machine.code, error = %e, "journal refused a batch");
            Reject::refused(ErrorCode::Busy, "the server is busy saving; try again")
        })
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

    fn queue(&mut self, conn: ConnId, msg: ServerMsg) {
        self.pending
            .push_back((self.machine.seq, Deliver::Direct(conn, msg)));
    }

    fn refuse(&mut self, conn: ConnId, reject: Reject, in_reply_to: &str) {
        if let Reject::Refused { code, message } = reject {
            let in_reply_to = Some(in_reply_to.to_owned());
            let msg = ServerMsg::Error {
                code,
                message,
                in_reply_to,
            };
            // A phone still waiting for the console is not attached: answer it on its own link.
            if self.conns.role_of(conn).is_none() && self.reply_waiting(conn, &msg) {
                return;
            }
            self.queue(conn, msg);
        }
    }

    /// Queues a state-of-now message for the connections attached so far.
    fn live(&mut self, audience: Audience, msg: ServerMsg) {
        let stamp = self.conns.stamp();
        self.pending
            .push_back((self.machine.seq, Deliver::Live(audience, msg, stamp)));
    }

    /// Coalesced messages whose time has come.
    fn flush(&mut self, now: Instant) {
        let everyone = self
            .machine
            .open_round()
            .is_some_and(|(_, _, r)| r.answered() >= self.machine.active_pupils());
        if self.count.take(now, everyone) {
            if let Some(msg) = self.machine.answers_msg() {
                self.live(Audience::Watchers, msg);
            }
        }
        if self.presence.take(now, false) {
            let msg = ServerMsg::Presence {
                connected: self.conns.pupils_connected(),
                joined: self.machine.active_pupils(),
            };
            self.live(Audience::Watchers, msg);
            if let Some(players) = self.machine.players_msg() {
                self.live(Audience::Hosts, players);
            }
        }
        let total = self.machine.help_total();
        if let Some(new) = self.help.take(self.at_ms(now), total) {
            self.live(Audience::Hosts, ServerMsg::HelpRequests { new, total });
        }
    }

    /// Sends everything whose events are durable.
    fn release(&mut self) {
        let durable = self.journal.durable();
        while self.pending.front().is_some_and(|(seq, _)| *seq <= durable) {
            let Some((seq, item)) = self.pending.pop_front() else {
                break;
            };
            match item {
                Deliver::Effect(Effect::Send(audience, msg)) => {
                    self.conns
                        .broadcast(audience, Fresh::Event(seq), &frame(seq, msg));
                }
                Deliver::Live(audience, msg, stamp) => {
                    self.conns
                        .broadcast(audience, Fresh::Live(stamp), &frame(seq, msg));
                }
                Deliver::Effect(Effect::Kick(pupil)) => self.conns.kick(pupil),
                Deliver::Direct(conn, msg) => self.conns.send(conn, frame(seq, msg)),
            }
        }
    }

    fn on_control(&mut self, msg: Control) {
        match msg {
            Control::Attach {
                conn,
                role,
                secret,
                ticket,
                link,
            } => self.attach(conn, role, secret, ticket, link),
            Control::Detach { conn } => {
                let device = self.conns.device_of(conn);
                match self.conns.detach(conn) {
                    Some(Role::Player) => self.presence.dirty = true,
                    Some(Role::Host) if self.conns.hosts() == 0 => {
                        self.host_away_since = Some(Instant::now());
                    }
                    _ => {}
                }
                if device.is_some() {
                    self.send_devices();
                }
                self.forget_waiting(conn);
            }
            Control::Claimed { credential_hash } => self.on_claimed(credential_hash),
            Control::Device { conn, cmd, name } => self.on_device(conn, cmd, name),
            Control::Host { conn, cmd, name } => {
                let revoked = self
                    .conns
                    .device_of(conn)
                    .is_some_and(|d| !self.machine.device_active(d));
                if self.conns.role_of(conn) != Some(Role::Host) || revoked {
                    let reject = Reject::refused(
                        ErrorCode::NotAllowed,
                        "host commands need the host secret",
                    );
                    return self.refuse(conn, reject, name);
                }
                if let Err(reject) = self.decide_and_commit(&Command::Host(cmd)) {
                    self.refuse(conn, reject, name);
                }
            }
        }
    }

    fn on_input(&mut self, input: PupilInput) {
        let Some(pupil) = self.conns.pupil_of(input.conn) else {
            return;
        };
        match input.msg {
            PupilMsg::Answer(answer) => {
                let at_ms = self.at_ms(input.at);
                let cmd = Command::Answer {
                    pupil,
                    answer,
                    at_ms,
                };
                match self.decide_and_commit(&cmd) {
                    Ok(_) | Err(Reject::Stale) | Err(Reject::Nothing) => {}
                    Err(Reject::Duplicate(ack)) => self.queue(input.conn, *ack),
                    Err(reject) => self.refuse(input.conn, reject, "answer"),
                }
            }
            PupilMsg::Help => {
                if self.help.counts(pupil, self.at_ms(input.at)) {
                    let _ = self.decide_and_commit(&Command::HelpRequest);
                }
            }
        }
    }

    fn attach(
        &mut self,
        conn: ConnId,
        role: Role,
        secret: Option<String>,
        ticket: Option<String>,
        link: ConnLink,
    ) {
        let mut device = None;
        let (viewer, token) = match (role, secret) {
            (Role::Host, Some(s)) if secret::matches(&s, &self.machine.host_hash) => {
                (Viewer::Host, None)
            }
            (Role::Screen, Some(s)) if secret::matches(&s, &self.machine.screen_hash) => {
                (Viewer::Screen, None)
            }
            // Not the host secret: a paired device's credential, or a phone waiting for the
            // teacher's answer; anything else is refused exactly like a wrong secret.
            (Role::Host, Some(s)) => match self.device_hello(&s) {
                devices::Hello::Paired(n) => {
                    device = Some(n);
                    (Viewer::Host, None)
                }
                devices::Hello::Waiting(i) => return self.wait_for_teacher(i, conn, link),
                devices::Hello::Unknown => {
                    let (code, message) = wrong_secret(role);
                    return self.turn_away(link, code, message);
                }
            },
            (Role::Host | Role::Screen, _) => {
                let (code, message) = wrong_secret(role);
                return self.turn_away(link, code, message);
            }
            (Role::Player, Some(token)) => match self.machine.pupil_by_token(&secret::hash(&token))
            {
                Some(p) => (Viewer::Pupil(p), None),
                None => {
                    let (code, message) = wrong_secret(role);
                    return self.turn_away(link, code, message);
                }
            },
            (Role::Player, None)
                if ticket
                    .as_ref()
                    .is_some_and(|t| !secret::is_join_ticket(t, &self.machine.screen_hash)) =>
            {
                let (code, message) = wrong_secret(role);
                return self.turn_away(link, code, message);
            }
            (Role::Player, None) => {
                let token = secret::generate();
                let cmd = Command::Join {
                    pupil: rand::random(),
                    token_hash: secret::hash(&token),
                    name_seed: rand::random(),
                    max_players: self.limits.max_players,
                };
                let events = match self.machine.decide(self.now_ms(), &cmd) {
                    Ok(events) => events,
                    Err(Reject::Refused { code, message }) => {
                        return self.turn_away(link, code, &message)
                    }
                    Err(_) => return self.turn_away(link, ErrorCode::Internal, "could not join"),
                };
                let pupil = match events.first() {
                    Some(Event::PupilJoined { pupil, .. }) => *pupil,
                    _ => return self.turn_away(link, ErrorCode::Internal, "could not join"),
                };
                if self.commit(events).is_err() {
                    return self.turn_away(link, ErrorCode::Busy, "the server is busy; try again");
                }
                (Viewer::Pupil(pupil), Some(token))
            }
        };
        self.admit(conn, role, viewer, token, device, link);
    }

    /// Registers a connection whose `hello` was accepted (or a waiting phone the teacher just
    /// accepted) and queues its welcome and snapshot.
    fn admit(
        &mut self,
        conn: ConnId,
        role: Role,
        viewer: Viewer,
        token: Option<String>,
        device: Option<u32>,
        link: ConnLink,
    ) {
        let pupil = match viewer {
            Viewer::Pupil(p) => Some(p),
            Viewer::Host | Viewer::Screen => None,
        };
        let seq = self.machine.seq;
        self.conns.attach(conn, role, pupil, link, seq);
        if let Some(n) = device {
            self.conns.set_device(conn, n);
        }
        match role {
            Role::Host => self.host_away_since = None,
            Role::Player => self.presence.dirty = true,
            Role::Screen => {}
        }
        let name = pupil
            .and_then(|p| self.machine.pupil(p))
            .and_then(|p| p.name.clone());
        let session = self.session_info();
        let ticket = (role != Role::Player).then(|| secret::join_ticket(&self.machine.screen_hash));
        self.queue(
            conn,
            ServerMsg::Welcome {
                role,
                session,
                token,
                name,
                ticket,
            },
        );
        for msg in self.machine.snapshot(viewer, self.now_ms()) {
            self.queue(conn, msg);
        }
        if role != Role::Player {
            let connected = self.conns.pupils_connected();
            self.queue(
                conn,
                ServerMsg::Presence {
                    connected,
                    joined: self.machine.active_pupils(),
                },
            );
        }
        // Only what the hosts were told: a console reloaded just after a tap must not show it
        // before the alert's boundary.
        if role == Role::Host && self.help.announced() > 0 {
            let total = self.help.announced();
            self.queue(conn, ServerMsg::HelpRequests { new: 0, total });
        }
        if role == Role::Host {
            self.devices_attached(conn, device);
        }
    }

    /// Refuses a `hello`: an error, then the close code that goes with it.
    fn turn_away(&mut self, link: ConnLink, code: ErrorCode, message: &str) {
        let msg = ServerMsg::Error {
            code,
            message: message.to_owned(),
            in_reply_to: Some("hello".into()),
        };
        // Not attached: write straight to its queue, then let it close after draining. The code
        // goes first, so a connection reading this frame knows it is a refusal.
        // Sequence 0: a refused connection is not in the session's stream, and the session's
        // own sequence number would tell a guesser that this code is in use.
        link.ctl.set_code(close::REFUSED);
        let _ = link.tx.try_send(frame(0, msg));
    }

    fn session_info(&self) -> SessionInfo {
        let quiz = &self.machine.quiz;
        SessionInfo {
            code: self.machine.code.clone(),
            title: quiz.title.clone(),
            lang: quiz.lang.code().to_owned(),
            mode: self.machine.options.mode,
            questions: quiz.questions.len() as u32,
            min_count: super::machine::disclosure::threshold(self.machine.options.min_count),
            content_warning: quiz.content_warning.clone(),
            local_contact: self.machine.options.local_contact.clone(),
            hide_score: self.machine.options.hide_score,
        }
    }
}

/// How a `hello` whose secret, token or join ticket fits nothing is refused, for its role. The
/// connection refuses such a `hello` for a code with no session in exactly the same words, so
/// that it — never slowed by the guard — cannot tell a guesser which codes are live.
pub fn wrong_secret(role: Role) -> (ErrorCode, &'static str) {
    match role {
        Role::Player => (ErrorCode::BadToken, "unknown or expired token"),
        Role::Host | Role::Screen => (ErrorCode::BadSecret, "wrong secret for this session"),
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
