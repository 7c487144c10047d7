//! The real `loupe` binary as a child process: start on port 0, learn the port from the ready
//! file, kill it (SIGKILL) or stop it (SIGTERM), read what it logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

/// How long a server may take to start (a debug build restoring a journal, on a busy machine).
pub const START: Duration = Duration::from_secs(30);

/// A scratch folder removed when dropped; holds the data folder, ready files and logs.
pub struct Scratch {
    root: PathBuf,
    n: AtomicU32,
}

impl Scratch {
    /// A fresh folder under the system temporary folder.
    pub fn new(name: &str) -> anyhow::Result<Scratch> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let root = std::env::temp_dir().join(format!(
            "loupe-durability-{name}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&root)?;
        Ok(Scratch {
            root,
            n: AtomicU32::new(0),
        })
    }

    /// The data folder (`--data`).
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The scratch folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn next(&self) -> u32 {
        self.n.fetch_add(1, Ordering::Relaxed)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Runs `loupe ARGS…` (another subcommand than `serve`) to its end, with no `LOUPE_*` variable
/// from the environment; returns its status, stdout and stderr.
pub async fn run(args: &[&std::ffi::OsStr]) -> anyhow::Result<(ExitStatus, String, String)> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loupe"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LOUPE_") {
            cmd.env_remove(key);
        }
    }
    let out = tokio::time::timeout(START, cmd.output())
        .await
        .context("loupe did not exit")??;
    Ok((
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// A running `loupe serve`.
pub struct Loupe {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    log: PathBuf,
}

/// `loupe serve` on 127.0.0.1:0 with the fixture quizzes, `--data` in `scratch`, plus `extra`.
fn command(scratch: &Scratch, data: &Path, extra: &[&str]) -> (Command, PathBuf, PathBuf) {
    let n = scratch.next();
    let ready = scratch.root().join(format!("ready-{n}"));
    let log = scratch.root().join(format!("loupe-{n}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loupe"));
    cmd.arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--ready-file")
        .arg(&ready)
        .arg("--data")
        .arg(data)
        .arg("--quizzes")
        .arg(crate::common::fixtures_dir())
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    // The test decides every setting: none may leak in from the environment.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LOUPE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "loupe=info");
    (cmd, ready, log)
}

impl Loupe {
    /// Starts a server on `scratch`'s data folder and waits for its ready file.
    pub async fn start(scratch: &Scratch, extra: &[&str]) -> anyhow::Result<Loupe> {
        let (mut cmd, ready, log) = command(scratch, &scratch.data(), extra);
        cmd.stdout(Stdio::from(std::fs::File::create(
            log.with_extension("out"),
        )?))
        .stderr(Stdio::from(std::fs::File::create(&log)?));
        let mut child = cmd.spawn().context("spawning loupe")?;
        let deadline = Instant::now() + START;
        loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                if let Some(line) = text.strip_suffix('\n') {
                    let addr = line
                        .parse()
                        .with_context(|| format!("ready file {text:?}"))?;
                    return Ok(Loupe { child, addr, log });
                }
            }
            if let Some(status) = child.try_wait()? {
                let logged = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("loupe exited at start ({status}):\n{logged}");
            }
            if Instant::now() > deadline {
                bail!("loupe not ready after {START:?}");
            }
            // Polling a file: the only way to learn it appeared without an extra dependency.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a server that is expected to refuse to start; returns its exit status and stderr.
    pub async fn start_failing(
        scratch: &Scratch,
        extra: &[&str],
    ) -> anyhow::Result<(ExitStatus, String)> {
        let (mut cmd, _ready, _log) = command(scratch, &scratch.data(), extra);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let out = tokio::time::timeout(START, cmd.output())
            .await
            .context("the second loupe did not exit")??;
        Ok((
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// `ws://ip:port/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// What the server logged so far (stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `wait` for a log line containing `needle`; returns it.
    pub async fn log_line(&self, needle: &str, wait: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
                return Ok(line.to_owned());
            }
            if Instant::now() > deadline {
                bail!(
                    "no log line with {needle:?} after {wait:?}; log:\n{}",
                    self.log()
                );
            }
            // Polling a file the server appends to: there is no other signal to wait on.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (TerminateProcess on Windows): no shutdown code runs. Waits for the process to go.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGTERM, then waits up to `within` for the process to exit; returns its status and how
    /// long it took.
    #[cfg(unix)]
    pub async fn terminate(mut self, within: Duration) -> anyhow::Result<(ExitStatus, Duration)> {
        let started = Instant::now();
        let sent = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()?;
        anyhow::ensure!(sent.success(), "kill -TERM failed: {sent}");
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => Ok((status?, started.elapsed())),
            Err(_) => bail!(
                "loupe still running {within:?} after SIGTERM; log:\n{}",
                self.log()
            ),
        }
    }

    /// Stops the server the portable way when how does not matter.
    pub async fn stop(self) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            let (status, _) = self.terminate(Duration::from_secs(10)).await?;
            anyhow::ensure!(status.success(), "loupe exited with {status}");
            Ok(())
        }
        #[cfg(not(unix))]
        self.kill().await
    }
}
