//! The phone remote: a 60-second, single-use pairing code claimed by one phone, which gets a
//! credential of its own (never the host secret) that works only once the teacher accepts it on
//! the console; refusing ends its attempt, revoking closes it (4006) for good, and only a device
//! kept until the end may read the report besides the host secret.
//!
//! - [`pairing`]: claim, wait, accept, refuse, revoke over the WebSocket;
//! - [`http`]: the pairing endpoints' refusals, and reports read by a kept or a revoked device.

#[path = "../common/mod.rs"]
mod common;

mod http;
mod pairing;

use std::time::Duration;

use anyhow::{bail, ensure, Context};
use common::raw_http::{self, Reply};
use common::{Client, TestServer, T};
use loupe::protocol::{ClientMsg, DeviceEntry, ServerMsg};
use loupe_tools::client::{ClientError, Created};
use serde_json::{json, Value};
use tokio::time::Instant;

/// One request to `server`, with a JSON `body` when there is one.
pub async fn request(
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
    Ok(raw_http::request(addr, method, path, &headers, body.as_bytes()).await?)
}

/// `POST /api/sessions/{code}/remote` with this bearer secret.
pub async fn pair(server: &TestServer, code: &str, secret: &str) -> anyhow::Result<Reply> {
    let auth = format!("Bearer {secret}");
    let path = format!("/api/sessions/{code}/remote");
    request(server, "POST", &path, &[("Authorization", &auth)], None).await
}

/// `POST /api/remote/claim` with this token.
pub async fn claim(server: &TestServer, token: &str) -> anyhow::Result<Reply> {
    let body = json!({ "token": token });
    request(server, "POST", "/api/remote/claim", &[], Some(&body)).await
}

/// `GET path` with `Authorization: Bearer <secret>`.
pub async fn get_with(server: &TestServer, path: &str, secret: &str) -> anyhow::Result<Reply> {
    let auth = format!("Bearer {secret}");
    request(server, "GET", path, &[("Authorization", &auth)], None).await
}

/// The token in a pairing's `url` fragment, after checking the rest of the answer.
pub fn token_of(reply: &Reply) -> anyhow::Result<String> {
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

/// A session with its console attached (holding the host secret).
pub async fn lesson(server: &TestServer) -> anyhow::Result<(Created, Client)> {
    let s = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut console = server.connect().await?;
    console.hello_host(&s.code, &s.host_secret).await?;
    Ok((s, console))
}

/// Shows a pairing code and claims it as a phone; returns the phone's credential after checking
/// that the answer carries exactly the code and a fresh credential.
pub async fn claimed(server: &TestServer, s: &Created) -> anyhow::Result<String> {
    let token = token_of(&pair(server, &s.code, &s.host_secret).await?)?;
    let reply = claim(server, &token).await?;
    let text = reply.text()?;
    ensure!(reply.status == 200, "claim: {} {text}", reply.status);
    ensure!(
        reply.header("cache-control") == Some("no-store"),
        "{reply:?}"
    );
    ensure!(
        !text.contains(&s.host_secret) && !text.contains(&s.screen_token),
        "the claim hands over a session secret: {text}"
    );
    let body = reply.json()?;
    let credential = body["credential"].as_str().context("no credential")?;
    ensure!(
        credential.len() == 32 && credential.bytes().all(|b| b.is_ascii_hexdigit()),
        "credential {credential}"
    );
    ensure!(
        body == json!({"code": s.code, "credential": credential}),
        "{body}"
    );
    // Single use: the same token again (a second phone, a photo of the QR code) gets nothing.
    claim(server, &token).await?.expect_error(410, "expired")?;
    Ok(credential.to_owned())
}

/// Waits for the console's device list matching `waiting` and `devices` (numbers, connected).
pub async fn devices_on(
    console: &mut Client,
    waiting: &[u32],
    devices: &[(u32, bool)],
) -> anyhow::Result<Vec<DeviceEntry>> {
    let env = console
        .recv_until(T, |m| match m {
            ServerMsg::Devices {
                waiting: w,
                devices: d,
            } => {
                w == waiting
                    && d.iter()
                        .map(|e| (e.device, e.connected))
                        .collect::<Vec<_>>()
                        == devices
            }
            _ => false,
        })
        .await
        .with_context(|| format!("console list: waiting {waiting:?}, devices {devices:?}"))?;
    match env.msg {
        ServerMsg::Devices { devices, .. } => Ok(devices),
        other => bail!("{other:?}"),
    }
}

/// A phone paired and accepted as device `n`: its welcomed socket and its credential.
pub async fn paired_device(
    server: &TestServer,
    s: &Created,
    console: &mut Client,
    n: u32,
) -> anyhow::Result<(Client, String)> {
    let credential = claimed(server, s).await?;
    let mut phone = server.connect().await?;
    ensure!(phone.hello_waiting(&s.code, &credential).await? == n);
    console.send(&ClientMsg::AcceptDevice { device: n }).await?;
    phone
        .recv_until(T, |m| matches!(m, ServerMsg::Welcome { .. }))
        .await?;
    Ok((phone, credential))
}

/// Everything a fresh socket gets for `hello` as a host with `secret` on `code`: every text
/// frame, then the close code; and how long the first frame took.
pub async fn whole_refusal(
    server: &TestServer,
    code: &str,
    secret: &str,
) -> anyhow::Result<(String, Duration)> {
    let mut c = server.connect().await?;
    let hello =
        json!({"type": "hello", "version": 1, "role": "host", "code": code, "secret": secret});
    let sent = Instant::now();
    c.send_raw(&hello.to_string()).await?;
    let mut seen = String::new();
    let mut took = None;
    loop {
        match c.recv_text().await {
            Ok(r) => {
                took = took.or(Some(sent.elapsed()));
                seen.push_str(&r.text);
                seen.push('\n');
            }
            Err(ClientError::Closed { code, reason }) => {
                seen.push_str(&format!("close {code:?} {reason}"));
                return Ok((seen, took.unwrap_or_default()));
            }
            Err(e) => return Err(e.into()),
        }
    }
}
