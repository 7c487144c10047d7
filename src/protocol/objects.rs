//! The shared objects inside server messages: the session, its stage, distributions, summaries
//! and a pupil's private result.

use serde::{Deserialize, Serialize};

/// Session modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fully anonymous: no names, no ranking (default).
    #[default]
    Reflection,
    /// Generated pseudonyms, points for correct answers, top 3 on the projector.
    Challenge,
}

/// What the session is, sent in [`ServerMsg::Welcome`](super::ServerMsg::Welcome).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Join code.
    pub code: String,
    /// Quiz title.
    pub title: String,
    /// Quiz language (`fr` or `en`).
    pub lang: String,
    /// Reflection or challenge.
    pub mode: Mode,
    /// Number of questions in this session.
    pub questions: u32,
    /// The threshold N of the disclosure rules: no published cell can be worked out below it.
    pub min_count: u32,
    /// Content warning of the quiz, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_warning: Option<String>,
    /// A local contact the teacher typed for the help screen (e.g. "Mme Martin, CPE, bureau 12").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_contact: Option<String>,
    /// Phones show the advice but not the score number.
    #[serde(default)]
    pub hide_score: bool,
}

/// Where the session is, as every role sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for pupils.
    Lobby,
    /// Started, before the first question: look at the projector.
    Intro,
    /// A question is open for answers.
    Open,
    /// The question is closed; results are on the projector.
    Closed,
    /// The answer has been revealed.
    Revealed,
    /// The host is showing an earlier question's results.
    Review,
    /// The quiz is over; summaries and private results are out.
    Finished,
}

/// One option as phones and the projector see it (no hint of correctness).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionView {
    /// Option text.
    pub text: String,
}

/// One round's counts as they may be published: `null` means hidden, never "fewer than N".
///
/// The disclosure rules (`session::machine::disclosure`, `docs/PROTOCOL.md` § privacy) decide
/// which cells are hidden so that no hidden cell can be worked out from everything published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Pupils who answered (passes included): always public, it is shown live.
    pub answered: u32,
    /// Pupils who passed; `None` when hidden to protect a hidden option count.
    pub passed: Option<u32>,
    /// Per-option counts; `None` when every option count is hidden; a `null` count is hidden
    /// (it could be anything from 0 to the sum of the hidden cells, which is above `min_count`).
    pub counts: Option<Vec<Option<u32>>>,
}

/// Bounds and labels of a scale question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleView {
    /// Lowest value.
    pub min: i32,
    /// Highest value.
    pub max: i32,
    /// Label of the low end.
    pub min_label: String,
    /// Label of the high end.
    pub max_label: String,
}

/// Facilitator notes and answer key, for hosts only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facilitator {
    /// Question id.
    pub question: String,
    /// Indices of the correct options (knowledge questions).
    pub correct: Vec<u8>,
    /// Self-assessment points per option (`null` where none).
    pub points: Vec<Option<u32>>,
    /// Explanation shown after the reveal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Discussion prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Key fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fact: Option<String>,
    /// Source of the fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Tip for handling the question in class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<String>,
}

/// A podium entry (challenge mode): at most three are ever sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodiumEntry {
    /// 1, 2 or 3 (ties share a rank).
    pub rank: u32,
    /// Generated pseudonym.
    pub name: String,
    /// Points.
    pub points: u32,
}

/// Per-question results in the class summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionSummary {
    /// Question id.
    pub question: String,
    /// Question text.
    pub text: String,
    /// Option texts.
    pub options: Vec<String>,
    /// Indices of the correct options.
    pub correct: Vec<u8>,
    /// First vote.
    pub results: Distribution,
    /// Second vote, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_vote: Option<Distribution>,
    /// Left out by the host.
    pub skipped: bool,
}

/// One bar of the class's score histogram: the pupils whose class score is in `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreBin {
    /// Lowest score of the range (a multiple of 10).
    pub from: u8,
    /// Highest score of the range (9, 19, … or 100).
    pub to: u8,
    /// Pupils in the range: 0 or at least `min_count` (small ranges are merged with neighbours).
    pub pupils: u32,
}

/// The anonymous class summary at the end.
///
/// Class scores (histogram, mean, median, podium) are computed only over the scored questions
/// shown in full (no hidden cell in their first vote), so they say nothing about a hidden count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Pupils who joined.
    pub pupils: u32,
    /// Pupils with a class score (enough answered questions among those counted).
    pub scored: u32,
    /// Scored questions asked (not skipped).
    #[serde(default)]
    pub scored_questions: u32,
    /// Of those, the questions shown in full, which the class scores are computed on.
    #[serde(default)]
    pub counted_questions: u32,
    /// Class scores in ranges covering 0–100 (10 points wide, wider where merged so that each
    /// holds 0 or at least `min_count` pupils); empty when fewer than `min_count` have a score.
    pub histogram: Vec<ScoreBin>,
    /// Mean class score, read off the histogram (bin midpoints), rounded; `None` without one.
    pub mean: Option<f64>,
    /// Median class score, read off the histogram (interpolated), rounded; `None` without one.
    pub median: Option<f64>,
    /// Per-question results.
    pub questions: Vec<QuestionSummary>,
    /// Challenge mode: the top three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub podium: Vec<PodiumEntry>,
}

/// A tip for a question where the pupil did not earn every point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdviceItem {
    /// Question id.
    pub question: String,
    /// Question text.
    pub text: String,
    /// The tip.
    pub advice: String,
}

/// The pupil's private result (sent only to that pupil).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateResult {
    /// Score out of 100; `None` when the pupil answered fewer than `min_questions` scored
    /// questions (or the session hides scores).
    pub score: Option<u8>,
    /// Scored questions the pupil answered (the score is based on them).
    pub scored_questions: u32,
    /// Answered scored questions a score needs: below it, no score, no points and no rank.
    #[serde(default)]
    pub min_questions: u32,
    /// Scored questions the pupil was present for.
    pub present_questions: u32,
    /// The band's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_title: Option<String>,
    /// The band's advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_advice: Option<String>,
    /// Tips for the questions where points were lost.
    pub advice: Vec<AdviceItem>,
    /// Challenge mode: points on the questions the podium counts (with enough answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Challenge mode: rank among the pupils with points, only when in the top third.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Where to get help.
    pub resources: Vec<crate::quiz::model::Resource>,
}
