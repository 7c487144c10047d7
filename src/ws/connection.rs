//! One task per WebSocket: the `hello` handshake, then one `select!` over the outgoing queue, the
//! socket, the heartbeat and shutdown.
//!
//! The connection parses and checks what a client sends, stamps arrival times, and forwards to
//! the session actor; it writes to the socket only what the actor queued, plus its own error and
//! pong replies. It never holds session state.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio::time::{interval_at, timeout, Instant, MissedTickBehavior};

use super::flood::{Bucket, Flow};
use super::WsState;
use crate::protocol::{
    close, ClientMsg, Envelope, ErrorCode, Role, ServerMsg, MAX_PUPIL_MESSAGE, PROTOCOL_VERSION,
};
use crate::session::machine::HostCommand;
use crate::session::{
    wrong_secret, ConnCtl, ConnLink, Control, DeviceCommand, PupilInput, PupilMsg, SessionHandle,
    CONN_QUEUE,
};

/// A client must say `hello` this soon after connecting.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Server ping interval; two missed pongs drop the connection.
const PING_EVERY: Duration = Duration::from_secs(15);
/// Frames written to the socket in one go before flushing.
const WRITE_BATCH: usize = 32;
/// How long a new join from an address over its failed-join budget waits before it is refused,
/// so a guesser's burst is slowed as well as refused.
const TARPIT: Duration = Duration::from_secs(1);
/// A refused `hello` that carried a secret, token or join ticket is answered no sooner than this
/// after it arrived, whether a live session's actor refused it or the connection found no
/// session: the words are the same ([`no_session`]), and so is the time they take.
const SECRET_REFUSAL_AFTER: Duration = Duration::from_millis(100);

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Why the loop ended, and the close frame to send (if any).
type Ending = Option<(u16, &'static str)>;

/// Runs one connection to completion. `ip` is used only for the failed-join counters.
pub async fn run(mut socket: WebSocket, state: WsState, ip: IpAddr) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let ending = match handshake(&mut socket, &state, conn, ip).await {
        Ok(attached) => {
            let Attached {
                handle,
                role,
                rx,
                ctl,
                first,
            } = attached;
            let me = Me { conn, role };
            let ending = serve(&mut socket, &state, &handle, me, rx, &ctl, first).await;
            let _ = handle.control.send(Control::Detach { conn }).await;
            ending
        }
        Err(ending) => ending,
    };
    // Refused hellos (unknown code, wrong secret or token, locked, full) count against the
    // address's failed-join budget; nothing else does.
    if let Some((code, _)) = ending {
        if [close::REFUSED, close::UNKNOWN_SESSION, close::VERSION].contains(&code) {
            state.guard.failed(ip);
        }
    }
    if let Some((code, reason)) = ending {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = timeout(
            Duration::from_secs(1),
            socket.send(Message::Close(Some(frame))),
        )
        .await;
        // Finish the close handshake: read (and drop) what the client still sends until its own
        // close frame, so the socket is not reset under frames in flight and the client surely
        // reads our close code. Bounded by a second.
        let _ = timeout(Duration::from_secs(1), async {
            while let Some(Ok(msg)) = socket.recv().await {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// A connection's identity once `hello` is accepted.
#[derive(Clone, Copy)]
struct Me {
    conn: u64,
    role: Role,
}

/// A connection handed to a session's actor, before the actor's answer (welcome or refusal).
struct Attached {
    handle: SessionHandle,
    role: Role,
    rx: mpsc::Receiver<Utf8Bytes>,
    ctl: Arc<ConnCtl>,
    first: FirstFrame,
}

/// What [`serve`] does with the actor's first frame: a welcome is reported to the guard (the
/// address is now in that session); a refusal of a `hello` that carried a secret, token or join
/// ticket waits until `refuse_not_before`, as long as the refusal of a code with no session takes.
struct FirstFrame {
    ip: IpAddr,
    code: String,
    refuse_not_before: Option<Instant>,
}

/// Waits for `hello`, finds the session and asks its actor to attach this connection.
async fn handshake(
    socket: &mut WebSocket,
    state: &WsState,
    conn: u64,
    ip: IpAddr,
) -> Result<Attached, Ending> {
    let deadline = Instant::now() + HELLO_TIMEOUT;
    // Frames before `hello` are charged to the pupils' budget too.
    let mut bucket = Bucket::for_pupil();
    loop {
        let received = tokio::select! {
            _ = state.shutdown.cancelled() => return Err(Some((close::RESTART, "server restarting"))),
            received = tokio::time::timeout_at(deadline, socket.recv()) => received,
        };
        let msg = match received {
            Err(_) => return Err(Some((close::TIMEOUT, "no hello in time"))),
            Ok(None) | Ok(Some(Err(_))) => return Err(None),
            Ok(Some(Ok(msg))) => msg,
        };
        if matches!(msg, Message::Text(_) | Message::Binary(_)) && !bucket.allows(Instant::now()) {
            match bucket.verdict() {
                Flow::Close => return Err(Some((close::FLOOD, "too many messages"))),
                Flow::Drop { warn: true } => {
                    let message = "too many messages: slow down";
                    reply_error(socket, 0, ErrorCode::RateLimited, message, None).await;
                }
                _ => {}
            }
            continue;
        }
        let text = match msg {
            Message::Text(text) => text,
            Message::Binary(_) => {
                reply_error(
                    socket,
                    0,
                    ErrorCode::BinaryFrame,
                    "send JSON text frames",
                    None,
                )
                .await;
                continue;
            }
            Message::Close(_) => return Err(None),
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if text.len() > MAX_PUPIL_MESSAGE {
            return Err(Some((close::TOO_BIG, "message too big")));
        }
        let hello_at = Instant::now();
        let (version, role, code, secret, ticket) = match parse(&text) {
            Ok(ClientMsg::Hello {
                version,
                role,
                code,
                secret,
                ticket,
            }) => (version, role, code, secret, ticket),
            Ok(other) => {
                let name = Some(other.name());
                reply_error(socket, 0, ErrorCode::HelloRequired, "say hello first", name).await;
                return Err(Some((close::REFUSED, "hello required")));
            }
            Err((code, message)) => {
                reply_error(socket, 0, code, &message, None).await;
                continue;
            }
        };
        // Only bare new joins can guess a code. A hello carrying a 128-bit secret or token (a
        // pupil resuming, a host, a screen) or the 64-bit join ticket of the QR code's link is
        // never turned away for its address's failures, nor is a new join to a session this
        // address is already in. Other joins from an address over its budget wait, then are
        // refused without the code being looked up.
        let code = code.trim().to_owned();
        let credentials = secret.is_some() || ticket.is_some();
        if !credentials && state.guard.may_join(ip, &code).is_err() {
            tokio::select! {
                _ = state.shutdown.cancelled() => return Err(Some((close::RESTART, "server restarting"))),
                _ = tokio::time::sleep(TARPIT) => {}
            }
            let message = "too many failed attempts from this network: wait a minute";
            reply_error(socket, 0, ErrorCode::RateLimited, message, Some("hello")).await;
            return Err(Some((close::FLOOD, "too many failed attempts")));
        }
        if version != PROTOCOL_VERSION {
            let message = format!("this server speaks protocol version {PROTOCOL_VERSION}");
            reply_error(
                socket,
                0,
                ErrorCode::VersionMismatch,
                &message,
                Some("hello"),
            )
            .await;
            return Err(Some((close::VERSION, "protocol version not supported")));
        }
        let refuse_not_before = credentials.then(|| hello_at + SECRET_REFUSAL_AFTER);
        let Some(handle) = state.registry.get(&code) else {
            return Err(no_session(socket, role, refuse_not_before).await);
        };
        let (tx, rx) = mpsc::channel(CONN_QUEUE);
        let ctl = Arc::new(ConnCtl::default());
        let link = ConnLink {
            tx,
            ctl: ctl.clone(),
        };
        let attach = Control::Attach {
            conn,
            role,
            secret,
            ticket,
            link,
        };
        if handle.control.send(attach).await.is_err() {
            // The session ended between the lookup and the attach: no session has this code now.
            return Err(no_session(socket, role, refuse_not_before).await);
        }
        let first = FirstFrame {
            ip,
            code,
            refuse_not_before,
        };
        return Ok(Attached {
            handle,
            role,
            rx,
            ctl,
            first,
        });
    }
}

/// The main loop once attached; `first` says what to do with the actor's first frame.
async fn serve(
    socket: &mut WebSocket,
    state: &WsState,
    handle: &SessionHandle,
    me: Me,
    mut rx: mpsc::Receiver<Utf8Bytes>,
    ctl: &ConnCtl,
    first: FirstFrame,
) -> Ending {
    let limit = if me.role == Role::Host {
        usize::MAX
    } else {
        MAX_PUPIL_MESSAGE
    };
    let mut bucket = if me.role == Role::Host {
        Bucket::for_host()
    } else {
        Bucket::for_pupil()
    };
    let mut first = Some(first);
    let mut ping = interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut missed = 0u8;
    // Highest sequence number written to this socket: the connection's own replies (errors,
    // pongs) carry it, so `seq` never goes down on one socket.
    // Built once: rebuilding them on every pass costs time and would restart the hard-stop timer.
    let hard = hard_stop(state);
    tokio::pin!(hard);
    let closed = ctl.now.cancelled();
    tokio::pin!(closed);
    let mut written = 0u64;
    loop {
        tokio::select! {
            biased;
            // The actor closes its connections with 1012 once its journal is durable; this is
            // the fallback if it cannot.
            _ = &mut hard => return Some((close::RESTART, "server restarting; reconnect shortly")),
            _ = &mut closed => return Some((ctl.code().unwrap_or(close::TOO_SLOW), reason(ctl.code()))),
            frame = rx.recv() => {
                let Some(frame) = frame else {
                    return Some((ctl.code().unwrap_or(close::ENDED), reason(ctl.code())));
                };
                // A refusal records its close code before queueing its error frame.
                if let Some(first) = first.take() {
                    match (ctl.code(), first.refuse_not_before) {
                        (None, _) => state.guard.welcomed(first.ip, &first.code),
                        (Some(_), Some(not_before)) => tokio::time::sleep_until(not_before).await,
                        (Some(_), None) => {}
                    }
                }
                match write_batch(socket, &mut rx, frame).await {
                    Ok(last) => written = written.max(last),
                    Err(_) => return None,
                }
            }
            msg = socket.recv() => {
                let text = match msg {
                    None | Some(Ok(Message::Close(_))) => return None,
                    Some(Err(e)) => return too_big(&e).then_some((close::TOO_BIG, "message too big")),
                    Some(Ok(Message::Pong(_))) => { missed = 0; continue; }
                    Some(Ok(Message::Ping(_))) => continue,
                    Some(Ok(_)) if !bucket.allows(Instant::now()) => {
                        match bucket.verdict() {
                            Flow::Close => return Some((close::FLOOD, "too many messages")),
                            Flow::Drop { warn: true } => {
                                let wait = bucket.retry_after().as_millis();
                                let message = format!("too many messages: slow down (retry in {wait} ms)");
                                reply_error(socket, written, ErrorCode::RateLimited, &message, None).await;
                            }
                            _ => {}
                        }
                        continue;
                    }
                    Some(Ok(Message::Binary(_))) => {
                        reply_error(socket, written, ErrorCode::BinaryFrame, "send JSON text frames", None).await;
                        continue;
                    }
                    Some(Ok(Message::Text(text))) => text,
                };
                if text.len() > limit {
                    return Some((close::TOO_BIG, "message too big"));
                }
                if let Err((code, message, name)) = route(socket, handle, me, &text, written).await {
                    reply_error(socket, written, code, &message, name).await;
                }
            }
            _ = ping.tick() => {
                if missed >= 2 {
                    return Some((close::TIMEOUT, "no answer to pings"));
                }
                missed += 1;
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return None;
                }
            }
        }
    }
}

/// Resolves some time after shutdown starts, in case the actor could not close this connection.
async fn hard_stop(state: &WsState) {
    state.shutdown.cancelled().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
}

type RouteError = (ErrorCode, String, Option<&'static str>);

/// Checks one client message against the role and forwards it.
async fn route(
    socket: &mut WebSocket,
    handle: &SessionHandle,
    me: Me,
    text: &str,
    written: u64,
) -> Result<(), RouteError> {
    let msg = parse(text).map_err(|(code, message)| (code, message, None))?;
    let wire_name = msg.name();
    let name = Some(wire_name);
    let not_allowed = |what: &str| {
        (
            ErrorCode::NotAllowed,
            format!("{what} cannot send this"),
            name,
        )
    };
    if msg.is_host_command() && me.role != Role::Host {
        return Err(not_allowed("only the host"));
    }
    let pupil = |msg: PupilMsg| PupilInput {
        conn: me.conn,
        at: Instant::now(),
        msg,
    };
    let input = match msg {
        ClientMsg::Hello { .. } => {
            return Err((
                ErrorCode::AlreadyGreeted,
                "hello was already accepted".into(),
                name,
            ));
        }
        ClientMsg::Ping { nonce } => {
            let frame = envelope(written, ServerMsg::Pong { nonce });
            let _ = socket.send(Message::Text(frame)).await;
            return Ok(());
        }
        ClientMsg::Answer { .. } | ClientMsg::TalkToAdult if me.role != Role::Player => {
            return Err(not_allowed("only a pupil"));
        }
        ClientMsg::Answer {
            question,
            round,
            client_seq,
            choice,
        } => pupil(PupilMsg::Answer {
            question,
            round,
            client_seq,
            choice,
        }),
        ClientMsg::TalkToAdult => pupil(PupilMsg::Help),
        ClientMsg::AcceptDevice { device } => {
            return device_command(handle, me, DeviceCommand::Accept(device), wire_name).await
        }
        ClientMsg::RefuseDevice { device } => {
            return device_command(handle, me, DeviceCommand::Refuse(device), wire_name).await
        }
        ClientMsg::RevokeDevice { device } => {
            return device_command(handle, me, DeviceCommand::Revoke(device), wire_name).await
        }
        host => {
            let cmd = host_command(host).ok_or((
                ErrorCode::UnknownType,
                "not a host command".into(),
                name,
            ))?;
            let control = Control::Host {
                conn: me.conn,
                cmd,
                name: wire_name,
            };
            return handle.control.send(control).await.map_err(|_| gone(name));
        }
    };
    handle.inputs.send(input).await.map_err(|_| gone(name))
}

/// Forwards a console's answer about a phone remote; the actor checks it holds the host secret.
async fn device_command(
    handle: &SessionHandle,
    me: Me,
    cmd: DeviceCommand,
    name: &'static str,
) -> Result<(), RouteError> {
    let control = Control::Device {
        conn: me.conn,
        cmd,
        name,
    };
    handle
        .control
        .send(control)
        .await
        .map_err(|_| gone(Some(name)))
}

fn gone(name: Option<&'static str>) -> RouteError {
    (
        ErrorCode::SessionFinished,
        "the session has ended".into(),
        name,
    )
}

fn host_command(msg: ClientMsg) -> Option<HostCommand> {
    Some(match msg {
        ClientMsg::Start => HostCommand::Start,
        ClientMsg::Next => HostCommand::Next,
        ClientMsg::Close => HostCommand::Close,
        ClientMsg::Reveal => HostCommand::Reveal,
        ClientMsg::Pause => HostCommand::Pause,
        ClientMsg::Resume => HostCommand::Resume,
        ClientMsg::AddTime => HostCommand::AddTime,
        ClientMsg::Skip => HostCommand::Skip,
        ClientMsg::ShowResults { question } => HostCommand::ShowResults(question),
        ClientMsg::Revote => HostCommand::Revote,
        ClientMsg::Finish => HostCommand::Finish,
        ClientMsg::Lock => HostCommand::Lock,
        ClientMsg::Unlock => HostCommand::Unlock,
        ClientMsg::Remove { player } => HostCommand::Remove(player),
        ClientMsg::End => HostCommand::End,
        ClientMsg::Hello { .. }
        | ClientMsg::Answer { .. }
        | ClientMsg::TalkToAdult
        | ClientMsg::Ping { .. }
        | ClientMsg::AcceptDevice { .. }
        | ClientMsg::RefuseDevice { .. }
        | ClientMsg::RevokeDevice { .. } => return None,
    })
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes once. Returns the
/// highest sequence number written.
async fn write_batch(
    socket: &mut WebSocket,
    rx: &mut mpsc::Receiver<Utf8Bytes>,
    first: Utf8Bytes,
) -> Result<u64, axum::Error> {
    let mut last = frame_seq(&first);
    socket.feed(Message::Text(first)).await?;
    for _ in 1..WRITE_BATCH {
        match rx.try_recv() {
            Ok(frame) => {
                last = last.max(frame_seq(&frame));
                socket.feed(Message::Text(frame)).await?
            }
            Err(_) => break,
        }
    }
    socket.flush().await?;
    Ok(last)
}

/// The sequence number at the front of a frame serialised by the actor (`{"seq":N,…`).
fn frame_seq(frame: &str) -> u64 {
    let digits = frame.strip_prefix("{\"seq\":").unwrap_or("");
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().unwrap_or(0)
}

/// Parses a client message, telling malformed JSON from an unknown type.
fn parse(text: &str) -> Result<ClientMsg, (ErrorCode, String)> {
    match serde_json::from_str::<ClientMsg>(text) {
        Ok(msg) => Ok(msg),
        Err(e) => {
            let value: Result<serde_json::Value, _> = serde_json::from_str(text);
            let known_type = value
                .as_ref()
                .ok()
                .and_then(|v| v.get("type"))
                .and_then(|t| t.as_str())
                .map(is_known_type);
            match known_type {
                Some(false) => Err((ErrorCode::UnknownType, "unknown message type".into())),
                _ => Err((
                    ErrorCode::Malformed,
                    format!("malformed message: {}", short(&e)),
                )),
            }
        }
    }
}

fn is_known_type(name: &str) -> bool {
    crate::protocol::CLIENT_MESSAGE_TYPES.contains(&name)
}

/// The serde error without echoing the client's input back.
fn short(e: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    )
}

fn too_big(e: &axum::Error) -> bool {
    let text = e.to_string();
    text.contains("too long") || text.contains("Space limit") || text.contains("capacity")
}

fn reason(code: Option<u16>) -> &'static str {
    match code {
        Some(close::REPLACED) => "another connection took over",
        Some(close::REMOVED) => "removed by the host",
        Some(close::REVOKED) => "disconnected by the teacher",
        Some(close::REFUSED) => "refused",
        Some(close::TOO_SLOW) => "too slow; resume",
        Some(close::RESTART) => "server restarting; reconnect shortly",
        _ => "session ended",
    }
}

fn envelope(seq: u64, msg: ServerMsg) -> Utf8Bytes {
    let text = serde_json::to_string(&Envelope { seq, msg }).unwrap_or_default();
    Utf8Bytes::from(text)
}

/// Refuses a `hello` for a code that no session has. A bare new join is told so. A `hello`
/// carrying a secret, token or join ticket (`refuse_not_before` is then set) gets, word for word
/// and at the same time, the refusal of a wrong one for a live session: it is never slowed by the
/// guard, so any difference would let a guesser test codes at full speed.
async fn no_session(
    socket: &mut WebSocket,
    role: Role,
    refuse_not_before: Option<Instant>,
) -> Ending {
    if let Some(not_before) = refuse_not_before {
        tokio::time::sleep_until(not_before).await;
        let (code, message) = wrong_secret(role);
        reply_error(socket, 0, code, message, Some("hello")).await;
        Some((close::REFUSED, reason(Some(close::REFUSED))))
    } else {
        let message = "no session has this code; check the code on the screen";
        reply_error(socket, 0, ErrorCode::UnknownSession, message, Some("hello")).await;
        Some((close::UNKNOWN_SESSION, "unknown session"))
    }
}

async fn reply_error(
    socket: &mut WebSocket,
    seq: u64,
    code: ErrorCode,
    message: &str,
    in_reply_to: Option<&str>,
) {
    let msg = ServerMsg::Error {
        code,
        message: message.to_owned(),
        in_reply_to: in_reply_to.map(str::to_owned),
    };
    let _ = socket.send(Message::Text(envelope(seq, msg))).await;
}
