//! A past session's report as a CSV download that opens with its accents in Excel and
//! LibreOffice, and whose cells no spreadsheet reads as a formula.

use crate::protocol::Distribution;
use crate::store::StoredReport;

/// What a spreadsheet would read as a formula (or strip) at the start of a cell.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV field: neutralised when it could start a formula (a leading `'` makes spreadsheets
/// read it as text), then quoted when it holds the separator, a quote or a line break.
fn field(text: &str, sep: char) -> String {
    let text = if text.starts_with(FORMULA_START) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
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

fn count(d: &Distribution, i: usize, hidden: &str) -> String {
    match &d.counts {
        None => hidden.to_owned(),
        Some(counts) => counts
            .get(i)
            .copied()
            .flatten()
            .map_or_else(|| hidden.to_owned(), |c| c.to_string()),
    }
}

fn passed(d: &Distribution, hidden: &str) -> String {
    d.passed
        .map_or_else(|| hidden.to_owned(), |p| p.to_string())
}

/// The report as CSV that opens with its accents in Excel and LibreOffice: UTF-8 with a byte
/// order mark, `;`-separated in French (the separator French spreadsheets expect), `,` in English.
/// Hidden cells read "masqué"/"hidden"; no cell can start a formula.
pub fn to_csv(report: &StoredReport) -> String {
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
    let hidden = t("masqué", "hidden");
    line(&[t("Quiz", "Quiz"), report.quiz_title.clone()]);
    line(&[
        t("Séance", "Session"),
        report.label.clone().unwrap_or_default(),
    ]);
    line(&[t("Élèves", "Pupils"), sum.pupils.to_string()]);
    line(&[t("Avec un score", "With a score"), sum.scored.to_string()]);
    line(&[
        t("Questions notées", "Scored questions"),
        sum.scored_questions.to_string(),
    ]);
    line(&[
        t(
            "Questions comptées dans les scores (montrées en entier)",
            "Questions counted in the scores (shown in full)",
        ),
        sum.counted_questions.to_string(),
    ]);
    line(&[
        t(
            "Moyenne (lue sur l'histogramme)",
            "Mean (read off the histogram)",
        ),
        number(sum.mean, sep),
    ]);
    line(&[
        t(
            "Médiane (lue sur l'histogramme)",
            "Median (read off the histogram)",
        ),
        number(sum.median, sep),
    ]);
    line(&[
        hidden.clone(),
        t(
            "caché pour qu'aucun petit groupe ne puisse être déduit",
            "hidden so that no small group can be worked out",
        ),
    ]);
    line(&[]);
    line(&[t("Score", "Score"), t("Élèves", "Pupils")]);
    for bin in &sum.histogram {
        line(&[format!("{}-{}", bin.from, bin.to), bin.pupils.to_string()]);
    }
    line(&[]);
    line(&[
        t("Question", "Question"),
        t("Réponse", "Option"),
        t("Bonne réponse", "Correct"),
        t("Vote", "Vote"),
        t("Second vote", "Second vote"),
    ]);
    for q in &sum.questions {
        if q.skipped {
            line(&[q.text.clone(), t("(passée)", "(skipped)")]);
            continue;
        }
        let second =
            |f: &dyn Fn(&Distribution) -> String| q.second_vote.as_ref().map(f).unwrap_or_default();
        for (i, option) in q.options.iter().enumerate() {
            let correct = if q.correct.contains(&(i as u8)) {
                t("oui", "yes")
            } else {
                String::new()
            };
            line(&[
                q.text.clone(),
                option.clone(),
                correct,
                count(&q.results, i, &hidden),
                second(&|d| count(d, i, &hidden)),
            ]);
        }
        line(&[
            q.text.clone(),
            t("Passe", "Passed"),
            String::new(),
            passed(&q.results, &hidden),
            second(&|d| passed(d, &hidden)),
        ]);
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

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(field("=1+1", ','), "'=1+1");
        assert_eq!(field("+33 1", ','), "'+33 1");
        assert_eq!(field("-2", ','), "'-2");
        assert_eq!(field("@SUM(A1)", ','), "'@SUM(A1)");
        assert_eq!(field("\tx", ','), "'\tx");
        assert_eq!(field("\r=x", ','), "\"'\r=x\"");
        assert_eq!(field("=a;b", ';'), "\"'=a;b\"");
        assert_eq!(field("a=b", ','), "a=b");
    }
}
