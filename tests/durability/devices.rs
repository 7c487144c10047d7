//! Phone remotes across a crash: a device the teacher accepted still drives the lesson after
//! `kill -9` and a restart, a revoked one stays revoked, and the report at the end opens for the
//! device that was kept and not for the revoked one.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use loupe::protocol::{close, ClientMsg, ErrorCode, ServerMsg, Stage};
use loupe_tools::client::{Client, ClientError, Created};
use serde_json::json;
use tokio::time::Instant;

use crate::common::T;
use crate::proc::{Loupe, Scratch};
use crate::{serial, web};

/// Shows a pairing code on `addr` and claims it: the phone's credential.
async fn claim(addr: SocketAddr, s: &Created) -> anyhow::Result<String> {
    let auth = format!("Bearer {}", s.host_secret);
    let path = format!("/api/sessions/{}/remote", s.code);
    let pairing = web::request(addr, "POST", &path, &[("Authorization", &auth)], "").await?;
    ensure!(pairing.status == 201, "pairing: {pairing:?}");
    let url = pairing.json()?["url"].as_str().context("url")?.to_owned();
    let token = url.rsplit_once('#').context("fragment")?.1;
    let body = json!({ "token": token }).to_string();
    let json = [("Content-Type", "application/json")];
    let claimed = web::request(addr, "POST", "/api/remote/claim", &json, &body).await?;
    ensure!(claimed.status == 200, "claim: {claimed:?}");
    Ok(claimed.json()?["credential"]
        .as_str()
        .context("credential")?
        .to_owned())
}

/// Pairs a phone and accepts it on `console`: its welcomed socket and credential.
async fn paired(
    addr: SocketAddr,
    url: &str,
    s: &Created,
    console: &mut Client,
) -> anyhow::Result<(Client, String)> {
    let credential = claim(addr, s).await?;
    let mut phone = Client::connect(url).await?;
    let device = phone.hello_waiting(&s.code, &credential).await?;
    console.send(&ClientMsg::AcceptDevice { device }).await?;
    phone
        .recv_until(T, |m| matches!(m, ServerMsg::Welcome { .. }))
        .await?;
    Ok((phone, credential))
}

/// Waits until `GET path` with `secret` stops answering 404 (the report is being written).
async fn report(addr: SocketAddr, path: &str, secret: &str) -> anyhow::Result<u16> {
    let auth = format!("Bearer {secret}");
    let deadline = Instant::now() + T;
    loop {
        let answer = web::get(addr, path, &[("Authorization", &auth)]).await?;
        if answer.status != 404 || Instant::now() > deadline {
            return Ok(answer.status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two phones are accepted, the second is revoked, then the server is killed with SIGKILL and
/// restarted on the same `--data`. The kept phone's credential welcomes it as a host again and it
/// drives the lesson; the revoked one is refused `bad_secret`; the console's list names only the
/// kept phone. After the end, the report opens with the host secret and the kept phone's
/// credential, and not with the revoked one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paired_devices_and_revocations_survive_a_crash() -> anyhow::Result<()> {
    let _serial = serial().await;
    let scratch = Scratch::new("devices")?;
    let server = Loupe::start(&scratch, &[]).await?;
    let url = server.ws_url();
    let s = web::create_session(server.addr, json!({"quiz": "test-kinds"})).await?;
    let mut console = Client::connect(&url).await?;
    console.hello_host(&s.code, &s.host_secret).await?;
    let (_kept, kept) = paired(server.addr, &url, &s, &mut console).await?;
    let (mut gone, revoked) = paired(server.addr, &url, &s, &mut console).await?;
    console.send(&ClientMsg::RevokeDevice { device: 2 }).await?;
    let (code, _) = gone.recv_close(T).await?;
    ensure!(code == Some(close::REVOKED), "revoked: close {code:?}");
    // The console's list shows the revocation only once it is durable: after the list of both.
    let numbers = |m: &ServerMsg| match m {
        ServerMsg::Devices { devices, .. } => devices.iter().map(|d| d.device).collect(),
        _ => vec![],
    };
    console.recv_until(T, |m| numbers(m) == [1, 2]).await?;
    console.recv_until(T, |m| numbers(m) == [1]).await?;
    server.kill().await?;

    let back = Loupe::start(&scratch, &[]).await?;
    let url = back.ws_url();
    let mut console = Client::connect(&url).await?;
    console.hello_host(&s.code, &s.host_secret).await?;
    let listed = console
        .recv_until(T, |m| matches!(m, ServerMsg::Devices { .. }))
        .await?;
    match listed.msg {
        ServerMsg::Devices { waiting, devices }
            if waiting.is_empty() && devices.len() == 1 && devices[0].device == 1 => {}
        other => bail!("after the restart the console lists {other:?}"),
    }
    let mut phone = Client::connect(&url).await?;
    phone.hello_host(&s.code, &kept).await?;
    phone.send(&ClientMsg::Start).await?;
    console
        .recv_until(T, |m| {
            matches!(
                m,
                ServerMsg::Phase {
                    stage: Stage::Intro,
                    ..
                }
            )
        })
        .await?;
    let mut again = Client::connect(&url).await?;
    match again.hello_host(&s.code, &revoked).await {
        Err(ClientError::Refused {
            code: ErrorCode::BadSecret,
            ..
        }) => {}
        other => bail!("the revoked phone after the restart: {other:?}"),
    }

    phone.send(&ClientMsg::End).await?;
    console.recv_close(T).await?;
    let path = format!("/api/reports/{}", s.code);
    ensure!(report(back.addr, &path, &s.host_secret).await? == 200);
    ensure!(report(back.addr, &path, &kept).await? == 200);
    let auth = format!("Bearer {revoked}");
    let refused = web::get(back.addr, &path, &[("Authorization", &auth)]).await?;
    ensure!(refused.status == 404, "revoked device: {refused:?}");
    back.stop().await
}
