//! The embedded store: SQLite (WAL) in the `--data` folder, holding live sessions' journals and
//! the aggregate reports kept after them.
//!
//! One writer thread owns the only write connection (`writer.rs`); reads (restore at start,
//! reports) use their own connections. An exclusive lock file stops a second Loupe from using the
//! same folder. Deleted rows are overwritten (`secure_delete`) and the WAL is truncated after
//! deletions, so nothing of a finished session's pupils stays readable in the files.

mod cap;
mod checkpoint;
mod files;
mod journal;
mod purge;
pub mod reports;
pub mod schema;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags};

pub use cap::Trimmed;
pub use files::{create_data_dir, LOCK_FILE};
pub use journal::StoreJournal;
pub use purge::{purge_stopped, Purged};
pub use reports::StoredReport;
pub use schema::SchemaError;

use crate::session::journal::{Journal, JournalError, Journals, Restored};
use crate::session::machine::{record, Event, Session};
use crate::session::{unix_ms, Report};
use writer::{ReportRow, WriteCmd};

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

/// Why the store could not open, or read.
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
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date (or is newer than this Loupe).
    #[error("database {0}")]
    Schema(#[from] SchemaError),
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

/// What opening the store gives: the store, its writer thread's owner, and the sessions found.
pub struct Opened {
    /// The store (cheap to clone).
    pub store: Store,
    /// The writer thread; the one who stops the server closes it ([`StoreWriter::close`]).
    pub writer: StoreWriter,
    /// The live sessions found in the store, rebuilt, with their journals.
    pub restored: Vec<Restored>,
}

/// The store's writer thread, owned once: [`StoreWriter::close`] commits what is queued, tries
/// an owed checkpoint a last time, closes the database and joins the thread.
pub struct StoreWriter {
    tx: writer::WriteTx,
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl StoreWriter {
    /// Stops the writer after everything queued before, and waits (blocking, at most `wait`)
    /// for it to commit, close the database and end; `false` if it did not in time (the
    /// process then exits without it, as after a crash: what is committed is safe).
    pub fn close(mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        // A full queue is being drained by the writer: wait for room, not for ever.
        let mut stop = WriteCmd::Stop;
        loop {
            match self.tx.try_send(stop) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => break,
                Err(TrySendError::Full(again)) if Instant::now() < deadline => {
                    stop = again;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TrySendError::Full(_)) => return false,
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.done.recv_timeout(left) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take() {
                    if thread.join().is_err() {
                        tracing::error!("the store's writer thread panicked");
                        return false;
                    }
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
        }
    }
}

impl Drop for StoreWriter {
    /// Not closed (a start-up that failed later): ask the thread to stop, without waiting.
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.tx.try_send(WriteCmd::Stop);
        }
    }
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
    /// aggregates, rebuilds the others, and starts the writer thread.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Opened, StoreError> {
        files::create_data_dir(dir)?;
        let lock = files::lock(dir)?;
        let path = dir.join(DB_FILE);
        files::prepare_db(&path)?;
        let mut conn = open_connection(&path, options.sync)?;
        files::tighten_side_files(&path)?;
        let from = schema::migrate(&mut conn)?;
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
        let (finished, done) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("loupe-store".into())
            .spawn(move || {
                writer::run(conn, rx, settings);
                let _ = finished.send(());
            })
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        let writer = StoreWriter {
            tx,
            done,
            thread: Some(thread),
        };
        store.expire();
        Ok(Opened {
            store,
            writer,
            restored,
        })
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
                purge(conn, &code, Report::of(&session, now).as_ref())?;
                continue;
            }
            let journal = Box::new(StoreJournal::new(&code, self.tx.clone(), session.seq));
            restored.push(Restored { session, journal });
        }
        let owed = checkpoint::truncate(conn, checkpoint::BUSY_TIMEOUT).is_err();
        Ok((restored, owed))
    }

    /// Asks the writer to delete reports past their retention. Best effort: with its queue full
    /// the writer is busy with answers, and the next hour's call (or the next start) does it.
    pub fn expire(&self) {
        let _ = self.tx.try_send(WriteCmd::Expire);
    }

    /// A read-only connection for reports.
    pub fn reader(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    /// The newest unexpired report of session `code` readable with `key_hash` (the host
    /// secret's hash, or a kept device's), on a read-only connection. Blocks: call it from
    /// `spawn_blocking`.
    pub fn find_report(
        &self,
        code: &str,
        key_hash: &str,
    ) -> Result<Option<StoredReport>, StoreError> {
        Ok(reports::find(&self.reader()?, code, key_hash)?)
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
fn purge(conn: &Connection, code: &str, report: Option<&Report>) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM events WHERE code = ?1", params![code])?;
    conn.execute("DELETE FROM sessions WHERE code = ?1", params![code])?;
    if let Some(report) = report {
        let row = ReportRow::of(report)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        writer::insert_report(conn, &row)?;
    }
    Ok(())
}

/// The store is the SQLite engine behind the journal seam: each new session's journal is a
/// [`StoreJournal`] on the writer thread.
impl Journals for Store {
    fn create(&self, code: &str, created: Event) -> Result<Box<dyn Journal>, JournalError> {
        let mut journal = StoreJournal::new(code, self.tx.clone(), 0);
        journal.append(1, std::slice::from_ref(&created))?;
        Ok(Box::new(journal))
    }
}
