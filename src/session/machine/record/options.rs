//! The small values journal records carry (session options, a pupil's choice, why a session
//! ended) in the journal's own types, apart from the API body and the wire messages they mirror.

use serde::{Deserialize, Serialize};

use crate::protocol::{Choice, EndReason, Mode};
use crate::session::{Retention, SessionOptions};

/// [`SessionOptions`] as the journal writes them. A field missing from a line takes the value
/// below, which is what a journal without it meant: these defaults are frozen, whatever the
/// API's own defaults become.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionsRecord {
    mode: ModeRecord,
    timers: Option<bool>,
    close_when_all_answered: bool,
    min_count: u32,
    questions: Option<Vec<String>>,
    label: Option<String>,
    hide_score: bool,
    local_contact: Option<String>,
    retention: RetentionRecord,
}

impl Default for OptionsRecord {
    fn default() -> Self {
        OptionsRecord {
            mode: ModeRecord::Reflection,
            timers: None,
            close_when_all_answered: false,
            min_count: 3,
            questions: None,
            label: None,
            hide_score: false,
            local_contact: None,
            retention: RetentionRecord::ThirtyDays,
        }
    }
}

/// [`Mode`] as the journal writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ModeRecord {
    Reflection,
    Challenge,
}

/// [`Retention`] as the journal writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RetentionRecord {
    OneDay,
    ThirtyDays,
    SchoolYear,
}

/// A pupil's answer ([`Choice`]) as the journal writes it: `"pass"` or `{"options": [1]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceRecord {
    /// "I'd rather not answer".
    Pass,
    /// Indices into the question's options.
    Options(Vec<u8>),
}

/// [`EndReason`] as the journal writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReasonRecord {
    /// No host for `--host-grace`.
    HostAway,
    /// `--max-session-life` reached.
    MaxLife,
}

impl From<&SessionOptions> for OptionsRecord {
    fn from(o: &SessionOptions) -> Self {
        // Every field named, without `..`: a new option does not compile until it is decided here
        // whether (and how, with which default) the journal keeps it.
        let SessionOptions {
            mode,
            timers,
            close_when_all_answered,
            min_count,
            questions,
            label,
            hide_score,
            local_contact,
            retention,
        } = o;
        OptionsRecord {
            mode: match mode {
                Mode::Reflection => ModeRecord::Reflection,
                Mode::Challenge => ModeRecord::Challenge,
            },
            timers: *timers,
            close_when_all_answered: *close_when_all_answered,
            min_count: *min_count,
            questions: questions.clone(),
            label: label.clone(),
            hide_score: *hide_score,
            local_contact: local_contact.clone(),
            retention: match retention {
                Retention::OneDay => RetentionRecord::OneDay,
                Retention::ThirtyDays => RetentionRecord::ThirtyDays,
                Retention::SchoolYear => RetentionRecord::SchoolYear,
            },
        }
    }
}

impl From<OptionsRecord> for SessionOptions {
    fn from(r: OptionsRecord) -> Self {
        SessionOptions {
            mode: match r.mode {
                ModeRecord::Reflection => Mode::Reflection,
                ModeRecord::Challenge => Mode::Challenge,
            },
            timers: r.timers,
            close_when_all_answered: r.close_when_all_answered,
            min_count: r.min_count,
            questions: r.questions,
            label: r.label,
            hide_score: r.hide_score,
            local_contact: r.local_contact,
            retention: match r.retention {
                RetentionRecord::OneDay => Retention::OneDay,
                RetentionRecord::ThirtyDays => Retention::ThirtyDays,
                RetentionRecord::SchoolYear => Retention::SchoolYear,
            },
        }
    }
}

impl From<&Choice> for ChoiceRecord {
    fn from(c: &Choice) -> Self {
        match c {
            Choice::Pass => ChoiceRecord::Pass,
            Choice::Options(picked) => ChoiceRecord::Options(picked.clone()),
        }
    }
}

impl From<ChoiceRecord> for Choice {
    fn from(r: ChoiceRecord) -> Self {
        match r {
            ChoiceRecord::Pass => Choice::Pass,
            ChoiceRecord::Options(picked) => Choice::Options(picked),
        }
    }
}

impl From<EndReason> for EndReasonRecord {
    fn from(r: EndReason) -> Self {
        match r {
            EndReason::HostAway => EndReasonRecord::HostAway,
            EndReason::MaxLife => EndReasonRecord::MaxLife,
        }
    }
}

impl From<EndReasonRecord> for EndReason {
    fn from(r: EndReasonRecord) -> Self {
        match r {
            EndReasonRecord::HostAway => EndReason::HostAway,
            EndReasonRecord::MaxLife => EndReason::MaxLife,
        }
    }
}
