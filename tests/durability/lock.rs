//! One data folder, one Loupe: a second one refuses to start, and says why.

use anyhow::ensure;

use crate::proc::{Loupe, Scratch};
use crate::serial;

/// While a Loupe runs on a data folder, a second one on the same folder exits at once with a
/// non-zero status and a message that names the folder; the first keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_loupe_on_the_same_data_folder_refuses_to_start() -> anyhow::Result<()> {
    let _serial = serial().await;
    let scratch = Scratch::new("lock")?;
    let first = Loupe::start(&scratch, &[]).await?;
    let (status, stderr) = Loupe::start_failing(&scratch, &[]).await?;
    ensure!(!status.success(), "the second loupe exited with {status}");
    let folder = scratch.data().display().to_string();
    ensure!(
        stderr.contains("data folder") && stderr.contains(&folder),
        "the message must name the data folder {folder}: {stderr}"
    );
    let health = crate::web::get(first.addr, "/api/health", &[]).await?;
    ensure!(
        health.status == 200,
        "the first loupe stopped answering: {health:?}"
    );
    first.stop().await?;
    // Once the first has stopped, the folder is free again.
    let again = Loupe::start(&scratch, &[]).await?;
    again.stop().await
}

/// The data folder Loupe creates is `0700` and its files (database, WAL, shared memory, lock)
/// `0600`: other users of the computer cannot read a journal. Files an older Loupe left open to
/// others are tightened at start, and a folder open to others is warned about.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_folder_and_its_files_are_private() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let _serial = serial().await;
    let scratch = Scratch::new("modes")?;
    let data = scratch.data();
    let mode = |p: &std::path::Path| -> anyhow::Result<u32> {
        Ok(std::fs::metadata(p)?.permissions().mode() & 0o777)
    };
    let files = ["loupe.db", "loupe.db-wal", "loupe.db-shm", "loupe.lock"];
    let check = |data: &std::path::Path| -> anyhow::Result<()> {
        for f in files {
            let m = mode(&data.join(f))?;
            ensure!(m == 0o600, "{f} is {m:o}, not 600");
        }
        Ok(())
    };
    let server = Loupe::start(&scratch, &[]).await?;
    // A session, so the WAL and shared-memory files exist.
    let s =
        crate::web::create_session(server.addr, serde_json::json!({"quiz": "test-kinds"})).await?;
    ensure!(!s.code.is_empty());
    let m = mode(&data)?;
    ensure!(m == 0o700, "the data folder is {m:o}, not 700");
    check(&data)?;
    server.stop().await?;

    // As an older Loupe left them: everything readable by all.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))?;
    for f in files {
        let path = data.join(f);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    let again = Loupe::start(&scratch, &[]).await?;
    crate::web::create_session(again.addr, serde_json::json!({"quiz": "test-kinds"})).await?;
    check(&data)?;
    again
        .log_line("the data folder is open to other users", crate::common::T)
        .await?;
    again.stop().await
}
