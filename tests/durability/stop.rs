//! Stopping closes the store: SIGTERM just after a host ends a session finishes the end and
//! closes the database before the process exits, and `App::serve` returns only once the store's
//! writer thread has stopped.

use std::time::{Duration, Instant};

use anyhow::ensure;
use loupe::app::App;
use loupe::config::Config;
use loupe::protocol::{ClientMsg, ServerMsg};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::common::{fixtures_dir, model};
use crate::lesson::Class;
use crate::proc::{Loupe, Scratch};
use crate::retention::{answer_marked, found, needles};
use crate::{serial, web};

/// A class answers, the host ends the session, and SIGTERM follows the `ended` message at once.
/// Shutdown waits for the store's writer thread: it commits the end (pupils' events deleted,
/// report kept), closes the database (SQLite then folds the write-ahead log into `loupe.db` and
/// removes it) and is joined; so once the process is gone no `loupe.db-wal` is left, nothing of
/// the pupils is in the files, and after a restart the report reads as ended before the signal.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_after_an_end_closes_the_database_with_the_report_in_it() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let quiz = model::fixture("test-kinds")?;
    let scratch = Scratch::new("stop")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &[]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single"], "label": "5e A"});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 4).await?;
    answer_marked(&mut class, "q-single").await?;
    class.close(&quiz, "q-single").await?;
    let needles = needles(&class.phones);
    ensure!(
        !found(&data, &needles)?.is_empty(),
        "the answers were not on disk while the session ran"
    );

    class.host.send(ClientMsg::End).await?;
    class
        .host
        .until(|m| matches!(m, ServerMsg::Ended { .. }))
        .await?;
    let (status, took) = server.terminate(Duration::from_secs(5)).await?;
    ensure!(status.success(), "loupe exited with {status} after SIGTERM");

    let wal = data.join("loupe.db-wal");
    ensure!(
        !wal.exists(),
        "the write-ahead log is still there after a graceful stop ({} bytes): the database was \
         not closed",
        std::fs::metadata(&wal).map_or(0, |m| m.len())
    );
    let left = found(&data, &needles)?;
    ensure!(left.is_empty(), "pupil data left after the stop: {left:?}");

    let restarted_at = loupe::session::unix_ms();
    let back = Loupe::start(&scratch, &[]).await?;
    let auth = format!("Bearer {}", class.s.host_secret);
    let path = format!("/api/reports/{}", class.s.code);
    let answer = web::get(back.addr, &path, &[("Authorization", auth.as_str())]).await?;
    ensure!(answer.status == 200, "report after the restart: {answer:?}");
    let report = answer.json()?;
    let finished = report["finished_unix_ms"].as_u64().unwrap_or(u64::MAX);
    ensure!(
        finished < restarted_at,
        "the report was made at the restart ({finished}), not at the end (before {restarted_at}): \
         {report}"
    );
    ensure!(report["summary"]["pupils"] == 4, "{report}");
    back.stop().await?;
    println!(
        "stop: exited {took:?} after SIGTERM, no WAL left, report kept; {:?} in all",
        started.elapsed()
    );
    Ok(())
}

/// In process: `App::serve` returns only once the store's writer thread has committed what it
/// was given, closed the database and stopped, even while something else still holds a handle
/// to the store (a report request in flight would). Before, the thread was left running and the
/// process could exit in the middle of its work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_returns_once_the_store_is_closed() -> anyhow::Result<()> {
    let _serial = serial().await;
    let mut config = Config::for_tests();
    config.quizzes = Some(fixtures_dir());
    let data = config.data_dir();
    let app = App::new(config)?;
    let held = app.state().store.clone();
    ensure!(
        held.is_some(),
        "the test configuration uses the SQLite store"
    );
    let listener = loupe::net::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let serving = tokio::spawn(app.serve(listener, shutdown.clone()));
    // Answers once the session's first event is committed: the WAL holds it.
    web::create_session(addr, json!({"quiz": "test-kinds"})).await?;
    ensure!(data.join("loupe.db-wal").exists(), "no WAL while serving");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), serving).await???;
    let wal = data.join("loupe.db-wal");
    ensure!(
        !wal.exists(),
        "serve returned with the database still open ({} bytes of WAL)",
        std::fs::metadata(&wal).map_or(0, |m| m.len())
    );
    drop(held);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
