//! Resume: pupils and hosts reconnect without losing anything; a newer socket takes over.

mod common;

use common::flow::{self, Watcher};
use common::model::opts;
use common::{TestServer, T};
use loupe::protocol::{close, ClientMsg, ErrorCode, ServerMsg, Stage};

/// A pupil who drops mid-question and resumes finds their answer in the snapshot (`ack`), is
/// counted once; the same client_seq is re-acknowledged, a lower one ignored, a higher one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_pupil_keeps_its_answer_and_counts_once() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 4).await?;
    let mut p0 = pupils.remove(0);
    flow::question(&mut p0, "q-single", 1).await?;
    flow::answer(&mut p0.client, "q-single", 1, 1, opts(&[2])).await?;
    host.count("q-single", 1, 1).await?;
    drop(p0.client);
    host.until(|m| {
        matches!(
            m,
            ServerMsg::Presence {
                connected: 3,
                joined: 4
            }
        )
    })
    .await?;

    let mut c = flow::resume(&server, &s.code, &p0.token).await?;
    let snap = flow::snapshot(&mut c, &["phase", "question", "ack"]).await?;
    let acked = snap.iter().any(|m| {
        matches!(m, ServerMsg::Ack { question, round: 1, client_seq: 1, choice } if question == "q-single" && *choice == opts(&[2]))
    });
    assert!(acked, "snapshot without the pupil's ack: {snap:?}");
    host.until(|m| {
        matches!(
            m,
            ServerMsg::Presence {
                connected: 4,
                joined: 4
            }
        )
    })
    .await?;

    // The same client_seq again: acknowledged again, not counted twice.
    flow::answer(&mut c, "q-single", 1, 1, opts(&[2])).await?;
    // A lower client_seq: ignored without a reply (the pong comes first).
    c.send(&flow::answer_msg("q-single", 1, 0, opts(&[3])))
        .await?;
    c.send(&ClientMsg::Ping { nonce: 7 }).await?;
    let next = c
        .recv_until(T, |m| {
            matches!(
                m,
                ServerMsg::Ack { .. } | ServerMsg::Error { .. } | ServerMsg::Pong { .. }
            )
        })
        .await?;
    assert_eq!(
        next.msg,
        ServerMsg::Pong { nonce: 7 },
        "a lower client_seq must be ignored silently"
    );
    // A higher client_seq replaces the answer.
    flow::answer(&mut c, "q-single", 1, 2, opts(&[0])).await?;

    for (p, choice) in pupils.iter_mut().zip([2u8, 2, 0]) {
        flow::answer(&mut p.client, "q-single", 1, 1, opts(&[choice])).await?;
    }
    host.count("q-single", 1, 4).await?;
    host.send(ClientMsg::Close).await?;
    let shown = host.results("q-single").await?;
    assert_eq!((shown.results.answered, shown.results.passed), (4, Some(0)));
    assert_eq!(
        shown.results.counts,
        Some(vec![Some(2), Some(0), Some(2), Some(0)])
    );

    // After the reveal, a resume brings the reveal and the pupil's own answer back.
    host.send(ClientMsg::Reveal).await?;
    c.recv_until(T, |m| matches!(m, ServerMsg::Reveal { .. }))
        .await?;
    drop(c);
    let mut c = flow::resume(&server, &s.code, &p0.token).await?;
    let snap = flow::snapshot(&mut c, &["phase", "reveal", "ack"]).await?;
    assert!(
        snap.iter()
            .any(|m| matches!(m, ServerMsg::Ack { client_seq: 2, .. })),
        "{snap:?}"
    );
    Ok(())
}

/// A second socket with the same token takes over: the old one is closed with 4001 and the new
/// one answers normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_socket_takes_over() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    let mut b = flow::resume(&server, &s.code, &pupils[0].token).await?;
    let (code, _) = pupils[0].client.recv_close(T).await?;
    assert_eq!(code, Some(close::REPLACED));
    flow::question_on(&mut b, "q-single", 1).await?;
    flow::answer(&mut b, "q-single", 1, 1, opts(&[1])).await?;
    host.count("q-single", 1, 1).await?;
    Ok(())
}

/// A host who reconnects with the host secret gets the whole console back (phase, question,
/// facilitator notes, answer count, presence) and can carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_reconnect_restores_the_console() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, mut screen, mut pupils) = flow::started(&server, 3).await?;
    flow::question(&mut pupils[0], "q-single", 1).await?;
    flow::answer(&mut pupils[0].client, "q-single", 1, 1, opts(&[1])).await?;
    host.count("q-single", 1, 1).await?;
    drop(host);

    let mut c = server.connect().await?;
    c.hello_host(&s.code, &s.host_secret).await?;
    let snap = flow::snapshot(
        &mut c,
        &["phase", "question", "facilitator", "answers", "presence"],
    )
    .await?;
    assert!(
        snap.iter().any(|m| matches!(
            m,
            ServerMsg::Answers {
                count: 1,
                pupils: 3,
                ..
            }
        )),
        "{snap:?}"
    );
    assert!(
        snap.iter()
            .any(|m| matches!(m, ServerMsg::Facilitator(f) if f.question == "q-single")),
        "{snap:?}"
    );
    let mut host = Watcher::new(c);
    host.send(ClientMsg::Close).await?;
    let shown = host.results("q-single").await?;
    assert_eq!((shown.results.answered, shown.results.counts), (1, None));
    screen.results("q-single").await?;
    Ok(())
}

/// Two host sockets at once (console and phone remote) both get every update, and either drives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_both_get_updates() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    let mut c = server.connect().await?;
    c.hello_host(&s.code, &s.host_secret).await?;
    let mut remote = Watcher::new(c);
    remote.stage(Stage::Open).await?;
    for (i, p) in pupils.iter_mut().enumerate() {
        flow::question(p, "q-single", 1).await?;
        flow::answer(&mut p.client, "q-single", 1, 1, opts(&[1])).await?;
        for h in [&mut host, &mut remote] {
            h.count("q-single", 1, i as u32 + 1).await?;
        }
    }
    remote.send(ClientMsg::Close).await?;
    for h in [&mut host, &mut remote] {
        assert_eq!(
            h.results("q-single").await?.results.counts,
            Some(vec![Some(0), Some(3), Some(0), Some(0)])
        );
    }
    host.send(ClientMsg::Reveal).await?;
    for h in [&mut host, &mut remote] {
        h.until(|m| matches!(m, ServerMsg::Reveal { .. })).await?;
    }
    flow::check_log(&host.log, false)?;
    flow::check_log(&remote.log, false)
}

/// A console and a projector that attach after the session's last event (a reload, a second
/// window, a restart) still get presence whenever a phone drops or resumes, though no event marks
/// either: presence is news to every watcher attached when it is computed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_reaches_watchers_attached_after_the_last_event() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, _host, _screen, mut pupils) = flow::started(&server, 3).await?;
    let mut c = server.connect().await?;
    c.hello_host(&s.code, &s.host_secret).await?;
    flow::snapshot(&mut c, &["phase", "question", "presence"]).await?;
    let mut late_host = Watcher::new(c);
    let mut c = server.connect().await?;
    c.hello_screen(&s.code, &s.screen_token).await?;
    flow::snapshot(&mut c, &["phase", "question", "presence"]).await?;
    let mut late_screen = Watcher::new(c);

    let p0 = pupils.remove(0);
    drop(p0.client);
    for w in [&mut late_host, &mut late_screen] {
        w.until(|m| {
            matches!(
                m,
                ServerMsg::Presence {
                    connected: 2,
                    joined: 3
                }
            )
        })
        .await?;
    }
    let _back = flow::resume(&server, &s.code, &p0.token).await?;
    for w in [&mut late_host, &mut late_screen] {
        w.until(|m| {
            matches!(
                m,
                ServerMsg::Presence {
                    connected: 3,
                    joined: 3
                }
            )
        })
        .await?;
    }
    flow::check_log(&late_host.log, false)?;
    flow::check_log(&late_screen.log, true)
}

/// An identical resend (same `client_seq`) is acknowledged again whatever the state: while the
/// question is paused, and after it closed. A new answer while paused is refused `paused` and
/// changes nothing; sent again after `resume`, it counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_resend_is_acknowledged_paused_or_closed() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (_s, mut host, _screen, mut pupils) = flow::started(&server, 2).await?;
    let p = &mut pupils[0];
    flow::question(p, "q-single", 1).await?;
    flow::answer(&mut p.client, "q-single", 1, 1, opts(&[2])).await?;
    host.count("q-single", 1, 1).await?;
    host.send(ClientMsg::Pause).await?;
    host.until(|m| matches!(m, ServerMsg::Phase { paused: true, .. }))
        .await?;
    p.client
        .recv_until(T, |m| matches!(m, ServerMsg::Phase { paused: true, .. }))
        .await?;

    flow::answer(&mut p.client, "q-single", 1, 1, opts(&[2])).await?;
    p.client
        .send(&flow::answer_msg("q-single", 1, 2, opts(&[0])))
        .await?;
    let (code, _) = p.client.recv_error(T).await?;
    assert_eq!(code, ErrorCode::Paused, "a new answer while paused");

    host.send(ClientMsg::Resume).await?;
    p.client
        .recv_until(T, |m| matches!(m, ServerMsg::Phase { paused: false, .. }))
        .await?;
    flow::answer(&mut p.client, "q-single", 1, 2, opts(&[0])).await?;
    host.send(ClientMsg::Close).await?;
    let shown = host.results("q-single").await?;
    assert_eq!(shown.results.answered, 1, "one pupil, counted once");
    p.client
        .recv_until(T, |m| {
            matches!(
                m,
                ServerMsg::Phase {
                    stage: Stage::Closed,
                    ..
                }
            )
        })
        .await?;
    flow::answer(&mut p.client, "q-single", 1, 2, opts(&[0])).await?;
    Ok(())
}
