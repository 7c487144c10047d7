//! Turning timestamps into the reported figures: percentiles, fan-out, the answer storm and the
//! answer → host-count latency (first-in-first-out approximation).

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::host::HostOutcome;
use super::pupil::PupilOutcome;

/// p50, p99 and the maximum of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pct {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// The largest ("all": the last one).
    pub max_ms: f64,
    /// How many values.
    pub n: usize,
}

impl Pct {
    /// Nearest-rank percentiles of `values` (milliseconds); all zero when empty.
    pub fn of(mut values: Vec<f64>) -> Pct {
        if values.is_empty() {
            return Pct::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
            values[rank - 1]
        };
        Pct {
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: values[values.len() - 1],
            n: values.len(),
        }
    }

    /// The per-field median of several (e.g. one per question).
    pub fn median(all: &[Pct]) -> Pct {
        let field = |f: fn(&Pct) -> f64| {
            let mut v: Vec<f64> = all.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            match v.len() {
                0 => 0.0,
                n if n % 2 == 1 => v[n / 2],
                n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
            }
        };
        Pct {
            p50_ms: field(|p| p.p50_ms),
            p99_ms: field(|p| p.p99_ms),
            max_ms: field(|p| p.max_ms),
            n: all.iter().map(|p| p.n).max().unwrap_or(0),
        }
    }
}

/// Milliseconds from `a` to `b` (negative if `b` is earlier).
pub fn ms(a: Instant, b: Instant) -> f64 {
    if b >= a {
        (b - a).as_secs_f64() * 1e3
    } else {
        -((a - b).as_secs_f64() * 1e3)
    }
}

/// One question across every session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionFigures {
    /// 0-based question index.
    pub index: usize,
    /// Host `next` → each pupil has the question.
    pub fanout: Pct,
    /// Host `next` → the host's count includes each answer (the k-th answer sent is counted when
    /// the count first reaches k).
    pub storm: Pct,
    /// Each answer sent → the host's count includes it (same approximation).
    pub answer_to_count: Pct,
    /// Answers expected (pupils joined).
    pub expected: u64,
    /// Highest count the hosts saw, summed over sessions.
    pub counted: u64,
    /// `answered` in the close's results, summed (None when the server sends no results).
    pub results_answered: Option<u64>,
}

/// Figures for question `q` from every host and pupil.
pub fn question(q: usize, hosts: &[HostOutcome], pupils: &[PupilOutcome]) -> QuestionFigures {
    let mut fanout = Vec::new();
    let mut storm = Vec::new();
    let mut latency = Vec::new();
    let mut out = QuestionFigures {
        index: q,
        ..QuestionFigures::default()
    };
    let mut results = Some(0u64);
    for host in hosts {
        let Some(hq) = host.questions.get(q) else {
            continue;
        };
        let Some(opened) = hq.opened else { continue };
        out.expected += u64::from(host.expected);
        out.counted += u64::from(hq.counts.iter().map(|c| c.1).max().unwrap_or(0));
        results = match (results, hq.results_answered) {
            (Some(sum), Some(n)) => Some(sum + u64::from(n)),
            _ => None,
        };
        let mut sent: Vec<Instant> = Vec::new();
        for p in pupils.iter().filter(|p| p.session == host.session) {
            if let Some(a) = p.answered.get(q) {
                fanout.push(ms(opened, a.received));
                sent.push(a.sent);
            }
        }
        sent.sort();
        let mut counts = hq.counts.iter().peekable();
        let mut counted_at: Option<Instant> = None;
        let mut level = 0u32;
        for (k, s) in sent.iter().enumerate() {
            let rank = k as u32 + 1;
            while level < rank {
                match counts.next() {
                    Some(&(at, n)) => {
                        level = level.max(n);
                        counted_at = Some(at);
                    }
                    None => break,
                }
            }
            if level < rank {
                break; // never counted: shows as `counted < expected`
            }
            if let Some(at) = counted_at {
                storm.push(ms(opened, at));
                latency.push(ms(*s, at).max(0.0));
            }
        }
    }
    out.fanout = Pct::of(fanout);
    out.storm = Pct::of(storm);
    out.answer_to_count = Pct::of(latency);
    out.results_answered = results.filter(|_| !hosts.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let p = Pct::of((1..=100).map(f64::from).collect());
        assert_eq!(
            (p.p50_ms, p.p99_ms, p.max_ms, p.n),
            (50.0, 99.0, 100.0, 100)
        );
        assert_eq!(Pct::of(vec![]).n, 0);
        let m = Pct::median(&[p, Pct::of(vec![2.0]), Pct::of(vec![4.0])]);
        assert_eq!(m.max_ms, 4.0);
    }
}
