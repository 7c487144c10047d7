//! An independent model of the documented rules: tallies, hidden counts, private scores, histogram.
//!
//! The tests compute what the server must send from these rules (docs/PROTOCOL.md), never from
//! the server's own code, so a scoring bug cannot hide behind a shared helper.

use std::collections::BTreeMap;

use anyhow::anyhow;
use loupe::protocol::{Choice, Distribution, ScoreBin};
use loupe::quiz::model::{Question, QuestionKind, Quiz, Scoring};

/// Parses a fixture quiz by id (`tests/fixtures/quizzes/<id>.toml`).
pub fn fixture(id: &str) -> anyhow::Result<Quiz> {
    let path = super::fixtures_dir().join(format!("{id}.toml"));
    let text = std::fs::read_to_string(&path)?;
    loupe::quiz::parse_quiz(&path.display().to_string(), &text)
        .map_err(|p| anyhow!("fixture {id} is invalid: {p:?}"))
}

/// The question with this id.
pub fn question<'q>(quiz: &'q Quiz, id: &str) -> anyhow::Result<&'q Question> {
    quiz.question(id)
        .map(|(_, q)| q)
        .ok_or_else(|| anyhow!("no question {id} in {}", quiz.id))
}

/// The choice of ticking these options.
pub fn opts(indices: &[u8]) -> Choice {
    Choice::Options(indices.to_vec())
}

/// The final choice of each pupil (by index) in one round of one question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Votes(pub BTreeMap<usize, Choice>);

impl Votes {
    /// Records `pupil`'s latest choice (replacing an earlier one).
    pub fn set(&mut self, pupil: usize, choice: Choice) {
        self.0.insert(pupil, choice);
    }

    /// Pupils who answered or passed.
    pub fn answered(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// `pupil`'s choice, if any.
    pub fn get(&self, pupil: usize) -> Option<&Choice> {
        self.0.get(&pupil)
    }

    /// The distribution the server must show for these votes (docs/PROTOCOL.md § privacy):
    /// below `min_count` answers only their number; a question that is not sensitive in full;
    /// on a sensitive one every count below `min_count` hidden, with the smallest large counts
    /// (all those tied) until the hidden ones hold a large one, two counts at least and, on a
    /// single-choice question, more than `min_count` answers (on a multiple-choice one, more
    /// than `min_count` pupils must have ticked something, else all is hidden); the pass count
    /// hidden exactly when every option count is.
    pub fn distribution(&self, q: &Question, min_count: u32) -> Distribution {
        let passed = self
            .0
            .values()
            .filter(|c| matches!(c, Choice::Pass))
            .count() as u32;
        let mut counts = vec![0u32; q.options.len()];
        for choice in self.0.values() {
            if let Choice::Options(list) = choice {
                for &i in list {
                    counts[usize::from(i)] += 1;
                }
            }
        }
        let n = min_count.max(3);
        let answered = self.answered();
        let multiple = q.kind == QuestionKind::Multiple;
        let mut hidden: Vec<bool> = counts.iter().map(|&c| q.sensitive && c < n).collect();
        if answered < n || (multiple && hidden.contains(&true) && answered - passed <= n) {
            hidden = vec![true; counts.len()];
        }
        while hidden.contains(&true) {
            let kept: Vec<u32> = (0..counts.len())
                .filter(|&i| hidden[i])
                .map(|i| counts[i])
                .collect();
            let sum: u32 = kept.iter().sum();
            if kept.iter().any(|&c| c >= n) && kept.len() >= 2 && (multiple || sum > n) {
                break;
            }
            let Some(least) = (0..counts.len())
                .filter(|&i| !hidden[i])
                .map(|i| counts[i])
                .min()
            else {
                break;
            };
            for i in 0..counts.len() {
                hidden[i] |= counts[i] == least;
            }
        }
        let all = hidden.iter().all(|&h| h);
        Distribution {
            answered,
            passed: (!all).then_some(passed),
            counts: (!all).then(|| {
                counts
                    .iter()
                    .zip(&hidden)
                    .map(|(&c, &h)| (!h).then_some(c))
                    .collect()
            }),
        }
    }

    /// Whether these votes are shown in full (they then count in the class scores).
    pub fn full(&self, q: &Question, min_count: u32) -> bool {
        let d = self.distribution(q, min_count);
        d.passed.is_some() && d.counts.is_some_and(|c| c.iter().all(Option::is_some))
    }
}

/// Greatest common divisor.
fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The unit that makes every partial credit of `quiz` a whole number: the least common multiple
/// of the number of correct options of its knowledge `multiple` questions.
pub fn unit(quiz: &Quiz) -> u64 {
    quiz.questions
        .iter()
        .filter(|q| q.kind == QuestionKind::Multiple && q.scoring() == Scoring::Knowledge)
        .map(|q| q.options.iter().filter(|o| o.correct).count() as u64)
        .fold(1, |l, c| l / gcd(l, c) * c)
}

/// Points `(earned, available)` for one non-pass answer, in units of `1/unit`; `None` when the
/// question is not scored (opinion) or the choice is a pass.
pub fn points(q: &Question, choice: &Choice, unit: u64) -> Option<(u64, u64)> {
    let Choice::Options(ticked) = choice else {
        return None;
    };
    let ticked: Vec<usize> = ticked.iter().map(|&i| usize::from(i)).collect();
    let weight = u64::from(q.weight);
    match q.scoring() {
        Scoring::Opinion => None,
        Scoring::Knowledge if q.kind == QuestionKind::Multiple => {
            let correct = q.options.iter().filter(|o| o.correct).count() as u64;
            let right = ticked.iter().filter(|&&i| q.options[i].correct).count() as u64;
            let wrong = ticked.len() as u64 - right;
            let net = right.saturating_sub(wrong);
            Some((weight * unit * net / correct, weight * unit))
        }
        Scoring::Knowledge => {
            let right = ticked.len() == 1 && q.options[ticked[0]].correct;
            Some((if right { weight * unit } else { 0 }, weight * unit))
        }
        Scoring::SelfAssessment => {
            let pts = |i: usize| u64::from(q.options[i].points.unwrap_or(0));
            if q.kind == QuestionKind::Multiple {
                let available: u64 = (0..q.options.len()).map(pts).sum();
                let got: u64 = ticked.iter().map(|&i| pts(i)).sum();
                Some((got.min(available) * unit, available * unit))
            } else {
                let available = (0..q.options.len()).map(pts).max().unwrap_or(0);
                Some((pts(ticked[0]) * unit, available * unit))
            }
        }
    }
}

/// Answered scored questions a score needs (below: no score, points or rank).
pub const MIN_SCORED: u32 = 3;

/// What a pupil's private result must say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    /// round(100 × earned ÷ available), or `None` with fewer than [`MIN_SCORED`] scored answers.
    pub score: Option<u8>,
    /// Scored questions answered (passes and blanks left out).
    pub scored_questions: u32,
    /// Answered questions where points were lost (must have advice).
    pub lost: Vec<String>,
    /// Answered questions with every point (must have no advice).
    pub full: Vec<String>,
}

/// The expected result of one pupil from their first-round choices on the scored, non-skipped
/// questions (`None`: no answer).
pub fn expected(quiz: &Quiz, answers: &[(&Question, Option<&Choice>)]) -> Expected {
    let unit = unit(quiz);
    let (mut earned, mut available) = (0u64, 0u64);
    let mut out = Expected::default();
    for (q, choice) in answers {
        let Some((e, a)) = choice.and_then(|c| points(q, c, unit)) else {
            continue;
        };
        earned += e;
        available += a;
        out.scored_questions += 1;
        if e < a {
            out.lost.push(q.id.clone());
        } else {
            out.full.push(q.id.clone());
        }
    }
    if available > 0 && out.scored_questions >= MIN_SCORED {
        // round half up, exactly, in integers
        let score = (200 * earned + available) / (2 * available);
        out.score = u8::try_from(score).ok();
    }
    out
}

/// The published histogram of class scores at `min_count`: decades 0–9 … 90–100, merged left to
/// right until each range holds 0 or at least `min_count` pupils (a small last range joins the
/// previous range with pupils); empty below `min_count` scores.
pub fn histogram(scores: &[u8], min_count: u32) -> Vec<ScoreBin> {
    let n = min_count.max(3);
    let mut raw = [0u32; 10];
    for &s in scores {
        raw[usize::from(s / 10).min(9)] += 1;
    }
    if (scores.len() as u32) < n || scores.is_empty() {
        return Vec::new();
    }
    let top = |i: usize| if i == 9 { 100 } else { i as u8 * 10 + 9 };
    let mut bins: Vec<ScoreBin> = Vec::new();
    let mut open: Option<ScoreBin> = None;
    for (i, &c) in raw.iter().enumerate() {
        let bin = match open.take() {
            Some(mut b) => {
                b.to = top(i);
                b.pupils += c;
                b
            }
            None => ScoreBin {
                from: i as u8 * 10,
                to: top(i),
                pupils: c,
            },
        };
        if bin.pupils == 0 || bin.pupils >= n {
            bins.push(bin);
        } else {
            open = Some(bin);
        }
    }
    if let Some(mut rest) = open {
        while let Some(prev) = bins.pop() {
            rest.from = prev.from;
            rest.pupils += prev.pupils;
            if prev.pupils > 0 {
                break;
            }
        }
        bins.push(rest);
    }
    bins
}

/// The mean read off the bins (each pupil at the middle of their range), rounded.
pub fn mean(bins: &[ScoreBin]) -> Option<f64> {
    let total: u32 = bins.iter().map(|b| b.pupils).sum();
    let sum: f64 = bins
        .iter()
        .map(|b| f64::from(b.pupils) * (f64::from(b.from) + f64::from(b.to)) / 2.0)
        .sum();
    (total > 0).then(|| (sum / f64::from(total)).round())
}

/// The median read off the bins (linear inside the range that holds it), rounded.
pub fn median(bins: &[ScoreBin]) -> Option<f64> {
    let total: u32 = bins.iter().map(|b| b.pupils).sum();
    let half = f64::from(total) / 2.0;
    let mut below = 0.0;
    for b in bins.iter().filter(|b| b.pupils > 0) {
        if below + f64::from(b.pupils) >= half {
            let width = f64::from(b.to - b.from) + 1.0;
            let at = f64::from(b.from) + (half - below) / f64::from(b.pupils) * width;
            return Some(at.min(f64::from(b.to)).round());
        }
        below += f64::from(b.pupils);
    }
    None
}
