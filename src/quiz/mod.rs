//! Quizzes: the validated model, loading and checking TOML quiz files, and the library the server serves.
//!
//! A quiz is one TOML file in one language (format: `docs/QUIZ-FORMAT.md`). Files are read with
//! positions kept, so every problem is reported as `file:line:column: message`, and all problems
//! of a file are reported at once. The bundled quizzes are compiled into the binary; a teacher or
//! workshop leader can add their own from a directory.
//!
//! Quiz ids are unique across everything loaded. A file in the extra directory that reuses the id
//! of a bundled quiz is an error (not a silent override): two different quizzes under one name
//! would make a report or a later session ambiguous. Copy a bundled quiz under a new id instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod load;
pub mod model;
mod problem;
mod question;
mod reader;
pub mod words;

#[cfg(test)]
mod tests;

pub use problem::{Problem, QuizError};

/// The quizzes shipped inside the binary: `(file name, TOML text)`, in a fixed order.
///
/// The file names are the paths in the source tree, so a problem in a bundled quiz points at the
/// file to fix.
pub fn bundled() -> &'static [(&'static str, &'static str)] {
    &[
        (
            "quizzes/reseaux-fr.toml",
            include_str!("../../quizzes/reseaux-fr.toml"),
        ),
        (
            "quizzes/reseaux-en.toml",
            include_str!("../../quizzes/reseaux-en.toml"),
        ),
        (
            "quizzes/cyberharcelement-fr.toml",
            include_str!("../../quizzes/cyberharcelement-fr.toml"),
        ),
        (
            "quizzes/cyberbullying-en.toml",
            include_str!("../../quizzes/cyberbullying-en.toml"),
        ),
        (
            "quizzes/reputation-fr.toml",
            include_str!("../../quizzes/reputation-fr.toml"),
        ),
        (
            "quizzes/reputation-en.toml",
            include_str!("../../quizzes/reputation-en.toml"),
        ),
        (
            "quizzes/loi-fr.toml",
            include_str!("../../quizzes/loi-fr.toml"),
        ),
        (
            "quizzes/law-en.toml",
            include_str!("../../quizzes/law-en.toml"),
        ),
    ]
}

/// The loaded, validated quizzes, by id.
#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Sorted by language code, then title, then id: the order of [`Library::list`].
    quizzes: Vec<Arc<model::Quiz>>,
    /// Index into `quizzes`.
    by_id: HashMap<String, usize>,
}

impl Library {
    /// Builds a library from `(file name, TOML text)` sources, checking every file and that no
    /// two quizzes share an id. The file names are only used in problem reports.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Library, QuizError> {
        let (mut quizzes, problems) = parse_all(sources);
        if !problems.is_empty() {
            return Err(QuizError { problems });
        }
        quizzes.sort_by(|a, b| {
            (a.lang.code(), &a.title, &a.id).cmp(&(b.lang.code(), &b.title, &b.id))
        });
        let by_id = quizzes
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.clone(), i))
            .collect();
        Ok(Library { quizzes, by_id })
    }

    /// The quiz with this id.
    pub fn get(&self, id: &str) -> Option<Arc<model::Quiz>> {
        self.by_id.get(id).map(|&i| Arc::clone(&self.quizzes[i]))
    }

    /// Every quiz, sorted by language, then title.
    pub fn list(&self) -> Vec<Arc<model::Quiz>> {
        self.quizzes.clone()
    }

    /// How many quizzes are loaded.
    pub fn len(&self) -> usize {
        self.quizzes.len()
    }

    /// Whether no quiz is loaded.
    pub fn is_empty(&self) -> bool {
        self.quizzes.is_empty()
    }
}

/// Loads the bundled quizzes plus every `*.toml` file directly inside `extra_dir` (not in
/// sub-directories), in file-name order.
///
/// Any problem in any file fails the whole load, with every problem listed: a server that starts
/// with a quiz silently missing is worse than one that says which line to fix.
pub fn load_library(extra_dir: Option<&Path>) -> Result<Library, QuizError> {
    let mut extra = Vec::new();
    let mut problems = Vec::new();
    if let Some(dir) = extra_dir {
        match toml_files(dir) {
            Ok(paths) => {
                for path in paths {
                    match read(&path) {
                        Ok(text) => extra.push((path.display().to_string(), text)),
                        Err(p) => problems.push(p),
                    }
                }
            }
            Err(e) => problems.push(io_problem(dir, "cannot read the quiz directory", &e)),
        }
    }
    let mut sources: Vec<(&str, &str)> = bundled().to_vec();
    sources.extend(extra.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    match Library::from_sources(&sources) {
        Ok(library) if problems.is_empty() => {
            tracing::info!(
                quizzes = library.len(),
                extra = extra.len(),
                "quiz library loaded"
            );
            Ok(library)
        }
        Ok(_) => Err(QuizError { problems }),
        Err(e) => {
            problems.extend(e.problems);
            Err(QuizError { problems })
        }
    }
}

/// Checks quiz files for `loupe check FILE…`: every problem in every file, and quiz ids shared
/// between the given files. An empty list means every file is good.
///
/// Only the given files are compared with each other, so checking the bundled files themselves
/// works; the server additionally refuses an extra file whose id is already bundled.
pub fn check_files(paths: &[PathBuf]) -> Vec<Problem> {
    let mut texts = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match read(path) {
            Ok(text) => texts.push((path.display().to_string(), text)),
            Err(p) => problems.push(p),
        }
    }
    let sources: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    problems.extend(parse_all(&sources).1);
    problems
}

/// Parses and validates one quiz file's text. `file_name` is only used in problem reports.
pub fn parse_quiz(file_name: &str, text: &str) -> Result<model::Quiz, Vec<Problem>> {
    load::parse(file_name, text).map(|l| l.quiz)
}

/// Parses every source, then checks that quiz ids are unique across them.
fn parse_all(sources: &[(&str, &str)]) -> (Vec<Arc<model::Quiz>>, Vec<Problem>) {
    let mut quizzes = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (file, text) in sources {
        match load::parse(file, text) {
            Ok(loaded) => {
                let (line, column) = loaded.id_at;
                let here = format!("{file}:{line}:{column}");
                if let Some(first) = seen.get(&loaded.quiz.id) {
                    problems.push(Problem {
                        file: (*file).to_owned(),
                        line,
                        column,
                        message: format!(
                            "quiz id \"{}\" is already used by {first}; give this quiz its own id",
                            loaded.quiz.id
                        ),
                    });
                } else {
                    seen.insert(loaded.quiz.id.clone(), here);
                    quizzes.push(Arc::new(loaded.quiz));
                }
            }
            Err(p) => problems.extend(p),
        }
    }
    (quizzes, problems)
}

/// The `*.toml` files directly inside `dir`, sorted by name.
fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Reads a file as UTF-8 text, or the problem saying why not.
fn read(path: &Path) -> Result<String, Problem> {
    std::fs::read_to_string(path).map_err(|e| io_problem(path, "cannot read the file", &e))
}

/// A problem about a whole file or directory, placed at 1:1.
fn io_problem(path: &Path, what: &str, e: &std::io::Error) -> Problem {
    Problem {
        file: path.display().to_string(),
        line: 1,
        column: 1,
        message: format!("{what}: {e}"),
    }
}
