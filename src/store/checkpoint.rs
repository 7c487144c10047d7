//! The truncating WAL checkpoint that makes a deletion real on disk, and what happens when another
//! reader of the database (a backup, an administrator's `sqlite3`) stops it from completing.
//!
//! With `secure_delete` on, a deletion zeroes the rows in the pages it writes, but the WAL still
//! holds the pages as they were before until a `TRUNCATE` checkpoint empties it. That checkpoint
//! must wait for every open read transaction; a reader that stays (a backup of an hour) would
//! have stalled the writer thread and left the answers in the WAL, silently. Here the writer tries
//! a few times without waiting long, says what is left (counts of WAL frames, never contents),
//! and owes the checkpoint: it tries again after later commits and on a timer (at most once a
//! [`RETRY_EVERY`]), and at shutdown; the next start checkpoints too.

use std::time::{Duration, Instant};

use rusqlite::Connection;

/// How often an owed checkpoint is tried again (on the writer's timer and after commits).
pub const RETRY_EVERY: Duration = Duration::from_secs(1);
/// While owed, the warning is repeated this often.
const WARN_EVERY: Duration = Duration::from_secs(600);
/// Tries right after a deletion, each waiting at most [`QUICK_WAIT`] for readers.
const QUICK_TRIES: u32 = 3;
const QUICK_WAIT: Duration = Duration::from_millis(20);
/// How long the last try at shutdown waits for readers.
const LAST_WAIT: Duration = Duration::from_secs(2);
/// The writer's usual busy timeout, put back after each try.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What a checkpoint that could not complete left in the WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Left {
    /// Frames still in the WAL file (each a page as it was at some commit).
    pub wal_frames: i64,
    /// Of those, frames not yet copied into the database file.
    pub not_copied: i64,
}

/// One `PRAGMA wal_checkpoint(TRUNCATE)`, waiting at most `wait` for readers.
pub fn truncate(conn: &Connection, wait: Duration) -> Result<(), Left> {
    let _ = conn.busy_timeout(wait);
    let row = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
    match row {
        Ok((0, _, _)) => Ok(()),
        Ok((_, log, copied)) => Err(Left {
            wal_frames: log.max(0),
            not_copied: (log - copied).max(0),
        }),
        // SQLITE_BUSY or LOCKED as an error: nothing is known about the frames.
        Err(_) => Err(Left {
            wal_frames: -1,
            not_copied: -1,
        }),
    }
}

/// The writer's checkpoint book-keeping.
#[derive(Debug, Default)]
pub struct Owed {
    since: Option<Instant>,
    last_try: Option<Instant>,
    last_warn: Option<Instant>,
    tries: u32,
}

impl Owed {
    /// Whether a checkpoint is owed.
    pub fn is_owed(&self) -> bool {
        self.since.is_some()
    }

    /// After a deletion: checkpoint now, retrying briefly; owe it if readers are in the way.
    pub fn after_delete(&mut self, conn: &Connection) {
        let mut left = None;
        for _ in 0..QUICK_TRIES {
            match truncate(conn, QUICK_WAIT) {
                Ok(()) => {
                    left = None;
                    break;
                }
                Err(l) => left = Some(l),
            }
        }
        let now = Instant::now();
        match left {
            None if self.is_owed() => self.done(now),
            None => {}
            Some(left) => {
                self.last_try = Some(now);
                self.tries += QUICK_TRIES;
                if self.since.is_none() {
                    self.since = Some(now);
                }
                if self.last_warn.is_none_or(|t| now >= t + WARN_EVERY) {
                    self.last_warn = Some(now);
                    warn(
                        left,
                        self.since.map_or(0, |s| now.duration_since(s).as_secs()),
                    );
                }
            }
        }
    }

    /// When the next try is due, if one is owed.
    pub fn due(&self) -> Option<Instant> {
        self.since?;
        Some(self.last_try.map_or_else(Instant::now, |t| t + RETRY_EVERY))
    }

    /// A later chance (after a commit, or the timer): tries again if owed and due.
    pub fn retry(&mut self, conn: &Connection) {
        let now = Instant::now();
        if self.due().is_none_or(|due| now < due) {
            return;
        }
        self.last_try = Some(now);
        self.tries += 1;
        match truncate(conn, Duration::ZERO) {
            Ok(()) => self.done(now),
            Err(left) => {
                if self.last_warn.is_none_or(|t| now >= t + WARN_EVERY) {
                    self.last_warn = Some(now);
                    let since = self.since.map_or(0, |s| now.duration_since(s).as_secs());
                    warn(left, since);
                }
            }
        }
    }

    /// At shutdown: one last try that waits a little for readers.
    pub fn last_chance(&mut self, conn: &Connection) {
        match truncate(
            conn,
            if self.is_owed() {
                LAST_WAIT
            } else {
                QUICK_WAIT
            },
        ) {
            Ok(()) if self.is_owed() => self.done(Instant::now()),
            Ok(()) => {}
            Err(left) => tracing::warn!(
                wal_frames = left.wal_frames,
                not_copied = left.not_copied,
                "stopping with deleted data still in the WAL, because another program holds \
                 the database open; the next start of Loupe (or `loupe purge`) removes it"
            ),
        }
    }

    fn done(&mut self, now: Instant) {
        let secs = self.since.map_or(0, |s| now.duration_since(s).as_secs());
        tracing::info!(
            tries = self.tries,
            after_s = secs,
            "WAL checkpoint completed: deleted data is gone from the WAL"
        );
        *self = Owed::default();
    }
}

fn warn(left: Left, owed_for_s: u64) {
    tracing::warn!(
        wal_frames = left.wal_frames,
        not_copied = left.not_copied,
        owed_for_s,
        "another program holds the database open (a backup, sqlite3?): the WAL still holds \
         deleted sessions' data; Loupe truncates it as soon as that reader is done"
    );
}
