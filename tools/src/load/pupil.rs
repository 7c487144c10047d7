//! One simulated pupil: join, answer every question the moment it arrives, resume when the
//! storm signal says so, and read until the session ends.

use std::sync::atomic::Ordering;

use tokio::time::{timeout, timeout_at, Instant};

use super::conn::{error_kind, Conn, Frame};
use super::shared::SharedRef;
use super::wire::{self, AckLite, ErrorLite, PhaseLite, QuestionLite, WelcomeLite};
use loupe::protocol::{close, Answer, Choice, ClientMsg, Role, Stage, PROTOCOL_VERSION};

/// When one question reached this pupil and when its answer left.
#[derive(Debug, Clone, Copy)]
pub struct Answered {
    /// The `question` frame arrived.
    pub received: Instant,
    /// The answer was written to the socket.
    pub sent: Instant,
}

/// A pupil's resume during the reconnect storm.
#[derive(Debug, Clone, Copy)]
pub struct Resumed {
    /// The new socket's connect began (after its turn among the connections in flight).
    pub start: Instant,
    /// The new socket's snapshot is complete (its `ack`, or `welcome` without one).
    pub done: Instant,
    /// The acknowledgement after the resume equals the one before.
    pub same_ack: bool,
}

/// What one pupil measured.
#[derive(Debug, Default)]
pub struct PupilOutcome {
    /// Session index.
    pub session: usize,
    /// Connect started, welcome received.
    pub join: Option<(Instant, Instant)>,
    /// Questions in the order received.
    pub answered: Vec<Answered>,
    /// Text frames received on every socket of this pupil.
    pub received: u64,
    /// The resume, if a storm happened.
    pub resume: Option<Resumed>,
    /// Something went wrong (counted in the errors).
    pub failed: bool,
}

/// Reading state between frames.
#[derive(Default)]
struct State {
    last_question: Option<(String, u8)>,
    last_ack: Option<AckLite>,
    ended: bool,
    /// Storm start and the acknowledgement held before it, while resuming.
    resuming: Option<(Instant, Option<AckLite>)>,
}

/// Runs one pupil of session `session` to the end of the run.
pub async fn run(shared: SharedRef, index: usize, session: usize) -> PupilOutcome {
    let mut out = PupilOutcome {
        session,
        ..PupilOutcome::default()
    };
    let mut storm = shared.storm.subscribe();
    let (mut conn, token) = match hello(&shared, session, None).await {
        Ok((conn, token, start, welcome)) => {
            out.join = Some((start, welcome));
            shared.sessions[session]
                .joined
                .fetch_add(1, Ordering::AcqRel);
            shared.join_done.bump();
            (conn, token)
        }
        Err(kind) => {
            shared.error(kind);
            shared.join_done.bump();
            out.failed = true;
            return out;
        }
    };
    let mut state = State::default();
    let choice = Choice::Options(vec![(index % 2) as u8]);
    loop {
        tokio::select! {
            biased;
            _ = shared.cancel.cancelled() => { out.failed = true; break; }
            Ok(()) = storm.changed() => {
                out.received += conn.received();
                conn.close().await;
                let start = match hello(&shared, session, token.as_deref()).await {
                    Ok((c, _, start, _)) => {
                        conn = c;
                        start
                    }
                    Err(kind) => {
                        shared.error(kind);
                        shared.resume_done.bump();
                        out.failed = true;
                        return out;
                    }
                };
                let before = state.last_ack.clone();
                if shared.snapshot_acks && before.is_some() {
                    state.resuming = Some((start, before));
                } else {
                    out.resume = Some(Resumed { start, done: Instant::now(), same_ack: true });
                    shared.resume_done.bump();
                }
            }
            frame = conn.recv() => match frame {
                Ok(frame) => {
                    if let Err(kind) = on_frame(&shared, session, &mut conn, &mut state, &mut out, &choice, frame).await {
                        shared.error(kind);
                        out.failed = true;
                        break;
                    }
                }
                Err(e) => {
                    if !(state.ended && e.close_code() == Some(close::ENDED)) {
                        shared.error(error_kind("pupil", &e));
                        out.failed = true;
                    }
                    break;
                }
            },
        }
    }
    if state.resuming.is_some() {
        shared.resume_done.bump();
    }
    out.received += conn.received();
    out
}

/// Acts on one frame: answer a new question, keep acknowledgements, count reveals.
async fn on_frame(
    shared: &SharedRef,
    session: usize,
    conn: &mut Conn,
    state: &mut State,
    out: &mut PupilOutcome,
    choice: &Choice,
    frame: Frame,
) -> Result<(), String> {
    let text = frame.text.as_str();
    match wire::kind(text) {
        "question" => {
            let q: QuestionLite = wire::fields(text).ok_or("pupil: bad question frame")?;
            let key = (q.question, q.round);
            if state.last_question.as_ref() == Some(&key) {
                return Ok(()); // the same question again, in a resume snapshot
            }
            let answer = ClientMsg::Answer(Answer {
                question: key.0.clone(),
                round: key.1,
                client_seq: out.answered.len() as u64 + 1,
                choice: choice.clone(),
            });
            conn.send(&answer)
                .await
                .map_err(|e| error_kind("answer", &e))?;
            out.answered.push(Answered {
                received: frame.at,
                sent: Instant::now(),
            });
            state.last_question = Some(key);
        }
        "ack" => {
            let ack: AckLite = wire::fields(text).ok_or("pupil: bad ack frame")?;
            if let Some((start, before)) = state.resuming.take() {
                let same_ack = before.as_ref() == Some(&ack);
                if !same_ack {
                    shared.error("resume: acknowledgement changed");
                }
                out.resume = Some(Resumed {
                    start,
                    done: frame.at,
                    same_ack,
                });
                shared.resume_done.bump();
            }
            state.last_ack = Some(ack);
        }
        "phase" => {
            let phase: PhaseLite = wire::fields(text).ok_or("pupil: bad phase frame")?;
            if phase.stage == Stage::Revealed {
                shared.sessions[session].revealed.bump();
            }
        }
        "ended" => state.ended = true,
        "error" => {
            let code = wire::fields::<ErrorLite>(text).map(|e| wire::error_name(e.code));
            shared.error(format!(
                "pupil: server error {}",
                code.as_deref().unwrap_or("?")
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Opens a socket (one of `gate` at a time) and says `hello` as a player, joining or resuming
/// with `token`. Returns the socket, the token granted, and when connect began and welcome came.
pub async fn hello(
    shared: &SharedRef,
    session: usize,
    token: Option<&str>,
) -> Result<(Conn, Option<String>, Instant, Instant), String> {
    let stage = if token.is_some() { "resume" } else { "join" };
    let _permit = tokio::select! {
        p = shared.gate.acquire() => p.map_err(|_| format!("{stage}: cancelled"))?,
        _ = shared.cancel.cancelled() => return Err(format!("{stage}: cancelled")),
    };
    let start = Instant::now();
    let deadline = shared.deadline();
    let mut conn = match timeout_at(deadline, Conn::connect(&shared.ws_url, shared.client)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return Err(error_kind(&format!("{stage} connect"), &e)),
        Err(_) => return Err(format!("{stage} connect: timeout")),
    };
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        role: Role::Player,
        code: shared.sessions[session].code.clone(),
        secret: token.map(str::to_owned),
        ticket: None,
    };
    conn.send(&hello)
        .await
        .map_err(|e| error_kind(&format!("{stage} hello"), &e))?;
    loop {
        let frame = match timeout_at(deadline, conn.recv()).await {
            Ok(Ok(frame)) => frame,
            Ok(Err(e)) => return Err(error_kind(&format!("{stage} hello"), &e)),
            Err(_) => return Err(format!("{stage} hello: timeout")),
        };
        let text = frame.text.as_str();
        match wire::kind(text) {
            "welcome" => {
                let token = wire::fields::<WelcomeLite>(text).and_then(|w| w.token);
                return Ok((conn, token, start, frame.at));
            }
            "error" => {
                let code = wire::fields::<ErrorLite>(text).map(|e| wire::error_name(e.code));
                let _ = timeout(std::time::Duration::from_secs(1), conn.close()).await;
                return Err(format!(
                    "{stage}: refused {}",
                    code.as_deref().unwrap_or("?")
                ));
            }
            _ => {}
        }
    }
}
