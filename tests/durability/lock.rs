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
