//! The record format: every kind round-trips under its journal name, old lines without later
//! fields still read, newer formats are refused, and errors never quote a line.

use std::sync::Arc;

use super::*;
use crate::protocol::{Choice, EndReason, Mode};
use crate::session::machine::SessionCreated;
use crate::session::{Retention, SessionOptions};

const QUIZ: &str = r#"
id = "record-test"
title = "Record test"
lang = "fr"
audience = "tests"
description = "Two questions."
minutes = 5
[[questions]]
id = "one"
kind = "single"
text = "Laquelle ?"
options = [{ text = "A" }, { text = "B", correct = true }]
[[questions]]
id = "scale"
kind = "scale"
text = "Combien ?"
min = 1
max = 3
min_label = "peu"
max_label = "beaucoup"
[questions.notes]
tip = "Laisser parler."
[[bands]]
min = 0
max = 100
title = "Bravo"
advice = "Continue."
[[resources]]
name = "3018"
contact = "3018"
description = "Harcèlement."
"#;

fn created() -> SessionCreated {
    let quiz = crate::quiz::parse_quiz("record-test.toml", QUIZ).expect("valid");
    SessionCreated {
        code: "123456".into(),
        quiz: Arc::new(quiz),
        options: SessionOptions {
            mode: Mode::Challenge,
            label: Some("5e A".into()),
            retention: Retention::SchoolYear,
            ..SessionOptions::default()
        },
        host_hash: "hh".into(),
        screen_hash: "sh".into(),
        created_unix_ms: 7,
    }
}

/// One event of every kind.
fn every_kind() -> Vec<Event> {
    vec![
        Event::Created(Box::new(created())),
        Event::PupilJoined {
            pupil: u64::MAX,
            token_hash: "t".into(),
            name: Some("Renard Agile".into()),
            at_ms: 1,
        },
        Event::PupilRemoved { pupil: u64::MAX },
        Event::LobbyLocked { locked: true },
        Event::Started { at_ms: 2 },
        Event::QuestionOpened {
            q: 0,
            round: 2,
            at_ms: 3,
            deadline_ms: Some(4),
        },
        Event::AnswerRecorded {
            pupil: 1,
            q: 0,
            round: 1,
            client_seq: 9,
            choice: Choice::Options(vec![1, 0]),
            at_ms: 5,
        },
        Event::AnswerRecorded {
            pupil: 1,
            q: 0,
            round: 1,
            client_seq: 10,
            choice: Choice::Pass,
            at_ms: 5,
        },
        Event::QuestionClosed { q: 0, at_ms: 6 },
        Event::Revealed { q: 0 },
        Event::Paused { at_ms: 7 },
        Event::Resumed { at_ms: 8 },
        Event::TimeAdded { ms: 30_000 },
        Event::Skipped { q: 1 },
        Event::ResultsShown { q: 0 },
        Event::Finished { at_ms: 9 },
        Event::HelpRequested,
        Event::Ended {
            at_ms: 10,
            reason: None,
        },
        Event::Ended {
            at_ms: 10,
            reason: Some(EndReason::HostAway),
        },
        Event::Ended {
            at_ms: 10,
            reason: Some(EndReason::MaxLife),
        },
        Event::DevicePaired {
            device: 1,
            credential_hash: "c".into(),
            at_ms: 11,
            unix_ms: 12,
        },
        Event::DeviceRevoked {
            device: 1,
            at_ms: 13,
        },
    ]
}

#[test]
fn every_kind_round_trips_under_its_journal_name() {
    for event in every_kind() {
        let line = encode(&event).expect("encodes");
        assert_eq!(decode(&line).as_ref(), Ok(&event), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(v["event"], event.kind(), "{line}");
        assert!(v.get("v").is_none(), "format 1 lines carry no v: {line}");
    }
}

#[test]
fn lines_written_before_later_fields_still_read() {
    let ended = decode(r#"{"event":"ended","at_ms":4}"#);
    assert_eq!(
        ended,
        Ok(Event::Ended {
            at_ms: 4,
            reason: None
        })
    );
    let paired = decode(r#"{"event":"device_paired","device":3,"credential_hash":"h","at_ms":9}"#);
    assert!(matches!(paired, Ok(Event::DevicePaired { unix_ms: 0, .. })));
    let revoked = decode(r#"{"event":"device_revoked","device":3}"#);
    assert_eq!(
        revoked,
        Ok(Event::DeviceRevoked {
            device: 3,
            at_ms: 0
        })
    );
}

#[test]
fn missing_options_take_the_frozen_defaults() {
    let mut v: serde_json::Value =
        serde_json::from_str(&encode(&Event::Created(Box::new(created()))).unwrap()).unwrap();
    v["options"] = serde_json::json!({});
    let Ok(Event::Created(c)) = decode(&v.to_string()) else {
        panic!("created with empty options decodes")
    };
    // What a journal without these fields meant, whatever `SessionOptions::default` becomes.
    let want = SessionOptions {
        mode: Mode::Reflection,
        timers: None,
        close_when_all_answered: false,
        min_count: 3,
        questions: None,
        label: None,
        hide_score: false,
        local_contact: None,
        retention: Retention::ThirtyDays,
    };
    assert_eq!(c.options, want);
}

#[test]
fn a_newer_format_is_refused_and_format_1_may_say_so() {
    let line = r#"{"v":2,"event":"help_requested"}"#;
    assert_eq!(decode(line), Err(LineError::Newer(2)));
    assert_eq!(
        decode(r#"{"v":1,"event":"help_requested"}"#),
        Ok(Event::HelpRequested)
    );
}

#[test]
fn errors_name_the_place_never_the_contents() {
    let secret = "SECRET-ANSWER-7f3a";
    let bad = [
        format!(
            r#"{{"event":"answer_recorded","pupil":1,"q":0,"round":1,"client_seq":1,"choice":{{"options":["{secret}"]}},"at_ms":1}}"#
        ),
        format!(r#"{{"event":"{secret}"}}"#),
        format!(r#"{{"event":"pupil_joined","pupil":"{secret}"}}"#),
        format!(r#"{{"event":"pupil_joined","token_hash":"{secret}"#),
        format!(r#"{{"v":"{secret}","event":"help_requested"}}"#),
    ];
    for line in &bad {
        let err = decode(line).expect_err("refused");
        let text = err.to_string();
        assert!(!text.contains(secret), "{text}");
        let refused = read([r#"{"event":"help_requested"}"#, line.as_str()]).expect_err("refused");
        assert!(!refused.to_string().contains(secret), "{refused}");
    }
    assert!(matches!(
        decode("{\"event\":"),
        Err(LineError::Syntax { .. })
    ));
    assert!(matches!(
        decode(r#"{"event":"nope"}"#),
        Err(LineError::Data { .. })
    ));
}

#[test]
fn read_names_the_line_that_does_not_parse() {
    let first = encode(&Event::Created(Box::new(created()))).unwrap();
    let lines = [first.as_str(), r#"{"event":"help_requested"}"#, "not json"];
    match read(lines) {
        Err(Refused::Line { line: 3, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        read(Vec::<String>::new()).err(),
        Some(Refused::Replay(ReplayError::Empty))
    );
}
