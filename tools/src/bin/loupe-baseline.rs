//! `loupe-baseline`: the same-stack baseline for `loupe-load`. A minimal server on the same axum,
//! with Loupe's WebSocket settings (4 KiB read and write buffers, the same message limits,
//! `TCP_NODELAY`, a listening socket from `loupe::net::bind` with a backlog of 4096) and no quiz
//! logic: it speaks just enough of Loupe's protocol for the same generator to drive it.
//!
//! - `POST /api/sessions` creates a room (any body) and answers like Loupe (`code`, secrets);
//! - `hello` → a `welcome` serialised once per room (no secret is checked, no state is kept);
//! - host `start`, `reveal`, `finish` → one pre-serialised `phase` frame to everyone; `next` → one
//!   `question` frame serialised once and queued to everyone; `end` → `ended`, then close 4000;
//! - each `answer` is parsed as Loupe parses it, answered at once with one small `ack` frame on the
//!   pupil's own socket (not with `--no-ack`: the *bare* baseline, a broadcast server that sends
//!   pupils nothing back), and forwarded to the hosts as an `answers` frame carrying the new count:
//!   one frame per answer, no coalescing (the cheapest faithful form: the generator reads the
//!   host's count the same way for both servers, and nothing is batched).
//!
//! Fan-out is Loupe's: each broadcast is serialised once and `try_send` to every connection's
//! bounded queue (256 frames; a full queue closes the socket with 4008); each connection task
//! writes up to 32 queued frames per flush. Hosts get an unbounded queue (one frame per answer).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use clap::Parser;
use futures_util::SinkExt;
use loupe::protocol::{
    close, Answer, ClientMsg, Envelope, Mode, OptionView, Role, ServerMsg, SessionInfo, Stage,
    MAX_HOST_MESSAGE, MAX_PUPIL_MESSAGE,
};
use loupe::quiz::model::QuestionKind;
use tokio::sync::mpsc;

/// Loupe's socket buffers (`src/ws/mod.rs`).
const WS_BUFFER: usize = 4 * 1024;
/// Loupe's cap on unsent data per socket.
const MAX_WRITE_BUFFER: usize = 256 * 1024;
/// Loupe's per-connection queue (`session::CONN_QUEUE`).
const CONN_QUEUE: usize = loupe::session::CONN_QUEUE;
/// Loupe's frames per flush.
const WRITE_BATCH: usize = 32;

/// The same-stack baseline server for `loupe-load` (127.0.0.1 only by default).
#[derive(Debug, Parser)]
#[command(name = "loupe-baseline", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Write the bound address here once listening.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Send no `ack` for answers: the bare broadcast server, to show what the acknowledgement
    /// costs (`docs/PERFORMANCE.md`).
    #[arg(long)]
    no_ack: bool,
}

#[derive(Clone, Default)]
struct App {
    rooms: Arc<Mutex<HashMap<String, Arc<Room>>>>,
    /// `--no-ack`.
    no_ack: bool,
}

/// One room: who is connected, and the answer count of the open question.
struct Room {
    code: String,
    players: Mutex<HashMap<u64, mpsc::Sender<Utf8Bytes>>>,
    hosts: Mutex<HashMap<u64, mpsc::UnboundedSender<Utf8Bytes>>>,
    pupils: AtomicU32,
    answers: AtomicU32,
    opened: AtomicU32,
    welcome: [Utf8Bytes; 2],
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn frame(msg: ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(&Envelope { seq: 0, msg }).unwrap_or_default())
}

fn phase(stage: Stage, question: Option<String>, index: Option<u32>) -> Utf8Bytes {
    frame(ServerMsg::Phase {
        stage,
        paused: false,
        question,
        current: index,
        index,
        locked: false,
    })
}

/// A question frame about as long as a bundled quiz's.
fn question(index: u32) -> Utf8Bytes {
    let option = |text: &str| OptionView { text: text.into() };
    frame(ServerMsg::Question {
        question: format!("b{index}"),
        index,
        total: 99,
        round: 1,
        kind: QuestionKind::Single,
        text: "Une personne que tu ne connais pas te demande en message privé de lui envoyer une photo de toi. Que fais-tu ?".into(),
        options: vec![
            option("Je l'envoie, ce n'est qu'une photo"),
            option("Je refuse et je bloque la personne"),
            option("J'en parle à un adulte de confiance"),
            option("Je lui demande d'abord qui elle est"),
        ],
        scale: None,
        time_left_ms: None,
        sensitive: false,
    })
}

impl Room {
    fn new(code: String) -> Room {
        let info = SessionInfo {
            code: code.clone(),
            title: "baseline".into(),
            lang: "fr".into(),
            mode: Mode::Reflection,
            questions: 99,
            min_count: 3,
            content_warning: None,
            local_contact: None,
            hide_score: false,
        };
        let welcome = |role, token: Option<String>| {
            frame(ServerMsg::Welcome {
                role,
                session: info.clone(),
                token,
                name: None,
                ticket: None,
            })
        };
        Room {
            code,
            players: Mutex::default(),
            hosts: Mutex::default(),
            pupils: AtomicU32::new(0),
            answers: AtomicU32::new(0),
            opened: AtomicU32::new(0),
            welcome: [
                welcome(Role::Player, Some("0".repeat(32))),
                welcome(Role::Host, None),
            ],
        }
    }

    /// Queues one pre-serialised frame to every player (full queue: close 4008) and host.
    fn broadcast(&self, frame: &Utf8Bytes) {
        if let Ok(mut players) = self.players.lock() {
            players.retain(|_, tx| tx.try_send(frame.clone()).is_ok());
            self.pupils.store(players.len() as u32, Ordering::Relaxed);
        }
        if let Ok(hosts) = self.hosts.lock() {
            for tx in hosts.values() {
                let _ = tx.send(frame.clone());
            }
        }
    }

    fn host_command(&self, apps: &App, msg: ClientMsg) {
        match msg {
            ClientMsg::Start => self.broadcast(&phase(Stage::Intro, None, None)),
            ClientMsg::Next => {
                let index = self.opened.fetch_add(1, Ordering::AcqRel);
                self.answers.store(0, Ordering::Release);
                self.broadcast(&question(index));
            }
            ClientMsg::Reveal => {
                let index = self.opened.load(Ordering::Acquire).saturating_sub(1);
                self.broadcast(&phase(
                    Stage::Revealed,
                    Some(format!("b{index}")),
                    Some(index),
                ));
            }
            ClientMsg::Finish => self.broadcast(&phase(Stage::Finished, None, None)),
            ClientMsg::End => {
                self.broadcast(&frame(ServerMsg::Ended { reason: None }));
                // Dropping the queues closes every socket (4000) once its queue is written.
                if let Ok(mut p) = self.players.lock() {
                    p.clear();
                }
                if let Ok(mut h) = self.hosts.lock() {
                    h.clear();
                }
                if let Ok(mut rooms) = apps.rooms.lock() {
                    rooms.remove(&self.code);
                }
            }
            _ => {}
        }
    }

    /// One answer: the count goes to every host, one frame per answer.
    fn answered(&self, question: String, round: u8) {
        let count = self.answers.fetch_add(1, Ordering::AcqRel) + 1;
        let pupils = self.pupils.load(Ordering::Relaxed);
        let msg = frame(ServerMsg::Answers {
            question,
            round,
            count,
            pupils,
        });
        if let Ok(hosts) = self.hosts.lock() {
            for tx in hosts.values() {
                let _ = tx.send(msg.clone());
            }
        }
    }
}

async fn create(State(app): State<App>) -> Response {
    let code = loop {
        let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
        let Ok(mut rooms) = app.rooms.lock() else {
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if !rooms.contains_key(&code) {
            rooms.insert(code.clone(), Arc::new(Room::new(code.clone())));
            break code;
        }
    };
    let secret = "0".repeat(32);
    let body = serde_json::json!({ "code": code, "host_secret": secret, "screen_token": secret });
    (axum::http::StatusCode::CREATED, Json(body)).into_response()
}

async fn upgrade(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(WS_BUFFER)
        .write_buffer_size(WS_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_HOST_MESSAGE)
        .max_frame_size(MAX_HOST_MESSAGE)
        .on_upgrade(move |socket| connection(socket, app))
}

/// A connection's outgoing queue.
enum Queue {
    Player(mpsc::Receiver<Utf8Bytes>),
    Host(mpsc::UnboundedReceiver<Utf8Bytes>),
}

impl Queue {
    async fn recv(&mut self) -> Option<Utf8Bytes> {
        match self {
            Queue::Player(rx) => rx.recv().await,
            Queue::Host(rx) => rx.recv().await,
        }
    }

    fn try_recv(&mut self) -> Option<Utf8Bytes> {
        match self {
            Queue::Player(rx) => rx.try_recv().ok(),
            Queue::Host(rx) => rx.try_recv().ok(),
        }
    }
}

async fn connection(mut socket: WebSocket, app: App) {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // hello: find the room and register the queue.
    let (room, role, mut queue) = loop {
        let Some(Ok(msg)) = socket.recv().await else {
            return;
        };
        let Message::Text(text) = msg else { continue };
        let Ok(ClientMsg::Hello { role, code, .. }) = serde_json::from_str::<ClientMsg>(&text)
        else {
            return;
        };
        let room = app
            .rooms
            .lock()
            .ok()
            .and_then(|r| r.get(code.trim()).cloned());
        let Some(room) = room else {
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: close::UNKNOWN_SESSION,
                    reason: "unknown session".into(),
                })))
                .await;
            return;
        };
        let queue = if role == Role::Host {
            let (tx, rx) = mpsc::unbounded_channel();
            if let Ok(mut hosts) = room.hosts.lock() {
                hosts.insert(id, tx);
            }
            Queue::Host(rx)
        } else {
            let (tx, rx) = mpsc::channel(CONN_QUEUE);
            if let Ok(mut players) = room.players.lock() {
                players.insert(id, tx);
                room.pupils.store(players.len() as u32, Ordering::Relaxed);
            }
            Queue::Player(rx)
        };
        let welcome = room.welcome[usize::from(role == Role::Host)].clone();
        if socket.send(Message::Text(welcome)).await.is_err() {
            return;
        }
        break (room, role, queue);
    };
    let limit = if role == Role::Host {
        usize::MAX
    } else {
        MAX_PUPIL_MESSAGE
    };
    let code = loop {
        tokio::select! {
            biased;
            frame = queue.recv() => {
                let Some(first) = frame else { break Some(close::ENDED) };
                let mut ok = socket.feed(Message::Text(first)).await.is_ok();
                for _ in 1..WRITE_BATCH {
                    let Some(next) = queue.try_recv() else { break };
                    ok = ok && socket.feed(Message::Text(next)).await.is_ok();
                }
                if !ok || socket.flush().await.is_err() {
                    break None;
                }
            }
            msg = socket.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => continue,
                    _ => break None,
                };
                if text.len() > limit {
                    break Some(close::TOO_BIG);
                }
                match serde_json::from_str::<ClientMsg>(&text) {
                    Ok(ClientMsg::Answer(Answer { question, round, client_seq, choice })) if role == Role::Player => {
                        if !app.no_ack {
                            let ack = frame(ServerMsg::Ack { question: question.clone(), round, client_seq, choice });
                            if socket.send(Message::Text(ack)).await.is_err() {
                                break None;
                            }
                        }
                        room.answered(question, round);
                    }
                    Ok(msg) if role == Role::Host && msg.is_host_command() => room.host_command(&app, msg),
                    _ => {}
                }
            }
        }
    };
    if let Ok(mut players) = room.players.lock() {
        if players.remove(&id).is_some() {
            room.pupils.store(players.len() as u32, Ordering::Relaxed);
        }
    }
    if let Ok(mut hosts) = room.hosts.lock() {
        hosts.remove(&id);
    }
    if let Some(code) = code {
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = loupe::net::bind(args.addr)?;
    let bound = listener.local_addr()?;
    if let Some(path) = &args.ready_file {
        loupe::net::write_ready_file(path, bound)?;
    }
    let app = App {
        no_ack: args.no_ack,
        ..App::default()
    };
    let router = Router::new()
        .route("/api/sessions", post(create))
        .route("/ws", get(upgrade))
        .with_state(app);
    let listener = listener.tap_io(loupe::net::set_nodelay);
    axum::serve(listener, router).await?;
    Ok(())
}
