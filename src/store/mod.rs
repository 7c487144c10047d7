//! The embedded store: SQLite (WAL) in the `--data` folder, holding live sessions' journals and
//! the aggregate reports kept after them.
//!
//! One writer thread owns the only write connection (`writer.rs`); reads (restore at start,
//! reports) use their own connections. An exclusive lock file stops a second Loupe from using the
//! same folder. Deleted rows are overwritten (`secure_delete`) and the WAL is truncated after
//! deletions, so nothing of a finished session's pupils stays readable in the files.

mod cap;
mod checkpoint;
mod dates;
mod files;
mod journal;
mod purge;
pub mod reports;
pub mod schema;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags};

pub use cap::Trimmed;
pub use dates::end_of_school_year;
pub use files::{create_data_dir, LOCK_FILE};
pub use journal::StoreJournal;
pub use purge::{purge_stopped, Purged};
pub use writer::{unix_ms, ReportRow, WriteCmd};

use crate::session::machine::{record, Session};

/// Commands the writer's queue holds before appends are refused as "busy".
const QUEUE: usize = 65_536;

/// Name of the database file inside `--data`.
pub const DB_FILE: &str = "loupe.db";

/// How durable an acknowledged answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SyncMode {
    /// Survives the death of the process (SQLite `synchronous=NORMAL` in WAL mode).
    #[default]
    Normal,
    /// Also survives a power cut (`synchronous=FULL`: an fsync per commit).
    Full,
}

/// Why the store could not open.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another Loupe holds the data folder.
    #[error("another Loupe is already using the data folder {0}: stop it first, or give this one another --data folder")]
    Locked(PathBuf),
    /// A file could not be created or opened.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("database {0}")]
    Sqlite(String),
    /// Another program holds the database open, so the WAL could not be emptied.
    #[error("another program holds {0} open (a backup, sqlite3?), so its write-ahead log still holds deleted data: close it and try again")]
    HeldOpen(PathBuf),
}

/// How the store runs; see the `serve` flags of the same names.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// `--sync`.
    pub sync: SyncMode,
    /// `--host-grace`: an unfinished session whose host was last seen longer ago is purged at start.
    pub host_grace: Duration,
    /// `--max-session-life`: a session created longer ago is purged at start.
    pub max_life: Duration,
    /// `--max-reports-size`, in bytes.
    pub max_reports_bytes: u64,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}

/// A session found in the store at start, rebuilt from its events.
pub struct Restored {
    /// The rebuilt session.
    pub session: Session,
    /// Its journal, durable up to the last stored event.
    pub journal: StoreJournal,
}

/// The open store; cheap to clone (clones share the writer thread).
#[derive(Clone)]
pub struct Store {
    tx: writer::WriteTx,
    path: PathBuf,
    _lock: std::sync::Arc<File>,
}

/// The write connection's settings: WAL, the sync mode, `secure_delete`.
fn open_connection(path: &Path, sync: SyncMode) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(checkpoint::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(
        None,
        "synchronous",
        if sync == SyncMode::Full {
            "FULL"
        } else {
            "NORMAL"
        },
    )?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl Store {
    /// Opens (or creates) the store in `dir`, migrates it, purges sessions that must not come
    /// back (ended, host away longer than the grace, older than the maximum life), keeping their
    /// aggregates, and rebuilds the others.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<(Store, Vec<Restored>), StoreError> {
        files::create_data_dir(dir)?;
        let lock = files::lock(dir)?;
        let path = dir.join(DB_FILE);
        files::prepare_db(&path)?;
        let mut conn = open_connection(&path, options.sync)?;
        files::tighten_side_files(&path)?;
        let from = schema::migrate(&mut conn).map_err(StoreError::Sqlite)?;
        match from {
            0 => tracing::info!(path = %path.display(), "database created"),
            v if v != schema::CURRENT => {
                tracing::info!(from, to = schema::CURRENT, "database schema migrated")
            }
            _ => {}
        }
        let (tx, rx) = sync_channel(QUEUE);
        let store = Store {
            tx: tx.clone(),
            path: path.clone(),
            _lock: std::sync::Arc::new(lock),
        };
        let (restored, owed) = store.restore(&conn, options)?;
        let settings = writer::Settings {
            max_reports_bytes: options.max_reports_bytes,
            owe_checkpoint: owed,
        };
        std::thread::Builder::new()
            .name("loupe-store".into())
            .spawn(move || writer::run(conn, rx, settings))
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        let _ = store.tx.try_send(WriteCmd::Expire);
        Ok((store, restored))
    }

    /// Rebuilds live sessions; ends those that must not come back (aggregates kept, pupils
    /// purged). Also says whether the WAL could not be truncated (the writer then owes it).
    fn restore(
        &self,
        conn: &Connection,
        options: StoreOptions,
    ) -> Result<(Vec<Restored>, bool), StoreError> {
        let mut sessions =
            conn.prepare("SELECT code, last_active_unix_ms FROM sessions ORDER BY code")?;
        let rows: Vec<(String, i64)> = sessions
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let now = unix_ms();
        let mut restored = Vec::new();
        for (code, last_active) in rows {
            let session = match replay(conn, &code)? {
                Ok(session) => session,
                Err(refused) => {
                    // Names the line and the rule, never the line's contents.
                    tracing::error!(session = %code, %refused, "journal refused (it does not parse or does not fit its quiz): purging it");
                    purge(conn, &code, None)?;
                    continue;
                }
            };
            let away = Duration::from_millis(now.saturating_sub(last_active as u64));
            let age = Duration::from_millis(now.saturating_sub(session.created_unix_ms));
            let why = if session.is_ended() {
                Some("ended")
            } else if age >= options.max_life {
                Some("older than --max-session-life")
            } else if away > options.host_grace {
                Some("no host for longer than --host-grace")
            } else {
                None
            };
            if let Some(why) = why {
                tracing::info!(session = %code, why, "session left unfinished: purging its pupils' data");
                purge(conn, &code, report_of(&session, now))?;
                continue;
            }
            let journal = StoreJournal::new(&code, self.tx.clone(), session.seq);
            restored.push(Restored { session, journal });
        }
        let owed = checkpoint::truncate(conn, checkpoint::BUSY_TIMEOUT).is_err();
        Ok((restored, owed))
    }

    /// A journal for a new session; its first event (`Created`) is appended by the caller.
    pub fn journal(&self, code: &str) -> StoreJournal {
        StoreJournal::new(code, self.tx.clone(), 0)
    }

    /// Waits (blocking) until everything queued so far is committed, or `wait` has passed.
    pub fn flush(&self, wait: Duration) -> bool {
        let (reply, done) = std::sync::mpsc::channel();
        if self.tx.send(WriteCmd::Flush(reply)).is_err() {
            return false;
        }
        done.recv_timeout(wait).is_ok()
    }

    /// Asks the writer to delete reports past their retention.
    pub fn expire(&self) {
        let _ = self.tx.try_send(WriteCmd::Expire);
    }

    /// A read-only connection for reports.
    pub fn reader(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The session whose journal is stored under `code`, rebuilt, or why its journal is refused
/// (a line that does not parse, an event that does not fit its quiz).
fn replay(conn: &Connection, code: &str) -> rusqlite::Result<Result<Session, record::Refused>> {
    let mut events = conn.prepare_cached("SELECT body FROM events WHERE code = ?1 ORDER BY seq")?;
    let bodies: Vec<String> = events
        .query_map(params![code], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(record::read(&bodies))
}

/// Deletes a session's events and row, keeping `report`.
fn purge(conn: &Connection, code: &str, report: Option<ReportRow>) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM events WHERE code = ?1", params![code])?;
    conn.execute("DELETE FROM sessions WHERE code = ?1", params![code])?;
    if let Some(r) = report {
        writer::insert_report(conn, &r)?;
    }
    Ok(())
}

/// The aggregates worth keeping of a session that ends at `now` (none if it never started).
pub fn report_of(session: &Session, now: u64) -> Option<ReportRow> {
    if session.stage() == crate::protocol::Stage::Lobby {
        return None;
    }
    let mut summary = session.summary();
    summary.podium.clear();
    let summary = serde_json::to_string(&summary).ok()?;
    Some(ReportRow {
        code: session.code.clone(),
        host_hash: session.host_hash.clone(),
        reader_hashes: session.kept_device_hashes(),
        quiz_id: session.quiz.id.clone(),
        quiz_title: session.quiz.title.clone(),
        lang: session.quiz.lang.code().to_owned(),
        label: session.options.label.clone(),
        created_unix_ms: session.created_unix_ms,
        finished_unix_ms: now,
        expires_unix_ms: session.options.retention.expires(now),
        summary,
    })
}
