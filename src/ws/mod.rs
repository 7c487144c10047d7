//! WebSocket upgrade: socket settings and the hand-off to one connection task.
//!
//! Buffers are 4 KiB (tungstenite's 128 KiB default costs 137 kB per connection and several times
//! the fan-out time), messages are capped, and every connection runs inside the server's task
//! tracker so shutdown can wait for it.

mod connection;
mod flood;

use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;

use crate::app::AppState;
use crate::protocol::MAX_HOST_MESSAGE;

/// Read and write buffer size of every WebSocket.
pub const WS_BUFFER: usize = 4 * 1024;
/// A socket whose unsent data grows past this is failing; writes error out and it closes.
const MAX_WRITE_BUFFER: usize = 256 * 1024;

/// `GET /ws`: upgrades to a WebSocket and runs one connection task.
pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(WS_BUFFER)
        .write_buffer_size(WS_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_HOST_MESSAGE)
        .max_frame_size(MAX_HOST_MESSAGE)
        .on_upgrade(move |socket| {
            let tracker = state.tracker.clone();
            tracker.track_future(connection::run(socket, state))
        })
}
