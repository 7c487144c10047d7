//! Smoke test at auditorium scale: 2,000 pupils through one question in one process.
//!
//! Prints the messages each pupil received and how long the host waited for the count to reach
//! 2,000; asserts only counts (every answer counted, no O(N²) fan-out), never a time.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestServer;
use loupe::protocol::{close, Answer, Choice, ClientMsg, ServerMsg};
use tokio::sync::Semaphore;

/// Pupils.
const N: usize = 2_000;
/// Connections being opened at once.
const IN_FLIGHT: usize = 256;
/// Most messages one pupil may receive for one question, from hello to the end (welcome, phases,
/// question, ack, ended …): a constant, whatever the class size.
const MAX_PER_PUPIL: u64 = 10;
/// Generous wait for anything at this scale (a failure, not a measurement).
const WAIT: Duration = Duration::from_secs(120);

/// The soft limit on open files (Linux only; `None` elsewhere or if unreadable).
fn fd_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// One pupil: join (at most IN_FLIGHT connecting at once), answer the question as soon as it
/// arrives, then read until the session ends. Returns the messages received.
async fn pupil(ws: String, code: String, i: usize, gate: Arc<Semaphore>) -> anyhow::Result<u64> {
    let permit = gate.acquire_owned().await?;
    let mut c = loupe_tools::client::Client::connect(&ws).await?;
    c.hello_player(&code, None).await?;
    drop(permit);
    let q = c
        .recv_until(WAIT, |m| matches!(m, ServerMsg::Question { .. }))
        .await?;
    let ServerMsg::Question {
        question, round, ..
    } = q.msg
    else {
        anyhow::bail!("not a question")
    };
    let choice = match i % 5 {
        0 => Choice::Pass,
        _ => Choice::Options(vec![(i % 4) as u8]),
    };
    c.send(&ClientMsg::Answer(Answer {
        question,
        round,
        client_seq: 1,
        choice,
    }))
    .await?;
    c.recv_until(WAIT, |m| matches!(m, ServerMsg::Ack { .. }))
        .await?;
    let (code, _) = c.recv_close(WAIT).await?;
    anyhow::ensure!(code == Some(close::ENDED), "pupil {i} closed with {code:?}");
    Ok(c.received())
}

/// 2,000 pupils answer one question: the host's count reaches exactly 2,000, the results count
/// every answer, and no pupil receives more than a small constant number of messages.
#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_pupils_one_question() -> anyhow::Result<()> {
    if let Some(limit) = fd_soft_limit().filter(|&l| l < 2 * N as u64 + 500) {
        eprintln!("skipped: the open-file limit ({limit}) is too low for {N} clients and {N} server sockets");
        return Ok(());
    }
    let server = TestServer::plain().await?;
    let s = server
        .create_session(serde_json::json!({"quiz": "test-kinds"}))
        .await?;
    let mut host = server.connect().await?;
    host.hello_host(&s.code, &s.host_secret).await?;

    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let tasks: Vec<_> = (0..N)
        .map(|i| tokio::spawn(pupil(server.ws_url(), s.code.clone(), i, gate.clone())))
        .collect();
    // The host keeps reading while pupils join; presence tells when all of them are in.
    host.recv_until(
        WAIT,
        |m| matches!(m, ServerMsg::Presence { joined, .. } if *joined as usize == N),
    )
    .await?;
    println!("{N} pupils joined in {:?}", started.elapsed());

    host.send(&ClientMsg::Start).await?;
    let opened = Instant::now();
    host.send(&ClientMsg::Next).await?;
    let last = host
        .recv_until(
            WAIT,
            |m| matches!(m, ServerMsg::Answers { count, .. } if *count as usize >= N),
        )
        .await?;
    let counted = opened.elapsed();
    assert!(
        matches!(last.msg, ServerMsg::Answers { count, .. } if count as usize == N),
        "{last:?}"
    );
    host.send(&ClientMsg::Close).await?;
    let results = host
        .recv_until(WAIT, |m| matches!(m, ServerMsg::Results { .. }))
        .await?;
    let ServerMsg::Results { results, .. } = results.msg else {
        unreachable!()
    };
    assert_eq!(
        (
            results.answered as usize,
            results.passed.map(|p| p as usize)
        ),
        (N, Some(N / 5))
    );
    let chosen: u32 = results
        .counts
        .unwrap_or_default()
        .iter()
        .map(|c| c.unwrap_or(0))
        .sum();
    assert_eq!(
        chosen as usize,
        N - N / 5,
        "every option answer counted once"
    );

    host.send(&ClientMsg::End).await?;
    let mut counts = Vec::with_capacity(N);
    for t in tasks {
        counts.push(t.await??);
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    let mean = counts.iter().sum::<u64>() as f64 / N as f64;
    println!(
        "question open to {N} answers counted: {counted:?}; messages per pupil: max {max}, mean {mean:.2}; host received {}",
        host.received()
    );
    assert!(
        max <= MAX_PER_PUPIL,
        "a pupil received {max} messages (fan-out must not grow with the class)"
    );
    Ok(())
}
