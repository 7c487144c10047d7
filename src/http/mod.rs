//! The HTTP side: the router, the REST API (`/api/…`), the QR codes, the pages and their assets.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/health` | `{"ok":true,"version":…,"sessions":N}` |
//! | `GET /api/quizzes` | the library |
//! | `GET /api/quizzes/{id}` | the host preview of one quiz (needs the host key, or a live session's host secret, when the server has a key) |
//! | `POST /api/sessions` | create a session (needs `X-Loupe-Host-Key` when the server has a key) |
//! | `GET /api/sessions/{code}/qr.svg` | QR code of the join link |
//! | `POST /api/sessions/{code}/remote` | a 60-second, single-use phone-remote pairing (needs `Authorization: Bearer <host_secret>`) |
//! | `POST /api/remote/claim` | trade a pairing token, once, for the session code and a credential of the phone's own, which works once the console accepts the phone |
//! | `GET /api/reports/{code}` | a finished session's summary (needs `Authorization: Bearer <host_secret>`) |
//! | `GET /api/reports/{code}/csv` | the same as a CSV download |
//! | `GET /ws` | the WebSocket ([`crate::ws::upgrade`]) |
//! | `GET /`, `/join/{code}` | the pupil page (`web/pupil.html`) |
//! | `GET /host`, `/screen/{code}`, `/remote` | teacher console, projector, phone remote (`web/*.html`) |
//! | `GET /assets/{*path}` | `web/` files: gzip, ETag, immutable with `?v=` (`assets.rs`) |

mod assets;
mod csv;
mod error;
mod host_key;
mod pages;
mod qr;
mod quizzes;
mod remote;
mod reports;
mod sessions;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::guard::Guard;
use crate::quiz::Library;
use crate::session::Registry;
use crate::store::Store;
use crate::ws::WsState;

pub use error::{ApiError, ApiJson};
pub use host_key::{HostKey, HOST_KEY_HEADER};
pub use qr::svg as qr_svg;
pub use quizzes::{QuestionPreview, QuizHeader, QuizPreview, QuizSummary};
pub use remote::{Pairings, RemoteError, PAIRING_TTL};
pub use reports::ReportError;
pub use sessions::{is_join_code, CreatedBody};

/// Largest request body the API reads: session options are a few hundred bytes.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// The base URL phones use (e.g. `http://192.168.1.20:8080`), for join links and QR codes.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub Arc<str>);

/// The whole router: API, WebSocket, pages, and a 404 for the rest.
///
/// It takes any state that hands out the parts its handlers use (axum's `FromRef`): each handler
/// names only those (`State<Registry>`, `State<Guard>` …), never the whole application.
pub fn router<S>(state: S) -> Router
where
    S: Clone + Send + Sync + 'static,
    Arc<Library>: FromRef<S>,
    Registry: FromRef<S>,
    Guard: FromRef<S>,
    Option<HostKey>: FromRef<S>,
    Option<Store>: FromRef<S>,
    Pairings: FromRef<S>,
    PublicUrl: FromRef<S>,
    WsState: FromRef<S>,
{
    let api = Router::new()
        .route("/health", get(health))
        .route("/quizzes", get(quizzes::list))
        .route("/quizzes/{id}", get(quizzes::preview))
        .route("/sessions", post(sessions::create))
        .route("/sessions/{code}/qr.svg", get(sessions::qr_svg))
        .route("/sessions/{code}/remote", post(remote::create))
        .route("/remote/claim", post(remote::claim))
        .route("/reports/{code}", get(reports::json))
        .route("/reports/{code}/csv", get(reports::csv))
        .fallback(error::api_not_found)
        .method_not_allowed_fallback(error::api_method_not_allowed)
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn(refuse_large_bodies));
    Router::new()
        .nest("/api", api)
        .route("/ws", get(crate::ws::upgrade))
        .route("/", get(pages::pupil))
        .route("/join/{code}", get(pages::join))
        .route("/host", get(pages::host))
        .route("/screen/{code}", get(pages::screen))
        .route("/remote", get(pages::remote))
        .route("/assets/{*path}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Body of `GET /api/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always true when the server answers.
    pub ok: bool,
    /// Loupe's version.
    pub version: &'static str,
    /// Number of live sessions.
    pub sessions: usize,
}

/// `GET /api/health`: the server answers, its version, and how many sessions are live.
async fn health(State(registry): State<Registry>) -> Json<Health> {
    Json(Health {
        ok: true,
        version: env!("CARGO_PKG_VERSION"),
        sessions: registry.live(),
    })
}

/// Logs each request's method, route and status at debug level.
///
/// The route template (`/join/{code}`) is logged rather than the path when one matched, and never
/// the query string, the client's address or any header.
/// Refuses a request whose declared `Content-Length` is over the API limit at once (413), without
/// waiting for a body a client may never send.
async fn refuse_large_bodies(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > API_BODY_LIMIT as u64) {
        return axum::response::IntoResponse::into_response(ApiError::TooLarge);
    }
    next.run(request).await
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => request.uri().path().chars().take(100).collect(),
    };
    let response = next.run(request).await;
    tracing::debug!(%method, %route, status = response.status().as_u16(), "http request");
    response
}
