//! The database schema and its migrations, versioned with SQLite's `user_version`.
//!
//! Every schema a released Loupe wrote is listed in `MIGRATIONS`; opening a database applies the
//! ones it has not seen, in one transaction. Never edit a published step: add a new one.

use rusqlite::Connection;

/// Schema version this Loupe writes.
pub const CURRENT: u32 = 4;

/// Step `i` takes a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: sessions, their events, and the aggregate reports kept after them.
    "CREATE TABLE sessions (
        code TEXT PRIMARY KEY,
        created_unix_ms INTEGER NOT NULL,
        last_active_unix_ms INTEGER NOT NULL
     );
     CREATE TABLE events (
        code TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (code, seq)
     ) WITHOUT ROWID;
     CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        host_hash TEXT NOT NULL,
        quiz_title TEXT NOT NULL,
        finished_unix_ms INTEGER NOT NULL,
        summary TEXT NOT NULL
     );",
    // 1 -> 2: the teacher's retention choice and more report metadata.
    "ALTER TABLE reports ADD COLUMN quiz_id TEXT NOT NULL DEFAULT '';
     ALTER TABLE reports ADD COLUMN lang TEXT NOT NULL DEFAULT '';
     ALTER TABLE reports ADD COLUMN label TEXT;
     ALTER TABLE reports ADD COLUMN created_unix_ms INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE reports ADD COLUMN expires_unix_ms INTEGER NOT NULL DEFAULT 0;
     UPDATE reports SET expires_unix_ms = finished_unix_ms + 30 * 86400000;
     CREATE INDEX reports_by_host ON reports (host_hash);
     CREATE INDEX reports_by_expiry ON reports (expires_unix_ms);",
    // 2 -> 3: the devices (phone remotes) a teacher kept paired until the end may read the report
    // too: only the SHA-256 of each device's credential, deleted with the report.
    "CREATE TABLE report_readers (
        report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL,
        PRIMARY KEY (report_id, key_hash)
     ) WITHOUT ROWID;
     CREATE INDEX report_readers_by_key ON report_readers (key_hash);",
    // 3 -> 4: each report's size, for the cap on their total (`--max-reports-size`); the index
    // covers the sum and the oldest-first walk without reading the summaries.
    "ALTER TABLE reports ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
     UPDATE reports SET bytes = length(CAST(code AS BLOB)) + length(CAST(host_hash AS BLOB))
        + length(CAST(quiz_id AS BLOB)) + length(CAST(quiz_title AS BLOB))
        + length(CAST(lang AS BLOB)) + COALESCE(length(CAST(label AS BLOB)), 0)
        + length(CAST(summary AS BLOB)) + 24;
     CREATE INDEX reports_by_age ON reports (finished_unix_ms, bytes);",
];

/// The version a database is at.
pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Why a database's schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The database was written by a newer Loupe.
    #[error(
        "the database has schema version {found}, newer than this Loupe understands ({CURRENT}); \
         use a newer Loupe or another --data folder"
    )]
    Newer {
        /// The version found.
        found: u32,
    },
    /// A migration step failed.
    #[error("migration to version {to}: {source}")]
    Step {
        /// The version it was to reach.
        to: u32,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// Reading or writing the version failed.
    #[error("schema version: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings a database up to [`CURRENT`]; returns the version it was at. Fails on a database
/// written by a newer Loupe.
pub fn migrate(conn: &mut Connection) -> Result<u32, SchemaError> {
    let from = version(conn)?;
    if from > CURRENT {
        return Err(SchemaError::Newer { found: from });
    }
    let tx = conn.transaction()?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        tx.execute_batch(step).map_err(|source| SchemaError::Step {
            to: i as u32 + 1,
            source,
        })?;
    }
    tx.pragma_update(None, "user_version", CURRENT)?;
    tx.commit()?;
    Ok(from)
}

/// Applies only the first `to` steps: builds a database as an older Loupe left it (for tests).
pub fn create_at_version(conn: &mut Connection, to: u32) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for step in MIGRATIONS.iter().take(to as usize) {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", to)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_reach_the_current_version_from_any_earlier_one() {
        for start in 0..=CURRENT {
            let mut conn = Connection::open_in_memory().unwrap();
            create_at_version(&mut conn, start).unwrap();
            assert_eq!(migrate(&mut conn).unwrap(), start);
            assert_eq!(version(&conn).unwrap(), CURRENT);
        }
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT + 1)
            .unwrap();
        let refused = migrate(&mut conn).unwrap_err();
        assert!(matches!(refused, SchemaError::Newer { found } if found == CURRENT + 1));
        assert!(refused.to_string().contains("newer"));
    }
}
