//! Random small sessions for the disclosure property test, and playing them through the machine.
//!
//! A [`Case`] is a quiz of a few questions (every kind, sensitive or not, scored or not), some
//! pupils and what each does on each question (answer, pass, absent, a revote, a review); a
//! [`Game`] plays it with any assignment of answers and collects everything one observer
//! receives: the messages to hosts and screens, the observer pupil's own, snapshots, and the
//! report kept after the end (whose CSV is made from it alone).

use std::sync::Arc;

use super::*;
use crate::protocol::{Answer, Mode};
use crate::quiz::parse_quiz;

/// A question kind, with its number of options where the quiz chooses it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Single(usize),
    Multiple(usize),
    TrueFalse,
    Scale,
}

/// How a question is scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Scored {
    Knowledge,
    SelfAssessment,
    Opinion,
}

/// How the host ends a question's first vote.
#[derive(Debug, Clone, Copy)]
pub(super) enum End {
    Close,
    Reveal,
    Skip,
}

/// One generated question.
#[derive(Debug, Clone)]
pub(super) struct Question {
    pub(super) kind: Kind,
    pub(super) scored: Scored,
    pub(super) sensitive: bool,
}

/// What happens to one question: each pupil's pick (an index into its choices) or absence.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) first: Vec<Option<usize>>,
    pub(super) end: End,
    pub(super) revote: Option<Vec<Option<usize>>>,
    pub(super) review: usize,
}

/// One generated session: its quiz, pupils, threshold, mode and script.
#[derive(Debug, Clone)]
pub(super) struct Case {
    pub(super) questions: Vec<Question>,
    pub(super) pupils: usize,
    pub(super) n: u32,
    pub(super) challenge: bool,
    pub(super) plans: Vec<Plan>,
    pub(super) finish_after: usize,
}

/// Every answer a pupil may give to a question of this kind.
pub(super) fn domain(kind: Kind) -> Vec<Choice> {
    let options = match kind {
        Kind::Single(k) | Kind::Multiple(k) => k,
        Kind::TrueFalse => 2,
        Kind::Scale => 3,
    };
    let mut out = vec![Choice::Pass];
    if let Kind::Multiple(_) = kind {
        for mask in 1u32..(1 << options) {
            let set = (0..options as u8)
                .filter(|i| mask & (1 << i) != 0)
                .collect();
            out.push(Choice::Options(set));
        }
    } else {
        out.extend((0..options as u8).map(|i| Choice::Options(vec![i])));
    }
    out
}

/// The quiz file of the generated questions.
pub(super) fn quiz_toml(questions: &[Question]) -> String {
    let mut t = String::from(
        "id = \"props\"\ntitle = \"Props\"\nlang = \"en\"\naudience = \"tests\"\n\
         description = \"Generated.\"\nminutes = 10\n",
    );
    for (i, q) in questions.iter().enumerate() {
        t += &format!(
            "[[questions]]\nid = \"q{i}\"\ntext = \"Question {i}?\"\nsensitive = {}\n",
            q.sensitive
        );
        if q.scored != Scored::Opinion
            && !(matches!(q.kind, Kind::TrueFalse) && q.scored != Scored::Knowledge)
        {
            t += "advice = \"A tip.\"\n";
        }
        let option = |j: usize| match q.scored {
            Scored::Knowledge => format!(
                "{{ text = \"O{j}\", correct = {} }}",
                j == 0 || (j == 1 && matches!(q.kind, Kind::Multiple(_)))
            ),
            Scored::SelfAssessment => format!(
                "{{ text = \"O{j}\", points = {} }}",
                2usize.saturating_sub(j)
            ),
            Scored::Opinion => format!("{{ text = \"O{j}\" }}"),
        };
        match q.kind {
            Kind::Single(k) | Kind::Multiple(k) => {
                let kind = if let Kind::Multiple(_) = q.kind {
                    "multiple"
                } else {
                    "single"
                };
                let options: Vec<String> = (0..k).map(option).collect();
                t += &format!("kind = \"{kind}\"\noptions = [{}]\n", options.join(", "));
            }
            Kind::TrueFalse => {
                t += "kind = \"true_false\"\n";
                if q.scored == Scored::Knowledge {
                    t += "answer = true\n";
                }
            }
            Kind::Scale => {
                t += "kind = \"scale\"\nmin = 1\nmax = 3\nmin_label = \"low\"\nmax_label = \"high\"\n";
            }
        }
    }
    t += "[[bands]]\nmin = 0\nmax = 49\ntitle = \"Start\"\nadvice = \"Go.\"\n\
          [[bands]]\nmin = 50\nmax = 100\ntitle = \"Good\"\nadvice = \"Keep on.\"\n\
          [[resources]]\nname = \"Help\"\ncontact = \"An adult\"\ndescription = \"Talk.\"\n";
    t
}

/// The answers of one world: per question, per round, per pupil.
pub(super) type Answers = Vec<Vec<Vec<Option<Choice>>>>;

/// A case ready to play: its first event and the real answers.
pub(super) struct Game {
    pub(super) case: Case,
    pub(super) created: SessionCreated,
    pub(super) real: Answers,
}

/// The machine id of pupil number `p`.
pub(super) fn pupil_id(p: usize) -> PupilId {
    p as u64 + 1
}

impl Game {
    /// Builds the quiz and the real answers of `case`.
    pub(super) fn new(case: Case) -> Game {
        let quiz =
            parse_quiz("props.toml", &quiz_toml(&case.questions)).expect("generated quiz is valid");
        let options = SessionOptions {
            mode: if case.challenge {
                Mode::Challenge
            } else {
                Mode::Reflection
            },
            timers: Some(false),
            min_count: case.n,
            ..SessionOptions::default()
        };
        let created = SessionCreated {
            code: "123456".into(),
            quiz: Arc::new(quiz),
            options,
            host_hash: "h".into(),
            screen_hash: "s".into(),
            created_unix_ms: 0,
        };
        let real = case
            .questions
            .iter()
            .zip(&case.plans)
            .map(|(q, plan)| {
                let d = domain(q.kind);
                let pick = |v: &Vec<Option<usize>>| {
                    v.iter()
                        .map(|c| c.map(|i| d[i % d.len()].clone()))
                        .collect()
                };
                let mut rounds = vec![pick(&plan.first)];
                if let Some(second) = &plan.revote {
                    rounds.push(pick(second));
                }
                rounds
            })
            .collect();
        Game {
            case,
            created,
            real,
        }
    }

    /// Plays the session with `answers`; returns it and everything `observer` receives.
    pub(super) fn play(
        &self,
        answers: &Answers,
        observer: Option<usize>,
    ) -> (Session, Vec<String>) {
        let mut s = Session::new(&self.created);
        let mut seen = Vec::new();
        let mut now = 0;
        let me = observer.map(pupil_id);
        let run = |s: &mut Session, cmd: Command, seen: &mut Vec<String>, now: &mut u64| {
            *now += 10;
            let Ok(events) = s.decide(*now, &cmd) else {
                return;
            };
            for e in events {
                s.apply(&e);
                for effect in s.effects(&e) {
                    let Effect::Send(to, msg) = effect else {
                        continue;
                    };
                    let mine = match to {
                        Audience::Pupil(p) => Some(p) == me,
                        _ => true,
                    };
                    if mine {
                        seen.push(serde_json::to_string(&msg).expect("messages encode"));
                    }
                }
            }
        };
        for p in 0..self.case.pupils {
            let join = Command::Join {
                pupil: pupil_id(p),
                token_hash: format!("t{p}"),
                name_seed: p as u64,
                max_players: 100,
            };
            run(&mut s, join, &mut seen, &mut now);
        }
        run(
            &mut s,
            Command::Host(HostCommand::Start),
            &mut seen,
            &mut now,
        );
        for (q, plan) in self
            .case
            .plans
            .iter()
            .enumerate()
            .take(self.case.finish_after)
        {
            if s.open_round().map(|o| o.0) != Some(q as u32) {
                run(
                    &mut s,
                    Command::Host(HostCommand::Next),
                    &mut seen,
                    &mut now,
                );
            }
            let id = format!("q{q}");
            for (round, votes) in answers[q].iter().enumerate() {
                let round = round as u8 + 1;
                if round == 2 {
                    run(
                        &mut s,
                        Command::Host(HostCommand::Revote),
                        &mut seen,
                        &mut now,
                    );
                }
                for (p, choice) in votes.iter().enumerate() {
                    if let Some(choice) = choice {
                        let cmd = Command::Answer {
                            pupil: pupil_id(p),
                            answer: Answer {
                                question: id.clone(),
                                round,
                                client_seq: 1,
                                choice: choice.clone(),
                            },
                            at_ms: now,
                        };
                        run(&mut s, cmd, &mut seen, &mut now);
                    }
                }
                let end = match (round, plan.end) {
                    (2, _) | (_, End::Close) => HostCommand::Close,
                    (_, End::Reveal) => HostCommand::Reveal,
                    (_, End::Skip) => HostCommand::Skip,
                };
                run(&mut s, Command::Host(end), &mut seen, &mut now);
            }
            let review = HostCommand::ShowResults {
                question: format!("q{}", plan.review % (q + 1)),
            };
            run(&mut s, Command::Host(review), &mut seen, &mut now);
            for m in s.snapshot(Viewer::Screen, now) {
                seen.push(serde_json::to_string(&m).expect("messages encode"));
            }
        }
        run(
            &mut s,
            Command::Host(HostCommand::Finish),
            &mut seen,
            &mut now,
        );
        let mut viewers = vec![Viewer::Host, Viewer::Screen];
        viewers.extend(me.map(Viewer::Pupil));
        for v in viewers {
            for m in s.snapshot(v, now) {
                seen.push(serde_json::to_string(&m).expect("messages encode"));
            }
        }
        if let Some(report) = crate::session::Report::of(&s, 0) {
            // The report's CSV (rendered by the HTTP layer) is a function of this summary and of
            // the quiz's title and language, which are the same in every game: the summary holds
            // everything it could give away.
            seen.push(serde_json::to_string(&report.summary).expect("the report encodes"));
        }
        (s, seen)
    }
}
