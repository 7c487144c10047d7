//! Reading and checking one `[[questions]]` table: its kind, options, scoring rules and notes.

use std::ops::Range;

use toml::de::DeTable;

use super::model::{Choice, Lang, Notes, Question, QuestionKind, Scale, Scoring};
use super::problem::Sink;
use super::reader::{self, At, Fields};

/// Every key a question may have.
const QUESTION_KEYS: &[&str] = &[
    "id",
    "kind",
    "text",
    "options",
    "answer",
    "min",
    "max",
    "min_label",
    "max_label",
    "time_limit",
    "sensitive",
    "min_age",
    "core",
    "weight",
    "explanation",
    "advice",
    "notes",
];
/// Every key an option may have.
const OPTION_KEYS: &[&str] = &["text", "correct", "points"];
/// Every key of `[questions.notes]`.
const NOTES_KEYS: &[&str] = &["prompt", "key_fact", "source", "tip"];
/// Keys that only make sense on a scale question.
const SCALE_KEYS: &[&str] = &["min", "max", "min_label", "max_label"];

/// Longest question text, in characters: it must fit an old phone without scrolling.
pub(crate) const MAX_QUESTION: usize = 300;
/// Longest option text, in characters.
pub(crate) const MAX_OPTION: usize = 150;
/// Most values on a scale (0 to 10).
const MAX_SCALE_VALUES: i64 = 11;

/// A question as read: its id (for the duplicate check, even when the rest is wrong) and the
/// question itself when the whole table was clean.
pub(crate) struct Parsed {
    /// The id and where it is written.
    pub(crate) id: Option<At<String>>,
    /// The validated question, `None` if anything in the table was wrong.
    pub(crate) question: Option<Question>,
}

/// Reads one question table found at `span`, reporting every problem in it.
pub(crate) fn question(
    sink: &mut Sink<'_>,
    table: &DeTable<'_>,
    span: Range<usize>,
    lang: Lang,
) -> Parsed {
    let before = sink.count();
    let f = Fields::new(sink, table, span, "question", QUESTION_KEYS);
    let id = reader::id(sink, &f);
    let text = f.text(sink, "text", MAX_QUESTION);
    let kind = kind(sink, &f);
    let time_limit = f.opt_int(sink, "time_limit", 5..=600);
    let sensitive = f.opt_bool(sink, "sensitive");
    let min_age = f.opt_int(sink, "min_age", 6..=21);
    let core = f.opt_bool(sink, "core");
    let weight = f.opt_int(sink, "weight", 1..=100);
    let explanation = f.opt_text(sink, "explanation", 600);
    let advice = f.opt_text(sink, "advice", 400);
    let notes = notes(sink, &f);
    let answers = kind.and_then(|k| answers(sink, &f, k, lang));

    if let Some((options, _)) = &answers {
        let scoring = scoring_of(options);
        if scoring != Scoring::Knowledge {
            if let Some(s) = f.key_span("weight") {
                sink.at(
                    s,
                    "`weight` only applies to questions with a `correct` answer",
                );
            }
        }
        if scoring == Scoring::Opinion {
            if let Some(s) = f.key_span("advice") {
                sink.at(s, "`advice` is shown when points were lost, and this question is not scored; use `explanation`");
            }
        }
    }

    let question = match (&id, text, kind, answers, notes) {
        (Some(id), Some(text), Some(kind), Some((options, scale)), Some(notes))
            if sink.count() == before =>
        {
            Some(Question {
                id: id.get_ref().clone(),
                kind,
                text: text.into_inner(),
                options,
                scale,
                time_limit: time_limit.map(|v| to_u32(v.into_inner())),
                sensitive: sensitive.is_some_and(|v| *v.get_ref()),
                min_age: min_age.and_then(|v| u8::try_from(v.into_inner()).ok()),
                explanation: explanation.map(At::into_inner),
                advice: advice.map(At::into_inner),
                weight: weight.map_or(1, |v| to_u32(v.into_inner())),
                core: core.is_some_and(|v| *v.get_ref()),
                notes,
            })
        }
        _ => None,
    };
    Parsed { id, question }
}

/// Converts a number already checked to be in a small non-negative range.
fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// How options score, by the same rule as [`Question::scoring`].
fn scoring_of(options: &[Choice]) -> Scoring {
    if options.iter().any(|o| o.correct) {
        Scoring::Knowledge
    } else if options.iter().any(|o| o.points.is_some()) {
        Scoring::SelfAssessment
    } else {
        Scoring::Opinion
    }
}

/// The required `kind`.
fn kind(sink: &mut Sink<'_>, f: &Fields<'_, '_>) -> Option<QuestionKind> {
    let v = f.text(sink, "kind", 40)?;
    match v.get_ref().as_str() {
        "single" => Some(QuestionKind::Single),
        "multiple" => Some(QuestionKind::Multiple),
        "true_false" => Some(QuestionKind::TrueFalse),
        "scale" => Some(QuestionKind::Scale),
        other => {
            sink.at(
                v.span(),
                format!("unknown kind \"{other}\"; use single, multiple, true_false or scale"),
            );
            None
        }
    }
}

/// The optional `[questions.notes]` table (empty notes when absent).
fn notes(sink: &mut Sink<'_>, f: &Fields<'_, '_>) -> Option<Notes> {
    let Some(t) = f.opt_table(sink, "notes") else {
        return f.raw("notes").is_none().then(Notes::default);
    };
    let before = sink.count();
    let n = Fields::new(sink, t.get_ref(), t.span(), "notes", NOTES_KEYS);
    let notes = Notes {
        prompt: n.opt_text(sink, "prompt", 1000).map(At::into_inner),
        key_fact: n.opt_text(sink, "key_fact", 1000).map(At::into_inner),
        source: n.opt_text(sink, "source", 1000).map(At::into_inner),
        tip: n.opt_text(sink, "tip", 1000).map(At::into_inner),
    };
    (sink.count() == before).then_some(notes)
}

/// Reports each of `keys` present in the question with `message`.
fn misplaced(sink: &mut Sink<'_>, f: &Fields<'_, '_>, keys: &[&str], message: &str) {
    for key in keys {
        if let Some(s) = f.key_span(key) {
            sink.at(s, format!("`{key}` {message}"));
        }
    }
}

/// The options (given, or generated for true/false and scale) and the scale bounds.
fn answers(
    sink: &mut Sink<'_>,
    f: &Fields<'_, '_>,
    kind: QuestionKind,
    lang: Lang,
) -> Option<(Vec<Choice>, Option<Scale>)> {
    let only_tf = "is only for true_false questions";
    let only_scale = "is only for scale questions";
    match kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            misplaced(
                sink,
                f,
                &["answer"],
                &format!("{only_tf}; mark the right option with `correct = true`"),
            );
            misplaced(sink, f, SCALE_KEYS, only_scale);
            options(sink, f, kind).map(|o| (o, None))
        }
        QuestionKind::TrueFalse => {
            misplaced(sink, f, &["options"], "is generated for true_false questions; remove it and set `answer = true` or `answer = false`");
            misplaced(sink, f, SCALE_KEYS, only_scale);
            let answer = f.opt_bool(sink, "answer");
            if answer.is_none() && f.raw("answer").is_some() {
                return None;
            }
            let answer = answer.map(At::into_inner);
            let (yes, no) = match lang {
                Lang::Fr => ("Vrai", "Faux"),
                Lang::En => ("True", "False"),
            };
            let choice = |text: &str, value: bool| Choice {
                text: text.to_owned(),
                correct: answer == Some(value),
                points: None,
            };
            Some((vec![choice(yes, true), choice(no, false)], None))
        }
        QuestionKind::Scale => {
            misplaced(sink, f, &["options"], "is generated from `min` and `max` for scale questions, which are never scored; remove it");
            misplaced(
                sink,
                f,
                &["answer"],
                &format!("{only_tf}; scale questions are never scored"),
            );
            scale(sink, f)
        }
    }
}

/// The bounds, labels and generated options of a scale question.
fn scale(sink: &mut Sink<'_>, f: &Fields<'_, '_>) -> Option<(Vec<Choice>, Option<Scale>)> {
    let min = f.int(sink, "min", -100..=100);
    let max = f.int(sink, "max", -100..=100);
    let min_label = f.text(sink, "min_label", 40);
    let max_label = f.text(sink, "max_label", 40);
    let (min, max) = (min?, max?);
    let (lo, hi) = (*min.get_ref(), *max.get_ref());
    if hi <= lo {
        sink.at(
            max.span(),
            format!("`max` ({hi}) must be greater than `min` ({lo})"),
        );
        return None;
    }
    if hi - lo + 1 > MAX_SCALE_VALUES {
        sink.at(
            max.span(),
            format!(
                "a scale may have at most {MAX_SCALE_VALUES} values; {lo} to {hi} has {}",
                hi - lo + 1
            ),
        );
        return None;
    }
    let (lo, hi) = (i32::try_from(lo).ok()?, i32::try_from(hi).ok()?);
    let options = (lo..=hi)
        .map(|v| Choice {
            text: v.to_string(),
            correct: false,
            points: None,
        })
        .collect();
    let scale = Scale {
        min: lo,
        max: hi,
        min_label: min_label?.into_inner(),
        max_label: max_label?.into_inner(),
    };
    Some((options, Some(scale)))
}

/// One option as written.
struct RawOption {
    /// Where the option starts.
    span: Range<usize>,
    /// Where its `points` key is, if any.
    points_key: Option<Range<usize>>,
    /// Whether it has a `correct` key at all (true or false).
    marked: bool,
    /// The option, when it was clean.
    choice: Option<Choice>,
}

/// The written options of a single or multiple question, with the rules that tie them together.
fn options(sink: &mut Sink<'_>, f: &Fields<'_, '_>, kind: QuestionKind) -> Option<Vec<Choice>> {
    let list = f.tables(sink, "options")?;
    let name = if kind.is_multiple() {
        "multiple"
    } else {
        "single"
    };
    let n = list.get_ref().len();
    if !(2..=8).contains(&n) {
        sink.at(
            list.span(),
            format!("a {name} question needs 2 to 8 options, not {n}"),
        );
    }
    let raw: Vec<RawOption> = list.get_ref().iter().map(|t| option(sink, t)).collect();
    let marked = raw.iter().any(|o| o.marked);
    let first_points = raw.iter().find_map(|o| o.points_key.clone());
    let choices: Vec<Choice> = raw.iter().filter_map(|o| o.choice.clone()).collect();
    if choices.len() != raw.len() {
        // Rules across options would only repeat what is already reported on one of them.
        return None;
    }
    let problems = sink.count();
    match (marked, first_points) {
        (true, Some(points)) => {
            sink.at(points, "this question mixes `correct` options (knowledge) and `points` options (self-assessment); use one or the other");
        }
        (true, None) => {
            let right = choices.iter().filter(|c| c.correct).count();
            if kind.is_multiple() && right == 0 {
                sink.at(list.span(), "a multiple question with `correct` marks needs at least one `correct = true` option");
            } else if !kind.is_multiple() && right != 1 {
                sink.at(
                    list.span(),
                    format!("a single question with `correct` marks needs exactly one `correct = true` option, not {right}"),
                );
            }
        }
        (false, Some(_)) => {
            for o in raw.iter().filter(|o| o.points_key.is_none()) {
                sink.at(
                    o.span.clone(),
                    "this option has no `points` while others do; add `points = 0`",
                );
            }
            if choices.iter().all(|c| c.points.unwrap_or(0) == 0) {
                sink.at(
                    list.span(),
                    "at least one option must be worth more than 0 points",
                );
            }
        }
        (false, None) => {}
    }
    (sink.count() == problems).then_some(choices)
}

/// Reads one option table.
fn option(sink: &mut Sink<'_>, t: &At<&DeTable<'_>>) -> RawOption {
    let before = sink.count();
    let o = Fields::new(sink, t.get_ref(), t.span(), "option", OPTION_KEYS);
    let text = o.text(sink, "text", MAX_OPTION);
    let correct = o.opt_bool(sink, "correct");
    let points = o.opt_int(sink, "points", 0..=100);
    let points_key = o.key_span("points");
    let is_correct = correct.as_ref().is_some_and(|c| *c.get_ref());
    if is_correct {
        if let Some(s) = points_key.clone() {
            sink.at(s, "an option cannot be both `correct` and worth `points`: use `correct` for knowledge, `points` for self-assessment");
        }
    }
    let clean = sink.count() == before;
    RawOption {
        span: o.span(),
        points_key,
        marked: o.raw("correct").is_some(),
        choice: text.filter(|_| clean).map(|text| Choice {
            text: text.into_inner(),
            correct: is_correct,
            points: points.map(|p| to_u32(p.into_inner())),
        }),
    }
}
