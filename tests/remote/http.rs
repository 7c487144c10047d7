//! The pairing endpoints' refusals, and who may read a report: the host secret, a device kept
//! until the end, not a revoked one.

use std::time::Duration;

use anyhow::ensure;
use loupe::protocol::ClientMsg;
use serde_json::json;
use tokio::time::Instant;

use crate::common::{TestServer, T};
use crate::{claim, get_with, lesson, pair, paired_device, request, token_of};

#[tokio::test]
async fn reports_open_with_the_host_secret_or_a_device_kept_until_the_end() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut console) = lesson(&server).await?;
    let (_kept, kept) = paired_device(&server, &s, &mut console, 1).await?;
    let (mut gone, revoked) = paired_device(&server, &s, &mut console, 2).await?;
    console.send(&ClientMsg::RevokeDevice { device: 2 }).await?;
    gone.recv_close(T).await?;
    console.send(&ClientMsg::Start).await?;
    console.send(&ClientMsg::End).await?;
    console.recv_close(T).await?;

    // The report is written as the session ends: wait for it with the host secret.
    let path = format!("/api/reports/{}", s.code);
    let deadline = Instant::now() + T;
    let master = loop {
        let r = get_with(&server, &path, &s.host_secret).await?;
        if r.status == 200 {
            break r.json()?;
        }
        ensure!(Instant::now() < deadline, "no report: {}", r.status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let by_device = get_with(&server, &path, &kept).await?;
    ensure!(by_device.status == 200, "kept device: {}", by_device.status);
    ensure!(by_device.json()? == master);
    let csv = get_with(&server, &format!("{path}/csv"), &kept).await?;
    ensure!(csv.status == 200, "kept device, CSV: {}", csv.status);
    for p in [path.clone(), format!("{path}/csv")] {
        get_with(&server, &p, &revoked)
            .await?
            .expect_error(404, "unknown_report")?;
    }
    Ok(())
}

#[tokio::test]
async fn pairing_needs_the_host_secret_of_a_live_session() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let s = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let other = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let path = format!("/api/sessions/{}/remote", s.code);

    // No secret, another scheme, the screen token, another session's secret: all refused.
    request(&server, "POST", &path, &[], None)
        .await?
        .expect_error(401, "bad_secret")?;
    let basic = format!("Basic {}", s.host_secret);
    request(&server, "POST", &path, &[("Authorization", &basic)], None)
        .await?
        .expect_error(401, "bad_secret")?;
    pair(&server, &s.code, &s.screen_token)
        .await?
        .expect_error(401, "bad_secret")?;
    pair(&server, &s.code, &other.host_secret)
        .await?
        .expect_error(401, "bad_secret")?;

    // A code with no session is refused like a wrong secret: telling them apart would reveal
    // which codes are live. A code that is not a code is a 404.
    let unknown = if s.code == "999999" || other.code == "999999" {
        "999998"
    } else {
        "999999"
    };
    pair(&server, unknown, &s.host_secret)
        .await?
        .expect_error(401, "bad_secret")?;
    pair(&server, "abc", &s.host_secret)
        .await?
        .expect_error(404, "unknown_session")?;
    request(&server, "GET", &path, &[], None)
        .await?
        .expect_error(405, "method_not_allowed")?;
    Ok(())
}

#[tokio::test]
async fn claims_of_unknown_old_or_malformed_tokens_fail() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let s = server.create_session(json!({"quiz": "test-kinds"})).await?;

    claim(&server, "0123456789abcdef0123456789abcdef")
        .await?
        .expect_error(410, "expired")?;
    claim(&server, "").await?.expect_error(410, "expired")?;
    let bad = [json!({"token": 5}), json!({"token": "x", "code": "123456"})];
    for body in bad {
        request(&server, "POST", "/api/remote/claim", &[], Some(&body))
            .await?
            .expect_error(400, "bad_request")?;
    }

    // Showing a new code on the console makes the previous one useless.
    let old = token_of(&pair(&server, &s.code, &s.host_secret).await?)?;
    let new = token_of(&pair(&server, &s.code, &s.host_secret).await?)?;
    claim(&server, &old).await?.expect_error(410, "expired")?;
    ensure!(claim(&server, &new).await?.status == 200);
    Ok(())
}

#[tokio::test]
async fn a_pairing_dies_with_its_session() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host) = lesson(&server).await?;
    let token = token_of(&pair(&server, &s.code, &s.host_secret).await?)?;
    host.send(&ClientMsg::End).await?;
    host.recv_close(T).await?;
    // The actor removes the code from the registry as it stops: wait for that, with a deadline.
    let deadline = Instant::now() + T;
    loop {
        let r = pair(&server, &s.code, &s.host_secret).await?;
        // Refused as a wrong secret once no session has the code (a 404 would reveal live codes).
        if r.status == 401 {
            break;
        }
        ensure!(Instant::now() < deadline, "session still live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    claim(&server, &token).await?.expect_error(410, "expired")?;
    Ok(())
}
