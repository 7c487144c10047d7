//! Hostile pupils, bots and the open internet (issue 6): one test per hostile input.
//!
//! Each WebSocket test plays the same scene: a session of `test-kinds` with a host, a screen
//! and pupils (late joiners top the answers up to `min_count` before the close, so the tally is
//! visible); an honest pupil's answer is acknowledged
//! before the attack, the attacker does one hostile thing and gets the documented error (or close
//! code, or HTTP status), then another pupil's answer is still acknowledged and counted, and the
//! final `results` tally is exactly the acknowledged answers. The join-code guessing tests use
//! `--trusted-proxy 127.0.0.1/32` and `X-Forwarded-For` to play a bot and a class at different
//! addresses on loopback.
//!
//! - [`messages`]: malformed, mistyped, unknown, binary, oversized and flooding frames;
//! - [`answers`]: answers out of turn, out of range, of the wrong kind or late; host commands
//!   from a pupil or the screen;
//! - [`joins`]: wrong secrets and tokens, a removed pupil, a wrong host key, sessions that are
//!   unknown, locked, finished or full;
//! - [`network`]: cross-site origins, silent sockets, half-finished HTTP, oversized bodies, path
//!   traversal, ids that do not exist;
//! - [`guessing`]: join-code guessing from one address and from many.

#[path = "../common/mod.rs"]
mod common;

mod answers;
mod guessing;
mod joins;
mod messages;
mod network;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use common::flow::{self, Pupil, Watcher};
use common::model::opts;
use common::{raw_http, TestServer, T};
use futures_util::{SinkExt, StreamExt};
use loupe::config::Config;
use loupe::guard::Cidr;
use loupe::protocol::{close, Choice, ClientMsg, Envelope, ErrorCode, ServerMsg, Stage};
use loupe_tools::client::{Client, ClientError, Created};
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
    /// `n` pupils in a `test-kinds` session, `q-single` open, pupil 0 answered B.
    async fn start(tweak: impl FnOnce(&mut Config), n: usize) -> anyhow::Result<Scene> {
        let server = TestServer::start(tweak).await?;
        let (s, mut host, screen) =
            flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
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

    /// Late joiners answer D until `min_count` (3) answers are acknowledged: below it only the
    /// number of answers is shown.
    async fn top_up(&mut self) -> anyhow::Result<()> {
        while self.acked.len() < 3 {
            let late = flow::join(&self.server, &self.s.code).await?;
            self.pupils.push(late);
            self.ack(self.pupils.len() - 1, opts(&[3])).await?;
        }
        Ok(())
    }

    /// Another pupil (the last) answers: the session still serves everyone else.
    async fn carries_on(&mut self) -> anyhow::Result<()> {
        let last = self.pupils.len() - 1;
        self.ack(last, opts(&[2])).await
    }

    /// Closes the question (after [`Scene::top_up`]): host and screen see exactly the
    /// acknowledged answers.
    async fn check_tally(mut self) -> anyhow::Result<()> {
        self.top_up().await?;
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
            assert_eq!(shown.results.passed, Some(passed), "passed");
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
    let mut hello = json!({"type": "hello", "version": 1, "role": role, "code": code});
    if let Some(secret) = secret {
        hello["secret"] = json!(secret);
    }
    say_from(server, ip, &hello).await
}

/// Sends `hello` (any JSON) from `ip` (through the trusted proxy on loopback): welcomed or refused.
async fn say_from(
    server: &TestServer,
    ip: &str,
    hello: &serde_json::Value,
) -> anyhow::Result<Hello> {
    let mut ws = ws_with(server, &[("x-forwarded-for", ip)])
        .await
        .map_err(|s| anyhow::anyhow!("HTTP {s}"))?;
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

/// The server's `ip:port`.
fn addr_of(server: &TestServer) -> String {
    server.http_url().trim_start_matches("http://").to_owned()
}

/// `POST path` with `Authorization`; status and body.
async fn bearer_post(
    server: &TestServer,
    path: &str,
    auth: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    Ok(raw_http::send_json(
        addr_of(server),
        "POST",
        path,
        &[("Authorization", auth)],
        body,
    )
    .await?)
}

/// `GET path` with a bearer secret; the status.
async fn bearer_get(server: &TestServer, path: &str, secret: &str) -> anyhow::Result<u16> {
    let auth = format!("Bearer {secret}");
    Ok(raw_http::send_json(
        addr_of(server),
        "GET",
        path,
        &[("Authorization", &auth)],
        "",
    )
    .await?
    .0)
}

/// `POST /api/sessions` with `X-Loupe-Host-Key`.
async fn keyed_post(server: &TestServer, body: &str, key: &str) -> anyhow::Result<(u16, String)> {
    Ok(raw_http::send_json(
        addr_of(server),
        "POST",
        "/api/sessions",
        &[("X-Loupe-Host-Key", key)],
        body,
    )
    .await?)
}
