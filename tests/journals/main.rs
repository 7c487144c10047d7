//! Golden journals: lines a released Loupe wrote must replay to the same session in every later
//! version, and today's code must write exactly those lines for the same session.
//!
//! `tests/fixtures/journals/*.jsonl` hold one JSON line per event, as the store keeps them. They
//! are never edited (`tests/fixtures/journals/README.md`): when the format changes, a new golden is
//! added beside them and the old ones keep replaying.

mod digest;
mod script;

use std::path::PathBuf;

use loupe::session::machine::{Event, PupilId, Session};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journals")
}

/// One journal line as the store reads it.
fn decode(line: &str) -> Result<Event, String> {
    serde_json::from_str(line).map_err(|e| e.to_string())
}

/// One event as the store writes it.
fn encode(event: &Event) -> String {
    serde_json::to_string(event).expect("an event encodes")
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
