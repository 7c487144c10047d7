//! Reading the aggregate reports kept after sessions, and rendering them as JSON or CSV.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::protocol::{Distribution, Summary};

/// A finished session's aggregate results, as a teacher reopens them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
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
pub fn find(conn: &Connection, code: &str, key_hash: &str) -> rusqlite::Result<Option<Report>> {
    conn.query_row(
        "SELECT code, quiz_id, quiz_title, lang, label, created_unix_ms, finished_unix_ms,
                expires_unix_ms, summary
         FROM reports
         WHERE code = ?1 AND expires_unix_ms >= ?3
           AND (host_hash = ?2 OR EXISTS (SELECT 1 FROM report_readers
                                          WHERE report_id = reports.id AND key_hash = ?2))
         ORDER BY finished_unix_ms DESC LIMIT 1",
        params![code, key_hash, super::unix_ms() as i64],
        |r| {
            let summary: String = r.get(8)?;
            let summary = serde_json::from_str(&summary).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    8,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            Ok(Report {
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

/// Quotes one CSV field.
fn field(text: &str, sep: char) -> String {
    if text.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn number(n: Option<f64>, sep: char) -> String {
    let text = n.map(|n| format!("{n:.1}")).unwrap_or_default();
    // In French spreadsheets the decimal separator is a comma (and fields are split on ';').
    if sep == ';' {
        text.replace('.', ",")
    } else {
        text
    }
}

fn count(d: &Distribution, i: usize, min: &str) -> String {
    match &d.counts {
        None => min.to_owned(),
        Some(counts) => counts
            .get(i)
            .copied()
            .flatten()
            .map_or_else(|| min.to_owned(), |c| c.to_string()),
    }
}

/// The report as CSV that opens with its accents in Excel and LibreOffice: UTF-8 with a byte
/// order mark, `;`-separated in French (the separator French spreadsheets expect), `,` in English.
pub fn to_csv(report: &Report) -> String {
    let fr = report.lang == "fr";
    let sep = if fr { ';' } else { ',' };
    let s = sep.to_string();
    let mut out = String::from('\u{feff}');
    let mut line = |cells: &[String]| {
        let row: Vec<String> = cells.iter().map(|c| field(c, sep)).collect();
        out.push_str(&row.join(&s));
        out.push_str("\r\n");
    };
    let t = |fr_text: &str, en_text: &str| {
        if fr {
            fr_text.to_owned()
        } else {
            en_text.to_owned()
        }
    };
    let sum = &report.summary;
    line(&[t("Quiz", "Quiz"), report.quiz_title.clone()]);
    line(&[
        t("Séance", "Session"),
        report.label.clone().unwrap_or_default(),
    ]);
    line(&[t("Élèves", "Pupils"), sum.pupils.to_string()]);
    line(&[t("Avec un score", "With a score"), sum.scored.to_string()]);
    line(&[t("Moyenne", "Mean"), number(sum.mean, sep)]);
    line(&[t("Médiane", "Median"), number(sum.median, sep)]);
    line(&[]);
    line(&[t("Score", "Score"), t("Élèves", "Pupils")]);
    for (i, n) in sum.histogram.iter().enumerate() {
        let range = if i == 9 {
            "90-100".to_owned()
        } else {
            format!("{}-{}", i * 10, i * 10 + 9)
        };
        line(&[range, n.to_string()]);
    }
    line(&[]);
    line(&[
        t("Question", "Question"),
        t("Réponse", "Option"),
        t("Bonne réponse", "Correct"),
        t("Vote", "Vote"),
        t("Second vote", "Second vote"),
    ]);
    let few = t("moins que le minimum", "below the minimum");
    for q in &sum.questions {
        if q.skipped {
            line(&[q.text.clone(), t("(passée)", "(skipped)")]);
            continue;
        }
        for (i, option) in q.options.iter().enumerate() {
            let correct = if q.correct.contains(&(i as u8)) {
                t("oui", "yes")
            } else {
                String::new()
            };
            let second = q
                .second_vote
                .as_ref()
                .map(|d| count(d, i, &few))
                .unwrap_or_default();
            line(&[
                q.text.clone(),
                option.clone(),
                correct,
                count(&q.results, i, &few),
                second,
            ]);
        }
        let passed = q.results.passed.to_string();
        line(&[q.text.clone(), t("Passe", "Passed"), String::new(), passed]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_marks_utf8() {
        assert_eq!(field("a;b", ';'), "\"a;b\"");
        assert_eq!(field("dit \"non\"", ','), "\"dit \"\"non\"\"\"");
        assert_eq!(field("plain", ','), "plain");
        assert_eq!(number(Some(12.25), ';'), "12,2");
    }
}
