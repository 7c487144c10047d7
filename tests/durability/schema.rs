//! A database left by an older Loupe is migrated at start, and its reports still read.

use std::time::Instant;

use anyhow::ensure;
use loupe::session::secret;
use loupe::store::{schema, DB_FILE};
use rusqlite::{params, Connection, OpenFlags};
use serde_json::json;

use crate::proc::{Loupe, Scratch};
use crate::{serial, web};

/// A class summary as version 1 stored it (`protocol::Summary` as JSON, no podium).
fn old_summary() -> serde_json::Value {
    json!({
        "pupils": 27, "scored": 25,
        "histogram": [0, 0, 1, 2, 3, 5, 7, 4, 2, 1],
        "mean": 61.5, "median": 63.0,
        "questions": [{
            "question": "q1", "text": "Une photo de classe, je la publie ?",
            "options": ["Oui", "Non, je demande d'abord"], "correct": [1],
            "results": {"answered": 27, "passed": 2, "counts": [6, 19]},
            "skipped": false
        }]
    })
}

/// The same summary as this Loupe serves it, under the disclosure rules: its one question was
/// shown in full, so the class scores stay, their small decades merged into ranges of at least
/// 3 pupils, with mean and median read off the ranges.
fn upgraded_summary() -> serde_json::Value {
    let bin = |from: u8, to: u8, pupils: u32| json!({"from": from, "to": to, "pupils": pupils});
    json!({
        "pupils": 27, "scored": 25, "scored_questions": 1, "counted_questions": 1,
        "histogram": [bin(0, 9, 0), bin(10, 19, 0), bin(20, 39, 3), bin(40, 49, 3),
            bin(50, 59, 5), bin(60, 69, 7), bin(70, 79, 4), bin(80, 100, 3)],
        "mean": 61.0, "median": 62.0,
        "questions": old_summary()["questions"].clone()
    })
}

/// A schema-1 database with one report is opened by this Loupe: `user_version` becomes
/// [`schema::CURRENT`], the report keeps its contents (brought under the disclosure rules), gets
/// the 30-day retention the migration gives old reports, and is served with its host secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_database_is_migrated_and_its_reports_read() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let scratch = Scratch::new("schema")?;
    std::fs::create_dir_all(scratch.data())?;
    let db = scratch.data().join(DB_FILE);
    let host_secret = secret::generate();
    let finished = loupe::session::unix_ms();
    {
        let mut conn = Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        schema::create_at_version(&mut conn, 1)?;
        conn.execute(
            "INSERT INTO reports (code, host_hash, quiz_title, finished_unix_ms, summary)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                "314159",
                secret::hash(&host_secret),
                "Réseaux sociaux : les bons réflexes",
                finished as i64,
                old_summary().to_string()
            ],
        )?;
        ensure!(schema::version(&conn)? == 1);
    }

    let server = Loupe::start(&scratch, &[]).await?;
    {
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let version = schema::version(&conn)?;
        ensure!(
            version == schema::CURRENT,
            "user_version {version} after start"
        );
    }
    ensure!(
        server.log().contains("database schema migrated"),
        "the migration is logged: {}",
        server.log()
    );
    let auth = format!("Bearer {host_secret}");
    let with = [("Authorization", auth.as_str())];
    let answer = web::get(server.addr, "/api/reports/314159", &with).await?;
    ensure!(answer.status == 200, "{answer:?}");
    let report = answer.json()?;
    ensure!(
        report["summary"] == upgraded_summary(),
        "summary not brought under the disclosure rules: {report}"
    );
    ensure!(
        report["quiz_title"] == "Réseaux sociaux : les bons réflexes",
        "{report}"
    );
    ensure!(report["finished_unix_ms"] == finished, "{report}");
    ensure!(
        report["expires_unix_ms"] == finished + 30 * 86_400_000,
        "old reports get 30 days: {report}"
    );
    let csv = web::get(server.addr, "/api/reports/314159/csv", &with).await?;
    ensure!(
        csv.status == 200 && csv.body.contains("Une photo de classe"),
        "{csv:?}"
    );
    let nobody = web::get(server.addr, "/api/reports/314159", &[]).await?;
    ensure!(nobody.status == 401, "{nobody:?}");
    server.stop().await?;
    eprintln!(
        "schema: migrated 1 -> {}; whole test {:?}",
        schema::CURRENT,
        started.elapsed()
    );
    Ok(())
}
