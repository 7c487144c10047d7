//! One generator socket: the shared typed client ([`crate::client::Client`]), or a lean path on
//! the same tokio-tungstenite settings that stamps each frame's arrival before any decoding.
//!
//! Both send [`ClientMsg`] values serialised by the protocol types. The lean path exists because
//! the generator runs 10,000 sockets on one core: the typed client copies and fully decodes every
//! frame (an `Envelope` with a flattened enum) before the caller can read the clock, which delays
//! the timestamp and costs generator CPU that a fan-out measurement would then include. The
//! lean path keeps the frame as received; the caller decodes only the few fields it needs
//! ([`super::wire`]). `--client typed` runs the pupils through the typed client instead.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::client::{Client, ClientError, BUFFER_SIZE};
use loupe::protocol::ClientMsg;

/// Which client the pupils use.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// Frames stamped on arrival, decoded only as far as needed (the default).
    #[default]
    Lean,
    /// The shared typed client, `crate::client::Client` (stamped after its full decode).
    Typed,
}

/// A server frame and when it arrived.
#[derive(Debug)]
pub struct Frame {
    /// Arrival time (before decoding on the lean path).
    pub at: Instant,
    /// The frame's text.
    pub text: Utf8Bytes,
}

/// A WebSocket to the server under test.
pub enum Conn {
    /// Lean: tokio-tungstenite with the typed client's settings.
    Lean(Box<Lean>),
    /// The shared typed client.
    Typed(Box<Client>),
}

/// The lean socket.
pub struct Lean {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    received: u64,
}

impl Conn {
    /// Opens a WebSocket to `ws_url` with 4 KiB buffers and `TCP_NODELAY`.
    pub async fn connect(ws_url: &str, kind: ClientKind) -> Result<Conn, ClientError> {
        match kind {
            ClientKind::Typed => Ok(Conn::Typed(Box::new(Client::connect(ws_url).await?))),
            ClientKind::Lean => {
                let config = WebSocketConfig::default()
                    .read_buffer_size(BUFFER_SIZE)
                    .write_buffer_size(BUFFER_SIZE)
                    .max_message_size(Some(4 << 20));
                let (ws, _) =
                    tokio_tungstenite::connect_async_with_config(ws_url, Some(config), true)
                        .await?;
                Ok(Conn::Lean(Box::new(Lean { ws, received: 0 })))
            }
        }
    }

    /// Text frames received so far.
    pub fn received(&self) -> u64 {
        match self {
            Conn::Lean(l) => l.received,
            Conn::Typed(c) => c.received(),
        }
    }

    /// Sends one client message.
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<(), ClientError> {
        match self {
            Conn::Typed(c) => c.send(msg).await,
            Conn::Lean(l) => {
                let text = serde_json::to_string(msg)?;
                l.ws.send(Message::text(text)).await?;
                Ok(())
            }
        }
    }

    /// The next text frame; a close (or a dropped connection) is [`ClientError::Closed`].
    /// Cancel-safe: nothing is lost if the future is dropped before it resolves.
    pub async fn recv(&mut self) -> Result<Frame, ClientError> {
        match self {
            Conn::Typed(c) => {
                let r = c.recv_text().await?;
                Ok(Frame {
                    at: Instant::now(),
                    text: Utf8Bytes::from(r.text),
                })
            }
            Conn::Lean(l) => l.recv().await,
        }
    }

    /// Sends a close frame and lets the socket go without waiting for the server's reply (a
    /// phone reloading its page). Bounded to one second.
    pub async fn close(self) {
        match self {
            Conn::Lean(mut l) => {
                let _ = timeout(Duration::from_secs(1), l.ws.send(Message::Close(None))).await;
            }
            Conn::Typed(c) => {
                // The typed client waits for the server's reply; do that off the pupil's path.
                tokio::spawn(async move {
                    let _ = timeout(Duration::from_secs(2), c.close()).await;
                });
            }
        }
    }
}

impl Lean {
    async fn recv(&mut self) -> Result<Frame, ClientError> {
        let dropped = || ClientError::Closed {
            code: None,
            reason: "connection dropped".into(),
        };
        loop {
            match self.ws.next().await {
                None => return Err(dropped()),
                Some(Ok(Message::Text(text))) => {
                    self.received += 1;
                    return Ok(Frame {
                        at: Instant::now(),
                        text,
                    });
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(ClientError::Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    })
                }
                Some(Ok(Message::Binary(_))) => return Err(ClientError::Binary),
                Some(Ok(_)) => {}
                Some(Err(
                    tungstenite::Error::ConnectionClosed
                    | tungstenite::Error::AlreadyClosed
                    | tungstenite::Error::Io(_)
                    | tungstenite::Error::Protocol(
                        tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                    ),
                )) => return Err(dropped()),
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }
}

/// A short, countable name for an error: connect errors by errno, refusals by code, closes by
/// close code.
pub fn error_kind(stage: &str, e: &ClientError) -> String {
    match e {
        ClientError::Ws(tungstenite::Error::Io(io)) | ClientError::Io(io) => {
            format!("{stage}: {}", errno_name(io))
        }
        ClientError::Ws(tungstenite::Error::Http(resp)) => {
            format!("{stage}: http {}", resp.status().as_u16())
        }
        ClientError::Ws(other) => format!("{stage}: websocket {}", first_word(&other.to_string())),
        ClientError::Closed { code, .. } => match code {
            Some(c) => format!("{stage}: closed {c}"),
            None => format!("{stage}: dropped"),
        },
        ClientError::Timeout { .. } => format!("{stage}: timeout"),
        ClientError::Refused { code, .. } => {
            format!("{stage}: refused {}", super::wire::error_name(*code))
        }
        ClientError::Decode { .. } | ClientError::Json(_) => format!("{stage}: undecodable"),
        ClientError::Binary => format!("{stage}: binary frame"),
        ClientError::Unexpected(_) => format!("{stage}: unexpected message"),
        ClientError::Http { status, .. } => format!("{stage}: http {status}"),
        ClientError::BadUrl(_) => format!("{stage}: bad url"),
    }
}

fn first_word(s: &str) -> String {
    s.split([':', ' ']).next().unwrap_or("error").to_owned()
}

/// `ECONNREFUSED (111)` and the like, for the errno values a connect storm can hit.
pub fn errno_name(e: &std::io::Error) -> String {
    let Some(n) = e.raw_os_error() else {
        return format!("{:?}", e.kind());
    };
    let name = match n {
        11 => "EAGAIN",
        23 => "ENFILE",
        24 => "EMFILE",
        32 => "EPIPE",
        98 => "EADDRINUSE",
        99 => "EADDRNOTAVAIL",
        104 => "ECONNRESET",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        113 => "EHOSTUNREACH",
        _ => "errno",
    };
    format!("{name} ({n})")
}
