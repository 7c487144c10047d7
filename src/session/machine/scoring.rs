//! Scores, private results and the class summary, all derived from the recorded answers.
//!
//! Score = round(100 × earned ÷ available) over the scored questions a pupil answered (a pass or
//! no answer leaves the question out), given only from [`MIN_SCORED_ANSWERS`] answers up. See
//! `docs/QUIZ-FORMAT.md` for the rules per kind. A pupil's private score uses every scored
//! question; everything that mixes pupils (histogram, mean, median, points, podium, ranks) uses
//! only the questions *counted*: scored, asked, not skipped and shown in full (no hidden cell
//! in their first vote), so it carries nothing about a hidden count.

use super::disclosure::{self, MIN_SCORED_ANSWERS};
use super::{PupilId, Session};
use crate::protocol::{
    AdviceItem, Choice, Mode, PodiumEntry, PrivateResult, QuestionSummary, Summary,
};
use crate::quiz::model::{Question, Scoring};

/// Points earned and available for one answer; `None` for an unscored question or a pass.
pub fn score_answer(question: &Question, choice: &Choice) -> Option<(f64, f64)> {
    let Choice::Options(picked) = choice else {
        return None;
    };
    let option = |i: &u8| question.options.get(usize::from(*i));
    match question.scoring() {
        Scoring::Opinion => None,
        Scoring::Knowledge => {
            let weight = f64::from(question.weight.max(1));
            let right = picked
                .iter()
                .filter(|i| option(i).is_some_and(|o| o.correct))
                .count();
            let wrong = picked.len() - right;
            let total = question.options.iter().filter(|o| o.correct).count().max(1);
            let earned = if question.kind.is_multiple() {
                weight * (right.saturating_sub(wrong) as f64) / total as f64
            } else if right == 1 && wrong == 0 {
                weight
            } else {
                0.0
            };
            Some((earned, weight))
        }
        Scoring::SelfAssessment => {
            let points = |o: &crate::quiz::model::Choice| f64::from(o.points.unwrap_or(0));
            let available = if question.kind.is_multiple() {
                question.options.iter().map(points).sum()
            } else {
                question.options.iter().map(points).fold(0.0, f64::max)
            };
            let earned: f64 = picked.iter().filter_map(option).map(points).sum();
            Some((earned.min(available), available))
        }
    }
}

/// A pupil's totals over the session.
struct Totals {
    earned: f64,
    available: f64,
    scored: u32,
    present: u32,
    challenge_points: u32,
    advice: Vec<AdviceItem>,
}

impl Totals {
    /// round(100 × earned ÷ available), from [`MIN_SCORED_ANSWERS`] answered scored questions.
    fn score(&self) -> Option<u8> {
        (self.scored >= MIN_SCORED_ANSWERS && self.available > 0.0).then(|| {
            (100.0 * self.earned / self.available)
                .round()
                .clamp(0.0, 100.0) as u8
        })
    }

    /// Enough answered scored questions for a score, points and a rank.
    fn enough(&self) -> bool {
        self.scored >= MIN_SCORED_ANSWERS
    }
}

/// Challenge mode: `(points, pupil)` of every ranked pupil, highest first.
pub type Table = [(u32, PupilId)];

impl Session {
    /// Per question: whether it is counted in class scores (scored, asked, not skipped, first
    /// vote closed and shown in full).
    pub fn counted(&self) -> Vec<bool> {
        (0..self.quiz.questions.len() as u32)
            .map(|q| {
                let spec = &self.quiz.questions[q as usize];
                let Some(run) = self.run(q) else { return false };
                let closed = run.rounds.first().is_some_and(|r| r.closed_seq.is_some());
                spec.scoring() != Scoring::Opinion
                    && closed
                    && !run.skipped
                    && self
                        .distribution(q, 1)
                        .is_some_and(|d| disclosure::is_full(&d))
            })
            .collect()
    }

    /// A pupil's totals over every scored question, or only those `only` marks.
    fn totals(&self, pupil: PupilId, only: Option<&[bool]>) -> Totals {
        let mut t = Totals {
            earned: 0.0,
            available: 0.0,
            scored: 0,
            present: 0,
            challenge_points: 0,
            advice: Vec::new(),
        };
        let Some(p) = self.pupil(pupil) else { return t };
        for (q, question) in self.quiz.questions.iter().enumerate() {
            if only.is_some_and(|only| !only.get(q).copied().unwrap_or(false)) {
                continue;
            }
            let Some(run) = self.run(q as u32) else {
                continue;
            };
            let Some(first) = run.rounds.first() else {
                continue;
            };
            if run.skipped || question.scoring() == Scoring::Opinion {
                continue;
            }
            if first.closed_seq.is_some_and(|closed| closed < p.joined_seq) {
                continue;
            }
            t.present += 1;
            let answer = first.answers.get(&pupil);
            let Some((earned, available)) = answer.and_then(|a| score_answer(question, &a.choice))
            else {
                continue;
            };
            t.scored += 1;
            t.earned += earned;
            t.available += available;
            if question.scoring() == Scoring::Knowledge && available > 0.0 {
                t.challenge_points += (100.0 * earned / available).round() as u32;
            }
            if earned < available {
                if let Some(tip) = question.advice.as_ref().or(question.explanation.as_ref()) {
                    t.advice.push(AdviceItem {
                        question: question.id.clone(),
                        text: question.text.clone(),
                        advice: tip.clone(),
                    });
                }
            }
        }
        t
    }

    /// A pupil's private score out of 100 (every scored question), if they answered enough.
    pub fn score(&self, pupil: PupilId) -> Option<u8> {
        self.totals(pupil, None).score()
    }

    /// Challenge mode: the points of every active pupil with enough answers among the counted
    /// questions, highest first; `None` in reflection mode.
    pub fn challenge_table(&self) -> Option<Vec<(u32, PupilId)>> {
        if self.options.mode != Mode::Challenge {
            return None;
        }
        let counted = self.counted();
        let mut all: Vec<(u32, PupilId)> = self
            .pupils
            .iter()
            .filter(|(_, p)| !p.removed)
            .map(|(id, _)| (self.totals(*id, Some(&counted)), *id))
            .filter(|(t, _)| t.enough())
            .map(|(t, id)| (t.challenge_points, id))
            .collect();
        all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Some(all)
    }

    /// Challenge mode: at most three entries, ranked by points (ties share a rank).
    pub fn podium(&self) -> Vec<PodiumEntry> {
        let Some(table) = self.challenge_table() else {
            return Vec::new();
        };
        table
            .iter()
            .take(3)
            .map(|(points, id)| PodiumEntry {
                rank: 1 + table.partition_point(|(p, _)| p > points) as u32,
                name: self
                    .pupil(*id)
                    .and_then(|p| p.name.clone())
                    .unwrap_or_default(),
                points: *points,
            })
            .collect()
    }

    /// The pupil's private result, sent only to them. `table` is [`Session::challenge_table`],
    /// computed once for all pupils.
    pub fn private_result(&self, pupil: PupilId, table: Option<&Table>) -> PrivateResult {
        let t = self.totals(pupil, None);
        let score = t.score();
        let band = score.and_then(|s| self.quiz.band_for(s));
        let (points, rank) = match table.and_then(|table| {
            let at = table.iter().position(|(_, id)| *id == pupil)?;
            Some((table, table[at].0))
        }) {
            Some((table, points)) => {
                let rank = 1 + table.partition_point(|(p, _)| *p > points) as u32;
                let top_third = (table.len() as u32).div_ceil(3);
                (Some(points), (rank <= top_third).then_some(rank))
            }
            None => (None, None),
        };
        PrivateResult {
            score: score.filter(|_| !self.options.hide_score),
            scored_questions: t.scored,
            min_questions: MIN_SCORED_ANSWERS,
            present_questions: t.present,
            band_title: band.map(|b| b.title.clone()),
            band_advice: band.map(|b| b.advice.clone()),
            advice: t.advice,
            points,
            rank,
            resources: self.quiz.resources.clone(),
        }
    }

    /// The anonymous class summary: class scores over the counted questions only.
    pub fn summary(&self) -> Summary {
        let counted = self.counted();
        let scores: Vec<u8> = self
            .pupils
            .iter()
            .filter(|(_, p)| !p.removed)
            .filter_map(|(id, _)| self.totals(*id, Some(&counted)).score())
            .collect();
        let histogram = disclosure::score_bins(&disclosure::decades(&scores), self.threshold());
        let scored_questions = (0..self.quiz.questions.len() as u32)
            .filter(|&q| {
                let asked = self
                    .run(q)
                    .is_some_and(|r| !r.rounds.is_empty() && !r.skipped);
                asked && self.quiz.questions[q as usize].scoring() != Scoring::Opinion
            })
            .count() as u32;
        let questions = (0..self.quiz.questions.len() as u32)
            .filter_map(|q| self.question_summary(q))
            .collect();
        Summary {
            pupils: self.active_pupils(),
            scored: scores.len() as u32,
            scored_questions,
            counted_questions: counted.iter().filter(|&&c| c).count() as u32,
            mean: disclosure::grouped_mean(&histogram),
            median: disclosure::grouped_median(&histogram),
            histogram,
            questions,
            podium: self.podium(),
        }
    }

    /// Results of one asked question, for the summary.
    pub fn question_summary(&self, q: u32) -> Option<QuestionSummary> {
        let question = self.quiz.questions.get(q as usize)?;
        let run = self.run(q)?;
        run.rounds.first()?;
        Some(QuestionSummary {
            question: question.id.clone(),
            text: question.text.clone(),
            options: question.options.iter().map(|o| o.text.clone()).collect(),
            correct: self.correct_options(q),
            results: self.distribution(q, 1)?,
            second_vote: self.distribution(q, 2),
            skipped: run.skipped,
        })
    }
}
