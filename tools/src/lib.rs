//! Loupe's tools, kept out of the server crate: what drives a server from outside.
//!
//! - [`client`]: the typed protocol client (WebSocket and a small HTTP client), shared by the
//!   integration tests, the chaos tests and the load generator;
//! - [`load`]: the load generator behind `loupe-load` (sessions × pupils, timings, `/proc`
//!   figures) and its comparison tables;
//! - [`reconnect`]: when clients retry after losing the server (backoff with full jitter), the
//!   rule the pupil page follows too.
//!
//! The binaries: `loupe-load` (the generator) and `loupe-baseline` (a same-stack server with no
//! journal, the benchmark's reference). See `docs/PERFORMANCE.md`.
#![forbid(unsafe_code)]

pub mod client;
pub mod load;
pub mod reconnect;
