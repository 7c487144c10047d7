//! One simulated host: start, open each question (at its offset in the round), wait until the
//! live count includes every pupil, reveal, and at the end finish and end the session.
//!
//! Rounds are kept in step across sessions, and with the controller, by one shared barrier; the
//! host keeps reading its socket while it waits, so its queue never fills.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::Barrier;
use tokio::time::{sleep, timeout_at, Instant};

use super::conn::{error_kind, ClientKind, Conn, Frame};
use super::shared::SharedRef;
use super::wire::{self, AnswersLite, ErrorLite, PhaseLite, ResultsLite};
use loupe::protocol::{ClientMsg, Role, Stage, PROTOCOL_VERSION};

/// One question as the host saw it.
#[derive(Debug, Clone, Default)]
pub struct HostQuestion {
    /// `next` written to the socket.
    pub opened: Option<Instant>,
    /// Every live count received, in order.
    pub counts: Vec<(Instant, u32)>,
    /// `answered` in the results at the close (Loupe only).
    pub results_answered: Option<u32>,
}

/// What one host measured.
#[derive(Debug, Default)]
pub struct HostOutcome {
    /// Session index.
    pub session: usize,
    /// Pupils of the session who joined (answers expected per question).
    pub expected: u32,
    /// One entry per question opened.
    pub questions: Vec<HostQuestion>,
    /// Text frames received.
    pub received: u64,
}

/// How the host runs its session.
#[derive(Debug, Clone)]
pub struct HostPlan {
    /// Session index.
    pub session: usize,
    /// Questions to open.
    pub questions: usize,
    /// Delay after each round's start before opening (spreads the sessions' opens).
    pub offset: Duration,
    /// Question after whose count the reconnect storm happens.
    pub storm_after: Option<usize>,
    /// Wait for `results` at the close (the baseline sends none).
    pub expect_results: bool,
}

struct Host {
    shared: SharedRef,
    conn: Conn,
    stage: Option<Stage>,
    current: Option<HostQuestion>,
    closed: bool,
}

/// Runs one host; the controller takes part in every `barrier` wait. Returns what it measured,
/// or the kind of error that stopped it (the run is then cancelled).
pub async fn run(
    shared: SharedRef,
    plan: HostPlan,
    barrier: &Barrier,
) -> Result<HostOutcome, String> {
    let slot = &shared.sessions[plan.session];
    let deadline = shared.deadline();
    let mut conn = match timeout_at(deadline, Conn::connect(&shared.ws_url, ClientKind::Lean)).await
    {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(error_kind("host connect", &e)),
        Err(_) => return Err("host connect: timeout".into()),
    };
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        role: Role::Host,
        code: slot.code.clone(),
        secret: Some(slot.host_secret.clone()),
        ticket: None,
    };
    conn.send(&hello)
        .await
        .map_err(|e| error_kind("host hello", &e))?;
    let mut host = Host {
        shared: shared.clone(),
        conn,
        stage: None,
        current: None,
        closed: false,
    };
    let mut out = HostOutcome {
        session: plan.session,
        ..HostOutcome::default()
    };
    host.until("the hosts to be ready", barrier.wait(), |_| false)
        .await?;
    host.until("the pupils to join", barrier.wait(), |_| false)
        .await?;
    let expected = slot.joined.load(Ordering::Acquire);
    out.expected = expected;
    host.send(ClientMsg::Start).await?;
    host.until("intro", never(), |h| h.stage == Some(Stage::Intro))
        .await?;
    for q in 0..plan.questions {
        host.until("the round to start", barrier.wait(), |_| false)
            .await?;
        host.until("the open offset", sleep(plan.offset), |_| false)
            .await?;
        host.current = Some(HostQuestion::default());
        host.send(ClientMsg::Next).await?;
        if let Some(c) = host.current.as_mut() {
            c.opened = Some(Instant::now());
        }
        let all = |h: &Host| h.count() >= expected;
        host.until("every answer counted", never(), all).await?;
        if plan.storm_after == Some(q) {
            host.until("the storm to start", barrier.wait(), |_| false)
                .await?;
            host.until("the storm to end", barrier.wait(), |_| false)
                .await?;
        }
        host.send(ClientMsg::Reveal).await?;
        let results = plan.expect_results;
        let revealed = |h: &Host| {
            h.stage == Some(Stage::Revealed)
                && (!results
                    || h.current
                        .as_ref()
                        .is_some_and(|c| c.results_answered.is_some()))
        };
        host.until("the reveal", never(), revealed).await?;
        let everyone = (q + 1) * expected as usize;
        host.until(
            "every pupil to see the reveal",
            slot.revealed.reach(everyone),
            |_| false,
        )
        .await?;
        out.questions.extend(host.current.take());
    }
    host.send(ClientMsg::Finish).await?;
    host.until("finished", never(), |h| h.stage == Some(Stage::Finished))
        .await?;
    host.until("the end of the run", barrier.wait(), |_| false)
        .await?;
    host.send(ClientMsg::End).await?;
    host.until("the session to end", never(), |h| h.closed)
        .await?;
    out.received = host.conn.received();
    Ok(out)
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

impl Host {
    fn count(&self) -> u32 {
        self.current
            .as_ref()
            .and_then(|c| c.counts.last())
            .map_or(0, |&(_, n)| n)
    }

    async fn send(&mut self, msg: ClientMsg) -> Result<(), String> {
        let name = msg.name();
        self.conn
            .send(&msg)
            .await
            .map_err(|e| error_kind(&format!("host {name}"), &e))
    }

    /// Reads frames until `cond` holds or `fut` resolves, within one phase timeout.
    async fn until<T>(
        &mut self,
        what: &str,
        fut: impl Future<Output = T>,
        cond: impl Fn(&Host) -> bool,
    ) -> Result<(), String> {
        let deadline = self.shared.deadline();
        tokio::pin!(fut);
        while !cond(self) {
            tokio::select! {
                biased;
                _ = self.shared.cancel.cancelled() => return Err(format!("host: cancelled waiting for {what}")),
                _ = &mut fut => return Ok(()),
                frame = timeout_at(deadline, self.conn.recv()) => match frame {
                    Err(_) => return Err(format!("host: timeout waiting for {what}")),
                    Ok(Ok(frame)) => self.on_frame(frame),
                    Ok(Err(e)) if self.closed_ok(&e) => {}
                    Ok(Err(e)) => return Err(error_kind("host", &e)),
                },
            }
        }
        Ok(())
    }

    fn closed_ok(&mut self, e: &crate::client::ClientError) -> bool {
        let ended = e.close_code() == Some(loupe::protocol::close::ENDED);
        self.closed |= ended;
        ended
    }

    fn on_frame(&mut self, frame: Frame) {
        let text = frame.text.as_str();
        match wire::kind(text) {
            "answers" => {
                if let (Some(c), Some(a)) =
                    (self.current.as_mut(), wire::fields::<AnswersLite>(text))
                {
                    c.counts.push((frame.at, a.count));
                }
            }
            "phase" => self.stage = wire::fields::<PhaseLite>(text).map(|p| p.stage),
            "results" => {
                if let (Some(c), Some(r)) =
                    (self.current.as_mut(), wire::fields::<ResultsLite>(text))
                {
                    c.results_answered = Some(r.results.answered);
                }
            }
            "error" => {
                let code = wire::fields::<ErrorLite>(text).map(|e| wire::error_name(e.code));
                self.shared.error(format!(
                    "host: server error {}",
                    code.as_deref().unwrap_or("?")
                ));
            }
            _ => {}
        }
    }
}
