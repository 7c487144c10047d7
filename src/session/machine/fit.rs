//! Whether an event fits the session it is applied to, and the replay that refuses a journal
//! whose events do not.
//!
//! Every event `decide` returns fits the state it was decided on; a journal read back from a
//! file may hold anything. The rules here are what `decide` has always guaranteed (the machine
//! tests check that every journal it writes replays), so a journal that breaks one was corrupted
//! or forged, and it is refused whole rather than half-applied.

use super::events::{Event, Millis};
use super::Session;
use crate::protocol::{Choice, Stage};
use crate::quiz::model::Question;

/// The latest session-relative time an event may carry: 2^53 ms (some 285,000 years, and the
/// largest whole number every JSON reader agrees on), so that no sum of times overflows.
pub const MAX_MS: Millis = 1 << 53;

/// Why an event does not fit. Says which question, round or device, never whose answer or what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Misfit {
    /// The journal does not start with `created`.
    #[error("the journal does not start with `created`")]
    NotCreatedFirst,
    /// A second `created`.
    #[error("a second `created`")]
    CreatedAgain,
    /// The quiz snapshot has no question, or a question without options.
    #[error("the quiz has no question, or a question without options")]
    EmptyQuiz,
    /// A time past [`MAX_MS`].
    #[error("a time past any session's life")]
    TimeOutOfRange,
    /// Something after the session ended.
    #[error("an event after the session ended")]
    AfterEnd,
    /// A question index past the quiz.
    #[error("question {q} does not exist (the quiz has {questions})")]
    NoSuchQuestion {
        /// The index.
        q: u32,
        /// Questions in the quiz.
        questions: usize,
    },
    /// A round that cannot open now (round 1 twice, round 2 before round 1, round 3 …).
    #[error("round {round} of question {q} cannot open now")]
    BadRound {
        /// Question index.
        q: u32,
        /// Round.
        round: u8,
    },
    /// An answer or a close for a round that is not the one open.
    #[error("question {q} round {round} is not the round open")]
    NotOpen {
        /// Question index.
        q: u32,
        /// Round.
        round: u8,
    },
    /// A question opened, revealed or the quiz finished while another round is open.
    #[error("a round is still open")]
    StillOpen,
    /// An answer with an option the question does not have, twice the same option, none, or
    /// several for a question that takes one.
    #[error("an answer to question {q} that the question does not take")]
    BadChoice {
        /// Question index.
        q: u32,
    },
    /// A pupil who never joined, or was removed.
    #[error("a pupil who did not join, or was removed")]
    UnknownPupil,
    /// A pupil id or token hash already used.
    #[error("a pupil id or token already in use")]
    PupilAgain,
    /// A question opened before the quiz started.
    #[error("the quiz has not started")]
    NotStarted,
    /// `started` twice.
    #[error("the quiz has already started")]
    AlreadyStarted,
    /// A question opened after the quiz finished.
    #[error("the quiz is over")]
    QuizOver,
    /// A reveal or a skip of a question that is not the current one.
    #[error("question {q} is not the current question")]
    NotCurrent {
        /// Question index.
        q: u32,
    },
    /// Results shown again of a question whose first vote never closed.
    #[error("question {q} has not been asked")]
    NotAsked {
        /// Question index.
        q: u32,
    },
    /// `paused` while paused, `resumed` while not.
    #[error("paused twice, or resumed without a pause")]
    PauseOrder,
    /// Time added with no round open.
    #[error("time added with no round open")]
    NothingOpen,
    /// A device number 0, or a number or credential already used.
    #[error("device {device} is already paired, or its credential is in use")]
    DeviceAgain {
        /// Its number.
        device: u32,
    },
    /// A device that is not paired (or already revoked).
    #[error("device {device} is not paired")]
    UnknownDevice {
        /// Its number.
        device: u32,
    },
}

/// Why [`Session::replay`] refused a journal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// No event at all.
    #[error("the journal is empty")]
    Empty,
    /// Event number `seq` does not fit.
    #[error("event {seq} ({kind}): {misfit}")]
    Misfit {
        /// Its sequence number (1 for `created`), which is also its line.
        seq: u64,
        /// Its kind, as the journal names it.
        kind: &'static str,
        /// Why.
        misfit: Misfit,
    },
}

impl Session {
    /// Rebuilds a session from its journal, refusing it at the first event that does not fit
    /// (the first must be [`Event::Created`]).
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<Session, ReplayError> {
        let mut events = events.into_iter();
        let first = events.next().ok_or(ReplayError::Empty)?;
        let refuse = |seq: u64, event: &Event, misfit| ReplayError::Misfit {
            seq,
            kind: event.kind(),
            misfit,
        };
        let Event::Created(created) = first else {
            return Err(refuse(1, first, Misfit::NotCreatedFirst));
        };
        if created.quiz.questions.is_empty()
            || created.quiz.questions.iter().any(|q| q.options.is_empty())
        {
            return Err(refuse(1, first, Misfit::EmptyQuiz));
        }
        let mut session = Session::new(created);
        for event in events {
            session
                .fits(event)
                .map_err(|misfit| refuse(session.seq + 1, event, misfit))?;
            session.apply(event);
        }
        Ok(session)
    }

    /// Whether `event` can follow the current state. [`Session::apply`] takes any event without
    /// panicking; this says whether it makes sense.
    pub fn fits(&self, event: &Event) -> Result<(), Misfit> {
        if matches!(event, Event::Created(_)) {
            return Err(Misfit::CreatedAgain);
        }
        if self.is_ended() {
            return Err(Misfit::AfterEnd);
        }
        if times(event).into_iter().flatten().any(|t| t > MAX_MS) {
            return Err(Misfit::TimeOutOfRange);
        }
        let open = self.open_round().map(|(q, round, _)| (q, round));
        match event {
            Event::Created(_) | Event::LobbyLocked { .. } | Event::HelpRequested => Ok(()),
            Event::Ended { .. } => Ok(()),
            Event::PupilJoined {
                pupil, token_hash, ..
            } => match self.pupil(*pupil).is_some() || self.tokens.contains_key(token_hash) {
                true => Err(Misfit::PupilAgain),
                false => Ok(()),
            },
            Event::PupilRemoved { pupil } => self.active_pupil(*pupil),
            Event::Started { .. } => match self.stage() {
                Stage::Lobby => Ok(()),
                _ => Err(Misfit::AlreadyStarted),
            },
            Event::QuestionOpened { q, round, .. } => {
                let run = self.question_run(*q)?;
                match self.stage() {
                    Stage::Lobby => return Err(Misfit::NotStarted),
                    Stage::Finished => return Err(Misfit::QuizOver),
                    Stage::Open => return Err(Misfit::StillOpen),
                    _ => {}
                }
                let fresh = *round == 1 && run.rounds.is_empty();
                let revote = *round == 2 && run.rounds.len() == 1 && self.current == Some(*q);
                match fresh || revote {
                    true => Ok(()),
                    false => Err(Misfit::BadRound {
                        q: *q,
                        round: *round,
                    }),
                }
            }
            Event::AnswerRecorded {
                pupil,
                q,
                round,
                choice,
                ..
            } => {
                self.question_run(*q)?;
                self.active_pupil(*pupil)?;
                if open != Some((*q, *round)) {
                    return Err(Misfit::NotOpen {
                        q: *q,
                        round: *round,
                    });
                }
                self.choice_fits(*q, choice)
            }
            Event::QuestionClosed { q, .. } => {
                self.question_run(*q)?;
                match open {
                    Some((open_q, _)) if open_q == *q => Ok(()),
                    _ => Err(Misfit::NotOpen { q: *q, round: 0 }),
                }
            }
            Event::Revealed { q } | Event::Skipped { q } => {
                self.question_run(*q)?;
                if matches!(event, Event::Revealed { .. }) && open.is_some() {
                    return Err(Misfit::StillOpen);
                }
                match self.current == Some(*q) {
                    true => Ok(()),
                    false => Err(Misfit::NotCurrent { q: *q }),
                }
            }
            Event::ResultsShown { q } => {
                let run = self.question_run(*q)?;
                if open.is_some() {
                    return Err(Misfit::StillOpen);
                }
                match run.rounds.first().is_some_and(|r| r.closed_seq.is_some()) {
                    true => Ok(()),
                    false => Err(Misfit::NotAsked { q: *q }),
                }
            }
            Event::Paused { .. } => match self.is_paused() {
                true => Err(Misfit::PauseOrder),
                false => Ok(()),
            },
            Event::Resumed { .. } => match self.is_paused() {
                true => Ok(()),
                false => Err(Misfit::PauseOrder),
            },
            Event::TimeAdded { .. } => match open {
                Some(_) => Ok(()),
                None => Err(Misfit::NothingOpen),
            },
            Event::Finished { .. } => match open {
                Some(_) => Err(Misfit::StillOpen),
                None => Ok(()),
            },
            Event::DevicePaired { .. } | Event::DeviceRevoked { .. } => self.device_fits(event),
        }
    }

    /// The run of question `q`, if the quiz has it.
    fn question_run(&self, q: u32) -> Result<&super::QuestionRun, Misfit> {
        self.run(q).ok_or(Misfit::NoSuchQuestion {
            q,
            questions: self.quiz.questions.len(),
        })
    }

    fn active_pupil(&self, pupil: u64) -> Result<(), Misfit> {
        match self.pupil(pupil) {
            Some(p) if !p.removed => Ok(()),
            _ => Err(Misfit::UnknownPupil),
        }
    }

    /// An answer's options fit question `q` by the rules `decide` applies.
    fn choice_fits(&self, q: u32, choice: &Choice) -> Result<(), Misfit> {
        let Choice::Options(picked) = choice else {
            return Ok(());
        };
        match self.quiz.questions.get(q as usize) {
            Some(spec) if offered(spec, picked) && one_unless_multiple(spec, picked) => Ok(()),
            _ => Err(Misfit::BadChoice { q }),
        }
    }
}

/// Every option picked is one `question` has, and none is picked twice.
pub(super) fn offered(question: &Question, picked: &[u8]) -> bool {
    let mut seen = vec![false; question.options.len()];
    picked.iter().all(|&i| {
        seen.get_mut(usize::from(i))
            .is_some_and(|s| !std::mem::replace(s, true))
    })
}

/// At least one option, and only one unless `question` is `multiple`.
pub(super) fn one_unless_multiple(question: &Question, picked: &[u8]) -> bool {
    !picked.is_empty() && (picked.len() == 1 || question.kind.is_multiple())
}

/// The session-relative times `event` carries.
fn times(event: &Event) -> [Option<Millis>; 2] {
    match event {
        Event::QuestionOpened {
            at_ms, deadline_ms, ..
        } => [Some(*at_ms), *deadline_ms],
        Event::TimeAdded { ms } => [Some(*ms), None],
        Event::PupilJoined { at_ms, .. }
        | Event::Started { at_ms }
        | Event::AnswerRecorded { at_ms, .. }
        | Event::QuestionClosed { at_ms, .. }
        | Event::Paused { at_ms }
        | Event::Resumed { at_ms }
        | Event::Finished { at_ms }
        | Event::Ended { at_ms, .. }
        | Event::DevicePaired { at_ms, .. }
        | Event::DeviceRevoked { at_ms, .. } => [Some(*at_ms), None],
        Event::Created(_)
        | Event::PupilRemoved { .. }
        | Event::LobbyLocked { .. }
        | Event::Revealed { .. }
        | Event::Skipped { .. }
        | Event::ResultsShown { .. }
        | Event::HelpRequested => [None, None],
    }
}
