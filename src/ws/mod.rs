//! WebSocket upgrade: socket settings and the hand-off to one connection task.
//!
//! Buffers are 4 KiB (tungstenite's 128 KiB default costs 137 kB per connection and several times
//! the fan-out time), messages are capped, and every connection runs inside the server's task
//! tracker so shutdown can wait for it.

mod codec;
mod connection;
mod flood;
mod handshake;
mod route;
mod task;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::guard::Guard;
use crate::protocol::MAX_HOST_MESSAGE;
use crate::session::Registry;

/// Read and write buffer size of every WebSocket.
pub const WS_BUFFER: usize = 4 * 1024;
/// A socket whose unsent data grows past this is failing; writes error out and it closes.
const MAX_WRITE_BUFFER: usize = 256 * 1024;

/// What the WebSocket side uses of the server's state (the app hands it over through `FromRef`).
#[derive(Clone)]
pub struct WsState {
    /// Live sessions by join code.
    pub registry: Registry,
    /// Abuse limits: failed joins, connections.
    pub guard: Guard,
    /// Cancelled when the server shuts down; every connection selects on it.
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them.
    pub tracker: TaskTracker,
    /// The base URL phones use: an `Origin` from it is allowed.
    pub public_url: Arc<str>,
}

/// `GET /ws`: upgrades to a WebSocket and runs one connection task. Refuses pages from other
/// sites (`Origin`) and connections past `--max-connections`.
pub async fn upgrade(
    State(state): State<WsState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers, &state.public_url) {
        let body = "this page is not allowed to connect to Loupe (Origin of another site)";
        return (StatusCode::FORBIDDEN, body).into_response();
    }
    let Some(permit) = state.guard.connection() else {
        tracing::warn!(
            connections = state.guard.connections(),
            "connection limit reached"
        );
        let body =
            "Loupe has as many connections as it accepts (--max-connections); try again later";
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    };
    let ip = crate::guard::client_ip(peer, &headers, state.guard.trusted());
    ws.read_buffer_size(WS_BUFFER)
        .write_buffer_size(WS_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_HOST_MESSAGE)
        .max_frame_size(MAX_HOST_MESSAGE)
        .on_upgrade(move |socket| {
            let tracker = state.tracker.clone();
            tracker.track_future(async move {
                task::run(socket, state, ip).await;
                drop(permit);
            })
        })
}

/// Browsers send `Origin`; other clients do not. Allowed: no `Origin`, the same host as the
/// request, the `--public-url`, and any loopback address.
fn origin_allowed(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    let host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let same_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(host));
    let hostname = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    let loopback = matches!(hostname, "localhost" | "127.0.0.1" | "[::1]");
    same_host || loopback || origin.eq_ignore_ascii_case(public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins_from_other_sites_are_refused() {
        let public = "https://quiz.example.org";
        assert!(origin_allowed(&headers(None, "10.0.0.5:8080"), public));
        assert!(origin_allowed(
            &headers(Some("http://10.0.0.5:8080"), "10.0.0.5:8080"),
            public
        ));
        assert!(origin_allowed(
            &headers(Some("http://localhost:3000"), "10.0.0.5:8080"),
            public
        ));
        assert!(origin_allowed(
            &headers(Some("https://quiz.example.org"), "backend:8080"),
            public
        ));
        assert!(!origin_allowed(
            &headers(Some("https://evil.example"), "10.0.0.5:8080"),
            public
        ));
        assert!(!origin_allowed(
            &headers(Some("http://localhost.evil.example"), "x:1"),
            public
        ));
    }
}
