//! A pupil's phone that remembers what it sent and what the server acknowledged, resumes with its
//! token (with [`Backoff`] when the server is away), and checks every `ack` against what it sent.
//!
//! "Acknowledged" is the only promise the server makes: the tests compare final tallies and
//! scores with the highest acknowledged `client_seq` of each pupil and question, never with what
//! was merely sent.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{anyhow, bail, ensure};
use loupe::protocol::{
    Answer, Choice, ClientMsg, Envelope, ErrorCode, PrivateResult, ServerMsg, Stage,
};
use loupe::quiz::model::{Question, Quiz};
use loupe_tools::client::{Client, ClientError};
use loupe_tools::reconnect::Backoff;
use rand::Rng;
use tokio::sync::watch;
use tokio::time::{timeout_at, Instant};

use crate::common::model::{self, Votes};

/// Where the server is now (`None` while it is down); phones read it on every attempt.
pub type Where = watch::Receiver<Option<String>>;

/// A question and round.
pub type Key = (String, u8);

/// One pupil's phone.
pub struct Phone {
    /// Position among the test's pupils.
    pub idx: usize,
    /// Resume token from the first welcome.
    pub token: String,
    client: Option<Client>,
    /// Last client_seq used.
    pub seq: u64,
    sent: HashMap<(String, u8, u64), Choice>,
    last_sent: HashMap<Key, u64>,
    /// Highest acknowledged answer per question and round.
    pub acked: HashMap<Key, (u64, Choice)>,
    /// Option count of each question received.
    pub options: HashMap<String, usize>,
    /// Last question received (id, round).
    pub open: Option<Key>,
    /// Last phase: stage, paused, question.
    pub phase: Option<(Stage, bool, Option<String>)>,
    /// The private result, once received.
    pub result: Option<PrivateResult>,
    /// Error codes received.
    pub errors: Vec<ErrorCode>,
    /// Acks received (re-acknowledgements included).
    pub acks: usize,
    /// Times this phone resumed.
    pub resumes: u32,
}

impl Phone {
    /// Joins session `code` as a new pupil.
    pub async fn join(url: &str, code: &str, idx: usize) -> anyhow::Result<Phone> {
        let mut client = Client::connect(url).await?;
        let welcome = client.hello_player(code, None).await?;
        let token = welcome
            .token
            .ok_or_else(|| anyhow!("pupil {idx}: first welcome without a token"))?;
        Ok(Phone {
            idx,
            token,
            client: Some(client),
            seq: 0,
            sent: HashMap::new(),
            last_sent: HashMap::new(),
            acked: HashMap::new(),
            options: HashMap::new(),
            open: None,
            phase: None,
            result: None,
            errors: Vec::new(),
            acks: 0,
            resumes: 0,
        })
    }

    /// Whether the phone has a socket.
    pub fn connected(&self) -> bool {
        self.client.is_some()
    }

    /// Drops the socket without a close frame, as a phone losing Wi-Fi does.
    pub fn drop_socket(&mut self) {
        self.client = None;
    }

    /// Takes the socket away (to keep it open while a new one takes over).
    pub fn take_socket(&mut self) -> Option<Client> {
        self.client.take()
    }

    /// One attempt to resume at `url`: a new socket, `hello` with the token.
    pub async fn resume_at(&mut self, url: &str, code: &str) -> Result<(), ClientError> {
        let mut client = Client::connect(url).await?;
        let welcome = client.hello_player(code, Some(&self.token)).await?;
        if welcome.token.is_some() {
            return Err(ClientError::Unexpected(
                "a resume welcome with a token".into(),
            ));
        }
        // What the phone shows now comes from the snapshot, not from before.
        self.phase = None;
        self.open = None;
        self.client = Some(client);
        self.resumes += 1;
        Ok(())
    }

    /// Resumes as a phone does after losing the server: wait as `backoff` says, try, repeat, for
    /// up to `within`. A refused `hello` (bad token, unknown session) is a failure at once: the
    /// server is up and has forgotten this pupil.
    pub async fn reconnect(
        &mut self,
        server: &Where,
        code: &str,
        rng: &mut impl Rng,
        within: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        let mut backoff = Backoff::new();
        loop {
            ensure!(
                Instant::now() < deadline,
                "pupil {}: could not resume within {within:?}",
                self.idx
            );
            tokio::time::sleep(backoff.next_delay_with(rng)).await;
            let Some(url) = server.borrow().clone() else {
                continue;
            };
            match self.resume_at(&url, code).await {
                Ok(()) => return Ok(()),
                Err(e @ ClientError::Refused { .. }) => bail!("pupil {}: {e}", self.idx),
                Err(_) => continue,
            }
        }
    }

    /// Sends an answer with a new client_seq; returns it.
    pub async fn answer(&mut self, q: &str, round: u8, choice: Choice) -> u64 {
        self.seq += 1;
        self.send_answer(q, round, self.seq, choice).await;
        self.seq
    }

    /// Sends (or re-sends) the answer `seq`. A socket that fails is dropped; the answer stays
    /// pending until acknowledged.
    pub async fn send_answer(&mut self, q: &str, round: u8, seq: u64, choice: Choice) {
        self.sent.insert((q.to_owned(), round, seq), choice.clone());
        let last = self.last_sent.entry((q.to_owned(), round)).or_default();
        *last = (*last).max(seq);
        let msg = ClientMsg::Answer(Answer {
            question: q.to_owned(),
            round,
            client_seq: seq,
            choice,
        });
        if let Some(c) = self.client.as_mut() {
            if c.send(&msg).await.is_err() {
                self.client = None;
            }
        }
    }

    /// The answer `seq` of `q` as it was sent.
    pub fn sent(&self, q: &str, round: u8, seq: u64) -> Option<&Choice> {
        self.sent.get(&(q.to_owned(), round, seq))
    }

    /// Whether any answer to `q` was sent.
    pub fn has_sent(&self, q: &str, round: u8) -> bool {
        self.last_sent.contains_key(&(q.to_owned(), round))
    }

    /// The newest answer sent for `q` and not yet acknowledged, if any.
    pub fn pending(&self, q: &str, round: u8) -> Option<(u64, Choice)> {
        let key = (q.to_owned(), round);
        let last = *self.last_sent.get(&key)?;
        let acked = self.acked.get(&key).map_or(0, |(s, _)| *s);
        (last > acked).then(|| (last, self.sent[&(key.0, round, last)].clone()))
    }

    /// Re-sends the pending answer of `q` with the same client_seq, if any; returns its seq.
    pub async fn resend_pending(&mut self, q: &str, round: u8) -> Option<u64> {
        let (seq, choice) = self.pending(q, round)?;
        self.send_answer(q, round, seq, choice).await;
        Some(seq)
    }

    /// Forgets the acknowledgements of `q` (to check a snapshot brings them back); returns the
    /// highest one.
    pub fn forget_acks(&mut self, q: &str, round: u8) -> u64 {
        self.acked
            .remove(&(q.to_owned(), round))
            .map_or(0, |(s, _)| s)
    }

    /// The highest acknowledged client_seq of `q`, 0 if none.
    pub fn acked_seq(&self, q: &str, round: u8) -> u64 {
        self.acked
            .get(&(q.to_owned(), round))
            .map_or(0, |(s, _)| *s)
    }

    /// Takes in one server message.
    fn handle(&mut self, env: &Envelope) -> anyhow::Result<()> {
        match &env.msg {
            ServerMsg::Ack {
                question,
                round,
                client_seq,
                choice,
            } => {
                let sent = self.sent.get(&(question.clone(), *round, *client_seq));
                ensure!(
                    sent == Some(choice),
                    "pupil {}: ack {question} r{round} seq {client_seq} {choice:?}, but sent {sent:?}",
                    self.idx
                );
                self.acks += 1;
                let entry = self
                    .acked
                    .entry((question.clone(), *round))
                    .or_insert((0, choice.clone()));
                if *client_seq >= entry.0 {
                    *entry = (*client_seq, choice.clone());
                }
            }
            ServerMsg::Question {
                question,
                round,
                options,
                ..
            } => {
                self.options.insert(question.clone(), options.len());
                self.open = Some((question.clone(), *round));
            }
            ServerMsg::Phase {
                stage,
                paused,
                question,
                ..
            } => self.phase = Some((*stage, *paused, question.clone())),
            ServerMsg::Result(r) => self.result = Some(r.clone()),
            ServerMsg::Error { code, .. } => self.errors.push(*code),
            _ => {}
        }
        Ok(())
    }

    /// Reads messages until `done(self)` holds, for up to `wait`. A close fails (the socket is
    /// dropped first), as does the timeout.
    pub async fn until(
        &mut self,
        wait: Duration,
        what: &str,
        done: impl Fn(&Phone) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + wait;
        let Some(mut c) = self.client.take() else {
            if done(self) {
                return Ok(());
            }
            bail!("pupil {}: no socket while waiting for {what}", self.idx);
        };
        while !done(self) {
            match timeout_at(deadline, c.recv_text()).await {
                Ok(Ok(r)) => self.handle(&r.env)?,
                Ok(Err(e)) => bail!("pupil {}: {e} while waiting for {what}", self.idx),
                Err(_) => bail!(
                    "pupil {}: no {what} after {wait:?} (phase {:?}, open {:?}, acked {:?}, errors {:?})",
                    self.idx,
                    self.phase,
                    self.open,
                    self.acked,
                    self.errors
                ),
            }
        }
        self.client = Some(c);
        Ok(())
    }

    /// Waits for the acknowledgement of `seq` (or a higher one) for `q`.
    pub async fn acked_up_to(
        &mut self,
        q: &str,
        round: u8,
        seq: u64,
        wait: Duration,
    ) -> anyhow::Result<()> {
        let what = format!("the ack of {q} r{round} seq {seq}");
        self.until(wait, &what, |p| p.acked_seq(q, round) >= seq)
            .await
    }

    /// Reads whatever arrives until the socket closes; returns the close code. Acks read on the
    /// way count (they were sent before the end).
    pub async fn drain_to_close(&mut self, wait: Duration) -> anyhow::Result<Option<u16>> {
        let deadline = Instant::now() + wait;
        let Some(mut c) = self.client.take() else {
            bail!("pupil {}: no socket to drain", self.idx);
        };
        loop {
            match timeout_at(deadline, c.recv_text()).await {
                Ok(Ok(r)) => self.handle(&r.env)?,
                Ok(Err(ClientError::Closed { code, .. })) => return Ok(code),
                Ok(Err(e)) => bail!("pupil {}: {e} while draining", self.idx),
                Err(_) => bail!("pupil {}: socket still open after {wait:?}", self.idx),
            }
        }
    }
}

/// Joins `n` pupils at once.
pub async fn join_many(url: &str, code: &str, n: usize) -> anyhow::Result<Vec<Phone>> {
    futures_util::future::try_join_all((0..n).map(|i| Phone::join(url, code, i))).await
}

/// The final acknowledged round-1 votes of `q`.
pub fn votes(phones: &[Phone], q: &str) -> Votes {
    let mut votes = Votes::default();
    for p in phones {
        if let Some((_, choice)) = p.acked.get(&(q.to_owned(), 1)) {
            votes.set(p.idx, choice.clone());
        }
    }
    votes
}

/// The score a phone must get from its acknowledged round-1 answers to `scored` questions.
pub fn expected_score(quiz: &Quiz, phone: &Phone, scored: &[&str]) -> anyhow::Result<Option<u8>> {
    let questions: Vec<&Question> = scored
        .iter()
        .map(|q| model::question(quiz, q))
        .collect::<anyhow::Result<_>>()?;
    let answers: Vec<(&Question, Option<&Choice>)> = questions
        .iter()
        .map(|q| (*q, phone.acked.get(&(q.id.clone(), 1)).map(|(_, c)| c)))
        .collect();
    Ok(model::expected(quiz, &answers).score)
}
