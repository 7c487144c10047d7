//! The session machine: pure, synchronous, event-sourced.
//!
//! `decide(now, command)` checks a command against the state and returns the events it causes (or
//! why not); `apply(event)` folds one event into the state. Nothing here reads a clock, draws a
//! random number or does I/O, so the same journal always rebuilds the same session. Tallies,
//! scores and ranks are derived from recorded answers, never stored separately from them.

mod decide;
mod devices;
pub mod disclosure;
mod events;
mod fit;
mod names;
pub mod record;
mod scoring;
mod views;

#[cfg(test)]
mod disclosure_cases;
#[cfg(test)]
mod disclosure_game;
#[cfg(test)]
mod disclosure_props;
#[cfg(test)]
mod fit_tests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

pub use devices::{Device, MAX_DEVICES};
pub use events::{
    Command, Event, HostCommand, Millis, PupilId, Reject, SessionCreated, ADD_TIME_MS, GRACE_MS,
};
pub use fit::{Misfit, ReplayError};
pub use views::{Audience, Effect, Viewer};

use crate::protocol::{Choice, Stage};
use crate::quiz::model::Quiz;
use crate::session::SessionOptions;

/// A pupil as the machine knows them: no name unless challenge mode generated one.
#[derive(Debug, Clone, PartialEq)]
pub struct Pupil {
    /// Sequence number of the event that made them join (orders joins against closes).
    pub joined_seq: u64,
    /// Challenge-mode pseudonym.
    pub name: Option<String>,
    /// Removed by the host.
    pub removed: bool,
}

/// An answer that counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The client's sequence number.
    pub client_seq: u64,
    /// The choice.
    pub choice: Choice,
}

/// One vote on one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// When it opened.
    pub opened_ms: Millis,
    /// Deadline while running (timed questions).
    pub deadline_ms: Option<Millis>,
    /// Sequence number of the close, once closed.
    pub closed_seq: Option<u64>,
    /// The answers, one per pupil.
    pub answers: HashMap<PupilId, Recorded>,
    /// Per-option counts of the answers above (kept in step with them, O(1) per answer).
    pub tally: Vec<u32>,
    /// Pupils who passed.
    pub passed: u32,
}

impl Round {
    fn new(options: usize, opened_ms: Millis, deadline_ms: Option<Millis>) -> Round {
        Round {
            opened_ms,
            deadline_ms,
            closed_seq: None,
            answers: HashMap::new(),
            tally: vec![0; options],
            passed: 0,
        }
    }

    /// Pupils who answered or passed.
    pub fn answered(&self) -> u32 {
        self.answers.len() as u32
    }

    fn count(&mut self, choice: &Choice, add: bool) {
        let step = |n: &mut u32| {
            if add {
                *n += 1
            } else {
                *n = n.saturating_sub(1)
            }
        };
        match choice {
            Choice::Pass => step(&mut self.passed),
            Choice::Options(picked) => {
                for &i in picked {
                    if let Some(n) = self.tally.get_mut(usize::from(i)) {
                        step(n);
                    }
                }
            }
        }
    }
}

/// What happened to one question of the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionRun {
    /// First vote, then possibly a second one.
    pub rounds: Vec<Round>,
    /// Answer revealed.
    pub revealed: bool,
    /// Left out by the host.
    pub skipped: bool,
}

/// The state of one live session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Join code.
    pub code: String,
    /// The quiz (selected questions only).
    pub quiz: Arc<Quiz>,
    /// Options.
    pub options: SessionOptions,
    /// SHA-256 of the host secret, hex.
    pub host_hash: String,
    /// SHA-256 of the screen token, hex.
    pub screen_hash: String,
    /// Wall-clock creation (Unix ms).
    pub created_unix_ms: u64,
    /// Events applied so far (the session's sequence number).
    pub seq: u64,
    /// Time of the last event applied.
    pub last_ms: Millis,
    pupils: HashMap<PupilId, Pupil>,
    tokens: HashMap<String, PupilId>,
    names: HashMap<String, PupilId>,
    active: u32,
    stage: Stage,
    /// The last question opened.
    current: Option<u32>,
    /// The question shown again (stage review).
    reviewing: Option<u32>,
    paused: bool,
    /// Time left of a timed open question while paused.
    pause_left: Option<Millis>,
    locked: bool,
    runs: Vec<QuestionRun>,
    help_total: u32,
    ended: bool,
    /// Devices paired on the console (phone remotes), revoked ones included.
    devices: Vec<Device>,
}

impl Session {
    /// The state right after [`Event::Created`] (which is sequence number 1).
    pub fn new(created: &SessionCreated) -> Session {
        Session {
            code: created.code.clone(),
            quiz: created.quiz.clone(),
            options: created.options.clone(),
            host_hash: created.host_hash.clone(),
            screen_hash: created.screen_hash.clone(),
            created_unix_ms: created.created_unix_ms,
            seq: 1,
            last_ms: 0,
            pupils: HashMap::new(),
            tokens: HashMap::new(),
            names: HashMap::new(),
            active: 0,
            stage: Stage::Lobby,
            current: None,
            reviewing: None,
            paused: false,
            pause_left: None,
            locked: false,
            runs: vec![QuestionRun::default(); created.quiz.questions.len()],
            help_total: 0,
            ended: false,
            devices: Vec::new(),
        }
    }

    /// Folds one event into the state. Events are facts: this never refuses one, and never
    /// panics on one that does not fit (one naming a question the quiz does not have is
    /// ignored); a journal read back is checked first ([`Session::replay`], [`Session::fits`]).
    pub fn apply(&mut self, event: &Event) {
        self.seq += 1;
        match event {
            Event::Created(_) => {}
            Event::PupilJoined {
                pupil,
                token_hash,
                name,
                at_ms,
            } => {
                self.last_ms = *at_ms;
                let p = Pupil {
                    joined_seq: self.seq,
                    name: name.clone(),
                    removed: false,
                };
                self.pupils.insert(*pupil, p);
                self.tokens.insert(token_hash.clone(), *pupil);
                if let Some(name) = name {
                    self.names.insert(name.clone(), *pupil);
                }
                self.active += 1;
            }
            Event::PupilRemoved { pupil } => {
                if let Some(p) = self.pupils.get_mut(pupil) {
                    if !p.removed {
                        p.removed = true;
                        self.active = self.active.saturating_sub(1);
                    }
                }
            }
            Event::LobbyLocked { locked } => self.locked = *locked,
            Event::Started { at_ms } => {
                self.last_ms = *at_ms;
                self.stage = Stage::Intro;
            }
            Event::QuestionOpened {
                q,
                round,
                at_ms,
                deadline_ms,
            } => {
                self.last_ms = *at_ms;
                let (Some(question), Some(run)) = (
                    self.quiz.questions.get(*q as usize),
                    self.runs.get_mut(*q as usize),
                ) else {
                    return;
                };
                let options = question.options.len();
                run.rounds.truncate(usize::from(round.saturating_sub(1)));
                run.rounds.push(Round::new(options, *at_ms, *deadline_ms));
                self.current = Some(*q);
                self.reviewing = None;
                self.stage = Stage::Open;
                self.pause_left = None;
                self.paused = false;
            }
            Event::AnswerRecorded {
                pupil,
                q,
                round,
                client_seq,
                choice,
                at_ms,
            } => {
                self.last_ms = *at_ms;
                let Some(r) = self.round_mut(*q, *round) else {
                    return;
                };
                let new = Recorded {
                    client_seq: *client_seq,
                    choice: choice.clone(),
                };
                if let Some(old) = r.answers.insert(*pupil, new) {
                    r.count(&old.choice, false);
                }
                r.count(choice, true);
            }
            Event::QuestionClosed { q, at_ms } => {
                self.last_ms = *at_ms;
                let seq = self.seq;
                let Some(run) = self.runs.get_mut(*q as usize) else {
                    return;
                };
                if let Some(r) = run.rounds.last_mut() {
                    r.closed_seq = Some(seq);
                    r.deadline_ms = None;
                }
                self.stage = Stage::Closed;
                self.pause_left = None;
            }
            Event::Revealed { q } => {
                if let Some(run) = self.runs.get_mut(*q as usize) {
                    run.revealed = true;
                    self.stage = Stage::Revealed;
                }
            }
            Event::Paused { at_ms } => {
                self.last_ms = *at_ms;
                self.paused = true;
                if let Some(r) = self.open_round_mut() {
                    let left = r.deadline_ms.map(|d| d.saturating_sub(*at_ms));
                    r.deadline_ms = None;
                    self.pause_left = left;
                }
            }
            Event::Resumed { at_ms } => {
                self.last_ms = *at_ms;
                self.paused = false;
                if let Some(left) = self.pause_left.take() {
                    if let Some(r) = self.open_round_mut() {
                        r.deadline_ms = Some(at_ms.saturating_add(left));
                    }
                }
            }
            Event::TimeAdded { ms } => {
                if let Some(left) = self.pause_left.as_mut() {
                    *left = left.saturating_add(*ms);
                } else if let Some(d) = self.open_round_mut().and_then(|r| r.deadline_ms.as_mut()) {
                    *d = d.saturating_add(*ms);
                }
            }
            Event::Skipped { q } => {
                if let Some(run) = self.runs.get_mut(*q as usize) {
                    run.skipped = true;
                }
            }
            Event::ResultsShown { q } => {
                if self.runs.get(*q as usize).is_some() {
                    self.reviewing = Some(*q);
                    self.stage = Stage::Review;
                }
            }
            Event::Finished { at_ms } => {
                self.last_ms = *at_ms;
                self.stage = Stage::Finished;
                self.paused = false;
                self.pause_left = None;
                self.reviewing = None;
            }
            Event::HelpRequested => self.help_total += 1,
            Event::Ended { at_ms, .. } => {
                self.last_ms = *at_ms;
                self.ended = true;
            }
            Event::DevicePaired { .. } | Event::DeviceRevoked { .. } => self.apply_device(event),
        }
    }

    fn round_mut(&mut self, q: u32, round: u8) -> Option<&mut Round> {
        let idx = usize::from(round).checked_sub(1)?;
        self.runs.get_mut(q as usize)?.rounds.get_mut(idx)
    }

    fn open_round_mut(&mut self) -> Option<&mut Round> {
        if self.stage != Stage::Open {
            return None;
        }
        let q = self.current?;
        self.runs.get_mut(q as usize)?.rounds.last_mut()
    }

    /// The round currently open, with its question index and round number.
    pub fn open_round(&self) -> Option<(u32, u8, &Round)> {
        if self.stage != Stage::Open {
            return None;
        }
        let q = self.current?;
        let rounds = &self.runs.get(q as usize)?.rounds;
        Some((q, rounds.len() as u8, rounds.last()?))
    }

    /// The next time the actor must send [`Command::Tick`]: the open question's deadline plus grace.
    pub fn next_deadline(&self) -> Option<Millis> {
        if self.paused {
            return None;
        }
        self.open_round()
            .and_then(|(_, _, r)| r.deadline_ms)
            .map(|d| d.saturating_add(GRACE_MS))
    }

    /// The pupil holding this token hash, unless removed.
    pub fn pupil_by_token(&self, token_hash: &str) -> Option<PupilId> {
        let id = *self.tokens.get(token_hash)?;
        (!self.pupils.get(&id)?.removed).then_some(id)
    }

    /// A pupil by id.
    pub fn pupil(&self, id: PupilId) -> Option<&Pupil> {
        self.pupils.get(&id)
    }

    /// Pupils who joined and were not removed.
    pub fn active_pupils(&self) -> u32 {
        self.active
    }

    /// Where the session is.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Paused for discussion.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Ended for good.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Lobby locked.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// All "talk to an adult" requests so far.
    pub fn help_total(&self) -> u32 {
        self.help_total
    }

    /// What happened to question `q`.
    pub fn run(&self, q: u32) -> Option<&QuestionRun> {
        self.runs.get(q as usize)
    }
}
