//! The controller of one run: start the server, create the sessions, connect the hosts, run
//! the join storm, step the rounds (and the reconnect storm) in time with the hosts, read the
//! server's `/proc` figures between phases, then gather everything into a [`RunReport`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{watch, Barrier, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;

use super::host::{self, HostOutcome, HostPlan};
use super::procfs::{self, ProcSample};
use super::pupil::{self, PupilOutcome};
use super::report::{
    CpuFigures, JoinFigures, Messages, RssFigures, RunReport, StormFigures, Summary,
};
use super::server::{self, Target};
use super::shared::{Counter, SessionSlot, Shared, SharedRef};
use super::stats::{self, ms, Pct};
use super::Options;
use crate::client::HttpClient;

/// Sessions created over HTTP at once.
const CREATE_IN_FLIGHT: usize = 16;

/// Runs the whole scenario of `opts` and returns what it measured.
pub async fn run(opts: &Options) -> anyhow::Result<RunReport> {
    opts.check()?;
    let spawned = match &opts.url {
        Some(_) => None,
        None => Some(server::spawn(&opts.spawn_plan())?),
    };
    let (base, pid) = match &spawned {
        Some(s) => (format!("http://{}", s.addr), Some(s.pid())),
        None => (opts.url.clone().unwrap_or_default(), opts.server_pid),
    };
    let limit = Duration::from_secs(opts.run_timeout_s);
    let result = match timeout(limit, measure(opts, &base, pid)).await {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("the run took longer than {limit:?}")),
    };
    if let Some(server) = spawned {
        server.stop();
    }
    result
}

/// Waits for `fut` within the phase timeout, unless the run is cancelled.
async fn step<F: std::future::Future>(shared: &Shared, what: &str, fut: F) -> Result<(), String> {
    tokio::select! {
        _ = shared.cancel.cancelled() => Err(format!("run: cancelled waiting for {what}")),
        r = timeout(shared.phase_timeout, fut) => r.map(drop).map_err(|_| format!("run: timeout waiting for {what}")),
    }
}

async fn measure(opts: &Options, base: &str, pid: Option<u32>) -> anyhow::Result<RunReport> {
    let read = || pid.and_then(procfs::sample).unwrap_or_default();
    let wall = Instant::now();
    let unix_ms = loupe::session::unix_ms();
    let loadavg_start = procfs::loadavg();
    let me = || procfs::sample(std::process::id()).map_or(0.0, |s| s.cpu_s);
    let (busy_start, me_start) = (procfs::machine_busy_s().unwrap_or(0.0), me());
    let tcp_start = procfs::tcp_counters();
    let start = read();
    let sessions = create_sessions(base, &opts.quiz, opts.sessions).await?;
    let (storm, _) = watch::channel(0u32);
    let shared: SharedRef = Arc::new(Shared {
        ws_url: format!(
            "ws://{}/ws",
            base.trim_start_matches("http://").trim_end_matches('/')
        ),
        client: opts.client,
        gate: Semaphore::new(opts.in_flight),
        cancel: CancellationToken::new(),
        errors: Default::default(),
        join_done: Counter::default(),
        resume_done: Counter::default(),
        storm,
        snapshot_acks: opts.target == Target::Loupe,
        phase_timeout: Duration::from_secs(opts.phase_timeout_s),
        sessions,
    });
    let barrier = Arc::new(Barrier::new(opts.sessions + 1));
    let storm_after = opts.reconnect_storm.then_some(0);
    let hosts: Vec<JoinHandle<Option<HostOutcome>>> = (0..opts.sessions)
        .map(|s| {
            let plan = HostPlan {
                session: s,
                questions: opts.questions,
                offset: Duration::from_millis(opts.spread_ms * s as u64 / opts.sessions as u64),
                storm_after,
                expect_results: opts.target == Target::Loupe,
            };
            let (shared, barrier) = (shared.clone(), barrier.clone());
            tokio::spawn(async move {
                match host::run(shared.clone(), plan, &barrier).await {
                    Ok(out) => Some(out),
                    Err(kind) => {
                        shared.error(kind);
                        shared.cancel.cancel();
                        None
                    }
                }
            })
        })
        .collect();

    let mut samples = Samples {
        start,
        ..Samples::default()
    };
    let mut pupils: Vec<JoinHandle<PupilOutcome>> = Vec::with_capacity(opts.pupils);
    let mut storm_times = None;
    let steps = async {
        step(&shared, "the hosts", barrier.wait()).await?;
        samples.before_join = read();
        samples.join_start = Some(Instant::now());
        for i in 0..opts.pupils {
            pupils.push(tokio::spawn(pupil::run(
                shared.clone(),
                i,
                i % opts.sessions,
            )));
        }
        step(&shared, "the joins", shared.join_done.reach(opts.pupils)).await?;
        samples.after_join = read();
        step(&shared, "the hosts to start", barrier.wait()).await?;
        for q in 0..opts.questions {
            step(&shared, "a round", barrier.wait()).await?;
            if storm_after == Some(q) {
                step(&shared, "every answer counted", barrier.wait()).await?;
                let joined = joined(&shared);
                let t = Instant::now();
                shared.storm.send_modify(|g| *g += 1);
                step(
                    &shared,
                    "the reconnect storm",
                    shared.resume_done.reach(joined),
                )
                .await?;
                storm_times = Some((t, Instant::now()));
                step(&shared, "the hosts after the storm", barrier.wait()).await?;
            }
        }
        step(&shared, "the finish", barrier.wait()).await?;
        samples.end = read();
        Ok::<(), String>(())
    };
    if let Err(kind) = steps.await {
        shared.error(kind);
        shared.cancel.cancel();
    }
    let hosts: Vec<HostOutcome> = gather(&shared, hosts).await.into_iter().flatten().collect();
    let pupils: Vec<PupilOutcome> = gather(&shared, pupils).await;
    let mut report = figures(opts, &shared, &samples, &hosts, &pupils, storm_times);
    let busy = procfs::machine_busy_s().unwrap_or(0.0) - busy_start;
    let server = read().cpu_s - start.cpu_s;
    report.cpu.generator_s = me() - me_start;
    report.cpu.other_s = (busy - server - report.cpu.generator_s).max(0.0);
    report.cpu.loadavg_start = loadavg_start;
    report.tcp = procfs::tcp_counters()
        .into_iter()
        .map(|(k, v)| (k.clone(), v - tcp_start.get(&k).copied().unwrap_or(v)))
        .filter(|(_, d)| *d != 0)
        .collect();
    report.unix_ms = unix_ms;
    report.wall_s = wall.elapsed().as_secs_f64();
    Ok(report)
}

/// `/proc` readings between phases.
#[derive(Default)]
struct Samples {
    start: ProcSample,
    before_join: ProcSample,
    after_join: ProcSample,
    end: ProcSample,
    join_start: Option<Instant>,
}

fn joined(shared: &Shared) -> usize {
    shared
        .sessions
        .iter()
        .map(|s| s.joined.load(std::sync::atomic::Ordering::Acquire) as usize)
        .sum()
}

/// Creates `n` sessions of `quiz`, a few at a time.
async fn create_sessions(base: &str, quiz: &str, n: usize) -> anyhow::Result<Vec<SessionSlot>> {
    let http = HttpClient::new(base)?;
    let body = serde_json::json!({ "quiz": quiz });
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let batch = CREATE_IN_FLIGHT.min(n - out.len());
        let created =
            futures_util::future::join_all((0..batch).map(|_| http.create_session(&body))).await;
        for c in created {
            let c = c.context("creating a session")?;
            out.push(SessionSlot::new(c.code, c.host_secret));
        }
    }
    Ok(out)
}

/// Waits for every task (they end once the server ends the sessions); a task still running a
/// phase timeout later is cancelled, then aborted.
async fn gather<T: Default>(shared: &Shared, handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let deadline = shared.deadline();
    let mut out = Vec::with_capacity(handles.len());
    for mut h in handles {
        let done = match tokio::time::timeout_at(deadline, &mut h).await {
            Ok(r) => r.ok(),
            Err(_) => {
                shared.cancel.cancel();
                match timeout(Duration::from_secs(5), &mut h).await {
                    Ok(r) => r.ok(),
                    Err(_) => {
                        h.abort();
                        None
                    }
                }
            }
        };
        out.push(done.unwrap_or_default());
    }
    out
}

fn figures(
    opts: &Options,
    shared: &Shared,
    samples: &Samples,
    hosts: &[HostOutcome],
    pupils: &[PupilOutcome],
    storm: Option<(Instant, Instant)>,
) -> RunReport {
    let joins: Vec<(Instant, Instant)> = pupils.iter().filter_map(|p| p.join).collect();
    let join_start = samples.join_start.unwrap_or_else(Instant::now);
    let join = JoinFigures {
        all_ms: joins
            .iter()
            .map(|j| ms(join_start, j.1))
            .fold(0.0, f64::max),
        per_pupil: Pct::of(joins.iter().map(|j| ms(j.0, j.1)).collect()),
        joined: joins.len(),
        failed: opts.pupils - joins.len(),
    };
    let questions: Vec<_> = (0..opts.questions)
        .map(|q| stats::question(q, hosts, pupils))
        .collect();
    let used: Vec<usize> = if questions.len() > 1 {
        (1..questions.len()).collect()
    } else {
        (0..questions.len()).collect()
    };
    let median = |f: fn(&stats::QuestionFigures) -> Pct| {
        Pct::median(&used.iter().map(|&q| f(&questions[q])).collect::<Vec<_>>())
    };
    let summary = Summary {
        fanout: median(|q| q.fanout),
        storm: median(|q| q.storm),
        answer_to_count: median(|q| q.answer_to_count),
        questions: used.clone(),
    };
    let per_pupil_bytes = if join.joined > 0 {
        (samples.after_join.rss_kb as f64 - samples.before_join.rss_kb as f64) * 1024.0
            / join.joined as f64
    } else {
        0.0
    };
    let reconnect = storm.map(|(t0, _)| {
        let resumed: Vec<_> = pupils.iter().filter_map(|p| p.resume).collect();
        let storm_q = questions.first();
        StormFigures {
            all_ms: resumed.iter().map(|r| ms(t0, r.done)).fold(0.0, f64::max),
            per_pupil: Pct::of(resumed.iter().map(|r| ms(r.start, r.done)).collect()),
            resumed: resumed.len(),
            failed: join.joined.saturating_sub(resumed.len()),
            acks_changed: resumed.iter().filter(|r| !r.same_ack).count(),
            answers_lost: storm_q
                .and_then(|q| q.results_answered.map(|n| q.expected.saturating_sub(n))),
        }
    });
    let errors = shared.errors();
    let all_counted = questions.iter().all(|q| {
        q.counted == q.expected
            && q.expected == join.joined as u64
            && q.results_answered.is_none_or(|n| n == q.expected)
    });
    let storm_ok = reconnect
        .as_ref()
        .is_none_or(|r| r.failed == 0 && r.acks_changed == 0 && r.answers_lost.unwrap_or(0) == 0);
    let received: Vec<u64> = pupils.iter().map(|p| p.received).collect();
    RunReport {
        case: opts.case_name(),
        variant: opts.variant(),
        target: opts.target,
        durability: (opts.target == Target::Loupe && opts.url.is_none()).then_some(opts.durability),
        sessions: opts.sessions,
        pupils: opts.pupils,
        questions_opened: opts.questions,
        quiz: opts.quiz.clone(),
        in_flight: opts.in_flight,
        spread_ms: opts.spread_ms,
        client: opts.client,
        machine: procfs::machine(),
        unix_ms: 0,
        wall_s: 0.0,
        ok: errors.is_empty() && join.failed == 0 && all_counted && storm_ok,
        join,
        rss: RssFigures {
            start_kb: samples.start.rss_kb,
            before_join_kb: samples.before_join.rss_kb,
            after_join_kb: samples.after_join.rss_kb,
            end_kb: samples.end.rss_kb,
            hwm_kb: samples.end.hwm_kb,
            per_pupil_bytes,
        },
        cpu: CpuFigures {
            join_s: samples.after_join.cpu_s - samples.before_join.cpu_s,
            questions_s: samples.end.cpu_s - samples.after_join.cpu_s,
            total_s: samples.end.cpu_s - samples.start.cpu_s,
            ..CpuFigures::default()
        },
        questions,
        summary,
        messages: Messages {
            mean: received.iter().sum::<u64>() as f64 / received.len().max(1) as f64,
            max: received.iter().copied().max().unwrap_or(0),
            host_mean: hosts.iter().map(|h| h.received).sum::<u64>() as f64
                / hosts.len().max(1) as f64,
        },
        reconnect,
        errors,
        tcp: Default::default(),
        repeats: 1,
    }
}
