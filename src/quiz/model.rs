//! The validated quiz model: what the rest of Loupe sees once a TOML file has been loaded and checked.
//!
//! Every value here has passed validation (see `quiz::validate`), so the session machine can index
//! options and bands without re-checking them. True/false and scale questions are expanded into
//! ordinary options at load time, so the machine only ever deals with "pick one" or "pick several".

use serde::{Deserialize, Serialize};

/// The language a quiz is written in; also the language of the words Loupe adds (true/false labels,
/// pseudonyms in challenge mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// French.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The two-letter code used in files and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// A whole quiz: one file, one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quiz {
    /// Stable identifier, unique among loaded quizzes (e.g. `reseaux-fr`).
    pub id: String,
    /// Title shown in the library and on the projector.
    pub title: String,
    /// Language of every text in the file.
    pub lang: Lang,
    /// Who it is written for, in words (e.g. "11–15 ans").
    pub audience: String,
    /// What the lesson is about and how to run it.
    pub description: String,
    /// Estimated length of the whole lesson, in minutes.
    pub minutes: u32,
    /// Shown to the teacher before starting and on the projector's intro screen.
    pub content_warning: Option<String>,
    /// The questions, in the order they are asked.
    pub questions: Vec<Question>,
    /// Score bands covering 0..=100 without gap or overlap, in ascending order.
    pub bands: Vec<Band>,
    /// Where to get help, shown at the end of the quiz on every phone.
    pub resources: Vec<Resource>,
}

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Exactly one option.
    Single,
    /// Any number of options (at least one; "I'd rather not answer" is a separate pass).
    Multiple,
    /// Two options, true then false, expanded at load time.
    TrueFalse,
    /// One value of a numeric scale, expanded at load time into one option per value.
    Scale,
}

impl QuestionKind {
    /// Whether an answer may select more than one option.
    pub fn is_multiple(self) -> bool {
        matches!(self, QuestionKind::Multiple)
    }
}

/// How a question contributes to the private score, derived from its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Some option is marked correct: the pupil earns `weight` points for a right answer.
    Knowledge,
    /// Some option carries points: the pupil earns the points of what they picked.
    SelfAssessment,
    /// Neither: nobody is scored, the answers only open the discussion.
    Opinion,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Stable identifier, unique within the quiz; answers refer to it.
    pub id: String,
    /// How it is answered.
    pub kind: QuestionKind,
    /// The full question, shown on every phone.
    pub text: String,
    /// The options, in display order (expanded for true/false and scale).
    pub options: Vec<Choice>,
    /// For scale questions, the bounds and their labels.
    pub scale: Option<Scale>,
    /// Optional time limit in seconds (used only when the session turns timers on).
    pub time_limit: Option<u32>,
    /// A sensitive question: any option counted fewer than the session's threshold is hidden, with
    /// complements so that it cannot be worked out (`session::machine::disclosure`).
    pub sensitive: bool,
    /// The youngest age the question is meant for, if any.
    pub min_age: Option<u8>,
    /// Shown on every phone and on the projector after the reveal.
    pub explanation: Option<String>,
    /// A kind tip for the pupil's private result when they did not earn every point here.
    pub advice: Option<String>,
    /// Points for a right answer on a knowledge question (default 1); ignored otherwise.
    pub weight: u32,
    /// Part of the short (about 30 minutes) version of the lesson.
    pub core: bool,
    /// For the facilitator only: never sent to the projector or to phones.
    pub notes: Notes,
}

impl Question {
    /// How the question is scored, derived from its options.
    pub fn scoring(&self) -> Scoring {
        if self.options.iter().any(|o| o.correct) {
            Scoring::Knowledge
        } else if self.options.iter().any(|o| o.points.is_some()) {
            Scoring::SelfAssessment
        } else {
            Scoring::Opinion
        }
    }
}

/// One option of a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Text shown on phones and the projector.
    pub text: String,
    /// Marked correct (knowledge questions).
    pub correct: bool,
    /// Self-assessment points for picking it (never negative).
    pub points: Option<u32>,
}

/// The bounds of a scale question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// Lowest value (inclusive).
    pub min: i32,
    /// Highest value (inclusive), greater than `min`.
    pub max: i32,
    /// Label at the low end ("not at all").
    pub min_label: String,
    /// Label at the high end ("completely").
    pub max_label: String,
}

/// Facilitator notes for one question; only the host ever receives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notes {
    /// A question to open the discussion.
    pub prompt: Option<String>,
    /// The one fact to remember.
    pub key_fact: Option<String>,
    /// Where the fact or the law comes from.
    pub source: Option<String>,
    /// How to handle the question in class.
    pub tip: Option<String>,
}

/// A score band: a range of the private score with a title and kind advice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lowest score in the band (inclusive).
    pub min: u8,
    /// Highest score in the band (inclusive).
    pub max: u8,
    /// A short, kind title.
    pub title: String,
    /// What to do next; never who you are.
    pub advice: String,
}

/// A place to get help, listed at the end of every quiz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Name of the service ("3018").
    pub name: String,
    /// How to reach it (number, SMS, website).
    pub contact: String,
    /// What it is for, in one sentence.
    pub description: String,
}

impl Quiz {
    /// The band a score falls into. Bands cover 0..=100 once validated, so this always finds one
    /// for a score in range; `None` only for an unvalidated quiz.
    pub fn band_for(&self, score: u8) -> Option<&Band> {
        self.bands.iter().find(|b| b.min <= score && score <= b.max)
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<(usize, &Question)> {
        self.questions.iter().enumerate().find(|(_, q)| q.id == id)
    }
}
