//! Corrupts a journal as a damaged disk or a forger would, driven by a stream of bytes, and
//! checks that reading it back never panics. Shared by the property test here and the fuzz
//! target `afl_journal` (`fuzz/`), which includes this file.

use loupe::protocol::{Answer, Choice};
use loupe::session::machine::{record, Command, HostCommand, Session, Viewer};
use serde_json::{json, Value};

/// Every kind of event, as the journal names them.
const KINDS: [&str; 19] = [
    "created",
    "pupil_joined",
    "pupil_removed",
    "lobby_locked",
    "started",
    "question_opened",
    "answer_recorded",
    "question_closed",
    "revealed",
    "paused",
    "resumed",
    "time_added",
    "skipped",
    "results_shown",
    "finished",
    "help_requested",
    "ended",
    "device_paired",
    "device_revoked",
];

/// Reads the input a byte at a time; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn index(&mut self, len: usize) -> usize {
        let n = usize::from(self.byte()) << 8 | usize::from(self.byte());
        n % len.max(1)
    }
}

/// A number likely to break something: small, at a type's edge, or past it.
fn number(b: &mut Bytes<'_>) -> Value {
    match b.byte() % 12 {
        0..=5 => json!(b.byte() % 8),
        6 => json!(u64::from(u8::MAX) + 1),
        7 => json!(u32::MAX),
        8 => json!(u64::MAX),
        9 => json!(-1),
        10 => json!(1.5),
        _ => json!(b.byte()),
    }
}

/// Every place in `v` that holds a value (object fields and array items), depth first.
fn paths(v: &Value, at: &mut Vec<Vec<Value>>, here: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(json!(k));
                at.push(here.clone());
                paths(child, at, here);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(json!(i));
                at.push(here.clone());
                paths(child, at, here);
                here.pop();
            }
        }
        _ => {}
    }
}

/// The value at `path`.
fn at<'v>(v: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, step| match step {
        Value::String(k) => v.get(k.as_str()),
        Value::Number(i) => v.get(i.as_u64()? as usize),
        _ => None,
    })
}

/// The value at `path`, to change it.
fn at_mut<'v>(v: &'v mut Value, path: &[Value]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

/// Removes the field or item at `path`.
fn remove(v: &mut Value, path: &[Value]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (at_mut(v, parent), last) {
        (Some(Value::Object(map)), Value::String(k)) => {
            map.remove(k);
        }
        (Some(Value::Array(items)), Value::Number(i)) => {
            if let Some(i) = i.as_u64().map(|i| i as usize).filter(|i| *i < items.len()) {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// A whole number that keeps a `u64` field's type: small, or at a narrower type's edge.
fn whole(b: &mut Bytes<'_>) -> Value {
    match b.byte() % 8 {
        0..=3 => json!(b.byte() % 8),
        4 => json!(255),
        5 => json!(256),
        6 => json!(u32::MAX),
        _ => json!(u64::MAX),
    }
}

/// One edit of one line (as JSON), chosen by the input; `gentle`: only a whole number changed
/// for another, so the line still parses and the journal's meaning is what breaks.
fn edit_value(v: &mut Value, b: &mut Bytes<'_>, gentle: bool) {
    let mut all = Vec::new();
    paths(v, &mut all, &mut Vec::new());
    if all.is_empty() {
        return;
    }
    let path = all[b.index(all.len())].clone();
    if gentle {
        let numbers: Vec<&Vec<Value>> = all
            .iter()
            .filter(|p| at(v, p).is_some_and(Value::is_u64))
            .collect();
        if !numbers.is_empty() {
            let path = numbers[b.index(numbers.len())].clone();
            if let Some(slot) = at_mut(v, &path) {
                *slot = whole(b);
            }
        }
        return;
    }
    match b.byte() % 8 {
        0 => remove(v, &path),
        1 => {
            let kind = KINDS[b.index(KINDS.len())];
            v["event"] = json!(kind);
        }
        2 => {
            let n = usize::from(b.byte() % 5);
            let picked: Vec<u8> = (0..n).map(|_| b.byte() % 6).collect();
            v["choice"] = match b.byte() % 3 {
                0 => json!("pass"),
                1 => json!({ "options": picked }),
                _ => json!({ "other": picked }),
            };
        }
        3 => v["v"] = number(b),
        4..=5 => {
            if let Some(slot) = at_mut(v, &path) {
                *slot = number(b);
            }
        }
        6 => {
            if let Some(slot) = at_mut(v, &path) {
                *slot = match b.byte() % 4 {
                    0 => Value::Null,
                    1 => json!("x"),
                    2 => json!([]),
                    _ => json!({}),
                };
            }
        }
        _ => {
            // An answer, a close or an open moved to another question or round.
            for key in ["q", "round", "pupil", "device", "client_seq"] {
                if v.get(key).is_some() && b.byte().is_multiple_of(2) {
                    v[key] = number(b);
                }
            }
        }
    }
}

/// `lines` with up to 8 edits read from `data`: lines deleted, duplicated, swapped, cut short,
/// or one of their values changed, removed or given another type. When the first byte is even,
/// only whole numbers are changed (for other whole numbers), which more often still parses.
pub fn corrupt(lines: &[String], data: &[u8]) -> Vec<String> {
    let mut b = Bytes(data);
    let gentle = b.byte().is_multiple_of(2);
    let mut lines = lines.to_vec();
    for _ in 0..8 {
        if b.0.is_empty() || lines.is_empty() {
            break;
        }
        let i = b.index(lines.len());
        let op = if gentle { 7 } else { b.byte() % 8 };
        match op {
            0 => {
                lines.remove(i);
            }
            1 => {
                let copy = lines[i].clone();
                let to = b.index(lines.len() + 1);
                lines.insert(to, copy);
            }
            2 => {
                let j = b.index(lines.len());
                lines.swap(i, j);
            }
            3 => {
                let cut = b.index(lines[i].len());
                let mut end = cut;
                while !lines[i].is_char_boundary(end) {
                    end -= 1;
                }
                lines[i].truncate(end);
            }
            _ => {
                let Ok(mut v) = serde_json::from_str::<Value>(&lines[i]) else {
                    continue;
                };
                edit_value(&mut v, &mut b, gentle);
                lines[i] = v.to_string();
            }
        }
    }
    lines
}

/// Reads `lines` back as the restore does; a journal that is accepted must then serve every
/// view and take every command without panicking. Returns whether it was accepted.
pub fn read_back(lines: &[String]) -> bool {
    let session = match record::read(lines) {
        Ok(session) => session,
        Err(refused) => {
            let _ = refused.to_string();
            return false;
        }
    };
    exercise(session);
    true
}

/// What a restored session goes through: its views, then commands.
fn exercise(mut s: Session) {
    let now = s.last_ms;
    let pupils: Vec<u64> = (0..64).filter(|p| s.pupil(*p).is_some()).collect();
    let table = s.challenge_table();
    for &p in &pupils {
        let _ = s.private_result(p, table.as_deref());
        let _ = s.snapshot(Viewer::Pupil(p), now);
        let _ = s.score(p);
    }
    for viewer in [Viewer::Host, Viewer::Screen] {
        let _ = s.snapshot(viewer, now);
    }
    let _ = s.summary();
    let _ = s.kept_device_hashes();
    let question = s
        .quiz
        .questions
        .first()
        .map(|q| q.id.clone())
        .unwrap_or_default();
    let mut commands = vec![
        Command::Host(HostCommand::Pause),
        Command::Tick,
        Command::Join {
            pupil: 1_000,
            token_hash: "fresh".into(),
            name_seed: 7,
            max_players: 100,
        },
    ];
    for &p in pupils.iter().take(3) {
        commands.push(Command::Answer {
            pupil: p,
            answer: Answer {
                question: question.clone(),
                round: 1,
                client_seq: 99,
                choice: Choice::Options(vec![0]),
            },
            at_ms: now,
        });
    }
    commands.extend(
        [
            HostCommand::Resume,
            HostCommand::AddTime,
            HostCommand::Reveal,
            HostCommand::Revote,
            HostCommand::Skip,
            HostCommand::ShowResults {
                question: question.clone(),
            },
            HostCommand::Next,
            HostCommand::Close,
            HostCommand::Finish,
            HostCommand::End,
        ]
        .map(Command::Host),
    );
    for command in commands {
        if let Ok(events) = s.decide(now, &command) {
            for event in &events {
                s.apply(event);
                let _ = s.effects(event);
            }
        }
    }
    let _ = s.summary();
}
