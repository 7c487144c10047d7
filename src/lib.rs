//! Loupe: a live classroom quiz server. (crate docs filled in below)
#![forbid(unsafe_code)]
pub mod app;
pub mod client;
pub mod protocol;
pub mod ws;
pub mod quiz;
pub mod session;
pub mod config;
pub mod http;
pub mod net;
