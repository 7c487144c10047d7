//! A replayed session as lines of plain text: stage, pupils, devices, every round's tally,
//! scores and the class summary, so that a golden's known state reads like a report.

use loupe::session::machine::{PupilId, Session, Viewer};

/// What a replayed session holds, one fact per line.
pub fn digest(s: &Session, pupils: &[PupilId]) -> Vec<String> {
    let mut out = vec![format!(
        "seq {}, stage {:?}, paused {}, locked {}, ended {}, help {}, last {} ms",
        s.seq,
        s.stage(),
        s.is_paused(),
        s.is_locked(),
        s.is_ended(),
        s.help_total(),
        s.last_ms
    )];
    let mut who = Vec::new();
    for &id in pupils {
        match s.pupil(id) {
            Some(p) => who.push(format!(
                "{id}{}{}",
                p.name
                    .as_deref()
                    .map(|n| format!(" {n:?}"))
                    .unwrap_or_default(),
                if p.removed { " removed" } else { "" }
            )),
            None => who.push(format!("{id} unknown")),
        }
    }
    out.push(format!(
        "pupils {} active: {}",
        s.active_pupils(),
        who.join(", ")
    ));
    let devices: Vec<String> = (1..=s.last_device_number())
        .map(|n| {
            format!(
                "{n} {}",
                if s.device_active(n) {
                    "active"
                } else {
                    "revoked"
                }
            )
        })
        .collect();
    out.push(format!("devices: {}", devices.join(", ")));
    for (q, question) in s.quiz.questions.iter().enumerate() {
        let Some(run) = s.run(q as u32) else {
            out.push(format!("{}: no run", question.id));
            continue;
        };
        let rounds: Vec<String> = run
            .rounds
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "r{} {} tally {:?} passed {} answered {}",
                    i + 1,
                    if r.closed_seq.is_some() {
                        "closed"
                    } else {
                        "open"
                    },
                    r.tally,
                    r.passed,
                    r.answered()
                )
            })
            .collect();
        out.push(format!(
            "{}:{}{} {}",
            question.id,
            if run.revealed { " revealed" } else { "" },
            if run.skipped { " skipped" } else { "" },
            rounds.join("; ")
        ));
    }
    let scores: Vec<String> = pupils
        .iter()
        .map(|&id| format!("{id} {:?}", s.score(id)))
        .collect();
    out.push(format!("scores: {}", scores.join(", ")));
    let summary = s.summary();
    let bins: Vec<String> = summary
        .histogram
        .iter()
        .map(|b| format!("{}-{}:{}", b.from, b.to, b.pupils))
        .collect();
    out.push(format!(
        "summary: pupils {}, scored {}, scored questions {}, counted {}, mean {:?}, median {:?}, histogram [{}]",
        summary.pupils,
        summary.scored,
        summary.scored_questions,
        summary.counted_questions,
        summary.mean,
        summary.median,
        bins.join(" ")
    ));
    for q in &summary.questions {
        let second = q
            .second_vote
            .as_ref()
            .map(|d| format!(", second vote {} {:?} {:?}", d.answered, d.passed, d.counts))
            .unwrap_or_default();
        out.push(format!(
            "summary {}: correct {:?}, answered {}, passed {:?}, counts {:?}{second}{}",
            q.question,
            q.correct,
            q.results.answered,
            q.results.passed,
            q.results.counts,
            if q.skipped { ", skipped" } else { "" }
        ));
    }
    let podium: Vec<String> = summary
        .podium
        .iter()
        .map(|e| format!("{} {} {}", e.rank, e.name, e.points))
        .collect();
    out.push(format!("podium: {}", podium.join(", ")));
    // Every view of the state builds (the restore sends them at once).
    let table = s.challenge_table();
    for &id in pupils {
        let _ = s.private_result(id, table.as_deref());
        let _ = s.snapshot(Viewer::Pupil(id), s.last_ms);
    }
    let _ = s.snapshot(Viewer::Host, s.last_ms);
    let _ = s.snapshot(Viewer::Screen, s.last_ms);
    out
}
