//! What one run reports (written as JSON), and its one-run table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::conn::ClientKind;
use super::procfs::Machine;
use super::server::{Durability, Target};
use super::stats::{Pct, QuestionFigures};

/// The join storm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JoinFigures {
    /// First connect → the last pupil's welcome (ms).
    pub all_ms: f64,
    /// Per pupil: connect → welcome (after its turn among the connections in flight).
    pub per_pupil: Pct,
    /// Pupils who joined.
    pub joined: usize,
    /// Pupils who could not.
    pub failed: usize,
}

/// Server memory (from `/proc/<pid>/status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RssFigures {
    /// Before the sessions were created (kB).
    pub start_kb: u64,
    /// Sessions created, hosts attached, before the pupils (kB).
    pub before_join_kb: u64,
    /// Right after the last pupil joined (kB).
    pub after_join_kb: u64,
    /// After the last question, before the end (kB).
    pub end_kb: u64,
    /// Peak over the process's life (kB).
    pub hwm_kb: u64,
    /// (after join − before join) ÷ pupils joined (bytes).
    pub per_pupil_bytes: f64,
}

/// Server CPU time (utime + stime, seconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuFigures {
    /// During the join storm.
    pub join_s: f64,
    /// From the first question to the finish.
    pub questions_s: f64,
    /// From before the sessions were created to the finish.
    pub total_s: f64,
    /// The generator's own CPU time over the same span.
    pub generator_s: f64,
    /// CPU time of everything else on the machine over the same span (other processes, and
    /// kernel work not charged to either process): noise when it is large.
    pub other_s: f64,
    /// 1-minute load average when the run started.
    pub loadavg_start: f64,
}

/// The reconnect storm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StormFigures {
    /// Storm signal → the last pupil has resumed (ms).
    pub all_ms: f64,
    /// Per pupil: connect (after its turn among the connections in flight) → snapshot with its
    /// acknowledgement.
    pub per_pupil: Pct,
    /// Pupils resumed.
    pub resumed: usize,
    /// Pupils who could not resume.
    pub failed: usize,
    /// Pupils whose acknowledgement after the resume differed from the one before.
    pub acks_changed: usize,
    /// Answers missing from the question's results after the storm (Loupe; None for the baseline).
    pub answers_lost: Option<u64>,
}

/// Messages received per pupil.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Messages {
    /// Mean per pupil.
    pub mean: f64,
    /// Most received by one pupil.
    pub max: u64,
    /// Mean per host.
    pub host_mean: f64,
}

/// The summary over the measured questions (the first is a warm-up when there are several).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Median over questions of the fan-out percentiles.
    pub fanout: Pct,
    /// Median over questions of the answer-storm percentiles.
    pub storm: Pct,
    /// Median over questions of the answer → host count percentiles.
    pub answer_to_count: Pct,
    /// Questions the medians are taken over.
    pub questions: Vec<usize>,
}

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Case name (`s1-n10000`, `s300-n10000-spread` …).
    pub case: String,
    /// `baseline`, `memory`, `default` or `full` (or `external` for a server not started here).
    pub variant: String,
    /// Server measured.
    pub target: Target,
    /// Loupe's durability (when started here).
    pub durability: Option<Durability>,
    /// Sessions.
    pub sessions: usize,
    /// Pupils in all.
    pub pupils: usize,
    /// Questions opened per session.
    pub questions_opened: usize,
    /// Quiz.
    pub quiz: String,
    /// Connections opened at once.
    pub in_flight: usize,
    /// Spread of the sessions' opens over a round (ms; 0 = the same instant).
    pub spread_ms: u64,
    /// The pupils' client.
    pub client: ClientKind,
    /// The machine.
    pub machine: Machine,
    /// When the run started (Unix ms).
    pub unix_ms: u64,
    /// Wall time of the run (s).
    pub wall_s: f64,
    /// No error, every answer counted.
    pub ok: bool,
    /// Join storm.
    pub join: JoinFigures,
    /// Server memory.
    pub rss: RssFigures,
    /// Server CPU.
    pub cpu: CpuFigures,
    /// Per question.
    pub questions: Vec<QuestionFigures>,
    /// Medians over the measured questions.
    pub summary: Summary,
    /// Messages received.
    pub messages: Messages,
    /// Reconnect storm, if run.
    pub reconnect: Option<StormFigures>,
    /// Errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// Changes of the machine's TCP counters over the run (`procfs::TCP_COUNTERS`; non-zero
    /// only), e.g. `TCPSynRetrans`: a connect that waited for the 1 s SYN retransmit.
    #[serde(default)]
    pub tcp: BTreeMap<String, i64>,
    /// Runs merged into this report (1 for a single run; see `compare::merge`).
    #[serde(default = "one")]
    pub repeats: usize,
}

fn one() -> usize {
    1
}

fn pct(p: &Pct) -> String {
    format!("{:.1} / {:.1} / {:.1}", p.p50_ms, p.p99_ms, p.max_ms)
}

impl RunReport {
    /// A plain-text table of this run.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} · {} · {} session(s) × {} pupils in all · {} question(s) · {}",
            self.case,
            self.variant,
            self.sessions,
            self.pupils,
            self.questions_opened,
            if self.ok { "ok" } else { "NOT OK" }
        );
        let j = &self.join;
        let rows: Vec<(String, String)> = vec![
            (
                "joined / failed".into(),
                format!("{} / {}", j.joined, j.failed),
            ),
            ("all joined (ms)".into(), format!("{:.1}", j.all_ms)),
            ("join p50 / p99 / max (ms)".into(), pct(&j.per_pupil)),
            (
                "fan-out p50 / p99 / all (ms)".into(),
                pct(&self.summary.fanout),
            ),
            (
                "answer storm p50 / p99 / all (ms)".into(),
                pct(&self.summary.storm),
            ),
            (
                "answer → host count p50 / p99 / max (ms)".into(),
                pct(&self.summary.answer_to_count),
            ),
            (
                "messages per pupil mean / max".into(),
                format!("{:.1} / {}", self.messages.mean, self.messages.max),
            ),
            (
                "RSS before / after join / peak (MB)".into(),
                format!(
                    "{:.1} / {:.1} / {:.1}",
                    self.rss.before_join_kb as f64 / 1024.0,
                    self.rss.after_join_kb as f64 / 1024.0,
                    self.rss.hwm_kb as f64 / 1024.0
                ),
            ),
            (
                "RSS per pupil (bytes)".into(),
                format!("{:.0}", self.rss.per_pupil_bytes),
            ),
            (
                "server CPU join / questions / total (s)".into(),
                format!(
                    "{:.2} / {:.2} / {:.2}",
                    self.cpu.join_s, self.cpu.questions_s, self.cpu.total_s
                ),
            ),
            (
                "generator CPU / other CPU (s) / load avg".into(),
                format!(
                    "{:.2} / {:.2} / {:.2}",
                    self.cpu.generator_s, self.cpu.other_s, self.cpu.loadavg_start
                ),
            ),
        ];
        for (k, v) in rows {
            let _ = writeln!(t, "  {k:<44} {v}");
        }
        for q in &self.questions {
            let _ = writeln!(
                t,
                "  q{} fan-out {} · storm {} · counted {}/{}{}",
                q.index,
                pct(&q.fanout),
                pct(&q.storm),
                q.counted,
                q.expected,
                q.results_answered
                    .map(|n| format!(" · results {n}"))
                    .unwrap_or_default()
            );
        }
        if let Some(r) = &self.reconnect {
            let _ = writeln!(
                t,
                "  reconnect storm: all resumed in {:.1} ms · per pupil {} · resumed {} failed {} · acks changed {} · answers lost {}",
                r.all_ms,
                pct(&r.per_pupil),
                r.resumed,
                r.failed,
                r.acks_changed,
                r.answers_lost.map_or("n/a".into(), |n| n.to_string())
            );
        }
        if !self.tcp.is_empty() {
            let counters: Vec<String> = self.tcp.iter().map(|(k, v)| format!("{k} +{v}")).collect();
            let _ = writeln!(t, "  kernel TCP counters: {}", counters.join(", "));
        }
        if self.errors.is_empty() {
            let _ = writeln!(t, "  errors: none");
        } else {
            for (kind, n) in &self.errors {
                let _ = writeln!(t, "  error {kind}: {n}");
            }
        }
        t
    }
}
