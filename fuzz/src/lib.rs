//! Fuzz targets for Loupe: what a hostile client can send, and the session machine under any
//! command sequence. Each target panics on a broken invariant, which AFL++ records as a crash.
//!
//! - [`decode`]: any bytes as a WebSocket text frame: decoding never panics, and a message that
//!   decodes re-encodes to JSON that decodes to the same message;
//! - [`machine`]: bytes read as a sequence of commands (joins, answers with any question, round,
//!   `client_seq` and options, every host command, ticks, help requests, time passing) against a
//!   small quiz with a timed question; after every step, tallies equal the recorded answers, scores
//!   are at most 100, `decide` changes nothing and is deterministic, no distribution leaves while a
//!   question is open, an acknowledgement goes only to its pupil; at the end, replaying the journal
//!   rebuilds the same state and every event survives a JSON round trip;
//! - [`quiz`]: any bytes as a quiz file: parsing and validation never panic;
//! - [`journal`]: a golden journal (`tests/fixtures/journals/`) corrupted as the bytes say (lines
//!   dropped, duplicated, swapped, cut; values changed, removed, retyped), or the bytes themselves
//!   as journal lines: reading it back is a refusal or a session, never a panic, and a session
//!   read back serves every view and takes every command.

use std::sync::Arc;

use loupe::protocol::{Answer, Choice, ClientMsg, Mode, ServerMsg, Stage};
use loupe::quiz::model::Quiz;
use loupe::session::machine::{
    record, Audience, Command, Effect, Event, HostCommand, PupilId, Session, SessionCreated, Viewer,
};
use loupe::session::SessionOptions;

/// Decodes `data` as a client message the way the connection does; round-trips what decodes.
pub fn decode(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // The WebSocket layer refuses non-UTF-8 text frames; bytes still must not panic serde.
        let _ = serde_json::from_slice::<ClientMsg>(data);
        return;
    };
    // The connection's fallback: is it JSON with a known `type`?
    let _ = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::len));
    let Ok(msg) = serde_json::from_str::<ClientMsg>(text) else {
        return;
    };
    let _ = (msg.name(), msg.is_host_command());
    let again = serde_json::to_string(&msg).expect("a decoded message encodes");
    let back: ClientMsg = serde_json::from_str(&again).expect("an encoded message decodes");
    assert_eq!(back, msg, "round trip changed the message: {again}");
}

#[path = "../../tests/journals/corrupt.rs"]
mod corrupt;

/// The golden journals the [`journal`] target corrupts.
const GOLDENS: [&str; 7] = [
    include_str!("../../tests/fixtures/journals/lesson.jsonl"),
    include_str!("../../tests/fixtures/journals/challenge.jsonl"),
    include_str!("../../tests/fixtures/journals/open.jsonl"),
    include_str!("../../tests/fixtures/journals/max-life.jsonl"),
    include_str!("../../tests/fixtures/journals/4d70a06-lesson.jsonl"),
    include_str!("../../tests/fixtures/journals/4d70a06-challenge.jsonl"),
    include_str!("../../tests/fixtures/journals/4d70a06-open.jsonl"),
];

/// Reads back a corrupted golden journal (first byte: which one, or 7 modulo 8 for `data` itself
/// as the lines); a refusal or a session, never a panic.
pub fn journal(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let lines: Vec<String> = match GOLDENS.get(usize::from(which) % 8) {
        Some(golden) => {
            let lines: Vec<String> = golden.lines().map(str::to_owned).collect();
            corrupt::corrupt(&lines, rest)
        }
        None => String::from_utf8_lossy(rest)
            .lines()
            .map(str::to_owned)
            .collect(),
    };
    corrupt::read_back(&lines);
}

/// Parses `data` as a quiz file (TOML) and validates it; only problems, never a panic.
pub fn quiz(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(quiz) = loupe::quiz::parse_quiz("fuzz.toml", text) {
            assert!(!quiz.questions.is_empty(), "a valid quiz has questions");
        }
    }
}

/// The quiz the machine target plays: every kind, a timed question, a sensitive one, a
/// self-assessment one.
const QUIZ: &str = r#"
id = "fuzz"
title = "Fuzz"
lang = "en"
audience = "fuzzing"
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
options = [{ text = "A", correct = true }, { text = "B" }, { text = "C", correct = true }, { text = "D" }]
[[questions]]
id = "tf"
kind = "true_false"
text = "True?"
answer = false
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

fn fuzz_quiz() -> Arc<Quiz> {
    thread_local! {
        static QUIZ_ONCE: Arc<Quiz> = Arc::new(
            loupe::quiz::parse_quiz("fuzz.toml", QUIZ).expect("the fuzz quiz is valid"),
        );
    }
    QUIZ_ONCE.with(Arc::clone)
}

/// Reads the fuzz input a byte at a time; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Runs the command sequence in `data` against a fresh session and checks every invariant.
pub fn machine(data: &[u8]) {
    machine_journal(data);
}

/// [`machine`], returning the journal (for the seeds' own checks).
pub fn machine_journal(data: &[u8]) -> Vec<Event> {
    let mut input = Input(data);
    let flags = input.byte();
    let options = SessionOptions {
        mode: if flags & 1 == 1 {
            Mode::Challenge
        } else {
            Mode::Reflection
        },
        timers: Some(flags & 2 == 2),
        close_when_all_answered: flags & 4 == 4,
        min_count: u32::from(flags >> 4) % 5 + 1,
        hide_score: flags & 8 == 8,
        ..SessionOptions::default()
    };
    let created = SessionCreated {
        code: "123456".into(),
        quiz: fuzz_quiz(),
        options,
        host_hash: "h".into(),
        screen_hash: "s".into(),
        created_unix_ms: 0,
    };
    let mut s = Session::new(&created);
    let mut journal = vec![Event::Created(Box::new(created))];
    let mut joined: Vec<PupilId> = Vec::new();
    let mut now: u64 = 0;
    let questions: Vec<String> = s.quiz.questions.iter().map(|q| q.id.clone()).collect();
    let mut steps = 0;
    while !input.is_empty() && steps < 400 {
        steps += 1;
        let Some(cmd) = command(&mut input, &s, &joined, &questions, &mut now) else {
            continue;
        };
        let before = s.clone();
        let decision = s.decide(now, &cmd);
        assert_eq!(s, before, "decide changed the state");
        assert_eq!(s.decide(now, &cmd), decision, "decide is not deterministic");
        let Ok(events) = decision else {
            continue;
        };
        for event in events {
            s.apply(&event);
            if let Event::PupilJoined { pupil, .. } = &event {
                joined.push(*pupil);
            }
            check_effects(&s, &event);
            journal.push(event);
            check_state(&s, &joined);
        }
    }
    for viewer in [Viewer::Host, Viewer::Screen] {
        check_snapshot(&s, viewer, now);
    }
    let table = s.challenge_table();
    for &p in &joined {
        check_snapshot(&s, Viewer::Pupil(p), now);
        let result = s.private_result(p, table.as_deref());
        assert!(result.score.is_none_or(|x| x <= 100));
    }
    let summary = s.summary();
    assert!(summary.histogram.iter().map(|b| b.pupils).sum::<u32>() <= summary.pupils);
    assert!(summary.podium.len() <= 3, "podium longer than three");
    let rebuilt = Session::replay(&journal).expect("the journal starts with Created");
    assert_eq!(rebuilt, s, "replay differs from the live state");
    assert_eq!(rebuilt.seq, journal.len() as u64);
    for event in &journal {
        let text = record::encode(event).expect("an event encodes");
        let back = record::decode(&text).expect("an event decodes");
        assert_eq!(&back, event, "event round trip: {text}");
    }
    journal
}

/// The next command from the input, or `None` for a pure wait.
fn command(
    input: &mut Input<'_>,
    s: &Session,
    joined: &[PupilId],
    questions: &[String],
    now: &mut u64,
) -> Option<Command> {
    *now += 10;
    let op = input.byte();
    Some(match op % 8 {
        0 => {
            let id = u64::from(input.byte() % 48);
            Command::Join {
                pupil: id,
                token_hash: format!("t{}", input.byte() % 48),
                name_seed: u64::from(input.u16()),
                max_players: u32::from(input.byte() % 12) + 1,
            }
        }
        1..=3 => {
            let who = input.byte();
            let pupil = match joined.len() {
                0 => u64::from(who),
                n if who < 240 => joined[usize::from(who) % n],
                _ => u64::from(who),
            };
            let q = input.byte();
            let aim = s.open_round().filter(|_| q < 200);
            let (question, round) = match aim {
                Some((oq, or, _)) if !q.is_multiple_of(4) => (questions[oq as usize].clone(), or),
                _ => {
                    let id = match usize::from(q) % (questions.len() + 1) {
                        i if i < questions.len() => questions[i].clone(),
                        _ => "nope".to_owned(),
                    };
                    (id, input.byte() % 4)
                }
            };
            let client_seq = u64::from(input.byte() % 8);
            let spec = input.byte();
            let choice = if spec & 0x80 == 0x80 {
                Choice::Pass
            } else {
                let n = usize::from(spec % 5);
                Choice::Options((0..n).map(|_| input.byte() % 6).collect())
            };
            let late = u64::from(input.byte() % 4) * 5;
            Command::Answer { pupil, answer: Answer { question, round, client_seq, choice }, at_ms: now.saturating_sub(late) }
        }
        4 => Command::Host(host_command(input, joined, questions)),
        5 => Command::HelpRequest,
        6 => {
            *now += u64::from(input.u16()) * 10;
            Command::Tick
        }
        _ => {
            *now += u64::from(input.byte()) * 100;
            return None;
        }
    })
}

fn host_command(input: &mut Input<'_>, joined: &[PupilId], questions: &[String]) -> HostCommand {
    let b = input.byte();
    match b % 16 {
        0 => HostCommand::Start,
        1 | 15 => HostCommand::Next,
        2 => HostCommand::Close,
        3 => HostCommand::Reveal,
        4 => HostCommand::Pause,
        5 => HostCommand::Resume,
        6 => HostCommand::AddTime,
        7 => HostCommand::Skip,
        8 => {
            let i = usize::from(input.byte()) % (questions.len() + 1);
            HostCommand::ShowResults {
                question: questions.get(i).cloned().unwrap_or_else(|| "x".into()),
            }
        }
        9 => HostCommand::Revote,
        10 => HostCommand::Finish,
        11 => HostCommand::Lock,
        12 => HostCommand::Unlock,
        13 => {
            let i = usize::from(input.byte());
            let id = match joined.get(i % joined.len().max(1)) {
                Some(p) if i < 200 => format!("{p:x}"),
                _ => format!("{i}zz"),
            };
            HostCommand::Remove { player: id }
        }
        _ => HostCommand::End,
    }
}

/// Tallies equal the recorded answers (each pupil once); scores at most 100.
fn check_state(s: &Session, joined: &[PupilId]) {
    for q in 0..s.quiz.questions.len() as u32 {
        let kind = s.quiz.questions[q as usize].kind;
        let run = s.run(q).expect("every question has a run");
        assert!(run.rounds.len() <= 2, "more than two rounds");
        for r in &run.rounds {
            let mut tally = vec![0u32; r.tally.len()];
            let mut passed = 0;
            for a in r.answers.values() {
                match &a.choice {
                    Choice::Pass => passed += 1,
                    Choice::Options(o) => {
                        assert!(!o.is_empty(), "an empty choice was recorded");
                        for &i in o {
                            let slot = tally
                                .get_mut(usize::from(i))
                                .expect("a recorded option is in range");
                            *slot += 1;
                        }
                    }
                }
            }
            assert_eq!(tally, r.tally, "tally differs from the recorded answers");
            assert_eq!(passed, r.passed, "passes differ from the recorded answers");
            if !kind.is_multiple() {
                assert_eq!(r.tally.iter().sum::<u32>() + r.passed, r.answered());
            }
            for p in r.answers.keys() {
                assert!(
                    joined.contains(p),
                    "an answer from a pupil who never joined"
                );
            }
        }
    }
    for &p in joined {
        assert!(s.score(p).is_none_or(|x| x <= 100), "score over 100");
    }
}

/// What the effects of `event` may carry.
fn check_effects(s: &Session, event: &Event) {
    for effect in s.effects(event) {
        let Effect::Send(to, msg) = effect else {
            continue;
        };
        if s.stage() == Stage::Open {
            assert!(
                !matches!(
                    msg,
                    ServerMsg::Results { .. } | ServerMsg::Reveal { .. } | ServerMsg::Summary(_)
                ),
                "a distribution left while a question is open: {msg:?}"
            );
        }
        match (&msg, event) {
            (ServerMsg::Ack { .. }, Event::AnswerRecorded { pupil, .. }) => {
                assert_eq!(to, Audience::Pupil(*pupil), "an ack went to someone else")
            }
            (ServerMsg::Ack { .. }, _) => panic!("an ack without an answer"),
            (ServerMsg::Result(_), _) => {
                assert!(
                    matches!(to, Audience::Pupil(_)),
                    "a private result went to a group"
                )
            }
            (ServerMsg::Facilitator(_) | ServerMsg::HelpRequests { .. }, _) => {
                assert_eq!(to, Audience::Hosts, "host-only notes went further")
            }
            _ => {}
        }
    }
}

/// A snapshot never carries distributions while open, nor host-only messages to others.
fn check_snapshot(s: &Session, viewer: Viewer, now: u64) {
    for msg in s.snapshot(viewer, now) {
        if s.stage() == Stage::Open {
            assert!(
                !matches!(msg, ServerMsg::Results { .. } | ServerMsg::Reveal { .. }),
                "a distribution in a snapshot while open"
            );
        }
        if viewer != Viewer::Host {
            assert!(
                !matches!(
                    msg,
                    ServerMsg::Facilitator(_)
                        | ServerMsg::HelpRequests { .. }
                        | ServerMsg::Players { .. }
                ),
                "host-only message in a {viewer:?} snapshot"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/seeds/machine/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_lesson_seed_reaches_answers_reveals_and_the_end() {
        let journal = machine_journal(&seed("lesson"));
        let names: Vec<String> = journal.iter().map(|e| e.kind().to_owned()).collect();
        for want in [
            "pupil_joined",
            "question_opened",
            "answer_recorded",
            "revealed",
            "finished",
        ] {
            assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
        }
    }

    #[test]
    fn every_seed_passes() {
        for dir in ["decode", "machine", "quiz", "journal"] {
            let path = format!("{}/seeds/{dir}", env!("CARGO_MANIFEST_DIR"));
            for entry in std::fs::read_dir(path).unwrap() {
                let data = std::fs::read(entry.unwrap().path()).unwrap();
                match dir {
                    "decode" => decode(&data),
                    "machine" => machine(&data),
                    "journal" => journal(&data),
                    _ => quiz(&data),
                }
            }
        }
    }
}
