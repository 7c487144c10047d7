//! The load generator behind `loupe-load`: S sessions × P pupils through a whole quiz over real
//! WebSockets on 127.0.0.1, measuring joins, question fan-out, the answer storm, the reconnect
//! storm, and the server's memory and CPU from `/proc`.
//!
//! - [`run`]: the controller of one run (and [`run::run`], its entry point);
//! - [`host`] and [`pupil`]: the simulated clients, one task each;
//! - [`conn`]: a socket, through the shared typed client or the lean path ([`wire`] reads its
//!   frames);
//! - [`stats`], [`report`] and [`compare`]: figures, one run's JSON and table, and the tables that
//!   set Loupe beside the baseline;
//! - [`server`] and [`procfs`]: starting the server under test and reading `/proc`.
//!
//! The method (pinned cores, 4 KiB buffers, "time until the last one has it") follows
//! `docs/PERFORMANCE.md`.

pub mod compare;
pub mod conn;
pub mod host;
pub mod procfs;
pub mod pupil;
pub mod report;
pub mod run;
pub mod server;
pub mod shared;
pub mod stats;
pub mod wire;

use std::path::PathBuf;

pub use conn::ClientKind;
pub use report::RunReport;
pub use server::{Durability, Target};

/// One run's scenario. Every wait is bounded by `phase_timeout_s`, the whole run by
/// `run_timeout_s`; the only address ever used is 127.0.0.1.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Server under test.
    #[arg(long, value_enum, default_value_t = Target::Loupe)]
    pub target: Target,
    /// Loupe's durability when the generator starts it: memory, default (SQLite, --sync normal)
    /// or full (SQLite, --sync full).
    #[arg(long, value_enum, default_value_t = Durability::Default)]
    pub durability: Durability,
    /// A server already running at http://127.0.0.1:PORT; without it the generator starts the
    /// server itself (pinned with taskset) and stops it after the run.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Process id of the server at --url, for its RSS and CPU time.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Server binary to start (default: `loupe` or `loupe-baseline` beside this program).
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Core the started server is pinned to.
    #[arg(long, default_value_t = 0)]
    pub server_cpu: usize,
    /// Do not pin the started server.
    #[arg(long)]
    pub no_pin: bool,
    /// Sessions.
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Pupils in all, shared round-robin between the sessions.
    #[arg(long, default_value_t = 200)]
    pub pupils: usize,
    /// Quiz id.
    #[arg(long, default_value = "reseaux-fr")]
    pub quiz: String,
    /// Questions each host opens (the first is a warm-up, left out of the summary when there
    /// are several); the host then finishes the quiz.
    #[arg(long, default_value_t = 4)]
    pub questions: usize,
    /// Connections being opened at once (joins and resumes).
    #[arg(long, default_value_t = 256)]
    pub in_flight: usize,
    /// Spread the sessions' opens evenly over this many milliseconds in each round (0: all at
    /// the same instant).
    #[arg(long, default_value_t = 0)]
    pub spread_ms: u64,
    /// After the first question's answers are counted, every pupil closes and resumes at once.
    #[arg(long)]
    pub reconnect_storm: bool,
    /// The pupils' client: lean (stamped on arrival) or the typed `crate::client::Client`.
    #[arg(long, value_enum, default_value_t = ClientKind::Lean)]
    pub client: ClientKind,
    /// Longest wait for any one step (seconds).
    #[arg(long, default_value_t = 60)]
    pub phase_timeout_s: u64,
    /// Longest run (seconds).
    #[arg(long, default_value_t = 600)]
    pub run_timeout_s: u64,
    /// Case name in the report (default from the scenario, e.g. `s1-n10000`).
    #[arg(long)]
    pub case: Option<String>,
    /// Write the report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the server's log (stderr) here.
    #[arg(long, value_name = "FILE")]
    pub server_log: Option<PathBuf>,
}

impl Options {
    /// A scenario with the defaults, for tests and scripts.
    pub fn new(sessions: usize, pupils: usize) -> Options {
        Options {
            target: Target::Loupe,
            durability: Durability::Default,
            url: None,
            server_pid: None,
            server_bin: None,
            server_cpu: 0,
            no_pin: false,
            sessions,
            pupils,
            quiz: "reseaux-fr".into(),
            questions: 4,
            in_flight: 256,
            spread_ms: 0,
            reconnect_storm: false,
            client: ClientKind::Lean,
            phase_timeout_s: 60,
            run_timeout_s: 600,
            case: None,
            out: None,
            server_log: None,
        }
    }

    /// Refuses scenarios that cannot run, and any target but 127.0.0.1.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.sessions >= 1, "at least one session");
        anyhow::ensure!(
            self.pupils >= self.sessions,
            "at least one pupil per session"
        );
        anyhow::ensure!(self.questions >= 1, "at least one question");
        anyhow::ensure!(self.in_flight >= 1, "at least one connection in flight");
        anyhow::ensure!(
            self.phase_timeout_s >= 1 && self.run_timeout_s >= 1,
            "timeouts of 1 s or more"
        );
        if let Some(url) = &self.url {
            anyhow::ensure!(
                url.starts_with("http://127.0.0.1:"),
                "only http://127.0.0.1:PORT may be a target (got {url})"
            );
        }
        Ok(())
    }

    /// `baseline`, `bare`, `memory`, `default`, `full`, or `external` (a server not started here).
    pub fn variant(&self) -> String {
        match (self.target, &self.url) {
            (Target::Baseline, _) => "baseline".into(),
            (Target::Bare, _) => "bare".into(),
            (Target::Loupe, Some(_)) => "external".into(),
            (Target::Loupe, None) => match self.durability {
                Durability::Memory => "memory".into(),
                Durability::Default => "default".into(),
                Durability::Full => "full".into(),
            },
        }
    }

    /// The case name: `--case`, else `s{S}-n{N}` plus `-spread{ms}` and `-storm`.
    pub fn case_name(&self) -> String {
        if let Some(c) = &self.case {
            return c.clone();
        }
        let mut name = format!("s{}-n{}", self.sessions, self.pupils);
        if self.spread_ms > 0 {
            name.push_str(&format!("-spread{}", self.spread_ms));
        }
        if self.reconnect_storm {
            name.push_str("-storm");
        }
        name
    }

    /// How to start the server for this scenario.
    pub fn spawn_plan(&self) -> server::SpawnPlan {
        let name = match self.target {
            Target::Loupe => "loupe",
            Target::Baseline | Target::Bare => "loupe-baseline",
        };
        server::SpawnPlan {
            binary: self
                .server_bin
                .clone()
                .unwrap_or_else(|| server::sibling(name)),
            target: self.target,
            durability: self.durability,
            cpu: (!self.no_pin).then_some(self.server_cpu),
            max_players: self
                .pupils
                .div_ceil(self.sessions)
                .max(loupe::config::DEFAULT_MAX_PLAYERS as usize),
            log: self.server_log.clone(),
            sessions: self.sessions,
        }
    }
}
