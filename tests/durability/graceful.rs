//! SIGTERM mid-session: every client is told 1012, the process exits 0 within 5 s, and after a
//! restart everyone resumes with every acknowledged answer in place.

use std::time::{Duration, Instant};

use anyhow::ensure;
use futures_util::future::try_join_all;
use loupe::protocol::{close, ClientMsg};
use serde_json::json;
use tokio::sync::watch;

use crate::common::model;
use crate::common::T;
use crate::lesson::{choice, Class};
use crate::proc::{Loupe, Scratch};
use crate::serial;

const QUESTIONS: [&str; 2] = ["q-single", "q-multi"];

/// A host, a screen and 30 pupils; `q-single` is open, 20 pupils have acknowledged answers and 5
/// send theirs as the signal goes. On SIGTERM every socket gets close code 1012 and the process
/// exits with status 0 within 5 s. The phones reconnect with [`loupe_tools::reconnect::Backoff`] while
/// the server restarts on the same `--data`; the question comes back paused, every acknowledged
/// answer is in the snapshot, and the lesson finishes with exactly the acknowledged answers.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_with_1012_and_everyone_resumes() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let quiz = model::fixture("test-kinds")?;
    let scratch = Scratch::new("graceful")?;
    let server = Loupe::start(&scratch, &[]).await?;
    let url = server.ws_url();
    let body = json!({"quiz": "test-kinds", "questions": QUESTIONS});
    let mut class = Class::open(server.addr, &url, body, 30).await?;
    class
        .answer_all("q-single", |i| (i < 20).then(|| choice("q-single", i)))
        .await?;
    for p in class
        .phones
        .iter_mut()
        .filter(|p| (20..25).contains(&p.idx))
    {
        p.answer("q-single", 1, choice("q-single", p.idx)).await;
    }

    let Class {
        phones,
        host,
        screen,
        ..
    } = &mut class;
    let phones = try_join_all(phones.iter_mut().map(|p| p.drain_to_close(T)));
    let watchers = async {
        let host = host.client.recv_close(T).await?.0;
        let screen = screen.client.recv_close(T).await?.0;
        anyhow::Ok([host, screen])
    };
    let (stopped, phones, watchers) =
        tokio::join!(server.terminate(Duration::from_secs(5)), phones, watchers);
    let (status, took) = stopped?;
    ensure!(status.success(), "loupe exited with {status} after SIGTERM");
    let codes: Vec<Option<u16>> = phones?.into_iter().chain(watchers?).collect();
    ensure!(
        codes.iter().all(|c| *c == Some(close::RESTART)),
        "close codes on SIGTERM: {codes:?}"
    );
    let acked = class
        .phones
        .iter()
        .filter(|p| p.acked_seq("q-single", 1) > 0)
        .count();

    // The phones start reconnecting at once (with backoff); the server comes back meanwhile.
    let down = Instant::now();
    let (publish, server_at) = watch::channel(None);
    let restart = async {
        let back = Loupe::start(&scratch, &[]).await?;
        publish.send_replace(Some(back.ws_url()));
        anyhow::Ok((back, down.elapsed()))
    };
    let (back, resumed) = tokio::join!(restart, class.come_back(&server_at, "q-single"));
    let (back, restart) = back?;
    let [_, counted, _] = resumed?;
    let resumed = down.elapsed();

    for p in &mut class.phones {
        let seq = match p.resend_pending("q-single", 1).await {
            Some(seq) => seq,
            None if p.idx >= 25 => p.answer("q-single", 1, choice("q-single", p.idx)).await,
            None => continue,
        };
        p.acked_up_to("q-single", 1, seq, T).await?;
    }
    class.close(&quiz, "q-single").await?;
    class.host.send(ClientMsg::Next).await?;
    class
        .answer_all("q-multi", |i| Some(choice("q-multi", i)))
        .await?;
    class.close(&quiz, "q-multi").await?;
    class.finish(&quiz, &QUESTIONS).await?;
    back.stop().await?;
    eprintln!(
        "graceful: {acked} of 30 acknowledged before SIGTERM, {counted} found after the restart; exit took {took:?}; restart {restart:?}, \
         everyone resumed {resumed:?} after the exit; whole test {:?}",
        started.elapsed()
    );
    Ok(())
}
