//! Loupe: a live classroom quiz server about life online.
//!
//! A teacher hosts a session of a quiz on a laptop wired to the projector; pupils join from their
//! phones with a 6-digit code and answer in real time. The class sees only anonymous aggregates;
//! each pupil gets a private score out of 100 with advice. One binary serves the HTTP API, the
//! WebSocket protocol (`docs/PROTOCOL.md`) and the pages, with no outbound connection at all.
//!
//! # Layout
//!
//! - [`config`]: command-line flags and `LOUPE_*` environment variables;
//! - [`app`]: shared state, the router and [`app::App::serve`] on a pre-bound listener;
//! - [`guard`]: abuse limits (failed joins per address, connections, sessions per address);
//! - [`logs`]: the log set-up (`RUST_LOG`, clamped so other crates never log below `info`);
//! - [`serve`]: the HTTP accept loop (hyper with a header timeout, upgrades, `ConnectInfo`);
//! - [`store`]: the SQLite journal, restore, retention and reports;
//! - [`net`]: the listening socket (backlog, `SO_REUSEADDR`) and the LAN address to print;
//! - [`http`]: REST handlers (quizzes, session creation, QR codes) and the placeholder pages;
//! - [`ws`]: the WebSocket upgrade and the one task per connection;
//! - [`protocol`]: every client and server message, error and close code;
//! - [`session`]: the pure event-sourced machine (`decide`/`apply`), the actor that owns one
//!   session, the journal seam and the registry of join codes;
//! - [`quiz`]: the quiz model, TOML loading and `loupe check`;
//!
//! The tools that drive a server from outside (the typed client, the load generator, the
//! baseline server) are the workspace's other crate, `tools/` (`loupe-tools`).
//!
//! The shape is explained in `docs/ARCHITECTURE.md`, with the table of which module sits on
//! which (lower layers never import higher ones; `tests/layers/` checks it).
#![forbid(unsafe_code)]

pub mod app;
pub mod config;
pub mod guard;
pub mod http;
pub mod logs;
pub mod net;
pub mod protocol;
pub mod quiz;
pub mod serve;
pub mod session;
pub mod store;
pub mod ws;
