//! The HTML pages: the pupil page (`/`, `/join/{code}`), the teacher console (`/host`), the
//! projector screen (`/screen/{code}`), the phone remote (`/remote`), and the 404 page.
//!
//! Each page is `web/{name}.html` with `__V__` (asset version) and `__CODE__` (the join code
//! from the URL, already checked to be 6 digits, or empty) filled in, sent `no-cache` with an
//! ETag and the security headers of [`super::assets`]. A page whose file does not exist (yet)
//! is a 404, never a build failure.

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
async fn serve(name: &str, code: Option<&str>, headers: &HeaderMap) -> Response {
    match assets::page(name, code) {
        Some(page) => assets::send_page(&page, headers),
        None => not_found().await,
    }
}

/// `GET /`: the pupil page, asking for the join code.
pub async fn pupil(headers: HeaderMap) -> Response {
    serve("pupil", None, &headers).await
}

/// `GET /join/{code}` (the QR code's target): the pupil page with the code filled in; it joins
/// at once. Anything that is not a 6-digit code is a 404.
pub async fn join(Path(code): Path<String>, headers: HeaderMap) -> Response {
    if !is_join_code(&code) {
        return not_found().await;
    }
    serve("pupil", Some(&code), &headers).await
}

/// `GET /host`: the teacher console.
pub async fn host(headers: HeaderMap) -> Response {
    serve("host", None, &headers).await
}

/// `GET /screen/{code}`: the projector view of a session (it authenticates with the screen
/// token in `hello`, never in the URL).
pub async fn screen(Path(code): Path<String>, headers: HeaderMap) -> Response {
    if !is_join_code(&code) {
        return not_found().await;
    }
    serve("screen", Some(&code), &headers).await
}

/// `GET /remote`: the teacher's phone remote.
pub async fn remote(headers: HeaderMap) -> Response {
    serve("remote", None, &headers).await
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
