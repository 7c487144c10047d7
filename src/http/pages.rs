//! The HTML pages: the pupil page (`/`, `/join/{code}`), the teacher console (`/host`), the
//! projector screen (`/screen/{code}`), the phone remote (`/remote`), and the 404 page.
//!
//! Each page is `web/{name}.html` with `__V__` (asset version) filled in, prepared once by
//! [`assets::page`] and sent `no-cache` with its ETag and the security headers of
//! [`super::assets`] (the CSP names the request's own host). `/join/{code}` and
//! `/screen/{code}` are the same page for every code: the script reads the code from the
//! address. A page whose file does not exist (yet) is a 404, never a build failure.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::assets;
use super::sessions::is_join_code;

/// Body of the 404 page: plain HTML, both languages, a way back to the join form.
const NOT_FOUND: &str = "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Loupe · 404</title></head><body><main><h1>404</h1>\
<p>Cette page n'existe pas.</p><p lang=\"en\">This page does not exist.</p>\
<p><a href=\"/\">Loupe</a></p></main></body></html>\n";

/// Serves `web/{name}.html`, or the 404 page when it does not exist.
async fn serve(name: &str, headers: &HeaderMap) -> Response {
    match assets::page(name) {
        Some(page) => assets::send_page(&page, headers),
        None => not_found().await,
    }
}

/// `GET /`: the pupil page, asking for the join code.
pub async fn pupil(headers: HeaderMap) -> Response {
    serve("pupil", &headers).await
}

/// `GET /join/{code}` (the QR code's target): the pupil page, which reads the code from the
/// address and joins at once. Anything that is not a 6-digit code is a 404.
pub async fn join(Path(code): Path<String>, headers: HeaderMap) -> Response {
    if !is_join_code(&code) {
        return not_found().await;
    }
    serve("pupil", &headers).await
}

/// `GET /host`: the teacher console.
pub async fn host(headers: HeaderMap) -> Response {
    serve("host", &headers).await
}

/// `GET /screen/{code}`: the projector view of a session (it authenticates with the screen
/// token in `hello`, never in the URL).
pub async fn screen(Path(code): Path<String>, headers: HeaderMap) -> Response {
    if !is_join_code(&code) {
        return not_found().await;
    }
    serve("screen", &headers).await
}

/// `GET /remote`: the teacher's phone remote.
pub async fn remote(headers: HeaderMap) -> Response {
    serve("remote", &headers).await
}

/// Any other address: a small HTML 404 with the same security headers as every page.
pub async fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, NOT_FOUND).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    assets::security_headers(headers, None);
    response
}
