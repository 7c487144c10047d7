//! Parsing one quiz file: TOML syntax, the top-level keys, score bands and help resources.

use std::collections::HashMap;
use std::ops::Range;

use toml::de::DeTable;

use super::model::{Band, Lang, Question, Quiz, Resource};
use super::problem::{Problem, Sink};
use super::question;
use super::reader::{self, At, Fields};

/// Every key allowed at the top of a quiz file.
const QUIZ_KEYS: &[&str] = &[
    "id",
    "title",
    "lang",
    "audience",
    "description",
    "minutes",
    "content_warning",
    "questions",
    "bands",
    "resources",
];
/// Every key of a `[[bands]]` table.
const BAND_KEYS: &[&str] = &["min", "max", "title", "advice"];
/// Every key of a `[[resources]]` table.
const RESOURCE_KEYS: &[&str] = &["name", "contact", "description"];
/// Most questions in one quiz.
const MAX_QUESTIONS: usize = 100;

/// A quiz read from a file, with where its id is written (for the duplicate check across files).
pub(crate) struct Loaded {
    /// The validated quiz.
    pub(crate) quiz: Quiz,
    /// 1-based line and column of the `id` value.
    pub(crate) id_at: (usize, usize),
}

/// Parses and validates one quiz file, returning every problem found.
///
/// Syntax errors stop the reading there: checking the rest of a half-read file would mostly
/// report consequences of the syntax error.
pub(crate) fn parse(file: &str, text: &str) -> Result<Loaded, Vec<Problem>> {
    let mut sink = Sink::new(file, text);
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            sink.at(span, format!("TOML syntax error: {}", e.message()));
        }
        return Err(sink.into_problems());
    }
    let f = Fields::new(&mut sink, root.get_ref(), 0..0, "the quiz", QUIZ_KEYS);
    let id = reader::id(&mut sink, &f);
    let title = f.text(&mut sink, "title", 100);
    let lang = lang(&mut sink, &f);
    let audience = f.text(&mut sink, "audience", 60);
    let description = f.text(&mut sink, "description", 4000);
    let minutes = f.int(&mut sink, "minutes", 1..=600);
    let content_warning = f.opt_text(&mut sink, "content_warning", 500);
    let questions = questions(&mut sink, &f, lang.unwrap_or(Lang::En));
    let bands = bands(&mut sink, &f);
    let resources = resources(&mut sink, &f);

    let built = (|| {
        let id = id?;
        let quiz = Quiz {
            id: id.get_ref().clone(),
            title: title?.into_inner(),
            lang: lang?,
            audience: audience?.into_inner(),
            description: description?.into_inner(),
            minutes: u32::try_from(minutes?.into_inner()).ok()?,
            content_warning: content_warning.map(At::into_inner),
            questions: questions?,
            bands: bands?,
            resources: resources?,
        };
        Some((quiz, id.span()))
    })();
    match built {
        Some((quiz, id_span)) if sink.count() == 0 => Ok(Loaded {
            quiz,
            id_at: sink.position(id_span.start),
        }),
        _ => Err(sink.into_problems()),
    }
}

/// The required `lang`: "fr" or "en".
fn lang(sink: &mut Sink<'_>, f: &Fields<'_, '_>) -> Option<Lang> {
    let v = f.text(sink, "lang", 20)?;
    match v.get_ref().as_str() {
        "fr" => Some(Lang::Fr),
        "en" => Some(Lang::En),
        other => {
            sink.at(
                v.span(),
                format!("`lang` must be \"fr\" or \"en\", not \"{other}\""),
            );
            None
        }
    }
}

/// The `[[questions]]`, each checked, plus the check that their ids are unique.
fn questions(sink: &mut Sink<'_>, f: &Fields<'_, '_>, lang: Lang) -> Option<Vec<Question>> {
    let list = f.tables(sink, "questions")?;
    if list.get_ref().len() > MAX_QUESTIONS {
        sink.at(
            list.span(),
            format!("a quiz may have at most {MAX_QUESTIONS} questions"),
        );
    }
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    let mut out = Vec::with_capacity(list.get_ref().len());
    let mut complete = true;
    for t in list.get_ref() {
        let parsed = question::question(sink, t.get_ref(), t.span(), lang);
        if let Some(id) = parsed.id {
            if let Some(first) = seen.get(id.get_ref()) {
                let (line, _) = sink.position(first.start);
                let msg = format!(
                    "duplicate question id \"{}\" (first used on line {line})",
                    id.get_ref()
                );
                sink.at(id.span(), msg);
            } else {
                seen.insert(id.get_ref().clone(), id.span());
            }
        }
        match parsed.question {
            Some(q) => out.push(q),
            None => complete = false,
        }
    }
    complete.then_some(out)
}

/// Describes a range of scores for messages.
fn scores(lo: i64, hi: i64) -> String {
    if lo == hi {
        format!("score {lo} is")
    } else {
        format!("scores {lo} to {hi} are")
    }
}

/// The `[[bands]]`: each well formed, then together covering 0..=100 once. Returned in ascending order.
fn bands(sink: &mut Sink<'_>, f: &Fields<'_, '_>) -> Option<Vec<Band>> {
    let list = f.tables(sink, "bands")?;
    let before = sink.count();
    let mut bands: Vec<(At<i64>, At<i64>, Band)> = Vec::new();
    for t in list.get_ref() {
        let b = Fields::new(sink, t.get_ref(), t.span(), "score band", BAND_KEYS);
        let min = b.int(sink, "min", 0..=100);
        let max = b.int(sink, "max", 0..=100);
        let title = b.text(sink, "title", 80);
        let advice = b.text(sink, "advice", 600);
        let (Some(min), Some(max), Some(title), Some(advice)) = (min, max, title, advice) else {
            continue;
        };
        let (lo, hi) = (*min.get_ref(), *max.get_ref());
        if lo > hi {
            sink.at(
                min.span(),
                format!("band `min` ({lo}) is greater than its `max` ({hi})"),
            );
            continue;
        }
        let band = Band {
            min: u8::try_from(lo).ok()?,
            max: u8::try_from(hi).ok()?,
            title: title.into_inner(),
            advice: advice.into_inner(),
        };
        bands.push((min, max, band));
    }
    if sink.count() > before {
        // Coverage of half-read bands would only report consequences.
        return None;
    }
    bands.sort_by_key(|(min, _, _)| *min.get_ref());
    let mut next = 0; // the lowest score not yet covered
    for (min, max, _) in &bands {
        let (lo, hi) = (*min.get_ref(), *max.get_ref());
        if lo > next && next == 0 {
            sink.at(
                min.span(),
                format!("bands must start at 0: {} in no band", scores(0, lo - 1)),
            );
        } else if lo > next {
            sink.at(
                min.span(),
                format!("gap between bands: {} in no band", scores(next, lo - 1)),
            );
        } else if lo < next {
            let msg = format!(
                "overlapping bands: {} in more than one band",
                scores(lo, hi.min(next - 1))
            );
            sink.at(min.span(), msg);
        }
        next = next.max(hi + 1);
    }
    if next <= 100 {
        if let Some((_, max, _)) = bands.last() {
            sink.at(
                max.span(),
                format!("bands must end at 100: {} in no band", scores(next, 100)),
            );
        }
    }
    (sink.count() == before).then(|| bands.into_iter().map(|(_, _, b)| b).collect())
}

/// The `[[resources]]`: at least one place to get help.
fn resources(sink: &mut Sink<'_>, f: &Fields<'_, '_>) -> Option<Vec<Resource>> {
    let list = f.tables(sink, "resources")?;
    let before = sink.count();
    let mut out = Vec::new();
    for t in list.get_ref() {
        let r = Fields::new(sink, t.get_ref(), t.span(), "resource", RESOURCE_KEYS);
        let name = r.text(sink, "name", 80);
        let contact = r.text(sink, "contact", 200);
        let description = r.text(sink, "description", 300);
        if let (Some(name), Some(contact), Some(description)) = (name, contact, description) {
            out.push(Resource {
                name: name.into_inner(),
                contact: contact.into_inner(),
                description: description.into_inner(),
            });
        }
    }
    (sink.count() == before).then_some(out)
}
