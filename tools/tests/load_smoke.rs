//! A short run of the load generator: 2 sessions × 50 pupils through the whole fixture quiz,
//! with a reconnect storm, against the real server in this process, then the same scenario
//! against the baseline binary. Checks that every answer is counted and nothing is lost after
//! the storm; asserts no timing.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::TestServer;
use loupe_tools::load::{run, Options, RunReport, Target};

fn scenario() -> Options {
    let mut opts = Options::new(2, 100);
    opts.quiz = "test-kinds".into();
    opts.questions = 6;
    opts.reconnect_storm = true;
    opts.phase_timeout_s = 20;
    opts.run_timeout_s = 60;
    opts
}

/// Every question: each joined pupil's answer counted by the hosts (and in the results).
fn assert_all_counted(report: &RunReport) {
    assert!(report.ok, "{}", report.table());
    assert_eq!((report.join.joined, report.join.failed), (100, 0));
    assert_eq!(report.questions.len(), 6);
    for q in &report.questions {
        assert_eq!((q.expected, q.counted), (100, 100), "question {}", q.index);
        assert_eq!(q.fanout.n, 100, "every pupil got question {}", q.index);
        assert_eq!(
            q.storm.n, 100,
            "every answer of question {} counted",
            q.index
        );
    }
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_of_fifty_through_the_fixture_quiz() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let mut opts = scenario();
    opts.url = Some(server.http_url());
    opts.server_pid = Some(std::process::id());
    let report = run::run(&opts).await?;
    println!("{}", report.table());
    assert_all_counted(&report);
    for q in &report.questions {
        assert_eq!(
            q.results_answered,
            Some(100),
            "results of question {}",
            q.index
        );
    }
    let storm = report.reconnect.as_ref().expect("a reconnect storm ran");
    assert_eq!(
        (
            storm.resumed,
            storm.failed,
            storm.acks_changed,
            storm.answers_lost
        ),
        (100, 0, 0, Some(0))
    );
    // A constant number of messages per pupil, whatever the class size.
    assert!(report.messages.max < 100, "{:?}", report.messages);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_baseline_speaks_enough_of_the_protocol() -> anyhow::Result<()> {
    // Both baselines: the one that acknowledges every answer, and the bare one that does not.
    let mut per_pupil = Vec::new();
    for target in [Target::Baseline, Target::Bare] {
        let mut opts = scenario();
        opts.target = target;
        opts.server_bin = Some(env!("CARGO_BIN_EXE_loupe-baseline").into());
        opts.no_pin = true;
        let report = run::run(&opts).await?;
        println!("{}", report.table());
        assert_all_counted(&report);
        let storm = report.reconnect.as_ref().expect("a reconnect storm ran");
        assert_eq!((storm.resumed, storm.failed), (100, 0), "{target:?}");
        per_pupil.push(report.messages.mean);
    }
    // The bare one sends each pupil one acknowledgement less per answer.
    assert!(
        per_pupil[1] < per_pupil[0],
        "messages per pupil {per_pupil:?}"
    );
    Ok(())
}
