//! The phone remote's pairing over HTTP: a 60-second, single-use token that hands the host secret
//! to the teacher's phone, which then drives the session as a host.

mod common;

use std::time::Duration;

use anyhow::{ensure, Context};
use common::raw_http::{self, Reply};
use common::{TestServer, T};
use loupe::protocol::{ClientMsg, ServerMsg, Stage};
use serde_json::{json, Value};

/// One request to `server`, with a JSON `body` when there is one.
async fn request(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> anyhow::Result<Reply> {
    let addr = server.http_url().trim_start_matches("http://").to_owned();
    let body = body.map(Value::to_string).unwrap_or_default();
    let json: &[(&str, &str)] = if body.is_empty() {
        &[]
    } else {
        &[("Content-Type", "application/json")]
    };
    let headers: Vec<(&str, &str)> = headers.iter().chain(json).copied().collect();
    raw_http::request(addr, method, path, &headers, body.as_bytes()).await
}

/// `POST /api/sessions/{code}/remote` with this bearer secret.
async fn pair(server: &TestServer, code: &str, secret: &str) -> anyhow::Result<Reply> {
    let auth = format!("Bearer {secret}");
    let path = format!("/api/sessions/{code}/remote");
    request(server, "POST", &path, &[("Authorization", &auth)], None).await
}

/// `POST /api/remote/claim` with this token.
async fn claim(server: &TestServer, token: &str) -> anyhow::Result<Reply> {
    let body = json!({ "token": token });
    request(server, "POST", "/api/remote/claim", &[], Some(&body)).await
}

/// The token in a pairing's `url` fragment, after checking the rest of the answer.
fn token_of(reply: &Reply) -> anyhow::Result<String> {
    ensure!(
        reply.status == 201,
        "pairing: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    ensure!(
        reply.header("cache-control") == Some("no-store"),
        "{reply:?}"
    );
    let body = reply.json()?;
    let url = body["url"].as_str().context("no url")?;
    let (base, token) = url
        .split_once("/remote#")
        .context("no /remote# in the url")?;
    ensure!(!base.is_empty() && base.starts_with("http"), "url {url}");
    ensure!(
        token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "token {token}"
    );
    ensure!(body["expires_in"] == 60, "{body}");
    let svg = body["qr_svg"].as_str().context("no qr_svg")?;
    ensure!(
        svg.contains("<svg") && svg.ends_with("</svg>"),
        "qr {svg:.80}"
    );
    Ok(token.to_owned())
}

#[tokio::test]
async fn a_pairing_hands_the_host_secret_over_once_and_the_phone_drives_the_session(
) -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let s = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let token = token_of(&pair(&server, &s.code, &s.host_secret).await?)?;

    let first = claim(&server, &token).await?;
    ensure!(
        first.status == 200,
        "claim: {} {}",
        first.status,
        String::from_utf8_lossy(&first.body)
    );
    ensure!(
        first.header("cache-control") == Some("no-store"),
        "{first:?}"
    );
    let body = first.json()?;
    ensure!(
        body == json!({"code": s.code, "host_secret": s.host_secret}),
        "{body}"
    );

    // Single use: the same token again (a photo of the QR code) is useless.
    claim(&server, &token).await?.expect_error(410, "expired")?;

    // The phone connects as a host with what it claimed, and its commands work.
    let mut phone = server.connect().await?;
    let code = body["code"].as_str().context("code")?;
    let secret = body["host_secret"].as_str().context("secret")?;
    phone.hello_host(code, secret).await?;
    phone.send(&ClientMsg::Start).await?;
    phone
        .recv_until(T, |e| {
            matches!(
                e,
                ServerMsg::Phase {
                    stage: Stage::Intro,
                    ..
                }
            )
        })
        .await?;
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

    // Unknown sessions and codes that are not codes.
    let unknown = if s.code == "999999" || other.code == "999999" {
        "999998"
    } else {
        "999999"
    };
    // A code with no session is refused like a wrong secret: telling them apart would reveal
    // which codes are live.
    pair(&server, unknown, &s.host_secret)
        .await?
        .expect_error(401, "bad_secret")?;
    pair(&server, "abc", &s.host_secret)
        .await?
        .expect_error(404, "unknown_session")?;

    // Only POST.
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
    request(
        &server,
        "POST",
        "/api/remote/claim",
        &[],
        Some(&json!({"token": 5})),
    )
    .await?
    .expect_error(400, "bad_request")?;
    request(
        &server,
        "POST",
        "/api/remote/claim",
        &[],
        Some(&json!({"token": "x", "code": "123456"})),
    )
    .await?
    .expect_error(400, "bad_request")?;

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
    let s = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let token = token_of(&pair(&server, &s.code, &s.host_secret).await?)?;

    let mut host = server.connect().await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    host.send(&ClientMsg::End).await?;
    host.recv_close(T).await?;
    // The actor removes the code from the registry as it stops: wait for that, with a deadline.
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let r = pair(&server, &s.code, &s.host_secret).await?;
        // Refused as a wrong secret once no session has the code (a 404 would reveal live codes).
        if r.status == 401 {
            break;
        }
        ensure!(tokio::time::Instant::now() < deadline, "session still live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    claim(&server, &token).await?.expect_error(410, "expired")?;
    Ok(())
}
