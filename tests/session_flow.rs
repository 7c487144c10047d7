//! Whole sessions end to end: a 30-pupil reflection lesson over every question kind, small-count
//! hiding, and challenge mode.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::flow::{self, Shown};
use common::model::{self, opts, Votes};
use common::{lesson, TestServer, T};
use loupe::protocol::Choice::{self, Pass};
use loupe::protocol::{ClientMsg, ErrorCode, ServerMsg, Stage};
use serde_json::json;

/// A 30-pupil reflection lesson over every question kind (passes, changed answers, a late joiner,
/// a pause, a revote, a skip, show_results, a help request): exact tallies at each close, the class
/// summary, each pupil's exact private score; no counts while open; the screen sees nothing private.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_reflection_lesson() -> anyhow::Result<()> {
    // Help alerts leave on whole seconds here, not minutes, so the lesson need not wait.
    let server = TestServer::start(|c| c.help_window = Duration::from_secs(1)).await?;
    let quiz = model::fixture("test-kinds")?;
    let (s, mut host, mut screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
    let mut pupils = flow::join_many(&server, &s.code, 29).await?;
    assert!(
        pupils.iter().all(|p| p.welcome.name.is_none()),
        "no names in reflection mode"
    );
    host.joined(29).await?;
    let mut first: BTreeMap<&str, Votes> = BTreeMap::new();
    let (h, sc) = (&mut host, &mut screen);

    h.send(ClientMsg::Start).await?;
    h.stage(Stage::Intro).await?;
    h.send(ClientMsg::Next).await?;
    match h.until(|m| matches!(m, ServerMsg::Facilitator(_))).await? {
        ServerMsg::Facilitator(f) => {
            assert_eq!(
                (f.question.as_str(), f.correct.as_slice()),
                ("q-single", &[1u8][..])
            );
            assert_eq!(f.prompt.as_deref(), Some("Why B?"));
        }
        other => anyhow::bail!("{other:?}"),
    }
    // q-single: passes, no answer from P28, and changed answers (highest client_seq wins).
    let v = flow::answer_all(&mut pupils, "q-single", 1, |i| match i {
        28 => vec![],
        _ if i % 10 == 9 => vec![Pass],
        _ if matches!(i % 7, 0) => vec![opts(&[3]), opts(&[(i % 4) as u8])],
        _ => vec![opts(&[(i % 4) as u8])],
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-single", &v, None).await?;
    lesson::reveal(h, sc, &mut pupils, &quiz, "q-single", &v).await?;
    // Second vote: everyone now picks B (P28 too); scores keep the first vote.
    h.send(ClientMsg::Revote).await?;
    let v2 = flow::answer_all(&mut pupils, "q-single", 2, |i| {
        vec![if i % 10 == 9 { Pass } else { opts(&[1]) }]
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-single", &v, Some(&v2)).await?;
    first.insert("q-single", v);

    h.send(ClientMsg::Next).await?;
    let v = flow::answer_all(&mut pupils, "q-multi", 1, |i| match i % 6 {
        0 => vec![opts(&[0, 2])],
        1 => vec![opts(&[0])],
        2 => vec![opts(&[0, 1])],
        3 => vec![opts(&[0, 1, 2])],
        4 => vec![opts(&[3])],
        _ => vec![Pass],
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-multi", &v, None).await?;
    lesson::reveal(h, sc, &mut pupils, &quiz, "q-multi", &v).await?;
    first.insert("q-multi", v);

    // q-tf: P29 joins late (while it is open); a pause refuses answers until resume.
    h.send(ClientMsg::Next).await?;
    h.until(|m| matches!(m, ServerMsg::Phase { stage: Stage::Open, question: Some(q), .. } if q == "q-tf")).await?;
    let mut late = flow::join(&server, &s.code).await?;
    flow::question(&mut late, "q-tf", 1).await?;
    pupils.push(late);
    h.joined(30).await?;
    h.send(ClientMsg::Pause).await?;
    h.until(|m| matches!(m, ServerMsg::Phase { paused: true, .. }))
        .await?;
    h.until(|m| matches!(m, ServerMsg::Timer { paused: true, .. }))
        .await?;
    flow::question(&mut pupils[0], "q-tf", 1).await?;
    let seq = pupils[0].seq + 1;
    let code = flow::refused(&mut pupils[0].client, "q-tf", 1, seq, opts(&[1])).await?;
    assert_eq!(code, ErrorCode::Paused);
    h.send(ClientMsg::Resume).await?;
    h.until(|m| matches!(m, ServerMsg::Phase { paused: false, .. }))
        .await?;
    let v = flow::answer_all(&mut pupils, "q-tf", 1, |i| match i {
        _ if i % 5 == 4 => vec![Pass],
        _ if i % 3 == 1 => vec![opts(&[0])],
        _ => vec![opts(&[1])],
    })
    .await?;
    assert_eq!(
        lesson::close(h, sc, &quiz, "q-tf", &v, None).await?,
        30,
        "pupils who could answer"
    );
    lesson::reveal(h, sc, &mut pupils, &quiz, "q-tf", &v).await?;
    first.insert("q-tf", v);

    // q-scale (opinion): a pupil asks to talk to an adult; the host is told at the next boundary
    // of the help window, not the screen.
    h.send(ClientMsg::Next).await?;
    pupils[3].client.send(&ClientMsg::TalkToAdult).await?;
    match h
        .until(|m| matches!(m, ServerMsg::HelpRequests { .. }))
        .await?
    {
        ServerMsg::HelpRequests { new, total } => assert_eq!((new, total), (1, 1)),
        other => anyhow::bail!("{other:?}"),
    }
    let v = flow::answer_all(&mut pupils, "q-scale", 1, |i| {
        vec![if i % 8 == 7 {
            Pass
        } else {
            opts(&[(i % 5) as u8])
        }]
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-scale", &v, None).await?;
    first.insert("q-scale", v);

    h.send(ClientMsg::Next).await?;
    let v = flow::answer_all(&mut pupils, "q-self", 1, |i| {
        vec![if i == 29 {
            Pass
        } else {
            opts(&[(i % 3) as u8])
        }]
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-self", &v, None).await?;
    lesson::reveal(h, sc, &mut pupils, &quiz, "q-self", &v).await?;
    first.insert("q-self", v);

    // q-skip: two answers, then the host skips straight to q-sensitive.
    h.send(ClientMsg::Next).await?;
    let v = flow::answer_all(&mut pupils, "q-skip", 1, |i| {
        if i < 2 {
            vec![opts(&[0])]
        } else {
            vec![]
        }
    })
    .await?;
    h.count("q-skip", 1, v.answered()).await?;
    h.send(ClientMsg::Skip).await?;
    let v = flow::answer_all(&mut pupils, "q-sensitive", 1, |i| match i {
        0 | 1 => vec![opts(&[1])],
        _ if i % 10 == 3 => vec![Pass],
        4..=8 => vec![opts(&[2])],
        _ => vec![opts(&[0])],
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-sensitive", &v, None).await?;
    // [20, 2, 5]: the 2 is hidden with the smallest large count, the passes stay shown.
    let d = v.distribution(model::question(&quiz, "q-sensitive")?, lesson::MIN);
    assert_eq!(
        (d.passed, d.counts),
        (Some(3), Some(vec![Some(20), None, None]))
    );
    first.insert("q-sensitive", v);

    // Review an earlier question, then carry on after the last one opened.
    h.send(ClientMsg::ShowResults {
        question: "q-multi".into(),
    })
    .await?;
    h.stage(Stage::Review).await?;
    let want = Shown {
        results: first["q-multi"].distribution(model::question(&quiz, "q-multi")?, lesson::MIN),
        second_vote: None,
        correct: Some(vec![0, 2]),
    };
    for w in [&mut *h, &mut *sc] {
        assert_eq!(w.results("q-multi").await?, want, "show_results q-multi");
    }
    h.send(ClientMsg::Next).await?;
    let v = flow::answer_all(&mut pupils, "q-self-multi", 1, |i| match (i, i % 4) {
        (5, _) => vec![],
        (29, _) => vec![opts(&[1, 3])],
        (_, 0) => vec![opts(&[0, 1, 3])],
        (_, 1) => vec![opts(&[1])],
        (_, 2) => vec![opts(&[2])],
        _ => vec![opts(&[0, 3])],
    })
    .await?;
    lesson::close(h, sc, &quiz, "q-self-multi", &v, None).await?;
    lesson::reveal(h, sc, &mut pupils, &quiz, "q-self-multi", &v).await?;
    first.insert("q-self-multi", v);

    h.send(ClientMsg::Next).await?;
    lesson::check_results(&quiz, &mut pupils, &first).await?;
    let expected: Vec<u8> = (0..30)
        .filter_map(|i| lesson::expected(&quiz, &first, i).score)
        .collect();
    let ServerMsg::Summary(sum) = h.until(|m| matches!(m, ServerMsg::Summary(_))).await? else {
        unreachable!()
    };
    lesson::check_summary(&quiz, &sum, &first, &v2, &expected)?;
    let ServerMsg::Summary(on_screen) = sc.until(|m| matches!(m, ServerMsg::Summary(_))).await?
    else {
        unreachable!()
    };
    assert_eq!(on_screen, sum, "the screen shows the same summary");
    flow::check_log(&host.log, false)?;
    flow::check_log(&screen.log, true)?;
    Ok(())
}

/// With fewer than `min_count` answers only their number is shown (not even the passes, which
/// would give the rest), and a pupil with fewer than three scored answers has no class score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn few_answers_hide_the_distribution() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let quiz = model::fixture("test-kinds")?;
    let (s, mut host, mut screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
    let mut pupils = flow::join_many(&server, &s.code, 3).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    let v = flow::answer_all(&mut pupils, "q-single", 1, |i| {
        [vec![opts(&[1])], vec![Pass], vec![]][i].clone()
    })
    .await?;
    let d = v.distribution(model::question(&quiz, "q-single")?, lesson::MIN);
    assert_eq!((d.answered, d.passed, d.counts), (2, None, None));
    lesson::close(&mut host, &mut screen, &quiz, "q-single", &v, None).await?;
    lesson::reveal(&mut host, &mut screen, &mut pupils, &quiz, "q-single", &v).await?;
    // One scored answer at most: no class score, so no histogram, mean or median.
    host.send(ClientMsg::Finish).await?;
    let ServerMsg::Summary(sum) = host.until(|m| matches!(m, ServerMsg::Summary(_))).await? else {
        unreachable!()
    };
    assert_eq!(
        (sum.pupils, sum.scored, sum.mean, sum.median),
        (3, 0, None, None)
    );
    assert_eq!((sum.scored_questions, sum.counted_questions), (1, 0));
    assert!(sum.histogram.is_empty());
    flow::check_log(&screen.log, true)
}

/// Challenge mode: distinct pseudonyms, the host's player list, a podium of at most three, a rank
/// only for pupils in the top third, and +30 s only on a timed question.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_mode() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let body = json!({"quiz": "test-challenge", "mode": "challenge"});
    let (s, mut host, mut screen) = flow::host_and_screen(&server, body).await?;
    let mut pupils = flow::join_many(&server, &s.code, 9).await?;
    let names: Vec<String> = pupils
        .iter()
        .filter_map(|p| p.welcome.name.clone())
        .collect();
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert!(
        names.len() == 9 && distinct.len() == 9 && names.iter().all(|n| !n.is_empty()),
        "{names:?}"
    );
    let listed = host
        .until(|m| matches!(m, ServerMsg::Players { players } if players.len() == 9))
        .await?;
    let ServerMsg::Players { players } = listed else {
        unreachable!()
    };
    assert_eq!(
        players.iter().map(|p| &p.name).collect::<BTreeSet<_>>(),
        distinct
    );
    let top: BTreeSet<&String> = names[..3].iter().collect();

    host.send(ClientMsg::Start).await?;
    for (q, right) in [("c1", 0u8), ("c2", 0), ("c3", 1)] {
        host.send(ClientMsg::Next).await?;
        let Some(p0) = pupils.first_mut() else {
            unreachable!()
        };
        let asked = flow::question_on(&mut p0.client, q, 1).await?;
        p0.open = Some((q.to_owned(), 1));
        let ServerMsg::Question { time_left_ms, .. } = asked.msg else {
            unreachable!()
        };
        host.send(ClientMsg::AddTime).await?;
        if q == "c3" {
            assert!(
                time_left_ms.is_some_and(|t| t <= 300_000),
                "{time_left_ms:?}"
            );
            let more = host.until(|m| matches!(m, ServerMsg::Timer { .. })).await?;
            assert!(
                matches!(more, ServerMsg::Timer { time_left_ms: Some(t), .. } if t > 300_000),
                "{more:?}"
            );
        } else {
            assert_eq!(time_left_ms, None);
            let e = host.until(|m| matches!(m, ServerMsg::Error { .. })).await?;
            assert!(
                matches!(
                    e,
                    ServerMsg::Error {
                        code: ErrorCode::NoTimer,
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        let wrong: Choice = opts(&[1 - right]);
        let v = flow::answer_all(&mut pupils, q, 1, |i| {
            vec![if i < 3 { opts(&[right]) } else { wrong.clone() }]
        })
        .await?;
        host.count(q, 1, v.answered()).await?;
        host.send(ClientMsg::Reveal).await?;
        match flow::reveal_all(&mut pupils, q).await? {
            ServerMsg::Reveal { podium, .. } => assert!(podium.is_empty(), "phones get no podium"),
            other => anyhow::bail!("{other:?}"),
        }
        for w in [&mut host, &mut screen] {
            let ServerMsg::Reveal { podium, .. } =
                w.until(|m| matches!(m, ServerMsg::Reveal { .. })).await?
            else {
                unreachable!()
            };
            assert!(
                podium.len() <= 3 && podium.iter().all(|e| top.contains(&e.name)),
                "{podium:?}"
            );
        }
    }
    host.send(ClientMsg::Next).await?;
    let ServerMsg::Summary(sum) = host.until(|m| matches!(m, ServerMsg::Summary(_))).await? else {
        unreachable!()
    };
    assert!(
        !sum.podium.is_empty() && sum.podium.len() <= 3,
        "{:?}",
        sum.podium
    );
    assert!(
        sum.podium
            .iter()
            .all(|e| top.contains(&e.name) && (1..=3).contains(&e.rank)),
        "{:?}",
        sum.podium
    );
    let mut points = Vec::new();
    for (i, p) in pupils.iter_mut().enumerate() {
        let ServerMsg::Result(r) = p
            .client
            .recv_until(T, |m| matches!(m, ServerMsg::Result(_)))
            .await?
            .msg
        else {
            unreachable!()
        };
        if i < 3 {
            assert!(
                r.rank.is_some_and(|k| (1..=3).contains(&k)),
                "pupil {i} in the top third: {:?}",
                r.rank
            );
        } else {
            assert_eq!(r.rank, None, "pupil {i} is not in the top third");
        }
        points.push(r.points.unwrap_or(0));
    }
    assert!(
        points[..3].iter().min() > points[3..].iter().max(),
        "points {points:?}"
    );
    flow::check_log(&screen.log, true)?;
    flow::check_log(&host.log, false)
}

/// "Talk to an adult" does not tell the teacher who tapped by its timing: no alert at once (not
/// even the first of the lesson), not in the snapshot of a console reloaded right after the tap;
/// then at the window's boundary one alert for every tap in the window, which a console attached
/// afterwards also shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_help_alert_leaves_at_its_window_boundary_not_at_the_tap() -> anyhow::Result<()> {
    // The default window (a minute of session time): this test is over long before the first
    // boundary, so no alert may reach a host while it runs.
    let server = TestServer::plain().await?;
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    pupils[0].client.send(&ClientMsg::TalkToAdult).await?;
    pupils[1].client.send(&ClientMsg::TalkToAdult).await?;
    // Pupil input is taken in order: once this answer is acknowledged, both taps are recorded.
    flow::question(&mut pupils[1], "q-single", 1).await?;
    flow::answer(&mut pupils[1].client, "q-single", 1, 1, opts(&[0])).await?;
    host.send(ClientMsg::Pause).await?;
    host.until(|m| matches!(m, ServerMsg::Phase { paused: true, .. }))
        .await?;
    let mut reloaded = server.connect().await?;
    reloaded.hello_host(&s.code, &s.host_secret).await?;
    reloaded.send(&ClientMsg::Ping { nonce: 1 }).await?;
    let (_, before) = reloaded
        .recv_until_collect(T, |m| matches!(m, ServerMsg::Pong { .. }))
        .await?;
    for log in [
        host.log.iter().map(|r| &r.env).collect::<Vec<_>>(),
        before.iter().collect(),
    ] {
        assert!(
            !log.iter()
                .any(|e| matches!(e.msg, ServerMsg::HelpRequests { .. })),
            "a help alert before its boundary: {log:?}"
        );
    }

    // A one-second window: the alert comes at the next whole second of session time.
    let server = TestServer::start(|c| c.help_window = Duration::from_secs(1)).await?;
    let (s, mut host, mut screen, mut pupils) = flow::started(&server, 3).await?;
    pupils[0].client.send(&ClientMsg::TalkToAdult).await?;
    let alert = host
        .until(|m| matches!(m, ServerMsg::HelpRequests { .. }))
        .await?;
    assert_eq!(alert, ServerMsg::HelpRequests { new: 1, total: 1 });
    let mut later = server.connect().await?;
    later.hello_host(&s.code, &s.host_secret).await?;
    flow::snapshot(&mut later, &["phase", "help_requests"]).await?;
    screen.send(ClientMsg::Ping { nonce: 2 }).await?;
    screen
        .until(|m| matches!(m, ServerMsg::Pong { .. }))
        .await?;
    flow::check_log(&screen.log, true)
}
