//! What the pages should say, taken from the same sources the pages use: the i18n dictionaries
//! in `web/i18n/` and the browser-test quizzes in `tests/browser/quizzes/`. A test that expects
//! "3 answers" asks the dictionary for `host.run.answers_other` with `n = 3`, so rewording a
//! string never breaks it, while a page that shows something else does.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{anyhow, Context};

use crate::harness::quizzes_dir;

/// The merged `common`, `pupil` and `host` dictionaries of one language.
pub struct Dict {
    lang: String,
    entries: HashMap<String, String>,
}

impl Dict {
    /// Loads `web/i18n/{common,pupil,host}.<lang>.json`.
    pub fn load(lang: &str) -> anyhow::Result<Dict> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web/i18n");
        let mut entries = HashMap::new();
        for family in ["common", "pupil", "host"] {
            let path = dir.join(format!("{family}.{lang}.json"));
            let raw = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let map: HashMap<String, String> = serde_json::from_str(&raw)
                .with_context(|| format!("parsing {}", path.display()))?;
            entries.extend(map);
        }
        Ok(Dict {
            lang: lang.to_owned(),
            entries,
        })
    }

    /// `key` with `{name}` placeholders filled; an error names a missing key.
    pub fn t(&self, key: &str, vars: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut s = self
            .entries
            .get(key)
            .cloned()
            .ok_or_else(|| anyhow!("no i18n key `{key}` in the {} dictionaries", self.lang))?;
        for (name, value) in vars {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        Ok(collapse(&s))
    }

    /// The plural form `key_one`/`key_other` for `n`, as charts.js's `tn` picks it (French
    /// uses the singular for 0 and 1).
    pub fn tn(&self, key: &str, n: u32) -> anyhow::Result<String> {
        let one = if self.lang == "fr" { n < 2 } else { n == 1 };
        let key = format!("{key}_{}", if one { "one" } else { "other" });
        self.t(&key, &[("n", &n.to_string())])
    }
}

/// One question of the browser-test quiz.
#[derive(Debug, Clone)]
pub struct Question {
    /// Its id (`q1`, `q2`).
    pub id: String,
    /// Its text.
    pub text: String,
    /// Its options' texts (`Vrai`/`Faux` or `True`/`False` for a true/false question).
    pub options: Vec<String>,
    /// The index of the right option.
    pub correct: usize,
    /// The explanation shown after the reveal.
    pub explanation: String,
}

/// The browser-test quiz of one language (`tests/browser/quizzes/browser-<lang>.toml`).
#[derive(Debug, Clone)]
pub struct Quiz {
    /// `browser-fr` or `browser-en`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its questions, in order.
    pub questions: Vec<Question>,
    /// Text found only in the facilitator notes: no page but the teacher's private panel and the
    /// remote may ever show it.
    pub note_marker: &'static str,
}

impl Quiz {
    /// Reads the quiz file of `lang`.
    pub fn load(lang: &str) -> anyhow::Result<Quiz> {
        let path = quizzes_dir().join(format!("browser-{lang}.toml"));
        let raw = std::fs::read_to_string(&path)?;
        let v: toml::Value = toml::from_str(&raw).with_context(|| format!("{}", path.display()))?;
        let s = |v: &toml::Value, k: &str| -> String {
            v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned()
        };
        let (yes, no) = if lang == "fr" {
            ("Vrai", "Faux")
        } else {
            ("True", "False")
        };
        let mut questions = Vec::new();
        for q in v
            .get("questions")
            .and_then(|q| q.as_array())
            .into_iter()
            .flatten()
        {
            let (options, correct) = match q.get("options").and_then(|o| o.as_array()) {
                Some(opts) => (
                    opts.iter().map(|o| s(o, "text")).collect(),
                    opts.iter()
                        .position(|o| o.get("correct").and_then(|c| c.as_bool()) == Some(true))
                        .unwrap_or(0),
                ),
                None => {
                    let answer = q.get("answer").and_then(|a| a.as_bool()).unwrap_or(true);
                    (vec![yes.to_owned(), no.to_owned()], usize::from(!answer))
                }
            };
            questions.push(Question {
                id: s(q, "id"),
                text: s(q, "text"),
                options,
                correct,
                explanation: s(q, "explanation"),
            });
        }
        Ok(Quiz {
            id: s(&v, "id"),
            title: s(&v, "title"),
            questions,
            note_marker: "NOTE-",
        })
    }
}

/// The letter of option `i` (A, B, …).
pub fn letter(i: usize) -> char {
    (b'A' + i as u8) as char
}

/// Collapses runs of whitespace (including no-break spaces) to one space and trims.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
