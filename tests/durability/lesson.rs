//! Steps shared by the restart scenarios: a class in session, everyone resuming after the server
//! came back, and the end of the lesson checked against what was acknowledged.

use std::time::Duration;

use anyhow::{bail, ensure, Context};
use futures_util::future::try_join_all;
use loupe::protocol::{Choice, ClientMsg, ServerMsg, Stage};
use loupe::quiz::model::Quiz;
use loupe_tools::client::{Client, Created};
use loupe_tools::reconnect::Backoff;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Instant;

use crate::common::flow::Watcher;
use crate::common::model;
use crate::common::T;
use crate::phone::{self, Phone, Where};

/// Smallest count a distribution is shown for (the session default).
pub const MIN: u32 = 3;

/// A class in session: its secrets, the console, the projector and the phones.
pub struct Class {
    /// What `POST /api/sessions` answered.
    pub s: Created,
    /// The teacher's console.
    pub host: Watcher,
    /// The projector.
    pub screen: Watcher,
    /// The pupils.
    pub phones: Vec<Phone>,
}

/// Greets the host on a new socket; its welcome carries the session's join ticket, the same
/// across restarts (the QR code on the wall stays valid).
pub async fn host_at(url: &str, s: &Created) -> anyhow::Result<Watcher> {
    let mut c = Client::connect(url).await?;
    let welcome = c.hello_host(&s.code, &s.host_secret).await?;
    anyhow::ensure!(
        welcome.ticket.as_deref() == Some(s.ticket.as_str()),
        "the host's welcome has join ticket {:?}, the session was created with {:?}",
        welcome.ticket,
        s.ticket
    );
    Ok(Watcher::new(c))
}

/// Greets the screen on a new socket.
pub async fn screen_at(url: &str, s: &Created) -> anyhow::Result<Watcher> {
    let mut c = Client::connect(url).await?;
    c.hello_screen(&s.code, &s.screen_token).await?;
    Ok(Watcher::new(c))
}

/// Reconnects a host (`host`) or screen with backoff until the server at `server` answers.
pub async fn watcher_back(server: &Where, s: &Created, host: bool) -> anyhow::Result<Watcher> {
    let mut backoff = Backoff::new();
    let mut rng = StdRng::seed_from_u64(u64::from(host));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        tokio::time::sleep(backoff.next_delay_with(&mut rng)).await;
        let Some(url) = server.borrow().clone() else {
            continue;
        };
        let back = if host {
            host_at(&url, s).await
        } else {
            screen_at(&url, s).await
        };
        if let Ok(w) = back {
            return Ok(w);
        }
    }
    bail!(
        "could not reconnect the {} in 30 s",
        if host { "host" } else { "screen" }
    )
}

impl Class {
    /// Creates a session of `body` at the server of `url`/`addr`, greets a host and a screen,
    /// joins `n` pupils, starts and opens the first question.
    pub async fn open(
        addr: std::net::SocketAddr,
        url: &str,
        body: serde_json::Value,
        n: usize,
    ) -> anyhow::Result<Class> {
        let s = crate::web::create_session(addr, body).await?;
        let mut host = host_at(url, &s).await?;
        let screen = screen_at(url, &s).await?;
        let phones = phone::join_many(url, &s.code, n).await?;
        host.joined(n as u32).await?;
        host.send(ClientMsg::Start).await?;
        host.send(ClientMsg::Next).await?;
        host.stage(Stage::Open).await?;
        Ok(Class {
            s,
            host,
            screen,
            phones,
        })
    }

    /// Every pupil for whom `plan` has a choice answers `q` and waits for the ack.
    pub async fn answer_all(
        &mut self,
        q: &str,
        plan: impl Fn(usize) -> Option<Choice>,
    ) -> anyhow::Result<()> {
        let plan = &plan;
        try_join_all(self.phones.iter_mut().map(|p| async move {
            p.until(T, &format!("question {q}"), |p| {
                p.open.as_ref().is_some_and(|(id, r)| id == q && *r == 1)
            })
            .await?;
            if let Some(choice) = plan(p.idx) {
                let seq = p.answer(q, 1, choice).await;
                p.acked_up_to(q, 1, seq, T).await?;
            }
            anyhow::Ok(())
        }))
        .await?;
        Ok(())
    }

    /// Waits until the host counts every acknowledged answer to `q` (and no more), closes, and
    /// checks host and screen show exactly the acknowledged distribution.
    pub async fn close(&mut self, quiz: &Quiz, q: &str) -> anyhow::Result<()> {
        let votes = phone::votes(&self.phones, q);
        self.host
            .count(q, 1, votes.answered())
            .await
            .with_context(|| format!("host count of {q}"))?;
        self.host.send(ClientMsg::Close).await?;
        let want = votes.distribution(model::question(quiz, q)?, MIN);
        for w in [&mut self.host, &mut self.screen] {
            let shown = w.results(q).await?;
            ensure!(
                shown.results == want,
                "{q}: shown {:?}, acknowledged {want:?}",
                shown.results
            );
        }
        Ok(())
    }

    /// After a restart with `q` open: host, screen and every pupil come back (through `server`,
    /// with backoff); the question is paused for all of them; each pupil's snapshot carries at
    /// least the answer acknowledged before (none lost); the host's count lies between what was
    /// acknowledged and what was sent. Then the host resumes. Returns the number of answers
    /// acknowledged before, counted after the restart, and sent.
    pub async fn come_back(&mut self, server: &Where, q: &str) -> anyhow::Result<[u32; 3]> {
        let acked: Vec<u64> = self
            .phones
            .iter_mut()
            .map(|p| p.forget_acks(q, 1))
            .collect();
        let sent = self.phones.iter().filter(|p| p.has_sent(q, 1)).count() as u32;
        let before = acked.iter().filter(|s| **s > 0).count() as u32;
        let code = self.s.code.clone();
        let paused_on = |m: &ServerMsg| matches!(m, ServerMsg::Phase { stage: Stage::Open, paused: true, question: Some(id), .. } if id == q);
        let (host, screen) = tokio::try_join!(
            watcher_back(server, &self.s, true),
            watcher_back(server, &self.s, false)
        )?;
        (self.host, self.screen) = (host, screen);
        for w in [&mut self.host, &mut self.screen] {
            w.until(paused_on)
                .await
                .context("paused phase after restart")?;
        }
        let count = match self
            .host
            .until(|m| matches!(m, ServerMsg::Answers { question, .. } if question == q))
            .await?
        {
            ServerMsg::Answers { count, .. } => count,
            other => bail!("{other:?}"),
        };
        ensure!(
            before <= count && count <= sent,
            "{q}: {count} answers after restart; {before} were acknowledged, {sent} sent"
        );
        let code = &code;
        try_join_all(
            self.phones
                .iter_mut()
                .zip(acked)
                .map(|(p, acked)| async move {
                    let mut rng = StdRng::seed_from_u64(p.idx as u64);
                    p.reconnect(server, code, &mut rng, Duration::from_secs(30))
                        .await?;
                    p.until(T, "the paused question", |p| {
                        matches!(&p.phase, Some((Stage::Open, true, Some(id))) if id == q)
                            && p.open.as_ref().is_some_and(|(id, _)| id == q)
                    })
                    .await?;
                    if acked > 0 {
                        // The snapshot must bring back the acknowledged answer (or a newer one).
                        p.acked_up_to(q, 1, acked, T)
                            .await
                            .context("acknowledged answer lost in the restart")?;
                    }
                    anyhow::Ok(())
                }),
        )
        .await?;
        // The console attached before the phones came back, after the session's last event:
        // it must still see them connected.
        let n = self.phones.len() as u32;
        self.host
            .until(|m| matches!(m, ServerMsg::Presence { connected, .. } if *connected == n))
            .await
            .context("presence after the restart")?;
        self.host.send(ClientMsg::Resume).await?;
        self.host
            .until(|m| matches!(m, ServerMsg::Phase { paused: false, .. }))
            .await?;
        try_join_all(self.phones.iter_mut().map(|p| {
            p.until(T, "the end of the pause", |p| {
                matches!(&p.phase, Some((_, false, _)))
            })
        }))
        .await?;
        Ok([before, count, sent])
    }

    /// Finishes, checks every pupil's private score and the class summary against the
    /// acknowledged answers to `scored` (the session's questions), then ends the session.
    pub async fn finish(&mut self, quiz: &Quiz, scored: &[&str]) -> anyhow::Result<()> {
        self.host.send(ClientMsg::Finish).await?;
        try_join_all(
            self.phones
                .iter_mut()
                .map(|p| p.until(T, "the private result", |p| p.result.is_some())),
        )
        .await?;
        let mut scores = Vec::new();
        for p in &self.phones {
            let want = phone::expected_score(quiz, p, scored)?;
            let got = p.result.as_ref().and_then(|r| r.score);
            ensure!(
                got == want,
                "pupil {}: score {got:?}, acknowledged answers give {want:?}",
                p.idx
            );
            scores.extend(got);
        }
        let ServerMsg::Summary(sum) = self
            .host
            .until(|m| matches!(m, ServerMsg::Summary(_)))
            .await?
        else {
            bail!("no summary");
        };
        ensure!(
            sum.pupils as usize == self.phones.len(),
            "summary pupils {}",
            sum.pupils
        );
        ensure!(
            sum.histogram == model::histogram(&scores, MIN),
            "histogram {:?}",
            sum.histogram
        );
        for q in scored {
            let votes = phone::votes(&self.phones, q);
            let want = votes.distribution(model::question(quiz, q)?, MIN);
            let got = sum.questions.iter().find(|s| s.question == *q);
            ensure!(
                got.is_some_and(|s| s.results == want),
                "summary of {q}: {got:?}, want {want:?}"
            );
        }
        self.host.send(ClientMsg::End).await?;
        self.host
            .until(|m| matches!(m, ServerMsg::Ended { .. }))
            .await?;
        let closes = try_join_all(self.phones.iter_mut().map(|p| p.drain_to_close(T))).await?;
        ensure!(
            closes
                .iter()
                .all(|c| *c == Some(loupe::protocol::close::ENDED)),
            "close codes at the end: {closes:?}"
        );
        Ok(())
    }
}

/// One choice for `q` of test-kinds, by pupil index.
pub fn choice(q: &str, i: usize) -> Choice {
    use crate::common::model::opts;
    match q {
        "q-multi" => match i % 4 {
            0 => opts(&[0, 2]),
            1 => opts(&[0]),
            2 => opts(&[1, 3]),
            _ => Choice::Pass,
        },
        "q-tf" => opts(&[(i % 2) as u8]),
        _ => opts(&[(i % 4) as u8]),
    }
}
