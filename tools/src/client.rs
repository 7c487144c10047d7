//! The typed protocol client shared by the integration tests, the chaos tests and the load generator.
//!
//! [`Client`] speaks the WebSocket protocol of [`loupe::protocol`] over tokio-tungstenite with
//! small (4 KiB) buffers, so thousands of them fit in one process. [`HttpClient`] (in [`http`])
//! is the one HTTP client of the tools and the tests: plain HTTP/1.1 on a `TcpStream`, for the
//! JSON API and for raw requests with any header, so the library needs no HTTP client crate.
//! Nothing here unwraps what the server sent: every surprise is a [`ClientError`].

mod error;
pub mod http;
mod reply;

pub use error::{ClientError, Result};
pub use http::{create_session, Created, HttpClient, HttpResponse, Reply};

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at, Instant};
use tokio_tungstenite::tungstenite::protocol::{
    frame::coding::CloseCode, CloseFrame, WebSocketConfig,
};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use loupe::protocol::{
    ClientMsg, Envelope, ErrorCode, Role, ServerMsg, SessionInfo, PROTOCOL_VERSION,
};

/// How long the helpers wait for an expected message unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// WebSocket read and write buffer size: 4 KiB keeps thousands of clients cheap (the 128 KiB
/// default costs about 137 kB per connection).
pub const BUFFER_SIZE: usize = 4 * 1024;

/// The contents of a [`ServerMsg::Welcome`].
#[derive(Debug, Clone, PartialEq)]
pub struct Welcome {
    /// The role granted.
    pub role: Role,
    /// The session.
    pub session: SessionInfo,
    /// Resume token (player, first join only).
    pub token: Option<String>,
    /// Pseudonym (player, challenge mode).
    pub name: Option<String>,
    /// Join ticket for the QR code's link (host and screen).
    pub ticket: Option<String>,
}

/// A server message with the exact text it arrived as (to compare bytes across sockets).
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The decoded message.
    pub env: Envelope,
    /// The frame's text.
    pub text: String,
}

/// A server message as short JSON (at most 300 characters), for failure messages.
fn brief(env: &Envelope) -> String {
    let text = serde_json::to_string(env).unwrap_or_default();
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// The wire name of a server message (`"answers"`, `"results"` …), for logs and failure messages.
pub fn msg_type(msg: &ServerMsg) -> String {
    serde_json::to_value(msg)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// One WebSocket connection to `/ws`, speaking the typed protocol.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    received: u64,
    closed: Option<(Option<u16>, String)>,
}

impl Client {
    /// Opens a WebSocket to `ws_url` (e.g. `ws://127.0.0.1:8080/ws`) with 4 KiB buffers and
    /// `TCP_NODELAY`.
    pub async fn connect(ws_url: &str) -> Result<Client> {
        let config = WebSocketConfig::default()
            .read_buffer_size(BUFFER_SIZE)
            .write_buffer_size(BUFFER_SIZE)
            .max_message_size(Some(4 << 20));
        let (ws, _response) =
            tokio_tungstenite::connect_async_with_config(ws_url, Some(config), true).await?;
        Ok(Client {
            ws,
            received: 0,
            closed: None,
        })
    }

    /// Number of server text messages received so far on this socket.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Sends one client message as a JSON text frame.
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<()> {
        let text = serde_json::to_string(msg)?;
        self.send_raw(&text).await
    }

    /// Sends any text frame as is (for malformed-input tests).
    pub async fn send_raw(&mut self, text: &str) -> Result<()> {
        self.ws.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends a binary frame (which the protocol refuses).
    pub async fn send_binary(&mut self, bytes: &[u8]) -> Result<()> {
        self.ws.send(Message::binary(bytes.to_vec())).await?;
        Ok(())
    }

    /// Closes the socket with a normal close frame and waits briefly for the server's reply.
    pub async fn close(mut self) -> Result<()> {
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        self.ws.close(Some(frame)).await?;
        let _ = timeout(Duration::from_secs(1), async {
            while self.ws.next().await.is_some() {}
        })
        .await;
        Ok(())
    }

    /// The next server message with its text, skipping WebSocket pings and pongs. A close frame
    /// (or a dropped connection) gives [`ClientError::Closed`], now and on every later call.
    pub async fn recv_text(&mut self) -> Result<Received> {
        loop {
            if let Some((code, reason)) = &self.closed {
                return Err(ClientError::Closed {
                    code: *code,
                    reason: reason.clone(),
                });
            }
            match self.ws.next().await {
                None => self.closed = Some((None, "connection dropped".into())),
                Some(Err(
                    tungstenite::Error::ConnectionClosed
                    | tungstenite::Error::AlreadyClosed
                    | tungstenite::Error::Io(_)
                    | tungstenite::Error::Protocol(
                        tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                    ),
                )) => self.closed = Some((None, "connection dropped".into())),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Text(t))) => {
                    self.received += 1;
                    let text = t.as_str().to_owned();
                    return match serde_json::from_str::<Envelope>(&text) {
                        Ok(env) => Ok(Received { env, text }),
                        Err(error) => Err(ClientError::Decode { error, text }),
                    };
                }
                Some(Ok(Message::Binary(_))) => return Err(ClientError::Binary),
                Some(Ok(Message::Close(frame))) => {
                    self.closed = Some(match frame {
                        Some(f) => (Some(u16::from(f.code)), f.reason.as_str().to_owned()),
                        None => (None, String::new()),
                    })
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            }
        }
    }

    /// The next server message, skipping WebSocket pings and pongs (no timeout: see
    /// [`Client::recv_timeout`]).
    pub async fn recv(&mut self) -> Result<Envelope> {
        Ok(self.recv_text().await?.env)
    }

    /// The next server message, or [`ClientError::Timeout`] after `wait`.
    pub async fn recv_timeout(&mut self, wait: Duration) -> Result<Envelope> {
        match timeout(wait, self.recv_text()).await {
            Ok(r) => Ok(r?.env),
            Err(_) => Err(ClientError::Timeout {
                after: wait,
                what: "any message".into(),
                skipped: vec![],
            }),
        }
    }

    /// Reads messages until one matches `done` (it is the last one kept), the socket closes, or
    /// `wait` passes; returns what was read either way.
    async fn read(
        &mut self,
        wait: Duration,
        what: &str,
        mut done: impl FnMut(&ServerMsg) -> bool,
    ) -> (Vec<Received>, Result<()>) {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            match timeout_at(deadline, self.recv_text()).await {
                Ok(Ok(r)) => {
                    let matched = done(&r.env.msg);
                    seen.push(r);
                    if matched {
                        return (seen, Ok(()));
                    }
                }
                Ok(Err(e)) => return (seen, Err(e)),
                Err(_) => {
                    let skipped = seen.iter().map(|r| brief(&r.env)).collect();
                    let what = what.to_owned();
                    return (
                        seen,
                        Err(ClientError::Timeout {
                            after: wait,
                            what,
                            skipped,
                        }),
                    );
                }
            }
        }
    }

    /// Waits up to `wait` for a message matching `pred`, discarding the others.
    pub async fn recv_until(
        &mut self,
        wait: Duration,
        pred: impl FnMut(&ServerMsg) -> bool,
    ) -> Result<Envelope> {
        Ok(self.recv_until_collect(wait, pred).await?.0)
    }

    /// Waits up to `wait` for a message matching `pred`; returns it and the messages skipped on
    /// the way, in order.
    pub async fn recv_until_collect(
        &mut self,
        wait: Duration,
        pred: impl FnMut(&ServerMsg) -> bool,
    ) -> Result<(Envelope, Vec<Envelope>)> {
        let mut seen: Vec<Envelope> = self
            .recv_until_text(wait, pred)
            .await?
            .into_iter()
            .map(|r| r.env)
            .collect();
        let last = seen
            .pop()
            .ok_or_else(|| ClientError::Unexpected("nothing read".into()))?;
        Ok((last, seen))
    }

    /// Like [`Client::recv_until_collect`], with the text of every message (matching one last).
    pub async fn recv_until_text(
        &mut self,
        wait: Duration,
        pred: impl FnMut(&ServerMsg) -> bool,
    ) -> Result<Vec<Received>> {
        let (seen, outcome) = self.read(wait, "a matching message", pred).await;
        outcome.map(|()| seen)
    }

    /// Waits up to `wait` for the next `error` message; returns its code and `in_reply_to`.
    pub async fn recv_error(&mut self, wait: Duration) -> Result<(ErrorCode, Option<String>)> {
        let env = self
            .recv_until(wait, |m| matches!(m, ServerMsg::Error { .. }))
            .await?;
        match env.msg {
            ServerMsg::Error {
                code, in_reply_to, ..
            } => Ok((code, in_reply_to)),
            other => Err(ClientError::Unexpected(msg_type(&other))),
        }
    }

    /// Reads until the server closes the socket (up to `wait`); returns the close code and the
    /// messages received before it.
    pub async fn recv_close(&mut self, wait: Duration) -> Result<(Option<u16>, Vec<Envelope>)> {
        match self.read(wait, "the socket to close", |_| false).await {
            (seen, Err(ClientError::Closed { code, .. })) => {
                Ok((code, seen.into_iter().map(|r| r.env).collect()))
            }
            (_, Err(e)) => Err(e),
            (_, Ok(())) => Err(ClientError::Unexpected("read ended without a close".into())),
        }
    }

    /// Sends `hello` and waits for the welcome; an `error` reply gives [`ClientError::Refused`].
    /// The role's snapshot follows the welcome and is left for the caller to read.
    pub async fn hello(&mut self, role: Role, code: &str, secret: Option<&str>) -> Result<Welcome> {
        self.greet(role, code, secret, None).await
    }

    /// Joins as a new pupil with the join ticket of the QR code's link (`/join/{code}#{ticket}`).
    pub async fn hello_with_ticket(&mut self, code: &str, ticket: &str) -> Result<Welcome> {
        self.greet(Role::Player, code, None, Some(ticket)).await
    }

    async fn greet(
        &mut self,
        role: Role,
        code: &str,
        secret: Option<&str>,
        ticket: Option<&str>,
    ) -> Result<Welcome> {
        let hello = ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            role,
            code: code.to_owned(),
            secret: secret.map(str::to_owned),
            ticket: ticket.map(str::to_owned),
        };
        self.send(&hello).await?;
        let env = self
            .recv_until(DEFAULT_TIMEOUT, |m| {
                matches!(m, ServerMsg::Welcome { .. } | ServerMsg::Error { .. })
            })
            .await?;
        match env.msg {
            ServerMsg::Welcome {
                role,
                session,
                token,
                name,
                ticket,
            } => Ok(Welcome {
                role,
                session,
                token,
                name,
                ticket,
            }),
            ServerMsg::Error { code, message, .. } => Err(ClientError::Refused { code, message }),
            other => Err(ClientError::Unexpected(msg_type(&other))),
        }
    }

    /// Says hello as the host with the host secret.
    pub async fn hello_host(&mut self, code: &str, host_secret: &str) -> Result<Welcome> {
        self.hello(Role::Host, code, Some(host_secret)).await
    }

    /// Says hello as a host with a phone remote's credential (from `POST /api/remote/claim`)
    /// before the console answered: returns the phone's number from `pairing_waiting`. If the
    /// console accepts, the `welcome` and snapshot follow on this socket; if it refuses, an
    /// `error` `pairing_refused` and close 4003.
    pub async fn hello_waiting(&mut self, code: &str, credential: &str) -> Result<u32> {
        let hello = ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            role: Role::Host,
            code: code.to_owned(),
            secret: Some(credential.to_owned()),
            ticket: None,
        };
        self.send(&hello).await?;
        let env = self
            .recv_until(DEFAULT_TIMEOUT, |m| {
                matches!(
                    m,
                    ServerMsg::PairingWaiting { .. }
                        | ServerMsg::Welcome { .. }
                        | ServerMsg::Error { .. }
                )
            })
            .await?;
        match env.msg {
            ServerMsg::PairingWaiting { device } => Ok(device),
            ServerMsg::Error { code, message, .. } => Err(ClientError::Refused { code, message }),
            other => Err(ClientError::Unexpected(msg_type(&other))),
        }
    }

    /// Says hello as the projector with the screen token.
    pub async fn hello_screen(&mut self, code: &str, screen_token: &str) -> Result<Welcome> {
        self.hello(Role::Screen, code, Some(screen_token)).await
    }

    /// Says hello as a pupil: a new join without `token`, a resume with it.
    pub async fn hello_player(&mut self, code: &str, token: Option<&str>) -> Result<Welcome> {
        self.hello(Role::Player, code, token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_message_types() {
        assert_eq!(msg_type(&ServerMsg::Pong { nonce: 1 }), "pong");
        assert_eq!(msg_type(&ServerMsg::Ended { reason: None }), "ended");
    }
}
