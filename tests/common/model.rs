//! An independent model of the documented rules: tallies, hidden counts, private scores, histogram.
//!
//! The tests compute what the server must send from these rules (docs/PROTOCOL.md), never from
//! the server's own code, so a scoring bug cannot hide behind a shared helper.

use std::collections::BTreeMap;

use anyhow::anyhow;
use loupe::protocol::{Choice, Distribution};
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

    /// The distribution the server must show for these votes: passes counted in `answered` and
    /// `passed` only; no counts at all below `min_count` non-pass answers; on a sensitive question
    /// every count below `min_count` hidden.
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
        let chose = self.answered() - passed;
        let counts = (chose >= min_count).then(|| {
            counts
                .into_iter()
                .map(|n| (!q.sensitive || n >= min_count).then_some(n))
                .collect()
        });
        Distribution {
            answered: self.answered(),
            passed,
            counts,
        }
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

/// What a pupil's private result must say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    /// round(100 × earned ÷ available), or `None` with no scored answer.
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
    if available > 0 {
        // round half up, exactly, in integers
        let score = (200 * earned + available) / (2 * available);
        out.score = u8::try_from(score).ok();
    }
    out
}

/// Scores in ten bins: 0–9, 10–19, …, 90–100.
pub fn histogram(scores: &[u8]) -> [u32; 10] {
    let mut bins = [0u32; 10];
    for &s in scores {
        bins[usize::from(s / 10).min(9)] += 1;
    }
    bins
}

/// Mean of the scores.
pub fn mean(scores: &[u8]) -> f64 {
    scores.iter().map(|&s| f64::from(s)).sum::<f64>() / scores.len() as f64
}

/// Median of the scores (mean of the two middle ones for an even count).
pub fn median(scores: &[u8]) -> f64 {
    let mut s: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}
