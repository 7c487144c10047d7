//! Helpers that drive a session: pupils who join and answer, and logged host and screen views.

use anyhow::{anyhow, bail, ensure, Context};
use futures_util::future::try_join_all;
use loupe::protocol::{
    Answer, Choice, ClientMsg, Distribution, Envelope, ErrorCode, Role, ServerMsg, Stage,
};
use loupe_tools::client::{msg_type, Created};

use super::model::Votes;
use super::{Client, Received, TestServer, Welcome, T};

/// A pupil's phone: its socket, resume token and next client sequence number.
pub struct Pupil {
    /// The socket.
    pub client: Client,
    /// The resume token from the first welcome.
    pub token: String,
    /// The first welcome.
    pub welcome: Welcome,
    /// Last client_seq used (each new answer uses the next one).
    pub seq: u64,
    /// The last question (and round) this phone was seen to receive.
    pub open: Option<(String, u8)>,
}

/// Creates a session with `body` and greets a host and a screen (snapshots left unread).
pub async fn host_and_screen(
    server: &TestServer,
    body: serde_json::Value,
) -> anyhow::Result<(Created, Watcher, Watcher)> {
    let s = server.create_session(body).await?;
    let mut host = server.connect().await?;
    let w = host.hello_host(&s.code, &s.host_secret).await?;
    ensure!(
        w.role == Role::Host && w.token.is_none(),
        "host welcome {w:?}"
    );
    let mut screen = server.connect().await?;
    let w = screen.hello_screen(&s.code, &s.screen_token).await?;
    ensure!(
        w.role == Role::Screen && w.token.is_none(),
        "screen welcome {w:?}"
    );
    Ok((s, Watcher::new(host), Watcher::new(screen)))
}

/// Joins as a new pupil; checks the token has 32 hex characters.
pub async fn join(server: &TestServer, code: &str) -> anyhow::Result<Pupil> {
    let mut client = server.connect().await?;
    let welcome = client.hello_player(code, None).await?;
    let token = welcome
        .token
        .clone()
        .ok_or_else(|| anyhow!("first welcome without a token"))?;
    ensure!(
        token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "token is not 32 hex chars: {token:?}"
    );
    Ok(Pupil {
        client,
        token,
        welcome,
        seq: 0,
        open: None,
    })
}

/// Joins `n` pupils concurrently, in order.
pub async fn join_many(server: &TestServer, code: &str, n: usize) -> anyhow::Result<Vec<Pupil>> {
    try_join_all((0..n).map(|_| join(server, code))).await
}

/// Resumes with `token` on a new socket; checks the welcome carries no new token.
pub async fn resume(server: &TestServer, code: &str, token: &str) -> anyhow::Result<Client> {
    let mut client = server.connect().await?;
    let welcome = client.hello_player(code, Some(token)).await?;
    ensure!(
        welcome.token.is_none(),
        "a resume welcome must not carry a token"
    );
    Ok(client)
}

/// The `answer` message.
pub fn answer_msg(question: &str, round: u8, client_seq: u64, choice: Choice) -> ClientMsg {
    ClientMsg::Answer(Answer {
        question: question.to_owned(),
        round,
        client_seq,
        choice,
    })
}

/// Sends an answer and waits for the `ack` of this client_seq (an `error` fails).
pub async fn answer(
    c: &mut Client,
    q: &str,
    round: u8,
    seq: u64,
    choice: Choice,
) -> anyhow::Result<()> {
    c.send(&answer_msg(q, round, seq, choice.clone())).await?;
    let env = c
        .recv_until(T, |m| {
            matches!(m, ServerMsg::Ack { client_seq, question, .. } if *client_seq == seq && question == q)
                || matches!(m, ServerMsg::Error { .. })
        })
        .await?;
    match env.msg {
        ServerMsg::Ack {
            round: r,
            choice: got,
            ..
        } if r == round && got == choice => Ok(()),
        other => bail!("answer {q} r{round} seq {seq} {choice:?}: got {other:?}"),
    }
}

/// Sends an answer that must be refused; returns the error code.
pub async fn refused(
    c: &mut Client,
    q: &str,
    round: u8,
    seq: u64,
    choice: Choice,
) -> anyhow::Result<ErrorCode> {
    c.send(&answer_msg(q, round, seq, choice)).await?;
    let env = c
        .recv_until(T, |m| {
            matches!(m, ServerMsg::Error { .. } | ServerMsg::Ack { .. })
        })
        .await?;
    match env.msg {
        ServerMsg::Error {
            code, in_reply_to, ..
        } => {
            ensure!(
                in_reply_to.as_deref().is_none_or(|r| r == "answer"),
                "in_reply_to {in_reply_to:?}"
            );
            Ok(code)
        }
        other => bail!("expected an error, got {other:?}"),
    }
}

/// Waits until this socket gets `question` `q` in `round`.
pub async fn question_on(c: &mut Client, q: &str, round: u8) -> anyhow::Result<Envelope> {
    Ok(c
        .recv_until(T, |m| matches!(m, ServerMsg::Question { question, round: r, .. } if question == q && *r == round))
        .await?)
}

/// Waits until the pupil has question `q` in `round` (at once if already received).
pub async fn question(p: &mut Pupil, q: &str, round: u8) -> anyhow::Result<()> {
    if p.open
        .as_ref()
        .is_some_and(|(id, r)| id == q && *r == round)
    {
        return Ok(());
    }
    question_on(&mut p.client, q, round).await?;
    p.open = Some((q.to_owned(), round));
    Ok(())
}

/// Every pupil waits for question `q` (round `round`), then gives, in order, the choices `plan`
/// lists for it (each with a higher client_seq, each acknowledged). Returns the final votes.
pub async fn answer_all(
    pupils: &mut [Pupil],
    q: &str,
    round: u8,
    plan: impl Fn(usize) -> Vec<Choice>,
) -> anyhow::Result<Votes> {
    let plan = &plan;
    let finals = try_join_all(pupils.iter_mut().enumerate().map(|(i, p)| async move {
        question(p, q, round)
            .await
            .with_context(|| format!("pupil {i} waiting for {q} round {round}"))?;
        let mut last = None;
        for choice in plan(i) {
            p.seq += 1;
            answer(&mut p.client, q, round, p.seq, choice.clone())
                .await
                .with_context(|| format!("pupil {i} answering {q}"))?;
            last = Some(choice);
        }
        anyhow::Ok(last.map(|c| (i, c)))
    }))
    .await?;
    let mut votes = Votes::default();
    for (i, c) in finals.into_iter().flatten() {
        votes.set(i, c);
    }
    Ok(votes)
}

/// Every pupil waits for the reveal of `q`; all must be the same bytes. Returns the message.
pub async fn reveal_all(pupils: &mut [Pupil], q: &str) -> anyhow::Result<ServerMsg> {
    let texts = try_join_all(pupils.iter_mut().map(|p| async move {
        let seen = p
            .client
            .recv_until_text(
                T,
                |m| matches!(m, ServerMsg::Reveal { question, .. } if question == q),
            )
            .await
            .with_context(|| format!("waiting for the reveal of {q}"))?;
        seen.last().cloned().ok_or_else(|| anyhow!("no reveal"))
    }))
    .await?;
    let first = texts.first().ok_or_else(|| anyhow!("no pupils"))?;
    for t in &texts {
        ensure!(
            t.text == first.text,
            "reveal bytes differ:\n{}\n{}",
            t.text,
            first.text
        );
    }
    Ok(first.env.msg.clone())
}

/// A session with a host, a screen and `n` pupils, with its first question (`q-single`) open.
pub async fn started(
    server: &TestServer,
    n: usize,
) -> anyhow::Result<(Created, Watcher, Watcher, Vec<Pupil>)> {
    let (s, mut host, screen) =
        host_and_screen(server, serde_json::json!({"quiz": "test-kinds"})).await?;
    let pupils = join_many(server, &s.code, n).await?;
    host.joined(n as u32).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    host.until(|m| {
        matches!(
            m,
            ServerMsg::Phase {
                stage: Stage::Open,
                ..
            }
        )
    })
    .await?;
    Ok((s, host, screen, pupils))
}

/// Reads a snapshot until every message type in `kinds` has arrived; the first must be `phase`.
pub async fn snapshot(c: &mut Client, kinds: &[&str]) -> anyhow::Result<Vec<ServerMsg>> {
    let mut seen: Vec<ServerMsg> = Vec::new();
    while !kinds.iter().all(|k| seen.iter().any(|m| msg_type(m) == *k)) {
        seen.push(c.recv_timeout(T).await?.msg);
    }
    anyhow::ensure!(
        matches!(seen.first(), Some(ServerMsg::Phase { .. })),
        "snapshot starts with {:?}",
        seen.first()
    );
    Ok(seen)
}

/// What a `results` message says.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// First vote.
    pub results: Distribution,
    /// Second vote.
    pub second_vote: Option<Distribution>,
    /// Correct options once revealed.
    pub correct: Option<Vec<u8>>,
}

/// A host or screen socket that keeps everything it receives, for privacy checks at the end.
pub struct Watcher {
    /// The socket.
    pub client: Client,
    /// Every message received, in order.
    pub log: Vec<Received>,
}

impl Watcher {
    /// Wraps a socket that already said hello.
    pub fn new(client: Client) -> Watcher {
        Watcher {
            client,
            log: Vec::new(),
        }
    }

    /// Waits for a message matching `pred`, logging it and everything before it.
    pub async fn until(
        &mut self,
        pred: impl FnMut(&ServerMsg) -> bool,
    ) -> anyhow::Result<ServerMsg> {
        let seen = self.client.recv_until_text(T, pred).await?;
        let last = seen
            .last()
            .map(|r| r.env.msg.clone())
            .ok_or_else(|| anyhow!("nothing"))?;
        self.log.extend(seen);
        Ok(last)
    }

    /// Sends a (host) command.
    pub async fn send(&mut self, msg: ClientMsg) -> anyhow::Result<()> {
        Ok(self.client.send(&msg).await?)
    }

    /// Waits for the phase to reach `stage`.
    pub async fn stage(&mut self, stage: Stage) -> anyhow::Result<ServerMsg> {
        self.until(|m| matches!(m, ServerMsg::Phase { stage: s, .. } if *s == stage))
            .await
    }

    /// Waits until `answers.count` for `q`/`round` reaches `n`; fails if it goes past `n`.
    pub async fn count(&mut self, q: &str, round: u8, n: u32) -> anyhow::Result<u32> {
        let m = self
            .until(|m| matches!(m, ServerMsg::Answers { question, round: r, count, .. } if question == q && *r == round && *count >= n))
            .await?;
        match m {
            ServerMsg::Answers { count, pupils, .. } if count == n => Ok(pupils),
            other => bail!("answers went past {n}: {other:?}"),
        }
    }

    /// Waits until presence says `joined` pupils; returns `connected`.
    pub async fn joined(&mut self, n: u32) -> anyhow::Result<u32> {
        match self
            .until(|m| matches!(m, ServerMsg::Presence { joined, .. } if *joined == n))
            .await?
        {
            ServerMsg::Presence { connected, .. } => Ok(connected),
            other => bail!("unexpected {other:?}"),
        }
    }

    /// Waits for the `results` of `q`.
    pub async fn results(&mut self, q: &str) -> anyhow::Result<Shown> {
        match self
            .until(|m| matches!(m, ServerMsg::Results { question, .. } if question == q))
            .await?
        {
            ServerMsg::Results {
                results,
                second_vote,
                correct,
                ..
            } => Ok(Shown {
                results,
                second_vote,
                correct,
            }),
            other => bail!("unexpected {other:?}"),
        }
    }
}

/// Checks a host or screen log: `seq` never decreases; while a question is open no message
/// carries per-option counts (no `results`, `reveal`, `summary`, no `"counts"` key at all); a
/// screen never gets host-only messages.
pub fn check_log(log: &[Received], screen: bool) -> anyhow::Result<()> {
    let mut open = false;
    let mut seq = 0;
    for r in log {
        ensure!(
            r.env.seq >= seq,
            "seq went down to {} after {seq}: {}",
            r.env.seq,
            r.text
        );
        seq = r.env.seq;
        if let ServerMsg::Phase { stage, .. } = &r.env.msg {
            open = *stage == Stage::Open;
        }
        let kind = msg_type(&r.env.msg);
        if open {
            ensure!(
                !matches!(kind.as_str(), "results" | "reveal" | "summary"),
                "{kind} while open: {}",
                r.text
            );
            ensure!(
                !r.text.contains("\"counts\""),
                "counts while open: {}",
                r.text
            );
        }
        if screen {
            ensure!(
                !matches!(
                    kind.as_str(),
                    "facilitator" | "help_requests" | "players" | "result"
                ),
                "screen got {kind}: {}",
                r.text
            );
        }
    }
    Ok(())
}
