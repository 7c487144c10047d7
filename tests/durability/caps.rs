//! What one address can make the server keep: sessions created per minute
//! (`--new-sessions-per-minute`, then 429 with `Retry-After`) and the total size of stored
//! reports (`--max-reports-size`: the oldest go, never the newest, never a live session).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};
use loupe::guard::Cidr;
use loupe::protocol::{close, ClientMsg, Stage};
use loupe_tools::client::{Client, Created};
use serde_json::json;

use crate::common::flow::Watcher;
use crate::common::{TestServer, T};
use crate::{serial, web};

fn addr(server: &TestServer) -> anyhow::Result<SocketAddr> {
    Ok(server.http_url().trim_start_matches("http://").parse()?)
}

/// `POST /api/sessions` as the client `from` (behind the trusted proxy on 127.0.0.1).
async fn create_from(addr: SocketAddr, from: &str) -> anyhow::Result<web::Answer> {
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Forwarded-For", from),
    ];
    web::request(
        addr,
        "POST",
        "/api/sessions",
        &headers,
        r#"{"quiz":"test-kinds"}"#,
    )
    .await
}

/// One address creating sessions as fast as it can gets a burst of `--new-sessions-per-minute`,
/// then a clear 429 `too_many_new_sessions` with `Retry-After`; another address is not held up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_sessions_is_capped_per_address_per_minute() -> anyhow::Result<()> {
    let _serial = serial().await;
    let server = TestServer::start(|c| {
        c.new_sessions_per_minute = 5;
        c.trusted_proxy = vec![Cidr::parse("127.0.0.1/32")
            .map_err(anyhow::Error::msg)
            .unwrap()];
    })
    .await?;
    let addr = addr(&server)?;
    let mut created = 0;
    let mut refused = None;
    for _ in 0..50 {
        let a = create_from(addr, "203.0.113.5").await?;
        match a.status {
            201 => created += 1,
            429 => {
                refused = Some(a);
                break;
            }
            other => bail!("unexpected {other}: {a:?}"),
        }
    }
    ensure!(created == 5, "{created} sessions created before the cap");
    let Some(a) = refused else {
        bail!("never refused")
    };
    ensure!(a.json()?["error"] == "too_many_new_sessions", "{a:?}");
    ensure!(
        a.json()?["message"]
            .as_str()
            .is_some_and(|m| m.contains("try again")),
        "{a:?}"
    );
    let retry: u64 = a.header("retry-after").parse()?;
    // 5 a minute: one every 12 s.
    ensure!((1..=12).contains(&retry), "Retry-After: {retry}");
    let other = create_from(addr, "203.0.113.6").await?;
    ensure!(
        other.status == 201,
        "another address was held up: {other:?}"
    );
    Ok(())
}

/// A session started and ended by its host, so it leaves a report.
async fn run_and_end(server: &TestServer) -> anyhow::Result<Created> {
    let s = server
        .create_session(json!({"quiz": "test-kinds", "label": "4e B"}))
        .await?;
    let mut host = Client::connect(&server.ws_url()).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    host.send(&ClientMsg::Start).await?;
    host.send(&ClientMsg::End).await?;
    let (code, _) = host.recv_close(T).await?;
    ensure!(code == Some(close::ENDED), "{code:?}");
    Ok(s)
}

/// The status of `s`'s report, waiting (briefly) for one that should appear.
async fn report_status(server: &TestServer, s: &Created, want: u16) -> anyhow::Result<web::Answer> {
    let auth = format!("Bearer {}", s.host_secret);
    let deadline = Instant::now() + T;
    loop {
        let a = web::get(
            addr(server)?,
            &format!("/api/reports/{}", s.code),
            &[("Authorization", auth.as_str())],
        )
        .await?;
        if a.status == want || Instant::now() > deadline {
            return Ok(a);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The bytes a report counts for, as the store counts them (`ReportRow::bytes`).
fn bytes_of(report: &serde_json::Value) -> anyhow::Result<u64> {
    let text = |k: &str| report[k].as_str().map_or(0, str::len);
    let summary = serde_json::to_string(&report["summary"])?.len();
    let host_hash = 64;
    let sum = text("code")
        + host_hash
        + text("quiz_id")
        + text("quiz_title")
        + text("lang")
        + text("label")
        + summary
        + 24;
    Ok(sum as u64)
}

/// With room for two and a half reports, ending a fourth session deletes the two oldest reports
/// and keeps the two newest, while a live session (a journal, not a report) carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_reports_are_capped_oldest_first_never_a_live_session() -> anyhow::Result<()> {
    let _serial = serial().await;
    // Measure one report on a server without a cap.
    let probe = TestServer::plain().await?;
    let one = run_and_end(&probe).await?;
    let a = report_status(&probe, &one, 200).await?;
    ensure!(a.status == 200, "{a:?}");
    let size = bytes_of(&a.json()?)?;
    ensure!(size > 100, "a report of {size} bytes: not a report");
    drop(probe);

    let cap = size * 5 / 2;
    let server = TestServer::start(|c| c.max_reports_size = cap).await?;
    let live = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut console = Watcher::new(Client::connect(&server.ws_url()).await?);
    console
        .client
        .hello_host(&live.code, &live.host_secret)
        .await?;
    let mut ended = Vec::new();
    for _ in 0..4 {
        let s = run_and_end(&server).await?;
        let a = report_status(&server, &s, 200).await?;
        ensure!(a.status == 200, "the newest report is missing: {a:?}");
        ended.push(s);
    }
    for (i, s) in ended.iter().enumerate() {
        let want = if i < 2 { 404 } else { 200 };
        let a = report_status(&server, s, want).await?;
        ensure!(
            a.status == want,
            "report {i} of 4: {} (cap {cap}, one {size})",
            a.status
        );
    }
    // The live session was not touched.
    console.send(ClientMsg::Start).await?;
    console.stage(Stage::Intro).await?;
    Ok(())
}
