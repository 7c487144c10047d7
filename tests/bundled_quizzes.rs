//! A whole session of every bundled quiz through the real server: a host, a screen and five
//! pupils, every question opened, answered, closed and revealed, then the private results and the
//! class summary.
//!
//! The eight sessions run at once on one in-process server (`tests/common`), so the test stays
//! fast on two cores. Every wait is for an expected message, with a timeout; nothing sleeps.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, ensure, Context};
use common::flow::{self, Pupil, Watcher};
use common::model::{self, Votes};
use common::{lesson, TestServer, T};
use futures_util::future::try_join_all;
use loupe::protocol::{Choice, ClientMsg, Facilitator, ServerMsg, Stage};
use loupe::quiz::model::{Question, QuestionKind, Quiz, Scoring};
use loupe_tools::client::msg_type;
use serde_json::json;

/// Pupils in each session.
const PUPILS: usize = 5;
/// Picks the choice worth the most points on every question (the first option on opinion ones).
const BEST: usize = 0;
/// Picks the choice worth the fewest points (the last option on opinion ones).
const WORST: usize = 1;
/// Passes every question ("I'd rather not answer").
const PASSER: usize = 4;

/// Every bundled quiz, parsed with the public API.
fn bundled() -> anyhow::Result<Vec<Quiz>> {
    loupe::quiz::bundled()
        .iter()
        .map(|(file, text)| {
            loupe::quiz::parse_quiz(file, text)
                .map_err(|p| anyhow::anyhow!("{file} does not load: {p:?}"))
        })
        .collect()
}

/// Every valid non-pass choice on a question: each option alone, and for `multiple` every
/// non-empty set of options.
fn choices(q: &Question) -> Vec<Choice> {
    let n = u8::try_from(q.options.len()).unwrap_or(u8::MAX).min(8);
    if q.kind == QuestionKind::Multiple {
        (1u32..(1 << n))
            .map(|set| model::opts(&(0..n).filter(|i| set & (1 << i) != 0).collect::<Vec<_>>()))
            .collect()
    } else {
        (0..n).map(|i| model::opts(&[i])).collect()
    }
}

/// What pupil `i` answers to question number `k`: the best, the worst, a pass, or an option that
/// changes with the pupil and the question (two options on a `multiple` question).
fn plan(quiz: &Quiz, k: usize, i: usize) -> Choice {
    let q = &quiz.questions[k];
    let all = choices(q);
    let unit = model::unit(quiz);
    let earned = |c: &Choice| model::points(q, c, unit).map_or(0, |p| p.0);
    let n = q.options.len();
    match i {
        PASSER => Some(Choice::Pass),
        BEST => all.iter().rev().max_by_key(|c| earned(c)).cloned(),
        WORST => all.iter().rev().min_by_key(|c| earned(c)).cloned(),
        _ if q.kind == QuestionKind::Multiple => {
            let mut two = [(i + k) % n, (i + k + 1) % n].map(|o| o as u8);
            two.sort_unstable();
            Some(model::opts(&two))
        }
        _ => Some(model::opts(&[((i + k) % n) as u8])),
    }
    .unwrap_or(Choice::Pass)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bundled_quiz_runs_a_whole_session() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let quizzes = bundled()?;
    assert_eq!(quizzes.len(), 8, "the eight bundled quizzes");
    try_join_all(quizzes.iter().map(|quiz| async {
        whole_session(&server, quiz)
            .await
            .with_context(|| format!("session of {}", quiz.id))
    }))
    .await?;
    Ok(())
}

/// Runs one quiz from the lobby to the finish and checks what everyone received.
async fn whole_session(server: &TestServer, quiz: &Quiz) -> anyhow::Result<()> {
    let (s, mut host, mut screen) =
        flow::host_and_screen(server, json!({ "quiz": quiz.id })).await?;
    let mut pupils = flow::join_many(server, &s.code, PUPILS).await?;
    host.joined(PUPILS as u32).await?;
    host.send(ClientMsg::Start).await?;
    host.stage(Stage::Intro).await?;

    let mut first: BTreeMap<String, Votes> = BTreeMap::new();
    for (k, q) in quiz.questions.iter().enumerate() {
        host.send(ClientMsg::Next).await?;
        host.until(|m| matches!(m, ServerMsg::Facilitator(f) if f.question == q.id))
            .await
            .with_context(|| format!("facilitator notes of {}", q.id))?;
        let votes = flow::answer_all(&mut pupils, &q.id, 1, |i| vec![plan(quiz, k, i)]).await?;
        lesson::close(&mut host, &mut screen, quiz, &q.id, &votes, None).await?;
        lesson::reveal(&mut host, &mut screen, &mut pupils, quiz, &q.id, &votes).await?;
        first.insert(q.id.clone(), votes);
    }
    host.send(ClientMsg::Next).await?;
    host.stage(Stage::Finished).await?;

    check_results(quiz, &mut pupils, &first).await?;
    let summary = check_summary(quiz, &mut host, &first).await?;
    let on_screen = screen.until(|m| matches!(m, ServerMsg::Summary(_))).await?;
    ensure!(on_screen == summary, "the screen shows the host's summary");
    check_facilitator(quiz, &host, &screen)?;
    flow::check_log(&host.log, false)?;
    flow::check_log(&screen.log, true)
}

/// Each pupil's private result: the score the documented rules give (100 for the best answers,
/// 0 for the worst, none for the pupil who always passed), with its band.
async fn check_results(
    quiz: &Quiz,
    pupils: &mut [Pupil],
    first: &BTreeMap<String, Votes>,
) -> anyhow::Result<()> {
    let scored: Vec<&Question> = quiz
        .questions
        .iter()
        .filter(|q| q.scoring() != Scoring::Opinion)
        .collect();
    for (i, p) in pupils.iter_mut().enumerate() {
        let env = p
            .client
            .recv_until(T, |m| matches!(m, ServerMsg::Result(_)))
            .await
            .with_context(|| format!("pupil {i}'s result"))?;
        let ServerMsg::Result(r) = env.msg else {
            bail!("not a result: {:?}", env.msg)
        };
        let answers: Vec<_> = scored
            .iter()
            .map(|q| (*q, first.get(&q.id).and_then(|v| v.get(i))))
            .collect();
        let want = model::expected(quiz, &answers);
        ensure!(
            r.score == want.score,
            "pupil {i}: score {:?}, expected {:?}",
            r.score,
            want.score
        );
        ensure!(r.score.is_none_or(|s| s <= 100), "pupil {i}: {r:?}");
        let extreme = match i {
            BEST => Some(Some(100)),
            WORST => Some(Some(0)),
            PASSER => Some(None),
            _ => None,
        };
        ensure!(
            extreme.is_none_or(|e| r.score == e),
            "pupil {i}: score {:?}",
            r.score
        );
        ensure!(
            r.scored_questions == want.scored_questions
                && r.present_questions == scored.len() as u32,
            "pupil {i}: {} scored of {} present",
            r.scored_questions,
            r.present_questions
        );
        let band = r
            .score
            .and_then(|s| quiz.band_for(s))
            .map(|b| b.title.clone());
        ensure!(r.band_title == band, "pupil {i}: band {:?}", r.band_title);
        ensure!(!r.resources.is_empty(), "pupil {i}: no help resources");
    }
    Ok(())
}

/// The class summary: every question, in order, none skipped, with the first-vote results.
async fn check_summary(
    quiz: &Quiz,
    host: &mut Watcher,
    first: &BTreeMap<String, Votes>,
) -> anyhow::Result<ServerMsg> {
    let msg = host.until(|m| matches!(m, ServerMsg::Summary(_))).await?;
    let ServerMsg::Summary(sum) = &msg else {
        bail!("not a summary: {msg:?}")
    };
    ensure!(
        (sum.pupils, sum.scored) == (PUPILS as u32, PUPILS as u32 - 1),
        "pupils {}, scored {}",
        sum.pupils,
        sum.scored
    );
    let ids: Vec<&str> = sum.questions.iter().map(|q| q.question.as_str()).collect();
    let want: Vec<&str> = quiz.questions.iter().map(|q| q.id.as_str()).collect();
    ensure!(ids == want, "summary questions {ids:?}");
    for (qs, q) in sum.questions.iter().zip(&quiz.questions) {
        ensure!(!qs.skipped, "{}: skipped", q.id);
        let votes = first
            .get(&q.id)
            .with_context(|| format!("no votes for {}", q.id))?;
        ensure!(
            qs.results == votes.distribution(q, lesson::MIN),
            "{}: summary results {:?}",
            q.id,
            qs.results
        );
    }
    Ok(msg)
}

/// The host got the notes of every question, exactly as written in the quiz; the screen got none.
fn check_facilitator(quiz: &Quiz, host: &Watcher, screen: &Watcher) -> anyhow::Result<()> {
    let notes: BTreeMap<&str, &Facilitator> = host
        .log
        .iter()
        .filter_map(|r| match &r.env.msg {
            ServerMsg::Facilitator(f) => Some((f.question.as_str(), f)),
            _ => None,
        })
        .collect();
    let ids: BTreeSet<&str> = notes.keys().copied().collect();
    let want: BTreeSet<&str> = quiz.questions.iter().map(|q| q.id.as_str()).collect();
    ensure!(ids == want, "facilitator notes for {ids:?}");
    for q in &quiz.questions {
        let f = notes[q.id.as_str()];
        let n = &q.notes;
        let got = [&f.prompt, &f.key_fact, &f.source, &f.tip];
        ensure!(
            got == [&n.prompt, &n.key_fact, &n.source, &n.tip] && got.iter().all(|t| t.is_some()),
            "{}: notes {f:?}",
            q.id
        );
    }
    let leaked: Vec<String> = screen
        .log
        .iter()
        .map(|r| msg_type(&r.env.msg))
        .filter(|t| t == "facilitator")
        .collect();
    ensure!(
        leaked.is_empty(),
        "the screen got {} facilitator notes",
        leaked.len()
    );
    Ok(())
}
