//! kill -9 mid-question: every acknowledged answer survives, nothing is counted twice.

use std::time::Instant;

use loupe::protocol::{ClientMsg, ServerMsg};
use serde_json::json;
use tokio::sync::watch;

use crate::common::model;
use crate::common::T;
use crate::lesson::{choice, Class};
use crate::proc::{Loupe, Scratch};
use crate::serial;

const QUESTIONS: [&str; 3] = ["q-single", "q-multi", "q-tf"];

/// A real server with a host, a screen and 50 pupils is killed with SIGKILL while `q-multi` is
/// open: 25 pupils have acknowledged answers (some changed theirs), 15 have sent answers without
/// waiting, 10 have not answered. Restarted on the same `--data`, the session has the same code;
/// host, screen and every pupil resume with their secrets and tokens; the question is paused; each
/// snapshot brings back the pupil's acknowledged answer; unacknowledged answers are re-sent with
/// the same `client_seq`. The lesson then finishes with tallies, scores and summary equal to
/// exactly the acknowledged answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_question_loses_no_acknowledged_answer() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let quiz = model::fixture("test-kinds")?;
    let scratch = Scratch::new("crash")?;
    let server = Loupe::start(&scratch, &[]).await?;
    let url = server.ws_url();
    let body = json!({"quiz": "test-kinds", "questions": QUESTIONS});
    let mut class = Class::open(server.addr, &url, body, 50).await?;

    class
        .answer_all("q-single", |i| Some(choice("q-single", i)))
        .await?;
    class.close(&quiz, "q-single").await?;
    class.host.send(ClientMsg::Next).await?;

    // q-multi: 0..25 answer and get their acks (every fifth changes its mind, acked too).
    class
        .answer_all("q-multi", |i| (i < 25).then(|| choice("q-multi", i + 1)))
        .await?;
    for p in class
        .phones
        .iter_mut()
        .filter(|p| p.idx < 25 && p.idx % 5 == 0)
    {
        let seq = p.answer("q-multi", 1, choice("q-multi", p.idx)).await;
        p.acked_up_to("q-multi", 1, seq, T).await?;
    }
    class
        .host
        .until(|m| matches!(m, ServerMsg::Answers { question, count, .. } if question == "q-multi" && *count >= 25))
        .await?;
    // 25..40 send without waiting (every third twice, the second replacing the first), and the
    // server dies with these answers somewhere between the socket and the disk.
    for p in class
        .phones
        .iter_mut()
        .filter(|p| (25..40).contains(&p.idx))
    {
        if p.idx % 3 == 0 {
            p.answer("q-multi", 1, choice("q-multi", p.idx + 1)).await;
        }
        p.answer("q-multi", 1, choice("q-multi", p.idx)).await;
    }
    server.kill().await?;
    let killed = Instant::now();

    // Whatever reached a phone before the kill was acknowledged; the sockets then drop.
    for p in &mut class.phones {
        p.drain_to_close(T).await?;
    }
    for w in [&mut class.host, &mut class.screen] {
        w.client.recv_close(T).await?;
    }
    let acked = class
        .phones
        .iter()
        .filter(|p| p.acked_seq("q-multi", 1) > 0)
        .count();
    let pending = class
        .phones
        .iter()
        .filter(|p| p.pending("q-multi", 1).is_some())
        .count();

    let (publish, server_at) = watch::channel(None);
    let back = Loupe::start(&scratch, &[]).await?;
    let restart = killed.elapsed();
    publish.send_replace(Some(back.ws_url()));
    let [_, counted, _] = class.come_back(&server_at, "q-multi").await?;
    let resumed = killed.elapsed();

    // Unacknowledged answers go again with the same client_seq; a few acknowledged ones too
    // (re-acknowledged, not counted again); the last ten answer now.
    for p in &mut class.phones {
        let before = p.acks;
        if let Some(seq) = p.resend_pending("q-multi", 1).await {
            p.acked_up_to("q-multi", 1, seq, T).await?;
        } else if p.idx % 7 == 0 && p.acked_seq("q-multi", 1) > 0 {
            let seq = p.acked_seq("q-multi", 1);
            let Some(again) = p.sent("q-multi", 1, seq).cloned() else {
                anyhow::bail!("pupil {}: acked seq {seq} was never sent", p.idx);
            };
            p.send_answer("q-multi", 1, seq, again).await;
            p.until(T, "a re-acknowledgement", |p| p.acks > before)
                .await?;
        } else if p.idx >= 40 {
            let seq = p.answer("q-multi", 1, choice("q-multi", p.idx)).await;
            p.acked_up_to("q-multi", 1, seq, T).await?;
        }
    }
    class.close(&quiz, "q-multi").await?;
    class.host.send(ClientMsg::Next).await?;
    class
        .answer_all("q-tf", |i| Some(choice("q-tf", i)))
        .await?;
    class.close(&quiz, "q-tf").await?;
    class.finish(&quiz, &QUESTIONS).await?;
    back.stop().await?;
    eprintln!(
        "crash: {acked} of 50 acknowledged and {pending} pending at the kill, {counted} found after \
         the restart; restart took {restart:?}, everyone resumed {resumed:?} after the kill; whole \
         test {:?}",
        started.elapsed()
    );
    Ok(())
}
