//! [`Connection`]: one upgraded WebSocket, the checks every incoming frame passes, and the
//! connection's writes (the actor's frames in batches, its own replies, the close handshake).

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use super::codec;
use super::flood::{Bucket, Flow};
use crate::protocol::{Close, ErrorCode, Role, ServerMsg, MAX_PUPIL_MESSAGE};
use crate::session::Frame;

/// Frames written to the socket in one go before flushing.
const WRITE_BATCH: usize = 32;
/// How long the close handshake may take, each way.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// What the socket gave, once through the [`Gate`].
#[derive(Debug)]
pub enum Incoming {
    /// A text frame within the limits: a client message to decode.
    Text(Utf8Bytes),
    /// The client answered a heartbeat ping.
    Pong,
    /// Nothing more to do (a ping, a frame dropped over the rate, a binary frame answered).
    Nothing,
    /// The socket is gone: the client closed it, or it failed; no close frame is sent.
    Gone,
    /// Close the socket with this.
    Close(Close),
}

/// The checks every incoming frame passes: the message rate, the size, binary frames.
#[derive(Debug)]
pub struct Gate {
    bucket: Bucket,
    max_len: usize,
    /// Once attached: a read error for an oversized frame closes with 1009, and `rate_limited`
    /// says when to retry. Before `hello`, any read error just drops the socket.
    attached: bool,
}

impl Gate {
    /// Before `hello`: the pupils' budget and size, whatever the role will be.
    pub fn before_hello() -> Gate {
        Gate {
            bucket: Bucket::for_pupil(),
            max_len: MAX_PUPIL_MESSAGE,
            attached: false,
        }
    }

    /// Once attached as `role`: hosts have a larger budget, and only the socket's own limit
    /// (`MAX_HOST_MESSAGE`) on size.
    pub fn attached(role: Role) -> Gate {
        let host = role == Role::Host;
        Gate {
            bucket: if host {
                Bucket::for_host()
            } else {
                Bucket::for_pupil()
            },
            max_len: if host { usize::MAX } else { MAX_PUPIL_MESSAGE },
            attached: true,
        }
    }
}

/// One upgraded WebSocket: the socket, and the highest sequence number written to it (the
/// connection's own replies carry it, so `seq` never goes down on one socket).
pub struct Connection {
    socket: WebSocket,
    written: u64,
}

impl Connection {
    /// A connection on a freshly upgraded socket.
    pub fn new(socket: WebSocket) -> Connection {
        Connection { socket, written: 0 }
    }

    /// The next message from the socket (cancel-safe, for `select!`).
    pub async fn recv(&mut self) -> Option<Result<Message, axum::Error>> {
        self.socket.recv().await
    }

    /// Puts what the socket gave through `gate`, answering rate warnings and binary frames.
    pub async fn inspect(
        &mut self,
        received: Option<Result<Message, axum::Error>>,
        gate: &mut Gate,
    ) -> Incoming {
        let msg = match received {
            None => return Incoming::Gone,
            Some(Err(e)) if gate.attached && too_big(&e) => return Incoming::Close(Close::TooBig),
            Some(Err(_)) => return Incoming::Gone,
            Some(Ok(msg)) => msg,
        };
        let now = Instant::now();
        match msg {
            Message::Close(_) => Incoming::Gone,
            Message::Pong(_) => Incoming::Pong,
            Message::Ping(_) => Incoming::Nothing,
            Message::Text(_) | Message::Binary(_) if !gate.bucket.allows(now) => {
                match gate.bucket.verdict() {
                    Flow::Close => return Incoming::Close(Close::Flood),
                    Flow::Drop { warn: true } if gate.attached => {
                        let wait = gate.bucket.retry_after(now).as_millis();
                        let message = format!("too many messages: slow down (retry in {wait} ms)");
                        self.error(ErrorCode::RateLimited, &message, None).await;
                    }
                    Flow::Drop { warn: true } => {
                        let message = "too many messages: slow down";
                        self.error(ErrorCode::RateLimited, message, None).await;
                    }
                    Flow::Drop { warn: false } | Flow::Pass => {}
                }
                Incoming::Nothing
            }
            Message::Binary(_) => {
                let message = "send JSON text frames";
                self.error(ErrorCode::BinaryFrame, message, None).await;
                Incoming::Nothing
            }
            Message::Text(text) if text.len() > gate.max_len => Incoming::Close(Close::TooBig),
            Message::Text(text) => Incoming::Text(text),
        }
    }

    /// Sends an `error` of the connection's own.
    pub async fn error(&mut self, code: ErrorCode, message: &str, in_reply_to: Option<&str>) {
        let frame = codec::error(self.written, code, message, in_reply_to);
        let _ = self.socket.send(Message::Text(frame)).await;
    }

    /// Sends a message of the connection's own (a `pong`).
    pub async fn reply(&mut self, msg: ServerMsg) {
        let frame = codec::encode(self.written, msg);
        let _ = self.socket.send(Message::Text(frame)).await;
    }

    /// Sends a heartbeat ping.
    pub async fn ping(&mut self) -> Result<(), axum::Error> {
        self.socket.send(Message::Ping(Default::default())).await
    }

    /// Writes `first` and whatever else the actor queued (up to a batch), then flushes once.
    pub async fn write_batch(
        &mut self,
        rx: &mut mpsc::Receiver<Frame>,
        first: Frame,
    ) -> Result<(), axum::Error> {
        self.feed(first).await?;
        for _ in 1..WRITE_BATCH {
            match rx.try_recv() {
                Ok(frame) => self.feed(frame).await?,
                Err(_) => break,
            }
        }
        self.socket.flush().await
    }

    async fn feed(&mut self, frame: Frame) -> Result<(), axum::Error> {
        self.written = self.written.max(frame.seq());
        self.socket.feed(Message::Text(frame.text().clone())).await
    }

    /// Sends the close frame, then finishes the close handshake: reads (and drops) what the
    /// client still sends until its own close frame, so the socket is not reset under frames in
    /// flight and the client surely reads the close code. Bounded by a second each way.
    pub async fn close(mut self, close: Close) {
        let frame = CloseFrame {
            code: close.code(),
            reason: Utf8Bytes::from_static(close.reason()),
        };
        let _ = timeout(CLOSE_WAIT, self.socket.send(Message::Close(Some(frame)))).await;
        let _ = timeout(CLOSE_WAIT, async {
            while let Some(Ok(msg)) = self.socket.recv().await {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// Whether a read failed because the frame or message was over the socket's size limit.
fn too_big(e: &axum::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|inner| matches!(inner, tungstenite::Error::Capacity(_)))
}
