//! Reading back the aggregate reports kept after sessions (the HTTP layer renders them as JSON
//! or CSV).
//!
//! A report written by a Loupe from before the disclosure rules is brought under them as it is
//! read ([`parse_summary`]), so an old report never serves a count the rules would hide.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::protocol::{Distribution, PodiumEntry, QuestionSummary, Summary};
use crate::session::machine::disclosure::{self, MIN_COUNT_FLOOR};
use crate::session::unix_ms;

/// A finished session's aggregate results, as a teacher reopens them (the JSON of
/// `GET /api/reports/{code}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredReport {
    /// Join code the session had.
    pub code: String,
    /// Quiz id.
    pub quiz_id: String,
    /// Quiz title.
    pub quiz_title: String,
    /// Quiz language.
    pub lang: String,
    /// The teacher's label.
    pub label: Option<String>,
    /// Created (Unix ms).
    pub created_unix_ms: u64,
    /// Ended (Unix ms).
    pub finished_unix_ms: u64,
    /// Deleted after (Unix ms).
    pub expires_unix_ms: u64,
    /// The class summary.
    pub summary: Summary,
}

/// The newest report of session `code` readable with this key hash: the host secret's, or the
/// credential's of a device still paired when the session ended.
pub fn find(
    conn: &Connection,
    code: &str,
    key_hash: &str,
) -> rusqlite::Result<Option<StoredReport>> {
    conn.query_row(
        "SELECT code, quiz_id, quiz_title, lang, label, created_unix_ms, finished_unix_ms,
                expires_unix_ms, summary
         FROM reports
         WHERE code = ?1 AND expires_unix_ms >= ?3
           AND (host_hash = ?2 OR EXISTS (SELECT 1 FROM report_readers
                                          WHERE report_id = reports.id AND key_hash = ?2))
         ORDER BY finished_unix_ms DESC LIMIT 1",
        params![code, key_hash, unix_ms() as i64],
        |r| {
            let summary: String = r.get(8)?;
            let summary = parse_summary(&summary).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    8,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            Ok(StoredReport {
                code: r.get(0)?,
                quiz_id: r.get(1)?,
                quiz_title: r.get(2)?,
                lang: r.get(3)?,
                label: r.get(4)?,
                created_unix_ms: r.get::<_, i64>(5)? as u64,
                finished_unix_ms: r.get::<_, i64>(6)? as u64,
                expires_unix_ms: r.get::<_, i64>(7)? as u64,
                summary,
            })
        },
    )
    .optional()
}

/// A stored summary, as JSON: the current shape, or the one before the disclosure rules (ten
/// raw histogram bins, exact mean and median, no `counted_questions`), which is converted.
pub fn parse_summary(text: &str) -> serde_json::Result<Summary> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if value.get("counted_questions").is_some() {
        return serde_json::from_value(value);
    }
    let old: Legacy = serde_json::from_value(value)?;
    Ok(old.upgrade())
}

/// A summary as Loupe stored it before the disclosure rules.
#[derive(Deserialize)]
struct Legacy {
    pupils: u32,
    scored: u32,
    histogram: [u32; 10],
    questions: Vec<QuestionSummary>,
    #[serde(default)]
    #[allow(dead_code)] // reports never kept a podium; read and dropped
    podium: Vec<PodiumEntry>,
}

impl Legacy {
    /// The same report under today's rules, at the lowest threshold (the session's own is not
    /// stored): a round with a hidden cell keeps only its number of answers (the old rules let
    /// it be computed), the others are checked again; class scores are kept, merged into ranges
    /// and with mean and median read off them, only when every question was shown in full
    /// (otherwise they were computed with the hidden answers).
    fn upgrade(self) -> Summary {
        let n = MIN_COUNT_FLOOR;
        let mut questions = self.questions;
        let mut full = true;
        for q in &mut questions {
            q.results = legacy_round(&q.results, n);
            if let Some(d) = q.second_vote.as_mut() {
                *d = legacy_round(d, n);
            }
            full &= q.skipped || disclosure::is_full(&q.results);
        }
        let asked = questions.iter().filter(|q| !q.skipped).count() as u32;
        let histogram = if full {
            disclosure::score_bins(&self.histogram, n)
        } else {
            Vec::new()
        };
        Summary {
            pupils: self.pupils,
            scored: self.scored,
            scored_questions: asked,
            counted_questions: if full { asked } else { 0 },
            mean: disclosure::grouped_mean(&histogram),
            median: disclosure::grouped_median(&histogram),
            histogram,
            questions,
            podium: Vec::new(),
        }
    }
}

/// One round of an old report under today's rules (see [`Legacy::upgrade`]).
fn legacy_round(d: &Distribution, n: u32) -> Distribution {
    match (&d.counts, d.passed) {
        (Some(counts), Some(passed)) if counts.iter().all(Option::is_some) => {
            let tally: Vec<u32> = counts.iter().flatten().copied().collect();
            let chose = d.answered.saturating_sub(passed);
            let multiple = tally.iter().sum::<u32>() > chose;
            disclosure::disclose(&tally, passed, d.answered, multiple, false, n)
        }
        _ => Distribution {
            answered: d.answered,
            passed: None,
            counts: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_report_is_brought_under_the_rules() {
        let old = r#"{"pupils":6,"scored":6,"histogram":[0,0,0,0,0,1,2,3,0,0],"mean":70.5,
            "median":72.0,"questions":[{"question":"q1","text":"?","options":["Vrai","Faux"],
            "correct":[0],"results":{"answered":6,"passed":0,"counts":[5,null]},"skipped":false}]}"#;
        let sum = parse_summary(old).expect("an old summary parses");
        let d = &sum.questions[0].results;
        assert_eq!((d.answered, d.passed, d.counts.clone()), (6, None, None));
        assert!(sum.histogram.is_empty() && sum.mean.is_none() && sum.median.is_none());
        assert_eq!((sum.scored_questions, sum.counted_questions), (1, 0));
    }
}
