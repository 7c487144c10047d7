//! Starting the server under test for one run: Loupe or the baseline, pinned to its own core
//! with `taskset`, on 127.0.0.1 and a port of its choosing (read back from a ready file), with a
//! fresh data folder; stopped by its process id afterwards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which server is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The Loupe server (`loupe serve`).
    Loupe,
    /// The same-stack baseline (`loupe-baseline`), which acknowledges every answer as Loupe does.
    Baseline,
    /// The bare baseline (`loupe-baseline --no-ack`): the same broadcast server, sending pupils
    /// no acknowledgement.
    Bare,
}

/// Where Loupe keeps session journals in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// `--journal memory`: nothing on disk.
    Memory,
    /// The default: SQLite journal, `--sync normal`.
    Default,
    /// SQLite journal with `--sync full` (an fsync per commit).
    Full,
}

/// A server process started for a run.
pub struct Spawned {
    child: Child,
    /// Its address.
    pub addr: std::net::SocketAddr,
    data: PathBuf,
}

impl Spawned {
    /// The process id (for `/proc` readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process (by its id) and removes its data folder.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct SpawnPlan {
    /// The binary (`loupe` or `loupe-baseline`).
    pub binary: PathBuf,
    /// Which server it is.
    pub target: Target,
    /// Loupe's journal mode.
    pub durability: Durability,
    /// Core to pin it to (`None`: not pinned).
    pub cpu: Option<usize>,
    /// Most pupils per session to allow (Loupe's `--max-players`).
    pub max_players: usize,
    /// Sessions the run creates, all from 127.0.0.1 (Loupe's per-address limit is raised to it).
    pub sessions: usize,
    /// Where its standard error goes.
    pub log: Option<PathBuf>,
}

/// The binary `name` next to the running executable (`target/release/<name>`).
pub fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Starts the server and waits (at most 20 s) for its ready file.
pub fn spawn(plan: &SpawnPlan) -> anyhow::Result<Spawned> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let data = std::env::temp_dir().join(format!("loupe-bench-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let ready = data.join("ready");
    let mut args: Vec<String> = Vec::new();
    if plan.target == Target::Loupe {
        args.push("serve".into());
    }
    args.extend(["--addr".into(), "127.0.0.1:0".into()]);
    args.extend(["--ready-file".into(), ready.display().to_string()]);
    if plan.target == Target::Bare {
        args.push("--no-ack".into());
    }
    if plan.target == Target::Loupe {
        let loupe_data = data.join("data");
        args.extend(["--data".into(), loupe_data.display().to_string()]);
        let (journal, sync) = match plan.durability {
            Durability::Memory => ("memory", "normal"),
            Durability::Default => ("sqlite", "normal"),
            Durability::Full => ("sqlite", "full"),
        };
        args.extend([
            "--journal".into(),
            journal.into(),
            "--sync".into(),
            sync.into(),
        ]);
        args.extend(["--max-players".into(), plan.max_players.max(1).to_string()]);
    }
    let mut cmd = match plan.cpu {
        Some(cpu) if has_taskset() => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpu.to_string()).arg(&plan.binary);
            c
        }
        _ => Command::new(&plan.binary),
    };
    cmd.args(&args)
        .env("RUST_LOG", "warn")
        // Every session of the run comes from 127.0.0.1: one school's worth of sessions is not
        // enough for 300 (set by environment so a server without this limit ignores it).
        .env(
            "LOUPE_MAX_SESSIONS_PER_ADDRESS",
            plan.sessions.max(50).to_string(),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(match &plan.log {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        });
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", plan.binary.display()))?;
    for _ in 0..1000 {
        if let Some(addr) = read_ready(&ready) {
            return Ok(Spawned { child, addr, data });
        }
        if let Ok(Some(status)) = child.try_wait() {
            let _ = std::fs::remove_dir_all(&data);
            anyhow::bail!("{} exited at start ({status})", plan.binary.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    anyhow::bail!("{} did not become ready in 20 s", plan.binary.display())
}

fn read_ready(path: &Path) -> Option<std::net::SocketAddr> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
