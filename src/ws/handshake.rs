//! The `hello` handshake: the version, the failed-join limits, the session's lookup and the
//! attach request to its actor, whose answer (welcome or refusal) is the first frame it queues.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::codec;
use super::connection::{Connection, Gate, Incoming};
use super::WsState;
use crate::protocol::{ClientMsg, Close, ErrorCode, Role, PROTOCOL_VERSION};
use crate::session::{
    wrong_secret, ConnCtl, ConnId, ConnLink, Control, Frame, SessionHandle, CONN_QUEUE,
};

/// A client must say `hello` this soon after connecting.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a new join from an address over its failed-join budget waits before it is refused,
/// so a guesser's burst is slowed as well as refused.
const TARPIT: Duration = Duration::from_secs(1);
/// A refused `hello` that carried a secret, token or join ticket is answered no sooner than this
/// after it arrived, whether a live session's actor refused it or the connection found no
/// session: the words are the same ([`no_session`]), and so is the time they take.
const SECRET_REFUSAL_AFTER: Duration = Duration::from_millis(100);

/// A connection handed to a session's actor, before the actor's answer (welcome or refusal).
pub struct Attached {
    /// The session.
    pub handle: SessionHandle,
    /// The role claimed in `hello`.
    pub role: Role,
    /// The queue only the actor writes.
    pub rx: mpsc::Receiver<Frame>,
    /// How the actor closes this connection.
    pub ctl: Arc<ConnCtl>,
    /// What to do with the actor's first frame.
    pub first: FirstFrame,
}

/// What the connection does with the actor's first frame: a welcome is reported to the guard
/// (the address is now in that session); a refusal of a `hello` that carried a secret, token or
/// join ticket waits until `refuse_not_before`, as long as the refusal of a code with no session
/// takes.
pub struct FirstFrame {
    /// The client's address, for the guard only.
    pub ip: IpAddr,
    /// The code said in `hello`.
    pub code: String,
    /// When a refusal may be sent at the earliest (credentials only).
    pub refuse_not_before: Option<Instant>,
}

/// Waits for `hello`, finds the session and asks its actor to attach this connection; or says
/// how to close (`None`: the socket is gone, no close frame).
pub async fn hello(
    conn: &mut Connection,
    state: &WsState,
    id: ConnId,
    ip: IpAddr,
) -> Result<Attached, Option<Close>> {
    let deadline = Instant::now() + HELLO_TIMEOUT;
    // Frames before `hello` are charged to the pupils' budget too.
    let mut gate = Gate::before_hello();
    let text = loop {
        let received = tokio::select! {
            _ = state.shutdown.cancelled() => return Err(Some(Close::RestartBeforeHello)),
            received = tokio::time::timeout_at(deadline, conn.recv()) => received,
        };
        let Ok(received) = received else {
            return Err(Some(Close::NoHello));
        };
        let text = match conn.inspect(received, &mut gate).await {
            Incoming::Text(text) => text,
            Incoming::Pong | Incoming::Nothing => continue,
            Incoming::Gone => return Err(None),
            Incoming::Close(close) => return Err(Some(close)),
        };
        match codec::decode(&text) {
            Ok(msg) => break msg,
            Err((code, message)) => conn.error(code, &message, None).await,
        }
    };
    let hello_at = Instant::now();
    let ClientMsg::Hello {
        version,
        role,
        code,
        secret,
        ticket,
    } = text
    else {
        let name = Some(text.name());
        conn.error(ErrorCode::HelloRequired, "say hello first", name)
            .await;
        return Err(Some(Close::HelloRequired));
    };
    // Only bare new joins can guess a code. A hello carrying a 128-bit secret or token (a pupil
    // resuming, a host, a screen) or the 64-bit join ticket of the QR code's link is never
    // turned away for its address's failures, nor is a new join to a session this address is
    // already in. Other joins from an address over its budget wait, then are refused without the
    // code being looked up.
    let code = code.trim().to_owned();
    let credentials = secret.is_some() || ticket.is_some();
    if !credentials && state.guard.may_join(ip, &code).is_err() {
        tokio::select! {
            _ = state.shutdown.cancelled() => return Err(Some(Close::RestartBeforeHello)),
            _ = tokio::time::sleep(TARPIT) => {}
        }
        let message = "too many failed attempts from this network: wait a minute";
        conn.error(ErrorCode::RateLimited, message, Some("hello"))
            .await;
        return Err(Some(Close::FailedJoins));
    }
    if version != PROTOCOL_VERSION {
        let message = format!("this server speaks protocol version {PROTOCOL_VERSION}");
        conn.error(ErrorCode::VersionMismatch, &message, Some("hello"))
            .await;
        return Err(Some(Close::Version));
    }
    let refuse_not_before = credentials.then(|| hello_at + SECRET_REFUSAL_AFTER);
    let Some(handle) = state.registry.get(&code) else {
        return Err(Some(no_session(conn, role, refuse_not_before).await));
    };
    let (tx, rx) = mpsc::channel(CONN_QUEUE);
    let ctl = Arc::new(ConnCtl::default());
    let link = ConnLink {
        tx,
        ctl: ctl.clone(),
    };
    let attach = Control::Attach {
        conn: id,
        role,
        secret,
        ticket,
        link,
    };
    if handle.control.send(attach).await.is_err() {
        // The session ended between the lookup and the attach: no session has this code now.
        return Err(Some(no_session(conn, role, refuse_not_before).await));
    }
    let first = FirstFrame {
        ip,
        code,
        refuse_not_before,
    };
    Ok(Attached {
        handle,
        role,
        rx,
        ctl,
        first,
    })
}

/// Refuses a `hello` for a code that no session has. A bare new join is told so. A `hello`
/// carrying a secret, token or join ticket (`refuse_not_before` is then set) gets, word for word
/// and at the same time, the refusal of a wrong one for a live session: it is never slowed by the
/// guard, so any difference would let a guesser test codes at full speed.
async fn no_session(
    conn: &mut Connection,
    role: Role,
    refuse_not_before: Option<Instant>,
) -> Close {
    if let Some(not_before) = refuse_not_before {
        tokio::time::sleep_until(not_before).await;
        let (code, message) = wrong_secret(role);
        conn.error(code, message, Some("hello")).await;
        Close::Refused
    } else {
        let message = "no session has this code; check the code on the screen";
        conn.error(ErrorCode::UnknownSession, message, Some("hello"))
            .await;
        Close::UnknownSession
    }
}
