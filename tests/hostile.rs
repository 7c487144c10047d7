//! Hostile pupils, bots and the open internet (issue 6): one test per hostile input.
//!
//! Each WebSocket test plays the same scene: a session of `test-kinds` (min_count 1, so the
//! tally is visible) with a host, a screen and pupils; an honest pupil's answer is acknowledged
//! before the attack, the attacker does one hostile thing and gets the documented error (or close
//! code, or HTTP status), then another pupil's answer is still acknowledged and counted, and the
//! final `results` tally is exactly the acknowledged answers. The join-code guessing tests use
//! `--trusted-proxy 127.0.0.1/32` and `X-Forwarded-For` to play a bot and a class at different
//! addresses on loopback.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use common::flow::{self, Pupil, Watcher};
use common::model::opts;
use common::{TestServer, T};
use futures_util::{SinkExt, StreamExt};
use loupe::client::{Client, ClientError, Created};
use loupe::config::Config;
use loupe::guard::Cidr;
use loupe::protocol::{close, Choice, ClientMsg, Envelope, ErrorCode, ServerMsg, Stage};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The question every scene opens.
const Q: &str = "q-single";

/// A live session with its first question open and the answers acknowledged so far.
struct Scene {
    server: TestServer,
    s: Created,
    host: Watcher,
    screen: Watcher,
    pupils: Vec<Pupil>,
    /// The acknowledged choice of each pupil on [`Q`] (the last one counts).
    acked: BTreeMap<usize, Choice>,
}

impl Scene {
    /// `n` pupils in a `test-kinds` session (min_count 1), `q-single` open, pupil 0 answered B.
    async fn start(tweak: impl FnOnce(&mut Config), n: usize) -> anyhow::Result<Scene> {
        let server = TestServer::start(tweak).await?;
        let (s, mut host, screen) =
            flow::host_and_screen(&server, json!({"quiz": "test-kinds", "min_count": 1})).await?;
        let pupils = flow::join_many(&server, &s.code, n).await?;
        host.joined(n as u32).await?;
        host.send(ClientMsg::Start).await?;
        host.send(ClientMsg::Next).await?;
        host.stage(Stage::Open).await?;
        let mut scene = Scene {
            server,
            s,
            host,
            screen,
            pupils,
            acked: BTreeMap::new(),
        };
        scene.ack(0, opts(&[1])).await?;
        Ok(scene)
    }

    /// Pupil `i` answers `choice` with a new client_seq; it must be acknowledged and counted.
    async fn ack(&mut self, i: usize, choice: Choice) -> anyhow::Result<()> {
        let p = &mut self.pupils[i];
        flow::question(p, Q, 1).await?;
        p.seq += 1;
        flow::answer(&mut p.client, Q, 1, p.seq, choice.clone())
            .await
            .with_context(|| format!("pupil {i} answering"))?;
        self.acked.insert(i, choice);
        self.host.count(Q, 1, self.acked.len() as u32).await?;
        Ok(())
    }

    /// Another pupil (the last) answers: the session still serves everyone else.
    async fn carries_on(&mut self) -> anyhow::Result<()> {
        let last = self.pupils.len() - 1;
        self.ack(last, opts(&[2])).await
    }

    /// Closes the question: host and screen see exactly the acknowledged answers.
    async fn check_tally(mut self) -> anyhow::Result<()> {
        let mut counts = [0u32; 4];
        let mut passed = 0;
        for choice in self.acked.values() {
            match choice {
                Choice::Pass => passed += 1,
                Choice::Options(o) => o.iter().for_each(|&i| counts[usize::from(i)] += 1),
            }
        }
        self.host.send(ClientMsg::Close).await?;
        for w in [&mut self.host, &mut self.screen] {
            let shown = w.results(Q).await?;
            assert_eq!(shown.results.answered, self.acked.len() as u32, "answered");
            assert_eq!(shown.results.passed, passed, "passed");
            assert_eq!(
                shown.results.counts,
                Some(counts.iter().map(|&c| Some(c)).collect()),
                "the tally is not the acknowledged answers"
            );
        }
        Ok(())
    }

    fn attacker(&mut self) -> &mut Client {
        &mut self.pupils[0].client
    }
}

/// Sends `n` pings at once, then reads until the socket closes, sending one more ping whenever
/// nothing arrives for a second (the bucket refills while a slow machine sends). Returns the close
/// code and the error codes received.
///
/// The flood stops as soon as it should be closed because the server drops the TCP connection
/// right after its close frame: frames it has not read yet make the kernel reset the connection,
/// and the client then loses the close frame and everything before it.
async fn flood_until_closed(
    c: &mut Client,
    n: u64,
) -> anyhow::Result<(Option<u16>, Vec<ErrorCode>)> {
    for nonce in 0..n {
        c.send(&ClientMsg::Ping { nonce }).await?;
    }
    let mut errors = Vec::new();
    let mut extra = 0;
    while extra < 20 {
        match c.recv_timeout(Duration::from_secs(1)).await {
            Ok(env) => {
                if let ServerMsg::Error { code, .. } = env.msg {
                    errors.push(code);
                }
            }
            Err(ClientError::Closed { code, .. }) => return Ok((code, errors)),
            Err(ClientError::Timeout { .. }) => {
                extra += 1;
                c.send(&ClientMsg::Ping { nonce: n + extra }).await?
            }
            Err(e) => return Err(e.into()),
        }
    }
    bail!("never closed; errors {errors:?}")
}

/// The next error on `c` must be `code`; the socket stays open (a ping still gets its pong).
async fn error_then_open(c: &mut Client, code: ErrorCode) -> anyhow::Result<()> {
    let (got, _) = c.recv_error(T).await?;
    ensure!(got == code, "expected {code:?}, got {got:?}");
    c.send(&ClientMsg::Ping { nonce: 77 }).await?;
    c.recv_until(T, |m| matches!(m, ServerMsg::Pong { nonce: 77 }))
        .await?;
    Ok(())
}

/// Reads until the socket closes: the close code and the error codes seen before it.
async fn closed_with(c: &mut Client) -> anyhow::Result<(Option<u16>, Vec<ErrorCode>)> {
    let (code, seen) = c.recv_close(T).await?;
    let errors = seen
        .iter()
        .filter_map(|e| match &e.msg {
            ServerMsg::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    Ok((code, errors))
}

/// A refused answer from pupil `i`: its error code (a refused answer changes nothing).
async fn refused(scene: &mut Scene, i: usize, q: &str, round: u8, c: Choice) -> ErrorCode {
    let p = &mut scene.pupils[i];
    p.seq += 1;
    flow::refused(&mut p.client, q, round, p.seq, c)
        .await
        .unwrap_or_else(|e| panic!("answer {q} r{round}: {e:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_refused_and_the_session_carries_on() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for raw in [
        "not json",
        "{",
        r#"{"type":"answer","question":"q-single""#,
        "\u{0}\u{1}",
        "[1,2,3]",
        "null",
        "",
    ] {
        scene.attacker().send_raw(raw).await?;
        error_then_open(scene.attacker(), ErrorCode::Malformed)
            .await
            .with_context(|| format!("after {raw:?}"))?;
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_field_types_are_malformed() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for raw in [
        r#"{"type":"answer","question":1,"client_seq":9,"choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":"9","choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":-1,"choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9,"choice":{"options":[300]}}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9,"choice":{"options":"0"}}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9,"choice":"all"}"#,
        r#"{"type":"answer","question":"q-single","round":256,"client_seq":9,"choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9}"#,
        r#"{"type":"ping","nonce":"x"}"#,
        r#"{"type":7}"#,
        r#"{"question":"q-single"}"#,
    ] {
        scene.attacker().send_raw(raw).await?;
        error_then_open(scene.attacker(), ErrorCode::Malformed)
            .await
            .with_context(|| format!("after {raw}"))?;
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_message_types_get_unknown_type() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for raw in [
        r#"{"type":"dance"}"#,
        r#"{"type":"Answer","question":"q-single","client_seq":9,"choice":"pass"}"#,
        r#"{"type":"set_score","score":100}"#,
        r#"{"type":""}"#,
    ] {
        scene.attacker().send_raw(raw).await?;
        error_then_open(scene.attacker(), ErrorCode::UnknownType)
            .await
            .with_context(|| format!("after {raw}"))?;
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frames_get_binary_frame() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let answer = br#"{"type":"answer","question":"q-single","client_seq":9,"choice":"pass"}"#;
    for bytes in [&[0xffu8, 0, 1][..], &answer[..], &[][..]] {
        scene.attacker().send_binary(bytes).await?;
        error_then_open(scene.attacker(), ErrorCode::BinaryFrame).await?;
    }
    // Before hello too: answered, and the socket is not taken for a hello.
    let mut early = scene.server.connect().await?;
    early.send_binary(&[1, 2, 3]).await?;
    let (code, _) = early.recv_error(T).await?;
    assert_eq!(code, ErrorCode::BinaryFrame);
    early.hello_player(&scene.s.code, None).await?;
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_close_with_1009_and_hosts_get_more_room() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let padded = |n: usize| json!({"type": "ping", "nonce": 5, "pad": "x".repeat(n)}).to_string();
    // A pupil: 4 KiB is the limit; an answer padded past it closes the socket with 1009.
    let big_answer = json!({"type": "answer", "question": Q, "client_seq": 99,
        "choice": {"options": [0]}, "pad": "x".repeat(5000)})
    .to_string();
    scene.attacker().send_raw(&big_answer).await?;
    assert_eq!(closed_with(scene.attacker()).await?.0, Some(close::TOO_BIG));
    // The screen has the pupils' limit.
    scene.screen.client.send_raw(&padded(5000)).await?;
    assert_eq!(
        closed_with(&mut scene.screen.client).await?.0,
        Some(close::TOO_BIG)
    );
    // Before hello: the same 4 KiB limit.
    let mut early = scene.server.connect().await?;
    early.send_raw(&padded(5000)).await?;
    assert_eq!(closed_with(&mut early).await?.0, Some(close::TOO_BIG));
    // A host may send up to 64 KiB: 20 KiB is answered, 70 KiB closes with 1009.
    scene.host.client.send_raw(&padded(20_000)).await?;
    scene
        .host
        .until(|m| matches!(m, ServerMsg::Pong { nonce: 5 }))
        .await?;
    let mut other_host = scene.server.connect().await?;
    other_host
        .hello_host(&scene.s.code, &scene.s.host_secret)
        .await?;
    other_host.send_raw(&padded(70_000)).await?;
    assert_eq!(closed_with(&mut other_host).await?.0, Some(close::TOO_BIG));
    // A new screen for the tally check, then the class carries on.
    let mut screen = scene.server.connect().await?;
    screen
        .hello_screen(&scene.s.code, &scene.s.screen_token)
        .await?;
    scene.screen = Watcher::new(screen);
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_are_told_then_closed_4029() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    // A phone tapping fast is fine: a burst of 30 passes.
    for n in 0..30 {
        scene.pupils[1]
            .client
            .send(&ClientMsg::Ping { nonce: n })
            .await?;
    }
    for n in 0..30 {
        let c = &mut scene.pupils[1].client;
        c.recv_until(T, |m| matches!(m, ServerMsg::Pong { nonce } if *nonce == n))
            .await
            .with_context(|| format!("pong {n} of a burst of 30"))?;
    }
    // A script: 61 messages at once (a burst of 30 passes, the 31st is told `rate_limited`, the
    // next 29 are dropped, the 61st closes). The flood stops there, so the server has read every
    // frame and its close frame is not lost to a TCP reset (see `flood_until_closed`).
    let (code, errors) = flood_until_closed(scene.attacker(), 61).await?;
    assert_eq!(
        code,
        Some(close::FLOOD),
        "errors before the close: {errors:?}"
    );
    assert_eq!(
        errors,
        vec![ErrorCode::RateLimited],
        "told once, then closed"
    );
    // Hosts have a larger budget: 80 commands at once are all handled (wrong_phase replies).
    for _ in 0..80 {
        scene.host.send(ClientMsg::Start).await?;
    }
    for _ in 0..80 {
        let (code, _) = scene.host.client.recv_error(T).await?;
        assert_eq!(code, ErrorCode::WrongPhase);
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_to_a_question_that_is_not_open_are_refused() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let cases = [
        ("q-multi", 1, ErrorCode::QuestionNotOpen), // not opened yet
        (Q, 2, ErrorCode::QuestionNotOpen),         // a round that is not open
        (Q, 0, ErrorCode::QuestionNotOpen),
        ("q-tf", 1, ErrorCode::QuestionNotOpen),
    ];
    for (q, round, code) in cases {
        assert_eq!(refused(&mut scene, 0, q, round, opts(&[0])).await, code);
    }
    scene.carries_on().await?;
    let acked = scene.acked.len() as u32;
    // Closed: pupil 1 (who never answered) and the attacker (who did) are both refused.
    scene.host.send(ClientMsg::Close).await?;
    scene.host.stage(Stage::Closed).await?;
    for i in [0, 1] {
        let code = refused(&mut scene, i, Q, 1, opts(&[3])).await;
        assert_eq!(
            code,
            ErrorCode::QuestionNotOpen,
            "pupil {i} after the close"
        );
    }
    // Revealed, and while another question is open: the old one stays closed.
    scene.host.send(ClientMsg::Reveal).await?;
    scene.host.stage(Stage::Revealed).await?;
    assert_eq!(
        refused(&mut scene, 1, Q, 1, opts(&[3])).await,
        ErrorCode::QuestionNotOpen
    );
    scene
        .host
        .send(ClientMsg::ShowResults { question: Q.into() })
        .await?;
    let shown = scene.host.results(Q).await?;
    assert_eq!(
        shown.results.answered, acked,
        "results changed after the close"
    );
    assert_eq!(
        shown.results.counts,
        Some(vec![Some(0), Some(1), Some(1), Some(0)])
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_options_get_bad_choice() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for picked in [&[4u8][..], &[255], &[0, 9], &[]] {
        let code = refused(&mut scene, 0, Q, 1, opts(picked)).await;
        assert_eq!(code, ErrorCode::BadChoice, "options {picked:?}");
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_kind_of_answer_gets_bad_choice() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    // Several options on a single-choice question, a repeated index.
    for picked in [&[0u8, 1][..], &[1, 1], &[0, 1, 2, 3]] {
        let code = refused(&mut scene, 0, Q, 1, opts(picked)).await;
        assert_eq!(code, ErrorCode::BadChoice, "options {picked:?}");
    }
    scene.carries_on().await?;
    // The next questions: a multiple one (repeats refused), then true/false (only 0 and 1).
    let tally = scene.acked.len() as u32;
    scene.host.send(ClientMsg::Close).await?;
    assert_eq!(scene.host.results(Q).await?.results.answered, tally);
    scene.host.send(ClientMsg::Next).await?;
    flow::question(&mut scene.pupils[0], "q-multi", 1).await?;
    let code = refused(&mut scene, 0, "q-multi", 1, opts(&[0, 2, 0])).await;
    assert_eq!(code, ErrorCode::BadChoice);
    scene.pupils[0].seq += 1;
    let seq = scene.pupils[0].seq;
    flow::answer(
        &mut scene.pupils[0].client,
        "q-multi",
        1,
        seq,
        opts(&[0, 2]),
    )
    .await?;
    scene.host.send(ClientMsg::Close).await?;
    scene.host.results("q-multi").await?;
    scene.host.send(ClientMsg::Next).await?;
    flow::question(&mut scene.pupils[0], "q-tf", 1).await?;
    for picked in [&[2u8][..], &[0, 1]] {
        let code = refused(&mut scene, 0, "q-tf", 1, opts(picked)).await;
        assert_eq!(code, ErrorCode::BadChoice, "true/false {picked:?}");
    }
    scene.host.send(ClientMsg::Close).await?;
    let shown = scene.host.results("q-tf").await?;
    assert_eq!(shown.results.answered, 0, "a refused answer was counted");
    Ok(())
}

/// A 5-second question (`tests/fixtures/hostile/hostile-timed.toml`): an answer after the
/// deadline but within the 2 s grace counts; after the grace the question has closed by itself
/// and answers are refused (`too_late` in a race with the close, `question_not_open` after it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_after_the_deadline_and_its_grace_are_refused() -> anyhow::Result<()> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let server = TestServer::start(|c| c.quizzes = Some(dir)).await?;
    let body = json!({"quiz": "hostile-timed", "timers": true, "min_count": 1});
    let (s, mut host, _screen) = flow::host_and_screen(&server, body).await?;
    let mut pupils = flow::join_many(&server, &s.code, 3).await?;
    host.joined(3).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    let mut deadline = None;
    for p in pupils.iter_mut() {
        let env = flow::question_on(&mut p.client, "t1", 1).await?;
        let ServerMsg::Question { time_left_ms, .. } = env.msg else {
            bail!("not a question")
        };
        let left = time_left_ms.context("a timed question carries time_left_ms")?;
        ensure!(left <= 5_000, "time left {left}");
        deadline.get_or_insert(Instant::now() + Duration::from_millis(left));
    }
    let deadline = deadline.context("no pupil")?;
    flow::answer(&mut pupils[0].client, "t1", 1, 1, opts(&[1])).await?;
    // 0.8 s after the deadline: inside the grace, still counted.
    tokio::time::sleep_until((deadline + Duration::from_millis(800)).into()).await;
    flow::answer(&mut pupils[1].client, "t1", 1, 1, opts(&[0])).await?;
    // The question closes by itself at the deadline + 2 s, without the host.
    host.stage(Stage::Closed).await?;
    let closed_after = Instant::now().saturating_duration_since(deadline);
    ensure!(
        closed_after >= Duration::from_millis(1_500),
        "closed {closed_after:?} after the deadline: the grace was not kept"
    );
    let code = flow::refused(&mut pupils[2].client, "t1", 1, 1, opts(&[2])).await?;
    ensure!(
        matches!(code, ErrorCode::TooLate | ErrorCode::QuestionNotOpen),
        "late answer got {code:?}"
    );
    let code = flow::refused(&mut pupils[0].client, "t1", 1, 2, opts(&[2])).await?;
    ensure!(matches!(
        code,
        ErrorCode::TooLate | ErrorCode::QuestionNotOpen
    ));
    let shown = host.results("t1").await?;
    assert_eq!(shown.results.answered, 2);
    assert_eq!(shown.results.counts, Some(vec![Some(1), Some(1), Some(0)]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_commands_from_a_pupil_or_the_screen_are_not_allowed() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let commands = [
        ClientMsg::Close,
        ClientMsg::Reveal,
        ClientMsg::Next,
        ClientMsg::Finish,
        ClientMsg::Skip,
        ClientMsg::Lock,
        ClientMsg::Pause,
        ClientMsg::AddTime,
        ClientMsg::Revote,
        ClientMsg::ShowResults { question: Q.into() },
        ClientMsg::Remove { player: "1".into() },
        ClientMsg::End,
    ];
    for cmd in &commands {
        scene.attacker().send(cmd).await?;
        error_then_open(scene.attacker(), ErrorCode::NotAllowed).await?;
        scene.screen.client.send(cmd).await?;
        error_then_open(&mut scene.screen.client, ErrorCode::NotAllowed).await?;
    }
    // Nor may a screen answer or ask for help as a pupil.
    let answer = flow::answer_msg(Q, 1, 50, opts(&[0]));
    scene.screen.client.send(&answer).await?;
    error_then_open(&mut scene.screen.client, ErrorCode::NotAllowed).await?;
    scene.screen.client.send(&ClientMsg::TalkToAdult).await?;
    error_then_open(&mut scene.screen.client, ErrorCode::NotAllowed).await?;
    scene.carries_on().await?;
    scene.check_tally().await
}

/// A `hello` sent as the first frame of a new socket: the error code and close code.
async fn refused_hello(
    server: &TestServer,
    role: &str,
    code: &str,
    secret: Option<&str>,
) -> anyhow::Result<(Option<ErrorCode>, Option<u16>)> {
    let mut c = server.connect().await?;
    let mut hello = json!({"type": "hello", "version": 1, "role": role, "code": code});
    if let Some(s) = secret {
        hello["secret"] = json!(s);
    }
    c.send_raw(&hello.to_string()).await?;
    let (close_code, errors) = closed_with(&mut c).await?;
    Ok((errors.first().copied(), close_code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_expired_secrets_and_tokens_are_refused() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let (code, s) = (scene.s.code.clone(), scene.s.clone());
    let refused_as = (Some(ErrorCode::BadSecret), Some(close::REFUSED));
    let zeros = "00000000000000000000000000000000";
    let server = &scene.server;
    assert_eq!(
        refused_hello(server, "host", &code, Some(zeros)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "host", &code, Some(&s.screen_token)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "host", &code, Some("")).await?,
        refused_as
    );
    let upper = s.host_secret.to_uppercase();
    assert_eq!(
        refused_hello(server, "host", &code, Some(&upper)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "screen", &code, Some(&s.host_secret)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "screen", &code, None).await?,
        refused_as
    );
    let bad_token = (Some(ErrorCode::BadToken), Some(close::REFUSED));
    assert_eq!(
        refused_hello(server, "player", &code, Some(zeros)).await?,
        bad_token
    );
    let long = "f".repeat(3000);
    assert_eq!(
        refused_hello(server, "player", &code, Some(&long)).await?,
        bad_token
    );
    // A token from another session is unknown here, and this session's secret is useless there.
    let other = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let token = scene.pupils[1].token.clone();
    assert_eq!(
        refused_hello(server, "player", &other.code, Some(&token)).await?,
        bad_token
    );
    let host_there = refused_hello(server, "host", &other.code, Some(&s.host_secret)).await?;
    assert_eq!(host_there, refused_as);
    // HTTP: the remote pairing needs the host secret and works once; reports need the secret.
    let http = server.http()?;
    let pair = |secret: &str| {
        let path = format!("/api/sessions/{code}/remote");
        let auth = format!("Bearer {secret}");
        async move { bearer_post(server, &path, &auth, "{}").await }
    };
    assert_eq!(pair(zeros).await?.0, 401);
    let (status, body) = pair(&s.host_secret).await?;
    assert_eq!(status, 201, "{body}");
    let url: serde_json::Value = serde_json::from_str(&body)?;
    let token = url["url"]
        .as_str()
        .unwrap_or_default()
        .rsplit('#')
        .next()
        .unwrap_or_default();
    let claim = json!({ "token": token });
    assert_eq!(
        http.post_json("/api/remote/claim", &claim).await?.status,
        200
    );
    let again = http.post_json("/api/remote/claim", &claim).await?;
    assert_eq!((again.status, again.body.contains("expired")), (410, true));
    let forged = http
        .post_json("/api/remote/claim", &json!({"token": zeros}))
        .await?;
    assert_eq!(forged.status, 410);
    let report = bearer_get(server, &format!("/api/reports/{code}"), zeros).await?;
    assert_eq!(report, 404, "a report for a wrong secret");
    // The ended session's host secret is refused too (its code is unknown from then on).
    let ended = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut h = server.connect().await?;
    h.hello_host(&ended.code, &ended.host_secret).await?;
    h.send(&ClientMsg::End).await?;
    assert_eq!(h.recv_close(T).await?.0, Some(close::ENDED));
    let after = refused_hello(server, "host", &ended.code, Some(&ended.host_secret)).await?;
    assert_eq!(
        after,
        (
            Some(ErrorCode::UnknownSession),
            Some(close::UNKNOWN_SESSION)
        )
    );
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_pupils_token_and_a_wrong_host_key_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start(|c| c.host_key = Some("staff-room-key".into())).await?;
    let http = server.http()?;
    let no_key = http
        .post_json("/api/sessions", &json!({"quiz": "test-kinds"}))
        .await?;
    assert_eq!(
        (no_key.status, no_key.body.contains("bad_host_key")),
        (401, true)
    );
    let body = r#"{"quiz":"test-challenge","mode":"challenge"}"#;
    let wrong = keyed_post(&server, body, "staff-room-kex").await?;
    assert_eq!(wrong.0, 401);
    let (status, created) = keyed_post(&server, body, "staff-room-key").await?;
    assert_eq!(status, 201, "{created}");
    let s: Created = serde_json::from_str(&created)?;
    let mut host = server.connect().await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    let mut pupils = flow::join_many(&server, &s.code, 2).await?;
    let players = host
        .recv_until(
            T,
            |m| matches!(m, ServerMsg::Players { players } if players.len() == 2),
        )
        .await?;
    let ServerMsg::Players { players } = players.msg else {
        bail!("not players")
    };
    // The host removes the first pupil: its socket closes with 4002 and its token stops working.
    let name = pupils[0].welcome.name.clone().context("challenge name")?;
    let id = players
        .iter()
        .find(|p| p.name == name)
        .context("listed")?
        .id
        .clone();
    host.send(&ClientMsg::Remove { player: id }).await?;
    assert_eq!(
        pupils[0].client.recv_close(T).await?.0,
        Some(close::REMOVED)
    );
    let token = pupils[0].token.clone();
    let got = refused_hello(&server, "player", &s.code, Some(&token)).await?;
    assert_eq!(got, (Some(ErrorCode::BadToken), Some(close::REFUSED)));
    // The other pupil carries on.
    host.send(&ClientMsg::Start).await?;
    host.send(&ClientMsg::Next).await?;
    flow::question(&mut pupils[1], "c1", 1).await?;
    flow::answer(&mut pupils[1].client, "c1", 1, 1, opts(&[0])).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_an_unknown_locked_finished_or_full_session_is_refused() -> anyhow::Result<()> {
    let mut scene = Scene::start(|c| c.max_players = 3, 3).await?;
    let server = &scene.server;
    let code = scene.s.code.clone();
    let refused = |e| (Some(e), Some(close::REFUSED));
    // Unknown: any other code, and things that are not codes at all.
    let unknown = (
        Some(ErrorCode::UnknownSession),
        Some(close::UNKNOWN_SESSION),
    );
    let other = if code == "999999" { "999998" } else { "999999" };
    for bad in [other, "", "12345", "abcdef", "../../", "1234567"] {
        assert_eq!(
            refused_hello(server, "player", bad, None).await?,
            unknown,
            "{bad:?}"
        );
    }
    // Full: --max-players 3 and three pupils joined; resumes still work.
    let full = refused_hello(server, "player", &code, None).await?;
    assert_eq!(full, refused(ErrorCode::SessionFull));
    let token = scene.pupils[1].token.clone();
    scene.pupils[1].client = flow::resume(server, &code, &token).await?;
    scene.pupils[1].open = None;
    // Locked: a new session, locked by its host.
    let locked = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut h = server.connect().await?;
    h.hello_host(&locked.code, &locked.host_secret).await?;
    h.send(&ClientMsg::Lock).await?;
    h.recv_until(T, |m| matches!(m, ServerMsg::Phase { locked: true, .. }))
        .await?;
    let got = refused_hello(server, "player", &locked.code, None).await?;
    assert_eq!(got, refused(ErrorCode::LobbyLocked));
    // Finished: new pupils are refused, existing ones resume to their result.
    let done = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut h = server.connect().await?;
    h.hello_host(&done.code, &done.host_secret).await?;
    let early = flow::join(server, &done.code).await?;
    h.send(&ClientMsg::Finish).await?;
    h.recv_until(T, |m| {
        matches!(
            m,
            ServerMsg::Phase {
                stage: Stage::Finished,
                ..
            }
        )
    })
    .await?;
    let got = refused_hello(server, "player", &done.code, None).await?;
    assert_eq!(got, refused(ErrorCode::SessionFinished));
    let mut back = flow::resume(server, &done.code, &early.token).await?;
    back.recv_until(T, |m| matches!(m, ServerMsg::Result(_)))
        .await?;
    scene.ack(1, opts(&[3])).await?;
    scene.carries_on().await?;
    scene.check_tally().await
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `/ws` with extra request headers; an HTTP refusal gives its status.
async fn ws_with(server: &TestServer, headers: &[(&str, &str)]) -> Result<Ws, u16> {
    let mut request = server.ws_url().into_client_request().map_err(|_| 0u16)?;
    for (name, value) in headers {
        let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| 0u16)?;
        request
            .headers_mut()
            .insert(name, value.parse().map_err(|_| 0u16)?);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("websocket handshake failed: {e}"),
    }
}

/// What a raw `hello` got: a welcome (the socket stays open), or an error and a close code.
enum Hello {
    Welcome(Box<Ws>),
    Refused(Option<ErrorCode>, Option<u16>),
}

async fn next_msg(ws: &mut Ws) -> anyhow::Result<Result<Envelope, Option<u16>>> {
    loop {
        let frame = tokio::time::timeout(T, ws.next())
            .await
            .context("no frame")?;
        match frame {
            Some(Ok(Message::Text(t))) => return Ok(Ok(serde_json::from_str(t.as_str())?)),
            Some(Ok(Message::Close(f))) => return Ok(Err(f.map(|f| u16::from(f.code)))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Ok(Err(None)),
        }
    }
}

/// Says hello as a new pupil of `code` from `ip` (through the trusted proxy on loopback).
async fn join_from(server: &TestServer, ip: &str, code: &str) -> anyhow::Result<Hello> {
    hello_from(server, ip, "player", code, None).await
}

/// Says hello as `role` from `ip` (through the trusted proxy on loopback).
async fn hello_from(
    server: &TestServer,
    ip: &str,
    role: &str,
    code: &str,
    secret: Option<&str>,
) -> anyhow::Result<Hello> {
    let mut ws = ws_with(server, &[("x-forwarded-for", ip)])
        .await
        .map_err(|s| anyhow::anyhow!("HTTP {s}"))?;
    let mut hello = json!({"type": "hello", "version": 1, "role": role, "code": code});
    if let Some(secret) = secret {
        hello["secret"] = json!(secret);
    }
    ws.send(Message::text(hello.to_string())).await?;
    let mut error = None;
    loop {
        match next_msg(&mut ws).await? {
            Ok(env) => match env.msg {
                ServerMsg::Welcome { .. } => return Ok(Hello::Welcome(Box::new(ws))),
                ServerMsg::Error { code, .. } => error = error.or(Some(code)),
                _ => {}
            },
            Err(close_code) => return Ok(Hello::Refused(error, close_code)),
        }
    }
}

/// A pupil joined through [`join_from`] answers the open question and waits for the ack.
async fn answer_raw(ws: &mut Ws, seq: u64, option: u8) -> anyhow::Result<()> {
    let msg = flow::answer_msg(Q, 1, seq, opts(&[option]));
    ws.send(Message::text(serde_json::to_string(&msg)?)).await?;
    loop {
        match next_msg(ws).await? {
            Ok(env) => match env.msg {
                ServerMsg::Ack { client_seq, .. } if client_seq == seq => return Ok(()),
                ServerMsg::Error { code, .. } => bail!("answer refused: {code:?}"),
                _ => {}
            },
            Err(code) => bail!("closed {code:?} while answering"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_origins_from_other_sites_are_forbidden() -> anyhow::Result<()> {
    let public = "https://quiz.example.org";
    let mut scene = Scene::start(|c| c.public_url = Some(public.into()), 3).await?;
    let host = format!(
        "127.0.0.1:{}",
        scene.server.http_url().rsplit(':').next().unwrap_or("")
    );
    let same = format!("http://{host}");
    for evil in [
        "https://evil.example",
        "http://localhost.evil.example",
        "https://quiz.example.org.evil.example",
        "null",
    ] {
        let got = ws_with(&scene.server, &[("origin", evil)]).await;
        assert_eq!(got.err(), Some(403), "Origin {evil}");
    }
    for fine in [
        public,
        same.as_str(),
        "http://localhost:3000",
        "http://[::1]:8080",
    ] {
        let ws = ws_with(&scene.server, &[("origin", fine)]).await;
        assert!(ws.is_ok(), "Origin {fine} was refused: {:?}", ws.err());
    }
    assert!(
        ws_with(&scene.server, &[]).await.is_ok(),
        "no Origin (not a browser)"
    );
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_says_hello_is_closed_4009() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let mut silent = scene.server.connect().await?;
    let start = Instant::now();
    let (code, _) = silent.recv_close(Duration::from_secs(15)).await?;
    assert_eq!(code, Some(close::TIMEOUT));
    let after = start.elapsed();
    assert!(
        (Duration::from_secs(9)..Duration::from_secs(13)).contains(&after),
        "closed after {after:?}, not about 10 s"
    );
    scene.carries_on().await?;
    scene.check_tally().await
}

/// Raw TCP connections that stop half-way through the HTTP request (or send nothing) do not stop
/// the server from serving everyone else; the connection limit is not taken by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_finished_http_handshakes_do_not_block_the_server() -> anyhow::Result<()> {
    let mut scene = Scene::start(|c| c.max_connections = Some(20), 3).await?;
    let addr = scene
        .server
        .http_url()
        .trim_start_matches("http://")
        .to_owned();
    let mut stuck = Vec::new();
    for i in 0..60 {
        let mut tcp = TcpStream::connect(&addr).await?;
        let half = match i % 3 {
            0 => "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n".to_owned(),
            1 => "POST /api/sessions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"quiz\"".to_owned(),
            _ => String::new(),
        };
        tcp.write_all(half.as_bytes()).await?;
        stuck.push(tcp);
    }
    let health = scene.server.http()?.get("/api/health").await?;
    assert_eq!(health.status, 200);
    let other = flow::join(&scene.server, &scene.s.code).await;
    assert!(other.is_ok(), "a pupil could not join: {:?}", other.err());
    // None of them got an answer: they are still waiting, not refused or crashed.
    let mut buf = [0u8; 64];
    let waiting = tokio::time::timeout(Duration::from_millis(200), stuck[0].read(&mut buf)).await;
    assert!(waiting.is_err(), "the half request was answered");
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_http_bodies_get_413() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let http = scene.server.http()?;
    let big = json!({"quiz": "test-kinds", "label": "x".repeat(70 * 1024)});
    let r = http.post_json("/api/sessions", &big).await?;
    assert_eq!(
        (r.status, r.body.contains("too_large")),
        (413, true),
        "{}",
        r.body
    );
    let r = http
        .post_json("/api/remote/claim", &json!({"token": "0".repeat(100_000)}))
        .await?;
    assert_eq!(r.status, 413);
    // A Content-Length far over the limit: refused once 64 KiB have arrived. (The server does
    // not refuse on the header alone and has no read timeout: a client that declares a large
    // body and then stops holds its connection open; see docs/SECURITY.md.)
    let addr = scene
        .server
        .http_url()
        .trim_start_matches("http://")
        .to_owned();
    let mut tcp = TcpStream::connect(&addr).await?;
    tcp.write_all(
        b"POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000000000\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let chunk = vec![b' '; 8 * 1024];
    for _ in 0..9 {
        if tcp.write_all(&chunk).await.is_err() {
            break; // already answered and closed
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(T, tcp.read_to_end(&mut answer)).await?;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_traversal_in_asset_urls_is_404() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    let addr = server.http_url().trim_start_matches("http://").to_owned();
    let fine = raw_get(&addr, "/assets/js/core.js").await?;
    assert!(fine.starts_with("HTTP/1.1 200"), "a real asset: {fine:.80}");
    for path in [
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/%2E%2E/%2E%2E/Cargo.toml",
        "/assets/..%2fCargo.toml",
        "/assets/..%2FCargo.toml",
        "/assets/js/../../Cargo.toml",
        "/assets/..\\Cargo.toml",
        "/assets/..%5cCargo.toml",
        "/assets/%5c..%5cCargo.toml",
        "/assets/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/C:%5cWindows%5cwin.ini",
        "/assets/....//Cargo.toml",
        "/assets/%252e%252e/Cargo.toml",
        "/assets/.%00./Cargo.toml",
        "/assets/js/core.js%00.txt",
        "/assets/../src/main.rs",
        "/assets/../../../../../../etc/passwd",
    ] {
        let answer = raw_get(&addr, path).await?;
        let status = answer.get(9..12).unwrap_or_default();
        assert!(
            status == "404" || status == "400",
            "{path}: {}",
            answer.lines().next().unwrap_or_default()
        );
        assert!(
            !answer.contains("[package]")
                && !answer.contains("root:")
                && !answer.contains("fn main"),
            "{path} leaked a file"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiz_ids_questions_options_and_players_that_do_not_exist() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let http = scene.server.http()?;
    let r = http
        .post_json("/api/sessions", &json!({"quiz": "nope"}))
        .await?;
    assert_eq!(
        (r.status, r.body.contains("unknown_quiz")),
        (404, true),
        "{}",
        r.body
    );
    let r = http
        .post_json("/api/sessions", &json!({"quiz": "../quizzes/x"}))
        .await?;
    assert_eq!(r.status, 404);
    let r = http
        .post_json(
            "/api/sessions",
            &json!({"quiz": "test-kinds", "questions": ["nope"]}),
        )
        .await?;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = http
        .post_json(
            "/api/sessions",
            &json!({"quiz": "test-kinds", "mode": "evil", "x": 1}),
        )
        .await?;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(http.get("/api/quizzes/nope").await?.status, 404);
    assert_eq!(
        http.get("/api/quizzes/..%2f..%2fCargo.toml").await?.status,
        404
    );
    assert_eq!(http.get("/api/sessions/000000/qr.svg").await?.status, 404);
    assert_eq!(
        refused(&mut scene, 0, "nope", 1, opts(&[0])).await,
        ErrorCode::UnknownQuestion
    );
    let long = "q".repeat(3000);
    assert_eq!(
        refused(&mut scene, 0, &long, 1, opts(&[0])).await,
        ErrorCode::UnknownQuestion
    );
    assert_eq!(
        refused(&mut scene, 0, Q, 1, opts(&[7])).await,
        ErrorCode::BadChoice
    );
    scene
        .host
        .send(ClientMsg::Remove {
            player: "nope".into(),
        })
        .await?;
    let (code, _) = scene.host.client.recv_error(T).await?;
    assert!(
        matches!(code, ErrorCode::NotAllowed | ErrorCode::UnknownPlayer),
        "remove in reflection mode: {code:?}"
    );
    scene.carries_on().await?;
    scene.host.send(ClientMsg::Close).await?;
    scene.host.stage(Stage::Closed).await?;
    let shown = scene.host.results(Q).await?;
    assert_eq!(shown.results.answered, 2);
    scene
        .host
        .send(ClientMsg::ShowResults {
            question: "nope".into(),
        })
        .await?;
    let (code, _) = scene.host.client.recv_error(T).await?;
    assert_eq!(code, ErrorCode::UnknownQuestion);
    Ok(())
}

/// A server believing `X-Forwarded-For` from 127.0.0.1, so tests can play several addresses.
async fn behind_proxy(max_players: u32) -> anyhow::Result<TestServer> {
    TestServer::start(|c| {
        c.trusted_proxy = vec![Cidr::parse("127.0.0.1/32").expect("cidr")];
        c.max_players = max_players;
    })
    .await
}

/// Joins `n` pupils from `ip`; every one must be welcomed.
async fn class_from(
    server: &TestServer,
    ip: &str,
    code: &str,
    n: usize,
) -> anyhow::Result<Vec<Ws>> {
    let mut class = Vec::new();
    for i in 0..n {
        match join_from(server, ip, code).await? {
            Hello::Welcome(ws) => class.push(*ws),
            Hello::Refused(e, c) => bail!("pupil {i} of the class at {ip} refused: {e:?} {c:?}"),
        }
    }
    Ok(class)
}

/// What a bot's guesses got, counted while it runs.
struct Guesses {
    /// Looked up, and refused as `unknown_session`.
    looked_up: AtomicU32,
    /// Refused with `rate_limited` and 4029, without being looked up.
    limited: AtomicU32,
    /// How long the quickest of those refusals took, in ms.
    quickest_limited_ms: AtomicU64,
    /// Guesses started.
    started: AtomicU32,
}

impl Guesses {
    fn new() -> Guesses {
        Guesses {
            looked_up: AtomicU32::new(0),
            limited: AtomicU32::new(0),
            quickest_limited_ms: AtomicU64::new(u64::MAX),
            started: AtomicU32::new(0),
        }
    }

    /// Waits until a guess has been refused `rate_limited` (the bot is over a budget).
    async fn until_limited(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.limited.load(Ordering::Relaxed) == 0 {
            ensure!(Instant::now() < deadline, "the bot was never limited");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// A bot: guesses wrong codes (never one of `avoid`) from `ip` on `workers` connections at once,
/// until `stop` or `max` guesses in all. Any answer other than `unknown_session` or
/// `rate_limited` (a guess joining, say) is an error.
async fn guess(
    server: &TestServer,
    ip: &str,
    avoid: &[&str],
    workers: usize,
    max: u32,
    stop: &AtomicBool,
    seen: &Guesses,
) -> anyhow::Result<()> {
    let salt = ip.bytes().map(u32::from).sum::<u32>();
    let worker = || async {
        while !stop.load(Ordering::Relaxed) {
            let n = seen.started.fetch_add(1, Ordering::Relaxed);
            if n >= max {
                break;
            }
            let code = format!("{:06}", (n * 7919 + salt * 104_729) % 1_000_000);
            if avoid.contains(&code.as_str()) {
                continue;
            }
            let at = Instant::now();
            match join_from(server, ip, &code).await? {
                Hello::Refused(Some(ErrorCode::UnknownSession), Some(close::UNKNOWN_SESSION)) => {
                    seen.looked_up.fetch_add(1, Ordering::Relaxed);
                }
                Hello::Refused(Some(ErrorCode::RateLimited), Some(close::FLOOD)) => {
                    let ms = at.elapsed().as_millis() as u64;
                    seen.quickest_limited_ms.fetch_min(ms, Ordering::Relaxed);
                    seen.limited.fetch_add(1, Ordering::Relaxed);
                }
                Hello::Refused(e, c) => bail!("guess {code} from {ip}: {e:?} {c:?}"),
                Hello::Welcome(_) => bail!("guess {code} from {ip} joined"),
            }
        }
        anyhow::Ok(())
    };
    futures_util::future::try_join_all((0..workers).map(|_| worker())).await?;
    Ok(())
}

/// Runs `defence` while `attack` goes on, then stops the attack (whether `defence` succeeded or
/// not) and waits for it.
async fn during<A, D, T>(stop: &AtomicBool, attack: A, defence: D) -> anyhow::Result<T>
where
    A: std::future::Future<Output = anyhow::Result<()>>,
    D: std::future::Future<Output = anyhow::Result<T>>,
{
    let defence = async {
        let out = defence.await;
        stop.store(true, Ordering::Relaxed);
        out
    };
    let (attacked, defended) = tokio::join!(attack, defence);
    attacked?;
    defended
}

/// A server behind a trusted proxy on loopback, a session (`min_count` 1) with its host, and
/// [`DECOYS`] sessions nobody is in.
async fn guessing_scene() -> anyhow::Result<(TestServer, Created, Watcher, Vec<String>)> {
    let server = behind_proxy(100).await?;
    let (s, host, _screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds", "min_count": 1})).await?;
    let decoys = decoys(&server).await?;
    Ok((server, s, host, decoys))
}

/// The live codes a bot must not guess (it would join).
fn codes_to_avoid<'a>(s: &'a Created, decoys: &'a [String]) -> Vec<&'a str> {
    decoys
        .iter()
        .map(String::as_str)
        .chain([s.code.as_str()])
        .collect()
}

/// The host opens [`Q`] for a `class` joined through [`join_from`], pupil `i` answers option
/// `i % spread`, and the closed tally is exactly that.
async fn class_answers(host: &mut Watcher, class: &mut [Ws], spread: usize) -> anyhow::Result<()> {
    let n = class.len();
    host.joined(n as u32).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    host.stage(Stage::Open).await?;
    let mut expected = vec![0u32; 4];
    for (i, ws) in class.iter_mut().enumerate() {
        answer_raw(ws, 1, (i % spread) as u8).await?;
        expected[i % spread] += 1;
    }
    host.count(Q, 1, n as u32).await?;
    host.send(ClientMsg::Close).await?;
    let shown = host.results(Q).await?;
    let expected: Vec<Option<u32>> = expected.into_iter().map(Some).collect();
    ensure!(
        shown.results.counts == Some(expected.clone()),
        "tally {:?}, answered {expected:?}",
        shown.results.counts
    );
    Ok(())
}

/// Sessions nobody is in, whose right codes a test tries from a guesser's address.
async fn decoys(server: &TestServer) -> anyhow::Result<Vec<String>> {
    let mut codes = Vec::new();
    for _ in 0..DECOYS {
        codes.push(
            server
                .create_session(json!({"quiz": "test-kinds"}))
                .await?
                .code,
        );
    }
    Ok(codes)
}

/// How many decoy sessions [`right_code_refused`] may try.
const DECOYS: usize = 10;

/// Whether a new join from `ip` with the right code of one of the `decoys` is refused
/// `rate_limited`. A budget may have refilled just as a try arrives, and that try joins (the bot
/// wins most such races); each try uses another decoy, since a decoy joined once is a session the
/// address is in.
async fn right_code_refused(
    server: &TestServer,
    ip: &str,
    decoys: &[String],
) -> anyhow::Result<bool> {
    for code in decoys {
        if let Hello::Refused(Some(ErrorCode::RateLimited), Some(close::FLOOD)) =
            join_from(server, ip, code).await?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The bot's guesses were limited to its budget (a burst of 30, then 1 a second) and the rest
/// refused, each after the server's one-second wait.
fn assert_slowed_and_refused(seen: &Guesses, elapsed: Duration) {
    let looked_up = seen.looked_up.load(Ordering::Relaxed);
    let limited = seen.limited.load(Ordering::Relaxed);
    let allowance = 30 + elapsed.as_secs() as u32 + 2;
    assert!(
        (30..=allowance).contains(&looked_up),
        "{looked_up} guesses looked up in {elapsed:?}"
    );
    assert!(limited >= 8, "only {limited} guesses refused");
    let quickest = seen.quickest_limited_ms.load(Ordering::Relaxed);
    assert!(
        quickest >= 950,
        "a refused guess was answered in {quickest} ms: not slowed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_guessing_codes_is_slowed_and_refused_while_a_class_elsewhere_joins(
) -> anyhow::Result<()> {
    let (server, s, mut host, decoys) = guessing_scene().await?;
    let bot = "203.0.113.7";
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let start = Instant::now();
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = guess(&server, bot, &avoid, 8, 200, &stop, &seen);
    let mut class = during(&stop, attack, async {
        seen.until_limited().await?;
        // Over its budget, the bot's address is refused even a right code, unlooked-at: it
        // cannot tell (a decoy session, so a slip at the 1-a-second refill joins no class).
        ensure!(
            right_code_refused(&server, bot, &decoys).await?,
            "the bot's address was never refused a right code"
        );
        // A class of 30 behind another school address joins meanwhile.
        class_from(&server, "198.51.100.20", &s.code, 30).await
    })
    .await?;
    assert_slowed_and_refused(&seen, start.elapsed());
    class_answers(&mut host, &mut class, 2).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joins_from_the_same_address_as_a_bot_guessing_codes() -> anyhow::Result<()> {
    let (server, s, mut host, decoys) = guessing_scene().await?;
    // One public address for the whole school (NAT): the bot, the projector and the class.
    let school = "198.51.100.40";
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let start = Instant::now();
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = guess(&server, school, &avoid, 8, 300, &stop, &seen);
    let (mut class, _projector) = during(&stop, attack, async {
        // The bot has already drained the school's budget when the lesson starts.
        seen.until_limited().await?;
        // The classroom's projector opens the session from the school (a secret is never
        // turned away)…
        let projector =
            match hello_from(&server, school, "screen", &s.code, Some(&s.screen_token)).await? {
                Hello::Welcome(ws) => ws,
                Hello::Refused(e, c) => bail!("the projector was refused: {e:?} {c:?}"),
            };
        // …so a new join to *this* session from the school is looked up as usual, and the
        // whole class gets in while the bot's guesses go on being refused.
        let class = class_from(&server, school, &s.code, 30).await?;
        ensure!(
            seen.limited.load(Ordering::Relaxed) >= 8,
            "the bot stopped being refused"
        );
        // The pass is for that session only: another session's code from the school is
        // refused unlooked-at while the bot is over budget.
        ensure!(
            right_code_refused(&server, school, &decoys).await?,
            "the school's address was let into a session it was not in"
        );
        Ok((class, projector))
    })
    .await?;
    assert_slowed_and_refused(&seen, start.elapsed());
    class_answers(&mut host, &mut class, 4).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_failure_budget_stops_distributed_guessing_not_new_classes() -> anyhow::Result<()>
{
    let (server, s, mut host, decoys) = guessing_scene().await?;
    // 14 addresses on three connections each: none goes over its own burst (30) before the
    // global budget (a burst of 200, then 10 a second shared by all) runs out.
    let bots: Vec<String> = (1..=14).map(|i| format!("192.0.2.{i}")).collect();
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = async {
        futures_util::future::try_join_all(
            bots.iter()
                .map(|ip| guess(&server, ip, &avoid, 3, 14 * 60, &stop, &seen)),
        )
        .await?;
        anyhow::Ok(())
    };
    during(&stop, attack, async {
        seen.until_limited().await?;
        // An address that failed recently is refused even a right code…
        ensure!(
            right_code_refused(&server, &bots[0], &decoys).await?,
            "a guessing address was let in while the global budget is drained"
        );
        // …while a school that never failed joins as usual.
        class_from(&server, "198.51.100.30", &s.code, 30).await
    })
    .await?;
    let looked_up = seen.looked_up.load(Ordering::Relaxed);
    assert!(looked_up >= 200, "{looked_up} guesses looked up");
    host.joined(30).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joins_from_the_same_address_as_a_few_typos() -> anyhow::Result<()> {
    // No trusted proxy: everyone is 127.0.0.1, like a school behind NAT.
    let server = TestServer::plain().await?;
    let (s, mut host, _screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds", "min_count": 1})).await?;
    let unknown = (
        Some(ErrorCode::UnknownSession),
        Some(close::UNKNOWN_SESSION),
    );
    for typo in 0..8u32 {
        let code = format!("{:06}", (s.code.parse::<u32>()? + 1 + typo) % 1_000_000);
        assert_eq!(
            refused_hello(&server, "player", &code, None).await?,
            unknown
        );
    }
    let mut class = flow::join_many(&server, &s.code, 30).await?;
    host.joined(30).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    let votes = flow::answer_all(&mut class, Q, 1, |i| vec![opts(&[(i % 4) as u8])]).await?;
    host.count(Q, 1, 30).await?;
    host.send(ClientMsg::Close).await?;
    assert_eq!(host.results(Q).await?.results.answered, votes.answered());
    Ok(())
}

/// `GET path` on a raw socket (paths are sent exactly as written); the whole answer as text.
async fn raw_get(addr: &str, path: &str) -> anyhow::Result<String> {
    let mut tcp = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(T, tcp.read_to_end(&mut answer)).await??;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// `POST path` with `Authorization`; status and body.
async fn bearer_post(
    server: &TestServer,
    path: &str,
    auth: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let addr = server.http_url().trim_start_matches("http://").to_owned();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: \
         application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_request(&addr, &request).await
}

/// `GET path` with a bearer secret; the status.
async fn bearer_get(server: &TestServer, path: &str, secret: &str) -> anyhow::Result<u16> {
    let addr = server.http_url().trim_start_matches("http://").to_owned();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {secret}\r\n\
         Connection: close\r\n\r\n"
    );
    Ok(raw_request(&addr, &request).await?.0)
}

/// `POST /api/sessions` with `X-Loupe-Host-Key`.
async fn keyed_post(server: &TestServer, body: &str, key: &str) -> anyhow::Result<(u16, String)> {
    let addr = server.http_url().trim_start_matches("http://").to_owned();
    let request = format!(
        "POST /api/sessions HTTP/1.1\r\nHost: {addr}\r\nX-Loupe-Host-Key: {key}\r\nContent-Type: \
         application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_request(&addr, &request).await
}

async fn raw_request(addr: &str, request: &str) -> anyhow::Result<(u16, String)> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(T, tcp.read_to_end(&mut answer)).await??;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
