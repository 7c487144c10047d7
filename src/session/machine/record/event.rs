//! Every event as the journal writes it ([`EventRecord`]), and its conversion to and from the
//! machine's [`Event`].

use serde::{Deserialize, Serialize};

use super::options::{ChoiceRecord, EndReasonRecord, OptionsRecord};
use super::quiz::QuizRecord;
use crate::session::machine::{Event, Millis, PupilId, SessionCreated};

/// [`SessionCreated`] as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedRecord {
    code: String,
    quiz: QuizRecord,
    options: OptionsRecord,
    host_hash: String,
    screen_hash: String,
    created_unix_ms: u64,
}

/// One event as the journal writes it: `{"event": "<kind>", …fields}`. The variants and fields
/// mean what [`Event`]'s do; their names and shapes are the format, kept forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventRecord {
    /// [`Event::Created`].
    Created(Box<CreatedRecord>),
    /// [`Event::PupilJoined`].
    PupilJoined {
        /// Their random id.
        pupil: PupilId,
        /// SHA-256 of their resume token, hex.
        token_hash: String,
        /// Challenge mode: the generated pseudonym (`null` otherwise).
        name: Option<String>,
        /// When.
        at_ms: Millis,
    },
    /// [`Event::PupilRemoved`].
    PupilRemoved {
        /// Who.
        pupil: PupilId,
    },
    /// [`Event::LobbyLocked`].
    LobbyLocked {
        /// New state.
        locked: bool,
    },
    /// [`Event::Started`].
    Started {
        /// When.
        at_ms: Millis,
    },
    /// [`Event::QuestionOpened`].
    QuestionOpened {
        /// Question index.
        q: u32,
        /// 1 or 2.
        round: u8,
        /// When.
        at_ms: Millis,
        /// Deadline, when timed (`null` otherwise).
        deadline_ms: Option<Millis>,
    },
    /// [`Event::AnswerRecorded`].
    AnswerRecorded {
        /// Who.
        pupil: PupilId,
        /// Question index.
        q: u32,
        /// Round.
        round: u8,
        /// The client's sequence number.
        client_seq: u64,
        /// What they chose.
        choice: ChoiceRecord,
        /// Arrival time of the frame.
        at_ms: Millis,
    },
    /// [`Event::QuestionClosed`].
    QuestionClosed {
        /// Question index.
        q: u32,
        /// When.
        at_ms: Millis,
    },
    /// [`Event::Revealed`].
    Revealed {
        /// Question index.
        q: u32,
    },
    /// [`Event::Paused`].
    Paused {
        /// When.
        at_ms: Millis,
    },
    /// [`Event::Resumed`].
    Resumed {
        /// When.
        at_ms: Millis,
    },
    /// [`Event::TimeAdded`].
    TimeAdded {
        /// Added milliseconds.
        ms: Millis,
    },
    /// [`Event::Skipped`].
    Skipped {
        /// Question index.
        q: u32,
    },
    /// [`Event::ResultsShown`].
    ResultsShown {
        /// Question index.
        q: u32,
    },
    /// [`Event::Finished`].
    Finished {
        /// When.
        at_ms: Millis,
    },
    /// [`Event::HelpRequested`].
    HelpRequested,
    /// [`Event::Ended`].
    Ended {
        /// When.
        at_ms: Millis,
        /// Absent when the host ended it (and in journals written before reasons existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<EndReasonRecord>,
    },
    /// [`Event::DevicePaired`].
    DevicePaired {
        /// Its number in the session, 1 and up.
        device: u32,
        /// SHA-256 of its credential, hex.
        credential_hash: String,
        /// When.
        at_ms: Millis,
        /// Wall-clock time of the pairing (Unix ms); 0 in journals written before it existed.
        #[serde(default)]
        unix_ms: u64,
    },
    /// [`Event::DeviceRevoked`].
    DeviceRevoked {
        /// Its number.
        device: u32,
        /// When; 0 in journals written before it existed.
        #[serde(default)]
        at_ms: Millis,
    },
}

impl From<&SessionCreated> for CreatedRecord {
    fn from(c: &SessionCreated) -> Self {
        let SessionCreated {
            code,
            quiz,
            options,
            host_hash,
            screen_hash,
            created_unix_ms,
        } = c;
        CreatedRecord {
            code: code.clone(),
            quiz: QuizRecord::from(&**quiz),
            options: OptionsRecord::from(options),
            host_hash: host_hash.clone(),
            screen_hash: screen_hash.clone(),
            created_unix_ms: *created_unix_ms,
        }
    }
}

impl From<CreatedRecord> for SessionCreated {
    fn from(r: CreatedRecord) -> Self {
        SessionCreated {
            code: r.code,
            quiz: r.quiz.into(),
            options: r.options.into(),
            host_hash: r.host_hash,
            screen_hash: r.screen_hash,
            created_unix_ms: r.created_unix_ms,
        }
    }
}

impl From<&Event> for EventRecord {
    fn from(event: &Event) -> Self {
        use EventRecord as R;
        match event {
            Event::Created(c) => R::Created(Box::new(CreatedRecord::from(&**c))),
            Event::PupilJoined {
                pupil,
                token_hash,
                name,
                at_ms,
            } => R::PupilJoined {
                pupil: *pupil,
                token_hash: token_hash.clone(),
                name: name.clone(),
                at_ms: *at_ms,
            },
            Event::PupilRemoved { pupil } => R::PupilRemoved { pupil: *pupil },
            Event::LobbyLocked { locked } => R::LobbyLocked { locked: *locked },
            Event::Started { at_ms } => R::Started { at_ms: *at_ms },
            Event::QuestionOpened {
                q,
                round,
                at_ms,
                deadline_ms,
            } => R::QuestionOpened {
                q: *q,
                round: *round,
                at_ms: *at_ms,
                deadline_ms: *deadline_ms,
            },
            Event::AnswerRecorded {
                pupil,
                q,
                round,
                client_seq,
                choice,
                at_ms,
            } => R::AnswerRecorded {
                pupil: *pupil,
                q: *q,
                round: *round,
                client_seq: *client_seq,
                choice: ChoiceRecord::from(choice),
                at_ms: *at_ms,
            },
            Event::QuestionClosed { q, at_ms } => R::QuestionClosed {
                q: *q,
                at_ms: *at_ms,
            },
            Event::Revealed { q } => R::Revealed { q: *q },
            Event::Paused { at_ms } => R::Paused { at_ms: *at_ms },
            Event::Resumed { at_ms } => R::Resumed { at_ms: *at_ms },
            Event::TimeAdded { ms } => R::TimeAdded { ms: *ms },
            Event::Skipped { q } => R::Skipped { q: *q },
            Event::ResultsShown { q } => R::ResultsShown { q: *q },
            Event::Finished { at_ms } => R::Finished { at_ms: *at_ms },
            Event::HelpRequested => R::HelpRequested,
            Event::Ended { at_ms, reason } => R::Ended {
                at_ms: *at_ms,
                reason: reason.map(EndReasonRecord::from),
            },
            Event::DevicePaired {
                device,
                credential_hash,
                at_ms,
                unix_ms,
            } => R::DevicePaired {
                device: *device,
                credential_hash: credential_hash.clone(),
                at_ms: *at_ms,
                unix_ms: *unix_ms,
            },
            Event::DeviceRevoked { device, at_ms } => R::DeviceRevoked {
                device: *device,
                at_ms: *at_ms,
            },
        }
    }
}

impl From<EventRecord> for Event {
    fn from(record: EventRecord) -> Self {
        use EventRecord as R;
        match record {
            R::Created(c) => Event::Created(Box::new(SessionCreated::from(*c))),
            R::PupilJoined {
                pupil,
                token_hash,
                name,
                at_ms,
            } => Event::PupilJoined {
                pupil,
                token_hash,
                name,
                at_ms,
            },
            R::PupilRemoved { pupil } => Event::PupilRemoved { pupil },
            R::LobbyLocked { locked } => Event::LobbyLocked { locked },
            R::Started { at_ms } => Event::Started { at_ms },
            R::QuestionOpened {
                q,
                round,
                at_ms,
                deadline_ms,
            } => Event::QuestionOpened {
                q,
                round,
                at_ms,
                deadline_ms,
            },
            R::AnswerRecorded {
                pupil,
                q,
                round,
                client_seq,
                choice,
                at_ms,
            } => Event::AnswerRecorded {
                pupil,
                q,
                round,
                client_seq,
                choice: choice.into(),
                at_ms,
            },
            R::QuestionClosed { q, at_ms } => Event::QuestionClosed { q, at_ms },
            R::Revealed { q } => Event::Revealed { q },
            R::Paused { at_ms } => Event::Paused { at_ms },
            R::Resumed { at_ms } => Event::Resumed { at_ms },
            R::TimeAdded { ms } => Event::TimeAdded { ms },
            R::Skipped { q } => Event::Skipped { q },
            R::ResultsShown { q } => Event::ResultsShown { q },
            R::Finished { at_ms } => Event::Finished { at_ms },
            R::HelpRequested => Event::HelpRequested,
            R::Ended { at_ms, reason } => Event::Ended {
                at_ms,
                reason: reason.map(Into::into),
            },
            R::DevicePaired {
                device,
                credential_hash,
                at_ms,
                unix_ms,
            } => Event::DevicePaired {
                device,
                credential_hash,
                at_ms,
                unix_ms,
            },
            R::DeviceRevoked { device, at_ms } => Event::DeviceRevoked { device, at_ms },
        }
    }
}
