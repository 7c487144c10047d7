//! Durability: nothing acknowledged is lost to a crash, a restart or flaky Wi-Fi, and nothing of a
//! pupil is left in the data folder once their session is over.
//!
//! A test binary of its own (`cargo test --test durability`). Most scenarios run the real `loupe`
//! binary as a child process on `127.0.0.1:0` and learn its port from `--ready-file`, so they can
//! kill it (SIGKILL), stop it (SIGTERM) and start it again on the same `--data` folder. The
//! scenarios hold one lock for their whole run, so they go one at a time whatever
//! `--test-threads` says: each starts server processes and hundreds of sockets, and a 2-core
//! machine must not run two at once. Every wait is for an expected message or state, with a
//! generous timeout.
//!
//! - [`crash`]: kill -9 mid-question with 50 pupils, restart, everyone resumes, exact results;
//! - [`graceful`]: SIGTERM mid-session: close 1012, exit 0 within 5 s, restart, resume;
//! - [`chaos`]: 200 pupils through a whole quiz with disconnects, takeovers, duplicate and
//!   reordered sends: tallies and scores equal exactly what was acknowledged;
//! - [`retention`]: no per-pupil byte left in the database files after an end or a purge, and
//!   the report readable with the host secret only;
//! - [`ending`]: a session ends at `--max-session-life` (console open, or across a restart), and
//!   an end while another program reads the database is finished once it is done;
//! - [`purge`]: `loupe purge` deletes live journals and expired reports while Loupe is stopped;
//! - [`caps`]: sessions created per address per minute, and the total size of reports;
//! - [`schema`]: an older database is migrated and its reports still read;
//! - [`journals`]: golden journals of an earlier Loupe restore; damaged ones are refused with a
//!   log line and purged, and the server starts anyway;
//! - [`lock`]: a second Loupe on the same data folder refuses to start;
//! - [`devices`]: paired phone remotes and revocations survive kill -9; the kept one reads the
//!   report.
//! - [`lock`]: a second Loupe on the same data folder refuses to start; the folder is private.
//! - [`stop`]: SIGTERM just after an end: the store commits it and closes the database (no WAL
//!   left, no pupil byte), and the report is there after a restart.

#[path = "../common/mod.rs"]
mod common;

mod caps;
mod chaos;
mod crash;
mod devices;
mod ending;
mod graceful;
mod journals;
mod lesson;
mod lock;
mod phone;
mod proc;
mod purge;
mod retention;
mod schema;
mod stop;
mod web;

use tokio::sync::{Mutex, MutexGuard};

/// Held for the whole of each scenario, so they never overlap.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// Waits for the previous scenario to finish.
async fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().await
}
