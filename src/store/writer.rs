//! The store's writer thread: the only write connection, group commit, durable watermarks.
//!
//! Actors hand it work with `try_send` and never wait; it takes whatever is queued, writes it in
//! one transaction, commits, then publishes each session's durable sequence number on that
//! session's `watch` channel (which never blocks either).

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use tokio::sync::watch;

use super::cap::Trimmed;
use super::checkpoint::Owed;
use crate::session::{unix_ms, Report};

/// Most commands folded into one transaction.
const GROUP: usize = 8192;
/// Once an append arrives, the writer waits this long before taking the queue. An answer storm
/// then becomes a few large transactions instead of about one per answer: on a one-core server,
/// each of those small commits woke this thread and preempted the actors twice.
const LINGER: Duration = Duration::from_micros(200);

/// A row of `reports`: a [`Report`] with its summary as JSON (no pupil data).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// Join code the session had.
    pub code: String,
    /// SHA-256 of the session's host secret: whoever holds the secret may read the report.
    pub host_hash: String,
    /// SHA-256 of the credential of each phone remote still paired when the session ended (the
    /// devices the teacher kept): they may read the report too. Nothing about pupils.
    pub reader_hashes: Vec<String>,
    /// Quiz id.
    pub quiz_id: String,
    /// Quiz title.
    pub quiz_title: String,
    /// Quiz language.
    pub lang: String,
    /// The teacher's label ("4e B").
    pub label: Option<String>,
    /// When the session was created (Unix ms).
    pub created_unix_ms: u64,
    /// When it ended (Unix ms).
    pub finished_unix_ms: u64,
    /// When the report is deleted (Unix ms).
    pub expires_unix_ms: u64,
    /// The class summary as JSON (`protocol::Summary`, without the podium).
    pub summary: String,
}

impl ReportRow {
    /// The row that keeps `report`.
    pub fn of(report: &Report) -> serde_json::Result<ReportRow> {
        Ok(ReportRow {
            code: report.code.clone(),
            host_hash: report.host_hash.clone(),
            reader_hashes: report.reader_hashes.clone(),
            quiz_id: report.quiz_id.clone(),
            quiz_title: report.quiz_title.clone(),
            lang: report.lang.clone(),
            label: report.label.clone(),
            created_unix_ms: report.created_unix_ms,
            finished_unix_ms: report.finished_unix_ms,
            expires_unix_ms: report.expires_unix_ms,
            summary: serde_json::to_string(&report.summary)?,
        })
    }
}

/// Work for the writer thread.
pub enum WriteCmd {
    /// Journal events `first_seq..` of a session (`first_seq == 1` creates the session).
    Append {
        /// Session code.
        code: Arc<str>,
        /// Sequence number of the first body.
        first_seq: u64,
        /// Events as JSON.
        bodies: Vec<String>,
        /// Where to publish the durable watermark.
        mark: Arc<watch::Sender<u64>>,
    },
    /// The session ended: delete every per-pupil row, keep the report (if any).
    End {
        /// Session code.
        code: Arc<str>,
        /// Aggregates to keep.
        report: Option<ReportRow>,
    },
    /// A host is still connected: the session is not abandoned (restart grace counts from here).
    Touch {
        /// Session code.
        code: Arc<str>,
    },
    /// Delete reports whose retention has passed.
    Expire,
    /// Commit everything sent before, try the owed checkpoint a last time, close the database
    /// and end the thread (see `StoreWriter::close`).
    Stop,
}

/// What the writer thread needs beyond its connection.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Most bytes all reports may take (`--max-reports-size`).
    pub max_reports_bytes: u64,
    /// The checkpoint at start could not complete: owe it from the first moment.
    pub owe_checkpoint: bool,
}

/// Runs until [`WriteCmd::Stop`] (or until every sender is dropped), then closes the database:
/// the last connection closing checkpoints the WAL into `loupe.db` and removes it.
///
/// A batch that fails to commit (disk full, I/O error) is retried, with a growing pause, before
/// any new work is taken: its events are never skipped, so a watermark never passes an event the
/// database does not hold. Meanwhile the queue fills and actors answer "busy".
pub fn run(mut conn: Connection, rx: Receiver<WriteCmd>, settings: Settings) {
    let mut owed = Owed::default();
    if settings.owe_checkpoint {
        owed.after_delete(&conn);
    }
    loop {
        // While a checkpoint is owed, wake for it even when nothing is queued.
        let first = match owed.due() {
            None => match rx.recv() {
                Ok(cmd) => cmd,
                Err(_) => break,
            },
            Some(due) => match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(cmd) => cmd,
                Err(RecvTimeoutError::Timeout) => {
                    owed.retry(&conn);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        if matches!(first, WriteCmd::Append { .. }) {
            std::thread::sleep(LINGER);
        }
        let mut batch = vec![first];
        while batch.len() < GROUP {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }
        let stop = batch.iter().any(|cmd| matches!(cmd, WriteCmd::Stop));
        let mut pause = Duration::from_millis(100);
        let trimmed = loop {
            match write_batch(&mut conn, &batch, settings) {
                Ok(trimmed) => break trimmed,
                Err(e) => {
                    tracing::error!(error = %e, retry_in_ms = pause.as_millis() as u64, "the store could not commit a batch");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        };
        if let Some(t) = trimmed {
            tracing::warn!(
                expired = t.expired,
                oldest = t.oldest,
                bytes = t.bytes,
                max_bytes = settings.max_reports_bytes,
                "stored reports were over --max-reports-size: deleted expired reports, then the oldest"
            );
        }
        publish(&mut conn, batch, trimmed.is_some(), &mut owed);
        if stop {
            break;
        }
    }
    owed.last_chance(&conn);
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "the database did not close cleanly");
    }
}

/// After a commit: moves each session's durable watermark, and truncates the WAL after
/// deletions (or tries again if a checkpoint is owed).
fn publish(conn: &mut Connection, batch: Vec<WriteCmd>, deleted: bool, owed: &mut Owed) {
    let mut marks: HashMap<Arc<str>, (Arc<watch::Sender<u64>>, u64)> = HashMap::new();
    let mut checkpoint = deleted;
    for cmd in batch {
        match cmd {
            WriteCmd::Append {
                code,
                first_seq,
                bodies,
                mark,
            } => {
                let last = first_seq + bodies.len() as u64 - 1;
                let entry = marks.entry(code).or_insert((mark, 0));
                entry.1 = entry.1.max(last);
            }
            WriteCmd::End { .. } | WriteCmd::Expire => checkpoint = true,
            WriteCmd::Touch { .. } | WriteCmd::Stop => {}
        }
    }
    for (mark, seq) in marks.into_values() {
        mark.send_if_modified(|durable| {
            let moved = seq > *durable;
            *durable = (*durable).max(seq);
            moved
        });
    }
    if checkpoint {
        // With secure_delete on, deleted rows are zeroed in the WAL; truncating it after the
        // checkpoint leaves no copy of them anywhere in the files.
        owed.after_delete(conn);
    } else {
        owed.retry(conn);
    }
}

/// Writes one batch in one transaction; says what the report cap deleted, if anything.
fn write_batch(
    conn: &mut Connection,
    batch: &[WriteCmd],
    settings: Settings,
) -> rusqlite::Result<Option<Trimmed>> {
    let now = unix_ms() as i64;
    let tx = conn.transaction()?;
    let mut reported = false;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO events (code, seq, body) VALUES (?1, ?2, ?3)",
        )?;
        let mut touch =
            tx.prepare_cached("UPDATE sessions SET last_active_unix_ms = ?1 WHERE code = ?2")?;
        let mut touched: Vec<&str> = Vec::new();
        for cmd in batch {
            match cmd {
                WriteCmd::Append {
                    code,
                    first_seq,
                    bodies,
                    ..
                } => {
                    if *first_seq == 1 {
                        tx.execute(
                            "INSERT OR REPLACE INTO sessions (code, created_unix_ms, last_active_unix_ms) VALUES (?1, ?2, ?2)",
                            params![&**code, now],
                        )?;
                    }
                    for (i, body) in bodies.iter().enumerate() {
                        insert.execute(params![&**code, (first_seq + i as u64) as i64, body])?;
                    }
                    touched.push(code);
                }
                WriteCmd::Touch { code } => touched.push(code),
                WriteCmd::End { code, report } => {
                    tx.execute("DELETE FROM events WHERE code = ?1", params![&**code])?;
                    tx.execute("DELETE FROM sessions WHERE code = ?1", params![&**code])?;
                    if let Some(r) = report {
                        insert_report(&tx, r)?;
                        reported = true;
                    }
                }
                WriteCmd::Expire => {
                    tx.execute(
                        "DELETE FROM reports WHERE expires_unix_ms < ?1",
                        params![now],
                    )?;
                }
                WriteCmd::Stop => {}
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for code in touched {
            touch.execute(params![now, code])?;
        }
    }
    let trimmed = if reported {
        super::cap::enforce(&tx, settings.max_reports_bytes, now)?
    } else {
        None
    };
    tx.commit()?;
    Ok(trimmed)
}

/// Inserts one report.
pub fn insert_report(conn: &Connection, r: &ReportRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO reports (code, host_hash, quiz_id, quiz_title, lang, label, created_unix_ms,
                              finished_unix_ms, expires_unix_ms, summary, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            r.code,
            r.host_hash,
            r.quiz_id,
            r.quiz_title,
            r.lang,
            r.label,
            r.created_unix_ms as i64,
            r.finished_unix_ms as i64,
            r.expires_unix_ms as i64,
            r.summary,
            r.bytes() as i64
        ],
    )?;
    let report_id = conn.last_insert_rowid();
    for key_hash in &r.reader_hashes {
        conn.execute(
            "INSERT OR IGNORE INTO report_readers (report_id, key_hash) VALUES (?1, ?2)",
            params![report_id, key_hash],
        )?;
    }
    Ok(())
}

/// A sender that never blocks the caller: full means "busy".
pub type WriteTx = SyncSender<WriteCmd>;
