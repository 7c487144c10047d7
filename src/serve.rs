//! The HTTP accept loop: hyper with timers, so a client that never finishes its request headers
//! (or sits idle on a kept-alive connection) is closed instead of holding a socket forever.
//!
//! `axum::serve` runs hyper without a timer, which silently disables hyper's header timeout; this
//! loop is the same thing with the timer, `TCP_NODELAY`, the peer address as `ConnectInfo`, and
//! WebSocket upgrades. Upgraded sockets leave hyper and are tracked by the app's task tracker.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// A client has this long to send a request's headers (also the idle time allowed between two
/// requests on one connection).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// Serves `router` on `listener` until `stop` is cancelled; then stops accepting and lets each
/// connection finish its request. Connection tasks are spawned on `tracker`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    stop: CancellationToken,
    tracker: &TaskTracker,
) {
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::trace!(error = %e, "could not set TCP_NODELAY");
        }
        let service = router.clone().map_request(
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request.map(axum::body::Body::new)
            },
        );
        let service = TowerToHyperService::new(service);
        let stop = stop.clone();
        tracker.spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let conn = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                }
            }
        });
    }
}
