//! The example through the real server: a sensitive true/false question, 6 answers, 5
//! "true" against 1 "false". Nothing a phone, the projector, the console, `GET /api/reports` or
//! its CSV receives lets anyone compute the 1; the class scores leave that question out.

mod common;

use anyhow::{ensure, Context};
use common::flow::{self, Watcher};
use common::model::opts;
use common::raw_http;
use common::{TestServer, T};
use loupe::protocol::{ClientMsg, ServerMsg, Stage};
use serde_json::{json, Value};

/// Which option pupil `i` picks.
type Pick = fn(usize) -> u8;

/// Every distribution of question `q` in `v` (results, reveals, summaries, reports).
fn rounds_of<'v>(v: &'v Value, q: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(map) => {
            if map.get("question").and_then(Value::as_str) == Some(q) {
                out.extend(map.get("results"));
                out.extend(map.get("second_vote").filter(|d| !d.is_null()));
            }
            map.values().for_each(|v| rounds_of(v, q, out));
        }
        Value::Array(items) => items.iter().for_each(|v| rounds_of(v, q, out)),
        _ => {}
    }
}

/// Checks every published round of `q-tf` in `texts` (JSON messages or reports) says only "6".
fn only_the_answers(texts: &[String], who: &str) -> anyhow::Result<usize> {
    let mut n = 0;
    for text in texts {
        let v: Value = serde_json::from_str(text).with_context(|| format!("{who}: {text}"))?;
        let mut found = Vec::new();
        rounds_of(&v, "q-tf", &mut found);
        for d in found {
            ensure!(
                *d == json!({"answered": 6, "passed": null, "counts": null}),
                "{who} got {d} for q-tf: the 1 can be worked out"
            );
            n += 1;
        }
    }
    Ok(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_against_one_gives_nothing_away() -> anyhow::Result<()> {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/disclosure");
    let server = TestServer::start(|c| c.quizzes = Some(dir)).await?;
    let (s, mut host, mut screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-disclosure"})).await?;
    let mut pupils = flow::join_many(&server, &s.code, 6).await?;
    host.joined(6).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    let mut phones: Vec<Vec<String>> = vec![Vec::new(); 6];
    // q-tf: 5 "true", 1 "false"; then three questions everyone gets right.
    let plan: [(&str, Pick); 4] = [
        ("q-tf", |i| u8::from(i == 5)),
        ("q-a", |_| 0),
        ("q-b", |_| 1),
        ("q-c", |_| 0),
    ];
    for (k, (q, pick)) in plan.iter().enumerate() {
        if k > 0 {
            host.send(ClientMsg::Next).await?;
        }
        flow::answer_all(&mut pupils, q, 1, |i| vec![opts(&[pick(i)])]).await?;
        host.count(q, 1, 6).await?;
        host.send(ClientMsg::Reveal).await?;
        for (p, seen) in pupils.iter_mut().zip(&mut phones) {
            let got = p
                .client
                .recv_until_text(
                    T,
                    |m| matches!(m, ServerMsg::Reveal { question, .. } if question == q),
                )
                .await?;
            seen.extend(got.into_iter().map(|r| r.text));
        }
        for w in [&mut host, &mut screen] {
            w.results(q).await?;
        }
    }
    // The host shows q-tf again, then finishes.
    host.send(ClientMsg::ShowResults {
        question: "q-tf".into(),
    })
    .await?;
    host.stage(Stage::Review).await?;
    screen.results("q-tf").await?;
    host.send(ClientMsg::Finish).await?;
    let ServerMsg::Summary(sum) = host.until(|m| matches!(m, ServerMsg::Summary(_))).await? else {
        unreachable!()
    };
    screen.until(|m| matches!(m, ServerMsg::Summary(_))).await?;
    for (p, seen) in pupils.iter_mut().zip(&mut phones) {
        let got = p
            .client
            .recv_until_text(T, |m| matches!(m, ServerMsg::Result(_)))
            .await?;
        seen.extend(got.into_iter().map(|r| r.text));
    }
    // The class scores leave q-tf out: every pupil is in the same range, so they say nothing of
    // who answered what.
    ensure!(
        (sum.scored_questions, sum.counted_questions, sum.scored) == (4, 3, 6),
        "{sum:?}"
    );
    let bins: Vec<(u8, u8, u32)> = sum
        .histogram
        .iter()
        .map(|b| (b.from, b.to, b.pupils))
        .collect();
    ensure!(
        bins.iter().filter(|b| b.2 > 0).eq([(90, 100, 6)].iter()),
        "{bins:?}"
    );

    let log = |w: &Watcher| w.log.iter().map(|r| r.text.clone()).collect::<Vec<_>>();
    ensure!(
        only_the_answers(&log(&host), "the console")? >= 4,
        "the console saw q-tf"
    );
    ensure!(
        only_the_answers(&log(&screen), "the projector")? >= 4,
        "the projector saw q-tf"
    );
    for (i, seen) in phones.iter().enumerate() {
        ensure!(
            only_the_answers(seen, &format!("phone {i}"))? >= 1,
            "phone {i} saw the reveal"
        );
    }
    // The report and its CSV, once the session ended.
    host.send(ClientMsg::End).await?;
    host.client.recv_close(T).await?;
    let auth = format!("Bearer {}", s.host_secret);
    let addr = server.http_url().trim_start_matches("http://").to_owned();
    // The report is written with the deletion of the session's journal, just after the close:
    // poll for it, within the usual wait.
    let path = format!("/api/reports/{}", s.code);
    let deadline = std::time::Instant::now() + T;
    let report = loop {
        let r = raw_http::get(&addr, &path, &[("Authorization", &auth)]).await?;
        if r.status != 404 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    ensure!(report.status == 200, "{report:?}");
    let report = report.text()?;
    ensure!(
        only_the_answers(std::slice::from_ref(&report), "the report")? == 1,
        "{report}"
    );
    let csv = raw_http::get(
        &addr,
        &format!("/api/reports/{}/csv", s.code),
        &[("Authorization", &auth)],
    )
    .await?
    .text()?;
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains("It has happened to me"))
        .collect();
    ensure!(rows.len() == 3, "{csv}");
    for row in rows {
        ensure!(
            row.starts_with("'=It has happened"),
            "a formula-like cell: {row}"
        );
        ensure!(
            row.ends_with(",hidden,"),
            "the CSV gives a count away: {row}"
        );
    }
    ensure!(csv.contains("'+1 or -1?,'+1,yes,6,"), "{csv}");
    Ok(())
}

/// Challenge mode: a pupil who answered one question (and left) gets no score, no points and
/// no rank, and is not on the podium; the others, with three counted answers, are ranked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_leaver_gets_no_score_and_no_rank() -> anyhow::Result<()> {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/disclosure");
    let server = TestServer::start(|c| c.quizzes = Some(dir)).await?;
    let body = json!({"quiz": "test-disclosure", "mode": "challenge"});
    let (s, mut host, _screen) = flow::host_and_screen(&server, body).await?;
    let mut pupils = flow::join_many(&server, &s.code, 4).await?;
    host.joined(4).await?;
    host.send(ClientMsg::Start).await?;
    // Pupil 3 answers q-a only (right); the others answer everything, pupil 0 always right.
    for (k, q) in ["q-tf", "q-a", "q-b", "q-c"].into_iter().enumerate() {
        host.send(ClientMsg::Next).await?;
        let right = if q == "q-b" { 1 } else { 0 };
        let v = flow::answer_all(&mut pupils, q, 1, |i| match i {
            3 if q != "q-a" => vec![],
            1 if k == 3 => vec![opts(&[1 - right])],
            _ => vec![opts(&[right])],
        })
        .await?;
        host.count(q, 1, v.answered()).await?;
        host.send(ClientMsg::Reveal).await?;
        host.until(|m| matches!(m, ServerMsg::Reveal { question, .. } if question == q))
            .await?;
    }
    host.send(ClientMsg::Finish).await?;
    let ServerMsg::Summary(sum) = host.until(|m| matches!(m, ServerMsg::Summary(_))).await? else {
        unreachable!()
    };
    let early = pupils[3].welcome.name.clone().context("a pseudonym")?;
    ensure!(
        !sum.podium.is_empty() && sum.podium.iter().all(|e| e.name != early),
        "{:?}",
        sum.podium
    );
    ensure!(sum.scored == 3, "{sum:?}");
    for (i, p) in pupils.iter_mut().enumerate() {
        let env = p
            .client
            .recv_until(T, |m| matches!(m, ServerMsg::Result(_)))
            .await?;
        let ServerMsg::Result(r) = env.msg else {
            unreachable!()
        };
        if i == 3 {
            ensure!(
                (
                    r.score,
                    r.points,
                    r.rank,
                    r.scored_questions,
                    r.min_questions
                ) == (None, None, None, 1, 3),
                "the early leaver: {r:?}"
            );
        } else {
            ensure!(r.score.is_some() && r.points.is_some(), "pupil {i}: {r:?}");
        }
        if i == 0 {
            ensure!(r.rank == Some(1), "pupil 0 is first: {r:?}");
        }
    }
    Ok(())
}
