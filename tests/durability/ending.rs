//! Sessions end when they should: at `--max-session-life` even with a console open (and across
//! a restart, counted from the creation the journal records), and a deletion reaches the WAL even
//! when another program held the database open at the time.

use std::time::Duration;

use anyhow::{bail, ensure};
use loupe::protocol::{close, ClientMsg, EndReason, ErrorCode, ServerMsg};
use loupe::store::DB_FILE;
use loupe_tools::client::{Client, ClientError};
use serde_json::json;

use crate::common::T;
use crate::lesson::Class;
use crate::proc::{Loupe, Scratch};
use crate::retention::{answer_marked, check_report, found, needles, until_clean};
use crate::{serial, web};

const LIFE_MS: u64 = 6_000;
/// Long enough for the class to be in session well before the life runs out.
const LONGER: Duration = Duration::from_secs(40);

/// The report of `s`, read with its host secret, once written.
async fn report(
    server: &Loupe,
    s: &loupe_tools::client::Created,
) -> anyhow::Result<serde_json::Value> {
    let auth = format!("Bearer {}", s.host_secret);
    let path = format!("/api/reports/{}", s.code);
    let deadline = std::time::Instant::now() + T;
    loop {
        let a = web::get(server.addr, &path, &[("Authorization", auth.as_str())]).await?;
        if a.status == 200 {
            return a.json();
        }
        if std::time::Instant::now() > deadline {
            bail!("no report: {a:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A console left open does not keep a session alive: at `--max-session-life` it ends as if the
/// host had ended it, the console and the phones are told why (`ended` with `max_life`, close
/// 4000), the report is kept, and no pupil data is left in the files. The life is measured as the
/// server saw it: the report's creation and end times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_at_its_maximum_life_with_the_console_open() -> anyhow::Result<()> {
    let _serial = serial().await;
    let scratch = Scratch::new("max-life")?;
    let data = scratch.data();
    let life = format!("{}s", LIFE_MS / 1000);
    let server = Loupe::start(&scratch, &["--max-session-life", &life]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"]});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 3).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);
    ensure!(found(&data, &needles)?.len() >= 2, "nothing on disk");
    let (code, seen) = class.host.client.recv_close(LONGER).await?;
    ensure!(code == Some(close::ENDED), "console closed with {code:?}");
    let why = seen.iter().find_map(|e| match &e.msg {
        ServerMsg::Ended { reason } => Some(*reason),
        _ => None,
    });
    ensure!(
        why == Some(Some(EndReason::MaxLife)),
        "the console was told {why:?}"
    );
    for p in &mut class.phones {
        let code = p.drain_to_close(LONGER).await?;
        ensure!(code == Some(close::ENDED), "pupil {}: {code:?}", p.idx);
    }
    let r = report(&server, &class.s).await?;
    let lived =
        r["finished_unix_ms"].as_u64().unwrap_or(0) - r["created_unix_ms"].as_u64().unwrap_or(0);
    ensure!(lived >= LIFE_MS, "ended {lived} ms after creation: {r}");
    until_clean(&data, &needles).await?;
    server.log_line("reached --max-session-life", T).await?;
    server.stop().await?;
    eprintln!("max life: ended {lived} ms after creation (life {LIFE_MS} ms)");
    Ok(())
}

/// The maximum life holds across a restart: a session found at start that is older than it
/// (counted from the creation time its journal records, though its host was there moments ago)
/// is purged, with its report kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_maximum_life_is_purged_at_start() -> anyhow::Result<()> {
    let _serial = serial().await;
    let scratch = Scratch::new("max-life-restart")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &[]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"]});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 3).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);
    server.kill().await?;
    // The session was created 12 h before `ends_by_unix_ms` (the default life).
    let created = class.s.ends_by_unix_ms - 12 * 3_600_000;
    ensure!(
        class.s.ends_by_unix_ms > 0,
        "no ends_by_unix_ms: {:?}",
        class.s
    );
    while loupe::session::unix_ms() < created + 2_000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back = Loupe::start(&scratch, &["--max-session-life", "2s"]).await?;
    let line = back.log_line("purging its pupils' data", T).await?;
    ensure!(line.contains("max-session-life"), "{line}");
    ensure!(
        found(&data, &needles)?.is_empty(),
        "pupil data left after the purge at start"
    );
    let mut host = Client::connect(&back.ws_url()).await?;
    match host.hello_host(&class.s.code, &class.s.host_secret).await {
        Err(ClientError::Refused {
            code: ErrorCode::BadSecret,
            ..
        }) => {}
        other => bail!("the session came back: {other:?}"),
    }
    check_report(&back, &class.s, 3).await?;
    back.stop().await
}

/// Ending a session while another program holds a read transaction on the database (a backup,
/// an administrator's `sqlite3`): the WAL cannot be truncated yet, so Loupe says so (how many
/// frames, never what is in them), and truncates it as soon as that reader is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_while_a_backup_reads_is_finished_once_it_is_done() -> anyhow::Result<()> {
    let _serial = serial().await;
    let scratch = Scratch::new("wal-reader")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &[]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"]});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 3).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);

    // A second connection, as `sqlite3 loupe.db` or a backup tool would hold it.
    let reader = rusqlite::Connection::open(data.join(DB_FILE))?;
    reader.execute_batch("BEGIN")?;
    let events: i64 = reader.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    ensure!(events > 0, "the reader sees no events");

    class.host.send(ClientMsg::End).await?;
    for p in &mut class.phones {
        let code = p.drain_to_close(T).await?;
        ensure!(code == Some(close::ENDED), "pupil {}: {code:?}", p.idx);
    }
    let warning = server
        .log_line("another program holds the database open", T)
        .await?;
    let frames: i64 = crate::retention::field(&warning, "wal_frames")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    ensure!(
        frames > 0,
        "the warning does not say what is left: {warning}"
    );
    let hits = found(&data, &needles)?;
    ensure!(
        hits.iter().any(|h| h.contains("-wal")),
        "while the reader holds the database, the WAL still has the data: {hits:?}"
    );
    for n in &needles {
        ensure!(
            !warning.contains(n.as_str()),
            "the warning shows data: {warning}"
        );
    }

    reader.execute_batch("COMMIT")?;
    drop(reader);
    until_clean(&data, &needles).await?;
    server.log_line("WAL checkpoint completed", T).await?;
    server.stop().await?;
    eprintln!("wal reader: {warning}");
    Ok(())
}
