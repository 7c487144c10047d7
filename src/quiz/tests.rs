//! Unit tests of quiz loading: the bundled quizzes, expansion of generated options, and validation rules.

use super::model::{Lang, QuestionKind, Scoring};
use super::*;

/// A small valid quiz; tests replace one line of it to break one rule.
const GOOD: &str = r#"id = "demo"
title = "Demo"
lang = "en"
audience = "Ages 11–15"
description = "A demo."
minutes = 10

[[questions]]
id = "q1"
kind = "single"
text = "Pick one"
options = [ { text = "A", points = 2 }, { text = "B", points = 0 } ]

[[questions]]
id = "q2"
kind = "true_false"
text = "Is it true?"
answer = true

[[questions]]
id = "q3"
kind = "scale"
text = "How much?"
min = 1
max = 5
min_label = "Little"
max_label = "Lots"

[[bands]]
min = 0
max = 49
title = "Start"
advice = "Try this."

[[bands]]
min = 50
max = 100
title = "Good"
advice = "Keep going."

[[resources]]
name = "Help"
contact = "0800"
description = "Someone to talk to."
"#;

/// Problems of `GOOD` with `from` replaced by `to`, as `line:column: message` strings.
fn problems_with(from: &str, to: &str) -> Vec<String> {
    assert!(GOOD.contains(from), "test fixture lacks {from:?}");
    let text = GOOD.replacen(from, to, 1);
    match parse_quiz("t.toml", &text) {
        Ok(_) => Vec::new(),
        Err(ps) => ps
            .iter()
            .map(|p| format!("{}:{}: {}", p.line, p.column, p.message))
            .collect(),
    }
}

/// Asserts exactly one problem, at `at` ("line:column"), whose message contains `word`.
fn one_problem(from: &str, to: &str, at: &str, word: &str) {
    let ps = problems_with(from, to);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert!(ps[0].starts_with(&format!("{at}: ")), "{ps:#?}");
    assert!(ps[0].contains(word), "{ps:#?}");
}

#[test]
fn the_demo_is_valid_and_expanded() {
    let quiz = parse_quiz("t.toml", GOOD).unwrap();
    assert_eq!(quiz.lang, Lang::En);
    let tf = &quiz.questions[1];
    assert_eq!(tf.kind, QuestionKind::TrueFalse);
    let texts: Vec<_> = tf
        .options
        .iter()
        .map(|o| (o.text.as_str(), o.correct))
        .collect();
    assert_eq!(texts, [("True", true), ("False", false)]);
    assert_eq!(tf.scoring(), Scoring::Knowledge);
    assert_eq!(tf.weight, 1);
    let scale = &quiz.questions[2];
    assert_eq!(scale.options.len(), 5);
    assert_eq!(scale.options[0].text, "1");
    assert_eq!(scale.scoring(), Scoring::Opinion);
    assert_eq!(scale.scale.as_ref().unwrap().max_label, "Lots");
    assert_eq!(quiz.questions[0].scoring(), Scoring::SelfAssessment);
    assert_eq!(quiz.band_for(50).unwrap().title, "Good");
}

#[test]
fn french_true_false_and_opinion() {
    let text = GOOD
        .replace("lang = \"en\"", "lang = \"fr\"")
        .replace("answer = true\n", "");
    let quiz = parse_quiz("t.toml", &text).unwrap();
    let tf = &quiz.questions[1];
    assert_eq!(tf.options[0].text, "Vrai");
    assert_eq!(tf.options[1].text, "Faux");
    assert_eq!(tf.scoring(), Scoring::Opinion);
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = GOOD
        .replace("title = \"Demo\"", "title = \"  \"")
        .replace("kind = \"scale\"", "kind = \"slider\"")
        .replace("max = 49", "max = 44")
        .replace("minutes = 10", "minutes = 10\ncolour = \"red\"");
    let ps = parse_quiz("t.toml", &text).unwrap_err();
    let at: Vec<_> = ps.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(at, [(2, 9), (7, 1), (23, 8), (37, 7)], "{ps:#?}");
    assert!(ps.iter().all(|p| p.file == "t.toml"));
}

#[test]
fn rules_point_at_the_offending_key_or_value() {
    one_problem("minutes = 10", "minutes = \"10\"", "6:11", "whole number");
    one_problem(
        "minutes = 10",
        "minutes = 10\nminute = 1",
        "7:1",
        "did you mean `minutes`",
    );
    one_problem("lang = \"en\"", "lang = \"de\"", "3:8", "\"fr\" or \"en\"");
    one_problem("id = \"demo\"", "id = \"Demo Quiz\"", "1:6", "a-z");
    one_problem(
        "audience = \"Ages 11–15\"\n",
        "",
        "1:1",
        "missing `audience`",
    );
    one_problem(
        "id = \"q2\"",
        "id = \"q1\"",
        "15:6",
        "duplicate question id",
    );
    one_problem(
        "{ text = \"B\", points = 0 }",
        "{ text = \"B\", points = -1 }",
        "12:64",
        "0 or more",
    );
    one_problem(
        "{ text = \"B\", points = 0 }",
        "{ text = \"B\" }",
        "12:41",
        "add `points = 0`",
    );
    one_problem(
        "{ text = \"B\", points = 0 }",
        "{ text = \"B\", correct = true }",
        "12:27",
        "mixes",
    );
    one_problem(
        "{ text = \"A\", points = 2 }",
        "{ text = \"A\", points = 2, correct = true }",
        "12:27",
        "both",
    );
    one_problem(
        ", { text = \"B\", points = 0 }",
        "",
        "12:11",
        "2 to 8 options",
    );
    one_problem("text = \"Pick one\"", "text = \"\"", "11:8", "empty");
    one_problem(
        "text = \"Pick one\"",
        &format!("text = \"{}\"", "x".repeat(301)),
        "11:8",
        "300",
    );
    one_problem("max = 5", "max = 1", "25:7", "greater than `min`");
    one_problem("max = 5", "max = 12", "25:7", "at most 11 values");
    one_problem(
        "answer = true",
        "answer = true\nweight = 0",
        "19:10",
        "between 1 and 100",
    );
    one_problem(
        "kind = \"scale\"",
        "kind = \"scale\"\nanswer = 3",
        "23:1",
        "only for true_false",
    );
    one_problem(
        "[[questions]]\nid = \"q3\"",
        "[[questions]]\nid = \"q3\"\noptions = []",
        "22:1",
        "generated",
    );
    one_problem("min = 50", "min = 40", "36:7", "overlapping");
    one_problem("min = 0\n", "min = 5\n", "30:7", "start at 0");
    one_problem("max = 100", "max = 99", "37:7", "end at 100");
    one_problem(
        "min = 50\nmax = 100",
        "min = 50\nmax = 10",
        "36:7",
        "greater than its `max`",
    );
    one_problem("advice = \"Try this.\"", "advice = \" \"", "33:10", "empty");
    one_problem("title = \"Demo\"", "title = \"Demo", "2:14", "syntax");
    one_problem(
        "answer = true",
        "answer = true\npoints = 1",
        "19:1",
        "on each option",
    );
}

#[test]
fn knowledge_questions_need_their_right_answer() {
    let single = "options = [ { text = \"A\", points = 2 }, { text = \"B\", points = 0 } ]";
    one_problem(
        single,
        "options = [ { text = \"A\", correct = false }, { text = \"B\", correct = false } ]",
        "12:11",
        "exactly one",
    );
    one_problem(
        single,
        "options = [ { text = \"A\", correct = true }, { text = \"B\", correct = true } ]",
        "12:11",
        "exactly one",
    );
    let multiple = GOOD.replacen("kind = \"single\"", "kind = \"multiple\"", 1);
    let text = multiple.replace(
        single,
        "options = [ { text = \"A\", correct = true }, { text = \"B\", correct = true } ]",
    );
    assert!(parse_quiz("t.toml", &text).is_ok());
    let none = multiple.replace(
        single,
        "options = [ { text = \"A\" }, { text = \"B\" } ]\nweight = 2",
    );
    let ps = parse_quiz("t.toml", &none).unwrap_err();
    assert_eq!((ps[0].line, ps[0].column), (13, 1), "{ps:#?}");
    assert!(ps[0].message.contains("`weight` only applies"));
}

/// The bundled themes: each French quiz and its English adaptation, which share question ids so a
/// teacher can switch language and results can be compared.
const THEMES: [(&str, &str); 4] = [
    ("reseaux-fr", "reseaux-en"),
    ("cyberharcelement-fr", "cyberbullying-en"),
    ("reputation-fr", "reputation-en"),
    ("loi-fr", "law-en"),
];

#[test]
fn bundled_quizzes_are_valid_and_complete() {
    let library = load_library(None).unwrap();
    assert_eq!(library.len(), bundled().len());
    assert_eq!(library.len(), 2 * THEMES.len(), "every quiz is in a theme");
    let ids: Vec<_> = library.list().iter().map(|q| q.id.clone()).collect();
    assert_eq!(
        ids,
        [
            "reseaux-en",
            "cyberbullying-en",
            "reputation-en",
            "law-en",
            "cyberharcelement-fr",
            "reputation-fr",
            "reseaux-fr",
            "loi-fr",
        ],
        "sorted by lang then title"
    );
    for quiz in library.list() {
        check_lesson(&quiz);
    }
    for (fr, en) in THEMES {
        check_adaptation(&library.get(fr).unwrap(), &library.get(en).unwrap());
    }
    assert!(library.get("nope").is_none());
}

/// A bundled quiz is a ready lesson: 12–20 questions with a core of 8–10, mixed kinds, short
/// questions, complete notes, feedback on every scored question, a reachable 0 and 100, bands
/// over 0..=100, a content warning and help resources.
fn check_lesson(quiz: &model::Quiz) {
    let id = &quiz.id;
    let n = quiz.questions.len();
    assert!((12..=20).contains(&n), "{id}: {n} questions");
    let core = quiz.questions.iter().filter(|q| q.core).count();
    assert!((8..=10).contains(&core), "{id}: {core} core questions");
    assert_eq!(quiz.minutes, 55, "{id}: a 55-minute lesson");
    let count = |s: Scoring| quiz.questions.iter().filter(|q| q.scoring() == s).count();
    assert!(count(Scoring::Knowledge) >= 2, "{id}: knowledge");
    assert!(count(Scoring::SelfAssessment) >= 1, "{id}: self-assessment");
    assert!((1..=3).contains(&count(Scoring::Opinion)), "{id}: opinion");
    let scales = quiz
        .questions
        .iter()
        .filter(|q| q.kind == QuestionKind::Scale);
    assert!(scales.count() >= 1, "{id}: an opinion scale");
    for q in &quiz.questions {
        let at = format!("{id}/{}", q.id);
        let words = q.text.split_whitespace().count();
        assert!(words <= 25, "{at}: {words} words");
        let n = &q.notes;
        let notes = [&n.prompt, &n.key_fact, &n.source, &n.tip];
        assert!(notes.iter().all(|s| s.is_some()), "{at}: notes");
        if q.min_age.is_some() {
            assert!(
                q.sensitive,
                "{at}: a question with a minimum age is sensitive"
            );
        }
        match q.scoring() {
            Scoring::Opinion => continue,
            Scoring::Knowledge => {
                assert!(q.options.iter().any(|o| !o.correct), "{at}: 0 reachable");
            }
            Scoring::SelfAssessment => {
                assert!(q.options.iter().any(|o| o.points == Some(0)), "{at}: 0");
            }
        }
        assert!(q.explanation.is_some(), "{at}: explanation");
        assert!(q.advice.is_some(), "{at}: advice");
    }
    for score in 0..=100u8 {
        let bands = quiz
            .bands
            .iter()
            .filter(|b| b.min <= score && score <= b.max);
        assert_eq!(bands.count(), 1, "{id}: score {score} in exactly one band");
    }
    assert!(quiz.resources.len() >= 4, "{id}: resources");
    assert!(quiz.content_warning.is_some(), "{id}: content warning");
}

/// A French quiz and its English adaptation ask the same questions in the same order: same ids,
/// kinds, marks and scoring (texts differ), and each ends with help resources of its language.
fn check_adaptation(fr: &model::Quiz, en: &model::Quiz) {
    assert_eq!(
        (fr.lang, en.lang),
        (Lang::Fr, Lang::En),
        "{}/{}",
        fr.id,
        en.id
    );
    let ids = |q: &model::Quiz| q.questions.iter().map(|q| q.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(fr),
        ids(en),
        "{} and {} share question ids",
        fr.id,
        en.id
    );
    for (f, e) in fr.questions.iter().zip(&en.questions) {
        let shape = |q: &model::Question| {
            let options: Vec<_> = q.options.iter().map(|o| (o.correct, o.points)).collect();
            let marks = (
                q.kind,
                q.core,
                q.sensitive,
                q.min_age,
                q.scoring(),
                q.weight,
            );
            (marks, options)
        };
        assert_eq!(shape(f), shape(e), "{}/{} and {}", fr.id, f.id, en.id);
    }
    for name in ["3018", "119", "17 ou 112", "114", "Un adulte de confiance"] {
        let found = fr.resources.iter().any(|r| r.name.starts_with(name));
        assert!(found, "{}: resource {name}", fr.id);
    }
    for name in [
        "A trusted adult",
        "Your school",
        "Report it in the app",
        "Childline",
    ] {
        let found = en.resources.iter().any(|r| r.name.starts_with(name));
        assert!(found, "{}: resource {name}", en.id);
    }
}

#[test]
fn duplicate_quiz_ids_across_sources() {
    let err = Library::from_sources(&[("a.toml", GOOD), ("b.toml", GOOD)]).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(
        err.to_string(),
        "b.toml:1:6: quiz id \"demo\" is already used by a.toml:1:6; give this quiz its own id"
    );
}

#[test]
fn extra_directory_is_loaded_and_checked() {
    let dir = std::env::temp_dir().join(format!("loupe-quiz-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("demo.toml"), GOOD).unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let library = load_library(Some(&dir)).unwrap();
    assert_eq!(library.len(), bundled().len() + 1);
    assert!(library.get("demo").is_some());

    let bundled_copy = GOOD.replace("id = \"demo\"", "id = \"reseaux-fr\"");
    std::fs::write(dir.join("copy.toml"), bundled_copy).unwrap();
    let err = load_library(Some(&dir)).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(
        err.problems[0].message.contains("quizzes/reseaux-fr.toml"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = load_library(Some(&dir)).unwrap_err();
    assert!(missing.problems[0]
        .message
        .contains("cannot read the quiz directory"));
}
