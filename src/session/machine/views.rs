//! What each role is sent: the effects of an event and the snapshot on (re)connection.
//!
//! Privacy rules live here and in `disclosure`: while a question is open, hosts and screens get
//! the number of answers only; distributions come at the close, through
//! [`Session::distribution`], which applies the disclosure rules; an acknowledgement goes only to
//! the pupil who answered; notes go only to hosts.

use super::events::{Event, Millis, PupilId};
use super::{disclosure, Session};
use crate::protocol::{
    Distribution, Facilitator, OptionView, PlayerEntry, ScaleView, ServerMsg, Stage,
};

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// One pupil's connection.
    Pupil(PupilId),
    /// Every pupil.
    Pupils,
    /// Every host connection.
    Hosts,
    /// Hosts and screens.
    Watchers,
    /// Everybody.
    All,
}

/// A visible consequence of an event, released once the event is durable.
#[derive(Debug, Clone, PartialEq)]
// Nearly every effect is a `Send`; boxing it would add an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// Send a message.
    Send(Audience, ServerMsg),
    /// Close a removed pupil's connection.
    Kick(PupilId),
}

/// Who a snapshot is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// A host.
    Host,
    /// The projector.
    Screen,
    /// A pupil.
    Pupil(PupilId),
}

impl Session {
    /// The visible effects of `event`, which has just been applied.
    pub fn effects(&self, event: &Event) -> Vec<Effect> {
        use Audience::*;
        let send = Effect::Send;
        match event {
            Event::Created(_)
            | Event::PupilJoined { .. }
            | Event::HelpRequested
            | Event::Skipped { .. }
            | Event::DevicePaired { .. }
            | Event::DeviceRevoked { .. } => vec![],
            Event::AnswerRecorded {
                pupil, q, round, ..
            } => self
                .ack(*pupil, *q, *round)
                .map(|m| send(Pupil(*pupil), m))
                .into_iter()
                .collect(),
            Event::PupilRemoved { pupil } => vec![Effect::Kick(*pupil)],
            Event::Started { .. } | Event::LobbyLocked { .. } => vec![send(All, self.phase())],
            Event::QuestionOpened { q, at_ms, .. } => {
                let mut out = vec![send(All, self.phase())];
                out.extend(self.question_msg(*q, *at_ms).map(|m| send(All, m)));
                out.push(send(Hosts, ServerMsg::Facilitator(self.facilitator(*q))));
                out.extend(self.answers_msg().map(|m| send(Watchers, m)));
                out
            }
            Event::QuestionClosed { q, .. } => {
                let mut out = vec![send(All, self.phase())];
                out.extend(self.answers_for(*q).map(|m| send(Watchers, m)));
                out.extend(self.results_msg(*q).map(|m| send(Watchers, m)));
                out
            }
            Event::Revealed { q } => {
                let mut out = vec![send(All, self.phase())];
                out.extend(self.reveal_msg(*q, false).map(|m| send(Pupils, m)));
                out.extend(self.reveal_msg(*q, true).map(|m| send(Watchers, m)));
                out.extend(self.results_msg(*q).map(|m| send(Watchers, m)));
                out
            }
            Event::Paused { at_ms } | Event::Resumed { at_ms } => {
                let mut out = vec![send(All, self.phase())];
                out.extend(self.timer_msg(*at_ms).map(|m| send(All, m)));
                out
            }
            Event::TimeAdded { .. } => self
                .timer_msg(self.last_ms)
                .map(|m| send(All, m))
                .into_iter()
                .collect(),
            Event::ResultsShown { q } => {
                let mut out = vec![send(All, self.phase())];
                out.extend(self.results_msg(*q).map(|m| send(Watchers, m)));
                out
            }
            Event::Finished { .. } => {
                let mut out = vec![
                    send(All, self.phase()),
                    send(Watchers, ServerMsg::Summary(self.summary())),
                ];
                let table = self.challenge_table();
                for (id, p) in &self.pupils {
                    if !p.removed {
                        let result = self.private_result(*id, table.as_deref());
                        out.push(send(Pupil(*id), ServerMsg::Result(result)));
                    }
                }
                out
            }
            Event::Ended { reason, .. } => vec![send(All, ServerMsg::Ended { reason: *reason })],
        }
    }

    /// Everything a (re)connecting viewer needs to show the current state, at `now`.
    pub fn snapshot(&self, viewer: Viewer, now: Millis) -> Vec<ServerMsg> {
        let watcher = !matches!(viewer, Viewer::Pupil(_));
        let mut out = vec![self.phase()];
        if viewer == Viewer::Host {
            if let Some(players) = self.players_msg() {
                out.push(players);
            }
        }
        let q = match self.stage() {
            Stage::Review => self.reviewing,
            _ => self.current,
        };
        match (self.stage(), q) {
            (Stage::Open, Some(q)) => {
                out.extend(self.question_msg(q, now));
                if viewer == Viewer::Host {
                    out.push(ServerMsg::Facilitator(self.facilitator(q)));
                }
                if self.is_paused() {
                    out.extend(self.timer_msg(now));
                }
            }
            (Stage::Revealed, Some(q)) => out.extend(self.reveal_msg(q, watcher)),
            (Stage::Finished, _) => match viewer {
                Viewer::Pupil(p) => {
                    let table = self.challenge_table();
                    out.push(ServerMsg::Result(self.private_result(p, table.as_deref())));
                }
                _ => out.push(ServerMsg::Summary(self.summary())),
            },
            _ => {}
        }
        if let (Some(q), false) = (q, self.stage() == Stage::Finished) {
            // A host (re)connecting after the close still gets the notes of what is on screen.
            if viewer == Viewer::Host && self.stage() != Stage::Open {
                out.push(ServerMsg::Facilitator(self.facilitator(q)));
            }
            if watcher {
                out.extend(self.answers_for(q));
                if self.stage() != Stage::Open {
                    out.extend(self.results_msg(q));
                }
            } else if let (Viewer::Pupil(p), Some(run)) = (viewer, self.run(q)) {
                let round = run.rounds.len() as u8;
                if self.stage() != Stage::Review {
                    out.extend(self.ack(p, q, round));
                }
            }
        }
        out
    }

    /// The `phase` message for the current state.
    pub fn phase(&self) -> ServerMsg {
        let q = match self.stage() {
            Stage::Lobby | Stage::Intro | Stage::Finished => None,
            Stage::Review => self.reviewing,
            _ => self.current,
        };
        ServerMsg::Phase {
            stage: self.stage(),
            paused: self.is_paused(),
            question: q.map(|q| self.quiz.questions[q as usize].id.clone()),
            index: q,
            current: self.current,
            locked: self.is_locked(),
        }
    }

    /// The question as phones and screens see it, with the time left at `now`.
    pub fn question_msg(&self, q: u32, now: Millis) -> Option<ServerMsg> {
        let spec = self.quiz.questions.get(q as usize)?;
        let round = self.run(q)?.rounds.last()?;
        let time_left_ms = match (round.deadline_ms, self.pause_left) {
            (Some(d), _) => Some(d.saturating_sub(now)),
            (None, left) => left,
        };
        Some(ServerMsg::Question {
            question: spec.id.clone(),
            index: q,
            total: self.quiz.questions.len() as u32,
            round: self.run(q)?.rounds.len() as u8,
            kind: spec.kind,
            text: spec.text.clone(),
            options: spec
                .options
                .iter()
                .map(|o| OptionView {
                    text: o.text.clone(),
                })
                .collect(),
            scale: spec.scale.as_ref().map(|s| ScaleView {
                min: s.min,
                max: s.max,
                min_label: s.min_label.clone(),
                max_label: s.max_label.clone(),
            }),
            time_left_ms,
            sensitive: spec.sensitive,
        })
    }

    fn timer_msg(&self, now: Millis) -> Option<ServerMsg> {
        let (q, _, round) = self.open_round()?;
        let time_left_ms = match round.deadline_ms {
            Some(d) => Some(d.saturating_sub(now)),
            None => self.pause_left,
        };
        let question = self.quiz.questions[q as usize].id.clone();
        Some(ServerMsg::Timer {
            question,
            time_left_ms,
            paused: self.is_paused(),
        })
    }

    /// Notes and answer key of question `q`, for hosts only.
    pub fn facilitator(&self, q: u32) -> Facilitator {
        let spec = &self.quiz.questions[q as usize];
        Facilitator {
            question: spec.id.clone(),
            correct: self.correct_options(q),
            points: spec.options.iter().map(|o| o.points).collect(),
            explanation: spec.explanation.clone(),
            prompt: spec.notes.prompt.clone(),
            key_fact: spec.notes.key_fact.clone(),
            source: spec.notes.source.clone(),
            tip: spec.notes.tip.clone(),
        }
    }

    /// Indices of the correct options of question `q`.
    pub fn correct_options(&self, q: u32) -> Vec<u8> {
        let spec = &self.quiz.questions[q as usize];
        (0..spec.options.len())
            .filter(|&i| spec.options[i].correct)
            .map(|i| i as u8)
            .collect()
    }

    /// The acknowledgement of a pupil's current answer to question `q`, round `round`.
    pub fn ack(&self, pupil: PupilId, q: u32, round: u8) -> Option<ServerMsg> {
        let r = self
            .run(q)?
            .rounds
            .get(usize::from(round).checked_sub(1)?)?;
        let a = r.answers.get(&pupil)?;
        Some(ServerMsg::Ack {
            question: self.quiz.questions[q as usize].id.clone(),
            round,
            client_seq: a.client_seq,
            choice: a.choice.clone(),
        })
    }

    /// The live answer count of the open (or last) round of the current question.
    pub fn answers_msg(&self) -> Option<ServerMsg> {
        self.answers_for(self.current?)
    }

    fn answers_for(&self, q: u32) -> Option<ServerMsg> {
        let rounds = &self.run(q)?.rounds;
        let r = rounds.last()?;
        Some(ServerMsg::Answers {
            question: self.quiz.questions[q as usize].id.clone(),
            round: rounds.len() as u8,
            count: r.answered(),
            pupils: self.active_pupils(),
        })
    }

    /// The distribution of round `round` of question `q` as it may be published: every view that
    /// sends counts calls this, and it calls [`disclosure::disclose`].
    pub fn distribution(&self, q: u32, round: u8) -> Option<Distribution> {
        let spec = self.quiz.questions.get(q as usize)?;
        let r = self
            .run(q)?
            .rounds
            .get(usize::from(round).checked_sub(1)?)?;
        Some(disclosure::disclose(
            &r.tally,
            r.passed,
            r.answered(),
            spec.kind.is_multiple(),
            spec.sensitive,
            self.threshold(),
        ))
    }

    /// The session's disclosure threshold N ([`disclosure::threshold`] of its `min_count`).
    pub fn threshold(&self) -> u32 {
        disclosure::threshold(self.options.min_count)
    }

    /// Results of a closed question for hosts and screens (`correct` once revealed).
    pub fn results_msg(&self, q: u32) -> Option<ServerMsg> {
        let run = self.run(q)?;
        if run.rounds.last()?.closed_seq.is_none() && self.open_round().is_some_and(|o| o.0 == q) {
            return None;
        }
        Some(ServerMsg::Results {
            question: self.quiz.questions[q as usize].id.clone(),
            text: self.quiz.questions[q as usize].text.clone(),
            options: self.quiz.questions[q as usize]
                .options
                .iter()
                .map(|o| o.text.clone())
                .collect(),
            results: self.distribution(q, 1)?,
            second_vote: self.distribution(q, 2),
            correct: run.revealed.then(|| self.correct_options(q)),
        })
    }

    /// The reveal of question `q`: one shared broadcast for every phone, and one for hosts and
    /// screens, which alone carry the podium (challenge mode).
    pub fn reveal_msg(&self, q: u32, podium: bool) -> Option<ServerMsg> {
        let spec = self.quiz.questions.get(q as usize)?;
        Some(ServerMsg::Reveal {
            question: spec.id.clone(),
            correct: self.correct_options(q),
            points: spec.options.iter().map(|o| o.points).collect(),
            explanation: spec.explanation.clone(),
            results: self.distribution(q, 1)?,
            podium: if podium { self.podium() } else { Vec::new() },
        })
    }

    /// Challenge mode: the player list for the host.
    pub fn players_msg(&self) -> Option<ServerMsg> {
        if self.options.mode != crate::protocol::Mode::Challenge {
            return None;
        }
        let mut players: Vec<PlayerEntry> = self
            .pupils
            .iter()
            .filter(|(_, p)| !p.removed)
            .map(|(id, p)| PlayerEntry {
                id: format!("{id:x}"),
                name: p.name.clone().unwrap_or_default(),
            })
            .collect();
        players.sort_by(|a, b| a.name.cmp(&b.name));
        Some(ServerMsg::Players { players })
    }
}
