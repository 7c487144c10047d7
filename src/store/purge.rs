//! `loupe purge`: while Loupe is stopped, delete every live session's journal (keeping its
//! anonymous report, as an end would) and every expired report, then leave no copy of them in
//! the files: `secure_delete` zeroes what is deleted, `VACUUM` rewrites the database without its
//! free pages, and a truncating checkpoint empties the WAL.

use std::path::Path;

use rusqlite::params;

use super::{checkpoint, files, open_connection, purge, replay, schema};
use super::{StoreError, SyncMode, DB_FILE};
use crate::session::{unix_ms, Report};

/// What `loupe purge` deleted and kept: counts only, never contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Whether there was a database at all.
    pub found: bool,
    /// Live sessions whose journals were deleted.
    pub journals: usize,
    /// Events those journals held (answers, joins, token hashes …).
    pub events: usize,
    /// Of those sessions, how many left an anonymous report (a session that never started
    /// leaves none).
    pub reports_made: usize,
    /// Reports past their retention, deleted.
    pub expired: usize,
    /// Reports kept (until their own retention ends).
    pub reports_left: usize,
}

/// Purges the store in `dir`. Refuses ([`StoreError::Locked`]) while a Loupe holds the folder,
/// and ([`StoreError::HeldOpen`]) when another program's read keeps the WAL from being emptied.
pub fn purge_stopped(dir: &Path) -> Result<Purged, StoreError> {
    let db = dir.join(DB_FILE);
    if !dir.is_dir() || !db.exists() {
        return Ok(Purged::default());
    }
    let _lock = files::lock(dir)?;
    files::prepare_db(&db)?;
    let mut conn = open_connection(&db, SyncMode::Full)?;
    files::tighten_side_files(&db)?;
    schema::migrate(&mut conn)?;
    let now = unix_ms();
    let mut done = Purged {
        found: true,
        ..Purged::default()
    };
    let tx = conn.transaction()?;
    let codes: Vec<String> = tx
        .prepare("SELECT code FROM sessions ORDER BY code")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    done.events = tx.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))? as usize;
    for code in &codes {
        let report = replay(&tx, code)?.ok().and_then(|s| Report::of(&s, now));
        done.reports_made += usize::from(report.is_some());
        purge(&tx, code, report.as_ref())?;
    }
    done.journals = codes.len();
    // Events whose session row is missing (never written by Loupe, but leave nothing behind).
    tx.execute("DELETE FROM events", [])?;
    done.expired = tx.execute(
        "DELETE FROM reports WHERE expires_unix_ms < ?1",
        params![now as i64],
    )?;
    done.reports_left =
        tx.query_row("SELECT count(*) FROM reports", [], |r| r.get::<_, i64>(0))? as usize;
    tx.commit()?;
    if checkpoint::truncate(&conn, checkpoint::BUSY_TIMEOUT).is_err() {
        return Err(StoreError::HeldOpen(db));
    }
    conn.execute_batch("VACUUM")?;
    if checkpoint::truncate(&conn, checkpoint::BUSY_TIMEOUT).is_err() {
        return Err(StoreError::HeldOpen(db));
    }
    Ok(done)
}
