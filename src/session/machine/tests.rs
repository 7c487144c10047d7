//! Unit and property tests of the machine: any command sequence, replay, tallies, scores, privacy.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::protocol::{Answer, Choice, Mode, ServerMsg, Stage};
use crate::quiz::parse_quiz;

const QUIZ: &str = r#"
id = "machine-test"
title = "Machine test"
lang = "en"
audience = "tests"
description = "Every kind of question."
minutes = 10
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
weight = 2
options = [{ text = "A", correct = true }, { text = "B" }, { text = "C", correct = true }]
[[questions]]
id = "scale"
kind = "scale"
text = "How much?"
sensitive = true
min = 1
max = 4
min_label = "low"
max_label = "high"
[[questions]]
id = "self"
kind = "multiple"
text = "What do you do?"
options = [{ text = "X", points = 2 }, { text = "Y", points = 1 }, { text = "Z", points = 0 }]
[[bands]]
min = 0
max = 49
title = "Start"
advice = "Try one thing."
[[bands]]
min = 50
max = 100
title = "Good"
advice = "Keep going."
[[resources]]
name = "Help"
contact = "A trusted adult"
description = "Someone to talk to."
"#;

fn created(mode: Mode, close_all: bool) -> SessionCreated {
    let quiz = parse_quiz("machine-test.toml", QUIZ).expect("test quiz is valid");
    let options = SessionOptions {
        mode,
        timers: Some(true),
        close_when_all_answered: close_all,
        ..SessionOptions::default()
    };
    SessionCreated {
        code: "123456".into(),
        quiz: Arc::new(quiz),
        options,
        host_hash: "h".into(),
        screen_hash: "s".into(),
        created_unix_ms: 0,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Join(u64),
    Answer {
        who: usize,
        q: usize,
        round: u8,
        seq: u64,
        choice: Vec<u8>,
        pass: bool,
    },
    Host(u8),
    Wait(u64),
    Help,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<u64>().prop_map(Op::Join),
        12 => (0..8usize, 0..5usize, 0..3u8, 0..6u64, proptest::collection::vec(0..5u8, 0..4), any::<bool>())
            .prop_map(|(who, q, round, seq, choice, pass)| Op::Answer { who, q, round, seq, choice, pass }),
        4 => (0..40u8).prop_map(Op::Host),
        1 => (0..30_000u64).prop_map(Op::Wait),
        1 => Just(Op::Help),
    ]
}

fn host_command(i: u8, s: &Session) -> HostCommand {
    let pupils: Vec<PupilId> = s.pupils.keys().copied().collect();
    match i {
        0 => HostCommand::Start,
        1..=3 | 16..=39 if !i.is_multiple_of(3) => HostCommand::Next,
        16..=39 => HostCommand::Reveal,
        4 => HostCommand::Close,
        5 => HostCommand::Reveal,
        6 => HostCommand::Pause,
        7 => HostCommand::Resume,
        8 => HostCommand::AddTime,
        9 => HostCommand::Skip,
        10 => HostCommand::ShowResults {
            question: "single".into(),
        },
        11 => HostCommand::Revote,
        12 => HostCommand::Finish,
        13 => HostCommand::Lock,
        14 => HostCommand::Unlock,
        _ => HostCommand::Remove {
            player: pupils.first().map(|p| format!("{p:x}")).unwrap_or_default(),
        },
    }
}

/// Checks the invariants that must hold after every step.
fn check_invariants(s: &Session) {
    for (q, run) in s.runs.iter().enumerate() {
        let kind = s.quiz.questions[q].kind;
        for r in &run.rounds {
            // The tally is exactly what the recorded answers say: each pupil counted once.
            let mut tally = vec![0u32; r.tally.len()];
            let mut passed = 0;
            for a in r.answers.values() {
                match &a.choice {
                    Choice::Pass => passed += 1,
                    Choice::Options(o) => o.iter().for_each(|&i| tally[usize::from(i)] += 1),
                }
            }
            assert_eq!(tally, r.tally);
            assert_eq!(passed, r.passed);
            if !kind.is_multiple() {
                assert_eq!(r.tally.iter().sum::<u32>() + r.passed, r.answered());
            }
        }
    }
    for id in s.pupils.keys() {
        if let Some(score) = s.score(*id) {
            assert!(score <= 100);
        }
    }
}

/// No per-option count while open; acknowledgements only to the pupil who answered.
fn check_effects(s: &Session, event: &Event, effects: &[Effect]) {
    for effect in effects {
        let Effect::Send(to, msg) = effect else {
            continue;
        };
        if s.stage() == Stage::Open {
            assert!(
                !matches!(
                    msg,
                    ServerMsg::Results { .. } | ServerMsg::Reveal { .. } | ServerMsg::Summary(_)
                ),
                "distribution sent while a question is open: {msg:?}"
            );
        }
        if let ServerMsg::Ack { .. } = msg {
            let Event::AnswerRecorded { pupil, .. } = event else {
                panic!("ack without an answer")
            };
            assert_eq!(
                *to,
                Audience::Pupil(*pupil),
                "an answer went to someone else"
            );
        }
        if let ServerMsg::Result(_) = msg {
            assert!(
                matches!(to, Audience::Pupil(_)),
                "a private result went to a group"
            );
        }
    }
    if s.stage() == Stage::Open {
        for viewer in [Viewer::Host, Viewer::Screen] {
            for msg in s.snapshot(viewer, s.last_ms) {
                assert!(!matches!(
                    msg,
                    ServerMsg::Results { .. } | ServerMsg::Reveal { .. }
                ));
            }
        }
    }
}

fn run_ops(ops: &[Op], mode: Mode, close_all: bool) -> (Session, Vec<Event>) {
    let first = created(mode, close_all);
    let mut s = Session::new(&first);
    let mut journal = vec![Event::Created(Box::new(first))];
    let mut now = 0u64;
    let mut joined: Vec<PupilId> = Vec::new();
    for op in ops {
        now += 10;
        let cmd = match op {
            Op::Join(seed) => Command::Join {
                pupil: *seed,
                token_hash: format!("t{seed}"),
                name_seed: *seed,
                max_players: 6,
            },
            Op::Answer {
                who,
                q,
                round,
                seq,
                choice,
                pass,
            } => {
                let Some(&pupil) = joined.get(*who % joined.len().max(1)) else {
                    continue;
                };
                // Mostly aim at the open question with a well-formed choice; sometimes not.
                let open = s.open_round().map(|(oq, or, _)| (oq as usize, or));
                let (q, round) = match (open, *q, *round) {
                    (Some(o), 0..=3, 0) | (Some(o), 0..=2, _) => o,
                    _ => (*q % 4, round.max(&1).to_owned()),
                };
                let n = s.quiz.questions[q].options.len() as u8;
                let mut picked: Vec<u8> = if choice.len() == 3 {
                    choice.clone()
                } else {
                    choice.iter().map(|i| i % n).collect()
                };
                if !s.quiz.questions[q].kind.is_multiple() && choice.len() != 3 {
                    picked.truncate(1);
                }
                picked.dedup();
                Command::Answer {
                    pupil,
                    answer: Answer {
                        question: s.quiz.questions[q].id.clone(),
                        round,
                        client_seq: *seq,
                        choice: if *pass {
                            Choice::Pass
                        } else {
                            Choice::Options(picked)
                        },
                    },
                    at_ms: now,
                }
            }
            Op::Host(i) => Command::Host(host_command(*i, &s)),
            Op::Wait(ms) => {
                now += ms;
                Command::Tick
            }
            Op::Help => Command::HelpRequest,
        };
        if let Ok(events) = s.decide(now, &cmd) {
            for event in events {
                s.apply(&event);
                if let Event::PupilJoined { pupil, .. } = &event {
                    joined.push(*pupil);
                }
                let effects = s.effects(&event);
                check_effects(&s, &event, &effects);
                journal.push(event);
                check_invariants(&s);
            }
        }
        for viewer in [Viewer::Host, Viewer::Screen] {
            s.snapshot(viewer, now);
        }
    }
    (s, journal)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any command sequence: no panic, invariants hold, and replaying the journal rebuilds the state.
    #[test]
    fn any_sequence_keeps_invariants_and_replays(
        ops in proptest::collection::vec(op(), 0..120),
        challenge in any::<bool>(),
        close_all in any::<bool>(),
    ) {
        let mode = if challenge { Mode::Challenge } else { Mode::Reflection };
        let (s, journal) = run_ops(&ops, mode, close_all);
        let rebuilt = Session::replay(&journal).expect("journal starts with Created");
        prop_assert_eq!(&rebuilt, &s);
        prop_assert_eq!(rebuilt.seq, journal.len() as u64);
        // Every event survives a round trip through its journal record (what the store keeps).
        for event in &journal {
            let back = record::decode(&record::encode(event).unwrap()).unwrap();
            prop_assert_eq!(&back, event);
        }
        let summary = s.summary();
        prop_assert!(summary.histogram.iter().map(|b| b.pupils).sum::<u32>() <= summary.pupils);
    }
}

fn join(s: &mut Session, id: PupilId) {
    let cmd = Command::Join {
        pupil: id,
        token_hash: format!("t{id}"),
        name_seed: id,
        max_players: 100,
    };
    for e in s.decide(0, &cmd).unwrap() {
        s.apply(&e);
    }
}

fn step(s: &mut Session, now: Millis, cmd: Command) -> Result<Vec<Effect>, Reject> {
    let events = s.decide(now, &cmd)?;
    let mut effects = Vec::new();
    for e in &events {
        s.apply(e);
        effects.extend(s.effects(e));
    }
    Ok(effects)
}

fn answer(pupil: PupilId, q: &str, seq: u64, choice: Choice) -> Command {
    Command::Answer {
        pupil,
        answer: Answer {
            question: q.into(),
            round: 1,
            client_seq: seq,
            choice,
        },
        at_ms: 5,
    }
}

#[test]
fn resends_count_once_and_highest_seq_wins() {
    let mut s = Session::new(&created(Mode::Reflection, false));
    join(&mut s, 1);
    step(&mut s, 1, Command::Host(HostCommand::Next)).unwrap();
    step(&mut s, 2, Command::Host(HostCommand::Next)).unwrap();
    step(&mut s, 3, answer(1, "single", 5, Choice::Options(vec![0]))).unwrap();
    // An equal `client_seq` is acknowledged again, with what was recorded.
    let again = Err(Reject::Duplicate(Box::new(ServerMsg::Ack {
        question: "single".into(),
        round: 1,
        client_seq: 5,
        choice: Choice::Options(vec![0]),
    })));
    assert_eq!(
        s.decide(4, &answer(1, "single", 5, Choice::Options(vec![0]))),
        again
    );
    assert_eq!(
        s.decide(4, &answer(1, "single", 5, Choice::Options(vec![2]))),
        again
    );
    assert_eq!(
        s.decide(4, &answer(1, "single", 4, Choice::Options(vec![2]))),
        Err(Reject::Stale)
    );
    step(&mut s, 5, answer(1, "single", 6, Choice::Options(vec![1]))).unwrap();
    let (_, _, r) = s.open_round().unwrap();
    assert_eq!(r.tally, vec![0, 1, 0]);
    assert_eq!(r.answered(), 1);
}

#[test]
fn answers_after_deadline_and_grace_are_refused_and_tick_closes() {
    let mut s = Session::new(&created(Mode::Reflection, false));
    join(&mut s, 1);
    step(&mut s, 0, Command::Host(HostCommand::Start)).unwrap();
    step(&mut s, 1_000, Command::Host(HostCommand::Next)).unwrap();
    assert_eq!(s.next_deadline(), Some(21_000 + GRACE_MS));
    let late = Command::Answer {
        pupil: 1,
        answer: Answer {
            question: "single".into(),
            round: 1,
            client_seq: 1,
            choice: Choice::Pass,
        },
        at_ms: 21_000 + GRACE_MS + 1,
    };
    assert!(matches!(
        s.decide(23_001, &late),
        Err(Reject::Refused {
            code: crate::protocol::ErrorCode::TooLate,
            ..
        })
    ));
    assert_eq!(s.decide(22_999, &Command::Tick), Err(Reject::Nothing));
    step(&mut s, 23_000, Command::Tick).unwrap();
    assert_eq!(s.stage(), Stage::Closed);
}

#[test]
fn pause_freezes_the_timer() {
    let mut s = Session::new(&created(Mode::Reflection, false));
    step(&mut s, 0, Command::Host(HostCommand::Start)).unwrap();
    step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
    step(&mut s, 5_000, Command::Host(HostCommand::Pause)).unwrap();
    assert_eq!(s.next_deadline(), None);
    step(&mut s, 60_000, Command::Host(HostCommand::AddTime)).unwrap();
    step(&mut s, 100_000, Command::Host(HostCommand::Resume)).unwrap();
    assert_eq!(
        s.next_deadline(),
        Some(100_000 + 15_000 + ADD_TIME_MS + GRACE_MS)
    );
}

#[test]
fn distributions_hide_small_counts() {
    let mut s = Session::new(&created(Mode::Reflection, false));
    for id in 1..=9 {
        join(&mut s, id);
    }
    step(&mut s, 0, Command::Host(HostCommand::Start)).unwrap();
    for _ in 0..3 {
        step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
        step(&mut s, 0, Command::Host(HostCommand::Close)).unwrap();
    }
    // Question 3 ("scale") is sensitive: re-run it with answers via a revote.
    step(&mut s, 0, Command::Host(HostCommand::Revote)).unwrap();
    let votes = [0, 0, 0, 0, 0, 1, 1, 1, 2];
    for (id, v) in (1..).zip(votes) {
        let cmd = Command::Answer {
            pupil: id,
            answer: Answer {
                question: "scale".into(),
                round: 2,
                client_seq: 1,
                choice: Choice::Options(vec![v]),
            },
            at_ms: 1,
        };
        step(&mut s, 1, cmd).unwrap();
    }
    // [5, 3, 1, 0]: 1 and 0 are below N = 3, and hide with the smallest large count.
    let d = s.distribution(2, 2).unwrap();
    assert_eq!(d.counts, Some(vec![Some(5), None, None, None]));
    assert_eq!(d.passed, Some(0));
    let first = s.distribution(2, 1).unwrap();
    assert_eq!(
        (first.answered, first.passed, first.counts),
        (0, None, None),
        "no answers: only their number"
    );
}

#[test]
fn scores_follow_the_documented_rules() {
    let mut s = Session::new(&created(Mode::Reflection, false));
    join(&mut s, 1);
    step(&mut s, 0, Command::Host(HostCommand::Start)).unwrap();
    let plan: [(&str, Choice); 4] = [
        ("single", Choice::Options(vec![1])),   // 1 of 1
        ("multi", Choice::Options(vec![0, 1])), // 2 × (1 − 1) ÷ 2 = 0 of 2
        ("scale", Choice::Options(vec![2])),    // unscored
        ("self", Choice::Options(vec![0, 2])),  // 2 of 3
    ];
    for (q, choice) in plan {
        step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
        step(&mut s, 0, answer(1, q, 1, choice)).unwrap();
        step(&mut s, 0, Command::Host(HostCommand::Reveal)).unwrap();
    }
    let effects = step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
    assert_eq!(s.stage(), Stage::Finished);
    // (1 + 0 + 2) ÷ (1 + 2 + 3) = 50
    assert_eq!(s.score(1), Some(50));
    let result = effects.iter().find_map(|e| match e {
        Effect::Send(Audience::Pupil(1), ServerMsg::Result(r)) => Some(r.clone()),
        _ => None,
    });
    let result = result.expect("the pupil gets a private result");
    assert_eq!((result.scored_questions, result.present_questions), (3, 3));
    assert_eq!(result.band_title.as_deref(), Some("Good"));
}

#[test]
fn late_joiner_is_scored_on_what_they_saw() {
    let mut s = Session::new(&created(Mode::Reflection, false));
    step(&mut s, 0, Command::Host(HostCommand::Start)).unwrap();
    step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
    step(&mut s, 0, Command::Host(HostCommand::Close)).unwrap();
    join(&mut s, 9);
    step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
    step(
        &mut s,
        0,
        answer(9, "multi", 1, Choice::Options(vec![0, 2])),
    )
    .unwrap();
    step(&mut s, 0, Command::Host(HostCommand::Finish)).unwrap();
    // Present for one scored question, answered one: no score on so few answers.
    let r = s.private_result(9, None);
    assert_eq!(
        (
            r.score,
            r.scored_questions,
            r.present_questions,
            r.min_questions
        ),
        (None, 1, 1, 3)
    );
    assert_eq!(r.band_title, None);
}

/// A pupil who answered fewer than three scored questions gets no score, no points and no rank,
/// and is not on the podium; the others are ranked without them.
#[test]
fn too_few_answers_give_no_score_points_or_rank() {
    let mut s = Session::new(&created(Mode::Challenge, false));
    for id in 1..=4 {
        join(&mut s, id);
    }
    step(&mut s, 0, Command::Host(HostCommand::Start)).unwrap();
    // Pupil 4 answers the first question only (and right); the others every one.
    let plan: [(&str, Vec<u8>); 4] = [
        ("single", vec![1]),
        ("multi", vec![0, 2]),
        ("scale", vec![0]),
        ("self", vec![0]),
    ];
    for (q, (id, choice)) in plan.iter().enumerate() {
        step(&mut s, 0, Command::Host(HostCommand::Next)).unwrap();
        for pupil in 1..=4u64 {
            if pupil == 4 && q > 0 {
                continue;
            }
            let right = pupil != 3 || q != 0;
            let pick = if right { choice.clone() } else { vec![0] };
            step(&mut s, 0, answer(pupil, id, 1, Choice::Options(pick))).unwrap();
        }
        step(&mut s, 0, Command::Host(HostCommand::Reveal)).unwrap();
    }
    step(&mut s, 0, Command::Host(HostCommand::Finish)).unwrap();
    let table = s.challenge_table().unwrap();
    assert!(table.iter().all(|(_, id)| *id != 4), "{table:?}");
    let early = s.private_result(4, Some(&table));
    assert_eq!((early.score, early.points, early.rank), (None, None, None));
    assert_eq!(early.scored_questions, 1);
    let full = s.private_result(1, Some(&table));
    // (1 + 2 + 2) ÷ (1 + 2 + 3) = 83, and the most points (pupil 3 missed the first question).
    assert_eq!((full.score, full.rank), (Some(83), Some(1)));
    assert!(s.podium().iter().all(|e| e.points > 0 && e.rank <= 3));
    assert_eq!(s.podium().len(), 3);
}
