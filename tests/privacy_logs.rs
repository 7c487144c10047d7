//! What the real binary logs and which sockets it opens during a whole session (issue 6).
//!
//! One test runs `loupe` (`CARGO_BIN_EXE_loupe`, `RUST_LOG=info`, stdout and stderr captured)
//! through a whole session: a host key, a host, a screen, pupils (some through a trusted proxy
//! with an `X-Forwarded-For` address), answers with distinctive `client_seq`s and option texts, a
//! pass, a "talk to an adult", a pause, a reveal, a second question, a finish, a resume, a phone
//! remote pairing, a report, hostile frames carrying a canary string, failed joins, then the end
//! and SIGTERM. Then:
//!
//! - **no log line** contains a resume token, the host secret, the screen token, the pairing
//!   token, the host key, the SHA-256 of any of them, an answer's `client_seq` or option text,
//!   the canary, the forwarded client address, or any IP address outside the start-up lines.
//!   The precise rule for addresses: the lines printed before the `serving` log line (start-up:
//!   the banner on stdout and the start-up logs) may name the bound address 127.0.0.1; no line
//!   after it may contain an IPv4 address, `::1` or `::ffff:`, and the forwarded address may
//!   appear nowhere;
//! - **no outbound connection**: at several points the process's sockets (its `/proc/PID/fd`
//!   inodes looked up in `/proc/PID/net/*`) are only the listener and connections whose local
//!   port is the server's port (accepted ones), plus local Unix or netlink sockets; no UDP or raw
//!   socket ever exists (no DNS lookup, no telemetry).
#![cfg(target_os = "linux")]

use loupe_tools::client::http as raw_http;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use futures_util::{SinkExt, StreamExt};
use loupe::protocol::{Answer, Choice, ClientMsg, ServerMsg};
use loupe_tools::client::{Client, Created, HttpClient};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const T: Duration = Duration::from_secs(10);
const HOST_KEY: &str = "Canary-Host-Key-6c1f0e";
/// The client address a trusted proxy forwards for some pupils.
const FORWARDED: &str = "203.0.113.77";
/// A string sent inside hostile frames.
const CANARY: &str = "Canary-Frame-5d2b9a";
/// The distinctive `client_seq`s of the answers.
const SEQS: [u64; 4] = [987_654_301, 987_654_302, 987_654_303, 987_654_304];

/// The running binary, its captured output, and where it keeps its files.
struct Loupe {
    child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    dir: PathBuf,
}

impl Loupe {
    fn start(level: &str) -> anyhow::Result<Loupe> {
        let dir =
            std::env::temp_dir().join(format!("loupe-privacy-{}-{level}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let ready = dir.join("ready");
        let quizzes = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loupe"));
        for (k, _) in std::env::vars() {
            if k.starts_with("LOUPE_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["--addr", "127.0.0.1:0", "--ready-file"])
            .arg(&ready)
            .arg("--data")
            .arg(dir.join("data"))
            .arg("--quizzes")
            .arg(&quizzes)
            .args(["--host-key", HOST_KEY, "--trusted-proxy", "127.0.0.1/32"])
            .env("RUST_LOG", level)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting loupe")?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        for (name, out) in [
            (
                "stdout",
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            ),
            (
                "stderr",
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            ),
        ] {
            let (lines, out) = (lines.clone(), out.context("piped output")?);
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    lines
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(format!("{name}: {line}"));
                }
            });
        }
        let started = Instant::now();
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&ready)
                .ok()
                .and_then(|t| t.trim().rsplit_once(':').and_then(|(_, p)| p.parse().ok()))
            {
                break port;
            }
            if let Some(status) = child.try_wait()? {
                bail!("loupe exited at start: {status}");
            }
            ensure!(started.elapsed() < Duration::from_secs(30), "no ready file");
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(Loupe {
            child,
            port,
            lines,
            dir,
        })
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// SIGTERM, then waits for the exit and the last lines.
    fn stop(&mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let started = Instant::now();
        while self.child.try_wait()?.is_none() {
            ensure!(
                started.elapsed() < Duration::from_secs(10),
                "loupe did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        Ok(())
    }
}

impl Drop for Loupe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One socket of the process, as the kernel's tables describe it (fields shown in failures).
#[derive(Debug)]
#[allow(dead_code)]
enum Sock {
    Tcp {
        local_port: u16,
        remote: String,
        state: String,
    },
    Other(&'static str),
    Unknown(u64),
}

/// Every socket the process holds, from its fd links and its network namespace's tables.
fn sockets(pid: u32) -> anyhow::Result<Vec<Sock>> {
    let mut inodes = BTreeSet::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))? {
        let Ok(link) = std::fs::read_link(entry?.path()) else {
            continue; // closed meanwhile
        };
        let link = link.to_string_lossy().into_owned();
        if let Some(inode) = link
            .strip_prefix("socket:[")
            .and_then(|r| r.strip_suffix(']'))
        {
            inodes.insert(inode.parse::<u64>()?);
        }
    }
    let mut known: BTreeMap<u64, Sock> = BTreeMap::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}"))?;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(inode)) =
                (f.get(1), f.get(2), f.get(3), f.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                .unwrap_or(0);
            let sock = Sock::Tcp {
                local_port,
                remote: (*remote).to_owned(),
                state: (*state).to_owned(),
            };
            known.insert(inode.parse()?, sock);
        }
    }
    for (table, name) in [
        ("udp", "udp"),
        ("udp6", "udp6"),
        ("raw", "raw"),
        ("raw6", "raw6"),
        ("unix", "unix"),
        ("netlink", "netlink"),
    ] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        let column = if table == "unix" { 6 } else { 9 };
        for line in text.lines().skip(1) {
            if let Some(inode) = line
                .split_whitespace()
                .nth(column)
                .and_then(|i| i.parse::<u64>().ok())
            {
                known.entry(inode).or_insert(Sock::Other(name));
            }
        }
    }
    Ok(inodes
        .into_iter()
        .map(|i| known.remove(&i).unwrap_or(Sock::Unknown(i)))
        .collect())
}

/// Every TCP socket is the listener or an accepted connection (local port = the server's port);
/// no UDP or raw socket; nothing unknown. Returns the number of TCP sockets seen.
///
/// A socket closed between reading the fd links and reading the tables shows as unknown: the
/// listing is retried a few times before an unknown socket counts as a failure.
fn check_sockets(loupe: &Loupe, when: &str) -> anyhow::Result<usize> {
    let mut socks = sockets(loupe.child.id())?;
    for _ in 0..20 {
        if !socks.iter().any(|s| matches!(s, Sock::Unknown(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        socks = sockets(loupe.child.id())?;
    }
    let mut tcp = 0;
    for s in &socks {
        match s {
            Sock::Tcp { local_port, .. } if *local_port == loupe.port => tcp += 1,
            Sock::Other("unix" | "netlink") => {}
            other => bail!("{when}: a socket that is not the server's: {other:?} (all: {socks:?})"),
        }
    }
    ensure!(tcp >= 1, "{when}: no listener found: {socks:?}");
    Ok(tcp)
}

/// A pupil joins through the trusted proxy, as `FORWARDED`; returns its resume token.
async fn join_forwarded(ws_url: &str, code: &str) -> anyhow::Result<String> {
    let mut req = ws_url.into_client_request()?;
    req.headers_mut()
        .insert("x-forwarded-for", FORWARDED.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let hello = json!({"type": "hello", "version": 1, "role": "player", "code": code});
    ws.send(Message::text(hello.to_string())).await?;
    loop {
        let frame = tokio::time::timeout(T, ws.next())
            .await?
            .context("closed")??;
        if let Message::Text(t) = frame {
            let v: serde_json::Value = serde_json::from_str(t.as_str())?;
            if v["type"] == "welcome" {
                let token = v["token"].as_str().context("token")?.to_owned();
                ws.close(None).await?;
                return Ok(token);
            }
            bail!("forwarded join refused: {t}");
        }
    }
}

/// A failed join through the trusted proxy (so the guard counts `FORWARDED`).
async fn fail_forwarded(ws_url: &str) -> anyhow::Result<()> {
    let mut req = ws_url.into_client_request()?;
    req.headers_mut()
        .insert("x-forwarded-for", FORWARDED.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let hello = json!({"type": "hello", "version": 1, "role": "player", "code": "000000"});
    ws.send(Message::text(hello.to_string())).await?;
    while let Ok(Some(Ok(_))) = tokio::time::timeout(T, ws.next()).await {}
    Ok(())
}

async fn until(c: &mut Client, pred: impl FnMut(&ServerMsg) -> bool) -> anyhow::Result<ServerMsg> {
    Ok(c.recv_until(T, pred).await?.msg)
}

async fn answer(c: &mut Client, q: &str, seq: u64, choice: Choice) -> anyhow::Result<()> {
    let msg = ClientMsg::Answer(Answer {
        question: q.into(),
        round: 1,
        client_seq: seq,
        choice,
    });
    c.send(&msg).await?;
    match until(c, |m| {
        matches!(m, ServerMsg::Ack { .. } | ServerMsg::Error { .. })
    })
    .await?
    {
        ServerMsg::Ack { client_seq, .. } if client_seq == seq => Ok(()),
        other => bail!("answer {q} {seq}: {other:?}"),
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Whether `line` contains something shaped like an IPv4 address (four dot-separated numbers).
fn has_ipv4(line: &str) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
            let rest = &line[i..];
            let mut parts = 0;
            let mut ok = true;
            for (n, part) in rest.split('.').take(4).enumerate() {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                let whole = n == 3 || digits.len() == part.len();
                if digits.is_empty() || digits.len() > 3 || !whole {
                    ok = false;
                    break;
                }
                parts += 1;
            }
            if ok && parts == 4 {
                return true;
            }
        }
        i += 1;
    }
    false
}

#[test]
fn ipv4_shapes_are_recognised() {
    assert!(has_ipv4("peer=192.168.1.20:5000"));
    assert!(has_ipv4("127.0.0.1"));
    assert!(!has_ipv4("version 0.1.0 took 12.5 ms"));
    assert!(!has_ipv4("2026-05-01T10:00:00.123Z"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_session_logs_nothing_identifying_and_opens_no_outbound_socket(
) -> anyhow::Result<()> {
    whole_session("info").await
}

/// The same at `RUST_LOG=trace` (which includes `debug`): an operator chasing a problem turns
/// every log on, and still no secret, token, ticket, answer, address or request path is written
/// (the libraries that see raw frames and requests are held at `info`, `loupe::logs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_trace_level_too_the_logs_hold_nothing_identifying() -> anyhow::Result<()> {
    whole_session("trace").await
}

/// A whole session with the binary logging at `level`, then every check on what it wrote.
async fn whole_session(level: &str) -> anyhow::Result<()> {
    let mut loupe = Loupe::start(level)?;
    let addr = loupe.addr();
    let ws_url = format!("ws://{addr}/ws");
    let base = format!("http://{addr}");
    let mut max_tcp = check_sockets(&loupe, "at start")?;
    let mut secrets: Vec<String> = vec![HOST_KEY.to_owned()];

    // The teacher creates a session (with the host key), a host and a screen greet.
    let body = json!({"quiz": "hostile-privacy", "label": "4e B"}).to_string();
    let (status, text) = raw_http::send_json(
        &addr,
        "POST",
        "/api/sessions",
        &[("X-Loupe-Host-Key", HOST_KEY)],
        &body,
    )
    .await?;
    ensure!(status == 201, "create: {status} {text}");
    let s: Created = serde_json::from_str(&text)?;
    secrets.extend([
        s.host_secret.clone(),
        s.screen_token.clone(),
        s.ticket.clone(),
    ]);
    let (bad, _) = raw_http::send_json(
        &addr,
        "POST",
        "/api/sessions",
        &[("X-Loupe-Host-Key", "nope")],
        &body,
    )
    .await?;
    ensure!(bad == 401, "a wrong host key: {bad}");
    // The pages a class opens: the join link and the QR code with its ticket (in the query).
    for path in [
        format!("/join/{}", s.code),
        format!("/api/sessions/{}/qr.svg?ticket={}", s.code, s.ticket),
    ] {
        let reply = raw_http::get(&addr, &path, &[]).await?;
        ensure!(reply.status == 200, "{path}: {}", reply.status);
    }
    let mut host = Client::connect(&ws_url).await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    let mut screen = Client::connect(&ws_url).await?;
    screen.hello_screen(&s.code, &s.screen_token).await?;

    // Four pupils on loopback (the first from the QR code's link, with the join ticket), two
    // through the proxy; failed joins from both addresses.
    let mut pupils = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..4 {
        let mut c = Client::connect(&ws_url).await?;
        let w = if i == 0 {
            c.hello_with_ticket(&s.code, &s.ticket).await?
        } else {
            c.hello_player(&s.code, None).await?
        };
        tokens.push(w.token.context("a first join has a token")?);
        pupils.push(c);
    }
    for _ in 0..2 {
        tokens.push(join_forwarded(&ws_url, &s.code).await?);
        fail_forwarded(&ws_url).await?;
    }
    secrets.extend(tokens.iter().cloned());
    let mut stranger = Client::connect(&ws_url).await?;
    let refused = stranger.hello_player(&s.code, Some(&"ab".repeat(16))).await;
    ensure!(refused.is_err(), "a forged token was accepted");
    let mut wrong_host = Client::connect(&ws_url).await?;
    ensure!(wrong_host
        .hello_host(&s.code, &"cd".repeat(16))
        .await
        .is_err());
    until(&mut host, |m| {
        matches!(m, ServerMsg::Presence { joined: 6, .. })
    })
    .await?;

    // The first question: distinctive answers, a pass, a change of mind, hostile frames.
    host.send(&ClientMsg::Start).await?;
    host.send(&ClientMsg::Next).await?;
    for p in pupils.iter_mut() {
        until(p, |m| matches!(m, ServerMsg::Question { .. })).await?;
    }
    max_tcp = max_tcp.max(check_sockets(&loupe, "with a class connected")?);
    answer(&mut pupils[0], "p1", SEQS[0], Choice::Options(vec![1])).await?;
    answer(&mut pupils[1], "p1", SEQS[1], Choice::Options(vec![0])).await?;
    answer(&mut pupils[1], "p1", SEQS[2], Choice::Options(vec![2])).await?;
    answer(&mut pupils[2], "p1", SEQS[3], Choice::Pass).await?;
    let canary_frame = json!({"type": "answer", "question": CANARY, "client_seq": 1,
        "choice": {"options": [0]}});
    pupils[3].send_raw(&canary_frame.to_string()).await?;
    pupils[3].recv_error(T).await?;
    pupils[3]
        .send_raw(&format!("{{\"type\":\"{CANARY}\"}}"))
        .await?;
    pupils[3].recv_error(T).await?;
    pupils[3].send_raw(&format!("not json {CANARY}")).await?;
    pupils[3].recv_error(T).await?;
    pupils[3].send(&ClientMsg::TalkToAdult).await?;
    host.send(&ClientMsg::Pause).await?;
    host.send(&ClientMsg::Resume).await?;
    host.send(&ClientMsg::Reveal).await?;
    until(&mut host, |m| {
        matches!(
            m,
            ServerMsg::Results {
                correct: Some(_),
                ..
            }
        )
    })
    .await?;

    // A phone remote pairs (its token works once), a pupil resumes.
    let auth = format!("Bearer {}", s.host_secret);
    let path = format!("/api/sessions/{}/remote", s.code);
    let (status, text) =
        raw_http::send_json(&addr, "POST", &path, &[("Authorization", &auth)], "{}").await?;
    ensure!(status == 201, "remote: {status} {text}");
    let pairing: serde_json::Value = serde_json::from_str(&text)?;
    let token = pairing["url"]
        .as_str()
        .and_then(|u| u.rsplit_once('#'))
        .context("url")?
        .1;
    secrets.push(token.to_owned());
    let claim = json!({ "token": token });
    let http = HttpClient::new(&base)?;
    let claimed = http.post_json("/api/remote/claim", &claim).await?;
    ensure!(claimed.status == 200, "claim: {claimed:?}");
    ensure!(http.post_json("/api/remote/claim", &claim).await?.status == 410);
    // The phone waits, the console accepts it, then revokes it: its credential is a secret too.
    let claimed: serde_json::Value = serde_json::from_str(&claimed.body)?;
    let credential = claimed["credential"].as_str().context("credential")?;
    secrets.push(credential.to_owned());
    let mut phone = Client::connect(&ws_url).await?;
    let device = phone.hello_waiting(&s.code, credential).await?;
    host.send(&ClientMsg::AcceptDevice { device }).await?;
    until(&mut phone, |m| matches!(m, ServerMsg::Welcome { .. })).await?;
    host.send(&ClientMsg::RevokeDevice { device }).await?;
    phone.recv_close(T).await?;
    pupils[0] = Client::connect(&ws_url).await?;
    pupils[0].hello_player(&s.code, Some(&tokens[0])).await?;

    // The second question, then the finish: private results and the summary.
    host.send(&ClientMsg::Next).await?;
    for (i, p) in pupils.iter_mut().enumerate() {
        until(
            p,
            |m| matches!(m, ServerMsg::Question { question, .. } if question == "p2"),
        )
        .await?;
        answer(p, "p2", SEQS[i] + 10, Choice::Options(vec![0, 1])).await?;
    }
    host.send(&ClientMsg::Finish).await?;
    until(&mut host, |m| matches!(m, ServerMsg::Summary(_))).await?;
    until(&mut screen, |m| matches!(m, ServerMsg::Summary(_))).await?;
    for p in pupils.iter_mut() {
        until(p, |m| matches!(m, ServerMsg::Result(_))).await?;
    }
    max_tcp = max_tcp.max(check_sockets(&loupe, "at the finish")?);

    // The end: every socket closes; the report needs the host secret.
    host.send(&ClientMsg::End).await?;
    host.recv_close(T).await?;
    for p in pupils.iter_mut() {
        p.recv_close(T).await?;
    }
    // The report is written by the store's thread just after the sockets close: wait for it.
    let report = format!("/api/reports/{}", s.code);
    let asked = Instant::now();
    loop {
        let (status, _) =
            raw_http::send_json(&addr, "GET", &report, &[("Authorization", &auth)], "").await?;
        if status == 200 {
            break;
        }
        ensure!(status == 404 && asked.elapsed() < T, "report: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await; // polling the store, not syncing
    }
    check_sockets(&loupe, "after the end")?;
    ensure!(
        max_tcp >= 7,
        "the socket checks never saw the class: {max_tcp}"
    );
    loupe.stop()?;

    // What was logged.
    let lines = loupe.lines();
    // Start-up ends with both the `serving` log line (stderr) and the banner (stdout); the two
    // streams are read separately, so either may come first.
    let serving = lines
        .iter()
        .position(|l| l.contains("serving"))
        .context("no `serving` line: is the log captured?")?;
    let banner = lines
        .iter()
        .position(|l| l.contains("Loupe is running"))
        .unwrap_or(serving);
    let serving = serving.max(banner);
    for want in ["session created", "session actor stopped", "stopped"] {
        ensure!(
            lines.iter().any(|l| l.contains(want)),
            "no `{want}` line in {lines:#?}"
        );
    }
    let mut forbidden: Vec<(String, String)> = Vec::new();
    for secret in &secrets {
        forbidden.push((format!("secret {secret}"), secret.clone()));
        forbidden.push((format!("hash of {secret}"), sha256_hex(secret)));
    }
    for seq in SEQS {
        forbidden.push(("a client_seq".into(), seq.to_string()));
        forbidden.push(("a client_seq".into(), (seq + 10).to_string()));
    }
    for text in [
        "Quokka-Canary",
        "Narwhal-Canary",
        "Axolotl-Canary",
        "Habit-Canary",
    ] {
        forbidden.push(("an option text".into(), text.into()));
    }
    forbidden.push(("the canary frame".into(), CANARY.into()));
    forbidden.push(("the forwarded address".into(), FORWARDED.into()));
    for (i, line) in lines.iter().enumerate() {
        for (what, needle) in &forbidden {
            ensure!(
                !line.contains(needle.as_str()),
                "{what} in a log line: {line}"
            );
        }
        if i > serving {
            ensure!(!has_ipv4(line), "an IP address after start-up: {line}");
            // Route templates (`route=/api/sessions/{code}/qr.svg`) are fine; a raw path, with
            // the code or a query in it, is not.
            for path in [format!("/{}", s.code), "?ticket".into(), "ticket=".into()] {
                ensure!(
                    !line.contains(&path),
                    "a raw request path ({path}) in a log line: {line}"
                );
            }
            ensure!(
                !line.contains("::1") && !line.contains("::ffff:"),
                "an IPv6 address after start-up: {line}"
            );
        } else if has_ipv4(line) {
            let cleaned = line.replace("127.0.0.1", "");
            ensure!(
                !has_ipv4(&cleaned),
                "a start-up line names another address: {line}"
            );
        }
    }
    for line in &lines {
        println!("{line}");
    }
    println!(
        "{} log lines checked ({} at start-up), {} forbidden strings, up to {max_tcp} TCP sockets",
        lines.len(),
        serving + 1,
        forbidden.len()
    );
    Ok(())
}
