//! `loupe purge`: while Loupe is stopped, every live journal and expired report is deleted, with
//! nothing left in the files, and only counts are printed; while a Loupe runs, it refuses.

use anyhow::{bail, ensure};
use loupe::protocol::{close, ClientMsg, ErrorCode};
use loupe::store::DB_FILE;
use loupe_tools::client::{Client, ClientError};
use rusqlite::params;
use serde_json::json;

use crate::common::T;
use crate::lesson::{host_at, Class};
use crate::proc::{run, Loupe, Scratch};
use crate::retention::{answer_marked, check_report, found, needles};
use crate::serial;

/// A class mid-question (its journal on disk) and an ended session (its report), a Loupe killed
/// on them, and an expired report: `loupe purge` refuses while Loupe runs, then deletes the
/// journal (keeping its report) and the expired report, says so in counts, and leaves no pupil
/// data in the files; the next start has no session to restore and serves both reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_live_journals_and_expired_reports_while_stopped() -> anyhow::Result<()> {
    let _serial = serial().await;
    let scratch = Scratch::new("purge")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &[]).await?;
    let url = server.ws_url();
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"]});
    let done = crate::web::create_session(server.addr, body.clone()).await?;
    let mut host = host_at(&url, &done).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::End).await?;
    let (code, _) = host.client.recv_close(T).await?;
    ensure!(code == Some(close::ENDED), "{code:?}");
    let mut class = Class::open(server.addr, &url, body, 3).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);
    ensure!(found(&data, &needles)?.len() >= 2, "nothing on disk");

    let purge = [
        std::ffi::OsStr::new("purge"),
        "--data".as_ref(),
        data.as_os_str(),
    ];
    let (status, _, stderr) = run(&purge).await?;
    ensure!(!status.success(), "purge ran while Loupe was running");
    ensure!(
        stderr.contains("running") && stderr.contains(&data.display().to_string()),
        "the refusal must say Loupe runs on that folder: {stderr}"
    );
    ensure!(
        found(&data, &needles)?.len() >= 2,
        "the refused purge deleted something"
    );
    server.kill().await?;

    // An expired report, as a Loupe stopped since its retention ended would have left it.
    {
        let db = rusqlite::Connection::open(data.join(DB_FILE))?;
        db.execute(
            "INSERT INTO reports (code, host_hash, quiz_title, finished_unix_ms, summary, expires_unix_ms)
             VALUES ('999999', ?1, 'Old', 1, '{}', 2)",
            params!["0".repeat(64)],
        )?;
    }
    let (status, stdout, stderr) = run(&purge).await?;
    ensure!(status.success(), "purge failed: {stderr}");
    for line in [
        "journals of unfinished sessions deleted: 1",
        "reports made from them: 1",
        "expired reports deleted: 1",
        "reports kept: 2",
    ] {
        ensure!(
            stdout.contains(line),
            "purge did not say {line:?}: {stdout}"
        );
    }
    for n in &needles {
        ensure!(!stdout.contains(n.as_str()), "purge printed data: {stdout}");
    }
    let hits = found(&data, &needles)?;
    ensure!(hits.is_empty(), "pupil data left after purge: {hits:?}");

    let back = Loupe::start(&scratch, &[]).await?;
    ensure!(
        !back.log().contains("session restored"),
        "a purged session was restored: {}",
        back.log()
    );
    let mut c = Client::connect(&back.ws_url()).await?;
    match c.hello_host(&class.s.code, &class.s.host_secret).await {
        Err(ClientError::Refused {
            code: ErrorCode::BadSecret,
            ..
        }) => {}
        other => bail!("the purged session still answers: {other:?}"),
    }
    check_report(&back, &class.s, 3).await?;
    check_report(&back, &done, 0).await?;
    back.stop().await?;
    // A second purge finds nothing more to do and says so in the same words.
    let (status, stdout, _) = run(&purge).await?;
    ensure!(
        status.success() && stdout.contains("journals of unfinished sessions deleted: 0"),
        "{stdout}"
    );
    eprintln!("purge:\n{stdout}");
    Ok(())
}
