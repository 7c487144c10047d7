//! The HTML pages served today: placeholders for `/`, `/host` and `/join/{code}`, and the 404 page.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;

use super::sessions::is_join_code;

/// Home page template; `{{quizzes}}` is the number of loaded quizzes.
const INDEX: &str = include_str!("../../web/index.html");
/// Join page template; `{{code}}` is the (validated) join code.
const JOIN: &str = include_str!("../../web/join.html");
/// Body of the 404 page.
const NOT_FOUND: &str = "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<title>Loupe · 404</title></head><body><main><h1>404</h1>\
<p>Cette page n'existe pas.</p><p lang=\"en\">This page does not exist.</p>\
<p><a href=\"/\">Loupe</a></p></main></body></html>\n";

/// Headers every page carries: the right type, no MIME sniffing, no referrer leaking a join code
/// to another site, and nothing loaded from anywhere but Loupe itself.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'self'"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /` and `GET /host`: the placeholder home page.
pub async fn index(State(state): State<AppState>) -> Response {
    let body = INDEX.replace("{{quizzes}}", &state.library.list().len().to_string());
    html(StatusCode::OK, body)
}

/// `GET /join/{code}`: the placeholder join page (404 for anything that is not a join code).
pub async fn join(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    if !is_join_code(&code) {
        return not_found().await;
    }
    let body = JOIN
        .replace("{{quizzes}}", &state.library.list().len().to_string())
        .replace("{{code}}", &code);
    html(StatusCode::OK, body)
}

/// Any other address.
pub async fn not_found() -> Response {
    html(StatusCode::NOT_FOUND, NOT_FOUND.to_owned())
}
