//! Claim, wait for the console, accept, refuse and revoke, over the real server.

use std::time::Duration;

use anyhow::{bail, ensure};
use loupe::protocol::{close, ClientMsg, ErrorCode, ServerMsg, Stage};
use loupe_tools::client::ClientError;

use crate::common::{TestServer, T};
use crate::{claimed, devices_on, lesson, pair, paired_device, whole_refusal};

#[tokio::test]
async fn a_claimed_phone_waits_for_the_console_then_drives_with_its_own_credential(
) -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut console) = lesson(&server).await?;
    let credential = claimed(&server, &s).await?;
    ensure!(credential != s.host_secret);

    // The console learns at once that a phone claimed the code (and so hides the QR code).
    devices_on(&mut console, &[1], &[]).await?;

    // The phone waits, learning nothing of the session, and cannot drive yet.
    let mut phone = server.connect().await?;
    ensure!(phone.hello_waiting(&s.code, &credential).await? == 1);
    phone.send(&ClientMsg::Start).await?;
    let (code, _) = phone.recv_error(T).await?;
    ensure!(
        code == ErrorCode::NotAllowed,
        "start while waiting: {code:?}"
    );

    console.send(&ClientMsg::AcceptDevice { device: 1 }).await?;
    let mut frames = phone
        .recv_until_text(T, |m| matches!(m, ServerMsg::Welcome { .. }))
        .await?;
    ensure!(
        frames
            .iter()
            .all(|r| r.env.seq == 0 || matches!(r.env.msg, ServerMsg::Welcome { .. })),
        "before the welcome the phone got: {frames:?}"
    );
    let listed = devices_on(&mut console, &[], &[(1, true)]).await?;
    ensure!(listed[0].paired_unix_ms > 1_600_000_000_000, "{listed:?}");

    // A device drives the lesson like the console, and gets the notes.
    phone.send(&ClientMsg::Start).await?;
    phone.send(&ClientMsg::Next).await?;
    frames.extend(
        phone
            .recv_until_text(T, |m| matches!(m, ServerMsg::Facilitator(_)))
            .await?,
    );
    console
        .recv_until(T, |m| {
            matches!(
                m,
                ServerMsg::Phase {
                    stage: Stage::Open,
                    ..
                }
            )
        })
        .await?;

    // It may not manage devices, see their list or show a pairing code.
    for msg in [
        ClientMsg::AcceptDevice { device: 1 },
        ClientMsg::RevokeDevice { device: 1 },
    ] {
        phone.send(&msg).await?;
        let (code, reply_to) = phone.recv_error(T).await?;
        ensure!(
            code == ErrorCode::NotAllowed && reply_to.as_deref() == Some(msg.name()),
            "{msg:?}: {code:?} {reply_to:?}"
        );
    }
    pair(&server, &s.code, &credential)
        .await?
        .expect_error(401, "bad_secret")?;
    phone.send(&ClientMsg::Ping { nonce: 1 }).await?;
    frames.extend(
        phone
            .recv_until_text(T, |m| matches!(m, ServerMsg::Pong { .. }))
            .await?,
    );
    for r in &frames {
        ensure!(
            !r.text.contains(&s.host_secret) && !r.text.contains(&s.screen_token),
            "the phone received a session secret: {}",
            r.text
        );
        ensure!(
            !matches!(r.env.msg, ServerMsg::Devices { .. }),
            "a device got the device list"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_refused_phone_is_told_and_its_credential_never_works() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut console) = lesson(&server).await?;
    let credential = claimed(&server, &s).await?;
    let mut phone = server.connect().await?;
    ensure!(phone.hello_waiting(&s.code, &credential).await? == 1);
    devices_on(&mut console, &[1], &[]).await?;

    console.send(&ClientMsg::RefuseDevice { device: 1 }).await?;
    let (code, reply_to) = phone.recv_error(T).await?;
    ensure!(
        code == ErrorCode::PairingRefused && reply_to.as_deref() == Some("hello"),
        "{code:?} {reply_to:?}"
    );
    let (closed, _) = phone.recv_close(T).await?;
    ensure!(closed == Some(close::REFUSED), "close {closed:?}");
    devices_on(&mut console, &[], &[]).await?;

    // Coming back with the same credential is refused like any wrong secret, and the console can
    // no longer accept that phone.
    let mut again = server.connect().await?;
    match again.hello_host(&s.code, &credential).await {
        Err(ClientError::Refused {
            code: ErrorCode::BadSecret,
            ..
        }) => {}
        other => bail!("a refused phone came back: {other:?}"),
    }
    console.send(&ClientMsg::AcceptDevice { device: 1 }).await?;
    let (code, _) = console.recv_error(T).await?;
    ensure!(code == ErrorCode::UnknownDevice, "{code:?}");
    Ok(())
}

#[tokio::test]
async fn a_revoked_device_is_closed_with_4006_and_refused_like_a_free_code() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut console) = lesson(&server).await?;
    let (mut phone, credential) = paired_device(&server, &s, &mut console, 1).await?;
    devices_on(&mut console, &[], &[(1, true)]).await?;

    console.send(&ClientMsg::RevokeDevice { device: 1 }).await?;
    let (closed, _) = phone.recv_close(T).await?;
    ensure!(closed == Some(close::REVOKED), "close {closed:?}");
    devices_on(&mut console, &[], &[]).await?;

    // Its credential is now exactly a made-up secret: same bytes, same delay, live or free code.
    let free = format!("{:06}", (s.code.parse::<u32>()? + 1) % 1_000_000);
    let made_up = "0123456789abcdef0123456789abcdef";
    let (live, live_took) = whole_refusal(&server, &s.code, &credential).await?;
    ensure!(live.contains("bad_secret"), "{live}");
    for (code, secret) in [
        (free.as_str(), credential.as_str()),
        (free.as_str(), made_up),
    ] {
        let (none, none_took) = whole_refusal(&server, code, secret).await?;
        ensure!(
            live == none,
            "revoked on the live code:\n{live}\nvs free code:\n{none}"
        );
        ensure!(
            live_took.min(none_took) >= Duration::from_millis(95),
            "refused after {live_took:?} (revoked) and {none_took:?} (free)"
        );
    }
    console.send(&ClientMsg::RevokeDevice { device: 1 }).await?;
    let (code, _) = console.recv_error(T).await?;
    ensure!(code == ErrorCode::UnknownDevice, "{code:?}");
    Ok(())
}
