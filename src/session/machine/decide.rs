//! `Session::decide`: checks a command against the state and returns the events it causes.

use super::events::{Command, Event, HostCommand, Millis, PupilId, Reject, ADD_TIME_MS, GRACE_MS};
use super::{fit, names, Session};
use crate::protocol::{Answer, Choice, ErrorCode, Mode, Stage};

type Decision = Result<Vec<Event>, Reject>;

fn wrong_phase(message: &str) -> Reject {
    Reject::refused(ErrorCode::WrongPhase, message)
}

impl Session {
    /// Decides what `command`, arriving at `now`, changes. Pure: the same state and command
    /// always give the same answer; nothing is changed until the events are applied.
    pub fn decide(&self, now: Millis, command: &Command) -> Decision {
        if self.is_ended() {
            return Err(Reject::refused(
                ErrorCode::SessionFinished,
                "the session has ended",
            ));
        }
        match command {
            Command::Join {
                pupil,
                token_hash,
                name_seed,
                max_players,
            } => self.decide_join(now, *pupil, token_hash, *name_seed, *max_players),
            Command::Answer {
                pupil,
                answer,
                at_ms,
            } => self.decide_answer(*pupil, answer, *at_ms),
            Command::HelpRequest => Ok(vec![Event::HelpRequested]),
            Command::Expire(reason) => Ok(vec![Event::Ended {
                at_ms: now,
                reason: Some(*reason),
            }]),
            Command::Tick => match (self.open_round(), self.next_deadline()) {
                (Some((q, _, _)), Some(due)) if now >= due => {
                    Ok(vec![Event::QuestionClosed { q, at_ms: now }])
                }
                _ => Err(Reject::Nothing),
            },
            Command::Host(cmd) => self.decide_host(now, cmd),
            Command::PairDevice {
                device,
                credential_hash,
                unix_ms,
            } => self.decide_pair(*device, credential_hash, *unix_ms, now),
            Command::RevokeDevice { device } => self.decide_revoke(*device, now),
        }
    }

    fn decide_join(
        &self,
        now: Millis,
        pupil: PupilId,
        token_hash: &str,
        seed: u64,
        max_players: u32,
    ) -> Decision {
        if self.stage() == Stage::Finished {
            return Err(Reject::refused(
                ErrorCode::SessionFinished,
                "this quiz is over",
            ));
        }
        if self.is_locked() {
            return Err(Reject::refused(
                ErrorCode::LobbyLocked,
                "the teacher locked the session",
            ));
        }
        if self.active_pupils() >= max_players {
            return Err(Reject::refused(
                ErrorCode::SessionFull,
                "the session is full",
            ));
        }
        if self.pupil(pupil).is_some() || self.tokens.contains_key(token_hash) {
            return Err(Reject::refused(
                ErrorCode::Internal,
                "id collision, try again",
            ));
        }
        let name = (self.options.mode == Mode::Challenge)
            .then(|| names::pick(self.quiz.lang, seed, |n| self.names.contains_key(n)));
        let token_hash = token_hash.to_owned();
        Ok(vec![Event::PupilJoined {
            pupil,
            token_hash,
            name,
            at_ms: now,
        }])
    }

    fn decide_answer(&self, pupil: PupilId, answer: &Answer, at_ms: Millis) -> Decision {
        let Answer {
            question,
            round,
            client_seq,
            choice,
        } = answer;
        let (round, client_seq) = (*round, *client_seq);
        if self.pupil(pupil).is_none_or(|p| p.removed) {
            return Err(Reject::refused(ErrorCode::BadToken, "unknown pupil"));
        }
        let Some((q, spec)) = self.quiz.question(question) else {
            return Err(Reject::refused(
                ErrorCode::UnknownQuestion,
                "no such question",
            ));
        };
        let q = q as u32;
        // A resend of what is recorded is acknowledged again whatever else holds (paused, past
        // the deadline, closed since): the phone only lost the acknowledgement, often in a
        // restart. An older one is a late frame from an old socket.
        let recorded = self
            .run(q)
            .and_then(|run| run.rounds.get(usize::from(round).checked_sub(1)?))
            .and_then(|r| r.answers.get(&pupil));
        if let Some(old) = recorded {
            if client_seq == old.client_seq {
                let ack = self.ack(pupil, q, round).ok_or(Reject::Stale)?;
                return Err(Reject::Duplicate(Box::new(ack)));
            }
            if client_seq < old.client_seq {
                return Err(Reject::Stale);
            }
        }
        let Some((open_q, open_round, r)) = self.open_round().filter(|(oq, _, _)| *oq == q) else {
            return Err(Reject::refused(
                ErrorCode::QuestionNotOpen,
                "this question is not open",
            ));
        };
        if round != open_round {
            return Err(Reject::refused(
                ErrorCode::QuestionNotOpen,
                "this vote is not open",
            ));
        }
        if self.is_paused() {
            return Err(Reject::refused(ErrorCode::Paused, "paused for discussion"));
        }
        if r.deadline_ms
            .is_some_and(|d| at_ms > d.saturating_add(GRACE_MS))
        {
            return Err(Reject::refused(
                ErrorCode::TooLate,
                "time is up for this question",
            ));
        }
        if let Choice::Options(picked) = choice {
            if !fit::offered(spec, picked) {
                return Err(Reject::refused(ErrorCode::BadChoice, "no such option"));
            }
            if !fit::one_unless_multiple(spec, picked) {
                return Err(Reject::refused(
                    ErrorCode::BadChoice,
                    "pick one option, or pass",
                ));
            }
        }
        let mut events = vec![Event::AnswerRecorded {
            pupil,
            q: open_q,
            round,
            client_seq,
            choice: choice.clone(),
            at_ms,
        }];
        let answered = r.answered() + u32::from(!r.answers.contains_key(&pupil));
        if self.options.close_when_all_answered && answered >= self.active_pupils() {
            events.push(Event::QuestionClosed { q, at_ms });
        }
        Ok(events)
    }

    fn decide_host(&self, now: Millis, cmd: &HostCommand) -> Decision {
        let stage = self.stage();
        match cmd {
            HostCommand::Start => match stage {
                Stage::Lobby => Ok(vec![Event::Started { at_ms: now }]),
                _ => Err(wrong_phase("already started")),
            },
            HostCommand::Next => match stage {
                Stage::Lobby => Ok(vec![Event::Started { at_ms: now }]),
                Stage::Intro | Stage::Closed | Stage::Revealed | Stage::Review => {
                    Ok(self.open_next(now))
                }
                Stage::Open => Err(wrong_phase("close the question first")),
                Stage::Finished => Err(wrong_phase("the quiz is over")),
            },
            HostCommand::Close => match self.open_round() {
                Some((q, _, _)) => Ok(vec![Event::QuestionClosed { q, at_ms: now }]),
                None => Err(wrong_phase("no question is open")),
            },
            HostCommand::Reveal => {
                let mut events = self.close_open(now);
                match (stage, self.current) {
                    (Stage::Open | Stage::Closed, Some(q)) => {
                        events.push(Event::Revealed { q });
                        Ok(events)
                    }
                    _ => Err(wrong_phase("nothing to reveal")),
                }
            }
            HostCommand::Pause => match stage {
                _ if self.is_paused() => Err(wrong_phase("already paused")),
                Stage::Lobby | Stage::Finished => Err(wrong_phase("nothing to pause")),
                _ => Ok(vec![Event::Paused { at_ms: now }]),
            },
            HostCommand::Resume if self.is_paused() => Ok(vec![Event::Resumed { at_ms: now }]),
            HostCommand::Resume => Err(wrong_phase("not paused")),
            HostCommand::AddTime => match self.open_round() {
                Some((_, _, r)) if r.deadline_ms.is_some() || self.pause_left.is_some() => {
                    Ok(vec![Event::TimeAdded { ms: ADD_TIME_MS }])
                }
                Some(_) => Err(Reject::refused(
                    ErrorCode::NoTimer,
                    "this question has no timer",
                )),
                None => Err(wrong_phase("no question is open")),
            },
            HostCommand::Skip => match (stage, self.current) {
                (Stage::Open | Stage::Closed, Some(q)) => {
                    let mut events = self.close_open(now);
                    events.push(Event::Skipped { q });
                    events.extend(self.open_next(now));
                    Ok(events)
                }
                _ => Err(wrong_phase("no current question to skip")),
            },
            HostCommand::ShowResults { question: id } => {
                let Some((q, _)) = self.quiz.question(id) else {
                    return Err(Reject::refused(
                        ErrorCode::UnknownQuestion,
                        "no such question",
                    ));
                };
                let closed = self
                    .run(q as u32)
                    .and_then(|r| r.rounds.first())
                    .is_some_and(|r| r.closed_seq.is_some());
                match stage {
                    Stage::Open => Err(wrong_phase("close the open question first")),
                    _ if !closed => Err(wrong_phase("that question has not been asked yet")),
                    _ => Ok(vec![Event::ResultsShown { q: q as u32 }]),
                }
            }
            HostCommand::Revote => match (stage, self.current) {
                (Stage::Closed | Stage::Revealed, Some(q))
                    if self
                        .run(q)
                        .is_some_and(|r| r.rounds.len() == 1 && !r.skipped) =>
                {
                    Ok(vec![self.open(q, 2, now)])
                }
                _ => Err(wrong_phase(
                    "a second vote needs a closed question that had one vote",
                )),
            },
            HostCommand::Finish => match stage {
                Stage::Finished => Err(wrong_phase("already finished")),
                _ => {
                    let mut events = self.close_open(now);
                    events.push(Event::Finished { at_ms: now });
                    Ok(events)
                }
            },
            HostCommand::Lock => Ok(vec![Event::LobbyLocked { locked: true }]),
            HostCommand::Unlock => Ok(vec![Event::LobbyLocked { locked: false }]),
            HostCommand::Remove { player: id } => {
                if self.options.mode != Mode::Challenge {
                    return Err(Reject::refused(
                        ErrorCode::NotAllowed,
                        "challenge mode only",
                    ));
                }
                let pupil = u64::from_str_radix(id, 16)
                    .ok()
                    .filter(|p| self.pupil(*p).is_some_and(|p| !p.removed));
                match pupil {
                    Some(pupil) => Ok(vec![Event::PupilRemoved { pupil }]),
                    None => Err(Reject::refused(ErrorCode::UnknownPlayer, "no such player")),
                }
            }
            HostCommand::End => Ok(vec![Event::Ended {
                at_ms: now,
                reason: None,
            }]),
        }
    }

    /// Closes the open question, if any.
    fn close_open(&self, now: Millis) -> Vec<Event> {
        self.open_round()
            .map(|(q, _, _)| Event::QuestionClosed { q, at_ms: now })
            .into_iter()
            .collect()
    }

    /// Opens the question after the last one opened, or finishes after the last.
    fn open_next(&self, now: Millis) -> Vec<Event> {
        let next = self.current.map_or(0, |q| q + 1);
        if (next as usize) < self.quiz.questions.len() {
            vec![self.open(next, 1, now)]
        } else {
            vec![Event::Finished { at_ms: now }]
        }
    }

    fn open(&self, q: u32, round: u8, now: Millis) -> Event {
        let limit = self.quiz.questions[q as usize]
            .time_limit
            .filter(|_| self.options.timers_on());
        let deadline_ms = limit.map(|s| now + u64::from(s) * 1000);
        Event::QuestionOpened {
            q,
            round,
            at_ms: now,
            deadline_ms,
        }
    }
}
