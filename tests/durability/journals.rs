//! Golden journals written by an earlier Loupe, put in a data folder, are restored by the real
//! binary; journals that do not parse or do not fit their quiz are refused with a log line and
//! purged at start, and the server comes up anyway.

use std::time::{Duration, Instant};

use anyhow::ensure;
use loupe::store::{schema, DB_FILE};
use rusqlite::{params, Connection, OpenFlags};

use crate::proc::{Loupe, Scratch};
use crate::{serial, web};

#[path = "../journals/script.rs"]
#[allow(dead_code)]
mod script;

fn golden(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/journals/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `lines` with line `n` (1 for the first) changed by `edit`, and the session's code replaced.
fn edited(
    lines: &[String],
    code: &str,
    n: usize,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<String> {
    let mut lines = lines.to_vec();
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).expect("JSON");
    first["code"] = code.into();
    lines[0] = first.to_string();
    let mut v: serde_json::Value = serde_json::from_str(&lines[n - 1]).expect("JSON");
    edit(&mut v);
    lines[n - 1] = v.to_string();
    lines
}

/// Stores `lines` as the journal of session `code`, last active now.
fn store(conn: &Connection, code: &str, lines: &[String]) -> anyhow::Result<()> {
    let now = loupe::session::unix_ms() as i64;
    conn.execute(
        "INSERT INTO sessions (code, created_unix_ms, last_active_unix_ms) VALUES (?1, ?2, ?3)",
        params![code, now, now],
    )?;
    for (seq, body) in (1..).zip(lines) {
        conn.execute(
            "INSERT INTO events (code, seq, body) VALUES (?1, ?2, ?3)",
            params![code, seq, body],
        )?;
    }
    Ok(())
}

async fn report(server: &Loupe, code: &str, golden: &str) -> anyhow::Result<web::Answer> {
    let auth = format!("Bearer {}", script::host_secret(golden));
    web::get(
        server.addr,
        &format!("/api/reports/{code}"),
        &[("Authorization", auth.as_str())],
    )
    .await
}

/// Five goldens restore, one written by the Loupe of commit 4d70a06 (each ended or too old, so
/// each leaves its report, or none for the one that never started); three damaged journals are refused: a question the quiz does not
/// have (which made the restore panic before), an option it does not have (which was counted
/// as nothing before), and a line cut short. Nothing of them is left, and no log line quotes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_journals_restore_and_damaged_ones_are_refused() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let scratch = Scratch::new("journals")?;
    std::fs::create_dir_all(scratch.data())?;
    let db = scratch.data().join(DB_FILE);
    let lesson = golden("lesson");
    {
        let mut conn = Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        schema::create_at_version(&mut conn, schema::CURRENT)?;
        for (code, name) in [
            ("271828", "lesson"),
            ("314159", "challenge"),
            ("161803", "open"),
            ("141421", "max-life"),
            ("271829", "4d70a06-lesson"),
        ] {
            store(&conn, code, &golden(name))?;
        }
        // Line 12 opens question 0 of 5; line 13 is pupil 11's answer, option 1 of 3.
        store(
            &conn,
            "900001",
            &edited(&lesson, "900001", 12, |v| v["q"] = 9.into()),
        )?;
        let seven = |v: &mut serde_json::Value| v["choice"]["options"][0] = 7.into();
        store(&conn, "900002", &edited(&lesson, "900002", 13, seven))?;
        let mut cut = edited(&lesson, "900003", 2, |_| {});
        cut[20].truncate(25);
        store(&conn, "900003", &cut)?;
    }

    let server = Loupe::start(&scratch, &[]).await?;
    let wait = Duration::from_secs(5);
    let refused = [
        (
            "900001",
            "event 12 (question_opened): question 9 does not exist",
        ),
        (
            "900002",
            "event 13 (answer_recorded): an answer to question 0",
        ),
        ("900003", "line 21: not JSON"),
    ];
    for (code, why) in refused {
        let line = server.log_line(&format!("session={code}"), wait).await?;
        ensure!(
            line.contains("journal refused") && line.contains(why),
            "{code}: {line}"
        );
    }
    let log = server.log();
    ensure!(!log.contains("panicked"), "{log}");
    for secret in [
        "token_hash",
        "1fce09e7c9b1b42364d4d0488fb5077879fd7678d6972a30cf06057bee624339",
    ] {
        ensure!(!log.contains(secret), "a log line quotes a journal: {log}");
    }

    // The goldens: ended or older than --max-session-life, so purged with their reports.
    let lesson_report = report(&server, "271828", "lesson").await?;
    ensure!(lesson_report.status == 200, "{lesson_report:?}");
    let r = lesson_report.json()?;
    ensure!(r["quiz_id"] == "golden-en" && r["label"] == "4e B", "{r}");
    ensure!(
        r["summary"]["pupils"] == 5 && r["summary"]["scored"] == 3,
        "the lesson's summary: {r}"
    );
    let challenge = report(&server, "314159", "challenge").await?.json()?;
    ensure!(challenge["summary"]["pupils"] == 5, "{challenge}");
    ensure!(challenge["summary"].get("podium").is_none(), "{challenge}");
    let open = report(&server, "161803", "open").await?.json()?;
    ensure!(open["summary"]["pupils"] == 3, "{open}");
    let old = report(&server, "271829", "4d70a06-lesson").await?.json()?;
    ensure!(
        old["summary"] == r["summary"],
        "the lesson as commit 4d70a06 wrote it has the same summary: {old}"
    );
    let never_started = report(&server, "141421", "max-life").await?;
    ensure!(never_started.status == 404, "{never_started:?}");
    // The refused journals left nothing, not even a report.
    for code in ["900001", "900002", "900003"] {
        let none = report(&server, code, "lesson").await?;
        ensure!(none.status == 404, "{code}: {none:?}");
    }
    {
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let count = |table: &str| -> rusqlite::Result<i64> {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        };
        ensure!(
            count("events")? == 0 && count("sessions")? == 0,
            "journals left behind"
        );
        ensure!(count("reports")? == 4, "four reports");
    }
    server.stop().await?;
    eprintln!(
        "journals: 5 goldens restored, 3 damaged journals refused; whole test {:?}",
        started.elapsed()
    );
    Ok(())
}
