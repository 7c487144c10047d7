//! Typed, position-aware reading of one TOML table: required and optional keys, types, ranges, unknown keys.

use std::ops::{Range, RangeInclusive};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::problem::Sink;

/// A value read from the file, with the span of the value itself.
pub(crate) type At<T> = Spanned<T>;

/// One table of the file being read, with the keys it may contain.
pub(crate) struct Fields<'a, 'i> {
    table: &'a DeTable<'i>,
    /// Where the table starts (its `[header]`, `{`, or the top of the file): missing keys go here.
    span: Range<usize>,
    /// What the table is, in words, for messages ("question", "option"…).
    what: &'static str,
}

impl<'a, 'i> Fields<'a, 'i> {
    /// Reads `table` (found at `span`), reporting at once every key not in `allowed`.
    pub(crate) fn new(
        sink: &mut Sink<'_>,
        table: &'a DeTable<'i>,
        span: Range<usize>,
        what: &'static str,
        allowed: &[&str],
    ) -> Self {
        for key in table.keys() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                let hint = match (closest(name, allowed), common_mistake(name, what)) {
                    (_, Some(h)) => h.to_owned(),
                    (Some(c), None) => format!("did you mean `{c}`?"),
                    (None, None) => format!("expected one of: {}", allowed.join(", ")),
                };
                sink.at(
                    key.span(),
                    format!("unknown key `{name}` in {what}; {hint}"),
                );
            }
        }
        Fields { table, span, what }
    }

    /// Where the table starts.
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The raw value of `key`, if present.
    pub(crate) fn raw(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// The span of the key `key` itself, if present.
    pub(crate) fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.table.get_key_value(key).map(|(k, _)| k.span())
    }

    /// Reports that `key` must be there.
    fn missing(&self, sink: &mut Sink<'_>, key: &str) {
        sink.at(
            self.span.clone(),
            format!("missing `{key}` in {}", self.what),
        );
    }

    /// A required text: present, a string, not blank, at most `max` characters. Trimmed.
    pub(crate) fn text(&self, sink: &mut Sink<'_>, key: &str, max: usize) -> Option<At<String>> {
        let v = self.opt_text(sink, key, max);
        if v.is_none() && self.raw(key).is_none() {
            self.missing(sink, key);
        }
        v
    }

    /// An optional text: a string, not blank, at most `max` characters. Trimmed.
    pub(crate) fn opt_text(
        &self,
        sink: &mut Sink<'_>,
        key: &str,
        max: usize,
    ) -> Option<At<String>> {
        let v = self.raw(key)?;
        let Some(s) = v.get_ref().as_str() else {
            wrong_type(sink, v, key, "a text in quotes");
            return None;
        };
        let s = s.trim();
        let len = s.chars().count();
        if s.is_empty() {
            sink.at(v.span(), format!("`{key}` must not be empty"));
            None
        } else if len > max {
            sink.at(
                v.span(),
                format!("`{key}` is {len} characters long; keep it to {max} or fewer"),
            );
            None
        } else {
            Some(Spanned::new(v.span(), s.to_owned()))
        }
    }

    /// A required whole number within `range`.
    pub(crate) fn int(
        &self,
        sink: &mut Sink<'_>,
        key: &str,
        range: RangeInclusive<i64>,
    ) -> Option<At<i64>> {
        let v = self.opt_int(sink, key, range);
        if v.is_none() && self.raw(key).is_none() {
            self.missing(sink, key);
        }
        v
    }

    /// An optional whole number within `range`.
    pub(crate) fn opt_int(
        &self,
        sink: &mut Sink<'_>,
        key: &str,
        range: RangeInclusive<i64>,
    ) -> Option<At<i64>> {
        let v = self.raw(key)?;
        let Some(i) = v.get_ref().as_integer() else {
            wrong_type(sink, v, key, "a whole number");
            return None;
        };
        match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if range.contains(&n) => Some(Spanned::new(v.span(), n)),
            Ok(n) if n < 0 && *range.start() == 0 => {
                sink.at(v.span(), format!("`{key}` must be 0 or more, not {n}"));
                None
            }
            _ => {
                let (lo, hi) = (range.start(), range.end());
                sink.at(v.span(), format!("`{key}` must be between {lo} and {hi}"));
                None
            }
        }
    }

    /// An optional true/false.
    pub(crate) fn opt_bool(&self, sink: &mut Sink<'_>, key: &str) -> Option<At<bool>> {
        let v = self.raw(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(Spanned::new(v.span(), b)),
            None => {
                wrong_type(sink, v, key, "true or false");
                None
            }
        }
    }

    /// An optional sub-table such as `[questions.notes]`.
    pub(crate) fn opt_table(&self, sink: &mut Sink<'_>, key: &str) -> Option<At<&'a DeTable<'i>>> {
        let v = self.raw(key)?;
        match v.get_ref().as_table() {
            Some(t) => Some(Spanned::new(v.span(), t)),
            None => {
                wrong_type(sink, v, key, "a table");
                None
            }
        }
    }

    /// A required, non-empty list of tables (`[[key]]` sections or `[ { … }, { … } ]`).
    /// Items that are not tables are reported and skipped.
    pub(crate) fn tables(
        &self,
        sink: &mut Sink<'_>,
        key: &str,
    ) -> Option<At<Vec<At<&'a DeTable<'i>>>>> {
        let Some(v) = self.raw(key) else {
            self.missing(sink, key);
            return None;
        };
        let Some(items) = v.get_ref().as_array() else {
            wrong_type(sink, v, key, "a list of tables");
            return None;
        };
        if items.is_empty() {
            sink.at(v.span(), format!("`{key}` must not be empty"));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref().as_table() {
                Some(t) => out.push(Spanned::new(item.span(), t)),
                None => wrong_type(sink, item, key, "a table for each item"),
            }
        }
        Some(Spanned::new(v.span(), out))
    }
}

/// Reports a value of the wrong type.
fn wrong_type(sink: &mut Sink<'_>, v: &Spanned<DeValue<'_>>, key: &str, expected: &str) {
    let found = v.get_ref().type_str();
    sink.at(v.span(), format!("`{key}` must be {expected}, not {found}"));
}

/// The allowed key closest to a misspelt one, if it is close enough to be a typo.
fn closest<'k>(name: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|a| (edit_distance(name, a), *a))
        .filter(|(d, a)| *d <= 2 && *d < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// A hint for keys people often put in the wrong place.
fn common_mistake(name: &str, what: &str) -> Option<&'static str> {
    match (what, name) {
        ("question", "points") => {
            Some("`points` goes on each option: { text = \"…\", points = 2 }")
        }
        ("question", "correct") => Some(
            "mark the right option with `correct = true`, or use `answer` on a true_false question",
        ),
        ("question", "choices") => Some("the list of choices is called `options`"),
        _ => None,
    }
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Whether `id` matches `[a-z0-9-]{1,64}`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A required identifier matching `[a-z0-9-]{1,64}`.
pub(crate) fn id(sink: &mut Sink<'_>, fields: &Fields<'_, '_>) -> Option<At<String>> {
    let v = fields.text(sink, "id", 200)?;
    if is_valid_id(v.get_ref()) {
        Some(v)
    } else {
        sink.at(
            v.span(),
            format!(
                "`id` \"{}\" may only use a-z, 0-9 and '-' (at most 64 characters)",
                v.get_ref()
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let allowed = ["title", "text", "time_limit"];
        assert_eq!(closest("titel", &allowed), Some("title"));
        assert_eq!(closest("txt", &allowed), Some("text"));
        assert_eq!(closest("colour", &allowed), None);
    }

    #[test]
    fn ids() {
        assert!(is_valid_id("reseaux-fr"));
        assert!(is_valid_id("q1"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("Q1"));
        assert!(!is_valid_id("mot de passe"));
        assert!(!is_valid_id("é"));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
