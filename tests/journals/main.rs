//! Golden journals: lines a released Loupe wrote must replay to the same session in every later
//! version, and today's code must write exactly those lines for the same session.
//!
//! `tests/fixtures/journals/*.jsonl` hold one JSON line per event, as the store keeps them. They
//! are never edited (`tests/fixtures/journals/README.md`): when the format changes, a new golden is
//! added beside them and the old ones keep replaying.

mod corrupt;
mod digest;
mod script;

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;

use loupe::session::machine::record::{self, Refused};
use loupe::session::machine::{Event, Misfit, PupilId, ReplayError, Session};

/// The goldens, by name.
const GOLDENS: [&str; 7] = [
    "lesson",
    "challenge",
    "open",
    "max-life",
    "4d70a06-lesson",
    "4d70a06-challenge",
    "4d70a06-open",
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journals")
}

/// One journal line as the store reads it.
fn decode(line: &str) -> Result<Event, String> {
    record::decode(line).map_err(|e| e.to_string())
}

/// One event as the store writes it.
fn encode(event: &Event) -> String {
    record::encode(event).expect("an event encodes")
}

/// The lines of golden `name`.
fn golden(name: &str) -> Vec<String> {
    let path = golden_dir().join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines().map(str::to_owned).collect()
}

/// The session a golden rebuilds, and its pupils in the order they joined.
fn replay(name: &str) -> (Session, Vec<PupilId>) {
    let events: Vec<Event> = golden(name)
        .iter()
        .enumerate()
        .map(|(i, l)| decode(l).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1)))
        .collect();
    let pupils = events
        .iter()
        .filter_map(|e| match e {
            Event::PupilJoined { pupil, .. } => Some(*pupil),
            _ => None,
        })
        .collect();
    let session = Session::replay(&events).expect("a golden starts with created");
    (session, pupils)
}

/// Replays golden `name` and compares what it rebuilt with `want`. The facts (stage, pupils,
/// devices, tallies, scores) are forever; the `summary` lines follow the disclosure rules of the
/// day, which a deliberate change of those rules may change.
fn check(name: &str, want: &[&str]) {
    let (session, pupils) = replay(name);
    let got = digest::digest(&session, &pupils);
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    if got != want {
        panic!(
            "golden {name} no longer replays to its known state.\n got:\n{}\nwant:\n{}",
            got.join("\n"),
            want.join("\n")
        );
    }
}

#[test]
fn the_lesson_golden_replays_to_its_known_state() {
    check(
        "lesson",
        &[
            "seq 60, stage Finished, paused false, locked false, ended true, help 1, last 78000 ms",
            "pupils 5 active: 11, 12, 13, 14, 15",
            "devices: 1 active, 2 revoked",
            "single: revealed r1 closed tally [0, 4, 0] passed 1 answered 5; r2 closed tally [0, 3, 1] passed 0 answered 4",
            "multi: revealed r1 closed tally [4, 1, 3, 1] passed 0 answered 5",
            "tf: skipped r1 closed tally [0, 1] passed 0 answered 1",
            "scale: r1 closed tally [3, 0, 0, 1] passed 1 answered 5",
            "self: revealed r1 closed tally [2, 2, 1] passed 0 answered 4",
            "scores: 11 Some(100), 12 Some(33), 13 Some(67), 14 None, 15 None",
            "summary: pupils 5, scored 3, scored questions 3, counted 3, mean Some(65.0), median Some(66.0), histogram [0-9:0 10-19:0 20-29:0 30-100:3]",
            "summary single: correct [1], answered 5, passed Some(1), counts Some([Some(0), Some(4), Some(0)]), second vote 4 Some(0) Some([Some(0), Some(3), Some(1)])",
            "summary multi: correct [0, 2], answered 5, passed Some(0), counts Some([Some(4), Some(1), Some(3), Some(1)])",
            "summary tf: correct [1], answered 1, passed None, counts None, skipped",
            "summary scale: correct [], answered 5, passed None, counts None",
            "summary self: correct [], answered 4, passed Some(0), counts Some([Some(2), Some(2), Some(1)])",
            "podium: ",
        ],
    );
}

#[test]
fn the_challenge_golden_replays_to_its_known_state() {
    check(
        "challenge",
        &[
            "seq 35, stage Finished, paused false, locked false, ended true, help 0, last 1915500 ms",
            "pupils 5 active: 21 \"Licorne Magnétique\", 22 \"Cygne Pacifique\", 23 \"Castor Perspicace\", 24 \"Papillon Rapide\", 25 \"Cascade Énergique\", 26 \"Bambou Volontaire\" removed",
            "devices: ",
            "c1: revealed r1 closed tally [4, 1] passed 0 answered 5",
            "c2: revealed r1 closed tally [4, 1] passed 0 answered 5",
            "c3: revealed r1 closed tally [1, 3, 1] passed 0 answered 5",
            "scores: 21 Some(100), 22 Some(67), 23 Some(67), 24 Some(67), 25 Some(67), 26 None",
            "summary: pupils 5, scored 5, scored questions 3, counted 3, mean Some(80.0), median Some(81.0), histogram [0-9:0 10-19:0 20-29:0 30-39:0 40-49:0 50-59:0 60-100:5]",
            "summary c1: correct [0], answered 5, passed Some(0), counts Some([Some(4), Some(1)])",
            "summary c2: correct [0], answered 5, passed Some(0), counts Some([Some(4), Some(1)])",
            "summary c3: correct [1], answered 5, passed Some(0), counts Some([Some(1), Some(3), Some(1)])",
            "podium: 1 Licorne Magnétique 300, 2 Cygne Pacifique 200, 2 Castor Perspicace 200",
        ],
    );
}

#[test]
fn the_open_golden_replays_to_its_known_state() {
    check(
        "open",
        &[
            "seq 9, stage Open, paused false, locked false, ended false, help 1, last 3100 ms",
            "pupils 3 active: 31, 32, 33",
            "devices: ",
            "single: r1 open tally [0, 1, 0] passed 1 answered 2",
            "multi: ",
            "tf: ",
            "scale: ",
            "self: ",
            "scores: 31 None, 32 None, 33 None",
            "summary: pupils 3, scored 0, scored questions 1, counted 0, mean None, median None, histogram []",
            "summary single: correct [1], answered 2, passed None, counts None",
            "podium: ",
        ],
    );
}

#[test]
fn the_max_life_golden_replays_to_its_known_state() {
    check(
        "max-life",
        &[
            "seq 3, stage Lobby, paused false, locked false, ended true, help 0, last 43200000 ms",
            "pupils 1 active: 41",
            "devices: ",
            "single: ",
            "multi: ",
            "tf: ",
            "scale: ",
            "self: ",
            "scores: 41 None",
            "summary: pupils 1, scored 0, scored questions 0, counted 0, mean None, median None, histogram []",
            "podium: ",
        ],
    );
}

/// Journals the Loupe of commit 4d70a06 wrote (before paired devices, end reasons and the
/// floor of 3 on `min_count`), from `tests/fixtures/journals/4d70a06-script.rs` run there: today's
/// code reads them, and holds the lesson's `min_count` 2 to 3.
#[test]
fn the_4d70a06_lesson_replays_to_its_known_state() {
    check(
        "4d70a06-lesson",
        &[
            "seq 57, stage Finished, paused false, locked false, ended true, help 1, last 78000 ms",
            "pupils 5 active: 11, 12, 13, 14, 15",
            "devices: ",
            "single: revealed r1 closed tally [0, 4, 0] passed 1 answered 5; r2 closed tally [0, 3, 1] passed 0 answered 4",
            "multi: revealed r1 closed tally [4, 1, 3, 1] passed 0 answered 5",
            "tf: skipped r1 closed tally [0, 1] passed 0 answered 1",
            "scale: r1 closed tally [3, 0, 0, 1] passed 1 answered 5",
            "self: revealed r1 closed tally [2, 2, 1] passed 0 answered 4",
            "scores: 11 Some(100), 12 Some(33), 13 Some(67), 14 None, 15 None",
            "summary: pupils 5, scored 3, scored questions 3, counted 3, mean Some(65.0), median Some(66.0), histogram [0-9:0 10-19:0 20-29:0 30-100:3]",
            "summary single: correct [1], answered 5, passed Some(1), counts Some([Some(0), Some(4), Some(0)]), second vote 4 Some(0) Some([Some(0), Some(3), Some(1)])",
            "summary multi: correct [0, 2], answered 5, passed Some(0), counts Some([Some(4), Some(1), Some(3), Some(1)])",
            "summary tf: correct [1], answered 1, passed None, counts None, skipped",
            "summary scale: correct [], answered 5, passed None, counts None",
            "summary self: correct [], answered 4, passed Some(0), counts Some([Some(2), Some(2), Some(1)])",
            "podium: ",
        ],
    );
}

#[test]
fn the_4d70a06_challenge_replays_to_its_known_state() {
    check(
        "4d70a06-challenge",
        &[
            "seq 35, stage Finished, paused false, locked false, ended true, help 0, last 1915500 ms",
            "pupils 5 active: 21 \"Licorne Magnétique\", 22 \"Cygne Pacifique\", 23 \"Castor Perspicace\", 24 \"Papillon Rapide\", 25 \"Cascade Énergique\", 26 \"Bambou Volontaire\" removed",
            "devices: ",
            "c1: revealed r1 closed tally [4, 1] passed 0 answered 5",
            "c2: revealed r1 closed tally [4, 1] passed 0 answered 5",
            "c3: revealed r1 closed tally [1, 3, 1] passed 0 answered 5",
            "scores: 21 Some(100), 22 Some(67), 23 Some(67), 24 Some(67), 25 Some(67), 26 None",
            "summary: pupils 5, scored 5, scored questions 3, counted 3, mean Some(80.0), median Some(81.0), histogram [0-9:0 10-19:0 20-29:0 30-39:0 40-49:0 50-59:0 60-100:5]",
            "summary c1: correct [0], answered 5, passed Some(0), counts Some([Some(4), Some(1)])",
            "summary c2: correct [0], answered 5, passed Some(0), counts Some([Some(4), Some(1)])",
            "summary c3: correct [1], answered 5, passed Some(0), counts Some([Some(1), Some(3), Some(1)])",
            "podium: 1 Licorne Magnétique 300, 2 Cygne Pacifique 200, 2 Castor Perspicace 200",
        ],
    );
}

#[test]
fn the_4d70a06_open_replays_to_its_known_state() {
    check(
        "4d70a06-open",
        &[
            "seq 9, stage Open, paused false, locked false, ended false, help 1, last 3100 ms",
            "pupils 3 active: 31, 32, 33",
            "devices: ",
            "single: r1 open tally [0, 1, 0] passed 1 answered 2",
            "multi: ",
            "tf: ",
            "scale: ",
            "self: ",
            "scores: 31 None, 32 None, 33 None",
            "summary: pupils 3, scored 0, scored questions 1, counted 0, mean None, median None, histogram []",
            "summary single: correct [1], answered 2, passed None, counts None",
            "podium: ",
        ],
    );
}

/// Today's code, given the same session, writes exactly the golden lines. A failure means the
/// format (or what the machine decides) changed: add a new golden, never edit one.
#[test]
fn todays_code_writes_exactly_the_golden_lines() {
    let mut missing = Vec::new();
    for script in script::all() {
        let path = golden_dir().join(format!("{}.jsonl", script.name));
        let first = match std::fs::read_to_string(&path) {
            Ok(text) => decode(text.lines().next().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}:1: {e}", script.name)),
            Err(_) => Event::Created(Box::new(script.created.clone())),
        };
        let Event::Created(created) = &first else {
            panic!("{} does not start with created", script.name)
        };
        let mut session = Session::new(created);
        let mut lines = vec![encode(&first)];
        for (i, (now, command)) in script.steps.iter().enumerate() {
            let events = session.decide(*now, command).unwrap_or_else(|r| {
                panic!("{} step {i} ({command:?}) refused: {r:?}", script.name)
            });
            for event in events {
                session.apply(&event);
                lines.push(encode(&event));
            }
        }
        if !path.exists() {
            // A new golden: written once here, committed, and never rewritten.
            std::fs::create_dir_all(golden_dir()).expect("fixtures folder");
            std::fs::write(&path, lines.join("\n") + "\n").expect("write the new golden");
            missing.push(script.name);
            continue;
        }
        let want = golden(script.name);
        for (n, (got, want)) in lines.iter().zip(&want).enumerate() {
            assert_eq!(
                got,
                want,
                "{}:{}: today's code writes another line",
                script.name,
                n + 1
            );
        }
        assert_eq!(lines.len(), want.len(), "{}: number of lines", script.name);
    }
    assert!(
        missing.is_empty(),
        "new goldens written (commit them): {missing:?}"
    );
}

/// The goldens' lines, read once.
fn goldens() -> &'static [Vec<String>] {
    static LINES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| GOLDENS.iter().map(|n| golden(n)).collect())
}

/// Golden `name` with line `line` (1 for the first) changed by `edit`.
fn edited(name: &str, line: usize, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<String> {
    let mut lines = golden(name);
    let mut v: serde_json::Value = serde_json::from_str(&lines[line - 1]).expect("JSON");
    edit(&mut v);
    lines[line - 1] = v.to_string();
    lines
}

/// A journal that does not fit its quiz is refused at the event that does not, with the rule it
/// breaks: the restore logs this and purges the journal.
#[test]
fn a_journal_that_does_not_fit_its_quiz_is_refused_at_that_event() {
    let misfit =
        |seq, kind, misfit| Err(Refused::Replay(ReplayError::Misfit { seq, kind, misfit }));
    // Line 13 of the lesson: pupil 11's answer to question 0 (of 5), option 1 (of 3).
    let no_question = edited("lesson", 13, |v| v["q"] = 9.into());
    assert_eq!(
        record::read(&no_question).map(|_| ()),
        misfit(
            13,
            "answer_recorded",
            Misfit::NoSuchQuestion { q: 9, questions: 5 }
        )
    );
    let no_option = edited("lesson", 13, |v| v["choice"]["options"][0] = 3.into());
    assert_eq!(
        record::read(&no_option).map(|_| ()),
        misfit(13, "answer_recorded", Misfit::BadChoice { q: 0 })
    );
    let mut out_of_order = golden("lesson");
    out_of_order.swap(11, 12); // the answer before its question opened
    assert_eq!(
        record::read(&out_of_order).map(|_| ()),
        misfit(12, "answer_recorded", Misfit::NotOpen { q: 0, round: 1 })
    );
    let mut cut = golden("challenge");
    cut[20].truncate(30);
    assert!(matches!(
        record::read(&cut),
        Err(Refused::Line { line: 21, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    /// Random corruptions of a golden (lines dropped, duplicated, swapped, cut; values changed,
    /// removed, retyped) are refused or replayed, never a panic; and what replays serves every
    /// view and takes every command.
    #[test]
    fn corrupted_goldens_never_panic(
        which in 0..GOLDENS.len(),
        data in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let bad = corrupt::corrupt(&goldens()[which], &data);
        corrupt::read_back(&bad);
    }
}

/// The corruptions reach both outcomes (so the property above tests something): most are
/// refused, some still fit and replay.
#[test]
fn corruptions_are_mostly_refused_and_sometimes_replayed() {
    let mut state = 0x5eed_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as u8
    };
    let (mut accepted, mut refused) = (0, 0);
    for i in 0..2_000 {
        let data: Vec<u8> = (0..24).map(|_| next()).collect();
        let bad = corrupt::corrupt(&goldens()[i % GOLDENS.len()], &data);
        match corrupt::read_back(&bad) {
            true => accepted += 1,
            false => refused += 1,
        }
    }
    eprintln!("corruptions: {refused} refused, {accepted} replayed");
    assert!(
        refused > 1_000 && accepted > 20,
        "{refused} refused, {accepted} replayed"
    );
}
