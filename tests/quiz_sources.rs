//! The bundled quizzes' content contract: facilitator notes, sources for every law article and
//! figure, French/English pairs, short questions, reachable scores, and the table of quizzes in
//! `docs/FACILITATOR.md` (issue 5).
//!
//! `src/quiz/tests.rs` checks the same files from inside the crate; this file is the contract as
//! a teacher would state it, on the public API (`loupe::quiz::bundled` + `parse_quiz`).
//!
//! # The sourcing rule
//!
//! For every question, the texts that can state a fact are `explanation` (shown to the class) and
//! the notes' `prompt`, `key_fact` and `tip`. Each is checked on its own, against the question's
//! `notes.source`:
//!
//! 1. **Law.** A text *cites the law* when it has an article number (the number right after
//!    `art.` or `article(s)`, or an `L.`/`R.` number such as `L.111-6` or `R.621-2`) or one of the
//!    whole words `loi(s)`, `law(s)` (any case), `Act` or `Code` (with their capital, so "QR
//!    code" is not law). Then the source must
//!    - mention a legal text: an article number, or one of the whole words `loi(s)`, `law(s)`,
//!      `GDPR`, `RGPD`, `DSA`, `Regulation`, `Règlement`, `Directive`, `décret`, `Cour de
//!      cassation` (any case), `Act` or `Code` (with their capital). "Articles de presse" is not
//!      a legal text; and
//!    - contain every article number the text cites, as a whole number (`222-33-2-2`; `9` does
//!      not match `2019`; `17` for `art. 17(1)(f)`).
//! 2. **Figures.** A text *states a figure* when it has, written in digits:
//!    - an amount of money (`15 000 €`, `€15,000`, `£18m`): the source must mention a legal
//!      text (in these quizzes every amount is a fine or a penalty);
//!    - a percentage (`26 %`, `45%`): the source must name the year of the survey (a year
//!      1900–2099 written in digits);
//!    - any other figure: a number followed by a unit of time or age (`an(s)`, `year(s)`,
//!      `-year-olds`, `mois`, `month(s)`, `semaine(s)`, `week(s)`, `jour(s)`, `day(s)`,
//!      `heure(s)`, `hour(s)`, `h`) or any number of two digits or more (`2018`, `25 000`):
//!      the source must not be empty.
//!
//!    Help-line numbers are contacts, not figures: `3018`, `119`, `114`, `112`, `17`, `999` and
//!    `0800 1111` are left out. Thousands may be grouped with a space, a no-break space, a comma
//!    or a dot (`25 000`, `25,000`).
//!
//! Figures written in words ("un an", "one month") are not detected; the notes are written with
//! digits for every legal or numeric claim.

mod common;

use std::collections::BTreeMap;

use common::model;
use loupe::protocol::Choice;
use loupe::quiz::model::{Lang, Question, QuestionKind, Quiz, Scoring};

/// Each French quiz and its English adaptation.
const PAIRS: [(&str, &str); 4] = [
    ("reseaux-fr", "reseaux-en"),
    ("cyberharcelement-fr", "cyberbullying-en"),
    ("reputation-fr", "reputation-en"),
    ("loi-fr", "law-en"),
];

/// Most words a question's text may have, counted as `src/quiz/tests.rs` does (runs of
/// non-whitespace, so « guillemets » and a lone `?` count as words).
const MAX_WORDS: usize = 25;

/// Help-line numbers: contacts, not figures (`0800 1111` is handled in [`numbers`]).
const HELP_LINES: [&str; 6] = ["3018", "119", "114", "112", "17", "999"];

/// Words after a number that make it a figure of time or age.
const UNITS: [&str; 18] = [
    "an", "ans", "year", "years", "mois", "month", "months", "semaine", "semaines", "week",
    "weeks", "jour", "jours", "day", "days", "heure", "heures", "h",
];

/// Every bundled quiz, parsed with the public API.
fn bundled() -> Vec<Quiz> {
    loupe::quiz::bundled()
        .iter()
        .map(|(file, text)| {
            loupe::quiz::parse_quiz(file, text)
                .unwrap_or_else(|p| panic!("{file} does not load: {p:#?}"))
        })
        .collect()
}

/// Whether `c` may sit inside a word (so a match next to it is not a whole word).
fn wordish(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `needle` occurs in `text` as a whole word (not inside a longer word), optionally
/// ignoring the case of ASCII letters (`Règlement` matches `règlement`). A needle ending in `.` (`art.`) only needs a boundary before it.
fn has_word(text: &str, needle: &str, ignore_case: bool) -> bool {
    let (hay, pat) = if ignore_case {
        (text.to_ascii_lowercase(), needle.to_ascii_lowercase())
    } else {
        (text.to_owned(), needle.to_owned())
    };
    hay.match_indices(&pat).any(|(i, m)| {
        let before = hay[..i].chars().next_back().is_none_or(|c| !wordish(c));
        let after = m.ends_with('.')
            || hay[i + m.len()..]
                .chars()
                .next()
                .is_none_or(|c| !wordish(c));
        before && after
    })
}

/// Whether a text cites the law (rule 1): an article number, or the word for a law.
fn cites_law(text: &str) -> bool {
    !cited_articles(text).is_empty()
        || ["loi", "lois", "law", "laws"]
            .iter()
            .any(|w| has_word(text, w, true))
        || ["Act", "Code"].iter().any(|w| has_word(text, w, false))
}

/// Whether a source mentions a legal text (rule 1).
fn names_legal_text(source: &str) -> bool {
    let any_case = [
        "loi",
        "lois",
        "law",
        "laws",
        "gdpr",
        "rgpd",
        "dsa",
        "regulation",
        "règlement",
        "directive",
        "décret",
        "cour de cassation",
    ];
    !cited_articles(source).is_empty()
        || any_case.iter().any(|w| has_word(source, w, true))
        || ["Act", "Code"].iter().any(|w| has_word(source, w, false))
}

/// The article number starting at the beginning of `s` (after optional spaces and an optional
/// `L.`/`R.`): digits and inner hyphens, `222-33-2-2`, `9`, `17` of `17(1)(f)`.
fn article_number(s: &str) -> Option<String> {
    let s = s.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    let s = s
        .strip_prefix("L.")
        .or_else(|| s.strip_prefix("R."))
        .unwrap_or(s)
        .trim_start();
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            out.push(c);
            chars.next();
        } else if c == '-' && out.ends_with(|d: char| d.is_ascii_digit()) {
            let mut ahead = chars.clone();
            ahead.next();
            if ahead.peek().is_some_and(char::is_ascii_digit) {
                out.push(c);
                chars.next();
            } else {
                break;
            }
        } else {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Article numbers written as `L.111-6` or `R.621-2` anywhere in `text`.
fn lr_numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["L.", "R."] {
        for (i, _) in text.match_indices(prefix) {
            let boundary = text[..i].chars().next_back().is_none_or(|c| !wordish(c));
            if let Some(n) = article_number(&text[i + prefix.len()..]).filter(|_| boundary) {
                out.push(n);
            }
        }
    }
    out
}

/// Every article number a text cites: the number right after `art.` or `article(s)` (any
/// case; "un article de presse" cites none), and `L.`/`R.` numbers.
fn cited_articles(text: &str) -> Vec<String> {
    // ASCII lowering keeps every byte offset, so `lower`'s indices are valid in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = lr_numbers(text);
    for word in ["art.", "articles", "article"] {
        for (i, _) in lower.match_indices(word) {
            let boundary = lower[..i].chars().next_back().is_none_or(|c| !wordish(c));
            if boundary {
                out.extend(article_number(&text[i + word.len()..]));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The article-number tokens of a source: maximal runs of digits joined by inner hyphens.
fn number_tokens(source: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let n = article_number(&rest[start..]).unwrap_or_default();
        rest = &rest[start + n.len().max(1)..];
        tokens.push(n);
    }
    tokens
}

/// A number written in digits, with where it ends in the text.
#[derive(Debug)]
struct Number {
    /// The digits, separators removed.
    digits: String,
    /// The text just before it.
    before: String,
    /// The text just after it.
    after: String,
}

/// The numbers of a text written in digits. Thousands may be grouped with a space, a no-break
/// space, a comma or a dot followed by exactly three digits. `0800 1111` (Childline) is left out
/// here, as it would read as two numbers; the other help lines are left out by [`figure`].
fn numbers(text: &str) -> Vec<Number> {
    let mut text = text.to_owned();
    for childline in ["0800 1111", "0800\u{a0}1111", "0800\u{202f}1111"] {
        text = text.replace(childline, "#");
    }
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        loop {
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            }
            let sep = chars
                .get(i)
                .is_some_and(|c| " \u{a0}\u{202f},.".contains(*c));
            let three = (1..=3).all(|k| chars.get(i + k).is_some_and(char::is_ascii_digit));
            let fourth = chars.get(i + 4).is_some_and(char::is_ascii_digit);
            if sep && three && !fourth {
                i += 1;
            } else {
                break;
            }
        }
        let before: String = chars[start.saturating_sub(3)..start].iter().collect();
        let after: String = chars[i..(i + 12).min(chars.len())].iter().collect();
        found.push(Number {
            digits,
            before,
            after,
        });
    }
    found
}

/// What kind of figure a number is, if any (rule 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Figure {
    /// A unit of time or age, or two digits or more.
    Other,
    /// A percentage.
    Percent,
    /// An amount of money.
    Money,
}

/// The figure a number is, from its neighbours.
fn figure(n: &Number) -> Option<Figure> {
    let after = n.after.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    if after.starts_with('%') {
        return Some(Figure::Percent);
    }
    let before = n.before.trim_end_matches([' ', '\u{a0}', '\u{202f}']);
    if after.starts_with('€') || before.ends_with(['€', '£']) {
        return Some(Figure::Money);
    }
    let unit: String = after
        .trim_start_matches('-')
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    if UNITS.contains(&unit.to_lowercase().as_str()) {
        return Some(Figure::Other);
    }
    // A help line is a contact ("call 17"), unless a unit, %, € or £ made it a figure above.
    let help_line = HELP_LINES.contains(&n.digits.as_str());
    (n.digits.len() >= 2 && !help_line).then_some(Figure::Other)
}

/// Whether a source names a year 1900–2099 in digits.
fn names_year(source: &str) -> bool {
    numbers(source)
        .iter()
        .any(|n| n.digits.len() == 4 && (n.digits.starts_with("19") || n.digits.starts_with("20")))
}

/// The problems of one text of one question under the sourcing rule.
fn sourcing_problems(field: &str, text: &str, source: &str) -> Vec<String> {
    let mut out = Vec::new();
    if cites_law(text) {
        if !names_legal_text(source) {
            out.push(format!(
                "{field} cites the law but the source names no legal text: {text:?}"
            ));
        }
        let tokens = number_tokens(source);
        for article in cited_articles(text) {
            if !tokens.contains(&article) {
                out.push(format!(
                    "{field} cites article {article}, which the source does not name"
                ));
            }
        }
    }
    for n in numbers(text) {
        let Some(kind) = figure(&n) else { continue };
        let missing = match kind {
            Figure::Money => (!names_legal_text(source)).then_some("no legal text"),
            Figure::Percent => (!names_year(source)).then_some("no year"),
            Figure::Other => source.trim().is_empty().then_some("nothing"),
        };
        if let Some(what) = missing {
            out.push(format!(
                "{field} states the figure {} ({kind:?}) but the source names {what}: {text:?}",
                n.digits
            ));
        }
    }
    out
}

#[test]
fn the_sourcing_rule_reads_texts_as_documented() {
    assert!(cites_law("Code pénal, art. 222-33-2-2"));
    assert!(cites_law("la loi protège"));
    assert!(cites_law("the Online Safety Act"));
    assert!(cites_law("art. R.621-2"));
    assert!(!cites_law("scan the QR code, then Loiret"));
    assert!(!cites_law(
        "a lawyer, an artist, an article in the press, Actions"
    ));
    assert!(names_legal_text("Loi du 29 juillet 1881"));
    assert!(names_legal_text("UK Online Safety Act 2023"));
    assert!(!names_legal_text(
        "Articles de presse sur le site de la Mairie, 2013"
    ));
    assert!(!names_legal_text(
        "exploitation des données, lawyers' pages"
    ));
    assert_eq!(
        cited_articles("art. 222-33-2-2 and article 9, art. 17(1)(f), L.111-6"),
        ["111-6", "17", "222-33-2-2", "9"]
    );
    assert_eq!(
        number_tokens("n° 20-13.753, 2019"),
        ["20-13", "753", "2019"]
    );
    let figures = |t: &str| -> Vec<(String, Option<Figure>)> {
        numbers(t)
            .iter()
            .map(|n| (n.digits.clone(), figure(n)))
            .collect()
    };
    assert_eq!(
        figures("1 an et 15 000 €, 26 %, appelle le 3018 ou le 17, 0800 1111, 6–18 ans, 2 juin"),
        [
            ("1".into(), Some(Figure::Other)),
            ("15000".into(), Some(Figure::Money)),
            ("26".into(), Some(Figure::Percent)),
            ("3018".into(), None),
            ("17".into(), None),
            ("6".into(), None),
            ("18".into(), Some(Figure::Other)),
            ("2".into(), None),
        ]
    );
    assert_eq!(
        figures("€30,000, £18m, 10–15-year-olds, 25,000 calls, 9 h"),
        [
            ("30000".into(), Some(Figure::Money)),
            ("18".into(), Some(Figure::Money)),
            ("10".into(), Some(Figure::Other)),
            ("15".into(), Some(Figure::Other)),
            ("25000".into(), Some(Figure::Other)),
            ("9".into(), Some(Figure::Other)),
        ]
    );
    assert!(names_year("survey published October 2025"));
    assert!(!names_year("Childline, 0800 1111"));
    assert!(sourcing_problems("key_fact", "art. 9", "Code civil, art. 2019").len() == 1);
    assert!(sourcing_problems("key_fact", "45 %", "e-Enfance survey").len() == 1);
    assert!(sourcing_problems("key_fact", "15 000 €", "a charity").len() == 1);
    assert!(sourcing_problems("key_fact", "15 000 € (art. 9)", "Code civil, art. 9").is_empty());
}

/// Every question has the four facilitator notes, none blank.
#[test]
fn every_question_has_facilitator_notes() {
    let mut problems = Vec::new();
    for quiz in bundled() {
        for q in &quiz.questions {
            let n = &q.notes;
            let notes = [
                ("prompt", &n.prompt),
                ("key_fact", &n.key_fact),
                ("source", &n.source),
                ("tip", &n.tip),
            ];
            for (name, note) in notes {
                if note.as_deref().is_none_or(|t| t.trim().is_empty()) {
                    problems.push(format!("{}/{}: no {name}", quiz.id, q.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every law article and every figure stated in a note or an explanation names its source
/// (the rule at the top of this file).
#[test]
fn every_law_article_and_figure_names_its_source() {
    let mut problems = Vec::new();
    let (mut law, mut figures) = (0, BTreeMap::new());
    for quiz in bundled() {
        for q in &quiz.questions {
            let source = q.notes.source.as_deref().unwrap_or("");
            let texts = [
                ("explanation", &q.explanation),
                ("prompt", &q.notes.prompt),
                ("key_fact", &q.notes.key_fact),
                ("tip", &q.notes.tip),
            ];
            for (field, text) in texts {
                let Some(text) = text else { continue };
                law += usize::from(cites_law(text));
                for n in numbers(text) {
                    *figures.entry(figure(&n)).or_insert(0usize) += 1;
                }
                for p in sourcing_problems(field, text, source) {
                    problems.push(format!("{}/{}: {p}", quiz.id, q.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The rule is not vacuous: the quizzes do cite laws and state every kind of figure.
    let kinds = [Figure::Money, Figure::Percent, Figure::Other];
    assert!(
        law > 0 && kinds.iter().all(|k| figures.contains_key(&Some(*k))),
        "{law} texts citing the law, figures {figures:?}"
    );
}

/// The bundled quizzes are the eight of the four themes, each French quiz paired with its English
/// adaptation: the same question ids in the same order, of the same kinds, with as many options.
#[test]
fn french_and_english_quizzes_share_question_ids_and_kinds() {
    let quizzes: BTreeMap<String, Quiz> =
        bundled().into_iter().map(|q| (q.id.clone(), q)).collect();
    let mut paired: Vec<&str> = PAIRS.iter().flat_map(|(f, e)| [*f, *e]).collect();
    paired.sort_unstable();
    let ids: Vec<&str> = quizzes.keys().map(String::as_str).collect();
    assert_eq!(ids, paired, "every bundled quiz is in exactly one pair");
    for (fr, en) in PAIRS {
        let (fr, en) = (&quizzes[fr], &quizzes[en]);
        assert_eq!(
            (fr.lang, en.lang),
            (Lang::Fr, Lang::En),
            "{} / {}",
            fr.id,
            en.id
        );
        let shape = |quiz: &Quiz| -> Vec<(String, QuestionKind, usize)> {
            quiz.questions
                .iter()
                .map(|q| (q.id.clone(), q.kind, q.options.len()))
                .collect()
        };
        assert_eq!(
            shape(fr),
            shape(en),
            "{} and {}: ids, kinds, options",
            fr.id,
            en.id
        );
    }
}

/// No question is longer than about 25 words; each quiz marks a core of 8–10 questions (the
/// 30-minute version); its bands cover every score from 0 to 100 exactly once.
#[test]
fn questions_are_short_and_lessons_complete() {
    let mut problems = Vec::new();
    for quiz in bundled() {
        for q in &quiz.questions {
            let words = q.text.split_whitespace().count();
            if words > MAX_WORDS {
                problems.push(format!("{}/{}: {words} words", quiz.id, q.id));
            }
        }
        let core = quiz.questions.iter().filter(|q| q.core).count();
        if !(8..=10).contains(&core) {
            problems.push(format!("{}: {core} core questions", quiz.id));
        }
        for score in 0..=100u8 {
            let bands = quiz
                .bands
                .iter()
                .filter(|b| b.min <= score && score <= b.max);
            if bands.count() != 1 {
                problems.push(format!(
                    "{}: score {score} is not in exactly one band",
                    quiz.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every choice a pupil can make on a question: each option alone, and for `multiple` every
/// non-empty set of options.
fn choices(q: &Question) -> Vec<Choice> {
    let n = u8::try_from(q.options.len()).expect("at most 8 options");
    if q.kind == QuestionKind::Multiple {
        (1u32..(1 << n))
            .map(|set| model::opts(&(0..n).filter(|i| set & (1 << i) != 0).collect::<Vec<_>>()))
            .collect()
    } else {
        (0..n).map(|i| model::opts(&[i])).collect()
    }
}

/// A quiz with scored questions can end at 0 and at 100 for a pupil who answers every question:
/// each scored question has a choice earning every point and one earning none (scored with the
/// test model of the documented rules, `tests/common/model.rs`).
#[test]
fn scored_quizzes_can_reach_0_and_100() {
    for quiz in bundled() {
        let unit = model::unit(&quiz);
        let scored: Vec<&Question> = quiz
            .questions
            .iter()
            .filter(|q| q.scoring() != Scoring::Opinion)
            .collect();
        if scored.is_empty() {
            continue;
        }
        let (mut best, mut worst, mut available) = (0u64, 0u64, 0u64);
        for q in scored {
            let points: Vec<(u64, u64)> = choices(q)
                .iter()
                .filter_map(|c| model::points(q, c, unit))
                .collect();
            let avail = points.first().map_or(0, |p| p.1);
            assert!(points.iter().all(|p| p.1 == avail), "{}/{}", quiz.id, q.id);
            best += points.iter().map(|p| p.0).max().unwrap_or(0);
            worst += points.iter().map(|p| p.0).min().unwrap_or(0);
            available += avail;
        }
        let score = |earned: u64| (200 * earned + available) / (2 * available);
        assert_eq!(score(best), 100, "{}: best answers", quiz.id);
        assert_eq!(score(worst), 0, "{}: worst answers", quiz.id);
    }
}

/// The table of the eight quizzes in `docs/FACILITATOR.md` (one in each language) matches the
/// files: title, language, questions, core and sensitive counts, audience ages and the questions
/// with a minimum age.
#[test]
fn the_facilitator_guide_table_matches_the_quizzes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FACILITATOR.md");
    let guide = std::fs::read_to_string(path).expect("docs/FACILITATOR.md");
    let quizzes: BTreeMap<String, Quiz> =
        bundled().into_iter().map(|q| (q.id.clone(), q)).collect();
    let mut rows: BTreeMap<String, usize> = BTreeMap::new();
    for line in guide.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 9, "{line}");
        let id = cells[1].trim_matches('`');
        let quiz = quizzes
            .get(id)
            .unwrap_or_else(|| panic!("the guide lists {id}, which is not bundled"));
        *rows.entry(id.to_owned()).or_default() += 1;
        let count = |f: fn(&Question) -> bool| quiz.questions.iter().filter(|q| f(q)).count();
        let languages = match quiz.lang {
            Lang::Fr => ["français", "French"],
            Lang::En => ["anglais", "English"],
        };
        assert_eq!(cells[2], quiz.title, "{id}: theme");
        assert!(languages.contains(&cells[3]), "{id}: language {}", cells[3]);
        let numbers = [
            quiz.questions.len(),
            count(|q| q.core),
            count(|q| q.sensitive),
        ];
        let said = [cells[4], cells[5], cells[6]].map(|c| c.parse::<usize>().ok());
        assert_eq!(said, numbers.map(Some), "{id}: questions, core, sensitive");
        let ages = cells[7];
        let range: String = quiz
            .audience
            .split_whitespace()
            .find(|w| w.contains('–'))
            .unwrap_or_else(|| panic!("{id}: no age range in {:?}", quiz.audience))
            .to_owned();
        assert!(
            ages.contains(&range),
            "{id}: ages {ages:?}, audience {range}"
        );
        let mut min_ages: BTreeMap<u8, usize> = BTreeMap::new();
        for age in quiz.questions.iter().filter_map(|q| q.min_age) {
            *min_ages.entry(age).or_default() += 1;
        }
        for (age, n) in &min_ages {
            let said = format!("{n} questions");
            assert!(
                ages.contains(&age.to_string()) && ages.contains(&said),
                "{id}: ages {ages:?} should say {said} for ages {age}+"
            );
        }
        if min_ages.is_empty() {
            let rest = ages.replace(&range, "");
            assert!(
                !rest.contains(|c: char| c.is_ascii_digit()),
                "{id}: ages {ages:?}, but no question has a minimum age"
            );
        }
    }
    for id in quizzes.keys() {
        assert_eq!(rows.get(id), Some(&2), "{id}: one row in each language");
    }
}
