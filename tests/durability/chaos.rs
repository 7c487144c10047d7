//! 200 pupils through a whole quiz on flaky Wi-Fi: sockets dropped mid-answer, newer sockets
//! taking over, answers sent twice, older answers re-sent after newer ones, phones offline when a
//! question opens. Tallies and every score equal exactly what each phone saw acknowledged.
//!
//! Every random decision comes from a seeded generator (`LOUPE_CHAOS_SEED` replays another
//! seed); the timing of the network is the only thing left to chance, and the checks hold for
//! any timing.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use loupe::protocol::{close, Answer, Choice, ClientMsg, ServerMsg, Stage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::common::flow::Watcher;
use crate::common::model;
use crate::common::T;
use crate::lesson::{host_at, MIN};
use crate::phone::{self, Phone, Where};
use crate::proc::{Loupe, Scratch};
use crate::{serial, web};

const PUPILS: usize = 200;
/// Every question of `test-kinds`, in order; the host skips `q-skip`.
const QUESTIONS: [&str; 8] = [
    "q-single",
    "q-multi",
    "q-tf",
    "q-scale",
    "q-self",
    "q-skip",
    "q-sensitive",
    "q-self-multi",
];
const SKIPPED: &str = "q-skip";
const DEFAULT_SEED: u64 = 0x5EED_1007;
/// Longest a phone spends offline in a row, waiting for the next question, or for its result.
const LONG: Duration = Duration::from_secs(60);
/// Most reconnections one phone makes over the whole quiz (bounds the test's length).
const MAX_RECONNECTS: u32 = 6;

/// What the chaos did, for the report line.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    answers: u32,
    duplicates: u32,
    unawaited: u32,
    drops: u32,
    takeovers: u32,
    reordered: u32,
    late_from_old: u32,
    offline: u32,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.answers += o.answers;
        self.duplicates += o.duplicates;
        self.unawaited += o.unawaited;
        self.drops += o.drops;
        self.takeovers += o.takeovers;
        self.reordered += o.reordered;
        self.late_from_old += o.late_from_old;
        self.offline += o.offline;
    }
}

/// One pupil's whole quiz.
struct Pupil {
    phone: Phone,
    rng: StdRng,
    server: Where,
    code: String,
    stats: Stats,
    reconnects: u32,
}

/// A phone's report that it is done with question `k`: its acknowledged final choice.
type Done = (usize, usize, Option<Choice>);

impl Pupil {
    fn may_reconnect(&self) -> bool {
        self.reconnects < MAX_RECONNECTS
    }

    async fn reconnect(&mut self) -> anyhow::Result<()> {
        self.reconnects += 1;
        self.phone
            .reconnect(
                &self.server,
                &self.code,
                &mut self.rng,
                Duration::from_secs(30),
            )
            .await
    }

    fn random_choice(&mut self, q: &str) -> anyhow::Result<Choice> {
        let n = *self
            .phone
            .options
            .get(q)
            .with_context(|| format!("pupil {}: options of {q} unknown", self.phone.idx))?;
        if self.rng.random_bool(0.1) {
            return Ok(Choice::Pass);
        }
        let n = u8::try_from(n)?;
        if matches!(q, "q-multi" | "q-self-multi") {
            let mut picked: Vec<u8> = (0..n).filter(|_| self.rng.random_bool(0.4)).collect();
            if picked.is_empty() {
                picked.push(self.rng.random_range(0..n));
            }
            return Ok(Choice::Options(picked));
        }
        Ok(Choice::Options(vec![self.rng.random_range(0..n)]))
    }

    /// Answers `q` a few times with every kind of trouble, then makes sure the last answer sent
    /// is acknowledged.
    async fn play(&mut self, q: &str) -> anyhow::Result<()> {
        if self.rng.random_bool(0.08) {
            return Ok(()); // This pupil does not answer this one.
        }
        let tries = self.rng.random_range(1..=3);
        for _ in 0..tries {
            let choice = self.random_choice(q)?;
            let seq = self.phone.answer(q, 1, choice.clone()).await;
            self.stats.answers += 1;
            match self.rng.random_range(0..100) {
                0..10 => {
                    self.phone.send_answer(q, 1, seq, choice).await;
                    self.stats.duplicates += 1;
                    self.settle(q).await?;
                }
                10..20 => self.stats.unawaited += 1,
                20..28 if self.may_reconnect() => {
                    // Wi-Fi lost right after the tap: the answer may or may not have arrived.
                    self.phone.drop_socket();
                    self.stats.drops += 1;
                    self.settle(q).await?;
                }
                28..33 if self.may_reconnect() => self.take_over(q).await?,
                _ => self.settle(q).await?,
            }
        }
        // An older answer arriving after a newer one (a late frame, a retry queue out of order)
        // must be ignored.
        if self.rng.random_bool(0.15) && self.phone.acked_seq(q, 1) == self.phone.seq {
            if let Some((seq, choice)) = self.older(q) {
                self.phone.send_answer(q, 1, seq, choice).await;
                self.stats.reordered += 1;
            }
        }
        self.settle(q).await
    }

    /// The answer to `q` sent before the newest one, if any.
    fn older(&self, q: &str) -> Option<(u64, Choice)> {
        let newest = self.phone.seq;
        (1..newest)
            .rev()
            .find_map(|s| self.phone.sent(q, 1, s).cloned().map(|c| (s, c)))
    }

    /// A second socket resumes while the first is still open: the first is closed with 4001.
    async fn take_over(&mut self, q: &str) -> anyhow::Result<()> {
        let old = self.phone.take_socket();
        self.reconnect().await?;
        self.stats.takeovers += 1;
        if let Some(mut old) = old {
            // A late, older answer from the replaced socket must change nothing.
            if let Some((seq, choice)) = self.older(q) {
                let late = ClientMsg::Answer(Answer {
                    question: q.to_owned(),
                    round: 1,
                    client_seq: seq,
                    choice,
                });
                if old.send(&late).await.is_ok() {
                    self.stats.late_from_old += 1;
                }
            }
            let (code, _) = old.recv_close(T).await?;
            ensure!(
                code == Some(close::REPLACED),
                "pupil {}: old socket closed with {code:?}",
                self.phone.idx
            );
        }
        self.phone.resend_pending(q, 1).await;
        self.settle(q).await
    }

    /// Until the newest answer sent for `q` is acknowledged: resume if the socket is gone, send
    /// the pending answer again with the same client_seq, wait for its ack.
    async fn settle(&mut self, q: &str) -> anyhow::Result<()> {
        while let Some((seq, _)) = self.phone.pending(q, 1) {
            if !self.phone.connected() {
                self.reconnect().await?;
                self.phone
                    .until(T, "the open question", |p| {
                        p.open.as_ref().is_some_and(|(id, _)| id == q)
                    })
                    .await?;
                self.phone.resend_pending(q, 1).await;
            }
            self.phone.acked_up_to(q, 1, seq, T).await?;
        }
        Ok(())
    }

    /// The whole quiz; reports each question done on `done`; ends with the private result.
    async fn run(mut self, done: mpsc::Sender<Done>) -> anyhow::Result<(Phone, Stats)> {
        for (k, q) in QUESTIONS.iter().copied().enumerate() {
            if !self.phone.connected() {
                self.reconnect().await?;
            }
            self.phone
                .until(LONG, &format!("question {q}"), |p| {
                    p.open.as_ref().is_some_and(|(id, r)| id == q && *r == 1)
                })
                .await?;
            self.play(q).await?;
            let last = self
                .phone
                .acked
                .get(&(q.to_owned(), 1))
                .map(|(_, c)| c.clone());
            // Offline for a while when the next question opens.
            if self.may_reconnect() && self.rng.random_bool(0.1) {
                self.phone.drop_socket();
                self.stats.offline += 1;
            }
            done.send((self.phone.idx, k, last)).await?;
        }
        if !self.phone.connected() {
            self.reconnect().await?;
        }
        self.phone
            .until(LONG, "the private result", |p| p.result.is_some())
            .await?;
        Ok((self.phone, self.stats))
    }
}

/// The host's side: opens each question once every phone is done with the previous one, checks
/// the count and the results at each close against the acknowledged choices.
struct Console {
    host: Watcher,
    url: String,
    created: loupe_tools::client::Created,
}

impl Console {
    /// Waits for `PUPILS` done reports of question `k`, reading the host socket meanwhile (its
    /// heartbeat) and failing early if a phone's task fails.
    async fn collect(
        &mut self,
        k: usize,
        dones: &mut mpsc::Receiver<Done>,
        tasks: &mut JoinSet<anyhow::Result<(Phone, Stats)>>,
    ) -> anyhow::Result<model::Votes> {
        let mut votes = model::Votes::default();
        let mut n = 0;
        let deadline = tokio::time::Instant::now() + LONG;
        while n < PUPILS {
            tokio::select! {
                d = dones.recv() => {
                    let Some((idx, dk, choice)) = d else { bail!("the phones hung up") };
                    ensure!(dk == k, "pupil {idx} done with question {dk} while {k} is open");
                    if let Some(c) = choice {
                        votes.set(idx, c);
                    }
                    n += 1;
                }
                Some(j) = tasks.join_next() => {
                    let (p, _) = j??;
                    bail!("pupil {} stopped before the end", p.idx);
                }
                r = self.host.client.recv_text() => self.host.log.push(r?),
                _ = tokio::time::sleep_until(deadline) => bail!("only {n} phones done with question {k} after {LONG:?}"),
            }
        }
        Ok(votes)
    }

    /// Waits until the host's answer count for `q` is `n` (it may have arrived during
    /// [`Console::collect`]).
    async fn counted(&mut self, q: &str, n: u32) -> anyhow::Result<()> {
        let seen = self.host.log.iter().rev().find_map(|r| match &r.env.msg {
            ServerMsg::Answers {
                question, count, ..
            } if question == q => Some(*count),
            _ => None,
        });
        ensure!(
            seen.is_none_or(|c| c <= n),
            "{q}: the host counted {seen:?}, {n} acknowledged"
        );
        if seen != Some(n) {
            self.host
                .count(q, 1, n)
                .await
                .with_context(|| format!("count of {q}"))?;
        }
        Ok(())
    }
}

/// See the module docs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_pupils_on_flaky_wifi_count_exactly_once() -> anyhow::Result<()> {
    let _serial = serial().await;
    let started = Instant::now();
    let seed = std::env::var("LOUPE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    eprintln!("chaos: seed {seed} (set LOUPE_CHAOS_SEED to replay another)");
    let quiz = model::fixture("test-kinds")?;
    let scratch = Scratch::new("chaos")?;
    let server = Loupe::start(&scratch, &[]).await?;
    let url = server.ws_url();
    let created = web::create_session(server.addr, json!({"quiz": "test-kinds"})).await?;
    let host = host_at(&url, &created).await?;
    let mut console = Console {
        host,
        url: url.clone(),
        created,
    };
    let code = console.created.code.clone();
    let phones = phone::join_many(&url, &code, PUPILS).await?;
    console.host.joined(PUPILS as u32).await?;

    let (_publish, server_at) = watch::channel(Some(url.clone()));
    let (done_tx, mut dones) = mpsc::channel(PUPILS * 2);
    let mut tasks = JoinSet::new();
    for phone in phones {
        let pupil = Pupil {
            rng: StdRng::seed_from_u64(
                seed ^ (phone.idx as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
            phone,
            server: server_at.clone(),
            code: code.clone(),
            stats: Stats::default(),
            reconnects: 0,
        };
        tasks.spawn(pupil.run(done_tx.clone()));
    }
    drop(done_tx);

    let h = &mut console;
    h.host.send(ClientMsg::Start).await?;
    let mut finals = Vec::new();
    for (k, q) in QUESTIONS.iter().copied().enumerate() {
        if k == 0 || QUESTIONS[k - 1] != SKIPPED {
            h.host.send(ClientMsg::Next).await?;
        }
        h.host
            .until(|m| matches!(m, ServerMsg::Phase { stage: Stage::Open, question: Some(id), .. } if id == q))
            .await?;
        let votes = h.collect(k, &mut dones, &mut tasks).await?;
        h.counted(q, votes.answered()).await?;
        if q == SKIPPED {
            h.host.send(ClientMsg::Skip).await?;
            continue;
        }
        h.host.send(ClientMsg::Close).await?;
        let shown = h.host.results(q).await?;
        let want = votes.distribution(model::question(&quiz, q)?, MIN);
        ensure!(
            shown.results == want,
            "{q}: shown {:?}, acknowledged {want:?}",
            shown.results
        );
        finals.push((q, votes));
        if k == 3 {
            // The teacher's laptop drops too: the console comes back with the results on it.
            h.host = host_at(&h.url, &h.created).await?;
            h.host.results(q).await?;
        }
    }
    h.host.send(ClientMsg::Finish).await?;

    let mut phones = Vec::new();
    let mut stats = Stats::default();
    let mut resumes = 0;
    while let Some(j) = tokio::time::timeout(LONG, tasks.join_next()).await? {
        let (p, s) = j??;
        stats += s;
        resumes += p.resumes;
        phones.push(p);
    }
    phones.sort_by_key(|p| p.idx);
    ensure!(phones.len() == PUPILS);
    let scored: Vec<&str> = QUESTIONS
        .iter()
        .copied()
        .filter(|q| *q != SKIPPED)
        .collect();
    let mut scores = Vec::new();
    for p in &phones {
        let want = phone::expected_score(&quiz, p, &scored)?;
        let got = p.result.as_ref().and_then(|r| r.score);
        ensure!(
            got == want,
            "pupil {}: score {got:?}, acknowledged answers give {want:?}",
            p.idx
        );
        scores.extend(got);
    }
    let ServerMsg::Summary(sum) = h.host.until(|m| matches!(m, ServerMsg::Summary(_))).await?
    else {
        bail!("no summary");
    };
    ensure!(
        sum.pupils == PUPILS as u32 && sum.histogram == model::histogram(&scores, MIN),
        "{sum:?}"
    );
    for (q, votes) in &finals {
        let want = votes.distribution(model::question(&quiz, q)?, MIN);
        let got = sum.questions.iter().find(|s| s.question == *q);
        ensure!(
            got.is_some_and(|s| s.results == want && !s.skipped),
            "summary of {q}: {got:?}"
        );
    }
    let skipped = sum.questions.iter().find(|s| s.question == SKIPPED);
    ensure!(skipped.is_some_and(|s| s.skipped), "{skipped:?}");
    h.host.send(ClientMsg::End).await?;
    h.host
        .until(|m| matches!(m, ServerMsg::Ended { .. }))
        .await?;
    server.stop().await?;
    eprintln!(
        "chaos: {PUPILS} pupils, {} questions, {stats:?}, {resumes} resumes in all; whole test {:?}",
        QUESTIONS.len(),
        started.elapsed()
    );
    Ok(())
}
