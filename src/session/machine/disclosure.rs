//! Statistical disclosure control: which counts of a round and which class scores may be published.
//!
//! One function decides each kind of number, and every view calls it, so a phone, the projector,
//! the console, the stored report and both CSVs apply exactly the same rules. The rules, and why
//! they hold against arithmetic on everything published, are in `docs/PROTOCOL.md` § privacy.
//!
//! A round is a table: one cell per option plus the pass cell, whose margin `answered` (A) is
//! public (it is shown live). With N the session's threshold:
//! - fewer than N answers: nothing but A is published;
//! - a question that is not sensitive is otherwise shown in full (small counts included);
//! - *primary suppression*, on a sensitive question: every option count below N (0 included);
//! - *complementary suppression*: the smallest shown counts are hidden with them until the hidden
//!   counts include one of N or more, are two at least and, on a single-choice question (whose
//!   counts add up to A), hold more than N answers; on a multiple-choice question more than N
//!   pupils must have ticked something, else everything is hidden;
//! - the pass count is shown unless every option count is hidden (then it would give their sum).
//!
//! So a hidden count can be anything from 0 to a value of N or more, even for a pupil who takes
//! away their own answer, and even for someone who knows these rules: the hidden set does not
//! change when two hidden counts swap, so "hidden" never means "small".

use crate::protocol::{Distribution, ScoreBin};

/// The lowest `min_count` a session may have: with 2, each of two pupils in a cell would know
/// what the other answered; 3 is the usual minimum frequency of official statistics.
pub const MIN_COUNT_FLOOR: u32 = 3;

/// The highest `min_count` a session may have.
pub const MIN_COUNT_CEILING: u32 = 100;

/// Scored questions a pupil must have answered for a score out of 100 (and points and a rank):
/// a score on one or two answers says little and would be a verdict on a single question.
pub const MIN_SCORED_ANSWERS: u32 = 3;

/// The threshold a session applies: its `min_count`, never below [`MIN_COUNT_FLOOR`] (a session
/// journaled before the floor existed is held to it as well).
pub fn threshold(min_count: u32) -> u32 {
    min_count.max(MIN_COUNT_FLOOR)
}

/// The publishable form of one round: `tally` per option, `passed`, `answered` (passes
/// included), for a question that is `multiple` choice or not and `sensitive` or not, at
/// threshold `n` (see [`threshold`]).
///
/// The choice of cells to hide depends on the option counts only through their sorted values,
/// never through which option holds which value: swapping two hidden counts gives the same
/// output, so an observer who knows these rules cannot tell the small hidden count from the
/// large one it is hidden with.
pub fn disclose(
    tally: &[u32],
    passed: u32,
    answered: u32,
    multiple: bool,
    sensitive: bool,
    n: u32,
) -> Distribution {
    let hidden = hidden_options(tally, passed, answered, multiple, sensitive, n);
    let all_hidden = hidden.iter().all(|&h| h);
    Distribution {
        answered,
        passed: (!all_hidden).then_some(passed),
        counts: (!all_hidden).then(|| {
            tally
                .iter()
                .zip(&hidden)
                .map(|(&c, &h)| (!h).then_some(c))
                .collect()
        }),
    }
}

/// Which option counts are hidden (the pass count is hidden exactly when they all are).
fn hidden_options(
    tally: &[u32],
    passed: u32,
    answered: u32,
    multiple: bool,
    sensitive: bool,
    n: u32,
) -> Vec<bool> {
    // Fewer than N answers: only their number, whatever the question (it is public anyway).
    if answered < n {
        return vec![true; tally.len()];
    }
    // Primary suppression: on a sensitive question, every count below N (0 included).
    let mut hidden: Vec<bool> = tally.iter().map(|&c| sensitive && c < n).collect();
    if !hidden.contains(&true) {
        return hidden;
    }
    // Ticks of a multiple-choice question do not add up: a hidden option could have been ticked
    // by anyone who ticked something, and that must be more than N.
    if multiple && answered.saturating_sub(passed) <= n {
        return vec![true; tally.len()];
    }
    // Complementary suppression: the smallest shown counts (all those tied at once) join the
    // hidden ones until these hold at least one count of N or more, two counts at least, and
    // (when counts add up to the answers) more than N answers between them.
    loop {
        let (mut cells, mut large, mut sum) = (0, 0, 0);
        for (&c, _) in tally.iter().zip(&hidden).filter(|(_, &h)| h) {
            cells += 1;
            sum += c;
            large += usize::from(c >= n);
        }
        if large >= 1 && cells >= 2 && (multiple || sum > n) {
            return hidden;
        }
        let shown = tally.iter().zip(&hidden).filter(|(_, &h)| !h);
        let Some(smallest) = shown.map(|(&c, _)| c).min() else {
            return hidden;
        };
        for (h, &c) in hidden.iter_mut().zip(tally) {
            *h |= c == smallest;
        }
    }
}

/// Whether a published round has no hidden cell.
pub fn is_full(d: &Distribution) -> bool {
    d.passed.is_some()
        && d.counts
            .as_ref()
            .is_some_and(|c| c.iter().all(Option::is_some))
}

/// The decade of a score: 0–9 → 0, …, 90–100 → 9.
fn decade(score: u8) -> usize {
    usize::from(score / 10).min(9)
}

/// Scores counted in ten decades (0–9, …, 80–89, 90–100).
pub fn decades(scores: &[u8]) -> [u32; 10] {
    let mut raw = [0u32; 10];
    for &s in scores {
        raw[decade(s)] += 1;
    }
    raw
}

/// The published histogram of `raw` decade counts at threshold `n`: adjacent decades merged
/// (left to right, the last small range into the one before) until every range holds 0 or at
/// least `n` pupils; empty when fewer than `n` pupils have a score at all.
pub fn score_bins(raw: &[u32; 10], n: u32) -> Vec<ScoreBin> {
    let total: u32 = raw.iter().sum();
    if total < n || total == 0 {
        return Vec::new();
    }
    let upper = |i: usize| if i == 9 { 100 } else { (i * 10 + 9) as u8 };
    let mut bins: Vec<ScoreBin> = Vec::new();
    let mut i = 0;
    while i < 10 {
        let from = (i * 10) as u8;
        if raw[i] == 0 {
            bins.push(ScoreBin {
                from,
                to: upper(i),
                pupils: 0,
            });
            i += 1;
            continue;
        }
        let mut pupils = 0;
        while i < 10 && pupils < n {
            pupils += raw[i];
            i += 1;
        }
        bins.push(ScoreBin {
            from,
            to: upper(i - 1),
            pupils,
        });
    }
    // A last range below n joins the nearest range with pupils before it (and the empty
    // ranges between them); one exists since `total >= n`.
    if let Some(last) = bins.pop() {
        if last.pupils == 0 || last.pupils >= n {
            bins.push(last);
        } else {
            let mut merged = last;
            while let Some(prev) = bins.pop() {
                merged.from = prev.from;
                merged.pupils += prev.pupils;
                if prev.pupils > 0 {
                    break;
                }
            }
            bins.push(merged);
        }
    }
    bins
}

/// The midpoint of a range (95 for 90–100).
fn midpoint(bin: &ScoreBin) -> f64 {
    (f64::from(bin.from) + f64::from(bin.to)) / 2.0
}

/// The mean read off a published histogram (each pupil at their range's midpoint), rounded: it
/// tells nothing the bars do not.
pub fn grouped_mean(bins: &[ScoreBin]) -> Option<f64> {
    let total: u32 = bins.iter().map(|b| b.pupils).sum();
    (total > 0).then(|| {
        let sum: f64 = bins.iter().map(|b| f64::from(b.pupils) * midpoint(b)).sum();
        (sum / f64::from(total)).round()
    })
}

/// The median read off a published histogram (interpolated inside its range), rounded.
pub fn grouped_median(bins: &[ScoreBin]) -> Option<f64> {
    let total: u32 = bins.iter().map(|b| b.pupils).sum();
    if total == 0 {
        return None;
    }
    let half = f64::from(total) / 2.0;
    let mut below = 0.0;
    for b in bins.iter().filter(|b| b.pupils > 0) {
        let here = f64::from(b.pupils);
        if below + here >= half {
            let width = f64::from(b.to) - f64::from(b.from) + 1.0;
            let at = f64::from(b.from) + (half - below) / here * width;
            return Some(at.clamp(f64::from(b.from), f64::from(b.to)).round());
        }
        below += here;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(tally: &[u32], passed: u32, multiple: bool, sensitive: bool) -> Distribution {
        let answered = if multiple {
            tally.iter().copied().max().unwrap_or(0) + passed
        } else {
            tally.iter().sum::<u32>() + passed
        };
        disclose(tally, passed, answered, multiple, sensitive, 3)
    }

    #[test]
    fn the_issue_example_hides_everything_but_the_answers() {
        // True/false, 6 answers, 5 against 1: the 1 needs a complement, and the only one is 5.
        let got = d(&[5, 1], 0, false, true);
        assert_eq!((got.answered, got.passed, got.counts), (6, None, None));
    }

    #[test]
    fn small_counts_hide_with_the_smallest_large_ones() {
        // 2 and 1 are below N: the smallest large count (4) joins them; the passes stay shown.
        let got = d(&[20, 4, 2, 1], 0, false, true);
        assert_eq!(got.passed, Some(0));
        assert_eq!(got.counts, Some(vec![Some(20), None, None, None]));
        // 0 and 3 hold only N: the next large count (5, and every count tied with it) joins.
        let got = d(&[9, 5, 5, 3, 0], 2, false, true);
        assert_eq!(got.counts, Some(vec![Some(9), None, None, None, None]));
        // Nothing small: everything shown, a 0 pass count included.
        let got = d(&[20, 4, 3], 0, false, true);
        assert_eq!(got.passed, Some(0));
        assert_eq!(got.counts, Some(vec![Some(20), Some(4), Some(3)]));
        // Every option small: only the number of answers.
        let got = d(&[2, 2, 2, 2], 1, false, true);
        assert_eq!((got.passed, got.counts), (None, None));
    }

    #[test]
    fn not_sensitive_shows_everything_from_n_answers() {
        let got = d(&[2, 1, 0], 0, false, false);
        assert_eq!(got.counts, Some(vec![Some(2), Some(1), Some(0)]));
        let got = d(&[1, 0, 0], 8, false, false);
        assert_eq!(
            (got.passed, got.counts),
            (Some(8), Some(vec![Some(1), Some(0), Some(0)]))
        );
        let got = d(&[1, 1, 0], 0, false, false);
        assert_eq!((got.answered, got.passed, got.counts), (2, None, None));
    }

    #[test]
    fn multiple_choice_needs_more_than_n_pupils_who_ticked() {
        // Two options tied at 4 are the smallest large counts: both join, nothing is left.
        let got = d(&[4, 1, 4], 0, true, true);
        assert_eq!((got.passed, got.counts), (None, None));
        let got = disclose(&[4, 1, 5], 0, 5, true, true, 3);
        assert_eq!(got.counts, Some(vec![None, None, Some(5)]));
        assert_eq!(got.passed, Some(0));
        let got = disclose(&[3, 1, 3], 0, 3, true, true, 3);
        assert_eq!((got.passed, got.counts), (None, None));
    }

    #[test]
    fn histogram_ranges_hold_zero_or_at_least_n() {
        let bins = score_bins(&[0, 0, 1, 2, 3, 5, 7, 4, 2, 1], 3);
        let shape: Vec<(u8, u8, u32)> = bins.iter().map(|b| (b.from, b.to, b.pupils)).collect();
        assert_eq!(
            shape,
            vec![
                (0, 9, 0),
                (10, 19, 0),
                (20, 39, 3),
                (40, 49, 3),
                (50, 59, 5),
                (60, 69, 7),
                (70, 79, 4),
                (80, 100, 3)
            ]
        );
        // A small last range joins the one with pupils before it, across empty ones.
        let bins = score_bins(&[0, 0, 0, 0, 0, 3, 0, 0, 0, 1], 3);
        let shape: Vec<(u8, u8, u32)> = bins.iter().map(|b| (b.from, b.to, b.pupils)).collect();
        assert_eq!(shape[shape.len() - 1], (50, 100, 4));
        assert!(score_bins(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0], 3).is_empty());
        assert_eq!(
            grouped_mean(&score_bins(&[0, 0, 0, 0, 0, 3, 0, 0, 0, 3], 3)),
            Some(75.0)
        );
        assert_eq!(
            grouped_median(&score_bins(&[0, 0, 0, 0, 0, 4, 0, 0, 0, 0], 3)),
            Some(55.0)
        );
    }
}
