//! The scripted sessions the golden journals were written from: a quiz, options, and the commands
//! a teacher, their phones and the pupils sent, with every random value and time fixed.

use std::sync::Arc;

use loupe::protocol::{Answer, Choice, EndReason, Mode};
use loupe::session::machine::{Command, HostCommand, Millis, PupilId, SessionCreated};
use loupe::session::secret;
use loupe::session::{Retention, SessionOptions};

/// One scripted session: what created it and what happened next.
pub struct Script {
    /// The golden file's name in `tests/fixtures/journals/`.
    pub name: &'static str,
    /// The first event (used only to write a golden that does not exist yet).
    pub created: SessionCreated,
    /// `(now, command)`, each of which the machine accepts.
    pub steps: Vec<(Millis, Command)>,
}

/// Every quiz field, every kind of question (a timed one, a sensitive one, a self-assessment).
const QUIZ_EN: &str = r#"
id = "golden-en"
title = "Golden journal"
lang = "en"
audience = "13-15"
description = "Every kind of question."
minutes = 20
content_warning = "Anyone can pass any question."
[[questions]]
id = "single"
kind = "single"
text = "Which one?"
time_limit = 20
core = true
min_age = 11
explanation = "B is right."
advice = "Read the question twice."
options = [{ text = "A" }, { text = "B", correct = true }, { text = "C" }]
[questions.notes]
prompt = "Why B?"
key_fact = "B, always."
source = "The golden book"
tip = "Let them argue."
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
advice = "Pick one thing to change."
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

/// A short French quiz for challenge mode (French pseudonyms).
const QUIZ_FR: &str = r#"
id = "golden-fr"
title = "Journal de référence"
lang = "fr"
audience = "11-15 ans"
description = "Trois questions."
minutes = 10
[[questions]]
id = "c1"
kind = "single"
text = "Laquelle ?"
options = [{ text = "Juste", correct = true }, { text = "Faux" }]
[[questions]]
id = "c2"
kind = "true_false"
text = "C'est vrai."
answer = true
[[questions]]
id = "c3"
kind = "single"
text = "Et celle-ci ?"
time_limit = 30
options = [{ text = "Faux" }, { text = "Juste", correct = true }, { text = "Non" }]
[[bands]]
min = 0
max = 100
title = "Bravo"
advice = "Continue."
[[resources]]
name = "3018"
contact = "3018"
description = "Harcèlement en ligne."
"#;

/// The host secret of golden session `name` (its hash is in the journal).
pub fn host_secret(name: &str) -> String {
    format!("golden host secret of {name}")
}

/// The resume token of pupil `pupil` (its hash is in the journal).
pub fn token(pupil: PupilId) -> String {
    format!("golden token of pupil {pupil}")
}

fn created(name: &str, code: &str, quiz: &str, options: SessionOptions) -> SessionCreated {
    let quiz = loupe::quiz::parse_quiz("golden.toml", quiz).expect("the golden quiz is valid");
    SessionCreated {
        code: code.into(),
        quiz: Arc::new(quiz),
        options,
        host_hash: secret::hash(&host_secret(name)),
        screen_hash: secret::hash(&format!("golden screen token of {name}")),
        created_unix_ms: 1_795_000_000_000,
    }
}

fn join(pupil: PupilId, name_seed: u64) -> Command {
    Command::Join {
        pupil,
        token_hash: secret::hash(&token(pupil)),
        name_seed,
        max_players: 100,
    }
}

fn answer(
    pupil: PupilId,
    question: &str,
    round: u8,
    seq: u64,
    picked: &[u8],
    at: Millis,
) -> Command {
    Command::Answer {
        pupil,
        answer: Answer {
            question: question.into(),
            round,
            client_seq: seq,
            choice: if picked.is_empty() {
                Choice::Pass
            } else {
                Choice::Options(picked.to_vec())
            },
        },
        at_ms: at,
    }
}

fn host(cmd: HostCommand) -> Command {
    Command::Host(cmd)
}

/// A whole reflection lesson: two paired phones (one revoked), a locked lobby, a timed question
/// paused with time added and closed by its deadline, a revote, a help request, a skipped
/// question, a sensitive scale, earlier results shown again, the host's `end`.
fn lesson() -> Script {
    let options = SessionOptions {
        mode: Mode::Reflection,
        timers: Some(true),
        close_when_all_answered: false,
        min_count: 3,
        questions: Some(
            ["single", "multi", "tf", "scale", "self"]
                .map(String::from)
                .to_vec(),
        ),
        label: Some("4e B".into()),
        hide_score: false,
        local_contact: Some("Nurse: room 12".into()),
        retention: Retention::SchoolYear,
    };
    let pair = |device, key: &str, unix_ms| Command::PairDevice {
        device,
        credential_hash: secret::hash(key),
        unix_ms,
    };
    let mut steps = vec![
        (500, pair(1, "golden phone 1", 1_795_000_000_500)),
        (600, pair(2, "golden phone 2", 1_795_000_000_600)),
    ];
    for (i, p) in (11..=15).enumerate() {
        steps.push((1_000 + 100 * i as u64, join(p, p * 7)));
    }
    steps.extend([
        (2_000, host(HostCommand::Lock)),
        (2_100, host(HostCommand::Unlock)),
        (3_000, host(HostCommand::Start)),
        (4_000, host(HostCommand::Next)),
        (5_000, answer(11, "single", 1, 1, &[1], 5_000)),
        (5_100, answer(12, "single", 1, 1, &[1], 5_090)),
        (5_200, answer(13, "single", 1, 1, &[0], 5_200)),
        (5_300, answer(14, "single", 1, 1, &[], 5_300)),
        (5_400, answer(15, "single", 1, 1, &[1], 5_400)),
        (6_000, answer(13, "single", 1, 2, &[1], 6_000)),
        (8_000, host(HostCommand::Pause)),
        (9_000, host(HostCommand::AddTime)),
        (10_000, host(HostCommand::Resume)),
        (58_000, Command::Tick),
        (59_000, host(HostCommand::Reveal)),
        (60_000, host(HostCommand::Revote)),
        (61_000, answer(11, "single", 2, 1, &[1], 61_000)),
        (61_100, answer(12, "single", 2, 1, &[1], 61_100)),
        (61_200, answer(13, "single", 2, 1, &[1], 61_200)),
        (61_300, answer(14, "single", 2, 1, &[2], 61_300)),
        (62_000, host(HostCommand::Close)),
        (63_000, host(HostCommand::Next)),
        (64_000, answer(11, "multi", 1, 1, &[0, 2], 64_000)),
        (64_100, answer(12, "multi", 1, 1, &[0], 64_100)),
        (64_200, answer(13, "multi", 1, 1, &[0, 1, 2], 64_200)),
        (64_300, answer(14, "multi", 1, 1, &[0, 2], 64_300)),
        (64_400, answer(15, "multi", 1, 1, &[3], 64_400)),
        (65_000, Command::HelpRequest),
        (66_000, host(HostCommand::Reveal)),
        (67_000, host(HostCommand::Next)),
        (68_000, answer(11, "tf", 1, 1, &[1], 68_000)),
        (69_000, host(HostCommand::Skip)),
        (70_000, answer(11, "scale", 1, 1, &[0], 70_000)),
        (70_100, answer(12, "scale", 1, 1, &[0], 70_100)),
        (70_200, answer(13, "scale", 1, 1, &[0], 70_200)),
        (70_300, answer(14, "scale", 1, 1, &[3], 70_300)),
        (70_400, answer(15, "scale", 1, 1, &[], 70_400)),
        (71_000, host(HostCommand::Close)),
        (
            72_000,
            host(HostCommand::ShowResults {
                question: "single".into(),
            }),
        ),
        (73_000, host(HostCommand::Next)),
        (74_000, answer(11, "self", 1, 1, &[0, 1], 74_000)),
        (74_100, answer(12, "self", 1, 1, &[2], 74_100)),
        (74_200, answer(13, "self", 1, 1, &[0], 74_200)),
        (74_300, answer(14, "self", 1, 1, &[1], 74_300)),
        (75_000, host(HostCommand::Reveal)),
        (76_000, Command::RevokeDevice { device: 2 }),
        (77_000, host(HostCommand::Next)),
        (78_000, host(HostCommand::End)),
    ]);
    Script {
        name: "lesson",
        created: created("lesson", "271828", QUIZ_EN, options),
        steps,
    }
}

/// Challenge mode in French: generated pseudonyms, a player removed, questions closed when
/// everyone answered, a podium, then the host away too long.
fn challenge() -> Script {
    let options = SessionOptions {
        mode: Mode::Challenge,
        timers: None,
        close_when_all_answered: true,
        min_count: 3,
        questions: None,
        label: None,
        hide_score: true,
        local_contact: None,
        retention: Retention::OneDay,
    };
    let mut steps: Vec<(Millis, Command)> = (21..=26)
        .map(|p| (p * 10, join(p, p * 1_000_003)))
        .collect();
    steps.extend([
        (
            300,
            host(HostCommand::Remove {
                player: format!("{:x}", 26),
            }),
        ),
        (1_000, host(HostCommand::Next)),
        (2_000, host(HostCommand::Next)),
    ]);
    let plan: [(&str, [&[u8]; 5]); 3] = [
        ("c1", [&[0], &[0], &[0], &[1], &[0]]),
        ("c2", [&[0], &[1], &[0], &[0], &[0]]),
        ("c3", [&[1], &[1], &[0], &[1], &[2]]),
    ];
    let mut now = 3_000;
    for (i, (q, picks)) in plan.iter().enumerate() {
        for (p, picked) in (21..).zip(picks) {
            now += 500;
            steps.push((now, answer(p, q, 1, 1, picked, now)));
        }
        now += 1_000;
        steps.push((now, host(HostCommand::Reveal)));
        if i < 2 {
            now += 1_000;
            steps.push((now, host(HostCommand::Next)));
        }
    }
    steps.extend([
        (now + 1_000, host(HostCommand::Finish)),
        (now + 1_900_000, Command::Expire(EndReason::HostAway)),
    ]);
    Script {
        name: "challenge",
        created: created("challenge", "314159", QUIZ_FR, options),
        steps,
    }
}

/// A session left with its question open (as at a crash): no end, not paused.
fn open() -> Script {
    let options = SessionOptions {
        min_count: 5,
        ..SessionOptions::default()
    };
    let steps = vec![
        (100, join(31, 1)),
        (200, join(32, 2)),
        (300, join(33, 3)),
        (1_000, host(HostCommand::Start)),
        (2_000, host(HostCommand::Next)),
        (3_000, answer(31, "single", 1, 4, &[1], 3_000)),
        (3_100, answer(32, "single", 1, 1, &[], 3_100)),
        (3_200, Command::HelpRequest),
    ];
    Script {
        name: "open",
        created: created("open", "161803", QUIZ_EN, options),
        steps,
    }
}

/// A session that reached `--max-session-life` in the lobby.
fn max_life() -> Script {
    let options = SessionOptions {
        timers: Some(false),
        retention: Retention::ThirtyDays,
        ..SessionOptions::default()
    };
    let steps = vec![
        (100, join(41, 1)),
        (43_200_000, Command::Expire(EndReason::MaxLife)),
    ];
    Script {
        name: "max-life",
        created: created("max-life", "141421", QUIZ_EN, options),
        steps,
    }
}

/// Every scripted session.
pub fn all() -> Vec<Script> {
    vec![lesson(), challenge(), open(), max_life()]
}
