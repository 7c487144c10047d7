//! Nothing of a pupil is left in the database files once their session is over (ended by the
//! host, or purged at start after the host grace), and the aggregate report stays readable with
//! the host secret, and only with it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};
use loupe::protocol::{close, ClientMsg, ErrorCode};
use loupe::session::secret;
use loupe_tools::client::{Client, ClientError, Created};
use serde_json::json;

use crate::common::model;
use crate::common::{TestServer, T};
use crate::lesson::{choice, Class};
use crate::phone::Phone;
use crate::proc::{Loupe, Scratch};
use crate::{serial, web};

/// A `client_seq` no other answer uses: its digits in a file mean the answer is still there.
pub const MARK_SEQ: u64 = 987_654_321;
/// The database files SQLite may hold data in (WAL mode).
const FILES: [&str; 3] = ["loupe.db", "loupe.db-wal", "loupe.db-shm"];

/// The needles of `phones`: each token's SHA-256 (what events store), each token itself, and the
/// marked answer's `client_seq`.
pub fn needles(phones: &[Phone]) -> Vec<String> {
    let mut out = vec![MARK_SEQ.to_string()];
    for p in phones {
        out.push(secret::hash(&p.token));
        out.push(p.token.clone());
    }
    out
}

/// Which needles occur in which database file, as `needle in file` lines.
pub fn found(data: &Path, needles: &[String]) -> anyhow::Result<Vec<String>> {
    let mut hits = Vec::new();
    for name in FILES {
        let bytes = match std::fs::read(data.join(name)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for n in needles {
            if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                hits.push(format!("{n} in {name} ({} bytes)", bytes.len()));
            }
        }
    }
    Ok(hits)
}

/// Waits until no needle is left in the files (the deletion commits, then the WAL is truncated).
pub async fn until_clean(data: &Path, needles: &[String]) -> anyhow::Result<()> {
    let deadline = Instant::now() + T;
    loop {
        let hits = found(data, needles)?;
        if hits.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("per-pupil data still in the database files after {T:?}: {hits:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pupil 0 answers `q` with the marked `client_seq`; the others normally; all acknowledged.
pub async fn answer_marked(class: &mut Class, q: &str) -> anyhow::Result<()> {
    class
        .answer_all(q, |i| (i > 0).then(|| choice(q, i)))
        .await?;
    let p0 = &mut class.phones[0];
    p0.send_answer(q, 1, MARK_SEQ, choice(q, 0)).await;
    p0.acked_up_to(q, 1, MARK_SEQ, T).await
}

/// The report endpoints: JSON and CSV with the host secret; 401 without a secret; the same 404
/// for a wrong secret (the screen token), an unknown code and a malformed one.
pub async fn check_report(server: &Loupe, s: &Created, pupils: u32) -> anyhow::Result<()> {
    let path = format!("/api/reports/{}", s.code);
    let auth = format!("Bearer {}", s.host_secret);
    let with = [("Authorization", auth.as_str())];
    // The report is written in the same transaction as the deletion; wait for it.
    let deadline = Instant::now() + T;
    let answer = loop {
        let answer = web::get(server.addr, &path, &with).await?;
        if answer.status != 404 || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    ensure!(answer.status == 200, "report: {answer:?}");
    ensure!(
        answer
            .header("content-type")
            .starts_with("application/json"),
        "{answer:?}"
    );
    let report = answer.json()?;
    ensure!(report["code"] == s.code.as_str(), "{report}");
    ensure!(report["quiz_id"] == "test-kinds", "{report}");
    ensure!(report["summary"]["pupils"] == pupils, "{report}");
    ensure!(
        report["summary"].get("podium").is_none(),
        "no podium in reports: {report}"
    );

    let csv = web::get(server.addr, &format!("{path}/csv"), &with).await?;
    ensure!(csv.status == 200, "csv: {csv:?}");
    ensure!(
        csv.header("content-type") == "text/csv; charset=utf-8",
        "{:?}",
        csv.headers
    );
    let disposition = format!("attachment; filename=\"loupe-{}.csv\"", s.code);
    ensure!(
        csv.header("content-disposition") == disposition,
        "{:?}",
        csv.headers
    );
    ensure!(
        csv.body.starts_with('\u{feff}') && csv.body.contains("Test: every kind"),
        "{}",
        csv.body
    );

    for p in [path.clone(), format!("{path}/csv")] {
        let none = web::get(server.addr, &p, &[]).await?;
        ensure!(
            none.status == 401 && none.json()?["error"] == "no_host_secret",
            "{none:?}"
        );
        ensure!(none.header("www-authenticate") == "Bearer", "{none:?}");
        let basic = [("Authorization", "Basic bm9wZQ==")];
        ensure!(web::get(server.addr, &p, &basic).await?.status == 401);
        let screen = format!("Bearer {}", s.screen_token);
        let wrong = web::get(server.addr, &p, &[("Authorization", screen.as_str())]).await?;
        ensure!(
            wrong.status == 404 && wrong.json()?["error"] == "unknown_report",
            "{wrong:?}"
        );
    }
    let other = if s.code == "123456" {
        "654321"
    } else {
        "123456"
    };
    for code in [other, "12ab56", "1234567"] {
        let a = web::get(server.addr, &format!("/api/reports/{code}"), &with).await?;
        ensure!(
            a.status == 404 && a.json()?["error"] == "unknown_report",
            "{code}: {a:?}"
        );
    }
    Ok(())
}

/// A session ended by the host leaves no token hash, token or answer in `loupe.db`,
/// `loupe.db-wal` or `loupe.db-shm` (they were there while it ran), and its report is readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_leaves_no_pupil_data() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let quiz = model::fixture("test-kinds")?;
    let scratch = Scratch::new("retention-end")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &[]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"], "label": "4e B"});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 4).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);
    let hits = found(&data, &needles)?;
    // Acknowledged means written: the marked answer and the pupils' token hashes are on disk.
    ensure!(
        hits.iter().any(|h| h.starts_with(&MARK_SEQ.to_string())),
        "marked answer not on disk: {hits:?}"
    );
    ensure!(
        hits.iter().any(|h| h.starts_with(&needles[1])),
        "token hash not on disk: {hits:?}"
    );
    ensure!(
        !hits.iter().any(|h| h.starts_with(&needles[2])),
        "a raw token on disk: {hits:?}"
    );

    class.close(&quiz, "q-single").await?;
    class.host.send(ClientMsg::Next).await?;
    class
        .answer_all("q-tf", |i| Some(choice("q-tf", i)))
        .await?;
    class.close(&quiz, "q-tf").await?;
    class.finish(&quiz, &["q-single", "q-tf"]).await?;
    check_report(&server, &class.s, 4).await?;
    until_clean(&data, &needles).await?;
    server.stop().await?;
    let hits = found(&data, &needles)?;
    ensure!(hits.is_empty(), "after shutdown: {hits:?}");
    eprintln!("retention (end): clean; whole test {:?}", started.elapsed());
    Ok(())
}

/// A session left unfinished (the laptop died mid-question) is purged at the next start once the
/// host grace has passed: no pupil data left in the files, the session is gone, and its report
/// is readable with the host secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_session_leaves_no_pupil_data() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let scratch = Scratch::new("retention-purge")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &[]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"]});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 4).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);
    ensure!(
        found(&data, &needles)?.len() >= 2,
        "nothing on disk to purge"
    );
    server.kill().await?;

    // Let the 1 s host grace pass (the sessions table says when the session was last active).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let back = Loupe::start(&scratch, &["--host-grace", "1s"]).await?;
    let hits = found(&data, &needles)?;
    ensure!(hits.is_empty(), "after the purge at start: {hits:?}");
    let mut host = Client::connect(&back.ws_url()).await?;
    // With the right secret, a live session would welcome it; a code with no session refuses a
    // secret as wrong (it must not tell a guesser that the code is free).
    match host.hello_host(&class.s.code, &class.s.host_secret).await {
        Err(ClientError::Refused {
            code: ErrorCode::BadSecret,
            ..
        }) => {}
        other => bail!("the purged session still answers: {other:?}"),
    }
    check_report(&back, &class.s, 4).await?;
    back.stop().await?;
    ensure!(found(&data, &needles)?.is_empty(), "after shutdown");
    eprintln!(
        "retention (purge): clean; whole test {:?}",
        started.elapsed()
    );
    Ok(())
}

/// A session whose host stays away longer than `--host-grace` ends while the server runs: the
/// phones are told (`ended`, close 4000), no pupil data is left in the files, and the report is
/// readable with the host secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_host_left_ends_and_leaves_no_pupil_data() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let scratch = Scratch::new("retention-away")?;
    let data = scratch.data();
    let server = Loupe::start(&scratch, &["--host-grace", "2s"]).await?;
    let body = json!({"quiz": "test-kinds", "questions": ["q-single", "q-tf"]});
    let mut class = Class::open(server.addr, &server.ws_url(), body, 4).await?;
    answer_marked(&mut class, "q-single").await?;
    let needles = needles(&class.phones);
    ensure!(
        found(&data, &needles)?.len() >= 2,
        "nothing on disk to purge"
    );
    class.host.client.close().await?;
    for p in &mut class.phones {
        let code = p.drain_to_close(Duration::from_secs(20)).await?;
        ensure!(
            code == Some(close::ENDED),
            "pupil {}: closed with {code:?}",
            p.idx
        );
    }
    // The grace as the server measured it, from the host's detach to the end: the test's own
    // clock would start only once the client's close handshake completed, late under load.
    let line = server.log_line("no host came back in time", T).await?;
    let away_ms: u64 = field(&line, "away_ms")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no away_ms in {line:?}"))?;
    let ended = Duration::from_millis(away_ms);
    ensure!(
        ended >= Duration::from_secs(2),
        "ended {ended:?} after the host left, before the grace: {line}"
    );
    check_report(&server, &class.s, 4).await?;
    until_clean(&data, &needles).await?;
    server.stop().await?;
    ensure!(found(&data, &needles)?.is_empty(), "after shutdown");
    eprintln!(
        "retention (host away): ended {ended:?} after the host left; whole test {:?}",
        started.elapsed()
    );
    Ok(())
}

/// The value of `name=value` in a text log line.
pub fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let at = line.find(&format!("{name}="))? + name.len() + 1;
    line[at..].split([' ', '\n']).next()
}

/// With `--journal memory` there is no store: the report endpoints answer 503 `no_store`.
#[tokio::test]
async fn reports_need_the_store() -> anyhow::Result<()> {
    let _serial = serial().await;
    let server = TestServer::start(|c| c.journal = loupe::config::JournalKind::Memory).await?;
    let addr = server.http_url().trim_start_matches("http://").parse()?;
    let a = web::get(
        addr,
        "/api/reports/123456",
        &[("Authorization", "Bearer x")],
    )
    .await?;
    ensure!(a.status == 503 && a.json()?["error"] == "no_store", "{a:?}");
    Ok(())
}
