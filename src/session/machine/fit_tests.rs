//! Each rule of `fits`: a journal breaking it is refused at that event, with that reason, and
//! `apply` given the same event anyway does not panic.

use std::sync::Arc;

use super::*;
use crate::protocol::{Choice, EndReason};
use crate::quiz::parse_quiz;

const QUIZ: &str = r#"
id = "fit-test"
title = "Fit test"
lang = "en"
audience = "tests"
description = "Two questions."
minutes = 5
[[questions]]
id = "single"
kind = "single"
text = "Which?"
time_limit = 20
options = [{ text = "A" }, { text = "B", correct = true }, { text = "C" }]
[[questions]]
id = "multi"
kind = "multiple"
text = "Which ones?"
options = [{ text = "A", correct = true }, { text = "B" }, { text = "C", correct = true }]
[[bands]]
min = 0
max = 100
title = "Any"
advice = "Any."
[[resources]]
name = "Help"
contact = "An adult"
description = "Someone."
"#;

fn created() -> Event {
    let quiz = parse_quiz("fit-test.toml", QUIZ).expect("valid");
    Event::Created(Box::new(SessionCreated {
        code: "123456".into(),
        quiz: Arc::new(quiz),
        options: SessionOptions {
            timers: Some(true),
            ..SessionOptions::default()
        },
        host_hash: "h".into(),
        screen_hash: "s".into(),
        created_unix_ms: 0,
    }))
}

fn joined(pupil: PupilId) -> Event {
    Event::PupilJoined {
        pupil,
        token_hash: format!("t{pupil}"),
        name: None,
        at_ms: 1,
    }
}

fn opened(q: u32, round: u8) -> Event {
    Event::QuestionOpened {
        q,
        round,
        at_ms: 3,
        deadline_ms: Some(20_003),
    }
}

fn answered(pupil: PupilId, q: u32, round: u8, picked: &[u8]) -> Event {
    Event::AnswerRecorded {
        pupil,
        q,
        round,
        client_seq: 1,
        choice: Choice::Options(picked.to_vec()),
        at_ms: 4,
    }
}

/// A journal that fits: created, one pupil, started, question 0 open.
fn open_journal() -> Vec<Event> {
    vec![
        created(),
        joined(1),
        Event::Started { at_ms: 2 },
        opened(0, 1),
    ]
}

fn closed_journal() -> Vec<Event> {
    let mut j = open_journal();
    j.extend([
        answered(1, 0, 1, &[1]),
        Event::QuestionClosed { q: 0, at_ms: 5 },
    ]);
    j
}

/// `journal + [last]` is refused at `last` for `want`; applied anyway, neither `apply` nor the
/// views a restore uses (snapshots, the summary) panic.
fn refused(mut journal: Vec<Event>, last: Event, want: Misfit) {
    let good = Session::replay(&journal).expect("the journal before it fits");
    let seq = journal.len() as u64 + 1;
    let kind = last.kind();
    journal.push(last.clone());
    assert_eq!(
        Session::replay(&journal),
        Err(ReplayError::Misfit {
            seq,
            kind,
            misfit: want
        })
    );
    let mut forced = good;
    forced.apply(&last);
    let _ = forced.summary();
    for viewer in [Viewer::Host, Viewer::Screen, Viewer::Pupil(1)] {
        let _ = forced.snapshot(viewer, 10);
    }
}

#[test]
fn the_journal_must_start_with_created_once() {
    assert_eq!(Session::replay(&[]), Err(ReplayError::Empty));
    assert_eq!(
        Session::replay(&[joined(1)]),
        Err(ReplayError::Misfit {
            seq: 1,
            kind: "pupil_joined",
            misfit: Misfit::NotCreatedFirst
        })
    );
    refused(vec![created()], created(), Misfit::CreatedAgain);
    let Event::Created(mut c) = created() else {
        unreachable!()
    };
    Arc::make_mut(&mut c.quiz).questions.clear();
    assert!(matches!(
        Session::replay(&[Event::Created(c)]),
        Err(ReplayError::Misfit {
            misfit: Misfit::EmptyQuiz,
            ..
        })
    ));
}

#[test]
fn questions_and_options_must_exist() {
    let none = |q| Misfit::NoSuchQuestion { q, questions: 2 };
    refused(open_journal(), answered(1, 7, 1, &[0]), none(7));
    refused(
        open_journal(),
        Event::QuestionClosed { q: 9, at_ms: 5 },
        none(9),
    );
    refused(closed_journal(), opened(2, 1), none(2));
    refused(closed_journal(), Event::Revealed { q: 3 }, none(3));
    refused(
        closed_journal(),
        Event::Skipped { q: u32::MAX },
        none(u32::MAX),
    );
    refused(closed_journal(), Event::ResultsShown { q: 4 }, none(4));
    for picked in [&[3][..], &[1, 1], &[], &[0, 1]] {
        refused(
            open_journal(),
            answered(1, 0, 1, picked),
            Misfit::BadChoice { q: 0 },
        );
    }
}

#[test]
fn answers_need_their_pupil_and_their_open_round() {
    refused(
        open_journal(),
        answered(2, 0, 1, &[0]),
        Misfit::UnknownPupil,
    );
    refused(
        open_journal(),
        answered(1, 0, 2, &[0]),
        Misfit::NotOpen { q: 0, round: 2 },
    );
    refused(
        closed_journal(),
        answered(1, 0, 1, &[0]),
        Misfit::NotOpen { q: 0, round: 1 },
    );
    let mut removed = open_journal();
    removed.push(Event::PupilRemoved { pupil: 1 });
    refused(removed, answered(1, 0, 1, &[0]), Misfit::UnknownPupil);
    refused(open_journal(), joined(1), Misfit::PupilAgain);
    refused(
        open_journal(),
        Event::PupilRemoved { pupil: 5 },
        Misfit::UnknownPupil,
    );
}

#[test]
fn events_come_in_the_order_decide_makes_them() {
    refused(vec![created()], opened(0, 1), Misfit::NotStarted);
    refused(
        open_journal(),
        Event::Started { at_ms: 9 },
        Misfit::AlreadyStarted,
    );
    refused(open_journal(), opened(1, 1), Misfit::StillOpen);
    refused(
        closed_journal(),
        opened(0, 1),
        Misfit::BadRound { q: 0, round: 1 },
    );
    refused(
        closed_journal(),
        opened(0, 3),
        Misfit::BadRound { q: 0, round: 3 },
    );
    refused(
        closed_journal(),
        opened(1, 2),
        Misfit::BadRound { q: 1, round: 2 },
    );
    refused(open_journal(), Event::Revealed { q: 0 }, Misfit::StillOpen);
    refused(
        closed_journal(),
        Event::Revealed { q: 1 },
        Misfit::NotCurrent { q: 1 },
    );
    refused(
        closed_journal(),
        Event::ResultsShown { q: 1 },
        Misfit::NotAsked { q: 1 },
    );
    refused(
        closed_journal(),
        Event::QuestionClosed { q: 0, at_ms: 6 },
        Misfit::NotOpen { q: 0, round: 0 },
    );
    refused(
        open_journal(),
        Event::Finished { at_ms: 9 },
        Misfit::StillOpen,
    );
    refused(
        closed_journal(),
        Event::TimeAdded { ms: 1 },
        Misfit::NothingOpen,
    );
    refused(
        open_journal(),
        Event::Resumed { at_ms: 9 },
        Misfit::PauseOrder,
    );
    let mut paused = open_journal();
    paused.push(Event::Paused { at_ms: 5 });
    refused(paused, Event::Paused { at_ms: 6 }, Misfit::PauseOrder);
    let mut finished = closed_journal();
    finished.push(Event::Finished { at_ms: 9 });
    refused(finished, opened(1, 1), Misfit::QuizOver);
    let mut ended = open_journal();
    ended.push(Event::Ended {
        at_ms: 9,
        reason: Some(EndReason::MaxLife),
    });
    refused(ended, Event::HelpRequested, Misfit::AfterEnd);
}

#[test]
fn devices_are_paired_once_and_revoked_once() {
    let pair = |device, key: &str| Event::DevicePaired {
        device,
        credential_hash: key.into(),
        at_ms: 1,
        unix_ms: 1,
    };
    let mut j = vec![created(), pair(1, "k1")];
    refused(j.clone(), pair(1, "k2"), Misfit::DeviceAgain { device: 1 });
    refused(j.clone(), pair(2, "k1"), Misfit::DeviceAgain { device: 2 });
    refused(j.clone(), pair(2, "h"), Misfit::DeviceAgain { device: 2 });
    refused(j.clone(), pair(0, "k0"), Misfit::DeviceAgain { device: 0 });
    let revoke = |device| Event::DeviceRevoked { device, at_ms: 2 };
    refused(j.clone(), revoke(2), Misfit::UnknownDevice { device: 2 });
    j.push(revoke(1));
    refused(j, revoke(1), Misfit::UnknownDevice { device: 1 });
}
