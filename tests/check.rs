//! `loupe check` behaviour through `loupe::quiz::check_files`: bundled quizzes are clean, each broken fixture reports its one problem at the exact place.

use std::path::{Path, PathBuf};

use loupe::quiz::check_files;

/// Each file in `tests/fixtures/broken/`, the `line:column` of its one problem and a word of the message.
const BROKEN: &[(&str, &str, &str)] = &[
    ("syntax-error", "3:16", "syntax"),
    ("unknown-key", "13:1", "unknown key `colour`"),
    ("missing-field", "18:1", "missing `text`"),
    ("wrong-type", "7:11", "whole number"),
    ("knowledge-without-correct", "13:11", "exactly one"),
    ("two-correct", "13:11", "exactly one"),
    ("correct-and-points", "14:54", "both"),
    ("mixed-scoring", "14:38", "mixes"),
    ("duplicate-question-id", "25:6", "duplicate question id"),
    ("reversed-scale", "29:7", "greater than `min`"),
    ("scale-too-long", "29:7", "at most 11"),
    ("scale-with-points", "32:1", "never scored"),
    ("negative-points", "15:33", "0 or more"),
    ("one-option", "13:11", "2 to 8 options"),
    ("nine-options", "13:11", "2 to 8 options"),
    ("band-gap", "40:7", "gap"),
    ("band-overlap", "40:7", "overlapping"),
    ("band-not-from-zero", "34:7", "start at 0"),
    ("band-not-to-100", "41:7", "end at 100"),
    ("band-min-over-max", "40:7", "greater than its `max`"),
    ("empty-text", "15:12", "empty"),
    ("bad-id", "2:6", "a-z"),
    ("text-too-long", "27:8", "300"),
    ("bad-lang", "4:8", "\"fr\" or \"en\""),
    ("no-questions", "8:13", "must not be empty"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(dir: &str, name: &str) -> PathBuf {
    root()
        .join("tests/fixtures")
        .join(dir)
        .join(format!("{name}.toml"))
}

#[test]
fn bundled_quizzes_are_clean() {
    let paths: Vec<PathBuf> = loupe::quiz::bundled()
        .iter()
        .map(|(name, _)| root().join(name))
        .collect();
    assert!(paths.len() >= 2);
    let problems = check_files(&paths);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn each_broken_file_reports_its_problem_where_it_is() {
    let mut failures = Vec::new();
    for (name, at, word) in BROKEN {
        let path = fixture("broken", name);
        let problems = check_files(std::slice::from_ref(&path));
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let expected = format!("{}:{at}: ", path.display());
        let ok = shown.len() == 1 && shown[0].starts_with(&expected) && shown[0].contains(word);
        if !ok {
            failures.push(format!(
                "{name}: expected one problem at {at} mentioning {word:?}, got {shown:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_broken_fixture_has_an_expectation() {
    let dir = root().join("tests/fixtures/broken");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            BROKEN.iter().any(|(n, _, _)| *n == stem),
            "no expectation for {stem}"
        );
    }
}

#[test]
fn all_problems_of_all_files_are_reported_together() {
    let paths: Vec<PathBuf> = BROKEN
        .iter()
        .map(|(n, _, _)| fixture("broken", n))
        .collect();
    assert_eq!(check_files(&paths).len(), BROKEN.len());
}

#[test]
fn quiz_ids_must_be_unique_across_files() {
    let first = fixture("duplicate", "first");
    let second = fixture("duplicate", "second");
    assert!(check_files(std::slice::from_ref(&first)).is_empty());
    let problems = check_files(&[first.clone(), second.clone()]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert_eq!(
        (p.file.as_str(), p.line, p.column),
        (second.display().to_string().as_str(), 2, 6)
    );
    assert!(p.message.contains("already used by"), "{}", p.message);
    assert!(
        p.message.contains(&first.display().to_string()),
        "{}",
        p.message
    );
}

#[test]
fn unreadable_files_are_problems_not_panics() {
    let missing = root().join("tests/fixtures/does-not-exist.toml");
    let problems = check_files(&[missing]);
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].column), (1, 1));
    assert!(problems[0].message.contains("cannot read"));
}

#[test]
fn the_documented_example_is_valid() {
    let doc = std::fs::read_to_string(root().join("docs/QUIZ-FORMAT.md")).unwrap();
    let start = doc
        .find("```toml\n")
        .expect("an example in the format reference")
        + 8;
    let len = doc[start..].find("```").unwrap();
    let quiz = loupe::quiz::parse_quiz("QUIZ-FORMAT.md", &doc[start..start + len]).unwrap();
    let kinds: Vec<_> = quiz.questions.iter().map(|q| q.scoring()).collect();
    use loupe::quiz::model::Scoring::*;
    assert_eq!(
        kinds,
        [
            SelfAssessment,
            SelfAssessment,
            Knowledge,
            Knowledge,
            Opinion
        ]
    );
}
