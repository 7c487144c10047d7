//! One task per WebSocket: the handshake, then one `select!` over shutdown, the actor's close
//! signal, the outgoing queue, the socket and the heartbeat; then the close.
//!
//! The connection parses and checks what a client sends, stamps arrival times, and forwards to
//! the session actor; it writes to the socket only what the actor queued, plus its own error and
//! pong replies. It never holds session state.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::WebSocket;
use tokio::sync::mpsc;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::codec;
use super::connection::{Connection, Gate, Incoming};
use super::handshake::{self, Attached, FirstFrame};
use super::route::{route, Me};
use super::WsState;
use crate::protocol::Close;
use crate::session::{ConnCtl, Control, Frame, SessionHandle};

/// Server ping interval; two missed pongs drop the connection.
const PING_EVERY: Duration = Duration::from_secs(15);
/// How long after shutdown starts a connection closes by itself, in case its actor could not.
const HARD_STOP: Duration = Duration::from_secs(3);

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Runs one connection to completion. `ip` is used only for the failed-join counters.
pub async fn run(socket: WebSocket, state: WsState, ip: IpAddr) {
    let id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let mut conn = Connection::new(socket);
    let ending = match handshake::hello(&mut conn, &state, id, ip).await {
        Ok(Attached {
            handle,
            role,
            rx,
            ctl,
            first,
        }) => {
            let me = Me { conn: id, role };
            let ending = serve(&mut conn, &state, &handle, me, rx, &ctl, first).await;
            let _ = handle.control.send(Control::Detach { conn: id }).await;
            ending
        }
        Err(ending) => ending,
    };
    let Some(close) = ending else {
        return;
    };
    // Refused hellos (unknown code, wrong secret or token, locked, full) count against the
    // address's failed-join budget; nothing else does.
    if close.is_failed_join() {
        state.guard.failed(ip);
    }
    conn.close(close).await;
}

/// The main loop once attached; ends with the close to send (`None`: the socket is gone).
async fn serve(
    conn: &mut Connection,
    state: &WsState,
    handle: &SessionHandle,
    me: Me,
    mut rx: mpsc::Receiver<Frame>,
    ctl: &ConnCtl,
    first: FirstFrame,
) -> Option<Close> {
    let mut gate = Gate::attached(me.role);
    let mut first = Some(first);
    let mut ping = interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut missed = 0u8;
    // Built once: rebuilding them on every pass costs time and would restart the hard-stop timer.
    let hard = hard_stop(state);
    tokio::pin!(hard);
    let closed = ctl.now.cancelled();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            biased;
            // The actor closes its connections with 1012 once its journal is durable; this is
            // the fallback if it cannot.
            _ = &mut hard => return Some(Close::Restart),
            _ = &mut closed => return Some(ctl.close().unwrap_or(Close::TooSlow)),
            frame = rx.recv() => {
                let Some(frame) = frame else {
                    return Some(ctl.close().unwrap_or(Close::Ended));
                };
                if let Some(first) = first.take() {
                    first_frame(state, ctl, first).await;
                }
                if conn.write_batch(&mut rx, frame).await.is_err() {
                    return None;
                }
            }
            received = conn.recv() => {
                let text = match conn.inspect(received, &mut gate).await {
                    Incoming::Text(text) => text,
                    Incoming::Pong => { missed = 0; continue; }
                    Incoming::Nothing => continue,
                    Incoming::Gone => return None,
                    Incoming::Close(close) => return Some(close),
                };
                if let Err((code, message, name)) = forward(conn, handle, me, &text).await {
                    conn.error(code, &message, name).await;
                }
            }
            _ = ping.tick() => {
                if missed >= 2 {
                    return Some(Close::NoPong);
                }
                missed += 1;
                if conn.ping().await.is_err() {
                    return None;
                }
            }
        }
    }
}

/// Decodes a client message and routes it.
async fn forward(
    conn: &mut Connection,
    handle: &SessionHandle,
    me: Me,
    text: &str,
) -> Result<(), super::route::Refusal> {
    let msg = codec::decode(text).map_err(|(code, message)| (code, message, None))?;
    route(conn, handle, me, msg).await
}

/// The actor's first frame is its answer to `hello`. A refusal records its close code before
/// queueing its error frame, so a code set now means refused: one of a `hello` that carried
/// credentials waits until its floor; a welcome tells the guard this address is in the session.
async fn first_frame(state: &WsState, ctl: &ConnCtl, first: FirstFrame) {
    match (ctl.code(), first.refuse_not_before) {
        (None, _) => state.guard.welcomed(first.ip, &first.code),
        (Some(_), Some(not_before)) => tokio::time::sleep_until(not_before).await,
        (Some(_), None) => {}
    }
}

/// Resolves some time after shutdown starts, in case the actor could not close this connection.
async fn hard_stop(state: &WsState) {
    state.shutdown.cancelled().await;
    tokio::time::sleep(HARD_STOP).await;
}
