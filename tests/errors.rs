//! Bad input gets its documented error (and close code where one is documented), and the session
//! carries on: a following valid answer is acknowledged and counted.

mod common;

use anyhow::Context;
use common::flow::{self, Pupil, Watcher};
use common::model::opts;
use common::{TestServer, T};
use loupe::protocol::{close, ClientMsg, ErrorCode, ServerMsg, Stage};
use loupe_tools::client::Created;
use serde_json::json;

/// Connects, sends `first` as the first frame, and returns the error code sent and the close code.
async fn refused_first(
    server: &TestServer,
    first: &str,
) -> anyhow::Result<(Option<ErrorCode>, Option<u16>)> {
    let mut c = server.connect().await?;
    c.send_raw(first).await?;
    let (code, seen) = c.recv_close(T).await?;
    let error = seen.iter().find_map(|e| match &e.msg {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    });
    Ok((error, code))
}

/// The `hello` text for `role` and `code` with an optional secret and the given version.
fn hello(version: u32, role: &str, code: &str, secret: Option<&str>) -> String {
    let mut v = json!({"type": "hello", "version": version, "role": role, "code": code});
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    v.to_string()
}

/// Pupil `p` answers the open `q-single` and the host sees the count reach `n`.
async fn carries_on(host: &mut Watcher, p: &mut Pupil, n: u32) -> anyhow::Result<()> {
    flow::question(p, "q-single", 1).await?;
    p.seq += 1;
    flow::answer(&mut p.client, "q-single", 1, p.seq, opts(&[1])).await?;
    host.count("q-single", 1, n).await?;
    Ok(())
}

/// Expects the next error on `c` to be `code`, answering a message of type `to`, with the socket
/// still open afterwards (a ping gets its pong).
async fn error_then_open(
    c: &mut common::Client,
    code: ErrorCode,
    to: Option<&str>,
) -> anyhow::Result<()> {
    let (got, in_reply_to) = c.recv_error(T).await?;
    assert_eq!(got, code);
    if let Some(to) = to {
        assert_eq!(in_reply_to.as_deref(), Some(to), "in_reply_to for {code:?}");
    }
    c.send(&ClientMsg::Ping { nonce: 42 }).await?;
    c.recv_until(T, |m| matches!(m, ServerMsg::Pong { nonce: 42 }))
        .await?;
    Ok(())
}

/// Refused hellos: unknown code (4004, or 4003 with a secret), wrong version (4005), bad host
/// secret, bad screen token, bad resume token, and a first message that is not hello (4003); the
/// session is unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_hellos_close_with_their_codes() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    let other = if s.code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let cases = [
        (
            hello(1, "player", other, None),
            ErrorCode::UnknownSession,
            close::UNKNOWN_SESSION,
        ),
        // With a secret or token, a code with no session is refused like a wrong secret (see
        // tests/hostile/guessing.rs: such hellos are never slowed, so they must not tell).
        (
            hello(1, "host", other, Some(&s.host_secret)),
            ErrorCode::BadSecret,
            close::REFUSED,
        ),
        (
            hello(1, "player", other, Some(&pupils[0].token)),
            ErrorCode::BadToken,
            close::REFUSED,
        ),
        (
            hello(99, "player", &s.code, None),
            ErrorCode::VersionMismatch,
            close::VERSION,
        ),
        (
            hello(1, "host", &s.code, Some("00112233445566778899aabbccddeeff")),
            ErrorCode::BadSecret,
            close::REFUSED,
        ),
        (
            hello(1, "host", &s.code, None),
            ErrorCode::BadSecret,
            close::REFUSED,
        ),
        (
            hello(1, "screen", &s.code, Some(&s.host_secret)),
            ErrorCode::BadSecret,
            close::REFUSED,
        ),
        (
            hello(
                1,
                "player",
                &s.code,
                Some("00112233445566778899aabbccddeeff"),
            ),
            ErrorCode::BadToken,
            close::REFUSED,
        ),
        (
            json!({"type": "ping", "nonce": 1}).to_string(),
            ErrorCode::HelloRequired,
            close::REFUSED,
        ),
        (
            json!({"type": "answer", "question": "q-single", "client_seq": 1, "choice": "pass"})
                .to_string(),
            ErrorCode::HelloRequired,
            close::REFUSED,
        ),
    ];
    for (first, code, close_code) in cases {
        let got = refused_first(&server, &first).await?;
        assert_eq!(got, (Some(code), Some(close_code)), "first frame {first}");
    }
    carries_on(&mut host, &mut pupils[0], 1).await
}

/// A locked lobby refuses new pupils (lobby_locked, 4003) but not resumes; unlocking lets them in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_lobby_refuses_new_pupils_only() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
    let mut pupils = flow::join_many(&server, &s.code, 2).await?;
    host.send(ClientMsg::Lock).await?;
    host.until(|m| matches!(m, ServerMsg::Phase { locked: true, .. }))
        .await?;
    let got = refused_first(&server, &hello(1, "player", &s.code, None)).await?;
    assert_eq!(got, (Some(ErrorCode::LobbyLocked), Some(close::REFUSED)));
    pupils[0].client = flow::resume(&server, &s.code, &pupils[0].token).await?;
    host.send(ClientMsg::Unlock).await?;
    host.until(|m| matches!(m, ServerMsg::Phase { locked: false, .. }))
        .await?;
    pupils.push(flow::join(&server, &s.code).await?);
    host.joined(3).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    for (i, p) in pupils.iter_mut().enumerate() {
        carries_on(&mut host, p, i as u32 + 1).await?;
    }
    Ok(())
}

/// A pupil or the screen sending a host command gets not_allowed, stays connected, and nothing
/// happens to the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pupils_and_screens_cannot_drive() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (_s, mut host, mut screen, mut pupils) = flow::started(&server, 3).await?;
    for (msg, name) in [
        (ClientMsg::Close, "close"),
        (ClientMsg::Next, "next"),
        (ClientMsg::End, "end"),
    ] {
        pupils[0].client.send(&msg).await?;
        error_then_open(&mut pupils[0].client, ErrorCode::NotAllowed, Some(name)).await?;
        screen.client.send(&msg).await?;
        error_then_open(&mut screen.client, ErrorCode::NotAllowed, Some(name)).await?;
    }
    carries_on(&mut host, &mut pupils[1], 1).await?;
    host.send(ClientMsg::Close).await?;
    assert_eq!(host.results("q-single").await?.results.answered, 1);
    Ok(())
}

/// Malformed JSON, wrong field types, an unknown type, a binary frame and a second hello each get
/// their code and the connection stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_keep_the_connection() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    flow::question(&mut pupils[0], "q-single", 1).await?;
    let c = &mut pupils[0].client;
    for (raw, code) in [
        ("not json", ErrorCode::Malformed),
        (
            r#"{"type":"answer","question":1,"client_seq":"x","choice":"pass"}"#,
            ErrorCode::Malformed,
        ),
        (
            r#"{"type":"answer","question":"q-single","client_seq":1,"choice":{"options":[-1]}}"#,
            ErrorCode::Malformed,
        ),
        (r#"{"type":"dance"}"#, ErrorCode::UnknownType),
    ] {
        c.send_raw(raw).await?;
        error_then_open(c, code, None)
            .await
            .with_context(|| format!("after {raw}"))?;
    }
    c.send_binary(&[1, 2, 3]).await?;
    error_then_open(c, ErrorCode::BinaryFrame, None)
        .await
        .context("after a binary frame")?;
    c.send_raw(&hello(1, "player", &s.code, None)).await?;
    error_then_open(c, ErrorCode::AlreadyGreeted, Some("hello"))
        .await
        .context("after a second hello")?;
    carries_on(&mut host, &mut pupils[0], 1).await
}

/// Answers to an unknown question, a question or round that is not open, and bad choices get
/// their codes and change nothing; a valid answer after them counts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_get_their_codes() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (_s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    let p = &mut pupils[0];
    flow::question(p, "q-single", 1).await?;
    let cases = [
        ("nope", 1, opts(&[0]), ErrorCode::UnknownQuestion),
        ("q-multi", 1, opts(&[0]), ErrorCode::QuestionNotOpen),
        ("q-single", 2, opts(&[0]), ErrorCode::QuestionNotOpen),
        ("q-single", 1, opts(&[4]), ErrorCode::BadChoice),
        ("q-single", 1, opts(&[]), ErrorCode::BadChoice),
        ("q-single", 1, opts(&[0, 1]), ErrorCode::BadChoice),
    ];
    for (i, (q, round, choice, code)) in cases.into_iter().enumerate() {
        let got = flow::refused(&mut p.client, q, round, i as u64 + 1, choice.clone()).await?;
        assert_eq!(got, code, "answer {q} round {round} {choice:?}");
    }
    p.seq = 10;
    carries_on(&mut host, p, 1).await?;
    host.send(ClientMsg::Close).await?;
    host.stage(Stage::Closed).await?;
    let got = flow::refused(&mut pupils[1].client, "q-single", 1, 1, opts(&[1])).await?;
    assert_eq!(
        got,
        ErrorCode::QuestionNotOpen,
        "answer to a closed question"
    );
    let shown = host.results("q-single").await?;
    assert_eq!((shown.results.answered, shown.results.counts), (1, None));
    Ok(())
}

/// Host commands out of phase get wrong_phase, +30 s on an untimed question gets no_timer, and
/// the session carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_commands_out_of_phase() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let (s, mut host, _screen): (Created, Watcher, Watcher) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
    let mut pupils = flow::join_many(&server, &s.code, 3).await?;
    for (msg, name) in [
        (ClientMsg::Reveal, "reveal"),
        (ClientMsg::Close, "close"),
        (ClientMsg::Revote, "revote"),
    ] {
        host.send(msg).await?;
        error_then_open(&mut host.client, ErrorCode::WrongPhase, Some(name)).await?;
    }
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    host.stage(Stage::Open).await?;
    host.send(ClientMsg::AddTime).await?;
    error_then_open(&mut host.client, ErrorCode::NoTimer, Some("add_time")).await?;
    carries_on(&mut host, &mut pupils[0], 1).await?;
    // Ending closes every socket with 4000 after `ended`.
    host.send(ClientMsg::End).await?;
    let (code, seen) = pupils[1].client.recv_close(T).await?;
    assert_eq!(code, Some(close::ENDED));
    assert!(
        seen.iter()
            .any(|e| e.msg == ServerMsg::Ended { reason: None }),
        "no `ended` before the close"
    );
    assert_eq!(host.client.recv_close(T).await?.0, Some(close::ENDED));
    Ok(())
}

/// A flood of frames before `hello` is told to slow down, then cut off with 4029.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_before_hello_is_cut_off() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let mut c = server.connect().await?;
    for _ in 0..100 {
        if c.send_raw("not json").await.is_err() {
            break;
        }
    }
    let (code, seen) = c.recv_close(T).await?;
    assert_eq!(code, Some(close::FLOOD));
    let limited = seen.iter().any(|e| {
        matches!(
            e.msg,
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                ..
            }
        )
    });
    assert!(limited, "no rate_limited error before the close");
    Ok(())
}
